"""``forensic library import|remove|rename|validate|diff|list|show|export|info|publish``:
the chemist's commands.

The logic lives in :mod:`forensic.curation`; this module only parses options and formats.
The commands are registered on the ``library`` group that :mod:`forensic.cli.library` defines.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from forensic.arguments import with_command_line_options
from forensic.cli.app import filled_in, y_unit_option
from forensic.cli.library import library_group as library
from forensic.commands import command
from forensic.manifest import MANIFEST_COLUMNS

EXIT_GATE_FAILED = 1
EXIT_SKIPPED = 1
"""``library import``: a file was skipped; what was imported is kept."""

_LIB_ARG = click.Path(path_type=Path, exists=True)


def _progress(message: str) -> None:
    click.echo(f"... {message}", err=True)


@library.command("import")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--library",
    "library_dir",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Library folder to import into (required: a forgotten option would edit the shipped "
    "library installed with the toolkit; to edit that one, name its folder).",
)
@click.option(
    "--name",
    default=None,
    callback=filled_in,
    help="Substance name (default: from the file); for one file, unless --replicates.",
)
@click.option(
    "--cas",
    default=None,
    callback=filled_in,
    help="CAS Registry Number, check digit checked (default: from the file); for one file, "
    "unless --replicates.",
)
@click.option(
    "--class", "substance_class", default=None, callback=filled_in, help="Class, e.g. stimulant."
)
@click.option(
    "--synonyms",
    default=None,
    callback=filled_in,
    help="Other names of the substance, separated by ';' (street names, INN, salt-less name).",
)
@click.option(
    "--salt-form",
    default=None,
    callback=filled_in,
    help="Its form: hydrochloride, base, neutral compound, inorganic salt (an inorganic "
    "substance's axis must cover its own region, see library validate).",
)
@click.option(
    "--legal-control",
    default=None,
    callback=filled_in,
    help="Its legal control, e.g. 'UN 1971 Convention, Schedule II'.",
)
@click.option(
    "--modality",
    type=click.Choice(["raman", "ir"]),
    default=None,
    help="Override the modality read from the file.",
)
@y_unit_option("is refused unless --override-file says the file is wrong")
@click.option(
    "--laser-nm",
    type=float,
    default=None,
    help="The laser wavelength (nm) of a Raman text or JCAMP-DX file whose axis is a "
    "wavelength in nm and that does not name its laser line; recorded with the reference.",
)
@click.option(
    "--override-file",
    is_flag=True,
    help="The file's header is wrong: --y-unit (or a y_unit column) replaces the intensity "
    "unit it names, --laser-nm (or laser_nm) the laser wavelength it names. Recorded with the "
    "reference (who, when, what the file said), shown by library show and in the changelog.",
)
@click.option(
    "--manifest",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="CSV naming the files to import, one row each, with the manifest columns ("
    + ", ".join(MANIFEST_COLUMNS)
    + "; file and name required; commas or semicolons) and, per file, y_unit and laser_nm "
    "(as --y-unit and --laser-nm). A row's file is a path relative to the CSV's folder (not "
    "to the current folder), or to a folder given (or a file given, or the name of one file "
    "among those given). Refused, writing nothing, when a row's file is not found or a "
    "column is none of these; files given that no row names are skipped.",
)
@click.option(
    "--ignore-columns",
    is_flag=True,
    help="Import a --manifest with columns that are not manifest columns, leaving them out "
    "(without it, refused, naming each and the nearest manifest column).",
)
@click.option(
    "--replicates",
    is_flag=True,
    help="The files given are replicate spectra of one substance: --name and --cas name "
    "them all (without it, refused for several files).",
)
@click.option(
    "--mixed-scripts",
    is_flag=True,
    help="Record a name or synonym whose word mixes scripts (a Cyrillic or Greek letter that "
    "prints like a Latin one, among Latin letters) as given; without it such a name, almost "
    "always a keyboard set to another layout, is refused.",
)
@click.option(
    "--added-by",
    default=None,
    callback=filled_in,
    help="Who adds them (default: your login name; a library file imported again keeps its row's).",
)
@click.option(
    "--source", default=None, callback=filled_in, help="Provenance: instrument, sample, lab."
)
@click.option("--licence", default=None, callback=filled_in, help="Licence of the spectra.")
@click.option(
    "--id",
    "entry_id",
    default=None,
    callback=filled_in,
    help="Entry id (default: that of the library's entry of the same substance and modality, "
    "else NAME-MODALITY).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Replace an entry with the same id that is not modelled (a measured or simulated one).",
)
def import_command(paths, library_dir, manifest, **options):
    """Import measured spectra (FILE or DIR ...) as references of a library folder.

    Each spectrum becomes <library>/<modality>/<id>.jdx (JCAMP-DX, provenance measured) and a
    manifest row. A measured spectrum replaces the modelled reference of the same substance
    and modality. Unreadable files are listed and skipped, and so is a file of several spectra
    that names none of them (the subfiles of an SPC file) unless --name or the manifest names
    its substance. A reference file of the library imported again (to state its unit, or
    under another name or id) replaces its own row and keeps its source, licence, added-by
    and date unless given.

    Exit 0 when every file was imported; 1 when a file was skipped (the others are imported
    and kept); 2 when the import was refused (nothing written).
    """
    from forensic.curation import import_spectra  # noqa: PLC0415  (only when run)
    from forensic.spectrum import is_measured  # noqa: PLC0415

    if not paths and manifest is None:
        raise click.UsageError("give spectrum files or folders, or --manifest CSV")
    result = import_spectra(paths, library_dir, manifest=manifest, **options)
    new_ids = {row["id"]: row for row in result.imported}
    for row in result.replaced:
        if not is_measured(row.get("provenance")):
            click.echo(
                f"replaced {row['provenance']} reference {row['name']} ({row['id']}, {row['file']})"
            )
        elif row["id"] in new_ids:
            click.echo(f"replaced measured reference {row['name']} ({row['id']}) (--force)")
        else:  # a library's own file imported again under another id
            click.echo(
                f"replaced measured reference {row['name']} ({row['id']}, {row['file']}): its "
                "file was imported again under another id"
            )
    for row in result.imported:
        click.echo(
            f"imported {row['file']}: {row['name']} ({row['modality']}, id {row['id']}"
            f"{', CAS ' + row['cas'] if row['cas'] else ''})"
        )
    # what to give is told a Python caller as its argument: here, as the option
    for note in result.notes:
        click.echo(f"note: {with_command_line_options(note)}", err=True)
    for path, reason in result.skipped:  # last before the summary: what was not taken
        click.echo(f"skipped {path}: {with_command_line_options(reason)}", err=True)
    click.echo(
        f"{len(result.imported)} imported, {len(result.replaced)} replaced, "
        f"{_skipped_count(result)} skipped"
        + (" (listed above; the others are imported and kept)" if result.skipped else "")
        + "; next: "
        + command("library", "validate", library_dir)
    )
    if result.skipped:
        sys.exit(EXIT_SKIPPED)


def _skipped_count(result) -> str:
    """How much an import skipped, in words: ``0``, ``3 spectra``, ``1 file``, ``3 spectra
    and 1 file`` (a line of what was skipped may stand for several spectra of a file)."""
    counted = [
        f"{n} {word if n == 1 else plural}"
        for n, word, plural in (
            (result.skipped_spectra, "spectrum", "spectra"),
            (result.skipped_files, "file", "files"),
        )
        if n
    ]
    return " and ".join(counted) or "0"


_FOLDER_OPTION = click.option(
    "--library",
    "library_dir",
    type=click.Path(path_type=Path),
    required=True,
    help="The library folder to edit (required: the shipped library is not edited by default).",
)


def _next_steps(library_dir: Path) -> str:
    return (
        f"{library_dir} is now not its published version (library info and every result "
        "identified against it say so) until it is published again; next: "
        + command("library", "validate", library_dir)
        + ", then "
        + command("library", "publish", library_dir, approved_by="...")
    )


@library.command("remove")
@click.argument("ids", nargs=-1, required=True)
@_FOLDER_OPTION
@click.option(
    "--reason",
    required=True,
    callback=filled_in,
    help="Why they are removed: recorded in manifest.csv, and quoted in the changelog entry "
    "when the folder is published.",
)
@click.option(
    "--by",
    "removed_by",
    default=None,
    callback=filled_in,
    help="Who removes them (default: your login name).",
)
def remove_command(ids, library_dir, reason, removed_by):
    """Remove the references ID... from a library folder: their manifest rows and files.

    The removal (each reference, date, who, reason) is recorded as a comment line at the end
    of manifest.csv. An id the folder does not hold is refused with the nearest id, and
    nothing is changed (forensic library list FOLDER lists the ids).
    """
    from forensic.curation.editing import remove_references  # noqa: PLC0415  (only when run)

    result = remove_references(library_dir, ids, reason=reason, removed_by=removed_by)
    for row in result.removed:
        click.echo(f"removed {row['id']}: {row['name']} ({row['modality']}, {row['file']})")
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(f"{len(result.removed)} removed; {_next_steps(library_dir)}")


@library.command("rename")
@click.argument("ids", nargs=-1, required=True)
@_FOLDER_OPTION
@click.option("--name", required=True, callback=filled_in, help="The new substance name.")
@click.option(
    "--id",
    "new_id",
    default=None,
    callback=filled_in,
    help="A new id too (one reference only; results identified before cite the old one, so "
    "by default the id stays).",
)
@click.option(
    "--cas",
    default=None,
    callback=filled_in,
    help="The new name's CAS Registry Number (check digit checked).",
)
@click.option(
    "--class", "substance_class", default=None, callback=filled_in, help="The new name's class."
)
@click.option(
    "--keep-old-name",
    is_flag=True,
    help="Keep the old name as a synonym (a trade name, another language's); by default it "
    "is dropped, since a rename most often corrects a wrong name.",
)
@click.option(
    "--reason",
    default=None,
    callback=filled_in,
    help="Why, recorded with the rename in manifest.csv.",
)
@click.option(
    "--by",
    "renamed_by",
    default=None,
    callback=filled_in,
    help="Who renames them (default: your login name).",
)
@click.option(
    "--mixed-scripts",
    is_flag=True,
    help="Record a name whose word mixes scripts as given (as library import --mixed-scripts).",
)
def rename_command(ids, library_dir, **options):
    """Give the references ID... another substance name, keeping their provenance.

    Source, licence, who added them and when, waivers, where they were imported from and
    their values stay; the reference file's name is changed with its manifest row. A name
    that is a library substance's name or synonym joins that substance (its CAS number and
    class are taken). The rename is recorded as a comment line above the row.
    """
    from forensic.curation.editing import rename_references  # noqa: PLC0415  (only when run)

    name = options.pop("name")
    result = rename_references(library_dir, ids, name, **options)
    for old, new in result.renamed:
        moved = f", id {old['id']} -> {new['id']}" if old["id"] != new["id"] else ""
        click.echo(
            f"renamed {new['id']}: {old['name']!r} -> {new['name']!r} ({new['modality']}"
            f"{moved}{', CAS ' + new['cas'] if new['cas'] else ''})"
        )
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(f"{len(result.renamed)} renamed; {_next_steps(library_dir)}")


@library.command("validate")
@click.argument("lib", required=False, type=_LIB_ARG)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--seed", default=0, show_default=True, help="Seed of the self-identification noise.")
@click.option("--no-self-id", is_flag=True, help="Skip the self-identification gate (faster).")
@click.option(
    "--entry",
    "entries",
    multiple=True,
    help="Run the per-spectrum gates on this entry id only (repeatable).",
)
def validate_command(lib, as_json, seed, no_self_id, entries):
    """Run the quality gates on LIB (a library folder or a .flib; default the shipped one).

    Exits 1 when a gate fails, and for a .flib, which the gates that need the raw spectra
    cannot check (validate the folder it was built from).
    """
    from forensic.curation import validate_library  # noqa: PLC0415  (only when run)

    report = validate_library(
        lib,
        seed=seed,
        self_identification=not no_self_id,
        only=entries or None,
        progress=_progress,
    )
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=1))
    else:
        click.echo(report.format())
    if not report.passed:
        sys.exit(EXIT_GATE_FAILED)


@library.command("diff")
@click.argument("old", type=_LIB_ARG)
@click.argument("new", type=_LIB_ARG)
@click.option("--json", "as_json", is_flag=True, help="Print the differences as JSON.")
def diff_command(old, new, as_json):
    """Entries added, removed and changed from OLD to NEW (folders or .flib files)."""
    from forensic.curation import diff_libraries  # noqa: PLC0415  (only when run)

    diff = diff_libraries(old, new)
    if as_json:
        click.echo(json.dumps(diff.to_dict(), indent=1))
    else:
        click.echo(diff.format(str(old), str(new)))


@library.command("list")
@click.argument("lib", required=False, type=_LIB_ARG)
@click.option("--json", "as_json", is_flag=True, help="A JSON list of entries.")
def list_command(lib, as_json):
    """List the references of LIB (default the shipped library)."""
    from forensic.curation import list_entries, open_library  # noqa: PLC0415  (only when run)
    from forensic.spectrum import is_measured  # noqa: PLC0415

    entries = list_entries(open_library(lib))
    if as_json:
        click.echo(json.dumps(entries, indent=1, ensure_ascii=False))
        return
    width = max((len(e["name"]) for e in entries), default=4)
    for e in entries:
        click.echo(
            f"{e['modality']:<6} {e['name']:<{width}}  {e['provenance']:<9} "
            f"{e['cas'] or '-':<12} {e['class'] or '-':<28} {e['id']}"
            + (f"  InChIKey {e['inchikey']}" if e["inchikey"] else "")
        )
    made = [e["provenance"] for e in entries if not is_measured(e["provenance"])]
    click.echo(
        f"{len(entries)} references"
        + "".join(f", {made.count(p)} {p}" for p in dict.fromkeys(sorted(made)))
    )


@library.command("show")
@click.argument("name")
@click.option(
    "--library",
    "library_dir",
    type=click.Path(path_type=Path, exists=True),
    default=None,
    help="Library folder (default: the shipped library); not a compiled .flib, which holds no "
    "raw spectra.",
)
@click.option(
    "--modality",
    type=click.Choice(["raman", "ir"]),
    default=None,
    help="Show only this modality's reference (default: every modality).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the plot to this PNG (with two modalities: NAME-raman.png, ...).",
)
@click.option("--force", is_flag=True, help="Overwrite --out.")
def show_command(name, library_dir, modality, out, force):
    """Show the reference(s) NAME: metadata, peak table and (with --out) a plot."""
    from forensic import curation  # noqa: PLC0415  (only when run)
    from forensic.identification import reference_warning  # noqa: PLC0415
    from forensic.io import read_spectrum  # noqa: PLC0415
    from forensic.library import STATED_KEY  # noqa: PLC0415
    from forensic.spectrum import is_measured  # noqa: PLC0415

    find_entries, open_library = curation.find_entries, curation.open_library
    plot_reference, reference_peaks = curation.plot_reference, curation.reference_peaks

    if library_dir is not None and library_dir.is_file():  # not loaded only to say so
        raise click.UsageError(
            f"{library_dir}: a file (a compiled library holds no raw spectra to show): give "
            "the library folder it was built from (--library DIR)"
        )
    source = open_library(library_dir)
    if not source.is_folder:
        raise click.UsageError(
            f"{library_dir}: a compiled library, which holds no raw spectra to show: give the "
            "library folder it was built from (--library DIR)"
        )
    entries = find_entries(source, name, modality)
    for k, entry in enumerate(entries):
        spectrum = read_spectrum(source.folder / entry["file"])
        if k:
            click.echo("")
        click.echo(f"{entry['name']} — {entry['modality']} — {entry['id']} ({entry['file']})")
        for key in (
            "cas",
            "class",
            "salt_form",
            "legal_control",
            "provenance",
            "source",
            "licence",
            "added_by",
            "added_at",
        ):
            if entry.get(key):
                click.echo(f"  {key:<13} {entry[key]}")
        if entry["synonyms"]:
            click.echo(f"  {'synonyms':<13} {'; '.join(entry['synonyms'])}")
        stated = spectrum.metadata.get(STATED_KEY)
        if stated:  # what the chemist said over the file: never silently
            click.echo(f"  {'stated':<13} {stated}")
        if not is_measured(entry["provenance"]):
            click.echo(f"  {reference_warning(entry['provenance'])}")
        x = spectrum.wavenumber
        assumed = spectrum.metadata.get("axis_unit_basis")  # its file never named the unit
        click.echo(
            f"  axis          {x[0]:.0f}-{x[-1]:.0f} cm-1{f' ({assumed})' if assumed else ''}, "
            f"{len(spectrum)} points, intensity {spectrum.y_unit}"
        )
        peaks = reference_peaks(spectrum)
        click.echo("  peak / cm-1   relative intensity")
        for pos, rel in peaks:
            click.echo(f"  {pos:10.1f}    {rel:5.2f}")
        if out is not None:
            target = out
            if len(entries) > 1:
                target = out.with_name(f"{out.stem}-{entry['modality']}{out.suffix or '.png'}")
            plot_reference(spectrum, entry, peaks, target, overwrite=force)
            click.echo(f"  plot written to {target}")
    if out is None:
        click.echo("(add --out FILE.png for a plot)")


@library.command("export")
@click.argument("lib", required=False, type=_LIB_ARG)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jcamp", "csv"]),
    required=True,
    help="File format of the exported spectra.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Folder to write the files into.",
)
@click.option("--force", is_flag=True, help="Write into a non-empty --out, overwriting files.")
def export_command(lib, fmt, out, force):
    """Export every reference of LIB (a folder; default the shipped one) to --out."""
    from forensic.curation import (  # noqa: PLC0415  (only when run)
        export_library,
        library_info,
        open_library,
    )

    source = open_library(lib)
    written = export_library(source, out, fmt, force=force)
    others = len(written) - len(source.rows) - 1  # changelog, release, README, band tables
    click.echo(
        f"{out}: {len(source.rows)} references ({fmt}) and manifest.csv written"
        + (f", with {others} files of the library's history and sources" if others else "")
    )
    # the version hashes the reference files: another format is another version
    release = library_info(open_library(out))["release"]
    if (
        release is not None
        and not release["current"]
        and not release.get("same_references")
        and "problem" not in release
    ):
        click.echo(
            f"note: the copy is not version {str(release['version'])[:12]} ({fmt} files hash "
            "differently from the originals): results from it cite a version no changelog "
            "names. Hand over the published .flib or a JCAMP-DX copy, or publish this one",
            err=True,
        )


def _approval_words(approval: dict | None, release: dict) -> str:
    """Who approved a version and with which key, for ``library info``: the whole key
    fingerprint, for anyone to check with the approver or list among the trusted ones."""
    approval = approval or {}
    key = approval.get("key_fingerprint")
    return (
        f"{approval.get('published_at') or release.get('published_at')}, approved by "
        f"{approval.get('approved_by') or release.get('approved_by')}"
        + (f", key {key}" if key else "")
    )


def _release_line(release: dict, version: str) -> str:
    """Whether a library is the version its record of publication records
    (:func:`forensic.curation.release_state`), in words."""
    from forensic.curation import release_state  # noqa: PLC0415  (only when run)
    from forensic.library import NOT_PUBLISHED  # noqa: PLC0415

    state = release_state(release)
    if state == "unknown":
        return f"unknown: {release['problem']}"
    current = bool(release.get("current"))  # an export's baseline is current, unpublished
    said = "this version" if current else "changed since version "
    said += "" if current else str(release.get("version"))[:12]
    if state == "unpublished":  # the baseline an export records: never published
        return f"no: {said}, {release.get('published_at')}"
    recorded = f"version {str(release.get('version'))[:12]} ({_approval_words(None, release)})"
    if state == "unsigned":
        return (
            f"NO: approval not signed: its record of {recorded} holds no signature (written by "
            f"a toolkit before approvals were signed, or by hand), so it is {NOT_PUBLISHED}; "
            "publish it again to sign it"
        )
    if state == "not_approved":
        problem = (release.get("approval") or {}).get("problem")
        return f"NO: the approval its record names ({recorded}) does not hold: {problem}"
    when = _approval_words(release.get("approval"), release)
    if state == "current":
        return f"yes: {said}, {when}"
    if state == "earlier":
        earlier = release["earlier"]
        return (
            f"yes: an earlier published version, {_approval_words(earlier, release)} (rolled "
            f"back: the latest published is {recorded})"
        )
    if state == "same_references":
        return (
            f"the same references as version {str(release.get('version'))[:12]} ({when}), "
            f"whose version was computed by hash rule {release.get('hash_scheme')}; this "
            f"toolkit names them {version[:12]}, which no changelog entry names yet (publish "
            "again to record it; the published .flib keeps its version)"
        )
    return (
        f"NO: {said} ({when}); results from this folder cite {version[:12]}, which no "
        "changelog entry names (publish it, or use the published files)"
    )


@library.command("info")
@click.argument("lib", required=False, type=_LIB_ARG)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def info_command(lib, as_json):
    """Version, counts and source folder of LIB (default the shipped library)."""
    from forensic.curation import (  # noqa: PLC0415  (only when run)
        library_info,
        open_library,
        release_state,
    )
    from forensic.spectrum import is_measured  # noqa: PLC0415

    source = open_library(lib)
    info = library_info(source)
    if as_json:
        click.echo(json.dumps(info, indent=1))
        return
    click.echo(f"version     {info['version']}")
    click.echo(f"name        {info['name'] or 'not recorded (built before libraries had one)'}")
    if info["compiled"]:  # a folder read only now has no build date worth saying
        click.echo(f"built       {info['built_at'] or 'not recorded'}")
    click.echo(f"source      {info['source'] or info['path']}")
    if info.get("compiled"):
        click.echo(f"compiled    {info['compiled']}")
    click.echo(f"substances  {info['substances']}")
    by_mod = ", ".join(f"{n} {m}" for m, n in info["by_modality"].items())
    click.echo(f"references  {info['entries']} ({by_mod})")
    click.echo("provenance  " + ", ".join(f"{n} {p}" for p, n in info["by_provenance"].items()))
    release = info["release"]
    if release is not None:
        click.echo(f"published   {_release_line(release, info['version'])}")
        edits = release.get("record_edits") or []
        if edits and release_state(release) != "unpublished":
            click.echo(
                f"EDITED      since publication, {len(edits)} record(s) of who added a "
                "reference or when (not part of the version, so it is unchanged; "
                "release.json keeps what was published): " + "; ".join(edits)
            )
    elif source.is_shipped:  # released with the toolkit: its files checked, not signed here
        from forensic.library_folders import shipped_approval  # noqa: PLC0415

        approval, unapproved = shipped_approval(source.folder)
        click.echo(
            f"published   yes: {approval} (the shipped library: approved by the toolkit's "
            "release, its files those the package lists)"
            if approval
            else f"published   NO: {unapproved}"
        )
    else:  # as identify warns of it
        from forensic.library import NOT_PUBLISHED  # noqa: PLC0415

        how = "never published" if source.is_folder else "built, not published"
        click.echo(f"published   no: {NOT_PUBLISHED} ({how}): no one approved its references")
    for modality, calibration in info["calibration"].items():
        click.echo(f"verdicts    {modality}: {_calibration_line(calibration)}")
    for provenance in info["by_provenance"]:
        if not is_measured(provenance):
            click.echo(
                f"note        {provenance} references: confirm hits against a measured library"
            )
    for path, reason in info["skipped"]:
        click.echo(f"UNREADABLE  {path}: {reason} (listed, but not in the compiled library)")


def _calibration_line(calibration: dict | None) -> str:
    """What a modality's verdicts are decided by, as ``library info`` says it."""
    from forensic.verdict import MIN_LEFT_OUT, Q_IDENTIFIED  # noqa: PLC0415  (only when run)

    if calibration is None:
        return "not calibrated: its hits get no q-value, and no verdict is identified"
    score = calibration["score_identified"]
    needs = (
        f"identified at a score of {score:.3f} or more (q-value <= {Q_IDENTIFIED})"
        if score is not None
        else f"no score reaches a q-value of {Q_IDENTIFIED}"
    )
    wrong = calibration.get("share_wrong")
    error = calibration.get("standard_error")
    estimate = (
        ""
        if wrong is None
        else f"; by their estimate {wrong:.1%}"
        + ("" if error is None else f" (± {error:.1%})")
        + " of identifications are wrong"
    )
    left_out = calibration.get("left_out")
    draws = calibration.get("draws")
    measured = f", as {draws} simulated re-measurements" if draws and draws > 1 else ""
    how = {
        "left-out references": (
            f"chosen from its {left_out} references each left out{measured}{estimate}"
        ),
        "too few references": (
            f"the floor: its {left_out} references, fewer than {MIN_LEFT_OUT}, are too few to "
            f"choose from{estimate}"
        ),
        "before method 6": "calibrated before libraries chose it: build the library again",
    }[calibration["margin_from"]]
    return (
        f"{needs} and {calibration['margin_min']:g} or more above the best different "
        f"substance ({how})"
    )


