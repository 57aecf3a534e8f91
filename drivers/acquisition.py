"""The acquisition workflow: interlock, auto-exposure, sample and dark frames, metadata.

:func:`acquire` drives any :class:`~drivers.base.Spectrometer` through the same safe sequence:

1. the laser interlock is checked (when the unit can report it);
2. auto-exposure, when no integration time is given: single scans with the laser on until the
   strongest band (median-filtered, so hot pixels and cosmic spikes do not count) sits at
   60-80 % of full scale, within a bounded number of steps and integration range;
3. the sample frame (averaged), with the laser state read back before and after the scan;
4. saturation: bands at the ceiling are re-exposed at half the time (up to 3 times) or refused;
5. the dark frame with the laser off, at the same integration time and averaging (skipped,
   and said so in the metadata, when the instrument cannot switch its laser);
6. dark subtraction, the wavelength axis -> Raman shift with the excitation wavelength, the
   detector's non-linearity correction, and the metadata.

What could not be done as it should is said with the spectrum: what it means for the spectrum,
for the technician and the report, in ``metadata["acquisition_warnings"]`` (a list of str),
which identification lists among its result's warnings; what to do about it, for the
technician only, in ``metadata["acquisition_advice"]``, which it lists among its advice.

The laser is switched off whatever happens, and nothing partial is returned: any failure raises
an :class:`~forensic.errors.InstrumentError`, whose ``warning`` says when the laser had fired
and could not be switched off (the instrument stopped answering: it may still be on). A stop
(Ctrl-C, SIGTERM) is raised as an :class:`~forensic.errors.Interrupted` carrying the same
warning (its ``warning``), which whoever says what the stopped work recorded keeps. An
instrument busy with the exposure that was stopped (or late with its spectrum) hears nothing
before it ends: a serial driver lets the spectrum it owes come first, for a bounded time
(:class:`~drivers.base.SerialSpectrometer`), so the warning is given only when the laser-off
still went unanswered.
"""

from __future__ import annotations

import datetime as dt
import inspect
from typing import Any

import numpy as np
from scipy.ndimage import median_filter

from drivers.base import SettingRange, Spectrometer
from drivers.errors import (
    DetectorSaturated,
    InterlockOpen,
    LaserFault,
    NotSupported,
    SettingError,
)
from drivers.ocean_rs232 import nonlinearity_factor
from forensic.errors import DriverBug, ForensicError, Interrupted, spectrum_in_hand
from forensic.spectrum import Spectrum

__all__ = [
    "ACQUIRE_SETTINGS",
    "SATURATION_FRACTION",
    "acquire",
    "auto_expose",
    "saturated_pixels",
]

SATURATION_FRACTION = 0.98
"""A (median-filtered) pixel at or above this fraction of full scale counts as saturated."""

TARGET_FRACTION = (0.6, 0.8)
"""Auto-exposure window for the strongest band, as fractions of full scale."""


def _utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")


def _robust(counts: np.ndarray) -> np.ndarray:
    """Counts with single-pixel outliers (hot pixels, cosmic-ray spikes) removed."""
    return median_filter(np.asarray(counts, dtype=np.float64), size=5, mode="nearest")


def saturated_pixels(counts: np.ndarray, max_counts: int) -> int:
    """Number of pixels whose (median-filtered) counts reach :data:`SATURATION_FRACTION`.

    Parameters
    ----------
    counts : ndarray, shape (pixels,)
        The raw counts of one frame.
    max_counts : int
        Full-scale count of the instrument's A/D converter (65535 for 16 bits).

    Returns
    -------
    int
        Pixels at or above the saturation fraction of ``max_counts``; a hot pixel or a
        cosmic-ray spike alone does not count.
    """
    return int(np.count_nonzero(_robust(counts) >= SATURATION_FRACTION * max_counts))


