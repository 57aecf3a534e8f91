"""When two statements say the same: names, descriptions and seal numbers as people write them.

One rule, in one place: the custody log's continuity (who released an exhibit is who held
it, :mod:`forensic.custody.continuity`), the scan's reading of an exhibit's records, and the
signers an operator's name resembles (:func:`forensic.custody.keys.similar_names`) all compare
so, and an operator's name is spaced as it signs (:func:`forensic.custody.keys.operator_name`)
by the spacing rule here.

A description of an item (``white powder, bag 2``) is prose: its punctuation is not part of
what it says, and :func:`same_description` sets it aside too. A name or a seal number is not
(``S-12`` and ``S1-2`` are two seals): they compare by :func:`same_statement`.

Pure (only the standard library), so that the keys, the store and the continuity checks can
use it without depending on one another.
"""

from __future__ import annotations

import unicodedata

__all__ = [
    "description_key",
    "one_spaced",
    "same_description",
    "same_statement",
    "stated_place",
    "statement_key",
]


def one_spaced(text: str) -> str:
    """``text`` without the spaces around it, each run of spaces (tabs, newlines) inside it
    one space.

    Parameters
    ----------
    text : str

    Returns
    -------
    str

    Examples
    --------
    >>> one_spaced(" Ann  Example\\t")
    'Ann Example'
    """
    return " ".join(text.split())


def stated_place(text: str | None) -> str | None:
    """A place as a record states it (where a spectrum was acquired, where an exhibit changed
    hands): one-spaced (:func:`one_spaced`); blank or None is not stated (None), and the record
    then holds none, as every record made before the schema that added the place does.

    Parameters
    ----------
    text : str or None
        The place as given.

    Returns
    -------
    str or None
        The place one-spaced, or None when nothing was stated.

    Examples
    --------
    >>> stated_place("  Evidence room 2,\tCentral Lab ")
    'Evidence room 2, Central Lab'
    >>> stated_place("   ") is None
    True
    """
    return one_spaced(text or "") or None


def statement_key(text: str | None) -> str:
    """The form in which two statements compare: one-spaced (:func:`one_spaced`) and its
    letter case folded; None states nothing (``""``).

    Parameters
    ----------
    text : str or None
        A name, a description, a seal number, as stated or as recorded.

    Returns
    -------
    str
        The key: two statements with the same key say the same.

    Examples
    --------
    >>> statement_key("  ann  EXAMPLE ") == statement_key("Ann Example")
    True
    """
    return one_spaced(str(text or "")).casefold()


def same_statement(stated: str | None, recorded: str | None) -> bool:
    """Two statements (a name, a description, a seal number) that differ only in letter case
    and spacing say the same (:func:`statement_key`).

    Parameters
    ----------
    stated, recorded : str or None
        The statements, as given and as recorded; None states nothing.

    Returns
    -------
    bool
        True when their :func:`statement_key` is the same (two None say the same).
    """
    return statement_key(stated) == statement_key(recorded)


def description_key(text: str | None) -> str:
    """The form in which two descriptions of an item compare: every punctuation mark (Unicode
    category P: ``.,;:!?'"-()/#%...``) read as a space, then as :func:`statement_key`.

    A mark is read as a space rather than dropped, so that it never joins two words or
    numbers: ``0.5 g`` and ``05 g`` differ, and ``0.5 g`` and ``0,5 g`` (a decimal comma)
    do not.

    Parameters
    ----------
    text : str or None
        A description, as stated or as recorded.

    Returns
    -------
    str
        The key: two descriptions with the same key say the same of the item.

    Examples
    --------
    >>> description_key("White powder, bag 2.") == description_key("white powder bag 2")
    True
    >>> description_key("0.5 g") == description_key("05 g")
    False
    """
    text = "".join(
        " " if unicodedata.category(ch).startswith("P") else ch for ch in str(text or "")
    )
    return statement_key(text)


def same_description(stated: str | None, recorded: str | None) -> bool:
    """Two descriptions of an item that differ only in punctuation, letter case and spacing
    say the same (:func:`description_key`): a full stop typed at the end, or a comma left
    out, is no other item.

    Parameters
    ----------
    stated, recorded : str or None
        The descriptions, as given and as recorded; None states nothing.

    Returns
    -------
    bool
        True when their :func:`description_key` is the same.
    """
    return description_key(stated) == description_key(recorded)
