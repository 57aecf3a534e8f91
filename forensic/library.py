"""The compiled reference library: preprocessed references as one float32 matrix per modality.

A :class:`Library` holds, for each modality it has references of, the references run once
through that modality's :class:`~forensic.processing.Pipeline` and laid on its common grid as
the rows of one float32 matrix (zero outside each reference's measured range), the range of each
row as grid indices ``[start, stop)``, the per-row cumulative sums the search needs
(:func:`forensic.search.breakpoint_cumsums`), the q-value calibration of the search scores
(:func:`forensic.verdict.calibrate_library`), and metadata per entry.

It is saved to ONE file: a short magic line, a JSON header (entries, pipelines, calibrations,
array offsets) and the raw little-endian arrays, 64-byte aligned. :meth:`Library.load` reads the
header and memory-maps the arrays, so opening a 100,000-reference library is quick and costs
little memory until it is searched.

:attr:`Library.version` is a content hash of what decides results and records provenance: each
modality's pipeline and grid, every reference's library vector and range, and every entry's
metadata (names, CAS, sources, the reference file's SHA-256...), taken by modality and entry
id whatever order they are stored in, so neither the order of a manifest's rows nor of a
build's inputs changes it (a folder's references are also stored in one order,
:func:`reference_order_key`, so its calibration does not depend on them either). The same
references built with the same pipeline give the same version on every machine. The rule is
:data:`HASH_SCHEME`, stored in the file; a file written before the rule had a number (rule 1:
the same parts in storage order) is checked by its own rule, so every version published keeps
its value.

:meth:`Library.load` checks a file against its version before it is used (and the parts the
version leaves out, the q-value calibration and the search's cumulative sums, against a
checksum stored beside it) and refuses a file that does not match, naming the part that does
not. A full check reads the whole file (about 1.5 s for 100,000 references), so a file that
passed is remembered by its inode, size and modification and change times
(:func:`_verified_memo`) and not read again until any of these changes.

This module reads no spectrum files: the library is built from spectra in memory
(:meth:`Library.from_spectra`) and keeps its own file. Library folders (the reference files
and their manifest, the folders compiled once into the cache folder, the shipped library) are
:mod:`forensic.library_folders`, which :meth:`Library.from_folder` imports when it is called.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import struct
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from forensic.errors import ForensicError, LibraryError
from forensic.files import (
    OutputExistsError,
    atomic_write,
    atomic_write_bytes,
    library_cache_dir,
    not_overwritten,
)
from forensic.naming import substance_key  # also importable from here, its home before
from forensic.processing import (
    Pipeline,
    default_pipeline,
    grid_range,
    linear_from_representation,
    representation_from_linear,
)
from forensic.quality import comparison_problems
from forensic.search import (
    SHIFT_SEARCH_CM1,
    breakpoint_cumsums,
    mask_to_ranges,
    ranges_to_mask,
    score_batch,
    score_shifted,
    shift_steps,
)
from forensic.spectrum import MODALITIES, Spectrum, y_unit_basis_is_guess

__all__ = [
    "CALIBRATION_METHOD",
    "FILE_SUFFIX",
    "HASH_SCHEME",
    "NOT_PUBLISHED",
    "SHIFT_SEARCH_METHOD",
    "Library",
    "ModalityBlock",
    "reference_order_key",
    "substance_key",
]

FILE_SUFFIX = ".flib"

_MAGIC = b"FORENSIC-LIBRARY v1\n"
_ALIGN = 64
_FORMAT = 2  # 2: cumulative sums stored breakpoint-major (B, N)
HASH_SCHEME = 2
"""The rule :attr:`Library.version` is computed by (stored in each file as ``hash_scheme``).

1: SHA-256 over the blocks and entries in the order they are stored (files without the field,
written before 2026-11-24); 2: the same content taken by modality and entry id, as
digests per part (``Library._content_digests``), so the order of a manifest's rows or of a
build's inputs does not change it. A file is checked by the rule it was written under."""
NOT_PUBLISHED = "not a published version"
"""What a result and its report say of a library no one approved as it is (a library file
built rather than published, a folder never published or changed since): the one wording
(:attr:`Library.approval` says who approved one that was)."""
_PARALLEL_MIN = 48  # fewer references than this are preprocessed in-process (pool start-up)
_BUILD_CHUNK = 4096  # references (or files) read and preprocessed at a time: bounds memory
CALIBRATION_METHOD = 7
"""Version of how :meth:`Library.calibrate` scores (1: plain search; 2: with the shift search;
3: with range-cut queries, a curve per share of the reference compared,
:attr:`forensic.verdict.Calibration.strata`; 4 and 5 were measured and reverted; 6: the margin
over the best different substance chosen from the library's own references left out one at a
time, :attr:`forensic.verdict.Calibration.margin_min`, older ones identifying at
:data:`forensic.verdict.MARGIN_MIN`; 7: those references re-measured,
:data:`forensic.verdict.LEFT_OUT_DRAWS` times each, as the calibration re-measures its own
queries). Stored with each calibration; the compiled
shipped library is rebuilt when it changes, :func:`forensic.identify` warns about a library
calibrated without the shift search, and gives no q-value to a partial comparison in a
library calibrated without range-cut queries."""
SHIFT_SEARCH_METHOD = 2
"""The first :data:`CALIBRATION_METHOD` with the shift search: an older calibration's q-values
may be optimistic."""
_ENTRY_FIELDS = 4
"""What an entry holds (2: a modelled reference's ``band_confidence``; 3: the gates a
reference is let pass, ``waivers``; 4: what the chemist stated over its file, ``stated``): a
folder compiled before it changed is compiled again, so its entries hold it too."""
STATED_KEY = "stated_at_import"
"""The metadata key (``##$stated_at_import=`` in a reference's JCAMP-DX file) that records what
the chemist stated at import over or beyond what the file said: an intensity unit its header
names wrongly, the laser wavelength of a wavelength axis (``forensic library import
--y-unit ... --override-file``, ``--laser-nm``), with who and when. A compiled entry keeps it as
``stated``; ``library show`` prints it and a published changelog entry lists it."""
_CALIBRATION_QUERIES = 1000  # perturbed references per modality used to calibrate q-values
_CALIBRATION_MAX_REFERENCES = 20_000  # larger libraries are calibrated on a random subset


def _build_rules() -> str:
    """The rules a library built now is built by, besides its references and pipelines: the
    file format, the calibration method, what an entry holds and the hash rule. A library
    compiled under other rules (a library folder compiled into the cache,
    :mod:`forensic.library_folders`) is compiled again."""
    return f"forensic-library/{_FORMAT}/{CALIBRATION_METHOD}/{_ENTRY_FIELDS}/hash-{HASH_SCHEME}"


@dataclass
class ModalityBlock:
    """The references of one modality: matrix, ranges, cumulative sums, pipeline, calibration.

    Attributes
    ----------
    pipeline : Pipeline
        The preprocessing every reference went through and every query must go through.
    matrix : numpy.ndarray
        Shape (N, G), float32, zero outside each row's range.
    start, stop : numpy.ndarray
        Shape (N,), int64: each row's measured range as grid indices ``[start, stop)``.
    cumsums : numpy.ndarray
        Shape (B, N), float64: :func:`forensic.search.breakpoint_cumsums` of ``matrix``.
    rows : numpy.ndarray
        Shape (N,), int64: index of each row's entry in :attr:`Library.entries`.
    calibration : dict or None
        :meth:`forensic.verdict.Calibration.to_dict` of this modality's search scores.
    """

    pipeline: Pipeline
    matrix: np.ndarray
    start: np.ndarray
    stop: np.ndarray
    cumsums: np.ndarray
    rows: np.ndarray
    calibration: dict[str, Any] | None = None

    @property
    def grid(self) -> np.ndarray:
        """The wavenumber grid (cm⁻¹), shape (G,)."""
        return self.pipeline.grid

    @property
    def valid(self) -> np.ndarray:
        """Bool mask (N, G) of each row's measured range (built on demand: N x G bytes)."""
        idx = np.arange(self.matrix.shape[1])
        return (idx[None, :] >= self.start[:, None]) & (idx[None, :] < self.stop[:, None])

    def __len__(self) -> int:
        return int(self.matrix.shape[0])


