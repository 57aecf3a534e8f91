"""Reports from the evidence store: PDF (matplotlib), JSON and plain text of the same content."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from forensic.report.content import (
        UnverifiedChainError,
        build_report_content,
        check_report_json,
        report_content_hash,
    )
    from forensic.report.issue import IssuedReport, issue_report, render_json
    from forensic.report.pdf import render_pdf
    from forensic.report.text import render_text

# Imported on first use, not with the package: the PDF rendering imports matplotlib (most of a
# second), and a module that imports one of the others (forensic.report.content, say) loads this
# package first; a screen that only says a verdict needs none of it (forensic.verdict does that).
_LAZY = {
    "UnverifiedChainError": "forensic.report.content",
    "build_report_content": "forensic.report.content",
    "check_report_json": "forensic.report.content",
    "report_content_hash": "forensic.report.content",
    "IssuedReport": "forensic.report.issue",
    "issue_report": "forensic.report.issue",
    "render_json": "forensic.report.issue",
    "render_pdf": "forensic.report.pdf",
    "render_text": "forensic.report.text",
}


def __getattr__(name: str):
    import importlib  # noqa: PLC0415

    if name not in _LAZY:
        raise AttributeError(f"module 'forensic.report' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


__all__ = [
    "IssuedReport",
    "UnverifiedChainError",
    "build_report_content",
    "check_report_json",
    "issue_report",
    "render_json",
    "render_pdf",
    "render_text",
    "report_content_hash",
]
