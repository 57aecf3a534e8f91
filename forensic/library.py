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

:attr:`Library.version` is a content hash: SHA-256 over each modality's pipeline, grid, matrix
bytes and ranges, and the entries' metadata (sorted keys). The same references built with the
same pipeline give the same version on every machine.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import itertools
import json
import os
import struct
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from platformdirs import user_cache_dir
from scipy.signal import savgol_filter

from forensic.errors import ForensicError, LibraryError, without_path
from forensic.naming import substance_key  # also importable from here, its home before
from forensic.processing import (
    Pipeline,
    default_pipeline,
    linear_from_representation,
    split_representation,
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
    "CACHE_ENV",
    "CALIBRATION_METHOD",
    "FILE_SUFFIX",
    "Library",
    "ModalityBlock",
    "library_cache_dir",
    "open_reference_library",
    "reference_files",
    "shipped_library",
    "spectrum_files",
    "substance_key",
    "unnamed_spectra",
]

FILE_SUFFIX = ".flib"
CACHE_ENV = "FORENSIC_CACHE_DIR"
"""Environment variable that overrides the cache folder of the compiled shipped library."""

_MAGIC = b"FORENSIC-LIBRARY v1\n"
_ALIGN = 64
_FORMAT = 2  # 2: cumulative sums stored breakpoint-major (B, N)
_PARALLEL_MIN = 48  # fewer references than this are preprocessed in-process (pool start-up)
_BUILD_CHUNK = 4096  # references (or files) read and preprocessed at a time: bounds memory
CALIBRATION_METHOD = 2
"""Version of how :meth:`Library.calibrate` scores (1: plain search; 2: with the shift search).
Stored with each calibration; the compiled shipped library is rebuilt when it changes, and
:func:`forensic.identify.identify` warns about a library calibrated by an older method."""
_ENTRY_FIELDS = 2
"""What an entry holds (2: a modelled reference's ``band_confidence``): a folder compiled
before it changed is compiled again, so its entries hold it too."""
_CALIBRATION_QUERIES = 1000  # perturbed references per modality used to calibrate q-values
_CALIBRATION_MAX_REFERENCES = 20_000  # larger libraries are calibrated on a random subset
_NOT_SPECTRA = frozenset({".md", ".toml", ".py", ".pyc", ".json", ".yaml", ".yml", ".pdf", ".png"})
_ENTRY_KEYS = (
    "entry_id",
    "name",
    "synonyms",
    "cas",
    "class",
    "legal_control",
    "salt_form",
    "provenance",
    "source",
    "licence",
    "modality",
    "source_file",
    "source_sha256",
)


