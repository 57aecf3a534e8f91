"""forensic.curation.import_spectra keeps what the chemist said, and says what it did not take.

Each test is a case a lab chemist's audit reproduced: a manifest not applied to the folder
given with it, its misspelt columns dropped, a bare drug name joining a salt, a name in a
look-alike letter, a re-import losing its row's provenance, one name for a folder of files.
"""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner
from library_helpers import make_library, measured_paracetamol, synthetic_spectrum

from forensic import curation
from forensic.cli import main
from forensic.errors import LibraryError
from forensic.io import read_spectrum, write_spectrum


@pytest.fixture
def library(tmp_path):
    return make_library(tmp_path / "lib")


def _rows(library):
    return {row["id"]: row for row in curation.read_manifest(library / "manifest.csv")}


def _edit_row(library, entry_id, **changes):
    """The library's manifest with the row ``entry_id`` holding ``changes`` (a hand edit)."""
    rows = curation.read_manifest(library / "manifest.csv")
    for row in rows:
        if row["id"] == entry_id:
            row.update(changes)
    curation.write_manifest(library / "manifest.csv", rows)


def _measured(path, index=0):
    """A measured-looking spectrum file of the synthetic reference ``index``, no name in it."""
    spectrum = synthetic_spectrum(index, seed=40 + index)
    return write_spectrum(spectrum.with_metadata(name=""), path)


# -- a manifest given with folders (defect 3) --------------------------------------------------


def _batch(tmp_path):
    """Spectra in incoming/ and a manifest in the folder above it that names them by name
    ("a.jdx") and by their path relative to incoming/ ("sub/b.jdx")."""
    incoming = tmp_path / "incoming"
    (incoming / "sub").mkdir(parents=True)
    _measured(incoming / "a.jdx", 0)
    _measured(incoming / "sub" / "b.jdx", 1)
    _measured(incoming / "unlisted.jdx", 2)
    manifest = tmp_path / "batch.csv"
    manifest.write_text(
        "file,name,cas,class,licence\n"
        "a.jdx,Omegaine,58-08-2,test substance,MIT\n"
        "sub/b.jdx,Kappaine,64-17-5,test substance,MIT\n"
    )
    return incoming, manifest


def test_a_manifest_s_rows_are_looked_up_in_the_folder_given_with_it(library, tmp_path):
    # the rows were resolved beside the CSV only, "skipped ... no such file", while the
    # folder's files went in under their titles, with no CAS or class, and the run exited 0
    incoming, manifest = _batch(tmp_path)
    (incoming / "manifest-old.csv").write_text("file,name\nx.jdx,X\n")  # a manifest, no spectrum
    result = curation.import_spectra([incoming], library, manifest=manifest)
    assert [(r["name"], r["cas"], r["licence"]) for r in result.imported] == [
        ("Omegaine", "58-08-2", "MIT"),
        ("Kappaine", "64-17-5", "MIT"),
    ]
    assert [(p, why.split(":")[0]) for p, why in result.skipped] == [
        (str(incoming / "unlisted.jdx"), "no row of batch.csv names it")
    ]
    assert any(
        "manifest-old.csv: a manifest (file and name columns), not a spectrum" in n
        for n in result.notes
    )


def test_a_manifest_row_whose_file_is_nowhere_refuses_the_whole_import(library, tmp_path):
    incoming, manifest = _batch(tmp_path)
    manifest.write_text(
        manifest.read_text() + "gone.jdx,Gone,,,\n# a note\nsub/also-gone.jdx,Gone too,,,\n"
    )
    before = (library / "manifest.csv").read_bytes()
    with pytest.raises(
        LibraryError,
        match=r"not imported: .*batch.csv: line 4: 'gone.jdx' is not there; line 6: "
        r"'sub/also-gone.jdx' is not there; a row's file is looked for beside the CSV \(in "
        r".*\), in a folder given, or among the files given: .*nothing was written",
    ):
        curation.import_spectra([incoming], library, manifest=manifest)
    assert (library / "manifest.csv").read_bytes() == before
    # without the folder, the rows are beside the CSV or nowhere
    with pytest.raises(LibraryError, match=r"line 2: 'a.jdx' is not there; line 3: 'sub/b"):
        curation.import_spectra([], library, manifest=manifest)
    assert (library / "manifest.csv").read_bytes() == before


