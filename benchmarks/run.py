"""One command for every benchmark: ``python -m benchmarks [--quick] [--only SECTION ...]``.

Prints each figure as it is measured and writes all results (with the machine, the versions and
the date) to a JSON file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import scipy

import forensic
from benchmarks import (
    accuracy,
    calibration,
    datasets,
    drugs,
    heldout,
    mixtures_bench,
    speed,
    splits,
)
from benchmarks.text import counted
from forensic import verdict

SECTIONS = ("speed", "accuracy", "splits", "drugs", "mixtures", "calibration")


class Report:
    """Prints figures as they come, in a form a person reads."""

    def __init__(self, stream=sys.stdout):
        self.stream = stream

    def line(self, text: str = "") -> None:
        print(text, file=self.stream, flush=True)

    def speed_row(self, n: int, row: dict) -> None:
        load = row.get("load", {})
        load_text = (
            f"load in a fresh process {load['load_s'] * 1e3:.0f} ms (+"
            f"{load['rss_load_delta_mb']:.0f} MB RSS, memory-mapped; "
            f"{load['rss_after_first_pass_mb']:.0f} MB RSS after one pass over the matrix)"
            if "load_s" in load
            else f"load: {load.get('error')}"
        )
        cal = f" + calibration {row['calibrate_s']:.1f} s" if "calibrate_s" in row else ""
        self.line(
            f"  {n:>7,} synthetic refs, matrix {row['matrix_shape'][0]}x{row['matrix_shape'][1]}"
            f" float32 ({row['matrix_mb']:.0f} MB): build {row['build_s']:.1f} s{cal}, {load_text}"
        )
        self.line(
            f"           bound (matrix @ vector) {row['bound_s'] * 1e3:.2f} ms | search single "
            f"{row['search_single_s'] * 1e3:.1f} ms ({row['search_single_vs_bound']:.1f}x bound), "
            f"batch of 100 {row['search_batch_per_query_s'] * 1e3:.2f} ms/query "
            f"({row['search_batch_vs_bound']:.2f}x) | identify single "
            f"{row['identify_single_s'] * 1e3:.1f} ms ({row['identify_single_vs_bound']:.1f}x) | "
            f"pair loop {row['pair_loop_s'] * 1e3:.0f} ms (scaled, "
            f"{row['pair_loop_vs_search_single']:.0f}x search) | peak RSS "
            f"{row['rss_peak_mb']:.0f} MB"
        )

    def speed(self, out: dict) -> None:
        if "skipped" in out:
            self.line(f"  speed: skipped ({out['skipped']})")

    def accuracy(self, modality: str, entry: dict) -> None:
        self.line(
            f"  {modality}: {counted(entry['queries'], 'query', 'queries')} ({entry['subset']}), "
            f"library {counted(entry['library_files'], 'file')}"
        )
        plain = entry["plain_cosine"]
        eng = entry.get("engine", {})
        for cond, fig in plain.items():
            text = f"    {cond:<11} plain cosine top-1 {fig['top1']:.3f} top-5 {fig['top5']:.3f}"
            if cond in eng:
                e = eng[cond]
                v = e["verdicts"]
                text += (
                    f" | engine top-1 {e['top1']:.3f} top-5 {e['top5']:.3f}; identified "
                    f"{v.get('identified', 0)} ({e['identified_right']} right), inconclusive "
                    f"{v.get('inconclusive', 0)}, no_match {v.get('no_match', 0)}"
                )
            self.line(text)
        for key in ("skipped", "error"):
            if key in eng:
                self.line(f"    engine: {key}: {eng[key]}")
        if "calibration" in eng:
            self.line(f"    engine verdicts' q-values: {eng['calibration']}")
        if eng.get("margin_min") is not None:
            self.line(
                "    engine verdicts' margin over the best different substance: "
                f"{eng['margin_min']:g} (the library's own, calibration step 7)"
            )

    def splits(self, modality: str, entry: dict) -> None:
        """Top-1 over the seeded splits and, where measured, over every dev sample
        (:mod:`benchmarks.splits`)."""
        splits = entry["splits"]
        seeds = ("seed " if len(splits) == 1 else "seeds ") + ", ".join(
            str(s["seed"]) for s in splits
        )
        figures = ", ".join(f"{s['top1']:.3f}" for s in splits)
        self.line(
            f"  {modality}: {counted(len(splits), 'split')} ({seeds}), "
            f"{counted(splits[0]['queries'], 'query', 'queries')} each (one sample per mineral, "
            f"against the other samples' files and the confusers: "
            f"{counted(entry['library_files'], 'file')} less the queries' samples): top-1 mean "
            f"{entry['splits_mean_top1']:.3f} ({figures})"
        )
        every = entry.get("every_sample")
        if every:
            self.line(
                f"  {modality}: every dev sample as the query in turn "
                f"({counted(every['queries'], 'query', 'queries')}, each against the library "
                f"less its own sample): top-1 {every['top1']:.3f}"
            )

    def drugs(self, res: dict) -> None:
        for shift, fig in res["plain_cosine"].items():
            text = f"  shift {shift} cm-1: plain cosine {fig['correct']}/{res['n']}"
            e = res.get("engine", {}).get(shift)
            if e:
                text += (
                    f" | engine {e['correct']}/{res['n']} (missed: {', '.join(e['missed']) or '-'})"
                    f"; identified {e['verdicts'].get('identified', 0)} "
                    f"({e['identified_right']} right), inconclusive "
                    f"{e['verdicts'].get('inconclusive', 0)}, no_match "
                    f"{e['verdicts'].get('no_match', 0)}"
                )
            self.line(text)
        for key in ("skipped", "error"):
            if key in res.get("engine", {}):
                self.line(f"  engine: {key}: {res['engine'][key]}")

    def mixtures(self, out: dict) -> None:
        for method, t in out["totals"].items():
            self.line(
                f"  {method}: components found {t['found']}/{t['expected']}, false components "
                f"{t['false']} in {counted(len(out['cases']), 'mixture')}; pure spectra: "
                f"{out['pure'].get(method, 0)} false in {out['pure']['n']}"
            )
        if "engine" in out:
            self.line(f"  engine: {out['engine']}")
        verdicts = out.get("engine_verdicts")
        if verdicts:
            self.line(
                f"  engine verdicts: mixtures {_named(verdicts['mixtures'])}; pure spectra "
                f"{_named(verdicts['pure'])}"
            )
        for modality, r in out.get("rruff", {}).items():
            p, b = r["pure"], r["binary"]
            self.line(
                f"  RRUFF {modality}, each sample against the other samples: pure spectra "
                f"reported as mixtures {p['as_mixture']}/{p['n']} ({p['false_components']} false "
                f"components); binary mixtures of two samples: components found "
                f"{b['found']}/{b['expected']}, false {b['false']} in {counted(b['n'], 'mixture')}"
            )
            self.line(
                f"      verdicts: pure spectra {_named(p['verdicts'])}; binary mixtures "
                f"{_named(b['verdicts'])}"
            )

    def calibration_data(self, data: dict) -> None:
        shared = data.get("shared")
        self.line(f"  data: {data['shipped']}")
        self.line(
            f"  data: measured spectra from {shared}"
            if shared
            else "  data: no shared data: the measured libraries and real spectra are skipped"
        )

    def calibration_library(self, name: str, s: dict) -> None:
        """One library's calibration figures and its held-out checks."""
        if "skipped" in s:
            return  # said with the section's other skips
        self.line(
            f"  {name} ({counted(s['library_size'], 'ref')}): score at q=0.01 "
            f"{_fmt(s['score_at_q_0.01'])}, at q=0.05 {_fmt(s['score_at_q_0.05'])}; "
            f"target wins {s['n_target_wins']}, decoy wins {s['n_decoy_wins']}, decoy "
            f"efficiency {_fmt(s.get('decoy_efficiency'))}"
        )
        self.line(
            f"      observed FDP at q<=0.05: {_fmt(s.get('empirical_fdp_at_q_0.05'))} "
            f"({s.get('accepted_at_q_0.05')} accepted), held-out "
            f"{_fmt(s.get('heldout_fdp_at_q_0.05'))} "
            f"({s.get('heldout_accepted_at_q_0.05')} accepted); decoys alone would give "
            f"{_fmt(s.get('decoy_only_fdp_at_q_0.05'))} at their q<=0.05 threshold "
            f"{_fmt(s.get('decoy_only_score_at_q_0.05'))}; median right score "
            f"{_fmt(s.get('median_true_score'))}"
        )
        self.line(
            f"      margin < 0.02 over the best different substance: "
            f"{_fmt(s.get('right_margin_below_min'))} of {s.get('n_right_present')} right "
            f"best hits, {_fmt(s.get('wrong_margin_below_min'))} of "
            f"{s.get('n_wrong_present')} wrong ones (right substance in the library)"
        )
        if "margin_min" in s:  # a summary of before libraries chose it has none
            self.line(f"      {margin_line(s)}")
        for stratum in s.get("strata") or []:
            lowest, highest = stratum["range_share"]
            self.line(
                f"      range-cut queries comparing {lowest:.0%}-{highest:.0%} of their best "
                f"reference: {counted(stratum['n_competitions'], 'competition')}, score at q=0.01 "
                f"{_fmt(stratum.get('score_at_q_0.01'))}, at q=0.05 "
                f"{_fmt(stratum.get('score_at_q_0.05'))}; observed FDP at q<=0.05 "
                f"{_fmt(stratum.get('empirical_fdp_at_q_0.05'))} "
                f"({stratum.get('accepted_at_q_0.05')} accepted); median right score "
                f"{_fmt(stratum.get('median_true_score'))}"
            )
        seeds = s.get("heldout_other_seeds")
        if seeds:
            self.line(
                f"      held out, other seeds {', '.join(map(str, seeds['seeds']))} "
                f"({seeds['queries']}; {counted(seeds['n_hits'], 'best hit')}):"
            )
            self.heldout(seeds["strata"])
        real = s.get("heldout_real")
        if real:
            cuts = ", ".join(f"{c:.0%}" for c in real["cuts"])
            subset = "" if real.get("subset", "all") == "all" else f" ({real['subset']})"
            self.line(
                f"      held out, real spectra ("
                f"{counted(real['queries'], 'query', 'queries')}{subset}, "
                f"{real['absent']} of them absent from the library, each identified against a "
                f"library built without it ({counted(real['folds'], 'fold')}), its range kept "
                f"{cuts}; {counted(len(real['hits']), 'best hit')}):"
            )
            self.heldout(real["strata"])
            if real.get("left_out"):
                for text in heldout.estimate_line(real["left_out"], real["hits"]):
                    self.line(text)

    def calibration_end(self, out: dict) -> None:
        """The held-out check over all real spectra, and where it fails."""
        pooled = out.get("heldout_real_pooled")
        if pooled:
            self.line(
                f"  all real spectra held out, pooled ({counted(pooled['n_hits'], 'best hit')}):"
            )
            self.heldout(pooled["strata"])
        flagged = out.get("heldout_flagged")
        if flagged is not None:
            self.line(
                "  held out, share wrong above its threshold beyond sampling error: "
                + ("; ".join(flagged) if flagged else "nowhere")
            )

    def heldout(self, strata: dict) -> None:
        """One line per stratum of a held-out tally (:func:`benchmarks.heldout.tally`)."""
        for label, entry in strata.items():
            text = f"        {label}: {counted(entry['hits'], 'hit')}, {entry['wrong']} wrong"
            if not entry["at_q"]:
                self.line(f"{text}, no q-value")
                continue
            if entry["without_q"]:
                text += f", {entry['without_q']} without a q-value"
            for thr, c in entry["at_q"].items():
                if not c["hits"]:
                    text += f"; q<={thr}: none"
                    continue
                text += (
                    f"; q<={thr}: {c['hits']}, {c['share_wrong']:.1%} wrong "
                    f"(upper 95 % {c['upper_95']:.1%})"
                )
                if c["exceeds"]:
                    text += f" ABOVE {thr} (p={c['p_value']:.3f})"
            self.line(text)


