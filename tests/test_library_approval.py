"""A published library means an approver signed exactly it: the signed release record
(``library publish``), the approval a ``.flib`` carries, what ``info``, ``build``,
``validate`` and results say of a library whose approval does not hold, and rollback."""

from __future__ import annotations

import json
import shlex
import shutil

import pytest
from click.testing import CliRunner
from library_helpers import make_library, synthetic_spectrum

import forensic
from forensic import curation
from forensic.cli import main
from forensic.curation.approval import TRUSTED_APPROVERS_FILE, check_approval
from forensic.custody.keys import config_dir, load_or_create_key
from forensic.files import OutputExistsError
from forensic.identification import identify
from forensic.library import NOT_PUBLISHED, Library
from forensic.library_folders import files_digest, open_reference_library, shipped_library
from forensic.report.layout import library_line
from spectral_library import LIBRARY_DIR, LIBRARY_FILES_SHA256, LIBRARY_PUBLISHED

APPROVER = "Dr. A. Chemist"


def run(*args):
    return CliRunner().invoke(main, ["library", *map(str, args)])


@pytest.fixture
def folder(tmp_path):
    return make_library(tmp_path / "lab", shipped=False)


def _edit_a_row(folder):
    """Another version of the folder: one reference's source changed."""
    rows = curation.read_manifest(folder / "manifest.csv")
    rows[0]["source"] = "synthetic test spectrum, re-checked"
    curation.write_manifest(folder / "manifest.csv", rows)


def _release(folder):
    return json.loads((folder / "release.json").read_text())


def _write_release(folder, record):
    (folder / "release.json").write_text(json.dumps(record, indent=1))


def _said(library):
    """What a result against ``library`` records of it: its approval, and its warnings that
    concern the library."""
    result = identify(synthetic_spectrum(1, seed=7), library, mixtures=False)
    return result.library_approval, [w for w in result.warnings if "reference library" in w]


def test_publish_refuses_an_out_file_that_exists_before_the_gates(folder, tmp_path):
    # it was refused only once every validation gate had run, which takes a while
    out = tmp_path / "lab.flib"
    out.write_bytes(b"an earlier build")
    said = []
    with pytest.raises(OutputExistsError) as refused:
        curation.publish_library(folder, approved_by=APPROVER, out=out, progress=said.append)
    # publish_library's own argument, not check_writable's overwrite=True
    assert str(refused.value) == (
        f"{out}: already exists; not overwritten (pass force=True to replace it)"
    )
    assert said == []  # no gate ran
    assert out.read_bytes() == b"an earlier build"
    assert not (folder / "release.json").exists()
    done = curation.publish_library(folder, approved_by=APPROVER, out=out, force=True)
    assert Library.load(out).version == done.version


# -- 1. signed approval --


def test_publish_signs_the_release_record_with_the_approvers_key(folder):
    done = curation.publish_library(
        folder, approved_by=APPROVER, name="Lab 2026", today="2026-11-24"
    )
    record = _release(folder)
    key = load_or_create_key(APPROVER)  # the key custody records are signed with, here
    assert record["signature"]["public_key"] == key.public_key_hex
    assert record["signature"]["key_fingerprint"] == key.fingerprint == done.key_fingerprint
    assert (record["approved_by"], record["name"], record["published_at"]) == (
        APPROVER,
        "Lab 2026",
        "2026-11-24",
    )
    said = check_approval(record)
    assert said.state == "signed" and said.version == done.version
    assert f"signed with key: {key.fingerprint}" in done.changelog_entry
    assert "Name in results and reports: Lab 2026" in done.changelog_entry
    library = open_reference_library(folder)
    assert library.standing is None and library.name == "Lab 2026"
    phrase = f"published 2026-11-24, approved by {APPROVER} (key {key.fingerprint[:16]})"
    assert library.approval == phrase
    approval, warnings = _said(library)
    assert approval == phrase and warnings == []
    info = run("info", folder).output
    assert f"published   yes: this version, 2026-11-24, approved by {APPROVER}, key " in info
    assert key.fingerprint in info  # whole, to check with the approver
    assert "name        Lab 2026" in info


def test_the_name_defaults_to_the_folders(folder):
    curation.publish_library(folder, approved_by=APPROVER)
    assert _release(folder)["name"] == "lab"
    assert open_reference_library(folder).name == "lab"


