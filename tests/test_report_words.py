"""What a report of layout 5 says to its reader: custody notes, which analyses are simulated,
why each verdict was reached, what the hit table's numbers mean, an inconclusive verdict that
names no substance, how to check the report, a case's summary, and the library searched.

Every new wording is made only for content of layout 5 on: a report of an earlier layout is
laid out as it was issued (tests/test_report_drawing.py pins how)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from custody_helpers import OPERATOR, break_seal, identification_dict, populated_store
from pypdf import PdfReader
from synthetic import make_spectrum

from forensic.report import issue_report, render_text
from forensic.report.layout import LAYOUT_VERSION, WORDED_FOR_THE_READER, report_blocks


def _flat(text: str) -> str:
    return " ".join(text.split())


def _pdf_text(pdf: bytes) -> str:
    return _flat(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))


def _earlier(content: dict) -> dict:
    """The same content as a report of layout 4 (before these words) states it."""
    return {**content, "layout": WORDED_FOR_THE_READER - 1}


def test_the_layout_version_is_that_of_the_words():
    assert LAYOUT_VERSION >= WORDED_FOR_THE_READER == 5


# --- finding 3: custody notes ---------------------------------------------------------------


def test_custody_notes_are_signed_and_printed_under_the_custody_table(tmp_path):
    store = populated_store(tmp_path / "s")
    try:
        break_seal(
            store,
            received_by="Dr. Chloé Lab",
            purpose="confirmatory analysis",
            notes="seal torn on arrival, bag intact;\nresealed with S-1200",
        )
        report = issue_report(
            store,
            "CASE-1",
            operator=OPERATOR,
            pdf_path=tmp_path / "r.pdf",
            text_path=tmp_path / "r.txt",
        )
    finally:
        store.close()
    custody = report.content["exhibits"][0]["custody"]
    assert [e["notes"] for e in custody] == [
        None,
        "seal torn on arrival, bag intact;\nresealed with S-1200",
    ]
    said = f"#{custody[1]['record']} ("
    expected = '"seal torn on arrival, bag intact; resealed with S-1200"'
    for text in (_flat((tmp_path / "r.txt").read_text()), _pdf_text(report.pdf)):
        assert f"Notes of custody record {said}" in text
        assert expected in text
        assert text.count("Notes of custody record") == 1  # only the record that has notes
    assert "Notes of custody record" not in render_text(_earlier(report.content))


# --- finding 1: which analyses are simulated --------------------------------------------------


def _with_measured_exhibit(store, item: str = "EX-2") -> None:
    """A second exhibit of CASE-1 whose spectrum was measured (it states no provenance)."""
    store.add_exhibit("CASE-1", item, operator=OPERATOR, description="tablets", seal_number="S-2")
    measurement = store.add_measurement(
        "CASE-1",
        item,
        make_spectrum(seed=2, noise=0.01).with_metadata(instrument_model="Bench FTIR"),
        operator=OPERATOR,
        instrument_url="folder:///exports",
    )
    store.add_result(measurement, identification_dict(), operator=OPERATOR)


def _pages(pdf: bytes) -> list[str]:
    return [_flat(page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


def test_a_report_mixing_simulated_and_measured_analyses_says_which_are_which(tmp_path):
    store = populated_store(tmp_path / "s")  # EX-1: simulated
    try:
        _with_measured_exhibit(store)
        report = issue_report(
            store,
            "CASE-1",
            operator=OPERATOR,
            pdf_path=tmp_path / "r.pdf",
            text_path=tmp_path / "r.txt",
        )
    finally:
        store.close()
    note = "Simulated spectra (no evidential value): EX-1; measured: EX-2"
    pages = _pages(report.pdf)
    assert all(note in page for page in pages)  # the footer of every page
    assert not any("NOT MEASURED FROM THE EXHIBIT: NO EVIDENTIAL VALUE" in p[-400:] for p in pages)
    # the measured exhibit's analysis is never under a simulated banner
    measured = [page for page in pages if "Analysis 1 of exhibit EX-2" in page]
    assert measured
    assert all("SIMULATED SPECTRUM" not in page for page in measured)
    text = _flat((tmp_path / "r.txt").read_text())
    assert text.count(note) == 1  # said once, before the exhibits
    assert text.index(note) < text.index("Exhibit EX-1")
    # a report of layout 4 said the first simulated spectrum's banner, as it was issued
    assert note not in render_text(_earlier(report.content))


def test_a_report_whose_every_analysis_is_simulated_keeps_the_banner_s_words(tmp_path):
    report = _issued(tmp_path)
    pages = _pages(report.pdf)
    banner = "SIMULATED SPECTRUM, NOT MEASURED FROM THE EXHIBIT: NO EVIDENTIAL VALUE"
    assert all(banner in page for page in pages)
    assert "measured:" not in " ".join(pages)


def test_runs_of_exhibit_numbers_are_written_as_ranges():
    from forensic.report.layout import _runs  # noqa: PLC0415

    assert _runs(["A1", "A2", "A3", "A5", "B1", "B2", "X"]) == "A1-A3, A5, B1-B2, X"
    assert _runs(["A1 analysis 1", "A2"]) == "A1 analysis 1, A2"


def _issued(tmp_path, item=None, **populated):
    """CASE-1's report issued as PDF and text from a :func:`populated_store`."""
    store = populated_store(tmp_path / "s", **populated)
    try:
        return issue_report(
            store,
            "CASE-1",
            item,
            operator=OPERATOR,
            pdf_path=tmp_path / "r.pdf",
            text_path=tmp_path / "r.txt",
        )
    finally:
        store.close()


