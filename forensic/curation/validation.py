"""Validating a library: quality gates on every reference (``forensic library validate``).

Each gate has its threshold as a named constant:

==========================  ===================================================================
``signal-to-noise``         band height above the background over a robust noise estimate
                            from first differences
``saturation``              flat tops at the maximum, values at a detector ceiling (2^n - 1)
``axis``                    range covers the modality's fingerprint region (an inorganic
                            substance's own, :data:`INORGANIC_AXIS_RULES`); sampling step
``spikes``                  Raman: the spikes identification's pipeline replaces
                            (:func:`forensic.quality.find_spikes`), failing at 2 % of the
                            signal (an FTIR sees none; its coarse sampling draws sharp
                            bands one or two points wide)
``units``                   Raman in absorbance, transmittance neither a fraction nor percent,
                            absorbance out of range, a nm axis taken for cm-1, mostly negative;
                            a warning in its note (no failure) for IR values that look like
                            the other of absorbance and transmittance
                            (:func:`forensic.quality.diagnose_unit_label`)
``atmosphere``              IR: no atmospheric CO2 doublet near 2349 cm-1 of 5 % of the range
                            or more (a background measured with other air in the beam)
``metadata``                required manifest fields, a CAS number (check digit checked) or a
                            standard InChIKey (its form checked), file/modality/id agree;
                            a name or CAS number the file states contradicts the manifest row;
                            values edited after import (:mod:`forensic.curation.digest`)
``duplicates``              two entries with the same spectrum (one measurement: the same
                            values, :func:`~forensic.curation.digest.same_measurement`)
``near-duplicates``         entries of different names whose library vectors have cosine > 0.98
``self-identification``     each reference, with seeded noise, identifies as itself
==========================  ===================================================================

The gates on raw spectra need a folder; a compiled library answers the metadata, duplicate and
near-duplicate gates.

A finding says what to run as a ``forensic`` command line, for a Python caller too: a waived
finding is copied, as it is, into the signed release record and the library's changelog
(:mod:`forensic.curation.publish`), read by chemists at the command line whoever validated.
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from forensic.arguments import with_command_line_options
from forensic.commands import PLACEHOLDER, command
from forensic.curation.digest import DATA_DIGEST_KEY, digest_problem, same_measurement
from forensic.curation.manifest import (
    REQUIRED_FIELDS,
    cas_is_valid,
    cas_key,
    cas_problem,
    id_problem,
)
from forensic.curation.source import LibrarySource, open_library
from forensic.errors import ForensicError, LibraryError
from forensic.io import is_spectrum_file, read_spectrum
from forensic.library import Library, substance_key
from forensic.manifest import inchikey_problem, split_waivers
from forensic.naming import lookalike_note, lookalike_notes, mixed_words, printed_key
from forensic.processing import default_pipeline
from forensic.quality import (
    CLIPPED_RUN,
    DIP_UNITS,
    RAMAN_SHIFT_EXPORT,
    axis_unit_problem,
    diagnose_flat,
    diagnose_ir_range,
    diagnose_negative,
    diagnose_unit_label,
    find_spikes,
    ir_unit_problem,
    laser_line_action,
    laser_line_named,
    noise_sigma,
    spectrum_atmospheric_co2,
    spectrum_clipped_run,
    spectrum_signal_to_noise,
    spike_signal,
)
from forensic.search import score_batch
from forensic.spectrum import (
    IR_UNITS,
    MODALITIES,
    PROVENANCES,
    STATED_Y_UNITS,
    Spectrum,
    is_measured,
)
from forensic.verdict import format_beside, format_score

MIN_SNR = 30.0
"""Least signal-to-noise ratio (strongest band above background over noise) of a reference.
Measured this way, the real spectra in ``../shared/data`` range from about 48 (a weak silicon
spectrum at 785 nm) to thousands; the ENFSI ATR-IR references from about 110; the modelled
references are above 1800."""

SPIKE_MIN_FRACTION = 0.02
"""A spike (:func:`forensic.quality.find_spikes`, the points identification's pipeline
replaces) fails a reference when it stands at least this fraction of the spectrum's signal (max
minus 5th percentile) above its neighbours: a cosmic ray that large in a reference means a
measurement to repeat, or a real band too narrow for its sampling that the pipeline would cut
out. Smaller ones (in smoothed exports, kinks of a few noise widths on a band) are replaced as
well but change little: the gate names them in its note and passes."""

DETECTOR_CEILINGS = tuple(2**bits - 1 for bits in (12, 14, 15, 16, 18, 20))
"""Raw counts at one of these values are at an analogue-to-digital converter's ceiling."""

NEAR_DUPLICATE_COSINE = 0.98
"""Entries of different names whose library vectors have a cosine above this are flagged."""

SELF_ID_NOISE = 0.02
"""Standard deviation of the Gaussian noise added for self-identification, as a fraction of the
reference's intensity range."""


_UNIT_AFTER_VALUE = {
    "counts": "counts",
    "counts_per_second": "counts/s",
    "arbitrary": "(arbitrary units)",
    "absorbance": "absorbance",
    "transmittance": "transmittance (a fraction, 0..1)",
    "percent_transmittance": "% transmittance",
    "reflectance": "reflectance",
    "kubelka_munk": "Kubelka-Munk units",
    "normalised": "(normalised)",
}
"""How a finding writes an intensity's unit after its value (a transmittance says its scale)."""


@dataclass(frozen=True)
class AxisRule:
    """What a reference's wavenumber axis must offer for one modality.

    Attributes
    ----------
    cover : tuple of float
        Range (cm⁻¹) the axis must span entirely: the fingerprint region.
    max_step : float
        Largest median sampling step (cm⁻¹) accepted.
    """

    cover: tuple[float, float]
    max_step: float


AXIS_RULES = {
    "raman": AxisRule(cover=(400.0, 1800.0), max_step=4.0),
    "ir": AxisRule(cover=(700.0, 1800.0), max_step=8.0),
}
"""Axis requirements per modality: the fingerprint region must be measured in full, at a step
fine enough for bands of 5-10 cm⁻¹ (Raman) and ~10-20 cm⁻¹ (ATR-IR)."""

INORGANIC_AXIS_RULES = {
    "raman": AxisRule(cover=(250.0, 1200.0), max_step=4.0),
    "ir": AxisRule(cover=(600.0, 1500.0), max_step=8.0),
}
"""Axis requirements of an inorganic reference (:func:`axis_rule`): a cutting agent or diluent
such as a carbonate, bicarbonate, sulfate, borate or a mineral. Its bands lie lower than an
organic compound's, and it has few above 1200 (Raman) or 1500 cm⁻¹ (IR): in Raman, the
anion's stretch (carbonate 1086, bicarbonate 1046, nitrate 1050, sulfate 1008, phosphate 960
cm⁻¹), its bends (calcite 712, sulfate 415-490, quartz 464 cm⁻¹) and the lattice modes down to
about 250 cm⁻¹ (calcite 281), where a handheld Raman's range starts; in IR, the anion's
stretch (carbonate 1420-1450, nitrate 1380, sulfate 1100 cm⁻¹) and bends down to 600 cm⁻¹
(carbonate 875 and 712, sulfate 610 cm⁻¹), what a diamond ATR still measures. So an
inorganic reference must cover that region instead of the organic fingerprint region: a
mineral reference measured from 113 to 1290 cm⁻¹ (RRUFF quartz) passes, as it identifies,
and one that stops at 1000 cm⁻¹ (no carbonate stretch) or starts at 400 cm⁻¹ (no lattice
mode) does not."""

INORGANIC_FORMS = ("inorganic", "element", "mineral")
"""How a manifest's ``salt_form`` says a substance is inorganic (its first word, any case):
``inorganic salt (calcite)``, ``inorganic acid``, ``element (crystalline)``, ``mineral``."""


