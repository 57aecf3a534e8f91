"""Top-1 of the engine over seeded splits of the RRUFF dev spectra, and over every dev sample.

A split (:func:`split_queries`) takes, for each mineral of ``rruff/<modality>-dev``, one of its
samples drawn from the split's seed as the query (the file of it the protocol of
``shared/data/README.md`` queries: the 532 nm one where there is one); the library is every file
of every other dev sample plus the confusers. This is the protocol of
``../shared/checks/3-identify-dev`` drawn from several seeds (the check draws once, its own
way), so that a figure does not rest on one draw. "Every sample" is the leave-one-sample-out
protocol of :mod:`benchmarks.accuracy` (its "clean" engine row), measured here beside the
splits on the same library.

Samples are the RRUFF ID of each file's header, as in :mod:`benchmarks.datasets` (a sample
filed as ``R060175_a`` ... ``_d`` is one sample). The library of every file is built and
calibrated once (:class:`benchmarks.engine.LosoRunner`) and each query is identified against
its rows without the split's query samples: the ranking, and so top-1, does not read the
calibration, only the verdicts do, and they are not reported here.

``--quick`` measures the first two splits only (the accuracy section's ``--quick`` measures a
subset of every sample).
"""

from __future__ import annotations

import collections
import time
from collections.abc import Sequence

import numpy as np

from benchmarks import datasets, engine
from forensic.library import substance_key

SEEDS = (0, 1, 2, 3, 4, 5)
"""The splits' seeds (``--quick``: the first two)."""


def split_queries(records: Sequence[datasets.Record], seed: int) -> list[int]:
    """The queries of one split: one sample per mineral, drawn from ``seed``.

    Parameters
    ----------
    records : sequence of Record
        The dev spectra (several files per sample, several samples per mineral).
    seed : int
        The split's seed: the same seed gives the same queries.

    Returns
    -------
    list of int
        Indices into ``records``, one per mineral (minerals in order of their substance key):
        the 532 nm file of the drawn sample where there is one, else its first file. Every
        other file of that sample stays out of the library with it.
    """
    by_mineral: dict[str, dict[str, list[int]]] = collections.defaultdict(
        lambda: collections.defaultdict(list)
    )
    for i, r in enumerate(records):
        by_mineral[substance_key(r.name)][r.sample].append(i)
    rng = np.random.default_rng(seed)
    queries = []
    for mineral in sorted(by_mineral):
        samples = by_mineral[mineral]
        drawn = sorted(samples)[int(rng.integers(len(samples)))]
        files = samples[drawn]
        queries.append(([i for i in files if records[i].laser == "532"] or files)[0])
    return queries


def top1(runner, records: Sequence[datasets.Record], queries: Sequence[int], leave_out) -> float:
    """Share of ``queries`` whose best hit names the query's mineral, each identified against
    the runner's library (:class:`benchmarks.engine.LosoRunner`) without the rows of the
    samples ``leave_out[k]`` names for ``queries[k]``."""
    right = 0
    for qi, gone in zip(queries, leave_out, strict=True):
        r = records[qi]
        result = runner.identify(r.spectrum(), exclude_sample=gone, top=5)
        hits = result["hits"]
        right += bool(hits) and substance_key(hits[0]["name"]) == substance_key(r.name)
    return right / len(queries)


def run(quick: bool, report) -> dict:
    """Top-1 over the splits of :data:`SEEDS` and over every dev sample, per modality; a
    modality whose dev spectra are absent is skipped, saying so."""
    seeds = SEEDS[:2] if quick else SEEDS
    results: dict = {
        "protocol": (
            "one sample per mineral as the query (seeded), every other dev file plus the "
            "confusers as the library; every dev sample as the query in turn (leave one "
            "sample out); shared/data/README.md"
        ),
        "seeds": list(seeds),
    }
    if not engine.available():
        results["skipped"] = engine.why_unavailable()
        return results
    for modality in ("raman", "ir"):
        if not (datasets.SHARED_DATA / "rruff" / f"{modality}-dev").is_dir():
            results[modality] = {"skipped": "shared data absent"}
            continue
        dev = datasets.rruff(f"{modality}-dev", modality)
        confusers = datasets.rruff(f"{modality}-confusers", modality)
        lib = dev + confusers
        t0 = time.perf_counter()
        runner = engine.LosoRunner([r.spectrum() for r in lib], [r.sample for r in lib], modality)
        entry: dict = {
            "library_files": len(lib),
            "library_build_s": time.perf_counter() - t0,
            "skipped_while_building": len(runner.skipped),
        }
        splits = []
        for seed in seeds:
            queries = split_queries(dev, seed)
            gone = [dev[qi].sample for qi in queries]
            splits.append(
                {
                    "seed": seed,
                    "queries": len(queries),
                    "top1": top1(runner, dev, queries, [gone] * len(queries)),
                }
            )
        entry["splits"] = splits
        entry["splits_mean_top1"] = float(np.mean([s["top1"] for s in splits]))
        if not quick:
            queries = datasets.loso_queries(dev)
            entry["every_sample"] = {
                "queries": len(queries),
                "top1": top1(runner, dev, queries, [dev[qi].sample for qi in queries]),
            }
        entry["seconds"] = time.perf_counter() - t0
        results[modality] = entry
        report.splits(modality, entry)
    return results
