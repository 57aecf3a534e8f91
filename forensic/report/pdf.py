"""The PDF rendering of a report, drawn with matplotlib only (``PdfPages``).

Why matplotlib and no PDF library: the toolkit already depends on it for every figure, its PDF
backend embeds TrueType fonts (``pdf.fonttype = 42``) so the text can be extracted and searched
(``pdftotext``, ``pypdf``), and a report is a few pages of text, tables and two figures, which a
small flow layout below handles. Every page carries the case number, the report id and
"Page x of y"; a forced report (chain not verified) carries a red line saying so on every page.

The PDF carries its own proof: the signed JSON content is attached to it (``report.json``, an
embedded file any PDF reader lists), so :func:`check_report_pdf` can check a PDF that arrives
alone (by e-mail, on a memory stick), without the store: the content's hash and signature, and
that every page says what that content says (the pages are rendered again from it and their
text compared). pypdf attaches and reads the file: writing a PDF's name tree and
cross-reference update by hand is what a PDF library is for.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import re
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.style
import numpy as np
import segno
from matplotlib.axes import Axes
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.transforms import blended_transform_factory

from forensic import __version__
from forensic.custody.store import recorded_moment, utc_when
from forensic.errors import FormatError, InstallationError
from forensic.report.content import (
    TITLE,
    check_report_json,
    parse_report_json,
    render_json,
    stated_version,
)
from forensic.report.layout import (
    LAYOUT_VERSION,
    MARKED_BREAKS,
    WHOLE_HASHES,
    WIDTH_MEASURED,
    WORDED_FOR_THE_READER,
    Block,
    figure_title,
    not_measured_note,
    report_blocks,
    table_cells,
    table_lines,
    wrap,
    wrap_to_width,
)

__all__ = [
    "REPORT_ATTACHMENT",
    "DamagedReportError",
    "SignedContentRemovedError",
    "check_report_pdf",
    "embedded_content",
    "font_file",
    "page_texts",
    "render_pdf",
    "report_marks",
    "undrawable_characters",
]

REPORT_ATTACHMENT = "report.json"
"""Name of the signed JSON content attached to every report PDF."""

CARRIES_CONTENT = f"an attached {REPORT_ATTACHMENT}"
"""What the pages of every report that carries its signed content say of it (in "To check this
report"): a PDF that says so and carries none has had it removed."""


class DamagedReportError(FormatError):
    """A PDF that cannot be read, or a report whose signed content cannot: damaged or altered.

    It does not verify; it is not "not a report" either: a report cut short, or with one byte
    of its attached ``report.json`` changed, must not pass for a file that is none of ours
    (``verify-report`` exit 1, not 2). ``reason`` says what cannot be read and where.
    """


class SignedContentRemovedError(DamagedReportError):
    """A report PDF whose pages say it carries its signed content, without it: it was removed,
    so the PDF does not verify (it is not a report issued before reports carried it)."""


PAGE_W, PAGE_H = 8.27, 11.69  # A4, inches
LEFT, RIGHT = 0.7, 0.7
TOP, BOTTOM = 1.05, 0.85  # space kept for the header and the footer
BODY_W = PAGE_W - LEFT - RIGHT
KEY_W = 2.1

# Font sizes (points) and line heights (inches) for the fonts used.
PARA_PT, MONO_PT, TABLE_PT = 8.5, 7.6, 6.8
PARA_LH, MONO_LH, TABLE_LH = 0.155, 0.14, 0.125
LEGEND_PT = 6.5
# Characters a line holds: the monospaced ones always; those of DejaVu Sans (PARA_CHARS and
# the ems below) only in reports of layouts 1 and 2, which wrapped it by a count of
# characters (see _Wrapping).
PARA_CHARS, MONO_CHARS, TABLE_CHARS = 105, 70, 118

DISPLAY_CHAR_EM = 0.64  # average advance of bold DejaVu Sans, in ems, rounded up for capitals
TEXT_CHAR_EM = 0.6  # the same for regular DejaVu Sans
KEY_CHARS = int((KEY_W - 0.15) * 72 / (DISPLAY_CHAR_EM * PARA_PT))
PAGE_NUMBER_W = 1.2  # inches kept free for "Page x of y" beside the header and footer text
SANS = "DejaVu Sans"
MONO = "DejaVu Sans Mono"
FONT_FILES = {
    (SANS, False): "DejaVuSans.ttf",
    (SANS, True): "DejaVuSans-Bold.ttf",
    (MONO, False): "DejaVuSansMono.ttf",
    (MONO, True): "DejaVuSansMono-Bold.ttf",
}
"""The file of each font a report draws with, by family and boldness, among those matplotlib
ships (``mpl-data/fonts/ttf``): see :func:`font_file`."""
RED = "#b00020"
COMPONENT_COLOURS = ("#d62728", "#2ca02c", "#9467bd", "#ff7f0e")  # up to 4 mixture components


@dataclass
class _Item:
    height: float
    draw: Callable[[Figure, float], None]  # (figure, top in inches from the page top)
    keep_with_next: bool = False
    # a table row's column headings, drawn again above it when it starts a page
    header: list[_Item] | None = None


WRAPPED_BY_WIDTH = 3
"""The first layout version (:data:`~forensic.report.layout.LAYOUT_VERSION`) whose text in
the proportional font is wrapped by its drawn width; earlier reports are wrapped again by a
count of characters, as they were issued, so that they still verify."""

WIDTH_SLACK_PT = 1.0
"""Points kept free between a margin and text measured to reach it (the end of a line
measured by its drawn width, the figure's y labels): the measure is that of the glyphs'
outlines, which a viewer may draw a hair wider (its own rounding)."""


@dataclass(frozen=True)
class _Wrapping:
    """How a report's text in the proportional font (DejaVu Sans) is broken into lines: by its
    drawn width (``by_width``, reports of layout 3 on), so that no line leaves the page body
    whatever its letters, or by a count of characters, as reports of layouts 1 and 2 were
    laid out (a line of capitals could run past the margin). Monospaced text (values,
    tables) is wrapped by its drawn width in character cells (``in_cells``, layout
    :data:`~forensic.report.layout.WIDTH_MEASURED` on: a box standing for a Chinese character
    takes nearly two), or by a count of characters, as earlier layouts took each glyph to be
    as wide as any other."""

    by_width: bool = True
    marked: bool = True  # a word broken only after a hyphen or slash, or marked (MARKED_BREAKS)
    hashes: bool = True  # a hex digest broken only after whole groups, unmarked (WHOLE_HASHES)
    # monospaced text measured by its glyphs' drawn width, in cells (WIDTH_MEASURED)
    in_cells: bool = True

    @classmethod
    def of(cls, content: Mapping[str, Any]) -> _Wrapping:
        layout = content.get("layout", 1)
        return cls(
            by_width=layout >= WRAPPED_BY_WIDTH,
            marked=layout >= MARKED_BREAKS,
            hashes=layout >= WHOLE_HASHES,
            in_cells=layout >= WIDTH_MEASURED,
        )

    def lines(
        self, text: str, width: float, fontsize: float, *, bold: bool = False, chars: int
    ) -> list[str]:
        """``text`` as lines at most ``width`` inches wide in DejaVu Sans of ``fontsize``
        points (bold if ``bold``), or of at most ``chars`` characters in an earlier layout."""
        if not self.by_width:
            return wrap(text, chars)
        return wrap_to_width(
            text,
            width * 72 - WIDTH_SLACK_PT,
            functools.partial(drawn_width, fontsize=fontsize, bold=bold),
            marked=self.marked,
            hashes=self.hashes,
        )

    def chunks(self, text: str, chars: int, fontsize: float) -> list[str]:
        """Monospaced ``text`` as lines of at most ``chars`` character cells as drawn in
        DejaVu Sans Mono of ``fontsize`` points (:func:`mono_cells`), or, in an earlier
        layout, of at most ``chars`` characters."""
        if not self.in_cells:
            return wrap(text, chars, marked=self.marked, hashes=self.hashes)
        measure = functools.partial(mono_cells, fontsize=fontsize)
        return wrap_to_width(text, chars, measure, marked=self.marked, hashes=self.hashes)


def mono_cells(text: str, fontsize: float) -> float:
    """How many character cells of DejaVu Sans Mono ``text`` takes as a report draws it: one
    for each character the font draws, nearly two for a box standing for one it cannot draw
    (a Chinese character: :func:`undrawable_characters`), none for an accent drawn over the
    letter before it.

    Parameters
    ----------
    text : str
        One line.
    fontsize : float
        In points.

    Returns
    -------
    float
        Its drawn width over the width of one cell (the advance of ``0``).
    """
    return drawn_width(text, fontsize, family=MONO) / drawn_width("0", fontsize, family=MONO)


@functools.lru_cache(maxsize=1 << 16)
def drawn_width(text: str, fontsize: float, bold: bool = False, *, family: str = SANS) -> float:
    """The width of a line of text as a report draws it in DejaVu Sans (or ``family``), in
    points.

    Measured on the glyph outlines of the font file the report draws with (:func:`font_file`,
    kerning included), with matplotlib's default settings (:func:`drawing_settings`), so the
    same on every machine.

    Parameters
    ----------
    text : str
        One line, drawn as written (no formula).
    fontsize : float
        In points.
    bold : bool
        The bold face (headings, the verdict, a key).
    family : str
        :data:`SANS`, or :data:`MONO` (values and tables: :func:`mono_cells`).
    """
    from matplotlib.font_manager import FontProperties  # noqa: PLC0415
    from matplotlib.textpath import text_to_path  # noqa: PLC0415

    with drawing_settings(), warnings.catch_warnings():
        # glyphs missing from the font are said on the report's first page, not here
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        face = FontProperties(fname=font_file(family, bold=bold), size=fontsize)
        width, _, _ = text_to_path.get_text_width_height_descent(text, face, ismath=False)
    return width


def font_file(family: str, *, bold: bool = False) -> str:
    """The file a report draws and measures one of its fonts with: matplotlib's own.

    A family name is looked up among every font matplotlib knows, the computer's included;
    matplotlib's own win only because its font cache lists them first and keeps the first of
    equal matches. Where they are not listed first (another cache, a font put ahead of them)
    a DejaVu Sans of another build is found, whose other advances and kerning break lines
    elsewhere and embed other glyphs: a genuine report would not verify there. The files
    matplotlib ships are the same wherever that version of matplotlib is installed.

    Parameters
    ----------
    family : str
        :data:`SANS` or :data:`MONO`.
    bold : bool
        The bold face.

    Returns
    -------
    str
        The font file's path (:data:`FONT_FILES`, in ``mpl-data/fonts/ttf``).

    Raises
    ------
    InstallationError
        A matplotlib installed without its fonts (a Linux distribution's package may leave
        them to the system's): reports are drawn with matplotlib's own fonts only.
    """
    path = Path(matplotlib.get_data_path(), "fonts", "ttf", FONT_FILES[family, bold])
    if not path.is_file():
        raise InstallationError(
            f"matplotlib's font file {path.name} is missing from {path.parent}: reports are "
            "drawn with matplotlib's own fonts only, so that they are drawn the same on every "
            "computer; reinstall matplotlib with pip (pip install --force-reinstall matplotlib)"
        )
    return str(path)


def _pin_fonts(fig: Figure) -> None:
    """Draw every text of a page with its font's file (:func:`font_file`), not the font a
    family name finds on this computer: those a report draws itself, and those matplotlib
    makes (tick labels, a legend's). A tick made while the page is drawn copies the
    properties of the axis's first, so it is drawn with the file, too."""
    from matplotlib.text import Text  # noqa: PLC0415

    for text in fig.findobj(Text):
        face = text.get_fontproperties()
        family, *others = face.get_family()
        weight = face.get_weight()
        if others or face.get_style() != "normal" or weight not in ("normal", "bold"):
            raise ValueError(f"a report draws no text in the font {face}")  # a programming error
        pinned = face.copy()
        pinned.set_file(font_file(family, bold=weight == "bold"))
        text.set_fontproperties(pinned)


REPORT_SETTINGS = {"pdf.fonttype": 42, "font.family": SANS, "text.parse_math": False}
"""The report's own matplotlib settings, over matplotlib's defaults: TrueType fonts embedded
(the text can be extracted), DejaVu Sans, and a ``$`` drawn as a dollar sign."""


@contextlib.contextmanager
def drawing_settings() -> Iterator[None]:
    """matplotlib's default settings and the report's own (:data:`REPORT_SETTINGS`), whatever
    the settings of the computer that draws the report.

    A report is laid out again to verify it, on the defence expert's computer as on the
    technician's: a ``matplotlibrc`` in the working folder, in ``$MPLCONFIGDIR`` or named by
    ``$MATPLOTLIBRC`` (``axes.linewidth: 3``, another font size) must draw neither of them
    otherwise, or a genuine report would not verify.
    """
    with matplotlib.style.context("default"), matplotlib.rc_context(REPORT_SETTINGS):
        yield


def _y(top: float) -> float:
    return 1.0 - top / PAGE_H


def _text(x: float, top: float, text: str, **kw: Any) -> Callable[[Figure, float], None]:
    def draw(fig: Figure, y0: float) -> None:
        fig.text(x / PAGE_W, _y(y0 + top), text, va="top", ha="left", **kw)

    return draw


def _display_lines(
    text: str,
    fontsize: float,
    height: float,
    top: float,
    *,
    wrapping: _Wrapping,
    keep_with_next: bool = False,
    **kw,
) -> list[_Item]:
    """A bold line of display text, wrapped to the body width: a verdict naming a mixture of
    long substance names must not run off the page. ``height`` is that of a one-line block;
    each further line adds the font's line height."""
    chars = max(20, int(BODY_W * 72 / (DISPLAY_CHAR_EM * fontsize)))
    lines = wrapping.lines(text, BODY_W, fontsize, bold=True, chars=chars) or [""]
    line_h = 1.25 * fontsize / 72
    items = [
        _Item(
            line_h,
            _text(LEFT, top, line, fontsize=fontsize, weight="bold", family=SANS, **kw),
            keep_with_next=True,
        )
        for line in lines
    ]
    items[-1].height = height  # the block's own spacing after its last line
    items[-1].keep_with_next = keep_with_next
    return items


def _items_for(
    block: Block, wrapping: _Wrapping = _Wrapping(), layout: int = LAYOUT_VERSION
) -> list[_Item]:
    """What a block draws, line by line, as the report's layout (its version, and how it
    wraps text) draws it."""
    if block.kind == "title":
        return _display_lines(block.text, 15, 0.45, 0.05, wrapping=wrapping)
    if block.kind == "banner":
        return _display_lines(block.text, 11, 0.35, 0.08, wrapping=wrapping, color=RED)
    if block.kind == "heading":
        return _display_lines(block.text, 11.5, 0.38, 0.14, wrapping=wrapping, keep_with_next=True)
    if block.kind == "verdict":
        return _display_lines(block.text, 16, 0.5, 0.08, wrapping=wrapping)
    if block.kind == "para":
        lines = wrapping.lines(block.text, BODY_W, PARA_PT, chars=PARA_CHARS)
        return [
            _Item(PARA_LH, _text(LEFT, 0.0, line, fontsize=PARA_PT, family=SANS)) for line in lines
        ] + [_Item(0.05, lambda fig, y0: None)]
    if block.kind == "kv":
        items = []
        for key, value in block.items:
            # a long key (an exhibit's number) wraps, too, clear of the value's column
            keys = wrapping.lines(str(key), KEY_W - 0.15, PARA_PT, bold=True, chars=KEY_CHARS)
            chunks = wrapping.chunks(str(value), MONO_CHARS, MONO_PT)
            for index in range(max(len(keys), len(chunks))):
                key_line = keys[index] if index < len(keys) else ""
                chunk = chunks[index] if index < len(chunks) else ""

                def draw(fig: Figure, y0: float, key_line=key_line, chunk=chunk) -> None:
                    fig.text(
                        LEFT / PAGE_W,
                        _y(y0),
                        key_line,
                        va="top",
                        fontsize=PARA_PT,
                        weight="bold",
                        family=SANS,
                    )
                    fig.text(
                        (LEFT + KEY_W) / PAGE_W,
                        _y(y0),
                        chunk,
                        va="top",
                        fontsize=MONO_PT,
                        family=MONO,
                    )

                # the lines of one value stay on one page
                last = index == max(len(keys), len(chunks)) - 1
                items.append(_Item(MONO_LH, draw, keep_with_next=not last))
        items.append(_Item(0.06, lambda fig, y0: None))
        return items
    if block.kind == "table" and layout >= WIDTH_MEASURED:
        return _table_items(block, wrapping)
    if block.kind == "table":
        heading, rows = table_lines(
            block.headers,
            block.items,
            TABLE_CHARS,
            block.keep,
            marked=wrapping.marked,
            hashes=wrapping.hashes,
        )
        lines = [*heading, *(line for row in rows for line in row)]
        items = [
            _Item(
                TABLE_LH,
                _text(
                    LEFT,
                    0.0,
                    line,
                    fontsize=TABLE_PT,
                    family=MONO,
                    weight="bold" if i == 0 else "normal",
                ),
            )
            for i, line in enumerate(lines)
        ]
        # the headings and their rule stay with the first row; a row that starts a page has
        # them drawn again above it
        header = items[: len(heading)]
        for item in header:
            item.keep_with_next = True
        for item in items[len(heading) :]:
            item.header = header
        if layout >= HEADINGS_WITH_FIRST_ROWS:  # a row's lines on one page, under its headings
            first = len(heading)
            for row in rows:
                for item in items[first : first + len(row) - 1]:
                    item.keep_with_next = True
                first += len(row)
        items.append(_Item(0.08, lambda fig, y0: None))
        return items
    if block.kind == "figure":
        if layout >= GRAYSCALE_FIGURE:
            figure = _PrintedFigure.of(block.data, wrapping)
            return [_Item(figure.height, figure.draw)]
        return [
            _Item(
                3.7,
                lambda fig, y0, data=block.data: _draw_spectrum(
                    fig, y0, data, wrapping, labels_at_margin=layout >= LABELS_AT_MARGIN
                ),
            )
        ]
    if block.kind == "qr":
        return [_Item(1.75, lambda fig, y0, data=block.data: _draw_qr(fig, y0, data))]
    if block.kind == "end":
        return _display_lines(block.text, 10, 0.5, 0.2, wrapping=wrapping)
    raise ValueError(f"unknown report block {block.kind!r}")  # a programming error, not input


TABLE_BASELINE_EM = 0.8
"""How far under the top of its line a table's text stands on its baseline, in ems (from
layout :data:`WIDTH_MEASURED` on, which draws each cell apart): about where a line drawn
whole from its top had it."""


def _table_items(block: Block, wrapping: _Wrapping) -> list[_Item]:
    """What a table draws from layout :data:`WIDTH_MEASURED` on: its cells wrapped by their
    drawn width in character cells (:func:`mono_cells`), and each drawn at its column's
    place, so that a glyph wider than a cell (a box standing for a Chinese character) moves
    nothing after it; its headings kept with its first row and drawn again above a row that
    starts a page, and no row split across pages, as layout
    :data:`HEADINGS_WITH_FIRST_ROWS` keeps them."""
    table = table_cells(
        block.headers,
        block.items,
        TABLE_CHARS,
        block.keep,
        marked=wrapping.marked,
        hashes=wrapping.hashes,
        measure=functools.partial(mono_cells, fontsize=TABLE_PT),
    )
    cell_w = drawn_width("0", TABLE_PT, family=MONO) / 72  # inches
    starts = [LEFT + cell_w * (sum(table.widths[:i]) + 2 * i) for i in range(len(table.widths))]

    # on one baseline: the top of each cell's own glyphs (an É, a box) would set each apart
    baseline = TABLE_BASELINE_EM * TABLE_PT / 72

    def line_item(line: list[str], bold: bool) -> _Item:
        def draw(fig: Figure, y0: float) -> None:
            for x, text in zip(starts, line, strict=True):
                if text:
                    fig.text(
                        x / PAGE_W,
                        _y(y0 + baseline),
                        text,
                        va="baseline",
                        ha="left",
                        fontsize=TABLE_PT,
                        family=MONO,
                        weight="bold" if bold else "normal",
                    )

        return _Item(TABLE_LH, draw)

    rule = ["-" * w for w in table.widths]
    header = [line_item(line, bold=i == 0) for i, line in enumerate(table.heading)]
    header.append(line_item(rule, bold=False))
    for item in header:
        item.keep_with_next = True
    items = list(header)
    for row in table.rows:
        drawn = [line_item(line, bold=False) for line in row]
        for item in drawn:
            item.header = header
        for item in drawn[:-1]:  # a row's lines on one page, under its headings
            item.keep_with_next = True
        items += drawn
    items.append(_Item(0.08, lambda fig, y0: None))
    return items


HEADINGS_WITH_FIRST_ROWS = 7
"""The first layout version (:data:`~forensic.report.layout.LAYOUT_VERSION`) that draws a
heading on the page of its first rows, never alone at the foot of a page
(:func:`_keep_headings_with_first_rows`): with the paragraphs that lead in under it (the
annex's and the References' opening sentences, a library's line before its substances) and
its first row: a table's first row whole, the first key of a key-value block, the first
:data:`FIRST_LINES` lines of a paragraph (all of a shorter one). A paragraph that leads in
(:attr:`~forensic.report.layout.Block.leads_in`: the key above a hit table, the sentence
before a list of corrections) is kept so with what it introduces, and no row of a table is
split across pages (its second half read as a row of its own, under headings drawn again).
Earlier reports let a heading or a lead-in end a page, and split a row, and are paginated
so again, as they were issued."""

FIRST_LINES = 2
"""The lines of a paragraph a heading or a lead-in is kept with (layout
:data:`HEADINGS_WITH_FIRST_ROWS` on): a row of the list it heads, not one line of it."""


def _keep_headings_with_first_rows(drawn: list[tuple[Block, list[_Item]]]) -> None:
    """Keep each heading, and each paragraph that leads in, on the page of the first row of
    what follows (:data:`HEADINGS_WITH_FIRST_ROWS`): the one place the report's pages decide
    it, whatever the heading (Limitations, References, the custody table's, the annex's).

    ``drawn`` holds each block with the items it draws; their ``keep_with_next`` is set so
    that the heading (its lines already keep with the next item), every line of a lead-in
    under it and the first :data:`FIRST_LINES` lines of a paragraph after them go on one
    page. A table (its headings with its first row whole) and a key-value block (the lines
    of one value) keep their own first row together already."""
    for index, (block, items) in enumerate(drawn):
        if block.kind == "para" and block.leads_in:
            for item in items:  # its lines and the space after them
                item.keep_with_next = True
        elif block.kind != "heading":
            continue
        following = drawn[index + 1] if index + 1 < len(drawn) else None
        if following is None or following[0].kind != "para" or following[0].leads_in:
            continue  # a lead-in is kept whole above
        lines = following[1][:-1]  # without the space after them
        for item in lines[: min(FIRST_LINES, len(lines)) - 1]:
            item.keep_with_next = True


VERDICT_WITH_ITS_QUALIFIERS = 9
"""The first layout version (:data:`~forensic.report.layout.LAYOUT_VERSION`) that draws an
analysis's verdict on the page of what stands under it
(:func:`_keep_verdicts_with_what_qualifies_them`): a NO MATCH's caveat that it does not show
that no controlled substance is present, the banner of a spectrum not measured from the
exhibit, and why the verdict was reached. Earlier reports let a verdict end a page, its
"INCONCLUSIVE" or "IDENTIFIED" at the foot of one page, read without the "NO EVIDENTIAL
VALUE" or the caveat at the top of the next, and are paginated so again, as they were
issued."""


def _keep_verdicts_with_what_qualifies_them(drawn: list[tuple[Block, list[_Item]]]) -> None:
    """Keep each verdict on the page of the paragraphs and banner that stand under it, up to
    the analysis's method (:data:`VERDICT_WITH_ITS_QUALIFIERS`); its heading keeps with it
    already. ``drawn`` holds each block with the items it draws, whose ``keep_with_next`` is
    set."""
    for index, (block, items) in enumerate(drawn):
        if block.kind != "verdict":
            continue
        under = []
        for following in drawn[index + 1 :]:
            if following[0].kind not in ("para", "banner"):
                break
            under.append(following[1])
        if not under:
            continue
        for item in [*items, *(item for its in under for item in its[:-1])]:
            item.keep_with_next = True
        for its in under[:-1]:  # the space after each, but the last, stays with the next
            its[-1].keep_with_next = True


LEGEND_W = 3.2
"""The widest a line of the figure's legend may be, in inches: a reference's long name wraps
inside the plot rather than running off the page's left edge."""

LABELS_AT_MARGIN = 4
"""The first layout version (:data:`~forensic.report.layout.LAYOUT_VERSION`) whose figure
draws its y labels in a column at the page's left margin, the plots :data:`Y_LABEL_ROOM` to
its right. Earlier reports drew each beside its tick labels, wherever those ended: the long
tick labels of a small residual ("-0.0025", "-0.0002") pushed its label 2.5 to 6.6 pt past
the margin. They are drawn so again, as they were issued, so that they still verify."""

Y_LABEL_ROOM = 0.72
"""Inches from the page's left margin to the figure's plots (layout 4 on): the y labels'
column (:data:`WIDTH_SLACK_PT`, then 7 pt), 4.5 pt, the tick labels (up to 8 characters,
"-0.00025": 32.4 pt) and their ticks (7 pt). Longer tick labels would reach the labels'
column, never the margin."""


def _draw_residual(ax: Axes, wavenumber: np.ndarray, residual: np.ndarray | None) -> None:
    """The residual panel of a result's figure: the residual on its zero line, or, with no
    reference, a note saying so."""
    if residual is not None:
        ax.plot(wavenumber, residual, color=RED, lw=0.7)
        ax.axhline(0.0, color="grey", lw=0.5)
        ax.set_ylabel("residual", fontsize=7)
    else:
        ax.text(
            0.5,
            0.5,
            "no reference to compare with",
            ha="center",
            va="center",
            transform=ax.transAxes,
            fontsize=7,
        )


def _label_at_margin(fig: Figure, ax: Axes) -> None:
    """Put ``ax``'s y label in the column at the page's left margin, whatever the width of its
    tick labels (:data:`LABELS_AT_MARGIN`)."""
    # turned a quarter, the top of a label's box is its left side
    ax.yaxis.label.set_verticalalignment("top")
    ax.yaxis.set_label_coords(
        (LEFT + WIDTH_SLACK_PT / 72) / PAGE_W,
        0.5,
        transform=blended_transform_factory(fig.transFigure, ax.transAxes),
    )


def _draw_spectrum(
    fig: Figure,
    y0: float,
    identification: Mapping[str, Any],
    wrapping: _Wrapping,
    *,
    labels_at_margin: bool = True,
) -> None:
    def label(text: str) -> str:
        if not wrapping.by_width:  # earlier layouts drew it on one line
            return text
        return "\n".join(wrapping.lines(text, LEGEND_W, LEGEND_PT, chars=0))

    query = identification["query"]
    x = np.asarray(query["wavenumber"], dtype=float)
    q = np.asarray(query["intensity"], dtype=float)
    reference = identification.get("best_reference")
    hits = identification.get("hits") or []
    name = hits[0].get("name") if hits else "reference"
    # the plots end 0.1 inch inside the right margin
    left, width = (
        (LEFT + Y_LABEL_ROOM, BODY_W - Y_LABEL_ROOM - 0.1)
        if labels_at_margin
        else (LEFT + 0.55, BODY_W - 0.65)  # as earlier layouts drew it
    )
    top_ax = fig.add_axes((left / PAGE_W, _y(y0 + 2.45), width / PAGE_W, 2.2 / PAGE_H))
    bottom_ax = fig.add_axes(
        (left / PAGE_W, _y(y0 + 3.4), width / PAGE_W, 0.85 / PAGE_H), sharex=top_ax
    )
    provenance = identification.get("query_provenance") or "measured"
    top_ax.plot(x, q, color="black", lw=0.8, label=label(f"{provenance} (preprocessed)"))
    mixture = identification.get("mixture") or {}
    spectra = mixture.get("spectra")
    model = None
    if spectra:
        # a cut sample: the fit of all its components, and each component's part of it
        sx = np.asarray(spectra["wavenumber"], dtype=float)
        model = np.interp(x, sx, np.asarray(spectra["fit"], dtype=float))
        top_ax.plot(x, model, color="#1f77b4", lw=0.8, alpha=0.85, label="mixture fit")
        parts = zip(mixture["components"], spectra["components"], strict=True)
        for number, (component, values) in enumerate(parts):
            top_ax.plot(
                x,
                np.interp(x, sx, np.asarray(values, dtype=float)),
                color=COMPONENT_COLOURS[number % len(COMPONENT_COLOURS)],
                lw=0.7,
                ls="--",
                label=label(
                    f"{component['name']} ({component['fraction']:.0%}, "
                    f"{component.get('provenance', '')} reference)"
                ),
            )
    elif reference:
        rx = np.asarray(reference["wavenumber"], dtype=float)
        r = np.interp(x, rx, np.asarray(reference["intensity"], dtype=float))
        scale = float(q @ r / (r @ r)) if float(r @ r) > 0 else 1.0
        model = scale * r
        provenance = hits[0].get("provenance", "") if hits else ""
        top_ax.plot(
            x,
            model,
            color="#1f77b4",
            lw=0.8,
            alpha=0.85,
            label=label(f"{name} ({provenance} reference, scaled)"),
        )
    _draw_residual(bottom_ax, x, None if model is None else q - model)
    top_ax.set_ylabel("intensity (normalised)", fontsize=7)
    axis = "Raman shift" if identification.get("modality") == "raman" else "wavenumber"
    bottom_ax.set_xlabel(f"{axis} (cm⁻¹)", fontsize=7)
    top_ax.legend(fontsize=LEGEND_PT, loc="upper right", frameon=False)
    top_ax.set_title(figure_title(identification), fontsize=8.5)
    for ax in (top_ax, bottom_ax):
        ax.tick_params(labelsize=6.5)
        if labels_at_margin:
            _label_at_margin(fig, ax)
    top_ax.tick_params(labelbottom=False)


GRAYSCALE_FIGURE = 5
"""The first layout version (:data:`~forensic.report.layout.LAYOUT_VERSION`) whose result
figure (:class:`_PrintedFigure`) reads in a black-and-white copy: every line is told apart by
its dash pattern and width as well as its colour (:data:`LINE_STYLES`), and its key is drawn
under the plots, never over the data. Earlier reports drew the spectrum and its reference as
solid lines of one width (black and blue: one grey on a photocopy) and every mixture component
with the same dashes, the key in the plot's upper right corner; they are drawn so again, as
they were issued.

The same layout draws the figure as spectra are printed and says what it shows: an IR
spectrum with its wavenumber axis running from high to low, the y axis named by what is drawn
(absorbance or Raman intensity), the residual named as the difference it is, the reference and
the residual drawn only where the reference has data (a move of the reference, or a range
narrower than the spectrum's, leaves points without: drawn as zero, they made a spike that set
the residual's scale), and a caption saying what was done to the spectra drawn and what the
score compares."""

LINE_STYLES = {
    "spectrum": {"color": "black", "lw": 1.4, "ls": "-"},
    "reference": {"color": "#1f77b4", "lw": 0.8, "ls": (0, (4.0, 1.6))},
}
"""How the figure of layout :data:`GRAYSCALE_FIGURE` on draws the spectrum (thick, solid) and
its reference or mixture fit (thin, dashed, drawn over it): told apart without colour."""

COMPONENT_STYLES = (
    {"color": "#d62728", "lw": 1.2, "ls": (0, (1.0, 1.4))},  # dotted
    {"color": "#2ca02c", "lw": 0.9, "ls": (0, (7.0, 1.6, 1.2, 1.6))},  # dash-dot
    {"color": "#9467bd", "lw": 0.9, "ls": (0, (2.5, 1.2, 1.0, 1.2, 1.0, 1.2))},  # dash-dot-dot
    {"color": "#ff7f0e", "lw": 1.0, "ls": (0, (10.0, 3.0))},  # long dashes
)
"""The line of each mixture component (layout :data:`GRAYSCALE_FIGURE` on): a dash pattern
and a width of its own, and its colour, for up to 4 components."""

LEGEND_COLUMN_W = 2.3
"""The widest a line of the key under the figure (two columns) may be, in inches."""

CAPTION_PT = 6.5
_FIGURE_TOP, _PLOT_H, _GAP, _RESIDUAL_H = 0.25, 2.2, 0.25, 0.85
_KEY_TOP = _FIGURE_TOP + _PLOT_H + _GAP + _RESIDUAL_H + 0.4  # under the x axis' label


def _data_span(values: np.ndarray) -> tuple[int, int]:
    """The indices ``[first, last + 1)`` of a spectrum's values from its first non-zero one to
    its last: where it has data. Outside its own range a spectrum of the library grid is zero
    (:func:`forensic.processing.linear_from_representation`), as is a reference where its move
    onto the query left it without data (:func:`forensic.alignment.align`, which takes a
    reference's range so too)."""
    found = np.flatnonzero(values != 0.0)
    return (int(found[0]), int(found[-1]) + 1) if found.size else (0, 0)


def _only_with_data(x: np.ndarray, wavenumber: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values`` (on ``wavenumber``) on the axis ``x``, NaN (not drawn) where they have no
    data: never extrapolated past their range, nor drawn as zero where they hold none."""
    first, stop = _data_span(values)
    if stop - first < 2:
        return np.full(x.shape, np.nan)
    inside = (x >= wavenumber[first]) & (x <= wavenumber[stop - 1])
    return np.where(inside, np.interp(x, wavenumber[first:stop], values[first:stop]), np.nan)


def _moved_range(x: np.ndarray, wavenumber: np.ndarray, hit: Mapping[str, Any]) -> np.ndarray:
    """Where on the axis ``x`` the best reference, recorded on ``wavenumber`` as it was moved
    onto the query (the hit's ``shift_cm1`` and ``stretch`` about the centre of its compared
    range, :mod:`forensic.alignment`), has data: inside its recorded range, and inside that
    range moved (the move leaves the points past its moved ends without, recorded as zero)."""
    if wavenumber.size < 2:
        return np.zeros(x.shape, dtype=bool)
    first, last = float(wavenumber[0]), float(wavenumber[-1])
    centre = 0.5 * (first + last)
    shift, stretch = float(hit.get("shift_cm1") or 0.0), float(hit.get("stretch") or 0.0)
    low, high = sorted(centre + (1.0 + stretch) * (end - centre) + shift for end in (first, last))
    return (x >= max(low, first)) & (x <= min(high, last))


@dataclass
class _PrintedFigure:
    """The result figure of layout :data:`GRAYSCALE_FIGURE` on: the spectrum over its
    reference or mixture fit, the residual under them, then the key and a caption, each in
    its own place on the page (the item's height holds them all)."""

    data: Mapping[str, Any]
    lines: list[tuple[np.ndarray, np.ndarray, str, dict[str, Any]]]  # x, y, key, style
    residual: np.ndarray | None
    residual_label: str
    key_rows: float  # the key's height, in inches
    caption: list[str]
    height: float

    @classmethod
    def of(cls, data: Mapping[str, Any], wrapping: _Wrapping) -> _PrintedFigure:
        def key(text: str) -> str:
            return "\n".join(wrapping.lines(text, LEGEND_COLUMN_W, LEGEND_PT, chars=0))

        query = data["query"]
        x = np.asarray(query["wavenumber"], dtype=float)
        q = np.asarray(query["intensity"], dtype=float)
        provenance = data.get("query_provenance") or "measured"
        hits = data.get("hits") or []
        lines = [(x, q, key(f"{provenance} spectrum"), LINE_STYLES["spectrum"])]
        mixture = data.get("mixture") or {}
        spectra = mixture.get("spectra")
        model, compared_with = None, "reference"
        if spectra:
            sx = np.asarray(spectra["wavenumber"], dtype=float)
            parts = [np.asarray(values, dtype=float) for values in spectra["components"]]
            fit = np.asarray(spectra["fit"], dtype=float)
            # the fit where a component's reference has data
            covered = np.any(np.vstack(parts) != 0.0, axis=0) if parts else fit != 0.0
            first, stop = _data_span(covered.astype(float))
            inside = (
                (x >= sx[first]) & (x <= sx[stop - 1])
                if stop > first
                else np.zeros(x.shape, dtype=bool)
            )
            model = np.where(inside, np.interp(x, sx, fit), np.nan)
            lines.append((x, model, key("mixture fit"), LINE_STYLES["reference"]))
            compared_with = "mixture fit"
            for number, (component, values) in enumerate(
                zip(mixture["components"], parts, strict=True)
            ):
                lines.append(
                    (
                        x,
                        _only_with_data(x, sx, values),
                        key(
                            f"{component['name']} ({component['fraction']:.0%}, "
                            f"{component.get('provenance', '')} reference)"
                        ),
                        COMPONENT_STYLES[number % len(COMPONENT_STYLES)],
                    )
                )
        elif data.get("best_reference"):
            reference = data["best_reference"]
            rx = np.asarray(reference["wavenumber"], dtype=float)
            rv = np.asarray(reference["intensity"], dtype=float)
            r = np.where(_moved_range(x, rx, hits[0] if hits else {}), np.interp(x, rx, rv), np.nan)
            both = ~np.isnan(r)
            denominator = float(r[both] @ r[both])
            scale = float(q[both] @ r[both]) / denominator if denominator > 0 else 1.0
            model = scale * r
            name = hits[0].get("name") if hits else "reference"
            source = hits[0].get("provenance", "") if hits else ""
            lines.append(
                (x, model, key(f"{name} ({source} reference, scaled)"), LINE_STYLES["reference"])
            )
        residual = None if model is None else q - model
        residual_label = (
            f"residual: {provenance} spectrum − {compared_with}" if model is not None else ""
        )
        labels = [line[2] for line in lines]
        rows = (len(labels) + 1) // 2
        key_height = 0.0
        for row in range(rows):  # column-wise, as matplotlib fills a legend's columns
            in_row = [labels[row], *([labels[row + rows]] if row + rows < len(labels) else [])]
            tallest = max(label.count("\n") + 1 for label in in_row)
            key_height += (tallest * 1.2 + 0.5) * LEGEND_PT / 72
        caption = wrapping.lines(
            _caption(data, compared_with, model is not None),
            BODY_W - Y_LABEL_ROOM - 0.1,
            CAPTION_PT,
            chars=0,
        )
        height = _KEY_TOP + key_height + 0.08 + len(caption) * 1.25 * CAPTION_PT / 72 + 0.15
        return cls(data, lines, residual, residual_label, key_height, caption, height)

    def draw(self, fig: Figure, y0: float) -> None:
        data = self.data
        left, width = LEFT + Y_LABEL_ROOM, BODY_W - Y_LABEL_ROOM - 0.1
        top_ax = fig.add_axes(
            (
                left / PAGE_W,
                _y(y0 + _FIGURE_TOP + _PLOT_H),
                width / PAGE_W,
                _PLOT_H / PAGE_H,
            )
        )
        residual_top = _FIGURE_TOP + _PLOT_H + _GAP
        bottom_ax = fig.add_axes(
            (
                left / PAGE_W,
                _y(y0 + residual_top + _RESIDUAL_H),
                width / PAGE_W,
                _RESIDUAL_H / PAGE_H,
            ),
            sharex=top_ax,
        )
        handles = []
        for order, (x, y, label, style) in enumerate(self.lines):
            # the spectrum first, its reference or fit over it, the components over both
            (line,) = top_ax.plot(x, y, label=label, zorder=2 + order, **style)
            handles.append(line)
        _draw_residual(bottom_ax, self.lines[0][0], self.residual)
        if self.residual_label:
            bottom_ax.set_title(self.residual_label, fontsize=CAPTION_PT, loc="left", pad=2)
        modality = data.get("modality")
        steps = {step.get("name") for step in data.get("pipeline") or []}
        if modality == "ir":
            drawn = "absorbance" if "to_absorbance" in steps else "IR intensity"
        elif modality == "raman":
            drawn = "Raman intensity"
        else:
            drawn = "intensity"
        top_ax.set_ylabel(f"{drawn} (normalised)", fontsize=7)
        axis = "Raman shift" if modality == "raman" else "wavenumber"
        bottom_ax.set_xlabel(f"{axis} (cm⁻¹)", fontsize=7)
        if modality == "ir":  # as IR spectra are printed: high to low
            top_ax.invert_xaxis()
        top_ax.set_title(figure_title(data), fontsize=8.5)
        for ax in (top_ax, bottom_ax):
            ax.tick_params(labelsize=6.5)
            _label_at_margin(fig, ax)
        top_ax.tick_params(labelbottom=False)
        fig.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(left / PAGE_W, _y(y0 + _KEY_TOP)),
            bbox_transform=fig.transFigure,
            ncols=2,
            fontsize=LEGEND_PT,
            frameon=False,
            handlelength=5.0,
            borderaxespad=0.0,
            borderpad=0.0,
            columnspacing=1.5,
        )
        caption_top = y0 + _KEY_TOP + self.key_rows + 0.08
        for number, line in enumerate(self.caption):
            fig.text(
                left / PAGE_W,
                _y(caption_top + number * 1.25 * CAPTION_PT / 72),
                line,
                fontsize=CAPTION_PT,
                family=SANS,
                va="top",
            )


def _caption(data: Mapping[str, Any], compared_with: str, compared: bool) -> str:
    """What was done to the spectra a figure draws, and what its score compares, as the
    result's recorded pipeline says."""
    steps = [step.get("name") for step in data.get("pipeline") or []]
    done = []
    if data.get("modality") == "ir" and "to_absorbance" in steps:
        done.append("in absorbance")
    if "remove_baseline" in steps:
        done.append("baseline removed")
    if "derivative" in steps:
        done.append("smoothed")
    done.append("scaled to a maximum of 1")
    said = "Drawn: the spectrum " + ", ".join(done)
    if compared:
        said += (
            "; the references fitted to it by non-negative least squares, each component drawn "
            "as its share of the fit"
            if compared_with == "mixture fit"
            else "; the reference scaled to it by least squares"
        )
        said += (
            f"; the residual is the spectrum minus the {compared_with}, drawn where both have data"
        )
    said += "."
    if "derivative" in steps:
        said += (
            " The score compares the spectra's first derivatives, which a constant offset "
            "between them does not change."
        )
    return said


def _draw_qr(fig: Figure, y0: float, data: str) -> None:
    qr = segno.make(data, error="m", micro=False)
    matrix = np.array([list(row) for row in qr.matrix_iter(scale=1, border=4)], dtype=float)
    size = 1.55
    ax = fig.add_axes((LEFT / PAGE_W, _y(y0 + size), size / PAGE_W, size / PAGE_H))
    ax.imshow(matrix, cmap="gray_r", interpolation="nearest", vmin=0, vmax=1)
    ax.set_axis_off()
    fig.text(
        (LEFT + size + 0.15) / PAGE_W,
        _y(y0 + 0.35),
        "QR code: the report's content SHA-256",
        fontsize=PARA_PT,
        family=SANS,
        va="top",
    )


def _paginate(
    items: list[_Item], top: float = TOP, bottom: float = BOTTOM
) -> list[list[tuple[float, _Item]]]:
    usable = PAGE_H - top - bottom
    pages: list[list[tuple[float, _Item]]] = [[]]
    y = 0.0
    for index, item in enumerate(items):
        need, last = item.height, index
        while items[last].keep_with_next and last + 1 < len(items):  # what must stay with it
            last += 1
            need += items[last].height
        if y + need > usable and pages[-1]:
            pages.append([])
            y = 0.0
            for heading in item.header or []:
                pages[-1].append((top + y, heading))
                y += heading.height
        pages[-1].append((top + y, item))
        y += item.height
    return pages


@functools.cache
def _drawable() -> frozenset[int]:
    """Code points both report fonts draw (matplotlib ships them: the same on every machine)."""
    from matplotlib import ft2font  # noqa: PLC0415

    maps = [set(ft2font.FT2Font(font_file(family)).get_charmap()) for family in (SANS, MONO)]
    return frozenset(maps[0] & maps[1])


def undrawable_characters(content: Mapping[str, Any]) -> list[str]:
    """Characters of a report's content that its fonts cannot draw (they show as boxes).

    DejaVu Sans covers Latin, Greek, Cyrillic and more, not Chinese, Japanese or Korean: a
    name or description in those scripts is exact in the JSON and text reports, and the PDF
    must say that some of its characters are not.

    Parameters
    ----------
    content : mapping
        The signed content; every printable character of its JSON (:func:`render_json`) is
        looked at, including those of text the pages do not show.

    Returns
    -------
    list of str
        The characters, each once, sorted by code point; empty when both fonts (DejaVu Sans
        and DejaVu Sans Mono) draw every one.
    """
    drawable = _drawable()
    return sorted({c for c in render_json(content) if c.isprintable() and ord(c) not in drawable})


def _fonts_note(missing: list[str]) -> Block:
    shown = ", ".join(f"{c} (U+{ord(c):04X})" for c in missing[:12])
    more = f" and {len(missing) - 12} more" if len(missing) > 12 else ""
    return Block(
        "para",
        f"Some characters of this report cannot be drawn with its fonts and show as empty "
        f"boxes: {shown}{more}. The signed report.json attached to this PDF, and the JSON and "
        "text reports, hold the exact text.",
    )


def _paginated(
    content: Mapping[str, Any],
) -> tuple[list[tuple[Block, list[_Item]]], list[list[tuple[float, _Item]]], _Frame]:
    """The report's blocks, each with the items it draws, those items on their pages (each
    with its top, in inches from the page's top), and the header and footer every page draws:
    the pages as the content's layout version lays them out."""
    blocks = report_blocks(content)
    missing = undrawable_characters(content)
    if missing:  # said right under the header, before any text that shows boxes is read
        first_kv = next(i for i, b in enumerate(blocks) if b.kind == "kv")
        blocks.insert(first_kv + 1, _fonts_note(missing))
    with drawing_settings():  # the lines are measured as they are drawn
        wrapping = _Wrapping.of(content)
        layout = content.get("layout", 1)
        drawn = [(block, _items_for(block, wrapping, layout)) for block in blocks]
        if layout >= HEADINGS_WITH_FIRST_ROWS:
            _keep_headings_with_first_rows(drawn)
        if layout >= VERDICT_WITH_ITS_QUALIFIERS:
            _keep_verdicts_with_what_qualifies_them(drawn)
        frame = _Frame.of(content, wrapping)
    items = [item for _, its in drawn for item in its]
    return drawn, _paginate(items, frame.top, frame.bottom), frame


def render_pdf(content: Mapping[str, Any]) -> bytes:
    """The report as PDF bytes (A4, text extractable, one header and footer per page).

    Text is drawn as written: a ``$`` is a dollar sign, never the start of a formula. The
    pages are laid out as the content's layout version (``layout``) lays them out, so a
    report issued earlier is drawn again exactly as it was; characters the fonts cannot draw
    (:func:`undrawable_characters`) are listed on the first page.

    Parameters
    ----------
    content : mapping
        The signed content, with its ``content_sha256`` and ``signature``
        (:func:`~forensic.report.content.build_report_content`, or as read from a report).

    Returns
    -------
    bytes
        The PDF file, with the content attached as ``report.json`` (:func:`render_json`)
        and document properties (title, subject with the content hash, creator, author,
        the issue date as creation date) made from the content alone: the same content
        gives the same bytes (with the same versions of the toolkit and matplotlib).
    """
    _, pages, frame = _paginated(content)
    case_number = content["case"]["case_number"]
    buffer = io.BytesIO()
    metadata = {
        "Title": f"{content['title']}: case {case_number}",
        "Subject": f"report {content['report_id']} content SHA-256 {content['content_sha256']}",
        "Creator": f"forensic {content['software']['version']}",
        "Author": content["signature"]["signed_by"],
        # dated when it was issued, as signed: the same PDF whenever and wherever it is drawn
        "CreationDate": recorded_moment(content["dates"]["issued"]),
    }
    with (
        drawing_settings(),  # drawn the same whatever the computer's matplotlib settings
        warnings.catch_warnings(),
        PdfPages(buffer, metadata=metadata) as pdf,
    ):
        # glyphs missing from the fonts are said on the first page, not on standard error
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        for number, page in enumerate(pages, start=1):
            fig = Figure(figsize=(PAGE_W, PAGE_H))
            frame.draw(fig, number, len(pages))
            for top, item in page:
                item.draw(fig, top)
            _pin_fonts(fig)
            pdf.savefig(fig)
    return _attach(buffer.getvalue(), REPORT_ATTACHMENT, render_json(content).encode())


def _attach(pdf: bytes, name: str, data: bytes) -> bytes:
    from pypdf import PdfReader, PdfWriter  # noqa: PLC0415  (only when a PDF is made or read)

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.add_attachment(name, data)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _pdf_errors() -> tuple[type[Exception], ...]:
    """What pypdf raises on a damaged PDF (its own errors, and those of the structures it walks)."""
    import zlib  # noqa: PLC0415

    from pypdf.errors import PyPdfError  # noqa: PLC0415  (only when a PDF is made or read)

    return (
        PyPdfError,
        KeyError,
        ValueError,
        TypeError,
        AttributeError,
        IndexError,
        RecursionError,
        zlib.error,
    )


class _QuietPypdf:
    """pypdf's log kept, not printed, while a PDF from outside is read.

    pypdf logs what it recovers from in a damaged PDF ("EOF marker not found", "Error -3 while
    decompressing data"); with no logging set up, Python prints those lines on the terminal
    before the verdict. They are kept instead (:attr:`active`), for the reason a damaged
    report is given, and the logger is restored on leaving.
    """

    active: list[str] | None = None  # what pypdf said while the outermost reading is under way

    class _Kept(logging.Handler):
        def __init__(self, said: list[str]) -> None:
            super().__init__(logging.WARNING)
            self.said = said

        def emit(self, record: logging.LogRecord) -> None:
            self.said.append(record.getMessage())

    def __enter__(self) -> _QuietPypdf:
        self.logger = logging.getLogger("pypdf")
        self.saved = (self.logger.handlers[:], self.logger.propagate, self.logger.level)
        self.outer = _QuietPypdf.active
        said = self.outer if self.outer is not None else []
        self.logger.handlers = [self._Kept(said)]
        self.logger.propagate = False
        self.logger.setLevel(logging.WARNING)
        self.warnings = warnings.catch_warnings()
        self.warnings.__enter__()
        warnings.simplefilter("ignore")  # pypdf's PdfReadWarning, and its dependencies'
        _QuietPypdf.active = said
        return self

    def __exit__(self, *exc: object) -> None:
        _QuietPypdf.active = self.outer
        self.warnings.__exit__(*exc)
        self.logger.handlers, self.logger.propagate, level = self.saved
        self.logger.setLevel(level)


def _damaged(what: str, part: str, exc: BaseException) -> DamagedReportError:
    """The error of a PDF whose ``part`` cannot be read: damaged or altered, not verified."""
    said = [line for line in (_QuietPypdf.active or []) if line]
    detail = str(exc) or type(exc).__name__
    if said:
        detail += "; pypdf: " + "; ".join(dict.fromkeys(said[:3]))
    return DamagedReportError(
        f"the PDF is damaged or altered: {part} cannot be read ({detail})", path=what
    )


def _read_pdf(pdf: bytes, what: str):
    from pypdf import PdfReader  # noqa: PLC0415

    if not pdf.startswith(b"%PDF"):
        raise FormatError(f"{what}: not a PDF (it does not start with %PDF)")
    if b"%%EOF" not in pdf[-1024:]:  # every PDF ends with it: this one was cut short
        raise DamagedReportError(
            f"the PDF is damaged or altered: it is cut short (its {len(pdf)} bytes end without "
            "the %%EOF a PDF ends with)",
            path=what,
        )
    try:
        return PdfReader(io.BytesIO(pdf))
    except _pdf_errors() as exc:
        raise _damaged(what, "its structure", exc) from None


def embedded_content(pdf: bytes, what: str = "the PDF") -> dict[str, Any]:
    """The signed report content attached to a report PDF.

    Parameters
    ----------
    pdf : bytes
        The PDF file's bytes.
    what : str
        How to name the file in errors (its path).

    Returns
    -------
    dict
        The content as its attached ``report.json`` holds it.

    Raises
    ------
    SignedContentRemovedError
        No ``report.json`` attached, where the pages say the report carries it.
    DamagedReportError
        A PDF that cannot be read, or whose attached ``report.json`` cannot (not JSON, not
        one object, more than one): damaged or altered.
    FormatError
        Not a PDF, or a readable PDF with no ``report.json`` attached: a report issued before
        reports carried their content, or a PDF that is not a report.
    """
    with _QuietPypdf():
        return _attached_content(_read_pdf(pdf, what), what)


def _attached_content(reader, what: str) -> dict[str, Any]:
    try:
        attached = reader.attachments.get(REPORT_ATTACHMENT) or []
    except _pdf_errors() as exc:
        raise _damaged(what, "its attachments", exc) from None
    if not attached:
        removed = _says_it_carries_its_content(reader, what)
        if removed:
            raise SignedContentRemovedError(
                f"its signed content has been removed: {removed}, and none is attached; check "
                "it against its store with 'forensic custody verify --report'",
                path=what,
            )
        raise FormatError(
            f"{what}: no {REPORT_ATTACHMENT} attached (not a report PDF, or issued before "
            "reports carried their signed content): check it against its store with "
            "'forensic custody verify --report'"
        )
    if len(attached) != 1:
        raise DamagedReportError(
            f"{len(attached)} files named {REPORT_ATTACHMENT} are attached; a report carries one",
            path=what,
        )
    try:
        content = parse_report_json(attached[0])
    except ValueError as exc:  # a UnicodeDecodeError too
        raise DamagedReportError(
            f"the attached {REPORT_ATTACHMENT} is damaged or altered: it is not JSON ({exc})",
            path=what,
        ) from None
    if not isinstance(content, dict):
        raise DamagedReportError(
            f"the attached {REPORT_ATTACHMENT} is damaged or altered: it holds a "
            f"{type(content).__name__}, not a report's object",
            path=what,
        )
    return content


_MARKS = (
    ((b'"format": "forensic-report/', b'"format":"forensic-report/'), "a report's signed content"),
    ((b"(report.json)", b"(report\\056json)"), f"an attached {REPORT_ATTACHMENT}"),
    ((b"/Creator (forensic ",), "the document property Creator 'forensic'"),
    ((b"(" + TITLE.split(":")[0].encode(),), "a report's title"),
)
"""Bytes only a report's file holds, as the toolkit writes them (pypdf writes a '.' in a PDF
string as ``\\056``), each with what it is."""


def report_marks(data: bytes) -> list[str]:
    """What in a file's bytes shows it is (or was) a report of this toolkit.

    A file that cannot be read at all may still carry them: its attached JSON is stored
    uncompressed, and its document properties in plain PDF strings. Such a file is a report
    damaged or altered, not a file that is none of ours.

    Parameters
    ----------
    data : bytes
        The file's bytes.

    Returns
    -------
    list of str
        What was found (``"an attached report.json"``, ...); empty when nothing was.
    """
    return [said for needles, said in _MARKS if any(needle in data for needle in needles)]


def _says_it_carries_its_content(reader, what: str) -> str | None:
    """What in a PDF without ``report.json`` says it is a report issued with one attached (its
    pages, and the version of forensic that issued it), or None."""
    text = " ".join(_texts(reader, what))
    if CARRIES_CONTENT not in text:
        return None
    issued = re.search(r"Software forensic (\S+)", text)
    return f"its pages say it carries {CARRIES_CONTENT}" + (
        f" (issued by forensic {issued.group(1)})" if issued else ""
    )


def page_texts(pdf: bytes, what: str = "the PDF") -> list[str]:
    """The text of each page, whitespace collapsed (what a reader sees, not how it is laid).

    Parameters
    ----------
    pdf : bytes
        The PDF file's bytes.
    what : str
        How to name the file in errors (its path).

    Returns
    -------
    list of str
        One string per page, in page order: its extracted text, each run of whitespace one
        space.

    Raises
    ------
    FormatError
        Not a PDF (it does not start with ``%PDF``).
    DamagedReportError
        A PDF, or a page of it, that cannot be read (cut short, a broken structure).
    """
    with _QuietPypdf():
        return _texts(_read_pdf(pdf, what), what)


def _pages(reader, what: str) -> list[Any]:
    try:
        return list(reader.pages)
    except _pdf_errors() as exc:
        raise _damaged(what, "its page tree", exc) from None


def _texts(reader, what: str) -> list[str]:
    texts = []
    for number, page in enumerate(_pages(reader, what), start=1):
        try:
            texts.append(" ".join((page.extract_text() or "").split()))
        except _pdf_errors() as exc:
            raise _damaged(what, f"page {number}", exc) from None
    return texts


def _plain(value: Any, seen: frozenset = frozenset()) -> Any:
    """A PDF object as plain data (streams as their decoded bytes), for comparing drawings.
    ``/Parent`` links are left out (they lead back up the page tree)."""
    from pypdf.generic import (  # noqa: PLC0415
        ArrayObject,
        DictionaryObject,
        IndirectObject,
        StreamObject,
    )

    if isinstance(value, IndirectObject):
        key = (value.idnum, value.generation)
        if key in seen:
            return "<cycle>"
        return _plain(value.get_object(), seen | {key})
    if isinstance(value, StreamObject):
        head = {k: _plain(v, seen) for k, v in value.items() if k not in ("/Length", "/Filter")}
        return ("stream", head, value.get_data())
    if isinstance(value, DictionaryObject):
        return {k: _plain(v, seen) for k, v in value.items() if k != "/Parent"}
    if isinstance(value, ArrayObject):
        return [_plain(v, seen) for v in value]
    return value


_INHERITED = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")
"""Page attributes a page takes from the page tree when it does not state them."""


def _drawings(reader, what: str) -> list[Any]:
    """What each page draws and how a viewer shows it, as plain data: its content streams and
    every resource they use (fonts, images, graphics states), and the rest of its dictionary
    (page boxes, rotation, scale, actions), with what it inherits from the page tree. A page
    cropped or shrunk to hide its lower half says the same words; it must not verify.
    Annotations are :func:`_added_to`'s."""
    drawn = []
    for number, page in enumerate(_pages(reader, what), start=1):
        try:
            shown = {key: _plain(value) for key, value in page.items() if key != "/Annots"}
            node = page.get("/Parent")
            while node is not None:
                node = node.get_object()
                for key in _INHERITED:
                    if key not in shown and key in node:
                        shown[key] = _plain(node[key])
                node = node.get("/Parent")
        except _pdf_errors() as exc:
            raise _damaged(what, f"what page {number} draws", exc) from None
        shown.pop("/Parent", None)
        drawn.append(shown)
    return drawn


def _producer(reader) -> str:
    info = reader.metadata or {}
    return str(info.get("/Producer", "an unknown producer"))


def _added_to(reader, laid_out) -> list[str]:
    """What a report PDF holds that the toolkit never puts in one (``laid_out``, the same
    report laid out again, is what it does): annotations (a note or a box drawn over the page
    in a viewer), other attachments, actions run on opening, forms, and anything else in the
    document catalog or its name tree (scripts, bookmarks, page labels, optional content)."""
    found = []
    for number, page in enumerate(reader.pages, start=1):
        annotations = page.get("/Annots")
        if annotations is not None and len(annotations.get_object()):
            found.append(
                f"page {number} carries {len(annotations.get_object())} annotation(s), shown "
                "over the page by a viewer: a report has none"
            )
    names = sorted(reader.attachments)
    if names != [REPORT_ATTACHMENT]:
        found.append(
            f"files attached: {', '.join(names)}; a report carries only {REPORT_ATTACHMENT}"
        )
    catalog = reader.trailer["/Root"]
    for key, what_it_is in (
        ("/OpenAction", "an action run when it is opened"),
        ("/AA", "actions run on events"),
        ("/AcroForm", "a form"),
    ):
        if key in catalog:
            found.append(f"it holds {what_it_is} ({key}): a report has none")
    expected = laid_out.trailer["/Root"]
    for where, held, made in (
        ("its document catalog", catalog, expected),
        ("its name tree", catalog.get("/Names") or {}, expected.get("/Names") or {}),
    ):
        extra = sorted(
            key
            for key in held.get_object()
            if key not in made.get_object() and key not in ("/OpenAction", "/AA", "/AcroForm")
        )
        if extra:
            found.append(f"{where} holds {', '.join(extra)}, which a report's never does")
    return found


_PROPERTIES = ("/Title", "/Subject", "/Author", "/Creator")
"""The document properties a viewer shows (in its title bar, in File > Properties) that the
signed content gives, each the same in every report of it."""

PRODUCER = re.compile(r"Matplotlib pdf backend v\d[\w.+-]*")
"""The Producer of every report: matplotlib's PDF backend, whose version is the issuer's."""

CLOCK_DATED_BEFORE = (0, 4, 0)
"""Reports of forensic before this version are dated (CreationDate) by the computer that drew
them, not by their signed issue time (``dates.issued``) as later ones are: its clock (seconds
after the issue time, in local time whose offset matplotlib may misstate by the hour of
daylight saving time) or, where ``SOURCE_DATE_EPOCH`` was set, any date at all. Their
CreationDate must be a date, but says nothing a genuine report's must match."""


def _pdf_date(text: str) -> datetime | None:
    """A PDF date (``D:20261124004025Z``, ``D:20261124014025+01'00'``) as a UTC moment.

    matplotlib writes the minutes of an offset that is not whole hours in seconds
    (``+05'1800'``); those are read as such.
    """
    found = re.fullmatch(r"D:(\d{14})(?:(Z)|([+-])(\d{2})'(\d{2,4})'?)?", text.strip())
    if found is None:
        return None
    try:
        moment = datetime.strptime(found.group(1), "%Y%m%d%H%M%S")
    except ValueError:
        return None
    if found.group(3):
        field = int(found.group(5))
        offset = timedelta(hours=int(found.group(4))) + (
            timedelta(seconds=field) if field >= 60 else timedelta(minutes=field)
        )
        moment -= offset if found.group(3) == "+" else -offset
    return moment.replace(tzinfo=timezone.utc)


def _created_differs(given: Any, made: Any, content: Mapping[str, Any]) -> str | None:
    """Why a report's CreationDate is not the one the toolkit writes; None when it is."""
    if given == made:
        return None
    created = _pdf_date(str(given)) if given is not None else None
    version = stated_version(content)
    if created and version is not None and version < CLOCK_DATED_BEFORE:
        return None  # dated by the computer that drew it (CLOCK_DATED_BEFORE)
    return (
        f"its document property CreationDate reads {None if given is None else str(given)!r}, "
        f"where the report was issued at {utc_when((content.get('dates') or {}).get('issued'))}"
        + (f" (its PDF is dated {str(made)!r})" if made is not None else "")
    )


def _properties_differ(reader, laid_out, content: Mapping[str, Any]) -> list[str]:
    """The document properties of a report PDF that are not those the toolkit writes for its
    signed content: Title, Subject, Author and Creator as it gives them, matplotlib's
    Producer, the date it was issued, and no other (Keywords, ModDate, ...)."""
    given, made = reader.metadata or {}, laid_out.metadata or {}
    differ = [
        f"its document property {key[1:]} reads {str(given.get(key))!r} where its signed "
        f"content gives {str(made.get(key))!r}"
        for key in _PROPERTIES
        if given.get(key) != made.get(key)
    ]
    producer = given.get("/Producer")
    if producer is None or not PRODUCER.fullmatch(str(producer)):
        differ.append(
            f"its document property Producer reads {None if producer is None else str(producer)!r}"
            ", where a report's is matplotlib's PDF backend ('Matplotlib pdf backend v...')"
        )
    created = _created_differs(given.get("/CreationDate"), made.get("/CreationDate"), content)
    if created:
        differ.append(created)
    written = {*_PROPERTIES, "/Producer", "/CreationDate"}
    differ += [
        f"its document properties hold {key[1:]} ({str(given[key])!r}), which a report's never do"
        for key in sorted(given)
        if key not in written
    ]
    return differ


def check_report_pdf(pdf: bytes, what: str = "the PDF") -> tuple[dict[str, Any], list[str]]:
    """Check a report PDF on its own, without the store it was issued from.

    What must hold: the attached content hashes to its ``content_sha256`` and the signature
    verifies with the public key it names (:func:`check_report_json`); every page's text is
    the text of the pages laid out again from that content, and every page is drawn exactly
    as that layout draws it (content, fonts, images), so what a reader sees is what was
    signed, and shown so (page boxes, rotation); the document properties a viewer shows are
    those the toolkit writes for the content (its dates included, and no others); and the
    PDF holds nothing a report never does (annotations,
    other attachments, actions, forms, scripts, bookmarks). Whose key signed it is for the
    reader to compare with the operator's published fingerprint; that the report is on record
    in the store is ``forensic custody verify --report``.

    Parameters
    ----------
    pdf : bytes
        The PDF file's bytes.
    what : str
        How to name the file in errors (its path).

    Returns
    -------
    content : dict
        The signed content.
    problems : list of str
        Empty when the PDF verifies.

    Raises
    ------
    DamagedReportError
        A PDF that cannot be read, or whose attached ``report.json`` cannot, or whose pages
        say it carries its signed content without it (:class:`SignedContentRemovedError`):
        damaged or altered, so it does not verify.
    FormatError
        Not a PDF, or a readable PDF with no signed content attached (see
        :func:`embedded_content`).
    """
    with _QuietPypdf():
        content, problems = _check_report_pdf(pdf, what)
        said = list(_QuietPypdf.active or [])
    if problems and said:  # what differs may follow from damage pypdf read past
        problems.insert(
            0,
            "the PDF is damaged: pypdf could read it only by recovering from: "
            + "; ".join(dict.fromkeys(said[:3])),
        )
    return content, problems


def _check_report_pdf(pdf: bytes, what: str) -> tuple[dict[str, Any], list[str]]:
    given = _read_pdf(pdf, what)  # each PDF is parsed once, and walked for each check
    content = _attached_content(given, what)
    problems = check_report_json(content)
    if problems:
        return content, problems
    try:
        laid_out = _read_pdf(render_pdf(content), "the PDF laid out again")
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        return content, [f"the signed content cannot be laid out as a report ({exc!r})"]
    expected = _texts(laid_out, "the PDF laid out again")
    seen = _texts(given, what)
    try:
        problems += _added_to(given, laid_out) + _properties_differ(given, laid_out, content)
    except _pdf_errors() as exc:
        raise _damaged(what, "its document catalog or properties", exc) from None
    if len(seen) != len(expected):
        problems.append(f"the PDF has {len(seen)} pages; its signed content makes {len(expected)}")
    for number, (page, signed) in enumerate(zip(seen, expected, strict=False), start=1):
        if page != signed:
            at = next(
                (i for i, (a, b) in enumerate(zip(page, signed, strict=False)) if a != b),
                min(len(page), len(signed)),
            )
            problems.append(
                f"page {number} does not say what the signed content says: it reads "
                f"...{page[max(0, at - 30) : at + 40]!r}... where the content gives "
                f"...{signed[max(0, at - 30) : at + 40]!r}..."
            )
    if not problems:  # the same words: are they drawn the same, with nothing drawn over them?
        for number, (page, signed) in enumerate(
            zip(_drawings(given, what), _drawings(laid_out, "the PDF laid out again"), strict=True),
            start=1,
        ):
            if page != signed:
                problems.append(
                    f"page {number} is drawn otherwise than its signed content lays it out "
                    "(something drawn over or under the text, a changed font or image, the "
                    "page cropped, resized or turned, or an action added)"
                )
        made_by = _producer(given)
        if problems and made_by != _producer(laid_out):
            problems.append(
                f"the PDF was drawn by {made_by}, laid out again by {_producer(laid_out)}: "
                "check it where it was issued, or against its store (custody verify --report)"
            )
    version = (content.get("software") or {}).get("version")
    if problems and version != __version__:
        problems.append(
            f"the report was issued by forensic {version}, laid out again by {__version__}: "
            "check it with the version that issued it"
        )
    return content, problems


CASE_LINE_PT = (8.5, 8.0, 7.5, 7.0, 6.5)
"""The sizes (points) the page header's case number is drawn in, the largest it fits in
(layout :data:`~forensic.report.layout.MARKED_BREAKS` on)."""


def _case_lines(
    content: Mapping[str, Any], y: float
) -> tuple[list[tuple[str, float, float, bool, str]], float]:
    """The page header's case number and report id (layout
    :data:`~forensic.report.layout.MARKED_BREAKS` on), from ``y`` inches below the page's top,
    and where the header goes on: on one line where they fit beside the page number, else the
    case number on a line of its own, the body's width (the page number is beside the line
    above), in the largest of :data:`CASE_LINE_PT` it fits in whole; only a case number wider
    than that breaks, after a hyphen or slash or marked (:func:`wrap_to_width`)."""
    number, report = content["case"]["case_number"], content["report_id"]
    both = f"Case {number}   Report {report}"
    if drawn_width(both, 8.5, bold=True) <= (BODY_W - PAGE_NUMBER_W) * 72 - WIDTH_SLACK_PT:
        return [(both, y, 8.5, True, "black")], y + 0.15
    width = BODY_W * 72 - WIDTH_SLACK_PT
    size = next(
        (pt for pt in CASE_LINE_PT if drawn_width(f"Case {number}", pt, bold=True) <= width),
        CASE_LINE_PT[-1],
    )
    measure = functools.partial(drawn_width, fontsize=size, bold=True)
    lines = []
    for line in wrap_to_width(f"Case {number}", width, measure, marked=True):
        lines.append((line, y, size, True, "black"))
        y += 0.15 * size / 8.5
    lines.append((f"Report {report}", y, 8.5, True, "black"))
    return lines, y + 0.15


PRINTABLE_ON_LETTER = 5
"""The first layout version (:data:`~forensic.report.layout.LAYOUT_VERSION`) whose pages print
on US Letter at 100 % as well as on A4: everything is drawn inside the area the two papers
share (595 x 792 pt, centred on the A4 page as a printer centres it), at least 12.7 mm inside
its edges (:data:`LETTER_EDGE`). Earlier reports drew their header 7 mm from the top edge and
their footer 10 mm from the bottom: on Letter the header's first line was cut off. They are
drawn so again, as they were issued; the page stays A4."""

LETTER_H = 11.0
"""The height of a US Letter page, in inches (its width, 8.5, is more than A4's)."""

LETTER_EDGE = (PAGE_H - LETTER_H) / 2 + 0.5 + 0.02
"""Inches from the A4 page's top and bottom edges inside which a page of layout
:data:`PRINTABLE_ON_LETTER` on draws: the part of the page a Letter sheet does not hold when
the page is centred on it, then 12.7 mm (0.5 inch) of margin, and 0.02 inch for rounding."""


def _chars(width: float, fontsize: float, em: float = TEXT_CHAR_EM) -> int:
    """How many characters of a DejaVu Sans font fit in ``width`` inches."""
    return max(20, int(width * 72 / (em * fontsize)))


@dataclass
class _Frame:
    """The header and footer of every page: their lines (text, top in inches, font size,
    bold, colour), wrapped so that no identifier runs off the page or under the page number,
    and the margins they leave for the body."""

    header: list[tuple[str, float, float, bool, str]]
    footer: list[tuple[str, float, float, bool, str]]
    rule: float
    footer_top: float  # the first line of the footer text, beside which the page number goes
    top: float
    bottom: float
    forced: bool

    @classmethod
    def of(cls, content: Mapping[str, Any], wrapping: _Wrapping | None = None) -> _Frame:
        wrapping = wrapping or _Wrapping.of(content)
        on_letter = content.get("layout", 1) >= PRINTABLE_ON_LETTER
        edge = LETTER_EDGE if on_letter else 0.0  # where drawing may start, from either edge
        text_w = BODY_W - PAGE_NUMBER_W
        header = []
        y = start = max(0.3, edge)
        issuer = f"{content['unit']} - {content['location']}"
        for line in wrapping.lines(issuer, text_w, 7.5, chars=_chars(text_w, 7.5)):
            header.append((line, y, 7.5, False, "black"))
            y += 0.13
        y += 0.05
        case_line = f"Case {content['case']['case_number']}   Report {content['report_id']}"
        case_chars = _chars(text_w, 8.5, DISPLAY_CHAR_EM)
        if wrapping.marked:
            lines, y = _case_lines(content, y)
            header += lines
        else:
            for line in wrapping.lines(case_line, text_w, 8.5, bold=True, chars=case_chars):
                header.append((line, y, 8.5, True, "black"))
                y += 0.15
        rule = max(start + 0.55, y + 0.05)
        warnings = []
        forced = content["verification"]["forced"]
        if forced:
            warnings.append(
                "UNVERIFIED CHAIN OF CUSTODY - report forced despite failed verification"
            )
        note = not_measured_note(content)  # which analyses, in a report of layout 5 on
        if note:
            warnings.append(note)
        if wrapping.by_width:  # a provenance no simulator writes may be long
            warnings = [
                line
                for warning in warnings
                for line in wrapping.lines(warning, BODY_W, 8, bold=True, chars=0)
            ]
        footer_text = (
            f"Case {content['case']['case_number']} - Report {content['report_id']} - content "
            + (
                f"SHA-256 (first 16 hex digits) {content['content_sha256'][:16]}"
                if content.get("layout", 1) >= WORDED_FOR_THE_READER  # says what is cut
                else f"SHA-256 {content['content_sha256'][:16]}..."
            )
        )
        footer_lines = wrapping.lines(footer_text, text_w, 7, chars=_chars(text_w, 7))
        height = 0.15 * len(warnings) + 0.12 * len(footer_lines)
        bottom = max(BOTTOM, 0.2 + height + max(0.3, edge))
        y = PAGE_H - bottom + 0.2
        footer = []
        for warning in warnings:
            footer.append((warning, y, 8, True, RED))
            y += 0.15
        footer_top = y
        for line in footer_lines:
            footer.append((line, y, 7, False, "black"))
            y += 0.12
        return cls(header, footer, rule, footer_top, max(TOP, rule + 0.2), bottom, forced)

    def draw(self, fig: Figure, number: int, total: int) -> None:
        for text, top, size, bold, colour in self.header + self.footer:
            fig.text(
                LEFT / PAGE_W,
                _y(top),
                text,
                fontsize=size,
                weight="bold" if bold else "normal",
                color=colour,
                family=SANS,
                va="top",
            )
        page = f"Page {number} of {total}"
        fig.text(
            1 - RIGHT / PAGE_W,
            _y(self.header[0][1]),
            page,
            fontsize=8.5,
            weight="bold",
            family=SANS,
            va="top",
            ha="right",
        )
        fig.text(
            1 - RIGHT / PAGE_W,
            _y(self.footer_top),
            page,
            fontsize=7,
            family=SANS,
            va="top",
            ha="right",
        )
        fig.add_artist(
            matplotlib.lines.Line2D(
                [LEFT / PAGE_W, 1 - RIGHT / PAGE_W],
                [_y(self.rule), _y(self.rule)],
                color="black",
                lw=0.6,
            )
        )
        if self.forced:
            fig.text(
                0.5,
                0.5,
                "UNVERIFIED",
                fontsize=90,
                color=RED,
                alpha=0.08,
                rotation=45,
                ha="center",
                va="center",
                family=SANS,
                weight="bold",
            )
