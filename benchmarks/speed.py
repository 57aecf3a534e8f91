"""Speed on synthetic libraries of 1k, 10k and 100k references (labelled synthetic).

For each size: library build time (``forensic.Library.from_spectra``), save and load time and
the memory a fresh process needs to load it, the time of one query alone and per query in a
batch of 100 (raw spectrum in, preprocessing included), against

* (a) a pair-by-pair Python loop (:func:`forensic.search.pair_score` per reference), timed on a
  subset of references and scaled linearly to the whole library (said so in the output);
* (b) the memory-bandwidth bound: the time NumPy takes to stream the same library matrix once,
  a plain float32 matrix-vector product ``matrix @ vector`` (best of several runs).
"""

from __future__ import annotations

import gc
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks import engine, synthetic
from forensic.identification import (
    RERANK_CANDIDATES,
    comparison_row,
    quick_search,
    quick_search_batch,
)
from forensic.search import pair_score

PAIR_SUBSET = 2000


def rss_peak_mb() -> float:
    """Peak resident memory of this process so far, MB (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def best_time(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def median_time(fn, repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def stream_bound(matrix: np.ndarray) -> float:
    """Seconds to stream ``matrix`` once: a float32 matrix-vector product, best of 5."""
    v = np.ones(matrix.shape[1], dtype=matrix.dtype)
    matrix @ v  # warm the caches / page in a memory map
    return best_time(lambda: matrix @ v, repeat=20)


def pair_loop_per_query(matrix: np.ndarray, valid: np.ndarray, query: np.ndarray, qvalid) -> float:
    """Seconds for a pair-by-pair Python loop over the whole library, from a timed subset."""
    n = min(PAIR_SUBSET, matrix.shape[0], valid.shape[0])
    t0 = time.perf_counter()
    for j in range(n):
        pair_score(query, qvalid, matrix[j], valid[j])
    return (time.perf_counter() - t0) / n * matrix.shape[0]


_LOAD_PROBE = """
import json, sys, time
import numpy as np

def status_mb(key):
    # VmRSS / VmHWM of this process only (ru_maxrss is inherited across fork + exec on Linux)
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")

import forensic
from forensic.library import Library
after_import = status_mb("VmRSS")
t0 = time.perf_counter()
lib = Library.load(sys.argv[1])
load_s = time.perf_counter() - t0
after_load = status_mb("VmRSS")
block = lib.block(lib.modalities[0])
t0 = time.perf_counter()
block.matrix @ np.ones(block.matrix.shape[1], dtype=block.matrix.dtype)  # pages the matrix in
first_pass_s = time.perf_counter() - t0
print(json.dumps({"load_s": load_s, "rss_after_import_mb": after_import,
                  "rss_after_load_mb": after_load,
                  "rss_load_delta_mb": after_load - after_import,
                  "first_pass_s": first_pass_s,
                  "rss_after_first_pass_mb": status_mb("VmRSS"),
                  "peak_rss_mb": status_mb("VmHWM")}))
"""


def load_probe(path: Path) -> dict:
    """Load the saved library in a fresh process and report its time and memory."""
    out = subprocess.run(
        [sys.executable, "-c", _LOAD_PROBE, str(path)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr else "failed"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def search_single(spectrum, library, k=5):
    """Preprocess one query and search it, no alignment or verdict:
    :func:`forensic.identification.quick_search`."""
    return quick_search(spectrum, library, top=k)


def search_batch(spectra, library, k=5):
    """Preprocess a batch and search it with one pass over the matrix:
    :func:`forensic.identification.quick_search_batch`."""
    return quick_search_batch(spectra, library, top=k)


def run(quick: bool, report) -> dict:
    sizes = [1_000, 10_000] if quick else [1_000, 10_000, 100_000]
    out: dict = {
        "library": "synthetic (random Lorentzian bands, simulated; not measured spectra)",
        "pair_loop": f"forensic.search.pair_score per reference, timed on {PAIR_SUBSET} and "
        "scaled linearly to the library size",
        "bound": "float32 matrix @ vector over the same library matrix, best of 20",
        "search": "forensic.identification.quick_search / quick_search_batch: preprocessing + "
        "score_query/score_batch + top_hits (no alignment/verdict)",
        "identify": "forensic.identify(..., mixtures=False): search + alignment of the top "
        f"{RERANK_CANDIDATES} + verdict",
        "sizes": {},
    }
    if not engine.available():
        out["skipped"] = engine.why_unavailable()
        report.speed(out)
        return out
    queries = list(synthetic.spectra(100, seed=999))
    for n in sizes:
        gc.collect()
        row: dict = {}
        t0 = time.perf_counter()
        library = engine.build(synthetic.spectra(n, seed=n), calibrate=False)
        row["build_s"] = time.perf_counter() - t0
        if not quick:  # the q-value calibration, timed apart from the build
            t0 = time.perf_counter()
            library.calibrate()
            row["calibrate_s"] = time.perf_counter() - t0
        row["rss_peak_mb_after_build"] = rss_peak_mb()
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "speed.flib"
            t0 = time.perf_counter()
            library.save(path)
            row["save_s"] = time.perf_counter() - t0
            row["file_mb"] = path.stat().st_size / 2**20
            row["load"] = load_probe(path)
        block = library.block("raman")
        matrix = block.matrix
        row["matrix_shape"] = list(matrix.shape)
        row["matrix_mb"] = matrix.nbytes / 2**20
        engine.identify(queries[0], library, top=5, mixtures=False)  # warm-up
        row["identify_single_s"] = median_time(
            lambda lib=library: engine.identify(queries[1], lib, top=5, mixtures=False)
        )
        row["search_single_s"] = median_time(lambda lib=library: search_single(queries[2], lib))
        t0 = time.perf_counter()
        search_batch(queries, library)
        row["search_batch_per_query_s"] = (time.perf_counter() - t0) / len(queries)
        row["bound_s"] = stream_bound(matrix)
        valid = block.valid if n <= 10_000 else block.valid[:PAIR_SUBSET]
        probe, _, _ = comparison_row(queries[3], library)  # the query as the search scores it
        qvalid = probe != 0
        row["pair_loop_s"] = pair_loop_per_query(matrix, valid, probe, qvalid)
        row["search_single_vs_bound"] = row["search_single_s"] / row["bound_s"]
        row["search_batch_vs_bound"] = row["search_batch_per_query_s"] / row["bound_s"]
        row["identify_single_vs_bound"] = row["identify_single_s"] / row["bound_s"]
        row["pair_loop_vs_search_single"] = row["pair_loop_s"] / row["search_single_s"]
        row["rss_peak_mb"] = rss_peak_mb()
        out["sizes"][str(n)] = row
        report.speed_row(n, row)
        del library, block, matrix, valid
    report.speed(out)
    return out
