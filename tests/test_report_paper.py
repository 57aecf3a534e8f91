"""A report on paper: its figure read in a black-and-white copy and as spectra are printed, its
pages printed on US Letter as on A4, and its identifiers never broken silently (layout 5 on).
Reports of earlier layouts are drawn as they were issued (test_report_drawing pins them)."""

from __future__ import annotations

import numpy as np
import pypdfium2
import pytest
from custody_helpers import OPERATOR, identification_dict, populated_store
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.text import Text

from forensic.report import issue_report, render_pdf, render_text
from forensic.report import pdf as report_pdf
from forensic.report.layout import CONTINUED, LAYOUT_VERSION, format_table, wrap, wrap_to_width
from forensic.report.pdf import check_report_pdf

IR_PIPELINE = [
    {"name": "to_absorbance", "params": {}},
    {"name": "remove_baseline", "params": {"method": "arpls", "lam": 1e9}},
    {"name": "derivative", "params": {"window": 17, "polyorder": 2}},
    {"name": "normalise", "params": {"method": "l2"}},
]


def _figure(data: dict, layout: int = LAYOUT_VERSION) -> Figure:
    """The result figure of ``data`` drawn alone on a page, as a report of ``layout`` draws it."""
    with report_pdf.drawing_settings():
        wrapping = report_pdf._Wrapping(marked=layout >= 5)
        (item,) = report_pdf._items_for(
            report_pdf.Block("figure", data=data), wrapping, layout=layout
        )
        fig = Figure(figsize=(report_pdf.PAGE_W, report_pdf.PAGE_H))
        FigureCanvasAgg(fig)
        item.draw(fig, 1.5)
        fig.canvas.draw()
    return fig


def _mixture(components: int = 4) -> dict:
    data = identification_dict()
    grid = np.asarray(data["query"]["wavenumber"])
    parts = [
        np.where(grid > 500 + 40 * n, np.exp(-(((grid - 700 - 200 * n) / 15.0) ** 2)), 0.0)
        for n in range(components)
    ]
    data["mixture"] = {
        "components": [
            {"name": f"Substance {n}", "fraction": 1 / components, "provenance": "modelled"}
            for n in range(components)
        ],
        "residual": 0.1,
        "explained": 0.99,
        "spectra": {
            "wavenumber": grid.tolist(),
            "fit": np.sum(parts, axis=0).tolist(),
            "components": [part.tolist() for part in parts],
        },
    }
    data["query_provenance"] = "measured"
    return data


def _plot_lines(fig: Figure) -> list[Line2D]:
    return [line for line in fig.axes[0].get_lines() if line.get_label()[:1] != "_"]


# --- finding 6: the figure reads in a black-and-white copy --------------------------------------


@pytest.mark.parametrize("data", [identification_dict(), _mixture(4)], ids=["single", "mixture"])
def test_every_line_of_the_figure_is_told_apart_without_colour(data):
    """A grayscale photocopy keeps dash patterns and widths, not colours: the spectrum, its
    reference or fit and each mixture component each have their own (colour kept too)."""
    lines = _plot_lines(_figure(data))
    assert len(lines) == (6 if data.get("mixture") else 2)
    without_colour = {(line.get_linewidth(), str(line._unscaled_dash_pattern)) for line in lines}
    assert len(without_colour) == len(lines)
    assert len({line.get_color() for line in lines}) == len(lines)
    # the spectrum is the heaviest, solid line
    spectrum = lines[0]
    assert spectrum.get_linestyle() == "-"
    assert spectrum.get_linewidth() > max(line.get_linewidth() for line in lines[1:])
    # a report of layout 4 is drawn as it was issued: its components alike but for colour
    if data.get("mixture"):
        earlier = _plot_lines(_figure(data, layout=4))
        alike = {(line.get_linewidth(), str(line._unscaled_dash_pattern)) for line in earlier}
        assert len(alike) < len(earlier)


