"""How a report is laid out and drawn: the same on every computer, and a simulated
spectrum named with the reference it was made from."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import matplotlib
import pytest
from custody_helpers import OPERATOR, identification_dict, populated_store
from pypdf import PdfReader
from synthetic import make_spectrum

from drivers.urls import open_instrument
from forensic.custody import Store
from forensic.report import issue_report, render_pdf, render_text
from forensic.report import pdf as report_pdf
from forensic.report.layout import report_blocks
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


# --- a simulated spectrum names the reference it was made from ---------------------------------

RAMAN_REFERENCE = make_spectrum(name="Reference made for the test").with_metadata(
    provenance="modelled"
)
IR_REFERENCE = make_spectrum(
    start=600.0, stop=4000.0, modality="ir", y_unit="absorbance", name="Reference made for the test"
).with_metadata(provenance="modelled")


@pytest.mark.parametrize(
    ("url", "reference"),
    [
        ("sim:ocean-rs232?sample=x&seed=1", RAMAN_REFERENCE),
        ("sim:obp?sample=x&seed=1&realtime=0", RAMAN_REFERENCE),
        ("sim:ftir?sample=x&seed=1", IR_REFERENCE),
    ],
)
def test_a_simulated_spectrum_s_report_names_the_reference_it_was_made_from(
    tmp_path, url, reference
):
    """Whatever the simulator: the FTIR simulator writes no note of its own, and its report
    said only "simulated"."""
    instrument = open_instrument(url, sample_resolver=lambda text, modality: reference)
    try:
        spectrum = instrument.acquire()
    finally:
        instrument.close()
    store = Store(tmp_path / "s")
    try:
        store.open_case("CASE-1", operator=OPERATOR)
        store.add_exhibit("CASE-1", "EX-1", operator=OPERATOR, description="tablets")
        measurement = store.add_measurement(
            "CASE-1", "EX-1", spectrum, operator=OPERATOR, instrument_url=url
        )
        store.add_result(measurement, identification_dict(), operator=OPERATOR)
        report = issue_report(store, "CASE-1", operator=OPERATOR)
    finally:
        store.close()
    made_from = "made from the reference Reference made for the test (modelled)"
    (provenance,) = [
        value
        for block in report_blocks(report.content)
        if block.kind == "kv"
        for key, value in block.items
        if key == "Data provenance"
    ]
    assert provenance.startswith("simulated (") and made_from in provenance
    assert made_from in " ".join(render_text(report.content).split())
    # a report issued before (layout 2) is laid out again as it was: a note, or nothing
    earlier = {**report.content, "layout": 2}
    said = " ".join(render_text(earlier).split())
    assert (made_from in said) == ("simulation_note" in spectrum.metadata)
