"""The reader registry and atomic writing, independent of any one format."""

from __future__ import annotations

import os
import stat

import pytest
from synthetic import make_spectrum

import forensic
from forensic.errors import FormatError, NotVibrationalError
from forensic.io import OutputExistsError, atomic_write_bytes, read_spectra, write_spectrum


def test_missing_empty_and_folder_inputs_name_the_file(tmp_path):
    with pytest.raises(FormatError, match=r"nope\.jdx: no such file"):
        read_spectra(tmp_path / "nope.jdx")
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(FormatError, match=r"empty\.csv: the file is empty"):
        read_spectra(tmp_path / "empty.csv")
    with pytest.raises(FormatError, match="is a folder"):
        read_spectra(tmp_path)


def test_unknown_format_name_lists_the_known_ones(tmp_path):
    path = write_spectrum(make_spectrum(), tmp_path / "a.csv")
    with pytest.raises(FormatError, match="unknown format 'xyz'; known formats: jcamp"):
        read_spectra(path, format="xyz")


def test_writer_is_chosen_by_extension_and_refuses_others(tmp_path):
    with pytest.raises(FormatError, match=r"extension '\.xlsx'"):
        write_spectrum(make_spectrum(), tmp_path / "a.xlsx")


def test_atomic_write_never_overwrites_unless_asked(tmp_path):
    target = tmp_path / "out" / "a.bin"
    atomic_write_bytes(target, b"first")
    with pytest.raises(OutputExistsError, match="already exists"):
        atomic_write_bytes(target, b"second")
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


def test_converted_files_keep_the_first_origin(tmp_path):
    original = write_spectrum(make_spectrum(name="x"), tmp_path / "raw.csv")
    first = forensic.read_spectrum(original)
    write_spectrum(first, tmp_path / "copy.jdx")
    second = forensic.read_spectrum(tmp_path / "copy.jdx")
    write_spectrum(second, tmp_path / "copy2.csv")
    third = forensic.read_spectrum(tmp_path / "copy2.csv")
    assert third.metadata["source_file"].endswith("copy2.csv")
    assert third.metadata["original_source_file"] == str(original)
    assert third.metadata["original_source_sha256"] == first.metadata["source_sha256"]


# -- real binary files: whole ones are read, cut ones are refused -----------------------------

BINARY_FORMATS = ("spc", "wdf", "spa", "opus")


def _real_binary_files(shared_data):
    files = [
        p for name in BINARY_FORMATS for p in sorted((shared_data / "formats" / name).iterdir())
    ]
    files += sorted((shared_data / "calibration" / "ir").glob("*.[0S]*"))  # .SPC, .0
    assert len(files) >= 20
    return files


def test_every_real_binary_file_is_read_whole_or_refused_as_not_vibrational(shared_data):
    # The truncation checks must not reject a complete file: each is read, or refused for what
    # it holds (GC-MS, interferogram, UV-visible), never as truncated or corrupt.
    for path in _real_binary_files(shared_data):
        try:
            spectra = read_spectra(path)
        except NotVibrationalError:
            continue
        assert spectra, path


@pytest.mark.parametrize("keep", [0.3, 0.5, 0.7, 0.9, 0.99])
def test_every_real_binary_file_cut_short_is_refused_as_truncated(shared_data, tmp_path, keep):
    for path in _real_binary_files(shared_data):
        try:
            read_spectra(path)
        except NotVibrationalError:
            continue
        data = path.read_bytes()
        cut = tmp_path / f"cut-{path.name}"
        cut.write_bytes(data[: int(len(data) * keep)])
        with pytest.raises(FormatError, match="truncated") as info:
            read_spectra(cut)
        assert str(cut) in str(info.value)
