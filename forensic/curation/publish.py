"""Publishing a new library version (``forensic library publish``): validated, compiled,
with a release record and a changelog entry naming who approved it."""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forensic.arguments import argument
from forensic.commands import blank_refusal
from forensic.curation.approval import approval_record, approver_name, sign_release
from forensic.curation.diff import LibraryDiff, diff_snapshots, snapshot
from forensic.curation.source import (
    RELEASE_FILE,
    LibrarySource,
    _release,
    library_info,
    open_library,
    read_release,
    release_state,
)
from forensic.curation.validation import ValidationReport, validate_library
from forensic.custody.keys import OperatorKey, load_or_create_key
from forensic.errors import ForensicError, LibraryError
from forensic.files import OutputExistsError, atomic_write_bytes, check_writable, not_overwritten

CHANGELOG_FILE = "CHANGELOG.md"


@dataclass
class PublishResult:
    """What :func:`publish_library` did: the version, the changelog entry, the diff.

    Attributes
    ----------
    version : str
        The version published: the compiled library's content hash (SHA-256, hex).
    approved_by : str
        Who approved it, as signed (white space around it removed, runs of spaces one).
    date : str
        The date recorded for it (``YYYY-MM-DD``).
    changelog_entry : str
        The Markdown entry appended to the folder's ``CHANGELOG.md``.
    diff : LibraryDiff
        What changed since the last published version (every entry added when there was
        none).
    report : ValidationReport
        The validation it passed.
    compiled : Path or None
        The ``.flib`` saved (``out``), or None when none was asked for.
    waivers : list of dict
        Every finding a waiver let pass, with its reason (:attr:`ValidationReport.waivers`):
        approved with this version, and recorded in the changelog entry and ``release.json``.
    key_fingerprint : str
        SHA-256 of the approver's public key (64 hex digits), which signed the release record:
        for anyone to check with the approver, and to list among the trusted approvers
        (:data:`forensic.curation.approval.TRUSTED_APPROVERS_FILE`).
    name : str
        The library's name in results and reports, as signed.
    """

    version: str
    approved_by: str
    date: str
    changelog_entry: str
    diff: LibraryDiff
    report: ValidationReport
    compiled: Path | None = None
    waivers: list[dict[str, Any]] = field(default_factory=list)
    key_fingerprint: str = ""
    name: str = ""


class PublishRefused(LibraryError):
    """Publishing was refused (a gate failed, nothing new, no approver); nothing was written."""

    def __init__(self, message: str, report: ValidationReport | None = None):
        super().__init__(message)
        self.report = report


