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


TRANSMITTANCE_SCALE_CASES = [
    # (lowest, highest value, the scale forensic.spectrum.transmittance_scale tells or None)
    (0.05, 1.0, "transmittance"),
    (-0.04, 1.19, "transmittance"),  # just inside the fraction's -0.05..1.2
    (-0.06, 0.9, None),  # just below it, and not percent either (a maximum of 2 or less)
    (0.5, 1.21, None),  # just above it
    (0.71, 1.6, None),  # the reviewer's file: too high for a fraction, too low for percent
    (0.5, 1.99, None),
    (0.5, 2.01, "percent_transmittance"),  # just above percent's least maximum
    (-4.9, 95.0, "percent_transmittance"),
    (5.0, 119.0, "percent_transmittance"),  # just inside percent's -5..120
    (5.0, 121.0, None),  # beyond both
    (-5.1, 90.0, None),
]
"""Boundary cases of the one fraction-or-percent rule, for the readers and the range check."""


def transmittance_values(low: float, high: float, size: int = 201) -> np.ndarray:
    """``size`` (odd, so that the dip reaches ``low`` exactly) transmittance-like values: a
    baseline at ``high`` with one band dipping to ``low`` (a reader taking the unit from the
    numbers sees dips)."""
    x = np.linspace(-1.0, 1.0, size)
    return high - (high - low) * np.exp(-((x / 0.1) ** 2))
