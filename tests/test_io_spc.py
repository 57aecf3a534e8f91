"""Thermo Galactic SPC reader: synthetic files written byte by byte here, and the real files."""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest
from synthetic import TRANSMITTANCE_SCALE_CASES, transmittance_values

import forensic
from forensic.errors import FormatError, NotVibrationalError
from forensic.io import spc
from forensic.quality import diagnose_ir_range

# -- writing synthetic SPC files (independently of the reader's own dtypes) ---------------------


def spc_header(
    *,
    flags=0,
    version=0x4B,
    experiment=0,
    exponent=-128,
    npts=100,
    first=400.0,
    last=4000.0,
    nsub=1,
    xtype=1,
    ytype=2,
    comment=b"",
    source=b"",
    resolution=b"",
    logoff=0,
    date=0,
):
    """A 512-byte new-format SPC header with the fields at their documented offsets."""
    head = bytearray(512)
    struct.pack_into("<BBBb", head, 0, flags, version, experiment, exponent)
    struct.pack_into("<iddi", head, 4, npts, first, last, nsub)
    struct.pack_into("<BBBB", head, 28, xtype, ytype, 0, 0)
    struct.pack_into("<I", head, 32, date)
    head[36 : 36 + len(resolution)] = resolution
    head[45 : 45 + len(source)] = source
    head[88 : 88 + len(comment)] = comment
    struct.pack_into("<i", head, 248, logoff)
    return bytes(head)


def subheader(*, exponent=-128, npts=0, z=0.0, index=0):
    return struct.pack("<BbHfffiif4s", 0, exponent, index, z, 0.0, 0.0, npts, 0, 0.0, b"")


def log_block(text: bytes) -> bytes:
    return struct.pack("<iiiii44s", 64 + len(text) + 1, 4096, 64, 0, 0, b"") + text + b"\0"


def band(x, centre, height=1000.0, width=8.0):
    return height * (width / 2) ** 2 / ((x - centre) ** 2 + (width / 2) ** 2)


def simple_spc(npts=200, first=400.0, last=2000.0, **header):
    x = np.linspace(first, last, npts)
    y = (band(x, 1001.0) + 10.0).astype("<f4")
    data = spc_header(npts=npts, first=first, last=last, **header) + subheader() + y.tobytes()
    return data, x, y.astype(np.float64)


# -- synthetic: what is read ---------------------------------------------------------------------


def test_float_single_spectrum_even_axis(write):
    data, x, y = simple_spc(comment=b"synthetic film", resolution=b"4.0 CM-1", source=b"FTS")
    (s,) = spc.read(write(data))
    assert s.modality == "ir" and s.y_unit == "absorbance"
    np.testing.assert_allclose(s.wavenumber, x)
    np.testing.assert_allclose(s.intensity, y)
    assert s.metadata["name"] == "synthetic film"
    assert s.metadata["resolution_cm1"] == 4.0
    assert s.metadata["instrument_model"] == "FTS"


def test_descending_axis_is_reversed_with_intensities(write):
    data, x, y = simple_spc(first=2000.0, last=400.0)
    (s,) = spc.read(write(data))
    np.testing.assert_allclose(s.wavenumber, x[::-1])
    np.testing.assert_allclose(s.intensity, y[::-1])


def test_int32_intensities_are_scaled_by_the_exponent(write):
    raw = np.arange(-50, 50, dtype="<i4") * 1000
    data = spc_header(exponent=5, npts=100) + subheader(exponent=5) + raw.tobytes()
    (s,) = spc.read(write(data))
    np.testing.assert_allclose(s.intensity, raw * 2.0 ** (5 - 32))


def test_int16_intensities_with_tsprec(write):
    raw = np.arange(100, dtype="<i2") * 7
    data = spc_header(flags=spc.TSPREC, exponent=3) + subheader(exponent=3) + raw.tobytes()
    (s,) = spc.read(write(data))
    np.testing.assert_allclose(s.intensity, raw * 2.0 ** (3 - 16))


