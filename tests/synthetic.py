"""One seeded builder of synthetic spectra for every test (never presented as measured)."""

from __future__ import annotations

import numpy as np

from forensic.spectrum import Spectrum


def lorentzian_bands(x: np.ndarray, bands) -> np.ndarray:
    """Sum of Lorentzian bands ``(centre_cm1, height, fwhm_cm1)`` on the axis ``x``."""
    x = np.asarray(x, dtype=float)
    y = np.zeros_like(x)
    for centre, height, fwhm in bands:
        half = fwhm / 2.0
        y += height * half**2 / ((x - centre) ** 2 + half**2)
    return y


def make_spectrum(
    bands: list[tuple[float, float, float]] | None = None,
    *,
    start: float = 200.0,
    stop: float = 3200.0,
    step: float = 1.0,
    modality: str = "raman",
    y_unit: str | None = None,
    noise: float = 0.0,
    baseline: float = 0.0,
    seed: int = 0,
    name: str | None = None,
) -> Spectrum:
    """A seeded synthetic spectrum: Lorentzian bands ``(centre_cm1, height, fwhm_cm1)``.

    ``baseline`` adds a broad fluorescence-like hump of that height; ``noise`` is the standard
    deviation of added Gaussian noise. ``y_unit`` defaults to absorbance for IR (bands that
    rise, as a library compares them) and arbitrary for Raman.
    """
    if y_unit is None:
        y_unit = "absorbance" if modality == "ir" else "arbitrary"
    rng = np.random.default_rng(seed)
    x = np.arange(start, stop + step / 2, step)
    if bands is None:
        bands = [(620.0, 0.3, 8.0), (1001.0, 1.0, 6.0), (1602.0, 0.5, 10.0), (3054.0, 0.4, 14.0)]
    y = lorentzian_bands(x, bands)
    if baseline:
        y += baseline * np.exp(-(((x - (start + stop) / 2) / (stop - start)) ** 2) * 4)
    if noise:
        y += rng.normal(0.0, noise, x.size)
    metadata = {"name": name} if name else {}
    return Spectrum(x, y, modality=modality, y_unit=y_unit, metadata=metadata)


def co2_doublet(x: np.ndarray, height: float, fwhm: float = 12.0) -> np.ndarray:
    """A modelled atmospheric CO2 doublet to add to an IR spectrum: Gaussian P and R branches at
    2338 and 2361 cm-1 (the P branch 0.8 of the R), the R branch ``height`` high (negative: a
    background that held more CO2 than the air at the sample measurement)."""
    sigma = fwhm / 2.3548
    x = np.asarray(x, dtype=float)
    p_branch = np.exp(-0.5 * ((x - 2338.0) / sigma) ** 2)
    r_branch = np.exp(-0.5 * ((x - 2361.0) / sigma) ** 2)
    return height * (0.8 * p_branch + r_branch)
