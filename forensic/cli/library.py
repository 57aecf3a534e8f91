"""``forensic library ...``: build and manage compiled reference libraries."""

from __future__ import annotations

import collections
import re
from pathlib import Path

import click

from forensic.arguments import with_command_line_options
from forensic.cli.app import filled_in, main
from forensic.commands import blank_refusal, import_with_laser_line
from forensic.errors import ForensicError, LibraryError
from forensic.files import REPLACE_OPTION, not_overwritten


@main.group("library")
def library_group():
    """Build and inspect reference libraries."""


@library_group.command("build")
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="Library file.")
@click.option(
    "--manifest",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="CSV with file,name[,synonyms,cas,class,provenance,source,...] per reference (file "
    "relative to the CSV); a column that is not a manifest column is refused.",
)
@click.option(
    "--ignore-columns",
    is_flag=True,
    help="Build from a --manifest with columns that are not manifest columns, leaving them out.",
)
@click.option(
    "--name",
    callback=filled_in,
    help="What the library is called, printed on every report of a result identified "
    "against it (default: the name of the --out file, without .flib).",
)
@click.option(
    "--built-at",
    help="When it was built, printed on reports: an ISO-8601 date (2026-11-24) or time with "
    "its time zone (default: now, in UTC).",
)
@click.option("--force", is_flag=True, help="Replace LIB if it exists.")
@click.option("--no-calibration", is_flag=True, help="Skip the q-value calibration (faster).")
def build_command(*, sources, out, manifest, ignore_columns, name, built_at, force, no_calibration):
    """Compile reference spectra in SOURCE files or folders (read recursively) into LIB.

    Each reference's name comes from the manifest, else the file (JCAMP ##TITLE/##NAMES, RRUFF
    ##NAMES), else the file name. A single library folder's own manifest.csv is used when no
    --manifest is given. Unreadable files are listed and skipped, and so is a file of several
    spectra that names none of them (the subfiles of an SPC file) unless the manifest names it;
    but a file a manifest lists that cannot be read refuses the build (exit 2, nothing
    written). The library records its name and build date (neither is part of its version:
    the same references give the same version under any name, on any day). A library folder
    that is its published version gives a file carrying its signed approval, named and dated
    as published; any other folder is warned of: the file is not a published version, and
    every result identified against it says so.
    """
    from forensic.custody.store import record_time  # noqa: PLC0415  (only when run)
    from forensic.library import FILE_SUFFIX, Library  # noqa: PLC0415  (the engine: only when run)
    from forensic.library_folders import listed_but_unread  # noqa: PLC0415

    if out.exists() and not force:
        raise LibraryError(not_overwritten(out, replace=REPLACE_OPTION))
    if blank := blank_refusal("--name", name, "the library's name"):
        raise LibraryError(f"{blank}; nothing was written")
    built = None
    if built_at is not None:  # checked before the build, which may take minutes
        try:
            built = record_time(built_at, "--built-at", date_alone=True)
        except ForensicError as exc:
            raise LibraryError(str(exc)) from None
    stem = out.name[: -len(FILE_SUFFIX)] if out.name.endswith(FILE_SUFFIX) else out.name
    # a --manifest column it has no place for is refused before any file is read
    try:
        library = Library.from_folder(
            list(sources),
            manifest,
            calibrate=not no_calibration,
            name=name or stem,
            ignore_columns=ignore_columns,
        )
    except LibraryError as exc:  # every reference left out: each said as below, as built here
        said = str(exc)
        for label, reason in getattr(exc, "skipped", []):
            said = said.replace(f"{label}: {reason}", f"{label}: {_as_built_here(label, reason)}")
        if said == str(exc):
            raise
        raise LibraryError(said) from None
    if built is not None:
        library.built_at = built
    for path, reason in library.skipped:
        click.echo(f"skipped {path}: {_as_built_here(path, reason)}", err=True)
    unread = listed_but_unread(library.skipped, list(sources), manifest)
    if unread:  # as identifying against the folder refuses: a library without them says
        # nothing of their absence
        raise LibraryError(
            f"not built, nothing written: {len(unread)} reference(s) a manifest lists cannot be "
            f"read ({'; '.join(f'{Path(p).name}: {why}' for p, why in unread[:5])}); fix them "
            "or remove their rows"
        )
    _carry_approval(library, sources, manifest, name=name, built=built)
    guessed = library.guessed_units
    if guessed:
        units = collections.Counter(e["y_unit"] for e in guessed)
        click.echo(
            f"note: {len(guessed)} IR reference(s) do not name their intensity unit; guessed from "
            f"the numbers as {', '.join(f'{u} ({n})' for u, n in sorted(units.items()))}. A wrong "
            "guess spoils a reference: name the unit in the files (e.g. forensic library import "
            "--y-unit)",
            err=True,
        )
    library.save(out, overwrite=force)
    counts = ", ".join(f"{len(b)} {m}" for m, b in sorted(library.blocks.items()))
    click.echo(f"{out}: {len(library)} references ({counts}), {len(library.skipped)} skipped")
    click.echo(f"name {library.name!r}, built {library.built_at}")
    click.echo(f"version {library.version}")
    if library.release is not None:
        from forensic.curation.approval import check_approval, key_words  # noqa: PLC0415

        said = check_approval(library.release)
        click.echo(
            f"carries the approval of this version: published {said.published_at}, approved by "
            f"{said.approved_by} ({key_words(said.key_fingerprint)})"
        )


def _as_built_here(label: str, reason: str) -> str:
    """Why a reference was left out, as ``library build`` says it: the build reads each file
    as it is, so a Raman axis that looks like a wavelength in nm is told the import that reads
    it with its laser line, in place of the Python call the library gives a programmer
    (:func:`forensic.quality.with_command_line_action`), and what to give as its option, not
    as a Python caller's argument (:func:`forensic.arguments.with_command_line_options`)."""
    from forensic.quality import laser_line_action, with_command_line_action  # noqa: PLC0415

    file = Path(label)
    if not file.is_file():  # one spectrum of a file of several: "FILE #2"
        file = Path(re.sub(r" #\d+$", "", label))
    how = (
        f"import it into a library folder with {import_with_laser_line(file)}, and build from "
        "that folder"
    )
    return with_command_line_options(with_command_line_action(reason, laser_line_action(how)))


def _carry_approval(library, sources, manifest, *, name, built) -> None:
    """Build of one library folder: the signed record of its published version goes into the
    file (named and dated as published) when the folder is that version; else a warning that
    the file is not a published version, as every result from it will say."""
    from forensic.curation.source import folder_standing, published_record  # noqa: PLC0415

    if len(sources) != 1 or manifest is not None:
        return
    folder = Path(sources[0])
    if not (folder.is_dir() and (folder / "manifest.csv").is_file()):
        return
    folder = folder.resolve()
    standing = folder_standing(folder, library.version)
    record = published_record(folder, library.version)
    if record is None:
        if standing.unapproved:
            click.echo(
                f"warning: {standing.unapproved}; the library file built from it carries no "
                "approval, and every result identified against it says so (publish the "
                "folder: forensic library publish, with --out)",
                err=True,
            )
        return
    if name is not None and name != record.get("name"):
        click.echo(
            f"warning: the folder's published version is named {record.get('name')!r}; a file "
            f"named {name!r} is not the library approved, and every result from it says so "
            "(leave --name out to keep the approved name)",
            err=True,
        )
        return
    library.release = record
    library.name = record.get("name") or library.name
    if built is None and record.get("published_at"):
        library.built_at = record["published_at"]
