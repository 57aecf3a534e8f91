"""Whether an exhibit's custody log makes sense: continuous, in time, its seal accounted for.

A chain of custody (ASTM E1492) is continuous when each transfer is released by the person
the previous one handed the exhibit to, the first by whoever collected it. The hash chain
proves that the records were not altered; it cannot tell that they describe an unbroken
custody. :func:`custody_gaps` reads the events in the order they happened
(:func:`in_time_order`: the order they were recorded, but for a hand-over written down later,
which its stated time puts where it happened) and names each break;
:func:`custody_doubts` names a hand-over dated before the exhibit was collected or its case
opened, and a seal found intact after it was recorded broken with no new seal number.
:func:`custody_warnings` is both, as ``custody add``, ``custody verify`` and the scan say them;
the report lists them among its limitations. Each is a warning: the records stay as they are.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from forensic.custody.statements import same_statement  # importable from here, as before
from forensic.custody.store import CLOCK_TOLERANCE, chain_order, recorded_moment, utc_when

__all__ = [
    "Holder",
    "custody_doubts",
    "custody_gaps",
    "custody_holder",
    "custody_warnings",
    "held_before",
    "in_time_order",
    "same_statement",
    "seals_in_force",
]


def _written_later(event: Mapping[str, Any]) -> bool:
    """Whether a hand-over was written down after it happened: its time was stated (``--at``,
    or kept by a correction) and lies before the record was made by more than clocks differ.
    Without the time of its record (an event not read from a store) its time is all there is."""
    happened = recorded_moment(event["event_at"])
    recorded = recorded_moment(event.get("recorded_at"))
    if happened is None:
        return False
    return recorded is None or happened < recorded - CLOCK_TOLERANCE


def _after(event: Mapping[str, Any], moment: datetime) -> bool:
    """Whether an event is dated after ``moment`` (not when its time is not known)."""
    when = recorded_moment(event["event_at"])
    return when is not None and when > moment


def in_time_order(events: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Custody events in the order they happened.

    That is the order they were recorded (:func:`~forensic.custody.store.chain_order`): a
    hand-over recorded as it happens is dated by the clock, and a clock that was wrong (a
    year fast) must not put it after the hand-overs recorded after it. A hand-over written
    down later (its time stated, before its record was made: :func:`_written_later`) is put
    where its time says it happened, before the events recorded earlier but dated after it.

    Parameters
    ----------
    events : sequence of mapping
        Custody events, each with its ``event_at`` and ``seq`` (and, read from the store,
        ``recorded_at`` and ``chain_id``), in any order.

    Returns
    -------
    list of mapping
        The same events, in order.
    """
    ordered: list[Mapping[str, Any]] = []
    for event in chain_order(events):
        place = len(ordered)
        if _written_later(event):
            happened = recorded_moment(event["event_at"])
            # back past each event recorded before it but dated after it (one whose time is
            # not known is not known to be after it)
            while place and _after(ordered[place - 1], happened):
                place -= 1
        ordered.insert(place, event)
    return ordered


class Holder(NamedTuple):
    """Who holds an exhibit as its records say (:func:`custody_holder`).

    Attributes
    ----------
    name : str
        The person, as recorded.
    record : mapping
        The record that says so: the last hand-over, or the exhibit's label.
    collected : bool
        True when it is the label (who collected the exhibit; no hand-over is recorded).
    """

    name: str
    record: Mapping[str, Any]
    collected: bool

    def stated(self, item_number: str) -> str:
        """What the records say, in words.

        Parameters
        ----------
        item_number : str
            The exhibit, as the words name it.

        Returns
        -------
        str
            ``the custody log says Bob Lab holds A2 (custody record #82)``, or ``the label of
            A2 (record #3) says PC Smith collected it, and no hand-over is recorded``.
        """
        if self.collected:
            return (
                f"the label of {item_number} (record #{self.record['seq']}) says {self.name} "
                "collected it, and no hand-over is recorded"
            )
        return (
            f"the custody log says {self.name} holds {item_number} "
            f"(custody record #{self.record['seq']})"
        )


def custody_holder(
    events: Sequence[Mapping[str, Any]], *, exhibit: Mapping[str, Any] | None = None
) -> Holder | None:
    """Who holds an exhibit as its records say: the next hand-over is continuous only when
    it is released by them (:func:`custody_gaps`), or received by them again.

    Parameters
    ----------
    events : sequence of mapping
        The exhibit's current custody events, in any order.
    exhibit : mapping, optional
        The exhibit's current label (``collected_by``, ``seq``): who collected it holds it
        before any hand-over.

    Returns
    -------
    Holder or None
        Who received it at the last hand-over in the order they happened
        (:func:`in_time_order`), else who collected it; None when neither is recorded.
    """
    if events:
        last = in_time_order(events)[-1]
        return Holder(last["received_by"], last, collected=False)
    collector = (exhibit or {}).get("collected_by")
    if collector and str(collector).strip():
        return Holder(collector, exhibit, collected=True)
    return None


