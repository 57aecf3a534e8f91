"""How much signal a spectrum carries, and whether it was clipped: its noise, its strongest
band, their ratio, runs of points at the strongest value (a saturated detector), and the
atmospheric CO2 doublet an IR spectrum picks up when its background was measured with a
different amount of CO2 in the beam, and an axis that is not in cm⁻¹ at all (a Raman
spectrum's wavelengths in nm, an IR spectrum's in µm).

Cosmic-ray spikes are defined here once (:func:`find_spikes`): identification's pipeline
replaces what it finds (:func:`forensic.processing.remove_spikes`), and the library's
validation reports the same points.

Pure functions, shared by the library's quality gates (:mod:`forensic.curation.validation`, a
reference must rise well above its noise), by identification (:func:`forensic.identify`, a query
that barely rises above its noise was probably measured with nothing in the beam) and by the
peak evidence (:mod:`forensic.alignment`, :mod:`forensic.mixtures`: a band must stand well above
the noise).

Two noise estimators, for two kinds of input, both the robust standard deviation
(:func:`robust_sigma`) of a high-pass residual:

- :func:`noise_sigma`, from point-to-point differences, for spectra as measured, whose noise is
  white (independent from one point to the next);
- :func:`noise_level`, from the residual of a wide Savitzky-Golay fit, for spectra that have
  been smoothed or resampled, whose noise is correlated over a few points (point-to-point
  differences miss about half of it when it is smoothed over a point or two).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy import ndimage, signal

from forensic.arguments import argument
from forensic.errors import SpectrumError
from forensic.spectrum import (
    IR_MICROMETRE_BELOW,
    IR_MICROMETRE_FROM_UM,
    TRANSMITTANCE_SCALE_RULE,
    TRANSMITTANCE_UNITS,
    Spectrum,
    transmittance_scale,
)

__all__ = [
    "ABSORBANCE_RANGE",
    "BACKGROUND_WINDOW_CM1",
    "CLIPPED_RUN",
    "CO2_MIN_FRACTION",
    "DIP_UNITS",
    "IR_AXIS_IN_UM",
    "IR_UM_NAMED",
    "NEGATIVE_MAJORITY",
    "RAMAN_AXIS_IN_NM",
    "RAMAN_SHIFT_EXPORT",
    "RAMAN_SHIFT_MIN_END_CM1",
    "RAMAN_SHIFT_RANGE_CM1",
    "SINGLE_CHANNEL_UNITS",
    "SPIKE_BASE_POINTS",
    "SPIKE_NARROWNESS",
    "SPIKE_THRESHOLD",
    "SPIKE_WIDTH",
    "UNIT_LABEL_SKEWNESS",
    "CO2Doublet",
    "Problem",
    "Spikes",
    "UnitLabelDoubt",
    "atmospheric_co2",
    "axis_unit_problem",
    "band_height",
    "clipped_run",
    "diagnose_axis_unit",
    "diagnose_flat",
    "diagnose_inverted",
    "diagnose_ir_range",
    "diagnose_ir_unit",
    "diagnose_negative",
    "diagnose_unit_label",
    "find_spikes",
    "ir_unit_problem",
    "laser_line_action",
    "laser_line_named",
    "noise_level",
    "noise_sigma",
    "robust_sigma",
    "signal_to_noise",
    "spectrum_atmospheric_co2",
    "spectrum_clipped_run",
    "spectrum_signal_to_noise",
    "spike_signal",
    "unit_label_doubt",
    "with_command_line_action",
]

RAMAN_SHIFT_RANGE_CM1 = (-1000.0, 5000.0)
"""No Raman spectrum reaches beyond these shifts (cm⁻¹): anti-Stokes lines stay within a few
hundred cm⁻¹ below the laser line, and no fundamental vibration lies above about 4200 (H₂);
the real Raman spectra in ``../shared/data`` span -155 to 4010. An axis beyond them is not a
Raman shift in cm⁻¹: most often a wavelength converted with the wrong unit or laser line."""

RAMAN_SHIFT_MIN_END_CM1 = 25.0
"""No Raman shift axis ends at or below this (cm⁻¹): even a low-frequency instrument measures
up to a few hundred cm⁻¹, and the library grids start at 50. An axis that does is in other units:
the scattered light's wavelength in µm (0.5-1.1) ends there, as an IR axis in µm (2.5-25)
does (:func:`diagnose_axis_unit`)."""

RAMAN_AXIS_IN_NM = "looks like a wavelength in nm, not a Raman shift in cm-1"
"""What :func:`diagnose_axis_unit` says of a Raman axis that looks like the scattered light's
wavelength (nm). Its action by default, ``convert with Spectrum.from_wavelength``, is for a
programmer: a command says what to run instead (its ``nm_action``, :func:`laser_line_action`)."""

_FROM_WAVELENGTH = "convert with Spectrum.from_wavelength"
"""The action of a Raman axis that looks like nm, for a Python caller."""

_UM_FROM_WAVELENGTH = (
    "export the spectrum against Raman shift in cm-1, or multiply wavelengths in µm by 1000 "
    "and convert the nm with Spectrum.from_wavelength"
)
"""The action of a Raman axis that looks like µm, for a Python caller."""

RAMAN_SHIFT_EXPORT = "export the spectrum against Raman shift in cm-1"
"""The action of a Raman axis that looks like µm at the command line, where no command reads
one: the instrument's software exports the spectrum against Raman shift."""

IR_AXIS_IN_UM = (
    "looks like an IR spectrum's wavelength in µm (2.5-25 µm is 4000-400 cm-1), not a "
    "wavenumber in cm-1"
)
"""What :func:`diagnose_axis_unit` says of an axis that looks like an IR spectrum's wavelength
in µm (:data:`~forensic.spectrum.IR_MICROMETRE_FROM_UM`,
:data:`~forensic.spectrum.IR_MICROMETRE_BELOW`)."""

_UM_TO_WAVENUMBER = (
    "convert it with forensic.spectrum.micrometre_to_wavenumber: wavenumber in cm-1 = 10000 / "
    "wavelength in µm"
)
"""The action of an axis that looks like an IR spectrum's wavelength in µm, for a Python
caller."""

