"""Spectra in plain text: RRUFF, delimited tables (CSV, TSV, spaces) and vendor text exports.

This is the fallback reader: the registry asks its sniffer last, after every binary and JCAMP-DX
format has declined. One parser handles

- RRUFF exports: ``##NAMES=...`` and other ``##KEY=value`` lines, then ``x, y`` rows, then
  ``##END=``;
- delimited tables with comma, semicolon, tab or whitespace delimiters, a decimal point or a
  decimal comma (``1001,4;2345,6``), with or without a line of column names, with comment lines
  starting with ``#``, ``%``, ``//`` or ``;``, an ascending or descending axis and extra columns;
- vendor exports: B&W Tek (a ``key;value`` header block, then ``Pixel;Wavelength;Wavenumber;
  Raman Shift;Dark;...;Dark Subtracted #1;...``), Horiba/LabSpec (``#Key=<tab>value`` header,
  tab-separated rows), OpenSpecy CSV (``wavenumber,intensity``), Renishaw WiRE text exports;
- our own CSV (see :func:`write_csv`), whose ``#`` comment lines carry modality, unit, metadata,
  history and its number of points as JSON so that it reads back exactly, and a copy cut short
  is refused wherever it was cut.

Decimal commas, and rows that do not fit
----------------------------------------
The splitting style (delimiter and decimal separator) is the one under which the rows read as
numbers; a decimal comma needs a semicolon, tab or whitespace between the columns
(``1001,4;0,532``, ``1001,4<TAB>0,532``), or quotes around each number in a comma-delimited file
(``"1001,4","0,532"``). In a file with no other delimiter a comma separates columns. Where that
would be a guess, the file is refused rather than read: whole numbers only, in three or more
comma-separated columns that no line of column names names one by one (``1001,4,0,532`` is four
numbers or 1001.4 and 0.532), or in two columns whose first is not a steady axis; or a line of
column names naming half as many columns as the rows hold. A number written with the other
separator (``1001.4`` or ``1.001,4`` in a decimal-comma file) is refused with its line.
Every data row must have as many cells as the others: a row with a cell missing or extra, a
cell of text, NaN or inf, is refused with its line number, also when it is the first row
(directly above the data, a line of numbers only is a broken row, not a header, unless it is a
lone count of the rows below; so is a row of numbers one of which has a character garbled,
``x6.6417<TAB>37``: column names are words). Blank lines, comment lines and a header block
are fine, and a cell left empty (B&W Tek pixels outside the calibrated range) drops its row, as
recorded below.
A file that ends in a row without its newline may have been cut off (an interrupted copy or
download): that row is refused, with its line, where the rows above show it incomplete (a
cell short, its trailing delimiter or the decimals or exponent digits of its last number
missing, ``1234.``), and so is a last row that ends in the first byte of a CR LF line end (cut
between the two); a cut exactly at a line end leaves no sign and cannot be told, unless the
header states how many rows follow (a B&W Tek export's ``pixel_num``, one row per pixel; our
own CSV's ``points``). An axis
that holds more than one sweep (a second measurement appended, points out of order: see
:func:`~forensic.spectrum.axis_order_problem`) is refused with the line where it turns back.

How columns are chosen
----------------------
With a line of column names, the axis is the column named Raman shift, else wavenumber, else
wavelength (µm -> cm⁻¹; nm -> Raman shift with a laser line stated in the file, nm beyond 2000
-> IR cm⁻¹, other nm axes refused as not vibrational), else the first numeric column; the
intensity is the column named "Dark Subtracted" (B&W Tek), else intensity/counts/absorbance/
transmittance/reflectance/signal, else the next numeric column. When the axis is named and
every other column carries a sample name rather than a quantity (``raman_shift,fructose,
lactose``), each column is a spectrum of its own, named after its header. Without column names
the first two numeric columns are the axis and the intensity.

How modality and unit are decided (first rule that applies)
------------------------------------------------------------
1. The chosen column names: "Raman shift" -> Raman; absorbance, transmittance, reflectance or
   Kubelka-Munk -> IR.
2. A laser (excitation) wavelength in the header -> Raman.
3. Words in the header and comments: "Raman" -> Raman; absorbance, transmittance, ATR, FTIR,
   infrared -> IR (when both kinds appear the words decide nothing).
4. The file and folder names: a ``raman`` word -> Raman; ``infrared``, ``ftir``, ``ir``,
   ``atr`` words -> IR (RRUFF names hold ``__Raman__`` or ``__Infrared__``).
5. The numbers: an axis starting below 300 cm⁻¹ (or negative) -> Raman; intensities that dip
   from a high baseline (median in the top quarter of the range) on an axis reaching
   2000 cm⁻¹, with values a fraction or percent can take
   (:func:`~forensic.spectrum.transmittance_scale`) -> IR transmittance on that scale; small
   non-integer
   intensities (-0.5 to 6) on an axis reaching 3600 cm⁻¹ -> IR absorbance; anything else ->
   Raman. An IR axis below 50 is taken as µm and converted to cm⁻¹; an axis named a
   wavelength in µm from 2 µm up is IR, whatever the numbers guessed (10000 / µm is a
   wavenumber, and no Raman laser's scattered light reaches 2 µm).
The rule that decided is stored in the metadata as ``modality_basis``. The intensity unit comes
from the column name when it names one (a "transmittance" column's scale from its values, by
the same rule; a guess when they tell neither), otherwise: IR as found in step 5 (else
absorbance when the intensities stay below 6), Raman "counts" when every intensity is a whole
number, else "arbitrary". An IR unit guessed from the numbers is said so in
``y_unit_basis``: transmittance and absorbance need opposite treatment, and a spectrum without
bands (an opaque sulfide, a featureless scatterer) can look like either;
:meth:`~forensic.spectrum.Spectrum.with_y_unit`
(``forensic identify --y-unit``) states the unit instead.

Metadata
--------
``text_layout`` says how the rows were split (``semicolon-delimited, decimal comma``,
``comma-delimited, whole numbers``...). Rows whose axis or intensity cell is empty (B&W Tek
pixels outside the calibrated range) are left out, and that is recorded in the history
(``skip_rows_without_values``), as are merged repeated wavenumbers
(``merge_repeated_wavenumbers``) and unit conversions. Empty header fields are dropped; other
header keys are kept under their own names (``RRUFFID``, ``intigration times(ms)``, ``Acq.
time (s)``...). Recognised ones also fill the standard keys: ``name`` (RRUFF
``NAMES``, ``Sample``), ``rruff_id``, ``laser_wavelength_nm`` (header, else a usual laser line
such as ``532`` or ``iR785`` in the file name, noted in ``laser_wavelength_basis``),
``integration_time_ms``, ``averages``, ``instrument_model``, ``instrument_serial``,
``operator``, ``detector_temperature_c``, ``laser_power_mw``. Vendor dates are kept as written:
the files do not say their time zone, so no ``acquired_at`` (UTC) is made up.
"""

from __future__ import annotations

import csv
import json
import math
import re
from dataclasses import dataclass, field
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
    GUESSED_MODALITY_BASIS,
    GUESSED_UNIT_BASIS,
    IR_MICROMETRE_BELOW,
    IR_MICROMETRE_FROM_UM,
    IR_UNITS,
    MAX_MAGNITUDE,
    MIN_POINTS,
    TRANSMITTANCE_SCALE_RULE,
    Y_UNITS,
    ProcessingStep,
    Spectrum,
    axis_order_problem,
    micrometre_to_wavenumber,
    nanometre_to_wavenumber,
    transmittance_scale,
    wavelength_to_raman_shift,
)

__all__ = ["FORMAT", "read_text", "sniff_text", "write_csv"]

CSV_MAGIC = "# forensic-toolkit spectrum CSV"
"""First line of the CSV files we write; the next comment line holds the attributes as JSON."""

_COMMENT_PREFIXES = ("#", "%", "//", ";")
_DOUBLE_HASH_RE = re.compile(r"^[ \t]*##([^=\n]*)=?([^\n]*)$", re.MULTILINE)

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_NUMBER_RE = re.compile(_NUMBER)
# A row that starts with a number and has another number after a delimiter (possibly across
# empty cells, as B&W Tek rows outside the calibrated range have): what the sniffer looks for.
_SNIFF_NUM = r"[-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][-+]?\d+)?"
# Numbers may be quoted ("1001,4","0,532": a decimal comma in a comma-delimited file).
_SNIFF_CELL = rf'"?{_SNIFF_NUM}"?'
_SNIFF_ROW_RE = re.compile(
    rf"^[ \t]*{_SNIFF_CELL}(?:(?:[ \t]*[,;\t][ \t]*)+|[ \t]+){_SNIFF_CELL}[ \t]*(?:[,;\t]|$)",
    re.MULTILINE,
)
_SPECIAL_LINE_RE = re.compile(r"^[ \t\f\v]*(?:[#%;]|//|$)", re.MULTILINE)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")