def custody_gaps(
    events: Sequence[Mapping[str, Any]], *, collected_by: str | None = None
) -> list[str]:
    """Each break in an exhibit's custody log, in words (empty when it is continuous).

    Parameters
    ----------
    events : sequence of mapping
        The exhibit's current custody events (``seq``, ``event_at``, ``released_by``,
        ``received_by``), in any order.
    collected_by : str, optional
        Who collected the exhibit (its label's ``collected_by``): the holder before the first
        hand-over. Without it, the first hand-over is not compared with anyone.

    Returns
    -------
    list of str
        One sentence per break: a transfer released by someone the log does not show holding
        the exhibit, or one with no release where someone else held it.
    """
    gaps = []
    ordered = in_time_order(events)
    if ordered and collected_by and str(collected_by).strip():
        first = ordered[0]
        when = f"at {utc_when(first['event_at'])} (custody record #{first['seq']})"
        if first["released_by"] and not same_statement(first["released_by"], collected_by):
            gaps.append(
                f"{first['released_by']} released the exhibit to {first['received_by']} {when}, "
                f"the first hand-over the log shows, but the label says {collected_by} "
                "collected it and the log never shows "
                f"{first['released_by']} holding it"
            )
        elif not first["released_by"] and not same_statement(first["received_by"], collected_by):
            gaps.append(
                f"{first['received_by']} received the exhibit {when}, the first hand-over the "
                f"log shows, with no release recorded: the label says {collected_by} collected it"
            )
    for before, event in itertools.pairwise(ordered):
        held_by = before["received_by"]
        when = f"at {utc_when(event['event_at'])} (custody record #{event['seq']})"
        if event["released_by"]:
            if not same_statement(event["released_by"], held_by):
                gaps.append(
                    f"{event['released_by']} released the exhibit to {event['received_by']} "
                    f"{when}, but the log says {held_by} held it then (record #{before['seq']})"
                )
        elif not same_statement(event["received_by"], held_by):
            gaps.append(
                f"{event['received_by']} received the exhibit {when} with no release recorded: "
                f"the log says {held_by} held it (record #{before['seq']})"
            )
    return gaps


def held_before(
    events: Sequence[Mapping[str, Any]],
    event: Mapping[str, Any],
    *,
    collected_by: str | None = None,
) -> str | None:
    """Who the log says held the exhibit just before a hand-over: the person who received it
    at the hand-over before (in the order :func:`custody_gaps` reads them), or, before the
    first, whoever collected it. :func:`custody_gaps` names a break where the hand-over's
    release, or with no release its receiver, is not this person.

    Parameters
    ----------
    events : sequence of mapping
        The exhibit's current custody events, ``event`` among them.
    event : mapping
        The hand-over (its ``seq``).
    collected_by : str, optional
        Who collected the exhibit (its label's ``collected_by``).

    Returns
    -------
    str or None
        The holder; None before the first hand-over of an exhibit whose collector is not
        stated, or for an event not among ``events``.
    """
    ordered = in_time_order(events)
    index = next((n for n, e in enumerate(ordered) if e["seq"] == event["seq"]), None)
    if index is None:
        return None
    if index:
        return ordered[index - 1]["received_by"]
    return collected_by if collected_by and str(collected_by).strip() else None


def _before(moment: str | None, bound: str | None) -> bool:
    """Whether a recorded time lies before a bound that may be a date alone (a collection
    known to the day: only a time on an earlier day is before it). Times a few minutes apart
    are not told apart: they are stated to the minute, on clocks that differ a little."""
    when = recorded_moment(moment)
    if when is None or not bound:
        return False
    limit = recorded_moment(bound)
    if limit is not None:
        return when < limit - CLOCK_TOLERANCE
    try:
        return when.date() < date.fromisoformat(str(bound).strip())
    except ValueError:  # free text in a record older than the check on entered times
        return False


def seals_in_force(
    events: Sequence[Mapping[str, Any]], label_seal: str | None = None
) -> list[str | None]:
    """The seal each hand-over's state refers to, for events in time order
    (:func:`in_time_order`): the number it states, else the last one stated before it (by an
    earlier hand-over or, before any, the exhibit's label); None when none is known.

    Parameters
    ----------
    events : sequence of mapping
        Custody events in time order, each with its ``seal_number`` (None or empty: not
        stated).
    label_seal : str, optional
        The seal number on the exhibit's label.

    Returns
    -------
    list of str or None
        One a event, in the order given.
    """
    seal = label_seal or None
    found = []
    for event in events:
        seal = event.get("seal_number") or seal
        found.append(seal)
    return found


def _handover(event: Mapping[str, Any]) -> str:
    released = event.get("released_by") or "no release"
    return f"custody record #{event['seq']} ({released} -> {event['received_by']})"


