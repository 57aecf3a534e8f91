"""Curating a reference-library folder: import, validate, diff, list, export and publish.

A *library folder* is what ``spectral_library/`` is: one spectrum file per reference (JCAMP-DX,
``<modality>/<id>.jdx``) and a ``manifest.csv`` with :data:`MANIFEST_COLUMNS` that a chemist
reviews in a diff. A *compiled library* is the engine's ``.flib`` file
(:class:`forensic.library.Library`). The functions here work on either where they can, and say
so where a question needs the raw spectra that only a folder holds.

This is an I/O edge module (it reads and writes files and calls the identification engine);
the command line (``forensic library ...``) only formats what these functions return, so a
notebook or a test can call them directly.

Validation gates (:func:`validate_library`), each with its threshold as a named constant:

==========================  ===================================================================
``signal-to-noise``         band height above the background over a robust noise estimate
                            from first differences
``saturation``              flat tops at the maximum, values at a detector ceiling (2^n - 1)
``axis``                    range covers the modality's fingerprint region; sampling step
``spikes``                  one- or two-point excursions (cosmic rays) well above the noise
``units``                   Raman in absorbance, transmittance outside 0..1 / 0..100,
                            absorbance out of range, a nm axis taken for cm-1, mostly negative
``metadata``                required manifest fields, CAS check digit, file/modality/id agree
``duplicates``              two entries with the same spectrum
``near-duplicates``         entries of different names whose library vectors have cosine > 0.98
``self-identification``     each reference, with seeded noise, identifies as itself
==========================  ===================================================================
"""

from __future__ import annotations

import csv
import datetime as _dt
import difflib
import getpass
import hashlib
import io
import json
import os
import re
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.ndimage import grey_opening
from scipy.signal import medfilt

from forensic.alignment import find_peaks
from forensic.errors import ForensicError, LibraryError
from forensic.io import atomic_write_bytes, read_spectra, read_spectrum, write_spectrum
from forensic.library import FILE_SUFFIX, Library, shipped_library, substance_key
from forensic.search import score_batch
from forensic.spectrum import MODALITIES, Spectrum

__all__ = [
    "MANIFEST_COLUMNS",
    "MIN_SNR",
    "NEAR_DUPLICATE_COSINE",
    "REQUIRED_FIELDS",
    "SELF_ID_NOISE",
    "AxisRule",
    "Finding",
    "GateResult",
    "ImportResult",
    "LibraryDiff",
    "LibrarySource",
    "PublishResult",
    "ValidationReport",
    "band_height",
    "cas_is_valid",
    "diff_libraries",
    "export_library",
    "find_entries",
    "format_manifest",
    "import_spectra",
    "library_info",
    "list_entries",
    "open_library",
    "plot_reference",
    "publish_library",
    "read_manifest",
    "reference_peaks",
    "signal_to_noise",
    "snapshot",
    "validate_library",
    "write_manifest",
]

MANIFEST_COLUMNS = [
    "id",
    "file",
    "name",
    "synonyms",
    "cas",
    "class",
    "legal_control",
    "salt_form",
    "modality",
    "provenance",
    "source",
    "licence",
    "added_by",
    "added_at",
]
"""The columns of a library manifest, in order (``file`` relative to the manifest)."""

REQUIRED_FIELDS = (
    "id",
    "file",
    "name",
    "cas",
    "class",
    "modality",
    "provenance",
    "source",
    "licence",
    "added_by",
    "added_at",
)
"""Manifest fields every reference must fill (``synonyms``, ``legal_control``, ``salt_form``
may be empty)."""

PROVENANCES = ("measured", "modelled", "simulated")

MIN_SNR = 30.0
"""Least signal-to-noise ratio (strongest band above background over noise) of a reference.
Measured this way, the real spectra in ``../shared/data`` range from about 48 (a weak silicon
spectrum at 785 nm) to thousands; the ENFSI ATR-IR references from about 110; the modelled
references are above 1800."""

BACKGROUND_WINDOW_CM1 = 150.0
"""Width of the running window that separates bands (narrower) from background (broader)."""

SPIKE_Z = 12.0
"""A spike rises this many noise standard deviations above a 5-point running median..."""
SPIKE_SHARE = 0.6
"""...makes up this share of the point's height above the lowest point within 10 points (a
real band's top is a small share above its neighbours; a cosmic ray is nearly all of it)..."""
SPIKE_MIN_FRACTION = 0.02
"""...and is at least this fraction of the spectrum's signal (max minus 5th percentile)."""

FLAT_TOP_POINTS = 3
"""This many consecutive points at exactly the maximum is a clipped (saturated) band."""
DETECTOR_CEILINGS = tuple(2**bits - 1 for bits in (12, 14, 15, 16, 18, 20))
"""Raw counts at one of these values are at an analogue-to-digital converter's ceiling."""

NEAR_DUPLICATE_COSINE = 0.98
"""Entries of different names whose library vectors have a cosine above this are flagged."""

SELF_ID_NOISE = 0.02
"""Standard deviation of the Gaussian noise added for self-identification, as a fraction of the
reference's intensity range."""

ABSORBANCE_RANGE = (-0.5, 6.0)
"""Absorbance outside this range is no absorbance spectrum (transmittance mislabelled, or %)."""


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

_REFERENCE_SUFFIXES = {".jdx", ".dx", ".jcamp", ".csv", ".txt", ".spc", ".spa", ".wdf", ".0"}
_SKIP_SUFFIXES = {".md", ".toml", ".py", ".pyc", ".json", ".yaml", ".yml", ".pdf", ".png"}


# -- manifest ------------------------------------------------------------------------------------


def read_manifest(
    path: str | os.PathLike, *, required: Sequence[str] = ("file", "name")
) -> list[dict[str, str]]:
    """Rows of a manifest CSV, in file order, with every column of :data:`MANIFEST_COLUMNS`.

    Parameters
    ----------
    path : path-like
        The CSV (UTF-8, a header line with the column names; extra columns are kept).
    required : sequence of str
        Columns that must be present in the header and non-empty on every row.

    Returns
    -------
    list of dict of str to str
        Values stripped; missing columns as ``""``.

    Raises
    ------
    LibraryError
        Missing file or column, an empty required value (with its line), undecodable text.
    """
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            fields = [f for f in (reader.fieldnames or []) if f]
            missing = [c for c in required if c not in fields]
            if missing:
                raise LibraryError(
                    f"{path}: manifest lacks the column(s) {', '.join(missing)} "
                    f"(found: {', '.join(fields) or 'none'})"
                )
            rows = []
            for line, raw in enumerate(reader, start=2):
                row = {c: "" for c in MANIFEST_COLUMNS}
                row.update({k: (v or "").strip() for k, v in raw.items() if k})
                empty = [c for c in required if not row.get(c)]
                if empty:
                    raise LibraryError(f"{path}: line {line}: empty {', '.join(empty)}")
                rows.append(row)
            return rows
    except FileNotFoundError:
        raise LibraryError(f"{path}: no such manifest") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise LibraryError(f"{path}: unreadable manifest ({exc})") from None


def _row_order(row: Mapping[str, str]) -> tuple[str, str, str]:
    # the order tools/model_library.py writes: a regenerated manifest then does not differ
    return (row.get("modality", ""), row.get("name", "").lower(), row.get("id", ""))


