"""What a store says about a report beyond the report itself.

A signed report states what was on record for its exhibits when it was issued, and stays so.
The store goes on: a record the report states may be corrected later, the exhibit analysed or
reported on again, and a record the report rests on may have been altered since. Whoever checks
a report against its store (``forensic custody verify --report``) must learn all of that, not
only that the report is on record: :func:`since_report`.

A report not on record at all may still have been issued from this store, which was cut short
or went on without it (a copy that forked): the report's signed ``verification`` block names
its chain and that chain's head when it was made, which :func:`chain_standing` compares with
this store's chain.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from forensic.custody import chain
from forensic.custody.store import Store, chain_order, recorded_moment
from forensic.custody.verify import Problem, VerifyReport, verify_store

__all__ = ["LaterRecord", "SinceReport", "chain_standing", "concerns", "since_report"]

# Not a record a report states: the hash of the record the chain ended with when it was made
# marks where the chain stood, and may be any case's record.
_NOT_CITED = frozenset({"chain_head_hash"})


def concerns(row: Mapping[str, Any], case_number: str, item_number: str | None) -> bool:
    """True if a record says something about a report's case (``item_number`` None) or
    exhibit: a record of the case that names that exhibit or no exhibit (the case itself, an
    import of it, a report on the whole case); another exhibit's records do not.

    Parameters
    ----------
    row : mapping
        A record.
    case_number : str
        The report's case.
    item_number : str or None
        The report's exhibit; None for a report on the whole case.

    Returns
    -------
    bool
    """
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

    Attributes
    ----------
    table : str
        The record's table.
    row : dict
        The record.
    corrects : dict or None
        The record stated in the report that it corrects.
    results : tuple of dict
        A later measurement's later results, oldest first.
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

    Attributes
    ----------
    corrections, analyses, other, reports : list of LaterRecord
        The later records, by kind.
    problems : list of Problem
        Verification's problems with the records the report states.
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
    # in the order they were recorded, not by their computers' clocks
    tables = {id(row): table for table, row in later}
    in_order = [(tables[id(row)], row) for row in chain_order(row for _, row in later)]
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


def _positions(store: Store, chain_id: str) -> dict[int, str]:
    """``{seq: hash}`` of a chain as this store holds it: its records, and the link skeleton
    an import brought of the records it did not."""
    positions = {
        link["seq"]: link["hash"]
        for link in store.query("SELECT seq, hash FROM chain_links WHERE chain_id = ?", (chain_id,))
    }
    for table in chain.CHAINED_TABLES:
        for row in store.query(f"SELECT seq, hash FROM {table} WHERE chain_id = ?", (chain_id,)):
            positions[row["seq"]] = row["hash"]
    return positions


def chain_standing(store: Store, content: Mapping[str, Any]) -> str:
    """Why a report whose content verifies is not on record in this store, from the chain its
    signed ``verification`` block names: the store was cut short, it forked from the report's
    chain, or the report comes from another store.

    Parameters
    ----------
    store : Store
        The evidence store.
    content : mapping
        The report's content, whose hash and signature verify
        (:func:`forensic.report.content.check_report_json`).

    Returns
    -------
    str
        One sentence naming the positions where the store and the report's chain part.
    """
    verification = content.get("verification") or {}
    chain_id = str(verification.get("chain_id") or "")
    head_seq, head_hash = verification.get("chain_head_seq"), verification.get("chain_head_hash")
    positions = _positions(store, chain_id) if chain_id else {}
    if not positions:
        return (
            f"it was issued from another store (chain id {chain_id or 'not stated'}; this "
            f"store's chain id is {store.chain_id} and it holds no record of that chain)"
        )
    last = max(positions)
    if not isinstance(head_seq, int) or head_seq < 0:
        return f"it names chain {chain_id[:8]} of this store, but no position in it"
    gone = (
        "an earlier copy of the store, its last records deleted, or the report issued from a "
        "copy of it that went on"
    )
    if last < head_seq:
        return (
            f"this store lacks records after #{last} (cut short): the report was recorded "
            f"after #{head_seq} of this store's chain {chain_id[:8]} ({gone})"
        )
    if head_seq == 0 or positions.get(head_seq) == head_hash:
        if last == head_seq:
            return (
                f"this store lacks records after #{last} (cut short): the report was recorded "
                f"after #{head_seq} of this store's chain {chain_id[:8]}, which ends there "
                f"({gone})"
            )
        return (
            f"this store's chain differs from the report's after #{head_seq} (forked): the "
            f"report was recorded after #{head_seq} of chain {chain_id[:8]}, where this store "
            "holds other records"
        )
    held = {digest: seq for seq, digest in positions.items()}
    agree = max(
        (held[h] for h in cited_hashes(content) if h in held and held[h] < head_seq), default=0
    )
    if not agree:
        where = f"at or before #{head_seq}"
    elif agree + 1 == head_seq:
        where = f"at #{head_seq}"
    else:
        where = f"between #{agree + 1} and #{head_seq}"
    return (
        f"this store's chain differs from the report's {where} (forked): "
        + (f"it holds #{agree}, a record the report states, but " if agree else "")
        + f"its record #{head_seq} is not the report's chain head ({str(head_hash)[:16]}...)"
    )
