"""Synthetic reference spectra for the speed benchmark (labelled "simulated", never measured).

Random Lorentzian bands (5-30 per spectrum, 4-30 cm-1 wide) on a 2 cm-1 Raman axis over a
random sub-range of 100-3300 cm-1, with a little noise; generated in vectorised chunks.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from forensic.spectrum import Spectrum

AXIS = np.arange(100.0, 3300.0, 2.0)


def arrays(n: int, *, seed: int = 0, chunk: int = 2000) -> Iterator[np.ndarray]:
    """Chunks of synthetic intensities on :data:`AXIS`, shape (chunk, len(AXIS))."""
    rng = np.random.default_rng(seed)
    x = AXIS.astype(np.float32)
    done = 0
    while done < n:
        m = min(chunk, n - done)
        y = np.zeros((m, x.size), np.float32)
        n_bands = 30
        centre = rng.uniform(150, 3250, (m, n_bands)).astype(np.float32)
        half = rng.uniform(2, 15, (m, n_bands)).astype(np.float32)
        height = rng.uniform(0.05, 1, (m, n_bands)).astype(np.float32)
        height *= rng.random((m, n_bands)) < rng.uniform(0.15, 1.0, (m, 1))  # 5-30 bands
        for b in range(n_bands):  # 30 vectorised passes over the chunk
            y += (
                height[:, b : b + 1]
                * half[:, b : b + 1] ** 2
                / ((x[None, :] - centre[:, b : b + 1]) ** 2 + half[:, b : b + 1] ** 2)
            )
        y += rng.normal(0, 0.005, y.shape).astype(np.float32)
        yield y
        done += m


def spectra(n: int, *, seed: int = 0) -> Iterator[Spectrum]:
    """``n`` synthetic Raman spectra, each over its own random sub-range of :data:`AXIS`."""
    rng = np.random.default_rng(seed + 1)
    k = 0
    for block in arrays(n, seed=seed):
        for row in block:
            lo = int(rng.integers(0, 200))
            hi = AXIS.size - int(rng.integers(0, 200))
            yield Spectrum(
                AXIS[lo:hi],
                row[lo:hi].astype(float),
                modality="raman",
                y_unit="arbitrary",
                metadata={"name": f"synthetic-{k:06d}", "provenance": "simulated"},
            )
            k += 1