def test_a_row_named_by_a_file_name_two_files_have_is_refused(library, tmp_path):
    incoming, manifest = _batch(tmp_path)
    _measured(incoming / "sub" / "a.jdx", 3)
    manifest.write_text("file,name,licence\na.jdx,Omegaine,MIT\n")
    # incoming/a.jdx is a path relative to the folder: no choice to make
    done = curation.import_spectra([incoming], library, manifest=manifest)
    assert [r["name"] for r in done.imported] == ["Omegaine"]
    # given as files, two of that name: which one?
    with pytest.raises(LibraryError, match=r"line 2: 'a.jdx' is .*a.jdx and .*sub/a.jdx, two"):
        curation.import_spectra(
            [incoming / "a.jdx", incoming / "sub" / "a.jdx"], library, manifest=manifest
        )
    manifest.write_text("file,name,licence\nb.jdx,Kappaine,MIT\n")  # the end of a path given
    done = curation.import_spectra(
        [incoming / "a.jdx", incoming / "sub" / "b.jdx"], library, manifest=manifest
    )
    assert [r["name"] for r in done.imported] == ["Kappaine"]
    assert [p for p, _ in done.skipped] == [str(incoming / "a.jdx")]
    # a path from the chemist's own computer: found by its name, the one file that has it
    manifest.write_text("file,name,licence\nC:\\spectra\\old\\b.jdx,Kappaine,MIT\n")
    done = curation.import_spectra([incoming], library, manifest=manifest, force=True)
    assert [r["name"] for r in done.imported] == ["Kappaine"]
    # a name two files have is no choice the row makes
    manifest.write_text("file,name,licence\nold/a.jdx,Omegaine,MIT\n")
    with pytest.raises(LibraryError, match=r"line 2: 'old/a.jdx' is found only by its name, and 2"):
        curation.import_spectra([incoming], library, manifest=manifest, force=True)


# -- columns a manifest has no place for (defect 4) -------------------------------------------


def test_a_misspelt_manifest_column_is_refused_naming_the_one_meant(library, tmp_path):
    # "license" was dropped: "note: cathinone.csv: no licence given (--licence)"
    incoming, _ = _batch(tmp_path)
    manifest = incoming / "typo.csv"
    manifest.write_text("file,name,synonym,cas,clas,license\na.jdx,Omegaine,om,58-08-2,x,CC BY\n")
    before = (library / "manifest.csv").read_bytes()
    with pytest.raises(
        LibraryError,
        match=r"not imported: .*typo.csv: line 1: 'synonym': did you mean 'synonyms'\?; 'clas': "
        r"did you mean 'class'\?; 'license': did you mean 'licence'\? \(the manifest columns are "
        r"id, file, .*\): their values would be lost; correct the header, or import without "
        r"them \(ignore_columns=True\); nothing was written",
    ):
        curation.import_spectra([], library, manifest=manifest)
    assert (library / "manifest.csv").read_bytes() == before
    done = curation.import_spectra([], library, manifest=manifest, ignore_columns=True)
    assert (done.imported[0]["licence"], done.imported[0]["synonyms"]) == ("", "")
    assert "typo.csv: column(s) 'synonym', 'clas', 'license' not read (ignore_columns=True)" in (
        done.notes
    )


def test_build_refuses_a_manifest_column_it_has_no_place_for(library, tmp_path):
    manifest = tmp_path / "build.csv"
    manifest.write_text("file,name,license\nraman/alphaine-raman.jdx,Alphaine,MIT\n")
    shutil.copy(manifest, library / "build.csv")
    args = ["library", "build", str(library), "--out", str(tmp_path / "x.flib"), "--no-calibration"]
    refused = CliRunner().invoke(main, [*args, "--manifest", str(library / "build.csv")])
    assert refused.exit_code == 2
    assert (
        "not built: " in refused.output and "'license': did you mean 'licence'?" in refused.output
    )
    assert not (tmp_path / "x.flib").exists()
    done = CliRunner().invoke(
        main, [*args, "--manifest", str(library / "build.csv"), "--ignore-columns"]
    )
    assert done.exit_code == 0, done.output


