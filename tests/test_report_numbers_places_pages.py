"""What a report of layout 7 adds: it says which of its case, exhibit and seal numbers hold
letters of another script that print like Latin ones (an investigator types the number from
the paper and finds nothing), where each hand-over took place, and it never leaves a heading
at the foot of a page without its first rows.

A report of an earlier layout is laid out as it was issued (tests/test_report_drawing.py pins
layouts 1 to 6 glyph for glyph)."""

from __future__ import annotations

import copy
import io
import json
import re
from pathlib import Path

from custody_helpers import OPERATOR, identification_dict
from pypdf import PdfReader
from synthetic import make_spectrum

from forensic.custody import Store
from forensic.naming import lookalike_note
from forensic.report import issue_report, render_pdf, render_text
from forensic.report import pdf as report_pdf
from forensic.report.layout import HAND_OVER_PLACES, Block, table_lines

FIXTURES = Path(__file__).parent / "fixtures"
_ISSUED = json.loads((FIXTURES / "report_layout_6_case.json").read_text())
LAYOUT_6_CASE = _ISSUED["content"]
"""A case report of layout 6 as forensic 0.7.0 issued it (fixtures/make_report_layout_6.py)."""
LAYOUT_6_TEXT = _ISSUED["text"]


def _flat(text: str) -> str:
    return " ".join(text.split())


