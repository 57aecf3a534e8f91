"""Commands of the custody area: scan, case, exhibit, custody, report, bundle.

Every command takes ``--store PATH`` (or ``$FORENSIC_STORE``); commands that write take
``--operator NAME`` (or ``$FORENSIC_OPERATOR``: never the login name), whose Ed25519 key signs
what is recorded, and ``--clock-checked`` (:func:`clock_option`). Commands that only read
(case list/show, exhibit show, custody log/verify) open the store read-only, so they work on a
store one may not write and never change it;
``report`` and ``bundle export`` record what they issue (the report, the exporter's key), so
they need a store they can write, as every other command does.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from forensic.cli.app import (
    ACQUISITION_OPTIONS,
    EXIT_BAD_INPUT,
    NeededOption,
    acquisition_options,
    filled_in,
    library_option,
    main,
    settings_as_options,
)
from forensic.commands import command
from forensic.custody import chain
from forensic.custody.known_stores import check_new_store, stores_hint
from forensic.custody.statements import stated_place
from forensic.custody.store import (
    NoStoreError,
    Store,
    StoreDamagedError,
    as_label,
    case_typed_with_a_slip,
    chain_order,
    refuse_seal_of_another,
    stated_yes_no,
)
from forensic.custody.verify import UnverifiedChainError, VerifyReport, verify_store
from forensic.errors import (
    CustodyError,
    ForensicError,
    InstallationError,
    Interrupted,
    SaidInParts,
    recording_nothing,
)
from forensic.naming import lookalike_remarks
from forensic.operators import who_signs

EXIT_NOT_VERIFIED = 1


def store_option(func):
    """``--store PATH`` on every command."""
    return click.option(
        "--store",
        "store_path",
        type=click.Path(dir_okay=True, file_okay=True, path_type=Path),
        envvar="FORENSIC_STORE",
        default=None,
        help="Evidence store: a folder (forensic.db inside) or a .db file "
        "[env FORENSIC_STORE; default: the user data folder].",
    )(func)


def _person(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A person's name (who signs, receives, releases, collects) as an operator's signs,
    however it was given (``"Ann Example "`` from a variable is ``"Ann Example"``):
    :func:`~forensic.custody.keys.operator_name`; a place left to fill in is refused
    (:func:`~forensic.cli.app.filled_in`)."""
    from forensic.custody.keys import operator_name  # noqa: PLC0415

    return operator_name(filled_in(ctx, param, value))


def _operator(ctx: click.Context, param: click.Parameter, value: str | None) -> str:
    """Who signs (:func:`_person`), named by ``--operator`` or ``$FORENSIC_OPERATOR``; a
    command that records refuses, before anything, to run when neither names anyone.

    The login name is never taken for it: a van's laptop is often logged in as a shared
    account (``root``, ``van``), and the signature, a key made for that account and a
    receipt by it (a break in the exhibit's custody) would be recorded for good.

    Raises
    ------
    CustodyError
        Nobody named (or a blank name), with the two ways to name the operator.
    """
    name = _person(ctx, param, value)
    if not name:
        raise CustodyError(
            "no operator: nobody is named to sign what this command records (the laptop's "
            "login name is an account, not a person). Give --operator 'Your Name', or name "
            "yourself once in this terminal: export FORENSIC_OPERATOR='Your Name'. Nothing "
            "was recorded"
        )
    return name


def operator_option(func):
    """``--operator NAME``: who signs (its spaces normalised, by :func:`_person`), required
    unless ``$FORENSIC_OPERATOR`` names them (:func:`_operator`)."""
    return click.option(
        "--operator",
        cls=NeededOption,
        envvar="FORENSIC_OPERATOR",
        default=None,
        callback=_operator,
        help="Person responsible, who signs the records with their Ed25519 key; required "
        "[env FORENSIC_OPERATOR].",
    )(func)


_CLOCK_CHECKED = "forensic.clock_checked"
"""Where ``--clock-checked`` is kept in a command's context (:func:`clock_option`)."""


def _keep_clock_checked(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    ctx.meta[_CLOCK_CHECKED] = bool(value)


def clock_checked() -> bool:
    """Whether the command running was given ``--clock-checked`` (:func:`clock_option`).

    Returns
    -------
    bool
        False outside a command, or when it was not given.
    """
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.meta.get(_CLOCK_CHECKED))


def clock_option(func):
    """``--clock-checked`` on every command that records: the technician has checked that
    this laptop's clock is right, and it records although the store's last record is dated
    later (:meth:`~forensic.custody.store.Store.check_clock`), which a clock that was ahead
    dated. Kept in the command's context, for the store it opens (:func:`clock_checked`)."""
    return click.option(
        "--clock-checked",
        is_flag=True,
        expose_value=False,
        callback=_keep_clock_checked,
        help="This laptop's clock is right (checked against a phone): record although the "
        "store's last record is dated later, by a clock that was ahead.",
    )(func)