def test_a_semicolon_manifest_is_imported(library, tmp_path):
    incoming, _ = _batch(tmp_path)
    manifest = incoming / "excel.csv"
    manifest.write_text("file;name;cas;class;licence\na.jdx;Omegaine;58-08-2;test substance;MIT\n")
    done = curation.import_spectra([], library, manifest=manifest)
    assert [(r["name"], r["cas"]) for r in done.imported] == [("Omegaine", "58-08-2")]


# -- a bare name for a salt, a synonym of several (defect 7) ----------------------------------


@pytest.fixture
def salts(library):
    """Alphaine as a hydrochloride, 'alphaine' its synonym; Betaine and Gammaol share one."""
    _edit_row(
        library,
        "alphaine-raman",
        name="Alphaine hydrochloride",
        synonyms="alphaine;alphaine HCl",
        salt_form="hydrochloride",
        legal_control="Schedule II",
    )
    _edit_row(library, "betaine-test-raman", synonyms="beta")
    _edit_row(library, "gammaol-raman", synonyms="beta")
    return library


def test_a_bare_name_does_not_take_over_a_salt_s_reference(salts, tmp_path):
    # ENFSI "Methamphetamine" replaced "Methamphetamine hydrochloride" and took its salt form,
    # CAS and legal note; only a note said "is the library's 'Methamphetamine hydrochloride'"
    path = _measured(tmp_path / "alphaine.jdx")
    before = (salts / "manifest.csv").read_bytes()
    with pytest.raises(
        LibraryError,
        match=r"alphaine.jdx: name 'Alphaine' is a synonym of the library's 'Alphaine "
        r"hydrochloride' \(salt form hydrochloride\), but does not state the hydrochloride: .*"
        r"name it so \(name='Alphaine hydrochloride'\), and if it is the base or another "
        r"salt, name that \(name='Alphaine base'\); nothing was written",
    ):
        curation.import_spectra([path], salts, name="Alphaine", licence="MIT")
    assert (salts / "manifest.csv").read_bytes() == before
    # a manifest row is named by its line
    (tmp_path / "m.csv").write_text("file,name\nalphaine.jdx,alphaine\n")
    with pytest.raises(
        LibraryError,
        match=r"alphaine.jdx \(m.csv line 2\): name 'alphaine' .*name it so \(name column "
        r"'Alphaine hydrochloride'\)",
    ):
        curation.import_spectra([], salts, manifest=tmp_path / "m.csv")
    # a name that states the salt joins it; one that names the base is a substance of its own
    salt = curation.import_spectra([path], salts, name="alphaine HCl", licence="MIT", force=True)
    assert (salt.imported[0]["name"], salt.imported[0]["salt_form"]) == (
        "Alphaine hydrochloride",
        "hydrochloride",
    )
    other = _measured(tmp_path / "base.jdx", 1)  # one instrument file is one reference
    base = curation.import_spectra([other], salts, name="Alphaine base", licence="MIT")
    assert (base.imported[0]["name"], base.imported[0]["salt_form"]) == ("Alphaine base", "")
    assert base.imported[0]["legal_control"] == ""


def test_a_synonym_of_several_substances_is_refused(salts, tmp_path):
    path = _measured(tmp_path / "x.jdx")
    with pytest.raises(
        LibraryError,
        match=r"x.jdx: name 'beta' is a synonym of Betaine test and Gammaol: which one is the "
        r"sample\? give its exact name",
    ):
        curation.import_spectra([path], salts, name="beta", licence="MIT")


# -- look-alike letters (defect 8) ------------------------------------------------------------


def test_a_name_that_prints_like_another_substance_s_is_refused(library, tmp_path):
    # "Сocaine hydrochloride" (Cyrillic С) became a second substance, id and file Cyrillic too
    path = _measured(tmp_path / "x.jdx")
    before = (library / "manifest.csv").read_bytes()
    for confirmed in (False, True):
        with pytest.raises(
            LibraryError,
            match=r"x.jdx: name '\u0421affeine' prints exactly like 'Caffeine', spelt in other "
            r"letters \(the name given '\u0421affeine' contains Cyrillic \u0421 \(U\+0421\), "
            r"which prints like Latin C: on paper it reads 'Caffeine', and typed so it is "
            r"another name; .*\): no reader could tell the two apart",
        ):
            curation.import_spectra(
                [path], library, name="\u0421affeine", licence="MIT", mixed_scripts=confirmed
            )
    assert (library / "manifest.csv").read_bytes() == before
    # a synonym in a manifest row, too
    (tmp_path / "m.csv").write_text("file,name,synonyms\nx.jdx,Omegaine,omega;\u0421affeine\n")
    with pytest.raises(LibraryError, match=r"x.jdx \(m.csv line 2\): name '\u0421affeine'"):
        curation.import_spectra([], library, manifest=tmp_path / "m.csv")