@pytest.mark.parametrize("name", ["-", "  --  ", "?", "..."])
def test_an_approver_made_only_of_punctuation_is_refused(folder, name):
    with pytest.raises(curation.PublishRefused) as refused_here:
        curation.publish_library(folder, approved_by=name)
    # a Python caller is told its argument (it was told --approved-by)
    assert str(refused_here.value) == (
        f"approved_by={name.strip()!r} holds no letter or digit: give the name of the person "
        "who approved this version"
    )
    assert not (folder / "release.json").exists()
    refused = run("publish", folder, "--approved-by", name)
    # the printed next command leaves --approved-by ...: said as every unfilled place is
    if name == "...":
        assert refused.exit_code == 2
        assert "is the place the printed command left" in refused.output
    else:  # the command line, its option, the name as a shell reads it
        assert (refused.exit_code, refused.output) == (
            2,
            f"error: --approved-by {shlex.quote(name.strip())} holds no letter or digit: give "
            "the name of the person who approved this version\n",
        )


def test_a_python_caller_is_told_approved_by_and_the_command_line_its_option(folder):
    with pytest.raises(curation.PublishRefused) as refused:
        curation.publish_library(folder, approved_by=" ")
    assert str(refused.value) == ("publishing needs approved_by=NAME: who approved this version")
    with pytest.raises(curation.PublishRefused) as refused:
        curation.publish_library(folder, approved_by=APPROVER, notes=" ")
    assert str(refused.value) == (
        "notes=... is blank: give the text of the changelog entry, or leave notes=... out; "
        "nothing was written"
    )
    assert not (folder / "release.json").exists()
    said = run("publish", folder, "--approved-by", " ")
    assert (said.exit_code, said.output) == (
        2,
        "error: publishing needs --approved-by NAME: who approved this version\n",
    )


def test_an_edited_approver_is_not_shown_as_published(folder):
    """The audit's forgery: release.json edited to name another approver (the version left as
    the folder's): neither info nor a result calls the folder published."""
    curation.publish_library(folder, approved_by=APPROVER)
    record = _release(folder)
    _write_release(folder, {**record, "approved_by": "Dr. Head of Lab"})
    info = run("info", folder).output
    assert "published   NO: the approval its record names" in info
    assert "signed with the key of 'Dr. A. Chemist', not of the approver it names" in info
    library = open_reference_library(folder)
    approval, (warning,) = _said(library)
    assert approval == NOT_PUBLISHED and library.approval is None
    assert "does not hold" in warning and warning.endswith(f"it is {NOT_PUBLISHED}")
    # the signer's name edited too: the signature is not of what the record says
    forged = {**record, "approved_by": "Dr. Head of Lab"}
    forged["signature"] = {**record["signature"], "signed_by": "Dr. Head of Lab"}
    _write_release(folder, forged)
    assert (
        curation.release_state(curation.library_info(curation.open_library(folder))["release"])
        == "not_approved"
    )
    assert "not of what the record now says" in run("info", folder).output


def test_a_signature_copied_from_another_version_is_not_shown_as_published(folder):
    curation.publish_library(folder, approved_by=APPROVER, today="2026-11-24")
    first = _release(folder)
    _edit_a_row(folder)  # a version no one approved, given the first version's signature
    version = curation.library_info(curation.open_library(folder))["version"]
    assert version != first["version"]
    entries = curation.snapshot(curation.open_library(folder))["entries"]
    _write_release(folder, {**first, "version": version, "entries": entries, "history": []})
    release = curation.library_info(curation.open_library(folder))["release"]
    assert release["current"] and curation.release_state(release) == "not_approved"
    assert "taken from another record" in release["approval"]["problem"]
    approval, (warning,) = _said(open_reference_library(folder))
    assert approval == NOT_PUBLISHED and "does not hold" in warning


def test_an_unsigned_release_record_from_an_earlier_toolkit_says_approval_not_signed(folder):
    curation.publish_library(folder, approved_by=APPROVER)
    record = _release(folder)
    del record["signature"]  # as forensic 0.8.0 wrote it
    _write_release(folder, record)
    info = run("info", folder).output
    assert "published   NO: approval not signed" in info and "publish it again" in info
    approval, (warning,) = _said(open_reference_library(folder))
    assert approval == NOT_PUBLISHED and "approval not signed" in warning
    # publishing again signs it (not refused as "already the published one")
    again = curation.publish_library(folder, approved_by=APPROVER)
    assert again.version == record["version"]
    assert check_approval(_release(folder)).state == "signed"


def test_the_list_of_trusted_approvers_flags_any_other_key(folder):
    curation.publish_library(folder, approved_by=APPROVER)
    key = load_or_create_key(APPROVER)
    trusted = config_dir() / TRUSTED_APPROVERS_FILE
    trusted.write_text(f"# approvers of this lab\n{'0' * 64} Dr. Other\n")
    library = open_reference_library(folder)
    assert library.approval is None and "is not among the trusted approvers" in library.standing
    assert "NO: the approval its record names" in run("info", folder).output
    trusted.write_text(f"{key.fingerprint} Dr. Someone Else\n")
    assert "lists key" in open_reference_library(folder).standing
    trusted.write_text(f"{key.fingerprint.upper()}  Dr.  A. Chemist\n")
    assert open_reference_library(folder).standing is None
    trusted.write_text(f"{key.fingerprint}\n")  # a name is not needed
    assert open_reference_library(folder).standing is None
    trusted.write_text("0123 Dr. A\n")
    with pytest.raises(forensic.errors.LibraryError, match=r"line 1: '0123' is not a key"):
        open_reference_library(folder)


