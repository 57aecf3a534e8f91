"""The evidence store: one SQLite file holding cases, exhibits, custody, measurements and results.

Where it lives: ``--store PATH`` on every command, else ``$FORENSIC_STORE``, else
``platformdirs.user_data_dir("forensic")/store``. ``PATH`` is a folder holding ``forensic.db``
(and SQLite's ``-wal``/``-shm`` files), or directly a file ending in ``.db``/``.sqlite``.

How it is kept safe:

- SQLite in WAL mode with ``synchronous=FULL``, foreign keys on, every write in one
  ``BEGIN IMMEDIATE`` transaction: a crash or kill at any moment leaves the last committed state.
- A busy timeout: a second process writing at the same time waits for the first (up to
  ``busy_timeout_s``) and then fails with a clear :class:`StoreBusyError`; SQLite's locking
  means it never corrupts the file.
- Records are only ever appended (there is no update or delete code path). Each record joins
  the store's hash chain (:mod:`forensic.custody.chain`) and is signed by its operator
  (:mod:`forensic.custody.keys`). Triggers write any UPDATE or DELETE done behind the toolkit's
  back into ``tamper_log`` (they log rather than abort, so a changed row stays visible to
  :mod:`forensic.custody.verify`, which trusts nothing in the database it does not recompute).
- The raw spectrum is stored by its SHA-256 in ``blobs``, in the same transaction as its
  measurement record, before any analysis runs.
- The schema is versioned: ``schema_version`` lists the migrations applied, in order.
- A store says what it is: its file's header carries :data:`APPLICATION_ID` from its creation
  (a store made before it, 0 and its tables). Another program's SQLite database given as a
  store is refused before anything is written to it, and never gains the store's tables.

Reading without writing: ``Store(path, read_only=True)`` opens the file with SQLite's
``mode=ro``, so that reading (listing, verifying) never changes the evidence, and works on a
store received on read-only media, as a write-protected file or in a folder one may not write.
SQLite reads a WAL store through a ``-shm`` index beside it; where that cannot be created (a
read-only folder) and no write-ahead log holds records, the file is opened ``immutable``; where
a ``-wal`` file does hold records, they cannot be read there, and the error says to read a
copy. A store opened to write that this process cannot write is refused before anything is
recorded (:class:`StoreReadOnlyError`).
"""

from __future__ import annotations

import contextlib
import errno
import heapq
import json
import os
import re
import shutil
import sqlite3
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

import platformdirs

from forensic.arguments import argument
from forensic.custody import chain
from forensic.custody.keys import (
    OperatorKey,
    check_operator_name,
    key_path,
    keys_folder,
    load_key,
    load_or_create_key,
    similar_names,
    stated_person,
)
from forensic.custody.statements import one_spaced, stated_place, statement_key
from forensic.errors import CustodyError
from forensic.naming import (
    latin_lookalikes,
    lookalike_note,
    lookalike_notes,
    mixes_scripts,
    read_as_latin,
    typing_slip,
)
from forensic.spectrum import Spectrum

__all__ = [
    "APPLICATION_ID",
    "CLOCK_TOLERANCE",
    "DB_NAME",
    "EARLIEST_CLOCK",
    "MIGRATIONS",
    "NOT_DESCRIBED",
    "RAW_SPECTRUM_MEDIA_TYPE",
    "READABLE_SINCE",
    "SCHEMA_VERSION",
    "ClockError",
    "NoStoreError",
    "Store",
    "StoreBusyError",
    "StoreDamagedError",
    "StoreFullError",
    "StoreGoneError",
    "StoreReadOnlyError",
    "as_label",
    "case_typed_with_a_slip",
    "chain_order",
    "chain_position",
    "check_outputs_off_store",
    "is_evidence_store",
    "raw_sha256",
    "raw_spectrum_bytes",
    "record_time",
    "recorded_moment",
    "refuse_seal_of_another",
    "resolve_store_path",
    "stated_description",
    "stated_yes_no",
    "store_files",
    "utc_now",
    "utc_when",
]

DB_NAME = "forensic.db"
RAW_SPECTRUM_MEDIA_TYPE = "application/vnd.forensic.spectrum+json"
PDF_MEDIA_TYPE = "application/pdf"
NOT_DESCRIBED = "not described when scanned"
"""The description of a label a scan makes when it is given none (a label needs one): the
fact, which a report states; what the technician should do is said on their screen."""
# What scans recorded for NOT_DESCRIBED before it: an instruction to the technician, which
# the append-only, hashed records keep as it is.
_NOT_DESCRIBED_BEFORE = frozenset(
    {"not described at scan time: complete the label with `forensic exhibit add --corrects`"}
)
DEFAULT_BUSY_TIMEOUT_S = 30.0
APPLICATION_ID = int.from_bytes(b"FRNS", "big")
"""SQLite's ``PRAGMA application_id`` of an evidence store (``FRNS``), in its file's header
from its creation: what tells a store from another program's SQLite database. Stores made
before it carry 0, and are known by their tables (:func:`_not_a_store`)."""
_SQLITE_HEADER = b"SQLite format 3\x00"
SQLITE_CORRUPT = 11  # sqlite3.SQLITE_CORRUPT (Python 3.11+)
SQLITE_IOERR = 10  # sqlite3.SQLITE_IOERR: its extended codes keep it in their low byte
SQLITE_FULL = 13  # sqlite3.SQLITE_FULL
NEARLY_FULL_BYTES = 1 << 20
"""Free space (bytes) under which a disk I/O error of the store is taken for a full disk:
SQLite says ``disk I/O error``, not ``disk is full``, when a full disk stops it opening the
store (creating its ``-wal`` and ``-shm`` files)."""


class StoreDamagedError(CustodyError):
    """SQLite reports the store's file as damaged: it cannot be verified, so nothing in it is."""

    exit_code = 1  # as a custody verification that fails


class StoreGoneError(StoreDamagedError):
    """The store's file was deleted, moved or replaced while this process had it open: what
    it wrote since went to a file no longer there (SQLite does not notice)."""


WAIT_SLICE_S = 1.0
"""How long one slice of a wait for a locked store lasts: how late Ctrl-C may be heard."""
SAY_WAIT_EVERY_S = 30.0
"""How often a long wait for a locked store is said again."""


class StoreBusyError(CustodyError):
    """Another process kept the store locked for longer than the busy timeout."""

    exit_code = 75  # EX_TEMPFAIL: try again later


class StoreFullError(CustodyError):
    """The disk that holds the store is full (SQLite's ``SQLITE_FULL``, a disk I/O error with
    next to no space left, or ``ENOSPC``): what the step would have recorded was not recorded.
    Nothing is lost, the work is to be done again once there is room (exit 75, as for a store
    another process keeps locked)."""

    exit_code = 75  # EX_TEMPFAIL: free space, then again


class NoStoreError(CustodyError):
    """There is no evidence store where a command that needs one looked (a mistyped or
    forgotten ``--store``): the command line names the stores this computer has recorded into
    (:mod:`forensic.custody.known_stores`)."""


class StoreReadOnlyError(CustodyError):
    """A command that records was given a store this process cannot write (read-only media, a
    write-protected file or folder); nothing was recorded."""


#: What a read-only store still allows, for the messages that refuse to write to one.
READING_COMMANDS = "case list, case show, exhibit show, custody log and custody verify"


def raw_spectrum_bytes(spectrum: Spectrum) -> bytes:
    """The bytes the store keeps of a raw spectrum (media type ``RAW_SPECTRUM_MEDIA_TYPE``).

    Parameters
    ----------
    spectrum : Spectrum
        The spectrum exactly as acquired.

    Returns
    -------
    bytes
        The canonical JSON (:func:`forensic.custody.chain.canonical_json`) of
        ``spectrum.to_dict()``. A measurement's ``raw_sha256`` is the SHA-256 of these bytes,
        which is how a scan, a file kept to record later and the store recognise the same
        spectrum: every one of them computes it here.

    Raises
    ------
    CustodyError
        If the spectrum holds NaN or infinity, which canonical JSON cannot write.
    """
    return chain.canonical_json(spectrum.to_dict())


def raw_sha256(spectrum: Spectrum) -> str:
    """The SHA-256 (64 lowercase hex digits) of :func:`raw_spectrum_bytes` of ``spectrum``.

    Parameters
    ----------
    spectrum : Spectrum
        The spectrum exactly as acquired.

    Returns
    -------
    str
        What the store records as the measurement's ``raw_sha256``.

    Raises
    ------
    CustodyError
        As for :func:`raw_spectrum_bytes`.
    """
    return chain.sha256_hex(raw_spectrum_bytes(spectrum))


def utc_now() -> str:
    """The current time as ISO-8601 UTC with milliseconds, e.g. ``2026-01-31T09:15:02.123Z``.

    Returns
    -------
    str
    """
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


_ISO_TIME = re.compile(
    r"(\d{4})-?(\d{2})-?(\d{2})[T ](\d{2})(?::?(\d{2})(?::?(\d{2})(?:[.,](\d+))?)?)?"
    r"([zZ]|[+-]\d{2}(?::?\d{2})?)?"
)
"""The ISO-8601 times people write: extended or basic (``20261122T150500Z``), to the minute
or to any fraction of a second, with ``Z``, ``+01``, ``+0100`` or ``+01:00``."""


def _parse_iso(text: str) -> datetime:
    """An ISO-8601 time, read the same on every Python the toolkit supports: 3.10's
    :meth:`datetime.fromisoformat` refuses ``Z``, ``+0100``, basic format and fractions of
    other than 3 or 6 digits, which 3.11's takes, so the same ``--at`` was recorded on one
    laptop and refused on another. What :data:`_ISO_TIME` does not describe is left to
    ``fromisoformat``.

    Raises
    ------
    ValueError
        Not a time (a month 13, a minute 61...).
    """
    found = _ISO_TIME.fullmatch(text.strip())
    if found is None:
        return datetime.fromisoformat(text)
    year, month, day, hour, minute, second, fraction, zone = found.groups()
    tz = None
    if zone in ("Z", "z"):
        tz = timezone.utc
    elif zone:
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
        tz = timezone(-offset if zone[0] == "-" else offset)
    return datetime(
        int(year),
        int(month),
        int(day),
        int(hour),
        int(minute or 0),
        int(second or 0),
        int((fraction or "0")[:6].ljust(6, "0")),
        tzinfo=tz,
    )


CLOCK_TOLERANCE = timedelta(minutes=5)
"""How far two clocks may differ and still be taken as right: how far ahead of this computer's
clock a stated time may be, and how far behind the store's last record this computer's clock
may read (:meth:`Store.check_clock`). A laptop's clock left to itself drifts by seconds a
day, and two laptops sharing a store by a minute or two; a clock set wrong is wrong by far
more (a time zone: an hour or half an hour; a date: a day or more), so five minutes never
troubles a clock that is right and lets none of those pass."""

EARLIEST_CLOCK = datetime(2026, 11, 22, tzinfo=timezone.utc)
"""No clock that reads a time before this one can be right on a computer running this
release: the day its shipped reference library was first published
(``spectral_library/CHANGELOG.md``). A clock reset to a factory date, or a year behind, reads
earlier; a newer release may move it on, never back."""


