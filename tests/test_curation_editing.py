"""forensic library remove and rename: a chemist corrects a library folder without editing
manifest.csv and deleting files by hand (audit 0.7.0, friction 2 and defect 10)."""

from __future__ import annotations

import shlex

import pytest
from click.testing import CliRunner
from library_helpers import make_library, measured_paracetamol

from forensic import curation
from forensic.cli import main
from forensic.curation.editing import removal_reasons, remove_references, rename_references
from forensic.errors import LibraryError
from forensic.io import read_spectrum


@pytest.fixture
def library(tmp_path):
    return make_library(tmp_path / "lib")


def _rows(library):
    return {row["id"]: row for row in curation.read_manifest(library / "manifest.csv")}


def _gates(library):
    report = curation.validate_library(library, self_identification=False)
    return {gate.name: gate.status for gate in report.gates}


def _snapshot(library):
    return {p.relative_to(library): p.read_bytes() for p in library.rglob("*") if p.is_file()}


def test_remove_deletes_the_row_and_file_records_why_and_leaves_the_folder_valid(library):
    before = _gates(library)
    done = remove_references(
        library,
        ["zetazine-raman"],
        reason="a duplicate of the measured one",
        removed_by="A. Chemist",
        today="2026-11-24",
    )
    assert [r["id"] for r in done.removed] == ["zetazine-raman"]
    assert done.deleted == [library / "raman" / "zetazine-raman.jdx"]
    assert not (library / "raman" / "zetazine-raman.jdx").exists()
    assert "zetazine-raman" not in _rows(library)
    rows = curation.read_manifest(library / "manifest.csv")
    assert rows.closing_comments == (
        '"# removed zetazine-raman (Zetazine, raman, simulated, raman/zetazine-raman.jdx) on '
        '2026-11-24 by A. Chemist: a duplicate of the measured one"',
    )
    assert removal_reasons(rows) == {
        "zetazine-raman": "a duplicate of the measured one (removed 2026-11-24 by A. Chemist)"
    }
    assert _gates(library) == before  # validate passes where it passed before


def test_remove_refuses_an_unknown_id_with_the_nearest_and_writes_nothing(library):
    before = _snapshot(library)
    with pytest.raises(
        LibraryError,
        match=r"not removed: .*no reference with the id 'zetazine-ramen' \(did you mean "
        r"zetazine-raman\?\); 'Alphaine' \(it is the name of alphaine-raman: give the id\).*"
        r"nothing was changed",
    ):
        remove_references(library, ["zetazine-ramen", "Alphaine"], reason="wrong")
    with pytest.raises(LibraryError, match="the reason is blank"):
        remove_references(library, ["zetazine-raman"], reason="  ")
    with pytest.raises(LibraryError, match="would hold no reference"):
        remove_references(library, list(_rows(library)), reason="start again")
    assert _snapshot(library) == before


def test_a_compiled_library_is_refused_as_no_folder_to_edit(library, tmp_path):
    flib = tmp_path / "lib.flib"
    flib.write_bytes(b"not really")
    with pytest.raises(LibraryError, match=r"lib.flib: a compiled library, not a library folder"):
        remove_references(flib, ["x"], reason="r")
    runner = CliRunner()
    refused = runner.invoke(
        main, ["library", "remove", "x", "--library", str(flib), "--reason", "r"]
    )
    assert refused.exit_code == 2 and "a compiled library, not a library folder" in refused.output