# --- findings 4 and 5: how sure, and what the other hits are ----------------------------------


def _inconclusive() -> dict:
    """A cut sample whose two closest substances score within 0.02 of each other."""
    identification = identification_dict("inconclusive", name="Paracetamol")
    identification["hits"][1].update(name="Heroin base", entry_id="heroin", score=0.975)
    identification["hits"][0]["q_value"] = 0.055
    identification["reasons"] = [
        "q-value 0.055 is above 0.05 needed to identify (score 0.982)",
        "the best different substance scores within 0.007 (< 0.02): the spectrum does not "
        "tell them apart",
    ]
    identification["mixture"] = {
        "components": [
            {"name": "Heroin base", "fraction": 0.42, "score": 0.7, "q_value": 0.1},
            {"name": "Paracetamol", "fraction": 0.58, "score": 0.6, "q_value": 0.1},
        ],
        "explained": 0.9,
        "residual": 0.1,
    }
    return identification


def test_an_identification_prints_its_reasons_and_a_key_to_its_hit_table(tmp_path):
    identification = identification_dict()
    identification["reasons"] = [
        "score 0.982, q-value 0.001, at most 0.05",
        "99% of the query's bands matched (by prominence)",
    ]
    report = _issued(tmp_path, identification=identification)
    why = (
        "Why: score 0.982, q-value 0.001, at most 0.05; 99% of the query's bands matched "
        "(by prominence)."
    )
    rank_2 = "rank 2 is the next-closest reference, not a finding"
    key = "Key: score: similarity to the reference, 1 = identical; q-value: the estimated share"
    for text in (_flat((tmp_path / "r.txt").read_text()), _pdf_text(report.pdf)):
        assert why in text
        assert rank_2 in text
        assert key in text
        assert text.index("IDENTIFIED: Cocaine hydrochloride") < text.index(why)
    earlier = render_text(_earlier(report.content))
    assert "Why:" not in earlier
    assert "Key:" not in earlier


def test_the_scan_s_screen_and_the_report_explain_score_and_q_value_in_one_set_of_words():
    from forensic.cli import custody as cli_custody  # noqa: PLC0415
    from forensic.cli import result as cli_result  # noqa: PLC0415
    from forensic.report.layout import HIT_TABLE_KEY  # noqa: PLC0415
    from forensic.verdict import SCORE_KEY  # noqa: PLC0415

    assert SCORE_KEY in HIT_TABLE_KEY
    # the key scan's and identify's screens give under their hits (forensic.cli.result)
    assert cli_result.score_key([{"q_value": 0.01}]) == f"  ({SCORE_KEY})"
    for module in (cli_custody, cli_result):  # not worded a second time
        assert "share of wrong identifications" not in Path(module.__file__).read_text()


def test_an_inconclusive_headline_names_no_substance_and_says_what_was_not_told_apart(tmp_path):
    report = _issued(tmp_path, identification=_inconclusive())
    closest = (
        "Closest references, not told apart (within 0.02 of each other's score) and not "
        "confirmed: Paracetamol (score 0.982, q-value 0.055), Heroin base (score 0.975, "
        "q-value 0.2). The mixture fit suggests Heroin base 42% + Paracetamol 58%: not "
        "confirmed."
    )
    for text in (_flat((tmp_path / "r.txt").read_text()), _pdf_text(report.pdf)):
        assert "INCONCLUSIVE: no substance identified" in text
        assert "closest reference Paracetamol" not in text
        assert closest in text
        assert "none is a finding (the verdict is inconclusive)" in text
    # a report of layout 4 is laid out as it was issued
    assert "INCONCLUSIVE: closest reference Paracetamol" in render_text(_earlier(report.content))


