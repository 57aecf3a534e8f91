"""Removing and renaming references of a library folder (``forensic library remove|rename``).

A chemist corrects a library folder by these two, not by editing ``manifest.csv`` and deleting
files by hand: each edits the manifest and the reference files together (the files first,
then the manifest, each written whole, every file put back when a step fails), refuses before
anything is written what would leave the folder failing a validation gate it passed, and
records what was done, by whom, when and why as a comment line in the manifest, which a
chemist reviews in a diff:

- a removal's note goes after the manifest's last row (the manifest's own notes), one line
  per reference, with the row's own notes below it: ``# removed toluene-ir (Toluene, ir,
  measured, ir/toluene-ir.jdx) on 2026-11-24 by A. Chemist: a duplicate of toluene-ir-2``;
  ``publish`` quotes the reason in the changelog entry's ``removed`` line
  (:func:`removal_reasons`);
- a rename's note goes above the reference's row, where its notes are: ``# renamed
  2026-11-24 by A. Chemist from 'Single scan measurement 1'``; ``publish``'s changelog entry
  says ``name: 'old' -> 'new'`` as for any change.

A rename keeps the reference's provenance (source, licence, who added it and when, waivers,
the file it was imported from, the digest of its values, its history, notes and the lab's own
columns) and, unless told otherwise, its id, which results cite. The old name does not become
a synonym unless asked (``keep_old_name``): a rename is most often a correction (a file's
title taken for a name, a substance mislabelled), and a synonym says the old name names the
same substance, so a wrong one would go on finding the reference, and a later import under it
would join it.

Either edit changes the folder's version: it is then not its published version (``library
info`` and every result identified against it say so) until it is published again.
"""

from __future__ import annotations

import csv
import datetime as _dt
import difflib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from forensic.arguments import argument
from forensic.commands import PLACEHOLDER, command
from forensic.curation.importing import (
    _canonical,
    _login_name,
    _name_refusals,
    _names_of,
    _salt_refusal,
    _write_all,
)
from forensic.curation.manifest import (
    cas_is_valid,
    cas_key,
    cas_problem,
    comment_line,
    id_problem,
    read_manifest,
    write_manifest,
)
from forensic.errors import ForensicError, LibraryError
from forensic.io import read_spectrum
from forensic.library import FILE_SUFFIX
from forensic.manifest import ManifestRow, ManifestRows
from forensic.naming import printed_key, substance_key
from forensic.spectrum import Spectrum

__all__ = [
    "RemoveResult",
    "RenameResult",
    "removal_reasons",
    "remove_references",
    "rename_references",
]

_IDENTITY = ("synonyms", "cas", "class", "legal_control", "salt_form")
"""A row's fields that say which substance its reference is, besides its name."""