def _how_long(span: timedelta) -> str:
    """A span of time as a person says it: ``"400 days"``, ``"3 hours"``, ``"12 minutes"``."""
    minutes = int(span.total_seconds() // 60)
    if minutes >= 2 * 24 * 60:
        count, unit = minutes // (24 * 60), "day"
    elif minutes >= 2 * 60:
        count, unit = minutes // 60, "hour"
    else:
        count, unit = minutes, "minute"
    return f"{count} {unit}{'' if count == 1 else 's'}"


class ClockError(CustodyError):
    """This computer's clock reads a time it cannot be (before :data:`EARLIEST_CLOCK`, or
    before the store's last record): what it recorded would be dated wrong, for good, so
    nothing is recorded until the clock is set."""


def record_time(text: str, what: str, *, date_alone: bool = False) -> str:
    """A time stated by a person (``--at``, ``--collected-at``), as it is recorded: in UTC.

    Parameters
    ----------
    text : str
        ISO-8601 with its time zone: ``2026-11-22T23:00:00+01:00`` or ``...Z`` for UTC
        (recorded as ``2026-11-22T22:00:00Z``).
    what : str
        What the time is, for the error message ("custody event time").
    date_alone : bool
        Accept a date without a time (``2026-11-22``), kept as it is: when an exhibit was
        collected is sometimes known to the day only.

    Returns
    -------
    str
        ``YYYY-MM-DDTHH:MM:SS[.fff]Z``, or the date alone.

    Raises
    ------
    CustodyError
        The text is not an ISO-8601 time, has no time zone (a wall-clock time is ambiguous
        between a van's clock and the lab's) or lies in the future of this computer's clock.
    """
    value = str(text).strip()
    now = datetime.now(timezone.utc)
    if date_alone and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            day = date.fromisoformat(value)
        except ValueError as exc:
            raise CustodyError(f"{what} {value!r} is not a date: {exc}") from None
        if day > (now + CLOCK_TOLERANCE).date():
            raise CustodyError(f"{what} {value} lies in the future (today is {now.date()} UTC)")
        return value
    try:
        moment = _parse_iso(value)
    except ValueError:
        raise CustodyError(
            f"{what} {value!r} is not an ISO-8601 time: write e.g. 2026-11-22T14:05:00+01:00, "
            "or ...Z for UTC" + (", or a date alone (2026-11-22)" if date_alone else "")
        ) from None
    if moment.tzinfo is None:
        offset = datetime.now().astimezone().strftime("%z")
        offset = f"{offset[:3]}:{offset[3:]}"
        raise CustodyError(
            f"{what} {value!r} has no time zone: write {value}{offset} (this computer's "
            f"offset from UTC) or {value}Z for UTC"
        )
    moment = moment.astimezone(timezone.utc)
    if moment > now + CLOCK_TOLERANCE:
        raise CustodyError(
            f"{what} {value} lies in the future (now is {utc_now()}; "
            "check the time and its time zone)"
        )
    timespec = "milliseconds" if moment.microsecond else "seconds"
    return moment.isoformat(timespec=timespec).replace("+00:00", "Z")


def recorded_moment(iso: str | None) -> datetime | None:
    """A recorded time as an aware UTC datetime; ``None`` for a date alone or free text.

    Records written before :func:`record_time` existed may hold any offset, or text.

    Parameters
    ----------
    iso : str or None
        A recorded time (ISO 8601).

    Returns
    -------
    datetime or None
        The moment in UTC; None for an empty value, or one without a time zone or not a time.
    """
    if not iso:
        return None
    try:
        moment = _parse_iso(str(iso).strip())
    except ValueError:
        return None
    return moment.astimezone(timezone.utc) if moment.tzinfo is not None else None


def utc_when(iso: str | None) -> str:
    """A recorded time in UTC for a table: ``2026-01-31T10:15:02.123+01:00`` ->
    ``2026-01-31 09:15:02Z``; a date alone or free text (records older than the check on
    entered times) is shown as it is.

    Parameters
    ----------
    iso : str or None
        A recorded time.

    Returns
    -------
    str
        ``-`` for an empty value.
    """
    if not iso:
        return "-"
    moment = recorded_moment(iso)
    if moment is None:
        return str(iso)
    return moment.strftime("%Y-%m-%d %H:%M:%SZ")


_NO_MOMENT = datetime.min.replace(tzinfo=timezone.utc)


_Record = TypeVar("_Record", bound=Mapping[str, Any])


def chain_position(record: Mapping[str, Any]) -> tuple[int, float | str]:
    """Where a record sorts in its chain: by its position (``seq``).

    A position edited into something that is no number (SQLite keeps the text ``'x'`` in an
    INTEGER column), which verification reports, sorts after every number, so that reading
    the store never fails on it.

    Parameters
    ----------
    record : mapping
        A record of the store, with its ``seq``.

    Returns
    -------
    tuple
        A sort key: ``(0, seq)`` for a number, ``(1, repr(seq))`` for anything else.
    """
    seq = record["seq"]
    if isinstance(seq, (int, float)) and not isinstance(seq, bool):
        return (0, seq)
    return (1, repr(seq))


def chain_order(records: Iterable[_Record]) -> list[_Record]:
    """Records in the order they were recorded: by their position in their chain (``seq``,
    the record number), not by the time each says it was recorded.

    A record's ``recorded_at`` is what its computer's clock read: a clock a year fast dates a
    record after those recorded after it, and ordered by it a correct hand-over would be shown
    before the scan it followed. Its position is not a clock's: the chain gives it. The
    records of another chain (imported from a bundle: another store's) have positions of
    their own, which say nothing of this store's; each chain keeps its order, and the chains
    are merged by the time each record was recorded.

    Parameters
    ----------
    records : iterable of mapping
        Records of the store (each with ``seq`` and, read from the store, ``chain_id`` and
        ``recorded_at``), in any order.

    Returns
    -------
    list of mapping
        The same records, in chain order.
    """
    chains: dict[str, list[_Record]] = {}
    for record in records:
        chains.setdefault(str(record.get("chain_id") or ""), []).append(record)
    runs = [sorted(rows, key=chain_position) for _, rows in sorted(chains.items())]
    if len(runs) < 2:
        return runs[0] if runs else []
    # each run is taken in its own order, whatever its times: a merge, not a sort
    return list(
        heapq.merge(*runs, key=lambda r: recorded_moment(r.get("recorded_at")) or _NO_MOMENT)
    )


def resolve_store_path(path: str | os.PathLike | None = None) -> Path:
    """The SQLite file for ``path`` (argument, ``$FORENSIC_STORE`` or the default folder).

    Parameters
    ----------
    path : str or path-like, optional
        The store's database file (a name ending ``.db``, ``.sqlite`` or ``.sqlite3``, or an
        existing file), or its folder. None or empty: ``$FORENSIC_STORE``, else ``store`` in
        the user data folder.

    Returns
    -------
    Path
        The database file (:data:`DB_NAME` in a folder), absolute: a relative ``--store``
        names a folder under the current one, and every message that names the store says
        which (a store started there by mistake is then seen for what it is). Neither it nor
        the folder is created here.
    """
    if path is None or str(path) == "":
        path = os.environ.get("FORENSIC_STORE") or (
            Path(platformdirs.user_data_dir("forensic")) / "store"
        )
    # abspath, not resolve(): a store reached through a link is named as it was given
    path = Path(os.path.abspath(Path(path).expanduser()))
    if path.suffix.lower() in (".db", ".sqlite", ".sqlite3") or path.is_file():
        return path
    return path / DB_NAME


def store_files(path: str | os.PathLike | None = None) -> dict[Path, str]:
    """Every file and folder an evidence store owns besides what it records in: none of
    them may ever be a command's output (:func:`check_outputs_off_store`).

    Parameters
    ----------
    path : path-like, optional
        The store, as ``--store`` names it (:func:`resolve_store_path`).

    Returns
    -------
    dict of Path to str
        Each file or folder, with what it is in words: the database, SQLite's files beside
        it (``-wal``, ``-shm``, ``-journal``), the folders a scan keeps the spectra it could
        not record in (:func:`forensic.custody.unrecorded.kept_folders`) and the folder of
        the operators' signing keys.
    """
    from forensic.custody.unrecorded import kept_folders  # noqa: PLC0415  (it imports this)

    db = resolve_store_path(path)
    owned = {
        db: f"the evidence store {db}",
        **{
            db.with_name(db.name + suffix): f"the evidence store's {what} {db.name}{suffix}"
            for suffix, what in (
                ("-wal", "write-ahead log (records not yet in the main file)"),
                ("-shm", "shared-memory index"),
                ("-journal", "rollback journal"),
            )
        },
    }
    for folder in kept_folders(db):
        owned[folder] = "a folder of spectra scans kept to record later"
    owned[keys_folder()] = "the folder of the operators' signing keys"
    return owned


def check_outputs_off_store(
    outputs: Mapping[str, str | os.PathLike | None],
    store: str | os.PathLike | None,
    *,
    overwrite: bool = False,
) -> list[Path]:
    """Check the files a command that works on an evidence store is to write, before it
    records anything: none may be, or be in, what the store owns (:func:`store_files`), nor
    be another evidence store (:func:`is_evidence_store`), and each must go in a folder that
    exists.

    A ``--force`` given to replace a report would otherwise write a PDF over the store's
    records, and one the scan had just recorded among them; a folder created for a mistyped
    path (``/media/usb-stik/A1.pdf``, or a stick not mounted) would leave the report or the
    bundle on the laptop, not on the stick it is to be carried away on.

    Parameters
    ----------
    outputs : mapping of str to path-like or None
        Each output by the argument that names it (one of
        :data:`~forensic.arguments.ARGUMENT_OPTIONS`), in the order they are written.
    store : path-like or None
        The store the command works on, as ``--store`` names it.
    overwrite : bool
        Replace existing files (else one that exists is refused).

    Returns
    -------
    list of Path
        The paths given, in order.

    Raises
    ------
    OutputError, OutputExistsError
        As :func:`forensic.files.check_outputs`, and for an existing file that is an evidence
        store, when ``overwrite`` would replace it.
    """
    from forensic.files import (  # noqa: PLC0415  (files are an edge)
        OutputError,
        check_outputs,
        output_named,
    )

    paths = check_outputs(
        outputs, overwrite=overwrite, keep_off=store_files(store), make_folders=False
    )
    names = [name for name, path in outputs.items() if path is not None]
    for name, path in zip(names, paths, strict=True):
        if overwrite and is_evidence_store(path):  # another store: this one's is refused above
            raise OutputError(
                f"{output_named(name, path)} is an evidence store: an output written there "
                f"would destroy its records; give {argument(name, ...)} another file (nothing "
                "was written)"
            )
    return paths


def _not_a_store(conn: sqlite3.Connection) -> str | None:
    """Why the SQLite database open on ``conn`` is not an evidence store, in words; None when
    it is one, or is empty (a store being created: its file is made before its tables).

    A store carries :data:`APPLICATION_ID`; one made before stores did carries 0 and the
    tables :data:`_OWN_TABLES`. Another program's database (one table ``t``, or anything
    with an application id of its own) is not one, whatever its tables are called.
    """
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    if app_id == APPLICATION_ID:
        return None
    if app_id:
        return f"it is another program's SQLite database (application id {app_id:#010x})"
    tables = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    if not tables:
        return None
    if set(_OWN_TABLES) <= set(tables):
        # made before stores carried their id; a table of it missing is damage to the store,
        # which reading or verifying it reports as such, not another program's database
        return None
    if (
        tables == ["schema_version"]
        and not conn.execute("SELECT 1 FROM schema_version LIMIT 1").fetchone()
    ):  # an earlier version, stopped while it created this store
        return None
    shown = ", ".join(tables[:5]) + (f" and {len(tables) - 5} more" if len(tables) > 5 else "")
    return f"it is an SQLite database holding other tables ({shown})"


def is_evidence_store(path: str | os.PathLike) -> bool:
    """Whether the file at ``path`` is an evidence store (not an empty SQLite file), read
    without changing it: a file no command may write an output over.

    Parameters
    ----------
    path : str or os.PathLike
        The file to look at; it need not exist.

    Returns
    -------
    bool
        True for a SQLite database that carries the store's application id, or (made before
        stores carried it) has the store's tables; False for a file that cannot be read, is
        not SQLite, is an empty SQLite file, or is another program's database.
    """
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            head = handle.read(100)
    except OSError:
        return False
    if not head.startswith(_SQLITE_HEADER):
        return False
    if int.from_bytes(head[68:72], "big") == APPLICATION_ID:
        return True
    try:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro&immutable=1", uri=True)
    except sqlite3.Error:
        return False
    try:
        tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        return bool(tables) and _not_a_store(conn) is None
    except sqlite3.Error:
        return False
    finally:
        conn.close()


# -- schema ----------------------------------------------------------------------------------------


def _create_chained_table(conn: sqlite3.Connection, table: str) -> None:
    """A chained table as the first schema made it: without the columns a later migration
    added (:data:`forensic.custody.chain.LATER_COLUMNS`), which that migration adds."""
    later = chain.LATER_COLUMNS.get(table, {})
    columns = ["id INTEGER PRIMARY KEY"]
    columns += [f"{name} {kind}" for name, kind in chain.CHAIN_COLUMNS.items()]
    columns += [
        f"{name} {kind}" for name, kind in chain.CHAINED_TABLES[table].items() if name not in later
    ]
    columns += ["hash TEXT NOT NULL UNIQUE", "signature TEXT NOT NULL"]
    conn.execute(f"CREATE TABLE {table} (\n  " + ",\n  ".join(columns) + "\n)")
    conn.execute(f"CREATE UNIQUE INDEX {table}_chain_seq ON {table}(chain_id, seq)")
    _create_tamper_triggers(conn, table)


def _create_tamper_triggers(conn: sqlite3.Connection, table: str) -> None:
    # Log, do not abort: an UPDATE done with the sqlite3 shell must stay detectable by verify,
    # and the log is one more piece of evidence that it happened (unless the triggers too were
    # dropped, which verification does not depend on).
    for action, row in (("UPDATE", "OLD"), ("DELETE", "OLD")):
        conn.execute(
            f"CREATE TRIGGER {table}_log_{action.lower()} AFTER {action} ON {table} "
            f"BEGIN INSERT INTO tamper_log(table_name, row_id, action, at) "
            f"VALUES ('{table}', {row}.rowid, '{action}', "
            f"strftime('%Y-%m-%dT%H:%M:%fZ', 'now')); END"
        )


def _migration_1(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    conn.execute(
        "INSERT INTO store_meta(key, value) VALUES ('chain_id', ?), ('created_at', ?)",
        (uuid.uuid4().hex, utc_now()),
    )
    conn.execute(
        "CREATE TABLE blobs (sha256 TEXT PRIMARY KEY, media_type TEXT NOT NULL, "
        "size INTEGER NOT NULL, data BLOB NOT NULL)"
    )
    conn.execute(
        "CREATE TABLE tamper_log (id INTEGER PRIMARY KEY, table_name TEXT NOT NULL, "
        "row_id INTEGER, action TEXT NOT NULL, at TEXT NOT NULL)"
    )
    # The link skeleton (position, table, hash, previous hash) of chains imported from bundles:
    # it proves where the imported records sit in their origin chain without holding the other
    # cases' records. Each import record hashes the links it brought.
    conn.execute(
        "CREATE TABLE chain_links (chain_id TEXT NOT NULL, seq INTEGER NOT NULL, "
        "table_name TEXT NOT NULL, hash TEXT NOT NULL, prev_hash TEXT NOT NULL, "
        "PRIMARY KEY (chain_id, seq))"
    )
    for table in ("blobs", "chain_links"):
        _create_tamper_triggers(conn, table)
    for table in chain.CHAINED_TABLES:
        _create_chained_table(conn, table)
    for table in ("exhibits", "custody_events", "measurements", "results", "reports"):
        conn.execute(f"CREATE INDEX {table}_case ON {table}(case_number)")


def _add_later_columns(version: int) -> Callable[[sqlite3.Connection], None]:
    """The migration that adds the columns schema ``version`` added to chained tables
    (:data:`forensic.custody.chain.LATER_COLUMNS`): NULL in every record made before, which
    therefore hashes as it was signed."""

    def migrate(conn: sqlite3.Connection) -> None:
        for table, columns in chain.LATER_COLUMNS.items():
            for column, added in columns.items():
                if added == version:
                    kind = chain.CHAINED_TABLES[table][column]
                    conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")

    return migrate


MIGRATIONS: list[tuple[int, str, Callable[[sqlite3.Connection], None]]] = [
    (
        1,
        "cases, exhibits, custody events, measurements, results, reports, keys; hash chain",
        _migration_1,
    ),
    (
        2,
        "measurements: where the spectrum was acquired (location) and by which unit",
        _add_later_columns(2),
    ),
    (
        3,
        "custody events: where the exhibit changed hands (location)",
        _add_later_columns(3),
    ),
    (
        4,
        "exhibits: a label that marks the exhibit's records filed in error, why, and where "
        "they belong",
        _add_later_columns(4),
    ),
]
"""Ordered schema migrations: ``(version, description, function)``. Append, never edit."""

SCHEMA_VERSION = MIGRATIONS[-1][0]

READABLE_SINCE = 1
"""The oldest schema a store opened read-only (which cannot be upgraded) is read in: every
migration since adds only columns (:data:`forensic.custody.chain.LATER_COLUMNS`), which its
records lack as records made before them have no value in them."""

_OWN_TABLES = ("schema_version", "store_meta")
"""Two tables every evidence store has had since its first migration, by which one made before
stores carried :data:`APPLICATION_ID` is known (another program's database holds neither)."""


# -- the store ---------------------------------------------------------------------------------


def _row_dict(cursor: sqlite3.Cursor, row: tuple) -> dict[str, Any]:
    return {desc[0]: value for desc, value in zip(cursor.description, row, strict=True)}


_TYPE_CASTS = {"TEXT": str, "INTEGER": int, "REAL": float}


def _normalise(table: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Cast values to their column types: what is read back then hashes as what was signed."""
    schema = chain.CHAINED_TABLES[table]
    unknown = set(fields) - set(schema)
    if unknown:
        raise CustodyError(f"{table}: unknown field(s) {sorted(unknown)}; expected {list(schema)}")
    out: dict[str, Any] = {}
    for column, kind in schema.items():
        value = fields.get(column)
        if value is None:
            if "NOT NULL" in kind:
                raise CustodyError(f"{table}: {column} is required")
            out[column] = None
            continue
        cast = _TYPE_CASTS[kind.split()[0]]
        if isinstance(value, bool):
            value = int(value)
        try:
            out[column] = cast(value)
        except (TypeError, ValueError):
            raise CustodyError(f"{table}: {column}={value!r} is not {kind.split()[0]}") from None
    return out


class Store:
    """An open evidence store (see the module docstring for what it guarantees).

    Parameters
    ----------
    path : str or path-like, optional
        A folder (``forensic.db`` inside) or a ``.db`` file; default ``$FORENSIC_STORE`` or the
        user data folder.
    create : bool, default True
        Create the store if it does not exist; if false a missing store is an error.
    read_only : bool, default False
        Open the store to read only (SQLite ``mode=ro``; see the module docstring): nothing
        can be recorded, the file is not changed, and a store one cannot write can be read.
        The store must exist and have this toolkit's schema.
    busy_timeout_s : float, default 30
        How long to wait for another process's write to finish before failing.
    clock_checked : bool, default False
        Record even where this computer's clock reads earlier than the store's last record
        (:meth:`check_clock`): a person has checked that the clock is right, so that record
        was dated by a clock that was ahead.

    Raises
    ------
    StoreReadOnlyError
        Opening to write a store this process cannot write.
    StoreDamagedError
        SQLite finds the file damaged.
    CustodyError
        No store there (with ``create`` or ``read_only`` false/true), not an evidence store, or
        a schema this toolkit does not know.
    """

    def __init__(
        self,
        path: str | os.PathLike | None = None,
        *,
        create: bool = True,
        read_only: bool = False,
        busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
        clock_checked: bool = False,
    ) -> None:
        self.db_path = resolve_store_path(path)
        self.read_only = read_only
        self.busy_timeout_s = busy_timeout_s
        self.clock_checked = clock_checked
        self._depth = 0
        self._remembered = False
        self._keys: dict[str, OperatorKey] = {}
        # called with an operator's name just before their key is first registered (their
        # first signed record here): the command line warns of a name close to a signer's
        # then, and not in a command that records nothing
        self.on_new_key: Callable[[str], None] | None = None
        # called while a write waits for a store another process keeps locked, with the
        # seconds waited and the seconds it will wait in all (:meth:`_begin`): the command
        # says so, instead of half a minute of silence
        self.on_wait: Callable[[float, float], None] | None = None
        # the folders (outermost first) and the file this opening created the store in: what
        # a command that records nothing removes again (:meth:`close_removing_if_new`)
        self._created: tuple[Path, ...] = ()
        self._refuse_a_lost_store()
        if read_only:
            self._open_read_only()
            return
        if not self.db_path.exists():
            if not create:
                raise NoStoreError(f"no evidence store at {self.db_path}")
            folders = [folder for folder in self.db_path.parents if not folder.exists()]
            try:
                self.db_path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                full = self._full_disk(exc, "creating the store")
                if full is not None:
                    raise full from None
                raise CustodyError(
                    f"cannot create the evidence store at {self.db_path}: "
                    f"{exc.strerror or exc} ({exc.filename or self.db_path.parent})"
                ) from None
            self._refuse_if_not_writable()
            if self._create_file():
                self._created = (*reversed(folders), self.db_path)
        self._refuse_if_not_writable()
        made = [path for path in self._opened_files() if not path.exists()]
        try:
            self.conn = sqlite3.connect(self.db_path, timeout=busy_timeout_s, isolation_level=None)
        except sqlite3.Error as exc:
            full = self._full_disk(exc, "opening")
            if full is not None:
                raise full from None
            raise CustodyError(f"{self.db_path}: cannot open the evidence store ({exc})") from None
        try:
            self.conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
            # before anything is written: switching to WAL writes the file's header
            self._refuse_if_not_a_store()
            mode = self.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise CustodyError(f"{self.db_path}: cannot switch the store to WAL ({mode})")
            self.conn.execute("PRAGMA synchronous = FULL")
            self.conn.execute("PRAGMA foreign_keys = ON")
            self._migrate()
            self.chain_id = self.conn.execute(
                "SELECT value FROM store_meta WHERE key = 'chain_id'"
            ).fetchone()[0]
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            error = self._error(exc, "opening")
            if isinstance(error, StoreFullError):
                self._remove_empty(made)
            raise error from None
        except CustodyError:
            self.conn.close()
            raise
        self._opened = self._identity()

    def _opened_files(self) -> list[Path]:
        """The store's file and the files SQLite makes beside it, in the order it makes them."""
        return [self.db_path, self._side_file("-wal"), self._side_file("-shm")]

    def _remove_empty(self, made: list[Path]) -> None:
        """Remove the files this process made in opening a store it could not open for a full
        disk, while they hold nothing (a 0-byte store or ``-wal``; the ``-shm`` index is made
        again from them): left, a 0-byte store beside a ``-wal`` reads as a store whose file
        was lost (:meth:`_refuse_a_lost_store`). None is removed once any holds data."""
        files = [path for path in made if path.exists()]
        sizes = {path: path.stat().st_size for path in files if path.is_file()}
        holding = [p for p in files if not p.name.endswith("-shm") and sizes.get(p, 1) != 0]
        if holding:
            return
        for path in files:
            with contextlib.suppress(OSError):
                path.unlink()

    def _full_disk(self, exc: BaseException, doing: str) -> StoreFullError | None:
        """The error to say for ``exc`` when it is a full disk (SQLite's ``SQLITE_FULL``, an
        ``ENOSPC`` :class:`OSError`, or a disk I/O error with less than
        :data:`NEARLY_FULL_BYTES` free): which folder's disk, how much is free, and what to do;
        None when ``exc`` is no sign of a full disk."""
        folder = self.db_path.parent
        try:
            free: int | None = shutil.disk_usage(folder).free
        except OSError:
            free = None
        nearly_full = free is None or free < NEARLY_FULL_BYTES
        if isinstance(exc, OSError):
            full = exc.errno == errno.ENOSPC
        else:
            code = getattr(exc, "sqlite_errorcode", None)
            primary = None if code is None else code & 0xFF
            text = str(exc)
            full = primary == SQLITE_FULL or "disk is full" in text
            if primary == SQLITE_IOERR or "disk I/O error" in text:
                full = full or (free is not None and nearly_full)
        if not full:
            return None
        if free is None:
            said = f"the disk holding {folder} is full (its free space could not be read)"
        elif nearly_full:
            said = f"the disk holding {folder} is full ({free // 1024} kB free)"
        else:  # SQLite's temporary files may be on another disk (TMPDIR), or room was made
            said = (
                f"no room was left to write ({' '.join(str(exc).split())}), though the disk "
                f"holding {folder} has {free // 2**20} MB free now: the disk of the temporary "
                "folder may be the full one"
            )
        if doing in ("opening", "creating the store"):
            todo = "free space on it, or use another --store; nothing was recorded"
        else:  # the store holds this work's records so far: another one would split them
            todo = "free space on it; what this step would have recorded was not recorded"
        return StoreFullError(f"{self.db_path}: {doing} failed: {said}: {todo}")

    def _identity(self) -> tuple[int, int] | None:
        """Which file the store's path names (device, inode), None if none."""
        try:
            found = os.stat(self.db_path)
        except OSError:
            return None
        return found.st_dev, found.st_ino

    def check_in_place(self) -> None:
        """Make sure the store's file is still the one this store writes.

        SQLite writes on through a file deleted or moved while it is open (its folder
        removed, the store replaced by a copy) without an error, and what it writes then is
        lost with that file: a step that must not lose what it recorded checks after it.

        Raises
        ------
        StoreGoneError
            The path names no file now, or another file.
        """
        now = self._identity()
        if now == getattr(self, "_opened", now):
            return
        what = "deleted or moved" if now is None else "replaced by another file"
        raise StoreGoneError(
            f"{self.db_path}: the store's file was {what} while this command had it open: "
            "what it recorded since went to a file no longer there, and is not in the store"
        )

    def _side_file(self, suffix: str) -> Path:
        return self.db_path.with_name(self.db_path.name + suffix)

    def _refuse_a_lost_store(self) -> None:
        """Refuse to open, or create anew, a store whose main file is lost but left traces.

        A ``-wal`` or ``-shm`` file without its database, or a database file of 0 bytes (an
        evidence store never is: even a new one holds its header), means the store was here
        and its main file was deleted, moved, cut off or badly copied. Creating a new store
        over them would start a new chain where records were, and SQLite would delete the
        orphaned ``-wal`` file with the committed records it holds.

        Raises
        ------
        StoreDamagedError
            Naming the files found, what they mean, and to restore the main file.
        """
        # The side files first: a process creating the store makes its database file before
        # either of them, so a database missing after them is missing indeed.
        sides = [path for path in map(self._side_file, ("-wal", "-shm")) if path.exists()]
        try:
            empty = self.db_path.stat().st_size == 0 and self.db_path.is_file()
        except FileNotFoundError:
            empty = False
            if not sides:
                return  # no store here (yet)
        except OSError:
            return  # not readable: opening it says why
        if self.db_path.exists() and not empty:
            return
        name = self.db_path.name
        what = f"{self.db_path} is empty (0 bytes)" if empty else f"{self.db_path} is missing"
        wal = self._side_file("-wal")
        size = wal.stat().st_size if wal in sides else 0
        if size:
            said = (
                f"{what}, but its write-ahead log {wal} ({size} bytes) is there: it holds "
                f"records that cannot be read without {name}, and a new store here would "
                "delete them"
            )
        elif sides:
            there = " and ".join(str(path) for path in sides)
            said = (
                f"{what}, but {there} {'is' if len(sides) == 1 else 'are'} there: the store "
                f"was here, and {name} was deleted, moved or cut off"
            )
        else:
            said = (
                f"{what}: an evidence store never is (the file was cut off, a copy of it "
                "failed, or it was made by hand)"
            )
        if sides:
            restore = (
                f"restore {name} from the copy or backup these files came with (or the whole "
                "store from a backup), and keep them as they are until then"
            )
        else:
            restore = (
                f"restore {name} from a backup or a copy of the store; if no store was ever "
                "kept here, remove the empty file"
            )
        raise StoreDamagedError(f"{said}. Nothing was read, recorded or changed: {restore}")

    def _create_file(self) -> bool:
        """Create the store's database file whole (its header written), under its name at once.

        SQLite makes a database file empty and writes its header a moment later: a store
        found at 0 bytes is refused as a lost one (:meth:`_refuse_a_lost_store`), so a store
        being created must never be seen so, nor left so by a process killed then. The file
        is made under a temporary name and linked into place; another process that created
        it meanwhile keeps its own. Where the file system has no hard links (FAT), SQLite
        creates it in place, as before. Returns False when another process created it.
        """
        tmp = self.db_path.with_name(f".{self.db_path.name}.{uuid.uuid4().hex[:12]}.new")
        try:
            conn = sqlite3.connect(tmp, isolation_level=None)
            try:
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                conn.execute("PRAGMA journal_mode = WAL")  # writes the header
            finally:
                conn.close()  # the last connection removes the -wal and -shm of tmp
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
            os.link(tmp, self.db_path)
        except FileExistsError:
            return False  # another process created it meanwhile
        except (OSError, sqlite3.Error):
            pass  # no hard links here: SQLite creates the file in place when it opens it
        finally:
            for path in (tmp, *(tmp.with_name(tmp.name + s) for s in ("-wal", "-shm"))):
                with contextlib.suppress(OSError):
                    path.unlink()
        return True

    def _refuse_if_not_writable(self) -> None:
        """Refuse, before SQLite fails half-way, a store this process cannot write.

        SQLite writes the store's file, and in WAL mode creates and writes ``-wal`` and
        ``-shm`` files beside it, so the folder must be writable too.
        """
        folder = self.db_path.parent
        blocked = [
            str(path)
            for path in (self.db_path, self._side_file("-wal"), self._side_file("-shm"))
            if path.exists() and not os.access(path, os.W_OK)
        ]
        if not os.access(folder, os.W_OK | os.X_OK):
            blocked.append(f"the folder {folder}")
        if not blocked:
            return
        if not self.db_path.exists():
            raise StoreReadOnlyError(
                f"cannot create the evidence store at {self.db_path}: {blocked[-1]} cannot "
                "be written; nothing was recorded"
            )
        raise StoreReadOnlyError(
            f"{self.db_path}: the evidence store is read-only here ({', '.join(blocked)} "
            f"cannot be written): nothing was recorded. The commands that only read it "
            f"({READING_COMMANDS}) work on it as it is; to record, use a store you can write"
        )

    def _connect_read_only(self, *, immutable: bool) -> sqlite3.Connection:
        # a URI, so that a path holding '?' or '#' stays a path
        uri = self.db_path.resolve().as_uri() + "?mode=ro" + ("&immutable=1" if immutable else "")
        conn = sqlite3.connect(uri, uri=True, timeout=self.busy_timeout_s, isolation_level=None)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # SQLite opens lazily
        except sqlite3.Error:
            conn.close()
            raise
        return conn

    def _open_read_only(self) -> None:
        if not self.db_path.is_file():
            raise NoStoreError(f"no evidence store at {self.db_path}")
        try:
            try:
                self.conn = self._connect_read_only(immutable=False)
            except sqlite3.OperationalError as exc:
                # A WAL store is read through its '-shm' index, which SQLite creates beside it:
                # in a read-only folder it cannot. Without records in a '-wal' file the database
                # file alone is the whole store, and 'immutable' reads it without the index
                # (and without locks: no connection has it open, or the index would exist).
                text = str(exc)
                if "readonly" not in text and "unable to open" not in text:
                    raise
                wal = self._side_file("-wal")
                size = wal.stat().st_size if wal.exists() else 0
                if size:
                    raise StoreReadOnlyError(
                        f"{self.db_path}: cannot be read here: its write-ahead log {wal} "
                        f"({size} bytes) holds records not yet in {self.db_path.name}, and "
                        f"SQLite reads them only through a {self._side_file('-shm').name} "
                        "file it cannot create in this read-only folder. Copy the folder (the "
                        "file with its -wal and -shm files) to a place you can write and read "
                        "the copy: its records verify as the original's"
                    ) from None
                self.conn = self._connect_read_only(immutable=True)
        except sqlite3.DatabaseError as exc:
            raise self._error(exc, "opening read-only") from None
        try:
            self._refuse_if_not_a_store()
            current = self.schema_version()
            if current == 0:
                raise self._no_tables()
            if current > SCHEMA_VERSION:
                raise CustodyError(
                    f"{self.db_path}: schema version {current} was written by a newer forensic "
                    f"(this one knows up to {SCHEMA_VERSION}); upgrade the toolkit"
                )
            if current < READABLE_SINCE:
                raise CustodyError(
                    f"{self.db_path}: schema version {current} was written by an older "
                    f"forensic (this one reads version {SCHEMA_VERSION}); a command that "
                    "records upgrades it, on a copy if this store must stay as it is"
                )
            self.chain_id = self.conn.execute(
                "SELECT value FROM store_meta WHERE key = 'chain_id'"
            ).fetchone()[0]
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            if "no such table" in str(exc):
                raise self._no_tables() from None
            raise self._error(exc, "opening read-only") from None
        except CustodyError:
            self.conn.close()
            raise

    def _no_tables(self) -> CustodyError:
        """The refusal of a database opened read-only that lacks the store's tables: an empty
        SQLite file, or one whose tables were never made (nothing read-only can make them)."""
        return CustodyError(
            f"{self.db_path}: not an evidence store: it holds no records, nor the tables to "
            "hold them; check --store (or FORENSIC_STORE)"
        )

    def _refuse_if_not_a_store(self) -> None:
        """Refuse, before anything is written to it, a database that is not an evidence
        store (:func:`_not_a_store`): taken for one, it would gain the store's tables and
        records for good, and its own program would find them there.

        Raises
        ------
        CustodyError
            Saying what the file is, and to check ``--store``.
        """
        why = _not_a_store(self.conn)
        if why is not None:
            raise CustodyError(
                f"{self.db_path}: not an evidence store: {why}. Nothing was written to it: "
                "check --store (or FORENSIC_STORE); a new store needs a file or folder of "
                "its own"
            )

    # -- plumbing --------------------------------------------------------------------------------

    def _error(self, exc: sqlite3.Error, doing: str) -> CustodyError:
        full = self._full_disk(exc, doing)
        if full is not None:
            return full
        text = str(exc)
        if "readonly" in text or "read-only" in text:
            return StoreReadOnlyError(
                f"{self.db_path}: {doing} failed: the store cannot be written here ({text}); "
                "what this step would have recorded was not recorded"
            )
        if "locked" in text or "busy" in text:
            return StoreBusyError(
                f"{self.db_path}: another process kept the store locked for more than "
                f"{self.busy_timeout_s:g} s while {doing}; nothing was written, try again"
            )
        if getattr(exc, "sqlite_errorcode", None) == SQLITE_CORRUPT or "malformed" in text:
            return StoreDamagedError(
                f"{self.db_path}: {doing} failed: {text}; the store is damaged and does not "
                "verify (keep the file as it is for examination; restore a copy or a bundle)"
            )
        return CustodyError(f"{self.db_path}: {doing} failed: {text}")

    def close(self) -> None:
        """Close the connection (uncommitted work, if any, is rolled back)."""
        self.conn.close()

    def close_removing_if_new(self) -> bool:
        """Close the store and, when this opening created it and it holds nothing, remove it:
        its file, SQLite's files beside it, and the folders made for it that are left empty.

        A command that creates a store and is then refused (a bundle that does not verify)
        would leave an empty store behind, where a later command finds "No cases", not "no
        evidence store at ..." with the stores this computer has recorded into. A store that
        was there before it was opened, even an empty one, is never removed; nor is one that
        holds anything (a record, a raw spectrum, a chain link), or whose content cannot be
        read.

        Returns
        -------
        bool
            Whether the store was removed.
        """
        try:
            held = not self._created or any(
                self.conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone()
                for table in (*chain.CHAINED_TABLES, "blobs", "chain_links")
            )
        except sqlite3.Error:
            held = True  # what it holds cannot be read: keep it
        self.close()
        if held:
            return False
        *folders, db = self._created
        for path in (*(self._side_file(suffix) for suffix in ("-wal", "-shm", "-journal")), db):
            with contextlib.suppress(OSError):  # one that cannot be removed is said to stay
                path.unlink()
        if db.exists():
            return False
        for folder in reversed(folders):  # the innermost first, each only while empty
            with contextlib.suppress(OSError):
                folder.rmdir()
        self._created = ()
        return True

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction (nested calls join the outer one)."""
        if self.read_only:
            raise StoreReadOnlyError(
                f"{self.db_path}: the store was opened read-only; nothing was recorded"
            )
        if self._depth:
            self._depth += 1
            try:
                yield self.conn
            finally:
                self._depth -= 1
            return
        self._begin()
        self._depth = 1
        try:
            yield self.conn
        except BaseException as exc:
            self._depth = 0
            # SQLite may have rolled back already (a full disk does): that is no second error
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise self._error(exc, "writing") from None
            raise
        self._depth = 0
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute("ROLLBACK")
            raise self._error(exc, "committing") from None
        self._remember()

    def _remember(self) -> None:
        """Note this store among those this computer has recorded into, once it holds a
        record (:func:`~forensic.custody.known_stores.remember_store`): once per opening,
        after the first commit that leaves a record in it (a new store's tables alone are
        none). What is noted is a convenience of this computer, never evidence: a failure to
        note it is not said, and records nothing less."""
        if self._remembered or not self.holds_records():
            return
        from forensic.custody.known_stores import remember_store  # noqa: PLC0415  (imports this)

        self._remembered = True
        remember_store(self.db_path)

    def holds_records(self) -> bool:
        """Whether the store holds any record, of its own chain or an imported one: a store
        that holds none (just created, or left so by a command that failed before recording)
        is a new store to every command that records into it.

        Returns
        -------
        bool
        """
        for table in chain.CHAINED_TABLES:
            try:
                if self.conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone():
                    return True
            except sqlite3.Error:  # a table a store being created does not have yet
                continue
        return False

    def _begin(self) -> None:
        """``BEGIN IMMEDIATE``, waiting up to ``busy_timeout_s`` for another process's write.

        SQLite's own wait cannot be interrupted, and says nothing: a store another process
        keeps locked would hold a command for half a minute, silent and deaf to Ctrl-C. So it
        waits in slices of :data:`WAIT_SLICE_S`, between which Ctrl-C and the stopping signals
        are heard, and tells :attr:`on_wait` how long it has waited and will wait (after the
        first slice, then every :data:`SAY_WAIT_EVERY_S`), for the command to say so.

        Raises
        ------
        StoreBusyError
            The store stayed locked for ``busy_timeout_s``.
        """
        limit = self.busy_timeout_s
        started = time.monotonic()
        said_at: float | None = None
        try:
            while True:
                left = limit - (time.monotonic() - started)
                self.conn.execute(
                    f"PRAGMA busy_timeout = {max(0, int(min(WAIT_SLICE_S, left) * 1000))}"
                )
                try:
                    self.conn.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as exc:
                    error = self._error(exc, "starting a write")
                    waited = time.monotonic() - started
                    if not isinstance(error, StoreBusyError) or waited >= limit:
                        raise error from None
                if self.on_wait is not None and (
                    said_at is None or waited - said_at >= SAY_WAIT_EVERY_S
                ):
                    said_at = waited
                    self.on_wait(waited, limit)
        finally:
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute(f"PRAGMA busy_timeout = {max(0, int(limit * 1000))}")

    @staticmethod
    def waiting_words(waited: float, limit: float, doing: str = "") -> str:
        """What a command says while the store is locked by another process (the words of
        :attr:`on_wait`'s call): for how long it has waited, what it waits to do (``doing``,
        e.g. "save the raw spectrum"; none: it waits to record), and how much longer."""
        waits = f"waiting to {doing}," if doing else "waiting"
        return (
            f"the store is locked by another process ({waited:.0f} s): {waits} up to "
            f"{max(0.0, limit - waited):.0f} s more"
        )

    @contextlib.contextmanager
    def waiting(self, seconds: float) -> Iterator[None]:
        """Wait up to ``seconds`` (instead of ``busy_timeout_s``) for another process's write,
        within the block: a step that must not fail for a lock waits longer (:meth:`_begin`
        waits in slices, saying so through :attr:`on_wait`)."""
        before = self.busy_timeout_s
        self._busy_timeout(seconds)
        try:
            yield
        finally:
            with contextlib.suppress(sqlite3.Error):
                self._busy_timeout(before)

    def _busy_timeout(self, seconds: float) -> None:
        self.conn.execute(f"PRAGMA busy_timeout = {max(0, int(seconds * 1000))}")
        self.busy_timeout_s = seconds

    def _migrate(self) -> None:
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
            "description TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        current = self.schema_version()
        if current > SCHEMA_VERSION:
            raise CustodyError(
                f"{self.db_path}: schema version {current} was written by a newer forensic "
                f"(this one knows up to {SCHEMA_VERSION}); upgrade the toolkit"
            )
        if current == SCHEMA_VERSION:
            return
        with self.transaction():
            current = self.schema_version()  # another process may have migrated meanwhile
            if current == 0:  # a new store: its file says what it is from now on
                self.conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            for version, description, migrate in MIGRATIONS:
                if version <= current:
                    continue
                migrate(self.conn)
                self.conn.execute(
                    "INSERT INTO schema_version(version, description, applied_at) VALUES (?, ?, ?)",
                    (version, description, utc_now()),
                )

    def schema_version(self) -> int:
        """The highest migration applied to this store (0 for an empty file)."""
        row = self.conn.execute("SELECT max(version) FROM schema_version").fetchone()
        return int(row[0] or 0)

    def query(self, sql: str, params: tuple | list = ()) -> list[dict[str, Any]]:
        """Rows of a read-only query as dicts."""
        try:
            cursor = self.conn.execute(sql, params)
            return [_row_dict(cursor, row) for row in cursor.fetchall()]
        except sqlite3.Error as exc:
            raise self._error(exc, "reading") from None

    # -- the chain -------------------------------------------------------------------------------

    def head(self, chain_id: str | None = None) -> tuple[int, str]:
        """``(seq, hash)`` of the last record of a chain (``(0, GENESIS_HASH)`` when empty)."""
        last = self._last_record(chain_id)
        return (0, chain.GENESIS_HASH) if last is None else (last["seq"], last["hash"])

    def _last_record(self, chain_id: str | None = None) -> dict[str, Any] | None:
        """``seq``, ``hash``, ``recorded_at`` and ``table`` of the last record of a chain
        (this store's own by default); None when it has none."""
        chain_id = chain_id or self.chain_id
        union = " UNION ALL ".join(
            f"SELECT seq, hash, recorded_at, '{t}' AS kind FROM {t} WHERE chain_id = ?"
            for t in chain.CHAINED_TABLES
        )
        row = self.conn.execute(
            f"SELECT seq, hash, recorded_at, kind FROM ({union}) ORDER BY seq DESC LIMIT 1",
            [chain_id] * len(chain.CHAINED_TABLES),
        ).fetchone()
        if row is None:
            return None
        return {"seq": int(row[0]), "hash": row[1], "recorded_at": row[2], "table": row[3]}

    def check_clock(self) -> None:
        """Refuse to record while this computer's clock reads a time it cannot be.

        Every record is dated by the clock (its ``recorded_at``, and a hand-over's time when
        none is stated), and a date once recorded is never changed. So before anything is
        recorded (and a scan checks before the laser fires), the clock must not read:

        - a time before :data:`EARLIEST_CLOCK` (no computer running this release can rightly);
        - a time earlier, by more than :data:`CLOCK_TOLERANCE`, than the last record of this
          store's chain was recorded: the store's records were made one after another, so
          either this clock is behind or the clock that dated that record was ahead. Only a
          person can tell which; ``clock_checked`` (given when this store was opened) says
          that the clock is right, and the record is made after that one, as the chain
          says, whatever their times.

        A clock that is ahead cannot be seen from the store: being later than its last record
        is what a clock that is right reads.

        Raises
        ------
        ClockError
            Naming both times, and to set this computer's clock; nothing was recorded.
        """
        now = utc_now()
        moment = recorded_moment(now)
        if moment < EARLIEST_CLOCK:
            raise ClockError(
                f"this computer's clock reads {utc_when(now)}, before this release of forensic "
                f"was made ({EARLIEST_CLOCK:%Y-%m-%d}): every record would be dated wrong, for "
                "good. Set this laptop's clock to the right date, time and time zone, then run "
                "the command again; nothing was recorded"
            )
        last = self._last_record()
        if last is None or self.clock_checked:
            return
        then = recorded_moment(last["recorded_at"])
        if then is None or moment >= then - CLOCK_TOLERANCE:
            return
        raise ClockError(
            f"this computer's clock reads {utc_when(now)}, but the last record in "
            f"{self.db_path} (record #{last['seq']}) was recorded at "
            f"{utc_when(last['recorded_at'])}, {_how_long(then - moment)} later: records are "
            "made one after another, so this "
            "clock is behind, or the one that dated that record was ahead. Set this laptop's "
            "clock to the right date, time and time zone, then run the command again; if it "
            "is right (check it against a phone), that record was dated by a clock that was "
            "ahead: run the command again with --clock-checked. Nothing was recorded"
        )

    def appended_since(self, seq: int) -> list[tuple[str, dict[str, Any]]]:
        """``(table, row)`` of every record this store's chain gained after position ``seq``
        (a :meth:`head`), in chain order: what a piece of work recorded, however it ended."""
        found = [
            (table, row)
            for table in chain.CHAINED_TABLES
            for row in self.query(
                f"SELECT * FROM {table} WHERE chain_id = ? AND seq > ?", (self.chain_id, int(seq))
            )
        ]
        return sorted(found, key=lambda item: chain_position(item[1]))

    def operator_key(self, operator: str) -> OperatorKey:
        """The operator's signing key, registered in the store (a chained record) on first use."""
        operator = check_operator_name(operator)
        key = self._keys.get(operator)
        if key is None:
            self.check_clock()  # a clock that records nothing makes no key either
            key = load_or_create_key(operator)
        with self.transaction():
            known = self.conn.execute(
                "SELECT 1 FROM operator_keys WHERE fingerprint = ? AND operator = ?",
                (key.fingerprint, operator),
            ).fetchone()
            if known is None:
                if self.on_new_key is not None:
                    self.on_new_key(operator)
                self._insert(
                    "operator_keys",
                    {
                        "operator": operator,
                        "public_key": key.public_key_hex,
                        "fingerprint": key.fingerprint,
                    },
                    key,
                    None,
                )
        self._keys[operator] = key
        return key

    def loaded_key(self, operator: str) -> OperatorKey:
        """The key this store signs the operator's records with, without recording anything:
        the one it has signed with, else the operator's key file; never a new key.

        For signing what the store cannot take (it is locked, full or gone).

        Raises
        ------
        CustodyError
            The operator has no key on this computer, or it cannot be read.
        """
        operator = check_operator_name(operator)
        return self._keys.get(operator) or load_key(operator)

    def operator_fingerprints(self) -> dict[str, set[str]]:
        """``{operator: fingerprints}`` of every key the store holds (its own chain's and
        those of bundles imported): whose each key is, as the store knows it."""
        known: dict[str, set[str]] = {}
        for row in self.query("SELECT operator, fingerprint FROM operator_keys"):
            known.setdefault(row["operator"], set()).add(row["fingerprint"])
        return known

    def signers_named_alike(self, operator: str) -> list[str]:
        """The signers whose names differ from ``operator`` only in letter case or spacing,
        when ``operator`` has signed nothing in the store: the first record it signs
        registers a second key, under what reads as another person. The caller warns of
        them (never refuses: two people may share a name, and the operator knows which name
        is theirs).

        Parameters
        ----------
        operator : str
            Who is about to sign.

        Returns
        -------
        list of str
            Those names as recorded, sorted; empty when ``operator`` already signs here, or
            no name is that close to it
            (:func:`~forensic.custody.keys.similar_names`).
        """
        operator = check_operator_name(operator)
        known = self.operator_fingerprints()
        if operator in known:
            return []
        return similar_names(operator, known)

    def signer_name(self, operator: str) -> str:
        """The name under which ``operator`` signs in this store.

        ``operator`` itself, unless it has signed nothing here and exactly one signer's
        recorded name differs from it only in spacing and has its key on this computer: a
        name recorded before names were normalised where they enter (``"Ann  Example"``),
        which can no longer be given as it is recorded. That signer signs on, with their
        name and key as recorded, not as a second signer with a new key. Not a name that
        differs in letter case (perhaps another person), nor one of two so spaced (which
        one is not for the store to guess).

        Parameters
        ----------
        operator : str
            Who is about to sign, as given.

        Returns
        -------
        str
            The name to sign with; different from ``operator`` only in its spacing.
        """
        operator = check_operator_name(operator)
        known = self.operator_fingerprints()
        if operator in known:
            return operator
        spaced = one_spaced(operator)
        recorded = [
            name
            for name in sorted(known)
            if name != operator and one_spaced(name) == spaced and self._has_key(name)
        ]
        return recorded[0] if len(recorded) == 1 else operator

    def _has_key(self, operator: str) -> bool:
        """Whether ``operator``'s private key is at hand: loaded, or its file on this computer."""
        if operator in self._keys:
            return True
        try:
            return key_path(operator).exists()
        except (CustodyError, OSError):  # a name recorded elsewhere that cannot name a key
            return False

    def append(
        self,
        table: str,
        fields: Mapping[str, Any],
        *,
        operator: str,
        corrects: str | None = None,
    ) -> dict[str, Any]:
        """Append one signed record to the chain and return the stored row.

        Parameters
        ----------
        table : str
            One of :data:`forensic.custody.chain.CHAINED_TABLES` (not ``operator_keys``).
        fields : mapping
            The table's own columns.
        operator : str
            Who signs the record (their key is created on first use).
        corrects : str, optional
            Hash of an earlier record this one corrects. The earlier record stays as it was.
        """
        if table not in chain.CHAINED_TABLES or table == "operator_keys":
            raise CustodyError(f"cannot append to {table!r}")
        key = self.operator_key(operator)
        with self.transaction():
            if corrects is not None:
                corrects = self._resolve_hash(table, corrects)
                self._check_correctable(table, fields, corrects)
            return self._insert(table, fields, key, corrects)

    def _keep_unstated(
        self, table: str, fields: dict[str, Any], corrects: str | None
    ) -> dict[str, Any]:
        """A correction keeps what it does not state (None) from the record it corrects: the
        time of a hand-over, a seal number. Correcting one field must not erase the others."""
        if corrects is None:
            return fields
        full = self._resolve_hash(table, corrects)
        (earlier,) = self.query(f"SELECT * FROM {table} WHERE hash = ?", (full,))
        return {k: earlier[k] if v is None and k in earlier else v for k, v in fields.items()}

    def _check_correctable(self, table: str, fields: Mapping[str, Any], corrects: str) -> None:
        """A correction replaces the current record of the same case (and exhibit): not another
        exhibit's, and not one a later record already corrected (the record would fork in two)."""
        (earlier,) = self.query(f"SELECT * FROM {table} WHERE hash = ?", (corrects,))
        for column in ("case_number", "item_number"):
            if column in fields and as_label(fields[column]) != earlier.get(column):
                raise CustodyError(
                    f"record #{earlier['seq']} ({corrects[:12]}) is a {table} record of "
                    f"{column.replace('_', ' ')} {earlier.get(column)}, not "
                    f"{as_label(fields[column])}: a correction replaces a record of the same "
                    "exhibit (record a new one instead)"
                )
        later = self.query(f"SELECT seq, hash FROM {table} WHERE corrects = ?", (corrects,))
        if later:
            current = self._current_of(table, later[0]["hash"])
            raise CustodyError(
                f"record #{earlier['seq']} ({corrects[:12]}) was already corrected by record "
                f"#{later[0]['seq']} ({later[0]['hash'][:12]}): correct the current record, "
                f"#{current['seq']} ({current['hash'][:12]})"
            )

    def _current_of(self, table: str, record_hash: str) -> dict[str, Any]:
        """The last record of a chain of corrections that starts at ``record_hash``."""
        (row,) = self.query(f"SELECT seq, hash FROM {table} WHERE hash = ?", (record_hash,))
        while True:
            later = self.query(f"SELECT seq, hash FROM {table} WHERE corrects = ?", (row["hash"],))
            if not later:
                return row
            row = later[0]

    def _resolve_hash(self, table: str, prefix: str) -> str:
        """The full hash of the ``table`` record whose hash starts with ``prefix`` (>= 8 hex)."""
        prefix = prefix.strip().lower()
        if len(prefix) < 8 or any(ch not in "0123456789abcdef" for ch in prefix):
            raise CustodyError(
                f"{prefix!r}: give at least the first 8 hex digits of the record's hash"
            )
        found = self.conn.execute(
            f"SELECT hash FROM {table} WHERE substr(hash, 1, ?) = ?", (len(prefix), prefix)
        ).fetchall()
        if not found:
            raise CustodyError(
                f"the record to correct ({prefix[:16]}...) is not a {table} record here"
            )
        if len(found) > 1:
            raise CustodyError(f"{prefix!r} matches {len(found)} {table} records; give more digits")
        return found[0][0]

    def _insert(
        self, table: str, fields: Mapping[str, Any], key: OperatorKey, corrects: str | None
    ) -> dict[str, Any]:
        assert self._depth, "records are inserted inside a transaction"  # internal invariant
        self.check_clock()  # before every record: the transaction is rolled back if not
        seq, prev_hash = self.head()
        content = {
            "chain_id": self.chain_id,
            "seq": seq + 1,
            "recorded_at": utc_now(),
            "signer": key.operator,
            "key_fingerprint": key.fingerprint,
            "corrects": corrects,
            "prev_hash": prev_hash,
            **_normalise(table, fields),
        }
        # a column added by a later schema is content only when it has a value, as it is in
        # the records made before it (chain.record_content)
        content = chain.record_content(table, content)
        content["column_digests"] = chain.column_digests(content)
        digest = chain.record_hash(table, content)
        signature = key.sign(bytes.fromhex(digest))
        columns = [*content, "hash", "signature"]
        values = [*content.values(), digest, signature]
        try:
            cursor = self.conn.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))})",
                values,
            )
        except sqlite3.IntegrityError as exc:
            raise CustodyError(f"{table}: record refused by the store ({exc})") from None
        unstated = dict.fromkeys(chain.LATER_COLUMNS.get(table, {}))  # NULL, as read back
        return {
            "id": cursor.lastrowid,
            **unstated,
            **content,
            "hash": digest,
            "signature": signature,
        }

    # -- blobs -----------------------------------------------------------------------------------

    def put_blob(self, data: bytes, media_type: str) -> str:
        """Store ``data`` under its SHA-256 (idempotent) and return the hash."""
        digest = chain.sha256_hex(data)
        with self.transaction():
            self.conn.execute(
                "INSERT OR IGNORE INTO blobs(sha256, media_type, size, data) VALUES (?, ?, ?, ?)",
                (digest, media_type, len(data), sqlite3.Binary(data)),
            )
        return digest

    def get_blob(self, sha256: str) -> bytes:
        """The bytes stored under ``sha256``, checked against it."""
        # CAST: a cell changed behind the toolkit's back may hold text that is not UTF-8
        row = self.conn.execute(
            "SELECT CAST(data AS BLOB) FROM blobs WHERE sha256 = ?", (sha256,)
        ).fetchone()
        if row is None:
            raise CustodyError(f"no stored data with SHA-256 {sha256}")
        data = bytes(row[0])
        if chain.sha256_hex(data) != sha256:
            raise CustodyError(
                f"stored data {sha256[:16]}... has been altered: its SHA-256 is now "
                f"{chain.sha256_hex(data)}"
            )
        return data

    # -- current view (corrections applied) ------------------------------------------------------

    def current(self, table: str, where: str = "1", params: tuple | list = ()) -> list[dict]:
        """Rows of ``table`` matching ``where`` that no later record corrects, in the order
        they were recorded (:func:`chain_order`)."""
        return chain_order(
            self.query(
                f"SELECT * FROM {table} WHERE ({where}) AND hash NOT IN "
                f"(SELECT corrects FROM {table} WHERE corrects IS NOT NULL)",
                params,
            )
        )

    def corrections(
        self, table: str, where: str = "1", params: tuple | list = ()
    ) -> list[tuple[dict, dict]]:
        """``(earlier, correcting)`` record pairs of ``table`` matching ``where``, in the
        order the corrections were recorded (:func:`chain_order`).

        What :meth:`current` hides: each record that corrects another, with the record it
        corrects (which stays in the store as it was recorded).
        """
        pairs = []
        for later in chain_order(
            self.query(f"SELECT * FROM {table} WHERE ({where}) AND corrects IS NOT NULL", params)
        ):
            earlier = self.query(f"SELECT * FROM {table} WHERE hash = ?", (later["corrects"],))
            if earlier:
                pairs.append((earlier[0], later))
        return pairs

    def get_case(self, case_number: str) -> dict[str, Any] | None:
        """The current record of a case, or None."""
        rows = self.current("cases", "case_number = ?", (as_label(case_number),))
        return rows[-1] if rows else None

    def require_case(self, case_number: str) -> dict[str, Any]:
        """The current record of a case; :class:`CustodyError` naming known cases if absent."""
        case = self.get_case(case_number)
        if case is None:
            known = [r["case_number"] for r in self.current("cases")]
            hint = f"; known cases: {', '.join(known[:10])}" if known else "; the store is empty"
            hint += _printed_like(as_label(case_number), known, "case")
            raise CustodyError(f"no case {case_number!r} in {self.db_path}{hint}")
        return case

    def get_exhibit(self, case_number: str, item_number: str) -> dict[str, Any] | None:
        """The current label of an exhibit, or None."""
        rows = self.current(
            "exhibits",
            "case_number = ? AND item_number = ?",
            (as_label(case_number), as_label(item_number)),
        )
        return rows[-1] if rows else None

    def require_exhibit(self, case_number: str, item_number: str) -> dict[str, Any]:
        """The current label of an exhibit; :class:`CustodyError` naming the case's exhibits."""
        self.require_case(case_number)
        exhibit = self.get_exhibit(case_number, item_number)
        if exhibit is None:
            known = [r["item_number"] for r in self.exhibits(case_number)]
            hint = f"; its exhibits: {', '.join(known)}" if known else "; it has no exhibits yet"
            hint += _printed_like(as_label(item_number), known, "exhibit")
            raise CustodyError(f"no exhibit {item_number!r} in case {case_number!r}{hint}")
        return exhibit

    def seal_records(self, seal_number: str) -> list[tuple[str, dict[str, Any]]]:
        """Every current record that states the seal ``seal_number``: exhibit labels and
        custody events (a re-sealing, a receipt), of every case, in the order they were
        recorded. Seal numbers compare as a scan compares a seal with the one last recorded:
        in any letter case or spacing, and a Greek or Cyrillic letter as the Latin letter or
        digit it prints like (:func:`~forensic.naming.read_as_latin`).

        Parameters
        ----------
        seal_number : str
            The seal number, as given.

        Returns
        -------
        list of (str, dict)
            ``("exhibits", label)`` or ``("custody_events", event)`` for each.
        """
        key = statement_key(read_as_latin(seal_number))
        found = [
            (table, row)
            for table in ("exhibits", "custody_events")
            for row in self.current(table, "seal_number IS NOT NULL")
            if statement_key(read_as_latin(row["seal_number"])) == key
        ]
        order = {id(row): n for n, row in enumerate(chain_order([row for _, row in found]))}
        return sorted(found, key=lambda pair: order[id(pair[1])])

    def exhibits(self, case_number: str) -> list[dict[str, Any]]:
        """Current labels of the case's exhibits, in the order they were added."""
        return self.current("exhibits", "case_number = ?", (as_label(case_number),))

    def _for(self, table: str, case_number: str, item_number: str | None) -> list[dict]:
        if item_number is None:
            return self.current(table, "case_number = ?", (as_label(case_number),))
        return self.current(
            table,
            "case_number = ? AND item_number = ?",
            (as_label(case_number), as_label(item_number)),
        )

    def custody_events(self, case_number: str, item_number: str | None = None) -> list[dict]:
        """Custody events of a case (or one exhibit), oldest first."""
        return self._for("custody_events", case_number, item_number)

    def measurements(self, case_number: str, item_number: str | None = None) -> list[dict]:
        """Measurements of a case (or one exhibit), oldest first."""
        return self._for("measurements", case_number, item_number)

    def results(self, case_number: str, item_number: str | None = None) -> list[dict]:
        """Identification results of a case (or one exhibit), oldest first."""
        return self._for("results", case_number, item_number)

    def reports(self, case_number: str) -> list[dict]:
        """Reports issued for a case, oldest first."""
        return self.current("reports", "case_number = ?", (as_label(case_number),))

    def report_with_pdf(self, pdf_sha256: str) -> dict | None:
        """The record of the report whose PDF is the file with this SHA-256 (hex), or None
        when no report on record here has it."""
        rows = self.query(
            "SELECT * FROM reports WHERE pdf_sha256 = ? ORDER BY chain_id, seq", (pdf_sha256,)
        )
        return rows[0] if rows else None

    # -- writing the domain records ----------------------------------------------------------------

    def open_case(
        self,
        case_number: str,
        *,
        operator: str,
        title: str | None = None,
        unit: str | None = None,
        location: str | None = None,
        notes: str | None = None,
        exist_ok: bool = False,
        mixed_scripts: bool = False,
    ) -> dict[str, Any]:
        """Record a new case (or return the existing one when ``exist_ok``).

        A new number that mixes scripts (:func:`~forensic.naming.mixes_scripts`) is refused
        unless ``mixed_scripts`` confirms it, and one that prints exactly like a recorded one
        in other letters is refused (:func:`_refuse_lookalike`)."""
        case_number = _check_label(case_number, "case number")
        with self.transaction():
            existing = self.get_case(case_number)
            if existing is not None:
                if exist_ok:
                    return existing
                raise CustodyError(f"case {case_number!r} already exists in {self.db_path}")
            _refuse_option_like(case_number, "case number")
            _refuse_lookalike(
                case_number,
                "case number",
                [row["case_number"] for row in self.current("cases")],
                mixed_scripts=mixed_scripts,
            )
            return self.append(
                "cases",
                {
                    "case_number": case_number,
                    "title": title,
                    "unit": unit,
                    "location": location,
                    "opened_by": check_operator_name(operator),
                    "notes": notes,
                },
                operator=operator,
            )

    def add_exhibit(
        self,
        case_number: str,
        item_number: str,
        *,
        operator: str,
        description: str,
        seal_number: str | None = None,
        collected_by: str | None = None,
        collected_at: str | None = None,
        collected_where: str | None = None,
        gps: tuple[float, float] | None = None,
        condition: str | None = None,
        exist_ok: bool = False,
        corrects: str | None = None,
        mixed_scripts: bool = False,
    ) -> dict[str, Any]:
        """Record an exhibit label (ASTM E1459 fields); ``corrects`` replaces an earlier label.

        A new number is refused as :meth:`open_case` refuses one (``mixed_scripts``). A
        correction keeps the label's marking as filed in error (or its withdrawal), which only
        :mod:`forensic.custody.filing` records."""
        item_number = _check_label(item_number, "exhibit (item) number")
        if not description or not str(description).strip():
            raise CustodyError("an exhibit needs a description (what it is, how packaged)")
        if gps is not None:
            lat, lon = float(gps[0]), float(gps[1])
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise CustodyError(f"GPS position {lat}, {lon} is outside -90..90, -180..180")
        else:
            lat = lon = None
        with self.transaction():
            case = self.require_case(case_number)
            existing = self.get_exhibit(case_number, item_number)
            if existing is not None and corrects is None:
                if exist_ok:
                    return existing
                raise CustodyError(f"exhibit {item_number!r} already exists in {case_number!r}")
            if existing is None:
                _refuse_option_like(item_number, "exhibit (item) number")
                _refuse_lookalike(
                    item_number,
                    "exhibit (item) number",
                    [row["item_number"] for row in self.exhibits(case["case_number"])],
                    mixed_scripts=mixed_scripts,
                )
            fields = {
                "case_number": case["case_number"],
                "case_hash": case["hash"],
                "item_number": item_number,
                "description": description,
                "seal_number": seal_number,
                "collected_by": stated_person(collected_by, "collected by"),
                "collected_at": None
                if collected_at is None
                else record_time(collected_at, "collection time", date_alone=True),
                "collected_where": collected_where,
                "gps_lat": lat,
                "gps_lon": lon,
                "condition": condition,
                # a correction keeps the label's marking as filed in error, or its withdrawal:
                # only forensic.custody.filing states one
                "filed_in_error": None,
                "filed_in_error_reason": None,
                "see_case_number": None,
                "see_item_number": None,
            }
            return self.append(
                "exhibits",
                self._keep_unstated("exhibits", fields, corrects),
                operator=operator,
                corrects=corrects,
            )

    def add_custody_event(
        self,
        case_number: str,
        item_number: str,
        *,
        operator: str,
        received_by: str,
        purpose: str,
        released_by: str | None = None,
        event_at: str | None = None,
        seal_intact: bool | None = None,
        seal_number: str | None = None,
        notes: str | None = None,
        location: str | None = None,
        corrects: str | None = None,
    ) -> dict[str, Any]:
        """Record a hand-over of an exhibit (ASTM E1492 fields).

        ``location`` is where the exhibit changed hands, as stated
        (:func:`~forensic.custody.statements.stated_place`: one-spaced; blank is not stated,
        and the record then holds none, as every hand-over recorded before schema version 3
        does). A correction (``corrects``) that states none keeps the place of the hand-over
        it corrects, as it keeps its time and seal.

        A new hand-over of an exhibit whose records are marked filed in error is refused
        (:func:`forensic.custody.filing.refuse_if_filed_in_error`); a correction of one
        recorded before is not."""
        if not purpose or not purpose.strip():
            raise CustodyError("a custody event needs a purpose (e.g. 'analysis', 'storage')")
        with self.transaction():
            exhibit = self.require_exhibit(case_number, item_number)
            if corrects is None:  # a hand-over recorded before the marking may be corrected
                from forensic.custody.filing import (  # noqa: PLC0415  (it imports this)
                    refuse_if_filed_in_error,
                )

                refuse_if_filed_in_error(
                    self, exhibit["case_number"], exhibit["item_number"], operator=operator
                )
            fields = {
                "case_number": exhibit["case_number"],
                "item_number": exhibit["item_number"],
                "exhibit_hash": exhibit["hash"],
                "released_by": stated_person(released_by, "released by"),
                "received_by": check_operator_name(received_by, "received by"),
                "event_at": None
                if event_at is None
                else record_time(event_at, "custody event time"),
                "purpose": purpose,
                "seal_intact": seal_intact,
                "seal_number": seal_number,
                "notes": notes,
                "location": stated_place(location),
            }
            fields = self._keep_unstated("custody_events", fields, corrects)
            if fields["event_at"] is None:
                fields["event_at"] = utc_now()
            return self.append("custody_events", fields, operator=operator, corrects=corrects)

    def add_measurement(
        self,
        case_number: str,
        item_number: str,
        spectrum: Any,
        *,
        operator: str,
        instrument_url: str | None = None,
        instrument: Mapping[str, Any] | None = None,
        acquired_at: str | None = None,
        measured_by: str | None = None,
        location: str | None = None,
        unit: str | None = None,
    ) -> dict[str, Any]:
        """Store the raw spectrum (by SHA-256) and its measurement record in one transaction.

        ``spectrum`` is a :class:`forensic.spectrum.Spectrum`; it is kept exactly as acquired,
        as the canonical JSON of ``Spectrum.to_dict()``. ``operator`` signs the record;
        ``measured_by`` (default the operator) is who measured, and ``acquired_at`` (default
        the spectrum's ``acquired_at``, else now) when: both differ from the signer and the
        time of recording for a spectrum recorded late, from the file a scan kept it in
        (:mod:`forensic.custody.unrecorded`). ``location`` and ``unit`` are where it was
        acquired and the unit that acquired it, as stated (one-spaced; blank is not stated,
        and the record then holds none, as every record made before schema version 2 does).
        """
        raw = raw_spectrum_bytes(spectrum)
        metadata = dict(spectrum.metadata)
        instrument = {
            key: metadata[key]
            for key in (
                "instrument_model",
                "instrument_serial",
                "firmware_version",
                "laser_wavelength_nm",
                "laser_power_mw",
                "integration_time_ms",
                "averages",
                "detector_temperature_c",
                "resolution_cm1",
                "boxcar_width",
                "dark_subtracted",
                "provenance",
                "simulation_note",
                "simulated_from",
                "simulated_from_provenance",
                "source_file",
                "source_sha256",
                "export_written_at",
                "export_found_at_start",
                "acquired_at_basis",
            )
            if key in metadata
        } | dict(instrument or {})
        acquired_at = str(acquired_at or metadata.get("acquired_at") or utc_now())
        with self.transaction():
            exhibit = self.require_exhibit(case_number, item_number)
            digest = self.put_blob(raw, RAW_SPECTRUM_MEDIA_TYPE)
            return self.append(
                "measurements",
                {
                    "case_number": exhibit["case_number"],
                    "item_number": exhibit["item_number"],
                    "exhibit_hash": exhibit["hash"],
                    "raw_sha256": digest,
                    "raw_format": RAW_SPECTRUM_MEDIA_TYPE,
                    "modality": spectrum.modality,
                    "instrument_url": instrument_url,
                    "instrument_json": chain.canonical_text(
                        json.loads(json.dumps(instrument, default=str))
                    ),
                    "operator": check_operator_name(measured_by or operator),
                    "acquired_at": acquired_at,
                    "location": stated_place(location),
                    "unit": one_spaced(unit or "") or None,
                },
                operator=operator,
            )

    def load_spectrum(self, measurement: Mapping[str, Any]) -> Any:
        """The raw spectrum of a measurement record, checked against its SHA-256."""
        data = self.get_blob(measurement["raw_sha256"])
        return Spectrum.from_dict(json.loads(data))

    def add_result(
        self,
        measurement: Mapping[str, Any],
        identification: Mapping[str, Any],
        *,
        operator: str,
    ) -> dict[str, Any]:
        """Record an identification (``Identification.to_dict()``) of a stored measurement.

        Its ``advice`` (what the technician can do about its warnings) is for their screen: it
        is not recorded, and so no report states it. The warnings, the facts, are.
        """
        identification = {k: v for k, v in identification.items() if k != "advice"}
        verdict = identification.get("verdict")
        if verdict not in ("identified", "inconclusive", "no_match"):
            raise CustodyError(
                f"identification verdict {verdict!r}: expected identified, inconclusive or no_match"
            )
        hits = identification.get("hits") or []
        return self.append(
            "results",
            {
                "case_number": measurement["case_number"],
                "item_number": measurement["item_number"],
                "measurement_hash": measurement["hash"],
                "verdict": verdict,
                "best_name": hits[0].get("name") if hits else None,
                "identification_json": chain.canonical_text(dict(identification)),
                "library_version": identification.get("library_version"),
                "pipeline_json": chain.canonical_text(identification.get("pipeline") or []),
                "operator": check_operator_name(operator),
            },
            operator=operator,
        )


