"""Measured spectra the evidence store could not record, kept in files until it can.

A scan acquires a spectrum and then saves it in the store. When the store cannot take it
(another process keeps it locked, the disk is full, the store is gone, the scan is stopped
while saving), the laser has fired and the sample may be used up: the spectrum is evidence
and must not be lost. :func:`keep_unrecorded` writes it, with what the measurement record
would have said, to a file in a folder beside the store (``unrecorded-spectra/``), else in
the user data folder, else in the temporary folder; :func:`record_unrecorded` records it
later as the exhibit's measurement, saying it was recorded late and from which file.

The file (JSON, ``format`` :data:`FORMAT`) holds the spectrum as the store keeps raw spectra
(``Spectrum.to_dict()``, whose canonical JSON has the SHA-256 ``raw_sha256``), so the record
made from it holds the bytes a scan would have stored.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from forensic.custody import chain
from forensic.custody.store import RAW_SPECTRUM_MEDIA_TYPE, Store, as_label, utc_now
from forensic.errors import CustodyError, ForensicError, FormatError, Interrupted, SpectrumError
from forensic.spectrum import Spectrum

__all__ = [
    "FOLDER_NAME",
    "FORMAT",
    "LateRecord",
    "UnrecordedMeasurement",
    "holding_signals",
    "keep_unrecorded",
    "last_resort_folder",
    "read_unrecorded",
    "record_unrecorded",
]

FORMAT = "forensic-unrecorded-measurement/1"
FOLDER_NAME = "unrecorded-spectra"
"""The folder, beside the store's ``forensic.db``, that holds the spectra it could not record."""


@dataclass(frozen=True)
class UnrecordedMeasurement:
    """A spectrum kept in a file: what its measurement record is to say, and the file.

    ``document`` is the file's content; ``file_sha256`` the SHA-256 of the file as read.
    """

    path: Path
    document: dict[str, Any]
    spectrum: Spectrum
    file_sha256: str

    @property
    def case_number(self) -> str:
        return self.document["case_number"]

    @property
    def item_number(self) -> str:
        return self.document["item_number"]

    @property
    def raw_sha256(self) -> str:
        return self.document["raw_sha256"]


@dataclass(frozen=True)
class LateRecord:
    """What :func:`record_unrecorded` did: the measurement record (made now, or found made
    before) and whether this call made it."""

    measurement: dict[str, Any]
    unrecorded: UnrecordedMeasurement
    recorded: bool