def test_a_name_that_mixes_scripts_needs_confirming_and_its_id_is_ascii(library, tmp_path):
    path = _measured(tmp_path / "x.jdx")
    mixed = "\u0421ocaine X"  # prints like no library name, but mixes scripts in a word
    with pytest.raises(
        LibraryError,
        match=r"x.jdx: name '\u0421ocaine X' contains Cyrillic \u0421 \(U\+0421\), .* almost "
        r"always a keyboard set to another layout; type it again in one script, or, if the "
        r"substance is written so, confirm it \(mixed_scripts=True\)",
    ):
        curation.import_spectra([path], library, name=mixed, licence="MIT")
    done = curation.import_spectra([path], library, name=mixed, licence="MIT", mixed_scripts=True)
    assert done.imported[0]["name"] == mixed
    assert done.imported[0]["id"] == "cocaine-x-raman"  # ASCII: an id is typed back from paper
    assert (library / "raman" / "cocaine-x-raman.jdx").is_file()
    # a Greek letter standing alone in a chemical name is no mix
    other = _measured(tmp_path / "y.jdx", 1)  # one instrument file is one reference
    greek = curation.import_spectra([other], library, name="α-Omegaine", licence="MIT")
    assert greek.imported[0]["id"] == "a-omegaine-raman"


def test_the_metadata_gate_fails_a_look_alike_name_edited_in_by_hand(library):
    _edit_row(library, "gammaol-raman", synonyms="\u0421affeine")  # Caffeine's, in Cyrillic С
    _edit_row(library, "deltamide-raman", name="Delt\u0430mide")  # a Cyrillic а: a mix only
    gate = curation.validate_library(library, self_identification=False).gate("metadata")
    failed = [f for f in gate.findings if "prints exactly like" in f.message]
    assert [f.entry for f in failed] == ["gammaol-raman"]
    assert failed[0].message.startswith(
        "name '\u0421affeine' prints exactly like 'Caffeine' (caffeine-ir), spelt in other "
        "letters (the name '\u0421affeine' contains Cyrillic \u0421 (U+0421)"
    )
    assert "names that mix scripts: deltamide-raman: name 'Deltаmide' contains Cyrillic а" in (
        gate.note
    )


# -- a file the library wrote, imported again (defect 10) -------------------------------------


def test_renaming_by_re_import_keeps_the_provenance_and_leaves_no_duplicate(library, tmp_path):
    first = curation.import_spectra(
        [_measured(tmp_path / "bwtek.jdx")],
        library,
        name="PST10 sample",
        source="BWTek i-Raman 532, CHARISMA",
        licence="CC BY 4.0",
        added_by="A. Chemist",
        today="2026-11-01",
    )
    old = first.imported[0]
    _edit_row(library, old["id"], waivers="axis: the instrument's range")
    again = curation.import_spectra(
        [library / old["file"]], library, name="Polystyrene film", today="2026-11-24"
    )
    new = again.imported[0]
    assert (new["source"], new["licence"], new["added_by"], new["added_at"], new["waivers"]) == (
        "BWTek i-Raman 532, CHARISMA",
        "CC BY 4.0",
        "A. Chemist",
        "2026-11-01",
        "axis: the instrument's range",
    )
    rows = _rows(library)
    assert old["id"] not in rows and new["id"] in rows
    assert not (library / old["file"]).exists()
    assert [r["id"] for r in again.replaced] == [old["id"]]
    # what it was imported from stays the file first imported
    written = read_spectrum(library / new["file"])
    assert written.metadata["imported_file"] == str((tmp_path / "bwtek.jdx").resolve())
    # given again, a field is the one given
    stated = curation.import_spectra(
        [library / new["file"]], library, name="Polystyrene film", licence="MIT", force=True
    )
    assert (stated.imported[0]["licence"], stated.imported[0]["added_by"]) == ("MIT", "A. Chemist")


