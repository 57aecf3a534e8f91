"""Plain cosine, the baseline the README of the shared data quotes: spectra interpolated onto a
fixed grid (Raman 1 cm-1 over 150-1200 cm-1, IR 2 cm-1 over 450-3950 cm-1), zero outside each
spectrum's own range, no other processing, cosine similarity."""

from __future__ import annotations

import numpy as np

GRIDS = {
    "raman": np.arange(150.0, 1200.0 + 0.5, 1.0),
    "ir": np.arange(450.0, 3950.0 + 1.0, 2.0),
}


def to_grid(x: np.ndarray, y: np.ndarray, grid: np.ndarray) -> np.ndarray:
    return np.interp(grid, x, y, left=0.0, right=0.0)


def matrix(pairs, grid: np.ndarray) -> np.ndarray:
    """Rows of unit-norm interpolated spectra, shape (N, G)."""
    m = np.stack([to_grid(x, y, grid) for x, y in pairs])
    n = np.linalg.norm(m, axis=1, keepdims=True)
    return m / np.where(n > 0, n, 1.0)


def cosine_scores(queries: np.ndarray, library: np.ndarray) -> np.ndarray:
    """(Q, N) cosine of unit-norm rows."""
    return queries @ library.T


def ranked_names(scores: np.ndarray, names: list[str], k: int = 5) -> list[str]:
    """The ``k`` best distinct names for one row of scores (-inf entries excluded)."""
    order = np.argsort(-scores, kind="stable")
    out: list[str] = []
    for j in order:
        if not np.isfinite(scores[j]):
            break
        if names[j] not in out:
            out.append(names[j])
            if len(out) == k:
                break
    return out
