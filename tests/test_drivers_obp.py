"""OBP framing: the 44-byte header, flags, error codes, MD5 and footer; fuzzing."""

from __future__ import annotations

import hashlib
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.errors import ProtocolError
from drivers.obp import (
    FLAG_NACK,
    FLAG_REQUEST_ACK,
    FLAG_RESPONSE,
    MSG,
    OBPMessage,
    decode_message,
    encode_message,
    message_length,
)

# "Get serial number" request asking for an ACK, no checksum, built field by field from the
# documented layout (little-endian): start C1 C0, version 0x1100, flags 0x0004, error 0,
# type 0x00000100, regarding 0, 6 reserved, checksum type 0, immediate length 0, 16 immediate
# bytes, bytes remaining 20; then 16 checksum bytes and the footer C5 C4 C3 C2.
GET_SERIAL = bytes.fromhex(
    "c1c0 0011 0400 0000 00010000 00000000 000000000000 00 00"
    "00000000000000000000000000000000 14000000"
    "00000000000000000000000000000000 c5c4c3c2"
)


def test_request_is_byte_exact():
    frame = encode_message(MSG["get_serial"], flags=FLAG_REQUEST_ACK, checksum=False)
    assert len(frame) == 64
    assert frame == GET_SERIAL


def test_short_payloads_travel_in_the_immediate_field_with_md5():
    frame = encode_message(MSG["set_integration_time_us"], struct.pack("<I", 100_000))
    assert frame[22] == 1  # MD5
    assert frame[23] == 4 and frame[24:28] == struct.pack("<I", 100_000)
    assert frame[44:60] == hashlib.md5(frame[:44]).digest()
    message = decode_message(frame, strict=True)
    assert message == OBPMessage(MSG["set_integration_time_us"], struct.pack("<I", 100_000))


def test_long_payloads_follow_the_header():
    payload = bytes(range(256)) * 4
    frame = encode_message(MSG["get_raw_spectrum"], payload, flags=FLAG_RESPONSE)
    assert int.from_bytes(frame[40:44], "little") == len(payload) + 20
    assert message_length(frame[:44]) == len(frame)
    assert decode_message(frame).payload == payload


def test_error_codes_are_reported_in_words():
    frame = encode_message(MSG["get_raw_spectrum"], flags=FLAG_RESPONSE | FLAG_NACK, error=7)
    message = decode_message(frame)
    assert message.is_nack
    assert message.error_text() == "OBP error 7: device not ready for this message type"
    assert message.frame == frame  # its bytes, for the hex of the error that names it


@pytest.mark.parametrize(
    ("error", "said"),
    [
        # "too many buses" alone did not say that commands came from more than one interface
        (10, "OBP error 10: too many buses (commands came from too many bus interfaces)"),
        (12, "OBP error 12: the command is valid, but the information asked for does not exist"),
        (13, "OBP error 13: internal device error, may be unrecoverable"),
        # and that it is neither accepted nor refused yet ("Do not ACK or NACK yet")
        (
            255,
            "OBP error 255: operation deferred: the answer will take some time "
            "(no ACK or NACK yet)",
        ),
        (42, "OBP error 42: undocumented error code"),
    ],
)
def test_an_error_code_says_its_documented_meaning(error, said):
    frame = encode_message(MSG["get_serial"], flags=FLAG_RESPONSE | FLAG_NACK, error=error)
    assert decode_message(frame).error_text() == said


def test_checksum_mismatch_shows_the_frame():
    frame = bytearray(encode_message(MSG["get_raw_spectrum"], bytes(100)))
    frame[50] ^= 0xFF
    with pytest.raises(ProtocolError, match=r"checksum mismatch.*\[frame: c1 c0 00 11"):
        decode_message(bytes(frame))


def test_driver_tolerates_the_swapped_marker_order_the_simulator_does_not():
    frame = bytearray(encode_message(MSG["get_serial"], checksum=False))
    frame[:2] = b"\xc0\xc1"
    frame[-4:] = b"\xc2\xc3\xc4\xc5"
    assert decode_message(bytes(frame)).message_type == MSG["get_serial"]
    with pytest.raises(ProtocolError, match="must start with c1 c0"):
        decode_message(bytes(frame), strict=True)


def test_bad_version_length_and_footer_are_refused():
    good = encode_message(MSG["get_serial"], checksum=False)
    with pytest.raises(ProtocolError, match="protocol version"):
        decode_message(good[:2] + b"\x00\x10" + good[4:])
    with pytest.raises(ProtocolError, match="bytes-remaining"):
        message_length(good[:40] + b"\x01\x00\x00\x00")
    with pytest.raises(ProtocolError, match="footer"):
        decode_message(good[:-1] + b"\x00")
    with pytest.raises(ProtocolError, match="truncated"):
        decode_message(good[:50])


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=160), st.booleans())
def test_any_bytes_give_a_message_or_a_protocol_error(data, strict):
    try:
        length = message_length(data, strict=strict)
        if length is None:
            return
        message = decode_message(data[:length], strict=strict)
    except ProtocolError:
        return
    assert isinstance(message, OBPMessage)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**32 - 1), st.binary(max_size=300), st.integers(0, 0xFFFF), st.booleans())
def test_messages_round_trip(mtype, payload, flags, checksum):
    frame = encode_message(mtype, payload, flags=flags, checksum=checksum)
    message = decode_message(frame, strict=True)
    assert (message.message_type, message.payload, message.flags) == (mtype, payload, flags)


def test_a_request_echoed_back_is_not_taken_for_the_reply():
    # a loop-back (or a line that echoes) returns the driver's own request: of the type asked
    # for but not a response, it once passed as the reply and ended in a bare IndexError
    from drivers.errors import InstrumentError  # noqa: PLC0415
    from drivers.obp import OBPSpectrometer  # noqa: PLC0415
    from drivers.transport import SerialTransport  # noqa: PLC0415

    transport = SerialTransport("loop://")
    with pytest.raises(InstrumentError, match="no valid OBP reply"):
        OBPSpectrometer(transport, command_timeout_s=0.05)
    assert not transport.is_open


def test_asking_which_protocol_a_port_speaks_sends_no_ocean_rs232_command():
    # an OBP query sent to an Ocean RS-232 head, to find which protocol a port speaks, must
    # not switch its laser (J) or its line rate (K): none of its bytes is a command letter
    from drivers.obp import FLAG_REQUEST_ACK  # noqa: PLC0415
    from drivers.ocean_rs232 import parse_command  # noqa: PLC0415

    rest = encode_message(MSG["get_firmware"], flags=FLAG_REQUEST_ACK)
    while rest:
        command, used = parse_command(rest)
        assert command is not None and not command.known, (command, rest.hex(" "))
        rest = rest[used:]