def format_manifest(rows: Iterable[Mapping[str, str]]) -> str:
    """Manifest CSV text of ``rows``: :data:`MANIFEST_COLUMNS`, sorted by modality, name, id."""
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=MANIFEST_COLUMNS, lineterminator="\n", extrasaction="ignore"
    )
    writer.writeheader()
    for row in sorted(rows, key=_row_order):
        writer.writerow({c: row.get(c, "") or "" for c in MANIFEST_COLUMNS})
    return buffer.getvalue()


def write_manifest(path: str | os.PathLike, rows: Iterable[Mapping[str, str]]) -> Path:
    """Write ``rows`` as a manifest, atomically (see :func:`format_manifest`)."""
    return atomic_write_bytes(path, format_manifest(rows).encode("utf-8"), overwrite=True)


def cas_is_valid(cas: str) -> bool:
    """Whether ``cas`` is a CAS Registry Number with a correct check digit (e.g. ``58-08-2``)."""
    match = re.fullmatch(r"(\d{2,7})-(\d{2})-(\d)", cas.strip())
    if not match:
        return False
    digits = (match.group(1) + match.group(2))[::-1]
    total = sum((i + 1) * int(d) for i, d in enumerate(digits))
    return total % 10 == int(match.group(3))


# -- opening a library -----------------------------------------------------------------------------


def _shipped_dir() -> Path:
    from spectral_library import LIBRARY_DIR  # noqa: PLC0415  (data package, found late)

    return Path(LIBRARY_DIR).resolve()


@dataclass
class LibrarySource:
    """A library to curate: a folder of reference files with its manifest, or a ``.flib``.

    Attributes
    ----------
    path : Path
        What was given (folder or compiled file).
    folder : Path or None
        The folder of reference files; None for a compiled file.
    rows : list of dict
        Manifest rows (empty for a compiled file).
    """

    path: Path
    folder: Path | None
    rows: list[dict[str, str]]
    _library: Library | None = None

    @property
    def is_folder(self) -> bool:
        """True for a folder of reference files, False for a compiled ``.flib``."""
        return self.folder is not None

    @property
    def manifest(self) -> Path | None:
        """The folder's ``manifest.csv`` (None for a compiled file)."""
        return None if self.folder is None else self.folder / "manifest.csv"

    @property
    def is_shipped(self) -> bool:
        """Whether this is the library shipped with the toolkit."""
        return self.folder is not None and self.folder == _shipped_dir()

    def library(self) -> Library:
        """The compiled library (built once; the shipped one comes from its cache)."""
        if self._library is None:
            if self.folder is None:
                self._library = Library.load(self.path)
            elif self.is_shipped:
                self._library = shipped_library()
            else:
                # the version hash does not depend on the q-value calibration: skip it here
                self._library = Library.from_folder(
                    self.folder,
                    self.manifest if self.manifest.exists() else None,
                    calibrate=False,
                )
        return self._library

    def file_of(self, row: Mapping[str, str]) -> Path:
        """The reference file of a manifest row."""
        assert self.folder is not None  # internal: only called for folders
        return self.folder / row["file"]


def open_library(path: str | os.PathLike | None = None) -> LibrarySource:
    """Open a library folder (with ``manifest.csv``) or a compiled ``.flib`` for curation.

    Parameters
    ----------
    path : path-like, optional
        Default: the shipped library folder (``spectral_library.LIBRARY_DIR``).

    Raises
    ------
    LibraryError
        When the path does not exist, or a folder has no ``manifest.csv``.
    """
    p = Path(path).resolve() if path is not None else _shipped_dir()
    if p.is_dir():
        manifest = p / "manifest.csv"
        if not manifest.is_file():
            raise LibraryError(
                f"{p}: no manifest.csv: a library folder lists its references in manifest.csv "
                f"(columns {','.join(MANIFEST_COLUMNS)})"
            )
        return LibrarySource(path=p, folder=p, rows=read_manifest(manifest))
    if p.is_file():
        return LibrarySource(path=p, folder=None, rows=[], _library=Library.load(p))
    raise LibraryError(f"{p}: no such library folder or {FILE_SUFFIX} file")


def _entry_from_row(row: Mapping[str, str]) -> dict[str, Any]:
    return {
        "id": row.get("id", ""),
        "name": row.get("name", ""),
        "modality": row.get("modality", ""),
        "provenance": row.get("provenance", ""),
        "cas": row.get("cas", ""),
        "class": row.get("class", ""),
        "synonyms": [s.strip() for s in row.get("synonyms", "").split(";") if s.strip()],
        "salt_form": row.get("salt_form", ""),
        "legal_control": row.get("legal_control", ""),
        "source": row.get("source", ""),
        "licence": row.get("licence", ""),
        "added_by": row.get("added_by", ""),
        "added_at": row.get("added_at", ""),
        "file": row.get("file", ""),
    }


def _entry_from_compiled(entry: Mapping[str, Any]) -> dict[str, Any]:
    synonyms = entry.get("synonyms") or []
    if isinstance(synonyms, str):
        synonyms = [s.strip() for s in synonyms.split(";") if s.strip()]
    return {
        "id": str(entry.get("entry_id", "")),
        "name": str(entry.get("name", "")),
        "modality": str(entry.get("modality", "")),
        "provenance": str(entry.get("provenance", "")),
        "cas": str(entry.get("cas", "")),
        "class": str(entry.get("class", "")),
        "synonyms": list(synonyms),
        "salt_form": str(entry.get("salt_form", "")),
        "legal_control": str(entry.get("legal_control", "")),
        "source": str(entry.get("source", "")),
        "licence": str(entry.get("licence", "")),
        "added_by": str(entry.get("added_by", "")),
        "added_at": str(entry.get("added_at", "")),
        "file": str(entry.get("source_file", "")),
    }


def list_entries(source: LibrarySource) -> list[dict[str, Any]]:
    """Every entry of a library, sorted by modality, name and id.

    Returns
    -------
    list of dict
        Keys ``id, name, modality, provenance, cas, class, synonyms (list), salt_form,
        legal_control, source, licence, added_by, added_at, file``. For a folder these come
        from its manifest (nothing is compiled); ``added_by``/``added_at`` are empty for a
        compiled file, which does not keep them.
    """
    if source.is_folder:
        entries = [_entry_from_row(r) for r in source.rows]
    else:
        entries = [_entry_from_compiled(e) for e in source.library().entries]
    return sorted(entries, key=lambda e: (e["modality"], e["name"].lower(), e["id"]))


def library_info(source: LibrarySource) -> dict[str, Any]:
    """Summary of a library: version, counts, modalities, provenance, source folder.

    Returns
    -------
    dict
        ``version`` (content hash of the compiled library), ``entries`` (count), ``substances``
        (distinct names, compared case- and punctuation-insensitively), ``modalities`` (list),
        ``by_modality`` and ``by_provenance`` (counts), ``measured``/``modelled`` counts,
        ``source`` (the folder of reference files, or None for a ``.flib``), ``path``.
    """
    library = source.library()
    entries = list_entries(source)
    by_modality: dict[str, int] = {}
    by_provenance: dict[str, int] = {}
    for e in entries:
        by_modality[e["modality"]] = by_modality.get(e["modality"], 0) + 1
        by_provenance[e["provenance"]] = by_provenance.get(e["provenance"], 0) + 1
    return {
        "version": library.version,
        "entries": len(entries),
        "substances": len({substance_key(e["name"]) for e in entries}),
        "modalities": sorted(by_modality),
        "by_modality": dict(sorted(by_modality.items())),
        "by_provenance": dict(sorted(by_provenance.items())),
        "measured": by_provenance.get("measured", 0),
        "modelled": by_provenance.get("modelled", 0),
        "source": str(source.folder) if source.folder is not None else None,
        "path": str(source.path),
        "compiled": str(library.path) if library.path is not None else None,
        "skipped": [list(s) for s in library.skipped],
    }


