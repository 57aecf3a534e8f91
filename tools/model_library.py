"""Regenerate every modelled reference of the shipped library from its band table.

Usage (from the repository root)::

    python tools/model_library.py            # rewrite what differs
    python tools/model_library.py --check    # write nothing; exit 1 if a file is stale

Reads ``spectral_library/bands/*.toml`` (one file per substance; format in
``spectral_library/README.md``), writes ``spectral_library/raman/<id>.jdx`` and
``spectral_library/ir/<id>.jdx`` with :func:`forensic.write_spectrum` (JCAMP-DX), and rewrites
``spectral_library/manifest.csv``. The output depends only on the band tables, so running it twice
gives byte-identical files (``tests/test_spectral_library.py`` checks that the committed files are
exactly what the tables give).

Rows of the manifest whose provenance is not ``modelled`` (measured references imported by a
chemist) are carried over unchanged, and a measured reference replaces the modelled one of the
same substance and modality: the tool then no longer writes that modelled file.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from a source tree that is not installed
    sys.path.insert(0, str(ROOT))

from forensic.curation import format_manifest, read_manifest  # noqa: E402  (one format)
from forensic.errors import LibraryError  # noqa: E402
from forensic.io import write_spectrum  # noqa: E402
from forensic.manifest import ManifestRow, ManifestRows  # noqa: E402
from forensic.modelled import (  # noqa: E402
    ModelledEntry,
    entry_from_dict,
    model_spectrum,
    modelled_source,
)

LIBRARY = ROOT / "spectral_library"
DEFAULTS = {
    "added_by": "forensic developers (initial import)",
    "added_at": "2026-11-22",
    "licence": "MIT (band table compiled by the forensic developers from the cited literature)",
}
"""Manifest fields a band-table file may leave out."""


def load_entries(bands_dir: Path) -> list[ModelledEntry]:
    """Every band table in ``bands_dir``, sorted by id (the file name without ``.toml``)."""
    entries = []
    for path in sorted(bands_dir.glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise LibraryError(f"{path}: not valid TOML: {exc}") from None
        entry = entry_from_dict({**DEFAULTS, **data}, where=str(path))
        if entry.entry_id != path.stem:
            raise LibraryError(
                f"{path}: id {entry.entry_id!r} differs from the file name {path.stem!r}"
            )
        entries.append(entry)
    return entries


def modelled_spectra(entry: ModelledEntry) -> dict[str, object]:
    """Modality -> modelled :class:`~forensic.spectrum.Spectrum` of one entry."""
    return {
        modality: model_spectrum(
            table,
            name=entry.name,
            entry_id=f"{entry.entry_id}-{modality}",
            cas=entry.cas,
            substance_class=entry.substance_class,
            extra_metadata={
                "synonyms": ";".join(entry.synonyms),
                "salt_form": entry.salt_form,
                "legal_control": entry.legal_control,
                "substance_id": entry.entry_id,
            },
        )
        for modality, table in sorted(entry.tables.items())
    }


def _manifest_row(entry: ModelledEntry, modality: str) -> dict[str, str]:
    table = entry.tables[modality]
    return {
        "id": f"{entry.entry_id}-{modality}",
        "file": f"{modality}/{entry.entry_id}.jdx",
        "name": entry.name,
        "synonyms": ";".join(entry.synonyms),
        "cas": entry.cas,
        "class": entry.substance_class,
        "legal_control": entry.legal_control,
        "salt_form": entry.salt_form,
        "modality": modality,
        "provenance": "modelled",
        "source": modelled_source(entry.entry_id, table),
        "licence": entry.licence,
        "added_by": entry.added_by,
        "added_at": entry.added_at,
    }


def _manifest(library: Path) -> ManifestRows:
    """The manifest's rows, with the lab's own columns and the chemists' comment lines (which
    :func:`~forensic.curation.format_manifest` writes back)."""
    manifest = library / "manifest.csv"
    return read_manifest(manifest, required=()) if manifest.is_file() else ManifestRows()


def build(library: Path = LIBRARY) -> dict[str, bytes]:
    """Relative path -> bytes of every file the band tables give (``manifest.csv`` included).

    A substance and modality that already has a measured reference in the manifest (same
    ``name`` and ``modality``) gets no modelled file: the measured one replaces it. Rows that
    are not modelled are kept as they are; a modelled row keeps the comment lines above it.
    """
    existing = _manifest(library)
    measured = [row for row in existing if row.get("provenance") != "modelled"]
    notes = {row["id"]: row.comments for row in existing if row.get("provenance") == "modelled"}
    replaced = {(row["name"].lower(), row["modality"]) for row in measured}
    outputs: dict[str, bytes] = {}
    rows = list(measured)
    with tempfile.TemporaryDirectory() as scratch:
        for entry in load_entries(library / "bands"):
            for modality, spectrum in modelled_spectra(entry).items():
                if (entry.name.lower(), modality) in replaced:
                    continue
                relative = f"{modality}/{entry.entry_id}.jdx"
                target = Path(scratch) / modality / f"{entry.entry_id}.jdx"
                target.parent.mkdir(exist_ok=True)
                write_spectrum(spectrum, target, format="jcamp")
                outputs[relative] = target.read_bytes()
                row = ManifestRow(_manifest_row(entry, modality))
                row.comments = notes.get(row["id"], ())
                rows.append(row)
    outputs["manifest.csv"] = format_manifest(existing.with_rows(rows)).encode("utf-8")
    return outputs


def stale_files(
    library: Path = LIBRARY, outputs: dict[str, bytes] | None = None
) -> tuple[list[str], list[Path]]:
    """Files that differ from what the band tables give, and modelled files no table makes."""
    outputs = build(library) if outputs is None else outputs
    stale = [
        relative
        for relative, data in sorted(outputs.items())
        if not (library / relative).is_file() or (library / relative).read_bytes() != data
    ]
    orphans = [
        path
        for modality in ("raman", "ir")
        for path in sorted((library / modality).glob("*.jdx"))
        if f"{modality}/{path.name}" not in outputs and _is_modelled(path)
    ]
    return stale, orphans


def _is_modelled(path: Path) -> bool:
    return b"##$provenance=modelled" in path.read_bytes()[:20000]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate the modelled reference spectra.")
    parser.add_argument("library", nargs="?", type=Path, default=LIBRARY)
    parser.add_argument("--check", action="store_true", help="compare only; write nothing")
    args = parser.parse_args(argv)
    library = args.library.resolve()
    try:
        outputs = build(library)
        stale, orphans = stale_files(library, outputs)
    except LibraryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.check:
        for relative in stale:
            print(f"differs from its band table: {relative}")
        for path in orphans:
            print(f"modelled file without a band table: {path.relative_to(library)}")
        print(f"{len(outputs)} files checked, {len(stale) + len(orphans)} stale")
        return 1 if stale or orphans else 0
    for relative in stale:
        path = library / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(outputs[relative])
        tmp.replace(path)
    for path in orphans:
        path.unlink()
        print(f"removed {path.relative_to(library)} (no band table makes it)")
    print(f"{len(outputs)} files, {len(stale)} written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
