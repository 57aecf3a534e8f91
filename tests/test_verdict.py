"""Decoys, target-decoy q-values, and the verdict on a synthetic library."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forensic import verdict
from forensic.alignment import align
from forensic.errors import IdentificationError
from forensic.library import substance_key as from_library
from forensic.naming import substance_key
from forensic.verdict import Calibration, calibrate, calibrate_library, decide, make_decoys

GRID = np.arange(200.0, 1800.0, 2.0)


def random_reference(rng, n_bands=None):
    y = np.zeros(GRID.size)
    for _ in range(n_bands or rng.integers(5, 15)):
        c, h, w = rng.uniform(220, 1780), rng.uniform(0.1, 1.0), rng.uniform(6, 20)
        y += h * (w / 2) ** 2 / ((GRID - c) ** 2 + (w / 2) ** 2)
    return y / np.linalg.norm(y)


def cosine_over_overlap(queries, query_valid, matrix, matrix_valid):
    """A plain masked cosine, the shape of the engine's production score_fn."""
    q = np.where(query_valid, queries, 0.0)
    m = np.where(matrix_valid, matrix, 0.0)
    num = q @ m.T
    qq = (q * q) @ matrix_valid.T.astype(float)
    mm = query_valid.astype(float) @ (m * m).T
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((qq > 0) & (mm > 0), num / np.sqrt(qq * mm), 0.0)


@pytest.fixture(scope="module")
def library():
    rng = np.random.default_rng(7)
    refs = np.stack([random_reference(rng) for _ in range(300)])
    # entry 1 is a near-identical analogue of entry 0: one weak extra band
    twin = refs[0] + 0.004 * (5**2) / ((GRID - 1500) ** 2 + 5**2)
    refs[1] = twin / np.linalg.norm(twin)
    valid = np.ones(refs.shape, bool)
    return refs, valid


@pytest.fixture(scope="module")
def calibration(library):
    refs, valid = library
    return calibrate_library(refs, valid, cosine_over_overlap, seed=3, n_queries=300)


def test_decoys_differ_but_keep_intensity_statistics(library):
    refs, valid = library
    decoys = make_decoys(refs, valid, seed=0)
    assert decoys.shape == refs.shape
    cos = np.sum(decoys * refs, axis=1) / np.linalg.norm(decoys, axis=1)
    assert np.all(cos <= 0.6 + 1e-9)
    # each decoy has its reference's energy, and the pooled intensity distribution is the same
    assert np.allclose(np.linalg.norm(decoys, axis=1), np.linalg.norm(refs, axis=1))
    qs = [10, 50, 90, 99]
    assert np.allclose(np.percentile(decoys, qs), np.percentile(refs, qs), rtol=0.2)
    # local shuffles keep the exact multiset of values: at least a third of the rows
    exact = [np.allclose(np.sort(d), np.sort(r)) for d, r in zip(decoys, refs, strict=True)]
    assert sum(exact) > len(refs) / 3
    # and the decoys are not one another's copies
    assert not np.allclose(decoys[0], decoys[2])


def test_decoys_are_zero_outside_valid_and_seeded(library):
    refs, _ = library
    valid = np.zeros(refs.shape[1], bool)
    valid[100:600] = True
    d1 = make_decoys(refs[:20] * valid, valid, seed=5)
    d2 = make_decoys(refs[:20] * valid, valid, seed=5)
    assert np.array_equal(d1, d2)
    assert np.all(d1[:, ~valid] == 0)


def test_make_decoys_rejects_bad_masks(library):
    refs, _ = library
    with pytest.raises(IdentificationError, match="valid mask of shape"):
        make_decoys(refs, np.ones(7, bool))


def test_calibration_q_values_monotone_and_bounded(calibration):
    s = np.linspace(-0.2, 1.2, 500)
    q = calibration.q_value(s)
    assert np.all((q >= 0) & (q <= 1))
    assert np.all(np.diff(q) <= 1e-12)
    assert calibration.q_value(0.0) == 1.0
    assert calibration.n_target_wins + calibration.n_decoy_wins == calibration.n_queries


def test_calibration_estimate_is_honest(calibration):
    """The q-values hold on queries the calibration did not see (held-out half)."""
    summary = calibration.summary()
    assert summary["score_at_q_0.05"] is not None
    assert summary["accepted_at_q_0.05"] > 50
    assert summary["empirical_fdp_at_q_0.05"] <= 0.05 + 0.02
    assert summary["heldout_fdp_at_q_0.05"] <= 0.05 + 0.05
    assert 0 < calibration.info["decoy_efficiency"] <= 1
    # the margin rule rarely flags a right best hit (the twin pair 0/1 is the exception here)
    assert summary["right_margin_below_min"] < 0.05
    assert summary["median_right_margin"] > 0.1


