"""The signed approval of a published library version: what ``forensic library publish``
signs with the approver's key, and what every command checks before it calls a library
published.

``publish --approved-by NAME`` signs the release record (the version, a digest of its
entries, the waivers let pass, the date, the approver, the library's name and the version
before it) with NAME's Ed25519 key on this computer, the key operators sign custody records
with (:func:`forensic.custody.keys.load_or_create_key`: made on first use in
``<config>/keys``). The record keeps the public key and the signature
(:func:`sign_release`), in ``release.json`` and in the ``.flib`` that ``publish --out``
writes (:func:`approval_record`, the record without its entries). A version is shown as
published only when that signature verifies over what the record says, the key signed as the
approver named, and (where the config folder has a :data:`TRUSTED_APPROVERS_FILE`) the key is
listed there (:func:`check_approval`); whether the references are that version is the
caller's to compare (:attr:`Approval.version`).

A key anyone can make proves only that its holder signed: the key's fingerprint is printed
wherever the approval is shown, for a reader to check with the approver, and the list of
trusted approvers makes a computer refuse every other key.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from forensic.arguments import argument
from forensic.custody.keys import (
    OperatorKey,
    check_operator_name,
    config_dir,
    fingerprint,
    operator_name,
    verify_signature,
)
from forensic.custody.statements import statement_key
from forensic.errors import ForensicError, LibraryError

__all__ = [
    "APPROVAL_STATES",
    "SIGNED_FIELDS",
    "TRUSTED_APPROVERS_FILE",
    "Approval",
    "TrustedApprovers",
    "approval_record",
    "approver_name",
    "check_approval",
    "entries_digest",
    "key_words",
    "sign_release",
    "signed_message",
    "trusted_approvers",
]

STATEMENT = "forensic library approval/1"
"""What a signature of a release record is a signature of: the first line of the bytes signed
(:func:`signed_message`), so that no other signed text of the toolkit (a custody record, a
report) can be taken for an approval."""

SIGNED_FIELDS = (
    "version",
    "hash_scheme",
    "entries_sha256",
    "waivers",
    "published_at",
    "approved_by",
    "name",
    "previous_version",
)
"""What an approver signs of a release record: the version (with the hash rule it is computed
by), the SHA-256 of the record's entries (:func:`entries_digest`: every reference's metadata,
its spectrum's digest, who added it and when), the waivers let pass, the date published, the
approver's name, the library's name in results and reports, and the version published before
it."""

TRUSTED_APPROVERS_FILE = "trusted-approvers.txt"
"""The list of approvers whose keys this computer accepts, in the config folder
(:func:`forensic.custody.keys.config_dir`): one key fingerprint a line (the 64 hex digits
``library publish`` and ``library info`` print), the approver's name after it if wished, ``#``
comment lines. Where the file exists, an approval by a key it does not list (or lists under
another name) is not shown as published. Without it, any key whose signature verifies is
accepted and its fingerprint printed."""

APPROVAL_STATES = ("none", "unsigned", "not_verified", "untrusted", "signed")
"""What :func:`check_approval` can say of a release record: ``none`` (no approver: the record
an export writes), ``unsigned`` (an approver but no signature: written by a toolkit before
approvals were signed), ``not_verified`` (the signature does not verify, or was made by
another key or name than it says), ``untrusted`` (it verifies, by a key the list of trusted
approvers does not hold for that name) and ``signed``."""

_HEX64 = re.compile(r"[0-9a-f]{64}")


def approver_name(name: str | None) -> str:
    """An approver's name as it is signed: one-spaced, and refused where it names no one.

    Parameters
    ----------
    name : str or None
        The name given (``--approved-by``).

    Returns
    -------
    str
        The name, its spacing normalised (:func:`forensic.custody.keys.operator_name`).

    Raises
    ------
    LibraryError
        When it is missing or blank, too long, holds control characters, or holds no letter
        or digit (``-``, ``?``, ``...``: a placeholder, not a person).
    """
    if not isinstance(name, str) or not name.strip():
        raise LibraryError(
            f"publishing needs {argument('approved_by', as_typed='NAME')}: who approved this "
            "version"
        )
    try:
        name = check_operator_name(operator_name(name), argument("approved_by", ...))
    except ForensicError as exc:
        raise LibraryError(str(exc)) from None
    if not any(ch.isalnum() for ch in name):
        raise LibraryError(
            f"{argument('approved_by', name)} holds no letter or digit: give the name of the "
            "person who approved this version"
        )
    return name


def entries_digest(entries: Mapping[str, Any]) -> str:
    """SHA-256 of a release record's entries, as the approver signs them.

    Parameters
    ----------
    entries : mapping
        The record's ``entries`` (:func:`forensic.curation.snapshot`: each reference by id).

    Returns
    -------
    str
        64 hex digits, of their canonical JSON (keys sorted, no spaces, UTF-8).
    """
    return hashlib.sha256(_canonical(entries)).hexdigest()


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _signed_fields(record: Mapping[str, Any]) -> dict[str, Any]:
    """The fields an approver signs, from a release record (its entries digested) or an
    approval record (the digest kept)."""
    fields = {key: record.get(key) for key in SIGNED_FIELDS}
    if isinstance(record.get("entries"), Mapping):  # a release.json: from the entries it holds
        fields["entries_sha256"] = entries_digest(record["entries"])
    return fields


def signed_message(record: Mapping[str, Any]) -> bytes:
    """The bytes an approver's key signs for a release record.

    Parameters
    ----------
    record : mapping
        A release record (``release.json``, with its ``entries``) or an approval record
        (:func:`approval_record`, with ``entries_sha256``).

    Returns
    -------
    bytes
        :data:`STATEMENT`, a newline, and the canonical JSON of :data:`SIGNED_FIELDS`.
    """
    return STATEMENT.encode() + b"\n" + _canonical(_signed_fields(record))


def sign_release(record: Mapping[str, Any], key: OperatorKey) -> dict[str, Any]:
    """The release record with the approver's signature (``signature``) added.

    Parameters
    ----------
    record : mapping
        The release record, its ``approved_by`` the key's operator.
    key : OperatorKey
        The approver's key (:func:`forensic.custody.keys.load_or_create_key`).

    Returns
    -------
    dict
        ``record`` and ``signature``: ``{"algorithm": "ed25519", "signed_by", "public_key",
        "key_fingerprint", "value"}``.

    Raises
    ------
    LibraryError
        When the key is not the approver's (internal misuse).
    """
    if key.operator != record.get("approved_by"):
        raise LibraryError(
            f"the key of {key.operator!r} cannot sign an approval by {record.get('approved_by')!r}"
        )
    signature = {
        "algorithm": "ed25519",
        "signed_by": key.operator,
        "public_key": key.public_key_hex,
        "key_fingerprint": key.fingerprint,
        "value": key.sign(signed_message(record)),
    }
    return {**record, "signature": signature}


def approval_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """A release record without its entries and history: what a ``.flib`` carries of its
    publication, and what ``release.json`` keeps of each earlier version (``history``).

    Parameters
    ----------
    record : mapping
        A signed release record (``release.json``) or an approval record.

    Returns
    -------
    dict
        :data:`SIGNED_FIELDS` (the entries as their digest) and ``signature``: enough to check
        the signature without the entries.
    """
    return {**_signed_fields(record), "signature": record.get("signature")}


@dataclass(frozen=True)
class TrustedApprovers:
    """The approvers whose keys this computer accepts (:data:`TRUSTED_APPROVERS_FILE`).

    Attributes
    ----------
    path : Path
        The file read.
    names : dict of str to str
        The name given for each key fingerprint (64 hex digits); ``""`` where none is.
    """

    path: Path
    names: dict[str, str]


def trusted_approvers() -> TrustedApprovers | None:
    """The list of trusted approvers in the config folder, or None when there is none.

    Returns
    -------
    TrustedApprovers or None

    Raises
    ------
    LibraryError
        When the file cannot be read, or a line is not a key fingerprint (64 hex digits)
        followed by an optional name: the message names the file and the line.
    """
    path = config_dir() / TRUSTED_APPROVERS_FILE
    if not path.is_file():
        return None
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise LibraryError(
            f"{path}: the list of trusted approvers cannot be read ({exc})"
        ) from None
    names: dict[str, str] = {}
    for number, written in enumerate(text.splitlines(), 1):
        line = written.strip()
        if not line or line.startswith("#"):
            continue
        key, *rest = line.split(maxsplit=1)
        name = rest[0] if rest else ""
        if not _HEX64.fullmatch(key.lower()):
            raise LibraryError(
                f"{path}: line {number}: {key[:70]!r} is not a key fingerprint: each line is "
                "the 64 hex digits 'forensic library publish' printed for the approver's key, "
                "then the approver's name if wished ('#' starts a comment line)"
            )
        names[key.lower()] = " ".join(name.split())
    return TrustedApprovers(path, names)


def key_words(key_fingerprint: str | None) -> str:
    """How a result and a report name an approver's key: ``key`` and the first 16 hex digits of
    its fingerprint, as a report names the keys of custody records.

    Parameters
    ----------
    key_fingerprint : str or None
        The key's fingerprint (64 hex digits); None when the record keeps none.

    Returns
    -------
    str
        ``key 0123456789abcdef``, or ``key not recorded``.
    """
    return f"key {str(key_fingerprint or '')[:16] or 'not recorded'}"


@dataclass(frozen=True)
class Approval:
    """What a release record's approval is worth (:func:`check_approval`).

    Attributes
    ----------
    state : str
        One of :data:`APPROVAL_STATES`.
    version : str or None
        The version the record says was approved.
    approved_by, published_at, name : str or None
        As the record says them.
    key_fingerprint : str or None
        SHA-256 of the public key that signed (64 hex digits), None when unsigned.
    problem : str or None
        Why it is not ``signed``, in words, for ``not_verified`` and ``untrusted``.
    """

    state: str
    version: str | None
    approved_by: str | None
    published_at: str | None
    name: str | None
    key_fingerprint: str | None = None
    problem: str | None = None

    @property
    def phrase(self) -> str:
        """The approval as a result and a report say it: ``published 2026-11-24, approved by
        Dr. A. Chemist (key 0123456789abcdef)``."""
        return (
            f"published {self.published_at}, approved by {self.approved_by} "
            f"({key_words(self.key_fingerprint)})"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON form (``library info --json``)."""
        return {
            "state": self.state,
            "version": self.version,
            "approved_by": self.approved_by,
            "published_at": self.published_at,
            "name": self.name,
            "key_fingerprint": self.key_fingerprint,
            "problem": self.problem,
        }