# -- import --------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    """What :func:`import_spectra` did.

    Attributes
    ----------
    imported : list of dict
        The manifest rows added (one per spectrum written).
    replaced : list of dict
        Manifest rows removed: modelled references replaced by a measured one of the same
        substance and modality, or (with ``force``) measured entries overwritten.
    skipped : list of (str, str)
        Files not imported and why.
    notes : list of str
        Decisions worth telling the chemist (a name matched to a library synonym, ...).
    """

    imported: list[dict[str, str]] = field(default_factory=list)
    replaced: list[dict[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "reference"


def _collect_files(paths: Iterable[str | os.PathLike]) -> tuple[list[Path], list[tuple[str, str]]]:
    files: list[Path] = []
    skipped: list[tuple[str, str]] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for q in sorted(p.rglob("*")):
                rel = q.relative_to(p).parts
                if (
                    q.is_file()
                    and not any(part.startswith(".") for part in rel)
                    and q.suffix.lower() not in _SKIP_SUFFIXES
                    and q.name != "manifest.csv"
                ):
                    files.append(q)
        elif p.is_file():
            files.append(p)
        else:
            skipped.append((str(p), "no such file or folder"))
    return files, skipped


def _default_source(spectrum: Spectrum, path: Path) -> str:
    meta = spectrum.metadata
    parts = [f"measured spectrum imported from {path.name}"]
    instrument = " ".join(
        str(meta[k]) for k in ("instrument_model", "instrument_serial") if meta.get(k)
    )
    if instrument:
        parts.append(f"instrument {instrument}")
    if meta.get("laser_wavelength_nm"):
        parts.append(f"laser {meta['laser_wavelength_nm']} nm")
    if meta.get("acquired_at"):
        parts.append(f"acquired {meta['acquired_at']}")
    if meta.get("operator"):
        parts.append(f"operator {meta['operator']}")
    return "; ".join(parts)


def _canonical(
    name: str, rows: Sequence[Mapping[str, str]]
) -> tuple[Mapping[str, str] | None, list[str]]:
    """The library row whose name, else whose synonym, is ``name`` (by :func:`substance_key`).

    Returns the row (None when there is none, or when the synonym belongs to several
    substances) and the names of every substance that matched.
    """
    key = substance_key(name)
    for row in rows:
        if substance_key(row["name"]) == key:
            return row, [row["name"]]
    matches: dict[str, Mapping[str, str]] = {}
    for row in rows:
        if any(substance_key(s) == key for s in row.get("synonyms", "").split(";") if s.strip()):
            matches.setdefault(row["name"], row)
    if len(matches) == 1:
        return next(iter(matches.values())), list(matches)
    return None, sorted(matches)


def import_spectra(
    paths: Sequence[str | os.PathLike] = (),
    library_dir: str | os.PathLike | None = None,
    *,
    name: str | None = None,
    cas: str | None = None,
    substance_class: str | None = None,
    modality: str | None = None,
    manifest: str | os.PathLike | None = None,
    added_by: str | None = None,
    source: str | None = None,
    licence: str | None = None,
    entry_id: str | None = None,
    force: bool = False,
    today: str | None = None,
) -> ImportResult:
    """Import measured spectra into a library folder as references.

    Each spectrum is written as JCAMP-DX to ``<library>/<modality>/<id>.jdx`` with
    ``provenance = measured`` and a manifest row is added. Metadata come from the file where it
    has them (name, CAS, modality, instrument), then from the ``manifest`` CSV row of that
    file, then from the keyword arguments (which override both). A name that is a synonym of a
    library substance takes that substance's name (so it replaces and groups with it), and
    fields left empty are taken from the library's entry of that substance.

    A measured import replaces the *modelled* reference of the same substance and modality:
    the modelled row and file are removed (as ``tools/model_library.py`` expects: it never
    regenerates a modelled file that a measured row replaces).

    Parameters
    ----------
    paths : sequence of path-like
        Spectrum files or folders (read recursively).
    library_dir : path-like, optional
        The library folder; default the shipped one (``spectral_library.LIBRARY_DIR``).
    name, cas, substance_class : str, optional
        Override the name, CAS number and class of every imported spectrum.
    modality : {"raman", "ir"}, optional
        Override the modality the reader decided (e.g. for a plain two-column text file).
    manifest : path-like, optional
        CSV with :data:`MANIFEST_COLUMNS` (``file``, relative to the CSV, and ``name``
        required) describing many files; its files are imported too.
    added_by : str, optional
        Who adds the references (default: the login name).
    source, licence : str, optional
        Provenance text and licence for every imported spectrum.
    entry_id : str, optional
        Id of the new entry (one spectrum only); default ``<name>-<modality>`` in lower case,
        with ``-2``, ``-3``... for further spectra of the same substance in one import.
    force : bool, default False
        Replace a measured entry with the same id (otherwise refused).
    today : str, optional
        ISO date for ``added_at`` (default: today, UTC).

    Returns
    -------
    ImportResult

    Raises
    ------
    LibraryError
        When nothing could be imported, or an import would overwrite a measured entry without
        ``force`` (nothing is written then).
    """
    folder = Path(library_dir).resolve() if library_dir is not None else _shipped_dir()
    if not folder.is_dir():
        raise LibraryError(f"{folder}: no such library folder")
    if not os.access(folder, os.W_OK):
        raise LibraryError(
            f"{folder}: not writable; copy the library first (forensic library export "
            "--format jcamp --out DIR) and import with --library DIR"
        )
    manifest_path = folder / "manifest.csv"
    rows = read_manifest(manifest_path, required=()) if manifest_path.is_file() else []
    result = ImportResult()
    jobs: list[tuple[Path, dict[str, str]]] = []
    files, result.skipped = _collect_files(paths)
    jobs += [(f, {}) for f in files]
    if manifest is not None:
        mpath = Path(manifest)
        for row in read_manifest(mpath):
            jobs.append(((mpath.parent / row["file"]), {k: v for k, v in row.items() if v}))
    if not jobs:
        raise LibraryError("nothing to import: give spectrum files, folders or --manifest CSV")
    who = added_by or _login_name()
    date = today or _dt.datetime.now(_dt.timezone.utc).date().isoformat()

    planned: list[tuple[Spectrum, dict[str, str]]] = []
    for path, given in jobs:
        try:
            spectra = read_spectra(path)
        except ForensicError as exc:
            result.skipped.append((str(path), " ".join(str(exc).split())))
            continue
        except OSError as exc:
            result.skipped.append((str(path), f"cannot read: {exc.strerror or exc}"))
            continue
        for k, read in enumerate(spectra):
            spectrum = read
            meta = spectrum.metadata
            wanted = modality or given.get("modality") or spectrum.modality
            if wanted not in MODALITIES:
                result.skipped.append((str(path), f"modality {wanted!r} is not raman or ir"))
                continue
            if wanted != spectrum.modality:
                spectrum = spectrum.replace(modality=wanted)
            label = name or given.get("name") or str(meta.get("name") or "").strip()
            if not label:
                label = path.stem if len(spectra) == 1 else f"{path.stem} #{k + 1}"
            row = {c: "" for c in MANIFEST_COLUMNS}
            canonical, matched = _canonical(label, rows)
            if canonical is None and len(matched) > 1:
                result.notes.append(
                    f"{path.name}: name {label!r} is a synonym of {' and '.join(matched)}: "
                    "imported as a new substance; give the exact name (--name) to replace one"
                )
            if canonical is not None:
                if canonical["name"] != label:
                    result.notes.append(
                        f"{path.name}: name {label!r} is the library's {canonical['name']!r}"
                    )
                for key in ("synonyms", "cas", "class", "legal_control", "salt_form"):
                    row[key] = canonical.get(key, "")
                if substance_key(canonical["name"]) != substance_key(label):
                    synonyms = [s for s in row["synonyms"].split(";") if s]
                    if label not in synonyms:
                        row["synonyms"] = ";".join([*synonyms, label])
                label = canonical["name"]
            synonyms = meta.get("synonyms")
            if synonyms and not row["synonyms"]:
                row["synonyms"] = (
                    synonyms if isinstance(synonyms, str) else ";".join(map(str, synonyms))
                )
            for key, meta_key in (("cas", "cas"), ("class", "class")):
                if meta.get(meta_key) and not row[key]:
                    row[key] = str(meta[meta_key]).strip()
            row.update({k: v for k, v in given.items() if k in MANIFEST_COLUMNS and v})
            row["name"] = label
            if cas is not None:
                row["cas"] = cas
            if substance_class is not None:
                row["class"] = substance_class
            row["modality"] = wanted
            row["provenance"] = "measured"
            row["source"] = source or given.get("source") or _default_source(spectrum, path)
            row["licence"] = licence or given.get("licence") or ""
            if not row["licence"]:
                result.notes.append(
                    f"{path.name}: no licence given (--licence): validate will flag it"
                )
            row["added_by"] = (
                given.get("added_by") if not added_by and given.get("added_by") else who
            )
            row["added_at"] = given.get("added_at") or date
            row["id"] = entry_id or given.get("id") or f"{_slug(label)}-{wanted}"
            planned.append((spectrum, row))
    if entry_id and len(planned) > 1:
        raise LibraryError(
            f"--id {entry_id} names one entry but {len(planned)} spectra are being imported: "
            "give ids in a --manifest CSV instead"
        )
    if not planned:
        reasons = "; ".join(f"{p}: {r}" for p, r in result.skipped[:3])
        raise LibraryError(f"nothing imported: no file could be read ({reasons})")

    # ids: unique within this import; an existing measured id is refused unless forced
    by_id = {r["id"]: r for r in rows}
    taken: set[str] = set()
    conflicts = []
    for _, row in planned:
        base, n = row["id"], 1
        while row["id"] in taken:
            n += 1
            row["id"] = f"{base}-{n}"
        taken.add(row["id"])
        row["file"] = f"{row['modality']}/{row['id']}.jdx"
        old = by_id.get(row["id"])
        if old is not None and old.get("provenance") != "modelled" and not force:
            conflicts.append(f"{row['id']} ({old.get('name')}, added {old.get('added_at')})")
    if conflicts:
        raise LibraryError(
            "not imported: measured entr"
            + ("ies" if len(conflicts) > 1 else "y")
            + f" already in {folder}: {', '.join(conflicts)}; use --force to replace it, or "
            "--id NEW-ID (or an id column in --manifest) to add another reference"
        )

    keep = list(rows)
    for spectrum, row in planned:
        gone = [
            r
            for r in keep
            if r["id"] == row["id"]
            or (
                r.get("provenance") == "modelled"
                and r.get("modality") == row["modality"]
                and r.get("name", "").lower() == row["name"].lower()
            )
        ]
        for r in gone:
            keep.remove(r)
            result.replaced.append(dict(r))
        meta = dict(spectrum.metadata)
        meta.update(
            name=row["name"],
            entry_id=row["id"],
            provenance="measured",
            **{"class": row["class"]},
        )
        if row["cas"]:
            meta["cas"] = row["cas"]
        if row["synonyms"]:
            meta["synonyms"] = row["synonyms"]
        # the registry's source_* keys describe the file read now: keep them as the origin
        for key in ("file", "sha256", "format"):
            value = meta.pop(f"source_{key}", None)
            if value:
                meta[f"imported_{key}"] = value
        reference = spectrum.replace(metadata=meta)
        target = folder / row["file"]
        target.parent.mkdir(parents=True, exist_ok=True)
        replaceable = force or any((folder / r["file"]).resolve() == target.resolve() for r in gone)
        write_spectrum(reference, target, format="jcamp", overwrite=replaceable)
        keep.append(row)
        result.imported.append(row)
    for r in result.replaced:
        old_file = folder / r["file"]
        if r["file"] not in {row["file"] for row in keep} and old_file.is_file():
            old_file.unlink()
    write_manifest(manifest_path, keep)
    return result


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in a container
        return "unknown"


# -- validation ----------------------------------------------------------------------------------


@dataclass
class Finding:
    """One problem a gate found, naming the entry (id, and file or name)."""

    gate: str
    entry: str
    message: str

    def to_dict(self) -> dict[str, str]:
        """JSON form."""
        return {"gate": self.gate, "entry": self.entry, "message": self.message}


@dataclass
class GateResult:
    """The outcome of one gate: ``status`` is "pass", "fail" or "skipped"."""

    name: str
    description: str
    status: str = "pass"
    checked: int = 0
    findings: list[Finding] = field(default_factory=list)
    note: str = ""

    def fail(self, entry: str, message: str) -> None:
        """Record a finding and mark the gate failed."""
        self.findings.append(Finding(self.name, entry, message))
        self.status = "fail"

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
    + "), step fine enough",
    "spikes": "no cosmic-ray spikes",
    "units": "intensity unit and axis plausible for the modality",
    "metadata": "required manifest fields, CAS check digit, files agree",
    "duplicates": "no two entries with the same spectrum",
    "near-duplicates": f"different names never alike above cosine {NEAR_DUPLICATE_COSINE}",
    "self-identification": "each reference with noise added identifies as itself",
}
"""Gate name -> what it checks (the report's wording)."""

_RAW_GATES = ("signal-to-noise", "saturation", "axis", "spikes", "units", "self-identification")


@dataclass
class ValidationReport:
    """The result of :func:`validate_library`: one :class:`GateResult` per gate."""

    library: str
    version: str
    entries: int
    gates: list[GateResult]

    @property
    def ok(self) -> bool:
        """True when no gate failed (skipped gates do not fail)."""
        return all(g.status != "fail" for g in self.gates)

    @property
    def failed(self) -> list[str]:
        """Names of the gates that failed."""
        return [g.name for g in self.gates if g.status == "fail"]

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
            "failed": self.failed,
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
        for g in self.gates:
            status = {"pass": "PASS", "fail": "FAIL", "skipped": "SKIP"}[g.status]
            detail = g.note if g.status == "skipped" else f"{g.checked} checked"
            if g.findings:
                detail += f", {len(g.findings)} problem(s)"
            lines.append(f"{status}  {g.name:<{width}}  {g.description}  [{detail}]")
            for f in g.findings:
                lines.append(f"      {f.entry}: {f.message}")
            if g.note and g.status != "skipped":
                lines.append(f"      note: {g.note}")
        lines.append("")
        skipped = [g.name for g in self.gates if g.status == "skipped"]
        if self.ok and skipped:
            lines.append(
                f"PASSED: {len(self.gates) - len(skipped)} gates passed, {len(skipped)} skipped "
                f"({', '.join(skipped)}); {self.entries} references"
            )
        elif self.ok:
            lines.append(f"PASSED: all {len(self.gates)} gates passed ({self.entries} references)")
        else:
            lines.append(
                f"FAILED: {len(self.failed)} of {len(self.gates)} gates failed: "
                f"{', '.join(self.failed)}"
            )
        return "\n".join(lines)


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


def _signal(y: np.ndarray) -> float:
    return float(np.max(y) - np.percentile(y, 5))


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
    background = grey_opening(y, size=size, mode="nearest")
    return float(np.max(y - background))


def signal_to_noise(wavenumber: np.ndarray, intensity: np.ndarray) -> float:
    """:func:`band_height` over :func:`noise_sigma`; ``inf`` for a noiseless spectrum."""
    sigma = noise_sigma(intensity)
    height = band_height(wavenumber, intensity)
    if sigma <= 1e-12 * max(abs(height), 1e-300):
        return float("inf")
    return height / sigma


def find_spikes(wavenumber: np.ndarray, intensity: np.ndarray) -> np.ndarray:
    """Positions (cm⁻¹) of cosmic-ray-like spikes (see :data:`SPIKE_Z` and its neighbours).

    Parameters
    ----------
    wavenumber, intensity : numpy.ndarray
        Shape (G,).

    Returns
    -------
    numpy.ndarray
        Shape (S,), cm⁻¹.
    """
    y = np.asarray(intensity, dtype=float)
    if y.size < 25:
        return np.zeros(0)
    sigma = noise_sigma(y)
    residual = y - medfilt(y, 5)
    padded = np.pad(y, 10, mode="edge")
    local_min = sliding_window_view(padded, 21).min(axis=1)
    height = y - local_min
    floor = max(SPIKE_Z * sigma, SPIKE_MIN_FRACTION * _signal(y))
    hit = (residual > floor) & (residual > SPIKE_SHARE * np.maximum(height, 1e-300))
    return np.asarray(wavenumber, dtype=float)[hit]


def _flat_top(y: np.ndarray) -> int:
    top = float(np.max(y))
    at = np.abs(y - top) <= 1e-9 * max(abs(top), 1e-300)
    best = run = 0
    for flag in at:
        run = run + 1 if flag else 0
        best = max(best, run)
    return best


def _check_units(spectrum: Spectrum) -> list[str]:
    y = np.asarray(spectrum.intensity, dtype=float)
    x = spectrum.wavenumber
    unit = spectrum.y_unit
    problems = []
    if spectrum.modality == "raman" and unit in (
        "absorbance",
        "transmittance",
        "percent_transmittance",
        "kubelka_munk",
    ):
        problems.append(f"a Raman spectrum in {unit}: Raman intensities are counts or arbitrary")
    if unit == "transmittance" and (y.min() < -0.05 or y.max() > 1.2):
        problems.append(
            f"transmittance {y.min():.3g}..{y.max():.3g} is outside 0..1 (percent? set the unit "
            "percent_transmittance)"
        )
    if unit == "percent_transmittance":
        if y.min() < -5 or y.max() > 120:
            problems.append(f"percent transmittance {y.min():.3g}..{y.max():.3g} outside 0..100")
        elif y.max() <= 1.5:
            problems.append(
                f"percent transmittance with a maximum of {y.max():.3g}: looks like a fraction "
                "(0..1); set the unit transmittance"
            )
    if unit == "absorbance" and (y.min() < ABSORBANCE_RANGE[0] or y.max() > ABSORBANCE_RANGE[1]):
        problems.append(
            f"absorbance {y.min():.3g}..{y.max():.3g} outside {ABSORBANCE_RANGE[0]:g}.."
            f"{ABSORBANCE_RANGE[1]:g} (transmittance or percent taken for absorbance?)"
        )
    laser = spectrum.metadata.get("laser_wavelength_nm")
    if spectrum.modality == "raman":
        looks_nm = x[0] >= 400 and x[-1] <= 1100 and (x[-1] - x[0]) < 700
        if isinstance(laser, (int, float)) and laser > 0:
            looks_nm = looks_nm or (abs(x[0] - laser) < 5 and x[-1] < laser + 600)
        if looks_nm:
            problems.append(
                f"axis {x[0]:.0f}-{x[-1]:.0f}: looks like a wavelength in nm, not a Raman shift "
                "in cm-1 (convert with Spectrum.from_wavelength)"
            )
    elif x[-1] > 8000 or x[-1] <= 25:
        problems.append(
            f"axis {x[0]:.4g}-{x[-1]:.4g}: not a mid-IR wavenumber range in cm-1 (nm or µm?)"
        )
    negative = float(np.mean(y < 0))
    if negative > 0.5:
        problems.append(
            f"{negative:.0%} of the intensities are negative (inverted, or a wrong background)"
        )
    return problems


def _content_digest(spectrum: Spectrum) -> str:
    digest = hashlib.sha256(spectrum.modality.encode() + b"\0")
    digest.update(np.ascontiguousarray(spectrum.wavenumber, dtype="<f8").tobytes())
    digest.update(np.ascontiguousarray(spectrum.intensity, dtype="<f8").tobytes())
    return digest.hexdigest()


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
    rows at a time, so memory stays (chunk x N) for a library of any size.

    Returns
    -------
    list of (entry, entry, float)
        Both entries' metadata and their cosine, highest first.
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
                pairs.append(
                    (
                        library.entry(modality, lo + int(i)),
                        library.entry(modality, int(j)),
                        float(scores[i, j]),
                    )
                )
    pairs.sort(key=lambda p: -p[2])
    return pairs


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
    """
    source = path if isinstance(path, LibrarySource) else open_library(path)
    say = progress or (lambda _msg: None)
    gates = {name: GateResult(name, text) for name, text in GATES.items()}
    say("compiling the library")
    library = source.library()

    spectra: list[tuple[dict[str, str], Spectrum]] = []
    if source.is_folder:
        _metadata_gate_folder(source, gates["metadata"], spectra)
        _duplicates_raw(spectra, gates["duplicates"])
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
        _raw_gates(spectra, gates)
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
            f"cosine {score:.4f} > {NEAR_DUPLICATE_COSINE} ({a.get('modality')}): the search "
            "cannot tell these substances apart",
        )

    if source.is_folder:
        gate = gates["self-identification"]
        if self_identification:
            say(f"self-identification of {len(spectra)} references (noise added, seed {seed})")
            _self_identification(spectra, library, gate, seed)
        else:
            gate.status = "skipped"
            gate.note = "not asked for"
    return ValidationReport(
        library=str(source.path),
        version=library.version,
        entries=len(library),
        gates=list(gates.values()),
    )


def _metadata_gate_folder(
    source: LibrarySource, gate: GateResult, spectra: list[tuple[dict[str, str], Spectrum]]
) -> None:
    assert source.folder is not None
    seen_ids: dict[str, int] = {}
    listed: set[Path] = set()
    for line, row in enumerate(source.rows, start=2):
        gate.checked += 1
        where = f"{row.get('id') or row.get('file') or f'manifest line {line}'}"
        missing = [c for c in REQUIRED_FIELDS if not row.get(c)]
        if missing:
            gate.fail(where, f"manifest line {line}: empty {', '.join(missing)}")
        if row.get("cas") and not cas_is_valid(row["cas"]):
            gate.fail(where, f"CAS number {row['cas']!r} fails its check digit (or format)")
        if row.get("provenance") and row["provenance"] not in PROVENANCES:
            gate.fail(where, f"provenance {row['provenance']!r}: expected one of {PROVENANCES}")
        if row.get("id"):
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
                where, f"manifest says {row['modality']} but {row['file']} is {spectrum.modality}"
            )
        entry_id = spectrum.metadata.get("entry_id")
        if entry_id and row.get("id") and str(entry_id) != row["id"]:
            gate.fail(where, f"the file's entry_id {entry_id!r} differs from the manifest id")
        spectra.append((row, spectrum))
    for p in sorted(source.folder.rglob("*")):
        rel = p.relative_to(source.folder)
        if (
            p.is_file()
            and len(rel.parts) > 1
            and rel.parts[0] in MODALITIES
            and p.suffix.lower() in _REFERENCE_SUFFIXES
            and p.resolve() not in listed
        ):
            gate.fail(rel.as_posix(), "reference file not listed in manifest.csv (no metadata)")


def _metadata_gate_compiled(library: Library, gate: GateResult) -> None:
    gate.note = "a compiled library keeps no added_by/added_at: those are not checked here"
    for entry in library.entries:
        gate.checked += 1
        where = _label(entry)
        missing = [
            k
            for k in ("name", "cas", "class", "provenance", "source", "licence")
            if not entry.get(k)
        ]
        if missing:
            gate.fail(where, f"empty {', '.join(missing)}")
        if entry.get("cas") and not cas_is_valid(str(entry["cas"])):
            gate.fail(where, f"CAS number {entry['cas']!r} fails its check digit (or format)")
        if entry.get("provenance") and entry["provenance"] not in PROVENANCES:
            gate.fail(where, f"provenance {entry['provenance']!r}: expected one of {PROVENANCES}")


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
    spectra: list[tuple[dict[str, str], Spectrum]], gates: Mapping[str, GateResult]
) -> None:
    for row, s in spectra:
        where = f"{row['id'] or row['file']} ({row.get('name') or 'no name'})"
        y = np.asarray(s.intensity, dtype=float)
        x = s.wavenumber
        for name in ("signal-to-noise", "saturation", "axis", "spikes", "units"):
            gates[name].checked += 1
        snr = signal_to_noise(x, y)
        if snr < MIN_SNR:
            gates["signal-to-noise"].fail(
                where, f"signal-to-noise {snr:.1f} < {MIN_SNR:g} (noise sd {noise_sigma(y):.3g})"
            )
        flat = _flat_top(y)
        if flat >= FLAT_TOP_POINTS:
            gates["saturation"].fail(
                where,
                f"flat top: {flat} consecutive points at the maximum {y.max():.6g} (clipped)",
            )
        if s.y_unit in ("counts", "counts_per_second"):
            at = [c for c in DETECTOR_CEILINGS if np.count_nonzero(np.abs(y - c) < 0.5) >= 2]
            if at:
                gates["saturation"].fail(
                    where, f"counts at the detector ceiling {at[0]} (saturated detector)"
                )
        rule = AXIS_RULES[s.modality]
        step = float(np.median(np.diff(x)))
        if x[0] > rule.cover[0] or x[-1] < rule.cover[1]:
            gates["axis"].fail(
                where,
                f"axis {x[0]:.0f}-{x[-1]:.0f} cm-1 does not cover the {s.modality} fingerprint "
                f"region {rule.cover[0]:g}-{rule.cover[1]:g} cm-1",
            )
        if step > rule.max_step:
            gates["axis"].fail(
                where, f"sampling step {step:.2f} cm-1 > {rule.max_step:g} cm-1 (too coarse)"
            )
        spikes = find_spikes(x, y)
        if spikes.size:
            shown = ", ".join(f"{v:.0f}" for v in spikes[:5])
            gates["spikes"].fail(
                where,
                f"{spikes.size} spike(s) at {shown}{' ...' if spikes.size > 5 else ''} cm-1 "
                "(cosmic rays? remove them or re-measure)",
            )
        for problem in _check_units(s):
            gates["units"].fail(where, problem)


def _duplicates_raw(spectra: list[tuple[dict[str, str], Spectrum]], gate: GateResult) -> None:
    seen: dict[str, dict[str, str]] = {}
    for row, s in spectra:
        gate.checked += 1
        digest = _content_digest(s)
        if digest in seen:
            other = seen[digest]
            gate.fail(
                f"{other['id']} ({other['name']}) and {row['id']} ({row['name']})",
                "the same spectrum in two entries",
            )
        else:
            seen[digest] = row


def _self_identification(
    spectra: list[tuple[dict[str, str], Spectrum]],
    library: Library,
    gate: GateResult,
    seed: int,
) -> None:
    from forensic.identify import identify  # noqa: PLC0415  (the engine: only when run)

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
            gate.fail(where, "no hit at all")
        elif substance_key(best["name"]) != substance_key(row["name"]):
            gate.fail(
                where,
                f"identified as {best['name']} ({best['entry_id']}, score {best['score']:.3f}) "
                "instead of itself",
            )
    gate.note = (gate.note + "; " if gate.note else "") + (
        f"Gaussian noise of sd {SELF_ID_NOISE:.0%} of each reference's range, top hit"
    )


# -- snapshots and diff ---------------------------------------------------------------------------

_SNAPSHOT_FIELDS = (
    "name",
    "modality",
    "provenance",
    "cas",
    "class",
    "synonyms",
    "salt_form",
    "legal_control",
    "source",
    "licence",
    "added_by",
    "added_at",
    "file",
)


def snapshot(source: LibrarySource) -> dict[str, Any]:
    """Entry ids with their metadata and a hash of their library vector, and the version.

    The machine-readable form :func:`publish_library` keeps in ``release.json`` and
    :func:`diff_libraries` compares.

    Returns
    -------
    dict
        ``{"version": str, "entries": {id: {"content": sha256 hex, <metadata fields>}}}``.
    """
    library = source.library()
    rows = {r["id"]: r for r in source.rows}
    entries: dict[str, dict[str, Any]] = {}
    for modality, block in sorted(library.blocks.items()):
        for row in range(len(block)):
            compiled = library.entry(modality, row)
            entry = _entry_from_compiled(compiled)
            if entry["id"] in rows:
                manifest = _entry_from_row(rows[entry["id"]])
                for key in ("added_by", "added_at", "file"):
                    entry[key] = manifest[key] or entry[key]
            record = {k: entry[k] for k in _SNAPSHOT_FIELDS}
            record["synonyms"] = ";".join(entry["synonyms"])
            record["content"] = _row_digest(block, row, modality)
            entries[entry["id"]] = record
    return {"version": library.version, "entries": dict(sorted(entries.items()))}


@dataclass
class LibraryDiff:
    """Differences between two libraries (or a library and its last published snapshot).

    Attributes
    ----------
    old_version, new_version : str
    added, removed : list of dict
        ``{"id", "name", "modality", "provenance"}`` per entry.
    changed : list of dict
        ``{"id", "name", "modality", "changes": [str, ...]}``: each change in words
        (``"spectrum"`` when the library vector differs, else ``field: old -> new``).
    """

    old_version: str
    new_version: str
    added: list[dict[str, str]] = field(default_factory=list)
    removed: list[dict[str, str]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when nothing was added, removed or changed."""
        return not (self.added or self.removed or self.changed)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "old_version": self.old_version,
            "new_version": self.new_version,
            "added": self.added,
            "removed": self.removed,
            "changed": self.changed,
        }

    def format(self, old_label: str = "old", new_label: str = "new") -> str:
        """Readable text: both versions, then added, removed and changed entries."""
        lines = [
            f"{old_label}: version {self.old_version}",
            f"{new_label}: version {self.new_version}",
        ]
        if self.empty:
            lines.append("no entry added, removed or changed")
            return "\n".join(lines)
        for title, items, sign in (("added", self.added, "+"), ("removed", self.removed, "-")):
            if items:
                lines.append(f"{title} ({len(items)}):")
                lines += [
                    f"  {sign} {e['id']}: {e['name']} ({e['modality']}, {e['provenance']})"
                    for e in items
                ]
        if self.changed:
            lines.append(f"changed ({len(self.changed)}):")
            for e in self.changed:
                lines.append(f"  ~ {e['id']}: {e['name']} ({e['modality']})")
                lines += [f"      {c}" for c in e["changes"]]
        lines.append(
            f"{len(self.added)} added, {len(self.removed)} removed, {len(self.changed)} changed"
        )
        return "\n".join(lines)