def test_calibration_round_trips_through_json(calibration):
    data = json.loads(json.dumps(calibration.to_dict()))
    again = Calibration.from_dict(data)
    s = np.linspace(0, 1, 50)
    assert np.array_equal(again.q_value(s), calibration.q_value(s))
    assert again.summary() == calibration.summary()


def test_calibration_from_dict_rejects_garbage():
    with pytest.raises(IdentificationError, match="scores"):
        Calibration.from_dict({"q_values": [0.1]})
    with pytest.raises(IdentificationError, match="shapes differ"):
        Calibration.from_dict({"scores": [0.1, 0.2], "q_values": [0.1]})


def test_calibrate_by_hand():
    # 6 queries: decoys win at 0.5 and 0.65; targets at 0.9, 0.8, 0.7, 0.6
    t = np.array([0.9, 0.8, 0.7, 0.6, 0.4, 0.3])
    d = np.array([0.1, 0.2, 0.3, 0.2, 0.5, 0.65])
    cal = calibrate(t, d)
    assert (cal.n_target_wins, cal.n_decoy_wins) == (4, 2)
    # at 0.7: 3 targets, 0 decoys above -> (0 + 1) / 3; at 0.6: (1 + 1) / 4
    assert cal.q_value(0.7) == pytest.approx(1 / 3)
    assert cal.q_value(0.6) == pytest.approx(0.5)


def test_calibrate_rejects_mismatched_and_nan():
    with pytest.raises(IdentificationError, match="one of each per query"):
        calibrate(np.ones(3), np.ones(2))
    with pytest.raises(IdentificationError, match="NaN"):
        calibrate(np.array([np.nan]), np.array([0.2]))


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(1, 60),
    seed=st.integers(0, 1000),
)
def test_q_values_always_monotone_and_in_range(n, seed):
    rng = np.random.default_rng(seed)
    cal = calibrate(rng.uniform(0, 1, n), rng.uniform(0, 1, n))
    s = np.sort(rng.uniform(-1, 2, 100))
    q = cal.q_value(s)
    assert np.all((q >= 0) & (q <= 1)) and np.all(np.diff(q) <= 1e-12)


def test_score_fn_shape_is_checked(library):
    refs, valid = library
    with pytest.raises(IdentificationError, match="score_fn returned shape"):
        calibrate_library(refs[:20], valid[:20], lambda q, qv, m, mv: np.zeros((1, 1)))


def _verdict_for(query, refs, valid, cal, same_substance=()):
    scores = cosine_over_overlap(query[None], valid[:1], refs, valid)[0]
    order = np.argsort(-scores)
    best = int(order[0])
    others = [j for j in order[1:] if j not in same_substance or best not in same_substance]
    # the calibration is of search scores, so the verdict uses them; alignment gives the peaks
    a = align(GRID, query, refs[best], valid[0])
    margin = scores[best] - scores[others[0]]
    return decide(scores[best], float(cal.q_value(scores[best])), margin, a.matched_band_fraction)


def test_verdicts_identified_inconclusive_no_match(library, calibration):
    refs, valid = library
    rng = np.random.default_rng(11)
    # a re-measurement of entry 5 (noise, a small shift): identified
    query = verdict.perturb(refs[5:6], valid[5:6], seed=1, noise=0.01, gain=0.05)[0]
    v, reasons = _verdict_for(query, refs, valid, calibration)
    assert v == "identified", reasons
    # entry 0 and its near-identical analogue 1: the margin is too small
    query = verdict.perturb(refs[0:1], valid[0:1], seed=2, noise=0.01, gain=0.05)[0]
    v, reasons = _verdict_for(query, refs, valid, calibration)
    assert v == "inconclusive", reasons
    assert any("does not tell them apart" in r for r in reasons)
    # a spectrum unlike any reference
    query = random_reference(rng, n_bands=12)
    v, reasons = _verdict_for(query, refs, valid, calibration)
    assert v == "no_match", reasons


def test_decide_rules():
    assert decide(0.99, 0.001, 0.1, 0.9)[0] == "identified"
    assert decide(0.99, 0.001, 0.005, 0.9)[0] == "inconclusive"
    assert decide(0.99, 0.001, 0.1, 0.2)[0] == "inconclusive"
    assert decide(0.9, 0.1, 0.1, 0.9)[0] == "inconclusive"
    assert decide(0.5, 0.4, 0.1, 0.9)[0] == "no_match"
    v, reasons = decide(0.97, float("nan"), float("nan"), 0.9)
    assert v == "identified" and "uncalibrated" in reasons[0]
    assert decide(0.5, float("nan"), 0.3, 0.9)[0] == "no_match"