def test_rename_keeps_provenance_and_the_id_and_leaves_the_folder_valid(library, tmp_path):
    curation.import_spectra(
        [measured_paracetamol(tmp_path / "Single scan measurement 1.jdx")],
        library,
        name="Single scan measurement 1",
        source="bench Raman, lot 7",
        licence="CC BY 4.0",
        added_by="A. Chemist",
        today="2026-11-20",
    )
    (row,) = [r for r in _rows(library).values() if r["name"] == "Single scan measurement 1"]
    old_file = read_spectrum(library / row["file"])
    before = _gates(library)
    assert before["metadata"] == "fail"  # no CAS number and class: as the audit found it

    done = rename_references(
        library,
        [row["id"]],
        "Acetanilide",
        cas="103-84-4",
        substance_class="cutting agent",
        reason="a file title taken for a name",
        renamed_by="B. Chemist",
        today="2026-11-24",
    )
    ((old, new),) = done.renamed
    assert new["id"] == old["id"] == row["id"]  # results cite it: the id stays
    kept = ("source", "licence", "added_by", "added_at", "provenance", "file", "waivers")
    assert {k: new[k] for k in kept} == {k: row[k] for k in kept}
    assert (new["name"], new["cas"], new["class"], new["synonyms"]) == (
        "Acetanilide",
        "103-84-4",
        "cutting agent",
        "",  # the old name is not made a synonym: it was wrong
    )
    now = _rows(library)[row["id"]]
    assert now.comments[-1] == (
        "# renamed 2026-11-24 by B. Chemist from 'Single scan measurement 1': a file title "
        "taken for a name"
    )
    spectrum = read_spectrum(library / row["file"])
    assert spectrum.metadata["name"] == "Acetanilide"
    for key in ("imported_file", "imported_sha256", "data_sha256"):
        assert spectrum.metadata[key] == old_file.metadata[key]
    assert (spectrum.wavenumber == old_file.wavenumber).all()
    after = _gates(library)
    assert after["metadata"] == "pass"
    assert {k: v for k, v in after.items() if k != "metadata"} == {
        k: v for k, v in before.items() if k != "metadata"
    }


def test_rename_can_keep_the_old_name_as_a_synonym_and_move_to_a_new_id(library):
    done = rename_references(
        library,
        ["alphaine-raman"],
        "Alphaine base",
        new_id="alphaine-base-raman",
        keep_old_name=True,
        renamed_by="A. Chemist",
    )
    ((_, new),) = done.renamed
    assert (new["id"], new["file"], new["synonyms"]) == (
        "alphaine-base-raman",
        "raman/alphaine-base-raman.jdx",
        "Alphaine",
    )
    assert not (library / "raman" / "alphaine-raman.jdx").exists()
    moved = read_spectrum(library / "raman" / "alphaine-base-raman.jdx")
    assert (moved.metadata["entry_id"], moved.metadata["name"]) == (
        "alphaine-base-raman",
        "Alphaine base",
    )
    assert _gates(library)["metadata"] == "pass"


def test_rename_refuses_what_validate_would_fail_and_writes_nothing(library):
    before = _snapshot(library)
    with pytest.raises(LibraryError, match=r"CAS 58-08-2 is the library's 'Caffeine'"):
        rename_references(library, ["caffeine-raman"], "Caffeine anhydrous")
    with pytest.raises(LibraryError, match=r"no reference with the id 'alphain-raman' \(did you"):
        rename_references(library, ["alphain-raman"], "Alphaine base")
    # a Python caller is told its arguments (cas=, new_id=), the command line its options
    with pytest.raises(
        LibraryError,
        match=r"^not renamed: cas=\.\.\.: CAS number '58-08-3' fails its check digit: .* ends "
        r"in 2, not 3",
    ):
        rename_references(library, ["alphaine-raman"], "Alphaine base", cas="58-08-3")
    with pytest.raises(LibraryError, match="is the id of Betaine test"):
        rename_references(library, ["alphaine-raman"], "X", new_id="betaine-test-raman")
    with pytest.raises(LibraryError) as refused:
        rename_references(
            library, ["alphaine-raman", "zetazine-raman"], "X", new_id="alphaine-x-raman"
        )
    assert str(refused.value) == (
        "not renamed: new_id='alphaine-x-raman' names one reference but 2 are given; nothing "
        "was changed"
    )
    with pytest.raises(LibraryError) as refused:
        rename_references(library, ["alphaine-raman"], "X", new_id="Alphaine X")
    assert str(refused.value).startswith("not renamed: new_id='Alphaine X' ")
    said = CliRunner().invoke(
        main,
        [
            *("library", "rename", "alphaine-raman", "zetazine-raman", "--library", str(library)),
            *("--name", "X", "--id", "alphaine-x-raman"),
        ],
    )
    assert (said.exit_code, said.output) == (
        2,
        "error: not renamed: --id alphaine-x-raman names one reference but 2 are given; "
        "nothing was changed\n",
    )
    said = CliRunner().invoke(
        main,
        [
            *("library", "rename", "alphaine-raman", "--library", str(library), "--name", "X"),
            *("--cas", "58-08-3"),
        ],
    )
    assert said.exit_code == 2
    assert said.output.startswith("error: not renamed: --cas: CAS number '58-08-3' fails")
    assert _snapshot(library) == before