@library.command("publish")
@click.argument(
    "folder", required=True, type=click.Path(path_type=Path, file_okay=False, exists=True)
)
@click.option(
    "--approved-by",
    required=True,
    callback=filled_in,
    help="Who approved this version; their key on this computer signs it (made on first use).",
)
@click.option(
    "--name",
    default=None,
    callback=filled_in,
    help="The library's name in results and reports (default: the folder's name).",
)
@click.option(
    "--notes",
    default=None,
    callback=filled_in,
    help="Text for the changelog entry (its lines are the entry's Notes item).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Also save the compiled library (.flib) here, carrying the signed approval.",
)
@click.option("--force", is_flag=True, help="Overwrite --out.")
def publish_command(*, folder, approved_by, name, notes, out, force):
    """Validate, compile and publish FOLDER: a CHANGELOG.md entry with the approver, and
    release.json signed with the approver's key.

    FOLDER is required: the library folder to publish (a forgotten argument would publish
    the shipped library installed with the toolkit, which its release approves; to publish
    that folder, name it).

    Refused (exit 1) when a validation gate fails; the report says which.
    """
    from forensic.curation import PublishRefused, publish_library  # noqa: PLC0415  (only when run)

    try:
        result = publish_library(
            folder,
            approved_by=approved_by,
            name=name,
            notes=notes,
            out=out,
            force=force,
            progress=_progress,
        )
    except PublishRefused as exc:
        if exc.report is not None:
            click.echo(exc.report.format())
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_GATE_FAILED)
        raise
    click.echo(result.changelog_entry.rstrip())
    if result.compiled is not None:
        click.echo(f"compiled library saved to {result.compiled} (it carries the approval)")
    click.echo(f"published version {result.version}, approved by {result.approved_by}")
    click.echo(
        f"signed with the key of {result.approved_by}: {result.key_fingerprint} (give this "
        "fingerprint to whoever checks the approval, or lists trusted approvers)"
    )
