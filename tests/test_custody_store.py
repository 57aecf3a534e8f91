"""The evidence store: location, SQLite settings, migrations, records, corrections, locking."""

from __future__ import annotations

import contextlib
import gzip
import itertools
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from custody_helpers import OPERATOR, identification_dict, populated_store
from synthetic import make_spectrum

from forensic.cli import custody as custody_cli
from forensic.cli import main
from forensic.custody import (
    Store,
    StoreBusyError,
    StoreDamagedError,
    StoreReadOnlyError,
    chain,
    resolve_store_path,
    verify_store,
)
from forensic.custody import store as store_module
from forensic.custody.store import (
    APPLICATION_ID,
    DB_NAME,
    MIGRATIONS,
    SCHEMA_VERSION,
    StoreFullError,
    check_outputs_off_store,
    raw_sha256,
    raw_spectrum_bytes,
)
from forensic.custody.unrecorded import keep_unrecorded, read_unrecorded, signature_finding
from forensic.errors import CustodyError
from forensic.files import OutputError


def test_store_path_folder_file_and_environment(tmp_path, monkeypatch):
    assert resolve_store_path(tmp_path / "van") == tmp_path / "van" / DB_NAME
    assert resolve_store_path(tmp_path / "evidence.db") == tmp_path / "evidence.db"
    monkeypatch.setenv("FORENSIC_STORE", str(tmp_path / "env-store"))
    assert resolve_store_path(None) == tmp_path / "env-store" / DB_NAME


def test_new_store_is_wal_with_foreign_keys_and_versioned_schema(tmp_path):
    with Store(tmp_path / "s") as store:
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] > 0
        assert store.schema_version() == SCHEMA_VERSION
        versions = [r["version"] for r in store.query("SELECT version FROM schema_version")]
        assert versions == [v for v, _, _ in MIGRATIONS]
    # Re-opening applies nothing twice.
    with Store(tmp_path / "s") as store:
        assert len(store.query("SELECT * FROM schema_version")) == len(MIGRATIONS)


def test_a_new_migration_is_applied_once_to_an_existing_store(tmp_path, monkeypatch):
    populated_store(tmp_path / "s").close()

    def add_lab_table(conn):
        conn.execute("CREATE TABLE lab_notes (id INTEGER PRIMARY KEY, text TEXT)")

    following = SCHEMA_VERSION + 1
    monkeypatch.setattr(
        store_module, "MIGRATIONS", [*MIGRATIONS, (following, "lab notes", add_lab_table)]
    )
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", following)
    with Store(tmp_path / "s") as store:
        assert store.schema_version() == following
        assert store.query("SELECT count(*) AS n FROM lab_notes")[0]["n"] == 0
        assert verify_store(store).ok  # records written under the earlier versions still verify
    with Store(tmp_path / "s") as store:
        versions = [r["version"] for r in store.query("SELECT version FROM schema_version")]
        assert versions == [*range(1, following + 1)]


FIXTURES = Path(__file__).parent / "fixtures"


def _store_of_0_6_0(tmp_path: Path) -> Path:
    """A copy of the store forensic 0.6.0 made (schema 1: its measurements record no
    location; ``fixtures/make_store_0_6_0.py``)."""
    path = tmp_path / "old.db"
    path.write_bytes(gzip.decompress((FIXTURES / "store-0.6.0.db.gz").read_bytes()))
    return path


def _hashes(store: Store) -> dict[str, list[str]]:
    return {
        table: [row["hash"] for row in store.query(f"SELECT hash FROM {table} ORDER BY seq")]
        for table in chain.CHAINED_TABLES
    }


def test_a_store_of_0_6_0_is_read_verified_and_upgraded_with_its_records_as_signed(tmp_path):
    """Schema 2 adds where a measurement was made: a store made before it is read as it is
    (read-only too, where it cannot be upgraded), upgraded by a command that records, and
    every record it held still hashes and verifies as it was signed."""
    path = _store_of_0_6_0(tmp_path)
    with Store(path, read_only=True) as store:
        assert store.schema_version() == 1
        assert verify_store(store).ok
        (measurement,) = store.measurements("CASE-1", "EX-1")
        assert "location" not in measurement  # read as it is: the column is not there yet
        before = _hashes(store)
    with Store(path) as store:
        assert store.schema_version() == SCHEMA_VERSION
        (measurement,) = store.measurements("CASE-1", "EX-1")
        assert (measurement["location"], measurement["unit"]) == (None, None)
        assert _hashes(store) == before
        report = verify_store(store)
        assert report.ok, report.summary()
        # recorded now, beside them: where it was done, and the chain goes on verifying
        again = store.add_measurement(
            "CASE-1",
            "EX-1",
            store.load_spectrum(measurement),
            operator=OPERATOR,
            location="Central Lab, Den Haag",
        )
        assert again["location"] == "Central Lab, Den Haag" and again["unit"] is None
        assert verify_store(store).ok
    with Store(path, read_only=True) as store:
        assert [m["location"] for m in store.measurements("CASE-1")] == [
            None,
            "Central Lab, Den Haag",
        ]


def test_a_measurement_records_where_and_by_which_unit_and_a_change_to_either_is_caught(tmp_path):
    """The columns schema 2 added are content only when they hold a value (a record made
    without one hashes as records made before them did), so setting or changing one after
    the record was signed is caught, and named."""
    with Store(tmp_path / "s") as store:
        store.open_case("C-1", operator=OPERATOR)
        store.add_exhibit("C-1", "A1", operator=OPERATOR, description="powder")
        spectrum = make_spectrum(step=10.0)
        placed = store.add_measurement(
            "C-1",
            "A1",
            spectrum,
            operator=OPERATOR,
            location="  Central Lab,\tDen Haag ",
            unit="Forensic Drugs Unit",
        )
        unplaced = store.add_measurement("C-1", "A1", spectrum, operator=OPERATOR, location=" ")
        assert placed["location"] == "Central Lab, Den Haag"  # one-spaced, as names are
        assert placed["unit"] == "Forensic Drugs Unit"
        assert (unplaced["location"], unplaced["unit"]) == (None, None)
        (stored,) = [m for m in store.measurements("C-1") if m["seq"] == placed["seq"]]
        assert chain.record_content("measurements", stored)["location"] == "Central Lab, Den Haag"
        assert "location" not in json.loads(unplaced["column_digests"])
        assert verify_store(store).ok
    for seq, column in ((unplaced["seq"], "location"), (placed["seq"], "unit")):
        copy = tmp_path / f"copy-{column}"
        copy.mkdir()
        (copy / DB_NAME).write_bytes((tmp_path / "s" / DB_NAME).read_bytes())
        conn = sqlite3.connect(copy / DB_NAME)
        conn.execute(f"UPDATE measurements SET {column} = 'Van 3' WHERE seq = ?", (seq,))
        conn.commit()
        conn.close()
        with Store(copy) as store:
            report = verify_store(store)
        assert not report.ok
        assert report.first.table == "measurements" and report.first.seq == seq
        assert f"changed: {column} (now " in report.first.what


def _store_of_0_7_0(tmp_path: Path) -> Path:
    """A copy of the store forensic 0.7.0 made (schema 2: its measurements record where they
    were acquired, its hand-overs record no place; ``fixtures/make_store_0_7_0.py``), in a
    folder of its own."""
    folder = tmp_path / "old-0.7.0"
    folder.mkdir()
    (folder / DB_NAME).write_bytes(gzip.decompress((FIXTURES / "store-0.7.0.db.gz").read_bytes()))
    return folder


def test_a_store_of_0_7_0_is_upgraded_to_schema_4_with_its_records_as_signed(tmp_path):
    """Schema 3 adds where a hand-over took place, schema 4 a label's marking as filed in
    error: a store of schema 2 is read as it is, a command that records upgrades it, and every
    record it held (its measurements' places among them) still hashes and verifies as it was
    signed."""
    path = _store_of_0_7_0(tmp_path)
    with Store(path, read_only=True) as store:
        assert store.schema_version() == 2
        assert verify_store(store).ok
        events = store.custody_events("CASE-7", "EX-1")
        assert len(events) == 2 and all("location" not in e for e in events)  # no column yet
        before = _hashes(store)
    log = CliRunner().invoke(main, ["custody", "log", "CASE-7", "--store", str(path)])
    assert log.exit_code == 0, log.output  # the log reads a store of schema 2 as it is
    assert "PC Smith -> Ann Example: screening analysis (seal" in log.output
    with Store(path) as store:
        assert store.schema_version() == SCHEMA_VERSION == 4
        assert [r["version"] for r in store.query("SELECT version FROM schema_version")] == [
            1,
            2,
            3,
            4,
        ]
        assert [e["location"] for e in store.custody_events("CASE-7", "EX-1")] == [None, None]
        assert [m["location"] for m in store.measurements("CASE-7", "EX-1")] == [
            "Van 3, A1 lay-by",
            None,
        ]
        assert _hashes(store) == before
        report = verify_store(store)
        assert report.ok, report.summary()
        # recorded now, beside them: where the exhibit changed hands, one-spaced
        placed = store.add_custody_event(
            "CASE-7",
            "EX-1",
            operator=OPERATOR,
            released_by="Bo Courier",
            received_by="Cy Clerk",
            purpose="storage",
            location="  Evidence room 2,\n Central   Lab ",
        )
        unplaced = store.add_custody_event(
            "CASE-7", "EX-1", operator=OPERATOR, released_by="Cy Clerk", received_by="Di Lab",
            purpose="analysis", location=" \t ",
        )  # fmt: skip
        assert placed["location"] == "Evidence room 2, Central Lab"
        assert unplaced["location"] is None
        (stored,) = [e for e in store.custody_events("CASE-7") if e["seq"] == placed["seq"]]
        assert stored["location"] == "Evidence room 2, Central Lab"
        assert "location" in json.loads(placed["column_digests"])
        # a hand-over with no place hashes as those recorded before schema 3
        assert "location" not in json.loads(unplaced["column_digests"])
        assert "location" not in chain.record_content("custody_events", unplaced)
        assert _hashes(store)["custody_events"][:2] == before["custody_events"]
        assert verify_store(store).ok
    with Store(path, read_only=True) as store:
        assert [e["location"] for e in store.custody_events("CASE-7")] == [
            None,
            None,
            "Evidence room 2, Central Lab",
            None,
        ]


