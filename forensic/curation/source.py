"""Opening a library for curation: a folder with ``manifest.csv``, or a compiled ``.flib``.

:class:`LibrarySource` says which it is and holds what was read; :func:`list_entries` and
:func:`library_info` answer the same questions of either.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from forensic.curation.manifest import MANIFEST_COLUMNS, read_manifest
from forensic.errors import LibraryError
from forensic.library import FILE_SUFFIX, NOT_PUBLISHED, Library, substance_key
from forensic.library_folders import shipped_library
from forensic.manifest import ManifestRow
from forensic.verdict import Q_IDENTIFIED, Calibration

RELEASE_FILE = "release.json"
"""A library folder's record of its last published version (``forensic library publish``)."""


def _shipped_dir() -> Path:
    from spectral_library import LIBRARY_DIR  # noqa: PLC0415  (data package, found late)

    return Path(LIBRARY_DIR).resolve()


@dataclass
class LibrarySource:
    """A library to curate: a folder of reference files with its manifest, or a ``.flib``.

    Attributes
    ----------
    path : Path
        What was given (folder or compiled file).
    folder : Path or None
        The folder of reference files; None for a compiled file.
    rows : list of ManifestRow
        Manifest rows, each with its ``line`` (empty for a compiled file).
    """

    path: Path
    folder: Path | None
    rows: list[ManifestRow]
    _library: Library | None = None

    @property
    def is_folder(self) -> bool:
        """True for a folder of reference files, False for a compiled ``.flib``."""
        return self.folder is not None

    @property
    def manifest(self) -> Path | None:
        """The folder's ``manifest.csv`` (None for a compiled file)."""
        return None if self.folder is None else self.folder / "manifest.csv"

    @property
    def is_shipped(self) -> bool:
        """Whether this is the library shipped with the toolkit."""
        return self.folder is not None and self.folder == _shipped_dir()

    def library(self) -> Library:
        """The compiled library (built once; the shipped one comes from its cache)."""
        if self._library is None:
            if self.folder is None:
                self._library = Library.load(self.path)
            elif self.is_shipped:
                self._library = shipped_library()
            else:
                # the version hash does not depend on the q-value calibration: skip it here;
                # the references are those identify and build take (Library.from_folder)
                self._library = Library.from_folder(
                    self.folder, calibrate=False, name=self.folder.name
                )
        return self._library

    def file_of(self, row: Mapping[str, str]) -> Path:
        """The reference file of a manifest row."""
        assert self.folder is not None  # internal: only called for folders
        return self.folder / row["file"]


def open_library(path: str | os.PathLike | None = None) -> LibrarySource:
    """Open a library folder (with ``manifest.csv``) or a compiled ``.flib`` for curation.

    Parameters
    ----------
    path : path-like, optional
        A library folder holding ``manifest.csv``, or a compiled library file (``.flib``).
        Default: the shipped library folder (``spectral_library.LIBRARY_DIR``).

    Returns
    -------
    LibrarySource
        For a folder, its manifest rows, read now; the folder is compiled only when
        :meth:`LibrarySource.library` is first asked for. For a ``.flib``, the library,
        loaded now, and no rows.

    Raises
    ------
    LibraryError
        When the path does not exist, a folder has no ``manifest.csv`` or its manifest cannot
        be read (:func:`read_manifest` says where), or a file is not a library file that loads
        (:meth:`forensic.library.Library.load` says why).
    """
    p = Path(path).resolve() if path is not None else _shipped_dir()
    if p.is_dir():
        manifest = p / "manifest.csv"
        if not manifest.is_file():
            raise LibraryError(
                f"{p}: no manifest.csv: a library folder lists its references in manifest.csv "
                f"(columns {','.join(MANIFEST_COLUMNS)})"
            )
        return LibrarySource(path=p, folder=p, rows=read_manifest(manifest))
    if p.is_file():
        return LibrarySource(path=p, folder=None, rows=[], _library=Library.load(p))
    raise LibraryError(f"{p}: no such library folder or {FILE_SUFFIX} file")


_LISTED = (
    "id",
    "name",
    "modality",
    "provenance",
    "cas",
    "class",
    "synonyms",
    "salt_form",
    "legal_control",
    "source",
    "licence",
    "added_by",
    "added_at",
    "waivers",
    "file",
)
"""The fields :func:`list_entries` gives each reference, in order (manifest column names)."""


