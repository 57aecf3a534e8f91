"""JCAMP-DX (4.24, 5.x): reader for Raman and IR spectra, decoder for every block, writer.

The reader is written here rather than taken from the ``jcamp`` package because a forensic
reader has to *check* what it decodes: the DIF y-check of every line, the abscissa of every
line, ``NPOINTS``/``FIRSTX``/``LASTX``/``FIRSTY`` against the data, and has to name the file and
line of each fault. It must also refuse NMR, mass spectra, ion mobility, UV/VIS, structures and
interferograms by name, and return each block of a ``LINK`` file. (Measured on the official
test files: the ``jcamp`` package 1.3.2 reads a DIF table with an edited value and a table with
ten lost lines without raising, and loses 25 points of ``BRUKER2.JCM`` to its own y-check.)

Layers
------
* :func:`decode_jcamp_blocks` turns JCAMP-DX text into :class:`Block` objects (labels and
  decoded x/y arrays in the file's own units, after ``XFACTOR``/``YFACTOR``), for any data type.
* :func:`read` (the registry's reader) classifies each block, refuses what is not a vibrational
  spectrum with :class:`~forensic.errors.NotVibrationalError`, converts units and builds
  :class:`~forensic.spectrum.Spectrum` objects with standard metadata.
* :func:`write` writes JCAMP-DX 5.01 AFFN that this reader reads back exactly: axis and
  intensities bit for bit, modality, unit, metadata and processing history.

``##YUNITS=TRANSMITTANCE`` is the only transmittance JCAMP-DX 4.24 names, and files in the wild
hold it as a fraction (NIST) or in percent (the IUPAC test file ``BRUKER1.JCM``): the reader
tells them apart by their values, and readers that take it as the fraction I/I0 are right by
the standard. So the writer stores percent transmittance as the percent values with
``##YFACTOR=0.01``: every reader that applies the factor gets the fraction, and this one, from
its own ``##$FORENSIC Y UNIT=``, the exact percent values of the table.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np

from forensic.errors import FormatError, NotVibrationalError, SpectrumError
from forensic.io import (
    LASER_STATED_BASIS,
    NOT_A_NUMBER,
    Format,
    check_spectrum_count,
    stated_laser_nm,
)
from forensic.spectrum import (
    ASSUMED_AXIS_UNIT_BASIS,
    GUESSED_UNIT_BASIS,
    MAX_MAGNITUDE,
    STANDARD_METADATA_KEYS,
    TRANSMITTANCE_SCALE_RULE,
    ProcessingStep,
    Spectrum,
    transmittance_scale,
)

__all__ = [
    "FORMAT",
    "Block",
    "decode_jcamp_blocks",
    "normalise_label",
    "read",
    "read_text",
    "sniff",
    "write",
]

# -- labels ------------------------------------------------------------------------------------

_LABEL_LINE = re.compile(r"^\s*##([^=]*)=(.*)$")
_DATA_LABELS = {"XYDATA", "XYPOINTS", "PEAKTABLE", "DATATABLE", "PEAKASSIGNMENTS"}
_MAX_POINTS = 4_000_000
"""More decoded values than this in one table is corrupt input, not a spectrum."""
_ABSENT = object()


def normalise_label(label: str) -> str:
    """JCAMP-DX label name in canonical form: upper case without spaces, '-', '/', '_'.

    The standard makes these characters insignificant, so ``DATA TYPE`` and ``DATATYPE``,
    ``JCAMP-DX`` and ``JCAMPDX`` are the same label. A leading ``$`` (user label) or ``.``
    (NMR label) is kept.

    Parameters
    ----------
    label : str
        A label name as written, without ``##`` and ``=``.

    Returns
    -------
    str
        The canonical name (``"DATATYPE"``).
    """
    return re.sub(r"[\s\-/_]", "", label).upper()


def _strip_comment(text: str) -> str:
    cut = text.find("$$")
    return text if cut < 0 else text[:cut]


# -- decoded blocks ----------------------------------------------------------------------------


@dataclass
class Block:
    """One JCAMP-DX block, decoded.

    Attributes
    ----------
    title : str
        The ``##TITLE=`` value.
    labels : dict of str to str
        Every label of the block by normalised name (see :func:`normalise_label`), first
        occurrence, comments removed, multi-line values joined with newlines.
    label_lines : dict of str to int
        1-based line of each label in ``labels``.
    raw_labels : list of (str, str, int)
        Every label as written (name, value, line), in file order.
    data_label : str or None
        The label that introduced the data table (``XYDATA``, ``XYPOINTS``, ``PEAKTABLE``...).
    data_form : str or None
        Its variable list, e.g. ``(X++(Y..Y))`` or ``(XY..XY)``.
    x, y : ndarray of float64, shape (n,), or None
        The decoded abscissa and ordinate in the file's units, ``XFACTOR``/``YFACTOR`` applied,
        in file order. None when the block holds no data table (or an ``NTUPLES`` table).
    y_table : ndarray of float64, shape (n,), or None
        The ordinate as the table writes it, before ``YFACTOR`` (``y`` is ``y_table * YFACTOR``).
    line : int
        1-based line of the block's ``##TITLE=``.
    parent : Block or None
        The enclosing ``LINK`` block, if any.
    children : list of Block
        The blocks a ``LINK`` block encloses, in file order.
    warnings : list of str
        Header values that disagree with the data without making it unreadable (a wrong
        ``FIRSTY``).
    page : str or None
        For a page of an ``NTUPLES`` block, its ``##PAGE=`` value (``"N=1"``, ``"T= 272"``).
    pages : list of Block
        The pages of an ``NTUPLES`` block, each decoded like a block of its own (``x``/``y``
        with the variables' ``FACTOR``, ``FIRST``, ``LAST`` applied).
    """

    title: str
    labels: dict[str, str] = field(default_factory=dict)
    label_lines: dict[str, int] = field(default_factory=dict)
    raw_labels: list[tuple[str, str, int]] = field(default_factory=list)
    data_label: str | None = None
    data_form: str | None = None
    x: np.ndarray | None = None
    y: np.ndarray | None = None
    y_table: np.ndarray | None = field(default=None, repr=False)
    line: int = 1
    parent: Block | None = field(default=None, repr=False)
    children: list[Block] = field(default_factory=list, repr=False)
    _data_line: int = field(default=0, repr=False)
    _data: list[str] = field(default_factory=list, repr=False)
    warnings: list[str] = field(default_factory=list)
    page: str | None = None
    pages: list[Block] = field(default_factory=list, repr=False)

    def get(self, label: str, default: str | None = None) -> str | None:
        """A label's value by any spelling (``"DATA TYPE"`` or ``"DATATYPE"``)."""
        return self.labels.get(normalise_label(label), default)


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
"""The byte-order marks that start a UTF-16 text file (little-, big-endian)."""


def _to_text(data: bytes | str, path: Path | None) -> str:
    if isinstance(data, str):
        text = data
    elif data.startswith(_UTF16_BOMS):  # Windows "Unicode" exports: NUL bytes are expected
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise FormatError(f"broken UTF-16 text at byte {exc.start}", path=path) from None
    else:
        nul = data.find(b"\x00")
        if nul >= 0:
            line = data.count(b"\n", 0, nul) + 1
            raise FormatError(
                "binary data (a NUL byte) where JCAMP-DX text was expected", path=path, line=line
            )
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            # Old instrument software writes Latin-1 / cp1252 in free-text labels.
            text = data.decode("latin-1")
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise FormatError(
            "binary data (a NUL byte) where JCAMP-DX text was expected", path=path, line=line
        )
    return text.lstrip("\ufeff")


def _parse_structure(text: str, path: Path | None) -> list[Block]:
    """Split text into blocks with labels and raw data lines (nothing decoded yet)."""
    lines = text.splitlines()
    stack: list[Block] = []
    top: list[Block] = []
    current_label: str | None = None  # normalised label whose value continues on next lines
    in_data = False
    page: Block | None = None  # the open page of an NTUPLES block
    # The lines continuing current_label's value, joined once the label ends: added one by one
    # to the value, 800 000 of them took a minute (and a file at the size limit, days).
    continued: list[str] = []
    for number, raw in enumerate(lines, start=1):
        match = _LABEL_LINE.match(raw)
        if match is None:
            if not stack:
                continue  # text outside any block is ignored, as the standard allows
            block = stack[-1] if page is None else page
            if in_data:
                block._data.append(raw)
            elif current_label is not None:
                extra = _strip_comment(raw).strip()
                if extra:
                    continued.append(extra)
            continue
        name = match.group(1).strip()
        norm = normalise_label(name)
        if norm.startswith("$$"):
            continue  # "##$$ ..." is a comment line
        value = _strip_comment(match.group(2)).strip()
        if continued:
            _continue_label(stack[-1] if page is None else page, current_label, continued)
            continued = []
        in_data = False
        current_label = None
        if norm == "TITLE":
            block = Block(title=value, line=number)
            if stack:
                parent = stack[-1]
                if parent.data_label is not None or not _is_link(parent):
                    # A new TITLE inside an open block that is not a LINK: the previous block
                    # lost its ##END= (truncated or badly concatenated files).
                    raise FormatError(
                        f"block {parent.title!r} (line {parent.line}) has no ##END= before "
                        "the next ##TITLE=",
                        path=path,
                        line=number,
                    )
                block.parent = parent
                parent.children.append(block)
            else:
                top.append(block)
            stack.append(block)
            block.labels["TITLE"] = value
            block.label_lines["TITLE"] = number
            block.raw_labels.append((name, value, number))
            continue
        if not stack:
            if norm == "END":
                continue
            raise FormatError(
                f"label ##{name}= before the first ##TITLE=: a JCAMP-DX block must start with "
                "##TITLE=",
                path=path,
                line=number,
            )
        block = stack[-1]
        if norm == "END":
            stack.pop()
            page = None
            continue
        if norm == "ENDNTUPLES":
            page = None
            continue
        if norm == "PAGE" and "NTUPLES" in block.labels:
            page = Block(title=block.title, line=number, parent=block, page=value)
            block.pages.append(page)
            page.raw_labels.append((name, value, number))
            continue
        if page is not None:
            page.labels.setdefault(norm, value)
            page.label_lines.setdefault(norm, number)
            page.raw_labels.append((name, value, number))
            if norm in _DATA_LABELS:
                if page.data_label is not None:
                    raise FormatError(
                        f"a second data table in page {page.page!r} of an NTUPLES block",
                        path=path,
                        line=number,
                    )
                page.data_label, page.data_form, page._data_line = norm, value, number
                in_data = True
            else:
                current_label = norm
            continue
        if norm not in block.labels:
            block.labels[norm] = value
            block.label_lines[norm] = number
        block.raw_labels.append((name, value, number))
        if norm in _DATA_LABELS:
            if block.data_label is None:
                block.data_label = norm
                block.data_form = value
                block._data_line = number
            else:
                # Further tables (NTUPLES pages): their lines are kept apart, not decoded.
                block._data.append("\x00PAGE")
            in_data = True
        else:
            current_label = norm
    if stack:
        block = stack[-1]
        raise FormatError(
            f"the file ends inside block {block.title!r} (started line {block.line}) without "
            "##END=: it is truncated",
            path=path,
            line=len(lines),
        )
    if not top:
        raise FormatError("no ##TITLE= label: this is not a JCAMP-DX file", path=path, line=1)
    return top


def _continue_label(block: Block, label: str | None, lines: list[str]) -> None:
    """Append the lines that continue a label's value (its last use in ``block``) to it."""
    name, value, at = block.raw_labels[-1]
    value = "\n".join([value, *lines] if value else lines)
    block.raw_labels[-1] = (name, value, at)
    if label is not None and block.label_lines.get(label) == at:  # the label's first use
        block.labels[label] = value


def _is_link(block: Block) -> bool:
    data_type = normalise_label(block.labels.get("DATATYPE", ""))
    return data_type == "LINK" or "BLOCKS" in block.labels


def _leaves(blocks: list[Block]) -> list[Block]:
    out: list[Block] = []
    pending = list(reversed(blocks))
    while pending:  # depth-first without recursion: nesting depth is input-controlled
        block = pending.pop()
        if block.children:
            pending.extend(reversed(block.children))
        else:
            out.append(block)
    return out


# -- numbers in labels -------------------------------------------------------------------------

_FLOAT_RE = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eEdD][+-]?\d+)?$")


