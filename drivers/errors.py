"""The errors of the instrument layer, all under :class:`forensic.errors.InstrumentError`.

Each message says what failed, on which port or frame, the value found and what was expected;
protocol errors carry the offending bytes in hex so a technician can send them to support.
"""

from __future__ import annotations

from forensic.errors import InstrumentError

__all__ = [
    "CommandRefused",
    "DetectorSaturated",
    "InstrumentDisconnected",
    "InstrumentTimeout",
    "InterlockOpen",
    "NotSupported",
    "ProtocolError",
    "SettingError",
    "hex_preview",
]

EXIT_INSTRUMENT = 3
"""Exit code of the command line when the instrument, not the user's input, failed."""


def hex_preview(frame: bytes, limit: int = 48) -> str:
    """``frame`` as spaced hex, cut to ``limit`` bytes with the total length when longer."""
    frame = bytes(frame)
    text = frame[:limit].hex(" ")
    if len(frame) > limit:
        text += f" ... ({len(frame)} bytes)"
    return text or "(no bytes)"


class _InstrumentFailure(InstrumentError):
    exit_code = EXIT_INSTRUMENT


class InstrumentTimeout(_InstrumentFailure, TimeoutError):
    """The instrument did not answer (or not completely) within the time allowed.

    ``received`` holds whatever partial bytes did arrive; they are never used as data.
    """

    def __init__(self, message: str, *, received: bytes = b""):
        self.received = bytes(received)
        if self.received:
            message += f"; partial frame discarded: {hex_preview(self.received)}"
        super().__init__(message)


class InstrumentDisconnected(_InstrumentFailure, ConnectionError):
    """The port vanished: cable pulled, device powered off, or the pseudo-terminal closed."""


class ProtocolError(_InstrumentFailure):
    """The bytes received are not a valid frame of the protocol; the frame is shown in hex."""

    def __init__(self, message: str, *, frame: bytes = b""):
        self.frame = bytes(frame)
        if frame:
            message += f" [frame: {hex_preview(self.frame)}]"
        super().__init__(message)


class CommandRefused(ProtocolError):
    """The instrument answered NAK (or an OBP error code) to a command."""


class InterlockOpen(_InstrumentFailure):
    """The laser interlock is open (lid, key or door): the laser cannot and must not fire."""


class DetectorSaturated(_InstrumentFailure):
    """Bands reached the detector's ceiling and re-exposing could not bring them below it."""


class NotSupported(_InstrumentFailure):
    """The instrument (or this installation) lacks a feature that was asked for."""


class SettingError(InstrumentError, ValueError):
    """A setting is outside the instrument's range; the message gives the allowed range."""