def axis_rule(modality: str, salt_form: str | None = "") -> AxisRule:
    """The axis requirement of a reference: :data:`INORGANIC_AXIS_RULES` for an inorganic
    substance, else :data:`AXIS_RULES`.

    Parameters
    ----------
    modality : {"raman", "ir"}
        The reference's modality.
    salt_form : str, optional
        Its manifest's ``salt_form``: inorganic when its first word is one of
        :data:`INORGANIC_FORMS` (the chemist states the substance's form there; its
        ``class``, such as ``cutting agent``, holds organic and inorganic substances alike).

    Returns
    -------
    AxisRule
    """
    words = str(salt_form or "").lower().split()
    if words and words[0].strip(",;:()") in INORGANIC_FORMS:
        return INORGANIC_AXIS_RULES[modality]
    return AXIS_RULES[modality]


@dataclass
class Finding:
    """One problem a gate found, naming the entry (id, and file or name).

    Attributes
    ----------
    gate : str
        The gate that found it (a key of :data:`GATES`).
    entry : str
        The entry it concerns, for a reader: its id or file, with its name where the gate
        has it, or a manifest line for a row without either; both entries for a pair
        (duplicates, near-duplicates).
    message : str
        What is wrong, with the values found and what was expected.
    ids : tuple of str, default ()
        The ids of the entries it concerns (two for a pair): a waiver in one of their
        manifest rows may let it pass (:data:`WAIVABLE`).
    waivable_as : str, default ""
        The name a waiver gives to let it pass: the gate's (``""``), or ``cas`` for a
        reference without a CAS number; none for a finding no waiver lets pass (an id or a
        file that is wrong, a spectrum in two entries).
    waived : str or None, default None
        The reason a waiver gives, when one lets it pass (:func:`validate_library` applies
        them).
    """

    gate: str
    entry: str
    message: str
    ids: tuple[str, ...] = ()
    waivable_as: str = ""
    waived: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "gate": self.gate,
            "entry": self.entry,
            "message": self.message,
            "ids": list(self.ids),
            "waived": self.waived,
        }


@dataclass
class GateResult:
    """The outcome of one gate.

    Attributes
    ----------
    name : str
        The gate (a key of :data:`GATES`).
    description : str
        What it checks, in words (the value of :data:`GATES`).
    status : {"pass", "fail", "waived", "skipped"}, default "pass"
        "fail" as soon as one finding is recorded (:meth:`fail`); "waived" when every finding
        was let pass by a waiver of its entry (:data:`WAIVABLE`), which does not fail the
        gate; "skipped" when the gate could not run (a ``.flib`` holds no raw spectra) or was
        not asked for.
    checked : int, default 0
        How many references (or manifest rows) it checked.
    findings : list of Finding
        The problems found; empty when it passed.
    note : str, default ""
        Why it was skipped, or what a reader should know of a gate that ran (run on selected
        entries only, warnings that do not fail it).
    """

    name: str
    description: str
    status: str = "pass"
    checked: int = 0
    findings: list[Finding] = field(default_factory=list)
    note: str = ""

    def fail(
        self,
        entry: str,
        message: str,
        *,
        ids: Iterable[str] = (),
        waivable_as: str | None = None,
    ) -> None:
        """Record a finding and mark the gate failed.

        Parameters
        ----------
        entry : str
            The entry, for a reader (:attr:`Finding.entry`).
        message : str
            What is wrong.
        ids : iterable of str, optional
            The ids of the entries it concerns, whose waivers may let it pass; none for a
            finding no waiver lets pass.
        waivable_as : str, optional
            The name a waiver gives to let it pass, when it is not the gate's (``cas``).
        """
        ids = tuple(i for i in ids if i)
        key = (waivable_as or self.name) if ids else ""
        self.findings.append(Finding(self.name, entry, message, ids, key))
        self.status = "fail"

    @property
    def waived(self) -> list[Finding]:
        """The findings a waiver let pass."""
        return [f for f in self.findings if f.waived is not None]

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "name": self.name,
            "description": self.description,
            "status": self.status,
            "checked": self.checked,
            "findings": [f.to_dict() for f in self.findings],
            "note": self.note,
        }


GATES = {
    "signal-to-noise": f"strongest band over noise >= {MIN_SNR:g}",
    "saturation": "no clipped (flat) tops, no counts at a detector ceiling",
    "axis": "covers the fingerprint region ("
    + ", ".join(f"{m} {r.cover[0]:g}-{r.cover[1]:g} cm-1" for m, r in AXIS_RULES.items())
    + "; inorganic: "
    + ", ".join(f"{m} {r.cover[0]:g}-{r.cover[1]:g}" for m, r in INORGANIC_AXIS_RULES.items())
    + "), step fine enough",
    "spikes": f"Raman: no cosmic-ray spike of {SPIKE_MIN_FRACTION:.0%} of the signal or more",
    "units": "intensity unit and axis plausible for the modality",
    "atmosphere": "IR: no atmospheric CO2 doublet (a stale background)",
    "metadata": "required manifest fields, CAS number (check digit) or InChIKey, files agree "
    "(name, CAS, ...), values as imported",
    "duplicates": "no two entries with the same spectrum",
    "near-duplicates": f"different names never alike above cosine {NEAR_DUPLICATE_COSINE}",
    "self-identification": "each reference with noise added identifies as itself",
}
"""Gate name -> what it checks (the report's wording)."""

_RAW_GATES = (
    "signal-to-noise",
    "saturation",
    "axis",
    "spikes",
    "units",
    "atmosphere",
    "self-identification",
)

WAIVABLE = (
    "signal-to-noise",
    "saturation",
    "axis",
    "spikes",
    "units",
    "atmosphere",
    "near-duplicates",
    "self-identification",
    "cas",
)
"""What a reference's manifest row may waive (its ``waivers`` column, ``gate: reason``): the
gates that judge a spectrum's quality against a rule a real reference may not meet (a
mineral measured over its instrument's range, a real band as narrow as a cosmic ray, two
enantiomers' identical spectra), and ``cas``: a substance with neither a CAS number nor a
standard InChIKey (an InChIKey is the way to publish a new psychoactive substance that has
no CAS number yet; the waiver stays for rows written before the ``inchikey`` column). A
waived finding
is printed with its reason and fails nothing. The ``metadata`` and ``duplicates`` gates are
never waived: what they find are errors in the folder to correct."""

_NEVER_WAIVED = {
    "metadata": "its findings are errors in the folder to correct (a reference without a "
    "CAS number gives its InChIKey in the inchikey column)",
    "duplicates": "one spectrum in two entries is an error to correct: delete one",
}


