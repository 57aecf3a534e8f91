"""Measured spectra the evidence store could not record, kept in files until it can.

A scan acquires a spectrum and then saves it in the store. When the store cannot take it
(another process keeps it locked, the disk is full, the store is gone, the scan is stopped
while saving), the laser has fired and the sample may be used up: the spectrum is evidence
and must not be lost. :func:`keep_unrecorded` writes it, with what the measurement record
would have said, to a file in a folder beside the store (``unrecorded-spectra/``), else in
the user data folder, else in the temporary folder; :func:`record_unrecorded` records it
later as the exhibit's measurement, saying it was recorded late and from which file. A
spectrum ``forensic acquire`` measured but could not write where it was asked (its ``--out``
on a full disk) is kept the same way, in the same folders but the store's, as the file it was
to write (:func:`keep_unwritten`).

The file (JSON, ``format`` :data:`FORMAT`) holds the spectrum as the store keeps raw spectra
(``Spectrum.to_dict()``, whose canonical JSON has the SHA-256 ``raw_sha256``), so the record
made from it holds the bytes a scan would have stored.

The spectrum's hash only shows the file is consistent: anyone could write such a file, or edit
one and fix its hash. So the scan signs the file's *statement* (:func:`statement`: the fields
named in :data:`SIGNED_FIELDS`, which hold ``raw_sha256`` and so the spectrum) with the key its
records are signed with, and the file carries the public key and the signature
(``signature``). A scan that cannot load the key keeps the file unsigned, saying why
(``unsigned_because``): the spectrum is never lost for want of a signature.
:func:`record_unrecorded` refuses a file whose signature does not hold, and one that is unsigned
or signed with a key the store does not know as the operator's unless told to accept it; the
record says which (``recorded_late["signature"]``), and so does a report.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from forensic.custody import chain
from forensic.custody.keys import OperatorKey, check_operator_name, fingerprint, verify_signature
from forensic.custody.store import (
    RAW_SPECTRUM_MEDIA_TYPE,
    Store,
    as_label,
    raw_sha256,
    raw_spectrum_bytes,
    utc_now,
)
from forensic.errors import (
    CustodyError,
    ForensicError,
    FormatError,
    SpectrumError,
    holding_signals,
)
from forensic.spectrum import Spectrum

__all__ = [
    "FOLDER_NAME",
    "FORMAT",
    "KEY_NOT_IN_STORE",
    "NOT_OPERATOR_KEY",
    "SIGNED_FIELDS",
    "SIGNED_WHEN_STATED",
    "UNSIGNED",
    "VERIFIED",
    "LateRecord",
    "UnrecordedMeasurement",
    "keep_unrecorded",
    "keep_unwritten",
    "kept_folders",
    "last_resort_folder",
    "read_unrecorded",
    "record_unrecorded",
    "signature_finding",
    "statement",
    "temporary_note",
]

FORMAT = "forensic-unrecorded-measurement/1"
FOLDER_NAME = "unrecorded-spectra"
"""The folder, beside the store's ``forensic.db``, that holds the spectra it could not record."""

SIGNED_FIELDS = (
    "case_number",
    "item_number",
    "operator",
    "acquired_at",
    "saved_at",
    "why_not_recorded",
    "store_chain_id",
    "instrument_url",
    "instrument",
    "raw_format",
    "raw_sha256",
)
"""The fields of a kept file its signature covers: everything its record is to state (the
spectrum through ``raw_sha256``)."""

SIGNED_WHEN_STATED = ("location", "unit")
"""Fields of a kept file its signature covers when the file states them (where the spectrum
was acquired, and by which unit): files kept before they were kept state neither, and their
signatures hold as they were made."""

_UNSIGNED_OLD = "kept by a version of forensic that did not sign the files it kept"

# recorded_late["signature"]["status"]: what the signature of the file shows about who kept it
VERIFIED = "verified"  # valid, with a key the store knows as the operator's
KEY_NOT_IN_STORE = "key-not-in-store"  # valid, but the operator has no key in the store
NOT_OPERATOR_KEY = "not-operator-key"  # valid, with a key the store knows as not theirs
UNSIGNED = "unsigned"