def int_spc(fexp, subexp, *, raw=None, flags=0):
    """A single spectrum of integer intensities with the given exponents (fexp, subexp)."""
    if raw is None:
        raw = np.arange(-50, 50, dtype="<i2" if flags & spc.TSPREC else "<i4") * 7
    header = spc_header(flags=flags, exponent=fexp, npts=raw.size)
    return header + subheader(exponent=subexp) + raw.tobytes()


@pytest.mark.parametrize("exponent", [spc.EXPONENT_RANGE[0], 2, 28, spc.EXPONENT_RANGE[1]])
@pytest.mark.parametrize("subexp", ["same", 0])
def test_a_single_spectrum_is_scaled_by_fexp_its_subexp_copying_it_or_left_zero(
    write, exponent, subexp
):
    # the format's description: a single spectrum's subexp is ignored in favour of fexp
    (s,) = spc.read(write(int_spc(exponent, exponent if subexp == "same" else subexp)))
    np.testing.assert_allclose(s.intensity, np.arange(-50, 50) * 7 * 2.0 ** (exponent - 32))


@pytest.mark.parametrize(("fexp", "subexp"), [(29, 28), (28, 29), (2, -128), (-128, 2)])
def test_fexp_and_subexp_that_disagree_are_refused(write, fexp, subexp):
    # One flipped bit in either byte (28 is 29 with its lowest bit lost) read every intensity
    # twice or half as large, or integers as floats, without a sign.
    match = (
        rf"sample\.spc: corrupt SPC file: the header gives the intensities' exponent as {fexp} "
        rf"\(fexp\) but the subfile header as {subexp} \(subexp\): one of the two is damaged"
    )
    with pytest.raises(FormatError, match=match):
        spc.read(write(int_spc(fexp, subexp)))


@pytest.mark.parametrize("fexp", [92, 60, -100, -33, 49, 127])
@pytest.mark.parametrize("flags", [0, spc.TSPREC])
def test_an_exponent_no_recorded_spectrum_has_is_refused(write, fexp, flags):
    # 92, 60 and -100 are 28 with one bit flipped: every intensity scaled by 2**64, 2**32 or
    # 2**-128, read as a spectrum of that size.
    match = (
        rf"sample\.spc: corrupt SPC file: the exponent of the intensities is {fexp} \(fexp\), "
        rf"which would scale them to a full scale of 2\*\*{fexp} \(.*\); a recorded spectrum's "
        rf"exponent lies between -32 and 48$"
    )
    with pytest.raises(FormatError, match=match):
        spc.read(write(int_spc(fexp, 0, flags=flags)))


def test_an_exponent_scales_nothing_when_every_integer_is_zero(write):
    (s,) = spc.read(write(int_spc(90, 90, raw=np.zeros(100, "<i4"))))
    assert not s.intensity.any()


def test_a_subfile_exponent_no_recorded_spectrum_has_names_its_spectrum(write):
    raw = (np.arange(50, dtype="<i4") * 1000).tobytes()
    data = (
        spc_header(flags=spc.TMULTI, exponent=0, npts=50, nsub=2)
        + subheader(exponent=20)
        + raw
        + subheader(exponent=84, index=1)
        + raw
    )
    match = r"the exponent of the intensities of spectrum 2 of 2 is 84 \(subexp of spectrum 2\)"
    with pytest.raises(FormatError, match=match):
        spc.read(write(data))


def test_common_x_array_txvals(write):
    x = np.sort(np.random.default_rng(1).uniform(500, 3000, 64)).astype("<f4")
    y = np.linspace(0, 1, 64).astype("<f4")
    data = spc_header(flags=spc.TXVALS, npts=64) + x.tobytes() + subheader() + y.tobytes()
    (s,) = spc.read(write(data))
    np.testing.assert_allclose(s.wavenumber, x)
    np.testing.assert_allclose(s.intensity, y)


def test_multi_spectrum_xyxy_file(write):
    flags = spc.TMULTI | spc.TXVALS | spc.TXYXYS
    body = b""
    for i, n in enumerate((20, 30, 40)):
        x = np.linspace(400 + i, 1800 + i, n).astype("<f4")
        y = (np.arange(n) + 100 * i).astype("<f4")
        body += subheader(npts=n, z=float(i), index=i) + x.tobytes() + y.tobytes()
    data = spc_header(flags=flags, npts=0, nsub=3, comment=b"xy") + body
    spectra = spc.read(write(data))
    assert [len(s) for s in spectra] == [20, 30, 40]
    assert [s.metadata["spc_subfile"] for s in spectra] == [0, 1, 2]
    assert spectra[2].metadata["spc_z"] == 2.0
    assert spectra[1].intensity[0] == 100.0


