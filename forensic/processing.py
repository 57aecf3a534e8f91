"""Preprocessing: pure, named steps composed into a recorded, serialisable pipeline.

Every step has the shape ``step(spectrum, **params) -> Spectrum``: it never modifies its input,
and the spectrum it returns carries the step and the parameters it ran with in its
:attr:`~forensic.spectrum.Spectrum.history`, so a result or a report can state exactly what was
done to the data. A :class:`Pipeline` is an ordered list of ``(step name, params)`` that runs the
steps and can be written to and read from a small JSON-able dict.

The default pipelines (:func:`default_pipeline`) are the ones the library search uses:

Raman
    cosmic-ray spike removal -> resampling onto a 2 cm⁻¹ grid (50-3400 cm⁻¹, inside the measured
    range only) -> strong baseline removal for fluorescence (arPLS, asymmetrically reweighted
    penalised least squares, lam 1e5 per 2 cm⁻¹ point) -> square root of the intensities ->
    Savitzky-Golay first derivative (7 points) -> L2 normalisation.
IR
    transmittance -> absorbance (when the file is in transmittance) -> resampling onto a 2 cm⁻¹
    grid (400-4000 cm⁻¹), leaving out 50 cm⁻¹ at each end of the measured range (window and
    detector cut-offs: KBr, diamond ATR) -> gentle baseline removal (arPLS, lam 1e9: only a
    broad tilt or offset) -> absorbance to the power 0.85 -> Savitzky-Golay first derivative
    (17 points) -> L2 normalisation.

What is compared is a derivative: it removes any remaining slowly varying background and
weighs band positions and shapes rather than broad intensity. For Raman the square root is
taken of the baseline-corrected band intensities, before the derivative: it compresses the
relative band heights, which change with the laser (514/532 vs 780/785 nm), the instrument and
the crystal orientation, so a few very strong bands do not hide the weaker ones. (Taking the
root of the derivative instead compresses derivative values, not band heights: on leave-one-
sample-out over the RRUFF dev spectra, 6 random splits plus every sample, root-then-derivative
gets 0.858 mean top-1 over the splits vs 0.849, and 0.851 vs 0.844 over all 430 samples, better
or equal on every split; powers 0.4 and 0.6 get 0.850 and 0.847 against 0.5's 0.861.)

IR band heights vary less, but they vary between samples too (particle size, ATR contact,
strong bands near saturation in KBr), and a mineral's one very strong band (a carbonate,
silicate or sulfate stretch) can hide the weaker bands that tell it from its relatives. A
milder power, 0.85, takes the RRUFF IR dev spectra from 0.854 to 0.882 mean top-1 over the 6
splits and from 0.861 to 0.880 over all 108 samples, losing no query (powers 0.7 to 0.9 all
gain; 0.5 loses: 0.801). The power was chosen on those spectra; on the 104 ENFSI drug spectra
(``python -m benchmarks --only drugs``) the top-1 does not change. With 2 % noise added, fewer
of them passed the peak evidence for *identified* (163 instead of 174 of 208) while that
evidence took the query's bands from the query rebuilt from this representation; since it takes
them from the query's own spectrum (:func:`smooth_as_representation`), 188 do
(benchmarks/HISTORY.md, *Peak alignment and evidence*).

On the RRUFF dev split (``../shared/checks/3-identify-dev``) these choices take plain cosine
from 0.78/0.71 (Raman/IR) to 0.84/0.90 top-1 before alignment re-ranking.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

import numpy as np
from scipy.ndimage import convolve1d
from scipy.signal import savgol_coeffs, savgol_filter

from forensic.errors import GridCoverageError, SpectrumError
from forensic.quality import (
    SPIKE_NARROWNESS,
    SPIKE_THRESHOLD,
    SPIKE_WIDTH,
    find_spikes,
    noise_level,
)
from forensic.spectrum import (
    MIN_POINTS,
    MODALITIES,
    TRANSMITTANCE_UNITS,
    ProcessingStep,
    Spectrum,
    transmittance_to_absorbance,
)

__all__ = [
    "STEPS",
    "Pipeline",
    "compress_intensity",
    "default_pipeline",
    "derivative",
    "grid_from_params",
    "grid_range",
    "linear_from_representation",
    "linear_from_spectrum",
    "normalise",
    "remove_baseline",
    "remove_spikes",
    "representation_from_linear",
    "resample",
    "smooth",
    "smooth_as_representation",
    "split_representation",
    "to_absorbance",
]


# -- steps ------------------------------------------------------------------------------------


def remove_spikes(
    spectrum: Spectrum,
    *,
    threshold: float = SPIKE_THRESHOLD,
    width: int = SPIKE_WIDTH,
    narrowness: float = SPIKE_NARROWNESS,
) -> Spectrum:
    """Remove cosmic-ray spikes: the points :func:`forensic.quality.find_spikes` finds.

    The library's validation gate reports the same points, found by the same function. Spike
    points and one neighbour on either side are replaced by linear interpolation from the
    untouched points around them.

    Parameters
    ----------
    spectrum : Spectrum
    threshold : float, default 8.0
        Robust z-score above which an excursion can be a spike
        (:data:`~forensic.quality.SPIKE_THRESHOLD`).
    width : int, default 2
        Widest spike, in points (:data:`~forensic.quality.SPIKE_WIDTH`).
    narrowness : float, default 0.6
        Fraction of its local height that must be unsupported by the neighbours, 0 to 1
        (:data:`~forensic.quality.SPIKE_NARROWNESS`).

    Returns
    -------
    Spectrum
        With the step ``remove_spikes`` (and the number of replaced points) in its history.

    Raises
    ------
    SpectrumError
        For a parameter outside its range.
    """
    y = np.array(spectrum.intensity)
    found = find_spikes(y, threshold=threshold, width=width, narrowness=narrowness)
    replaced = 0
    if found.points.size:
        spikes = np.zeros(y.size, dtype=bool)
        spikes[found.points] = True
        bad = spikes.copy()
        bad[1:] |= spikes[:-1]
        bad[:-1] |= spikes[1:]
        good = ~bad
        if good.sum() >= 2:
            x = spectrum.wavenumber
            y[bad] = np.interp(x[bad], x[good], y[good])
            replaced = int(bad.sum())
    return spectrum.with_intensity(
        y,
        "remove_spikes",
        threshold=float(threshold),
        width=int(width),
        narrowness=float(narrowness),
        replaced_points=replaced,
    )


def to_absorbance(spectrum: Spectrum) -> Spectrum:
    """IR transmittance (fraction or percent) -> absorbance ``A = -log10(T)``; else unchanged.

    A spectrum already in absorbance (or any other unit) is returned as a copy with the step
    recorded as ``to_absorbance`` with ``applied=False``, so a pipeline can always include it.

    Parameters
    ----------
    spectrum : Spectrum

    Returns
    -------
    Spectrum
        In absorbance when it was in transmittance, otherwise as it was; the step
        ``to_absorbance`` (``applied`` True or False) in its history.
    """
    if spectrum.y_unit in TRANSMITTANCE_UNITS:
        converted = transmittance_to_absorbance(spectrum)
        return converted.with_intensity(converted.intensity, "to_absorbance", applied=True)
    return spectrum.with_intensity(spectrum.intensity, "to_absorbance", applied=False)


def grid_from_params(start: float, stop: float, step: float) -> np.ndarray:
    """The grid ``start, start + step, ... <= stop`` (cm⁻¹), computed the same way everywhere.

    Parameters
    ----------
    start, stop : float
        First point and upper bound of the grid (cm⁻¹); ``stop`` is included when the steps
        land on it.
    step : float
        Spacing (cm⁻¹), positive.

    Returns
    -------
    ndarray of float64, shape (G,)
        The grid (cm⁻¹).

    Raises
    ------
    SpectrumError
        A bound is not finite, ``stop <= start`` or ``step <= 0``.
    """
    if not (np.isfinite(start) and np.isfinite(stop) and np.isfinite(step)):
        raise SpectrumError(f"grid bounds must be finite, got {start}, {stop}, {step}")
    if step <= 0 or stop <= start:
        raise SpectrumError(
            f"grid needs start < stop and a positive step, got {start}-{stop} step {step} cm-1"
        )
    count = int(np.floor((stop - start) / step + 1e-9)) + 1
    return start + step * np.arange(count, dtype=np.float64)


def grid_range(grid: np.ndarray, wavenumber: np.ndarray) -> tuple[int, int]:
    """Where a spectrum resampled onto ``grid`` lies on it: grid indices ``[start, stop)``.

    Parameters
    ----------
    grid : numpy.ndarray
        Shape (G,), cm⁻¹: a pipeline's grid (:attr:`Pipeline.grid`).
    wavenumber : numpy.ndarray
        Shape (P,), cm⁻¹: the axis of a spectrum the pipeline's ``resample`` step put on it.

    Returns
    -------
    start, stop : int
        ``stop - start == P``.
    """
    start = int(np.argmin(np.abs(np.asarray(grid) - wavenumber[0])))
    return start, start + int(np.size(wavenumber))


def resample(
    spectrum: Spectrum,
    *,
    start: float,
    stop: float,
    step: float,
    trim_cm1: float = 0.0,
    min_points: int = 16,
) -> Spectrum:
    """Resample onto the grid ``start:stop:step`` (cm⁻¹), over the measured range only.

    Only grid points inside the spectrum's own range, less ``trim_cm1`` at each end, are kept:
    nothing is extrapolated. Trimming drops the edges of the measured range, where window and
    detector cut-offs (KBr, diamond ATR) leave noise and baseline fits go astray. Where
    the spectrum is sampled more finely than the grid, each grid value is the mean intensity
    over its ``step``-wide bin (the integral of the linear interpolant), which averages noise
    rather than aliasing it; elsewhere it is linear interpolation.

    Parameters
    ----------
    spectrum : Spectrum
    start, stop, step : float
        The grid (cm⁻¹), as :func:`grid_from_params`.
    trim_cm1 : float, default 0
        Width left out at each end of the spectrum's own range (cm⁻¹), 0 or more.
    min_points : int, default 16
        Fewest grid points the spectrum must cover (at least 2).

    Returns
    -------
    Spectrum
        On the grid points inside its range, with the step ``resample`` (the grid, the points
        kept, the first and last of them in cm⁻¹) in its history.

    Raises
    ------
    GridCoverageError
        When fewer than ``min_points`` grid points fall inside the spectrum's range (a
        :class:`~forensic.errors.SpectrumError`).
    """
    grid = grid_from_params(start, stop, step)
    x = spectrum.wavenumber
    y = spectrum.intensity
    if trim_cm1 < 0:
        raise SpectrumError(f"resample: trim_cm1 must be >= 0, got {trim_cm1}")
    inside = (grid >= x[0] + trim_cm1) & (grid <= x[-1] - trim_cm1)
    if int(inside.sum()) < max(min_points, 2):
        raise GridCoverageError(
            f"the spectrum's range {x[0]:.1f}-{x[-1]:.1f} cm-1 (less {trim_cm1:g} cm-1 at each "
            f"end) holds {int(inside.sum())} points "
            f"of the grid {start:g}-{stop:g} cm-1 (step {step:g}); at least "
            f"{max(min_points, 2)} are needed"
        )
    g = grid[inside]
    native_step = float(np.median(np.diff(x)))
    if native_step < step:
        # mean over each bin = difference of the cumulative integral at the bin edges / width
        cumulative = np.concatenate([[0.0], np.cumsum(np.diff(x) * (y[1:] + y[:-1]) / 2.0)])
        lo = np.clip(g - step / 2.0, x[0], x[-1])
        hi = np.clip(g + step / 2.0, x[0], x[-1])
        width = hi - lo
        values = (np.interp(hi, x, cumulative) - np.interp(lo, x, cumulative)) / np.where(
            width > 0, width, 1.0
        )
        values = np.where(width > 0, values, np.interp(g, x, y))
    else:
        values = np.interp(g, x, y)
    return spectrum.replace(
        wavenumber=g,
        intensity=values,
        step=_step(
            "resample",
            start=float(start),
            stop=float(stop),
            step=float(step),
            trim_cm1=float(trim_cm1),
            points=int(g.size),
            first_cm1=float(g[0]),
            last_cm1=float(g[-1]),
        ),
    )


_BASELINE_METHODS = ("arpls", "asls", "aspls", "snip", "none")


def remove_baseline(
    spectrum: Spectrum,
    *,
    method: str = "arpls",
    lam: float = 1e5,
    max_half_window_cm1: float = 80.0,
    clip_negative: bool = True,
) -> Spectrum:
    """Subtract a fluorescence or scattering background estimated with pybaselines.

    Parameters
    ----------
    spectrum : Spectrum
    method : {"arpls", "asls", "aspls", "snip", "none"}, default "arpls"
        Asymmetrically reweighted penalised least squares (arPLS, Baek et al. 2015), asymmetric
        least squares, adaptive smoothness PLS, or statistics-sensitive non-linear iterative
        peak clipping (SNIP).
    lam : float, default 1e5
        Smoothness of the penalised-least-squares baselines (larger = stiffer, gentler). It
        acts per point: the pipelines run this step on their fixed 2 cm⁻¹ grid.
    max_half_window_cm1 : float, default 80
        SNIP's largest clipping half-window, in cm⁻¹ (wider than any band).
    clip_negative : bool, default True
        Set what falls below the baseline (noise) to zero.

    Returns
    -------
    Spectrum
        The spectrum less its baseline, with the step ``remove_baseline`` in its history.

    Raises
    ------
    SpectrumError
        An unknown ``method``, or ``lam`` not positive.
    """
    if method not in _BASELINE_METHODS:
        raise SpectrumError(
            f"remove_baseline: method must be one of {_BASELINE_METHODS}, got {method!r}"
        )
    if lam <= 0:
        raise SpectrumError(f"remove_baseline: lam must be positive, got {lam}")
    x = np.asarray(spectrum.wavenumber)
    y = np.array(spectrum.intensity)
    if method == "none":
        corrected = y
    else:
        from pybaselines import Baseline  # noqa: PLC0415  (slow to import: only when used)
        from pybaselines.utils import ParameterWarning  # noqa: PLC0415

        fitter = Baseline(x, check_finite=False)
        with warnings.catch_warnings():
            # arPLS on a flat or empty spectrum says "almost all baseline points are below the
            # data" and stops early: the baseline is still right, and the warning, printed raw
            # on the user's terminal, tells them nothing (a flat query is refused as such)
            warnings.simplefilter("ignore", ParameterWarning)
            if method == "arpls":
                baseline = fitter.arpls(y, lam=lam)[0]
            elif method == "asls":
                baseline = fitter.asls(y, lam=lam, p=0.01)[0]
            elif method == "aspls":
                baseline = fitter.aspls(y, lam=lam)[0]
            else:
                step = float(np.median(np.diff(x)))
                half = max(round(max_half_window_cm1 / step), 1)
                baseline = fitter.snip(y, max_half_window=half, decreasing=True)[0]
        corrected = y - baseline
    if clip_negative:
        corrected = np.clip(corrected, 0.0, None)
    return spectrum.with_intensity(
        corrected,
        "remove_baseline",
        method=method,
        lam=float(lam),
        max_half_window_cm1=float(max_half_window_cm1),
        clip_negative=bool(clip_negative),
    )


def smooth(spectrum: Spectrum, *, window: int = 7, polyorder: int = 2) -> Spectrum:
    """Savitzky-Golay smoothing over ``window`` points (odd) with a ``polyorder`` polynomial.

    Parameters
    ----------
    spectrum : Spectrum
    window : int, default 7
        Points of the window: odd, at least 3 and no more than the spectrum's.
    polyorder : int, default 2
        Order of the fitted polynomial, below ``window``.

    Returns
    -------
    Spectrum
        With the step ``smooth`` in its history.

    Raises
    ------
    SpectrumError
        ``window`` or ``polyorder`` is out of range.
    """
    window, polyorder = _check_savgol(window, polyorder, len(spectrum), "smooth")
    y = savgol_filter(np.asarray(spectrum.intensity), window, polyorder, mode="interp")
    return spectrum.with_intensity(y, "smooth", window=window, polyorder=polyorder)


DERIVATIVE_MODES = ("interp", "nearest")
"""What :func:`derivative` does within half a window of either end of a spectrum, where its
window would reach past the measured range: the ``mode`` of ``scipy.signal.savgol_filter``."""


def derivative(
    spectrum: Spectrum, *, window: int = 11, polyorder: int = 2, mode: str = "interp"
) -> Spectrum:
    """Savitzky-Golay first derivative (per point) over ``window`` points.

    The derivative is blind to any constant or slowly varying background and turns each band
    into a positive/negative pair whose zero crossing is the band position.

    Each value is the difference of two successive values of the spectrum smoothed over
    ``window - 1`` points (for ``polyorder`` up to 2 with positive weights, a parabola): a
    running sum of the derivative gives that smoothed spectrum back, which is how
    :func:`linear_from_representation` rebuilds a spectrum a chemist can read. Within half a
    window of either end the window reaches past the measured range; ``mode`` says what is
    done there:

    ``"interp"``
        The derivative of the polynomial fitted to the first or last ``window`` points. A
        band within that many points of an end bends the polynomial, which then overshoots at
        the end: a spectrum rebuilt from this derivative rises or dips there, for a 17-point
        window by up to half the band's height, and when the dip is its lowest point it
        lifts the whole rebuilt spectrum (whose lowest point is taken as zero).
    ``"nearest"``
        The same filter as everywhere else, on the spectrum continued past each end by its
        end value: the derivative of one smoothing up to the ends, so the spectrum rebuilt
        from it is that smoothing there too, a weighted mean of measured values that never
        overshoots them.

    Parameters
    ----------
    spectrum : Spectrum
    window : int, default 11
        Points of the Savitzky-Golay window: odd, at least 3 and no more than the spectrum's.
    polyorder : int, default 2
        Order of the fitted polynomial, below ``window``.
    mode : {"interp", "nearest"}, default "interp"
        The treatment of the first and last ``window // 2`` points (above). The default is
        what pipelines recorded without a mode did, so they still mean what they did.

    Returns
    -------
    Spectrum
        The first derivative per point (not per cm⁻¹), with the step ``derivative`` in its
        history (``mode`` recorded unless it is ``"interp"``).

    Raises
    ------
    SpectrumError
        ``window``, ``polyorder`` or ``mode`` is out of range.
    """
    window, polyorder = _check_savgol(window, polyorder, len(spectrum), "derivative")
    mode = _check_derivative_mode(mode)
    y = savgol_filter(np.asarray(spectrum.intensity), window, polyorder, deriv=1, mode=mode)
    params = {"window": window, "polyorder": polyorder}
    if mode != "interp":  # recorded as before when it is what was done before
        params["mode"] = mode
    return spectrum.with_intensity(y, "derivative", **params)


def _check_derivative_mode(mode: str) -> str:
    if mode not in DERIVATIVE_MODES:
        raise SpectrumError(f"derivative: mode must be one of {DERIVATIVE_MODES}, got {mode!r}")
    return mode


def compress_intensity(spectrum: Spectrum, *, power: float = 0.5) -> Spectrum:
    """Signed power compression ``sign(y) |y|**power`` (0.5: square root).

    Keeps a few very strong bands from dominating a comparison whose weaker bands carry the
    identity; relative band heights vary between instruments, lasers and sample orientations.

    Parameters
    ----------
    spectrum : Spectrum
    power : float, default 0.5
        The exponent, 0 < power <= 1 (1 leaves the intensities as they are).

    Returns
    -------
    Spectrum
        With the step ``compress_intensity`` in its history.

    Raises
    ------
    SpectrumError
        ``power`` is outside (0, 1].
    """
    y = _signed_power(np.asarray(spectrum.intensity), power)
    return spectrum.with_intensity(y, "compress_intensity", power=float(power))


def _signed_power(y: np.ndarray, power: float) -> np.ndarray:
    """``sign(y) |y|**power`` of any array: :func:`compress_intensity`'s arithmetic."""
    if not 0 < power <= 1:
        raise SpectrumError(f"compress_intensity: power must be in (0, 1], got {power}")
    compressed = np.abs(y) ** power
    return np.copysign(compressed, y, out=compressed)


