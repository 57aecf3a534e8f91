"""The calibration benchmark's held-out check: strata, the binomial figures, what it prints."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from benchmarks import calibration, datasets, heldout
from benchmarks import run as benchmark_run
from forensic.library import Library
from tests.synthetic import make_spectrum


def test_a_hit_is_counted_in_the_stratum_the_engine_reads_its_q_value_in():
    assert [heldout.stratum_label(lo, hi) for lo, hi in heldout.strata()] == [
        "full range (80-100 %)",
        "50-80 %",
        "25-50 %",
        "below 25 %",
    ]
    assert heldout.stratum_of(1.0) == "full range (80-100 %)"
    assert heldout.stratum_of(0.8) == "full range (80-100 %)"
    assert heldout.stratum_of(0.7999) == "50-80 %"
    assert heldout.stratum_of(0.5) == "50-80 %"
    assert heldout.stratum_of(0.25) == "25-50 %"
    assert heldout.stratum_of(0.2499) == "below 25 %"
    assert heldout.stratum_of(0.0) == "below 25 %"


def test_a_share_wrong_above_the_threshold_beyond_sampling_error_is_flagged():
    above = heldout.honesty(12, 100, 0.05)
    assert above["hits"] == 100 and above["wrong"] == 12
    assert above["share_wrong"] == pytest.approx(0.12)
    # the one-sided 95 % Clopper-Pearson bound: the 95th percentile of Beta(k + 1, n - k)
    assert above["upper_95"] == pytest.approx(stats.beta.ppf(0.95, 13, 88))
    assert above["p_value"] < 0.05 and above["exceeds"]
    # 7 of 100 is above 5 %, but within what 100 hits at a true 5 % give
    within = heldout.honesty(7, 100, 0.05)
    assert within["share_wrong"] == pytest.approx(0.07)
    assert within["p_value"] > 0.05 and not within["exceeds"]
    assert heldout.honesty(0, 0, 0.05) == {
        "hits": 0,
        "wrong": 0,
        "share_wrong": None,
        "upper_95": None,
        "p_value": None,
        "exceeds": False,
    }


def test_tally_counts_each_stratum_and_threshold_and_never_accepts_a_hit_without_q_value():
    hits = (
        [{"range_share": 0.95, "q_value": 0.004, "wrong": False}] * 40
        + [{"range_share": 0.9, "q_value": 0.04, "wrong": True}] * 2
        + [{"range_share": 0.6, "q_value": 0.08, "wrong": True}] * 3
        + [{"range_share": 0.6, "q_value": None, "wrong": False}]  # a stratum without a curve
        + [{"range_share": 0.1, "q_value": None, "wrong": True}] * 4
    )
    table = heldout.tally(hits)
    assert list(table) == ["full range (80-100 %)", "50-80 %", "25-50 %", "below 25 %"]
    full = table["full range (80-100 %)"]
    assert (full["hits"], full["wrong"], full["without_q"]) == (42, 2, 0)
    assert {thr: (c["hits"], c["wrong"]) for thr, c in full["at_q"].items()} == {
        "0.01": (40, 0),
        "0.05": (42, 2),
        "0.1": (42, 2),
    }
    partial = table["50-80 %"]
    assert (partial["hits"], partial["wrong"], partial["without_q"]) == (4, 3, 1)
    assert partial["at_q"]["0.05"]["hits"] == 0
    assert partial["at_q"]["0.1"]["hits"] == 3 and partial["at_q"]["0.1"]["exceeds"]
    assert table["25-50 %"]["hits"] == 0
    assert table["below 25 %"] == {"hits": 4, "wrong": 4, "without_q": 4, "at_q": {}}
    assert heldout.flagged(table) == ["50-80 % at q <= 0.1"]


def test_the_held_out_lines_say_hits_share_wrong_bound_and_where_it_is_above():
    hits = (
        [{"range_share": 0.9, "q_value": 0.03, "wrong": False}] * 18
        + [{"range_share": 0.9, "q_value": 0.03, "wrong": True}] * 2
        + [{"range_share": 0.6, "q_value": 0.04, "wrong": True}] * 4
        + [{"range_share": 0.6, "q_value": 0.2, "wrong": False}]
        + [{"range_share": 0.1, "q_value": None, "wrong": True}]
    )
    table = heldout.tally(hits)
    upper = stats.beta.ppf(0.95, 3, 18)
    # 2 of 20 at q <= 0.05 is within sampling error; 4 of 4 is not
    assert stats.binomtest(2, 20, 0.05, alternative="greater").pvalue > 0.05
    p_05 = stats.binomtest(4, 4, 0.05, alternative="greater").pvalue
    p_1 = stats.binomtest(4, 4, 0.1, alternative="greater").pvalue
    stream = io.StringIO()
    benchmark_run.Report(stream).heldout(table)
    assert stream.getvalue().splitlines() == [
        "        full range (80-100 %): 20 hits, 2 wrong; q<=0.01: none; q<=0.05: 20, 10.0% "
        f"wrong (upper 95 % {upper:.1%}); q<=0.1: 20, 10.0% wrong (upper 95 % {upper:.1%})",
        "        50-80 %: 5 hits, 4 wrong; q<=0.01: none; q<=0.05: 4, 100.0% wrong (upper 95 % "
        f"100.0%) ABOVE 0.05 (p={p_05:.3f}); q<=0.1: 4, 100.0% wrong (upper 95 % 100.0%) "
        f"ABOVE 0.1 (p={p_1:.3f})",
        "        25-50 %: 0 hits, 0 wrong; q<=0.01: none; q<=0.05: none; q<=0.1: none",
        "        below 25 %: 1 hit, 1 wrong, no q-value",
    ]


def test_flags_name_the_library_the_part_and_the_stratum():
    above = {"range_share": 0.6, "q_value": 0.01, "wrong": True}
    out = {
        "data": {"shipped": "x", "shared": None},
        "rruff-raman": {
            "heldout_other_seeds": {"strata": heldout.tally([above] * 5)},
            "heldout_real": {"strata": heldout.tally([])},
        },
        "heldout_real_pooled": {"n_hits": 5, "strata": heldout.tally([above] * 5)},
    }
    assert calibration.flags(out) == [
        "rruff-raman, other seeds: 50-80 % at q <= 0.01",
        "rruff-raman, other seeds: 50-80 % at q <= 0.05",
        "rruff-raman, other seeds: 50-80 % at q <= 0.1",
        "all real spectra: 50-80 % at q <= 0.01",
        "all real spectra: 50-80 % at q <= 0.05",
        "all real spectra: 50-80 % at q <= 0.1",
    ]


def test_a_cut_keeps_the_share_of_the_range_asked_for_and_a_whole_query_is_untouched():
    x = np.arange(100.0, 1100.0, 1.0)
    y = np.sin(x)
    assert heldout.cut_range(x, y, 1.0, np.random.default_rng(0))[0] is x
    for seed in range(5):
        cx, cy = heldout.cut_range(x, y, 0.35, np.random.default_rng(seed))
        assert cx[-1] - cx[0] == pytest.approx(0.35 * (x[-1] - x[0]), abs=1.0)
        assert x[0] <= cx[0] and cx[-1] <= x[-1]
        assert np.array_equal(cy, np.sin(cx))


def _record(name: str, sample: str) -> datasets.Record:
    x = np.arange(200.0, 1200.0, 2.0)
    return datasets.Record(Path(f"{name}__{sample}.txt"), name, sample, "532", x, x * 0, "raman")


def test_rruff_queries_put_a_minerals_samples_in_different_folds_and_a_quarter_absent():
    dev = [_record(f"Mineral{m}", f"R{m:02d}{s}") for m in range(12) for s in range(2 + m % 3)]
    confusers = [_record(f"Single{k}", f"C{k:03d}") for k in range(40)]
    queries = heldout.rruff_queries(dev, confusers)
    present = [q for q in queries if not q.absent]
    absent = [q for q in queries if q.absent]
    assert len(present) == len(dev)  # one file a sample here
    assert len(absent) == round(len(present) / 3)
    assert {q.record.name for q in absent} <= {r.name for r in confusers}
    for m in range(12):
        folds = [q.fold for q in present if q.record.name == f"Mineral{m}"]
        assert len(set(folds)) == len(folds)  # each sample's mineral stays in the library
    assert all(q.leave_out == q.record.sample for q in queries)


def test_enfsi_queries_leave_each_compound_out_once_and_keep_three_present_to_one_absent():
    records = [_record(f"Drug{k}", f"d{k}") for k in range(20)]
    records = [
        datasets.Record(r.path, r.name, r.sample, "", r.wavenumber, r.wavenumber**0, "ir")
        for r in records
    ]
    queries = heldout.enfsi_queries(records)
    absent = [q for q in queries if q.absent]
    assert sorted(q.record.sample for q in absent) == sorted(r.sample for r in records)
    assert len(queries) == 4 * len(absent)
    for q in queries:
        if not q.absent:  # a present query's compound stays in its fold's library
            gone = {a.leave_out for a in absent if a.fold == q.fold}
            assert q.leave_out == "" and q.record.sample not in gone
            assert q.wavenumber[0] == pytest.approx(q.record.wavenumber[0] + 8.0)


@pytest.mark.slow  # builds and calibrates a small library
def test_other_seed_queries_are_read_on_the_librarys_own_curves():
    spectra = [
        make_spectrum(
            [(300 + 37 * k, 1.0, 9.0), (900 + 53 * k, 0.6, 12.0), (1500 + 29 * k, 0.8, 10.0)],
            start=150.0,
            stop=2000.0,
            step=2.0,
            seed=k,
            noise=0.002,
            name=f"Substance {k}",
        )
        for k in range(12)
    ]
    library = Library.from_spectra(spectra)
    hits = heldout.other_seed_hits(library, "raman", 101, n_queries=60)
    assert len(hits) == 120
    assert sum(h["cut"] for h in hits) == 60
    full = [h for h in hits if not h["cut"]]
    cut = [h for h in hits if h["cut"]]
    # a whole reference, searched among them, compares about all of its best target
    assert np.median([h["range_share"] for h in full]) > 0.95
    assert np.median([h["range_share"] for h in cut]) < 0.8
    cal = library.block("raman").calibration
    from forensic.verdict import Calibration  # noqa: PLC0415

    curves = Calibration.from_dict(cal)
    for h in hits:
        expected = float(curves.q_value(h["score"], h["range_share"]))
        assert h["q_value"] == (None if np.isnan(expected) else pytest.approx(expected))
    # a quarter of the queries have no right answer: their best target is always wrong
    assert all(h["wrong"] for h in hits if h["absent"])
    assert 15 <= sum(h["absent"] for h in hits) <= 45
    # the same seed gives the same queries; another seed others
    again = heldout.other_seed_hits(library, "raman", 101, n_queries=60)
    assert again == hits
    assert heldout.other_seed_hits(library, "raman", 102, n_queries=60) != hits


@pytest.mark.slow  # compiles and calibrates the shipped library (~20 s on 2 cores)
def test_without_the_shared_data_the_check_runs_on_the_shipped_library_and_says_what_it_skips(
    tmp_path, monkeypatch
):
    absent = tmp_path / "no-shared-data"
    monkeypatch.setattr(datasets, "SHARED_DATA", absent)
    monkeypatch.setattr(heldout, "QUERIES_PER_SEED", 50)
    out_file = tmp_path / "results.json"
    stream = io.StringIO()
    monkeypatch.setattr(benchmark_run, "Report", _printing_to(stream))
    assert benchmark_run.main(["--quick", "--only", "calibration", "--out", str(out_file)]) == 0
    lines = stream.getvalue().splitlines()
    assert lines[0] == "== calibration =="
    assert lines[2] == (
        "  data: no shared data: the measured libraries and real spectra are skipped"
    )
    assert (
        f"  skipped (real spectra held out): shared data absent: no {absent} (the measured "
        "spectra are not part of the repository; set FORENSIC_SHARED_DATA to where they are)"
    ) in lines
    assert any(line.startswith("  shipped-raman (") for line in lines)
    assert (
        "      held out, other seeds 101 (50 full-range and 50 range-cut perturbed "
        in "\n".join(lines)
    )
    results = json.loads(out_file.read_text())["calibration"]
    assert results["data"]["shared"] is None
    assert results["real spectra held out"] == {"skipped": "shared data absent"}
    assert set(results["shipped-ir"]["heldout_other_seeds"]["strata"]) == {
        "full range (80-100 %)",
        "50-80 %",
        "25-50 %",
        "below 25 %",
    }
    assert isinstance(results["heldout_flagged"], list)
    assert "heldout_real_pooled" not in results


def _printing_to(stream):
    """A Report class printing to ``stream`` (the benchmark makes its own Report())."""

    class _Report(benchmark_run.Report):
        def __init__(self):
            super().__init__(stream)

    return _Report


def test_the_real_spectra_line_says_how_many_queries_how_many_absent_and_the_subset():
    figures = {
        "library_size": 396,
        "score_at_q_0.01": 0.994,
        "score_at_q_0.05": 0.965,
        "n_target_wins": 1099,
        "n_decoy_wins": 89,
        "heldout_real": {
            "subset": "every third query",
            "queries": 48,
            "absent": 12,
            "cuts": [1.0, 0.6, 0.35],
            "folds": 5,
            "strata": heldout.tally([]),
            "hits": [{"range_share": 1.0, "q_value": 0.01, "wrong": False}] * 140,
        },
    }
    stream = io.StringIO()
    benchmark_run.Report(stream).calibration_library("rruff-ir", figures)
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("  rruff-ir (396 refs): score at q=0.01 0.994, at q=0.05 0.965;")
    assert lines[3] == (
        "      held out, real spectra (48 queries (every third query), 12 of them absent from "
        "the library, each identified against a library built without it (5 folds), its "
        "range kept 100%, 60%, 35%; 140 best hits):"
    )
    assert lines[4] == (
        "        full range (80-100 %): 0 hits, 0 wrong; q<=0.01: none; q<=0.05: none; q<=0.1: none"
    )
    quiet = io.StringIO()  # a skipped library is said with the section's skips, not here
    benchmark_run.Report(quiet).calibration_library("rruff-raman", {"skipped": "why"})
    assert quiet.getvalue() == ""


def _fold(share, identified, *, margin=0.075, own=0.04):
    return {
        "share_wrong": share,
        "share_wrong_identified": identified,
        "margin_min": margin,
        "chosen_by_library": True,
        "n_present": 700,
        "n_absent": 1700,
        "present_from": "another entry of the substance",
        "calibration_heldout_half": own,
        "seconds": 1.0,
    }


def test_the_held_out_check_sets_the_left_out_estimate_beside_the_promise_and_the_real_share():
    folds = [_fold(0.08, 0.05, own=0.03), _fold(0.10, 0.04, margin=0.15, own=0.05)]
    whole = {"range_share": 0.95, "q_value": 0.01, "cut": 1.0}
    hits = (
        [{**whole, "wrong": False, "verdict": "identified"}] * 17
        + [{**whole, "wrong": True, "verdict": "identified"}]
        + [{**whole, "wrong": True, "verdict": "inconclusive"}] * 2
        + [{**whole, "cut": 0.6, "wrong": True, "verdict": "identified"}]
    )
    real = stats.binomtest(4, 21, alternative="less").proportion_ci(0.95).high
    identified = stats.binomtest(1, 18, alternative="less").proportion_ci(0.95).high
    assert heldout.estimate_line(folds, hits) == [
        "      q<=0.05, full range: promised 5.0%; the calibration's own queries 4.0% (held-out "
        "half); left-out references 9.0% (folds 8.0%-10.0%; a fold 700 present, 1700 absent, "
        f"present: another entry of the substance); real held out 19.0% of 21 (upper 95 % "
        f"{real:.1%})",
        "      identified (margin over the best different substance 0.075, 0.15, chosen by each "
        "fold library): left-out references 4.5%; real held out, whole spectra 5.6% of 18 "
        f"(upper 95 % {identified:.1%})",
    ]


def test_the_calibration_lines_say_the_margin_the_library_chose_and_what_it_rests_on():
    left = {
        "margin_min": 0.15,
        "reached": True,
        "share_wrong": 0.049,
        "share_wrong_without_margin": 0.125,
        "n_present": 704,
        "n_absent": 1730,
        "present_from": "another entry of the substance",
    }
    assert benchmark_run.margin_line({"margin_min": 0.15, "left_out": left}) == (
        "margin over the best different substance to identify: 0.15 (the smallest at which its "
        "left-out references, 704 present (another entry of the substance) and 1730 absent, "
        "estimate 4.9% wrong among identified hits; 12.5% without a margin rule)"
    )
    few = {
        **left,
        "margin_min": 0.02,
        "reached": None,
        "n_present": 770,
        "n_absent": 48,
        "present_from": "the calibration's perturbed copies (one entry per substance)",
    }
    assert benchmark_run.margin_line({"margin_min": 0.02, "left_out": few}) == (
        "margin over the best different substance to identify: 0.02 (too few references (fewer "
        "than 250) to choose: the floor, where its left-out references, 770 present (the "
        "calibration's perturbed copies (one entry per substance)) and 48 absent, estimate 4.9% "
        "wrong among identified hits; 12.5% without a margin rule)"
    )
    measured = {**left, "margin_min": 0.1, "draws": 3, "standard_error": 0.0065}
    assert benchmark_run.margin_line({"margin_min": 0.1, "left_out": measured}) == (
        "margin over the best different substance to identify: 0.1 (the smallest at which its "
        "left-out references, 704 present (another entry of the substance) and 1730 absent, "
        "each re-measured 3 times, estimate 4.9% (± 0.7%) wrong among identified hits; 12.5% "
        "without a margin rule)"
    )
    old = {
        "margin_min": 0.02,
        "margin_min_from": "MARGIN_MIN 0.02: calibrated before the library chose its margin",
    }
    assert benchmark_run.margin_line(old) == (
        "margin over the best different substance to identify: 0.02 (MARGIN_MIN 0.02: "
        "calibrated before the library chose its margin)"
    )
