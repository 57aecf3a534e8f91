"""Calibration figures: the target-decoy q-values the engine computes for real libraries.

For each real library (the 104 ENFSI IR spectra; RRUFF IR and Raman dev + confusers), the
engine's ``Library.from_spectra`` calibrates its own search scores with
:func:`forensic.verdict.calibrate_library` (perturbed references as queries, half of them with
their substance removed; decoys; pyteomics q-values). Printed from
:meth:`forensic.verdict.Calibration.summary`: the score thresholds at q = 0.01 and 0.05, the
competition's size, the decoy efficiency, and the false-discovery proportion actually observed
among accepted hits, in-sample and on a held-out half (the check that the q-values hold), with
the decoy-only estimate beside it.
"""

from __future__ import annotations

import time

from benchmarks import datasets, engine
from forensic.verdict import Calibration


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


def run(quick: bool, report) -> dict:
    if not datasets.available():
        return {"skipped": "shared data absent"}
    if not engine.available():
        return {"skipped": engine.why_unavailable()}
    out: dict = {}
    for name, loader in _libraries(quick).items():
        records = loader()
        t0 = time.perf_counter()
        library = engine.build([r.spectrum() for r in records], calibrate=False)
        t1 = time.perf_counter()
        library.calibrate()
        modality = records[0].modality
        block = library.block(modality)
        if block.calibration is None:
            out[name] = {"skipped": "library left uncalibrated"}
            continue
        cal = Calibration.from_dict(block.calibration)
        s = cal.summary()
        s["decoy_efficiency"] = cal.info.get("decoy_efficiency")
        s["build_s"] = t1 - t0
        s["calibrate_s"] = time.perf_counter() - t1
        s["library_size"] = len(block)
        out[name] = s
    report.calibration(out)
    return out
