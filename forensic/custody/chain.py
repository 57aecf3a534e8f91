"""Canonical JSON, content hashes and the append-only hash chain over custody records.

Every chained record (an operator key, a case, an exhibit label, a custody event, a measurement,
a result, an issued report) is a row whose *content* is every column except its local row id,
its ``hash`` and its ``signature``. The content includes ``prev_hash``, the hash of the record
before it in the same chain, so changing, removing or reordering any record breaks every link
after it. The hash is SHA-256 over the canonical JSON of ``{"table": ..., "content": ...}``.

Canonical JSON here means: keys sorted, no insignificant white space, UTF-8, no NaN or
infinity, floats written by Python's shortest round-trip ``repr``. The same record gives the
same bytes on every platform and every Python version we support.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

from forensic.errors import CustodyError

__all__ = [
    "CHAINED_TABLES",
    "CHAIN_COLUMNS",
    "GENESIS_HASH",
    "LATER_COLUMNS",
    "NOT_CONTENT",
    "canonical_json",
    "canonical_text",
    "changed_columns",
    "column_digests",
    "record_content",
    "record_hash",
    "sha256_hex",
]

GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of the first record of a chain."""

# Columns every chained table has, in this order, before its own columns. ``chain_id`` names the
# store that wrote the record (records imported from a bundle keep their origin's chain), ``seq``
# is the record's position in that chain (1, 2, 3, ... across all chained tables).
CHAIN_COLUMNS: dict[str, str] = {
    "chain_id": "TEXT NOT NULL",
    "seq": "INTEGER NOT NULL",
    "recorded_at": "TEXT NOT NULL",
    "signer": "TEXT NOT NULL",
    "key_fingerprint": "TEXT NOT NULL",
    "corrects": "TEXT",
    "prev_hash": "TEXT NOT NULL",
    # {column: first 16 hex digits of SHA-256(canonical JSON of its value)} for every other
    # content column. Hashed and signed with the rest; it lets verification say WHICH column
    # was changed, not only that the record was.
    "column_digests": "TEXT NOT NULL",
}