def _pages(pdf: bytes) -> list[str]:
    return [_flat(page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


def _utc(event: dict) -> str:
    """A hand-over's time as the custody table shows it."""
    return event["event_at"].replace("T", " ").removesuffix("Z") + " UTC"


def _limitations(text: str) -> list[str]:
    """The plain-text report's limitations, one string each."""
    section = text[text.index("\nLimitations\n") : text.index("\nReferences\n")]
    return [_flat(item) for item in section.split("\n- ")[1:]]


# --- numbers that print like others ------------------------------------------------------------

CASE = "\u0417\u0410\u041a-1"  # Cyrillic З, А, К: prints like 3AK-1
ITEM = "\u04101"  # Cyrillic А and a digit: prints like A1
SHARED_SEAL = "\u0421-77"  # Cyrillic С: prints like C-77, on the bag that holds both exhibits


def _exhibit(store: Store, item: str, seal: str, *, later_seal: str | None = None) -> None:
    store.add_exhibit(CASE, item, operator=OPERATOR, description="white powder", seal_number=seal)
    store.add_custody_event(
        CASE,
        item,
        operator=OPERATOR,
        released_by="PC Smith",
        received_by=OPERATOR,
        purpose="screening analysis",
        seal_intact=True,
        seal_number=seal,
    )
    if later_seal:
        store.add_custody_event(
            CASE,
            item,
            operator=OPERATOR,
            released_by=OPERATOR,
            received_by="Lab clerk",
            purpose="storage",
            seal_intact=True,
            seal_number=later_seal,
        )
    spectrum = make_spectrum(seed=1, noise=0.01).with_metadata(provenance="simulated")
    measurement = store.add_measurement(CASE, item, spectrum, operator=OPERATOR)
    store.add_result(measurement, identification_dict(), operator=OPERATOR)


def test_numbers_in_other_letters_are_named_once_with_their_code_points(tmp_path):
    """The case number, an exhibit's number and a seal in Cyrillic letters that print like
    Latin ones: each said once among the limitations, in naming's words (the letters, their
    code points, how the number reads on paper), the exhibit's under that exhibit, the case
    number's with what applies to the whole report; a seal two exhibits carry, once, naming
    both, under the first (Latin B2 before Cyrillic А1). Numbers in Latin letters are not
    mentioned."""
    with Store(tmp_path / "s") as store:
        store.open_case(CASE, operator=OPERATOR)
        _exhibit(store, ITEM, SHARED_SEAL, later_seal="S-0\u041e1")  # Cyrillic О in a Latin one
        _exhibit(store, "B2", SHARED_SEAL)
        report = issue_report(
            store,
            CASE,
            operator=OPERATOR,
            pdf_path=tmp_path / "r.pdf",
            text_path=tmp_path / "r.txt",
        )
    text = (tmp_path / "r.txt").read_text(encoding="utf-8")
    limitations = _limitations(text)
    exhibit = f"{ITEM}: {lookalike_note(ITEM, 'exhibit number')}."
    shared = f"B2, {ITEM}: {lookalike_note(SHARED_SEAL, 'seal number')}."
    mixed = f"{ITEM}: {lookalike_note('S-0О1', 'seal number')}."
    case = f"{lookalike_note(CASE, 'The case number')}."
    # by exhibit, in the report's order: B2's (the seal it shares), then А1's own
    assert limitations[:3] == [shared, exhibit, mixed]
    # the case number's with what applies to the whole report, after every exhibit's
    assert limitations.index(case) > max(
        i for i, said in enumerate(limitations) if said.startswith(ITEM)
    )
    assert case == (
        "The case number 'ЗАК-1' contains Cyrillic З (U+0417), А (U+0410), К (U+041A), which "
        "print like Latin 3, A, K: on paper it reads '3AK-1', and typed so it is another number."
    )
    assert "Cyrillic С (U+0421), which prints like Latin C: on paper it reads 'C-77'" in shared
    assert "it mixes them with Latin S: almost always a keyboard set to another layout" in mixed
    said = _flat(text)
    pdf_said = " ".join(_pages(report.pdf))
    for sentence in (exhibit, shared, mixed, case):
        assert said.count(sentence) == 1
        assert pdf_said.count(sentence) == 1  # the PDF's fonts draw the letters too
    assert report.content["limitations"].count(case) == 1  # signed, as it is drawn
    # a report on B2 alone names the seal under B2 only; B2's own number goes unmentioned
    with Store(tmp_path / "s") as store:
        alone = issue_report(store, CASE, "B2", operator=OPERATOR)
    assert [s for s in alone.content["limitations"] if "U+" in s] == [
        f"B2: {lookalike_note(SHARED_SEAL, 'seal number')}.",
        case,
    ]


def test_a_report_in_latin_numbers_says_nothing_of_other_letters(tmp_path):
    with Store(tmp_path / "s") as store:
        store.open_case("CASE-1", operator=OPERATOR)
        store.add_exhibit("CASE-1", "EX-1", operator=OPERATOR, description="x", seal_number="S-1")
        report = issue_report(store, "CASE-1", operator=OPERATOR)
    assert not [said for said in report.content["limitations"] if "U+" in said]
    assert "print like Latin" not in render_text(report.content)


# --- where each hand-over took place -----------------------------------------------------------

HAND_OVER_PLACE = "Central Lab, Den Haag, intake desk"


def _with_places(content: dict, layout: int = HAND_OVER_PLACES) -> dict:
    """``content`` as a store of schema 3 gives it (a hand-over's ``location``): A1's second
    and third hand-overs state where they took place, its first and A2's and A3's none."""
    exhibits = copy.deepcopy(content["exhibits"])
    custody = exhibits[0]["custody"]
    custody[1]["location"] = HAND_OVER_PLACE
    custody[2]["location"] = "Central Lab, Den Haag"
    for exhibit in exhibits:
        for event in exhibit["custody"]:
            event.setdefault("location", None)
    return {**content, "exhibits": exhibits, "layout": layout}


def _custody_table(text: str, item: str) -> list[str]:
    """The lines of exhibit ``item``'s custody table in the plain-text report."""
    lines = text[text.index(f"\nChain of custody: exhibit {item}\n") :].splitlines()[3:]
    return lines[: next(i for i, line in enumerate(lines) if line.startswith("Notes") or not line)]


def test_each_hand_over_says_where_it_took_place_under_its_time():
    """A hand-over that states a place has it under its time, the column headed "When (UTC),
    where"; one that states none shows its time alone (no "unknown", no dash under it); an
    exhibit none of whose hand-overs states one keeps the heading "When (UTC)"; the other
    columns keep their widths, so no word of theirs is broken."""
    content = _with_places(LAYOUT_6_CASE)
    text = render_text(content)
    table = _custody_table(text, "A1")
    assert re.match(r"When \(UTC\), where +Released by +Received by +Purpose", table[0])
    events = content["exhibits"][0]["custody"]
    width = len(_utc(events[0]))
    assert table[1].split("  ")[0] == "-" * width  # the time sets the column's width
    first_column = [line[:width].strip() for line in table[2:]]
    assert [cell for cell in first_column if cell] == [
        _utc(events[0]),  # its time alone
        _utc(events[1]),
        "Central Lab, Den Haag,",
        "intake desk",
        _utc(events[2]),
        "Central Lab, Den Haag",
        _utc(events[3]),
    ]
    assert "↩" not in "\n".join(table) and "unknown" not in text
    # the other columns are as layout 6 drew them
    assert table[1] == _custody_table(LAYOUT_6_TEXT, "A1")[1]
    # an exhibit whose hand-overs state no place: its table is as layout 6 draws it
    assert _custody_table(text, "A2") == _custody_table(LAYOUT_6_TEXT, "A2")
    assert _custody_table(text, "A2")[0].startswith("When (UTC)   ")
    # the PDF says the same
    said = " ".join(_pages(render_pdf(content)))
    assert "When (UTC), where Released by Received by" in said
    assert f"{_utc(events[1])} Ann Example Bob Courier" in said
    assert (
        f"{_utc(events[1])} Ann Example Bob Courier transport to central lab intact S-0093 10 "
        f"{events[1]['record_hash'][:12]} Central Lab, Den Haag, intake desk "
        f"{_utc(events[2])}"
    ) in said
    # a report of layout 6 says nothing of places, whatever its content holds
    earlier = render_text(_with_places(LAYOUT_6_CASE, layout=6))
    assert _custody_table(earlier, "A1") == _custody_table(LAYOUT_6_TEXT, "A1")
    assert "intake desk" not in earlier


def test_a_place_never_widens_the_time_column():
    """A place longer than the time wraps under it: the time's column is as wide as the time
    (the time and the record hash are the columns read whole), the table within its 100
    characters."""
    content = _with_places(LAYOUT_6_CASE)
    custody = content["exhibits"][0]["custody"]
    custody[1]["location"] = "Forensic Institute, Laan van Ypenburg 6, 2497 GB Den Haag, room B-214"
    table = _custody_table(render_text(content), "A1")
    assert table[1] == _custody_table(LAYOUT_6_TEXT, "A1")[1]
    assert max(len(line) for line in table) <= 100
    under_the_time = [line[: len(_utc(custody[0]))].strip() for line in table[2:]]
    assert custody[1]["location"] in " ".join(under_the_time)


# --- a heading on the page of its first rows ---------------------------------------------------


def _pages_of(content: dict) -> tuple[list[tuple[Block, list]], dict[int, int]]:
    """What each block of ``content``'s PDF draws, and the page (from 0) each item is first
    drawn on."""
    drawn, pages, _ = report_pdf._paginated(content)
    page_of: dict[int, int] = {}
    for number, page in enumerate(pages):
        for _, item in page:  # a table's headings are drawn again above a row starting a page
            page_of.setdefault(id(item), number)
    return drawn, page_of


def _padded(content: dict, lines: int) -> dict:
    """``content`` with ``lines`` more lines in A1's stated condition (near the top of the
    report): every heading after it moves down the pages."""
    padded = copy.deepcopy(content)
    line = ("sealed;" * 10)[: report_pdf.MONO_CHARS]  # a word as wide as a value's line
    padded["exhibits"][0]["label"]["condition"] = " ".join([line] * lines) or "sealed"
    return padded


def _rows(block: Block) -> list[int]:
    """How many lines each row of a table block draws in the PDF."""
    _, rows = table_lines(
        block.headers, block.items, report_pdf.TABLE_CHARS, block.keep, marked=True, hashes=True
    )
    return [len(row) for row in rows]


def _first_row(block: Block, items: list) -> list:
    """The items of a block's first row: a paragraph's first lines, a table's headings and
    first row, a key-value block's first line (its value's lines keep together anyway)."""
    if block.kind == "para":
        return items[: min(report_pdf.FIRST_LINES, len(items) - 1)]
    if block.kind == "table":
        heading = len(items) - 1 - sum(_rows(block))  # the last item is the space after it
        return items[: heading + _rows(block)[0]]
    return items[:1]


def _parted(content: dict) -> list[str]:
    """Where ``content``'s PDF parts a heading or a paragraph that leads in from the first
    row of what follows, or splits a row of a table across pages."""
    drawn, page_of = _pages_of(content)
    parted = []
    for index, (block, items) in enumerate(drawn):
        if block.kind == "table":
            first = len(items) - 1 - sum(_rows(block))
            for number, lines in enumerate(_rows(block), start=1):
                if len({page_of[id(item)] for item in items[first : first + lines]}) > 1:
                    parted.append(f"row {number} of the table {block.headers[:2]}")
                first += lines
        if block.kind != "heading" and not (block.kind == "para" and block.leads_in):
            continue
        following, its = drawn[index + 1]
        own = items if block.kind == "heading" else items[:-1]  # a paragraph's space after it
        together = [*own, *_first_row(following, its)]
        if len({page_of[id(item)] for item in together}) > 1:
            parted.append(f"{block.text[:40]!r} from its first row")
    return parted


def test_the_annex_heading_is_drawn_with_its_first_rows():
    """The annex's heading and its opening sentence could end a page, the library's line and
    its substances on the next: from layout 7 they go on together, and a report of layout 6
    is paginated as it was issued."""
    for lines in range(80):  # the annex's heading at the foot of a page of layout 6
        content = {
            **LAYOUT_6_CASE,
            "limitations": [
                *LAYOUT_6_CASE["limitations"],
                *(f"Note {n} of the test." for n in range(lines)),
            ],
        }
        drawn, page_of = _pages_of(content)
        heading = next(i for i, (b, _) in enumerate(drawn) if b.text.startswith("Annex"))
        library_line = drawn[heading + 2][1][0]
        if page_of[id(drawn[heading][1][0])] != page_of[id(library_line)]:
            break
    else:
        raise AssertionError("no padding leaves the annex's heading at the foot of a page")
    assert content["layout"] == 6
    issued = _pages(render_pdf(content))
    annex = next(page for page in issued if "Annex: the substances" in page)
    assert "Lab Raman 2026, built 2026-11-20" not in annex  # the heading without its rows
    assert _parted({**content, "layout": 7}) == []
    drawn7 = _pages(render_pdf({**content, "layout": 7}))
    annex = next(page for page in drawn7 if "Annex: the substances" in page)
    assert (
        "Annex: the substances of the library searched A substance a library does not hold"
    ) in annex
    assert (
        "Lab Raman 2026, built 2026-11-20, 16 Raman / 5 IR substances, version "
        "lib-0123456789ab: Raman, 16 substances: Amphetamine sulfate"
    ) in annex
    assert len(drawn7) == len(issued)  # moved to the next page, not a page of its own


def test_no_heading_or_lead_in_ends_a_page_and_no_row_is_split():
    """Wherever the page breaks fall (A1's condition made longer line by line moves every
    heading after it down the pages), a report of layout 7 draws each heading (an exhibit's,
    an analysis's, a custody table's, Limitations, References, Integrity, the annex's) and
    each paragraph that leads in (the key above a hit table, the References' and the annex's
    opening sentences, a library's line) on the page of its first row, and no row of a table
    across two pages; the same content laid out as layout 6 does not."""
    content = _with_places(LAYOUT_6_CASE)
    # a page holds some 70 lines of a value, which must stay on one page
    faults = {lines: _parted(_padded(content, lines)) for lines in range(64)}
    assert {lines: said for lines, said in faults.items() if said} == {}
    earlier = {lines: _parted({**_padded(content, lines), "layout": 6}) for lines in range(64)}
    assert any(earlier.values())  # the faults this fixes


def test_a_row_of_a_table_is_not_split_across_pages():
    """A row of several lines (a hand-over's place under its time, a long purpose) at the foot
    of a page went on on the next, under the headings drawn again, where it read as a row of
    its own: from layout 7 it goes over whole, its headings with it."""
    table = Block("table", headers=["When", "Purpose"], items=[["t0", "storage " * 60]])
    room = report_pdf.PAGE_H - report_pdf.TOP - report_pdf.BOTTOM
    filler = [report_pdf._Item(room - 3.5 * report_pdf.TABLE_LH, lambda fig, y0: None)]
    earlier = report_pdf._items_for(table, layout=6)
    assert len(earlier) > 4  # headings, rule, a row of several lines and the space after it
    first, second = report_pdf._paginate(filler + earlier)[:2]
    assert [item for _, item in first] == [*filler, *earlier[:3]]  # the row's first line
    assert [item for _, item in second][:3] == [*earlier[:2], earlier[3]]  # its second line
    items = report_pdf._items_for(table, layout=7)
    first, second = report_pdf._paginate(filler + items)[:2]
    assert [item for _, item in first] == filler
    assert [item for _, item in second] == items