def test_the_fix_command_validate_prints_keeps_who_added_the_reference(library, tmp_path):
    # validate's CAS fix ran as root: "A. Chemist,2026-11-24" became "root,2026-11-24"
    path = measured_paracetamol(tmp_path / "para.jdx")
    curation.import_spectra(
        [path],
        library,
        name="Paracetamol",
        licence="MIT",
        added_by="A. Chemist",
        today="2026-11-02",
    )
    _edit_row(library, "paracetamol-raman", cas="58-08-2")  # the row now disagrees with the file
    row = _rows(library)["paracetamol-raman"]
    done = curation.import_spectra(
        [library / row["file"]],
        library,
        name="Paracetamol",
        entry_id="paracetamol-raman",
        source=row["source"],
        licence=row["licence"],
        cas="103-90-2",
        force=True,
    )
    kept = done.imported[0]
    assert (kept["added_by"], kept["added_at"], kept["cas"]) == (
        "A. Chemist",
        "2026-11-02",
        "103-90-2",
    )


# -- CAS numbers, one name for several files (friction 4, 6) ----------------------------------


def test_a_cas_number_that_fails_its_check_digit_is_refused_at_import(library, tmp_path):
    path = _measured(tmp_path / "x.jdx")
    before = (library / "manifest.csv").read_bytes()
    with pytest.raises(
        LibraryError,
        match=r"cas=\.\.\.: CAS number '1246816-62-0' fails its check digit: a number "
        r"1246816-62-\.\.\. ends in 5, not 0 .*nothing was written",
    ):
        curation.import_spectra([path], library, name="3-MMC", cas="1246816-62-0")
    (tmp_path / "m.csv").write_text("file,name,cas\nx.jdx,3-MMC,1246816-62-0\n")
    with pytest.raises(
        LibraryError,
        match=r"x.jdx \(m.csv line 2\): CAS number '1246816-62-0' fails its check digit: .*"
        r"\(stated\)",
    ):
        curation.import_spectra([], library, manifest=tmp_path / "m.csv")
    write_spectrum(read_spectrum(path).with_metadata(cas="50-36-3"), tmp_path / "y.jdx")
    with pytest.raises(
        LibraryError, match=r"y.jdx: CAS number '50-36-3' fails its .*\(the file's\)"
    ):
        curation.import_spectra([tmp_path / "y.jdx"], library, name="Novel")
    assert (library / "manifest.csv").read_bytes() == before
    done = curation.import_spectra([path], library, name="3-MMC", cas="1246816-62-5")
    assert done.imported[0]["cas"] == "1246816-62-5"


def test_the_instrument_s_file_imported_again_under_its_id_is_the_same_reference(library, tmp_path):
    # what validate prints to put back a reference edited by hand: the file it was imported
    # from, imported again under its id; who added it and when stay
    path = _measured(tmp_path / "instrument.jdx")
    first = curation.import_spectra(
        [path], library, name="Omegaine", licence="MIT", added_by="A. Chemist", today="2026-11-03"
    )
    entry = first.imported[0]["id"]
    again = curation.import_spectra(
        [path], library, name="Omegaine", entry_id=entry, force=True, today="2026-11-24"
    )
    assert (again.imported[0]["added_by"], again.imported[0]["added_at"]) == (
        "A. Chemist",
        "2026-11-03",
    )
    assert again.imported[0]["licence"] == "MIT"
    # another file under that id is another measurement: its import is today's, by its adder
    other = _measured(tmp_path / "other.jdx", 1)
    replaced = curation.import_spectra(
        [other], library, name="Omegaine", entry_id=entry, force=True, added_by="B. Chemist"
    )
    assert replaced.imported[0]["added_by"] == "B. Chemist"
    assert replaced.imported[0]["added_at"] != "2026-11-03"


# -- names taken from a title or a file name (friction 5) --------------------------------------