def test_a_correction_states_a_hand_over_s_place_and_keeps_the_rest(tmp_path):
    """A hand-over of schema 2 corrected to say where it took place keeps what the correction
    does not state (who, the seal, the notes), and the report names the place as the change;
    a correction that states no place keeps the place of the hand-over it corrects."""
    from forensic.report.content import correction_changes  # noqa: PLC0415

    path = _store_of_0_7_0(tmp_path)
    with Store(path) as store:
        first = store.custody_events("CASE-7", "EX-1")[0]
        fixed = store.add_custody_event(
            "CASE-7", "EX-1", operator=OPERATOR, received_by=OPERATOR,
            purpose="screening analysis", location="Van 3, A1 lay-by", corrects=first["hash"],
        )  # fmt: skip
        assert fixed["location"] == "Van 3, A1 lay-by"
        assert (fixed["released_by"], fixed["seal_number"], fixed["notes"]) == (
            "PC Smith",
            "S-7",
            "received at the roadside",
        )
        changes = correction_changes("custody_events", first, fixed)
        assert [c["stated"] for c in changes] == ['location (none) -> "Van 3, A1 lay-by"']
        again = store.add_custody_event(
            "CASE-7", "EX-1", operator=OPERATOR, received_by=OPERATOR,
            purpose="screening analysis", seal_number="S-7b", corrects=fixed["hash"],
        )  # fmt: skip
        assert again["location"] == "Van 3, A1 lay-by"
        assert verify_store(store).ok


def test_a_changed_place_of_a_hand_over_is_named_by_custody_verify(tmp_path):
    """Setting a place in a hand-over recorded without one (before schema 3, or since) and
    changing the place of one recorded with one are each caught by ``custody verify``, which
    names the record and the column."""
    path = _store_of_0_7_0(tmp_path)
    with Store(path) as store:
        placed = store.add_custody_event(
            "CASE-7", "EX-1", operator=OPERATOR, released_by="Bo Courier",
            received_by="Cy Clerk", purpose="storage", location="Evidence room 2",
        )  # fmt: skip
        old_seq = store.custody_events("CASE-7", "EX-1")[0]["seq"]
    for seq, place in ((placed["seq"], "Evidence room 3"), (old_seq, "Van 9")):
        copy = tmp_path / f"copy-{seq}"
        shutil.copytree(path, copy)
        conn = sqlite3.connect(copy / DB_NAME)
        conn.execute("UPDATE custody_events SET location = ? WHERE seq = ?", (place, seq))
        conn.commit()
        conn.close()
        result = CliRunner().invoke(main, ["custody", "verify", "--store", str(copy)])
        assert result.exit_code == 1, result.output
        assert f"custody_events record #{seq}" in result.output
        assert f"changed: location (now '{place}')" in result.output


def test_custody_add_records_a_hand_over_s_place_and_refuses_a_blank_one(tmp_path):
    """``custody add --location`` records the place one-spaced, and the log shows it; a blank
    one, given by mistake (a script's unset variable), is refused with nothing recorded:
    leaving the option out states no place."""
    populated_store(tmp_path / "s").close()
    runner = CliRunner()
    base = ["custody", "add", "CASE-1", "EX-1", "--received-by", "B", "--released-by",
            OPERATOR, "--purpose", "storage", "--operator", OPERATOR,
            "--store", str(tmp_path / "s")]  # fmt: skip
    for blank in ("", "  \t "):
        refused = runner.invoke(main, [*base, "--location", blank])
        assert refused.exit_code == 2
        assert "Invalid value for '--location'" in refused.output
        assert "is blank: give the place" in refused.output
        assert "nothing was recorded" in refused.output
    with Store(tmp_path / "s", read_only=True) as store:
        assert len(store.custody_events("CASE-1", "EX-1")) == 1
    added = runner.invoke(main, [*base, "--location", " Evidence  room 2 "])
    assert added.exit_code == 0, added.output
    with Store(tmp_path / "s", read_only=True) as store:
        assert store.custody_events("CASE-1", "EX-1")[-1]["location"] == "Evidence room 2"
    log = runner.invoke(main, ["custody", "log", "CASE-1", "--store", str(tmp_path / "s")])
    assert "Ann Example -> B: storage at Evidence room 2 (seal" in log.output
    assert "--location" in runner.invoke(main, ["custody", "add", "--help"]).output


def test_store_from_a_newer_toolkit_is_refused(tmp_path):
    Store(tmp_path / "s").close()
    conn = sqlite3.connect(tmp_path / "s" / DB_NAME)
    conn.execute(
        "INSERT INTO schema_version VALUES (?, 'future', '2030-01-01T00:00:00Z')",
        (SCHEMA_VERSION + 1,),
    )
    conn.commit()
    conn.close()
    with pytest.raises(CustodyError, match="newer forensic"):
        Store(tmp_path / "s")


def test_missing_store_is_an_error_when_not_creating(tmp_path):
    with pytest.raises(CustodyError, match="no evidence store"):
        Store(tmp_path / "absent", create=False)


def test_records_form_one_chain_in_order(tmp_path):
    store = populated_store(tmp_path / "s")
    rows = []
    for table in (
        "operator_keys",
        "cases",
        "exhibits",
        "custody_events",
        "measurements",
        "results",
    ):
        rows += [
            (r["seq"], r["prev_hash"], r["hash"])
            for r in store.query(f"SELECT seq, prev_hash, hash FROM {table}")
        ]
    rows.sort()
    assert [seq for seq, _, _ in rows] == list(range(1, len(rows) + 1))
    assert rows[0][1] == "0" * 64
    for (_, _, previous), (_, prev_hash, _) in itertools.pairwise(rows):
        assert prev_hash == previous
    assert verify_store(store).ok


def test_the_key_a_store_signs_with_is_had_without_recording(tmp_path):
    with Store(tmp_path / "s") as store:
        with pytest.raises(CustodyError, match="no signing key of 'Bo Example'"):
            store.loaded_key("Bo Example")  # never made up: it would prove nothing
        store.open_case("C-1", operator=OPERATOR)
        head = store.head()
        key = store.loaded_key(OPERATOR)
        assert key is store.operator_key(OPERATOR) and store.head() == head
        store.open_case("C-2", operator="Bo Example")
        known = store.operator_fingerprints()
        assert known == {
            OPERATOR: {key.fingerprint},
            "Bo Example": {store.loaded_key("Bo Example").fingerprint},
        }


def test_the_signers_named_alike_are_data_not_a_message(tmp_path):
    """The store names the signers alike; what the technician is told, and the option that
    signs as one, is the workflow's and the command line's (the store knows no options)."""
    with Store(tmp_path / "s") as store:
        store.open_case("C-1", operator="Ann Example")
        store.open_case("C-2", operator="ANN EXAMPLE")
        store.open_case("C-3", operator="Bo")
        assert store.signers_named_alike("ann example") == ["ANN EXAMPLE", "Ann Example"]
        assert store.signers_named_alike("Ann Example") == []  # signs here: nothing to warn of
        assert store.signers_named_alike("Anne Example") == []


def test_a_name_signs_as_a_signer_recorded_with_other_spacing_whose_key_is_here(
    tmp_path, monkeypatch
):
    """A name recorded before names were normalised where they enter ("Ann  Example") signs
    on under that name and key; not when its key is elsewhere, another letter case, or two
    such signers (which one is not for the store to guess)."""
    with Store(tmp_path / "s") as store:
        store.open_case("C-1", operator="Ann  Example")
        store.open_case("C-2", operator="Bo")
        assert store.signer_name("Ann Example") == "Ann  Example"
        assert store.signer_name("Ann   Example") == "Ann  Example"
        assert store.signer_name("Ann  Example") == "Ann  Example"
        assert store.signer_name("ann example") == "ann example"  # case: perhaps another person
        assert store.signer_name("Bo") == "Bo" and store.signer_name("Cy") == "Cy"
        store.open_case("C-3", operator="Ann   Example")
        assert store.signer_name("Ann Example") == "Ann Example"
    with Store(tmp_path / "t") as store:
        store.open_case("C-1", operator="Di  Visitor")
    monkeypatch.setenv("FORENSIC_CONFIG_DIR", str(tmp_path / "another computer"))
    with Store(tmp_path / "t") as store:
        assert store.signer_name("Di Visitor") == "Di Visitor"


def test_raw_spectrum_is_kept_exactly_by_its_sha256(tmp_path):
    store = populated_store(tmp_path / "s")
    measurement = store.measurements("CASE-1", "EX-1")[0]
    spectrum = store.load_spectrum(measurement)
    original = make_spectrum(seed=1, noise=0.01)
    np.testing.assert_array_equal(spectrum.wavenumber, original.wavenumber)
    np.testing.assert_array_equal(spectrum.intensity, original.intensity)
    assert spectrum.metadata["provenance"] == "simulated"
    assert len(measurement["raw_sha256"]) == 64