@dataclass
class RemoveResult:
    """What :func:`remove_references` did.

    Attributes
    ----------
    removed : list of dict
        The manifest rows removed, in the order the ids were given.
    deleted : list of Path
        Their reference files, deleted.
    notes : list of str
        What the chemist should know: a file left in place (outside the folder, or it could
        not be deleted), what the folder is now.
    """

    removed: list[dict[str, str]] = field(default_factory=list)
    deleted: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class RenameResult:
    """What :func:`rename_references` did.

    Attributes
    ----------
    renamed : list of (dict, dict)
        Each reference's manifest row before and after, in the order the ids were given.
    notes : list of str
        What the chemist should know: the library substance the name joined, identity fields
        kept from the old name, references of the old name left as they are.
    """

    renamed: list[tuple[dict[str, str], dict[str, str]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _folder_rows(library_dir: str | os.PathLike) -> tuple[Path, Path, ManifestRows]:
    """The library folder, its manifest and rows; refused when it is no writable library
    folder (a compiled ``.flib`` is said to be one: its references cannot be edited)."""
    folder = Path(library_dir).resolve()
    if folder.is_file():
        what = "a compiled library" if folder.name.endswith(FILE_SUFFIX) else "a file"
        raise LibraryError(
            f"{folder}: {what}, not a library folder: edit the folder it was built from "
            f"(manifest.csv and its reference files), then build or publish it again"
        )
    if not folder.is_dir():
        raise LibraryError(f"{folder}: no such library folder")
    manifest = folder / "manifest.csv"
    if not manifest.is_file():
        raise LibraryError(
            f"{folder}: no manifest.csv: a library folder lists its references in manifest.csv"
        )
    if not os.access(folder, os.W_OK) or not os.access(manifest, os.W_OK):
        raise LibraryError(f"{folder}: not writable; nothing was changed")
    return folder, manifest, read_manifest(manifest, required=("id", "file", "name"))


def _unknown_ids(wanted: Sequence[str], rows: Sequence[Mapping[str, str]], folder: Path) -> str:
    """Each id of ``wanted`` the manifest does not hold, with the nearest id, or the ids of
    the references of that name when a name was given for an id."""
    ids = [r["id"] for r in rows]
    said = []
    for entry_id in wanted:
        key = substance_key(entry_id)
        named = [r["id"] for r in rows if key in map(substance_key, _names_of(r))]
        near = difflib.get_close_matches(entry_id, ids, n=1, cutoff=0.6)
        if named:
            hint = f"it is the name of {', '.join(named)}: give the id"
        elif near:
            hint = f"did you mean {near[0]}?"
        else:
            hint = "no id near it"
        said.append(f"{entry_id!r} ({hint})")
    return (
        f"{folder}: no reference with the id {'; '.join(said)} (forensic library list "
        f"{folder} lists the ids)"
    )


def _given_ids(ids: Sequence[str]) -> list[str]:
    """The ids given, each once, in order; refused when none is."""
    wanted = list(dict.fromkeys(str(i).strip() for i in ids if str(i).strip()))
    if not wanted:
        raise LibraryError("give the id of at least one reference (forensic library list)")
    return wanted


def _one_line(text: str | None, what: str) -> str:
    """``text`` on one line, its white space runs made one space; refused when blank."""
    said = " ".join(str(text or "").split())
    if not said:
        raise LibraryError(
            f"{what} is blank: {what} is recorded with the change; nothing was changed"
        )
    return said


def _date(today: str | None) -> str:
    return today or _dt.datetime.now(_dt.timezone.utc).date().isoformat()


def remove_references(
    library_dir: str | os.PathLike,
    ids: Sequence[str],
    *,
    reason: str,
    removed_by: str | None = None,
    today: str | None = None,
) -> RemoveResult:
    """Remove references from a library folder: their manifest rows and their files.

    The manifest is written first (whole, atomically), then the files are deleted: a step
    that fails leaves at worst a file the manifest no longer lists, which ``validate`` names,
    never a row whose file is gone. The removal is recorded after the manifest's last row, as
    a comment line naming the date, who, each reference (id, name, modality, provenance and
    file) and the reason; a removed row's own comment lines follow it, so that no note is
    lost. The folder's version changes: it is not its published version until published
    again.

    Parameters
    ----------
    library_dir : path-like
        The library folder (required: the shipped library is not edited by default).
    ids : sequence of str
        The ids of the references to remove (``forensic library list`` shows them).
    reason : str
        Why they are removed (not blank), recorded with the removal.
    removed_by : str, optional
        Who removes them (default: the login name).
    today : str, optional
        ISO date recorded (default: today, UTC).

    Returns
    -------
    RemoveResult
        The rows removed, the files deleted and notes.

    Raises
    ------
    LibraryError
        Nothing is changed then: ``library_dir`` is not a writable library folder (a
        ``.flib`` is said to be compiled); no id given, or the reason or ``removed_by`` is
        blank; an id the manifest does not hold (each named, with the nearest id, or the
        ids of the references of that name); every reference would go (a library folder
        with none is no library).
    """
    folder, manifest, rows = _folder_rows(library_dir)
    wanted = _given_ids(ids)
    said_reason = _one_line(reason, "the reason")
    who = _one_line(removed_by, "who removes them") if removed_by is not None else _login_name()
    by_id = {r["id"]: r for r in rows}
    missing = [i for i in wanted if i not in by_id]
    if missing:
        raise LibraryError(
            f"not removed: {_unknown_ids(missing, rows, folder)}; nothing was changed"
        )
    if len(wanted) == len(rows):
        raise LibraryError(
            f"not removed: {folder} would hold no reference (a library with none identifies "
            "nothing); nothing was changed"
        )
    gone = [by_id[i] for i in wanted]
    notes = []
    for r in gone:
        notes.append(
            comment_line(
                f"removed {r['id']} ({r['name']}, {r.get('modality') or '?'}, "
                f"{r.get('provenance') or '?'}, {r['file']}) on {_date(today)} by {who}: "
                f"{said_reason}"
            )
        )
    for r in gone:
        notes += list(getattr(r, "comments", ()))
    kept = rows.with_rows(r for r in rows if r["id"] not in wanted)
    kept.closing_comments = (*rows.closing_comments, *notes)
    write_manifest(manifest, kept)
    result = RemoveResult(removed=[dict(r) for r in gone])
    for r in gone:
        path = folder / r["file"]
        if not path.resolve().is_relative_to(folder):
            result.notes.append(f"{r['file']} is outside {folder}: left where it is")
            continue
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            result.notes.append(
                f"{path} could not be deleted ({exc.strerror or exc}): delete it by hand "
                "(validate names it until then)"
            )
            continue
        result.deleted.append(path)
    return result


_REMOVED = re.compile(r"removed (\S+) \(.*\) on (\d{4}-\d{2}-\d{2}) by (.+?): (.+)")
"""A removal's note, as :func:`remove_references` writes it: id, (what it was), date, who,
reason."""


def removal_reasons(rows: ManifestRows) -> dict[str, str]:
    """The reason each reference was removed, as :func:`remove_references` recorded it after
    the manifest's last row (the last recorded, for an id removed more than once).

    Parameters
    ----------
    rows : ManifestRows
        A library folder's manifest, as :func:`~forensic.manifest.read_manifest` gave it.

    Returns
    -------
    dict of str to str
        Entry id -> ``reason (removed DATE by WHO)``.
    """
    reasons: dict[str, str] = {}
    for line in rows.closing_comments:
        cells = next(csv.reader([line]), [""])
        text = cells[0].lstrip("#").strip() if cells else ""
        found = _REMOVED.fullmatch(text)
        if found:
            entry_id, when, who, reason = found.groups()
            reasons[entry_id] = f"{reason} (removed {when} by {who})"
    return reasons


def _rewritten(path: Path, row: Mapping[str, str]) -> Spectrum | None:
    """The reference file of ``row`` with the row's name and identity in its metadata, when
    the toolkit wrote it (a JCAMP-DX file that states the row's id: an imported or modelled
    reference, whose name the metadata gate compares with the row); None for another file
    (an instrument's file listed by hand), which is left as it is."""
    if path.suffix.lower() not in (".jdx", ".dx", ".jcamp") or not path.is_file():
        return None
    try:
        spectrum = read_spectrum(path)
    except (ForensicError, OSError) as exc:
        raise LibraryError(
            f"not renamed: {path} cannot be read ({exc}); nothing was changed"
        ) from None
    meta = dict(spectrum.metadata)
    if str(meta.get("entry_id") or "") not in (row.get("_old_id"), row["id"]):
        return None
    for key in ("source_file", "source_sha256", "source_format"):  # of this reading only
        meta.pop(key, None)
    meta["name"] = row["name"]
    meta["entry_id"] = row["id"]
    for key in _IDENTITY:
        if row.get(key):
            meta[key] = row[key]
        else:
            meta.pop(key, None)
    return spectrum.replace(metadata=meta)


def rename_references(
    library_dir: str | os.PathLike,
    ids: Sequence[str],
    name: str,
    *,
    new_id: str | None = None,
    cas: str | None = None,
    substance_class: str | None = None,
    keep_old_name: bool = False,
    reason: str | None = None,
    renamed_by: str | None = None,
    today: str | None = None,
    mixed_scripts: bool = False,
) -> RenameResult:
    """Give references of a library folder another substance name, keeping their provenance.

    Each reference's manifest row and, where the toolkit wrote it (a JCAMP-DX reference that
    states its id), its file's name and identity are changed together: the file is written,
    then the manifest, each whole, and both put back when a step fails. Nothing else of the
    reference changes: its values and their digest, history, source, licence, who added it and
    when, waivers, where it was imported from, its notes and the lab's own columns. The rename
    is recorded as a comment line above its row.

    A name that is a library substance's name or synonym joins that substance, as an import
    does: the reference takes its name, CAS number, class, synonyms, salt form and legal
    control. Another name keeps the row's CAS number, class, salt form and legal control
    (a note says so: state them when they were the old name's). The names an import refuses
    are refused here too: a synonym of several substances, a bare name of a salt, a name that
    prints like another's, a word that mixes scripts (unless ``mixed_scripts``). So is what
    would fail validation: a CAS number that fails its check digit, one the library gives
    another substance, or another CAS number for a substance the library holds.

    Parameters
    ----------
    library_dir : path-like
        The library folder (required).
    ids : sequence of str
        The references to rename: their ids (both modalities' references of a substance
        are renamed together by giving both).
    name : str
        The new name.
    new_id : str, optional
        A new id too (one reference only; :data:`~forensic.curation.manifest.ID_RULE`): the
        file the toolkit wrote moves to ``<modality>/<new id>.jdx``. Results identified before
        cite the old id, so by default the id stays.
    cas : str, optional
        The CAS number the references get (checked: check digit, and no other substance's).
    substance_class : str, optional
        The class they get.
    keep_old_name : bool, default False
        Keep the old name as a synonym (it names the same substance: a trade name, another
        language's). By default it is dropped: a rename most often corrects a wrong name.
    reason : str, optional
        Why, recorded with the rename.
    renamed_by : str, optional
        Who renames them (default: the login name).
    today : str, optional
        ISO date recorded (default: today, UTC).
    mixed_scripts : bool, default False
        Record a name whose word mixes scripts as given (as ``library import --mixed-scripts``).

    Returns
    -------
    RenameResult
        Each row before and after, and notes.

    Raises
    ------
    LibraryError
        Nothing is changed then: ``library_dir`` is not a writable library folder; an id it
        does not hold (each named, with the nearest id); a blank name; the references already
        have that name and nothing else changes; ``new_id`` for several references, not
        allowed by the id rule, or another reference's or file's; a name or CAS number
        refused as said above; a reference file the toolkit wrote that cannot be read.
    """
    folder, manifest, rows = _folder_rows(library_dir)
    wanted = _given_ids(ids)
    label = _one_line(name, "the new name")
    who = _one_line(renamed_by, "who renames them") if renamed_by is not None else _login_name()
    why = " ".join(str(reason or "").split())
    by_id = {r["id"]: r for r in rows}
    _refuse_bad_rename(wanted, rows, folder, new_id=new_id, cas=cas)
    new_id = new_id.strip() if new_id is not None else None
    renaming = [by_id[i] for i in wanted]
    others = [r for r in rows if r["id"] not in wanted]
    where = argument("name", label)
    canonical, label = _substance_joined(label, others, where)
    new_rows = _renamed_rows(
        renaming,
        label,
        canonical,
        new_id=new_id,
        cas=cas,
        substance_class=substance_class,
        keep_old_name=keep_old_name,
    )
    _refuse_unrecordable_names(new_rows, canonical, others, where, mixed_scripts=mixed_scripts)
    result = RenameResult()
    writes, moved = _renamed_files(renaming, new_rows, folder)
    _record_renames(renaming, new_rows, _date(today), who, why)
    _write_all(writes, manifest, rows.with_rows(new_rows.get(r["id"], r) for r in rows))
    _delete_moved(moved, result)
    for old in renaming:
        result.renamed.append((dict(old), dict(new_rows[old["id"]])))
    result.notes += _rename_notes(
        renaming,
        new_rows,
        canonical,
        label,
        others,
        cas=cas,
        substance_class=substance_class,
        folder=folder,
    )
    return result


# -- the steps of a rename, in the order rename_references takes them ---------------------------


def _refuse_bad_rename(
    wanted: Sequence[str],
    rows: Sequence[Mapping[str, str]],
    folder: Path,
    *,
    new_id: str | None,
    cas: str | None,
) -> None:
    """Refuse, before anything is read, ids the folder does not hold, a new id for several
    references, one the id rule does not allow or that another reference has, and a CAS
    number that fails its check."""
    by_id = {r["id"]: r for r in rows}
    missing = [i for i in wanted if i not in by_id]
    if missing:
        raise LibraryError(
            f"not renamed: {_unknown_ids(missing, rows, folder)}; nothing was changed"
        )
    if new_id is not None:
        new_id = new_id.strip()
        if len(wanted) > 1:
            raise LibraryError(
                f"not renamed: {argument('new_id', new_id)} names one reference but "
                f"{len(wanted)} are given; nothing was changed"
            )
        if problem := id_problem(new_id):
            why = problem.removeprefix(f"id {new_id!r} ")
            raise LibraryError(
                f"not renamed: {argument('new_id', new_id)} {why}; nothing was changed"
            )
        if new_id in by_id and new_id != wanted[0]:
            other = by_id[new_id]
            raise LibraryError(
                f"not renamed: {new_id} is the id of {other['name']} ({other.get('modality')}, "
                f"{other['file']}); give another id; nothing was changed"
            )
    if cas is not None and (problem := cas_problem(cas)):
        raise LibraryError(f"not renamed: {argument('cas', ...)}: {problem}; nothing was changed")


def _substance_joined(
    label: str, others: Sequence[Mapping[str, str]], where: str
) -> tuple[Mapping[str, str] | None, str]:
    """The library substance (of the ``others``, the references not renamed) whose name or
    synonym the new name is, and the name the references take: that substance's, else the
    one given. Refused when the name is a synonym of several substances, or the bare name of
    a salt (:func:`~forensic.curation.importing._salt_refusal`)."""
    canonical, matched = _canonical(label, others)
    if canonical is None and len(matched) > 1:
        raise LibraryError(
            f"not renamed: {where} is a synonym of {' and '.join(matched)}: which one is the "
            "reference? give its exact name; nothing was changed"
        )
    if canonical is None:
        return None, label
    salt = _salt_refusal(label, canonical)
    if salt is not None:
        raise LibraryError(f"not renamed: {where}: {salt}; nothing was changed")
    return canonical, canonical["name"]


def _renamed_rows(
    renaming: Sequence[ManifestRow],
    label: str,
    canonical: Mapping[str, str] | None,
    *,
    new_id: str | None,
    cas: str | None,
    substance_class: str | None,
    keep_old_name: bool,
) -> dict[str, ManifestRow]:
    """Each renamed reference's new row (by its old id): the name, and the identity of the
    substance joined, or its own without the name among its synonyms; the old name as a
    synonym when kept; the CAS number, class and id stated. Its notes and line stay. Refused
    when a reference would not change."""
    new_rows: dict[str, ManifestRow] = {}
    for old in renaming:
        row = ManifestRow(old)
        row.line, row.comments = old.line, old.comments
        if canonical is not None:
            for key in _IDENTITY:
                row[key] = canonical.get(key, "")
        else:
            # the new name was one of its own synonyms: it is the name now
            synonyms = [s for s in old.get("synonyms", "").split(";") if s.strip()]
            row["synonyms"] = ";".join(
                s for s in synonyms if substance_key(s) != substance_key(label)
            )
        if keep_old_name and substance_key(old["name"]) != substance_key(label):
            synonyms = [s for s in row["synonyms"].split(";") if s.strip()]
            if substance_key(old["name"]) not in map(substance_key, synonyms):
                row["synonyms"] = ";".join([*synonyms, old["name"]])
        row["name"] = label
        if cas is not None:
            row["cas"] = cas.strip()
        if substance_class is not None:
            row["class"] = " ".join(substance_class.split())
        if new_id is not None and new_id != old["id"]:
            row["_old_id"] = old["id"]
            row["id"] = new_id
        if all(row.get(k) == old.get(k) for k in ("name", "id", *_IDENTITY)):
            raise LibraryError(
                f"not renamed: {old['id']} is already {old['name']!r}, with these CAS number, "
                "class and synonyms; nothing was changed"
            )
        new_rows[old["id"]] = row
    return new_rows


def _refuse_unrecordable_names(
    new_rows: Mapping[str, Mapping[str, str]],
    canonical: Mapping[str, str] | None,
    others: Sequence[Mapping[str, str]],
    where: str,
    *,
    mixed_scripts: bool,
) -> None:
    """Refuse, every reason at once, the names an import refuses (one that prints like
    another's, a word that mixes scripts) and a CAS number the metadata gate would fail
    (:func:`_cas_refusals`)."""
    known: dict[str, list[str]] = {}
    for r in others:
        for n in _names_of(r):
            known.setdefault(printed_key(n), []).append(n)
    before_names = set(_names_of(canonical)) if canonical is not None else set()
    new_names = [n for n in _names_of(next(iter(new_rows.values()))) if n not in before_names]
    refusals = [
        f"{where}: {refusal}"
        for refusal in _name_refusals(new_names, known, mixed_scripts=mixed_scripts)
    ]
    refusals += _cas_refusals(list(new_rows.values()), others)
    if refusals:
        raise LibraryError(f"not renamed: {'; '.join(refusals)}; nothing was changed")


def _renamed_files(
    renaming: Sequence[Mapping[str, str]], new_rows: Mapping[str, ManifestRow], folder: Path
) -> tuple[list[tuple[Spectrum, Path]], list[Path]]:
    """The reference files to write (those the toolkit wrote, :func:`_rewritten`), at
    ``<modality>/<new id>.jdx`` under a new id (the row's file changed to it), and the files
    they move from. Refused when a file no row lists is in the way."""
    writes: list[tuple[Spectrum, Path]] = []
    moved: list[Path] = []
    for old in renaming:
        row = new_rows[old["id"]]
        path = folder / old["file"]
        spectrum = _rewritten(path, row)
        target = path
        if spectrum is not None and row["id"] != old["id"]:
            target = folder / (old.get("modality") or spectrum.modality) / f"{row['id']}.jdx"
            if target.exists():
                raise LibraryError(
                    f"not renamed: {target} already exists (a file no row lists, or copied "
                    "in): move it away or give another id; nothing was changed"
                )
            row["file"] = target.relative_to(folder).as_posix()
            moved.append(path)
        if spectrum is not None:
            writes.append((spectrum, target))
    return writes, moved


def _record_renames(
    renaming: Sequence[ManifestRow],
    new_rows: Mapping[str, ManifestRow],
    date: str,
    who: str,
    why: str,
) -> None:
    """Record each rename as a comment line above its row (when, who, the old name and id,
    why), after the row's own notes."""
    for old in renaming:
        row = new_rows[old["id"]]
        note = f"renamed {date} by {who} from {old['name']!r}" + (
            f" (id {old['id']})" if row["id"] != old["id"] else ""
        )
        row.comments = (*old.comments, comment_line(f"{note}: {why}" if why else note))
        row.pop("_old_id", None)


def _delete_moved(moved: Sequence[Path], result: RenameResult) -> None:
    """Delete the files a new id moved away from: after the manifest is written, since a
    file left over is harmless and one lost is not; one that cannot be deleted is noted."""
    for path in moved:
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            result.notes.append(
                f"{path} could not be deleted ({exc.strerror or exc}): delete it by hand "
                "(validate names it until then)"
            )


def _restating(
    renaming: Sequence[Mapping[str, str]],
    new_rows: Mapping[str, Mapping[str, str]],
    kept: Sequence[str],
    folder: Path,
    label: str,
) -> str:
    """How to state the new name's identity where the rename kept the old name's (``kept``,
    manifest columns): its CAS number and class with the rename of the same references to
    the same name that states them (``--cas ... --class ...``, the chemist's values in place
    of ``...``, which the command refuses pasted unfilled), its salt form and legal control
    in the manifest (no command edits them)."""
    ids = [new_rows[old["id"]]["id"] for old in renaming]
    states = {key: PLACEHOLDER for key in ("cas", "class") if key in kept}
    elsewhere = [key for key in ("salt_form", "legal_control") if key in kept]
    rows = f"{'its row' if len(ids) == 1 else 'their rows'} of {folder / 'manifest.csv'}"
    if not states:
        return f" {' and '.join(elsewhere)} in {rows}"
    again = command("library", "rename", *ids, library=folder, name=label, **states)
    return f" with {again}, the new name's in place of each {PLACEHOLDER}" + (
        f"; its {' and '.join(elsewhere)} in {rows}" if elsewhere else ""
    )


def _rename_notes(
    renaming: Sequence[Mapping[str, str]],
    new_rows: Mapping[str, Mapping[str, str]],
    canonical: Mapping[str, str] | None,
    label: str,
    others: Sequence[Mapping[str, str]],
    *,
    cas: str | None,
    substance_class: str | None,
    folder: Path,
) -> list[str]:
    """What the chemist should know of a rename: the library substance the name joined, or
    the identity kept from the old name, with the rename that states the new name's CAS
    number and class, ready to paste but for their values (:data:`~forensic.commands.
    PLACEHOLDER`, which the command refuses pasted unfilled); the references still of the old
    name."""
    notes = []
    first_old, first_new = renaming[0], new_rows[renaming[0]["id"]]
    if canonical is not None:
        notes.append(
            f"{label!r} is the library's substance ({canonical['id']}): its CAS number, "
            "class, synonyms, salt form and legal control are taken"
        )
    elif first_old.get("cas") or first_old.get("class"):
        kept = [
            f"{k} {first_new[k]!r}"
            for k in ("cas", "class", "salt_form", "legal_control")
            if first_new.get(k)
            and first_new[k] == first_old.get(k)
            and not (k == "cas" and cas is not None)
            and not (k == "class" and substance_class is not None)
        ]
        if kept:
            keys = [said.split(" ", 1)[0] for said in kept]
            notes.append(
                f"kept {', '.join(kept)} of {first_old['name']!r}: if they were the old "
                "name's, state the new name's" + _restating(renaming, new_rows, keys, folder, label)
            )
    still = [
        r["id"]
        for r in others
        if substance_key(r["name"]) in {substance_key(o["name"]) for o in renaming}
    ]
    if still:
        notes.append(
            f"{', '.join(still)} still named {first_old['name']!r}: rename them too if the "
            "substance, not one reference, was misnamed"
        )
    return notes


def _cas_refusals(
    renamed: Sequence[Mapping[str, str]], others: Sequence[Mapping[str, str]]
) -> list[str]:
    """What the renamed rows' CAS numbers would make the metadata gate fail: one the library
    gives another substance, or another one than the library gives the substance named."""
    problems = []
    for row in renamed[:1]:  # every renamed row has the same name and CAS number
        cas, key = row.get("cas", ""), substance_key(row["name"])
        if not cas or not cas_is_valid(cas):
            continue
        for other in others:
            other_cas = other.get("cas", "")
            if not other_cas or not cas_is_valid(other_cas):
                continue
            same_name = substance_key(other["name"]) == key
            same_cas = cas_key(other_cas) == cas_key(cas)
            if same_cas and not same_name:
                problems.append(
                    f"CAS {cas} is the library's {other['name']!r} ({other['id']}): a name "
                    f"and a CAS number that disagree; state {row['name']!r}'s "
                    f"({argument('cas', ...)}), or "
                    f"rename {other['id']} too if it is the same substance"
                )
                break
            if same_name and not same_cas:
                problems.append(
                    f"the library's {other['name']!r} ({other['id']}) is CAS {other_cas}, "
                    f"not {cas}: one is wrong ({argument('cas', ...)} states it)"
                )
                break
    return problems
