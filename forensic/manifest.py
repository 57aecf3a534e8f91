"""The manifest of a library folder: ``manifest.csv``, one row per reference, read one way.

Building a library (:meth:`forensic.library.Library.from_folder`), curating it
(:mod:`forensic.curation`: validate, info, list, import, export, publish) and the simulators'
sample names (:mod:`forensic.samples`) all read a manifest with :func:`read_manifest`, so they
agree on which rows a manifest holds:

- UTF-8 text, with or without the byte order mark a spreadsheet writes ("CSV UTF-8");
- cells separated by commas, or by semicolons (or tabs) where the header line holds no comma:
  a spreadsheet set to a European locale saves "CSV" with semicolons, and its decimal commas
  would otherwise split cells;
- a header line naming the columns (:data:`MANIFEST_COLUMNS`; a lab's own columns are kept,
  and :func:`refuse_unknown_columns` refuses those that are not a manifest's for the commands
  whose manifest has no place for them; an import's manifest has :data:`STATED_COLUMNS` too),
  spaces around a name ignored, no name twice;
- comment lines: a line whose first cell starts with ``#`` (``# re-measured 2026-03, see
  notebook 12``; a spreadsheet saves it as ``"# ...",,,``) is a chemist's note, anywhere, also
  above the header. A note belongs to the row below it (:attr:`ManifestRow.comments`), or, above
  the header and after the last row, to the manifest (:class:`ManifestRows`), so that a tool
  that sorts and rewrites the manifest (``library import``) keeps each note where it belongs;
- empty lines, and rows whose every cell is empty or spaces (a spreadsheet's ``,,,,``), are
  skipped;
- one row per reference file: a second row for the same file is refused, naming both lines,
  since one file would otherwise be counted twice by some tools and once by others.

Every error names the manifest and, for a row, its line in the file (comment and empty lines
counted). This module imports nothing of ours but the errors, so the core
(:mod:`forensic.library`) and the edges use it alike.
"""

from __future__ import annotations

import csv
import difflib
import io
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from forensic.arguments import argument
from forensic.errors import LibraryError

__all__ = [
    "IMPORT_COLUMNS",
    "MANIFEST_COLUMNS",
    "MANIFEST_NEEDS",
    "OPTIONAL_FIELDS",
    "REQUIRED_FIELDS",
    "STATED_COLUMNS",
    "WAIVER_SEPARATOR",
    "WRITTEN_WHEN_FILLED",
    "ManifestRow",
    "ManifestRows",
    "inchikey_problem",
    "is_manifest",
    "read_manifest",
    "refuse_unknown_columns",
    "split_waivers",
    "unknown_columns",
    "waivers_text",
]

MANIFEST_COLUMNS = [
    "id",
    "file",
    "name",
    "synonyms",
    "cas",
    "inchikey",
    "class",
    "legal_control",
    "salt_form",
    "modality",
    "provenance",
    "source",
    "licence",
    "added_by",
    "added_at",
    "waivers",
]
"""The columns of a library manifest, in order (``file`` relative to the manifest).

``inchikey`` holds the substance's standard InChIKey (:func:`inchikey_problem`): with it, a
substance that has no CAS number yet (a new psychoactive substance) is identified without
one; one of ``cas`` and ``inchikey`` is required (:func:`forensic.curation.validate_library`).

``waivers`` holds the quality gates a reference is let pass, each with the reason it was
allowed (``axis: mineral reference, the instrument's range``; several separated by ``;``):
:func:`forensic.curation.validate_library` reads them."""

STATED_COLUMNS = ("y_unit", "laser_nm")
"""The columns of an import's manifest (``forensic library import --manifest``) that state
what a file leaves unsaid, or says wrongly, about its own spectrum: its intensity unit
(``y_unit``) and the laser wavelength in nm of a Raman spectrum (``laser_nm``), as the
options ``--y-unit`` and ``--laser-nm`` do for one file. They describe the file read, not
the reference written from it (that file then holds the unit and the Raman shift, and
records the statement), so a library folder's ``manifest.csv`` has no such columns."""

IMPORT_COLUMNS = (*MANIFEST_COLUMNS, *STATED_COLUMNS)
"""The columns of an import's manifest: :data:`MANIFEST_COLUMNS` and :data:`STATED_COLUMNS`."""

OPTIONAL_FIELDS = ("synonyms", "inchikey", "legal_control", "salt_form", "waivers")
"""Manifest fields a reference may leave empty (``cas`` may be left empty too where
``inchikey`` is given: :func:`forensic.curation.validate_library` checks one of them)."""

