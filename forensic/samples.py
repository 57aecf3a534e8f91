"""Resolve a sample given as a file path or a substance name to a reference :class:`Spectrum`.

Used by the instrument simulators (``--sample NAME|FILE``, ``sample=`` in ``sim:`` URLs): an
existing file is read with the toolkit's readers; otherwise the text is looked up,
case-insensitively, among the names and synonyms of the shipped library's ``manifest.csv``
for the wanted modality.
"""

from __future__ import annotations

import csv
import difflib
import os
from pathlib import Path

from forensic.errors import LibraryError
from forensic.io import read_spectrum
from forensic.spectrum import Spectrum
from spectral_library import LIBRARY_DIR

__all__ = ["library_names", "resolve_sample"]


def _library_dir() -> Path:
    return Path(os.environ.get("FORENSIC_LIBRARY_DIR", LIBRARY_DIR))


def _manifest_rows(library_dir: Path) -> list[dict[str, str]]:
    manifest = library_dir / "manifest.csv"
    if not manifest.is_file():
        available = sorted(p.name for p in library_dir.glob("*")) if library_dir.is_dir() else []
        raise LibraryError(
            f"no library manifest at {manifest}: cannot look up sample names "
            f"(folder holds: {', '.join(available) or 'nothing'}); give a spectrum file instead"
        )
    with open(manifest, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def library_names(modality: str | None = None, *, library_dir: Path | None = None) -> list[str]:
    """Names of the shipped references (of ``modality`` when given), sorted."""
    rows = _manifest_rows(library_dir or _library_dir())
    return sorted({r["name"] for r in rows if modality is None or r.get("modality") == modality})


def resolve_sample(text: str, modality: str, *, library_dir: Path | None = None) -> Spectrum:
    """The reference spectrum for ``text``: a spectrum file, or a library name or synonym.

    Parameters
    ----------
    text : str
        A path to a spectrum file, or a substance name ("paracetamol", "cocaine HCl").
    modality : {"raman", "ir"}
        Which reference to take when a substance has both.
    library_dir : path, optional
        The library folder (default: the shipped ``spectral_library``).

    Raises
    ------
    FormatError
        The file exists but cannot be read.
    LibraryError
        No such file and no such name; the message lists close names, or what is available.
    """
    path = Path(text).expanduser()
    if path.is_file():
        return read_spectrum(path)
    folder = library_dir or _library_dir()
    rows = _manifest_rows(folder)
    wanted = text.strip().casefold()
    candidates = [r for r in rows if r.get("modality", modality) == modality] or rows
    # Names and ids first, then synonyms ("cocaine" is a synonym of both salt forms).
    for fields in (("name", "id"), ("synonyms",)):
        for row in candidates:
            names = [n for f in fields for n in (row.get(f) or "").split(";")]
            if wanted in {n.strip().casefold() for n in names if n.strip()}:
                spectrum = read_spectrum(folder / row["file"])
                extra = {k: row[k] for k in ("name", "cas", "provenance") if row.get(k)}
                return spectrum.with_metadata(**extra)
    names = sorted({r["name"] for r in candidates})
    close = difflib.get_close_matches(text, names, n=5, cutoff=0.5)
    if not close:
        close = [n for n in names if wanted[:4] and wanted[:4] in n.casefold()][:5]
    hint = (
        f"close names: {', '.join(close)}"
        if close
        else f"{len(names)} {modality} names available, e.g. {', '.join(names[:8])}"
    )
    raise LibraryError(f"no file and no {modality} library entry named {text!r}; {hint}")