IR_UM_NAMED = (
    "if it is, name its unit in the file, and forensic converts it as it reads it, wavenumber "
    "in cm-1 = 10000 / µm: a CSV file's columns headed 'wavelength (µm)' and its intensities' "
    "unit, 'absorbance' or 'transmittance'; a JCAMP-DX file's ##XUNITS=MICROMETERS; else "
    "export the spectrum against wavenumber in cm-1"
)
"""The action of an axis that looks like an IR spectrum's wavelength in µm at the command
line: its file, the unit named, is read in µm and converted (the readers convert an axis
whose unit is named; one whose unit is not named is taken for µm only in a CSV file read as
IR), or the instrument's software exports the spectrum against wavenumber."""

NEGATIVE_MAJORITY = 0.5
"""More than this share of negative intensities is no spectrum as measured: counts, absorbance
and transmittance are positive (:func:`diagnose_negative`)."""

BACKGROUND_WINDOW_CM1 = 150.0
"""Width of the running window that separates bands (narrower) from background (broader)."""

DIP_UNITS = frozenset({*TRANSMITTANCE_UNITS, "reflectance"})
"""Intensity units in which bands are dips, not peaks."""

SINGLE_CHANNEL_UNITS = frozenset({"arbitrary", "counts", "counts_per_second"})
"""Intensity units of an IR file that holds no absorbance, transmittance or Kubelka-Munk: a
single-channel (sample or background) spectrum, or a file that does not say."""

CLIPPED_RUN = 3
"""This many consecutive points at exactly the strongest value is a clipped (saturated) band:
measured noise makes even three equal neighbours at the top unlikely."""

SPIKE_THRESHOLD = 8.0
"""A spike stands more than this robust z-score above the median of its neighbours
(:func:`find_spikes`)..."""

SPIKE_WIDTH = 2
"""...is at most this many points wide (the median is taken over ``2 width + 1`` points)..."""

SPIKE_NARROWNESS = 0.6
"""...and makes up more than this share of its height above the lowest point within
:data:`SPIKE_BASE_POINTS`: a band, even a sharp one four points wide, is mostly supported by
its neighbours (~0.2 of its height), a cosmic ray is not (~1)."""

SPIKE_BASE_POINTS = 10
"""How many points either side of a point its height is measured from (the lowest of them)."""

SPIKE_BAND_WIDTH_RATIO = 0.75
"""An excursion the spike test finds is a real band, not a cosmic ray, when its width at half
height is at least this share of the median width of the (up to) :data:`SPIKE_NEIGHBOUR_BANDS`
bands nearest to it, and at least :data:`SPIKE_MIN_BAND_POINTS` points: a coarsely sampled
spectrum draws every sharp band two or three points wide (HDPE's C-C stretches at 1063, 1130
and 1296 cm-1 at a 3 cm-1 step), a cosmic ray is narrower than the spectrum's own bands."""

SPIKE_NEIGHBOUR_BANDS = 3
"""How many of the nearest bands a spike's width is compared with."""

SPIKE_MIN_BAND_POINTS = 1.5
"""Least width at half height (points) of a band: a one-pixel cosmic ray, about one point
wide, is never taken for a band, however narrow the spectrum's bands."""

SPIKE_BAND_PROMINENCE = 0.05
"""Least prominence, as a share of the signal (:func:`spike_signal`), of a band a spike's width
is compared with."""


