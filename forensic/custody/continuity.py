"""Whether an exhibit's custody log is continuous: every hand-over released by whoever held it.

A chain of custody (ASTM E1492) is continuous when each transfer is released by the person
the previous one handed the exhibit to. The hash chain proves that the records were not
altered; it cannot tell that they describe an unbroken custody. :func:`custody_gaps` reads the
events in the order they happened (their stated times, not the order they were recorded:
a hand-over may be written down later) and names each break, for the technician when it is
recorded and for the investigator in the report's limitations.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from forensic.custody.store import recorded_moment, utc_when

__all__ = ["custody_gaps", "in_time_order", "same_statement"]

_UNKNOWN = datetime.max.replace(tzinfo=timezone.utc)


def same_statement(stated: str | None, recorded: str | None) -> bool:
    """Two statements (a name, a description, a seal number) that differ only in letter case
    and spacing say the same."""
    return (
        " ".join(str(stated or "").split()).casefold()
        == " ".join(str(recorded or "").split()).casefold()
    )


def in_time_order(events: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Custody events by the moment they happened, then by record (a time without a zone, in
    records older than that rule, goes last)."""
    return sorted(events, key=lambda e: (recorded_moment(e["event_at"]) or _UNKNOWN, e["seq"]))


def custody_gaps(events: Sequence[Mapping[str, Any]]) -> list[str]:
    """Each break in an exhibit's custody log, in words (empty when it is continuous).

    Parameters
    ----------
    events : sequence of mapping
        The exhibit's current custody events (``seq``, ``event_at``, ``released_by``,
        ``received_by``), in any order.

    Returns
    -------
    list of str
        One sentence per break: a transfer released by someone the log does not show holding
        the exhibit, or one with no release where someone else held it.
    """
    gaps = []
    ordered = in_time_order(events)
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
