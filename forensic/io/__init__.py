"""Reading and writing spectrum files: one entry point, one module per format.

:func:`read_spectrum` and :func:`read_spectra` choose the reader from the file's content (its
first bytes), and only then from its extension, so a file with a misleading name is still read
right or refused clearly. Each format module declares a :class:`Format`; the order of
:data:`_FORMAT_MODULES` is the order in which their sniffers are asked.

Adding a reader
---------------
1. A module ``forensic/io/<format>.py`` defining ``FORMAT = Format(name=..., description=...,
   extensions=..., sniff=..., read=..., text=...)`` (see :class:`Format`). ``read`` raises
   :class:`~forensic.errors.FormatError` naming the file (and, in text, the line) for anything
   it cannot read; a binary reader reads through :class:`forensic.io._binary.BinaryFile`, whose
   every read is checked against the file. ``text`` sets the size of file it is given.
2. Its registration: the module's name in :data:`_FORMAT_MODULES`, before ``text`` (plain
   text is what is left when no other sniffer claims a file). Its extensions then count as
   spectrum files everywhere (:func:`spectrum_extensions`: library folders, ``validate``).
3. A builder of a small valid file of the format in ``SAMPLES`` of
   ``tests/test_io_contract.py`` (a test fails until there is one): the contract then checks
   that the file is recognised by its content, reads, is refused when cut short at any of
   several points and gives spectra or :class:`~forensic.errors.FormatError` with random
   bytes after its start. What only this format does goes in ``tests/test_io_<format>.py``,
   whose ``write`` fixture (``tests/conftest.py``) names a file ``sample`` with the format's
   first extension.
4. Its extensions in the table of formats of ``docs/spectrum-files.md`` (a test compares the two).

A vendor's *text* export (another instrument's CSV or TXT) needs no reader of its own:
:mod:`forensic.io.text` reads it once its header keys and column names are in that module's
tables (``_TIME_KEYS``, ``_LASER_KEYS``, ``_STANDARD_FROM_HEADER``, ``_Y_WORDS``...); add a test
of an export in ``tests/test_io_text.py``.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import re
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

from forensic.errors import ForensicError, FormatError
from forensic.files import atomic_write_bytes
from forensic.io._binary import MAX_FILE_BYTES
from forensic.io._containers import container_problem
from forensic.spectrum import Spectrum

__all__ = [
    "Format",
    "available_formats",
    "check_spectrum_count",
    "file_sha256",
    "is_spectrum_file",
    "read_spectra",
    "read_spectrum",
    "spectrum_extensions",
    "spectrum_writer",
    "stated_laser_nm",
    "write_spectrum",
]

LASER_STATED_FORMATS = ("text", "jcamp")
"""The formats whose axis may be a scattered-light wavelength (nm) that the laser wavelength
makes Raman shift: the ones :func:`read_spectra` takes a stated ``laser_nm`` for (the binary
formats state their own, and convert their axis themselves)."""

LASER_STATED_BASIS = "stated"
"""The ``laser_wavelength_basis`` of a laser wavelength stated to :func:`read_spectra`."""

NOT_A_NUMBER = re.compile(r"[-+]?(?:nan|inf|infinity)", re.IGNORECASE)
"""NaN and infinity as exports write them (``nan``, ``NaN``, ``-inf``, ``Infinity``): a text
reader refuses such a value by name, as not a number, wherever its table has it."""

_STATED_LASER: ContextVar[float | None] = ContextVar("stated_laser", default=None)

SNIFF_BYTES = 8192
"""How much of the start of a file the sniffers see."""

MAX_TEXT_BYTES = 256 << 20
"""The largest text spectrum file read (:attr:`Format.text`: JCAMP-DX, delimited text): a
spectrum's text is well under a megabyte, and a text file is held in memory several times
over while it is parsed, so a larger one (a wrong file, a map export) is refused before it
fills a laptop's memory."""

MAX_BINARY_BYTES = MAX_FILE_BYTES
"""The largest binary spectrum file read (SPC, OPUS, SPA, WDF): each is read into memory whole
(:data:`forensic.io._binary.MAX_FILE_BYTES`, which the binary readers check themselves too)."""

MAX_SPECTRA_PER_FILE = 10_000
"""The most spectra read from one file. A spectrum costs about 2 kB however few its points, so
a file within the size limits could still ask for gigabytes (a 16 MB table of 400 000 sample
columns took 45 s and 0.9 GB): a map, a corrupt subfile count or a table turned sideways is
refused by its count before any spectrum is built. Libraries and series hold hundreds."""