def _label_float(block: Block, label: str, path: Path | None) -> float | None:
    value = block.labels.get(label)
    if value is None or not value.strip():
        return None
    text = value.strip().split()[0] if _FLOAT_RE.match(value.strip().split()[0]) else value
    text = text.replace("D", "E").replace("d", "e")
    if not _FLOAT_RE.match(text):
        raise FormatError(
            f"##{label}= {value!r} is not a number", path=path, line=block.label_lines.get(label)
        )
    number = float(text)
    if not math.isfinite(number):
        raise FormatError(
            f"##{label}= {value!r} is not a finite number",
            path=path,
            line=block.label_lines.get(label),
        )
    return number


def _factor(block: Block, label: str, path: Path | None) -> float:
    """``##XFACTOR=`` or ``##YFACTOR=``: 1 when absent; a FormatError naming the line when 0.

    A factor multiplies every value of the table: 0 would make every x (or y) zero, so it is
    a broken header, not a spectrum to read with some other factor.
    """
    factor = _label_float(block, label, path)
    if factor is None:
        return 1.0
    if factor == 0:
        raise FormatError(
            f"##{label}=0: the factor multiplies every value of the table, so none could be "
            f"read; expected the factor the values were scaled by (1 when they were not)",
            path=path,
            line=block.label_lines.get(label),
        )
    return factor


# -- ASDF / AFFN decoding ------------------------------------------------------------------------

_AFFN_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_AFFN_LINE = re.compile(
    rf"\s*{_AFFN_NUMBER}(?:(?:[\s,;]+[+-]?|[+-])(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)*[\s,;]*"
)
_AFFN_VALUES = re.compile(_AFFN_NUMBER)
_ASDF_TOKEN = re.compile(
    r"([+-]?(?:\d+(?:\.\d*)?|\.\d+))"  # 1 AFFN / PAC number (no exponent: 'E' is SQZ here)
    r"|([@A-Ia-i])(\d*(?:\.\d*)?)"  # 2,3 SQZ: absolute value, first digit in the letter
    r"|([%J-Rj-r])(\d*(?:\.\d*)?)"  # 4,5 DIF: difference to the previous value
    r"|([S-Zs])(\d*)"  # 6,7 DUP: repeat count of the previous token
    r"|(\?)"  # 8 missing value
    r"|([\s,;]+)"  # 9 separators
)
_AT_TERMINATOR = re.compile(r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)\s*@\s*")
_SQZ = {"@": 0, **{c: i + 1 for i, c in enumerate("ABCDEFGHI")}}
_SQZ.update({c: -(i + 1) for i, c in enumerate("abcdefghi")})
_DIF = {"%": 0, **{c: i + 1 for i, c in enumerate("JKLMNOPQR")}}
_DIF.update({c: -(i + 1) for i, c in enumerate("jklmnopqr")})
_DUP = {**{c: i + 1 for i, c in enumerate("STUVWXYZ")}, "s": 9}

_ABS, _DIFF = 0, 1


_TABLE_WORD = re.compile(r"[^\s,;]+")
"""One value of a data line as written, between separators."""


def _as_written(text: str) -> str:
    """A value of a data line as written, quoted; a long one (a run of compressed digits)
    cut short, so the message stays one a technician can read."""
    if len(text) <= 24:
        return repr(text)
    return f"{text[:12] + '...'!r}, {len(text)} characters long"


def _bad_value(
    what: str,
    shown: str,
    column: int,
    where: tuple[int, str, Path | None],
    why: str = "a spectrum must be finite numbers",
) -> FormatError:
    """The one form of the error for a bad value of a data line, naming it and its column:
    ``not a finite number ('1e999') at column 8 in an (X++(Y..Y)) table: ...``; ``where``
    is the line's number, the table's form and the file."""
    number, table, path = where
    return FormatError(
        f"{what} ({shown}) at column {column} in an {table} table: {why}", path=path, line=number
    )


def _not_a_number(word: re.Match[str], number: int, table: str, path: Path | None) -> FormatError:
    """The error for a value of a data line that is not a finite number, named whole with its
    column: NaN, infinity or a word is not a number; a number too large for a float
    (``1e999``) is not a finite one."""
    what = "not a finite number" if _AFFN_VALUES.fullmatch(word.group()) else "not a number"
    return _bad_value(what, _as_written(word.group()), word.start() + 1, (number, table, path))


def _beyond_any_spectrum(
    written: str, column: int, read: float, *, number: int, table: str, path: Path | None
) -> FormatError:
    """The error for a value of a data line beyond :data:`MAX_MAGNITUDE`, named as
    :func:`_not_a_number` names one that is not a number.

    Parameters
    ----------
    written : str
        The value as written in the line (``1e35``, or a compressed token such as ``J5``).
    column : int
        Its column in the line, from 1.
    read : float
        The value it gives once decoded (a difference added to the ordinate before it) and
        scaled by ``##XFACTOR=`` or ``##YFACTOR=``; named too when it is not the value as
        written.
    number : int
        The line's number in the file.
    table : str
        The table's form, ``(X++(Y..Y))`` or ``(XY..XY)``.
    path : Path or None
        The file, named in the message.
    """
    plain = _AFFN_VALUES.fullmatch(written) and float(written) == read
    shown = _as_written(written) + ("" if plain else f", read as {read:.3g}")
    why = f"at most {MAX_MAGNITUDE:.0e}; a corrupt file, or a wrong exponent or factor"
    return _bad_value("beyond what any spectrum holds", shown, column, (number, table, path), why)


def _refuse_not_finite(text: str, number: int, table: str, path: Path | None) -> None:
    """Refuse a line of plain numbers that holds one too large for a float (``1e999``),
    naming it: read, it would be infinity."""
    for value in _AFFN_VALUES.finditer(text):
        if not math.isfinite(float(value.group())):
            raise _not_a_number(value, number, table, path)


def _refuse_not_a_number(text: str, number: int, table: str, path: Path | None) -> None:
    """Refuse a data line that holds NaN or infinity (``nan``, ``-inf``...), naming it.

    Only a whole value between separators is one: ASDF writes its values without separators,
    so such letters there (``n`` a DIF, ``a`` a SQZ digit) are compressed digits, while
    ``400 nan 0.4`` would otherwise decode as three values, or be named by its first letter.
    """
    for word in _TABLE_WORD.finditer(text):
        if NOT_A_NUMBER.fullmatch(word.group()):
            raise _not_a_number(word, number, table, path)


_NOT_A_FIRST_ORDINATE = frozenset("%JKLMNOPQRjklmnopqrSTUVWXYZs")
"""The DIF and DUP letters: a difference or a repeat count, which an ASDF line cannot open its
ordinates with (it opens them with a value, the DIF y-check included)."""

_LINE_VALUE = re.compile(r"[+-]*(?:[^\s,;+-]|(?<=[eE])[+-])+|[+-]+")
"""One value of a line of plain numbers as written: between separators, or after the sign that
starts a PAC value (``+10153+10154``); the sign of an exponent stays with its number."""


def _is_word(value: str) -> bool:
    """A value that is a word: letters (``NA``), or no digit at all (``-``); not ``?``, the
    missing value the decoder names as such, nor a number with a stray character, which the
    decoder names by that character."""
    if "?" in value or _AFFN_LINE.fullmatch(value):
        return False
    return any(ch.isalpha() for ch in value) or not any(ch.isdigit() for ch in value)


_PSEUDO_DIGITS = re.compile(r"[@A-Ia-i%J-Rj-rS-Zs]+")
"""A value written in ASDF letters alone (SQZ, DIF and DUP pseudo-digits): ``@%Z``, a flat run
in DIFDUP form, or ``A``, the value 1."""


