"""The evidence stores this computer has recorded into, so that a second store is never
started by mistake.

A relative ``--store`` typed in another folder, or one forgotten (the default store in the
user data folder), would otherwise start a new, empty store without a word, and the evidence
of one case would end up in two stores that no record links. So every store a command records
into is noted in the config folder (:func:`~forensic.custody.keys.config_dir`, the file
:data:`KNOWN_STORES_FILE`): its absolute path and when it was last recorded into. A command
about to create a new store (:func:`is_new_store`) says so, names the stores already known
(:func:`known_stores`), and refuses to file a case that one of them holds in a new store
(:func:`check_new_store`) unless told that a new store is wanted.

The list is a convenience of this computer, never evidence: it is not signed, a store's
records do not depend on it, and a list that cannot be read or written is taken as empty.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from forensic.commands import options
from forensic.custody.keys import config_dir
from forensic.custody.store import (
    Store,
    as_label,
    recorded_moment,
    resolve_store_path,
    utc_now,
    utc_when,
)
from forensic.errors import CustodyError, ForensicError

__all__ = [
    "KNOWN_STORES_FILE",
    "KnownStore",
    "NewStoreRefused",
    "check_new_store",
    "is_new_store",
    "known_stores",
    "known_stores_file",
    "remember_store",
    "stores_hint",
    "stores_holding_case",
]

KNOWN_STORES_FILE = "known-stores.json"
"""The file, in the config folder, that lists the stores this computer has recorded into."""

NAMED_AT_MOST = 5
"""How many known stores a message names, most recently used first."""


class KnownStore(NamedTuple):
    """An evidence store this computer has recorded into.

    Attributes
    ----------
    path : Path
        Its database file, absolute.
    last_used : str
        When a command last recorded into it (ISO-8601, UTC).
    """

    path: Path
    last_used: str

    @property
    def said(self) -> str:
        """The store as a message names it: its path and when it was last recorded into."""
        return f"{self.path} (last recorded into {utc_when(self.last_used)})"


class NewStoreRefused(CustodyError):
    """A command would file a case in a new evidence store while a store this computer has
    recorded into already holds that case; nothing was recorded, and no store was created."""


def known_stores_file() -> Path:
    """Where the list of known stores is kept: :data:`KNOWN_STORES_FILE` in the config folder.

    Returns
    -------
    Path
        The file (it may not exist yet).
    """
    return config_dir() / KNOWN_STORES_FILE


def _read_list() -> dict[str, str]:
    """Every store noted, path to when it was last used; empty when there is no list, or one
    that cannot be read (a convenience, not evidence: nothing is refused for it)."""
    try:
        data = json.loads(known_stores_file().read_text(encoding="utf-8"))
        return {
            str(entry["path"]): str(entry["last_used"])
            for entry in data.get("stores", [])
            if isinstance(entry, dict) and entry.get("path") and entry.get("last_used")
        }
    except (OSError, ValueError, TypeError, AttributeError):
        return {}


def remember_store(path: str | os.PathLike, *, at: str | None = None) -> None:
    """Note that a command has just recorded into the store at ``path``.

    Written whole to a temporary file and moved into place, so that two commands noting at
    once leave one list or the other, never a half-written one. A list that cannot be written
    (a read-only config folder) is left as it is, without a word: recording does not depend
    on it.

    Parameters
    ----------
    path : path-like
        The store, as ``--store`` names it (:func:`~forensic.custody.store.resolve_store_path`).
    at : str, optional
        When (ISO-8601, UTC); default now.
    """
    stores = _read_list()
    stores[str(resolve_store_path(path))] = at or utc_now()
    listed = [
        {"path": where, "last_used": when}
        for where, when in sorted(stores.items(), key=lambda item: _moment(item[1]), reverse=True)
    ]
    target = known_stores_file()
    with contextlib.suppress(OSError):
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=".known-stores-", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump({"stores": listed}, out, indent=1)
                out.write("\n")
            os.replace(temporary, target)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def _moment(iso: str) -> float:
    moment = recorded_moment(iso)
    return moment.timestamp() if moment is not None else 0.0


def known_stores(*, excluding: str | os.PathLike | None = None) -> list[KnownStore]:
    """The stores this computer has recorded into that are still there, the most recently
    used first.

    Parameters
    ----------
    excluding : path-like, optional
        A store to leave out (the one a command is about to create).

    Returns
    -------
    list of KnownStore
        Those whose file still exists (a store deleted, or on a USB stick not plugged in, is
        not named).
    """
    left_out = None if excluding is None else resolve_store_path(excluding)
    found = []
    for where, when in _read_list().items():
        path = Path(where)
        if path == left_out or not path.is_file():
            continue
        found.append(KnownStore(path, when))
    return sorted(found, key=lambda store: _moment(store.last_used), reverse=True)


def is_new_store(path: str | os.PathLike | None) -> bool:
    """Whether a command that records at ``path`` would start a new evidence store: there is
    no file there, or an evidence store that holds no record (one a command created and then
    failed before recording, or an empty one).

    Parameters
    ----------
    path : path-like or None
        The store, as ``--store`` names it (None: ``$FORENSIC_STORE`` or the default).

    Returns
    -------
    bool
        False for a store that holds records, and for anything that is not a store the
        command can read (a damaged file, another program's database, the ``-wal`` of a lost
        store): opening it says what is wrong.
    """
    db = resolve_store_path(path)
    if not db.exists():
        return not any(db.with_name(db.name + side).exists() for side in ("-wal", "-shm"))
    try:
        with Store(db, read_only=True) as store:
            return not store.holds_records()
    except ForensicError:
        return False


def stores_holding_case(case_number: str, stores: Iterable[KnownStore]) -> list[KnownStore]:
    """The stores, of ``stores``, that hold the case ``case_number`` (as recorded: without the
    spaces a paste leaves around it). A store that cannot be read is passed over.

    Parameters
    ----------
    case_number : str
        The case number given.
    stores : iterable of KnownStore
        The stores to look in (:func:`known_stores`).

    Returns
    -------
    list of KnownStore
        In the order given.
    """
    holding = []
    for known in stores:
        try:
            with Store(known.path, read_only=True) as store:
                if store.get_case(as_label(case_number)) is not None:
                    holding.append(known)
        except ForensicError:
            continue
    return holding


def check_new_store(
    path: str | os.PathLike | None,
    *,
    case_number: str | None = None,
    new_store: bool = False,
    doing: str = "this command",
) -> list[str]:
    """Before a command that records creates a store: what to say of it, or a refusal.

    Parameters
    ----------
    path : path-like or None
        The store the command was given (None: ``$FORENSIC_STORE`` or the default).
    case_number : str, optional
        The case the command files evidence under.
    new_store : bool
        A new store is wanted (``--new-store``): a case a known store holds is filed in it
        all the same (and the lines say where that case is).
    doing : str
        The command, as the lines name it ("this scan").

    Returns
    -------
    list of str
        Empty when the store holds records already. Otherwise ``NEW evidence store at PATH``
        first, then, when this computer has recorded into other stores, a line naming them
        (the most recently used first) and the ``--store`` option that records into one.

    Raises
    ------
    NewStoreRefused
        The store is new, ``new_store`` is not given, and a known store holds the case:
        naming that store and the option that records into it. Raised before the store is
        created, so nothing is recorded and no store is left behind.
    """
    if not is_new_store(path):
        return []
    db = resolve_store_path(path)
    others = known_stores(excluding=db)
    holding = stores_holding_case(case_number, others) if case_number and others else []
    if holding and not new_store:
        there = holding[0]
        raise NewStoreRefused(
            f"case {as_label(case_number)} is in the evidence store {there.said}, and there is "
            f"no evidence store at {db}: {doing} would start a second store for the case, and "
            "its evidence would be split between the two. To record into that store, run the "
            f"command again with {options(store=there.path)} (or set FORENSIC_STORE to it); "
            "if a new store is really wanted for this case, add --new-store. Nothing was "
            "recorded, and no store was created"
        )
    lines = [f"NEW evidence store at {db}: {doing} creates it"]
    if holding:
        lines.append(
            f"case {as_label(case_number)} is also in the evidence store {holding[0].said}: "
            "a new store was asked for (--new-store)"
        )
    if others:
        named = "; ".join(store.said for store in others[:NAMED_AT_MOST])
        more = len(others) - NAMED_AT_MOST
        lines.append(
            "this computer has recorded into "
            + ("another evidence store" if len(others) == 1 else "other evidence stores")
            + f" (most recent first): {named}"
            + (f"; and {more} more" if more > 0 else "")
            + f". To record into one of them instead, give {options(store=others[0].path)}"
            " (its path)"
        )
    return lines


def stores_hint(case_number: str | None = None) -> str:
    """What to add to a message that found no store where it looked: the stores this computer
    has recorded into (the one that holds ``case_number`` first), and the option to give.

    Parameters
    ----------
    case_number : str, optional
        The case the command names.

    Returns
    -------
    str
        ``"; ..."`` to append, or empty when no store is known.
    """
    others = known_stores()
    if not others:
        return ""
    holding = stores_holding_case(case_number, others) if case_number else []
    if holding:
        return (
            f"; case {as_label(case_number)} is in the evidence store {holding[0].said}: give "
            f"{options(store=holding[0].path)}"
        )
    named = "; ".join(store.said for store in others[:NAMED_AT_MOST])
    return (
        f"; this computer has recorded into {named}: give --store with the one meant "
        f"(e.g. {options(store=others[0].path)})"
    )