def test_the_recorded_raw_sha256_is_the_one_a_kept_file_and_a_scan_compute(tmp_path):
    # The store, a file kept to record later and a scan's "DO NOT MEASURE AGAIN" check must
    # name the same spectrum by the same SHA-256, or late recording breaks silently.
    store = populated_store(tmp_path / "s")
    measurement = store.measurements("CASE-1", "EX-1")[0]
    spectrum = store.load_spectrum(measurement)
    assert store.get_blob(measurement["raw_sha256"]) == raw_spectrum_bytes(spectrum)
    assert raw_sha256(spectrum) == measurement["raw_sha256"]
    path, digest, _, _ = keep_unrecorded(
        store.db_path,
        spectrum,
        case_number="CASE-1",
        item_number="EX-1",
        operator=OPERATOR,
        why="test",
    )
    assert digest == measurement["raw_sha256"]
    assert read_unrecorded(path).raw_sha256 == measurement["raw_sha256"]


def test_a_spectrum_recorded_late_before_kept_files_were_signed_says_so():
    # recorded_late of such a record holds no signature: the report's words, and the screen's
    assert signature_finding(None, OPERATOR) == (
        "Who kept the file was not verified: it was recorded before such files were signed."
    )


def test_corrections_are_new_records_and_the_original_stays(tmp_path):
    store = populated_store(tmp_path / "s")
    old = store.get_exhibit("CASE-1", "EX-1")
    new = store.add_exhibit(
        "CASE-1", "EX-1", operator=OPERATOR, description="beige powder", corrects=old["hash"]
    )
    assert store.get_exhibit("CASE-1", "EX-1")["hash"] == new["hash"]
    assert new["corrects"] == old["hash"]
    all_labels = store.query("SELECT hash FROM exhibits")
    assert {r["hash"] for r in all_labels} == {old["hash"], new["hash"]}
    assert verify_store(store).ok


def test_a_correction_keeps_what_it_does_not_state(tmp_path):
    store = populated_store(tmp_path / "s")
    label = store.get_exhibit("CASE-1", "EX-1")
    new = store.add_exhibit(
        "CASE-1", "EX-1", operator=OPERATOR, description="beige powder", corrects=label["hash"]
    )
    assert new["seal_number"] == "SEAL-001" and new["collected_by"] == "PC Smith"
    assert (new["gps_lat"], new["collected_at"]) == (label["gps_lat"], label["collected_at"])
    (event,) = store.custody_events("CASE-1", "EX-1")
    fixed = store.add_custody_event(
        "CASE-1",
        "EX-1",
        operator=OPERATOR,
        received_by=OPERATOR,
        released_by="PC Jones",
        purpose="screening analysis",
        corrects=event["hash"][:12],
    )
    # the hand-over happened when it happened: correcting who released it keeps its time
    assert fixed["event_at"] == event["event_at"]
    assert (fixed["seal_number"], fixed["seal_intact"]) == ("SEAL-001", 1)


def test_a_correction_replaces_the_current_record_of_the_same_exhibit(tmp_path):
    store = populated_store(tmp_path / "s")
    store.add_exhibit("CASE-1", "EX-2", operator=OPERATOR, description="green leaves")
    label = store.get_exhibit("CASE-1", "EX-1")
    with pytest.raises(CustodyError, match="of item number EX-1, not EX-2"):
        store.add_exhibit(
            "CASE-1", "EX-2", operator=OPERATOR, description="x", corrects=label["hash"]
        )
    second = store.add_exhibit(
        "CASE-1", "EX-1", operator=OPERATOR, description="brown powder", corrects=label["hash"]
    )
    # correcting the first label again would fork the exhibit in two labels
    with pytest.raises(CustodyError, match=rf"correct the current record, #{second['seq']}"):
        store.add_exhibit(
            "CASE-1", "EX-1", operator=OPERATOR, description="grey powder", corrects=label["hash"]
        )
    assert [e["description"] for e in store.exhibits("CASE-1")] == ["green leaves", "brown powder"]


def test_people_named_in_a_new_record_are_checked_as_signers_are(tmp_path):
    # "--released-by ''" recorded an empty holder; a NUL went into the log as it was
    store = populated_store(tmp_path / "s")
    exhibit = store.add_exhibit(
        "CASE-1", "EX-2", operator=OPERATOR, description="d", collected_by=" PC Jones\t"
    )
    event = store.add_custody_event(
        "CASE-1",
        "EX-2",
        operator=OPERATOR,
        released_by="PC Jones ",
        received_by=f" {OPERATOR}\n",
        purpose="analysis",
    )
    assert exhibit["collected_by"] == "PC Jones"
    assert (event["released_by"], event["received_by"]) == ("PC Jones", OPERATOR)
    for field, value, message in [
        ("released_by", " ", "released by is empty"),
        ("received_by", "", "received by is empty"),
        ("released_by", "PC\x00Jones", "released by .PC.*Jones. holds control"),
    ]:
        fields = {"received_by": OPERATOR, field: value}
        with pytest.raises(CustodyError, match=message):
            store.add_custody_event(
                "CASE-1", "EX-2", operator=OPERATOR, purpose="analysis", **fields
            )
    assert len(store.custody_events("CASE-1", "EX-2")) == 1


def test_correcting_an_unknown_record_is_refused(tmp_path):
    store = populated_store(tmp_path / "s")
    with pytest.raises(CustodyError, match="record to correct"):
        store.add_exhibit("CASE-1", "EX-1", operator=OPERATOR, description="x", corrects="f" * 64)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.open_case("  ", operator=OPERATOR), "case number is empty"),
        (lambda s: s.open_case("C", operator=" "), "operator name is empty"),
        (lambda s: s.open_case("C", operator="a\x07b"), "control characters"),
        (
            lambda s: s.add_exhibit("NOPE", "1", operator=OPERATOR, description="d"),
            "no case 'NOPE'",
        ),
        (
            lambda s: s.add_exhibit(
                "CASE-1", "2", operator=OPERATOR, description="d", gps=(95.0, 0.0)
            ),
            "outside",
        ),
        (
            lambda s: s.add_custody_event(
                "CASE-1", "ZZ", operator=OPERATOR, received_by="x", purpose="p"
            ),
            "no exhibit 'ZZ'.*EX-1",
        ),
        (
            lambda s: s.add_result(
                s.measurements("CASE-1")[0], {"verdict": "maybe"}, operator=OPERATOR
            ),
            "verdict 'maybe'",
        ),
        (
            lambda s: s.add_result(
                s.measurements("CASE-1")[0],
                {**identification_dict(), "score": float("nan")},
                operator=OPERATOR,
            ),
            "NaN",
        ),
    ],
)
def test_bad_input_is_refused_and_nothing_is_recorded(tmp_path, call, message):
    store = populated_store(tmp_path / "s")
    head = store.head()
    with pytest.raises(CustodyError, match=message):
        call(store)
    assert store.head() == head
    assert verify_store(store).ok


ZAK = "\u0417\u0410\u041a-1"  # Cyrillic З А К: prints like the Latin 3AK-1
DEMO = "DEM\u041e-1"  # a Cyrillic О among Latin letters


def test_a_new_number_that_mixes_scripts_is_recorded_only_when_confirmed(tmp_path):
    with Store(tmp_path / "s") as store:
        for call in (
            lambda: store.open_case(DEMO, operator=OPERATOR),
            lambda: store.add_exhibit("CASE-1", "\u0410B1", operator=OPERATOR, description="d"),
        ):
            if not store.get_case("CASE-1"):
                store.open_case("CASE-1", operator=OPERATOR)
            head = store.head()
            with pytest.raises(
                CustodyError,
                match=r"contains Cyrillic .* it mixes them with Latin .*; type it again in one "
                r"script, or, if the label writes it so, confirm it \(--mixed-scripts\)$",
            ):
                call()
            assert store.head() == head
        store.open_case(DEMO, operator=OPERATOR, mixed_scripts=True)
        store.add_exhibit(DEMO, "\u0410B1", operator=OPERATOR, description="d", mixed_scripts=True)
        # a number whole in its own script is a unit's own: recorded as it is
        store.open_case(ZAK, operator=OPERATOR)
        store.add_exhibit(ZAK, "\u04101", operator=OPERATOR, description="d")  # Cyrillic А1
        # recorded, a number is found and used as any other
        old = store.get_exhibit(DEMO, "\u0410B1")
        store.add_exhibit(
            DEMO, "\u0410B1", operator=OPERATOR, description="e", corrects=old["hash"]
        )
        assert verify_store(store).ok


def test_a_new_number_that_prints_exactly_like_a_recorded_one_is_refused(tmp_path):
    with Store(tmp_path / "s") as store:
        store.open_case(ZAK, operator=OPERATOR)
        store.add_exhibit(ZAK, "A1", operator=OPERATOR, description="d")
        head = store.head()
        with pytest.raises(CustodyError) as refused:
            store.open_case("3AK-1", operator=OPERATOR)
        assert str(refused.value) == (
            f"case number '3AK-1' prints exactly like {ZAK!r}, recorded in other letters (the "
            f"recorded one {ZAK!r} contains Cyrillic З (U+0417), А (U+0410), К (U+041A), which "
            "print like Latin 3, A, K: on paper it reads '3AK-1', and typed so it is another "
            "number): no reader could tell the two apart on paper; name the recorded one with "
            "its own letters (copy it from a record), or give this one a number that reads "
            "otherwise"
        )
        with pytest.raises(CustodyError, match=r"exhibit \(item\) number 'А1' prints exactly "):
            store.add_exhibit(
                ZAK, "\u04101", operator=OPERATOR, description="d", mixed_scripts=True
            )
        assert store.head() == head
        # numbers that print otherwise stay numbers to open on purpose, as before
        store.open_case("3ak-1", operator=OPERATOR)
        store.open_case("DEMO-1", operator=OPERATOR)
        store.open_case("\uff24\uff25\uff2d\uff2f-\uff11", operator=OPERATOR)  # full width


