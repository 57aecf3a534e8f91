"""Issue a report: build its content, render it, record it in the chain, write the files."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from forensic.custody import chain
from forensic.custody.store import PDF_MEDIA_TYPE, Store
from forensic.errors import ForensicError
from forensic.io import OutputError, atomic_write_bytes, check_writable
from forensic.report.content import build_report_content, render_json
from forensic.report.pdf import render_pdf
from forensic.report.text import render_text

__all__ = ["IssuedReport", "issue_report", "render_json"]


@dataclass(frozen=True)
class IssuedReport:
    """A report that was issued: its content, the PDF bytes and the chained record."""

    content: dict[str, Any]
    pdf: bytes
    record: dict[str, Any]
    paths: tuple[Path, ...]

    @property
    def pdf_sha256(self) -> str:
        """SHA-256 of the PDF file as written."""
        return chain.sha256_hex(self.pdf)


def issue_report(
    store: Store,
    case_number: str,
    item_number: str | None = None,
    *,
    operator: str,
    pdf_path: str | os.PathLike | None = None,
    json_path: str | os.PathLike | None = None,
    text_path: str | os.PathLike | None = None,
    force: bool = False,
    overwrite: bool = False,
    unit: str | None = None,
    location: str | None = None,
) -> IssuedReport:
    """Build, sign, record and write a report (PDF, and optionally JSON and plain text).

    The report record (content hash, PDF hash, the content itself) joins the chain before the
    files are written, so every report in circulation is on record; the PDF bytes are kept in
    the store as well, for bundles.

    Raises
    ------
    UnverifiedChainError
        The exhibit's chain does not verify and ``force`` is false.
    OutputExistsError
        An output file exists and ``overwrite`` is false (checked before anything is recorded).
    """
    for path in (pdf_path, json_path, text_path):
        if path is not None:  # before the report is recorded
            check_writable(path, overwrite=overwrite)
    content = build_report_content(
        store,
        case_number,
        item_number,
        issued_by=operator,
        unit=unit,
        location=location,
        force=force,
    )
    pdf = render_pdf(content)
    with store.transaction():
        pdf_sha256 = store.put_blob(pdf, PDF_MEDIA_TYPE)
        record = store.append(
            "reports",
            {
                "case_number": case_number,
                "item_number": item_number,
                "report_id": content["report_id"],
                "content_sha256": content["content_sha256"],
                "pdf_sha256": pdf_sha256,
                "content_json": chain.canonical_text(content),
                "issued_by": content["signature"]["signed_by"],
                "issued_at": content["dates"]["issued"],
                "forced": content["verification"]["forced"],
            },
            operator=operator,
        )
    written = []
    try:
        if pdf_path is not None:
            written.append(atomic_write_bytes(pdf_path, pdf, overwrite=overwrite))
        if json_path is not None:
            written.append(
                atomic_write_bytes(json_path, render_json(content).encode(), overwrite=overwrite)
            )
        if text_path is not None:
            written.append(
                atomic_write_bytes(text_path, render_text(content).encode(), overwrite=overwrite)
            )
    except ForensicError as exc:  # the disk filled or went away since the check above
        raise OutputError(
            f"report {content['report_id']} is recorded (record #{record['seq']}, its PDF kept "
            f"in the store), but {exc}; issue it again with 'forensic report'"
        ) from exc
    return IssuedReport(content, pdf, record, tuple(written))
