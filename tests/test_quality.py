"""forensic.quality: noise, strongest band and signal-to-noise of spectra."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage, signal
from scipy.ndimage import gaussian_filter1d
from synthetic import (
    TRANSMITTANCE_SCALE_CASES,
    co2_doublet,
    make_spectrum,
    transmittance_values,
)

from forensic.io import read_spectrum
from forensic.quality import (
    IR_AXIS_IN_UM,
    IR_UM_NAMED,
    NOISELESS_SNR,
    Problem,
    atmospheric_co2,
    axis_unit_problem,
    clipped_run,
    diagnose_axis_unit,
    diagnose_inverted,
    diagnose_ir_range,
    diagnose_negative,
    diagnose_unit_label,
    noise_level,
    noise_sigma,
    robust_sigma,
    signal_to_noise,
    spectrum_atmospheric_co2,
    spectrum_clipped_run,
    spectrum_signal_to_noise,
    unit_label_doubt,
)
from forensic.spectrum import TRANSMITTANCE_UNITS, Spectrum, transmittance_scale

AXIS = np.arange(600.0, 1800.0, 1.0)
BAND = np.exp(-(((AXIS - 1000.0) / 6.0) ** 2))


def _mad_sigma(values):
    # the estimator as each caller wrote it before robust_sigma
    return np.median(np.abs(values - np.median(values))) / 0.6745


def test_robust_sigma_is_the_scaled_mad_bit_for_bit_and_the_estimators_use_it():
    # noise_sigma, noise_level and mixtures.has_structured_residual each wrote the estimator
    # out before robust_sigma; their values must not change by one bit
    coeffs = signal.savgol_coeffs(21, 3)
    rng = np.random.default_rng(7)
    for size in (1, 2, 21, 1000, 3001):
        y = np.cumsum(rng.normal(0.0, 1.0, size)) + rng.standard_cauchy(size)
        assert robust_sigma(y) == float(_mad_sigma(y))
        if size >= 2:
            assert noise_sigma(y) == float(_mad_sigma(np.diff(y)) / np.sqrt(2.0))
        if size >= 21:
            r = y - ndimage.convolve1d(y, coeffs, mode="nearest")
            assert noise_level(y) == float(_mad_sigma(r) / np.sqrt(1.0 - coeffs[10]))
    assert robust_sigma(np.array([])) == 0.0
    assert robust_sigma(rng.normal(0.0, 3.0, 20000)) == pytest.approx(3.0, rel=0.03)


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
    assert signal_to_noise(AXIS, BAND) == NOISELESS_SNR  # finite: it can be recorded
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


# -- atmospheric CO2 ---------------------------------------------------------------------------

IR_BANDS = [(700.0, 0.6, 14.0), (1100.0, 1.0, 20.0), (1650.0, 0.7, 16.0), (2950.0, 0.4, 30.0)]


def _gauss(x, centre, fwhm):
    return np.exp(-0.5 * ((x - centre) / (fwhm / 2.3548)) ** 2)


@pytest.mark.parametrize("step", [1.0, 2.0, 4.0, 7.4])
@pytest.mark.parametrize("height", [0.2, -0.2])
def test_atmospheric_co2_finds_the_doublet_either_way_down_to_coarse_sampling(step, height):
    clean = make_spectrum(
        IR_BANDS, modality="ir", y_unit="absorbance", start=600, stop=4000, step=step, noise=0.003
    )
    x = clean.wavenumber
    measured = clean.intensity + co2_doublet(x, height) + 0.05
    doublet = atmospheric_co2(x, measured)
    assert doublet is not None
    assert abs(doublet.p_branch_cm1 - 2338.0) <= step + 1.0
    assert abs(doublet.r_branch_cm1 - 2361.0) <= step + 1.0
    assert np.sign(doublet.height) == np.sign(height)
    # measured from the line under it, which follows the spectrum (here a constant offset)
    assert abs(doublet.height) == pytest.approx(abs(height), rel=0.15)
    assert doublet.fraction == pytest.approx(abs(doublet.height) / np.ptp(measured))
    assert atmospheric_co2(x, clean.intensity) is None


def test_atmospheric_co2_leaves_bands_of_the_sample_alone():
    x = np.arange(600.0, 4000.0, 2.0)
    rng = np.random.default_rng(4)
    noise = rng.normal(0.0, 0.002, x.size)
    # the broad N-H+ stretch of an amine hydrochloride runs through the window and past 2400
    amine_salt = 0.5 * _gauss(x, 2450.0, 300.0) + 0.2 * _gauss(x, 2600.0, 120.0)
    # a nitrile or P-H band: one peak
    single = 0.5 * _gauss(x, 2355.0, 14.0)
    for y in (amine_salt, single, np.zeros_like(x)):
        assert atmospheric_co2(x, y + noise) is None
    # a doublet riding on a broad band is still one
    assert atmospheric_co2(x, amine_salt + 0.02 * _gauss(x, 2350, 40) + noise) is None
    # out of reach: the spectrum stops short of the flanks, or is sampled too coarsely to
    # show two branches, or holds NaN
    assert atmospheric_co2(x[x < 2420], (single + noise)[x < 2420]) is None
    coarse = np.arange(600.0, 4000.0, 10.0)
    assert atmospheric_co2(coarse, co2_doublet(coarse, 0.5)) is None
    assert atmospheric_co2(x, np.full(x.size, np.nan)) is None


def test_spectrum_atmospheric_co2_mentions_only_a_noticeable_doublet_of_an_ir_spectrum():
    clean = make_spectrum(
        IR_BANDS, modality="ir", y_unit="absorbance", start=600, stop=4000, step=2.0, noise=0.001
    )
    x = clean.wavenumber
    small = clean.replace(intensity=clean.intensity + co2_doublet(x, 0.02))  # 2 % of the range
    large = clean.replace(intensity=clean.intensity + co2_doublet(x, 0.2))
    assert atmospheric_co2(x, small.intensity) is not None  # there, but not worth a word
    assert spectrum_atmospheric_co2(small) is None
    assert spectrum_atmospheric_co2(large) is not None
    # in transmittance the doublet points down, and is found just the same
    percent = large.replace(
        intensity=100.0 * 10.0 ** -np.asarray(large.intensity), y_unit="percent_transmittance"
    )
    doublet = spectrum_atmospheric_co2(percent)
    assert doublet is not None and doublet.height < 0
    assert spectrum_atmospheric_co2(large.replace(modality="raman", y_unit="arbitrary")) is None


def test_atmospheric_co2_on_real_spectra(shared_data):
    """ENFSI alprazolam carries a clear CO2 doublet (39 % of its range); none of the 59
    hydrochlorides, whose N-H+ stretch reaches into the window, is taken for one."""
    import csv  # noqa: PLC0415

    from forensic.io import read_spectrum  # noqa: PLC0415

    folder = shared_data / "substances" / "enfsi-ir"
    alprazolam = spectrum_atmospheric_co2(read_spectrum(folder / "alprazolam.csv"))
    assert alprazolam is not None
    assert round(alprazolam.p_branch_cm1) == 2338 and round(alprazolam.r_branch_cm1) == 2361
    with open(folder / "manifest.csv", encoding="utf-8", newline="") as fh:
        salts = [row["file"] for row in csv.DictReader(fh) if row["form"] == "HCl"]
    assert len(salts) >= 50
    for name in salts:
        spectrum = read_spectrum(folder / name)
        assert atmospheric_co2(spectrum.wavenumber, spectrum.intensity) is None, name


def test_an_axis_no_vibrational_spectrum_can_have_is_told():
    # cm-1 values that a header called nm, converted with a 785 nm laser: -111291 to 9676
    in_cm1 = np.linspace(80.62565508, 3264.96457, 2048)
    converted = Spectrum.from_wavelength(
        in_cm1, np.ones(in_cm1.size), laser_wavelength_nm=785.0, y_unit="counts"
    )
    problem = diagnose_axis_unit(converted)
    assert problem.fact.startswith("axis -111291-9676 cm-1: no Raman spectrum reaches beyond")
    assert "converted from wavelengths in nm with the 785 nm laser line" in problem.fact
    assert "axis unit and laser line" in problem.action
    # out of range without a conversion: the fact alone
    beyond = make_spectrum([(1000, 1.0, 5)], start=150, stop=6000)
    assert "no Raman spectrum reaches beyond -1000 to 5000" in axis_unit_problem(beyond)
    assert "converted" not in axis_unit_problem(beyond)
    # anti-Stokes and the O-H stretch are within reach (the real files span -155 to 4010)
    assert diagnose_axis_unit(make_spectrum([(0, 1.0, 5)], start=-500, stop=4200)) is None
    # an IR wavenumber is never negative
    negative_ir = make_spectrum([(1000, 1, 8)], start=-400, stop=4000, modality="ir")
    assert "an IR wavenumber cannot be negative" in axis_unit_problem(negative_ir)


def test_a_spectrum_mostly_below_zero_is_told_inverted_only_when_its_bands_point_down():
    raman = make_spectrum(noise=0.01, baseline=0.5)
    assert diagnose_negative(raman) is None and diagnose_inverted(raman) is None
    flipped = raman.replace(intensity=-np.asarray(raman.intensity))  # ##YFACTOR=-1
    problem = diagnose_inverted(flipped)
    assert problem.fact.startswith("100% of the intensities are negative and the bands point")
    assert "inverted" in problem.fact and "bands pointing up" in problem.action
    assert diagnose_negative(flipped) == problem
    # transmittance inverted: its dips become peaks, still below zero
    ir = make_spectrum([(1000, 0.5, 10)], start=600, stop=4000, modality="ir")
    percent = ir.replace(y_unit="percent_transmittance", intensity=90 - 60 * ir.intensity)
    assert diagnose_inverted(percent) is None
    assert diagnose_inverted(percent.replace(intensity=-percent.intensity)) is not None
    # a baseline subtracted too far leaves most points below zero, the bands pointing up
    over = raman.replace(intensity=np.asarray(raman.intensity) - 0.6)
    assert diagnose_inverted(over) is None
    assert "subtracted too far" in diagnose_negative(over).fact


def test_processed_rruff_ir_spectra_below_zero_are_not_called_inverted(shared_data):
    # baseline-subtracted absorbance: up to 85 % of the points below zero, bands up
    for name in ("Spinel__R050259-1", "Heklaite__R090034-1"):
        (path,) = (shared_data / "rruff").glob(f"ir-*/{name}__*.txt")
        spectrum = read_spectrum(path)
        assert diagnose_negative(spectrum) is not None, name
        assert diagnose_inverted(spectrum) is None, name


def test_an_axis_in_nm_or_um_is_told_from_one_in_cm1():
    # a 785 nm Raman instrument's export against wavelength: 790-1000 nm
    nm = make_spectrum([(850, 1.0, 3)], start=790, stop=1000, step=0.2)
    assert "wavelength in nm" in axis_unit_problem(nm)
    # starting at the laser line gives it away even past 1100 nm (a 1064 nm instrument)
    at_laser = make_spectrum([(1200, 1.0, 3)], start=1064, stop=1500, step=0.5)
    assert axis_unit_problem(at_laser) is None
    assert "wavelength in nm" in axis_unit_problem(
        at_laser.with_metadata(laser_wavelength_nm=1064.0)
    )
    # measured Raman shifts, even a narrow fingerprint window, are not flagged
    assert axis_unit_problem(make_spectrum([(1000, 1.0, 5)], start=150, stop=3200)) is None
    assert axis_unit_problem(make_spectrum([(1000, 1.0, 5)], start=400, stop=1800)) is None
    # a Raman export against the scattered light's wavelength in µm (0.79-1.0 at 785 nm):
    # nothing was said, and identify reported only that it holds no point of the grid
    raman_um = make_spectrum([(0.85, 1.0, 0.002)], start=0.79, stop=1.0, step=0.0002)
    assert diagnose_axis_unit(raman_um) == Problem(
        "axis 0.79-1: ends below 25, which no Raman shift axis in cm-1 does (the bands of "
        "substances lie above 50 cm-1); it may be a wavelength in µm",
        "export the spectrum against Raman shift in cm-1, or multiply wavelengths in µm by 1000 "
        "and convert the nm with Spectrum.from_wavelength",
    )
    low_frequency = make_spectrum([(20, 1.0, 2)], start=5, stop=200, step=0.5)
    assert axis_unit_problem(low_frequency) is None  # a low-frequency Raman instrument's range
    # IR in µm (2.5-25) or in nm (2500-25000): µm said so, with the conversion (it said "not
    # a mid-IR wavenumber range in cm-1; it may be in nm or µm (convert it to wavenumbers in
    # cm-1)", and the same of an IR spectrum read as Raman, for want of a word in its file)
    um = make_spectrum([(10, 1.0, 0.2)], start=2.5, stop=25, step=0.01, modality="ir")
    assert diagnose_axis_unit(um) == Problem(
        "axis 2.5-25: looks like an IR spectrum's wavelength in µm (2.5-25 µm is 4000-400 cm-1), "
        "not a wavenumber in cm-1",
        "convert it with forensic.spectrum.micrometre_to_wavenumber: wavenumber in cm-1 = "
        "10000 / wavelength in µm",
    )
    read_as_raman = make_spectrum([(10, 1.0, 0.2)], start=2.5, stop=18, step=0.01)
    assert diagnose_axis_unit(read_as_raman, nm_action="x") == Problem(
        "axis 2.5-18: ends below 25, which no Raman shift axis in cm-1 does; it looks like an "
        "IR spectrum's wavelength in µm (2.5-25 µm is 4000-400 cm-1), not a wavenumber in cm-1",
        IR_UM_NAMED,
    )
    far_ir = make_spectrum([(30, 1.0, 0.5)], start=2.5, stop=45, step=0.01, modality="ir")
    assert IR_AXIS_IN_UM in axis_unit_problem(far_ir)  # to 220 cm-1, as a CsI window reaches
    ir_nm = make_spectrum([(9000, 1.0, 50)], start=2500, stop=25000, step=10, modality="ir")
    assert "not a mid-IR wavenumber range" in axis_unit_problem(ir_nm)
    assert (
        axis_unit_problem(make_spectrum([(1000, 1, 8)], start=600, stop=4000, modality="ir"))
        is None
    )


@pytest.mark.parametrize(("low", "high", "scale"), TRANSMITTANCE_SCALE_CASES)
@pytest.mark.parametrize("unit", TRANSMITTANCE_UNITS)
def test_the_range_check_accepts_transmittance_on_the_scale_the_readers_tell(
    unit, low, high, scale
):
    # one rule (transmittance_scale) for the readers and the check: a scale a reader decided
    # from the values is never rejected, one it could not tell is said to be untellable
    y = transmittance_values(low, high)
    assert transmittance_scale(y) == scale
    spectrum = Spectrum(np.linspace(600.0, 4000.0, y.size), y, modality="ir", y_unit=unit)
    problem = diagnose_ir_range(spectrum)
    assert (problem is None) == (scale == unit), problem
    if scale is None:
        assert "neither a fraction nor percent" in problem.fact
    elif scale != unit:
        assert ("percent" if unit == "transmittance" else "fraction") in problem.fact


# -- an IR unit label that the values contradict (a warning) -------------------------------------

_IR_BANDS = [(760.0, 0.9, 14.0), (1100.0, 0.5, 18.0), (1450.0, 0.6, 16.0), (1700.0, 1.0, 12.0)]


def _ir_absorbance(seed: int = 0):
    return make_spectrum(_IR_BANDS, start=600.0, stop=4000.0, modality="ir", noise=0.002, seed=seed)


def test_ir_values_on_the_other_scale_than_their_unit_are_warned_of():
    absorbance = _ir_absorbance()
    y = np.asarray(absorbance.intensity)
    assert diagnose_unit_label(absorbance) is None
    transmittance = absorbance.replace(intensity=10.0**-y, y_unit="transmittance")
    assert diagnose_unit_label(transmittance) is None
    # transmittance under an "absorbance" heading: inside -0.5..6, positive, nothing objects
    as_absorbance = transmittance.replace(y_unit="absorbance")
    assert diagnose_ir_range(as_absorbance) is None and diagnose_negative(as_absorbance) is None
    problem = diagnose_unit_label(as_absorbance)
    assert problem is not None
    assert "labelled absorbance, but its values look like transmittance" in problem.fact
    assert unit_label_doubt(as_absorbance).other == "transmittance"  # the rule, for queries too
    assert "import it again" in problem.action
    # and the reverse: absorbance under a "transmittance" heading
    problem = diagnose_unit_label(absorbance.replace(y_unit="transmittance"))
    assert problem is not None and "look like absorbance" in problem.fact
    assert unit_label_doubt(absorbance.replace(y_unit="transmittance")).other == "absorbance"
    percent = absorbance.replace(intensity=100.0 * 10.0**-y, y_unit="percent_transmittance")
    assert diagnose_unit_label(percent) is None
    # Raman, and IR units that say nothing of the scale, are not looked at
    assert diagnose_unit_label(as_absorbance.replace(modality="raman", y_unit="arbitrary")) is None
    assert diagnose_unit_label(as_absorbance.replace(y_unit="kubelka_munk")) is None


def test_the_unit_label_rule_spares_the_measured_drug_spectra(shared_data):
    # the rates its docstring states: no ENFSI drug spectrum (absorbance) is warned of, and
    # nearly all of them are once converted to transmittance and labelled absorbance
    folder = shared_data / "substances" / "enfsi-ir"
    files = sorted(p for p in folder.glob("*.csv") if p.name != "manifest.csv")
    if not files:
        pytest.skip(f"no ENFSI IR spectra in {folder}")
    flagged = mislabelled = 0
    for path in files:
        spectrum = read_spectrum(path)
        assert spectrum.y_unit == "absorbance"
        flagged += diagnose_unit_label(spectrum) is not None
        t = spectrum.replace(intensity=10.0 ** -np.asarray(spectrum.intensity))
        mislabelled += diagnose_unit_label(t) is not None
    assert flagged == 0
    assert mislabelled >= 0.9 * len(files)
