"""Ocean Binary Protocol (OBP) over a serial line: message framing and instrument.

Layout (one documented choice: the one python-seabreeze's ``pyseabreeze/protocol.py`` sends,
all fields little-endian; the simulator is strict to it, the driver tolerant of the byte
order of the start and footer markers)::

    offset size  field
     0     2     start bytes       C1 C0   (the 16-bit value 0xC0C1)
     2     2     protocol version  0x1100
     4     2     flags             0x0001 response, 0x0002 ACK, 0x0004 ACK requested,
                                   0x0008 NACK, 0x0010 hardware exception, 0x0020 deprecated
     6     2     error number      (see :data:`ERROR_CODES`)
     8     4     message type
    12     4     regarding
    16     6     reserved (zero)
    22     1     checksum type     0 none, 1 MD5
    23     1     immediate length  0-16
    24    16     immediate data    (payloads of up to 16 bytes travel here)
    40     4     bytes remaining   len(payload) + 16 + 4
    44     n     payload           (payloads longer than 16 bytes)
    44+n  16     checksum          MD5 of bytes 0..44+n, or zeros with checksum type 0
    60+n   4     footer            C5 C4 C3 C2 (the 32-bit value 0xC2C3C4C5)

Message types are Ocean's where published (spectrum, integration time, trigger mode,
wavelength and non-linearity coefficients, TEC temperature, serial number, firmware); the
scans-to-average and boxcar codes follow the Ocean HDX/FX list (*to verify on each model*).
The ``0x00F000xx`` types are this project's Raman-head extension (laser, interlock, excitation,
model name), not Ocean's; a unit answering "unknown message type" simply lacks the feature.
Pixel values are 16-bit little-endian.
"""

from __future__ import annotations

import hashlib
import struct
import time
from dataclasses import dataclass, field

import numpy as np

from drivers import base
from drivers.base import (
    Capabilities,
    DeviceInfo,
    DeviceModel,
    SerialSpectrometer,
    SettingRange,
    excitation_wavelength_nm,
)
from drivers.errors import (
    CommandRefused,
    InstrumentTimeout,
    NotSupported,
    ProtocolError,
    SpectrumTimeout,
    answer_deferred,
    command_refused,
    damaged_frame,
    spectrum_timeout,
    unknown_message,
)
from drivers.ocean_rs232 import wavelength_axis
from drivers.transport import SerialTransport

__all__ = [
    "ERROR_CODES",
    "ERROR_DEFERRED",
    "ERROR_UNKNOWN_MESSAGE",
    "MSG",
    "OBPMessage",
    "OBPSpectrometer",
    "answers_firmware",
    "decode_message",
    "encode_message",
    "message_length",
    "scan_allowance_s",
    "spectrum_message_size",
    "spectrum_transfer_s",
]

START = b"\xc1\xc0"
START_SWAPPED = b"\xc0\xc1"
FOOTER = b"\xc5\xc4\xc3\xc2"
FOOTER_SWAPPED = b"\xc2\xc3\xc4\xc5"
VERSION = 0x1100
HEADER_SIZE = 44
TRAILER_SIZE = 20
MAX_PAYLOAD = 1 << 20

FLAG_RESPONSE = 0x0001
FLAG_ACK = 0x0002
FLAG_REQUEST_ACK = 0x0004
FLAG_NACK = 0x0008
FLAG_HW_EXCEPTION = 0x0010
FLAG_DEPRECATED = 0x0020
CHECKSUM_NONE, CHECKSUM_MD5 = 0, 1

ERROR_CODES = {
    0: "success (no detectable errors)",
    1: "invalid or unsupported protocol",
    2: "unknown message type",
    3: "bad checksum",
    4: "message too large",
    5: "payload length does not match message type",
    6: "payload data invalid",
    7: "device not ready for this message type",
    8: "unknown checksum type",
    9: "device reset unexpectedly",
    10: "too many buses (commands came from too many bus interfaces)",
    11: "out of memory (not enough space to complete the request)",
    12: "the command is valid, but the information asked for does not exist",
    13: "internal device error, may be unrecoverable",
    100: "could not decrypt",
    101: "firmware layout invalid",
    102: "data packet was the wrong size",
    103: "hardware revision not compatible with firmware",
    104: "existing flash map not compatible with firmware",
    255: "operation deferred: the answer will take some time (no ACK or NACK yet)",
}
"""The meaning of each error number of a reply, as python-seabreeze's ``pyseabreeze/protocol.py``
(the source of the layout) documents it; :meth:`OBPMessage.error_text` says it."""

