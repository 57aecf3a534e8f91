"""Byte transport to an instrument: a pyserial port opened from a URL.

``serial.serial_for_url`` accepts a device path (``/dev/ttyUSB0``, ``COM3``), a pseudo-terminal
(``/dev/pts/5``), ``loop://`` and ``socket://host:port``, so the same driver code runs against a
real analyser, a simulator and a test loop-back. Reads are deadline-based: a reply is either
complete or an :class:`~drivers.errors.InstrumentTimeout`, never returned half-read.
"""

from __future__ import annotations

import contextlib
import errno
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType

import serial

from drivers.errors import (
    FIND_INSTRUMENTS_HINT,
    InstrumentDisconnected,
    InstrumentTimeout,
    NoAnswer,
    NotThisProtocol,
    ProtocolError,
    disconnected,
)

__all__ = [
    "BYTE_GAP_S",
    "PACED_FROM_BAUD",
    "PROC",
    "QUIET_S",
    "SerialTransport",
    "describe_port",
    "port_holders",
]

_CHUNK = 65536

PACED_FROM_BAUD = 115200
"""Line rate (bit/s) from which a paced transport sends a command one byte at a time."""

BYTE_GAP_S = 0.001
"""Pause between the bytes of a paced command: some spectrometers at 115200 baud have a one-byte
input buffer and lose a byte that comes sooner than about 1 ms after the one before."""

QUIET_S = 0.05
"""How long (s) the line must be quiet for what came before to count as a whole reply: the wait
of :meth:`SerialTransport.drain` before a connection is tried."""


def describe_port(device: str, description: str, hwid: str) -> str:
    """One line of ``forensic instrument list`` for a serial port: its device and what the
    system knows of it.

    pyserial says ``n/a`` for what it does not know (a built-in port has no USB description or
    hardware id), which read as ``/dev/ttyS0  n/a  [n/a]``.

    Parameters
    ----------
    device, description, hwid : str
        As pyserial's ``list_ports`` gives them.

    Returns
    -------
    str
        The device, then what is known of it (the description and ``[hardware id]``), two
        spaces apart; a port pyserial knows nothing of is said to be built in.

    Examples
    --------
    >>> describe_port("/dev/ttyS0", "n/a", "n/a")
    '/dev/ttyS0  built-in serial port (no USB adapter details)'
    >>> describe_port("/dev/ttyUSB0", "FT232R USB UART", "USB VID:PID=0403:6001")
    '/dev/ttyUSB0  FT232R USB UART  [USB VID:PID=0403:6001]'
    """
    known = [text for text in (description, hwid) if text and text != "n/a"]
    if not known:
        return f"{device}  built-in serial port (no USB adapter details)"
    if len(known) == 1:
        return f"{device}  {known[0]}"
    return f"{device}  {description}  [{hwid}]"


PROC = Path("/proc")
"""Where Linux shows each process's open files (``/proc/PID/fd``) and command line; on a
system without it, who holds a port is not said."""


def port_holders(device: str, *, proc: Path | None = None) -> list[str]:
    """The processes that have ``device`` open, as far as the system tells.

    Parameters
    ----------
    device : str
        The port's path (``/dev/ttyUSB0``); a link to it (``/dev/serial/by-id/...``) is
        followed.
    proc : Path, optional
        The process table to read (default :data:`PROC`, Linux's ``/proc``).

    Returns
    -------
    list of str
        ``pid 1234 (forensic scan --instrument ...)`` for each process whose open files
        include the device: its command line, the program by its name (not its folder), cut
        to 80 characters; empty where the system has no ``/proc`` or hides the holders
        (another user's processes).
    """
    proc = PROC if proc is None else proc
    try:
        target = os.path.realpath(device)
        pids = sorted(int(entry.name) for entry in proc.iterdir() if entry.name.isdigit())
    except OSError:
        return []
    holders = []
    for pid in pids:
        try:
            links = [os.readlink(fd) for fd in (proc / str(pid) / "fd").iterdir()]
            if target not in links:
                continue
            argv = (proc / str(pid) / "cmdline").read_bytes().split(b"\0")
        except OSError:  # ended meanwhile, or another user's: not for us to see
            continue
        words = [arg.decode(errors="replace") for arg in argv if arg]
        if words:  # the program by its name: its folder would take half the line
            words[0] = os.path.basename(words[0])
        line = " ".join(" ".join(words).split())
        if len(line) > 80:
            line = line[:77] + "..."
        holders.append(f"pid {pid} ({line})" if line else f"pid {pid}")
    return holders