def _skipped(out) -> list[tuple[str, str]]:
    """``(where, why)`` of each part of a section's results that was skipped (the section
    itself, ``where`` empty, or one of its parts: a modality, the engine), so that the screen
    says why a section printed no figures; the shared data's location where it is absent.
    The engine's own skip is printed with the figures it leaves out."""
    if not isinstance(out, dict):
        return []
    found = [("", out["skipped"])] if "skipped" in out else []
    found += [
        (f" ({key})", part["skipped"])
        for key, part in out.items()
        if key != "engine" and isinstance(part, dict) and "skipped" in part
    ]
    return [
        (
            where,
            f"{why}: no {datasets.SHARED_DATA} (the measured spectra are not part of the "
            "repository; set FORENSIC_SHARED_DATA to where they are)",
        )
        if why == "shared data absent"
        else (where, why)
        for where, why in found
    ]


def margin_line(s: dict) -> str:
    """The margin over the best different substance a library identifies at, and what it rests
    on, from its calibration's summary (:meth:`forensic.verdict.Calibration.summary`)."""
    said = f"margin over the best different substance to identify: {s['margin_min']:g}"
    left = s.get("left_out")
    if left is None:
        return f"{said} ({s['margin_min_from']})"
    how = {
        True: "the smallest at which",
        False: "none of the grid brings it to 5 %; the lowest where",
        None: f"too few references (fewer than {verdict.MIN_LEFT_OUT}) to choose: the floor, where",
    }[left["reached"]]
    draws = left.get("draws") or 1  # method 7 on: each reference re-measured
    error = left.get("standard_error")
    return (
        f"{said} ({how} its left-out references, {left['n_present']} present "
        f"({left['present_from']}) and {left['n_absent']} absent"
        + (f", each re-measured {draws} times" if draws > 1 else "")
        + f", estimate {_pct(left['share_wrong'])}"
        + ("" if error is None else f" (± {_pct(error)})")
        + f" wrong among identified hits; {_pct(left['share_wrong_without_margin'])} without a "
        "margin rule)"
    )


