"""Reports: the PDF reads right (text extracted with pypdf), renders, and matches JSON and text."""

from __future__ import annotations

import builtins
import copy
import io
import json
import re
import shlex
import sqlite3
import textwrap
import uuid
from pathlib import Path

import numpy as np
import pypdfium2
import pytest
from click.testing import CliRunner, Result
from custody_helpers import OPERATOR, break_seal, identification_dict, populated_store
from library_helpers import SYNTHETIC, synthetic_spectrum
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from pypdf import PdfReader, PdfWriter
from pypdf.annotations import FreeText
from pypdf.generic import DictionaryObject, NameObject, NumberObject, RectangleObject
from synthetic import make_spectrum

from forensic.cli import main
from forensic.custody import Store
from forensic.custody.chain import sha256_hex
from forensic.custody.keys import load_or_create_key
from forensic.custody.store import utc_when
from forensic.errors import FormatError, Interrupted
from forensic.files import OutputError, OutputExistsError
from forensic.identification import SIMULATED_WARNING, identify
from forensic.io import read_spectrum, write_spectrum
from forensic.library import Library
from forensic.report import (
    UnverifiedChainError,
    build_report_content,
    check_report_json,
    issue_report,
    render_json,
    render_pdf,
    render_text,
    report_content_hash,
)
from forensic.report import issue as report_issue
from forensic.report import pdf as report_pdf
from forensic.report.content import (
    MODELLED_WARNING,
    custody_limitations,
    exhibit_custody_limitations,
    parse_report_json,
    stated_version,
)
from forensic.report.layout import (
    Block,
    correction_line,
    report_blocks,
    stated_change,
)
from forensic.report.pdf import (
    SignedContentRemovedError,
    check_report_pdf,
    embedded_content,
    page_texts,
    undrawable_characters,
)
from forensic.spectrum import Spectrum
from forensic.verdict import verdict_line


