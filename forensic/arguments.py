"""What a message tells its reader to give, in the reader's terms: a Python caller its
function's argument (``pass force=True``, :func:`argument`), the command line the option
(``use --force``, :func:`with_command_line_options`).

A message is made once, in the Python caller's terms, wherever it is raised; the command line
(:mod:`forensic.cli.app`, which prints every error, and the commands that print notes or JSON
errors themselves) says it by :data:`ARGUMENT_OPTIONS`, the one table of which option each
argument is. A function to call again, on files a message names (:func:`call`), is its command
to the command line (:data:`FUNCTION_COMMANDS`). Pure and import-free, so that the core (a
library saved over a file) may use it.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

__all__ = [
    "ARGUMENT_OPTIONS",
    "FUNCTION_COMMANDS",
    "argument",
    "call",
    "with_command_line_options",
]


ARGUMENT_OPTIONS: Mapping[str, str] = MappingProxyType(
    {
        # an output that exists: every function's argument that replaces it, one option
        "overwrite": "--force",
        "force": "--force",
        # an output file, by the function that writes it: issue_report (forensic report),
        # scan (forensic scan), export_bundle (forensic bundle export)
        "pdf_path": "--out",
        "report_path": "--report",
        "json_path": "--json",
        "text_path": "--text",
        "out": "--out",
        # forensic.curation.import_spectra: forensic library import
        "library_dir": "--library",
        "name": "--name",
        "cas": "--cas",
        "substance_class": "--class",
        "synonyms": "--synonyms",
        "salt_form": "--salt-form",
        "legal_control": "--legal-control",
        "modality": "--modality",
        "y_unit": "--y-unit",
        "laser_nm": "--laser-nm",
        "override_file": "--override-file",
        "manifest": "--manifest",
        "ignore_columns": "--ignore-columns",
        "replicates": "--replicates",
        "mixed_scripts": "--mixed-scripts",
        "added_by": "--added-by",
        "source": "--source",
        "licence": "--licence",
        "entry_id": "--id",
        # forensic.curation.rename_references: forensic library rename
        "new_id": "--id",
        # forensic.curation.publish_library: forensic library publish
        "approved_by": "--approved-by",
        "notes": "--notes",
    }
)
"""The command-line option of each Python argument a message may tell its reader to give
(:func:`argument`), by the argument's name: the one place that says which option an
argument is. An argument that is not here cannot be named in a message (:func:`argument`
refuses it), so that no message tells the command line a Python argument."""

FUNCTION_COMMANDS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        # forensic.curation.import_spectra(paths, ...): forensic library import PATH...
        "import_spectra": ("library", "import"),
    }
)
"""The ``forensic`` command of each function a message may tell its reader to call
(:func:`call`), by the function's name: its first argument, the files, is the command's
arguments, and the rest are options by :data:`ARGUMENT_OPTIONS`."""

_VALUE = re.compile(
    r"""True|\.\.\.|'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|-?(?:inf|nan|\d+(?:\.\d*)?(?:e[+-]?\d+)?)(?![\w.])|[A-Z][A-Z0-9-]*\b"""
)
_NAMED = "|".join(sorted(ARGUMENT_OPTIONS, key=len, reverse=True))
_MENTION = rf"(?<![\w./\\?&-])(?:{_NAMED})=(?:{_VALUE.pattern})"
_MENTIONS = re.compile(rf"(?P<verb>\bpass )?(?P<run>{_MENTION}(?:, {_MENTION})*)")
_ONE = re.compile(rf"(?P<arg>{_NAMED})=(?P<value>{_VALUE.pattern})")
_QUOTED = r"'(?:[^'\\]|\\.)*'|" + r'"(?:[^"\\]|\\.)*"'  # a string, as repr() writes it
_CALL = re.compile(
    rf"`(?P<function>{'|'.join(FUNCTION_COMMANDS)})\("
    rf"\[(?P<paths>(?:{_QUOTED})(?:, (?:{_QUOTED}))*)\]"
    rf"(?:, (?P<run>{_MENTION}(?:, {_MENTION})*))?\)`"
)