def _cannot_be_asdf(cells: list[str]) -> bool:
    """Whether a data line, as its values between separators, breaks the form of every ASDF
    line: an ASDF line opens with its abscissa, a number (``2000A23``, ``16383 B2549``); it
    opens its ordinates with a value (a SQZ letter or digits), not a difference or a repeat
    count; and a value of it without digits is ASDF letters alone (``@%Z``). ``NA`` where the
    abscissa is, ``absent`` (``t`` is no ASDF letter), ``N/A``, ``#N/A`` and a lone ``-``
    break it; ``A`` (the value 1) and ``ERR`` (5, 14, 23) do not."""
    if not cells:  # separators alone: no value to tell by
        return False
    first, ordinates = cells[0], cells[1:]
    if not any(ch.isdigit() for ch in first):
        return True
    if ordinates and _AFFN_LINE.fullmatch(first) and ordinates[0][0] in _NOT_A_FIRST_ORDINATE:
        return True
    return any(
        "?" not in cell  # the missing value, named as such by the decoder
        and not any(ch.isdigit() for ch in cell)
        and not _PSEUDO_DIGITS.fullmatch(cell)
        for cell in ordinates
    )


def _stray_word(text: str, plain_table: bool) -> re.Match[str] | None:
    """The value of an ``(X++(Y..Y))`` line that is a word in plain numbers, or None.

    A line is compressed (ASDF) data only if it is consistently so, and a word (R's ``NA``,
    ``NULL``, ``missing``, ``-``) in a line of plain numbers is not: the decoder would read its
    letters as digits (``NA``: a difference of 5, then the value 1), and in a table without
    ``##NPOINTS=`` nothing would count the values. Each line of the real ASDF tables (the
    official test files, Bruker, ISAS, Shimadzu, Spectrafile exports) opens its ordinates with
    a value (a SQZ letter) and holds letters, so the line is plain numbers when

    * another of its ordinates stands alone between separators as plain numbers
      (``400 1.2 NA 3.4``),
    * its table has lines of plain numbers (``401 NA`` among ``400 1.2`` and ``402 1.3``), or
    * the line cannot be ASDF (:func:`_cannot_be_asdf`): a word where its abscissa is
      (``NA``), its ordinates opening with a DIF or DUP letter (``401 NULL``), or a value
      without digits that is not ASDF letters alone (``401 absent``, ``401 N/A``), in a
      table of one line too.

    A word of ASDF letters alone in a table of such lines (``401 ERR`` as its one line) is
    what ASDF would write for the values 5, 14 and 23: nothing in the line tells it from
    them, so it is decoded, and the point count (``##NPOINTS=``, the 16 points a spectrum
    needs) refuses it.

    Parameters
    ----------
    text : str
        The data line, comment removed.
    plain_table : bool
        Whether other lines of the table are plain numbers (AFFN or PAC, no letters).

    Returns
    -------
    re.Match or None
        The line's first word (see :func:`_is_word`) when the line is plain numbers.
    """
    cells = [cell.group() for cell in _TABLE_WORD.finditer(text)]
    plain = plain_table or any(_AFFN_LINE.fullmatch(cell) for cell in cells[1:])
    if not plain and not _cannot_be_asdf(cells):
        return None
    return next((v for v in _LINE_VALUE.finditer(text) if _is_word(v.group())), None)


def _letter_value(table: dict[str, int], letter: str, rest: str) -> float:
    digit = table[letter]
    text = f"{abs(digit)}{rest}"
    return -float(text) if digit < 0 else float(text)


def _tokenise_asdf(line: str, number: int, path: Path | None):
    """One ASDF line -> (x, kinds, values, repeat counts, tokens) or raise FormatError.

    ``tokens`` holds the abscissa's and then each ordinate's token as written with its
    column (from 1), for the error that names a value beyond what a spectrum holds.
    """
    kinds: list[int] = []
    values: list[float] = []
    reps: list[int] = []
    tokens: list[tuple[str, int]] = []
    x_value: float | None = None
    position = 0
    end = len(line)
    while position < end:
        match = _ASDF_TOKEN.match(line, position)
        if match is None:
            raise FormatError(
                f"unexpected character {line[position]!r} at column {position + 1} in "
                "compressed (ASDF) data",
                path=path,
                line=number,
            )
        position = match.end()
        if match.group(9) is not None:
            continue
        if match.group(8) is not None:
            raise FormatError(
                "a missing value '?' in the data table: the spectrum is incomplete",
                path=path,
                line=number,
            )
        group = next(g for g in (1, 2, 4, 6) if match.group(g) is not None)
        if x_value is None:
            if group != 1:
                raise FormatError(
                    "a data line must start with its abscissa (an AFFN number), found "
                    f"{match.group(0)!r}",
                    path=path,
                    line=number,
                )
            x_value = float(match.group(1))
            tokens.append((match.group(0), match.start() + 1))
            continue
        if group != 6:
            tokens.append((match.group(0), match.start() + 1))
        if group == 1:
            kinds.append(_ABS)
            values.append(float(match.group(1)))
            reps.append(1)
        elif group == 2:
            kinds.append(_ABS)
            values.append(_letter_value(_SQZ, match.group(2), match.group(3)))
            reps.append(1)
        elif group == 4:
            kinds.append(_DIFF)
            values.append(_letter_value(_DIF, match.group(4), match.group(5)))
            reps.append(1)
        else:  # DUP
            if not kinds:
                raise FormatError(
                    f"a DUP count {match.group(0)!r} with no value before it on the line",
                    path=path,
                    line=number,
                )
            count = _DUP[match.group(6)]
            digits = match.group(7)
            if digits:
                if len(digits) > 9:
                    raise FormatError(
                        f"DUP count {match.group(0)!r} is absurdly large", path=path, line=number
                    )
                count = int(f"{count}{digits}")
            if count < 1 or reps[-1] != 1:
                raise FormatError(f"invalid DUP count {match.group(0)!r}", path=path, line=number)
            reps[-1] = count
    return x_value, kinds, values, reps, tokens


def _table_lines(block: Block):
    """The raw lines of a block's (first) data table, up to the next NTUPLES page's."""
    for raw in block._data:
        if raw == "\x00PAGE":
            return
        yield raw


def _decode_x_yy(block: Block, path: Path | None) -> tuple[np.ndarray, np.ndarray]:
    """Decode an ``(X++(Y..Y))`` table with the DIF y-check and the abscissa checks."""
    line_x: list[float] = []
    line_first: list[int] = []  # index in the undropped y stream of each line's first y
    line_numbers: list[int] = []
    line_starts_dif_check: list[bool] = []
    all_kinds: list[int] = []
    all_values: list[float] = []
    all_reps: list[int] = []
    all_tokens: list[tuple[str, int, int]] = []  # each ordinate as written: text, column, line
    line_x_tokens: list[tuple[str, int]] = []  # each line's abscissa as written: text, column
    total = 0
    last_kind_dif = False
    at_terminator = False
    stated = _label_float(block, "NPOINTS", path)
    npoints_text = "nothing" if stated is None else f"{stated:g}"
    limit = _MAX_POINTS if stated is None else int(min(_MAX_POINTS, 2 * max(stated, 0) + 1000))
    # A line of letters among lines of plain numbers holds a word: ASDF tables have no such line.
    plain_table = any(
        _AFFN_LINE.fullmatch(text) and len(_AFFN_VALUES.findall(text)) >= 2
        for text in (_strip_comment(raw) for raw in _table_lines(block))
    )
    for offset, raw in enumerate(block._data):
        number = block._data_line + 1 + offset
        if raw == "\x00PAGE":
            break
        text = _strip_comment(raw)
        if not text.strip():
            continue
        kinds: list[int]
        values: list[float]
        reps: list[int]
        numbers = _AFFN_VALUES.findall(text) if _AFFN_LINE.fullmatch(text) else []
        if len(numbers) >= 2:
            # Plain numbers, whatever their size: 'E' in '1e999' is an exponent here, as in
            # '1e99', not a SQZ digit. A lone number ('32767E13') is an abscissa and a SQZ
            # value written together, and is decoded as such below.
            _refuse_not_finite(text, number, "(X++(Y..Y))", path)
            x_value = float(numbers[0])
            values = [float(v) for v in numbers[1:]]
            kinds = [_ABS] * len(values)
            reps = [1] * len(values)
            tokens = [(v.group(), v.start() + 1) for v in _AFFN_VALUES.finditer(text)]
        elif numbers:
            x_value, kinds, values, reps, tokens = _tokenise_asdf(text, number, path)
        else:
            _refuse_not_a_number(text, number, "(X++(Y..Y))", path)
            word = _stray_word(text, plain_table)
            if word is not None:
                raise _not_a_number(word, number, "(X++(Y..Y))", path)
            x_value, kinds, values, reps, tokens = _tokenise_asdf(text, number, path)
        if x_value is not None and not math.isfinite(x_value):  # 400 digits in an ASDF line
            written, column = tokens[0]
            where = (number, "(X++(Y..Y))", path)
            raise _bad_value("not a finite number", _as_written(written), column, where)
        if x_value is None:
            raise FormatError("the line's abscissa is not a finite number", path=path, line=number)
        if not kinds:
            raise FormatError(
                "a data line with an abscissa but no ordinate", path=path, line=number
            )
        line_x.append(x_value)
        line_first.append(total)
        line_numbers.append(number)
        line_starts_dif_check.append(last_kind_dif)
        all_kinds.extend(kinds)
        all_values.extend(values)
        all_reps.extend(reps)
        line_x_tokens.append(tokens[0])
        all_tokens.extend((written, column, number) for written, column in tokens[1:])
        total += sum(reps)
        if total > limit:
            raise FormatError(
                f"more than {limit} values in the table (##NPOINTS= says {npoints_text}): "
                "corrupt data",
                path=path,
                line=number,
            )
        last_kind_dif = kinds[-1] == _DIFF
        at_terminator = bool(_AT_TERMINATOR.fullmatch(text))
    if not line_x:
        raise FormatError(
            f"block {block.title!r}: the data table is empty", path=path, line=block._data_line
        )
    kinds_arr = np.repeat(np.asarray(all_kinds, dtype=np.int8), all_reps)
    values_arr = np.repeat(np.asarray(all_values, dtype=np.float64), all_reps)
    # y = (last absolute value) + (sum of differences since it), for the whole table at once.
    is_abs = kinds_arr == _ABS
    if not is_abs[0]:
        raise FormatError(
            "the first ordinate is a difference (DIF) with no absolute value before it",
            path=path,
            line=line_numbers[0],
        )
    with np.errstate(all="ignore"):  # overflow becomes inf and is refused just below
        diffs = np.where(is_abs, 0.0, values_arr)
        running = np.cumsum(diffs)
        group = np.cumsum(is_abs) - 1
        anchor = np.flatnonzero(is_abs)
        y_raw = values_arr[anchor][group] + running - running[anchor][group]
    token_of_point = np.repeat(np.arange(len(all_tokens)), all_reps)
    if not np.all(np.isfinite(y_raw)):
        token = int(token_of_point[int(np.argmax(~np.isfinite(y_raw)))])
        written, column, number = all_tokens[token]
        if all_kinds[token] == _DIFF and math.isfinite(all_values[token]):
            # the differences add up past the largest float, none of them is too large alone
            what = (
                f"{_as_written(written)}, a difference that takes the ordinate past the largest "
                "representable number"
            )
        else:
            what = _as_written(written)
        raise _bad_value("not a finite number", what, column, (number, "(X++(Y..Y))", path))
    xfactor = _factor(block, "XFACTOR", path)
    with np.errstate(over="ignore"):  # a product past the largest float is inf: beyond too
        line_x_arr = np.asarray(line_x) * xfactor
        y_read = y_raw * _factor(block, "YFACTOR", path)
    beyond = []  # the first abscissa and the first ordinate beyond: (line, column, text, read)
    for index in np.flatnonzero(np.abs(line_x_arr) > MAX_MAGNITUDE)[:1]:
        written, column = line_x_tokens[index]
        beyond.append((line_numbers[index], column, written, line_x_arr[index]))
    for index in np.flatnonzero(np.abs(y_read) > MAX_MAGNITUDE)[:1]:
        written, column, number = all_tokens[int(token_of_point[index])]
        beyond.append((number, column, written, y_read[index]))
    if beyond:
        number, column, written, read = min(beyond)
        raise _beyond_any_spectrum(
            written, column, float(read), number=number, table="(X++(Y..Y))", path=path
        )
    first = np.asarray(line_first)
    checked = np.asarray(line_starts_dif_check)
    checked[0] = False
    # DIF y-check: a line after a line that ended in DIF form repeats that line's last ordinate.
    check_lines = np.flatnonzero(checked)
    if check_lines.size:
        here = y_raw[first[check_lines]]
        before = y_raw[first[check_lines] - 1]
        tolerance = 1e-9 * np.maximum(np.abs(before), 1.0)
        bad = np.flatnonzero(np.abs(here - before) > tolerance)
        if bad.size and at_terminator and check_lines[bad[-1]] == len(line_x) - 1:
            # Spectrafile-IR ends a DIF table with "x@", a terminator rather than a y-check
            # (the official SPECFILE.DX): accepted as the very last line only.
            bad = bad[:-1]
            block.warnings.append(
                f"line {line_numbers[-1]}: the table ends with an 'x@' terminator line "
                "instead of a DIF y-check value"
            )
        if bad.size:
            index = int(check_lines[bad[0]])
            raise FormatError(
                f"DIF y-check failed: the line starts with ordinate {here[bad[0]]:g} but the "
                f"previous line ended with {before[bad[0]]:g} (corrupt or edited data)",
                path=path,
                line=line_numbers[index],
            )
    keep = np.ones(y_raw.size, dtype=bool)
    keep[first[check_lines]] = False
    y_raw = y_raw[keep]
    # Index of the point each line's abscissa refers to, in the kept stream.
    dropped_before = np.cumsum(checked)
    point_of_line = first - dropped_before
    n = y_raw.size
    x = _x_axis(block, n, (line_x_arr, point_of_line, line_numbers), path)
    return x, y_raw