@dataclass
class ValidationReport:
    """The result of :func:`validate_library`: one :class:`GateResult` per gate.

    Attributes
    ----------
    library : str
        The library validated: the folder or ``.flib`` as opened (resolved path).
    version : str
        Its version (content hash of the compiled library, SHA-256 hex).
    entries : int
        How many references the compiled library holds.
    gates : list of GateResult
        Every gate of :data:`GATES`, in that order, run, failed or skipped.
    compiled : bool, default False
        Whether a compiled ``.flib`` was validated: the gates that need the raw spectra
        cannot run on it (:attr:`unchecked`), so it never passes as a folder does
        (:attr:`passed`).
    """

    library: str
    version: str
    entries: int
    gates: list[GateResult]
    compiled: bool = False

    @property
    def ok(self) -> bool:
        """True when no gate failed (skipped gates do not fail)."""
        return all(g.status != "fail" for g in self.gates)

    @property
    def unchecked(self) -> list[str]:
        """Names of the gates a compiled ``.flib`` cannot be checked by (they need the raw
        spectra); empty for a folder (a gate not asked for, ``--no-self-id``, is not one)."""
        return [g.name for g in self.gates if g.status == "skipped"] if self.compiled else []

    @property
    def passed(self) -> bool:
        """True when no gate failed and every gate could be checked: what ``forensic library
        validate`` calls PASSED and exits 0 for (a ``.flib`` never: :attr:`unchecked`)."""
        return self.ok and not self.unchecked

    @property
    def failed(self) -> list[str]:
        """Names of the gates that failed."""
        return [g.name for g in self.gates if g.status == "fail"]

    @property
    def waived(self) -> list[str]:
        """Names of the gates whose every finding a waiver let pass."""
        return [g.name for g in self.gates if g.status == "waived"]

    @property
    def waivers(self) -> list[dict[str, Any]]:
        """Every waiver that let a finding pass: ``{"ids", "gate", "waived_as", "reason",
        "entry", "finding"}`` per finding, in gate order (what :func:`publish_library` records
        as approved)."""
        return [
            {
                "ids": list(f.ids),
                "gate": g.name,
                "waived_as": f.waivable_as,
                "reason": f.waived,
                "entry": f.entry,
                "finding": f.message,
            }
            for g in self.gates
            for f in g.waived
        ]

    def gate(self, name: str) -> GateResult:
        """The result of the gate ``name``."""
        for g in self.gates:
            if g.name == name:
                return g
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "library": self.library,
            "version": self.version,
            "entries": self.entries,
            "ok": self.ok,
            "passed": self.passed,
            "compiled": self.compiled,
            "unchecked": self.unchecked,
            "failed": self.failed,
            "waived": self.waived,
            "gates": [g.to_dict() for g in self.gates],
        }

    def format(self) -> str:
        """The readable report: one line per gate, its findings below it, a verdict line last."""
        lines = [
            f"library {self.library}",
            f"version {self.version}, {self.entries} references",
            "",
        ]
        width = max(len(g.name) for g in self.gates)
        status = {"pass": "PASS", "fail": "FAIL", "waived": "WAIVED", "skipped": "SKIP"}
        label_width = max(len(status[g.status]) for g in self.gates)
        for g in self.gates:
            detail = g.note if g.status == "skipped" else f"{g.checked} checked"
            open_findings = len(g.findings) - len(g.waived)
            if open_findings:
                detail += f", {open_findings} problem(s)"
            if g.waived:
                detail += f", {len(g.waived)} waived"
            lines.append(
                f"{status[g.status]:<{label_width}}  {g.name:<{width}}  {g.description}  [{detail}]"
            )
            for f in g.findings:
                lines.append(f"      {f.entry}: {f.message}")
                if f.waived is not None:
                    lines.append(f"        WAIVED: {f.waived}")
            if g.note and g.status != "skipped":
                lines.append(f"      note: {g.note}")
        lines.append("")
        skipped = [g.name for g in self.gates if g.status == "skipped"]
        waived = self.waived
        if self.ok and self.unchecked:  # a .flib: what it cannot be checked by is no pass
            checked = len(self.gates) - len(self.unchecked) - len(waived)
            lines.append(
                f"NOT PASSED: a compiled library file; {checked} gates passed"
                + (f", {len(waived)} waived ({', '.join(waived)})" if waived else "")
                + f"; {len(self.unchecked)} cannot be checked on a compiled file (they need "
                f"the raw spectra: {', '.join(self.unchecked)}): validate the library folder "
                f"it was built from; {self.entries} references"
            )
        elif self.ok and (skipped or waived):
            passed = len(self.gates) - len(skipped) - len(waived)
            said = [f"{passed} gates passed"]
            if waived:
                said.append(f"{len(waived)} waived ({', '.join(waived)})")
            if skipped:
                said.append(f"{len(skipped)} skipped ({', '.join(skipped)})")
            lines.append(f"PASSED: {', '.join(said)}; {self.entries} references")
        elif self.ok:
            lines.append(f"PASSED: all {len(self.gates)} gates passed ({self.entries} references)")
        else:
            lines.append(
                f"FAILED: {len(self.failed)} of {len(self.gates)} gates failed: "
                f"{', '.join(self.failed)}"
            )
        return "\n".join(lines)


def _spike_params(library: Library | None) -> dict[str, Any]:
    """The parameters the library's Raman pipeline removes spikes with (its default pipeline's
    when it has no Raman block); the defaults of :func:`forensic.quality.find_spikes` for a
    pipeline without the step, whose spikes are then left in the references."""
    block = None if library is None else library.blocks.get("raman")
    pipeline = default_pipeline("raman") if block is None else block.pipeline
    return pipeline.params("remove_spikes") if "remove_spikes" in pipeline.names else {}