def _titled(path, title, index=0):
    """A measured-looking spectrum file whose title (the only name it gives) is ``title``."""
    spectrum = synthetic_spectrum(index, seed=40 + index)
    return write_spectrum(spectrum.with_metadata(name=title), path)


def test_a_name_from_a_title_that_no_substance_has_is_said_to_make_a_new_substance(
    library, tmp_path
):
    # "Single scan measurement 1" and "raman_hdpe" went in as new substances, said nowhere
    folder = tmp_path / "in"
    folder.mkdir()
    _titled(folder / "A.jdx", "Single scan measurement 1", 0)
    _measured(folder / "raman_hdpe.jdx", 1)  # no title: named by its file name
    _titled(folder / "known.jdx", "caffeine", 2)  # the library's Caffeine: nothing to say
    result = curation.import_spectra([folder], library, licence="MIT")
    assert sorted(r["name"] for r in result.imported) == [
        "Caffeine",
        "Single scan measurement 1",
        "raman_hdpe",
    ]
    new = sorted(n for n in result.notes if "no substance of the library" in n)
    assert new == [
        "A.jdx: named 'Single scan measurement 1' from its title: no substance of the library "
        "has that name; give name=... (or a manifest row) if it is not a new substance",
        "raman_hdpe.jdx: named 'raman_hdpe' from its file name: no substance of the library has "
        "that name; give name=... (or a manifest row) if it is not a new substance",
    ]
    # a name stated is the chemist's: nothing to say, new substance or not
    stated = curation.import_spectra(
        [_titled(tmp_path / "B.jdx", "Single scan measurement 2", 3)],
        library,
        name="Novelone",
        licence="MIT",
    )
    assert not [n for n in stated.notes if "no substance of the library" in n]


def test_a_cas_number_in_a_title_is_offered_never_set(library, tmp_path):
    # "Aspartame 22839-47-0 run1": the number was not recognised
    path = _titled(tmp_path / "asp.jdx", "Aspartame 22839-47-0 run1")
    result = curation.import_spectra([path], library, licence="MIT")
    assert result.imported[0]["cas"] == ""  # offered, not set
    (note,) = [n for n in result.notes if "no substance of the library" in n]
    assert note == (
        "asp.jdx: named 'Aspartame 22839-47-0 run1' from its title: no substance of the library "
        "has that name; the title holds CAS 22839-47-0: give cas='22839-47-0'; give name=... "
        "(or a manifest row) if it is not a new substance"
    )
    # the CAS number of a substance the library has: that substance's name is offered
    caffeine = _titled(tmp_path / "caf.jdx", "Sample 7 58-08-2 785nm", 1)
    (note,) = [
        n
        for n in curation.import_spectra([caffeine], library, licence="MIT").notes
        if "no substance of the library" in n
    ]
    assert note.endswith("the title holds CAS 58-08-2: it is Caffeine's CAS: give name='Caffeine'")
    # a number that fails its check digit is no CAS number (a date or a run has the form too)
    wrong = _titled(tmp_path / "wrong.jdx", "Aspartame 22839-47-1 run2", 2)
    (note,) = [
        n
        for n in curation.import_spectra([wrong], library, licence="MIT").notes
        if "no substance of the library" in n
    ]
    assert "CAS" not in note


def test_the_note_on_a_new_name_is_printed_and_the_import_succeeds(library, tmp_path):
    path = _titled(tmp_path / "A.jdx", "Single scan measurement 1")
    result = CliRunner().invoke(
        main, ["library", "import", str(path), "--library", str(library), "--licence", "MIT"]
    )
    assert result.exit_code == 0, result.output
    assert (
        "note: A.jdx: named 'Single scan measurement 1' from its title: no substance of the "
        "library has that name; give --name (or a manifest row) if it is not a new substance"
    ) in result.output


def test_a_manifest_row_with_a_bad_modality_is_skipped_naming_its_line(library, tmp_path):
    _measured(tmp_path / "a.jdx", 0)
    _measured(tmp_path / "b.jdx", 1)
    (tmp_path / "m.csv").write_text(
        "file,name,modality,licence\na.jdx,Omegaine,raman,MIT\nb.jdx,Kappaine,infrared,MIT\n"
    )
    result = curation.import_spectra([], library, manifest=tmp_path / "m.csv")
    assert [r["name"] for r in result.imported] == ["Omegaine"]
    assert result.skipped == [
        (str(tmp_path / "b.jdx"), "m.csv line 3: modality 'infrared' is not raman or ir")
    ]