def _x_axis(
    block: Block,
    n: int,
    lines: tuple[np.ndarray, np.ndarray, list[int]],
    path: Path | None,
) -> np.ndarray:
    """The abscissa of ``n`` points from the header, checked against each line's x.

    ``lines`` holds each data line's x (``XFACTOR`` applied), the index of the point it labels
    and its line number.
    """
    line_x, point_of_line, line_numbers = lines
    npoints = _label_float(block, "NPOINTS", path)
    if npoints is not None and int(npoints) != n:
        raise FormatError(
            f"##NPOINTS={int(npoints)} but the data table holds {n} values "
            "(truncated or corrupt data)",
            path=path,
            line=block.label_lines.get("NPOINTS"),
        )
    firstx = _label_float(block, "FIRSTX", path)
    lastx = _label_float(block, "LASTX", path)
    deltax = _label_float(block, "DELTAX", path)
    if firstx is None:
        firstx = float(line_x[0])
    if lastx is None:
        if deltax is not None:
            lastx = firstx + deltax * (n - 1)
        elif line_x.size >= 2 and point_of_line[-1] > 0:
            slope = (line_x[-1] - line_x[0]) / point_of_line[-1]
            lastx = firstx + slope * (n - 1)
        else:
            raise FormatError(
                f"block {block.title!r}: no ##LASTX= or ##DELTAX= and too few lines to derive "
                "the axis",
                path=path,
            )
    if n == 1:
        return np.array([firstx])
    x = np.linspace(firstx, lastx, n)
    step = abs(lastx - firstx) / (n - 1)
    # Abscissa check: each line's x is that of its first point, give or take the rounding of
    # the written x. Some writers (NIST) label every line with the x of the point before, so a
    # constant offset of up to one point is accepted; a change of offset along the table means
    # values were lost or added.
    expected = x[np.minimum(point_of_line, n - 1)]
    offset = (line_x - expected) / step if step > 0 else np.zeros_like(line_x)
    typical = float(np.median(offset[1:])) if offset.size > 1 else 0.0
    if abs(typical) > 1.5:
        typical = 0.0
    slack = 0.5 + (1e-6 * np.abs(expected) + 1e-9) / (step if step > 0 else 1.0)
    wrong = np.abs(offset - typical) > slack
    wrong[0] &= abs(offset[0]) > slack[0]  # the first line is labelled exactly by them too
    off = np.flatnonzero(wrong)
    if off.size:
        i = int(off[0])
        raise FormatError(
            f"the line's abscissa {line_x[i]:g} is not that of point {int(point_of_line[i]) + 1} "
            f"({expected[i]:g} from ##FIRSTX=, ##LASTX= and ##NPOINTS=): values are missing or "
            "extra, or the header disagrees with the data",
            path=path,
            line=line_numbers[i],
        )
    return x


def _decode_xy_pairs(block: Block, path: Path | None, width: int) -> tuple[np.ndarray, ...]:
    """Decode ``(XY..XY)`` (width 2) or ``(XYW..XYW)``/``(XYM..XYM)`` (width 3) in AFFN."""
    chunks: list[str] = []
    lines: list[int] = []  # the file's line number of each chunk
    last_line = block._data_line
    for offset, raw in enumerate(block._data):
        number = block._data_line + 1 + offset
        if raw == "\x00PAGE":
            break
        text = _strip_comment(raw)
        if not text.strip():
            continue
        if not _AFFN_LINE.fullmatch(text):
            _refuse_not_a_number(text, number, "(XY..XY)", path)
            word = next((w for w in _TABLE_WORD.finditer(text) if _is_word(w.group())), None)
            if word is not None:  # R's NA, a '-': named whole, not by its first letter
                raise _not_a_number(word, number, "(XY..XY)", path)
            bad = re.search(r"[^\d\s,;+\-.eE]", text)
            where = f" {bad.group(0)!r} at column {bad.start() + 1}" if bad else ""
            raise FormatError(
                f"a value that is not a number{where} in an (XY..XY) table",
                path=path,
                line=number,
            )
        chunks.append(text)
        lines.append(number)
        last_line = number
    numbers = np.array(_AFFN_VALUES.findall(" ".join(chunks)), dtype=np.float64)
    if numbers.size == 0:
        raise FormatError(
            f"block {block.title!r}: the data table is empty", path=path, line=block._data_line
        )
    if numbers.size % width:
        raise FormatError(
            f"the table holds {numbers.size} numbers, not whole groups of {width}: a value is "
            "missing",
            path=path,
            line=last_line,
        )
    if not np.all(np.isfinite(numbers)):
        for text, line in zip(chunks, lines, strict=True):  # rare: found again line by line
            _refuse_not_finite(text, line, "(XY..XY)", path)
    xfactor = _factor(block, "XFACTOR", path)
    factors = np.array([xfactor, _factor(block, "YFACTOR", path), 1.0][:width])
    with np.errstate(over="ignore"):  # a product past the largest float is inf: beyond too
        read = (numbers.reshape(-1, width) * factors).ravel()
    # as written or once scaled: the axis checks below would overflow on either
    huge = np.flatnonzero((np.abs(numbers) > MAX_MAGNITUDE) | (np.abs(read) > MAX_MAGNITUDE))
    if huge.size:
        index = int(huge[0])
        beyond = numbers[index] if abs(numbers[index]) > MAX_MAGNITUDE else read[index]
        for text, line in zip(chunks, lines, strict=True):
            values = list(_AFFN_VALUES.finditer(text))
            if index < len(values):
                value = values[index]
                raise _beyond_any_spectrum(
                    value.group(),
                    value.start() + 1,
                    float(beyond),
                    number=line,
                    table="(XY..XY)",
                    path=path,
                )
            index -= len(values)
    table = numbers.reshape(-1, width)
    x = table[:, 0] * xfactor
    y = table[:, 1]
    npoints = _label_float(block, "NPOINTS", path)
    if npoints is not None and int(npoints) != x.size:
        raise FormatError(
            f"##NPOINTS={int(npoints)} but the table holds {x.size} points (truncated or "
            "corrupt data)",
            path=path,
            line=block.label_lines.get("NPOINTS"),
        )
    for label, got in (("FIRSTX", x[0]), ("LASTX", x[-1])):
        stated = _label_float(block, label, path)
        span = float(np.ptp(x)) if x.size > 1 else abs(got)
        if stated is not None and abs(stated - got) > 1e-3 * span + 1e-6 * abs(got) + 1e-9:
            raise FormatError(
                f"##{label}={stated:g} but the table's {'first' if label == 'FIRSTX' else 'last'}"
                f" abscissa is {got:g}",
                path=path,
                line=block.label_lines.get(label),
            )
    return x, y


