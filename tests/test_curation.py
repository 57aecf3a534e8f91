"""forensic.curation: import, validation gates, diff, export, publish on small library folders."""

from __future__ import annotations

import csv
import importlib.util
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from library_helpers import (
    SYNTHETIC,
    make_library,
    measured_paracetamol,
    replicates_spc,
    synthetic_spectrum,
)
from synthetic import co2_doublet, make_spectrum

from forensic import curation, quality
from forensic.cli import main
from forensic.curation import importing, validation
from forensic.errors import LibraryError
from forensic.io import read_spectrum, spectrum_extensions, write_spectrum
from forensic.library import Library
from forensic.library_folders import open_reference_library
from forensic.manifest import is_manifest
from forensic.processing import default_pipeline, remove_spikes
from forensic.samples import resolve_sample
from forensic.spectrum import Y_UNITS
from spectral_library import LIBRARY_DIR


@pytest.fixture
def small_library(tmp_path):
    return make_library(tmp_path / "lib")


# -- manifest, CAS ---------------------------------------------------------------------------------


def test_cas_check_digit():
    for cas, *_ in ((c, n) for n, c, _ in SYNTHETIC):
        assert curation.cas_is_valid(cas)
    assert curation.cas_is_valid("7440-21-3")  # silicon
    assert not curation.cas_is_valid("58-08-3")
    assert not curation.cas_is_valid("123-45-6")
    assert not curation.cas_is_valid("58082")


def test_manifest_round_trip_and_order(tmp_path):
    rows = [
        {"id": "b-raman", "file": "raman/b.jdx", "name": "B", "modality": "raman"},
        {"id": "a-ir", "file": "ir/a.jdx", "name": "a", "modality": "ir"},
    ]
    path = curation.write_manifest(tmp_path / "manifest.csv", rows)
    text = path.read_text()
    unfilled = [c for c in curation.MANIFEST_COLUMNS if c != "inchikey"]  # no row gives one
    assert text.splitlines()[0] == ",".join(unfilled)
    back = curation.read_manifest(path)
    assert [r["id"] for r in back] == ["a-ir", "b-raman"]  # modality, name, id
    assert back[0]["cas"] == ""


def test_manifest_missing_column_and_empty_value(tmp_path):
    bad = tmp_path / "m.csv"
    bad.write_text("file,cas\nx.jdx,58-08-2\n")
    with pytest.raises(LibraryError, match=r"lacks the column.*name"):
        curation.read_manifest(bad)
    bad.write_text("file,name\nx.jdx,\n")
    with pytest.raises(LibraryError, match=r"line 2: empty column 'name'$"):
        curation.read_manifest(bad)
    bad.write_text("file,name\n ,A\n")  # the column, not a file with nothing in it
    with pytest.raises(LibraryError, match=r"line 2: empty column 'file'$"):
        curation.read_manifest(bad)
    with pytest.raises(LibraryError, match=r"line 2: empty column 'file'$"):
        Library.from_folder([], bad)
    bad.write_text("file,name\n,B\n")
    with pytest.raises(LibraryError, match=r"line 2: empty column 'file'$"):
        curation.read_manifest(bad)


def _listed_twice(library):
    """``library``'s manifest with its first row again at the end, its file spelt otherwise."""
    text = (library / "manifest.csv").read_text()
    first = text.splitlines()[1]
    again = first.replace(",raman/", ",./raman/", 1).replace(",ir/", ",./ir/", 1)
    (library / "manifest.csv").write_text(text + again + "\n")
    return first.split(",")[1], len(text.splitlines()) + 1


def test_a_file_listed_twice_is_refused_by_every_reader_naming_both_lines(small_library):
    """Building kept one row of a file listed twice, curation counted both: validate said
    "N references" but "[N+1 checked]", info counted a reference the version does not hold."""
    file, line = _listed_twice(small_library)
    said = rf"line {line} lists '\./{re.escape(file)}' again \(first on line 2, as '{file}'\)"
    for read in (
        curation.read_manifest,
        lambda m: Library.from_folder(m.parent, calibrate=False),
        lambda m: curation.library_info(curation.open_library(m.parent)),
        lambda m: curation.validate_library(m.parent, self_identification=False),
        lambda m: resolve_sample("Alphaine", "raman", library_dir=m.parent),
    ):
        with pytest.raises(LibraryError, match=rf"manifest\.csv: {said}: a reference file has one"):
            read(small_library / "manifest.csv")


def test_every_reader_takes_a_manifest_a_spreadsheet_saved_with_a_byte_order_mark(
    small_library,
):
    # the simulators' sample names read it as plain UTF-8: its first column was "\ufeffid"
    manifest = small_library / "manifest.csv"
    plain = curation.read_manifest(manifest)
    manifest.write_bytes(b"\xef\xbb\xbf" + manifest.read_bytes())
    assert curation.read_manifest(manifest) == plain
    found = resolve_sample("alphaine-raman", "raman", library_dir=small_library)
    assert found.metadata["name"] == "Alphaine"
    assert len(Library.from_folder(small_library, calibrate=False)) == len(plain)


