"""Where the toolkit holds an instrument: opened and closed around the work, and a bug in its
driver (an exception that is not one of the toolkit's) turned into one
:class:`~forensic.errors.DriverBug` line that names it, for ``scan`` and ``acquire`` alike.

Light on purpose (no drivers, no engine, no report): the command line imports it for a
command that only acquires.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from forensic.errors import DriverBug, ForensicError

__all__ = ["driver_bugs", "held_instrument", "unclosed_warning"]


@contextlib.contextmanager
def driver_bugs(instrument_url: str, doing: str) -> Iterator[None]:
    """An unexpected exception of the instrument's driver in the block (not a
    :class:`ForensicError`: a bug) raised as a :class:`DriverBug`, which a command ends with
    as with any instrument fault (exit 3), naming the exception and chained to it, so that the
    bug stays visible and can be reported.

    Parameters
    ----------
    instrument_url : str
        The instrument as the technician named it.
    doing : str
        What the block does, in words ("acquiring").

    Yields
    ------
    None

    Raises
    ------
    DriverBug
        The block raised an exception other than a :class:`ForensicError` (those pass as they
        are).
    """
    try:
        yield
    except ForensicError:
        raise
    except Exception as exc:
        raise DriverBug.of(instrument_url, doing, exc) from exc


@contextlib.contextmanager
def held_instrument(
    opener: Callable[[str], Any],
    instrument_url: str,
    *,
    on_unclosed: Callable[[ForensicError], None] | None = None,
) -> Iterator[Any]:
    """The instrument ``opener`` opens, as a ``with`` block: opened, and closed whatever
    happens in the block; a driver's bug in opening or closing it a :class:`DriverBug`
    (:func:`driver_bugs`).

    A block that ended well has done its work (a spectrum measured, the laser switched off
    and read back): an instrument that then fails to close is given to ``on_unclosed``, when
    there is one, and the work stands; without it, the failure is raised, as any other.

    Parameters
    ----------
    opener : callable
        ``opener(instrument_url)``: a context manager that yields the instrument
        (:func:`drivers.urls.open_instrument`).
    instrument_url : str
        The instrument as the technician named it.
    on_unclosed : callable, optional
        ``on_unclosed(error)``: told of a failure to close the instrument after the block
        ended well (a :class:`ForensicError`, a driver's bug as a :class:`DriverBug`), so that
        the block's work is not lost to it.

    Yields
    ------
    object
        The open instrument (:class:`drivers.base.Instrument`).

    Raises
    ------
    DriverBug
        The driver raised an exception other than a :class:`ForensicError` while opening or
        closing the instrument (closing it after the block ended well: only without
        ``on_unclosed``).
    """
    with driver_bugs(instrument_url, "connecting"):
        connection = opener(instrument_url)
        instrument = connection.__enter__()
    try:
        yield instrument
    except BaseException as exc:  # closed (the laser off) as a `with` block closes it
        if not connection.__exit__(type(exc), exc, exc.__traceback__):
            raise
    else:
        try:
            with driver_bugs(instrument_url, "closing the connection"):
                connection.__exit__(None, None, None)
        except ForensicError as unclosed:
            if on_unclosed is None:
                raise
            on_unclosed(unclosed)


def unclosed_warning(error: ForensicError) -> str:
    """What a technician is told of an instrument that failed to close after its work ended
    well (``on_unclosed`` of :func:`held_instrument`): what failed, that the spectrum measured
    stands, and what to do before the next measurement.

    Parameters
    ----------
    error : ForensicError
        The failure to close it.

    Returns
    -------
    str
        One warning, without its ``WARNING:`` label.
    """
    return (
        f"{error.problem}; the spectrum measured before is not affected, but the instrument "
        "may still be held: unplug it and plug it in again before the next measurement"
        + (f"; {error.advice}" if error.advice else "")
    )
