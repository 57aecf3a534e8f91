"""Thermo OMNIC SPA reader: synthetic files written here, and the real files."""

from __future__ import annotations

import struct
from datetime import datetime, timezone

import numpy as np
import pytest

import forensic
from forensic.errors import FormatError, NotVibrationalError
from forensic.io import spa

EPOCH = datetime(1899, 12, 31, tzinfo=timezone.utc)


def spa_file(
    y,
    *,
    first=4000.0,
    last=400.0,
    x_unit=1,
    y_unit=17,
    title=b"synthetic",
    history=b"",
    raman_excitation=0.0,
    when=datetime(2020, 11, 12, 9, 26, 2, tzinfo=timezone.utc),
    extra_blocks=(),
):
    blocks = []
    for row in [y] if np.ndim(y) == 1 else list(y):  # several rows: an SPG group
        values = np.asarray(row, "<f4")
        header = bytearray(140)
        struct.pack_into("<IBxxxBxxxff", header, 4, values.size, x_unit, y_unit, first, last)
        struct.pack_into("<f", header, 96, raman_excitation)
        blocks += [(2, bytes(header)), (3, values.tobytes())]
    if history:
        blocks.append((27, history + b"\0"))
    blocks += extra_blocks
    position = 304 + 16 * (len(blocks) + 1)
    table, payload = b"", b""
    for key, data in blocks:
        table += struct.pack("<BxII6x", key, position + len(payload), len(data))
        payload += data
    table += bytes(16)  # the terminating record
    start = bytearray(304)
    start[:18] = spa.MAGIC
    start[30 : 30 + len(title)] = title
    struct.pack_into("<HI", start, 294, len(blocks), int((when - EPOCH).total_seconds()))
    return bytes(start) + table + payload


Y = np.linspace(0.1, 0.9, 50)


def test_absorbance_spectrum_with_metadata(write):
    history = (
        b"Collect Sample\r\n\t Resolution:\t 4.000 from 400 to 4000\r\n"
        b"\t Bench Serial Number:AB123\r\n"
    )
    (s,) = spa.read(write(spa_file(Y, title=b"exhibit 7 powder", history=history)))
    assert (s.modality, s.y_unit) == ("ir", "absorbance")
    np.testing.assert_allclose(s.wavenumber[[0, -1]], [400.0, 4000.0])
    np.testing.assert_allclose(s.intensity, Y[::-1], rtol=1e-6)
    meta = s.metadata
    assert meta["name"] == "exhibit 7 powder"
    assert meta["acquired_at"] == "2020-11-12T09:26:02+00:00"
    assert meta["instrument_serial"] == "AB123"
    assert meta["resolution_cm1"] == 4.0


@pytest.mark.parametrize(
    ("code", "unit"),
    [(16, "percent_transmittance"), (11, "reflectance"), (20, "kubelka_munk"), (15, "arbitrary")],
)
def test_y_units(write, code, unit):
    (s,) = spa.read(write(spa_file(Y, y_unit=code)))
    assert s.y_unit == unit


def test_spg_group_gives_one_spectrum_per_member(write):
    spectra = spa.read(write(spa_file(np.vstack([Y, 2 * Y, 3 * Y])), "group.spg"))
    assert [s.metadata["spa_index"] for s in spectra] == [0, 1, 2]
    np.testing.assert_allclose(spectra[2].intensity, 3 * Y[::-1], rtol=1e-6)


def test_raman_shift_with_excitation(write):
    (s,) = spa.read(write(spa_file(Y, x_unit=32, y_unit=31, raman_excitation=1e7 / 785.0)))
    assert s.modality == "raman"
    assert s.metadata["laser_wavelength_nm"] == pytest.approx(785.0)


def test_interferogram_is_refused(write):
    with pytest.raises(NotVibrationalError, match="interferogram"):
        spa.read(write(spa_file(Y, x_unit=2, y_unit=22, first=0, last=49)))


def test_uv_visible_is_refused(write):
    with pytest.raises(NotVibrationalError, match="UV-visible"):
        spa.read(write(spa_file(Y, x_unit=3, first=200.0, last=600.0)))


def test_absurd_axis_in_the_header_is_corrupt(write):
    # Taken for a UV-visible spectrum (x_first 1e31 nm), its range printed in full.
    match = (
        r"corrupt OMNIC SPA file: the axis from 1e\+31 to 600 \(the spectrum header's first and "
        r"last x\): beyond what any spectrum holds \(at most 1e\+30\)$"
    )
    with pytest.raises(FormatError, match=match) as info:
        spa.read(write(spa_file(Y, x_unit=3, first=1e31, last=600.0)))
    assert not isinstance(info.value, NotVibrationalError)


def test_an_axis_of_no_width_in_the_header_is_corrupt(write):
    match = (
        r"corrupt OMNIC SPA file: the axis from 600 to 600 .*: no width, to spread 50 points over$"
    )
    with pytest.raises(FormatError, match=match):
        spa.read(write(spa_file(Y, first=600.0, last=600.0)))


