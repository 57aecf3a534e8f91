"""What identifies a reference's substance: its CAS number or, for a substance that has none
yet, its standard InChIKey (the remainder of a lab chemist's audit, frictions 1, 5, 6, 11).
"""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner
from library_helpers import make_library, synthetic_spectrum

from forensic import curation
from forensic.cli import main
from forensic.errors import LibraryError
from forensic.io import write_spectrum
from forensic.library import Library
from forensic.manifest import inchikey_problem

KEY = "RZVAJINKPMORJF-UHFFFAOYSA-N"  # paracetamol's standard InChIKey


@pytest.fixture
def library(tmp_path):
    return make_library(tmp_path / "lib", shipped=False)


def _measured(path, index=0):
    return write_spectrum(synthetic_spectrum(index, seed=40 + index).with_metadata(name=""), path)


def _metadata(library):
    report = curation.validate_library(library, self_identification=False)
    (gate,) = [g for g in report.gates if g.name == "metadata"]
    return gate.status, [f.message for f in gate.findings]


def test_an_inchikey_is_checked_for_its_form():
    assert inchikey_problem(KEY) is None
    assert inchikey_problem(f"  {KEY} ") is None
    assert "write RZVAJINKPMORJF-UHFFFAOYSA-N" in inchikey_problem(KEY.lower())
    assert "starts with 'InChIKey='" in inchikey_problem(f"InChIKey={KEY}")
    for wrong in ("RZVAJINKPMORJF-UHFFFAOYSA", "RZVAJINKPMORJ-UHFFFAOYSA-N", "58-08-2", ""):
        assert "14 upper-case letters, a hyphen, 10" in inchikey_problem(wrong)


def test_a_new_substance_without_a_cas_number_is_imported_and_passes_with_its_inchikey(
    library, tmp_path
):
    _measured(tmp_path / "nps.jdx")
    (tmp_path / "m.csv").write_text(
        f"file,name,inchikey,class,licence\nnps.jdx,Novelone,{KEY},new psychoactive substance,MIT\n"
    )
    done = curation.import_spectra([], library, manifest=tmp_path / "m.csv")
    assert (done.imported[0]["cas"], done.imported[0]["inchikey"]) == ("", KEY)
    status, messages = _metadata(library)
    assert status == "pass", messages
    header = (library / "manifest.csv").read_text().splitlines()[0]
    assert ",cas,inchikey,class," in header
    compiled = Library.from_folder(library)
    (entry,) = [e for e in compiled.entries if e["name"] == "Novelone"]
    assert entry["inchikey"] == KEY
    assert all("inchikey" not in e for e in compiled.entries if e["name"] != "Novelone")


def test_one_of_cas_and_inchikey_is_required_and_each_must_have_its_form(library, tmp_path):
    rows = curation.read_manifest(library / "manifest.csv")
    rows[0]["cas"] = ""
    rows[1]["cas"], rows[1]["inchikey"] = "", KEY.lower()
    rows[2]["cas"] = "58-08-3"
    curation.write_manifest(library / "manifest.csv", rows)
    status, messages = _metadata(library)
    assert status == "fail"
    said = " | ".join(messages)
    assert "line 2: empty cas and inchikey" in said and "give its standard InChIKey" in said
    assert f"InChIKey '{KEY.lower()}' is in lower case" in said
    assert "CAS number '58-08-3' fails its check digit: a number 58-08-... ends in 2, not 3" in said


def test_an_inchikey_of_the_wrong_form_is_refused_at_import(library, tmp_path):
    _measured(tmp_path / "nps.jdx")
    before = (library / "manifest.csv").read_bytes()
    (tmp_path / "m.csv").write_text("file,name,inchikey\nnps.jdx,Novelone,NOT-A-KEY\n")
    with pytest.raises(LibraryError, match=r"nps.jdx \(m.csv line 2\): InChIKey 'NOT-A-KEY'"):
        curation.import_spectra([], library, manifest=tmp_path / "m.csv")
    assert (library / "manifest.csv").read_bytes() == before


