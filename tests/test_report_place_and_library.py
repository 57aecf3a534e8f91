"""What a report of layout 6 says of where each analysis was done and of the library searched
(print review, findings 8 and 9): "Acquired <time> at <place>", the library by its name, build
date, substances and version, the no-match caveat under a NO MATCH headline and an annex of
the library's substances; and how a store and a report made before say they do not know.

Every new wording is made only for content of layout 6 on: a report of an earlier layout is
laid out as it was issued (tests/test_report_drawing.py pins how)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from click.testing import CliRunner
from custody_helpers import OPERATOR, identification_dict, populated_store

from forensic.cli import main
from forensic.custody import Store, verify_store
from forensic.identification import library_named
from forensic.library import NOT_PUBLISHED
from forensic.report import issue_report, render_pdf, render_text
from forensic.report.content import check_report_json, correction_changes
from forensic.report.layout import (
    LAYOUT_VERSION,
    NO_MATCH_CAVEAT,
    WHERE_AND_WHICH_LIBRARY,
    library_line,
    report_blocks,
)
from forensic.report.pdf import check_report_pdf

FIXTURES = Path(__file__).parent / "fixtures"
LAB = "Central Lab, Den Haag"


def _flat(text: str) -> str:
    return " ".join(text.split())


def _before(content: dict) -> dict:
    """The same content as a report of layout 5 (before these words) lays it out."""
    return {**content, "layout": WHERE_AND_WHICH_LIBRARY - 1}


def _kv(content: dict, key: str) -> list[str]:
    """The values of every ``key`` row of the report's key-value blocks, in order."""
    return [
        value
        for block in report_blocks(content)
        if block.kind == "kv"
        for name, value in block.items
        if name == key
    ]


def _named(identification: dict) -> dict:
    """``identification`` as a result against a named library records it."""
    return {
        **identification,
        "library_name": "Lab Raman 2026",
        "library_built_at": "2026-11-20T09:15:00Z",
        "library_substances": {"ir": 2, "raman": 3},
        "library_substance_names": {
            "raman": ["Caffeine", "Cocaine hydrochloride", "Lidocaine"],
            "ir": ["Caffeine", "Cocaine hydrochloride"],
        },
    }


def _two_places(tmp_path: Path, identification: dict | None = None) -> Store:
    """CASE-1, opened in the van, with an analysis made where nothing was recorded (as every
    one before schema 2) and one made in the lab."""
    store = Store(tmp_path / "s")
    store.open_case("CASE-1", operator=OPERATOR, location="Van 3, Rotterdam Noord")
    populated_store(tmp_path / "s", identification=identification).close()
    first = store.measurements("CASE-1", "EX-1")[0]
    again = store.add_measurement(
        "CASE-1",
        "EX-1",
        store.load_spectrum(first),
        operator=OPERATOR,
        location=LAB,
        unit="Forensic Drugs Unit",
    )
    store.add_result(again, identification or identification_dict(), operator=OPERATOR)
    return store


def _issued(tmp_path: Path, identification: dict):
    """CASE-1's report, issued as text, of a :func:`populated_store` whose result is
    ``identification``."""
    tmp_path.mkdir(exist_ok=True)
    store = populated_store(tmp_path / "s", identification=identification)
    try:
        return issue_report(store, "CASE-1", operator=OPERATOR, text_path=tmp_path / "r.txt")
    finally:
        store.close()


def test_the_layout_version_is_that_of_these_words():
    assert LAYOUT_VERSION >= WHERE_AND_WHICH_LIBRARY == 6


# --- finding 9: where each analysis was done -----------------------------------------------------


def test_each_analysis_says_where_it_was_acquired_or_that_it_was_not_recorded(tmp_path):
    store = _two_places(tmp_path)
    try:
        report = issue_report(store, "CASE-1", operator=OPERATOR, text_path=tmp_path / "r.txt")
    finally:
        store.close()
    analyses = report.content["exhibits"][0]["analyses"]
    assert [(a["location"], a["unit"]) for a in analyses] == [
        (None, None),
        (LAB, "Forensic Drugs Unit"),
    ]
    acquired = _kv(report.content, "Acquired")
    assert acquired[0].endswith(f" UTC by {OPERATOR}; location not recorded")
    assert acquired[1].endswith(f" UTC at {LAB} by {OPERATOR} (Forensic Drugs Unit)")
    text = _flat((tmp_path / "r.txt").read_text())
    assert f"at {LAB} by {OPERATOR} (Forensic Drugs Unit)" in text
    # the header still reads the case's place, as it was: the analysis's own is beside it
    assert "Issued by: Mobile forensic laboratory, Van 3, Rotterdam Noord" in text
    # laid out as layout 5, the same content says neither
    assert all(
        " at " not in line and "location" not in line
        for line in _kv(_before(report.content), "Acquired")
    )