def test_a_number_not_found_says_which_recorded_one_prints_like_it(tmp_path):
    with Store(tmp_path / "s") as store:
        store.open_case(ZAK, operator=OPERATOR)
        store.add_exhibit(ZAK, "\u04101", operator=OPERATOR, description="d")  # Cyrillic А1
        with pytest.raises(CustodyError) as missing:
            store.require_case("3AK-1")
        assert str(missing.value).endswith(
            f"; known cases: {ZAK}; case {ZAK!r} prints like it in other letters (the recorded "
            f"case number {ZAK!r} contains Cyrillic З (U+0417), А (U+0410), К (U+041A), which "
            "print like Latin 3, A, K: on paper it reads '3AK-1', and typed so it is another "
            "number)"
        )
        with pytest.raises(CustodyError, match=r"exhibit 'А1' prints like it in other letters"):
            store.require_exhibit(ZAK, "A1")
        with pytest.raises(CustodyError) as missing:
            store.require_case("3AK-2")
        assert "prints like" not in str(missing.value)


def test_the_commands_that_record_a_number_say_how_it_prints(tmp_path):
    runner = CliRunner()
    signed = ["--operator", OPERATOR, "--store", str(tmp_path / "s")]
    done = runner.invoke(main, ["case", "new", ZAK, *signed])
    assert done.exit_code == 0, done.output
    assert done.stderr == (
        f"NEW evidence store at {tmp_path / 's' / 'forensic.db'}: this command creates it\n"
        f"note: case number {ZAK!r} contains Cyrillic З (U+0417), А (U+0410), К (U+041A), which "
        "print like Latin 3, A, K: on paper it reads '3AK-1', and typed so it is another "
        "number\n"
    )
    refused = runner.invoke(main, ["case", "new", DEMO, *signed])
    assert refused.exit_code == 2
    assert "it mixes them with Latin D, E, M" in refused.stderr
    assert "confirm it (--mixed-scripts)" in refused.stderr
    done = runner.invoke(main, ["case", "new", DEMO, "--mixed-scripts", *signed])
    assert done.exit_code == 0, done.output
    assert done.stderr.startswith(f"WARNING: case number {DEMO!r} contains Cyrillic О (U+041E)")
    args = ["exhibit", "add", ZAK, "Б1", "--description", "bag", "--seal", "\u0405-0093"]
    done = runner.invoke(main, [*args, *signed])
    assert done.exit_code == 0, done.output
    assert done.stderr == (
        "note: seal number 'Ѕ-0093' contains Cyrillic Ѕ (U+0405), which prints like Latin S: "
        "on paper it reads 'S-0093', and typed so it is another number\n"
    )
    args = ["custody", "add", ZAK, "Б1", "--received-by", OPERATOR, "--purpose", "storage"]
    done = runner.invoke(main, [*args, "--seal", "S\u0415AL-1", *signed])
    assert done.exit_code == 0, done.output
    assert done.stderr.startswith("WARNING: seal number 'SЕAL-1' contains Cyrillic Е (U+0415)")
    assert "mixes them with Latin S, A, L" in done.stderr
    done = runner.invoke(main, [*args, "--seal", "S-0094", *signed])
    assert done.exit_code == 0 and done.stderr == "", done.output


def test_stated_times_are_recorded_in_utc(tmp_path):
    store = populated_store(tmp_path / "s")
    event = store.add_custody_event(
        "CASE-1",
        "EX-1",
        operator=OPERATOR,
        received_by="B",
        purpose="storage",
        event_at="2026-11-22T23:00:00+01:00",
    )
    assert event["event_at"] == "2026-11-22T22:00:00Z"
    label = store.add_exhibit(
        "CASE-1", "EX-2", operator=OPERATOR, description="d", collected_at="2026-11-20"
    )
    assert label["collected_at"] == "2026-11-20"  # known to the day only
    assert store_module.recorded_moment("2026-11-23T00:30:00+02:00") < store_module.recorded_moment(
        "2026-11-22T23:00:00Z"
    )
    assert store_module.recorded_moment("next tuesday") is None


@pytest.mark.parametrize(
    ("when", "recorded"),
    [
        ("2026-11-22T15:05:00.5Z", "2026-11-22T15:05:00.500Z"),
        ("2026-11-22T15:05+0100", "2026-11-22T14:05:00Z"),
        ("20261122T150500Z", "2026-11-22T15:05:00Z"),
        ("2026-11-22T15:05:00.12Z", "2026-11-22T15:05:00.120Z"),
        ("2026-11-22 15:05:00-05:30", "2026-11-22T20:35:00Z"),
        ("2026-11-22T15Z", "2026-11-22T15:00:00Z"),
        ("2026-11-22T15:05:00,25+01", "2026-11-22T14:05:00.250Z"),
    ],
)
def test_iso_times_are_read_alike_on_every_supported_python(when, recorded):
    """Python 3.10 refused the first five, which 3.11 takes: one --at was recorded on one
    laptop and refused on another. They are read by the toolkit's own pattern, not by the
    running Python's fromisoformat (which is what differs), as a 3.10-strict one shows."""
    assert store_module._ISO_TIME.fullmatch(when)

    class Strict(datetime):
        @classmethod
        def fromisoformat(cls, text):  # 3.10: no Z, no +0100, no basic format, 3 or 6 digits
            raise ValueError(f"Invalid isoformat string: {text!r}")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(store_module, "datetime", Strict)
        assert store_module.record_time(when, "custody event time") == recorded


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ("next tuesday", "not an ISO-8601 time"),
        ("2026-11-22T23:00", "has no time zone: write 2026-11-22T23:00[+-]"),
        ("2099-01-01T00:00:00Z", "lies in the future"),
        ("2026-13-01", "not an ISO-8601 time"),
    ],
)
def test_a_time_that_is_not_a_moment_is_refused(tmp_path, when, message):
    store = populated_store(tmp_path / "s")
    head = store.head()
    with pytest.raises(CustodyError, match=f"custody event time .*{message}"):
        store.add_custody_event(
            "CASE-1", "EX-1", operator=OPERATOR, received_by="B", purpose="p", event_at=when
        )
    with pytest.raises(CustodyError, match="collection time"):
        store.add_exhibit("CASE-1", "EX-2", operator=OPERATOR, description="d", collected_at=when)
    assert store.head() == head


def test_a_failed_transaction_leaves_nothing(tmp_path):
    store = populated_store(tmp_path / "s")
    head = store.head()
    with pytest.raises(RuntimeError), store.transaction():
        store.add_custody_event(
            "CASE-1", "EX-1", operator=OPERATOR, received_by="B", purpose="storage"
        )
        raise RuntimeError("power cut")
    assert store.head() == head
    assert len(store.custody_events("CASE-1")) == 1


def test_a_second_writer_fails_cleanly_when_the_store_stays_locked(tmp_path):
    store = populated_store(tmp_path / "s")
    blocker = sqlite3.connect(store.db_path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        waiting = Store(tmp_path / "s", busy_timeout_s=0.2)
        with pytest.raises(StoreBusyError, match=r"locked.*nothing was written"):
            waiting.add_custody_event(
                "CASE-1", "EX-1", operator=OPERATOR, received_by="B", purpose="storage"
            )
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert verify_store(store).ok
    assert len(store.custody_events("CASE-1")) == 1


class _Stopped(Exception):
    pass


def test_a_wait_for_a_locked_store_is_said_and_can_be_stopped(tmp_path):
    """SQLite's own wait was 30 s of silence, and Ctrl-C was heard only once it ended."""
    store = populated_store(tmp_path / "s")
    blocker = sqlite3.connect(store.db_path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")

    def stop(signum, frame):
        raise _Stopped

    previous = signal.signal(signal.SIGUSR1, stop)
    try:
        waiting = Store(tmp_path / "s", busy_timeout_s=20.0)
        said = []
        tries = []
        waiting.conn.set_trace_callback(
            lambda sql: tries.append(sql) if sql == "BEGIN IMMEDIATE" else None
        )

        def on_wait(waited, limit):
            said.append((waited, limit))
            # a stop that comes while SQLite waits out the next slice
            threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGUSR1)).start()

        waiting.on_wait = on_wait
        with pytest.raises(_Stopped):  # as Ctrl-C would be: within a slice, not 20 s
            waiting.add_custody_event(
                "CASE-1", "EX-1", operator=OPERATOR, received_by="B", purpose="storage"
            )
        # said after the first slice, with how long it will wait; heard by the end of the
        # slice the stop came in (counted, not timed: the machine may be slow)
        assert len(said) == 1 and said[0][0] >= store_module.WAIT_SLICE_S / 2
        assert said[0][1] == 20.0
        assert len(tries) <= 2
        waiting.conn.set_trace_callback(None)
        # stopped before it began: the store writes on as before, with its own busy timeout
        blocker.execute("ROLLBACK")
        assert waiting.busy_timeout_s == 20.0
        waiting.add_custody_event(
            "CASE-1", "EX-1", operator=OPERATOR, received_by="B", purpose="storage"
        )
    finally:
        signal.signal(signal.SIGUSR1, previous)
        with contextlib.suppress(sqlite3.Error):
            blocker.execute("ROLLBACK")
        blocker.close()
    assert verify_store(store).ok


