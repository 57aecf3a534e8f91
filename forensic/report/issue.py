"""Issue a report: build its content, render it, record it in the chain, write the files."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forensic.arguments import argument
from forensic.commands import command
from forensic.custody import chain
from forensic.custody.since import concerns
from forensic.custody.store import (
    PDF_MEDIA_TYPE,
    Store,
    StoreBusyError,
    check_outputs_off_store,
    store_files,
)
from forensic.custody.verify import VerifyReport
from forensic.errors import ForensicError, Interrupted
from forensic.files import (
    OutputError,
    OutputExistsError,
    atomic_write_bytes,
    check_output_names,
    output_named,
)
from forensic.report.content import build_report_content, render_json, verify_for_report
from forensic.report.text import render_text

__all__ = [
    "REPORT_ATTEMPTS",
    "REPORT_KINDS",
    "IssuedReport",
    "ReportNotWrittenError",
    "ReportOutrunError",
    "check_report_names",
    "check_report_outputs",
    "free_name",
    "issue_report",
    "kept_name",
    "kept_said",
    "render_json",
]


def render_pdf(content: dict[str, Any]) -> bytes:
    """:func:`forensic.report.pdf.render_pdf`, loaded when a report is issued: it imports
    matplotlib, most of a second, which a scan that issues no report does not wait for."""
    from forensic.report.pdf import render_pdf as render  # noqa: PLC0415

    return render(content)


@dataclass(frozen=True)
class IssuedReport:
    """A report that was issued: its content, the PDF bytes and the chained record.

    Attributes
    ----------
    content : dict
        The signed content (:func:`~forensic.report.content.build_report_content`).
    pdf : bytes
        The PDF, as written and as kept in the store.
    record : dict
        The ``reports`` record it joined the chain with, as stored (``seq``, ``hash``,
        ``report_id``, ``content_sha256``, ``pdf_sha256``, ...).
    paths : tuple of Path
        The files written, in the order PDF, JSON, text (those asked for only).
    kept : mapping of Path to (str, Path)
        The PDFs of reports on record that were at a path written (``--force``), by that
        path: the id of the report each is and where it is kept now (:func:`kept_name`).
    """

    content: dict[str, Any]
    pdf: bytes
    record: dict[str, Any]
    paths: tuple[Path, ...]
    kept: Mapping[Path, tuple[str, Path]] = field(default_factory=dict)

    @property
    def pdf_sha256(self) -> str:
        """SHA-256 of the PDF file as written."""
        return chain.sha256_hex(self.pdf)


def issue_report(
    store: Store,
    case_number: str,
    item_number: str | None = None,
    *,
    operator: str,
    pdf_path: str | os.PathLike | None = None,
    json_path: str | os.PathLike | None = None,
    text_path: str | os.PathLike | None = None,
    unverified: bool = False,
    overwrite: bool = False,
    unit: str | None = None,
    location: str | None = None,
) -> IssuedReport:
    """Build, sign, record and write a report (PDF, and optionally JSON and plain text).

    The report record (content hash, PDF hash, the content itself) joins the chain before the
    files are written, so every report in circulation is on record; the PDF bytes are kept in
    the store as well, for bundles. A signed report covers everything on record for its
    exhibits when it is recorded: when records of them were added while it was made (a scan
    of the exhibit recording its result), it is made again, up to :data:`REPORT_ATTEMPTS`
    times.

    The chain is checked before the files: a report refused on a chain that does not verify
    is said so, whatever files are there. A file that exists is then refused, unless
    ``overwrite``; the PDF of a report on record there is never lost with it, but kept beside
    it under its report id (:func:`kept_name`).

    Parameters
    ----------
    store : Store
        The evidence store the report is issued from and recorded in.
    case_number : str
        The case.
    item_number : str, optional
        One exhibit of it; default every exhibit of the case.
    operator : str
        Who issues the report: their key signs its content and its record.
    pdf_path, json_path, text_path : str or path-like, optional
        Where to write the PDF, the JSON and the plain-text report; None for one not
        wanted (the PDF is recorded and kept in the store whether or not it is written).
    unverified : bool, default False
        Issue the report even when the chain of what it states does not verify: it is then
        marked UNVERIFIED on every page (its content's ``verification["forced"]``).
    overwrite : bool, default False
        Replace output files that exist; a PDF there of a report on record in ``store`` is
        kept beside it (:attr:`IssuedReport.kept`).
    unit, location : str, optional
        Who issues it and where (see
        :func:`~forensic.report.content.build_report_content` for the defaults).

    Returns
    -------
    IssuedReport
        Its content, PDF, record and the files written.

    Raises
    ------
    UnverifiedChainError
        The chain of what the report states does not verify and ``unverified`` is false
        (checked before the files).
    OutputExistsError
        An output file exists and ``overwrite`` is false (checked after the chain, before
        anything is recorded): the message says that nothing was recorded and offers a free
        name.
    OutputError
        Two of the outputs are one file, or one is (or is in) what the store owns, its file
        among them (:func:`~forensic.custody.store.check_outputs_off_store`; checked first,
        before anything is recorded).
    ReportNotWrittenError
        A file could not be written (nor a report's PDF there kept) after the report was
        recorded: the message says what is recorded and gives the command that issues it
        again.
    ReportOutrunError
        Records of its exhibits were added each time it was made: no report is recorded, no
        file written.
    Interrupted
        Ctrl-C or a stopping signal (a :class:`KeyboardInterrupt`): its ``recorded`` says
        whether the report is on record and which of its files are written, and its
        ``advice`` how to finish (the command that issues it again).
    """
    named = {
        "pdf": ("pdf_path", pdf_path),
        "json": ("json_path", json_path),
        "text": ("text_path", text_path),
    }
    outputs = [Path(path) for _, path in named.values() if path is not None]
    again = command(  # what a message says to run to issue it again
        "report",
        case_number,
        *([] if item_number is None else [item_number]),
        out=Path(pdf_path) if pdf_path is not None else "FILE.pdf",
        json=None if json_path is None else Path(json_path),
        text=None if text_path is None else Path(text_path),
        unit=unit,
        location=location,
        unverified=unverified,
        force=overwrite,
        store=store.db_path,
        operator=operator,
    )
    start = store.head()[0]
    written: list[Path] = []  # filled as each file is written: a stop says which are
    kept: dict[Path, tuple[str, Path]] = {}
    try:
        verification = _check_before_recording(
            store, case_number, item_number, named, unverified=unverified, overwrite=overwrite
        )
        content, pdf, record = _record_report(
            store,
            case_number,
            item_number,
            since=start,
            verification=verification,
            operator=operator,
            unit=unit,
            location=location,
            unverified=unverified,
        )
        _write_report_files(
            store,
            content,
            pdf,
            record,
            [(kind, path) for kind, (_, path) in named.items()],
            overwrite=overwrite,
            again=again,
            written=written,
            kept=kept,
        )
    except KeyboardInterrupt as exc:
        recorded, to_do = _what_a_stop_left(
            store, start, outputs, written, kept, overwrite=overwrite, again=again
        )
        raise Interrupted.having_recorded(exc, recorded, to_do) from exc
    return IssuedReport(content, pdf, record, tuple(written), kept)


def _check_before_recording(
    store: Store,
    case_number: str,
    item_number: str | None,
    named: Mapping[str, tuple[str, str | os.PathLike | None]],
    *,
    unverified: bool,
    overwrite: bool,
) -> VerifyReport | None:
    """What is checked before anything is recorded (the signer's key, on its first use,
    among it): what the outputs are named, then the chain, then the files there. The
    verification of the chain, for the report's content.

    In that order: a refusal for a file there hid a chain that did not verify, and the
    ``overwrite`` (``--force``) it suggested issued the report on it."""
    check_report_names(store.db_path, **named)
    verification = verify_for_report(store, case_number, item_number, unverified=unverified)
    check_report_outputs(store.db_path, **named, overwrite=overwrite)
    return verification


def _record_report(
    store: Store,
    case_number: str,
    item_number: str | None,
    *,
    since: int,
    verification: VerifyReport | None,
    operator: str,
    unit: str | None,
    location: str | None,
    unverified: bool,
) -> tuple[dict[str, Any], bytes, dict[str, Any]]:
    """Build and render the report and record it (its PDF kept in the store): ``(content,
    pdf, record)``.

    It is built outside the write transaction (verifying the store and laying out the pages
    take seconds, and scans must not wait for them): what the case gained after ``since``
    is checked in the transaction that records the report, and when it gained anything
    the report is made again from what is then on record (verified again), up to
    :data:`REPORT_ATTEMPTS` times, then refused (:class:`ReportOutrunError`)."""
    newer: list[tuple[str, dict[str, Any]]] = []
    for _attempt in range(REPORT_ATTEMPTS):
        content = build_report_content(
            store,
            case_number,
            item_number,
            issued_by=operator,
            unit=unit,
            location=location,
            unverified=unverified,
            verification=verification,
        )
        pdf = render_pdf(content)
        with store.transaction():
            newer = _records_of(store, since, content)
            if newer:
                since, verification = store.head()[0], None
                continue
            pdf_sha256 = store.put_blob(pdf, PDF_MEDIA_TYPE)
            record = store.append(
                "reports",
                {
                    "case_number": case_number,
                    "item_number": item_number,
                    "report_id": content["report_id"],
                    "content_sha256": content["content_sha256"],
                    "pdf_sha256": pdf_sha256,
                    "content_json": chain.canonical_text(content),
                    "issued_by": content["signature"]["signed_by"],
                    "issued_at": content["dates"]["issued"],
                    "forced": content["verification"]["forced"],
                },
                operator=operator,
            )
            return content, pdf, record
    raise _outrun(content, item_number, newer)


def _outrun(
    content: dict[str, Any], item_number: str | None, newer: list[tuple[str, dict[str, Any]]]
) -> ReportOutrunError:
    """The refusal of a report whose exhibits gained ``newer`` records each time it was
    made."""
    scope = content["case"]["case_number"]
    if item_number is not None:
        scope = f"exhibit {content['exhibits'][0]['label']['item_number']} of case {scope}"
    else:
        scope = f"case {scope}"
    return ReportOutrunError(
        f"no report was recorded or written: {scope} gained records while its report "
        f"was made, {REPORT_ATTEMPTS} times (the last time: "
        + ", ".join(f"{table} record #{row['seq']}" for table, row in newer)
        + "); a report must cover everything on record for its exhibits when it is "
        "recorded: run the same command again once the work that records them (a scan "
        "or an import of the case) is done"
    )


def _write_report_files(
    store: Store,
    content: dict[str, Any],
    pdf: bytes,
    record: Mapping[str, Any],
    paths: Sequence[tuple[str, str | os.PathLike | None]],
    *,
    overwrite: bool,
    again: str,
    written: list[Path],
    kept: dict[Path, tuple[str, Path]],
) -> None:
    """Write the recorded report's files asked for (``paths``: ``(kind, path or None)``,
    PDF, JSON, text), each whole or not at all, adding each to ``written`` as it is; with
    ``overwrite``, a report's PDF at the PDF's path is kept beside it first (``kept``).

    A file that cannot be written (the disk filled or went away since the check) is a
    :class:`ReportNotWrittenError` that says why, and as its ``recorded`` that the report is
    recorded and what was written, and as its ``advice`` how to issue it again."""
    renderings = {
        "pdf": lambda: pdf,
        "json": lambda: render_json(content).encode(),
        "text": lambda: render_text(content).encode(),
    }
    try:
        for kind, path in paths:
            if path is None:
                continue
            if overwrite and kind == "pdf":  # a report's PDF there is not lost with it
                _keep_issued_pdf(store, Path(path), kept)
            # the folder checked before the report was recorded, never made anew now (a USB
            # stick pulled out meanwhile: its mount point on the laptop)
            written.append(
                atomic_write_bytes(
                    path, renderings[kind](), overwrite=overwrite, make_folders=False
                )
            )
    except ForensicError as exc:
        error = ReportNotWrittenError(exc.problem)
        error.warning = exc.warning
        error.recorded = "; ".join(
            [
                f"report {content['report_id']} is recorded (record #{record['seq']}, its PDF "
                "kept in the store)",
                *([f"written: {', '.join(str(path) for path in written)}"] if written else []),
                *kept_said(kept),
            ]
        )
        error.advice = exc.advice_before(
            _issue_again(again, replace=bool(written) and not overwrite)
        )
        raise error from exc


def _what_a_stop_left(
    store: Store,
    start: int,
    outputs: Sequence[Path],
    written: Sequence[Path],
    kept: Mapping[Path, tuple[str, Path]],
    *,
    overwrite: bool,
    again: str,
) -> tuple[str, str | None]:
    """What an ``issue_report`` stopped by Ctrl-C left, and what is left to do (None when
    nothing is), in words (:func:`_what_is_issued`, then where the PDFs of reports on record
    that were at its paths are kept).

    The transaction is rolled back by now: the store says whether the report is on record.
    Each file is written whole or not at all, and none existed before unless ``overwrite``:
    one that does now was written when it stopped. A report's PDF is said to be kept where
    it is (:func:`_keep_issued_pdf` notes where before it keeps it): a stop while it was
    being kept says it when it is there, and only then."""
    unwritten = outputs[len(written) :]
    if not overwrite:
        unwritten = [path for path in unwritten if not os.path.exists(path)]
    recorded, to_do = _what_is_issued(store, start, outputs, unwritten, again, replaces=overwrite)
    there = {path: (report_id, keep) for path, (report_id, keep) in kept.items() if keep.is_file()}
    return "; ".join([recorded, *kept_said(there)]), to_do


REPORT_KINDS = {"pdf": (".pdf", "a PDF"), "json": (".json", "JSON"), "text": (".txt", "plain text")}
"""How the file of each kind of report is named, and what it holds in words; a name that
ends as another kind's would hide what the file holds."""


def check_report_names(
    store: str | os.PathLike | None,
    *,
    pdf: tuple[str, str | os.PathLike | None],
    json: tuple[str, str | os.PathLike | None] = ("json_path", None),
    text: tuple[str, str | os.PathLike | None] = ("text_path", None),
) -> None:
    """The checks of :func:`check_report_outputs` on what a report's files are named, not on
    the files there: none is, or is in, what the store owns, no two are one file
    (:func:`~forensic.files.check_output_names`), none is named as another kind of report
    (``--report A1.txt`` would be a PDF named as text, where ``--text`` was meant), and the
    PDF's ends in ``.pdf``: ``--report A2b`` is refused, not written as a PDF named ``A2b``
    that a laptop opens as nothing, nor renamed behind the technician's back. (A JSON or text
    file may be named as the technician likes, ``A1.log``: any viewer reads it.)

    That a file is the store's, or given twice, is said first: it says more than how the file
    is named. How it is named is said before anything about the file there: a technician told
    that ``A1.txt`` exists and to add ``--force`` was, once they had, told that it was the
    wrong name.

    Parameters
    ----------
    store : path-like or None
        The store the report is issued from.
    pdf, json, text : (str, path-like or None)
        Each file by the argument of the function called that names it (``("report_path",
        "A1.pdf")``, one of :data:`~forensic.arguments.ARGUMENT_OPTIONS`: a message tells a
        Python caller the argument, the command line its option, ``--report``); None for one
        not asked for.

    Raises
    ------
    OutputError
        A file named as another kind (saying which option writes that kind), a PDF whose
        name does not end in ``.pdf`` (offering the name that does), or as
        :func:`~forensic.files.check_output_names`.
    """
    given = {"pdf": pdf, "json": json, "text": text}
    check_output_names(dict(given.values()), keep_off=store_files(store))
    for kind, (name, path) in given.items():
        if path is None:
            continue
        suffix = Path(path).suffix.lower()
        for other, (other_name, _) in given.items():
            if other != kind and suffix == REPORT_KINDS[other][0]:
                raise OutputError(
                    f"{output_named(name, path)}: {argument(name, ...)} writes the report as "
                    f"{REPORT_KINDS[kind][1]}, which a name ending in {suffix} would hide "
                    f"({argument(other_name, ...)} writes it as {REPORT_KINDS[other][1]}): "
                    f"give "
                    f"{output_named(name, Path(path).with_suffix(REPORT_KINDS[kind][0]))}, or "
                    f"{output_named(other_name, path)}"
                )
        # a PDF named A2b opens as nothing (a folder, /media/usb/, is said to be one, later)
        if kind == "pdf" and suffix != ".pdf" and not Path(path).is_dir():
            raise OutputError(
                f"{output_named(name, path)}: {argument(name, ...)} writes the report as a PDF, "
                f"and a PDF's name ends in .pdf (a laptop opens it by that): give "
                f"{output_named(name, f'{os.fspath(path)}.pdf')}; nothing was recorded"
            )


def check_report_outputs(
    store: str | os.PathLike | None,
    *,
    pdf: tuple[str, str | os.PathLike | None],
    json: tuple[str, str | os.PathLike | None] = ("json_path", None),
    text: tuple[str, str | os.PathLike | None] = ("text_path", None),
    overwrite: bool = False,
) -> list[Path]:
    """Check a report's files before anything is recorded: their names
    (:func:`check_report_names`), then the files there, as
    :func:`~forensic.custody.store.check_outputs_off_store` does.

    A file that exists is refused (unless ``overwrite``) saying that nothing was recorded and
    offering a name that is free (``A1-2.pdf`` for ``A1.pdf``) before ``overwrite=True``
    (``--force`` at the command line,
    :func:`~forensic.arguments.with_command_line_options`): the file there may be the PDF of a
    report already issued.

    Parameters
    ----------
    store : path-like or None
        The store the report is issued from.
    pdf, json, text : (str, path-like or None)
        Each file by the argument of the function called that names it (``("report_path",
        "A1.pdf")``, one of :data:`~forensic.arguments.ARGUMENT_OPTIONS`: a message tells a
        Python caller the argument, the command line its option, ``--report``); None for one
        not asked for.
    overwrite : bool
        Replace existing files.

    Returns
    -------
    list of Path
        The paths given, in the order PDF, JSON, text.

    Raises
    ------
    OutputExistsError
        A file exists and ``overwrite`` is false.
    OutputError
        As :func:`check_report_names` and
        :func:`~forensic.custody.store.check_outputs_off_store`.
    """
    check_report_names(store, pdf=pdf, json=json, text=text)
    for name, path in (pdf, json, text):
        if path is not None and not overwrite and os.path.isfile(path):
            raise OutputExistsError(
                f"{path}: already exists; nothing was recorded, and the file is left as it "
                f"is: give another name ({output_named(name, free_name(path))}), or "
                f"add {argument('overwrite')} to replace it"
            )
    return check_outputs_off_store(
        {name: path for name, path in (pdf, json, text)}, store, overwrite=overwrite
    )


def free_name(path: str | os.PathLike) -> Path:
    """The first name after ``path``'s that names no file, for a report file that would
    replace one there: ``A1-2.pdf`` for ``A1.pdf``, ``A1-3.pdf`` for ``A1-2.pdf`` when
    ``A1.pdf`` is there too.

    A trailing number is counted on only where it is such a counter, the name without it
    taken as well: ``exhibit-12.pdf`` is offered ``exhibit-12-2.pdf``, not ``exhibit-13.pdf``
    (another exhibit's name), and ``report-2026.pdf`` ``report-2026-2.pdf``, not a year on.

    Parameters
    ----------
    path : path-like
        The name taken.

    Returns
    -------
    Path
        A name in the same folder that no file (nor link) has.
    """
    path = Path(path)
    numbered = re.fullmatch(r"(.*)-(\d+)", path.stem)
    if numbered and os.path.lexists(path.with_name(numbered[1] + path.suffix)):
        stem, number = numbered[1], int(numbered[2])
    else:
        stem, number = path.stem, 1
    while True:
        number += 1
        free = path.with_name(f"{stem}-{number}{path.suffix}")
        if not os.path.lexists(free):
            return free


def kept_name(path: str | os.PathLike, report_id: str) -> Path:
    """Where the PDF of report ``report_id``, found at ``path`` when a new report is written
    there (``--force``), is kept: beside it, named by its report id (``A1.pdf`` is kept as
    ``A1.FR-20261124-B869C1D12C.pdf``), the id printed on each of its pages.

    Not ``A1.pdf.1``, nor a date: a name ending in ``.pdf`` opens as a PDF, and the report
    id says which report it is (a name taken by another file gets ``-2``, ``-3``, ...).

    Parameters
    ----------
    path : path-like
        The report's file, about to be replaced.
    report_id : str
        The id of the report on record whose PDF it is.

    Returns
    -------
    Path
        ``path`` with the report id before its suffix.
    """
    path = Path(path)
    return path.with_name(f"{path.stem}.{report_id}{path.suffix or '.pdf'}")


def _keep_issued_pdf(store: Store, path: Path, kept: dict[Path, tuple[str, Path]]) -> None:
    """Keep the PDF of a report on record that is at ``path`` beside it
    (:func:`kept_name`), before a new report is written there, and note where in ``kept``:
    no report's PDF is lost to ``--force``. Nothing for a file that is not one (or no file).

    Where it is kept is noted before it is written there, to a name no file had: a stop
    (Ctrl-C) at any moment of its keeping finds it noted, and says it when the file is
    there (:func:`_what_a_stop_left`), so that no PDF is kept unsaid. A failure to write it
    takes the note back."""
    try:
        with open(path, "rb") as handle:
            if handle.read(4) != b"%PDF":  # no PDF: no report's (and not read whole)
                return
            handle.seek(0)
            data = handle.read()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OutputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    issued = store.report_with_pdf(chain.sha256_hex(data))
    if issued is None:
        return
    named = keep = kept_name(path, issued["report_id"])
    number = 1
    while os.path.lexists(keep):
        if keep.is_file() and keep.read_bytes() == data:  # kept there before
            kept[path] = (issued["report_id"], keep)
            return
        # -2, -3 after the whole id: an id ending in digits is no count to raise, which
        # would name the file after another report's id
        number += 1
        keep = named.with_name(f"{named.stem}-{number}{named.suffix}")
    kept[path] = (issued["report_id"], keep)
    try:
        atomic_write_bytes(keep, data)
    except ForensicError:  # not kept: said so by the error, not as kept
        del kept[path]
        raise


def kept_said(kept: Mapping[Path, tuple[str, Path]]) -> list[str]:
    """Where the PDFs of reports on record that were at the paths a report was written to are
    kept (:attr:`IssuedReport.kept`), in words, one line for each.

    Parameters
    ----------
    kept : mapping of Path to (str, Path)
        As :attr:`IssuedReport.kept`.

    Returns
    -------
    list of str
        ``the PDF of report FR-... that was at A1.pdf is kept as A1.FR-....pdf``, for each.
    """
    return [
        f"the PDF of report {report_id} that was at {path} is kept as {keep}"
        for path, (report_id, keep) in kept.items()
    ]


REPORT_ATTEMPTS = 3
"""How many times a report is made again when records of its exhibits were added while it was
made, before it is refused (:class:`ReportOutrunError`)."""

# The records that say something a report states: every chained table with a case number
# but the reports themselves (another report issued meanwhile changes nothing in this one).
_REPORTED_TABLES = ("cases", "exhibits", "custody_events", "measurements", "results", "imports")


class ReportNotWrittenError(OutputError):
    """A report is recorded, but one of its files could not be written (the disk filled, or
    its folder went away, since the files were checked): the work is recorded and not
    finished, as a scan's whose report was not written (exit 4, not 2: 2 says that nothing
    was recorded). The message says what is recorded and the command that finishes it."""

    exit_code = 4  # as forensic.workflows.ScanIncomplete: recorded, finish it as told


class ReportOutrunError(StoreBusyError):
    """Records of a report's exhibits kept being added while the report was made: none was
    recorded (exit 75, try again, as for a store another process keeps locked)."""


def _records_of(store: Store, since: int, content: dict[str, Any]) -> list[tuple[str, dict]]:
    """The records of the report's case (and exhibit) the store gained after ``since``.

    A case record (a corrected title) or an import of the case (whose records keep their
    origin chain) counts for a report on one exhibit too; another exhibit's records do not.
    """
    case_number = content["case"]["case_number"]
    whole_case = content["scope"] == "all exhibits of the case"
    item_number = None if whole_case else content["exhibits"][0]["label"]["item_number"]
    return [
        (table, row)
        for table, row in store.appended_since(since)
        if table in _REPORTED_TABLES and concerns(row, case_number, item_number)
    ]


def _what_is_issued(
    store: Store,
    start: int,
    outputs: Sequence[str | os.PathLike],
    unwritten: Sequence[str | os.PathLike],
    again: str,
    *,
    replaces: bool = False,
) -> tuple[str, str | None]:
    """What a stopped ``issue_report`` left: the report on record or not, its files written
    or not; and apart, how to finish (``again``: the command that issues it again, which
    ``replaces`` the files written when it has ``--force``), None when nothing is left."""
    try:
        records = [row for table, row in store.appended_since(start) if table == "reports"]
    except ForensicError as error:
        return f"whether the report is on record could not be read back ({error})", None
    if not records:
        return "no report was recorded and no file written", "run the same command again"
    record = records[-1]
    said = (
        f"report {record['report_id']} is recorded (record #{record['seq']}, its PDF kept in "
        "the store)"
    )
    written = [str(path) for path in outputs if path not in unwritten]
    if written:
        said += f"; written: {', '.join(written)}"
    if not unwritten:
        return said, None
    missing = ", ".join(str(path) for path in unwritten)
    return f"{said}; not written: {missing}", _issue_again(
        again, replace=bool(written) and not replaces
    )


def _issue_again(again: str, *, replace: bool) -> str:
    """How to issue a report whose files were not all written: ``again``, the command, which
    needs ``overwrite`` (``--force``) added to ``replace`` the files that were: said as the
    argument, which the command line says as its option
    (:func:`~forensic.arguments.with_command_line_options`)."""
    return (
        f"issue it again with {again} (a new report, with its own id"
        + (f"; add {argument('overwrite')} to replace the files written" if replace else "")
        + ")"
    )
