"""The one spectrum type that every part of the toolkit speaks, and its unit conversions.

A :class:`Spectrum` is immutable: its arrays are read-only and every transformation returns a
new spectrum whose :attr:`~Spectrum.history` records the step and its parameters, so a report can
state exactly what was done to the data.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np

from forensic.errors import SpectrumError

__all__ = [
    "ACQUIRED_WHEN_WRITTEN",
    "ASSUMED_AXIS_UNIT_BASIS",
    "FRACTION_TRANSMITTANCE_RANGE",
    "GUESSED_MODALITY_BASIS",
    "GUESSED_UNIT_BASIS",
    "IR_MICROMETRE_BELOW",
    "IR_MICROMETRE_FROM_UM",
    "IR_UNITS",
    "MAX_MAGNITUDE",
    "MAX_REPEATED_FRACTION",
    "MAX_TURN_BACK_FRACTION",
    "MEASURED",
    "MIN_POINTS",
    "MODALITIES",
    "NOT_MEASURED",
    "PERCENT_TRANSMITTANCE_MIN_MAXIMUM",
    "PERCENT_TRANSMITTANCE_RANGE",
    "PROVENANCES",
    "STANDARD_METADATA_KEYS",
    "STATED_Y_UNITS",
    "TRANSMITTANCE_SCALE_RULE",
    "TRANSMITTANCE_UNITS",
    "Y_UNITS",
    "AxisProblem",
    "ProcessingStep",
    "Spectrum",
    "absorbance_to_transmittance",
    "axis_order_problem",
    "is_measured",
    "made_by",
    "micrometre_to_wavenumber",
    "nanometre_to_wavenumber",
    "raman_shift_to_wavelength",
    "transmittance_scale",
    "transmittance_to_absorbance",
    "wavelength_to_raman_shift",
    "y_unit_basis_is_guess",
]

MIN_POINTS = 16
"""Fewer points than this cannot be a usable vibrational spectrum."""

MODALITIES = ("raman", "ir")

MAX_MAGNITUDE = 1e30
"""No spectrum holds a value this large (axis or intensity): detectors count to about 1e9, the
real files in ``../shared/data`` reach 1.3e6. Larger values come from a corrupt file or a wrong
exponent or factor, and processing them overflows (squares leave float64 above 1e154) into
NaN that would be blamed on the file."""

MAX_TURN_BACK_FRACTION = 0.05
"""The farthest an axis may turn back, as a fraction of its range, where step-scan windows
join (each window starts a little before the last one ended); farther, the file holds more
than one sweep."""

MAX_REPEATED_FRACTION = 0.05
"""The largest share of a spectrum's points that may repeat a wavenumber, as where step-scan
windows join (the paracetamol export in ``../shared/data`` repeats 7 of its 4064); more, the
file holds more than one sweep on the same axis."""

Y_UNITS = (
    "counts",
    "counts_per_second",
    "arbitrary",
    "absorbance",
    "transmittance",  # fraction, 0..1
    "percent_transmittance",  # 0..100
    "reflectance",
    "kubelka_munk",
    "normalised",
)

IR_UNITS = ("absorbance", "transmittance", "percent_transmittance", "kubelka_munk", "reflectance")
"""The intensity units only an infrared spectrum can have."""

STATED_Y_UNITS = ("absorbance", "transmittance", "percent_transmittance")
"""The units that may be stated for an IR file that does not name its unit (``--y-unit`` of
``forensic identify`` and ``forensic library import``, :meth:`Spectrum.with_y_unit`): the
ones a reader tells apart by a guess from the numbers."""

MEASURED = "measured"
"""The ``provenance`` of a spectrum an instrument measured from a sample."""

NOT_MEASURED = ("modelled", "simulated")
"""Values of the ``provenance`` metadata of a spectrum that no instrument measured from a sample:
modelled from a band table (:mod:`forensic.modelled`) or made by an instrument simulator. Such a
spectrum is never presented as measured (:func:`is_measured`)."""

PROVENANCES = (MEASURED, *NOT_MEASURED)
"""Every ``provenance`` a spectrum or a library entry may state (a library manifest allows no
other)."""

_MADE_BY = {"modelled": "a band table", "simulated": "an instrument simulator"}


def is_measured(provenance: object) -> bool:
    """Whether a spectrum or library entry of this ``provenance`` was measured from a sample.

    ``"measured"``, and an unstated provenance (None or empty): a library entry is measured
    unless its metadata say otherwise (:attr:`forensic.library.Library.entries`), and files
    from instruments do not state it. Every other value is not measured: those of
    :data:`NOT_MEASURED`, and one the toolkit does not know (a manifest allows only
    :data:`PROVENANCES`; a file may state anything), which is never taken for a measurement.

    Parameters
    ----------
    provenance : object
        The stated provenance (``"measured"``, ``"modelled"``, ``"simulated"``...), or None.

    Returns
    -------
    bool
        True for ``"measured"``, None or an empty string; False otherwise.
    """
    return provenance is None or provenance in ("", MEASURED)


def made_by(provenance: object) -> str:
    """What made a spectrum not measured from a sample, in words, by its ``provenance``:
    ``"a band table"`` (modelled), ``"an instrument simulator"`` (simulated), or ``"a source the
    toolkit does not know"``.

    Parameters
    ----------
    provenance : object
        The stated provenance.

    Returns
    -------
    str
        The words, to follow "made by" in a warning.
    """
    return _MADE_BY.get(str(provenance), "a source the toolkit does not know")


GUESSED_UNIT_BASIS = "guessed from the numbers"
"""How ``metadata["y_unit_basis"]`` starts when a reader guessed the intensity unit (the file
names none): ``f"{GUESSED_UNIT_BASIS}: {why}"``; see :func:`y_unit_basis_is_guess`."""


ASSUMED_AXIS_UNIT_BASIS = "assumed"
"""How ``metadata["axis_unit_basis"]`` starts when a reader took the axis to be wavenumbers in
cm⁻¹ because the file names no unit for it (a JCAMP-DX file without ``##XUNITS=``):
``f"{ASSUMED_AXIS_UNIT_BASIS}: {why}"``; see :attr:`Spectrum.axis_unit_assumed`. A file that
names its unit leaves the key out."""


GUESSED_MODALITY_BASIS = "numbers"
"""How ``metadata["modality_basis"]`` starts when a reader told Raman from IR by the numbers
alone (no column name, header word, laser line or file name said which):
``f"{GUESSED_MODALITY_BASIS}: {why}"``; see :attr:`Spectrum.modality_guessed`."""


def y_unit_basis_is_guess(basis: object) -> bool:
    """Whether a ``y_unit_basis`` (of a spectrum's metadata or a library entry) says the
    intensity unit was guessed from the numbers rather than named or stated.

    Parameters
    ----------
    basis : object
        The ``y_unit_basis`` stated, or None.

    Returns
    -------
    bool
        True when it starts with ``"guessed"``.
    """
    return str(basis or "").startswith("guessed")


TRANSMITTANCE_UNITS = ("transmittance", "percent_transmittance")
"""The units in which a spectrum's bands are dips below 1 (or 100 %), converted by
:func:`transmittance_to_absorbance`."""

FRACTION_TRANSMITTANCE_RANGE = (-0.05, 1.2)
"""Transmittance as a fraction lies within this range: 0..1, a little below 0 where noise rides
on a band that lets no light through, and up to 20 % above 1 where scattering or a background
measured with less in the beam lifts the baseline (:func:`transmittance_scale`)."""

PERCENT_TRANSMITTANCE_RANGE = (-5.0, 120.0)
"""Percent transmittance lies within this range: :data:`FRACTION_TRANSMITTANCE_RANGE` times
100."""

PERCENT_TRANSMITTANCE_MIN_MAXIMUM = 2.0
"""A percent transmittance spectrum rises above this somewhere: at or below it, the sample
would let less than 2 % of the light through at every wavenumber, an absorbance of 1.7 or more
all over (no bands left to compare), while a fraction with its baseline somewhat above 1 reaches
1.2 to 2 (:func:`transmittance_scale`). A maximum between the fraction's 1.2 and this tells
neither."""

TRANSMITTANCE_SCALE_RULE = (
    "a fraction lies within "
    f"{FRACTION_TRANSMITTANCE_RANGE[0]:g}..{FRACTION_TRANSMITTANCE_RANGE[1]:g}, "
    f"percent within {PERCENT_TRANSMITTANCE_RANGE[0]:g}..{PERCENT_TRANSMITTANCE_RANGE[1]:g} "
    f"rising above {PERCENT_TRANSMITTANCE_MIN_MAXIMUM:g}"
)
""":func:`transmittance_scale`'s rule in words, for messages that say why a scale was not told."""


def transmittance_scale(intensity: Any) -> str | None:
    """Whether transmittance values are a fraction or percent, or None when they cannot tell.

    The one rule for it: every reader that settles the scale from the values (a file that says
    transmittance but not which) and the range check of identification and library validation
    (:func:`forensic.quality.diagnose_ir_range`) use it, so a unit a reader decides is never one
    the check then rejects.

    Parameters
    ----------
    intensity : array_like
        Shape (N,): the transmittance values as read. NaN values are ignored.

    Returns
    -------
    str or None
        ``"transmittance"`` (a fraction) when every value lies within
        :data:`FRACTION_TRANSMITTANCE_RANGE`; ``"percent_transmittance"`` when every value
        lies within :data:`PERCENT_TRANSMITTANCE_RANGE` and the largest is above
        :data:`PERCENT_TRANSMITTANCE_MIN_MAXIMUM`; None otherwise (too high for a fraction and
        too low for percent, such as 0.7..1.6, or beyond both ranges: not transmittance, or a
        fraction or percent distorted beyond telling), and for no finite value at all.
    """
    y = np.asarray(intensity, dtype=float)
    y = y[np.isfinite(y)]
    if y.size == 0:
        return None
    low, high = float(y.min()), float(y.max())
    if FRACTION_TRANSMITTANCE_RANGE[0] <= low and high <= FRACTION_TRANSMITTANCE_RANGE[1]:
        return "transmittance"
    if (
        PERCENT_TRANSMITTANCE_RANGE[0] <= low
        and high <= PERCENT_TRANSMITTANCE_RANGE[1]
        and high > PERCENT_TRANSMITTANCE_MIN_MAXIMUM
    ):
        return "percent_transmittance"
    return None


STANDARD_METADATA_KEYS = (
    "name",
    "synonyms",
    "cas",
    "laser_wavelength_nm",
    "laser_power_mw",
    "instrument_model",
    "instrument_serial",
    "firmware_version",
    "integration_time_ms",
    "averages",
    "detector_temperature_c",
    "acquired_at",
    "operator",
    "source_file",
    "source_sha256",
    "source_format",
    "resolution_cm1",
)
"""Keys with a meaning shared by the whole toolkit. Vendor keys are kept under their own names."""

ACQUIRED_WHEN_WRITTEN = "export written"
"""``acquired_at_basis`` of a spectrum read from an instrument's export that states no time of
acquisition: its ``acquired_at`` is when the export file was written (:mod:`drivers.folder`),
as the report then says."""


@dataclass(frozen=True)
class ProcessingStep:
    """One step applied to a spectrum: its name and the parameters it ran with.

    Parameters are plain JSON-serialisable values so that a pipeline can be written into a
    result or a report and replayed.

    Attributes
    ----------
    name : str
        The step's name (``"resample"``, ``"normalise"``).
    params : mapping of str to object
        The parameters it ran with, JSON values; read-only.
    """

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    def to_dict(self) -> dict[str, Any]:
        """The step as plain JSON values.

        Returns
        -------
        dict
            ``{"name": ..., "params": {...}}``.
        """
        return {"name": self.name, "params": dict(self.params)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProcessingStep:
        """Inverse of :meth:`to_dict`.

        Parameters
        ----------
        data : mapping
            ``{"name": ..., "params": {...}}``; ``params`` may be left out.

        Returns
        -------
        ProcessingStep
        """
        return cls(str(data["name"]), dict(data.get("params", {})))


def _frozen_array(values: Any, what: str) -> np.ndarray:
    try:
        array = np.array(values, dtype=np.float64, copy=True)
    except (TypeError, ValueError) as exc:
        raise SpectrumError(f"{what} must be numbers: {exc}") from None
    if array.ndim != 1:
        raise SpectrumError(f"{what} must be one-dimensional, got shape {array.shape}")
    return array


def _too_coarse(values: Any) -> str | None:
    """Why an axis given in a float type narrower than float64 repeats values, or None: a
    float16 axis holds 3 significant digits (2048.0 and 2049.0 are one number), and merging
    the points it made one would average bands together."""
    dtype = getattr(values, "dtype", None)
    if dtype is None or dtype.kind != "f" or dtype.itemsize >= 8:
        return None
    digits = np.finfo(dtype).precision
    return (
        f"the axis was given as {dtype}, which holds only {digits} significant digits, so "
        "neighbouring wavenumbers became one value: give it as float64"
    )


class AxisProblem(NamedTuple):
    """Why a file's axis holds more than one sweep (:func:`axis_order_problem`).

    ``index`` is the 0-based point where it shows; :meth:`reason` says what and how much, and
    what is allowed, placing it at that index or where the caller says (a reader names the
    line).

    Attributes
    ----------
    index : int
        The 0-based point where the axis turns back or repeats.
    what : str
        The problem, up to the place (``"the axis turns back"``).
    why : str
        The rest of the sentence from the place on, with its leading space or colon.
    """

    index: int
    what: str  # up to the place
    why: str  # from the place on, with its leading space or colon

    def reason(self, where: str | None = None) -> str:
        """The problem in one sentence, placed at ``where``.

        Parameters
        ----------
        where : str, optional
            Where it shows, as the sentence says it (``"on line 12"``); default ``"at index
            <index>"``.

        Returns
        -------
        str
            The sentence.
        """
        return f"{self.what} {where or f'at index {self.index}'}{self.why}"


def _share(fraction: float) -> str:
    """A fraction as a percentage, with a decimal below 1 % (0.4 %, not 0 %)."""
    return f"{fraction:.1%}" if fraction < 0.01 else f"{fraction:.0%}"


def axis_order_problem(wavenumber: Any, *, unit: str = " cm-1") -> AxisProblem | None:
    """Why an axis, in the order a file holds it, is not one sweep; or None.

    A stitched step-scan export may turn back a little where its windows join, or repeat a
    value there; :meth:`Spectrum.from_readings` sorts and merges those. What it must not merge
    is two sweeps in one file (a second measurement appended, a sweep up and back down) or
    points out of order: averaging them makes one spectrum of two. Refused here:

    - a turn-back farther than :data:`MAX_TURN_BACK_FRACTION` of the axis range;
    - an axis that runs backwards for two or more steps in a row (a window joins with one step
      back, then runs forward again);
    - more than :data:`MAX_REPEATED_FRACTION` of the points repeating a value.

    Parameters
    ----------
    wavenumber : array_like, shape (n,)
        The axis as read, ascending or descending; NaN, or a value beyond
        :data:`MAX_MAGNITUDE` (corrupt, and refused by :class:`Spectrum` as such), makes it no
        sweep to judge (None).
    unit : str, default " cm-1"
        The axis unit as the message writes it after a number (empty for none).

    Returns
    -------
    AxisProblem or None
    """
    x = np.asarray(wavenumber, dtype=float)
    if x.ndim != 1 or x.size < 3 or not np.isfinite(x).all():
        return None
    if float(np.abs(x).max()) > MAX_MAGNITUDE:
        return None  # refused by Spectrum as corrupt; the steps between would overflow
    lo, hi = float(x.min()), float(x.max())
    span = hi - lo
    if span > 0:
        steps = np.diff(x)
        direction = np.sign(x[-1] - x[0]) or np.sign(steps[np.flatnonzero(steps)[0]])
        forward = direction * x
        behind = np.maximum.accumulate(forward) - forward  # how far each point is back
        back_steps = np.flatnonzero(direction * steps < 0)  # point i -> i + 1 goes back
        if back_steps.size:
            # each turn-back lasts while the points stay behind the farthest one reached
            behind_mask = np.r_[False, behind > 0]
            starts = np.flatnonzero(~behind_mask[:-1] & behind_mask[1:])
            extents = np.maximum.reduceat(behind, starts)
            # runs of steps backwards in a row: a window join steps back once
            run_ends = np.flatnonzero(np.diff(np.r_[back_steps, -2]) != 1)
            run_starts = np.r_[0, run_ends[:-1] + 1]
            runs = run_ends - run_starts + 1
            long_runs = back_steps[run_starts[runs >= 2]] + 1
            far = starts[extents > MAX_TURN_BACK_FRACTION * span]
            if long_runs.size or far.size:
                at = int(min(np.r_[long_runs, far]))
                excursion = int(np.searchsorted(starts, at, side="right")) - 1
                extent = float(extents[excursion])
                step = int(np.searchsorted(back_steps, at - 1))  # the step back into ``at``
                run = int(runs[np.searchsorted(run_starts, step, side="right") - 1])
                how = f" and runs backwards for {run} steps" if run >= 2 else ""
                return AxisProblem(
                    at,
                    "the axis turns back",
                    f" ({x[at - 1]:g} -> {x[at]:g}{unit}){how}, {extent:g}{unit} or "
                    f"{_share(extent / span)} of its range {lo:g}-{hi:g}{unit}: the file holds "
                    "more than one sweep, or its points are out of order; only where scan "
                    "windows join may an axis turn back, by one step of up to "
                    f"{MAX_TURN_BACK_FRACTION:.0%} of its range",
                )
    unique, first_seen = np.unique(x, return_index=True)
    repeated = x.size - unique.size
    if repeated > MAX_REPEATED_FRACTION * x.size:
        later = np.ones(x.size, dtype=bool)
        later[first_seen] = False
        at = int(np.argmax(later))
        return AxisProblem(
            at,
            f"{repeated} of the {x.size} points ({_share(repeated / x.size)}) repeat a value "
            f"of the axis, the first {x[at]:g}{unit}",
            ": the file holds more than one sweep on the same axis, or no axis at all; only "
            "where scan windows join may a value repeat, for up to "
            f"{MAX_REPEATED_FRACTION:.0%} of the points",
        )
    return None


class Spectrum:
    """A Raman or infrared spectrum on a wavenumber axis.

    Parameters
    ----------
    wavenumber : array_like, shape (n,)
        Axis in cm⁻¹ (Raman shift for Raman spectra). Must be strictly monotonic; a descending
        axis is reversed together with the intensities. Repeated values are refused: readers
        merge them with :meth:`from_readings` instead.
    intensity : array_like, shape (n,)
        Intensities in ``y_unit``.
    modality : {"raman", "ir"}
        The kind of vibrational spectrum.
    y_unit : str, default "arbitrary"
        One of :data:`Y_UNITS`.
    metadata : mapping, optional
        Standard keys (:data:`STANDARD_METADATA_KEYS`) and vendor keys.
    history : iterable of ProcessingStep, optional
        The processing steps already applied.

    Raises
    ------
    SpectrumError
        On NaN or infinite values or values beyond :data:`MAX_MAGNITUDE`, length mismatch,
        fewer than :data:`MIN_POINTS` points, a non-monotonic or repeated axis, or an unknown
        modality or unit.

    Notes
    -----
    ``wavenumber`` and ``intensity`` are read-only float64 arrays. Use :meth:`replace` or
    :meth:`with_intensity` to derive a new spectrum.
    """

    __slots__ = ("_history", "_intensity", "_metadata", "_wavenumber", "modality", "y_unit")

    def __init__(
        self,
        wavenumber: Any,
        intensity: Any,
        *,
        modality: str,
        y_unit: str = "arbitrary",
        metadata: Mapping[str, Any] | None = None,
        history: Iterable[ProcessingStep] = (),
    ) -> None:
        x = _frozen_array(wavenumber, "wavenumber")
        y = _frozen_array(intensity, "intensity")
        if x.size != y.size:
            raise SpectrumError(
                f"wavenumber and intensity differ in length: {x.size} and {y.size} points"
            )
        if x.size < MIN_POINTS:
            raise SpectrumError(f"a spectrum needs at least {MIN_POINTS} points, got {x.size}")
        for array, what in ((x, "wavenumber"), (y, "intensity")):
            bad = ~np.isfinite(array)
            if bad.any():
                first = int(np.argmax(bad))
                raise SpectrumError(
                    f"{what} holds {int(bad.sum())} NaN or infinite value(s), the first at "
                    f"index {first} ({array[first]})"
                )
        for array, what in ((x, "wavenumber"), (y, "intensity")):
            huge = np.abs(array) > MAX_MAGNITUDE
            if huge.any():
                first = int(np.argmax(huge))
                raise SpectrumError(
                    f"{what} holds {int(huge.sum())} value(s) up to "
                    f"{float(np.max(np.abs(array))):.3g} in size, the first {array[first]:.3g} "
                    + (f"at {x[first]:g} cm-1" if what == "intensity" else f"at index {first}")
                    + f": beyond what any spectrum holds (at most {MAX_MAGNITUDE:.0e}); a "
                    "corrupt file, or a wrong exponent or factor"
                )
        steps = np.diff(x)
        if np.all(steps < 0):
            x, y = x[::-1].copy(), y[::-1].copy()
            steps = -steps[::-1]
        if not np.all(steps > 0):
            if np.all(steps >= 0) or np.all(steps <= 0):
                repeated = int(np.count_nonzero(steps == 0))
                first = int(np.argmax(steps == 0))
                raise SpectrumError(
                    f"wavenumber repeats {repeated} value(s), the first {x[first]} at index "
                    f"{first}; "
                    + (
                        _too_coarse(wavenumber)
                        or "use Spectrum.from_readings to merge repeated points"
                    )
                )
            direction = np.sign(steps[np.flatnonzero(steps)[0]])
            first = int(np.argmax(np.sign(steps) == -direction))
            raise SpectrumError(
                f"wavenumber is not monotonic: it changes direction at index {first + 1} "
                f"({x[first]} -> {x[first + 1]})"
            )
        if modality not in MODALITIES:
            raise SpectrumError(f"modality must be one of {MODALITIES}, got {modality!r}")
        if y_unit not in Y_UNITS:
            raise SpectrumError(f"y_unit must be one of {Y_UNITS}, got {y_unit!r}")
        x.flags.writeable = False
        y.flags.writeable = False
        self._wavenumber = x
        self._intensity = y
        self.modality = modality
        self.y_unit = y_unit
        self._metadata = MappingProxyType(dict(metadata or {}))
        self._history = tuple(history)
        for step in self._history:
            if not isinstance(step, ProcessingStep):
                raise SpectrumError(f"history entries must be ProcessingStep, got {step!r}")

    # -- construction helpers -------------------------------------------------------------

    @classmethod
    def from_readings(
        cls,
        wavenumber: Any,
        intensity: Any,
        *,
        modality: str,
        y_unit: str = "arbitrary",
        metadata: Mapping[str, Any] | None = None,
        history: Iterable[ProcessingStep] = (),
    ) -> Spectrum:
        """Build a spectrum from an instrument's or a file's raw points.

        Unlike the constructor, this sorts an axis that turns back a little and merges repeated
        wavenumbers (as stitched step-scan exports contain where their windows join) by
        averaging their intensities; the sort is recorded in the history as
        ``sort_wavenumber``, the merge as ``merge_repeated_wavenumbers``.

        Parameters
        ----------
        wavenumber : array_like, shape (n,)
            Axis in cm⁻¹, in the order the file or instrument gives it (ascending or
            descending, turning back a little where scan windows join, repeated values).
        intensity : array_like, shape (n,)
            Intensities in ``y_unit``, one per axis value.
        modality : {"raman", "ir"}
            The kind of vibrational spectrum.
        y_unit : str, default "arbitrary"
            One of :data:`Y_UNITS`.
        metadata : mapping, optional
            Standard keys (:data:`STANDARD_METADATA_KEYS`) and vendor keys.
        history : iterable of ProcessingStep, optional
            Steps already applied; the sort and merge, when made, are appended.

        Returns
        -------
        Spectrum
            On a strictly increasing axis, with one point per wavenumber.

        Raises
        ------
        SpectrumError
            As the constructor does; also when the axis holds more than one sweep or points
            out of order (:func:`axis_order_problem`): merged, two spectra would become one.
        """
        x = _frozen_array(wavenumber, "wavenumber")
        y = _frozen_array(intensity, "intensity")
        steps = list(history)
        if x.size == y.size and x.size and np.isfinite(x).all():
            problem = axis_order_problem(x)
            if problem is not None:
                raise SpectrumError(problem.reason())
            turn_backs = int(np.count_nonzero(np.sign(x[-1] - x[0]) * np.diff(x) < 0))
            if turn_backs:
                steps.append(
                    ProcessingStep(
                        "sort_wavenumber",
                        {
                            "reason": "the file's axis turns back where scan windows join; "
                            "points sorted by wavenumber",
                            "turn_backs": turn_backs,
                        },
                    )
                )
            order = np.argsort(x, kind="stable")
            x, y = x[order], y[order]
            unique, start, counts = np.unique(x, return_index=True, return_counts=True)
            if unique.size < x.size:
                sums = np.add.reduceat(y, start)
                repeated = int(np.count_nonzero(counts > 1))
                steps.append(
                    ProcessingStep(
                        "merge_repeated_wavenumbers",
                        {
                            "merged_values": repeated,
                            "points_before": int(x.size),
                            "points_after": int(unique.size),
                            "rule": "mean intensity of points sharing one wavenumber",
                        },
                    )
                )
                x, y = unique, sums / counts
        return cls(x, y, modality=modality, y_unit=y_unit, metadata=metadata, history=steps)

    @classmethod
    def from_wavelength(
        cls,
        wavelength_nm: Any,
        intensity: Any,
        *,
        laser_wavelength_nm: float,
        y_unit: str = "counts",
        metadata: Mapping[str, Any] | None = None,
    ) -> Spectrum:
        """Build a Raman spectrum from a scattered-light wavelength axis (nm).

        The axis becomes Raman shift in cm⁻¹ with the excitation wavelength, which is also
        stored as ``laser_wavelength_nm``. Points at or below the laser line (anti-Stokes or
        Rayleigh) are kept with their negative or zero shift.

        Parameters
        ----------
        wavelength_nm : array_like, shape (n,)
            Wavelengths of the scattered light (nm), in any order :meth:`from_readings` takes.
        intensity : array_like, shape (n,)
            Intensities in ``y_unit``.
        laser_wavelength_nm : float
            Excitation wavelength (nm).
        y_unit : str, default "counts"
            One of :data:`Y_UNITS` (a Raman spectrum's: counts or arbitrary).
        metadata : mapping, optional
            Standard and vendor keys; ``laser_wavelength_nm`` is set from the argument.

        Returns
        -------
        Spectrum
            A Raman spectrum on the Raman shift axis (cm⁻¹), its history starting with
            ``wavelength_to_raman_shift``.

        Raises
        ------
        SpectrumError
            As :meth:`from_readings`.
        """
        shift = wavelength_to_raman_shift(wavelength_nm, laser_wavelength_nm)
        meta = {**(metadata or {}), "laser_wavelength_nm": float(laser_wavelength_nm)}
        step = ProcessingStep(
            "wavelength_to_raman_shift", {"laser_wavelength_nm": float(laser_wavelength_nm)}
        )
        return cls.from_readings(
            shift, intensity, modality="raman", y_unit=y_unit, metadata=meta, history=[step]
        )

    # -- attributes --------------------------------------------------------------------------

    @property
    def wavenumber(self) -> np.ndarray:
        """Axis in cm⁻¹, strictly increasing, read-only float64, shape (n,)."""
        return self._wavenumber

    @property
    def intensity(self) -> np.ndarray:
        """Intensities in :attr:`y_unit`, read-only float64, shape (n,)."""
        return self._intensity

    @property
    def metadata(self) -> Mapping[str, Any]:
        """Read-only mapping of standard and vendor metadata."""
        return self._metadata

    @property
    def history(self) -> tuple[ProcessingStep, ...]:
        """The processing steps applied so far, oldest first."""
        return self._history

    @property
    def name(self) -> str | None:
        """The substance or sample name from the metadata, if any."""
        value = self._metadata.get("name")
        return None if value is None else str(value)

    def __len__(self) -> int:
        return int(self._wavenumber.size)

    def __repr__(self) -> str:
        name = f" {self.name!r}" if self.name else ""
        return (
            f"<Spectrum{name} {self.modality} {len(self)} points "
            f"{self._wavenumber[0]:.1f}-{self._wavenumber[-1]:.1f} cm-1 {self.y_unit}>"
        )

    # -- derivation ----------------------------------------------------------------------------

    def replace(
        self,
        *,
        wavenumber: Any = None,
        intensity: Any = None,
        modality: str | None = None,
        y_unit: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        step: ProcessingStep | None = None,
    ) -> Spectrum:
        """Return a new spectrum with the given fields replaced and ``step`` appended to history.

        The new spectrum goes through the constructor, so it is validated and its arrays
        copied as any other; this one is unchanged. A field left at None is kept.

        Parameters
        ----------
        wavenumber : array_like, shape (n,), optional
            A new axis, cm⁻¹ (a descending one is reversed with the intensities).
        intensity : array_like, shape (n,), optional
            New intensities.
        modality : {"raman", "ir"}, optional
        y_unit : str, optional
            One of :data:`Y_UNITS`.
        metadata : mapping, optional
            The new metadata, whole: it replaces the old, it is not merged (for that, see
            :meth:`with_metadata`).
        step : ProcessingStep, optional
            Appended to the history; without it the history is kept as it is.

        Returns
        -------
        Spectrum

        Raises
        ------
        SpectrumError
            When the result is not a valid spectrum (see the class: lengths that differ,
            a non-monotonic axis, an unknown modality or unit...).
        """
        history = self._history + ((step,) if step is not None else ())
        return Spectrum(
            self._wavenumber if wavenumber is None else wavenumber,
            self._intensity if intensity is None else intensity,
            modality=self.modality if modality is None else modality,
            y_unit=self.y_unit if y_unit is None else y_unit,
            metadata=self._metadata if metadata is None else metadata,
            history=history,
        )

    def with_intensity(self, intensity: Any, step: str, /, **params: Any) -> Spectrum:
        """Return a copy with new intensities, recording the step ``step`` with ``params``.

        What every processing step returns (:meth:`replace` with a :class:`ProcessingStep`).

        Parameters
        ----------
        intensity : array_like, shape (n,)
            The new intensities, on this spectrum's axis and in its unit.
        step : str
            The step's name, as the history and reports show it.
        **params
            The parameters it ran with: plain JSON-serialisable values, kept as the step's
            ``params``.

        Returns
        -------
        Spectrum

        Raises
        ------
        SpectrumError
            When ``intensity`` is not ``n`` finite numbers (see the class).
        """
        return self.replace(intensity=intensity, step=ProcessingStep(step, params))

    @property
    def y_unit_guessed(self) -> bool:
        """Whether the reader guessed the intensity unit from the numbers (the file names none).

        Readers say so in ``metadata["y_unit_basis"]`` (:data:`GUESSED_UNIT_BASIS`).
        """
        return y_unit_basis_is_guess(self._metadata.get("y_unit_basis"))

    @property
    def axis_unit_assumed(self) -> bool:
        """Whether the reader took the axis to be in cm⁻¹ without the file naming a unit.

        Readers say so in ``metadata["axis_unit_basis"]`` (:data:`ASSUMED_AXIS_UNIT_BASIS`);
        the axis check (:func:`forensic.quality.diagnose_axis_unit`) still refuses an axis
        that looks like a wavelength, but one it lets pass is in cm⁻¹ only by assumption.
        """
        basis = str(self._metadata.get("axis_unit_basis") or "")
        return basis.startswith(f"{ASSUMED_AXIS_UNIT_BASIS}:")

    @property
    def modality_guessed(self) -> bool:
        """Whether the reader told Raman from IR by the numbers alone (the file says neither).

        Readers say so in ``metadata["modality_basis"]`` (:data:`GUESSED_MODALITY_BASIS`).
        """
        basis = str(self._metadata.get("modality_basis") or "")
        return basis.startswith(f"{GUESSED_MODALITY_BASIS}:")

    def with_y_unit(
        self, y_unit: str, /, basis: str = "stated", *, over_file: bool = False
    ) -> Spectrum:
        """Return a copy whose intensities are declared to be in ``y_unit`` (numbers unchanged).

        For a file that does not name its unit, where the reader had to guess
        (:attr:`y_unit_guessed`) or left it ``arbitrary``. The change is recorded as the step
        ``set_y_unit`` (with the unit it was read as) and ``basis`` is kept as
        ``metadata["y_unit_basis"]``. A unit the file names is not overridden unless
        ``over_file`` says the file's header is wrong (the step then records
        ``over_file_unit``); a unit the file names rightly is converted instead
        (:func:`transmittance_to_absorbance`).

        Parameters
        ----------
        y_unit : str
            The unit the intensities are in.
        basis : str, default "stated"
            How it is known, kept as ``metadata["y_unit_basis"]``.
        over_file : bool, default False
            Replace a unit the file names: its header is wrong (the numbers are not in it).

        Returns
        -------
        Spectrum
            The same numbers in ``y_unit``, with the step ``set_y_unit``.

        Raises
        ------
        SpectrumError
            For an unknown unit, an IR unit on a Raman spectrum, or (without ``over_file``) a
            spectrum whose file named another unit.
        """
        if self.modality == "raman" and y_unit in IR_UNITS:
            raise SpectrumError(f"{y_unit} is an infrared unit; this spectrum is Raman")
        named = not (self.y_unit_guessed or self.y_unit in ("arbitrary", y_unit))
        if named and not over_file:
            raise SpectrumError(
                f"the file names its intensity unit, {self.y_unit}; only a unit a file leaves "
                f"unnamed can be stated (not {y_unit})"
            )
        params: dict[str, Any] = {"y_unit": y_unit, "was": self.y_unit}
        if named:
            params["over_file_unit"] = True
        step = ProcessingStep("set_y_unit", params)
        return self.replace(
            y_unit=y_unit, metadata={**self._metadata, "y_unit_basis": basis}, step=step
        )

    def with_metadata(self, **updates: Any) -> Spectrum:
        """Return a copy whose metadata has ``updates`` merged in (no history step).

        Parameters
        ----------
        **updates
            Metadata keys and their new values (standard keys,
            :data:`STANDARD_METADATA_KEYS`, or vendor keys); they replace existing ones of
            the same key, and every other key is kept.

        Returns
        -------
        Spectrum
            The same numbers, modality, unit and history.
        """
        return self.replace(metadata={**self._metadata, **updates})

    # -- identity --------------------------------------------------------------------------------

    def content_hash(self) -> str:
        """SHA-256 (hex) of the axis, intensities, modality and unit, independent of metadata.

        Two spectra with the same numbers give the same hash on every platform (little-endian
        float64 bytes).

        Returns
        -------
        str
            64 hexadecimal digits.
        """
        digest = hashlib.sha256()
        digest.update(f"{self.modality}|{self.y_unit}|{len(self)}|".encode())
        digest.update(self._wavenumber.astype("<f8").tobytes())
        digest.update(self._intensity.astype("<f8").tobytes())
        return digest.hexdigest()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable description (arrays as lists).

        Returns
        -------
        dict
            ``wavenumber`` and ``intensity`` (lists of float), ``modality``, ``y_unit``,
            ``metadata`` (values JSON cannot hold as strings) and ``history`` (each step's
            :meth:`ProcessingStep.to_dict`); :meth:`from_dict` reads it back.
        """
        return {
            "wavenumber": self._wavenumber.tolist(),
            "intensity": self._intensity.tolist(),
            "modality": self.modality,
            "y_unit": self.y_unit,
            "metadata": json.loads(json.dumps(dict(self._metadata), default=str)),
            "history": [step.to_dict() for step in self._history],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Spectrum:
        """Inverse of :meth:`to_dict`.

        Parameters
        ----------
        data : mapping
            As :meth:`to_dict` gives it; ``y_unit`` (default ``"arbitrary"``), ``metadata`` and
            ``history`` may be left out.

        Returns
        -------
        Spectrum
            The same numbers, modality, unit, metadata and history.

        Raises
        ------
        SpectrumError
            As the constructor, on what ``data`` holds.
        """
        return cls(
            data["wavenumber"],
            data["intensity"],
            modality=data["modality"],
            y_unit=data.get("y_unit", "arbitrary"),
            metadata=data.get("metadata"),
            history=[ProcessingStep.from_dict(s) for s in data.get("history", [])],
        )


# -- unit conversions -----------------------------------------------------------------------------


def wavelength_to_raman_shift(wavelength_nm: Any, laser_wavelength_nm: float) -> np.ndarray:
    """Raman shift (cm⁻¹) of scattered light at ``wavelength_nm`` for a given excitation.

    ``shift = 1e7 / laser_wavelength_nm - 1e7 / wavelength_nm``.

    Parameters
    ----------
    wavelength_nm : array_like of float
        Wavelengths of the scattered light (nm).
    laser_wavelength_nm : float
        Excitation wavelength (nm).

    Returns
    -------
    ndarray of float64, same shape as ``wavelength_nm``
        Raman shifts (cm⁻¹); anti-Stokes light gives negative shifts.

    Raises
    ------
    SpectrumError
        The laser wavelength is not a positive number, or a wavelength is zero or negative.
    """
    laser = float(laser_wavelength_nm)
    if not np.isfinite(laser) or laser <= 0:
        raise SpectrumError(f"laser wavelength must be a positive number of nm, got {laser}")
    wavelength = np.asarray(wavelength_nm, dtype=np.float64)
    if np.any(wavelength <= 0):
        raise SpectrumError("wavelengths must be positive (nm)")
    return 1e7 / laser - 1e7 / wavelength


def raman_shift_to_wavelength(shift_cm1: Any, laser_wavelength_nm: float) -> np.ndarray:
    """Wavelength (nm) of light scattered at Raman shift ``shift_cm1``.

    ``wavelength = 1e7 / (1e7 / laser_wavelength_nm - shift_cm1)``, the inverse of
    :func:`wavelength_to_raman_shift`: the axis a spectrometer that reports wavelengths writes
    for a Raman spectrum.

    Parameters
    ----------
    shift_cm1 : array_like
        Raman shifts, cm⁻¹ (below ``1e7 / laser_wavelength_nm``).
    laser_wavelength_nm : float
        Excitation wavelength, nm.

    Returns
    -------
    numpy.ndarray
        Wavelengths, nm, float64, the shape of ``shift_cm1``.

    Raises
    ------
    SpectrumError
        If the laser wavelength is not a positive finite number.
    """
    laser = float(laser_wavelength_nm)
    if not np.isfinite(laser) or laser <= 0:
        raise SpectrumError(f"laser wavelength must be a positive number of nm, got {laser}")
    return 1e7 / (1e7 / laser - np.asarray(shift_cm1, dtype=np.float64))


IR_MICROMETRE_FROM_UM = 2.0
"""An axis in µm that starts here or beyond (5000 cm-1 and below) is an IR spectrum's: the
light a Raman laser scatters ends before it (1.85 µm at most, 4000 cm-1 from a 1064 nm
laser), and the mid-IR runs from 2.5 to 25 µm (4000-400 cm-1)."""

IR_MICROMETRE_BELOW = 50.0
"""An IR axis that ends below this is no wavenumber in cm-1 (the mid-IR ends at 400, far-IR
instruments at 200 or so), but a wavelength in µm: the rule by which the CSV reader converts
an IR axis whose unit it is not told (:mod:`forensic.io.text`), and the
axis check tells one that is not (:func:`forensic.quality.diagnose_axis_unit`)."""


def micrometre_to_wavenumber(wavelength_um: Any) -> np.ndarray:
    """Wavenumber (cm⁻¹) of an IR wavelength in µm: ``1e4 / λ``.

    Parameters
    ----------
    wavelength_um : array_like of float
        Wavelengths (µm).

    Returns
    -------
    ndarray of float64, same shape
        Wavenumbers (cm⁻¹).

    Raises
    ------
    SpectrumError
        A wavelength is zero or negative.
    """
    wavelength = np.asarray(wavelength_um, dtype=np.float64)
    if np.any(wavelength <= 0):
        raise SpectrumError("wavelengths must be positive (µm)")
    return 1e4 / wavelength


def nanometre_to_wavenumber(wavelength_nm: Any) -> np.ndarray:
    """Wavenumber (cm⁻¹) of a wavelength in nm: ``1e7 / λ``.

    Parameters
    ----------
    wavelength_nm : array_like of float
        Wavelengths (nm).

    Returns
    -------
    ndarray of float64, same shape
        Wavenumbers (cm⁻¹).

    Raises
    ------
    SpectrumError
        A wavelength is zero or negative.
    """
    wavelength = np.asarray(wavelength_nm, dtype=np.float64)
    if np.any(wavelength <= 0):
        raise SpectrumError("wavelengths must be positive (nm)")
    return 1e7 / wavelength


_TRANSMITTANCE_FLOOR = 1e-6
"""Transmittance below this (opaque bands, noise) is clipped before taking the logarithm."""


def transmittance_to_absorbance(spectrum: Spectrum) -> Spectrum:
    """Convert a transmittance spectrum (fraction or percent) to absorbance, ``A = -log10(T)``.

    Transmittance below 1e-6 as a fraction (at or below zero: noise in opaque bands; or merely
    tiny) is raised to 1e-6 before the logarithm, so that the result stays finite, at most 6
    absorbance units; the number of such points and the floor are recorded in the history.

    Parameters
    ----------
    spectrum : Spectrum
        With ``y_unit`` ``"transmittance"`` (fraction) or ``"percent_transmittance"``.

    Returns
    -------
    Spectrum
        In ``"absorbance"``, with the step ``transmittance_to_absorbance`` (``from_unit``,
        ``clipped_points``, ``floor``) in its history.

    Raises
    ------
    SpectrumError
        If ``spectrum`` is not in a transmittance unit.
    """
    if spectrum.y_unit not in TRANSMITTANCE_UNITS:
        raise SpectrumError(
            f"transmittance_to_absorbance needs a transmittance spectrum, got {spectrum.y_unit!r}"
        )
    fraction = np.asarray(spectrum.intensity)
    if spectrum.y_unit == "percent_transmittance":
        fraction = fraction / 100.0
    clipped = int(np.count_nonzero(fraction < _TRANSMITTANCE_FLOOR))
    absorbance = -np.log10(np.clip(fraction, _TRANSMITTANCE_FLOOR, None))
    step = ProcessingStep(
        "transmittance_to_absorbance",
        {"from_unit": spectrum.y_unit, "clipped_points": clipped, "floor": _TRANSMITTANCE_FLOOR},
    )
    return spectrum.replace(intensity=absorbance, y_unit="absorbance", step=step)


def absorbance_to_transmittance(spectrum: Spectrum, *, percent: bool = False) -> Spectrum:
    """Convert an absorbance spectrum to transmittance, ``T = 10**(-A)`` (fraction or percent).

    Parameters
    ----------
    spectrum : Spectrum
        An absorbance spectrum.
    percent : bool
        Give percent transmittance (0-100) rather than a fraction (0-1).

    Returns
    -------
    Spectrum
        A new spectrum in ``"transmittance"`` or ``"percent_transmittance"``, the step recorded.

    Raises
    ------
    SpectrumError
        ``spectrum`` is not in absorbance.
    """
    if spectrum.y_unit != "absorbance":
        raise SpectrumError(
            f"absorbance_to_transmittance needs an absorbance spectrum, got {spectrum.y_unit!r}"
        )
    fraction = np.power(10.0, -np.asarray(spectrum.intensity))
    unit = "percent_transmittance" if percent else "transmittance"
    step = ProcessingStep("absorbance_to_transmittance", {"to_unit": unit})
    return spectrum.replace(
        intensity=fraction * 100.0 if percent else fraction, y_unit=unit, step=step
    )
