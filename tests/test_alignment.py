"""Peak detection and alignment: known shifts and stretches are recovered, evidence is reported."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from synthetic import lorentzian_bands

from forensic.alignment import align, find_peaks, match_peaks
from forensic.errors import IdentificationError

GRID = np.arange(200.0, 1800.0, 1.0)
BANDS = [
    (300, 1.0, 8),
    (520, 0.5, 6),
    (800, 0.8, 10),
    (1001, 1.0, 6),
    (1200, 0.4, 8),
    (1450, 0.7, 12),
    (1602, 0.6, 10),
]


def lorentzians(bands, *, shift=0.0, stretch=0.0, centre=1000.0, x=GRID):
    moved = [(centre + (1 + stretch) * (c - centre) + shift, h, w) for c, h, w in bands]
    return lorentzian_bands(x, moved)


def test_find_peaks_finds_the_bands_and_not_the_noise():
    rng = np.random.default_rng(1)
    y = lorentzians(BANDS) + rng.normal(0, 0.01, GRID.size)
    peaks = find_peaks(GRID, y)
    assert len(peaks) == len(BANDS)
    assert np.allclose(peaks, [b[0] for b in BANDS], atol=1.0)


def test_find_peaks_subgrid_precision():
    y = lorentzians([(1000.3, 1.0, 6)])
    assert find_peaks(GRID, y)[0] == pytest.approx(1000.3, abs=0.1)


def test_find_peaks_pure_noise_gives_few_peaks():
    y = np.random.default_rng(2).normal(0, 1.0, GRID.size)
    assert len(find_peaks(GRID, y)) <= 2


def test_find_peaks_rejects_nan():
    y = lorentzians(BANDS)
    y[10] = np.nan
    with pytest.raises(IdentificationError, match="NaN"):
        find_peaks(GRID, y)


def test_match_peaks_is_one_to_one():
    qi, ri = match_peaks(np.array([100.0, 103.0, 200.0]), np.array([101.0, 300.0]), tolerance_cm1=5)
    assert list(qi) == [0] and list(ri) == [0]


def test_match_peaks_takes_a_tolerance_per_query_peak():
    query, reference = np.array([500.0, 900.0]), np.array([512.0, 912.0])
    qi, ri = match_peaks(query, reference, tolerance_cm1=np.array([8.0, 25.0]))
    assert list(qi) == [1] and list(ri) == [1]
    with pytest.raises(IdentificationError, match="3 peak tolerances given for 2 query peaks"):
        match_peaks(query, reference, tolerance_cm1=np.array([8.0, 8.0, 8.0]))


@pytest.mark.parametrize(
    ("shift", "stretch"), [(0.0, 0.0), (6.0, 0.0), (-12.0, 0.004), (3.0, -0.008)]
)
def test_align_recovers_shift_and_stretch(shift, stretch):
    rng = np.random.default_rng(3)
    reference = lorentzians(BANDS)
    query = lorentzians(BANDS, shift=shift, stretch=stretch) + rng.normal(0, 0.01, GRID.size)
    valid = np.ones(GRID.size, bool)
    a = align(GRID, query, reference, valid)
    # shift is reported at the centre of the compared range (1000 cm-1 here, as built)
    assert a.shift_cm1 == pytest.approx(shift, abs=0.6)
    assert a.stretch == pytest.approx(stretch, abs=0.0015)
    assert a.score >= a.unaligned_score
    assert a.score > 0.98
    assert len(a.matched_peaks) == len(BANDS)
    assert a.unmatched_peaks == [] and a.unmatched_reference_peaks == []
    for q_cm1, r_cm1 in a.matched_peaks:
        assert q_cm1 == pytest.approx(1000 + (1 + stretch) * (r_cm1 - 1000) + shift, abs=1.5)
    assert a.matched_fraction == 1.0


def test_align_reports_unmatched_peaks():
    reference = lorentzians(BANDS[:-1])
    query = lorentzians([*BANDS[:-2], (1700, 0.8, 10)], shift=4.0)
    a = align(GRID, query, reference, np.ones(GRID.size, bool))
    assert a.shift_cm1 == pytest.approx(4.0, abs=0.6)
    assert [round(v) for v in a.unmatched_peaks] == [1704]
    assert [round(v) for v in a.unmatched_reference_peaks] == [1450]


def test_the_evidence_counts_the_bands_of_the_spectrum_it_is_given():
    # the alignment sees a query with a spurious bump at 1700 cm-1; the evidence is the query
    # without it (and its noise, given): only that query's bands count
    reference = lorentzians(BANDS)
    clean = lorentzians(BANDS, shift=3.0)
    bumped = clean + lorentzian_bands(GRID, [(1700.0, 0.5, 10.0)])
    valid = np.ones(GRID.size, bool)
    a = align(GRID, bumped, reference, valid)
    assert [round(v) for v in a.unmatched_peaks] == [1700]
    b = align(GRID, bumped, reference, valid, evidence=clean, evidence_noise=0.001)
    assert b.unmatched_peaks == [] and b.matched_fraction == 1.0
    assert (b.shift_cm1, b.score) == (a.shift_cm1, a.score)  # the alignment itself is the same
    # a noise level of 0.07: only bands more than 8 noise levels high are evidence
    c = align(GRID, bumped, reference, valid, evidence=clean, evidence_noise=0.07)
    assert len(c.matched_peaks) == sum(h > 8 * 0.07 for _, h, _ in BANDS) == 5
    with pytest.raises(IdentificationError, match="does not match the wavenumber grid"):
        align(GRID, bumped, reference, valid, evidence=clean[:-1])


@pytest.mark.parametrize(("fwhm", "matched"), [(100.0, True), (10.0, False)])
def test_a_broad_band_matches_within_a_quarter_of_its_width_a_sharp_one_does_not(fwhm, matched):
    # sharp bands fix the alignment at no shift; the fourth band sits 15 cm-1 off in the query:
    # beyond the 8 cm-1 tolerance, but within a quarter of a 100 cm-1 band's width
    sharp = [(400, 1.0, 8), (700, 0.8, 8), (1300, 0.9, 8)]
    reference = lorentzians([*sharp, (1000, 0.6, fwhm)])
    query = lorentzians([*sharp, (1015, 0.6, fwhm)])
    a = align(GRID, query, reference, np.ones(GRID.size, bool))
    assert a.shift_cm1 == pytest.approx(0.0, abs=0.6)
    pairs = {round(q): round(r) for q, r in a.matched_peaks}
    assert (pairs.get(1015) == 1000) is matched
    assert (1015 in [round(v) for v in a.unmatched_peaks]) is not matched
    assert a.matched_fraction == (1.0 if matched else 0.75)


def test_the_band_fraction_weighs_each_query_peak_by_its_prominence():
    strong = [(400, 1.0, 8), (700, 0.8, 8), (1300, 0.9, 8)]
    weak = [(550, 0.05, 8), (900, 0.05, 8), (1100, 0.05, 8), (1500, 0.05, 8)]
    reference = lorentzians(strong)
    a = align(GRID, lorentzians(strong + weak), reference, np.ones(GRID.size, bool))
    assert len(a.matched_prominences) == len(a.matched_peaks) == 3
    assert len(a.unmatched_prominences) == len(a.unmatched_peaks) == 4
    assert a.matched_fraction == pytest.approx(3 / 7)
    prominent = sum(a.matched_prominences)
    assert a.matched_band_fraction == pytest.approx(prominent / (prominent + 4 * 0.05), rel=0.05)
    assert a.matched_band_fraction > 0.9
    # an unexplained band as strong as the others weighs as much as they do
    b = align(GRID, lorentzians([*strong, (1000, 0.9, 8)]), reference, np.ones(GRID.size, bool))
    assert b.matched_band_fraction == pytest.approx(2.7 / 3.6, rel=0.05)


def test_align_respects_max_shift():
    reference = lorentzians(BANDS)
    query = lorentzians(BANDS, shift=15.0)
    a = align(GRID, query, reference, np.ones(GRID.size, bool), max_shift_cm1=5.0)
    assert abs(a.shift_cm1) <= 5.0


def test_align_uses_only_valid_and_never_invents_data():
    reference = lorentzians(BANDS)
    reference[GRID > 1500] = 0.0  # the reference was measured up to 1500 cm-1 only
    query = lorentzians(BANDS, shift=5.0)
    valid = GRID <= 1500
    a = align(GRID, query, reference, valid)
    assert np.all(a.aligned_reference[~valid] == 0)
    # moved right by 5 cm-1, the reference has no data in the last 5 cm-1 of its range
    assert np.all(a.aligned_reference[(GRID > 1500) | (GRID < 200 + 5 - 1)] == 0)


def test_a_move_is_not_charged_for_the_edge_it_leaves_without_data():
    # broad bands on a high background that does not fall to zero at the reference's edge,
    # the query moved 8 cm-1: the points the move leaves without reference data are no
    # mismatch (zeros there would be a step the size of the background, against the move)
    broad = [(c, h, 6 * w) for c, h, w in BANDS]
    reference = lorentzians(broad) + 0.8
    query = lorentzians(broad, shift=8.0) + 0.8
    a = align(GRID, query, reference, np.ones(GRID.size, bool))
    assert a.shift_cm1 == pytest.approx(8.0, abs=0.5)
    assert a.reference_range_cm1 == pytest.approx((GRID[0] + a.shift_cm1, GRID[-1] + a.shift_cm1))
    first, last = a.reference_range_cm1
    covered = (first <= GRID) & (last >= GRID)
    assert np.all(a.aligned_reference[~covered] == 0) and np.all(a.aligned_reference[covered] > 0)
    assert a.score > 0.999


def test_align_leaves_inputs_unchanged():
    reference = lorentzians(BANDS)
    query = lorentzians(BANDS, shift=5.0)
    valid = np.ones(GRID.size, bool)
    copies = reference.copy(), query.copy(), valid.copy()
    align(GRID, query, reference, valid)
    assert np.array_equal(reference, copies[0]) and np.array_equal(query, copies[1])
    assert np.array_equal(valid, copies[2])


def test_align_rejects_mismatched_shapes_and_bad_limits():
    y = lorentzians(BANDS)
    with pytest.raises(IdentificationError, match="does not match the wavenumber grid"):
        align(GRID, y[:-1], y, np.ones(GRID.size, bool))
    with pytest.raises(IdentificationError, match="tolerance_cm1"):
        align(GRID, y, y, np.ones(GRID.size, bool), tolerance_cm1=0)


def test_align_empty_overlap():
    y = lorentzians(BANDS)
    a = align(GRID, y, y, np.zeros(GRID.size, bool))
    assert a.score == 0.0 and a.matched_peaks == []


@settings(max_examples=25, deadline=None)
@given(
    shift=st.floats(-15, 15),
    seed=st.integers(0, 10_000),
)
def test_align_never_scores_below_unaligned(shift, seed):
    rng = np.random.default_rng(seed)
    bands = [(rng.uniform(250, 1750), rng.uniform(0.2, 1), rng.uniform(5, 15)) for _ in range(6)]
    reference = lorentzians(bands)
    query = lorentzians(bands, shift=shift) + rng.normal(0, 0.01, GRID.size)
    a = align(GRID, query, reference, np.ones(GRID.size, bool))
    assert a.score >= a.unaligned_score - 1e-12
    assert -1.0 <= a.score <= 1.0