def test_multi_spectrum_even_axis(write):
    y1, y2 = np.ones(50, "<f4"), np.full(50, 2.0, "<f4")
    data = (
        spc_header(flags=spc.TMULTI, npts=50, nsub=2)
        + subheader()
        + y1.tobytes()
        + subheader()
        + y2.tobytes()
    )
    spectra = spc.read(write(data))
    assert len(spectra) == 2
    assert spectra[1].intensity.mean() == 2.0
    with pytest.raises(FormatError, match="holds 2 spectra"):
        forensic.read_spectrum(write(data))


def test_more_subfiles_than_a_file_may_give_are_refused(write, monkeypatch):
    # each subfile is 96 bytes: 2 GB of them would be 20 million spectra, tens of GB
    monkeypatch.setattr(forensic.io, "MAX_SPECTRA_PER_FILE", 5)
    body = b"".join(subheader(index=k) + np.ones(16, "<f4").tobytes() for k in range(6))
    data = spc_header(flags=spc.TMULTI, npts=16, nsub=6) + body
    with pytest.raises(FormatError, match=r"sample\.spc: holds 6 spectra \(subfiles, fnsub\)"):
        spc.read(write(data))
    old = old_format_file(16, 6)
    with pytest.raises(FormatError, match=r"sample\.spc: holds 6 spectra \(subfiles\)"):
        spc.read(write(old))
    assert len(spc.read(write(old_format_file(16, 5)))) == 5


def test_old_format_swapped_words(write):
    values = np.array([123456789, -98765, 1, -1, 2**30] * 10, dtype=np.int64)
    u = (values & 0xFFFFFFFF).astype(np.uint32)
    words = np.empty((u.size, 2), "<u2")
    words[:, 0], words[:, 1] = u >> 16, u & 0xFFFF  # high word first
    head = bytearray(256)
    struct.pack_into("<BBhfffBB", head, 0, 0, 0x4D, 7, float(u.size), 3000.0, 2800.0, 1, 2)
    struct.pack_into("<HBBBB", head, 18, 1997, 3, 9, 8, 46)
    head[64:80] = b"old format test\0"
    head[224:256] = subheader(exponent=7)
    (s,) = spc.read(write(bytes(head) + words.tobytes()))
    np.testing.assert_allclose(s.intensity[::-1], values * 2.0 ** (7 - 32))
    assert s.metadata["acquired_at_local"] == "1997-03-09T08:46:00"
    assert s.metadata["spc_version"] == "old (0x4D)"


def old_format_file(npts, nsub, *, flags=spc.TMULTI):
    head = bytearray(256)
    struct.pack_into("<BBhfffBB", head, 0, flags, 0x4D, -128, float(npts), 400.0, 2000.0, 1, 2)
    head[224:256] = subheader()
    body = np.linspace(1.0, 2.0, npts).astype("<f4").tobytes()
    for index in range(1, nsub):
        body += subheader(index=index) + np.full(npts, index + 1.0, "<f4").tobytes()
    return bytes(head) + body


def test_old_format_single_spectrum_must_fill_the_file(write):
    # Cleared TMULTI (or a smaller onpts) read the first spectrum of a series, or the first
    # points of one, with no error; the bytes left after it show the flag or count is wrong.
    assert len(spc.read(write(old_format_file(64, 3)))) == 3
    match = r"the spectra end at byte 512 but the end of the file is at byte 1088.*\(onpts\)"
    with pytest.raises(FormatError, match=match):
        spc.read(write(old_format_file(64, 3, flags=0)))
    (s,) = spc.read(write(old_format_file(64, 1, flags=0) + bytes(40)))  # padding is fine
    assert len(s) == 64


