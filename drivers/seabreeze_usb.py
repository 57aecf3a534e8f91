"""Ocean Insight USB spectrometers through python-seabreeze (the optional ``usb`` extra).

``pip install 'forensic-toolkit[usb]'`` installs ``seabreeze``; its pure-Python backend
(``pyseabreeze``, needs ``pyusb`` and a udev rule) or its compiled backend drive the device.
Without it every entry point raises :class:`~drivers.errors.NotSupported` saying how to
install it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from drivers.base import Capabilities, DeviceInfo, DeviceModel, SettingRange, Spectrometer
from drivers.errors import FIND_INSTRUMENTS_HINT, InstrumentDisconnected, NotSupported

__all__ = ["SeabreezeSpectrometer", "list_usb_spectrometers"]


def _seabreeze() -> Any:
    try:
        import seabreeze.spectrometers as sb  # type: ignore[import-not-found]  # noqa: PLC0415
    except ImportError:
        raise NotSupported(
            "python-seabreeze is not installed",
            advice="install it: pip install 'forensic-toolkit[usb]'",
        ) from None
    return sb


def list_usb_spectrometers() -> list[dict[str, str]]:
    """``[{"model", "serial"}]`` for each Ocean USB spectrometer seabreeze can see.

    Returns
    -------
    list of dict of str to str
        ``{"model": ..., "serial": ...}`` for each device found; empty when there is none.

    Raises
    ------
    NotSupported
        python-seabreeze is not installed, or its backend could not list the devices
        (no libusb, no permission).
    """
    sb = _seabreeze()
    try:
        devices = sb.list_devices()
    except Exception as exc:  # backend errors (no libusb, permissions) are not ours to type
        raise NotSupported(f"seabreeze could not list USB devices: {exc}") from None
    return [{"model": str(d.model), "serial": str(d.serial_number)} for d in devices]


class SeabreezeSpectrometer(Spectrometer):
    """A USB spectrometer opened by serial number (or the first one found).

    Parameters
    ----------
    serial : str, optional
    laser_wavelength_nm, laser_power_mw : float, optional
        The excitation of the Raman probe attached (seabreeze devices do not report it).
    """

    def __init__(
        self,
        serial: str | None = None,
        *,
        laser_wavelength_nm: float | None = None,
        laser_power_mw: float | None = None,
    ) -> None:
        sb = _seabreeze()
        try:
            self._device = (
                sb.Spectrometer.from_serial_number(serial)
                if serial
                else sb.Spectrometer.from_first_available()
            )
        except Exception as exc:
            raise InstrumentDisconnected(
                f"seabreeze:{serial or ''}: no such USB spectrometer ({exc})",
                advice=FIND_INSTRUMENTS_HINT,
            ) from None
        self.url = f"seabreeze:{self._device.serial_number}"
        low_us, high_us = self._device.integration_time_micros_limits
        self.model = DeviceModel(
            str(self._device.model),
            int(self._device.pixels),
            SettingRange(
                "integration_time_ms", low_us / 1000.0, high_us / 1000.0, "ms", integer=False
            ),
            max_counts=int(getattr(self._device, "max_intensity", 65535)),
        )
        self.info = DeviceInfo(
            model=str(self._device.model), serial=str(self._device.serial_number), firmware=""
        )
        features = getattr(self._device, "features", {}) or {}
        self.capabilities = Capabilities(
            tec=bool(features.get("thermo_electric")), averaging=True, boxcar=False
        )
        self.laser_wavelength_nm = laser_wavelength_nm
        self.laser_power_mw = laser_power_mw
        self._averages = 1

    def _set_integration_time_ms(self, value: float) -> None:
        self._device.integration_time_micros(round(value * 1000))

    def _set_averages(self, value: int) -> None:
        self._averages = int(value)  # averaged on the host: seabreeze reads one scan at a time

    def _set_boxcar_width(self, value: int) -> None:
        raise NotSupported("seabreeze devices: boxcar smoothing is not offered")

    def wavelengths_nm(self) -> np.ndarray:
        return np.asarray(self._device.wavelengths(), dtype=np.float64)

    def read_scan(self, timeout_s: float | None = None) -> np.ndarray:
        scans = [
            np.asarray(self._device.intensities(), dtype=np.float64) for _ in range(self._averages)
        ]
        return np.mean(scans, axis=0)

    def detector_temperature_c(self) -> float | None:
        if not self.capabilities.tec:
            return None
        try:
            return float(self._device.f.thermo_electric.read_temperature_degrees_celsius())
        except Exception:
            return None

    def close(self) -> None:
        device, self._device = getattr(self, "_device", None), None
        if device is not None:
            device.close()
