"""Who signs: the warning when an operator's name is new to a store but close to a signer's.

The store says which signers' names are alike (:meth:`forensic.custody.Store.signers_named_alike`);
this words what the technician is told, with the option that signs as each
(:func:`forensic.commands.options`), for the scan's screen and for every command that records.

Light (the store, the keys and the command helper), so that the command line imports it
without loading the workflows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from forensic.commands import options

if TYPE_CHECKING:
    from forensic.custody.store import Store

__all__ = ["named_alike_warning"]


def named_alike_warning(db: Store, operator: str) -> str | None:
    """The warning when ``operator`` has signed nothing in the store but a signer's name
    differs from it only in letter case or spacing: the first record it signs registers a
    second key, under what reads as another person.

    Warned of, never refused (two people may share a name): the operator knows which name is
    theirs, and the warning gives the option that signs as each signer it names.

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
    return (
        f"{operator!r} has signed nothing in {db.db_path}, but {named} has: a name that "
        "differs only in letter case or spacing signs with a key of its own and reads as "
        f"another person in the custody log; if you are {' or '.join(alike)}, give "
        + " or ".join(options(operator=name) for name in alike)
    )
