"""Library folders: the reference files a library is built from, and the compiled-folder cache.

A *library folder* is a folder of reference spectrum files with its ``manifest.csv``
(``spectral_library/`` is one, and so is every folder ``forensic library import`` and
``publish`` keep). This module is the file edge of :mod:`forensic.library`, whose
:class:`~forensic.library.Library` is the compiled library in memory and its own ``.flib``
file: it lists a folder's reference files (:func:`reference_files`, :func:`spectrum_files`),
reads them for :meth:`Library.from_folder <forensic.library.Library.from_folder>` (which
imports this module when it is called, so that the library itself reads no spectrum files),
and compiles a folder once into the cache folder (:func:`forensic.files.library_cache_dir`),
again only when its references change: the shipped library (:func:`shipped_library`) and
the library a command identifies against (:func:`open_reference_library`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from forensic.arguments import argument
from forensic.commands import command
from forensic.errors import ForensicError, LibraryError, without_path
from forensic.files import library_cache_dir
from forensic.io import read_spectra, spectrum_extensions
from forensic.library import (
    FILE_SUFFIX,
    NOT_PUBLISHED,
    Library,
    _build_rules,
    _not_comparable,
    _one_line,
)
from forensic.manifest import is_manifest, read_manifest, refuse_unknown_columns, waivers_text
from forensic.processing import Pipeline, default_pipeline
from forensic.spectrum import MODALITIES, Spectrum

__all__ = [
    "compiling_message",
    "files_digest",
    "listed_but_unread",
    "open_reference_library",
    "reference_files",
    "shipped_approval",
    "shipped_library",
    "spectrum_files",
    "unnamed_spectra",
]

_NOT_SPECTRA = frozenset({".md", ".toml", ".py", ".pyc", ".json", ".yaml", ".yml", ".pdf", ".png"})
"""Notes, code, configuration and figures: left out of a folder's files unless a reader takes
the extension (:func:`forensic.io.spectrum_extensions` decides first)."""
_ENTRY_KEYS = (
    "entry_id",
    "name",
    "synonyms",
    "cas",
    "inchikey",
    "class",
    "legal_control",
    "salt_form",
    "provenance",
    "source",
    "licence",
    "modality",
    "source_file",
    "source_sha256",
    "waivers",
)
"""The manifest columns that, filled in a row, set its reference's metadata when the folder is
built (the row's ``id`` sets ``entry_id``; its ``modality`` overrides the file's)."""


def reference_files(folder: Path) -> tuple[list[Path], Path | None]:
    """The reference files of a library folder and its manifest.

    Those its ``manifest.csv`` lists (listed but missing ones included, so that building
    names them), or every spectrum file of a folder without one (manifest None). A file in
    the folder that the manifest does not list is not a reference: ``forensic library
    validate`` names it.

    Parameters
    ----------
    folder : Path
        The library folder.

    Returns
    -------
    list of Path
        The reference files, in the manifest's order (sorted when there is no manifest).
    Path or None
        The ``manifest.csv``, or None when the folder has none.
    """
    manifest = _folder_manifest(folder)
    if manifest is None:
        return [p for p in spectrum_files(folder) if not p.name.endswith(FILE_SUFFIX)], None
    return list(_rows_by_file(manifest)), manifest


def spectrum_files(folder: Path) -> list[Path]:
    """The files below ``folder`` that may be spectra, sorted: what a library folder is read as.

    Hidden files and folders (a name starting with ".") are left out, and so are notes, code,
    configuration and figures (``.md``, ``.py``, ``.json``, ``.png``...) unless a registered
    reader takes the extension (:func:`forensic.io.spectrum_extensions`, the one list); every
    other file is offered to the readers, which say why one is not a spectrum (a ``notes.txt``,
    a workbook), so that building lists it rather than leave it out unsaid.

    Parameters
    ----------
    folder : Path
        The folder, searched with its subfolders.

    Returns
    -------
    list of Path
        The files, sorted by path.
    """
    readable = spectrum_extensions()
    return [
        p
        for p in sorted(folder.rglob("*"))
        if p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
        and (p.suffix.lower() in readable or p.suffix.lower() not in _NOT_SPECTRA)
    ]


def unnamed_spectra(spectra: Sequence[Spectrum], how: str) -> str | None:
    """Why the spectra of one file cannot become references under names of their own, if so.

    A file that holds several spectra and does not name each (the subfiles of an SPC file, a
    series without titles) holds, as a rule, replicate measurements or a series of one
    sample: a name made of the file's and a number would make each one a substance of its
    own, and fill a library with substances that do not exist. Such a file needs the name of
    its substance from the chemist.

    Parameters
    ----------
    spectra : sequence of Spectrum
        What one file holds (:func:`forensic.io.read_spectra`).
    how : str
        How the chemist names the substance of the file on this path (an option, a manifest).

    Returns
    -------
    str or None
        The reason, saying what the file holds and ``how``; None for a single spectrum, or
        several each named by the file.
    """
    if len(spectra) < 2:
        return None
    named = sum(bool(str(s.metadata.get("name") or "").strip()) for s in spectra)
    if named == len(spectra):
        return None
    kind = " (SPC subfiles)" if "spc_subfile" in spectra[0].metadata else ""
    names = "names none of them" if not named else f"names only {named} of them"
    return (
        f"holds {len(spectra)} spectra{kind} and {names}: the spectra of one file are as a "
        f"rule replicate measurements or a series of one sample, not {len(spectra)} "
        f"substances, so none is made a reference of its own; {how}"
    )


# -- reading a folder's files for Library.from_folder -----------------------------------------


def _rows_by_file(path: Path) -> dict[Path, dict[str, str]]:
    """The rows of a manifest (:func:`forensic.manifest.read_manifest`, which refuses a file
    listed twice) keyed by the resolved path of their ``file``; a row may leave ``name`` empty
    (the reference is named by its file)."""
    return {
        (path.parent / row["file"]).resolve(): dict(row)
        for row in read_manifest(path, filled=("file",))
    }


def _folder_manifest(folder: Path) -> Path | None:
    """``folder/manifest.csv`` when it is a manifest (``file`` and ``name`` columns)."""
    path = folder / "manifest.csv"
    if not (folder.is_dir() and path.is_file()):
        return None
    return path if is_manifest(path) else None


def _reading_jobs(
    folder: str | os.PathLike | Sequence[str | os.PathLike],
    manifest: str | os.PathLike | None,
    *,
    ignore_columns: bool = False,
) -> tuple[list[tuple[str, str, dict[str, str]]], list[tuple[str, str]]]:
    """The files :meth:`Library.from_folder <forensic.library.Library.from_folder>` reads, as
    jobs for :func:`_read_file_job`, and the sources that are neither file nor folder.

    Each job is ``(path, path relative to the manifest or the one folder, manifest row)``,
    in one order whatever the order of the sources, the folder listing or the manifest's
    rows (see :meth:`~forensic.library.Library.from_folder` for which files and names). A
    ``manifest`` given is refused, before any file is listed, when it has a column that is
    not a manifest column (:func:`forensic.manifest.refuse_unknown_columns`, unless
    ``ignore_columns``); a folder's own is not (it keeps a lab's own columns).
    """
    sources = [folder] if isinstance(folder, (str, os.PathLike)) else list(folder)
    rows: dict[Path, dict[str, str]] = {}
    manifest_path = None
    if manifest is not None:
        given = Path(manifest)
        refuse_unknown_columns(
            given, read_manifest(given, filled=("file",)), command="build", ignore=ignore_columns
        )
    if manifest is None and len(sources) == 1:
        manifest = _folder_manifest(Path(sources[0]))
    if manifest is not None:
        manifest_path = Path(manifest).resolve()
    files: list[Path] = []
    roots: list[Path] = []
    skipped: list[tuple[str, str]] = []
    for source in sources:
        path = Path(source)
        if path.is_dir():
            roots.append(path.resolve())
            listed, own = reference_files(path)
            if own is not None:  # a curated folder: what its manifest lists, named by it
                rows.update(_rows_by_file(own.resolve()))
            files += [p for p in listed if p.resolve() != manifest_path]
        elif path.is_file():
            roots.append(path.resolve().parent)
            files.append(path)
        else:
            skipped.append((str(path), "no such file or folder"))
    if manifest_path is not None:  # a manifest given (or the folder's own) names last
        rows.update(_rows_by_file(manifest_path))
    seen = {p.resolve() for p in files} | {Path(p).resolve() for p, _ in skipped}
    for p in rows:
        if p not in seen:
            files.append(p)
            seen.add(p)
    base = manifest_path.parent if manifest_path else (roots[0] if len(roots) == 1 else None)
    # one order whatever the order of the sources, the folder listing or the manifest's
    # rows: the order the files are read and the entries stored in (entry ids two files
    # share are told apart by their paths, Library._build, whatever the order read)
    jobs = sorted(
        {
            str(p.resolve()): (str(p), _relative(p, base), rows.get(p.resolve(), {})) for p in files
        }.values(),
        key=lambda job: (job[1], str(Path(job[0]).resolve())),
    )
    return jobs, skipped


def _relative(path: Path, base: Path | None) -> str:
    if base is not None:
        try:
            return path.resolve().relative_to(base).as_posix()
        except ValueError:
            pass
    return path.name


def listed_but_unread(
    skipped: Sequence[tuple[str, str]],
    folder: str | os.PathLike | Sequence[str | os.PathLike],
    manifest: str | os.PathLike | None = None,
) -> list[tuple[str, str]]:
    """The files a build left out (:attr:`forensic.library.Library.skipped`) that a manifest
    lists: references the chemist named, which the library would lack without a word.

    Parameters
    ----------
    skipped : sequence of (str, str)
        What the build left out, ``(path, reason)``; a spectrum of a file of several is
        ``path #k``.
    folder, manifest
        What was built, as given to :meth:`forensic.library.Library.from_folder`.

    Returns
    -------
    list of (str, str)
        Those of ``skipped`` whose file a manifest row lists (a folder's own ``manifest.csv``
        or ``manifest``), in their order.
    """
    if not skipped:
        return []
    # the build has checked the manifest's columns (or was told to leave them out): this only
    # lists the files it names
    jobs, _ = _reading_jobs(folder, manifest, ignore_columns=True)
    listed = {str(Path(path).resolve()) for path, _, row in jobs if row}
    return [
        (path, why)
        for path, why in skipped
        if str(Path(path.rsplit(" #", 1)[0] if " #" in path else path).resolve()) in listed
        or str(Path(path).resolve()) in listed
    ]


BUILD_NAMES_A_FILE = (
    "give the name of its substance in a manifest row for the file "
    f"({argument('manifest', 'path/to/manifest.csv')}, with file and name columns) to build "
    "them as references of that one substance"
)
"""How :meth:`~forensic.library.Library.from_folder` (``library build``) is told the
substance of a file whose spectra are not named: a Python caller its argument, the command
line its option (:func:`~forensic.arguments.with_command_line_options`)."""


def _read_file_job(job: tuple[str, str, dict[str, str]]):
    """Read one file (in a worker): list of item tuples, or 'path\\0reason' on failure; in
    the list, 'path\\0reason' for a spectrum left out (an axis not in cm-1, an IR unit
    that cannot be compared)."""
    path, relative, row = job
    try:
        spectra = read_spectra(path)
    except ForensicError as exc:
        return f"{path}\x00{without_path(exc)}"
    except Exception as exc:  # a reader bug must not stop a library build: report it
        return f"{path}\x00unexpected {type(exc).__name__}: {_one_line(exc)}"
    if not row.get("name"):
        unnamed = unnamed_spectra(spectra, BUILD_NAMES_A_FILE)
        if unnamed:
            return f"{path}\x00{unnamed}"
    out = []
    stem = Path(path).stem
    for k, spectrum in enumerate(spectra):
        s = spectrum
        meta = dict(s.metadata)
        meta["source_file"] = relative if len(spectra) == 1 else f"{relative}#{k + 1}"
        if row:
            for key in _ENTRY_KEYS:
                if row.get(key):
                    meta[key] = row[key]
            if row.get("waivers"):  # in one spelling, so spacing and order change no version
                meta["waivers"] = waivers_text(row["waivers"])
            if row.get("id"):
                meta["entry_id"] = row["id"]
            if row.get("modality") in MODALITIES and row["modality"] != s.modality:
                s = s.replace(modality=row["modality"])
        why = _not_comparable(s)
        if why is not None:
            label = path if len(spectra) == 1 else f"{path} #{k + 1}"
            out.append(f"{label}\x00{why}")
            continue
        if not meta.get("name"):
            meta["name"] = stem if len(spectra) == 1 else f"{stem} #{k + 1}"
        out.append(
            (
                np.asarray(s.wavenumber),
                np.asarray(s.intensity),
                s.modality,
                s.y_unit,
                meta,
                meta["source_file"],
            )
        )
    return out


# -- folders compiled once, into the cache folder ---------------------------------------------

_COMPILED_REVISION = 4
"""What else a compiled folder depends on (2: the calibration takes the references in the order
the version takes them; 3: the library records its name and build date; 4: the calibration's
queries are references rebuilt with the integration constant taken inside their range,
:func:`forensic.processing.linear_from_representation`): a folder compiled before it changed
is compiled again."""


def _folder_key(folder: Path, pipelines: Mapping[str, Pipeline], name: str = "") -> str:
    """What a compiled folder depends on: the rules a library is built by (format, hash rule,
    calibration method, what an entry holds: :func:`forensic.library._build_rules`), how a
    folder is compiled (:data:`_COMPILED_REVISION`), pipelines, the manifest and the reference
    files (:func:`files_digest`: not the folder's notes, changelog or version control), and the
    name it is compiled under (two folders of the same references are two libraries to their
    reader)."""
    digest = hashlib.sha256(f"{_build_rules()}/compiled-{_COMPILED_REVISION}\n".encode())
    digest.update(name.encode() + b"\0")
    for m in sorted(pipelines):
        digest.update(json.dumps(pipelines[m].to_dict(), sort_keys=True).encode())
    digest.update(files_digest(folder).encode())
    return digest.hexdigest()


def compiling_message(folder: Path) -> str:
    """What a command says while it compiles a library folder (the shipped one on a first run):
    seconds it would otherwise spend silent.

    Parameters
    ----------
    folder : Path
        The library folder being compiled.

    Returns
    -------
    str
        One line naming the folder, for the ``on_compile`` of :func:`open_reference_library`.
    """
    return f"compiling the reference library {folder} (once: later runs reuse it; a few seconds)"


_COMPILED: dict[str, Library] = {}


def _compiled_folder(
    folder: Path,
    prefix: str,
    *,
    name: str,
    rebuild: bool = False,
    strict: bool = False,
    on_compile: Callable[[Path], None] | None = None,
) -> Library:
    """A library folder compiled into the cache folder, rebuilt only when its references change.

    With a ``manifest.csv``, exactly the references it lists; ``strict`` refuses a folder with
    a listed reference that cannot be read, rather than identify without it. ``name`` is what
    the compiled library is called (:attr:`Library.name`); its build date is when it was
    compiled.
    """
    pipelines = {m: default_pipeline(m) for m in MODALITIES}
    key = _folder_key(folder, pipelines, name)
    if not rebuild and key in _COMPILED:
        return _COMPILED[key]
    target = library_cache_dir() / f"{prefix}-{key[:20]}{FILE_SUFFIX}"
    library = None
    if target.exists() and not rebuild:
        try:
            library = Library.load(target)
        except LibraryError:
            library = None  # a damaged cache file is rebuilt
    if library is None:
        if on_compile is not None:  # seconds of silence otherwise, once
            on_compile(folder)
        library = Library.from_folder(folder, pipelines=pipelines, name=name)
        if strict and library.skipped:
            listed = "; ".join(f"{Path(p).name}: {why}" for p, why in library.skipped[:5])
            raise LibraryError(
                f"{folder}: {len(library.skipped)} reference(s) its manifest.csv lists cannot be "
                f"read ({listed}): fix the folder ({command('library', 'validate', folder)} "
                "lists every problem); identifying without them would report them as absent"
            )
        # a read-only cache still leaves a usable in-memory library
        with contextlib.suppress(OSError, ForensicError):  # OutputError: a full or read-only disk
            library.save(target, overwrite=True)
    _COMPILED[key] = library
    return library


def files_digest(folder: Path) -> str:
    """SHA-256 of what a library folder's references are made of: its ``manifest.csv`` and
    every file it lists, by path and content (not its notes, changelog or band tables).

    What :data:`spectral_library.LIBRARY_FILES_SHA256` records of the shipped references, so
    that a shipped folder edited since the toolkit was released is not taken for the one it
    released (:func:`shipped_approval`). Unlike the library's version it does not depend on
    the toolkit's pipelines.

    Parameters
    ----------
    folder : Path
        The library folder.

    Returns
    -------
    str
        64 hex digits; a listed file that is missing counts as ``missing``.
    """
    folder = folder.resolve()
    files, manifest = reference_files(folder)
    digest = hashlib.sha256()
    for p in sorted(files):
        name = p.relative_to(folder).as_posix() if p.is_relative_to(folder) else str(p)
        digest.update(name.encode() + b"\0")
        digest.update(hashlib.sha256(p.read_bytes()).digest() if p.is_file() else b"missing")
    if manifest is not None:
        digest.update(b"manifest.csv\0" + hashlib.sha256(manifest.read_bytes()).digest())
    return digest.hexdigest()


def shipped_approval(folder: Path | None = None) -> tuple[str | None, str | None]:
    """Whether the shipped library is the one the toolkit released: its approval in a
    result's words, or why it is not.

    The shipped references are published with the toolkit, not by a key on the user's
    computer: no one here can sign them, and a project key would have to be kept somewhere
    a release could use it. What can be checked is that they are the files the package
    lists (:func:`files_digest` equals :data:`spectral_library.LIBRARY_FILES_SHA256`, set
    when the references are published with a release).

    Parameters
    ----------
    folder : Path, optional
        The shipped folder (default :data:`spectral_library.LIBRARY_DIR`).

    Returns
    -------
    approval : str or None
        ``published 2026-11-22 with forensic 0.12.0`` when the files are those released, else
        None.
    unapproved : str or None
        None when they are, else a warning for a result: they were changed since.
    """
    import forensic  # noqa: PLC0415  (its version, looked up late)
    from spectral_library import (  # noqa: PLC0415  (data, optional)
        LIBRARY_DIR,
        LIBRARY_FILES_SHA256,
        LIBRARY_PUBLISHED,
    )

    folder = Path(folder or LIBRARY_DIR)
    if files_digest(folder) == LIBRARY_FILES_SHA256:
        return f"published {LIBRARY_PUBLISHED} with forensic {forensic.__version__}", None
    return None, (
        f"the shipped reference library {folder} was changed since forensic "
        f"{forensic.__version__} released it (its files are not those the package lists): it "
        f"is {NOT_PUBLISHED}"
    )


def shipped_library(
    *, rebuild: bool = False, on_compile: Callable[[Path], None] | None = None
) -> Library:
    """The library shipped with the toolkit, compiled into the cache folder when needed.

    The compiled file is keyed on a hash of the reference files, the manifest and the default
    pipelines, so it is rebuilt (reproducibly: the same files give the same version) whenever
    any of them changes, and reused otherwise. Set ``FORENSIC_CACHE_DIR`` to choose the folder.
    ``on_compile`` is called with the folder before it is compiled (see
    :func:`open_reference_library`). Its approval (:attr:`~forensic.library.Library.approval`)
    is the toolkit release's, when its files are those released (:func:`shipped_approval`);
    else its :attr:`~forensic.library.Library.standing` says they were changed.

    Parameters
    ----------
    rebuild : bool
        Compile again even when the cached file is up to date.
    on_compile : callable, optional
        Called with the folder before it is compiled.

    Returns
    -------
    Library
        The shipped library, loaded.

    Raises
    ------
    LibraryError
        When the shipped folder holds no usable reference.
    """
    from spectral_library import (  # noqa: PLC0415  (data, optional)
        LIBRARY_DIR,
        LIBRARY_NAME,
        LIBRARY_PUBLISHED,
    )

    library = _compiled_folder(
        Path(LIBRARY_DIR), "shipped", name=LIBRARY_NAME, rebuild=rebuild, on_compile=on_compile
    )
    # dated by the version it is, not by when this computer compiled it into its cache; the
    # date is the toolkit's constant, so the cached library itself may carry it (and keep the
    # work identify saves on it between queries)
    library.built_at = LIBRARY_PUBLISHED
    library.approval, library.standing = shipped_approval(Path(LIBRARY_DIR))
    return library


def open_reference_library(
    path: str | os.PathLike | None = None, *, on_compile: Callable[[Path], None] | None = None
) -> Library:
    """The library to identify against: the shipped one, a compiled file or a library folder.

    Parameters
    ----------
    path : path-like, optional
        A compiled library (``.flib``, from ``forensic library build`` or ``publish --out``),
        or a library folder (with its ``manifest.csv``, as ``forensic library import`` and
        ``publish`` keep it): exactly the references its manifest lists, compiled and
        calibrated once into the cache folder, as the shipped one is, and again only when they
        change. Default: the shipped library.
    on_compile : callable, optional
        Called with the folder before a folder is compiled (seconds, once), to tell whoever
        waits.

    Returns
    -------
    Library
        The library, loaded. Each states whether its references were approved
        (:attr:`~forensic.library.Library.standing`: why not) and by whom
        (:attr:`~forensic.library.Library.approval`). A library folder is a published version
        when its ``release.json`` records that version with a signed approval, or keeps it
        among the versions published before (``forensic library publish``;
        :func:`forensic.curation.folder_standing`): it is then named and dated
        (:attr:`~forensic.library.Library.built_at`) as published, else named by the folder
        and dated by when it was compiled. A library file is a published version when it
        carries a signed approval of the version it holds (``publish --out``;
        :func:`forensic.curation.compiled_standing`). The shipped library is dated by
        :data:`spectral_library.LIBRARY_PUBLISHED` and approved by the toolkit's release
        while its files are those released (:func:`shipped_approval`).

    Raises
    ------
    LibraryError
        No such file or folder, a folder without ``manifest.csv`` or with a listed reference
        that cannot be read, a damaged file, or a list of trusted approvers that cannot be
        read (:func:`forensic.curation.approval.trusted_approvers`).
    """
    # the I/O edge of curation, imported late: curation builds on this module
    from forensic.curation.source import compiled_standing, folder_standing  # noqa: PLC0415

    if path is None:
        return shipped_library(on_compile=on_compile)
    folder = Path(path)
    if not folder.is_dir():
        library = Library.load(folder)
        standing = compiled_standing(library)
        library.standing = standing.unapproved
        library.approval = standing.approval
        return library
    if not (folder / "manifest.csv").is_file():
        raise LibraryError(
            f"{folder}: a folder without manifest.csv is not a library folder (build one with "
            "'forensic library build' or import references with 'forensic library import')"
        )
    folder = folder.resolve()
    compiled = _compiled_folder(
        folder, "folder", name=folder.name, strict=True, on_compile=on_compile
    )
    standing = folder_standing(folder, compiled.version)
    # a copy for this opening: the compiled library stays as compiled (in memory and in the
    # cache), dated when it was compiled, so that a folder published again after it was
    # compiled, with the same references, is never given the date of an earlier record
    return replace(
        compiled,
        standing=standing.unapproved,
        approval=standing.approval,
        name=standing.name or compiled.name,
        built_at=standing.published_at or compiled.built_at,
    )
