"""forensic.files: output files written whole, and the cache folder of compiled libraries."""

from __future__ import annotations

import os
import stat

import pytest

from forensic.files import (
    CACHE_ENV,
    OutputError,
    OutputExistsError,
    atomic_write_bytes,
    check_writable,
    library_cache_dir,
)


def test_atomic_write_never_overwrites_unless_asked(tmp_path):
    target = tmp_path / "out" / "a.bin"
    atomic_write_bytes(target, b"first")
    with pytest.raises(OutputExistsError) as refused:
        atomic_write_bytes(target, b"second")
    said = f"{target}: already exists; not overwritten (pass overwrite=True to replace it)"
    assert str(refused.value) == said
    assert target.read_bytes() == b"first"
    atomic_write_bytes(target, b"second", overwrite=True)
    assert target.read_bytes() == b"second"
    assert [p.name for p in target.parent.iterdir()] == ["a.bin"]  # no .part left behind


def test_output_files_follow_the_umask_not_private_tempfile_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        path = atomic_write_bytes(tmp_path / "shared.jdx", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_the_cache_folder_is_the_one_the_environment_names(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "elsewhere"))
    assert library_cache_dir() == tmp_path / "elsewhere"
    monkeypatch.delenv(CACHE_ENV)
    assert library_cache_dir().name == "forensic"
    assert library_cache_dir() != tmp_path / "elsewhere"


@pytest.mark.parametrize("make_folders", [True, False])
def test_a_file_where_a_folder_of_the_path_should_be_is_named(tmp_path, make_folders):
    # `--out notes.txt/x.jdx` (or deeper): the OS says only "File exists" or "Not a directory"
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    for path in (tmp_path / "notes.txt" / "x.jdx", tmp_path / "notes.txt" / "sub" / "x.jdx"):
        with pytest.raises(OutputError) as caught:
            check_writable(path, make_folders=make_folders)
        assert str(caught.value) == f"{path}: {tmp_path / 'notes.txt'} is a file, not a folder"
    assert (tmp_path / "notes.txt").read_text() == "a file, not a folder"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