def check_spectrum_count(
    count: int, what: str, *, path: str | os.PathLike | None, line: int | None = None
) -> None:
    """Refuse a file that would give more than :data:`MAX_SPECTRA_PER_FILE` spectra.

    Readers call it with the count their file declares or its layout implies, before they
    build any spectrum.

    Parameters
    ----------
    count : int
        How many spectra reading the file would give.
    what : str
        What they are, for the message ("sample columns", "subfiles (fnsub)").
    path : str or path-like or None
        The file.
    line : int, optional
        The line that declares them (text formats).

    Raises
    ------
    FormatError
        When ``count`` exceeds :data:`MAX_SPECTRA_PER_FILE`.
    """
    if count > MAX_SPECTRA_PER_FILE:
        raise FormatError(
            f"holds {count} spectra ({what}): more than the {MAX_SPECTRA_PER_FILE} read from "
            "one file (a map, or a corrupt count?); export the spectra you need into smaller "
            "files",
            path=path,
            line=line,
        )


@dataclass(frozen=True)
class Format:
    """A file format the toolkit reads (and perhaps writes).

    Attributes
    ----------
    name : str
        Short name used by ``format=`` and shown by ``forensic inspect`` ("jcamp", "spc", ...).
    description : str
        What the format is, for people ("JCAMP-DX 4.24/5.x").
    extensions : tuple of str
        Lower-case extensions with the dot, used only when no sniffer claims a file.
    sniff : callable (head: bytes, path: Path) -> bool
        True when the first :data:`SNIFF_BYTES` bytes look like this format.
    read : callable (path: Path) -> list of Spectrum
        Reads every spectrum in the file; raises :class:`FormatError` (or its subclass
        :class:`~forensic.errors.NotVibrationalError`) naming the file and, for text, the line.
    write : callable (spectrum: Spectrum) -> bytes, optional
        Serialises one spectrum; :func:`write_spectrum` writes the bytes atomically.
    text : bool
        Whether the format is text (parsed in memory, several times its size) rather than
        binary (read into memory whole, every size in it checked against the file). Required,
        by keyword, so that every reader states it: it sets :attr:`max_bytes`.
    """

    name: str
    description: str
    extensions: tuple[str, ...]
    sniff: Callable[[bytes, Path], bool]
    read: Callable[[Path], list[Spectrum]]
    write: Callable[[Spectrum], bytes] | None = None
    text: bool = field(kw_only=True)

    @property
    def max_bytes(self) -> int:
        """The largest file (bytes) :func:`read_spectra` hands to :attr:`read`:
        :data:`MAX_TEXT_BYTES` for a text format, :data:`MAX_BINARY_BYTES` for a binary one.
        A larger file (a wrong file, a map export) is refused before it is read."""
        return MAX_TEXT_BYTES if self.text else MAX_BINARY_BYTES


_FORMAT_MODULES = (
    "forensic.io.jcamp",
    "forensic.io.spc",
    "forensic.io.opus",
    "forensic.io.spa",
    "forensic.io.wdf",
    "forensic.io.text",  # last: plain text is what is left when no binary format claims a file
)

_formats: list[Format] | None = None


def available_formats() -> list[Format]:
    """All registered formats, in the order their sniffers are asked.

    Returns
    -------
    list of Format
        A new list each call: JCAMP-DX, SPC, OPUS, SPA, WDF, then text.
    """
    global _formats
    if _formats is None:
        _formats = [importlib.import_module(name).FORMAT for name in _FORMAT_MODULES]
    return list(_formats)


def spectrum_extensions() -> frozenset[str]:
    """Every extension a registered reader takes (lower case, with the dot: ``.jdx``, ``.0`` to
    ``.9`` for OPUS, ``.txt``...): the one list of which file names are spectrum files.

    Returns
    -------
    frozenset of str
        The union of the :attr:`Format.extensions` of :func:`available_formats`, so a new
        reader's extensions count as soon as it is registered.
    """
    return frozenset(e for fmt in available_formats() for e in fmt.extensions)


def is_spectrum_file(path: str | os.PathLike) -> bool:
    """Whether a registered reader takes ``path`` for its format, as :func:`read_spectra`
    chooses one: by its extension (:func:`spectrum_extensions`), or by its first bytes when
    its extension is none of those (a JCAMP-DX file saved without one).

    Whether it then reads is the reader's to say: a ``notes.txt`` is a spectrum file by this
    rule, as it is to :func:`read_spectra`, and reading it says why it holds no spectrum.

    Parameters
    ----------
    path : str or path-like
        A file; one that cannot be opened is not a spectrum file.

    Returns
    -------
    bool
    """
    path = Path(path)
    if path.suffix.lower() in spectrum_extensions():
        return True
    try:
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError:
        return False
    if not head or container_problem(head, path) is not None:
        return False  # an archive or office document holds a spectrum file, is none
    return any(fmt.sniff(head, path) for fmt in available_formats())


