"""How a report is laid out and drawn: the same on every computer, every line inside the page
body, a simulated spectrum named with the reference it was made from, and the pages of a
report issued by an earlier layout drawn again as they were issued."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import matplotlib
import pypdfium2
import pytest
from click.testing import CliRunner
from custody_helpers import OPERATOR, identification_dict, populated_store
from hypothesis import given
from hypothesis import strategies as st
from matplotlib import font_manager
from matplotlib.text import Text
from matplotlib.textpath import text_to_path
from matplotlib.transforms import Bbox
from pypdf import PdfReader
from synthetic import make_spectrum

from drivers.urls import open_instrument
from forensic.cli import main
from forensic.custody import Store
from forensic.errors import InstallationError
from forensic.report import issue_report, render_pdf, render_text
from forensic.report import pdf as report_pdf
from forensic.report.content import check_report_json
from forensic.report.layout import LAYOUT_VERSION, format_table, report_blocks, wrap_to_width
from forensic.report.pdf import TABLE_CHARS, check_report_pdf, embedded_content

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"

ODD_SETTINGS = {
    "axes.linewidth": 3.0,
    "lines.linewidth": 4.0,
    "font.size": 14.0,
    "font.style": "italic",
    "font.weight": "bold",
    "savefig.facecolor": "red",
    "path.simplify_threshold": 0.9,
    "axes.edgecolor": "blue",
}
"""matplotlib settings a technician's or an expert's computer may have in its matplotlibrc."""


@pytest.fixture(scope="module")
def issued(tmp_path_factory):
    """A report issued with matplotlib's default settings: its PDF bytes."""
    folder = tmp_path_factory.mktemp("drawing")
    mp = pytest.MonkeyPatch()
    mp.setenv("FORENSIC_CONFIG_DIR", str(folder / "config"))
    try:
        store = populated_store(folder / "s")
        try:
            report = issue_report(store, "CASE-1", operator=OPERATOR, pdf_path=folder / "r.pdf")
        finally:
            store.close()
        yield report.pdf
    finally:
        mp.undo()


def _drawn(pdf: bytes) -> list:
    return report_pdf._drawings(PdfReader(io.BytesIO(pdf)), "the report")


# --- the same whatever the computer's matplotlib settings -------------------------------------


def test_a_report_is_drawn_the_same_whatever_the_computer_s_matplotlib_settings(issued):
    """It is laid out again to verify it: another computer's settings (or the issuing one's)
    must not draw it otherwise, or a genuine report fails verification."""
    with matplotlib.rc_context(ODD_SETTINGS):
        assert check_report_pdf(issued)[1] == []  # verified where the settings are odd
        issued_there = render_pdf(embedded_content(issued))  # issued where they are
    assert check_report_pdf(issued_there)[1] == []  # and verified where they are not
    assert _drawn(issued_there) == _drawn(issued)
    assert matplotlib.rcParams["axes.linewidth"] == matplotlib.rcParamsDefault["axes.linewidth"]


