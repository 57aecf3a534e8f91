"""The errors of the instrument layer, all under :class:`forensic.errors.InstrumentError`.

Each error says what failed, on which port or frame, the value found and what was expected;
protocol errors carry the offending bytes in hex so a technician can send them to support.
What happened (the message: :attr:`~forensic.errors.ForensicError.problem`) and what to do
about it (:attr:`~forensic.errors.ForensicError.advice`, one action) are kept apart: ``str()``
of an error says both, and a scan says what it recorded between them. Each advice is written
once, here (the ``*_ADVICE`` constants), and is each class's own unless a failure needs
another.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from shlex import quote
from typing import Any

from forensic.errors import InstrumentError

__all__ = [
    "DAMAGED_FRAME_ADVICE",
    "DEFERRED_ADVICE",
    "DISCONNECTED_ADVICE",
    "FIND_INSTRUMENTS_HINT",
    "INCOMPLETE_ADVICE",
    "INTERLOCK_ADVICE",
    "LASER_FAULT_ADVICE",
    "NOT_ANSWERING_ADVICE",
    "NO_ANSWER_ADVICE",
    "REFUSED_ADVICE",
    "UNKNOWN_MESSAGE_ADVICE",
    "WRONG_PORT_ADVICE",
    "CommandRefused",
    "DetectorSaturated",
    "InstrumentDisconnected",
    "InstrumentTimeout",
    "InterlockOpen",
    "LaserFault",
    "NoAnswer",
    "NotSupported",
    "NotThisProtocol",
    "ProtocolError",
    "SettingError",
    "SettingsRefused",
    "SpectrumTimeout",
    "answer_deferred",
    "command_refused",
    "damaged_frame",
    "disconnected",
    "hex_preview",
    "setting_as_given",
    "spectrum_timeout",
    "unknown_message",
]

EXIT_INSTRUMENT = 3
"""Exit code of the command line when the instrument, not the user's input, failed."""


FIND_INSTRUMENTS_HINT = "run `forensic instrument list` to see which instruments are connected"
"""What to do when the port or device named is not there: a guessed ``/dev/ttyUSB0`` is often
``/dev/ttyUSB1`` or ``/dev/ttyACM0`` once the adapter is plugged in."""


_CHECK_PORT = (
    "check the port with `forensic instrument list`, and the protocol the URL names "
    "(ocean-rs232: or obp:)"
)

WRONG_PORT_ADVICE = f"{_CHECK_PORT}, then scan again"
"""What to do when a port answers, but not in the protocol asked for: another device on it (a
GPS, a modem, another adapter), or an instrument speaking the other protocol, shows exactly
that."""

NO_ANSWER_ADVICE = f"{_CHECK_PORT}; if both are right, wait a minute and scan again"
"""What to do when nothing answers on a port: a wrong port or protocol is silent, and so is an
instrument busy with an exposure until it ends (a scan stopped during a long one)."""

DISCONNECTED_ADVICE = (
    "check that the instrument's cable is plugged in at both ends and that the instrument is "
    "switched on, then scan again"
)
"""What a technician does when the instrument's port vanishes in the middle of a command: a
cable pulled or knocked loose, a USB adapter unplugged, the instrument switched off or its
battery flat."""

NOT_ANSWERING_ADVICE = (
    "check that the instrument is switched on and not busy with its own software, then scan "
    "again (for a slower instrument, give timeout=SECONDS in the instrument URL)"
)
"""What a technician does when the instrument answers nothing in its time: switched off, held
by its own software, or slower than the time allowed."""

INCOMPLETE_ADVICE = (
    "scan again; if it happens again, check the cable and its connectors, then the instrument"
)
"""What a technician does when a reply stops in the middle: once is the line, twice the cable."""

DAMAGED_FRAME_ADVICE = (
    "scan again; if it fails again, check the cable, its connectors and the adapter (and keep "
    "it away from power leads)"
)
"""What a technician does about a reply that fails its checksum or its framing: a bit flipped
on the line is rare and passes, a cable that keeps flipping them has to be looked at."""

REFUSED_ADVICE = (
    "switch the instrument off and on, wait until it has started, then scan again; if it "
    "refuses again, send this message to the instrument's support"
)
"""What a technician does when the instrument refuses a command the driver sends as the
protocol documents it: an instrument left in a state where it does not take it (another
program's session, a firmware hang) refuses it until it is restarted; one that still refuses
it has a fault, or a firmware the driver does not know."""

