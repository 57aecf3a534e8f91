"""The benchmarks' output counts in words that agree with the count."""

from __future__ import annotations

import io

from benchmarks import heldout
from benchmarks import run as benchmark_run
from benchmarks.text import counted


def test_one_of_a_thing_is_singular_and_every_other_count_plural():
    assert counted(1, "hit") == "1 hit"
    assert counted(0, "hit") == "0 hits"
    assert counted(2, "hit") == "2 hits"
    assert counted(1, "query", "queries") == "1 query"
    assert counted(3, "query", "queries") == "3 queries"
    assert counted(1, "best hit") == "1 best hit"


def test_a_held_out_stratum_of_one_hit_says_1_hit():
    table = heldout.tally([{"range_share": 0.9, "q_value": None, "wrong": False}])
    stream = io.StringIO()
    benchmark_run.Report(stream).heldout(table)
    assert stream.getvalue().splitlines() == [
        "        full range (80-100 %): 1 hit, 0 wrong, 1 without a q-value; q<=0.01: none; "
        "q<=0.05: none; q<=0.1: none",
        "        50-80 %: 0 hits, 0 wrong; q<=0.01: none; q<=0.05: none; q<=0.1: none",
        "        25-50 %: 0 hits, 0 wrong; q<=0.01: none; q<=0.05: none; q<=0.1: none",
        "        below 25 %: 0 hits, 0 wrong, no q-value",
    ]


def test_the_accuracy_line_of_one_query_says_1_query_and_1_file():
    entry = {"queries": 1, "subset": "all", "library_files": 1, "plain_cosine": {}}
    stream = io.StringIO()
    benchmark_run.Report(stream).accuracy("ir", entry)
    assert stream.getvalue().splitlines() == ["  ir: 1 query (all), library 1 file"]


def test_the_real_spectra_line_of_one_query_one_fold_and_one_best_hit_is_singular():
    figures = {
        "library_size": 1,
        "score_at_q_0.01": None,
        "score_at_q_0.05": None,
        "n_target_wins": 0,
        "n_decoy_wins": 0,
        "heldout_real": {
            "queries": 1,
            "absent": 0,
            "cuts": [1.0],
            "folds": 1,
            "strata": {},
            "hits": [{"range_share": 1.0, "q_value": 0.01, "wrong": False}],
        },
    }
    stream = io.StringIO()
    benchmark_run.Report(stream).calibration_library("rruff-ir", figures)
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("  rruff-ir (1 ref): score at q=0.01 n/a")
    assert lines[3] == (
        "      held out, real spectra (1 query, 0 of them absent from the library, each "
        "identified against a library built without it (1 fold), its range kept 100%; "
        "1 best hit):"
    )


def test_the_mixture_lines_of_one_mixture_say_1_mixture():
    out = {
        "totals": {"nnls": {"found": 2, "expected": 2, "false": 0}},
        "cases": [{}],
        "pure": {"nnls": 0, "n": 3},
        "rruff": {
            "ir": {
                "pure": {"as_mixture": 0, "n": 2, "false_components": 0, "verdicts": _none()},
                "binary": {"found": 2, "expected": 2, "false": 0, "n": 1, "verdicts": _none()},
            }
        },
    }
    stream = io.StringIO()
    benchmark_run.Report(stream).mixtures(out)
    lines = stream.getvalue().splitlines()
    assert lines[0] == (
        "  nnls: components found 2/2, false components 0 in 1 mixture; pure spectra: 0 false in 3"
    )
    assert lines[1].endswith("components found 2/2, false 0 in 1 mixture")


def _none() -> dict:
    return {"all": 0, "some": 0, "wrong": 0, "n": 0}