def test_raman_laser_from_log_and_packed_date(write):
    text = b"Operator=Tech\r\nLaser=Laser: 785 nm edge\r\nLaser Wavenumber=15800\r\n"
    date = (2022 << 20) | (8 << 16) | (22 << 11) | (13 << 6) | 50
    x = np.linspace(200, 1800, 100)
    y = band(x, 1001).astype("<f4")
    body = subheader() + y.tobytes()
    logoff = 512 + len(body)
    head = spc_header(experiment=11, xtype=13, ytype=4, npts=100, first=200, last=1800,
                      logoff=logoff, date=date)  # fmt: skip
    (s,) = spc.read(write(head + body + log_block(text)))
    assert s.modality == "raman" and s.y_unit == "counts"
    assert s.metadata["laser_wavelength_nm"] == 785.0
    assert s.metadata["operator"] == "Tech"
    assert s.metadata["acquired_at_local"] == "2022-08-22T13:50:00"
    assert "Laser=Laser: 785 nm edge" in s.metadata["spc_log"]


def test_subfiles_are_named_only_by_a_sample_name_in_the_log(write):
    # "Replicates [1]", "Replicates [2]"... made each subfile a substance of its own in a library
    y = np.ones(50, "<f4")
    body = subheader() + y.tobytes() + subheader(index=1) + (2 * y).tobytes()
    for text, named in (
        (b"Operator=Tech\r\n", None),
        (b"Sample Name=Cocaine HCl\r\n", "Cocaine HCl"),
    ):
        head = spc_header(flags=spc.TMULTI, npts=50, nsub=2, comment=b"Replicates",
                          logoff=512 + len(body))  # fmt: skip
        spectra = spc.read(write(head + body + log_block(text)))
        assert [s.name for s in spectra] == [named, named]
        assert [s.metadata["spc_comment"] for s in spectra] == ["Replicates", "Replicates"]
    # a single spectrum is still named by its comment, before the log's sample name
    data, _, _ = simple_spc(comment=b"Toluene")
    assert spc.read(write(data))[0].name == "Toluene"


def test_ftir_reference_laser_is_not_a_raman_laser(write):
    text = b"Laser Wavenumber= 15800.823\r\n"
    data, _, _ = simple_spc()
    (s,) = spc.read(write(data[:248] + struct.pack("<i", len(data)) + data[252:]
                          + log_block(text)))  # fmt: skip
    assert s.modality == "ir"
    assert "laser_wavelength_nm" not in s.metadata


def test_raman_named_in_the_comment_of_a_wavenumber_file(write):
    data, _, _ = simple_spc(experiment=4, comment=b"FT-Raman spectrum of sulfur")
    (s,) = spc.read(write(data))
    assert s.modality == "raman" and s.y_unit == "arbitrary"
    assert s.metadata["modality_basis"].startswith("comment")


def test_micrometre_axis_becomes_wavenumber(write):
    data, x, _ = simple_spc(first=2.5, last=25.0, xtype=2)
    (s,) = spc.read(write(data))
    np.testing.assert_allclose(s.wavenumber, np.sort(1e4 / x))
    assert s.history[0].name == "micrometre_to_wavenumber"


# -- synthetic: what is refused ----------------------------------------------------------------


@pytest.mark.parametrize(("low", "high", "scale"), TRANSMITTANCE_SCALE_CASES)
def test_transmission_scale_by_the_rule_the_range_check_applies(write, low, high, scale):
    # "transmission" (fytype 128) names no scale: the values settle it, or the reader says it
    # could not tell; negative values no longer count as percent (it compared |y| with 2)
    y = transmittance_values(low, high).astype("<f4")
    data = spc_header(npts=y.size, first=400.0, last=4000.0, ytype=128) + subheader()
    (s,) = spc.read(write(data + y.tobytes()))
    assert (s.modality, s.y_unit) == ("ir", scale or "transmittance")
    assert s.y_unit_guessed == (scale is None)
    assert (diagnose_ir_range(s) is None) == (scale is not None)


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        ({"xtype": 9}, "mass spectrum"),
        ({"experiment": 9}, "mass spectrum"),
        ({"experiment": 10, "xtype": 10}, "NMR"),
        ({"ytype": 1}, "interferogram"),
        ({"experiment": 1, "xtype": 5}, "chromatogram"),
        ({"experiment": 7, "xtype": 3, "first": 200, "last": 800}, "UV-visible"),
        ({"xtype": 3, "first": 250, "last": 350}, "UV-visible"),
    ],
)
def test_non_vibrational_files_are_refused(write, header, kind):
    data, _, _ = simple_spc(**header)
    with pytest.raises(NotVibrationalError, match=kind):
        spc.read(write(data))


