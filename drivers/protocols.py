"""The serial protocols the toolkit speaks, each declared once.

One :class:`SerialProtocol` entry in :data:`SERIAL_PROTOCOLS` says all that the rest of the
toolkit needs of a protocol: its driver and its simulator, the harmless question that tells
whether a port speaks it, the instrument in words, and the URL parameters of its own. Every
list follows from the registry: the URL schemes and their parameters and the ``sim:`` kinds
(:mod:`drivers.urls`), the search for the protocol a port does speak, and
``forensic instrument simulate --protocol``. Adding a protocol is one entry here (and its
rows in the URL tables of :mod:`drivers.urls` and ``docs/technician.md``, which a test checks); a
protocol not registered is refused, never taken for another.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from drivers.base import SerialSpectrometer
from drivers.errors import SettingError
from drivers.obp import OBPSpectrometer, answers_firmware
from drivers.ocean_rs232 import (
    BAUD_CODES,
    BWTEK_BAUD_CODES,
    OceanRS232Spectrometer,
    answers_version,
)
from drivers.simulators.obp_sim import OBPSimulator
from drivers.simulators.ocean_sim import OceanRS232Simulator
from drivers.simulators.pty import RamanPtySimulator
from drivers.transport import SerialTransport

__all__ = [
    "SERIAL_PARAMETERS",
    "SERIAL_PROTOCOLS",
    "SerialProtocol",
    "serial_protocol",
    "url_flag",
]

SERIAL_PARAMETERS = frozenset({"baud", "laser_nm", "laser_mw", "timeout", "pace"})
"""The URL parameters every serial protocol accepts (:mod:`drivers.urls` reads them)."""


def url_flag(params: Mapping[str, str], key: str, default: bool) -> bool:
    """An on/off URL parameter: off for ``0``, ``false``, ``no`` or ``off``, on for any other
    value.

    Parameters
    ----------
    params : mapping of str to str
        The URL's parameters, as given.
    key : str
        The parameter (``"pace"``).
    default : bool
        What a URL without it means.

    Returns
    -------
    bool
        Whether the flag is on.
    """
    value = params.get(key)
    return default if value is None else value.lower() not in ("0", "false", "no", "off")


def _no_options(params: Mapping[str, str], baud: int | None) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class SerialProtocol:
    """A serial protocol: what opens, simulates and recognises an instrument speaking it.

    Attributes
    ----------
    scheme : str
        Its URL scheme and ``sim:`` kind (``"ocean-rs232"``), in lower case.
    instrument : str
        What answers in it, in words, for messages (``"an Ocean RS-232 spectrometer"``).
    driver : type of SerialSpectrometer
        The driver: ``driver(transport, command_timeout_s=..., paced=...,
        laser_wavelength_nm=..., laser_power_mw=..., **options)`` connects and identifies.
    simulator : type of RamanPtySimulator
        The simulator that serves its bytes on a pseudo-terminal.
    answers : callable (SerialTransport, float) -> bool or None
        ``answers(transport, wait_s)``: asks, at the port's current rate, a question that
        changes nothing, and says whether the reply is this protocol's (None: nothing came).
        Safe to send to an instrument of any registered protocol.
    paced : bool
        Whether its commands go out one byte at a time at 115200 baud and above unless the
        URL says ``pace=`` (:class:`~drivers.transport.SerialTransport`).
    parameters : frozenset of str
        The URL parameters of its own, besides :data:`SERIAL_PARAMETERS`.
    options : callable (mapping, int or None) -> dict
        ``options(params, baud)``: the driver's keyword arguments from the URL's parameters
        of its own (text, as given) and its ``baud=`` (a number, or None when not given).
        Raises :class:`~drivers.errors.SettingError` for a value it cannot take.
    """

    scheme: str
    instrument: str
    driver: type[SerialSpectrometer]
    simulator: type[RamanPtySimulator]
    answers: Callable[[SerialTransport, float], bool | None]
    paced: bool = False
    parameters: frozenset[str] = frozenset()
    options: Callable[[Mapping[str, str], int | None], dict[str, Any]] = _no_options

    def open(
        self,
        transport: SerialTransport,
        params: Mapping[str, str],
        *,
        baud: int | None = None,
        command_timeout_s: float = 1.0,
        laser_wavelength_nm: float | None = None,
        laser_power_mw: float | None = None,
    ) -> SerialSpectrometer:
        """Connect its driver to the instrument on ``transport``.

        Parameters
        ----------
        transport : SerialTransport
            The open port.
        params : mapping of str to str
            The URL's parameters, as given (``pace`` and those of :attr:`parameters` are read
            here).
        baud : int, optional
            The URL's ``baud=``.
        command_timeout_s : float, default 1.0
            Time allowed a short reply (s).
        laser_wavelength_nm, laser_power_mw : float, optional
            What the URL states of the laser.

        Returns
        -------
        SerialSpectrometer
            The instrument, connected and identified.

        Raises
        ------
        SettingError
            A parameter of its own that it cannot take.
        InstrumentError
            The instrument does not answer, or not in this protocol.
        """
        return self.driver(
            transport,
            command_timeout_s=command_timeout_s,
            paced=url_flag(params, "pace", self.paced),
            laser_wavelength_nm=laser_wavelength_nm,
            laser_power_mw=laser_power_mw,
            **self.options(params, baud),
        )


def _ocean_rs232_options(params: Mapping[str, str], baud: int | None) -> dict[str, Any]:
    rates = params.get("rates", "ocean")
    if rates not in ("ocean", "bwtek"):
        raise SettingError(f"rates={rates!r}: expected 'ocean' or 'bwtek'")
    return {
        "baud": baud,  # the rate it switches to once connected
        "ascii_mode": url_flag(params, "ascii", False),
        "compression": url_flag(params, "compress", True),
        "checksum": url_flag(params, "checksum", True),
        "baud_codes": BWTEK_BAUD_CODES if rates == "bwtek" else BAUD_CODES,
    }


SERIAL_PROTOCOLS: dict[str, SerialProtocol] = {
    protocol.scheme: protocol
    for protocol in (
        SerialProtocol(
            scheme="ocean-rs232",
            instrument="an Ocean RS-232 spectrometer",
            driver=OceanRS232Spectrometer,
            simulator=OceanRS232Simulator,
            answers=answers_version,
            paced=True,  # a few bytes a command: pacing costs little, a lost byte a scan
            parameters=frozenset({"ascii", "compress", "checksum", "rates"}),
            options=_ocean_rs232_options,
        ),
        SerialProtocol(
            scheme="obp",
            instrument="an OBP (Ocean Binary Protocol) instrument",
            driver=OBPSpectrometer,
            simulator=OBPSimulator,
            answers=answers_firmware,
            paced=False,  # 64-byte messages: pacing would cost 64 ms each
        ),
    )
}
"""Every serial protocol, by URL scheme, in the order messages list them."""


def serial_protocol(scheme: str) -> SerialProtocol:
    """The registered protocol of ``scheme``.

    Parameters
    ----------
    scheme : str
        A URL scheme or ``sim:`` kind, in any letter case (``"OBP"``).

    Returns
    -------
    SerialProtocol
        Its entry in :data:`SERIAL_PROTOCOLS`.

    Raises
    ------
    SettingError
        No such protocol is registered (the message lists those that are).
    """
    try:
        return SERIAL_PROTOCOLS[scheme.lower()]
    except KeyError:
        raise SettingError(
            f"unknown serial protocol {scheme!r}: expected {', '.join(SERIAL_PROTOCOLS)}"
        ) from None