@pytest.fixture(scope="module")
def issued(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    mp = pytest.MonkeyPatch()
    mp.setenv("FORENSIC_CONFIG_DIR", str(folder / "config"))
    try:
        store = populated_store(folder / "s", modelled=True)
        report = issue_report(
            store,
            "CASE-1",
            "EX-1",
            operator=OPERATOR,
            pdf_path=folder / "r.pdf",
            json_path=folder / "r.json",
            text_path=folder / "r.txt",
            unit="Mobile lab 3, Drugs unit",
            location="Van 7, A1 lay-by",
        )
        pages = [page.extract_text() for page in PdfReader(folder / "r.pdf").pages]
        yield {"folder": folder, "store": store, "report": report, "pages": pages}
        store.close()
    finally:
        mp.undo()


def _issued(tmp_path, *, item=None, to="text", **populated):
    """CASE-1's report (``item`` alone if given) from a :func:`populated_store` made with
    ``populated``, issued to ``tmp_path / "r.txt"`` (or ``r.pdf``); the store is closed."""
    path = {"text": ("text_path", "r.txt"), "pdf": ("pdf_path", "r.pdf")}[to]
    store = populated_store(tmp_path / "s", **populated)
    try:
        return issue_report(
            store, "CASE-1", item, operator=OPERATOR, **{path[0]: tmp_path / path[1]}
        )
    finally:
        store.close()


def test_pdf_holds_every_required_field(issued):
    text = " ".join(" ".join(issued["pages"]).split())  # a long sentence wraps
    content = issued["report"].content
    measurement = issued["store"].measurements("CASE-1", "EX-1")[0]
    for expected in [
        "Spectroscopic screening report",
        "Mobile lab 3, Drugs unit",
        "Van 7, A1 lay-by",
        content["report_id"],
        "CASE-1",
        "EX-1",
        "white powder, zip bag",  # description
        "sealed, intact",  # condition
        "Received",
        "Analysed",
        "Issued",
        "raman spectroscopy",
        "Simulated RS232",  # instrument
        "baseline_als",  # pipeline
        "lib-0123456789ab",  # library version
        "Reference provenance",
        "IDENTIFIED: Cocaine hydrochloride",
        "0.982",
        "0.001",  # score, q-value
        "1002->1000",  # matched peaks
        "SWGDRUG",
        MODELLED_WARNING,
        "Chain of custody",
        "PC Smith",
        measurement["raw_sha256"],
        content["content_sha256"],
        "Signed by",
        content["signature"]["key_fingerprint"],
        "END OF REPORT",
    ]:
        assert expected in text, expected


def test_every_page_has_case_report_id_and_page_x_of_y(issued):
    pages = issued["pages"]
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
        assert "Case CASE-1" in page
        assert issued["report"].content["report_id"] in page
        assert "UNVERIFIED" not in page


def test_first_page_renders_to_a_non_blank_image(issued):
    document = pypdfium2.PdfDocument(issued["folder"] / "r.pdf")
    image = np.asarray(document[0].render(scale=0.5).to_pil().convert("L"), dtype=float)
    document.close()
    assert image.shape[0] > image.shape[1] > 200  # portrait A4
    dark = np.mean(image < 128)
    assert 0.005 < dark < 0.5, dark  # text on white, not blank and not black


def test_spectrum_figure_and_qr_code_are_drawn(issued):
    # The figure page carries the axis label; the QR code is an image of the content hash.
    text = "\n".join(issued["pages"])
    assert "Raman shift" in text
    assert "QR code" in text
    reader = PdfReader(issued["folder"] / "r.pdf")
    assert any(page.images for page in reader.pages)


def test_json_report_hash_and_signature_check(issued):
    data = json.loads((issued["folder"] / "r.json").read_text())
    assert check_report_json(data) == []
    assert data["content_sha256"] == report_content_hash(data)
    data["exhibits"][0]["label"]["condition"] = "seal broken"
    problems = check_report_json(data)
    assert problems and "content hash differs" in problems[0]


def test_text_report_says_the_same(issued):
    text = (issued["folder"] / "r.txt").read_text()
    assert text == render_text(issued["report"].content)
    assert "IDENTIFIED: Cocaine hydrochloride" in text
    assert issued["report"].content["content_sha256"] in text
    assert text.rstrip().endswith("*** END OF REPORT ***")


def test_the_report_is_on_record_with_its_pdf(issued):
    store = issued["store"]
    record = store.reports("CASE-1")[-1]
    assert record["pdf_sha256"] == sha256_hex((issued["folder"] / "r.pdf").read_bytes())
    assert record["content_sha256"] == issued["report"].content["content_sha256"]
    assert store.get_blob(record["pdf_sha256"]).startswith(b"%PDF")


def test_custody_verify_checks_a_report_file(issued, tmp_path):
    runner = CliRunner()
    store = str(issued["store"].db_path.parent)
    good = runner.invoke(
        main, ["custody", "verify", "--store", store, "--report", str(issued["folder"] / "r.pdf")]
    )
    assert good.exit_code == 0, good.output
    assert "is on record" in good.output
    altered = tmp_path / "altered.pdf"
    altered.write_bytes((issued["folder"] / "r.pdf").read_bytes() + b"\n%")
    bad = runner.invoke(main, ["custody", "verify", "--store", store, "--report", str(altered)])
    assert bad.exit_code == 1
    assert "not a report recorded in this store" in bad.output
    as_json = runner.invoke(
        main, ["custody", "verify", "--store", store, "--report", str(issued["folder"] / "r.json")]
    )
    assert as_json.exit_code == 0, as_json.output


def test_the_pdf_carries_its_signed_content_and_verifies_alone(issued, tmp_path):
    pdf = (issued["folder"] / "r.pdf").read_bytes()
    content = issued["report"].content
    assert embedded_content(pdf) == json.loads((issued["folder"] / "r.json").read_text())
    checked, problems = check_report_pdf(pdf)
    assert problems == [] and checked["content_sha256"] == content["content_sha256"]
    runner = CliRunner()
    good = runner.invoke(main, ["verify-report", str(issued["folder"] / "r.pdf")])
    assert good.exit_code == 0, good.output
    out = " ".join(good.output.split())
    assert "VERIFIED (its pages say what it signed)" in out and content["report_id"] in out
    assert content["signature"]["key_fingerprint"] in out
    assert "EX-1: IDENTIFIED: Cocaine hydrochloride" in out
    assert "SIMULATED SPECTRUM, NOT MEASURED FROM THE EXHIBIT" in out
    as_json = runner.invoke(main, ["verify-report", str(issued["folder"] / "r.json")])
    assert as_json.exit_code == 0 and "VERIFIED (JSON)" in as_json.output


def _guide_recipe() -> str:
    """The investigator's guide's by-hand recipe (check a report.json without the toolkit), as
    printed."""
    guide = Path(__file__).resolve().parents[1] / "docs" / "investigator.md"
    text = guide.read_text(encoding="utf-8")
    section = text[text.index("Without the toolkit, with the PDF alone") :]
    block = section[section.index("```python\n") + len("```python\n") :]
    return textwrap.dedent(block[: block.index("```")])


def _windows_open(file, mode="r", *args, encoding=None, **kwargs):
    """``open`` as on Windows, whose default text encoding is cp1252, not UTF-8."""
    if "b" not in mode and encoding is None:
        encoding = "cp1252"
    return builtins.open(file, mode, *args, encoding=encoding, **kwargs)


def test_the_pdf_says_how_to_check_it_without_the_toolkit_and_that_recipe_works(
    tmp_path, monkeypatch, capsys
):
    # a report with characters outside ASCII (and outside cp1252): the guide's recipe, run
    # as on Windows, must still find the content hash, the signature, the key and the signer
    store = populated_store(tmp_path / "s")
    report = issue_report(
        store,
        "CASE-1",
        operator=OPERATOR,
        pdf_path=tmp_path / "r.pdf",
        unit="Drogenlabor Köln (Δ9-THC)",
    )
    store.close()
    pdf = (tmp_path / "r.pdf").read_bytes()
    said = " ".join(" ".join(page_texts(pdf)).split())  # wherever its lines and pages break
    assert "save the attached report.json" in said
    assert "pdfdetach" in said and "-save 1 FILE.pdf" in said
    assert "keys sorted, no spaces" in said and "Ed25519 over its 32 bytes" in said
    assert "Its signer (name and key fingerprint) is in that JSON" in said
    assert report.content["content_sha256"] in said  # printed on the page
    (attached,) = PdfReader(io.BytesIO(pdf)).attachments["report.json"]
    assert "Δ9-THC".encode() in attached
    (tmp_path / "report.json").write_bytes(attached)
    monkeypatch.chdir(tmp_path)
    exec(_guide_recipe(), {"open": _windows_open, "__name__": "guide"})
    fingerprint = report.content["signature"]["key_fingerprint"]
    assert capsys.readouterr().out.split() == ["True", "True", fingerprint, "True"]


def _issued_before_the_signer_was_signed(content, key):
    """The report as forensic 0.2.0 issued it before it signed the signer's name: no
    ``signer`` (nor ``problems_elsewhere``, nor ``layout``: layout 1), hashed without them
    and signed with the same key."""
    earlier = copy.deepcopy(content)
    del earlier["signer"]
    del earlier["verification"]["problems_elsewhere"]
    del earlier["layout"]
    earlier["software"]["version"] = "0.2.0"
    earlier["content_sha256"] = report_content_hash(earlier)
    earlier["signature"]["value"] = key.sign(bytes.fromhex(earlier["content_sha256"]))
    return earlier


def _verify_report(tmp_path, name: str, content) -> Result:
    (tmp_path / name).write_bytes(render_pdf(content))
    return CliRunner().invoke(main, ["verify-report", str(tmp_path / name)])


def test_a_report_signed_with_another_key_under_the_operator_s_fingerprint_does_not_verify(
    issued, tmp_path
):
    # the auditor's forgery: the verdict changed, hashed again and signed with a key of one's
    # own, the operator's name and key fingerprint kept; the pages laid out again from it
    genuine = issued["report"].content
    stated = genuine["signature"]["key_fingerprint"]
    earlier = _issued_before_the_signer_was_signed(genuine, issued["store"].operator_key(OPERATOR))
    intruder = load_or_create_key("Mallory")
    for content, signed_content_too in ((genuine, True), (earlier, False)):
        forged = copy.deepcopy(content)
        forged["exhibits"][0]["analyses"][0]["identification"]["verdict"] = "no_match"
        forged["content_sha256"] = report_content_hash(forged)
        forged["signature"]["public_key"] = intruder.public_key_hex
        forged["signature"]["value"] = intruder.sign(bytes.fromhex(forged["content_sha256"]))
        problems = check_report_json(forged)
        assert problems[0] == (
            f"the key fingerprint it states, {stated}, is not that of the key that signed it: "
            f"its public key's SHA-256 is {intruder.fingerprint}"
        )
        if signed_content_too:  # the signer its signed content names is not the key's either
            assert problems[1] == (
                f"its signed content gives the signer's key fingerprint as {stated}, but the "
                f"key that signed it has {intruder.fingerprint}"
            )
        assert len(problems) == 1 + signed_content_too
        result = _verify_report(tmp_path, "forged.pdf", forged)
        assert result.exit_code == 1, result.output
        assert "NOT VERIFIED: the key fingerprint it states" in result.output
        assert "VERIFIED (" not in result.output


def test_the_signer_s_name_is_covered_by_the_signature(issued, tmp_path):
    genuine = issued["report"].content
    assert genuine["signer"] == {
        "name": OPERATOR,
        "key_fingerprint": genuine["signature"]["key_fingerprint"],
    }
    renamed = copy.deepcopy(genuine)
    renamed["signature"]["signed_by"] = "Dr Eve Expert"
    assert check_report_json(renamed) == [
        "its signature block names 'Dr Eve Expert' as the signer where its signed content "
        f"names '{OPERATOR}'"
    ]
    result = _verify_report(tmp_path, "renamed.pdf", renamed)
    assert result.exit_code == 1 and "NOT VERIFIED: its signature block names" in result.output
    renamed["signer"]["name"] = "Dr Eve Expert"  # the signed name changed too: the hash fails
    assert check_report_json(renamed)[0].startswith("content hash differs")
    good = CliRunner().invoke(main, ["verify-report", str(issued["folder"] / "r.pdf")])
    assert good.exit_code == 0 and "not covered" not in good.output


def test_a_report_issued_before_the_signer_was_signed_verifies_and_says_so(issued, tmp_path):
    key = issued["store"].operator_key(OPERATOR)
    earlier = _issued_before_the_signer_was_signed(issued["report"].content, key)
    renamed = copy.deepcopy(earlier)
    renamed["signature"]["signed_by"] = "Dr Eve Expert"  # outside what such a report signed
    for content, name in ((earlier, OPERATOR), (renamed, "Dr Eve Expert")):
        result = _verify_report(tmp_path, "earlier.pdf", content)
        assert result.exit_code == 0, result.output
        out = " ".join(result.output.split())
        said = f"by {name} (a name its signature does not cover), key fingerprint "
        assert said + key.fingerprint in out
        assert (
            f"the signer's name in this report ({name!r}) is not covered by its signature: it "
            f"was issued by a version of forensic ({earlier['software']['version']}) that did "
            "not sign the signer's name"
        ) in out
        assert "only the key fingerprint says who signed it" in out


def _signed_again(content, key):
    content = copy.deepcopy(content)
    content["content_sha256"] = report_content_hash(content)
    content["signature"]["value"] = key.sign(bytes.fromhex(content["content_sha256"]))
    return content


def test_a_signature_block_stating_another_algorithm_or_more_does_not_verify(issued, tmp_path):
    # the block is outside what is signed, but its pages print its Algorithm: the auditor's
    # 'RSA-4096 (qualified electronic signature, eIDAS)' verified, and so did any extra key
    genuine = issued["report"].content
    assert genuine["signature"]["algorithm"] == "Ed25519 over the 32 bytes of content_sha256"
    claimed = copy.deepcopy(genuine)
    claimed["signature"]["algorithm"] = "RSA-4096 (qualified electronic signature, eIDAS)"
    assert check_report_json(claimed) == [
        "its signature block states the algorithm 'RSA-4096 (qualified electronic signature, "
        "eIDAS)' (printed on its pages), but every report is signed 'Ed25519 over the 32 "
        "bytes of content_sha256'"
    ]
    result = _verify_report(tmp_path, "algorithm.pdf", claimed)
    assert result.exit_code == 1 and "NOT VERIFIED: its signature block states the" in result.output
    extra = copy.deepcopy(genuine)
    extra["signature"]["timestamp_authority"] = "Bundesdruckerei (qualified)"
    assert check_report_json(extra) == [
        "its signature block holds 'timestamp_authority', which no report's does (it holds "
        "algorithm, key_fingerprint, public_key, signed_by, value)"
    ]
    assert check_report_json(genuine) == []


def test_a_current_report_with_its_signer_taken_out_does_not_verify(issued, tmp_path):
    # the auditor's downgrade: content of this version and layout without its signed signer,
    # signed again with another key under the operator's name; and the same claiming layout 1
    # or version 0.2.0 alone. Only content that states both a version and a layout that did
    # not sign the signer may lack it.
    intruder = load_or_create_key("Mallory")
    genuine = issued["report"].content
    version, current = genuine["software"]["version"], genuine["layout"]
    issued_by = f"it was issued by forensic {version}"
    for change, layout, stated in (
        (lambda c: None, current, issued_by),
        (lambda c: c.pop("layout"), 1, issued_by),
        (
            lambda c: c["software"].update(version="0.2.0"),
            current,
            "it was issued by forensic 0.2.0",
        ),
        # a forged content whose software is no object, or states no version: said, not a crash
        (lambda c: c.update(software="x"), current, "no version of forensic that issued it"),
        (lambda c: c.update(software={}), current, "no version of forensic that issued it"),
    ):
        downgraded = copy.deepcopy(genuine)
        del downgraded["signer"]
        change(downgraded)
        downgraded["signature"].update(
            public_key=intruder.public_key_hex, key_fingerprint=intruder.fingerprint
        )
        downgraded = _signed_again(downgraded, intruder)
        assert check_report_json(downgraded) == [
            f"its signed content names no signer, but it states {stated} in layout {layout}, "
            "and only reports of layout 1 from before forensic 0.3.0 leave the signer's name "
            "unsigned: the signer was taken out and the content signed again, so the name "
            f"'{OPERATOR}' in its signature block is not what was signed"
        ]
        if layout == 1:
            as_layout_1 = downgraded
    result = _verify_report(tmp_path, "downgraded.pdf", as_layout_1)
    assert result.exit_code == 1, result.output
    assert "NOT VERIFIED: its signed content names no signer" in result.output
    (tmp_path / "forged.json").write_text(json.dumps(downgraded))  # software {}: no traceback
    result = CliRunner().invoke(main, ["verify-report", str(tmp_path / "forged.json")])
    assert result.exit_code == 1 and "no version of forensic" in result.output, result.output
    assert "did not sign the signer's name" not in result.output


def test_custody_verify_compares_a_json_report_s_signature_block_with_the_record(
    tmp_path, monkeypatch
):
    store = populated_store(tmp_path / "s")

    def as_issued_earlier(*args, **kwargs):
        content = build_report_content(*args, **kwargs)
        return _issued_before_the_signer_was_signed(content, store.operator_key(OPERATOR))

    monkeypatch.setattr(report_issue, "build_report_content", as_issued_earlier)
    report = issue_report(store, "CASE-1", operator=OPERATOR, json_path=tmp_path / "r.json")
    store.close()
    assert "signer" not in report.content
    renamed = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    renamed["signature"]["signed_by"] = "Dr Eve Expert"
    assert check_report_json(renamed) == []  # such a report did not sign its signer's name
    (tmp_path / "renamed.json").write_text(json.dumps(renamed), encoding="utf-8")
    runner = CliRunner()
    verify = ["custody", "verify", "--store", str(tmp_path / "s"), "--report"]
    result = runner.invoke(main, [*verify, str(tmp_path / "renamed.json")])
    assert result.exit_code == 1, result.output
    assert (
        f"renamed.json: its signature block is not that of report {report.content['report_id']} "
        f"on record (#{report.record['seq']}): the signer reads 'Dr Eve Expert' where the record "
        f"has '{OPERATOR}'"
    ) in " ".join(result.output.split())
    assert "is on record" not in result.output
    genuine = runner.invoke(main, [*verify, str(tmp_path / "r.json")])
    assert genuine.exit_code == 0 and "is on record" in genuine.output


def test_a_pdf_whose_signed_content_was_removed_does_not_verify(issued, tmp_path):
    def strip(writer):  # the auditor's: the attachment's name tree removed
        del writer._root_object["/Names"][NameObject("/EmbeddedFiles")]

    stripped = _tampered((issued["folder"] / "r.pdf").read_bytes(), strip)
    with pytest.raises(
        SignedContentRemovedError,
        match=r"its signed content has been removed: its pages say it carries an attached "
        r"report\.json \(issued by forensic \d",
    ):
        embedded_content(stripped)
    (tmp_path / "stripped.pdf").write_bytes(stripped)
    result = CliRunner().invoke(main, ["verify-report", str(tmp_path / "stripped.pdf")])
    assert result.exit_code == 1, result.output
    assert "stripped.pdf: NOT VERIFIED: its signed content has been removed" in result.output
    assert "NOT A REPORT" not in result.output


def test_a_pdf_whose_pages_differ_from_its_signed_content_does_not_verify(
    issued, tmp_path, monkeypatch
):
    content = issued["report"].content
    # pages laid out from altered content, carrying the genuine signed content
    altered = copy.deepcopy(content)
    altered["exhibits"][0]["label"]["description"] = "brown powder, zip bag"
    monkeypatch.setattr(report_pdf, "_attach", lambda pdf, name, data: pdf)
    pages = render_pdf(altered)
    monkeypatch.undo()
    forged = report_pdf._attach(pages, "report.json", render_json(content).encode())
    _, problems = check_report_pdf(forged)
    (problem,) = problems
    assert problem.startswith("page 1 does not say what the signed content says")
    assert "brown powder" in problem and "white powder" in problem
    # genuine pages with altered content attached: the content no longer hashes to its hash
    _, problems = check_report_pdf(report_pdf._attach(pages, "report.json", b"{}"))
    assert problems == ["not a forensic report (no format forensic-report/...)"]
    tampered = report_pdf._attach(pages, "report.json", render_json(altered).encode())
    _, problems = check_report_pdf(tampered)
    assert "content hash differs" in problems[0]
    (tmp_path / "forged.pdf").write_bytes(forged)
    result = CliRunner().invoke(main, ["verify-report", str(tmp_path / "forged.pdf")])
    assert result.exit_code == 1 and "NOT VERIFIED: page 1" in result.output


def _tampered(pdf: bytes, change) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_what_is_drawn_over_a_pdf_or_added_to_it_does_not_verify(issued):
    pdf = (issued["folder"] / "r.pdf").read_bytes()

    def overlay(writer):  # a white box over page 1 (words could be an image): text unchanged
        cover = Figure(figsize=(8.27, 11.69))
        cover.patches.append(
            Rectangle((0.1, 0.4), 0.8, 0.3, color="white", transform=cover.transFigure)
        )
        buffer = io.BytesIO()
        cover.savefig(buffer, format="pdf")
        writer.pages[0].merge_page(PdfReader(buffer).pages[0])

    def note(writer):
        writer.add_annotation(0, FreeText(text="NO MATCH", rect=(50, 550, 400, 650)))

    def attach(writer):
        writer.add_attachment("report (corrected).json", b"{}")

    for change, said in (
        (overlay, "page 1 is drawn otherwise than its signed content lays it out"),
        (note, "page 1 carries 1 annotation(s)"),
        (attach, "files attached: report (corrected).json, report.json"),
    ):
        _, problems = check_report_pdf(_tampered(pdf, change))
        assert any(said in p for p in problems), (said, problems)
    assert check_report_pdf(_tampered(pdf, lambda writer: None))[1] == []  # rewritten, unchanged


def test_a_pdf_cropped_turned_or_given_other_properties_does_not_verify(issued):
    # the same words and drawings, shown otherwise: half of page 1 (its limitations and the
    # simulated-spectrum banner) cropped away, a page turned, a script, a bookmark, an author
    pdf = (issued["folder"] / "r.pdf").read_bytes()

    def crop(writer):
        writer.pages[0][NameObject("/CropBox")] = RectangleObject([0, 420, 595, 842])

    def shrink(writer):
        writer.pages[0].mediabox = RectangleObject([0, 420, 595, 842])

    def turn_all(writer):  # inherited by every page from the page tree
        writer._root_object["/Pages"][NameObject("/Rotate")] = NumberObject(180)

    def script(writer):
        writer._root_object["/Names"][NameObject("/JavaScript")] = DictionaryObject()

    def bookmark(writer):
        writer.add_outline_item(title="RESULT: NO MATCH", page_number=0)

    def author(writer):
        writer.add_metadata({"/Author": "Someone Else"})

    for change, said in (
        (crop, "page 1 is drawn otherwise than its signed content lays it out"),
        (shrink, "page 1 is drawn otherwise than its signed content lays it out"),
        (turn_all, "page 3 is drawn otherwise than its signed content lays it out"),
        (script, "its name tree holds /JavaScript"),
        (bookmark, "its document catalog holds /Outlines"),
        (author, "its document property Author reads 'Someone Else'"),
    ):
        _, problems = check_report_pdf(_tampered(pdf, change))
        assert any(said in p for p in problems), (said, problems)


def _dated(pdf: bytes, **properties: str) -> bytes:
    return _tampered(pdf, lambda w: w.add_metadata({f"/{k}": v for k, v in properties.items()}))


def test_every_document_property_a_viewer_shows_is_the_one_the_toolkit_writes(issued):
    # the auditor's: a backdated CreationDate, a ModDate and Keywords verified; so would have
    # any Producer. A report is dated when it was issued, as its signed content says.
    pdf = (issued["folder"] / "r.pdf").read_bytes()
    issued_at = issued["report"].content["dates"]["issued"]  # 2026-11-24T00:40:25.595Z
    dated = "D:" + issued_at[:19].replace("-", "").replace(":", "").replace("T", "") + "Z"
    assert PdfReader(io.BytesIO(pdf)).metadata["/CreationDate"] == dated
    assert check_report_pdf(pdf)[1] == []
    for properties, said in (
        (
            {"CreationDate": "D:20251201120000Z"},
            "its document property CreationDate reads 'D:20251201120000Z', where the report "
            f"was issued at {utc_when(issued_at)} (its PDF is dated '{dated}')",
        ),
        (
            {"ModDate": "D:20251201120000Z"},
            "its document properties hold ModDate ('D:20251201120000Z'), which a report's never do",
        ),
        (
            {"Keywords": "verified by lab"},
            "its document properties hold Keywords ('verified by lab'), which a report's never do",
        ),
        (
            {"Producer": "Adobe Acrobat Sign (certified)"},
            "its document property Producer reads 'Adobe Acrobat Sign (certified)', where a "
            "report's is matplotlib's PDF backend ('Matplotlib pdf backend v...')",
        ),
    ):
        _, problems = check_report_pdf(_dated(pdf, **properties))
        assert problems == [said], properties


def test_a_report_dated_by_the_clock_as_earlier_versions_did_still_verifies(issued):
    # forensic 0.3.0 and earlier let matplotlib date the PDF: by SOURCE_DATE_EPOCH, or by the
    # clock when it was drawn, seconds after the issue time, in local time whose offset
    # matplotlib could misstate by the hour of daylight saving time, and with minutes written
    # in seconds (+05'1800')
    from datetime import timedelta  # noqa: PLC0415

    from forensic.custody.store import recorded_moment  # noqa: PLC0415

    key = issued["store"].operator_key(OPERATOR)
    content = copy.deepcopy(issued["report"].content)
    content["software"]["version"] = "0.3.0"
    content = _signed_again(content, key)
    pdf = render_pdf(content)
    moment = recorded_moment(content["dates"]["issued"])

    def local(after: timedelta, offset: timedelta, written: str) -> str:
        return "D:" + (moment + after + offset).strftime("%Y%m%d%H%M%S") + written

    for creation in (
        local(timedelta(seconds=3), timedelta(hours=1), "+01'00'"),
        local(timedelta(seconds=3), timedelta(hours=1), "+02'00'"),  # DST misstated
        local(timedelta(seconds=9), timedelta(hours=5, minutes=30), "+05'1800'"),
        local(timedelta(seconds=3), timedelta(hours=-5), "-05'00'"),
    ):
        assert check_report_pdf(_dated(pdf, CreationDate=creation))[1] == [], creation
    # nor where SOURCE_DATE_EPOCH set it, to any date (a genuine report said altered)
    sourced = "D:20231114221320Z"
    assert check_report_pdf(_dated(pdf, CreationDate=sourced))[1] == []
    assert "CreationDate reads" in check_report_pdf(_dated(pdf, CreationDate="yesterday"))[1][0]
    # a later version (this one) dates its PDF by its issue time: nothing else is its
    later = issued["report"].content
    assert stated_version(later) >= (0, 4, 0)
    clocked = _dated(render_pdf(later), CreationDate=creation)
    assert any("CreationDate reads" in p for p in check_report_pdf(clocked)[1])
    assert check_report_pdf(render_pdf(later))[1] == []


def test_a_signed_json_without_a_report_s_fields_does_not_verify(issued, tmp_path):
    content = copy.deepcopy(issued["report"].content)
    del content["exhibits"]
    content["content_sha256"] = report_content_hash(content)
    key = issued["store"].operator_key(OPERATOR)
    content["signature"]["value"] = key.sign(bytes.fromhex(content["content_sha256"]))
    assert check_report_json(content) == []  # hash and signature hold...
    (tmp_path / "odd.json").write_text(json.dumps(content))
    result = CliRunner().invoke(main, ["verify-report", str(tmp_path / "odd.json")])
    assert result.exit_code == 1  # ...but it is not a report a reader can be shown
    assert "NOT VERIFIED: it lacks a report's fields" in result.output


def test_verify_report_says_what_is_not_a_report(tmp_path):
    bare = tmp_path / "plain.pdf"
    figure = Figure()
    figure.savefig(bare, format="pdf")
    with pytest.raises(FormatError, match=r"no report\.json attached"):
        embedded_content(bare.read_bytes(), str(bare))
    (tmp_path / "notes.txt").write_text("hello")
    runner = CliRunner()
    for name, said in (
        ("plain.pdf", "no report.json attached"),
        ("notes.txt", "neither a PDF nor a JSON report"),
    ):
        result = runner.invoke(main, ["verify-report", str(tmp_path / name)])
        assert result.exit_code == 2, result.output
        assert f"NOT A REPORT: {tmp_path / name}: " in result.output and said in result.output
    missing = runner.invoke(main, ["verify-report", str(tmp_path / "absent.pdf")])
    assert missing.exit_code == 2 and "cannot be read" in missing.output


def test_the_evidence_store_given_to_verify_report_is_no_report_not_a_tampered_one(issued):
    """It holds every report's content and PDF, so it was called a report damaged or altered
    (exit 1): a script run over a case folder would have reported tampering."""
    store = issued["folder"] / "forensic.db"  # as SQLite keeps a report's JSON and PDF
    pdf = (issued["folder"] / "r.pdf").read_bytes()
    content = json.dumps(issued["report"].content).encode()
    store.write_bytes(b"SQLite format 3\x00" + b"\x00" * 84 + content + pdf[:-2048])
    result = CliRunner().invoke(main, ["verify-report", str(store)])
    assert result.exit_code == 2, result.output
    assert f"NOT A REPORT: {store}: neither a PDF nor a JSON report, though it holds " in (
        result.output
    )
    assert "damaged or altered" not in result.output


def _content_stream_damaged(pdf: bytes) -> bytes:
    """The PDF with bytes of page 1's compressed content stream overwritten (a bad sector)."""
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    number = page.get("/Contents").idnum
    start = pdf.index(b"stream\n", pdf.index(b"\n%d 0 obj" % number)) + len(b"stream\n")
    return pdf[: start + 40] + b"\x00" * 40 + pdf[start + 80 :]


def test_a_damaged_or_altered_report_is_not_verified_not_called_no_report(issued, tmp_path):
    # the auditor's: a byte of the attached report.json changed, the file cut short, a page's
    # content stream damaged, its first byte changed; each is a report that does not verify
    # (exit 1), not a file that is none of ours (exit 2), with what cannot be read and where
    pdf = (issued["folder"] / "r.pdf").read_bytes()
    at = pdf.index(b'"case_number"')
    damaged = {
        "flipped.pdf": pdf[:at] + b"#" + pdf[at + 1 :],
        "cut.pdf": pdf[:5000],
        "stub.pdf": b"%PDF-1.4\n1 0 obj",
        "stream.pdf": _content_stream_damaged(pdf),
        "header.pdf": b"$" + pdf[1:],
    }
    said = {
        "flipped.pdf": "NOT VERIFIED: the attached report.json is damaged or altered: it is not "
        "JSON (Expecting property name enclosed in double quotes: line ",
        "cut.pdf": "NOT VERIFIED: the PDF is damaged or altered: it is cut short (its 5000 bytes "
        "end without the %%EOF a PDF ends with)",
        "stub.pdf": "NOT VERIFIED: the PDF is damaged or altered: it is cut short",
        "stream.pdf": "NOT VERIFIED: the PDF is damaged: pypdf could read it only by recovering "
        "from: Error -3 while decompressing data",
        "header.pdf": "NOT VERIFIED: the file is damaged or altered: it carries a report's signed "
        "content, an attached report.json, the document property Creator 'forensic', a "
        "report's title, but it does not start with %PDF",
    }
    runner = CliRunner()
    for name, data in damaged.items():
        (tmp_path / name).write_bytes(data)
        result = runner.invoke(main, ["verify-report", str(tmp_path / name)])
        assert result.exit_code == 1, result.output
        assert f"{name}: {said[name]}" in " ".join(result.output.split())
        assert "NOT A REPORT" not in result.output and "VERIFIED (" not in result.output
    with pytest.raises(report_pdf.DamagedReportError, match="it is not JSON"):
        embedded_content(damaged["flipped.pdf"])


def test_reading_a_damaged_pdf_prints_nothing_of_pypdf_s_and_restores_its_logger(issued):
    import logging  # noqa: PLC0415

    heard = []

    class Heard(logging.Handler):
        def emit(self, record):
            heard.append(record.getMessage())

    logger = logging.getLogger("pypdf")
    ours = Heard()
    logger.addHandler(ours)
    try:
        pdf = _content_stream_damaged((issued["folder"] / "r.pdf").read_bytes())
        _, problems = check_report_pdf(pdf)
        assert problems[0].startswith("the PDF is damaged: pypdf could read it only by")
        assert heard == []  # kept for the verdict, not printed before it
        assert ours in logger.handlers and logger.propagate  # restored
        PdfReader(io.BytesIO(pdf)).pages[0].extract_text()  # read again, outside the check
        assert any("decompressing" in line for line in heard)
    finally:
        logger.removeHandler(ours)


def test_no_report_on_a_tampered_exhibit_unless_forced(tmp_path):
    store = populated_store(tmp_path / "s")
    store.close()
    conn = sqlite3.connect(tmp_path / "s" / "forensic.db")
    conn.execute("UPDATE custody_events SET seal_intact = 0")
    conn.commit()
    conn.close()
    store = Store(tmp_path / "s")
    with pytest.raises(UnverifiedChainError, match=r"does not verify.*custody_events record #4"):
        issue_report(store, "CASE-1", "EX-1", operator=OPERATOR, pdf_path=tmp_path / "r.pdf")
    assert not (tmp_path / "r.pdf").exists()
    assert store.reports("CASE-1") == []
    forced = issue_report(
        store, "CASE-1", "EX-1", operator=OPERATOR, pdf_path=tmp_path / "r.pdf", unverified=True
    )
    pages = [page.extract_text() for page in PdfReader(tmp_path / "r.pdf").pages]
    for page in pages:
        assert "UNVERIFIED CHAIN OF CUSTODY" in page
    assert forced.content["verification"]["forced"] is True
    assert "custody_events record #4" in forced.content["verification"]["problems"][0]


def test_a_forced_report_names_among_its_limitations_the_records_that_do_not_verify(tmp_path):
    """The custody table of a forced report shows a record as the store holds it now, its
    altered purpose among it, with nothing to tell it from the others; the limitation said
    only "the chain of custody of this exhibit did not verify; report forced". It names the
    record, and says that what is shown of it may not be what was signed."""
    populated_store(tmp_path / "s").close()
    conn = sqlite3.connect(tmp_path / "s" / "forensic.db")
    conn.execute("UPDATE custody_events SET purpose = 'storage'")
    conn.commit()
    conn.close()
    with Store(tmp_path / "s") as store:
        (event,) = store.custody_events("CASE-1", "EX-1")
        forced = issue_report(store, "CASE-1", operator=OPERATOR, unverified=True)
    (shown,) = forced.content["exhibits"][0]["custody"]
    assert shown["purpose"] == "storage"  # as the store holds it now, not as signed
    assert forced.content["limitations"][0] == (
        f"UNVERIFIED: custody record #{event['seq']} of what this report states does not "
        "verify (what differs is named under Integrity): what this report shows of it is what "
        "the evidence store holds now, which may not be what was signed. The report was issued "
        "all the same (--unverified)."
    )
    assert f"custody_events record #{event['seq']}" in forced.content["verification"]["problems"][0]
    text = render_text(forced.content)
    assert "Limitations\n-----------\n- UNVERIFIED: custody record #" in text


def test_existing_output_is_not_overwritten_and_nothing_is_recorded(tmp_path):
    store = populated_store(tmp_path / "s")
    (tmp_path / "r.pdf").write_bytes(b"keep me")
    with pytest.raises(OutputExistsError) as refused:
        issue_report(store, "CASE-1", operator=OPERATOR, pdf_path=tmp_path / "r.pdf")
    # a Python caller is told its arguments, pdf_path= and overwrite=True; the command line
    # says --out and --force
    assert str(refused.value) == (
        f"{tmp_path / 'r.pdf'}: already exists; nothing was recorded, and the file is left as "
        f"it is: give another name (pdf_path='{tmp_path / 'r-2.pdf'}'), or add overwrite=True "
        "to replace it"
    )
    assert (tmp_path / "r.pdf").read_bytes() == b"keep me"
    assert store.reports("CASE-1") == []


def test_cli_report_writes_pdf_json_text(tmp_path):
    populated_store(tmp_path / "s").close()
    runner = CliRunner()
    args = [
        "report",
        "CASE-1",
        "--out",
        str(tmp_path / "r.pdf"),
        "--json",
        str(tmp_path / "r.json"),
        "--text",
        str(tmp_path / "r.txt"),
        "--store",
        str(tmp_path / "s"),
        "--operator",
        OPERATOR,
    ]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
    again = runner.invoke(main, args)
    assert again.exit_code == 2
    assert "already exists" in again.output
    forced = runner.invoke(main, [*args, "--force"])
    assert forced.exit_code == 0, forced.output


def test_a_report_file_not_written_once_recorded_says_why_what_is_recorded_and_what_to_do(
    tmp_path, monkeypatch
):
    """It said "error: report FR-... is recorded (...), but ...: writing failed (...); written:
    ...; issue it again with ..." on one line: now each on a line of its own. It exits 4, as a
    scan whose report was not written: recorded, to be finished as told (it exited 2, whose
    row in the table of exit codes of CONTRIBUTING.md says that nothing was recorded)."""
    populated_store(tmp_path / "s").close()
    pdf, as_json = tmp_path / "r.pdf", tmp_path / "r.json"
    args = ["report", "CASE-1", "--out", str(pdf), "--json", str(as_json)]
    args += ["--store", str(tmp_path / "s"), "--operator", OPERATOR]
    write = report_issue.atomic_write_bytes

    def disk_full(path, data, **kwargs):
        if str(path).endswith(".json"):
            raise OutputError(f"{path}: writing failed (No space left on device)")
        return write(path, data, **kwargs)

    monkeypatch.setattr(report_issue, "atomic_write_bytes", disk_full)
    result = CliRunner().invoke(main, args)
    with Store(tmp_path / "s") as store:
        (record,) = store.reports("CASE-1")
    again = shlex.join(
        [
            "forensic",
            *args[:-4],
            "--store",
            str(tmp_path / "s" / "forensic.db"),
            "--operator",
            OPERATOR,
        ]
    )
    assert (result.exit_code, result.stderr.splitlines()) == (
        4,
        [
            f"error: {as_json}: writing failed (No space left on device)",
            f"report {record['report_id']} is recorded (record #{record['seq']}, its PDF kept in "
            f"the store); written: {pdf}",
            f"to do: issue it again with `{again}` (a new report, with its own id; add --force "
            "to replace the files written)",
        ],
    )
    assert pdf.exists() and not as_json.exists()


def test_a_report_whose_folder_went_away_once_it_was_recorded_exits_4_not_2(tmp_path, monkeypatch):
    """The folder was there when the files were checked and gone when they were written (a
    USB stick pulled out while the pages were drawn). The folder was made anew, on the laptop
    where the stick was mounted, and the PDF said written there. It is not: the report is on
    record, so the exit status is 4 ("recorded, finish it as the message says"), not 2
    ("nothing is recorded")."""
    populated_store(tmp_path / "s").close()
    stick = tmp_path / "stick"
    stick.mkdir()
    pdf = stick / "r.pdf"
    render = report_issue.render_pdf

    def pulled_out(content):
        drawn = render(content)
        stick.rmdir()
        return drawn

    monkeypatch.setattr(report_issue, "render_pdf", pulled_out)
    args = ["report", "CASE-1", "--out", str(pdf), "--store", str(tmp_path / "s")]
    result = CliRunner().invoke(main, [*args, "--operator", OPERATOR])
    with Store(tmp_path / "s") as store:
        (record,) = store.reports("CASE-1")
    error, recorded, to_do = result.stderr.splitlines()
    assert result.exit_code == 4
    assert error == (
        f"error: {pdf}: the folder {stick} does not exist (a mistyped path, or a USB stick not "
        "mounted?): give a folder that exists, or create it first"
    )
    assert recorded == (
        f"report {record['report_id']} is recorded (record #{record['seq']}, its PDF kept in "
        "the store)"
    )
    assert to_do.startswith("to do: issue it again with `forensic report CASE-1 --out ")
    assert not stick.exists()


def test_a_report_stopped_says_whether_it_is_recorded_and_which_files_are_written(
    tmp_path, monkeypatch
):
    populated_store(tmp_path / "s").close()
    pdf, as_json = tmp_path / "r.pdf", tmp_path / "r.json"
    args = ["report", "CASE-1", "--out", str(pdf), "--json", str(as_json)]
    args += ["--store", str(tmp_path / "s"), "--operator", OPERATOR]

    def ctrl_c(*args, **kwargs):
        raise KeyboardInterrupt

    # stopped while the pages are laid out: nothing recorded, nothing written
    render = report_issue.render_pdf
    monkeypatch.setattr(report_issue, "render_pdf", ctrl_c)
    result = CliRunner().invoke(main, args)
    assert (result.exit_code, result.output.splitlines()) == (
        130,
        [
            "error: interrupted",
            "no report was recorded and no file written",
            "to do: run the same command again",
        ],
    )
    assert not pdf.exists() and not as_json.exists()
    # (not monkeypatch.undo(): the keys stay in this test's config folder)
    monkeypatch.setattr(report_issue, "render_pdf", render)

    # stopped after the PDF is written, before the JSON: on record, one file written
    write = report_issue.atomic_write_bytes

    def write_pdf_only(path, data, **kwargs):
        if str(path).endswith(".json"):
            raise KeyboardInterrupt
        return write(path, data, **kwargs)

    monkeypatch.setattr(report_issue, "atomic_write_bytes", write_pdf_only)
    result = CliRunner().invoke(main, args)
    with Store(tmp_path / "s") as store:
        (record,) = store.reports("CASE-1")
    assert result.exit_code == 130
    stopped, recorded, to_do = result.output.splitlines()
    assert (stopped, recorded) == (
        "error: interrupted",
        f"report {record['report_id']} is recorded (record #{record['seq']}, its PDF kept in the "
        f"store); written: {pdf}; not written: {as_json}",
    )
    assert pdf.exists() and not as_json.exists()
    # the command it gives, pasted, issues it again from that store, signed by that operator
    (command,) = re.fullmatch(r"to do: issue it again with `([^`]+)` .*", to_do).groups()
    assert shlex.split(command) == [
        "forensic",
        *args[:-4],
        "--store",
        str(tmp_path / "s" / "forensic.db"),
        "--operator",
        OPERATOR,
    ]
    assert to_do.endswith(
        "` (a new report, with its own id; add --force to replace the files written)"
    )
    monkeypatch.setattr(report_issue, "atomic_write_bytes", write)
    again = CliRunner(env={"FORENSIC_OPERATOR": None, "FORENSIC_STORE": str(tmp_path / "other")})
    result = again.invoke(main, [*shlex.split(command)[1:], "--force"])
    assert result.exit_code == 0, result.output
    with Store(tmp_path / "s") as store:
        assert [r["issued_by"] for r in store.reports("CASE-1")] == [OPERATOR, OPERATOR]
    assert as_json.exists()


@pytest.mark.parametrize("other", ["--json", "--text"])
def test_one_file_given_for_two_outputs_of_a_report_is_refused_before_it_is_recorded(
    tmp_path, monkeypatch, other
):
    """With --force the JSON (or text) was written over the PDF, and the screen said the PDF
    was written; without, the report was recorded and then refused."""
    populated_store(tmp_path / "s").close()
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(b"%PDF- an earlier report")
    monkeypatch.chdir(tmp_path)
    common = ["--store", str(tmp_path / "s"), "--operator", OPERATOR]
    for force in ([], ["--force"]):
        # the same file, once as a path from here
        args = ["report", "CASE-1", "--out", str(pdf), other, "a.pdf", *common, *force]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2, result.output
        assert result.output == (
            f"error: --out and {other} both name {pdf}: one would be written over the other; "
            "give each its own file\n"
        )
    assert pdf.read_bytes() == b"%PDF- an earlier report"
    with Store(tmp_path / "s") as store:
        assert store.reports("CASE-1") == []


def test_a_python_caller_of_issue_report_is_told_its_arguments_not_the_options(tmp_path):
    """issue_report told a Python caller the options of forensic report (``--out A1.txt:
    --out writes the report as a PDF``, ``give --json another file``), which it cannot
    give: it is told its arguments (pdf_path=, json_path=), the command line the options."""
    store = populated_store(tmp_path / "s")
    db = tmp_path / "s" / "forensic.db"
    head = store.head()
    with pytest.raises(OutputError) as refused:
        issue_report(store, "CASE-1", operator=OPERATOR, pdf_path=tmp_path / "A1.txt")
    assert str(refused.value) == (
        f"pdf_path='{tmp_path / 'A1.txt'}': pdf_path=... writes the report as a PDF, which a "
        "name ending in .txt would hide (text_path=... writes it as plain text): give "
        f"pdf_path='{tmp_path / 'A1.pdf'}', or text_path='{tmp_path / 'A1.txt'}'"
    )
    with pytest.raises(OutputError) as refused:
        issue_report(store, "CASE-1", operator=OPERATOR, pdf_path=tmp_path / "A2b")
    assert str(refused.value) == (
        f"pdf_path='{tmp_path / 'A2b'}': pdf_path=... writes the report as a PDF, and a PDF's "
        f"name ends in .pdf (a laptop opens it by that): give pdf_path='{tmp_path / 'A2b'}.pdf'; "
        "nothing was recorded"
    )
    with pytest.raises(OutputError) as refused:
        issue_report(
            store,
            "CASE-1",
            operator=OPERATOR,
            pdf_path=tmp_path / "a.pdf",
            json_path=tmp_path / "a.pdf",
        )
    assert str(refused.value) == (
        f"pdf_path=... and json_path=... both name {tmp_path / 'a.pdf'}: one would be written "
        "over the other; give each its own file"
    )
    with pytest.raises(OutputError) as refused:
        issue_report(
            store,
            "CASE-1",
            operator=OPERATOR,
            pdf_path=tmp_path / "r.pdf",
            text_path=db,
            overwrite=True,
        )
    assert str(refused.value) == (
        f"text_path='{db}' is the evidence store {db}: an output written there would destroy "
        "it; give text_path=... another file (nothing was written)"
    )
    assert store.head() == head
    assert store.reports("CASE-1") == []
    store.close()
    before = db.read_bytes()
    # the command line, the same refusals: its options
    common = ["--store", str(db), "--operator", OPERATOR]
    args = ["report", "CASE-1", "--out", str(tmp_path / "A1.txt"), *common]
    said = CliRunner().invoke(main, args)
    assert (said.exit_code, said.output) == (
        2,
        f"error: --out {tmp_path / 'A1.txt'}: --out writes the report as a PDF, which a name "
        "ending in .txt would hide (--text writes it as plain text): give --out "
        f"{tmp_path / 'A1.pdf'}, or --text {tmp_path / 'A1.txt'}\n",
    )
    spaced = tmp_path / "USB stick" / "A1.txt"  # said as a shell reads it: pasted, it runs
    said = CliRunner().invoke(main, ["report", "CASE-1", "--out", str(spaced), *common])
    assert said.output == (
        f"error: --out '{spaced}': --out writes the report as a PDF, which a name ending in "
        f".txt would hide (--text writes it as plain text): give --out "
        f"'{spaced.with_suffix('.pdf')}', or --text '{spaced}'\n"
    )
    assert db.read_bytes() == before


def test_a_python_caller_is_told_to_add_overwrite_to_issue_a_report_again(tmp_path, monkeypatch):
    """A report recorded and not all written told a Python caller to "add --force to replace
    the files written"; it is told its argument, overwrite=True (the command line, as
    before, --force: test_a_report_file_not_written_once_recorded_says_why_...)."""
    store = populated_store(tmp_path / "s")
    pdf, as_json = tmp_path / "r.pdf", tmp_path / "r.json"
    write = report_issue.atomic_write_bytes

    def disk_full(path, data, **kwargs):
        if str(path).endswith(".json"):
            raise OutputError(f"{path}: writing failed (No space left on device)")
        return write(path, data, **kwargs)

    def ctrl_c(path, data, **kwargs):
        if str(path).endswith(".json"):
            raise KeyboardInterrupt
        return write(path, data, **kwargs)

    again = shlex.join(
        [
            *("forensic", "report", "CASE-1", "--out", str(pdf), "--json", str(as_json)),
            *("--store", str(tmp_path / "s" / "forensic.db"), "--operator", OPERATOR),
        ]
    )
    told = (
        f"issue it again with `{again}` (a new report, with its own id; add overwrite=True to "
        "replace the files written)"
    )
    for fails, error in ((disk_full, report_issue.ReportNotWrittenError), (ctrl_c, Interrupted)):
        pdf.unlink(missing_ok=True)
        monkeypatch.setattr(report_issue, "atomic_write_bytes", fails)
        with pytest.raises(error) as stopped:
            issue_report(store, "CASE-1", operator=OPERATOR, pdf_path=pdf, json_path=as_json)
        assert stopped.value.advice == told
        assert pdf.exists() and not as_json.exists()
    # told so, the call issues it again
    monkeypatch.setattr(report_issue, "atomic_write_bytes", write)
    issued = issue_report(
        store, "CASE-1", operator=OPERATOR, pdf_path=pdf, json_path=as_json, overwrite=True
    )
    assert issued.paths == (pdf, as_json)
    assert len(store.reports("CASE-1")) == 3
    store.close()


@pytest.mark.parametrize("option", ["--out", "--json", "--text"])
def test_a_report_is_never_written_over_the_store_it_is_issued_from(tmp_path, option):
    """`--force` replaces report files: given the store's own file, it replaced the records."""
    populated_store(tmp_path / "s").close()
    db = tmp_path / "s" / "forensic.db"
    before = db.read_bytes()
    outputs = {"--out": str(tmp_path / "r.pdf"), option: str(db)}
    args = ["report", "CASE-1", *(x for pair in outputs.items() for x in pair)]
    result = CliRunner().invoke(
        main, [*args, "--store", str(db), "--operator", OPERATOR, "--force"]
    )
    assert result.exit_code == 2, result.output
    assert result.output == (
        f"error: {option} {db} is the evidence store {db}: an output written there would "
        f"destroy it; give {option} another file (nothing was written)\n"
    )
    assert db.read_bytes() == before
    with Store(db) as store:
        assert store.reports("CASE-1") == []


def test_a_report_or_a_bundle_in_a_folder_that_does_not_exist_is_refused(tmp_path):
    populated_store(tmp_path / "s").close()
    common = ["--store", str(tmp_path / "s"), "--operator", OPERATOR]
    stick = tmp_path / "usb-stik"
    for args in (
        ["report", "CASE-1", "--out", str(stick / "A1.pdf")],
        ["bundle", "export", "CASE-1", "--out", str(stick / "CASE-1.zip")],
    ):
        result = CliRunner().invoke(main, [*args, *common])
        assert result.exit_code == 2, result.output
        assert f"the folder {stick} does not exist (a mistyped path, or a USB stick" in (
            result.output
        )
    assert not stick.exists()
    with Store(tmp_path / "s") as store:
        assert store.reports("CASE-1") == []
    result = CliRunner().invoke(
        main, ["report", "CASE-1", "--out", str(tmp_path / "A1.txt"), *common]
    )
    assert result.exit_code == 2
    assert "--out writes the report as a PDF, which a name ending in .txt would hide" in (
        result.output
    )
    # the audit's --report out/A2b: a PDF named without .pdf opens as nothing
    result = CliRunner().invoke(main, ["report", "CASE-1", "--out", str(tmp_path / "A2b"), *common])
    assert result.exit_code == 2
    # the folder it was given in kept: a technician who typed A2b.pdf would write elsewhere
    said = f"give --out {tmp_path / 'A2b'}.pdf; nothing was recorded"
    assert result.output.splitlines()[-1].endswith(said)
    assert not (tmp_path / "A2b").exists() and not (tmp_path / "A2b.pdf").exists()
    with Store(tmp_path / "s") as store:
        assert store.reports("CASE-1") == []


def test_a_report_file_named_as_another_kind_is_said_so_before_that_it_exists(tmp_path):
    # --out A1.txt over an A1.txt already there said "already exists ... (use --force to
    # replace it)"; with --force, that --out writes a PDF: the name is said first
    populated_store(tmp_path / "s").close()
    (tmp_path / "A1.txt").write_text("an earlier text report")
    common = ["--store", str(tmp_path / "s"), "--operator", OPERATOR]
    for force in ([], ["--force"]):
        result = CliRunner().invoke(
            main, ["report", "CASE-1", "--out", str(tmp_path / "A1.txt"), *common, *force]
        )
        assert result.exit_code == 2, result.output
        assert result.output.startswith(
            f"error: --out {tmp_path / 'A1.txt'}: --out writes the report as a PDF, which a "
            "name ending in .txt would hide (--text writes it as plain text)"
        ), result.output
    assert (tmp_path / "A1.txt").read_text() == "an earlier text report"
    with Store(tmp_path / "s") as store:
        assert store.reports("CASE-1") == []


def test_cli_report_on_a_tampered_store_exits_non_zero(tmp_path):
    populated_store(tmp_path / "s").close()
    conn = sqlite3.connect(tmp_path / "s" / "forensic.db")
    conn.execute("UPDATE results SET verdict = 'no_match'")
    conn.commit()
    conn.close()
    result = CliRunner().invoke(
        main,
        [
            "report",
            "CASE-1",
            "--out",
            str(tmp_path / "r.pdf"),
            "--store",
            str(tmp_path / "s"),
            "--operator",
            OPERATOR,
        ],
    )
    assert result.exit_code == 3
    assert "results record #6" in result.output
    assert not (tmp_path / "r.pdf").exists()


def _exhibit_edited(tmp_path):
    """A store whose exhibit EX-1 record was edited outside forensic (its chain fails)."""
    populated_store(tmp_path / "s").close()
    conn = sqlite3.connect(tmp_path / "s" / "forensic.db")
    conn.execute("UPDATE exhibits SET description = 'edited' WHERE item_number = 'EX-1'")
    conn.commit()
    conn.close()
    return ["--store", str(tmp_path / "s"), "--operator", OPERATOR]


def test_force_replaces_files_and_never_issues_a_report_on_a_chain_that_does_not_verify(
    tmp_path,
):
    """The audit: with a file there, the refusal said "already exists ... (use --force)", and
    --force then issued an UNVERIFIED report on the tampered chain, exit 0."""
    common = _exhibit_edited(tmp_path)
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(b"%PDF- an earlier report")
    args = ["report", "CASE-1", "EX-1", "--out", str(pdf), *common]
    for force in ([], ["--force"]):
        refused = CliRunner().invoke(main, [*args, *force])
        assert refused.exit_code == 3, refused.output
        # the chain is said, not the file: the file's --force would not have helped
        assert "does not verify (first bad record: exhibits record #3" in refused.output
        assert "no report issued, nothing was recorded (--unverified issues one" in (refused.output)
        assert "already exists" not in refused.output
        assert pdf.read_bytes() == b"%PDF- an earlier report"
    with Store(tmp_path / "s") as store:
        assert store.reports("CASE-1") == []
    # --unverified without --force: the chain allows it now, the file there is refused
    kept = CliRunner().invoke(main, [*args, "--unverified"])
    assert kept.exit_code == 2 and "already exists" in kept.output, kept.output
    # both asked for: issued, marked, and the exit status says the chain did not verify
    issued = CliRunner().invoke(main, [*args, "--unverified", "--force"])
    assert issued.exit_code == 3, issued.output
    assert "WARNING: the custody chain does not verify (first bad record: exhibits record #3" in (
        issued.stderr
    )
    assert "the report is issued marked UNVERIFIED on every page (--unverified)" in issued.stderr
    with Store(tmp_path / "s") as store:
        (record,) = store.reports("CASE-1")
    assert record["forced"] == 1 and f"report {record['report_id']}" in issued.stdout
    for page in page_texts(pdf.read_bytes()):
        assert "UNVERIFIED CHAIN OF CUSTODY" in page


def test_a_report_on_a_store_that_verifies_is_not_changed_by_unverified(tmp_path):
    populated_store(tmp_path / "s").close()
    common = ["--store", str(tmp_path / "s"), "--operator", OPERATOR]
    done = CliRunner().invoke(
        main, ["report", "CASE-1", "--out", str(tmp_path / "r.pdf"), "--unverified", *common]
    )
    assert done.exit_code == 0, done.output
    with Store(tmp_path / "s") as store:
        (record,) = store.reports("CASE-1")
    assert record["forced"] == 0 and "UNVERIFIED" not in done.output


def test_an_existing_report_file_is_refused_saying_nothing_was_recorded_and_a_free_name(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    populated_store(tmp_path / "s").close()
    common = ["--store", str(tmp_path / "s"), "--operator", OPERATOR]
    (tmp_path / "A1.pdf").write_bytes(b"%PDF- an earlier report")
    (tmp_path / "A1-2.pdf").write_bytes(b"%PDF- another")
    (tmp_path / "A1.json").write_text("{}")
    # signed by someone who has signed nothing here: not even their key is recorded
    args = ["report", "CASE-1", "--out", str(tmp_path / "A1.pdf"), *common, "--operator", "Bo New"]
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 2
    assert refused.output == (
        f"error: {tmp_path / 'A1.pdf'}: already exists; nothing was recorded, and the file is "
        f"left as it is: give another name (--out {tmp_path / 'A1-3.pdf'}), or add --force to "
        "replace it\n"
    )
    refused = CliRunner().invoke(
        main, ["report", "CASE-1", "--out", str(tmp_path / "B.pdf"), "--json", "A1.json", *common]
    )
    assert refused.exit_code == 2 and "A1.json: already exists; nothing was" in refused.output
    assert "give another name (--json A1-2.json)" in refused.output
    assert not (tmp_path / "B.pdf").exists()
    with Store(tmp_path / "s") as store:
        assert store.reports("CASE-1") == []
        assert "Bo New" not in store.operator_fingerprints()


@pytest.mark.parametrize(
    ("taken", "offered"),
    [
        (["exhibit-12.pdf"], "exhibit-12-2.pdf"),  # not exhibit-13.pdf, another exhibit's name
        (["report-2026.pdf"], "report-2026-2.pdf"),  # not a year on
        (["report-2026.pdf", "report-2026-2.pdf"], "report-2026-3.pdf"),
        (["A1.pdf", "A1-2.pdf"], "A1-3.pdf"),  # A1-2.pdf is the counter's: counted on
    ],
)
def test_a_refused_report_name_is_offered_its_own_name_numbered(
    tmp_path, monkeypatch, taken, offered
):
    monkeypatch.chdir(tmp_path)
    populated_store(tmp_path / "s").close()
    for name in taken:
        (tmp_path / name).write_bytes(b"%PDF- kept")
    args = ["report", "CASE-1", "--out", taken[-1], "--store", str(tmp_path / "s")]
    refused = CliRunner().invoke(main, [*args, "--operator", OPERATOR])
    assert refused.exit_code == 2
    assert f"give another name (--out {offered}), or add --force" in refused.output
    assert all((tmp_path / name).read_bytes() == b"%PDF- kept" for name in taken)


def test_a_report_id_ending_in_digits_is_kept_under_its_own_id(tmp_path, monkeypatch):
    """A report id's random part may be all digits (FR-20261125-6076699285): its keep-name,
    taken, was treated as counted and raised to another report's id (...-6076699286.pdf)."""
    drawn = iter(range(1, 100))
    monkeypatch.setattr(
        "forensic.report.content.uuid.uuid4",
        lambda: uuid.UUID(hex=f"6076699285{next(drawn):022d}"),
    )
    populated_store(tmp_path / "s").close()
    common = ["--store", str(tmp_path / "s"), "--operator", OPERATOR]
    pdf = tmp_path / "A1.pdf"
    args = ["report", "CASE-1", "--out", str(pdf), *common]
    assert CliRunner().invoke(main, args).exit_code == 0
    first = pdf.read_bytes()
    with Store(tmp_path / "s") as store:
        (earlier,) = store.reports("CASE-1")
    assert earlier["report_id"].endswith("-6076699285")
    taken = tmp_path / f"A1.{earlier['report_id']}.pdf"
    taken.write_bytes(b"%PDF- not that report")
    replaced = CliRunner().invoke(main, [*args, "--force"])
    assert replaced.exit_code == 0, replaced.output
    kept = tmp_path / f"A1.{earlier['report_id']}-2.pdf"
    assert kept.read_bytes() == first
    assert replaced.stdout.startswith(
        f"the PDF of report {earlier['report_id']} that was at {pdf} is kept as {kept}\n"
    )
    assert sorted(path.name for path in tmp_path.glob("A1*.pdf")) == sorted(
        ["A1.pdf", taken.name, kept.name]
    )


def test_force_keeps_the_pdf_of_a_report_on_record_beside_it(tmp_path):
    """With --force, the PDF of report FR-... already issued was written over, and existed
    nowhere any more (outside the store)."""
    populated_store(tmp_path / "s").close()
    common = ["--store", str(tmp_path / "s"), "--operator", OPERATOR]
    pdf = tmp_path / "A1.pdf"
    args = ["report", "CASE-1", "--out", str(pdf), *common]
    assert CliRunner().invoke(main, args).exit_code == 0
    first = pdf.read_bytes()
    with Store(tmp_path / "s") as store:
        (earlier,) = store.reports("CASE-1")
    taken = tmp_path / f"A1.{earlier['report_id']}.pdf"  # its name, taken by another file
    taken.write_bytes(b"%PDF- not that report")
    replaced = CliRunner().invoke(main, [*args, "--force"])
    assert replaced.exit_code == 0, replaced.output
    with Store(tmp_path / "s") as store:
        earlier, later = store.reports("CASE-1")
    kept = tmp_path / f"A1.{earlier['report_id']}-2.pdf"
    assert kept.read_bytes() == first  # named by the id printed on its pages
    assert taken.read_bytes() == b"%PDF- not that report"
    taken.unlink()
    assert sha256_hex(pdf.read_bytes()) == later["pdf_sha256"]
    assert replaced.stdout.startswith(
        f"the PDF of report {earlier['report_id']} that was at {pdf} is kept as {kept}\n"
    )
    # a file that is no report on record is replaced, as --force says
    pdf.write_bytes(b"%PDF- a draft")
    again = CliRunner().invoke(main, [*args, "--force"])
    assert again.exit_code == 0 and "is kept as" not in again.output, again.output
    assert sorted(path.name for path in tmp_path.glob("A1*.pdf")) == sorted(["A1.pdf", kept.name])


def _kept_before_a_stop(tmp_path, monkeypatch, *, in_place):
    """Issue a report of CASE-1 to A1.pdf, then again with --force, stopped by Ctrl-C while
    the first report's PDF is kept: once the kept file is in place (``in_place``; not yet
    noted), or before. The stopped command's result, the first report's record and PDF, and
    where it is kept."""
    populated_store(tmp_path / "s").close()
    pdf = tmp_path / "A1.pdf"
    args = ["report", "CASE-1", "--out", str(pdf), "--store", str(tmp_path / "s")]
    args += ["--operator", OPERATOR]
    assert CliRunner().invoke(main, args).exit_code == 0
    with Store(tmp_path / "s") as store:
        (earlier,) = store.reports("CASE-1")
    kept = tmp_path / f"A1.{earlier['report_id']}.pdf"
    write = report_issue.atomic_write_bytes

    def ctrl_c_as_it_is_kept(path, data, **kwargs):
        if Path(path) == kept and not in_place:
            raise KeyboardInterrupt
        written = write(path, data, **kwargs)
        if Path(path) == kept:
            raise KeyboardInterrupt
        return written

    monkeypatch.setattr(report_issue, "atomic_write_bytes", ctrl_c_as_it_is_kept)
    first = pdf.read_bytes()
    stopped = CliRunner().invoke(main, [*args, "--force"])
    monkeypatch.setattr(report_issue, "atomic_write_bytes", write)
    return stopped, earlier, first, kept


def test_a_stop_once_a_report_s_pdf_is_kept_says_where_it_is_kept(tmp_path, monkeypatch):
    """Ctrl-C between keeping the PDF of the report at --out (--force) and noting it: the
    stop said nothing of the file kept beside it, a copy of a report nobody was told of."""
    stopped, earlier, first, kept = _kept_before_a_stop(tmp_path, monkeypatch, in_place=True)
    assert stopped.exit_code == 130
    with Store(tmp_path / "s") as store:
        _, later = store.reports("CASE-1")  # recorded before its files are written
    pdf = tmp_path / "A1.pdf"
    error, recorded, to_do = stopped.output.splitlines()
    assert error == "error: interrupted"
    assert recorded == (
        f"report {later['report_id']} is recorded (record #{later['seq']}, its PDF kept in the "
        f"store); not written: {pdf}; the PDF of report {earlier['report_id']} that was at "
        f"{pdf} is kept as {kept}"
    )
    assert to_do.startswith(f"to do: issue it again with `forensic report CASE-1 --out {pdf} ")
    assert to_do.endswith("` (a new report, with its own id)")
    assert pdf.read_bytes() == first and kept.read_bytes() == first  # both PDFs there


def test_a_stop_before_a_report_s_pdf_is_kept_says_nothing_kept(tmp_path, monkeypatch):
    stopped, _, first, kept = _kept_before_a_stop(tmp_path, monkeypatch, in_place=False)
    assert stopped.exit_code == 130
    assert "is kept as" not in stopped.output and "interrupted\nreport " in stopped.output
    assert (tmp_path / "A1.pdf").read_bytes() == first and not kept.exists()
    assert sorted(path.name for path in tmp_path.glob("*.pdf")) == ["A1.pdf"]  # no part file


def test_the_stop_of_issue_report_says_where_a_pdf_is_kept(tmp_path, monkeypatch):
    """What the Interrupted that escapes issue_report holds for whoever calls it (a scan)."""
    populated_store(tmp_path / "s").close()
    pdf = tmp_path / "A1.pdf"
    with Store(tmp_path / "s") as store:
        earlier = issue_report(store, "CASE-1", operator=OPERATOR, pdf_path=pdf)
        kept = tmp_path / f"A1.{earlier.content['report_id']}.pdf"
        write = report_issue.atomic_write_bytes

        def kept_then_ctrl_c(path, data, **kwargs):
            written = write(path, data, **kwargs)
            if Path(path) == kept:
                raise KeyboardInterrupt
            return written

        monkeypatch.setattr(report_issue, "atomic_write_bytes", kept_then_ctrl_c)
        with pytest.raises(Interrupted) as stop:
            issue_report(store, "CASE-1", operator=OPERATOR, pdf_path=pdf, overwrite=True)
        _, later = store.reports("CASE-1")
    assert stop.value.recorded == (
        f"report {later['report_id']} is recorded (record #{later['seq']}, its PDF kept in the "
        f"store); not written: {pdf}; the PDF of report {earlier.content['report_id']} that was "
        f"at {pdf} is kept as {kept}"
    )
    assert stop.value.advice.startswith("issue it again with `forensic report CASE-1 ")
    assert pdf.read_bytes() == kept.read_bytes() == earlier.pdf


def test_a_pdf_that_could_not_be_kept_is_not_said_kept(tmp_path, monkeypatch):
    populated_store(tmp_path / "s").close()
    pdf = tmp_path / "A1.pdf"
    with Store(tmp_path / "s") as store:
        earlier = issue_report(store, "CASE-1", operator=OPERATOR, pdf_path=pdf)
        kept = tmp_path / f"A1.{earlier.content['report_id']}.pdf"
        write = report_issue.atomic_write_bytes

        def disk_full_for_the_kept(path, data, **kwargs):
            if Path(path) == kept:
                raise OutputError(f"{path}: writing failed (No space left on device)")
            return write(path, data, **kwargs)

        monkeypatch.setattr(report_issue, "atomic_write_bytes", disk_full_for_the_kept)
        with pytest.raises(OutputError) as failed:
            issue_report(store, "CASE-1", operator=OPERATOR, pdf_path=pdf, overwrite=True)
    error = failed.value
    assert error.problem == f"{kept}: writing failed (No space left on device)"
    assert error.advice.startswith("issue it again with `forensic report CASE-1 ")
    assert "is kept as" not in str(failed.value)
    assert pdf.read_bytes() == earlier.pdf and not kept.exists()


def test_a_simulated_spectrum_is_never_presented_as_measured(tmp_path):
    report = _issued(tmp_path)
    text = (tmp_path / "r.txt").read_text()
    assert "Data provenance:      simulated" in text
    assert "no evidential value" in report.content["limitations"][0]
    # the figure's title names the spectrum as what it is, in the PDF and in the text
    pages = " ".join(page_texts(report.pdf))
    assert "Simulated spectrum and best reference" in pages
    assert "[figure in the PDF: simulated spectrum and best reference, residual]" in text
    assert "measured spectrum" not in (pages + text).lower()


@pytest.mark.parametrize(
    ("verdict", "drawn_over"),
    [
        ("identified", "best reference"),
        ("inconclusive", "closest reference"),
        ("no_match", "closest reference (no match)"),
    ],
)
def test_the_figure_names_the_reference_as_the_verdict_does(tmp_path, verdict, drawn_over):
    """A no match's best hit is a chance resemblance: the figure does not call it the best
    reference, as the verdict line does not."""
    report = _issued(tmp_path, identification=identification_dict(verdict))
    pages = " ".join(" ".join(page_texts(report.pdf)).split())
    text = (tmp_path / "r.txt").read_text()
    assert f"Simulated spectrum and {drawn_over} " in pages + " "
    assert f"[figure in the PDF: simulated spectrum and {drawn_over}, residual]" in text
    if verdict != "identified":
        assert "best reference" not in (pages + text).lower()


def test_a_long_verdict_is_wrapped_onto_the_page(tmp_path):
    """A mixture of two long names makes a verdict wider than the page: it wraps, and every
    word of it is inside the page (text drawn past the edge is cut off in print)."""
    names = ["3,4-Methylenedioxymethamphetamine hydrochloride", "Dimethyl sulfone (MSM)"]
    identification = identification_dict(name=names[0])
    identification["mixture"] = {
        "components": [
            {"name": name, "fraction": share, "entry_id": name, "provenance": "measured"}
            for name, share in zip(names, (0.7, 0.3), strict=True)
        ],
        "residual": 0.1,
        "explained": 0.99,
        "single_best_residual": 0.4,
    }
    _issued(tmp_path, item="EX-1", to="pdf", identification=identification)
    document = pypdfium2.PdfDocument(tmp_path / "r.pdf")
    page = document[0]
    width, height = page.get_size()
    on_page = " ".join(page.get_textpage().get_text_bounded(0, 0, width, height).split())
    document.close()
    assert f"IDENTIFIED (mixture): {names[0]} + {names[1]}" in on_page


def test_a_mixture_is_drawn_as_its_fit_with_each_component(tmp_path):
    identification = identification_dict()
    query = identification["query"]
    measured = np.asarray(query["intensity"])
    parts = [0.8 * measured, 0.2 * measured]
    identification["mixture"] = {
        "components": [
            {
                "name": "Cocaine hydrochloride",
                "fraction": 0.8,
                "score": 0.962,
                "q_value": 0.004,
                "entry_id": "c",
                "provenance": "measured",
            },
            {
                "name": "Levamisole",
                "fraction": 0.2,
                "score": 0.871,
                "q_value": 0.031,
                "entry_id": "l",
                "provenance": "modelled",
            },
        ],
        "residual": 0.05,
        "explained": 0.99,
        "single_best_residual": 0.3,
        "spectra": {
            "wavenumber": query["wavenumber"],
            "fit": measured.tolist(),
            "components": [p.tolist() for p in parts],
        },
    }
    _issued(tmp_path, item="EX-1", to="pdf", identification=identification)
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(tmp_path / "r.pdf").pages).split())
    assert "Simulated spectrum and mixture fit" in text  # the query is simulated
    assert "Cocaine hydrochloride (80%, measured reference)" in text
    assert "Levamisole (20%, modelled reference)" in text
    assert "spectrum and best reference" not in text
    # each component's part: its score and the q-value of that match, in the table
    assert "q-value of its part" in text
    assert "0.871 0.031" in text and "0.962 0.004" in text
    # a share and a shift read as on the screen and in the limitations: 80%, +1.5
    assert "Cocaine hydrochloride 80% 0.962" in text and "Levamisole 20% 0.871" in text
    assert " +1.5 " in text


