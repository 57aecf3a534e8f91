"""What a store says about a report beyond the report itself.

A signed report states what was on record for its exhibits when it was issued, and stays so.
The store goes on: a record the report states may be corrected later, the exhibit analysed or
reported on again, and a record the report rests on may have been altered since. Whoever checks
a report against its store (``forensic custody verify --report``) must learn all of that, not
only that the report is on record: :func:`since_report`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from forensic.custody import chain
from forensic.custody.store import Store, recorded_moment
from forensic.custody.verify import Problem, VerifyReport, verify_store

__all__ = ["LaterRecord", "SinceReport", "concerns", "since_report"]

# Not a record a report states: the hash of the record the chain ended with when it was made
# marks where the chain stood, and may be any case's record.
_NOT_CITED = frozenset({"chain_head_hash"})


def concerns(row: Mapping[str, Any], case_number: str, item_number: str | None) -> bool:
    """True if a record says something about a report's case (``item_number`` None) or
    exhibit: a record of the case that names that exhibit or no exhibit (the case itself, an
    import of it, a report on the whole case); another exhibit's records do not."""
    return row.get("case_number") == case_number and (
        item_number is None or row.get("item_number") in (None, item_number)
    )


def cited_hashes(content: Any) -> set[str]:
    """The hashes of the records a report's content states (its case, labels, custody events,
    measurements, results, corrections): every ``..._hash`` value it holds but its chain head."""
    found: set[str] = set()

    def walk(value: Any) -> Iterator[tuple[str, Any]]:
        if isinstance(value, Mapping):
            for key, item in value.items():
                yield key, item
                yield from walk(item)
        elif isinstance(value, list):
            for item in value:
                yield from walk(item)

    for key, value in walk(content):
        if (
            isinstance(key, str)
            and key.endswith("_hash")
            and key not in _NOT_CITED
            and isinstance(value, str)
            and len(value) == 64
        ):
            found.add(value)
    return found


@dataclass(frozen=True)
class LaterRecord:
    """A record of a report's exhibits recorded after the report and not stated in it.

    ``table`` and ``row`` are the record; ``corrects`` is the record the report states that it
    corrects (directly, or through corrections in between), None if it corrects none;
    ``results`` are a later measurement's results (recorded after the report too), oldest
    first.
    """

    table: str
    row: dict[str, Any]
    corrects: dict[str, Any] | None = None
    results: tuple[dict[str, Any], ...] = ()


@dataclass
class SinceReport:
    """What :func:`since_report` found for one report on record.

    ``corrections`` correct records the report states; ``analyses`` are later measurements of
    its exhibits (with their results) and later results of measurements it states;
    ``reports`` are later reports that cover its exhibits; ``other`` is what else was recorded
    for them (custody hand-overs, new labels, imports); each in the order they were recorded.
    ``problems`` are those of the records the report states (altered, missing), as
    verification found them.
    """

    corrections: list[LaterRecord] = field(default_factory=list)
    analyses: list[LaterRecord] = field(default_factory=list)
    other: list[LaterRecord] = field(default_factory=list)
    reports: list[LaterRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def later(self) -> list[LaterRecord]:
        """Every later record, corrections first, then analyses, the rest, and reports."""
        return [*self.corrections, *self.analyses, *self.other, *self.reports]


def _after(row: Mapping[str, Any], report: Mapping[str, Any]) -> bool:
    """Recorded after the report: later in its chain, or, in another chain (imported), at a
    later moment."""
    if row["chain_id"] == report["chain_id"]:
        return row["seq"] > report["seq"]
    moment, then = recorded_moment(row["recorded_at"]), recorded_moment(report["recorded_at"])
    return moment is not None and then is not None and moment > then


def since_report(
    store: Store, report: Mapping[str, Any], verification: VerifyReport | None = None
) -> SinceReport:
    """What the store holds about a report's exhibits that the report does not state.

    Parameters
    ----------
    store : Store
        The evidence store the report is on record in.
    report : mapping
        The report's record (a row of ``reports``).
    verification : VerifyReport, optional
        The store's verification (default: verified now), whose problems with the records the
        report states are returned.

    Returns
    -------
    SinceReport
        The records of the report's case (a report on one exhibit: of that exhibit, or of no
        exhibit) recorded after it and not stated in it, by what they are to the report, and
        the problems of the records it states.
    """
    verification = verification if verification is not None else verify_store(store)
    try:
        cited = cited_hashes(json.loads(report["content_json"]))
    except (TypeError, ValueError):  # a record that does not verify: its problem says so
        cited = set()
    case_number, item_number = report["case_number"], report["item_number"]
    by_hash: dict[str, tuple[str, dict[str, Any]]] = {}
    later: list[tuple[str, dict[str, Any]]] = []
    for table in chain.CHAINED_TABLES:
        if table == "operator_keys":
            continue
        for row in store.query(f"SELECT * FROM {table} WHERE case_number = ?", (case_number,)):
            by_hash[row["hash"]] = (table, row)
            if (
                concerns(row, case_number, item_number)
                and row["hash"] not in cited
                and row["hash"] != report["hash"]
                and _after(row, report)
            ):
                later.append((table, row))
    found = SinceReport()
    cited_positions = {
        (row["chain_id"], table, row["seq"]) for h, (table, row) in by_hash.items() if h in cited
    }
    found.problems = [
        p for p in verification.problems if (p.chain_id, p.table, p.seq) in cited_positions
    ]
    found.problems += [
        Problem("records", None, f"the report states record {h[:16]}..., which is not in the store")
        for h in sorted(cited - set(by_hash))
    ]
    later_measurements = {row["hash"] for table, row in later if table == "measurements"}
    in_order = sorted(
        later, key=lambda item: (item[1]["recorded_at"], item[1]["chain_id"], item[1]["seq"])
    )
    for table, row in in_order:
        corrected = _cited_corrected(row, table, by_hash, cited)
        if corrected is not None:
            found.corrections.append(LaterRecord(table, row, corrects=corrected))
        elif table == "measurements":
            results = tuple(
                r
                for t, r in later
                if t == "results" and r["measurement_hash"] == row["hash"] and not r["corrects"]
            )
            found.analyses.append(LaterRecord(table, row, results=results))
        elif table == "results" and row["measurement_hash"] not in later_measurements:
            found.analyses.append(LaterRecord(table, row))
        elif table == "reports":
            found.reports.append(LaterRecord(table, row))
        elif table != "results":
            found.other.append(LaterRecord(table, row))
    return found


def _cited_corrected(
    row: Mapping[str, Any],
    table: str,
    by_hash: Mapping[str, tuple[str, dict[str, Any]]],
    cited: set[str],
) -> dict[str, Any] | None:
    """The record the report states that ``row`` corrects, through the corrections between
    them; None if it corrects none the report states."""
    seen: set[str] = set()
    target = row.get("corrects")
    while target and target not in seen:
        seen.add(target)
        found = by_hash.get(target)
        if found is None or found[0] != table:
            return None
        if target in cited:
            return found[1]
        target = found[1].get("corrects")
    return None
