"""Verification of an evidence store that trusts nothing it does not recompute.

For every chain in the store (its own, and any imported from bundles) the records are put in
chain order and each one is checked:

1. its content hash is recomputed from the row's columns and compared with the stored hash;
2. its ``prev_hash`` must equal the hash of the record before it, and the positions must run
   1, 2, 3, ... without a gap (a deleted record leaves a gap or a broken link);
3. its Ed25519 signature is checked against the public key recorded for its signer;
4. its references (case, exhibit, measurement, raw data) must exist and agree, and the raw
   spectrum's bytes must still hash to the SHA-256 the measurement recorded.

Rows logged by the store's own triggers as updated or deleted behind the toolkit's back are
reported too. The first problem in chain order is "the first bad record".

What verifies may still deserve a reader's eye: one operator name signing with more than one
key (a key change, or someone else registering a key under that name:
:func:`several_keys_warning`), an exhibit's custody log that cannot be as recorded
(:func:`forensic.custody.continuity.custody_warnings`) and a record dated before the one before
it in its chain (:func:`dated_out_of_order`: a computer's clock was wrong). These are
:attr:`VerifyReport.warnings`, not problems: the records verify.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from forensic.custody import chain
from forensic.custody.continuity import custody_warnings
from forensic.custody.keys import fingerprint, verify_signature
from forensic.custody.store import (
    CLOCK_TOLERANCE,
    Store,
    chain_position,
    recorded_moment,
    utc_when,
)
from forensic.errors import CustodyError

__all__ = [
    "Problem",
    "UnverifiedChainError",
    "VerifyReport",
    "dated_out_of_order",
    "key_uses",
    "links_digest",
    "record_label",
    "several_keys_warning",
    "verify_store",
]

# Tables whose rows name one exhibit (``item_number``) of one case.
_EXHIBIT_TABLES = ("exhibits", "custody_events", "measurements", "results")


class UnverifiedChainError(CustodyError):
    """The custody chain of a case or exhibit does not verify, so what was asked of it (a
    report not forced, a hand-over bundle) is refused."""

    exit_code = 3


@dataclass(frozen=True)
class Problem:
    """One thing that does not verify.

    ``table`` and ``seq`` name the record (``seq`` is its position in chain ``chain_id``);
    ``what`` says what differs. ``case_number``/``item_number`` say which exhibit it touches
    (None: it touches everything, e.g. a broken link or a signing key).

    Attributes
    ----------
    table : str
        The record's table, or what else is wrong (``"schema"``).
    seq : int or None
        The record's position in its chain; None when the problem is of no one record.
    what : str
        What differs.
    chain_id : str or None
        The record's chain.
    case_number, item_number : str or None
        The case and exhibit the problem touches.
    """

    table: str
    seq: int | None
    what: str
    chain_id: str | None = None
    case_number: str | None = None
    item_number: str | None = None

    def __str__(self) -> str:
        where = self.table if self.seq is None else f"{self.table} record #{self.seq}"
        if self.chain_id:
            where += f" (chain {self.chain_id[:8]})"
        return f"{where}: {self.what}"

    def touches(self, case_number: str, item_number: str | None = None) -> bool:
        """True if this problem makes the given case (or exhibit) untrustworthy."""
        if self.case_number is None:
            return True
        if self.case_number != case_number:
            return False
        return item_number is None or self.item_number in (None, item_number)


@dataclass
class VerifyReport:
    """What :func:`verify_store` found.

    Attributes
    ----------
    store : str
        The store's database file.
    records : int
        Records checked.
    chains : dict of str to (int, str)
        Each chain's head: its last ``seq`` and that record's hash, by chain id.
    problems : list of Problem
        What does not verify: the records' problems in chain order, then the others.
    warnings : list of str
        What verifies but should be looked at: an operator name signing with several keys,
        an exhibit's custody log with a break or a doubt.
    """

    store: str
    records: int = 0
    chains: dict[str, tuple[int, str]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing failed (:attr:`warnings` do not count)."""
        return not self.problems

    @property
    def first(self) -> Problem | None:
        """The first bad record (in chain order), or None."""
        return self.problems[0] if self.problems else None

    def problems_for(self, case_number: str, item_number: str | None = None) -> list[Problem]:
        """The problems that touch a case or one of its exhibits."""
        return [p for p in self.problems if p.touches(case_number, item_number)]

    def summary(self) -> str:
        """One line: verified (or nothing to verify, in a store with no records), or the
        first bad record."""
        if self.ok and not self.records:  # nothing to check is not "every hash"
            return "verified: the store holds no records yet, so there is nothing to check"
        if self.ok:
            heads = ", ".join(
                f"chain {cid[:8]} head #{seq} {digest[:16]}"
                for cid, (seq, digest) in self.chains.items()
            )
            return f"verified: {self.records} records, every hash, link and signature ({heads})"
        return f"NOT VERIFIED: first bad record: {self.first}"