# Usual laser lines (nm): a bare number in a file name counts only when it is one of these.
_LASER_LINES = (
    "244|248|257|266|325|355|405|442|457|473|488|514|515|532|561|568|633|638|647|660|671|"
    "685|730|780|785|808|830|976|1064"
)
_FILENAME_LASER_RE = re.compile(rf"(?<![0-9])({_LASER_LINES})(?:\.\d+)?(?:nm)?(?![0-9])", re.I)
_RRUFF_LASER_RE = re.compile(r"__Raman__(\d{3,4})__", re.I)
_RRUFF_ID_RE = re.compile(r"(?<![A-Za-z0-9])(R\d{6}(?:-\d+)?)(?![0-9])")

_SAMPLE_SIZE = 12
_DATA_CONFIRM_ROWS = 3
_STYLE_PROBE_CHARS = 4096
"""How much of a sample line the style detection splits: enough for a row of a wide table,
and a line of millions of numbers is not split eight ways to choose a delimiter."""
_SHORT_FILE_PROBE_CHARS = 1 << 16
"""How much of each line is read when a file has too few lines to hold a spectrum: what to
refuse it for shows in the start of its lines, and a 200 MB line of numbers is not parsed."""


@dataclass(frozen=True)
class _Style:
    """How a data row is split: ``delimiter`` None means runs of whitespace."""

    delimiter: str | None
    decimal: str

    def describe(self) -> str:
        names = {None: "whitespace", ",": "comma", ";": "semicolon", "\t": "tab"}
        decimal = "comma" if self.decimal == "," else "point"
        if self.delimiter == self.decimal:
            decimal += " in quoted cells"
        return f"{names[self.delimiter]}-delimited, decimal {decimal}"


# In order of preference when two styles read a sample equally well. A decimal comma with a
# comma delimiter is only readable where the numbers are quoted ("1001,4","0,532"); unquoted,
# it loses to plain comma-delimited and the whole-number rule in _refuse_ambiguous_commas.
_STYLES = (
    _Style(";", ","),
    _Style(";", "."),
    _Style("\t", "."),
    _Style("\t", ","),
    _Style(",", "."),
    _Style(",", ","),
    _Style(None, "."),
    _Style(None, ","),
)
_STARTS_WITH_NUMBER_RE = re.compile(r"[ \t]*\"?[-+]?(?:\d|[.,]\d)")
_WHOLE_NUMBER_ROW_RE = re.compile(r"[ \t]*[-+]?\d+(?:[ \t]*,[ \t]*[-+]?\d+)*[ \t]*,?[ \t]*")


@dataclass
class _Table:
    """What the parser found in a text file, before columns become spectra."""

    path: Path
    style: _Style
    layout: str  # how the rows were split, as recorded in the metadata (text_layout)
    data: np.ndarray  # (rows, columns), NaN where a cell is empty
    line_numbers: np.ndarray  # (rows,), 1-based line of each row
    column_names: list[str] | None
    header: dict[str, str] = field(default_factory=dict)
    comments: list[str] = field(default_factory=list)
    own: dict[str, Any] | None = None  # the JSON of our own CSV files


# -- decoding and splitting ------------------------------------------------------------------


