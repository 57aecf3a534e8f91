"""forensic.quality: noise, strongest band and signal-to-noise of spectra."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter1d
from synthetic import make_spectrum

from forensic.quality import (
    clipped_run,
    noise_level,
    noise_sigma,
    signal_to_noise,
    spectrum_clipped_run,
    spectrum_signal_to_noise,
)
from forensic.spectrum import Spectrum

AXIS = np.arange(600.0, 1800.0, 1.0)
BAND = np.exp(-(((AXIS - 1000.0) / 6.0) ** 2))


def test_noise_sigma_is_the_standard_deviation_of_white_noise():
    rng = np.random.default_rng(0)
    assert noise_sigma(BAND + rng.normal(0.0, 0.01, AXIS.size)) == pytest.approx(0.01, rel=0.1)


def test_noise_level_is_the_standard_deviation_of_white_noise_bands_or_not():
    rng = np.random.default_rng(0)
    assert noise_level(rng.normal(0.0, 2.0, 4000)) == pytest.approx(2.0, rel=0.1)
    assert noise_level(BAND + rng.normal(0.0, 0.01, AXIS.size)) == pytest.approx(0.01, rel=0.25)


def test_noise_level_sees_smoothed_noise_that_point_differences_miss():
    # noise smoothed over a few points (a resampled or smoothed spectrum) hardly changes from
    # one point to the next: differences underestimate it, the wide fit's residual does not
    rng = np.random.default_rng(2)
    smoothed = gaussian_filter1d(rng.normal(0.0, 1.0, 4000), 1.0)
    true_sd = float(np.std(smoothed))
    assert noise_sigma(smoothed) < 0.6 * true_sd
    assert noise_level(smoothed) == pytest.approx(true_sd, rel=0.25)


def test_noise_of_too_short_or_empty_spectra_is_zero():
    assert noise_level(np.ones(5)) == 0.0
    assert noise_sigma(np.zeros(1)) == 0.0


def test_signal_to_noise_of_noise_a_band_a_noiseless_band_and_a_flat_line():
    rng = np.random.default_rng(1)
    noise = rng.normal(0.0, 0.01, AXIS.size)
    assert signal_to_noise(AXIS, 5.0 + noise) < 8  # the highest noise point stands out a little
    assert signal_to_noise(AXIS, BAND + noise) == pytest.approx(100, rel=0.15)
    assert signal_to_noise(AXIS, BAND) == float("inf")
    assert signal_to_noise(AXIS, np.full(AXIS.size, 3.0)) == 0.0


def test_bands_in_transmittance_are_dips():
    rng = np.random.default_rng(2)
    absorbance = 0.5 * BAND + rng.normal(0.0, 0.002, AXIS.size)
    transmittance = Spectrum(AXIS, 10.0**-absorbance, modality="ir", y_unit="transmittance")
    in_absorbance = Spectrum(AXIS, absorbance, modality="ir", y_unit="absorbance")
    assert spectrum_signal_to_noise(transmittance) > 50
    assert spectrum_signal_to_noise(in_absorbance) > 50
    # read the wrong way up, the dip is no band
    assert spectrum_signal_to_noise(transmittance.replace(y_unit="absorbance")) < 10
    assert spectrum_signal_to_noise(make_spectrum(noise=0.002)) > 100


def test_clipped_run_counts_the_points_at_the_strongest_value():
    assert clipped_run(np.array([0.0, 1.0, 3.0, 3.0, 3.0, 2.0, 3.0])) == 3
    assert clipped_run(BAND) == 1
    assert clipped_run(np.array([])) == 0
    dips = Spectrum(AXIS, np.maximum(1.0 - BAND, 0.2), modality="ir", y_unit="transmittance")
    assert spectrum_clipped_run(dips) > 3  # the bottom of the dip, not the 100 % baseline
    assert spectrum_clipped_run(dips.replace(intensity=1.0 - 0.5 * BAND)) == 1