def test_a_q_value_just_above_the_threshold_is_not_shown_as_meeting_it(tmp_path):
    """0.0504 shown as 0.050 seems to meet "q-value at most 0.05" beside a verdict saying it
    does not: the PDF and the text show it so that it reads above."""
    identification = identification_dict("inconclusive")
    identification["hits"][0]["q_value"] = 0.0504
    identification["hits"][1]["q_value"] = 0.0004
    identification["mixture"] = {
        "components": [
            {"name": name, "fraction": 0.5, "score": 0.9, "q_value": q, "entry_id": name}
            for name, q in (("Cocaine hydrochloride", 0.0504), ("Lidocaine", 0.0004))
        ],
        "residual": 0.1,
        "explained": 0.99,
    }
    report = _issued(tmp_path, item="EX-1", identification=identification)
    for rendering in (" ".join(page_texts(report.pdf)), (tmp_path / "r.txt").read_text()):
        text = " ".join(rendering.split())
        assert "0.982 0.0504" in text and "0.610 < 0.001" in text  # the hits
        assert "0.900 0.0504" in text and "0.900 < 0.001" in text  # the parts
        assert "0.050 " not in text and "0.000" not in text


def _with_mixture(verdicts_of_parts):
    identification = identification_dict(name="Cocaine hydrochloride")
    names = ["Cocaine hydrochloride", "Levamisole", "Caffeine"]
    components = []
    for name, verdict_of_part in zip(names, verdicts_of_parts, strict=False):
        component = {"name": name, "fraction": 0.3, "entry_id": name, "provenance": "measured"}
        if verdict_of_part is not None:
            component["verdict"] = verdict_of_part
        components.append(component)
    identification["mixture"] = {"components": components, "residual": 0.1, "explained": 0.99}
    return identification