def _decode(raw: bytes, path: Path) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise FormatError(f"broken UTF-16 text at byte {exc.start}", path=path) from None
    nul = raw.find(b"\x00")
    if nul >= 0:
        line = raw.count(b"\n", 0, nul) + 1
        raise FormatError(
            f"binary data (a NUL byte at offset {nul}), not a text spectrum", path=path, line=line
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")  # LabSpec and other Windows exports write "°" as one byte
    controls = len(_CONTROL_RE.findall(text, 0, 65536))
    if controls > max(8, min(len(text), 65536) // 50):
        raise FormatError("binary data (control characters), not a text spectrum", path=path)
    return text


def _is_comment(stripped: str) -> bool:
    return stripped.startswith(_COMMENT_PREFIXES) and not stripped.startswith("##")


def _strip_comment(stripped: str) -> str:
    for prefix in ("//", "#", "%", ";"):
        if stripped.startswith(prefix):
            return stripped[len(prefix) :].strip()
    return stripped


def _split(line: str, style: _Style) -> list[str]:
    if style.delimiter is None:
        return line.split()
    if '"' in line:
        # A quoted cell may hold the delimiter: "1001,4","0,532" is two numbers, not four.
        raw = next(csv.reader([line], delimiter=style.delimiter, skipinitialspace=True))
    else:
        raw = line.split(style.delimiter)
    cells = [cell.strip().strip('"').strip() for cell in raw]
    if len(cells) > 1 and cells[-1] == "":
        cells.pop()  # a trailing delimiter (B&W Tek ends every row with ';')
    return cells


def _to_number(cell: str, style: _Style) -> float | None:
    """The cell as a number, or None when it is not one (NaN and inf are not numbers here)."""
    if style.decimal == ",":
        if "." in cell:
            return None
        cell = cell.replace(",", ".")
    if _NUMBER_RE.fullmatch(cell):
        return float(cell)
    return None


def _refuse_not_a_number(cell: str, column: int, path, index: int) -> None:
    """Raise when ``cell`` (0-based ``column`` of 0-based line ``index``) is NaN or inf."""
    if NOT_A_NUMBER.fullmatch(cell):
        raise FormatError(
            f"not a number ({cell!r}) in column {column + 1}: a spectrum must be finite numbers",
            path=path,
            line=index + 1,
        )


def _numeric_row(line: str, style: _Style) -> list[float] | None:
    """The row's numbers (NaN for empty cells), or None unless it holds two or more numbers."""
    cells = _split(line.strip(), style)
    if len(cells) < 2:
        return None
    values = []
    found = 0
    for cell in cells:
        if cell == "" and style.delimiter is not None:
            values.append(math.nan)
            continue
        number = _to_number(cell, style)
        if number is None:
            return None
        values.append(number)
        found += 1
    return values if found >= 2 else None


def _newlines(text: str, start: int, stop: int) -> int:
    """The line ends in ``text[start:stop]``: line numbers are counted on from the last one
    counted, never from the start of the text again (that was quadratic in the labels)."""
    return text.count("\n", start, stop)


def _candidate_lines(text: str, end: int) -> list[int]:
    """0-based numbers of the lines before ``end`` that are not blank, comments or ##KEY lines."""
    # One regular-expression pass finds the few special lines; the rest are ranges between them.
    skipped = []
    line = 0
    position = 0
    for match in _SPECIAL_LINE_RE.finditer(text):
        line += _newlines(text, position, match.start())
        position = match.start()
        if line >= end:
            break
        skipped.append(line)
    candidates: list[int] = []
    previous = 0
    for line in skipped:
        candidates.extend(range(previous, line))
        previous = line + 1
    candidates.extend(range(previous, end))
    return candidates


def _line_start(line: str, limit: int) -> str:
    """``line`` when it is at most ``limit`` characters long, else its start, cut after the
    last whole cell (at a delimiter or a space) within the limit."""
    if len(line) <= limit:
        return line
    cut = max(line.rfind(c, 0, limit) for c in ",;\t ")
    return line[: cut if cut > 0 else limit]


def _choose_style(lines: list[str], candidates: list[int]) -> _Style | None:
    """The splitting style under which most sample lines are rows of numbers."""
    if len(candidates) > 2 * _SAMPLE_SIZE:
        middle = len(candidates) // 2
        picks = candidates[middle : middle + _SAMPLE_SIZE] + candidates[-_SAMPLE_SIZE:]
    else:
        picks = candidates
    sample = [_line_start(lines[i], _STYLE_PROBE_CHARS) for i in picks]
    best, best_score = None, 0
    for style in _STYLES:
        if style.delimiter is not None and not any(style.delimiter in s for s in sample):
            continue
        widths = [len(row) for row in (_numeric_row(s, style) for s in sample) if row]
        if not widths:
            continue
        # Prefer the style that makes most lines numeric, then the one with steady widths.
        steady = max(widths.count(w) for w in set(widths))
        score = len(widths) * 2 + steady
        if score > best_score:
            best, best_score = style, score
    return best


# -- header lines ------------------------------------------------------------------------------


def _key_value(text: str, style: _Style | None) -> tuple[str, str] | None:
    """``key=value``, ``key;value``, ``key<TAB>value`` or ``key: value`` -> (key, value)."""
    for sep in ("=", ";", "\t", ":"):
        if sep == ";" and (style is None or style.delimiter != ";"):
            continue
        if sep in text:
            key, _, value = text.partition(sep)
            key, value = key.strip(), value.strip().strip(";").strip()
            if sep in ";\t" and sep in value:
                return None  # three or more cells: a line of column names, not a pair
            if key and len(key) <= 60 and key[0].isalpha():
                return key, value
            return None
    return None


def _header_names(text: str, style: _Style, width: int) -> list[str] | None:
    """Column names from a header line when it names exactly ``width`` columns."""
    if "=" in text:
        return None
    options = []
    if style.delimiter is None:
        options = [text.split("\t"), re.split(r"\s{2,}", text.strip()), text.split()]
    else:
        options = [_split(text, style)]
    for cells in options:
        names = [c.strip().lstrip("#").strip().strip('"') for c in cells]
        while names and names[-1] == "":
            names.pop()
        nonempty = [n for n in names if n]
        if len(nonempty) == width and not any(_to_number(n, style) is not None for n in nonempty):
            return nonempty
    return None


# -- parsing --------------------------------------------------------------------------------------


def _parse(text: str, path: Path) -> _Table:
    # A file of CR LF line ends that ends in CR alone was cut between the two bytes
    cut_in_line_end = text.endswith("\r") and text.count("\r\n") == text.count("\n") > 0
    # Line numbers as an editor counts them: CRLF, CR and LF all end a line.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    header: dict[str, str] = {}
    comments: list[str] = []
    own: dict[str, Any] | None = None
    end = len(lines)
    # Each label's line is counted on from the previous label's: counted from the start of the
    # text for every label, 100 000 ##KEY= lines took 15 s (and a 256 MB file hours).
    index = counted = 0
    for match in _DOUBLE_HASH_RE.finditer(text):
        key, value = match.group(1).strip(), match.group(2).strip()
        index += _newlines(text, counted, match.start())
        counted = match.start()
        if key.upper() == "END":
            end = index
            break
        if key.upper() in ("JCAMP-DX", "JCAMPDX", "XYDATA", "PEAK TABLE", "XYPOINTS"):
            raise FormatError(
                f"this is a JCAMP-DX file (##{key}=), not a delimited text table: read it "
                "with the jcamp reader",
                path=path,
                line=index + 1,
            )
        header[key] = value
    # Lines that may hold data: not blank, not comments or ##KEY lines, before ##END.
    candidates = _candidate_lines(text, end)
    if not candidates:
        first = next((i for i, line in enumerate(lines) if line.strip()), 0)
        raise FormatError(
            "no rows of numbers: expected lines of wavenumber and intensity",
            path=path,
            line=first + 1,
        )
    if len(candidates) < MIN_POINTS:
        # Too few lines to hold a spectrum, whatever they hold: the start of each says which
        # refusal is due ("only 1 rows" for a line of millions of numbers, in a moment).
        lines = [_line_start(line, _SHORT_FILE_PROBE_CHARS) for line in lines]
    style = _choose_style(lines, candidates)
    if style is None:
        first = candidates[0]
        raise FormatError(
            f"not a spectrum: no line holds two or more numbers (first text: "
            f"{_clip(lines[first])!r}); expected lines of wavenumber and intensity",
            path=path,
            line=first + 1,
        )

    # The data start at the first row of numbers followed by more rows of the same width.
    start = None
    for position, index in enumerate(candidates):
        row = _numeric_row(lines[index], style)
        if row is None:
            continue
        following = candidates[position + 1 : position + 1 + _DATA_CONFIRM_ROWS]
        rows = [_numeric_row(lines[i], style) for i in following]
        if all(r is not None and len(r) == len(row) for r in rows):
            start = position
            break
    # Rows of numbers above the data block mean the data were interrupted (a stray line of
    # text, a ragged row): name the first line that broke them rather than drop the rows.
    head = candidates if start is None else candidates[:start]
    for position, index in enumerate(head):
        row = _numeric_row(lines[index], style)
        if row is None or (
            start is not None and len(row) != _width(lines, candidates, start, style)
        ):
            continue
        for later in candidates[position + 1 :]:
            other = _numeric_row(lines[later], style)
            if other is None or len(other) != len(row):
                for column, cell in enumerate(_split(lines[later].strip(), style)):
                    _refuse_not_a_number(cell, column, path, later)
                raise FormatError(
                    f"rows of numbers are interrupted here by {_clip(lines[later])!r} "
                    f"({style.describe()}, {len(row)} columns)",
                    path=path,
                    line=later + 1,
                )
    if start is None:
        raise FormatError("no steady block of data rows", path=path, line=candidates[0] + 1)
    if start > 0:
        _refuse_broken_row_above(
            lines,
            candidates[start - 1],
            style,
            width=_width(lines, candidates, start, style),
            rows_below=len(candidates) - start,
            path=path,
        )

    # Everything above the data is header: comments, key/value pairs and perhaps column names.
    preamble_end = candidates[start]
    column_line = None
    for index in range(preamble_end):
        stripped = lines[index].strip()
        if not stripped or stripped.startswith("##"):
            continue
        body = _strip_comment(stripped) if _is_comment(stripped) else stripped
        if _is_comment(stripped):
            if (
                body.startswith("{")
                and own is None
                and any(CSV_MAGIC in lines[i] for i in range(index))
            ):
                try:
                    own = json.loads(body)
                except json.JSONDecodeError:
                    raise FormatError(
                        "the attributes line of this forensic CSV is not valid JSON",
                        path=path,
                        line=index + 1,
                    ) from None
                continue
            if stripped.startswith(CSV_MAGIC):
                continue
        pair = _key_value(body, style)
        if pair is not None:
            header.setdefault(pair[0], pair[1])
        elif body and _is_comment(stripped):
            comments.append(body)
        column_line = index  # the last non-blank line above the data
    data_indices = candidates[start:]

    width = len(_numeric_row(lines[data_indices[0]], style) or [])
    column_names = None
    if column_line is not None:
        body = lines[column_line].strip()
        if _is_comment(body):
            body = _strip_comment(body) if not body.startswith("#") else body.lstrip("#")
        column_names = _header_names(body, style, width)

    if data_indices[-1] - data_indices[0] + 1 == len(data_indices):
        rows = lines[data_indices[0] : data_indices[-1] + 1]  # no comment or blank in between
    else:
        rows = [lines[i] for i in data_indices]
    if data_indices[-1] == len(lines) - 1:  # the file ends in a row of data, without a newline
        _refuse_cut_last_row(rows, style, width, path=path, line=data_indices[-1] + 1)
    if cut_in_line_end and data_indices[-1] == len(lines) - 2:  # its CR made the last newline
        raise FormatError(
            "the last row ends in a carriage return without the line feed that follows it on "
            "every other line (CR LF): the file was cut between the two bytes of a line end, "
            "as by an interrupted copy or download, and rows after it may be missing; copy it "
            "again from the original",
            path=path,
            line=data_indices[-1] + 1,
        )
    data = _read_block(rows, data_indices, style, width, path)
    if own is not None:
        _refuse_cut_own_csv(
            own,
            data.shape[0],
            ended=data_indices[-1] < len(lines) - 1,
            path=path,
            line=data_indices[-1] + 1,
        )
    if data.shape[0] < MIN_POINTS:
        raise FormatError(
            f"only {data.shape[0]} rows of numbers; a spectrum needs at least {MIN_POINTS}",
            path=path,
            line=data_indices[0] + 1,
        )
    layout = style.describe()
    if style == _Style(",", "."):
        layout = _refuse_ambiguous_commas(
            rows,
            data,
            first_line=data_indices[0] + 1,
            names_line=None if column_line is None else lines[column_line],
            named=column_names is not None,
            path=path,
        )
    return _Table(
        path=path,
        style=style,
        layout=layout,
        data=data,
        line_numbers=np.asarray(data_indices) + 1,
        column_names=column_names,
        header=header,
        comments=comments,
        own=own,
    )


def _refuse_ambiguous_commas(
    rows: list[str],
    data: np.ndarray,
    *,
    first_line: int,
    names_line: str | None,
    named: bool,
    path: Path,
) -> str:
    """The layout of a comma-delimited table, or a FormatError where the commas are ambiguous.

    Commas are column delimiters in a file without semicolons or tabs, and that reads a
    decimal-point CSV right. A decimal-comma export with comma delimiters and unquoted
    numbers cannot be read back without guessing (``1001,4,0,532`` is four whole numbers or
    1001.4 and 0.532), so a table that could be one is refused:

    - a line of column names naming half as many columns as the rows hold;
    - rows of whole numbers only: three or more columns with no line of column names naming
      them all, or two columns whose first is not a steady axis (one column of decimal-comma
      numbers).
    """
    width = data.shape[1]
    if names_line is not None and not named and width >= 4 and "=" not in names_line:
        names = [n for n in _split(names_line.strip().lstrip("#"), _Style(",", ".")) if n]
        if len(names) * 2 == width and all(_to_number(n, _Style(",", ".")) is None for n in names):
            raise FormatError(
                f"the column names ({', '.join(names)}) name {len(names)} columns but the rows "
                f"hold {width} comma-separated numbers: the numbers look like decimal commas "
                "in a comma-delimited file, which cannot be read without guessing; export "
                "with a decimal point, or with semicolons or tabs between the columns",
                path=path,
                line=first_line,
            )
    if not all(_WHOLE_NUMBER_ROW_RE.fullmatch(row) for row in rows):
        return _Style(",", ".").describe()
    steps = np.diff(data[:, 0])  # a repeated value where step-scan windows join is allowed
    steady_axis = bool(np.any(steps != 0) and (np.all(steps >= 0) or np.all(steps <= 0)))
    if (width == 2 and steady_axis) or (width > 2 and named):
        return "comma-delimited, whole numbers"
    example = _clip(rows[0])
    raise FormatError(
        f"every row holds {width} whole numbers separated by commas ({example!r}): the commas "
        "could separate columns or be decimal commas (1001,4,0,532 is either four numbers or "
        "1001.4 and 0.532); "
        + (
            "read as two columns the first is not a steady axis"
            if width == 2
            else "no line of column names says which"
        )
        + "; export with a decimal point, or with semicolons or tabs between the columns",
        path=path,
        line=first_line,
    )


def _refuse_broken_row_above(
    lines: list[str], index: int, style: _Style, *, width: int, rows_below: int, path: Path
) -> None:
    """Raise when the line just above the data (``index``, 0-based) is a broken data row.

    A header line holds some text; a line of numbers only, directly above the data (blank and
    comment lines aside), is the first data row with a cell missing, an extra cell, NaN or
    inf, and dropping it as header would silently lose a point; so is a line that starts with
    a number but does not read as a row (another delimiter, ``n/a``, a typo), and a row of
    numbers one of which has a character garbled (``x6.6417<TAB>37``: see
    :func:`_garbled_number`), which was taken for the column names. The one exception is a
    lone whole number equal to the count of rows below it: a point count, as some exports
    write.
    """
    split = _split(lines[index].strip(), style)
    cells = [c for c in split if c]
    if not cells:
        return
    words = [c for c in cells if _to_number(c, style) is None and not NOT_A_NUMBER.fullmatch(c)]
    if words:
        if len(words) == 1 and len(split) == width and _garbled_number(words[0], style):
            raise FormatError(
                f"the line just above the data reads as a row of {width} numbers but for one "
                f"character ({words[0]!r} in column {split.index(words[0]) + 1}): a damaged "
                f"data row, not column names: {_clip(lines[index])!r}",
                path=path,
                line=index + 1,
            )
        if not _STARTS_WITH_NUMBER_RE.match(lines[index]):
            return  # it has text: a header line
        # it starts as a data row but does not read as one (another delimiter, 'n/a', a typo)
        raise FormatError(
            f"the line just above the data starts with a number but does not read as a row "
            f"of {width} numbers ({style.describe()}): {_clip(lines[index])!r}",
            path=path,
            line=index + 1,
        )
    for column, cell in enumerate(split):
        _refuse_not_a_number(cell, column, path, index)
    if len(cells) == 1 and re.fullmatch(r"\+?\d+", cells[0]) and int(cells[0]) == rows_below:
        return
    raise FormatError(
        f"{len(split)} column(s) where the rows below have {width} ({style.describe()}): "
        f"{_clip(lines[index])!r}",
        path=path,
        line=index + 1,
    )


def _garbled_number(cell: str, style: _Style) -> bool:
    """Whether ``cell`` is a number with one character garbled (``x6.6417``, ``4O.6417``,
    ``46.6#17``): dropping one character, or making it a digit, makes it a number, and it holds
    at least two digits and more digits than letters. A column name is words (``Raman shift``,
    ``cm-1``) or a letter or two (``X``, ``x1``): not a number but for one character.
    """
    digits = sum(ch.isdigit() for ch in cell)
    if digits < 2 or digits <= sum(ch.isalpha() for ch in cell):
        return False
    for at in range(len(cell)):
        for mended in (cell[:at] + cell[at + 1 :], cell[:at] + "0" + cell[at + 1 :]):
            if _to_number(mended, style) is not None:
                return True
    return False


_CUT_EVIDENCE_ROWS = 20
"""Rows that must agree on how a column is written before a last cell that differs from them
is taken for a number cut short (a writer that drops trailing zeros shows it in fewer)."""
_CELL_FORM_RE = re.compile(
    r"[-+]?(?P<whole>\d*)(?:(?P<point>[.,])(?P<decimals>\d*))?(?:[eE][-+]?(?P<exponent>\d*))?"
)


@dataclass(frozen=True)
class _Written:
    """How a number is written in a text table: what a cut shortens."""

    ends_in_point: bool  # "1234." (no digit after the decimal separator, no exponent)
    decimals: int  # digits after the decimal separator
    significant: int  # digits from the first non-zero one ("0.2673450": 7)
    exponent: int | None  # digits of the exponent, None without one


def _written(cell: str, style: _Style) -> _Written | None:
    """How ``cell`` is written; None for an empty cell or one that is no number's start."""
    match = _CELL_FORM_RE.fullmatch(cell.strip()) if cell.strip() else None
    if match is None:
        return None
    point = match["point"] is not None and match["point"] == style.decimal
    decimals = (match["decimals"] or "") if point else ""
    exponent = None if match["exponent"] is None else len(match["exponent"])
    return _Written(
        ends_in_point=point and not decimals and exponent is None,
        decimals=len(decimals),
        significant=len((match["whole"] + decimals).lstrip("0")),
        exponent=exponent,
    )


def _refuse_cut_own_csv(
    own: dict[str, Any], rows: int, *, ended: bool, path: Path, line: int
) -> None:
    """Raise when our own CSV (:func:`write_csv`) shows it was cut off.

    Its writer ends every row with a line end and states the number of points, so a copy cut
    inside its last number (``0.00012`` read as ``0.0001``) or exactly at a line end, which
    no other text shows (see the module's notes), is refused rather than read as a spectrum
    with a wrong last value or fewer points. A file written before the count was stated is
    checked by its line end alone.
    """
    if not ended:
        raise FormatError(
            "the last row has no line end, which every row of a forensic CSV has: the file "
            "looks cut off, as by an interrupted copy or download; copy it again from the "
            "original (a file edited by hand: end its last row with a line end)",
            path=path,
            line=line,
        )
    declared = own.get("points")
    if isinstance(declared, int) and declared != rows:
        raise FormatError(
            f"the attributes line (line 2) states {declared} points, but the table holds "
            f"{rows} rows, to this line: "
            + (
                "the file looks cut off, as by an interrupted copy or download; copy it "
                "again from the original"
                if rows < declared
                else "rows were added to it after it was written"
            ),
            path=path,
            line=line,
        )


def _refuse_cut_last_row(
    rows: list[str], style: _Style, width: int, *, path: Path, line: int
) -> None:
    """Raise when the last row of a file that ends without a newline looks cut off.

    A copy or download interrupted mid-row leaves a last row without its line end; where the
    rest of the file shows how a complete row is written, a row that lacks part of it is
    refused rather than read as a shorter spectrum, or with its last number cut short
    (``1234.5678`` read as ``1234.5``). Signs, each against the rows above: fewer cells; an
    unclosed quote; no trailing delimiter where every other row ends with one; a last cell that
    is not a number (``1.2e-``), ends in its decimal point (``1234.``), lacks the exponent
    digits its column writes (``1.2e-0`` for ``1.2e-002``), or has fewer decimals than every
    other row of its column (unless it has as many significant digits as every one of them:
    ``1.001544`` below ``0.2673450`` is written to 7 figures, not cut). A file cut exactly at
    a line end, or in a column written without a steady form (whole numbers, trailing zeros
    dropped), shows no sign: that cannot be detected.
    """
    last, others = rows[-1], rows[:-1]
    stripped = last.strip()
    cells = _split(stripped, style)

    def cut(sign: str) -> FormatError:
        return FormatError(
            f"the last row is incomplete ({_clip(last)!r}: {sign}): the file looks cut off, as "
            "by an interrupted copy or download; copy it again from the original",
            path=path,
            line=line,
        )

    if len(cells) < width:
        raise cut(f"{len(cells)} of the {width} columns the rows above hold")
    if len(cells) > width:
        return  # an extra cell is no cut: _read_block says what is wrong with it
    if last.count('"') % 2:
        raise cut("a quote opened and not closed")
    if style.delimiter is not None and stripped.endswith(style.delimiter):
        return  # its last cell is followed by its delimiter: whole
    delimited = style.delimiter is not None and bool(others)
    if delimited and all(row.rstrip().endswith(style.delimiter) for row in others):
        raise cut(f"every row above ends with {style.delimiter!r} and this one does not")
    cell = cells[width - 1]
    form = _written(cell, style)
    if form is None or _to_number(cell, style) is None:
        if NOT_A_NUMBER.fullmatch(cell):
            return  # NaN or inf: _read_block refuses it as what it is
        raise cut(f"its last number {cell!r} is incomplete")
    above = []
    for row in others:
        row_cells = _split(row.strip(), style)
        if len(row_cells) == width:
            written = _written(row_cells[width - 1], style)
            if written is not None:
                above.append(written)
    if len(above) < _CUT_EVIDENCE_ROWS:
        return
    if form.ends_in_point and not any(w.ends_in_point for w in above):
        raise cut("its last number ends in its decimal point")
    exponents = {w.exponent for w in above}
    if None not in exponents:
        if len(exponents) == 1 and (form.exponent or 0) < min(exponents):
            raise cut(
                f"its last number lacks the {min(exponents)}-digit exponent of the rows above"
            )
        return
    if len(exponents) > 1 or form.exponent is not None:
        return
    places = {w.decimals for w in above}
    figures = {w.significant for w in above}
    if len(places) == 1 and form.decimals < min(places) and figures != {form.significant}:
        raise cut(
            f"its last number has {form.decimals} of the {min(places)} decimals of the rows above"
        )


def _width(lines: list[str], candidates: list[int], start: int, style: _Style) -> int:
    return len(_numeric_row(lines[candidates[start]], style) or [])


def _clip(text: str, length: int = 40) -> str:
    text = text.strip()
    return text if len(text) <= length else text[: length - 1] + "…"


def _read_block(
    rows: list[str], indices: list[int], style: _Style, width: int, path: Path
) -> np.ndarray:
    """Rows of numbers as an array (rows, width); the first bad row raises with its line."""
    # Fast path for the common clean case (numpy's C parser); anything it does not take, and
    # NaN or inf which it does take, goes through the line-by-line parser below, which names
    # the offending line.
    data = None
    if style.decimal == ",":
        # Only where no row holds a point: the line-by-line parser refuses "1001.4" (or a
        # thousands separator, "1.001,4") in a decimal-comma file instead of reading it as-is.
        if style.delimiter != "," and not any("." in row for row in rows):
            fast = [row.replace(",", ".") for row in rows]
            try:
                data = np.loadtxt(fast, delimiter=style.delimiter, ndmin=2, dtype=np.float64)
            except ValueError:
                data = None
    else:
        try:
            data = np.loadtxt(rows, delimiter=style.delimiter, ndmin=2, dtype=np.float64)
        except ValueError:
            data = None
    if (
        data is not None
        and data.shape == (len(rows), width)
        and np.isfinite(data).all()
        and not (np.abs(data) > MAX_MAGNITUDE).any()
    ):
        return data
    out = np.empty((len(rows), width))
    for position, (line, index) in enumerate(zip(rows, indices, strict=True)):
        stripped = line.strip()
        if _is_comment(stripped):
            out[position] = math.nan
            continue
        cells = _split(stripped, style)
        if len(cells) != width and not any(_to_number(c, style) is not None for c in cells):
            raise FormatError(
                f"expected a row of {width} numbers, found {_clip(line)!r} ({style.describe()})",
                path=path,
                line=index + 1,
            )
        if len(cells) != width:
            raise FormatError(
                f"{len(cells)} column(s) where the rows above have {width} "
                f"({style.describe()}): {_clip(line)!r}",
                path=path,
                line=index + 1,
            )
        for column, cell in enumerate(cells):
            if cell == "" and style.delimiter is not None:
                out[position, column] = math.nan
                continue
            number = _to_number(cell, style)
            if number is None:
                _refuse_not_a_number(cell, column, path, index)
                raise FormatError(
                    f"expected a number in column {column + 1}, found {_clip(cell)!r} "
                    f"({style.describe()})",
                    path=path,
                    line=index + 1,
                )
            if not math.isfinite(number):
                raise FormatError(
                    f"number out of range ({cell!r}) in column {column + 1}",
                    path=path,
                    line=index + 1,
                )
            if abs(number) > MAX_MAGNITUDE:
                # named here, with its line: the spectrum would refuse it by index only
                raise FormatError(
                    f"number out of range ({cell!r}) in column {column + 1}: beyond what any "
                    f"spectrum holds (at most {MAX_MAGNITUDE:.0e}), a corrupt file",
                    path=path,
                    line=index + 1,
                )
            out[position, column] = number
    return out


# -- from a table to spectra -----------------------------------------------------------------


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9%µ]+", " ", name.lower()).strip()


def _squash(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", name.lower())


_Y_WORDS = (
    ("dark subtracted", "counts"),
    ("absorbance", "absorbance"),
    ("kubelka", "kubelka_munk"),
    ("%t", "percent_transmittance"),
    ("% t", "percent_transmittance"),
    ("%tr", "percent_transmittance"),
    ("percent transmittance", "percent_transmittance"),
    ("transmittance", "transmittance"),
    ("transmission", "transmittance"),
    ("reflectance", "reflectance"),
    ("counts per second", "counts_per_second"),
    ("cps", "counts_per_second"),
    ("counts", "counts"),
    ("count", "counts"),
    ("cnt", "counts"),
    ("intensity", None),
    ("signal", None),
    ("raw data", "counts"),
    ("normalised", "normalised"),
    ("normalized", "normalised"),
    ("y", None),
    ("int", None),
)
_NOT_SAMPLE = ("pixel", "dark", "reference", "raw", "irradiance", "index", "point", "%", "#")


def _x_kind(name: str) -> str | None:
    """'raman', 'wavenumber', 'wavelength_nm', 'wavelength_um' or None for a column name."""
    norm = _norm(name)
    words = set(norm.split())
    squashed = _squash(name)
    if "raman" in words or "ramanshift" in squashed or "shift" in words:
        return "raman"
    if "wavelength" in squashed or "wavelength" in words or "lambda" in words:
        if words & {"µm", "um", "micron", "microns", "micrometre", "micrometer"}:
            return "wavelength_um"
        return "wavelength_nm"
    if (
        "wavenumber" in squashed
        or "cm 1" in norm
        or "1 cm" in norm
        or words & {"wave", "x", "cm1", "wn"}
    ):
        return "wavenumber"
    return None


def _y_unit_of(name: str) -> tuple[bool, str | None]:
    """Whether a column name names an intensity, and the unit it says (if any)."""
    norm = _norm(name)
    squashed = _squash(name)
    if norm in Y_UNITS or squashed in {u.replace("_", "") for u in Y_UNITS}:
        for unit in Y_UNITS:
            if squashed == unit.replace("_", ""):
                return True, unit
    words = set(norm.split())
    for word, unit in _Y_WORDS:
        if (" " in word or "%" in word) and word in norm:
            return True, unit
        if word in words:
            return True, unit
    if squashed.startswith(("absorbance", "transmittance", "intensity", "counts")):
        return _y_unit_of(re.sub(r"([a-z])([A-Z_])", r"\1 \2", name.replace("_", " ")))
    return False, None


def _select_columns(table: _Table) -> tuple[int, str, list[tuple[int, str | None, str | None]]]:
    """The axis column, its kind, and [(intensity column, its name, its unit)]."""
    data = table.data
    numeric = [j for j in range(data.shape[1]) if np.isfinite(data[:, j]).sum() >= MIN_POINTS]
    names = table.column_names
    if len(numeric) < 2:
        raise FormatError(
            f"only {len(numeric)} column(s) of numbers with {MIN_POINTS} or more values; "
            "expected a wavenumber column and an intensity column",
            path=table.path,
            line=int(table.line_numbers[0]),
        )
    if names is None:
        # beside the axis, columns that vary could each be the spectrum (shift, raw, dark,
        # corrected...): without a header to say which, taking one may compare the dark signal
        # or a second spectrum with the library without a word (constant ones, flags or a laser
        # power, cannot be)
        varying = [j for j in numeric[1:] if np.nanmax(data[:, j]) > np.nanmin(data[:, j])]
        if len(varying) > 1:
            raise FormatError(
                f"{len(numeric)} columns of numbers and no header naming them, "
                f"{len(varying) + 1} of which vary: which is the wavenumber and which the "
                "intensity is not known. Export only those two columns, or add a header row "
                "that names each column",
                path=table.path,
                line=int(table.line_numbers[0]),
            )
        return numeric[0], "unknown", [((varying or numeric[1:])[0], None, None)]
    kinds = {j: _x_kind(names[j]) for j in numeric}
    x_col = None
    for wanted in ("raman", "wavenumber", "wavelength_nm", "wavelength_um"):
        found = [j for j in numeric if kinds[j] == wanted]
        if found:
            x_col = found[0]
            break
    x_kind = "unknown" if x_col is None else str(kinds[x_col])
    if x_col is None:
        skip = [j for j in numeric if "pixel" in _norm(names[j]) or "index" in _norm(names[j])]
        rest = [j for j in numeric if j not in skip] or numeric
        x_col = rest[0]
    others = [j for j in numeric if j != x_col and kinds[j] is None]
    named = [(j, *_y_unit_of(names[j])) for j in others]
    # B&W Tek: the dark-subtracted signal is the spectrum; raw, dark and reference are not.
    for j, _is_y, unit in named:
        if "dark subtracted" in _norm(names[j]):
            return x_col, x_kind, [(j, names[j], unit)]
    intensity = [(j, names[j], unit) for j, is_y, unit in named if is_y]
    if intensity:
        return x_col, x_kind, [intensity[0]]
    samples = [
        (j, names[j], None)
        for j in others
        if not any(word in _norm(names[j]) or word in names[j].lower() for word in _NOT_SAMPLE)
    ]
    if x_kind != "unknown" and len(samples) >= 2 and len(samples) == len(others):
        return x_col, x_kind, samples  # one spectrum per column, named by its header
    if not others:
        raise FormatError(
            "no intensity column: every numeric column is an axis "
            f"({', '.join(names[j] for j in numeric)})",
            path=table.path,
        )
    return x_col, x_kind, [(others[0], names[others[0]], None)]


def _first_number(value: str) -> float | None:
    match = re.search(r"[-+]?\d+(?:[.,]\d+)?(?:[eE][-+]?\d+)?", value)
    if match is None:
        return None
    try:
        return float(match.group(0).replace(",", "."))
    except ValueError:
        return None


_STANDARD_FROM_HEADER = {
    "names": "name",
    "name": "name",
    "samplename": "name",
    "sample": "name",
    "substance": "name",
    "compound": "name",
    "rruffid": "rruff_id",
    "cas": "cas",
    "casnumber": "cas",
    "operator": "operator",
    "model": "instrument_model",
    "instrument": "instrument_model",
    "instrumentmodel": "instrument_model",
    "spectrometer": "instrument_model",
    "devicesn": "instrument_serial",
    "serial": "instrument_serial",
    "serialnumber": "instrument_serial",
    "instrumentserial": "instrument_serial",
}
_LASER_KEYS = {
    "laserwavelength",
    "laserwavelengthnm",
    "laser",
    "lasernm",
    "excitationwavelength",
    "excitationwavelengthnm",
    "excitation",
    "laserwl",
    "laserline",
}
_TIME_KEYS = {  # key -> factor to milliseconds
    "intigrationtimesms": 1.0,  # B&W Tek's spelling
    "integrationtimesms": 1.0,
    "integrationtimems": 1.0,
    "integrationtime": 1.0,
    "exposurems": 1.0,
    "exposuretimems": 1.0,
    "acqtimes": 1000.0,
    "exposuretimes": 1000.0,
    "integrationtimes": 1000.0,
}
_AVERAGE_KEYS = {"averagenumber", "accumulations", "repetitioncount", "averages", "scans"}
_TEMPERATURE_KEYS = {"detectortemperaturec", "ccdtemperature", "detectortemperature"}
_POWER_KEYS = {"laserpowermw", "laserpower"}


def _standard_metadata(table: _Table) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for key, value in table.header.items():
        if value:  # empty vendor fields ("operator;") say nothing
            meta[key] = value
    for key, value in table.header.items():
        squashed = _squash(key)
        if not value:
            continue
        if squashed in _STANDARD_FROM_HEADER:
            meta.setdefault(_STANDARD_FROM_HEADER[squashed], value)
        elif squashed in _LASER_KEYS:
            number = _first_number(value)
            if number is not None and 150.0 <= number <= 2000.0:
                meta.setdefault("laser_wavelength_nm", number)
                meta.setdefault("laser_wavelength_basis", f"header {key!r}")
        elif squashed in _TIME_KEYS:
            number = _first_number(value)
            if number is not None:
                meta.setdefault("integration_time_ms", number * _TIME_KEYS[squashed])
        elif squashed in _AVERAGE_KEYS:
            number = _first_number(value)
            if number is not None and number == int(number):
                meta.setdefault("averages", int(number))
        elif squashed in _TEMPERATURE_KEYS:
            number = _first_number(value)
            if number is not None:
                meta.setdefault("detector_temperature_c", number)
        elif squashed in _POWER_KEYS:
            number = _first_number(value)
            if number is not None:
                meta.setdefault("laser_power_mw", number)
    if "rruff_id" not in meta:
        match = _RRUFF_ID_RE.search(table.path.name)
        if match and "RRUFF" in "".join(table.header).upper() + table.path.name.upper():
            meta["rruff_id"] = match.group(1)
    if table.comments:
        meta["comment"] = "\n".join(table.comments)
    stated = stated_laser_nm()  # library import --laser-nm: over what the header says
    if stated is not None:
        if "laser_wavelength_nm" in meta:
            meta["laser_wavelength_file"] = meta["laser_wavelength_nm"]
        meta["laser_wavelength_nm"] = stated
        meta["laser_wavelength_basis"] = LASER_STATED_BASIS
    return meta


def _word_evidence(texts: list[str]) -> str | None:
    raman = ir = False
    for text in texts:
        words = set(re.split(r"[^a-z%]+", text.lower()))
        low = text.lower()
        if "raman" in low:
            raman = True
        if words & {"absorbance", "transmittance", "ftir", "infrared", "atr", "kubelka"} or (
            "ft-ir" in low
        ):
            ir = True
    if raman and not ir:
        return "raman"
    if ir and not raman:
        return "ir"
    return None


def _name_evidence(path: Path) -> str | None:
    words: set[str] = set()
    for part in (path.stem, path.parent.name):
        words |= {w.lower() for w in re.split(r"[^A-Za-z0-9]+", part) if w}
    raman = "raman" in words
    ir = bool(words & {"infrared", "ftir", "ir", "atr", "mir"})
    if raman and not ir:
        return "raman"
    if ir and not raman:
        return "ir"
    return None


def _numeric_evidence(x: np.ndarray, y: np.ndarray) -> tuple[str, str | None, str]:
    """(modality, unit or None, why) from the numbers alone."""
    lo, hi = float(np.min(x)), float(np.max(x))
    ymin, ymax = float(np.min(y)), float(np.max(y))
    if lo < 300.0:
        return "raman", None, f"axis starts at {lo:.0f} cm-1, below the mid-IR range"
    span = ymax - ymin
    if span > 0 and hi >= 2000.0:
        dips = (float(np.median(y)) - ymin) / span > 0.75
        scale = transmittance_scale(y) if dips else None
        if scale == "transmittance":
            return "ir", scale, "intensities dip from a baseline, all within 0..1 (transmittance)"
        if scale == "percent_transmittance":
            return "ir", scale, "intensities dip from a baseline, all within 0..100 (percent)"
    whole = bool(np.all(y == np.round(y)))
    if hi >= 3600.0 and ymin >= -0.5 and ymax <= 6.0 and not whole:
        return "ir", "absorbance", "small positive intensities up to 3600+ cm-1 (absorbance)"
    return "raman", None, "intensities look like Raman counts on a Raman-shift range"


def _decide(
    table: _Table,
    x: np.ndarray,
    y: np.ndarray,
    *,
    x_name: str | None,
    y_name: str | None,
    y_unit_named: str | None,
    meta: dict[str, Any],
) -> tuple[str, str, str]:
    """(modality, y_unit, basis) by the documented rules."""
    modality = None
    basis = ""
    if x_name and _x_kind(x_name) == "raman" and "raman" in x_name.lower():
        modality, basis = "raman", f"column {x_name!r}"
    elif y_unit_named in IR_UNITS:
        modality, basis = "ir", f"column {y_name!r}"
    elif "laser_wavelength_nm" in meta and str(meta.get("laser_wavelength_basis", "")).startswith(
        ("header", LASER_STATED_BASIS)
    ):
        modality, basis = "raman", "laser wavelength in the header"
    if modality is None:
        texts = [f"{k} {v}" for k, v in table.header.items()] + table.comments
        if table.column_names:
            texts += [n for n in (x_name, y_name) if n]
        found = _word_evidence(texts)
        if found:
            modality, basis = found, "words in the header"
    if modality is None:
        found = _name_evidence(table.path)
        if found:
            modality, basis = found, "file or folder name"
    numeric_modality, numeric_unit, why = _numeric_evidence(x, y)
    if modality is None:
        modality, basis = numeric_modality, f"{GUESSED_MODALITY_BASIS}: {why}"
    unit = y_unit_named
    unit_basis = None
    if unit == "transmittance":
        # "Transmittance" names no scale ("Transmittance (%)" neither): the values settle it, by
        # the one rule the range check applies too; values it cannot tell are read as a
        # fraction, and said to be a guess
        scale = transmittance_scale(y)
        if scale is not None:
            unit = scale
        else:
            unit_basis = (
                f"the column {y_name!r} names no scale, and "
                f"{float(np.min(y)):.3g}..{float(np.max(y)):.3g} is neither a fraction nor "
                f"percent ({TRANSMITTANCE_SCALE_RULE}); read as a fraction"
            )
    if unit is None:
        if modality == "ir":
            if numeric_modality == "ir" and numeric_unit:
                unit, unit_basis = numeric_unit, why
            elif float(np.max(y)) <= 6.0:
                unit, unit_basis = "absorbance", "intensities up to 6, as absorbance can be"
            else:
                unit, unit_basis = "arbitrary", "intensities above 6: no absorbance"
        else:
            unit = "counts" if bool(np.all(y == np.round(y))) else "arbitrary"
    if modality == "raman" and unit in ("absorbance", "transmittance", "percent_transmittance"):
        unit, unit_basis = "arbitrary", None
    if unit_basis is not None:
        meta["y_unit_basis"] = f"{GUESSED_UNIT_BASIS}: {unit_basis}"
    return modality, unit, basis


def _laser_from_name(path: Path) -> float | None:
    match = _RRUFF_LASER_RE.search(path.name)
    if match:
        return float(match.group(1))
    match = _FILENAME_LASER_RE.search(path.stem)
    return float(match.group(1)) if match else None


def _spectra_from_table(table: _Table) -> list[Spectrum]:
    if table.own is not None:
        return [_own_spectrum(table)]
    _refuse_missing_pixels(table)
    # Before the columns are told apart (tens of microseconds each): at most one spectrum per
    # column beside the axis.
    check_spectrum_count(table.data.shape[1] - 1, "a column each", path=table.path)
    x_col, x_kind, y_cols = _select_columns(table)
    names = table.column_names
    x_name = names[x_col] if names else None
    base = _standard_metadata(table)
    base["text_layout"] = table.layout
    spectra = []
    for y_col, y_name, y_unit_named in y_cols:
        meta = dict(base)
        history: list[ProcessingStep] = []
        x = table.data[:, x_col]
        y = table.data[:, y_col]
        keep = np.isfinite(x) & np.isfinite(y)
        _refuse_axis_order(table, x[keep], table.line_numbers[keep], x_kind)
        if not keep.all():
            skipped = int((~keep).sum())
            history.append(
                ProcessingStep(
                    "skip_rows_without_values",
                    {"rows": skipped, "reason": "empty axis or intensity cell"},
                )
            )
            x, y = x[keep], y[keep]
        if x.size < MIN_POINTS:
            raise FormatError(
                f"only {x.size} rows have both an axis and an intensity value "
                f"(columns {x_col + 1} and {y_col + 1}); a spectrum needs {MIN_POINTS}",
                path=table.path,
                line=int(table.line_numbers[0]),
            )
        if names:
            meta["x_column"] = x_name
            meta["y_column"] = y_name
            if len(y_cols) > 1:
                meta["name"] = y_name
        modality, unit, basis = _decide(
            table, x, y, x_name=x_name, y_name=y_name, y_unit_named=y_unit_named, meta=meta
        )
        meta["modality_basis"] = basis
        if modality == "raman" and "laser_wavelength_nm" not in meta:
            laser = _laser_from_name(table.path)
            if laser is not None:
                meta["laser_wavelength_nm"] = laser
                meta["laser_wavelength_basis"] = "file name"
        if modality == "ir":
            meta.pop("laser_wavelength_nm", None)
            meta.pop("laser_wavelength_basis", None)
        spectra.append(
            _build(
                table,
                x,
                y,
                x_kind=x_kind,
                modality=modality,
                unit=unit,
                meta=meta,
                history=history,
            )
        )
    return spectra


def _refuse_missing_pixels(table: _Table) -> None:
    """Raise, naming the last row's line, when a table of detector pixels (a ``Pixel`` column,
    one row per pixel: B&W Tek) holds another number of rows than its header's ``pixel_num``,
    or ``pixel_start`` to ``pixel_end``, declares.

    A file cut exactly at a line end leaves no other sign (see the module's notes), and its
    rows read as a spectrum cut short; a count declared in the file shows it.
    """
    names = table.column_names
    if not names or not any(_norm(name) == "pixel" for name in names):
        return
    header = {_squash(key): _first_number(value) for key, value in table.header.items()}
    step = header.get("step")
    if step not in (None, 1.0):
        return  # every step-th pixel: how the rows are counted then is not known
    declared, said = header.get("pixelnum"), "pixel_num"
    start, end = header.get("pixelstart"), header.get("pixelend")
    if declared is None and start is not None and end is not None:
        declared, said = end - start + 1, f"pixel_start {start:g} to pixel_end {end:g}"
    if declared is None or declared < 1 or declared != int(declared):
        return
    rows = table.data.shape[0]
    if rows == declared:
        return
    declared = int(declared)
    if rows < declared:
        found = (
            f"the table ends here, after {rows} rows: the file looks cut off, as by an "
            "interrupted copy or download; copy it again from the original"
        )
    else:
        found = (
            f"the table holds {rows} rows, to this line: more rows than the detector has "
            "pixels (a second table appended?)"
        )
    raise FormatError(
        f"the header declares {declared} detector pixels ({said}) but {found}",
        path=table.path,
        line=int(table.line_numbers[-1]),
    )


def _refuse_axis_order(table: _Table, x: np.ndarray, line_numbers: np.ndarray, x_kind: str) -> None:
    """Raise, naming the line, when the axis column holds more than one sweep (see
    :func:`~forensic.spectrum.axis_order_problem`; :meth:`Spectrum.from_readings` would refuse
    it too, but by index)."""
    unit = {"wavelength_nm": " nm", "wavelength_um": " µm"}.get(x_kind, " cm-1")
    problem = axis_order_problem(x, unit=unit)
    if problem is not None:
        raise FormatError(
            problem.reason("here"), path=table.path, line=int(line_numbers[problem.index])
        )


def _build(
    table: _Table,
    x: np.ndarray,
    y: np.ndarray,
    *,
    x_kind: str,
    modality: str,
    unit: str,
    meta: dict[str, Any],
    history: list[ProcessingStep],
) -> Spectrum:
    try:
        if x_kind == "wavelength_nm":
            # Only a laser line stated in the file makes a nm axis Raman (a number in the file
            # name is too weak for that); nm beyond 2000 is mid/near IR; the rest is refused.
            laser = meta.get("laser_wavelength_nm")
            stated = str(meta.get("laser_wavelength_basis", "")).startswith(
                ("header", LASER_STATED_BASIS)
            )
            if laser is not None and stated and modality == "raman":
                shift = wavelength_to_raman_shift(x, float(laser))
                history.append(
                    ProcessingStep(
                        "wavelength_to_raman_shift", {"laser_wavelength_nm": float(laser)}
                    )
                )
                return Spectrum.from_readings(
                    shift, y, modality="raman", y_unit=unit, metadata=meta, history=history
                )
            low, high = float(np.min(x)), float(np.max(x))
            if low >= IR_MICROMETRE_FROM_UM and high < IR_MICROMETRE_BELOW:
                # "Wavelength" alone is read as nm: as µm, these are an IR spectrum's
                raise FormatError(
                    f"the wavelength axis, read as nm, runs {low:.4g}-{high:.4g}, which no "
                    "vibrational spectrum does in nm; in µm, it looks like an IR spectrum's "
                    "wavelength (2.5-25 µm is 4000-400 cm-1): if it is, head the axis column "
                    "'wavelength (µm)', and forensic converts it as it reads it, wavenumber in "
                    "cm-1 = 10000 / µm",
                    path=table.path,
                )
            if low < 2000.0:
                raise NotVibrationalError(
                    "a spectrum on a wavelength axis (nm) with no laser wavelength",
                    path=table.path,
                    detail=f"{low:.0f}-{high:.0f} nm; a Raman export "
                    "needs its excitation wavelength (a 'laser wavelength' line in the header, or "
                    "forensic library import --laser-nm NM) to become Raman shift, and "
                    "UV-visible or emission data are not vibrational spectra",
                )
            x = nanometre_to_wavenumber(x)
            history.append(ProcessingStep("nanometre_to_wavenumber", {}))
            if modality != "ir":
                modality = "ir"
                meta["modality_basis"] = "wavelength axis beyond 2000 nm (infrared)"
                meta.pop("laser_wavelength_nm", None)
                meta.pop("laser_wavelength_basis", None)
                if unit in ("counts", "arbitrary"):
                    unit = "arbitrary"
        elif x_kind == "wavelength_um" or (
            modality == "ir" and float(np.max(x)) < IR_MICROMETRE_BELOW
        ):
            infrared = float(np.min(x)) >= IR_MICROMETRE_FROM_UM
            x = micrometre_to_wavenumber(x)
            history.append(ProcessingStep("micrometre_to_wavenumber", {}))
            if modality != "ir" and infrared:
                # 10000 / µm is a wavenumber, not a Raman shift; and beyond 2 µm it is no
                # Raman laser's scattered light: the spectrum is IR, whatever the numbers guessed
                modality = "ir"
                meta["modality_basis"] = (
                    f"wavelength axis in µm from {IR_MICROMETRE_FROM_UM:g} µm (infrared)"
                )
                meta.pop("laser_wavelength_nm", None)
                meta.pop("laser_wavelength_basis", None)
                if unit == "counts":
                    unit = "arbitrary"
        return Spectrum.from_readings(
            x, y, modality=modality, y_unit=unit, metadata=meta, history=history
        )
    except SpectrumError as exc:
        raise FormatError(str(exc), path=table.path) from None


def _own_spectrum(table: _Table) -> Spectrum:
    own = table.own or {}
    data = table.data
    if data.shape[1] != 2:
        raise FormatError(
            f"a forensic CSV has 2 columns, this one has {data.shape[1]}", path=table.path
        )
    try:
        history = [ProcessingStep.from_dict(s) for s in own.get("history", [])]
        metadata = dict(own.get("metadata") or {})  # the registry keeps original_source_*
        return Spectrum(
            data[:, 0],
            data[:, 1],
            modality=own["modality"],
            y_unit=own.get("y_unit", "arbitrary"),
            metadata=metadata,
            history=history,
        )
    except SpectrumError as exc:
        raise FormatError(str(exc), path=table.path) from None
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise FormatError(
            f"the attributes line of this forensic CSV is incomplete or malformed ({exc!r})",
            path=table.path,
            line=2,
        ) from None


# -- the Format ---------------------------------------------------------------------------------


def read_text(path: str | Path) -> list[Spectrum]:
    """Read the spectra in a text file (RRUFF, CSV/TSV/whitespace table, vendor export).

    Parameters
    ----------
    path : str or Path
        The file.

    Returns
    -------
    list of Spectrum
        Usually one; one per intensity column when a table holds several named spectra.

    Raises
    ------
    FormatError
        Binary data, prose, a table without two numeric columns, fewer than 16 rows, NaN or
        text inside the rows: the message names the file and the first offending line.
    NotVibrationalError
        A wavelength axis (nm) with no laser wavelength to make it Raman shift.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise FormatError(f"cannot be read: {exc.strerror}", path=path) from None
    if not raw.strip():
        raise FormatError("the file is empty", path=path)
    table = _parse(_decode(raw, path), path)
    return _spectra_from_table(table)


def sniff_text(head: bytes, path: Path) -> bool:
    """True when ``head`` is mostly printable text with at least one row of two numbers.

    Parameters
    ----------
    head : bytes
        The first :data:`~forensic.io.SNIFF_BYTES` bytes of the file (UTF-16 with a BOM, or
        an 8-bit encoding).
    path : Path
        The file (not looked at: the bytes decide).

    Returns
    -------
    bool
        False for bytes with NUL in them (without a UTF-16 BOM) or more than 5 % unprintable
        characters.
    """
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head.decode("utf-16", errors="ignore")
    else:
        if b"\x00" in head:
            return False
        text = head.decode("latin-1")
    if not text:
        return False
    printable = sum(1 for ch in text if ch.isprintable() or ch in "\t\r\n")
    if printable < 0.95 * len(text):
        return False
    return _SNIFF_ROW_RE.search(text) is not None


def _format_float(value: float) -> str:
    return repr(float(value))


def write_csv(spectrum: Spectrum) -> bytes:
    """Serialise a spectrum as our CSV: ``#`` lines with its attributes as JSON, then the rows.

    The file reads in any spreadsheet (comment lines aside) and reads back through
    :func:`read_text` with the same numbers (shortest round-tripping decimal form), modality,
    unit, metadata and history. Its attributes state its number of points and every row ends
    with a line end, so that a copy cut short is refused, wherever it was cut.

    Parameters
    ----------
    spectrum : Spectrum
        The spectrum, with its metadata and history (a value JSON cannot hold is written as
        its text).

    Returns
    -------
    bytes
        UTF-8 text with ``\\n`` line ends.
    """
    attributes = {
        "modality": spectrum.modality,
        "points": len(spectrum),  # a copy cut at a line end shows by it
        "y_unit": spectrum.y_unit,
        "metadata": json.loads(json.dumps(dict(spectrum.metadata), default=str)),
        "history": [step.to_dict() for step in spectrum.history],
    }
    lines = [
        f"{CSV_MAGIC}; the next line holds its modality, unit, metadata and history as JSON",
        "# " + json.dumps(attributes, ensure_ascii=False, sort_keys=True),
        f"wavenumber_cm-1,{spectrum.y_unit}",
    ]
    lines += [
        f"{_format_float(x)},{_format_float(y)}"
        for x, y in zip(spectrum.wavenumber.tolist(), spectrum.intensity.tolist(), strict=True)
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


FORMAT = Format(
    name="text",
    description="delimited text (RRUFF, CSV/TSV, B&W Tek, Horiba/LabSpec, OpenSpecy)",
    extensions=(".txt", ".csv", ".tsv", ".dat", ".asc", ".prn", ".xy", ".tab"),
    sniff=sniff_text,
    read=read_text,
    write=write_csv,
    text=True,
)
