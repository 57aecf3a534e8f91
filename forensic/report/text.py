"""The plain-text rendering of a report (same blocks as the PDF)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from forensic.report.layout import (
    MARKED_BREAKS,
    TEXT_KEY_CHARS,
    WHOLE_HASHES,
    WIDTH_MEASURED,
    cells,
    figure_title,
    format_table,
    report_blocks,
    wrap,
    wrap_to_width,
)

__all__ = ["render_text"]

WIDTH = 100


def render_text(content: Mapping[str, Any]) -> str:
    """The report as plain text: the blocks the PDF draws (:func:`report_blocks`), in order.

    Paragraphs, key-value lists and tables are wrapped to 100 characters (a long word broken
    as the content's layout version breaks it: :data:`MARKED_BREAKS`, a hash as
    :data:`WHOLE_HASHES` does; a table's columns shrink to 6 characters at the least); the
    title, headings, banners and the verdict are one line each, whatever their length, and so,
    before layout :data:`WHOLE_HASHES`, are the notes that stand for the PDF's figure and QR
    code (the latter then holds the 64-digit content hash). From that layout on a key-value
    list's keys take at most :data:`~forensic.report.layout.TEXT_KEY_CHARS` characters,
    wrapping beside their value, so that a SHA-256 fits whole beside any key. From layout
    :data:`~forensic.report.layout.WIDTH_MEASURED` on, lines are measured in the cells a
    terminal gives their characters (:func:`~forensic.report.layout.cells`: two for a Chinese
    character), so that a table's columns stay under their headings.

    Parameters
    ----------
    content : mapping
        The signed content (:func:`~forensic.report.content.build_report_content`, or as
        read from a report's JSON).

    Returns
    -------
    str
        The text, lines ending in a newline, to be written as UTF-8; a forced report (its
        chain did not verify) says so under its title and on its last line.
    """
    lines: list[str] = []
    banner = content["verification"]["forced"]
    # a word too long for its line broken after a hyphen or slash, or marked (MARKED_BREAKS)
    marked = content.get("layout", 1) >= MARKED_BREAKS
    # a hash never broken with a mark, given room beside its key (WHOLE_HASHES)
    hashes = content.get("layout", 1) >= WHOLE_HASHES
    # lines measured in the cells their characters take (WIDTH_MEASURED), else counted
    measure = cells if content.get("layout", 1) >= WIDTH_MEASURED else None

    def wrapped(
        text: str, width: int, *, marked: bool = marked, hashes: bool = hashes
    ) -> list[str]:
        if measure is None:
            return wrap(text, width, marked=marked, hashes=hashes)
        return wrap_to_width(text, width, measure, marked=marked, hashes=hashes)

    def padded(text: str, width: int) -> str:
        return text + " " * max(0, width - (len(text) if measure is None else measure(text)))

    for block in report_blocks(content):
        if block.kind == "title":
            lines += [block.text.upper(), "=" * len(block.text)]
        elif block.kind == "banner":
            lines += ["", "!" * WIDTH, block.text, "!" * WIDTH]
        elif block.kind == "heading":
            lines += ["", block.text, "-" * len(block.text)]
        elif block.kind == "verdict":
            lines += ["", ">>> " + block.text + " <<<", ""]
        elif block.kind == "para":
            lines += wrapped(block.text, WIDTH)
        elif block.kind == "kv":
            key_width = max((measure or len)(k) for k, _ in block.items) + 2
            if hashes:
                key_width = min(key_width, TEXT_KEY_CHARS)
            for key, value in block.items:
                chunks = wrapped(str(value), WIDTH - key_width)
                if not hashes:
                    lines.append(f"{key + ':':<{key_width}}{chunks[0]}")
                    lines += [" " * key_width + chunk for chunk in chunks[1:]]
                    continue
                keys = wrapped(key + ":", key_width - 1, marked=True, hashes=False) if key else [""]
                for index in range(max(len(keys), len(chunks))):
                    key_line = keys[index] if index < len(keys) else ""
                    chunk = chunks[index] if index < len(chunks) else ""
                    lines.append(f"{padded(key_line, key_width)}{chunk}".rstrip())
        elif block.kind == "table":
            lines += format_table(
                block.headers,
                block.items,
                WIDTH,
                block.keep,
                marked=marked,
                hashes=hashes,
                measure=measure,
            )
        elif block.kind == "figure":
            said = f"[figure in the PDF: {figure_title(block.data).lower()}, residual]"
            lines += wrapped(said, WIDTH, marked=True, hashes=False) if hashes else [said]
        elif block.kind == "qr":
            lines.append(
                "[QR code in the PDF holding the report content SHA-256, as under Integrity]"
                if hashes
                else f"[QR code in the PDF holding the content SHA-256 {block.data}]"
            )
        elif block.kind == "end":
            lines += ["", block.text]
    if banner:
        lines.append("UNVERIFIED CHAIN OF CUSTODY: this report was forced")
    return "\n".join(lines) + "\n"