def _data_form_kind(form: str) -> str:
    compact = re.sub(r"\s", "", form).upper()
    if (
        compact.startswith("(X++(Y..Y)")
        or compact.startswith("(X++(R..R)")
        or compact.startswith("(X++(I..I)")
    ):
        return "x_yy"
    if compact.startswith("(XY..XY)"):
        return "xy"
    if compact.startswith("(XYW..XYW)") or compact.startswith("(XYM..XYM)"):
        return "xyw"
    return "unknown"


_PAGE_X_YY = re.compile(r"\(\s*(\w+)\s*\+\+\s*\(\s*(\w+)\s*\.\.\s*\w+\s*\)\s*\)")
_PAGE_XY = re.compile(r"\(\s*(\w)(\w)\s*\.\.\s*\w\w\s*\)")


def _ntuples_column(block: Block, label: str, index: int) -> str:
    values = block.labels.get(label, "").split(",")
    return values[index].strip() if index < len(values) else ""


def _decode_ntuples(block: Block, path: Path | None) -> None:
    """Decode each page of an NTUPLES block as a block of its own."""
    symbols = [s.strip().upper() for s in block.labels.get("SYMBOL", "").split(",")]
    for page in block.pages:
        if page.data_label is None or page.x is not None:
            continue
        form = page.data_form or ""
        match = _PAGE_X_YY.search(form)
        standard = "(X++(Y..Y))"
        if match is None:
            match = _PAGE_XY.search(form)
            standard = "(XY..XY)"
        if match is None:
            raise FormatError(
                f"page {page.page!r}: unsupported data table form {form!r}",
                path=path,
                line=page._data_line,
            )
        try:
            ix, iy = (symbols.index(match.group(g).upper()) for g in (1, 2))
        except ValueError:
            raise FormatError(
                f"page {page.page!r}: the table {form!r} names a variable that ##SYMBOL= "
                f"({block.labels.get('SYMBOL', '')!r}) does not declare",
                path=path,
                line=page._data_line,
            ) from None
        for label, source, index in (
            ("XFACTOR", "FACTOR", ix),
            ("YFACTOR", "FACTOR", iy),
            ("FIRSTX", "FIRST", ix),
            ("LASTX", "LAST", ix),
            ("NPOINTS", "VARDIM", iy),
            ("XUNITS", "UNITS", ix),
            ("YUNITS", "UNITS", iy),
        ):
            value = _ntuples_column(block, source, index)
            if value and label not in page.labels:
                page.labels[label] = value
                page.label_lines[label] = block.label_lines.get(source, page.line)
        page.data_form = standard
        _decode_block(page, path)


def _decode_block(block: Block, path: Path | None) -> None:
    if block.pages:
        _decode_ntuples(block, path)
        return
    if block.data_label is None or block.x is not None:
        return
    if block.data_label == "PEAKASSIGNMENTS":
        return  # peak assignments are text, not an x/y table
    kind = _data_form_kind(block.data_form or "")
    if kind == "x_yy":
        x, y = _decode_x_yy(block, path)
    elif kind == "xy":
        x, y = _decode_xy_pairs(block, path, 2)
    elif kind == "xyw":
        x, y = _decode_xy_pairs(block, path, 3)
    else:
        raise FormatError(
            f"unsupported data table form ##{block.data_label}= {block.data_form!r} (expected "
            "(X++(Y..Y)), (XY..XY) or (XYW..XYW))",
            path=path,
            line=block._data_line,
        )
    block.y_table = y
    y = y * _factor(block, "YFACTOR", path)
    firsty = _label_float(block, "FIRSTY", path)
    if firsty is not None and y.size:
        # Some vendor software (Shimadzu) writes a wrong FIRSTY while its data are right, so
        # a mismatch is recorded, not fatal; the y-check and NPOINTS catch corrupt data.
        scale = max(float(np.max(np.abs(y))), abs(firsty), 1e-300)
        if abs(y[0] - firsty) > 1e-2 * scale:
            block.warnings.append(
                f"##FIRSTY={firsty:g} disagrees with the first decoded ordinate {y[0]:g}"
            )
    block.x, block.y = x, y


def decode_jcamp_blocks(text: str | bytes, *, path: str | Path | None = None) -> list[Block]:
    """Decode every data block of a JCAMP-DX file, whatever its data type.

    Parameters
    ----------
    text : str or bytes
        The file's content.
    path : str or path-like, optional
        Named in error messages.

    Returns
    -------
    list of Block
        The innermost blocks in file order (the blocks of a ``LINK`` file, or the one block),
        with ``x`` and ``y`` decoded in the file's units (``XFACTOR``/``YFACTOR`` applied).

    Raises
    ------
    FormatError
        Naming the file and line: a missing ``##END=``, a character that is not AFFN/ASDF,
        a failed DIF y-check, an abscissa or ``NPOINTS`` that disagrees with the data, a
        value beyond :data:`~forensic.spectrum.MAX_MAGNITUDE` once decoded and scaled (named
        with its column)...
    """
    where = None if path is None else Path(path)
    blocks = _leaves(_parse_structure(_to_text(text, where), where))
    for block in blocks:
        _decode_block(block, where)
    return blocks


# -- classification ----------------------------------------------------------------------------

_TIME_UNITS = {"SECONDS", "SECOND", "S", "SEC", "MILLISECONDS", "MS", "MSEC", "MINUTES", "MIN"}


def _what_is_not_vibrational(block: Block) -> tuple[str, str] | None:
    """(kind, detail) when a block holds something other than a Raman/IR spectrum."""
    data_type = " ".join(block.labels.get("DATATYPE", "").upper().split())
    ntuples = " ".join(block.labels.get("NTUPLES", "").upper().split())
    xunits = normalise_label(block.labels.get("XUNITS", ""))
    yunits = normalise_label(block.labels.get("YUNITS", ""))
    described = data_type or ntuples
    detail = f"DATA TYPE={described}" if described else ""
    vibrational = any(
        word in described for word in ("INFRARED", "RAMAN", "FTIR", "IR SPECTRUM", "NIR")
    ) or described in ("IR", "FT-IR", "FTIR", "MIR", "NIR")
    for word, kind in (
        ("INTERFEROGRAM", "an interferogram (raw FTIR detector signal, not a spectrum)"),
        ("NMR FID", "an NMR FID (free-induction decay)"),
        ("NMR", "an NMR spectrum"),
        ("MASS", "a mass spectrum"),
        ("ION MOBILITY", "an ion mobility spectrum"),
        ("IMS", "an ion mobility spectrum"),
        ("UV", "a UV/VIS spectrum"),
        ("VIS", "a UV/VIS spectrum"),
        ("ULTRAVIOLET", "a UV/VIS spectrum"),
        ("FLUORESCENCE", "a fluorescence spectrum"),
        ("CHROMATOGRAM", "a chromatogram"),
        ("STRUCTURE", "a chemical structure"),
        ("FID", "a free-induction decay (time-domain signal)"),
    ):
        if re.search(rf"(^|[^A-Z]){word}([^A-Z]|$)", described) and not (
            vibrational and word in ("UV", "VIS", "FID", "IMS")
        ):
            return kind, detail
    if "JCAMPCS" in block.labels or any(k in block.labels for k in ("ATOMLIST", "BONDLIST")):
        return "a chemical structure (JCAMP-CS)", "no spectrum data"
    if not vibrational and any(label.startswith(".") for label in block.labels):
        observe = block.labels.get(".OBSERVEFREQUENCY")
        extra = f".OBSERVE FREQUENCY={observe} MHz" if observe else "NMR parameters (##.labels)"
        return "an NMR spectrum", extra
    if block.data_label is None and "NTUPLES" not in block.labels:
        return "no spectrum data (a header or structure block)", f"block {block.title!r}"
    if vibrational:
        return None  # an odd x unit is then reported as such by the unit conversion
    if xunits in ("HZ", "PPM"):
        return "an NMR spectrum", f"XUNITS={block.labels.get('XUNITS')}"
    if xunits == "MZ" or "ABUNDANCE" in yunits:
        return "a mass spectrum", f"XUNITS={block.labels.get('XUNITS')}"
    if xunits in _TIME_UNITS:
        return (
            "a time-domain signal (ion mobility, chromatogram or FID), not a spectrum",
            f"XUNITS={block.labels.get('XUNITS')}",
        )
    if data_type == "LINK":
        return "a LINK block with no spectrum", ""
    return None


# -- units ------------------------------------------------------------------------------------


def _x_unit(block: Block, path: Path | None) -> str:
    raw = block.labels.get("XUNITS", "")
    unit = normalise_label(raw).replace("^", "").replace("*", "")
    if not unit or re.search(r"1CM|CM1|WAVENUMBER|RAMANSHIFT|KAYSER", unit):
        return "cm-1"
    if re.fullmatch(r"MICRO(METER|METRE|N)S?|UM|ΜM|µM", unit):
        return "um"
    if re.fullmatch(r"NANOMET(ER|RE)S?|NM", unit):
        return "nm"
    raise FormatError(
        f"##XUNITS={raw} is not a vibrational axis (expected 1/CM, MICROMETERS or NANOMETERS)",
        path=path,
        line=block.label_lines.get("XUNITS"),
    )