def signature_finding(signature: Mapping[str, Any] | None, measured_by: str) -> str:
    """What the signature of the file a spectrum was kept in shows of who kept it, and so of
    who measured the spectrum and when, in the words a report states it (and the screen too).

    The words are those of the reports already issued (they are in their signed content):
    change them only with a new report layout, and only for it.

    Parameters
    ----------
    signature : mapping or None
        The measurement record's ``recorded_late["signature"]`` (:func:`record_unrecorded`):
        its ``status`` (:data:`VERIFIED`, :data:`KEY_NOT_IN_STORE`, :data:`NOT_OPERATOR_KEY`
        or :data:`UNSIGNED`), ``key_fingerprint``, ``accepted_by`` and ``unsigned_because``.
        None (or anything not a mapping) for a spectrum recorded before kept files were
        signed.
    measured_by : str
        Who the file says measured the spectrum.

    Returns
    -------
    str
        One or two sentences, each ending with a full stop (the key by the first 16 digits of
        its fingerprint).
    """
    if not isinstance(signature, Mapping):  # recorded before kept files were signed
        return "Who kept the file was not verified: it was recorded before such files were signed."
    key = str(signature.get("key_fingerprint") or "")[:16]
    accepted = signature.get("accepted_by")
    unverified = (
        "who kept the file, and so who measured the spectrum and when, is not verified; "
        f"{accepted} recorded it nonetheless."
    )
    status = signature.get("status")
    if status == VERIFIED:
        return (
            f"The file's signature was verified: it was signed with the key of {measured_by} "
            f"known to the evidence store (fingerprint {key})."
        )
    if status == KEY_NOT_IN_STORE:
        return (
            f"The file's signature is valid, but its key (fingerprint {key}) was not known to "
            f"the evidence store, in which {measured_by} had signed nothing: that the file was "
            f"kept by {measured_by} is not verified."
        )
    if status == NOT_OPERATOR_KEY:
        return (
            f"The file was signed with a key (fingerprint {key}) that is not {measured_by}'s "
            f"key as the evidence store knows it: {unverified}"
        )
    why = signature.get("unsigned_because")
    return "The file was not signed" + (f" ({why})" if why else "") + f": {unverified}"


def statement(document: Mapping[str, Any]) -> bytes:
    """The bytes a kept file's signature signs: canonical JSON of its format and its
    :data:`SIGNED_FIELDS` (a field absent is signed as null), and those of
    :data:`SIGNED_WHEN_STATED` it states.

    Parameters
    ----------
    document : mapping
        The file's content (or the content about to be written).

    Returns
    -------
    bytes
    """
    stated = {k: document[k] for k in SIGNED_WHEN_STATED if document.get(k) is not None}
    return chain.canonical_json(
        {"format": FORMAT, **{k: document.get(k) for k in SIGNED_FIELDS}, **stated}
    )


@dataclass(frozen=True)
class UnrecordedMeasurement:
    """A spectrum kept in a file: what its measurement record is to say, and the file.

    ``document`` is the file's content; ``file_sha256`` the SHA-256 of the file as read;
    ``key_fingerprint`` that of the key whose signature of its statement was verified (None
    when the file is unsigned, and ``unsigned_because`` then says why).

    Attributes
    ----------
    path : Path
        The file.
    document : dict
        Its content.
    spectrum : Spectrum
        The spectrum it keeps.
    file_sha256 : str
        SHA-256 of the file as read (hex).
    key_fingerprint : str or None
        The fingerprint of the key whose signature was verified; None when unsigned.
    unsigned_because : str or None
        Why the file is unsigned; None when it is signed.
    """

    path: Path
    document: dict[str, Any]
    spectrum: Spectrum
    file_sha256: str
    key_fingerprint: str | None = None
    unsigned_because: str | None = None

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
    before) and whether this call made it.

    Attributes
    ----------
    measurement : dict
        The measurement record.
    unrecorded : UnrecordedMeasurement
        The file it was recorded from.
    recorded : bool
        Whether this call made the record.
    signature : dict or None
        What the file's signature showed.
    """

    measurement: dict[str, Any]
    unrecorded: UnrecordedMeasurement
    recorded: bool
    signature: dict[str, Any] | None = None
    """What the file's signature showed (``recorded_late["signature"]``); None when nothing
    was recorded."""


def _safe(label: str) -> str:
    """A case or exhibit number as part of a file name (no separators, no spaces)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", label).strip("-.")[:40] or "x"


