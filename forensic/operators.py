"""Who signs in a store, and what the technician is told about it.

An operator's name is normalised where it enters (:func:`forensic.custody.keys.operator_name`).
In a store, it signs as a known signer whose recorded name differs from it only in spacing
(recorded before names were normalised) when that signer's key is on this computer
(:meth:`forensic.custody.Store.signer_name`), and it is warned of when it is new to the store
but close to a signer's name (:meth:`forensic.custody.Store.signers_named_alike`). The store
gives the names; this words what the technician is told, with the option that signs as each
(:func:`forensic.commands.options`), for the scan's screen and for every command that records.

Light (the store, the keys and the command helper), so that the command line imports it
without loading the workflows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from forensic.commands import options
from forensic.custody.keys import operator_name
from forensic.errors import CustodyError

if TYPE_CHECKING:
    from forensic.custody.store import Store

__all__ = ["Signer", "named_alike_warning", "who_signs"]


def named_alike_warning(db: Store, operator: str) -> str | None:
    """The warning when ``operator`` has signed nothing in the store but a signer's name
    differs from it only in letter case or spacing: the first record it signs registers a
    second key, under what reads as another person.

    Warned of, never refused (two people may share a name): the operator knows which name is
    theirs, and the warning gives the option that signs as each signer it names; of a name
    that no ``--operator`` gives on this computer (spaced as recorded before names were
    normalised, and not the one :meth:`~forensic.custody.Store.signer_name` signs as here),
    it says so instead of advising what cannot work.

    Parameters
    ----------
    db : Store
        The store about to be signed in.
    operator : str
        Who is about to sign.

    Returns
    -------
    str or None
        The warning; None when ``operator`` already signs here, or no name is that close
        (:meth:`~forensic.custody.Store.signers_named_alike`).
    """
    alike = db.signers_named_alike(operator)
    if not alike:
        return None
    named = " or ".join(repr(name) for name in alike)
    warning = (
        f"{operator!r} has signed nothing in {db.db_path}, but {named} has: a name that "
        "differs only in letter case or spacing signs with a key of its own and reads as "
        "another person in the custody log"
    )
    givable = [name for name in alike if _givable(db, name)]
    if givable:
        warning += f"; if you are {' or '.join(givable)}, give " + " or ".join(
            options(operator=name) for name in givable
        )
    for name in alike:
        if name not in givable:
            warning += (
                f"; no --operator signs as {name!r} on this computer (it makes each run of "
                "spaces one)"
            )
    return warning


class Signer(NamedTuple):
    """Who signs in a store (:func:`who_signs`).

    Attributes
    ----------
    name : str
        The name that signs: the operator's, or a known signer's as recorded.
    note : str or None
        When ``name`` is a known signer's recorded name, not the operator's as given: what
        to say once, before anything is signed.
    warning : str or None
        :func:`named_alike_warning` of ``name``.
    """

    name: str
    note: str | None
    warning: str | None


def who_signs(db: Store, operator: str) -> Signer:
    """The name ``operator`` signs under in ``db``, with what to tell the technician.

    ``operator`` is normalised as where it enters; a signer recorded before that, whose name
    differs from it only in spacing (``"Ann  Example"``) and whose key is on this computer,
    signs on under that name and key (:meth:`~forensic.custody.Store.signer_name`), and the
    :attr:`Signer.note` says so. ``--operator`` cannot give such a name as it is recorded:
    without this, that signer would sign with a second key, under a second name, and be
    told to give a name that is normalised again.

    Parameters
    ----------
    db : Store
        The store about to be signed in.
    operator : str
        Who is about to sign, as given.

    Returns
    -------
    Signer
        The name to sign with, the note (or None) and the warning (or None).
    """
    given = operator_name(operator)
    name = db.signer_name(given)
    note = None
    if name != given:
        note = (
            f"signing as {name!r}, the name recorded with its key in {db.db_path} "
            f"({given!r} differs from it only in spacing)"
        )
    return Signer(name, note, named_alike_warning(db, name))


def _givable(db: Store, name: str) -> bool:
    """Whether ``--operator NAME`` signs as ``name`` in ``db`` (normalised as it enters)."""
    try:
        return db.signer_name(operator_name(name)) == name
    except CustodyError:  # a name recorded elsewhere (a bundle) that no option can give
        return False
