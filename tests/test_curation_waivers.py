"""A gate waived for one reference, with a recorded reason: printed WAIVED, not failing
publish, and part of what was approved (changelog, release.json, version)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from library_helpers import make_library
from synthetic import make_spectrum

from forensic import curation
from forensic.cli import main
from forensic.curation.validation import WAIVABLE
from forensic.io import write_spectrum
from forensic.library import Library
from forensic.manifest import split_waivers, waivers_text

MINERAL = "quartz-test-raman"
REASON = "mineral reference, range of the instrument"


@pytest.fixture
def library(tmp_path):
    """A small library with a measured Raman reference whose axis (150-1290 cm-1) does not
    cover the Raman fingerprint region, as a RRUFF mineral spectrum's does not."""
    folder = make_library(tmp_path / "lib")
    mineral = make_spectrum(
        [(206, 0.6, 8), (464, 1.0, 7), (800, 0.25, 9), (1081, 0.3, 9)],
        start=150.0,
        stop=1290.0,
        noise=0.002,
        seed=5,
    )
    curation.import_spectra(
        [write_spectrum(mineral, tmp_path / "quartz.txt", format="text")],
        folder,
        name="Quartz test",
        cas="14808-60-7",
        substance_class="mineral",
        modality="raman",
        source="RRUFF-like test spectrum",
        licence="MIT",
        added_by="A. Chemist",
        today="2026-11-24",
    )
    return folder


def _set(folder, entry_id, **fields):
    rows = curation.read_manifest(folder / "manifest.csv")
    for row in rows:
        if row["id"] == entry_id:
            row.update(fields)
    curation.write_manifest(folder / "manifest.csv", rows)


def _validate(folder):
    return curation.validate_library(folder, self_identification=False)


def test_the_waivers_cell_is_read_one_way():
    cell = " Axis : mineral, measured as is ;; spikes:1130 cm-1 is a band;cas"
    assert split_waivers(cell) == [
        ("axis", "mineral, measured as is"),
        ("spikes", "1130 cm-1 is a band"),
        ("cas", ""),
    ]
    assert waivers_text("spikes: b; axis : a") == "axis: a; spikes: b"
    assert split_waivers("") == [] and waivers_text(None) == ""


def test_a_waived_gate_prints_waived_with_its_reason_and_passes(library):
    report = _validate(library)
    assert report.failed == ["axis"]  # as every RRUFF Raman spectrum
    (finding,) = report.gate("axis").findings
    assert "does not cover the raman fingerprint region" in finding.message
    assert finding.ids == (MINERAL,) and finding.waived is None

    _set(library, MINERAL, waivers=f"axis: {REASON}")
    report = _validate(library)
    assert report.ok and report.failed == [] and report.waived == ["axis"]
    gate = report.gate("axis")
    assert gate.status == "waived" and gate.findings[0].waived == REASON
    text = report.format()
    assert "WAIVED  axis" in text and f"        WAIVED: {REASON}" in text
    assert "PASSED: 8 gates passed, 1 waived (axis), 1 skipped (self-identification)" in text
    assert "PASS    signal-to-noise" in text  # the status column widens for WAIVED
    assert report.to_dict()["waived"] == ["axis"]
    assert report.waivers == [
        {
            "ids": [MINERAL],
            "gate": "axis",
            "waived_as": "axis",
            "reason": REASON,
            "entry": f"{MINERAL} (Quartz test)",
            "finding": finding.message,
        }
    ]


def test_a_waiver_of_one_reference_lets_no_other_pass(library, tmp_path):
    _set(library, MINERAL, waivers=f"axis: {REASON}")
    other = make_spectrum([(300, 1.0, 8), (700, 0.6, 8)], start=150.0, stop=1290.0, seed=7)
    curation.import_spectra(
        [write_spectrum(other, tmp_path / "other.txt", format="text")],
        library,
        name="Other mineral",
        cas="7631-86-9",
        substance_class="mineral",
        modality="raman",
        licence="MIT",
    )
    report = _validate(library)
    gate = report.gate("axis")
    assert gate.status == "fail" and report.failed == ["axis"]
    assert {f.ids: f.waived for f in gate.findings} == {
        ("other-mineral-raman",): None,
        (MINERAL,): REASON,
    }
    assert "1 problem(s), 1 waived" in report.format()


