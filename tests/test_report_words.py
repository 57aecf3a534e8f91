"""What a report of layout 5 says to its reader: custody notes, which analyses are simulated,
why each verdict was reached, what the hit table's numbers mean, an inconclusive verdict that
names no substance, how to check the report, a case's summary, and the library searched.

Every new wording is made only for content of layout 5 on: a report of an earlier layout is
laid out as it was issued (tests/test_report_drawing.py pins how)."""

from __future__ import annotations

import io

import pytest
from custody_helpers import OPERATOR, populated_store
from pypdf import PdfReader

from forensic.report import issue_report, render_text
from forensic.report.layout import LAYOUT_VERSION, WORDED_FOR_THE_READER


@pytest.fixture(autouse=True)
def _keys(tmp_path, monkeypatch):
    monkeypatch.setenv("FORENSIC_CONFIG_DIR", str(tmp_path / "config"))


def _flat(text: str) -> str:
    return " ".join(text.split())


def _pdf_text(pdf: bytes) -> str:
    return _flat(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))


def _earlier(content: dict) -> dict:
    """The same content as a report of layout 4 (before these words) states it."""
    return {**content, "layout": WORDED_FOR_THE_READER - 1}


def test_the_layout_version_is_that_of_the_words():
    assert LAYOUT_VERSION >= WORDED_FOR_THE_READER == 5


# --- finding 3: custody notes ---------------------------------------------------------------


def test_custody_notes_are_signed_and_printed_under_the_custody_table(tmp_path):
    store = populated_store(tmp_path / "s")
    try:
        store.add_custody_event(
            "CASE-1",
            "EX-1",
            operator=OPERATOR,
            released_by=OPERATOR,
            received_by="Dr. Chloé Lab",
            purpose="confirmatory analysis",
            seal_intact=False,
            seal_number="SEAL-001",
            notes="seal torn on arrival, bag intact;\nresealed with S-1200",
        )
        report = issue_report(
            store,
            "CASE-1",
            operator=OPERATOR,
            pdf_path=tmp_path / "r.pdf",
            text_path=tmp_path / "r.txt",
        )
    finally:
        store.close()
    custody = report.content["exhibits"][0]["custody"]
    assert [e["notes"] for e in custody] == [
        None,
        "seal torn on arrival, bag intact;\nresealed with S-1200",
    ]
    said = f"#{custody[1]['record']} ("
    expected = '"seal torn on arrival, bag intact; resealed with S-1200"'
    for text in (_flat((tmp_path / "r.txt").read_text()), _pdf_text(report.pdf)):
        assert f"Notes of custody record {said}" in text
        assert expected in text
        assert text.count("Notes of custody record") == 1  # only the record that has notes
    assert "Notes of custody record" not in render_text(_earlier(report.content))