def _y_unit(block: Block, y: np.ndarray) -> tuple[str, bool, str | None]:
    """Our y unit for a block, whether the mapping lost information, and why the unit is a
    guess (``metadata["y_unit_basis"]``) or None when it is not."""
    raw = block.labels.get("YUNITS", "")
    unit = " ".join(raw.upper().split())
    compact = normalise_label(raw)
    if "TRANSMIT" in compact or compact in ("%T", "T"):
        if "%" in unit or "PERCENT" in compact:
            return "percent_transmittance", False, None
        # TRANSMITTANCE names no scale: the values settle it, by the rule the range check of
        # identification and validation applies too. Values it cannot tell are read as the
        # fraction the standard means, and said to be a guess.
        scale = transmittance_scale(y)
        if scale is not None:
            return scale, False, None
        return (
            "transmittance",
            False,
            f"{GUESSED_UNIT_BASIS}: ##YUNITS={raw.strip()} names no scale, and "
            f"{float(np.nanmin(y)):.3g}..{float(np.nanmax(y)):.3g} is neither a fraction nor "
            f"percent ({TRANSMITTANCE_SCALE_RULE}); read as the fraction JCAMP-DX means",
        )
    if "KUBELKA" in compact:
        return "kubelka_munk", False, None
    if "REFLECT" in compact:
        return "reflectance", False, None
    if "ABSORB" in compact or "BASE10" in compact or "EXTINCTION" in compact:
        return "absorbance", compact != "ABSORBANCE", None
    if compact in ("COUNTSPERSECOND", "CPS", "COUNTS/S", "COUNTSS"):
        return "counts_per_second", False, None
    if "COUNT" in compact:
        return "counts", False, None
    if compact in ("ARBITRARYUNITS", "ARBITRARY", "AU", "A.U.", "INTENSITY", "RELATIVEINTENSITY"):
        return "arbitrary", False, None
    return "arbitrary", bool(compact), None


def _modality(block: Block, y_unit: str, laser: float | None, path: Path | None) -> str:
    described = " ".join(
        (block.labels.get("DATATYPE", "") + " " + block.labels.get("NTUPLES", "")).upper().split()
    )
    if "RAMAN" in described:
        return "raman"
    if re.search(r"INFRARED|FTIR|FT-IR|(^|[^A-Z])N?IR([^A-Z]|$)", described):
        return "ir"
    if laser is not None:
        return "raman"
    if y_unit in (
        "absorbance",
        "transmittance",
        "percent_transmittance",
        "reflectance",
        "kubelka_munk",
    ):
        return "ir"
    raise FormatError(
        f"block {block.title!r}: ##DATA TYPE= does not say INFRARED or RAMAN and the y unit "
        f"({block.labels.get('YUNITS') or 'none'}) does not tell either: cannot tell a Raman "
        "from an IR spectrum",
        path=path,
        line=block.line,
    )


# -- metadata ---------------------------------------------------------------------------------

_ENCODING_LABEL = "$FORENSIC ENCODING"
_ENCODING_VALUE = "json-values-1"
_RESERVED_DOLLAR = {
    "PROCESSINGHISTORY",
    "FORENSICENCODING",
    "FORENSICYUNIT",
    "FORENSICACQUIREDAT",
    "FORENSICEXTRAMETADATA",
}
_LASER_LABELS = {
    "LASERWAVELENGTH",
    "LASERWAVELENGTHNM",
    "EXCITATIONWAVELENGTH",
    "EXCITATIONWAVELENGTHNM",
    "RAMANEXCITATIONWAVELENGTH",
    "LASERLINE",
    "EXCITATIONLINE",
    "LASER",
}
# Labels that describe the encoding of the table, or that we turn into modality and units.
_CONSUMED = {
    "TITLE",
    "JCAMPDX",
    "JCAMPCS",
    "DATATYPE",
    "DATACLASS",
    "XUNITS",
    "YUNITS",
    "XFACTOR",
    "YFACTOR",
    "FIRSTX",
    "LASTX",
    "DELTAX",
    "FIRSTY",
    "MAXX",
    "MINX",
    "MAXY",
    "MINY",
    "NPOINTS",
    "END",
    "BLOCKID",
    "BLOCKS",
    *_DATA_LABELS,
    # NTUPLES variable descriptions: turned into each page's axis and units
    "NTUPLES",
    "ENDNTUPLES",
    "VARNAME",
    "SYMBOL",
    "VARTYPE",
    "VARFORM",
    "VARDIM",
    "UNITS",
    "FIRST",
    "LAST",
    "MIN",
    "MAX",
    "FACTOR",
    "PAGE",
}
_SPECIAL_STANDARD = {
    "CASREGISTRYNO": "cas",
    "SPECTROMETERDATASYSTEM": "instrument_model",
    "ORIGIN": "origin",
    "OWNER": "owner",
    "NAMES": "synonyms",
    "RESOLUTION": "resolution_cm1",
}
_GENERIC_STANDARD = {
    normalise_label(key): key
    for key in STANDARD_METADATA_KEYS
    if key not in ("name", "cas", "instrument_model", "synonyms", "resolution_cm1", "acquired_at")
}
_WRITE_LABEL = {
    "cas": "CAS REGISTRY NO",
    "instrument_model": "SPECTROMETER/DATA SYSTEM",
    "origin": "ORIGIN",
    "owner": "OWNER",
    "synonyms": "NAMES",
    "resolution_cm1": "RESOLUTION",
    "laser_wavelength_nm": "LASER WAVELENGTH",
}


def _json_value(text: str) -> tuple[bool, Any]:
    try:
        return True, json.loads(text)
    except (ValueError, RecursionError):
        return False, None


def _vendor_key(label: str) -> str:
    """A non-``$`` JCAMP label as a vendor metadata key: ``AUDIT TRAIL`` -> ``audit_trail``."""
    key = re.sub(r"[^0-9a-z]+", "_", label.lower()).strip("_") or "jcamp_label"
    return f"jcamp_{key}" if key in STANDARD_METADATA_KEYS else key


_DATE_RE = re.compile(r"^\s*(\d{1,4})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{1,4})")
_TIME_RE = re.compile(r"(\d{1,2})[:.](\d{1,2})(?:[:.](\d{1,2})(\.\d+)?)?")
_ZONE_RE = re.compile(r"(?:\s|^)(?:UTC|GMT|Z)?\s*([+-])(\d{2}):?(\d{2})\s*$|(?:\s)(UTC|GMT|Z)\s*$")


def _parse_date(date: str, time: str | None) -> tuple[datetime | None, bool]:
    """(datetime, has_zone) from ``LONG DATE`` or ``DATE`` (+ ``TIME``), or (None, False)."""
    match = _DATE_RE.match(date)
    if not match:
        return None, False
    a, b, c = match.groups()
    ia, ib, ic = int(a), int(b), int(c)
    candidates: list[tuple[int, int, int]] = []
    if len(a) == 4:
        candidates = [(ia, ib, ic)]
    elif len(c) == 4:
        if ia > 12 >= ib:
            candidates = [(ic, ib, ia)]
        elif ib > 12 >= ia:
            candidates = [(ic, ia, ib)]
        else:
            return None, False  # day/month order unknown
    else:  # two-digit year: the 4.24 standard writes YY/MM/DD; some software MM/DD/YY
        candidates = [(ia, ib, ic), (ic, ia, ib)]
    rest = date[match.end() :]
    clock = time if time is not None else rest
    for year_digits, month, day in candidates:
        year = year_digits
        if year < 100:
            year += 1900 if year >= 70 else 2000
        try:
            moment = datetime(year, month, day)
        except ValueError:
            continue
        tmatch = _TIME_RE.search(clock or "")
        if tmatch:
            hh, mm, ss, frac = tmatch.groups()
            try:
                moment = moment.replace(
                    hour=int(hh),
                    minute=int(mm),
                    second=int(ss or 0),
                    microsecond=round(float(frac) * 1e6) if frac else 0,
                )
            except ValueError:
                return None, False
        zone = _ZONE_RE.search(clock or "")
        if zone and tmatch:
            if zone.group(4):
                offset = timedelta(0)
            else:
                offset = timedelta(hours=int(zone.group(2)), minutes=int(zone.group(3)))
                if zone.group(1) == "-":
                    offset = -offset
            try:
                return moment.replace(tzinfo=timezone(offset)).astimezone(timezone.utc), True
            except (ValueError, OverflowError):
                return None, False
        return moment, False
    return None, False