# -- what to give: the Python caller's argument, the command line's option ----------------------


def test_a_python_caller_is_told_its_arguments_and_the_command_line_its_options(library, tmp_path):
    # import_spectra told a Python caller "use --force", "--id", "--laser-nm": options it
    # has no way to give
    path = measured_paracetamol(tmp_path / "tablet.jdx")
    curation.import_spectra([path], library, name="Paracetamol", licence="MIT")
    before = (library / "manifest.csv").read_bytes()
    with pytest.raises(LibraryError) as again:
        curation.import_spectra([path], library, name="Paracetamol", licence="MIT")
    said = str(again.value)
    assert said.endswith(
        "to import it again as itself (to state what the file gets wrong), pass force=True; "
        "nothing was written"
    )
    with pytest.raises(LibraryError) as other_id:
        curation.import_spectra([path], library, name="Paracetamol", entry_id="apap-2")
    assert str(other_id.value).endswith(
        "give its id (entry_id='paracetamol-raman', force=True); nothing was written"
    )
    with pytest.raises(LibraryError) as laser:
        curation.import_spectra([path], library, laser_nm=5000.0)
    assert str(laser.value) == (
        "not imported: laser_nm=5000.0: not a Raman laser wavelength in nm (150-2000: 532, "
        "785, 1064, ...); nothing was written"
    )
    assert (library / "manifest.csv").read_bytes() == before
    # the command line: the same lines, each argument said as its option
    common = ["library", "import", str(path), "--library", str(library)]
    cli = CliRunner().invoke(main, [*common, "--name", "Paracetamol", "--licence", "MIT"])
    assert cli.exit_code == 2
    assert cli.output == f"error: {said.replace('pass force=True', 'use --force')}\n"
    cli = CliRunner().invoke(main, [*common, "--name", "Paracetamol", "--id", "apap-2"])
    assert cli.exit_code == 2
    assert cli.output.endswith(
        "give its id (--id paracetamol-raman --force); nothing was written\n"
    )
    cli = CliRunner().invoke(main, [*common, "--laser-nm", "5000"])
    assert cli.exit_code == 2
    assert cli.output == (
        "error: not imported: --laser-nm 5000.0: not a Raman laser wavelength in nm (150-2000: "
        "532, 785, 1064, ...); nothing was written\n"
    )
    assert (library / "manifest.csv").read_bytes() == before


def test_a_manifest_is_asked_for_as_a_chemist_reads_it_in_either_world(library, tmp_path):
    """A Python caller was told to give "a manifest=CSV", the command line "a --manifest
    CSV": each is told a manifest and how to give it, its argument or its option."""
    with pytest.raises(LibraryError) as refused:
        curation.import_spectra([], library)
    assert str(refused.value) == (
        "nothing to import: give spectrum files, folders or a manifest "
        "(manifest='path/to/manifest.csv')"
    )
    files = [_measured(tmp_path / "a.jdx", 0), _measured(tmp_path / "b.jdx", 1)]
    before = (library / "manifest.csv").read_bytes()
    with pytest.raises(LibraryError) as refused:
        curation.import_spectra(files, library, name="Novel thing", licence="MIT")
    assert str(refused.value) == (
        "not imported: name='Novel thing' would name every one of the 2 files given (a.jdx, "
        "b.jdx) as one substance: name each file in a manifest "
        "(manifest='path/to/manifest.csv'), or, if they are replicate spectra of one "
        "substance, say so (replicates=True); nothing was written"
    )
    args = ["library", "import", *map(str, files), "--library", str(library)]
    said = CliRunner().invoke(main, [*args, "--name", "Novel thing", "--licence", "MIT"])
    assert (said.exit_code, said.output) == (
        2,
        "error: not imported: --name 'Novel thing' would name every one of the 2 files given "
        "(a.jdx, b.jdx) as one substance: name each file in a manifest (--manifest "
        "path/to/manifest.csv), or, if they are replicate spectra of one substance, say so "
        "(--replicates); nothing was written\n",
    )
    assert (library / "manifest.csv").read_bytes() == before
