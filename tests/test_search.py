"""Vectorised search against a plain pair-by-pair implementation; overlap rule; top hits."""

from __future__ import annotations

import numpy as np
import pytest

from forensic.library import interval_score_fn
from forensic.search import (
    MIN_OVERLAP_FRACTION,
    MIN_OVERLAP_POINTS,
    best_first,
    breakpoint_cumsums,
    cosine,
    cosine_from_sums,
    mask_scores,
    pair_score,
    range_share,
    ranges_to_mask,
    score_batch,
    score_moves,
    score_query,
    score_shifted,
    shift_steps,
    snap_ranges,
    top_hits,
)


def _random_library(rng, n, g):
    start = rng.integers(0, g // 3, n)
    stop = rng.integers(g // 2, g + 1, n)
    matrix = rng.normal(size=(n, g)).astype(np.float32)
    mask = ranges_to_mask(start, stop, g)
    matrix[~mask] = 0
    return matrix, start, stop, mask


def test_vectorised_scores_agree_with_pair_by_pair():
    rng = np.random.default_rng(0)
    g, n = 700, 40
    matrix, start, stop, mask = _random_library(rng, n, g)
    # bias the rows towards the first query so that scores spread over [-1, 1]
    queries = rng.normal(size=(6, g))
    q_start = np.array([0, 5, 130, 200, 17, 0])
    q_stop = np.array([g, 690, 650, 420, 333, 600])
    q_mask = ranges_to_mask(q_start, q_stop, g)
    queries[~q_mask] = 0
    matrix[:10] += (queries[0] * mask[:10]).astype(np.float32) * 3
    cumsums = breakpoint_cumsums(matrix)
    fast = score_batch(queries, q_start, q_stop, matrix, start, stop, cumsums)
    masked = mask_scores(queries, q_mask, matrix, mask)
    plain = np.array(
        [
            [pair_score(queries[i], q_mask[i], matrix[j], mask[j]) for j in range(n)]
            for i in range(6)
        ]
    )
    exact = np.array(
        [
            [pair_score(queries[i], q_mask[i], matrix[j], mask[j], snap=False) for j in range(n)]
            for i in range(6)
        ]
    )
    assert np.isfinite(plain).sum() > 100 and np.isinf(plain).sum() > 0
    np.testing.assert_allclose(fast, plain, atol=1e-5)
    np.testing.assert_allclose(masked, exact, atol=1e-9)
    # the production scoring with mask arguments, the one the calibration is given
    production = interval_score_fn(queries, q_mask, matrix, mask)
    np.testing.assert_allclose(production, plain, atol=1e-5)
    np.testing.assert_array_equal(np.isinf(production), np.isinf(plain))
    for i in range(6):
        one = score_query(queries[i], q_start[i], q_stop[i], matrix, start, stop, cumsums)
        np.testing.assert_allclose(one, fast[i], atol=1e-6)
    assert plain[np.isfinite(plain)].max() > 0.9


def test_shifted_scores_are_the_best_of_pair_by_pair_scores_at_every_move():
    rng = np.random.default_rng(3)
    g, n = 600, 25
    matrix, start, stop, mask = _random_library(rng, n, g)
    queries = rng.normal(size=(3, g))
    q_start, q_stop = np.array([0, 40, 300]), np.array([g, 500, 596])
    q_mask = ranges_to_mask(q_start, q_stop, g)
    queries[~q_mask] = 0
    # one reference is the second query moved by 3 points: its best score is at k = 3
    matrix[0] = 0
    matrix[0, 43:503] = queries[1, 40:500]
    start[0], stop[0] = 43, 503
    mask = ranges_to_mask(start, stop, g)
    cumsums = breakpoint_cumsums(matrix)
    steps = 4

    def moved(i, k):
        a, b = max(q_start[i] + k, 0), min(q_stop[i] + k, g)
        row, valid = np.zeros(g), np.zeros(g, dtype=bool)
        row[a:b] = queries[i, a - k : b - k]
        valid[a:b] = True
        return row, valid

    plain = np.full((3, n), -np.inf)
    for i in range(3):
        for k in range(-steps, steps + 1):
            row, valid = moved(i, k)
            for j in range(n):
                plain[i, j] = max(plain[i, j], pair_score(row, valid, matrix[j], mask[j]))
    fast = score_shifted(queries, q_start, q_stop, matrix, start, stop, cumsums, steps)
    np.testing.assert_allclose(fast, plain, atol=1e-5)
    assert fast[1, 0] == pytest.approx(1.0, abs=1e-5)
    # with no move at all, it is the plain search
    unmoved = score_batch(queries, q_start, q_stop, matrix, start, stop, cumsums)
    np.testing.assert_allclose(
        score_shifted(queries, q_start, q_stop, matrix, start, stop, cumsums, 0), unmoved
    )
    # identification's shift search (score_moves per move, and the unmoved search) has the
    # same best as the calibration's (score_shifted)
    moves = [k for k in range(-steps, steps + 1) if k]
    for i in range(3):
        per_move = score_moves(
            queries[i], q_start[i], q_stop[i], matrix, start, stop, cumsums, moves
        )
        best = np.maximum(per_move.max(axis=0), unmoved[i])
        np.testing.assert_allclose(best, fast[i], atol=1e-6)


def test_the_one_cosine_is_the_plain_formula_clipped_and_zero_for_a_zero_vector():
    rng = np.random.default_rng(3)
    for _ in range(50):
        a, b = rng.normal(size=(2, 300))
        plain = float(np.dot(a, b) / np.sqrt(np.dot(a, a) * np.dot(b, b)))
        assert cosine(a, b) == plain  # bit for bit: the search and the re-score agree
        assert cosine(a, b) == pytest.approx(
            float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b))), rel=1e-14
        )
    # a vector with itself may round to just above 1; the cosine never leaves [-1, 1]
    for _ in range(200):
        a = rng.normal(size=int(rng.integers(2, 500))) * 10.0 ** rng.uniform(-3, 3)
        assert -1.0 <= cosine(a, 3.0 * a) <= 1.0
        assert -1.0 <= cosine(a, -a) <= 1.0
    assert cosine(np.zeros(5), np.ones(5)) == 0.0
    # rows against a query (the alignment's candidate moves), with the query's norm per row
    q = rng.normal(size=40)
    rows = rng.normal(size=(3, 40))
    covered = rows != 0
    got = cosine_from_sums(rows @ q, covered @ (q * q), np.sum(rows * rows, axis=1))
    np.testing.assert_allclose(got, [cosine(q, r) for r in rows], rtol=1e-14)
    assert cosine_from_sums(np.array(1.0), np.array(-1e-18), np.array(2.0)) == 0.0