def publish_library(
    folder: str | os.PathLike | None = None,
    *,
    approved_by: str,
    name: str | None = None,
    notes: str | None = None,
    out: str | os.PathLike | None = None,
    force: bool = False,
    today: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> PublishResult:
    """Validate, compile and publish a library folder: changelog entry with approver, snapshot,
    signed by the approver.

    Appends to ``<folder>/CHANGELOG.md`` an entry with the version hash, the date, the counts,
    what changed since the last published version (from ``<folder>/release.json``, which is
    then rewritten with this version's snapshot) and who approved it. Each finding a
    reference's waiver let pass (its ``waivers`` manifest column) is listed in both, with its
    reason: approved with the version, of which the waivers are part. The release record is
    signed with the approver's Ed25519 key on this computer
    (:func:`forensic.custody.keys.load_or_create_key`, made on first use;
    :func:`forensic.curation.approval.sign_release`), and keeps in ``history`` the signed
    record of every version published before it (without their entries), so that a folder
    rolled back to one of them is known as that version.

    Parameters
    ----------
    folder : path-like, optional
        The library folder (default: the shipped one).
    approved_by : str
        Who approved this version (required; a name with a letter or digit:
        :func:`forensic.curation.approval.approver_name`). Their key signs it.
    name : str, optional
        The library's name in results and reports (default: the folder's name).
    notes : str, optional
        Free text for the changelog entry (refused blank: an empty Notes line).
    out : path-like, optional
        Also save the compiled library (``.flib``) there, dated by this publication
        (:attr:`~forensic.library.Library.built_at` is ``today``).
    force : bool, default False
        Overwrite ``out`` if it exists.
    today : str, optional
        The date to record, ``YYYY-MM-DD`` (written as given); default today's date in UTC.
    progress : callable, optional
        Called with a short message as each step starts (validation's gates, saving the
        compiled library); the CLI prints them to stderr.

    Returns
    -------
    PublishResult
        The version, its changelog entry, what changed and the validation report.

    Raises
    ------
    PublishRefused
        When a validation gate fails (the report is attached), the version is already the
        published one (:func:`~forensic.curation.release_state` says ``current``: the
        baseline an export records, which no one approved, is published),
        ``approved_by`` names no one, ``name`` or ``notes`` is blank, ``folder`` is a
        compiled file, its ``release.json`` cannot be read, or the approver's key cannot be
        read. Nothing is written then.
    LibraryError
        When ``folder`` is not a library folder (:func:`open_library`).
    forensic.files.OutputExistsError, forensic.files.OutputError
        When ``out`` exists and ``force`` is false, or cannot be written there: said before
        the gates, which take a while; nothing is written then either.
    """
    approved_by = _approver(approved_by)
    for given, value, what in (
        ("name", name, "the library's name"),
        ("notes", notes, "the text of the changelog entry"),  # not an empty Notes line
    ):
        if blank := blank_refusal(argument(given, ...), value, what):
            raise PublishRefused(f"{blank}; nothing was written")
    source = _library_folder(folder)
    name = " ".join((name or source.folder.name).split())
    key = _approver_key(approved_by)  # before the gates, which take a while
    previous = _previous_release(source)
    current = snapshot(source)
    _refuse_if_published(source, current, previous)  # before the gates: they take a while
    if out is not None:  # an --out that exists, a folder, or cannot be written: so too
        try:
            check_writable(out, overwrite=force)
        except OutputExistsError:  # said with this function's argument
            raise OutputExistsError(not_overwritten(out, replace="force=True")) from None
    report = _validated(source, progress)
    diff = diff_snapshots(previous, current)
    date = today or _dt.datetime.now(_dt.timezone.utc).date().isoformat()
    release = _signed_release(
        current, previous, approved_by=approved_by, name=name, date=date, report=report, key=key
    )
    compiled = None
    if out is not None:
        compiled = _save_compiled(
            source, out, release, name=name, date=date, force=force, progress=progress
        )
    entry = _changelog_entry(
        library_info(source),
        diff,
        previous=previous,
        approved_by=approved_by,
        key_fingerprint=key.fingerprint,
        name=name,
        notes=notes,
        date=date,
        waivers=report.waivers,
    )
    _write_release(source.folder, release, entry)
    return PublishResult(
        version=current["version"],
        approved_by=approved_by,
        date=date,
        changelog_entry=entry,
        diff=diff,
        report=report,
        compiled=compiled,
        waivers=report.waivers,
        key_fingerprint=key.fingerprint,
        name=name,
    )


def _approver(approved_by: str) -> str:
    """The approver's name as signed (:func:`~forensic.curation.approval.approver_name`), or
    the refusal of one that names no one."""
    try:
        return approver_name(approved_by)
    except LibraryError as exc:
        raise PublishRefused(str(exc)) from None


def _library_folder(folder: str | os.PathLike | None) -> LibrarySource:
    """The library folder to publish (:func:`open_library`); a compiled file is refused."""
    source = open_library(folder)
    if not source.is_folder:
        raise PublishRefused(f"{source.path}: publish a library folder, not a compiled file")
    assert source.folder is not None
    return source


def _approver_key(approved_by: str) -> OperatorKey:
    """The approver's key on this computer, made on first use: one that cannot sign refuses
    at once, before the gates, which take a while."""
    try:
        return load_or_create_key(approved_by)
    except ForensicError as exc:
        raise PublishRefused(f"the approver's key cannot sign: {exc}") from None


def _previous_release(source: LibrarySource) -> dict[str, Any]:
    """The folder's record of the version published last (``release.json``), or ``{}``;
    one that cannot be read refuses."""
    assert source.folder is not None
    try:
        return read_release(source.folder) or {}
    except LibraryError as exc:
        raise PublishRefused(str(exc)) from None


def _refuse_if_published(
    source: LibrarySource, current: Mapping[str, Any], previous: Mapping[str, Any]
) -> None:
    """Refuse a version that is already the published one, by the rule ``library info`` and
    identify go by (:func:`~forensic.curation.release_state`: an export's baseline, which
    no one approved, is unpublished), saying who added a reference or when was edited since,
    which is not part of the version."""
    release = _release(source, current["version"])
    if release_state(release) != "current":
        return
    edits = (release or {}).get("record_edits") or []
    raise PublishRefused(
        f"version {current['version']} is already the published one "
        f"({previous.get('published_at')}, approved by {previous.get('approved_by')})"
        + (
            f"; who added a reference or when was edited since ({'; '.join(edits)}): "
            "that record is not part of the version and is not published again; put it "
            f"back as {RELEASE_FILE} keeps it"
            if edits
            else ""
        )
    )


def _validated(source: LibrarySource, progress: Callable[[str], None] | None) -> ValidationReport:
    """Run every validation gate (:func:`validate_library`); any that fails refuses, with
    the report attached."""
    report = validate_library(source, progress=progress)
    if not report.ok:
        raise PublishRefused(
            f"not published: {len(report.failed)} validation gate(s) failed: "
            f"{', '.join(report.failed)}",
            report,
        )
    return report


def _signed_release(
    current: Mapping[str, Any],
    previous: Mapping[str, Any],
    *,
    approved_by: str,
    name: str,
    date: str,
    report: ValidationReport,
    key: OperatorKey,
) -> dict[str, Any]:
    """The release record of this version (its snapshot, date, approver, name, the version
    before and the waivers approved with it) signed by the approver's key, and in
    ``history`` every version published before, signed as it was (or not: as written)."""
    history = []
    if previous.get("approved_by") is not None and previous.get("version"):
        history.append(approval_record(previous))
    history += [h for h in previous.get("history") or [] if isinstance(h, Mapping)]
    release = sign_release(
        {
            **current,
            "published_at": date,
            "approved_by": approved_by,
            "name": name,
            "previous_version": previous.get("version"),
            # what the approver let pass, and why: part of what was approved
            "waivers": report.waivers,
        },
        key,
    )
    release["history"] = history
    return release


def _save_compiled(
    source: LibrarySource,
    out: str | os.PathLike,
    release: Mapping[str, Any],
    *,
    name: str,
    date: str,
    force: bool,
    progress: Callable[[str], None] | None,
) -> Path:
    """Save the compiled library (``.flib``) to ``out``, calibrated, and dated and named as
    the folder is once published (open_reference_library): the same on a report whichever
    of the two a technician identifies against. The file carries the signed record, under
    its checksum."""
    if progress:
        progress(f"saving the compiled library to {out}")
    library = source.library()
    if library.blocks and all(b.calibration is None for b in library.blocks.values()):
        library.calibrate()
    library.built_at = date
    library.name = name
    library.release = approval_record(release)
    return library.save(out, overwrite=force)


def _write_release(folder: Path, release: Mapping[str, Any], entry: str) -> None:
    """Write the signed release record (``release.json``) and append the entry to the
    folder's changelog (begun with its heading when there is none)."""
    changelog = folder / CHANGELOG_FILE
    text = (
        changelog.read_text(encoding="utf-8")
        if changelog.is_file()
        else (
            "# Changelog of the reference library\n\nEach published version: what changed, and who "
            "approved it.\n"
        )
    )
    atomic_write_bytes(
        folder / RELEASE_FILE,
        (json.dumps(release, indent=1, sort_keys=True) + "\n").encode(),
        overwrite=True,
    )
    atomic_write_bytes(
        changelog, (text.rstrip("\n") + "\n\n" + entry).encode("utf-8"), overwrite=True
    )


def _changelog_entry(
    info: Mapping[str, Any],
    diff: LibraryDiff,
    *,
    previous: Mapping[str, Any],
    approved_by: str,
    key_fingerprint: str,
    name: str,
    notes: str | None,
    date: str,
    waivers: Sequence[Mapping[str, Any]] = (),
) -> str:
    counts = ", ".join(f"{n} {m}" for m, n in info["by_modality"].items())
    provenance = ", ".join(f"{n} {p}" for p, n in info["by_provenance"].items())
    lines = [
        f"## {date} — version {info['version'][:12]}",
        "",
        f"- Version: `{info['version']}`",
        f"- Name in results and reports: {name}",
        f"- {info['substances']} substances, {info['entries']} references ({counts}); {provenance}",
        "- Validation: all gates passed (`forensic library validate`)"
        + (f", {len(waivers)} finding(s) waived" if waivers else ""),
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
        for e in diff.added:  # what the chemist said over a file is listed, never silent
            if e.get("stated"):
                lines.append(f"  - {e['id']}: stated over the file: {e['stated']}")
    if previous.get("version"):
        for change in diff.library:
            lines.append(f"  - library: {change}")
        for e in diff.added:
            lines.append(
                f"  - added {e['id']}: {e['name']} ({e['modality']}, {e['provenance']})"
                + (f"; stated over the file: {e['stated']}" if e.get("stated") else "")
            )
        for e in diff.removed:
            lines.append(
                f"  - removed {e['id']}: {e['name']} ({e['modality']}, {e['provenance']})"
                + (f": {e['reason']}" if e.get("reason") else "")
            )
        for e in diff.changed:
            lines.append(f"  - changed {e['id']}: {'; '.join(e['changes'])}")
    if waivers:
        lines.append("- Waived (let pass by the reference's waiver, with the reason given):")
        for w in waivers:
            lines.append(
                f"  - {', '.join(w['ids'])}: {w['waived_as']}: {w['reason']} "
                f"(the {w['gate']} gate found: {w['finding']})"
            )
    if notes:
        lines.append(f"- Notes: {_list_item_text(notes)}")
    lines += [
        "",
        f"approved by: {approved_by}",
        f"signed with key: {key_fingerprint} (Ed25519, SHA-256 of the public key)",
        "",
    ]
    return "\n".join(lines)


_ITEM_INDENT = "  "
"""How far a line that goes on a changelog entry's list item is indented: as far as the item's
text begins after ``- ``, as its sub-items (``  - added ...``) are."""

_BLOCK_SIGN = re.compile(r"[#>=+*_~`|<-]|\d+[.)]")
"""What begins a Markdown block at the start of a line (a heading, a list item, a quote, a
rule or heading underline, a code fence, a table row, HTML): escaped in the lines of a note,
so that they stay its text."""


_HARD_BREAK = "\\"
"""A backslash at the end of a line: a hard line break in Markdown (CommonMark)."""


def _list_item_text(text: str) -> str:
    """Free text (``--notes``) as the text of a changelog entry's list item: each of its
    lines after the first indented as the item's text is (:data:`_ITEM_INDENT`), a Markdown
    block sign at the start of a line escaped (and a backslash at its end, which would break
    the line), white space around each line removed, and empty lines between two paragraphs
    made a line that holds only a hard line break, after one that ends in one: the paragraphs
    show apart, and the item stays one block. An empty line in a list item would make the
    whole list a loose one, each of its items a paragraph spaced apart from the next.

    Examples
    --------
    >>> print("- Notes: " + _list_item_text(" first\\r\\n# 2 replaced\\n\\n\\n2. see 3 "))
    - Notes: first
      \\# 2 replaced\\
      \\
      2\\. see 3
    """
    said: list[str] = []
    apart = False  # an empty line since the last line of text
    for written in text.strip().splitlines():
        line = written.strip()
        if not line:
            apart = True  # the first line is text: never before it
            continue
        if apart:  # one paragraph break, however many empty lines
            said[-1] += _HARD_BREAK
            said.append(_ITEM_INDENT + _HARD_BREAK)
            apart = False
        sign = _BLOCK_SIGN.match(line)
        if sign and said:  # "2." escaped at its dot, "#" and "-" themselves
            escaped = sign.end() - 1
            line = line[:escaped] + "\\" + line[escaped:]
        trailing = len(line) - len(line.rstrip("\\"))
        if trailing % 2:  # the chemist's backslash, not a line break
            line += "\\"
        said.append(_ITEM_INDENT + line if said else line)
    return "\n".join(said)
