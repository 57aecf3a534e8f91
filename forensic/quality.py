"""How much signal a spectrum carries, and whether it was clipped: its noise, its strongest
band, their ratio, and runs of points at the strongest value (a saturated detector).

Pure functions, shared by the library's quality gates (:mod:`forensic.curation.validation`, a
reference must rise well above its noise), by identification (:func:`forensic.identify`, a query
that barely rises above its noise was probably measured with nothing in the beam) and by the
peak evidence (:mod:`forensic.alignment`, :mod:`forensic.mixtures`: a band must stand well above
the noise).

Two noise estimators, for two kinds of input:

- :func:`noise_sigma`, from point-to-point differences, for spectra as measured, whose noise is
  white (independent from one point to the next);
- :func:`noise_level`, from the residual of a wide Savitzky-Golay fit, for spectra that have
  been smoothed or resampled, whose noise is correlated over a few points (point-to-point
  differences miss about half of it when it is smoothed over a point or two).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage, signal

from forensic.spectrum import TRANSMITTANCE_UNITS, Spectrum

__all__ = [
    "BACKGROUND_WINDOW_CM1",
    "CLIPPED_RUN",
    "DIP_UNITS",
    "band_height",
    "clipped_run",
    "noise_level",
    "noise_sigma",
    "signal_to_noise",
    "spectrum_clipped_run",
    "spectrum_signal_to_noise",
]

BACKGROUND_WINDOW_CM1 = 150.0
"""Width of the running window that separates bands (narrower) from background (broader)."""

DIP_UNITS = frozenset({*TRANSMITTANCE_UNITS, "reflectance"})
"""Intensity units in which bands are dips, not peaks."""

CLIPPED_RUN = 3
"""This many consecutive points at exactly the strongest value is a clipped (saturated) band:
measured noise makes even three equal neighbours at the top unlikely."""


_NOISE_WINDOW, _NOISE_ORDER = 21, 3
_NOISE_COEFFS = signal.savgol_coeffs(_NOISE_WINDOW, _NOISE_ORDER)
_NOISE_SCALE = float(np.sqrt(1.0 - _NOISE_COEFFS[_NOISE_WINDOW // 2]))


def noise_sigma(intensity: np.ndarray) -> float:
    """Robust noise standard deviation from first differences.

    ``MAD(diff(y)) / 0.6745 / sqrt(2)``: the difference of two independent noisy points has
    sqrt(2) times their standard deviation; the median ignores the sparse steep band flanks.

    Parameters
    ----------
    intensity : numpy.ndarray
        Shape (G,).

    Returns
    -------
    float
        In the unit of ``intensity``.
    """
    d = np.diff(np.asarray(intensity, dtype=float))
    if d.size == 0:
        return 0.0
    return float(np.median(np.abs(d - np.median(d))) / 0.6745 / np.sqrt(2.0))


def noise_level(intensity: np.ndarray) -> float:
    """Robust standard deviation of the noise of a spectrum.

    The spectrum minus a Savitzky-Golay fit (21 points, cubic) leaves the noise and, near sharp
    bands, some band shape; the median absolute deviation of that residual (divided by 0.6745,
    the MAD of a unit normal distribution) ignores the sparse band points. The result is divided
    by ``sqrt(1 - h0)``, ``h0`` being the filter's centre weight, so that it equals the standard
    deviation for white noise. A wide window also catches most of the noise that smoothing has
    already made correlated (a narrow one would miss it), at the cost of overestimating the noise
    of very band-dense spectra, which only makes peak detection more cautious.

    Parameters
    ----------
    intensity : numpy.ndarray
        Shape (G,), any intensity unit.

    Returns
    -------
    float
        Noise standard deviation, in the unit of ``intensity`` (0 for fewer than 21 points).
    """
    y = np.asarray(intensity, dtype=float)
    if y.size < _NOISE_WINDOW:
        return 0.0
    d = y - ndimage.convolve1d(y, _NOISE_COEFFS, mode="nearest")
    return float(np.median(np.abs(d - np.median(d))) / 0.6745 / _NOISE_SCALE)


def band_height(wavenumber: np.ndarray, intensity: np.ndarray) -> float:
    """Height of the strongest band above its local background.

    The background is a morphological opening of the intensities (a running minimum, then a
    running maximum) over :data:`BACKGROUND_WINDOW_CM1`: it follows fluorescence and other
    broad backgrounds but not bands narrower than the window. A fluorescence hump therefore
    does not count as signal.

    Parameters
    ----------
    wavenumber, intensity : numpy.ndarray
        Shape (G,).

    Returns
    -------
    float
        In the unit of ``intensity``.
    """
    x = np.asarray(wavenumber, dtype=float)
    y = np.asarray(intensity, dtype=float)
    step = float(np.median(np.diff(x))) if x.size > 1 else 1.0
    size = int(min(max(5, round(BACKGROUND_WINDOW_CM1 / max(step, 1e-9))), y.size))
    background = ndimage.grey_opening(y, size=size, mode="nearest")
    return float(np.max(y - background))


def signal_to_noise(wavenumber: np.ndarray, intensity: np.ndarray) -> float:
    """:func:`band_height` over :func:`noise_sigma`.

    ``inf`` for a noiseless spectrum with a band, 0 for a spectrum without any (flat).
    """
    sigma = noise_sigma(intensity)
    height = band_height(wavenumber, intensity)
    if height <= 0:
        return 0.0
    if sigma <= 1e-12 * height:
        return float("inf")
    return height / sigma


def spectrum_signal_to_noise(spectrum: Spectrum) -> float:
    """:func:`signal_to_noise` of a spectrum, its bands taken as dips in transmittance units.

    Parameters
    ----------
    spectrum : Spectrum
        As measured (before preprocessing).

    Returns
    -------
    float
    """
    y = np.asarray(spectrum.intensity, dtype=float)
    if spectrum.y_unit in DIP_UNITS:
        y = -y
    return signal_to_noise(spectrum.wavenumber, y)


def clipped_run(intensity: np.ndarray) -> int:
    """The longest run of consecutive points at exactly the maximum (within 1e-9 of it).

    Parameters
    ----------
    intensity : numpy.ndarray
        Shape (G,).

    Returns
    -------
    int
        At least 1 for a non-empty spectrum; :data:`CLIPPED_RUN` or more is a clipped band.
    """
    y = np.asarray(intensity, dtype=float)
    if y.size == 0:
        return 0
    top = float(np.max(y))
    at = np.abs(y - top) <= 1e-9 * max(abs(top), 1e-300)
    edges = np.diff(np.concatenate(([0], at.astype(np.int8), [0])))
    return int(np.max(np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)))


def spectrum_clipped_run(spectrum: Spectrum) -> int:
    """:func:`clipped_run` of a spectrum at its strongest band: the minimum in transmittance
    units (a band absorbing all the light), else the maximum."""
    y = np.asarray(spectrum.intensity, dtype=float)
    return clipped_run(-y if spectrum.y_unit in DIP_UNITS else y)