# The record tables and their own columns with SQLite types. One source of truth: the schema
# migration creates them from this, the store normalises values to these types before hashing,
# and verification recomputes the hash from exactly these columns.
CHAINED_TABLES: dict[str, dict[str, str]] = {
    "operator_keys": {
        "operator": "TEXT NOT NULL",
        "public_key": "TEXT NOT NULL",  # raw Ed25519 public key, 64 hex digits
        "fingerprint": "TEXT NOT NULL",  # SHA-256 of the raw public key, hex
    },
    "cases": {
        "case_number": "TEXT NOT NULL",
        "title": "TEXT",
        "unit": "TEXT",
        "location": "TEXT",
        "opened_by": "TEXT NOT NULL",
        "notes": "TEXT",
    },
    "exhibits": {
        "case_number": "TEXT NOT NULL",
        "case_hash": "TEXT NOT NULL REFERENCES cases(hash)",
        "item_number": "TEXT NOT NULL",
        "description": "TEXT NOT NULL",
        "seal_number": "TEXT",
        "collected_by": "TEXT",
        "collected_at": "TEXT",
        "collected_where": "TEXT",
        "gps_lat": "REAL",
        "gps_lon": "REAL",
        "condition": "TEXT",
        # the exhibit's records were filed under this case and exhibit number by mistake
        # (``exhibit filed-in-error``): 1 from the label that marks it so, 0 from one that
        # withdraws that marking, NULL in every label before; why, and (for a marking) the
        # case and exhibit its records belong to. Added by schema version 4 (LATER_COLUMNS)
        "filed_in_error": "INTEGER",
        "filed_in_error_reason": "TEXT",
        "see_case_number": "TEXT",
        "see_item_number": "TEXT",
    },
    "custody_events": {
        "case_number": "TEXT NOT NULL",
        "item_number": "TEXT NOT NULL",
        "exhibit_hash": "TEXT NOT NULL REFERENCES exhibits(hash)",
        "released_by": "TEXT",
        "received_by": "TEXT NOT NULL",
        "event_at": "TEXT NOT NULL",
        "purpose": "TEXT NOT NULL",
        "seal_intact": "INTEGER",  # 1 intact, 0 broken, NULL not sealed / not stated
        "seal_number": "TEXT",
        "notes": "TEXT",
        # where the exhibit changed hands, as stated (``custody add --location``); added by
        # schema version 3 (LATER_COLUMNS)
        "location": "TEXT",
    },
    "measurements": {
        "case_number": "TEXT NOT NULL",
        "item_number": "TEXT NOT NULL",
        "exhibit_hash": "TEXT NOT NULL REFERENCES exhibits(hash)",
        "raw_sha256": "TEXT NOT NULL REFERENCES blobs(sha256)",
        "raw_format": "TEXT NOT NULL",
        "modality": "TEXT NOT NULL",
        "instrument_url": "TEXT",
        "instrument_json": "TEXT NOT NULL",
        "operator": "TEXT NOT NULL",
        "acquired_at": "TEXT NOT NULL",
        # where the spectrum was acquired, and the unit that acquired it, as the scan stated
        # them (``--location``, ``--unit``); added by schema version 2 (LATER_COLUMNS)
        "location": "TEXT",
        "unit": "TEXT",
    },
    "results": {
        "case_number": "TEXT NOT NULL",
        "item_number": "TEXT NOT NULL",
        "measurement_hash": "TEXT NOT NULL REFERENCES measurements(hash)",
        "verdict": "TEXT NOT NULL",
        "best_name": "TEXT",
        "identification_json": "TEXT NOT NULL",
        "library_version": "TEXT",
        "pipeline_json": "TEXT NOT NULL",
        "operator": "TEXT NOT NULL",
    },
    "reports": {
        "case_number": "TEXT NOT NULL",
        "item_number": "TEXT",
        "report_id": "TEXT NOT NULL",
        "content_sha256": "TEXT NOT NULL",
        "pdf_sha256": "TEXT REFERENCES blobs(sha256)",
        "content_json": "TEXT NOT NULL",
        "issued_by": "TEXT NOT NULL",
        "issued_at": "TEXT NOT NULL",
        "forced": "INTEGER NOT NULL",
    },
    "imports": {
        "bundle_sha256": "TEXT NOT NULL",
        "manifest_sha256": "TEXT NOT NULL",
        "case_number": "TEXT NOT NULL",
        "origin_chains_json": "TEXT NOT NULL",
        "record_count": "INTEGER NOT NULL",
        "imported_by": "TEXT NOT NULL",
    },
}

LATER_COLUMNS: dict[str, dict[str, int]] = {
    "measurements": {"location": 2, "unit": 2},
    "custody_events": {"location": 3},
    "exhibits": {
        "filed_in_error": 4,
        "filed_in_error_reason": 4,
        "see_case_number": 4,
        "see_item_number": 4,
    },
}
"""Columns added to a chained table after its first schema, with the schema version that added
each (``{table: {column: version}}``). A record's content holds such a column only when it
has a value: a record made before the column existed reads NULL in it, and hashes (and
verifies) as it was signed, without it; a record made since without a value hashes the same
way. Setting a value in a record made without one changes its content, and its hash."""

NOT_CONTENT = frozenset({"id", "hash", "signature"})
"""Columns of a chained row that are not part of its hashed content."""