DEFERRED_ADVICE = (
    "wait a minute for the instrument to finish what it is busy with, then scan again; if it "
    "puts the answer off again, send this message to the instrument's support"
)
"""What a technician does when the instrument puts an answer off (OBP error 255, "the answer
will take some time"): how a deferred answer comes is not documented, so the driver does not
wait for it; an instrument busy with another program's work or its own answers once it is
done, one that keeps deferring has a fault, or a firmware the driver does not know."""

UNKNOWN_MESSAGE_ADVICE = (
    "send this message to the instrument's support, and ask which firmware knows the message "
    "it names"
)
"""What a technician does when the instrument does not know a message the driver cannot work
without (OBP error 2): a restart does not teach it; its support can say which firmware does."""

INTERLOCK_ADVICE = "close the laser interlock (lid, key or door), then scan again"
"""What a technician does when the interlock is open: the laser cannot and must not fire."""

LASER_FAULT_ADVICE = (
    "switch the instrument off and on, then scan again; if the laser fails again, send this "
    "message to the instrument's support"
)
"""What a technician does when the laser does not do what it was told: a restart clears a
firmware's confusion, a laser that keeps doing it needs the instrument's support."""


def hex_preview(frame: bytes, limit: int = 16) -> str:
    """``frame`` as spaced hex, cut to ``limit`` bytes with the total length when longer.

    Sixteen bytes hold the start of a frame, its header, which tells support what the frame
    was; the whole of it (``received`` or ``frame`` of the error) would make a message of
    hundreds of characters on the technician's screen.

    Parameters
    ----------
    frame : bytes
        The frame received or sent.
    limit : int
        Most bytes shown.

    Returns
    -------
    str
        The bytes as hex pairs separated by spaces (``"c1 c0 00 11"``), followed by
        ``" ... (N bytes)"`` when cut; ``"(no bytes)"`` for an empty frame.
    """
    frame = bytes(frame)
    text = frame[:limit].hex(" ")
    if len(frame) > limit:
        text += f" ... ({len(frame)} bytes)"
    return text or "(no bytes)"


class _InstrumentFailure(InstrumentError):
    """A failure of the instrument (exit 3): the message says what happened, ``advice`` the
    one thing to do (the class's own, unless given).

    Parameters
    ----------
    message : str
        What happened, where (the port), with the port's own words or the frame's hex for
        support; never what to do.
    advice : str, optional
        What to do, when not the class's :attr:`advice`.
    """

    exit_code = EXIT_INSTRUMENT

    def __init__(self, message: str, *, advice: str | None = None):
        super().__init__(message)
        if advice is not None:
            self.advice = advice


class InstrumentTimeout(_InstrumentFailure, TimeoutError):
    """The instrument did not answer (or not completely) within the time allowed.

    ``received`` holds whatever partial bytes did arrive; they are never used as data.
    """

    advice = NOT_ANSWERING_ADVICE

    def __init__(self, message: str, *, received: bytes = b"", advice: str | None = None):
        self.received = bytes(received)
        if self.received:
            message += f"; partial frame discarded: {hex_preview(self.received)}"
        super().__init__(message, advice=advice)


class SpectrumTimeout(InstrumentTimeout):
    """A spectrum reply did not come, or not whole, within the time allowed.

    Parameters
    ----------
    message : str
        What happened.
    waited_s : float
        How long the reply was waited for (s).
    received : bytes, optional
        What of it came (discarded, never used as data).
    expected : int, optional
        Its length in bytes, when what came says.
    advice : str, optional
        What to do (default :data:`NOT_ANSWERING_ADVICE`).
    """

    def __init__(
        self,
        message: str,
        *,
        waited_s: float,
        received: bytes = b"",
        expected: int | None = None,
        advice: str | None = None,
    ):
        self.waited_s = float(waited_s)
        self.expected = expected
        super().__init__(message, received=received, advice=advice)


def spectrum_timeout(
    where: str, waited_s: float, received: bytes, expected: int | None = None
) -> SpectrumTimeout:
    """The timeout of a spectrum reply, as the technician is told it: what came, and what to do.

    Parameters
    ----------
    where : str
        The instrument's port or URL.
    waited_s : float
        How long the reply was waited for (s).
    received : bytes
        What of it came (discarded, never used as data).
    expected : int, optional
        Its length in bytes, when what came says.

    Returns
    -------
    SpectrumTimeout
        Nothing came: the instrument did not answer the scan (off, busy, or slower than the
        time allowed: :data:`NOT_ANSWERING_ADVICE`); part came: it stopped sending in the
        middle (the cable, or the instrument: :data:`INCOMPLETE_ADVICE`).
    """
    if not received:
        return SpectrumTimeout(
            f"{where}: no spectrum within {waited_s:.2f} s: the instrument did not answer the scan",
            waited_s=waited_s,
        )
    of = "" if expected is None else f" of {expected}"
    return SpectrumTimeout(
        f"{where}: spectrum incomplete after {waited_s:.2f} s ({len(received)}{of} bytes): the "
        "instrument stopped sending in the middle",
        waited_s=waited_s,
        received=received,
        expected=expected,
        advice=INCOMPLETE_ADVICE,
    )


