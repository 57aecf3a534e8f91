"""Finding, showing and exporting references (``forensic library show`` and ``export``)."""

from __future__ import annotations

import datetime as _dt
import difflib
import io
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from forensic.alignment import find_peaks
from forensic.curation.diff import snapshot
from forensic.curation.manifest import format_manifest
from forensic.curation.publish import CHANGELOG_FILE
from forensic.curation.source import RELEASE_FILE, LibrarySource, list_entries
from forensic.errors import LibraryError
from forensic.files import atomic_write_bytes, not_overwritten
from forensic.io import read_spectrum, write_spectrum
from forensic.library import substance_key
from forensic.manifest import ManifestRow, ManifestRows
from forensic.spectrum import Spectrum, is_measured

BANDS_DIR = "bands"
"""Where a library folder keeps the band tables its modelled references are made from."""


def find_entries(
    source: LibrarySource, name: str, modality: str | None = None
) -> list[dict[str, Any]]:
    """Entries whose id, name or synonym is ``name`` (case and punctuation ignored).

    Names are compared by :func:`forensic.library.substance_key`: "Cocaine HCl" finds
    "cocaine-hcl".

    Parameters
    ----------
    source : LibrarySource
        The library, folder or ``.flib`` (:func:`open_library`).
    name : str
        An entry id, a substance name or one of its synonyms.
    modality : {"raman", "ir"}, optional
        Only the entries of this modality; default both.

    Returns
    -------
    list of dict
        The matching entries as :func:`list_entries` gives them (sorted by modality, name and
        id); never empty.

    Raises
    ------
    LibraryError
        When nothing matches (also when ``name`` matches only in the other modality), naming
        the library and up to five close names.
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

    Positions from :func:`forensic.alignment.find_peaks` (its default prominence); relative
    intensity is the height above the spectrum's minimum over the spectrum's range (maximum
    minus minimum), so the highest point of the spectrum is 1.

    Parameters
    ----------
    spectrum : Spectrum
        The reference, as read from its file (any modality). Bands are the maxima of its
        intensities as they are: a spectrum in transmittance is not inverted first.
    limit : int, default 30
        The most bands given: the strongest ``limit`` of those found.

    Returns
    -------
    list of (float, float)
        ``(position cm⁻¹, relative intensity 0..1)`` per band, sorted by position; empty for a
        flat spectrum (no range).
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
    """Plot a reference with its peaks marked to a PNG (refuses to overwrite unless asked).

    The plot is 1100 x 495 pixels: the spectrum, each peak labelled with its position
    (cm⁻¹), the x axis reversed for IR, the title ``name — modality — id``, and for a
    reference that is not measured (:func:`forensic.spectrum.is_measured`) a red line saying
    to confirm it against a measured library.

    Parameters
    ----------
    spectrum : Spectrum
        The reference spectrum.
    entry : mapping
        Its entry, as :func:`find_entries` gives it: ``name``, ``id`` and ``provenance`` are
        used.
    peaks : sequence of (float, float)
        ``(position cm⁻¹, relative intensity)`` per peak, as :func:`reference_peaks` gives
        them; only the positions are drawn.
    out : str or path-like
        The PNG file to write; missing folders are created.
    overwrite : bool, default False
        Replace ``out`` if it exists.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    forensic.files.OutputExistsError
        When ``out`` exists and ``overwrite`` is false.
    forensic.files.OutputError
        When ``out`` is a folder or cannot be written.
    """
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
    ax.set_title(title, fontsize=10, parse_math=False)  # a "$" in a name is a dollar
    if not is_measured(entry.get("provenance")):
        ax.text(
            0.01,
            0.97,
            f"{entry.get('provenance')} reference: confirm against a measured library",
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
    imported again; the folder's history and sources come along unchanged (``CHANGELOG.md``,
    ``release.json``, the last published version that ``publish`` compares with,
    ``README.md`` and the band tables of modelled references in ``bands/``), so a copy
    published later continues the library's changelog rather than starting a new one. A
    folder without ``release.json`` (the shipped one) gets one in the copy describing it as
    exported, so that the copy's first publish lists what changed since.

    Parameters
    ----------
    source : LibrarySource
        The library folder (:func:`open_library`); a ``.flib`` is refused.
    out : str or path-like
        The folder to write; created if missing. It must be outside the library folder.
    fmt : {"jcamp", "csv"}, default "jcamp"
        JCAMP-DX (``.jdx``) or CSV (``.csv``, as :func:`forensic.io.write_spectrum` writes
        it). The metadata that names the file a spectrum was read from (``source_*``) is
        left out: a copy does not claim the original's file. The digest a file states of its
        values (:mod:`forensic.curation.digest`) is copied as it is, so that a copy of a file
        edited by hand fails validation as the file does; none is added to a file without one
        (the copy of the shipped library stays its version).
    force : bool, default False
        Write into a non-empty ``out``, replacing files of the same names (other files in it
        stay).

    Returns
    -------
    list of Path
        Every file written: the references in manifest order, ``manifest.csv``, then
        ``CHANGELOG.md`` and ``README.md`` where the folder has them, ``release.json`` (the
        folder's, or the baseline written for the copy) and the band tables
        (``bands/*.toml``).

    Raises
    ------
    LibraryError
        For a compiled ``.flib`` (it holds no raw spectra), an unknown format, a non-empty
        ``out`` without ``force``, or an ``out`` that is the library folder, inside it or
        holds it (symbolic links resolved), even with ``force``.
    FormatError
        When a reference file cannot be read (:func:`forensic.io.read_spectrum`).
    forensic.files.OutputError
        When a file cannot be written in ``out``.
    """
    if fmt not in ("jcamp", "csv"):
        raise LibraryError(f"export format {fmt!r}: expected jcamp or csv")
    if not source.is_folder:
        raise LibraryError(
            f"{source.path}: a compiled library holds only preprocessed vectors, not the "
            "reference spectra; export from the folder it was built from"
        )
    out = Path(out)
    here, there = source.folder.resolve(), out.resolve()
    if there == here or there.is_relative_to(here) or here.is_relative_to(there):
        # --force would rewrite the library itself: its manifest switched to the copies, its
        # references left unlisted, its version (and a published one) changed
        raise LibraryError(
            f"{out}: is "
            + (
                "the library folder itself"
                if there == here
                else "inside the library folder"
                if there.is_relative_to(here)
                else "a folder the library is in"
            )
            + f" ({here}); export to a folder outside it"
        )
    if out.exists() and any(out.iterdir()) and not force:
        raise LibraryError(
            not_overwritten(out, replace="force=True", what="exists and is not empty")
        )
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
        copy = ManifestRow({**row, "file": relative})
        copy.comments = getattr(row, "comments", ())
        rows.append(copy)
    if isinstance(source.rows, ManifestRows):  # the notes above the header and below the rows
        rows = source.rows.with_rows(rows)
    written.append(
        atomic_write_bytes(out / "manifest.csv", format_manifest(rows).encode(), overwrite=force)
    )
    for name in (CHANGELOG_FILE, RELEASE_FILE, "README.md"):
        if (source.folder / name).is_file():
            data = (source.folder / name).read_bytes()
            written.append(atomic_write_bytes(out / name, data, overwrite=force))
    if not (source.folder / RELEASE_FILE).is_file():
        # the copy's first publish then says what changed since the library it came from (the
        # shipped one keeps no release.json: its version depends on this toolkit's pipelines)
        baseline = {
            **snapshot(source),
            "published_at": "as exported from "
            + ("the shipped library" if source.is_shipped else str(source.folder))
            + f" on {_dt.datetime.now(_dt.timezone.utc).date().isoformat()}",
            "approved_by": None,
            "previous_version": None,
        }
        text = json.dumps(baseline, indent=1, sort_keys=True) + "\n"
        written.append(atomic_write_bytes(out / RELEASE_FILE, text.encode(), overwrite=force))
    for table in sorted((source.folder / BANDS_DIR).glob("*.toml")):
        (out / BANDS_DIR).mkdir(exist_ok=True)
        target = out / BANDS_DIR / table.name
        written.append(atomic_write_bytes(target, table.read_bytes(), overwrite=force))
    return written
