"""Ed25519 signing keys, one per operator, kept in the user's config folder.

The private key of operator "Ann Example" lives in
``<config>/keys/ann-example-<8 hex>.pem`` (PKCS#8 PEM, file mode 0600, folder mode 0700), where
``<config>`` is ``$FORENSIC_CONFIG_DIR`` or ``platformdirs.user_config_dir("forensic")``. The
public key goes into the evidence store as a chained, self-signed ``operator_keys`` record, so
anyone holding the store or a bundle can check every signature without the private key.

The private key file is not encrypted: the protection is the operating-system account of the
operator (as for an SSH key without a passphrase). A key file readable by others is refused.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import platformdirs
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from forensic.custody.statements import one_spaced, statement_key
from forensic.errors import CustodyError

__all__ = [
    "OperatorKey",
    "check_operator_name",
    "config_dir",
    "fingerprint",
    "key_path",
    "keys_folder",
    "load_key",
    "load_or_create_key",
    "operator_name",
    "similar_names",
    "stated_person",
    "verify_signature",
]

_MAX_NAME = 200


def config_dir() -> Path:
    """The toolkit's config folder: ``$FORENSIC_CONFIG_DIR`` or the platform's user config dir.

    Returns
    -------
    Path
        The folder (not created here).
    """
    override = os.environ.get("FORENSIC_CONFIG_DIR")
    return Path(override) if override else Path(platformdirs.user_config_dir("forensic"))


def check_operator_name(name: str, what: str = "operator name") -> str:
    """Return ``name`` stripped, or raise :class:`CustodyError` if it cannot name a person
    (``what`` says which name, in the error).

    Parameters
    ----------
    name : str
        The name as given.
    what : str
        Which name it is, for the error.

    Returns
    -------
    str
        The name without the spaces around it.

    Raises
    ------
    CustodyError
        The name is not a str, is blank, is too long, or holds control characters.
    """
    if not isinstance(name, str) or not name.strip():
        raise CustodyError(f"{what} is empty: give the name of the person")
    name = name.strip()
    if len(name) > _MAX_NAME:
        raise CustodyError(f"{what} is {len(name)} characters long; at most {_MAX_NAME}")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise CustodyError(f"{what} {name!r} holds control characters")
    return name


def stated_person(name: str | None, what: str) -> str | None:
    """A person a new record names besides its signer (who received, released or collected
    an exhibit), checked as an operator's name is (:func:`check_operator_name`) and stripped;
    None (not stated) is returned as it is.

    Parameters
    ----------
    name : str or None
        The name as given.
    what : str
        Which name it is, for the error (``"received by"``).

    Returns
    -------
    str or None
        The name stripped, or None.

    Raises
    ------
    CustodyError
        If the name is blank, too long, or holds control characters.
    """
    return None if name is None else check_operator_name(name, what)


def operator_name(name: str | None) -> str | None:
    """An operator's name as it signs: without the spaces around it, each run of spaces
    inside it one space.

    Where a name enters (``--operator``, ``$FORENSIC_OPERATOR``, a workflow's ``operator``):
    ``"Ann Example "`` from a pasted variable and ``"Ann  Example"`` typed twice are the
    person whose key signs as ``"Ann Example"``, not a second signer with a key of their own.
    Names already recorded are never changed (their signatures cover them as they are).

    Parameters
    ----------
    name : str or None
        The name as given; None (no operator given) is returned as it is.

    Returns
    -------
    str or None
        The name, its whitespace normalised; not otherwise checked
        (:func:`check_operator_name` refuses an empty one).
    """
    if not isinstance(name, str):
        return name
    return one_spaced(name)


def similar_names(name: str, known: Iterable[str]) -> list[str]:
    """The names in ``known`` that differ from ``name`` only in letter case and spacing (as
    the custody log compares who held an exhibit:
    :func:`~forensic.custody.statements.statement_key`), ``name`` itself left out.

    Parameters
    ----------
    name : str
        An operator's name.
    known : iterable of str
        Names that already sign (the store's ``operator_keys``).

    Returns
    -------
    list of str
        Those names, sorted; empty when none differs only so.
    """
    key = statement_key(name)
    return sorted({other for other in known if other != name and statement_key(other) == key})


def key_path(operator: str) -> Path:
    """Where the private key of ``operator`` is kept (the file may not exist yet).

    Parameters
    ----------
    operator : str
        The operator's name.

    Returns
    -------
    Path
        ``<slug>-<tag>.pem`` in :func:`keys_folder`: the name in lower case with runs of other
        characters as ``-`` (at most 40), and 8 hex digits of the SHA-256 of the name, so that
        names alike in letters keep their own files.

    Raises
    ------
    CustodyError
        As :func:`check_operator_name`.
    """
    operator = check_operator_name(operator)
    slug = re.sub(r"[^a-z0-9]+", "-", operator.lower()).strip("-")[:40] or "operator"
    tag = hashlib.sha256(operator.encode("utf-8")).hexdigest()[:8]
    return keys_folder() / f"{slug}-{tag}.pem"


def keys_folder() -> Path:
    """The folder of the operators' private keys, ``<config>/keys``.

    Returns
    -------
    Path
        ``keys`` in :func:`config_dir` (``$FORENSIC_CONFIG_DIR`` or the platform's user
        config folder); it may not exist yet.
    """
    return config_dir() / "keys"


def fingerprint(public_key_hex: str) -> str:
    """SHA-256 (hex) of the raw 32-byte public key: the name under which a key is recorded.

    Parameters
    ----------
    public_key_hex : str
        The raw public key, 64 hex digits.

    Returns
    -------
    str
        64 lower-case hex digits.
    """
    return hashlib.sha256(bytes.fromhex(public_key_hex)).hexdigest()


@dataclass(frozen=True)
class OperatorKey:
    """An operator's signing key (private part loaded from the config folder).

    Attributes
    ----------
    operator : str
        The operator's name, as checked (:func:`check_operator_name`).
    private_key : Ed25519PrivateKey
        The private key.
    path : Path
        The key file it was loaded from (:func:`key_path`).
    """

    operator: str
    private_key: Ed25519PrivateKey
    path: Path

    @property
    def public_key_hex(self) -> str:
        """The raw public key, 64 hex digits."""
        raw = self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return raw.hex()

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the raw public key (hex)."""
        return fingerprint(self.public_key_hex)

    def sign(self, message: bytes) -> str:
        """Ed25519 signature of ``message`` as 128 hex digits."""
        return self.private_key.sign(message).hex()


def _check_private_permissions(path: Path) -> None:
    if os.name != "posix":
        return
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise CustodyError(
            f"{path}: private key is readable by others (mode {mode:04o}, expected 0600); "
            f"run: chmod 600 '{path}'"
        )


def load_or_create_key(operator: str) -> OperatorKey:
    """Load the operator's private key, creating it (mode 0600) on first use.

    Parameters
    ----------
    operator : str
        The operator's name.

    Returns
    -------
    OperatorKey

    Raises
    ------
    CustodyError
        If the key file is readable by group or others, or is not an Ed25519 PEM key.
    """
    operator = check_operator_name(operator)
    path = key_path(operator)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:
            # O_EXCL: two processes creating the same operator's key at once keep one of them.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
                handle.flush()
                os.fsync(handle.fileno())
            return OperatorKey(operator, key, path)
    return _load(operator, path)


def load_key(operator: str) -> OperatorKey:
    """Load the operator's private key; never create one.

    For signing where a new key would prove nothing (it is known nowhere) and writing its file
    might fail half-way (a full disk).

    Parameters
    ----------
    operator : str
        The operator's name.

    Returns
    -------
    OperatorKey

    Raises
    ------
    CustodyError
        If the operator has no key file here, or as :func:`load_or_create_key`.
    """
    operator = check_operator_name(operator)
    path = key_path(operator)
    if not path.exists():
        raise CustodyError(f"{path}: no signing key of {operator!r} on this computer")
    return _load(operator, path)


def _load(operator: str, path: Path) -> OperatorKey:
    try:
        _check_private_permissions(path)
        data = path.read_bytes()
    except OSError as exc:
        raise CustodyError(f"{path}: cannot read the private key ({exc.strerror or exc})") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise CustodyError(f"{path}: not a readable private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise CustodyError(f"{path}: holds a {type(key).__name__}, expected an Ed25519 key")
    return OperatorKey(operator, key, path)


def verify_signature(public_key_hex: str, signature_hex: str, message: bytes) -> bool:
    """True if ``signature_hex`` is a valid Ed25519 signature of ``message`` by that key.

    Parameters
    ----------
    public_key_hex : str
        The raw Ed25519 public key, 64 hex digits.
    signature_hex : str
        The signature, 128 hex digits.
    message : bytes
        What was signed.

    Returns
    -------
    bool
        False also for a key or signature that is not hex, or not of its length.
    """
    try:
        public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex))
        public.verify(bytes.fromhex(signature_hex), message)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True
