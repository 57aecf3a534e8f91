"""A simulated OBP Raman spectrometer on a pty, strict to the layout of :mod:`drivers.obp`.

Requests are decoded with :func:`drivers.obp.decode_message` in strict mode and replies built
with :func:`drivers.obp.encode_message`. A malformed request is answered with a NACK and the
documented error code (bad checksum 3, unknown message type 2, payload invalid 6...). Serial
numbers start with ``SIM`` so spectra acquired from it are marked simulated.
"""

from __future__ import annotations

import struct
import time

import numpy as np

from drivers.errors import ProtocolError
from drivers.obp import (
    FLAG_ACK,
    FLAG_NACK,
    FLAG_REQUEST_ACK,
    FLAG_RESPONSE,
    MSG,
    decode_message,
    encode_message,
    message_length,
    scan_allowance_s,
)
from drivers.simulators.pty import RamanPtySimulator

__all__ = ["OBPSimulator"]

_NAMES = {code: name for name, code in MSG.items()}
_HEADER = 44


class OBPSimulator(RamanPtySimulator):
    """Serve OBP on a pty for a synthetic sample (parameters as
    :class:`~drivers.simulators.pty.RamanPtySimulator`).

    Parameters
    ----------
    reference, fault, seed, realtime, detector, slow_s, baud
        As :class:`~drivers.simulators.pty.RamanPtySimulator`.
    """

    name = "obp simulator"

    def reset(self) -> None:
        """Power-up settings: 100 ms integration, one scan, no boxcar, laser off."""
        self.serial = self.serial_number("SIMOBP")
        self.integration_us = 100_000
        self.averages = 1
        self.boxcar = 0
        self.laser = False

    def handle(self, request: bytes) -> tuple[bytes, int]:
        try:
            length = message_length(request, strict=True)
        except ProtocolError:
            # Resynchronise on the next start marker; garbage is dropped unanswered.
            nxt = request.find(b"\xc1\xc0", 1)
            return b"", (nxt if nxt > 0 else len(request))
        if length is None or len(request) < length:
            return b"", 0
        frame = request[:length]
        try:
            message = decode_message(frame, strict=True)
        except ProtocolError as exc:
            mtype = int.from_bytes(frame[8:12], "little")
            code = 3 if "checksum" in str(exc) else 6
            return encode_message(mtype, flags=FLAG_RESPONSE | FLAG_NACK, error=code), length
        return self._answer(message.message_type, message.payload, message.flags), length

    def _reply(
        self, mtype: int, payload: bytes = b"", *, error: int = 0, flags_in: int = 0
    ) -> bytes:
        flags = FLAG_RESPONSE
        if error:
            flags |= FLAG_NACK
        elif flags_in & FLAG_REQUEST_ACK:
            flags |= FLAG_ACK
        return encode_message(mtype, payload if not error else b"", flags=flags, error=error)

    def _answer(self, mtype: int, payload: bytes, flags: int) -> bytes:
        name = _NAMES.get(mtype)
        d = self.synth.detector

        def ok(data: bytes = b"") -> bytes:
            return self._reply(mtype, data, flags_in=flags)

        def fail(code: int) -> bytes:
            return self._reply(mtype, error=code, flags_in=flags)

        if name is None:
            return fail(2)
        if name == "get_firmware":
            return ok(struct.pack("<H", 0x0105))
        if name == "get_serial":
            return ok(self.serial.encode())
        if name == "get_model":
            return ok(b"SIMULATED OCEAN-HDX RAMAN")
        if name == "get_wl_coeff_count":
            return ok(bytes([4]))
        if name in ("get_wl_coeff", "get_nl_coeff"):
            if len(payload) != 1:
                return fail(5)
            table = d.wavelength_coefficients if name == "get_wl_coeff" else (1.0, 0.0)
            if payload[0] >= len(table):
                return fail(6)
            return ok(struct.pack("<f", table[payload[0]]))
        if name == "get_nl_coeff_count":
            return ok(bytes([2]))
        if name == "get_tec_temperature":
            return ok(struct.pack("<f", self.synth.temperature_c))
        if name == "get_laser_wavelength":
            return ok(struct.pack("<f", d.laser_wavelength_nm))
        if name == "get_laser_power":
            return ok(struct.pack("<f", d.laser_power_mw))
        if name == "get_laser_enable":
            return ok(bytes([int(self.laser)]))
        if name == "get_interlock":
            return ok(bytes([0 if self.fault == "interlock" else 1]))
        if name == "get_integration_time_us":
            return ok(struct.pack("<I", self.integration_us))
        if name == "set_integration_time_us":
            if len(payload) != 4:
                return fail(5)
            value = struct.unpack("<I", payload)[0]
            if not 10 <= value <= 10_000_000:
                return fail(6)
            self.integration_us = value
            return ok()
        if name == "set_scans_to_average":
            if len(payload) != 2:
                return fail(5)
            value = struct.unpack("<H", payload)[0]
            if not 1 <= value <= 5000:
                return fail(6)
            self.averages = value
            return ok()
        if name == "set_boxcar_width":
            if len(payload) != 1 or payload[0] > 15:
                return fail(6)
            self.boxcar = payload[0]
            return ok()
        if name == "set_laser_enable":
            if len(payload) != 1 or payload[0] > 1:
                return fail(6)
            self.laser = bool(payload[0]) and self.fault != "interlock"
            return ok()
        if name == "set_trigger_mode":
            return ok() if len(payload) == 1 and payload[0] <= 4 else fail(6)
        if name == "get_raw_spectrum":
            return self._scan(mtype, flags)
        return fail(2)

    def _scan(self, mtype: int, flags: int) -> bytes:
        asked_at = time.monotonic()
        if self.fault == "nak" and self.laser:  # faults strike laser-on (sample) scans
            return self._reply(mtype, error=7, flags_in=flags)
        t_ms = self.integration_us / 1000.0
        if not self.expose(t_ms * self.averages / 1000.0):
            return b""
        raw = self.synth.scans(t_ms, self.averages, laser_on=self.laser)
        values = raw.mean(axis=0)
        if self.boxcar:
            width = self.boxcar
            padded = np.pad(values, width, mode="edge")
            values = np.convolve(padded, np.ones(2 * width + 1) / (2 * width + 1), mode="valid")
        counts = np.clip(np.rint(values), 0, 65535).astype("<u2")
        frame = self._reply(mtype, counts.tobytes(), flags_in=flags)
        if not self.laser:
            return frame  # identification and dark reads are not faulted
        # the driver's own allowance (its scan_timeout_s less the command timeout)
        allowance = scan_allowance_s(
            t_ms, self.averages, self.synth.detector.pixels, self.device_baud
        )
        return self.send_scan(
            frame,
            (_HEADER, len(frame) - 20),
            (len(frame) - 20, len(frame) - 4),
            asked_at=asked_at,
            allowance_s=allowance,
        )