def test_every_command_that_records_says_it_waits_for_a_locked_store(tmp_path):
    populated_store(tmp_path / "s").close()
    blocker = sqlite3.connect(
        tmp_path / "s" / DB_NAME, isolation_level=None, check_same_thread=False
    )
    blocker.execute("BEGIN IMMEDIATE")
    release = threading.Timer(1.5, lambda: blocker.execute("ROLLBACK"))
    release.start()
    try:
        args = ["case", "new", "CASE-2", "--store", str(tmp_path / "s"), "--operator", OPERATOR]
        done = CliRunner().invoke(main, args)
    finally:
        release.join()
        blocker.close()
    assert done.exit_code == 0, done.output
    assert done.stderr == (
        "the store is locked by another process (1 s): waiting up to 29 s more; Ctrl-C stops "
        "the command\n"
    )


WRITER = textwrap.dedent(
    """
    import sys
    from forensic.custody import Store
    store = Store(sys.argv[1])
    for i in range(int(sys.argv[3])):
        store.add_custody_event("CASE-1", "EX-1", operator=sys.argv[2], received_by=sys.argv[2],
                                purpose=f"transfer {i}")
    """
)


def test_two_processes_writing_at_once_both_land_and_the_chain_verifies(tmp_path):
    store = populated_store(tmp_path / "s")
    before = len(store.custody_events("CASE-1"))
    store.close()
    env_script = tmp_path / "writer.py"
    env_script.write_text(WRITER)
    procs = [
        subprocess.Popen(
            [sys.executable, str(env_script), str(tmp_path / "s"), name, "15"],
            cwd=Path(__file__).resolve().parents[1],
            stderr=subprocess.PIPE,
        )
        for name in ("Writer One", "Writer Two")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    store = Store(tmp_path / "s")
    assert len(store.custody_events("CASE-1")) == before + 30
    report = verify_store(store)
    assert report.ok, report.summary()


def test_a_file_that_is_not_a_store_is_named(tmp_path):
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / DB_NAME).write_bytes(b"this is not SQLite" * 100)
    with pytest.raises(CustodyError, match=r"forensic.db: opening failed: file is not a database"):
        Store(tmp_path / "s")


def _foreign(path, *statements):
    conn = sqlite3.connect(path)
    for statement in statements or ("CREATE TABLE t (x)", "INSERT INTO t VALUES (1)"):
        conn.execute(statement)
    conn.commit()
    conn.close()
    return path.read_bytes()


@pytest.mark.parametrize(
    ("statements", "said"),
    [
        ((), "it is an SQLite database holding other tables (t)"),
        (
            ("CREATE TABLE schema_version (v)", "CREATE TABLE users (name)"),
            "it is an SQLite database holding other tables (schema_version, users)",
        ),
        (("PRAGMA application_id = 1234",), "another program's SQLite database (application id"),
    ],
)
@pytest.mark.parametrize("read_only", [False, True])
def test_another_program_s_database_is_not_taken_for_a_store(tmp_path, statements, said, read_only):
    """Given as --store, it was adopted: the store's tables and a scan's records were added
    to it for good, and custody verify called it verified."""
    before = _foreign(tmp_path / "other.db", *statements)
    with pytest.raises(CustodyError) as refused:
        Store(tmp_path / "other.db", read_only=read_only)
    assert str(refused.value).startswith(f"{tmp_path / 'other.db'}: not an evidence store: ")
    assert said in str(refused.value)
    assert "check --store (or FORENSIC_STORE)" in str(refused.value)
    assert (tmp_path / "other.db").read_bytes() == before  # not even switched to WAL
    assert not (tmp_path / "other.db-wal").exists()


def test_the_scan_command_refuses_another_program_s_database_before_recording(
    tmp_path,
):
    before = _foreign(tmp_path / "other.db")
    args = ["scan", "--instrument", "sim:ocean-rs232?sample=cocaine", "--case", "C-1"]
    args += ["--exhibit", "A1", "--operator", OPERATOR, "--store", str(tmp_path / "other.db")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert "error: " + str(tmp_path / "other.db") + ": not an evidence store: " in result.output
    assert "[2/8]" not in result.output  # before the instrument, the case or the laser
    assert (tmp_path / "other.db").read_bytes() == before


def test_a_new_store_carries_its_application_id_and_an_older_store_still_opens(tmp_path):
    populated_store(tmp_path / "new").close()
    db = tmp_path / "new" / DB_NAME
    assert int.from_bytes(db.read_bytes()[68:72], "big") == APPLICATION_ID
    # a store made before stores carried an id: known by its tables, and left as it was
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA application_id = 0")
    conn.close()
    with Store(tmp_path / "new") as store:
        assert store.get_case("CASE-1") is not None
        store.open_case("CASE-2", operator=OPERATOR)
    with Store(tmp_path / "new", read_only=True) as store:
        assert verify_store(store).ok
    # and one an earlier version began to create, stopped before its tables
    _foreign(
        tmp_path / "begun.db",
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, "
        "description TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )
    with Store(tmp_path / "begun.db") as store:
        assert store.schema_version() == SCHEMA_VERSION


def test_an_older_store_with_a_table_dropped_is_damaged_not_another_program_s(tmp_path):
    """A store made before stores carried their id, one of whose tables was dropped, was
    called another program's database, and its verifier told to check --store."""
    populated_store(tmp_path / "old").close()
    conn = sqlite3.connect(tmp_path / "old" / DB_NAME)
    conn.execute("PRAGMA application_id = 0")
    conn.execute("DROP TABLE tamper_log")
    conn.commit()
    conn.close()
    with pytest.raises(CustodyError) as refused, Store(tmp_path / "old", read_only=True) as store:
        verify_store(store)
    assert "not an evidence store" not in str(refused.value)
    assert "tamper_log" in str(refused.value)


def test_no_output_is_written_over_another_evidence_store(tmp_path):
    populated_store(tmp_path / "other").close()
    other = tmp_path / "other" / DB_NAME
    with pytest.raises(OutputError) as refused:
        check_outputs_off_store({"report_path": other}, tmp_path / "s", overwrite=True)
    # each output by the argument that names it (the command line: --report)
    assert str(refused.value) == (
        f"report_path='{other}' is an evidence store: an output written there would destroy "
        "its records; give report_path=... another file (nothing was written)"
    )
    _foreign(tmp_path / "plain.db")  # another program's database is just a file to replace
    assert check_outputs_off_store(
        {"report_path": tmp_path / "plain.db"}, tmp_path / "s", overwrite=True
    )


CREATOR = textwrap.dedent(
    """
    import sys
    from forensic.custody import Store
    store = Store(sys.argv[1])
    store.open_case("CASE-" + sys.argv[2], operator="Creator " + sys.argv[2])
    """
)


def test_two_processes_creating_the_same_new_store_at_once(tmp_path):
    script = tmp_path / "creator.py"
    script.write_text(CREATOR)
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(tmp_path / "new"), tag],
            cwd=Path(__file__).resolve().parents[1],
            stderr=subprocess.PIPE,
        )
        for tag in ("A", "B", "C")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    with Store(tmp_path / "new") as store:
        assert store.schema_version() == SCHEMA_VERSION
        assert len(store.query("SELECT * FROM schema_version")) == len(MIGRATIONS)
        assert sorted(c["case_number"] for c in store.current("cases")) == [
            "CASE-A",
            "CASE-B",
            "CASE-C",
        ]
        assert verify_store(store).ok


def test_numbers_pasted_with_spaces_find_and_record_the_same_exhibit(tmp_path):
    store = populated_store(tmp_path / "s")
    assert store.get_case(" CASE-1 ")["case_number"] == "CASE-1"
    assert store.require_exhibit("CASE-1 ", " EX-1")["item_number"] == "EX-1"
    event = store.add_custody_event(
        " CASE-1", "EX-1 ", operator=OPERATOR, received_by="B", purpose="storage"
    )
    assert (event["case_number"], event["item_number"]) == ("CASE-1", "EX-1")
    assert len(store.custody_events("CASE-1 ", " EX-1")) == 2
    assert verify_store(store).ok


def test_a_store_that_cannot_be_created_is_named(tmp_path):
    (tmp_path / "afile").write_text("not a folder")
    with pytest.raises(CustodyError, match=r"cannot create the evidence store at .*afile"):
        Store(tmp_path / "afile" / "store")


# -- a store one may read but not write ------------------------------------------------------------


def _permissions_enforced(folder: Path) -> bool:
    probe = folder / "probe"
    probe.write_text("")
    probe.chmod(0o444)
    try:
        with open(probe, "a"):
            return False
    except PermissionError:
        return True
    finally:
        probe.chmod(0o644)
        probe.unlink()


@pytest.fixture
def write_protect(tmp_path):
    """``write_protect(path, ...)`` makes files and folders read-only until the test ends."""
    if not _permissions_enforced(tmp_path):
        pytest.skip(
            "file permissions are not enforced for this user (root ignores them): "
            "chmod cannot make a store read-only"
        )
    protected = []

    def protect(*paths: Path) -> None:
        for path in paths:
            protected.append((path, path.stat().st_mode))
            path.chmod(0o555 if path.is_dir() else 0o444)

    yield protect
    for path, mode in reversed(protected):
        path.chmod(mode)


def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_reading_leaves_the_store_as_it_was_and_records_nothing(tmp_path):
    populated_store(tmp_path / "s").close()
    before = (tmp_path / "s" / DB_NAME).read_bytes()
    with Store(tmp_path / "s", read_only=True) as store:
        assert verify_store(store).ok
        assert len(store.custody_events("CASE-1", "EX-1")) == 1
        with pytest.raises(StoreReadOnlyError, match="opened read-only; nothing was recorded"):
            store.add_custody_event(
                "CASE-1", "EX-1", operator=OPERATOR, received_by="B", purpose="storage"
            )
    assert (tmp_path / "s" / DB_NAME).read_bytes() == before