def stated_description(description: str | None) -> str | None:
    """A label's description as it is stated to a reader: :data:`NOT_DESCRIBED` for what
    older scans recorded in its place (an instruction to the technician), else as recorded.

    Parameters
    ----------
    description : str or None
        The label's description as recorded.

    Returns
    -------
    str or None
    """
    return NOT_DESCRIBED if description in _NOT_DESCRIBED_BEFORE else description


def stated_yes_no(value: object) -> str:
    """A yes-or-no field of a record (``seal_intact``: 1, 0, or NULL when it was not stated) as
    it is stated to a reader, in a report's corrections and in the custody log.

    Parameters
    ----------
    value : object
        The field as recorded (or as a report's content holds it: True, False or None).

    Returns
    -------
    str
        ``"yes"``, ``"no"`` or ``"not stated"``.
    """
    return "not stated" if value is None else ("yes" if value else "no")


def as_label(value: str) -> str:
    """A case or exhibit number as recorded: without the spaces a paste leaves around it.

    Parameters
    ----------
    value : str
        The number as given; anything not a str is returned as it is.

    Returns
    -------
    str
    """
    return value.strip() if isinstance(value, str) else value


_UNSEEN_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})
"""Unicode categories of characters a label may not hold: controls, format characters
(zero-width spaces and joiners, the right-to-left override that shows "2026-\u202e2140" as
"2026-0412"), private-use, surrogate and unassigned code points, line and paragraph
separators. None is seen as what it is, so a number holding one reads as another number."""


