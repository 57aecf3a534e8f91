"""Report layout 9: monospaced text laid out by the width each character takes (a table's
columns under their headings whatever the script of a name), a verdict drawn on the page of
what stands under it, each signer of custody records named once with the records they signed,
and the content hash said so that it can be computed without Python."""

from __future__ import annotations

import hashlib
import io
import json
import re

import pypdfium2
import pytest
from custody_helpers import OPERATOR, populated_store
from pypdf import PdfReader

from forensic.custody import Store
from forensic.report import issue_report, render_pdf, render_text
from forensic.report import pdf as report_pdf
from forensic.report.layout import (
    HASHED_AS_WRITTEN,
    LAYOUT_VERSION,
    SIGNERS_GROUPED,
    WIDTH_MEASURED,
    Block,
    cells,
    checking_steps,
    signers_line,
)

LI = "\u674e\u5c0f\u9f8d"  # 李小龍: three characters a terminal gives two cells each
PLACE = "\u6771\u4eac\u90fd\u6e2f\u533a\u829d\u6d66 4-16-23"  # 東京都港区芝浦 4-16-23


def _custody_in_chinese(path) -> None:
    """A store whose exhibit changes hands with officers named, and at places written, in
    Chinese characters."""
    store = populated_store(path)
    try:
        holder = OPERATOR
        for n, officer in enumerate(
            [f"{LI} {LI}", OPERATOR, f"{LI}{LI}{LI}{LI} {LI}", OPERATOR], start=1
        ):
            store.add_custody_event(
                "CASE-1",
                "EX-1",
                operator=OPERATOR,
                released_by=holder,
                received_by=officer,
                purpose=f"\u4fdd\u7ba1 storage {n} \u4fdd\u7ba1\u4fdd\u7ba1\u4fdd\u7ba1",
                seal_intact=True,
                location=PLACE,
            )
            holder = officer
    finally:
        store.close()


def _starts(pdf: bytes, words: list[str]) -> dict[str, float]:
    """Where the first glyph of each of ``words`` is drawn, in points from the page's left
    edge, by the word (the first page that holds it)."""
    document = pypdfium2.PdfDocument(pdf)
    found: dict[str, float] = {}
    try:
        for page in document:
            text = page.get_textpage()
            for word in words:
                if word in found:
                    continue
                searcher = text.search(word)
                hit = searcher.get_next()
                if hit is not None:
                    found[word] = text.get_charbox(hit[0])[0]
    finally:
        document.close()
    return found


def test_a_custody_table_with_chinese_names_keeps_every_column_under_its_heading(tmp_path):
    """A name or place in Chinese characters (drawn as boxes nearly two cells wide, DejaVu Sans
    Mono having none) was counted one cell a character: every column after it on its line
    was pushed right, a record's hash and seal out from under their headings, and, with names
    long enough, past the page's right margin. Each column now starts where its heading
    does, and no glyph leaves the page body."""
    _custody_in_chinese(tmp_path / "s")
    with Store(tmp_path / "s") as store:
        report = issue_report(store, "CASE-1", operator=OPERATOR, pdf_path=tmp_path / "r.pdf")
        hashes = [e["hash"][:12] for e in store.custody_events("CASE-1", "EX-1")]
    assert len(hashes) == 5
    starts = _starts(report.pdf, ["Record hash", *hashes])
    assert set(starts) == {"Record hash", *hashes}
    # (a glyph's own side bearing apart: a tenth of a cell)
    cell = report_pdf.drawn_width("0", report_pdf.TABLE_PT, family=report_pdf.MONO)
    assert all(abs(starts[h] - starts["Record hash"]) < cell / 10 for h in hashes), starts
    assert _glyphs_outside_the_body(tmp_path / "r.pdf") == []
    # the plain text: each column starts in the terminal's cell where its heading does
    text = render_text(report.content)
    heading = next(line for line in text.splitlines() if line.startswith("When (UTC), where"))
    column = cells(heading[: heading.index("Record hash")])
    rows = [line for line in text.splitlines() if line.split()[-1:] and line.split()[-1] in hashes]
    assert len(rows) == 5
    assert [cells(line[: line.index(line.split()[-1])]) for line in rows] == [column] * 5
    assert all(cells(line) <= 100 for line in text.splitlines())