ERROR_UNKNOWN_MESSAGE = 2
"""The error number of a message the device does not know: a feature it lacks, or, for a
message the driver needs, an error naming the reply's bytes
(:func:`~drivers.errors.unknown_message`)."""

ERROR_DEFERRED = 255
"""The error number of an answer put off. Its source documents what it means, not how the
answer comes later, so the driver does not wait for it: an error saying so
(:func:`~drivers.errors.answer_deferred`)."""

MSG = {
    "get_firmware": 0x00000090,
    "get_serial": 0x00000100,
    "get_raw_spectrum": 0x00101100,
    "get_integration_time_us": 0x00110000,
    "set_integration_time_us": 0x00110010,
    "set_trigger_mode": 0x00110110,
    "set_scans_to_average": 0x00120010,
    "set_boxcar_width": 0x00121010,
    "get_wl_coeff_count": 0x00180100,
    "get_wl_coeff": 0x00180101,
    "get_nl_coeff_count": 0x00181100,
    "get_nl_coeff": 0x00181101,
    "get_tec_temperature": 0x00420004,
    "get_laser_enable": 0x00F00000,
    "set_laser_enable": 0x00F00010,
    "get_interlock": 0x00F00020,
    "get_laser_wavelength": 0x00F00030,
    "get_laser_power": 0x00F00031,
    "get_model": 0x00F00040,
}
"""Message types by name."""

_IN_WORDS = {
    "get_raw_spectrum": "the scan",
    "set_integration_time_us": "the integration time",
    "set_scans_to_average": "the number of scans to average",
    "set_boxcar_width": "the boxcar width",
    "set_trigger_mode": "the trigger mode",
    "set_laser_enable": "the laser switch",
    "get_laser_enable": "the laser read-back",
    "get_interlock": "the interlock read-out",
}
"""What a technician reading an error calls the messages a scan sends."""


def _in_words(name: str) -> str:
    """A message as an error names it: ``the scan (message get_raw_spectrum)``."""
    return f"{_IN_WORDS[name]} (message {name})" if name in _IN_WORDS else f"message {name}"


_HEADER = struct.Struct("<2sHHHII6sBB16sI")


@dataclass(frozen=True)
class OBPMessage:
    """One decoded OBP message.

    Attributes
    ----------
    message_type : int
        The OBP message type (the command, ``0x00000100`` for the serial number).
    payload : bytes
        The data carried: the immediate data for 16 bytes or fewer, otherwise the payload.
    flags : int
        The flags word (response, ACK, NACK, hardware exception bits).
    error : int
        The device's error code, 0 for none (:data:`ERROR_CODES`).
    regarding : int
        The ``regarding`` field, echoed by the device from the request.
    checksum_type : int
        0 for no checksum, 1 for MD5.
    frame : bytes
        The whole message as received (:func:`decode_message`), for the hex of an error about
        it; empty for a message built in code. Not part of the message's value (equality).
    """

    message_type: int
    payload: bytes = b""
    flags: int = 0
    error: int = 0
    regarding: int = 0
    checksum_type: int = CHECKSUM_MD5
    frame: bytes = field(default=b"", compare=False, repr=False)

    @property
    def is_nack(self) -> bool:
        """True when the device refused the request."""
        return bool(self.flags & (FLAG_NACK | FLAG_HW_EXCEPTION)) or self.error != 0

    def error_text(self) -> str:
        """The error number and its documented meaning (:data:`ERROR_CODES`):
        ``"OBP error 7: device not ready for this message type"``."""
        return f"OBP error {self.error}: {ERROR_CODES.get(self.error, 'undocumented error code')}"


