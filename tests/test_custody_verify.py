"""Verification names the first bad record for every kind of tampering the tests can think of."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from custody_helpers import OPERATOR, populated_store

from forensic.cli import main
from forensic.custody import Store, StoreDamagedError, chain, verify_store
from forensic.custody.keys import load_or_create_key
from forensic.custody.verify import dated_out_of_order


@pytest.fixture
def store_path(tmp_path):
    populated_store(tmp_path / "s").close()
    return tmp_path / "s"


def _sql(store_path, *statements):
    conn = sqlite3.connect(store_path / "forensic.db")
    for statement in statements:
        conn.execute(*statement) if isinstance(statement, tuple) else conn.execute(statement)
    conn.commit()
    conn.close()


def _verify(store_path):
    with Store(store_path) as store:
        return verify_store(store)


def test_an_untouched_store_verifies(store_path):
    report = _verify(store_path)
    assert report.ok, report.summary()
    assert report.records == 6
    assert report.summary().startswith("verified: 6 records")


def test_an_empty_store_is_said_to_hold_nothing_to_check(tmp_path):
    """It said 'verified: 0 records, every hash, link and signature ()'."""
    Store(tmp_path / "s").close()
    result = CliRunner().invoke(main, ["custody", "verify", "--store", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    assert result.output == (
        "verified: the store holds no records yet, so there is nothing to check\n"
    )


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        ("operator_keys", "operator", "Someone Else"),
        ("cases", "opened_by", "Someone Else"),
        ("cases", "title", "Another case"),
        ("exhibits", "description", "brown powder"),
        ("exhibits", "condition", "seal broken"),
        ("exhibits", "gps_lat", 10.0),
        ("custody_events", "received_by", "Someone Else"),
        ("custody_events", "seal_intact", 0),
        ("custody_events", "event_at", "2020-01-01T00:00:00Z"),
        ("custody_events", "location", "Evidence room 9"),  # none was stated: schema 3's
        ("measurements", "operator", "Someone Else"),
        ("measurements", "instrument_json", "{}"),
        ("results", "verdict", "no_match"),
        ("results", "identification_json", '{"verdict":"no_match"}'),
        ("results", "signer", "Someone Else"),
        ("results", "recorded_at", "2020-01-01T00:00:00.000Z"),
    ],
)
def test_a_changed_column_is_named(store_path, table, column, value):
    _sql(store_path, (f"UPDATE {table} SET {column} = ?", (value,)))
    report = _verify(store_path)
    assert not report.ok
    assert report.first.table == table
    assert "content differs from what was signed" in report.first.what
    assert f"changed: {column} (now " in report.first.what
    assert "UPDATE" in report.problems[-1].what  # the trigger's log


def test_a_changed_signature_is_named(store_path):
    _sql(
        store_path,
        "UPDATE custody_events SET signature = substr(signature, 1, 127) || "
        "CASE WHEN substr(signature, 128) = '0' THEN '1' ELSE '0' END",
    )
    report = _verify(store_path)
    assert (report.first.table, report.first.seq) == ("custody_events", 4)
    assert "signature" in report.first.what


def test_a_changed_stored_hash_is_named_with_the_broken_link(store_path):
    # a different first byte whatever the hash was (a fixed 'ab' left 1 hash in 256 unchanged)
    _sql(
        store_path,
        "UPDATE exhibits SET hash = CASE WHEN substr(hash, 1, 2) = 'ab' THEN 'cd' ELSE 'ab' END "
        "|| substr(hash, 3)",
    )
    report = _verify(store_path)
    assert (report.first.table, report.first.seq) == ("exhibits", 3)
    whats = " ".join(p.what for p in report.problems)
    assert "chain link broken" in whats


def test_a_rehashed_record_without_the_key_fails_its_signature(store_path):
    with Store(store_path) as store:
        row = store.query("SELECT * FROM custody_events")[0]
    row["purpose"] = "destroyed"
    forged = chain.record_hash("custody_events", chain.record_content("custody_events", row))
    _sql(store_path, ("UPDATE custody_events SET purpose = 'destroyed', hash = ?", (forged,)))
    report = _verify(store_path)
    assert (report.first.table, report.first.seq) == ("custody_events", 4)
    assert "does not verify with key" in report.first.what
    assert any("chain link broken" in p.what for p in report.problems)


def test_altered_raw_data_is_named_on_its_measurement(store_path):
    _sql(store_path, "UPDATE blobs SET data = CAST(replace(CAST(data AS TEXT), '1', '2') AS BLOB)")
    report = _verify(store_path)
    assert report.first.table == "measurements"
    assert "was altered" in report.first.what


def test_a_deleted_record_leaves_a_gap_even_without_the_triggers(store_path):
    _sql(store_path, "DROP TRIGGER custody_events_log_delete", "DELETE FROM custody_events")
    report = _verify(store_path)
    assert report.first.seq == 4
    assert "missing" in report.first.what


def test_a_record_signed_with_another_operators_key_is_named(store_path):
    other = load_or_create_key("Mallory")
    with Store(store_path) as store:
        store.operator_key("Mallory")
    _sql(store_path, ("UPDATE results SET key_fingerprint = ?", (other.fingerprint,)))
    report = _verify(store_path)
    assert report.first.table == "results"


def test_a_swapped_public_key_is_named(store_path):
    other = load_or_create_key("Mallory")
    _sql(store_path, ("UPDATE operator_keys SET public_key = ?", (other.public_key_hex,)))
    report = _verify(store_path)
    assert (report.first.table, report.first.seq) == ("operator_keys", 1)


def test_problems_say_which_exhibit_they_touch(store_path):
    with Store(store_path) as store:
        store.add_exhibit("CASE-1", "EX-2", operator=OPERATOR, description="tablets")
    _sql(store_path, "UPDATE exhibits SET description = 'x' WHERE item_number = 'EX-2'")
    report = _verify(store_path)
    assert report.problems_for("CASE-1", "EX-2")
    assert not [p for p in report.problems_for("CASE-1", "EX-1") if p.table == "exhibits"]


def _acceptance_style_tamper(db, name):
    """What the acceptance check does: the first text cell holding the name, in schema order."""
    conn = sqlite3.connect(db)
    for (table,) in conn.execute("select name from sqlite_master where type='table'").fetchall():
        cols = [r[1] for r in conn.execute(f"pragma table_info('{table}')")]
        for rowid, *vals in conn.execute(f"select rowid, * from '{table}'").fetchall():
            for col, value in zip(cols, vals, strict=True):
                if isinstance(value, str) and name in value:
                    conn.execute(
                        f"update '{table}' set '{col}'=? where rowid=?",
                        (value.replace(name, "Someone Else"), rowid),
                    )
                    conn.commit()
                    return table, col
    raise AssertionError("no cell holds the name")


def test_cli_verify_exit_codes_and_first_bad_record(store_path):
    runner = CliRunner()
    clean = runner.invoke(main, ["custody", "verify", "--store", str(store_path)])
    assert clean.exit_code == 0, clean.output
    assert "verified" in clean.output
    table, _ = _acceptance_style_tamper(store_path / "forensic.db", OPERATOR)
    broken = runner.invoke(main, ["custody", "verify", "--store", str(store_path)])
    assert broken.exit_code == 1
    assert f"first bad record: {table} record #" in broken.output


@pytest.mark.parametrize(
    "table", ["cases", "exhibits", "custody_events", "measurements", "results", "operator_keys"]
)
def test_every_text_cell_holding_the_operator_name_is_covered(store_path, table):
    conn = sqlite3.connect(store_path / "forensic.db")
    cols = [r[1] for r in conn.execute(f"pragma table_info('{table}')")]
    rows = conn.execute(f"select rowid, * from {table}").fetchall()
    conn.close()
    cells = [
        (rowid, col)
        for rowid, *vals in rows
        for col, v in zip(cols, vals, strict=True)
        if isinstance(v, str) and OPERATOR in v
    ]
    assert cells, f"{table} holds no operator name to test"
    for rowid, col in cells:
        _sql(
            store_path,
            (
                f"UPDATE {table} SET {col} = replace({col}, ?, 'Someone Else') WHERE rowid = ?",
                (OPERATOR, rowid),
            ),
        )
        report = _verify(store_path)
        assert not report.ok and report.first.table == table, (table, col)
        _sql(
            store_path,
            (
                f"UPDATE {table} SET {col} = replace({col}, 'Someone Else', ?) WHERE rowid = ?",
                (OPERATOR, rowid),
            ),
            "DELETE FROM tamper_log",
        )
    assert _verify(store_path).ok


def test_dropped_triggers_are_reported(store_path):
    _sql(store_path, "DROP TRIGGER results_log_update")
    report = _verify(store_path)
    assert not report.ok
    assert "trigger results_log_update was dropped" in report.first.what


def test_a_chain_cut_short_is_caught_with_a_hash_known_from_outside(store_path):
    with Store(store_path) as store:
        head = store.head()[1]
        last = store.add_custody_event(
            "CASE-1", "EX-1", operator=OPERATOR, received_by="B", purpose="storage"
        )
    assert _verify(store_path).ok
    # The last record is removed by someone who also removed the trigger that would log it.
    _sql(
        store_path,
        "DROP TRIGGER custody_events_log_delete",
        ("DELETE FROM custody_events WHERE hash = ?", (last["hash"],)),
        "CREATE TRIGGER custody_events_log_delete AFTER DELETE ON custody_events BEGIN "
        "INSERT INTO tamper_log(table_name, row_id, action, at) VALUES "
        "('custody_events', OLD.rowid, 'DELETE', 'x'); END",
    )
    assert _verify(store_path).ok  # the chain alone cannot see a cut at its end
    with Store(store_path) as store:
        assert verify_store(store, expect=[head]).ok
        assert verify_store(store, expect=[head[:16]]).ok  # as verify prints the head
        assert "first 8 hex digits" in verify_store(store, expect=[head[:6]]).first.what
        cut = verify_store(store, expect=[last["hash"]])
        assert "cut short" in verify_store(store, expect=[last["hash"][:16]]).first.what
    assert "cut short" in cut.first.what
    result = CliRunner().invoke(
        main, ["custody", "verify", "--store", str(store_path), "--expect", last["hash"]]
    )
    assert result.exit_code == 1


def test_only_the_report_file_catches_the_deletion_of_the_report_s_own_record(store_path, tmp_path):
    """The investigator's guide's word on a store cut short after a report: the Chain head the
    report prints is the head before its own record, so ``--expect`` with it does not notice
    that record deleted; ``--report`` with the file does."""
    from forensic.report import issue_report  # noqa: PLC0415

    with Store(store_path) as store:
        issued = issue_report(store, "CASE-1", operator=OPERATOR, pdf_path=tmp_path / "r.pdf")
    printed = issued.content["verification"]["chain_head_hash"]
    assert issued.record["prev_hash"] == printed  # the head before the report's record
    triggers = {
        name: sql
        for name, sql in sqlite3.connect(store_path / "forensic.db").execute(
            "SELECT name, sql FROM sqlite_master WHERE name IN "
            "('reports_log_delete', 'chain_links_log_delete')"
        )
    }
    _sql(
        store_path,
        *(f"DROP TRIGGER {name}" for name in triggers),
        "DELETE FROM reports",
        "DELETE FROM chain_links WHERE table_name = 'reports'",
        *triggers.values(),
    )
    runner = CliRunner()
    verify = ["custody", "verify", "--store", str(store_path)]
    expected = runner.invoke(main, [*verify, "--expect", printed])
    assert expected.exit_code == 0, expected.output  # what the guide says --expect cannot do
    caught = runner.invoke(main, [*verify, "--report", str(tmp_path / "r.pdf")])
    assert caught.exit_code == 1 and "this store lacks records after" in caught.output
    guide = Path(__file__).resolve().parents[1] / "docs" / "investigator.md"
    said = " ".join(guide.read_text(encoding="utf-8").split())
    assert "So only `verify --report FILE` catches the deletion of the report's own record" in said
    assert "`--expect` with the report's Chain head does not" in said
    assert "with the hash from an issued report or bundle catches it" not in said


def test_a_correction_can_name_the_record_by_a_hash_prefix(store_path):
    with Store(store_path) as store:
        old = store.custody_events("CASE-1")[0]
        new = store.add_custody_event(
            "CASE-1",
            "EX-1",
            operator=OPERATOR,
            received_by=OPERATOR,
            released_by="PC Smith",
            purpose="screening analysis",
            seal_intact=False,
            corrects=old["hash"][:12],
        )
        assert new["corrects"] == old["hash"]
        assert [e["hash"] for e in store.custody_events("CASE-1")] == [new["hash"]]
        with pytest.raises(Exception, match="at least the first 8 hex digits"):
            store.add_custody_event(
                "CASE-1", "EX-1", operator=OPERATOR, received_by="B", purpose="p", corrects="abc"
            )
        assert verify_store(store).ok


def test_a_store_sqlite_finds_damaged_does_not_verify(tmp_path):
    populated_store(tmp_path / "s").close()
    path = tmp_path / "s" / "forensic.db"
    data = bytearray(path.read_bytes())
    page = 4096
    for start in range(page, len(data), page):  # every page but the header's: its b-tree header
        data[start : start + 8] = b"\xff" * 8
    path.write_bytes(bytes(data))
    result = CliRunner().invoke(main, ["custody", "verify", "--store", str(tmp_path / "s")])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("NOT VERIFIED: ") and "damaged" in result.output
    with pytest.raises(StoreDamagedError, match="malformed"):
        verify_store(Store(tmp_path / "s"))


def test_a_second_key_under_one_name_is_warned_of_not_failed(store_path, tmp_path, monkeypatch):
    from forensic.report import issue_report  # noqa: PLC0415

    with Store(store_path) as store:
        genuine = store.operator_key(OPERATOR).fingerprint
    monkeypatch.setenv("FORENSIC_CONFIG_DIR", str(tmp_path / "elsewhere"))  # another key file
    with Store(store_path) as store:
        rogue = store.add_custody_event(
            "CASE-1",
            "EX-1",
            operator=OPERATOR,
            released_by=OPERATOR,
            received_by="Mallory",
            purpose="destruction",
        )
    assert rogue["key_fingerprint"] != genuine
    report = _verify(store_path)
    assert report.ok  # every record verifies: a key change is possible
    (warning,) = [w for w in report.warnings if "keys" in w]
    assert warning.startswith(f"{OPERATOR} signs with 2 keys: key {genuine[:16]} signed key record")
    assert f"; key {rogue['key_fingerprint'][:16]} signed key record #7, custody record #8." in (
        warning
    )
    result = CliRunner().invoke(main, ["custody", "verify", "--store", str(store_path)])
    assert result.exit_code == 0
    assert f"WARNING: {warning}" in result.output
    # the report shows which key signed each hand-over, and says one name has two
    monkeypatch.setenv("FORENSIC_CONFIG_DIR", str(tmp_path / "config"))
    with Store(store_path) as store:
        content = issue_report(store, "CASE-1", operator=OPERATOR).content
    (limitation,) = [x for x in content["limitations"] if "signs with 2 keys" in x]
    assert limitation.startswith(f"EX-1: {OPERATOR} signs with 2 keys: key {genuine[:16]} signed")
    assert f"key {rogue['key_fingerprint'][:16]} signed custody record #8." in limitation
    from forensic.report.layout import report_blocks  # noqa: PLC0415

    (signers,) = [b.text for b in report_blocks(content) if b.text.startswith("Custody records")]
    assert f"{OPERATOR} {genuine[:16]}: #4; {OPERATOR} {rogue['key_fingerprint'][:16]}: #8." in (
        signers
    )


def test_a_record_dated_before_the_one_before_it_in_its_chain_is_warned_of():
    """A clock a year fast dated a result 2027; the hand-over recorded after it, with the
    clock set right, is dated 2026: one of the two dates is wrong, and the reader is told."""
    rows = [
        ("cases", {"chain_id": "own", "seq": 1, "recorded_at": "2026-11-24T09:00:00Z"}),
        ("results", {"chain_id": "own", "seq": 2, "recorded_at": "2027-11-26T00:54:13Z"}),
        ("custody_events", {"chain_id": "own", "seq": 3, "recorded_at": "2026-11-24T10:00:00Z"}),
        # within the minutes two clocks differ by: no wrong clock
        ("reports", {"chain_id": "lab", "seq": 8, "recorded_at": "2026-11-24T10:00:00Z"}),
        ("reports", {"chain_id": "lab", "seq": 9, "recorded_at": "2026-11-24T09:56:00Z"}),
        ("imports", {"chain_id": "lab", "seq": 10, "recorded_at": "2026-11-24T09:00:00Z"}),
    ]
    assert dated_out_of_order(reversed(rows), own_chain="own") == [
        "custody record #3 was recorded at 2026-11-24 10:00:00Z, before result record #2 "
        "(2027-11-26 00:54:13Z), which was recorded before it: the clock that dated one of "
        "them was wrong, and so are the dates it gave",
        "import record #10 (chain lab) was recorded at 2026-11-24 09:00:00Z, before report "
        "record #9 (chain lab) (2026-11-24 09:56:00Z), which was recorded before it: the "
        "clock that dated one of them was wrong, and so are the dates it gave",
    ]


@pytest.mark.parametrize("position", ["'x'", "x'0a'", "2.5", "0"])
def test_a_position_edited_into_no_whole_number_is_reported_not_a_crash(store_path, position):
    # SQLite keeps the text 'x' in an INTEGER column: verify stopped with a TypeError, and
    # so did every screen that lists the records in chain order
    _sql(store_path, f"UPDATE custody_events SET seq = {position} WHERE rowid = 1")
    report = _verify(store_path)
    assert not report.ok
    said = [problem.what for problem in report.problems]
    assert "record missing: the positions jump here (deleted?)" in said
    assert any(
        what.startswith("the record of hash ")
        and what.endswith(
            "cannot stand in a chain: its position "
            f"{_stored(store_path)!r} is not a whole number from 1 (edited?)"
        )
        for what in said
    ), said
    for command in (["custody", "log", "CASE-1", "EX-1"], ["case", "show", "CASE-1"]):
        shown = CliRunner().invoke(main, [*command, "--store", str(store_path)])
        assert shown.exit_code == 0, (command, shown.output, shown.exception)
        assert "EX-1" in shown.output


def _stored(store_path):
    """The position the edited custody record holds, as Python reads it."""
    conn = sqlite3.connect(store_path / "forensic.db")
    try:
        return conn.execute("SELECT seq FROM custody_events WHERE rowid = 1").fetchone()[0]
    finally:
        conn.close()