def _pct(v) -> str:
    return "n/a" if v is None else f"{v:.1%}"


def _fmt(v) -> str:
    return "n/a" if v is None else f"{v:.3f}"


def _named(counts: dict) -> str:
    """What identified verdicts named, of ``counts['n']`` results
    (``benchmarks.mixtures_bench._named_counts``)."""
    return (
        f"identified naming every substance {counts['all']}, some of them {counts['some']}, "
        f"a wrong one {counts['wrong']} (of {counts['n']})"
    )


def _environment() -> dict:
    version = getattr(forensic, "__version__", "?")
    return {
        "date_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "forensic": version,
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller libraries and subsets")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, help="run only these sections")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent / "results" / "latest.json",
        help="where to write the JSON results (default: benchmarks/results/latest.json)",
    )
    args = parser.parse_args(argv)
    modules = {
        "speed": speed,
        "accuracy": accuracy,
        "splits": splits,
        "drugs": drugs,
        "mixtures": mixtures_bench,
        "calibration": calibration,
    }
    report = Report()
    results: dict = {"quick": args.quick, "environment": _environment()}
    t_all = time.perf_counter()
    for name in args.only or SECTIONS:
        report.line(f"== {name} ==")
        t0 = time.perf_counter()
        try:
            results[name] = modules[name].run(args.quick, report)
        except Exception as exc:  # one failing section must not hide the others' figures
            results[name] = {"error": f"{type(exc).__name__}: {exc}"}
            report.line(f"  FAILED: {type(exc).__name__}: {exc}")
        if name != "speed":  # speed says its own
            for where, reason in _skipped(results[name]):
                report.line(f"  skipped{where}: {reason}")
        results[name + "_seconds"] = time.perf_counter() - t0
        report.line(f"  ({time.perf_counter() - t0:.0f} s)")
    results["total_seconds"] = time.perf_counter() - t_all
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(results, indent=2, default=_json_default))
    tmp.replace(args.out)
    report.line(f"results written to {args.out} ({results['total_seconds']:.0f} s in all)")
    return 0


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)