def encode_message(
    message_type: int,
    payload: bytes = b"",
    *,
    flags: int = 0,
    error: int = 0,
    regarding: int = 0,
    checksum: bool = True,
) -> bytes:
    """Bytes of one OBP message (short payloads in the immediate field, MD5 when asked).

    Parameters
    ----------
    message_type : int
        The OBP message type (the command).
    payload : bytes
        The data to send: 16 bytes or fewer go in the immediate field, more in the body.
    flags : int
        The flags word (0 for a request from the host).
    error : int
        Error code (a simulated device's reply; 0 for none).
    regarding : int
        The ``regarding`` field.
    checksum : bool
        Append the MD5 of the header and body (otherwise 16 zero bytes, checksum type 0).

    Returns
    -------
    bytes
        The whole message: 44-byte header, body, 16-byte checksum and 4-byte footer.

    Raises
    ------
    ProtocolError
        The payload is longer than :data:`MAX_PAYLOAD` bytes.

    Examples
    --------
    >>> frame = encode_message(0x00000100, checksum=False)
    >>> len(frame), frame[:4].hex(), frame[-4:].hex()
    (64, 'c1c00011', 'c5c4c3c2')
    """
    payload = bytes(payload)
    if len(payload) > MAX_PAYLOAD:
        raise ProtocolError(f"OBP payload of {len(payload)} bytes exceeds {MAX_PAYLOAD}")
    immediate = payload if len(payload) <= 16 else b""
    body = b"" if len(payload) <= 16 else payload
    header = _HEADER.pack(
        START,
        VERSION,
        flags,
        error,
        message_type,
        regarding,
        b"\x00" * 6,
        CHECKSUM_MD5 if checksum else CHECKSUM_NONE,
        len(immediate),
        immediate.ljust(16, b"\x00"),
        len(body) + TRAILER_SIZE,
    )
    digest = hashlib.md5(header + body).digest() if checksum else b"\x00" * 16
    return header + body + digest + FOOTER


def message_length(data: bytes, *, strict: bool = False) -> int | None:
    """Total length of the message starting ``data``, or None until 44 bytes are there.

    Parameters
    ----------
    data : bytes
        Bytes received so far, starting with the message's first byte.
    strict : bool
        Refuse the swapped start byte order (the simulator is strict; the driver is not).

    Returns
    -------
    int or None
        The total length in bytes (header, body, checksum and footer), or None while fewer than
        44 bytes (the header) have arrived.

    Raises
    ------
    ProtocolError
        Wrong start bytes or version, or an impossible length.
    """
    data = bytes(data)
    starts = (START,) if strict else (START, START_SWAPPED)
    if len(data) >= 2 and data[:2] not in starts:
        raise ProtocolError(
            f"OBP message must start with {START.hex(' ')}", frame=data[:HEADER_SIZE]
        )
    if len(data) < HEADER_SIZE:
        return None
    version = int.from_bytes(data[2:4], "little")
    if version != VERSION:
        raise ProtocolError(
            f"OBP protocol version {version:#06x}, expected {VERSION:#06x}",
            frame=data[:HEADER_SIZE],
        )
    remaining = int.from_bytes(data[40:44], "little")
    if not TRAILER_SIZE <= remaining <= MAX_PAYLOAD + TRAILER_SIZE:
        raise ProtocolError(
            f"OBP bytes-remaining field is {remaining}, expected "
            f"{TRAILER_SIZE}-{MAX_PAYLOAD + TRAILER_SIZE}",
            frame=data[:HEADER_SIZE],
        )
    return HEADER_SIZE + remaining