@pytest.mark.parametrize(
    ("cell", "words"),
    [
        ("axis", "waiver of axis gives no reason: write it as 'axis: why the reference is kept'"),
        ("axis:  ", "waiver of axis gives no reason"),
        ("axes: mineral", "waiver of 'axes': no such gate; a waiver names one of " + "signal"),
        ("metadata: trust me", "waiver of the metadata gate: it is never waived"),
        ("duplicates: both", "waiver of the duplicates gate: it is never waived"),
        ("axis: one; axis: two", "axis is waived twice"),
    ],
)
def test_a_waiver_without_a_reason_or_of_no_known_gate_fails_the_metadata_gate(
    library, cell, words
):
    _set(library, MINERAL, waivers=cell)
    report = _validate(library)
    messages = [f.message for f in report.gate("metadata").findings]
    assert any(words in m for m in messages), messages
    assert all(f.waived is None for f in report.gate("metadata").findings)
    if "no such gate" in words:  # the known names, each of them
        assert all(name in messages[0] for name in WAIVABLE)
    if cell.startswith("axis") and "twice" not in words:
        assert report.gate("axis").status == "fail"  # a waiver without a reason waives nothing


def test_a_substance_without_a_cas_number_passes_with_a_cas_waiver(library, tmp_path):
    nps = make_spectrum([(410, 0.5, 8), (905, 1.0, 7), (1290, 0.6, 9)], noise=0.002, seed=11)
    curation.import_spectra(
        [write_spectrum(nps, tmp_path / "nps.txt", format="text")],
        library,
        name="Novel cathinone X",  # first seized this year: no CAS number yet
        substance_class="new psychoactive substance",
        modality="raman",
        licence="MIT",
    )
    _set(library, MINERAL, waivers=f"axis: {REASON}")
    gate = _validate(library).gate("metadata")
    (finding,) = gate.findings
    assert finding.entry == "novel-cathinone-x-raman"
    assert "empty cas and inchikey (the substance is identified by neither)" in finding.message
    assert "'cas: no CAS number assigned yet'" in finding.message  # how to waive it
    _set(library, "novel-cathinone-x-raman", waivers="cas: no CAS number assigned yet")
    report = _validate(library)
    assert report.ok and report.waived == ["axis", "metadata"]
    assert report.gate("metadata").findings[0].waived == "no CAS number assigned yet"
    # a compiled library keeps the waivers: the same findings pass there
    flib = Library.from_folder(library, calibrate=False).save(tmp_path / "v.flib")
    compiled = curation.validate_library(flib)
    assert compiled.gate("metadata").status == "waived"
    (entry,) = [e for e in curation.list_entries(curation.open_library(flib)) if e["cas"] == ""]
    assert entry["waivers"] == "cas: no CAS number assigned yet"


def test_a_waiver_that_lets_nothing_pass_is_noted(library):
    _set(library, MINERAL, waivers=f"axis: {REASON}; spikes: a real band at 464 cm-1")
    report = _validate(library)
    assert report.ok
    assert f"waiver of spikes by {MINERAL} let nothing pass" in report.gate("spikes").note


def test_publish_records_each_waiver_and_the_waiver_is_part_of_the_version(library, tmp_path):
    with pytest.raises(curation.PublishRefused, match="axis"):
        curation.publish_library(library, approved_by="Dr. A. Chemist")
    before = curation.library_info(curation.open_library(library))["version"]
    _set(library, MINERAL, waivers=f"axis: {REASON}")
    result = curation.publish_library(library, approved_by="Dr. A. Chemist", today="2026-11-25")
    assert result.version != before  # the waiver is in the version
    assert [w["reason"] for w in result.waivers] == [REASON]
    entry = result.changelog_entry
    assert "- Validation: all gates passed (`forensic library validate`), 1 finding(s) waived" in (
        entry
    )
    assert f"  - {MINERAL}: axis: {REASON} (the axis gate found: axis " in entry
    release = json.loads((library / "release.json").read_text())
    assert release["waivers"] == result.waivers
    assert release["entries"][MINERAL]["waivers"] == f"axis: {REASON}"

    # another reason is another version, and a diff says what changed
    published = tmp_path / "published"
    curation.export_library(curation.open_library(library), published)
    _set(library, MINERAL, waivers="axis:   the range RRUFF measured ")
    diff = curation.diff_libraries(published, library)
    (changed,) = diff.changed
    assert changed["changes"] == [f"waivers: 'axis: {REASON}' -> 'axis: the range RRUFF measured'"]
    assert diff.old_version != diff.new_version
    # the spelling of a cell is no change: its one spelling is compiled
    _set(library, MINERAL, waivers=f"  Axis :{REASON} ")
    assert curation.diff_libraries(published, library).empty


def test_validate_and_list_show_waivers_through_the_cli(library):
    _set(library, MINERAL, waivers=f"axis: {REASON}")
    result = CliRunner().invoke(main, ["library", "validate", str(library), "--no-self-id"])
    assert result.exit_code == 0, result.output
    assert f"WAIVED: {REASON}" in result.output
    listed = CliRunner().invoke(main, ["library", "list", str(library), "--json"])
    (entry,) = [e for e in json.loads(listed.output) if e["id"] == MINERAL]
    assert entry["waivers"] == f"axis: {REASON}"
