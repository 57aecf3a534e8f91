"""A simulated Ocean Optics RS-232 Raman spectrometer (Flame-S bench, 785 nm head).

It decodes requests with :func:`drivers.ocean_rs232.parse_command` and answers with
:func:`drivers.ocean_rs232.encode_spectrum`, so it speaks exactly the bytes the driver
expects, and it is strict: anything outside the documented command set is answered NAK.
Its serial number starts with ``SIM`` so spectra acquired from it are marked simulated.
"""

from __future__ import annotations

import time

import numpy as np

from drivers.errors import ProtocolError
from drivers.ocean_rs232 import (
    ACK,
    BAUD_CODES,
    NAK,
    Command,
    encode_spectrum,
    parse_command,
    pixel_selection,
    scan_allowance_s,
)
from drivers.simulators.pty import RamanPtySimulator

__all__ = ["OceanRS232Simulator"]

FIRMWARE_WORD = 3021  # reported by ``v``: 3.0.21


class OceanRS232Simulator(RamanPtySimulator):
    """Serve the Ocean RS-232 protocol on a pty for a synthetic sample.

    Parameters as :class:`~drivers.simulators.pty.RamanPtySimulator`; with ``realtime`` the
    ``S`` command takes as long as the exposure (integration x scans).

    Parameters
    ----------
    reference, fault, seed, realtime, detector, slow_s, baud
        As :class:`~drivers.simulators.pty.RamanPtySimulator`.
    """

    name = "ocean-rs232 simulator"

    @property
    def slots(self) -> dict[int, str]:
        """The configuration slots read by ``?x`` (serial number, wavelength calibration...)."""
        d = self.synth.detector
        return {
            0: self.serial_number("SIM"),
            1: repr(d.wavelength_coefficients[0]),
            2: repr(d.wavelength_coefficients[1]),
            3: repr(d.wavelength_coefficients[2]),
            4: repr(d.wavelength_coefficients[3]),
            6: "1.0",
            7: "0.0",
            14: "1",
            16: "SIMULATED FLAME-S",
            20: repr(d.laser_wavelength_nm),
            21: repr(d.laser_power_mw),
        }

    def reset(self) -> None:
        """Power-up defaults (the ``Q`` command)."""
        self.ascii_mode = False
        self.settings = {"A": 1, "B": 0, "G": 0, "I": 100, "J": 0, "T": 0, "k": 0}
        self.pixel_mode: tuple[int, ...] = (0,)
        self.awaiting_baud: tuple[int, int] | None = None  # (code, old rate)

    # -- protocol -------------------------------------------------------------------------------

    def handle(self, request: bytes) -> tuple[bytes, int]:
        command, used = parse_command(request, ascii_mode=self.ascii_mode)
        if command is None:
            return b"", 0
        echo = request[:used] if self.ascii_mode else b""
        reply = self._answer(command)
        if command.letter == "aA":
            echo = request[:used]
        return echo + reply, used

    def _answer(self, cmd: Command) -> bytes:
        nak = bytes([NAK])
        ack = bytes([ACK])
        if self.awaiting_baud is not None and not (cmd.letter == "K" and not cmd.query):
            _code, old_rate = self.awaiting_baud  # no confirmation: fall back to the old rate
            self.awaiting_baud = None
            self.set_device_baud(old_rate)
        if not cmd.known:
            return nak
        if cmd.letter == "aA":
            self.ascii_mode = True
            return ack
        if cmd.letter == "bB":
            self.ascii_mode = False
            return ack
        if cmd.query:
            return self._query(cmd)
        letter, words = cmd.letter, cmd.words
        if letter == "v":
            return ack + self._value(FIRMWARE_WORD)
        if letter == "Q":
            self.reset()
            return ack
        if letter == "S":
            return self._scan()
        if letter == "K":
            return self._baud(words[0])
        if letter == "P":
            try:
                pixel_selection(self.synth.detector.pixels, words[0], tuple(words[1:]))
            except ProtocolError:
                return nak
            self.pixel_mode = tuple(words)
            return ack
        limits = {"A": (1, 5000), "B": (0, 15), "I": (1, 65535), "J": (0, 1), "T": (0, 4)}
        low, high = limits.get(letter, (0, 0xFFFF))
        if not low <= words[0] <= high:
            return nak
        value = words[0]
        if letter in ("G", "k"):
            value = int(value != 0)
        if letter == "J" and self.fault == "interlock":
            value = 0  # the interlock holds the laser off whatever the host asks
        self.settings[letter] = value
        return ack

    def _value(self, value: int) -> bytes:
        if self.ascii_mode:
            return f"{value}\r\n".encode()
        return int(value & 0xFFFF).to_bytes(2, "big")

    def _query(self, cmd: Command) -> bytes:
        ack = bytes([ACK])
        if cmd.letter == "x":
            text = self.slots.get(cmd.words[0])
            return bytes([NAK]) if text is None else ack + text.encode() + b"\r"
        if cmd.letter == "L":
            return ack + self._value(0 if self.fault == "interlock" else 1)
        if cmd.letter == "t":
            return ack + self._value(round(self.synth.temperature_c * 10) & 0xFFFF)
        if cmd.letter == "P":
            return ack + self._value(self.pixel_mode[0])
        if cmd.letter == "K":
            return ack + self._value({r: c for c, r in BAUD_CODES.items()}.get(self.device_baud, 2))
        return ack + self._value(self.settings[cmd.letter])

    def _baud(self, code: int) -> bytes:
        rate = BAUD_CODES.get(code)
        if rate is None:
            return bytes([NAK])
        if self.awaiting_baud is not None:
            self.awaiting_baud = None  # confirmation received at the new rate
            return bytes([ACK])
        # Answer at the old rate, then listen at the new one for the confirming K.
        self.write(bytes([ACK]))
        self.awaiting_baud = (code, self.device_baud)
        time.sleep(0.01)
        self.set_device_baud(rate)
        return b""

    def _scan(self) -> bytes:
        asked_at = time.monotonic()
        if self.fault == "nak" and self.settings["J"]:
            return bytes([NAK])
        scans = self.settings["A"]
        integration = self.settings["I"]
        if not self.expose(integration * scans / 1000.0):
            return b""
        raw = self.synth.scans(integration, scans, laser_on=bool(self.settings["J"]))
        values = raw.sum(axis=0) if scans > 1 else raw[0]
        width = self.settings["B"]
        if width:
            kernel = np.ones(2 * width + 1) / (2 * width + 1)
            padded = np.pad(values.astype(float), width, mode="edge")
            values = np.rint(np.convolve(padded, kernel, mode="valid")).astype(np.int64)
        mode, *params = self.pixel_mode
        values = values[pixel_selection(values.size, mode, tuple(params))]
        baseline = int(self.synth.detector.offset_counts)
        checksum = bool(self.settings["k"])
        frame = encode_spectrum(
            values,
            scans=scans,
            integration_time_ms=integration,
            baseline=baseline,
            pixel_mode=mode,
            pixel_params=tuple(params),
            compressed=bool(self.settings["G"]) and not self.ascii_mode,
            checksum=checksum,
            ascii_mode=self.ascii_mode,
        )
        start = 1 + 14 + 2 * len(params)
        if not self.settings["J"]:
            return frame  # faults strike laser-on (sample) scans
        stop = len(frame) - 2 - 2 * checksum
        # the driver's own allowance (its scan_timeout_s less the command timeout)
        allowance = scan_allowance_s(
            integration, scans, self.synth.detector.pixels, self.device_baud
        )
        return self.send_scan(
            frame, (start, stop), (stop, len(frame)), asked_at=asked_at, allowance_s=allowance
        )