class _Session:
    """Laser switching with interlock checks and read-back, shared by the workflow steps."""

    def __init__(self, spec: Spectrometer) -> None:
        self.spec = spec
        self.caps = spec.capabilities
        self.laser_verified = self.caps.laser and self.caps.laser_readback
        self.fired = False  # the laser was told to switch on during this session

    def switch_off(self) -> str | None:
        """Switch the laser off; None when that worked or it was never switched on, otherwise
        a warning that it may still be on (the instrument no longer answers)."""
        try:
            self.laser(False)
        except ForensicError as exc:  # what happened, in a few words: not the advice again
            return self.may_be_on(exc.problem.removeprefix(f"{self.spec.url}: "))
        except Exception as exc:  # a driver's bug leaves the laser as unknown as a dead line
            return self.may_be_on(str(exc) or type(exc).__name__)
        return None

    def may_be_on(self, why: str) -> str | None:
        """The warning that the laser may still be on, when it had fired."""
        if not self.fired:
            return None
        return (
            f"the laser could not be switched off ({why}), so it may still be on: switch "
            "the instrument off or close its laser key before opening the sample compartment"
        )

    def check_interlock(self) -> None:
        if self.caps.interlock and not self.spec.interlock_closed():
            raise InterlockOpen(f"{self.spec.url}: the laser interlock is open")

    def laser(self, on: bool) -> None:
        if not self.caps.laser:
            return
        if on:
            self.check_interlock()
            self.fired = True
        for _attempt in range(3):  # packets can be lost: set, read back, retry
            self.spec.set_laser(on)
            if not self.caps.laser_readback or self.spec.laser_enabled() == on:
                return
        if on:
            self.check_interlock()
        raise LaserFault(
            f"{self.spec.url}: the laser reads back {'off' if on else 'on'} after switching it "
            f"{'on' if on else 'off'} three times"
        )

    def scan(self, laser_on: bool) -> np.ndarray:
        self.laser(laser_on)
        counts = self.spec.read_scan()
        if self.caps.laser and self.caps.laser_readback and self.spec.laser_enabled() != laser_on:
            if laser_on:
                self.check_interlock()
            raise LaserFault(
                f"{self.spec.url}: the laser changed state during the scan "
                f"(expected {'on' if laser_on else 'off'}); the scan is discarded"
            )
        return counts


def auto_expose(
    spec: Spectrometer,
    session: _Session | None = None,
    *,
    start_ms: float = 100.0,
    max_integration_ms: float = 10000.0,
    target: tuple[float, float] = TARGET_FRACTION,
    max_steps: int = 8,
) -> tuple[float, list[dict[str, float]]]:
    """Choose the integration time (ms) putting the strongest band at ``target`` of full scale.

    Returns the time and the steps taken (``[{"integration_time_ms", "peak_fraction"}, ...]``).
    Bounded: at most ``max_steps`` scans, and within the model's range and
    ``max_integration_ms``; a weak sample ends at the upper bound. A sample still saturated
    at the model's shortest time raises :class:`~drivers.errors.DetectorSaturated` (only less
    light helps).

    Parameters
    ----------
    spec : Spectrometer
        The open spectrometer; its averaging is set to one scan.
    session : optional
        The laser session of :func:`acquire` (interlock checks, laser read-back); a new one
        when None. The scans are taken with the laser on, and it is left on.
    start_ms : float
        Integration time of the first scan (ms), brought within the model's range.
    max_integration_ms : float
        Longest integration time tried (ms); the model's own maximum bounds it too.
    target : tuple of (float, float)
        Lowest and highest fraction of full scale for the strongest band.
    max_steps : int
        Most scans taken.

    Returns
    -------
    float
        The integration time chosen (ms, to the model's resolution).
    list of dict
        One ``{"integration_time_ms": float, "peak_fraction": float}`` a scan taken, in order.
    """
    session = session or _Session(spec)
    limits = spec.model.integration_time_ms
    low = limits.minimum
    high = min(limits.maximum, max_integration_ms)
    full = float(spec.model.max_counts)
    goal = sum(target) / 2
    t = _settable_time_ms(limits, start_ms, high)
    steps: list[dict[str, float]] = []
    spec.set_averages(1)
    for _ in range(max_steps):
        spec.set_integration_time_ms(t)
        counts = session.scan(True)
        robust = _robust(counts)
        peak, floor = float(robust.max()), float(np.percentile(robust, 1))
        fraction = peak / full
        steps.append({"integration_time_ms": float(t), "peak_fraction": round(fraction, 4)})
        if target[0] <= fraction <= target[1]:
            break
        if fraction >= SATURATION_FRACTION:
            if t <= low:  # as short as the detector goes: only less light helps
                clipped = saturated_pixels(counts, spec.model.max_counts)
                raise _saturated(spec, clipped, [t], None, "reexpose")
            new = t * 0.25
        else:
            rate = max(peak - floor, 1.0) / t
            new = (goal * full - floor) / rate
            new = min(new, t * 20.0)
        new = _settable_time_ms(limits, new, high)
        if new == t:
            break  # at a bound: the best this sample allows
        t = new
    return float(t), steps


