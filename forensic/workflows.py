"""Workflows that compose the areas: ``scan`` goes from instrument to signed report.

These are plain functions; the CLI calls them, and so can tests and notebooks.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import shlex
import signal
import time
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from forensic.commands import PLACEHOLDER, command, options
from forensic.custody.continuity import (
    custody_doubts,
    custody_holder,
    in_time_order,
    same_statement,
    seals_in_force,
)
from forensic.custody.filing import filed_in_error, refuse_if_filed_in_error
from forensic.custody.keys import operator_name
from forensic.custody.known_stores import check_new_store
from forensic.custody.statements import same_description
from forensic.custody.store import (
    NOT_DESCRIBED,
    Store,
    StoreBusyError,
    StoreGoneError,
    as_label,
    case_typed_with_a_slip,
    raw_sha256,
    refuse_seal_of_another,
    stated_description,
    utc_when,
)
from forensic.custody.unrecorded import keep_unrecorded, temporary_note
from forensic.errors import (
    CustodyError,
    DriverBug,
    ForensicError,
    Interrupted,
    LibraryError,
    OutOfRangeError,
    holding_signals,
    receiving_spectrum,
)
from forensic.files import OutputExistsError, output_named
from forensic.instruments import driver_bugs, held_instrument, unclosed_warning
from forensic.naming import (
    lookalike_note,
    lookalike_notes,
    lookalike_remarks,
    mixes_scripts,
    nearest_number,
    read_as_latin,
)
from forensic.operators import Signer, who_signs
from forensic.report.content import custody_limitations, exhibit_custody_limitations
from forensic.report.issue import IssuedReport, check_report_outputs, free_name, issue_report
from forensic.verdict import verdict_line

__all__ = [
    "SCAN_STAGES",
    "STORE_WAIT_S",
    "Discrepancy",
    "DriverBug",
    "SavedIdentification",
    "ScanIncomplete",
    "ScanResult",
    "identify_saved",
    "label_discrepancies",
    "scan",
]

SCAN_STAGES = (
    "connect",
    "case",
    "custody",
    "acquire",
    "store",
    "identify",
    "record",
    "report",
)
"""The stages ``scan`` reports to its ``progress`` callback, in order."""


class ScanIncomplete(ForensicError):
    """The raw spectrum is saved, but a later stage (identification, recording the result,
    the report) failed: measuring again is not the cure, and would use up evidence.

    Its parts (:class:`~forensic.errors.SaidInParts`): what failed, in the words of the error
    that failed it; that error's warning; what is recorded (``DO NOT MEASURE AGAIN: the raw
    spectrum is saved (measurement record #5, ...)``); and what to do, the commands that
    finish the scan's work. Build one with :meth:`after`.
    """

    exit_code = 4

    @classmethod
    def after(
        cls, cause: ForensicError, problem: str, recorded: str, advice: str | None
    ) -> ScanIncomplete:
        """The failure of a scan that ``cause`` failed after its raw spectrum was saved.

        Parameters
        ----------
        cause : ForensicError
            The error that failed the stage: its warning is kept, and what it says it
            recorded is said after ``recorded``.
        problem : str
            What failed, with the cause's own words (its :attr:`problem`).
        recorded : str
            What the scan recorded, and that it is not to be measured again.
        advice : str or None
            What to do, one action: the commands that finish the scan's work, after what
            the cause says to do (:func:`_then`).

        Returns
        -------
        ScanIncomplete
            To be raised ``from cause``.
        """
        error = cls(problem)
        error.warning = cause.warning
        error.recorded = "; ".join(part for part in (recorded, cause.recorded) if part)
        error.advice = advice
        return error


def _then(cause: ForensicError, left: str) -> str:
    """What to do after ``cause`` failed a scan's stage, which ``left`` the commands that
    finish it to run: what the cause says to do first, when it says (one ``to do:``, not two),
    else to put it right."""
    return cause.advice_before(left, otherwise=f"once that is put right, {left}")


@dataclass(frozen=True)
class ScanResult:
    """Everything one scan recorded (rows of the store) and produced.

    ``identification`` is the result as identification produced it, with the warnings of the
    scan's statements the records contradict: its ``advice`` (what the technician can do about
    its warnings) is for their screen, and is not in the recorded result. ``custody`` is what
    the report's limitations say of the exhibit's custody.

    Attributes
    ----------
    case, exhibit, custody_event, measurement, result : dict
        The records of the store the scan made or used: the case, the exhibit, the custody
        event (the receipt recorded, or the one already in the log), the measurement of the raw
        spectrum and the signed result.
    identification : dict
        The result as identification produced it, with its ``advice``.
    report : IssuedReport or None
        The report issued; None when no report file was asked for.
    custody : tuple of str
        What the report says of the exhibit's custody.
    """

    case: dict[str, Any]
    exhibit: dict[str, Any]
    custody_event: dict[str, Any]
    measurement: dict[str, Any]
    result: dict[str, Any]
    identification: dict[str, Any]
    report: IssuedReport | None
    custody: tuple[str, ...] = ()
    """What the exhibit's report says (or, with no report, would say) of its custody among its
    limitations (:func:`~forensic.report.content.custody_limitations`): a broken seal, a
    break in the log, for the screen to show as the report does."""

    @property
    def verdict(self) -> str:
        """The verdict in plain words (``IDENTIFIED: ...``, ``INCONCLUSIVE``, ``NO MATCH ...``)."""
        return verdict_line(self.identification)


def _default_open_instrument(url: str, library: Any = None) -> Any:
    """The instrument at ``url``; a simulator's ``sample=`` names are looked up in the library
    folder scanned against (``library``), else in the shipped one (a compiled ``.flib`` holds
    no spectra to simulate from)."""
    from drivers.urls import open_instrument  # noqa: PLC0415  (drivers are an optional edge)
    from forensic.samples import resolve_sample  # noqa: PLC0415

    resolver = resolve_sample
    if isinstance(library, (str, os.PathLike)) and Path(library).is_dir():
        resolver = functools.partial(resolve_sample, library_dir=Path(library))
    return open_instrument(url, sample_resolver=resolver)


def _reference_library(library: Any, on_compile: Callable[[Path], None] | None = None) -> Any:
    """``library`` as a Library (a .flib or folder path, None: the shipped one), loaded now: a
    wrong path fails before anything is recorded or the laser fires. ``on_compile`` is told
    before a folder is compiled (seconds, on the first run only)."""
    from forensic.library import Library  # noqa: PLC0415
    from forensic.library_folders import open_reference_library  # noqa: PLC0415

    if isinstance(library, Library):
        return library
    return open_reference_library(library, on_compile=on_compile)


def _identify_against(reference: Any) -> Callable[[Any], dict[str, Any]]:
    from forensic.identification import identify  # noqa: PLC0415

    return lambda spectrum: identify(spectrum, reference).to_dict()


def _check_measurable(reference: Any, instrument: Any) -> None:
    """Refuse, before anything is recorded, a library with no references of what the
    instrument measures (when its driver says)."""
    measures = getattr(instrument, "modality", None)
    if reference is not None and measures and measures not in reference.modalities:
        held = " and ".join(reference.modalities) or "no"
        raise LibraryError(
            f"the instrument measures {measures} spectra but the library holds only {held} "
            "references: nothing could be identified (choose another --library)"
        )  # while connecting: the scan says that nothing was recorded, on a line of its own


SCAN_PURPOSE = "screening analysis (forensic scan)"


def _says(stated: Any, recorded: Any) -> bool:
    """Whether a record already says what a scan states (None states nothing)."""
    if stated is None:
        return True
    if isinstance(stated, str) and isinstance(recorded, str):
        return same_statement(stated, recorded)
    return stated == recorded


class Discrepancy(NamedTuple):
    """A scan's statement that an exhibit's records contradict.

    ``fact`` is what was stated and what the records say, as it is recorded (in the notes of
    a receipt, among the result's warnings) and read in the report's limitations; ``action``
    is what the technician should do about it, shown on their screen only.

    Attributes
    ----------
    fact : str
        What was stated and what the records say.
    action : str
        What the technician should do about it.
    """

    fact: str
    action: str


def label_discrepancies(
    exhibit: Mapping[str, Any],
    custody: Sequence[Mapping[str, Any]],
    *,
    description: str | None,
    seal_number: str | None,
    store: str | os.PathLike | None = None,
    operator: str | None = None,
) -> list[Discrepancy]:
    """What a scan states about an exhibit that its records say otherwise.

    A scan never changes an exhibit's label (records are only appended, and the first
    statement stays as it was made): a description or seal that differs from the records is
    either another item under this number, packaging changed without a record, or a wrong
    label, and the technician has to find out which.

    Parameters
    ----------
    exhibit : mapping
        The exhibit's current label (a row of the store's ``exhibits``).
    custody : sequence of mapping
        Its custody events, in the order they happened
        (:func:`~forensic.custody.continuity.in_time_order`). A seal is compared with the
        last seal they record (an exhibit re-sealed after an earlier analysis is recorded
        with its new seal), else with the label's.
    description, seal_number : str or None
        What the scan states (``--description``, ``--seal``); None states nothing. A
        description that differs from the label's only in punctuation, letter case or
        spacing says the same (:func:`~forensic.custody.statements.same_description`); a
        seal number differs in punctuation too.
    store, operator : optional
        The store's file and who scans: the commands an action gives name them, so that
        pasted they record in that store, signed by that operator.

    Returns
    -------
    list of Discrepancy
        One per discrepancy: the fact, naming both statements and the record that holds the
        earlier one, and the technician's action; empty when the scan states nothing the
        records contradict.
    """
    item = exhibit["item_number"]
    correct = _correct_label(exhibit, store=store, operator=operator)
    found = []
    if description and description.strip():
        recorded = exhibit["description"]
        if stated_description(recorded) == NOT_DESCRIBED:
            found.append(
                Discrepancy(
                    f"the technician who scanned {item} described it as "
                    f"{description.strip()!r}, but its label (record #{exhibit['seq']}) was "
                    "made without a description and was not changed",
                    f"complete the label with {correct}",
                )
            )
        elif not same_description(description, recorded):
            found.append(
                Discrepancy(
                    f"the technician who scanned {item} described it as "
                    f"{description.strip()!r}, but its label (record #{exhibit['seq']}) says "
                    f"{recorded!r} and was not changed: either the item scanned is not the "
                    "item labelled, or one of the two descriptions is wrong",
                    "check that this is the same item (another item needs its own exhibit "
                    f"number), and correct a wrong label with {correct}",
                )
            )
    if seal_number and seal_number.strip():
        sealed = [event for event in custody if event["seal_number"]]
        if sealed:
            recorded, where = sealed[-1]["seal_number"], f"custody record #{sealed[-1]['seq']}"
        else:
            recorded, where = exhibit["seal_number"], f"label record #{exhibit['seq']}"
        if (
            recorded
            and not same_statement(seal_number, recorded)
            and same_statement(read_as_latin(seal_number), read_as_latin(recorded))
        ):
            # the same seal, typed with letters of another script: no re-sealing to record
            found.append(
                Discrepancy(
                    f"the technician who scanned {item} stated seal {seal_number.strip()!r} on "
                    f"it, which prints like the seal last recorded for it, {recorded!r} "
                    f"({where}), but in other letters"
                    + _printed_alike(seal_number.strip(), recorded, "seal number"),
                    "check that the seal is the one recorded, and type its number as the "
                    "records write it ("
                    + command(
                        "exhibit",
                        "show",
                        exhibit["case_number"],
                        item,
                        store=None if store is None else Path(store),
                    )
                    + " shows it)",
                )
            )
        elif recorded and not same_statement(seal_number, recorded):
            found.append(
                Discrepancy(
                    f"the technician who scanned {item} stated seal {seal_number.strip()!r} on "
                    f"it, but the seal last recorded for it is {recorded!r} ({where}): no "
                    "record says who re-sealed it, or one of the two seal numbers is wrong",
                    "check the packaging, and record who re-sealed it with "
                    + command(
                        "custody",
                        "add",
                        exhibit["case_number"],
                        item,
                        received_by=PLACEHOLDER,
                        released_by=PLACEHOLDER,
                        purpose=PLACEHOLDER,
                        seal=seal_number.strip(),
                        store=None if store is None else Path(store),
                        operator=operator,
                    ),
                )
            )
    return found


def _correct_label(
    exhibit: Mapping[str, Any],
    *,
    store: str | os.PathLike | None = None,
    operator: str | None = None,
) -> str:
    """The command that corrects an exhibit's current label (its description to fill in)."""
    return command(
        "exhibit",
        "add",
        exhibit["case_number"],
        exhibit["item_number"],
        description=PLACEHOLDER,
        corrects=exhibit["hash"][:16],
        store=None if store is None else Path(store),
        operator=operator,
    )


