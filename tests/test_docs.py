"""The README, CONTRIBUTING.md and the guides under ``docs/`` link to each other: every relative
link must reach a file that is there and, with ``#anchor``, a heading of that file, as GitHub
makes the anchors of headings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]

_FENCE = re.compile(r"^ *(```|~~~)")
_LINK = re.compile(r"!?\[(?P<text>[^\]]*)\]\((?P<target>[^)\s]+)\)")


def _prose(text: str) -> list[tuple[int, str]]:
    """The lines of a markdown page outside fenced blocks, numbered from 1, with inline code
    taken out (a link written in code is not a link)."""
    lines, fenced = [], False
    for number, line in enumerate(text.splitlines(), start=1):
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            lines.append((number, re.sub(r"`[^`]*`", "", line)))
    return lines


def slug(heading: str) -> str:
    """GitHub's anchor of a heading's text: lower case, markdown marks and punctuation dropped
    (but ``-`` and ``_``), each space a ``-``."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link: its text
    text = text.replace("`", "").replace("*", "").lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """The anchors of ``page``'s headings; a repeated one gets ``-1``, ``-2``, ... as on GitHub."""
    seen: dict[str, int] = {}
    found = set()
    for _, line in _prose_with_code(page.read_text(encoding="utf-8")):
        heading = re.match(r"#{1,6} +(.*?)[ #]*$", line)
        if heading is None:
            continue
        base = slug(heading.group(1))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def _prose_with_code(text: str) -> list[tuple[int, str]]:
    """As ``_prose``, inline code kept: a heading's anchor holds what its code says."""
    lines, fenced = [], False
    for number, line in enumerate(text.splitlines(), start=1):
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            lines.append((number, line))
    return lines


def _links(page: Path) -> list[tuple[int, str, str]]:
    """Each relative link of ``page``: its line, its text and its target."""
    return [
        (number, found["text"], found["target"])
        for number, line in _prose(page.read_text(encoding="utf-8"))
        for found in _LINK.finditer(line)
        if not re.match(r"[a-z][a-z0-9+.-]*:", found["target"])  # http:, https:, mailto:
    ]


def test_the_slug_is_github_s():
    assert slug("Identification: how it works and how well") == (
        "identification-how-it-works-and-how-well"
    )
    assert slug("Validation gates (`forensic library validate`)") == (
        "validation-gates-forensic-library-validate"
    )
    assert slug("What the version is, and how a library file is checked") == (
        "what-the-version-is-and-how-a-library-file-is-checked"
    )
    assert slug("Set up: two commands") == "set-up-two-commands"


def test_a_repeated_heading_gets_a_number(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# Notes\n\n## Notes\n\n```\n# Notes\n```\n\n### Notes\n", encoding="utf-8")
    assert anchors(page) == {"notes", "notes-1", "notes-2"}  # not the line in code


def test_every_page_has_links_and_the_readme_lists_every_guide():
    assert all(_links(page) for page in PAGES)
    listed = {target.split("#")[0] for _, _, target in _links(ROOT / "README.md")}
    guides = {f"docs/{page.name}" for page in (ROOT / "docs").glob("*.md")}
    assert guides <= listed, f"not linked from the README: {sorted(guides - listed)}"
    assert "CONTRIBUTING.md" in listed


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_relative_link_reaches_a_file_and_a_heading(page):
    broken = []
    for number, text, target in _links(page):
        path, _, anchor = target.partition("#")
        reached = (page.parent / path).resolve() if path else page
        where = f"{page.relative_to(ROOT)} line {number}: [{text}]({target})"
        if not reached.exists():
            broken.append(f"{where}: no file {reached.relative_to(ROOT)}")
        elif anchor and anchor not in anchors(reached):
            broken.append(f"{where}: no heading #{anchor} in {reached.relative_to(ROOT)}")
    assert not broken, "\n".join(broken)


# A citation of a page's section in the code: ``(docs/identification.md, *Peak alignment*)``.
_CITATION = re.compile(
    r"(?P<page>README(?:\.md)?|docs/[\w-]+\.md|benchmarks/HISTORY\.md),\s+\*(?P<section>[^*]+)\*"
)


def test_the_code_cites_sections_that_are_there():
    """A docstring or comment that sends the reader to a section of the README, a guide or
    ``benchmarks/HISTORY.md`` names a heading that page has, so that moving text between them
    cannot leave a citation pointing at nothing."""
    sources = sorted(
        path
        for folder in ("forensic", "drivers", "benchmarks")
        for path in (ROOT / folder).rglob("*.py")
    )
    cited, stale = 0, []
    for path in sources:
        text = " ".join(path.read_text(encoding="utf-8").split())  # a citation may wrap
        for found in _CITATION.finditer(text):
            page = ROOT / (found["page"] if found["page"].endswith(".md") else "README.md")
            cited += 1
            if slug(found["section"]) not in anchors(page):
                stale.append(f"{path.relative_to(ROOT)}: {found.group(0)}")
    assert cited >= 4  # the identification and processing modules' citations, at least
    assert not stale, "cited sections that are not headings:\n" + "\n".join(stale)