@pytest.mark.parametrize(
    ("score", "q_value", "expected"),
    [
        (0.5, 0.2, False),  # at Q_NO_MATCH: still evidence
        (0.99, 0.21, True),  # the q-value decides, not the score
        (0.8, float("nan"), False),  # uncalibrated: at SCORE_NO_MATCH_UNCALIBRATED
        (0.79, None, True),
    ],
)
def test_no_match_rule_is_the_one_decide_applies(score, q_value, expected):
    assert verdict.is_no_match(score, q_value) is expected
    q = float("nan") if q_value is None else q_value
    assert (decide(score, q, 0.1, 0.9)[0] == "no_match") is expected


@pytest.mark.parametrize(
    ("q_value", "shown"),
    [
        (0.0504, "0.0504"),  # not "0.050" beside "at most 0.05": it is above
        (0.0500001, "0.0500001"),
        (0.05, "0.05"),
        (0.04996, "0.05"),  # at most 0.05, and shown so
        (0.2004, "0.2004"),  # above Q_NO_MATCH
        (0.012345, "0.012"),
        (0.001, "0.001"),
        (0.0004, "< 0.001"),
        (1.0, "1"),
        (None, "-"),
        (float("nan"), "-"),
    ],
)
def test_a_q_value_is_shown_on_its_side_of_each_threshold(q_value, shown):
    assert verdict.format_q_value(q_value) == shown


@given(st.floats(0.0, 1.0))
def test_a_q_value_shown_compares_with_the_thresholds_as_the_q_value_does(q_value):
    shown = verdict.format_q_value(q_value)
    value = 0.0 if shown.startswith("<") else float(shown)
    for threshold in (verdict.Q_IDENTIFIED, verdict.Q_NO_MATCH):
        assert (value <= threshold) == (q_value <= threshold), shown


@pytest.mark.parametrize(
    ("value", "thresholds", "percent", "shown"),
    [
        (0.948, [0.95], False, "0.948"),
        (0.9499996, [0.95], False, "0.9499996"),  # not "0.950" beside "below 0.95"
        (0.95, [0.95], False, "0.950"),
        (0.0199996, [0.02], False, "0.0199996"),  # not "0.020" beside "< 0.02"
        (0.0204, [0.02], False, "0.020"),  # above, and shown on it: not below
        (0.62, [0.5], True, "62%"),
        (0.4996, [0.5], True, "49.96%"),  # not "50%" beside "< 50%"
        (0.5, [0.5], True, "50%"),
    ],
)
def test_a_score_margin_or_fraction_is_shown_on_its_side_of_the_threshold(
    value, thresholds, percent, shown
):
    assert verdict.format_beside(value, thresholds, percent=percent) == shown


@given(st.floats(0.0, 1.0), st.sampled_from([0.02, 0.5, 0.8, 0.95]), st.booleans())
def test_a_value_shown_beside_a_threshold_compares_with_it_as_the_value_does(
    value, threshold, percent
):
    shown = verdict.format_beside(value, [threshold], percent=percent)
    number = float(shown.rstrip("%")) / (100 if percent else 1)
    assert (number < threshold) == (value < threshold), shown


def test_the_reasons_never_round_a_value_across_its_threshold():
    _, reasons = decide(0.9, 0.01, 0.0199996, 0.4996)
    assert "scores within 0.0199996 (< 0.02)" in reasons[-2]
    assert "matches only 49.96% of the query's bands" in reasons[-1]
    _, reasons = decide(0.9499996, float("nan"), 0.1, 1.0)
    assert "best score 0.9499996 is below 0.95 needed to identify" in reasons[1]


def test_the_reasons_show_q_values_as_reports_do():
    _, reasons = decide(0.9, 0.0504, 0.1, 1.0)
    assert reasons[0] == "q-value 0.0504 is above 0.05 needed to identify (score 0.900)"
    _, reasons = decide(0.9, 0.0004, 0.1, 1.0)
    assert reasons[0] == "score 0.900, q-value < 0.001, at most 0.05"
    _, reasons = decide(0.9, 0.2001, 0.1, 1.0)
    assert "q-value 0.2001 > 0.2" in reasons[0]