def _place(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A place as records state it (:func:`~forensic.custody.statements.stated_place`:
    one-spaced). Given blank it is refused, not taken for "not stated": the option was given
    to state a place (a script's unset variable, a paste that lost it), and the signed record
    would lack it for good; leaving the option out states none. A place left to fill in is
    refused too (:func:`~forensic.cli.app.filled_in`)."""
    if value is None:
        return None
    place = stated_place(filled_in(ctx, param, value))
    if place is None:
        raise click.BadParameter(
            f"{value!r} is blank: give the place (a room, a vehicle, an address), or leave "
            f"{param.opts[0]} out to state none; nothing was recorded",
            ctx=ctx,
            param=param,
        )
    return place


def _label(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A case or exhibit number without the spaces a paste leaves around it (the store keeps
    none), so that every command finds the records it names."""
    return as_label(value)


def mixed_scripts_option(func):
    """``--mixed-scripts``: confirm a new number whose letters mix scripts, as its label
    writes it (:meth:`~forensic.custody.store.Store.open_case`)."""
    return click.option(
        "--mixed-scripts",
        is_flag=True,
        help="Record a new number that mixes scripts (a Cyrillic or Greek letter that prints "
        "like a Latin one, among letters of another script) as the label writes it; without "
        "it such a number, almost always a keyboard set to another layout, is refused.",
    )(func)


def new_store_option(func):
    """``--new-store``: start a new evidence store although a store this computer has
    recorded into holds the case (:func:`~forensic.custody.known_stores.check_new_store`)."""
    return click.option(
        "--new-store",
        is_flag=True,
        help="Create the store given (--store) although another evidence store this computer "
        "has recorded into holds the case; without it that is refused, naming the store.",
    )(func)


def _say_lookalikes(*numbers: tuple[str | None, str]) -> None:
    """Say, on standard error, of each number just recorded that holds letters of another
    script that print like Latin letters or digits, which and how it reads on paper
    (:func:`~forensic.naming.lookalike_remarks`): a note for a number whole in its script, a
    WARNING for one that mixes scripts. Each ``(value, what)``; None is not said."""
    for remark in lookalike_remarks(*numbers):
        if remark.warning:
            click.secho(remark.line, err=True, bold=True)
        else:
            click.echo(remark.line, err=True)


@contextlib.contextmanager
def _open(
    store_path: Path | None,
    *,
    create: bool = True,
    operator: str | None = None,
    case_number: str | None = None,
    new_store: bool = False,
    refusal_leaves_nothing: bool = False,
) -> Iterator[tuple[Store, str | None]]:
    """The store, to record in, and the name ``operator`` signs under in it: a store this
    process cannot write is refused before anything, and a wait for a store another process
    keeps locked is said (:func:`_say_waiting`).

    A store that is not there is created only where ``create`` (else the error names the
    stores this computer has recorded into: :func:`_no_store`). One about to be created, or
    one that holds no record yet, is said (``NEW evidence store at ...``) on standard error
    before anything is recorded, naming the stores already known, and a case
    (``case_number``) one of them holds is refused unless ``new_store``
    (:func:`~forensic.custody.known_stores.check_new_store`).

    Who signs (:func:`~forensic.operators.who_signs`): a signer recorded before names were
    normalised, whose name differs from ``operator`` only in spacing and whose key is on this
    computer, signs on under that name, and this says so once; a name new to the store that
    differs from a signer's only in letter case or spacing is warned of (not refused) as its
    first record is signed, which makes a second key, under what reads as another person (a
    command that records nothing says nothing of it).

    With ``refusal_leaves_nothing``, a command that fails (or is stopped) before it records
    says so, ``nothing was recorded``, and a store this opening created is removed again
    (:func:`_nothing_recorded`)."""
    if create:
        for line in check_new_store(store_path, case_number=case_number, new_store=new_store):
            click.secho(line, err=True, bold=line.startswith("NEW"))
    try:
        opened = Store(store_path, create=create, clock_checked=clock_checked())
    except NoStoreError as exc:
        raise _no_store(exc, case_number) from None
    with opened as store:
        head = store.head() if refusal_leaves_nothing else None
        try:
            store.on_wait = _say_waiting
            if operator:
                signer = who_signs(store, operator)
                operator = signer.name
                if signer.note:
                    click.echo(f"note: {signer.note}", err=True)
                if signer.warning:
                    store.on_new_key = lambda _name, said=signer.warning: click.secho(
                        f"WARNING: {said}", err=True, bold=True
                    )
            yield store, operator
        except (Exception, KeyboardInterrupt) as exc:
            if head is None:
                raise
            said = _nothing_recorded(store, head, exc)
            if isinstance(exc, KeyboardInterrupt) and said is not None:
                raise Interrupted.having_recorded(exc, said, getattr(exc, "advice", None)) from exc
            if isinstance(exc, ForensicError) and said is not None:
                exc.recorded = said
            raise


def _nothing_recorded(store: Store, head: tuple[int, str], exc: BaseException) -> str | None:
    """What a command that failed or was stopped (``exc``) says it recorded, when the store's
    chain still ends at ``head``: ``nothing was recorded`` (unless ``exc`` says so already),
    and, when this command had created the store, that it is removed again
    (:meth:`~forensic.custody.store.Store.close_removing_if_new`), so that a refusal leaves
    nothing. What ``exc`` says it recorded is kept. None when the command recorded something
    (a stop that came once its records were committed) or when that cannot be told: then
    nothing is said and nothing removed."""
    try:
        if store.head() != head:
            return None
    except (sqlite3.Error, ForensicError):
        return None
    removed = store.close_removing_if_new()
    recorded = getattr(exc, "recorded", None)
    said = " ".join(exc.said()) if isinstance(exc, SaidInParts) else str(exc)
    parts = [recorded] if recorded else []
    if not parts and "nothing was recorded" not in said.casefold():
        parts.append("nothing was recorded")
    if removed:
        parts.append(f"the new evidence store at {store.db_path} was removed")
    return "; ".join(parts) or None


def _say_waiting(waited: float, limit: float) -> None:
    """Say that a command waits for a store another process keeps locked (as the scan
    does), rather than leave the screen silent for up to half a minute."""
    click.echo(f"{Store.waiting_words(waited, limit)}; Ctrl-C stops the command", err=True)


def _read(store_path: Path | None, case_number: str | None = None) -> Store:
    """The store, to read only: it is not changed, and may be on read-only media. Where there
    is none, the error names the stores this computer has recorded into (:func:`_no_store`)."""
    try:
        return Store(store_path, read_only=True)
    except NoStoreError as exc:
        raise _no_store(exc, case_number) from None


def _no_store(exc: NoStoreError, case_number: str | None) -> NoStoreError:
    """``no evidence store at PATH``, with the stores this computer has recorded into (the
    one that holds ``case_number`` first) and the ``--store`` that names one: a relative
    ``--store`` typed in another folder, or a forgotten one, looks where no store is."""
    return NoStoreError(f"{exc}{stores_hint(case_number)}")


def utc_when(iso: str | None) -> str:
    from forensic.custody.store import utc_when as when  # noqa: PLC0415

    return when(iso)


def _provenance(measurement: dict[str, Any]) -> str | None:
    """The provenance of a measurement's spectrum, as its record's instrument states it (None
    for one measured from a sample)."""
    return json.loads(measurement["instrument_json"] or "{}").get("provenance")


def _result_line(result: dict[str, Any]) -> str:
    """A recorded result in the words of the report's verdict (a mixture names its parts)."""
    from forensic.verdict import verdict_line  # noqa: PLC0415

    return verdict_line(json.loads(result["identification_json"]))


NARROW_TABLE = 100
"""A terminal narrower than this (characters) gets the custody log's narrow columns
(:func:`_log_columns`): an 80-column terminal, a laptop's window half the screen."""


def _table_width() -> int:
    """How wide (characters) a table is laid out: the terminal's width, at most 160 (a wider
    line is hard to follow), at least 60 (a table of many columns may be wider anyway)."""
    return max(60, min(160, shutil.get_terminal_size((140, 24)).columns))


def _table(headers: list[str], rows: list[list[Any]], keep: tuple[int, ...] = ()) -> None:
    from forensic.report.layout import format_table  # noqa: PLC0415

    for line in format_table(headers, rows, _table_width(), keep):
        click.echo(line)


# -- scan ------------------------------------------------------------------------------------------


def _say_location_unset(content: dict[str, Any]) -> None:
    """A one-line hint when a report was issued without a location: its header then reads
    "Mobile lab (location not configured)" on every page, and nothing else would say how to
    name the place."""
    from forensic.report.content import DEFAULT_LOCATION  # noqa: PLC0415

    if content.get("location") == DEFAULT_LOCATION:
        click.echo(
            f"note: the report reads {DEFAULT_LOCATION!r}: give --location (and --unit), or "
            "set FORENSIC_LOCATION (and FORENSIC_UNIT) once on this laptop",
            err=True,
        )


def _say_place_unrecorded(result: Any) -> None:
    """A one-line hint when a scan recorded no place with its measurement (no ``--location``,
    no ``$FORENSIC_LOCATION``): its reports say "location not recorded" for this analysis for
    good. It offers the case's place as the option to paste, when the case has one (in a van,
    the case is often opened where its exhibits are scanned). Said once: where the report's
    header has no place either, its own hint (:func:`_say_location_unset`) names the same
    remedy."""
    from forensic.commands import options  # noqa: PLC0415
    from forensic.report.content import DEFAULT_LOCATION  # noqa: PLC0415

    if result.measurement.get("location"):
        return
    if result.report is not None and result.report.content.get("location") == DEFAULT_LOCATION:
        return
    place = result.case.get("location")
    give = (
        f"on the next scan give {options(location=place)} (the place of case "
        f"{result.case['case_number']}, if you scan there)"
        if place
        else "give --location"
    )
    click.echo(
        f"note: where this analysis was done is not recorded with it (measurement record "
        f'#{result.measurement["seq"]}; its reports say "location not recorded"): {give}, or '
        "set FORENSIC_LOCATION once on this laptop",
        err=True,
    )


def _say_analysed_elsewhere(
    content: dict[str, Any], *, given: str | None, case_location: str | None
) -> None:
    """A one-line hint when a report's header names a place it fell back to (no
    ``--location``: the case's, or ``$FORENSIC_LOCATION``) and an analysis it states was
    recorded as done elsewhere: the header would otherwise say, on every page, a place the
    reader takes for where the work was done. Each analysis's own place is printed with it
    (layout 6 on); this says only that the header is a fallback. (A header with no place at
    all has its own hint, :func:`_say_location_unset`.)"""
    from forensic.report.content import DEFAULT_LOCATION  # noqa: PLC0415

    header = content.get("location")
    if given or not header or header == DEFAULT_LOCATION:
        return
    elsewhere: dict[str, list[str]] = {}
    for exhibit in content.get("exhibits") or []:
        analyses = exhibit.get("analyses") or []
        item = exhibit["label"]["item_number"]
        for number, analysis in enumerate(analyses, start=1):
            where = analysis.get("location")
            if where and where != header:
                elsewhere.setdefault(where, []).append(
                    item if len(analyses) == 1 else f"{item} analysis {number}"
                )
    if not elsewhere:
        return
    source = "the case's location" if header == case_location else "FORENSIC_LOCATION"
    places = "; ".join(f"{where!r} ({', '.join(which)})" for where, which in elsewhere.items())
    click.echo(
        f"note: the report's header reads {header!r} ({source}: no --location was given), but "
        f"analyses it states were done elsewhere: {places}. Each analysis's place is printed "
        "with it; give --location to name where this report is issued",
        err=True,
    )


SCAN_HITS_SHOWN = 3
"""The hits a scan's screen shows under its verdict (the report lists them all)."""


def _print_verdict(text: str) -> None:
    bar = "=" * max(40, len(text) + 8)
    click.echo("")
    click.secho(bar, bold=True)
    click.secho(f"    {text}", bold=True)
    click.secho(bar, bold=True)


def _print_scan_result(result: Any) -> None:
    """A scan's result, as soon as it is recorded (before its report is written): the verdict
    large and plain, then what its report says under it, with its best hits
    (:func:`~forensic.cli.result.result_lines`), what its report says of the exhibit's
    custody, and the records that hold it."""
    from forensic.cli.result import result_lines  # noqa: PLC0415

    _print_verdict(result.verdict)
    for line in result_lines(
        result.identification, provenance=_provenance(result.measurement), top=SCAN_HITS_SHOWN
    ):
        click.echo(line)
    for limitation in result.custody:  # as the report's limitations say it
        click.echo(f"  custody: {limitation}")
    if result.identification.get("verdict") == "identified":  # what a named substance needs
        click.echo("  Screening result: confirm with a second, uncorrelated technique (SWGDRUG).")
    click.echo(
        f"Case {result.case['case_number']}, exhibit {result.exhibit['item_number']}, store "
        f"records: measurement #{result.measurement['seq']}, result #{result.result['seq']}; "
        f"raw data SHA-256 {result.measurement['raw_sha256']}"
    )


@main.command(
    example="forensic scan --instrument ocean-rs232:///dev/ttyUSB0 --case 2026-0412 --exhibit A1 "
    "--operator 'Ann Example' --report A1.pdf"
)
@click.option(
    "--instrument",
    "instrument_url",
    required=True,
    metavar="URL",
    help="Instrument: ocean-rs232:///dev/ttyUSB0, obp:///dev/ttyUSB0 or folder:///path/to/exports "
    "(FTIR); sim:... is a simulator, for practice only.",
)
@click.option(
    "--case", "case_number", required=True, callback=_label, help="Case number (created if new)."
)
@click.option(
    "--exhibit", "item_number", required=True, callback=_label, help="Exhibit (item) number."
)
@operator_option
@clock_option
@click.option(
    "--report", "report_path", type=click.Path(path_type=Path), help="Write the PDF report here."
)
@click.option(
    "--json", "json_path", type=click.Path(path_type=Path), help="Also write the report as JSON."
)
@click.option(
    "--text",
    "text_path",
    type=click.Path(path_type=Path),
    help="Also write the report as plain text.",
)
@click.option(
    "--description",
    callback=filled_in,
    help="Exhibit description: a new exhibit's label records it; an existing label is never "
    "changed, and a description that differs from it is warned of and recorded.",
)
@click.option(
    "--seal",
    "seal_number",
    callback=filled_in,
    help="Seal number on the exhibit's packaging; one that differs from the seal last "
    "recorded is warned of and recorded.",
)
@click.option("--seal-intact/--seal-broken", default=None, help="State of the seal on receipt.")
@click.option("--received-from", callback=_person, help="Who handed the exhibit over.")
@click.option("--unit", help="Issuing unit, printed on the report [env FORENSIC_UNIT].")
@click.option(
    "--location",
    help="Where the scan takes place, recorded with the spectrum and the receipt "
    "[env FORENSIC_LOCATION].",
)
@acquisition_options
@library_option
@click.option(
    "--force",
    is_flag=True,
    help="Replace existing report files (the PDF of a report on record there is kept beside "
    "it, named by its report id).",
)
@new_store_option
@store_option
def scan(
    *,
    instrument_url,
    case_number,
    item_number,
    operator,
    report_path,
    json_path,
    text_path,
    description,
    seal_number,
    seal_intact,
    received_from,
    unit,
    location,
    settings,
    library_path,
    force,
    new_store,
    store_path,
):
    """Scan an exhibit: custody, acquisition, identification, signed report in one go.

    The raw spectrum is stored before identification runs, so nothing is lost if analysis
    fails or the process is stopped.
    """
    # most of a second before the first progress line, when a wrong number typed is seen
    with recording_nothing():
        from forensic.workflows import SCAN_STAGES  # noqa: PLC0415
        from forensic.workflows import scan as run_scan  # noqa: PLC0415

    if not operator:
        raise CustodyError("no operator: give --operator NAME")
    started = time.monotonic()
    total = len(SCAN_STAGES)

    numbered: set[str] = set()

    def progress(stage: str, message: str) -> None:
        # a step's number once: what it says again (compiling the library, then connecting;
        # a wait for the store) is under it, not a second "[1/8]"
        step = f"[{SCAN_STAGES.index(stage) + 1}/{total}]"
        if stage in numbered:
            step = " " * len(step)
        numbered.add(stage)
        click.echo(f"{step} {time.monotonic() - started:5.1f}s  {message}", err=True)

    from forensic.cli.result import with_recorded_spectrum_actions  # noqa: PLC0415

    with settings_as_options(ACQUISITION_OPTIONS, settings), with_recorded_spectrum_actions():
        result = run_scan(
            instrument_url,
            case_number=case_number,
            item_number=item_number,
            operator=operator,
            store=store_path,
            report_path=report_path,
            json_path=json_path,
            text_path=text_path,
            description=description,
            seal_number=seal_number,
            seal_intact=seal_intact,
            received_from=received_from,
            unit=unit,
            location=location,
            acquire_settings=settings,
            library=library_path,
            overwrite=force,
            progress=progress,
            clock_checked=clock_checked(),
            on_result=_print_scan_result,
            new_store=new_store,
        )
    if result.report is not None:
        from forensic.report.issue import kept_said  # noqa: PLC0415

        for line in kept_said(result.report.kept):
            click.echo(line[0].upper() + line[1:])
        for path in result.report.paths:
            click.echo(f"Report written: {path}")
        click.echo(
            f"Report {result.report.content['report_id']} content SHA-256 "
            f"{result.report.content['content_sha256']}"
        )
        _say_location_unset(result.report.content)
        _say_analysed_elsewhere(
            result.report.content, given=location, case_location=result.case["location"]
        )
    _say_place_unrecorded(result)


# -- case ------------------------------------------------------------------------------------------


@main.group()
def case() -> None:
    """Cases: open, list, show."""


@case.command(
    "new",
    example="forensic case new 2026-0412 --title 'Border seizure' --location 'Border post Nord' "
    "--operator 'Ann Example'",
)
@click.argument("case_number", callback=_label)
@click.option("--title", help="Short title of the case.")
@click.option("--unit", help="The unit in charge (printed on reports).")
@click.option("--location", help="Where the analysis takes place (printed on reports).")
@click.option("--notes", help="Free text kept with the case record.")
@mixed_scripts_option
@operator_option
@clock_option
@new_store_option
@store_option
def case_new(
    *, case_number, title, unit, location, notes, mixed_scripts, operator, new_store, store_path
):
    """Open a new case."""
    with _open(store_path, operator=operator, case_number=case_number, new_store=new_store) as (
        store,
        signer,
    ):
        row = store.open_case(
            case_number,
            operator=signer,
            title=title,
            unit=unit,
            location=location,
            notes=notes,
            mixed_scripts=mixed_scripts,
        )
    click.echo(f"case {row['case_number']} opened (record #{row['seq']}, {row['hash'][:16]})")
    _say_lookalikes((row["case_number"], "case number"))


@case.command("list")
@store_option
def case_list(store_path):
    """List the cases in the store (and how many of their exhibits are filed in error)."""
    from forensic.custody.filing import filed_in_error  # noqa: PLC0415

    with _read(store_path) as store:
        rows = []
        for c in store.current("cases"):
            exhibits = store.exhibits(c["case_number"])
            results = store.results(c["case_number"])
            in_error = sum(
                filed_in_error(store, c["case_number"], e["item_number"]) is not None
                for e in exhibits
            )
            rows.append(
                [
                    c["case_number"],
                    c["title"],
                    utc_when(c["recorded_at"]),
                    c["opened_by"],
                    f"{len(exhibits)} ({in_error} FILED IN ERROR)" if in_error else len(exhibits),
                    len(results),
                ]
            )
    if not rows:
        click.echo("no cases")
        return
    _table(["Case", "Title", "Opened (UTC)", "By", "Exhibits", "Results"], rows)


@case.command("show")
@click.argument("case_number", callback=_label)
@store_option
def case_show(case_number, store_path):
    """Show a case: its exhibits, their latest results (with what qualifies each, as its
    report says under the verdict), what a report would say of their custody, and which
    exhibits' records are filed in error."""
    from forensic.custody.filing import filed_in_error  # noqa: PLC0415
    from forensic.identification import verdict_qualifier  # noqa: PLC0415
    from forensic.report.content import exhibit_custody_limitations  # noqa: PLC0415

    with _read(store_path, case_number) as store:
        c = store.require_case(case_number)
        click.echo(f"Case {c['case_number']}" + (f": {c['title']}" if c["title"] else ""))
        click.echo(
            f"  opened {utc_when(c['recorded_at'])} by {c['opened_by']}; unit "
            f"{c['unit'] or '-'}; location {c['location'] or '-'}"
        )
        rows = []
        custody: list[str] = []
        in_error = []
        for e in store.exhibits(case_number):
            item = e["item_number"]
            results = store.results(case_number, item)
            latest = results[-1] if results else None
            measurements = store.measurements(case_number, item)
            said = "-"
            if latest:  # "IDENTIFIED" is never read without what qualifies it (SIMULATED)
                measured = {m["hash"]: m for m in measurements}[latest["measurement_hash"]]
                qualifier = verdict_qualifier(
                    json.loads(latest["identification_json"]), _provenance(measured)
                )
                said = f"{_result_line(latest)}; {qualifier}"
            marking = filed_in_error(store, e["case_number"], item)
            if marking is not None:
                in_error.append(f"  exhibit {item}: {marking.stated()}")
            rows.append(
                [
                    item + (" FILED IN ERROR" if marking else ""),
                    e["description"],
                    e["seal_number"],
                    len(measurements),
                    said,
                ]
            )
            custody += exhibit_custody_limitations(store, case_number, item)  # "A1: ..."
    if rows:
        _table(["Exhibit", "Description", "Seal", "Measurements", "Latest result"], rows)
        for limitation in custody:  # as the report's limitations say it, and the scan's
            click.echo(f"  custody: {limitation}")
    else:
        click.echo("  no exhibits")
    for line in in_error:
        click.secho(line, bold=True)


# -- exhibit ---------------------------------------------------------------------------------------


def _gps(value: str | None) -> tuple[float, float] | None:
    if not value:
        return None
    try:
        lat, lon = (float(part) for part in value.split(","))
    except ValueError:
        raise click.BadParameter(f"{value!r}: expected LAT,LON in decimal degrees") from None
    return lat, lon


@main.group()
def exhibit() -> None:
    """Exhibits (ASTM E1459 labels): add, show, mark filed in error."""


@exhibit.command(
    "add",
    example="forensic exhibit add 2026-0412 A1 --description 'white powder, zip bag' --seal "
    "S-0093 --collected-by 'PC J. Smith 4471' --operator 'Ann Example'",
)
@click.argument("case_number", callback=_label)
@click.argument("item_number", callback=_label)
@click.option(
    "--description",
    required=True,
    callback=filled_in,
    help="What the item is and how it is packaged.",
)
@click.option("--seal", "seal_number", callback=filled_in, help="Seal number.")
@click.option("--collected-by", callback=_person, help="Who seized or collected the item.")
@click.option(
    "--collected-at",
    help="When it was collected: ISO-8601 with its time zone (recorded in UTC), or a date.",
)
@click.option("--where", "collected_where", help="Where it was collected.")
@click.option("--gps", help="LAT,LON in decimal degrees.")
@click.option("--condition", help="Condition on receipt (e.g. 'sealed, intact').")
@click.option(
    "--corrects",
    metavar="HASH",
    help="Hash of the current label of this exhibit that this one corrects (what is not given "
    "is kept from it).",
)
@mixed_scripts_option
@operator_option
@clock_option
@store_option
def exhibit_add(
    *,
    case_number,
    item_number,
    description,
    seal_number,
    collected_by,
    collected_at,
    collected_where,
    gps,
    condition,
    corrects,
    mixed_scripts,
    operator,
    store_path,
):
    """Label an exhibit of a case (or correct its label with --corrects).

    A case number that is a recorded one typed with one slip of the hand, and a seal the store
    records as another exhibit's, are refused before anything is recorded."""
    with (
        _open(store_path, create=False, operator=operator, case_number=case_number) as (
            store,
            signer,
        ),
        store.transaction(),  # the checks and the label: nothing recorded between them
    ):
        slipped = case_typed_with_a_slip(store, case_number)
        if slipped is not None:
            recorded, slip = slipped
            in_it = command(
                "exhibit",
                "add",
                recorded,
                item_number,
                description=description,
                seal=seal_number,
                store=store.db_path,
                operator=signer,
            )
            open_it = command("case", "new", case_number, store=store.db_path, operator=signer)
            raise CustodyError(
                f"there is no case {case_number!r} in {store.db_path}, but there is case "
                f"{recorded!r}, which reads the same but for one slip ({slip}): to label the "
                f"exhibit in that case, run {in_it}; if {case_number!r} is a new case, open "
                f"it first with {open_it}. Nothing was recorded"
            )
        refuse_seal_of_another(store, seal_number, case_number, item_number)
        row = store.add_exhibit(
            case_number,
            item_number,
            operator=signer,
            description=description,
            seal_number=seal_number,
            collected_by=collected_by,
            collected_at=collected_at,
            collected_where=collected_where,
            gps=_gps(gps),
            condition=condition,
            corrects=corrects,
            mixed_scripts=mixed_scripts,
        )
    verb = "corrected" if corrects else "added"
    click.echo(
        f"exhibit {case_number}/{item_number} {verb} (record #{row['seq']}, {row['hash'][:16]})"
    )
    _say_lookalikes((row["item_number"], "exhibit number"), (seal_number, "seal number"))


@exhibit.command("show")
@click.argument("case_number", callback=_label)
@click.argument("item_number", callback=_label)
@store_option
def exhibit_show(case_number, item_number, store_path):
    """Show an exhibit's label, custody, measurements and results, and whether its records
    are marked filed in error."""
    from forensic.custody.filing import filed_in_error  # noqa: PLC0415

    with _read(store_path, case_number) as store:
        e = store.require_exhibit(case_number, item_number)
        marking = filed_in_error(store, e["case_number"], e["item_number"])
        if marking is not None:
            click.secho(marking.stated(), bold=True)
        for key in (
            "description",
            "condition",
            "seal_number",
            "collected_by",
            "collected_at",
            "collected_where",
        ):
            click.echo(f"{key.replace('_', ' ').capitalize() + ':':<17}{e[key] or '-'}")
        if e["gps_lat"] is not None:
            click.echo(f"{'GPS:':<17}{e['gps_lat']:.6f}, {e['gps_lon']:.6f}")
        label = f"{'Label record:':<17}#{e['seq']} {e['hash']}"
        if len(label) > _table_width():  # 84 characters: its second half under the first
            label = f"{label[:-32]}\n{'':<17}{' ' * len(str(e['seq']) + '# ')}{label[-32:]}"
        click.echo(label)
        _log(store, case_number, item_number)


@exhibit.command("filed-in-error")
@click.argument("case_number", callback=_label)
@click.argument("item_number", callback=_label)
@click.option(
    "--reason",
    callback=filled_in,
    help="Why its records are filed in error (e.g. 'case number mistyped'); required, signed "
    "with the marking and printed on every report of the exhibit.",
)
@click.option(
    "--see-case",
    "see_case_number",
    callback=_label,
    help="The case its records belong to (default: this case, with --see-exhibit).",
)
@click.option(
    "--see-exhibit",
    "see_item_number",
    callback=_label,
    help="The exhibit its records belong to (default: the same number, with --see-case).",
)
@click.option(
    "--withdraw",
    is_flag=True,
    help="Withdraw a marking made by mistake (on the wrong exhibit); it stays on record.",
)
@operator_option
@clock_option
@store_option
def exhibit_filed_in_error(
    *,
    case_number,
    item_number,
    reason,
    see_case_number,
    see_item_number,
    withdraw,
    operator,
    store_path,
):
    """Mark every record of an exhibit as filed in error (a mistyped case or exhibit number,
    the wrong exhibit scanned), saying why and where they belong.

    Nothing is changed or deleted: a signed label records the marking, which the log, the
    screens and every report of the exhibit show. Scans and hand-overs of the exhibit are
    refused from then on. With --withdraw, a marking made by mistake is withdrawn.
    """
    from forensic.custody.filing import (  # noqa: PLC0415
        filed_in_error,
        mark_filed_in_error,
        withdraw_filed_in_error,
    )

    if withdraw and (see_case_number or see_item_number):
        raise click.BadParameter(
            "a withdrawal names no place: leave --see-case and --see-exhibit out; nothing was "
            "recorded",
            param_hint="--withdraw",
        )
    with _open(store_path, create=False, operator=operator) as (store, signer):
        if withdraw:
            row = withdraw_filed_in_error(
                store, case_number, item_number, operator=signer, reason=reason
            )
        else:
            row = mark_filed_in_error(
                store,
                case_number,
                item_number,
                operator=signer,
                reason=reason,
                see_case_number=see_case_number,
                see_item_number=see_item_number,
            )
        marking = filed_in_error(store, row["case_number"], row["item_number"])
    exhibit = f"exhibit {row['case_number']}/{row['item_number']}"
    if marking is None:
        click.echo(
            f"{exhibit}: marking as filed in error withdrawn (record #{row['seq']}, "
            f"{row['hash'][:16]}); its records stand as recorded"
        )
        return
    click.secho(f"{exhibit}: {marking.stated()}", bold=True)
    click.echo(
        f"recorded as label record #{row['seq']} ({row['hash'][:16]}); nothing was changed or "
        "deleted. Its scans and hand-overs are refused from now on; its reports say it is "
        "filed in error"
    )


@exhibit.command("identify")
@click.argument("case_number", callback=_label)
@click.argument("item_number", callback=_label)
@library_option
@operator_option
@clock_option
@store_option
def exhibit_identify(case_number, item_number, library_path, operator, store_path):
    """Identify the exhibit's saved spectra that have no result (a scan stopped or failed
    after saving one), and record the results: no new measurement."""
    from forensic.cli.result import (  # noqa: PLC0415
        qualifier_line,
        to_do,
        warning_lines,
        with_recorded_spectrum_actions,
    )
    from forensic.workflows import identify_saved  # noqa: PLC0415

    if not operator:
        raise CustodyError("no operator: give --operator NAME")
    with (
        with_recorded_spectrum_actions(),
        _open(store_path, create=False, operator=operator, case_number=case_number) as (
            store,
            signer,
        ),
    ):
        done = identify_saved(
            case_number, item_number, operator=signer, store=store, library=library_path
        )
    if not done:
        click.echo(f"every saved spectrum of exhibit {item_number} already has a result")
    identified = None  # a result recorded now, whose library is named once, after them all
    for measurement, result, advice, recorded in done:
        said = f"measurement #{measurement['seq']} ({measurement['acquired_at']}): "
        if not recorded:  # another run recorded it while this one identified
            click.echo(
                f"{said}already has a result, recorded meanwhile by {result['signer']}: "
                f"{_result_line(result)} (result record #{result['seq']}); no second result "
                "recorded"
            )
            continue
        click.echo(f"{said}{_result_line(result)} (result record #{result['seq']})")
        identification = identified = json.loads(result["identification_json"])
        click.echo(qualifier_line(identification, provenance=_provenance(measurement)))
        warnings = identification.get("warnings") or []
        for line in warning_lines(warnings, to_do(identification, advice)):
            click.echo(line)
    if identified is not None:  # the library the results come from, as forensic identify says
        from forensic.identification import library_named  # noqa: PLC0415

        click.echo(f"library: {library_named(identified)}")


@exhibit.command("record-spectrum")
@click.argument("spectrum_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--accept-unverified",
    is_flag=True,
    help="Record a file whose keeper cannot be verified (unsigned, or signed with a key the "
    "store knows as another's), if you know it is the one the scan kept: the record and "
    "reports say so, and that you accepted it.",
)
@operator_option
@clock_option
@store_option
def exhibit_record_spectrum(spectrum_file, accept_unverified, operator, store_path):
    """Record a spectrum a scan measured but could not save in the store (locked, full, gone,
    stopped while saving), from the file it kept it in: recorded late, saying so.

    The scan signed the file with its operator's key: a file whose signature does not hold is
    refused, and so is one unsigned or signed with another's key, unless --accept-unverified."""
    from forensic.custody.unrecorded import record_unrecorded, signature_finding  # noqa: PLC0415

    if not operator:
        raise CustodyError("no operator: give --operator NAME")
    with _open(store_path, create=False, operator=operator) as (store, signer):
        done = record_unrecorded(
            store, spectrum_file, operator=signer, accept_unverified=accept_unverified
        )
        db_path = store.db_path
    measurement, kept = done.measurement, done.unrecorded
    exhibit = f"exhibit {kept.item_number} of case {kept.case_number}"
    if not done.recorded:
        click.echo(
            f"the spectrum in {spectrum_file} (SHA-256 {kept.raw_sha256}) is already recorded "
            f"as measurement #{measurement['seq']} of {exhibit}; nothing recorded"
        )
        return
    click.echo(
        f"measurement #{measurement['seq']} of {exhibit} recorded late: acquired "
        f"{utc_when(measurement['acquired_at'])} by {measurement['operator']}, recorded now "
        f"from {spectrum_file} (file SHA-256 {kept.file_sha256}; spectrum SHA-256 "
        f"{measurement['raw_sha256']}), which can be kept with the case's papers"
    )
    # in the words the report will state it in
    click.echo(signature_finding(done.signature, measurement["operator"]))
    identify = command(
        "exhibit", "identify", kept.case_number, kept.item_number, store=db_path, operator=signer
    )
    click.echo(f"next: {identify} identifies it")


# -- custody ---------------------------------------------------------------------------------------


@main.group()
def custody() -> None:
    """Chain of custody (ASTM E1492): add events, show the log, verify the store."""


@custody.command(
    "add",
    example="forensic custody add 2026-0412 A1 --released-by 'Ann Example' --received-by "
    "'Bob Lab' --purpose 'transport to lab' --seal-intact --operator 'Ann Example'",
)
@click.argument("case_number", callback=_label)
@click.argument("item_number", callback=_label)
@click.option("--released-by", callback=_person, help="Who hands the exhibit over.")
@click.option("--received-by", required=True, callback=_person, help="Who takes it.")
@click.option(
    "--purpose",
    required=True,
    callback=filled_in,
    help="Why it changes hands (analysis, storage...).",
)
@click.option(
    "--seal-intact/--seal-broken", default=None, help="State of the seal at the hand-over."
)
@click.option("--seal", "seal_number", callback=filled_in, help="Seal number on the packaging.")
@click.option(
    "--location",
    callback=_place,
    help="Where the exhibit changes hands (evidence room, vehicle, address). Default: not "
    "stated; a correction keeps the place of the event it corrects.",
)
@click.option(
    "--at",
    "event_at",
    help="When, ISO-8601 with its time zone (2026-11-22T14:05+01:00, or Z for UTC); "
    "recorded in UTC. Default: now.",
)
@click.option("--notes", callback=filled_in, help="Free text kept with the record.")
@click.option(
    "--corrects",
    metavar="HASH",
    help="Hash of an earlier event of this exhibit that this one corrects (what is not given, "
    "its time and seal among them, is kept from it).",
)
@operator_option
@clock_option
@store_option
def custody_add(
    *,
    case_number,
    item_number,
    received_by,
    purpose,
    released_by,
    event_at,
    seal_intact,
    seal_number,
    notes,
    location,
    corrects,
    operator,
    store_path,
):
    """Record a hand-over of an exhibit.

    A hand-over the log does not bear out (released by someone who did not hold it, or by
    nobody where someone did; dated before the exhibit was collected or its case opened; a
    seal intact after it was recorded broken) is recorded and warned of: the report lists it.
    """
    with (
        _open(store_path, create=False, operator=operator, case_number=case_number) as (
            store,
            signer,
        ),
        store.transaction(),  # the seal's check and the hand-over: nothing recorded between
    ):
        refuse_seal_of_another(store, seal_number, case_number, item_number)
        before = set(_custody_warnings(store, case_number, item_number))
        row = store.add_custody_event(
            case_number,
            item_number,
            operator=signer,
            received_by=received_by,
            purpose=purpose,
            released_by=released_by,
            event_at=event_at,
            seal_intact=seal_intact,
            seal_number=seal_number,
            notes=notes,
            location=location,
            corrects=corrects,
        )
        after = _custody_warnings(store, case_number, item_number)
        correction = _correcting_the_release(store, row, operator=signer)
    click.echo(f"custody event recorded (record #{row['seq']}, {row['hash'][:16]})")
    _say_lookalikes((seal_number, "seal number"))
    new = [warning for warning in after if warning not in before]
    for warning in new:
        click.secho(f"WARNING: {warning}", err=True, bold=True)
    if new and correction:
        click.echo(correction, err=True)


def _correcting_the_release(store: Store, row: dict[str, Any], *, operator: str | None) -> str:
    """When a hand-over just recorded breaks the custody log where it stands (its release is
    not the holder the log shows, or it states no release where someone held the exhibit):
    the command that corrects it to a release by that holder, for a name mistyped ("Ann
    Exampel") or left out, as a scan's warnings on a label give the command that corrects
    it; "" otherwise."""
    from forensic.commands import command  # noqa: PLC0415
    from forensic.custody.continuity import held_before, same_statement  # noqa: PLC0415

    events = store.custody_events(row["case_number"], row["item_number"])
    exhibit = store.require_exhibit(row["case_number"], row["item_number"])
    holder = held_before(events, row, collected_by=exhibit.get("collected_by"))
    stated = row["released_by"] or row["received_by"]
    if not holder or same_statement(stated, holder):
        return ""
    fix = command(
        "custody",
        "add",
        row["case_number"],
        row["item_number"],
        received_by=row["received_by"],
        purpose=row["purpose"],
        released_by=holder,
        corrects=row["hash"][:16],
        store=store.db_path,
        operator=operator,
    )
    return (
        f"  to do: if {holder} handed it over (a name mistyped, or the release left out), "
        f"correct record #{row['seq']} with {fix}"
    )


def _custody_warnings(store: Store, case_number: str, item_number: str) -> list[str]:
    """What the exhibit's custody log says that cannot be right, as the report states it."""
    from forensic.custody.continuity import custody_warnings  # noqa: PLC0415

    return custody_warnings(
        store.custody_events(case_number, item_number),
        exhibit=store.require_exhibit(case_number, item_number),
        case=store.require_case(case_number),
    )


def _record_line(table: str, r: dict[str, Any]) -> str:
    """What a record of an exhibit says, in one line of the custody log."""
    if table == "exhibits":
        return f"label {r['item_number']}: {r['description']}"
    if table == "custody_events":
        return (
            f"{r['released_by'] or '-'} -> {r['received_by']}: {r['purpose']} "
            + (f"at {r['location']} " if r.get("location") else "")  # none before schema 3
            + f"(seal intact: {stated_yes_no(r['seal_intact'])}"
            + (f", seal {r['seal_number']}" if r["seal_number"] else "")
            + ")"
            + (f"; notes: {r['notes']}" if r["notes"] else "")
        )
    if table == "measurements":
        return f"{r['modality']} spectrum {r['raw_sha256'][:16]} ({r['instrument_url']})" + (
            f" at {r['location']}" if r.get("location") else ""  # none before schema 2
        )
    if table == "results":
        return _result_line(r)
    if table == "reports":
        return f"report {r['report_id']}" + (" FORCED" if r["forced"] else "")
    return table


def _log(store: Store, case_number: str, item_number: str | None) -> None:
    """The records of a case (or exhibit) as a table, in the order they were recorded
    (:func:`~forensic.custody.store.chain_order`), not by the time each computer's clock gave
    them: a record dated by a clock that was ahead is never shown after those that followed
    it. A label that marks the exhibit filed in error (or withdraws that) says so, and why."""
    from forensic.custody.filing import Marking, is_marking  # noqa: PLC0415

    where = "case_number = ?" + (" AND item_number = ?" if item_number else "")
    params = [case_number] + ([item_number] if item_number else [])
    records = []
    for table in ("exhibits", "custody_events", "measurements", "results", "reports"):
        if table == "reports" and item_number:
            found = store.query(
                "SELECT * FROM reports WHERE case_number = ? AND "
                "(item_number = ? OR item_number IS NULL)",
                params,
            )
        else:
            found = store.query(f"SELECT * FROM {table} WHERE {where}", params)
        records += [(table, r) for r in found]
    in_order = chain_order({**r, "table": table} for table, r in records)
    by_hash = {r["hash"]: r for r in in_order}
    rows = []
    for r in in_order:
        table = r["table"]
        what = _record_line(table, r)
        earlier = by_hash.get(r["corrects"] or "")
        if table == "exhibits" and earlier is not None and is_marking(earlier, r):
            what = f"label {r['item_number']}: {Marking.of(r).stated()}"
        if r["corrects"]:
            what += f" [corrects {r['corrects'][:12]}]"
        rows.append(
            {
                "Recorded (UTC)": utc_when(r["recorded_at"]),
                "Chain": r["chain_id"][:8],
                "#": r["seq"],
                "Kind": table,
                "Item": r.get("item_number"),
                "Signed by": r["signer"],
                "What": what,
                "Hash": r["hash"][:12],
            }
        )
    if not rows:
        click.echo("no records")
        return
    headers = _log_columns(rows, one_exhibit=bool(item_number), width=_table_width())
    if len(headers) < len(rows[0]):  # narrow: see _log_columns
        for row in rows:
            row["Hash"] = row["Hash"][:8]
            row["Kind"] = row["Kind"].replace("_", " ")  # "custody" over "events"
    # the hash shrinks last: the other columns wrap within theirs first
    _table(headers, [[row[h] for h in headers] for row in rows], keep=(len(headers) - 1,))


def _log_columns(rows: list[dict[str, Any]], *, one_exhibit: bool, width: int) -> list[str]:
    """The columns of the custody log for a terminal ``width`` characters wide.

    All of them from :data:`NARROW_TABLE` characters on. Narrower (an 80-column terminal),
    "What" would be squeezed to a few characters, so the log leaves out what it can do
    without: the chain, unless the records come from more than one (a bundle imported); the
    item, when it is one exhibit's log; and it shows the hash by its first 8 digits (as many
    as ``--corrects`` takes) and a kind of record in words that wrap (``custody events``).
    """
    headers = ["Recorded (UTC)", "Chain", "#", "Kind", "Item", "Signed by", "What", "Hash"]
    if width >= NARROW_TABLE:
        return headers
    if len({row["Chain"] for row in rows}) == 1:
        headers.remove("Chain")
    if one_exhibit:
        headers.remove("Item")
    return headers


@custody.command("log")
@click.argument("case_number", callback=_label)
@click.argument("item_number", required=False, callback=_label)
@store_option
def custody_log(case_number, item_number, store_path):
    """Every record of a case (or exhibit) in the order it was written."""
    with _read(store_path, case_number) as store:
        store.require_case(case_number)
        _log(store, case_number, item_number)


@custody.command("verify")
@click.option(
    "--report",
    "report_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Also check that this PDF or JSON report is on record.",
)
@click.option(
    "--expect",
    multiple=True,
    metavar="HASH",
    help="A record hash known from elsewhere (a report's chain head, a bundle's "
    "manifest) that must still be in the store; repeatable.",
)
@store_option
def custody_verify(report_file, expect, store_path):
    """Recompute every hash, link and signature; exit 0 only if all verify.

    Otherwise exit 1 and name the first bad record (table, position, what differs). An
    operator name signing with more than one key, and an exhibit's custody log that cannot be
    as recorded (a break, a hand-over dated before the exhibit was collected or its case
    opened, a broken seal found intact), are warned of: they do not change the exit status.
    """
    try:
        store = _read(store_path)
        report = verify_store(store, expect=expect)
    except StoreDamagedError as exc:  # SQLite itself finds the file damaged: nothing verifies
        click.echo(f"NOT VERIFIED: {exc}")
        sys.exit(EXIT_NOT_VERIFIED)
    with store:
        click.echo(report.summary())
        for problem in report.problems[1:]:
            click.echo(f"  also: {problem}")
        # Signatures prove who signed only if the fingerprints are the ones the operators
        # published: list them so they can be compared with the report's signature block.
        for key in store.query("SELECT * FROM operator_keys ORDER BY chain_id, seq"):
            click.echo(
                f"  key of {key['operator']}: {key['fingerprint']} (record #{key['seq']}, "
                f"chain {key['chain_id'][:8]})"
            )
        # what verifies but cannot be right, or may not be whose it says: facts to check,
        # not a failure (exit 0 when nothing else is wrong)
        for warning in report.warnings:
            click.echo(f"  WARNING: {warning}")
        report_ok = True
        if report_file is not None:
            report_ok = _check_report_file(store, report_file, report)
    if not report.ok or not report_ok:
        sys.exit(EXIT_NOT_VERIFIED)


def _check_report_file(store: Store, path: Path, report) -> bool:
    from forensic.report.content import check_report_json, parse_report_json  # noqa: PLC0415

    data = path.read_bytes()
    if data.startswith(b"%PDF"):
        issued = store.report_with_pdf(chain.sha256_hex(data))
        rows = [] if issued is None else [issued]
        kind = "PDF"
    else:
        try:
            content = parse_report_json(data)  # as verify-report reads it: no repeated key
        except ValueError as exc:
            click.echo(f"{path}: neither a PDF nor a JSON report ({exc})")
            return False
        for problem in check_report_json(content):
            click.echo(f"{path}: {problem}")
            return False
        rows = store.query(
            "SELECT * FROM reports WHERE content_sha256 = ?", (content.get("content_sha256"),)
        )
        kind = "JSON"
    if not rows:
        click.echo(
            f"{path}: this {kind} is not a report recorded in this store ("
            + (_why_not_on_record(store, data) or "altered, or issued from another store")
            + ")"
        )
        return False
    row = rows[0]
    bad = [p for p in report.problems if p.table == "reports" and p.seq == row["seq"]]
    if bad:
        click.echo(f"{path}: its report record does not verify: {bad[0]}")
        return False
    if kind == "JSON":  # the same content can carry another signature block (a renamed signer)
        differs = _signature_differs(content["signature"], json.loads(row["content_json"]))
        if differs:
            click.echo(
                f"{path}: its signature block is not that of report {row['report_id']} on "
                f"record (#{row['seq']}): " + "; ".join(differs)
            )
            return False
    click.echo(
        f"{path}: report {row['report_id']} issued by {row['issued_by']} at "
        f"{utc_when(row['issued_at'])} is on record (#{row['seq']}); content SHA-256 "
        f"{row['content_sha256']}"
        + ("; it was FORCED on an unverified chain" if row["forced"] else "")
    )
    return _say_since_report(store, row, report)


def _why_not_on_record(store: Store, data: bytes) -> str | None:
    """Why a report file that verifies on its own is not on record here, from its signed
    content (its report on record as another PDF; this store cut short, forked, another
    store); None when its content does not verify (the file was altered)."""
    from forensic.custody.since import chain_standing  # noqa: PLC0415
    from forensic.report.content import check_report_json, parse_report_json  # noqa: PLC0415
    from forensic.report.pdf import embedded_content  # noqa: PLC0415

    try:
        content = embedded_content(data) if data.startswith(b"%PDF") else parse_report_json(data)
    except (ForensicError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(content, dict) or check_report_json(content):
        return None
    same = store.query(
        "SELECT * FROM reports WHERE content_sha256 = ?", (content.get("content_sha256"),)
    )
    if same:  # only a PDF: a JSON report is looked up by its content hash
        return (
            f"its signed content is that of report {same[0]['report_id']}, on record as "
            f"#{same[0]['seq']}, but not this PDF: the PDF was altered or saved again "
            "('forensic verify-report' checks its pages)"
        )
    return chain_standing(store, content)


def _say_since_report(store: Store, row: dict[str, Any], report: VerifyReport) -> bool:
    """What the store recorded for a report's exhibits after it (its record ``row``), and the
    problems of the records it states; False if one of those does not verify."""
    from forensic.custody.since import since_report  # noqa: PLC0415
    from forensic.report.content import CORRECTED_RECORDS, correction_changes  # noqa: PLC0415

    since = since_report(store, row, report)
    for problem in since.problems:
        click.echo(f"  but a record it states does not verify: {problem}")
    if since.later:
        scope = (
            f"exhibit {row['item_number']}" if row["item_number"] else f"case {row['case_number']}"
        )
        click.echo(f"  recorded for {scope} since, and not in this report:")
    for later in since.later:
        r = later.row
        said = f"#{r['seq']}"
        if r["chain_id"] != row["chain_id"]:
            said += f" (chain {r['chain_id'][:8]})"
        said += f", {utc_when(r['recorded_at'])} by {r['signer']}: "
        if later.corrects is not None:
            what = CORRECTED_RECORDS.get(later.table, later.table)
            changes = [c["stated"] for c in correction_changes(later.table, later.corrects, r)]
            said += f"correction of the {what} #{later.corrects['seq']} this report states: " + (
                "; ".join(changes) or "nothing stated differs"
            )
        elif later.table == "measurements":
            records = "".join(f", result #{result['seq']}" for result in later.results)
            verdicts = "; ".join(_result_line(result) for result in later.results)
            said += f"analysis of {r['item_number']} (measurement #{r['seq']}{records}): " + (
                verdicts or "no result recorded"
            )
        elif later.table == "results":
            said += f"new result of a measurement this report states: {_result_line(r)}"
        elif later.table == "reports":
            scope = f"exhibit {r['item_number']}" if r["item_number"] else "the whole case"
            said += f"{_record_line('reports', r)} on {scope}"
        elif later.table == "custody_events":
            said += f"custody of {r['item_number']}: {_record_line('custody_events', r)}"
        else:
            said += _record_line(later.table, r)
        click.echo(f"  - {said}")
    return not since.problems


def _signature_differs(signature: dict[str, Any], recorded: dict[str, Any]) -> list[str]:
    """How a report's signature block differs from that of the report on record: its key,
    its signer, its fingerprint, its signature value."""
    on_record = recorded.get("signature") or {}
    named = {
        "signed_by": "the signer",
        "key_fingerprint": "the key fingerprint",
        "public_key": "the public key",
        "value": "the signature",
    }
    keys = [*named, *sorted((set(signature) | set(on_record)) - set(named))]
    return [
        f"{named.get(key, key)} reads {signature.get(key)!r} where the record has "
        f"{on_record.get(key)!r}"
        for key in keys
        if signature.get(key) != on_record.get(key)
    ]


# -- report ----------------------------------------------------------------------------------------


@main.command(example="forensic report 2026-0412 A1 --out A1.pdf --operator 'Ann Example'")
@click.argument("case_number", callback=_label)
@click.argument("item_number", required=False, callback=_label)
@click.option(
    "--out", "pdf_path", required=True, type=click.Path(path_type=Path), help="PDF file to write."
)
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Also write JSON.")
@click.option("--text", "text_path", type=click.Path(path_type=Path), help="Also write plain text.")
@click.option("--unit", help="Issuing unit (default: the case's, or $FORENSIC_UNIT).")
@click.option("--location", help="Location (default: the case's, or $FORENSIC_LOCATION).")
@click.option(
    "--force",
    is_flag=True,
    help="Replace existing files (the PDF of a report on record there is kept beside it, "
    "named by its report id).",
)
@click.option(
    "--unverified",
    is_flag=True,
    help="Issue the report even though the custody chain of what it states does not verify: "
    "every page then says UNVERIFIED, and the command exits 3.",
)
@operator_option
@clock_option
@store_option
def report(
    *,
    case_number,
    item_number,
    pdf_path,
    json_path,
    text_path,
    unit,
    location,
    force,
    unverified,
    operator,
    store_path,
):
    """Issue the signed report of a case (or one exhibit): PDF, and JSON / text if asked.

    A chain of custody that does not verify is checked first, and refuses the report (exit
    3); with --unverified the report is issued marked UNVERIFIED, and the command still
    exits 3.
    """
    from forensic.report.issue import issue_report, kept_said  # noqa: PLC0415

    with _open(store_path, create=False, operator=operator, case_number=case_number) as (
        store,
        signer,
    ):
        case_location = (store.get_case(case_number) or {}).get("location")
        issued = issue_report(
            store,
            case_number,
            item_number,
            operator=signer,
            pdf_path=pdf_path,
            json_path=json_path,
            text_path=text_path,
            unverified=unverified,
            overwrite=force,
            unit=unit,
            location=location,
        )
    forced = issued.content["verification"]["forced"]
    if forced:
        problems = issued.content["verification"]["problems"]
        click.secho(
            f"WARNING: the custody chain does not verify (first bad record: {problems[0]}); "
            "the report is issued marked UNVERIFIED on every page (--unverified)",
            err=True,
            bold=True,
        )
    elsewhere = issued.content["verification"]["problems_elsewhere"]
    if elsewhere:
        click.secho(
            f"WARNING: the store does not verify: {len(elsewhere)} problem(s) in records "
            f"outside this report (first: {elsewhere[0]}); the report says so under Integrity "
            "and Limitations",
            err=True,
            bold=True,
        )
    _say_location_unset(issued.content)
    _say_analysed_elsewhere(issued.content, given=location, case_location=case_location)
    for line in kept_said(issued.kept):
        click.echo(line)
    for path in issued.paths:
        click.echo(f"written: {path}")
    click.echo(
        f"report {issued.content['report_id']} (record #{issued.record['seq']}); "
        f"content SHA-256 {issued.content['content_sha256']}; PDF SHA-256 "
        f"{issued.pdf_sha256}"
    )
    if forced:  # issued, but on a chain that does not verify: as a refusal for it exits
        sys.exit(UnverifiedChainError.exit_code)


@main.command("verify-report")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def verify_report(ctx: click.Context, files: tuple[Path, ...]) -> None:
    """Check report FILES on their own, without the store they were issued from.

    A PDF carries its signed content (an attached report.json): its hash and signature must
    verify and every page must say what it says. A JSON report is checked the same way,
    without the pages. Who signed is shown with the key's fingerprint: compare it with the
    one the operator published. That a report is on record in a store is
    'forensic custody verify --report'. Exit 0 if every file verifies, 1 if one does not
    (a report damaged or altered so that it cannot be read included), 2 if one shows no sign
    of being a report at all.
    """
    from forensic.report.content import check_report_json, parse_report_json  # noqa: PLC0415
    from forensic.report.pdf import (  # noqa: PLC0415
        DamagedReportError,
        check_report_pdf,
        report_marks,
    )

    failed = unreadable = False
    for path in files:
        try:
            data = path.read_bytes()
            if data.startswith(b"%PDF"):
                try:
                    content, problems = check_report_pdf(data, str(path))
                except DamagedReportError as exc:  # a report damaged or altered: not verified
                    content, problems = {}, [exc.reason]
                what = "its pages say what it signed"
            else:
                why = "it is not one JSON object with a signature block"
                try:
                    content = parse_report_json(data)
                except (ValueError, UnicodeDecodeError) as exc:
                    content, why = None, f"it is not JSON ({exc})"
                marks = report_marks(data)
                # a report, damaged or altered, begins as JSON or ends as a PDF; a store or an
                # archive that holds reports is none
                ends_as_pdf = b"%%EOF" in data[-1024:]
                begins_as_json = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"
                if isinstance(content, dict) and "signature" in content:
                    problems = check_report_json(content)
                elif marks and (begins_as_json or ends_as_pdf):  # damaged or altered
                    if ends_as_pdf:  # a PDF's end, not its start
                        why = "it does not start with %PDF"
                    content = {}
                    problems = [
                        f"the file is damaged or altered: it carries {', '.join(marks)}, but {why}"
                    ]
                elif marks:
                    raise CustodyError(
                        f"{path}: neither a PDF nor a JSON report, though it holds "
                        f"{', '.join(marks)} (an evidence store, an archive?): give the "
                        "report's own file"
                    )
                else:
                    raise CustodyError(f"{path}: neither a PDF nor a JSON report")
                what = "JSON"
        except OSError as exc:
            click.echo(f"error: {path}: cannot be read: {exc.strerror or exc}", err=True)
            unreadable = True
            continue
        except InstallationError:  # this computer cannot check any report: not the file's fault
            raise
        except ForensicError as exc:
            click.echo(f"NOT A REPORT: {exc}")
            unreadable = True
            continue
        if problems:
            failed = True
            click.echo(f"{path}: NOT VERIFIED: {problems[0]}")
            for problem in problems[1:]:
                click.echo(f"  also: {problem}")
            continue
        try:
            lines = _report_summary(content)
        except (KeyError, TypeError, AttributeError, IndexError) as exc:
            failed = True
            click.echo(f"{path}: NOT VERIFIED: it lacks a report's fields ({exc!r})")
            continue
        click.echo(f"{path}: VERIFIED ({what}): {lines[0]}")
        for line in lines[1:]:
            click.echo(f"  {line}")
    if failed or unreadable:
        ctx.exit(EXIT_NOT_VERIFIED if failed else EXIT_BAD_INPUT)


def _report_summary(content: dict[str, Any]) -> list[str]:
    """What a verified report says, for its reader: who signed it with which key (the
    fingerprint computed from the key that signed, and whether the signature covers the
    name), its banners and its verdicts."""
    from forensic.custody.keys import fingerprint  # noqa: PLC0415
    from forensic.report.content import signer_name_unsigned  # noqa: PLC0415
    from forensic.report.layout import not_measured_note, utc_when  # noqa: PLC0415
    from forensic.verdict import verdict_line  # noqa: PLC0415

    signature = content["signature"]
    unsigned = signer_name_unsigned(content)
    lines = [
        f"report {content['report_id']}, case {content['case']['case_number']}, issued "
        f"{utc_when(content['dates']['issued'])} by {signature['signed_by']}"
        + (" (a name its signature does not cover)" if unsigned else "")
        + f", key fingerprint {fingerprint(signature['public_key'])}; content SHA-256 "
        f"{content['content_sha256']}"
    ]
    if unsigned:
        lines.append(unsigned)
    if content["verification"]["forced"]:
        lines.append("it was FORCED on a chain of custody that did not verify")
    elsewhere = content["verification"].get("problems_elsewhere") or []
    if elsewhere:
        lines.append(
            f"the store it was issued from did not verify: {len(elsewhere)} problem(s) in "
            f"records the report does not state (first: {elsewhere[0]})"
        )
    note = not_measured_note(content)  # which analyses, as the report's footer says
    if note:
        lines.append(note)
    for exhibit in content["exhibits"]:
        for analysis in exhibit["analyses"]:
            item = exhibit["label"]["item_number"]
            said = verdict_line(analysis["identification"], layout=content.get("layout", 1))
            lines.append(f"{item}: {said}")
    return lines


# -- bundle ----------------------------------------------------------------------------------------


@main.group()
def bundle() -> None:
    """Hand-over bundles (van to lab): export a case, import it elsewhere."""


@bundle.command("export")
@click.argument("case_number", callback=_label)
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Zip file to write.")
@click.option("--force", is_flag=True, help="Replace an existing file.")
@operator_option
@clock_option
@store_option
def bundle_export(case_number, out, force, operator, store_path):
    """Write a case's records, raw spectra, reports and public keys to a signed zip."""
    from forensic.custody.bundle import export_bundle  # noqa: PLC0415

    with _open(store_path, create=False, operator=operator, case_number=case_number) as (
        store,
        signer,
    ):
        manifest = export_bundle(store, case_number, out, operator=signer, overwrite=force)
    click.echo(
        f"bundle written: {out} ({manifest['record_count']} records, "
        f"{len(manifest['files'])} files, signed by {manifest['exported_by']}, key "
        f"{manifest['exporter_key_fingerprint'][:16]})"
    )


@bundle.command("import")
@click.argument("bundle_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@operator_option
@clock_option
@store_option
def bundle_import(bundle_file, operator, store_path):
    """Verify a bundle completely, then add it to the store (nothing is added on any failure)."""
    from forensic.custody.bundle import import_bundle  # noqa: PLC0415

    with _open(store_path, operator=operator, refusal_leaves_nothing=True) as (store, signer):
        summary = import_bundle(store, bundle_file, operator=signer)
    click.echo(
        f"bundle verified and imported: case {summary.case_number}, "
        f"{summary.new_records} new records ({summary.known_records} already here); "
        f"exported by {summary.exported_by} with key "
        f"{summary.exporter_key_fingerprint[:16]} (check this fingerprint with them)"
    )