WRITTEN_WHEN_FILLED = ("inchikey",)
"""Manifest columns written back (:func:`forensic.curation.format_manifest`) only when a row
fills one: a column added after manifests were written without it (the shipped library's),
so that writing such a manifest back leaves its header, and its files' digest, as they were."""

REQUIRED_FIELDS = tuple(c for c in MANIFEST_COLUMNS if c not in OPTIONAL_FIELDS)
"""Manifest fields every reference must fill: every column but :data:`OPTIONAL_FIELDS`."""

MANIFEST_NEEDS = ("file", "name")
"""The columns without which a CSV is no manifest (:func:`is_manifest`)."""


WAIVER_SEPARATOR = ";"
"""What separates two waivers in a manifest's ``waivers`` cell (a reason cannot hold it)."""


_INCHIKEY = re.compile(r"[A-Z]{14}-[A-Z]{10}-[A-Z]")


def inchikey_problem(key: str) -> str | None:
    """What is wrong with the form of a standard InChIKey, or None when it has that form.

    A standard InChIKey (IUPAC) is 27 characters: 14 upper-case letters (the hash of the
    skeleton), a hyphen, 10 upper-case letters (the hash of stereochemistry and isotopes,
    the 9th ``S`` for a standard key, the 10th the version, ``A``), a hyphen, and one
    upper-case letter (protonation, ``N`` for neutral): ``RZVAJINKPMORJF-UHFFFAOYSA-N``
    (paracetamol). Only the form is checked: the key is a hash, with no check digit, so a
    typing slip of one letter in its body cannot be told here.

    Parameters
    ----------
    key : str
        The key as written; white space around it is ignored.

    Returns
    -------
    str or None
        None for a key of that form; else what is wrong, with the key and the form
        expected (a key in lower case is named as such, since InChIKeys are upper case).
    """
    text = str(key).strip()
    if _INCHIKEY.fullmatch(text):
        return None
    form = (
        "a standard InChIKey is 14 upper-case letters, a hyphen, 10, a hyphen and 1 "
        "(RZVAJINKPMORJF-UHFFFAOYSA-N)"
    )
    if _INCHIKEY.fullmatch(text.upper()):
        return f"InChIKey {text!r} is in lower case: {form}; write {text.upper()}"
    if text.upper().startswith("INCHIKEY="):
        return f"InChIKey {text!r} starts with 'InChIKey=': give the key alone ({form})"
    return f"InChIKey {text!r} is not one: {form}"


def split_waivers(cell: str | None) -> list[tuple[str, str]]:
    """The waivers a manifest's ``waivers`` cell holds: ``(gate, reason)`` pairs, as written.

    ``axis: mineral reference, the instrument's range; spikes: 1130 cm-1 is a real band``
    gives ``[("axis", "mineral reference, the instrument's range"), ("spikes", "1130 cm-1 is
    a real band")]``: waivers are separated by :data:`WAIVER_SEPARATOR`, each is the gate's
    name, a colon and the reason. Nothing is judged here (the validation refuses an unknown
    gate, a waiver without a reason, a gate waived twice), so that every reader of a
    manifest reads a cell alike, also one with such a fault.

    Parameters
    ----------
    cell : str or None
        The cell's text.

    Returns
    -------
    list of (str, str)
        Each waiver's gate name (stripped, in lower case) and reason (stripped; ``""`` when
        the waiver has no colon, or nothing after it), in the order written; empty parts
        between separators are left out.
    """
    out = []
    for part in str(cell or "").split(WAIVER_SEPARATOR):
        if not part.strip():
            continue
        gate, _, reason = part.partition(":")
        out.append((gate.strip().lower(), reason.strip()))
    return out


def waivers_text(cell: str | None) -> str:
    """A ``waivers`` cell in one spelling: ``gate: reason`` pairs sorted by gate, joined by
    ``"; "`` (what a compiled library keeps, so that spacing and order change no version).

    Parameters
    ----------
    cell : str or None
        The cell's text (:func:`split_waivers`).

    Returns
    -------
    str
        The waivers, ``""`` when there are none.
    """
    return "; ".join(f"{gate}: {reason}" for gate, reason in sorted(split_waivers(cell)))


class ManifestRow(dict):
    """One row of a manifest: column name -> stripped value, the ``line`` it starts on, and
    the ``comments`` (the chemist's note lines) directly above it.

    A plain ``dict`` in every other way (a copy of it is a plain dict without ``line`` or
    ``comments``), so rows can be edited and written back
    (:func:`forensic.curation.write_manifest`, which writes each row's comments above it).
    """

    line: int = 0
    comments: tuple[str, ...] = ()
    """Each comment line above the row, as CSV text (``# checked by B. Chemist``), in order."""


