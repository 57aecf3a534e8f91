"""Bruker OPUS reader: synthetic files written block by block here, and the real files."""

from __future__ import annotations

import re
import struct

import numpy as np
import pytest
from synthetic import TRANSMITTANCE_SCALE_CASES, transmittance_values

import forensic
from forensic.errors import FormatError, NotVibrationalError
from forensic.io import opus
from forensic.quality import diagnose_ir_range

AB, TR, RAMAN, SC, IG = 4, 5, 10, 1, 2
SAMPLE, REFERENCE, RATIO = 1, 2, 3


def type_code(*, data_type=0, channel=0, param=0, complex_=3, extended=0):
    return complex_ | channel << 2 | param << 4 | data_type << 10 | extended << 19


def param_block(**values) -> bytes:
    out = b""
    for key, value in values.items():
        name = key.encode() + b"\0"
        if isinstance(value, int):
            out += name + struct.pack("<hhi", 0, 2, value)
        elif isinstance(value, float):
            out += name + struct.pack("<hhd", 1, 4, value)
        else:
            raw = value.encode("latin-1") + b"\0"
            raw += b"\0" * (len(raw) % 2)
            out += name + struct.pack("<hh", 2, len(raw) // 2) + raw
    return out + b"END\0" + struct.pack("<hh", 0, 0) + b"\0" * 4


def opus_file(blocks: list[tuple[int, bytes]]) -> bytes:
    """An OPUS file: header, directory, then each (type code, payload) block."""
    entries = [(type_code(data_type=13, complex_=0), b""), *blocks]
    directory_size = 12 * len(entries)
    offset = 24 + directory_size
    directory, payload = b"", b""
    for index, (code, data) in enumerate(entries):
        if index == 0:
            directory += struct.pack("<Iii", code, directory_size // 4, 24)
            continue
        padded = data + b"\0" * (-len(data) % 4)
        directory += struct.pack("<Iii", code, len(padded) // 4, offset + len(payload))
        payload += padded
    header = opus.MAGIC + struct.pack("<diii", 920622.0, 24, len(entries), len(entries))
    return header + directory + payload


def spectrum_blocks(data_type, y, *, channel=RATIO, first=4000.0, last=400.0, **status):
    y = np.asarray(y, "<f4")
    data = (type_code(data_type=data_type, channel=channel), y.tobytes())
    params = {"DPF": 1, "NPT": y.size, "FXV": first, "LXV": last, "CSF": 1.0, "DXU": "WN",
              "DAT": "28/10/2020", "TIM": "14:33:02.042 (GMT-5)"}  # fmt: skip
    params.update(status)
    if isinstance(params["CSF"], float):  # the extremes OPUS records, of the scaled values
        params.setdefault("MXY", float(y.max()) * params["CSF"])
        params.setdefault("MNY", float(y.min()) * params["CSF"])
    stat = (type_code(data_type=data_type, channel=channel, param=1), param_block(**params))
    return [data, stat]


def with_number(data: bytes, key: str, value: float, occurrence: int = 0) -> bytes:
    """The file with the float parameter ``key`` (its ``occurrence``-th) set to ``value``."""
    found = -1
    for _ in range(occurrence + 1):
        found = data.index(key.encode() + b"\0" + struct.pack("<hh", 1, 4), found + 1)
    return data[: found + 8] + struct.pack("<d", value) + data[found + 16 :]


def sample_params(**values):
    return (type_code(param=10, complex_=0), param_block(**values))


def instrument_params(**values):
    return (type_code(param=2, complex_=0), param_block(**values))


Y = np.linspace(0.1, 0.9, 64)


def test_absorbance_block_with_metadata(write):
    blocks = [
        *spectrum_blocks(AB, Y),
        sample_params(SNM="cocaine HCl exhibit 4", CNM="Tech"),
        instrument_params(INS="ALPHA II", SRN="1234"),
        (type_code(param=3, complex_=0), param_block(RES=4.0, PLF="AB")),
    ]
    (s,) = opus.read(write(opus_file(blocks)))
    assert s.modality == "ir" and s.y_unit == "absorbance"
    assert len(s) == 64
    np.testing.assert_allclose(s.wavenumber[[0, -1]], [400.0, 4000.0])
    np.testing.assert_allclose(s.intensity, Y[::-1], rtol=1e-6)
    meta = s.metadata
    assert meta["name"] == "cocaine HCl exhibit 4"
    assert (meta["instrument_model"], meta["instrument_serial"]) == ("ALPHA II", "1234")
    assert meta["operator"] == "Tech" and meta["resolution_cm1"] == 4.0
    assert meta["acquired_at"] == "2020-10-28T19:33:02+00:00"  # GMT-5 -> UTC
    assert meta["opus_block"] == "AB"


def test_time_without_zone_is_kept_as_local_time(write):
    (s,) = opus.read(write(opus_file(spectrum_blocks(AB, Y, TIM="14:33:02.042"))))
    assert s.metadata["acquired_at_local"] == "2020-10-28T14:33:02"
    assert "acquired_at" not in s.metadata


def test_absorbance_is_preferred_over_single_channels(write):
    blocks = (
        spectrum_blocks(IG, np.zeros(80), channel=SAMPLE, DXU="PNT")
        + spectrum_blocks(SC, np.ones(64), channel=SAMPLE)
        + spectrum_blocks(AB, Y)
        + spectrum_blocks(SC, np.ones(64), channel=REFERENCE)
    )
    (s,) = opus.read(write(opus_file(blocks)))
    assert s.metadata["opus_block"] == "AB"
    assert s.metadata["opus_blocks"] == ["IgSm", "ScSm", "AB", "ScRf"]


def test_transmittance_fraction_and_percent(write):
    (s,) = opus.read(write(opus_file(spectrum_blocks(TR, Y))))
    assert s.y_unit == "transmittance"
    (s,) = opus.read(write(opus_file(spectrum_blocks(TR, Y * 100))))
    assert s.y_unit == "percent_transmittance"


@pytest.mark.parametrize(("low", "high", "scale"), TRANSMITTANCE_SCALE_CASES)
def test_transmittance_scale_by_the_rule_the_range_check_applies(write, low, high, scale):
    (s,) = opus.read(write(opus_file(spectrum_blocks(TR, transmittance_values(low, high)))))
    assert s.y_unit == (scale or "transmittance")
    assert s.y_unit_guessed == (scale is None)
    assert (diagnose_ir_range(s) is None) == (scale is not None)


def test_scale_factor_and_micrometre_axis(write):
    (s,) = opus.read(write(opus_file(spectrum_blocks(AB, Y, CSF=2.0, DXU="MI", first=2.5,
                                                     last=25.0))))  # fmt: skip
    np.testing.assert_allclose(s.intensity.max(), 1.8, rtol=1e-6)
    np.testing.assert_allclose(s.wavenumber[[0, -1]], [400.0, 4000.0])


def test_raman_block_with_laser(write):
    blocks = [
        *spectrum_blocks(RAMAN, Y, first=3500.0, last=100.0),
        instrument_params(RLW=9394.9, RLP=500.0),
    ]
    (s,) = opus.read(write(opus_file(blocks)))
    assert s.modality == "raman" and s.y_unit == "arbitrary"
    assert s.metadata["laser_wavelength_nm"] == pytest.approx(1064.4, abs=0.1)
    assert s.metadata["laser_power_mw"] == 500.0


def test_background_single_channel_is_read_and_labelled(write):
    blocks = spectrum_blocks(IG, np.zeros(80), channel=REFERENCE, DXU="PNT")
    blocks += spectrum_blocks(SC, np.ones(64), channel=REFERENCE)
    (s,) = opus.read(write(opus_file(blocks)))
    assert s.metadata["opus_block"] == "ScRf"
    assert "background" in s.metadata["opus_data_type"]
    assert s.y_unit == "arbitrary"


def test_interferograms_only_are_refused(write):
    blocks = spectrum_blocks(IG, np.zeros(80), channel=SAMPLE, DXU="PNT")
    blocks += spectrum_blocks(IG, np.zeros(80), channel=REFERENCE, DXU="PNT")
    with pytest.raises(NotVibrationalError, match=r"interferogram.*IgSm, IgRf"):
        opus.read(write(opus_file(blocks)))


def test_series_and_empty_files_are_refused(write):
    series = (type_code(data_type=AB, channel=RATIO, extended=2), Y.astype("<f4").tobytes())
    with pytest.raises(FormatError, match="series of spectra"):
        opus.read(write(opus_file([series])))
    with pytest.raises(FormatError, match="no spectrum data block"):
        opus.read(write(opus_file([sample_params(SNM="x")])))


def test_missing_data_parameters(write):
    data = [spectrum_blocks(AB, Y)[0]]
    with pytest.raises(FormatError, match="AB block has no data parameter block"):
        opus.read(write(opus_file(data)))


def test_point_count_larger_than_the_block(write):
    match = r"NPT of the AB block declares 1000 points but the block holds 64$"
    with pytest.raises(FormatError, match=match):
        opus.read(write(opus_file(spectrum_blocks(AB, Y, NPT=1000))))


def test_point_count_smaller_than_the_block_is_refused(write):
    # A flipped bit in NPT: read by it, the spectrum was cut short and FXV..LXV spread over
    # fewer points, moving every band, with no error.
    match = (
        r"sample\.0: corrupt OPUS file: NPT of the AB block declares 40 points but the block "
        r"holds 64: read by that count, the spectrum would be cut short"
    )
    with pytest.raises(FormatError, match=match):
        opus.read(write(opus_file(spectrum_blocks(AB, Y, NPT=40))))


def test_a_block_padded_to_8_bytes_is_read(write):
    # OPUS pads a block of an odd number of points with one value (3177 points in 3178).
    y = np.asarray(Y[:63], "<f4")
    data, status = spectrum_blocks(AB, y)
    (s,) = opus.read(write(opus_file([(data[0], data[1] + bytes(4)), status])))
    assert len(s) == 63


def test_non_numeric_parameter(write):
    with pytest.raises(FormatError, match=r"parameter CSF .* expected a number"):
        opus.read(write(opus_file(spectrum_blocks(AB, Y, CSF="x"))))


@pytest.mark.parametrize("factor", [0.0, -1.0, 1e-12, 1e300])
def test_a_scale_factor_no_file_holds_is_refused(write, factor):
    # CSF 0 was read as 1; a huge one made a spectrum of 1e300, refused by index only.
    data = with_number(opus_file(spectrum_blocks(AB, Y)), "CSF", factor)
    match = (
        rf"sample\.0: corrupt OPUS file: the y scaling factor of the AB block is "
        rf"{re.escape(f'{factor:g}')} "
        r"\(CSF\), which would scale every intensity by it; a factor lies between 1e-09 and 1e\+09$"
    )
    with pytest.raises(FormatError, match=match):
        opus.read(write(data))


@pytest.mark.parametrize("factor", [2.0, 0.5, 1.0000153])
def test_a_damaged_scale_factor_is_refused_by_the_extremes_opus_records(write, factor):
    # CSF 1.0 with one bit flipped (2.0, 0.5, or low in its mantissa) is a plausible factor:
    # only MXY and MNY, the scaled values' largest and smallest, show every value is off.
    data = with_number(opus_file(spectrum_blocks(AB, Y)), "CSF", factor)
    match = (
        rf"sample\.0: corrupt OPUS file: the AB block scaled by its factor {factor:g} \(CSF\) "
        rf"runs from {0.1 * factor:.6g} to {0.9 * factor:.6g}, but its data parameters state "
        rf"0\.1 to 0\.9 \(MNY, MXY\): every value is {factor:.6g} times the stated one: the "
        r"factor CSF is damaged$"
    )
    with pytest.raises(FormatError, match=match):
        opus.read(write(data))


def test_damaged_values_at_the_extremes_are_refused(write):
    y = np.asarray(Y, "<f4").copy()
    data = opus_file(spectrum_blocks(AB, y))
    at = data.index(y.tobytes()) + 4 * int(np.argmax(y))
    damaged = data[:at] + struct.pack("<f", 9.0) + data[at + 4 :]
    with pytest.raises(FormatError, match=r"runs from 0\.1 to 9, .*: the data or the factor"):
        opus.read(write(damaged))


def test_a_file_without_recorded_extremes_is_read_by_its_factor(write):
    # older or third-party writers may leave MXY and MNY out: without the single channels to
    # compute the spectrum from, the factor is then all there is, and a damaged one is read
    (s,) = opus.read(write(opus_file(spectrum_blocks(AB, Y, CSF=2.0, MXY="", MNY=""))))
    np.testing.assert_allclose(s.intensity, 2.0 * Y[::-1], rtol=1e-6)


CHANNEL_X = np.linspace(4000.0, 400.0, 64)
SAMPLE_CHANNEL = (1.0 + np.exp(-(((CHANNEL_X - 2000.0) / 900.0) ** 2))) * (
    1.0 - 0.6 * np.exp(-(((CHANNEL_X - 1600.0) / 30.0) ** 2))
)
REFERENCE_CHANNEL = 1.0 + np.exp(-(((CHANNEL_X - 2000.0) / 900.0) ** 2))


def with_channels(data_type, y, *, reference_margin=0, **status):
    """Blocks of a spectrum computed from single channels, as OPUS writes it, without the
    extremes (MXY, MNY) other writers leave out; the reference channel ``reference_margin``
    points wider at each end, as OPUS keeps it."""
    step = CHANNEL_X[1] - CHANNEL_X[0]
    margin = np.arange(1, reference_margin + 1) * step
    reference = np.concatenate(
        [np.full(reference_margin, 1.0), REFERENCE_CHANNEL, np.full(reference_margin, 1.0)]
    )
    ends = {"MXY": "", "MNY": ""}
    return [
        *spectrum_blocks(SC, SAMPLE_CHANNEL, channel=SAMPLE, **ends),
        *spectrum_blocks(
            SC,
            reference,
            channel=REFERENCE,
            first=4000.0 - (margin[-1] if reference_margin else 0.0),
            last=400.0 + (margin[-1] if reference_margin else 0.0),
            **ends,
        ),
        *spectrum_blocks(data_type, y, **ends, **status),
    ]


ABSORBANCE = -np.log10(SAMPLE_CHANNEL / REFERENCE_CHANNEL)


@pytest.mark.parametrize("margin", [0, 3])
def test_a_damaged_factor_without_extremes_is_refused_by_the_single_channels(write, margin):
    # AB is -log10(ScSm/ScRf) to float32 precision in every real file: a whole spectrum that
    # is a constant multiple of it has a damaged factor
    (s,) = opus.read(write(opus_file(with_channels(AB, ABSORBANCE, reference_margin=margin))))
    np.testing.assert_allclose(s.intensity, ABSORBANCE[::-1], rtol=1e-5, atol=1e-7)
    damaged = opus_file(with_channels(AB, ABSORBANCE, CSF=2.0, reference_margin=margin))
    with pytest.raises(
        FormatError,
        match=r"sample\.0: corrupt OPUS file: the AB block scaled by its factor 2 \(CSF\) is 2 "
        r"times the absorbance its single channels give \(-log10\(ScSm/ScRf\)\): the factor "
        r"CSF is damaged \(its data parameters state no MNY, MXY to check it by\)",
    ):
        opus.read(write(damaged))


def test_a_spectrum_processed_after_it_was_computed_is_read_though_its_channels_differ(write):
    # a baseline correction in OPUS changes AB, not the channels: no sign of damage
    corrected = ABSORBANCE - 0.02 * (CHANNEL_X - 400.0) / 3600.0
    (s,) = opus.read(write(opus_file(with_channels(AB, corrected))))
    np.testing.assert_allclose(s.intensity, corrected[::-1], rtol=1e-5, atol=1e-7)
    # transmittance is the channels' ratio, as a fraction or in percent
    ratio = SAMPLE_CHANNEL / REFERENCE_CHANNEL
    for scale, unit in [(1.0, "transmittance"), (100.0, "percent_transmittance")]:
        (t,) = opus.read(write(opus_file(with_channels(TR, scale * ratio))))
        assert t.y_unit == unit
    with pytest.raises(FormatError, match=r"is 0\.5 times the transmittance its single channels"):
        opus.read(write(opus_file(with_channels(TR, ratio, CSF=0.5))))


@pytest.mark.parametrize(
    ("first", "last", "problem"),
    [
        (1000.0, 1000.0, r"the axis from 1000 to 1000 \(FXV, LXV of the AB block\): no width"),
        (1e300, 400.0, r"the axis from 1e\+300 to 400 .*: beyond what any spectrum holds"),
    ],
)
def test_axis_ends_that_cannot_be_genuine_are_refused(write, first, last, problem):
    data = opus_file(spectrum_blocks(AB, Y))
    data = with_number(with_number(data, "FXV", first), "LXV", last)
    with pytest.raises(FormatError, match=rf"sample\.0: corrupt OPUS file: {problem}"):
        opus.read(write(data))


def test_unknown_axis_unit(write):
    with pytest.raises(FormatError, match="'MIN'"):
        opus.read(write(opus_file(spectrum_blocks(AB, Y, DXU="MIN"))))


def test_not_opus(write):
    with pytest.raises(FormatError, match="not an OPUS file: starts with 53 70 65 63"):
        opus.read(write(b"Spectral Data File" + bytes(100)))


def test_empty(write):
    with pytest.raises(FormatError, match="empty"):
        opus.read(write(b""))


@pytest.mark.parametrize("cut", [4, 23, 24, 40, 60, 200, 300, 400])
def test_truncated(write, cut):
    data = opus_file([*spectrum_blocks(AB, Y), sample_params(SNM="x")])
    path = write(data[:cut])
    with pytest.raises(FormatError) as info:
        opus.read(path)
    assert str(path) in str(info.value)


def opus_with_interferogram():
    """Absorbance first, then a large interferogram block the reader does not need."""
    interferogram = (type_code(data_type=IG, channel=SAMPLE), np.ones(1000, "<f4").tobytes())
    return opus_file([*spectrum_blocks(AB, Y), sample_params(SNM="x"), interferogram])


@pytest.mark.parametrize("keep", [0.3, 0.5, 0.7, 0.9, 0.99])
def test_file_cut_anywhere_is_refused_even_when_the_spectrum_is_whole(write, keep):
    data = opus_with_interferogram()
    cut = int(len(data) * keep)
    path = write(data[:cut])
    with pytest.raises(FormatError, match=r"truncated or corrupt OPUS file: expected") as info:
        opus.read(path)
    assert str(path) in str(info.value)


def test_cut_in_a_block_not_read_names_the_block_and_the_bytes_missing(write):
    data = opus_with_interferogram()
    start = len(data) - 4000
    with pytest.raises(
        FormatError,
        match=r"sample\.0: truncated or corrupt OPUS file: expected the IgSm block \(directory "
        rf"entry 5\) in 4000 bytes from offset {start}, but only 10 follow",
    ):
        opus.read(write(data[: start + 10]))
    (s,) = opus.read(write(data + bytes(100)))  # padding after the last block is harmless
    assert s.metadata["opus_blocks"] == ["AB", "IgSm"]


def test_sniff():
    assert opus.sniff(opus_file(spectrum_blocks(AB, Y)), None)
    assert not opus.sniff(b"WDF1" + bytes(10), None)


# -- real files ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rel", "npts", "first", "last", "modality", "block", "window", "peak"),
    [
        ("formats/opus/ftir_ps.0", 2126, 399.22, 4497.54, "ir", "AB", (1576, 1626), 1601.0),
        ("calibration/ir/polystyrene_atr.0", 2126, 399.22, 4497.54, "ir", "AB", (1576, 1626),
         1601.0),
        ("formats/opus/test.0001", 2567, 699.39, 3998.34, "ir", "AB", None, None),
        ("formats/opus/test_opus.0", 4096, 51.89, 4000.66, "raman", "RAM", (980, 1020), 1001.4),
    ],
)  # fmt: skip
def test_real_opus_files(shared_data, rel, npts, first, last, modality, block, window, peak):
    s = forensic.read_spectrum(shared_data / rel)
    assert len(s) == npts
    assert s.wavenumber[0] == pytest.approx(first, abs=0.01)
    assert s.wavenumber[-1] == pytest.approx(last, abs=0.01)
    assert s.modality == modality
    assert s.metadata["opus_block"] == block
    assert s.metadata["source_format"] == "opus"
    if peak is not None:  # test.0001 is an instrument test measurement with no known bands
        m = (s.wavenumber > window[0]) & (s.wavenumber < window[1])
        assert s.wavenumber[m][np.argmax(s.intensity[m])] == pytest.approx(peak, abs=3.0)


def test_real_opus_metadata(shared_data):
    s = forensic.read_spectrum(shared_data / "formats" / "opus" / "ftir_ps.0")
    assert s.y_unit == "absorbance"
    assert s.metadata["name"] == "sample1_PSnew"
    assert s.metadata["instrument_model"] == "VERTEX 70"
    assert s.metadata["acquired_at"] == "2020-10-28T19:33:02+00:00"
    assert "Diamond" in s.metadata["opus_accessory"]
    raman = forensic.read_spectrum(shared_data / "formats" / "opus" / "test_opus.0")
    assert raman.metadata["laser_wavelength_nm"] == pytest.approx(1064.4, abs=0.1)


def test_real_background_is_read_as_a_labelled_single_channel(shared_data):
    s = forensic.read_spectrum(shared_data / "formats" / "opus" / "background.0")
    assert s.metadata["opus_block"] == "ScRf"
    assert s.metadata["opus_data_type"] == "single-channel reference (background)"
    assert len(s) == 4096


def test_spa_file_forced_through_the_opus_reader(shared_data):
    path = shared_data / "formats" / "opus" / "not_opus.spa"
    with pytest.raises(FormatError, match="not an OPUS file"):
        forensic.read_spectrum(path, format="opus")


def test_truncated_real_file(shared_data, tmp_path):
    data = (shared_data / "formats" / "opus" / "ftir_ps.0").read_bytes()
    path = tmp_path / "cut.0"
    path.write_bytes(data[:130000])
    with pytest.raises(FormatError, match=r"cut\.0"):
        forensic.read_spectrum(path)


def test_real_opus_file_without_extremes_and_a_damaged_factor_is_refused(shared_data, tmp_path):
    # the same file as another writer would leave it, without MXY and MNY: its absorbance is
    # checked against its single channels instead
    data = (shared_data / "formats" / "opus" / "ftir_ps.0").read_bytes()
    data = data.replace(b"MXY\0", b"MXZ\0").replace(b"MNY\0", b"MNZ\0")
    path = tmp_path / "ftir_ps.0"
    path.write_bytes(data)
    assert len(forensic.read_spectrum(path)) == 2126
    # each factor of 1.0 doubled in turn: a single channel's leaves the absorbance whole (read);
    # the absorbance's own is refused
    one = b"CSF\0" + struct.pack("<hhd", 1, 4, 1.0)
    at = [m.start() for m in re.finditer(re.escape(one), data)]
    refused = []
    for i in at:
        path.write_bytes(data[:i] + b"CSF\0" + struct.pack("<hhd", 1, 4, 2.0) + data[i + 16 :])
        try:
            forensic.read_spectrum(path)
        except FormatError as exc:
            refused.append(str(exc))
    assert len(at) >= 3 and len(refused) == 1
    assert re.search(r"the AB block .* is 2 times the absorbance its single channels", refused[0])


def test_real_opus_file_with_a_damaged_scale_factor_is_refused(shared_data, tmp_path):
    # every spectrum block of ftir_ps.0 has CSF 1.0; the absorbance block read by 0.5 had
    # every band half as strong
    data = (shared_data / "formats" / "opus" / "ftir_ps.0").read_bytes()
    one = b"CSF\0" + struct.pack("<hhd", 1, 4, 1.0)
    assert data.count(one) >= 3
    path = tmp_path / "ftir_ps.0"
    path.write_bytes(data.replace(one, b"CSF\0" + struct.pack("<hhd", 1, 4, 0.5)))
    with pytest.raises(FormatError, match=r"the AB block .*: every value is 0\.5 times the stated"):
        forensic.read_spectrum(path)