def test_the_shipped_library_is_published_by_the_toolkits_release():
    assert files_digest(LIBRARY_DIR) == LIBRARY_FILES_SHA256, (
        "the shipped references changed: publish them (set spectral_library.LIBRARY_FILES_SHA256, "
        "LIBRARY_PUBLISHED and a CHANGELOG.md entry)"
    )
    library = shipped_library()
    assert library.approval == f"published {LIBRARY_PUBLISHED} with forensic {forensic.__version__}"
    assert library.standing is None
    approval, warnings = _said(library)
    assert approval == library.approval and warnings == []


def test_an_edited_copy_of_the_shipped_folder_is_not_the_released_one(tmp_path):
    from forensic.library_folders import shipped_approval  # noqa: PLC0415

    copy = tmp_path / "shipped"
    shutil.copytree(LIBRARY_DIR, copy)
    assert shipped_approval(copy)[0] is not None  # the same files
    manifest = copy / "manifest.csv"
    manifest.write_text(manifest.read_text() + "\n")
    approval, unapproved = shipped_approval(copy)
    assert approval is None and f"it is {NOT_PUBLISHED}" in unapproved


# -- 2. a .flib carries its approval --


def test_publish_out_writes_the_signed_record_into_the_file(folder, tmp_path):
    out = tmp_path / "v1.flib"
    curation.publish_library(
        folder, approved_by=APPROVER, name="Lab 2026", today="2026-11-24", out=out
    )
    library = Library.load(out)
    assert check_approval(library.release).state == "signed"
    assert library.release["version"] == library.version and "entries" not in library.release
    opened = open_reference_library(out)
    assert opened.approval.startswith(f"published 2026-11-24, approved by {APPROVER} (key ")
    assert opened.name == "Lab 2026" and opened.standing is None
    info = run("info", out)
    assert (
        "published   yes: this version, 2026-11-24, approved by Dr. A. Chemist, key" in info.output
    )
    as_json = json.loads(run("info", out, "--json").output)["release"]
    assert as_json["approval"]["state"] == "signed" and as_json["approved_by"] == APPROVER
    # the record is under the file's checksum: edited in the file, the file is refused
    raw = out.read_bytes()
    signed = b'"approved_by":"Dr. A. Chemist"'
    assert raw.count(signed) == 1
    (tmp_path / "edited.flib").write_bytes(raw.replace(signed, b'"approved_by":"Dr. B. Chemist"'))
    with pytest.raises(forensic.errors.LibraryError, match="record of its publication"):
        Library.load(tmp_path / "edited.flib")


def test_a_file_built_not_published_is_said_to_be_not_a_published_version(folder, tmp_path):
    built = run("build", folder, "--out", tmp_path / "b.flib", "--no-calibration")
    assert built.exit_code == 0, built.output
    assert "never published" in built.output and "carries no approval" in built.output
    library = open_reference_library(tmp_path / "b.flib")
    assert library.standing.endswith(
        f"is {NOT_PUBLISHED} (built, not published): no one approved its references"
    )
    approval, (warning,) = _said(library)
    assert approval == NOT_PUBLISHED and str(tmp_path / "b.flib") in warning
    result = identify(synthetic_spectrum(1, seed=7), library, mixtures=False).to_dict()
    assert f"built {library.built_at[:10]}, {NOT_PUBLISHED}," in library_line(result)
    assert (
        "published   no: not a published version (built, not published)"
        in run("info", tmp_path / "b.flib").output
    )


def test_building_a_published_folder_carries_its_approval(folder, tmp_path):
    curation.publish_library(folder, approved_by=APPROVER, name="Lab 2026", today="2026-11-24")
    built = run("build", folder, "--out", tmp_path / "b.flib", "--no-calibration")
    assert built.exit_code == 0, built.output
    assert "carries the approval of this version" in built.output
    assert "warning" not in built.output
    library = open_reference_library(tmp_path / "b.flib")
    assert library.standing is None and library.name == "Lab 2026"
    assert library.built_at == "2026-11-24"
    # another name is not the library approved: not carried, and said
    renamed = run("build", folder, "--out", tmp_path / "r.flib", "--no-calibration", "--name", "X")
    assert renamed.exit_code == 0 and "not the library approved" in renamed.output
    assert "built, not published" in open_reference_library(tmp_path / "r.flib").standing
    # a file whose name was changed after the approval was carried into it
    named = Library.load(tmp_path / "b.flib")
    named.name = "Another library"
    named.save(tmp_path / "n.flib")
    assert "approval it carries is of the library named 'Lab 2026'" in (
        open_reference_library(tmp_path / "n.flib").standing
    )


