"""forensic.custody.continuity: breaks in an exhibit's custody log, for the technician and the
report."""

from __future__ import annotations

import shlex

from click.testing import CliRunner
from custody_helpers import OPERATOR, populated_store

from forensic.cli import main
from forensic.custody import Store
from forensic.custody import store as store_module
from forensic.custody.continuity import (
    custody_doubts,
    custody_gaps,
    custody_holder,
    first_received,
    in_time_order,
    seals_in_force,
)
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


def _recorded(seq, at, received_by, released_by=None, *, recorded_at=None):
    """A custody event as the store holds it: dated by the clock when it was recorded (its
    ``recorded_at``), unless its time was stated."""
    return {
        **_event(seq, at, received_by, released_by),
        "chain_id": "c",
        "recorded_at": recorded_at or at,
    }


def test_a_clock_that_was_ahead_does_not_put_a_hand_over_after_those_that_followed_it():
    """A scan on a laptop a year fast dated its receipt 2027; the hand-over recorded after it
    with the clock set right was read first, and reported as the break."""
    events = [
        _recorded(71, "2026-11-24T09:00:00Z", "Bob Lab", "Ann Example"),
        _recorded(68, "2027-11-26T00:54:13Z", "Ann Example"),  # the scan's receipt
        _recorded(60, "2026-11-24T08:00:00Z", "Ann Example"),  # labelled, and first received
    ]
    assert [e["seq"] for e in in_time_order(events)] == [60, 68, 71]
    assert custody_gaps(events) == []
    holder = custody_holder(events)
    assert (holder.name, holder.record["seq"], holder.collected) == ("Bob Lab", 71, False)
    assert holder.stated("K2") == "the custody log says Bob Lab holds K2 (custody record #71)"


def test_a_hand_over_written_down_later_is_read_where_it_happened():
    """Recorded after the scan, with the time it happened (--at): it happened before it."""
    events = [
        _recorded(2, "2026-11-24T12:00:00Z", "Bob Tech"),  # the scan's receipt, no release
        _recorded(
            3, "2026-11-24T10:00:00Z", "Bob Tech", "PC Smith", recorded_at="2026-11-24T14:00:00Z"
        ),
        # stated a minute before it was recorded: as clocks differ, recorded as it happened
        _recorded(4, "2026-11-24T14:29:00Z", "Cy", "Bob Tech", recorded_at="2026-11-24T14:30:00Z"),
    ]
    assert [e["seq"] for e in in_time_order(events)] == [3, 2, 4]
    assert custody_gaps(events, collected_by="PC Smith") == []
    assert custody_holder(events).name == "Cy"


def test_before_any_hand_over_its_collector_holds_the_exhibit():
    label = {"seq": 3, "collected_by": "PC Smith"}
    holder = custody_holder([], exhibit=label)
    assert (holder.name, holder.collected) == ("PC Smith", True)
    assert holder.stated("A2") == (
        "the label of A2 (record #3) says PC Smith collected it, and no hand-over is recorded"
    )
    assert custody_holder([]) is None
    assert custody_holder([], exhibit={"seq": 3, "collected_by": " "}) is None


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


def test_custody_add_warns_of_a_gap_and_the_report_lists_it(tmp_path):
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
            " Lab  clerk",
            "--purpose",
            "storage",
            "--released-by",
            f"{OPERATOR} ",
            *common,
        ],
    )
    assert added.exit_code == 0 and "WARNING" not in added.output  # released by its holder
    with Store(tmp_path / "s") as store:  # names spaced as an operator's are where they enter
        last = store.custody_events("CASE-1", "EX-1")[-1]
        assert (last["released_by"], last["received_by"]) == (OPERATOR, "Lab clerk")
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