def _refuse_option_like(value: str, what: str) -> None:
    """Refuse a new case or exhibit number that begins with ``-``: on a command line (the
    technician's, or one a message prints to paste) it reads as an option. Numbers recorded
    before the rule are still found and used."""
    if value.startswith("-"):
        raise CustodyError(
            f"{what} {value!r} begins with '-', which a command line reads as an option (every "
            "command that names it would fail); write it without the leading '-'"
        )


def _printed_like(asked: str, known: list[str], what: str) -> str:
    """What to add where a number asked for is not in the store but a recorded one prints
    exactly like it in other letters (:func:`~forensic.naming.read_as_latin`), naming the
    letters: the message would otherwise list, as another number, one that reads the same."""
    printed = read_as_latin(asked)
    for number in known:
        if number != asked and read_as_latin(number) == printed:
            said = lookalike_notes(
                (asked, f"the {what} number given"), (number, f"the recorded {what} number")
            )
            if said:
                return f"; {what} {number!r} prints like it in other letters ({said})"
    return ""


def _refuse_lookalike(
    value: str, what: str, recorded: list[str], *, mixed_scripts: bool = False
) -> None:
    """Refuse a new case or exhibit number that holds letters of another script that print
    like Latin letters or digits (:func:`~forensic.naming.latin_lookalikes`) where:

    - it prints exactly like a number recorded in other letters (Latin "3AK-1" and Cyrillic
      "ЗАК-1"): no reader of a report or a label can tell the two apart, nor type either back
      from paper, so there is no number to open on purpose beside the other;
    - it mixes scripts (:func:`~forensic.naming.mixes_scripts`: "DEMО-1" with a Cyrillic О),
      almost always a keyboard set to another layout for a letter, unless ``mixed_scripts``
      confirms that the label writes it so. A number whole in its own script ("ЗАК-1") is
      a unit's own, and recorded (the command that records it says how it prints).

    Numbers recorded before the rule are still found and used."""
    printed = read_as_latin(value)
    alike = [
        number
        for number in recorded
        if read_as_latin(number) == printed
        and (latin_lookalikes(value) or latin_lookalikes(number))  # not a full-width twin
    ]
    if alike:
        said = lookalike_notes((value, what), (alike[0], "the recorded one"))
        raise CustodyError(
            f"{what} {value!r} prints exactly like {alike[0]!r}, recorded in other letters "
            f"({said}): no reader could tell the two apart on paper; name the recorded one "
            "with its own letters (copy it from a record), or give this one a number that "
            "reads otherwise"
        )
    if mixes_scripts(value) and not mixed_scripts:
        raise CustodyError(
            f"{lookalike_note(value, what)}; type it again in one script, or, if the label "
            "writes it so, confirm it (--mixed-scripts)"
        )