_READ_AS_DIGITS = str.maketrans({"o": "0", "i": "1", "l": "1"})
"""The letters a number is mistyped with, or misread as, and the digits they look like (after
letter case is set aside): O for zero, I or l for one."""


def _comparable(label: str) -> frozenset[str]:
    """The ways a case or exhibit number reads to a person who copies it from a bag's label:
    two numbers are twins when they share one (:func:`_twins`).

    Letter case, spaces, punctuation and the width of a character never count ("demo-1",
    "DEMO 1", "DEMO-1" and the full-width "ＤＥＭＯ-１" of an East Asian keyboard are the same
    number). Nor do the leading zeros of a run of digits ("A01" is "A1", "2026-412" is
    "2026-0412"), nor letters that look like digits ("DEMO-l" and "DEMO-I" are "DEMO-1",
    "2026-O412" is "2026-0412", "B0X" is "BOX"), nor the script of a letter that prints like
    a Latin letter or a digit (:func:`~forensic.naming.read_as_latin`: Cyrillic "ЗАК-1" is
    "3AK-1", and "DEMО-1" with a Cyrillic О is "DEMO-1").

    Each is a reading of its own, so one does not undo another: a zero is dropped where it
    was typed as a digit, and an O read as a zero too (zero padding typed with the letter:
    "AO1" is "A01", so "A1"; "2026-O412" is "2026-412") but after a word, two letters or
    more, whose letter it is ("DEMO1" and "DEM1" are two numbers, as are "DEMO-1" and
    "DEM-1"); a zero that is a whole run stays ("A0" is not "A"). Letters of another script
    are read as Latin ones before letter case is set aside (a Greek Ν prints like N, its small
    ν like v), and each reading is also made with them as typed, so that a number stays the
    twin of itself in the other letter case ("Ν-1" and "ν-1", "Γ-1" and "γ-1").
    """

    def bare(value: str) -> str:
        return re.sub(r"[\W_]+", "", value)

    def without_zeros(value: str) -> str:
        return re.sub(r"\d+", lambda run: run[0].lstrip("0") or "0", value)

    readings: set[str] = set()
    for text in {
        unicodedata.normalize("NFKC", label).casefold(),
        read_as_latin(label).casefold(),
    }:
        readings |= {
            bare(text),
            bare(text).translate(_READ_AS_DIGITS),
            bare(without_zeros(text)).translate(_READ_AS_DIGITS),
            bare(_padding_read_as_digits(text)),
        }
    return frozenset(readings)


def _padding_read_as_digits(text: str) -> str:
    """``text`` (casefolded) with look-alike letters read as digits, then the leading zeros of
    each run of digits dropped, but for a run whose zeros include an O after more than one
    letter, which is kept whole: the O of a word ("demo1") is no zero padding."""
    digits = text.translate(_READ_AS_DIGITS)

    def unpadded(run: re.Match[str]) -> str:
        kept = run[0].lstrip("0") or "0"
        padding = text[run.start() : run.end() - len(kept)]
        before = digits[max(run.start() - 2, 0) : run.start()]
        after_word = len(before) == 2 and before.isalpha()
        return run[0] if "o" in padding and after_word else kept

    return re.sub(r"\d+", unpadded, digits)


def _twins(one: str, other: str) -> bool:
    """Whether two case or exhibit numbers read the same (:func:`_comparable`)."""
    return bool(_comparable(one) & _comparable(other))


def _refuse_near_duplicates(
    db: Store,
    case_number: str,
    item_number: str,
    *,
    operator: str,
    ending: str = ". Nothing was recorded",
) -> None:
    """Refuse a scan that would open a case, or label an exhibit, whose number differs from an
    existing one only in letter case, spaces, punctuation, leading zeros, letters that look
    like digits or letters of another script that print like Latin ones (:func:`_twins`):
    almost always a typing error,
    which would file the measurement under a second number that no record can ever merge
    with the first. A new number meant as such is opened first on purpose (``forensic case
    new``, ``forensic exhibit add``), and a scan then adds to it. So is a new number that
    mixes scripts (:func:`~forensic.naming.mixes_scripts`: a Cyrillic О among Latin letters),
    almost always a keyboard set to another layout for a letter, which the store records only
    when it is confirmed (``--mixed-scripts``), and a new case number that is a recorded one
    typed with one slip of the hand (:func:`~forensic.custody.store.case_typed_with_a_slip`:
    ``2026-0421`` or ``2026-041`` for ``2026-0412``; not ``2026-0413``, the next case).

    A scan checks before anything is recorded or the laser fires, and again in the
    transaction that opens the case and the exhibit (another scan may have opened the other
    spelling meanwhile), where its failure handler says what is recorded (``ending=""``)."""
    case_number, item_number = as_label(case_number), as_label(item_number)
    if db.get_case(case_number) is None:
        near = [
            row["case_number"]
            for row in db.current("cases")
            if _twins(row["case_number"], case_number)
        ]
        open_it = command(
            "case",
            "new",
            case_number,
            mixed_scripts=mixes_scripts(case_number),
            store=db.db_path,
            operator=operator,
        )
        if near:
            raise CustodyError(
                f"there is no case {case_number!r} in {db.db_path}, but there is case "
                f"{near[0]!r}{_printed_alike(case_number, near[0], 'case number')}: scan "
                f"again with --case {shlex.quote(near[0])}; if {case_number!r} is a new "
                f"case, open it first with {open_it}{ending}"
            )
        if mixes_scripts(case_number):
            raise CustodyError(
                f"{lookalike_note(case_number, 'case number')}; type it again in one script, "
                f"or, if the label writes it so, open the case first with {open_it}{ending}"
            )
        slipped = case_typed_with_a_slip(db, case_number)
        if slipped is not None:
            recorded, slip = slipped
            raise CustodyError(
                f"there is no case {case_number!r} in {db.db_path}, but there is case "
                f"{recorded!r}, which reads the same but for one slip ({slip}): to scan an "
                f"exhibit of that case, scan again with --case {shlex.quote(recorded)}; if "
                f"{case_number!r} is a new case, open it first with {open_it}{ending}"
            )
        exhibits = []  # a new case has none: its exhibit number may still mix scripts
    elif db.get_exhibit(case_number, item_number) is None:
        exhibits = db.exhibits(case_number)
    else:
        return
    near = [row["item_number"] for row in exhibits if _twins(row["item_number"], item_number)]
    label_it = command(
        "exhibit",
        "add",
        case_number,
        item_number,
        description=PLACEHOLDER,
        mixed_scripts=mixes_scripts(item_number),
        store=db.db_path,
        operator=operator,
    )
    if near:
        raise CustodyError(
            f"case {case_number} has no exhibit {item_number!r}, but it has exhibit "
            f"{near[0]!r}{_printed_alike(item_number, near[0], 'exhibit number')}: scan "
            f"again with --exhibit {shlex.quote(near[0])}; if {item_number!r} is another "
            f"item, label it first with {label_it}{ending}"
        )
    if mixes_scripts(item_number):
        raise CustodyError(
            f"{lookalike_note(item_number, 'exhibit number')}; type it again in one script, "
            f"or, if the label writes it so, label it first with {label_it}{ending}"
        )


def _printed_alike(given: str, recorded: str, what: str) -> str:
    """Why a number given and its recorded twin look alike, where it is that letters of
    another script print like Latin ones in either (:func:`~forensic.naming.lookalike_note`),
    in parentheses; else nothing. Without it the two would read the same on the screen, and
    a message that names both as different numbers would make no sense."""
    said = lookalike_notes((given, f"the {what} given"), (recorded, f"the recorded {what}"))
    return f" ({said})" if said else ""


def _refuse_a_custody_break(
    db: Store,
    exhibit: Mapping[str, Any],
    events: Sequence[Mapping[str, Any]],
    *,
    operator: str,
    received_from: str | None,
    ending: str,
) -> None:
    """Refuse a scan whose receipt would be a break in the exhibit's custody
    (:func:`~forensic.custody.continuity.custody_gaps`): one from nobody, when the records say
    someone else holds it (:func:`~forensic.custody.continuity.custody_holder`: who received
    it last, or who collected it), or one from someone they do not say holds it.

    A receipt is recorded for good, and every report of the exhibit would list the break;
    the scan knows who holds the exhibit before it records anything, and the mistake (another
    exhibit's number, a hand-over not stated, or one not recorded) is put right before it.
    Checked before anything is recorded or the laser fires, and again in the transaction that
    records the receipt (another process may have recorded a hand-over meanwhile), where the
    scan's failure handler says what is recorded (``ending=""``).

    Raises
    ------
    CustodyError
        Naming who holds the exhibit, the record that says so, and what to give instead.
    """
    holder = custody_holder(events, exhibit=exhibit)
    if holder is None:
        return
    if same_statement(received_from or operator, holder.name):
        return  # handed over by its holder, or held by the operator already
    case_number, item_number = exhibit["case_number"], exhibit["item_number"]
    stated = holder.stated(item_number)
    if received_from is None:
        raise CustodyError(
            f"{stated}: a receipt by {operator} from nobody would record a break in its custody, "
            f"for good. If {holder.name} handed it to you, scan again with --received-from "
            f"{shlex.quote(holder.name)}; if not, check the case and exhibit numbers{ending}"
        )
    record_it = command(
        "custody",
        "add",
        case_number,
        item_number,
        released_by=holder.name,
        received_by=received_from,
        purpose=PLACEHOLDER,
        store=db.db_path,
        operator=operator,
    )
    if same_statement(operator, holder.name):
        what_to_do = (
            f"If {received_from} had it from you meanwhile, record that hand-over first with "
            f"{record_it} and scan again; if not, scan again without --received-from"
        )
    else:
        what_to_do = (
            f"If {holder.name} handed it to you, scan again with --received-from "
            f"{shlex.quote(holder.name)}; if {received_from} did, record that hand-over to "
            f"{received_from} first with {record_it} and scan again"
        )
    raise CustodyError(
        f"{stated}, not {received_from}: a receipt from {received_from} would record a break "
        f"in its custody, for good. {what_to_do}{ending}"
    )