class NoAnswer(InstrumentTimeout):
    """Nothing answered the protocol's question on connecting, at any line rate: an instrument
    busy with an exposure, a wrong port, an instrument of another protocol, or no power."""

    advice = NO_ANSWER_ADVICE


class InstrumentDisconnected(_InstrumentFailure, ConnectionError):
    """The port vanished: cable pulled, device powered off, or the pseudo-terminal closed;
    or it is not there to open."""

    advice = DISCONNECTED_ADVICE


def disconnected(where: str, how: str, error: BaseException) -> InstrumentDisconnected:
    """The port's disconnection, as the technician is told it: what happened, and last what
    the port itself said (what to do is the error's ``advice``, :data:`DISCONNECTED_ADVICE`).

    Parameters
    ----------
    where : str
        The instrument's port or URL.
    how : str
        When it happened, in a few words (``"the device disconnected"``,
        ``"the device disconnected while data was sent to it"``).
    error : BaseException
        What the serial port raised (pyserial's own words, for support).

    Returns
    -------
    InstrumentDisconnected
        ``{where}: {how} (the port said: ...)``.
    """
    said = str(error) or type(error).__name__
    return InstrumentDisconnected(f"{where}: {how} (the port said: {said})")


def _framed(message: str, frame: bytes) -> str:
    """``message``, then the hex of the ``frame`` it is about, as every error about a reply
    ends (``... [frame: 15]``, :func:`hex_preview`); ``message`` alone without one."""
    return f"{message} [frame: {hex_preview(frame)}]" if frame else message


class ProtocolError(_InstrumentFailure):
    """The bytes received are not a valid frame of the protocol; the frame is shown in hex.

    ``reason`` is the message without the hex of the frame.
    """

    advice = DAMAGED_FRAME_ADVICE

    def __init__(self, message: str, *, frame: bytes = b"", advice: str | None = None):
        self.reason = message
        self.frame = bytes(frame)
        super().__init__(_framed(message, self.frame), advice=advice)