def argument(name: str, value: Any = True, *, as_typed: str | None = None) -> str:
    """An argument of a toolkit function as a Python caller writes it, for a message that
    tells the caller to give it; the command line says its option
    (:func:`with_command_line_options`).

    Parameters
    ----------
    name : str
        The argument, one of :data:`ARGUMENT_OPTIONS`.
    value : object, default True
        True for a flag (``force=True``, the option alone); ``...`` (:data:`Ellipsis`) for
        an argument to give, its value not said (``licence=...``, the option alone); a
        string (quoted as Python writes it; the option's value unquoted) or a number.
    as_typed : str, optional
        The value as it is to be read in both places, in place of ``value``: a number
        formatted (``"785"``), or a place to fill in, in capitals (``"NM"``, ``"NEW-ID"``).

    Returns
    -------
    str
        ``name=value``.

    Raises
    ------
    KeyError
        ``name`` has no option in :data:`ARGUMENT_OPTIONS`.

    Examples
    --------
    >>> argument("force"), argument("entry_id", "cocaine-raman"), argument("licence", ...)
    ('force=True', "entry_id='cocaine-raman'", 'licence=...')
    >>> argument("laser_nm", as_typed="NM")
    'laser_nm=NM'
    """
    if name not in ARGUMENT_OPTIONS:
        raise KeyError(f"{name}: no command-line option said for this argument (ARGUMENT_OPTIONS)")
    if as_typed is not None:
        said = as_typed
    elif value is Ellipsis:
        said = "..."
    else:
        said = repr(value)
    if not _VALUE.fullmatch(said):
        raise ValueError(f"{name}={said}: not a value a message can say as an option's")
    return f"{name}={said}"


def call(function: str, paths: Sequence[str | os.PathLike], *arguments: str) -> str:
    """A call of a toolkit function on files, as a Python caller writes it, between
    backticks, for a message that tells the caller to run it; the command line says its
    command (:func:`with_command_line_options`).

    Parameters
    ----------
    function : str
        The function, one of :data:`FUNCTION_COMMANDS`.
    paths : sequence of str or path-like
        The files, its first argument: each made absolute, so that the call does the same
        from another folder (as :func:`forensic.commands.command` makes a command's).
    *arguments : str
        Its other arguments, each as :func:`argument` writes it, in order.

    Returns
    -------
    str
        ```function(['/path', ...], name=value, ...)```.

    Raises
    ------
    KeyError
        ``function`` has no command in :data:`FUNCTION_COMMANDS`.
    ValueError
        No file is given, or an argument is not one :func:`argument` writes.

    Examples
    --------
    >>> call("import_spectra", ["/data/a.txt"], argument("y_unit", as_typed="UNIT"))
    "`import_spectra(['/data/a.txt'], y_unit=UNIT)`"
    """
    if function not in FUNCTION_COMMANDS:
        raise KeyError(f"{function}: no command said for this function (FUNCTION_COMMANDS)")
    if not paths:
        raise ValueError(f"{function}: no file to call it on")
    for given in arguments:
        if not _ONE.fullmatch(given):
            raise ValueError(f"{given}: not an argument as argument() writes it")
    files = ", ".join(repr(os.path.abspath(os.fspath(path))) for path in paths)
    return f"`{function}([{', '.join([f'{files}]', *arguments])})`"


def with_command_line_options(text: str) -> str:
    """A message as a command line says it: each Python argument it names
    (:func:`argument`) replaced by its option (:data:`ARGUMENT_OPTIONS`), the rest unchanged.

    ``force=True`` is ``--force``, ``licence=...`` is ``--licence``, ``entry_id='x'`` is
    ``--id x`` (a string quoted as a shell reads it: ``name='Cocaine base'`` is ``--name
    'Cocaine base'``); a number or a place to fill in (``laser_nm=NM``) is as it is;
    arguments one after the other (``entry_id='x', force=True``) are options one after the
    other (``--id x --force``), and ``pass`` before them is ``use``. A call of a function on
    files (:func:`call`) is its command (:data:`FUNCTION_COMMANDS`), the files its arguments,
    quoted as :func:`forensic.commands.command` quotes them.

    Parameters
    ----------
    text : str
        The message.

    Returns
    -------
    str
        The message, for the command line.

    Examples
    --------
    >>> with_command_line_options("give its id (entry_id='x', force=True)")
    'give its id (--id x --force)'
    >>> with_command_line_options("a.flib: already exists (pass overwrite=True to replace it)")
    'a.flib: already exists (use --force to replace it)'
    >>> with_command_line_options("`import_spectra(['/my data/a.txt'], y_unit=UNIT, force=True)`")
    "`forensic library import '/my data/a.txt' --y-unit UNIT --force`"
    """

    def optioned(found: re.Match[str]) -> str:
        words = []
        for one in _ONE.finditer(found["run"]):
            words.append(ARGUMENT_OPTIONS[one["arg"]])
            value = one["value"]
            if value[0] in "'\"":  # quoted as the shell reads it, not as Python does
                words.append(shlex.quote(ast.literal_eval(value)))
            elif value not in ("True", "..."):
                words.append(value)
        return ("use " if found["verb"] else "") + " ".join(words)

    def commanded(found: re.Match[str]) -> str:
        paths = ast.literal_eval(f"[{found['paths']}]")
        argv = shlex.join(["forensic", *FUNCTION_COMMANDS[found["function"]], *paths])
        options = _MENTIONS.sub(optioned, found["run"]) if found["run"] else ""
        return f"`{argv} {options}`" if options else f"`{argv}`"

    return _MENTIONS.sub(optioned, _CALL.sub(commanded, text))
