"""Folder driver: FTIR (or any) instruments whose own software exports files.

The driver watches a folder and returns each new export once it is completely written: its size
and modification time have stayed unchanged for ``settle_s`` seconds, it is not a temporary or
partial name (``.part``, ``.tmp``, ``~``...), and the toolkit's readers accept it. A file still
being written in chunks is therefore never read half-way, and each file is read only once.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from drivers.base import Instrument
from drivers.errors import InstrumentDisconnected, InstrumentTimeout
from forensic.commands import options
from forensic.errors import FormatError, spectrum_in_hand
from forensic.io import read_spectrum
from forensic.spectrum import ACQUIRED_WHEN_WRITTEN, Spectrum

__all__ = ["FolderInstrument"]

DEFAULT_TIMEOUT_S = 120.0
"""How long (s) the driver waits for a new export when neither the URL (``timeout=``) nor
the caller says."""

_PARTIAL_SUFFIXES = (".part", ".tmp", ".partial", ".crdownload", ".lock", "~")


def _is_candidate(path: Path) -> bool:
    name = path.name
    return (
        path.is_file() and not name.startswith(".") and not name.lower().endswith(_PARTIAL_SUFFIXES)
    )


def _export_metadata(
    spectrum: Spectrum, stat: os.stat_result, *, found_at_start: bool
) -> dict[str, Any]:
    """What the measurement record says of the export a spectrum was read from: when it was
    written (``export_written_at``, UTC), which is also when it was acquired where the export
    states no time of its own (``acquired_at_basis`` then says so), and, for an export that was
    already in the folder when the scan began (``include_existing``), ``export_found_at_start``:
    nothing then shows that it is this exhibit's measurement. Its file and SHA-256 are the
    spectrum's ``source_file`` and ``source_sha256``."""
    written = (
        datetime.fromtimestamp(stat.st_mtime, timezone.utc)
        .isoformat(timespec="seconds")
        .replace("+00:00", "Z")
    )
    said: dict[str, Any] = {"export_written_at": written}
    if not spectrum.metadata.get("acquired_at"):
        said.update(acquired_at=written, acquired_at_basis=ACQUIRED_WHEN_WRITTEN)
    if found_at_start:
        said["export_found_at_start"] = True
    return said