def _held_as_stated(
    exhibit: Mapping[str, Any],
    events: Sequence[Mapping[str, Any]],
    *,
    operator: str,
    received_from: str | None,
    seal_intact: bool | None,
    seal_number: str | None,
) -> Mapping[str, Any] | None:
    """The custody event that already records what a scan would receive the exhibit with,
    or None when the scan is to record a receipt.

    The custody log already says so when the operator holds the exhibit (the receiver of the
    last event in the order they happened, :func:`~forensic.custody.continuity.in_time_order`;
    a name in any letter case or spacing is the one recorded, as the log compares them) and
    the scan states nothing that event does not: who released it (``received_from``), the
    seal's state and number. A receipt with no release between would be a hand-over that
    never happened: a scan run again after a failure, a second scan, or a scan by whoever
    signed for the exhibit with ``forensic custody add``. A seal number says nothing new when
    it is the seal the log says is on the exhibit
    (:func:`~forensic.custody.continuity.seals_in_force`: the last one stated, by a hand-over
    or the label).
    """
    events = in_time_order(events)
    latest = events[-1] if events else None
    if latest is None or not same_statement(operator, latest["received_by"]):
        return None
    stated = {
        "released_by": received_from,
        "seal_intact": None if seal_intact is None else int(seal_intact),
        # the seal the log says is on it: a receipt that stated none keeps the one stated
        # before it, or the label's
        "seal_number": seal_number,
    }
    recorded = {**latest, "seal_number": seals_in_force(events, exhibit["seal_number"])[-1]}
    if all(_says(value, recorded[key]) for key, value in stated.items()):
        return latest
    return None


def _already_received(
    db: Store,
    exhibit: Mapping[str, Any],
    events: Sequence[Mapping[str, Any]],
    *,
    operator: str,
    received_from: str | None,
    seal_intact: bool | None,
    seal_number: str | None,
    ending: str = ". Nothing was recorded, and the laser did not fire",
) -> Mapping[str, Any] | None:
    """The custody event that already records what a scan states (:func:`_held_as_stated`),
    or None when its receipt is to be recorded; a receipt that would be a break in the
    exhibit's custody is refused (:func:`_refuse_a_custody_break`, with ``ending``)."""
    held = _held_as_stated(
        exhibit,
        events,
        operator=operator,
        received_from=received_from,
        seal_intact=seal_intact,
        seal_number=seal_number,
    )
    if held is None:
        _refuse_a_custody_break(
            db, exhibit, events, operator=operator, received_from=received_from, ending=ending
        )
    return held