def custody_doubts(
    events: Sequence[Mapping[str, Any]],
    *,
    exhibit: Mapping[str, Any] | None = None,
    case: Mapping[str, Any] | None = None,
) -> list[str]:
    """What in an exhibit's custody log cannot be as recorded, other than a break
    (:func:`custody_gaps`), in words (empty when nothing is).

    Parameters
    ----------
    events : sequence of mapping
        The exhibit's current custody events (``seq``, ``event_at``, ``released_by``,
        ``received_by``, ``seal_intact``, ``seal_number``), in any order.
    exhibit : mapping, optional
        The exhibit's current label (``collected_at``, ``seal_number``).
    case : mapping, optional
        Its case's record (``case_number``, ``recorded_at``: when it was opened).

    Returns
    -------
    list of str
        One sentence per doubt, in the order the events happened: a hand-over dated before
        the exhibit was collected or, when the label states no collection time, before its
        case was opened; a seal recorded
        intact after it was recorded broken, with no new seal number since.
    """
    exhibit = exhibit or {}
    collected_at = exhibit.get("collected_at")
    opened_at = (case or {}).get("recorded_at")
    ordered = in_time_order(events)
    doubts = []
    broken: tuple[Mapping[str, Any], str | None] | None = None  # the receipt, its seal
    for event, seal in zip(
        ordered, seals_in_force(ordered, exhibit.get("seal_number")), strict=True
    ):
        dated = f"{_handover(event)} is dated {utc_when(event['event_at'])}"
        why = _misdated(event, collected_at, opened_at)
        if why == "collected":
            doubts.append(
                f"{dated}, before the exhibit was collected ({utc_when(collected_at)}): its "
                "time is wrong, or it is not a hand-over of this exhibit"
            )
        elif why == "opened":
            doubts.append(
                f"{dated}, before case {case['case_number']} was opened "
                f"({utc_when(opened_at)}): its time is wrong, or it was written down later "
                "with an earlier time"
            )
        if event.get("seal_intact") is None:
            continue
        if not event["seal_intact"]:
            broken = (event, seal)
            continue
        if broken is None:
            continue
        receipt, broken_seal = broken
        new_seal = event.get("seal_number") and (
            broken_seal is None or not same_statement(event["seal_number"], broken_seal)
        )
        if new_seal:
            broken = None  # resealed under a new number
            continue
        doubts.append(
            f"{_handover(event)} records the seal"
            + (f" {seal}" if seal else "")
            + f" intact at {utc_when(event['event_at'])}, but it was recorded broken at "
            f"{utc_when(receipt['event_at'])} (custody record #{receipt['seq']}) and no new "
            "seal number is recorded since: a broken seal cannot be intact again"
        )
    return doubts


def _misdated(
    event: Mapping[str, Any], collected_at: str | None, opened_at: str | None
) -> str | None:
    """Why a hand-over's time cannot be right: ``"collected"`` (dated before the exhibit was
    collected), ``"opened"`` (no collection time stated, and dated before its case was opened
    in the store), or None."""
    if _before(event["event_at"], collected_at):
        return "collected"
    if not collected_at and _before(event["event_at"], opened_at):
        # only without a collection time: a hand-over before the case was opened in the
        # store is the ordinary record of one made before the lab took the case
        return "opened"
    return None


def first_received(
    events: Sequence[Mapping[str, Any]],
    *,
    exhibit: Mapping[str, Any] | None = None,
    case: Mapping[str, Any] | None = None,
) -> str | None:
    """When the exhibit was first received, as its custody log can vouch for.

    Parameters
    ----------
    events : sequence of mapping
        The exhibit's current custody events (``event_at``, ``seq``), in any order.
    exhibit, case : mapping, optional
        The exhibit's label and its case's record, as for :func:`custody_doubts`.

    Returns
    -------
    str or None
        The time (as recorded) of the earliest hand-over whose time is not in doubt (one
        dated before the exhibit was collected, or before its case was opened when no
        collection time is stated, is left out: :func:`custody_doubts` states it); None when
        there is none.
    """
    collected_at = (exhibit or {}).get("collected_at")
    opened_at = (case or {}).get("recorded_at")
    for event in in_time_order(events):
        if _misdated(event, collected_at, opened_at) is None:
            return event["event_at"]
    return None


def custody_warnings(
    events: Sequence[Mapping[str, Any]],
    *,
    exhibit: Mapping[str, Any] | None = None,
    case: Mapping[str, Any] | None = None,
) -> list[str]:
    """Every warning on an exhibit's custody log, as the commands say them: each break
    (:func:`custody_gaps`, after "custody not continuous: ") and each doubt
    (:func:`custody_doubts`).

    Parameters
    ----------
    events : sequence of mapping
        The exhibit's custody events, as recorded.
    exhibit : mapping, optional
        The exhibit's label record (who collected it, its seal).
    case : mapping, optional
        The case record.

    Returns
    -------
    list of str
        The warnings, breaks first; empty for a log without either.
    """
    gaps = custody_gaps(events, collected_by=(exhibit or {}).get("collected_by"))
    return [f"custody not continuous: {gap}" for gap in gaps] + custody_doubts(
        events, exhibit=exhibit, case=case
    )
