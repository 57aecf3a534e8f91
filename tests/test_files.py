"""forensic.files: output files written whole, and the cache folder of compiled libraries."""

from __future__ import annotations

import os
import stat

import pytest

from forensic.files import CACHE_ENV, OutputExistsError, atomic_write_bytes, library_cache_dir


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