def test_big_endian_spc_is_refused_clearly(write):
    data, _, _ = simple_spc(version=0x4C)
    with pytest.raises(FormatError, match=r"big-endian SPC.*0x4C.*not supported"):
        spc.read(write(data))


def test_unknown_x_unit_is_refused(write):
    data, _, _ = simple_spc(xtype=0)
    with pytest.raises(FormatError, match=r"x axis is in arbitrary \(fxtype 0\)"):
        spc.read(write(data))


def test_wrong_version_byte(write):
    with pytest.raises(FormatError, match=r"not an SPC file: version byte.*0x41"):
        spc.read(write(b"\x00A" + bytes(600)))


def test_empty_file(write):
    path = write(b"")
    with pytest.raises(FormatError, match="empty") as info:
        spc.read(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("cut", [1, 2, 100, 511, 512, 530, 544, 600, 1000])
def test_truncated_files_name_the_file_and_what_was_expected(write, cut):
    data, _, _ = simple_spc()
    path = write(data[:cut])
    with pytest.raises(FormatError, match=r"truncated|bytes") as info:
        spc.read(path)
    assert str(path) in str(info.value)


def spc_with_log(npts=200, text=b"Laser=Laser: 785 nm\r\nOperator=Tech\r\n"):
    """A single-spectrum SPC file with a log block after the data (as WiRE writes it)."""
    data, _, _ = simple_spc(npts=npts, experiment=11, xtype=13)
    logoff = len(data)
    return spc_header(npts=npts, first=400.0, last=2000.0, experiment=11, xtype=13,
                      logoff=logoff) + data[512:] + log_block(text)  # fmt: skip


@pytest.mark.parametrize("keep", [0.3, 0.5, 0.7, 0.9, 0.97])
def test_file_cut_inside_the_data_says_how_many_bytes_were_expected_and_found(write, keep):
    data, _, _ = simple_spc(npts=1024)
    cut = int(len(data) * keep)
    path = write(data[:cut])
    expected = (
        rf"sample\.spc: truncated or corrupt SPC file: expected .*1024 points.* in 4096 bytes "
        rf"from offset 544, but only {cut - 544} follow \(the file has {cut} bytes\)"
    )
    if cut < 4096:  # not even the intensities would fit: refused before anything is read
        expected = (
            rf"sample\.spc: truncated or corrupt SPC file: the header declares 1024 points "
            rf"\(fnpts, 4096 bytes of intensities\), which cannot fit in the file's {cut} bytes"
        )
    with pytest.raises(FormatError, match=expected):
        spc.read(path)


def test_file_cut_inside_its_log_block_is_refused(write):
    data = spc_with_log()
    (s,) = spc.read(write(data))
    assert s.metadata["laser_wavelength_nm"] == 785.0
    data_end = 512 + 32 + 4 * 200
    for cut in (len(data) - 2, len(data) - 10, data_end + 64, data_end + 10, data_end):
        with pytest.raises(FormatError, match=r"truncated or corrupt SPC file: expected the log"):
            spc.read(write(data[:cut]))


def test_trailing_bytes_after_every_declared_block_are_not_truncation(write):
    data, _, y = simple_spc()
    (s,) = spc.read(write(data + bytes(300)))
    np.testing.assert_allclose(s.intensity, y)
    (s,) = spc.read(write(spc_with_log() + b"\0" * 17))
    assert s.metadata["spc_log"].startswith("Laser=")


def test_point_count_too_small_for_the_data_is_refused(write):
    # A flipped bit in fnpts read the first points only, on the header's axis spread over them
    # (every band moved), with no error: the data left after them shows the count is wrong.
    data, _, _ = simple_spc(npts=200)
    corrupt = data[:4] + struct.pack("<i", 150) + data[8:]
    match = (
        r"sample\.spc: corrupt SPC file: the spectra end at byte 1144 but the end of the file "
        r"is at byte 1344, and the 200 bytes between are not padding"
    )
    with pytest.raises(FormatError, match=match):
        spc.read(write(corrupt))


def test_wrong_tsprec_flag_is_refused(write):
    # TSPREC set on 32-bit data: read as 16-bit words, half the data is left over.
    y = np.arange(200, dtype="<i4") * 1000
    data = spc_header(npts=200, exponent=0) + subheader(exponent=0) + y.tobytes()
    assert len(spc.read(write(data))) == 1
    corrupt = bytes([data[0] | spc.TSPREC]) + data[1:]
    with pytest.raises(FormatError, match=r"point count .*, the data format \(TSPREC\)"):
        spc.read(write(corrupt))


def test_spectra_must_end_where_the_log_block_starts(write):
    data = spc_with_log()
    assert len(spc.read(write(data))) == 1
    short = data[:4] + struct.pack("<i", 150) + data[8:]
    with pytest.raises(FormatError, match=r"end at byte 1144 but the log block \(flogoff\) is at"):
        spc.read(write(short))
    long = data[:4] + struct.pack("<i", 210) + data[8:]
    with pytest.raises(FormatError, match=r"run to byte 1384, past the log block \(flogoff\)"):
        spc.read(write(long))


def test_multi_spectrum_file_cut_in_a_later_spectrum_or_its_directory(write):
    flags = spc.TMULTI | spc.TXVALS | spc.TXYXYS
    body = b""
    for i in range(3):
        x = np.linspace(400 + i, 1800 + i, 40).astype("<f4")
        body += subheader(npts=40, index=i) + x.tobytes() + np.ones(40, "<f4").tobytes()
    directory = 512 + len(body)
    data = spc_header(flags=flags, npts=directory, nsub=3) + body + bytes(12 * 3)
    assert len(spc.read(write(data))) == 3
    for cut in (directory - 20, directory + 20):
        with pytest.raises(FormatError, match=r"expected the subfile directory \(3 entries"):
            spc.read(write(data[:cut]))
    without_directory = spc_header(flags=flags, npts=0, nsub=3) + body
    assert len(spc.read(write(without_directory))) == 3
    with pytest.raises(FormatError, match=r"expected the intensities of spectrum 3 of 3"):
        spc.read(write(without_directory[:-20]))


def test_huge_point_count_fails_fast_without_allocating(write):
    data, _, _ = simple_spc()
    corrupt = data[:4] + struct.pack("<i", 2**31 - 1) + data[8:]
    with pytest.raises(FormatError, match="cannot fit"):
        spc.read(write(corrupt))


@pytest.mark.parametrize("xtype", [1, 3])
def test_absurd_axis_in_the_header_is_corrupt(write, xtype):
    # ffirst 1e308 on a nm axis was called a UV-visible spectrum, its range printed in full
    # (309 digits); it is a corrupt header, whatever the unit.
    data, _, _ = simple_spc(xtype=xtype)
    data = data[:8] + struct.pack("<dd", 1e308, 325.0) + data[24:]
    match = (
        r"sample\.spc: corrupt SPC file: the axis from 1e\+308 to 325 \(ffirst, flast\): beyond "
        r"what any spectrum holds \(at most 1e\+30\)$"
    )
    with pytest.raises(FormatError, match=match) as info:
        spc.read(write(data))
    assert not isinstance(info.value, NotVibrationalError)


@pytest.mark.parametrize(
    ("first", "last", "problem"),
    [
        (1000.0, 1000.0, r"the axis from 1000 to 1000 \(ffirst, flast\): no width, to spread 200"),
        (math.nan, 2000.0, r"the axis from nan to 2000 \(ffirst, flast\): not a finite number"),
        (400.0, -math.inf, r"the axis from 400 to -inf \(ffirst, flast\): not a finite number"),
    ],
)
def test_axis_ends_that_cannot_be_genuine_are_refused(write, first, last, problem):
    # Both ends alike, the spectrum was read as every point at one wavenumber and refused as
    # a repeated axis, by index; the header's fields are now named.
    data, _, _ = simple_spc()
    data = data[:8] + struct.pack("<dd", first, last) + data[24:]
    with pytest.raises(FormatError, match=rf"sample\.spc: corrupt SPC file: {problem}"):
        spc.read(write(data))


def test_old_format_axis_of_no_width_is_refused(write):
    data = bytearray(old_format_file(64, 1, flags=0))
    struct.pack_into("<ff", data, 8, 900.0, 900.0)
    with pytest.raises(FormatError, match=r"the axis from 900 to 900 \(ofirst, olast\): no width"):
        spc.read(write(bytes(data)))


def test_nan_intensities_are_a_format_error(write):
    data, _, _ = simple_spc()
    corrupt = data[:-8] + np.array([np.nan, 1.0], "<f4").tobytes()
    with pytest.raises(FormatError, match="NaN"):
        spc.read(write(corrupt))


def test_sniff_accepts_spc_and_rejects_text():
    data, _, _ = simple_spc()
    assert spc.sniff(data, None)
    assert not spc.sniff(b"OK, this is text with K second\n" * 4, None)
    assert not spc.sniff(b"#K some csv\n1,2\n" * 4, None)


# -- real files ---------------------------------------------------------------------------------

REAL = [
    # file, points, first x, last x, modality, y unit, peak window, peak
    ("BENZENE.SPC", 1842, 449.43, 4000.5, "ir", "absorbance", (650, 700), 673.0),
    ("BWTEK_PST10_iR532.spc", 3808, 175.0, 3982.0, "raman", "arbitrary", (980, 1020), 1001.4),
    ("POLYS.SPC", 1844, 447.48, 4002.28, "ir", "absorbance", (1580, 1620), 1601.0),
    ("Renishaw_nCal_785.spc", 1021, -154.50, 1111.11, "raman", "counts", (980, 1020), 1001.4),
    ("SINGLE_POLYMER_FILM.SPC", 1844, 447.48, 4002.28, "ir", "absorbance", (1576, 1626), 1601.0),
    ("TOLUENE.SPC", 801, 500.0, 3700.0, "ir", "absorbance", (710, 750), 729.0),
    ("raman_atacamit.spc", 559, 117.78, 1050.0, "raman", "arbitrary", (490, 530), 511.0),
]


@pytest.mark.parametrize(("name", "npts", "first", "last", "modality", "unit", "window", "peak"),
                         REAL)  # fmt: skip
def test_real_spc_files(shared_data, name, npts, first, last, modality, unit, window, peak):
    s = forensic.read_spectrum(shared_data / "formats" / "spc" / name)
    assert len(s) == npts
    assert s.wavenumber[0] == pytest.approx(first, abs=0.01)
    assert s.wavenumber[-1] == pytest.approx(last, abs=0.01)
    assert (s.modality, s.y_unit) == (modality, unit)
    m = (s.wavenumber > window[0]) & (s.wavenumber < window[1])
    found = s.wavenumber[m][np.argmax(s.intensity[m] - np.median(s.intensity[m]))]
    assert found == pytest.approx(peak, abs=3.0)
    assert s.metadata["source_format"] == "spc"


def test_polystyrene_film_band_at_1601(shared_data):
    s = forensic.read_spectrum(shared_data / "formats" / "spc" / "SINGLE_POLYMER_FILM.SPC")
    m = (s.wavenumber > 1576) & (s.wavenumber < 1626)
    y = -s.intensity if s.y_unit == "transmittance" else s.intensity
    assert s.wavenumber[m][np.argmax(y[m] - np.median(y[m]))] == pytest.approx(1601, abs=3)
    assert s.metadata["name"] == "InfraRed Spectrum of a Single Polymer Film."
    assert s.metadata["acquired_at_local"] == "1997-03-09T08:34:00"
    assert "acquired_at" not in s.metadata


def test_renishaw_spc_metadata_from_its_log(shared_data):
    s = forensic.read_spectrum(shared_data / "formats" / "spc" / "Renishaw_nCal_785.spc")
    assert s.metadata["laser_wavelength_nm"] == 785.0
    assert s.metadata["spc_experiment"] == "Raman"
    assert s.metadata["instrument_serial"] == "23YH94"
    assert "WiRE" in s.metadata["spc_log"]


def test_old_format_multi_file_contour(shared_data):
    spectra = forensic.read_spectra(shared_data / "formats" / "spc" / "CONTOUR.SPC")
    assert len(spectra) == 19
    assert all(len(s) == 179 for s in spectra)
    # the comment describes the series: no subfile is named by it and a number of its own
    assert all(s.name is None for s in spectra)
    assert spectra[0].metadata["spc_comment"].startswith("Subfiles are the Same Portion of POLYS")
    assert spectra[0].wavenumber[0] == pytest.approx(2789.06, abs=0.01)
    # The subfiles are a portion of POLYS.SPC times a factor: the decoded words must correlate.
    polys = forensic.read_spectrum(shared_data / "formats" / "spc" / "POLYS.SPC")
    ref = np.interp(spectra[3].wavenumber, polys.wavenumber, polys.intensity)
    assert np.corrcoef(ref, spectra[3].intensity)[0, 1] > 0.99


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("DRUG_SAMPLE.SPC", "mass spectrum"),
        ("IG_MULTI.SPC", "interferogram"),
        ("SPECTRUM_WITH_BAD_BASELINE.SPC", "UV-visible"),
    ],
)
def test_real_non_vibrational_spc_files_are_refused(shared_data, name, kind):
    path = shared_data / "formats" / "spc" / name
    with pytest.raises(NotVibrationalError, match=kind) as info:
        forensic.read_spectrum(path)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_bwtek_spc_agrees_with_its_text_twin(shared_data):
    s = forensic.read_spectrum(shared_data / "formats" / "spc" / "BWTEK_PST10_iR532.spc")
    t = forensic.read_spectrum(shared_data / "formats" / "text" / "BWTEK_PST10_iR532.txt")
    # The SPC export is the dark-subtracted spectrum resampled to 1 cm-1.
    assert t.wavenumber[0] <= s.wavenumber[0] and t.wavenumber[-1] >= s.wavenumber[-1]
    twin = np.interp(s.wavenumber, t.wavenumber, t.intensity)
    m = (s.wavenumber > 200) & (s.wavenumber < 3900)
    assert np.corrcoef(twin[m], s.intensity[m])[0, 1] > 0.999
    assert np.median(s.intensity[m] / twin[m]) == pytest.approx(1.0, abs=0.01)