def test_reading_needs_an_evidence_store_of_this_schema(tmp_path):
    with pytest.raises(CustodyError, match="no evidence store at"):
        Store(tmp_path / "absent", read_only=True)
    (tmp_path / "empty.db").write_bytes(b"")
    with pytest.raises(StoreDamagedError, match=r"empty\.db is empty \(0 bytes\): an evidence"):
        Store(tmp_path / "empty.db", read_only=True)
    (tmp_path / "text.db").write_bytes(b"this is not SQLite" * 100)
    with pytest.raises(CustodyError, match=r"text\.db: opening read-only failed: file is not a"):
        Store(tmp_path / "text.db", read_only=True)


def test_the_custody_log_states_a_seal_s_state_as_the_report_does(tmp_path):
    """A hand-over recorded without the seal's state read "seal intact: -" in the log, and
    "seal intact not stated" in a report's corrections."""
    with populated_store(tmp_path / "s") as store:  # its hand-over: seal intact
        store.add_custody_event(
            "CASE-1", "EX-1", operator=OPERATOR, released_by=OPERATOR, received_by="B",
            purpose="storage",
        )  # fmt: skip
    log = CliRunner().invoke(main, ["custody", "log", "CASE-1", "--store", str(tmp_path / "s")])
    assert log.exit_code == 0, log.output
    assert "Ann Example -> B: storage (seal intact: not stated)" in log.output
    assert "screening analysis (seal" in log.output and "intact: yes, seal SEAL-001)" in log.output


@pytest.mark.parametrize(
    "command", [["custody", "log", "CASE-1"], ["exhibit", "show", "CASE-1", "EX-1"]]
)
def test_the_custody_log_fits_an_80_column_terminal(tmp_path, command):
    """At 80 columns the log was laid out 100 wide, so the terminal wrapped every row into a
    jumble: it now leaves out the one chain and (one exhibit's) the item, shows the hash by
    the 8 digits ``--corrects`` takes, and wraps what each record says within its column."""
    with populated_store(tmp_path / "s") as store:
        label = store.exhibits("CASE-1")[0]
    run = CliRunner().invoke
    narrow = run(main, [*command, "--store", str(tmp_path / "s")], env={"COLUMNS": "80"})
    assert narrow.exit_code == 0, narrow.output
    lines = narrow.output.splitlines()
    assert max(map(len, lines)) <= 80, narrow.output
    heading = next(line for line in lines if line.startswith("Recorded (UTC)"))
    item = ["Item"] if command[0] == "custody" else []  # the case's log, not one exhibit's
    assert re.split(r"\s{2,}", heading) == [
        "Recorded (UTC)",
        "#",
        "Kind",
        *item,
        "Signed by",
        "What",
        "Hash",
    ]
    table = narrow.output[narrow.output.index(heading) :]
    assert f"  {label['hash'][:8]}\n" in table and label["hash"][:9] not in table
    assert "IDENTIFIED:" in table
    if command[0] == "exhibit":  # the label's whole hash, its 64 digits in two lines of 32
        assert f"#{label['seq']} {label['hash'][:32]}\n" in narrow.output
        assert f"  {' ' * len(str(label['seq']))} {label['hash'][32:]}\n" in narrow.output
    wide = run(main, [*command, "--store", str(tmp_path / "s")], env={"COLUMNS": "140"})
    heading = next(line for line in wide.output.splitlines() if line.startswith("Recorded"))
    assert heading.split()[2:4] == ["Chain", "#"] and f"{label['hash'][:12]}" in wide.output


def test_a_narrow_custody_log_keeps_the_chain_of_records_from_several():
    """Records of another chain (a bundle imported) are told apart by their chain, even at
    80 columns."""
    rows = [{"Chain": "6e8b547c"}, {"Chain": "0a1b2c3d"}]
    assert "Chain" in custody_cli._log_columns(rows, one_exhibit=True, width=80)
    assert "Chain" not in custody_cli._log_columns(rows[:1], one_exhibit=True, width=80)
    assert "Item" in custody_cli._log_columns(rows[:1], one_exhibit=False, width=80)
    assert len(custody_cli._log_columns(rows[:1], one_exhibit=True, width=100)) == 8


READING = [  # each command and what its output must hold
    (["case", "list"], "CASE-1"),
    (["case", "show", "CASE-1"], "Case CASE-1"),
    (["exhibit", "show", "CASE-1", "EX-1"], "white powder, zip bag"),
    (["custody", "log", "CASE-1"], "IDENTIFIED: Cocaine hydrochloride"),
    (["custody", "verify"], "verified: 6 records"),
]


def _recording(tmp_path: Path) -> list[list[str]]:
    return [
        ["case", "new", "CASE-2"],
        ["exhibit", "add", "CASE-1", "EX-2", "--description", "second bag"],
        ["custody", "add", "CASE-1", "EX-1", "--received-by", "B", "--purpose", "storage"],
        ["report", "CASE-1", "EX-1", "--out", str(tmp_path / "r.pdf")],
        ["bundle", "export", "CASE-1", "--out", str(tmp_path / "b.zip")],
        [
            "scan",
            "--instrument",
            "sim:ocean-rs232?sample=cocaine",
            "--case",
            "CASE-1",
            "--exhibit",
            "EX-1",
        ],
    ]


def _check_read_only_cli(tmp_path: Path, store: Path, message: str) -> None:
    runner = CliRunner()
    for command, expected in READING:
        # the tables are as wide as the terminal (at least 100 columns): a wide one keeps each
        # name on one line, whatever terminal the tests run in
        result = runner.invoke(main, [*command, "--store", str(store)], env={"COLUMNS": "160"})
        assert result.exit_code == 0, (command, result.output)
        assert expected in result.output, (command, result.output)
    for command in _recording(tmp_path):
        result = runner.invoke(main, [*command, "--operator", OPERATOR, "--store", str(store)])
        assert result.exit_code == 2, (command, result.output)
        (line,) = result.output.strip().splitlines()
        assert line.startswith(f"error: {store / DB_NAME}: ") and message in line, line
    assert not (tmp_path / "r.pdf").exists() and not (tmp_path / "b.zip").exists()


@pytest.mark.parametrize("protect", ["file", "folder", "both"])
def test_a_read_only_store_is_read_and_nothing_is_recorded_in_it(tmp_path, write_protect, protect):
    """An investigator receives the store on read-only media, or write-protected."""
    populated_store(tmp_path / "s").close()
    db = tmp_path / "s" / DB_NAME
    write_protect(*{"file": [db], "folder": [db.parent], "both": [db, db.parent]}[protect])
    before = db.read_bytes()
    _check_read_only_cli(tmp_path, tmp_path / "s", "read-only here")
    assert db.read_bytes() == before
    with Store(tmp_path / "s", read_only=True) as store:
        assert verify_store(store).ok


def test_a_store_this_process_may_not_write_is_refused_before_anything(tmp_path, monkeypatch):
    """What a write-protected store gives where permissions are not enforced (root)."""
    populated_store(tmp_path / "s").close()
    real_access = os.access

    def access(path, mode, *args, **kwargs):
        if mode & os.W_OK and str(path).startswith(str(tmp_path / "s")):
            return False
        return real_access(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "access", access)
    with pytest.raises(StoreReadOnlyError, match=r"forensic\.db: .*nothing was recorded"):
        Store(tmp_path / "s")
    _check_read_only_cli(tmp_path, tmp_path / "s", "read-only here")


def _copy_while_open(tmp_path: Path, *, with_index: bool) -> tuple[Path, int]:
    """A copy of a store taken while its last records are still in the write-ahead log (a van's
    store copied while in use), and how many custody events it holds."""
    store = populated_store(tmp_path / "s")
    store.conn.execute("PRAGMA wal_autocheckpoint = 0")
    store.add_custody_event("CASE-1", "EX-1", operator=OPERATOR, received_by="B", purpose="lab")
    copy = tmp_path / "copy"
    copy.mkdir()
    suffixes = ["", "-wal", "-shm"] if with_index else ["", "-wal"]
    for suffix in suffixes:
        (copy / (DB_NAME + suffix)).write_bytes((tmp_path / "s" / (DB_NAME + suffix)).read_bytes())
    assert (copy / (DB_NAME + "-wal")).stat().st_size > 0
    store.close()
    return copy, 2


def test_a_read_only_copy_is_read_with_the_records_in_its_write_ahead_log(tmp_path, write_protect):
    copy, events = _copy_while_open(tmp_path, with_index=True)
    write_protect(*copy.iterdir(), copy)
    with Store(copy, read_only=True) as store:
        assert len(store.custody_events("CASE-1", "EX-1")) == events
        assert verify_store(store).ok


def test_records_a_read_only_folder_cannot_show_are_named_not_missed(tmp_path, write_protect):
    copy, _ = _copy_while_open(tmp_path, with_index=False)
    write_protect(*copy.iterdir(), copy)
    # 'immutable' would read the database file alone, without the last custody event
    with pytest.raises(StoreReadOnlyError, match=r"write-ahead log .*forensic\.db-wal .*Copy the"):
        Store(copy, read_only=True)
    result = CliRunner().invoke(main, ["custody", "verify", "--store", str(copy)])
    assert result.exit_code == 2 and "forensic.db-wal" in result.output, result.output
    assert "Traceback" not in result.output


# -- leftovers of a store whose main file is gone ----------------------------------------------