def _glyphs_outside_the_body(path) -> list[str]:
    """The glyphs drawn past the body's left or right edge (as test_report_drawing's)."""
    left = report_pdf.LEFT * 72 - 0.05
    right = (report_pdf.PAGE_W - report_pdf.RIGHT) * 72 + 0.05
    document = pypdfium2.PdfDocument(path)
    outside = []
    try:
        for number, page in enumerate(document, start=1):
            text = page.get_textpage()
            for index in range(text.count_chars()):
                if text.get_text_range(index, 1) in ("\r", "\n"):
                    continue
                x0, _, x1, _ = text.get_charbox(index)
                if x1 > right or x0 < left:
                    outside.append(f"page {number}: {text.get_text_range(index, 1)!r} {x0:.1f}")
    finally:
        document.close()
    return outside


def test_a_value_in_chinese_characters_is_wrapped_inside_the_page_body(tmp_path):
    """A description of Chinese characters was wrapped at 70 characters, drawn nearly twice as
    wide: past the right margin, off the page."""
    store = populated_store(tmp_path / "s")
    try:
        store.add_exhibit(
            "CASE-1",
            "EX-2",
            operator=OPERATOR,
            description="\u767d\u8272\u7c89\u672b" * 20,  # 白色粉末: white powder
        )
        issue_report(store, "CASE-1", operator=OPERATOR, pdf_path=tmp_path / "r.pdf")
    finally:
        store.close()
    assert _glyphs_outside_the_body(tmp_path / "r.pdf") == []


def test_a_report_of_layout_8_is_still_laid_out_by_a_count_of_characters(tmp_path):
    """Layout 8 counted a Chinese character as one cell: a report it issued is laid out so
    again (and still verifies), its hashes pushed out from under their heading."""
    _custody_in_chinese(tmp_path / "s")
    with Store(tmp_path / "s") as store:
        content = issue_report(store, "CASE-1", operator=OPERATOR).content
        hashes = [e["hash"][:12] for e in store.custody_events("CASE-1", "EX-1")]
    assert LAYOUT_VERSION >= WIDTH_MEASURED == 9
    starts = _starts(render_pdf({**content, "layout": 8}), ["Record hash", *hashes])
    cell = report_pdf.drawn_width("0", report_pdf.TABLE_PT, family=report_pdf.MONO)
    assert max(starts[h] for h in hashes) > starts["Record hash"] + cell


def _pages_of(blocks: list[Block], layout: int) -> list[list[str]]:
    """The words each page draws of ``blocks``, laid out as ``layout`` lays them out."""
    wrapping = report_pdf._Wrapping.of({"layout": layout})
    drawn = [(block, report_pdf._items_for(block, wrapping, layout)) for block in blocks]
    report_pdf._keep_headings_with_first_rows(drawn)
    if layout >= report_pdf.VERDICT_WITH_ITS_QUALIFIERS:
        report_pdf._keep_verdicts_with_what_qualifies_them(drawn)
    owner = {id(item): block.text or block.kind for block, items in drawn for item in items}
    items = [item for _, its in drawn for item in its]
    return [[owner[id(item)] for _, item in page] for page in report_pdf._paginate(items)]


VERDICT = "INCONCLUSIVE: no substance identified"
BANNER = "SIMULATED SPECTRUM, NOT MEASURED FROM THE EXHIBIT: NO EVIDENTIAL VALUE"
WHY = (
    "Why: q-value 0.12 is above 0.05 needed to identify (score 0.492); the reference matches "
    "only 29% of the query's bands (weighted by prominence; < 50%): unexplained bands."
)


