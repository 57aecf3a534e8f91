"""The exceptions of the toolkit: one root, one subclass per kind of failure.

Every message names what went wrong and where (the file and line, the serial frame, the
record), the value found and what was expected, so that a technician can act on one line.
:class:`Interrupted` is apart: work stopped by a person or the system is not a failure; both
say what happened, a warning, what was recorded and what to do in the same parts
(:class:`SaidInParts`).
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from os import PathLike
from pathlib import Path
from typing import Any, NoReturn

__all__ = [
    "CustodyError",
    "DriverBug",
    "ForensicError",
    "FormatError",
    "GridCoverageError",
    "IdentificationError",
    "InstallationError",
    "InstrumentError",
    "Interrupted",
    "LibraryError",
    "NotVibrationalError",
    "OutOfRangeError",
    "SaidInParts",
    "SpectrumError",
    "error_lines",
    "holding_signals",
    "receiving_spectrum",
    "recording_nothing",
    "spectrum_in_hand",
    "without_path",
]


class SaidInParts:
    """What an error or a stop says, in parts, each said once and in the order a technician
    reads them: what happened (:attr:`problem`), ``WARNING: ...``, what was recorded, and
    ``to do: ...`` (:meth:`said`). The command line prints each on a line of its own
    (:func:`error_lines`); ``str()`` joins them on one line.

    The root of :class:`ForensicError` and of :class:`Interrupted`: a failure and a stop are
    told the same way.
    """

    advice: str | None = None
    """What to do about it, one action, said last (``to do: ...``); None when there is nothing
    more to say than what happened (the message itself says it)."""

    warning: str | None = None
    """What must not be missed whatever is done next (the laser may still be on), said right
    after what happened (``WARNING: ...``); None when there is none."""

    recorded: str | None = None
    """What the work this ended had recorded, and where a spectrum it could not record is
    kept, in words (a failed or stopped scan's records); None when it recorded nothing worth
    saying."""

    @property
    def problem(self) -> str:
        """What happened and where, with the value found: the message without the warning,
        what was recorded and what to do."""
        raise NotImplementedError

    def said(self) -> list[str]:
        """The message in the order a technician reads it, each part once: what happened,
        ``WARNING: ...``, what was recorded, ``to do: ...`` (the parts there are).

        Returns
        -------
        list of str
            The parts, the first :attr:`problem`; the command line prints each on a line.
        """
        return [
            self.problem,
            *([f"WARNING: {self.warning}"] if self.warning else []),
            *([self.recorded] if self.recorded else []),
            *([f"to do: {self.advice}"] if self.advice else []),
        ]

    def advice_before(self, left: str, otherwise: str | None = None) -> str:
        """What to do about this and then what is ``left`` to do, as the one action of a
        message that says this in its own words: this one's advice first, then ``left``.

        Parameters
        ----------
        left : str
            What is left to do once this is put right (``"`forensic report ...` makes the
            report"``).
        otherwise : str, optional
            What to do when this has no advice (default ``left``).

        Returns
        -------
        str
            ``"{advice}; then {left}"``, else ``otherwise``.
        """
        if self.advice:
            return f"{self.advice}; then {left}"
        return left if otherwise is None else otherwise

    def __str__(self) -> str:
        return "; ".join(self.said())


def error_lines(exc: SaidInParts) -> list[str]:
    """What the command line prints for the error, or the stop, that ended a command, each
    part on a line of its own and said once (:meth:`SaidInParts.said`).

    Here, beside the parts, and not in the command line: the ``forensic`` program prints a
    stop that comes while the command line loads (:func:`forensic.__main__.run`), before
    click and the commands can be imported.

    Parameters
    ----------
    exc : ForensicError or Interrupted
        The error, or the stop (Ctrl-C, a stopping signal).

    Returns
    -------
    list of str
        ``error: <what happened>`` (for a stop ``error: interrupted``, ``error: stopped by
        SIGTERM``); then, for one that has them, ``WARNING: ...`` (the laser may still be on:
        on a line of its own, so that it cannot be missed), what the command had recorded (a
        failed or stopped scan's records, a spectrum kept in a file), and last ``to do:
        ...``, the one thing to do.
    """
    first, *rest = exc.said()
    return [f"error: {first}", *rest]


class ForensicError(SaidInParts, Exception):
    """Root of every error the toolkit raises on purpose.

    Its parts beside the message (:class:`SaidInParts`): ``advice``, ``warning`` and
    ``recorded``, each None unless the error says it.

    Attributes
    ----------
    spectrum_kept : Path or None
        The file a measured spectrum is kept in because the evidence store could not record
        it (``DO NOT MEASURE AGAIN``: :func:`forensic.custody.unrecorded.keep_unrecorded`),
        or its file could not be written where it was asked
        (:func:`~forensic.custody.unrecorded.keep_unwritten`), when the work this error ended
        left one; None otherwise. Whatever the error, the
        command line then exits 5 (:data:`forensic.cli.app.EXIT_SPECTRUM_KEPT`): record the
        file, do not measure again.
    spectrum_lost : bool
        The work this error ended had measured a spectrum (the laser had fired) that is kept
        nowhere: neither recorded or written where it was asked, nor kept in a file elsewhere
        (no room on any disk); the error's ``warning`` says it is lost. The command line then
        exits 75 (:data:`forensic.cli.app.EXIT_TEMPFAIL`): nothing of it is left, and the same
        command measures it again once there is room.
    """

    spectrum_kept: Path | None = None
    spectrum_lost: bool = False

    @property
    def problem(self) -> str:
        """What happened and where, with the value found: the message without the warning,
        what was recorded and what to do."""
        return Exception.__str__(self)


class SpectrumError(ForensicError, ValueError):
    """A spectrum's arrays or attributes are not valid (NaN, length mismatch, too few points...)."""


class GridCoverageError(SpectrumError):
    """A spectrum's range holds too few points of a grid to be resampled onto it
    (:func:`forensic.processing.resample`)."""


class FormatError(ForensicError):
    """A file cannot be read as a spectrum: corrupt, truncated, or not the format it claims.

    Parameters
    ----------
    message : str
        What is wrong, with the value found and what was expected.
    path : str or path-like, optional
        The file being read.
    line : int, optional
        1-based line number, for text formats.
    """

    def __init__(
        self, message: str, *, path: str | PathLike | None = None, line: int | None = None
    ):
        self.reason = message
        self.path = None if path is None else str(path)
        self.line = line
        where = []
        if self.path is not None:
            where.append(self.path)
        if line is not None:
            where.append(f"line {line}")
        super().__init__(": ".join([*where, message]))


class NotVibrationalError(FormatError):
    """The file is readable but holds something other than a Raman or IR spectrum.

    ``kind`` says what it is instead ("NMR spectrum", "mass spectrum", "interferogram", ...).
    """

    def __init__(self, kind: str, *, path: str | PathLike | None = None, detail: str = ""):
        self.kind = kind
        message = f"not a vibrational spectrum: this file holds {kind}"
        if detail:
            message += f" ({detail})"
        super().__init__(message, path=path)


class LibraryError(ForensicError):
    """A reference library cannot be built, loaded or used as asked."""


class IdentificationError(ForensicError):
    """A query cannot be identified (wrong modality for the library, no overlap with its grid)."""


class OutOfRangeError(IdentificationError):
    """A query whose range holds too little of what the library compares (its grid, or the
    range of every reference) to be compared with it. The spectrum, as recorded, fails so
    against that library however often it is identified: a scan that saved it does not tell
    the technician to identify it again."""


class InstrumentError(ForensicError):
    """Root of the instrument and driver errors (timeouts, disconnects, protocol errors...)."""


class DriverBug(InstrumentError):
    """An instrument's driver failed on an exception that is not one of the toolkit's (a
    ``KeyError``, a ``TypeError``: a bug, to report): the command ends as on an instrument
    fault (exit 3), naming the exception, with it as its ``__cause__``.

    Build one with :meth:`of`.
    """

    exit_code = 3  # as every instrument fault (drivers.errors.EXIT_INSTRUMENT)

    advice = "report this bug in the instrument's driver, with this message"

    @classmethod
    def of(cls, where: str, doing: str, exc: BaseException, warning: str | None = None):
        """The error for ``exc``, raised by the driver of ``where`` while ``doing`` (words:
        "acquiring"), with a ``warning`` the technician must read (the laser may be on)."""
        said = " ".join(str(exc).split())
        bug = cls(
            f"{where}: {doing} failed on an unexpected error in the instrument's driver "
            f"({type(exc).__name__}{': ' + said if said else ''})"
        )
        bug.warning = warning
        return bug


class InstallationError(ForensicError):
    """The toolkit's installation lacks a file it needs (a package installed without its data,
    such as matplotlib without its fonts): nothing the user gave is at fault, and the message
    says what to reinstall."""


class CustodyError(ForensicError):
    """The evidence store, the custody chain, a signature or a bundle is not as it must be."""


class Interrupted(SaidInParts, KeyboardInterrupt):
    """Work stopped by Ctrl-C, or by a signal that stops it the same way (SIGTERM: ``kill``, a
    shutdown; SIGHUP: the terminal was closed).

    A :class:`KeyboardInterrupt`, not a :class:`ForensicError`: ``except Exception`` lets it
    pass and every ``finally`` runs, so a driver switches its laser off and closes its port and
    a store rolls back what it had not committed. It is told as an error is
    (:class:`SaidInParts`): what happened is that it stopped (``interrupted``, ``stopped by
    SIGTERM``), then its warning, what the stopped work had recorded and what to do.

    Parameters
    ----------
    signum : int, default signal.SIGINT
        The signal that stopped the work (SIGINT: Ctrl-C).
    recorded : str, optional
        What the stopped work had recorded, and what it had not, for the person who stopped it
        (e.g. "the spectrum and result ... are recorded; the report was not written").
    warning : str, optional
        What the person who stopped the work must know whatever was recorded, said right
        after what happened as ``WARNING: ...`` (e.g. the laser could not be switched off, so
        it may still be on). Work that stops again with what it recorded keeps it
        (:meth:`having_recorded`).
    advice : str, optional
        What is left to do about what the stopped work recorded, or did not, one action, said
        last as ``to do: ...`` (e.g. "run `forensic report ...` to make it", "scan again to
        measure it").
    """

    #: The signals that stop a command as Ctrl-C does (SIGHUP does not exist on Windows).
    SIGNALS = tuple(
        getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
    )

    def __init__(
        self,
        signum: int = signal.SIGINT,
        recorded: str | None = None,
        warning: str | None = None,
        advice: str | None = None,
    ) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = int(signum)
        self.recorded = recorded
        self.warning = warning
        self.advice = advice

    @classmethod
    def having_recorded(
        cls, stop: BaseException, recorded: str | None, advice: str | None = None
    ) -> Interrupted:
        """The stop ``stop`` (an :class:`Interrupted`, or Python's own Ctrl-C) saying what the
        stopped work had ``recorded`` and what is left to do about it (``advice``), and still
        warning of what it warned of.

        Parameters
        ----------
        stop : BaseException
            The :class:`KeyboardInterrupt` that stopped the work.
        recorded : str or None
            What the stopped work had recorded, in words.
        advice : str or None
            What is left to do about it, one action; None when nothing is. It stands for what
            ``stop`` said to do: the work that says what it recorded says what is left.

        Returns
        -------
        Interrupted
            With the signal and the warning of ``stop`` (SIGINT and none for a plain
            :class:`KeyboardInterrupt`); to be raised ``from stop``.
        """
        if isinstance(stop, Interrupted):
            return cls(stop.signum, recorded, stop.warning, advice)
        return cls(signal.SIGINT, recorded, advice=advice)

    @classmethod
    def cutting_short(cls, stop: BaseException, told: SaidInParts, lines_out: int) -> Interrupted:
        """The stop ``stop`` that came while the lines of ``told`` (an error that ended a
        command) were printed, ``lines_out`` of them out: it says what ``told`` had not said
        yet, its warning, what was recorded and what to do, so that each is said once and
        none is lost (a spectrum kept in a file: DO NOT MEASURE AGAIN, and where).

        Parameters
        ----------
        stop : BaseException
            The :class:`KeyboardInterrupt` that came.
        told : SaidInParts
            What was being said (:meth:`SaidInParts.said`, one line a part).
        lines_out : int
            How many of its lines were printed before the stop came.

        Returns
        -------
        Interrupted
            With the signal of ``stop``, its warning and then the warning ``told`` had not
            said, and what ``told`` had not said of what was recorded and what to do.
        """
        parts = [
            "problem",
            *(part for part in ("warning", "recorded", "advice") if getattr(told, part)),
        ]
        unsaid = {part: getattr(told, part) for part in parts[lines_out:] if part != "problem"}
        signum = stop.signum if isinstance(stop, Interrupted) else signal.SIGINT
        warnings = [w for w in (getattr(stop, "warning", None), unsaid.get("warning")) if w]
        return cls(
            signum, unsaid.get("recorded"), "; ".join(warnings) or None, unsaid.get("advice")
        )

    @property
    def exit_code(self) -> int:
        """128 + the signal's number, as a shell reports a process the signal ended (130 for
        Ctrl-C, 143 for SIGTERM, 129 for SIGHUP)."""
        return 128 + self.signum

    @property
    def problem(self) -> str:
        """That the work stopped, and by what: ``interrupted`` (Ctrl-C), else ``stopped by``
        the signal (``stopped by SIGTERM``)."""
        if self.signum == signal.SIGINT:
            return "interrupted"
        return f"stopped by {signal.Signals(self.signum).name}"

    @classmethod
    def raise_on_signal(cls, signum: int, frame: object) -> NoReturn:
        """A signal handler (``signal.signal(SIGTERM, Interrupted.raise_on_signal)``): stop the
        work where it is, as Ctrl-C does."""
        raise cls(signum)


class _Held:
    """Ctrl-C and the stopping signals held where Python handles them (:func:`holding_signals`,
    :func:`receiving_spectrum`): from :meth:`begin` they are noted, not raised; :meth:`end`
    gives the handlers back and delivers those that came, to them, as if they came then."""

    def __init__(self) -> None:
        self.came: list[int] = []
        self.before: dict[int, Any] = {}

    def _hold(self, signum: int, frame: object) -> None:
        self.came.append(signum)

    def begin(self) -> None:
        """Hold them from now on (nothing more when they are held already)."""
        if self.before:
            return
        try:
            for signum in (signal.SIGINT, *Interrupted.SIGNALS):
                handler = signal.getsignal(signum)
                if handler is not None:  # None: not set from Python, and so not to be set back
                    self.before[signum] = signal.signal(signum, self._hold)
        except ValueError:  # not the main thread, which alone is stopped by them: none to hold
            pass

    def end(self) -> None:
        """Give the handlers back, then deliver the signals that came meanwhile."""
        before, self.before = self.before, {}
        for signum, handler in before.items():
            signal.signal(signum, handler)
        came, self.came = self.came, []
        for signum in dict.fromkeys(came):
            signal.raise_signal(signum)  # its handler runs now, as if it came now


@contextlib.contextmanager
def holding_signals() -> Iterator[None]:
    """Hold Ctrl-C and the stopping signals for the milliseconds a block must not be cut
    short in (a spectrum kept in a file, the lines that say where): a second Ctrl-C while the
    first is being handled must not lose it. Those that came are delivered when the block
    ends, to the handlers there were.

    They are held where Python handles them, not by the thread's signal mask: the process has
    other threads (NumPy's), to which the system delivers a signal the main thread blocks,
    and Python then runs its handler in the main thread all the same.

    Yields
    ------
    None
    """
    held = _Held()
    held.begin()
    try:
        yield
    finally:
        held.end()


_RECEIVING: list[_Held] = []
"""The hand-overs under way (:func:`receiving_spectrum`), the innermost last."""


@contextlib.contextmanager
def receiving_spectrum() -> Iterator[None]:
    """The block in which a command receives the spectrum an instrument measured
    (``spectrum = instrument.acquire()``), so that a stop (Ctrl-C, a stopping signal) cannot
    fall between the driver having it and the command holding it: from the moment the driver
    says it has it (:func:`spectrum_in_hand`), a stop waits until the block ends, by when the
    command holds the spectrum and keeps it, as any stop once it is measured does. Before
    that moment a stop stops the measurement as it always did.

    A stop there lost the spectrum without a word: the laser had fired, and neither the
    driver (which had returned it) nor the command (which had not yet received it) kept it.

    Yields
    ------
    None
    """
    held = _Held()
    _RECEIVING.append(held)
    try:
        yield
    finally:
        _RECEIVING.remove(held)
        held.end()


def spectrum_in_hand() -> None:
    """Said by a driver once it holds a spectrum measured, the measurement over (the laser
    switched off, the export read): a stop from here waits until the command receiving it
    holds it (:func:`receiving_spectrum`). Nothing when no command is receiving one (a
    Python caller of ``acquire``): a stop then comes where it comes, as ever.

    A driver says it only before short work (making the spectrum of its frames, the laser
    switched off once more, bounded by the instrument's command timeout): a stop is held,
    never ignored, and the technician's Ctrl-C must still end the command soon.
    """
    if _RECEIVING:
        _RECEIVING[-1].begin()


@contextlib.contextmanager
def recording_nothing() -> Iterator[None]:
    """A block that records nothing (the program loading, a command reading its options or
    loading what it runs): a stop in it (Ctrl-C, a stopping signal) says so, ``nothing was
    recorded``, as a scan stopped before its first record does.

    A technician who sees the wrong exhibit number on the screen presses Ctrl-C at once,
    while the command is still loading: ``error: interrupted`` alone left them to find out
    whether a label was recorded under that number. A stop that already says what was
    recorded is left as it is.

    Yields
    ------
    None

    Raises
    ------
    Interrupted
        For a stop in the block, with ``recorded`` "nothing was recorded", and the signal and
        warning of the stop.
    """
    try:
        yield
    except KeyboardInterrupt as exc:
        if isinstance(exc, Interrupted) and exc.recorded is not None:
            raise
        raise Interrupted.having_recorded(exc, "nothing was recorded") from exc


def without_path(exc: BaseException) -> str:
    """An error's message on one line, without the file's path in front of it.

    For lists that already name each file (``skipped FILE: reason``); a :class:`FormatError`
    keeps its line number.

    Parameters
    ----------
    exc : BaseException
        The error.

    Returns
    -------
    str
        Its message with runs of white space made one space (``line 12: reason`` for a
        :class:`FormatError` with a path); the exception's class name when the message is empty.
    """
    if isinstance(exc, FormatError) and exc.path is not None:
        text = ": ".join([*([f"line {exc.line}"] if exc.line is not None else []), exc.reason])
    else:
        text = str(exc)
    return " ".join(text.split()) or type(exc).__name__
