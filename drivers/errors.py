"""The errors of the instrument layer, all under :class:`forensic.errors.InstrumentError`.

Each message says what failed, on which port or frame, the value found and what was expected;
protocol errors carry the offending bytes in hex so a technician can send them to support.
"""

from __future__ import annotations

from forensic.errors import InstrumentError

__all__ = [
    "DAMAGED_FRAME_ADVICE",
    "FIND_INSTRUMENTS_HINT",
    "CommandRefused",
    "DetectorSaturated",
    "InstrumentDisconnected",
    "InstrumentTimeout",
    "InterlockOpen",
    "NotSupported",
    "ProtocolError",
    "SettingError",
    "damaged_frame",
    "hex_preview",
]

EXIT_INSTRUMENT = 3
"""Exit code of the command line when the instrument, not the user's input, failed."""


FIND_INSTRUMENTS_HINT = "run `forensic instrument list` to see which instruments are connected"
"""What to do when the port or device named is not there: a guessed ``/dev/ttyUSB0`` is often
``/dev/ttyUSB1`` or ``/dev/ttyACM0`` once the adapter is plugged in."""


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
    """The bytes received are not a valid frame of the protocol; the frame is shown in hex.

    ``reason`` is the message without the hex of the frame.
    """

    def __init__(self, message: str, *, frame: bytes = b""):
        self.reason = message
        self.frame = bytes(frame)
        if frame:
            message += f" [frame: {hex_preview(self.frame)}]"
        super().__init__(message)


DAMAGED_FRAME_ADVICE = (
    "the reply was damaged on its way from the instrument and is discarded: scan again; if it "
    "fails again, check the cable, its connectors and the adapter (and keep it away from "
    "power leads)"
)
"""What a technician does about a reply that fails its checksum or its framing: a bit flipped
on the line is rare and passes, a cable that keeps flipping them has to be looked at."""


def damaged_frame(where: str, error: ProtocolError) -> ProtocolError:
    """``error``, a reply that failed its checksum or framing, as the technician is told it.

    Parameters
    ----------
    where : str
        The instrument's port or URL, which the framing functions do not know.
    error : ProtocolError
        What the framing functions found, with the frame.

    Returns
    -------
    ProtocolError
        Of the same class, naming ``where`` and saying what to do (:data:`DAMAGED_FRAME_ADVICE`)
        before the frame's hex.
    """
    return type(error)(f"{where}: {error.reason}; {DAMAGED_FRAME_ADVICE}", frame=error.frame)


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
