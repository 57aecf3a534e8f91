"""forensic.library_folders: a library folder opened for identification, and its date."""

from __future__ import annotations

import re

import pytest
from library_helpers import make_library, synthetic_spectrum

import forensic.library_folders as library_folders
from forensic import curation
from forensic.curation.source import RELEASE_FILE
from forensic.errors import LibraryError
from forensic.identification import identify
from forensic.library import Library
from forensic.library_folders import open_reference_library
from forensic.report.layout import library_line

COMPILED_NOW = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
"""How a library compiled on this computer is dated: the time it was compiled, UTC."""


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A small library folder, compiled into a cache of its own."""
    monkeypatch.setenv("FORENSIC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(library_folders, "_COMPILED", {})
    return make_library(tmp_path / "lab-library", shipped=False)


def _edit_a_row(folder):
    """Change a reference's metadata in the manifest: another version, to publish again."""
    manifest = folder / "manifest.csv"
    rows = curation.read_manifest(manifest)
    rows[0]["source"] = "synthetic test spectrum, re-checked"
    curation.write_manifest(manifest, rows)


def test_a_published_folder_is_dated_by_its_publication_not_its_compilation(folder):
    unpublished = open_reference_library(folder)
    assert COMPILED_NOW.fullmatch(unpublished.built_at)  # no release.json: as before
    assert "not a published version (never published)" in unpublished.standing
    published = curation.publish_library(folder, approved_by="Dr. A", today="2020-03-14")
    library = open_reference_library(folder)
    assert library.version == published.version
    assert library.built_at == "2020-03-14"
    assert library.name == "lab-library"
    assert library.standing is None
    # what a result records and the report's library line prints
    result = identify(synthetic_spectrum(1, seed=7), library, mixtures=False).to_dict()
    assert result["library_built_at"] == "2020-03-14"
    assert "2020-03-14" in library_line(result)


def test_a_folder_changed_since_its_publication_is_dated_by_its_compilation(folder):
    curation.publish_library(folder, approved_by="Dr. A", today="2020-03-14")
    _edit_a_row(folder)
    changed = open_reference_library(folder)
    assert "has changed since its published version" in changed.standing
    assert COMPILED_NOW.fullmatch(changed.built_at)  # not the date of other references


def test_a_published_again_folder_is_never_served_the_date_of_its_earlier_record(folder):
    curation.publish_library(folder, approved_by="Dr. A", today="2020-03-14")
    assert open_reference_library(folder).built_at == "2020-03-14"
    _edit_a_row(folder)
    compiled = open_reference_library(folder)  # compiled now, and cached under its references
    compiled_at = compiled.built_at
    assert COMPILED_NOW.fullmatch(compiled_at)
    second = curation.publish_library(folder, approved_by="Dr. B", today="2021-06-01")
    # the same references as the cached library: the date comes from the new record
    again = open_reference_library(folder)
    assert again.version == compiled.version == second.version
    assert again.built_at == "2021-06-01" and again.standing is None
    library_folders._COMPILED.clear()  # a new process: the cache file only
    assert open_reference_library(folder).built_at == "2021-06-01"
    # the cached library was not dated by the record: without one it is dated as compiled
    (folder / RELEASE_FILE).unlink()
    assert open_reference_library(folder).built_at == compiled_at
    library_folders._COMPILED.clear()
    assert open_reference_library(folder).built_at == compiled_at


def test_the_published_library_file_is_dated_as_the_published_folder(folder, tmp_path):
    out = tmp_path / "v1.flib"
    curation.publish_library(folder, approved_by="Dr. A", today="2020-03-14", out=out)
    assert Library.load(out).built_at == "2020-03-14"
    assert open_reference_library(out).built_at == open_reference_library(folder).built_at


def test_from_folder_refuses_a_manifest_column_it_has_no_place_for(folder, tmp_path, monkeypatch):
    # the one rule of library import and build: a misspelt column's values would be lost
    manifest = folder / "build.csv"
    rows = curation.read_manifest(folder / "manifest.csv")
    manifest.write_text(
        "file,name,license\n" + "".join(f"{r['file']},{r['name']},MIT\n" for r in rows)
    )
    read = []
    with monkeypatch.context() as m:
        m.setattr(library_folders, "_read_file_job", lambda *a, **k: read.append(a))
        with pytest.raises(
            LibraryError,
            match=r"not built: .*build.csv: line 1: 'license': did you mean 'licence'\?",
        ):
            Library.from_folder(folder, manifest, calibrate=False, workers=1)
    assert read == []  # refused before any file is read
    built = Library.from_folder(folder, manifest, calibrate=False, workers=1, ignore_columns=True)
    assert len(built) == len(rows)
