"""The reader registry and atomic writing, independent of any one format."""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import zipfile

import numpy as np
import pytest
from synthetic import make_spectrum

import forensic
from forensic.errors import FormatError, NotVibrationalError
from forensic.files import OutputError, OutputExistsError
from forensic.io import available_formats, read_spectra, write_spectrum


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


def test_write_spectrum_does_what_its_docstring_says(tmp_path):
    spectrum = make_spectrum(name="x")
    written = write_spectrum(spectrum, tmp_path / "new" / "folder" / "a.JCAMP")
    assert written == tmp_path / "new" / "folder" / "a.JCAMP"
    assert written.read_bytes().startswith(b"##TITLE=x")
    as_csv = write_spectrum(spectrum, tmp_path / "b.txt", format="text")
    np.testing.assert_array_equal(read_spectra(as_csv)[0].intensity, spectrum.intensity)
    with pytest.raises(FormatError, match="unknown format 'xyz'"):
        write_spectrum(spectrum, tmp_path / "c.csv", format="xyz")
    with pytest.raises(FormatError, match="format is read-only here"):
        write_spectrum(spectrum, tmp_path / "c.spc", format="spc")
    with pytest.raises(OutputExistsError, match="already exists"):
        write_spectrum(spectrum, written)
    assert write_spectrum(spectrum, written, overwrite=True) == written
    (tmp_path / "d.csv").mkdir()
    with pytest.raises(OutputError, match="is a folder"):
        write_spectrum(spectrum, tmp_path / "d.csv")


def _zip(path, members: dict[str, str]):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return path


XLSX_MEMBERS = {
    "[Content_Types].xml": "<Types/>",
    "_rels/.rels": "<Relationships/>",
    "xl/workbook.xml": "<workbook/>",
    "xl/worksheets/sheet1.xml": "<worksheet/>",
}


@pytest.mark.parametrize("name", ["spectrum.xlsx", "spectrum.csv", "spectrum.spc"])
def test_an_excel_workbook_is_named_not_taken_for_an_spc_chromatogram(tmp_path, name):
    # "PK\x03\x04": to the SPC sniffer, version byte 0x4B and an HPLC chromatogram
    path = _zip(tmp_path / name, XLSX_MEMBERS)
    with pytest.raises(
        FormatError,
        match=rf"{name}: an Excel workbook \(\.xlsx\), not a spectrum file: export the "
        "spectrum from it as CSV$",
    ):
        read_spectra(path)
    with pytest.raises(FormatError, match="an Excel workbook"):
        read_spectra(path, format="spc")  # forced, it is still no SPC file


def test_archives_and_other_documents_are_named(tmp_path):
    ods = _zip(
        tmp_path / "a.ods",
        {"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": "<x/>"},
    )
    with pytest.raises(FormatError, match=r"an OpenDocument spreadsheet \(\.ods\)"):
        read_spectra(ods)
    archive = _zip(tmp_path / "a.zip", {"exhibit_12.csv": "1,2\n", "notes.txt": "x"})
    with pytest.raises(
        FormatError,
        match=r"a ZIP archive of 2 file\(s\) \(exhibit_12.csv, notes.txt\), not a spectrum "
        "file: extract the spectrum file from it first",
    ):
        read_spectra(archive)
    cut = tmp_path / "cut.zip"
    cut.write_bytes(archive.read_bytes()[:60])  # the list of members is at the end
    with pytest.raises(FormatError, match="a ZIP archive, and a damaged or incomplete one"):
        read_spectra(cut)


@pytest.mark.parametrize("name", ["spectrum.xls", "spectrum.spc"])
def test_an_ole2_compound_file_is_named(tmp_path, name):
    """An Office 97-2003 document, or a Shimadzu .spc (not Galactic SPC): 'not recognised'
    said nothing of what it is."""
    path = tmp_path / name
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + b"\x01" * 1024)
    with pytest.raises(
        FormatError, match=rf"{name}: an OLE2 compound file .* export the spectrum from it as CSV"
    ):
        read_spectra(path)


def test_compressed_files_are_named_with_how_to_decompress_them(tmp_path):
    csv = write_spectrum(make_spectrum(), tmp_path / "a.csv").read_bytes()
    (tmp_path / "a.csv.gz").write_bytes(gzip.compress(csv))
    with pytest.raises(
        FormatError,
        match=r"a.csv.gz: compressed with gzip, not a spectrum file itself: decompress it "
        r"first \(gunzip a.csv.gz\), then read the file it holds",
    ):
        read_spectra(tmp_path / "a.csv.gz")
    (tmp_path / "renamed.csv").write_bytes(gzip.compress(csv))  # was "binary data"
    with pytest.raises(FormatError, match=r"gzip.*rename it to end in \.gz, then gunzip it"):
        read_spectra(tmp_path / "renamed.csv")
    (tmp_path / "a.csv.bz2").write_bytes(bz2.compress(csv))
    with pytest.raises(FormatError, match=r"compressed with bzip2.*bunzip2 a.csv.bz2"):
        read_spectra(tmp_path / "a.csv.bz2")
    (tmp_path / "a.csv.xz").write_bytes(lzma.compress(csv))
    with pytest.raises(FormatError, match=r"compressed with xz.*unxz a.csv.xz"):
        read_spectra(tmp_path / "a.csv.xz")


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


def test_the_file_read_is_recorded_by_its_absolute_path_however_it_was_named(tmp_path, monkeypatch):
    # a relative path says nothing once the working folder is another, and the same file
    # named two ways must be recorded one way (a library's version covers where an imported
    # reference came from)
    (tmp_path / "data").mkdir()
    (tmp_path / "elsewhere").mkdir()
    path = write_spectrum(make_spectrum(name="x"), tmp_path / "data" / "raw.csv")
    monkeypatch.chdir(tmp_path / "data")
    here = forensic.read_spectrum("raw.csv")
    monkeypatch.chdir(tmp_path / "elsewhere")
    there = forensic.read_spectrum(os.path.join("..", "data", "raw.csv"))
    assert here.metadata["source_file"] == there.metadata["source_file"] == str(path.resolve())


# -- real binary files: whole ones are read, cut ones are refused -----------------------------

BINARY_FORMATS = [fmt.name for fmt in available_formats() if not fmt.text]


def _real_binary_files(shared_data):
    folders = [shared_data / "formats" / name for name in BINARY_FORMATS]
    files = [p for folder in folders if folder.is_dir() for p in sorted(folder.iterdir())]
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
