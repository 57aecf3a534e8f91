"""Realistic synthetic detector read-outs from a reference spectrum (simulation only).

The Raman model, per pixel and per scan, in detector counts:

``counts = offset + dark_rate(T) * t + hot pixels + gain * P * t * (bands(shift) + fluorescence)``
plus shot noise (Poisson on the photo-electrons), read noise (Gaussian), cosmic-ray spikes
(rare, single pixels, more likely the longer the exposure), clipped at the 16-bit ceiling.
``P`` is the laser power (mW), ``t`` the integration time (ms). The reference is shifted by a
small axis offset, as a real unit's calibration drifts. With the laser off only the dark terms
remain. Averaging ``n`` scans divides the noise by about √n.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forensic.spectrum import Spectrum, transmittance_to_absorbance, wavelength_to_raman_shift

__all__ = ["DetectorModel", "RamanSynthesizer", "simulate_ftir"]

FULL_SCALE = 65535


@dataclass(frozen=True)
class DetectorModel:
    """Parameters of the simulated detector and laser (counts, ms, mW, °C).

    Attributes
    ----------
    pixels : int
        Detector pixels.
    wavelength_coefficients : tuple of 4 float
        Wavelength calibration λ(p) = c₀ + c₁p + c₂p² + c₃p³ (nm).
    laser_wavelength_nm : float
        Excitation wavelength (nm).
    laser_power_mw : float
        Laser power (mW).
    offset_counts : float
        Electronic offset of every pixel (counts).
    dark_rate_per_ms : float
        Dark current at 25 °C (counts per ms); doubles every 6 °C.
    temperature_c : float
        Detector temperature (°C).
    read_noise_counts : float
        Read noise (counts, standard deviation).
    counts_per_electron : float
        Gain (counts per electron), for the shot noise.
    band_rate_per_mw_ms : float
        Counts of the strongest Raman band per mW of laser per ms of integration.
    fluorescence_fraction : float
        Height of the broad fluorescence background, as a fraction of the strongest band.
    hot_pixels : int
        Pixels with a high dark current.
    cosmic_rate_per_s : float
        Cosmic-ray spikes a second of integration, on average, in each scan.
    axis_shift_cm1 : float
        Error of the instrument's Raman shift axis (cm⁻¹): every band appears this much above
        its place in the reference.
    """

    pixels: int = 2048
    wavelength_coefficients: tuple[float, float, float, float] = (790.0, 0.1420, -6.0e-6, 0.0)
    laser_wavelength_nm: float = 785.0
    laser_power_mw: float = 250.0
    offset_counts: float = 900.0
    dark_rate_per_ms: float = 0.6  # at 25 °C; doubles every 6 °C
    temperature_c: float = 28.0
    read_noise_counts: float = 6.0
    counts_per_electron: float = 0.5
    band_rate_per_mw_ms: float = 1.6  # strongest band, counts per mW per ms
    fluorescence_fraction: float = 0.35
    hot_pixels: int = 5
    cosmic_rate_per_s: float = 0.5
    axis_shift_cm1: float = 2.5


class RamanSynthesizer:
    """Synthesises Raman detector scans from a reference spectrum.

    Parameters
    ----------
    reference : Spectrum
        The substance (Raman; any y unit). Its shape is normalised to a peak of 1.
    detector : DetectorModel, optional
    seed : int, optional
        Seed for the noise generator (reproducible runs).
    """

    def __init__(
        self, reference: Spectrum, detector: DetectorModel | None = None, *, seed: int | None = None
    ):
        self.detector = detector or DetectorModel()
        d = self.detector
        self.rng = np.random.default_rng(seed)
        pixels = np.arange(d.pixels, dtype=np.float64)
        self.wavelengths_nm = np.polynomial.polynomial.polyval(
            pixels, np.asarray(d.wavelength_coefficients)
        )
        shift = wavelength_to_raman_shift(self.wavelengths_nm, d.laser_wavelength_nm)
        ref_x = np.asarray(reference.wavenumber)
        ref_y = np.asarray(reference.intensity, dtype=np.float64)
        # Remove the reference's own baseline (its lower envelope) so bands carry the signal.
        ref_y = ref_y - np.percentile(ref_y, 5)
        ref_y = np.clip(ref_y, 0.0, None)
        peak = ref_y.max() if ref_y.size and ref_y.max() > 0 else 1.0
        bands = np.interp(shift - d.axis_shift_cm1, ref_x, ref_y / peak, left=0.0, right=0.0)
        centre = shift.mean()
        width = max(np.ptp(shift), 1.0)
        fluorescence = d.fluorescence_fraction * np.exp(
            -(((shift - centre * 0.8) / (0.9 * width)) ** 2)
        )
        self.signal_shape = bands + fluorescence  # per mW per ms, relative
        hot = self.rng.choice(d.pixels, size=min(d.hot_pixels, d.pixels), replace=False)
        self.hot_pixel_rate = np.zeros(d.pixels)
        self.hot_pixel_rate[hot] = self.rng.uniform(20.0, 80.0, hot.size) * d.dark_rate_per_ms
        self.laser_power_mw = d.laser_power_mw
        self.temperature_c = d.temperature_c

    def dark_rate(self) -> np.ndarray:
        """Dark counts per ms per pixel at the current temperature."""
        d = self.detector
        return d.dark_rate_per_ms * 2.0 ** ((self.temperature_c - 25.0) / 6.0) + self.hot_pixel_rate

    def scans(self, integration_time_ms: float, count: int, *, laser_on: bool) -> np.ndarray:
        """``count`` scans, each clipped at 65535: int64 array of shape (count, pixels)."""
        d = self.detector
        t = float(integration_time_ms)
        mean = np.broadcast_to(self.dark_rate() * t, (d.pixels,)).copy()
        if laser_on:
            mean += d.band_rate_per_mw_ms * self.laser_power_mw * t * self.signal_shape
        electrons = mean / d.counts_per_electron
        shot = (
            self.rng.poisson(np.broadcast_to(electrons, (count, d.pixels))) * d.counts_per_electron
        )
        values = (
            d.offset_counts + shot + self.rng.normal(0.0, d.read_noise_counts, (count, d.pixels))
        )
        spikes = self.rng.poisson(d.cosmic_rate_per_s * t / 1000.0, count)
        for row, n in enumerate(spikes):
            where = self.rng.integers(0, d.pixels, n)
            values[row, where] += self.rng.uniform(2000.0, 20000.0, n)
        return np.clip(np.rint(values), 0, FULL_SCALE).astype(np.int64)


def simulate_ftir(
    reference: Spectrum,
    *,
    seed: int | None = None,
    resolution_cm1: float = 4.0,
    noise_absorbance: float = 0.002,
) -> Spectrum:
    """A simulated FTIR absorbance spectrum (4000-650 cm⁻¹) from an IR reference.

    The reference is put on the instrument's grid (transmittance converted to absorbance),
    scaled to a strongest band of about 0.8 AU, given a small sloping baseline and Gaussian
    noise. Metadata ``provenance = "simulated"``.

    Parameters
    ----------
    reference : Spectrum
        An IR spectrum, absorbance or transmittance.
    seed : int, optional
        Noise seed; None for fresh noise each time.
    resolution_cm1 : float
        Point spacing of the simulated spectrum (cm⁻¹).
    noise_absorbance : float
        Standard deviation of the noise (absorbance units).

    Returns
    -------
    Spectrum
        The simulated spectrum: ``modality="ir"``, ``y_unit="absorbance"``, named as the
        reference.
    """
    rng = np.random.default_rng(seed)
    ref = reference
    if ref.y_unit in ("transmittance", "percent_transmittance"):
        ref = transmittance_to_absorbance(ref)
    grid = np.arange(650.0, 4000.0 + resolution_cm1 / 2, resolution_cm1)
    y = np.interp(grid, ref.wavenumber, ref.intensity, left=0.0, right=0.0)
    y = y - np.percentile(y, 5)
    top = y.max() if y.max() > 0 else 1.0
    y = 0.8 * y / top + 0.02 + 0.01 * (grid - grid[0]) / np.ptp(grid)
    y = y + rng.normal(0.0, noise_absorbance, grid.size)
    return Spectrum(
        grid,
        y,
        modality="ir",
        y_unit="absorbance",
        metadata={
            "name": reference.metadata.get("name"),
            "provenance": "simulated",
            "instrument_model": "Simulated FTIR (forensic simulator)",
            "resolution_cm1": resolution_cm1,
        },
    )
