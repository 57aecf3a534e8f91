"""forensic.custody.continuity: breaks in an exhibit's custody log, for the technician and the
report."""

from __future__ import annotations

from click.testing import CliRunner
from custody_helpers import OPERATOR, populated_store

from forensic.cli import main
from forensic.custody import Store
from forensic.custody.continuity import custody_gaps, in_time_order
from forensic.report import issue_report


def _event(seq, at, received_by, released_by=None):
    return {"seq": seq, "event_at": at, "received_by": received_by, "released_by": released_by}


def test_a_continuous_log_has_no_gap_whatever_order_it_was_written_in():
    events = [
        _event(3, "2026-11-23T10:00:00Z", "Lab clerk", "Ann Tech"),
        _event(1, "2026-11-22T08:00:00Z", "PC Smith"),
        _event(2, "2026-11-22T09:00:00Z", "Ann Tech", "pc  smith"),  # case and spaces aside
    ]
    assert [e["seq"] for e in in_time_order(events)] == [1, 2, 3]
    assert custody_gaps(events) == []


def test_a_release_by_someone_else_and_a_receipt_without_release_are_gaps():
    events = [
        _event(1, "2026-11-22T08:00:00Z", "PC Smith"),
        _event(2, "2026-11-22T09:00:00Z", "Ann Tech", "Mallory"),
        _event(3, "2026-11-22T10:00:00Z", "Bob Tech"),
    ]
    released, unreleased = custody_gaps(events)
    assert released.startswith("Mallory released the exhibit to Ann Tech at 2026-11-22 09:00:00Z")
    assert "the log says PC Smith held it then (record #1)" in released
    assert unreleased.startswith("Bob Tech received the exhibit at 2026-11-22 10:00:00Z")
    assert "no release recorded: the log says Ann Tech held it (record #2)" in unreleased


def test_a_gap_gives_its_time_in_utc_as_the_custody_table_does():
    events = [
        _event(1, "2026-11-22T08:00:00Z", "PC Smith"),
        _event(2, "2026-11-22T11:30:00+02:00", "Bob Tech"),  # recorded with its local offset
    ]
    (gap,) = custody_gaps(events)
    assert gap.startswith("Bob Tech received the exhibit at 2026-11-22 09:30:00Z")


def test_custody_add_warns_of_a_gap_and_the_report_lists_it(tmp_path, monkeypatch):
    monkeypatch.setenv("FORENSIC_CONFIG_DIR", str(tmp_path / "config"))
    populated_store(tmp_path / "s").close()
    runner = CliRunner()
    common = ["--store", str(tmp_path / "s"), "--operator", OPERATOR]
    added = runner.invoke(
        main,
        [
            "custody",
            "add",
            "CASE-1",
            "EX-1",
            "--received-by",
            "Lab clerk",
            "--purpose",
            "storage",
            "--released-by",
            OPERATOR,
            *common,
        ],
    )
    assert added.exit_code == 0 and "WARNING" not in added.output  # released by its holder
    gap = runner.invoke(
        main,
        [
            "custody",
            "add",
            "CASE-1",
            "EX-1",
            "--received-by",
            "Evidence room",
            "--purpose",
            "storage",
            "--released-by",
            "Mallory",
            *common,
        ],
    )
    assert gap.exit_code == 0
    assert "WARNING: custody not continuous: Mallory released the exhibit" in gap.output
    with Store(tmp_path / "s") as store:
        report = issue_report(store, "CASE-1", operator=OPERATOR)
    (listed,) = [x for x in report.content["limitations"] if "custody not continuous" in x]
    assert listed.startswith("EX-1: custody not continuous: Mallory released the exhibit")