def kept_folders(store_path: str | os.PathLike | None) -> list[Path]:
    """Where to keep a spectrum the store at ``store_path`` (its database file) could not
    record, first choice first: beside the store (copied with it), the user data folder
    (another disk, perhaps), the temporary folder (the last resort).

    Parameters
    ----------
    store_path : str or os.PathLike or None
        The store's database file (``forensic.db``); None for a spectrum measured for no
        store (``forensic acquire``'s, :func:`keep_unwritten`), kept in the other two.

    Returns
    -------
    list of Path
        The :data:`FOLDER_NAME` folder beside the store, the one in the user data folder and
        :func:`last_resort_folder`, without repeats; none is created here.
    """
    folders = [
        *([Path(store_path).parent / FOLDER_NAME] if store_path is not None else []),
        Path(platformdirs.user_data_dir("forensic")) / FOLDER_NAME,
        last_resort_folder(),
    ]
    return list(dict.fromkeys(folders))


def last_resort_folder() -> Path:
    """The folder a spectrum is kept in when neither the store's nor the user data folder can
    take it: in the temporary folder, which may be in memory and emptied at a restart.

    Returns
    -------
    Path
        ``forensic-<FOLDER_NAME>`` in the temporary folder (not created here).
    """
    return Path(tempfile.gettempdir()) / f"forensic-{FOLDER_NAME}"