def _why_not_opened(exc: BaseException, url: str) -> tuple[str, str | None]:
    """Why a port could not be opened, in words, and what to do.

    pyserial repeats the path and the error number ("[Errno 2] could not open port
    /dev/ttyUSB0: [Errno 2] No such file or directory: '/dev/ttyUSB0'") and says a file that is
    not a serial port "Could not configure port: (25, 'Inappropriate ioctl for device')".

    Parameters
    ----------
    exc : BaseException
        What opening it raised.
    url : str
        The port as given to pyserial: a path (``/dev/ttyUSB0``, ``COM3``) or a URL
        (``socket://host:port``).

    Returns
    -------
    str
        Why, in words.
    str or None
        What to do; None for a cause the port's words alone say (a network URL's): the
        disconnected instrument's advice then.
    """
    code = getattr(exc, "errno", None)
    cause = exc.__context__  # pyserial's "could not configure" hides the errno here
    if code is None and cause is not None and cause.args and isinstance(cause.args[0], int):
        code = cause.args[0]
    text = str(exc)
    if code in (errno.EACCES, errno.EPERM) or "Permission" in text:
        return (
            "permission denied",
            "add yourself to the 'dialout' group or install a udev rule, then scan again",
        )
    if "lock" in text.lower() or code == errno.EBUSY:
        holders = [] if "://" in url else port_holders(url)
        held = f": {', '.join(holders)}" if holders else ""
        return f"another program holds the port{held}", "close it first, then scan again"
    if "://" in url:
        return text, None
    if code == errno.EISDIR:
        return (
            "a folder, not a serial port",
            f"for an instrument exporting into it, give the URL folder://{url}",
        )
    said = {errno.ENOENT: "no such port", errno.ENOTTY: "not a serial port"}
    return said.get(code) or text, FIND_INSTRUMENTS_HINT


class _LineBusy(Exception):
    """Bytes kept coming unasked for longer than any reply left over takes (find_rate)."""


class _Silent(Exception):
    """Nothing answered at any rate (find_rate)."""


class _Garbled(Exception):
    """Bytes came, but no valid answer at any rate (find_rate)."""