@pytest.mark.parametrize(
    ("score", "q_value", "margin", "expected"),
    [
        (0.9, 0.01, 0.1, "identified"),
        (0.9, 0.01, float("inf"), "identified"),  # no other substance in the library
        (0.9, 0.06, 0.1, "inconclusive"),  # q-value above Q_IDENTIFIED
        (0.9, 0.01, 0.01, "inconclusive"),  # another substance within MARGIN_MIN of its part
        (0.96, float("nan"), 0.1, "identified"),  # uncalibrated: the score threshold
        (0.9, None, 0.1, "inconclusive"),
    ],
)
def test_a_components_part_is_judged_by_the_rules_of_a_single_spectrum(
    score, q_value, margin, expected
):
    assert verdict.decide_component(score, q_value, margin) == expected


def _component(name, verdict_of_part, fraction=0.5):
    return {
        "name": name,
        "fraction": fraction,
        "score": 0.9,
        "q_value": 0.01,
        "verdict": verdict_of_part,
    }


def test_a_mixture_is_identified_only_when_every_components_part_is():
    both = [_component("Cocaine", "identified", 0.6), _component("Caffeine", "identified", 0.4)]
    v, reasons = verdict.decide_mixture("inconclusive", both, best="Cocaine")
    assert v == "identified"
    assert reasons[0].startswith("identified as a mixture") and "Caffeine 40%" in reasons[0]
    # from no_match too: a 1:1 mixture of unlike substances can be unlike every reference
    assert verdict.decide_mixture("no_match", both, best="Cocaine")[0] == "identified"
    one = [both[0], _component("Caffeine", "inconclusive")]
    v, reasons = verdict.decide_mixture("inconclusive", one, best="Cocaine")
    assert v == "inconclusive" and "Caffeine" in reasons[0]
    v, reasons = verdict.decide_mixture("inconclusive", both, best="Heroin")
    assert v == "inconclusive" and "best single hit" in reasons[0]
    assert verdict.decide_mixture("no_match", both[:1], best="Cocaine") == ("no_match", [])
    # an identified best hit stands whatever the fit says of the others, which it names only
    # as possible
    v, reasons = verdict.decide_mixture("identified", one, best="Cocaine")
    assert v == "identified"
    assert reasons == [
        "Caffeine is named only as possible: its part scores 0.900 (q-value 0.01), which does "
        "not identify it"
    ]
    assert verdict.decide_mixture("identified", both, best="Cocaine") == ("identified", [])


@pytest.mark.parametrize(
    ("score", "q_value", "shown"),
    [
        (0.9496, None, "0.9496"),  # not "0.950" beside "inconclusive: below 0.95"
        (0.9496, float("nan"), "0.9496"),
        (0.7996, None, "0.7996"),  # not "0.800" (or "0.80") beside "below 0.80"
        (0.79996, None, "0.79996"),
        (0.95, None, "0.950"),
        (0.948, None, "0.948"),
        (0.9496, 0.01, "0.950"),  # with a calibration the q-value decides, not the score
        (None, None, "-"),
    ],
)
def test_a_score_is_shown_on_its_side_of_each_threshold_that_applies(score, q_value, shown):
    assert verdict.format_score(score, q_value) == shown


@given(st.floats(0.0, 1.0))
def test_an_uncalibrated_score_shown_gives_the_verdict_the_score_gives(score):
    number = float(verdict.format_score(score))
    assert verdict.is_no_match(number, None) == verdict.is_no_match(score, None)
    identified = verdict.SCORE_IDENTIFIED_UNCALIBRATED
    assert (number >= identified) == (score >= identified)


@pytest.mark.parametrize(
    ("value", "thresholds", "decimals", "strict", "shown"),
    [
        (29.96, [30.0], 1, False, "29.96"),  # not "30.0" beside "< 30"
        (30.0, [30.0], 1, False, "30.0"),
        (12.34, [30.0], 1, False, "12.3"),
        (0.98004, [0.98], 4, True, "0.98004"),  # not "0.9800" beside "> 0.98"
        (0.98, [0.98], 4, True, "0.9800"),
        (400.3, [400.0], 0, True, "400.3"),
    ],
)
def test_a_value_is_shown_to_the_decimals_asked_for_on_its_side_of_the_threshold(
    value, thresholds, decimals, strict, shown
):
    assert verdict.format_beside(value, thresholds, decimals=decimals, strict=strict) == shown