@pytest.mark.parametrize("filled", range(40, 62))
def test_a_verdict_is_drawn_on_the_page_of_what_stands_under_it(filled):
    """An inconclusive verdict stood alone at the foot of page 3, its NO EVIDENTIAL VALUE
    banner and why at the top of page 4. However far down the page it comes, it is drawn with
    them (and its heading); the method under them may start the next page."""
    blocks = [
        Block("para", " ".join(["Filler words of an earlier analysis."] * 10))
        for _ in range(filled // 3)
    ]
    blocks += [
        Block("heading", "Analysis 1 of exhibit A2"),
        Block("verdict", VERDICT),
        Block("banner", BANNER),
        Block("para", WHY),
        Block("kv", items=[("Method", "raman spectroscopy, library search")] * 3),
    ]
    pages = _pages_of(blocks, LAYOUT_VERSION)
    (page,) = [page for page in pages if VERDICT in page]
    assert {"Analysis 1 of exhibit A2", BANNER, WHY} <= set(page)


def test_a_report_of_layout_8_lets_a_verdict_end_a_page_as_it_was_issued():
    parted = []
    for filled in range(40, 62):
        blocks = [
            Block("para", " ".join(["Filler words of an earlier analysis."] * 10))
            for _ in range(filled // 3)
        ]
        blocks += [
            Block("heading", "Analysis 1 of exhibit A2"),
            Block("verdict", VERDICT),
            Block("banner", BANNER),
            Block("para", WHY),
        ]
        pages = _pages_of(blocks, 8)
        parted += [filled for page in pages if VERDICT in page and WHY not in page]
    assert parted  # the pagination of layout 8, kept for the reports it issued


def test_the_content_hash_is_computed_as_the_report_says_with_its_numbers_as_written(tmp_path):
    """ "Keys sorted, no spaces, UTF-8 as written" said nothing of numbers: jq (or JavaScript)
    writes the 785.0 of a laser's wavelength as 785, and its hash was another. The last step
    of "How to check this report" says each number is written as report.json writes it, and
    gives Python's call: done as printed, it gives the report content SHA-256."""
    store = populated_store(tmp_path / "s")
    try:
        report = issue_report(store, "CASE-1", operator=OPERATOR, pdf_path=tmp_path / "r.pdf")
    finally:
        store.close()
    said = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(report.pdf)).pages)
    said = " ".join(said.split())
    step = checking_steps(report.content)[-1]
    assert step in said.replace("- ", "-")  # pdfdetach's option may end a line
    assert "each number as report.json writes it, 785.0 staying 785.0 and 1e-05 staying" in step
    (call,) = re.findall(r"json\.dumps\(.*?ensure_ascii=False\)", step)
    attached = json.loads(_attached(report.pdf))  # as pdfdetach saves it
    d = {k: v for k, v in attached.items() if k not in ("content_sha256", "signature")}
    written = eval(call, {"json": json, "d": d})  # the call as the page prints it
    assert hashlib.sha256(written.encode("utf-8")).hexdigest() == report.content["content_sha256"]
    # numbers written otherwise, as jq writes them, give another hash: why the step says it
    assert ".0," in written
    assert HASHED_AS_WRITTEN == LAYOUT_VERSION == 9
    earlier = checking_steps({**report.content, "layout": 8})[-1]
    assert "(keys sorted, no spaces, UTF-8 as written)" in earlier


def _attached(pdf: bytes) -> bytes:
    """The report.json a PDF carries, as its bytes."""
    (data,) = PdfReader(io.BytesIO(pdf)).attachments["report.json"]
    return data


def test_the_checking_steps_of_a_report_keep_their_words_for_each_layout():
    content = {"layout": 8, "exhibits": []}
    assert checking_steps(content) == checking_steps({**content, "layout": 7})
    assert checking_steps({**content, "layout": 9}) != checking_steps(content)


BOB = "Bob Courier"


def _hand_overs_signed_in_turn(path) -> Store:
    """A store whose exhibit EX-1 changes hands 7 more times, its records signed by Ann
    Example and Bob Courier in turn (Bob's first signature registers his key, a record between
    them), and whose case gets a second exhibit's label between them."""
    store = populated_store(path)  # #4: Ann's receipt of EX-1 (#5, #6: measurement, result)
    holder = OPERATOR
    for signer, receiver in [
        (OPERATOR, BOB),  # #7
        (OPERATOR, OPERATOR),  # #8
        (OPERATOR, BOB),  # #9
        (BOB, OPERATOR),  # #10: Bob's key, #11: the hand-over
        (OPERATOR, BOB),  # #12, then #13: the label of EX-2
        (BOB, OPERATOR),  # #14
        (OPERATOR, BOB),  # #15
    ]:
        store.add_custody_event(
            "CASE-1",
            "EX-1",
            operator=signer,
            released_by=holder,
            received_by=receiver,
            purpose="storage",
            seal_intact=True,
        )
        holder = receiver
        if store.head()[0] == 12:
            store.add_exhibit("CASE-1", "EX-2", operator=OPERATOR, description="brown resin")
    return store