# --- finding 15: the key is not drawn over the data ---------------------------------------------


@pytest.mark.parametrize("data", [identification_dict(), _mixture(4)], ids=["single", "mixture"])
def test_the_figure_s_key_and_caption_are_drawn_under_the_plots_not_over_them(data):
    fig = _figure(data)
    renderer = fig.canvas.get_renderer()
    (legend,) = fig.findobj(Legend)
    key = legend.get_window_extent(renderer)
    plots = [ax.get_tightbbox(renderer) for ax in fig.axes]
    assert all(key.y1 <= plot.y0 for plot in plots)  # under both, their tick labels included
    (caption,) = [text for text in fig.texts if text.get_text().startswith("Drawn: the spectrum")]
    assert caption.get_window_extent(renderer).y1 <= key.y0  # and the caption under the key
    lowest = min(
        text.get_window_extent(renderer).y0
        for text in fig.findobj(Text)
        if text.get_text() and text.get_visible()
    )
    # all of it inside the item's height (what the page keeps for it)
    figure = report_pdf._PrintedFigure.of(data, report_pdf._Wrapping())
    assert lowest >= (report_pdf.PAGE_H - 1.5 - figure.height) * 72 - 0.5
    # layout 4 drew its key inside the plot
    (earlier,) = _figure(data, layout=4).findobj(Legend)
    assert earlier.axes is not None


# --- finding 12: as spectra are printed, and saying what it shows -------------------------------


def _ir_data() -> dict:
    data = identification_dict()
    grid = np.arange(700.0, 3950.0, 2.0)
    band = np.exp(-(((grid - 1700.0) / 20.0) ** 2)) + 0.3 * np.exp(-(((grid - 1000.0) / 30.0) ** 2))
    query = band + 0.05
    query[0] = 0.4  # the query's own first point: data
    reference = band.copy()
    reference[0] = 0.0  # moved 1.5 cm-1 up onto the query (shift_cm1), it has no data here
    data.update(
        modality="ir",
        pipeline=IR_PIPELINE,
        query={"wavenumber": grid.tolist(), "intensity": query.tolist()},
        # a reference whose range ends before the query's: nothing is drawn past it
        best_reference={"wavenumber": grid[:-50].tolist(), "intensity": reference[:-50].tolist()},
        query_provenance="simulated",
    )
    return data


def test_an_ir_figure_runs_high_to_low_and_its_axes_say_what_they_show():
    fig = _figure(_ir_data())
    top, bottom = fig.axes
    assert top.xaxis_inverted() and bottom.xaxis_inverted()
    assert top.get_ylabel() == "absorbance (normalised)"
    assert bottom.get_ylabel() == "residual"
    assert bottom.get_title(loc="left") == "residual: simulated spectrum − reference"
    raman = _figure({**identification_dict(), "query_provenance": "measured"}).axes[0]
    assert not raman.xaxis_inverted()
    assert raman.get_ylabel() == "Raman intensity (normalised)"
    earlier = _figure(_ir_data(), layout=4).axes[0]  # as layout 4 drew it
    assert not earlier.xaxis_inverted() and earlier.get_ylabel() == "intensity (normalised)"


def test_the_caption_says_what_was_done_to_the_spectra_and_what_the_score_compares():
    texts = [text.get_text() for text in _figure(_ir_data()).texts]
    caption = " ".join(t for t in texts if t.startswith("Drawn") or texts.index(t) > 0)
    said = " ".join(caption.split())
    for words in (
        "in absorbance",
        "baseline removed",
        "scaled to a maximum of 1",
        "the reference scaled to it by least squares",
        "the spectrum minus the reference, drawn where both have data",
        "first derivatives",
    ):
        assert words in said
    # a pipeline without a derivative compares no derivative
    plain = _figure({**identification_dict(), "query_provenance": "measured"})
    assert "derivative" not in " ".join(text.get_text() for text in plain.texts)