@pytest.mark.parametrize(
    ("verdicts_of_parts", "expected"),
    [
        (["identified", "identified"], "IDENTIFIED (mixture): Cocaine hydrochloride + Levamisole"),
        (
            ["identified", "identified", "inconclusive"],
            "IDENTIFIED (mixture): Cocaine hydrochloride + Levamisole; possibly also Caffeine",
        ),
        (
            ["identified", "inconclusive"],
            "IDENTIFIED: Cocaine hydrochloride; possibly also Levamisole",
        ),
        # the best hit identified on its own, its part in the fit not told from a relative
        (
            ["inconclusive", "identified"],
            "IDENTIFIED (mixture): Cocaine hydrochloride + Levamisole",
        ),
        (
            ["inconclusive", "inconclusive"],
            "IDENTIFIED: Cocaine hydrochloride; possibly also Levamisole",
        ),
        # recorded before components had verdicts: every component named, as then
        ([None, None], "IDENTIFIED (mixture): Cocaine hydrochloride + Levamisole"),
    ],
)
def test_the_verdict_names_only_the_components_its_parts_identify(verdicts_of_parts, expected):
    assert verdict_line(_with_mixture(verdicts_of_parts)) == expected


def test_the_best_hit_is_named_once_whichever_entry_of_its_substance_the_fit_took():
    identification = _with_mixture(["inconclusive", "identified"])
    identification["mixture"]["components"][0]["name"] = "cocaine-HYDROCHLORIDE"
    expected = "IDENTIFIED (mixture): Cocaine hydrochloride + Levamisole"
    assert verdict_line(identification) == expected
    identification["mixture"]["components"][0]["verdict"] = "identified"
    expected = "IDENTIFIED (mixture): cocaine-HYDROCHLORIDE + Levamisole"
    assert verdict_line(identification) == expected