def test_verify_report_ignores_a_matplotlibrc_in_the_working_folder(issued, tmp_path):
    """The audit's case: an expert runs verify-report in a folder holding a matplotlibrc."""
    (tmp_path / "r.pdf").write_bytes(issued)
    settings = tmp_path / "settings"
    settings.mkdir()
    (settings / "matplotlibrc").write_text(
        "".join(f"{key}: {value}\n" for key, value in ODD_SETTINGS.items())
    )
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("MPLCONFIGDIR", "MATPLOTLIBRC")
    }
    done = subprocess.run(
        [sys.executable, "-m", "forensic", "verify-report", str(tmp_path / "r.pdf")],
        cwd=settings,
        env={
            **environment,
            "PYTHONPATH": os.pathsep.join([str(ROOT), environment.get("PYTHONPATH", "")]),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "VERIFIED" in done.stdout and "NOT VERIFIED" not in done.stdout


# --- the same whatever fonts the computer has ----------------------------------------------------


@contextlib.contextmanager
def _other_dejavu_found_first() -> Iterator[None]:
    """A DejaVu Sans and a DejaVu Sans Mono of other metrics installed on the computer, and
    found first by their family names: DejaVu Serif's regular and bold faces, registered
    under those names ahead of matplotlib's own fonts."""
    manager = font_manager.fontManager
    serif = {400: "DejaVuSerif.ttf", 700: "DejaVuSerif-Bold.ttf"}
    others = [
        font_manager.FontEntry(
            fname=str(Path(matplotlib.get_data_path(), "fonts", "ttf", serif[weight])),
            name=family,
            weight=weight,
            size="scalable",
        )
        for family in (report_pdf.SANS, report_pdf.MONO)
        for weight in serif
    ]
    caches = (manager._findfont_cached, report_pdf.drawn_width, report_pdf._drawable)
    saved = manager.ttflist
    manager.ttflist = [*others, *saved]
    for cache in caches:
        cache.cache_clear()
    try:
        yield
    finally:
        manager.ttflist = saved
        for cache in caches:
            cache.cache_clear()


def test_a_font_of_the_same_family_name_on_the_computer_changes_nothing_a_report_draws(issued):
    """An expert's computer may hold another build of DejaVu Sans: found by its family name,
    its other advances would break lines elsewhere and embed other glyphs, and a genuine
    report would not verify there. A report draws and measures with matplotlib's own files."""
    line = "the spectrum was read from /media/" + "/".join(["Levamisole-hydrochloride"] * 12)
    widths = [report_pdf.drawn_width(line, report_pdf.PARA_PT, bold) for bold in (False, True)]
    with _other_dejavu_found_first():
        for family in (report_pdf.SANS, report_pdf.MONO):  # a family name finds the other font
            found = font_manager.findfont(font_manager.FontProperties(family=family))
            assert Path(found).name == "DejaVuSerif.ttf"

        def by_family(text: str) -> float:
            face = font_manager.FontProperties(family=report_pdf.SANS, size=report_pdf.PARA_PT)
            return text_to_path.get_text_width_height_descent(text, face, ismath=False)[0]

        body = report_pdf.BODY_W * 72
        assert wrap_to_width(line, body, by_family) != wrap_to_width(
            line, body, functools.partial(report_pdf.drawn_width, fontsize=report_pdf.PARA_PT)
        )  # measured by family name, the lines would break elsewhere
        assert [
            report_pdf.drawn_width(line, report_pdf.PARA_PT, bold) for bold in (False, True)
        ] == widths
        assert check_report_pdf(issued)[1] == []  # issued elsewhere, verified here
        issued_here = render_pdf(embedded_content(issued))
    assert _drawn(issued_here) == _drawn(issued)


def test_a_matplotlib_without_its_own_fonts_says_so(monkeypatch, tmp_path):
    """A distribution's matplotlib may leave its fonts to the system's: a report is not drawn
    with whichever DejaVu the computer has, and the error says why."""
    monkeypatch.setattr(matplotlib, "get_data_path", lambda: str(tmp_path))
    with pytest.raises(InstallationError, match="matplotlib's own fonts only"):
        report_pdf.font_file(report_pdf.SANS)


def test_verify_report_blames_a_matplotlib_without_its_fonts_not_the_report(
    issued, monkeypatch, tmp_path
):
    """A computer that cannot draw a report cannot check one: ``verify-report`` says what to
    reinstall, and neither calls the report unreadable nor "not a report"."""
    path = tmp_path / "r.pdf"
    path.write_bytes(issued)
    monkeypatch.setattr(matplotlib, "get_data_path", lambda: str(tmp_path / "no-data"))
    result = CliRunner().invoke(main, ["verify-report", str(path)])
    assert result.exit_code == 2, result.output
    assert "reinstall matplotlib" in result.output
    assert "NOT A REPORT" not in result.output and "cannot be read" not in result.output


# --- every line inside the page body ------------------------------------------------------------

_WIDTHS = {" ": 1.0, "i": 0.5, "m": 2.5, "W": 3.0, "M": 2.8, "-": 1.0}


def _measure(text: str) -> float:
    return sum(_WIDTHS.get(c, 1.5) for c in text)


@given(
    words=st.lists(st.text(alphabet="iWmM-x0", min_size=1, max_size=30), max_size=40),
    width=st.floats(min_value=3.0, max_value=60.0),
)
def test_wrapping_by_width_keeps_every_line_within_it_and_every_word_that_fits_whole(words, width):
    text = " ".join(words)
    lines = wrap_to_width(text, width, _measure)
    for line in lines:
        assert _measure(line) <= width or len(line) == 1  # one glyph wider than a line is drawn
        assert line == line.strip()
    assert "".join("".join(lines).split()) == "".join(words)  # nothing lost, nothing added
    drawn = {word for line in lines for word in line.split()}
    for word in words:
        if _measure(word) <= width:  # a word that fits on a line is never broken
            assert word in drawn


def test_wrapping_by_width_fills_lines_and_breaks_a_token_wider_than_a_line():
    assert wrap_to_width("", 10, len) == [""]
    assert wrap_to_width("aa bb cc", 5, len) == ["aa bb", "cc"]
    assert wrap_to_width("see 0123456789abcdef", 8, len) == ["see 0123", "456789ab", "cdef"]
    # capitals are wider than small letters: fewer of them on a line
    assert wrap_to_width("WWW iii", 10, _measure) == ["WWW", "iii"]
    assert wrap_to_width("iii iii iii", 10, _measure) == ["iii iii iii"]


def _glyphs_outside_the_body(pdf_path: Path) -> list[str]:
    """The glyphs of a PDF drawn past the body's left or right edge or off the page, by page."""
    left_margin = report_pdf.LEFT * 72 - 0.05
    right = (report_pdf.PAGE_W - report_pdf.RIGHT) * 72 + 0.05
    document = pypdfium2.PdfDocument(pdf_path)
    outside = []
    try:
        for number in range(len(document)):
            page = document[number]
            height = page.get_size()[1]
            text = page.get_textpage()
            for index in range(text.count_chars()):
                if text.get_text_range(index, 1) in ("\r", "\n"):  # pdfium's line ends, not
                    continue  # drawn (zero width, where some matplotlib versions end a line)
                left, bottom, right_edge, top = text.get_charbox(index)
                if right_edge > right or left < left_margin or bottom < 0 or top > height:
                    outside.append(
                        f"page {number + 1}: {text.get_text_range(index, 1)!r} at "
                        f"{left:.1f}-{right_edge:.1f}, {bottom:.1f}-{top:.1f} pt"
                    )
    finally:
        document.close()
    return outside


def test_no_text_of_a_report_leaves_the_page_body(tmp_path):
    """A description in capitals, long lists of peaks, a file path and a case number wider
    than a line: wrapped by their drawn width, every glyph is inside the body, and the
    report verifies."""
    case = "WWWWWWWW-MMMMMMMM-WWWWWWWW-MMMMMMMM-WWWWWWWW-MMMMMMMM-WWWWWWWW-MMMMMMMM"
    capitals = " ".join(["WWWWWWWW MMMMMMMM"] * 6)
    path = "/media/EVIDENCE/" + "/".join(["W0MM0W0MM0WW0MM0"] * 8) + ".spc"
    identification = identification_dict(name="MDMA " + capitals)
    best = identification["hits"][0]
    best["matched_peaks"] = [[1000.0 + 11 * n, 1001.0 + 11 * n] for n in range(60)]
    best["unmatched_peaks"] = [2000.0 + 13 * n for n in range(40)]
    identification["warnings"] = [
        f"the technician who scanned EX-1 described it as {capitals}",
        f"the spectrum was read from {path}",
    ]
    store = populated_store(tmp_path / "s", case=case, identification=identification)
    try:
        issue_report(
            store,
            case,
            operator=OPERATOR,
            pdf_path=tmp_path / "r.pdf",
            unit="WWWWWWWW MMMMMMMM " * 4,
            location="MMMMMMMM WWWWWWWW " * 3,
        )
    finally:
        store.close()
    assert _glyphs_outside_the_body(tmp_path / "r.pdf") == []
    pdf = (tmp_path / "r.pdf").read_bytes()
    assert check_report_pdf(pdf)[1] == []
    said = "".join(" ".join(report_pdf.page_texts(pdf)).split())
    for whole in (case, "".join(capitals.split()), path, "1649->1650", "2507."):
        assert whole in said  # wrapped, not cut


def _texts_drawn(content: dict) -> list[tuple[Text, Bbox]]:
    """Every text a report's PDF draws (tick labels, a legend's, a watermark's included), with
    the box the PDF renderer draws it in: points from the page's lower left corner."""
    drawn = []
    draw = Text.draw

    def recorded(text: Text, renderer) -> None:
        if text.get_visible() and text.get_text():  # what matplotlib draws at all
            drawn.append((text, text.get_window_extent(renderer)))
        draw(text, renderer)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Text, "draw", recorded)
        render_pdf(content)
    return drawn


def test_nothing_a_report_with_a_figure_draws_crosses_the_page_margins(tmp_path):
    """A query that matches its reference closely leaves a small residual, whose tick labels
    are long ("-0.00025"): its axis label, drawn beside them, stood 6.6 pt past the left
    margin. It is drawn in a column at the margin, clear of its tick labels."""
    identification = identification_dict()
    query, reference = identification["query"], identification["best_reference"]
    query["intensity"] = [
        r + 3e-4 * math.sin(w / 50.0)
        for w, r in zip(reference["wavenumber"], reference["intensity"], strict=True)
    ]
    store = populated_store(tmp_path / "s", identification=identification)
    try:
        content = issue_report(store, "CASE-1", operator=OPERATOR).content
    finally:
        store.close()
    left = report_pdf.LEFT * 72
    right = (report_pdf.PAGE_W - report_pdf.RIGHT) * 72
    drawn = _texts_drawn(content)
    assert "residual" in [text.get_text() for text, _ in drawn]
    outside = [
        f"{text.get_text()!r} at {box.x0:.2f}-{box.x1:.2f}, {box.y0:.2f}-{box.y1:.2f} pt"
        for text, box in drawn
        if box.x0 < left - 1e-3
        or box.x1 > right + 1e-3
        or box.y0 < 0
        or box.y1 > report_pdf.PAGE_H * 72
    ]
    assert outside == []
    boxes = {id(text): box for text, box in drawn}
    plots = {id(ax): ax for text, _ in drawn if text.figure for ax in text.figure.axes}
    labelled = [ax for ax in plots.values() if id(ax.yaxis.label) in boxes]
    assert len(labelled) == 2
    for ax in labelled:  # each y label clear of its tick labels, the longest included
        ticks = [boxes[id(tick)] for tick in ax.yaxis.get_ticklabels() if id(tick) in boxes]
        assert ticks and boxes[id(ax.yaxis.label)].x1 + 3 <= min(box.x0 for box in ticks)
    # a report of layout 3 is drawn as it was issued, its label past the margin
    (issued,) = [
        box for text, box in _texts_drawn({**content, "layout": 3}) if text.get_text() == "residual"
    ]
    assert issued.x0 < left - 6


def test_a_report_table_stays_inside_the_page_body():
    """Tables are drawn in the monospaced font: a count of characters is a width."""
    wide = "W" * 200
    lines = format_table(["When", "Who", "Purpose"], [[wide, "M" * 90, wide]], TABLE_CHARS)
    mono_em = 0.602  # the advance of every glyph of DejaVu Sans Mono, in ems
    body = report_pdf.BODY_W * 72
    assert max(len(line) for line in lines) * mono_em * report_pdf.TABLE_PT <= body
    assert report_pdf.MONO_CHARS * mono_em * report_pdf.MONO_PT <= body - report_pdf.KEY_W * 72


def test_a_report_of_an_earlier_layout_is_drawn_again_as_it_was_issued():
    """Reports of layouts 1 and 2 wrapped their text by a count of characters: laid out again
    to verify them, they are wrapped so again, line for line (the fixture holds their pages'
    text as forensic 0.3.0 drew them)."""
    content = json.loads((FIXTURES / "report_layout_1.json").read_text())["content"]
    pages = json.loads((FIXTURES / "report_layout_1_pages.json").read_text())["pages"]
    for layout, issued_pages in pages.items():
        laid_out = {**content, "layout": int(layout)} if layout != "1" else content
        pdf = PdfReader(io.BytesIO(render_pdf(laid_out)))
        assert [page.extract_text() for page in pdf.pages] == issued_pages
    # wrapped by width, the same content breaks its lines elsewhere: the fixture pins something
    pdf = PdfReader(io.BytesIO(render_pdf({**content, "layout": LAYOUT_VERSION})))
    assert [page.extract_text() for page in pdf.pages] != pages["2"]


@pytest.mark.parametrize(
    "fixture",
    [
        "report_layout_3_pages.json",  # layouts 1 to 3, as forensic 0.4.0 drew them
        "report_layout_4_pages.json",  # layout 4, as forensic 0.5.0 drew it
        "report_layout_5_pages.json",  # layout 5, as forensic 0.6.0 drew it
        "report_layout_6_pages.json",  # layout 6, as forensic 0.7.0 drew it
        "report_layout_7_pages.json",  # layout 7, as forensic 0.8.0 drew it
        "report_layout_8_pages.json",  # layout 8, as forensic 0.9.0 drew it
    ],
)
def test_reports_of_earlier_layouts_are_drawn_glyph_for_glyph_as_they_were_issued(fixture):
    """verify-report compares what each page draws where, not only its words: a report issued
    by an earlier version must be drawn again with the same line breaks and every glyph in its
    place, whatever changed in how later layouts draw (each fixture holds what its version
    drew)."""
    content = json.loads((FIXTURES / "report_layout_1.json").read_text())["content"]
    issued = json.loads((FIXTURES / fixture).read_text())
    for layout, drawn in issued["drawn"].items():
        pdf = PdfReader(io.BytesIO(render_pdf({**content, "layout": int(layout)})))
        if layout in issued["pages"]:
            assert [page.extract_text() for page in pdf.pages] == issued["pages"][layout]
        if matplotlib.__version__ == issued["matplotlib"]:  # another draws other streams
            streams = [
                hashlib.sha256(page.get_contents().get_data()).hexdigest() for page in pdf.pages
            ]
            assert streams == drawn, f"layout {layout}"


def test_a_case_report_of_layout_5_is_laid_out_again_as_forensic_0_6_0_laid_it_out():
    """Layout 5's summary of exhibits, its custody notes and its limitations show only in a
    report on several exhibits with a broken seal and analyses that disagree, which the
    fixture of layout 1's content does not hold: this content (as 0.6.0 issued it) pins them,
    in the plain text, the PDF's words and, with the matplotlib that drew it, its glyphs."""
    issued = json.loads((FIXTURES / "report_layout_5_case.json").read_text())
    content = issued["content"]
    assert content["layout"] == 5
    assert render_text(content) == issued["text"]
    pdf = PdfReader(io.BytesIO(render_pdf(content)))
    assert [page.extract_text() for page in pdf.pages] == issued["pages"]
    if matplotlib.__version__ == issued["matplotlib"]:  # another draws other streams
        streams = [hashlib.sha256(page.get_contents().get_data()).hexdigest() for page in pdf.pages]
        assert streams == issued["drawn"]


def test_a_case_report_of_layout_6_is_laid_out_again_as_forensic_0_7_0_laid_it_out():
    """Layout 6's page-1 summary, the seal an exhibit carries now, its limitations by exhibit,
    its References, where each analysis was done, the library named and its annex show only
    in a case report such as this one (fixtures/make_report_layout_6.py made it, genuine and
    signed, with forensic 0.7.0): its plain text, the PDF's words and, with the matplotlib
    that drew it, its glyphs are pinned before a later layout changes how reports are laid
    out."""
    issued = json.loads((FIXTURES / "report_layout_6_case.json").read_text())
    content = issued["content"]
    assert content["layout"] == 6 and check_report_json(content) == []
    assert render_text(content) == issued["text"]
    pdf = PdfReader(io.BytesIO(render_pdf(content)))
    assert [page.extract_text() for page in pdf.pages] == issued["pages"]
    if matplotlib.__version__ == issued["matplotlib"]:  # another draws other streams
        streams = [hashlib.sha256(page.get_contents().get_data()).hexdigest() for page in pdf.pages]
        assert streams == issued["drawn"]


def test_a_case_report_of_layout_7_is_laid_out_again_as_forensic_0_8_0_laid_it_out():
    """Layout 7's places of hand-overs under their times, its numbers in Cyrillic letters named
    among the limitations and its headings kept with their first rows show only in a case
    report such as this one (fixtures/make_report_layout_7.py made it, genuine and signed,
    with forensic 0.8.0): its plain text, the PDF's words and, with the matplotlib that drew
    it, its glyphs are pinned before a later layout changes how reports are laid out."""
    issued = json.loads((FIXTURES / "report_layout_7_case.json").read_text())
    content = issued["content"]
    assert content["layout"] == 7 and check_report_json(content) == []
    assert render_text(content) == issued["text"]
    pdf = PdfReader(io.BytesIO(render_pdf(content)))
    assert [page.extract_text() for page in pdf.pages] == issued["pages"]
    if matplotlib.__version__ == issued["matplotlib"]:  # another draws other streams
        streams = [hashlib.sha256(page.get_contents().get_data()).hexdigest() for page in pdf.pages]
        assert streams == issued["drawn"]


def test_a_case_report_of_layout_8_is_laid_out_again_as_forensic_0_9_0_laid_it_out():
    """Layout 8's exhibit marked filed in error, and a custody table holding names and a place
    in Chinese characters, which layout 9 lays out by their width, show only in a case report
    such as this one (fixtures/make_report_layout_8.py made it, genuine and signed, with
    forensic 0.9.0): its plain text, the PDF's words and, with the matplotlib that drew it, its
    glyphs are pinned before layout 9 changes how reports are laid out."""
    issued = json.loads((FIXTURES / "report_layout_8_case.json").read_text())
    content = issued["content"]
    assert content["layout"] == 8 and check_report_json(content) == []
    assert render_text(content) == issued["text"]
    pdf = PdfReader(io.BytesIO(render_pdf(content)))
    assert [page.extract_text() for page in pdf.pages] == issued["pages"]
    if matplotlib.__version__ == issued["matplotlib"]:  # another draws other streams
        streams = [hashlib.sha256(page.get_contents().get_data()).hexdigest() for page in pdf.pages]
        assert streams == issued["drawn"]


# --- a simulated spectrum names the reference it was made from ---------------------------------

RAMAN_REFERENCE = make_spectrum(name="Reference made for the test").with_metadata(
    provenance="modelled"
)
IR_REFERENCE = make_spectrum(
    start=600.0, stop=4000.0, modality="ir", y_unit="absorbance", name="Reference made for the test"
).with_metadata(provenance="modelled")


@pytest.mark.parametrize(
    ("url", "reference"),
    [
        ("sim:ocean-rs232?sample=x&seed=1", RAMAN_REFERENCE),
        ("sim:obp?sample=x&seed=1&realtime=0", RAMAN_REFERENCE),
        ("sim:ftir?sample=x&seed=1", IR_REFERENCE),
    ],
)
def test_a_simulated_spectrum_s_report_names_the_reference_it_was_made_from(
    tmp_path, url, reference
):
    """Whatever the simulator: the FTIR simulator writes no note of its own, and its report
    said only "simulated"."""
    instrument = open_instrument(url, sample_resolver=lambda text, modality: reference)
    try:
        spectrum = instrument.acquire()
    finally:
        instrument.close()
    store = Store(tmp_path / "s")
    try:
        store.open_case("CASE-1", operator=OPERATOR)
        store.add_exhibit("CASE-1", "EX-1", operator=OPERATOR, description="tablets")
        measurement = store.add_measurement(
            "CASE-1", "EX-1", spectrum, operator=OPERATOR, instrument_url=url
        )
        store.add_result(measurement, identification_dict(), operator=OPERATOR)
        report = issue_report(store, "CASE-1", operator=OPERATOR)
    finally:
        store.close()
    made_from = "made from the reference Reference made for the test (modelled)"
    (provenance,) = [
        value
        for block in report_blocks(report.content)
        if block.kind == "kv"
        for key, value in block.items
        if key == "Data provenance"
    ]
    assert provenance.startswith("simulated (") and made_from in provenance
    assert made_from in " ".join(render_text(report.content).split())
    # a report issued before (layout 2) is laid out again as it was: a note, or nothing
    earlier = {**report.content, "layout": 2}
    said = " ".join(render_text(earlier).split())
    assert (made_from in said) == ("simulation_note" in spectrum.metadata)