@given(st.floats(0.0, 100.0), st.sampled_from([0.98, 4.0, 30.0]), st.integers(0, 4))
def test_a_value_shown_beside_a_strict_threshold_exceeds_it_as_the_value_does(
    value, threshold, decimals
):
    shown = verdict.format_beside(value, [threshold], decimals=decimals, strict=True)
    assert (float(shown) > threshold) == (value > threshold), shown


def test_the_evidence_does_not_depend_on_the_library_module():
    # verdict needs substance names compared, not the library's files and caches
    assert from_library is substance_key  # still importable from its old home
    code = "import sys, forensic.verdict; print('forensic.library' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("modality", "presentation"),
    [
        ("raman", "(in focus, not behind thick or coloured packaging) and measure again with a "
         "longer exposure"),
        ("ir", "(pressed firmly on a clean ATR crystal, after a fresh background) and measure "
         "again"),
    ],
)  # fmt: skip
def test_a_no_match_says_what_to_do_next_and_other_verdicts_leave_it_to_their_advice(
    modality, presentation
):
    """The audit: the NO MATCH screen gave no `to do:` (a no match does not exclude a
    controlled substance: check the sample, measure again, then send it to the lab)."""
    assert verdict.no_match_to_do({"verdict": "no_match", "modality": modality}) == (
        f"check the sample presentation {presentation}; still NO MATCH: send the exhibit to the "
        "lab for a second, uncorrelated technique (e.g. GC-MS)"
    )
    for other in ("identified", "inconclusive"):
        assert verdict.no_match_to_do({"verdict": other, "modality": modality}) is None


# ---------------------------------------------------------------------------------------------
# Partial comparisons: range-cut queries, a curve per stratum of the share of the reference
# ---------------------------------------------------------------------------------------------
def test_range_cut_queries_calibrate_each_stratum_of_the_share_compared(calibration):
    strata = calibration.strata
    assert [(s.lowest, s.highest) for s in strata] == [(0.5, 0.8), (0.25, 0.5)]
    assert sum(s.n_competitions for s in strata) <= verdict.RANGE_CUT_QUERIES
    scores = np.linspace(0.3, 1.0, 71)
    for stratum in strata:
        assert stratum.n_competitions >= verdict.MIN_STRATUM_COMPETITIONS
        q = stratum.calibration.q_value(scores)
        assert np.all(np.diff(q) <= 1e-12) and np.all((q >= 0) & (q <= 1))
    # each share is read on the curve of its own stratum; below the lowest, on none
    assert np.array_equal(calibration.q_value(scores, 0.8), calibration.q_value(scores))
    assert np.array_equal(calibration.q_value(scores, 0.6), strata[0].calibration.q_value(scores))
    assert np.array_equal(calibration.q_value(scores, 0.3), strata[1].calibration.q_value(scores))
    assert np.isnan(calibration.q_value(scores, 0.2)).all()
    mixed = calibration.q_value([0.9, 0.9, 0.9], [1.0, 0.3, 0.1])
    assert mixed[0] == calibration.q_value(0.9) and mixed[1] == strata[1].calibration.q_value(0.9)
    assert np.isnan(mixed[2])
    assert [calibration.stratum(s) for s in (1.0, 0.8, 0.79, 0.25, 0.2499)] == [
        (0.8, 1.0),
        (0.8, 1.0),
        (0.5, 0.8),
        (0.25, 0.5),
        None,
    ]
    # over a short range a wrong reference scores high by chance more often
    assert strata[1].calibration.score_at(0.05) > calibration.score_at(0.05)


def test_partial_comparisons_are_said_in_words(calibration):
    assert calibration.read_on(0.9) is None and calibration.not_calibrated(0.9) is None
    assert calibration.not_calibrated(0.37) is None
    assert calibration.read_on(0.37) == (
        "the query compares 37% of the reference: q-value read on the calibration of "
        "comparisons that see 25-50% of it"
    )
    assert calibration.read_on(0.12) is None
    assert calibration.not_calibrated(0.12) == (
        "the query compares only 12% of the reference: q-value not calibrated for so short a "
        "comparison"
    )
    # never rounded onto the lowest calibrated share it is below
    assert calibration.not_calibrated(0.2496).startswith("the query compares only 24.96% of")


def test_the_full_range_curve_is_the_one_made_without_range_cut_queries(library, calibration):
    refs, valid = library
    plain = calibrate_library(
        refs, valid, cosine_over_overlap, seed=3, n_queries=300, range_cut_queries=0
    )
    assert plain.strata is None
    assert np.array_equal(plain.scores, calibration.scores)
    assert np.array_equal(plain.q_values, calibration.q_values)
    assert plain.no_evidence_below == calibration.no_evidence_below
    assert (plain.n_queries, plain.n_target_wins, plain.n_decoy_wins) == (
        calibration.n_queries,
        calibration.n_target_wins,
        calibration.n_decoy_wins,
    )
    assert plain.empirical == calibration.empirical
    assert plain.info == calibration.info


