"""Renishaw WiRE WDF reader: synthetic files written here, and the real files."""

from __future__ import annotations

import struct
from datetime import datetime, timezone

import numpy as np
import pytest

import forensic
from forensic.errors import FormatError
from forensic.io import wdf

FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=timezone.utc)


def block(name: bytes, payload: bytes) -> bytes:
    return name + struct.pack("<IQ", 1, 16 + len(payload)) + payload


def wdf_file(
    spectra,
    x,
    *,
    x_unit=1,
    laser_nm=785.0,
    measurement=1,
    title=b"synthetic scan",
    user=b"Tech",
    when=datetime(2022, 8, 22, 11, 50, 20, tzinfo=timezone.utc),
):
    spectra = np.atleast_2d(np.asarray(spectra, "<f4"))
    x = np.asarray(x, "<f4")
    count, points = spectra.shape
    head = bytearray(512)
    head[:4] = b"WDF1"
    struct.pack_into("<IQ", head, 4, 1, 512)
    struct.pack_into("<iqqiiii", head, 60, points, count, count, 2, 1, points, 1)
    head[96:100] = b"WiRE"
    struct.pack_into("<4H", head, 120, 5, 5, 0, 1)
    struct.pack_into("<ii", head, 128, 1, measurement)
    struct.pack_into("<if", head, 152, 1, 1e7 / laser_nm)
    head[208 : 208 + len(user)] = user
    head[240 : 240 + len(title)] = title
    ticks = int((when - FILETIME_EPOCH).total_seconds() * 1e7)
    origin = struct.pack("<I", 1) + struct.pack("<Ii16s", (1 << 31) | 11, 24, b"Time")
    origin += struct.pack(f"<{count}q", *([ticks] * count))
    return (
        bytes(head)
        + block(b"DATA", spectra.tobytes())
        + block(b"YLST", struct.pack("<ii", 0, 16) + np.zeros(1, "<f4").tobytes())
        + block(b"XLST", struct.pack("<ii", 1, x_unit) + x.tobytes())
        + block(b"ORGN", origin)
    )


X = np.linspace(1800.0, 200.0, 64)
Y = 100.0 + 900.0 * np.exp(-(((X - 1001.0) / 4.0) ** 2))


def test_single_spectrum_with_metadata(write):
    (s,) = wdf.read(write(wdf_file(Y, X)))
    assert (s.modality, s.y_unit) == ("raman", "counts")
    np.testing.assert_allclose(s.wavenumber, X[::-1].astype("f4"))
    np.testing.assert_allclose(s.intensity, Y[::-1].astype("f4"))
    meta = s.metadata
    assert meta["laser_wavelength_nm"] == pytest.approx(785.0, abs=1e-3)
    assert (meta["name"], meta["operator"]) == ("synthetic scan", "Tech")
    assert meta["acquired_at"] == "2022-08-22T11:50:20+00:00"
    assert meta["wdf_application"] == "WiRE 5.5.0.1"
    assert meta["averages"] == 2


def test_nanometre_axis_becomes_raman_shift(write):
    wavelengths = np.linspace(800.0, 900.0, 64)
    (s,) = wdf.read(write(wdf_file(Y, wavelengths, x_unit=3)))
    expected = 1e7 / 785.0 - 1e7 / wavelengths.astype("f4")
    np.testing.assert_allclose(s.wavenumber, expected, rtol=1e-5)


def test_maps_are_refused_naming_the_count(write):
    data = wdf_file(np.vstack([Y] * 12), X, measurement=3)
    with pytest.raises(FormatError, match=r"holds 12 spectra \(a map measurement"):
        wdf.read(write(data))


def test_series_are_refused_naming_the_count(write):
    with pytest.raises(FormatError, match=r"holds 3 spectra \(a series"):
        wdf.read(write(wdf_file(np.vstack([Y] * 3), X, measurement=2)))


def test_unknown_axis_unit(write):
    with pytest.raises(FormatError, match="pixels"):
        wdf.read(write(wdf_file(Y, X, x_unit=16)))


def test_not_wdf_and_empty(write):
    with pytest.raises(FormatError, match="not a WDF file"):
        wdf.read(write(b"WDF2" + bytes(600)))
    with pytest.raises(FormatError, match="empty"):
        wdf.read(write(b""))


@pytest.mark.parametrize("cut", [4, 100, 511, 512, 520, 600, 800])
def test_truncated(write, cut):
    path = write(wdf_file(Y, X)[:cut])
    with pytest.raises(FormatError) as info:
        wdf.read(path)
    assert str(path) in str(info.value)


