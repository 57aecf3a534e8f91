"""Ocean RS-232 framing: byte-exact examples built from the data sheets, and fuzzing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.errors import CommandRefused, InstrumentError, ProtocolError
from drivers.ocean_rs232 import (
    MODELS,
    Command,
    OceanRS232Spectrometer,
    decode_compressed,
    decode_spectrum,
    encode_command,
    encode_compressed,
    encode_spectrum,
    frame_length,
    nonlinearity_factor,
    parse_command,
    pixel_selection,
    wavelength_axis,
)
from drivers.transport import SerialTransport
from forensic.spectrum import Spectrum

# A 4-pixel spectrum, one scan of 100 ms, baseline 900, pixel mode 0, as the data sheet lays
# it out: STX, FFFF, flag 0, scans 1, 100 ms, baseline MSW 0 / LSW 0384, mode 0, data, FFFD.
HEADER = bytes.fromhex("02 ffff 0000 0001 0064 0000 0384 0000")
PIXELS = [1000, 1005, 990, 1500]
PLAIN = HEADER + bytes.fromhex("03e8 03ed 03de 05dc") + bytes.fromhex("fffd")
# Compressed: first pixel raw, +5 and -15 as signed bytes, +510 escaped as 80 + WORD.
COMPRESSED_DATA = bytes.fromhex("03e8 05 f1 80 05dc")


def test_commands_are_letter_plus_big_endian_words():
    assert encode_command("I", 100) == b"I\x00\x64"
    assert encode_command("A", 5000) == b"A\x13\x88"
    assert encode_command("K", 6) == b"K\x00\x06"
    assert encode_command("S") == b"S"
    assert encode_command("x", 1, query=True) == b"?x\x00\x01"
    assert encode_command("I", 100, ascii_mode=True) == b"I100\r"
    assert encode_command("P", 3, 10, 20, 2, ascii_mode=True) == b"P3\r10\r20\r2\r"
    with pytest.raises(ProtocolError, match="outside 0-65535"):
        encode_command("I", 70000)


def test_commands_parse_back():
    assert parse_command(b"I\x00\x64S") == (Command("I", (100,)), 3)
    assert parse_command(b"I\x00") == (None, 0)
    assert parse_command(b"P\x00\x03\x00\x0a\x00\x14\x00\x02") == (Command("P", (3, 10, 20, 2)), 9)
    assert parse_command(b"?x\x00\x10") == (Command("x", (16,), query=True), 4)
    assert parse_command(b"aA") == (Command("aA"), 2)
    assert parse_command(b"A12\r", ascii_mode=True) == (Command("A", (12,)), 4)
    command, used = parse_command(b"Z")
    assert not command.known and used == 1


def test_plain_frame_is_byte_exact_and_decodes():
    frame = encode_spectrum(PIXELS, scans=1, integration_time_ms=100, baseline=900)
    assert frame == PLAIN
    decoded = decode_spectrum(PLAIN, 4)
    assert decoded.counts.tolist() == PIXELS
    assert (decoded.scans, decoded.integration_time_ms, decoded.baseline) == (1, 100, 900)
    assert frame_length(PLAIN[:10], 4) is None
    assert frame_length(PLAIN, 4) == len(PLAIN)


def test_compressed_transfer_matches_the_documented_example():
    assert encode_compressed(np.array(PIXELS)) == COMPRESSED_DATA
    values, used = decode_compressed(COMPRESSED_DATA + b"\xff\xfd", 4)
    assert values.tolist() == PIXELS and used == len(COMPRESSED_DATA)
    frame = encode_spectrum(PIXELS, scans=1, integration_time_ms=100, baseline=900, compressed=True)
    assert frame == HEADER + COMPRESSED_DATA + bytes.fromhex("fffd")
    assert decode_spectrum(frame, 4, compressed=True).counts.tolist() == PIXELS


def test_escape_byte_inside_a_literal_is_not_a_token():
    values = [0x8080, 0x8081, 0x0080, 0x0081, 0x0080]
    data = encode_compressed(np.array(values))
    assert data == bytes.fromhex("8080 01 800080 01 ff")
    assert decode_compressed(data, 5)[0].tolist() == values


def test_checksum_is_the_16_bit_sum_of_the_pixels():
    frame = encode_spectrum([60000, 10000], scans=1, integration_time_ms=5, checksum=True)
    assert frame[-4:-2] == ((70000) & 0xFFFF).to_bytes(2, "big")
    assert decode_spectrum(frame, 2, checksum=True).checksum == 70000 & 0xFFFF
    damaged = bytearray(frame)
    damaged[16] ^= 0x01
    with pytest.raises(ProtocolError, match=r"checksum mismatch.*\[frame: 02 ff ff"):
        decode_spectrum(bytes(damaged), 2, checksum=True)


def test_accumulated_scans_travel_as_dwords():
    frame = encode_spectrum([70000, 3], scans=3, integration_time_ms=10)
    assert frame[3:5] == b"\x00\x01"  # data-size flag
    assert frame[15:23] == bytes.fromhex("00011170 00000003")
    assert decode_spectrum(frame, 2).counts.tolist() == [70000, 3]


def test_pixel_mode_three_sends_a_range():
    selection = pixel_selection(100, 3, (10, 20, 5))
    assert selection.tolist() == [10, 15, 20]
    frame = encode_spectrum(
        [1, 2, 3], scans=1, integration_time_ms=10, pixel_mode=3, pixel_params=(10, 20, 5)
    )
    decoded = decode_spectrum(frame, 100)
    assert decoded.pixel_params == (10, 20, 5) and decoded.counts.tolist() == [1, 2, 3]
    with pytest.raises(ProtocolError, match="pixel mode 3"):
        pixel_selection(100, 3, (20, 10, 1))


def test_ascii_frames_round_trip():
    frame = encode_spectrum(
        PIXELS, scans=1, integration_time_ms=100, checksum=True, ascii_mode=True
    )
    assert frame.startswith(b"\x0265535\r\n0\r\n1\r\n100\r\n")
    decoded = decode_spectrum(frame, 4, checksum=True, ascii_mode=True)
    assert decoded.counts.tolist() == PIXELS


def test_etx_means_not_enough_memory():
    with pytest.raises(CommandRefused, match="ETX"):
        frame_length(b"\x03", 4)


def test_wrong_end_word_and_trailing_bytes_are_refused():
    with pytest.raises(ProtocolError, match="FFFD"):
        decode_spectrum(PLAIN[:-1] + b"\xfe", 4)
    with pytest.raises(ProtocolError, match="more followed"):
        decode_spectrum(PLAIN + b"\x00", 4)


def test_wavelength_calibration_gives_the_raman_axis():
    coefficients = [790.0, 0.142, -6.0e-6, 0.0]
    wavelengths = wavelength_axis(coefficients, np.arange(2048))
    assert wavelengths[0] == pytest.approx(790.0)
    assert wavelengths[1000] == pytest.approx(790.0 + 142.0 - 6.0)
    spectrum = Spectrum.from_wavelength(wavelengths, np.ones(2048), laser_wavelength_nm=785.0)
    assert spectrum.wavenumber[0] == pytest.approx(1e7 / 785.0 - 1e7 / 790.0)
    with pytest.raises(ProtocolError, match="not monotonic"):
        wavelength_axis([500.0, 1.0, -0.0005, 0.0], np.arange(2048))
    with pytest.raises(ProtocolError, match="invalid wavelengths"):
        wavelength_axis([float("nan"), 1.0], np.arange(10))


def test_degenerate_nonlinearity_coefficients_switch_the_correction_off():
    counts = np.linspace(0, 60000, 50)
    assert nonlinearity_factor(counts, []) is None
    assert nonlinearity_factor(counts, [0.0, 0.0]) is None  # would divide by zero
    factor = nonlinearity_factor(counts, [0.9, 1e-6])
    assert factor is not None and np.all(factor > 0.89)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200), st.integers(1, 40), st.booleans(), st.booleans(), st.booleans())
def test_any_bytes_give_a_frame_or_a_protocol_error(data, pixels, compressed, checksum, ascii_mode):
    options = {"compressed": compressed, "checksum": checksum, "ascii_mode": ascii_mode}
    try:
        length = frame_length(data, pixels, **options)
    except ProtocolError:
        return
    if length is not None and length <= len(data):
        try:
            frame = decode_spectrum(data[:length], pixels, **options)
        except ProtocolError:
            return
        assert (
            frame.counts.size == pixel_selection(pixels, frame.pixel_mode, frame.pixel_params).size
        )


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=100), st.booleans())
def test_command_parser_never_crashes(data, ascii_mode):
    command, used = parse_command(data, ascii_mode=ascii_mode)
    assert 0 <= used <= len(data)
    assert (command is None) == (used == 0)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 65535), min_size=1, max_size=300))
def test_compression_round_trips(values):
    data = encode_compressed(np.array(values))
    decoded, used = decode_compressed(data + b"\xff\xfd", len(values))
    assert decoded.tolist() == values and used == len(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=120), st.integers(1, 60))
def test_compressed_decoder_gives_values_or_a_clear_error(data, count):
    try:
        values, used = decode_compressed(data, count)
    except ProtocolError:
        return
    assert values.size == count and used <= len(data)
    assert values.min() >= 0 and values.max() <= 65535


class _Feed:
    """A transport that delivers fixed bytes in small chunks, then silence."""

    url = "feed://"
    baudrate = 115200
    is_open = True

    def __init__(self, data: bytes, chunk: int):
        self.data, self.chunk = data, max(1, chunk)
        self.bytes_read = 0

    def write(self, data: bytes) -> None:
        pass

    def discard_input(self) -> bytes:
        return b""

    def read_some(self, limit: int, deadline: float) -> bytes:
        piece, self.data = self.data[: min(limit, self.chunk)], self.data[min(limit, self.chunk) :]
        self.bytes_read += len(piece)
        return piece

    def close(self) -> None:
        self.is_open = False


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300), st.integers(1, 64), st.booleans())
def test_driver_stream_reader_ends_in_a_frame_or_a_clear_error(data, chunk, compressed):
    spec = OceanRS232Spectrometer.__new__(OceanRS232Spectrometer)
    spec.transport = _Feed(data, chunk)
    spec.url, spec.ascii_mode, spec.checksum = "feed://", False, True
    spec.compression, spec.averages, spec.integration_time_ms = compressed, 1, 100
    spec.model = MODELS["USB2000"]
    try:
        spec.read_frame(timeout_s=0.01)
    except InstrumentError:
        return
    raise AssertionError("random bytes decoded as a complete 2048-pixel spectrum")


def test_loopback_is_not_mistaken_for_a_spectrometer():
    transport = SerialTransport("loop://")
    transport.write(b"echo")
    assert transport.read_exact(4, 1.0) == b"echo"
    with pytest.raises(ProtocolError, match="no legible reply to 'v'"):
        OceanRS232Spectrometer(transport, command_timeout_s=0.05)
    assert not transport.is_open


def test_a_stop_that_cuts_the_port_s_closing_short_still_releases_it():
    """A Ctrl-C inside pyserial's own closing left the transport holding a port half closed,
    or dropped it unclosed (its descriptor, and the lock on it, open until collected). It is
    closed all the same, and the stop then raised."""
    transport = SerialTransport("loop://")
    port = transport._port
    real_close, cut = port.close, []

    def close_cut_short():
        if not cut:
            cut.append(True)
            raise KeyboardInterrupt  # as Ctrl-C comes while pyserial closes the port
        real_close()

    port.close = close_cut_short
    with pytest.raises(KeyboardInterrupt):
        transport.close()
    assert cut and not port.is_open and not transport.is_open
    transport.close()  # idempotent: nothing left to release