def _receipt(
    db: Store,
    exhibit: Mapping[str, Any],
    *,
    operator: str,
    received_from: str | None,
    seal_intact: bool | None,
    seal_number: str | None,
    notes: str | None = None,
    location: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """The custody event of a scan, and whether it is new.

    A scan records that the operator receives the exhibit, unless the custody log already
    says so (:func:`_already_received`, in the transaction that would record the receipt,
    where one that would be a break in the exhibit's custody is refused). The label's seal
    number is recorded on a new receipt when the operator states none, but is not a
    statement of its own; ``notes`` (what the scan states that the records contradict) and
    ``location`` (where the scan takes place, as its measurement records it:
    :func:`_where_measured`) go on a new receipt, from someone (``received_from``) or not.
    """
    case_number, item_number = exhibit["case_number"], exhibit["item_number"]
    with db.transaction():
        held = _already_received(
            db,
            exhibit,
            db.custody_events(case_number, item_number),
            operator=operator,
            received_from=received_from,
            seal_intact=seal_intact,
            seal_number=seal_number,
            ending="",
        )
        if held is not None:
            return dict(held), False
        event = db.add_custody_event(
            case_number,
            item_number,
            operator=operator,
            received_by=operator,
            released_by=received_from,
            purpose=SCAN_PURPOSE,
            seal_intact=seal_intact,
            seal_number=seal_number or exhibit["seal_number"],
            notes=notes,
            location=location,
        )
        return event, True


_WARNING_LINE = "\n        WARNING: "
_NOTE_LINE = "\n        note: "


def _lookalike_lines(*numbers: tuple[str | None, str]) -> str:
    """A line under a progress line for each number the scan records that holds letters of
    another script that print like Latin letters or digits
    (:func:`~forensic.naming.lookalike_remarks`): a note for a number whole in its script, a
    WARNING for one that mixes scripts (a seal number; a case or exhibit number that does is
    refused unless opened on purpose). Each ``(value, what)``; None is not said."""
    return "".join(f"\n        {remark.line}" for remark in lookalike_remarks(*numbers))


def _custody_line(
    operator: str,
    item_number: str,
    event: Mapping[str, Any],
    recorded: bool,
    *,
    discrepancies: Sequence[Discrepancy] = (),
    undescribed: str | None = None,
    signed_as: str | None = None,
    named_alike: str | None = None,
) -> str:
    """The scan's progress line on custody, with a warning for each of the scan's statements
    the records contradict, and each doubt its receipt made, each with what to do (a receipt
    that would be a break in the log is refused: :func:`_refuse_a_custody_break`); when
    the exhibit's label has no description, the command (``undescribed``) that completes
    it; and first, when the operator signs as a known signer's recorded name, the note that
    says so (``signed_as``), or when the operator's name is new to the store but close to a
    signer's, the warning that says so (``named_alike``): :func:`~forensic.operators.who_signs`."""
    # each warning on a line of its own under the progress line: read at a glance, in a van
    warnings = [f"{_NOTE_LINE}{signed_as}"] if signed_as else []
    warnings += [f"{_WARNING_LINE}{named_alike}"] if named_alike else []
    warnings += [f"{_WARNING_LINE}{fact}: {action}" for fact, action in discrepancies]
    if undescribed:
        warnings.append(
            f"{_WARNING_LINE}the label of {item_number} has no description (its report says "
            f"{NOT_DESCRIBED!r}): complete it with {undescribed}"
        )
    if not recorded:
        line = f"{operator} holds {item_number} since custody record #{event['seq']}"
        return line + "".join(warnings)
    line = f"{operator} receives {item_number} for screening analysis"
    if event["released_by"]:
        line += f" from {event['released_by']}"
    if event.get("location"):
        line += f" at {event['location']}"
    return line + "".join(warnings)


def _report_command(
    db: Store,
    case_number: str,
    item_number: str,
    paths: Sequence[str | os.PathLike | None],
    *,
    operator: str,
    unit: str | None = None,
    location: str | None = None,
) -> str | None:
    """The ``forensic report`` command that makes the report a scan was asked for: its
    files, unit and location, in the scan's store, signed by the scan's operator."""
    pdf_path, json_path, text_path = paths
    if not any(paths):
        return None
    return command(
        "report",
        case_number,
        item_number,
        out=Path(pdf_path) if pdf_path else "FILE.pdf",
        json=Path(json_path) if json_path else None,
        text=Path(text_path) if text_path else None,
        unit=unit,
        location=location,
        store=db.db_path,
        operator=operator,
    )


def _axis_in_wavelength(spectrum: Any) -> bool:
    """Whether a spectrum's axis looks like a wavelength, a Raman spectrum's in nm or an IR
    spectrum's in µm (:func:`~forensic.quality.diagnose_axis_unit`): saved so, it fails to be
    identified however often it is tried, as no record is changed; the error says what to do
    instead."""
    from forensic.quality import (  # noqa: PLC0415  (SciPy)
        IR_AXIS_IN_UM,
        RAMAN_AXIS_IN_NM,
        axis_unit_problem,
    )

    problem = axis_unit_problem(spectrum) or ""
    return RAMAN_AXIS_IN_NM in problem or IR_AXIS_IN_UM in problem


def _then_report(report_command: str | None) -> str:
    """The end of a message that gives the commands left to run on a spectrum without a
    result: the report the scan was asked for, made once the result is recorded."""
    return f", and then {report_command} makes the report" if report_command else ""


def _library_path(library: Any) -> Path | None:
    """The library a scan identified against, as ``--library`` names it: None for the
    shipped one (the default), the path given, else the file a Library was loaded from."""
    if library is None:
        return None
    if isinstance(library, (str, os.PathLike)):
        return Path(library)
    path = getattr(library, "path", None)
    return Path(path) if path else None


def _identify_command(
    db: Store, case_number: str, item_number: str, *, library: Any, operator: str
) -> str:
    """The ``forensic exhibit identify`` command that identifies an exhibit's saved spectrum,
    in the scan's store, against its library, signed by its operator."""
    return command(
        "exhibit",
        "identify",
        case_number,
        item_number,
        library=_library_path(library),
        store=db.db_path,
        operator=operator,
    )


class _Said(NamedTuple):
    """What a scan's records say (``said``), and what is left to do about them (``to_do``;
    None when the records leave nothing to do), apart: a failed or stopped scan says them on
    lines of their own (its error's or its stop's
    :attr:`~forensic.errors.SaidInParts.recorded` and ``advice``)."""

    said: str
    to_do: str | None = None

    def after(self, said: str) -> _Said:
        """The same, what ``said`` says put first (``"{said}; {self.said}"``)."""
        return self._replace(said=f"{said}; {self.said}")


def _what_is_recorded(
    records: Sequence[tuple[str, Mapping[str, Any]]],
    case_number: str,
    item_number: str,
    report_command: str | None,
    kept: _Said | None = None,
    *,
    identify_command: str,
    stopped: bool = False,
) -> _Said:
    """What a stopped or failed scan left in the store, what it did not do, and what is left
    to do about it, in words.

    Parameters
    ----------
    records : sequence of (table, row)
        The records the store gained during the scan (:meth:`Store.appended_since`), in order;
        those of other exhibits (another process writing meanwhile) are left out.
    case_number, item_number : str
        The exhibit scanned.
    report_command : str or None
        The command that makes the report the scan was asked for, if it was.
    kept : _Said or None
        Where the spectrum the store did not record is kept, and how to record it
        (:func:`_keep_measured`).
    identify_command : str
        The command that identifies a spectrum saved without a result.
    stopped : bool
        The scan was stopped (Ctrl-C, a signal), not failed: where it stopped before a
        spectrum was saved, it says to scan again. A failure leaves that to its error, whose
        ``advice`` says what to put right first (reconnect the instrument, restart it).

    Returns
    -------
    _Said
        What the store holds of the scan, and what is left to do (None for a failure before
        a spectrum was measured, and once everything is done).
    """
    last: dict[str, Mapping[str, Any]] = {}
    for table, row in records:
        item = row.get("item_number")
        if table == "custody_events" and row["purpose"] != SCAN_PURPOSE:
            continue  # a hand-over another process recorded meanwhile: not the scan's receipt
        if row.get("case_number") == case_number and item in (None, item_number):
            last[table] = row
    exhibit = f"exhibit {item_number} of case {case_number}"
    measurement, result = last.get("measurements"), last.get("results")
    if measurement is None:
        done = []
        if "cases" in last:
            done.append(f"case {case_number} (record #{last['cases']['seq']})")
        if "exhibits" in last:
            done.append(f"the label of exhibit {item_number} (record #{last['exhibits']['seq']})")
        if "custody_events" in last:
            event = last["custody_events"]
            done.append(f"its receipt by {event['received_by']} (record #{event['seq']})")
        spectrum = kept or _Said(
            f"no spectrum of {exhibit} was saved", "scan again to measure it" if stopped else None
        )
        return spectrum.after(f"recorded {', '.join(done)}" if done else "nothing was recorded")
    # measuring again would only use up more of the exhibit: what is left is done from the store
    if result is None:
        return _Said(
            f"DO NOT MEASURE AGAIN: the raw spectrum of {exhibit} is saved (measurement record "
            f"#{measurement['seq']}, SHA-256 {measurement['raw_sha256']}), but no result is "
            "recorded",
            f"{identify_command} identifies the saved spectrum{_then_report(report_command)}",
        )
    done = (
        f"DO NOT MEASURE AGAIN: the spectrum and result for {exhibit} are recorded "
        f"(measurement record #{measurement['seq']}, result record #{result['seq']}: "
        f"{verdict_line(json.loads(result['identification_json']))})"
    )
    report = last.get("reports")
    if report is not None:
        return _Said(
            f"{done}, and so is report {report['report_id']} (record #{report['seq']}), but "
            "its files may not all be written",
            f"check them, or issue it again with {report_command or '`forensic report`'}",
        )
    if report_command:
        return _Said(f"{done}; the report was not written", f"run {report_command} to make it")
    return _Said(done)


def _say_what_is_recorded(
    exc: ForensicError,
    db: Store,
    start: int,
    case_number: str,
    item_number: str,
    *,
    kept: _Said | None = None,
    library: Any = None,
    operator: str,
    report_command: str | None = None,
) -> None:
    """Give the error that ended a scan what the store holds of the scan (its ``recorded``:
    :func:`_what_is_recorded`) and where a spectrum it did not take is kept, keeping the
    error's type and exit code. What to do stays the error's own ``advice`` (reconnect the
    instrument, restart it), unless the records leave something else to do first: a spectrum
    kept in a file or saved without a result is recorded or identified, never measured again.
    The commands left to run include the report's (``report_command``), when one was asked
    for."""
    case_number, item_number = as_label(case_number), as_label(item_number)
    try:
        records = db.appended_since(start)
        recorded = _what_is_recorded(
            records,
            case_number,
            item_number,
            report_command,
            kept,
            identify_command=_identify_command(
                db, case_number, item_number, library=library, operator=operator
            ),
        )
    except ForensicError as error:
        recorded = _unreadable(error, db, case_number, item_number, kept)
    _tell(exc, recorded)


def _tell(exc: ForensicError, recorded: _Said) -> None:
    """Give ``exc`` what a scan recorded, and what is left to do about it, if anything."""
    exc.recorded = recorded.said
    if recorded.to_do is not None:
        exc.advice = recorded.to_do


def _unreadable(
    error: ForensicError, db: Store, case_number: str, item_number: str, kept: _Said | None
) -> _Said:
    """What a stopped or failed scan says when the store cannot be read back."""
    log = command("custody", "log", case_number, item_number, store=db.db_path)
    said = f"what was recorded could not be read back ({error}): see {log}"
    return kept.after(said) if kept else _Said(said)


STORE_WAIT_S = 300.0
"""How long a scan waits for a store another process keeps locked before it keeps the raw
spectrum it measured in a file instead (every other step waits the store's busy timeout)."""


def _waiting_said(
    notify: Callable[[str, str], None], stage: str, doing: str, then: str
) -> Callable[[float, float], None]:
    """What a scan says on its ``stage`` progress line while the store is locked by another
    process (:attr:`Store.on_wait`): for how long it waited, what it waits to do, how much
    longer it will wait, and what happens then (``then``)."""

    def said(waited: float, limit: float) -> None:
        notify(stage, f"{Store.waiting_words(waited, limit, doing)}; {then}")

    return said


def _where_measured(unit: str | None, location: str | None) -> dict[str, str | None]:
    """Where a scan acquires its spectrum, and the unit that acquires it, as its measurement
    record states them (and its receipt the place: :func:`_receipt`): as given
    (``--location``, ``--unit``), else as set on the computer that scans
    (``$FORENSIC_LOCATION``, ``$FORENSIC_UNIT``), else not stated (None).

    Never the case's: a case opened in a van is analysed in a laboratory too, and a report
    must not place every analysis, or every hand-over, where the case was opened.

    Parameters
    ----------
    unit, location : str, optional
        As given to the scan.

    Returns
    -------
    dict
        ``{"location": ..., "unit": ...}``, blank values as None.
    """
    stated = {
        "location": location or os.environ.get("FORENSIC_LOCATION"),
        "unit": unit or os.environ.get("FORENSIC_UNIT"),
    }
    return {key: " ".join((value or "").split()) or None for key, value in stated.items()}


def _save_measurement(
    db: Store,
    case_number: str,
    item_number: str,
    spectrum: Any,
    *,
    operator: str,
    notify: Callable[[str, str], None],
    wait_s: float,
    **measured: Any,
) -> dict[str, Any]:
    """Record the raw spectrum, waiting up to ``wait_s`` for a store another process keeps
    locked, and saying so on the technician's screen.

    Raises
    ------
    StoreBusyError
        The store stayed locked for ``wait_s``: the caller keeps the spectrum in a file.
    """
    db.on_wait = _waiting_said(
        notify,
        "store",
        "save the raw spectrum",
        "then, or on Ctrl-C, it is kept in a file to record later",
    )
    started = time.monotonic()
    try:
        with db.waiting(wait_s):
            return db.add_measurement(
                case_number, item_number, spectrum, operator=operator, **measured
            )
    except StoreBusyError:
        raise StoreBusyError(
            f"{db.db_path}: another process kept the store locked for "
            f"{time.monotonic() - started:.0f} s while the raw spectrum waited to be saved"
        ) from None


class _Kept(NamedTuple):
    """Where :func:`_keep_measured` kept a measured spectrum the store did not record, and
    what to say of it; all None when the store holds it after all."""

    said: _Said | None = None
    """``DO NOT MEASURE AGAIN: ... kept in ...``, and the commands that record it."""
    path: Path | None = None
    """The file it is kept in."""
    lost: str | None = None
    """That it is lost, a warning, when no file could be written: ``the measured spectrum
    is lost: ...``, as ``forensic acquire`` says of one it kept nowhere."""

    def tell(self, error: ForensicError) -> None:
        """Give ``error`` the file the spectrum is kept in (``spectrum_kept``), or that it is
        lost (``spectrum_lost``): the command line's exit code says which."""
        error.spectrum_kept, error.spectrum_lost = self.path, self.lost is not None


def _keep_measured(
    db: Store,
    start: int | None,
    spectrum: Any,
    *,
    case_number: str,
    item_number: str,
    operator: str,
    exc: BaseException,
    measured: Mapping[str, Any],
    library: Any = None,
    report_command: str | None = None,
    stopped_when: str = "while saving it",
    store_failed: bool = True,
    undescribed: bool = False,
) -> _Kept:
    """Keep in a file a measured spectrum the store did not record, and say so in words
    (nothing when the store holds it after all: stopped after it was committed), with what to
    do: the commands that record and identify it (against ``library``), and the one that
    makes the report the scan was asked for (``report_command``); or, when no file could be
    written, that it is lost. A stop (``exc`` a :class:`KeyboardInterrupt`) is said in the
    file to have come ``stopped_when`` (words: "while saving it"). The commands are to be run
    once the store can be written when it failed (``store_failed``), at once when a stop or
    another failure (the instrument's driver) kept the spectrum from it. A spectrum kept
    without what the driver says of the instrument (``undescribed``: describing it failed, or
    was stopped) says what the file lacks, and what the spectrum itself names
    (:func:`_undescribed_note`)."""
    case_number, item_number = as_label(case_number), as_label(item_number)
    digest = raw_sha256(spectrum)
    with contextlib.suppress(ForensicError):
        if (
            start is not None
            and not isinstance(exc, StoreGoneError)
            and any(
                table == "measurements" and row["raw_sha256"] == digest
                for table, row in db.appended_since(start)
            )
        ):
            return _Kept()
    if isinstance(exc, KeyboardInterrupt):
        signum = exc.signum if isinstance(exc, Interrupted) else signal.SIGINT
        why = f"the scan was stopped ({signal.Signals(signum).name}) {stopped_when}"
    else:
        # what failed, not what the error goes on to say about it (to do: ...)
        said = exc.problem if isinstance(exc, ForensicError) else str(exc)
        why = " ".join(said.split()) or type(exc).__name__
    # signed with the key the scan's records are signed with, which proves who kept it;
    # a key that cannot be had leaves the file unsigned, saying why, never the spectrum lost
    key, unsigned_because = None, None
    try:
        key = db.loaded_key(operator)
    except (ForensicError, OSError) as error:
        unsigned_because = f"the key of {operator} could not be loaded: {error}"
    path, digest, failures, unsigned_because = keep_unrecorded(
        db.db_path,
        spectrum,
        case_number=case_number,
        item_number=item_number,
        operator=operator,
        why=why,
        chain_id=getattr(db, "chain_id", None),
        key=key,
        unsigned_because=unsigned_because,
        **measured,
    )
    exhibit = f"exhibit {item_number} of case {case_number}"
    if path is None:
        return _Kept(
            lost=(
                f"the measured spectrum is lost: it is not in {db.db_path}, and could not be "
                f"kept in a file elsewhere either ({'; '.join(failures)})"
            )
        )
    unsigned = (
        f", unsigned ({unsigned_because}: recording it will need --accept-unverified)"
        if unsigned_because
        else ""
    )
    record = command(
        "exhibit",
        "record-spectrum",
        Path(path),
        store=db.db_path,
        operator=operator,
    )
    identify = _identify_command(db, case_number, item_number, library=library, operator=operator)
    # a scan stopped while saving found nothing wrong with the store: it can be written now
    failed = store_failed and not isinstance(exc, KeyboardInterrupt)
    when = "once the store can be written, " if failed else ""
    steps = f"{record} records it, " + (
        f"{identify} identifies it{_then_report(report_command)}"
        if report_command
        else f"and {identify} identifies it"
    )
    return _Kept(
        _Said(
            f"DO NOT MEASURE AGAIN: the raw spectrum of {exhibit} is not in the store, but kept "
            f"in {path} (spectrum SHA-256 {digest}){unsigned}{temporary_note(path)}"
            f"{_undescribed_note(spectrum) if undescribed else ''}",
            f"{when}{steps}",
        ),
        Path(path),
    )


def _undescribed_note(spectrum: Any) -> str:
    """What a spectrum kept without the driver's description of the instrument lacks (the
    kind of driver and what the instrument can do: laser read-back, interlock, ...), which its
    measurement record will not hold once the file is recorded; and what of the instrument
    the spectrum names itself (its model, serial and firmware, which the record and the report
    state), or that it names none of them."""
    meta = spectrum.metadata
    named = [
        f"{label}{meta[key]}"
        for key, label in (
            ("instrument_model", ""),
            ("instrument_serial", "serial "),
            ("firmware_version", "firmware "),
        )
        if meta.get(key)
    ]
    lacks = (
        ", without the driver's description of the instrument (the kind of driver and what the "
        "instrument can do, such as laser read-back): its record will not hold it"
    )
    if named:
        return f"{lacks}; the spectrum names the instrument itself ({', '.join(named)})"
    return (
        f"{lacks}, and the spectrum does not name the instrument either: note its model and "
        "serial number with the case's papers"
    )


def _reports_since(db: Store, start: int | None) -> bool:
    """Whether the store recorded a report since position ``start`` (False if it cannot
    say)."""
    if start is None:
        return False
    try:
        return any(table == "reports" for table, _ in db.appended_since(start))
    except ForensicError:
        return False


class SavedIdentification(NamedTuple):
    """A saved spectrum :func:`identify_saved` identified, and the result on record for it.

    ``recorded`` is false when another process (a second ``exhibit identify`` run at the
    same time) recorded a result for the measurement while this one identified it: ``result``
    is then that record, and nothing was recorded here.

    Attributes
    ----------
    measurement : dict
        The measurement record of the saved spectrum.
    result : dict
        The result record for it: the one recorded here, or, when ``recorded`` is false, the
        one another process recorded.
    advice : list of str
        What the technician can do about the result's warnings, for their screen (not
        recorded).
    recorded : bool
        Whether this call recorded ``result``.
    """

    measurement: dict[str, Any]
    result: dict[str, Any]
    advice: list[str]
    recorded: bool


def identify_saved(
    case_number: str,
    item_number: str,
    *,
    operator: str,
    store: Store | str | os.PathLike | None = None,
    library: Any = None,
    identify: Callable[[Any], Mapping[str, Any]] | None = None,
) -> list[SavedIdentification]:
    """Identify the saved spectra of an exhibit that have no result, and record the results.

    A scan saves the raw spectrum before it identifies it; stopped or failed after that, it
    leaves a measurement without a result. This identifies that spectrum, as saved (checked
    against its SHA-256), instead of measuring the exhibit again. Whether the measurement
    has a result is checked again in the transaction that records one, so that two runs at
    the same time record one result, not two.

    Parameters
    ----------
    case_number, item_number : str
        The exhibit.
    operator : str
        Who signs the results: its spaces normalised, or a signer's name as recorded that
        differs from it only in spacing (:meth:`~forensic.custody.Store.signer_name`).
    store : Store or path, optional
        The evidence store (default ``$FORENSIC_STORE`` or the user data folder).
    library : Library or path, optional
        As for :func:`scan`; default the shipped library.
    identify : callable, optional
        Replaces the identification engine (tests).

    Returns
    -------
    list of SavedIdentification
        The measurements identified now, oldest first, each with its result and what the
        technician can do about its warnings (not recorded: see
        :meth:`~forensic.custody.Store.add_result`); empty when every measurement has a
        result.
    """
    operator = operator_name(operator)
    own_store = not isinstance(store, Store)
    db = Store(store) if own_store else store
    try:
        if operator:  # none is refused where a result is signed
            operator = db.signer_name(operator)
        db.require_exhibit(case_number, item_number)
        pending = [
            m
            for m in db.measurements(case_number, item_number)
            if _result_of(db, m, case_number, item_number) is None
        ]
        if pending and identify is None:
            identify = _identify_against(_reference_library(library))
        done = []
        for measurement in pending:
            spectrum = db.load_spectrum(measurement)
            identification = dict(identify(spectrum))
            with db.transaction():
                earlier = _result_of(db, measurement, case_number, item_number)
                if earlier is not None:  # another process recorded one meanwhile
                    done.append(SavedIdentification(measurement, earlier, [], recorded=False))
                    continue
                result = db.add_result(measurement, identification, operator=operator)
            advice = list(identification.get("advice") or [])
            done.append(SavedIdentification(measurement, result, advice, recorded=True))
        return done
    finally:
        if own_store:
            db.close()


def _result_of(
    db: Store, measurement: Mapping[str, Any], case_number: str, item_number: str
) -> dict[str, Any] | None:
    """The latest result recorded for a measurement, or None."""
    results = [
        r
        for r in db.results(case_number, item_number)
        if r["measurement_hash"] == measurement["hash"]
    ]
    return results[-1] if results else None


class _Receipt(NamedTuple):
    """What a scan recorded, or found recorded, of the exhibit before the laser fires
    (:meth:`_Scan.record_receipt`), and what it says of it on the ``custody`` progress line.

    Attributes
    ----------
    case, exhibit : dict
        The case and the exhibit label, as recorded (opened now or before).
    event : dict
        The custody event: the receipt recorded now, or the one already in the log.
    recorded : bool
        Whether ``event`` was recorded now.
    discrepancies : list of Discrepancy
        The scan's statements the records contradict, and the doubts the receipt made, each
        with what to do.
    facts : list of str
        The contradictions alone: noted on a new receipt, and recorded among the result's
        warnings.
    undescribed : bool
        The label has no description, and the scan states none.
    """

    case: dict[str, Any]
    exhibit: dict[str, Any]
    event: dict[str, Any]
    recorded: bool
    discrepancies: list[Discrepancy]
    facts: list[str]
    undescribed: bool


class _Saved(NamedTuple):
    """A raw spectrum a scan saved (:meth:`_Scan.save_raw_spectrum`), and the words that say
    so, and what is left to do, when a later step fails.

    Attributes
    ----------
    measurement : dict
        The measurement record of the raw spectrum.
    said : str
        That the raw spectrum is saved, naming its record and its SHA-256.
    identify_again : str
        The command that identifies the saved spectrum (:func:`_identify_command`).
    then_report : str
        The end of a message that gives the command that makes the report asked for
        (:func:`_then_report`; empty when none was).
    """

    measurement: dict[str, Any]
    said: str
    identify_again: str
    then_report: str

    @property
    def without_result(self) -> str:
        """What a scan that failed before its result was recorded has recorded: the raw
        spectrum, not to be measured again."""
        return f"DO NOT MEASURE AGAIN: {self.said}, but no result is recorded"


@dataclass
class _Scan:
    """One run of :func:`scan`: what it was asked to do, and how far it has got.

    The steps are its methods, run in the order :func:`scan` calls them; each says what the
    store holds when it begins and when it ends, and what an error or a stop (Ctrl-C, a
    stopping signal: a :class:`KeyboardInterrupt`) there leaves. What they share is here, so
    that the failure and stop handlers of :func:`scan` can say what the store holds of the
    scan and the commands left to run, from wherever it ended.
    """

    db: Store
    notify: Callable[[str, str], None]
    instrument_url: str
    case_number: str
    """As given; as recorded (without the spaces a paste leaves) once the case is recorded."""
    item_number: str
    """As given; as recorded once the exhibit is labelled."""
    operator: str
    """Normalised (:func:`~forensic.custody.keys.operator_name`); the name it signs under in
    this store once :meth:`check_numbers` has found it."""
    report_paths: tuple[str | os.PathLike | None, ...]
    """The PDF, JSON and text reports asked for (None where not)."""
    unit: str | None
    location: str | None
    library: Any
    description: str | None
    seal_number: str | None
    seal_intact: bool | None
    received_from: str | None
    acquire_settings: Mapping[str, Any] | None
    overwrite: bool
    store_wait_s: float | None
    new_store: tuple[str, ...] = ()
    """What to say of the store when the scan creates it: ``NEW evidence store at ...`` and
    the stores already known (:func:`~forensic.custody.known_stores.check_new_store`); empty
    for a store that holds records."""
    start: int | None = None
    """The store's position before the scan recorded anything (None until it is read): what
    it records is read back from there."""
    reference: Any = None
    """The reference library loaded (None when an ``identify`` was given)."""
    signer: Signer | None = None
    """Who signs (:func:`~forensic.operators.who_signs`), once known."""
    connecting: bool = False
    """The scan has begun to open the instrument (its URL, a simulator's sample): nothing is
    recorded until it is :attr:`connected`."""
    connected: bool = False
    """The instrument answered and accepted the settings: from here on, records may be made."""
    kept: _Said | None = None
    """Where a measured spectrum the store did not take is kept, and how to record it."""
    lost: str | None = None
    """That a measured spectrum the store did not take could be kept in no file either: a
    warning (``the measured spectrum is lost: ...``)."""
    unsaved: Any = None
    """The spectrum measured (the laser has fired) that :meth:`save_raw_spectrum` has neither
    saved nor kept in a file yet: a stop that comes meanwhile (as the instrument closes)
    keeps it (:meth:`keep_unsaved`)."""
    described: Mapping[str, Any] | None = None
    """What the driver said of the instrument that measured :attr:`unsaved`."""

    def begin(self) -> None:
        """Read where the store stands (:attr:`start`), before anything is recorded."""
        self.start = self.db.head()[0]

    def load_library(
        self, identify: Callable[[Any], Mapping[str, Any]] | None
    ) -> Callable[[Any], Mapping[str, Any]]:
        """The identification the scan runs: ``identify`` if given, else against the reference
        library, loaded now (saying so on the ``connect`` line if it is compiled), before
        anything is recorded: a library that cannot be loaded, or a stop here, records
        nothing."""
        if identify is not None:
            return identify
        from forensic.library_folders import compiling_message  # noqa: PLC0415  (as the loader)

        self.reference = _reference_library(
            self.library, lambda folder: self.notify("connect", compiling_message(folder))
        )
        return _identify_against(self.reference)

    def check_numbers(self) -> None:
        """Refuse to record with a clock that reads a time it cannot be
        (:meth:`~forensic.custody.store.Store.check_clock`), a case or exhibit number that
        looks like a typing error of a recorded one, or that mixes scripts
        (:func:`_refuse_near_duplicates`), a seal the store records as another exhibit's
        (:func:`~forensic.custody.store.refuse_seal_of_another`), an exhibit whose records are
        marked filed in error (:meth:`refuse_if_filed_in_error`), and a receipt that would be
        a break in the exhibit's custody (:func:`_refuse_a_custody_break`); find who signs
        (:attr:`signer`; from here on :attr:`operator` is the name it signs under). Nothing is
        recorded yet, and the laser has not fired."""
        self.db.check_clock()
        _refuse_near_duplicates(self.db, self.case_number, self.item_number, operator=self.operator)
        refuse_seal_of_another(self.db, self.seal_number, self.case_number, self.item_number)
        self.signer = who_signs(self.db, self.operator)
        self.operator = self.signer.name  # as it signs in this store, from here on
        exhibit = self.db.get_exhibit(self.case_number, self.item_number)
        if exhibit is None:
            return  # a new label: nobody holds it yet
        self.refuse_if_filed_in_error(exhibit)
        _already_received(
            self.db,
            exhibit,
            self.db.custody_events(exhibit["case_number"], exhibit["item_number"]),
            operator=self.operator,
            received_from=self.received_from,
            seal_intact=self.seal_intact,
            seal_number=self.seal_number,
        )

    def refuse_if_filed_in_error(self, exhibit: Mapping[str, Any]) -> None:
        """Refuse to scan an exhibit whose records are marked filed in error
        (:func:`~forensic.custody.filing.refuse_if_filed_in_error`): the number typed is, most
        often, the mistake the marking records, made again. Said with the scan's options
        for the exhibit the records belong to; nothing is recorded, the laser has not
        fired."""
        case_number, item_number = exhibit["case_number"], exhibit["item_number"]
        marking = filed_in_error(self.db, case_number, item_number)
        if marking is None:
            return
        instead = "scan it under the case and exhibit it belongs to"
        if marking.see_case_number:
            instead = (
                f"scan it as exhibit {marking.see_item_number} of case "
                f"{marking.see_case_number} ("
                + options(case=marking.see_case_number, exhibit=marking.see_item_number)
                + ")"
            )
        refuse_if_filed_in_error(
            self.db, case_number, item_number, instead=instead, operator=self.operator
        )

    def connect(
        self, open_instrument: Callable[[str], Any] | None
    ) -> contextlib.AbstractContextManager[Any]:
        """The instrument, as a ``with`` block that closes it (its laser off) whatever happens
        (:func:`~forensic.instruments.held_instrument`), said on the ``connect`` line.

        A mistyped URL or an unplugged cable fails on entering the block, before anything is
        recorded; a serial analyser may take seconds to answer (the driver tries its baud
        rates). An instrument that fails to close once the spectrum is measured leaves the
        spectrum to be saved and identified, warned of on the ``acquire`` line."""
        self.notify("connect", f"connecting to {self.instrument_url}")
        self.connecting = True
        opener = open_instrument or functools.partial(
            _default_open_instrument, library=self.library
        )
        return held_instrument(
            opener,
            self.instrument_url,
            on_unclosed=lambda error: self.notify(
                "acquire", f"closing the instrument failed{_WARNING_LINE}{unclosed_warning(error)}"
            ),
        )

    def check_instrument(self, instrument: Any) -> None:
        """Refuse an instrument the library cannot identify from (:func:`_check_measurable`),
        and settings it cannot apply: refused before anything is recorded, never dropped.
        Once both pass, the scan is :attr:`connected`: a failure from here on says what the
        store holds of it."""
        _check_measurable(self.reference, instrument)
        check_settings = getattr(instrument, "check_settings", None)
        if check_settings is not None:
            with driver_bugs(self.instrument_url, "checking the settings"):
                check_settings(**dict(self.acquire_settings or {}))
        self.connected = True

    def say_case(self) -> None:
        """The ``case`` progress line: the case and the exhibit, NEW where new to the store
        (a new case with the recorded case nearest to it, :func:`~forensic.naming.nearest_number`),
        and a note of the numbers that hold letters of another script; under a line that says
        so first, when the scan creates the store (:attr:`new_store`). Said before the case
        or the label is recorded: a number new to the store may be a typing error the
        near-duplicate check cannot see."""
        if self.new_store:
            said, *notes = self.new_store
            self.notify("case", said + "".join(f"{_NOTE_LINE}{note}" for note in notes))
        new_case = self.db.get_case(self.case_number) is None
        new_exhibit = new_case or self.db.get_exhibit(self.case_number, self.item_number) is None
        nearest = (
            nearest_number(self.case_number, [c["case_number"] for c in self.db.current("cases")])
            if new_case
            else None
        )
        self.notify(
            "case",
            f"{'NEW case' if new_case else 'case'} {self.case_number}"
            + (f" (the nearest case in this store is {nearest})" if nearest else "")
            + ", "
            f"{'NEW exhibit' if new_exhibit else 'exhibit'} {self.item_number} in "
            f"{self.db.db_path}"
            + _lookalike_lines(
                (self.case_number if new_case else None, "case number"),
                (self.item_number if new_exhibit else None, "exhibit number"),
                (self.seal_number, "seal number"),
            ),
        )

    def record_receipt(self) -> _Receipt:
        """Open the case and label the exhibit (if new), and record the receipt
        (:func:`_receipt`), in one transaction: what the scan states against the exhibit's
        records is judged on the records its receipt follows, and nothing another process
        records comes between. A wait for the store is said on the ``case`` line; a failure
        or a stop in the transaction rolls all of it back (the laser has not fired). From
        here on the numbers are as recorded."""
        db = self.db
        db.on_wait = _waiting_said(
            self.notify,
            "case",
            "record the case, the label and the receipt",
            "Ctrl-C stops the scan before the laser fires",
        )
        with db.transaction():
            _refuse_near_duplicates(
                db, self.case_number, self.item_number, operator=self.operator, ending=""
            )
            refuse_seal_of_another(
                db, self.seal_number, self.case_number, self.item_number, ending=""
            )
            case = db.open_case(
                self.case_number,
                operator=self.operator,
                unit=self.unit,
                location=self.location,
                exist_ok=True,
            )
            exhibit = db.add_exhibit(
                self.case_number,
                self.item_number,
                operator=self.operator,
                description=self.description or NOT_DESCRIBED,
                seal_number=self.seal_number,
                exist_ok=True,
            )
            # as recorded: a pasted number may carry spaces the store does not keep
            self.case_number, self.item_number = case["case_number"], exhibit["item_number"]
            self.refuse_if_filed_in_error(exhibit)  # marked since check_numbers read it
            custody = in_time_order(db.custody_events(self.case_number, self.item_number))
            discrepancies = label_discrepancies(
                exhibit,
                custody,
                description=self.description,
                seal_number=self.seal_number,
                store=db.db_path,
                operator=self.operator,
            )
            facts = [fact for fact, _ in discrepancies]
            # a label without description, which a description stated now does not fill in
            # (a discrepancy says that, with what to do)
            undescribed = stated_description(exhibit["description"]) == NOT_DESCRIBED and not (
                self.description and self.description.strip()
            )
            event, recorded = _receipt(
                db,
                exhibit,
                operator=self.operator,
                received_from=self.received_from,
                seal_intact=self.seal_intact,
                seal_number=self.seal_number,
                notes="; ".join(facts) or None,
                location=_where_measured(self.unit, self.location)["location"],
            )
            # the doubts this receipt made, in the report's words (a break it would have made
            # was refused)
            after = db.custody_events(self.case_number, self.item_number)
            doubts_before = set(custody_doubts(custody, exhibit=exhibit, case=case))
            discrepancies += [
                Discrepancy(doubt, "check the seal and the custody log with who handed it over")
                for doubt in custody_doubts(after, exhibit=exhibit, case=case)
                if doubt not in doubts_before
            ]
        return _Receipt(case, exhibit, event, recorded, discrepancies, facts, undescribed)

    def say_custody(self, receipt: _Receipt) -> None:
        """The ``custody`` progress line (:func:`_custody_line`), said once the receipt is
        committed: who holds or receives the exhibit, with a warning for each break in the
        log and each contradicted statement, and what to do about it."""
        signer = self.signer
        self.notify(
            "custody",
            _custody_line(
                self.operator,
                self.item_number,
                receipt.event,
                receipt.recorded,
                discrepancies=receipt.discrepancies,
                undescribed=(
                    _correct_label(receipt.exhibit, store=self.db.db_path, operator=self.operator)
                    if receipt.undescribed
                    else None
                ),
                signed_as=signer.note if signer else None,
                named_alike=signer.warning if signer else None,
            ),
        )

    def acquire(self, instrument: Any) -> tuple[Any, dict[str, Any]]:
        """Fire the laser (or read the export) and acquire one spectrum, with what the driver
        says of the instrument; what the instrument asks for or waits for meanwhile is said on
        the ``acquire`` line. The case, the label and the receipt are recorded; a failure (an
        unexpected exception of the driver is a :class:`DriverBug`) or a stop leaves them so,
        and nothing of the measurement, until the spectrum is measured: from then on, a
        failure (describing the instrument) or a stop keeps it (:meth:`keep_unsaved`)."""
        self.notify("acquire", f"acquiring from {self.instrument_url}")
        if hasattr(instrument, "on_notice"):  # what to do, or how long it waits, meanwhile
            instrument.on_notice = lambda text: self.notify("acquire", text)
        # a stop as the driver hands the spectrum over waits until it is held here, and
        # described: kept, it is kept with what the driver says of the instrument
        with receiving_spectrum():
            with driver_bugs(self.instrument_url, "acquiring"):
                # measured: from here a failure or a stop, as the instrument closes, keeps it
                self.unsaved = spectrum = instrument.acquire(**dict(self.acquire_settings or {}))
            with driver_bugs(self.instrument_url, "describing the instrument"):
                described = instrument.describe() if hasattr(instrument, "describe") else {}
                self.described = described
        return spectrum, described

    def as_measured(self, spectrum: Any) -> Any:
        """The spectrum acquired, signed by the operator; once the instrument is closed, a
        warning on the ``acquire`` line when it was read from an export file that was there
        before the scan began (the report says it may not be this exhibit's)."""
        if spectrum.metadata.get("export_found_at_start"):
            self.notify(
                "acquire",
                f"read {spectrum.metadata.get('source_file')}{_WARNING_LINE}it was in the "
                f"export folder before the scan began (written "
                f"{utc_when(spectrum.metadata.get('export_written_at'))}): check that it is "
                "this exhibit's measurement; the report says it may not be",
            )
        return spectrum.with_metadata(operator=self.operator)

    def save_raw_spectrum(self, spectrum: Any, described: Mapping[str, Any]) -> _Saved:
        """Record the raw spectrum and its measurement (where and by what it was measured),
        committed before any analysis, so nothing is lost if analysis fails or the process is
        killed; a store another process keeps locked is waited for (``store_wait_s``), saying
        so on the ``store`` line.

        The laser has fired and the sample may be used up: a spectrum the store did not take
        (a failure, a stop while saving, the store's file gone) is kept in a file
        (:func:`_keep_measured`, :attr:`kept`), and the error, which keeps its type (an
        unexpected one becomes a :class:`CustodyError`), says where and how to record it, and
        names the file in its ``spectrum_kept`` (the command line's exit code says so). A
        second Ctrl-C is held until the file is written."""
        db = self.db
        measured = self._measurement_record(described)
        try:
            self.notify("store", "saving the raw spectrum")
            measurement = _save_measurement(
                db,
                self.case_number,
                self.item_number,
                spectrum,
                operator=self.operator,
                notify=self.notify,
                wait_s=STORE_WAIT_S if self.store_wait_s is None else self.store_wait_s,
                **measured,
            )
            db.check_in_place()  # not recorded, if the store's file went meanwhile
            self.unsaved = None  # saved
        except BaseException as exc:
            kept = self._keep(spectrum, measured, exc)
            if not isinstance(exc, (ForensicError, KeyboardInterrupt)):
                error = CustodyError(
                    f"{db.db_path}: saving the raw spectrum failed ({type(exc).__name__}: {exc})"
                )
                kept.tell(error)
                raise error from exc
            if isinstance(exc, ForensicError):
                kept.tell(exc)
            raise
        return _Saved(
            measurement,
            f"the raw spectrum is saved (measurement record #{measurement['seq']}, SHA-256 "
            f"{measurement['raw_sha256']})",
            _identify_command(
                db, self.case_number, self.item_number, library=self.library, operator=self.operator
            ),
            _then_report(self.report_command()),
        )

    def _measurement_record(self, described: Mapping[str, Any] | None) -> dict[str, Any]:
        """Where and by what the spectrum was measured, as its measurement record (or the
        file that keeps it) says: the instrument (``described``: what its driver says of
        it), the unit and the location."""
        return {
            "instrument_url": self.instrument_url,
            "instrument": {"driver": described} if described else None,
            # recorded with it: a later report says where
            **_where_measured(self.unit, self.location),
        }

    def _keep(
        self, spectrum: Any, measured: Mapping[str, Any], exc: BaseException, **how: Any
    ) -> _Kept:
        """Keep the measured ``spectrum`` the store did not take when ``exc`` came
        (:func:`_keep_measured`, with ``how`` it says so), a second stop held until it is
        kept; :attr:`kept` or :attr:`lost` says where, and nothing waits to be saved any
        more (:attr:`unsaved`)."""
        with holding_signals():
            kept = _keep_measured(
                self.db,
                self.start,
                spectrum,
                case_number=self.case_number,
                item_number=self.item_number,
                operator=self.operator,
                exc=exc,
                measured=measured,
                library=self.library,
                report_command=self.report_command(),
                **how,
            )
            self.kept, self.lost = kept.said, kept.lost
            self.unsaved = None  # kept (or said to be lost) before a held stop is heard
        return kept

    def keep_unsaved(self, exc: BaseException) -> None:
        """Keep in a file (:func:`_keep_measured`, :attr:`kept`, or :attr:`lost` when no file
        could be written) the spectrum measured that :meth:`save_raw_spectrum` had not yet
        taken when ``exc`` came: a stop (Ctrl-C, a stopping signal, as the instrument
        closed), or a failure (the driver failing to describe the instrument, anything
        unforeseen): the laser has fired, and the sample may be used up. Signed by the
        operator, as it would have been saved; what it lacks when the driver did not describe
        the instrument is said. A second stop is held until it is kept; nothing is done when
        no spectrum is waiting to be saved. A :class:`ForensicError` is given the file
        (``spectrum_kept``), or told it is lost (``spectrum_lost``), for its exit code, and its
        own advice (report the driver's bug, check the instrument) is left to do once the
        spectrum is recorded."""
        if self.unsaved is None:
            return
        kept = self._keep(
            self.unsaved.with_metadata(operator=self.operator),
            self._measurement_record(self.described),
            exc,
            stopped_when="between measuring the spectrum and saving it",
            store_failed=False,  # nothing failed in the store: it can record it now
            undescribed=self.described is None,
        )
        if isinstance(exc, ForensicError):
            kept.tell(exc)
            if self.kept is not None and exc.advice:
                self.kept = self.kept._replace(to_do=f"{self.kept.to_do}; then {exc.advice}")

    def identify(
        self,
        engine: Callable[[Any], Mapping[str, Any]],
        spectrum: Any,
        saved: _Saved,
        facts: Sequence[str],
    ) -> dict[str, Any]:
        """Identify the saved spectrum with ``engine``, the contradicted statements (``facts``)
        added to its warnings, so that they are recorded with the result and listed among the
        report's limitations. A failure is a :class:`ScanIncomplete` that names the saved spectrum
        and the commands that identify it and make the report."""
        self.notify("identify", "identifying against the reference library")
        if self.reference is not None:  # named under it as forensic identify names it
            from forensic.identification import library_named  # noqa: PLC0415  (as the engine)

            self.notify("identify", f"library: {library_named(self.reference)}")
        try:
            identification = dict(engine(spectrum))
        except ForensicError as exc:
            # identified again as saved (an axis in nm or µm, a range the library does not
            # compare), it fails again: not a command to run, but the report without a result
            if isinstance(exc, OutOfRangeError) or _axis_in_wavelength(spectrum):
                make_report = self.report_command()
                to_do = f"{make_report} makes the report, without a result" if make_report else None
            else:
                to_do = _then(
                    exc, f"{saved.identify_again} identifies the saved spectrum{saved.then_report}"
                )
            raise ScanIncomplete.after(
                exc, f"identification failed: {exc.problem}", saved.without_result, to_do
            ) from exc
        if facts:  # recorded with the result, and so listed in the report's limitations
            identification["warnings"] = [*(identification.get("warnings") or []), *facts]
        return identification

    def record_result(self, saved: _Saved, identification: Mapping[str, Any]) -> dict[str, Any]:
        """Record the signed result, its verdict said on the ``record`` line (and a wait for
        the store too). The raw spectrum is saved, and stays so on Ctrl-C; a failure is a
        :class:`ScanIncomplete` that says not to measure again, and the commands that
        identify the saved spectrum and make the report."""
        db = self.db
        verdict = verdict_line(identification)
        self.notify("record", f"recording the result: {verdict}")
        db.on_wait = _waiting_said(
            self.notify,
            "record",
            "record the result",
            "the raw spectrum is saved, and stays so on Ctrl-C",
        )
        try:
            return db.add_result(saved.measurement, identification, operator=self.operator)
        except ForensicError as exc:
            left = (
                f"{saved.identify_again} identifies the saved spectrum and records its "
                f"result{saved.then_report}"
            )
            if isinstance(exc, StoreBusyError):
                # not "try again": the scan again would measure again; the spectrum is saved
                why = (
                    f"another process kept the store locked for more than "
                    f"{db.busy_timeout_s:g} s, and nothing more was written"
                )
                to_do = f"once the store is free, {left}"
            else:
                why, to_do = exc.problem, _then(exc, left)
            raise ScanIncomplete.after(
                exc,
                f"the result ({verdict}) could not be recorded: {why}",
                saved.without_result,
                to_do,
            ) from exc

    def issue_report(self, saved: _Saved, result: Mapping[str, Any]) -> IssuedReport | None:
        """Issue the report asked for (None when none was), said on the ``report`` line. The
        spectrum and its result are recorded, and stay so on Ctrl-C; a failure is a
        :class:`ScanIncomplete` that says what is recorded and, unless the report was
        recorded (then the error says how to issue it again), the command that makes it."""
        make_report = self.report_command()
        if make_report is None:
            return None
        report_path, json_path, text_path = self.report_paths
        self.notify("report", f"writing the report to {report_path or json_path or text_path}")
        self.db.on_wait = _waiting_said(
            self.notify,
            "report",
            "record the report",
            "the spectrum and its result are recorded, and stay so on Ctrl-C",
        )
        try:
            return issue_report(
                self.db,
                self.case_number,
                self.item_number,
                operator=self.operator,
                pdf_path=report_path,
                json_path=json_path,
                text_path=text_path,
                overwrite=self.overwrite,
                unit=self.unit,
                location=self.location,
            )
        except ForensicError as exc:
            # a report on record: the error says how to issue it again
            reported = _reports_since(self.db, self.start)
            if isinstance(exc, OutputExistsError) and not reported:
                raise self.report_file_appeared(exc, saved, result) from exc
            raise ScanIncomplete.after(
                exc,
                f"the report failed: {exc.problem}",
                f"DO NOT MEASURE AGAIN: {saved.said} and its result recorded (result record "
                f"#{result['seq']})",
                exc.advice if reported else _then(exc, f"{make_report} makes the report"),
            ) from exc

    def report_file_appeared(
        self, exc: OutputExistsError, saved: _Saved, result: Mapping[str, Any]
    ) -> ScanIncomplete:
        """The failure of a report whose file appeared while the scan ran (checked free
        before the laser fired; another process wrote it since): said by the scan's own
        argument (``report_path``, ``--report`` at the command line), not by the report's
        (``pdf_path``, ``--out``), with the spectrum and result that are recorded, and the
        ``forensic report`` command that makes the report under a free name, not the scan
        again (which would measure again)."""
        names = ("report_path", "json_path", "text_path")
        given = [(n, p) for n, p in zip(names, self.report_paths, strict=True) if p]
        name, there = next(((n, p) for n, p in given if os.path.isfile(p)), given[0])
        free = free_name(there)
        paths = tuple(free if path == there else path for path in self.report_paths)
        make_report = _report_command(
            self.db,
            as_label(self.case_number),
            as_label(self.item_number),
            paths,
            operator=self.operator,
            unit=self.unit,
            location=self.location,
        )
        return ScanIncomplete.after(
            exc,
            f"the report failed: {output_named(name, there)}: a file appeared there while the "
            "scan ran (it was not there when the scan began); no report was recorded, and the "
            "file is left as it is",
            f"DO NOT MEASURE AGAIN: {saved.said} and its result recorded (result record "
            f"#{result['seq']})",
            f"{make_report} makes the report under a free name",
        )

    def custody_said(self, report: IssuedReport | None) -> tuple[str, ...]:
        """What the exhibit's report says (or, with no report, would say) of its custody, for
        the screen: everything is recorded by now, so a store that cannot be read back for it
        is said, not a failed scan."""
        if report is not None:  # in the words the report carries, from its content
            section = next(
                e
                for e in report.content["exhibits"]
                if e["label"]["item_number"] == self.item_number
            )
            return tuple(custody_limitations(section))
        try:
            return tuple(exhibit_custody_limitations(self.db, self.case_number, self.item_number))
        except ForensicError as exc:  # everything is recorded: that is no failed scan
            return (f"what a report would say of custody could not be read: {exc}",)

    def report_command(self) -> str | None:
        """The command that makes the report asked for, as the scan would have (its numbers
        and operator as they stand when it is asked: as recorded, as it signs); None when no
        report was asked for."""
        return _report_command(
            self.db,
            as_label(self.case_number),
            as_label(self.item_number),
            self.report_paths,
            operator=self.operator,
            unit=self.unit,
            location=self.location,
        )

    def say_what_is_recorded(self, exc: ForensicError) -> None:
        """Give the error that ended the scan what the store holds of it (its ``recorded``),
        as a stop says it, and what is left to do about that, if anything. A failure while
        connecting (an instrument that failed before it answered, a URL or a simulator's
        sample that cannot be had, an instrument the library or the settings do not fit) has
        recorded nothing, and says so; any other failure then says what to put right in its
        own words. A store whose file went says where the spectrum is kept instead (what the
        file held is not there to read back). A spectrum measured and kept nowhere is said to
        be lost first (the error's ``warning``, as ``forensic acquire`` says it), and to be
        measured again once the store can record it."""
        if self.lost is not None:
            exc.warning = "; ".join(warning for warning in (exc.warning, self.lost) if warning)
            exc.advice = exc.advice_before(
                "scan again to measure it", "scan again to measure it once the store can be written"
            )
        if isinstance(exc, StoreGoneError):  # what the store's file held is not there
            if self.kept is not None:
                _tell(exc, self.kept)
        elif self.connecting and not self.connected:
            if exc.recorded is None:
                exc.recorded = "nothing was recorded"
        elif self.connected and self.start is not None:
            _say_what_is_recorded(
                exc,
                self.db,
                self.start,
                self.case_number,
                self.item_number,
                kept=self.kept,
                library=self.library,
                operator=self.operator,
                report_command=self.report_command(),
            )

    def recorded_when_stopped(self) -> _Said:
        """What the store holds of a scan stopped (Ctrl-C, a stopping signal) at any stage,
        and what is left to do, in words (:func:`_what_is_recorded`). By then the instrument
        is closed (its laser off) and any unfinished transaction rolled back."""
        case_number, item_number = as_label(self.case_number), as_label(self.item_number)
        try:
            records = [] if self.start is None else self.db.appended_since(self.start)
            said = _what_is_recorded(
                records,
                case_number,
                item_number,
                self.report_command(),
                self.kept,
                stopped=True,
                identify_command=_identify_command(
                    self.db,
                    case_number,
                    item_number,
                    library=self.library,
                    operator=self.operator,
                ),
            )
        except ForensicError as error:
            said = _unreadable(error, self.db, case_number, item_number, self.kept)
        return said


def scan(
    instrument_url: str,
    *,
    case_number: str,
    item_number: str,
    operator: str,
    store: Store | str | os.PathLike | None = None,
    report_path: str | os.PathLike | None = None,
    json_path: str | os.PathLike | None = None,
    text_path: str | os.PathLike | None = None,
    description: str | None = None,
    seal_number: str | None = None,
    seal_intact: bool | None = None,
    received_from: str | None = None,
    unit: str | None = None,
    location: str | None = None,
    acquire_settings: Mapping[str, Any] | None = None,
    overwrite: bool = False,
    progress: Callable[[str, str], None] | None = None,
    library: Any = None,
    open_instrument: Callable[[str], Any] | None = None,
    identify: Callable[[Any], Mapping[str, Any]] | None = None,
    store_wait_s: float | None = None,
    clock_checked: bool = False,
    on_result: Callable[[ScanResult], None] | None = None,
    new_store: bool = False,
) -> ScanResult:
    """From instrument to signed report: the technician's one command, as a function.

    In order: connect to the instrument; open (or create) the case and the exhibit; record the
    custody event (the operator receives the exhibit for analysis, unless the custody log
    already says so); acquire one spectrum; store the raw spectrum and its measurement record
    (committed before any analysis, so nothing is lost if analysis fails or the process is
    killed); identify; record the result; write the report.

    Before anything is recorded or the laser fires, it refuses (a :class:`CustodyError`) to
    record with a clock that reads a time it cannot be (before this release, or before the
    store's last record: :class:`~forensic.custody.store.ClockError`), a receipt that
    would be a break in the exhibit's custody: the records say someone else holds it and
    ``received_from`` does not name them (:func:`_refuse_a_custody_break`), and a seal the
    store records as another exhibit's (:func:`~forensic.custody.store.refuse_seal_of_another`).

    Parameters
    ----------
    instrument_url : str
        e.g. ``"sim:ocean-rs232?sample=cocaine"`` or ``"ocean-rs232:///dev/ttyUSB0?baud=9600"``
        (the schemes: :mod:`drivers.urls`).
    case_number, item_number : str
        The case and the exhibit (created if new, and the ``case`` progress line then says
        NEW). A new number that differs from a recorded one only in letter case, spaces,
        punctuation, leading zeros, letters that look like digits (``DEMO-l``, ``A01``) or
        Greek and Cyrillic letters that print like Latin ones (Cyrillic ``ЗАК-1`` for
        ``3AK-1``) is refused (a :class:`CustodyError`, before anything is recorded), and so
        is a new number that mixes scripts (:func:`~forensic.naming.mixes_scripts`), and a
        new case number that is a recorded one typed with one slip of the hand (two
        neighbouring characters swapped, one left out or added:
        :func:`~forensic.custody.store.case_typed_with_a_slip`): open it first on purpose,
        and the scan adds to it. The ``case`` progress line notes a new number, or the seal
        stated, that holds such letters (:func:`~forensic.naming.lookalike_note`), and names
        the recorded case nearest to a new one.
    operator : str
        The technician; signs every record. Its spaces are normalised
        (:func:`~forensic.custody.keys.operator_name`), and it holds the exhibit when the
        custody log says so in any letter case or spacing. A signer recorded before names
        were normalised, whose name differs from it only in spacing and whose key is on this
        computer, signs on under that name; a name that has signed nothing in the store but
        differs from one that has only in letter case or spacing is warned of. The
        ``custody`` progress line says either (:func:`~forensic.operators.who_signs`).
    store : Store or path, optional
        The evidence store (default ``$FORENSIC_STORE`` or the user data folder). A path
        where there is no store yet (or a store that holds no record) is a new store: the
        ``case`` progress line says ``NEW evidence store at ...`` first, naming the stores
        this computer has already recorded into, and a case one of them holds is refused
        before the store is created (:func:`~forensic.custody.known_stores.check_new_store`)
        unless ``new_store``.
    report_path, json_path, text_path : path, optional
        Where to write the report (PDF, JSON, plain text): three files, each its own (the
        same file twice is refused before anything is recorded, and so is a file the store
        owns, its database among them, a file in a folder that does not exist, or one named
        as another kind of report: :func:`~forensic.report.issue.check_report_outputs`).
    description, seal_number, seal_intact, received_from : optional
        Exhibit label and custody details known at scan time. ``received_from`` is who
        handed the exhibit over: whoever the records say holds it, unless the operator does.
        A new exhibit's label records
        the description and seal; an existing label is never changed, and a description or
        seal that differs from the records (:func:`label_discrepancies`) is warned of, with
        what to do, in the ``custody`` progress line; the fact alone is written in the notes
        of a new receipt and recorded among the result's warnings (which the report lists as
        limitations). A seal the store records as another exhibit's is refused before
        anything is recorded (:func:`~forensic.custody.store.refuse_seal_of_another`).
    unit, location : str, optional
        The issuing unit and where the scan takes place, recorded on a new case and printed on
        the report (default ``$FORENSIC_UNIT`` / ``$FORENSIC_LOCATION``, then a mobile lab);
        recorded with the measurement too, as given or as set on this computer
        (:func:`_where_measured`), so that a later report says where each analysis was done.
    acquire_settings : mapping, optional
        Passed to the instrument's ``acquire`` (e.g. ``integration_time_ms``); one it cannot
        apply (an integration time for an FTIR whose own software measures) is refused before
        anything is recorded.
    overwrite : bool
        Replace existing report files.
    progress : callable(stage, message), optional
        Called at each stage of :data:`SCAN_STAGES`.
    library : Library or path, optional
        The reference library: a :class:`~forensic.library.Library`, a compiled ``.flib`` or
        a library folder (:func:`~forensic.library_folders.open_reference_library`); default the
        shipped one. Loaded before anything is recorded.
    open_instrument, identify : callable, optional
        Replace the driver and the identification engine (tests, notebooks).
    store_wait_s : float, optional
        How long to wait, saying so, for a store another process keeps locked when the raw
        spectrum is to be saved (default :data:`STORE_WAIT_S`).
    clock_checked : bool
        Record even though this computer's clock reads earlier than the store's last record:
        a person has checked that the clock is right
        (:meth:`~forensic.custody.store.Store.check_clock`). For a store given as a path; a
        :class:`Store` given is used as it was opened.
    on_result : callable(ScanResult), optional
        Called once the result is recorded, before the report is written, with what the
        scan has recorded so far (its ``report`` None, its ``custody`` what a report would
        say): a screen shows the verdict then, not after the seconds a PDF takes to render.
    new_store : bool
        A new store is wanted although a store this computer has recorded into holds the
        case (``--new-store``).

    Returns
    -------
    ScanResult
        The records the scan made and the report issued.

    Raises
    ------
    NewStoreRefused
        The store is new and another store this computer has recorded into holds the case:
        nothing is recorded, and no store is created.
    Interrupted
        Ctrl-C or a stopping signal at any stage (a :class:`KeyboardInterrupt`): its
        ``recorded`` says what the store holds of this scan, and its ``advice`` what is left
        to do, e.g. the ``forensic report`` command that makes a report the scan did not
        finish, or to scan again when no spectrum was saved.
    ScanIncomplete
        The raw spectrum was saved (its ``recorded`` names its record, and says not to
        measure again) but identification, recording the result or the report failed: its
        ``advice`` gives the commands that finish the work.
    InstrumentError, CustodyError
        The instrument could not be opened (nothing is recorded), or acquisition or the store
        failed (an unexpected exception of the instrument's driver, a bug, is a
        :class:`DriverBug` that names it and has it as its ``__cause__``): the case, the exhibit
        and the custody event stay recorded (the message ends with what the store holds of
        the scan), and running the scan again does not record the same receipt twice. A
        spectrum measured that the store did not record (locked for ``store_wait_s``, a full
        disk, the store's file deleted while the scan ran
        (:class:`~forensic.custody.store.StoreGoneError`), a stop while saving, or before it
        as the instrument closes: the error keeps its type, an :class:`Interrupted` too) is
        kept in a file
        (:func:`forensic.custody.unrecorded.keep_unrecorded`), and the message says where
        and the command that records it; the error's ``spectrum_kept`` names the file. So is
        one measured when the driver then fails to describe the instrument (the message says
        what the file lacks), or when anything else fails before the store takes it (an
        exception that is not the toolkit's own as a :class:`CustodyError` that names it).
    """
    notify = progress or (lambda stage, message: None)
    operator = operator_name(operator)
    # before anything is recorded or the laser fires
    check_report_outputs(
        store.db_path if isinstance(store, Store) else store,
        pdf=("report_path", report_path),
        json=("json_path", json_path),
        text=("text_path", text_path),
        overwrite=overwrite,
    )
    own_store = not isinstance(store, Store)
    # before the store is created: a case another known store holds is refused here
    store_said = (
        check_new_store(store, case_number=case_number, new_store=new_store, doing="this scan")
        if own_store
        else []
    )
    db = Store(store, clock_checked=clock_checked) if own_store else store
    said_on_wait = db.on_wait  # while the scan runs, a wait for the store is its progress
    run = _Scan(
        db=db,
        notify=notify,
        instrument_url=instrument_url,
        case_number=case_number,
        item_number=item_number,
        operator=operator,
        report_paths=(report_path, json_path, text_path),
        unit=unit,
        location=location,
        library=library,
        description=description,
        seal_number=seal_number,
        seal_intact=seal_intact,
        received_from=received_from,
        acquire_settings=acquire_settings,
        overwrite=overwrite,
        store_wait_s=store_wait_s,
        new_store=tuple(store_said),
    )
    try:
        run.begin()
        identify = run.load_library(identify)
        run.check_numbers()
        with run.connect(open_instrument) as instrument:
            run.check_instrument(instrument)
            run.say_case()
            receipt = run.record_receipt()
            run.say_custody(receipt)
            spectrum, described = run.acquire(instrument)
        spectrum = run.as_measured(spectrum)
        saved = run.save_raw_spectrum(spectrum, described)
        identification = run.identify(identify, spectrum, saved, receipt.facts)
        result = run.record_result(saved, identification)
        recorded = functools.partial(
            ScanResult,
            receipt.case,
            receipt.exhibit,
            receipt.event,
            saved.measurement,
            result,
            identification,
        )
        if on_result is not None:
            on_result(recorded(None, run.custody_said(None)))
        report = run.issue_report(saved, result)
        return recorded(report, run.custody_said(report))
    except ScanIncomplete:
        raise
    except ForensicError as exc:
        run.keep_unsaved(exc)  # measured, and failed before it was saved (describing it)
        run.say_what_is_recorded(exc)
        raise
    except Exception as exc:
        if run.unsaved is None:
            raise
        # measured, and an error no one foresaw before it was saved: kept all the same
        error = CustodyError(
            f"the scan failed between measuring the spectrum and saving it, on an unexpected "
            f"error ({type(exc).__name__}: {' '.join(str(exc).split())})"
        )
        error.advice = "report this bug in the toolkit, with this message"
        run.keep_unsaved(error)
        run.say_what_is_recorded(error)
        raise error from exc
    except KeyboardInterrupt as exc:
        run.keep_unsaved(exc)  # measured, and stopped before it was saved: as it closed
        said = run.recorded_when_stopped()
        stopped = Interrupted.having_recorded(exc, said.said, said.to_do)
        if run.lost is not None:  # said first, as acquire says it
            stopped.warning = "; ".join(w for w in (stopped.warning, run.lost) if w)
        raise stopped from exc
    finally:
        db.on_wait = said_on_wait
        if own_store:
            db.close()