_NORMALISATIONS = ("l2", "max", "snv", "area")


def normalise(spectrum: Spectrum, *, method: str = "l2") -> Spectrum:
    """Scale intensities: unit Euclidean norm (``l2``), unit maximum of ``|y|`` (``max``),
    zero mean and unit standard deviation (``snv``), or unit sum of ``|y|`` (``area``).

    A flat spectrum (all zeros) is returned unchanged, with ``flat=True`` in its step.

    Parameters
    ----------
    spectrum : Spectrum
    method : {"l2", "max", "snv", "area"}, default "l2"

    Returns
    -------
    Spectrum
        With ``y_unit="normalised"`` and the step ``normalise`` in its history.

    Raises
    ------
    SpectrumError
        An unknown ``method``.
    """
    y = np.asarray(spectrum.intensity, dtype=np.float64)
    scaled, flat = _normalise_rows(y[None, :], np.ones((1, y.size), dtype=bool), method)
    stepped = spectrum.with_intensity(scaled[0], "normalise", method=method, flat=bool(flat[0]))
    return stepped.replace(y_unit="normalised")


def _normalise_rows(
    rows: np.ndarray, inside: np.ndarray, method: str
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`normalise` of each row of ``rows`` (N, G, zero outside ``inside``) over its
    points ``inside`` (N, G, bool); and which rows were flat (left unscaled, as
    :func:`normalise` leaves them)."""
    if method not in _NORMALISATIONS:
        raise SpectrumError(f"normalise: method must be one of {_NORMALISATIONS}, got {method!r}")
    y = rows
    if method == "snv":
        count = np.maximum(inside.sum(axis=1), 1)
        y = rows - (rows.sum(axis=1) / count)[:, None]
        np.copyto(y, 0.0, where=~inside)
        scale = np.sqrt(np.einsum("ij,ij->i", y, y) / count)
    elif method == "l2":
        scale = np.sqrt(np.einsum("ij,ij->i", y, y))
    elif method == "max":
        scale = np.abs(y).max(axis=1, initial=0.0)
    else:
        scale = np.abs(y).sum(axis=1)
    flat = ~(np.isfinite(scale) & (scale > 0))
    return y / np.where(flat, 1.0, scale)[:, None], flat


def _check_savgol(window: int, polyorder: int, points: int, step: str) -> tuple[int, int]:
    window, polyorder = int(window), int(polyorder)
    if window < 3 or window % 2 == 0:
        raise SpectrumError(f"{step}: window must be an odd number of points >= 3, got {window}")
    if not 0 <= polyorder < window:
        raise SpectrumError(f"{step}: polyorder must be in [0, {window - 1}], got {polyorder}")
    if window > points:
        raise SpectrumError(f"{step}: window of {window} points exceeds the {points} points")
    return window, polyorder


def _step(name: str, **params: Any) -> ProcessingStep:
    return ProcessingStep(name, params)


STEPS: dict[str, Callable[..., Spectrum]] = {
    "remove_spikes": remove_spikes,
    "to_absorbance": to_absorbance,
    "resample": resample,
    "remove_baseline": remove_baseline,
    "smooth": smooth,
    "compress_intensity": compress_intensity,
    "derivative": derivative,
    "normalise": normalise,
}
"""Every step by the name it records in a spectrum's history and a pipeline's dict."""


# -- pipeline ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pipeline:
    """An ordered list of named steps with their parameters.

    Parameters
    ----------
    steps : sequence of (name, params)
        Names from :data:`STEPS`; ``params`` are keyword arguments of that step (plain
        JSON-serialisable values).

    Raises
    ------
    SpectrumError
        For a step not in :data:`STEPS`, a parameter its step does not take (a misspelt
        ``lamda``), or one it needs left out (``resample`` without ``step``): found when the
        pipeline is made, not when it first runs.

    Examples
    --------
    >>> pipe = default_pipeline("raman").with_params("remove_baseline", lam=1e6)
    >>> processed = pipe(spectrum)                                    # doctest: +SKIP
    """

    steps: tuple[tuple[str, Mapping[str, Any]], ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        normalised = []
        for item in self.steps:
            name, params = item
            if name not in STEPS:
                raise SpectrumError(
                    f"unknown processing step {name!r}; known steps: {', '.join(STEPS)}"
                )
            _check_params(name, params)
            normalised.append((str(name), dict(params)))
        object.__setattr__(self, "steps", tuple(normalised))

    def __call__(self, spectrum: Spectrum) -> Spectrum:
        """Run every step in order; the input is left unchanged.

        Parameters
        ----------
        spectrum : Spectrum
            The spectrum to process.

        Returns
        -------
        Spectrum
            The processed spectrum, each step appended to its history.

        Raises
        ------
        SpectrumError
            When a step cannot process the spectrum (too few points on the grid...).
        """
        for name, params in self.steps:
            spectrum = STEPS[name](spectrum, **params)
        return spectrum

    run = __call__

    @property
    def names(self) -> list[str]:
        """The step names, in order."""
        return [name for name, _ in self.steps]

    def params(self, name: str) -> dict[str, Any]:
        """The parameters of the first step called ``name``.

        Parameters
        ----------
        name : str
            A step name (:data:`STEPS`).

        Returns
        -------
        dict
            A copy of its parameters.

        Raises
        ------
        KeyError
            The pipeline has no such step.
        """
        for step_name, params in self.steps:
            if step_name == name:
                return dict(params)
        raise KeyError(name)

    def with_params(self, name: str, **overrides: Any) -> Pipeline:
        """A copy whose step ``name`` runs with ``overrides`` merged into its parameters.

        Parameters
        ----------
        name : str
            A step of the pipeline (:attr:`names`).
        **overrides
            Its parameters to change, as keywords of the step's function.

        Returns
        -------
        Pipeline
            The new pipeline; this one is left as it is.

        Raises
        ------
        SpectrumError
            The pipeline has no step ``name``, or the step takes no parameter of that name.
        """
        if name not in self.names:
            raise SpectrumError(f"the pipeline has no step {name!r}; its steps: {self.names}")
        return Pipeline(
            tuple((n, {**p, **overrides}) if n == name else (n, p) for n, p in self.steps)
        )

    @property
    def grid(self) -> np.ndarray | None:
        """The grid of its ``resample`` step (cm⁻¹, shape (G,)), or None without one."""
        try:
            p = self.params("resample")
        except KeyError:
            return None
        return grid_from_params(p["start"], p["stop"], p["step"])

    def to_dict(self) -> dict[str, Any]:
        """The pipeline as plain JSON values (NumPy scalars as Python numbers).

        Returns
        -------
        dict
            ``{"steps": [{"name": ..., "params": {...}}, ...]}``.
        """
        return {"steps": [{"name": n, "params": _plain(p)} for n, p in self.steps]}

    def to_list(self) -> list[dict[str, Any]]:
        """The steps alone, in the form results carry.

        Returns
        -------
        list of dict
            ``[{"name": ..., "params": {...}}, ...]``.
        """
        return self.to_dict()["steps"]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | Iterable[Mapping[str, Any]]) -> Pipeline:
        """Inverse of :meth:`to_dict`: a pipeline recorded with a library or a result, made
        again.

        Parameters
        ----------
        data : mapping or iterable of mapping
            ``{"steps": [...]}`` as :meth:`to_dict` gives it, or the bare list of
            :meth:`to_list` (an :class:`~forensic.identification.Identification`'s
            ``pipeline``).

        Returns
        -------
        Pipeline

        Raises
        ------
        SpectrumError
            As the constructor.
        """
        items = data["steps"] if isinstance(data, Mapping) else data
        return cls(tuple((str(s["name"]), dict(s.get("params", {}))) for s in items))


def _check_params(name: str, params: Mapping[str, Any]) -> None:
    """A :class:`~forensic.errors.SpectrumError` for a parameter step ``name`` does not take,
    or one it needs that ``params`` lacks, naming those it takes."""
    taken = _step_keywords(name)
    names = [keyword for keyword, _ in taken]
    unknown = [str(key) for key in params if key not in names]
    needed = [keyword for keyword, required in taken if required and keyword not in params]
    if unknown or needed:
        what = (
            f"takes no parameter {', '.join(map(repr, unknown))}"
            if unknown
            else f"needs {', '.join(map(repr, needed))}"
        )
        raise SpectrumError(
            f"processing step {name!r} {what}; its parameters: {', '.join(names) or 'none'}"
        )


@cache
def _step_keywords(name: str) -> tuple[tuple[str, bool], ...]:
    """The keywords step ``name`` takes, each with whether it is required (no default): looked
    up once, as a library build makes a pipeline for every reference."""
    return tuple(
        (p.name, p.default is inspect.Parameter.empty)
        for p in inspect.signature(STEPS[name]).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    )


def _plain(params: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in params.items():
        out[str(key)] = value.item() if isinstance(value, np.generic) else value
    return out


def default_pipeline(modality: str) -> Pipeline:
    """The pipeline the library search uses for ``modality`` ("raman" or "ir").

    See the module docstring for what each step does and why; every parameter can be changed
    with :meth:`Pipeline.with_params`.

    Parameters
    ----------
    modality : {"raman", "ir"}
        The modality of the spectra.

    Returns
    -------
    Pipeline
        Raman: spikes removed, 50-3400 cm⁻¹ at 2 cm⁻¹, arPLS baseline, square root,
        derivative, unit norm. IR: to absorbance, 400-4000 cm⁻¹ at 2 cm⁻¹ less 50 cm⁻¹ at each
        end, a stiffer baseline, power 0.85, derivative, unit norm.

    Raises
    ------
    SpectrumError
        ``modality`` is neither.
    """
    if modality == "raman":
        return Pipeline(
            (
                (
                    "remove_spikes",
                    {
                        "threshold": SPIKE_THRESHOLD,
                        "width": SPIKE_WIDTH,
                        "narrowness": SPIKE_NARROWNESS,
                    },
                ),
                ("resample", {"start": 50.0, "stop": 3400.0, "step": 2.0}),
                ("remove_baseline", {"method": "arpls", "lam": 1e5}),
                ("compress_intensity", {"power": 0.5}),
                ("derivative", {"window": 7, "polyorder": 2}),
                ("normalise", {"method": "l2"}),
            )
        )
    if modality == "ir":
        return Pipeline(
            (
                ("to_absorbance", {}),
                ("resample", {"start": 400.0, "stop": 4000.0, "step": 2.0, "trim_cm1": 50.0}),
                ("remove_baseline", {"method": "arpls", "lam": 1e9, "clip_negative": False}),
                ("compress_intensity", {"power": 0.85}),
                ("derivative", {"window": 17, "polyorder": 2}),
                ("normalise", {"method": "l2"}),
            )
        )
    raise SpectrumError(f"modality must be one of {MODALITIES}, got {modality!r}")


# -- the comparison representation and its inverse -------------------------------------------------

_REPRESENTATION_STEPS = ("normalise", "compress_intensity", "derivative")


def split_representation(pipeline: Pipeline) -> tuple[Pipeline, Pipeline]:
    """Split a pipeline into its spectrum part and its trailing comparison representation.

    The tail is the run of trailing steps among ``derivative``, ``compress_intensity`` and
    ``normalise``: steps that make spectra comparable but no longer look like spectra, and that
    can be undone (up to scale) by :func:`linear_from_representation`.

    Parameters
    ----------
    pipeline : Pipeline

    Returns
    -------
    spectrum_part : Pipeline
        The steps up to the representation; the whole pipeline when it ends otherwise.
    representation : Pipeline
        The trailing representation steps; empty when there are none.
    """
    steps = list(pipeline.steps)
    cut = len(steps)
    while cut > 0 and steps[cut - 1][0] in _REPRESENTATION_STEPS:
        cut -= 1
    return Pipeline(tuple(steps[:cut])), Pipeline(tuple(steps[cut:]))


def smooth_as_representation(spectrum: Spectrum, pipeline: Pipeline) -> tuple[Spectrum, float]:
    """Smooth a spectrum as the comparison representation of ``pipeline`` does; and its noise.

    The representation's Savitzky-Golay derivative smooths over its window, and a reference
    rebuilt from it (:func:`linear_from_representation`) carries that smoothing. This applies the
    same filter without the derivative to ``spectrum``, the output of the spectrum part of
    ``pipeline`` (:func:`split_representation`): a query whose bands can be set beside a
    rebuilt reference's without the round trip through the compressed representation, whose
    inverse power reshapes the noise near the baseline (after a square root and a derivative,
    noise bumps of a noisy query stand out as bands). Unchanged when the representation has
    no derivative.

    Parameters
    ----------
    spectrum : Spectrum
        A spectrum as the spectrum part of ``pipeline`` leaves it (baseline-corrected, on the
        grid).
    pipeline : Pipeline

    Returns
    -------
    smoothed : Spectrum
    noise : float
        Standard deviation of the noise of ``smoothed``: :func:`forensic.quality.noise_level` of
        ``spectrum`` times the filter's noise gain (the Euclidean norm of its coefficients),
        exact for noise that is white on the grid. A spectrum sampled more coarsely than the
        grid has its noise interpolated, correlated over neighbouring points, and for it this
        estimate is low: more peaks are then found against it, not fewer.
    """
    _, tail = split_representation(pipeline)
    noise = noise_level(spectrum.intensity)
    for name, params in tail.steps:
        if name == "derivative":
            savgol = _run_params(name, params)
            window, polyorder = int(savgol["window"]), int(savgol["polyorder"])
            smoothed = smooth(spectrum, window=window, polyorder=polyorder)
            return smoothed, noise * float(np.linalg.norm(savgol_coeffs(window, polyorder)))
    return spectrum, noise


def linear_from_representation(
    values: np.ndarray, start: int, stop: int, pipeline: Pipeline
) -> np.ndarray:
    """Undo the comparison representation of one row: a spectrum a chemist can read.

    Inverts the tail of :func:`split_representation` on ``values[start:stop]``: a signed power
    by its reciprocal, a per-point derivative by a cumulative sum. The result is the
    baseline-corrected spectrum, smoothed as the derivative's window smooths it (its running
    sum: over 16 points, 32 cm⁻¹, for IR), scaled to a maximum of 1, zero outside
    ``[start, stop)``; shape (G,). It is linear in the amount of substance again, as peak
    alignment and mixture fitting need.

    The integration constant sets the lowest point to 0, the lowest of the points whose
    derivative's window lay inside the range. Within half a window of either end the running
    sum follows what the derivative did there (:func:`derivative`'s ``mode``): with
    ``"interp"``, the polynomial fitted to the end window, which a band near the end bends
    into a rise or a dip of up to half its height. Taken over every point, such a dip set the
    zero of the whole spectrum and lifted everything else (6 of the 48 shipped IR references
    by 0.015 to 0.07 of their maximum); taken inside, it stays at the end. A query's own spectrum is
    at hand: :func:`linear_from_spectrum` smooths it without that polynomial.

    Parameters
    ----------
    values : numpy.ndarray
        Shape (G,): one row of the comparison representation, on the pipeline's grid.
    start, stop : int
        The row's range of grid indices ``[start, stop)`` (:func:`grid_range`).
    pipeline : Pipeline
        The pipeline that made the representation.

    Returns
    -------
    numpy.ndarray
        float64, shape (G,): the spectrum, maximum 1, zero outside ``[start, stop)``; all zeros
        where the row was.
    """
    values = np.asarray(values, dtype=np.float64)
    out = np.zeros(values.shape, dtype=np.float64)
    v = values[start:stop].copy()
    _, tail = split_representation(pipeline)
    for name, params in reversed(tail.steps):
        if name == "compress_intensity":
            power = float(_run_params(name, params)["power"])
            v = np.sign(v) * np.abs(v) ** (1.0 / power)
        elif name == "derivative":
            half = int(_run_params(name, params)["window"]) // 2
            v = np.cumsum(v)
            inside = v[half : v.size - half] if v.size > 2 * half else v
            v = v - inside.min() if v.size else v
    peak = float(np.abs(v).max()) if v.size else 0.0
    out[start:stop] = v / peak if peak > 0 else v
    return out


def linear_from_spectrum(
    values: np.ndarray, start: int, stop: int, pipeline: Pipeline
) -> np.ndarray:
    """A spectrum on the grid smoothed as :func:`linear_from_representation` rebuilds one.

    The rebuilt spectrum is the running sum of the comparison representation's derivative:
    the spectrum smoothed over the derivative's window. This smooths ``values[start:stop]``
    the same way, from the spectrum itself, and within half a window of either end with the
    spectrum continued by its end value (:func:`derivative`'s ``mode="nearest"``): a weighted
    mean of measured values there too, never the overshoot of the polynomial that the
    representation's derivative fits to the end window (``"interp"``, which keeps the slope
    there for the search), nor a dip at the ends, nor, through the integration constant, a
    lift of the whole spectrum. It is how a query, whose spectrum is at hand, is set beside
    references rebuilt from the library (:func:`forensic.identify`): away from its ends, it
    is what :func:`linear_from_representation` gives of its representation.

    Parameters
    ----------
    values : numpy.ndarray
        Shape (G,): a spectrum as the spectrum part of ``pipeline`` leaves it
        (:func:`split_representation`: baseline-corrected, on its grid).
    start, stop : int
        Its range of grid indices ``[start, stop)`` (:func:`grid_range`).
    pipeline : Pipeline

    Returns
    -------
    numpy.ndarray
        float64, shape (G,): maximum 1, zero outside ``[start, stop)``; all zeros for a flat
        spectrum or a range shorter than the representation accepts.
    """
    if "derivative" in split_representation(pipeline)[1].names:
        pipeline = pipeline.with_params("derivative", mode="nearest")
    representation = representation_from_linear(values, start, stop, pipeline)
    return linear_from_representation(representation, start, stop, pipeline)


def representation_from_linear(
    values: np.ndarray, start: int | np.ndarray, stop: int | np.ndarray, pipeline: Pipeline
) -> np.ndarray:
    """The comparison representation of spectra on the grid, each over its own range.

    What the tail of ``pipeline`` (:func:`split_representation`: its signed power, derivative
    and normalisation, with their recorded parameters) does to each spectrum, done for a batch
    of rows at once: row ``n``'s segment ``values[n, start[n]:stop[n]]`` comes out as that
    segment alone would from the pipeline, the Savitzky-Golay derivative's ends taken at the
    ends of the segment itself (its ``mode``). The forward counterpart of
    :func:`linear_from_representation`: it puts an aligned reference, a mixture component's
    part or calibration queries and decoys on the search's own scale.

    Parameters
    ----------
    values : numpy.ndarray
        Shape (G,) or (N, G): spectra as the spectrum part of ``pipeline`` leaves them
        (baseline-corrected, on its grid); values outside each row's range are ignored.
    start, stop : int or numpy.ndarray
        Each row's range of grid indices ``[start, stop)``: scalars, or shape (N,).
    pipeline : Pipeline

    Returns
    -------
    numpy.ndarray
        float64, the shape of ``values``; zero outside each row's range. A row whose range
        is shorter than a spectrum the pipeline accepts (fewer points than
        :data:`forensic.spectrum.MIN_POINTS` or than its derivative's window: 17 for IR) is
        all zeros, not an error: there is nothing to compare, as for a flat spectrum.
    """
    values = np.asarray(values, dtype=np.float64)
    rows = np.atleast_2d(values)
    n, g = rows.shape
    start = np.clip(np.broadcast_to(np.asarray(start, dtype=np.int64), (n,)), 0, g)
    stop = np.clip(np.broadcast_to(np.asarray(stop, dtype=np.int64), (n,)), start, g)
    _, tail = split_representation(pipeline)
    steps = [(name, _run_params(name, params)) for name, params in tail.steps]
    windows = [int(p["window"]) for name, p in steps if name == "derivative"]
    usable = stop - start >= max([MIN_POINTS, *windows])
    idx = np.arange(g)
    inside = (idx >= start[:, None]) & (idx < stop[:, None]) & usable[:, None]
    out = np.where(inside, rows, 0.0)
    for name, params in steps:
        if name == "compress_intensity":
            out = _signed_power(out, float(params["power"]))
        elif name == "derivative":
            out = _derivative_rows(
                out, start[usable], stop[usable], np.flatnonzero(usable), **params
            )
            np.copyto(out, 0.0, where=~inside)
        elif name == "normalise":
            out, _ = _normalise_rows(out, inside, params["method"])
    return out.reshape(values.shape)


def _derivative_rows(  # noqa: PLR0917  (the segments of a batch, then the step's own)
    rows: np.ndarray,
    start: np.ndarray,
    stop: np.ndarray,
    which: np.ndarray,
    window: int,
    polyorder: int,
    mode: str = "interp",
) -> np.ndarray:
    """:func:`derivative` of the segments ``rows[which[k], start[k]:stop[k]]``, each at least
    ``window`` points long, in place of their values (elsewhere: a convolution, meaningless).

    Inside a segment it is the Savitzky-Golay convolution, which never reaches outside it;
    within half a window of its ends, what the step's ``mode`` does there to the segment's
    first or last ``window`` points (``savgol_filter``'s), a linear map applied to those
    points of every row at once.
    """
    window, polyorder = _check_savgol(window, polyorder, window, "derivative")
    mode = _check_derivative_mode(mode)
    half = window // 2
    out = convolve1d(rows, savgol_coeffs(window, polyorder, deriv=1), axis=1, mode="constant")
    head, tail = _savgol_edge_maps(window, polyorder, mode)
    offsets = np.arange(window)
    r, first, last = which[:, None], start[:, None], stop[:, None] - window
    out[r, first + offsets[:half]] = rows[r, first + offsets] @ head.T
    out[r, last + offsets[window - half :]] = rows[r, last + offsets] @ tail.T
    return out


@lru_cache(maxsize=16)
def _savgol_edge_maps(
    window: int, polyorder: int, mode: str = "interp"
) -> tuple[np.ndarray, np.ndarray]:
    """The (half window, window) matrices taking a segment's first and last ``window`` points
    to its Savitzky-Golay derivative at its first and last ``window // 2`` points, with the
    ``mode`` of :func:`derivative` (both of its modes need no point beyond those)."""
    full = savgol_filter(np.eye(window), window, polyorder, deriv=1, mode=mode, axis=0)
    half = window // 2
    full.setflags(write=False)
    return full[:half], full[window - half :]


def _run_params(name: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters step ``name`` runs with: ``params`` over the defaults of its function.

    A pipeline records only the parameters it was given; whatever reads a step's parameters
    back (the representation and its inverse) takes the rest from the step function's own
    signature, the one place a default is written.
    """
    return {**_step_defaults(name), **params}


@cache
def _step_defaults(name: str) -> dict[str, Any]:
    signature = inspect.signature(STEPS[name])
    return {
        key: p.default
        for key, p in signature.parameters.items()
        if p.kind is p.KEYWORD_ONLY and p.default is not p.empty
    }