def links_digest(links: list[tuple[int, str, str, str]]) -> str:
    """SHA-256 of a chain's link skeleton ``[(seq, table, hash, prev_hash), ...]`` in seq order.

    Parameters
    ----------
    links : list of (int, str, str, str)
        The chain's links, in any order (they are sorted).

    Returns
    -------
    str
        64 lower-case hex digits.
    """
    return chain.sha256_hex(chain.canonical_json([list(link) for link in sorted(links)]))


def _label(row: dict[str, Any], table: str) -> tuple[str | None, str | None]:
    case = row.get("case_number") if table != "imports" else None
    item = row.get("item_number") if table in (*_EXHIBIT_TABLES, "reports") else None
    return case, item


def verify_store(store: Store, *, expect: list[str] | tuple[str, ...] = ()) -> VerifyReport:
    """Recompute every hash, link and signature of ``store`` and list what does not verify.

    Parameters
    ----------
    store : Store
        The evidence store.
    expect : sequence of str
        Record hashes known from outside the store (a report's chain head, a bundle's
        manifest), whole or their first 8 or more hex digits, as printed: each must still be in
        the store, which catches a chain cut short.

    Returns
    -------
    VerifyReport
        ``ok`` is true only if every record of every chain verifies. Problems are in chain order
        (the store's own chain first), then problems with raw data and the tamper log.
    """
    damage = _sqlite_damage(store)
    found = _read_store(store)
    report = VerifyReport(store=str(store.db_path), records=found.count)
    chain_order = [store.chain_id, *sorted(c for c in found.chain_ids if c != store.chain_id)]
    problems: list[Problem] = []
    for chain_id in chain_order:
        problems += _check_chain(chain_id, found, report.chains)
    problems += found.unplaced
    problems += _check_imports(found)
    problems += _dropped_triggers(store)
    problems += _missing_expected(expect, found)
    citing = _citing(found)
    problems += _altered_data_no_record_cites(found, citing)
    problems += _logged_tampering(store, found, citing)
    problems += [Problem("store", None, f"SQLite integrity check: {line}") for line in damage]
    report.problems = _in_chain_order(problems, chain_order)
    report.warnings = _warnings(store, found)
    return report


@dataclass
class _StoreRecords:
    """What verification reads of a store, once: every chained record, the link skeletons of
    imported chains, the operators' keys and whether each piece of stored data still hashes
    to its SHA-256."""

    #: ``{chain_id: {seq: [(table, row), ...]}}``: more than one at a position is a problem.
    by_position: dict[str, dict[int, list[tuple[str, dict]]]]
    #: ``{hash: (table, row)}``: every record by its stored hash.
    by_hash: dict[str, tuple[str, dict]]
    #: ``{chain_id: {seq: link}}``: the ``chain_links`` rows of imported chains.
    links: dict[str, dict[int, dict]]
    #: ``{fingerprint: operator_keys row}``.
    keys: dict[str, dict]
    #: ``{sha256: whether the stored bytes still hash to it}``.
    blob_ok: dict[str, bool]
    #: How many chained records the store holds.
    count: int
    #: A record or link that cannot stand in a chain (:func:`_unplaced`), left out of the rest.
    unplaced: list[Problem]

    @property
    def chain_ids(self) -> set[str]:
        """Every chain with a record or a link here."""
        return {*self.by_position, *self.links}


def _sqlite_damage(store: Store) -> list[str]:
    """SQLite's own check of the file's pages and indexes: damage the records' hashes cannot
    see (a free page, an index) is still damage to evidence. Each line that is not ``ok``."""
    return [
        row["quick_check"]
        for row in store.query("PRAGMA quick_check(20)")
        if row["quick_check"] != "ok"
    ]