def _short(value: str, limit: int = 60) -> str:
    value = str(value)
    return value if len(value) <= limit else value[: limit - 3] + "..."


def diff_snapshots(old: Mapping[str, Any], new: Mapping[str, Any]) -> LibraryDiff:
    """Compare two :func:`snapshot` dicts entry by entry (by id)."""
    a, b = old.get("entries", {}), new.get("entries", {})
    result = LibraryDiff(old_version=str(old.get("version", "")), new_version=str(new["version"]))

    def brief(i: str, e: Mapping[str, Any]) -> dict[str, str]:
        return {
            "id": i,
            "name": e.get("name", ""),
            "modality": e.get("modality", ""),
            "provenance": e.get("provenance", ""),
        }

    result.added = [brief(i, b[i]) for i in sorted(set(b) - set(a))]
    result.removed = [brief(i, a[i]) for i in sorted(set(a) - set(b))]
    for i in sorted(set(a) & set(b)):
        changes = []
        if a[i].get("content") != b[i].get("content"):
            changes.append("spectrum (library vector differs)")
        for key in _SNAPSHOT_FIELDS:
            va, vb = a[i].get(key, ""), b[i].get(key, "")
            if va != vb and not (key in ("added_by", "added_at") and (not va or not vb)):
                changes.append(f"{key}: {_short(va)!r} -> {_short(vb)!r}")
        if changes:
            result.changed.append({**brief(i, b[i]), "changes": changes})
    return result