def spectrum_files(folder: Path) -> list[Path]:
    """The files below ``folder`` that may be spectra, sorted: what a library folder is read as.

    Hidden files and folders (a name starting with ".") and notes, code, configuration and
    figures (``.md``, ``.py``, ``.json``, ``.png``...) are left out; every other file is
    offered to the readers, which say why one is not a spectrum.
    """
    return [
        p
        for p in sorted(folder.rglob("*"))
        if p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
        and p.suffix.lower() not in _NOT_SPECTRA
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
    it with :meth:`load`; :func:`shipped_library` gives the library shipped with the toolkit.

    Attributes
    ----------
    entries : list of dict
        Metadata per entry: ``entry_id``, ``name``, ``synonyms`` (list), ``cas``, ``class``,
        ``provenance`` ("measured" unless stated), ``source``, ``modality``, ``y_unit`` (the
        intensity unit the reference was read in), ``y_unit_basis`` (how, when its file did not
        name it), ``source_file``...
    blocks : dict of str to ModalityBlock
        One block per modality present.
    skipped : list of (str, str)
        Files or spectra left out while building, with the one-line reason.
    version : str
        SHA-256 content hash (hex).
    """

    entries: list[dict[str, Any]]
    blocks: dict[str, ModalityBlock]
    skipped: list[tuple[str, str]] = field(default_factory=list)
    version: str = ""
    path: Path | None = None

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
        """The block of ``modality``; :class:`LibraryError` if the library has none."""
        try:
            return self.blocks[modality]
        except KeyError:
            have = ", ".join(self.modalities) or "none"
            raise LibraryError(
                f"the library has no {modality} references (it holds: {have})"
            ) from None

    def substances(self, modality: str) -> np.ndarray:
        """Substance key (:func:`substance_key` of the name) of each row of a block, shape (N,)."""
        block = self.block(modality)
        cache = self.__dict__.setdefault("_substances", {})
        if modality not in cache:
            cache[modality] = np.array([substance_key(self.entries[i]["name"]) for i in block.rows])
        return cache[modality]

    def entry(self, modality: str, row: int) -> dict[str, Any]:
        """Metadata of row ``row`` of the ``modality`` block."""
        return self.entries[int(self.block(modality).rows[row])]

    # -- building -----------------------------------------------------------------------------

    @classmethod
    def from_spectra(
        cls,
        spectra: Iterable[Spectrum],
        *,
        pipelines: Mapping[str, Pipeline] | None = None,
        calibrate: bool = True,
        workers: int | None = None,
    ) -> Library:
        """Build a library from reference spectra.

        Parameters
        ----------
        spectra : iterable of Spectrum
            References; metadata ``name`` (else ``source_file`` stem, else the entry id),
            ``entry_id``, ``cas``, ``synonyms``, ``class``, ``provenance``, ``source`` are used.
            Taken a chunk at a time: pass a generator to build a large library without holding
            every raw spectrum in memory.
        pipelines : mapping of modality to Pipeline, optional
            Defaults to :func:`forensic.processing.default_pipeline` per modality.
        calibrate : bool, default True
            Compute the q-value calibration of each modality (a few seconds per thousand
            references).
        workers : int, optional
            Processes for preprocessing (default: every core; 1 runs in-process).

        Raises
        ------
        LibraryError
            When no spectrum could be preprocessed.

        Notes
        -----
        A spectrum that cannot be compared with others
        (:func:`forensic.quality.comparison_problems`) is left out and listed in
        :attr:`skipped`, as is one the pipeline cannot preprocess: it could never find its
        own substance, and a query compared in it finds nothing right.
        """
        skipped: list[tuple[str, str]] = []

        def items():
            # a generator: the spectra are taken a chunk at a time, so a caller that streams
            # them (a generator) never has them all in memory at once
            for i, s in enumerate(spectra):
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
                items(), pipelines=pipelines, calibrate=calibrate, pool=pool, skipped=skipped
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
    ) -> Library:
        """Build a library from the spectrum files in folders (read recursively) or files.

        Names come from the manifest (CSV with the columns of ``spectral_library/manifest.csv``;
        ``file`` relative to the manifest, and ``name``, are required), else from the file
        itself (JCAMP ``##TITLE``/``##NAMES``, RRUFF ``##NAMES``: metadata ``name``), else the
        file name. Files listed in the manifest are included even outside ``folder``. Without
        ``manifest``, one folder that holds a ``manifest.csv`` with ``file`` and ``name``
        columns (a curated library folder) is built with it.
        Unreadable files are listed in :attr:`skipped` with the reason, never fatal; so is a
        file of several spectra that does not name each and has no manifest row
        (:func:`unnamed_spectra`): they are not made a substance each; and so is a spectrum
        that cannot be compared (:func:`forensic.quality.comparison_problems`: an axis not in
        cm-1, an infrared one in reflectance or single-channel units or with values its unit
        cannot have, one upside down), as :meth:`from_spectra` leaves them out.

        Reading files is the I/O edge of this otherwise pure module: :mod:`forensic.io` is
        imported here only.
        """
        sources = [folder] if isinstance(folder, (str, os.PathLike)) else list(folder)
        rows: dict[Path, dict[str, str]] = {}
        manifest_path = None
        if manifest is None and len(sources) == 1:
            manifest = _folder_manifest(Path(sources[0]))
        if manifest is not None:
            manifest_path = Path(manifest).resolve()
            rows = read_manifest(manifest_path)
        files: list[Path] = []
        roots: list[Path] = []
        skipped: list[tuple[str, str]] = []
        for source in sources:
            path = Path(source)
            if path.is_dir():
                roots.append(path.resolve())
                files += [
                    p
                    for p in spectrum_files(path)
                    if p.resolve() != manifest_path and not p.name.endswith(FILE_SUFFIX)
                ]
            elif path.is_file():
                roots.append(path.resolve().parent)
                files.append(path)
            else:
                skipped.append((str(path), "no such file or folder"))
        seen = {p.resolve() for p in files} | {Path(p).resolve() for p, _ in skipped}
        for p in rows:
            if p not in seen:
                files.append(p)
                seen.add(p)
        base = manifest_path.parent if manifest_path else (roots[0] if len(roots) == 1 else None)
        jobs = [(str(p), _relative(p, base), rows.get(p.resolve(), {})) for p in files]

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
    ) -> Library:
        """Preprocess ``items`` (consumed :data:`_BUILD_CHUNK` at a time) into a library.

        ``skipped`` is appended to in place (readers may still be adding to it while the
        items are consumed).
        """
        skipped = skipped if skipped is not None else []
        pipes = {m: (pipelines or {}).get(m) or default_pipeline(m) for m in MODALITIES}
        for m, p in pipes.items():
            if p.grid is None:
                raise LibraryError(f"the {m} pipeline has no resample step: a library needs a grid")
        pipe_dicts = {m: p.to_dict() for m, p in pipes.items()}
        entries: list[dict[str, Any]] = []
        per_mod: dict[str, list[tuple[int, int, np.ndarray, int]]] = {}
        used_ids: set[str] = set()
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
                entry = _entry(item[5], item[3], item[4], item[0], used_ids)
                per_mod.setdefault(item[3], []).append((start, stop, vector, len(entries)))
                entries.append(entry)
            del chunk, processed
        if not entries:
            reasons = "; ".join(f"{a}: {b}" for a, b in skipped[:3])
            raise LibraryError(
                "no reference could be read and preprocessed" + (f" ({reasons})" if reasons else "")
            )
        blocks = {}
        for m in sorted(per_mod):
            rows = per_mod[m]
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
        library = cls(entries=entries, blocks=blocks, skipped=skipped)
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
        representation before scoring, exactly as a real query is. Libraries larger than
        :data:`_CALIBRATION_MAX_REFERENCES` are calibrated on a seeded random subset of that
        many references. A modality with fewer than 2 references, or fewer than 2 substances,
        stays uncalibrated (its verdicts say so).
        """
        from forensic import verdict  # noqa: PLC0415  (evidence module; needed only here)

        for m, block in self.blocks.items():
            labels = self.substances(m)
            if len(block) < 2 or np.unique(labels).size < 2:
                block.calibration = None
                continue
            rows = np.arange(len(block))
            if rows.size > _CALIBRATION_MAX_REFERENCES:
                rng = np.random.default_rng(seed)
                rows = np.sort(rng.choice(rows, _CALIBRATION_MAX_REFERENCES, replace=False))
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
        forensic.io.OutputError
            When the file cannot be written there (a folder in its place, no permission, a
            full disk).
        """
        path = Path(path)
        if path.exists() and not overwrite:
            raise LibraryError(f"{path}: already exists; not overwritten (use --force to replace)")
        arrays: list[np.ndarray] = []
        header_blocks = {}
        offset = 0
        for m, block in sorted(self.blocks.items()):
            specs = {}
            for key, dtype in (
                ("matrix", "<f4"),
                ("start", "<i8"),
                ("stop", "<i8"),
                ("cumsums", "<f8"),
                ("rows", "<i8"),
            ):
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
            "version": self.version,
            "entries": self.entries,
            "blocks": header_blocks,
            "skipped": [list(s) for s in self.skipped],
        }
        head = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
        prefix = _MAGIC + struct.pack("<Q", len(head)) + head
        data_start = -(-len(prefix) // _ALIGN) * _ALIGN
        from forensic.io import OutputExistsError, atomic_write  # noqa: PLC0415  (file edge)

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
    def load(cls, path: str | os.PathLike) -> Library:
        """Open a saved library; its arrays are memory-mapped (read-only), not read.

        The header's version is taken as it is: :meth:`verify` recomputes it from the content.

        Parameters
        ----------
        path : str or os.PathLike
            A file written by :meth:`save`.

        Returns
        -------
        Library
            With :attr:`path` set to ``path``.

        Raises
        ------
        LibraryError
            When the file is missing or a folder, is not a library file, has a corrupt header,
            is of another library file format (it must be rebuilt), or is truncated.
        """
        path = Path(path)
        try:
            with open(path, "rb") as handle:
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
        except FileNotFoundError:
            raise LibraryError(f"{path}: no such library file") from None
        except IsADirectoryError:
            raise LibraryError(f"{path}: is a folder, not a library file") from None
        try:
            header = json.loads(head)
        except ValueError as exc:
            raise LibraryError(f"{path}: corrupt library header ({exc})") from None
        if header.get("format") != _FORMAT:
            raise LibraryError(
                f"{path}: library file format {header.get('format')!r}, this toolkit reads "
                f"{_FORMAT}; rebuild it"
            )
        data_start = -(-(len(_MAGIC) + 8 + length) // _ALIGN) * _ALIGN
        size = path.stat().st_size
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
                    path,
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
        return cls(
            entries=header["entries"],
            blocks=blocks,
            skipped=[tuple(s) for s in header.get("skipped", [])],
            version=header["version"],
            path=path,
        )

    def verify(self) -> bool:
        """Recompute the content hash and compare it with :attr:`version`."""
        return self._content_hash() == self.version

    def _content_hash(self) -> str:
        digest = hashlib.sha256()
        digest.update(f"forensic-library/{_FORMAT}\n".encode())
        for m, block in sorted(self.blocks.items()):
            digest.update(m.encode() + b"\n")
            digest.update(json.dumps(block.pipeline.to_dict(), sort_keys=True).encode())
            digest.update(np.asarray(block.grid, dtype="<f8").tobytes())
            # row blocks hashed in turn (same digest as the whole matrix's bytes): no copy of
            # a 100k-row matrix is made just to hash it
            step = max(1, (1 << 24) // max(block.matrix.shape[1] * 4, 1))
            for lo in range(0, block.matrix.shape[0], step):
                digest.update(np.ascontiguousarray(block.matrix[lo : lo + step], dtype="<f4").data)
            digest.update(np.asarray(block.start, dtype="<i8").tobytes())
            digest.update(np.asarray(block.stop, dtype="<i8").tobytes())
            digest.update(np.asarray(block.rows, dtype="<i8").tobytes())
        digest.update(json.dumps(self.entries, sort_keys=True, default=str).encode())
        return digest.hexdigest()


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


def _representation_score_fn(pipeline: Pipeline, max_shift_steps: int = 0):
    """Score function on spectra: the pipeline's comparison representation, then the search
    (over whole-step shifts up to ``max_shift_steps``, as :func:`interval_score_fn`)."""
    _, tail = split_representation(pipeline)

    def represent(rows: np.ndarray, valid: np.ndarray) -> np.ndarray:
        out = np.asarray(rows, dtype=np.float64).copy()
        mask = np.broadcast_to(np.atleast_2d(valid), out.shape)
        for name, params in tail.steps:
            if name == "derivative":
                window = int(params.get("window", 11))
                if window <= out.shape[1]:
                    out = savgol_filter(
                        out, window, int(params.get("polyorder", 2)), deriv=1, axis=1
                    )
            elif name == "compress_intensity":
                out = np.sign(out) * np.abs(out) ** float(params.get("power", 0.5))
            out = np.where(mask, out, 0.0)
            if name == "normalise":
                norm = np.linalg.norm(out, axis=1, keepdims=True)
                out = out / np.where(norm > 0, norm, 1.0)
        return out

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


_MANIFEST_NEEDS = frozenset({"file", "name"})
"""The columns without which a CSV is no manifest."""


def read_manifest(path: Path) -> dict[Path, dict[str, str]]:
    """Rows of a manifest CSV keyed by the resolved path of their ``file``."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            fields = set(reader.fieldnames or [])
            missing = _MANIFEST_NEEDS - fields
            if missing:
                raise LibraryError(
                    f"{path}: manifest lacks the column(s) {', '.join(sorted(missing))} "
                    f"(found: {', '.join(sorted(fields)) or 'none'})"
                )
            rows = {}
            for line, row in enumerate(reader, start=2):
                if not (row.get("file") or "").strip():
                    raise LibraryError(f"{path}: line {line}: empty 'file'")
                clean = {k: (v or "").strip() for k, v in row.items() if k}
                rows[(path.parent / clean["file"]).resolve()] = clean
            return rows
    except FileNotFoundError:
        raise LibraryError(f"{path}: no such manifest") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise LibraryError(f"{path}: unreadable manifest ({exc})") from None


def _folder_manifest(folder: Path) -> Path | None:
    """``folder/manifest.csv`` when it is a manifest (``file`` and ``name`` columns)."""
    path = folder / "manifest.csv"
    if not (folder.is_dir() and path.is_file()):
        return None
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    return path if {h.strip() for h in header} >= _MANIFEST_NEEDS else None


def _relative(path: Path, base: Path | None) -> str:
    if base is not None:
        try:
            return path.resolve().relative_to(base).as_posix()
        except ValueError:
            pass
    return path.name


def _label(meta: Mapping[str, Any], index: int) -> str:
    return str(meta.get("source_file") or meta.get("name") or f"spectrum {index}")


BUILD_NAMES_A_FILE = (
    "give the name of its substance in a manifest row for the file (--manifest CSV with "
    "file,name) to build them as references of that one substance"
)
"""How ``library build`` is told the substance of a file whose spectra are not named."""


def _read_file_job(job: tuple[str, str, dict[str, str]]):
    """Read one file (in a worker): list of item tuples, or 'path\\0reason' on failure; in
    the list, 'path\\0reason' for a spectrum left out (an axis not in cm-1, an IR unit
    that cannot be compared)."""
    from forensic.io import read_spectra  # noqa: PLC0415  (the I/O edge: only from files)

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
    start, stop = _grid_range(pipeline.grid, processed.wavenumber)
    vector = np.asarray(processed.intensity, dtype=np.float32)
    if not np.all(np.isfinite(vector)):
        return "preprocessing produced non-finite values"
    if not np.any(vector):
        return "flat after preprocessing: no band to compare"
    return start, stop, vector


def _grid_range(grid: np.ndarray, wavenumber: np.ndarray) -> tuple[int, int]:
    start = int(np.argmin(np.abs(grid - wavenumber[0])))
    return start, start + int(wavenumber.size)


def _entry(
    meta: Mapping[str, Any], modality: str, y_unit: str, index: int, used: set[str]
) -> dict[str, Any]:
    name = str(meta.get("name") or "").strip()
    source_file = meta.get("source_file")
    if not name:
        name = Path(str(source_file)).stem if source_file else f"reference {index + 1}"
    base = str(meta.get("entry_id") or "").strip() or f"{modality}-{substance_key(name)}"
    entry_id, n = base, 1
    while entry_id in used:
        n += 1
        entry_id = f"{base}-{n}"
    used.add(entry_id)
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
    }
    return entry


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


# -- the shipped library --------------------------------------------------------------------


def library_cache_dir() -> Path:
    """Folder of the compiled shipped library: ``$FORENSIC_CACHE_DIR`` or the user cache."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    return Path(user_cache_dir("forensic"))


def reference_files(folder: Path) -> tuple[list[Path], Path | None]:
    """The reference files of a library folder and its manifest.

    Those its ``manifest.csv`` lists (listed but missing ones included, so that building
    names them), or every spectrum file of a folder without one (manifest None). A file in
    the folder that the manifest does not list is not a reference: ``forensic library
    validate`` names it.
    """
    manifest = _folder_manifest(folder)
    if manifest is None:
        return [p for p in spectrum_files(folder) if not p.name.endswith(FILE_SUFFIX)], None
    return list(read_manifest(manifest)), manifest


def _folder_key(folder: Path, manifest: Path | None, pipelines: Mapping[str, Pipeline]) -> str:
    """What a compiled folder depends on: the format, calibration method, pipelines, the
    manifest and the reference files (not the folder's notes, changelog or version control)."""
    folder = folder.resolve()
    digest = hashlib.sha256(
        f"forensic-library/{_FORMAT}/{CALIBRATION_METHOD}/{_ENTRY_FIELDS}\n".encode()
    )
    for m in sorted(pipelines):
        digest.update(json.dumps(pipelines[m].to_dict(), sort_keys=True).encode())
    files, _ = reference_files(folder)
    for p in sorted(files):
        name = p.relative_to(folder).as_posix() if p.is_relative_to(folder) else str(p)
        digest.update(name.encode() + b"\0")
        digest.update(hashlib.sha256(p.read_bytes()).digest() if p.is_file() else b"missing")
    if manifest is not None and manifest.exists():
        digest.update(manifest.read_bytes())
    return digest.hexdigest()


_COMPILED: dict[str, Library] = {}


def _compiled_folder(
    folder: Path, prefix: str, *, rebuild: bool = False, strict: bool = False
) -> Library:
    """A library folder compiled into the cache folder, rebuilt only when its references change.

    With a ``manifest.csv``, exactly the references it lists; ``strict`` refuses a folder with
    a listed reference that cannot be read, rather than identify without it.
    """
    files, manifest = reference_files(folder)
    pipelines = {m: default_pipeline(m) for m in MODALITIES}
    key = _folder_key(folder, manifest, pipelines)
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
        library = Library.from_folder(
            files if manifest is not None else folder, manifest, pipelines=pipelines
        )
        if strict and library.skipped:
            listed = "; ".join(f"{Path(p).name}: {why}" for p, why in library.skipped[:5])
            raise LibraryError(
                f"{folder}: {len(library.skipped)} reference(s) its manifest.csv lists cannot be "
                f"read ({listed}): fix the folder ('forensic library validate {folder}' lists "
                "every problem); identifying without them would report them as absent"
            )
        # a read-only cache still leaves a usable in-memory library
        with contextlib.suppress(OSError):
            library.save(target, overwrite=True)
    _COMPILED[key] = library
    return library


def shipped_library(*, rebuild: bool = False) -> Library:
    """The library shipped with the toolkit, compiled into the cache folder when needed.

    The compiled file is keyed on a hash of the reference files, the manifest and the default
    pipelines, so it is rebuilt (reproducibly: the same files give the same version) whenever
    any of them changes, and reused otherwise. Set ``FORENSIC_CACHE_DIR`` to choose the folder.

    Raises
    ------
    LibraryError
        When the shipped folder holds no usable reference.
    """
    from spectral_library import LIBRARY_DIR  # noqa: PLC0415  (data package, optional)

    return _compiled_folder(Path(LIBRARY_DIR), "shipped", rebuild=rebuild)


def open_reference_library(path: str | os.PathLike | None = None) -> Library:
    """The library to identify against: the shipped one, a compiled file or a library folder.

    Parameters
    ----------
    path : path-like, optional
        A compiled library (``.flib``, from ``forensic library build`` or ``publish --out``),
        or a library folder (with its ``manifest.csv``, as ``forensic library import`` and
        ``publish`` keep it): exactly the references its manifest lists, compiled and
        calibrated once into the cache folder, as the shipped one is, and again only when they
        change. Default: the shipped library.

    Raises
    ------
    LibraryError
        No such file or folder, a folder without ``manifest.csv`` or with a listed reference
        that cannot be read, or a damaged file.
    """
    if path is None:
        return shipped_library()
    folder = Path(path)
    if not folder.is_dir():
        return Library.load(folder)
    if not (folder / "manifest.csv").is_file():
        raise LibraryError(
            f"{folder}: a folder without manifest.csv is not a library folder (build one with "
            "'forensic library build' or import references with 'forensic library import')"
        )
    return _compiled_folder(folder.resolve(), "folder", strict=True)
