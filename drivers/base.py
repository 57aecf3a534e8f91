"""What every instrument offers: identity, capabilities, validated settings, and acquisition.

Device models are declarations (:class:`DeviceModel`: pixel count, limits, features), not code;
settings carry their unit in their name (``integration_time_ms``, ``boxcar_width``) and are
checked against the model's range before a byte is sent. A feature a model lacks raises
:class:`~drivers.errors.NotSupported`, never a silent no-op.
"""

from __future__ import annotations

import abc
import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import numpy as np

from drivers.errors import (
    InstrumentDisconnected,
    InstrumentTimeout,
    NotSupported,
    SettingError,
    SettingsRefused,
)
from drivers.transport import SerialTransport
from forensic.errors import holding_signals
from forensic.spectrum import Spectrum

__all__ = [
    "EXCITATION_TOLERANCE_NM",
    "LATE_SPECTRUM_S",
    "Capabilities",
    "DeviceInfo",
    "DeviceModel",
    "Instrument",
    "SerialSpectrometer",
    "SettingRange",
    "Spectrometer",
    "excitation_wavelength_nm",
    "scan_allowance_s",
]

EXCITATION_TOLERANCE_NM = 1.0
"""How far (nm) an excitation wavelength stated in the instrument URL may lie from the one the
instrument reports. At 785 nm one nanometre moves every Raman shift by about 16 cm-1, beyond
what identification tolerates: a larger difference is a typing error, not a recalibration."""


def excitation_wavelength_nm(
    stated_nm: float | None, reported_nm: float | None, where: str
) -> float | None:
    """The excitation wavelength (nm) that converts a spectrometer's wavelengths to Raman shift.

    Parameters
    ----------
    stated_nm : float or None
        What the instrument URL states (``laser_nm=``), if anything.
    reported_nm : float or None
        What the instrument reports of its laser, if it can; a value that is not a positive,
        finite number counts as none.
    where : str
        The instrument's URL, for the message.

    Returns
    -------
    float or None
        ``stated_nm`` when given, else ``reported_nm``; None when neither is known.

    Raises
    ------
    SettingError
        ``stated_nm`` differs from ``reported_nm`` by more than :data:`EXCITATION_TOLERANCE_NM`:
        every band would be moved and the sample taken for something else, or for nothing.
    """
    if reported_nm is not None and not (np.isfinite(reported_nm) and reported_nm > 0):
        reported_nm = None
    if stated_nm is None:
        return reported_nm
    if not (np.isfinite(stated_nm) and stated_nm > 0):
        raise SettingError(f"{where}: laser_nm={stated_nm:g} is not a wavelength in nm")
    if reported_nm is not None and abs(stated_nm - reported_nm) > EXCITATION_TOLERANCE_NM:
        shift = abs(1e7 / stated_nm - 1e7 / reported_nm)
        raise SettingError(
            f"{where}: the URL gives laser_nm={stated_nm:g} but the instrument reports its laser "
            f"at {reported_nm:g} nm; converted with the URL's, every band would be {shift:.0f} "
            "cm-1 off and the sample taken for something else: leave laser_nm out to use the "
            "instrument's, or correct it"
        )
    return stated_nm


@dataclass(frozen=True)
class SettingRange:
    """The allowed closed range of one numeric setting, with its unit.

    Attributes
    ----------
    name : str
        The setting's keyword (``"integration_time_ms"``), as messages name it.
    minimum, maximum : float
        The lowest and highest values allowed, both included.
    unit : str
        Unit for messages (``"ms"``, ``"scans"``); empty for none.
    integer : bool
        Only whole numbers are allowed.
    """

    name: str
    minimum: float
    maximum: float
    unit: str = ""
    integer: bool = True

    def check(self, value: Any, model: str = "") -> float | int:
        """Return ``value`` converted, or raise :class:`SettingError` naming the range."""
        where = f" for {model}" if model else ""
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise SettingError("is not a number", setting=self.name, value=value) from None
        unit = f" {self.unit}" if self.unit else ""
        if not np.isfinite(number) or not self.minimum <= number <= self.maximum:
            raise SettingError(
                f"is out of range: expected {self.minimum:g}-{self.maximum:g}{unit}{where}",
                setting=self.name,
                value=value,
            )
        if self.integer:
            if number != int(number):
                of_unit = f" of {self.unit}" if self.unit else ""
                raise SettingError(
                    f"is not a whole number{of_unit}{where}", setting=self.name, value=value
                )
            return int(number)
        return number