def diff_libraries(
    old: str | os.PathLike | LibrarySource, new: str | os.PathLike | LibrarySource
) -> LibraryDiff:
    """Added, removed and changed entries (by id) between two libraries (folders or ``.flib``).

    A change is a different library vector (the spectrum, as the search sees it) or a different
    metadata field. Both versions are given. ``added_by``/``added_at`` are compared only when
    both sides have them (a ``.flib`` does not keep them).
    """
    a = old if isinstance(old, LibrarySource) else open_library(old)
    b = new if isinstance(new, LibrarySource) else open_library(new)
    return diff_snapshots(snapshot(a), snapshot(b))


# -- show and export ------------------------------------------------------------------------------


def find_entries(
    source: LibrarySource, name: str, modality: str | None = None
) -> list[dict[str, Any]]:
    """Entries whose id, name or synonym is ``name`` (case and punctuation ignored).

    Raises
    ------
    LibraryError
        When nothing matches, naming the closest names.
    """
    key = substance_key(name)
    entries = list_entries(source)
    found = [
        e
        for e in entries
        if key in (substance_key(e["id"]), substance_key(e["name"]))
        or any(substance_key(s) == key for s in e["synonyms"])
    ]
    if modality:
        found = [e for e in found if e["modality"] == modality]
    if not found:
        names = sorted({e["name"] for e in entries})
        close = difflib.get_close_matches(name, names, n=5, cutoff=0.5)
        hint = f"; close names: {', '.join(close)}" if close else ""
        raise LibraryError(f"no reference named {name!r} in {source.path}{hint}")
    return found