def test_a_name_mistyped_in_a_hand_over_is_warned_of_with_the_command_that_corrects_it(tmp_path):
    # "Ann Exampel" for "Ann Example": the warning of a custody break gave no correction, as
    # a scan's warnings on a label do
    populated_store(tmp_path / "s").close()
    store = ["--store", str(tmp_path / "s" / "forensic.db"), "--operator", OPERATOR]
    hand_over = ["custody", "add", "CASE-1", "EX-1", "--received-by", "Bob Lab"]
    hand_over += ["--purpose", "transfer to lab"]
    typo = CliRunner().invoke(main, [*hand_over, "--released-by", "Ann Exampel", *store])
    assert typo.exit_code == 0, typo.output
    with Store(tmp_path / "s") as opened:
        *_, holder, mistyped = opened.custody_events("CASE-1", "EX-1")
    assert holder["received_by"] == OPERATOR
    warning, to_do = typo.stderr.splitlines()
    assert warning.startswith("WARNING: custody not continuous: Ann Exampel released")
    fix = (
        "forensic custody add CASE-1 EX-1 --received-by 'Bob Lab' --purpose 'transfer to lab' "
        f"--released-by {shlex.quote(OPERATOR)} --corrects {mistyped['hash'][:16]} "
        f"--store {tmp_path / 's' / 'forensic.db'} --operator {shlex.quote(OPERATOR)}"
    )
    assert to_do == (
        f"  to do: if {OPERATOR} handed it over (a name mistyped, or the release left out), "
        f"correct record #{mistyped['seq']} with `{fix}`"
    )
    pasted = CliRunner().invoke(main, shlex.split(fix)[1:])  # as pasted, less "forensic"
    assert pasted.exit_code == 0 and "WARNING" not in pasted.output, pasted.output
    with Store(tmp_path / "s") as opened:
        events = opened.custody_events("CASE-1", "EX-1")
        assert custody_gaps(events) == []
        assert events[-1]["event_at"] == mistyped["event_at"]  # its time kept
    # a hand-over stated with no release, where someone held the exhibit: the same command
    stored = ["custody", "add", "CASE-1", "EX-1", "--received-by", "Cy Store"]
    unreleased = CliRunner().invoke(main, [*stored, "--purpose", "storage", *store])
    (to_do,) = [line for line in unreleased.stderr.splitlines() if "to do:" in line]
    assert "--released-by 'Bob Lab' --corrects " in to_do, to_do


def _sealed(seq, at, received_by, released_by, *, intact=None, seal=None):
    return {
        **_event(seq, at, received_by, released_by),
        "seal_intact": intact,
        "seal_number": seal,
    }


def test_the_first_hand_over_is_released_by_whoever_collected_the_exhibit():
    events = [
        _event(1, "2026-11-22T08:00:00Z", "Frank", "Carl"),
        _event(2, "2026-11-22T09:00:00Z", "Ann Tech", "Frank"),
    ]
    (gap,) = custody_gaps(events, collected_by="PC Smith")
    assert gap.startswith("Carl released the exhibit to Frank at 2026-11-22 08:00:00Z")
    assert "the label says PC Smith collected it and the log never shows Carl holding it" in gap
    assert custody_gaps(events, collected_by=" CARL ") == []  # case and spaces aside
    assert custody_gaps(events) == []  # no collector on the label: nobody to compare with
    (unreleased,) = custody_gaps([_event(1, "2026-11-22T08:00:00Z", "Ann")], collected_by="Bob")
    assert "with no release recorded: the label says Bob collected it" in unreleased


