"""Perturbations of measured spectra for the robustness and drug benchmarks (seeded)."""

from __future__ import annotations

import numpy as np

NOMINAL_RESOLUTION_CM1 = 4.0
"""Assumed resolution of the RRUFF spectra; 'halved resolution' broadens it to twice this."""


def add_noise(x: np.ndarray, y: np.ndarray, rng: np.random.Generator, level: float = 0.02):
    """White noise with a standard deviation of ``level`` times the spectrum's range."""
    return y + rng.normal(0.0, level * float(np.ptp(y)), y.size)


def add_background(x: np.ndarray, y: np.ndarray, rng: np.random.Generator, modality: str):
    """A fluorescence background (Raman: a broad hump and slope of 1-3 times the strongest band)
    or a sloped, curved baseline (IR: up to 0.5 of the strongest band)."""
    span = float(np.ptp(y))
    u = (x - x[0]) / max(float(x[-1] - x[0]), 1.0)
    if modality == "raman":
        height = rng.uniform(1.0, 3.0) * span
        centre = rng.uniform(0.6, 1.2)
        return y + height * np.exp(-(((u - centre) / 0.6) ** 2)) + 0.3 * height * u
    slope = rng.uniform(0.2, 0.5) * span * rng.choice([-1.0, 1.0])
    return y + slope * u + 0.2 * abs(slope) * np.sin(np.pi * u)


def shift_axis(x: np.ndarray, y: np.ndarray, shift_cm1: float):
    """The same intensities read on an axis displaced by ``shift_cm1`` (a miscalibration)."""
    return x + shift_cm1, y


def halve_resolution(x: np.ndarray, y: np.ndarray, resolution_cm1: float = NOMINAL_RESOLUTION_CM1):
    """Broaden the bands from ``resolution_cm1`` to twice that: Gaussian convolution with
    FWHM ``sqrt((2 r)^2 - r^2)``, on the spectrum's own (possibly uneven) axis."""
    fwhm = np.sqrt((2 * resolution_cm1) ** 2 - resolution_cm1**2)
    step = float(np.median(np.diff(x)))
    grid = np.arange(x[0], x[-1] + step / 2, step)
    yg = np.interp(grid, x, y)
    sigma = fwhm / 2.3548 / step
    half = int(np.ceil(4 * sigma))
    k = np.exp(-0.5 * (np.arange(-half, half + 1) / sigma) ** 2)
    k /= k.sum()
    padded = np.pad(yg, half, mode="edge")
    smooth = np.convolve(padded, k, mode="valid")
    return x, np.interp(x, grid, smooth)


def sloped_baseline(x: np.ndarray, y: np.ndarray, rng: np.random.Generator, level: float = 0.1):
    """A linear baseline rising by up to ``level`` times the strongest band across the range."""
    u = (x - x[0]) / max(float(x[-1] - x[0]), 1.0)
    return y + rng.uniform(0.5, 1.0) * level * float(np.ptp(y)) * u * rng.choice([-1.0, 1.0])


CONDITIONS = ("clean", "noise", "background", "shift", "resolution")


def apply(condition: str, x, y, rng: np.random.Generator, modality: str, index: int):
    """One robustness condition; ``shift`` alternates +10 / -10 cm-1 with the query index."""
    if condition == "clean":
        return x, y
    if condition == "noise":
        return x, add_noise(x, y, rng)
    if condition == "background":
        return x, add_background(x, y, rng, modality)
    if condition == "shift":
        return shift_axis(x, y, 10.0 if index % 2 == 0 else -10.0)
    if condition == "resolution":
        return halve_resolution(x, y)
    raise ValueError(f"unknown condition {condition!r}; expected one of {CONDITIONS}")