def wdf_with_image(image_bytes=3000):
    """A WDF file whose spectrum is followed by a large block it does not need (as WiRE writes a
    white-light image after the spectrum)."""
    return wdf_file(Y, X) + block(b"WXDM", bytes(range(256)) * (image_bytes // 256))


@pytest.mark.parametrize("keep", [0.3, 0.5, 0.7, 0.9, 0.99])
def test_file_cut_anywhere_is_refused_even_when_the_spectrum_is_whole(write, keep):
    data = wdf_with_image()
    cut = int(len(data) * keep)
    path = write(data[:cut])
    with pytest.raises(FormatError, match=r"truncated (or corrupt )?WDF file") as info:
        wdf.read(path)
    assert str(path) in str(info.value)
    message = str(info.value)
    assert f"the file has {cut} bytes" in message or f"ends at byte {cut}" in message


def test_cut_in_a_trailing_block_names_the_block_and_the_bytes_missing(write):
    data = wdf_with_image()
    image_at = len(wdf_file(Y, X))
    with pytest.raises(
        FormatError,
        match=rf"sample\.wdf: truncated WDF file: block WXDM at offset {image_at} declares "
        rf"{len(data) - image_at} bytes, but only 100 follow \(the file has {image_at + 100} "
        r"bytes\)",
    ):
        wdf.read(write(data[: image_at + 100]))
    with pytest.raises(FormatError, match=r"a block header at offset \d+ is cut short \(5 of 16"):
        wdf.read(write(data[: image_at + 5]))


def test_zero_padding_and_whole_extra_blocks_are_read(write):
    (s,) = wdf.read(write(wdf_with_image() + bytes(40)))
    np.testing.assert_allclose(s.intensity, Y[::-1], rtol=1e-6)
    (s,) = wdf.read(write(wdf_file(Y, X) + bytes(7)))
    assert len(s) == X.size


def with_points(data: bytes, points: int) -> bytes:
    """The file with the header's point count (and the x list length, kept equal) changed."""
    count = struct.pack("<i", points)
    return data[:60] + count + data[64:88] + count + data[92:]


def test_point_count_smaller_than_the_x_list_is_refused(write):
    # Read by a corrupt count, the spectrum was the first points only, with no error.
    match = (
        r"sample\.wdf: corrupt WDF file: the header declares 16 points but the XLST block "
        r"holds 64: read by that count, the spectrum would be cut short"
    )
    with pytest.raises(FormatError, match=match):
        wdf.read(write(with_points(wdf_file(Y, X), 16)))


def test_data_block_must_hold_whole_spectra(write):
    # The x list agrees with the count, but DATA holds 64 values: not whole spectra of 40 points.
    data = wdf_file(Y[:40], X[:40])
    data_size = 16 + 4 * 64
    longer = data[:512] + block(b"DATA", np.asarray(Y, "<f4").tobytes()) + data[512 + 16 + 4 * 40 :]
    assert struct.unpack_from("<Q", longer, 512 + 8)[0] == data_size
    match = r"the DATA block holds 64 values, not a whole number of spectra of 40 points"
    with pytest.raises(FormatError, match=match):
        wdf.read(write(longer))


def block_ends(data: bytes) -> list[tuple[str, int]]:
    """Each block's name and the offset where it ends, in file order."""
    ends, offset = [], 512
    while offset < len(data):
        name, _, size = struct.unpack_from("<4sIQ", data, offset)
        offset += size
        ends.append((name.decode(), offset))
    return ends


@pytest.mark.parametrize(
    ("cut_after", "missing"),
    [
        ("DATA", r"no YLST block, declared by the header \(ylist_length 1\); no XLST"),
        ("YLST", r"no XLST block, declared by the header \(xlist_length 64\); no ORGN"),
        ("XLST", r"no ORGN block, declared by the header \(origin_count 1\)"),
    ],
)
def test_a_file_cut_at_a_block_end_before_its_declared_blocks_is_refused(write, cut_after, missing):
    # Cut where a block ends, the spectrum and its x list whole, the file read as if complete
    # and lost its acquisition time (ORGN) without a word.
    data = wdf_file(Y, X)
    end = dict(block_ends(data))[cut_after]
    match = (
        rf"sample\.wdf: truncated or corrupt WDF file: {missing}.*; the blocks end at byte "
        rf"{end}, after the {cut_after} block$"
    )
    with pytest.raises(FormatError, match=match):
        wdf.read(write(data[:end]))


def test_a_file_whose_header_declares_no_origin_lists_needs_no_orgn_block(write):
    data = wdf_file(Y, X)
    end = dict(block_ends(data))["XLST"]
    no_origins = data[:92] + struct.pack("<i", 0) + data[96:end]
    (s,) = wdf.read(write(no_origins))
    assert "acquired_at" not in s.metadata
    np.testing.assert_allclose(s.intensity, Y[::-1], rtol=1e-6)


def test_origin_lists_must_be_those_the_header_declares(write):
    data = wdf_file(Y, X)
    two = data[:92] + struct.pack("<i", 2) + data[96:]
    match = (
        r"sample\.wdf: corrupt WDF file: the header declares 2 origin lists \(origin_count\) of "
        r"1 values \(capacity\), but the ORGN block at offset \d+ says it holds 1 and has room "
        r"for 1$"
    )
    with pytest.raises(FormatError, match=match):
        wdf.read(write(two))


def test_a_y_list_shorter_than_the_header_declares_is_refused(write):
    data = wdf_file(Y, X)
    five = data[:84] + struct.pack("<i", 5) + data[88:]
    match = (
        r"corrupt WDF file: the header declares a y list of 5 values \(ylist_length\) but the "
        r"YLST block at offset \d+ holds 1$"
    )
    with pytest.raises(FormatError, match=match):
        wdf.read(write(five))


# -- real files ---------------------------------------------------------------------------------


def test_real_renishaw_calibration_spectrum(shared_data):
    s = forensic.read_spectrum(shared_data / "formats" / "wdf" / "Renishaw_nCal_785.wdf")
    assert len(s) == 1021
    assert s.wavenumber[0] == pytest.approx(-154.50, abs=0.01)
    assert s.wavenumber[-1] == pytest.approx(1111.11, abs=0.01)
    assert s.metadata["laser_wavelength_nm"] == pytest.approx(785.0, abs=0.1)
    assert s.metadata["acquired_at"] == "2022-08-22T11:50:20+00:00"
    m = (s.wavenumber > 980) & (s.wavenumber < 1020)
    assert s.wavenumber[m][np.argmax(s.intensity[m])] == pytest.approx(1001.4, abs=3)


def test_real_wdf_agrees_with_its_text_twin(shared_data):
    s = forensic.read_spectrum(shared_data / "formats" / "wdf" / "Renishaw_nCal_785.wdf")
    t = forensic.read_spectrum(shared_data / "formats" / "text" / "Renishaw_nCal_785.txt")
    np.testing.assert_allclose(s.wavenumber, t.wavenumber, atol=1e-3)
    np.testing.assert_allclose(s.intensity, t.intensity, rtol=1e-6, atol=1e-3)


def test_real_second_wdf(shared_data):
    s = forensic.read_spectrum(shared_data / "formats" / "wdf" / "sp.wdf")
    assert len(s) == 1015
    assert s.wavenumber[0] == pytest.approx(1226.3, abs=0.1)
    assert s.wavenumber[-1] == pytest.approx(2787.5, abs=0.1)
    assert s.metadata["laser_wavelength_nm"] == pytest.approx(532.25, abs=0.01)
    assert s.metadata["averages"] == 3


def test_truncated_real_wdf(shared_data, tmp_path):
    data = (shared_data / "formats" / "wdf" / "sp.wdf").read_bytes()
    path = tmp_path / "cut.wdf"
    path.write_bytes(data[:3000])
    with pytest.raises(FormatError, match=r"truncated WDF file: block DATA"):
        forensic.read_spectrum(path)


def test_real_wdf_cut_at_a_block_end_before_its_origin_lists_is_refused(shared_data, tmp_path):
    # WiRE writes DATA, YLST, XLST, then its own data block and ORGN: cut at any of those
    # block ends, the spectrum is whole and the file used to read as complete.
    for name in ("Renishaw_nCal_785.wdf", "sp.wdf"):
        data = (shared_data / "formats" / "wdf" / name).read_bytes()
        ends = block_ends(data)
        orgn = [block for block, _ in ends].index("ORGN")
        for block, end in ends[:orgn]:
            path = tmp_path / f"cut-after-{block}-{name}"
            path.write_bytes(data[:end])
            with pytest.raises(FormatError, match=rf"no ORGN block.* after the {block} block$"):
                forensic.read_spectrum(path)