def test_validate_never_offers_a_cas_number_that_fails_its_check_digit(library, tmp_path):
    # the file gives 1246816-62-5, the row (edited by hand) 1246816-62-0, a wrong check
    # digit: the fix offered was "the file's or the row's", the invalid number among them
    path = _measured(tmp_path / "nps.jdx")
    done = curation.import_spectra([path], library, name="Novelone", cas="1246816-62-5")
    rows = curation.read_manifest(library / "manifest.csv")
    for row in rows:
        if row["id"] == done.imported[0]["id"]:
            row["cas"] = "1246816-62-0"
    curation.write_manifest(library / "manifest.csv", rows)
    _, messages = _metadata(library)
    (said,) = [m for m in messages if "gives CAS 1246816-62-5" in m]
    assert "the row's CAS number '1246816-62-0' fails its check digit" in said
    assert "if the file's, 1246816-62-5, is right, import the file again" in said
    assert "--cas 1246816-62-5" in said and "1246816-62-0, the row's" not in said


def test_an_instrument_file_already_a_reference_is_refused_under_another_name(library, tmp_path):
    # BWTEK_PST10_iR532.txt imported again as "Polystyrene film" passed silently
    path = _measured(tmp_path / "instrument.jdx")
    first = curation.import_spectra([path], library, name="Omegaine", licence="MIT")
    entry = first.imported[0]["id"]
    copy = tmp_path / "copy" / "renamed.jdx"
    copy.parent.mkdir()
    copy.write_bytes(path.read_bytes())
    before = (library / "manifest.csv").read_bytes()
    with pytest.raises(LibraryError) as refused:
        curation.import_spectra([copy], library, name="Omegaine film")
    said = str(refused.value)
    assert f"its SHA-256 is that of the file reference {entry} (Omegaine" in said
    assert f"forensic library rename {entry} --library" in said and "--name NEW-NAME" in said
    assert f"(entry_id={entry!r}, force=True)" in said and "nothing was written" in said
    assert (library / "manifest.csv").read_bytes() == before
    again = curation.import_spectra([path], library, name="Omegaine", entry_id=entry, force=True)
    assert [r["id"] for r in again.imported] == [entry]  # as itself: allowed


def test_an_instrument_file_already_a_reference_is_named_as_other_refusals_name_it(
    library, tmp_path
):
    # "/tmp/.../copy/renamed.jdx: its SHA-256 ...": the whole path, where every other
    # refusal names the file, and its manifest row
    path = _measured(tmp_path / "instrument.jdx")
    entry = curation.import_spectra([path], library, name="Omegaine", licence="MIT")
    entry = entry.imported[0]["id"]
    copy = tmp_path / "copy" / "renamed.jdx"
    copy.parent.mkdir()
    copy.write_bytes(path.read_bytes())
    rename = f"`forensic library rename {entry} --library {library} --name NEW-NAME`"
    said = (
        f"its SHA-256 is that of the file reference {entry} (Omegaine, raman/{entry}.jdx) was "
        "imported from: the same spectrum would be a reference of Omegaine and of Omegaine "
        f"film; to name that reference otherwise: {rename}; to import it again as itself, "
        f"give its id (--id {entry} --force); nothing was written\n"
    )
    run = CliRunner().invoke
    given = ["library", "import", str(copy), "--library", str(library), "--name", "Omegaine film"]
    refused = run(main, given)
    assert refused.exit_code == 2
    assert refused.output == f"error: not imported: renamed.jdx: {said}"
    (tmp_path / "copy" / "m.csv").write_text("file,name\nrenamed.jdx,Omegaine film\n")
    rows = run(main, ["library", "import", "--manifest", str(copy.with_name("m.csv")),
                      "--library", str(library)])  # fmt: skip
    assert rows.exit_code == 2
    assert rows.output == f"error: not imported: renamed.jdx (m.csv line 2): {said}"


def test_the_duplicates_gate_says_which_entry_to_drop_and_how(library, tmp_path):
    rows = curation.read_manifest(library / "manifest.csv")
    first = rows[0]
    copy = {**first, "id": "copy-raman", "file": "raman/copy-raman.jdx", "name": "Copyine"}
    copy["added_at"] = "2026-11-23"
    (library / copy["file"]).write_bytes((library / first["file"]).read_bytes())
    curation.write_manifest(library / "manifest.csv", [*rows, copy])
    report = curation.validate_library(library, self_identification=False)
    (finding,) = report.gate("duplicates").findings
    assert "drop copy-raman (added 2026-11-23, after " + first["id"] in finding.message
    assert "`forensic library remove copy-raman --library " in finding.message
    assert f"--reason 'the same spectrum as {first['id']}'`" in finding.message


