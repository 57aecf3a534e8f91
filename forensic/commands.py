"""The ``forensic`` commands a message tells the technician to run, as they are pasted.

A command printed to be pasted must do what the message says when it is pasted as shown: in
the store the work used, against its library, signed by its operator, on the files it was
given, and whatever the case and exhibit numbers hold (spaces, quotes, a ``;``). Every
message that names a command builds it here, from the options actually in use.

Pure and import-free, so that the workflows, the reports and the command line all build
them the same way.

What to give, an argument or its option, is not said here but in :mod:`forensic.arguments`,
which the core may import.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from typing import Any

__all__ = [
    "PLACEHOLDER",
    "blank_refusal",
    "command",
    "import_with_laser_line",
    "is_placeholder",
    "options",
]

PLACEHOLDER = "..."
"""The value a printed command leaves for the technician to fill in (a description, who
received the exhibit): the command line refuses it (:func:`is_placeholder`), so that a command
pasted unfilled records nothing rather than a label that reads ``...``."""


def is_placeholder(value: Any) -> bool:
    """Whether ``value`` is :data:`PLACEHOLDER` (or the one-character ellipsis a word
    processor makes of it), spaces around it aside: a place a printed command left to fill in.

    Parameters
    ----------
    value : object
        An argument or option value as given.

    Returns
    -------
    bool
        True for ``...`` or ``…`` alone; False for anything else, text with it included.

    Examples
    --------
    >>> is_placeholder(" ... "), is_placeholder("\u2026"), is_placeholder("white powder...")
    (True, True, False)
    """
    return isinstance(value, str) and value.strip() in (PLACEHOLDER, "\u2026")


def blank_refusal(option: str, value: str | None, what: str) -> str | None:
    """Why ``option`` given blank (empty, or white space alone) is refused, or None when it
    was not given or says something.

    An option given blank is not taken for one left out: it was given to state something (a
    shell variable that is not set, a paste that lost the text), and what it would record, an
    empty notes line or a reference whose source or licence is blank, would stand for good.

    Parameters
    ----------
    option : str
        The option as typed (``--notes``).
    value : str or None
        Its value as given; None when it was left out.
    what : str
        What to give it, in words (``the text of the changelog entry``).

    Returns
    -------
    str or None
        ``"--notes is blank: give the text of the changelog entry, or leave --notes out"``.

    Examples
    --------
    >>> blank_refusal("--licence", "  ", "the licence of the spectra")
    '--licence is blank: give the licence of the spectra, or leave --licence out'
    >>> blank_refusal("--licence", None, "the licence"), blank_refusal("--licence", "MIT", "")
    (None, None)
    """
    if value is None or value.strip():
        return None
    return f"{option} is blank: give {what}, or leave {option} out"


def command(*words: Any, **options: Any) -> str:
    """A ``forensic`` command line, quoted for a POSIX shell, between backticks.

    Parameters
    ----------
    *words : str or path-like
        The subcommand and its arguments (``"exhibit", "identify", case, item``).
    **options
        The options, in the order given: ``store=path`` gives ``--store PATH`` (an
        underscore in the name is a hyphen in the option). A path (an :class:`os.PathLike`)
        is made absolute, so that the command does the same from another folder; None or
        False leaves the option out; True gives it alone (a flag); anything else is its
        value, as a word of its own. :data:`PLACEHOLDER` as a value is a place the technician
        fills in.

    Returns
    -------
    str
        The command between backticks, every word quoted as a POSIX shell reads it, so that
        pasted it runs this command and nothing else.

    Examples
    --------
    >>> from pathlib import Path
    >>> command("exhibit", "identify", "2026 0412", "A1;rm x", store=Path("/data/forensic.db"))
    "`forensic exhibit identify '2026 0412' 'A1;rm x' --store /data/forensic.db`"
    """
    argv = ["forensic", *(_word(word) for word in words), *_option_words(options)]
    return f"`{shlex.join(argv)}`"


def import_with_laser_line(path: str | os.PathLike[str], laser_nm: float | None = None) -> str:
    """The ``forensic library import`` command that reads a Raman file's axis as wavelengths in
    nm, converted with the laser line, as a command that cannot read it so tells it (``forensic
    inspect``, ``library build``): ``--library`` last, for the library folder only the chemist
    can name, and ``NM`` for a laser line the file does not name. Pasted as printed, it
    imports nothing (``--library`` wants its folder, ``NM`` is no number).

    Parameters
    ----------
    path : str or path-like
        The file.
    laser_nm : float, optional
        The laser line the file names (:func:`forensic.quality.laser_line_named`).

    Returns
    -------
    str
        The command, then what to fill in.

    Examples
    --------
    >>> import_with_laser_line("/data/nm.jdx", 785.0)
    '`forensic library import /data/nm.jdx --laser-nm 785 --library` followed by the library folder'
    """
    laser = "NM" if laser_nm is None else f"{laser_nm:g}"
    return (
        f"{command('library', 'import', path, laser_nm=laser, library=True)} followed by the "
        "library folder"
        + ("" if laser_nm else ", the laser line it was measured with in place of NM")
    )


def options(**options: Any) -> str:
    """Options of a ``forensic`` command alone, quoted as :func:`command` quotes them: for a
    message that tells which option to give rather than the whole command to run.

    Parameters
    ----------
    **options
        As for :func:`command`.

    Returns
    -------
    str
        The options, every word quoted as a POSIX shell reads it (no backticks).

    Examples
    --------
    >>> options(operator="Ann  Example")
    "--operator 'Ann  Example'"
    """
    return shlex.join(_option_words(options))


def _option_words(options: Mapping[str, Any]) -> list[str]:
    argv = []
    for name, value in options.items():
        if value is None or value is False:
            continue
        argv.append("--" + name.replace("_", "-"))
        if value is not True:
            argv.append(_word(value))
    return argv


def _word(value: Any) -> str:
    if isinstance(value, os.PathLike):
        return os.path.abspath(os.fspath(value))
    return str(value)