def _listed(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A reference as :func:`list_entries` gives it, from fields named as manifest columns."""
    out: dict[str, Any] = {key: str(fields.get(key, "") or "") for key in _LISTED}
    synonyms = fields.get("synonyms") or []
    if isinstance(synonyms, str):
        synonyms = [s.strip() for s in synonyms.split(";") if s.strip()]
    out["synonyms"] = list(synonyms)
    return out


def _entry_from_compiled(entry: Mapping[str, Any]) -> dict[str, Any]:
    # a compiled entry names two of the manifest's columns otherwise
    return _listed({**entry, "id": entry.get("entry_id", ""), "file": entry.get("source_file", "")})


def list_entries(source: LibrarySource) -> list[dict[str, Any]]:
    """Every entry of a library, sorted by modality, name and id.

    Parameters
    ----------
    source : LibrarySource
        The library, as :func:`open_library` gives it.

    Returns
    -------
    list of dict
        Keys ``id, name, modality, provenance, cas, class, synonyms (list), salt_form,
        legal_control, source, licence, added_by, added_at, waivers, file, inchikey`` (the
        substance's standard InChIKey; empty where its row gives none). For a folder
        these come from its manifest (nothing is compiled); ``added_by``/``added_at`` are
        empty for a compiled file, which does not keep them; ``waivers`` is a compiled file's
        in one spelling (:func:`forensic.manifest.waivers_text`), a folder's as written.
    """
    if source.is_folder:
        fields = source.rows
        entries = [_listed(r) for r in fields]
    else:
        fields = source.library().entries
        entries = [_entry_from_compiled(e) for e in fields]
    for entry, given in zip(entries, fields, strict=True):
        # listed, not in _LISTED: a snapshot keeps those, and every release.json would change
        entry["inchikey"] = str(given.get("inchikey") or "").strip()
    return sorted(entries, key=lambda e: (e["modality"], e["name"].lower(), e["id"]))


def library_info(source: LibrarySource) -> dict[str, Any]:
    """Summary of a library: version, counts, modalities, provenance, source folder.

    A folder is compiled (once, see :meth:`LibrarySource.library`) to know its version.

    Parameters
    ----------
    source : LibrarySource
        The library, as :func:`open_library` gives it.

    Returns
    -------
    dict
        ``version`` (content hash of the compiled library), ``entries`` (count), ``substances``
        (distinct names, compared case- and punctuation-insensitively), ``modalities`` (list),
        ``by_modality`` and ``by_provenance`` (counts), ``measured``/``modelled`` counts,
        ``source`` (the folder of reference files, or None for a ``.flib``), ``path`` (what
        was opened), ``name`` and ``built_at`` (what the compiled library is called and when
        it was built: :attr:`forensic.library.Library.name`, ``built_at``; a folder that is a
        published version is called by the name signed), ``compiled`` (the
        ``.flib`` the library was loaded from, the cached one for the shipped library; None
        for a folder compiled in memory), ``skipped`` (``[file, reason]`` for each listed file
        left out of the compiled library), and ``release``: the record of its publication (a
        folder's ``release.json``; the one a ``.flib`` carries, ``publish --out``):
        ``version``, ``published_at``, ``approved_by``, ``name``, whether the library is
        that version (``current``), ``approval`` (whether the approval holds:
        :meth:`forensic.curation.approval.Approval.to_dict`, with the signer's
        ``key_fingerprint``), ``earlier`` (the approval of an earlier version the record
        keeps in its ``history`` when the folder is that one, rolled back; else None), and
        ``record_edits``: who added a reference or when, as the
        manifest now says it and the record does not (``id: field: 'then' -> 'now'``; the
        version does not cover them, :data:`forensic.curation.diff.NOT_IN_VERSION`). None
        where there is no record (a ``.flib`` built, not published; a folder never
        published or exported); :func:`release_state` decides what it says. A
        version recorded under an earlier hash rule
        (:data:`forensic.library.HASH_SCHEME`) is never this toolkit's version of the same
        references: ``hash_scheme`` then gives its rule and ``same_references`` whether the
        folder still holds exactly the references that record lists. A ``release.json`` that
        cannot be read gives ``{"version": None, "current": False, "problem": why}``.
        ``calibration``: per modality, what its verdicts are decided by
        (:func:`calibration_info`).
    """
    library = source.library()
    entries = list_entries(source)
    by_modality: dict[str, int] = {}
    by_provenance: dict[str, int] = {}
    for e in entries:
        by_modality[e["modality"]] = by_modality.get(e["modality"], 0) + 1
        by_provenance[e["provenance"]] = by_provenance.get(e["provenance"], 0) + 1
    release = _release(source, library.version)
    state = release_state(release)
    name = library.name  # a published folder's is the name signed (publish --name)
    if state == "current" and release.get("name"):
        name = release["name"]
    elif state == "earlier" and release["earlier"].get("name"):
        name = release["earlier"]["name"]
    return {
        "version": library.version,
        "name": name,
        "built_at": library.built_at,
        "entries": len(entries),
        "substances": len({substance_key(e["name"]) for e in entries}),
        "modalities": sorted(by_modality),
        "by_modality": dict(sorted(by_modality.items())),
        "by_provenance": dict(sorted(by_provenance.items())),
        "measured": by_provenance.get("measured", 0),
        "modelled": by_provenance.get("modelled", 0),
        "source": str(source.folder) if source.folder is not None else None,
        "path": str(source.path),
        "compiled": str(library.path) if library.path is not None else None,
        "skipped": [list(s) for s in library.skipped],
        "release": release,
        "calibration": {
            modality: calibration_info(block.calibration)
            for modality, block in sorted(library.blocks.items())
        },
    }


def calibration_info(calibration: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """What a modality's verdicts are decided by: the score an identification needs and the
    margin over the best different substance, with what the margin was chosen from.

    Parameters
    ----------
    calibration : mapping or None
        A library block's calibration (:meth:`forensic.verdict.Calibration.to_dict`); None
        for a modality left uncalibrated.

    Returns
    -------
    dict or None
        None when uncalibrated; else ``method`` (:data:`forensic.library.CALIBRATION_METHOD`
        of the calibration), ``score_identified`` (the lowest score at q <= 0.05, None when
        none reaches it), ``margin_min`` (:attr:`forensic.verdict.Calibration.margin_threshold`),
        ``margin_from`` (``"left-out references"``, ``"too few references"`` when the library
        kept the floor for having too few to choose, or ``"before method 6"`` for a
        calibration that chose none), and from its left-out references, where there are any,
        ``left_out`` (how many were searched), ``share_wrong`` (their estimate of the share
        of identifications wrong at that margin), ``standard_error`` (its sampling error) and
        ``draws`` (the re-measurements of each reference searched); the last two None for a
        calibration before method 7.
    """
    if not calibration:
        return None
    cal = Calibration.from_dict(dict(calibration))
    figures = (cal.empirical or {}).get("left_out") or {}
    if cal.margin_min is None:
        margin_from = "before method 6"
    elif figures.get("reached") is None and figures:
        margin_from = "too few references"
    else:
        margin_from = "left-out references"
    info: dict[str, Any] = {
        "method": cal.info.get("method"),
        "score_identified": cal.score_at(Q_IDENTIFIED),
        "margin_min": cal.margin_threshold,
        "margin_from": margin_from,
    }
    if figures:
        info["left_out"] = int(figures.get("n_absent") or 0)
        info["share_wrong"] = figures.get("share_wrong")
        # method 7 on: each reference re-measured, and the estimate's sampling error
        info["draws"] = figures.get("draws")
        info["standard_error"] = figures.get("standard_error")
    return info


def read_release(folder: Path) -> dict[str, Any] | None:
    """The record of a library folder's published version (``release.json``), or None when
    it has none.

    Parameters
    ----------
    folder : Path
        The library folder.

    Returns
    -------
    dict or None
        The record as :func:`forensic.curation.publish_library` wrote it.

    Raises
    ------
    LibraryError
        When the file cannot be read or is not a JSON object: it says which and why.
    """
    path = folder / RELEASE_FILE
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LibraryError(f"{path}: unreadable ({exc}); fix or remove it") from None
    if not isinstance(record, dict):
        raise LibraryError(
            f"{path}: not a release record (a JSON {type(record).__name__}, where publish "
            "writes an object); fix or remove it"
        )
    return record


def _record_release(record: Mapping[str, Any], version: str) -> dict[str, Any]:
    """What a record of publication (``release.json``, or the one a ``.flib`` carries) says
    of references of ``version``: the record's own fields, whether it is their version, and
    whether its approval, or that of an earlier version it keeps (``history``), holds."""
    from forensic.curation.approval import check_approval, trusted_approvers  # noqa: PLC0415

    trusted = trusted_approvers()
    out: dict[str, Any] = {
        "version": record.get("version"),
        "published_at": record.get("published_at"),
        "approved_by": record.get("approved_by"),
        "name": record.get("name"),
        "current": record.get("version") == version,
        # whether the approval it records holds: signed by the approver it names, over what
        # it says, with a key this computer accepts
        "approval": check_approval(record, trusted).to_dict(),
        "record_edits": [],
        "earlier": None,
    }
    if not out["current"]:  # a folder rolled back to a version published before
        for earlier in record.get("history") or []:
            if isinstance(earlier, Mapping) and earlier.get("version") == version:
                said = check_approval(earlier, trusted)
                if said.state == "signed":
                    out["earlier"] = said.to_dict()
                    break
    return out


def _release(source: LibrarySource, version: str) -> dict[str, Any] | None:
    if source.folder is None:  # a library file: the approval it carries, if any
        library = source.library()
        return None if library.release is None else _record_release(library.release, version)
    try:
        record = read_release(source.folder)
    except LibraryError as exc:
        return {"version": None, "current": False, "problem": str(exc)}
    if record is None:
        return None
    from forensic.curation.diff import record_edits  # noqa: PLC0415  (cycle)

    out = _record_release(record, version)
    # who added a reference and when, which the version does not cover, edited since
    out["record_edits"] = record_edits(record, source.rows)
    # a record without the field was written under hash rule 1
    scheme = record.get("hash_scheme", 1)
    if not out["current"] and scheme != source.library().hash_scheme:
        from forensic.curation.diff import diff_snapshots, snapshot  # noqa: PLC0415  (cycle)

        diff = diff_snapshots(record, snapshot(source))
        out["hash_scheme"] = scheme
        out["same_references"] = not (diff.added or diff.removed or diff.changed)
    return out


RELEASE_STATES = (
    "unknown",
    "unpublished",
    "unsigned",
    "not_approved",
    "current",
    "earlier",
    "same_references",
    "changed",
)
"""What :func:`release_state` can say of a library folder's references."""


def release_state(release: Mapping[str, Any] | None) -> str:
    """Whether a library folder, as it is, is a published version: the one decision that
    ``library info``, ``library publish`` and a result's warnings word each in their own way.

    Parameters
    ----------
    release : mapping or None
        The folder's release as :func:`library_info` gives it (``release``): None when the
        folder has no ``release.json``.

    Returns
    -------
    str
        One of :data:`RELEASE_STATES`: ``unknown`` (its release record cannot be read),
        ``unpublished`` (none, or the baseline an export records: no one approved it),
        ``current`` (the version published, its approval signed and verified:
        :func:`forensic.curation.approval.check_approval`), ``earlier`` (a version published
        before, signed, that the record's ``history`` keeps: a folder rolled back),
        ``unsigned`` (a record that names an approver without a signature, as toolkits
        before 0.9 wrote it), ``not_approved`` (its signature does not verify, was made with
        another key or name than it says, or by a key the list of trusted approvers does not
        hold), ``same_references`` (the references published, whose version an earlier hash
        rule computed) or ``changed`` (edited since).
    """
    if release is None:
        return "unpublished"
    if release.get("problem"):
        return "unknown"
    if release.get("approved_by") is None:  # the baseline an export records
        return "unpublished"
    approval = (release.get("approval") or {}).get("state")
    if release["current"] and approval == "signed":
        return "current"
    if release.get("earlier"):
        return "earlier"
    if approval == "unsigned":
        return "unsigned"
    if approval != "signed":
        return "not_approved"
    return "same_references" if release.get("same_references") else "changed"


def not_published(named: str, how: str) -> str:
    """The warning a result gives of a library no one approved as it is: a folder never
    published, or a library file without a signed approval (``library build``).

    Parameters
    ----------
    named : str
        The library, as the warning names it (``the reference library lab.flib (version
        0123456789ab)``).
    how : str
        What it is instead, in a few words (``never published``, ``built, not published``).

    Returns
    -------
    str
        ``<named> is not a published version (<how>): no one approved its references``
        (:data:`forensic.library.NOT_PUBLISHED`).
    """
    return f"{named} is {NOT_PUBLISHED} ({how}): no one approved its references"


@dataclass(frozen=True)
class FolderStanding:
    """What a library's record of its publication says of its references as they are now.

    Attributes
    ----------
    unapproved : str or None
        Why its references, as they are, were never approved (:func:`release_standing`), a
        sentence for a result's warnings; None when they were.
    published_at : str or None
        When they were published, as the signed record says it (``published_at``, the date
        ``forensic library publish`` was given or ran on): the date a report gives the
        library. None when they are not a published version (never published, only
        exported, changed since, an approval that does not hold, a record that cannot be
        read) or it records no date.
    approval : str or None
        The approval in the words a result records (:attr:`forensic.library.Library.approval`:
        ``published 2026-11-24, approved by Dr. A. Chemist (key 0123456789abcdef)``); None
        when they are not a published version.
    name : str or None
        The library's name in the signed record (``publish --name``); None where it names
        none or they are not a published version.
    """

    unapproved: str | None
    published_at: str | None = None
    approval: str | None = None
    name: str | None = None


def _approved(said: Mapping[str, Any]) -> FolderStanding:
    from forensic.curation.approval import Approval  # noqa: PLC0415  (cycle)

    approval = Approval(**said)
    return FolderStanding(None, approval.published_at, approval.phrase, approval.name)


def _not_approved_fact(named: str, release: Mapping[str, Any]) -> str:
    """Why the approval a release record names does not hold, for a warning."""
    approval = release.get("approval") or {}
    who = (
        f"version {str(release.get('version'))[:12]} ({release.get('published_at')}, "
        f"approved by {release.get('approved_by')})"
    )
    if approval.get("state") == "unsigned":
        return (
            f"{named}: its record of {who} holds no signature: approval not signed (written "
            f"by a toolkit before approvals were signed, or by hand), so it is {NOT_PUBLISHED} "
            "until it is published again"
        )
    return (
        f"{named}: the approval its record names ({who}) does not hold: "
        f"{approval.get('problem')}; it is {NOT_PUBLISHED}"
    )


def folder_standing(folder: Path, version: str) -> FolderStanding:
    """Whether the references of a library folder, as they are, were approved, when they
    were published and by whom: what
    :func:`forensic.library_folders.open_reference_library` tells a result (its warnings, and
    the library's date, name and approval on a report).

    Parameters
    ----------
    folder : Path
        The library folder.
    version : str
        Its version as compiled now.

    Returns
    -------
    FolderStanding
        ``unapproved`` as :func:`release_standing` says it; the date, approval and name from
        its ``release.json`` when the folder is the version that record publishes with a
        signed approval (or an earlier version its ``history`` keeps, signed: a folder
        rolled back; or the same references, by an earlier hash rule), else None.

    Raises
    ------
    LibraryError
        When ``folder`` is not a library folder (:func:`open_library`), or the list of
        trusted approvers cannot be read
        (:func:`forensic.curation.approval.trusted_approvers`).
    """
    source = open_library(folder)
    if source.is_shipped:  # its version depends on the toolkit's pipelines: it keeps none
        return FolderStanding(None)
    named = f"the reference library {folder} (version {version[:12]})"
    return _standing(named, _release(source, version))


def _standing(named: str, release: Mapping[str, Any] | None) -> FolderStanding:
    """:class:`FolderStanding` of a library ``named`` so, from its release
    (:func:`_release`)."""
    state = release_state(release)
    if state == "unknown":
        return FolderStanding(
            f"{named}: its release record cannot be read ({release['problem']}), so whether "
            "its references were approved is not known"
        )
    if state == "unpublished":
        return FolderStanding(not_published(named, "never published"))
    assert release is not None  # "unpublished" otherwise
    if state in ("unsigned", "not_approved"):
        return FolderStanding(_not_approved_fact(named, release))
    if state == "earlier":
        return _approved(release["earlier"])
    if state in ("current", "same_references"):
        return _approved(release["approval"])
    approval = release["approval"]
    return FolderStanding(
        f"{named} has changed since its published version {str(release['version'])[:12]} "
        f"({release.get('published_at')}, approved by {release.get('approved_by')}, "
        f"{_key_words(approval.get('key_fingerprint'))}): its references as compared were not "
        "approved"
    )


def _key_words(key: str | None) -> str:
    from forensic.curation.approval import key_words  # noqa: PLC0415  (cycle)

    return key_words(key)


def compiled_standing(library: Library) -> FolderStanding:
    """Whether a library file (``.flib``) is a published version: the approval it carries
    (:attr:`forensic.library.Library.release`, written by ``library publish --out``) signed,
    verified, by a key this computer accepts, for the version the file holds.

    Parameters
    ----------
    library : Library
        The library, loaded from its file (which checked the record is the file's:
        it is under the file's checksum).

    Returns
    -------
    FolderStanding
        ``unapproved`` None and the approval, date and name when it holds; else why not (a
        file without one, as ``library build`` writes, is :func:`not_published`; a file
        whose name is not the one signed is not the library approved either).

    Raises
    ------
    LibraryError
        When the list of trusted approvers cannot be read.
    """
    where = library.path if library.path is not None else library.name
    named = f"the reference library {where} (version {library.version[:12]})"
    if library.release is None:
        return FolderStanding(not_published(named, "built, not published"))
    signed_name = library.release.get("name")
    if signed_name is not None and signed_name != library.name:
        return FolderStanding(
            f"{named}: the approval it carries is of the library named {signed_name!r}, and "
            f"the file is named {library.name!r}: it is {NOT_PUBLISHED}"
        )
    return _standing(named, _record_release(library.release, library.version))


def published_record(folder: Path, version: str) -> dict[str, Any] | None:
    """The signed record of a library folder's published version, when the folder is it:
    what ``library build`` of the folder carries into the file it writes, as ``publish --out``
    does.

    Parameters
    ----------
    folder : Path
        The library folder.
    version : str
        Its version as compiled now.

    Returns
    -------
    dict or None
        The approval record (:func:`forensic.curation.approval.approval_record`) of the
        version the folder is, its approval holding (the latest published, or an earlier
        one its ``release.json`` keeps: a folder rolled back); None otherwise.
    """
    from forensic.curation.approval import approval_record  # noqa: PLC0415  (cycle)

    source = open_library(folder)
    if source.is_shipped:
        return None
    release = _release(source, version)
    state = release_state(release)
    if state not in ("current", "earlier"):
        return None
    record = read_release(source.folder) or {}
    if state == "current":
        return approval_record(record)
    for earlier in record.get("history") or []:
        if isinstance(earlier, Mapping) and earlier.get("version") == version:
            return approval_record(earlier)
    return None  # pragma: no cover  ("earlier" found it)


def release_standing(folder: Path, version: str) -> str | None:
    """Whether the references of a library folder, as they are, were approved: None when the
    folder is a version its ``release.json`` records as approved (or the same references, by
    an earlier hash rule) or is the shipped library, else why not, as a fact for a result's
    warnings.

    Parameters
    ----------
    folder : Path
        The library folder.
    version : str
        Its version as compiled now.

    Returns
    -------
    str or None
        None, or a sentence naming the folder and its version: its release record cannot be
        read, it was never published (or only exported), its approval does not hold (not
        signed, or signed otherwise than it says), or it changed since the version published
        (named, with its date, approver and key).

    Raises
    ------
    LibraryError
        When ``folder`` is not a library folder (:func:`open_library`).
    """
    return folder_standing(folder, version).unapproved


def copy_library(source: str | os.PathLike | None, target: str | os.PathLike) -> Path:
    """Copy a library folder (default: the shipped one) to ``target`` for editing.

    Everything is copied (references, manifest, changelog, band tables) but Python files and
    their caches, which make the shipped folder a package and are no part of the library.

    Parameters
    ----------
    source : str, path-like or None
        The library folder to copy; None for the shipped one. It is copied as it is, not
        checked to be a library folder.
    target : str or path-like
        The new folder; it must not exist (missing parent folders are created).

    Returns
    -------
    Path
        ``target``.

    Raises
    ------
    LibraryError
        When ``target`` exists already.
    OSError
        When ``source`` is not a folder that can be read, or the copy cannot be written.
    """
    src = Path(source).resolve() if source is not None else _shipped_dir()
    dst = Path(target)
    if dst.exists():
        raise LibraryError(f"{dst}: already exists; choose a new folder for the copy")
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.py", "*.pyc"))
    return dst