def test_the_terminal_words_an_inconclusive_verdict_as_the_report_does():
    from forensic.verdict import closest_line, verdict_line  # noqa: PLC0415

    identification = _inconclusive()
    assert verdict_line(identification) == "INCONCLUSIVE: no substance identified"
    assert verdict_line(identification, layout=4) == "INCONCLUSIVE: closest reference Paracetamol"
    assert closest_line(identification).startswith("Closest references, not told apart")
    assert closest_line(identification_dict()) is None  # an identification needs none


@pytest.mark.parametrize(
    ("signal", "verdict", "said"),
    [
        (None, "no_match", "(the spectrum matches no reference)"),
        (2.2, "inconclusive", "(the spectrum holds no usable signal)"),
    ],
)
def test_the_hits_of_a_no_match_or_an_empty_spectrum_are_said_to_be_chance(
    tmp_path, signal, verdict, said
):
    identification = identification_dict(verdict)
    identification["signal_to_noise"] = signal
    _issued(tmp_path, identification=identification)
    text = _flat((tmp_path / "r.txt").read_text())
    assert f"closest to the spectrum by chance similarity only: none is a finding {said}" in text
    assert "Closest reference" not in text  # no lead is named


# --- finding 11: how to check the report --------------------------------------------------------


def test_how_to_check_the_report_is_plain_numbered_steps(tmp_path):
    from forensic.report.pdf import CARRIES_CONTENT  # noqa: PLC0415

    report = _issued(tmp_path)
    text = _pdf_text(report.pdf)
    steps = text[text.index("How to check this report") :]
    for number in range(1, 7):
        assert f" {number}. " in steps
    assert "`" not in text  # no Markdown
    assert "forensic verify-report FILE.pdf" in steps
    assert "must print VERIFIED" in steps
    assert "first 16 hex digits of the report content SHA-256" in steps
    assert "application/vnd.forensic.spectrum+json" in steps  # what the raw hash is of
    assert "sha256sum FILE" in steps
    assert "certutil -hashfile FILE SHA256" in steps
    assert CARRIES_CONTENT in steps  # a PDF whose content was removed is still caught
    assert steps.rstrip().endswith("*** END OF REPORT ***")
    assert "`forensic verify-report FILE.pdf`" in render_text(_earlier(report.content))


def test_every_footer_says_its_content_hash_is_cut_to_16_hex_digits(tmp_path):
    report = _issued(tmp_path)
    cut = f"(first 16 hex digits) {report.content['content_sha256'][:16]}"
    assert all(cut in page for page in _pages(report.pdf))


# --- finding 13: a case report opens with its exhibits, in their order --------------------------


def test_a_case_report_opens_with_a_summary_of_its_exhibits_in_their_number_s_order(tmp_path):
    store = populated_store(tmp_path / "s", item="A10")  # simulated, sealed, handed over
    try:
        _with_measured_exhibit(store, "A2")
        _with_measured_exhibit(store, "a1")
        break_seal(store, item="A10")
        report = issue_report(
            store,
            "CASE-1",
            operator=OPERATOR,
            pdf_path=tmp_path / "r.pdf",
            text_path=tmp_path / "r.txt",
        )
    finally:
        store.close()
    assert [e["label"]["item_number"] for e in report.content["exhibits"]] == ["a1", "A2", "A10"]
    # in layout 6 its one summary says more of each (tests/test_report_said_once.py), in order
    summary = " ".join((tmp_path / "r.txt").read_text().split("\nExhibit a1\n")[0].split())
    assert (
        summary.index("Exhibit a1:") < summary.index("Exhibit A2:") < summary.index("Exhibit A10:")
    )
    assert "seal SEAL-001 received BROKEN" in summary
    # the table of layout 5
    text = render_text({**report.content, "layout": 5})
    summary = text[text.index("Summary of exhibits") : text.index("Exhibit a1\n")]
    rows = [line for line in summary.splitlines() if line.startswith(("a1 ", "A2 ", "A10 "))]
    assert [row.split()[0] for row in rows] == ["a1", "A2", "A10"]
    assert "IDENTIFIED: Cocaine" in rows[0] and "measured" in rows[0]
    assert "simulated (no" in summary
    assert "no custody record" in rows[0]
    assert "SEAL-001 BROKEN" in " ".join(summary.split())
    assert "Summary of exhibits" in _pdf_text(report.pdf)
    assert "Summary of exhibits" not in render_text(_earlier(report.content))


