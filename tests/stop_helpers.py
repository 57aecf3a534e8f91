"""A stop (Ctrl-C, a ``kill``) that comes at one moment of a measurement through the real
driver, on a simulated instrument: the set-up the stop tests of ``forensic acquire`` and of
``forensic scan`` share, each keeping its own assertions of what the command then says."""

from __future__ import annotations

import signal

from drivers.ocean_rs232 import OceanRS232Spectrometer
from drivers.urls import SimulatedInstrument

SIMULATED_URL = "sim:ocean-rs232?sample=cocaine&realtime=0&seed=1"
"""The instrument the stop tests measure with: the real driver on a simulated Ocean RS-232
spectrometer over a pty, measuring cocaine without waiting its integration time."""


def stop_code(stop: str) -> int:
    """The exit code of a command ended by ``stop`` (``"SIGINT"``, ``"SIGTERM"``), as a shell
    expects of a program a signal stopped: 128 and the signal's number."""
    return 128 + getattr(signal, stop)


def stop_said(stop: str) -> str:
    """The ``error:`` line of a command ended by ``stop``: Ctrl-C is ``interrupted``."""
    return "error: interrupted" if stop == "SIGINT" else f"error: stopped by {stop}"


def _own_data_folder(monkeypatch, tmp_path) -> None:
    """The user data folder of the test's own, where a spectrum kept by ``acquire`` goes."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


def stop_as_the_driver_closes(monkeypatch, tmp_path, stop: str) -> list[OceanRS232Spectrometer]:
    """``stop`` comes once, as the real driver has closed the instrument, the spectrum
    measured.

    Returns
    -------
    list
        The driver closed, once it is (to check its port was released).
    """
    real_close = OceanRS232Spectrometer.close
    closed: list[OceanRS232Spectrometer] = []

    def close_then_stop(self):  # the stop comes as the port is closed, once
        real_close(self)
        if not closed:
            closed.append(self)
            signal.raise_signal(getattr(signal, stop))

    monkeypatch.setattr(OceanRS232Spectrometer, "close", close_then_stop)
    _own_data_folder(monkeypatch, tmp_path)
    return closed


def stop_as_the_spectrum_is_handed_over(monkeypatch, tmp_path, stop: str) -> list:
    """``stop`` comes once the real driver has returned the spectrum and before the command
    holds it (the metadata of the simulated sample added on its way out).

    Returns
    -------
    list of Spectrum
        The spectrum handed over, once it is (to compare with what was kept).
    """
    real_acquire = SimulatedInstrument.acquire
    handed = []

    def acquire_then_stop(self, **settings):
        spectrum = real_acquire(self, **settings)
        handed.append(spectrum)
        signal.raise_signal(getattr(signal, stop))  # returned, not yet received
        return spectrum

    monkeypatch.setattr(SimulatedInstrument, "acquire", acquire_then_stop)
    _own_data_folder(monkeypatch, tmp_path)
    return handed