def test_points_where_the_reference_has_no_data_do_not_set_the_residual_s_scale():
    """A reference moved onto the query holds zero where the move left it without data, and
    one narrower than the query holds none past its end: drawn as zero, the first made a
    spike that set the residual's whole scale."""
    data = _ir_data()
    fig = _figure(data)
    reference, residual = _plot_lines(fig)[1], fig.axes[1].get_lines()[0]
    x = np.asarray(data["query"]["wavenumber"])
    drawn = np.asarray(residual.get_ydata(), dtype=float)
    assert np.isnan(drawn[0]) and np.isnan(drawn[-50:]).all()  # not drawn where it has none
    assert np.isnan(np.asarray(reference.get_ydata(), dtype=float)[-50:]).all()
    assert np.isfinite(drawn[1:-53]).all()
    low, high = fig.axes[1].get_ylim()
    assert high - low < 0.2  # the offset of 0.05, not the query's 0.4 at the edge
    assert x.size == drawn.size
    earlier = _figure(data, layout=4).axes[1].get_ylim()
    assert earlier[1] - earlier[0] > 0.3  # layout 4 drew the spike, as it was issued


# --- finding 10: printed on US Letter as on A4 ---------------------------------------------------


def _outside_letter(pdf_path) -> list[str]:
    """What a PDF draws outside the area A4 and Letter share, less 12.7 mm at each edge."""
    edge = ((report_pdf.PAGE_H - 11.0) / 2 + 0.5) * 72
    left_edge = 0.5 * 72
    document = pypdfium2.PdfDocument(pdf_path)
    outside = []
    try:
        for number in range(len(document)):
            page = document[number]
            width, height = page.get_size()
            for obj in page.get_objects(max_depth=3):
                left, bottom, right, top = obj.get_bounds()
                if right - left >= width - 1 and top - bottom >= height - 1:
                    continue  # the page's white background
                if bottom < edge - 0.01 or top > height - edge + 0.01 or left < left_edge:
                    outside.append(f"page {number + 1}: object at {bottom:.1f}-{top:.1f} pt")
                if right > width - left_edge:
                    outside.append(f"page {number + 1}: object at x {left:.1f}-{right:.1f} pt")
    finally:
        document.close()
    return outside


def test_every_page_prints_on_letter_at_full_size_with_its_margins(tmp_path):
    """A Letter sheet is 50 pt shorter than A4: centred on it, a header 7 mm from the top was
    cut off. Everything a page draws (header, case number, page number, footer, figures) is
    inside the area both papers share, 12.7 mm inside its edges; the page stays A4."""
    store = populated_store(tmp_path / "s", modelled=True)
    try:
        report = issue_report(store, "CASE-1", operator=OPERATOR, pdf_path=tmp_path / "r.pdf")
    finally:
        store.close()
    assert _outside_letter(tmp_path / "r.pdf") == []
    document = pypdfium2.PdfDocument(tmp_path / "r.pdf")
    try:
        assert [round(v) for v in document[0].get_size()] == [595, 842]
    finally:
        document.close()
    assert check_report_pdf(report.pdf)[1] == []
    (tmp_path / "4.pdf").write_bytes(render_pdf({**report.content, "layout": 4}))
    assert _outside_letter(tmp_path / "4.pdf")  # as layout 4 drew it


# --- finding 7: no identifier broken silently ----------------------------------------------------


def test_a_long_identifier_breaks_after_a_hyphen_or_slash_or_with_a_mark():
    seal = "SEAL-NL-2026-000000012345-ABCDEFGHIJ"
    assert wrap_to_width(seal, 17, len, marked=True) == [
        "SEAL-NL-2026-",
        "000000012345-",
        "ABCDEFGHIJ",
    ]
    assert wrap(seal, 17) == ["SEAL-NL-2026-0000", "00012345-ABCDEFGH", "IJ"]  # earlier layouts
    assert wrap("0123456789abcdef", 8, marked=True) == [
        "0123456" + CONTINUED,
        "789abcd" + CONTINUED,
        "ef",
    ]
    assert wrap("see /media/evidence/file.spc", 12, marked=True) == [
        "see",
        "/media/",
        "evidence/",
        "file.spc",
    ]
    lines = format_table(["Seal"], [[f"ok {seal}"]], 17, marked=True)
    assert lines[2:] == ["ok", "SEAL-NL-2026-", "000000012345-", "ABCDEFGHIJ"]


