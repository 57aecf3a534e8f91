"""A reference edited by hand after import is caught: the digest of its values
(forensic.curation.digest) written at import, checked by the metadata gate."""

from __future__ import annotations

import hashlib
import re
import shutil

import numpy as np
import pytest
from library_helpers import make_library, measured_paracetamol

from forensic import curation
from forensic.curation.digest import DATA_DIGEST_KEY, data_digest, digest_problem
from forensic.errors import LibraryError
from forensic.io import read_spectrum, write_spectrum
from forensic.spectrum import Spectrum

EDITED = "edited after import: values no longer match the digest written at import"


@pytest.fixture
def imported(tmp_path):
    """A library folder with one measured reference imported (paracetamol, Raman)."""
    library = make_library(tmp_path / "lib")
    curation.import_spectra(
        [measured_paracetamol(tmp_path / "para.jdx")],
        library,
        name="Paracetamol",
        licence="CC0",
        source="test bench",
        added_by="A. Chemist",
        today="2026-11-24",
    )
    return library


def _edit_one_value(path):
    """Change the first intensity of the table's second line, as a hand edit would."""
    lines = path.read_bytes().decode("ascii").split("\r\n")
    start = next(i for i, line in enumerate(lines) if line.startswith(("##XYDATA", "##XYPOINTS")))
    cells = lines[start + 2].split(" ")
    cells[1] = repr(float(cells[1]) * 1.5)
    lines[start + 2] = " ".join(cells)
    path.write_bytes("\r\n".join(lines).encode("ascii"))


def _table(path):
    """The wavenumbers and intensities of a JCAMP-DX table the toolkit wrote, parsed from the
    text as the digest's docstring says (not by the toolkit's reader)."""
    text = path.read_bytes().decode("ascii")
    labels = dict(re.findall(r"^##([^=]+)=(.*?)\r$", text, flags=re.M))
    body = text.split("##XY", 1)[1].split("\r\n")[1:]
    body = [line for line in body if line and not line.startswith("##")]
    if "XYPOINTS" in labels:
        pairs = np.array([[float(v) for v in line.split(",")] for line in body])
        return pairs[:, 0], pairs[:, 1]
    y = np.array([float(v) for line in body for v in line.split(" ")[1:]])
    x = np.linspace(float(labels["FIRSTX"]), float(labels["LASTX"]), int(labels["NPOINTS"]))
    return x, y


@pytest.mark.parametrize("unit", ["absorbance", "percent_transmittance"])
@pytest.mark.parametrize("even", [True, False])
def test_the_digest_is_what_its_docstring_says_from_the_file_text(tmp_path, unit, even):
    x = (
        np.linspace(650.0, 1850.0, 301)
        if even
        else np.sort(np.random.default_rng(2).uniform(650.0, 1850.0, 301))
    )
    y = np.random.default_rng(1).uniform(0.05, 0.9, x.size) * (100 if "percent" in unit else 1)
    spectrum = Spectrum(x, y, modality="ir", y_unit=unit)
    path = write_spectrum(
        spectrum.with_metadata(**{DATA_DIGEST_KEY: data_digest(spectrum)}), tmp_path / "r.jdx"
    )
    tx, ty = _table(path)
    recomputed = hashlib.sha256(tx.astype("<f8").tobytes() + ty.astype("<f8").tobytes())
    assert f"##$data_sha256={recomputed.hexdigest()}\r\n" in path.read_bytes().decode("ascii")
    assert digest_problem(read_spectrum(path)) is None


def test_an_import_writes_the_digest_of_the_values_it_writes(imported):
    written = read_spectrum(imported / "raman" / "paracetamol-raman.jdx")
    x = np.asarray(written.wavenumber, dtype="<f8").tobytes()
    y = np.asarray(written.intensity, dtype="<f8").tobytes()
    assert written.metadata[DATA_DIGEST_KEY] == hashlib.sha256(x + y).hexdigest()
    gate = curation.validate_library(imported, self_identification=False).gate("metadata")
    assert gate.status == "pass", gate.findings