def _read_store(store: Store) -> _StoreRecords:
    """Read every chained record, link, key and piece of stored data verification needs."""
    by_position: dict[str, dict[int, list[tuple[str, dict]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    by_hash: dict[str, tuple[str, dict]] = {}
    count = 0
    unplaced: list[Problem] = []
    for table in chain.CHAINED_TABLES:
        for row in store.query(f"SELECT * FROM {table}"):
            count += 1
            if (why := _unplaced(table, row)) is not None:
                unplaced.append(why)
                continue
            by_position[row["chain_id"]][row["seq"]].append((table, row))
            by_hash[row["hash"]] = (table, row)
    links: dict[str, dict[int, dict]] = defaultdict(dict)
    for link in store.query("SELECT * FROM chain_links"):
        if (why := _unplaced("chain_links", link)) is not None:
            unplaced.append(why)
            continue
        links[link["chain_id"]][link["seq"]] = link
    keys = {row["fingerprint"]: row for row in store.query("SELECT * FROM operator_keys")}
    blob_ok = {
        row["sha256"]: chain.sha256_hex(bytes(row["actual"])) == row["sha256"]
        for row in store.query("SELECT sha256, CAST(data AS BLOB) AS actual FROM blobs")
    }
    return _StoreRecords(by_position, by_hash, links, keys, blob_ok, count, unplaced)


def _unplaced(table: str, row: Mapping[str, Any]) -> Problem | None:
    """A record or link whose position is not a whole number from 1, or whose chain id is not
    text: edited (SQLite keeps the text ``'x'`` in an INTEGER column), it cannot stand in a
    chain, and is said so; None for one that can."""
    seq, chain_id = row["seq"], row["chain_id"]
    if not isinstance(chain_id, str):
        why = f"its chain id {chain_id!r} is not text"
    elif isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        why = f"its position {seq!r} is not a whole number from 1"
    else:
        return None
    return Problem(
        table,
        None,
        f"the {'link' if table == 'chain_links' else 'record'} of hash "
        f"{str(row['hash'])[:16]}... cannot stand in a chain: {why} (edited?)",
        chain_id if isinstance(chain_id, str) else None,
    )


def _check_chain(
    chain_id: str, found: _StoreRecords, heads: dict[str, tuple[int, str]]
) -> list[Problem]:
    """Walk one chain from position 1 to its last: a position no record or link holds, two
    records at one position, each record's own checks (:func:`_check_record`), a record that
    differs from its chain's imported link, and a ``prev_hash`` that is not the hash of the
    record before. Its head goes in ``heads``."""
    problems: list[Problem] = []
    positions = found.by_position.get(chain_id, {})
    skeleton = found.links.get(chain_id, {})
    last = max([*positions, *skeleton], default=0)
    prev_hash = chain.GENESIS_HASH
    for seq in range(1, last + 1):
        entries = positions.get(seq, [])
        link = skeleton.get(seq)
        if not entries and link is None:
            problems.append(
                Problem(
                    "chain", seq, "record missing: the positions jump here (deleted?)", chain_id
                )
            )
            prev_hash = None
            continue
        if len(entries) > 1:
            tables = ", ".join(t for t, _ in entries)
            problems.append(
                Problem("chain", seq, f"two records claim this position ({tables})", chain_id)
            )
        if entries:
            table, row = entries[0]
            stored_hash, stored_prev = row["hash"], row["prev_hash"]
            problems.extend(_check_record(table, row, found.keys, found.by_hash, found.blob_ok))
        else:
            table = link["table_name"]
            stored_hash, stored_prev = link["hash"], link["prev_hash"]
        if link is not None and (link["hash"], link["prev_hash"]) != (stored_hash, stored_prev):
            problems.append(
                Problem(
                    table, seq, "differs from the imported link skeleton of its chain", chain_id
                )
            )
        if prev_hash is not None and stored_prev != prev_hash:
            problems.append(
                Problem(
                    table,
                    seq,
                    f"chain link broken: prev_hash {stored_prev[:16]}... but "
                    f"the record before has hash {prev_hash[:16]}...",
                    chain_id,
                )
            )
        prev_hash = stored_hash
    if last:
        heads[chain_id] = (last, prev_hash or "")
    return problems


def _check_imports(found: _StoreRecords) -> list[Problem]:
    """Each import record's hash of the link skeletons it brought, against the links now
    (:func:`_check_import`)."""
    problems: list[Problem] = []
    for row in (r for t, r in found.by_hash.values() if t == "imports"):
        problems.extend(_check_import(row, found.links))
    return problems


def _dropped_triggers(store: Store) -> list[Problem]:
    """The store's tamper-logging triggers that are gone: what was changed since is not
    logged."""
    expected = {
        f"{table}_log_{action}"
        for table in (*chain.CHAINED_TABLES, "blobs", "chain_links")
        for action in ("update", "delete")
    }
    present = {
        r["name"] for r in store.query("SELECT name FROM sqlite_master WHERE type='trigger'")
    }
    return [
        Problem(
            "schema",
            None,
            f"trigger {trigger} was dropped: changes made behind the "
            "toolkit's back since then are not logged (the hash chain still checks them)",
        )
        for trigger in sorted(expected - present)
    ]


def _missing_expected(expect: Iterable[str], found: _StoreRecords) -> list[Problem]:
    """Each hash known from outside the store (``expect``) that no record or link has, or
    that is too short or not hex to look for."""
    known = set(found.by_hash) | {
        link["hash"] for chain_links in found.links.values() for link in chain_links.values()
    }
    problems = []
    for digest in expect:
        wanted = digest.strip().lower()
        if len(wanted) < 8 or any(ch not in "0123456789abcdef" for ch in wanted):
            problems.append(
                Problem(
                    "chain",
                    None,
                    f"expected record {digest!r}: give at least the first 8 hex digits of its "
                    "hash (as verify and the reports print it)",
                )
            )
        elif not any(h.startswith(wanted) for h in known):
            problems.append(
                Problem(
                    "chain",
                    None,
                    f"expected record {digest[:16]}... is not in the store: "
                    "the chain was cut short or this is another store",
                )
            )
    return problems


def _citing(found: _StoreRecords) -> dict[str, list[tuple[str, dict]]]:
    """``{blob SHA-256: [(table, row), ...]}``: the records that cite each piece of stored
    data (a raw spectrum, a report's PDF)."""
    citing: dict[str, list[tuple[str, dict]]] = defaultdict(list)
    for table, row in found.by_hash.values():
        for column in ("raw_sha256", "pdf_sha256"):
            if row.get(column):
                citing[row[column]].append((table, row))
    return citing


def _altered_data_no_record_cites(
    found: _StoreRecords, citing: Mapping[str, list[tuple[str, dict]]]
) -> list[Problem]:
    """Stored data that no longer hashes to its SHA-256 and that no record cites.

    Altered data a record cites is that record's problem (:func:`_check_record`: it names
    its case and exhibit, so another case's report is not refused); data no record cites
    touches all."""
    return [
        Problem("blobs", None, f"stored data {sha[:16]}... no longer hashes to its SHA-256")
        for sha, fine in found.blob_ok.items()
        if not fine and sha not in citing
    ]


def _logged_tampering(
    store: Store, found: _StoreRecords, citing: Mapping[str, list[tuple[str, dict]]]
) -> list[Problem]:
    """Each update or delete the store's triggers logged, once for each exhibit it touches.

    A row still present tells which exhibit the logged change touches (for stored data, the
    exhibits of the records citing it); a deleted one could have been anything, so it
    touches every exhibit."""
    by_row_id = {(t, r["id"]): r for t, r in found.by_hash.values()}
    blob_rows = {r["rowid"]: r["sha256"] for r in store.query("SELECT rowid, sha256 FROM blobs")}
    problems = []
    for entry in store.query("SELECT * FROM tamper_log ORDER BY id"):
        table = entry["table_name"]
        if table == "blobs":
            sha = blob_rows.get(entry["row_id"])
            rows = citing.get(sha, []) if sha else []
            touched = sorted({_label(r, t) for t, r in rows}, key=str) or [(None, None)]
            where = f" (stored data {sha[:16]}...)" if sha else ""
        else:
            row = by_row_id.get((table, entry["row_id"]))
            touched = [_label(row, table) if row else (None, None)]
            where = f" (record #{row['seq']})" if row else ""
        for case, item in touched:
            problems.append(
                Problem(
                    table,
                    None,
                    f"the store's trigger logged an {entry['action']} of row id "
                    f"{entry['row_id']}{where} at {entry['at']} (records are never changed)",
                    None,
                    case,
                    item,
                )
            )
    return problems


def _in_chain_order(problems: list[Problem], chain_order: list[str]) -> list[Problem]:
    """The records' problems in chain order (by chain, then position; as found within one
    record), then the others as found; each once."""
    order = {cid: index for index, cid in enumerate(chain_order)}
    record_problems = [p for p in problems if p.seq is not None]
    other = [p for p in problems if p.seq is None]
    record_problems.sort(key=lambda p: (order.get(p.chain_id, len(order)), p.seq))
    return _dedupe(record_problems) + _dedupe(other)


def _warnings(store: Store, found: _StoreRecords) -> list[str]:
    """What verifies but deserves a reader's eye: an operator name signing with several
    keys, records dated out of order, and each exhibit's custody log's breaks and doubts."""
    warnings = [
        several_keys_warning(name, uses, own_chain=store.chain_id)
        for name, uses in key_uses(found.by_hash.values()).items()
        if len(uses) > 1
    ]
    warnings += dated_out_of_order(found.by_hash.values(), own_chain=store.chain_id)
    cases = {c["case_number"]: c for c in store.current("cases")}
    for exhibit in store.current("exhibits"):
        case_number, item = exhibit["case_number"], exhibit["item_number"]
        warnings += [
            f"case {case_number} exhibit {item}: {warning}"
            for warning in custody_warnings(
                store.custody_events(case_number, item),
                exhibit=exhibit,
                case=cases.get(case_number),
            )
        ]
    return warnings


#: What a record of each chained table is called in a warning.
_RECORD_KIND = {
    "cases": "case",
    "exhibits": "label",
    "custody_events": "custody",
    "measurements": "measurement",
    "results": "result",
    "reports": "report",
    "operator_keys": "key",
    "imports": "import",
}


def record_label(table: str, row: Mapping[str, Any], own_chain: str | None = None) -> str:
    """A record as warnings name it: ``custody record #30``, with its chain when it is not
    the store's own (``(chain 45f9f459)``).

    Parameters
    ----------
    table : str
        The record's table.
    row : mapping
        The record, with its ``seq`` and ``chain_id``.
    own_chain : str, optional
        The store's own chain id; None names no chain.

    Returns
    -------
    str
    """
    label = f"{_RECORD_KIND.get(table, table)} record #{row['seq']}"
    if own_chain is not None and row["chain_id"] != own_chain:
        label += f" (chain {row['chain_id'][:8]})"
    return label


def dated_out_of_order(
    records: Iterable[tuple[str, Mapping[str, Any]]], *, own_chain: str | None = None
) -> list[str]:
    """Each record dated before the record before it in its chain, by more than clocks differ
    (:data:`~forensic.custody.store.CLOCK_TOLERANCE`), in words.

    Records are made one after another, so one of the two was dated by a wrong clock: one that
    was behind (a store refuses it since, :meth:`~forensic.custody.store.Store.check_clock`),
    or one that was ahead, which a record made with ``--clock-checked`` then follows. The
    dates the records state (when analysed, received, issued) are as wrong as that clock; the
    order in which they are read is their chain's, which is not.

    Parameters
    ----------
    records : iterable of (str, mapping)
        ``(table, row)`` of the records, each with ``chain_id``, ``seq`` and ``recorded_at``,
        in any order.
    own_chain : str, optional
        The store's own chain id, to name the chain of another's records
        (:func:`record_label`).

    Returns
    -------
    list of str
        One sentence per record dated before the one before it, in chain order.
    """
    chains: dict[str, dict[int, tuple[str, Mapping[str, Any]]]] = defaultdict(dict)
    for table, row in records:
        chains[row["chain_id"]].setdefault(row["seq"], (table, row))
    said = []
    for chain_id in sorted(chains, key=lambda c: (c != own_chain, c)):
        positions = chains[chain_id]
        ordered = [positions[seq] for seq in sorted(positions)]
        for (table_before, before), (table, row) in itertools.pairwise(ordered):
            then, now = recorded_moment(before["recorded_at"]), recorded_moment(row["recorded_at"])
            if then is None or now is None or now >= then - CLOCK_TOLERANCE:
                continue
            said.append(
                f"{record_label(table, row, own_chain)} was recorded at "
                f"{utc_when(row['recorded_at'])}, before "
                f"{record_label(table_before, before, own_chain)} "
                f"({utc_when(before['recorded_at'])}), which was recorded before it: the clock "
                "that dated one of them was wrong, and so are the dates it gave"
            )
    return said


def key_uses(
    records: Iterable[tuple[str, Mapping[str, Any]]],
) -> dict[str, dict[str, list[tuple[str, Mapping[str, Any]]]]]:
    """``{signer: {key fingerprint: [(table, record), ...]}}``: which key signed which record
    under each name.

    Parameters
    ----------
    records : iterable of (str, mapping)
        Chained records (``signer``, ``key_fingerprint``, ``seq``, ``chain_id``), each with
        the table it is from.

    Returns
    -------
    dict
        Names, each key's records in chain order. A name with more than one key is what
        :func:`several_keys_warning` says.
    """
    uses: dict[str, dict[str, list[tuple[str, Mapping[str, Any]]]]] = {}
    for table, row in sorted(records, key=lambda r: (str(r[1]["chain_id"]), chain_position(r[1]))):
        uses.setdefault(row["signer"], {}).setdefault(row["key_fingerprint"], []).append(
            (table, row)
        )
    return uses


_LISTED = 6  # records named per key; the rest are counted


def several_keys_warning(
    name: str,
    uses: Mapping[str, Sequence[tuple[str, Mapping[str, Any]]]],
    *,
    own_chain: str | None = None,
) -> str:
    """The warning that one operator name signs with several keys, naming each key (its
    fingerprint's first 16 hex digits) and the records it signed.

    A key may be replaced legitimately (a new computer, a lost key file); anyone who can write
    to the store can also register a key under someone's name. Which keys are theirs only the
    operator can say, so this is a warning with the facts, not a failure.

    Parameters
    ----------
    name : str
        The operator name.
    uses : mapping of str to sequence of (str, mapping)
        For each key's fingerprint, the records it signed as ``(table, row)``; the first few
        are named, the rest counted.
    own_chain : str, optional
        The store's own chain id, as for :func:`record_label`.

    Returns
    -------
    str
    """
    parts = []
    for fpr, rows in uses.items():
        labels = [record_label(table, row, own_chain) for table, row in rows[:_LISTED]]
        if len(rows) > _LISTED:
            labels.append(f"{len(rows) - _LISTED} more")
        parts.append(f"key {fpr[:16]} signed {', '.join(labels)}")
    return (
        f"{name} signs with {len(uses)} keys: " + "; ".join(parts) + f". A key change, or "
        f"someone else signing as {name}: check with {name} which fingerprints are theirs"
    )


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen, out = set(), []
    for problem in problems:
        if problem not in seen:
            seen.add(problem)
            out.append(problem)
    return out


def _check_record(
    table: str,
    row: dict[str, Any],
    keys: dict[str, dict],
    by_hash: dict[str, tuple[str, dict]],
    blob_ok: dict[str, bool],
) -> list[Problem]:
    case, item = _label(row, table)
    seq, chain_id = row["seq"], row["chain_id"]

    def problem(what: str) -> Problem:
        return Problem(table, seq, what, chain_id, case, item)

    found = []
    content = chain.record_content(table, row)
    recomputed = chain.record_hash(table, content)
    key = keys.get(row["key_fingerprint"])
    signature_fine = key is not None and verify_signature(
        key["public_key"],
        row["signature"],
        bytes.fromhex(row["hash"]) if _is_hex(row["hash"], 64) else b"",
    )
    if recomputed != row["hash"]:
        changed = chain.changed_columns(content)
        if changed is None:
            which = "its column digests are unreadable"
        elif changed:
            which = "changed: " + ", ".join(
                f"{column} (now {_short(row.get(column))})" for column in changed
            )
        else:
            which = "its column digests were rewritten to match"
        if signature_fine:
            found.append(
                problem(
                    f"content differs from what was signed; {which} (signed hash "
                    f"{row['hash'][:16]}..., content now hashes to {recomputed[:16]}...)"
                )
            )
        else:
            found.append(
                problem(
                    f"stored hash {row['hash'][:16]}... does not match the content "
                    f"({recomputed[:16]}...) and the signature does not match either"
                )
            )
    elif key is None:
        found.append(
            problem(
                f"signed with key {row['key_fingerprint'][:16]}..., which no "
                "operator_keys record holds"
            )
        )
    elif not signature_fine:
        found.append(
            problem(
                f"signature of {row['signer']!r} does not verify with key "
                f"{row['key_fingerprint'][:16]}... (the record or its signature was changed "
                "after signing)"
            )
        )
    if key is not None and key["operator"] != row["signer"]:
        found.append(problem(f"signed as {row['signer']!r} with the key of {key['operator']!r}"))
    if table == "operator_keys":
        if (
            not _is_hex(row["public_key"], 64)
            or fingerprint(row["public_key"]) != row["fingerprint"]
        ):
            found.append(problem("public key does not match its fingerprint"))
        if row["key_fingerprint"] != row["fingerprint"]:
            found.append(problem("key record not signed by the key it registers"))
    for column, target_table in (
        ("case_hash", "cases"),
        ("exhibit_hash", "exhibits"),
        ("measurement_hash", "measurements"),
    ):
        if column in row:
            target = by_hash.get(row[column])
            if target is None or target[0] != target_table:
                found.append(
                    problem(
                        f"refers to a {target_table} record {str(row[column])[:16]}"
                        "... that is not in the store"
                    )
                )
            elif target[1]["case_number"] != row["case_number"] or (
                "item_number" in target[1] and target[1]["item_number"] != row["item_number"]
            ):
                found.append(problem(f"refers to a {target_table} record of another exhibit"))
    for column in ("raw_sha256", "pdf_sha256"):
        sha = row.get(column)
        if sha is None:
            continue
        if sha not in blob_ok:
            found.append(problem(f"its data ({column} {sha[:16]}...) is missing from the store"))
        elif not blob_ok[sha]:
            found.append(
                problem(
                    f"its data ({column} {sha[:16]}...) was altered: the bytes no "
                    "longer hash to the recorded SHA-256"
                )
            )
    if table == "results":
        try:
            json.loads(row["identification_json"])
        except (TypeError, ValueError):
            found.append(problem("identification_json is not valid JSON"))
    return found


def _check_import(row: dict[str, Any], links: dict[str, dict[int, dict]]) -> list[Problem]:
    found = []
    try:
        origins = json.loads(row["origin_chains_json"])
    except (TypeError, ValueError):
        return [
            Problem("imports", row["seq"], "origin_chains_json is not valid JSON", row["chain_id"])
        ]
    if not _are_origins(origins):
        # JSON of another shape (edited behind the toolkit's back) is reported, not a crash
        return [
            Problem(
                "imports",
                row["seq"],
                f"origin_chains_json is not a list of origin chains, each with its chain_id, "
                f"head_seq and links_sha256 (now {_short(row['origin_chains_json'])})",
                row["chain_id"],
            )
        ]
    for origin in origins:
        skeleton = links.get(origin["chain_id"], {})
        subset = [
            (seq, link["table_name"], link["hash"], link["prev_hash"])
            for seq, link in skeleton.items()
            if seq <= origin["head_seq"]
        ]
        if links_digest(subset) != origin["links_sha256"]:
            found.append(
                Problem(
                    "imports",
                    row["seq"],
                    f"the link skeleton of imported chain "
                    f"{origin['chain_id'][:8]} was changed since the import",
                    row["chain_id"],
                )
            )
    return found


def _are_origins(origins: Any) -> bool:
    """Whether an import's ``origin_chains_json`` holds what :func:`_check_import` reads: a
    list of objects, each with a ``chain_id`` and ``links_sha256`` (text) and a
    ``head_seq`` (a whole number)."""
    return isinstance(origins, list) and all(
        isinstance(origin, dict)
        and isinstance(origin.get("chain_id"), str)
        and isinstance(origin.get("links_sha256"), str)
        and isinstance(origin.get("head_seq"), int)
        and not isinstance(origin.get("head_seq"), bool)
        for origin in origins
    )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _is_hex(text: Any, length: int) -> bool:
    if not isinstance(text, str) or len(text) != length:
        return False
    try:
        bytes.fromhex(text)
    except ValueError:
        return False
    return True