def test_a_stratum_of_too_few_competitions_is_not_calibrated(library):
    refs, valid = library
    few = calibrate_library(
        refs, valid, cosine_over_overlap, seed=3, n_queries=300, range_cut_queries=100
    )
    assert [s.calibration for s in few.strata] == [None, None]
    assert sum(s.n_competitions for s in few.strata) <= 100
    assert np.isnan(few.q_value(0.99, 0.6))
    assert few.not_calibrated(0.6) == (
        "the query compares only 60% of the reference: q-value not calibrated (too few "
        "calibration queries compared so little of a reference)"
    )
    again = Calibration.from_dict(json.loads(json.dumps(few.to_dict())))
    assert [(s.n_competitions, s.calibration) for s in again.strata] == [
        (s.n_competitions, None) for s in few.strata
    ]


def test_the_strata_round_trip_through_json(calibration):
    again = Calibration.from_dict(json.loads(json.dumps(calibration.to_dict())))
    scores = np.linspace(0.0, 1.0, 101)
    for share in (1.0, 0.6, 0.3):
        assert np.array_equal(again.q_value(scores, share), calibration.q_value(scores, share))
    assert [s.n_competitions for s in again.strata] == [
        s.n_competitions for s in calibration.strata
    ]


def test_a_calibration_written_before_the_strata_holds_for_full_comparisons_only(calibration):
    data = json.loads(json.dumps(calibration.to_dict()))
    del data["strata"]  # as a library calibrated before range-cut queries stored it
    old = Calibration.from_dict(data)
    assert old.strata is None
    scores = np.linspace(0.0, 1.0, 101)
    assert np.array_equal(old.q_value(scores), calibration.q_value(scores))
    assert np.array_equal(old.q_value(scores, 0.8), calibration.q_value(scores))
    assert np.isnan(old.q_value(scores, 0.6)).all()
    assert old.stratum(0.6) is None
    assert old.not_calibrated(0.6) == (
        "the query compares only 60% of the reference, and this library's calibration holds "
        "for full comparisons only (it was made before partial comparisons were calibrated): "
        "q-value not calibrated"
    )
    assert "strata" not in old.to_dict() and "strata" not in old.summary()


def test_a_calibration_stratum_without_bounds_is_refused(calibration):
    data = calibration.to_dict()
    data["strata"] = [{"n_competitions": 3, "calibration": None}]
    with pytest.raises(IdentificationError, match="stratum lacks numeric range_share bounds"):
        Calibration.from_dict(data)


def test_a_hit_without_a_calibrated_q_value_for_its_share_is_judged_and_said_so():
    why = (
        "the query compares only 12% of the reference: q-value not calibrated for so short a "
        "comparison"
    )
    v, reasons = decide(0.862, float("nan"), 0.112, 1.0, not_calibrated=why)
    assert v == "inconclusive"
    assert reasons == [
        why,
        "so short a comparison is not identified by its score alone (best score 0.862): "
        "measure the sample over the reference's range",
    ]
    # not even by a score that identifies without a calibration: the calibrated curves of
    # longer comparisons ask for more (RRUFF Raman 25-50 %: 0.974 for q <= 0.05)
    v, reasons = decide(0.97, float("nan"), 0.2, 1.0, not_calibrated=why)
    assert v == "inconclusive"
    assert reasons[0] == why
    v, reasons = decide(0.75, float("nan"), 0.2, 1.0, not_calibrated=why)
    assert v == "no_match"
    assert reasons == [why, "best score 0.750 is below 0.80: the spectrum matches no reference"]
    v, reasons = decide(0.862, float("nan"), 0.112, 1.0)  # a library without a calibration
    assert reasons[0] == "no calibration for this library: uncalibrated score thresholds used"


