"""Check the shipped IR references against measured ENFSI ATR-FTIR spectra (plain cosine).

The ENFSI spectra (``../shared/data/substances/enfsi-ir``) are a CHECK, never a source: nothing
here feeds back into the band tables. For each ENFSI spectrum of a substance the library holds
(:data:`ENFSI_TO_LIBRARY`, ENFSI record id -> library substance ids), every IR reference of the
library is ranked by cosine similarity and the query counts as identified when the top one is
that substance.

Preprocessing, the same for query and references, fixed before any score was seen and kept
deliberately plain: interpolate to 2 cm-1 over 600-3700 cm-1, subtract a rolling-minimum baseline
(200 cm-1 window, smoothed), keep 650-1800 and 2700-3600 cm-1, unit-normalise.

Usage (from the repository root)::

    python tools/enfsi_check.py [ENFSI_DIR] [--library spectral_library] [-v]
"""

from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.ndimage import minimum_filter1d, uniform_filter1d

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from a source tree that is not installed
    sys.path.insert(0, str(ROOT))

from forensic.io import read_spectrum  # noqa: E402

DEFAULT_ENFSI = ROOT.parent / "shared" / "data" / "substances" / "enfsi-ir"

ENFSI_TO_LIBRARY = {
    "cocaine": ("cocaine-hcl", "cocaine-base"),
    "heroin": ("heroin-base",),
    "morphine": ("morphine",),
    "codeine": ("codeine",),
    "methamphetamine": ("methamphetamine-hcl",),
    "amphetamine": ("amphetamine-sulfate",),
    "mdma": ("mdma-hcl",),
    "mda": ("mda-hcl",),
    "mephedrone": ("mephedrone-hcl",),
    "alpha_pvp": ("alpha-pvp-hcl",),
    "ketamine": ("ketamine-hcl",),
    "fentanyl": ("fentanyl",),
    "xylazine": ("xylazine",),
    "diazepam": ("diazepam",),
    "alprazolam": ("alprazolam",),
    "caffeine": ("caffeine",),
    "paracetamol_4_acetaminophenol": ("paracetamol",),
    "lidocaine": ("lidocaine-hcl",),
    "procaine": ("procaine-hcl",),
    "benzocaine": ("benzocaine",),
    "levamisol": ("levamisole-hcl",),
    "phenacetin": ("phenacetin",),
    "diltiazem": ("diltiazem-hcl",),
    "hydroxyzine_2hcl": ("hydroxyzine-2hcl",),
    "saccharose": ("sucrose",),
    "cannabidiol": ("cannabidiol",),
    "lsd": ("lsd",),
    "methadone": ("methadone-hcl",),
    "methylone": ("methylone-hcl",),
    "diphenhydramine": ("diphenhydramine-hcl",),
    "ibuprofen": ("ibuprofen",),
    "pcp": ("pcp-hcl",),
}
"""ENFSI record id -> library substance ids (band-table ids) that count as the same substance."""

STEP_CM1 = 2.0
BASELINE_WINDOW_CM1 = 200.0
GRID = np.concatenate([np.arange(650.0, 1801.0, STEP_CM1), np.arange(2700.0, 3601.0, STEP_CM1)])


@dataclass(frozen=True)
class CheckResult:
    """One ENFSI query: its record id, the top library hit and where the right substance ranked."""

    enfsi_id: str
    top_id: str
    top_score: float
    right_rank: int
    right_score: float

    @property
    def identified(self) -> bool:
        return self.right_rank == 1


def preprocess(wavenumber: np.ndarray, intensity: np.ndarray) -> np.ndarray:
    """Baseline-removed, unit-normalised intensities on :data:`GRID`, shape (len(GRID),)."""
    order = np.argsort(wavenumber)
    x = np.asarray(wavenumber, dtype=float)[order]
    y = np.asarray(intensity, dtype=float)[order]
    dense = np.arange(max(x[0], 600.0), min(x[-1], 3700.0) + STEP_CM1 / 2, STEP_CM1)
    yd = np.interp(dense, x, y)
    window = int(BASELINE_WINDOW_CM1 / STEP_CM1)
    baseline = uniform_filter1d(minimum_filter1d(yd, window, mode="nearest"), window)
    out = np.interp(GRID, dense, np.clip(yd - baseline, 0.0, None), left=0.0, right=0.0)
    norm = np.linalg.norm(out)
    return out / norm if norm > 0 else out


def load_enfsi(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Wavenumber and absorbance of one ENFSI csv (a ``#`` comment line, then a header)."""
    rows = [
        line.split(",")[:2]
        for line in path.read_text(encoding="utf-8").splitlines()
        if line[:1].isdigit()
    ]
    data = np.asarray(rows, dtype=float)
    return data[:, 0], data[:, 1]


def library_ir(library: Path) -> dict[str, np.ndarray]:
    """Substance id -> preprocessed IR reference, for every IR row of ``manifest.csv``."""
    refs = {}
    with (library / "manifest.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["modality"] != "ir":
                continue
            spectrum = read_spectrum(library / row["file"])
            substance = str(spectrum.metadata.get("substance_id") or row["id"])
            refs[substance] = preprocess(spectrum.wavenumber, spectrum.intensity)
    return refs


def run(enfsi: Path, library: Path) -> list[CheckResult]:
    """Rank the library's IR references for every ENFSI spectrum of a substance it holds."""
    refs = library_ir(library)
    ids = list(refs)
    matrix = np.stack([refs[i] for i in ids])
    results = []
    for enfsi_id, targets in ENFSI_TO_LIBRARY.items():
        path = enfsi / f"{enfsi_id}.csv"
        held = [t for t in targets if t in refs]
        if not path.is_file() or not held:
            continue
        scores = matrix @ preprocess(*load_enfsi(path))
        order = np.argsort(-scores, kind="stable")
        ranked = [ids[k] for k in order]
        right_rank = min(ranked.index(t) for t in held) + 1
        results.append(
            CheckResult(
                enfsi_id=enfsi_id,
                top_id=ranked[0],
                top_score=float(scores[order[0]]),
                right_rank=right_rank,
                right_score=float(max(scores[ids.index(t)] for t in held)),
            )
        )
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("enfsi", nargs="?", type=Path, default=DEFAULT_ENFSI)
    parser.add_argument("--library", type=Path, default=ROOT / "spectral_library")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    results = run(args.enfsi, args.library) if args.enfsi.is_dir() else []
    if not results:  # nothing checked is no pass
        print(
            f"no ENFSI spectrum of a substance the library holds in {args.enfsi}: the measured "
            "spectra are not part of the repository; give the folder that holds them",
            file=sys.stderr,
        )
        return 2
    if args.verbose:
        for r in results:
            print(
                f"{'ok ' if r.identified else 'BAD'} {r.enfsi_id:30s} top={r.top_id:22s} "
                f"{r.top_score:.3f}  right: rank {r.right_rank}, {r.right_score:.3f}"
            )
    right = sum(r.identified for r in results)
    print(f"ENFSI measured ATR-FTIR identified by plain cosine: {right}/{len(results)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
