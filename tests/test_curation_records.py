"""Who added a reference and when (added_by, added_at) are not part of a library's version:
a diff marks them so, and ``library info`` names such edits in a published folder."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner
from library_helpers import make_library

from forensic import curation
from forensic.cli import main

ENTRY = "alphaine-raman"


@pytest.fixture
def published(tmp_path):
    folder = make_library(tmp_path / "lib")
    curation.publish_library(folder, approved_by="Dr. A. Chemist", today="2026-11-24")
    return folder


def _edit_who_and_when(folder):
    rows = curation.read_manifest(folder / "manifest.csv")
    for row in rows:
        if row["id"] == ENTRY:
            row.update(added_by="B. Someone", added_at="2026-11-01")
    curation.write_manifest(folder / "manifest.csv", rows)


def test_a_diff_marks_who_and_when_as_not_part_of_the_version(published, tmp_path):
    edited = tmp_path / "edited"
    shutil.copytree(published, edited)
    _edit_who_and_when(edited)
    diff = curation.diff_libraries(published, edited)
    assert diff.old_version == diff.new_version  # the version does not cover them
    (changed,) = diff.changed
    assert changed["changes"] == [
        "added_by: 'test suite' -> 'B. Someone' (not part of the version)",
        "added_at: '2026-11-22' -> '2026-11-01' (not part of the version)",
    ]
    assert "(not part of the version)" in diff.format()


def test_info_names_who_and_when_edited_since_publication(published):
    source = curation.open_library(published)
    assert curation.library_info(source)["release"]["record_edits"] == []
    _edit_who_and_when(published)
    release = curation.library_info(curation.open_library(published))["release"]
    assert release["current"] and curation.release_state(release) == "current"
    assert release["record_edits"] == [
        f"{ENTRY}: added_by: 'test suite' -> 'B. Someone'",
        f"{ENTRY}: added_at: '2026-11-22' -> '2026-11-01'",
    ]
    text = CliRunner().invoke(main, ["library", "info", str(published)]).output
    assert "published   yes: this version" in text
    (line,) = [x for x in text.splitlines() if x.startswith("EDITED")]
    assert "since publication, 2 record(s) of who added a reference or when" in line
    assert "(not part of the version" in line
    assert f"{ENTRY}: added_by: 'test suite' -> 'B. Someone'" in line
    # publishing again is refused (the version is the published one), saying what to put back
    with pytest.raises(curation.PublishRefused, match="is not published again; put it back"):
        curation.publish_library(published, approved_by="Dr. A. Chemist")
