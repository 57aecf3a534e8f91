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
from forensic.report.layout import HAND_OVER_PLACES

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
