"""What a report of layout 6 says on page 1 and says once: a summary of what qualifies each
verdict (analyses that disagree, a seal received broken and its replacement, a modelled
reference), the seal an exhibit carries now, limitations sorted by exhibit with each sentence
that applies to several analyses said once, each reference's source once, and hashes never
broken with a mark.

Every change is made only for content of layout 6 on: a report of an earlier layout is laid out
as it was issued (tests/test_report_drawing.py pins layout 5 glyph for glyph)."""

from __future__ import annotations

import io
import re

import pytest
from custody_helpers import OPERATOR, break_seal, identification_dict, populated_store
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader
from synthetic import make_spectrum

from forensic.custody.store import utc_when
from forensic.identification import MODELLED_WARNING
from forensic.report import content as report_content
from forensic.report import issue_report, render_text
from forensic.report.layout import (
    HEX_GROUP,
    LAYOUT_VERSION,
    SAID_ONCE,
    WHOLE_HASHES,
    said_in_utc,
    wrap,
    wrap_to_width,
)
from forensic.report.pdf import check_report_pdf
from forensic.report.text import WIDTH


def _flat(text: str) -> str:
    return " ".join(text.split())


def _pages(pdf: bytes) -> list[str]:
    return [_flat(page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


def _as_layout_5(content: dict) -> dict:
    return {**content, "layout": SAID_ONCE - 1}


def test_the_layout_version_is_that_of_page_one():
    assert LAYOUT_VERSION >= SAID_ONCE == WHOLE_HASHES == 6


def _disputed_exhibit(store) -> None:
    """EX-1 of populated_store: its seal received broken and replaced by S-1200, then a second
    analysis that names another substance on a modelled reference of low confidence."""
    break_seal(
        store,
        received_by="Dr. Chloé Lab",
        purpose="confirmatory analysis",
        notes="seal torn on arrival; resealed with S-1200",
    )
    store.add_custody_event(
        "CASE-1",
        "EX-1",
        operator=OPERATOR,
        received_by="Dr. Chloé Lab",
        purpose="resealed after inspection",
        seal_intact=True,
        seal_number="S-1200",
    )
    identification = identification_dict(name="Cocaine base", modelled=True)
    identification["hits"][0].update(entry_id="cocaine-base", band_confidence="low")
    spectrum = make_spectrum(seed=3, noise=0.01).with_metadata(provenance="simulated")
    later = store.add_measurement("CASE-1", "EX-1", spectrum, operator=OPERATOR)
    store.add_result(later, identification, operator=OPERATOR)


@pytest.fixture
def disputed(tmp_path):
    """A report on one exhibit whose two analyses disagree and whose seal was broken."""
    with populated_store(tmp_path / "s", modelled=True) as store:
        _disputed_exhibit(store)
        return issue_report(
            store,
            "CASE-1",
            "EX-1",
            operator=OPERATOR,
            pdf_path=tmp_path / "r.pdf",
            text_path=tmp_path / "r.txt",
        )


def _utc(iso: str) -> str:
    """A recorded time as the pages of layout 5 on state it."""
    return utc_when(iso).removesuffix("Z") + " UTC"


def test_page_one_says_what_qualifies_the_verdicts(disputed, tmp_path):
    """Finding 2: the second verdict, the broken seal and the modelled reference were on later
    pages, and the exhibit block gave the label's seal, not the one the exhibit carries now."""
    custody = disputed.content["exhibits"][0]["custody"]
    broken, resealed = custody[-2:]
    text = (tmp_path / "r.txt").read_text()
    summary = _flat(text[text.index("\nSummary\n") : text.index("\nExhibit EX-1\n")])
    page_one = _pages(disputed.pdf)[0]
    said = [
        (
            "Analysis 1 (Raman)",
            "IDENTIFIED: Cocaine hydrochloride simulated spectrum: no "
            "evidential value; rests on a modelled reference",
        ),
        (
            "Analysis 2 (Raman)",
            "IDENTIFIED: Cocaine base simulated spectrum: no evidential "
            "value; rests on a modelled reference (band table of low confidence)",
        ),
        ("ANALYSES DISAGREE", "each states what its own spectrum showed"),
        (
            "Custody",
            f"seal SEAL-001 received BROKEN at {_utc(broken['event_at'])} (custody record "
            f"#{broken['record']}), resealed S-1200 (record #{resealed['record']})",
        ),
    ]
    for key, value in said:
        assert f"{key}: {value}" in summary
        assert f"{key} {value}" in page_one  # the PDF draws the key without a colon
    assert page_one.index("ANALYSES DISAGREE") < page_one.index("Exhibit EX-1 Description")
    # the exhibit block: the seal now, and the label's beside it
    seal = (
        f"now: S-1200, intact (custody record #{resealed['record']}, "
        f"{_utc(resealed['event_at'])}); label: SEAL-001"
    )
    assert f"Seal: {seal}" in _flat(text)
    assert f"Seal {seal}" in page_one
    # a report of layout 5 is laid out as it was issued
    earlier = render_text(_as_layout_5(disputed.content))
    assert "ANALYSES DISAGREE" not in earlier and "\nSummary\n" not in earlier
    assert "Seal number:     SEAL-001" in earlier


def test_an_exhibit_with_nothing_to_warn_of_says_so(tmp_path):
    with populated_store(tmp_path / "s") as store:
        content = issue_report(store, "CASE-1", operator=OPERATOR).content
    text = render_text(content)
    summary = _flat(text[text.index("\nSummary\n") : text.index("\nExhibit EX-1\n")])
    assert "Verdict (Raman): IDENTIFIED: Cocaine hydrochloride" in summary
    assert "simulated spectrum: no evidential value Custody: nothing to warn of" in summary
    assert "ANALYSES DISAGREE" not in summary and "rests on" not in summary  # measured refs
    assert "Seal: SEAL-001, intact (custody record #" in _flat(text)


def test_a_case_report_has_one_summary_of_its_exhibits(tmp_path):
    """The case report of layout 5 opened with a table of its exhibits: layout 6 extends that
    summary (one, with every exhibit), it adds no second one."""
    with populated_store(tmp_path / "s", modelled=True) as store:
        _disputed_exhibit(store)
        store.add_exhibit("CASE-1", "EX-2", operator=OPERATOR, description="tablets")
        content = issue_report(store, "CASE-1", operator=OPERATOR).content
    text = render_text(content)
    assert text.count("Summary of exhibits") == 1 and "Custody alerts" not in text
    summary = _flat(text[text.index("Summary of exhibits") : text.index("\nExhibit EX-1\n")])
    assert "Exhibit EX-1: white powder, zip bag" in summary and "ANALYSES DISAGREE" in summary
    assert "Exhibit EX-2: tablets Verdict: not analysed Custody: no custody record" in summary
    assert "Custody alerts" in render_text(_as_layout_5(content))  # the table of layout 5


def test_limitations_are_sorted_by_exhibit_and_say_each_sentence_once(disputed, tmp_path):
    """Finding 2 and 14: the modelled-reference and simulated sentences were repeated for each
    analysis, custody and disagreement came among them unsorted, and times ended in Z."""
    limitations = disputed.content["limitations"]
    starts = [item.split(":")[0] for item in limitations]
    custody = [i for i, item in enumerate(limitations) if "custody not continuous" in item]
    seal = next(i for i, item in enumerate(limitations) if "was broken when" in item)
    disagree = next(i for i, item in enumerate(limitations) if "do not agree" in item)
    low = next(i for i, item in enumerate(limitations) if "low confidence" in item)
    assert max([*custody, seal]) < disagree < low  # custody, disagreement, the analyses
    assert starts[low] == "EX-1, analysis 2"  # the analysis it qualifies
    (simulated,) = [item for item in limitations if "not measured from the exhibit" in item]
    assert simulated == (
        "EX-1 (analyses 1 and 2): each spectrum is simulated, not measured from the exhibit "
        "(made by an instrument simulator): these results have no evidential value."
    )
    (modelled,) = [item for item in limitations if MODELLED_WARNING in item]
    assert modelled == f"EX-1 (analyses 1 and 2): {MODELLED_WARNING}."
    assert low < limitations.index(simulated) < limitations.index(report_content.SWGDRUG_LIMITATION)
    assert not [item for item in limitations if re.search(r"\d\d:\d\dZ", item)]
    broken = disputed.content["exhibits"][0]["custody"][-2]
    assert f"at {_utc(broken['event_at'])} (custody record #" in limitations[seal]
    # each said once in the whole report, not again under its analysis
    for said in (_flat((tmp_path / "r.txt").read_text()), " ".join(_pages(disputed.pdf))):
        assert said.count(MODELLED_WARNING) == 1
        assert said.count("whose band table is rated low confidence") == 1
        assert "Warning: " not in said
        assert said.count("The warnings on this result are stated once, under Limitations") == 2


def test_each_reference_s_source_is_said_once(disputed, tmp_path):
    """Finding 14: the references' paragraph was repeated under every analysis."""
    text = _flat((tmp_path / "r.txt").read_text())
    assert "References: [" not in text
    references = text[text.index("Where each reference named") :]
    # Lidocaine is a hit of both analyses: its source is said once
    assert text.count("Raman: Lidocaine (lidocaine, measured): source not stated") == 1
    assert (
        "Raman: Cocaine base (cocaine-base, modelled, band table of low confidence)" in references
    )
    assert "Raman: Cocaine hydrochloride (cocaine-hcl, modelled): source not stated" in references
    earlier = _flat(render_text(_as_layout_5(disputed.content)))
    assert earlier.count("References: [") == 2  # as layout 5 laid it out


def _hashes(content) -> list[str]:
    """The full hex digests a report prints."""
    found = [content["content_sha256"], content["verification"]["chain_head_hash"]]
    found += [content["signature"]["key_fingerprint"], content["signature"]["public_key"]]
    for exhibit in content["exhibits"]:
        found += [analysis["raw_sha256"] for analysis in exhibit["analyses"]]
    return found


def test_a_hash_is_printed_whole_on_one_line(tmp_path):
    """Finding 4 of the brief: a hash broken with the mark ↩ must have the mark deleted to be
    copied; a long exhibit number in the plain text's key column left a hash no room."""
    item = "ITEM-0001-CONTAINER-MSCU1234567-PALLET-12-BOX-3"
    with populated_store(tmp_path / "s", item=item) as store:
        report = issue_report(
            store,
            "CASE-1",
            operator=OPERATOR,
            pdf_path=tmp_path / "r.pdf",
            text_path=tmp_path / "r.txt",
        )
    text = (tmp_path / "r.txt").read_text()
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= WIDTH
    page_lines = [
        line
        for page in PdfReader(io.BytesIO(report.pdf)).pages
        for line in page.extract_text().splitlines()
    ]
    for digest in _hashes(report.content):
        assert any(digest in line for line in lines), digest
        assert any(digest in line for line in page_lines), digest
    signature = report.content["signature"]["value"]
    for said in (lines, page_lines):
        assert any(line.endswith(signature[:64]) for line in said)
        assert any(line.strip() == signature[64:] for line in said)
    assert not re.search(r"[0-9a-f]↩", text)
    assert f"only after a multiple of {HEX_GROUP} digits" in _flat(text)
    # layout 5 broke the signature with the mark
    assert re.search(r"[0-9a-f]↩", render_text(_as_layout_5(report.content)))


@given(
    digest=st.text("0123456789abcdef", min_size=32, max_size=200),
    width=st.integers(min_value=17, max_value=120),
    before=st.sampled_from(["", "("]),
)
def test_a_hex_digest_too_wide_breaks_only_after_whole_groups_of_digits(digest, width, before):
    lines = wrap(f"{before}{digest},", width, marked=True, hashes=True)
    assert "".join(lines) == f"{before}{digest},"
    assert all(len(line) <= width for line in lines)
    assert "↩" not in "".join(lines)
    for line in lines[:-1]:  # every line but the last holds whole groups of digits
        assert len(line.removeprefix(before)) % HEX_GROUP == 0


def test_a_hex_digest_in_a_drawn_line_breaks_after_whole_groups():
    digest = "0123456789abcdef" * 4
    lines = wrap_to_width(digest, 40.0, len, marked=True, hashes=True)
    assert lines == [digest[:32], digest[32:]]
    assert wrap_to_width(digest, 40.0, len, marked=True)[0].endswith("↩")  # layout 5


def test_said_in_utc_rewrites_only_times_with_z():
    assert said_in_utc("at 2026-11-23 20:14:00Z (record #4); 2026-11-23 20:14:00.123Z") == (
        "at 2026-11-23 20:14:00 UTC (record #4); 2026-11-23 20:14:00.123 UTC"
    )
    assert said_in_utc("seal SEAL-Z, 20:14Z") == "seal SEAL-Z, 20:14Z"


def test_a_report_issued_in_layout_5_still_verifies_and_is_drawn_as_issued(tmp_path, monkeypatch):
    """No field was added to the signed content: a report of layout 5 verifies, and is laid out
    again as layout 5, by this version."""
    monkeypatch.setattr(report_content, "LAYOUT_VERSION", 5)
    with populated_store(tmp_path / "s", modelled=True) as store:
        _disputed_exhibit(store)
        report = issue_report(store, "CASE-1", operator=OPERATOR, pdf_path=tmp_path / "r.pdf")
    assert report.content["layout"] == 5
    checked, problems = check_report_pdf(report.pdf)
    assert problems == []
    assert checked["content_sha256"] == report.content["content_sha256"]
    said = " ".join(_pages(report.pdf))
    assert "ANALYSES DISAGREE" not in said and "Seal number SEAL-001" in said
    assert "References: [" in said


def _mixture(identification: dict) -> dict:
    identification["mixture"] = {
        "components": [
            {"name": "Cocaine hydrochloride", "fraction": 0.7, "entry_id": "cocaine-hcl"},
            {"name": "Levamisole", "fraction": 0.3, "entry_id": "levamisole"},
        ],
        "explained": 0.99,
        "residual": 0.1,
    }
    return identification


def test_the_hit_table_key_and_the_mixture_columns_are_explained_once(tmp_path):
    """A case report explained the hit table's numbers and the mixture fit's columns under
    every analysis; later ones say where they are explained."""
    with populated_store(tmp_path / "s", identification=_mixture(identification_dict())) as store:
        spectrum = make_spectrum(seed=3, noise=0.01).with_metadata(provenance="simulated")
        later = store.add_measurement("CASE-1", "EX-1", spectrum, operator=OPERATOR)
        store.add_result(later, _mixture(identification_dict()), operator=OPERATOR)
        report = issue_report(store, "CASE-1", operator=OPERATOR, pdf_path=tmp_path / "r.pdf")
    for said in (_flat(render_text(report.content)), " ".join(_pages(report.pdf))):
        assert said.count("Key: score: similarity to the reference") == 1
        assert "Key: as under the table of analysis 1 of exhibit EX-1." in said
        assert said.count("Score of its part: the spectrum less the other components") == 1
        assert (
            "Mixture fit: explained variance 0.990, relative residual 0.100. Its columns: as "
            "explained under analysis 1 of exhibit EX-1."
        ) in said
    earlier = _flat(render_text(_as_layout_5(report.content)))
    assert earlier.count("Key: score: similarity to the reference") == 2
    assert earlier.count("Score of its part: the spectrum less the other components") == 2