_NOISE_WINDOW, _NOISE_ORDER = 21, 3
_NOISE_COEFFS = signal.savgol_coeffs(_NOISE_WINDOW, _NOISE_ORDER)
_NOISE_SCALE = float(np.sqrt(1.0 - _NOISE_COEFFS[_NOISE_WINDOW // 2]))


def robust_sigma(values: np.ndarray) -> float:
    """Robust standard deviation: the median absolute deviation divided by 0.6745.

    0.6745 is the MAD of a unit normal distribution, so for normally distributed values this
    estimates their standard deviation (1.4826 times the MAD), while a minority of outliers (band
    points, spikes) barely moves it. The one place this estimator is written: the noise
    estimators here and :func:`forensic.mixtures.has_structured_residual` use it.

    Parameters
    ----------
    values : numpy.ndarray
        Any shape, taken flat.

    Returns
    -------
    float
        In the unit of ``values``; 0 for no values.
    """
    d = np.asarray(values, dtype=float)
    if d.size == 0:
        return 0.0
    return float(np.median(np.abs(d - np.median(d))) / 0.6745)


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
    return float(robust_sigma(d) / np.sqrt(2.0))


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
    return float(robust_sigma(d) / _NOISE_SCALE)


class Spikes(NamedTuple):
    """The spikes :func:`find_spikes` found in a spectrum.

    Attributes
    ----------
    points : numpy.ndarray
        Shape (S,), int: the indices of the spike points, ascending (a two-point spike is two).
    excess : numpy.ndarray
        Shape (S,): how far each stands above the median of its neighbours, in the spectrum's
        intensity units.
    bands : numpy.ndarray
        Shape (B,), int: the indices of points that stand out as much but are as wide as the
        bands near them (:data:`SPIKE_BAND_WIDTH_RATIO`): sharp real bands, not spikes, and
        not in ``points``.
    """

    points: np.ndarray
    excess: np.ndarray
    bands: np.ndarray = np.zeros(0, dtype=int)


def spike_signal(intensity: np.ndarray) -> float:
    """The signal spikes and bands are measured against: the strongest point above the 5th
    percentile (the baseline, whatever the fluorescence).

    Parameters
    ----------
    intensity : numpy.ndarray
        Shape (N,).

    Returns
    -------
    float
        In the unit of ``intensity``.
    """
    y = np.asarray(intensity, dtype=float)
    return float(np.max(y) - np.percentile(y, 5)) if y.size else 0.0


def _band_like(y: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Which of ``candidates`` (points the spike test found, ascending) belong to an excursion
    as wide at half height as the bands nearest to it: each run of adjacent candidates is judged
    by its highest point, and the candidates are not counted as bands."""
    out = np.zeros(candidates.size, dtype=bool)
    peaks, _ = signal.find_peaks(y, prominence=SPIKE_BAND_PROMINENCE * spike_signal(y))
    near_candidate = np.any(np.abs(peaks[:, None] - candidates[None, :]) <= 2, axis=1)
    bands = peaks[~near_candidate]
    if bands.size == 0:
        return out
    band_widths = signal.peak_widths(y, bands, rel_height=0.5)[0]
    runs = np.split(np.arange(candidates.size), np.flatnonzero(np.diff(candidates) > 1) + 1)
    tops = np.array([candidates[run[np.argmax(y[candidates[run]])]] for run in runs])
    with warnings.catch_warnings():  # a top that is no local maximum: width 0, a spike
        warnings.simplefilter("ignore", RuntimeWarning)  # scipy's PeakPropertyWarning
        widths = signal.peak_widths(y, tops, rel_height=0.5)[0]
    for run, top, width in zip(runs, tops, widths, strict=True):
        nearest = np.argsort(np.abs(bands - top))[:SPIKE_NEIGHBOUR_BANDS]
        typical = float(np.median(band_widths[nearest]))
        out[run] = width >= SPIKE_MIN_BAND_POINTS and width >= SPIKE_BAND_WIDTH_RATIO * typical
    return out


def find_spikes(
    intensity: np.ndarray,
    *,
    threshold: float = SPIKE_THRESHOLD,
    width: int = SPIKE_WIDTH,
    narrowness: float = SPIKE_NARROWNESS,
) -> Spikes:
    """Cosmic-ray spikes: excursions of one or two points that no band can make.

    The one definition of a spike: :func:`forensic.processing.remove_spikes` replaces what it
    finds (with the same parameters, which its pipeline records) and the library's validation
    gate reports the same points. A point is a spike when it stands above the median of its
    ``2 width + 1`` neighbours by more than ``threshold`` times the noise (a robust z-score:
    the median absolute deviation of that residual over the whole spectrum, / 0.6745) and
    when that excess is more than ``narrowness`` of its height above the lowest point within
    :data:`SPIKE_BASE_POINTS` either side. Counted in points, not cm⁻¹: a cosmic ray strikes
    one or two detector pixels, whatever the axis. An excursion that passes both tests but is
    as wide at half height as the bands near it (:data:`SPIKE_BAND_WIDTH_RATIO`) is a sharp
    band of a coarsely sampled spectrum, not a spike: it is returned apart, and left in place.

    Parameters
    ----------
    intensity : numpy.ndarray
        Shape (N,), as measured (before any smoothing or resampling).
    threshold : float, default :data:`SPIKE_THRESHOLD`
        Robust z-score above which an excursion can be a spike; positive.
    width : int, default :data:`SPIKE_WIDTH`
        Widest spike, in points; 1 or more.
    narrowness : float, default :data:`SPIKE_NARROWNESS`
        Share of its local height that must be unsupported by the neighbours, in (0, 1].

    Returns
    -------
    Spikes
        The spike points and how far each stands out, and the sharp bands told apart from
        them; none when the residual has no spread (a spectrum smoother than its median:
        nothing stands out of noise it does not have).

    Raises
    ------
    SpectrumError
        For a parameter outside its range.
    """
    if threshold <= 0:
        raise SpectrumError(f"spike detection: threshold must be positive, got {threshold}")
    if width < 1:
        raise SpectrumError(f"spike detection: width must be >= 1 point, got {width}")
    if not 0 < narrowness <= 1:
        raise SpectrumError(f"spike detection: narrowness must be in (0, 1], got {narrowness}")
    y = np.asarray(intensity, dtype=float)
    excess = y - ndimage.median_filter(y, size=2 * width + 1, mode="nearest")
    centre = float(np.median(excess))
    mad = float(np.median(np.abs(excess - centre)))
    if not mad > 0:
        return Spikes(np.zeros(0, dtype=int), np.zeros(0))
    z = 0.6745 * (excess - centre) / mad
    height = y - ndimage.minimum_filter1d(y, size=2 * SPIKE_BASE_POINTS + 1, mode="nearest")
    spikes = (z > threshold) & (excess > narrowness * np.where(height > 0, height, np.inf))
    candidates = np.flatnonzero(spikes)
    if candidates.size == 0:
        return Spikes(candidates, excess[candidates], candidates)
    band = _band_like(y, candidates)
    points = candidates[~band]
    return Spikes(points, excess[points], candidates[band])


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


NOISELESS_SNR = 1e6
"""The signal-to-noise given to a spectrum whose noise cannot be found (a modelled spectrum,
an export whose noise was smoothed, clipped or quantised away): a finite ceiling, so that the
figure can be recorded and compared, and no measured spectrum reaches it."""


def signal_to_noise(wavenumber: np.ndarray, intensity: np.ndarray) -> float:
    """:func:`band_height` over :func:`noise_sigma`, at most :data:`NOISELESS_SNR`.

    :data:`NOISELESS_SNR` for a spectrum with a band and no noise to be found, 0 for a
    spectrum without any band (flat).

    Parameters
    ----------
    wavenumber : numpy.ndarray
        Shape (G,), cm⁻¹.
    intensity : numpy.ndarray
        Shape (G,), bands pointing up.

    Returns
    -------
    float
        The ratio, 0 to :data:`NOISELESS_SNR`.
    """
    sigma = noise_sigma(intensity)
    height = band_height(wavenumber, intensity)
    if height <= 0:
        return 0.0
    if sigma <= height / NOISELESS_SNR:
        return NOISELESS_SNR
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


def diagnose_flat(spectrum: Spectrum) -> Problem | None:
    """Why a spectrum without any band is no measurement of a sample, and what to do; or None.

    Flat means :func:`spectrum_signal_to_noise` 0: nothing rises above the background, as in
    an all-zero export or a constant line. Its strongest value runs the whole spectrum long,
    but that is no clipped band (:func:`clipped_run`): there is no band to clip.

    Parameters
    ----------
    spectrum : Spectrum
        As read, before preprocessing.

    Returns
    -------
    Problem or None
        The fact says it is flat (and the one value, when every intensity is the same).
    """
    if spectrum_signal_to_noise(spectrum) > 0:
        return None
    y = np.asarray(spectrum.intensity, dtype=float)
    level = f" (every intensity is {y[0]:g})" if np.ptp(y) == 0 else ""
    return Problem(
        f"the spectrum is flat: it has no band at all{level}, an empty or failed measurement",
        "check that the sample is in the beam, the laser or source is on and the exposure long "
        "enough, then measure again",
    )


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
    units (a band absorbing all the light), else the maximum.

    Parameters
    ----------
    spectrum : Spectrum
        As read, before preprocessing.

    Returns
    -------
    int
        Points in the longest run at the extreme; :data:`CLIPPED_RUN` or more is a clipped
        band.
    """
    y = np.asarray(spectrum.intensity, dtype=float)
    return clipped_run(-y if spectrum.y_unit in DIP_UNITS else y)


def diagnose_clipped(spectrum: Spectrum) -> Problem | None:
    """Why a spectrum's strongest band cannot be trusted in shape and height, and what to do;
    or None.

    :data:`CLIPPED_RUN` or more points at exactly its extreme (:func:`spectrum_clipped_run`)
    is a band clipped by a saturated detector (Raman) or absorbing beyond the instrument's
    range (IR): what to change to measure it whole depends on which.

    Parameters
    ----------
    spectrum : Spectrum
        As measured (before preprocessing).

    Returns
    -------
    Problem or None
    """
    clipped = spectrum_clipped_run(spectrum)
    if clipped < CLIPPED_RUN:
        return None
    return Problem(
        f"the strongest band is clipped ({clipped} points at exactly the same extreme value): "
        "the detector saturated or the band absorbs beyond the instrument's range, so band "
        "shapes and relative intensities are distorted",
        "measure again with less sample in the beam (a thinner film, less sample in the KBr disc)"
        if spectrum.modality == "ir"
        else "measure again with a shorter exposure or lower laser power",
    )


# -- atmospheric CO2 ---------------------------------------------------------------------------
#
# Gas-phase CO2 absorbs at 2349 cm-1 (antisymmetric stretch) as two rotational branches, P near
# 2338 and R near 2361 cm-1, with a gap at the band centre. When the amount of CO2 in the beam
# changes between the background and the sample measurement (a door opened, people breathing in
# a van), the ratio leaves that doublet in the spectrum, up or down. Its bending band at
# 667 cm-1 is weaker and lies among the bands of the sample, so it is not looked for.

CO2_MIN_FRACTION = 0.05
"""A CO2 doublet this large, as a fraction of the spectrum's intensity range, is worth telling
the person who measured it (:func:`spectrum_atmospheric_co2`). Smaller ones turn up in good
reference spectra and change nothing worth a new measurement: of the 400 RRUFF IR files in
``../shared/data``, five show one of 0.4-3 % of their range and one (Argesite) of 7 %."""

_CO2_P_BRANCH_CM1 = (2325.0, 2348.0)
_CO2_R_BRANCH_CM1 = (2350.0, 2375.0)
_CO2_FLANKS_CM1 = ((2250.0, 2290.0), (2400.0, 2440.0))  # the straight line under the doublet
_CO2_MAX_STEP_CM1 = 8.0  # coarser sampling cannot show two branches
_CO2_MIN_NOISE = 8.0  # each branch stands this many noise standard deviations above the line
_CO2_MAX_GAP = 0.97  # the centre dips below this fraction of the weaker branch: two maxima
_CO2_MAX_FLANK = 0.3  # the flanks stay within this fraction of the stronger branch of the line


@dataclass(frozen=True)
class CO2Doublet:
    """An atmospheric CO2 doublet found in an IR spectrum (see :func:`atmospheric_co2`).

    Attributes
    ----------
    p_branch_cm1, r_branch_cm1 : float
        Positions of the two branch maxima (cm-1).
    height : float
        Signed height of the stronger branch above the straight line between the flanks, in the
        unit of the intensities (in absorbance, negative when the background held more CO2
        than the air at the sample measurement).
    fraction : float
        ``abs(height)`` as a fraction of the spectrum's intensity range.
    """

    p_branch_cm1: float
    r_branch_cm1: float
    height: float
    fraction: float


def atmospheric_co2(wavenumber: np.ndarray, intensity: np.ndarray) -> CO2Doublet | None:
    """The atmospheric CO2 doublet near 2349 cm-1 in an IR spectrum, or None.

    Above the straight line through the medians of the flanks (2250-2290 and 2400-2440 cm-1),
    up or down, the spectrum must show a P branch (2325-2348 cm-1) and an R branch
    (2350-2375 cm-1), each at least 8 noise standard deviations high, with a dip between them
    (below 0.97 of the weaker), while the flanks stay within 0.3 of the stronger branch of the
    line. The dip and the flat flanks are what set the gas apart from a band of the sample in
    this region: the N-H+ stretch of an amine hydrochloride is one broad band running past
    2400 cm-1, and a nitrile, an alkyne or a P-H band is a single peak.

    Parameters
    ----------
    wavenumber, intensity : numpy.ndarray
        Shape (G,). Any IR intensity unit; the doublet may point either way.

    Returns
    -------
    CO2Doublet or None
        None as well when the spectrum does not cover both flanks, is sampled more coarsely
        than every 8 cm-1 or holds NaN.
    """
    x = np.asarray(wavenumber, dtype=float)
    y = np.asarray(intensity, dtype=float)
    if x.size < 3 or not np.all(np.isfinite(y)):
        return None
    flanks = [(x >= lo) & (x <= hi) for lo, hi in _CO2_FLANKS_CM1]
    if not all(f.sum() >= 2 for f in flanks):
        return None
    inside = (x >= _CO2_FLANKS_CM1[0][0]) & (x <= _CO2_FLANKS_CM1[1][1])
    order = np.argsort(x[inside])
    xs, ys = x[inside][order], y[inside][order]
    if float(np.median(np.diff(xs))) > _CO2_MAX_STEP_CM1:
        return None
    x0, x1 = (float(x[f].mean()) for f in flanks)
    y0, y1 = (float(np.median(y[f])) for f in flanks)
    residual = ys - (y0 + (y1 - y0) * (xs - x0) / (x1 - x0))
    in_flanks = (xs <= _CO2_FLANKS_CM1[0][1]) | (xs >= _CO2_FLANKS_CM1[1][0])
    p_mask = (xs >= _CO2_P_BRANCH_CM1[0]) & (xs <= _CO2_P_BRANCH_CM1[1])
    r_mask = (xs >= _CO2_R_BRANCH_CM1[0]) & (xs <= _CO2_R_BRANCH_CM1[1])
    if not (p_mask.any() and r_mask.any()):
        return None
    noise = noise_sigma(y)
    span = float(np.ptp(y))
    best = None
    for sign in (1.0, -1.0):
        e = sign * residual
        ip = np.flatnonzero(p_mask)[np.argmax(e[p_mask])]
        ir = np.flatnonzero(r_mask)[np.argmax(e[r_mask])]
        if ir - ip < 2:  # no point between the branches: no dip to see
            continue
        weaker, stronger = min(e[ip], e[ir]), max(e[ip], e[ir])
        doublet = (
            weaker > 0
            and weaker >= _CO2_MIN_NOISE * noise
            and e[ip + 1 : ir].min() < _CO2_MAX_GAP * weaker
            and np.abs(residual[in_flanks]).max() <= _CO2_MAX_FLANK * stronger
        )
        if doublet and (best is None or stronger > abs(best.height)):
            best = CO2Doublet(
                float(xs[ip]), float(xs[ir]), float(sign * stronger), float(stronger / span)
            )
    return best


def spectrum_atmospheric_co2(
    spectrum: Spectrum, *, min_fraction: float = CO2_MIN_FRACTION
) -> CO2Doublet | None:
    """The atmospheric CO2 doublet of an IR spectrum as measured, when it is large enough to
    mention: at least ``min_fraction`` of the intensity range; None otherwise and for Raman.

    Parameters
    ----------
    spectrum : Spectrum
        As measured (before preprocessing), in any IR unit.
    min_fraction : float
        Least height of the doublet's stronger branch, as a fraction of the intensity range.

    Returns
    -------
    CO2Doublet or None
    """
    if spectrum.modality != "ir":
        return None
    doublet = atmospheric_co2(spectrum.wavenumber, spectrum.intensity)
    if doublet is None or doublet.fraction < min_fraction:
        return None
    return doublet


class Problem(NamedTuple):
    """What is wrong with a spectrum, and what to do about it.

    ``fact`` says what is wrong and what it means, as a record or a report states it; ``action``
    what whoever holds the spectrum can do about it, for their screen (empty when there is
    nothing to do). ``str()`` gives both as one sentence, the fact with the action in brackets,
    as a curation problem states it.

    Attributes
    ----------
    fact : str
        What is wrong and what it means.
    action : str
        What to do about it; empty when there is nothing to do.
    """

    fact: str
    action: str = ""

    def __str__(self) -> str:
        return f"{self.fact} ({self.action})" if self.action else self.fact


def laser_line_named(spectrum: Spectrum) -> float | None:
    """The laser line (nm) a spectrum's metadata names (``laser_wavelength_nm``), when it is a
    positive number; else None.

    Parameters
    ----------
    spectrum : Spectrum
        Any spectrum.

    Returns
    -------
    float or None
        The laser wavelength in nm.
    """
    laser = spectrum.metadata.get("laser_wavelength_nm")
    if isinstance(laser, (int, float)) and not isinstance(laser, bool) and laser > 0:
        return float(laser)
    return None


def laser_line_action(how: str) -> str:
    """What to do with a Raman axis that looks like a wavelength in nm, as a command says it
    that reads such an axis once told the laser line (``forensic library import
    --laser-nm``): the one wording of every command's ``nm_action``.

    Parameters
    ----------
    how : str
        How to tell it the laser line, for the command the user ran.

    Returns
    -------
    str
        The action, for :func:`diagnose_axis_unit`'s ``nm_action``.

    Examples
    --------
    >>> laser_line_action("import it again with --laser-nm 785")
    'if it is, import it again with --laser-nm 785: its axis is then read in nm and converted to Raman shift'
    """  # noqa: E501
    return f"if it is, {how}: its axis is then read in nm and converted to Raman shift"


def with_command_line_action(text: str, nm_action: str, ir_um_action: str = IR_UM_NAMED) -> str:
    """A message that quotes a problem of :func:`diagnose_axis_unit` as a Python caller is told
    it (the reason a library build leaves a reference out), as a command says it: the action
    for a Raman axis in nm replaced by ``nm_action``, the one for a Raman axis in µm by
    :data:`RAMAN_SHIFT_EXPORT`, the one for an IR spectrum's axis in µm by ``ir_um_action``.

    Parameters
    ----------
    text : str
        The message.
    nm_action : str
        What the command says to do with an axis in nm (:func:`laser_line_action`).
    ir_um_action : str
        What the command says to do with an IR spectrum's axis in µm (default
        :data:`IR_UM_NAMED`: name the unit in the file, which is then converted as read).

    Returns
    -------
    str
        The message, the rest of it unchanged.
    """
    return (
        text.replace(f"({_FROM_WAVELENGTH})", f"({nm_action})")
        .replace(f"({_UM_FROM_WAVELENGTH})", f"({RAMAN_SHIFT_EXPORT})")
        .replace(f"({_UM_TO_WAVENUMBER})", f"({ir_um_action})")
    )


def diagnose_axis_unit(spectrum: Spectrum, *, nm_action: str | None = None) -> Problem | None:
    """Why the spectrum's axis looks like it is not a wavenumber in cm⁻¹, and what to do; or None.

    A Raman spectrum exported against the scattered light's wavelength (400-1100 nm, a span of
    a few hundred nm, or an axis that starts at the laser line; in µm, an axis ending at or
    below :data:`RAMAN_SHIFT_MIN_END_CM1`) and an IR spectrum in µm or nm
    (an axis ending below 25 or above 8000) both read as numbers a reader cannot tell from
    cm⁻¹, and both are compared with the library at the wrong positions. Raman shifts do not
    start at 400 cm⁻¹ and stop before 1100 cm⁻¹ on any instrument that records the
    fingerprint region, so the rule does not catch measured shifts. An axis no vibrational
    spectrum can have is caught too: Raman shifts beyond :data:`RAMAN_SHIFT_RANGE_CM1` (as
    numbers already in cm⁻¹ give when a header calls them nm and they are converted with the
    laser line: -111291 to 9676 for 80-3265 at 785 nm), a negative IR wavenumber.

    Parameters
    ----------
    spectrum : Spectrum
        Its ``laser_wavelength_nm`` metadata, when present, sharpens the Raman rule.
    nm_action : str, optional
        What to do with a Raman axis that looks like a wavelength in nm, for the command that
        asks (:func:`laser_line_action`); a Raman axis in µm is then told to be exported
        against Raman shift (:data:`RAMAN_SHIFT_EXPORT`), and an IR spectrum's axis in µm
        (an IR axis ending below :data:`~forensic.spectrum.IR_MICROMETRE_BELOW`, or one read
        as Raman from :data:`~forensic.spectrum.IR_MICROMETRE_FROM_UM` up) to have its unit
        named in its file, which the readers then convert (:data:`IR_UM_NAMED`). By
        default, for a Python caller: convert with :meth:`Spectrum.from_wavelength`, or
        with :func:`~forensic.spectrum.micrometre_to_wavenumber` an IR spectrum in µm.

    Returns
    -------
    Problem or None
        The fact names the axis and what it looks like; the action says how to put it right.
    """
    x = spectrum.wavenumber
    first, last = float(x[0]), float(x[-1])
    if spectrum.modality == "raman":
        low, high = RAMAN_SHIFT_RANGE_CM1
        if first < low or last > high:
            converted = next(
                (s for s in spectrum.history if s.name == "wavelength_to_raman_shift"), None
            )
            how = (
                ""
                if converted is None
                else (
                    ": it was converted from wavelengths in nm with the "
                    f"{converted.params.get('laser_wavelength_nm', '?'):g} nm laser line, so "
                    "either the file's numbers are not wavelengths in nm (Raman shifts already?) "
                    "or the laser line is wrong"
                )
            )
            return Problem(
                f"axis {first:.0f}-{last:.0f} cm-1: no Raman spectrum reaches beyond "
                f"{low:.0f} to {high:.0f} cm-1 (anti-Stokes lines stay within a few hundred "
                f"cm-1 below the laser line){how}",
                "check the file's axis unit and laser line, or export the spectrum against "
                "Raman shift in cm-1",
            )
        if last <= RAMAN_SHIFT_MIN_END_CM1 and first >= IR_MICROMETRE_FROM_UM:
            return Problem(
                f"axis {first:.4g}-{last:.4g}: ends below {RAMAN_SHIFT_MIN_END_CM1:g}, which no "
                f"Raman shift axis in cm-1 does; it {IR_AXIS_IN_UM}",
                _UM_TO_WAVENUMBER if nm_action is None else IR_UM_NAMED,
            )
        if last <= RAMAN_SHIFT_MIN_END_CM1:
            return Problem(
                f"axis {first:.4g}-{last:.4g}: ends below {RAMAN_SHIFT_MIN_END_CM1:g}, which no "
                "Raman shift axis in cm-1 does (the bands of substances lie above 50 cm-1); it "
                "may be a wavelength in µm",
                _UM_FROM_WAVELENGTH if nm_action is None else RAMAN_SHIFT_EXPORT,
            )
        looks_nm = first >= 400 and last <= 1100 and (last - first) < 700
        laser = laser_line_named(spectrum)
        if laser is not None:
            looks_nm = looks_nm or (abs(first - laser) < 5 and last < laser + 600)
        if looks_nm:
            return Problem(
                f"axis {first:.0f}-{last:.0f}: {RAMAN_AXIS_IN_NM}",
                _FROM_WAVELENGTH if nm_action is None else nm_action,
            )
    elif first < 0:
        return Problem(
            f"axis {first:.4g}-{last:.4g}: an IR wavenumber cannot be negative; the axis is not "
            "in cm-1 or was converted with the wrong unit",
            "check the file's axis unit, or export the spectrum against wavenumber in cm-1",
        )
    elif last < IR_MICROMETRE_BELOW:
        return Problem(
            f"axis {first:.4g}-{last:.4g}: {IR_AXIS_IN_UM}",
            _UM_TO_WAVENUMBER if nm_action is None else IR_UM_NAMED,
        )
    elif last > 8000:
        return Problem(
            f"axis {first:.4g}-{last:.4g}: not a mid-IR wavenumber range in cm-1; it may be in nm",
            "convert it to wavenumbers in cm-1",
        )
    return None


def axis_unit_problem(spectrum: Spectrum, *, nm_action: str | None = None) -> str | None:
    """:func:`diagnose_axis_unit` in one sentence (its fact, then its action in brackets), or
    None: to show as a curation problem.

    Parameters
    ----------
    spectrum : Spectrum
        As read, before preprocessing.
    nm_action : str, optional
        As for :func:`diagnose_axis_unit`: the action of a command that asks.

    Returns
    -------
    str or None
        The problem, or None when the axis looks like wavenumbers in cm⁻¹.
    """
    problem = diagnose_axis_unit(spectrum, nm_action=nm_action)
    return None if problem is None else str(problem)


def diagnose_ir_unit(spectrum: Spectrum) -> Problem | None:
    """Why an IR spectrum's intensity unit cannot be compared with the library, and what to do;
    or None.

    The IR pipeline (:mod:`forensic.processing`) turns transmittance into absorbance and
    compares bands that rise: absorbance, Kubelka-Munk. In reflectance the bands are dips that
    nothing turns over, so they would be compared upside down; counts or arbitrary units are a
    single-channel spectrum (the sample's or the background's beam, no ratio taken) or a unit
    the file does not say. Either way a reference made of it never finds its own substance, and
    a query compared in it finds nothing right.

    Parameters
    ----------
    spectrum : Spectrum
        Only an IR spectrum can have a problem here.

    Returns
    -------
    Problem or None
        The fact names the unit and what it does to the comparison; the action says what to
        export or state instead.
    """
    if spectrum.modality != "ir":
        return None
    if spectrum.y_unit == "reflectance":
        return Problem(
            "IR intensities in reflectance: its bands are dips, and only transmittance is turned "
            "into absorbance, so they would be compared upside down",
            "convert it to absorbance, log10(1/R), or Kubelka-Munk in the instrument's software",
        )
    if spectrum.y_unit in SINGLE_CHANNEL_UNITS:
        return Problem(
            f"IR intensities in {spectrum.y_unit} units, not absorbance or transmittance: a "
            "single-channel spectrum (the sample's or the background's beam) or a unit the file "
            "does not say",
            "export the sample's absorbance or transmittance, or state the unit with --y-unit if "
            "it is one",
        )
    return None


ABSORBANCE_RANGE = (-0.5, 6.0)
"""Absorbance outside this range is no absorbance spectrum: no instrument measures beyond a
few absorbance units (1e-6 of the light through), so higher values are transmittance or
percent taken for absorbance, or counts."""


def diagnose_ir_range(spectrum: Spectrum) -> Problem | None:
    """Why an IR spectrum's intensities cannot be in the unit it states, and what to do; or None.

    Transmittance is told a fraction or percent by :func:`~forensic.spectrum.transmittance_scale`,
    the rule the readers settle it by too: a spectrum whose values are on the other scale, or on
    neither (too high for a fraction, too low for percent, or beyond both), is flagged, so a
    scale a reader decided is never rejected here, and one it could not tell is said here too.
    Absorbance must lie within :data:`ABSORBANCE_RANGE`. A spectrum beyond them is in another
    unit than it says (percent taken for a fraction, transmittance or counts taken for
    absorbance), and is converted and compared wrongly.

    Parameters
    ----------
    spectrum : Spectrum
        An IR spectrum as read, before preprocessing.

    Returns
    -------
    Problem or None
        The problem, naming the range of the values; None when they fit the unit stated, or
        the unit is neither transmittance nor absorbance.
    """
    unit = spectrum.y_unit
    y = np.asarray(spectrum.intensity, dtype=float)
    low, high = float(y.min()), float(y.max())
    span = f"{low:.3g}..{high:.3g}"
    if unit in TRANSMITTANCE_UNITS:
        scale = transmittance_scale(y)
        if scale == unit:
            return None
        if unit == "transmittance" and scale == "percent_transmittance":
            return Problem(
                f"transmittance {span} is outside 0..1: the values are percent, or not "
                "transmittance",
                "state the unit percent_transmittance if it is percent",
            )
        if unit == "percent_transmittance" and scale == "transmittance":
            return Problem(
                f"percent transmittance with a maximum of {high:.3g}: looks like a fraction (0..1)",
                "state the unit transmittance",
            )
        named = "transmittance" if unit == "transmittance" else "percent transmittance"
        return Problem(
            f"{named} {span} is neither a fraction nor percent ({TRANSMITTANCE_SCALE_RULE}): "
            "which it is cannot be told, or the values are not transmittance",
            "export the spectrum in absorbance, or as transmittance within 0..1 or 0..100",
        )
    if unit == "absorbance" and (low < ABSORBANCE_RANGE[0] or high > ABSORBANCE_RANGE[1]):
        why = (
            "no instrument measures that much, so the values are transmittance, percent or "
            "counts, not absorbance"
            if high > ABSORBANCE_RANGE[1]
            else "far more light through the sample than through the background: a baseline "
            "or background subtracted wrongly, or not absorbance"
        )
        return Problem(
            f"absorbance {span} outside {ABSORBANCE_RANGE[0]:g}..{ABSORBANCE_RANGE[1]:g}: {why}",
            "state the file's real intensity unit",
        )
    return None


def ir_unit_problem(spectrum: Spectrum) -> str | None:
    """:func:`diagnose_ir_unit` in one sentence (its fact, then its action in brackets), or
    None: to show as a curation problem.

    Parameters
    ----------
    spectrum : Spectrum
        An IR spectrum as read, before preprocessing.

    Returns
    -------
    str or None
        The problem, or None when the unit can be compared.
    """
    problem = diagnose_ir_unit(spectrum)
    return None if problem is None else str(problem)


def _as_bands_up(spectrum: Spectrum) -> np.ndarray:
    """The intensities with bands pointing up as the unit says they do: negated in
    transmittance units (:data:`DIP_UNITS`), whose bands are dips."""
    y = np.asarray(spectrum.intensity, dtype=float)
    return -y if spectrum.y_unit in DIP_UNITS else y


def _bands_point_down(spectrum: Spectrum) -> bool:
    """Whether the spectrum reaches farther below its median than above it, its bands taken as
    dips in transmittance units: an inverted spectrum's bands point the other way."""
    y = _as_bands_up(spectrum)
    median = float(np.median(y))
    return median - float(y.min()) > float(y.max()) - median


UNIT_LABEL_SKEWNESS = -0.5
"""The skewness (of the values as absorbance) below which an IR spectrum whose bands point
down is taken to be labelled with the wrong unit (:func:`unit_label_doubt`)."""

_LABELLED_UNITS = frozenset({"absorbance", *TRANSMITTANCE_UNITS})


class UnitLabelDoubt(NamedTuple):
    """What :func:`unit_label_doubt` found: the unit an IR spectrum's values look like, and
    what they look like, in words.

    Attributes
    ----------
    other : str
        The unit the values look like.
    shape : str
        What the values look like, in words.
    """

    other: str
    """``"transmittance"`` for a spectrum labelled absorbance, ``"absorbance"`` for one labelled
    transmittance or percent transmittance."""
    shape: str
    """The values' shape that says so ("a baseline at the top with bands dipping from it")."""


def unit_label_doubt(spectrum: Spectrum) -> UnitLabelDoubt | None:
    """Whether an IR spectrum's values look like the other of absorbance and transmittance
    than its unit says; None when they do not, or the spectrum is not looked at.

    The one rule for it, a doubt and never a proof (:func:`diagnose_unit_label` gives its
    rates): taken as absorbance (negated when the unit is one of :data:`DIP_UNITS`), the
    values have bands that point down: they reach farther below their median than above it,
    and they are skewed to the low side (skewness below :data:`UNIT_LABEL_SKEWNESS`).
    Transmittance exported under an ``absorbance`` heading (baseline near 1, bands dipping
    towards 0), or absorbance under a ``transmittance`` one, looks so; so do some true
    spectra with broad bands.

    Parameters
    ----------
    spectrum : Spectrum
        As read; only an IR spectrum in absorbance, transmittance or percent transmittance
        is looked at.

    Returns
    -------
    UnitLabelDoubt or None
    """
    unit = spectrum.y_unit
    if spectrum.modality != "ir" or unit not in _LABELLED_UNITS:
        return None
    y = _as_bands_up(spectrum)
    sd = float(np.std(y))
    if sd == 0 or not _bands_point_down(spectrum):
        return None
    skewness = float(np.mean(((y - y.mean()) / sd) ** 3))
    if skewness >= UNIT_LABEL_SKEWNESS:
        return None
    if unit == "absorbance":
        return UnitLabelDoubt("transmittance", "a baseline at the top with bands dipping from it")
    return UnitLabelDoubt("absorbance", "a baseline at the bottom with bands rising from it")


def diagnose_unit_label(spectrum: Spectrum) -> Problem | None:
    """Whether a reference's IR values look like the other of absorbance and transmittance
    than its unit says (:func:`unit_label_doubt`), and what to check; or None. A warning,
    never a refusal.

    Transmittance exported under an ``absorbance`` heading, or absorbance under a
    ``transmittance`` one, lies inside the range the unit allows (:func:`diagnose_ir_range`)
    and is positive (:func:`diagnose_negative`), so nothing else objects; as a library
    reference it is compared upside down and its own substance is no longer found.

    The rule is a warning because it also fits some true spectra. Measured on
    ``../shared/data``: it flags 0 of the 104 ENFSI ATR-IR drug spectra (absorbance) and 14
    of the 490 absorbance spectra of ENFSI and RRUFF together (RRUFF minerals with broad
    bands: rutile, sphalerite, bornite, ...), and 410 of the same 490 converted to
    transmittance (10^-A) and labelled absorbance. So about 3 % of true absorbance spectra
    (none of the drugs) are warned of wrongly, and about 16 % of mislabelled ones are
    missed. It is used where a chemist states the unit of a reference (``library import``,
    ``library validate``'s units gate); not by ``library build``, where the RRUFF minerals
    would be warned of wrongly. On a query, identification takes the doubt only as a reason
    to compare the other reading too, and warns only when that matches far better
    (:func:`forensic.identify`).

    Parameters
    ----------
    spectrum : Spectrum
        As read; only an IR spectrum in absorbance, transmittance or percent transmittance
        is looked at.

    Returns
    -------
    Problem or None
        The fact names the unit and what the values look like; the action says to check the
        file and import it again with the right unit, by the arguments a Python caller gives
        (:func:`~forensic.arguments.argument`: ``y_unit='transmittance'``), which the command
        line says as its options (``--y-unit transmittance``).
    """
    doubt = unit_label_doubt(spectrum)
    if doubt is None:
        return None
    unit = spectrum.y_unit.replace("_", " ")
    # the unit to state: a transmittance's scale is the values' own
    stated = (
        transmittance_scale(spectrum.intensity) or "transmittance"
        if doubt.other == "transmittance"
        else doubt.other
    )
    return Problem(
        f"labelled {unit}, but its values look like {doubt.other} ({doubt.shape}): "
        f"if they are {doubt.other}, it would be compared upside down and not find its "
        "substance",
        f"check the file's intensity unit: if the values are {doubt.other}, state it over the "
        "unit the file names (import it again with "
        f"{argument('y_unit', stated)}, {argument('override_file')}, {argument('force')}: the "
        "statement is recorded with the reference, and the file stays as measured); broad "
        "bands, as some minerals have, can look so and be right",
    )


def diagnose_negative(spectrum: Spectrum) -> Problem | None:
    """Why a spectrum whose intensities are mostly negative cannot be taken as measured, and
    what to do; or None.

    More than :data:`NEGATIVE_MAJORITY` of the intensities below zero is an inverted spectrum
    when its bands point down as well (its sign flipped: ``##YFACTOR=-1``, an export that
    negates, sample and background swapped), otherwise a background or baseline subtracted too
    far (processed RRUFF IR files go to 71-85 % below zero with their bands pointing up).

    Parameters
    ----------
    spectrum : Spectrum
        As read, before preprocessing.

    Returns
    -------
    Problem or None
        The fact gives the share of negative intensities and what it means.
    """
    y = np.asarray(spectrum.intensity, dtype=float)
    share = float(np.mean(y < 0))
    if share <= NEGATIVE_MAJORITY:
        return None
    if _bands_point_down(spectrum):
        return Problem(
            f"{share:.0%} of the intensities are negative and the bands point down: the "
            "spectrum is inverted (its sign flipped, as by ##YFACTOR=-1, an export that negates "
            "or sample and background swapped), so its bands are compared upside down",
            "export the spectrum again with its intensities as measured, bands pointing up",
        )
    return Problem(
        f"{share:.0%} of the intensities are negative: a background or baseline subtracted too "
        "far, or a wrong background",
        "export the spectrum as measured, before background or baseline subtraction",
    )


def diagnose_inverted(spectrum: Spectrum) -> Problem | None:
    """:func:`diagnose_negative` when the spectrum is inverted (its bands point down too), else
    None: a spectrum compared upside down, where a baseline subtracted too far is compared
    right after the pipeline's own baseline correction.

    Parameters
    ----------
    spectrum : Spectrum
        As read, before preprocessing.

    Returns
    -------
    Problem or None
        That of :func:`diagnose_negative`, or None when the spectrum is not mostly negative or
        its bands point up.
    """
    problem = diagnose_negative(spectrum)
    return problem if problem is not None and _bands_point_down(spectrum) else None


COMPARISON_CHECKS = ("axis", "ir_unit", "ir_range", "inverted")
"""What :func:`comparison_problems` looks at, in the order it reports them."""


def comparison_problems(spectrum: Spectrum) -> list[tuple[str, Problem]]:
    """What makes comparing a spectrum with a library's meaningless, as a query or as a
    reference: the one place that decides it, for identification and library builds alike.

    Parameters
    ----------
    spectrum : Spectrum
        As read, before preprocessing.

    Returns
    -------
    list of (str, Problem)
        Each problem found, keyed by the check of :data:`COMPARISON_CHECKS` that found it: an
        axis not in cm-1 (:func:`diagnose_axis_unit`), an IR unit that is not absorbance or
        transmittance (:func:`diagnose_ir_unit`), IR values the stated unit cannot have
        (:func:`diagnose_ir_range`), a spectrum upside down (:func:`diagnose_inverted`).
        Empty when it can be compared.
    """
    found = {
        "axis": diagnose_axis_unit(spectrum),
        "ir_unit": diagnose_ir_unit(spectrum),
        "ir_range": diagnose_ir_range(spectrum) if spectrum.modality == "ir" else None,
        "inverted": diagnose_inverted(spectrum),
    }
    return [(check, found[check]) for check in COMPARISON_CHECKS if found[check] is not None]