@given(
    words=st.lists(st.text(alphabet="iWmM-x0/", min_size=1, max_size=30), max_size=30),
    width=st.integers(min_value=4, max_value=40),
)
def test_a_marked_wrap_loses_nothing_and_breaks_a_word_only_where_it_shows(words, width):
    lines = wrap(" ".join(words), width, marked=True)
    assert all(len(line) <= width for line in lines)
    joined = "".join(line.removesuffix(CONTINUED) for line in lines)
    assert joined.replace(" ", "") == "".join(words)
    text, at = " ".join(words), 0
    for line in lines:
        # every line ends at a word's end, after a hyphen or slash, or with the mark
        piece = line.removesuffix(CONTINUED)
        assert text.startswith(piece, at)
        at += len(piece)
        if text[at : at + 1] == " ":
            at += 1
        elif at < len(text):
            assert line[-1] in "-/" + CONTINUED
    drawn = {word for line in lines for word in line.split()}
    for word in words:
        if len(word) <= width:  # a word that fits on a line is never broken
            assert word in drawn


def test_long_names_seals_and_case_numbers_are_never_split_silently(tmp_path):
    """The audit's report: a seal split every 17 characters, a case number wrapped mid-token in
    the page header. The header gives the case number a line of its own, and every break
    inside a name or number, in the PDF and the text, is after a hyphen or marked."""
    case = "OPERATION-NIGHTINGALE-2026-11-24-ROTTERDAM-HAVEN-MAASVLAKTE-TERMINAL-7"
    store = populated_store(tmp_path / "s", case=case)
    seal = "SEAL-NL-2026-000000012345-ABCDEFGHIJ"
    name = "Hoofdagent Maximiliaan-Alexander van Oldenbarnevelt-Württemberg-Hohenzollern"
    try:
        store.add_custody_event(
            case,
            "EX-1",
            operator=OPERATOR,
            released_by=name,
            received_by=OPERATOR,
            purpose="confirmatory analysis",
            seal_intact=True,
            seal_number=seal,
        )
        report = issue_report(store, case, operator=OPERATOR, pdf_path=tmp_path / "r.pdf")
    finally:
        store.close()
    assert check_report_pdf(report.pdf)[1] == []
    pages = report_pdf.page_texts(report.pdf)
    for page in pages:
        assert f"Case {case}" in page
    with report_pdf.drawing_settings():  # the page header: the case number whole on its line
        header = [line[0] for line in report_pdf._Frame.of(report.content).header]
        assert f"Case {case}" in header and f"Report {report.content['report_id']}" in header
        earlier = [line[0] for line in report_pdf._Frame.of({**report.content, "layout": 4}).header]
        assert f"Case {case}" not in earlier  # layout 4 broke it where its line was full
    text = render_text(report.content)
    pdf_words = " ".join(pages).split()
    for said in (text.split(), pdf_words):
        for word in said:  # every piece of the seal ends where the seal breaks visibly
            if len(word) >= 5 and word in seal and word != seal:
                assert word.endswith(("-", CONTINUED)) or seal.endswith(word), word
        assert any(w.startswith("SEAL-NL-") for w in said)  # its start, as typed
    # a report of layout 4 is wrapped as it was issued: the seal broken mid-token
    earlier = render_text({**report.content, "layout": 4})
    assert any(
        len(w) >= 5 and w in seal and w != seal and not w.endswith("-") and not seal.endswith(w)
        for w in earlier.split()
    )