def _safe(label: str) -> str:
    """A case or exhibit number as part of a file name (no separators, no spaces)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", label).strip("-.")[:40] or "x"


def _folders(store_path: Path) -> list[Path]:
    """Where to keep a spectrum, first choice first: beside the store (copied with it), the
    user data folder (another disk, perhaps), the temporary folder (the last resort)."""
    folders = [
        store_path.parent / FOLDER_NAME,
        Path(platformdirs.user_data_dir("forensic")) / FOLDER_NAME,
        last_resort_folder(),
    ]
    return list(dict.fromkeys(folders))


def last_resort_folder() -> Path:
    """The folder a spectrum is kept in when neither the store's nor the user data folder can
    take it: in the temporary folder, which may be in memory and emptied at a restart."""
    return Path(tempfile.gettempdir()) / f"forensic-{FOLDER_NAME}"


@contextlib.contextmanager
def holding_signals() -> Iterator[None]:
    """Hold Ctrl-C and the stopping signals for the milliseconds a spectrum takes to be
    kept: a second Ctrl-C while the first is being handled must not lose it. They are
    delivered when the block ends."""
    held = {signal.SIGINT, *Interrupted.SIGNALS}
    try:
        before = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    except (AttributeError, ValueError, OSError):  # not POSIX: write without holding them
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def keep_unrecorded(
    store_path: str | os.PathLike,
    spectrum: Spectrum,
    *,
    case_number: str,
    item_number: str,
    operator: str,
    why: str,
    instrument_url: str | None = None,
    instrument: Mapping[str, Any] | None = None,
    chain_id: str | None = None,
) -> tuple[Path | None, str, list[str]]:
    """Write a spectrum the store could not record to a file, whole or not at all.

    Parameters
    ----------
    store_path : path
        The store's database file (``forensic.db``): the file goes in the folder beside it,
        else in the user data folder, else in the temporary folder.
    spectrum : Spectrum
        As acquired (with the operator in its metadata, as a scan stores it).
    case_number, item_number, operator : str
        Whose spectrum, and who measured it.
    why : str
        Why the store did not record it (the error, or the stop).
    instrument_url, instrument : optional
        As for :meth:`Store.add_measurement`.
    chain_id : str, optional
        The chain of the store it was measured for.

    Returns
    -------
    (path or None, raw_sha256, failures)
        The file written (None if no folder could take it), the SHA-256 of the spectrum as
        the store keeps it, and why each folder tried before (or instead) failed.
    """
    from forensic.io import atomic_write_bytes  # noqa: PLC0415  (files are an edge)

    raw = chain.canonical_json(spectrum.to_dict())
    raw_sha256 = chain.sha256_hex(raw)
    acquired_at = str(spectrum.metadata.get("acquired_at") or utc_now())
    document = {
        "format": FORMAT,
        "note": (
            "A spectrum 'forensic scan' measured but could not record in the evidence store. "
            "Record it as the exhibit's measurement with 'forensic exhibit record-spectrum "
            "THIS-FILE --store STORE'; do not change this file (its SHA-256 is recorded)."
        ),
        "case_number": as_label(case_number),
        "item_number": as_label(item_number),
        "operator": operator,
        "acquired_at": acquired_at,
        "saved_at": utc_now(),
        "why_not_recorded": why,
        "store": str(store_path),
        "store_chain_id": chain_id,
        "instrument_url": instrument_url,
        "instrument": json.loads(json.dumps(dict(instrument or {}), default=str)),
        "raw_format": RAW_SPECTRUM_MEDIA_TYPE,
        "raw_sha256": raw_sha256,
        "spectrum": json.loads(raw),
    }
    data = (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode()
    stamp = re.sub(r"[^0-9T]", "", acquired_at[:19]) or "undated"  # to the second
    name = f"{_safe(case_number)}_{_safe(item_number)}_{stamp}_{raw_sha256[:12]}.json"
    failures = []
    for folder in _folders(Path(store_path)):
        path = folder / name
        try:
            with holding_signals():
                if path.is_file() and _kept_there(path, raw_sha256):
                    return path, raw_sha256, failures  # kept already (a scan stopped twice)
                return atomic_write_bytes(path, data), raw_sha256, failures
        except (ForensicError, OSError) as exc:
            failures.append(f"{folder}: {exc}")
    return None, raw_sha256, failures


def _kept_there(path: Path, raw_sha256: str) -> bool:
    try:
        return read_unrecorded(path).raw_sha256 == raw_sha256
    except ForensicError:
        return False


def read_unrecorded(path: str | os.PathLike) -> UnrecordedMeasurement:
    """Read, and check, a file :func:`keep_unrecorded` wrote.

    Raises
    ------
    FormatError
        Not such a file, or its spectrum unreadable.
    CustodyError
        Its spectrum does not have the SHA-256 the file states (it was changed).
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FormatError(f"cannot be read ({exc.strerror or exc})", path=path) from None
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FormatError(
            f"not a spectrum a scan kept for the store: not JSON ({exc})", path=path
        ) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        found = document.get("format") if isinstance(document, dict) else None
        raise FormatError(
            f"not a spectrum a scan kept for the store: format {found!r}, expected {FORMAT!r}",
            path=path,
        )
    missing = [
        key
        for key in ("case_number", "item_number", "operator", "acquired_at", "raw_sha256")
        if not isinstance(document.get(key), str) or not document[key]
    ]
    if missing or not isinstance(document.get("spectrum"), dict):
        raise FormatError(
            f"incomplete: {', '.join(missing) or 'spectrum'} missing or empty", path=path
        )
    try:
        spectrum = Spectrum.from_dict(document["spectrum"])
    except (SpectrumError, KeyError, TypeError, ValueError) as exc:
        raise FormatError(f"its spectrum cannot be read: {exc}", path=path) from None
    found = chain.sha256_hex(chain.canonical_json(spectrum.to_dict()))
    if found != document["raw_sha256"]:
        raise CustodyError(
            f"{path}: its spectrum has SHA-256 {found}, not the {document['raw_sha256']} it "
            "was kept with: the file was changed since the scan wrote it; not recorded"
        )
    return UnrecordedMeasurement(path, document, spectrum, chain.sha256_hex(data))


def record_unrecorded(store: Store, path: str | os.PathLike, *, operator: str) -> LateRecord:
    """Record a spectrum kept in a file as the measurement of its exhibit, late, honestly.

    The measurement record holds the spectrum's bytes (the SHA-256 the scan computed), who
    measured it and when, as the scan would have recorded them; its signer is ``operator``,
    its time of recording now, and its instrument details say it was recorded late:
    ``recorded_late`` names the file, its SHA-256, when it was written and why the store did
    not record the spectrum then. A report lists such a measurement among its limitations.

    Returns
    -------
    LateRecord
        With ``recorded`` false, and the earlier record, when the store already holds this
        acquisition of the exhibit (the same bytes acquired at the same time: recorded from
        the file before, or by the scan after all): nothing is recorded twice.

    Raises
    ------
    FormatError, CustodyError
        As :func:`read_unrecorded`; or the exhibit is not in this store.
    """
    kept = read_unrecorded(path)
    document = kept.document
    late = {
        "file": kept.path.name,
        "file_sha256": kept.file_sha256,
        "saved_at": document.get("saved_at"),
        "why_not_recorded": document.get("why_not_recorded"),
        "store_chain_id": document.get("store_chain_id"),
    }
    with store.transaction():  # the check and the record in one: two runs record it once
        store.require_exhibit(kept.case_number, kept.item_number)
        for earlier in store.measurements(kept.case_number, kept.item_number):
            # the same acquisition: its bytes and its time (an instrument that does not
            # date its spectra may give the same bytes twice, at two times)
            if (earlier["raw_sha256"], earlier["acquired_at"]) == (
                kept.raw_sha256,
                document["acquired_at"],
            ):
                return LateRecord(earlier, kept, recorded=False)
        measurement = store.add_measurement(
            kept.case_number,
            kept.item_number,
            kept.spectrum,
            operator=operator,
            measured_by=document["operator"],
            acquired_at=document["acquired_at"],
            instrument_url=document.get("instrument_url"),
            instrument={**dict(document.get("instrument") or {}), "recorded_late": late},
        )
    return LateRecord(measurement, kept, recorded=True)