def test_a_report_of_layout_5_on_one_exhibit_has_no_summary(tmp_path):
    report = _issued(tmp_path)  # layout 6 gives one a summary (tests/test_report_said_once.py)
    assert "Summary" not in render_text({**report.content, "layout": 5})


def test_exhibit_numbers_sort_as_a_reader_expects():
    from forensic.report.content import natural_key  # noqa: PLC0415

    items = ["A10", "B1", "A2", "a3", "A1b", "A1", "10", "9"]
    assert sorted(items, key=natural_key) == ["9", "10", "A1", "A1b", "A2", "a3", "A10", "B1"]


# --- finding 15 (words): a seal's state and times -----------------------------------------------


def test_the_seal_column_says_intact_or_broken_and_times_say_utc(tmp_path):
    store = populated_store(tmp_path / "s")
    try:
        break_seal(store)
        report = issue_report(store, "CASE-1", operator=OPERATOR, text_path=tmp_path / "r.txt")
    finally:
        store.close()
    text = (tmp_path / "r.txt").read_text()

    def custody_rows(content):
        (table,) = [b for b in report_blocks(content) if b.kind == "table" and "Seal" in b.headers]
        return table.items

    rows = custody_rows(report.content)
    assert [row[4] for row in rows] == ["intact SEAL-001", "BROKEN SEAL-001"]
    assert all(row[0].endswith(" UTC") for row in rows)  # each hand-over's time
    assert "Collected at:    2026-01-30 22:10:00 UTC" in text
    assert "2026-01-30 22:10:00Z" not in text
    earlier = _earlier(report.content)
    assert [row[4] for row in custody_rows(earlier)] == ["ok SEAL-001", "BROKEN SEAL-001"]
    assert "2026-01-30 22:10:00Z" in render_text(earlier)


# --- finding 8: what library was searched -------------------------------------------------------


def test_the_report_says_how_many_substances_the_library_searched_holds(tmp_path):
    identification = identification_dict("no_match")
    identification["library_substances"] = {"raman": 61, "ir": 40}
    report = _issued(tmp_path, identification=identification)
    # as layout 5 words it (layout 6 names the library: tests/test_report_place_and_library.py)
    text = _flat(render_text({**report.content, "layout": WORDED_FOR_THE_READER}))
    assert (
        "Library searched: version lib-0123456789ab (40 substances for ir, 61 substances for "
        "raman; this spectrum was searched among the raman ones)"
    ) in text
    assert "Library version" in render_text(_earlier(report.content))


def test_a_result_recorded_without_the_library_s_counts_says_so(tmp_path):
    report = _issued(tmp_path)
    text = _flat(render_text({**report.content, "layout": WORDED_FOR_THE_READER}))
    assert "version lib-0123456789ab (how many substances it holds was not recorded)" in text


def test_identify_records_how_many_substances_each_modality_of_the_library_holds():
    from library_helpers import SYNTHETIC, synthetic_spectrum  # noqa: PLC0415

    from forensic.identification import Identification, identify  # noqa: PLC0415
    from forensic.library import Library  # noqa: PLC0415

    references = [synthetic_spectrum(i) for i in range(len(SYNTHETIC))]
    library = Library.from_spectra(references, calibrate=False)
    spectrum = synthetic_spectrum(0, seed=7)
    result = identify(spectrum, library)
    expected = {m: len(set(library.substances(m).tolist())) for m in library.modalities}
    assert result.library_substances == expected
    assert Identification.from_dict(result.to_dict()).library_substances == expected


def test_verify_report_says_of_a_mixed_report_what_its_footer_says(tmp_path):
    from forensic.cli.custody import _report_summary  # noqa: PLC0415

    store = populated_store(tmp_path / "s")
    try:
        _with_measured_exhibit(store)
        report = issue_report(store, "CASE-1", operator=OPERATOR, text_path=tmp_path / "r.txt")
    finally:
        store.close()
    lines = _report_summary(report.content)
    assert "Simulated spectra (no evidential value): EX-1; measured: EX-2" in lines
    assert not any("NOT MEASURED FROM THE EXHIBIT" in line for line in lines)