class ManifestRows(list):
    """The rows of a manifest, in file order, and the comment lines that belong to no row.

    A plain ``list`` of :class:`ManifestRow` in every other way (a slice or a copy is a plain
    list without the comments).

    Attributes
    ----------
    header_comments : tuple of str
        The comment lines above the header line, as CSV text.
    closing_comments : tuple of str
        The comment lines after the last row, as CSV text.
    columns : tuple of str
        The column names of the header line, in its order (empty names left out): the
        manifest's columns and the lab's own (:func:`unknown_columns` tells them apart).
    header_line : int
        The line of the file the header is on (comment and empty lines above it counted).
    """

    header_comments: tuple[str, ...] = ()
    closing_comments: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    header_line: int = 0

    def with_rows(self, rows: Iterable[ManifestRow]) -> ManifestRows:
        """Other rows (an edited copy of these) with this manifest's comment lines above its
        header and after its rows, to be written back in their place.

        Parameters
        ----------
        rows : iterable of ManifestRow
            The rows, each with its own ``comments``.

        Returns
        -------
        ManifestRows
        """
        out = ManifestRows(rows)
        out.header_comments, out.closing_comments = self.header_comments, self.closing_comments
        return out


def _is_comment(cells: list[str]) -> bool:
    """Whether a line of cells is a chemist's note: its first cell starts with ``#``."""
    return bool(cells) and cells[0].lstrip().startswith("#")


def _is_blank(cells: list[str]) -> bool:
    """Whether a line holds nothing: no cell, or only empty ones (``,,,,``)."""
    return all(not cell.strip() for cell in cells)


def _as_text(cells: list[str]) -> str:
    """A comment line's cells as the CSV text that reads back as the same cells."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(cells)
    return buffer.getvalue()


def _text(path: Path) -> str:
    """The manifest's text: UTF-8 with or without a byte order mark."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise LibraryError(f"{path}: no such manifest") from None
    except IsADirectoryError:
        raise LibraryError(f"{path}: is a folder, not a manifest CSV") from None
    except OSError as exc:
        raise LibraryError(f"{path}: manifest cannot be read ({exc.strerror})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise LibraryError(
            f"{path}: line {line}: unreadable manifest (byte 0x{raw[exc.start]:02x} is not "
            "UTF-8 text): save it as CSV UTF-8"
        ) from None


_DELIMITERS = (";", "\t")
"""The separators other than a comma that a spreadsheet saves "CSV" with: ``;`` where the
decimal separator is a comma (a European locale), a tab ("Text, tab delimited")."""


def _delimiter(path: Path, text: str) -> str:
    """The separator of the manifest's cells: a comma, unless the header line, read with
    commas, is one cell that holds a semicolon (or a tab): then that."""
    try:
        names, _ = _header(path, csv.reader(io.StringIO(text, newline="")))
    except LibraryError:  # a stray quote: read it with commas, which names the line
        return ","
    if len(names) == 1:
        for delimiter in _DELIMITERS:
            if delimiter in names[0]:
                return delimiter
    return ","


def _reader(path: Path, text: str):
    """A CSV reader of the manifest's text, with the separator it is written with."""
    return csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(path, text))


def _next_cells(path: Path, reader) -> list[str] | None:
    """The next row's cells (None at the end of the file); a line the CSV reader cannot parse
    (a stray quote) is a :class:`LibraryError` naming it."""
    try:
        return next(reader, None)
    except csv.Error as exc:
        raise LibraryError(f"{path}: line {reader.line_num}: unreadable manifest ({exc})") from None


def _header(path: Path, reader) -> tuple[list[str], list[str]]:
    """The column names of the header line, stripped (an empty name stands for no column),
    and the comment lines above it; empty lines above it are skipped."""
    comments = []
    while True:
        cells = _next_cells(path, reader)
        if cells is None:
            return [], comments
        if _is_comment(cells):
            comments.append(_as_text(cells))
        elif not _is_blank(cells):
            return [h.strip() for h in cells], comments