def _write_rows(manifest, *rows):
    """A manifest of ``rows`` (None for an empty line) with the columns in their order."""
    with open(manifest, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(curation.MANIFEST_COLUMNS)
        for row in rows:
            if row is None:
                handle.write("\n")
            else:
                writer.writerow([row.get(c, "") for c in curation.MANIFEST_COLUMNS])


def test_a_manifest_problem_names_its_line_in_the_file_empty_lines_counted(small_library):
    # validation numbered the rows, not the lines: after an empty line it named the wrong one
    manifest = small_library / "manifest.csv"
    rows = curation.read_manifest(manifest)
    twin = {**rows[2], "id": rows[1]["id"]}  # one id given to two files
    _write_rows(manifest, rows[0], None, rows[1], twin, *rows[3:])
    assert [r.line for r in curation.read_manifest(manifest)[:4]] == [2, 4, 5, 6]
    gate = curation.validate_library(small_library, self_identification=False).gate("metadata")
    assert any("id repeated (manifest lines 4 and 5)" in f.message for f in gate.findings)
    _write_rows(manifest, rows[0], None, {**rows[1], "name": ""})
    with pytest.raises(LibraryError, match=r"manifest\.csv: line 4: empty column 'name'$"):
        curation.read_manifest(manifest)
    manifest.write_bytes(manifest.read_bytes().replace(b"\n\n", "\n\ncaf\xe9\n".encode("latin-1")))
    with pytest.raises(LibraryError, match=r"line 4: unreadable manifest \(byte 0xe9 is not UTF-8"):
        curation.read_manifest(manifest)
    # the folder is still the manifest's: not built as a folder without one, all files in it
    with pytest.raises(LibraryError, match=r"manifest\.csv: line 4: unreadable manifest"):
        Library.from_folder(small_library, calibrate=False)


NOTED_MANIFEST = """\
# Lab library, kept by the QA group: see SOP-12
id,file,name,cas
# alphaine: re-measured 2026-03 after the laser was serviced
alphaine-raman,raman/alphaine-raman.jdx,Alphaine,64-17-5
,,,
  , ,,
"# betaine, test batch 4 (a spreadsheet quotes a note with a comma)",,,

betaine-test-raman,raman/betaine-test-raman.jdx,Betaine test,67-64-1
#end of list
"""


def test_a_manifest_may_hold_comment_lines_and_rows_of_empty_cells(tmp_path):
    # chemists keep notes in their CSVs, and a spreadsheet saves an emptied row as ",,,"
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(NOTED_MANIFEST)
    rows = curation.read_manifest(manifest)
    assert [(r["id"], r.line) for r in rows] == [("alphaine-raman", 4), ("betaine-test-raman", 9)]
    assert rows.header_comments == ("# Lab library, kept by the QA group: see SOP-12",)
    assert rows[0].comments == ("# alphaine: re-measured 2026-03 after the laser was serviced",)
    assert rows[1].comments == (
        '"# betaine, test batch 4 (a spreadsheet quotes a note with a comma)",,,',
    )
    assert rows.closing_comments == ("#end of list",)
    assert is_manifest(manifest)  # a note above the header does not hide it
    # the line numbers of errors count the comment and empty lines
    manifest.write_text(NOTED_MANIFEST.replace(",Betaine test,", ",,"))
    with pytest.raises(LibraryError, match=r"manifest\.csv: line 9: empty column 'name'$"):
        curation.read_manifest(manifest)
    manifest.write_text(NOTED_MANIFEST.replace("id,file,name,cas", "id,file,name,name"))
    with pytest.raises(LibraryError, match=r"line 2: the column\(s\) name appear more than once"):
        curation.read_manifest(manifest)


def test_a_library_with_notes_in_its_manifest_builds_and_keeps_them_when_rewritten(
    small_library, tmp_path
):
    manifest = small_library / "manifest.csv"
    rows = curation.read_manifest(manifest)
    first, last = rows[0], rows[-1]  # the manifest is written sorted by modality, name and id
    text = manifest.read_text().splitlines()
    text.insert(0, "# kept by the QA group")
    text.insert(2, f"# {first['id']}: checked against the vendor's file")
    text.insert(len(text) - 1, f"# {last['id']}, batch 7,")
    text.append(",,,,")
    manifest.write_text("\n".join(text) + "\n")
    assert len(Library.from_folder(small_library, calibrate=False)) == len(rows)
    assert len(curation.library_info(curation.open_library(small_library))["skipped"]) == 0
    # an import rewrites the manifest (sorted, rows added and replaced): each note stays
    # with its row, and the note on a replaced reference goes to the one replacing it
    (paracetamol,) = [r for r in rows if r["id"] == "paracetamol-raman"]
    text.insert(text.index(next(t for t in text if t.startswith("paracetamol-raman,"))), "# old")
    manifest.write_text("\n".join(text) + "\n")
    curation.import_spectra(
        [measured_paracetamol(tmp_path / "para.jdx")], small_library, name="Paracetamol",
        licence="MIT",
    )  # fmt: skip
    after = curation.read_manifest(manifest)
    assert after.header_comments == ("# kept by the QA group",)
    by_id = {r["id"]: r for r in after}
    assert by_id[first["id"]].comments == (f"# {first['id']}: checked against the vendor's file",)
    assert by_id[last["id"]].comments == (f"# {last['id']}, batch 7,",)  # as written
    assert by_id["paracetamol-raman"]["provenance"] == "measured"
    assert by_id["paracetamol-raman"].comments == ("# old",)
    assert paracetamol["provenance"] == "modelled"
    # so does an export, and a second rewrite changes nothing
    copy = tmp_path / "copy"
    curation.export_library(curation.open_library(small_library), copy, "jcamp")
    exported = curation.read_manifest(copy / "manifest.csv")
    assert exported.header_comments == after.header_comments
    assert [r.comments for r in exported] == [r.comments for r in after]
    assert curation.format_manifest(after) == manifest.read_text()


def test_a_column_named_twice_in_the_header_is_refused(tmp_path):
    # which "name" held the name depended on the reader (the last one, silently)
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("file, name,name\nx.jdx,A,B\n")
    with pytest.raises(LibraryError, match=r"line 1: the column\(s\) name appear more than once"):
        curation.read_manifest(manifest)


def test_model_library_tool_writes_the_manifest_as_the_curation_does(tmp_path):
    """It wrote its own copy of the manifest format, which dropped a lab's own columns."""
    spec = importlib.util.spec_from_file_location(
        "model_library", LIBRARY_DIR.parent / "tools" / "model_library.py"
    )
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    library = tmp_path / "lib"
    shutil.copytree(LIBRARY_DIR, library, ignore=shutil.ignore_patterns("__pycache__"))
    rows = curation.read_manifest(library / "manifest.csv")
    rows[0] = {**rows[0], "provenance": "measured", "lab_code": "QA-7"}
    rows[1].comments = ("# band table checked by B. Chemist",)
    rows.header_comments = ("# the shipped library",)
    curation.write_manifest(library / "manifest.csv", rows)
    written = tool.build(library)["manifest.csv"].decode("utf-8")
    columns = [c for c in curation.MANIFEST_COLUMNS if c != "inchikey"]  # none fills it
    assert written.splitlines()[1] == ",".join([*columns, "lab_code"])
    assert written.count("QA-7") == 1
    assert written.splitlines()[0] == "# the shipped library"
    (noted,) = [i for i, line in enumerate(written.splitlines()) if line.startswith("# band")]
    assert written.splitlines()[noted + 1].startswith(f"{rows[1]['id']},")
    assert tool.build(LIBRARY_DIR)["manifest.csv"] == (LIBRARY_DIR / "manifest.csv").read_bytes()


# -- import ----------------------------------------------------------------------------------------


def test_import_replaces_the_modelled_reference(small_library, tmp_path):
    measured = measured_paracetamol(tmp_path / "para.jdx")
    result = curation.import_spectra(
        [measured],
        small_library,
        name="acetaminophen",
        licence="CC BY 4.0",
        added_by="A. Chemist",
        today="2026-11-23",
    )
    assert [r["id"] for r in result.replaced] == ["paracetamol-raman"]
    assert result.replaced[0]["provenance"] == "modelled"
    assert any("is the library's 'Paracetamol'" in n for n in result.notes)
    row = result.imported[0]
    assert row["name"] == "Paracetamol" and row["provenance"] == "measured"
    assert row["cas"] == "103-90-2" and row["class"] == "cutting agent"  # from the modelled row
    assert row["file"] == "raman/paracetamol-raman.jdx"
    assert "Test Raman 785" in row["source"] and row["added_by"] == "A. Chemist"
    # the modelled file and row are gone; the IR reference of paracetamol stays modelled
    assert not (small_library / "raman" / "paracetamol.jdx").exists()
    rows = {r["id"]: r for r in curation.read_manifest(small_library / "manifest.csv")}
    assert rows["paracetamol-raman"]["provenance"] == "measured"
    assert rows["paracetamol-ir"]["provenance"] == "modelled"
    written = read_spectrum(small_library / row["file"])
    assert written.metadata["provenance"] == "measured"
    assert written.metadata["entry_id"] == "paracetamol-raman"
    assert written.metadata["imported_file"].endswith("para.jdx")
    original = read_spectrum(measured)
    np.testing.assert_array_equal(written.intensity, original.intensity)


def test_replacing_a_modelled_reference_keeps_its_id(small_library, tmp_path):
    # results and reports cite entry ids: a measured replacement must not rename the entry
    manifest = small_library / "manifest.csv"
    rows = curation.read_manifest(manifest)
    for row in rows:
        if row["id"] == "paracetamol-raman":
            row["id"] = "apap-r"
    curation.write_manifest(manifest, rows)
    measured = measured_paracetamol(tmp_path / "para.jdx")
    result = curation.import_spectra([measured], small_library, name="PARACETAMOL", licence="MIT")
    assert [r["id"] for r in result.replaced] == ["apap-r"]
    assert result.imported[0]["id"] == "apap-r"
    assert result.imported[0]["file"] == "raman/apap-r.jdx"
    assert not (small_library / "raman" / "paracetamol.jdx").exists()
    # a second import of the same substance is the same entry: refused unless forced
    with pytest.raises(LibraryError, match=r"apap-r.*force=True"):
        curation.import_spectra([measured], small_library, name="Paracetamol", licence="MIT")


def test_ids_of_names_in_other_scripts_are_ascii_stay_apart_and_never_invite_force(
    small_library, tmp_path
):
    # an id is typed back from a printed report: ASCII, marks dropped, letters of other
    # scripts spelt by their Latin look-alike or their Unicode name, and said so
    first = measured_paracetamol(tmp_path / "a.jdx")
    one = curation.import_spectra([first], small_library, name="Metkatinon ž", licence="MIT")
    # one measurement is one reference: each name here is given a measurement of its own
    other = [measured_paracetamol(tmp_path / f"{n}.jdx", seed=10 + n) for n in range(4)]
    two = curation.import_spectra([other[0]], small_library, name="Metkatinon š", licence="MIT")
    assert (one.imported[0]["id"], two.imported[0]["id"]) == (
        "metkatinon-z-raman",
        "metkatinon-s-raman",
    )
    lsd = curation.import_spectra([other[1]], small_library, name="ЛСД", licence="MIT")
    assert lsd.imported[0]["id"] == "elcde-raman"  # Л EL, С prints like C, Д DE
    assert any("the id elcde-raman is made from the name 'ЛСД' in ASCII" in n for n in lsd.notes)
    delta = curation.import_spectra([other[2]], small_library, name="Δ9-THC", licence="MIT")
    assert delta.imported[0]["id"] == "delta9-thc-raman"
    # an id given in another script is refused, naming the rule
    with pytest.raises(LibraryError, match=r"entry_id='лсд-raman' is not allowed: .*ASCII"):
        curation.import_spectra([other[3]], small_library, name="ЛСД", entry_id="лсд-raman")
    # an explicit id that holds another substance is refused without suggesting --force
    with pytest.raises(LibraryError, match=r"holds ЛСД, not Cocaine.*entry_id=NEW-ID") as refused:
        curation.import_spectra(
            [other[3]], small_library, name="Cocaine", licence="MIT", entry_id="elcde-raman"
        )
    assert "force" not in str(refused.value)
    # nor with --force: results would cite the id of ЛСД for cocaine
    before = (small_library / "manifest.csv").read_bytes()
    with pytest.raises(LibraryError, match=r"holds ЛСД, not Cocaine"):
        curation.import_spectra(
            [other[3]], small_library, name="Cocaine", entry_id="elcde-raman", force=True
        )
    assert (small_library / "manifest.csv").read_bytes() == before


def test_an_id_of_the_other_modality_is_refused_and_its_reference_kept(small_library, tmp_path):
    # a Raman import given the IR entry's id would have removed the IR reference and its file
    measured = measured_paracetamol(tmp_path / "para.jdx")
    before = (small_library / "manifest.csv").read_bytes()
    for force in (False, True):
        with pytest.raises(
            LibraryError,
            match=r"paracetamol-ir is the id of the ir reference of Paracetamol, "
            r"not a raman one.*own id.*nothing was written",
        ):
            curation.import_spectra(
                [measured],
                small_library,
                name="Paracetamol",
                licence="MIT",
                entry_id="paracetamol-ir",
                force=force,
            )
    assert (small_library / "manifest.csv").read_bytes() == before
    assert (small_library / "ir" / "paracetamol.jdx").is_file()


@pytest.mark.parametrize(
    "bad", ["../../escaped", "../ir/paracetamol", "sub/dir", "with space", "a,b", ".hidden", ""]
)
def test_an_id_that_is_no_safe_file_name_is_refused(small_library, tmp_path, bad):
    # the id is the file name <modality>/<id>.jdx: '..' or '/' wrote outside the library
    measured = measured_paracetamol(tmp_path / "para.jdx")
    before = (small_library / "manifest.csv").read_bytes()
    allowed = r"ASCII letters \(a-z, A-Z\), digits"
    refused = (
        rf"entry_id=.* is not allowed: .*{allowed}"
        if bad
        else r"entry_id=\.\.\. is blank: give the id of the new entry, or leave entry_id=\.\.\. out"
    )
    with pytest.raises(LibraryError, match=refused):
        curation.import_spectra(
            [measured], small_library, name="Testium", licence="MIT", entry_id=bad, force=True
        )
    (tmp_path / "list.csv").write_text(f'file,name,id\npara.jdx,Testium,"{bad}"\n')
    if bad:  # an empty id cell is no id: one is made from the name
        with pytest.raises(LibraryError, match=r"list.csv: line 2: id .* is not allowed"):
            curation.import_spectra([], small_library, manifest=tmp_path / "list.csv")
    assert (small_library / "manifest.csv").read_bytes() == before
    assert not list(tmp_path.rglob("escaped.jdx"))
    assert read_spectrum(small_library / "ir" / "paracetamol.jdx").modality == "ir"
    # ASCII letters, digits, '-', '_' and '.' are ids; letters of other scripts are not (a
    # Cyrillic с prints like a Latin c: two ids would print alike)
    cyrillic = "тест_1.v2-raman"
    with pytest.raises(LibraryError, match=rf"entry_id='{cyrillic}' is not allowed: .*{allowed}"):
        curation.import_spectra([measured], small_library, name="Testium", entry_id=cyrillic)
    done = curation.import_spectra(
        [measured], small_library, name="Testium", licence="MIT", entry_id="Test_1.v2-raman"
    )
    assert done.imported[0]["file"] == "raman/Test_1.v2-raman.jdx"


def _metadata_gate_with(library, entry_id, **changes):
    """The metadata gate of ``library`` once the manifest row ``entry_id`` holds ``changes``."""
    rows = curation.read_manifest(library / "manifest.csv")
    for row in rows:
        if row["id"] == entry_id:
            row.update(changes)
    curation.write_manifest(library / "manifest.csv", rows)
    return curation.validate_library(library, self_identification=False).gate("metadata")


def test_an_unsafe_id_recorded_before_ids_were_checked_fails_and_is_not_reused(
    small_library, tmp_path
):
    """An id like 'sub/para' from before the rule passed validation and was reused by the
    next import of its substance, whose file then went where the id points."""
    gate = _metadata_gate_with(small_library, "paracetamol-raman", id="sub/para")
    assert gate.status == "fail"
    assert any(
        f.entry == "sub/para" and "id 'sub/para' is not allowed" in f.message for f in gate.findings
    )
    before = (small_library / "manifest.csv").read_bytes()
    with pytest.raises(LibraryError, match=r"Paracetamol: id 'sub/para' is not allowed"):
        curation.import_spectra(
            [measured_paracetamol(tmp_path / "para.jdx")],
            small_library,
            name="Paracetamol",
            licence="MIT",
        )
    assert (small_library / "manifest.csv").read_bytes() == before
    assert not (small_library / "raman" / "sub").exists()


def test_the_metadata_gate_fails_a_file_outside_the_library_folder(small_library, tmp_path):
    # a copy of the folder (a published one handed over) would not hold the reference
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.move(small_library / "raman" / "alphaine-raman.jdx", outside / "alphaine.jdx")
    (small_library / "raman" / "alphaine-raman.jdx").symlink_to(outside / "alphaine.jdx")
    rows = curation.read_manifest(small_library / "manifest.csv")
    for row in rows:
        if row["id"] == "zetazine-raman":
            shutil.move(small_library / row["file"], outside / "zetazine.jdx")
            row["file"] = "../outside/zetazine.jdx"
    curation.write_manifest(small_library / "manifest.csv", rows)
    gate = curation.validate_library(small_library, self_identification=False).gate("metadata")
    found = {f.entry: f.message for f in gate.findings}
    assert gate.status == "fail" and set(found) == {"alphaine-raman", "zetazine-raman"}
    assert "outside the library folder" in found["alphaine-raman"]
    assert str(outside / "zetazine.jdx") in found["zetazine-raman"]


def test_an_unlisted_file_of_any_extension_a_reader_takes_fails_the_metadata_gate(small_library):
    """validate had a list of its own: an unlisted .jcm, .spg, .tsv, .dat or OPUS .1 was
    neither built nor named. Notes and figures beside the references are no references."""
    reference = (small_library / "raman" / "alphaine-raman.jdx").read_bytes()
    unlisted = {f"raman/unlisted{ext}" for ext in spectrum_extensions()}
    unlisted.add("raman/no-extension")  # a JCAMP-DX file saved without one: its first bytes
    for rel in unlisted:
        (small_library / rel).write_bytes(reference)
    for rel in ("raman/README.md", "raman/photo.png", "README.md", "notes.txt"):
        (small_library / rel).write_text("measured on 2026-11-20, 785 nm\n")
    gate = curation.validate_library(small_library, self_identification=False).gate("metadata")
    found = {f.entry for f in gate.findings if "not listed in manifest.csv" in f.message}
    assert found == unlisted
    assert {".jcm", ".spg", ".tsv", ".dat", ".1", ".9"} <= spectrum_extensions()
    assert any(
        "list it, or move it out of raman/ if it is no reference" in f.message
        for f in gate.findings
    )


def test_an_id_repeated_in_a_manifest_is_said_to_be_the_id_not_the_name(small_library, tmp_path):
    write_spectrum(synthetic_spectrum(0, seed=9), tmp_path / "one.jdx")
    write_spectrum(synthetic_spectrum(1, seed=9), tmp_path / "two.jdx")
    (tmp_path / "list.csv").write_text(
        "file,name,id,cas\none.jdx,Omegaine,same,58-08-2\ntwo.jdx,Heroin test,same,64-17-5\n"
    )
    result = curation.import_spectra(
        [], small_library, manifest=tmp_path / "list.csv", licence="MIT"
    )
    assert [r["id"] for r in result.imported] == ["same", "same-2"]
    (note,) = [n for n in result.notes if "same" in n]
    assert "the id same is given to more than one reference (Omegaine first)" in note
    assert "Heroin test is imported as same-2" in note
    assert "imported more than once" not in note


def test_a_capitalised_provenance_or_modality_is_read_as_meant(small_library, tmp_path):
    path = write_spectrum(synthetic_spectrum(0, seed=9), tmp_path / "m.jdx")
    text = path.read_text()
    assert "##$provenance=measured" not in text  # written by the toolkit: none stated
    cap = tmp_path / "cap.jdx"
    cap.write_text(text.replace("##JCAMP-DX=", "##$provenance=Measured\n##JCAMP-DX=", 1))
    assert read_spectrum(cap).metadata["provenance"] == "Measured"
    (tmp_path / "list.csv").write_text("file,name,modality\ncap.jdx,Omegaine,RAMAN\n")
    result = curation.import_spectra(
        [], small_library, manifest=tmp_path / "list.csv", licence="MIT"
    )
    assert not result.skipped
    assert [(r["modality"], r["provenance"]) for r in result.imported] == [("raman", "measured")]
    # a manifest row in another case than its file's modality: the gate says the case
    gate = _metadata_gate_with(small_library, "caffeine-ir", modality="IR")
    (finding,) = [f for f in gate.findings if f.entry == "caffeine-ir"]
    assert "modality 'IR': a modality is written in lower case (ir" in finding.message


def test_ir_values_on_the_other_scale_than_their_unit_are_warned_of_not_refused(
    small_library, tmp_path
):
    # transmittance under an absorbance heading passes every check, then breaks identification
    bands = [(760.0, 0.9, 14.0), (1100.0, 0.5, 18.0), (1450.0, 0.6, 16.0), (1700.0, 1.0, 12.0)]
    absorbance = make_spectrum(bands, start=600.0, stop=4000.0, modality="ir", noise=0.002)
    wrong = absorbance.replace(intensity=10.0 ** -np.asarray(absorbance.intensity))
    assert wrong.y_unit == "absorbance"
    path = write_spectrum(wrong, tmp_path / "tabs.jdx")
    result = curation.import_spectra([path], small_library, name="Novel IR", licence="MIT")
    assert [r["id"] for r in result.imported] == ["novel-ir-ir"]
    (note,) = [n for n in result.notes if "warning" in n]
    assert note.startswith("tabs.jdx: warning: labelled absorbance, but its values look like ")
    # the advice states the unit over the file's, as the toolkit records a statement; it
    # said to edit the instrument's file (its heading or ##YUNITS=), its recorded origin
    assert (  # a Python caller is told its arguments (the command line: its options)
        "state it over the unit the file names (import it again with y_unit='transmittance', "
        "override_file=True, force=True: the statement is recorded with the reference, and the "
        "file stays as measured)"
    ) in note
    assert "##YUNITS" not in note
    again = [str(path), "--library", str(small_library), "--name", "Novel IR", "--force"]
    said = CliRunner().invoke(main, ["library", "import", *again, "--licence", "MIT"])
    assert said.exit_code == 0, said.output
    assert (  # the command line is told its options
        "(import it again with --y-unit transmittance --override-file --force: the statement"
    ) in said.output
    followed = curation.import_spectra(
        [path],
        small_library,
        name="Novel IR",
        licence="MIT",
        y_unit="transmittance",
        override_file=True,
        force=True,
    )
    assert not [n for n in followed.notes if "warning" in n]
    stated = read_spectrum(small_library / "ir" / "novel-ir-ir.jdx").metadata["stated_at_import"]
    assert stated.startswith("intensity unit transmittance over the file's absorbance")
    assert read_spectrum(path).y_unit == "absorbance"  # the file itself as it was
    curation.import_spectra([path], small_library, name="Novel IR", licence="MIT", force=True)
    report = curation.validate_library(
        small_library, self_identification=False, only=["novel-ir-ir", "caffeine-ir"]
    )
    units = report.gate("units")
    assert units.status == "pass" and not units.findings
    assert "warning (not a failure): 1 IR reference(s)" in units.note
    assert "novel-ir-ir (Novel IR): labelled absorbance" in units.note
    # a finding is a command line whoever validates: it is published as it is
    assert "import it again with --y-unit transmittance --override-file --force: " in units.note
    assert "caffeine-ir" not in units.note


def test_a_spectrum_in_nm_is_not_imported_and_the_modelled_reference_stays(small_library, tmp_path):
    in_nm = make_spectrum([(830, 1.0, 2), (870, 0.6, 2)], start=786, stop=1050, step=0.2)
    path = write_spectrum(in_nm, tmp_path / "nm.jdx")
    before = (small_library / "manifest.csv").read_bytes()
    with pytest.raises(LibraryError, match=r"wavelength in nm.*not imported"):
        curation.import_spectra([path], small_library, name="Paracetamol", licence="MIT")
    assert (small_library / "manifest.csv").read_bytes() == before
    # a clipped band is imported, with a note (validation fails it)
    y = np.asarray(make_spectrum(noise=0.01).intensity)
    clipped = make_spectrum(noise=0.01).replace(intensity=np.minimum(y, 0.6 * y.max()))
    result = curation.import_spectra(
        [write_spectrum(clipped, tmp_path / "clip.jdx")], small_library, name="X", licence="MIT"
    )
    (note,) = [note for note in result.notes if "clipped" in note]
    assert note.endswith("will fail it: measure again with a shorter exposure or lower laser power")


@pytest.mark.parametrize("level", [0.0, 5.0])
def test_a_flat_spectrum_is_not_imported_and_is_called_flat_not_clipped(
    small_library, tmp_path, level
):
    # an all-zero export was imported with "clipped ... measure with a shorter exposure"
    flat = make_spectrum().replace(intensity=np.full(len(make_spectrum()), level))
    path = write_spectrum(flat, tmp_path / "flat.jdx")
    before = (small_library / "manifest.csv").read_bytes()
    with pytest.raises(
        LibraryError,
        match=rf"flat.jdx: the spectrum is flat: it has no band at all \(every intensity is "
        rf"{level:g}\), an empty or failed measurement: not imported",
    ) as refused:
        curation.import_spectra([path], small_library, name="Paracetamol", licence="MIT")
    assert "clipped" not in str(refused.value)
    assert (small_library / "manifest.csv").read_bytes() == before
    # validate says the same of one already in a library, and no flat top
    gates = {n: curation.GateResult(n, "") for n in validation.GATES}
    validation._raw_gates([({"id": "f", "file": "f.jdx", "name": "F"}, flat)], gates)
    (finding,) = gates["signal-to-noise"].findings
    assert "the spectrum is flat: it has no band at all" in finding.message
    assert gates["saturation"].findings == []


def test_a_gate_never_shows_a_value_on_the_threshold_it_failed(monkeypatch):
    """29.96 read "signal-to-noise 30.0 < 30"; a step of 4.0004 "4.00 cm-1 > 4"; an axis
    starting at 400.3 "400-... does not cover ... 400-1800"."""
    monkeypatch.setattr(validation, "spectrum_signal_to_noise", lambda spectrum: 29.96)
    spectrum = make_spectrum(start=400.3, stop=1900.0, step=4.0004, noise=0.01)
    gates = {n: curation.GateResult(n, "") for n in validation.GATES}
    validation._raw_gates([({"id": "s", "file": "s.jdx", "name": "S"}, spectrum)], gates)
    (snr,) = gates["signal-to-noise"].findings
    assert "signal-to-noise 29.96 < 30 " in snr.message
    cover, step = (finding.message for finding in gates["axis"].findings)
    assert cover.startswith("axis 400.3-1900 cm-1 does not cover the raman fingerprint")
    assert step.startswith("sampling step 4.0004 cm-1 > 4 cm-1")


def test_an_empty_folder_is_said_to_hold_no_spectrum_files(small_library, tmp_path):
    # it was told to "give spectrum files, folders", though a folder was given
    empty = tmp_path / "emptydir"
    empty.mkdir()
    with pytest.raises(
        LibraryError, match=r"^nothing to import: .*emptydir: the folder holds no spectrum files$"
    ):
        curation.import_spectra([empty], small_library, name="X", licence="MIT")
    (empty / "README.md").write_text("notes")
    with pytest.raises(LibraryError, match=r"no spectrum files \(only 1 other file\(s\): notes"):
        curation.import_spectra([empty], small_library, name="X", licence="MIT")
    with pytest.raises(LibraryError, match=r"nothing to import: .*nope: no such file or folder"):
        curation.import_spectra([tmp_path / "nope"], small_library, name="X", licence="MIT")


def test_one_name_for_several_files_is_refused_unless_they_are_replicates(small_library, tmp_path):
    # --name Caffeine on a folder of ten files made ten "Caffeine" references
    files = [measured_paracetamol(tmp_path / f"{n}.jdx", seed=k) for k, n in enumerate("ab")]
    before = (small_library / "manifest.csv").read_bytes()
    for stated in ({"name": "Novel thing"}, {"cas": "58-08-2"}):
        with pytest.raises(
            LibraryError,
            match=rf"{next(iter(stated))}='.*' would name every one of the 2 files given "
            r"\(a.jdx, b.jdx\) as one substance: name each file in a manifest "
            r"\(manifest='path/to/manifest.csv'\), or, .*\(replicates=True\); nothing",
        ):
            curation.import_spectra(files, small_library, licence="MIT", **stated)
    assert (small_library / "manifest.csv").read_bytes() == before
    result = curation.import_spectra(
        files, small_library, name="Novel thing", licence="MIT", replicates=True
    )
    assert [r["id"] for r in result.imported] == ["novel-thing-raman", "novel-thing-raman-2"]
    assert any("imported more than once" in note for note in result.notes)


def test_the_unnamed_spectra_of_one_file_are_not_made_a_substance_each(small_library, tmp_path):
    # the three subfiles of one SPC file became three substances, "... [1]", "... [2]", "... [3]"
    series = replicates_spc(tmp_path / "series.spc")
    before = (small_library / "manifest.csv").read_text()
    with pytest.raises(LibraryError, match=r"nothing imported") as refused:
        curation.import_spectra([series], small_library, licence="MIT")
    assert re.search(
        r"series\.spc: holds 3 spectra \(SPC subfiles\) and names none of them: .* replicate "
        r"measurements or a series of one sample, not 3 substances.* \(name=NAME",
        str(refused.value),
    )
    assert (small_library / "manifest.csv").read_text() == before  # nothing written
    # listed and skipped, as an unreadable file is, when other files are imported
    other = measured_paracetamol(tmp_path / "para.jdx")
    result = curation.import_spectra([series, other], small_library, name=None, licence="MIT")
    assert [p for p, _ in result.skipped] == [str(series)]
    assert "names none of them" in result.skipped[0][1]
    assert len(result.imported) == 1


@pytest.mark.parametrize("how", ["name", "manifest", "log"])
def test_the_spectra_of_one_file_named_once_are_references_of_one_substance(
    small_library, tmp_path, how
):
    log = b"Sample Name=Novel thing\r\n" if how == "log" else b""
    series = replicates_spc(tmp_path / "series.spc", log=log)
    options = {"licence": "MIT"}
    if how == "name":
        options["name"] = "Novel thing"
    if how == "manifest":
        (tmp_path / "list.csv").write_text("file,name\nseries.spc,Novel thing\n")
        options["manifest"] = tmp_path / "list.csv"
    paths = [] if how == "manifest" else [series]
    result = curation.import_spectra(paths, small_library, **options)
    assert [r["name"] for r in result.imported] == ["Novel thing"] * 3
    assert [r["id"] for r in result.imported] == [
        "novel-thing-raman",
        "novel-thing-raman-2",
        "novel-thing-raman-3",
    ]
    (note,) = [n for n in result.notes if "its 3 spectra" in n or "more than once" in n]
    assert note.startswith("series.spc: its 3 spectra are imported as 3 references of Novel thing")
    # a name the file gives, not the chemist, of no library substance: said once for the file
    new = [n for n in result.notes if "no substance of the library" in n]
    assert new == (
        [
            "series.spc: named 'Novel thing' from its header: no substance of the library has that "
            "name; give name=... (or a manifest row) if it is not a new substance"
        ]
        if how == "log"
        else []
    )


def test_a_cas_in_the_file_contradicting_the_library_is_refused_until_stated(
    small_library, tmp_path
):
    # a file titled as a library substance with another substance's CAS (as "cocaine HCl"
    # carrying cocaine base's 50-36-2 instead of 53-21-4): which one it is is the chemist's
    # call, never the library's by silently overwriting the file's number
    spectrum = read_spectrum(measured_paracetamol(tmp_path / "p.jdx"))
    wrong = write_spectrum(
        spectrum.with_metadata(name="acetaminophen", cas="50-36-2"), tmp_path / "apap.jdx"
    )
    manifest = small_library / "manifest.csv"
    before = manifest.read_bytes()
    with pytest.raises(
        LibraryError,
        match=r"apap\.jdx: the file gives CAS 50-36-2 but the library's Paracetamol is "
        r"103-90-2.*\(cas=\.\.\., or a cas column in a manifest \(manifest=\.\.\.\)\)"
        r".*\(name=\.\.\.\)",
    ):
        curation.import_spectra([wrong], small_library, licence="MIT")
    assert manifest.read_bytes() == before
    assert not (small_library / "raman" / "paracetamol-raman.jdx").exists()
    # stated, it is imported as stated, and the note keeps what the file said
    result = curation.import_spectra([wrong], small_library, licence="MIT", cas="103-90-2")
    assert result.imported[0]["cas"] == "103-90-2"
    assert any(
        "apap.jdx: the file gives CAS 50-36-2; imported as 103-90-2" in n for n in result.notes
    )
    written = read_spectrum(small_library / result.imported[0]["file"])
    assert written.metadata["cas"] == "103-90-2"
    # the same number written another way is no contradiction
    same = write_spectrum(
        spectrum.with_metadata(name="Paracetamol", cas="0103-90-2"), tmp_path / "q.jdx"
    )
    again = curation.import_spectra([same], small_library, licence="MIT", force=True)
    assert again.imported[0]["cas"] == "103-90-2"


def test_import_ambiguous_synonym_is_not_guessed(tmp_path):
    rows = [
        {"name": "Cocaine base", "synonyms": "crack;cocaine"},
        {"name": "Cocaine hydrochloride", "synonyms": "cocaine HCl;cocaine"},
    ]
    assert importing._canonical("cocaine", rows) == (
        None,
        ["Cocaine base", "Cocaine hydrochloride"],
    )
    assert importing._canonical("crack", rows)[0]["name"] == "Cocaine base"
    assert importing._canonical("COCAINE-BASE", rows)[0]["name"] == "Cocaine base"


def test_import_refuses_to_overwrite_a_measured_entry(small_library, tmp_path):
    measured = measured_paracetamol(tmp_path / "para.jdx")
    curation.import_spectra([measured], small_library, name="Paracetamol", licence="MIT")
    before = (small_library / "manifest.csv").read_bytes()
    # the same file again is the same measurement: only --force imports it again, as itself
    with pytest.raises(
        LibraryError, match=r"already in .* as reference paracetamol-raman .*pass force=True"
    ):
        curation.import_spectra([measured], small_library, name="Paracetamol", licence="MIT")
    assert (small_library / "manifest.csv").read_bytes() == before
    again = curation.import_spectra(
        [measured], small_library, name="Paracetamol", licence="MIT", force=True
    )
    assert [r["id"] for r in again.replaced] == ["paracetamol-raman"]


def test_import_with_a_manifest_and_unreadable_files(small_library, tmp_path):
    files = tmp_path / "incoming"
    files.mkdir()
    write_spectrum(synthetic_spectrum(0, seed=9), files / "one.jdx")
    (files / "broken.jdx").write_text("##TITLE=broken\n##JCAMP-DX=5.01\nnot a spectrum\n")
    with open(files / "list.csv", "w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["file", "name", "cas", "class", "licence"])
        w.writerow(["one.jdx", "Omegaine", "58-08-2", "test substance", "MIT"])
        w.writerow(["broken.jdx", "Broken", "", "", ""])
    result = curation.import_spectra(
        [], small_library, manifest=files / "list.csv", added_by="tester"
    )
    assert [r["name"] for r in result.imported] == ["Omegaine"]
    assert result.imported[0]["id"] == "omegaine-raman"
    assert [p for p, _ in result.skipped] == [str(files / "broken.jdx")]


def test_import_of_replicates_tells_a_python_caller_the_call_for_the_file_of_a_guessed_unit(
    small_library, tmp_path
):
    """Of replicates, one names its unit and one does not: the note gives a Python caller the
    call that imports that one alone (y_unit=UNIT for the other would contradict its file),
    with what the import stated, and the call, its unit filled in, runs."""
    axis = np.arange(450.0, 3950.0, 2.0)
    values = 0.2 + 0.6 * (1.0 - np.exp(-(axis - 450.0) / 900.0))
    values += 0.1 * np.exp(-(((axis - 1420.0) / 30.0) ** 2))
    unlabelled = tmp_path / "calcite.txt"
    unlabelled.write_text("\n".join(f"{x:.1f} {y:.5f}" for x, y in zip(axis, values, strict=True)))
    named = make_spectrum(
        [(712, 0.3, 8), (876, 0.6, 10), (1420, 1.0, 60)],
        start=450,
        stop=3950,
        modality="ir",
        name="Calcite",
    )
    write_spectrum(named, tmp_path / "calcite-atr.jdx")
    common = {"name": "Calcite", "cas": "471-34-1", "licence": "MIT", "replicates": True}
    imported = curation.import_spectra(
        [unlabelled, tmp_path / "calcite-atr.jdx"], small_library, **common
    )
    (unit_note,) = [n for n in imported.notes if "intensity unit" in n and "Raman" not in n]
    assert unit_note == (
        "calcite.txt: the file does not name its intensity unit; read as transmittance "
        "(guessed from the numbers: intensities dip from a baseline, all within 0..1 "
        "(transmittance)), which 'forensic library validate' fails until it is stated: run the "
        "import again of that file alone, UNIT the unit it is in (absorbance, transmittance or "
        f"percent_transmittance): `import_spectra(['{unlabelled}'], library_dir="
        f"'{small_library.resolve()}', name='Calcite', cas='471-34-1', licence='MIT', "
        "y_unit=UNIT, force=True)`"
    )
    kept = {row["id"]: row for row in imported.imported}
    (other,) = [row for row in kept.values() if row["file"] != kept["calcite-ir"]["file"]]
    other_bytes = (small_library / other["file"]).read_bytes()
    (advised,) = re.findall(r"`(import_spectra\(.*\))`", unit_note)
    again = eval(  # the call as a Python caller pastes it, its unit filled in
        advised.replace("UNIT", "'absorbance'"), {"import_spectra": curation.import_spectra}
    )
    assert [row["id"] for row in again.imported] == ["calcite-ir"]
    assert not any("does not name its intensity unit" in n for n in again.notes)
    units = curation.validate_library(small_library, only=["calcite-ir"]).gate("units")
    assert units.status == "pass", units.findings
    assert (small_library / other["file"]).read_bytes() == other_bytes


def test_import_notes_a_guessed_ir_unit_and_takes_a_stated_one(small_library, tmp_path):
    axis = np.arange(450.0, 3950.0, 2.0)
    # absorbance bands on a scattering baseline that rises to a plateau, no unit named: read
    # as transmittance (its median sits high)
    values = 0.2 + 0.6 * (1.0 - np.exp(-(axis - 450.0) / 900.0))
    values += 0.1 * np.exp(-(((axis - 1420.0) / 30.0) ** 2))
    unlabelled = tmp_path / "calcite.txt"
    unlabelled.write_text("\n".join(f"{x:.1f} {y:.5f}" for x, y in zip(axis, values, strict=True)))
    common = {"name": "Calcite", "cas": "471-34-1", "substance_class": "excipient"}
    guessed = curation.import_spectra([unlabelled], small_library, licence="MIT", **common)
    (unit_note,) = [n for n in guessed.notes if "intensity unit" in n and "Raman" not in n]
    # a Python caller is told its arguments, and that validate fails it until it is stated
    assert unit_note == (
        "calcite.txt: the file does not name its intensity unit; read as transmittance "
        "(guessed from the numbers: intensities dip from a baseline, all within 0..1 "
        "(transmittance)), which 'forensic library validate' fails until it is stated: run the "
        "import again with y_unit=UNIT, force=True, UNIT the unit it is in (absorbance, "
        "transmittance or percent_transmittance)"
    )
    # the guess travels with the reference file, and the units gate will not let it be published
    entry = guessed.imported[0]["id"]
    units = curation.validate_library(small_library, only=[entry]).gate("units")
    assert units.status == "fail"
    assert len(units.findings) == 1
    assert units.findings[0].entry.startswith(entry)
    assert "transmittance was guessed from the numbers" in units.findings[0].message
    assert "--y-unit" in units.findings[0].message
    stated = curation.import_spectra(
        [unlabelled], small_library, licence="MIT", y_unit="absorbance", force=True, **common
    )
    assert not any("does not name its intensity unit" in n for n in stated.notes)
    # a baseline rising to a plateau under one weak band reads as bands pointing down: the
    # unit-label warning (quality.diagnose_unit_label) fits it, as it fits broad-banded
    # minerals, and only warns: the stated unit is taken and the gate passes
    units = curation.validate_library(small_library, only=[entry]).gate("units")
    assert units.status == "pass", units.findings
    written = read_spectrum(small_library / stated.imported[0]["file"])
    assert written.y_unit == "absorbance"
    assert written.metadata["y_unit_basis"] == "stated at import"
    assert written.history[-1].name == "set_y_unit"
    raman = measured_paracetamol(tmp_path / "para.jdx")
    with pytest.raises(LibraryError, match="infrared unit; this spectrum is Raman"):
        curation.import_spectra([raman], small_library, licence="MIT", y_unit="absorbance")


def test_a_modality_told_from_the_numbers_of_a_manifest_s_file_is_told_its_column(
    small_library, tmp_path
):
    # --modality would state it for every file of the manifest: its row's column says it
    ir = make_spectrum([(760, 0.8, 14), (1180, 1.0, 18), (1720, 0.6, 16)], start=650, stop=3500)
    (tmp_path / "sample9.csv").write_text(
        "".join(f"{x:.2f},{y:.5f}\n" for x, y in zip(ir.wavenumber, ir.intensity, strict=True))
    )
    (tmp_path / "m.csv").write_text("file,name,licence\nsample9.csv,Caffeine,MIT\n")
    guessed = curation.import_spectra([], small_library, manifest=tmp_path / "m.csv")
    (note,) = [n for n in guessed.notes if "Raman or IR" in n]
    assert note.endswith(
        "which 'forensic library validate' fails until it is stated: if it is raman, give "
        "raman in the modality column of m.csv line 2, and run the import again with "
        f"force=True; if it is ir: `forensic library import {small_library}/raman/"
        f"caffeine-raman.jdx --library {small_library} --name Caffeine --source 'measured "
        "spectrum imported from sample9.csv' --licence MIT --modality ir --y-unit ...` with "
        "the unit in place of ... (absorbance, transmittance or percent_transmittance) (it "
        "replaces the raman reference caffeine-raman, whose row and file "
        "raman/caffeine-raman.jdx go)"
    )


def test_a_modality_told_from_the_numbers_is_noted_and_fails_until_stated(small_library, tmp_path):
    # a headerless ATR export cut at 3500 cm-1: nothing says IR, and the numbers read as Raman
    ir = make_spectrum([(760, 0.8, 14), (1180, 1.0, 18), (1720, 0.6, 16)], start=650, stop=3500)
    cut = tmp_path / "sample9.csv"
    cut.write_text(
        "".join(f"{x:.2f},{y:.5f}\n" for x, y in zip(ir.wavenumber, ir.intensity, strict=True))
    )
    assert read_spectrum(cut).modality_guessed
    guessed = curation.import_spectra([cut], small_library, licence="MIT", name="Caffeine")
    assert [r["id"] for r in guessed.imported] == ["caffeine-raman"]
    (note,) = [n for n in guessed.notes if "Raman or IR" in n]
    assert note == (
        "sample9.csv: the file does not say whether it is Raman or IR; read as raman (numbers: "
        "intensities look like Raman counts on a Raman-shift range), which 'forensic library "
        "validate' fails until it is stated: if it is raman, run the import again with "
        "modality='raman', force=True; if it is ir: `forensic library import "
        f"{small_library}/raman/caffeine-raman.jdx --library {small_library} --name Caffeine "
        "--source 'measured spectrum imported from sample9.csv' --licence MIT --modality ir "
        "--y-unit ...` with the unit in place of ... (absorbance, transmittance or "
        "percent_transmittance) (it replaces the raman reference caffeine-raman, whose row and "
        "file raman/caffeine-raman.jdx go)"
    )
    units = curation.validate_library(small_library, only=["caffeine-raman"]).gate("units")
    assert units.status == "fail"
    assert "raman was told from the numbers" in units.findings[0].message
    # the instrument file again, as IR, would make one measurement two references: refused,
    # saying to give the reference's file in its place, which replaces the Raman one
    before = (small_library / "manifest.csv").read_bytes()
    reference = small_library / "raman" / "caffeine-raman.jdx"
    with pytest.raises(LibraryError) as refused:
        curation.import_spectra(
            [cut], small_library, licence="MIT", name="Caffeine", modality="ir", y_unit="absorbance"
        )
    assert str(refused.value) == (
        f"not imported: sample9.csv: already in {small_library} as reference caffeine-raman "
        f"(Caffeine, raman/caffeine-raman.jdx, added {guessed.imported[0]['added_at']}), "
        "imported from this file or a copy of it (the same SHA-256): a second entry of one "
        "measurement would be a false replicate of Caffeine; to import it again as itself (to "
        "state what the file gets wrong), or as ir instead of raman, give that reference's "
        f"file, {reference}, in this file's place, with the same options (the raman reference "
        "caffeine-raman is replaced); nothing was written"
    )
    assert (small_library / "manifest.csv").read_bytes() == before
    # stated, it is what the chemist says, and passes
    stated = curation.import_spectra(
        [reference],
        small_library,
        licence="MIT",
        name="Caffeine",
        modality="ir",
        y_unit="absorbance",
    )
    assert [r["id"] for r in stated.imported] == ["caffeine-ir"]
    assert "caffeine-raman" in [r["id"] for r in stated.replaced]
    assert not any("Raman or IR" in n for n in stated.notes)
    units = curation.validate_library(small_library, only=["caffeine-ir"]).gate("units")
    assert units.status == "pass", units.findings
    # the reverse: read as IR absorbance from the numbers, stated Raman: no IR unit is kept
    raman = make_spectrum([(620, 0.8, 6), (1240, 1.0, 9)], start=400, stop=3650)
    normalised = tmp_path / "tablet.csv"
    normalised.write_text(
        "".join(
            f"{x:.2f},{y:.5f}\n" for x, y in zip(raman.wavenumber, raman.intensity, strict=True)
        )
    )
    assert read_spectrum(normalised).modality == "ir"
    as_raman = curation.import_spectra(
        [normalised], small_library, licence="MIT", name="Novel", modality="raman"
    )
    written = read_spectrum(small_library / as_raman.imported[0]["file"])
    assert (written.modality, written.y_unit) == ("raman", "arbitrary")
    units = curation.validate_library(small_library, only=["novel-raman"]).gate("units")
    assert units.status == "pass", units.findings


def test_import_into_a_read_only_folder(small_library, tmp_path, monkeypatch):
    # root may write anywhere: make the permission check answer as for a read-only install
    monkeypatch.setattr(importing.os, "access", lambda path, mode: False)
    with pytest.raises(LibraryError, match="not writable; copy the library first"):
        curation.import_spectra([measured_paracetamol(tmp_path / "p.jdx")], small_library)


def test_a_simulated_spectrum_never_becomes_a_measured_reference(small_library, tmp_path):
    simulated = synthetic_spectrum(0, seed=9).with_metadata(provenance="simulated")
    write_spectrum(simulated, tmp_path / "sim.jdx")
    write_spectrum(synthetic_spectrum(0, seed=9), tmp_path / "real.jdx")
    before = (small_library / "manifest.csv").read_bytes()
    with pytest.raises(LibraryError, match=r"sim.jdx: the spectrum is simulated .*not measured"):
        curation.import_spectra([tmp_path / "sim.jdx"], small_library, name="Omegaine")
    assert (small_library / "manifest.csv").read_bytes() == before
    result = curation.import_spectra(
        [tmp_path / "sim.jdx", tmp_path / "real.jdx"],
        small_library,
        name="Omegaine",
        replicates=True,
    )
    assert [p for p, _ in result.skipped] == [str(tmp_path / "sim.jdx")]
    assert [r["provenance"] for r in result.imported] == ["measured"]


def test_import_nothing_readable(small_library, tmp_path):
    (tmp_path / "x.txt").write_text("hello\n")
    with pytest.raises(LibraryError, match="nothing imported"):
        curation.import_spectra([tmp_path / "x.txt"], small_library)


# -- validation ------------------------------------------------------------------------------------


def test_small_library_validates(small_library):
    report = curation.validate_library(small_library)
    assert report.ok, report.format()
    assert report.gate("self-identification").checked == len(SYNTHETIC) + 4
    assert report.format().splitlines()[-1].startswith("PASSED")


def test_the_metadata_gate_fails_a_name_or_cas_the_file_contradicts(small_library):
    manifest = small_library / "manifest.csv"
    rows = {r["id"]: r for r in curation.read_manifest(manifest)}
    # hand edits of the manifest that no other gate sees: the spectrum is still caffeine's
    rows["caffeine-raman"]["name"] = "Theophylline"
    rows["caffeine-ir"]["cas"] = "58-55-9"
    # legitimate: renamed with the file's name kept as a synonym
    rows["paracetamol-raman"].update(name="Acetaminophen", synonyms="Paracetamol")
    rows["paracetamol-ir"].update(name="Acetaminophen", synonyms="Paracetamol")
    added = {
        "sample-code": "S-2026-0142",  # a sample code, not a substance name
        "no-name": None,
        "foreign": "Caffeine",  # another software's file naming a library substance
    }
    numbers = ("7440-21-3", "7647-14-5", "75-09-2")  # one each: a shared one is a finding
    for i, (entry, title) in enumerate(added.items()):
        spectrum = synthetic_spectrum(i, seed=40 + i).with_metadata(name=title)
        write_spectrum(spectrum, small_library / "raman" / f"{entry}.jdx")
        rows[entry] = {
            **rows["alphaine-raman"],
            "id": entry,
            "file": f"raman/{entry}.jdx",
            "name": f"Novel {entry}",
            "cas": numbers[i],
        }
    curation.write_manifest(manifest, rows.values())
    gate = curation.validate_library(small_library, self_identification=False).gate("metadata")
    found = {f.entry: f.message for f in gate.findings}
    assert sorted(found) == ["caffeine-ir", "caffeine-raman", "foreign"], gate.findings
    assert found["caffeine-raman"] == (
        "raman/caffeine.jdx names the substance 'Caffeine' (its name in the file), the manifest "
        "row 'Theophylline': correct the row, or add the file's name to its synonyms if both "
        "are right"
    )
    assert found["caffeine-ir"] == (
        "ir/caffeine.jdx gives CAS 58-08-2, the manifest row 58-55-9: one is wrong; correct "
        "the row (manifest line 3) if the file's is right; if the row's is, the modelled file "
        "is made again from its source (an import takes only measured spectra)"
    )
    assert found["foreign"].startswith(
        "raman/foreign.jdx names the substance 'Caffeine' (its name in the file), the manifest "
        "row 'Novel foreign'"
    )


@pytest.mark.slow
def test_shipped_library_validates():
    report = curation.validate_library()
    assert report.ok, report.format()
    assert report.entries >= 80
    assert all(g.status == "pass" for g in report.gates)


def _bad_files(folder):
    """One spectrum file per defect, and the manifest CSV that imports them."""
    folder.mkdir()
    x = np.arange(200.0, 3201.0)
    rows = []

    def add(name, spectrum, cas="58-08-2", licence="MIT"):
        path = write_spectrum(spectrum, folder / f"{name.lower().replace(' ', '-')}.jdx")
        rows.append([path.name, name, cas, "test substance", licence])

    fresh = [(530, 1.0, 7), (990, 0.6, 8), (1290, 0.7, 9), (1580, 0.5, 9)]
    clipped = make_spectrum(fresh, noise=0.002, seed=11)
    add("Saturated sample", clipped.replace(intensity=np.minimum(clipped.intensity, 0.5)))
    spiky = make_spectrum([(600, 1.0, 7), (1100, 0.6, 8), (1500, 0.8, 9)], noise=0.002, seed=12)
    y = np.array(spiky.intensity)
    y[[700, 1800, 2500]] += 0.8  # one-point cosmic rays at 900, 2000, 2700 cm-1
    add("Spiky sample", spiky.replace(intensity=y))
    add("Noisy sample", make_spectrum([(450, 1.0, 8), (1350, 0.7, 9)], noise=0.08, seed=13))
    add(
        "Narrow sample",
        make_spectrum([(1000, 1.0, 8), (1200, 0.6, 8)], start=900, stop=1500, noise=0.002),
    )
    add(
        "Absorbance sample",
        make_spectrum([(700, 1.0, 8), (1250, 0.6, 8)], noise=0.002, seed=14, y_unit="absorbance"),
    )
    add(
        "Undocumented sample",
        make_spectrum([(820, 1.0, 8), (1420, 0.6, 8), (2200, 0.3, 10)], noise=0.002, seed=15),
        cas="",  # an invalid number is refused at import: bad_report types one in by hand
        licence="",
    )
    # an IR reference whose background held less CO2 than the air at the sample measurement
    stale = make_spectrum(
        [(760, 0.8, 14), (1180, 1.0, 18), (1720, 0.6, 16)],
        start=600,
        stop=4000,
        modality="ir",
        y_unit="absorbance",
        noise=0.002,
        seed=17,
    )
    doublet = co2_doublet(stale.wavenumber, 0.25)
    add("Stale background sample", stale.replace(intensity=stale.intensity + doublet))
    # the Betaine reference rescaled, offset and with a little fresh noise, under another name
    betaine = synthetic_spectrum(1)
    rng = np.random.default_rng(16)
    twin = 1.03 * np.asarray(betaine.intensity) + 0.01 + rng.normal(0, 0.0002, len(betaine))
    add("Lookalike sample", betaine.replace(intensity=twin, metadata={}))
    assert x.size == 3001
    manifest = folder / "list.csv"
    with open(manifest, "w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["file", "name", "cas", "class", "licence"])
        w.writerows(rows)
    return manifest


@pytest.fixture(scope="module")
def bad_report(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad")
    library = make_library(root / "lib", shipped=False)
    manifest = _bad_files(root / "incoming")
    curation.import_spectra([], library, manifest=manifest, added_by="tester")
    rows = curation.read_manifest(library / "manifest.csv")
    for row in rows:
        if row["id"] == "undocumented-sample-raman":
            row["cas"] = "123-45-6"  # typed into the manifest by hand: no check digit then
    curation.write_manifest(library / "manifest.csv", rows)
    # the same spectrum as a reference under the same name, as a measurement of it would be
    # (not marked simulated, which no import takes): a duplicate, not a near-duplicate
    reference = read_spectrum(library / "raman" / "gammaol-raman.jdx")
    write_spectrum(reference.with_metadata(provenance="measured"), root / "copy.jdx")
    curation.import_spectra(
        [root / "copy.jdx"],
        library,
        name="Gammaol",
        licence="MIT",
        cas="50-36-2",
        substance_class="test substance",
        entry_id="gammaol-raman-2",
    )
    return curation.validate_library(library)


@pytest.mark.parametrize(
    ("gate", "entry", "words"),
    [
        ("saturation", "saturated-sample-raman", "flat top"),
        ("spikes", "spiky-sample-raman", "3 spike(s) at 900, 2000, 2700"),
        ("signal-to-noise", "noisy-sample-raman", "signal-to-noise"),
        ("axis", "narrow-sample-raman", "does not cover the raman fingerprint"),
        ("units", "absorbance-sample-raman", "a Raman spectrum in absorbance"),
        ("atmosphere", "stale-background-sample-ir", "CO2 doublet at 2338 and 2361 cm-1, 25%"),
        ("metadata", "undocumented-sample-raman", "empty licence"),
        ("metadata", "undocumented-sample-raman", "'123-45-6' fails its check digit"),
        ("near-duplicates", "lookalike-sample-raman", "cosine"),
        ("near-duplicates", "betaine-test-raman", "cosine"),
        ("duplicates", "gammaol-raman-2", "the same spectrum"),
    ],
)
def test_each_defect_is_caught_by_its_gate(bad_report, gate, entry, words):
    result = bad_report.gate(gate)
    assert result.status == "fail"
    hits = [f for f in result.findings if entry in f.entry and words in f.message]
    assert hits, f"{gate} did not name {entry}: {[(f.entry, f.message) for f in result.findings]}"


def test_bad_report_names_both_near_duplicates_and_fails(bad_report):
    (finding,) = bad_report.gate("near-duplicates").findings
    assert "Lookalike sample" in finding.entry and "Betaine test" in finding.entry
    assert not bad_report.ok
    text = bad_report.format()
    assert text.splitlines()[-1].startswith("FAILED:")
    for gate in ("saturation", "spikes", "signal-to-noise", "axis", "units", "atmosphere"):
        assert gate in bad_report.failed
    assert len(bad_report.gate("atmosphere").findings) == 1
    # clean entries raise no finding in the per-spectrum gates
    for gate in ("saturation", "spikes", "signal-to-noise", "axis", "units", "atmosphere"):
        assert all("alphaine" not in f.entry for f in bad_report.gate(gate).findings)


def test_units_gate_other_defects():
    x = np.arange(600.0, 4000.0, 2.0)
    ir = make_spectrum([(1000, 1.0, 10)], start=600, stop=4000, step=2, modality="ir")
    percent = ir.replace(y_unit="transmittance", intensity=100 - 60 * np.asarray(ir.intensity))
    assert any("outside 0..1" in p for p in validation._check_units(percent))
    absorb = ir.replace(y_unit="absorbance", intensity=80 * np.asarray(ir.intensity))
    assert any("absorbance" in p and "outside" in p for p in validation._check_units(absorb))
    nm = make_spectrum([(800, 1.0, 3)], start=785, stop=1000, step=0.2)
    nm = nm.with_metadata(laser_wavelength_nm=785.0)
    assert any("wavelength in nm" in p for p in validation._check_units(nm))
    negative = make_spectrum(noise=0.01).replace(
        intensity=-np.asarray(make_spectrum(noise=0.01).intensity) - 0.1
    )
    assert any("negative" in p for p in validation._check_units(negative))
    assert x.size == 1700


def _ir_absorbance():
    """An IR reference in absorbance, as the unit checks of validation and import take it."""
    return make_spectrum(
        [(760, 0.8, 14), (1180, 1.0, 18), (1720, 0.6, 16)],
        start=600,
        stop=4000,
        modality="ir",
        y_unit="absorbance",
        noise=0.002,
    )


def test_an_ir_reference_in_reflectance_or_single_channel_units_fails_and_is_not_imported(
    small_library, tmp_path
):
    # an OMNIC %reflectance export and an OPUS background (single channel): neither is
    # compared as absorbance, so a reference made of either never finds its own substance
    absorbance = _ir_absorbance()
    reflectance = absorbance.replace(
        intensity=100.0 * 10.0 ** -(0.5 * np.asarray(absorbance.intensity)), y_unit="reflectance"
    )
    (problem,) = validation._check_units(reflectance)
    assert "reflectance" in problem and "upside down" in problem
    single = absorbance.replace(y_unit="arbitrary")
    (problem,) = validation._check_units(single)
    assert "single-channel" in problem
    assert validation._check_units(absorbance) == []
    raman = make_spectrum(noise=0.01).replace(y_unit="reflectance")
    assert any("a Raman spectrum in reflectance" in p for p in validation._check_units(raman))
    before = (small_library / "manifest.csv").read_bytes()
    files = [
        write_spectrum(reflectance, tmp_path / "reflectance.jdx"),
        write_spectrum(single, tmp_path / "background.jdx"),
    ]
    with pytest.raises(LibraryError, match=r"reflectance.*upside down.*not imported"):
        curation.import_spectra(
            files, small_library, name="Caffeine", licence="MIT", replicates=True
        )
    assert (small_library / "manifest.csv").read_bytes() == before
    assert (small_library / "ir" / "caffeine.jdx").is_file()  # the modelled one stays
    # a file that does not say its unit is imported once the chemist states it
    stated = curation.import_spectra(
        [files[1]], small_library, name="Caffeine", licence="MIT", y_unit="absorbance"
    )
    assert [r["id"] for r in stated.imported] == ["caffeine-ir"]


def test_import_leaves_out_what_a_build_could_not_compare_in_the_unit_stated(
    small_library, tmp_path
):
    # percent transmittance stated as absorbance at import (values to 95): a build would leave
    # it out (quality.comparison_problems), so import refuses it and keeps the modelled one
    absorbance = _ir_absorbance()
    percent = 100.0 * 10.0 ** -(0.5 * np.asarray(absorbance.intensity))
    path = tmp_path / "percent.csv"  # two columns: the file names no unit
    np.savetxt(path, np.column_stack([absorbance.wavenumber, percent]), delimiter=",")
    assert quality.comparison_problems(read_spectrum(path)) == []  # in the unit guessed
    before = (small_library / "manifest.csv").read_bytes()
    with pytest.raises(LibraryError, match=r"absorbance.*not absorbance.*not imported"):
        curation.import_spectra(
            [path],
            small_library,
            name="Caffeine",
            licence="MIT",
            modality="ir",
            y_unit="absorbance",
        )
    # a spectrum upside down (its sign flipped) is not imported either
    inverted = absorbance.replace(intensity=-np.asarray(absorbance.intensity) - 0.05)
    flipped = write_spectrum(inverted, tmp_path / "inverted.jdx")
    with pytest.raises(LibraryError, match=r"inverted.*not imported"):
        curation.import_spectra([flipped], small_library, name="Caffeine", licence="MIT")
    assert (small_library / "manifest.csv").read_bytes() == before


def test_saturation_at_a_detector_ceiling(tmp_path):
    s = make_spectrum([(1000, 1.0, 8), (1400, 0.5, 9)], noise=0.002)
    y = np.asarray(s.intensity) * 70000
    y[780:800] = 65535.0
    y[795] = 65535.0
    counts = s.replace(intensity=np.minimum(y, 65535.0), y_unit="counts")
    gates = {n: curation.GateResult(n, "") for n in validation.GATES}
    validation._raw_gates([({"id": "c", "file": "c.jdx", "name": "C"}, counts)], gates)
    assert gates["saturation"].status == "fail"
    assert any("65535" in f.message for f in gates["saturation"].findings)


@pytest.mark.parametrize(
    ("unit", "scale", "words"),
    [
        ("transmittance", 1.0, "at the minimum 0.4 transmittance (a fraction, 0..1)"),
        ("percent_transmittance", 100.0, "at the minimum 40 % transmittance"),
        ("absorbance", 1.0, "at the maximum 0.6 absorbance"),
    ],
)
def test_a_clipped_band_is_reported_with_its_unit(unit, scale, words):
    # "minimum 0.999997" alone does not say whether that is a fraction, percent or absorbance
    s = make_spectrum([(1000, 1.0, 12), (1400, 0.5, 14)], start=600, stop=3800, modality="ir")
    y = np.minimum(np.asarray(s.intensity), 0.6)
    y = (1.0 - y) * scale if unit != "absorbance" else y
    clipped = s.replace(intensity=y, y_unit=unit)
    gates = {n: curation.GateResult(n, "") for n in validation.GATES}
    validation._raw_gates([({"id": "c", "file": "c.jdx", "name": "C"}, clipped)], gates)
    (finding,) = gates["saturation"].findings
    assert words in finding.message, finding.message
    assert set(validation._UNIT_AFTER_VALUE) == set(Y_UNITS)  # every unit is written


def test_fluorescence_is_not_signal():
    # weak bands on a strong fluorescence hump: the hump must not pass for signal
    weak = make_spectrum([(1000, 0.05, 8), (1450, 0.03, 10)], noise=0.005, baseline=5.0)
    assert curation.signal_to_noise(weak.wavenumber, weak.intensity) < curation.MIN_SNR
    assert curation.band_height(weak.wavenumber, weak.intensity) == pytest.approx(0.05, abs=0.02)
    clean = make_spectrum([(1000, 1.0, 8)], noise=0.005, baseline=5.0)
    assert curation.signal_to_noise(clean.wavenumber, clean.intensity) > 100


def test_noise_and_spikes_on_clean_spectra():
    s = make_spectrum(noise=0.01, seed=1)
    assert 0.008 < quality.noise_sigma(s.intensity) < 0.012
    assert quality.find_spikes(s.intensity).points.size == 0


def test_spikes_are_sought_in_raman_spectra_only():
    raman = make_spectrum([(1000, 1.0, 8)], noise=0.002, seed=2)
    ir = make_spectrum([(1000, 1.0, 10)], noise=0.002, seed=2, modality="ir", y_unit="absorbance")
    said = {}
    for s in (raman, ir):
        y = np.asarray(s.intensity).copy()
        y[300] += 0.5
        gates = {n: validation.GateResult(n, t) for n, t in validation.GATES.items()}
        validation._raw_gates([({"id": s.modality, "file": "x"}, s.replace(intensity=y))], gates)
        said[s.modality] = [f.message for f in gates["spikes"].findings]
        assert gates["spikes"].checked == (s.modality == "raman")
    (finding,) = said["raman"]
    assert "1 spike(s) at" in finding and "cosmic rays?" in finding
    # an FTIR sees no cosmic rays, and a coarsely sampled IR band is one or two points wide
    assert said["ir"] == []


@pytest.mark.parametrize(("sigmas", "width"), [(6.0, 1), (12.0, 2)])
@pytest.mark.parametrize("noise", [0.01, 0.002])
def test_the_gate_reports_the_spikes_identification_replaces(sigmas, width, noise):
    # a 6-sigma one-point and a 12-sigma two-point spike were replaced by the pipeline and passed
    # by the gate (it had a definition of its own: 12 sigma and 2 % of the signal)
    clean = make_spectrum([(600, 1.0, 7), (1100, 0.6, 8), (1500, 0.8, 9)], noise=noise, seed=13)
    y = np.array(clean.intensity)
    y[700 : 700 + width] += sigmas * noise  # at 900 cm-1
    spiked = clean.replace(intensity=y)
    spikes = list(range(700, 700 + width))
    assert quality.find_spikes(y).points.tolist() == spikes
    # the pipeline replaces them and one neighbour either side, nothing else
    replaced = remove_spikes(spiked)
    assert np.flatnonzero(replaced.intensity != y).tolist() == list(range(699, 701 + width))
    gates = {n: validation.GateResult(n, t) for n, t in validation.GATES.items()}
    validation._raw_gates([({"id": "s", "file": "s.jdx", "name": "S"}, spiked)], gates)
    named = f"{width} spike(s) at {', '.join(str(900 + i) for i in range(width))} cm-1"
    gate = gates["spikes"]
    if sigmas * noise >= validation.SPIKE_MIN_FRACTION:  # the signal is about 1
        (finding,) = gate.findings
        assert named in finding.message and "identification replaces them" in finding.message
    else:  # too small to fail a reference, but said
        assert gate.status == "pass" and named in gate.note, gate.note


def test_the_spikes_gate_uses_the_library_pipeline_parameters(small_library):
    lib = Library.from_folder(small_library, small_library / "manifest.csv", calibrate=False)
    assert validation._spike_params(lib) == default_pipeline("raman").params("remove_spikes")
    assert validation._spike_params(None) == default_pipeline("raman").params("remove_spikes")


def test_compiled_library_runs_the_gates_it_can(small_library, tmp_path):
    lib = Library.from_folder(small_library, small_library / "manifest.csv", calibrate=False)
    path = lib.save(tmp_path / "small.flib")
    report = curation.validate_library(path)
    assert report.ok
    skipped = {g.name for g in report.gates if g.status == "skipped"}
    assert skipped == {
        "signal-to-noise",
        "saturation",
        "axis",
        "spikes",
        "units",
        "atmosphere",
        "self-identification",
    }
    assert "compiled .flib" in report.gate("spikes").note
    # what it could not check is no pass (defect 2 of the 0.7.0 audit): not PASSED, exit 1
    assert (
        report.format()
        .splitlines()[-1]
        .startswith("NOT PASSED: a compiled library file; 3 gates passed; 7 cannot be checked")
    )
    assert not report.passed and sorted(report.unchecked) == sorted(skipped)
    assert report.gate("near-duplicates").checked == len(lib)


# -- diff, info, list, export ----------------------------------------------------------------------


def test_diff_added_removed_changed(small_library, tmp_path):
    new = tmp_path / "new"
    shutil.copytree(small_library, new)
    rows = curation.read_manifest(new / "manifest.csv")
    rows = [r for r in rows if r["id"] != "zetazine-raman"]
    for r in rows:
        if r["id"] == "alphaine-raman":
            r["class"] = "stimulant"
    curation.write_manifest(new / "manifest.csv", rows)
    (new / "raman" / "zetazine-raman.jdx").unlink()
    curation.import_spectra(
        [measured_paracetamol(tmp_path / "p.jdx")], new, name="Paracetamol", licence="MIT"
    )
    write_spectrum(synthetic_spectrum(0, seed=9), tmp_path / "one.jdx")
    curation.import_spectra(
        [tmp_path / "one.jdx"], new, name="Omegaine", cas="58-08-2", licence="MIT"
    )
    diff = curation.diff_libraries(small_library, new)
    assert [e["id"] for e in diff.added] == ["omegaine-raman"]
    assert [e["id"] for e in diff.removed] == ["zetazine-raman"]
    changed = {e["id"]: e["changes"] for e in diff.changed}
    assert set(changed) == {"alphaine-raman", "paracetamol-raman"}
    assert changed["alphaine-raman"] == ["class: 'test substance' -> 'stimulant'"]
    assert "spectrum (library vector differs)" in changed["paracetamol-raman"]
    assert "provenance: 'modelled' -> 'measured'" in changed["paracetamol-raman"]
    assert diff.old_version != diff.new_version and len(diff.new_version) == 64
    text = diff.format("old", "new")
    assert diff.old_version in text and "+ omegaine-raman" in text and "- zetazine-raman" in text
    # a folder against the .flib built from it: nothing differs
    flib = Library.from_folder(new, new / "manifest.csv", calibrate=False).save(tmp_path / "n.flib")
    same = curation.diff_libraries(new, flib)
    assert same.empty and same.old_version == same.new_version


def test_info_and_list(small_library):
    source = curation.open_library(small_library)
    info = curation.library_info(source)
    assert info["entries"] == len(SYNTHETIC) + 4
    assert info["substances"] == len(SYNTHETIC) + 2
    assert info["modalities"] == ["ir", "raman"]
    assert info["by_provenance"] == {"modelled": 4, "simulated": len(SYNTHETIC)}
    assert info["source"] == str(small_library.resolve())
    assert (
        info["version"]
        == Library.from_folder(
            small_library, small_library / "manifest.csv", calibrate=False
        ).version
    )
    entries = curation.list_entries(source)
    assert len(entries) == info["entries"]
    assert {"id", "name", "modality", "provenance", "cas", "class"} <= set(entries[0])
    json.dumps(entries)


def test_open_library_errors(tmp_path):
    with pytest.raises(LibraryError, match=r"no manifest.csv"):
        curation.open_library(tmp_path)
    with pytest.raises(LibraryError, match="no such library"):
        curation.open_library(tmp_path / "nothing")


@pytest.mark.parametrize("fmt", ["jcamp", "csv"])
def test_export_round_trip(small_library, tmp_path, fmt):
    out = tmp_path / f"out-{fmt}"
    source = curation.open_library(small_library)
    written = curation.export_library(source, out, fmt)
    # the references, the manifest, and a release.json describing the library as exported
    assert len(written) == len(source.rows) + 2 + (small_library / "README.md").is_file()
    baseline = json.loads((out / "release.json").read_text())
    assert baseline["published_at"].startswith(f"as exported from {small_library}")
    assert set(baseline["entries"]) == {r["id"] for r in source.rows}
    rows = curation.read_manifest(out / "manifest.csv")
    assert [r["id"] for r in rows] == [
        r["id"] for r in curation.read_manifest(small_library / "manifest.csv")
    ]
    for old, new in zip(source.rows, rows, strict=True):
        a = read_spectrum(small_library / old["file"])
        b = read_spectrum(out / new["file"])
        assert b.modality == a.modality
        np.testing.assert_allclose(b.wavenumber, a.wavenumber, rtol=1e-9)
        np.testing.assert_allclose(b.intensity, a.intensity, rtol=1e-6, atol=1e-9)
    if fmt == "jcamp":  # the exported folder is the same library
        assert curation.diff_libraries(small_library, out).empty
    with pytest.raises(LibraryError) as refused:
        curation.export_library(source, out, fmt)
    # the Python caller's argument (the command's --force: test_cli_library_admin)
    assert str(refused.value) == (
        f"{out}: exists and is not empty; not overwritten (pass force=True to replace it)"
    )
    curation.export_library(source, out, fmt, force=True)


def test_export_never_writes_into_the_library_it_exports(small_library, tmp_path):
    # --force onto the folder itself switched its manifest to the copies and changed its version
    source = curation.open_library(small_library)
    before = (small_library / "manifest.csv").read_bytes()
    link = tmp_path / "link"
    link.symlink_to(small_library)
    for out, said in (
        (small_library, "the library folder itself"),
        (link, "the library folder itself"),
        (small_library / "copy", "inside the library folder"),
        (tmp_path, "a folder the library is in"),
    ):
        with pytest.raises(LibraryError, match=f"{re.escape(str(out))}: is {said}"):
            curation.export_library(source, out, "csv", force=True)
    assert (small_library / "manifest.csv").read_bytes() == before
    assert not list(small_library.rglob("*.csv"))[1:]  # the manifest only


def test_find_entries_and_peaks(small_library):
    source = curation.open_library(small_library)
    found = curation.find_entries(source, "APAP")  # a synonym of paracetamol
    assert {e["modality"] for e in found} == {"raman", "ir"}
    with pytest.raises(LibraryError, match="close names: Alphaine"):
        curation.find_entries(source, "Alphain")
    spectrum = read_spectrum(small_library / "raman" / "alphaine-raman.jdx")
    peaks = curation.reference_peaks(spectrum)
    positions = [p for p, _ in peaks]
    for centre, *_ in SYNTHETIC[0][2]:
        assert min(abs(np.array(positions) - centre)) < 1.5
    assert max(h for _, h in peaks) == pytest.approx(1.0, abs=0.02)


# -- publish ---------------------------------------------------------------------------------------


def test_publish_writes_changelog_with_approver(small_library, tmp_path, monkeypatch):
    first = curation.publish_library(
        small_library, approved_by="Dr. A. Chemist", notes="first release", today="2026-11-22"
    )
    changelog = (small_library / "CHANGELOG.md").read_text()
    assert "approved by: Dr. A. Chemist" in changelog
    assert f"`{first.version}`" in changelog and "Notes: first release" in changelog
    release = json.loads((small_library / "release.json").read_text())
    assert release["version"] == first.version and release["approved_by"] == "Dr. A. Chemist"
    assert set(release["entries"]) == {
        r["id"] for r in curation.read_manifest(small_library / "manifest.csv")
    }
    validated = []
    monkeypatch.setattr(
        "forensic.curation.publish.validate_library", lambda *a, **k: validated.append(a)
    )
    with pytest.raises(curation.PublishRefused, match="already the published one"):
        curation.publish_library(small_library, approved_by="Dr. A. Chemist")
    assert validated == []  # said at once, not after the gates' minutes of checks
    monkeypatch.undo()
    curation.import_spectra(
        [measured_paracetamol(tmp_path / "p.jdx")],
        small_library,
        name="Paracetamol",
        licence="MIT",
    )
    second = curation.publish_library(
        small_library,
        approved_by="B. Reviewer",
        today="2026-11-23",
        out=tmp_path / "v2.flib",
    )
    changelog = (small_library / "CHANGELOG.md").read_text()
    assert changelog.index(first.version) < changelog.index(second.version)
    assert f"Changes since version {first.version[:12]}" in second.changelog_entry
    assert "changed paracetamol-raman: spectrum" in second.changelog_entry
    assert "approved by: B. Reviewer" in changelog
    assert Library.load(tmp_path / "v2.flib").version == second.version


def test_an_exported_copy_keeps_the_history_and_publishes_on_from_it(small_library, tmp_path):
    first = curation.publish_library(
        small_library, approved_by="Dr. A. Chemist", today="2026-11-22"
    )
    (small_library / "bands").mkdir()
    (small_library / "bands" / "alphaine.toml").write_text('name = "Alphaine"\n')
    copy = tmp_path / "copy"
    curation.export_library(curation.open_library(small_library), copy, "jcamp")
    for name in ("CHANGELOG.md", "release.json", "bands/alphaine.toml"):
        assert (copy / name).read_bytes() == (small_library / name).read_bytes()
    # the same library: publishing the untouched copy is refused as already published
    with pytest.raises(curation.PublishRefused, match="already the published one"):
        curation.publish_library(copy, approved_by="B. Reviewer")
    curation.import_spectra(
        [measured_paracetamol(tmp_path / "p.jdx")], copy, name="Paracetamol", licence="MIT"
    )
    second = curation.publish_library(copy, approved_by="B. Reviewer", today="2026-11-23")
    assert f"Changes since version {first.version[:12]}" in second.changelog_entry
    changelog = (copy / "CHANGELOG.md").read_text()
    assert changelog.index(first.version) < changelog.index(second.version)


def test_an_exported_copy_never_published_is_published_unchanged(small_library, tmp_path):
    # info and identify call the export's baseline (no approver) unpublished and ask to
    # publish it: publish goes by the same rule, so the lab can approve it as it is
    copy = tmp_path / "copy"
    curation.export_library(curation.open_library(small_library), copy, "jcamp")

    def state():
        return curation.release_state(curation.library_info(curation.open_library(copy))["release"])

    assert state() == "unpublished"
    done = curation.publish_library(copy, approved_by="Dr. A. Chemist", today="2026-11-24")
    assert state() == "current"
    assert "approved by: Dr. A. Chemist" in done.changelog_entry
    with pytest.raises(curation.PublishRefused, match="already the published one") as refused:
        curation.publish_library(copy, approved_by="B. Reviewer")
    assert "approved by Dr. A. Chemist" in str(refused.value)
    assert "None" not in str(refused.value)


def test_the_first_publish_of_an_exported_copy_says_what_changed_since(small_library, tmp_path):
    copy = tmp_path / "copy"  # from a library never published (as the shipped one)
    curation.export_library(curation.open_library(small_library), copy, "jcamp")
    exported = json.loads((copy / "release.json").read_text())["version"]
    curation.import_spectra(
        [measured_paracetamol(tmp_path / "p.jdx")], copy, name="Paracetamol", licence="MIT"
    )
    first = curation.publish_library(copy, approved_by="B. Reviewer", today="2026-11-23")
    assert f"Changes since version {exported[:12]} (as exported from" in first.changelog_entry
    assert "changed paracetamol-raman: spectrum" in first.changelog_entry


def test_publish_refuses_when_a_gate_fails(small_library, tmp_path):
    noisy = make_spectrum([(450, 1.0, 8), (1350, 0.7, 9)], noise=0.1, seed=13)
    write_spectrum(noisy, tmp_path / "noisy.jdx")
    curation.import_spectra(
        [tmp_path / "noisy.jdx"],
        small_library,
        name="Noisy",
        cas="58-08-2",
        licence="MIT",
        substance_class="test substance",
    )
    with pytest.raises(curation.PublishRefused, match="signal-to-noise") as info:
        curation.publish_library(small_library, approved_by="Dr. A. Chemist")
    assert info.value.report is not None and not info.value.report.ok
    assert not (small_library / "CHANGELOG.md").exists()
    assert not (small_library / "release.json").exists()
    with pytest.raises(curation.PublishRefused, match="publishing needs approved_by=NAME"):
        curation.publish_library(small_library, approved_by="  ")


def test_validate_only_selected_entries(small_library):
    report = curation.validate_library(small_library, only=["alphaine-raman"])
    assert report.ok
    assert report.gate("spikes").checked == 1
    assert report.gate("self-identification").checked == 1
    assert report.gate("metadata").checked == len(SYNTHETIC) + 4  # library-wide gates: all
    assert report.gate("duplicates").checked == len(SYNTHETIC) + 4
    with pytest.raises(LibraryError, match="no entry with id nothing-raman"):
        curation.validate_library(small_library, only=["nothing-raman"])


def test_every_reference_file_is_installed_with_the_package(small_library, tmp_path):
    # "works right after install": the package-data globs of pyproject.toml must take every
    # reference the manifest lists, the manifest itself, and what an import writes
    tomllib = pytest.importorskip("tomllib")
    pyproject = tomllib.loads((LIBRARY_DIR.parent / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["spectral_library"]

    def packaged(folder):
        found = set()
        for pattern in patterns:
            found |= {p.relative_to(folder).as_posix() for p in folder.glob(pattern)}
        return found

    shipped = packaged(LIBRARY_DIR)
    assert "manifest.csv" in shipped
    missing = [
        r["file"]
        for r in curation.read_manifest(LIBRARY_DIR / "manifest.csv")
        if r["file"] not in shipped
    ]
    assert not missing, f"not installed with the package: {missing}"
    result = curation.import_spectra(
        [measured_paracetamol(tmp_path / "p.jdx")],
        small_library,
        name="Paracetamol",
        licence="MIT",
    )
    assert result.imported[0]["file"] in packaged(small_library)


@pytest.mark.parametrize("content", ["[]", '"v1"', "{broken"])
def test_a_release_record_that_is_no_object_is_named_not_a_traceback(small_library, content):
    (small_library / "release.json").write_text(content)
    info = curation.library_info(curation.open_library(small_library))
    assert "release.json" in info["release"]["problem"]
    with pytest.raises(curation.PublishRefused, match=r"release\.json: .*fix or remove it"):
        curation.publish_library(small_library, approved_by="Dr. A. Chemist")
    assert (small_library / "release.json").read_text() == content


def _folder_state(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_failed_import_leaves_the_library_folder_as_it_found_it(small_library, tmp_path):
    """An import of several files that fails on one writes nothing: no file the manifest does
    not list is left behind to block the retry or fail validation."""
    first = measured_paracetamol(tmp_path / "a.jdx")
    second = write_spectrum(make_spectrum(seed=4, noise=0.01), tmp_path / "b.jdx")
    stray = small_library / "raman" / "foozolam-raman.jdx"  # left by an earlier attempt
    stray.write_bytes(b"##TITLE=stray\n##END=\n")
    before = _folder_state(small_library)
    rows = [{"file": first.name, "name": "Etizolam"}, {"file": second.name, "name": "Foozolam"}]
    manifest = tmp_path / "m.csv"
    with manifest.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["file", "name"])
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(LibraryError, match=r"foozolam-raman\.jdx already exists.*nothing was"):
        curation.import_spectra([], small_library, manifest=manifest, licence="MIT")
    assert _folder_state(small_library) == before
    # a write that fails midway (the disk full at the manifest) is undone as well
    stray.unlink()
    before = _folder_state(small_library)

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("forensic.curation.importing.write_manifest", full_disk)
        with pytest.raises(OSError, match="No space"):
            curation.import_spectra([], small_library, manifest=manifest, licence="MIT")
    assert _folder_state(small_library) == before
    done = curation.import_spectra([], small_library, manifest=manifest, licence="MIT")
    assert [r["name"] for r in done.imported] == ["Etizolam", "Foozolam"]


def test_a_modelled_or_simulated_file_listed_as_measured_fails_the_metadata_gate(small_library):
    """Relabelling a row 'measured' by hand would make results call a band-table model or a
    simulator's output a measured reference, and drop the modelled-reference warning."""
    manifest = small_library / "manifest.csv"
    rows = {r["id"]: r for r in curation.read_manifest(manifest)}
    assert rows["caffeine-raman"]["provenance"] == "modelled"
    rows["caffeine-raman"]["provenance"] = "measured"
    rows["alphaine-raman"]["provenance"] = "measured"  # a simulated file
    curation.write_manifest(manifest, rows.values())
    gate = curation.validate_library(small_library, self_identification=False).gate("metadata")
    found = {f.entry: f.message for f in gate.findings}
    assert sorted(found) == ["alphaine-raman", "caffeine-raman"], gate.findings
    assert found["caffeine-raman"].startswith(
        "raman/caffeine.jdx says it is modelled, the manifest row measured: results would call "
        "the reference measured"
    )
    assert found["alphaine-raman"].startswith("raman/alphaine-raman.jdx says it is simulated")


def test_one_cas_number_for_two_substances_or_two_for_one_fails_the_metadata_gate(
    small_library, tmp_path
):
    """A file titled with its supplier's code imported as a new substance under the library's
    own CAS number, and a --cas typed for the wrong substance, each leave the library naming
    one substance two ways: the gate says which entries and numbers."""
    manifest = small_library / "manifest.csv"
    rows = {r["id"]: r for r in curation.read_manifest(manifest)}
    rows["alphaine-raman"]["cas"] = "58-08-2"  # caffeine's
    rows["paracetamol-ir"]["cas"] = "50-36-2"  # cocaine base's, on paracetamol's IR entry
    curation.write_manifest(manifest, rows.values())
    gate = curation.validate_library(small_library, self_identification=False).gate("metadata")
    messages = [f.message for f in gate.findings]
    assert any(
        m.startswith("CAS 58-08-2 is given to 2 substances: Alphaine (alphaine-raman); Caffeine")
        for m in messages
    ), messages
    assert any(
        m.startswith("Paracetamol is given 2 CAS numbers: ")
        and "50-36-2 (paracetamol-ir)" in m
        and "103-90-2 (paracetamol-raman)" in m
        for m in messages
    ), messages
    # the compiled library is held to the same rule
    compiled = Library.from_folder(small_library, calibrate=False).save(tmp_path / "l.flib")
    report = curation.validate_library(compiled, self_identification=False)
    assert any("is given 2 CAS numbers" in f.message for f in report.gate("metadata").findings)


# -- one version of a folder: which references, in what order, what the version covers ------------


def test_build_identify_and_publish_take_only_the_references_the_manifest_lists(
    small_library, tmp_path
):
    # a spectrum dropped into the folder without a manifest row is no reference (validate
    # names it): build and identify --library must not take it in either
    write_spectrum(
        synthetic_spectrum(0, seed=5).with_metadata(name="Foozolam", provenance="measured"),
        small_library / "raman" / "foozolam-raman.jdx",
    )
    built = Library.from_folder(small_library, calibrate=False)
    assert "Foozolam" not in {e["name"] for e in built.entries}
    assert open_reference_library(small_library).version == built.version
    assert curation.library_info(curation.open_library(small_library))["version"] == built.version
    report = curation.validate_library(small_library, only=["alphaine-raman"])
    assert "foozolam-raman.jdx" in report.format() and not report.ok
    (small_library / "raman" / "foozolam-raman.jdx").unlink()
    published = curation.publish_library(
        small_library, approved_by="Dr. A", out=tmp_path / "v1.flib", today="2026-11-24"
    )
    # forensic library build FOLDER reproduces the published version
    rebuilt = Library.from_folder(small_library, calibrate=False).save(tmp_path / "b1.flib")
    assert Library.load(rebuilt).version == published.version
    assert Library.load(tmp_path / "v1.flib").version == published.version


def test_a_spreadsheet_sort_of_the_manifest_is_the_same_version(small_library):
    first = curation.publish_library(small_library, approved_by="Dr. A", today="2026-11-24")
    manifest = small_library / "manifest.csv"
    header, *rows = manifest.read_text(encoding="utf-8").splitlines()
    manifest.write_text("\n".join([header, *reversed(rows)]) + "\n", encoding="utf-8")
    info = curation.library_info(curation.open_library(small_library))
    assert info["version"] == first.version and info["release"]["current"]
    with pytest.raises(curation.PublishRefused, match="already the published one"):
        curation.publish_library(small_library, approved_by="Dr. A")


def _add_lab_columns(manifest: Path) -> list[dict[str, str]]:
    """Give every row of ``manifest`` two columns of the lab's own, as a spreadsheet would."""
    with open(manifest, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    fields = [*rows[0], "lab_notes", "smiles"]
    for row in rows:
        row["lab_notes"], row["smiles"] = f"checked {row['id']}", "XYZ"
    with open(manifest, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return rows


def test_an_import_keeps_the_lab_s_own_manifest_columns(small_library, tmp_path):
    before = _add_lab_columns(small_library / "manifest.csv")
    curation.import_spectra(
        [measured_paracetamol(tmp_path / "p.jdx")], small_library, name="Novel", licence="MIT"
    )
    with open(small_library / "manifest.csv", newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        after = {row["id"]: row for row in reader}
    columns = [c for c in curation.MANIFEST_COLUMNS if c != "inchikey"]  # none fills it
    assert reader.fieldnames == [*columns, "lab_notes", "smiles"]
    for row in before:
        assert after[row["id"]]["lab_notes"] == f"checked {row['id']}"
        assert after[row["id"]]["smiles"] == "XYZ"
    assert after["novel-raman"]["lab_notes"] == after["novel-raman"]["smiles"] == ""


def test_the_lab_s_own_columns_leave_the_shipped_library_s_version_as_it_is(tmp_path):
    # the version hashes what changes a result, never a lab's notes: keeping them in the
    # manifest changes no version, and the shipped manifest is written back byte for byte
    shipped = Path(LIBRARY_DIR) / "manifest.csv"
    rows = curation.read_manifest(shipped)
    assert curation.format_manifest(rows).encode() == shipped.read_bytes()
    copy = curation.copy_library(None, tmp_path / "copy")
    _add_lab_columns(copy / "manifest.csv")
    curation.write_manifest(copy / "manifest.csv", curation.read_manifest(copy / "manifest.csv"))
    assert "lab_notes" in (copy / "manifest.csv").read_text(encoding="utf-8").splitlines()[0]
    version = curation.library_info(curation.open_library(copy))["version"]
    assert version == curation.library_info(curation.open_library(None))["version"]


def test_the_same_file_imported_again_is_the_same_version_and_another_one_shows_in_the_diff(
    small_library, tmp_path, monkeypatch
):
    measured = measured_paracetamol(tmp_path / "data" / "para.jdx")
    curation.import_spectra([measured], small_library, name="Paracetamol", licence="MIT")
    first = curation.publish_library(
        small_library, approved_by="Dr. A", out=tmp_path / "v1.flib", today="2026-11-24"
    )
    # the same file again, named from another working folder by a relative path
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    curation.import_spectra(
        ["../data/para.jdx"], small_library, name="Paracetamol", licence="MIT", force=True
    )
    again = curation.library_info(curation.open_library(small_library))
    assert again["version"] == first.version and again["release"]["current"]
    # the same spectrum from another file: another version, and the diff says why
    shutil.copyfile(measured, tmp_path / "elsewhere" / "para.jdx")
    curation.import_spectra(
        ["para.jdx"], small_library, name="Paracetamol", licence="MIT", force=True
    )
    diff = curation.diff_libraries(tmp_path / "v1.flib", small_library)
    assert diff.new_version != first.version
    (changed,) = diff.changed
    assert changed["id"] == "paracetamol-raman"
    (where,) = [c for c in changed["changes"] if c.startswith("imported from: ")]
    assert re.fullmatch(
        r"imported from: '\.\.\..*/data/para\.jdx' -> '\.\.\..*/elsewhere/para\.jdx'", where
    )
    assert any(c.startswith("reference file (sha256 of its bytes)") for c in changed["changes"])


def test_a_release_recorded_under_hash_rule_1_is_compared_reference_by_reference(small_library):
    curation.publish_library(small_library, approved_by="Dr. A", today="2026-11-22")
    path = small_library / "release.json"
    record = json.loads(path.read_text())
    # what publish wrote before the rule was recorded: no rule, pipelines or file hashes
    del record["hash_scheme"], record["pipelines"]
    for entry in record["entries"].values():
        for key in (
            "band_confidence",
            "y_unit",
            "y_unit_basis",
            "source_sha256",
            "imported_file",
            "imported_sha256",
        ):
            entry.pop(key, None)
    record["version"] = "c41ad5e6ebb7" + "0" * 52
    path.write_text(json.dumps(record))
    release = curation.library_info(curation.open_library(small_library))["release"]
    assert not release["current"] and release["same_references"] and release["hash_scheme"] == 1
    second = curation.publish_library(small_library, approved_by="Dr. B", today="2026-11-24")
    assert "0 added, 0 removed, 0 changed" in second.changelog_entry
    assert "library: hash rule 1 -> 2" in second.changelog_entry
    # a reference changed since is not the same references
    record["entries"]["alphaine-raman"]["content"] = "0" * 64
    path.write_text(json.dumps(record))
    release = curation.library_info(curation.open_library(small_library))["release"]
    assert not release["current"] and not release["same_references"]


def test_one_decision_says_whether_a_folder_is_a_published_version():
    state = curation.release_state
    approved = {
        "version": "a" * 64,
        "approved_by": "Dr. A",
        "published_at": "2026-11-23",
        "approval": {"state": "signed"},
    }
    assert state(None) == "unpublished"
    assert state({"version": None, "current": False, "problem": "not JSON"}) == "unknown"
    assert state({**approved, "approved_by": None, "current": True}) == "unpublished"
    assert state({**approved, "current": True}) == "current"
    assert state({**approved, "current": False, "same_references": True}) == "same_references"
    assert state({**approved, "current": False, "same_references": False}) == "changed"
    assert state({**approved, "current": False}) == "changed"  # same rule: nothing compared
    # an approval that does not hold is never published, this version or not
    for current in (True, False):
        unsigned = {**approved, "current": current, "approval": {"state": "unsigned"}}
        assert state(unsigned) == "unsigned"
        for said in ("not_verified", "untrusted"):
            assert state({**unsigned, "approval": {"state": said}}) == "not_approved"
    # rolled back to a version the record keeps, signed
    assert state({**approved, "current": False, "earlier": {"state": "signed"}}) == "earlier"
    # library info words each: an export's baseline, unchanged, is this version, unpublished
    from forensic.cli.library_admin import _release_line  # noqa: PLC0415

    baseline = {**approved, "approved_by": None, "current": True}
    assert _release_line(baseline, "a" * 64) == "no: this version, 2026-11-23"
    edited = {**baseline, "current": False}
    assert _release_line(edited, "b" * 64).startswith("no: changed since version aaaaaaaaaaaa")
    assert set(curation.RELEASE_STATES) == {
        "unknown",
        "unpublished",
        "unsigned",
        "not_approved",
        "current",
        "earlier",
        "same_references",
        "changed",
    }


def test_a_result_against_an_unpublished_or_edited_library_folder_says_so(small_library, tmp_path):
    """A technician pointed at a library folder that was never published, or was edited
    after it was, gets results whose warnings (and so the report's limitations) say its
    references were not approved; the published version gets no such warning."""
    from forensic.identification import identify  # noqa: PLC0415

    query = synthetic_spectrum(1, seed=77)

    def said():
        result = identify(query, open_reference_library(small_library), mixtures=False)
        return [w for w in result.warnings if "reference library" in w], result.advice

    (warning,), advice = said()
    assert warning.endswith(
        "is not a published version (never published): no one approved its references"
    )
    assert str(small_library.resolve()) in warning
    assert any("forensic library publish" in a for a in advice)
    published = curation.publish_library(small_library, approved_by="Dr. A. Chemist")
    assert said()[0] == []
    curation.import_spectra(
        [measured_paracetamol(tmp_path / "p.jdx")], small_library, name="Paracetamol", licence="MIT"
    )
    (warning,), _ = said()
    assert f"has changed since its published version {published.version[:12]}" in warning
    assert "approved by Dr. A. Chemist" in warning
    # the shipped library keeps no release record (its version follows the toolkit's
    # pipelines): it is published with the toolkit, not warned of while its files are those
    # released; a compiled file saved without publishing is warned of
    shipped = identify(query, open_reference_library(None), mixtures=False)
    assert not [w for w in shipped.warnings if "reference library" in w]
    compiled = open_reference_library(published.compiled or small_library)
    flib = compiled.save(tmp_path / "l.flib")
    in_file = identify(query, open_reference_library(flib), mixtures=False)
    # a file saved so carries no approval: not a published version (publish --out's does)
    (warning,) = [w for w in in_file.warnings if "reference library" in w]
    assert warning.endswith(
        "is not a published version (built, not published): no one approved its references"
    )


def test_near_duplicates_same_list_whatever_the_row_order():
    # three lookalike substances and one apart: the pairs, their order and which entry is named
    # first do not depend on the order the references were given in
    spectra = [
        make_spectrum([(620.0, 0.3, 8.0), (1001.0, 1.0, 6.0), (1602.0, height, 10.0)], name=name)
        for height, name in ((0.50, "zeta"), (0.52, "alpha"), (0.55, "mid"))
    ]
    spectra.append(make_spectrum([(450.0, 1.0, 8.0), (2900.0, 0.6, 20.0)], name="apart"))

    def listed(order):
        library = Library.from_spectra([spectra[i] for i in order])
        return [
            (a["entry_id"], b["entry_id"], round(s, 6))
            for a, b, s in validation.near_duplicates(library)
        ]

    forward, backward = listed([0, 1, 2, 3]), listed([3, 2, 1, 0])
    assert forward == backward
    assert len(forward) == 3 and all(a < b for a, b, _ in forward)
    assert [s for _, _, s in forward] == sorted((s for _, _, s in forward), reverse=True)
    assert not any("apart" in a + b for a, b, _ in forward)
