"""What changed between two versions of a library: snapshots and their diff
(``forensic library diff``)."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from forensic.curation.editing import removal_reasons
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

_RECORD_FIELDS = (
    "band_confidence",
    "y_unit",
    "y_unit_basis",
    "source_sha256",
    "imported_file",
    "imported_sha256",
)
"""The rest of what the version covers of each reference (:attr:`forensic.Library.version`):
a modelled one's band-table confidence, its unit, the reference file's hash and where a
measured one was imported from. Snapshots
written before they were kept lack them; a field is compared only where both sides have it."""

NOT_IN_VERSION = ("added_by", "added_at")
"""Fields a diff compares that the version does not cover: who added a reference and when
(the manifest's record of the library's own history; a compiled ``.flib`` does not keep
them). A diff marks their changes "not part of the version"; ``library info`` names those
made in a published folder since publication (:func:`record_edits`)."""

_NOT_IN_VERSION_MARK = " (not part of the version)"

_FIELD_WORDS = {
    "source_sha256": "reference file (sha256 of its bytes)",
    "imported_file": "imported from",
    "imported_sha256": "imported file (sha256)",
}


def snapshot(source: LibrarySource) -> dict[str, Any]:
    """Entry ids with their metadata and a hash of their library vector, and the version.

    The machine-readable form :func:`publish_library` keeps in ``release.json`` and
    :func:`diff_libraries` compares.

    Parameters
    ----------
    source : LibrarySource
        The library, as :func:`open_library` gives it; a folder is compiled (once) to take
        its library vectors, and its manifest gives ``added_by``, ``added_at`` and ``file``.

    Returns
    -------
    dict
        ``{"version": str, "hash_scheme": int, "pipelines": {modality: sha256 hex},
        "entries": {id: {"content": sha256 hex, <metadata fields>}}}``: everything the version
        covers, so that two snapshots of different versions always differ somewhere; and, for
        a folder whose manifest records removals (``forensic library remove``), ``"removals":
        {id: reason}`` (:func:`~forensic.curation.editing.removal_reasons`).
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
            # a library built before a field was kept has not got it: not compared then
            record.update({k: str(compiled[k] or "") for k in _RECORD_FIELDS if k in compiled})
            if compiled.get("stated"):  # said over the file at import: only where said
                record["stated"] = str(compiled["stated"])
            if compiled.get("inchikey"):  # only where the manifest gives one
                record["inchikey"] = str(compiled["inchikey"])
            record["content"] = _row_digest(block, row, modality)
            entries[entry["id"]] = record
    snap = {
        "version": library.version,
        "hash_scheme": library.hash_scheme,
        "pipelines": {
            m: hashlib.sha256(
                json.dumps(block.pipeline.to_dict(), sort_keys=True).encode()
            ).hexdigest()
            for m, block in sorted(library.blocks.items())
        },
        "entries": dict(sorted(entries.items())),
    }
    # why references were removed (library remove): not part of the version, quoted by a diff
    removals = removal_reasons(source.rows) if source.folder is not None else {}
    if removals:
        snap["removals"] = removals
    return snap