def test_a_value_edited_by_hand_fails_the_metadata_gate_naming_the_file(imported, tmp_path):
    reference = imported / "raman" / "paracetamol-raman.jdx"
    _edit_one_value(reference)
    assert "##$imported_file=" in reference.read_text(encoding="ascii")  # still claimed
    report = curation.validate_library(imported, self_identification=False)
    (finding,) = report.gate("metadata").findings
    assert finding.entry == "paracetamol-raman"
    assert finding.message.startswith(f"raman/paracetamol-raman.jdx: {EDITED}")
    assert "para.jdx) is not where these values come from" in finding.message
    # how to put it back: the import of the instrument's file, as it can be pasted
    assert f"forensic library import {tmp_path / 'para.jdx'} --library {imported}" in (
        finding.message
    )
    assert "--id paracetamol-raman" in finding.message and "--force" in finding.message
    with pytest.raises(curation.PublishRefused, match="metadata"):
        curation.publish_library(imported, approved_by="Dr. A. Chemist")
    # a copy of the edited folder fails the same way: export keeps the digest the file states
    copy = tmp_path / "copy"
    curation.export_library(curation.open_library(imported), copy)
    gate = curation.validate_library(copy, self_identification=False).gate("metadata")
    assert [f.entry for f in gate.findings] == ["paracetamol-raman"]
    assert EDITED in gate.findings[0].message


def test_an_edited_reference_is_not_imported_again_under_its_old_origin(imported, tmp_path):
    reference = imported / "raman" / "paracetamol-raman.jdx"
    _edit_one_value(reference)
    other = make_library(tmp_path / "other")
    with pytest.raises(LibraryError, match=EDITED):
        curation.import_spectra([reference], other, name="Paracetamol", licence="CC0")
    result = curation.import_spectra(
        [reference, measured_paracetamol(tmp_path / "p2.jdx")],
        other,
        name="Paracetamol",
        licence="CC0",
        replicates=True,  # one name for two files
    )
    ((where, why),) = result.skipped
    assert where == str(reference) and why.startswith(EDITED)
    assert "not imported; import the instrument's file instead" in why


def test_a_reference_imported_again_unedited_gets_the_digest_of_its_values(imported):
    reference = imported / "raman" / "paracetamol-raman.jdx"
    before = read_spectrum(reference).metadata[DATA_DIGEST_KEY]
    curation.import_spectra([reference], imported, name="Paracetamol", licence="CC0", force=True)
    after = read_spectrum(reference)
    assert after.metadata[DATA_DIGEST_KEY] == before == data_digest(after)


def test_files_without_a_digest_are_a_note_not_a_failure(tmp_path):
    library = make_library(tmp_path / "lib")  # written as the shipped ones are: no digest
    gate = curation.validate_library(library, self_identification=False).gate("metadata")
    assert gate.status == "pass", gate.findings
    assert re.search(r"\d+ reference file\(s\) state no digest of their values", gate.note)
    assert "cannot be told (not a failure)" in gate.note


@pytest.mark.parametrize("fmt", ["jcamp", "csv"])
def test_an_export_copies_the_digest_and_adds_none(imported, tmp_path, fmt):
    copy = tmp_path / "copy"
    curation.export_library(curation.open_library(imported), copy, fmt)
    suffix = ".jdx" if fmt == "jcamp" else ".csv"
    original = read_spectrum(imported / "raman" / "paracetamol-raman.jdx")
    exported = read_spectrum((copy / "raman" / "paracetamol-raman").with_suffix(suffix))
    assert exported.metadata[DATA_DIGEST_KEY] == original.metadata[DATA_DIGEST_KEY]
    assert digest_problem(exported) is None
    # a file that stated none states none in the copy (its values may have been edited)
    rows = curation.read_manifest(copy / "manifest.csv")
    unstated = [r for r in rows if r["provenance"] != "measured"]
    assert unstated
    assert all(DATA_DIGEST_KEY not in read_spectrum(copy / r["file"]).metadata for r in unstated)


def test_the_shipped_library_states_no_digest_and_its_copy_keeps_its_version(tmp_path):
    copy = tmp_path / "copy"
    shipped = curation.open_library()
    rows = shipped.rows[:3]
    assert all(DATA_DIGEST_KEY not in read_spectrum(shipped.file_of(r)).metadata for r in rows)
    curation.export_library(shipped, copy)
    for r in rows:  # the same bytes: the copy is the shipped library's version
        assert (copy / r["file"]).read_bytes() == shipped.file_of(r).read_bytes()
    shutil.rmtree(copy)