def test_header_claims_more_points_than_stored(write):
    data = bytearray(spa_file(Y))
    header_at = struct.unpack_from("<I", data, 304 + 2)[0]
    struct.pack_into("<I", data, header_at + 4, 5000)
    match = r"header declares 5000 points but the intensity block holds 50$"
    with pytest.raises(FormatError, match=match):
        spa.read(write(bytes(data)))


def test_header_claims_fewer_points_than_stored(write):
    # A corrupt count smaller than the intensity block was read as a shorter spectrum on a
    # stretched axis (first..last spread over too few points), with no error.
    data = bytearray(spa_file(Y))
    header_at = struct.unpack_from("<I", data, 304 + 2)[0]
    struct.pack_into("<I", data, header_at + 4, 20)
    match = (
        r"sample\.spa: corrupt OMNIC SPA file: the spectrum header declares 20 points but the "
        r"intensity block holds 50: read by that count, the spectrum would be cut short"
    )
    with pytest.raises(FormatError, match=match):
        spa.read(write(bytes(data)))


def test_not_spa_and_series(write):
    with pytest.raises(FormatError, match="not an OMNIC SPA file"):
        spa.read(write(b"WDF1" + bytes(400)))
    with pytest.raises(FormatError, match="series files"):
        spa.read(write(b"Spectral Exte File" + bytes(400)))


def test_empty(write):
    with pytest.raises(FormatError, match="empty"):
        spa.read(write(b""))


@pytest.mark.parametrize("cut", [18, 100, 300, 310, 340, 400, 500])
def test_truncated(write, cut):
    path = write(spa_file(Y)[:cut])
    with pytest.raises(FormatError) as info:
        spa.read(path)
    assert str(path) in str(info.value)


# OMNIC stores the interferogram and background after the spectrum (keys 100-103).
INTERFEROGRAM = (102, np.arange(1000, dtype="<f4").tobytes())


@pytest.mark.parametrize("keep", [0.3, 0.5, 0.7, 0.9, 0.99])
def test_file_cut_anywhere_is_refused_even_when_the_spectrum_is_whole(write, keep):
    data = spa_file(Y, history=b"Collected on bench", extra_blocks=[INTERFEROGRAM])
    cut = int(len(data) * keep)
    path = write(data[:cut])
    with pytest.raises(FormatError, match=r"truncated or corrupt OMNIC SPA file: expected") as info:
        spa.read(path)
    assert str(path) in str(info.value)


def test_cut_in_a_block_not_read_names_the_directory_record_and_the_bytes_missing(write):
    data = spa_file(Y, extra_blocks=[INTERFEROGRAM])
    start = len(data) - 4000
    with pytest.raises(
        FormatError,
        match=r"sample\.spa: truncated or corrupt OMNIC SPA file: expected block key 102 "
        rf"\(directory record 3 of 3\) in 4000 bytes from offset {start}, but only 1000 follow "
        rf"\(the file has {start + 1000} bytes\)",
    ):
        spa.read(write(data[: start + 1000]))


def test_trailing_bytes_after_every_block_are_read(write):
    (s,) = spa.read(write(spa_file(Y, extra_blocks=[INTERFEROGRAM]) + bytes(64)))
    assert len(s) == Y.size


# -- real files ---------------------------------------------------------------------------------


def test_real_barium_sulfate_absorbance(shared_data):
    s = forensic.read_spectrum(shared_data / "formats" / "spa" / "2-BaSO4_0.SPA")
    assert len(s) == 11098
    assert s.wavenumber[0] == pytest.approx(649.90, abs=0.01)
    assert s.wavenumber[-1] == pytest.approx(6000.04, abs=0.01)
    assert (s.modality, s.y_unit) == ("ir", "absorbance")
    assert s.metadata["name"] == "2-BaSO4_0"
    assert s.metadata["instrument_serial"] == "AUP2010587"
    assert s.metadata["source_format"] == "spa"


def test_real_polyethylene_reflectance_bands(shared_data):
    s = forensic.read_spectrum(shared_data / "formats" / "spa" / "ftir_polyethylene.spa")
    assert len(s) == 1738
    assert s.y_unit == "reflectance"
    # Polyethylene CH2 bands are dips in %R: 2917, 2849, 1462 and 719 cm-1.
    for low, high, band in [(2900, 2930, 2917), (2835, 2860, 2849), (1450, 1475, 1462),
                            (710, 730, 719)]:  # fmt: skip
        m = (s.wavenumber > low) & (s.wavenumber < high)
        assert s.wavenumber[m][np.argmin(s.intensity[m])] == pytest.approx(band, abs=3)


def test_real_spa_named_like_opus_is_read_by_content(shared_data):
    """``not_opus.spa`` sits among the OPUS files but is an OMNIC SPA absorbance spectrum."""
    s = forensic.read_spectrum(shared_data / "formats" / "opus" / "not_opus.spa")
    assert s.metadata["source_format"] == "spa"
    assert len(s) == 5549
    assert s.metadata["name"] == "7_CZ0-100 Pd_101"