def _format_named(name: str) -> Format:
    for fmt in available_formats():
        if fmt.name == name:
            return fmt
    known = ", ".join(f.name for f in available_formats())
    raise FormatError(f"unknown format {name!r}; known formats: {known}")


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 (hex) of a file's bytes, read in blocks.

    Parameters
    ----------
    path : str or path-like
        The file.

    Returns
    -------
    str
        64 lower-case hex digits.

    Raises
    ------
    OSError
        The file cannot be read.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _choose_format(path: Path, head: bytes) -> Format:
    formats = available_formats()
    for fmt in formats:
        if fmt.sniff(head, path):
            return fmt
    suffix = path.suffix.lower()
    for fmt in formats:
        if suffix in fmt.extensions:
            return fmt
    raise FormatError("not a spectrum file this toolkit recognises", path=path)


def stated_laser_nm() -> float | None:
    """The laser wavelength (nm) stated for the file being read (:func:`read_spectra`'s
    ``laser_nm``), for a reader of :data:`LASER_STATED_FORMATS`; None when none was stated.

    Returns
    -------
    float or None
    """
    return _STATED_LASER.get()


def read_spectra(
    path: str | os.PathLike, *, format: str | None = None, laser_nm: float | None = None
) -> list[Spectrum]:
    """Read every spectrum in a file.

    Parameters
    ----------
    path : str or path-like
        The file.
    format : str, optional
        Force a reader by name (see :func:`available_formats`); by default it is chosen from the
        file's content, then its extension.
    laser_nm : float, optional
        The excitation wavelength (nm) of a Raman spectrum, stated by the user (``library
        import --laser-nm``): a text or JCAMP-DX file whose axis is a wavelength in nm and
        that names no laser line becomes Raman shift with it. It replaces a laser wavelength
        the file names, which is kept as ``laser_wavelength_file`` in the metadata (the
        caller decides whether that may be replaced); ``laser_wavelength_basis`` is
        ``"stated"``. Refused for another format, which states its own.

    Returns
    -------
    list of Spectrum
        Each with ``source_file`` (the resolved absolute path), ``source_sha256`` and
        ``source_format`` in its metadata.

    Raises
    ------
    FormatError
        The file is missing, empty, corrupt, or not a format we read; an archive, a compressed
        file or an office document (an Excel workbook) is named as such. Its subclass
        :class:`~forensic.errors.NotVibrationalError` says the file holds another kind of data
        (NMR, mass spectrum, interferogram, ...).
    """
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
            size = os.fstat(handle.fileno()).st_size  # of the file opened, gone or not since
    except FileNotFoundError:
        raise FormatError("no such file", path=path) from None
    except IsADirectoryError:
        raise FormatError("is a folder, not a file", path=path) from None
    except OSError as exc:
        raise FormatError(f"cannot be opened: {exc.strerror}", path=path) from None
    if not head:
        raise FormatError("the file is empty", path=path)
    # before any sniffer: a ZIP's "PK" reads as an SPC version byte, gzip as binary data
    contained = container_problem(head, path)
    if contained is not None:
        raise FormatError(contained, path=path)
    fmt = _format_named(format) if format else _choose_format(path, head)
    if size > fmt.max_bytes:
        raise FormatError(
            f"{_megabytes(size)} is too large for a {fmt.description} spectrum file (at most "
            f"{_megabytes(fmt.max_bytes)} are read; one spectrum's file is well under 1 MB): "
            "is it the right file?",
            path=path,
        )
    if laser_nm is not None and fmt.name not in LASER_STATED_FORMATS:
        raise FormatError(
            f"a laser wavelength can be stated only for a text or JCAMP-DX file (an axis in "
            f"nm); this {fmt.description} file gives its own Raman shift axis",
            path=path,
        )
    if laser_nm is not None and not 150.0 <= float(laser_nm) <= 2000.0:
        raise FormatError(
            f"a stated laser wavelength of {laser_nm} nm is not a Raman laser line (150-2000 "
            "nm: 532, 785, 1064, ...)",
            path=path,
        )
    token = _STATED_LASER.set(None if laser_nm is None else float(laser_nm))
    try:
        spectra = fmt.read(path)
    except FormatError:
        raise
    except (ValueError, IndexError, KeyError, OverflowError, UnicodeDecodeError) as exc:
        # A reader hit data it did not expect: corrupt or truncated content.
        raise FormatError(
            f"corrupt or truncated {fmt.description} file ({exc})", path=path
        ) from None
    except ForensicError as exc:
        raise FormatError(str(exc), path=path) from None
    finally:
        _STATED_LASER.reset(token)
    if not spectra:
        raise FormatError(f"no spectrum found in this {fmt.description} file", path=path)
    sha = file_sha256(path)
    return [_stamp_source(s, path, sha, fmt.name) for s in spectra]


