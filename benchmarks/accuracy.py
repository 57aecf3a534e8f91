"""Accuracy on real spectra: the leave-one-sample-out protocol of ``shared/data/README.md``.

Each dev sample in turn is the query (one file of it, the 532 nm one where there is one); the
library is every file of every *other* dev sample plus the confusers. Right = the top hit's
mineral name equals the query's. Top-5 = the right name among the five best distinct names.
Robustness runs the same protocol with each query perturbed (:mod:`benchmarks.perturb`).

The engine's verdicts are read on q-values calibrated **in sample**: the library of every file
is built and calibrated once (:class:`benchmarks.engine.LosoRunner`), and each query is
identified against it without its own sample's rows but on that calibration, whose queries
and decoys were drawn from every reference, the query's own sample among them. Calibrating
without it would take a calibration per query. How honest the q-values are on spectra a
calibration never saw is measured by the held-out check of ``--only calibration``
(:mod:`benchmarks.heldout`), which builds and calibrates a library per fold without its
queries; read the verdict counts here with that in mind.
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks import baseline, datasets, engine, perturb
from forensic.library import substance_key
from forensic.verdict import Calibration

CALIBRATION = (
    "in sample: the q-values come from one calibration of the whole library, the query's own "
    "sample included; the held-out check (--only calibration) measures them on spectra a "
    "calibration never saw"
)
"""What the engine's verdicts were read on, as the output states it (module docstring)."""


def load(modality: str):
    dev = datasets.rruff(f"{modality}-dev", modality)
    confusers = datasets.rruff(f"{modality}-confusers", modality)
    return dev, confusers, datasets.loso_queries(dev)


def plain_cosine(modality, dev, confusers, queries, conditions, seed=0) -> dict:
    """Top-1/top-5 of plain cosine for every condition."""
    grid = baseline.GRIDS[modality]
    lib = dev + confusers
    names = [substance_key(r.name) for r in lib]
    samples = np.array([r.sample for r in lib])
    matrix = baseline.matrix([(r.wavenumber, r.intensity) for r in lib], grid)
    out = {}
    for cond in conditions:
        rng = np.random.default_rng(seed)
        pairs = []
        for k, qi in enumerate(queries):
            r = dev[qi]
            pairs.append(perturb.apply(cond, r.wavenumber, r.intensity, rng, modality, k))
        qm = baseline.matrix(pairs, grid)
        scores = baseline.cosine_scores(qm, matrix)
        own = samples[None, :] == np.array([dev[qi].sample for qi in queries])[:, None]
        scores[own] = -np.inf
        top1 = top5 = 0
        for k, qi in enumerate(queries):
            ranked = baseline.ranked_names(scores[k], names, 5)
            truth = substance_key(dev[qi].name)
            top1 += bool(ranked) and ranked[0] == truth
            top5 += truth in ranked
        out[cond] = {"top1": top1 / len(queries), "top5": top5 / len(queries)}
    return out


def margin_chosen(library, modality: str) -> float | None:
    """The margin over the best different substance the library identifies at
    (:attr:`forensic.verdict.Calibration.margin_threshold`), None when it is uncalibrated."""
    block = library.blocks.get(modality)
    if block is None or not block.calibration:
        return None
    return Calibration.from_dict(block.calibration).margin_threshold


def engine_accuracy(modality, dev, confusers, queries, conditions, seed=0) -> dict:
    """Top-1/top-5 of the engine (``forensic.Library`` + ``forensic.identify``)."""
    lib = dev + confusers
    spectra = [r.spectrum() for r in lib]
    t0 = time.perf_counter()
    runner = engine.LosoRunner(spectra, [r.sample for r in lib], modality)
    build_s = time.perf_counter() - t0
    out: dict = {
        "library_build_s": build_s,
        "library_size": len(runner.samples),
        "skipped_while_building": len(runner.skipped),
        "calibration": CALIBRATION,
        "margin_min": margin_chosen(runner.library, modality),
    }
    for cond in conditions:
        rng = np.random.default_rng(seed)
        top1 = top5 = identified_right = 0
        verdicts: dict[str, int] = {}
        t0 = time.perf_counter()
        for k, qi in enumerate(queries):
            r = dev[qi]
            x, y = perturb.apply(cond, r.wavenumber, r.intensity, rng, modality, k)
            query = (
                r.spectrum(y)
                if x is r.wavenumber
                else datasets.as_spectrum(x, y, r.modality, {"name": r.name})
            )
            result = runner.identify(query, exclude_sample=r.sample, top=5)
            ranked = [substance_key(h["name"]) for h in result["hits"]]
            truth = substance_key(r.name)
            right = bool(ranked) and ranked[0] == truth
            top1 += right
            top5 += truth in ranked[:5]
            verdicts[result["verdict"]] = verdicts.get(result["verdict"], 0) + 1
            identified_right += right and result["verdict"] == "identified"
        out[cond] = {
            "top1": top1 / len(queries),
            "top5": top5 / len(queries),
            "verdicts": verdicts,
            "identified_right": identified_right,
            "seconds_per_query": (time.perf_counter() - t0) / len(queries),
        }
    return out


def run(quick: bool, report) -> dict:
    results: dict = {
        "protocol": "leave one sample out, shared/data/README.md; plain cosine as described there"
    }
    conditions = perturb.CONDITIONS
    for modality in ("raman", "ir"):
        if not (datasets.SHARED_DATA / "rruff" / f"{modality}-dev").is_dir():
            results[modality] = {"skipped": "shared data absent"}
            continue
        dev, confusers, queries = load(modality)
        step = {"raman": 6, "ir": 3}[modality] if quick else 1
        queries = queries[::step]  # --quick: every 6th (Raman) / 3rd (IR) dev sample
        entry: dict = {
            "queries": len(queries),
            "library_files": len(dev) + len(confusers) - 1,
            "subset": f"every {step}{'rd' if step == 3 else 'th'} dev sample"
            if step > 1
            else "all",
        }
        t0 = time.perf_counter()
        entry["plain_cosine"] = plain_cosine(modality, dev, confusers, queries, conditions)
        entry["plain_cosine_seconds"] = time.perf_counter() - t0
        if engine.available():
            try:
                entry["engine"] = engine_accuracy(modality, dev, confusers, queries, conditions)
            except Exception as exc:  # the report says what failed instead of hiding it
                entry["engine"] = {"error": f"{type(exc).__name__}: {exc}"}
        else:
            entry["engine"] = {"skipped": engine.why_unavailable()}
        results[modality] = entry
        report.accuracy(modality, entry)
    return results