def test_shift_steps_counts_whole_grid_steps():
    assert shift_steps(np.arange(50.0, 3400.0, 2.0), 12.0) == 6
    assert shift_steps(np.arange(400.0, 4000.0, 2.0), 5.0) == 2
    assert shift_steps(np.array([100.0]), 12.0) == 0


def test_a_reference_that_barely_overlaps_cannot_win():
    g = 1000
    query = np.zeros(g)
    query[0:600] = np.sin(np.arange(600) / 7.0)
    sliver = np.zeros((2, g), dtype=np.float32)
    sliver[0, 550:1000] = 1.0
    sliver[0, 550:600] = query[550:600]  # identical on the overlap: cosine 1 there
    sliver[1, 0:600] = query[:600] + 0.5 * np.cos(np.arange(600) / 3.0)
    start, stop = np.array([550, 0]), np.array([1000, 600])
    scores = score_query(query, 0, 600, sliver, start, stop, breakpoint_cumsums(sliver))
    assert scores[0] == -np.inf
    assert np.isfinite(scores[1])
    assert top_hits(scores, ["a", "b"], 2)[0].substance == "b"
    assert MIN_OVERLAP_FRACTION == 0.5 and MIN_OVERLAP_POINTS == 100


def test_top_hits_gives_one_hit_per_substance_best_first():
    rng = np.random.default_rng(1)
    scores = rng.uniform(0, 0.5, 500)
    names = np.array([f"s{i % 50}" for i in range(500)])
    scores[[3, 53, 103]] = [0.99, 0.98, 0.97]  # three entries of s3
    scores[7] = 0.95
    scores[11] = -np.inf
    hits = top_hits(scores, names, 5)
    assert [h.substance for h in hits[:2]] == ["s3", "s7"]
    assert hits[0].index == 3 and hits[0].score == pytest.approx(0.99)
    assert len({h.substance for h in hits}) == 5
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert len(top_hits(scores, names, 80)) == 50
    assert top_hits(np.full(3, -np.inf), ["a", "b", "c"], 2) == []


def test_an_exact_tie_goes_to_the_lower_rank_wherever_argpartition_cuts():
    """Entries that score exactly alike are ranked by ``ranks`` (a library's entry ids), also
    when the tie straddles the candidate pool's edge (here 40 of 200 entries tie at the top,
    more than the first pool of 32, and the lowest rank is the last of them)."""
    scores = np.linspace(0.1, 0.5, 200)
    scores[:40] = 0.9
    names = np.array([f"s{i}" for i in range(200)])
    ranks = np.arange(200)[::-1].copy()  # the last row's entry id comes first
    hits = top_hits(scores, names, 3, ranks=ranks)
    assert [h.index for h in hits] == [39, 38, 37]
    assert [h.index for h in top_hits(scores, names, 3)] == [0, 1, 2]  # no ranks: row order
    assert list(best_first(scores, ranks, np.array([150, 5, 199, 2]))) == [5, 2, 199, 150]


def test_range_share_is_the_references_norm_over_the_snapped_query_range():
    rng = np.random.default_rng(11)
    g = 400
    matrix = rng.normal(size=(6, g))
    matrix[2, :150] = 0.0  # a reference measured from point 150 on
    cumsums = breakpoint_cumsums(matrix)
    q_start, q_stop = np.array([0, 37, 200, 100]), np.array([g, 250, 390, 160])
    refs = np.array([0, 1, 2, 2])
    got = range_share(q_start, q_stop, refs, cumsums, g)
    for k, (a, b, r) in enumerate(zip(q_start, q_stop, refs, strict=True)):
        lo, hi, _, _ = snap_ranges(a, b, g)  # compared where the search compares it
        inside = np.sum(matrix[r, int(lo[0]) : int(hi[0])] ** 2)
        assert got[k] == pytest.approx(inside / np.sum(matrix[r] ** 2), rel=1e-12)
    assert got[0] == pytest.approx(1.0)
    # the share of a reference that is zero everywhere is 0, not NaN
    assert range_share(0, g, 0, breakpoint_cumsums(np.zeros((1, g))), g).tolist() == [0.0]
