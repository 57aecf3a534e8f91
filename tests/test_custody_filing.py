"""Records filed in error: a signed label marks an exhibit's records so, nothing is changed,
the marking verifies, travels in bundles, shows on every screen and report, and a scan or a
hand-over of the exhibit is refused."""

from __future__ import annotations

import gzip
import json
import re
import shlex
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from custody_helpers import OPERATOR, populated_store

from forensic.cli import main
from forensic.custody import Store, chain, verify_store
from forensic.custody.bundle import export_bundle, import_bundle
from forensic.custody.filing import (
    FiledInErrorError,
    filed_in_error,
    mark_filed_in_error,
    markings,
    withdraw_filed_in_error,
)
from forensic.custody.store import DB_NAME
from forensic.report import issue_report, render_text
from forensic.report.layout import FILED_IN_ERROR, LAYOUT_VERSION, exhibit_summary

FIXTURES = Path(__file__).parent / "fixtures"
WRONG, RIGHT = "2026-0421", "2026-0412"  # the case number mistyped, and the one meant
REASON = "case number mistyped: 2026-0412"


@pytest.fixture
def store_path(tmp_path, monkeypatch) -> Path:
    """A store holding the exhibit A1 of the case meant and of the case mistyped, each with
    a hand-over, a measurement and a result; commands sign as :data:`OPERATOR`."""
    path = tmp_path / "store"
    populated_store(path, case=RIGHT, item="A1").close()
    populated_store(path, case=WRONG, item="A1").close()
    monkeypatch.setenv("FORENSIC_STORE", str(path))
    monkeypatch.setenv("FORENSIC_OPERATOR", OPERATOR)
    return path


def _run(*args: str):
    return CliRunner().invoke(main, list(args))


def _mark(*extra: str):
    return _run("exhibit", "filed-in-error", WRONG, "A1", "--reason", REASON, *extra)


def _log(*args: str) -> str:
    """``custody log``'s words, its table's lines joined and the hashes that end them left
    out, so that a cell wrapped over several lines reads as one."""
    words = _run("custody", "log", *args).output.split()
    return " ".join(w for w in words if not re.fullmatch(r"[0-9a-f]{12}", w))


def _everything(path: Path) -> dict[str, list[tuple]]:
    """Every chained record of the store, whole, by table."""
    conn = sqlite3.connect(path / DB_NAME)
    try:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
            for table in chain.CHAINED_TABLES
        }
    finally:
        conn.close()


def test_the_marking_is_a_signed_label_and_changes_nothing_recorded(store_path):
    before = _everything(store_path)
    result = _mark("--see-case", RIGHT)
    assert result.exit_code == 0, result.output
    assert f"exhibit {WRONG}/A1: FILED IN ERROR: {REASON} (marked by {OPERATOR}" in result.output
    assert f"its records belong to case {RIGHT}, exhibit A1" in result.output
    after = _everything(store_path)
    for table, rows in before.items():  # every record as it was; one label more
        assert after[table][: len(rows)] == rows
        assert len(after[table]) == len(rows) + (table == "exhibits")
    with Store(store_path, read_only=True) as store:
        label = store.get_exhibit(WRONG, "A1")
        (earlier,) = [
            r for r in store.query("SELECT * FROM exhibits") if r["hash"] == label["corrects"]
        ]
        assert label["filed_in_error"] == 1
        assert label["filed_in_error_reason"] == REASON
        assert (label["see_case_number"], label["see_item_number"]) == (RIGHT, "A1")
        assert label["signer"] == OPERATOR
        # the same label in every other field: the marking is all it says
        for column in ("description", "seal_number", "collected_by", "collected_at", "gps_lat"):
            assert label[column] == earlier[column]
        digests = json.loads(label["column_digests"])
        assert {"filed_in_error", "filed_in_error_reason", "see_case_number"} <= set(digests)
        marking = filed_in_error(store, WRONG, "A1")
        assert marking is not None and marking.record == label["seq"]
        assert filed_in_error(store, RIGHT, "A1") is None
        report = verify_store(store)
        assert report.ok, report.summary()
    assert _run("custody", "verify").exit_code == 0


@pytest.mark.parametrize(
    ("change", "column"),
    [
        ("filed_in_error_reason = 'wrong exhibit scanned'", "filed_in_error_reason"),
        ("see_case_number = '2026-0999'", "see_case_number"),
        ("filed_in_error = NULL, filed_in_error_reason = NULL", "filed_in_error"),  # unmarked
    ],
)
def test_a_marking_altered_behind_the_toolkit_s_back_does_not_verify(store_path, change, column):
    assert _mark("--see-case", RIGHT).exit_code == 0
    conn = sqlite3.connect(store_path / DB_NAME)
    with conn:
        conn.execute(f"UPDATE exhibits SET {change} WHERE filed_in_error = 1")
    conn.close()
    with Store(store_path, read_only=True) as store:
        report = verify_store(store)
    assert not report.ok
    assert report.first.table == "exhibits"
    assert column in report.first.what
    assert _run("custody", "verify").exit_code != 0