def _parse_laser(text: str) -> float | None:
    match = re.search(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", text)
    if not match:
        return None
    value = float(match.group(0))
    if not math.isfinite(value) or value <= 0:
        return None
    if "um" in text.lower() or "µm" in text.lower() or "micro" in text.lower():
        value *= 1000.0
    return value


def _metadata(block: Block, path: Path | None) -> tuple[dict[str, Any], list[ProcessingStep]]:
    """Standard and vendor metadata of a block, and the processing history it carries."""
    ours = block.labels.get(normalise_label(_ENCODING_LABEL)) == _ENCODING_VALUE
    meta: dict[str, Any] = {}
    history: list[ProcessingStep] = []

    def decode(value: str) -> Any:
        if ours:
            ok, parsed = _json_value(value)
            if ok:
                return parsed
        return value

    labels_seen: set[str] = set()
    date = time = long_date = None
    exact_acquired: Any = _ABSENT
    for name, value, line in block.raw_labels:
        norm = normalise_label(name)
        if norm in labels_seen and not norm.startswith("$"):
            continue  # the standard allows a label once per block; keep the first
        labels_seen.add(norm)
        if norm in _CONSUMED or norm.startswith("."):
            continue
        if norm == "$PROCESSINGHISTORY" and ours:
            ok, steps = _json_value(value)
            if not ok or not isinstance(steps, list):
                raise FormatError(
                    "##$PROCESSING HISTORY= is not a JSON list of steps", path=path, line=line
                )
            try:
                history.extend(ProcessingStep.from_dict(step) for step in steps)
            except (KeyError, TypeError, AttributeError, ValueError):
                raise FormatError(
                    "##$PROCESSING HISTORY= holds a step without a name", path=path, line=line
                ) from None
            continue
        if ours and norm.startswith("$") and norm[1:] in _RESERVED_DOLLAR:
            if norm == "$FORENSICACQUIREDAT":
                exact_acquired = decode(value)
            elif norm == "$FORENSICEXTRAMETADATA":
                ok, extra = _json_value(value)
                if ok and isinstance(extra, dict):
                    meta.update(extra)
            continue
        if norm.lstrip("$") in _LASER_LABELS:
            laser = decode(value) if ours else _parse_laser(value)
            if ours or laser is not None:
                meta["laser_wavelength_nm"] = laser
            elif value:
                meta[_vendor_key(name)] = value  # not a wavelength we understand: kept as text
            continue
        if norm == "LONGDATE":
            long_date = value
            continue
        if norm == "DATE":
            date = value
            continue
        if norm == "TIME":
            time = value
            continue
        if norm.startswith("$"):
            meta[name.strip()[1:].strip()] = decode(value)  # user labels keep their own names
            continue
        if not value:
            continue  # an empty label says nothing (our writer encodes "" as JSON)
        if norm in _SPECIAL_STANDARD:
            key = _SPECIAL_STANDARD[norm]
            if ours:
                meta[key] = decode(value)
            elif key == "synonyms":
                meta[key] = "; ".join(s.strip() for s in value.splitlines() if s.strip())
            elif key == "resolution_cm1":
                try:
                    meta[key] = float(value.split()[0])
                except ValueError:
                    meta["resolution"] = value
            elif value:
                meta[key] = value
            continue
        if norm in _GENERIC_STANDARD:
            meta[_GENERIC_STANDARD[norm]] = decode(value)
            continue
        if norm == "":
            meta.setdefault("jcamp_comment", value)
            continue
        meta[_vendor_key(name)] = value
    title = block.title
    if ours:
        ok, parsed = _json_value(title)
        title = parsed if ok else title
    if title not in (None, "") or (ours and block.title):
        meta["name"] = title
    elif meta.get("synonyms") and not ours:
        meta["name"] = str(meta["synonyms"]).split(";")[0].strip()
    if exact_acquired is not _ABSENT:
        meta["acquired_at"] = exact_acquired
    elif long_date or date:
        moment, zoned = _parse_date(long_date or date or "", None if long_date else time)
        if moment is not None and zoned:
            meta["acquired_at"] = moment.isoformat()
        elif moment is not None:
            # No time zone in the file: the local clock time is all we know, so it is not
            # presented as UTC ``acquired_at``.
            meta["acquired_at_local"] = moment.isoformat()
        else:
            if long_date:
                meta["long_date"] = long_date
            if date:
                meta["date"] = date
            if time:
                meta["time"] = time
    if not ours:
        _from_audit_trail(meta)
    return meta, history


_SCAN_ENTRY = re.compile(r"<([\d/]+ [\d:]+)>[^\n]*<Scan on ([^,>]*?)-?,\s*SNO:\s*([\w-]+)>")


def _from_audit_trail(meta: dict[str, Any]) -> None:
    """Shimadzu IRsolution/LabSolutions exports give the instrument serial and the scan time only
    in their audit trail: ``<03/27/26 21:29:56>, <SHIMADZU>, <>, <Scan on IRAffinity-, SNO: ...>``.
    """
    trail = meta.get("audit_trail")
    if not isinstance(trail, str):
        return
    match = _SCAN_ENTRY.search(trail)
    if match is None:
        return
    stamp, model, serial = match.groups()
    meta.setdefault("instrument_serial", serial)
    if model.strip():
        meta.setdefault("instrument_model", f"Shimadzu {model.strip()}")
    if "acquired_at" not in meta and "acquired_at_local" not in meta:
        moment, _ = _parse_date(stamp, None)  # no zone in the trail: local time
        if moment is not None:
            meta["acquired_at_local"] = moment.isoformat()


# -- reading ----------------------------------------------------------------------------------


def _spectrum_from_block(block: Block, path: Path | None) -> Spectrum:
    meta, history = _metadata(block, path)
    ours = block.labels.get(normalise_label(_ENCODING_LABEL)) == _ENCODING_VALUE
    forensic_unit = block.labels.get("$FORENSICYUNIT") if ours else None
    if block.x is None or block.y is None:
        raise FormatError(
            f"block {block.title!r}: its data ({block.data_label or 'none'}"
            f"{', NTUPLES' if 'NTUPLES' in block.labels else ''}) is not an x/y table this "
            "reader decodes",
            path=path,
            line=block.line,
        )
    x, y = block.x, block.y
    if block.warnings:
        meta["jcamp_warnings"] = list(block.warnings)
    y_unit, lossy, guess = _y_unit(block, y)
    if forensic_unit:
        y_unit = forensic_unit.strip()
        if y_unit == "percent_transmittance" and _is_percent_factor(block, path):
            y = block.y_table  # the exact percent values the writer put in the table
    else:
        if lossy:
            meta["jcamp_yunits"] = block.labels.get("YUNITS", "")
        if guess is not None:
            meta["y_unit_basis"] = guess
    stated = stated_laser_nm()  # library import --laser-nm: over what the file says
    if stated is not None:
        if meta.get("laser_wavelength_nm") is not None:
            meta["laser_wavelength_file"] = meta["laser_wavelength_nm"]
        meta["laser_wavelength_nm"] = stated
        meta["laser_wavelength_basis"] = LASER_STATED_BASIS
    laser = meta.get("laser_wavelength_nm")
    laser_nm = (
        float(laser) if isinstance(laser, (int, float)) and not isinstance(laser, bool) else None
    )
    modality = _modality(block, y_unit, laser_nm, path)
    x_unit = _x_unit(block, path)
    if not block.labels.get("XUNITS", "").strip():
        # XUNITS is required: without it cm-1 is an assumption, which the axis check backs
        # only for numbers that do not look like a wavelength; said, so it is never taken
        # for the file's word
        said = "##XUNITS= is empty" if "XUNITS" in block.labels else "no ##XUNITS= in the file"
        meta["axis_unit_basis"] = f"{ASSUMED_AXIS_UNIT_BASIS}: {said}"
    try:
        if x_unit == "nm" and modality == "raman":
            if laser_nm is None:
                raise FormatError(
                    f"block {block.title!r}: a Raman spectrum on a wavelength axis (nm) without "
                    "a laser wavelength label (##$LASER WAVELENGTH=, or state it: forensic "
                    "library import --laser-nm NM): the Raman shift cannot be computed",
                    path=path,
                    line=block.label_lines.get("XUNITS"),
                )
            meta["jcamp_xunits"] = block.labels.get("XUNITS", "")
            spectrum = Spectrum.from_wavelength(
                x, y, laser_wavelength_nm=laser_nm, y_unit=y_unit, metadata=meta
            )
            if not history:
                return spectrum
            return Spectrum(
                spectrum.wavenumber,
                spectrum.intensity,
                modality="raman",
                y_unit=y_unit,
                metadata=spectrum.metadata,
                history=[*history, *spectrum.history],
            )
        if x_unit in ("nm", "um"):
            factor = 1e7 if x_unit == "nm" else 1e4
            if np.any(x <= 0):
                raise FormatError(f"block {block.title!r}: wavelengths must be positive", path=path)
            meta["jcamp_xunits"] = block.labels.get("XUNITS", "")
            history = [
                *history,
                ProcessingStep(
                    "wavelength_to_wavenumber",
                    {"from_unit": "nanometre" if x_unit == "nm" else "micrometre"},
                ),
            ]
            x = factor / x
        return Spectrum.from_readings(
            x, y, modality=modality, y_unit=y_unit, metadata=meta, history=history
        )
    except SpectrumError as exc:
        raise FormatError(f"block {block.title!r}: {exc}", path=path, line=block.line) from None


def _blocks_for_reading(text: str | bytes, path: Path | None) -> list[Block]:
    where = path
    return _leaves(_parse_structure(_to_text(text, where), where))


def read_text(text: str | bytes, *, path: str | Path | None = None) -> list[Spectrum]:
    """Read the vibrational spectra in JCAMP-DX text (see :func:`read`).

    Parameters
    ----------
    text : str or bytes
        The whole content of a JCAMP-DX file.
    path : str or path-like, optional
        The file it came from, named in errors.

    Returns
    -------
    list of Spectrum
        As :func:`read`.

    Raises
    ------
    NotVibrationalError, FormatError
        As :func:`read`.
    """
    where = None if path is None else Path(path)
    blocks = _blocks_for_reading(text, where)
    check_spectrum_count(
        sum(max(len(block.pages), 1) for block in blocks), "data blocks and pages", path=where
    )
    spectra: list[Spectrum] = []
    refused: list[tuple[str, str]] = []
    for block in blocks:
        what = _what_is_not_vibrational(block)
        if what is not None:
            refused.append(what)
            continue
        _decode_block(block, where)
        if not block.pages:
            spectra.append(_spectrum_from_block(block, where))
            continue
        for page in block.pages:  # NTUPLES: one spectrum per page
            merged = Block(
                title=block.title,
                labels={**block.labels, **page.labels},
                label_lines={**block.label_lines, **page.label_lines},
                raw_labels=[*block.raw_labels, *page.raw_labels],
                data_label=page.data_label,
                x=page.x,
                y=page.y,
                line=page.line,
                warnings=page.warnings,
            )
            spectrum = _spectrum_from_block(merged, where)
            spectra.append(spectrum.with_metadata(jcamp_page=page.page))
    if not spectra:
        kinds = list(dict.fromkeys(kind for kind, _ in refused))
        details = [d for _, d in refused if d]
        kind = " and ".join(kinds) if kinds else "no spectrum"
        if len(blocks) > 1:
            kind += f" ({len(blocks)} blocks of a compound JCAMP-DX file)"
        raise NotVibrationalError(kind, path=where, detail="; ".join(dict.fromkeys(details)))
    return spectra


def read(path: str | Path) -> list[Spectrum]:
    """Read every Raman or IR spectrum block of a JCAMP-DX file.

    Parameters
    ----------
    path : str or path-like
        The file (``.jdx``, ``.dx``, ``.jcm``...).

    Returns
    -------
    list of Spectrum
        One per spectrum block (several for a ``LINK`` file, one per page of an ``NTUPLES``
        block, with ``jcamp_page``). Axis in cm⁻¹ (wavelength axes
        converted: IR µm/nm -> cm⁻¹, Raman nm -> Raman shift with the file's laser wavelength).
        Metadata: ``name`` (``##TITLE=``, else ``##NAMES=``), ``cas``, ``laser_wavelength_nm``,
        ``instrument_model``, ``acquired_at`` (UTC, when the file states a zone; otherwise
        ``acquired_at_local``), ``origin``, ``owner``, ``synonyms``, ``resolution_cm1``; other
        labels as vendor keys (``##AUDIT TRAIL=`` -> ``audit_trail``, ``##$KEY=`` -> ``KEY``);
        ``jcamp_warnings`` lists header values that disagree with the data without making it
        unreadable; ``axis_unit_basis`` says that the axis was assumed to be in cm⁻¹ (a
        block without ``##XUNITS=``). ``TRANSMITTANCE`` is ``percent_transmittance`` when the
        values exceed 2.

    Raises
    ------
    NotVibrationalError
        The file holds only NMR, mass, ion-mobility or UV/VIS spectra, structures, FIDs or
        interferograms.
    FormatError
        Corrupt or inconsistent content, naming the file and line.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FormatError(f"cannot be read: {exc.strerror}", path=path) from None
    if not data.strip():
        raise FormatError("the file is empty", path=path)
    return read_text(data, path=path)


# -- sniffing -----------------------------------------------------------------------------------

_SNIFF_START = re.compile(rb"^(?:\xef\xbb\xbf)?\s*##")
_SNIFF_JCAMP = re.compile(rb"##\s*(?:TITLE|JCAMP[\s\-_]*DX|JCAMP[\s\-_]*CS)\s*=", re.IGNORECASE)


def sniff(head: bytes, path: Path | None = None) -> bool:
    """True when ``head`` is JCAMP-DX: ``##`` first (after a BOM and blanks), and a
    ``##TITLE=`` or ``##JCAMP-DX=`` label (so RRUFF text exports, which start with
    ``##NAMES=`` and have neither, are left to the text reader). A UTF-16 file (a BOM
    first) is looked at as the text it holds.

    Parameters
    ----------
    head : bytes
        The first :data:`~forensic.io.SNIFF_BYTES` bytes of the file.
    path : Path, optional
        The file (not looked at: the bytes decide).

    Returns
    -------
    bool
    """
    if head.startswith(_UTF16_BOMS):
        head = head.decode("utf-16", errors="ignore").encode("utf-8")
    return bool(_SNIFF_START.match(head)) and bool(_SNIFF_JCAMP.search(head))


# -- writing ------------------------------------------------------------------------------------

_PERCENT_YFACTOR = "0.01"
"""``##YFACTOR=`` of percent transmittance: the table holds percent, ``TRANSMITTANCE`` the
fraction."""


def _is_percent_factor(block: Block, path: Path | None) -> bool:
    return _label_float(block, "YFACTOR", path) == float(_PERCENT_YFACTOR)


_Y_UNIT_LABEL = {
    "counts": "COUNTS",
    "counts_per_second": "COUNTS PER SECOND",
    "arbitrary": "ARBITRARY UNITS",
    "absorbance": "ABSORBANCE",
    "transmittance": "TRANSMITTANCE",
    "percent_transmittance": "TRANSMITTANCE",
    "reflectance": "REFLECTANCE",
    "kubelka_munk": "KUBELKA-MUNK",
    "normalised": "ARBITRARY UNITS",
}
_SAFE_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _\-./()%:+,#*&'\[\]<>]*$")


def _plain_line(text: str) -> bool:
    return (
        bool(text)
        and text == text.strip()
        and all(" " <= ch <= "~" for ch in text)
        and "$$" not in text
        and not text.startswith("##")
    )


def _json_default(value: Any) -> Any:
    """NumPy scalars and arrays as their Python values, dates as ISO text, the rest as text."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    return str(value)