def _leftovers(tmp_path: Path, keep: tuple[str, ...], *, empty_db: bool = False) -> Path:
    """A copy of a store taken while its last records were in the write-ahead log, whose
    ``forensic.db`` was then lost (deleted, or cut to 0 bytes); ``keep`` are the side files
    that survive."""
    copy, _ = _copy_while_open(tmp_path, with_index=True)
    (copy / DB_NAME).unlink()
    if empty_db:
        (copy / DB_NAME).write_bytes(b"")
    for suffix in ("-wal", "-shm"):
        if suffix not in keep:
            (copy / (DB_NAME + suffix)).unlink()
    return copy


RESTORE = r".*Nothing was read, recorded or changed: restore forensic\.db from "


@pytest.mark.parametrize(
    ("keep", "empty_db", "said"),
    [
        (
            ("-wal", "-shm"),
            False,
            r"forensic\.db is missing, but its write-ahead log .*forensic\.db-wal \(\d+ "
            r"bytes\) is there: it holds records that cannot be read without forensic\.db",
        ),
        (("-wal",), False, r"forensic\.db is missing, but its write-ahead log"),
        (("-shm",), False, r"forensic\.db is missing, but .*forensic\.db-shm is there"),
        (
            ("-wal", "-shm"),
            True,
            r"forensic\.db is empty \(0 bytes\), but its write-ahead log .*forensic\.db-wal",
        ),
        ((), True, r"forensic\.db is empty \(0 bytes\): an evidence store never is"),
    ],
)
def test_a_store_whose_main_file_is_lost_is_not_replaced_by_a_new_one(
    tmp_path, keep, empty_db, said
):
    copy = _leftovers(tmp_path, keep, empty_db=empty_db)
    before = _files(copy)
    for read_only in (False, True):
        with pytest.raises(StoreDamagedError, match=said + RESTORE):
            Store(copy, read_only=read_only)
    runner = CliRunner()
    verify = runner.invoke(main, ["custody", "verify", "--store", str(copy)])
    assert verify.exit_code == 1, verify.output
    assert verify.output.startswith("NOT VERIFIED: ") and re.search(said, verify.output)
    for command in _recording(tmp_path):
        result = runner.invoke(main, [*command, "--operator", OPERATOR, "--store", str(copy)])
        assert result.exit_code == 1, (command, result.output)
        assert re.search(said, result.output), (command, result.output)
    assert _files(copy) == before  # the write-ahead log and its records are kept as they were


def test_a_new_store_is_made_where_the_file_system_has_no_hard_links(tmp_path, monkeypatch):
    def no_links(*args, **kwargs):
        raise PermissionError(1, "Operation not permitted")  # as on a FAT memory stick

    monkeypatch.setattr(os, "link", no_links)
    populated_store(tmp_path / "s").close()
    assert sorted(path.name for path in (tmp_path / "s").iterdir()) == [DB_NAME]
    with Store(tmp_path / "s") as store:
        assert verify_store(store).ok


def _free(monkeypatch, free_bytes):
    """The disk holding the store has ``free_bytes`` free, as shutil.disk_usage says."""
    usage = shutil.disk_usage(os.getcwd())._replace(free=free_bytes)
    monkeypatch.setattr(store_module.shutil, "disk_usage", lambda path: usage)


def test_a_full_disk_while_recording_is_said_and_leaves_nothing(tmp_path, monkeypatch):
    store = populated_store(tmp_path / "s")
    head = store.head()
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    store.conn.execute(f"PRAGMA max_page_count = {pages + 2}")  # SQLITE_FULL, as a full disk
    _free(monkeypatch, 40 * 1024)
    with pytest.raises(StoreFullError) as full:
        store.add_measurement(
            "CASE-1", "EX-1", make_spectrum(seed=4, noise=0.01), operator=OPERATOR
        )
    # which disk, how much room, what to do: not SQLite's "database or disk is full"
    assert str(full.value) == (
        f"{store.db_path}: writing failed: the disk holding {store.db_path.parent} is full "
        "(40 kB free): free space on it; what this step would have recorded was not recorded"
    )
    assert full.value.exit_code == 75  # nothing lost: again once there is room
    assert store.head() == head
    # SQLite full with room on the store's disk: its temporary files' disk may be full
    _free(monkeypatch, 5 * 2**30)
    with pytest.raises(StoreFullError) as full:
        store.add_measurement(
            "CASE-1", "EX-1", make_spectrum(seed=4, noise=0.01), operator=OPERATOR
        )
    assert str(full.value) == (
        f"{store.db_path}: writing failed: no room was left to write (database or disk is "
        f"full), though the disk holding {store.db_path.parent} has 5120 MB free now: the disk "
        "of the temporary folder may be the full one: free space on it; what this step would "
        "have recorded was not recorded"
    )
    store.conn.execute(f"PRAGMA max_page_count = {2**30}")
    assert len(store.measurements("CASE-1")) == 1 and verify_store(store).ok
    store.close()


def _io_error_on_open(monkeypatch):
    """Opening fails as SQLite fails on a full disk: a disk I/O error (SQLITE_IOERR_WRITE)
    once it has made the store's -wal and -shm files, empty."""

    def fail(self):
        for suffix in ("-wal", "-shm"):
            self.db_path.with_name(self.db_path.name + suffix).write_bytes(b"")
        error = sqlite3.OperationalError("disk I/O error")
        error.sqlite_errorcode = 778  # SQLITE_IOERR_WRITE: SQLITE_IOERR in its low byte
        raise error

    monkeypatch.setattr(Store, "_refuse_if_not_a_store", fail)


def test_a_full_disk_on_opening_is_said_with_the_room_left_and_leaves_no_side_files(
    tmp_path, monkeypatch
):
    """The audit: `opening failed: disk I/O error`, exit 2, and a 0-byte forensic.db-wal and
    a -shm left beside the store."""
    populated_store(tmp_path / "s").close()
    before = sorted(path.name for path in (tmp_path / "s").iterdir())
    db = tmp_path / "s" / DB_NAME
    _free(monkeypatch, 3 * 1024)
    _io_error_on_open(monkeypatch)
    with pytest.raises(StoreFullError) as full:
        Store(tmp_path / "s")
    assert str(full.value) == (
        f"{db}: opening failed: the disk holding {db.parent} is full (3 kB free): free space "
        "on it, or use another --store; nothing was recorded"
    )
    assert sorted(path.name for path in (tmp_path / "s").iterdir()) == before
    # from the command line: one line, and the code of "nothing lost, again later"
    refused = CliRunner().invoke(
        main, ["case", "new", "C-9", "--store", str(db), "--operator", OPERATOR]
    )
    assert refused.exit_code == 75
    assert refused.output == f"error: {full.value}\n"


def test_a_disk_io_error_with_room_on_the_disk_is_not_called_a_full_disk(tmp_path, monkeypatch):
    populated_store(tmp_path / "s").close()
    _free(monkeypatch, 5 * 2**30)
    _io_error_on_open(monkeypatch)
    with pytest.raises(CustodyError) as failed:
        Store(tmp_path / "s")
    assert not isinstance(failed.value, StoreFullError)
    assert str(failed.value).endswith("forensic.db: opening failed: disk I/O error")


def test_a_new_store_on_a_full_disk_leaves_no_empty_file_to_be_taken_for_a_lost_store(
    tmp_path, monkeypatch
):
    """An empty forensic.db beside a -wal reads as a store whose file was lost."""
    monkeypatch.setattr(os, "link", lambda *a, **k: (_ for _ in ()).throw(OSError(28, "full")))
    _free(monkeypatch, 0)
    _io_error_on_open(monkeypatch)
    with pytest.raises(StoreFullError, match=r"is full \(0 kB free\): free space on it, or use"):
        Store(tmp_path / "s")
    assert list((tmp_path / "s").iterdir()) == []
    # a folder that cannot be made for want of room says so too
    monkeypatch.setattr(
        Path, "mkdir", lambda *a, **k: (_ for _ in ()).throw(OSError(28, "No space left"))
    )
    with pytest.raises(StoreFullError, match=r"creating the store failed: the disk holding"):
        Store(tmp_path / "t" / "s")


# -- the computer's clock --------------------------------------------------------------------------


def _clock_reads(monkeypatch, iso: str) -> None:
    """This computer's clock, as the store reads it, set to ``iso``."""
    monkeypatch.setattr(store_module, "utc_now", lambda: iso)


def test_a_clock_behind_the_store_s_last_record_records_nothing(tmp_path, monkeypatch):
    """A laptop clock a year slow dated the receipt, measurement and result a year before the
    case was opened, without a word: a date recorded is never changed."""
    _clock_reads(monkeypatch, "2026-11-24T10:00:00.000Z")
    store = populated_store(tmp_path / "s")
    head = store.head()
    # clocks differ a little: up to CLOCK_TOLERANCE behind is no wrong clock
    _clock_reads(monkeypatch, "2026-11-24T09:56:00.000Z")
    store.add_custody_event("CASE-1", "EX-1", operator=OPERATOR, received_by="Bo", purpose="x")
    head = store.head()
    _clock_reads(monkeypatch, "2026-11-24T09:50:00.000Z")  # 6 minutes behind the last one
    said = (
        r"this computer's clock reads 2026-11-24 09:50:00Z, but the last record in "
        rf"{re.escape(str(store.db_path))} \(record #{head[0]}\) was recorded at 2026-11-24 "
        r"09:56:00Z, 6 minutes later: .* Set this laptop's clock to the right date, time and "
        r"time zone, then run the command again; if it is right \(check it against a phone\), "
        r"that record was dated by a clock that was ahead: run the command again with "
        r"--clock-checked\. Nothing was recorded$"
    )
    with pytest.raises(store_module.ClockError, match=said):
        store.add_custody_event("CASE-1", "EX-1", operator=OPERATOR, received_by="Cy", purpose="x")
    with pytest.raises(store_module.ClockError):  # nor a new signer's key, first of all
        store.add_custody_event(
            "CASE-1", "EX-1", operator="New Signer", received_by="Cy", purpose="x"
        )
    with pytest.raises(store_module.ClockError):  # nor the scan's check, before the laser
        store.check_clock()
    assert store.head() == head
    assert "New Signer" not in store.operator_fingerprints()
    assert not store_module.key_path("New Signer").exists()  # no key made for nothing
    store.close()


