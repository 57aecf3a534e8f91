"""A device simulator served on a pseudo-terminal, from a thread or a whole process.

The simulator holds the master side of ``os.openpty()``; the driver opens the slave path
(``/dev/pts/N``) exactly as it would open ``/dev/ttyUSB0``. The line rate the driver sets on
its side is visible through the shared termios settings, so a simulator running at another
rate answers with garbled bytes, as a real device does, until the rates agree.
"""

from __future__ import annotations

import contextlib
import os
import select
import termios
import threading
import time
import tty
from types import TracebackType

from drivers.errors import SettingError
from drivers.simulators.synth import DetectorModel, RamanSynthesizer
from forensic.spectrum import Spectrum

__all__ = ["FAULTS", "PtySimulator", "RamanPtySimulator"]

FAULTS = {
    "slow": "replies to a scan slow_s seconds (4 s by default) after the time the driver "
    "allows a scan besides its command timeout (twice the exposure, and the line time of the "
    "longest spectrum at the line rate): a timeout where the command timeout (timeout= in the "
    "URL, default 1 s) is shorter than slow_s, otherwise a slow scan to interrupt",
    "truncated": "sends half of the spectrum frame, then nothing",
    "corrupt": "flips a byte of the pixel data (the checksum no longer matches)",
    "checksum": "sends intact pixel data with a wrong checksum",
    "nak": "refuses the scan command (NAK / OBP error code)",
    "disconnect": "closes the pseudo-terminal in the middle of a spectrum (cable pulled)",
    "baud": "runs at 115200 baud: bytes are garbled until the driver finds the rate",
    "interlock": "reports the laser interlock open",
}
"""Faults a simulator injects on demand, with what each does. Scan faults strike the scans
taken with the laser on (auto-exposure and sample frames); identification reads are spared."""

_SPEEDS = {
    getattr(termios, f"B{rate}"): rate
    for rate in (600, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400)
    if hasattr(termios, f"B{rate}")
}