def test_times_are_shown_in_utc_and_received_is_the_earliest_moment(tmp_path):
    store = populated_store(tmp_path / "s")
    for when in ("2026-11-22T23:00:00Z", "2026-11-23T00:30:00+02:00"):
        store.add_custody_event(
            "CASE-1", "EX-1", operator=OPERATOR, received_by="B", purpose="storage", event_at=when
        )
    report = issue_report(store, "CASE-1", "EX-1", operator=OPERATOR, text_path=tmp_path / "r.txt")
    # 00:30 at +02:00 is 22:30 UTC on the 22nd, before 23:00 UTC (not after, as text compares)
    assert report.content["dates"]["received"] == "2026-11-22T22:30:00Z"
    text = (tmp_path / "r.txt").read_text()
    # each time says UTC in words (layout 5)
    assert "2026-11-22 22:30:00 UTC" in text and "2026-11-22 23:00:00 UTC" in text


def test_the_acquisition_time_is_shown_in_utc_as_the_other_times(tmp_path):
    """An instrument's clock may give its zone: the report shows the moment in UTC, in the
    same format as every other time, in the analysis and in its limitations."""
    store = populated_store(tmp_path / "s")
    spectrum = make_spectrum(seed=2).with_metadata(
        acquired_at="2026-11-23T00:30:00.250+02:00", provenance="simulated"
    )
    store.add_measurement("CASE-1", "EX-1", spectrum, operator=OPERATOR)  # left without result
    report = issue_report(store, "CASE-1", "EX-1", operator=OPERATOR, text_path=tmp_path / "r.txt")
    store.close()
    for rendering in (" ".join(page_texts(report.pdf)), (tmp_path / "r.txt").read_text()):
        text = " ".join(rendering.split())
        assert f"2026-11-22 22:30:00 UTC by {OPERATOR}" in text  # the Acquired line
        # in words in the limitations too (layout 6), the simulated ones said once for both
        assert "EX-1 (analyses 1 and 2): each spectrum is simulated" in text
        assert "analysis 2: measurement of 2026-11-22 22:30:00 UTC has no recorded result" in text
        assert "+02:00" not in text and "T00:30" not in text


