"""The toolkit's own files: output files checked before work and written whole, and the cache.

Every module that writes a file (a spectrum, a report, a bundle, a library, a manifest) writes
it through :func:`atomic_write`, so that a reader never sees half a file, and a command checks
its outputs (:func:`check_outputs`) before the work whose result must not be lost on them.
Compiled libraries and the memos of their checks are kept in :func:`library_cache_dir`.

Not in :mod:`forensic.io`, which reads and writes *spectrum* files: the library (the
identification core, which never imports io) saves its own file format and its check memos
with these. It imports nothing of the toolkit but its errors and :mod:`forensic.arguments`
(which imports nothing), so any module may use it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import BinaryIO

from platformdirs import user_cache_dir

from forensic.arguments import ARGUMENT_OPTIONS, argument
from forensic.errors import ForensicError

__all__ = [
    "CACHE_ENV",
    "REPLACE_OPTION",
    "OutputError",
    "OutputExistsError",
    "atomic_write",
    "atomic_write_bytes",
    "check_output_names",
    "check_outputs",
    "check_writable",
    "library_cache_dir",
    "not_overwritten",
]

CACHE_ENV = "FORENSIC_CACHE_DIR"
"""Environment variable that overrides the cache folder of compiled libraries."""


def library_cache_dir() -> Path:
    """Folder of compiled libraries and their check memos: ``$FORENSIC_CACHE_DIR`` or the
    user cache.

    Returns
    -------
    Path
        The folder (not created here).
    """
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    return Path(user_cache_dir("forensic"))


class OutputExistsError(ForensicError, FileExistsError):
    """An output file exists and overwriting it was not asked for."""


REPLACE_OPTION = ARGUMENT_OPTIONS["overwrite"]
"""The option of every command that replaces an output that exists."""


def not_overwritten(
    path: str | os.PathLike, *, replace: str = "overwrite=True", what: str = "already exists"
) -> str:
    """Why an output that exists was refused, and how to replace it: told to a Python caller
    as its function's argument, to the command line as its option
    (:func:`~forensic.arguments.with_command_line_options`).

    Parameters
    ----------
    path : path-like
        The output.
    replace : str, default "overwrite=True"
        What replaces it: the argument of the function called (``force=True`` where it is
        named so), or a command's option (:data:`REPLACE_OPTION`).
    what : str, default "already exists"
        What is in the way.

    Returns
    -------
    str
        The message.

    Examples
    --------
    >>> not_overwritten("lib.flib")
    'lib.flib: already exists; not overwritten (pass overwrite=True to replace it)'
    >>> not_overwritten("out", replace="--force", what="exists and is not empty")
    'out: exists and is not empty; not overwritten (use --force to replace it)'
    """
    if replace.startswith("--"):
        how = f"use {replace}"
    else:  # the argument, checked to have its option: the command line says that
        how = f"pass {argument(replace.removesuffix('=True'))}"
    return f"{os.fspath(path)}: {what}; not overwritten ({how} to replace it)"


class OutputError(ForensicError):
    """An output file cannot be written there (a folder in its place, no permission, a
    read-only or full disk...)."""


def check_writable(
    path: str | os.PathLike, *, overwrite: bool = False, make_folders: bool = True
) -> Path:
    """Make sure ``path`` can be written, before work whose result must not be lost on it.

    Creates the missing folders (unless ``make_folders`` is false) and a probe file beside
    ``path`` (removed at once): a scan checks its report files before it records anything,
    ``acquire`` its output before the laser fires.

    Parameters
    ----------
    path : path-like
        The file to be written.
    overwrite : bool
        Replace an existing file (else one that exists is refused).
    make_folders : bool
        Create the folders ``path`` needs. False refuses a folder that does not exist: where
        the file is evidence to carry away (a report, a bundle), a mistyped folder (a USB
        stick's mount point misspelt, or not mounted) must not quietly put it on the laptop.

    Returns
    -------
    Path
        ``path``, as a :class:`~pathlib.Path`.

    Raises
    ------
    OutputExistsError
        ``path`` exists and ``overwrite`` is false.
    OutputError
        ``path`` is a folder, a file stands where one of its folders should be, its folder
        does not exist and ``make_folders`` is false, or no file can be created beside it.
    """
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{path}: is a folder; give a file name")
    if path.exists() and not overwrite:
        raise OutputExistsError(not_overwritten(path))
    existing = next((folder for folder in path.parents if folder.exists()), None)
    if existing is not None and not existing.is_dir():
        raise OutputError(f"{path}: {existing} is a file, not a folder")
    if not make_folders and not path.parent.exists():
        missing = path.parent
        while not missing.parent.exists() and missing.parent != missing:
            missing = missing.parent
        raise OutputError(
            f"{path}: the folder {missing} does not exist (a mistyped path, or a USB stick "
            "not mounted?): give a folder that exists, or create it first"
        )
    probe = path.parent / f".{path.name}.{secrets.token_hex(6)}.probe"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        os.unlink(probe)
    except OSError as exc:
        raise OutputError(f"{path}: cannot be written ({exc.strerror or exc})") from None
    return path


def check_outputs(
    outputs: Mapping[str, str | os.PathLike | None],
    *,
    overwrite: bool = False,
    keep_off: Mapping[str | os.PathLike, str] | None = None,
    make_folders: bool = True,
) -> list[Path]:
    """Make sure each of a command's output files can be written, that no two of them are
    the same file, and that none is a file the command must never write over, before work
    whose result must not be lost on them.

    Two outputs given one path would be written one over the other: the last one written
    (a JSON or text report) would stand where the first (the PDF) was said to be. An output
    given the path of the evidence store (with ``--force``) would put a PDF where the
    records were.

    Parameters
    ----------
    outputs : mapping of str to path-like or None
        Each output by the argument of the function called that names it
        (``{"report_path": ..., "json_path": ...}``, each one of
        :data:`~forensic.arguments.ARGUMENT_OPTIONS`: a message names it so to a Python
        caller, and by its option, ``--report``, to the command line), in the order they are
        written; None is an output not asked for.
    overwrite : bool
        Replace existing files (else one that exists is refused), as :func:`check_writable`.
    keep_off : mapping of path-like to str, optional
        Files and folders no output may be, or be in, each with what it is in words: those
        an evidence store owns (:func:`forensic.custody.store.store_files`). Checked first,
        whether they exist yet or not, so that the refusal says what the file is.
    make_folders : bool
        Create the folders the outputs need (else a folder that does not exist is refused),
        as :func:`check_writable`.

    Returns
    -------
    list of Path
        The paths given, in order.

    Raises
    ------
    OutputError
        An output is, or is in, one of ``keep_off`` (the message says which, and what it is),
        or two outputs name the same file (the same path once resolved, or links to one
        file): the message names both arguments.
    OutputExistsError, OutputError
        As :func:`check_writable`, for each path.
    """
    check_output_names(outputs, keep_off=keep_off)
    return [
        check_writable(path, overwrite=overwrite, make_folders=make_folders)
        for path in outputs.values()
        if path is not None
    ]


def check_output_names(
    outputs: Mapping[str, str | os.PathLike | None],
    *,
    keep_off: Mapping[str | os.PathLike, str] | None = None,
) -> None:
    """The checks of :func:`check_outputs` on what the outputs name, not on the files there:
    that none is, or is in, a file the command must never write over, and that no two are
    the same file. A command with checks of its own on the names (a report's kind by its
    suffix) makes them between these and the files' (one that exists, a missing folder).

    Parameters
    ----------
    outputs : mapping of str to path-like or None
        Each output by the argument that names it, as :func:`check_outputs`.
    keep_off : mapping of path-like to str, optional
        Files and folders no output may be, or be in, as :func:`check_outputs`.

    Raises
    ------
    OutputError
        As :func:`check_outputs`: an output is, or is in, one of ``keep_off``, or two outputs
        name the same file.
    """
    given = [(name, Path(path)) for name, path in outputs.items() if path is not None]
    for name, path in given:
        for owned, what in (keep_off or {}).items():
            if _same_file(path, Path(owned)):
                raise OutputError(
                    f"{output_named(name, path)} is {what}: an output written there would "
                    f"destroy it; give {argument(name, ...)} another file (nothing was written)"
                )
            if _inside(path, Path(owned)):
                raise OutputError(
                    f"{output_named(name, path)} is inside {what} ({owned}), which only "
                    f"forensic writes: give {argument(name, ...)} a file elsewhere (nothing was "
                    "written)"
                )
    for index, (name, path) in enumerate(given):
        for earlier, other in given[:index]:
            if _same_file(path, other):
                raise OutputError(
                    f"{argument(earlier, ...)} and {argument(name, ...)} both name {other}: one "
                    "would be written over the other; give each its own file"
                )


def output_named(name: str, path: str | os.PathLike) -> str:
    """An output file as a message names it: the argument that gives it, with its path, as a
    Python caller writes it (``report_path='/media/usb/A1.pdf'``); the command line says
    ``--report /media/usb/A1.pdf`` (:func:`~forensic.arguments.with_command_line_options`).

    Parameters
    ----------
    name : str
        The argument, one of :data:`~forensic.arguments.ARGUMENT_OPTIONS`.
    path : path-like
        The file.

    Returns
    -------
    str
        ``name='path'``.

    Examples
    --------
    >>> output_named("pdf_path", "A1.pdf")
    "pdf_path='A1.pdf'"
    """
    return argument(name, os.fspath(path))


def _resolved(path: Path) -> str:
    """A path as the file system names it: links followed, letter case as the system compares it."""
    return os.path.normcase(os.path.realpath(path))


def _same_file(one: Path, other: Path) -> bool:
    """Whether two paths name one file: the same once resolved, or links to the same file."""
    if _resolved(one) == _resolved(other):
        return True
    try:
        return os.path.samefile(one, other)
    except OSError:  # either does not exist yet: not the same file
        return False


def _inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` lies in ``folder`` (or below it), once both are resolved."""
    inner, outer = _resolved(path), _resolved(folder)
    return inner != outer and inner.startswith(outer.rstrip(os.sep) + os.sep)


def atomic_write(
    path: str | os.PathLike,
    write: Callable[[BinaryIO], None],
    *,
    overwrite: bool = False,
    make_folders: bool = True,
) -> Path:
    """Create ``path`` all at once: a reader never sees a half-written file.

    ``write`` is called with a binary file open on a temporary file beside ``path`` (it may seek
    and write in pieces, so large files need not be held in memory); the file is flushed to disk
    and then put in place. The temporary file is removed on any failure.

    Parameters
    ----------
    path : str or path-like
        The file to create.
    write : callable
        ``write(handle)``: writes the file's content to the binary file ``handle``.
    overwrite : bool
        Replace an existing file (else one that exists is refused).
    make_folders : bool
        Create the folders ``path`` needs. False refuses a folder that does not exist, as
        :func:`check_writable` does: a report or a bundle checked before anything was
        recorded must not be written into a folder made anew where a USB stick pulled out
        since was mounted, on the laptop, and said written.

    Returns
    -------
    Path
        The path written, as :func:`check_writable` gives it.

    Raises
    ------
    OutputExistsError
        When ``path`` exists and ``overwrite`` is false, also if another writer created it while
        this one was writing: an existing file is never clobbered.
    OutputError
        The file cannot be written there (see :func:`check_writable`), or writing it failed.
    """
    path = check_writable(path, overwrite=overwrite, make_folders=make_folders)
    # Not mkstemp: its files are 0600; an output file gets the usual umask-based permissions.
    tmp = str(path.parent / f".{path.name}.{secrets.token_hex(6)}.part")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise OutputError(f"{path}: cannot be written ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            # link() fails if another writer created the file meanwhile: never clobber it.
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise OutputExistsError(f"{path}: already exists; not overwritten") from None
            finally:
                os.unlink(tmp)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(exc, OSError) and not isinstance(exc, ForensicError):
            raise OutputError(f"{path}: writing failed ({exc.strerror or exc})") from exc
        raise
    return path


def atomic_write_bytes(
    path: str | os.PathLike, data: bytes, *, overwrite: bool = False, make_folders: bool = True
) -> Path:
    """Write ``data`` to ``path`` all at once (see :func:`atomic_write`).

    Parameters
    ----------
    path : str or path-like
        The file to create.
    data : bytes
        Its whole content.
    overwrite : bool
        Replace an existing file (else one that exists is refused).
    make_folders : bool
        Create the folders ``path`` needs (see :func:`atomic_write`).

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    OutputExistsError, OutputError
        As :func:`atomic_write`.
    """
    return atomic_write(
        path, lambda handle: handle.write(data), overwrite=overwrite, make_folders=make_folders
    )