def temporary_note(path: str | os.PathLike) -> str:
    """What a message adds where it names a file a spectrum is kept in, when that file is in
    the last resort folder (:func:`last_resort_folder`): the temporary folder may be in
    memory, and emptied at the next restart.

    Parameters
    ----------
    path : str or os.PathLike
        The file the spectrum is kept in.

    Returns
    -------
    str
        ``", in the temporary folder, which a restart may empty (copy the file to safe
        storage now)"``; empty for a file in any other folder.
    """
    if Path(path).parent != last_resort_folder():
        return ""
    return (
        ", in the temporary folder, which a restart may empty (copy the file to safe storage now)"
    )


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
    location: str | None = None,
    unit: str | None = None,
    chain_id: str | None = None,
    key: OperatorKey | None = None,
    unsigned_because: str | None = None,
) -> tuple[Path | None, str, list[str], str | None]:
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
    instrument_url, instrument, location, unit : optional
        As for :meth:`Store.add_measurement` (the file states a location or unit only when
        given one, and its signature then covers it).
    chain_id : str, optional
        The chain of the store it was measured for.
    key : OperatorKey, optional
        The operator's key, the one the scan's records are signed with: it signs the file's
        :func:`statement`. Without it (or if signing fails) the file is kept unsigned, and
        says why: ``unsigned_because``, else that no key was given.
    unsigned_because : str, optional
        Why there is no key (it could not be loaded), for the file to say; unused when
        ``key`` is given.

    Returns
    -------
    (path or None, raw_sha256, failures, unsigned_because)
        The file written (None if no folder could take it), the SHA-256 of the spectrum as
        the store keeps it, why each folder tried before (or instead) failed, and why the
        file is not signed (None when it is).
    """
    raw = raw_spectrum_bytes(spectrum)
    raw_digest = chain.sha256_hex(raw)
    acquired_at = str(spectrum.metadata.get("acquired_at") or utc_now())
    document = {
        "format": FORMAT,
        "note": (
            "A spectrum 'forensic scan' measured but could not record in the evidence store. "
            "Record it as the exhibit's measurement with 'forensic exhibit record-spectrum "
            "THIS-FILE --store STORE'; do not change this file (its SHA-256 is recorded, and "
            "its signature checked)."
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
        "raw_sha256": raw_digest,
        **{k: v for k, v in (("location", location), ("unit", unit)) if v is not None},
        "spectrum": json.loads(raw),
    }
    document.update(_signed(document, key, unsigned_because))
    unsigned_because = document.get("unsigned_because")
    data = (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode()
    stamp = re.sub(r"[^0-9T]", "", acquired_at[:19]) or "undated"  # to the second
    name = f"{_safe(case_number)}_{_safe(item_number)}_{stamp}_{raw_digest[:12]}.json"
    # kept already: a scan stopped twice
    path, failures = _keep_in_first_folder(
        kept_folders(store_path), name, data, lambda there: _kept_there(there, raw_digest)
    )
    return path, raw_digest, failures, unsigned_because


def keep_unwritten(
    data: bytes, wanted: str | os.PathLike, *, acquired_at: str | None = None
) -> tuple[Path | None, list[str]]:
    """Keep the file a measured spectrum was to be written as, when it could not be written
    where it was wanted (``forensic acquire --out`` on a full disk), as a spectrum the store
    could not record is kept: in the same folders (:func:`kept_folders`, no store's), whole
    or not at all, a second Ctrl-C held meanwhile.

    The laser has fired and the sample may be used up: the spectrum must not be lost for
    want of room where it was to go.

    Parameters
    ----------
    data : bytes
        The file's whole content, as it was to be written.
    wanted : str or os.PathLike
        Where it was to be written: the kept file is named after it, with the time of
        acquisition and the first 12 hex digits of the content's SHA-256
        (``A1_20261124T100200_1e81b972ab12.jdx``).
    acquired_at : str, optional
        When the spectrum was acquired (ISO 8601, UTC); default now.

    Returns
    -------
    (path or None, failures)
        The file written (the same content kept there before: that file), None if no folder
        could take it; and why each folder tried before (or instead) failed.
    """
    wanted = Path(wanted)
    stamp = re.sub(r"[^0-9T]", "", str(acquired_at or utc_now())[:19]) or "undated"
    digest = chain.sha256_hex(data)
    name = f"{_safe(wanted.stem)}_{stamp}_{digest[:12]}{wanted.suffix}"
    return _keep_in_first_folder(
        kept_folders(None), name, data, lambda there: there.read_bytes() == data
    )


def _keep_in_first_folder(
    folders: list[Path], name: str, data: bytes, kept_already: Callable[[Path], bool]
) -> tuple[Path | None, list[str]]:
    """Write ``data`` as ``name`` in the first of ``folders`` that takes it, whole or not at
    all, a second Ctrl-C held meanwhile; a folder the write created is removed again when the
    write fails. A file there already that ``kept_already`` says holds it is the one kept.
    Returns the file (None when no folder took it) and why each folder failed."""
    from forensic.files import atomic_write_bytes  # noqa: PLC0415  (files are an edge)

    failures = []
    for folder in folders:
        path = folder / name
        made = _first_missing(folder)
        try:
            with holding_signals():
                if path.is_file() and kept_already(path):
                    return path, failures
                return atomic_write_bytes(path, data), failures
        except (ForensicError, OSError) as exc:
            failures.append(f"{folder}: {exc}")
            _remove_empty(folder, made)
    return None, failures


def _first_missing(folder: Path) -> Path | None:
    """The outermost of ``folder`` and its parents that does not exist yet (None if it does):
    what writing a file in it creates."""
    missing = None
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            break
        missing = candidate
    return missing


def _remove_empty(folder: Path, made: Path | None) -> None:
    """Remove the folders a failed write created, up to ``made``, where they are empty: an
    empty ``unrecorded-spectra/`` left beside a full store reads as a spectrum kept there."""
    if made is None:
        return
    for candidate in (folder, *folder.parents):
        try:
            candidate.rmdir()  # only if empty: never a file another scan kept meanwhile
        except OSError:
            return
        if candidate == made:
            return


def _signed(
    document: Mapping[str, Any], key: OperatorKey | None, unsigned_because: str | None
) -> dict[str, Any]:
    """The ``signature`` of a file about to be kept, or why it has none."""
    if key is None:
        return {"signature": None, "unsigned_because": unsigned_because or "no signing key given"}
    try:
        value = key.sign(statement(document))
    except Exception as exc:  # whatever it is, the spectrum is kept, signed or not
        return {"signature": None, "unsigned_because": f"signing failed: {exc}"}
    return {
        "signature": {
            "algorithm": "Ed25519",
            "signs": (
                "canonical JSON (keys sorted, compact, UTF-8) of 'format' and the fields "
                + ", ".join(SIGNED_FIELDS)
            ),
            "signer": key.operator,
            "public_key": key.public_key_hex,
            "key_fingerprint": key.fingerprint,
            "value": value,
        }
    }


def _kept_there(path: Path, raw_sha256: str) -> bool:
    try:
        return read_unrecorded(path).raw_sha256 == raw_sha256
    except ForensicError:
        return False


def read_unrecorded(path: str | os.PathLike) -> UnrecordedMeasurement:
    """Read, and check, a file :func:`keep_unrecorded` wrote.

    Parameters
    ----------
    path : str or path-like
        The file.

    Returns
    -------
    UnrecordedMeasurement
        Its content, spectrum and signature, checked.

    Raises
    ------
    FormatError
        Not such a file, or its spectrum unreadable.
    CustodyError
        Its spectrum does not have the SHA-256 the file states, or its signature does not
        hold for what it states (it was changed).
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
    for key in SIGNED_WHEN_STATED:
        if document.get(key) is not None and not isinstance(document[key], str):
            raise FormatError(f"its {key} {document[key]!r} is not text", path=path)
    try:
        spectrum = Spectrum.from_dict(document["spectrum"])
    except (SpectrumError, KeyError, TypeError, ValueError) as exc:
        raise FormatError(f"its spectrum cannot be read: {exc}", path=path) from None
    found = raw_sha256(spectrum)
    if found != document["raw_sha256"]:
        raise CustodyError(
            f"{path}: its spectrum has SHA-256 {found}, not the {document['raw_sha256']} it "
            "was kept with: the file was changed since the scan wrote it; not recorded"
        )
    key_fingerprint, unsigned_because = _check_signature(path, document)
    return UnrecordedMeasurement(
        path, document, spectrum, chain.sha256_hex(data), key_fingerprint, unsigned_because
    )


def _check_signature(path: Path, document: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """``(key fingerprint, None)`` of a file whose signature holds, ``(None, why)`` of an
    unsigned one; a signature that does not hold is refused."""
    signature = document.get("signature")
    if signature is None:
        why = document.get("unsigned_because")
        return None, why if isinstance(why, str) and why else _UNSIGNED_OLD
    public_key = signature.get("public_key") if isinstance(signature, dict) else None
    value = signature.get("value") if isinstance(signature, dict) else None
    if not (
        isinstance(public_key, str)
        and re.fullmatch(r"[0-9a-f]{64}", public_key)
        and isinstance(value, str)
        and re.fullmatch(r"[0-9a-f]{128}", value)
    ):
        raise FormatError(
            "its signature is incomplete: expected a 'public_key' of 64 and a 'value' of 128 "
            "lower-case hex digits",
            path=path,
        )
    found = fingerprint(public_key)
    stated = signature.get("key_fingerprint")
    try:
        holds = stated in (None, found) and verify_signature(public_key, value, statement(document))
    except CustodyError:  # a value canonical JSON cannot hold (NaN): not what was signed
        holds = False
    if not holds:
        raise CustodyError(
            f"{path}: its signature (key {found[:16]}) does not hold for what the file states: "
            "the file was changed since the scan wrote and signed it; not recorded"
        )
    return found, None


def record_unrecorded(
    store: Store, path: str | os.PathLike, *, operator: str, accept_unverified: bool = False
) -> LateRecord:
    """Record a spectrum kept in a file as the measurement of its exhibit, late, honestly.

    The measurement record holds the spectrum's bytes (the SHA-256 the scan computed), who
    measured it and when, as the scan would have recorded them; its signer is ``operator``,
    its time of recording now, and its instrument details say it was recorded late:
    ``recorded_late`` names the file, its SHA-256, when it was written, why the store did
    not record the spectrum then, and what the file's signature showed (``signature``: its
    ``status``, :data:`VERIFIED`, :data:`KEY_NOT_IN_STORE`, :data:`NOT_OPERATOR_KEY` or
    :data:`UNSIGNED`, and the key's fingerprint). A report lists such a measurement among its
    limitations, saying whether the signature was verified.

    Parameters
    ----------
    store : Store
        The evidence store that holds the exhibit.
    path : str or path-like
        The file :func:`keep_unrecorded` wrote.
    operator : str
        Who records it: signs the measurement record (the file's ``operator`` stays the
        one who measured).
    accept_unverified : bool
        Record a file whose keeper cannot be verified: unsigned, or signed with a key the
        store knows, but not as the operator's. Its record says so, and who accepted it.
        Without it such a file is refused. A file signed with a key the store does not know
        at all (the operator has signed nothing in it) is recorded, saying so.

    Returns
    -------
    LateRecord
        With ``recorded`` false, and the earlier record, when the store already holds this
        acquisition of the exhibit (the same bytes acquired at the same time: recorded from
        the file before, or by the scan after all): nothing is recorded twice.

    Raises
    ------
    FormatError, CustodyError
        As :func:`read_unrecorded`; the exhibit is not in this store; or the file is unsigned
        or signed with another's key, and ``accept_unverified`` is false.
    """
    kept = read_unrecorded(path)
    document = kept.document
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
        signature = _judge_signature(store, kept)
        if signature["status"] in (UNSIGNED, NOT_OPERATOR_KEY):
            if not accept_unverified:
                raise CustodyError(f"{kept.path}: {_unverified(kept, signature)}")
            signature["accepted_by"] = check_operator_name(operator)
        late = {
            "file": kept.path.name,
            "file_sha256": kept.file_sha256,
            "saved_at": document.get("saved_at"),
            "why_not_recorded": document.get("why_not_recorded"),
            "store_chain_id": document.get("store_chain_id"),
            "signature": signature,
        }
        measurement = store.add_measurement(
            kept.case_number,
            kept.item_number,
            kept.spectrum,
            operator=operator,
            measured_by=document["operator"],
            acquired_at=document["acquired_at"],
            instrument_url=document.get("instrument_url"),
            instrument={**dict(document.get("instrument") or {}), "recorded_late": late},
            location=document.get("location"),
            unit=document.get("unit"),
        )
    return LateRecord(measurement, kept, recorded=True, signature=signature)


def _judge_signature(store: Store, kept: UnrecordedMeasurement) -> dict[str, Any]:
    """What the file's signature shows about who kept it, judged on the keys the store
    holds: ``recorded_late["signature"]``."""
    if kept.key_fingerprint is None:
        return {
            "status": UNSIGNED,
            "key_fingerprint": None,
            "unsigned_because": kept.unsigned_because,
        }
    measured_by = check_operator_name(kept.document["operator"])
    known = store.operator_fingerprints()
    owners = sorted(name for name, prints in known.items() if kept.key_fingerprint in prints)
    judged: dict[str, Any] = {"key_fingerprint": kept.key_fingerprint}
    if measured_by in owners:
        return {"status": VERIFIED, **judged}
    if owners or measured_by in known:
        return {
            "status": NOT_OPERATOR_KEY,
            **judged,
            "key_of": owners,  # whose the store knows it to be (none: a key it does not know)
            "operator_key_fingerprints": sorted(known.get(measured_by, ())),
        }
    return {"status": KEY_NOT_IN_STORE, **judged}


def _unverified(kept: UnrecordedMeasurement, signature: Mapping[str, Any]) -> str:
    """Why a file whose keeper cannot be verified is refused, and how to record it anyway."""
    measured_by = kept.document["operator"]
    if signature["status"] == UNSIGNED:
        why = f"it is not signed ({signature['unsigned_because']})"
    else:
        owners = signature["key_of"]
        whose = f"the key of {' and '.join(owners)}" if owners else "a key the store does not know"
        theirs = ", ".join(f[:16] for f in signature["operator_key_fingerprints"])
        why = (
            f"it is signed with {whose} (fingerprint {kept.key_fingerprint[:16]}), not with "
            f"a key of {measured_by}, who it says measured the spectrum"
            + (
                f", as the store knows them (fingerprint {theirs})"
                if theirs
                else " and who has signed nothing in the store"
            )
        )
    return (
        f"{why}: who kept the file, and so who measured the spectrum and when, cannot be "
        "verified; not recorded. If you know the file is the one the scan kept, "
        "--accept-unverified records it, saying so in its record and in reports"
    )
