"""Vectorised library search: cosine over the overlap of measured ranges, in one matrix pass.

Every spectrum on the library grid is zero outside its measured range, which is one interval of
grid indices ``[start, stop)``. The score of a query ``q`` against a reference ``r`` is the
cosine similarity computed over the overlap of the two ranges only::

    score = sum(q r) / sqrt(sum over r's range of q²  *  sum over q's range of r²)

(the hit-quality index of the spectral-library literature is this value squared; the ranking is
the same). Both vectors are zero outside their ranges, so the numerator is the plain dot product
``R @ q``, one pass over the library matrix. The query's norm over each reference's range is a
difference of the cumulative sum of ``q²`` at the reference's two range indices. The
reference's norm over the query's range comes from the per-reference cumulative sums of ``r²``
stored at a coarse set of breakpoints (every :data:`BREAKPOINT_EVERY` grid points): the query's
range is snapped inward to the nearest breakpoints (it loses at most 15 points, 30 cm⁻¹ on the
default grids, at each end: the edges, where measurements are least reliable), and over that
range the score is exact. The big matrix is streamed once, for one query or a batch.

Overlap rule: a reference is scored only when the overlap spans at least
:data:`MIN_OVERLAP_FRACTION` of the shorter of the two ranges and at least
:data:`MIN_OVERLAP_POINTS` grid points; otherwise its score is ``-inf`` and it cannot be a hit.
A reference that covers a sliver of the query would otherwise match on a window that shows
almost nothing of either substance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "BREAKPOINT_EVERY",
    "MIN_OVERLAP_FRACTION",
    "MIN_OVERLAP_POINTS",
    "SHIFT_SEARCH_CM1",
    "best_first",
    "breakpoint_cumsums",
    "breakpoints",
    "cosine",
    "cosine_from_sums",
    "mask_scores",
    "mask_to_ranges",
    "overlap_ok",
    "pair_score",
    "range_share",
    "ranges_to_mask",
    "score_batch",
    "score_moves",
    "score_query",
    "score_shifted",
    "shift_steps",
    "snap_ranges",
    "top_hits",
]

MIN_OVERLAP_FRACTION = 0.5
"""The overlap must cover at least half of the shorter of the query's and reference's ranges."""

MIN_OVERLAP_POINTS = 100
"""...and at least this many grid points (200 cm⁻¹ on the default 2 cm⁻¹ grids)."""

SHIFT_SEARCH_CM1 = 12.0
"""The query is also compared moved by whole grid steps up to this many cm-1 either way
(:func:`score_moves`, :func:`score_shifted`): a portable instrument's axis may be that far off."""

_MIN_SHIFTED_POINTS = 16  # a query moved this far off the grid keeps too little to compare
_SHIFT_ROWS = 2048  # shifted query rows scored in one batch (bounds the temporaries)

_BLOCK_CELLS = 2_000_000  # query x reference scores computed at once in a batch

BREAKPOINT_EVERY = 16
"""Grid points between two stored cumulative sums of a reference's squared intensities."""


def breakpoints(grid_points: int, every: int = BREAKPOINT_EVERY) -> np.ndarray:
    """Grid indices at which cumulative sums are stored: ``0, every, 2 every, ..., G``.

    Parameters
    ----------
    grid_points : int
        G, the points of the grid.
    every : int
        Grid points between breakpoints.

    Returns
    -------
    numpy.ndarray
        int64, shape (B,), ascending; the last is G even when ``every`` does not divide it.
    """
    return np.unique(np.append(np.arange(0, grid_points + 1, every), grid_points)).astype(np.int64)