@dataclass
class Library:
    """A compiled reference library (see the module docstring).

    Build one with :meth:`from_spectra` or :meth:`from_folder`, save it with :meth:`save`, open
    it with :meth:`load`; :func:`forensic.library_folders.shipped_library` gives the library
    shipped with the toolkit, and :func:`~forensic.library_folders.open_reference_library`
    the one a command identifies against (a library folder compiled once into the cache).

    Attributes
    ----------
    entries : list of dict
        Metadata per entry: ``entry_id``, ``name``, ``synonyms`` (list), ``cas``, ``class``,
        ``provenance`` ("measured" unless stated), ``source``, ``modality``, ``y_unit`` (the
        intensity unit the reference was read in), ``y_unit_basis`` (how, when its file did not
        name it), ``source_file`` and ``source_sha256`` (the reference file and its hash),
        ``imported_file`` and ``imported_sha256`` (what a measured reference was imported from;
        empty in libraries built before they were kept), and ``waivers`` (the validation gates
        its manifest row lets it pass, with each reason,
        :func:`forensic.manifest.waivers_text`; only in entries that have some), ``stated``
        (what the chemist stated over the file at import, :data:`STATED_KEY`; only where
        stated), ``inchikey`` (the substance's standard InChIKey; only where its manifest row
        gives one)...
    blocks : dict of str to ModalityBlock
        One block per modality present.
    skipped : list of (str, str)
        Files or spectra left out while building, with the one-line reason.
    version : str
        SHA-256 content hash (hex), by the rule ``hash_scheme``.
    path : Path or None
        The file it was loaded from or saved to.
    hash_scheme : int
        The rule of :attr:`version` (:data:`HASH_SCHEME` for a library built now; 1 for a file
        written before the rule was recorded).
    standing : str or None
        Why its references, as they are, were never approved (a library folder never
        published, or changed since its published version), set by
        :func:`forensic.library_folders.open_reference_library`; None when they were or it
        cannot tell. Not part of
        the content: identify states it among a result's warnings.
    name : str or None
        What the library is called, for a reader (``forensic library build --name``; the
        shipped one :data:`spectral_library.LIBRARY_NAME`, a library folder its folder's
        name); None in files built before it was kept.
    built_at : str or None
        When it was built (compiled), UTC, ISO 8601 (``2026-11-24T06:37:51Z``), or the date
        alone where one was given (``library build --built-at``; the shipped library: the
        date its version was published, :data:`spectral_library.LIBRARY_PUBLISHED`; a
        library folder that is the version it published, opened for identification: the
        date in its ``release.json``); None in files built before it was kept.
    release : dict or None
        The signed record of the published version it is, when ``forensic library publish
        --out`` wrote it (or ``library build`` of a folder that is its published version):
        version, entries digest, waivers, publication date, approver, name and the approver's
        Ed25519 signature (:func:`forensic.curation.approval.approval_record`). Saved in the file,
        under its checksum; whether the signature verifies is decided when the library is
        opened for identification (:func:`forensic.curation.compiled_standing`). None for a
        library no one approved.
    approval : str or None
        Who approved it, in the words a result records (``published 2026-11-24, approved by
        Dr. A. Chemist (key 0123456789abcdef)``; the shipped library: ``published 2026-11-22
        with forensic 0.12.0``), set by
        :func:`forensic.library_folders.open_reference_library` when the approval checks out;
        None otherwise (:attr:`standing` then says why, and a result says
        :data:`NOT_PUBLISHED`). Not part of the content.

    Notes
    -----
    Neither :attr:`name` nor :attr:`built_at` is in :attr:`version`: the version says which
    references and pipelines decide a result, and the same references built twice, on two
    computers or under two names, must give the same version (a published version is
    checked by building its folder again). They are covered by the file's checksum of what
    the version leaves out, so a file whose name or date was edited is refused.
    """

    entries: list[dict[str, Any]]
    blocks: dict[str, ModalityBlock]
    skipped: list[tuple[str, str]] = field(default_factory=list)
    version: str = ""
    path: Path | None = None
    hash_scheme: int = HASH_SCHEME
    standing: str | None = field(default=None, compare=False)
    name: str | None = field(default=None, compare=False)
    built_at: str | None = field(default=None, compare=False)
    release: dict[str, Any] | None = field(default=None, compare=False)
    approval: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not self.version:
            self.version = self._content_hash()

    # -- queries about the library ------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.entries)

    def __repr__(self) -> str:
        counts = ", ".join(f"{m}: {len(b)}" for m, b in sorted(self.blocks.items()))
        return f"<Library {len(self)} references ({counts}) version {self.version[:12]}>"

    @property
    def guessed_units(self) -> list[dict[str, Any]]:
        """Infrared entries whose intensity unit was guessed from the numbers.

        Their files name no unit, and the guess (transmittance or absorbance) decides whether
        the reference is converted to absorbance before it is compared: a wrong guess makes a
        reference that no measurement of its substance matches. State the unit
        (``forensic library import --y-unit``) to be sure. Libraries built before entries
        recorded their unit list none.
        """
        return [
            e
            for e in self.entries
            if e["modality"] == "ir" and y_unit_basis_is_guess(e.get("y_unit_basis"))
        ]

    @property
    def modalities(self) -> list[str]:
        """The modalities with at least one reference."""
        return sorted(self.blocks)

    def block(self, modality: str) -> ModalityBlock:
        """The references of one modality: their matrix, ranges, pipeline and calibration.

        Parameters
        ----------
        modality : str
            ``"raman"`` or ``"ir"``.

        Returns
        -------
        ModalityBlock

        Raises
        ------
        LibraryError
            The library has no references of ``modality`` (the message names those it has).
        """
        try:
            return self.blocks[modality]
        except KeyError:
            have = ", ".join(self.modalities) or "none"
            raise LibraryError(
                f"the library has no {modality} references (it holds: {have})"
            ) from None

    def substances(self, modality: str) -> np.ndarray:
        """The substance of each row of a modality's block, as the search groups hits.

        Parameters
        ----------
        modality : str
            ``"raman"`` or ``"ir"``.

        Returns
        -------
        numpy.ndarray
            Shape (N,), one per row of :meth:`block`: :func:`substance_key` of the entry's
            name (two names of one substance give one key).

        Raises
        ------
        LibraryError
            The library has no references of ``modality``.
        """
        block = self.block(modality)
        cache = self.__dict__.setdefault("_substances", {})
        if modality not in cache:
            cache[modality] = np.array([substance_key(self.entries[i]["name"]) for i in block.rows])
        return cache[modality]

    def entry_ranks(self, modality: str) -> np.ndarray:
        """Each row's place in the order of entry ids: how an exact score tie is broken.

        Two references that score exactly alike (one spectrum filed under two names) are
        ranked by entry id, the order the version takes them in
        (:func:`forensic.search.best_first`), so the same library content gives the same
        result whatever order its references were given or stored in.

        Parameters
        ----------
        modality : str
            ``"raman"`` or ``"ir"``.

        Returns
        -------
        numpy.ndarray
            Shape (N,), int64, one per row of :meth:`block`: 0 for the row whose entry id
            comes first.

        Raises
        ------
        LibraryError
            The library has no references of ``modality``.
        """
        block = self.block(modality)
        cache = self.__dict__.setdefault("_entry_ranks", {})
        if modality not in cache:
            order = _canonical_order([self.entries[int(r)] for r in block.rows])
            ranks = np.arange(len(block), dtype=np.int64)
            if order is not None:
                ranks[order] = np.arange(len(block), dtype=np.int64)
            cache[modality] = ranks
        return cache[modality]

    def entry(self, modality: str, row: int) -> dict[str, Any]:
        """The metadata of one row of a modality's block (an element of :attr:`entries`).

        Parameters
        ----------
        modality : str
            ``"raman"`` or ``"ir"``.
        row : int
            The row in :meth:`block` (a hit's ``row``), not the index in :attr:`entries`.

        Returns
        -------
        dict
            The entry itself, not a copy.

        Raises
        ------
        LibraryError
            The library has no references of ``modality``.
        """
        return self.entries[int(self.block(modality).rows[row])]

    def substance_names(self, modality: str) -> list[str]:
        """The substances the library holds for ``modality``, one name each, sorted.

        A substance with several references (a measured and a second one, ``--id``) is
        named once, by the name of its entry whose id comes first (:meth:`entry_ranks`, so
        not by how the rows are stored); two names are one substance when
        :func:`substance_key` says so, as :meth:`substances` counts them.

        Parameters
        ----------
        modality : str
            ``"raman"`` or ``"ir"``.

        Returns
        -------
        list of str
            The names, in alphabetical order (letter case aside).

        Raises
        ------
        LibraryError
            The library has no references of ``modality``.
        """
        cache = self.__dict__.setdefault("_substance_names", {})
        if modality not in cache:  # every identification records them: worked out once
            named: dict[str, str] = {}
            rows, keys = self.block(modality).rows, self.substances(modality)
            for j in np.argsort(self.entry_ranks(modality)):
                named.setdefault(str(keys[j]), str(self.entries[int(rows[j])]["name"]))
            cache[modality] = sorted(named.values(), key=lambda name: (name.casefold(), name))
        return list(cache[modality])

    # -- building -----------------------------------------------------------------------------

    @classmethod
    def from_spectra(
        cls,
        spectra: Iterable[Spectrum],
        *,
        pipelines: Mapping[str, Pipeline] | None = None,
        calibrate: bool = True,
        workers: int | None = None,
        name: str | None = None,
    ) -> Library:
        """Build a library from reference spectra.

        Parameters
        ----------
        spectra : iterable of Spectrum
            References; metadata ``name`` (else ``source_file`` stem, else ``entry_id``, else
            ``reference`` and the first 8 hex digits of the SHA-256 of its data),
            ``entry_id`` (else made from the modality and the name, ``raman-caffeine``),
            ``cas``, ``synonyms``, ``class``, ``provenance``, ``source`` are used.
            Taken a chunk at a time: pass a generator to build a large library without holding
            every raw spectrum in memory.
        pipelines : mapping of modality to Pipeline, optional
            Keyed ``"raman"`` and ``"ir"``; a modality left out gets
            :func:`forensic.processing.default_pipeline`.
        calibrate : bool, default True
            Compute the q-value calibration of each modality (a few seconds per thousand
            references).
        workers : int, optional
            Processes for preprocessing (default: every core; 1 runs in-process).
        name : str, optional
            What the library is called (:attr:`name`); it is dated now (:attr:`built_at`).

        Returns
        -------
        Library
            In memory (:attr:`path` None until :meth:`save`), its entries and rows stored in
            the order the spectra were given, :attr:`skipped` listing what was left out. Its
            version, entries and calibration do not depend on that order (Notes).

        Raises
        ------
        LibraryError
            When no spectrum could be preprocessed, or ``pipelines`` names a modality other
            than ``"raman"`` and ``"ir"`` (one spelt ``"Raman"`` would be built with the
            default pipeline).
        TypeError
            When an item of ``spectra`` is not a :class:`~forensic.spectrum.Spectrum`, or a
            pipeline not a :class:`~forensic.processing.Pipeline`.

        Notes
        -----
        A spectrum that cannot be compared with others
        (:func:`forensic.quality.comparison_problems`) is left out and listed in
        :attr:`skipped`, as is one the pipeline cannot preprocess: it could never find its
        own substance, and a query compared in it finds nothing right.

        References that share an entry id (two spectra named Caffeine, ``raman-caffeine``)
        are told apart by ``-2``, ``-3``, ... in the order of their ``source_file`` paths (the
        spectra of one file in its order), then, where the path does not tell them apart, of
        a hash of their content, never in the order given: the same references in any order
        give the same entries, each id with the same data, and so the same version and
        calibration. An id no other reference has is kept as it is.
        """
        skipped: list[tuple[str, str]] = []

        def items():
            # a generator: the spectra are taken a chunk at a time, so a caller that streams
            # them (a generator) never has them all in memory at once
            for i, s in enumerate(spectra):
                if not isinstance(s, Spectrum):
                    raise TypeError(
                        f"spectra must be forensic.Spectrum objects; item {i} is a "
                        f"{type(s).__name__} (forensic.read_spectrum(path) reads a file; "
                        "Library.from_folder builds from files)"
                    )
                label = _label(s.metadata, i)
                why = _not_comparable(s)
                if why is not None:
                    skipped.append((label, why))
                    continue
                yield (
                    i,
                    np.asarray(s.wavenumber),
                    np.asarray(s.intensity),
                    s.modality,
                    s.y_unit,
                    dict(s.metadata),
                    label,
                )

        with _Workers(workers) as pool:
            return cls._build(
                items(),
                pipelines=pipelines,
                calibrate=calibrate,
                pool=pool,
                skipped=skipped,
                name=name,
            )

    @classmethod
    def from_folder(
        cls,
        folder: str | os.PathLike | Sequence[str | os.PathLike],
        manifest: str | os.PathLike | None = None,
        *,
        pipelines: Mapping[str, Pipeline] | None = None,
        calibrate: bool = True,
        workers: int | None = None,
        name: str | None = None,
        ignore_columns: bool = False,
    ) -> Library:
        """Build a library from the spectrum files in folders (read recursively) or files.

        Names come from the manifest (CSV with the columns of ``spectral_library/manifest.csv``;
        ``file`` relative to the manifest, and ``name``, are required), else from the file
        itself (JCAMP ``##TITLE``/``##NAMES``, RRUFF ``##NAMES``: metadata ``name``), else the
        file name. Files listed in the manifest are included even outside ``folder``. A folder
        that holds a ``manifest.csv`` with ``file`` and ``name`` columns (a curated library
        folder) holds exactly the references its manifest lists
        (:func:`forensic.library_folders.reference_files`, the rule ``forensic identify
        --library``, ``validate`` and ``publish`` use too), named by its rows (``manifest``
        overrides them); a file in it that the manifest does not list is no reference. The
        files are read in the order of their paths (relative to the manifest, or to the one
        folder), whatever the order of the sources or the manifest's rows, so the same files
        always give the same library.
        Unreadable files are listed in :attr:`skipped` with the reason, never fatal; so is a
        file of several spectra that does not name each and has no manifest row
        (:func:`forensic.library_folders.unnamed_spectra`): they are not made a substance
        each; and so is a spectrum that cannot be compared
        (:func:`forensic.quality.comparison_problems`: an axis not in cm-1, an infrared one in
        reflectance or single-channel units or with values its unit cannot have, one upside
        down), as :meth:`from_spectra` leaves them out.

        Parameters
        ----------
        folder : path-like or sequence of path-like
            A library folder, or several folders and files.
        manifest : path-like, optional
            A manifest naming the files (default: the one folder's own ``manifest.csv``). A
            column it has that is not a manifest column (a misspelt ``license``, another
            tool's ``aliases``, an import's ``y_unit``) is refused, naming each and the one
            nearest in spelling, as ``forensic library import`` and ``build`` refuse it
            (:func:`forensic.manifest.refuse_unknown_columns`): its values would be lost. A
            folder's own ``manifest.csv`` keeps a lab's own columns.
        pipelines : mapping of modality to Pipeline, optional
            As :meth:`from_spectra`.
        calibrate : bool, default True
            As :meth:`from_spectra`.
        workers : int, optional
            Processes for reading and preprocessing (default: every core; 1 runs in-process).
        name : str, optional
            What the library is called (:attr:`name`); it is dated now (:attr:`built_at`).
        ignore_columns : bool, default False
            Build from a ``manifest`` with columns that are not manifest columns, leaving
            them out (``--ignore-columns``).

        Returns
        -------
        Library
            The library built, not saved.

        Raises
        ------
        LibraryError
            When the manifest cannot be read (it says where), has a column that is not a
            manifest column (unless ``ignore_columns``; before any file is read), no
            reference could be read and preprocessed, or ``pipelines`` is refused as
            :meth:`from_spectra` refuses it.
        TypeError
            As :meth:`from_spectra`, for a pipeline.

        Notes
        -----
        The files are listed and read by :mod:`forensic.library_folders`, the library's file
        edge, imported when this is called: ``import forensic.library`` reads no files and
        loads none of the readers. Opening a library folder for identification, compiled once
        into the cache folder, is :func:`forensic.library_folders.open_reference_library`.
        """
        # the file edge, imported only here: the in-memory library itself reads no files
        from forensic.library_folders import _read_file_job, _reading_jobs  # noqa: PLC0415

        jobs, skipped = _reading_jobs(folder, manifest, ignore_columns=ignore_columns)

        def read_items(pool: _Workers):
            # files are read a chunk at a time, in the same pool, as the build consumes them
            count = 0
            for lo in range(0, len(jobs), _BUILD_CHUNK):
                for result in pool.map(_read_file_job, jobs[lo : lo + _BUILD_CHUNK]):
                    if isinstance(result, str):
                        skipped.append(tuple(result.split("\x00", 1)))  # type: ignore[arg-type]
                        continue
                    for item in result:
                        if isinstance(item, str):  # one spectrum of the file left out
                            skipped.append(tuple(item.split("\x00", 1)))  # type: ignore[arg-type]
                            continue
                        yield (count, *item)
                        count += 1

        with _Workers(workers) as pool:
            return cls._build(
                read_items(pool),
                pipelines=pipelines,
                calibrate=calibrate,
                pool=pool,
                skipped=skipped,
                in_order=True,
                name=name,
            )

    @classmethod
    def _build(
        cls,
        items: Iterable[tuple],
        *,
        pipelines: Mapping[str, Pipeline] | None,
        calibrate: bool,
        pool: _Workers,
        skipped: list[tuple[str, str]] | None = None,
        in_order: bool = False,
        name: str | None = None,
    ) -> Library:
        """Preprocess ``items`` (consumed :data:`_BUILD_CHUNK` at a time) into a library.

        ``skipped`` is appended to in place (readers may still be adding to it while the
        items are consumed). ``in_order`` stores the entries in :func:`reference_order_key`
        order (a folder's files); otherwise they keep the order given (spectra handed over in
        an order of the caller's).
        """
        skipped = skipped if skipped is not None else []
        for m, p in (pipelines or {}).items():
            # a key spelt otherwise ("Raman") was passed over: the default pipeline was used
            if m not in MODALITIES:
                raise LibraryError(
                    f"pipelines names the modality {m!r}; the modalities are "
                    f"{', '.join(MODALITIES)}"
                )
            if not isinstance(p, Pipeline):
                raise TypeError(
                    f"the {m} pipeline must be a forensic.processing.Pipeline "
                    f"(default_pipeline({m!r}).with_params(...) makes one), got {type(p).__name__}"
                )
        pipes = {m: (pipelines or {}).get(m) or default_pipeline(m) for m in MODALITIES}
        for m, p in pipes.items():
            if p.grid is None:
                raise LibraryError(f"the {m} pipeline has no resample step: a library needs a grid")
        pipe_dicts = {m: p.to_dict() for m, p in pipes.items()}
        entries: list[dict[str, Any]] = []
        per_mod: dict[str, list[tuple[int, int, np.ndarray, int]]] = {}
        items = iter(items)
        while chunk := list(itertools.islice(items, _BUILD_CHUNK)):
            # only the chunk's raw spectra are held; what is kept is the float32 vector on the
            # grid (over the reference's own range)
            processed = pool.map(_preprocess_job, [(it, pipe_dicts[it[3]]) for it in chunk])
            for item, result in zip(chunk, processed, strict=True):
                label = item[6]
                if isinstance(result, str):
                    skipped.append((label, result))
                    continue
                start, stop, vector = result
                entry = _entry(item[5], item[3], item[4], item[1], item[2])
                per_mod.setdefault(item[3], []).append((start, stop, vector, len(entries)))
                entries.append(entry)
            del chunk, processed
        if not entries:
            reasons = "; ".join(f"{a}: {b}" for a, b in skipped[:3])
            error = LibraryError(
                "no reference could be read and preprocessed" + (f" ({reasons})" if reasons else "")
            )
            error.skipped = skipped[:3]  # (label, reason) as said: a command words them its way
            raise error
        _tell_shared_ids_apart(entries, per_mod)
        # a folder's entries and rows in the one order (reference_order_key): the order the
        # version hashes them in, and the calibration's seeded choices of rows follow it
        order = (
            sorted(range(len(entries)), key=lambda i: _entry_order(entries[i]))
            if in_order
            else range(len(entries))
        )
        position = np.empty(len(entries), dtype=np.int64)
        position[order] = np.arange(len(entries))
        entries = [entries[i] for i in order]
        blocks = {}
        for m in sorted(per_mod):
            rows = sorted(
                ((s, e, v, int(position[i])) for s, e, v, i in per_mod[m]), key=lambda r: r[3]
            )
            per_mod[m] = []
            g = pipes[m].grid.size
            matrix = np.zeros((len(rows), g), dtype=np.float32)
            start = np.empty(len(rows), dtype=np.int64)
            stop = np.empty(len(rows), dtype=np.int64)
            entry_rows = np.array([r[3] for r in rows], dtype=np.int64)
            for j, (s, e, v, _) in enumerate(rows):
                matrix[j, s:e] = v
                start[j], stop[j] = s, e
                rows[j] = None  # each vector is let go once copied: vectors + matrix never peak
            blocks[m] = ModalityBlock(
                pipeline=pipes[m],
                matrix=matrix,
                start=start,
                stop=stop,
                cumsums=breakpoint_cumsums(matrix),
                rows=entry_rows,
            )
        library = cls(
            entries=entries,
            blocks=blocks,
            skipped=skipped,
            name=" ".join((name or "").split()) or None,
            built_at=_utc_now(),
        )
        if calibrate:
            library.calibrate()
        return library

    def calibrate(self, *, seed: int = 0, n_queries: int | None = None) -> None:
        """Compute (or recompute) the q-value calibration of every modality, in place.

        Uses :func:`forensic.verdict.calibrate_library` with this library's own search scoring
        including the shift search of identification (:func:`forensic.search.score_shifted`
        over :data:`forensic.search.SHIFT_SEARCH_CM1`), so a q-value accounts for the chances a
        wrong reference gets by being tried at many shifts. The perturbed queries and the
        decoys are made from the references as spectra
        (:func:`forensic.processing.linear_from_representation`: baseline-corrected
        intensities, where noise, residual baseline and band shuffling mean what they mean on
        a measurement) and then put through the pipeline's comparison
        representation (:func:`forensic.processing.representation_from_linear`, each over
        its own range) before scoring, exactly as a real query is. Libraries larger than
        :data:`_CALIBRATION_MAX_REFERENCES` are calibrated on a seeded random subset of that
        many references. Range-cut queries calibrate the comparisons that see only part of a
        reference, the share of it measured in the comparison representation
        (:func:`forensic.verdict.calibrate_library`). The references are taken in the order
        the version takes them, so a
        library's calibration, like its version, does not depend on the order its references
        were given or stored in. The calibration also chooses the margin over the best
        different substance this library identifies at, from its references left out one at a
        time (:func:`forensic.verdict.choose_margin`,
        :attr:`forensic.verdict.Calibration.margin_min`). A modality with fewer than 2
        references, or fewer than 2 substances, stays uncalibrated (its verdicts say so).

        Parameters
        ----------
        seed : int, default 0
            Seed of the choice of queries, their perturbations and the decoys: the same seed
            gives the same calibration.
        n_queries : int, optional
            References used as queries per modality (default 1000, at most the references
            calibrated on); a small library queries them in rounds
            (:func:`forensic.verdict.calibrate_library`).
        """
        from forensic import verdict  # noqa: PLC0415  (evidence module; needed only here)

        for m, block in self.blocks.items():
            labels = self.substances(m)
            if len(block) < 2 or np.unique(labels).size < 2:
                block.calibration = None
                continue
            # the rows in the order the version takes them: the same references, stored in
            # any order, give the same calibration, as they give the same version
            order = _canonical_order([self.entries[int(r)] for r in block.rows])
            rows = np.arange(len(block)) if order is None else order
            if rows.size > _CALIBRATION_MAX_REFERENCES:
                rng = np.random.default_rng(seed)
                picked = rng.choice(rows.size, _CALIBRATION_MAX_REFERENCES, replace=False)
                rows = rows[np.sort(picked)]
            linear = np.zeros((rows.size, block.matrix.shape[1]), dtype=np.float32)
            for k, r in enumerate(rows):
                linear[k] = linear_from_representation(
                    np.asarray(block.matrix[r], dtype=np.float64),
                    int(block.start[r]),
                    int(block.stop[r]),
                    block.pipeline,
                )
            valid = ranges_to_mask(block.start[rows], block.stop[rows], linear.shape[1])
            try:
                cal = verdict.calibrate_library(
                    linear,
                    valid,
                    _representation_score_fn(
                        block.pipeline, shift_steps(block.grid, SHIFT_SEARCH_CM1)
                    ),
                    seed=seed,
                    n_queries=min(rows.size, n_queries or _CALIBRATION_QUERIES),
                    labels=labels[rows],
                    represent=_representation(block.pipeline),
                )
            except ForensicError:
                block.calibration = None
                continue
            cal.info["shift_search_cm1"] = SHIFT_SEARCH_CM1
            cal.info["method"] = CALIBRATION_METHOD
            block.calibration = cal.to_dict()

    # -- saving and loading -----------------------------------------------------------------

    def save(self, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
        """Write the library to one file, atomically (a reader never sees half a file).

        The file holds a short magic line, a JSON header (entries, pipelines, calibrations,
        version, array offsets) and the arrays, 64-byte aligned, little-endian (see the module
        docstring); :meth:`load` reads it back.

        The header records the version, its rule (:attr:`hash_scheme`), the digest of each
        part the version covers and a checksum of the parts it leaves out (calibration,
        cumulative sums, skipped files), which :meth:`load` checks. The version is computed
        again from what is written, so the file states the version of what it holds.

        Parameters
        ----------
        path : str or os.PathLike
            The file to write (``.flib`` by convention, :data:`FILE_SUFFIX`); missing folders
            are created.
        overwrite : bool, default False
            Replace an existing file.

        Returns
        -------
        pathlib.Path
            ``path``, which also becomes :attr:`path`.

        Raises
        ------
        LibraryError
            When ``path`` exists (or another writer created it meanwhile) and ``overwrite``
            is false.
        forensic.files.OutputError
            When the file cannot be written there (a folder in its place, no permission, a
            full disk).
        """
        path = Path(path)
        if path.exists() and not overwrite:
            raise LibraryError(not_overwritten(path))
        digests = self._content_digests() if self.hash_scheme >= 2 else None
        self.version = _version_of(digests) if digests is not None else self._content_hash()
        arrays: list[np.ndarray] = []
        header_blocks = {}
        offset = 0
        for m, block in sorted(self.blocks.items()):
            specs = {}
            for key, dtype in _ARRAYS:
                a = np.ascontiguousarray(np.asarray(getattr(block, key)), dtype=dtype)
                offset = -(-offset // _ALIGN) * _ALIGN
                specs[key] = {"offset": offset, "shape": list(a.shape), "dtype": dtype}
                arrays.append((offset, a))
                offset += a.nbytes
            header_blocks[m] = {
                "pipeline": block.pipeline.to_dict(),
                "calibration": block.calibration,
                "arrays": specs,
            }
        header = {
            "format": _FORMAT,
            "hash_scheme": self.hash_scheme,
            "version": self.version,
            "digests": digests,
            "seal": self._seal_digests(),
            "entries": self.entries,
            "blocks": header_blocks,
            "skipped": [list(s) for s in self.skipped],
            "name": self.name,
            "built_at": self.built_at,
        }
        if self.release is not None:  # only where there is one: other files stay as they were
            header["release"] = self.release
        head = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
        prefix = _MAGIC + struct.pack("<Q", len(head)) + head
        data_start = -(-len(prefix) // _ALIGN) * _ALIGN

        def write(handle) -> None:
            handle.write(prefix + b"\0" * (data_start - len(prefix)))
            for off, a in arrays:
                handle.seek(data_start + off)
                handle.write(a.tobytes())

        try:
            atomic_write(path, write, overwrite=overwrite)
        except OutputExistsError as exc:
            raise LibraryError(str(exc)) from None
        self.path = path
        return path

    @classmethod
    def load(cls, path: str | os.PathLike, *, verify: bool = True) -> Library:
        """Open a saved library; its arrays are memory-mapped (read-only), not read.

        Parameters
        ----------
        path : path-like
            A ``.flib`` file (:meth:`save`).
        verify : bool, default True
            Check the file against its version before it is used: the version recomputed by
            the file's own rule (:data:`HASH_SCHEME`; rule 1 for files written before it was
            recorded) and, in files that have one, the checksum of the calibration,
            cumulative sums and skipped list. A full check reads the file once (in blocks,
            not through the memory map, so it does not stay resident); a file that passed is
            remembered in the cache folder by device, inode, size and modification and
            change times, and checked again only when one of these changes (see
            :func:`_verified_memo`). False only for tools that inspect a damaged file.

        Returns
        -------
        Library
            With :attr:`path` set to ``path``.

        Raises
        ------
        LibraryError
            When the file is missing or a folder, is not a library file, has a corrupt header,
            is of another library file format (it must be rebuilt), is truncated, or
            (``verify``) does not match its version or checksum: the message names the file
            and the part that does not match (entries, reference spectra, pipeline,
            calibration...).
        """
        path = Path(path)
        try:
            handle = open(path, "rb")  # noqa: SIM115  (closed below; the maps keep their own)
        except FileNotFoundError:
            raise LibraryError(f"{path}: no such library file") from None
        except IsADirectoryError:
            raise LibraryError(f"{path}: is a folder, not a library file") from None
        with handle:
            header, data_start = _read_header(path, handle)
            # one open file for the maps and the check: what is checked is what is used
            stat = os.fstat(handle.fileno())
            size = stat.st_size
            blocks = {}
            for m, spec in header["blocks"].items():
                arrays = {}
                for key, a in spec["arrays"].items():
                    count = int(np.prod(a["shape"]))
                    end = data_start + a["offset"] + count * np.dtype(a["dtype"]).itemsize
                    if end > size:
                        raise LibraryError(
                            f"{path}: truncated library file ({size} bytes, {end} needed)"
                        )
                    if count == 0:
                        arrays[key] = np.zeros(a["shape"], dtype=a["dtype"])
                        continue
                    arrays[key] = np.memmap(
                        handle,
                        dtype=a["dtype"],
                        mode="r",
                        offset=data_start + a["offset"],
                        shape=tuple(a["shape"]),
                    )
                blocks[m] = ModalityBlock(
                    pipeline=Pipeline.from_dict(spec["pipeline"]),
                    matrix=arrays["matrix"],
                    start=np.asarray(arrays["start"]),
                    stop=np.asarray(arrays["stop"]),
                    cumsums=arrays["cumsums"],
                    rows=np.asarray(arrays["rows"]),
                    calibration=spec.get("calibration"),
                )
            library = cls(
                entries=header["entries"],
                blocks=blocks,
                skipped=[tuple(s) for s in header.get("skipped", [])],
                version=str(header["version"]),
                path=path,
                hash_scheme=header.get("hash_scheme", 1),
                name=_text_or_none(header.get("name")),
                built_at=_text_or_none(header.get("built_at")),
                release=header["release"] if isinstance(header.get("release"), dict) else None,
            )
            if verify:
                _check_file(library, header, handle, stat)
        return library

    def verify(self) -> bool:
        """Whether the content still hashes to :attr:`version` (by :attr:`hash_scheme`).

        A full check: every array is read. :meth:`load` runs it (and the checksum of the
        parts the version leaves out) before a file is used.

        Returns
        -------
        bool
            True when what the library holds gives its version.
        """
        return self._content_hash() == self.version

    def _content_hash(self, read: _Reader | None = None) -> str:
        if self.hash_scheme == 1:
            return self._content_hash_v1(read)
        return _version_of(self._content_digests(read))

    def _content_hash_v1(self, read: _Reader | None = None) -> str:
        """Hash rule 1 (files without ``hash_scheme``): storage order; kept to check them."""
        digest = hashlib.sha256()
        digest.update(f"forensic-library/{_FORMAT}\n".encode())
        for m, block in sorted(self.blocks.items()):
            digest.update(m.encode() + b"\n")
            digest.update(json.dumps(block.pipeline.to_dict(), sort_keys=True).encode())
            digest.update(np.asarray(block.grid, dtype="<f8").tobytes())
            for chunk in _array_chunks(block.matrix, "<f4", read):
                digest.update(chunk)
            digest.update(np.asarray(block.start, dtype="<i8").tobytes())
            digest.update(np.asarray(block.stop, dtype="<i8").tobytes())
            digest.update(np.asarray(block.rows, dtype="<i8").tobytes())
        digest.update(json.dumps(self.entries, sort_keys=True, default=str).encode())
        return digest.hexdigest()

    def _content_digests(self, read: _Reader | None = None) -> dict[str, str]:
        """SHA-256 of each part the version covers (hash rule 2), by modality and entry id.

        Per modality: ``<m>.pipeline`` (pipeline and grid), ``<m>.spectra`` (the library
        vectors and ranges) and ``<m>.entries`` (every entry's metadata), the rows taken by
        entry id (:func:`_canonical_order`), whatever order they are stored in.
        """
        parts: dict[str, str] = {}
        placed: set[int] = set()
        for m, block in sorted(self.blocks.items()):
            rows = np.asarray(block.rows, dtype=np.int64)
            entries = [self.entries[int(r)] for r in rows]
            order = _canonical_order(entries)
            pipe = hashlib.sha256(json.dumps(block.pipeline.to_dict(), sort_keys=True).encode())
            pipe.update(np.asarray(block.grid, dtype="<f8").tobytes())
            parts[f"{m}.pipeline"] = pipe.hexdigest()
            spectra = hashlib.sha256()
            chunks = (
                _array_chunks(block.matrix, "<f4", read)
                if order is None
                else _rows_chunks(block.matrix, order, read)
            )
            for chunk in chunks:
                spectra.update(chunk)
            index = slice(None) if order is None else order
            spectra.update(np.asarray(block.start, dtype="<i8")[index].tobytes())
            spectra.update(np.asarray(block.stop, dtype="<i8")[index].tobytes())
            parts[f"{m}.spectra"] = spectra.hexdigest()
            if order is not None:
                entries = [entries[j] for j in order]
            parts[f"{m}.entries"] = _json_digest(entries)
            placed.update(int(r) for r in rows)
        rest = [e for i, e in enumerate(self.entries) if i not in placed]
        if rest:  # entries of no block (never built so): still content
            parts["unplaced.entries"] = _json_digest(sorted(rest, key=_hash_order))
        return parts

    def _seal_digests(self, read: _Reader | None = None) -> dict[str, str]:
        """SHA-256 of what the version leaves out: each modality's q-value calibration (it
        changes verdicts, but its floating-point sums may differ in the last bit between
        machines, so it cannot be part of a reproducible version) and cumulative sums (derived
        from the matrix, used by every search), and the skipped list. A checksum against
        damage and plain edits, stored in the file: it names no published value."""
        parts: dict[str, str] = {}
        for m, block in sorted(self.blocks.items()):
            parts[f"{m}.calibration"] = _json_digest(block.calibration)
            cumsums = hashlib.sha256()
            for chunk in _array_chunks(block.cumsums, "<f8", read):
                cumsums.update(chunk)
            parts[f"{m}.cumsums"] = cumsums.hexdigest()
        parts["skipped"] = _json_digest([list(s) for s in self.skipped])
        if self.name is not None or self.built_at is not None:  # files before them hold none
            parts["about"] = _json_digest({"name": self.name, "built_at": self.built_at})
        if self.release is not None:  # the signed record of its publication, where it has one
            parts["release"] = _json_digest(self.release)
        return parts


# -- integrity of saved files -------------------------------------------------------------------

_ARRAYS = (
    ("matrix", "<f4"),
    ("start", "<i8"),
    ("stop", "<i8"),
    ("cumsums", "<f8"),
    ("rows", "<i8"),
)
"""The arrays of a block as saved, in order, with their on-disk dtype."""

_CHUNK_BYTES = 1 << 24  # hashed 16 MB at a time: no copy of a 100k-row matrix is made to hash it
_RACY_NS = 2_000_000_000
"""A file changed less than this before its check began is not remembered as checked: on a
filesystem whose timestamps are coarse (1-2 s), a later change within the same tick would
leave its times unchanged (git's "racily clean" index entries)."""
_MEMO_DIR = "verified"

_Reader = Callable[[int, int], Iterator[memoryview]]
"""Reads ``nbytes`` of the open library file from ``offset``, a block at a time."""

_PART_WORDS = {
    "pipeline": "preprocessing pipeline and grid",
    "spectra": "reference spectra (library vectors and their ranges)",
    "entries": "entries (names, synonyms, CAS numbers, provenance, sources, file hashes)",
    "calibration": "q-value calibration",
    "cumsums": "search sums (cumulative sums of the library vectors)",
}


def _part_in_words(part: str) -> str:
    if part == "skipped":
        return "list of files left out of the build"
    if part == "about":
        return "name and build date"
    if part == "release":
        return "record of its publication (who approved it, when)"
    modality, _, kind = part.partition(".")
    return f"{modality} {_PART_WORDS.get(kind, kind)}"


def reference_order_key(modality: str, name: str, entry_id: str) -> tuple[str, str, str]:
    """The one order of a folder's references: by modality, name (case aside), entry id.

    A library built from a folder stores its entries and matrix rows in it, and a manifest is
    written in it (:func:`forensic.curation.format_manifest`), so neither the order of a
    manifest's rows nor of the files changes the library: not its q-value calibration, whose
    seeded choices of rows follow the row order (the version does not depend on any order).

    Parameters
    ----------
    modality, name, entry_id : str
        Of the reference (a manifest row's ``modality``, ``name`` and ``id``).

    Returns
    -------
    tuple of str
        The sort key.
    """
    return (str(modality), str(name).lower(), str(entry_id))


def _entry_order(entry: Mapping[str, Any]) -> tuple[str, str, str]:
    return reference_order_key(
        entry.get("modality", ""), entry.get("name", ""), entry.get("entry_id", "")
    )


def _hash_order(entry: Mapping[str, Any]) -> tuple[str, str]:
    # not the name: an altered name must not look like reordered spectra too
    return (str(entry.get("modality", "")), str(entry.get("entry_id", "")))


def _canonical_order(entries: Sequence[Mapping[str, Any]]) -> np.ndarray | None:
    """Indices of ``entries`` in the order the version takes them (modality, entry id), or
    None when they already are in it.

    Entry ids are unique in a built library; were two the same (a library assembled by hand),
    their metadata as JSON decides, so the order never depends on how they were stored.
    """
    keys = [_hash_order(e) for e in entries]
    if all(a < b for a, b in itertools.pairwise(keys)):
        return None
    if len(set(keys)) == len(keys):
        return np.array(sorted(range(len(keys)), key=keys.__getitem__), dtype=np.int64)
    full = [
        (k, json.dumps(e, sort_keys=True, default=str)) for k, e in zip(keys, entries, strict=True)
    ]
    return np.array(sorted(range(len(full)), key=full.__getitem__), dtype=np.int64)


def _json_digest(value: Any) -> str:
    # through JSON and back first: what was saved (tuples as lists, keys as strings) and what is
    # loaded give the same text
    text = json.dumps(
        json.loads(json.dumps(value, default=str)), sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _version_of(digests: Mapping[str, str]) -> str:
    """The version (hash rule 2) from the digests of its parts."""
    text = "".join(f"{part} {digest}\n" for part, digest in sorted(digests.items()))
    return hashlib.sha256(b"forensic-library/hash-2\n" + text.encode()).hexdigest()


def _array_chunks(array: np.ndarray, dtype: str, read: _Reader | None = None) -> Iterator:
    """The bytes of ``array`` as ``dtype``, a few MB at a time; a memory-mapped array through
    ``read`` when given (from the file, so that checking it does not map it all in)."""
    if read is not None and isinstance(array, np.memmap) and array.dtype == np.dtype(dtype):
        yield from read(array.offset, array.nbytes)
        return
    a = np.asarray(array)
    if a.ndim == 0 or a.shape[0] == 0:
        yield np.ascontiguousarray(a, dtype=dtype).tobytes()
        return
    row = max(1, int(np.prod(a.shape[1:], dtype=np.int64)) * np.dtype(dtype).itemsize)
    step = max(1, _CHUNK_BYTES // row)
    for lo in range(0, a.shape[0], step):
        yield np.ascontiguousarray(a[lo : lo + step], dtype=dtype).data


def _rows_chunks(matrix: np.ndarray, order: np.ndarray, read: _Reader | None = None) -> Iterator:
    """The bytes of ``matrix``'s rows in ``order`` (float32), a few MB at a time; a
    memory-mapped matrix through ``read`` when given, a run of consecutive rows at a time."""
    if read is not None and isinstance(matrix, np.memmap) and matrix.dtype == np.dtype("<f4"):
        row = matrix.shape[1] * 4
        # runs of consecutive rows: ends of runs are where the next index is not one more
        ends = np.flatnonzero(np.diff(order) != 1) + 1
        for lo, hi in itertools.pairwise([0, *ends.tolist(), order.size]):
            yield from read(matrix.offset + int(order[lo]) * row, (hi - lo) * row)
        return
    step = max(1, _CHUNK_BYTES // max(1, matrix.shape[1] * 4))
    for lo in range(0, order.size, step):
        yield np.ascontiguousarray(matrix[order[lo : lo + step]], dtype="<f4").data


def _file_reader(handle) -> _Reader:
    """Read a memory-mapped array's bytes from the open file, in blocks into one buffer."""
    buffer = bytearray(_CHUNK_BYTES)
    view = memoryview(buffer)

    def read(offset: int, nbytes: int) -> Iterator[memoryview]:
        handle.seek(offset)
        left = nbytes
        while left:
            n = handle.readinto(view[: min(left, len(buffer))])
            if not n:
                raise LibraryError(f"{handle.name}: truncated library file")
            left -= n
            yield view[:n]

    return read


def _read_header(path: Path, handle) -> tuple[dict[str, Any], int]:
    """The JSON header of an open library file and where its arrays start."""
    magic = handle.read(len(_MAGIC))
    if magic != _MAGIC:
        raise LibraryError(
            f"{path}: not a forensic library file (it does not start with "
            f"{_MAGIC.strip().decode()!r}); build one with 'forensic library build'"
        )
    raw = handle.read(8)
    if len(raw) != 8:
        raise LibraryError(f"{path}: truncated library file (no header)")
    (length,) = struct.unpack("<Q", raw)
    head = handle.read(length)
    if len(head) != length:
        raise LibraryError(f"{path}: truncated library file (header cut short)")
    try:
        header = json.loads(head)
    except ValueError as exc:
        raise LibraryError(f"{path}: corrupt library header ({exc})") from None
    if not isinstance(header, dict) or header.get("format") != _FORMAT:
        found = header.get("format") if isinstance(header, dict) else None
        raise LibraryError(
            f"{path}: library file format {found!r}, this toolkit reads {_FORMAT}; rebuild it"
        )
    return header, -(-(len(_MAGIC) + 8 + length) // _ALIGN) * _ALIGN


def _check_file(library: Library, header: Mapping[str, Any], handle, stat: os.stat_result) -> None:
    """Refuse a loaded file whose content does not match its version or checksum."""
    path = library.path
    scheme = library.hash_scheme
    if scheme not in (1, HASH_SCHEME):
        raise LibraryError(
            f"{path}: its version {library.version[:12]} is computed by hash rule {scheme!r}; "
            f"this toolkit knows rules 1 and {HASH_SCHEME}: open it with the toolkit that "
            "wrote it, or a newer one"
        )
    if _verified_memo(path, stat, library.version):
        return
    started = time.time_ns()
    read = _file_reader(handle)
    wrong: list[str] = []
    if scheme == 1:
        if library._content_hash_v1(read) != library.version:
            wrong.append("entries or reference spectra (hash rule 1 covers them together)")
    else:
        digests = library._content_digests(read)
        if _version_of(digests) != library.version:
            stored = header.get("digests") or {}
            parts = [p for p in sorted(digests) if digests[p] != stored.get(p)]
            wrong += [_part_in_words(p) for p in parts] or [
                "version (the digests the file records do not make it)"
            ]
    stored_seal = header.get("seal")
    if stored_seal is not None or scheme >= 2:
        seal = library._seal_digests(read)
        stored_seal = stored_seal if isinstance(stored_seal, dict) else {}
        # a publication record taken out of the header is wrong too (other parts the
        # checksum names and this toolkit does not compute are a later toolkit's)
        parts = sorted({*seal, *({"release"} & set(stored_seal))})
        wrong += [_part_in_words(p) for p in parts if seal.get(p) != stored_seal.get(p)]
    if wrong:
        raise LibraryError(
            f"{path}: damaged or altered library file, not used: what it holds does not match "
            f"what it records for version {library.version} (hash rule {scheme}) in its "
            f"{'; its '.join(wrong)}. Get the published file again, or rebuild it"
        )
    _remember_verified(path, stat, library.version, started)


def _memo_file(path: Path) -> Path:
    key = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:32]
    return library_cache_dir() / _MEMO_DIR / f"{key}.json"


def _stat_key(stat: os.stat_result) -> list[int]:
    return [
        stat.st_dev,
        stat.st_ino,
        stat.st_size,
        stat.st_mtime_ns,
        stat.st_ctime_ns,
    ]


def _verified_memo(path: Path, stat: os.stat_result, version: str) -> bool:
    """Whether the file, as it is, passed a full check before (so need not be read again).

    Sound where ``st_ctime`` is the inode's change time (POSIX): the kernel sets it on every
    write, truncation, rename or change of times, and no unprivileged program can set it back,
    so a file whose device, inode, size, modification and change times are those it had when
    it passed has not been written since (``touch -r`` restores the modification time, not the
    change time). A file changed within :data:`_RACY_NS` before its check began is never
    remembered, for filesystems with coarse timestamps. What it cannot see: a change beneath
    the filesystem (a failing disk, a raw device write, root setting the clock back); the full
    check is :meth:`Library.verify`. On Windows, where ``st_ctime`` is the creation time,
    nothing is remembered and every load reads the whole file.
    """
    if os.name != "posix":
        return False
    try:
        record = json.loads(_memo_file(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(record, dict)
        and record.get("check") == _MEMO_CHECK
        and record.get("stat") == _stat_key(stat)
        and record.get("version") == version
        and max(stat.st_mtime_ns, stat.st_ctime_ns) < int(record.get("started_ns", 0)) - _RACY_NS
    )


_MEMO_CHECK = f"format {_FORMAT}, hash rules 1-{HASH_SCHEME}, seal 3"
"""What a remembered check checked: a check of another kind is not taken for it (seal 2: the
name and build date too; 3: the record of its publication too)."""


def _utc_now() -> str:
    """Now, in UTC to the second, as a library records when it was built."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text_or_none(value: Any) -> str | None:
    """A library file's name or build date as read: text, or None (not recorded)."""
    return value if isinstance(value, str) and value else None


def _remember_verified(path: Path, stat: os.stat_result, version: str, started_ns: int) -> None:
    if os.name != "posix" or max(stat.st_mtime_ns, stat.st_ctime_ns) >= started_ns - _RACY_NS:
        return  # changed just before the check: a change in the same tick could not be seen
    record = {
        "check": _MEMO_CHECK,
        "path": str(path.resolve()),
        "stat": _stat_key(stat),
        "version": version,
        "started_ns": started_ns,
    }
    # a read-only cache only means the next load checks the whole file again
    with contextlib.suppress(OSError, ForensicError):
        target = _memo_file(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(target, json.dumps(record).encode(), overwrite=True)


# -- scoring used for calibration ---------------------------------------------------------------


def interval_score_fn(
    queries: np.ndarray,
    query_valid: np.ndarray,
    matrix: np.ndarray,
    matrix_valid: np.ndarray,
    *,
    max_shift_steps: int = 0,
) -> np.ndarray:
    """The production search (:func:`forensic.search.score_batch`) with mask arguments.

    The signature :func:`forensic.verdict.calibrate_library` expects; masks are taken as the
    interval between their first and last True (measured ranges are intervals). With
    ``max_shift_steps`` each query's score is its best over whole-step moves up to that many
    grid points (:func:`forensic.search.score_shifted`), as in identification.
    """
    matrix = np.asarray(matrix, dtype=np.float32)
    r_valid = np.broadcast_to(np.atleast_2d(matrix_valid), matrix.shape)
    rs, re = mask_to_ranges(r_valid)
    queries = np.atleast_2d(np.asarray(queries))
    q_valid = np.broadcast_to(np.atleast_2d(query_valid), queries.shape)
    qs, qe = mask_to_ranges(q_valid)
    matrix = np.where(r_valid, matrix, np.float32(0))
    queries = np.where(q_valid, queries, 0.0).astype(np.float32)
    cumsums = breakpoint_cumsums(matrix)
    if max_shift_steps > 0:
        return score_shifted(queries, qs, qe, matrix, rs, re, cumsums, max_shift_steps)
    return score_batch(queries, qs, qe, matrix, rs, re, cumsums)


def _representation(pipeline: Pipeline):
    """The pipeline's comparison representation of spectra, each row over its own range
    (:func:`forensic.processing.representation_from_linear`, as a query or a reference is
    represented): ``represent(rows (Q, G), valid (Q, G))``."""

    def represent(rows: np.ndarray, valid: np.ndarray) -> np.ndarray:
        rows = np.atleast_2d(rows)
        start, stop = mask_to_ranges(np.broadcast_to(np.atleast_2d(valid), rows.shape))
        return representation_from_linear(rows, start, stop, pipeline)

    return represent


def _representation_score_fn(pipeline: Pipeline, max_shift_steps: int = 0):
    """Score function on spectra: the comparison representation of each row over its own
    range (:func:`_representation`), then the search (over whole-step shifts up to
    ``max_shift_steps``, as :func:`interval_score_fn`)."""
    represent = _representation(pipeline)

    def score(queries, query_valid, matrix, matrix_valid):
        return interval_score_fn(
            represent(queries, query_valid),
            query_valid,
            represent(matrix, matrix_valid),
            matrix_valid,
            max_shift_steps=max_shift_steps,
        )

    return score


# -- helpers for building -----------------------------------------------------------------------


def _label(meta: Mapping[str, Any], index: int) -> str:
    return str(meta.get("source_file") or meta.get("name") or f"spectrum {index}")


def _not_comparable(spectrum: Spectrum) -> str | None:
    """Why a reference is left out of a library, or None: what would make a query's
    comparison meaningless (:func:`forensic.quality.comparison_problems`: an axis not in cm-1,
    an IR unit or values that cannot be absorbance or transmittance, a spectrum upside down)
    makes a reference's too, and it could never find its own substance."""
    problems = comparison_problems(spectrum)
    if not problems:
        return None
    return "; ".join(str(problem) for _, problem in problems) + ": not built into the library"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _preprocess_job(job):
    """Preprocess one reference (in a worker): (start, stop, float32 vector) or the reason."""
    (_, x, y, modality, y_unit, _, _), pipe_dict = job
    pipeline = Pipeline.from_dict(pipe_dict)
    try:
        s = Spectrum(x, y, modality=modality, y_unit=y_unit)
        processed = pipeline(s)
    except ForensicError as exc:
        return _one_line(exc)
    except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
        return f"preprocessing failed: {_one_line(exc)}"
    start, stop = grid_range(pipeline.grid, processed.wavenumber)
    vector = np.asarray(processed.intensity, dtype=np.float32)
    if not np.all(np.isfinite(vector)):
        return "preprocessing produced non-finite values"
    if not np.any(vector):
        return "flat after preprocessing: no band to compare"
    return start, stop, vector


def _entry(
    meta: Mapping[str, Any],
    modality: str,
    y_unit: str,
    wavenumber: np.ndarray,
    intensity: np.ndarray,
) -> dict[str, Any]:
    """One reference's entry, its id as given or made from its name: ids two references share
    are told apart once every entry is made (:func:`_tell_shared_ids_apart`)."""
    name = str(meta.get("name") or "").strip()
    source_file = meta.get("source_file")
    given_id = str(meta.get("entry_id") or "").strip()
    if not name:
        # named by what it is, never by its place among the spectra given: the same
        # references in another order must give the same entries
        name = (
            Path(str(source_file)).stem
            if source_file
            else given_id or _unnamed(wavenumber, intensity)
        )
    entry_id = given_id or f"{modality}-{substance_key(name)}"
    synonyms = meta.get("synonyms") or []
    if isinstance(synonyms, str):
        synonyms = [s.strip() for s in synonyms.split(";") if s.strip()]
    entry = {
        "entry_id": entry_id,
        "name": name,
        "synonyms": [str(s) for s in synonyms],
        "cas": str(meta.get("cas") or ""),
        "class": str(meta.get("class") or ""),
        "legal_control": str(meta.get("legal_control") or ""),
        "salt_form": str(meta.get("salt_form") or ""),
        "provenance": str(meta.get("provenance") or "measured"),
        "source": str(meta.get("source") or ""),
        # a modelled reference's band table confidence (high, medium, low), from its file
        "band_confidence": str(meta.get("band_confidence") or ""),
        "licence": str(meta.get("licence") or ""),
        "modality": modality,
        "y_unit": y_unit,
        # how the unit was known when the file did not name it ("guessed from the numbers: ...")
        "y_unit_basis": str(meta.get("y_unit_basis") or ""),
        "source_file": str(source_file or ""),
        "source_sha256": str(meta.get("source_sha256") or ""),
        # where a measured reference was imported from (forensic library import): provenance
        # the version covers, so a result's version names it and a diff can show it
        "imported_file": str(meta.get("imported_file") or ""),
        "imported_sha256": str(meta.get("imported_sha256") or ""),
    }
    waivers = str(meta.get("waivers") or "")  # a folder's in one spelling (waivers_text)
    if waivers:  # part of what was approved; only where given, so other versions stay
        entry["waivers"] = waivers
    inchikey = str(meta.get("inchikey") or "").strip()
    if inchikey:  # the identity of a substance without a CAS number: only where given
        entry["inchikey"] = inchikey
    stated = str(meta.get(STATED_KEY) or "")  # library import --y-unit/--laser-nm: approved too
    if stated:
        entry["stated"] = stated
    return entry


def _unnamed(wavenumber: np.ndarray, intensity: np.ndarray) -> str:
    """The name of a reference given without name, file or entry id: by its data."""
    digest = hashlib.sha256(np.asarray(wavenumber, dtype="<f8").tobytes())
    digest.update(np.asarray(intensity, dtype="<f8").tobytes())
    return f"reference {digest.hexdigest()[:8]}"


def _tell_shared_ids_apart(
    entries: list[dict[str, Any]], per_mod: Mapping[str, list[tuple[int, int, np.ndarray, int]]]
) -> None:
    """Make the entry ids unique, in place: of the entries that share one (two files named
    Caffeine), the first keeps it and the others get ``-2``, ``-3``, ... (a suffix no other
    entry has), in the order of :func:`_shared_id_order`, never in the order the references
    were given. An id no other entry has is left as it is.

    ``per_mod`` holds each entry's library vector and range, ``(start, stop, vector, index in
    entries)``.
    """
    holders: dict[str, list[int]] = {}
    for i, entry in enumerate(entries):
        holders.setdefault(entry["entry_id"], []).append(i)
    shared = {i for ids in holders.values() if len(ids) > 1 for i in ids}
    if not shared:
        return
    vectors = {i: (s, e, v) for rows in per_mod.values() for s, e, v, i in rows if i in shared}
    taken = set(holders)
    for base in sorted(holders):
        if len(holders[base]) < 2:
            continue
        ranked = sorted(holders[base], key=lambda i: _shared_id_order(entries[i], *vectors[i]))
        n = 1
        for i in ranked[1:]:
            n += 1
            while f"{base}-{n}" in taken:
                n += 1
            entries[i]["entry_id"] = f"{base}-{n}"
            taken.add(entries[i]["entry_id"])


def _shared_id_order(
    entry: Mapping[str, Any], start: int, stop: int, vector: np.ndarray
) -> tuple[str, int, str]:
    """Which of the references sharing an entry id keeps it and which get ``-2``, ``-3``...:
    by their reference files' paths (a file's spectra, ``path#k``, in its order), then by what
    the version hashes of each (entry, range, library vector), for spectra of no file or of
    one path. The path is what a chemist sees and what a folder's build has always ordered its
    files by, so the ids of every folder built before stay; the content decides only between
    references that nothing else tells apart, and it does not depend on the order either."""
    source = str(entry.get("source_file") or "")
    path, _, k = source.rpartition("#")
    place = (path, int(k)) if path and k.isascii() and k.isdigit() else (source, 0)
    content = hashlib.sha256(
        json.dumps(
            {key: value for key, value in entry.items() if key != "entry_id"},
            sort_keys=True,
            default=str,
        ).encode()
    )
    content.update(f"{start} {stop}\n".encode())
    content.update(np.asarray(vector, dtype="<f4").tobytes())
    return (*place, content.hexdigest())


class _Workers:
    """``map`` over a process pool when there is enough work, in order; else in-process.

    The pool is started on the first batch large enough to be worth it and reused for every
    later batch (a build maps files, then spectra, a chunk at a time); a context manager, so
    it is shut down when the build ends.
    """

    def __init__(self, workers: int | None) -> None:
        self.n = workers if workers is not None else (os.cpu_count() or 1)
        self._pool: ProcessPoolExecutor | None = None
        self._unavailable = False

    def map(self, func, jobs: list) -> list:
        if self.n <= 1 or len(jobs) < _PARALLEL_MIN or self._unavailable:
            return [func(job) for job in jobs]
        if self._pool is None:
            try:
                self._pool = ProcessPoolExecutor(max_workers=min(self.n, 8))
            except (OSError, NotImplementedError):  # no process support (restricted sandbox)
                self._unavailable = True
                return [func(job) for job in jobs]
        return list(self._pool.map(func, jobs, chunksize=max(1, len(jobs) // (self.n * 8))))

    def __enter__(self) -> _Workers:
        return self

    def __exit__(self, *exc_info) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