def test_each_signer_of_custody_records_is_named_once_with_the_records_they_signed(tmp_path):
    """Under the custody table, each record was named with its signer and key: about 18 lines
    for 32 records one person signed. Each signer and key is now named once, in the order of
    the first record they signed, with their records, consecutive ones as a range, in the
    PDF and the plain text alike."""
    store = _hand_overs_signed_in_turn(tmp_path / "s")
    try:
        records = [e["seq"] for e in store.custody_events("CASE-1", "EX-1")]
        keys = {name: next(iter(k))[:16] for name, k in store.operator_fingerprints().items()}
        report = issue_report(store, "CASE-1", "EX-1", operator=OPERATOR)
    finally:
        store.close()
    assert records == [4, 7, 8, 9, 11, 12, 14, 15]
    said = (
        "Custody records signed by (key fingerprint, first 16 hex digits): "
        f"Ann Example {keys[OPERATOR]}: #4, #7-#9, #12, #15; "
        f"Bob Courier {keys[BOB]}: #11, #14. "
        "Compare them with the fingerprints the operators published."
    )
    text = render_text(report.content)
    assert said in " ".join(text.split())
    assert " ".join(text.split()).count("Custody records signed by") == 1
    pages = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(report.pdf)).pages)
    assert said in " ".join(pages.split())


def test_a_signer_with_two_keys_is_named_with_each_and_the_records_it_signed():
    """Grouped by signer and key: a second key under one name (a key change, or someone
    registering a key under that name) still shows, each with the records it signed, in the
    order of the first record each signed, whatever the order of the table (by the time of
    each hand-over)."""
    custody = [
        {"record": 34, "signed_by": OPERATOR, "key_fingerprint": "b" * 64},
        {"record": 4, "signed_by": OPERATOR, "key_fingerprint": "a" * 64},
        {"record": 29, "signed_by": "Dr. Chlo\u00e9 Lab", "key_fingerprint": "c" * 64},
        {"record": 5, "signed_by": OPERATOR, "key_fingerprint": "a" * 64},
        {"record": 30, "signed_by": "Dr. Chlo\u00e9 Lab", "key_fingerprint": "c" * 64},
        {"record": 33, "signed_by": OPERATOR, "key_fingerprint": "b" * 64},
    ]
    assert SIGNERS_GROUPED == LAYOUT_VERSION == 9
    assert signers_line(custody) == (
        "Custody records signed by (key fingerprint, first 16 hex digits): "
        f"Ann Example {'a' * 16}: #4-#5; Dr. Chlo\u00e9 Lab {'c' * 16}: #29-#30; "
        f"Ann Example {'b' * 16}: #33-#34. "
        "Compare them with the fingerprints the operators published."
    )
    assert signers_line([{**e, "key_fingerprint": None} for e in custody]) is None


def test_a_report_of_layout_8_names_each_custody_record_with_its_signer_as_issued(tmp_path):
    store = _hand_overs_signed_in_turn(tmp_path / "s")
    try:
        key = next(iter(store.operator_fingerprints()[OPERATOR]))[:16]
        content = issue_report(store, "CASE-1", "EX-1", operator=OPERATOR).content
    finally:
        store.close()
    text = " ".join(render_text({**content, "layout": 8}).split())
    assert (
        "Custody records signed by (key fingerprint, first 16 hex digits): "
        f"#4 Ann Example {key}; #7 Ann Example {key}; #8 Ann Example {key}; "
    ) in text
    pages = PdfReader(io.BytesIO(render_pdf({**content, "layout": 8}))).pages
    assert f"#15 Ann Example {key}. Compare" in " ".join(
        " ".join(page.extract_text() for page in pages).split()
    )