class SerialTransport:
    """A serial port with complete-or-fail reads.

    Parameters
    ----------
    url : str
        Anything ``serial.serial_for_url`` opens.
    baudrate : int, default 9600
        Line rate in bit/s.
    exclusive : bool, default True
        Lock a device path against a second process (two processes sharing a port corrupt each
        other's frames). Ignored for ``loop://`` and ``socket://``.
    name : str, optional
        What messages call the port (:attr:`url`), when not ``url`` itself: a simulator's
        pseudo-terminal is named by the instrument the technician asked for.
    paced : bool, default False
        At :data:`PACED_FROM_BAUD` and above, send what :meth:`write` is given one byte at a
        time, :data:`BYTE_GAP_S` apart (:attr:`paced` may be changed later; the driver of a
        protocol whose devices need it sets it).

    Raises
    ------
    InstrumentDisconnected
        The port does not exist or cannot be opened (permissions, in use).
    """

    def __init__(
        self,
        url: str,
        *,
        baudrate: int = 9600,
        exclusive: bool = True,
        name: str | None = None,
        paced: bool = False,
    ) -> None:
        self.url = name or url
        self.paced = paced
        kwargs = {"baudrate": int(baudrate), "timeout": 0.05, "write_timeout": 2.0}
        if "://" not in url and exclusive:
            kwargs["exclusive"] = True
        try:
            self._port = serial.serial_for_url(url, **kwargs)
        except (serial.SerialException, OSError, ValueError) as exc:
            why, advice = _why_not_opened(exc, url)
            raise InstrumentDisconnected(f"cannot open {self.url}: {why}", advice=advice) from None
        self.bytes_read = 0
        self._drain_left_s: float | None = None  # while connecting: see find_rate
        # the device disconnected: the port is then released (is_open false), so that
        # nothing waits on it or writes to it again
        self.lost = False

    # -- context management ---------------------------------------------------------------

    def __enter__(self) -> SerialTransport:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release the port (safe to call twice).

        A stop (Ctrl-C, a stopping signal) that cuts pyserial's own closing short is raised
        once the port is closed all the same: a port left open holds its lock, and the next
        command is refused it.
        """
        stop: KeyboardInterrupt | None = None
        while getattr(self, "_port", None) is not None:
            try:
                with contextlib.suppress(serial.SerialException, OSError):
                    self._port.close()  # pyserial's closing is idempotent: again, if cut short
                self._port = None
            except KeyboardInterrupt as exc:
                stop = stop or exc
        if stop is not None:
            raise stop

    @property
    def is_open(self) -> bool:
        """True while the port is held."""
        return self._port is not None

    # -- line settings ------------------------------------------------------------------------

    @property
    def baudrate(self) -> int:
        """Current line rate in bit/s."""
        return int(self._live().baudrate)

    @baudrate.setter
    def baudrate(self, value: int) -> None:
        try:
            self._live().baudrate = int(value)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise InstrumentDisconnected(f"{self.url}: cannot set {value} baud: {exc}") from None

    def _live(self) -> serial.SerialBase:
        if self._port is None:
            if self.lost:  # the port's own words were said with the disconnection
                raise InstrumentDisconnected(f"{self.url}: the device disconnected")
            raise InstrumentDisconnected(f"{self.url}: the port is closed")
        return self._port

    def _lost(self, how: str, error: BaseException) -> InstrumentDisconnected:
        """The device disconnected (``how``, the port's ``error``): release the port, and
        return the error that says so."""
        self.lost = True
        self.close()
        return disconnected(self.url, how, error)

    # -- I/O -----------------------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        """Send ``data`` completely; byte by byte, :data:`BYTE_GAP_S` apart, when
        :attr:`paced` and the line runs at :data:`PACED_FROM_BAUD` or faster."""
        port = self._live()
        data = bytes(data)
        try:
            if self.paced and len(data) > 1 and int(port.baudrate) >= PACED_FROM_BAUD:
                for index in range(len(data)):
                    if index:
                        time.sleep(BYTE_GAP_S)
                    port.write(data[index : index + 1])
                    port.flush()  # out of the computer before the gap is counted
                return
            port.write(data)
            port.flush()
        except serial.SerialTimeoutException:
            raise InstrumentTimeout(f"{self.url}: the device did not accept data") from None
        except (serial.SerialException, OSError) as exc:
            raise self._lost(
                "the device disconnected while a command was sent to it", exc
            ) from None

    def discard_input(self) -> bytes:
        """Drop and return whatever is waiting in the input buffer (stale or garbled bytes)."""
        port = self._live()
        try:
            waiting = port.in_waiting
            return port.read(waiting) if waiting else b""
        except (serial.SerialException, OSError) as exc:
            raise self._lost("the device disconnected", exc) from None

    def drain(self, quiet_s: float, limit_s: float) -> int:
        """Drop what arrives until the line has been quiet for ``quiet_s`` seconds.

        For the rest of a reply meant for a session that was stopped (a spectrum still on its
        way at 9600 baud takes seconds), which :meth:`discard_input` alone would cut in two.
        While :meth:`find_rate` connects, every drain takes from its one allowance.

        Parameters
        ----------
        quiet_s : float
            How long nothing must arrive (s).
        limit_s : float
            The longest it drains (s), even if bytes keep coming.

        Returns
        -------
        int
            The number of bytes dropped.
        """
        started = time.monotonic()
        budget = self._drain_left_s
        limit = limit_s if budget is None else min(limit_s, budget)
        deadline = started + max(limit, quiet_s)  # quiet now, or not: listen once at least
        dropped = len(self.discard_input())
        try:
            while True:
                now = time.monotonic()
                if now >= deadline:
                    if budget is not None and budget <= limit_s:
                        raise _LineBusy
                    return dropped
                chunk = self.read_some(_CHUNK, min(now + quiet_s, deadline))
                if not chunk:
                    return dropped
                dropped += len(chunk)
        finally:
            if budget is not None:
                self._drain_left_s = budget - (time.monotonic() - started)

    def skip_reply(self, begins_by: float, limit_s: float) -> int:
        """Drop a reply still owed to a request whose answer was not read: wait until
        ``begins_by`` for it to begin, then drop it until the line is quiet.

        For the spectrum of a scan that timed out or was stopped: an instrument busy with the
        exposure hears nothing, and sends that spectrum before it answers anything else.

        Parameters
        ----------
        begins_by : float
            The latest (``time.monotonic()``) the reply may begin; at once when past.
        limit_s : float
            The longest it drains once the reply has begun (its line time).

        Returns
        -------
        int
            The number of bytes dropped (0 when nothing came by ``begins_by``).
        """
        return len(self.read_some(_CHUNK, begins_by)) + self.drain(QUIET_S, limit_s)

    def let_answer_pass(self, failure: InstrumentTimeout | ProtocolError, wait_s: float) -> int:
        """Before a request is sent again: let the answer to its last sending come, and drop it.

        Neither protocol says which sending an answer is for (an Ocean ACK is an ACK; an OBP
        reply names its message type, and its ``regarding`` field is not documented to be
        echoed): an answer that came after the request was sent again was read as the answer
        to the new sending, and that one's as the answer to the next request, every reply one
        late (a firmware version's last bytes read as a serial number, an OBP coefficient as
        the next one, a wrong wavelength axis). An answer that timed out is waited for as long
        again (a busy controller, a USB adapter's latency), a damaged one until the line is
        quiet.

        Parameters
        ----------
        failure : InstrumentTimeout or ProtocolError
            How the last sending failed: no answer in time, or a damaged one.
        wait_s : float
            The request's timeout (s): how long a late answer may still take to begin, and
            the longest it is drained.

        Returns
        -------
        int
            The number of bytes dropped.
        """
        if isinstance(failure, InstrumentTimeout):
            return self.skip_reply(time.monotonic() + wait_s, wait_s)
        return self.drain(QUIET_S, wait_s)

    def find_rate(
        self,
        probe: Callable[[float | None], bool | None],
        rates: Sequence[int],
        *,
        drain_s: float,
        command_timeout_s: float,
        asked: str,
        device: str,
        garbled: str,
    ) -> None:
        """Leave the port at the line rate the device answers ``probe`` at, or raise.

        The connection after a stopped session: the rest of a reply meant for it (a spectrum
        still on its way) is drained first, then ``probe`` is tried at the port's rate and at
        the other ``rates``. A device silent at its rate may be busy with an exposure the
        stopped session asked for, which it hears nothing before it ends; the other rates
        took a while meanwhile, so it is tried once more there, with a longer wait.

        What is left of a stopped session is one reply at most, so all the draining (here and
        in ``probe``) takes ``drain_s`` at most: bytes that keep coming for longer are another
        device talking on the port, and the connection stops at once.

        Parameters
        ----------
        probe : callable
            The protocol's question, ``probe(wait_s)``: True for a valid answer at the port's
            current rate, False when bytes came but not that answer, None when nothing came
            within ``wait_s`` seconds (None: the probe's own default).
        rates : sequence of int
            The line rates (bit/s) to try, in order; the port's rate is tried first.
        drain_s : float
            The longest (s) a reply still on its way takes at the port's rate (the line time
            of the longest spectrum), the most that is drained before a probe.
        command_timeout_s : float
            The driver's time for a short reply: the last try waits this long, at least 1 s,
            and what the device answered meanwhile is drained for as long.
        asked : str
            What ``probe`` asks, for the message (``"'v'"``); empty to name nothing.
        device : str
            The device, with its article, for the message (``"a spectrometer"``).
        garbled : str
            What the message says never came when bytes did (``"no legible reply to 'v'"``).

        Raises
        ------
        NoAnswer
            Nothing at all came at the port's rate, nor a valid answer at another: the message
            says a wrong port or protocol does that, a busy instrument, the cable and the
            power.
        NotThisProtocol
            Bytes came but no valid answer, at any of ``rates``, or bytes kept coming unasked:
            the message says another device or protocol does that.
        InstrumentDisconnected
            The port vanished.
        """
        first = self.baudrate
        self._drain_left_s = drain_s
        try:
            self._find_rate(probe, rates, drain_s=drain_s, command_timeout_s=command_timeout_s)
        except _Silent:
            others = ", ".join(str(rate) for rate in rates if rate != first)
            raise NoAnswer(
                f"{self.url}: nothing answered{' ' if asked else ''}{asked} at {first} baud, "
                f"nor legibly at {others}: a wrong port, or an instrument of another protocol, "
                f"is silent; so is {device} busy with an exposure (a scan stopped during a "
                "long one) until it ends, and one without power or cable"
            ) from None
        except _LineBusy:
            raise NotThisProtocol(
                f"{self.url}: bytes kept coming unasked for {drain_s:.0f} s, longer than "
                f"anything {device} sends: another device is on this port"
            ) from None
        except _Garbled:
            raise NotThisProtocol(
                f"{self.url}: bytes came, but {garbled} at {', '.join(map(str, rates))} baud: "
                "another device, or an instrument of another protocol (or a bad cable), is on "
                "this port"
            ) from None
        finally:
            self._drain_left_s = None

    def _find_rate(
        self,
        probe: Callable[[float | None], bool | None],
        rates: Sequence[int],
        *,
        drain_s: float,
        command_timeout_s: float,
    ) -> None:
        """:meth:`find_rate` but for its messages: raises :class:`_Silent` when nothing
        answered, :class:`_Garbled` when bytes came but no valid answer."""
        first = self.baudrate
        self.drain(QUIET_S, drain_s)
        answer = probe(None)
        if answer:
            return
        for rate in rates:
            if rate == first:
                continue
            self.baudrate = rate
            if probe(None):
                return
        if answer is None:
            self.baudrate = first
            self.drain(QUIET_S, drain_s)
            if probe(max(command_timeout_s, 1.0)):
                self.drain(QUIET_S, command_timeout_s)  # the replies to what it heard
                return
            raise _Silent
        raise _Garbled

    def read_some(self, limit: int, deadline: float) -> bytes:
        """Return at least one and at most ``limit`` bytes, waiting until ``deadline``.

        Returns ``b""`` when the deadline passes with nothing received.
        """
        port = self._live()
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return b""
            try:
                port.timeout = min(remaining, 0.25)
                waiting = port.in_waiting
                chunk = port.read(max(1, min(limit, max(waiting, 1))))
            except (serial.SerialException, OSError) as exc:
                raise self._lost("the device disconnected", exc) from None
            if chunk:
                self.bytes_read += len(chunk)
                return chunk

    def read_exact(self, count: int, timeout_s: float, *, what: str = "reply") -> bytes:
        """Read exactly ``count`` bytes or raise.

        Raises
        ------
        InstrumentTimeout
            Fewer bytes arrived before ``timeout_s`` seconds passed (the partial bytes are in the
            message and in ``received``, never returned).
        InstrumentDisconnected
            The port vanished.
        """
        deadline = time.monotonic() + timeout_s
        buffer = bytearray()
        while len(buffer) < count:
            chunk = self.read_some(min(_CHUNK, count - len(buffer)), deadline)
            if not chunk:
                raise InstrumentTimeout(
                    f"{self.url}: {what} incomplete after {timeout_s:.2f} s: received "
                    f"{len(buffer)} of {count} bytes",
                    received=bytes(buffer),
                )
            buffer += chunk
        return bytes(buffer)

    def read_until(
        self, terminator: bytes, timeout_s: float, *, limit: int = 4096, what: str = "reply"
    ) -> bytes:
        """Read up to and including ``terminator`` (at most ``limit`` bytes) or raise."""
        deadline = time.monotonic() + timeout_s
        buffer = bytearray()
        while not buffer.endswith(terminator):
            if len(buffer) >= limit:
                raise ProtocolError(
                    f"{self.url}: {what} exceeded {limit} bytes without its terminator "
                    f"{terminator.hex()}",
                    frame=bytes(buffer),
                )
            chunk = self.read_some(1, deadline)
            if not chunk:
                raise InstrumentTimeout(
                    f"{self.url}: {what} not terminated after {timeout_s:.2f} s",
                    received=bytes(buffer),
                )
            buffer += chunk
        return bytes(buffer)