def reference_peaks(spectrum: Spectrum, *, limit: int = 30) -> list[tuple[float, float]]:
    """The bands of a reference: ``(position cm⁻¹, relative intensity 0..1)``, by position.

    Positions from :func:`forensic.alignment.find_peaks`; relative intensity is the height
    above the spectrum's minimum over the largest such height. At most ``limit``, the strongest.
    """
    x = np.asarray(spectrum.wavenumber, dtype=float)
    y = np.asarray(spectrum.intensity, dtype=float)
    span = float(np.max(y) - np.min(y))
    if span <= 0:
        return []
    positions = find_peaks(x, y)
    heights = (np.interp(positions, x, y) - float(np.min(y))) / span
    order = np.argsort(-heights)[:limit]
    return sorted((float(positions[i]), float(heights[i])) for i in order)


def plot_reference(
    spectrum: Spectrum,
    entry: Mapping[str, Any],
    peaks: Sequence[tuple[float, float]],
    out: str | os.PathLike,
    *,
    overwrite: bool = False,
) -> Path:
    """Plot a reference with its peaks marked to a PNG (refuses to overwrite unless asked)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415  (heavy)
    from matplotlib.figure import Figure  # noqa: PLC0415

    out = Path(out)
    fig = Figure(figsize=(10, 4.5), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    x = np.asarray(spectrum.wavenumber)
    y = np.asarray(spectrum.intensity, dtype=float)
    ax.plot(x, y, lw=0.9, color="#1f4e79")
    for pos, _ in peaks:
        yi = float(np.interp(pos, x, y))
        ax.annotate(
            f"{pos:.0f}",
            (pos, yi),
            textcoords="offset points",
            xytext=(0, 4),
            ha="center",
            fontsize=7,
            rotation=90,
        )
    ax.set_xlabel("Raman shift / cm⁻¹" if spectrum.modality == "raman" else "wavenumber / cm⁻¹")
    ax.set_ylabel(f"intensity ({spectrum.y_unit})")
    low, high = float(np.min(y)), float(np.max(y))
    ax.set_ylim(low - 0.03 * (high - low), high + 0.15 * (high - low))  # room for the labels
    if spectrum.modality == "ir":
        ax.invert_xaxis()
    title = f"{entry.get('name')} — {spectrum.modality} — {entry.get('id')}"
    ax.set_title(title, fontsize=10)
    if entry.get("provenance") != "measured":
        ax.text(
            0.01,
            0.97,
            "modelled reference: confirm against a measured library",
            transform=ax.transAxes,
            va="top",
            fontsize=8,
            color="#a00000",
        )
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return atomic_write_bytes(out, buffer.getvalue(), overwrite=overwrite)


def export_library(
    source: LibrarySource, out: str | os.PathLike, fmt: str = "jcamp", *, force: bool = False
) -> list[Path]:
    """Write every reference of a library folder to ``out`` as JCAMP-DX or CSV, with a manifest.

    ``out`` becomes a library folder itself (the same relative paths, with ``.jdx`` or
    ``.csv``, and ``manifest.csv`` with ``file`` updated), so it can be built, validated or
    imported again.

    Raises
    ------
    LibraryError
        For a compiled ``.flib`` (it holds no raw spectra), an unknown format, or a non-empty
        ``out`` without ``force``.
    """
    if fmt not in ("jcamp", "csv"):
        raise LibraryError(f"export format {fmt!r}: expected jcamp or csv")
    if not source.is_folder:
        raise LibraryError(
            f"{source.path}: a compiled library holds only preprocessed vectors, not the "
            "reference spectra; export from the folder it was built from"
        )
    out = Path(out)
    if out.exists() and any(out.iterdir()) and not force:
        raise LibraryError(f"{out}: exists and is not empty; not overwritten (use --force)")
    suffix = ".jdx" if fmt == "jcamp" else ".csv"
    written = []
    rows = []
    for row in source.rows:
        spectrum = read_spectrum(source.file_of(row))
        meta = {k: v for k, v in spectrum.metadata.items() if not str(k).startswith("source_")}
        spectrum = spectrum.replace(metadata=meta)
        relative = Path(row["file"]).with_suffix(suffix).as_posix()
        target = out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        written.append(
            write_spectrum(spectrum, target, format=fmt.replace("csv", "text"), overwrite=force)
        )
        rows.append({**row, "file": relative})
    written.append(
        atomic_write_bytes(out / "manifest.csv", format_manifest(rows).encode(), overwrite=force)
    )
    return written


# -- publish -------------------------------------------------------------------------------------

RELEASE_FILE = "release.json"
CHANGELOG_FILE = "CHANGELOG.md"


@dataclass
class PublishResult:
    """What :func:`publish_library` did: the version, the changelog entry, the diff."""

    version: str
    approved_by: str
    date: str
    changelog_entry: str
    diff: LibraryDiff
    report: ValidationReport
    compiled: Path | None = None


class PublishRefused(LibraryError):
    """Publishing was refused (a gate failed, nothing new, no approver); nothing was written."""

    def __init__(self, message: str, report: ValidationReport | None = None):
        super().__init__(message)
        self.report = report


def publish_library(
    folder: str | os.PathLike | None = None,
    *,
    approved_by: str,
    notes: str | None = None,
    out: str | os.PathLike | None = None,
    force: bool = False,
    today: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> PublishResult:
    """Validate, compile and publish a library folder: changelog entry with approver, snapshot.

    Appends to ``<folder>/CHANGELOG.md`` an entry with the version hash, the date, the counts,
    what changed since the last published version (from ``<folder>/release.json``, which is
    then rewritten with this version's snapshot) and who approved it.

    Parameters
    ----------
    folder : path-like, optional
        The library folder (default: the shipped one).
    approved_by : str
        Who approved this version (required, not blank).
    notes : str, optional
        Free text for the changelog entry.
    out : path-like, optional
        Also save the compiled library (``.flib``) there.
    force : bool, default False
        Overwrite ``out`` if it exists.

    Raises
    ------
    PublishRefused
        When a validation gate fails (the report is attached), the version is already the
        published one, or ``approved_by`` is blank.
    """
    if not approved_by or not approved_by.strip():
        raise PublishRefused("publishing needs --approved-by NAME: who approved this version")
    source = open_library(folder)
    if not source.is_folder:
        raise PublishRefused(f"{source.path}: publish a library folder, not a compiled file")
    assert source.folder is not None
    report = validate_library(source, progress=progress)
    if not report.ok:
        raise PublishRefused(
            f"not published: {len(report.failed)} validation gate(s) failed: "
            f"{', '.join(report.failed)}",
            report,
        )
    current = snapshot(source)
    release_path = source.folder / RELEASE_FILE
    previous: dict[str, Any] = {}
    if release_path.is_file():
        try:
            previous = json.loads(release_path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise PublishRefused(f"{release_path}: unreadable ({exc}); fix or remove it") from None
        if previous.get("version") == current["version"]:
            raise PublishRefused(
                f"version {current['version']} is already the published one "
                f"({previous.get('published_at')}, approved by {previous.get('approved_by')})"
            )
    diff = diff_snapshots(previous, current)
    date = today or _dt.datetime.now(_dt.timezone.utc).date().isoformat()
    compiled = None
    if out is not None:
        if progress:
            progress(f"saving the compiled library to {out}")
        library = source.library()
        if library.blocks and all(b.calibration is None for b in library.blocks.values()):
            library.calibrate()
        compiled = library.save(out, overwrite=force)
    info = library_info(source)
    entry = _changelog_entry(
        info, diff, previous=previous, approved_by=approved_by.strip(), notes=notes, date=date
    )
    changelog = source.folder / CHANGELOG_FILE
    text = (
        changelog.read_text(encoding="utf-8")
        if changelog.is_file()
        else (
            "# Changelog of the reference library\n\nEach published version: what changed, and who "
            "approved it.\n"
        )
    )
    release = {
        **current,
        "published_at": date,
        "approved_by": approved_by.strip(),
        "previous_version": previous.get("version"),
    }
    atomic_write_bytes(
        release_path,
        (json.dumps(release, indent=1, sort_keys=True) + "\n").encode(),
        overwrite=True,
    )
    atomic_write_bytes(
        changelog, (text.rstrip("\n") + "\n\n" + entry).encode("utf-8"), overwrite=True
    )
    return PublishResult(
        version=current["version"],
        approved_by=approved_by.strip(),
        date=date,
        changelog_entry=entry,
        diff=diff,
        report=report,
        compiled=compiled,
    )


def _changelog_entry(
    info: Mapping[str, Any],
    diff: LibraryDiff,
    *,
    previous: Mapping[str, Any],
    approved_by: str,
    notes: str | None,
    date: str,
) -> str:
    counts = ", ".join(f"{n} {m}" for m, n in info["by_modality"].items())
    provenance = ", ".join(f"{n} {p}" for p, n in info["by_provenance"].items())
    lines = [
        f"## {date} — version {info['version'][:12]}",
        "",
        f"- Version: `{info['version']}`",
        f"- {info['substances']} substances, {info['entries']} references ({counts}); {provenance}",
        "- Validation: all gates passed (`forensic library validate`)",
    ]
    if previous.get("version"):
        lines.append(
            f"- Changes since version {str(previous['version'])[:12]} "
            f"({previous.get('published_at', '?')}): {len(diff.added)} added, "
            f"{len(diff.removed)} removed, {len(diff.changed)} changed"
        )
    else:
        lines.append(
            f"- First version published with `forensic library publish` (no earlier "
            f"{RELEASE_FILE}): {len(diff.added)} entries recorded as the baseline"
        )
    if previous.get("version"):
        for e in diff.added:
            lines.append(f"  - added {e['id']}: {e['name']} ({e['modality']}, {e['provenance']})")
        for e in diff.removed:
            lines.append(f"  - removed {e['id']}: {e['name']} ({e['modality']}, {e['provenance']})")
        for e in diff.changed:
            lines.append(f"  - changed {e['id']}: {'; '.join(e['changes'])}")
    if notes:
        lines.append(f"- Notes: {notes.strip()}")
    lines += ["", f"approved by: {approved_by}", ""]
    return "\n".join(lines)


def copy_library(source: str | os.PathLike | None, target: str | os.PathLike) -> Path:
    """Copy a library folder (default: the shipped one) to ``target`` for editing.

    Python files and caches are left out. ``target`` must not exist.
    """
    src = Path(source).resolve() if source is not None else _shipped_dir()
    dst = Path(target)
    if dst.exists():
        raise LibraryError(f"{dst}: already exists; choose a new folder for the copy")
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.py", "*.pyc"))
    return dst