def _spike_findings(
    spectrum: Spectrum, params: Mapping[str, Any]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The positions (cm⁻¹) of the spikes identification's pipeline replaces in a Raman
    reference (:func:`forensic.quality.find_spikes` with the pipeline's own ``params``), split
    into those that fail it (at least :data:`SPIKE_MIN_FRACTION` of its signal), the rest, and
    the points that stand out as much but are as wide as the bands near them
    (:data:`forensic.quality.SPIKE_BAND_WIDTH_RATIO`): real bands, which the pipeline leaves
    and which pass with a note."""
    y = np.asarray(spectrum.intensity, dtype=float)
    found = find_spikes(y, **params)
    wavenumber = np.asarray(spectrum.wavenumber, dtype=float)
    at = wavenumber[found.points]
    large = found.excess >= SPIKE_MIN_FRACTION * spike_signal(y)
    return at[large], at[~large], wavenumber[found.bands]


def _positions(at: np.ndarray) -> str:
    shown = ", ".join(f"{v:.0f}" for v in at[:5])
    return f"{at.size} spike(s) at {shown}{' ...' if at.size > 5 else ''} cm-1"


Restate = Callable[..., str | None]
"""``restate(same_entry=True, **options)``: the command that imports a reference's file again
with ``options`` said of it (:func:`_import_again` for one reference), or None."""


def _import_again(
    source: LibrarySource,
    row: Mapping[str, str],
    spectrum: Spectrum,
    *,
    same_entry: bool = True,
    **stated: Any,
) -> str | None:
    """The ``forensic library import`` command, pasteable as printed, that imports a
    reference's own file again into its library folder with ``stated`` said of it
    (``y_unit=PLACEHOLDER``, ``cas="58-08-2"``), or None where an import would not take the
    file (a modelled or simulated reference: only a measured spectrum becomes a reference).

    The row's name, source and licence are given again, so that the new row says what this
    one said; the import keeps the rest of the row it replaces (``added_by``, ``added_at``,
    CAS number, class, synonyms) and the file the reference was first imported from as its
    origin. ``same_entry`` replaces the entry itself (its id, and ``--force``: a measured
    entry is replaced only when asked); without it (the other modality: an id is one
    modality's) the import chooses the id, refuses to overwrite another measured reference,
    and removes this row and file (one spectrum is one reference). A reference listed in a
    file of another name than an import gives it is said to move there.
    """
    provenance = str(spectrum.metadata.get("provenance") or "").strip().lower()
    if source.folder is None or not is_measured(provenance):
        return None
    again = command(
        "library",
        "import",
        source.file_of(row),
        library=source.folder,
        name=row.get("name") or None,
        id=(row.get("id") or None) if same_entry else None,
        source=row.get("source") or None,
        licence=row.get("licence") or None,
        **stated,
        force=same_entry,
    )
    written = f"{spectrum.modality}/{row.get('id')}.jdx"  # where an import writes a reference
    if same_entry and row.get("file") != written:  # a file listed by hand: the import moves it
        again += f" (the reference then becomes {written}, and {row.get('file')} is removed)"
    return again


def _no_command(**_: Any) -> None:
    """The :data:`Restate` of a reference that has no folder to import it into again."""
    return None


def _in_words(values: Iterable[str]) -> str:
    """``a, b or c``."""
    values = list(values)
    return values[0] if len(values) == 1 else f"{', '.join(values[:-1])} or {values[-1]}"


_FILL_UNIT = f"with the unit in place of {PLACEHOLDER} ({_in_words(STATED_Y_UNITS)})"


def _other_modality(row: Mapping[str, str], spectrum: Spectrum, restate: Restate) -> str:
    """How to import a reference read as the wrong modality as the other one: the import
    gives it the other modality's id, and removes the entry read wrongly."""
    other = next(m for m in MODALITIES if m != spectrum.modality)
    unit = PLACEHOLDER if other == "ir" else None  # an IR reference needs its unit
    again = restate(same_entry=False, modality=other, y_unit=unit)
    if again is None:
        return f"if it is {other}, say so in the file"
    return (
        f"if it is {other}: {again}"
        + (f" {_FILL_UNIT}" if unit else "")
        + f" (it replaces the {spectrum.modality} reference {row.get('id')}, whose row and "
        f"file {row.get('file')} go)"
    )


def other_modality_import(
    folder: str | os.PathLike, row: Mapping[str, str], spectrum: Spectrum
) -> str:
    """How to make a reference whose file did not say whether it is Raman or IR the other
    modality than it was read as, as ``forensic library validate`` says it: ``if it is ir:
    `forensic library import ...` ...``, the import of the reference's own file with the other
    modality (and, for IR, its unit to fill in), which gives it the other modality's id and
    removes the entry read wrongly. The import of the instrument's file with the other modality
    is refused (the same measurement as the reference): the import that reads a modality from
    the numbers says this, with the rest of its note
    (:func:`~forensic.curation.importing.import_spectra`).

    Parameters
    ----------
    folder : path-like
        The library folder that holds the reference.
    row : mapping
        The reference's manifest row (``id``, ``file``, ``name``, ``source``, ``licence``).
    spectrum : Spectrum
        The reference, as read (its modality the one read from the numbers).

    Returns
    -------
    str
        ``if it is ir: `forensic library import ...` with the unit in place of ... (...)
        (it replaces the raman reference ..., whose row and file ... go)``.
    """
    folder = Path(folder)
    source = LibrarySource(path=folder, folder=folder, rows=[])
    return _other_modality(row, spectrum, functools.partial(_import_again, source, row, spectrum))


def _laser_line_again(spectrum: Spectrum, restate: Restate) -> str:
    """What to do with a reference's Raman axis that looks like a wavelength in nm: import it
    again with its laser line (:func:`~forensic.quality.laser_line_action`), the line its file
    names, if it does; or, with no import to run, export it against Raman shift."""
    laser = laser_line_named(spectrum)
    again = restate(laser_nm="NM" if laser is None else f"{laser:g}")
    if again is None:
        return RAMAN_SHIFT_EXPORT
    fill = "" if laser else ", the laser line it was measured with in place of NM"
    return laser_line_action(f"import it again with {again}{fill}")


def _check_units(
    spectrum: Spectrum, row: Mapping[str, str] | None = None, restate: Restate = _no_command
) -> list[str]:
    unit = spectrum.y_unit
    problems = []
    if spectrum.modality == "raman" and unit in IR_UNITS:
        problems.append(f"a Raman spectrum in {unit}: Raman intensities are counts or arbitrary")
    ir_unit = ir_unit_problem(spectrum)
    if ir_unit is not None:
        problems.append(ir_unit)
    out_of_range = diagnose_ir_range(spectrum)
    if out_of_range is not None:
        problems.append(str(out_of_range))
    if spectrum.modality == "ir" and spectrum.y_unit_guessed:
        again = restate(y_unit=PLACEHOLDER)
        problems.append(
            f"the file does not name its intensity unit: {unit} was "
            f"{spectrum.metadata['y_unit_basis']}. The unit decides whether the reference is "
            "converted to absorbance; state it: "
            + (
                f"{again} {_FILL_UNIT}"
                if again
                else f"in the file ({_in_words(STATED_Y_UNITS)}): a "
                f"{spectrum.metadata.get('provenance')} reference is not imported"
            )
            + (
                f"; {_other_modality(row or {}, spectrum, restate)}"
                if spectrum.modality_guessed
                else ""
            )
        )
    elif spectrum.modality_guessed:
        again = restate(modality=spectrum.modality)
        problems.append(
            f"the file does not say whether it is Raman or IR: {spectrum.modality} was told "
            f"from the {spectrum.metadata['modality_basis']}. A reference of the wrong kind is "
            "compared with spectra it can never match; state it: "
            + (
                f"if it is {spectrum.modality}: {again}; "
                f"{_other_modality(row or {}, spectrum, restate)}"
                if again
                else f"in the file: a {spectrum.metadata.get('provenance')} reference is not "
                "imported"
            )
        )
    axis = axis_unit_problem(spectrum, nm_action=_laser_line_again(spectrum, restate))
    if axis is not None:
        problems.append(axis)
    negative = diagnose_negative(spectrum)
    if negative is not None:
        problems.append(str(negative))
    return problems


def _row_digest(block, row: int, modality: str) -> str:
    digest = hashlib.sha256(
        f"{modality}\0{int(block.start[row])}\0{int(block.stop[row])}\0".encode()
    )
    digest.update(np.ascontiguousarray(block.matrix[row], dtype="<f4").tobytes())
    return digest.hexdigest()


def near_duplicates(
    library: Library, threshold: float = NEAR_DUPLICATE_COSINE, chunk: int = 256
) -> list[tuple[dict[str, Any], dict[str, Any], float]]:
    """Pairs of entries of different substances whose library vectors are more alike than
    ``threshold``.

    Scores every row of each modality against every other with the production search
    (:func:`forensic.search.score_batch`: cosine over the overlap of measured ranges), ``chunk``
    rows at a time, so memory stays (chunk x N) for a library of any size. Entries of
    different modalities are never compared; entries of one substance
    (:meth:`forensic.library.Library.substances`) never flagged.

    Parameters
    ----------
    library : Library
        The compiled library.
    threshold : float, default NEAR_DUPLICATE_COSINE
        Cosine (0..1) above which a pair is flagged.
    chunk : int, default 256
        Rows scored at once.

    Returns
    -------
    list of (entry, entry, float)
        Both entries' metadata (:meth:`forensic.library.Library.entry`) and their cosine,
        highest first; each pair once, the entry of the smaller id first, so the list is the
        same whatever the order of the library's rows.
    """
    pairs = []
    for modality, block in library.blocks.items():
        keys = library.substances(modality)
        n = len(block)
        for lo in range(0, n, chunk):
            hi = min(n, lo + chunk)
            scores = score_batch(
                np.asarray(block.matrix[lo:hi]),
                block.start[lo:hi],
                block.stop[lo:hi],
                block.matrix,
                block.start,
                block.stop,
                block.cumsums,
            )
            rows = np.arange(lo, hi)[:, None]
            cols = np.arange(n)[None, :]
            different = keys[lo:hi, None] != keys[None, :]
            flagged = np.argwhere((scores > threshold) & (cols > rows) & different)
            for i, j in flagged:
                a, b = library.entry(modality, lo + int(i)), library.entry(modality, int(j))
                if _entry_key(b) < _entry_key(a):
                    a, b = b, a
                pairs.append((a, b, float(scores[i, j])))
    pairs.sort(key=lambda p: (-p[2], _entry_key(p[0]), _entry_key(p[1])))
    return pairs


def _entry_key(entry: Mapping[str, Any]) -> tuple[str, str]:
    # a pair is told in the same order whatever the order of the library's rows
    return str(entry.get("entry_id") or entry.get("id") or ""), str(entry.get("name") or "")


def _label(entry: Mapping[str, Any]) -> str:
    return f"{entry.get('name')} ({entry.get('entry_id') or entry.get('id')})"


def validate_library(
    path: str | os.PathLike | LibrarySource | None = None,
    *,
    seed: int = 0,
    self_identification: bool = True,
    only: Iterable[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> ValidationReport:
    """Run every quality gate on a library folder (or the gates that apply to a ``.flib``).

    Parameters
    ----------
    path : path-like or LibrarySource, optional
        Library folder with ``manifest.csv``, or a compiled ``.flib``; default the shipped
        folder.
    seed : int, default 0
        Seed of the noise added for self-identification (entry ``i`` uses ``seed + i``).
    self_identification : bool, default True
        Run the self-identification gate (one :func:`forensic.identify` per reference).
    only : iterable of str, optional
        Entry ids: run the per-spectrum gates and self-identification on these entries only
        (e.g. the ones just imported). The library-wide gates (metadata, duplicates,
        near-duplicates) always cover every entry; :func:`publish_library` never restricts.
    progress : callable, optional
        Called with a short message as each gate starts (the CLI prints them to stderr).

    Returns
    -------
    ValidationReport
        ``report.ok`` is False when a gate failed; every finding names its entry.

    Raises
    ------
    LibraryError
        When ``path`` is neither a library folder nor a library file (:func:`open_library`),
        or ``only`` names an id the folder does not hold.
    """
    source = path if isinstance(path, LibrarySource) else open_library(path)
    say = progress or (lambda _msg: None)
    gates = {name: GateResult(name, text) for name, text in GATES.items()}
    say("compiling the library")
    library = source.library()

    spectra: list[tuple[dict[str, str], Spectrum]] = []
    if source.is_folder:
        _metadata_gate_folder(source, gates["metadata"], spectra)
        _duplicates_raw(spectra, gates["duplicates"], source.folder)
        if only is not None:
            wanted = set(only)
            unknown = wanted - {row["id"] for row in source.rows}
            if unknown:
                raise LibraryError(
                    f"no entry with id {', '.join(sorted(unknown))} in {source.path}"
                )
            spectra = [(row, s) for row, s in spectra if row["id"] in wanted]
            for name in _RAW_GATES:
                gates[name].note = f"run on the {len(spectra)} selected entries only"
        say(f"checking {len(spectra)} reference spectra")
        _raw_gates(spectra, gates, library, source)
    else:
        _metadata_gate_compiled(library, gates["metadata"])
        for name in _RAW_GATES:
            gates[name].status = "skipped"
            gates[name].note = "needs the raw spectra: a compiled .flib holds only the "
            gates[name].note += "preprocessed vectors (validate the folder it was built from)"
        _duplicates_compiled(library, gates["duplicates"])

    say("scoring every reference against every other (near-duplicates)")
    near = gates["near-duplicates"]
    near.checked = len(library)
    for a, b, score in near_duplicates(library):
        near.fail(
            f"{_label(a)} and {_label(b)}",
            f"cosine {format_beside(score, [NEAR_DUPLICATE_COSINE], decimals=4, strict=True)} > "
            f"{NEAR_DUPLICATE_COSINE} ({a.get('modality')}): the search "
            "cannot tell these substances apart",
            ids=[a.get("entry_id", ""), b.get("entry_id", "")],
        )

    if source.is_folder:
        gate = gates["self-identification"]
        if self_identification:
            say(f"self-identification of {len(spectra)} references (noise added, seed {seed})")
            _self_identification(spectra, library, gate, seed)
        else:
            gate.status = "skipped"
            gate.note = "not asked for"
    unused = _apply_waivers(
        gates.values(), _waivers(source.rows if source.is_folder else library.entries)
    )
    for entry_id, name in unused:  # a waiver no finding needs: say so, as it is approved too
        gate = gates.get(name, gates["metadata"])  # "cas" is the metadata gate's
        if gate.status == "skipped" or (only is not None and entry_id not in set(only)):
            continue
        said = f"waiver of {name} by {entry_id} let nothing pass: remove it if it is not needed"
        gate.note = f"{gate.note}; {said}" if gate.note else said
    return ValidationReport(
        library=str(source.path),
        version=library.version,
        entries=len(library),
        gates=list(gates.values()),
        compiled=not source.is_folder,
    )


_NO_CAS = (
    "empty cas and inchikey (the substance is identified by neither): give its CAS number; "
    "for a substance that has none yet (a new psychoactive substance), give its standard "
    "InChIKey in the inchikey column (RZVAJINKPMORJF-UHFFFAOYSA-N); with neither known yet, "
    "say so in the row's waivers column: 'cas: no CAS number assigned yet'"
)


def _identifier_problems(cas: str, inchikey: str) -> list[tuple[str, bool]]:
    """What is wrong with a reference's identifiers, each with whether a ``cas`` waiver may
    let it pass: one of a CAS number and a standard InChIKey is required (a new psychoactive
    substance is published with an InChIKey before CAS assigns it a number; a waiver ``cas:
    ...`` still lets one without either pass, as before InChIKeys were kept), and each given
    must have its form (a CAS number its check digit)."""
    problems = []
    if not cas and not inchikey:
        problems.append((_NO_CAS, True))
    if cas and (problem := cas_problem(cas)):
        problems.append((problem, False))
    if inchikey and (problem := inchikey_problem(inchikey)):
        problems.append((problem, False))
    return problems


def _waiver_problems(cell: str | None) -> list[str]:
    """What is wrong with a ``waivers`` cell: a gate no waiver can name (with those it can),
    a waiver without its reason, a gate waived twice."""
    problems = []
    seen: set[str] = set()
    for gate, reason in split_waivers(cell):
        if gate in _NEVER_WAIVED:
            problems.append(f"waiver of the {gate} gate: it is never waived: {_NEVER_WAIVED[gate]}")
            continue
        if gate not in WAIVABLE:
            problems.append(
                f"waiver of {gate!r}: no such gate; a waiver names one of {', '.join(WAIVABLE)}"
            )
            continue
        if not reason:
            problems.append(
                f"waiver of {gate} gives no reason: write it as '{gate}: why the reference "
                "is kept' (the reason is what the approver approves)"
            )
        if gate in seen:
            problems.append(f"{gate} is waived twice: keep one waiver, with one reason")
        seen.add(gate)
    return problems


def _waivers(rows: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, str]]:
    """Entry id -> the gates its waivers name -> the reason (those with one, of gates
    :data:`WAIVABLE` names): the waivers that let findings pass."""
    out: dict[str, dict[str, str]] = {}
    for row in rows:
        entry_id = str(row.get("id") or row.get("entry_id") or "")
        for gate, reason in split_waivers(row.get("waivers")):
            if entry_id and reason and gate in WAIVABLE:
                out.setdefault(entry_id, {}).setdefault(gate, reason)
    return out


def _apply_waivers(
    gates: Iterable[GateResult], waivers: Mapping[str, Mapping[str, str]]
) -> list[tuple[str, str]]:
    """Let pass each finding an entry it concerns waives (:attr:`Finding.waived`), mark a
    gate whose every finding is waived "waived", and give the waivers that let nothing pass:
    ``(id, gate)``."""
    used: set[tuple[str, str]] = set()
    for gate in gates:
        for finding in gate.findings:
            if not finding.waivable_as:
                continue
            reasons = []
            for entry_id in finding.ids:
                reason = waivers.get(entry_id, {}).get(finding.waivable_as)
                if reason is not None:
                    reasons.append(reason)
                    used.add((entry_id, finding.waivable_as))
            if reasons:
                finding.waived = "; ".join(dict.fromkeys(reasons))
        if gate.status == "fail" and all(f.waived is not None for f in gate.findings):
            gate.status = "waived"
    return [(i, g) for i, gates_ in waivers.items() for g in gates_ if (i, g) not in used]


def _tag_findings(gates: Iterable[GateResult], since: Mapping[str, int], entry_id: str) -> None:
    """Name ``entry_id`` as the entry of every finding the gates recorded since ``since``
    (gate name -> its count of findings then), so that its waivers may let them pass."""
    for gate in gates:
        for finding in gate.findings[since[gate.name] :]:
            if entry_id and not finding.ids:
                finding.ids, finding.waivable_as = (entry_id,), gate.name


def _metadata_gate_folder(
    source: LibrarySource, gate: GateResult, spectra: list[tuple[dict[str, str], Spectrum]]
) -> None:
    assert source.folder is not None
    seen_ids: dict[str, int] = {}
    listed: set[Path] = set()
    undigested: list[str] = []  # files that state no digest of their values
    known = _substance_names(source.rows)
    for row in source.rows:
        line = row.line  # the file's line: empty lines and quoted line breaks counted
        gate.checked += 1
        where = f"{row.get('id') or row.get('file') or f'manifest line {line}'}"
        missing = [c for c in REQUIRED_FIELDS if not row.get(c) and c != "cas"]
        if missing:
            gate.fail(where, f"manifest line {line}: empty {', '.join(missing)}")
        for problem, waivable in _identifier_problems(row.get("cas", ""), row.get("inchikey", "")):
            gate.fail(
                where,
                f"manifest line {line}: {problem}",
                ids=[row["id"]] if waivable else (),
                waivable_as="cas" if waivable else None,
            )
        for problem in _waiver_problems(row.get("waivers")):
            gate.fail(where, f"manifest line {line}: {problem}")
        if row.get("provenance") and row["provenance"] not in PROVENANCES:
            gate.fail(where, f"provenance {row['provenance']!r}: expected one of {PROVENANCES}")
        if row.get("id"):
            if problem := id_problem(row["id"]):  # it is also the file name import writes
                gate.fail(where, f"manifest line {line}: {problem}")
            if row["id"] in seen_ids:
                gate.fail(where, f"id repeated (manifest lines {seen_ids[row['id']]} and {line})")
            seen_ids[row["id"]] = line
        if row.get("added_at"):
            try:
                _dt.date.fromisoformat(row["added_at"][:10])
            except ValueError:
                gate.fail(where, f"added_at {row['added_at']!r} is not an ISO date (YYYY-MM-DD)")
        if not row.get("file"):
            continue
        path = source.file_of(row)
        listed.add(path.resolve())
        if not path.resolve().is_relative_to(source.folder.resolve()):
            # a copy of the folder (as a published library is handed over) would lose it
            gate.fail(
                where,
                f"file {row['file']} is {path.resolve()}, outside the library folder (a copy of "
                "the folder would not hold it): import it into the folder (forensic library "
                "import) or copy it in and list it there",
            )
            continue
        if not path.is_file():
            gate.fail(where, f"file {row['file']} does not exist")
            continue
        try:
            spectrum = read_spectrum(path)
        except ForensicError as exc:
            gate.fail(where, f"file {row['file']} unreadable: {' '.join(str(exc).split())}")
            continue
        if row.get("modality") and row["modality"] != spectrum.modality:
            gate.fail(
                where,
                f"manifest says modality {row['modality']!r}: a modality is written in lower "
                f"case ({spectrum.modality}, as {row['file']} is)"
                if row["modality"].lower() == spectrum.modality
                else f"manifest says {row['modality']} but {row['file']} is {spectrum.modality}",
            )
        entry_id = spectrum.metadata.get("entry_id")
        if entry_id and row.get("id") and str(entry_id) != row["id"]:
            gate.fail(where, f"the file's entry_id {entry_id!r} differs from the manifest id")
        restate = functools.partial(_import_again, source, row, spectrum)
        for problem in _identity_conflicts(row, spectrum, known, restate):
            gate.fail(where, problem)
        edited = digest_problem(spectrum)
        if edited is not None:
            gate.fail(where, f"{row['file']}: {edited}; {_undo_edit(source, row, spectrum)}")
        elif not spectrum.metadata.get(DATA_DIGEST_KEY):
            undigested.append(row["file"])
        spectra.append((row, spectrum))
    for p in sorted(source.folder.rglob("*")):
        rel = p.relative_to(source.folder)
        if (
            p.is_file()
            and len(rel.parts) > 1
            and rel.parts[0] in MODALITIES
            and p.resolve() not in listed
            and is_spectrum_file(p)  # the readers' extensions, or a reader's first bytes
        ):
            gate.fail(
                rel.as_posix(),
                "reference file not listed in manifest.csv (no metadata): list it, or move it "
                f"out of {rel.parts[0]}/ if it is no reference",
            )
    _cas_conflicts([(row.get("id") or row.get("file") or "", row) for row in source.rows], gate)
    if undigested:
        shown = ", ".join(undigested[:5]) + (" ..." if len(undigested) > 5 else "")
        said = (
            f"{len(undigested)} reference file(s) state no digest of their values "
            f"(##${DATA_DIGEST_KEY}=: written before the toolkit wrote one, by hand, or the "
            "shipped library's modelled references): an edit of their values after import "
            f"cannot be told (not a failure): {shown}"
        )
        gate.note = f"{gate.note}; {said}" if gate.note else said
    _lookalike_names(source.rows, gate)


def _undo_edit(source: LibrarySource, row: Mapping[str, str], spectrum: Spectrum) -> str:
    """How to put back a reference whose values were edited after import: restore the file,
    or import the instrument's file it was imported from again (the command, when that file
    is still where the reference says)."""
    restore = "restore the file (version control, or the published copy)"
    origin = str(spectrum.metadata.get("imported_file") or "")
    if not origin or not Path(origin).is_file() or source.folder is None:
        return f"{restore}, or measure the reference again and import it"
    again = command(
        "library",
        "import",
        origin,
        library=source.folder,
        name=row.get("name") or None,
        id=row.get("id") or None,
        source=row.get("source") or None,
        licence=row.get("licence") or None,
        force=True,
    )
    return f"{restore}, or import the instrument's file again: {again}"


def _lookalike_names(rows: Iterable[Mapping[str, str]], gate: GateResult) -> None:
    """Fail a name or synonym that prints exactly like another one spelt in other letters (a
    Cyrillic С for a Latin C: :func:`~forensic.naming.printed_key`), as ``library import``
    refuses it: on a report the two are one name, and neither finds the other. A word that
    mixes scripts (:func:`~forensic.naming.mixed_words`) that prints like no other name is
    said in the gate's note, not failed: ``library import --mixed-scripts`` records such a
    name on purpose (a Greek letter in "αPVP")."""
    first: dict[str, tuple[str, str]] = {}  # printed key -> the first spelling, its entry
    mixed: dict[str, str] = {}
    for row in rows:
        where = row.get("id") or row.get("file") or f"manifest line {getattr(row, 'line', '?')}"
        for name in _names(row.get("name"), row.get("synonyms")):
            key = printed_key(name)
            twin, its = first.setdefault(key, (name, where))
            if substance_key(twin) != substance_key(name):
                said = lookalike_notes((name, "the name"), (twin, "the name"), kind="name")
                gate.fail(
                    where,
                    f"name {name!r} prints exactly like {twin!r} ({its}), spelt in other "
                    f"letters ({said}): no reader could tell them apart; type it in Latin "
                    "letters (import the file again naming it so, or correct the row)",
                )
            elif mixed_words(name):
                mixed.setdefault(name, where)
    if mixed:
        said = "; ".join(
            f"{where}: {lookalike_note(name, 'name', kind='name')}" for name, where in mixed.items()
        )
        gate.note = "; ".join(filter(None, [gate.note, f"names that mix scripts: {said}"]))


def _cas_conflicts(entries: list[tuple[str, Mapping[str, Any]]], gate: GateResult) -> None:
    """Fail a CAS number given to two substances, and a substance given two CAS numbers: one
    of the names or numbers is wrong (a salt's number on the base, a typing error, a sample
    imported under a second name), and a result would name the substance by the other."""
    by_cas: dict[str, dict[str, list[str]]] = {}
    by_name: dict[str, dict[str, list[str]]] = {}
    names: dict[str, str] = {}
    numbers_as_written: dict[str, str] = {}
    for where, entry in entries:
        name, cas = str(entry.get("name") or "").strip(), str(entry.get("cas") or "").strip()
        if not name or not cas or not cas_is_valid(cas):  # an invalid number fails on its own
            continue
        key, number = substance_key(name), cas_key(cas)
        names.setdefault(key, name)
        numbers_as_written.setdefault(number, cas)
        by_cas.setdefault(number, {}).setdefault(key, []).append(where)
        by_name.setdefault(key, {}).setdefault(number, []).append(where)
    for number, holders in by_cas.items():
        if len(holders) > 1:
            said = "; ".join(f"{names[k]} ({', '.join(w)})" for k, w in sorted(holders.items()))
            gate.fail(
                ", ".join(w for ws in holders.values() for w in ws),
                f"CAS {numbers_as_written[number]} is given to {len(holders)} substances: "
                f"{said}; one name or number is wrong (a second name for one substance "
                "belongs in its synonyms)",
            )
    for key, numbers in by_name.items():
        if len(numbers) > 1:
            said = "; ".join(
                f"{numbers_as_written[n]} ({', '.join(w)})" for n, w in sorted(numbers.items())
            )
            gate.fail(
                ", ".join(w for ws in numbers.values() for w in ws),
                f"{names[key]} is given {len(numbers)} CAS numbers: {said}; one is wrong (a "
                "salt and its base are two substances, named apart)",
            )


def _names(row_name: Any, synonyms: Any) -> list[str]:
    """A name and its synonyms (``;``-separated text or a list), stripped, empty ones left out."""
    if isinstance(synonyms, (list, tuple)):
        synonyms = ";".join(map(str, synonyms))
    names = [str(row_name or ""), *str(synonyms or "").split(";")]
    return [n.strip() for n in names if n.strip()]


def _substance_names(rows: Iterable[Mapping[str, str]]) -> dict[str, set[str]]:
    """:func:`substance_key` of every name and synonym in ``rows`` -> the keys of the names of
    the substances it names."""
    known: dict[str, set[str]] = {}
    for row in rows:
        for name in _names(row.get("name"), row.get("synonyms")):
            known.setdefault(substance_key(name), set()).add(substance_key(row.get("name", "")))
    return known


def _identity_conflicts(
    row: Mapping[str, str],
    spectrum: Spectrum,
    known: Mapping[str, set[str]],
    restate: Restate = _no_command,
) -> list[str]:
    """What the file says it is that its manifest row contradicts: its CAS number, its
    provenance (a modelled or simulated file listed as measured), and its name (``##TITLE=``,
    else the first of ``##NAMES=``) where that is surely a substance's.

    A file's name is often a sample code or a file name, so a name the row does not give (as
    its name or a synonym) fails only when the toolkit wrote the file (it has an ``entry_id``:
    its title is the name the entry was given) or when it is the name or a synonym of another
    substance of the library.
    """
    meta = spectrum.metadata
    problems = []
    name = str(meta.get("name") or "").strip()
    own = {substance_key(n) for n in _names(row.get("name"), row.get("synonyms"))}
    key = substance_key(name)
    if (
        name
        and row.get("name")
        and key not in own
        and (meta.get("entry_id") or known.get(key, set()) - own)
    ):
        problems.append(
            f"{row['file']} names the substance {name!r} (its name in the file), the manifest "
            f"row {row['name']!r}: correct the row, or add the file's name to its synonyms if "
            "both are right"
        )
    file_cas = str(meta.get("cas") or "").strip()
    if file_cas and row.get("cas") and cas_key(file_cas) != cas_key(row["cas"]):
        # a fix offers only a number that passes its check digit: one that fails is wrong
        valid = [
            (number, whose)
            for number, whose in ((file_cas, "the file's"), (row["cas"], "the row's"))
            if cas_is_valid(number)
        ]
        invalid = "; ".join(
            f"{whose} {problem}"
            for number, whose in ((file_cas, "the file's"), (row["cas"], "the row's"))
            if (problem := cas_problem(number))
        )
        said = f"{row['file']} gives CAS {file_cas}, the manifest row {row['cas']}: " + (
            f"one is wrong; {invalid}; " if invalid else "one is wrong; "
        )
        if len(valid) == 1:
            number, whose = valid[0]
            again = restate(cas=number)
            problems.append(
                said
                + (
                    f"if {whose}, {number}, is right, import the file again stating it: {again}"
                    if again
                    else f"if {whose}, {number}, is right, correct the row (manifest line "
                    f"{getattr(row, 'line', '?')}) or make the {meta.get('provenance')} file "
                    "again from its source"
                )
            )
        else:
            again = restate(cas=PLACEHOLDER)
            choice = (
                f"({file_cas}, the file's, or {row['cas']}, the row's)"
                if valid
                else "(neither of these: find the substance's number at its source)"
            )
            problems.append(
                said
                + (
                    f"import the file again stating the right one: {again} with the number in "
                    f"place of {PLACEHOLDER} {choice}"
                    if again
                    else f"correct the row (manifest line {getattr(row, 'line', '?')}) if the "
                    f"file's is right; if the row's is, the {meta.get('provenance')} file is "
                    "made again from its source (an import takes only measured spectra)"
                )
            )
    file_provenance = str(meta.get("provenance") or "").strip()
    row_provenance = str(row.get("provenance") or "").strip()
    # the case is no provenance: "Measured" written by hand is measured
    if file_provenance and row_provenance and file_provenance.lower() != row_provenance.lower():
        made_from = meta.get("simulated_from")
        problems.append(
            f"{row['file']} says it is {file_provenance}"
            + (f" (made from {made_from})" if made_from else "")
            + f", the manifest row {row_provenance}: results would call the reference "
            f"{row_provenance}; correct the row, or import a spectrum that is "
            f"{row_provenance}"
        )
    return problems


def _metadata_gate_compiled(library: Library, gate: GateResult) -> None:
    gate.note = "a compiled library keeps no added_by/added_at: those are not checked here"
    for entry in library.entries:
        gate.checked += 1
        where = _label(entry)
        missing = [
            k for k in ("name", "class", "provenance", "source", "licence") if not entry.get(k)
        ]
        if missing:
            gate.fail(where, f"empty {', '.join(missing)}")
        identifiers = str(entry.get("cas") or ""), str(entry.get("inchikey") or "")
        for problem, waivable in _identifier_problems(*identifiers):
            gate.fail(
                where,
                problem,
                ids=[entry.get("entry_id", "")] if waivable else (),
                waivable_as="cas" if waivable else None,
            )
        for problem in _waiver_problems(entry.get("waivers")):
            gate.fail(where, problem)
        if entry.get("provenance") and entry["provenance"] not in PROVENANCES:
            gate.fail(where, f"provenance {entry['provenance']!r}: expected one of {PROVENANCES}")
    _cas_conflicts([(_label(entry), entry) for entry in library.entries], gate)


def _duplicates_compiled(library: Library, gate: GateResult) -> None:
    seen: dict[str, dict[str, Any]] = {}
    for modality, block in library.blocks.items():
        for row in range(len(block)):
            gate.checked += 1
            digest = _row_digest(block, row, modality)
            entry = library.entry(modality, row)
            if digest in seen:
                gate.fail(
                    f"{_label(seen[digest])} and {_label(entry)}",
                    "the same spectrum (identical library vectors)",
                )
            else:
                seen[digest] = entry


def _raw_gates(
    spectra: list[tuple[dict[str, str], Spectrum]],
    gates: Mapping[str, GateResult],
    library: Library | None = None,
    source: LibrarySource | None = None,
) -> None:
    spike_params = _spike_params(library)
    small_spikes: list[str] = []
    band_spikes: list[str] = []  # as wide as the bands near them: bands, not failed
    labels: list[str] = []  # values that look like the other IR unit: warned of, not failed
    for row, s in spectra:
        since = {name: len(gate.findings) for name, gate in gates.items()}
        where = f"{row['id'] or row['file']} ({row.get('name') or 'no name'})"
        y = np.asarray(s.intensity, dtype=float)
        x = s.wavenumber
        for name in ("signal-to-noise", "saturation", "axis", "units"):
            gates[name].checked += 1
        gates["atmosphere"].checked += s.modality == "ir"
        gates["spikes"].checked += s.modality == "raman"
        flat = diagnose_flat(s)
        snr = spectrum_signal_to_noise(s)
        if flat is not None:  # all at its top, but no band to clip: not a saturation finding
            gates["signal-to-noise"].fail(where, f"{flat.fact} (signal-to-noise 0)")
        elif snr < MIN_SNR:
            gates["signal-to-noise"].fail(
                where,
                f"signal-to-noise {format_beside(snr, [MIN_SNR], decimals=1)} < {MIN_SNR:g} "
                f"(noise sd {noise_sigma(y):.3g})",
            )
        top = spectrum_clipped_run(s)
        if flat is None and top >= CLIPPED_RUN:
            dips = s.y_unit in DIP_UNITS
            gates["saturation"].fail(
                where,
                f"flat top: {top} consecutive points at the {'minimum' if dips else 'maximum'} "
                f"{(y.min() if dips else y.max()):.6g} {_UNIT_AFTER_VALUE[s.y_unit]} (clipped)",
            )
        if s.y_unit in ("counts", "counts_per_second"):
            at = [c for c in DETECTOR_CEILINGS if np.count_nonzero(np.abs(y - c) < 0.5) >= 2]
            if at:
                gates["saturation"].fail(
                    where, f"counts at the detector ceiling {at[0]} (saturated detector)"
                )
        rule = axis_rule(s.modality, row.get("salt_form"))
        region = "inorganic " if rule is INORGANIC_AXIS_RULES[s.modality] else ""
        step = float(np.median(np.diff(x)))
        if x[0] > rule.cover[0] or x[-1] < rule.cover[1]:
            gates["axis"].fail(
                where,
                # each end on its side of the region's (x[0] > start, x[-1] < end)
                f"axis {format_beside(x[0], [rule.cover[0]], decimals=0, strict=True)}-"
                f"{format_beside(x[-1], [rule.cover[1]], decimals=0)} cm-1 does not cover the "
                f"{s.modality} {region}fingerprint "
                f"region {rule.cover[0]:g}-{rule.cover[1]:g} cm-1"
                + (
                    ""
                    if region
                    else " (an inorganic substance, stated in its salt_form column as "
                    "'inorganic salt', 'element' or 'mineral', needs "
                    f"{INORGANIC_AXIS_RULES[s.modality].cover[0]:g}-"
                    f"{INORGANIC_AXIS_RULES[s.modality].cover[1]:g} cm-1)"
                ),
            )
        if step > rule.max_step:
            gates["axis"].fail(
                where,
                f"sampling step {format_beside(step, [rule.max_step], decimals=2, strict=True)} "
                f"cm-1 > {rule.max_step:g} cm-1 (too coarse)",
            )
        # Cosmic rays strike a Raman spectrometer's CCD. An FTIR detector sees none, and an IR
        # spectrum sampled every 4-8 cm-1 draws its sharp real bands one or two points wide:
        # the one-point test would call them spikes (ENFSI's cocaine at 730 cm-1); nor does
        # the IR pipeline remove spikes.
        if s.modality == "raman":
            large, small, bands = _spike_findings(s, spike_params)
            if bands.size:
                band_spikes.append(f"{where} ({', '.join(f'{v:.0f}' for v in bands[:5])} cm-1)")
            if large.size:
                gates["spikes"].fail(
                    where,
                    f"{_positions(large)}, identification replaces them (cosmic rays? remove "
                    "them or re-measure; a real band this narrow is sampled too coarsely)",
                )
            if small.size:
                small_spikes.append(f"{where} ({_positions(small)})")
        restate: Restate = (
            _no_command if source is None else functools.partial(_import_again, source, row, s)
        )
        for problem in _check_units(s, row, restate):
            gates["units"].fail(where, problem)
        label = diagnose_unit_label(s)
        if label is not None:
            # a finding is a command line whoever validates (the module's docstring)
            labels.append(f"{where}: {with_command_line_options(str(label))}")
        co2 = spectrum_atmospheric_co2(s)
        if co2 is not None:
            gates["atmosphere"].fail(
                where,
                f"atmospheric CO2 doublet at {co2.p_branch_cm1:.0f} and {co2.r_branch_cm1:.0f} "
                f"cm-1, {co2.fraction:.0%} of the intensity range (the "
                "background was measured with other air in the beam: measure a fresh background "
                "and the reference again)",
            )
        _tag_findings(gates.values(), since, row.get("id", ""))  # its waivers may let them pass
    if labels:  # a note, as the small spikes: the rule fits some true broad-banded spectra
        said = (
            f"warning (not a failure): {len(labels)} IR reference(s) whose values look like "
            f"the other unit than the file names: {'; '.join(labels)}"
        )
        note = gates["units"].note
        gates["units"].note = f"{note}; {said}" if note else said
    if small_spikes:
        shown = "; ".join(small_spikes[:5]) + (" ..." if len(small_spikes) > 5 else "")
        said = (
            f"{len(small_spikes)} reference(s) with spikes below {SPIKE_MIN_FRACTION:.0%} of "
            f"their signal, which identification replaces too (not a failure): {shown}"
        )
        note = gates["spikes"].note
        gates["spikes"].note = f"{note}; {said}" if note else said
    if band_spikes:
        said = (
            f"{len(band_spikes)} reference(s) with sharp points as wide as the bands near them, "
            "taken for real bands sampled coarsely, not cosmic rays (not a failure; "
            f"identification's spike filter leaves them too): {'; '.join(band_spikes[:5])}"
        )
        note = gates["spikes"].note
        gates["spikes"].note = f"{note}; {said}" if note else said


def _duplicates_raw(
    spectra: list[tuple[dict[str, str], Spectrum]], gate: GateResult, folder: Path | None = None
) -> None:
    seen: dict[int, list[tuple[dict[str, str], Spectrum]]] = {}  # by their number of points
    for row, s in spectra:
        gate.checked += 1
        alike = seen.setdefault(len(s.wavenumber), [])
        other = next((r for r, earlier in alike if same_measurement(earlier, s)), None)
        if other is not None:
            # the one added later is the copy: the earlier is what results have cited
            drop, keep = (
                (other, row)
                if other.get("added_at", "") > row.get("added_at", "")
                else (row, other)
            )
            gate.fail(
                f"{other['id']} ({other['name']}) and {row['id']} ({row['name']})",
                f"the same spectrum in two entries: keep one; drop {drop['id']} (added "
                f"{drop.get('added_at') or 'on an unknown date'}, after {keep['id']}) unless "
                "the other is the wrong one: "
                + command(
                    "library",
                    "remove",
                    drop["id"],
                    library=folder or "DIR",
                    reason=f"the same spectrum as {keep['id']}",
                ),
            )
        else:
            alike.append((row, s))


def _self_identification(
    spectra: list[tuple[dict[str, str], Spectrum]],
    library: Library,
    gate: GateResult,
    seed: int,
) -> None:
    from forensic.identification import identify  # noqa: PLC0415  (the engine: only when run)

    for i, (row, s) in enumerate(spectra):
        if s.modality not in library.blocks:
            continue
        gate.checked += 1
        where = f"{row['id']} ({row['name']})"
        y = np.asarray(s.intensity, dtype=float)
        rng = np.random.default_rng(seed + i)
        noisy = s.with_intensity(
            y + rng.normal(0.0, SELF_ID_NOISE * float(np.ptp(y)), y.size),
            "add_noise",
            sd_fraction=SELF_ID_NOISE,
            seed=seed + i,
        )
        try:
            result = identify(noisy, library, top=3, mixtures=False)
        except ForensicError as exc:
            gate.fail(where, f"could not be searched: {' '.join(str(exc).split())}")
            continue
        best = result.best
        if best is None:
            gate.fail(where, "no hit at all", ids=[row["id"]])
        elif substance_key(best["name"]) != substance_key(row["name"]):
            gate.fail(
                where,
                f"identified as {best['name']} ({best['entry_id']}, score "
                f"{format_score(best['score'], best['q_value'])}) "
                "instead of itself",
                ids=[row["id"]],
            )
    gate.note = (gate.note + "; " if gate.note else "") + (
        f"Gaussian noise of sd {SELF_ID_NOISE:.0%} of each reference's range, top hit"
    )
