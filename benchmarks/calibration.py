"""Calibration figures: the target-decoy q-values the engine computes, and whether they hold.

For each library (the shipped one, always; with the shared data, the 104 ENFSI IR spectra and
RRUFF IR and Raman dev + confusers), the engine calibrates its own search scores with
:func:`forensic.verdict.calibrate_library` (perturbed references as queries, a quarter of them
with their substance removed; decoys; pyteomics q-values). Printed from
:meth:`forensic.verdict.Calibration.summary`: the score thresholds at q = 0.01 and 0.05, the
competition's size, the decoy efficiency, and the false-discovery proportion actually observed
among accepted hits, in-sample and on a held-out half, with the decoy-only estimate beside it.

Then the held-out check of :mod:`benchmarks.heldout`, per stratum of the share of the
reference compared and per threshold (q <= 0.01, 0.05, 0.1): the hits accepted, the share of
them wrong and its 95 % upper bound, flagged where it exceeds the threshold beyond sampling
error; on fresh draws of calibration-like queries from other seeds (every library) and on
measured spectra identified against libraries built without them (the shared data's), with
each fold library's own prediction beside them: its references left out one at a time
(:func:`benchmarks.heldout.left_out_estimate`).
"""

from __future__ import annotations

import time

from benchmarks import datasets, engine, heldout
from forensic.verdict import Calibration

REAL = "real spectra held out"
"""The key of the section's real-spectra part when the shared data is absent (it says why)."""


def _libraries(quick: bool) -> dict:
    libs = {
        "enfsi-ir": datasets.enfsi,
        "rruff-ir": lambda: datasets.rruff("ir-dev", "ir") + datasets.rruff("ir-confusers", "ir"),
    }
    if not quick:
        libs["rruff-raman"] = lambda: (
            datasets.rruff("raman-dev", "raman") + datasets.rruff("raman-confusers", "raman")
        )
    return libs


def _real_queries(name: str, records: list) -> list[heldout.RealQuery]:
    if name == "enfsi-ir":
        return heldout.enfsi_queries(records)
    modality = name.removeprefix("rruff-")
    dev = [r for r in records if f"/{modality}-dev/" in r.path.as_posix()]
    confusers = [r for r in records if f"/{modality}-confusers/" in r.path.as_posix()]
    return heldout.rruff_queries(dev, confusers)


def _figures(library, modality: str, seeds, *, build_s: float, calibrate_s: float) -> dict:
    block = library.block(modality)
    if block.calibration is None:
        return {"skipped": "library left uncalibrated"}
    cal = Calibration.from_dict(block.calibration)
    s = cal.summary()
    s["decoy_efficiency"] = cal.info.get("decoy_efficiency")
    s["build_s"] = build_s
    s["calibrate_s"] = calibrate_s
    s["library_size"] = len(block)
    t0 = time.perf_counter()
    n = heldout.QUERIES_PER_SEED
    hits = [
        h for seed in seeds for h in heldout.other_seed_hits(library, modality, seed, n_queries=n)
    ]
    s["heldout_other_seeds"] = {
        "seeds": list(seeds),
        "queries": f"{n} full-range and {n} "
        "range-cut perturbed references per seed, a quarter with their substance out of the "
        "targets",
        "n_hits": len(hits),
        "strata": heldout.tally(hits),
        "seconds": time.perf_counter() - t0,
    }
    return s


def run(quick: bool, report) -> dict:
    if not engine.available():
        return {"skipped": engine.why_unavailable()}
    from forensic.library import Library  # noqa: PLC0415  (after the engine check)
    from spectral_library import LIBRARY_DIR  # noqa: PLC0415

    seeds = heldout.OTHER_SEEDS[:1] if quick else heldout.OTHER_SEEDS
    out: dict = {
        "data": {
            "shipped": f"the shipped library ({LIBRARY_DIR}): modelled and measured references",
            "shared": str(datasets.SHARED_DATA) if datasets.available() else None,
        }
    }
    report.calibration_data(out["data"])
    t0 = time.perf_counter()
    shipped = Library.from_folder(LIBRARY_DIR, calibrate=False, workers=1)
    t1 = time.perf_counter()
    shipped.calibrate()
    calibrate_s = time.perf_counter() - t1
    for modality in shipped.modalities:
        name = f"shipped-{modality}"
        out[name] = _figures(shipped, modality, seeds, build_s=t1 - t0, calibrate_s=calibrate_s)
        report.calibration_library(name, out[name])
    if not datasets.available():
        out[REAL] = {"skipped": "shared data absent"}
    else:
        for name, loader in _libraries(quick).items():
            records = loader()
            t0 = time.perf_counter()
            library = engine.build([r.spectrum() for r in records], calibrate=False)
            t1 = time.perf_counter()
            library.calibrate()
            t2 = time.perf_counter()
            entry = _figures(
                library, records[0].modality, seeds, build_s=t1 - t0, calibrate_s=t2 - t1
            )
            if "skipped" not in entry:
                t0 = time.perf_counter()
                queries = _real_queries(name, records)
                queries = queries[::3] if quick else queries  # --quick: every third
                check = heldout.real_check(records, queries)
                rows = check["hits"]
                entry["heldout_real"] = {
                    "subset": "every third query" if quick else "all",
                    "queries": len(queries),
                    "absent": sum(q.absent for q in queries),
                    "cuts": list(heldout.CUTS),
                    "folds": heldout.FOLDS,
                    "strata": heldout.tally(rows),
                    "hits": rows,
                    "left_out": check["folds"],
                    "seconds": time.perf_counter() - t0,
                }
            out[name] = entry
            report.calibration_library(name, entry)
        real = [h for e in out.values() for h in e.get("heldout_real", {}).get("hits", [])]
        out["heldout_real_pooled"] = {"n_hits": len(real), "strata": heldout.tally(real)}
    out["heldout_flagged"] = flags(out)
    report.calibration_end(out)
    return out


def flags(out: dict) -> list[str]:
    """Where a held-out share wrong exceeds its threshold beyond sampling error, in words:
    ``rruff-raman, real spectra: 25-50 % at q <= 0.05``."""
    parts = {"heldout_other_seeds": "other seeds", "heldout_real": "real spectra"}
    found = []
    for name, entry in out.items():
        if not isinstance(entry, dict):
            continue
        if name == "heldout_real_pooled":
            found += [f"all real spectra: {w}" for w in heldout.flagged(entry["strata"])]
        for key, said in parts.items():
            table = entry.get(key, {}).get("strata", {})
            found += [f"{name}, {said}: {w}" for w in heldout.flagged(table)]
    return found