def test_the_marking_travels_in_a_bundle_and_verifies_there(store_path, tmp_path):
    assert _mark("--see-case", RIGHT).exit_code == 0
    with Store(store_path) as van:
        export_bundle(van, WRONG, tmp_path / "b.zip", operator=OPERATOR)
    with Store(tmp_path / "lab") as lab:
        lab.open_case("LAB-OWN", operator="Lab Receiver")
        import_bundle(lab, tmp_path / "b.zip", operator="Lab Receiver")
        report = verify_store(lab)
        assert report.ok, report.summary()
        marking = filed_in_error(lab, WRONG, "A1")
        assert marking is not None and marking.reason == REASON
        assert (marking.see_case_number, marking.see_item_number) == (RIGHT, "A1")
        # the lab cannot go on recording the exhibit's custody either
        with pytest.raises(FiledInErrorError, match="Nothing was recorded"):
            lab.add_custody_event(
                WRONG, "A1", operator="Lab Receiver", received_by="Lab Receiver", purpose="x"
            )


def test_the_screens_say_filed_in_error_with_why_who_and_where(store_path):
    assert _mark("--see-case", RIGHT).exit_code == 0
    listed = _run("case", "list")
    assert listed.exit_code == 0
    (line,) = [row for row in listed.output.splitlines() if row.startswith(WRONG)]
    assert "1 (1 FILED IN ERROR)" in line
    (line,) = [row for row in listed.output.splitlines() if row.startswith(RIGHT)]
    assert "FILED IN ERROR" not in line
    said = (
        f"FILED IN ERROR: {REASON} (marked by {OPERATOR} at",
        f"its records belong to case {RIGHT}, exhibit A1",
    )
    shown = _run("case", "show", WRONG)
    assert "A1 FILED IN ERROR" in shown.output
    assert all(words in shown.output for words in said)
    exhibit = _run("exhibit", "show", WRONG, "A1")
    assert exhibit.output.startswith("FILED IN ERROR: ")
    log = _log(WRONG)
    assert "label A1: FILED IN ERROR: case number mistyped:" in log
    assert f"its records belong to case {RIGHT}, exhibit A1 [corrects" in log
    assert "FILED IN ERROR" not in _run("case", "show", RIGHT).output


def test_a_report_of_the_exhibit_issues_and_says_it_is_filed_in_error(store_path, tmp_path):
    assert _mark("--see-case", RIGHT).exit_code == 0
    with Store(store_path) as store:
        issued = issue_report(store, WRONG, "A1", operator=OPERATOR, pdf_path=tmp_path / "r.pdf")
        assert verify_store(store).ok
    content = issued.content
    assert content["layout"] == LAYOUT_VERSION >= FILED_IN_ERROR == 8
    (section,) = content["exhibits"]
    assert section["filed_in_error"]["reason"] == REASON
    assert section["filed_in_error"]["see_case_number"] == RIGHT
    text = render_text(content)
    pages = text.index("\nExhibit A1: FILED IN ERROR\n")  # the exhibit's pages, headed so
    summary = " ".join(text[text.index("\nSummary\n") : pages].split())
    assert f"FILED IN ERROR: {REASON} (marked by {OPERATOR} at" in summary
    assert f"its records belong to case {RIGHT}, exhibit A1" in summary
    # the label that marks it is listed with the corrections, in words
    assert f"marked FILED IN ERROR: {REASON}; its records belong to case {RIGHT}" in " ".join(
        text.split()
    )
    # the report of the exhibit its records belong to says nothing of it
    with Store(store_path) as store:
        other = issue_report(store, RIGHT, "A1", operator=OPERATOR, pdf_path=tmp_path / "o.pdf")
    assert other.content["exhibits"][0]["filed_in_error"] is None
    assert "FILED IN ERROR" not in render_text(other.content)
    verified = _run("verify-report", str(tmp_path / "r.pdf"))
    assert verified.exit_code == 0, verified.output