def test_a_hand_over_dated_before_collection_or_the_case_is_a_doubt():
    exhibit = {"collected_at": "2026-11-22T22:30:00Z", "seal_number": None}
    case = {"case_number": "C1", "recorded_at": "2026-11-23T19:28:51.905Z"}
    events = [
        _event(34, "2026-11-01T10:00:00Z", "Frank", "Carl"),
        _event(32, "2026-11-23T19:00:00Z", "Eve", "Frank"),
        _event(4, "2026-11-23T19:28:00Z", "Ann", "Eve"),  # stated to the minute: not before
    ]
    (early,) = custody_doubts(events, exhibit=exhibit, case=case)
    assert early.startswith(
        "custody record #34 (Carl -> Frank) is dated 2026-11-01 10:00:00Z, before the exhibit "
        "was collected (2026-11-22 22:30:00Z)"
    )
    # after the collection, a hand-over entered once the lab opened the case is no doubt;
    # with no collection time, the opening of the case is the only bound there is
    _, unopened = custody_doubts(events, exhibit={"seal_number": None}, case=case)
    assert unopened.startswith("custody record #32 (Frank -> Eve) is dated 2026-11-23 19:00:00Z")
    assert "before case C1 was opened (2026-11-23 19:28:51Z)" in unopened
    # a collection known to the day: a hand-over that day is not before it
    day = {"collected_at": "2026-11-01"}
    assert custody_doubts(events[:1], exhibit=day) == []
    assert custody_doubts(events[:1], exhibit={"collected_at": "2026-11-02"})


def test_the_exhibit_was_received_at_the_first_hand_over_whose_time_is_not_in_doubt():
    exhibit = {"collected_at": "2026-11-22T22:30:00Z"}
    case = {"case_number": "C1", "recorded_at": "2026-11-23T19:28:51Z"}
    events = [
        _event(34, "2026-11-01T10:00:00Z", "Frank", "Carl"),  # before collection
        _event(32, "2026-11-23T19:00:00Z", "Eve", "Frank"),
        _event(4, "2026-11-23T19:28:00Z", "Ann", "Eve"),
    ]
    assert first_received(events, exhibit=exhibit, case=case) == "2026-11-23T19:00:00Z"
    # no collection time: the case's opening bounds the hand-overs instead
    assert first_received(events, exhibit={}, case=case) == "2026-11-23T19:28:00Z"
    assert first_received(events) == "2026-11-01T10:00:00Z"  # nothing to doubt it by
    assert first_received(events[:1], exhibit=exhibit) is None  # none vouches for a receipt
    assert first_received([]) is None


def test_a_seal_recorded_broken_is_not_intact_later_without_a_new_seal():
    events = [
        _sealed(1, "2026-11-22T08:00:00Z", "Ann", "PC Smith", intact=False, seal="S-1"),
        _sealed(2, "2026-11-22T09:00:00Z", "Carl", "Ann", intact=True),
        _sealed(3, "2026-11-22T10:00:00Z", "Dave", "Carl", intact=True, seal="s-1"),
    ]
    unnamed, same = custody_doubts(events)
    assert unnamed.startswith(
        "custody record #2 (Ann -> Carl) records the seal S-1 intact at 2026-11-22 09:00:00Z, "
        "but it was recorded broken at 2026-11-22 08:00:00Z (custody record #1)"
    )
    assert same.startswith("custody record #3 (Carl -> Dave) records the seal s-1 intact")
    resealed = [
        *events[:1],
        _sealed(2, "2026-11-22T09:00:00Z", "Carl", "Ann", intact=True, seal="S-2"),
    ]
    assert custody_doubts(resealed) == []
    # the seal each state refers to: the one stated, else the last recorded (the label's first)
    assert seals_in_force(in_time_order(events), "S-0") == ["S-1", "S-1", "s-1"]
    assert seals_in_force([_sealed(1, None, "Ann", None)], "S-0") == ["S-0"]