def breakpoint_cumsums(matrix: np.ndarray, every: int = BREAKPOINT_EVERY) -> np.ndarray:
    """Cumulative sums of ``matrix**2`` along the grid at :func:`breakpoints` (float64).

    Returns shape (B, N), breakpoint-major: row ``b`` holds ``sum(matrix[:, :bp[b]]**2)`` for
    every reference, so a search reads two contiguous rows of it, not a column of each reference.

    Parameters
    ----------
    matrix : numpy.ndarray
        Shape (N, G): the library matrix, each row zero outside its range.
    every : int
        Grid points between breakpoints.

    Returns
    -------
    numpy.ndarray
        Shape (B, N), float64, B the number of :func:`breakpoints`.
    """
    matrix = np.asarray(matrix)
    n, g = matrix.shape
    bp = breakpoints(g, every)
    out = np.zeros((bp.size, n), dtype=np.float64)
    # blocks of rows keep the float64 temporary small for a 100k-row library
    block = max(1, 2_000_000 // max(g, 1))
    for lo in range(0, n, block):
        sq = np.square(matrix[lo : lo + block], dtype=np.float64)
        csum = np.concatenate([np.zeros((sq.shape[0], 1)), np.cumsum(sq, axis=1)], axis=1)
        out[:, lo : lo + block] = csum[:, bp].T
    return out


def mask_to_ranges(valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First index and one-past-last index of True in each row of a (N, G) bool mask.

    A row without True gets ``(0, 0)``. Rows are assumed to be one interval (as measured ranges
    on a grid are); :func:`mask_scores` handles arbitrary masks.

    Parameters
    ----------
    valid : numpy.ndarray
        Bool, shape (N, G) or (G,) for one row.

    Returns
    -------
    start, stop : numpy.ndarray
        int64, shape (N,) each.
    """
    valid = np.atleast_2d(np.asarray(valid, dtype=bool))
    any_ = valid.any(axis=1)
    g = valid.shape[1]
    start = np.where(any_, valid.argmax(axis=1), 0)
    stop = np.where(any_, g - valid[:, ::-1].argmax(axis=1), 0)
    return start.astype(np.int64), stop.astype(np.int64)


def ranges_to_mask(start: np.ndarray, stop: np.ndarray, grid_points: int) -> np.ndarray:
    """Bool mask (N, G) that is True on ``[start, stop)`` of each row.

    Parameters
    ----------
    start, stop : numpy.ndarray
        Shape (N,): each row's range of grid indices.
    grid_points : int
        G, the points of the grid.

    Returns
    -------
    numpy.ndarray
        Bool, shape (N, G).
    """
    idx = np.arange(grid_points)
    return (idx[None, :] >= np.asarray(start)[:, None]) & (idx[None, :] < np.asarray(stop)[:, None])


def overlap_ok(
    q_start: np.ndarray, q_stop: np.ndarray, r_start: np.ndarray, r_stop: np.ndarray
) -> np.ndarray:
    """Whether each query/reference range pair overlaps enough (broadcasts; see module doc).

    Parameters
    ----------
    q_start, q_stop : int or numpy.ndarray
        The query ranges, grid indices ``[start, stop)``.
    r_start, r_stop : int or numpy.ndarray
        The reference ranges, broadcast against the query ranges.

    Returns
    -------
    numpy.ndarray
        Bool, of the broadcast shape: True where the ranges share at least
        :data:`MIN_OVERLAP_POINTS` points and :data:`MIN_OVERLAP_FRACTION` of the shorter one.
    """
    overlap = np.minimum(q_stop, r_stop) - np.maximum(q_start, r_start)
    shorter = np.minimum(q_stop - q_start, r_stop - r_start)
    return (overlap >= MIN_OVERLAP_POINTS) & (overlap >= MIN_OVERLAP_FRACTION * shorter)


def cosine_from_sums(numerator, q_norm2, r_norm2) -> np.ndarray:
    """Cosine similarity from its sums: ``numerator / sqrt(q_norm2 * r_norm2)`` in [-1, 1].

    The one place the cosine is written: the library search, the pair reference
    (:func:`cosine`), identification's re-score of an aligned reference, the peak alignment's
    candidate moves and the calibration's decoys all compute it here.

    Parameters
    ----------
    numerator : array_like
        The dot products ``sum(q r)``, any shape.
    q_norm2, r_norm2 : array_like
        The squared norms ``sum(q²)`` and ``sum(r²)`` over the points compared, broadcasting
        with ``numerator``. Negative values (rounding in a difference of cumulative sums) count
        as 0.

    Returns
    -------
    numpy.ndarray
        The cosine, clipped to [-1, 1] (rounding can carry it a little beyond); 0 where either
        norm is 0, as a vector of zeros resembles nothing.
    """
    denom = np.sqrt(np.maximum(q_norm2, 0.0) * np.maximum(r_norm2, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.where(denom > 0, numerator / np.where(denom > 0, denom, 1.0), 0.0)
    return np.clip(score, -1.0, 1.0)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two vectors over all their points (:func:`cosine_from_sums`).

    Parameters
    ----------
    a, b : numpy.ndarray
        Shape (n,), compared in float64.

    Returns
    -------
    float
        In [-1, 1]; 0 when either vector is all zeros.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(cosine_from_sums(np.dot(a, b), np.dot(a, a), np.dot(b, b)))


def _finish(numerator, q_norm2, r_norm2, ok) -> np.ndarray:
    return np.where(ok, cosine_from_sums(numerator, q_norm2, r_norm2), -np.inf)


def score_query(  # noqa: PLR0917  (the arrays of a library block, in order)
    query: np.ndarray,
    q_start: int,
    q_stop: int,
    matrix: np.ndarray,
    r_start: np.ndarray,
    r_stop: np.ndarray,
    cumsums: np.ndarray,
    every: int = BREAKPOINT_EVERY,
) -> np.ndarray:
    """Scores of one query against every reference (see the module docstring).

    Parameters
    ----------
    query : numpy.ndarray
        Shape (G,), zero outside ``[q_start, q_stop)``.
    q_start, q_stop : int
        The query's measured range as grid indices.
    matrix : numpy.ndarray
        Shape (N, G), float32 library matrix, each row zero outside its range.
    r_start, r_stop : numpy.ndarray
        Shape (N,), the references' ranges.
    cumsums : numpy.ndarray
        Shape (B, N) from :func:`breakpoint_cumsums` with the same ``every``.
    every : int
        Grid points between breakpoints.

    Returns
    -------
    numpy.ndarray
        Shape (N,), float64; ``-inf`` where the overlap rule excludes the reference.
    """
    return score_batch(
        np.asarray(query)[None, :],
        np.array([q_start]),
        np.array([q_stop]),
        matrix,
        r_start,
        r_stop,
        cumsums,
        every,
    )[0]


def score_batch(  # noqa: PLR0917
    queries: np.ndarray,
    q_start: np.ndarray,
    q_stop: np.ndarray,
    matrix: np.ndarray,
    r_start: np.ndarray,
    r_stop: np.ndarray,
    cumsums: np.ndarray,
    every: int = BREAKPOINT_EVERY,
) -> np.ndarray:
    """Scores of Q queries against N references with one pass over the matrix, shape (Q, N).

    Parameters as in :func:`score_query`, with ``queries`` of shape (Q, G) and ``q_start``,
    ``q_stop`` of shape (Q,).

    Parameters
    ----------
    queries : numpy.ndarray
        Shape (Q, G), or (G,) for one query; zero outside each query's range.
    q_start, q_stop : numpy.ndarray
        Shape (Q,): the queries' measured ranges as grid indices.
    matrix, r_start, r_stop, cumsums, every
        As for :func:`score_query`.

    Returns
    -------
    numpy.ndarray
        Shape (Q, N), float64; ``-inf`` where the overlap rule excludes the reference.
    """
    queries = np.atleast_2d(np.asarray(queries))
    nq, g = queries.shape
    r_start = np.asarray(r_start, dtype=np.int64)
    r_stop = np.asarray(r_stop, dtype=np.int64)
    q_start, q_stop, b_lo, b_hi = snap_ranges(q_start, q_stop, g, every)
    idx = np.arange(g)
    inside = (idx[None, :] >= q_start[:, None]) & (idx[None, :] < q_stop[:, None])
    queries = np.where(inside, queries, 0.0)
    q_cast = queries.astype(matrix.dtype)
    q64 = queries.astype(np.float64)
    cq = np.concatenate([np.zeros((nq, 1)), np.cumsum(q64 * q64, axis=1)], axis=1)
    rows = np.arange(nq)[:, None]
    n = matrix.shape[0]
    out = np.empty((nq, n), dtype=np.float64)
    # blocks of references bound the (Q, block) temporaries for large batches
    block = n if nq * n <= _BLOCK_CELLS else max(1, _BLOCK_CELLS // nq)
    for lo in range(0, n, block):
        hi = min(n, lo + block)
        rs, re = r_start[lo:hi], r_stop[lo:hi]
        numerator = q_cast @ matrix[lo:hi].T  # the one pass over these rows
        # the query's norm over each reference's range
        q_norm2 = cq[rows, np.minimum(re, g)[None, :]] - cq[rows, rs[None, :]]
        # the reference's norm over each (snapped) query range: two stored cumulative sums
        r_norm2 = np.asarray(cumsums[b_hi, lo:hi]) - np.asarray(cumsums[b_lo, lo:hi])
        ok = overlap_ok(q_start[:, None], q_stop[:, None], rs[None, :], re[None, :])
        out[:, lo:hi] = _finish(numerator.astype(np.float64), q_norm2, r_norm2, ok)
    return out


def shift_steps(grid: np.ndarray, max_cm1: float = SHIFT_SEARCH_CM1) -> int:
    """How many whole grid steps ``max_cm1`` spans on an evenly spaced grid (at least 0).

    Parameters
    ----------
    grid : numpy.ndarray
        Shape (G,), cm⁻¹, evenly spaced.
    max_cm1 : float
        The largest shift (cm⁻¹).

    Returns
    -------
    int
        Whole grid steps, rounded down; 0 for a grid of fewer than two points.
    """
    grid = np.asarray(grid, dtype=float)
    if grid.size < 2:
        return 0
    return max(0, int(max_cm1 // float(grid[1] - grid[0])))


def score_shifted(  # noqa: PLR0917  (the arrays of a library block, in order)
    queries: np.ndarray,
    q_start: np.ndarray,
    q_stop: np.ndarray,
    matrix: np.ndarray,
    r_start: np.ndarray,
    r_stop: np.ndarray,
    cumsums: np.ndarray,
    max_steps: int,
    *,
    every: int = BREAKPOINT_EVERY,
) -> np.ndarray:
    """Each query's best score against every reference over whole-step shifts, shape (Q, N).

    Every query is moved by ``k`` grid points for ``k`` in ``-max_steps..max_steps`` (its range
    moves with it and is clipped to the grid; a move leaving fewer than 16 points is skipped)
    and scored with :func:`score_batch`; the result is the maximum over the moves. It is the
    scoring the q-values are calibrated with (:meth:`forensic.library.Library.calibrate`):
    :func:`forensic.identify` tries the same moves with :func:`score_moves`, which
    keeps each move's scores (to find an axis offset), and takes their best as this does, so
    the look-elsewhere effect of trying many shifts is in the calibration too.

    Parameters
    ----------
    queries, q_start, q_stop, matrix, r_start, r_stop, cumsums, every
        As for :func:`score_batch`.
    max_steps : int
        Largest move, in grid points (see :func:`shift_steps`); 0 is the unmoved search.

    Returns
    -------
    numpy.ndarray
        Shape (Q, N), float64; ``-inf`` where no move passes the overlap rule.
    """
    queries = np.atleast_2d(np.asarray(queries))
    nq = queries.shape[0]
    q_start = np.broadcast_to(np.asarray(q_start, dtype=np.int64), (nq,))
    q_stop = np.broadcast_to(np.asarray(q_stop, dtype=np.int64), (nq,))
    moves = range(-max_steps, max_steps + 1)
    # every (query, move) pair is one row of a batch; batches bound the temporaries
    pairs = [(i, k) for i in range(nq) for k in moves]
    best = np.full((nq, matrix.shape[0]), -np.inf)
    for lo in range(0, len(pairs), _SHIFT_ROWS):
        chunk = pairs[lo : lo + _SHIFT_ROWS]
        scores = _score_moved(
            queries, q_start, q_stop, chunk, matrix, r_start, r_stop, cumsums, every
        )
        owner = np.array([i for i, _ in chunk])
        for i in np.unique(owner):
            best[i] = np.maximum(best[i], scores[owner == i].max(axis=0))
    return best


def score_moves(  # noqa: PLR0917  (the arrays of a library block, in order)
    query: np.ndarray,
    q_start: int,
    q_stop: int,
    matrix: np.ndarray,
    r_start: np.ndarray,
    r_stop: np.ndarray,
    cumsums: np.ndarray,
    moves: Sequence[int],
    every: int = BREAKPOINT_EVERY,
) -> np.ndarray:
    """One query's scores against every reference at each of ``moves`` (grid points), one
    batch: shape (len(moves), N), a row of ``-inf`` for a move that leaves fewer than 16 points.

    What :func:`score_shifted` reduces to a maximum, kept per move, so that a caller can see
    at which move the query matches best (an instrument whose axis is off).

    Parameters
    ----------
    query : numpy.ndarray
        Shape (G,), zero outside ``[q_start, q_stop)``.
    q_start, q_stop : int
        The query's measured range as grid indices.
    matrix, r_start, r_stop, cumsums, every
        As for :func:`score_query`.
    moves : sequence of int
        The moves to try, in grid points (negative: towards lower wavenumbers).

    Returns
    -------
    numpy.ndarray
        Shape (len(moves), N), float64, a row a move in the order given; empty, shape (0, N),
        for no move.
    """
    query = np.atleast_2d(np.asarray(query))
    pairs = [(0, int(k)) for k in moves]
    if not pairs:
        return np.empty((0, matrix.shape[0]))
    return _score_moved(
        query,
        np.array([q_start]),
        np.array([q_stop]),
        pairs,
        matrix,
        r_start,
        r_stop,
        cumsums,
        every,
    )


def _moved_range(start: int, stop: int, steps: int, grid_points: int) -> tuple[int, int]:
    """The range ``[start, stop)`` moved by ``steps`` grid points and clipped to the grid: a row
    moved that way is ``moved[a:b] = row[a - steps : b - steps]`` for the returned ``(a, b)``,
    which may be empty (``b <= a``) when the move leaves the grid."""
    return max(start + steps, 0), min(stop + steps, grid_points)


def _score_moved(queries, q_start, q_stop, pairs, matrix, r_start, r_stop, cumsums, every):  # noqa: PLR0917
    """Scores of the (query index, move) ``pairs`` as one batch, shape (len(pairs), N)."""
    g = queries.shape[1]
    rows = np.zeros((len(pairs), g), dtype=queries.dtype)
    starts = np.zeros(len(pairs), dtype=np.int64)
    stops = np.zeros(len(pairs), dtype=np.int64)
    for r, (i, k) in enumerate(pairs):
        a, b = _moved_range(int(q_start[i]), int(q_stop[i]), k, g)
        if b - a < _MIN_SHIFTED_POINTS:
            continue
        rows[r, a:b] = queries[i, a - k : b - k]
        starts[r], stops[r] = a, b
    scores = score_batch(rows, starts, stops, matrix, r_start, r_stop, cumsums, every)
    scores[stops - starts < _MIN_SHIFTED_POINTS] = -np.inf
    return scores


def snap_ranges(
    q_start: np.ndarray, q_stop: np.ndarray, grid_points: int, every: int = BREAKPOINT_EVERY
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Snap query ranges inward to the breakpoints: ``(start, stop, b_start, b_stop)``.

    The search compares a query over ``[start, stop)``: its measured range less at most
    ``every - 1`` grid points at each end (the edges, where a measurement is least reliable),
    so that the reference norms over it are two stored cumulative sums. ``b_start``,
    ``b_stop`` index the breakpoints. A range holding no whole breakpoint interval becomes empty.

    Parameters
    ----------
    q_start, q_stop : int or numpy.ndarray
        The queries' ranges as grid indices, scalars or shape (Q,).
    grid_points : int
        G, the points of the grid.
    every : int
        Grid points between breakpoints.

    Returns
    -------
    start, stop : numpy.ndarray
        int64, shape (Q,): the snapped ranges (grid indices).
    b_start, b_stop : numpy.ndarray
        int64, shape (Q,): their indices among the :func:`breakpoints`.
    """
    bp = breakpoints(grid_points, every)
    q_start = np.atleast_1d(np.asarray(q_start, dtype=np.int64))
    q_stop = np.atleast_1d(np.asarray(q_stop, dtype=np.int64))
    b_lo = np.searchsorted(bp, q_start, side="left")
    b_hi = np.searchsorted(bp, q_stop, side="right") - 1
    b_lo = np.minimum(b_lo, bp.size - 1)
    b_hi = np.maximum(b_hi, b_lo)
    return bp[b_lo], bp[b_hi], b_lo, b_hi


def range_share(
    q_start: np.ndarray,
    q_stop: np.ndarray,
    references: np.ndarray,
    cumsums: np.ndarray,
    grid_points: int,
    *,
    every: int = BREAKPOINT_EVERY,
) -> np.ndarray:
    """The share of a reference compared: how much of its squared norm lies in the query's range.

    A query measured over part of a reference's range compares only the bands there: over
    2700-3400 cm-1, the C-H stretches of a Raman spectrum that holds most of its bands in the
    fingerprint. The share is the reference's ``sum(r²)`` over the query's range (snapped
    inward to the breakpoints, as :func:`score_batch` compares it) divided by its ``sum(r²)``
    over its whole range, in the comparison representation the search scores, read from the
    stored cumulative sums. The q-value calibration is made per stratum of it
    (:class:`forensic.verdict.Calibration`): a short comparison holds few bands, and a wrong
    reference scores high there by chance more often.

    Parameters
    ----------
    q_start, q_stop : int or numpy.ndarray
        The queries' measured ranges as grid indices, scalars or shape (Q,).
    references : int or numpy.ndarray
        The reference (row of the library matrix) of each query, broadcasting with them.
    cumsums : numpy.ndarray
        Shape (B, N) from :func:`breakpoint_cumsums` with the same ``every``.
    grid_points : int
        G, the points of the grid.
    every : int
        Grid points between breakpoints.

    Returns
    -------
    numpy.ndarray
        Shape (Q,), float64 in [0, 1]; 0 for a reference that is zero everywhere.
    """
    _, _, b_lo, b_hi = snap_ranges(q_start, q_stop, grid_points, every)
    refs = np.broadcast_to(np.asarray(references, dtype=np.int64), b_lo.shape)
    cumsums = np.asarray(cumsums)
    inside = cumsums[b_hi, refs] - cumsums[b_lo, refs]
    total = cumsums[-1, refs]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total > 0, inside / np.where(total > 0, total, 1.0), 0.0)
    return np.clip(share, 0.0, 1.0)


def mask_scores(
    queries: np.ndarray, query_valid: np.ndarray, matrix: np.ndarray, matrix_valid: np.ndarray
) -> np.ndarray:
    """The same score for arbitrary bool masks, with three matrix products, shape (Q, N).

    Exact over the masks: the query's range is not snapped to the breakpoints, so for interval
    masks it equals :func:`pair_score` with ``snap=False``, and differs from
    :func:`score_batch` by what snapping leaves out at the query's ends. A reference for tests
    and notebooks; the production scoring, the one
    :meth:`forensic.library.Library.calibrate` gives :func:`forensic.verdict.calibrate_library`,
    is :func:`forensic.library.interval_score_fn` (:func:`score_batch` with mask arguments).
    The overlap rule is applied to the masks' first and last True.

    Parameters
    ----------
    queries : numpy.ndarray
        Shape (Q, G), or (G,) for one query.
    query_valid : numpy.ndarray
        Bool, the shape of ``queries`` (or one row for all): the points compared.
    matrix : numpy.ndarray
        Shape (N, G), or (G,) for one reference.
    matrix_valid : numpy.ndarray
        Bool, the shape of ``matrix`` (or one row for all): each reference's measured points.

    Returns
    -------
    numpy.ndarray
        Shape (Q, N), float64; ``-inf`` where the overlap rule excludes the pair.
    """
    q = np.atleast_2d(np.asarray(queries, dtype=np.float64))
    r = np.atleast_2d(np.asarray(matrix, dtype=np.float64))
    qv = np.broadcast_to(np.atleast_2d(np.asarray(query_valid, dtype=bool)), q.shape)
    rv = np.broadcast_to(np.atleast_2d(np.asarray(matrix_valid, dtype=bool)), r.shape)
    q = np.where(qv, q, 0.0)
    r = np.where(rv, r, 0.0)
    numerator = q @ r.T
    q_norm2 = (q * q) @ rv.T.astype(np.float64)
    r_norm2 = qv.astype(np.float64) @ (r * r).T
    qs, qe = mask_to_ranges(qv)
    rs, re = mask_to_ranges(rv)
    ok = overlap_ok(qs[:, None], qe[:, None], rs[None, :], re[None, :])
    return _finish(numerator, q_norm2, r_norm2, ok)


def pair_score(
    query: np.ndarray,
    query_valid: np.ndarray,
    reference: np.ndarray,
    reference_valid: np.ndarray,
    *,
    snap: bool = True,
) -> float:
    """One query against one reference, written plainly: the reference the tests compare to.

    With ``snap`` the query's range is first snapped inward to the breakpoints, as
    :func:`score_batch` does; without it, the score is the one :func:`mask_scores` computes.

    Parameters
    ----------
    query : numpy.ndarray
        Shape (G,).
    query_valid : numpy.ndarray
        Bool, shape (G,): the query's measured points (one interval).
    reference : numpy.ndarray
        Shape (G,).
    reference_valid : numpy.ndarray
        Bool, shape (G,): the reference's measured points (one interval).
    snap : bool
        Snap the query's range inward to the breakpoints first.

    Returns
    -------
    float
        The cosine over the shared range; ``-inf`` when the overlap rule excludes the pair.
    """
    qs, qe = (int(v[0]) for v in mask_to_ranges(query_valid))
    if snap:
        bp = breakpoints(len(query))
        lo_candidates = [b for b in bp if b >= qs]
        hi_candidates = [b for b in bp if b <= qe]
        qs = int(lo_candidates[0]) if lo_candidates else len(query)
        qe = max(int(hi_candidates[-1]) if hi_candidates else 0, qs)
    rs, re = (int(v[0]) for v in mask_to_ranges(reference_valid))
    if not bool(overlap_ok(qs, qe, rs, re)):
        return float("-inf")
    lo, hi = max(qs, rs), min(qe, re)
    return cosine(np.asarray(query)[lo:hi], np.asarray(reference)[lo:hi])


@dataclass(frozen=True)
class Hit:
    """One search hit: the best entry of one substance."""

    index: int
    score: float
    substance: str


def best_first(
    scores: np.ndarray, ranks: np.ndarray | None = None, among: np.ndarray | None = None
) -> np.ndarray:
    """Indices of references, best score first, an exact tie broken by ``ranks`` (lower first).

    Parameters
    ----------
    scores : numpy.ndarray
        Shape (N,): one query's score against each reference.
    ranks : numpy.ndarray, optional
        Shape (N,): each reference's place in the order that breaks ties
        (:meth:`forensic.library.Library.entry_ranks`: by entry id, so that the same library
        content gives the same ranking whatever order its references are stored in); default
        the row order.
    among : numpy.ndarray, optional
        The indices to order (default all N).

    Returns
    -------
    numpy.ndarray
        ``among`` (or ``0..N-1``) reordered, int64.
    """
    scores = np.asarray(scores)
    among = np.arange(scores.size) if among is None else np.asarray(among, dtype=np.int64)
    tie = among if ranks is None else np.asarray(ranks)[among]
    return among[np.lexsort((tie, -scores[among]))]


def top_hits(
    scores: np.ndarray,
    substances: Sequence[str] | np.ndarray,
    k: int,
    *,
    ranks: np.ndarray | None = None,
) -> list[Hit]:
    """The ``k`` best substances, each with its best-scoring entry, best first.

    Uses ``argpartition`` on a candidate pool that grows until it holds ``k`` distinct
    substances (or the whole library), so a library with many entries of one substance still
    returns ``k`` different ones. Entries scored ``-inf`` (excluded by the overlap rule) never
    become hits. Entries that score exactly alike are taken in the order of ``ranks``
    (:func:`best_first`), the pool's last score with every entry tied with it, so which of them
    comes first never depends on how the library stores its rows.

    Parameters
    ----------
    scores : numpy.ndarray
        Shape (N,): one query's score against each reference.
    substances : sequence of str
        Shape (N,): the substance of each reference.
    k : int
        Substances wanted.
    ranks : numpy.ndarray, optional
        Shape (N,): the order that breaks exact ties (:func:`best_first`); default the row
        order.

    Returns
    -------
    list of Hit
        At most ``k``, one a substance, best first; fewer when fewer substances have a finite
        score, none for ``k <= 0``.
    """
    scores = np.asarray(scores)
    n = scores.size
    if k <= 0 or n == 0:
        return []
    substances = np.asarray(substances)
    pool = min(n, max(4 * k, 32))
    while True:
        if pool < n:
            # every entry scoring at least the pool's last: an entry tied with it is in
            # whichever its row, so the tie is broken by rank, not by where argpartition cut
            last = scores[np.argpartition(-scores, pool - 1)[pool - 1]]
            cand = best_first(scores, ranks, np.flatnonzero(scores >= last))
        else:
            cand = best_first(scores, ranks)
        hits: list[Hit] = []
        seen: set[str] = set()
        for i in cand:
            s = float(scores[i])
            if not np.isfinite(s):
                break
            name = str(substances[i])
            if name in seen:
                continue
            seen.add(name)
            hits.append(Hit(int(i), s, name))
            if len(hits) == k:
                return hits
        if pool >= n:
            return hits
        pool = min(n, pool * 4)