def decode_message(data: bytes, *, strict: bool = False) -> OBPMessage:
    """Decode exactly one complete message.

    Parameters
    ----------
    data : bytes
        The whole message.
    strict : bool
        Refuse the swapped start/footer byte orders (the simulator is strict; the driver is not).

    Returns
    -------
    OBPMessage
        The message, its payload taken from the immediate field or the body.

    Raises
    ------
    ProtocolError
        Truncated or trailing bytes, bad footer, immediate length over 16, or MD5 mismatch.
    """
    data = bytes(data)
    length = message_length(data, strict=strict)
    if length is None or len(data) < length:
        raise ProtocolError(f"OBP message truncated after {len(data)} bytes", frame=data)
    if len(data) > length:
        raise ProtocolError(
            f"OBP message is {length} bytes but {len(data) - length} more followed", frame=data
        )
    (_, _, flags, error, mtype, regarding, _, ctype, ilen, immediate, _) = _HEADER.unpack(
        data[:HEADER_SIZE]
    )
    footers = (FOOTER,) if strict else (FOOTER, FOOTER_SWAPPED)
    if data[-4:] not in footers:
        raise ProtocolError(
            f"OBP footer is {data[-4:].hex(' ')}, expected {FOOTER.hex(' ')}", frame=data
        )
    if ilen > 16:
        raise ProtocolError(f"OBP immediate length {ilen} exceeds 16", frame=data[:HEADER_SIZE])
    body = data[HEADER_SIZE : length - TRAILER_SIZE]
    if ilen and body:
        raise ProtocolError(
            "OBP message carries both immediate data and a payload", frame=data[:HEADER_SIZE]
        )
    if ctype == CHECKSUM_MD5:
        digest = hashlib.md5(data[: length - TRAILER_SIZE]).digest()
        sent = data[length - TRAILER_SIZE : length - 4]
        if digest != sent:
            raise ProtocolError(  # both digests in full made the line 400 characters long
                f"OBP checksum mismatch: the MD5 of the bytes is not the one the message carries "
                f"({sent[:4].hex()}...)",
                frame=data,
            )
    elif ctype != CHECKSUM_NONE:
        raise ProtocolError(
            f"OBP checksum type {ctype} is unknown (0 none, 1 MD5)", frame=data[:HEADER_SIZE]
        )
    return OBPMessage(
        message_type=mtype,
        payload=immediate[:ilen] if ilen else body,
        flags=flags,
        error=error,
        regarding=regarding,
        checksum_type=ctype,
        frame=data,
    )


def spectrum_message_size(pixels: int) -> int:
    """Bytes of the message that carries a spectrum of ``pixels`` pixels: two a pixel, and 64
    of header, checksum and footer.

    Parameters
    ----------
    pixels : int
        Pixels in the spectrum (more than 8, so that it does not fit the immediate field).

    Returns
    -------
    int
        The message's length in bytes (4160 for 2048 pixels).
    """
    return int(pixels) * 2 + HEADER_SIZE + TRAILER_SIZE


def spectrum_transfer_s(pixels: int, baud: int) -> float:
    """Line time (s) allowed for one spectrum message of ``pixels`` pixels at ``baud`` bit/s:
    :func:`spectrum_message_size` bytes, ten bits a byte (8N1); at 9600 baud a 2048-pixel
    spectrum takes 4.3 s.

    Parameters
    ----------
    pixels : int
        Pixels in the spectrum.
    baud : int
        Line rate (bit/s); 0 or less is taken as 1.

    Returns
    -------
    float
        The line time in seconds.
    """
    return spectrum_message_size(pixels) * 10.0 / max(int(baud), 1)


def scan_allowance_s(integration_time_ms: float, averages: int, pixels: int, baud: int) -> float:
    """:func:`drivers.base.scan_allowance_s` for the spectrum of ``pixels`` pixels at ``baud``
    (its line time: :func:`spectrum_transfer_s`).

    Parameters
    ----------
    integration_time_ms : float
        Integration time of one scan (ms).
    averages : int
        Scans averaged into the spectrum.
    pixels : int
        Pixels in the spectrum.
    baud : int
        Line rate (bit/s).

    Returns
    -------
    float
        The allowance in seconds.
    """
    return base.scan_allowance_s(integration_time_ms, averages, spectrum_transfer_s(pixels, baud))


# -- the instrument ------------------------------------------------------------------------