# ---------------------------------------------------------------------------------------------
# The margin over the best different substance, chosen by the library (calibration method 6;
# its left-out references re-measured since method 7)
# ---------------------------------------------------------------------------------------------
def _library_of_samples(n_groups, *, seed=5, band=0.2, spread=0.08):
    """150 substances of two samples each (band heights differing a little, as two samples'
    do); the first ``n_groups`` threes of substances are near-identical within their three
    (one band of height ``band`` added to a shared spectrum), as the members of a mineral
    group are. ``spread``: how much two samples' band heights differ (log scale)."""
    rng = np.random.default_rng(seed)
    bases = [random_reference(rng) for _ in range(150)]
    for first in range(0, 3 * n_groups, 3):
        for k in (first + 1, first + 2):
            y = bases[first] + band * 36 / ((GRID - rng.uniform(300, 1700)) ** 2 + 36)
            bases[k] = y / np.linalg.norm(y)
    refs, labels = [], []
    for k, base in enumerate(bases):
        for _ in range(2):
            gain = np.interp(GRID, np.linspace(GRID[0], GRID[-1], 12), rng.normal(size=12))
            y = base * np.exp(spread * gain)
            refs.append(y / np.linalg.norm(y))
            labels.append(f"substance {k}")
    return np.stack(refs), np.ones((len(refs), GRID.size), bool), labels


def _calibrated(n_groups, **kw):
    refs, valid, labels = _library_of_samples(n_groups, **kw)
    return calibrate_library(
        refs, valid, cosine_over_overlap, labels=labels, seed=3, n_queries=300, range_cut_queries=0
    )


def test_a_library_of_confusable_substances_chooses_a_larger_margin_than_the_floor():
    # two samples of a substance differ more than the members of a group do
    cal = _calibrated(20, spread=0.3)
    left = cal.empirical["left_out"]
    assert cal.margin_min == 0.05 and cal.margin_threshold == 0.05
    assert left["reached"] is True
    assert left["share_wrong_by_margin"]["0.02"] > verdict.Q_IDENTIFIED
    assert left["share_wrong_by_margin"]["0.03"] > verdict.Q_IDENTIFIED
    assert left["share_wrong"] == left["share_wrong_by_margin"]["0.05"] <= verdict.Q_IDENTIFIED
    assert 0 < left["standard_error"] < 0.01
    # each of the 300 references searched as three re-measurements of it
    assert (left["n_present"], left["n_absent"], left["draws"]) == (300, 300, 3)
    assert left["present_from"] == "another entry of the substance"


def test_references_left_out_as_stored_chose_a_larger_margin_than_re_measured_ones():
    # method 6 searched each reference as stored: clean, it resembles the other members of its
    # group more than a measured spectrum does, and the library chose 0.075; re-measured as
    # the calibration re-measures its own queries (method 7), the same library keeps the floor
    refs, valid, labels = _library_of_samples(20)
    cal = _calibrated(20)
    assert cal.margin_min == verdict.MARGIN_MIN == 0.02
    assert cal.empirical["left_out"]["share_wrong"] <= verdict.Q_IDENTIFIED
    as_stored = verdict.left_out_competitions(
        refs, valid, cosine_over_overlap, labels, seed=3, draws=0
    )
    assert as_stored.draws == 1 and as_stored.n_references == 300
    margin, figures = verdict.choose_margin(as_stored, cal.q_value)
    assert margin == 0.075
    assert figures["share_wrong_by_margin"]["0.05"] > verdict.Q_IDENTIFIED
    re_measured = verdict.left_out_competitions(refs, valid, cosine_over_overlap, labels, seed=3)
    assert re_measured.absent_score.size == 3 * 300 and re_measured.n_references == 300
    assert np.mean(cal.q_value(re_measured.absent_score) <= verdict.Q_IDENTIFIED) < np.mean(
        cal.q_value(as_stored.absent_score) <= verdict.Q_IDENTIFIED
    )


def test_a_well_separated_library_keeps_the_floor():
    cal = _calibrated(0)
    left = cal.empirical["left_out"]
    assert cal.margin_min == verdict.MARGIN_MIN == 0.02
    assert left["reached"] is True
    assert left["share_wrong"] <= verdict.Q_IDENTIFIED


def test_the_margin_is_chosen_apart_from_the_curves():
    refs, valid, labels = _library_of_samples(20)
    kw = {"labels": labels, "seed": 3, "n_queries": 300, "range_cut_queries": 0}
    chosen = calibrate_library(refs, valid, cosine_over_overlap, **kw)
    plain = calibrate_library(refs, valid, cosine_over_overlap, left_out_queries=0, **kw)
    assert np.array_equal(chosen.scores, plain.scores)
    assert np.array_equal(chosen.q_values, plain.q_values)
    assert plain.margin_min is None and "left_out" not in plain.empirical