@dataclass(frozen=True)
class Capabilities:
    """What an instrument can do; the acquisition workflow adapts to it.

    Attributes
    ----------
    laser : bool
        The driver switches the laser.
    laser_readback : bool
        The laser's state can be read back after switching it.
    interlock : bool
        The state of the laser interlock (lid, key or door) can be read.
    tec : bool
        The detector has a thermo-electric cooler whose temperature is read.
    shutter : bool
        The unit has a shutter the driver controls.
    averaging : bool
        The unit averages (or accumulates) scans itself.
    boxcar : bool
        The unit smooths with a boxcar (moving average) itself.
    compression : bool
        Spectra are transferred compressed.
    checksum : bool
        Spectrum transfers carry a checksum that is verified.
    wavelength_calibration : bool
        The unit reports its wavelength calibration coefficients.
    """

    laser: bool = False
    laser_readback: bool = False
    interlock: bool = False
    tec: bool = False
    shutter: bool = False
    averaging: bool = True
    boxcar: bool = True
    compression: bool = False
    checksum: bool = False
    wavelength_calibration: bool = True

    def to_dict(self) -> dict[str, bool]:
        """Plain ``{feature: bool}``."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class DeviceModel:
    """A spectrometer model as a declaration of its limits.

    Attributes
    ----------
    name : str
        Model name ("USB4000").
    pixels : int
        Detector pixels transmitted in pixel mode 0.
    integration_time_ms : SettingRange
    averages : SettingRange
    boxcar_width : SettingRange
    max_counts : int
        Full-scale count of the A/D converter (65535 for 16 bits).
    dark_pixels : tuple of int
        Optically masked pixel indices (electrical dark), if any.
    """

    name: str
    pixels: int
    integration_time_ms: SettingRange
    averages: SettingRange = field(
        default_factory=lambda: SettingRange("averages", 1, 5000, "scans")
    )
    boxcar_width: SettingRange = field(
        default_factory=lambda: SettingRange("boxcar_width", 0, 15, "pixels")
    )
    max_counts: int = 65535
    dark_pixels: tuple[int, ...] = ()


@dataclass(frozen=True)
class DeviceInfo:
    """Identity of the connected unit, as it reports itself.

    Attributes
    ----------
    model : str
        Model name, as the unit gives it.
    serial : str
        Serial number.
    firmware : str
        Firmware version.
    simulated : bool
        The unit is one of the toolkit's simulators (its serial number starts with ``SIM``):
        its spectra are recorded as simulated, not measured.
    """

    model: str
    serial: str
    firmware: str
    simulated: bool = False


class Instrument(abc.ABC):
    """Anything that yields spectra: a spectrometer on a port, or a folder of exports.

    Instruments are context managers: the port (or watcher) is released on exit, whatever
    happened inside.
    """

    url: str = ""
    modality: str | None = None
    """What the instrument measures, ``"raman"`` or ``"ir"``, when the driver knows: a scan
    then refuses a library without references of that kind before the laser fires."""
    accepted_settings: tuple[str, ...] = ()
    """The settings (keywords of :meth:`acquire`) this instrument applies."""
    on_notice: Callable[[str], None] | None = None
    """Whoever shows the technician what the instrument says while it works, ``on_notice(text)``
    (a command's progress line); None: nobody. An instrument says what to do, or how long it
    will wait, before a wait in which the screen would otherwise stay silent."""

    def notice(self, text: str) -> None:
        """Tell the technician ``text`` through :attr:`on_notice`, if anyone listens.

        Parameters
        ----------
        text : str
            What to do or to expect, in words ("start the measurement on the instrument now:
            waiting up to 120 s for its export").
        """
        if self.on_notice is not None:
            self.on_notice(text)

    @abc.abstractmethod
    def acquire(self, **settings: Any) -> Spectrum:
        """Return one complete spectrum with its metadata, or raise an InstrumentError."""

    def check_settings(self, **settings: Any) -> None:
        """Refuse, before anything is measured or recorded, settings this instrument cannot
        apply: a setting is applied or refused, never dropped.

        Parameters
        ----------
        **settings
            Keywords of :meth:`acquire`; one given as None is not given.

        Raises
        ------
        SettingsRefused
            A setting not in :attr:`accepted_settings` (a :class:`NotSupported`); the message
            names it and its value, and what the instrument takes.
        """
        refused = {
            name: value
            for name, value in settings.items()
            if value is not None and name not in self.accepted_settings
        }
        if refused:
            raise SettingsRefused(self.url, refused, self.accepted_settings, self._settings_note())

    def _settings_note(self) -> str:
        """Why :meth:`check_settings` refuses what it refuses, for the message."""
        return "this instrument has no such setting"

    @abc.abstractmethod
    def close(self) -> None:
        """Release the instrument (idempotent)."""

    def describe(self) -> dict[str, Any]:
        """A JSON-serialisable description for ``forensic instrument list`` and logs."""
        return {"url": self.url, "kind": type(self).__name__}

    def __enter__(self):
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class Spectrometer(Instrument):
    """A dispersive spectrometer with a pixel detector (and perhaps a laser).

    Subclasses implement the primitive operations over their protocol; :meth:`acquire` runs
    the full workflow of :func:`drivers.acquisition.acquire` on top of them.
    """

    model: DeviceModel
    info: DeviceInfo
    capabilities: Capabilities
    laser_wavelength_nm: float | None = None
    laser_power_mw: float | None = None

    @property
    def modality(self) -> str | None:  # type: ignore[override]
        """``"raman"`` when the excitation laser's wavelength is known, else not known."""
        return "raman" if self.laser_wavelength_nm else None

    # -- settings --------------------------------------------------------------------------

    def set_integration_time_ms(self, integration_time_ms: float) -> None:
        """Set the exposure of one scan, in milliseconds (validated against the model)."""
        value = self.model.integration_time_ms.check(integration_time_ms, self.model.name)
        self._set_integration_time_ms(value)
        self.integration_time_ms = value

    def set_integration_time_us(self, integration_time_us: float) -> None:
        """Set the exposure in microseconds (same validation, in the model's ms range)."""
        self.set_integration_time_ms(float(integration_time_us) / 1000.0)

    def set_averages(self, averages: int) -> None:
        """Set the number of scans averaged into one spectrum."""
        if not self.capabilities.averaging:
            raise NotSupported(f"{self.model.name} cannot average scans")
        value = self.model.averages.check(averages, self.model.name)
        self._set_averages(value)
        self.averages = value

    def set_boxcar_width(self, boxcar_width: int) -> None:
        """Set the boxcar smoothing half-width in pixels (0 = off)."""
        if not self.capabilities.boxcar:
            raise NotSupported(f"{self.model.name} has no boxcar smoothing")
        value = self.model.boxcar_width.check(boxcar_width, self.model.name)
        self._set_boxcar_width(value)
        self.boxcar_width = value

    integration_time_ms: float = 100
    averages: int = 1
    boxcar_width: int = 0

    @abc.abstractmethod
    def _set_integration_time_ms(self, value: float) -> None: ...

    @abc.abstractmethod
    def _set_averages(self, value: int) -> None: ...

    @abc.abstractmethod
    def _set_boxcar_width(self, value: int) -> None: ...

    # -- primitives -------------------------------------------------------------------------

    @abc.abstractmethod
    def wavelengths_nm(self) -> np.ndarray:
        """Wavelength of each pixel (nm), shape (pixels,), from the unit's calibration."""

    @abc.abstractmethod
    def read_scan(self, timeout_s: float) -> np.ndarray:
        """One spectrum at the current settings: mean counts per pixel, float64 (pixels,)."""

    def set_laser(self, enabled: bool) -> None:
        """Switch the excitation laser (the state is read back by the caller)."""
        raise NotSupported(f"{self.model.name}: no laser control")

    def laser_enabled(self) -> bool:
        """Read back the laser state from the device (never a cached flag)."""
        raise NotSupported(f"{self.model.name}: the laser state cannot be read back")

    def interlock_closed(self) -> bool:
        """True when the laser interlock is closed (safe to fire)."""
        raise NotSupported(f"{self.model.name}: no interlock read-out")

    def detector_temperature_c(self) -> float | None:
        """Detector temperature in °C, or None when the unit has no sensor."""
        return None

    @property
    def accepted_settings(self) -> tuple[str, ...]:  # type: ignore[override]
        """The settings of the acquisition workflow it runs: the keywords of
        :func:`drivers.acquisition.acquire` (:data:`~drivers.acquisition.ACQUIRE_SETTINGS`)."""
        from drivers.acquisition import ACQUIRE_SETTINGS  # noqa: PLC0415  (it imports base)

        return ACQUIRE_SETTINGS

    def check_settings(self, **settings: Any) -> None:
        """Refuse settings the acquisition workflow does not take, and an integration time or
        a number of averages outside the model's range (:class:`SettingError`)."""
        super().check_settings(**settings)
        for name in ("integration_time_ms", "averages"):
            if settings.get(name) is not None:
                getattr(self.model, name).check(settings[name], self.model.name)

    def acquire(self, **settings: Any) -> Spectrum:
        """Run the acquisition workflow (see :func:`drivers.acquisition.acquire`)."""
        from drivers.acquisition import acquire  # noqa: PLC0415  (acquisition imports base)

        self.check_settings(**settings)
        return acquire(self, **settings)

    def describe(self) -> dict[str, Any]:
        info = getattr(self, "info", None)
        return {
            "url": self.url,
            "kind": type(self).__name__,
            "model": info.model if info else None,
            "serial": info.serial if info else None,
            "firmware": info.firmware if info else None,
            "capabilities": self.capabilities.to_dict() if hasattr(self, "capabilities") else {},
        }


LATE_SPECTRUM_S = 5.0
"""How long (s) past the time a driver allows a spectrum it still waits for one that has not
begun (the scan timed out, or was stopped with Ctrl-C) before it sends anything else: a
laser-off sent into the exposure goes unheard, or is answered by the spectrum, and the
technician is warned that the laser may still be on when it is off. A few seconds: an
instrument later than that is not answering."""


class SerialSpectrometer(Spectrometer):
    """A spectrometer on a serial line, which answers a scan with its spectrum once the
    exposure has ended and hears nothing meanwhile.

    Keeps the spectrum a scan still owes when its reading stopped (a timeout, a Ctrl-C), and
    lets it come and drops it before the next command (:meth:`_skip_owed_spectrum`), so that
    the laser-off after the stop gets its own answer. The drivers of the serial protocols
    read every spectrum inside :meth:`_owing_spectrum` and call :meth:`_skip_owed_spectrum`
    before they send anything.
    """

    transport: SerialTransport
    late_spectrum_s: float = LATE_SPECTRUM_S
    """How long past its time a spectrum not begun is still waited for (:data:`LATE_SPECTRUM_S`)."""
    _owed_by: float | None = None  # the latest (monotonic) an owed spectrum may begin
    _owed_line_s: float = 0.0  # its line time: how long it may take once begun

    @contextlib.contextmanager
    def _owing_spectrum(self, timeout_s: float, line_s: float) -> Iterator[None]:
        """The reading of a spectrum just asked for: owed until read whole.

        Parameters
        ----------
        timeout_s : float
            The time its reading allows it (s).
        line_s : float
            Its line time (s), how long the rest of it may take to come.
        """
        before = self.transport.bytes_read
        self._owed_by = time.monotonic() + timeout_s + self.late_spectrum_s
        self._owed_line_s = line_s
        try:
            yield
        except BaseException:
            if self.transport.bytes_read > before:  # begun, so its exposure is over: the rest
                self._owed_by = time.monotonic()  # of it, if any, follows at once
            raise
        self._owed_by = None

    def _laser_off_command(self) -> bytes:
        """The bytes that switch the laser off, sent as the port is released (:meth:`close`)."""
        raise NotImplementedError

    def close(self) -> None:
        """Switch the laser off, if the unit has one, and release the port (idempotent).

        A stop (Ctrl-C, a stopping signal) that comes meanwhile waits until the laser-off is
        sent (at most the port's write timeout), and the port is released whatever comes,
        before the stop goes on: a port left held by a stopped command refused the next
        one, as held by another program, until the instrument was unplugged.
        """
        transport = getattr(self, "transport", None)
        if transport is None or not transport.is_open:
            return
        try:
            caps = getattr(self, "capabilities", None)
            if caps is not None and caps.laser:
                with (
                    holding_signals(),
                    contextlib.suppress(InstrumentDisconnected, InstrumentTimeout),
                ):
                    transport.write(self._laser_off_command())
        finally:
            transport.close()

    def _skip_owed_spectrum(self) -> None:
        """Before a command: let a spectrum still owed come, and drop it (at most until its
        time and :attr:`late_spectrum_s` have passed), saying so when that takes a while."""
        begins_by, self._owed_by = self._owed_by, None
        if begins_by is None or not self.transport.is_open:
            return  # nothing owed, or nothing will come: the device disconnected
        wait = begins_by - time.monotonic()
        if wait > 1.0:
            self.notice(
                f"waiting for the instrument to end its exposure (up to {wait:.0f} s): it "
                "hears nothing before, not even the laser switched off"
            )
        self.transport.skip_reply(begins_by, self._owed_line_s)


def scan_allowance_s(integration_time_ms: float, averages: int, transfer_s: float) -> float:
    """Time (s) a driver allows a spectrum reply besides its command timeout: twice the
    exposure (integration time x scans) and the reply's line time.

    Each protocol gives its line time (``spectrum_transfer_s`` in :mod:`drivers.obp` and
    :mod:`drivers.ocean_rs232`); the simulators' ``slow`` fault is late by this much and more,
    so it times out wherever the driver's command timeout is the shorter.

    Parameters
    ----------
    integration_time_ms : float
        Integration time of one scan (ms).
    averages : int
        Scans averaged (or accumulated) into the spectrum.
    transfer_s : float
        Line time of the spectrum reply (s).

    Returns
    -------
    float
        The allowance in seconds.
    """
    return 2.0 * integration_time_ms * averages / 1000.0 + transfer_s