def _check_label(value: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CustodyError(f"{what} is empty")
    value = value.strip()
    if len(value) > 100:
        raise CustodyError(f"{what} {value!r}: at most 100 characters")
    unseen = [ch for ch in value if unicodedata.category(ch) in _UNSEEN_CATEGORIES]
    if unseen:
        names = ", ".join(
            f"U+{ord(ch):04X}" + (f" ({unicodedata.name(ch)})" if unicodedata.name(ch, "") else "")
            for ch in dict.fromkeys(unseen)
        )
        raise CustodyError(
            f"{what} {value!r} holds {names}: a character that is not seen as what it is (a "
            "control, an invisible or a direction character), so the number would read as "
            "another one; type it again"
        )
    return value


def case_typed_with_a_slip(store: Store, case_number: str) -> tuple[str, str] | None:
    """A case the store holds whose number ``case_number`` would be typed with one slip of
    the hand (:func:`~forensic.naming.typing_slip`: two neighbouring characters swapped, one
    left out or one added), when the store does not hold ``case_number`` itself.

    A case opened under such a number would file the evidence under a second case for good
    (``2026-0421`` for ``2026-0412``); a number that differs in one character typed for
    another is no slip here (consecutive case numbers differ so).

    Parameters
    ----------
    store : Store
        The store.
    case_number : str
        The case number given.

    Returns
    -------
    (str, str) or None
        The recorded case number (the latest opened, if several) and how the one given
        differs from it (``"'21' typed for '12'"``); None when the store holds the case, or
        no case a slip away.
    """
    case_number = as_label(case_number)
    if store.get_case(case_number) is not None:
        return None
    found = None
    for row in store.current("cases"):
        slip = typing_slip(case_number, row["case_number"])
        if slip is not None:
            found = (row["case_number"], slip)
    return found


def refuse_seal_of_another(
    store: Store,
    seal_number: str | None,
    case_number: str,
    item_number: str,
    *,
    ending: str = ". Nothing was recorded",
) -> None:
    """Refuse a seal stated for an exhibit (``--seal``) that the store records as the seal
    of another exhibit, of this case or another (:meth:`Store.seal_records`).

    A seal closes one package, and a broken seal is replaced by a new one with a number of
    its own: a seal number never passes from one exhibit to another. A seal recorded for
    another exhibit is a mistyped case or exhibit number (evidence about to be filed under
    the wrong one), or a mistyped seal number. The exhibit's own seals, the one it carries
    and those it carried before a re-sealing, are its own: a scan that states an earlier one
    is warned of as stating another seal than the last recorded, not refused here.

    Parameters
    ----------
    store : Store
        The store.
    seal_number : str or None
        The seal stated; None or blank states none, and nothing is refused.
    case_number, item_number : str
        The exhibit it is stated for.
    ending : str
        How the message ends (what was recorded).

    Raises
    ------
    CustodyError
        Naming the seal, the exhibit and case it is recorded for and the record, and what
        to check.
    """
    if not seal_number or not seal_number.strip():
        return
    from forensic.custody.continuity import in_time_order  # noqa: PLC0415  (it imports this)

    case_number, item_number = as_label(case_number), as_label(item_number)
    others = [
        (table, row)
        for table, row in store.seal_records(seal_number)
        if (row["case_number"], row["item_number"]) != (case_number, item_number)
    ]
    if not others:
        return
    table, row = others[-1]
    case, item = row["case_number"], row["item_number"]
    exhibit = store.get_exhibit(case, item)
    sealed = [e for e in in_time_order(store.custody_events(case, item)) if e["seal_number"]]
    carries = sealed[-1]["seal_number"] if sealed else (exhibit or {}).get("seal_number")
    now = statement_key(read_as_latin(carries or "")) == statement_key(read_as_latin(seal_number))
    record = "label record" if table == "exhibits" else "custody record"
    said = "is the seal" if now else "was the seal (before it was re-sealed)"
    raise CustodyError(
        f"seal {seal_number.strip()!r} {said} of exhibit {item} of case {case} ({record} "
        f"#{row['seq']}, {row['seal_number']!r}), not of exhibit {item_number} of case "
        f"{case_number}: a seal closes one package, and a seal number never passes to another "
        f"exhibit. Check the case and exhibit numbers given (is this exhibit {item} of case "
        f"{case}?); if the seal number was mistyped, give the right one{ending}"
    )