def test_a_report_of_layout_7_is_laid_out_without_the_marking():
    """Content of layout 7 holds no marking: laid out again, it says nothing of one (and the
    drawing tests pin its pages as 0.8.0 drew them)."""
    section = {
        "label": {"item_number": "A1", "description": "white powder", "seal_number": None},
        "analyses": [],
        "custody": [],
        "custody_gaps": [],
        "custody_doubts": [],
        "key_warnings": [],
        "filed_in_error": {
            "filed_in_error": True,
            "reason": REASON,
            "see_case_number": RIGHT,
            "see_item_number": "A1",
            "record": 9,
            "signed_by": OPERATOR,
            "recorded_at": "2026-11-24T10:00:00Z",
        },
    }
    assert ("FILED IN ERROR", f"{REASON} (marked by {OPERATOR} at 2026-11-24 10:00:00 UTC, "
            f"label record #9); its records belong to case {RIGHT}, exhibit A1") in exhibit_summary(
        section, layout=8
    )  # fmt: skip
    assert all(key != "FILED IN ERROR" for key, _ in exhibit_summary(section, layout=7))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--reason", "   "], "no reason given"),
        ([], "no reason given"),
        (["--reason", REASON, "--see-case", "2026-9999"], "where its records belong is not in"),
        (["--reason", REASON, "--see-case", WRONG], "itself"),
        (["--reason", REASON, "--see-exhibit", "B7"], "where its records belong is not in"),
        (["--reason", REASON, "--withdraw"], "no marking to withdraw"),
        (["--reason", REASON, "--withdraw", "--see-case", RIGHT], "a withdrawal names no place"),
    ],
)
def test_a_marking_refused_records_nothing(store_path, args, message):
    before = _everything(store_path)
    result = _run("exhibit", "filed-in-error", WRONG, "A1", *args)
    assert result.exit_code == 2
    assert message in result.output
    assert _everything(store_path) == before


def test_an_unknown_exhibit_and_no_operator_are_refused_before_anything(store_path, monkeypatch):
    before = _everything(store_path)
    result = _run("exhibit", "filed-in-error", WRONG, "A9", "--reason", REASON)
    assert result.exit_code == 2 and "no exhibit 'A9' in case '2026-0421'" in result.output
    result = _run("exhibit", "filed-in-error", "2026-0422", "A1", "--reason", REASON)
    assert result.exit_code == 2 and "no case '2026-0422'" in result.output
    monkeypatch.delenv("FORENSIC_OPERATOR")
    result = _run("exhibit", "filed-in-error", WRONG, "A1", "--reason", REASON)
    assert result.exit_code == 2 and "no operator" in result.output
    assert _everything(store_path) == before


def test_a_second_identical_marking_is_refused_and_another_reason_is_recorded(store_path):
    assert _mark("--see-case", RIGHT).exit_code == 0
    before = _everything(store_path)
    again = _run(  # the same, spaced and cased otherwise
        "exhibit", "filed-in-error", WRONG, "A1", "--reason", "  Case number MISTYPED:  2026-0412",
        "--see-case", RIGHT,
    )  # fmt: skip
    assert again.exit_code == 2
    assert "is already marked FILED IN ERROR" in again.output
    assert _everything(store_path) == before
    # a marking that names no place yet, and later one that does, are two markings
    with Store(store_path) as store:
        mark_filed_in_error(store, WRONG, "A1", operator=OPERATOR, reason=REASON)
        assert [m.see_case_number for m in markings(store, WRONG, "A1")] == [RIGHT, None]


def test_a_scan_and_a_hand_over_of_a_marked_exhibit_are_refused_recording_nothing(store_path):
    assert _mark("--see-case", RIGHT).exit_code == 0
    before = _everything(store_path)
    added = _run("custody", "add", WRONG, "A1", "--received-by", "Bob Lab", "--purpose", "storage")
    assert added.exit_code == 2
    assert f"exhibit A1 of case {WRONG}: FILED IN ERROR: {REASON}" in added.output
    assert f"Record it under case {RIGHT}, exhibit A1. Nothing was recorded" in added.output
    assert "--withdraw" in added.output  # how a marking made by mistake is withdrawn
    scanned = _run(
        "scan", "--instrument", "sim:ocean-rs232?sample=cocaine", "--case", WRONG,
        "--exhibit", "A1",
    )  # fmt: skip
    assert scanned.exit_code == 2
    assert f"Scan it as exhibit A1 of case {RIGHT} (--case {RIGHT} --exhibit A1)" in (
        scanned.output
    )
    assert "connecting" not in scanned.output  # refused before the instrument was opened
    assert _everything(store_path) == before