def check_approval(record: Mapping[str, Any], trusted: TrustedApprovers | None = None) -> Approval:
    """Whether a release record's approval holds: signed by the approver it names, over what it
    says, by a key this computer trusts.

    Parameters
    ----------
    record : mapping
        A release record (``release.json``) or an approval record (a ``.flib``'s, an entry of
        ``history``).
    trusted : TrustedApprovers, optional
        The list of trusted approvers (:func:`trusted_approvers`); None accepts any key that
        verifies.

    Returns
    -------
    Approval
        Its state (:data:`APPROVAL_STATES`) and what the record says. Whether the references
        are the version approved is not checked here: compare :attr:`Approval.version`.
    """

    def said(state: str, problem: str | None = None, key: str | None = None) -> Approval:
        return Approval(
            state,
            _text(record.get("version")),
            _text(record.get("approved_by")),
            _text(record.get("published_at")),
            _text(record.get("name")),
            key,
            problem,
        )

    approver = record.get("approved_by")
    if approver is None:
        return said("none")
    signature = record.get("signature")
    if signature is None:
        return said("unsigned")
    if not isinstance(signature, Mapping) or not all(
        isinstance(signature.get(k), str) for k in ("signed_by", "public_key", "value")
    ):
        return said("not_verified", "its signature is incomplete (no signer, key or value)")
    public_key = signature["public_key"]
    try:
        key = fingerprint(public_key)
    except ValueError:
        return said("not_verified", f"its public key {public_key[:70]!r} is not a key")
    if signature.get("algorithm", "ed25519") != "ed25519":
        return said("not_verified", f"signed by {signature.get('algorithm')!r}, not Ed25519", key)
    stated = signature.get("key_fingerprint")
    if stated is not None and stated != key:
        return said(
            "not_verified",
            f"the key fingerprint it states, {stated}, is not that of the key that signed ({key})",
            key,
        )
    if signature["signed_by"] != approver:
        return said(
            "not_verified",
            f"it was signed with the key of {signature['signed_by']!r}, not of the approver it "
            f"names, {approver!r}",
            key,
        )
    if not verify_signature(public_key, signature["value"], signed_message(record)):
        return said(
            "not_verified",
            f"the signature of {approver} is not of what the record now says: its version, "
            "entries, waivers, date, approver or name were changed after it was signed, or "
            "the signature was taken from another record",
            key,
        )
    if trusted is not None:
        if key not in trusted.names:
            return said(
                "untrusted",
                f"the key of {approver} ({key}) is not among the trusted approvers "
                f"{trusted.path} lists",
                key,
            )
        listed = trusted.names[key]
        if listed and statement_key(listed) != statement_key(str(approver)):
            return said(
                "untrusted",
                f"{trusted.path} lists key {key[:16]} as {listed!r}'s, but the approval names "
                f"{approver!r}",
                key,
            )
    return said("signed", key=key)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