class FolderInstrument(Instrument):
    """Returns the next complete export written into ``folder``.

    Parameters
    ----------
    folder : str or path-like
        The folder the instrument software exports into.
    settle_s : float, default 1.0
        How long a file must stay unchanged before it is considered complete.
    poll_s : float, default 0.2
        Polling interval.
    include_existing : bool, default False
        Also return files already present when the driver starts (oldest first). An export
        left from an earlier measurement (another exhibit) is then taken as this one's.
    timeout_s : float, default 120
        How long :meth:`acquire` waits for a new export when it is not told; a measurement
        that takes longer needs more, since an export that comes after the wait is never
        taken (it is there when the next wait starts).
    trigger : callable, optional
        Called at the start of :meth:`acquire` (a simulated FTIR uses it to "press scan").
    metadata : dict, optional
        Extra metadata added to each spectrum (``provenance`` for simulated instruments).
    on_close : callable, optional
        Called when the instrument is closed (once, however often it is closed).
    modality : {"raman", "ir"}, optional
        What the instrument exporting into the folder measures, when known.
    name : str, optional
        How messages name the instrument (:attr:`url`), default ``folder://FOLDER``: a
        simulated FTIR is named as the technician asked for it, ``sim:ftir``, with the
        temporary folder it exports into as where it runs, not by a folder URL that is gone
        once it stops.
    """

    def __init__(
        self,
        folder: str | os.PathLike,
        *,
        settle_s: float = 1.0,
        poll_s: float = 0.2,
        include_existing: bool = False,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        trigger: Callable[[], None] | None = None,
        metadata: dict[str, Any] | None = None,
        on_close: Callable[[], None] | None = None,
        modality: str | None = None,
        name: str | None = None,
    ) -> None:
        self.modality = modality
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise InstrumentDisconnected(
                f"export folder {self.folder} does not exist",
                advice="check that the instrument PC's share is mounted (and the folder's "
                "name), then scan again",
            )
        self.url = name or f"folder://{self.folder}"
        self.settle_s = settle_s
        self.timeout_s = timeout_s
        self.poll_s = poll_s
        self.trigger = trigger
        self.extra_metadata = dict(metadata or {})
        self._on_close = on_close
        # the exports already there: not taken, unless include_existing (and then said so)
        self._existing = {self._key(path, stat) for path, stat in self._candidates()}
        self._seen: set[tuple[str, int]] = set() if include_existing else set(self._existing)

    def _candidates(self) -> list[tuple[Path, os.stat_result]]:
        """The exports in the folder with their status, oldest first.

        A file deleted or renamed between the listing and its status (the instrument's
        software replacing a partial file, a colleague tidying the folder) is not a candidate.
        """
        found = []
        for path in self.folder.iterdir():
            if not _is_candidate(path):
                continue
            try:
                found.append((path, path.stat()))
            except FileNotFoundError:
                continue
        return sorted(found, key=lambda item: (item[1].st_mtime, item[0].name))

    @staticmethod
    def _key(path: Path, stat: os.stat_result) -> tuple[str, int]:
        return (path.name, stat.st_mtime_ns)

    def _complete(self, path: Path, history: dict[Path, tuple[int, int, float]]) -> bool:
        stat = path.stat()
        signature = (stat.st_size, stat.st_mtime_ns)
        now = time.monotonic()
        previous = history.get(path)
        if previous is None or previous[:2] != signature:
            history[path] = (*signature, now)
            return False
        return stat.st_size > 0 and now - previous[2] >= self.settle_s

    accepted_settings = ("timeout_s",)

    def _settings_note(self) -> str:
        return (
            "the instrument's own software sets how it measures, so make the setting there and "
            "leave it out here; this driver only waits for its export"
        )

    def acquire(self, timeout_s: float | None = None, **settings: Any) -> Spectrum:
        """Wait for the next complete export and return it as a Spectrum.

        Parameters
        ----------
        timeout_s : float, optional
            How long to wait for the export (s); default the driver's :attr:`timeout_s`.
        **settings
            Refused (:meth:`check_settings`): the instrument's own software applies its settings.

        Raises
        ------
        NotSupported
            A setting was given (an integration time, averages...): it cannot be applied here.
        InstrumentTimeout
            No complete new export appeared within ``timeout_s`` seconds.
        FormatError
            A complete export could not be read (it is then skipped on the next call).
        """
        self.check_settings(**settings)
        timeout_s = self.timeout_s if timeout_s is None else timeout_s
        if self.trigger is not None:
            self.trigger()
            self.notice(f"measurement started: waiting up to {timeout_s:g} s for its export")
        else:  # the instrument's own software measures: nothing happens until the technician
            self.notice(
                f"start the measurement on the instrument now: waiting up to {timeout_s:g} s "
                f"for its export in {self.folder}"
            )
        deadline = time.monotonic() + timeout_s
        history: dict[Path, tuple[int, int, float]] = {}
        while time.monotonic() < deadline:
            for path, stat in self._candidates():
                key = self._key(path, stat)
                try:
                    if key in self._seen or not self._complete(path, history):
                        continue
                except FileNotFoundError:
                    continue
                self._seen.add(key)  # a file that cannot be read is reported once, not retried
                try:
                    spectrum = read_spectrum(path)
                except FormatError:
                    if not path.exists():
                        continue  # gone since it settled: not an export any more
                    raise
                spectrum_in_hand()  # a stop from here waits until the command holds it
                said = _export_metadata(spectrum, stat, found_at_start=key in self._existing)
                # what the caller states (a simulator's provenance, a time) comes last
                return spectrum.with_metadata(
                    **{"instrument_url": self.url, **said, **self.extra_metadata}
                )
            time.sleep(self.poll_s)
        raise InstrumentTimeout(
            f"{self.url}: no new complete export within {timeout_s:g} s",
            advice=self._no_export_advice(timeout_s),
        )

    def _no_export_advice(self, timeout_s: float) -> str:
        """What a technician is told to do when no export came within ``timeout_s`` seconds:
        wait longer, as an option of the command (an instrument URL edited with ``?`` or ``&``
        is easily mistyped, and an unquoted ``&`` sends the command to the background); and,
        when the instrument's own software measures, how to take an export that came after
        the wait, which the next scan skips as a file already there."""
        longer = options(timeout=600 if timeout_s < 600 else int(2 * timeout_s))
        said = (
            f"for a measurement that takes longer, scan again with a longer wait, {longer} "
            "(seconds)"
        )
        if self.trigger is not None:  # a simulator: its export comes, or never will
            return said
        taken = options(instrument=f"folder://{self.folder}?existing=1")
        return (
            f"{said}; for an export written after the wait (the next scan takes only files that "
            f"appear after it starts), move every other file out of {self.folder} and scan "
            f"again with {taken}"
        )

    def close(self) -> None:
        callback, self._on_close = self._on_close, None
        if callback is not None:
            callback()

    def describe(self) -> dict[str, Any]:
        return {"url": self.url, "kind": "FolderInstrument", "folder": str(self.folder)}