def test_removal_unpublishes_the_folder_and_the_changelog_quotes_the_reason(library):
    curation.publish_library(library, approved_by="Dr. A. Chemist", today="2026-11-22")
    runner = CliRunner()
    done = runner.invoke(
        main,
        [
            "library", "remove", "zetazine-raman", "--library", str(library),
            "--reason", "a duplicate", "--by", "A. Chemist",
        ],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "removed zetazine-raman: Zetazine (raman, raman/zetazine-raman.jdx)" in done.output
    assert "now not its published version" in done.output
    info = curation.library_info(curation.open_library(library))
    assert curation.release_state(info["release"]) != "current"
    second = curation.publish_library(library, approved_by="B. Reviewer", today="2026-11-24")
    assert (
        "  - removed zetazine-raman: Zetazine (raman, simulated): a duplicate (removed "
        in second.changelog_entry
    )


def test_the_rename_command_says_what_it_did(library):
    done = CliRunner().invoke(
        main,
        [
            "library", "rename", "alphaine-raman", "--library", str(library),
            "--name", "Alphaine base", "--reason", "misnamed",
        ],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "renamed alphaine-raman: 'Alphaine' -> 'Alphaine base' (raman, CAS 64-17-5)" in (
        done.output
    )
    unknown = CliRunner().invoke(
        main, ["library", "rename", "nope", "--library", str(library), "--name", "X"]
    )
    assert unknown.exit_code == 2 and "no reference with the id 'nope'" in unknown.output


def test_rename_refuses_the_placeholder_of_a_printed_command_as_its_reason(library):
    """``--reason ...`` pasted unfilled was recorded in the manifest as the reason (remove's
    --reason refused it already)."""
    manifest = (library / "manifest.csv").read_bytes()
    refused = CliRunner().invoke(
        main,
        [
            "library", "rename", "alphaine-raman", "--library", str(library),
            "--name", "Alphaine base", "--reason", "...",
        ],
    )  # fmt: skip
    assert refused.exit_code == 2
    assert (
        "Invalid value for '--reason': '...' is the place the printed command left for you to "
        "fill in: give --reason its value; nothing was recorded"
    ) in refused.output
    assert (library / "manifest.csv").read_bytes() == manifest


def test_a_rename_that_kept_the_old_name_s_identity_gives_the_rename_that_states_it(library):
    """The note said "(forensic library rename ... --cas, --class)": pasted, ``...`` was
    taken for an id and ``--cas,`` for an option no command has."""
    renamed = CliRunner().invoke(
        main,
        [
            "library",
            "rename",
            "alphaine-raman",
            "--library",
            str(library),
            "--name",
            "Alphaine base",
        ],
    )
    assert renamed.exit_code == 0, renamed.output
    again = (
        f"forensic library rename alphaine-raman --library {library} --name 'Alphaine base' "
        "--cas ... --class ..."
    )
    assert renamed.stderr == (
        "note: kept cas '64-17-5', class 'test substance' of 'Alphaine': if they were the old "
        f"name's, state the new name's with `{again}`, the new name's in place of each ...\n"
    )
    manifest = (library / "manifest.csv").read_bytes()
    pasted = CliRunner().invoke(main, shlex.split(again)[1:])  # as printed: refused
    assert pasted.exit_code == 2
    assert "Invalid value for '--cas': '...' is the place the printed command left" in (
        pasted.output
    )
    assert (library / "manifest.csv").read_bytes() == manifest
    filled = again.replace("--cas ...", "--cas 103-84-4").replace("--class ...", "--class x")
    stated = CliRunner().invoke(main, shlex.split(filled)[1:])
    assert stated.exit_code == 0, stated.output
    row = _rows(library)["alphaine-raman"]
    assert (row["name"], row["cas"], row["class"]) == ("Alphaine base", "103-84-4", "x")


def test_a_rename_that_kept_a_salt_form_says_where_it_is_stated(library):
    # no command states a salt form or legal control of a reference already imported
    done = rename_references(
        library,
        ["caffeine-raman", "caffeine-ir"],
        "Caffeine anhydrous",
        cas="58-08-2",
        substance_class="stimulant",
    )
    assert done.notes == [
        "kept salt_form 'neutral compound (anhydrous)', legal_control 'not controlled' of "
        "'Caffeine': if they were the old name's, state the new name's salt_form and "
        f"legal_control in their rows of {library / 'manifest.csv'}"
    ]