def is_manifest(path: str | os.PathLike) -> bool:
    """Whether the header line of ``path`` names :data:`MANIFEST_NEEDS`.

    What makes a ``manifest.csv`` in a folder the folder's manifest (a curated library folder)
    rather than a spectrum file or a lab's own table. Only the header line (the first line
    that is neither empty nor a comment, within the first 64 KB) is decided on: a
    manifest with a fault further down is still the folder's manifest, and reading it
    (:func:`read_manifest`) says where the fault is, rather than the folder being taken for
    one without a manifest.
    """
    try:
        with open(path, "rb") as handle:
            start = handle.read(1 << 16)  # the header, after any notes above it
    except OSError:
        return False
    text = start.decode("utf-8-sig", errors="replace")
    try:
        names, _ = _header(Path(path), _reader(Path(path), text))
    except LibraryError:
        return False
    return set(names) >= set(MANIFEST_NEEDS)


def read_manifest(
    path: str | os.PathLike,
    *,
    required: Sequence[str] = MANIFEST_NEEDS,
    filled: Sequence[str] | None = None,
) -> ManifestRows:
    """Rows of a manifest CSV, in file order, with every column of :data:`MANIFEST_COLUMNS`.

    Parameters
    ----------
    path : path-like
        The CSV (UTF-8, a byte order mark allowed; cells separated by commas, or by
        semicolons or tabs where the header line holds no comma; a header line with the
        column names; extra columns are kept, and named in the rows' ``columns``; comment
        lines, whose first cell starts with ``#``, are kept as comments; empty lines and rows
        of empty cells are skipped).
    required : sequence of str
        Columns the header must name.
    filled : sequence of str, optional
        Columns every row must fill (default: ``required``). Building a library fills only
        ``file``: a reference whose row leaves ``name`` empty is named by its file.

    Returns
    -------
    ManifestRows
        A list of :class:`ManifestRow`: values stripped; missing columns as ``""``; the keys
        :data:`MANIFEST_COLUMNS` in order, then the file's other columns in its order; each
        row's ``line`` is the line of the file it starts on, its ``comments`` the comment lines
        above it. The comment lines above the header and after the last row are the list's
        ``header_comments`` and ``closing_comments``; its ``columns`` are the header's names,
        ``header_line`` the header's line.

    Raises
    ------
    LibraryError
        Missing file or column, a column named twice, an empty filled value, a file listed
        by two rows (with their lines), text that is not UTF-8 or not CSV (with its line).
    """
    path = Path(path)
    filled = required if filled is None else filled
    reader = _reader(path, _text(path))
    names, header_comments = _header(path, reader)
    twice = sorted({n for n in names if n and names.count(n) > 1})
    if twice:
        raise LibraryError(
            f"{path}: line {reader.line_num}: the column(s) {', '.join(twice)} appear more "
            "than once in the header: which one holds the value?"
        )
    missing = [c for c in required if c not in names]
    if missing:
        found = ", ".join(n for n in names if n) or "none"
        raise LibraryError(
            f"{path}: manifest lacks the column(s) {', '.join(missing)} (found: {found})"
        )
    rows = ManifestRows()
    rows.header_comments = tuple(header_comments)
    rows.columns = tuple(n for n in names if n)
    rows.header_line = reader.line_num
    comments: list[str] = []  # above the next row
    first_line: dict[Path, ManifestRow] = {}
    again: list[str] = []
    end = reader.line_num
    while True:
        start = end + 1
        cells = _next_cells(path, reader)
        end = reader.line_num
        if cells is None:
            break
        if _is_comment(cells):
            comments.append(_as_text(cells))
            continue
        if _is_blank(cells):  # an empty line, or a spreadsheet's row of empty cells
            continue
        row = ManifestRow.fromkeys(MANIFEST_COLUMNS, "")
        row.update({n: v.strip() for n, v in zip(names, cells, strict=False) if n})
        row.line = start
        row.comments, comments = tuple(comments), []
        empty = [c for c in filled if not row.get(c)]
        if empty:  # "empty file" would read as a file with nothing in it
            raise LibraryError(
                f"{path}: line {start}: empty column"
                + ("s " if len(empty) > 1 else " ")
                + ", ".join(repr(c) for c in empty)
            )
        if row["file"]:
            key = (path.parent / row["file"]).resolve()
            if key in first_line:
                earlier = first_line[key]
                spelt = "" if earlier["file"] == row["file"] else f", as {earlier['file']!r}"
                again.append(
                    f"line {start} lists {row['file']!r} again (first on line {earlier.line}"
                    f"{spelt})"
                )
            else:
                first_line[key] = row
        rows.append(row)
    rows.closing_comments = tuple(comments)
    if again:
        raise LibraryError(
            f"{path}: {'; '.join(again)}: a reference file has one row; delete or correct the "
            "extra row (left in, one file would count as two references)"
        )
    return rows