def answers_firmware(transport: SerialTransport, wait_s: float) -> bool:
    """Whether an OBP instrument answers at the port's current rate.

    Sends the firmware query, which changes nothing (nor is any of its bytes a command letter
    of the Ocean RS-232 set), so it is also safe to send to find out which protocol a port
    speaks.

    Parameters
    ----------
    transport : SerialTransport
        The open port.
    wait_s : float
        How long (s) to wait for the reply.

    Returns
    -------
    bool
        True for a valid reply to the query.
    """
    mtype = MSG["get_firmware"]
    transport.discard_input()
    transport.write(encode_message(mtype, flags=FLAG_REQUEST_ACK))
    deadline = time.monotonic() + wait_s
    buffer = bytearray()
    try:
        while True:
            length = message_length(bytes(buffer))
            if length is not None and len(buffer) >= length:
                reply = decode_message(bytes(buffer[:length]))
                return reply.message_type == mtype and bool(reply.flags & FLAG_RESPONSE)
            chunk = transport.read_some(65536 if length is None else length - len(buffer), deadline)
            if not chunk:
                return False
            buffer += chunk
    except ProtocolError:
        return False


_PROBE_RATES = (9600, 115200, 38400, 19200, 57600)

_MOST_PIXELS = 4096
"""A generous bound on the pixels of an OBP spectrometer's detector (twice the simulated
head's), for the line time of a spectrum before the instrument has said how many it sends."""

_CONNECT_INTEGRATION_US = 100_000
"""The integration time (µs) set on connecting, before the spectrum that counts the pixels."""