def test_long_identifiers_wrap_clear_of_the_page_number_and_the_values(tmp_path):
    case = "2026-LKA-BW-ORGANISED-CRIME-DIVISION-0412-SUBCASE-ALPHA-BRAVO-CHARLIE-DELTA"
    item = "A1-BAG-FROM-GLOVEBOX-LEFT-SIDE-UNDER-SEAT-XYZ"
    store = populated_store(tmp_path / "s", case=case, item=item)
    report = issue_report(
        store,
        case,
        operator=OPERATOR,
        pdf_path=tmp_path / "r.pdf",
        unit="Landeskriminalamt, Abteilung Kriminaltechnik, Mobile Drogenanalytik Einheit 3",
        location="Grenzuebergang Rheinfelden, Parkplatz Nord, Fahrzeug 7 (Sprinter)",
    )
    store.close()
    document = pypdfium2.PdfDocument(tmp_path / "r.pdf")
    pages = len(document)
    everything = ""
    for number in range(pages):
        page = document[number]
        width, height = page.get_size()
        text = page.get_textpage()

        def words(left, bottom, right, top, text=text):
            return " ".join(text.get_text_bounded(left, bottom, right, top).split())

        # the page number stands alone at the top right and the bottom right corners (the
        # header and footer of layout 5 on are drawn inside the area Letter shares with A4)
        corner, inset = width - 1.6 * 72, (report_pdf.LETTER_EDGE - 0.3) * 72
        top = height - inset
        assert words(corner, top - 0.5 * 72, width, top) == f"Page {number + 1} of {pages}"
        assert words(corner, inset, width, inset + 0.8 * 72) == f"Page {number + 1} of {pages}"
        # every identifier is on the page, whole (wrapped lines joined)
        whole = "".join(words(0, 0, width, height).split())
        assert case in whole and report.content["report_id"] in whole
        assert "SIMULATED SPECTRUM, NOT MEASURED FROM THE EXHIBIT" in words(0, 0, width, height)
        # a long key wraps in its own column and leaves the value column to the hash
        values = words((0.7 + 2.1) * 72 - 2, 0, width, height)
        assert "#1)" not in values and "Raw data" not in values
        everything += words(0, 0, width, height)
    assert f"{item[-6:]} #1)" in everything  # the integrity section's key, whole in its column
    document.close()


def test_a_seal_broken_on_receipt_is_a_limitation(tmp_path):
    store = populated_store(tmp_path / "s")
    break_seal(store)
    report = issue_report(store, "CASE-1", operator=OPERATOR, text_path=tmp_path / "r.txt")
    (note,) = [item for item in report.content["limitations"] if "broken" in item]
    assert note.startswith("EX-1: the seal SEAL-001 was broken when Lab clerk received the exhibit")
    assert " ".join((tmp_path / "r.txt").read_text().split()).count("SEAL-001 was broken") == 1


def test_a_scan_says_of_custody_what_the_report_says_without_reading_a_spectrum(
    tmp_path, monkeypatch
):
    # the scan without a report built a report's whole section of the exhibit, every spectrum
    # of it loaded, for the few lines it shows of custody
    store = populated_store(tmp_path / "s")
    store.add_measurement(  # a second analysis: more spectra for the section to load
        "CASE-1", "EX-1", make_spectrum(seed=2, noise=0.01), operator=OPERATOR
    )
    for released_by, received_by, seal_intact, event_at in (
        (OPERATOR, "Lab clerk", False, None),  # the seal broken on receipt
        ("Nobody recorded", "Store room", None, None),  # a break in the log
        (None, "Lab clerk", True, "2026-01-29T09:00:00Z"),  # before it was collected; intact
    ):
        store.add_custody_event(
            "CASE-1",
            "EX-1",
            operator=OPERATOR,
            released_by=released_by,
            received_by=received_by,
            purpose="storage",
            seal_intact=seal_intact,
            seal_number="SEAL-001",
            event_at=event_at,
        )
    store.close()
    monkeypatch.setenv("FORENSIC_CONFIG_DIR", str(tmp_path / "elsewhere"))  # a second key
    with Store(tmp_path / "s") as elsewhere:
        elsewhere.add_custody_event(
            "CASE-1",
            "EX-1",
            operator=OPERATOR,
            released_by="Store room",
            received_by=OPERATOR,
            purpose="analysis",
        )
    monkeypatch.setenv("FORENSIC_CONFIG_DIR", str(tmp_path / "config"))
    store = Store(tmp_path / "s")
    content = build_report_content(store, "CASE-1", "EX-1", issued_by=OPERATOR)
    reported = custody_limitations(content["exhibits"][0])
    said = " ".join(reported)
    assert "broken" in said and "not continuous" in said and "before the exhibit was" in said
    assert "signs with 2 keys" in said
    assert all(line in content["limitations"] for line in reported)

    def no_spectrum(self, measurement):
        raise AssertionError("a spectrum was read for the custody lines")

    monkeypatch.setattr(Store, "load_spectrum", no_spectrum)
    assert exhibit_custody_limitations(store, "CASE-1", "EX-1") == reported
    assert exhibit_custody_limitations(store, " CASE-1 ", "EX-1 ") == reported  # as pasted
    store.close()


def test_case_and_custody_listings_state_a_mixture_as_the_report_does(tmp_path):
    identification = identification_dict(name="Cocaine hydrochloride")
    identification["mixture"] = {
        "components": [
            {"name": name, "fraction": share, "entry_id": name, "provenance": "measured"}
            for name, share in (("Cocaine hydrochloride", 0.65), ("Levamisole", 0.35))
        ],
        "residual": 0.1,
        "explained": 0.99,
        "single_best_residual": 0.4,
    }
    populated_store(tmp_path / "s", identification=identification).close()
    verdict = "IDENTIFIED (mixture): Cocaine hydrochloride + Levamisole"
    assert verdict_line(identification) == verdict
    runner = CliRunner()
    store = str(tmp_path / "s")
    for command in (["case", "show", "CASE-1"], ["custody", "log", "CASE-1"]):
        result = runner.invoke(main, [*command, "--store", store], env={"COLUMNS": "200"})
        assert result.exit_code == 0, result.output
        assert verdict in " ".join(result.output.split()), command


def test_altered_data_of_one_case_does_not_block_the_report_of_another(tmp_path):
    store = populated_store(tmp_path / "s")
    store.open_case("CASE-2", operator=OPERATOR)
    store.add_exhibit("CASE-2", "B1", operator=OPERATOR, description="tablets")
    spectrum = make_spectrum(seed=2, noise=0.01).with_metadata(provenance="simulated")
    raw = store.add_measurement("CASE-2", "B1", spectrum, operator=OPERATOR)["raw_sha256"]
    store.close()
    conn = sqlite3.connect(tmp_path / "s" / "forensic.db")
    conn.execute("UPDATE blobs SET data = data || x'20' WHERE sha256 = ?", (raw,))
    conn.commit()
    conn.close()
    store = Store(tmp_path / "s")
    report = issue_report(store, "CASE-1", operator=OPERATOR, json_path=tmp_path / "r1.json")
    verification = report.content["verification"]
    assert verification["forced"] is False and verification["problems"] == []
    assert verification["verified"] is False  # the store's chain did not verify: it says so
    assert verification["problems_elsewhere"][0].startswith("measurements record #")
    with pytest.raises(UnverifiedChainError, match=r"case CASE-2 .*measurements record #\d+"):
        issue_report(store, "CASE-2", operator=OPERATOR, json_path=tmp_path / "r2.json")
    store.close()