def test_real_spc_with_a_damaged_exponent_is_refused(shared_data, tmp_path):
    # BENZENE.SPC holds 32-bit integers with fexp = subexp = 2 (full scale 4 absorbance units)
    data = bytearray((shared_data / "formats" / "spc" / "BENZENE.SPC").read_bytes())
    assert struct.unpack_from("<b", data, 3)[0] == 2 and struct.unpack_from("<b", data, 513)[0] == 2
    path = tmp_path / "BENZENE.SPC"
    one = data.copy()
    one[3] = 3  # fexp alone: every absorbance twice as large
    path.write_bytes(one)
    with pytest.raises(FormatError, match=r"exponent as 3 \(fexp\) but .* as 2 \(subexp\)"):
        forensic.read_spectrum(path)
    both = data.copy()
    both[3] = both[513] = 2 | 0x40  # the same bit flipped in both: 2**64 times too large
    path.write_bytes(both)
    with pytest.raises(FormatError, match=r"the exponent of the intensities is 66 \(fexp\)"):
        forensic.read_spectrum(path)


def test_renishaw_spc_agrees_with_its_text_twin(shared_data):
    s = forensic.read_spectrum(shared_data / "formats" / "spc" / "Renishaw_nCal_785.spc")
    t = forensic.read_spectrum(shared_data / "formats" / "text" / "Renishaw_nCal_785.txt")
    assert len(s) == len(t)
    assert s.wavenumber[[0, -1]] == pytest.approx(t.wavenumber[[0, -1]], abs=1e-3)
    # WiRE resampled the SPC onto an even axis: the text's points interpolate onto it.
    twin = np.interp(s.wavenumber, t.wavenumber, t.intensity)
    assert np.max(np.abs(twin - s.intensity)) < 2.0  # counts, of a maximum above 80 000