def test_building_an_edited_published_folder_warns(folder, tmp_path):
    curation.publish_library(folder, approved_by=APPROVER)
    _edit_a_row(folder)
    built = run("build", folder, "--out", tmp_path / "b.flib", "--no-calibration")
    assert built.exit_code == 0
    assert "has changed since its published version" in built.output
    assert "carries no approval" in built.output
    assert Library.load(tmp_path / "b.flib").release is None


def test_a_build_with_a_listed_file_that_cannot_be_read_fails_and_writes_nothing(folder, tmp_path):
    rows = curation.read_manifest(folder / "manifest.csv")
    target = folder / rows[0]["file"]
    target.write_bytes(target.read_bytes()[:200])  # cut short
    out = tmp_path / "b.flib"
    built = run("build", folder, "--out", out, "--no-calibration")
    assert built.exit_code == 2
    assert "not built, nothing written: 1 reference(s) a manifest lists cannot be read" in (
        built.output
    )
    assert target.name in built.output and not out.exists()


def test_validate_of_a_library_file_does_not_pass_what_it_could_not_check(folder, tmp_path):
    curation.publish_library(folder, approved_by=APPROVER, out=tmp_path / "v1.flib")
    checked = run("validate", tmp_path / "v1.flib", "--no-self-id")
    assert checked.exit_code == 1
    last = checked.output.strip().splitlines()[-1]
    assert last.startswith("NOT PASSED: a compiled library file; 3 gates passed; 7 cannot be")
    assert "validate the library folder it was built from" in last
    assert "PASSED:" not in checked.output.replace("NOT PASSED:", "")
    report = curation.validate_library(tmp_path / "v1.flib", self_identification=False)
    assert report.ok and not report.passed and len(report.unchecked) == 7
    assert report.to_dict()["passed"] is False
    # a folder with a gate not asked for still passes, as before
    assert run("validate", folder, "--no-self-id").exit_code == 0


# -- 3. rollback --


def test_a_folder_rolled_back_says_which_published_version_it_is(folder, tmp_path):
    first = curation.publish_library(folder, approved_by=APPROVER, today="2026-11-24")
    v1 = tmp_path / "v1-manifest.csv"
    shutil.copyfile(folder / "manifest.csv", v1)
    _edit_a_row(folder)
    second = curation.publish_library(folder, approved_by="B. Reviewer", today="2026-11-25")
    record = _release(folder)
    assert [h["version"] for h in record["history"]] == [first.version]
    assert check_approval(record["history"][0]).state == "signed"
    shutil.copyfile(v1, folder / "manifest.csv")  # rolled back to version 1
    release = curation.library_info(curation.open_library(folder))["release"]
    assert curation.release_state(release) == "earlier"
    info = run("info", folder).output
    assert (
        f"published   yes: an earlier published version, 2026-11-24, approved by {APPROVER}, key"
        in info
    )
    assert f"the latest published is version {second.version[:12]} (2026-11-25" in info
    library = open_reference_library(folder)
    assert library.standing is None and library.built_at == "2026-11-24"
    assert library.approval.startswith(f"published 2026-11-24, approved by {APPROVER}")
    # building it carries that version's approval
    built = run("build", folder, "--out", tmp_path / "rb.flib", "--no-calibration")
    assert "carries the approval of this version: published 2026-11-24" in built.output
    # a forged entry of the history is no earlier published version
    record["history"][0]["approved_by"] = "Dr. Head of Lab"
    _write_release(folder, record)
    release = curation.library_info(curation.open_library(folder))["release"]
    assert curation.release_state(release) == "changed"


# -- reports --


def test_the_reports_library_line_says_who_approved_it():
    base = {
        "library_name": "Lab 2026",
        "library_built_at": "2026-11-24",
        "library_substances": {"raman": 3},
        "library_version": "a" * 64,
    }
    approval = f"published 2026-11-24, approved by {APPROVER} (key 0123456789abcdef)"
    assert library_line({**base, "library_approval": approval}) == (
        f"Lab 2026, {approval}, 3 Raman substances, version {'a' * 16}"
    )
    assert library_line({**base, "library_approval": NOT_PUBLISHED}) == (
        f"Lab 2026, built 2026-11-24, {NOT_PUBLISHED}, 3 Raman substances, version {'a' * 16}"
    )
    # a result recorded before it was kept: laid out as it was issued
    assert (
        library_line(base) == f"Lab 2026, built 2026-11-24, 3 Raman substances, version {'a' * 16}"
    )
