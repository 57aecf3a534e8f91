"""Reports from the evidence store: PDF (matplotlib), JSON and plain text of the same content."""

from forensic.report.content import (
    UnverifiedChainError,
    build_report_content,
    check_report_json,
    report_content_hash,
)
from forensic.report.issue import IssuedReport, issue_report, render_json
from forensic.report.pdf import render_pdf
from forensic.report.text import render_text

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