def _settable_time_ms(limits: SettingRange, t: float, high: float | None = None) -> float:
    """``t`` (ms) rounded to what the model can be set to, then kept within its range.

    An integer model (Ocean RS-232) takes whole milliseconds; any other is set in
    microseconds (OBP), so ``t`` keeps three decimals. Rounding comes before clipping: an OBP
    time rounded to whole milliseconds reached ``round(0.5) == 0``, below the 0.01 ms minimum,
    and a bright sample failed as a setting out of range instead of as saturated.

    Parameters
    ----------
    limits : SettingRange
        The model's ``integration_time_ms`` range.
    t : float
        The wanted integration time (ms).
    high : float, optional
        A lower upper bound than the model's (ms).

    Returns
    -------
    float
        The integration time (ms) to set.
    """
    rounded = round(t) if limits.integer else round(t, 3)
    top = limits.maximum if high is None else min(limits.maximum, high)
    return float(np.clip(rounded, limits.minimum, top))


def acquire(
    spec: Spectrometer,
    *,
    integration_time_ms: float | None = None,
    averages: int = 1,
    boxcar_width: int = 0,
    dark: bool = True,
    saturation: str = "reexpose",
    max_integration_ms: float = 10000.0,
    name: str | None = None,
) -> Spectrum:
    """Acquire one dark-subtracted Raman spectrum through the safe workflow (module docstring).

    Parameters
    ----------
    spec : Spectrometer
        An open instrument.
    integration_time_ms : float, optional
        Exposure per scan (ms); ``None`` runs auto-exposure.
    averages : int, default 1
        Scans averaged for the sample and for the dark frame.
    boxcar_width : int, default 0
        Boxcar smoothing half-width (pixels), applied by the instrument.
    dark : bool, default True
        Take and subtract a laser-off dark frame.
    saturation : {"reexpose", "refuse"}
        What to do when bands reach the ceiling.
    max_integration_ms : float, default 10000
        Upper bound for auto-exposure.
    name : str, optional
        Sample name for the metadata.

    Returns
    -------
    Spectrum
        Raman, ``y_unit="counts"``, with instrument, settings, laser and provenance metadata.

    Raises
    ------
    InterlockOpen, InstrumentTimeout, InstrumentDisconnected, ProtocolError, DetectorSaturated
        Nothing partial is ever returned.
    """
    if saturation not in ("reexpose", "refuse"):
        raise SettingError(f"saturation must be 'reexpose' or 'refuse', got {saturation!r}")
    if spec.laser_wavelength_nm is None:
        raise NotSupported(
            f"{spec.url}: the excitation wavelength is unknown",
            advice="give it in the instrument URL (laser_nm=785), then scan again",
        )
    session = _Session(spec)
    started = _utc_now()
    auto_steps: list[dict[str, float]] = []
    try:
        session.check_interlock()
        if boxcar_width or spec.capabilities.boxcar:  # asked of a model without: NotSupported
            spec.set_boxcar_width(boxcar_width)
        if integration_time_ms is None:
            t, auto_steps = auto_expose(spec, session, max_integration_ms=max_integration_ms)
        else:
            t = float(spec.model.integration_time_ms.check(integration_time_ms, spec.model.name))
        spec.set_averages(averages)
        temperature_before = spec.detector_temperature_c()
        reexposures = 0
        tried = [t]
        while True:
            spec.set_integration_time_ms(t)
            started = _utc_now()
            sample = session.scan(True)
            clipped = saturated_pixels(sample, spec.model.max_counts)
            if not clipped:
                break
            limits = spec.model.integration_time_ms
            if saturation == "refuse" or reexposures >= 3 or t <= limits.minimum:
                raise _saturated(spec, clipped, tried, integration_time_ms, saturation)
            reexposures += 1
            t = _settable_time_ms(limits, t / 2)
            tried.append(t)
        session.laser(False)
        # Without laser control a "dark" frame would still see the laser: never subtract it.
        dark_counts = session.scan(False) if dark and spec.capabilities.laser else None
        temperature = spec.detector_temperature_c()
        finished = _utc_now()
        # measured: a stop from here waits until the command receiving it holds the spectrum
        spectrum_in_hand()
    except BaseException as exc:
        # a cable pulled mid-scan, or an instrument that does not end its exposure in time (it
        # hears nothing before it is done), leaves a head's laser as it was: whoever reads
        # the error or the stop must know it may still be on
        try:
            warning = session.switch_off()
        except KeyboardInterrupt:  # stopped again while switching it off: left as it is
            warning = session.may_be_on("switching it off was stopped")
        if isinstance(exc, Exception) and not isinstance(exc, ForensicError):
            # a driver's bug: one line that names it (no traceback), with the warning if any
            raise DriverBug.of(spec.url, "acquiring", exc, warning) from exc
        if warning is None or not isinstance(exc, (ForensicError, KeyboardInterrupt)):
            raise
        if isinstance(exc, ForensicError):
            exc.warning = warning if exc.warning is None else f"{exc.warning}; {warning}"
            raise
        stop = exc if isinstance(exc, Interrupted) else Interrupted.having_recorded(exc, None)
        stop.warning = warning if stop.warning is None else f"{stop.warning}; {warning}"
        if stop is exc:
            raise
        raise stop from exc
    else:
        session.switch_off()

    wavelengths = spec.wavelengths_nm()
    laser_nm = float(spec.laser_wavelength_nm)
    info = spec.info
    simulated = bool(getattr(info, "simulated", False))
    metadata: dict[str, Any] = {
        "instrument_model": info.model,
        "instrument_serial": info.serial,
        "firmware_version": info.firmware,
        "instrument_url": spec.url,
        "integration_time_ms": float(t),
        "averages": int(averages),
        "boxcar_width": int(boxcar_width),
        "laser_wavelength_nm": laser_nm,
        "laser_power_mw": spec.laser_power_mw,
        "detector_temperature_c": temperature if temperature is not None else temperature_before,
        "acquired_at": started,
        "acquisition_finished_at": finished,
        "dark_subtracted": dark_counts is not None,
        "saturated": False,
        "auto_exposure": bool(auto_steps),
        "auto_exposure_steps": auto_steps,
        "reexposures": reexposures,
        "interlock_checked": spec.capabilities.interlock,
        "laser_state_verified": session.laser_verified,
        "provenance": "simulated" if simulated else "measured",
    }
    if dark and dark_counts is None:
        metadata["dark_note"] = (
            "no dark frame: the instrument cannot switch its laser; subtract a dark taken "
            "with the laser blocked"
        )
    if name:
        metadata["name"] = name
    if simulated:
        metadata["simulation_note"] = (
            "synthesised by the forensic instrument simulator from a reference spectrum; "
            "not a measurement"
        )
    spectrum = Spectrum.from_wavelength(
        wavelengths, sample, laser_wavelength_nm=laser_nm, y_unit="counts", metadata=metadata
    )
    if dark_counts is not None:
        dark_sorted = Spectrum.from_wavelength(
            wavelengths, dark_counts, laser_wavelength_nm=laser_nm, y_unit="counts"
        ).intensity
        spectrum = spectrum.with_intensity(
            spectrum.intensity - dark_sorted,
            "dark_subtraction",
            integration_time_ms=float(t),
            averages=int(averages),
            laser="off",
        )
    coefficients = list(getattr(spec, "nonlinearity_coefficients", []) or [])
    trivial = not coefficients or (coefficients[0] == 1.0 and not any(coefficients[1:]))
    if not trivial:
        raw_sorted = Spectrum.from_wavelength(
            wavelengths, sample, laser_wavelength_nm=laser_nm, y_unit="counts"
        ).intensity
        factor = nonlinearity_factor(raw_sorted, coefficients)
        if factor is not None:
            spectrum = spectrum.with_intensity(
                spectrum.intensity / factor, "nonlinearity_correction", coefficients=coefficients
            )
        else:
            spectrum = spectrum.with_metadata(
                acquisition_warnings=[_nonlinearity_not_applied(coefficients)],
                acquisition_advice=[_NONLINEARITY_ADVICE],
            )
    return spectrum


