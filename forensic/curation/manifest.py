"""The manifest of a library folder: ``manifest.csv``, one row per reference.

Its columns and its reader are :mod:`forensic.manifest`'s (building a library reads it too);
here is what curation adds: writing it back, and the rules for its CAS numbers and ids.

The columns (:data:`MANIFEST_COLUMNS`) are what a chemist reviews in a diff: identity (name,
synonyms, CAS, class, legal control, salt form), modality, provenance (one of
:data:`forensic.spectrum.PROVENANCES`), source and licence, and who added the reference when.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from forensic.files import atomic_write_bytes
from forensic.library import reference_order_key
from forensic.manifest import (  # the columns and the one reader live below the core
    MANIFEST_COLUMNS,
    OPTIONAL_FIELDS,
    REQUIRED_FIELDS,
    WRITTEN_WHEN_FILLED,
    read_manifest,
)

__all__ = [
    "ID_RULE",
    "MANIFEST_COLUMNS",
    "OPTIONAL_FIELDS",
    "REQUIRED_FIELDS",
    "cas_check_digit",
    "cas_is_valid",
    "cas_key",
    "cas_problem",
    "comment_line",
    "format_manifest",
    "id_problem",
    "read_manifest",
    "write_manifest",
]


def _row_order(row: Mapping[str, str]) -> tuple[str, str, str]:
    # the order a library holds its references in (and tools/model_library.py writes: a
    # regenerated manifest then does not differ)
    return reference_order_key(row.get("modality", ""), row.get("name", ""), row.get("id", ""))


def format_manifest(
    rows: Iterable[Mapping[str, str]],
    *,
    header_comments: Sequence[str] | None = None,
    closing_comments: Sequence[str] | None = None,
) -> str:
    """Manifest CSV text of ``rows``, sorted by modality, name and id, with their comments.

    Parameters
    ----------
    rows : iterable of mapping of str to str
        Manifest rows, as :func:`read_manifest` gives them: a row's ``comments`` (the note
        lines above it, :class:`~forensic.manifest.ManifestRow`) are written above it, so a
        note moves with its row when the rows are sorted.
    header_comments, closing_comments : sequence of str, optional
        Comment lines (CSV text, first cell starting with ``#``) to write above the header and
        after the last row; by default those of ``rows`` when it is what
        :func:`read_manifest` gave (:class:`~forensic.manifest.ManifestRows`), else none.

    Returns
    -------
    str
        The CSV: :data:`MANIFEST_COLUMNS`, then the lab's own columns (notes, internal codes)
        in the order the rows first hold them, so that rewriting a manifest keeps them; a
        row without one has an empty cell. A column of
        :data:`~forensic.manifest.WRITTEN_WHEN_FILLED` (``inchikey``) that no row fills is
        left out, so that the shipped library's manifest, written before it, is written
        back as it is.
    """
    if header_comments is None:
        header_comments = getattr(rows, "header_comments", ())
    if closing_comments is None:
        closing_comments = getattr(rows, "closing_comments", ())
    rows = list(rows)
    extra = list(dict.fromkeys(k for row in rows for k in row if k and k not in MANIFEST_COLUMNS))
    unfilled = {c for c in WRITTEN_WHEN_FILLED if not any(row.get(c) for row in rows)}
    columns = [c for c in MANIFEST_COLUMNS if c not in unfilled] + extra
    buffer = io.StringIO()
    buffer.writelines(f"{line}\n" for line in header_comments)
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in sorted(rows, key=_row_order):
        buffer.writelines(f"{line}\n" for line in getattr(row, "comments", ()))
        writer.writerow({c: row.get(c, "") or "" for c in columns})
    buffer.writelines(f"{line}\n" for line in closing_comments)
    return buffer.getvalue()


def write_manifest(
    path: str | os.PathLike,
    rows: Iterable[Mapping[str, str]],
    *,
    header_comments: Sequence[str] | None = None,
    closing_comments: Sequence[str] | None = None,
) -> Path:
    """Write ``rows`` as a manifest, atomically: a reader never sees half a file.

    Parameters
    ----------
    path : str or path-like
        The ``manifest.csv`` to write; an existing file is replaced, missing folders are
        created.
    rows : iterable of mapping of str to str
        Manifest rows, as :func:`read_manifest` gives them; written as
        :func:`format_manifest` formats them (sorted, the lab's own columns and each row's
        comment lines kept).
    header_comments, closing_comments : sequence of str, optional
        Comment lines above the header and after the last row, as :func:`format_manifest`
        takes them (by default those of ``rows`` when :func:`read_manifest` gave it).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    forensic.files.OutputError
        When ``path`` is a folder or the file cannot be written there.
    """
    text = format_manifest(rows, header_comments=header_comments, closing_comments=closing_comments)
    return atomic_write_bytes(path, text.encode("utf-8"), overwrite=True)


def comment_line(text: str) -> str:
    """A manifest comment line saying ``text``: ``# text`` as one CSV cell.

    What a tool records in a manifest for the chemist who reviews it in a diff (a reference
    removed or renamed, by whom, when and why): :func:`read_manifest` reads it back as a
    comment (its first cell starts with ``#``), whatever commas or quotes ``text`` holds.

    Parameters
    ----------
    text : str
        What to say, on one line (runs of white space, line breaks too, become one space).

    Returns
    -------
    str
        The CSV text of the line, without its line end.
    """
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(["# " + " ".join(str(text).split())])
    return buffer.getvalue()


def cas_is_valid(cas: str) -> bool:
    """Whether ``cas`` is a CAS Registry Number with a correct check digit (e.g. ``58-08-2``).

    Parameters
    ----------
    cas : str
        The number as written: 2 to 7 digits, 2 digits and the check digit, joined by
        hyphens; white space around it is ignored.

    Returns
    -------
    bool
        True when it has that form and its last digit is the check digit: the sum of the
        other digits, each times its place counted from the right (1, 2, ...), modulo 10.
        False otherwise (another form, such as ``58082``, is never valid here).
    """
    expected = cas_check_digit(cas)
    return expected is not None and int(cas.strip()[-1]) == expected


def cas_check_digit(cas: str) -> int | None:
    """The check digit a CAS Registry Number of this form should end with.

    Parameters
    ----------
    cas : str
        The number as written (``1246816-62-0``): 2 to 7 digits, 2 digits and a digit,
        joined by hyphens; white space around it is ignored.

    Returns
    -------
    int or None
        The sum of the digits before the last, each times its place counted from the right
        (1, 2, ...), modulo 10; None when ``cas`` does not have that form.
    """
    match = re.fullmatch(r"(\d{2,7})-(\d{2})-(\d)", str(cas).strip())
    if not match:
        return None
    digits = (match.group(1) + match.group(2))[::-1]
    return sum((i + 1) * int(d) for i, d in enumerate(digits)) % 10


def cas_problem(cas: str) -> str | None:
    """What is wrong with a CAS Registry Number, or None when it is valid
    (:func:`cas_is_valid`).

    Parameters
    ----------
    cas : str
        The number as written.

    Returns
    -------
    str or None
        ``CAS number '1246816-62-0' fails its check digit: a number 1246816-62-... ends
        in 4, not 0 (a digit mistyped or two swapped)``, naming the check digit the other
        digits give; or, for another form, the form expected (``58-08-2``).
    """
    text = str(cas).strip()
    expected = cas_check_digit(text)
    if expected is None:
        return (
            f"CAS number {text!r} is not one: a CAS Registry Number is 2 to 7 digits, 2 "
            "digits and the check digit, joined by hyphens (58-08-2)"
        )
    if int(text[-1]) == expected:
        return None
    return (
        f"CAS number {text!r} fails its check digit: a number {text[:-1]}... ends in "
        f"{expected}, not {text[-1]} (a digit mistyped or two swapped; check it at its source)"
    )


def cas_key(cas: str) -> str:
    """The key that makes two spellings of a CAS number the same number.

    Parameters
    ----------
    cas : str
        A CAS number in any spelling (hyphens, spaces or leading zeros or not); its check
        digit is not checked (:func:`cas_is_valid` does that).

    Returns
    -------
    str
        Its digits without leading zeros (``0058-08-2`` and ``58082`` are ``58082``); ``""``
        when it holds no digit other than zeros.
    """
    return re.sub(r"\D", "", str(cas)).lstrip("0")


ID_RULE = "ASCII letters (a-z, A-Z), digits, '-', '_' and '.', starting with a letter or digit"
"""What an entry id may hold (:func:`id_problem`), in words for a message."""

_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def id_problem(entry_id: str) -> str | None:
    """Why ``entry_id`` cannot name a reference, or None when it can.

    An id is also the reference's file name (``<modality>/<id>.jdx``): a ``/`` or ``..`` in
    it would write the file outside the library folder or over another reference's, and a
    space or comma makes a file name a shell command or a CSV cell breaks. Results and
    reports cite it, and a reader types it back from paper: a letter of another script
    that prints like a Latin one (a Cyrillic с in ``сocaine-hcl-ir``) would make two ids
    that print alike. An id is therefore :data:`ID_RULE` (an import makes one from a name
    of any script in ASCII letters).

    Parameters
    ----------
    entry_id : str
        The id stated (``--id``, or a manifest's ``id`` column).

    Returns
    -------
    str or None
        What is wrong with it, naming it and what is allowed.
    """
    if _SAFE_ID.fullmatch(entry_id):
        return None
    return f"id {entry_id!r} is not allowed: an id (also its file name) is {ID_RULE}"
