"""The manifest of a library folder: ``manifest.csv``, one row per reference.

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

from forensic.errors import LibraryError
from forensic.io import atomic_write_bytes
from forensic.library import reference_order_key

MANIFEST_COLUMNS = [
    "id",
    "file",
    "name",
    "synonyms",
    "cas",
    "class",
    "legal_control",
    "salt_form",
    "modality",
    "provenance",
    "source",
    "licence",
    "added_by",
    "added_at",
]
"""The columns of a library manifest, in order (``file`` relative to the manifest)."""

OPTIONAL_FIELDS = ("synonyms", "legal_control", "salt_form")
"""Manifest fields a reference may leave empty."""

REQUIRED_FIELDS = tuple(c for c in MANIFEST_COLUMNS if c not in OPTIONAL_FIELDS)
"""Manifest fields every reference must fill: every column but :data:`OPTIONAL_FIELDS`."""


def read_manifest(
    path: str | os.PathLike, *, required: Sequence[str] = ("file", "name")
) -> list[dict[str, str]]:
    """Rows of a manifest CSV, in file order, with every column of :data:`MANIFEST_COLUMNS`.

    Parameters
    ----------
    path : path-like
        The CSV (UTF-8, a header line with the column names; extra columns are kept).
    required : sequence of str
        Columns that must be present in the header and non-empty on every row.

    Returns
    -------
    list of dict of str to str
        Values stripped; missing columns as ``""``; the keys :data:`MANIFEST_COLUMNS` in
        order, then the file's other columns in its order (:func:`format_manifest` writes
        them back).

    Raises
    ------
    LibraryError
        Missing file or column, an empty required value (with its line), undecodable text.
    """
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            fields = [f for f in (reader.fieldnames or []) if f]
            missing = [c for c in required if c not in fields]
            if missing:
                raise LibraryError(
                    f"{path}: manifest lacks the column(s) {', '.join(missing)} "
                    f"(found: {', '.join(fields) or 'none'})"
                )
            rows = []
            for line, raw in enumerate(reader, start=2):
                row = {c: "" for c in MANIFEST_COLUMNS}
                row.update({k: (v or "").strip() for k, v in raw.items() if k})
                empty = [c for c in required if not row.get(c)]
                if empty:  # "empty file" would read as a file with nothing in it
                    raise LibraryError(
                        f"{path}: line {line}: empty column"
                        + ("s " if len(empty) > 1 else " ")
                        + ", ".join(repr(c) for c in empty)
                    )
                rows.append(row)
            return rows
    except FileNotFoundError:
        raise LibraryError(f"{path}: no such manifest") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise LibraryError(f"{path}: unreadable manifest ({exc})") from None


def _row_order(row: Mapping[str, str]) -> tuple[str, str, str]:
    # the order a library holds its references in (and tools/model_library.py writes: a
    # regenerated manifest then does not differ)
    return reference_order_key(row.get("modality", ""), row.get("name", ""), row.get("id", ""))


def format_manifest(rows: Iterable[Mapping[str, str]]) -> str:
    """Manifest CSV text of ``rows``, sorted by modality, name and id.

    Parameters
    ----------
    rows : iterable of mapping of str to str
        Manifest rows, as :func:`read_manifest` gives them.

    Returns
    -------
    str
        The CSV: :data:`MANIFEST_COLUMNS`, then the lab's own columns (notes, internal codes)
        in the order the rows first hold them, so that rewriting a manifest keeps them; a
        row without one has an empty cell. Without such columns, the header is exactly
        :data:`MANIFEST_COLUMNS`, as the shipped library's is.
    """
    rows = list(rows)
    extra = list(dict.fromkeys(k for row in rows for k in row if k and k not in MANIFEST_COLUMNS))
    columns = MANIFEST_COLUMNS + extra
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in sorted(rows, key=_row_order):
        writer.writerow({c: row.get(c, "") or "" for c in columns})
    return buffer.getvalue()


def write_manifest(path: str | os.PathLike, rows: Iterable[Mapping[str, str]]) -> Path:
    """Write ``rows`` as a manifest, atomically (see :func:`format_manifest`: the lab's own
    columns are kept)."""
    return atomic_write_bytes(path, format_manifest(rows).encode("utf-8"), overwrite=True)


def cas_is_valid(cas: str) -> bool:
    """Whether ``cas`` is a CAS Registry Number with a correct check digit (e.g. ``58-08-2``)."""
    match = re.fullmatch(r"(\d{2,7})-(\d{2})-(\d)", cas.strip())
    if not match:
        return False
    digits = (match.group(1) + match.group(2))[::-1]
    total = sum((i + 1) * int(d) for i, d in enumerate(digits))
    return total % 10 == int(match.group(3))


def cas_key(cas: str) -> str:
    """The key that makes two spellings of a CAS number the same number: its digits without
    leading zeros (``0058-08-2`` and ``58082`` are ``58082``); ``""`` for no digits."""
    return re.sub(r"\D", "", str(cas)).lstrip("0")


ID_RULE = "letters, digits, '-', '_' and '.', starting with a letter or digit"
"""What an entry id may hold (:func:`id_problem`), in words for a message."""

_SAFE_ID = re.compile(r"[^\W_][\w.-]*")


def id_problem(entry_id: str) -> str | None:
    """Why ``entry_id`` cannot name a reference, or None when it can.

    An id is also the reference's file name (``<modality>/<id>.jdx``): a ``/`` or ``..`` in
    it would write the file outside the library folder or over another reference's, and a
    space or comma makes a file name a shell command or a CSV cell breaks. An id is
    therefore :data:`ID_RULE` (letters of every script: ids are made from names).

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
