"""What a store says about a report beyond it: records of its exhibits recorded after it,
problems of the records it states, and where a store parts from the chain a report names."""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest
from click.testing import CliRunner
from custody_helpers import OPERATOR, identification_dict, populated_store
from synthetic import make_spectrum

from forensic.cli import main
from forensic.custody import Store
from forensic.custody.since import chain_standing, since_report
from forensic.report import issue_report


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


@pytest.fixture
def copies(tmp_path):
    """A report issued from store ``s``, and stores that part from its chain: ``early``, a
    copy from before its chain head; ``cut``, a copy of the store as the report's chain head
    left it; ``fork_after``, that copy gone on with another record; ``fork_at``, the early
    copy gone on with a record where the report's chain head is; ``other``, another store."""
    populated_store(tmp_path / "s").close()
    shutil.copytree(tmp_path / "s", tmp_path / "early")
    with Store(tmp_path / "s") as store:
        store.add_custody_event(
            "CASE-1", "EX-1", operator=OPERATOR, released_by=OPERATOR, received_by="B", purpose="x"
        )
    shutil.copytree(tmp_path / "s", tmp_path / "cut")
    shutil.copytree(tmp_path / "s", tmp_path / "fork_after")
    shutil.copytree(tmp_path / "early", tmp_path / "fork_at")
    for name in ("fork_after", "fork_at"):
        with Store(tmp_path / name) as store:
            store.add_custody_event(
                "CASE-1",
                "EX-1",
                operator=OPERATOR,
                released_by=OPERATOR,
                received_by="C",
                purpose="y",
            )
    with Store(tmp_path / "s") as store:
        report = issue_report(
            store,
            "CASE-1",
            "EX-1",
            operator=OPERATOR,
            json_path=tmp_path / "r.json",
            pdf_path=tmp_path / "r.pdf",
        )
    populated_store(tmp_path / "other").close()
    return tmp_path, report.content


def test_a_report_from_a_store_cut_short_or_forked_is_said_so(copies):
    folder, content = copies
    head = content["verification"]["chain_head_seq"]
    chain_id = content["verification"]["chain_id"]

    def standing(name):
        with Store(folder / name, read_only=True) as store:
            return chain_standing(store, content)

    assert standing("cut").startswith(f"this store lacks records after #{head} (cut short)")
    assert standing("early").startswith(f"this store lacks records after #{head - 1} (cut short)")
    assert standing("fork_after").startswith(
        f"this store's chain differs from the report's after #{head} (forked)"
    )
    assert standing("fork_at").startswith(
        f"this store's chain differs from the report's at #{head} (forked): it holds "
        f"#{head - 1}, a record the report states"
    )
    with Store(folder / "other", read_only=True) as other:
        assert standing("other") == (
            f"it was issued from another store (chain id {chain_id}; this store's chain id is "
            f"{other.chain_id} and it holds no record of that chain)"
        )
    result = _verify(folder / "cut", folder / "r.json")
    assert result.exit_code == 1
    assert (
        f"r.json: this JSON is not a report recorded in this store (this store lacks records "
        f"after #{head} (cut short)" in " ".join(result.output.split())
    )
    assert "altered, or issued from another store" not in result.output


def test_a_report_whose_content_does_not_verify_is_not_explained_by_the_store(copies):
    folder, _ = copies
    altered = json.loads((folder / "r.json").read_text())
    altered["exhibits"][0]["label"]["description"] = "brown powder"
    (folder / "altered.json").write_text(json.dumps(altered))
    result = _verify(folder / "cut", folder / "altered.json")
    assert result.exit_code == 1
    assert "content hash differs" in result.output  # the JSON's own check, as before
    pdf = folder / "altered.pdf"
    pdf.write_bytes(b"%PDF-1.7\nnot a report")
    result = _verify(folder / "s", pdf)
    assert result.exit_code == 1
    assert "(altered, or issued from another store)" in result.output


def test_a_report_pdf_not_on_record_is_told_by_its_signed_content(copies):
    folder, content = copies
    head = content["verification"]["chain_head_seq"]
    result = _verify(folder / "cut", folder / "r.pdf")
    assert result.exit_code == 1
    assert f"(this store lacks records after #{head} (cut short)" in result.output
    saved_again = folder / "saved-again.pdf"
    saved_again.write_bytes((folder / "r.pdf").read_bytes() + b"\n%")
    result = _verify(folder / "s", saved_again)
    assert result.exit_code == 1
    assert (
        f"its signed content is that of report {content['report_id']}, on record as "
        in " ".join(result.output.split())
    )
