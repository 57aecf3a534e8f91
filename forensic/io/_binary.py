"""Bounds-checked access to the bytes of a binary spectrum file.

The binary readers (SPC, OPUS, SPA, WDF) decode with NumPy structured dtypes and explicit
little-endian types. Every offset and size taken from a file is checked against the file's length
before it is used, so a truncated or corrupt file raises :class:`~forensic.errors.FormatError`
naming the file and what was expected there, never an ``IndexError`` or a huge allocation.

A file counts as whole when every block its header or directory declares is present, also the
blocks a reader does not use (logs, images, interferograms): instruments write the spectrum
first, so a copy cut short usually still holds it, and only those later blocks show that the
file is not the one that was recorded. Bytes after the last declared block (padding) are fine.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import numpy as np

from forensic.errors import FormatError
from forensic.spectrum import MAX_MAGNITUDE

MAX_FILE_BYTES = 2 << 30
"""Binary spectrum files larger than this (2 GiB) are refused rather than read into memory."""


class BinaryFile:
    """The whole content of one binary file, with checked reads.

    Parameters
    ----------
    path : path-like
        The file; it is read at once.
    kind : str
        Name of the format for messages ("SPC", "OPUS", ...).
    """

    def __init__(self, path: str | os.PathLike, kind: str) -> None:
        self.path = Path(path)
        self.kind = kind
        try:
            size = self.path.stat().st_size
            if size > MAX_FILE_BYTES:
                raise self.error(f"{size} bytes is too large for a {kind} spectrum file")
            self.data = self.path.read_bytes()
        except FileNotFoundError:
            raise FormatError("no such file", path=self.path) from None
        except IsADirectoryError:
            raise FormatError("is a folder, not a file", path=self.path) from None
        except OSError as exc:
            raise FormatError(f"cannot be read: {exc.strerror}", path=self.path) from None
        if not self.data:
            raise FormatError(f"the file is empty; expected a {kind} file", path=self.path)

    def __len__(self) -> int:
        return len(self.data)

    def error(self, message: str) -> FormatError:
        """A :class:`FormatError` about this file (to be raised by the caller)."""
        return FormatError(message, path=self.path)

    def need(self, offset: int, size: int, what: str) -> None:
        """Raise a :class:`FormatError` unless ``size`` bytes exist at ``offset``.

        The message names ``what`` was expected, how many bytes it needs from where, and how
        many the file actually has there, so a cut-short copy is recognised as one.
        """
        offset, size = int(offset), int(size)
        if offset < 0 or size < 0:
            raise self.error(
                f"corrupt {self.kind} file: {what} has a negative offset or size "
                f"(offset {offset}, {size} bytes)"
            )
        if offset + size > len(self.data):
            raise self.error(
                f"truncated or corrupt {self.kind} file: expected {what} in {size} bytes from "
                f"offset {offset}, but {self.left_after(offset)}"
            )

    def left_after(self, offset: int) -> str:
        """How much of the file follows ``offset``, for messages about a cut-short file."""
        left = len(self.data) - int(offset)
        if left > 0:
            return f"only {left} follow (the file has {len(self.data)} bytes)"
        return f"the file ends at byte {len(self.data)}"

    def check_points(
        self, declared: int, held: int, *, declared_by: str, held_by: str, spare: int = 1
    ) -> None:
        """Raise a :class:`FormatError` unless a block holding ``held`` values has room for
        exactly the ``declared`` points, give or take ``spare`` values of padding.

        A count larger than its block would read past it; a smaller one is as bad: the
        spectrum is read short and the first and last x of the header are spread over too few
        points, so every band moves. Writers pad a block to 8 bytes at most (an OPUS block of
        3177 float32 holds 3178), hence one spare value by default.

        Parameters
        ----------
        declared : int
            The point count the header states.
        held : int
            The number of values the block's own size makes room for.
        declared_by : str
            What states the count, for the message ("the header (npts)").
        held_by : str
            The block, for the message ("the intensity block").
        spare : int, default 1
            Values of padding allowed after the declared points.
        """
        declared, held = int(declared), int(held)
        if declared <= held <= declared + spare:
            return
        message = (
            f"corrupt {self.kind} file: {declared_by} declares {declared} points but {held_by} "
            f"holds {held}"
        )
        if held > declared:
            message += (
                ": read by that count, the spectrum would be cut short and its axis stretched"
            )
        raise self.error(message)

    def even_axis(self, first: float, last: float, points: int, *, fields: str) -> np.ndarray:
        """The evenly spaced axis a header states by the x of its first and last point.

        Both ends must be finite and within :data:`~forensic.spectrum.MAX_MAGNITUDE` (a
        corrupt header's 1e308 would otherwise be spread into an axis and, on a nm scale,
        taken for a UV-visible spectrum before any check saw it), and must differ when there
        is more than one point: an axis of no width puts every point at one wavenumber.

        Parameters
        ----------
        first, last : float
            The x of the first and last point, as the header states them.
        points : int
            The number of points spread between them.
        fields : str
            The fields that state them, for the message ("ffirst, flast").

        Returns
        -------
        numpy.ndarray
            ``points`` float64 values from ``first`` to ``last``.
        """
        problem = None
        if not (np.isfinite(first) and np.isfinite(last)):
            problem = "not a finite number"
        elif max(abs(first), abs(last)) > MAX_MAGNITUDE:
            problem = f"beyond what any spectrum holds (at most {MAX_MAGNITUDE:.0e})"
        elif first == last and points > 1:
            problem = f"no width, to spread {points} points over"
        if problem is not None:
            raise self.error(
                f"corrupt {self.kind} file: the axis from {first:g} to {last:g} ({fields}): "
                f"{problem}"
            )
        return np.linspace(first, last, int(points))

    def record(self, offset: int, dtype: np.dtype, what: str) -> np.void:
        """One structured record of ``dtype`` at ``offset``."""
        dtype = np.dtype(dtype)
        self.need(offset, dtype.itemsize, what)
        return np.frombuffer(self.data, dtype=dtype, count=1, offset=int(offset))[0]

    def array(self, offset: int, dtype: str | np.dtype, count: int, what: str) -> np.ndarray:
        """``count`` values of ``dtype`` at ``offset`` (a read-only view of the file's bytes)."""
        dtype = np.dtype(dtype)
        count = int(count)
        if count < 0:
            raise self.error(f"corrupt {self.kind} file: {what} has a negative count ({count})")
        self.need(offset, count * dtype.itemsize, what)
        return np.frombuffer(self.data, dtype=dtype, count=count, offset=int(offset))


def as_float64(values: np.ndarray) -> np.ndarray:
    """A float64 copy; NaN payloads in corrupt files become NaN without a warning."""
    with np.errstate(all="ignore"):
        return np.asarray(values).astype(np.float64)


def c_string(raw: bytes, encoding: str = "latin-1") -> str:
    """Text of a fixed-size, NUL-terminated field, stripped of padding and control bytes."""
    text = bytes(raw).split(b"\0", 1)[0].decode(encoding, errors="replace")
    return "".join(ch for ch in text if ch.isprintable() or ch in "\t").strip()


def iso_datetime(  # noqa: PLR0917 (the fields of a date, in their natural order)
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> str | None:
    """ISO-8601 text of a date stored as fields, or None when the fields are not a real date."""
    try:
        if year < 1900:
            return None
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second))
    except (ValueError, OverflowError):
        return None
    return moment.isoformat()
