"""Canonical JSON and record hashes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forensic.custody.chain import (
    canonical_json,
    changed_columns,
    column_digests,
    record_content,
    record_hash,
)
from forensic.errors import CustodyError

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@given(st.dictionaries(st.text(max_size=8), json_values, max_size=6))
def test_canonical_json_ignores_key_order(data):
    reversed_order = dict(reversed(list(data.items())))
    assert canonical_json(data) == canonical_json(reversed_order)


def test_canonical_json_is_compact_sorted_utf8():
    assert canonical_json({"b": 1, "a": "µ"}) == '{"a":"µ","b":1}'.encode()


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), {"x": [1.0, float("-inf")]}])
def test_canonical_json_refuses_nan_and_infinity(bad):
    with pytest.raises(CustodyError, match="NaN or infinite"):
        canonical_json(bad)


def test_canonical_json_refuses_what_json_cannot_hold():
    with pytest.raises(CustodyError, match="canonical JSON"):
        canonical_json({"when": object()})


ROW = {
    "id": 7,
    "chain_id": "c",
    "seq": 3,
    "recorded_at": "t",
    "signer": "A",
    "key_fingerprint": "k",
    "corrects": None,
    "prev_hash": "0" * 64,
    "case_number": "C1",
    "title": None,
    "unit": None,
    "location": None,
    "opened_by": "A",
    "notes": None,
    "hash": "h",
    "signature": "s",
}


def test_record_content_leaves_out_row_id_hash_and_signature():
    content = record_content("cases", ROW)
    assert "id" not in content and "hash" not in content and "signature" not in content
    assert content["prev_hash"] == "0" * 64


@pytest.mark.parametrize("column", ["seq", "signer", "prev_hash", "case_number", "opened_by"])
def test_every_content_column_changes_the_hash(column):
    changed = {**ROW, column: ROW[column] * 2 if isinstance(ROW[column], str) else 4}
    assert record_hash("cases", record_content("cases", changed)) != record_hash(
        "cases", record_content("cases", ROW)
    )


def test_the_table_name_is_part_of_the_hash():
    content = record_content("cases", ROW)
    assert record_hash("cases", content) != record_hash("exhibits", content)


def test_a_column_added_behind_the_schema_is_not_silently_ignored():
    assert record_hash("cases", record_content("cases", {**ROW, "extra": "x"})) != record_hash(
        "cases", record_content("cases", ROW)
    )


def test_column_digests_name_the_changed_column():
    content = record_content("cases", ROW)
    content["column_digests"] = column_digests(content)
    assert changed_columns(content) == []
    content["opened_by"] = "Someone Else"
    assert changed_columns(content) == ["opened_by"]
    content["column_digests"] = "not json"
    assert changed_columns(content) is None