class NotThisProtocol(ProtocolError):
    """Bytes came on connecting, but never a valid answer of the protocol at any line rate:
    another device on the port, or an instrument speaking another protocol."""

    advice = WRONG_PORT_ADVICE


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
        Of the same class, naming ``where`` and that the reply is discarded, then the frame's
        hex; what to do is its ``advice`` (:data:`DAMAGED_FRAME_ADVICE`).
    """
    return type(error)(
        f"{where}: the reply was damaged on its way from the instrument, and is discarded "
        f"({error.reason})",
        frame=error.frame,
    )


class CommandRefused(ProtocolError):
    """The instrument answered NAK (or an OBP error code) to a command."""

    advice = REFUSED_ADVICE


def command_refused(where: str, what: str, why: str, *, frame: bytes) -> CommandRefused:
    """A command the instrument refused, as the technician is told it: which command, in
    words, what the instrument answered, and the bytes of its answer, which support needs
    (what to do: :data:`REFUSED_ADVICE`).

    Parameters
    ----------
    where : str
        The instrument's port or URL.
    what : str
        The command refused, in words (``"the scan (command S)"``).
    why : str
        What the instrument answered (``"NAK"``, an OBP error's text).
    frame : bytes
        The reply, shown in hex at the end of the message, shortened as every frame is
        (:func:`hex_preview`): required, so that no refusal leaves it out.

    Returns
    -------
    CommandRefused
        ``{where}: the instrument refused {what}, answering {why} [frame: ...]``.
    """
    return CommandRefused(f"{where}: the instrument refused {what}, answering {why}", frame=frame)


class InterlockOpen(_InstrumentFailure):
    """The laser interlock is open (lid, key or door): the laser cannot and must not fire."""

    advice = INTERLOCK_ADVICE


class LaserFault(_InstrumentFailure):
    """The laser does not do what it was told: it reads back on or off against the command, or
    changed state during a scan (a fault of the instrument, so the command's exit code is an
    instrument's)."""

    advice = LASER_FAULT_ADVICE


class NotSupported(_InstrumentFailure):
    """The instrument (or this installation) lacks a feature that was asked for."""


def answer_deferred(where: str, what: str, why: str, *, frame: bytes) -> CommandRefused:
    """A command whose answer the instrument put off (OBP error 255), as the technician is told
    it: which command, in words, what the instrument answered, that the driver does not wait
    for such an answer, and the bytes of the reply (what to do: :data:`DEFERRED_ADVICE`).

    python-seabreeze's ``pyseabreeze/protocol.py``, the source of the OBP layout, documents
    the error's meaning but not how the answer put off comes, so it is not waited for: a
    refusal of this command, for now.

    Parameters
    ----------
    where : str
        The instrument's port or URL.
    what : str
        The command, in words (``"the scan (message get_raw_spectrum)"``).
    why : str
        What the instrument answered (the OBP error's text).
    frame : bytes
        The reply, shown in hex at the end of the message (:func:`hex_preview`).

    Returns
    -------
    CommandRefused
        ``{where}: the instrument put off its answer to {what} ({why}), and the driver cannot
        wait for it: how an answer put off comes is not documented [frame: ...]``.
    """
    return CommandRefused(
        f"{where}: the instrument put off its answer to {what} ({why}), and the driver cannot "
        "wait for it: how an answer put off comes is not documented",
        frame=frame,
        advice=DEFERRED_ADVICE,
    )


def unknown_message(where: str, what: str, why: str, *, frame: bytes) -> NotSupported:
    """A message the instrument does not know (OBP error 2), as the technician is told it when
    the driver cannot do without it: which message, what the instrument answered, and the
    bytes of its reply, as every refusal (what to do: :data:`UNKNOWN_MESSAGE_ADVICE`).

    Parameters
    ----------
    where : str
        The instrument's port or URL.
    what : str
        The message, in words (``"message get_serial"``).
    why : str
        What the instrument answered (the OBP error's text).
    frame : bytes
        The reply, shown in hex at the end of the message (:func:`hex_preview`).

    Returns
    -------
    NotSupported
        ``{where}: the instrument does not know {what}, answering {why} [frame: ...]``.
    """
    return NotSupported(
        _framed(f"{where}: the instrument does not know {what}, answering {why}", frame),
        advice=UNKNOWN_MESSAGE_ADVICE,
    )


def _number(value: float) -> str:
    """``value`` as a person types it: 500 for 500.0, 0.5, never rounded (as ``:g`` would)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def setting_as_given(keyword: str, value: Any, options: Mapping[str, str] | None = None) -> str:
    """A setting with its value as the caller gave it, for a message.

    Parameters
    ----------
    keyword : str
        The setting's keyword in the Python API (``"integration_time_ms"``).
    value : object
        Its value as given.
    options : mapping of str to str, optional
        The command-line option that gives each keyword (``{"integration_time_ms":
        "--integration-ms"}``); a keyword not in it is named by keyword.

    Returns
    -------
    str
        ``integration_time_ms=500`` or ``dark=True`` by keyword; ``--integration-ms 500`` or
        ``--dark`` by option.
    """
    option = (options or {}).get(keyword)
    if option is None:
        if isinstance(value, bool):  # before the numbers: a bool is an int to Python
            return f"{keyword}={value}"
        if isinstance(value, (int, float)):
            return f"{keyword}={_number(value)}"
        return f"{keyword}={value!r}"
    if isinstance(value, bool):
        return option if value else f"--no-{option.lstrip('-')}"
    if isinstance(value, (int, float)):
        return f"{option} {_number(value)}"
    return f"{option} {quote(str(value))}"


class _SettingsAsGiven:
    """An error about settings the caller gave, which names them as the caller gave them.

    The message names them by keyword, as the Python API takes them
    (``integration_time_ms=500``); a command line that gave them as options has them renamed
    (``--integration-ms 500``) by :meth:`name_options`, so the technician reads what they typed.
    """

    def _message(self, options: Mapping[str, str] | None, given: Mapping[str, Any]) -> str:
        """The message; a setting in ``given`` with the value given there is named by its
        option in ``options`` (by keyword when None), the instrument's own choices by keyword."""
        raise NotImplementedError

    def name_options(self, options: Mapping[str, str], given: Mapping[str, Any]) -> None:
        """Name the settings in the message by the command-line options that gave them.

        Parameters
        ----------
        options : mapping of str to str
            The option of each keyword the command passes on (``{"integration_time_ms":
            "--integration-ms", "averages": "--averages"}``); the settings the instrument
            takes are listed as those of these options it takes.
        given : mapping of str to object
            The settings the command passed on, by keyword: only a setting given with the value
            the message names is renamed, never a time the instrument chose itself
            (auto-exposure) that happens to be the same setting.

        Notes
        -----
        What happened (:attr:`problem`) is renamed; a message reworded since it was raised is
        left as it is.
        """
        by_keyword = self._message(None, {})
        message = self.problem
        if message.startswith(by_keyword):
            self.args = (self._message(options, given) + message[len(by_keyword) :],)


def _as_given(
    keyword: str, value: Any, options: Mapping[str, str] | None, given: Mapping[str, Any]
) -> str:
    """``setting_as_given`` by option only when the caller gave that setting that value."""
    by_option = options is not None and keyword in given and given[keyword] == value
    return setting_as_given(keyword, value, options if by_option else None)


class SettingsRefused(_SettingsAsGiven, NotSupported):
    """Settings the instrument cannot apply, refused before anything is measured: a setting
    is applied or refused, never dropped.

    Parameters
    ----------
    where : str
        The instrument's URL.
    refused : mapping of str to object
        The settings refused, by keyword, with their values as given.
    accepted : sequence of str
        The keywords of the settings the instrument takes.
    reason : str
        Why it refuses them ("this instrument has no such setting").
    """

    # the command asked for what this instrument does not do: the command, not the instrument,
    # must change (the command line's exit code for bad input, as for a setting out of range)
    exit_code = 2

    def __init__(
        self, where: str, refused: Mapping[str, Any], accepted: Sequence[str], reason: str
    ):
        self.where = where
        self.refused = dict(refused)
        self.accepted = tuple(accepted)
        self.reason = reason
        super().__init__(self._message(None, {}))

    def _message(self, options: Mapping[str, str] | None, given: Mapping[str, Any]) -> str:
        refused = ", ".join(_as_given(k, v, options, given) for k, v in self.refused.items())
        if options is None:
            takes = ", ".join(self.accepted) or "no settings"
        else:
            takes = ", ".join(options[k] for k in self.accepted if k in options)
            takes = takes or "none of this command's options"
        return f"{self.where}: cannot apply {refused}: {self.reason} (it takes {takes})"


class DetectorSaturated(_SettingsAsGiven, _InstrumentFailure):
    """Bands reached the detector's ceiling and re-exposing could not bring them below it.

    Parameters
    ----------
    message : str
        What happened; ``{integration}`` in it stands for the integration time the caller
        gave, named as they gave it (``--integration-ms 3000`` on the command line).
    advice : str
        What to do; ``{integration}`` in it stands for that integration time too.
    integration_time_ms : float, optional
        That integration time, as given; None when the instrument chose it (auto-exposure).
    """

    def __init__(self, message: str, *, advice: str, integration_time_ms: float | None = None):
        self.reason = message
        self.advised = advice
        self.value = integration_time_ms
        super().__init__(self._message(None, {}), advice=self._named(advice, None, {}))

    def _named(self, text: str, options: Mapping[str, str] | None, given: Mapping[str, Any]) -> str:
        if self.value is None:
            return text
        named = _as_given("integration_time_ms", self.value, options, given)
        return text.replace("{integration}", named)

    def _message(self, options: Mapping[str, str] | None, given: Mapping[str, Any]) -> str:
        return self._named(self.reason, options, given)

    def name_options(self, options: Mapping[str, str], given: Mapping[str, Any]) -> None:
        """Name the integration time given, in what happened and in what to do, by the
        command-line option that gave it (:meth:`_SettingsAsGiven.name_options`)."""
        super().name_options(options, given)
        self.advice = self._named(self.advised, options, given)


class SettingError(_SettingsAsGiven, InstrumentError, ValueError):
    """A setting is outside the instrument's range; the message gives the allowed range.

    Parameters
    ----------
    message : str
        What is wrong; with ``setting``, what is wrong with it, following the setting as given
        ("is out of range: expected 1-65535 ms").
    setting : str, optional
        The keyword of the setting the caller gave, when the error is about one.
    value : object, optional
        Its value as given.
    """

    def __init__(self, message: str, *, setting: str | None = None, value: Any = None):
        self.reason = message
        self.setting = setting
        self.value = value
        super().__init__(self._message(None, {}))

    def _message(self, options: Mapping[str, str] | None, given: Mapping[str, Any]) -> str:
        if self.setting is None:
            return self.reason
        return f"{_as_given(self.setting, self.value, options, given)} {self.reason}"