class OBPSpectrometer(SerialSpectrometer):
    """An Ocean spectrometer (FX/HDX/ST class, or a Raman head built on one) speaking OBP.

    Parameters
    ----------
    transport : SerialTransport
        The open port (owned).
    laser_wavelength_nm, laser_power_mw : float, optional
        Supply the excitation when the head does not report it; a wavelength more than
        :data:`~drivers.base.EXCITATION_TOLERANCE_NM` from the one it reports is refused.
    command_timeout_s : float, default 1.0
        Time allowed for replies other than a spectrum's.
    paced : bool, default False
        At 115200 baud and above, send messages one byte at a time about 1 ms apart
        (:attr:`SerialTransport.paced <drivers.transport.SerialTransport>`), for a unit that
        loses bytes otherwise; a message is 64 bytes or more, so it costs 64 ms each.
    """

    def __init__(
        self,
        transport: SerialTransport,
        *,
        laser_wavelength_nm: float | None = None,
        laser_power_mw: float | None = None,
        command_timeout_s: float = 1.0,
        paced: bool = False,
    ) -> None:
        self.transport = transport
        self.url = transport.url
        transport.paced = paced
        self.command_timeout_s = command_timeout_s
        try:
            self._connect()
            self._identify(laser_wavelength_nm, laser_power_mw)
            self.set_integration_time_ms(100)
            self.set_averages(1)
            if self.capabilities.boxcar:
                self.set_boxcar_width(0)
        except BaseException:
            self.close()
            raise

    # -- messages ---------------------------------------------------------------------------

    def exchange(
        self, name: str, payload: bytes = b"", *, timeout_s: float | None = None, retries: int = 2
    ) -> bytes:
        """Send message ``name`` (ACK requested) and return the reply payload.

        Queries and settings are idempotent and retried on timeouts and damaged replies,
        once the reply to the last sending has had the time to come and been dropped
        (:meth:`~drivers.transport.SerialTransport.let_answer_pass`); the spectrum request is
        not retried (``retries=0``).
        """
        mtype = MSG[name]
        frame = encode_message(mtype, payload, flags=FLAG_REQUEST_ACK)
        timeout_s = self.command_timeout_s if timeout_s is None else timeout_s
        self._skip_owed_spectrum()
        for attempt in range(retries + 1):
            try:
                self.transport.write(frame)
                if mtype != MSG["get_raw_spectrum"]:
                    reply = self._read_message(timeout_s, mtype)
                    break
                pixels = getattr(getattr(self, "model", None), "pixels", _MOST_PIXELS)
                line_s = spectrum_transfer_s(pixels, self.transport.baudrate)
                with self._owing_spectrum(timeout_s, line_s):
                    reply = self._read_message(timeout_s, mtype)
                break
            except (InstrumentTimeout, ProtocolError) as exc:
                if attempt == retries:
                    raise
                self.transport.let_answer_pass(exc, timeout_s)
        if reply.is_nack:
            said = (self.url, _in_words(name), reply.error_text())
            if reply.error == ERROR_UNKNOWN_MESSAGE:
                raise unknown_message(*said, frame=reply.frame)
            if reply.error == ERROR_DEFERRED:
                raise answer_deferred(*said, frame=reply.frame)
            raise command_refused(*said, frame=reply.frame)
        return reply.payload

    def _read_message(self, timeout_s: float, message_type: int) -> OBPMessage:
        """The reply of type ``message_type``, within ``timeout_s`` seconds.

        A whole reply of another type before it is passed over: one meant for a session that
        was stopped (the spectrum of the exposure it stopped, the laser switched off while the
        instrument was busy with it), which the instrument sends once its exposure ends. It is
        read to its end for as long as its bytes keep coming (a spectrum at 9600 baud takes
        seconds), and the time allowed starts again after it.
        """
        deadline = time.monotonic() + timeout_s
        buffer = bytearray()
        while True:
            try:
                length = message_length(bytes(buffer))
                if length is not None and len(buffer) >= length:
                    message = decode_message(bytes(buffer[:length]))
                    if message.message_type == message_type and message.flags & FLAG_RESPONSE:
                        return message
                    # another session's reply, or a request echoed back (a loop-back, a line
                    # that echoes): not the reply asked for
                    del buffer[:length]
                    deadline = max(deadline, time.monotonic() + timeout_s)
                    continue
            except ProtocolError as exc:
                raise damaged_frame(self.url, exc) from None
            stale = length is not None and int.from_bytes(buffer[8:12], "little") != message_type
            chunk = self.transport.read_some(
                65536 if length is None else length - len(buffer), deadline
            )
            if chunk and stale:  # another session's reply on its way: let it come
                deadline = max(deadline, time.monotonic() + timeout_s)
            if not chunk and message_type == MSG["get_raw_spectrum"]:
                if length is None and hasattr(self, "model"):
                    # less than its header came: the detector says how long it was to be
                    length = spectrum_message_size(self.model.pixels)
                raise spectrum_timeout(self.url, timeout_s, bytes(buffer), length)
            if not chunk:
                raise InstrumentTimeout(
                    f"{self.url}: OBP reply incomplete after {timeout_s:.2f} s ({len(buffer)} bytes"
                    f"{'' if length is None else f' of {length}'})",
                    received=bytes(buffer),
                )
            buffer += chunk

    def _optional(self, name: str, payload: bytes = b"", *, safety: bool = False) -> bytes | None:
        """The reply to ``name``, or None when the instrument has no such feature.

        An instrument without the feature does not know the message (OBP error 2). One that
        refuses it otherwise (not ready, an answer put off) has it too; for a feature of
        convenience (its model name, averaging) that is taken as its absence, but for one the
        laser's ``safety`` rests on (switching a laser left on off, reading the interlock) the
        refusal ends the connection: an instrument refusing to say whether its laser is on
        is not one whose laser has no switch.
        """
        try:
            return self.exchange(name, payload, retries=0)
        except NotSupported:
            return None
        except CommandRefused:
            if safety:
                raise
            return None

    # -- connection and identity ----------------------------------------------------------

    def _probe(self, wait_s: float | None = None) -> bool | None:
        """True when a valid reply comes at the port's current rate, False when bytes come
        but not one, None when nothing at all comes within ``wait_s`` (default 0.5 s at most)."""
        wait_s = min(self.command_timeout_s, 0.5) if wait_s is None else wait_s
        stale = self.transport.discard_input()
        before = self.transport.bytes_read
        try:
            self.exchange("get_firmware", timeout_s=wait_s, retries=0)
        except (InstrumentTimeout, ProtocolError):
            return False if stale or self.transport.bytes_read > before else None
        return True

    def _connect(self) -> None:
        self.transport.find_rate(
            self._probe,
            _PROBE_RATES,
            drain_s=spectrum_transfer_s(_MOST_PIXELS, self.transport.baudrate),
            command_timeout_s=self.command_timeout_s,
            asked="",
            device="an instrument",
            garbled="no valid OBP reply",
        )

    def _identify(self, laser_wavelength_nm: float | None, laser_power_mw: float | None) -> None:
        firmware = int.from_bytes(self.exchange("get_firmware")[:2], "little")
        serial = self.exchange("get_serial").rstrip(b"\x00").decode("ascii", "replace")
        model_name = (
            (self._optional("get_model") or b"OBP spectrometer")
            .rstrip(b"\x00")
            .decode("ascii", "replace")
        )
        count = self.exchange("get_wl_coeff_count")[0]
        coeffs = [
            struct.unpack("<f", self.exchange("get_wl_coeff", bytes([i]))[:4])[0]
            for i in range(count)
        ]
        nl_count = self._optional("get_nl_coeff_count")
        nonlin = []
        if nl_count:
            nonlin = [
                struct.unpack("<f", self.exchange("get_nl_coeff", bytes([i]))[:4])[0]
                for i in range(nl_count[0])
            ]
        self.nonlinearity_coefficients = nonlin
        self.wavelength_coefficients = coeffs
        # Safe state first: a laser left on by a crashed session is switched off before anything.
        laser = self._optional("get_laser_enable", safety=True) is not None
        if laser:
            self.exchange("set_laser_enable", b"\x00")
        # The pixel count comes from one read with the laser off, at a known exposure: the
        # instrument keeps what the last session set (a 9 s exposure, 50 averages), which a
        # fixed time never fitted, and a spectrum at 9600 baud takes seconds on the line.
        self.exchange("set_integration_time_us", struct.pack("<I", _CONNECT_INTEGRATION_US))
        averaging = self._optional("set_scans_to_average", struct.pack("<H", 1)) is not None
        try:
            probe = self.exchange(
                "get_raw_spectrum", timeout_s=self._pixel_count_timeout_s(), retries=0
            )
        except SpectrumTimeout as exc:
            raise self._pixel_count_late(serial, exc) from None
        pixels = len(probe) // 2
        if pixels < 16:
            raise ProtocolError(f"{self.url}: the spectrum holds {pixels} pixels", frame=probe)
        self.model = DeviceModel(
            model_name,
            pixels,
            SettingRange("integration_time_ms", 0.01, 10000.0, "ms", integer=False),
        )
        self._wavelengths = wavelength_axis(coeffs, np.arange(pixels))
        self.info = DeviceInfo(
            model=model_name,
            serial=serial,
            firmware=f"{firmware >> 8}.{firmware & 0xFF}",
            simulated=serial.upper().startswith("SIM"),
        )
        wl = self._optional("get_laser_wavelength")
        mw = self._optional("get_laser_power")
        self.laser_wavelength_nm = excitation_wavelength_nm(
            laser_wavelength_nm, struct.unpack("<f", wl[:4])[0] if wl else None, self.url
        )
        self.laser_power_mw = laser_power_mw or (struct.unpack("<f", mw[:4])[0] if mw else None)
        interlock = self._optional("get_interlock", safety=True) is not None
        self._has_tec = self._optional("get_tec_temperature") is not None
        boxcar = self._optional("set_boxcar_width", bytes([0])) is not None
        self.capabilities = Capabilities(
            laser=laser,
            laser_readback=laser,
            interlock=interlock,
            tec=self._has_tec,
            averaging=averaging,
            boxcar=boxcar,
            checksum=True,
        )

    def _pixel_count_timeout_s(self) -> float:
        """Time (s) allowed the spectrum that counts the pixels on connecting.

        Its allowance (:func:`scan_allowance_s` for the largest detector at the port's rate)
        and the command timeout, and as much again as the line time, at least
        :attr:`late_spectrum_s`: the instrument has just answered in OBP, so waiting longer
        costs nothing when all is well, while a line slower than its rate (an adapter's
        latency, a unit that pauses between bytes) or a short ``timeout=`` failed the connect
        with the command timeout as its only slack.
        """
        line_s = spectrum_transfer_s(_MOST_PIXELS, self.transport.baudrate)
        allowance = scan_allowance_s(
            _CONNECT_INTEGRATION_US / 1000.0, 1, _MOST_PIXELS, self.transport.baudrate
        )
        return allowance + self.command_timeout_s + max(self.late_spectrum_s, line_s)

    def _pixel_count_late(self, serial: str, late: SpectrumTimeout) -> InstrumentTimeout:
        """The timeout of the spectrum that counts the pixels, as the technician is told it.

        The instrument has answered OBP queries on this port already: what failed is that one
        read, not the port or the protocol, and a connect has no scan to do again.
        """
        read = (
            f"the {_CONNECT_INTEGRATION_US / 1000:g} ms read, laser off, that counts the "
            "detector's pixels"
        )
        answered = f"{self.url}: the instrument answered as OBP (serial {serial}), but"
        if not late.received:
            return InstrumentTimeout(
                f"{answered} sent no spectrum within {late.waited_s:.1f} s of {read}: it may be "
                "busy with something else (its own software, or a long exposure a stopped session "
                "asked for)",
                advice="close that software or let the exposure end, then connect again; if it "
                "fails again, switch the instrument off and on",
            )
        of = "" if late.expected is None else f" of {late.expected}"
        return InstrumentTimeout(
            f"{answered} the spectrum of {read} was incomplete after {late.waited_s:.1f} s "
            f"({len(late.received)}{of} bytes), more than twice its line time at "
            f"{self.transport.baudrate} baud: the line is slower than its rate or the "
            "instrument stopped sending",
            received=late.received,
            advice="check the cable and the adapter, then connect again (for a slow line, give a "
            "longer timeout=SECONDS in the instrument URL)",
        )

    # -- Spectrometer primitives ----------------------------------------------------------

    def _set_integration_time_ms(self, value: float) -> None:
        self.exchange("set_integration_time_us", struct.pack("<I", round(value * 1000)))

    def _set_averages(self, value: int) -> None:
        self.exchange("set_scans_to_average", struct.pack("<H", value))

    def _set_boxcar_width(self, value: int) -> None:
        self.exchange("set_boxcar_width", bytes([value]))

    def wavelengths_nm(self) -> np.ndarray:
        return self._wavelengths.copy()

    def set_laser(self, enabled: bool) -> None:
        if not self.capabilities.laser:
            raise NotSupported(f"{self.info.model}: no laser control")
        self.exchange("set_laser_enable", bytes([int(bool(enabled))]))

    def laser_enabled(self) -> bool:
        if not self.capabilities.laser_readback:
            raise NotSupported(f"{self.info.model}: the laser state cannot be read back")
        return self.exchange("get_laser_enable")[:1] == b"\x01"

    def interlock_closed(self) -> bool:
        if not self.capabilities.interlock:
            raise NotSupported(f"{self.info.model}: no interlock read-out")
        return self.exchange("get_interlock")[:1] == b"\x01"

    def detector_temperature_c(self) -> float | None:
        if not self._has_tec:
            return None
        return round(float(struct.unpack("<f", self.exchange("get_tec_temperature")[:4])[0]), 2)

    def scan_timeout_s(self) -> float:
        """Time allowed for one spectrum reply: :func:`scan_allowance_s` at the current
        settings and line rate, plus the command timeout."""
        allowance = scan_allowance_s(
            self.integration_time_ms, self.averages, self.model.pixels, self.transport.baudrate
        )
        return allowance + self.command_timeout_s

    def read_scan(self, timeout_s: float | None = None) -> np.ndarray:
        payload = self.exchange(
            "get_raw_spectrum",
            timeout_s=self.scan_timeout_s() if timeout_s is None else timeout_s,
            retries=0,
        )
        if len(payload) != 2 * self.model.pixels:
            raise ProtocolError(
                f"{self.url}: spectrum payload is {len(payload)} bytes, "
                f"expected {2 * self.model.pixels}",
                frame=payload[:64],
            )
        return np.frombuffer(payload, dtype="<u2").astype(np.float64)

    def _laser_off_command(self) -> bytes:
        return encode_message(MSG["set_laser_enable"], b"\x00")