def test_synonyms_salt_form_and_legal_control_are_import_options(library, tmp_path):
    from click.testing import CliRunner  # noqa: PLC0415

    from forensic.cli import main  # noqa: PLC0415

    path = _measured(tmp_path / "mmc.jdx")
    done = CliRunner().invoke(
        main,
        [
            "library", "import", str(path), "--library", str(library), "--name", "3-MMC",
            "--cas", "1246816-62-5", "--synonyms", "3-methylmethcathinone; metaphedrone",
            "--salt-form", "hydrochloride", "--legal-control", "UN 1971 Convention, Schedule II",
        ],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    (row,) = [r for r in curation.read_manifest(library / "manifest.csv") if r["name"] == "3-MMC"]
    assert row["synonyms"] == "3-methylmethcathinone;metaphedrone"
    assert (row["salt_form"], row["legal_control"]) == (
        "hydrochloride",
        "UN 1971 Convention, Schedule II",
    )
    # a synonym is checked as a name is: one that prints like another substance's is refused
    with pytest.raises(LibraryError, match="prints"):
        curation.import_spectra(
            [_measured(tmp_path / "y.jdx", 1)], library, name="Novelone", synonyms="3-ММС"
        )


def test_library_list_shows_the_inchikey_of_the_entries_that_have_one(library, tmp_path):
    _measured(tmp_path / "nps.jdx")
    (tmp_path / "m.csv").write_text(f"file,name,inchikey,licence\nnps.jdx,Novelone,{KEY},MIT\n")
    curation.import_spectra([], library, manifest=tmp_path / "m.csv")
    flib = tmp_path / "lib.flib"
    Library.from_folder(library).save(flib)
    for listed in (library, flib):  # the folder's manifest, and a compiled library
        entries = curation.list_entries(curation.open_library(listed))
        assert {e["name"]: e["inchikey"] for e in entries if e["inchikey"]} == {"Novelone": KEY}
        text = CliRunner().invoke(main, ["library", "list", str(listed)])
        assert text.exit_code == 0, text.output
        lines = text.output.splitlines()
        (novel,) = [line for line in lines if "Novelone" in line]
        assert novel.endswith(f"novelone-raman  InChIKey {KEY}")
        assert not [line for line in lines if "InChIKey" in line and "Novelone" not in line]
        as_json = CliRunner().invoke(main, ["library", "list", str(listed), "--json"])
        (entry,) = [e for e in json.loads(as_json.output) if e["name"] == "Novelone"]
        assert entry["inchikey"] == KEY


def test_library_diff_says_an_inchikey_given_or_changed(library, tmp_path):
    _measured(tmp_path / "nps.jdx")
    manifest = tmp_path / "m.csv"
    manifest.write_text("file,name,licence\nnps.jdx,Novelone,MIT\n")
    curation.import_spectra([], library, manifest=manifest)
    before = tmp_path / "before.flib"
    Library.from_folder(library).save(before)
    with (library / "manifest.csv").open(newline="") as f:
        reader = csv.DictReader(f)
        fields = [
            *reader.fieldnames,
            *(["inchikey"] if "inchikey" not in reader.fieldnames else []),
        ]
        rows = [{**row, "inchikey": KEY if row["name"] == "Novelone" else ""} for row in reader]
    with (library / "manifest.csv").open("w", newline="") as f:  # the chemist gives its key
        writer = csv.DictWriter(f, fields)
        writer.writeheader()
        writer.writerows(rows)
    after = tmp_path / "after.flib"
    Library.from_folder(library).save(after)
    result = curation.diff_libraries(curation.open_library(before), curation.open_library(after))
    (changed,) = result.changed
    assert changed["name"] == "Novelone"
    assert changed["changes"] == [f"inchikey: '' -> {KEY!r}"]
    assert not result.added and not result.removed