def test_a_report_does_not_say_the_chain_verified_when_records_elsewhere_do_not(tmp_path):
    # the auditor's: another exhibit's result altered in the database; the report on this
    # exhibit is issued (it states none of that exhibit's records) but names what failed
    populated_store(tmp_path / "s").close()
    populated_store(tmp_path / "s", item="EX-2").close()
    conn = sqlite3.connect(tmp_path / "s" / "forensic.db")
    (seq,) = conn.execute("SELECT seq FROM results WHERE item_number = 'EX-2'").fetchone()
    conn.execute("UPDATE results SET best_name = 'X' WHERE seq = ?", (seq,))
    conn.commit()
    conn.close()
    runner = CliRunner()
    args = ["--store", str(tmp_path / "s"), "--operator", OPERATOR]
    result = runner.invoke(
        main,
        [
            "report",
            "CASE-1",
            "EX-1",
            "--out",
            str(tmp_path / "r.pdf"),
            "--json",
            str(tmp_path / "r.json"),
            "--text",
            str(tmp_path / "r.txt"),
            *args,
        ],
    )
    assert result.exit_code == 0, result.output
    # the record changed, and the store's trigger that logged the change
    assert (
        "WARNING: the store does not verify: 2 problem(s) in records outside this report "
        f"(first: results record #{seq}"
    ) in result.output
    content = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    verification = content["verification"]
    assert verification["verified"] is False and verification["forced"] is False
    problem, logged = verification["problems_elsewhere"]
    assert problem.startswith(f"results record #{seq}") and f"(record #{seq})" in logged
    text = " ".join((tmp_path / "r.txt").read_text(encoding="utf-8").split())
    pages = " ".join(page_texts((tmp_path / "r.pdf").read_bytes()))
    for said in (text, pages):
        assert "Chain verified: yes" not in said and "Chain verified yes" not in said
        assert (
            "NO: the records of this report verify, but the store's check found 2 problems in "
            "records of other cases or exhibits (named below)"
        ) in said
        for failed in (problem, logged):
            assert (
                f"Verification problem elsewhere in the store (not stated here): {failed}" in said
            )
        assert (
            "The evidence store this report was issued from does not verify: its check found 2 "
            "problems in records of other cases or exhibits (named under Integrity). The "
            "records this report states verify"
        ) in said
        assert "UNVERIFIED" not in said  # the exhibit's own records verify: not forced
    checked = runner.invoke(main, ["verify-report", str(tmp_path / "r.pdf")])
    assert checked.exit_code == 0, checked.output
    assert (
        "the store it was issued from did not verify: 2 problem(s) in records the report does "
        f"not state (first: results record #{seq}"
    ) in " ".join(checked.output.split())
    # the exhibit whose record fails is refused, as before
    other = runner.invoke(
        main, ["report", "CASE-1", "EX-2", "--out", str(tmp_path / "2.pdf"), *args]
    )
    assert other.exit_code == 3 and f"results record #{seq}" in other.output


def test_corrected_label_and_custody_are_shown_with_what_they_changed(tmp_path):
    store = populated_store(tmp_path / "s")
    old_label = store.get_exhibit("CASE-1", "EX-1")
    (old_event,) = store.custody_events("CASE-1", "EX-1")
    store.add_exhibit(
        "CASE-1",
        "EX-1",
        operator=OPERATOR,
        description="white powder, two zip bags",
        seal_number="SEAL-001",
        collected_by="PC Smith",
        collected_at="2026-01-30T22:10:00Z",
        collected_where="A1 lay-by",
        gps=(52.3702, 4.8952),
        condition="sealed, intact",
        corrects=old_label["hash"],
    )
    store.add_custody_event(
        "CASE-1",
        "EX-1",
        operator=OPERATOR,
        released_by="PC Jones",
        received_by=OPERATOR,
        purpose="screening analysis",
        seal_intact=True,
        seal_number="SEAL-001",
        event_at=old_event["event_at"],
        corrects=old_event["hash"],
    )
    report = issue_report(
        store,
        "CASE-1",
        operator=OPERATOR,
        text_path=tmp_path / "r.txt",
        pdf_path=tmp_path / "r.pdf",
    )
    (exhibit,) = report.content["exhibits"]
    label, event = exhibit["corrections"]
    assert label["what"] == "label" and label["corrects_hash"] == old_label["hash"]
    assert label["changes"] == [
        {
            "field": "description",
            "was": "white powder, zip bag",
            "now": "white powder, two zip bags",
            "stated": 'description "white powder, zip bag" -> "white powder, two zip bags"',
        }
    ]
    assert event["what"] == "custody event" and event["corrects_record"] == old_event["seq"]
    assert event["changes"] == [
        {
            "field": "released_by",
            "was": "PC Smith",
            "now": "PC Jones",
            "stated": 'released by "PC Smith" -> "PC Jones"',
        }
    ]
    text = " ".join((tmp_path / "r.txt").read_text().split())
    assert "Corrections: 2 records were corrected by a later record" in text
    assert (
        f"corrects record #{old_label['seq']} ({old_label['hash'][:12]}): description "
        '"white powder, zip bag" -> "white powder, two zip bags"' in text
    )
    assert 'released by "PC Smith" -> "PC Jones"' in text
    pdf = " ".join(" ".join(p.extract_text() for p in PdfReader(tmp_path / "r.pdf").pages).split())
    assert '"white powder, zip bag" -> "white powder, two zip bags"' in pdf
    # the content hash covers them: the JSON still checks
    assert check_report_json(report.content) == []
    store.close()


def test_text_is_drawn_as_written_and_undrawable_characters_are_said(tmp_path):
    store = populated_store(tmp_path / "s", item="EX-$1$")
    store.add_exhibit(
        "CASE-1", "EX-2", operator=OPERATOR, description="白色粉末, sold for $20 or $50 a gram"
    )
    report = issue_report(store, "CASE-1", operator=OPERATOR, pdf_path=tmp_path / "r.pdf")
    store.close()
    assert undrawable_characters(report.content) == ["末", "白", "粉", "色"]
    pages = page_texts((tmp_path / "r.pdf").read_bytes())
    # a pair of "$" is not a formula: the exhibit number and the prices are as written
    assert "Exhibit EX-$1$" in pages[0] and "sold for $20 or $50 a gram" in " ".join(pages)
    (note,) = [p for p in pages if "cannot be drawn with its fonts" in p]
    assert "白 (U+767D)" in note and "attached to this PDF" in note
    assert note == pages[0]  # before the exhibits, where the boxes are read
    assert check_report_pdf((tmp_path / "r.pdf").read_bytes())[1] == []
    # a report in scripts the fonts draw says nothing of the kind
    assert undrawable_characters({"exhibits": ["Ёлка, Ελλάδα, Ärger"]}) == []


def test_a_table_across_pages_repeats_its_headings_and_keeps_them_with_a_row():
    table = Block("table", headers=["When", "Who"], items=[[f"t{i}", f"p{i}"] for i in range(150)])
    items = report_pdf._items_for(table)
    header = items[:2]  # headings and their rule
    pages = report_pdf._paginate(items)
    assert len(pages) > 1
    for page in pages[1:]:
        assert [item for _, item in page[:2]] == header  # drawn again on every page
    # with a page nearly full, the headings go over to the next page with the first row
    filler = [report_pdf._Item(report_pdf.PAGE_H - 2.05, lambda fig, y0: None)]
    first, second = report_pdf._paginate(filler + items)[:2]
    assert [item for _, item in first] == filler
    assert [item for _, item in second[:3]] == [*header, items[2]]


def test_the_lines_of_one_value_stay_on_one_page():
    value = "x" * (report_pdf.MONO_CHARS * 3)  # three lines
    items = report_pdf._items_for(Block("kv", items=[("Pipeline", value)]))
    filler = [report_pdf._Item(report_pdf.PAGE_H - 2.05, lambda fig, y0: None)]
    pages = report_pdf._paginate(filler + items)
    assert [item for _, item in pages[1][:3]] == items[:3]


def test_a_json_report_with_a_repeated_key_does_not_verify(issued, tmp_path):
    text = (issued["folder"] / "r.json").read_text()
    # a second "title" that a reader keeping the first value would show: a report altered,
    # not a file that is none of ours (exit 1, not 2)
    doubled = text.replace('"title":', '"title": "Clean sample", "title":', 1)
    (tmp_path / "doubled.json").write_text(doubled)
    result = CliRunner().invoke(main, ["verify-report", str(tmp_path / "doubled.json")])
    assert result.exit_code == 1 and "NOT A REPORT" not in result.output
    assert (
        "doubled.json: NOT VERIFIED: the file is damaged or altered: it carries a report's "
        "signed content, but it is not JSON (the key(s) title appear twice in one object)"
    ) in " ".join(result.output.split())
    with pytest.raises(ValueError, match="title appear twice"):
        parse_report_json(doubled)


def test_the_custody_table_shows_each_seal_and_an_exhibit_never_received_has_no_date(tmp_path):
    store = populated_store(tmp_path / "s")
    store.add_exhibit("CASE-1", "EX-2", operator=OPERATOR, description="green leaves")
    report = issue_report(store, "CASE-1", operator=OPERATOR, text_path=tmp_path / "r.txt")
    store.close()
    (table,) = [
        b for b in report_blocks(report.content) if b.kind == "table" and "Seal" in b.headers
    ]
    assert table.items[0][4] == "intact SEAL-001"  # the text may wrap it at its space
    second = report.content["exhibits"][1]
    assert second["label"]["item_number"] == "EX-2" and second["dates"]["received"] is None


def _said(report, text_path) -> tuple[str, str, str]:
    """A report's limitations, PDF text and plain text, each with whitespace collapsed."""
    return (
        " ".join(" ".join(report.content["limitations"]).split()),
        " ".join(" ".join(page_texts(report.pdf)).split()),
        " ".join(text_path.read_text().split()),
    )


def test_the_report_states_what_is_wrong_with_a_measurement_not_what_to_do(tmp_path):
    """A warning is recorded and reported as a fact for the investigator; what the technician
    should do about it (measure again) is their screen's, not the record's or the report's."""
    axis = np.arange(200.0, 2000.0, 1.0)
    empty = Spectrum(  # nothing in the beam: the detector's offset and noise only
        axis, 1000.0 + np.random.default_rng(5).normal(0.0, 5.0, axis.size), modality="raman"
    )
    references = [synthetic_spectrum(i) for i in range(len(SYNTHETIC))]
    result = identify(empty, Library.from_spectra(references, calibrate=False))
    (fact,) = [w for w in result.warnings if "noise" in w]
    (to_do,) = [a for a in result.advice if "measure again" in a]
    store = populated_store(tmp_path / "s", identification=result.to_dict())
    (recorded,) = store.results("CASE-1", "EX-1")
    assert "advice" not in json.loads(recorded["identification_json"])
    report = issue_report(
        store,
        "CASE-1",
        operator=OPERATOR,
        pdf_path=tmp_path / "r.pdf",
        text_path=tmp_path / "r.txt",
    )
    store.close()
    for said in _said(report, tmp_path / "r.txt"):
        assert fact in said and "any hit is likely chance" in said
        assert to_do not in said and "sample is in the beam" not in said
        assert "measure again" not in said.lower()


def test_a_query_axis_unit_assumed_is_reported_with_the_result(tmp_path):
    """A JCAMP-DX query without ##XUNITS= is read as cm-1 by assumption: the result's warning
    says so, and the report, which prints what qualifies each result, carries it."""
    named = tmp_path / "named.jdx"
    write_spectrum(synthetic_spectrum(0, noise=0.01, seed=3), named)
    unnamed = tmp_path / "unnamed.jdx"
    unnamed.write_text(named.read_text().replace("##XUNITS=1/CM\n", ""))
    references = [synthetic_spectrum(i) for i in range(len(SYNTHETIC))]
    result = identify(read_spectrum(unnamed), Library.from_spectra(references, calibrate=False))
    (fact,) = [w for w in result.warnings if "does not name its axis unit" in w]
    store = populated_store(tmp_path / "s", identification=result.to_dict())
    report = issue_report(
        store,
        "CASE-1",
        operator=OPERATOR,
        pdf_path=tmp_path / "r.pdf",
        text_path=tmp_path / "r.txt",
    )
    store.close()
    for said in _said(report, tmp_path / "r.txt"):
        assert fact in said
        assert "instrument's software name its unit" not in said  # the technician's advice


@pytest.mark.parametrize("recorded", [True, False])
def test_a_simulated_reference_is_reported_as_simulated_not_modelled(tmp_path, recorded):
    """The report's own statement of a matched reference not measured (for a result recorded
    without the warning) was made only for modelled ones; a simulated reference was said to
    be "modelled from a band table" by the result, or not at all by the report."""
    identification = identification_dict()
    identification["hits"][0]["provenance"] = "simulated"
    identification["warnings"] = [SIMULATED_WARNING] if recorded else []
    store = populated_store(tmp_path / "s", identification=identification)
    report = issue_report(
        store,
        "CASE-1",
        operator=OPERATOR,
        pdf_path=tmp_path / "r.pdf",
        text_path=tmp_path / "r.txt",
    )
    store.close()
    for said in _said(report, tmp_path / "r.txt"):
        assert SIMULATED_WARNING in said
        assert MODELLED_WARNING not in said and "band table" not in said
    limitations = report.content["limitations"]
    assert sum(SIMULATED_WARNING in item for item in limitations) == 1
    # and the (simulated) query too is said to be made by what made it
    assert any(
        "is simulated, not measured from the exhibit (made by an instrument simulator)" in item
        for item in limitations
    )
    # said once, naming the analyses it applies to, whether the result recorded it or not
    assert f"EX-1: {SIMULATED_WARNING}." in limitations


