"""Ocean Optics RS-232 command set (USB2000/USB4000/Flame class): framing and instrument.

Framing (pure functions on bytes, shared by the driver and the simulator)
-------------------------------------------------------------------------
Sources: the USB4000 and Flame-S data sheets ("Firmware and Advanced Communications") and the
B&W Tek BTC100 notes collected in ``reference/instrument-protocols.md``. Where the sources leave a
choice, this module makes one and the simulator is strict to it; the choices are marked *choice*.

* A command is one ASCII letter followed by 16-bit data words. Binary mode (power-up default):
  words are big-endian (MSB first). ASCII mode (entered with ``aA``, left with ``bB``): words are
  decimal text ended by CR, and the device echoes every character it receives.
* Every command is answered by ACK (0x06) or NAK (0x15). Queries (``v``, ``?X`` for the value of
  setting ``X``) answer ACK followed by one data word (binary) or by decimal text + CR LF (ASCII).
  ``?x{slot}`` answers ACK followed by the configuration slot's ASCII text ended by CR (*choice*).
* ``S`` (acquire) answers STX then the spectrum, or ETX when the device lacks memory. The
  spectrum: WORD 0xFFFF, WORD data-size flag (0 = pixel WORDs, 1 = pixel DWORDs, used when scans
  are accumulated), WORD scans accumulated, WORD integration time (ms), WORD FPGA baseline MSW,
  WORD baseline LSW, WORD pixel mode, the pixel-mode parameters, the pixel data, the 16-bit
  checksum when checksum mode (``k``) is on, and WORD 0xFFFD.
* Checksum: the sum of the transmitted pixel values modulo 65536 (*choice*; Ocean's Technical
  Note 2 is not public).
* Compressed transfer (``G`` non-zero; WORD data only): the first pixel as a raw WORD, then per
  pixel one signed byte holding the difference from the previous pixel (-127..127), or the
  escape 0x80 followed by the full 16-bit value.
* Baud change: ``K{code}`` at the old rate -> ACK; the host waits > 50 ms, switches its port and
  sends ``K{code}`` again at the new rate -> ACK. Rate codes (Ocean table): 0 = 2400, 1 = 4800,
  2 = 9600, 3 = 19200, 4 = 38400, 6 = 115200 (5 unsupported). B&W Tek units use
  :data:`BWTEK_BAUD_CODES` instead (0 = 115200 ... 7 = 600).
* Configuration slots (``?x``): 0 serial number, 1-4 wavelength polynomial coefficients (0th-3rd
  order, λ(p) = Σ cᵢ pⁱ nm for pixel p), 6-13 non-linearity coefficients, 14 non-linearity
  order, 16 model name. Raman-head extension slots of this project (not Ocean's): 20 excitation
  wavelength (nm), 21 nominal laser power (mW).
* Laser control uses the lamp line ``J`` (0 off, 1 on) with read-back ``?J``. Extensions of this
  project for Raman heads built on these benches: ``?L`` interlock (1 = closed, safe; 0 = open)
  and ``?t`` detector temperature (signed WORD, tenths of °C). A NAK to an extension query means
  the head lacks the feature (capability discovery), never a failure.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass

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
    SettingError,
    command_refused,
    damaged_frame,
    spectrum_timeout,
)
from drivers.transport import QUIET_S, SerialTransport

__all__ = [
    "ACK",
    "BAUD_CODES",
    "BWTEK_BAUD_CODES",
    "ETX",
    "NAK",
    "STX",
    "Command",
    "OceanRS232Spectrometer",
    "SpectrumFrame",
    "answers_version",
    "decode_compressed",
    "decode_spectrum",
    "encode_command",
    "encode_compressed",
    "encode_spectrum",
    "frame_length",
    "parse_command",
    "pixel_selection",
    "scan_allowance_s",
    "spectrum_transfer_s",
    "wavelength_axis",
]

ACK, NAK, STX, ETX = 0x06, 0x15, 0x02, 0x03
START_WORD, END_WORD, ESCAPE = 0xFFFF, 0xFFFD, 0x80
BAUD_CODES = {0: 2400, 1: 4800, 2: 9600, 3: 19200, 4: 38400, 6: 115200}
BWTEK_BAUD_CODES = {0: 115200, 1: 38400, 2: 19200, 3: 9600, 4: 4800, 5: 2400, 6: 1200, 7: 600}
PIXEL_MODE_PARAMS = {0: 0, 1: 1, 3: 3}
"""Pixel modes supported and the number of parameter words each takes (0 all, 1 every n-th,
3 pixels x..y every n-th). Modes 2, 4 and 5 are not supported here."""

# Number of data words each command letter takes (P depends on its first word).
_WORDS = {"A": 1, "B": 1, "G": 1, "I": 1, "J": 1, "K": 1, "T": 1, "k": 1, "S": 0, "v": 0, "Q": 0}
_QUERYABLE = set("ABGIJKPTkLt")
_IN_WORDS = {
    "S": "the scan",
    "I": "the integration time",
    "A": "the number of scans to average",
    "B": "the boxcar width",
    "J": "the laser switch",
    "G": "compressed transfer",
    "k": "checksum mode",
    "P": "the pixel mode",
    "T": "the trigger mode",
    "K": "the change of line rate",
}
"""What a technician reading an error calls the commands a scan sends."""


def _in_words(letter: str, words: tuple[int, ...] = ()) -> str:
    """A command as an error names it: ``the integration time (command I[8000])``."""
    shown = f"command {letter}" + (str(list(words)) if words else "")
    return f"{_IN_WORDS[letter]} ({shown})" if letter in _IN_WORDS else shown


_HEADER_BYTES = 1 + 7 * 2  # STX + seven header words

MODELS = {
    "USB2000": DeviceModel("USB2000", 2048, SettingRange("integration_time_ms", 3, 65535, "ms")),
    "USB4000": DeviceModel(
        "USB4000",
        3648,
        SettingRange("integration_time_ms", 4, 65535, "ms"),
        dark_pixels=tuple(range(5, 18)),
    ),
    "FLAME-S": DeviceModel(
        "FLAME-S",
        2048,
        SettingRange("integration_time_ms", 1, 65535, "ms"),
        dark_pixels=tuple(range(6, 22)),
    ),
}


# -- commands ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    """One decoded command: its letter, data words, and whether it is a ``?`` query.

    Attributes
    ----------
    letter : str
        The command letter (``"I"``), or ``"aA"``/``"bB"`` for the mode switches.
    words : tuple of int
        The data words that followed, 0-65535 each.
    query : bool
        The command was a ``?`` query of the setting ``letter``.
    """

    letter: str
    words: tuple[int, ...] = ()
    query: bool = False

    @property
    def known(self) -> bool:
        """True when the letter is part of the supported command set."""
        if self.query:
            return self.letter in _QUERYABLE or self.letter == "x"
        return self.letter in _WORDS or self.letter in ("P", "aA", "bB")


def encode_command(
    letter: str, *words: int, ascii_mode: bool = False, query: bool = False
) -> bytes:
    """Bytes of one command.

    Parameters
    ----------
    letter : str
        The command letter (``"I"``), or ``"aA"``/``"bB"`` for the mode switches.
    *words : int
        Data words, 0-65535 each.
    ascii_mode : bool
        Encode words as decimal text + CR instead of big-endian binary words.
    query : bool
        Prefix ``?`` (query the value of setting ``letter``; ``"x"`` queries a slot).

    Returns
    -------
    bytes
        The command as sent on the line.

    Raises
    ------
    ProtocolError
        A data word is outside 0-65535.

    Examples
    --------
    >>> encode_command("I", 100).hex()
    '490064'
    >>> encode_command("I", 100, ascii_mode=True)
    b'I100\\r'
    """
    values = [int(w) for w in words]
    for value in values:
        if not 0 <= value <= 0xFFFF:
            raise ProtocolError(f"command {letter}: data word {value} is outside 0-65535")
    head = ("?" if query else "") + letter
    if ascii_mode:
        return (head + "".join(f"{v}\r" for v in values)).encode("ascii")
    return head.encode("ascii") + np.asarray(values, dtype=">u2").tobytes()


def _word_count(letter: str, first: int | None) -> int | None:
    if letter == "P":
        if first is None:
            return None
        return 1 + PIXEL_MODE_PARAMS.get(first, 0)
    return _WORDS.get(letter, 0)


def parse_command(buffer: bytes, *, ascii_mode: bool = False) -> tuple[Command | None, int]:
    """Decode the first command in ``buffer`` (device side).

    Parameters
    ----------
    buffer : bytes
        Bytes received by the device so far.
    ascii_mode : bool
        Data words arrive as decimal text ended by CR or LF, not as binary words.

    Returns
    -------
    (Command or None, int)
        The command and the number of bytes it used, or ``(None, 0)`` when more bytes are
        needed. Unknown letters come back as a command with ``known`` false, one byte used.
    """
    data = bytes(buffer)
    if not data:
        return None, 0
    if data[:2] in (b"aA", b"bB"):
        return Command(data[:2].decode()), 2
    if data[:1] in (b"a", b"b") and len(data) == 1:
        return None, 0
    query = data[:1] == b"?"
    pos = 1 if query else 0
    if len(data) <= pos:
        return None, 0
    letter = chr(data[pos])
    pos += 1
    if query:
        need: int | None = 1 if letter == "x" else 0
    else:
        need = _word_count(letter, None) if letter != "P" else None
    if not Command(letter, query=query).known:
        return Command(letter, query=query), pos
    words: list[int] = []
    while need is None or len(words) < need:
        if ascii_mode:
            ends = [i for i in (data.find(b"\r", pos), data.find(b"\n", pos)) if i >= 0]
            if not ends:
                if len(data) - pos > 6:
                    return Command("\x00"), len(data)  # run-on digits: garbage
                return None, 0
            end = min(ends)
            text = data[pos:end]
            pos = end + 1
            if not text.isdigit() or int(text) > 0xFFFF:
                return Command("\x00"), pos
            words.append(int(text))
        else:
            if len(data) < pos + 2:
                return None, 0
            words.append(int.from_bytes(data[pos : pos + 2], "big"))
            pos += 2
        if need is None:
            need = _word_count(letter, words[0])
    return Command(letter, tuple(words), query), pos


# -- compressed transfer -------------------------------------------------------------------------


def encode_compressed(values: np.ndarray) -> bytes:
    """Compress pixel WORDs: first raw, then signed byte differences or 0x80 + WORD.

    Parameters
    ----------
    values : array_like of int
        Pixel values, 0-65535 each.

    Returns
    -------
    bytes
        The compressed data; empty for no pixels.

    Raises
    ------
    ProtocolError
        A value is outside 0-65535.
    """
    v = np.asarray(values, dtype=np.int64)
    if v.size == 0:
        return b""
    if v.min() < 0 or v.max() > 0xFFFF:
        raise ProtocolError("compressed transfer carries 16-bit values only")
    diffs = np.diff(v)
    small = np.abs(diffs) <= 127
    lengths = np.where(small, 1, 3)
    offsets = 2 + np.concatenate(([0], np.cumsum(lengths)[:-1])) if diffs.size else np.zeros(0, int)
    out = np.empty(2 + int(lengths.sum()), dtype=np.uint8)
    out[0], out[1] = v[0] >> 8, v[0] & 0xFF
    out[offsets[small]] = diffs[small].astype(np.int8).view(np.uint8)
    big = offsets[~small]
    out[big] = ESCAPE
    out[big + 1] = v[1:][~small] >> 8
    out[big + 2] = v[1:][~small] & 0xFF
    return out.tobytes()


def _compressed_tokens(data: np.ndarray, count: int) -> tuple[np.ndarray, int] | None:
    """Start offsets of ``count`` tokens in ``data`` and the end offset, or None if incomplete.

    A token is one difference byte, or 0x80 plus two bytes. The chain of token starts is found
    by pointer doubling over all byte positions, so it is vectorised even when nearly every
    pixel is escaped (noisy, bright spectra).
    """
    size = data.size
    if count == 0:
        return np.zeros(0, dtype=np.int64), 0
    if size == 0:
        return None
    step = np.where(data == ESCAPE, 3, 1)
    nxt = np.minimum(np.arange(size) + step, size)
    nxt = np.append(nxt, size)  # the sentinel ``size`` means "ran out of bytes"
    starts = np.zeros(1, dtype=np.int64)
    jump = nxt
    while starts.size < count:
        starts = np.concatenate((starts, jump[starts]))
        jump = jump[jump]
    starts = starts[:count]
    if starts[-1] >= size:
        return None
    end = int(starts[-1] + step[starts[-1]])
    if end > size:
        return None
    return starts, end


@functools.lru_cache(maxsize=8)
def _cached_tokens(tail: bytes, count: int) -> tuple[np.ndarray, int] | None:
    """:func:`_compressed_tokens` on bytes, remembered: the streaming reader asks
    :func:`frame_length` and then :func:`decode_spectrum` about the same frame."""
    found = _compressed_tokens(np.frombuffer(tail, dtype=np.uint8), count)
    if found is not None:
        found[0].flags.writeable = False
    return found


def decode_compressed(data: bytes, count: int) -> tuple[np.ndarray, int]:
    """Decode ``count`` compressed pixels from the start of ``data``.

    Parameters
    ----------
    data : bytes
        The compressed pixel data, from its first byte (more may follow).
    count : int
        Pixels to decode; 0 or less decodes none.

    Returns
    -------
    (ndarray of int64, shape (count,), int)
        The pixel values and the number of bytes used.

    Raises
    ------
    ProtocolError
        Too few bytes, or the differences leave the 0-65535 range.
    """
    raw = np.frombuffer(bytes(data), dtype=np.uint8)
    if count <= 0:
        return np.zeros(0, dtype=np.int64), 0
    if raw.size < 2:
        raise ProtocolError("compressed spectrum truncated before its first pixel", frame=data)
    first = int(raw[0]) << 8 | int(raw[1])
    found = _cached_tokens(bytes(data[2:]), count - 1)
    if found is None:
        raise ProtocolError(
            f"compressed spectrum truncated: fewer than {count} pixels in {raw.size} bytes",
            frame=data,
        )
    starts, end = found
    tail = raw[2:].astype(np.int64)
    escaped = tail[starts] == ESCAPE
    delta = np.where(escaped, 0, raw[2:][starts].view(np.int8).astype(np.int64))
    safe = np.minimum(starts[escaped], tail.size - 3)
    literals = (tail[safe + 1] << 8) | tail[safe + 2]
    cumulative = np.cumsum(delta)
    segment = np.cumsum(escaped)
    base = np.concatenate(([first], literals))
    offset = np.concatenate(([0], cumulative[escaped]))
    values = np.concatenate(([first], base[segment] + cumulative - offset[segment]))
    bad = (values < 0) | (values > 0xFFFF)
    if bad.any():
        index = int(np.argmax(bad))
        raise ProtocolError(
            f"compressed spectrum decodes to {values[index]} at pixel {index}, outside 0-65535",
            frame=data[: 2 + end],
        )
    return values, 2 + end


# -- spectrum frames ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpectrumFrame:
    """A decoded ``S`` reply.

    Attributes
    ----------
    counts : ndarray of int64, shape (pixels,)
        Pixel values as transmitted: sums over ``scans`` when ``data_size_flag`` is 1.
    scans, integration_time_ms, baseline, pixel_mode : int
    pixel_params : tuple of int
    data_size_flag : int
    checksum : int or None
    """

    counts: np.ndarray
    scans: int
    integration_time_ms: int
    baseline: int
    pixel_mode: int
    pixel_params: tuple[int, ...]
    data_size_flag: int
    checksum: int | None


def pixel_selection(total_pixels: int, pixel_mode: int, params: tuple[int, ...]) -> np.ndarray:
    """Indices of the pixels transmitted in ``pixel_mode`` with ``params``.

    Parameters
    ----------
    total_pixels : int
        Pixels of the detector.
    pixel_mode : int
        0 (every pixel), 1 (every n-th) or 3 (every n-th from x to y).
    params : tuple of int
        The mode's parameters: none for 0, ``(n,)`` for 1, ``(x, y, n)`` for 3.

    Returns
    -------
    ndarray of int, shape (transmitted,)
        The indices of the pixels sent, in order.

    Raises
    ------
    ProtocolError
        The mode is not supported, or its parameters do not fit the detector.
    """
    if pixel_mode == 0:
        return np.arange(total_pixels)
    if pixel_mode == 1 and len(params) == 1 and params[0] >= 1:
        return np.arange(0, total_pixels, params[0])
    if pixel_mode == 3 and len(params) == 3:
        first, last, every = params
        if 0 <= first <= last < total_pixels and every >= 1:
            return np.arange(first, last + 1, every)
    raise ProtocolError(
        f"pixel mode {pixel_mode} with parameters {list(params)} is not valid for a "
        f"{total_pixels}-pixel detector (supported: 0; 1 n; 3 x y n)"
    )


def encode_spectrum(
    counts: np.ndarray,
    *,
    scans: int,
    integration_time_ms: int,
    baseline: int = 0,
    pixel_mode: int = 0,
    pixel_params: tuple[int, ...] = (),
    compressed: bool = False,
    checksum: bool = False,
    ascii_mode: bool = False,
) -> bytes:
    """Bytes of a complete ``S`` reply (STX included), as the device sends it.

    ``counts`` are the transmitted values (already summed over ``scans``). The data-size flag
    is 1 when ``scans`` > 1 (accumulated scans need DWORDs); compression applies to WORD data
    only, and never in ASCII mode.

    Parameters
    ----------
    counts : array_like of int, shape (pixels,)
        The transmitted pixel values: 0-65535 for one scan, 0-4294967295 when accumulated.
    scans : int
        Scans accumulated (the header's scan count).
    integration_time_ms : int
        Integration time (ms) for the header.
    baseline : int
        The baseline (dark offset) for the header, 32 bits.
    pixel_mode : int
        The pixel mode (0 all pixels, 1 every n-th, 3 every n-th of a range).
    pixel_params : tuple of int
        The pixel mode's parameters.
    compressed : bool
        Compress the pixel data (WORD data in binary mode only).
    checksum : bool
        Put a checksum word (the pixel sum, 16 bits) before the end word.
    ascii_mode : bool
        Send decimal text, one number a line, instead of binary words.

    Returns
    -------
    bytes
        The reply, STX to the end word ``FFFD``.

    Raises
    ------
    ProtocolError
        A value is outside the range its data size can carry.
    """
    values = np.asarray(counts, dtype=np.int64)
    flag = 1 if scans > 1 else 0
    limit = 0xFFFFFFFF if flag else 0xFFFF
    if values.size and (values.min() < 0 or values.max() > limit):
        raise ProtocolError(f"pixel values must lie in 0-{limit} for data-size flag {flag}")
    header = [
        START_WORD,
        flag,
        scans,
        integration_time_ms,
        (baseline >> 16) & 0xFFFF,
        baseline & 0xFFFF,
        pixel_mode,
        *pixel_params,
    ]
    total = int(values.sum()) & 0xFFFF
    if ascii_mode:
        numbers = [*header, *values.tolist(), *([total] if checksum else []), END_WORD]
        return bytes([STX]) + "".join(f"{n}\r\n" for n in numbers).encode("ascii")
    parts = [bytes([STX]), np.asarray(header, dtype=">u2").tobytes()]
    if flag:
        parts.append(values.astype(">u4").tobytes())
    elif compressed:
        parts.append(encode_compressed(values))
    else:
        parts.append(values.astype(">u2").tobytes())
    if checksum:
        parts.append(total.to_bytes(2, "big"))
    parts.append(END_WORD.to_bytes(2, "big"))
    return b"".join(parts)


def _ascii_numbers(data: bytes, count: int) -> tuple[np.ndarray, int] | None:
    """The first ``count`` CR LF-terminated decimal numbers after STX, and the bytes used."""
    raw = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(raw == 0x0A)
    if ends.size < count:
        return None
    end = int(ends[count - 1]) + 1
    text = data[1:end]
    pieces = text.split()
    if len(pieces) != count or not all(p.isdigit() and len(p) <= 10 for p in pieces):
        raise ProtocolError(
            "ASCII spectrum holds something other than decimal numbers", frame=data[:end]
        )
    return np.array([int(p) for p in pieces], dtype=np.int64), end


def frame_length(
    data: bytes,
    total_pixels: int,
    *,
    compressed: bool = False,
    checksum: bool = False,
    ascii_mode: bool = False,
) -> int | None:
    """Length in bytes of the ``S`` reply at the start of ``data``, or None if more is needed.

    Parameters
    ----------
    data : bytes
        Bytes received so far, starting with the reply's first byte.
    total_pixels : int
        Pixels of the detector (in pixel mode 0).
    compressed : bool
        The pixel data is compressed (``G1``).
    checksum : bool
        A checksum word precedes the end word (``k1``).
    ascii_mode : bool
        The reply is decimal text, one number a line.

    Returns
    -------
    int or None
        The reply's length in bytes, or None until enough has arrived to tell.

    Raises
    ------
    CommandRefused
        The reply is ETX: the device lacks memory for the request.
    ProtocolError
        The bytes cannot begin a valid reply (wrong start, unknown flag or pixel mode).
    """
    data = bytes(data)
    if not data:
        return None
    if data[0] == ETX:
        raise CommandRefused(
            "the spectrometer answered ETX: not enough memory for this scan", frame=data[:1]
        )
    if data[0] != STX:
        raise ProtocolError(
            f"spectrum reply must start with STX (02), got {data[0]:02x}", frame=data
        )
    if ascii_mode:
        head = _ascii_numbers(data, 7)
        if head is None:
            return None
        words = head[0]
        _check_header(words, data)
        n_params = PIXEL_MODE_PARAMS[int(words[6])]
        full = _ascii_numbers(data, 7 + n_params)
        if full is None:
            return None
        params = tuple(int(p) for p in full[0][7:])
        n = pixel_selection(total_pixels, int(words[6]), params).size
        found = _ascii_numbers(data, 7 + n_params + n + int(checksum) + 1)
        return None if found is None else found[1]
    if len(data) < _HEADER_BYTES:
        return None
    words = np.frombuffer(data[1:_HEADER_BYTES], dtype=">u2").astype(np.int64)
    _check_header(words, data)
    n_params = PIXEL_MODE_PARAMS[int(words[6])]
    data_start = _HEADER_BYTES + 2 * n_params
    if len(data) < data_start:
        return None
    params = tuple(np.frombuffer(data[_HEADER_BYTES:data_start], dtype=">u2").tolist())
    n = pixel_selection(total_pixels, int(words[6]), params).size
    trailer = 2 * int(checksum) + 2
    if words[1] == 1:
        return data_start + 4 * n + trailer
    if not compressed:
        return data_start + 2 * n + trailer
    if n == 0:
        return data_start + trailer
    if len(data) < data_start + 2:
        return None
    found = _cached_tokens(data[data_start + 2 :], n - 1)
    return None if found is None else data_start + 2 + found[1] + trailer


def _check_header(words: np.ndarray, data: bytes) -> None:
    if words[0] != START_WORD:
        raise ProtocolError(
            f"spectrum must begin with word FFFF, got {int(words[0]):04X}", frame=data[:16]
        )
    if words[1] not in (0, 1):
        raise ProtocolError(f"data-size flag must be 0 or 1, got {int(words[1])}", frame=data[:16])
    if int(words[6]) not in PIXEL_MODE_PARAMS:
        raise ProtocolError(
            f"unsupported pixel mode {int(words[6])} in spectrum header", frame=data[:16]
        )


def decode_spectrum(
    data: bytes,
    total_pixels: int,
    *,
    compressed: bool = False,
    checksum: bool = False,
    ascii_mode: bool = False,
) -> SpectrumFrame:
    """Decode one complete ``S`` reply (exactly the bytes of :func:`frame_length`).

    Parameters
    ----------
    data : bytes
        The whole reply, STX to the end word.
    total_pixels : int
        Pixels of the detector (in pixel mode 0), for the pixel modes that send fewer.
    compressed : bool
        The pixel data is compressed (``G1``); applies to WORD data only.
    checksum : bool
        A checksum word precedes the end word (``k1``).
    ascii_mode : bool
        The reply is decimal text, one number a line.

    Returns
    -------
    SpectrumFrame
        The pixel values and the header (scans, integration time, baseline, pixel mode).

    Raises
    ------
    ProtocolError
        Truncated, trailing bytes, bad end word, or checksum mismatch (frame bytes in hex).
    """
    data = bytes(data)
    length = frame_length(
        data, total_pixels, compressed=compressed, checksum=checksum, ascii_mode=ascii_mode
    )
    if length is None:
        raise ProtocolError(f"spectrum reply truncated after {len(data)} bytes", frame=data)
    if len(data) != length:
        raise ProtocolError(
            f"spectrum reply is {length} bytes but {len(data) - length} more followed", frame=data
        )
    if ascii_mode:
        numbers = _ascii_numbers(data, data.count(b"\n"))[0]
        header = numbers[:7]
        n_params = PIXEL_MODE_PARAMS[int(header[6])]
        params = tuple(int(p) for p in numbers[7 : 7 + n_params])
        body = numbers[7 + n_params :]
        values = body[: body.size - 1 - int(checksum)]
        sent = int(body[-2]) if checksum else None
        end = int(body[-1])
    else:
        header = np.frombuffer(data[1:_HEADER_BYTES], dtype=">u2").astype(np.int64)
        n_params = PIXEL_MODE_PARAMS[int(header[6])]
        start = _HEADER_BYTES + 2 * n_params
        params = tuple(np.frombuffer(data[_HEADER_BYTES:start], dtype=">u2").tolist())
        n = pixel_selection(total_pixels, int(header[6]), params).size
        stop = length - 2 - 2 * int(checksum)
        if header[1] == 1:
            values = np.frombuffer(data[start:stop], dtype=">u4").astype(np.int64)
        elif compressed:
            values, _ = decode_compressed(data[start:], n)  # same bytes frame_length scanned
        else:
            values = np.frombuffer(data[start:stop], dtype=">u2").astype(np.int64)
        sent = int.from_bytes(data[stop : stop + 2], "big") if checksum else None
        end = int.from_bytes(data[-2:], "big")
    if end != END_WORD:
        raise ProtocolError(f"spectrum must end with word FFFD, got {end:04X}", frame=data[-16:])
    if values.size and header[1] == 0 and values.max() > 0xFFFF:
        raise ProtocolError("WORD spectrum holds a value above 65535", frame=data[:32])
    if sent is not None:
        total = int(values.sum()) & 0xFFFF
        if total != sent:
            raise ProtocolError(
                f"spectrum checksum mismatch: frame says {sent:04X}, "
                f"pixel data sums to {total:04X}",
                frame=data,
            )
    return SpectrumFrame(
        counts=values,
        scans=int(header[2]),
        integration_time_ms=int(header[3]),
        baseline=int(header[4]) << 16 | int(header[5]),
        pixel_mode=int(header[6]),
        pixel_params=params,
        data_size_flag=int(header[1]),
        checksum=sent,
    )


def wavelength_axis(coefficients: list[float] | np.ndarray, pixels: np.ndarray) -> np.ndarray:
    """λ(p) = Σ cᵢ pⁱ (nm) for pixel indices ``pixels``; refuses a non-finite or flat axis.

    Parameters
    ----------
    coefficients : sequence of float
        The calibration coefficients c₀, c₁, ..., constant first (nm, nm/pixel, ...).
    pixels : array_like of int
        Pixel indices.

    Returns
    -------
    ndarray of float64, same shape as ``pixels``
        The wavelength of each pixel (nm).

    Raises
    ------
    ProtocolError
        A wavelength is not finite or not positive, or the axis is not monotonic.
    """
    coeffs = np.asarray(coefficients, dtype=np.float64)
    wavelengths = np.polynomial.polynomial.polyval(np.asarray(pixels, dtype=np.float64), coeffs)
    if not np.all(np.isfinite(wavelengths)) or np.any(wavelengths <= 0):
        raise ProtocolError(f"wavelength calibration {coeffs.tolist()} gives invalid wavelengths")
    if wavelengths.size > 1 and not (
        np.all(np.diff(wavelengths) > 0) or np.all(np.diff(wavelengths) < 0)
    ):
        raise ProtocolError(
            f"wavelength calibration {coeffs.tolist()} is not monotonic over the detector"
        )
    return wavelengths


def nonlinearity_factor(counts: np.ndarray, coefficients: list[float]) -> np.ndarray | None:
    """Ocean's non-linearity correction divisor Σ cᵢ countsⁱ, or None when it is unusable.

    Missing or degenerate coefficients (a divisor that is zero, negative or not finite
    anywhere) have produced infinities in open drivers; here they switch the correction off,
    and :func:`drivers.acquisition.acquire` warns of it with the spectrum.
    """
    if not coefficients:
        return None
    factor = np.polynomial.polynomial.polyval(
        np.asarray(counts, float), np.asarray(coefficients, float)
    )
    if not np.all(np.isfinite(factor)) or np.any(factor <= 0.05):
        return None
    return factor


def spectrum_transfer_s(pixels: int, baud: int) -> float:
    """Line time (s) allowed for one ``S`` reply of ``pixels`` pixels at ``baud`` bit/s.

    The longest the reply can be: four bytes a pixel (DWORDs, when scans are accumulated),
    64 bytes of header and trailer, ten bits a byte (8N1). At 9600 baud a 2048-pixel
    spectrum is allowed 8.6 s.

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
    return (int(pixels) * 4 + 64) * 10.0 / max(int(baud), 1)


def scan_allowance_s(integration_time_ms: float, averages: int, pixels: int, baud: int) -> float:
    """:func:`drivers.base.scan_allowance_s` for an ``S`` reply of ``pixels`` pixels at ``baud``
    (its line time: :func:`spectrum_transfer_s`).

    Parameters
    ----------
    integration_time_ms : float
        Integration time of one scan (ms).
    averages : int
        Scans accumulated into the spectrum.
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


# -- the instrument -------------------------------------------------------------------------------


def answers_version(transport: SerialTransport, wait_s: float) -> bool | None:
    """Whether an Ocean RS-232 spectrometer answers at the port's current rate.

    Sends ``bB`` (binary mode) and ``v`` (firmware version): queries that change nothing, so
    also safe to send to find out which protocol a port speaks. The answer to ``bB`` is read
    before ``v`` is sent, however long it takes within ``wait_s``: one later than a fixed pause
    (a busy controller, an adapter's latency, a loaded laptop) was read as the answer to
    ``v``, and left the version's last byte on the line as the answer to the next command.

    Parameters
    ----------
    transport : SerialTransport
        The open port.
    wait_s : float
        How long (s) to wait for each part of the reply.

    Returns
    -------
    bool or None
        True for ACK and the version word; False when bytes came but not that; None when
        nothing came within ``wait_s``.
    """
    heard = False
    try:
        # what is still coming (a reply to another protocol's probe, the rest of a stopped
        # session's) first, or it is read as the answer to bB
        heard = bool(transport.drain(QUIET_S, wait_s))
        transport.write(b"bB")
        reply = transport.read_exact(1, wait_s, what="reply to bB")
        heard = True
        if reply == b"b":  # left in ASCII mode, it echoes bB before it answers
            echo = transport.read_exact(2, wait_s, what="reply to bB")
            reply = echo[1:] if echo[:1] == b"B" else b""
        legible = reply in (bytes([ACK]), bytes([NAK]))
        if legible:
            transport.write(b"v")
            legible = transport.read_exact(1, wait_s, what="version")[0] == ACK
        if not legible:  # garbled: let the rest arrive, then drop it
            transport.drain(QUIET_S, wait_s)
            return False
        transport.read_exact(2, wait_s, what="version")
    except InstrumentTimeout:
        return False if heard else None
    return True


_PROBE_RATES = (9600, 115200, 38400, 19200, 4800, 2400)

_MOST_PIXELS = max(model.pixels for model in MODELS.values())
"""The largest detector of the models known: the line time of a spectrum on its way before
the spectrometer has said which model it is."""


class OceanRS232Spectrometer(SerialSpectrometer):
    """An Ocean Optics USB2000/USB4000/Flame-class spectrometer on its RS-232 port.

    Parameters
    ----------
    transport : SerialTransport
        The open port (owned: closed by :meth:`close`).
    baud : int, optional
        Line rate to run at. The device is found at whatever rate it is at (probing the usual
        rates when replies are garbled) and moved to ``baud`` with the ``K`` handshake.
    ascii_mode : bool, default False
        Talk the ASCII variant (slower; for debugging with a terminal).
    compression, checksum : bool, default True
        Use the compressed transfer and the spectrum checksum.
    laser_wavelength_nm, laser_power_mw : float, optional
        Supply the excitation when the head lacks the extension slots; a wavelength more than
        :data:`~drivers.base.EXCITATION_TOLERANCE_NM` from the one slot 20 holds is refused.
    baud_codes : dict, optional
        Rate-code table: :data:`BAUD_CODES` (Ocean, default) or :data:`BWTEK_BAUD_CODES`.
    command_timeout_s : float, default 1.0
        Time allowed for an ACK and short replies.
    paced : bool, default True
        At 115200 baud and above, send commands one byte at a time about 1 ms apart, as units
        with a one-byte input buffer need (:attr:`SerialTransport.paced
        <drivers.transport.SerialTransport>`); commands are a few bytes, so it costs
        milliseconds.
    """

    def __init__(
        self,
        transport: SerialTransport,
        *,
        baud: int | None = None,
        ascii_mode: bool = False,
        compression: bool = True,
        checksum: bool = True,
        laser_wavelength_nm: float | None = None,
        laser_power_mw: float | None = None,
        baud_codes: dict[int, int] | None = None,
        command_timeout_s: float = 1.0,
        paced: bool = True,
    ) -> None:
        self.transport = transport
        self.url = transport.url
        transport.paced = paced
        self.ascii_mode = False
        self.command_timeout_s = command_timeout_s
        self.baud_codes = dict(baud_codes or BAUD_CODES)
        try:
            self._connect(baud, ascii_mode)
            self._identify(laser_wavelength_nm, laser_power_mw)
            self._configure(compression, checksum)
        except BaseException:
            self.close()
            raise

    # -- connection --------------------------------------------------------------------------

    def _connect(self, baud: int | None, ascii_mode: bool) -> None:
        self.transport.find_rate(
            self._probe,
            _PROBE_RATES,
            drain_s=spectrum_transfer_s(_MOST_PIXELS, self.transport.baudrate),
            command_timeout_s=self.command_timeout_s,
            asked="'v'",
            device="a spectrometer",
            garbled="no legible reply to 'v'",
        )
        if baud is not None and int(baud) != self.transport.baudrate:
            self.change_baud(int(baud))
        if ascii_mode:
            self.transport.write(b"aA")
            self._expect_ack("aA", echo=b"aA")
            self.ascii_mode = True

    def _probe(self, wait_s: float | None = None) -> bool | None:
        """Binary mode and a legible version reply at the port's current rate: True; False
        when bytes came but not that reply, None when nothing at all came within ``wait_s``
        (default 0.5 s at most)."""
        wait = min(self.command_timeout_s, 0.5) if wait_s is None else wait_s
        answer = answers_version(self.transport, wait)
        if answer is False:
            # Garbled at a wrong rate, or the replies a busy spectrometer owed a stopped
            # session (a spectrum, ACKs) sent the moment its exposure ended: once more after them.
            limit = spectrum_transfer_s(_MOST_PIXELS, self.transport.baudrate)
            self.transport.drain(QUIET_S, limit)
            answer = answers_version(self.transport, wait) or False
        return answer

    def change_baud(self, baud: int) -> None:
        """Move the link to ``baud`` bit/s with the two-step ``K`` handshake."""
        codes = {rate: code for code, rate in self.baud_codes.items()}
        if baud not in codes:
            raise NotSupported(f"{baud} baud is not in the rate table {sorted(codes)}")
        frame = encode_command("K", codes[baud], ascii_mode=self.ascii_mode)
        self.transport.write(frame)
        self._expect_ack("K", echo=frame if self.ascii_mode else b"", named=_in_words("K"))
        time.sleep(0.06)  # the device needs > 50 ms before it listens at the new rate
        self.transport.baudrate = baud
        self.transport.write(frame)
        self._expect_ack("K (confirmation at the new rate)", echo=frame if self.ascii_mode else b"")

    # -- command primitives ---------------------------------------------------------------------

    def _expect_ack(self, what: str, *, echo: bytes = b"", named: str | None = None) -> None:
        """Read the ACK to the command ``what`` (``named``, in words, when it is refused)."""
        reply = self.transport.read_exact(
            len(echo) + 1, self.command_timeout_s, what=f"{what} reply"
        )
        if echo and reply[:-1] != echo:
            raise ProtocolError(f"{self.url}: {what}: echo differs from the command", frame=reply)
        if reply[-1] == NAK:
            raise command_refused(self.url, named or what, "NAK", frame=reply)
        if reply[-1] != ACK:
            raise ProtocolError(f"{self.url}: {what}: expected ACK (06) or NAK (15)", frame=reply)

    def command(self, letter: str, *words: int, retries: int = 2) -> None:
        """Send a setting command and require ACK; settings are idempotent, so retried."""
        self._skip_owed_spectrum()
        frame = encode_command(letter, *words, ascii_mode=self.ascii_mode)
        for attempt in range(retries + 1):
            try:
                self._send(frame)
                self._expect_ack(
                    f"command {letter}{list(words)}",
                    echo=frame if self.ascii_mode else b"",
                    named=_in_words(letter, words),
                )
                return
            except (InstrumentTimeout, ProtocolError) as exc:
                if isinstance(exc, CommandRefused) or attempt == retries:
                    raise
                self.transport.let_answer_pass(exc, self.command_timeout_s)

    def query(self, letter: str, *words: int, retries: int = 2) -> int | str:
        """``?letter`` (a setting's value), ``?x slot`` (a slot's text) or ``v``; retried."""
        self._skip_owed_spectrum()
        frame = encode_command(letter, *words, ascii_mode=self.ascii_mode, query=letter != "v")
        for attempt in range(retries + 1):
            try:
                self._send(frame)
                self._expect_ack(f"query ?{letter}", echo=frame if self.ascii_mode else b"")
                if letter == "x":
                    text = self.transport.read_until(
                        b"\r", self.command_timeout_s, limit=64, what="slot text"
                    )
                    return text[:-1].decode("ascii", "replace").strip()
                if self.ascii_mode:
                    line = self.transport.read_until(
                        b"\r\n", self.command_timeout_s, limit=16, what="value"
                    )
                    if not line[:-2].isdigit():
                        raise ProtocolError(f"query ?{letter}: not a number", frame=line)
                    return int(line[:-2])
                return int.from_bytes(
                    self.transport.read_exact(2, self.command_timeout_s, what="value"), "big"
                )
            except (InstrumentTimeout, ProtocolError) as exc:
                if isinstance(exc, CommandRefused) or attempt == retries:
                    raise
                self.transport.let_answer_pass(exc, self.command_timeout_s)
        raise AssertionError("unreachable")

    def _send(self, frame: bytes) -> None:
        """Send a command after dropping what came unasked: the answer to an earlier sending
        that came after it was sent again, which would otherwise be read as this one's."""
        self.transport.discard_input()
        self.transport.write(frame)

    def _optional_query(self, letter: str, *words: int) -> int | str | None:
        """The answer to a query of a feature or slot the head may not have: None when it
        refuses it (NAK, the protocol's only way to say it has none). Retried as every query
        is: a head that answers one late (a busy controller) is not one that cannot connect."""
        try:
            return self.query(letter, *words)
        except CommandRefused:
            return None

    # -- identity and configuration --------------------------------------------------------------

    def _identify(self, laser_wavelength_nm: float | None, laser_power_mw: float | None) -> None:
        version = self.query("v")
        serial = str(self._optional_query("x", 0) or "unknown")
        model_name = str(self._optional_query("x", 16) or "USB2000").upper()
        base = next(
            (m for key, m in MODELS.items() if key in model_name.replace(" ", "-")),
            MODELS["USB2000"],
        )
        self.model = base
        firmware = f"{int(version) // 1000}.{int(version) // 100 % 10}.{int(version) % 100}"
        self.info = DeviceInfo(
            model=model_name,
            serial=serial,
            firmware=firmware,
            simulated=serial.upper().startswith("SIM"),
        )
        coeffs = []
        for slot in range(1, 5):
            text = self._optional_query("x", slot)
            try:
                coeffs.append(float(text))
            except (TypeError, ValueError):
                raise ProtocolError(
                    f"{self.url}: wavelength coefficient slot {slot} holds {text!r}, not a number",
                    advice="have the instrument's wavelength calibration checked: send this "
                    "message to the instrument's support",
                ) from None
        self.wavelength_coefficients = coeffs
        self._wavelengths = wavelength_axis(coeffs, np.arange(self.model.pixels))
        self.nonlinearity_coefficients = self._nonlinearity_coefficients()
        slot_nm = self._optional_query("x", 20)
        slot_mw = self._optional_query("x", 21)
        self.laser_wavelength_nm = excitation_wavelength_nm(
            laser_wavelength_nm, _float_or_none(slot_nm), self.url
        )
        self.laser_power_mw = laser_power_mw or _float_or_none(slot_mw)
        laser = self._optional_query("J") is not None
        if laser:
            self.command("J", 0)  # safe state: a laser left on by a crashed session goes off
        interlock = self._optional_query("L") is not None
        self._has_temperature = self._optional_query("t") is not None
        self.capabilities = Capabilities(
            laser=laser,
            laser_readback=laser,
            interlock=interlock,
            tec=False,
            averaging=True,
            boxcar=True,
            compression=not self.ascii_mode,
            checksum=True,
        )

    def _nonlinearity_coefficients(self) -> list[float]:
        """Slots 6-13, as many as the order in slot 14 says; [] when the head holds none.

        A slot that does not hold a number (or an order that is not one) gives NaN: the
        coefficients are there but cannot be used, which the acquisition says rather than
        correcting with part of the polynomial.
        """
        order = self._optional_query("x", 14)
        try:
            count = min(int(float(order or 0)) + 1, 8)
        except ValueError:
            count = 8  # every slot: the unreadable ones show
        texts = [self._optional_query("x", slot) for slot in range(6, 6 + count)]
        if order is None and texts[0] is None:
            return []
        return [_float_or_nan(text) for text in texts]

    def _configure(self, compression: bool, checksum: bool) -> None:
        self.compression = bool(compression) and not self.ascii_mode
        self.checksum = bool(checksum)
        self.set_pixel_mode(0)
        self.set_trigger_mode(0)
        self.command("G", int(self.compression))
        self.command("k", int(self.checksum))
        self.set_averages(1)
        self.set_boxcar_width(0)
        self.set_integration_time_ms(100)

    def set_pixel_mode(self, mode: int, *params: int) -> None:
        """``P``: transmit all pixels (0), every n-th (1, n) or x..y every n-th (3, x, y, n).

        The wavelength axis follows the selection, so spectra stay consistent.
        """
        selection = pixel_selection(self.model.pixels, int(mode), tuple(int(p) for p in params))
        self.command("P", int(mode), *params)
        self.pixel_mode = (int(mode), *(int(p) for p in params))
        self._selection = selection

    def set_trigger_mode(self, mode: int) -> None:
        """``T``: 0 normal (free running), 1 software, 2 external level, 3 external sync,
        4 external edge."""
        if not 0 <= int(mode) <= 4:
            raise SettingError(f"trigger mode {mode} is out of range: expected 0-4")
        self.command("T", int(mode))
        self.trigger_mode = int(mode)

    # -- Spectrometer primitives ------------------------------------------------------------------

    def _set_integration_time_ms(self, value: float) -> None:
        self.command("I", int(value))

    def _set_averages(self, value: int) -> None:
        self.command("A", int(value))

    def _set_boxcar_width(self, value: int) -> None:
        self.command("B", int(value))

    def wavelengths_nm(self) -> np.ndarray:
        return self._wavelengths[self._selection].copy()

    def set_laser(self, enabled: bool) -> None:
        if not self.capabilities.laser:
            raise NotSupported(f"{self.info.model}: no laser on the lamp line")
        self.command("J", int(bool(enabled)))

    def laser_enabled(self) -> bool:
        if not self.capabilities.laser_readback:
            raise NotSupported(f"{self.info.model}: the laser state cannot be read back")
        return bool(self.query("J"))

    def interlock_closed(self) -> bool:
        if not self.capabilities.interlock:
            raise NotSupported(f"{self.info.model}: no interlock read-out")
        return self.query("L") == 1

    def detector_temperature_c(self) -> float | None:
        if not self._has_temperature:
            return None
        raw = int(self.query("t"))
        return (raw - 0x10000 if raw >= 0x8000 else raw) / 10.0

    def scan_timeout_s(self) -> float:
        """Time allowed for one ``S`` reply: :func:`scan_allowance_s` at the current settings
        and line rate, plus the command timeout."""
        allowance = scan_allowance_s(
            self.integration_time_ms, self.averages, self.model.pixels, self.transport.baudrate
        )
        return allowance + self.command_timeout_s

    def read_frame(self, timeout_s: float | None = None) -> SpectrumFrame:
        """Send ``S`` once (not retried: a scan fires the laser) and decode the whole reply."""
        timeout_s = self.scan_timeout_s() if timeout_s is None else timeout_s
        self._skip_owed_spectrum()
        self.transport.discard_input()
        self.transport.write(encode_command("S", ascii_mode=self.ascii_mode))
        line_s = spectrum_transfer_s(self.model.pixels, self.transport.baudrate)
        with self._owing_spectrum(timeout_s, line_s):
            return self._read_frame(timeout_s)

    def _read_frame(self, timeout_s: float) -> SpectrumFrame:
        """The reply to the ``S`` just sent, read whole within ``timeout_s`` seconds."""
        deadline = time.monotonic() + timeout_s
        if self.ascii_mode:
            echo = self.transport.read_exact(1, timeout_s, what="echo of S")
            if echo != b"S":
                raise ProtocolError(f"{self.url}: expected the echo of S", frame=echo)
        buffer = bytearray()
        options = {
            "compressed": self.compression,
            "checksum": self.checksum,
            "ascii_mode": self.ascii_mode,
        }
        try:
            while True:
                if buffer[:1] == bytes([NAK]):
                    raise command_refused(self.url, _in_words("S"), "NAK", frame=bytes(buffer))
                length = frame_length(bytes(buffer), self.model.pixels, **options)
                if length is not None and len(buffer) >= length:
                    break
                chunk = self.transport.read_some(65536, deadline)
                if not chunk:
                    raise spectrum_timeout(self.url, timeout_s, bytes(buffer), length)
                buffer += chunk
            frame = decode_spectrum(bytes(buffer[:length]), self.model.pixels, **options)
            if frame.scans != self.averages or frame.integration_time_ms != int(
                self.integration_time_ms
            ):
                raise ProtocolError(
                    f"spectrum header says {frame.scans} scans at {frame.integration_time_ms} "
                    f"ms, expected {self.averages} at {int(self.integration_time_ms)} ms",
                    frame=bytes(buffer[:32]),
                )
        except CommandRefused:
            raise
        except ProtocolError as exc:
            raise damaged_frame(self.url, exc) from None
        return frame

    def read_scan(self, timeout_s: float | None = None) -> np.ndarray:
        frame = self.read_frame(timeout_s)
        counts = frame.counts.astype(np.float64)
        return counts / frame.scans if frame.data_size_flag == 1 else counts

    def _laser_off_command(self) -> bytes:
        return encode_command("J", 0, ascii_mode=self.ascii_mode)


def _float_or_nan(text: object) -> float:
    try:
        return float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def _float_or_none(text: object) -> float | None:
    try:
        value = float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) and value > 0 else None