def unknown_columns(
    path: str | os.PathLike, rows: ManifestRows, columns: Sequence[str] = MANIFEST_COLUMNS
) -> str | None:
    """What to say of the columns of a manifest that are not ``columns``, each with the
    column nearest to it in spelling.

    A manifest that a command imports or builds from has a place for its columns only: the
    value of a misspelt column (``license``, ``synonym``, ``clas``) or of a column of another
    tool's (``aliases``, ``category``) would be lost without a word, so the command refuses
    it, naming each (a library folder's own ``manifest.csv`` keeps a lab's own columns).

    Parameters
    ----------
    path : path-like
        The manifest, as the message names it.
    rows : ManifestRows
        Its rows, as :func:`read_manifest` gave them (their ``columns`` and ``header_line``).
    columns : sequence of str, default MANIFEST_COLUMNS
        The columns the command has a place for (:data:`IMPORT_COLUMNS` for an import).

    Returns
    -------
    str or None
        None when every column is one of ``columns``; else the manifest, the header's line
        and, for each unknown name in the header's order, ``'license': did you mean
        'licence'?`` where a column is near in spelling (:mod:`difflib`, a ratio of 0.75 or
        more, letter case set aside: near enough for a slip of the keyboard, not for another
        word, ``aliases`` for ``class``), ``'y_unit': a column of an import's manifest`` for
        a column of :data:`STATED_COLUMNS` where ``columns`` has none, else ``'aliases': no
        such column``; then the columns, and that the values would be lost. The caller says
        how to go on (:func:`refuse_unknown_columns`).
    """
    said = []
    for name in rows.columns:
        if name in columns:
            continue
        near = difflib.get_close_matches(name.lower(), list(columns), n=1, cutoff=0.75)
        if name in STATED_COLUMNS:
            said.append(
                f"{name!r}: a column of an import's manifest (what a file leaves unsaid about "
                "its spectrum), applied when the file is imported (forensic library import "
                "--manifest), not here"
            )
        elif near:
            said.append(f"{name!r}: did you mean {near[0]!r}?")
        else:
            said.append(f"{name!r}: no such column")
    if not said:
        return None
    return (
        f"{path}: line {rows.header_line}: {'; '.join(said)} (the manifest columns are "
        f"{', '.join(columns)}): their values would be lost"
    )


_DONE = {"import": "imported", "build": "built"}


def refuse_unknown_columns(
    path: str | os.PathLike,
    rows: ManifestRows,
    *,
    command: str,
    ignore: bool = False,
    columns: Sequence[str] = MANIFEST_COLUMNS,
) -> str | None:
    """Refuse a manifest given to a command that has columns the command has no place for.

    The one rule for every manifest a chemist gives a command (``library import --manifest``,
    ``library build --manifest``, :meth:`forensic.library.Library.from_folder` with a
    ``manifest``): a column that is not one of ``columns`` is refused, naming each with the
    nearest one (:func:`unknown_columns`), before anything is read or written, unless
    ``ignore`` says to leave them out. A library folder's own ``manifest.csv`` is not checked:
    it keeps a lab's own columns.

    Parameters
    ----------
    path : path-like
        The manifest, as the message names it.
    rows : ManifestRows
        Its rows, as :func:`read_manifest` gave them.
    command : {"import", "build"}
        What the manifest is given to, for the message ("not imported: ...").
    ignore : bool, default False
        Leave the unknown columns out (``--ignore-columns``) instead of refusing.
    columns : sequence of str, default MANIFEST_COLUMNS
        The columns the command has a place for.

    Returns
    -------
    str or None
        None when every column is known; with ``ignore``, a note naming the columns left out.

    Raises
    ------
    LibraryError
        When a column is unknown and ``ignore`` is false: ``not built: <the columns, as
        unknown_columns says them>; correct the header, or build without them
        (ignore_columns=True); nothing was written``, the argument said as the option
        (``--ignore-columns``) at the command line
        (:func:`~forensic.arguments.with_command_line_options`).
    """
    unknown = unknown_columns(path, rows, columns)
    if unknown is None:
        return None
    if not ignore:
        raise LibraryError(
            f"not {_DONE.get(command, command)}: {unknown}; correct the header, or {command} "
            f"without them ({argument('ignore_columns')}); nothing was written"
        )
    names = ", ".join(repr(c) for c in rows.columns if c not in columns)
    return f"{Path(path).name}: column(s) {names} not read ({argument('ignore_columns')})"
