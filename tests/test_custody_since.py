"""What a store says about a report beyond it: records of its exhibits recorded after it,
and problems of the records it states."""

from __future__ import annotations

import sqlite3

import pytest
from click.testing import CliRunner
from custody_helpers import OPERATOR, identification_dict, populated_store
from synthetic import make_spectrum

from forensic.cli import main
from forensic.custody import Store
from forensic.custody.since import since_report
from forensic.report import issue_report


@pytest.fixture(autouse=True)
def _keys(tmp_path, monkeypatch):
    monkeypatch.setenv("FORENSIC_CONFIG_DIR", str(tmp_path / "config"))


def _measure(store: Store, item: str, name: str) -> tuple[dict, dict]:
    spectrum = make_spectrum(seed=3, noise=0.01).with_metadata(provenance="simulated")
    measurement = store.add_measurement("CASE-1", item, spectrum, operator=OPERATOR)
    result = store.add_result(measurement, identification_dict(name=name), operator=OPERATOR)
    return measurement, result


def _verify(store_path, report_path):
    return CliRunner().invoke(
        main, ["custody", "verify", "--store", str(store_path), "--report", str(report_path)]
    )


@pytest.fixture
def reported_then_more(tmp_path):
    """A report on EX-1, then: a hand-over, a correction of the custody event it states
    (the seal broken), a new analysis, a second report; and records of another exhibit."""
    store = populated_store(tmp_path / "s")
    first = issue_report(store, "CASE-1", "EX-1", operator=OPERATOR, json_path=tmp_path / "r1.json")
    (event,) = store.custody_events("CASE-1", "EX-1")
    store.add_custody_event(
        "CASE-1",
        "EX-1",
        operator=OPERATOR,
        released_by=OPERATOR,
        received_by="Lab clerk",
        purpose="storage",
        seal_intact=True,
    )
    correction = store.add_custody_event(
        "CASE-1",
        "EX-1",
        operator=OPERATOR,
        received_by=OPERATOR,
        purpose="screening analysis",
        seal_intact=False,
        corrects=event["hash"],
    )
    measurement, result = _measure(store, "EX-1", "Lidocaine")
    store.add_exhibit("CASE-1", "EX-2", operator=OPERATOR, description="tablets")
    _measure(store, "EX-2", "Caffeine")
    second = issue_report(
        store, "CASE-1", "EX-1", operator=OPERATOR, json_path=tmp_path / "r2.json"
    )
    yield {
        "store": store,
        "first": first,
        "second": second,
        "event": event,
        "correction": correction,
        "measurement": measurement,
        "result": result,
    }
    store.close()


def test_what_was_recorded_for_a_report_s_exhibit_after_it_is_found(reported_then_more):
    found = since_report(reported_then_more["store"], reported_then_more["first"].record)
    (correction,) = found.corrections
    assert correction.row["hash"] == reported_then_more["correction"]["hash"]
    assert correction.corrects["hash"] == reported_then_more["event"]["hash"]
    (analysis,) = found.analyses
    assert analysis.row["hash"] == reported_then_more["measurement"]["hash"]
    assert [r["hash"] for r in analysis.results] == [reported_then_more["result"]["hash"]]
    (handover,) = found.other
    assert handover.table == "custody_events" and handover.row["received_by"] == "Lab clerk"
    (report,) = found.reports
    assert report.row["report_id"] == reported_then_more["second"].content["report_id"]
    assert found.problems == []
    # another exhibit's records are not this report's; the later report states them all
    assert all(later.row.get("item_number") in (None, "EX-1") for later in found.later)
    assert (
        since_report(reported_then_more["store"], reported_then_more["second"].record).later == []
    )


def test_custody_verify_lists_what_was_recorded_after_a_report(reported_then_more, tmp_path):
    store = reported_then_more["store"]
    result = _verify(store.db_path.parent, tmp_path / "r1.json")
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "is on record" in out
    assert "recorded for exhibit EX-1 since, and not in this report:" in out
    event, correction = reported_then_more["event"], reported_then_more["correction"]
    assert (
        f"#{correction['seq']}, " in out
        and f"correction of the custody event #{event['seq']} this report states: "
        "seal intact yes -> no"
        in out
    )
    measurement, analysis = reported_then_more["measurement"], reported_then_more["result"]
    assert (
        f"analysis of EX-1 (measurement #{measurement['seq']}, result #{analysis['seq']}): "
        "IDENTIFIED: Lidocaine" in out
    )
    assert f"custody of EX-1: {OPERATOR} -> Lab clerk: storage" in out
    assert f"report {reported_then_more['second'].content['report_id']} on exhibit EX-1" in out
    assert "Caffeine" not in out  # another exhibit's analysis
    latest = _verify(store.db_path.parent, tmp_path / "r2.json")
    assert latest.exit_code == 0 and "since, and not in this report" not in latest.output


def test_a_record_a_report_states_altered_since_is_said_under_it(tmp_path):
    store = populated_store(tmp_path / "s")
    issue_report(store, "CASE-1", "EX-1", operator=OPERATOR, json_path=tmp_path / "r.json")
    (result,) = store.results("CASE-1", "EX-1")
    store.close()
    conn = sqlite3.connect(tmp_path / "s" / "forensic.db")
    conn.execute("UPDATE results SET best_name = 'Sucrose' WHERE seq = ?", (result["seq"],))
    conn.commit()
    conn.close()
    verified = _verify(tmp_path / "s", tmp_path / "r.json")
    assert verified.exit_code == 1
    lines = verified.output.splitlines()
    (on_record,) = [n for n, line in enumerate(lines) if "is on record" in line]
    assert lines[on_record + 1].startswith(
        f"  but a record it states does not verify: results record #{result['seq']} "
    )
    assert "best_name" in lines[on_record + 1]
    with Store(tmp_path / "s", read_only=True) as store:
        (report,) = store.reports("CASE-1")
        (problem,) = since_report(store, report).problems
    assert (problem.table, problem.seq) == ("results", result["seq"])
