"""What changed between two versions of a library: snapshots and their diff
(``forensic library diff``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from forensic.curation.source import (
    _LISTED,
    LibrarySource,
    _entry_from_compiled,
    _listed,
    open_library,
)
from forensic.curation.validation import _row_digest

_SNAPSHOT_FIELDS = tuple(f for f in _LISTED if f != "id")
"""The fields a snapshot keeps of each reference: the listed ones, the id being its key."""


def snapshot(source: LibrarySource) -> dict[str, Any]:
    """Entry ids with their metadata and a hash of their library vector, and the version.

    The machine-readable form :func:`publish_library` keeps in ``release.json`` and
    :func:`diff_libraries` compares.

    Returns
    -------
    dict
        ``{"version": str, "entries": {id: {"content": sha256 hex, <metadata fields>}}}``.
    """
    library = source.library()
    rows = {r["id"]: r for r in source.rows}
    entries: dict[str, dict[str, Any]] = {}
    for modality, block in sorted(library.blocks.items()):
        for row in range(len(block)):
            compiled = library.entry(modality, row)
            entry = _entry_from_compiled(compiled)
            if entry["id"] in rows:
                manifest = _listed(rows[entry["id"]])
                for key in ("added_by", "added_at", "file"):
                    entry[key] = manifest[key] or entry[key]
            record = {k: entry[k] for k in _SNAPSHOT_FIELDS}
            record["synonyms"] = ";".join(entry["synonyms"])
            record["content"] = _row_digest(block, row, modality)
            entries[entry["id"]] = record
    return {"version": library.version, "entries": dict(sorted(entries.items()))}


@dataclass
class LibraryDiff:
    """Differences between two libraries (or a library and its last published snapshot).

    Attributes
    ----------
    old_version, new_version : str
    added, removed : list of dict
        ``{"id", "name", "modality", "provenance"}`` per entry.
    changed : list of dict
        ``{"id", "name", "modality", "changes": [str, ...]}``: each change in words
        (``"spectrum"`` when the library vector differs, else ``field: old -> new``).
    """

    old_version: str
    new_version: str
    added: list[dict[str, str]] = field(default_factory=list)
    removed: list[dict[str, str]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when nothing was added, removed or changed."""
        return not (self.added or self.removed or self.changed)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "old_version": self.old_version,
            "new_version": self.new_version,
            "added": self.added,
            "removed": self.removed,
            "changed": self.changed,
        }

    def format(self, old_label: str = "old", new_label: str = "new") -> str:
        """Readable text: both versions, then added, removed and changed entries."""
        lines = [
            f"{old_label}: version {self.old_version}",
            f"{new_label}: version {self.new_version}",
        ]
        if self.empty:
            lines.append("no entry added, removed or changed")
            return "\n".join(lines)
        for title, items, sign in (("added", self.added, "+"), ("removed", self.removed, "-")):
            if items:
                lines.append(f"{title} ({len(items)}):")
                lines += [
                    f"  {sign} {e['id']}: {e['name']} ({e['modality']}, {e['provenance']})"
                    for e in items
                ]
        if self.changed:
            lines.append(f"changed ({len(self.changed)}):")
            for e in self.changed:
                lines.append(f"  ~ {e['id']}: {e['name']} ({e['modality']})")
                lines += [f"      {c}" for c in e["changes"]]
        lines.append(
            f"{len(self.added)} added, {len(self.removed)} removed, {len(self.changed)} changed"
        )
        return "\n".join(lines)


def _short(value: str, limit: int = 60) -> str:
    value = str(value)
    return value if len(value) <= limit else value[: limit - 3] + "..."


def diff_snapshots(old: Mapping[str, Any], new: Mapping[str, Any]) -> LibraryDiff:
    """Compare two :func:`snapshot` dicts entry by entry (by id)."""
    a, b = old.get("entries", {}), new.get("entries", {})
    result = LibraryDiff(old_version=str(old.get("version", "")), new_version=str(new["version"]))

    def brief(i: str, e: Mapping[str, Any]) -> dict[str, str]:
        return {
            "id": i,
            "name": e.get("name", ""),
            "modality": e.get("modality", ""),
            "provenance": e.get("provenance", ""),
        }

    result.added = [brief(i, b[i]) for i in sorted(set(b) - set(a))]
    result.removed = [brief(i, a[i]) for i in sorted(set(a) - set(b))]
    for i in sorted(set(a) & set(b)):
        changes = []
        if a[i].get("content") != b[i].get("content"):
            changes.append("spectrum (library vector differs)")
        for key in _SNAPSHOT_FIELDS:
            va, vb = a[i].get(key, ""), b[i].get(key, "")
            if va != vb and not (key in ("added_by", "added_at") and (not va or not vb)):
                changes.append(f"{key}: {_short(va)!r} -> {_short(vb)!r}")
        if changes:
            result.changed.append({**brief(i, b[i]), "changes": changes})
    return result


def diff_libraries(
    old: str | os.PathLike | LibrarySource, new: str | os.PathLike | LibrarySource
) -> LibraryDiff:
    """Added, removed and changed entries (by id) between two libraries (folders or ``.flib``).

    A change is a different library vector (the spectrum, as the search sees it) or a different
    metadata field. Both versions are given. ``added_by``/``added_at`` are compared only when
    both sides have them (a ``.flib`` does not keep them).
    """
    a = old if isinstance(old, LibrarySource) else open_library(old)
    b = new if isinstance(new, LibrarySource) else open_library(new)
    return diff_snapshots(snapshot(a), snapshot(b))
