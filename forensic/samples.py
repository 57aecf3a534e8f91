"""Resolve a sample given as a file path or a substance name to a reference :class:`Spectrum`.

Used by the instrument simulators (``--sample NAME|FILE``, ``sample=`` in ``sim:`` URLs): an
existing file is read with the toolkit's readers; otherwise the text is looked up among the
ids, names and synonyms of the shipped library's ``manifest.csv`` for the wanted modality, as
the library compares names (:func:`forensic.naming.substance_key`: letter case, spaces and
punctuation aside, so ``cocaine-hydrochloride`` is "Cocaine hydrochloride"). A cut sample is
a comma-separated list of parts, each a name or file with a share after a colon
(``cocaine:65,levamisole:35``), every part or none (equal shares).
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import numpy as np

from forensic.errors import LibraryError
from forensic.io import read_spectrum
from forensic.manifest import read_manifest
from forensic.naming import substance_key
from forensic.spectrum import Spectrum
from spectral_library import LIBRARY_DIR

__all__ = ["resolve_sample"]


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
    return read_manifest(manifest)  # the one reader: a spreadsheet's byte order mark too


def resolve_sample(text: str, modality: str, *, library_dir: Path | None = None) -> Spectrum:
    """The reference spectrum for ``text``: a spectrum file, a library name or synonym, or a
    cut sample made of them.

    Parameters
    ----------
    text : str
        A path to a spectrum file, a substance name or id ("paracetamol", "cocaine HCl",
        "cocaine-hydrochloride": letter case, spaces and punctuation aside), or a cut
        sample: parts separated by commas, each a name or file with a share after a colon
        ("cocaine:65,levamisole:35"), every part or none (then the parts weigh the same). The parts
        are scaled to a maximum of 1 (IR in absorbance), weighted by their shares and summed
        over the range they all cover, on the finest of their axes: the shares are of the
        signal, not of the mass. The result is ``modelled``, never a measurement.
    modality : {"raman", "ir"}
        Which reference to take when a substance has both.
    library_dir : path, optional
        The library folder (default: the shipped ``spectral_library``).

    Returns
    -------
    Spectrum
        The spectrum read from the file, the library's reference, or the cut sample.

    Raises
    ------
    FormatError
        The file exists but cannot be read.
    LibraryError
        No such file and no such name (the message lists close names, or what is available),
        or a cut sample whose shares are not positive numbers, given for some parts only, or
        whose parts share no range.
    """
    path = Path(text).expanduser()
    if path.is_file():
        return read_spectrum(path)
    if "," in text:
        return _cut_sample(text, modality, library_dir)
    return _library_sample(text, modality, library_dir)


def _library_sample(text: str, modality: str, library_dir: Path | None) -> Spectrum:
    folder = library_dir or _library_dir()
    rows = _manifest_rows(folder)
    wanted = substance_key(text.strip())
    candidates = [r for r in rows if r.get("modality", modality) == modality] or rows
    # Names and ids first, then synonyms ("cocaine" is a synonym of both salt forms), each
    # compared as the library compares names: "cocaine-hydrochloride" (a URL's sample= has no
    # easy space) is "Cocaine hydrochloride".
    for fields in (("name", "id"), ("synonyms",)):
        for row in candidates:
            names = [n for f in fields for n in (row.get(f) or "").split(";")]
            if wanted in {substance_key(n.strip()) for n in names if n.strip()}:
                spectrum = read_spectrum(folder / row["file"])
                extra = {k: row[k] for k in ("name", "cas", "provenance") if row.get(k)}
                return spectrum.with_metadata(**extra)
    names = sorted({r["name"] for r in candidates})
    # what was meant, compared as the name was looked up: with the ids and synonyms, as keys
    # ("cokaine" is one letter from the synonym "cocaine", not from "Cocaine base")
    meant: dict[str, list[str]] = {}
    for row in candidates:
        for field in ("name", "id", "synonyms"):
            for name in (row.get(field) or "").split(";"):
                if name.strip():
                    meant.setdefault(substance_key(name.strip()), []).append(row["name"])
    keys = difflib.get_close_matches(wanted, meant, n=10, cutoff=0.6)
    close = list(dict.fromkeys(name for key in keys for name in meant[key]))[:5]
    if not close:
        close = [n for n in names if wanted[:4] and wanted[:4] in substance_key(n)][:5]
    hint = (
        f"close names: {', '.join(close)}"
        if close
        else f"{len(names)} {modality} names available, e.g. {', '.join(names[:8])}"
    )
    raise LibraryError(f"no file and no {modality} library entry named {text!r}; {hint}")


def _cut_sample(text: str, modality: str, library_dir: Path | None) -> Spectrum:
    """``name[:share],name[:share],...`` as one modelled spectrum (see :func:`resolve_sample`)."""
    # the processing module pulls in SciPy: opening an instrument URL does not need it otherwise
    from forensic.processing import to_absorbance  # noqa: PLC0415

    shared: list[tuple[str, float | None]] = []  # each part's name, and its share if given
    for item in (p.strip() for p in text.split(",")):
        if not item:
            raise LibraryError(f"cut sample {text!r}: an empty part between commas")
        name, colon, share_text = item.rpartition(":") if ":" in item else (item, "", "")
        try:
            share = float(share_text) if colon else 1.0
        except ValueError:
            share = float("nan")
        if not np.isfinite(share) or share <= 0:
            raise LibraryError(
                f"cut sample {text!r}: the share of {name.strip()!r} must be a positive number "
                f"(e.g. cocaine:65,levamisole:35), got {share_text!r}"
            )
        shared.append((name.strip(), share if colon else None))
    # a part without a share among parts with one would weigh 1 against their 65 and 35
    unshared = [name for name, share in shared if share is None]
    if unshared and len(unshared) < len(shared):
        raise LibraryError(
            f"cut sample {text!r}: {', '.join(repr(name) for name in unshared)} "
            f"{'has' if len(unshared) == 1 else 'have'} no share: give every part its share "
            "(e.g. cocaine:65,levamisole:35), or none for equal shares"
        )
    parts: list[tuple[Spectrum, float]] = []
    for name, share in shared:
        spectrum = resolve_sample(name, modality, library_dir=library_dir)
        if spectrum.modality == "ir":
            spectrum = to_absorbance(spectrum)  # absorbances add; transmittances do not
        parts.append((spectrum, 1.0 if share is None else share))
    if len({s.modality for s, _ in parts}) > 1:
        raise LibraryError(f"cut sample {text!r}: its parts are not all {modality} spectra")
    low = max(float(s.wavenumber.min()) for s, _ in parts)
    high = min(float(s.wavenumber.max()) for s, _ in parts)
    step = min(float(np.median(np.abs(np.diff(s.wavenumber)))) for s, _ in parts)
    if not high - low > 16 * step:
        raise LibraryError(f"cut sample {text!r}: its parts share no range of wavenumbers")
    axis = np.arange(low, high + step / 2, step)
    axis = axis[axis <= high]
    total = sum(share for _, share in parts)
    intensity = np.zeros(axis.size)
    labels = []
    for spectrum, share in parts:
        order = np.argsort(spectrum.wavenumber)
        y = np.interp(axis, spectrum.wavenumber[order], spectrum.intensity[order])
        peak = float(np.max(np.abs(y)))
        intensity += (share / total) * (y / peak if peak > 0 else y)
        labels.append(f"{spectrum.name or 'unnamed'} {100 * share / total:.0f} %")
    first = parts[0][0]
    return Spectrum(
        axis,
        intensity,
        modality=first.modality,
        y_unit=first.y_unit,
        metadata={"name": " + ".join(labels), "provenance": "modelled"},
    )
