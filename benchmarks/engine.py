"""The benchmarks' door into the engine: ``forensic.Library`` and ``forensic.identify``.

Identification goes through the public API the command line uses, so the figures are those of
the product, not of a benchmark-only shortcut.
"""

from __future__ import annotations

import importlib

import numpy as np


def available() -> bool:
    return why_unavailable() == ""


def why_unavailable() -> str:
    try:
        forensic = importlib.import_module("forensic")
        importlib.import_module("forensic.library")
    except Exception as exc:  # the engine has not landed in this checkout
        return f"engine not importable: {type(exc).__name__}: {exc}"
    missing = [n for n in ("identify", "Library") if not hasattr(forensic, n)]
    return f"forensic lacks {', '.join(missing)}" if missing else ""


def build(spectra, **kwargs):
    """``forensic.Library.from_spectra(spectra)``."""
    forensic = importlib.import_module("forensic")
    return forensic.Library.from_spectra(spectra, **kwargs)


def identify(spectrum, library, *, top=5, mixtures=True) -> dict:
    forensic = importlib.import_module("forensic")
    return forensic.identify(spectrum, library, top=top, mixtures=mixtures).to_dict()


def subset(library, modality: str, keep_rows: np.ndarray):
    """The library restricted to rows ``keep_rows`` of one modality block (same calibration).

    Built with the public dataclasses (:class:`forensic.library.Library`,
    :class:`~forensic.library.ModalityBlock`): the rows of the compiled matrix are selected,
    nothing is preprocessed again, so leave-one-sample-out follows the protocol exactly without
    rebuilding the library for every query.
    """
    lib_mod = importlib.import_module("forensic.library")
    block = library.block(modality)
    keep = np.asarray(keep_rows)
    cumsums = np.asarray(block.cumsums)
    n = np.asarray(block.start).size
    # cumsums are stored breakpoint-major, (B, N), since library file format 2; (N, B) before
    cumsums = cumsums[:, keep] if cumsums.shape[-1] == n else cumsums[keep]
    sub = lib_mod.ModalityBlock(
        pipeline=block.pipeline,
        matrix=np.asarray(block.matrix)[keep],
        start=np.asarray(block.start)[keep],
        stop=np.asarray(block.stop)[keep],
        cumsums=np.ascontiguousarray(cumsums),
        rows=np.asarray(block.rows)[keep],
        calibration=block.calibration,
    )
    return lib_mod.Library(
        entries=library.entries, blocks={modality: sub}, version=f"{library.version}-subset"
    )


class LosoRunner:
    """One library of everything; each query is identified against it minus its own sample."""

    def __init__(self, spectra, samples, modality: str):
        self.library = build(spectra)
        self.modality = modality
        block = self.library.block(modality)
        # entries keep the spectrum's source_file: map each row back to its RRUFF sample
        by_file = {
            s.metadata.get("source_file"): smp for s, smp in zip(spectra, samples, strict=True)
        }
        self.samples = np.array(
            [by_file.get(self.library.entries[int(i)]["source_file"], "") for i in block.rows]
        )
        self.skipped = list(self.library.skipped)

    def identify(self, query, *, exclude_sample, top: int = 5, mixtures=False) -> dict:
        """Identify ``query`` against the library without the rows of ``exclude_sample`` (one
        sample id, or several: a mixture of two samples leaves both out)."""
        excluded = [exclude_sample] if isinstance(exclude_sample, str) else list(exclude_sample)
        keep = np.flatnonzero(~np.isin(self.samples, excluded))
        return identify(
            query, subset(self.library, self.modality, keep), top=top, mixtures=mixtures
        )