@dataclass
class LibraryDiff:
    """Differences between two libraries (or a library and its last published snapshot).

    Attributes
    ----------
    old_version, new_version : str
    added, removed : list of dict
        ``{"id", "name", "modality", "provenance"}`` per entry; a removed one has its
        ``"reason"`` too when ``forensic library remove`` recorded it, an added one its
        ``"stated"`` when the chemist stated something over its file at import (a unit, a
        laser wavelength).
    changed : list of dict
        ``{"id", "name", "modality", "changes": [str, ...]}``: each change in words
        (``"spectrum"`` when the library vector differs, else ``field: old -> new``; a
        field the version does not cover, :data:`NOT_IN_VERSION`, ends "(not part of the
        version)").
    library : list of str
        Changes of the library as a whole that change its version: the hash rule, a
        modality's pipeline; or, when the versions differ and neither record shows why,
        that they differ in what the older record does not keep.
    """

    old_version: str
    new_version: str
    added: list[dict[str, str]] = field(default_factory=list)
    removed: list[dict[str, str]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)
    library: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when nothing was added, removed or changed, in an entry or the library."""
        return not (self.added or self.removed or self.changed or self.library)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "old_version": self.old_version,
            "new_version": self.new_version,
            "added": self.added,
            "removed": self.removed,
            "changed": self.changed,
            "library": self.library,
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
        lines += [f"library: {change}" for change in self.library]
        if not (self.added or self.removed or self.changed):
            lines.append("no entry added, removed or changed")
            return "\n".join(lines)
        for title, items, sign in (("added", self.added, "+"), ("removed", self.removed, "-")):
            if items:
                lines.append(f"{title} ({len(items)}):")
                lines += [
                    f"  {sign} {e['id']}: {e['name']} ({e['modality']}, {e['provenance']})"
                    + (f": {e['reason']}" if e.get("reason") else "")
                    + (f"; stated over the file: {e['stated']}" if e.get("stated") else "")
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


def _short(value: str, limit: int = 60, *, tail: bool = False) -> str:
    value = str(value)
    if len(value) <= limit:
        return value
    # a path differs at its end: keep that
    return "..." + value[3 - limit :] if tail else value[: limit - 3] + "..."


def diff_snapshots(old: Mapping[str, Any], new: Mapping[str, Any]) -> LibraryDiff:
    """Compare two :func:`snapshot` dicts entry by entry (by id).

    Parameters
    ----------
    old : mapping
        The earlier snapshot, or a ``release.json`` record (a snapshot with publishing
        fields); an empty mapping when there is none, which makes every entry of ``new``
        added. A field an older record does not keep is not compared.
    new : mapping
        The later snapshot; it must have a ``version``.

    Returns
    -------
    LibraryDiff
        Entries added, removed and changed, each list sorted by id, and changes of the library
        as a whole (none when ``old`` has no entries or the versions are equal).
    """
    a, b = old.get("entries", {}), new.get("entries", {})
    result = LibraryDiff(old_version=str(old.get("version", "")), new_version=str(new["version"]))

    def brief(i: str, e: Mapping[str, Any]) -> dict[str, str]:
        return {
            "id": i,
            "name": e.get("name", ""),
            "modality": e.get("modality", ""),
            "provenance": e.get("provenance", ""),
        }

    result.added = [
        {**brief(i, b[i]), **({"stated": b[i]["stated"]} if b[i].get("stated") else {})}
        for i in sorted(set(b) - set(a))
    ]
    reasons = new.get("removals", {})
    result.removed = [
        {**brief(i, a[i]), **({"reason": reasons[i]} if i in reasons else {})}
        for i in sorted(set(a) - set(b))
    ]
    for i in sorted(set(a) & set(b)):
        changes = []
        if a[i].get("content") != b[i].get("content"):
            changes.append("spectrum (library vector differs)")
        for key in _SNAPSHOT_FIELDS:
            va, vb = a[i].get(key, ""), b[i].get(key, "")
            if va != vb and not (key in NOT_IN_VERSION and (not va or not vb)):
                mark = _NOT_IN_VERSION_MARK if key in NOT_IN_VERSION else ""
                changes.append(f"{key}: {_short(va)!r} -> {_short(vb)!r}{mark}")
        if a[i].get("stated", "") != b[i].get("stated", ""):
            changes.append(
                f"stated over the file: {a[i].get('stated', '')!r} -> {b[i]['stated']!r}"
                if b[i].get("stated")
                else "stated over the file: no longer"
            )
        if a[i].get("inchikey", "") != b[i].get("inchikey", ""):
            changes.append(
                f"inchikey: {a[i].get('inchikey', '')!r} -> {b[i].get('inchikey', '')!r}"
            )
        for key in _RECORD_FIELDS:
            if key in a[i] and key in b[i] and a[i][key] != b[i][key]:
                words = _FIELD_WORDS.get(key, key)
                va, vb = a[i][key], b[i][key]
                if key.endswith("sha256"):
                    va, vb = va[:12], vb[:12]
                tail = key == "imported_file"
                changes.append(f"{words}: {_short(va, tail=tail)!r} -> {_short(vb, tail=tail)!r}")
        if changes:
            result.changed.append({**brief(i, b[i]), "changes": changes})
    result.library = _library_changes(old, new, result)
    return result


def _library_changes(old: Mapping[str, Any], new: Mapping[str, Any], diff: LibraryDiff) -> list:
    if not old.get("entries") or diff.old_version == diff.new_version:
        return []
    changes = []
    # a snapshot without the field was made under hash rule 1 (before the rule was recorded)
    rule_a, rule_b = old.get("hash_scheme", 1), new.get("hash_scheme", 1)
    if rule_a != rule_b:
        changes.append(
            f"hash rule {rule_a} -> {rule_b}: the version is computed by another rule, so it "
            "differs even where the references do not (rule 2 takes the references in a "
            "canonical order and covers where measured ones were imported from)"
        )
    pipes_a, pipes_b = old.get("pipelines"), new.get("pipelines")
    if pipes_a is not None and pipes_b is not None:
        for m in sorted(set(pipes_a) | set(pipes_b)):
            if pipes_a.get(m) != pipes_b.get(m):
                changes.append(f"{m} preprocessing pipeline differs")
    if not changes and not (diff.added or diff.removed or diff.changed):
        changes.append(
            "the versions differ, but nothing either record keeps does: the difference is in "
            "what the older record does not keep (reference file hashes, units, pipelines); "
            "diff the two compiled .flib files to see it"
        )
    return changes


def diff_libraries(
    old: str | os.PathLike | LibrarySource, new: str | os.PathLike | LibrarySource
) -> LibraryDiff:
    """Added, removed and changed entries (by id) between two libraries (folders or ``.flib``).

    A change is a different library vector (the spectrum, as the search sees it) or a different
    metadata field. Both versions are given. ``added_by``/``added_at`` are compared only when
    both sides have them (a ``.flib`` does not keep them), and are marked as not part of the
    version (:data:`NOT_IN_VERSION`): two folders that differ only there are one version.

    Parameters
    ----------
    old, new : str, path-like or LibrarySource
        The two libraries, each a library folder, a compiled ``.flib`` or one already opened
        (:func:`open_library`); a folder is compiled to compare its library vectors.

    Returns
    -------
    LibraryDiff
        What changed from ``old`` to ``new``.

    Raises
    ------
    LibraryError
        When a path is neither a library folder nor a library file (:func:`open_library`).
    """
    a = old if isinstance(old, LibrarySource) else open_library(old)
    b = new if isinstance(new, LibrarySource) else open_library(new)
    return diff_snapshots(snapshot(a), snapshot(b))


def record_edits(record: Mapping[str, Any], rows: list[Mapping[str, str]]) -> list[str]:
    """The fields outside the version (:data:`NOT_IN_VERSION`) that a folder's manifest no
    longer gives as its published record gives them: who added a reference and when, edited
    after publication (the version cannot show it).

    Parameters
    ----------
    record : mapping
        The folder's ``release.json`` (a :func:`snapshot` with publishing fields).
    rows : list of mapping
        The folder's manifest rows.

    Returns
    -------
    list of str
        ``id: field: 'published' -> 'now'`` per edit, by id; empty when the record keeps
        none of the fields, or nothing was edited. An entry added or removed since is the
        version's business, not listed here.
    """
    published = record.get("entries") or {}
    edits = []
    for row in sorted(rows, key=lambda r: r.get("id", "")):
        then = published.get(row.get("id", ""))
        if not isinstance(then, Mapping):
            continue
        for key in NOT_IN_VERSION:
            if key in then and str(then[key] or "") != str(row.get(key) or ""):
                edits.append(f"{row['id']}: {key}: {then[key]!r} -> {row.get(key) or ''!r}")
    return edits