def _megabytes(size: int) -> str:
    """A file size in MB, with a decimal where a whole number would hide it (0.004 MB)."""
    return f"{size / 2**20:.0f} MB" if size >= 10 << 20 else f"{size / 2**20:.2g} MB"


_SOURCE_KEYS = ("source_file", "source_sha256", "source_format")


def _stamp_source(spectrum: Spectrum, path: Path, sha: str, format_name: str) -> Spectrum:
    """Record the file a spectrum was read from, keeping where it first came from.

    A file this toolkit wrote (a conversion, an export, an acquisition) carries the source of
    its own origin; that is kept as ``original_source_*`` (the first origin wins) before
    ``source_*`` is set to the file just read, so a chain of conversions never loses the raw file.
    ``source_file`` is the resolved absolute path: a relative one says nothing of where the file
    was once the working folder is another, and the same file must be recorded the same way
    however it was named (``library import`` keeps it as ``imported_file``, which the library
    version covers).
    """
    meta = dict(spectrum.metadata)
    if meta.get("source_sha256") not in (None, "", sha):
        for key in _SOURCE_KEYS:
            if key in meta:
                meta.setdefault(f"original_{key}", meta[key])
    meta.update(source_file=str(path.resolve()), source_sha256=sha, source_format=format_name)
    return spectrum.replace(metadata=meta)


def read_spectrum(path: str | os.PathLike, *, format: str | None = None) -> Spectrum:
    """Read the one spectrum in a file (see :func:`read_spectra` for parameters and errors).

    Parameters
    ----------
    path : str or path-like
        The file.
    format : str, optional
        Force a reader by name (see :func:`available_formats`).

    Returns
    -------
    Spectrum
        The spectrum, with ``source_file``, ``source_sha256`` and ``source_format`` in its
        metadata.

    Raises
    ------
    FormatError
        Also when the file holds several spectra: use :func:`read_spectra` for those.
    """
    spectra = read_spectra(path, format=format)
    if len(spectra) > 1:
        raise FormatError(
            f"holds {len(spectra)} spectra; read them with read_spectra", path=Path(path)
        )
    return spectra[0]


_WRITERS_BY_EXTENSION = {".jdx": "jcamp", ".dx": "jcamp", ".jcamp": "jcamp", ".csv": "text"}


def write_spectrum(
    spectrum: Spectrum,
    path: str | os.PathLike,
    *,
    format: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Write a spectrum as JCAMP-DX (``.jdx``, ``.dx``) or CSV (``.csv``), chosen by extension.

    The file appears complete or not at all (:func:`forensic.files.atomic_write`); an existing
    file is kept unless ``overwrite``. Missing folders on the way are created. Both formats
    read back as the same spectrum (numbers, modality, unit, metadata and history).

    Parameters
    ----------
    spectrum : Spectrum
        What to write.
    path : str or os.PathLike
        The file to create. Its extension chooses the format unless ``format`` is given:
        ``.jdx``, ``.dx``, ``.jcamp`` JCAMP-DX 5.01; ``.csv`` our CSV (case does not matter).
    format : str, optional
        The name of a format that writes (``"jcamp"``, ``"text"``), whatever the extension.
    overwrite : bool, default False
        Replace an existing file.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    FormatError
        No writer for the extension, no format of that name, or a format that is only read.
    forensic.files.OutputExistsError
        ``path`` exists (or another writer created it meanwhile) and ``overwrite`` is false.
    forensic.files.OutputError
        ``path`` is a folder or cannot be written there, or writing failed.
    """
    fmt = spectrum_writer(path, format=format)
    return atomic_write_bytes(path, fmt.write(spectrum), overwrite=overwrite)


def spectrum_writer(path: str | os.PathLike, *, format: str | None = None) -> Format:
    """The format :func:`write_spectrum` writes ``path`` in, or why it cannot.

    A command that writes a spectrum asks before it measures or reads anything, and before
    it looks at the file there: a name it cannot write is said first (``--out x.txt`` was
    refused after the laser had fired, and a TARGET that existed was refused as existing, then,
    with ``--force``, by its extension).

    Parameters
    ----------
    path : str or os.PathLike
        The file to write; its extension chooses the format unless ``format`` is given.
    format : str, optional
        The name of a format that writes, whatever the extension.

    Returns
    -------
    Format
        The format, whose ``write`` is not None.

    Raises
    ------
    FormatError
        No writer for the extension, no format of that name, or a format that is only read.
    """
    path = Path(path)
    name = format or _WRITERS_BY_EXTENSION.get(path.suffix.lower())
    if name is None:
        raise FormatError(
            f"cannot choose a writer for extension {path.suffix!r}: use .jdx, .dx or .csv",
            path=path,
        )
    fmt = _format_named(name)
    if fmt.write is None:
        raise FormatError(f"the {fmt.description} format is read-only here", path=path)
    return fmt