def _encode_value(value: Any, *, multiline: bool = False) -> str:
    """Label text that :func:`_metadata` decodes back to ``value`` exactly.

    Plain ASCII text that JSON would not parse is written as it is (on several lines when
    ``multiline`` and it has line breaks, as JCAMP-DX allows); anything else as one line of JSON.
    """
    if (
        isinstance(value, str)
        and (
            all(_plain_line(part) for part in value.split("\n"))
            if multiline
            else _plain_line(value)
        )
        and not _json_value(value)[0]
    ):
        return value.replace("\n", "\r\n")
    text = json.dumps(value, ensure_ascii=True, default=_json_default)
    # '$$' would start a comment; JSON lets '$' be written as an escape.
    return text.replace("$", "\\u0024")


def _format_float(value: float) -> str:
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") and "e" not in text else text


def _iso_from_long_date(long_date: str) -> str | None:
    moment, zoned = _parse_date(long_date, None)
    return moment.isoformat() if moment is not None and zoned else None


def _long_date(acquired_at: Any) -> str | None:
    if not isinstance(acquired_at, str):
        return None
    try:
        moment = datetime.fromisoformat(acquired_at.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    try:
        moment = moment.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        return None
    text = moment.strftime("%Y/%m/%d %H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}"
    return text + " +0000"


def write(spectrum: Spectrum) -> bytes:
    """Serialise a spectrum as JCAMP-DX 5.01 that :func:`read` gives back exactly.

    The table is ``##XYDATA=(X++(Y..Y))`` in AFFN with ``XFACTOR=YFACTOR=1`` (percent
    transmittance: ``YFACTOR=0.01``, so that ``TRANSMITTANCE`` is the fraction) and shortest
    round-trip decimal numbers when the axis is evenly spaced as ``FIRSTX``..``LASTX``
    reproduce it bit for bit, otherwise ``##XYPOINTS=(XY..XY)``. Standard metadata keys become
    ``##`` labels (``name`` -> ``TITLE``, ``cas`` -> ``CAS REGISTRY NO``, ``instrument_model``
    -> ``SPECTROMETER/DATA SYSTEM``, ``acquired_at`` -> ``LONGDATE``, others by name), vendor keys
    ``##$KEY=`` labels, the history ``##$PROCESSING HISTORY=`` (JSON). Values that are not plain
    one-line ASCII text are written as JSON so that they read back unchanged.

    Parameters
    ----------
    spectrum : Spectrum
        The spectrum, with its metadata and history.

    Returns
    -------
    bytes
        ASCII text with CRLF line ends.
    """
    meta = dict(spectrum.metadata)
    lines: list[str] = []
    name = meta.pop("name", _ABSENT)
    lines.append(f"##TITLE={'' if name is _ABSENT else _encode_value(name)}")
    lines.append("##JCAMP-DX=5.01 $$ forensic toolkit")
    lines.append(
        "##DATA TYPE=" + ("RAMAN SPECTRUM" if spectrum.modality == "raman" else "INFRARED SPECTRUM")
    )
    lines.append("##DATA CLASS=XYDATA")
    for key in ("origin", "owner"):
        value = meta.pop(key, _ABSENT)
        text = "" if value is _ABSENT else _encode_value(value, multiline=True)
        lines.append(f"##{_WRITE_LABEL[key]}={text}")
    acquired = meta.pop("acquired_at", _ABSENT)
    if acquired is not _ABSENT:
        long_date = _long_date(acquired)
        if long_date is not None:
            lines.append(f"##LONGDATE={long_date}")
        if long_date is None or _iso_from_long_date(long_date) != acquired:
            lines.append(f"##$FORENSIC ACQUIRED AT={_encode_value(acquired)}")
    extra: dict[str, Any] = {}
    vendor: list[tuple[str, Any]] = []
    for key, value in meta.items():
        if key in _WRITE_LABEL:
            lines.append(f"##{_WRITE_LABEL[key]}={_encode_value(value, multiline=True)}")
        elif key in STANDARD_METADATA_KEYS:
            label = key.upper().replace("_", " ")
            lines.append(f"##{label}={_encode_value(value, multiline=True)}")
        elif (
            isinstance(key, str)
            and _SAFE_KEY.match(key)
            and key == key.strip()
            and "$$" not in key
            and normalise_label(key) not in _RESERVED_DOLLAR
            and normalise_label(key) not in _LASER_LABELS
            and key not in STANDARD_METADATA_KEYS
        ):
            vendor.append((key, value))
        else:
            extra[str(key)] = value
    for key, value in vendor:
        lines.append(f"##${key}={_encode_value(value, multiline=True)}")
    if extra:
        lines.append(f"##$FORENSIC EXTRA METADATA={_encode_value(extra)}")
    if spectrum.history:
        history = [step.to_dict() for step in spectrum.history]
        lines.append(f"##$PROCESSING HISTORY={_encode_value(history)}")
    lines.append(f"##$FORENSIC Y UNIT={spectrum.y_unit}")
    lines.append(f"{_ENCODING_LABEL.join(['##', ''])}={_ENCODING_VALUE}")
    x = np.asarray(spectrum.wavenumber)
    y = np.asarray(spectrum.intensity)
    n = x.size
    lines.append("##XUNITS=1/CM")
    lines.append(f"##YUNITS={_Y_UNIT_LABEL[spectrum.y_unit]}")
    yfactor = _PERCENT_YFACTOR if spectrum.y_unit == "percent_transmittance" else "1"
    actual = y * float(yfactor)  # MINY, MAXY and FIRSTY are values after YFACTOR
    lines.append("##XFACTOR=1")
    lines.append(f"##YFACTOR={yfactor}")
    lines.append(f"##FIRSTX={_format_float(x[0])}")
    lines.append(f"##LASTX={_format_float(x[-1])}")
    lines.append(f"##MINY={_format_float(actual.min())}")
    lines.append(f"##MAXY={_format_float(actual.max())}")
    lines.append(f"##NPOINTS={n}")
    lines.append(f"##FIRSTY={_format_float(actual[0])}")
    even = np.array_equal(np.linspace(x[0], x[-1], n), x)
    if even:
        lines.append(f"##DELTAX={_format_float((x[-1] - x[0]) / (n - 1))}")
        lines.append("##XYDATA=(X++(Y..Y))")
        row: list[str] = []
        width = 0
        start = 0
        for i in range(n):
            text = _format_float(y[i])
            if row and width + 1 + len(text) > 80:
                lines.append(" ".join([_format_float(x[start]), *row]))
                row, width, start = [], 0, i
            if not row:
                width = len(_format_float(x[i]))
            row.append(text)
            width += 1 + len(text)
        lines.append(" ".join([_format_float(x[start]), *row]))
    else:
        lines.append("##XYPOINTS=(XY..XY)")
        lines.extend(f"{_format_float(a)}, {_format_float(b)}" for a, b in zip(x, y, strict=True))
    lines.append("##END=")
    return ("\r\n".join(lines) + "\r\n").encode("ascii")


FORMAT = Format(
    name="jcamp",
    description="JCAMP-DX 4.24/5.x",
    extensions=(".jdx", ".dx", ".jcm", ".jcamp"),
    sniff=sniff,
    read=read,
    write=write,
    text=True,
)