def test_report_says_when_its_header_names_a_place_other_than_where_the_analyses_were_done(
    tmp_path,
):
    """A later report put every page's header in the van, where the case was opened, with no
    word on screen that an analysis was recorded in the lab (finding 9)."""
    _two_places(tmp_path).close()
    report = ["report", "CASE-1", "--store", str(tmp_path / "s"), "--operator", OPERATOR]
    done = CliRunner(env={"FORENSIC_LOCATION": None}).invoke(
        main, [*report, "--out", str(tmp_path / "a.pdf")]
    )
    assert done.exit_code == 0, done.output
    assert (
        "note: the report's header reads 'Van 3, Rotterdam Noord' (the case's location: no "
        f"--location was given), but analyses it states were done elsewhere: '{LAB}' (EX-1 "
        "analysis 2). Each analysis's place is printed with it; give --location to name where "
        "this report is issued"
    ) in done.stderr.splitlines()
    named = CliRunner().invoke(main, [*report, "--out", str(tmp_path / "b.pdf"), "--location", LAB])
    assert named.exit_code == 0 and "note: the report's header" not in named.stderr
    with Store(tmp_path / "s") as store:
        assert verify_store(store).ok


# --- finding 8: which library was searched ------------------------------------------------------


def test_the_library_is_named_with_its_build_date_substances_and_version(tmp_path):
    report = _issued(tmp_path, _named(identification_dict()))
    (line,) = _kv(report.content, "Library")
    assert line == (
        "Lab Raman 2026, built 2026-11-20, 3 Raman / 2 IR substances, version lib-0123456789ab"
    )
    assert "Library: Lab Raman 2026, built 2026-11-20" in _flat((tmp_path / "r.txt").read_text())
    assert _kv(_before(report.content), "Library") == []  # layout 5: "Library searched"
    assert _kv(_before(report.content), "Library searched")[0].startswith("version lib-")


def test_the_library_line_opens_with_the_words_the_screen_names_the_library_in():
    """The report names the library and its standing as forensic identify, scan and exhibit
    identify do (library_named: one wording), then what it holds and its version."""
    named = _named(identification_dict())
    for identification in (
        named,
        {**named, "library_approval": NOT_PUBLISHED},
        {**named, "library_approval": "published 2026-11-22 with forensic 0.9.0"},
        identification_dict(),  # recorded before the library was named
    ):
        line = library_line(identification)
        assert line.startswith(library_named(identification) + ", "), line
    assert library_line({**named, "library_approval": NOT_PUBLISHED}) == (
        "Lab Raman 2026, built 2026-11-20, not a published version, 3 Raman / 2 IR substances, "
        "version lib-0123456789ab"
    )


def test_a_result_recorded_before_the_library_was_named_says_what_is_not_recorded(tmp_path):
    report = _issued(tmp_path, identification_dict())
    assert _kv(report.content, "Library") == [
        "name and build date not recorded, number of substances not recorded, version "
        "lib-0123456789ab"
    ]


def test_a_no_match_says_under_its_headline_that_an_absent_substance_cannot_be_identified(
    tmp_path,
):
    report = _issued(tmp_path, _named(identification_dict("no_match")))
    blocks = report_blocks(report.content)
    (verdict,) = [n for n, block in enumerate(blocks) if block.kind == "verdict"]
    assert blocks[verdict].text == "NO MATCH in the reference library"
    assert blocks[verdict + 1].kind == "para"
    assert blocks[verdict + 1].text == (
        NO_MATCH_CAVEAT + ", and the substances it holds are listed in the annex."
    )
    # not under another verdict, and not in a report of layout 5
    assert NO_MATCH_CAVEAT not in render_text(
        _issued(tmp_path / "2", identification_dict()).content
    )
    assert NO_MATCH_CAVEAT not in render_text(_before(report.content))