def test_a_clock_checked_records_after_a_record_a_clock_ahead_dated(tmp_path, monkeypatch):
    """A record dated a year ahead: the clock that is right is refused once, recorded when a
    person says it is right, and from then on as ever (the chain keeps the order)."""
    _clock_reads(monkeypatch, "2027-11-26T00:54:13.000Z")  # a year fast
    populated_store(tmp_path / "s").close()
    _clock_reads(monkeypatch, "2026-11-24T10:00:00.000Z")  # set right
    with Store(tmp_path / "s") as store, pytest.raises(store_module.ClockError, match="366 days"):
        store.add_custody_event("CASE-1", "EX-1", operator=OPERATOR, received_by="Bo", purpose="x")
    with Store(tmp_path / "s", clock_checked=True) as store:
        event = store.add_custody_event(
            "CASE-1", "EX-1", operator=OPERATOR, received_by="Bo", purpose="x"
        )
    assert event["recorded_at"] == "2026-11-24T10:00:00.000Z"
    _clock_reads(monkeypatch, "2026-11-24T10:05:00.000Z")
    with Store(tmp_path / "s") as store:
        store.add_custody_event("CASE-1", "EX-1", operator=OPERATOR, received_by="Cy", purpose="x")
        # in the order they were recorded, not by their dates
        assert [e["received_by"] for e in store.custody_events("CASE-1", "EX-1")][-2:] == [
            "Bo",
            "Cy",
        ]
        assert verify_store(store).ok


@pytest.mark.parametrize("clock_checked", [False, True])
def test_a_clock_before_this_release_records_nothing(tmp_path, monkeypatch, clock_checked):
    """A clock reset to a factory date, or a year slow, in a new store: nothing in the store
    shows it, but no computer running this release can read a time before it was made."""
    _clock_reads(monkeypatch, "2025-11-22T17:05:54.000Z")
    with (
        Store(tmp_path / "s", clock_checked=clock_checked) as store,
        pytest.raises(
            store_module.ClockError,
            match=r"^this computer's clock reads 2025-11-22 17:05:54Z, before this release of "
            r"forensic was made \(2026-11-22\): every record would be dated wrong, for good\. "
            r"Set this laptop's clock",
        ),
    ):
        store.open_case("C-1", operator=OPERATOR)
    with Store(tmp_path / "s") as store:
        assert store.head()[0] == 0


def test_a_command_refused_for_its_clock_says_so_and_records_with_clock_checked(
    tmp_path, monkeypatch
):
    _clock_reads(monkeypatch, "2027-11-26T00:54:13.000Z")
    populated_store(tmp_path / "s").close()
    _clock_reads(monkeypatch, "2026-11-24T10:00:00.000Z")
    command = ["custody", "add", "CASE-1", "EX-1", "--released-by", OPERATOR, "--received-by"]
    command += ["Bob Lab", "--purpose", "transfer to lab", "--store", str(tmp_path / "s")]
    command += ["--operator", OPERATOR]
    runner = CliRunner()
    refused = runner.invoke(main, command)
    assert refused.exit_code == 2, refused.output
    assert refused.stderr.startswith(
        "error: this computer's clock reads 2026-11-24 10:00:00Z, but the last record in "
    )
    assert "was recorded at 2027-11-26 00:54:13Z, 366 days later" in refused.stderr
    done = runner.invoke(main, [*command, "--clock-checked"])
    assert done.exit_code == 0, done.output
    # the hand-over that followed is no break: the log reads the records in chain order
    assert "WARNING" not in done.stderr
    log = runner.invoke(main, ["custody", "log", "CASE-1", "EX-1", "--store", str(tmp_path / "s")])
    kinds = [line.split()[4] for line in log.stdout.splitlines()[2:] if line[:4].isdigit()]
    assert kinds == ["exhibits", "custody_events", "measurements", "results", "custody_events"]
    verified = runner.invoke(main, ["custody", "verify", "--store", str(tmp_path / "s")])
    assert verified.exit_code == 0, verified.output
    # no break in the custody log; the dates one clock gave are said to be wrong
    (warning,) = [line for line in verified.output.splitlines() if "WARNING" in line]
    assert warning.endswith(
        "custody record #7 was recorded at 2026-11-24 10:00:00Z, before result record #6 "
        "(2027-11-26 00:54:13Z), which was recorded before it: the clock that dated one of "
        "them was wrong, and so are the dates it gave"
    )


def test_chain_order_keeps_each_chain_s_order_and_merges_chains_by_time():
    own = [
        {"chain_id": "a", "seq": 2, "recorded_at": "2027-11-26T00:00:00Z"},  # a clock ahead
        {"chain_id": "a", "seq": 3, "recorded_at": "2026-11-24T10:00:00Z"},
        {"chain_id": "a", "seq": 1, "recorded_at": "2026-11-24T09:00:00Z"},
    ]
    imported = [
        {"chain_id": "b", "seq": 7, "recorded_at": "2026-11-23T12:00:00Z"},
        {"chain_id": "b", "seq": 8, "recorded_at": "2026-11-24T09:30:00+01:00"},  # 08:30Z
    ]
    ordered = store_module.chain_order([*own, *imported])
    assert [(r["chain_id"], r["seq"]) for r in ordered] == [
        ("b", 7),
        ("b", 8),
        ("a", 1),
        ("a", 2),
        ("a", 3),
    ]
    assert store_module.chain_order([]) == []


def test_exhibit_add_and_custody_add_refuse_a_seal_or_case_another_exhibit_holds(tmp_path):
    runner = CliRunner(env={"FORENSIC_OPERATOR": OPERATOR})
    db = tmp_path / "s" / "forensic.db"
    signed = ["--store", str(tmp_path / "s")]
    for args in (
        ["case", "new", "2026-0412"],
        ["case", "new", "2026-0500"],
        ["exhibit", "add", "2026-0412", "A1", "--description", "bag", "--seal", "S-0093"],
        ["exhibit", "add", "2026-0500", "B1", "--description", "box", "--seal", "S-0200"],
    ):
        done = runner.invoke(main, [*args, *signed])
        assert done.exit_code == 0, done.output
    with Store(db) as store:
        label = store.get_exhibit("2026-0412", "A1")["seq"]
        head = store.head()

    def unchanged():
        with Store(db) as store:
            return store.head() == head

    # a seal the store records as another exhibit's, of this case or another
    for case, item in (("2026-0412", "A2"), ("2026-0500", "B2")):
        args = ["exhibit", "add", case, item, "--description", "bag", "--seal", "s-0093"]
        done = runner.invoke(main, [*args, *signed])
        assert done.exit_code == 2
        assert done.stderr == (
            f"error: seal 's-0093' is the seal of exhibit A1 of case 2026-0412 (label record "
            f"#{label}, 'S-0093'), not of exhibit {item} of case {case}: a seal closes one "
            "package, and a seal number never passes to another exhibit. Check the case and "
            "exhibit numbers given (is this exhibit A1 of case 2026-0412?); if the seal number "
            "was mistyped, give the right one. Nothing was recorded\n"
        )
    handed = ["custody", "add", "2026-0500", "B1", "--received-by", "Bob Lab"]
    done = runner.invoke(main, [*handed, "--purpose", "storage", "--seal", "S-0093", *signed])
    assert done.exit_code == 2
    assert "seal 'S-0093' is the seal of exhibit A1 of case 2026-0412" in done.stderr
    assert unchanged()
    # a case number one slip from a recorded one: the two commands to choose from
    args = ["exhibit", "add", "2026-0421", "A2", "--description", "bag"]
    done = runner.invoke(main, [*args, *signed])
    assert done.exit_code == 2
    assert done.stderr == (
        f"error: there is no case '2026-0421' in {db}, but there is case '2026-0412', which "
        "reads the same but for one slip ('21' typed for '12'): to label the exhibit in that "
        f"case, run `forensic exhibit add 2026-0412 A2 --description bag --store {db} "
        f"--operator 'Ann Example'`; if '2026-0421' is a new case, open it first with "
        f"`forensic case new 2026-0421 --store {db} --operator 'Ann Example'`. Nothing was "
        "recorded\n"
    )
    assert unchanged()
    # the exhibit's own seal, and a new seal on re-sealing, are recorded
    done = runner.invoke(main, [*handed, "--purpose", "storage", "--seal", "S-0200", *signed])
    assert done.exit_code == 0, done.output
    done = runner.invoke(main, [*handed, "--purpose", "re-sealed", "--seal", "S-0201", *signed])
    assert done.exit_code == 0, done.output


def test_a_store_is_removed_on_closing_only_when_this_opening_created_it_and_it_holds_nothing(
    tmp_path,
):
    """What a refused command removes (``bundle import``): the store it created, with the
    folders made for it, while it holds nothing; never one that was there, nor one that
    holds a record."""
    made = Store(tmp_path / "a" / "b")
    assert made.close_removing_if_new()
    assert list(tmp_path.iterdir()) == []

    recorded = Store(tmp_path / "c")
    recorded.open_case("CASE-1", operator=OPERATOR)
    assert not recorded.close_removing_if_new()
    assert (tmp_path / "c" / "forensic.db").exists()

    Store(tmp_path / "d").close()
    there = Store(tmp_path / "d")
    assert not there.close_removing_if_new()
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == ["forensic.db"]