def test_the_withdrawal_a_refusal_offers_signs_as_the_refused_command_did(store_path, monkeypatch):
    """Pasted in another terminal, where FORENSIC_OPERATOR is not set, the command that
    withdraws the marking works once its reason is filled in: it names the operator, as every
    command a message gives does (it named only the store, and was refused for want of one)."""
    assert _mark("--see-case", RIGHT).exit_code == 0
    scanned = _run(
        "scan", "--instrument", "sim:ocean-rs232?sample=cocaine", "--case", WRONG,
        "--exhibit", "A1",
    )  # fmt: skip
    added = _run("custody", "add", WRONG, "A1", "--received-by", "Bob Lab", "--purpose", "storage")
    store = store_path / DB_NAME
    offered = (
        f"`forensic exhibit filed-in-error {WRONG} A1 --withdraw --reason ... --store {store} "
        f"--operator '{OPERATOR}'`"
    )
    for refused in (scanned, added):
        assert refused.exit_code == 2
        assert f"If the marking itself is the mistake, withdraw it: {offered}, saying why" in (
            refused.output
        )
    monkeypatch.delenv("FORENSIC_OPERATOR")
    monkeypatch.delenv("FORENSIC_STORE")
    pasted = shlex.split(offered.strip("`").replace("...", "'marked the wrong case'"))
    withdrawn = _run(*pasted[1:])
    assert withdrawn.exit_code == 0, withdrawn.output
    assert "marking as filed in error withdrawn" in withdrawn.output


def test_a_withdrawn_marking_stays_on_record_and_the_exhibit_is_in_use_again(store_path):
    assert _mark().exit_code == 0
    withdrawn = _run(
        "exhibit", "filed-in-error", WRONG, "A1", "--withdraw", "--reason", "marked the wrong case"
    )
    assert withdrawn.exit_code == 0, withdrawn.output
    assert "marking as filed in error withdrawn" in withdrawn.output
    with Store(store_path) as store:
        assert filed_in_error(store, WRONG, "A1") is None
        assert [m.filed_in_error for m in markings(store, WRONG, "A1")] == [True, False]
        store.add_custody_event(
            WRONG, "A1", operator=OPERATOR, released_by=OPERATOR, received_by="Bob Lab",
            purpose="storage",
        )  # fmt: skip
        assert verify_store(store).ok
    assert "FILED IN ERROR" not in _run("exhibit", "show", WRONG, "A1").output.splitlines()[0]
    log = _log(WRONG, "A1")
    assert "label A1: FILED IN ERROR: case number mistyped" in log
    assert "label A1: FILED IN ERROR withdrawn: marked the wrong case (by Ann Example" in log


def test_a_correction_of_the_label_keeps_the_marking(store_path):
    assert _mark("--see-case", RIGHT).exit_code == 0
    with Store(store_path) as store:
        current = store.get_exhibit(WRONG, "A1")
        corrected = store.add_exhibit(
            WRONG, "A1", operator=OPERATOR, description="white powder, zip bag 2",
            corrects=current["hash"],
        )  # fmt: skip
        assert corrected["filed_in_error"] == 1
        assert corrected["see_case_number"] == RIGHT
        marking = filed_in_error(store, WRONG, "A1")
        assert marking is not None and marking.record == current["seq"]  # the marking's own
        assert len(markings(store, WRONG, "A1")) == 1
        assert verify_store(store).ok


def test_a_store_of_0_7_0_marks_an_exhibit_with_its_records_as_signed(tmp_path):
    folder = tmp_path / "old"
    folder.mkdir()
    (folder / DB_NAME).write_bytes(gzip.decompress((FIXTURES / "store-0.7.0.db.gz").read_bytes()))
    with Store(folder, read_only=True) as store:
        assert filed_in_error(store, "CASE-7", "EX-1") is None  # read as it is: no columns
        hashes = [r["hash"] for r in store.query("SELECT hash FROM exhibits ORDER BY id")]
    with Store(folder) as store:
        withdraw_error = None
        try:
            withdraw_filed_in_error(store, "CASE-7", "EX-1", operator=OPERATOR, reason="x")
        except FiledInErrorError as exc:
            withdraw_error = str(exc)
        assert withdraw_error is not None and "no marking to withdraw" in withdraw_error
        mark_filed_in_error(store, "CASE-7", "EX-1", operator=OPERATOR, reason="wrong exhibit")
        now = [r["hash"] for r in store.query("SELECT hash FROM exhibits ORDER BY id")]
        assert now[: len(hashes)] == hashes and len(now) == len(hashes) + 1
        report = verify_store(store)
        assert report.ok, report.summary()


def test_a_report_issued_before_the_marking_is_told_of_it_by_custody_verify(store_path, tmp_path):
    """A report in circulation stays as issued; checked against the store, it is told that its
    exhibit was marked filed in error since, in the words of the marking."""
    with Store(store_path) as store:
        issue_report(store, WRONG, "A1", operator=OPERATOR, pdf_path=tmp_path / "r.pdf")
    assert _mark("--see-case", RIGHT).exit_code == 0
    checked = _run("custody", "verify", "--report", str(tmp_path / "r.pdf"))
    assert checked.exit_code == 0, checked.output
    assert (
        f"correction of the label #8 this report states: marked FILED IN ERROR: {REASON}; its "
        f"records belong to case {RIGHT}, exhibit A1" in checked.output
    )