def test_the_annex_lists_the_substances_of_each_library_searched(tmp_path):
    report = _issued(tmp_path, _named(identification_dict("no_match")))
    text = render_text(report.content)
    annex = _flat(text[text.index("Annex: the substances of the library searched") :])
    assert (
        "Lab Raman 2026, built 2026-11-20, 3 Raman / 2 IR substances, version lib-0123456789ab: "
        "Raman, 3 substances: Caffeine, Cocaine hydrochloride, Lidocaine. IR, 2 substances: "
        "Caffeine, Cocaine hydrochloride. *** END OF REPORT ***"
    ) in annex
    # a modality too large to list is said to be so; a result that lists none has no annex
    large = _named(identification_dict("no_match"))
    large["library_substance_names"] = {"ir": ["Caffeine", "Cocaine hydrochloride"]}
    text = _flat(render_text(_issued(tmp_path / "2", large).content))
    assert "Raman, 3 substances: too many to list here (forensic library list names them)." in text
    assert "Annex:" not in render_text(_issued(tmp_path / "3", identification_dict()).content)
    assert "Annex:" not in render_text(_before(report.content))


# --- a store and a report made before ------------------------------------------------------------


def test_a_store_and_a_report_of_0_6_0_still_verify_and_are_reported_on(tmp_path):
    """Records made before schema 2 have no place and their results name no library: a new
    report on them says so; the report 0.6.0 issued (layout 5) still verifies and is drawn
    again as a report of layout 5."""
    path = tmp_path / "old.db"
    path.write_bytes(gzip.decompress((FIXTURES / "store-0.6.0.db.gz").read_bytes()))
    issued = json.loads((FIXTURES / "report-0.6.0.json").read_text())
    assert issued["layout"] == 5 and check_report_json(issued) == []
    assert check_report_pdf(render_pdf(issued))[1] == []
    old_words = _flat(render_text(issued))
    assert "Library searched: version lib-0123456789ab" in old_words
    assert "location not recorded" not in old_words and "Annex:" not in old_words
    with Store(path) as store:  # upgraded to schema 2 by a command that records
        report = issue_report(store, "CASE-1", "EX-1", operator="Bo Reviewer")
        assert verify_store(store).ok
    (acquired,) = _kv(report.content, "Acquired")
    assert acquired.endswith(f"by {OPERATOR}; location not recorded")
    assert _kv(report.content, "Library")[0].startswith("name and build date not recorded")
    assert check_report_pdf(render_pdf(report.content))[1] == []


def test_a_report_s_custody_events_state_where_the_exhibit_changed_hands(tmp_path):
    """A report's content states each hand-over's place under ``location``: None where none
    was recorded (every hand-over of a store made before schema 3, here one of 0.7.0's), for
    a layout to print; the content, signed with it, checks and verifies. What a correction
    changed is read from a store of schema 2 too (``custody verify --report`` reads it as it
    is), which has no place to compare."""
    folder = tmp_path / "old"
    folder.mkdir()
    (folder / "forensic.db").write_bytes(
        gzip.decompress((FIXTURES / "store-0.7.0.db.gz").read_bytes())
    )
    with Store(folder, read_only=True) as store:  # read as it is: no place column yet
        first = store.custody_events("CASE-7", "EX-1")[0]
        changed = correction_changes("custody_events", first, {**first, "notes": "in the van"})
        assert [change["field"] for change in changed] == ["notes"]
    with Store(folder) as store:  # upgraded to schema 3 by a command that records
        store.add_custody_event(
            "CASE-7", "EX-1", operator=OPERATOR, released_by="Bo Courier",
            received_by="Cy Clerk", purpose="storage", location="Evidence room 2, Central Lab",
        )  # fmt: skip
        report = issue_report(store, "CASE-7", "EX-1", operator="Bo Reviewer")
        assert verify_store(store).ok
    custody = report.content["exhibits"][0]["custody"]
    assert [(e["received_by"], e["location"]) for e in custody] == [
        (OPERATOR, None),
        ("Bo Courier", None),
        ("Cy Clerk", "Evidence room 2, Central Lab"),
    ]
    assert check_report_json(report.content) == []