def _check_finite(value: Any, where: str) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise CustodyError(f"{where}: {value!r} cannot be recorded (NaN or infinite)")
    if isinstance(value, Mapping):
        for key, item in value.items():
            _check_finite(item, f"{where}.{key}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _check_finite(item, f"{where}[{index}]")


def canonical_json(value: Any) -> bytes:
    """The canonical UTF-8 JSON bytes of ``value`` (sorted keys, compact, no NaN).

    Parameters
    ----------
    value : object
        Plain JSON data: dicts with str keys, lists, str, int, finite float, bool, None.

    Returns
    -------
    bytes
        UTF-8 JSON, keys sorted, no spaces, non-ASCII characters as they are.

    Raises
    ------
    CustodyError
        If ``value`` holds NaN, infinity or something JSON cannot represent.
    """
    _check_finite(value, "value")
    try:
        text = json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as exc:
        raise CustodyError(f"cannot write this record as canonical JSON: {exc}") from None
    return text.encode("utf-8")


def canonical_text(value: Any) -> str:
    """:func:`canonical_json` as a ``str`` (what JSON columns of the store hold).

    Parameters
    ----------
    value : object
        As for :func:`canonical_json`.

    Returns
    -------
    str

    Raises
    ------
    CustodyError
        As :func:`canonical_json`.
    """
    return canonical_json(value).decode("utf-8")


def sha256_hex(data: bytes) -> str:
    """SHA-256 of ``data`` as 64 lowercase hex digits.

    Parameters
    ----------
    data : bytes

    Returns
    -------
    str
    """
    return hashlib.sha256(data).hexdigest()


def record_content(table: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """The hashed content of a chained row: its chain columns and its own columns.

    Columns not in the schema, and columns a later migration added to the schema
    (:data:`LATER_COLUMNS`: a record made before them reads NULL in them), are left out when
    their value is NULL; any other value is included, so a value set in such a column after
    the record was signed makes its hash not match.

    Parameters
    ----------
    table : str
        A chained table (a key of :data:`CHAINED_TABLES`).
    row : mapping
        The row as stored.

    Returns
    -------
    dict
        The row without :data:`NOT_CONTENT` columns, nor NULL columns the schema does not know
        or added later.

    Raises
    ------
    CustodyError
        ``table`` is not a chained table.
    """
    if table not in CHAINED_TABLES:
        raise CustodyError(f"{table!r} is not a chained table")
    content = {}
    later = LATER_COLUMNS.get(table, {})
    for column, value in row.items():
        if column in NOT_CONTENT:
            continue
        if value is None and (
            column in later or (column not in CHAIN_COLUMNS and column not in CHAINED_TABLES[table])
        ):
            continue
        content[column] = value
    return content


def record_hash(table: str, content: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of a record: canonical JSON of ``{"table": table, "content": content}``.

    Parameters
    ----------
    table : str
        The record's table.
    content : mapping
        Its content (:func:`record_content`).

    Returns
    -------
    str
        64 lower-case hex digits.

    Raises
    ------
    CustodyError
        As :func:`canonical_json`.
    """
    return sha256_hex(canonical_json({"table": table, "content": dict(content)}))


def column_digests(content: Mapping[str, Any]) -> str:
    """The ``column_digests`` value for a record's content (canonical JSON text).

    Parameters
    ----------
    content : mapping
        A record's content; a ``column_digests`` column in it is left out.

    Returns
    -------
    str
        Canonical JSON of ``{column: first 16 hex digits of the SHA-256 of its value}``.
    """
    return canonical_text(
        {
            column: sha256_hex(canonical_json(value))[:16]
            for column, value in content.items()
            if column != "column_digests"
        }
    )


def changed_columns(content: Mapping[str, Any]) -> list[str] | None:
    """Columns whose value no longer matches the digest recorded when the record was signed.

    Returns None when the recorded digests themselves are unreadable.

    Parameters
    ----------
    content : mapping
        A record's content (:func:`record_content`), with its recorded ``column_digests``.

    Returns
    -------
    list of str or None
        The names of the changed columns, sorted (a column added or removed since counts);
        empty when none changed; None when the recorded digests cannot be read.
    """
    try:
        recorded = json.loads(content.get("column_digests") or "")
    except (TypeError, ValueError):
        return None
    if not isinstance(recorded, dict):
        return None
    current = json.loads(column_digests(content))
    return sorted(c for c in {*recorded, *current} if recorded.get(c) != current.get(c))