def test_a_result_recorded_with_instructions_in_its_warnings_is_reported_with_the_facts(tmp_path):
    """Results recorded before warnings and advice were kept apart hold both in one sentence:
    the store keeps them so, and the report states the fact."""
    identification = identification_dict(modelled=True)
    identification["warnings"] = [
        "modelled reference: confirm against a measured library",
        "atmospheric CO2 bands at 2338 and 2361 cm-1 (12% of the intensity range): the "
        "background was measured with a different amount of CO2 in the beam, and they take "
        "part in the comparison as if they were bands of the sample. Measure a fresh "
        "background, then the sample again",
        "the instrument's wavenumber axis looks off by about +8 cm-1 (the spectrum matches the "
        "library best moved by -8.0 cm-1): check its calibration with a standard (polystyrene, "
        "silicon)",
    ]
    store = populated_store(tmp_path / "s", identification=identification)
    report = issue_report(
        store,
        "CASE-1",
        operator=OPERATOR,
        pdf_path=tmp_path / "r.pdf",
        text_path=tmp_path / "r.txt",
    )
    store.close()
    for said in _said(report, tmp_path / "r.txt"):
        assert "as if they were bands of the sample" in said and "fresh background" not in said
        assert "best moved by -8.0 cm-1)" in said and "polystyrene" not in said
        assert MODELLED_WARNING in said and "confirm against a measured library" not in said
    limitations = report.content["limitations"]
    assert sum(MODELLED_WARNING in item for item in limitations) == 1
    # the analysis in the signed content is the record as stored
    (analysis,) = report.content["exhibits"][0]["analyses"]
    assert analysis["identification"]["warnings"] == identification["warnings"]


def _scan_meanwhile(tmp_path, item="EX-1"):
    """Another process (a scan) records a measurement and its result of ``item``."""
    with Store(tmp_path / "s") as other:
        spectrum = make_spectrum(seed=7, noise=0.01).with_metadata(provenance="simulated")
        measurement = other.add_measurement("CASE-1", item, spectrum, operator="Bo Other")
        return measurement, other.add_result(
            measurement, identification_dict("no_match"), operator="Bo Other"
        )


def test_a_report_covers_the_results_recorded_while_it_was_built(tmp_path, monkeypatch):
    store = populated_store(tmp_path / "s")
    render = report_issue.render_pdf
    recorded = []

    def render_while_a_scan_records(content):
        if not recorded:  # the exhibit's next scan records its result while the pages render
            recorded.append(_scan_meanwhile(tmp_path))
        return render(content)

    monkeypatch.setattr(report_issue, "render_pdf", render_while_a_scan_records)
    report = issue_report(store, "CASE-1", "EX-1", operator=OPERATOR, pdf_path=tmp_path / "r.pdf")
    ((measurement, result),) = recorded
    analyses = report.content["exhibits"][0]["analyses"]
    assert [a["result_record"] for a in analyses] == [6, result["seq"]]
    assert analyses[1]["measurement_hash"] == measurement["hash"]
    assert report.content["verification"]["chain_head_seq"] >= result["seq"]
    assert report.record["seq"] > result["seq"]
    (on_record,) = store.reports("CASE-1")
    assert json.loads(on_record["content_json"]) == report.content
    assert embedded_content((tmp_path / "r.pdf").read_bytes()) == report.content
    store.close()


def test_records_of_another_exhibit_do_not_make_a_report_again(tmp_path, monkeypatch):
    store = populated_store(tmp_path / "s")
    store.add_exhibit("CASE-1", "EX-2", operator=OPERATOR, description="second bag")
    built = []
    content = report_issue.build_report_content

    def build(*args, **kwargs):
        built.append(1)
        if len(built) == 1:
            _scan_meanwhile(tmp_path, item="EX-2")
        return content(*args, **kwargs)

    monkeypatch.setattr(report_issue, "build_report_content", build)
    issue_report(store, "CASE-1", "EX-1", operator=OPERATOR, pdf_path=tmp_path / "r.pdf")
    assert len(built) == 1
    store.close()


def test_a_report_outrun_by_new_records_every_time_is_refused_and_not_recorded(
    tmp_path, monkeypatch
):
    populated_store(tmp_path / "s").close()
    render = report_issue.render_pdf
    scans = []

    def render_while_scans_record(content):
        scans.append(_scan_meanwhile(tmp_path)[1]["seq"])
        return render(content)

    monkeypatch.setattr(report_issue, "render_pdf", render_while_scans_record)
    pdf = tmp_path / "r.pdf"
    args = ["report", "CASE-1", "EX-1", "--out", str(pdf)]
    result = CliRunner().invoke(
        main, [*args, "--store", str(tmp_path / "s"), "--operator", OPERATOR]
    )
    assert result.exit_code == 75, result.output
    said = " ".join(result.output.split())
    assert said.startswith(
        f"error: no report was recorded or written: exhibit EX-1 of case CASE-1 gained records "
        f"while its report was made, {len(scans)} times (the last time: measurements record #"
    ), said
    assert "run the same command again once the work that records them" in said
    assert not pdf.exists()
    with Store(tmp_path / "s") as store:
        assert store.reports("CASE-1") == []
        assert len(store.results("CASE-1", "EX-1")) == 1 + len(scans)


@pytest.mark.parametrize("recorded_before", [False, True])
def test_a_low_confidence_reference_behind_an_identification_is_a_limitation(
    tmp_path, monkeypatch, recorded_before
):
    """Each hit's source and band-table confidence is printed, and a substance identified on a
    modelled reference of low confidence is said to rest on it; a result recorded before hits
    carried ``band_confidence`` states it in its source, as the shipped manifest writes it."""
    monkeypatch.setenv("FORENSIC_CONFIG_DIR", str(tmp_path / "config"))
    identification = identification_dict(modelled=True)
    identification["hits"][0]["source"] = (
        "modelled from bands/cocaine-hcl.toml (confidence low): recollection, not a table in hand"
    )
    if not recorded_before:
        identification["hits"][0]["band_confidence"] = "low"
    with populated_store(tmp_path / "s", identification=identification) as store:
        content = issue_report(store, "CASE-1", operator=OPERATOR).content
    (limitation,) = [x for x in content["limitations"] if "low confidence" in x]
    assert limitation.startswith(
        "EX-1: Cocaine hydrochloride is identified by a match with a modelled reference "
        "(cocaine-hcl) whose band table is rated low confidence"
    )
    text = " ".join(render_text(content).split())
    # under References, once each (layout 6)
    assert (
        "- Raman: Cocaine hydrochloride (cocaine-hcl, modelled, band table of low confidence): "
        "modelled from bands/cocaine-hcl.toml (confidence low): recollection, not a table in "
        "hand - Raman: Lidocaine (lidocaine, measured): source not stated"
    ) in text
    # a medium-confidence reference, or one not identified, is no such limitation
    identification["hits"][0]["band_confidence"] = "medium"
    identification["hits"][0]["source"] = "modelled from bands/cocaine-hcl.toml"
    with populated_store(tmp_path / "t", identification=identification) as store:
        content = issue_report(store, "CASE-1", operator=OPERATOR).content
    assert not [x for x in content["limitations"] if "low confidence" in x]


def test_analyses_of_one_exhibit_that_disagree_are_a_limitation_and_all_are_dated(tmp_path):
    store = populated_store(tmp_path / "s")
    (first,) = store.measurements("CASE-1", "EX-1")
    spectrum = make_spectrum(seed=2).with_metadata(
        acquired_at="2026-01-31T09:00:00Z", provenance="simulated"
    )
    later = store.add_measurement("CASE-1", "EX-1", spectrum, operator=OPERATOR)
    store.add_result(later, _with_mixture(["identified", "identified"]), operator=OPERATOR)
    report = issue_report(store, "CASE-1", "EX-1", operator=OPERATOR, text_path=tmp_path / "r.txt")
    store.close()
    (note,) = [item for item in report.content["limitations"] if "do not agree" in item]
    assert note == (  # times in words (layout 6)
        "EX-1: its analyses do not agree: analysis 1 (acquired "
        f"{utc_when(first['acquired_at']).removesuffix('Z')} UTC, measurement record "
        f"#{first['seq']}): IDENTIFIED: "
        "Cocaine hydrochloride; analysis 2 (acquired 2026-01-31 09:00:00 UTC, measurement record "
        f"#{later['seq']}): IDENTIFIED (mixture): Cocaine hydrochloride + Levamisole. Each "
        "states what its own spectrum showed; this report does not settle which holds for the "
        "exhibit."
    )
    dates = sorted((first["acquired_at"], later["acquired_at"]))

    def utc(iso):  # as the pages show a time (layout 5)
        return utc_when(iso).removesuffix("Z") + " UTC"

    span = f"{utc(dates[0])} to {utc(dates[1])} (2 analyses)"
    text = (tmp_path / "r.txt").read_text()
    assert text.count(f"Analysed:        {span}") == 1  # the exhibit's
    assert f"Analysed:  {span}" in text  # the report's header
    assert " ".join(text.split()).count("its analyses do not agree") == 1
    # a report issued before its dates counted the analyses is laid out as it was
    before = copy.deepcopy(report.content)
    for stated in (before["dates"], before["exhibits"][0]["dates"]):
        del stated["first_analysed"], stated["analyses"]
    assert f"Analysed:  {utc(dates[1])}\n" in render_text(before)


def test_analyses_that_agree_are_no_limitation(tmp_path):
    store = populated_store(tmp_path / "s")
    spectrum = make_spectrum(seed=2).with_metadata(provenance="simulated")
    again = store.add_measurement("CASE-1", "EX-1", spectrum, operator=OPERATOR)
    # the same substance under another entry's spelling of its name
    store.add_result(again, identification_dict(name="cocaine-HYDROCHLORIDE"), operator=OPERATOR)
    content = issue_report(store, "CASE-1", "EX-1", operator=OPERATOR).content
    store.close()
    assert not [item for item in content["limitations"] if "do not agree" in item]
    assert content["dates"]["analyses"] == 2


def test_a_correction_is_stated_as_the_report_shows_the_field(tmp_path):
    store = populated_store(tmp_path / "s")
    (event,) = store.custody_events("CASE-1", "EX-1")
    to_the_second = event["event_at"][:19] + "Z"  # recorded to the millisecond
    store.add_custody_event(
        "CASE-1",
        "EX-1",
        operator=OPERATOR,
        received_by=OPERATOR,
        purpose="screening analysis",
        seal_intact=False,
        event_at=to_the_second,
        corrects=event["hash"],
    )
    report = issue_report(store, "CASE-1", "EX-1", operator=OPERATOR, text_path=tmp_path / "r.txt")
    store.close()
    (correction,) = report.content["exhibits"][0]["corrections"]
    at, fraction = event["event_at"][:19].replace("T", " "), event["event_at"][19:23]
    assert [c["stated"] for c in correction["changes"]] == [
        f"event at {at}{fraction}Z -> {at}.000Z",
        "seal intact yes -> no",
    ]
    assert [(c["was"], c["now"]) for c in correction["changes"]] == [
        (event["event_at"], to_the_second),
        (1, 0),  # the values as recorded stay in the signed content
    ]
    text = " ".join((tmp_path / "r.txt").read_text().split())
    # its times in words on the pages (layout 6), as recorded in the content
    assert f"event at {at}{fraction} UTC -> {at}.000 UTC; seal intact yes -> no" in text
    assert "seal intact 1 -> 0" not in text
    earlier = " ".join(render_text({**report.content, "layout": 5}).split())
    assert f"event at {at}{fraction}Z -> {at}.000Z; seal intact yes -> no" in earlier


@pytest.mark.parametrize(
    ("field", "was", "now", "stated"),
    [
        ("seal_intact", None, 1, "seal intact not stated -> yes"),
        (
            "event_at",
            "2026-11-23T19:28:51Z",
            "2026-11-23T19:30:00Z",
            "event at 2026-11-23 19:28:51Z -> 2026-11-23 19:30:00Z",
        ),
        (
            "event_at",
            "2026-11-23T20:28:51+01:00",
            "2026-11-23T19:28:51Z",
            'event at 2026-11-23 19:28:51Z -> the same moment, written "2026-11-23T20:28:51+01:00"'
            ' -> "2026-11-23T19:28:51Z"',
        ),
        (
            "collected_at",
            "2026-11-22",
            "2026-11-22T10:00:00Z",
            'collected at "2026-11-22" -> 2026-11-22 10:00:00Z',
        ),
        ("gps_lat", 52.3702, 52.37020004, "gps lat 52.3702 -> 52.37020004"),
        ("gps_lat", 52.3702, 52.3712, "gps lat 52.370200 -> 52.371200"),
        ("released_by", "PC Smith", None, 'released by "PC Smith" -> (none)'),
    ],
)
def test_a_changed_field_is_stated_as_it_is_shown(field, was, now, stated):
    assert stated_change(field, was, now) == stated


def test_a_correction_in_a_report_issued_before_is_laid_out_as_it_was():
    """Its pages are laid out again from its signed content to verify it: a change its
    content does not carry a statement of is laid out as when it was issued."""
    correction = {
        "what": "custody event",
        "record": 9,
        "record_hash": "b" * 64,
        "recorded_at": "2026-11-23T19:32:57.000Z",
        "signed_by": "Carl",
        "corrects_record": 4,
        "corrects_hash": "a" * 64,
        "changes": [{"field": "seal_intact", "was": 1, "now": 0}],
    }
    assert correction_line(correction).endswith("(aaaaaaaaaaaa): seal intact 1 -> 0")


def test_a_report_issued_by_an_earlier_layout_is_laid_out_again_as_it_was():
    """verify-report lays a report's pages out again from its signed content: a report issued
    by forensic 0.2.0 (layout 1) must come out exactly as it was issued, or a genuine report
    would fail verification after an upgrade. The fixture is the content of a report issued
    by forensic 0.2.0 (commit af4e6d2; a simulated cut sample, a sealed exhibit handed over
    without a seal number), its spectra thinned, with the blocks that version laid out."""
    import dataclasses  # noqa: PLC0415

    from forensic.report.layout import LAYOUT_VERSION, report_blocks  # noqa: PLC0415

    fixture = json.loads((Path(__file__).parent / "fixtures" / "report_layout_1.json").read_text())

    def laid_out(content):
        # leads_in, added with layout 7, is how its PDF paginates a paragraph; a report of an
        # earlier layout is paginated without it (the pages fixtures pin that)
        return [
            json.loads(
                json.dumps(
                    {k: v for k, v in dataclasses.asdict(b).items() if k != "leads_in"},
                    sort_keys=True,
                    default=repr,
                )
            )
            for b in report_blocks(content)
            if b.kind != "figure"
        ]

    assert "layout" not in fixture["content"]
    assert laid_out(fixture["content"]) == fixture["blocks"]
    # the same content laid out as today's reports are differs: the fixture pins something
    assert laid_out({**fixture["content"], "layout": LAYOUT_VERSION}) != fixture["blocks"]
