"""How a report PDF is drawn: the same on every computer."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import matplotlib
import pytest
from custody_helpers import OPERATOR, populated_store
from pypdf import PdfReader

from forensic.report import issue_report, render_pdf
from forensic.report import pdf as report_pdf
from forensic.report.pdf import check_report_pdf, embedded_content

ROOT = Path(__file__).resolve().parents[1]

ODD_SETTINGS = {
    "axes.linewidth": 3.0,
    "lines.linewidth": 4.0,
    "font.size": 14.0,
    "font.style": "italic",
    "font.weight": "bold",
    "savefig.facecolor": "red",
    "path.simplify_threshold": 0.9,
    "axes.edgecolor": "blue",
}
"""matplotlib settings a technician's or an expert's computer may have in its matplotlibrc."""


@pytest.fixture(autouse=True)
def _keys(tmp_path, monkeypatch):
    monkeypatch.setenv("FORENSIC_CONFIG_DIR", str(tmp_path / "config"))


@pytest.fixture(scope="module")
def issued(tmp_path_factory):
    """A report issued with matplotlib's default settings: its PDF bytes."""
    folder = tmp_path_factory.mktemp("drawing")
    mp = pytest.MonkeyPatch()
    mp.setenv("FORENSIC_CONFIG_DIR", str(folder / "config"))
    try:
        store = populated_store(folder / "s")
        try:
            report = issue_report(store, "CASE-1", operator=OPERATOR, pdf_path=folder / "r.pdf")
        finally:
            store.close()
        yield report.pdf
    finally:
        mp.undo()


def _drawn(pdf: bytes) -> list:
    return report_pdf._drawings(PdfReader(io.BytesIO(pdf)))


# --- the same whatever the computer's matplotlib settings -------------------------------------


def test_a_report_is_drawn_the_same_whatever_the_computer_s_matplotlib_settings(issued):
    """It is laid out again to verify it: another computer's settings (or the issuing one's)
    must not draw it otherwise, or a genuine report fails verification."""
    with matplotlib.rc_context(ODD_SETTINGS):
        assert check_report_pdf(issued)[1] == []  # verified where the settings are odd
        issued_there = render_pdf(embedded_content(issued))  # issued where they are
    assert check_report_pdf(issued_there)[1] == []  # and verified where they are not
    assert _drawn(issued_there) == _drawn(issued)
    assert matplotlib.rcParams["axes.linewidth"] == matplotlib.rcParamsDefault["axes.linewidth"]


def test_verify_report_ignores_a_matplotlibrc_in_the_working_folder(issued, tmp_path):
    """The audit's case: an expert runs verify-report in a folder holding a matplotlibrc."""
    (tmp_path / "r.pdf").write_bytes(issued)
    settings = tmp_path / "settings"
    settings.mkdir()
    (settings / "matplotlibrc").write_text(
        "".join(f"{key}: {value}\n" for key, value in ODD_SETTINGS.items())
    )
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("MPLCONFIGDIR", "MATPLOTLIBRC")
    }
    done = subprocess.run(
        [sys.executable, "-m", "forensic", "verify-report", str(tmp_path / "r.pdf")],
        cwd=settings,
        env={
            **environment,
            "PYTHONPATH": os.pathsep.join([str(ROOT), environment.get("PYTHONPATH", "")]),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "VERIFIED" in done.stdout and "NOT VERIFIED" not in done.stdout