def _left_out(wrong_margins, n_right, *, n_absent=300):
    """Present queries: ``n_right`` right best hits beating the next substance by 0.3, and one
    wrong one at each margin of ``wrong_margins``; ``n_absent`` absent ones, none accepted."""
    n = n_right + len(wrong_margins)
    return verdict.LeftOut(
        present_score=np.full(n, 0.9),
        present_margin=np.array([0.3] * n_right + list(wrong_margins)),
        present_wrong=np.array([False] * n_right + [True] * len(wrong_margins)),
        absent_score=np.full(n_absent, 0.3),
        absent_margin=np.full(n_absent, 0.3),
    )


def _q_of(scores):
    return np.where(np.asarray(scores) >= 0.5, 0.01, 1.0)


def test_the_margin_chosen_is_the_smallest_that_brings_the_estimate_to_five_percent():
    near_ties = [0.01] * 10 + [0.025] * 10 + [0.04] * 10
    margin, figures = verdict.choose_margin(_left_out(near_ties, 270), _q_of)
    assert margin == 0.03
    assert figures["share_wrong_by_margin"]["0.02"] == pytest.approx(20 / 290)
    assert figures["share_wrong"] == pytest.approx(10 / 280)
    assert figures["share_wrong_without_margin"] == pytest.approx(30 / 300)
    # its sampling error: 10 wrong of the 280 identified, as a binomial share
    assert figures["standard_error"] == pytest.approx(np.sqrt(10 / 280 * 270 / 280 / 280))
    assert figures["reached"] is True
    assert verdict.choose_margin(_left_out([0.3] * 3, 297), _q_of)[0] == 0.02


def test_too_few_left_out_references_keep_the_floor_and_say_so():
    margin, figures = verdict.choose_margin(
        _left_out([0.01] * 10 + [0.025] * 10 + [0.04] * 10, 270, n_absent=100), _q_of
    )
    assert margin == verdict.MARGIN_MIN
    assert figures["reached"] is None
    assert figures["share_wrong_by_margin"]["0.03"] == pytest.approx(10 / 280)


def test_the_references_are_counted_once_whatever_their_re_measurements():
    # 150 references re-measured twice make 300 queries, and are still too few to choose
    left = replace(_left_out([0.01] * 10 + [0.025] * 10 + [0.04] * 10, 270), draws=2)
    margin, figures = verdict.choose_margin(left, _q_of)
    assert left.n_references == 150 < verdict.MIN_LEFT_OUT
    assert margin == verdict.MARGIN_MIN and figures["reached"] is None
    assert (figures["n_present"], figures["n_absent"], figures["draws"]) == (150, 150, 2)
    with pytest.raises(IdentificationError, match="draws must be 0 or more, got -1"):
        verdict.left_out_competitions(
            np.eye(3), np.ones((3, 3), bool), cosine_over_overlap, draws=-1
        )


def test_a_library_of_one_entry_per_substance_rests_on_absent_queries_and_its_own_copies(
    calibration,
):
    left = calibration.empirical["left_out"]
    assert left["n_absent"] == 300  # every reference, absent: no substance has a second entry
    assert left["present_from"] == "the calibration's perturbed copies (one entry per substance)"
    assert left["reached"] is True and calibration.margin_min == verdict.MARGIN_MIN


def test_the_margin_round_trips_and_an_older_calibration_reads_as_margin_min():
    cal = _calibrated(20, spread=0.3)
    again = Calibration.from_dict(json.loads(json.dumps(cal.to_dict())))
    assert again.margin_min == 0.05 and again.margin_threshold == 0.05
    assert again.summary()["margin_min"] == 0.05
    assert again.summary()["margin_min_from"] == "the library's left-out references"
    data = cal.to_dict()
    del data["margin_min"]  # as a library calibrated before method 6 stored it
    old = Calibration.from_dict(data)
    assert old.margin_min is None and old.margin_threshold == 0.02
    assert "margin_min" not in old.to_dict()
    assert old.summary()["margin_min_from"] == (
        "MARGIN_MIN 0.02: calibrated before the library chose its margin"
    )


def test_decide_and_a_components_part_use_the_libraries_margin():
    verdict_, reasons = decide(0.97, 0.001, 0.05, 0.9, margin_min=0.075)
    assert verdict_ == "inconclusive"
    assert reasons[1] == (
        "the best different substance scores within 0.050 (< 0.075, the margin this library "
        "identifies at): the spectrum does not tell them apart"
    )
    assert decide(0.97, 0.001, 0.05, 0.9)[0] == "identified"  # the floor, 0.02
    assert verdict.decide_component(0.97, 0.001, 0.05, margin_min=0.075) == "inconclusive"
    assert verdict.decide_component(0.97, 0.001, 0.05) == "identified"