ACQUIRE_SETTINGS: tuple[str, ...] = tuple(
    name
    for name, parameter in inspect.signature(acquire).parameters.items()
    if parameter.kind is inspect.Parameter.KEYWORD_ONLY
)
"""The settings :func:`acquire` takes (its keyword arguments), read from its signature: what
every :class:`~drivers.base.Spectrometer` accepts (its ``accepted_settings``), so that a
setting added to the workflow is accepted, and one removed refused, with no list to keep in
step."""


def _saturated(
    spec: Spectrometer,
    clipped: int,
    tried: list[float],
    given_ms: float | None,
    saturation: str,
) -> DetectorSaturated:
    """The error of a sample still saturating at the last of the integration times ``tried``
    (ms): what was given, what was tried, and what to do.

    "at 375 ms; shorten the integration time" read as wrong to a technician who had typed
    3000 ms and did not know the scan had halved it three times, nor that leaving the time
    out (auto-exposure) would have done.
    """
    where = f"{spec.url}: {clipped} pixel(s) at the detector ceiling"
    halved = ", ".join(f"{t:g}" for t in tried[1:])
    if len(tried) > 1:
        what = f"still at {tried[-1]:g} ms after halving it {len(tried) - 1} times ({halved} ms)"
    elif saturation == "refuse":
        what = "not re-exposed (saturation='refuse')"
    else:
        what = "the shortest this detector takes"
    less_light = "reduce the laser power, then scan again"
    if given_ms is None or tried[-1] <= spec.model.integration_time_ms.minimum:
        # auto-exposure chose the time, or it is as short as the detector goes: only less
        # light helps
        if given_ms is not None:
            return DetectorSaturated(
                f"{where} with {{integration}}, {what} ({tried[-1]:g} ms, the shortest this "
                "detector takes)",
                advice=less_light,
                integration_time_ms=given_ms,
            )
        return DetectorSaturated(
            f"{where} at the {tried[0]:g} ms auto-exposure chose, {what}", advice=less_light
        )
    return DetectorSaturated(
        f"{where} with {{integration}}, {what}: too long for this sample",
        advice="leave out {integration} (auto-exposure finds the time), or reduce the laser "
        "power, then scan again",
        integration_time_ms=given_ms,
    )


def _nonlinearity_not_applied(coefficients: list[float]) -> str:
    shown = ", ".join(f"{c:g}" for c in coefficients)
    return (
        f"the detector's non-linearity correction was not applied: the coefficients the "
        f"instrument holds ({shown}) cannot be used (a value that is not a number, or a "
        "correction that divides by zero or a negative number), so strong bands are not "
        "corrected relative to weak ones and relative band intensities may be off by a few "
        "per cent (band positions are not affected)"
    )


_NONLINEARITY_ADVICE = "have the instrument's calibration (its non-linearity coefficients) checked"
"""What the technician should do when the non-linearity correction could not be applied."""