def test_custody_add_warns_of_a_hand_over_before_collection_and_the_report_shows_it(
    tmp_path,
):
    populated_store(tmp_path / "s").close()  # collected 2026-01-30T22:10Z by PC Smith, SEAL-001
    common = ["CASE-1", "EX-1", "--store", str(tmp_path / "s"), "--operator", OPERATOR]
    added = CliRunner().invoke(
        main,
        [
            "custody",
            "add",
            *common,
            "--released-by",
            "Carl",
            "--received-by",
            "Frank",
            "--purpose",
            "GC-MS",
            "--seal-intact",
            "--at",
            "2026-01-01T10:00Z",
        ],
    )
    assert added.exit_code == 0, added.output
    assert (
        "WARNING: custody record #7 (Carl -> Frank) is dated 2026-01-01 10:00:00Z, before the "
        "exhibit was collected (2026-01-30 22:10:00Z)" in added.output
    )
    assert "the label says PC Smith collected it and the log never shows Carl" in added.output
    verified = CliRunner().invoke(main, ["custody", "verify", "--store", str(tmp_path / "s")])
    assert verified.exit_code == 0  # the records verify: the warning is about what they say
    assert "WARNING: case CASE-1 exhibit EX-1: custody record #7 (Carl -> Frank)" in verified.output
    with Store(tmp_path / "s") as store:
        report = issue_report(store, "CASE-1", operator=OPERATOR)
    limitations = report.content["limitations"]
    assert any(
        # its times in words in the report (layout 6)
        x.startswith("EX-1: custody record #7 (Carl -> Frank) is dated 2026-01-01 10:00:00 UTC")
        for x in limitations
    )
    # the hand-over dated before the collection does not stand as the exhibit's receipt
    (section,) = report.content["exhibits"]
    first, second = section["custody"][:2]  # in time order
    assert first["record"] == 7
    assert section["dates"]["received"] == second["event_at"]
    assert report.content["dates"]["received"] == section["dates"]["received"]
    # the receipt that names no seal shows which seal its "intact" is (the label's)
    (row,) = [r for r in _custody_rows(report.content) if r[-2] == 7]
    assert row[4] == "intact, number not stated (last SEAL-001)"


def _custody_rows(content):
    from forensic.report.layout import report_blocks  # noqa: PLC0415

    (table,) = [b for b in report_blocks(content) if b.headers and b.headers[0] == "When (UTC)"]
    return table.items


def test_records_a_clock_dated_a_year_ahead_are_read_in_the_order_they_were_made(
    tmp_path, monkeypatch
):
    """The audit's exhibit K2: scanned on a laptop a year fast, then handed over with the
    clock right. `custody log` showed the hand-over first, and `custody verify` named it, the
    record that was right, as the break."""
    monkeypatch.setattr(store_module, "utc_now", lambda: "2027-11-26T00:54:13.000Z")
    with Store(tmp_path / "s") as store:
        store.open_case("2026-0412", operator=OPERATOR)
        store.add_exhibit("2026-0412", "K2", operator=OPERATOR, description="clock ahead test")
        store.add_custody_event(  # the scan's receipt, dated by the clock
            "2026-0412", "K2", operator=OPERATOR, received_by=OPERATOR, purpose="analysis"
        )
    monkeypatch.setattr(store_module, "utc_now", lambda: "2026-11-24T10:00:00.000Z")
    with Store(tmp_path / "s", clock_checked=True) as store:  # set right, and checked
        store.add_custody_event(
            "2026-0412", "K2", operator=OPERATOR, released_by=OPERATOR, received_by="Bob Lab",
            purpose="transfer to lab",
        )  # fmt: skip
        assert [e["received_by"] for e in store.custody_events("2026-0412", "K2")] == [
            OPERATOR,
            "Bob Lab",
        ]
    runner = CliRunner()
    log = runner.invoke(main, ["custody", "log", "2026-0412", "K2", "--store", str(tmp_path / "s")])
    numbers = [int(line.split()[3]) for line in log.stdout.splitlines() if line[:4].isdigit()]
    assert numbers == sorted(numbers) and len(numbers) == 3
    verified = runner.invoke(main, ["custody", "verify", "--store", str(tmp_path / "s")])
    assert verified.exit_code == 0, verified.output
    assert "custody not continuous" not in verified.output
    # what is said instead: a clock was wrong, and the dates it gave with it
    assert "custody record #5 was recorded at 2026-11-24 10:00:00Z, before custody record #4" in (
        verified.output
    )