class PtySimulator:
    """Base of the protocol simulators: the pty, the serving loop, and fault injection.

    Subclasses implement :meth:`handle`, which consumes request bytes and returns the reply.

    Parameters
    ----------
    fault : str, optional
        One of :data:`FAULTS`.
    slow_s : float, default 4.0
        Under the ``slow`` fault, how much later than the driver's scan allowance (besides its
        command timeout) a scan is answered (see :meth:`send_scan`).
    baud : int, default 9600
        The device's line rate (the ``baud`` fault runs at 115200 instead).
    """

    name = "simulator"

    def __init__(self, *, fault: str | None = None, slow_s: float = 4.0, baud: int = 9600) -> None:
        if fault is not None and fault not in FAULTS:
            raise SettingError(f"unknown fault {fault!r}; known faults: {', '.join(FAULTS)}")
        self.fault = fault
        self.slow_s = slow_s
        self.device_baud = 115200 if fault == "baud" else int(baud)
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        attrs = termios.tcgetattr(self._slave)
        attrs[4] = attrs[5] = termios.B9600
        termios.tcsetattr(self._slave, termios.TCSANOW, attrs)
        self.device_path = os.ttyname(self._slave)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.closed = False
        self.requests = 0

    # -- lifetime ----------------------------------------------------------------------------

    def start(self) -> PtySimulator:
        """Serve from a daemon thread; returns self (use :attr:`device_path`)."""
        self._thread = threading.Thread(target=self.serve_forever, name=self.name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the pseudo-terminal."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2.0)
        self._close_pty()

    def __enter__(self) -> PtySimulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _close_pty(self) -> None:
        with self._lock:
            if self.closed:
                return
            self.closed = True
            for fd in (self._master, self._slave):
                with contextlib.suppress(OSError):
                    os.close(fd)

    # -- serving --------------------------------------------------------------------------------

    def host_baud(self) -> int | None:
        """The rate the driver set on its end of the line (None if unknown)."""
        try:
            return _SPEEDS.get(termios.tcgetattr(self._master)[5])
        except (termios.error, OSError):
            return None

    def serve_forever(self) -> None:
        """Answer requests until :meth:`stop` (or a ``disconnect`` fault) ends the session."""
        buffer = bytearray()
        while not self._stop.is_set() and not self.closed:
            try:
                ready, _, _ = select.select([self._master], [], [], 0.05)
            except (OSError, ValueError):
                break
            if not ready:
                continue
            try:
                data = os.read(self._master, 65536)
            except OSError:
                time.sleep(0.01)
                continue
            if not data:
                continue
            host = self.host_baud()
            if host is not None and host != self.device_baud:
                buffer.clear()  # at the wrong rate nothing the host sends is legible
                self.write(bytes(((b * 37 + 11) & 0x3F) | 0x40 for b in data))
                continue
            buffer += data
            while buffer and not self.closed:
                reply, used = self.handle(bytes(buffer))
                if used == 0:
                    break
                del buffer[:used]
                self.requests += 1
                if reply:
                    self.write(reply)

    def handle(self, request: bytes) -> tuple[bytes, int]:
        """Consume the first request in ``request``: return (reply bytes, bytes used).

        Return ``(b"", 0)`` when more bytes are needed.
        """
        raise NotImplementedError

    def write(self, data: bytes) -> None:
        """Send bytes to the driver (silently dropped once the pty is closed)."""
        view = memoryview(data)
        while view and not self.closed:
            try:
                written = os.write(self._master, view)
            except BlockingIOError:
                time.sleep(0.001)
                continue
            except OSError:
                return
            view = view[written:]

    def send_scan(
        self,
        frame: bytes,
        data_range: tuple[int, int],
        checksum_range: tuple[int, int],
        *,
        asked_at: float | None = None,
        allowance_s: float = 0.0,
    ) -> bytes:
        """Apply the scan faults to a spectrum reply; returns what :meth:`handle` should send.

        Parameters
        ----------
        frame : bytes
            The whole reply.
        data_range, checksum_range : (int, int)
            The (start, stop) byte ranges of the pixel data and of the checksum in ``frame``.
        asked_at : float, optional
            When the scan was asked for (``time.monotonic()``); default now.
        allowance_s : float, default 0
            The time the driver allows the reply besides its command timeout, from when it
            asked: its protocol's ``scan_allowance_s`` (twice the exposure and the line time
            of the spectrum), the function the driver itself uses. The ``slow``
            fault answers :attr:`slow_s` after it, so it is a timeout exactly where the
            driver's command timeout is shorter than :attr:`slow_s`, whatever the line rate.
        """
        if self.fault == "checksum":
            damaged = bytearray(frame)
            damaged[checksum_range[0]] ^= 0x01
            return bytes(damaged)
        if self.fault == "slow":
            start = time.monotonic() if asked_at is None else asked_at
            late = start + allowance_s + self.slow_s - time.monotonic()
            if self._stop.wait(max(late, 0.0)):
                return b""
            return frame
        if self.fault == "truncated":
            return frame[: len(frame) // 2]
        if self.fault == "corrupt":
            start, stop = data_range
            index = start + (stop - start) // 3
            damaged = bytearray(frame)
            damaged[index] ^= 0x5A
            return bytes(damaged)
        if self.fault == "disconnect":
            self.write(frame[: len(frame) // 3])
            time.sleep(0.05)
            self._close_pty()
            return b""
        return frame

    def set_device_baud(self, rate: int) -> None:
        """Change the device's own line rate (after a baud-change handshake)."""
        self.device_baud = int(rate)


class RamanPtySimulator(PtySimulator):
    """A protocol simulator of a Raman spectrometer measuring one synthetic sample.

    Holds what every simulated Raman instrument shares: the synthesiser of its scans, whether
    an exposure takes real time, and a serial number derived from the sample. Subclasses
    implement :meth:`handle` and set their power-up state in :meth:`reset`.

    Parameters
    ----------
    reference : Spectrum
        The Raman spectrum of the simulated sample.
    fault : str, optional
        One of :data:`FAULTS`.
    seed : int, optional
        Noise seed.
    realtime : bool, default True
        Take as long as the exposure before answering a scan.
    detector : DetectorModel, optional
    slow_s, baud
        As :class:`PtySimulator`.
    """

    def __init__(
        self,
        reference: Spectrum,
        *,
        fault: str | None = None,
        seed: int | None = None,
        realtime: bool = True,
        detector: DetectorModel | None = None,
        slow_s: float = 4.0,
        baud: int = 9600,
    ) -> None:
        super().__init__(fault=fault, slow_s=slow_s, baud=baud)
        self.synth = RamanSynthesizer(reference, detector, seed=seed)
        self.realtime = realtime
        self._sample_number = int(reference.content_hash()[:8], 16) % 100000
        self.reset()

    def reset(self) -> None:
        """Put the instrument's settings to their power-up defaults (subclasses add theirs)."""

    def serial_number(self, prefix: str) -> str:
        """``prefix`` and five digits of the sample: starts with ``SIM`` for the drivers."""
        return f"{prefix}{self._sample_number:05d}"

    def expose(self, seconds: float) -> bool:
        """Wait out an exposure (at most 30 s; at once unless realtime).

        Returns False when the simulator was stopped meanwhile: nothing is to be sent.
        """
        return not (self.realtime and self._stop.wait(min(seconds, 30.0)))
