"""Open any instrument from one URL string.

==========================================  =====================================================
URL                                         Instrument
==========================================  =====================================================
``ocean-rs232:///dev/ttyUSB0?baud=9600``    Ocean RS-232 command set on a serial port
``obp:///dev/ttyACM0``                      Ocean Binary Protocol on a serial port
``seabreeze:SERIAL`` (or ``seabreeze:``)    Ocean USB device via python-seabreeze (``usb`` extra)
``folder:///path/to/exports``               exports written by an instrument's own software
``sim:ocean-rs232?sample=NAME|FILE``        simulator on a pty, driven through the real driver
``sim:obp?sample=NAME|FILE``                likewise for OBP
``sim:ftir?sample=NAME|FILE``               simulated FTIR writing exports into a temporary folder
==========================================  =====================================================

Serial URLs accept ``baud``, ``laser_nm`` (for a head that does not report its laser; one
that does refuses a different wavelength), ``laser_mw``, ``timeout`` (seconds for short
replies), ``pace`` (at 115200 baud and above, send commands one byte at a time, 1 ms apart,
for units with a one-byte input buffer: on by default for ``ocean-rs232``, ``pace=0`` turns
it off; off for ``obp``, ``pace=1`` turns it on); ``ocean-rs232`` also ``ascii=1``,
``compress=0``, ``checksum=0``, ``rates=bwtek``.
The port part may be anything pyserial opens (``ocean-rs232:socket://host:7000``).
The serial protocols, their drivers, simulators and own parameters are declared once in
:data:`drivers.protocols.SERIAL_PROTOCOLS`; a scheme or ``sim:`` kind not there is refused.
``sim:`` URLs accept ``sample`` (a name, a file, or a cut sample such as
``cocaine:65,levamisole:35``, which the caller's ``sample_resolver`` finds, such as
:func:`forensic.samples.resolve_sample`) and ``seed`` (the noise, for reproducible spectra);
those of the serial protocols also ``fault`` (see :data:`drivers.simulators.pty.FAULTS`),
``realtime=0`` (answer a scan at once rather than after its exposure), and ``baud``,
``timeout`` and ``pace`` as their serial URLs do (the simulated device starts at 9600 baud; the
Ocean RS-232 driver moves it to ``baud`` as it would a real one); ``sim:ftir`` also ``timeout``
as ``folder:`` does. A parameter the instrument does not use (``sim:ftir?baud=9600``) is
refused, naming those it accepts, never ignored. ``folder:`` accepts ``timeout`` (seconds
to wait for a new export, default 120, up to a day: an export written later is not taken by
the next scan either), ``settle`` (seconds a file must stay unchanged to count as written,
default 1) and ``existing=1`` (also take a file already there when the scan starts, which may
be an earlier exhibit's export).
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl, unquote

from drivers.base import Instrument
from drivers.errors import (
    InstrumentError,
    NoAnswer,
    NotThisProtocol,
    SettingError,
)
from drivers.folder import DEFAULT_TIMEOUT_S, FolderInstrument
from drivers.protocols import SERIAL_PARAMETERS, SERIAL_PROTOCOLS, url_flag
from drivers.seabreeze_usb import SeabreezeSpectrometer
from drivers.simulators.ftir_sim import FTIRFolderSimulator
from drivers.transport import SerialTransport
from forensic.spectrum import Spectrum

__all__ = ["SCHEMES", "SimulatedInstrument", "open_instrument", "parse_instrument_url"]

SCHEMES = (*SERIAL_PROTOCOLS, "seabreeze", "folder", "sim")
"""Every URL scheme: the serial protocols (:data:`drivers.protocols.SERIAL_PROTOCOLS`), then
USB, folder and simulated instruments."""

_SIM_SERIAL_PARAMETERS = frozenset({"timeout", "baud", "pace"})
"""What a ``sim:`` URL of a serial protocol passes on to the real driver."""

_ALLOWED = {
    **{
        scheme: SERIAL_PARAMETERS | protocol.parameters
        for scheme, protocol in SERIAL_PROTOCOLS.items()
    },
    "seabreeze": frozenset({"laser_nm", "laser_mw"}),
    "folder": frozenset({"timeout", "settle", "existing"}),
    **{
        f"sim:{scheme}": frozenset({"sample", "fault", "seed", "realtime"}) | _SIM_SERIAL_PARAMETERS
        for scheme in SERIAL_PROTOCOLS
    },
    # a folder it writes into, not a port: no frames to garble, no rate, no exposure to wait
    # out; its timeout is the folder's wait for the export
    "sim:ftir": frozenset({"sample", "seed", "timeout"}),
}
"""The URL parameters each instrument uses, by scheme, and by kind for ``sim:``
(``"sim:ftir"``): any other is refused, never ignored, for a technician who types
``sim:ftir?baud=9600`` believes it did something."""

_SIM_KINDS = tuple(key.removeprefix("sim:") for key in _ALLOWED if key.startswith("sim:"))

SampleResolver = Callable[[str, str], Spectrum]


def parse_instrument_url(url: str) -> tuple[str, str, dict[str, str]]:
    """Split an instrument URL into (scheme, target, parameters).

    Parameters
    ----------
    url : str
        The instrument URL (``ocean-rs232:///dev/ttyUSB0?baud=9600``).

    Returns
    -------
    scheme : str
        One of :data:`SCHEMES`, in lower case.
    target : str
        The port, serial number, folder or simulated protocol, percent-decoding undone and a
        leading ``//`` removed.
    parameters : dict of str to str
        The query parameters, each as given (a blank value is kept).

    Raises
    ------
    SettingError
        An unknown scheme or ``sim:`` kind, or a parameter the instrument does not use (the
        message names it and lists those the instrument accepts).
    """
    scheme, sep, rest = url.partition(":")
    scheme = scheme.lower()  # RFC 3986: a scheme is case-insensitive (OBP: as obp:)
    if not sep or scheme not in SCHEMES:
        raise SettingError(_not_an_instrument_url(url))
    target, _, query = rest.rpartition("?") if "?" in rest else (rest, "", "")
    if target.startswith("//") and "://" not in target[2:]:
        target = target[2:]
    target = unquote(target)
    instrument = scheme
    if scheme == "sim":
        kind = target.lower()
        if kind not in _SIM_KINDS:
            raise SettingError(f"sim:{kind}: expected {_either(f'sim:{k}' for k in _SIM_KINDS)}")
        instrument = f"sim:{kind}"
    params = dict(parse_qsl(query, keep_blank_values=True))
    unused = sorted(set(params) - _ALLOWED[instrument])
    if unused:
        raise SettingError(
            f"{url}: {instrument} does not use {_either(unused)}; it accepts "
            f"{', '.join(sorted(_ALLOWED[instrument]))}"
        )
    return scheme, target, params


def _not_an_instrument_url(url: str) -> str:
    """Why ``url`` names no instrument, with the URL meant when that can be told: a mistyped
    scheme (``ocean-rs323:``), or a port or folder given without one (``/dev/ttyUSB0``)."""
    expected = "expected one of " + ", ".join(f"{s}:..." for s in SCHEMES)
    scheme, sep, rest = url.partition(":")
    if os.path.isdir(url):
        return (
            f"{url} is a folder: for an instrument that exports into it, give "
            f"folder://{os.path.abspath(url)}"
        )
    if not sep and (url.startswith("/dev/") or re.fullmatch(r"(?i)com\d+", url)):
        return (
            f"{url} is a port, not an instrument URL: give the protocol of the instrument on it, "
            f"{_either(f'{scheme}://{url}' for scheme in SERIAL_PROTOCOLS)}"
        )
    close = difflib.get_close_matches(scheme.lower(), SCHEMES, n=1, cutoff=0.6) if sep else []
    if close:
        return f"unknown instrument URL {url!r}: did you mean {close[0]}:{rest}?"
    return f"unknown instrument URL {url!r}: {expected}"


_RANGES: dict[str, tuple[float, float, str]] = {
    "timeout": (0.0, 600.0, "seconds"),
    "settle": (0.0, 3600.0, "seconds"),
    "baud": (0.0, 10_000_000.0, "bits per second"),
    "laser_nm": (200.0, 2000.0, "nm"),
    "laser_mw": (0.0, 10_000.0, "mW"),
}
"""Open lower and closed upper bound of each numeric URL parameter, and its unit: a timeout
of 0, NaN or infinity (waiting for ever) or a laser of 0 nm is a typing error, never used."""


_EXPORT_WAIT_RANGE = (0.0, 86400.0, "seconds")
"""The range of a ``folder:`` URL's ``timeout``: the wait for an export, which an FTIR run of
many scans can make long, where a serial URL's is the wait for a short reply."""


def _number(
    params: dict[str, str],
    key: str,
    kind: type = float,
    bounds: tuple[float, float, str] | None = None,
) -> Any:
    if key not in params:
        return None
    try:
        value = kind(params[key])
    except ValueError:
        raise SettingError(f"URL parameter {key}={params[key]!r} is not a number") from None
    if bounds is not None or key in _RANGES:
        low, high, unit = bounds or _RANGES[key]
        if not low < value <= high:  # False for NaN as well
            raise SettingError(
                f"URL parameter {key}={params[key]!r} is out of range: expected more than "
                f"{low:g} and at most {high:g} {unit}"
            )
    return value


def _either(choices: Iterable[str]) -> str:
    """``a``, ``a or b``, ``a, b or c``."""
    *first, last = choices
    return f"{', '.join(first)} or {last}" if first else last


class SimulatedInstrument(Instrument):
    """A real driver talking to a simulator owned by the same process; closing stops both.

    Parameters
    ----------
    inner : Instrument
        The real driver, connected to the simulator.
    simulator : object
        The simulator; its ``stop`` (or else ``close``) is called on closing.
    reference : Spectrum
        The sample simulated, named in the metadata of every spectrum acquired.
    """

    def __init__(self, inner: Instrument, simulator: Any, reference: Spectrum) -> None:
        self.inner = inner
        self.simulator = simulator
        self.url = inner.url
        meta = reference.metadata
        self.reference_metadata = {
            "simulated_from": meta.get("name") or meta.get("source_file") or "unnamed reference",
            "simulated_from_provenance": meta.get("provenance", "unknown"),
        }

    def acquire(self, **settings: Any) -> Spectrum:
        """Acquire through the real driver; the metadata names the simulated reference."""
        return self.inner.acquire(**settings).with_metadata(**self.reference_metadata)

    def check_settings(self, **settings: Any) -> None:
        """What the real driver inside refuses."""
        self.inner.check_settings(**settings)

    @property
    def on_notice(self) -> Callable[[str], None] | None:  # type: ignore[override]
        """Whoever listens to the real driver inside (:attr:`Instrument.on_notice
        <drivers.base.Instrument.on_notice>`)."""
        return self.inner.on_notice

    @on_notice.setter
    def on_notice(self, listener: Callable[[str], None] | None) -> None:
        self.inner.on_notice = listener

    def close(self) -> None:
        try:
            self.inner.close()
        finally:
            stop = getattr(self.simulator, "stop", None) or self.simulator.close
            stop()

    def describe(self) -> dict[str, Any]:
        return {**self.inner.describe(), "simulated": True}

    @property
    def modality(self) -> str | None:  # type: ignore[override]
        """What the real driver inside measures."""
        return self.inner.modality

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _serial(
    scheme: str, target: str, params: dict[str, str], name: str | None = None
) -> Instrument:
    baud = _number(params, "baud", int)
    timeout = _number(params, "timeout") or 1.0
    laser = {
        "laser_wavelength_nm": _number(params, "laser_nm"),
        "laser_power_mw": _number(params, "laser_mw"),
    }
    protocol = SERIAL_PROTOCOLS[scheme]
    transport = SerialTransport(target, baudrate=baud or 9600, name=name)
    try:
        return protocol.open(transport, params, baud=baud, command_timeout_s=timeout, **laser)
    except (NoAnswer, NotThisProtocol) as exc:
        transport.close()
        if name is None:  # a port the technician named, which may speak another protocol
            other = _protocol_answering(target, (baud or 9600, 115200), but=scheme)
            if other is not None:
                port = f"{other}:{target}" if "://" in target else f"{other}://{target}"
                raise type(exc)(
                    f"{target}: this port answers as {SERIAL_PROTOCOLS[other].instrument}, not "
                    f"as {protocol.instrument}",
                    advice=f"give the instrument's URL as {port}, then scan again",
                ) from None
        raise
    except BaseException:
        transport.close()
        raise


def _protocol_answering(target: str, rates: tuple[int, ...], *, but: str) -> str | None:
    """The serial protocol other than ``but`` that the device on ``target`` answers at one of
    ``rates``, or None (nothing answers it, or the port cannot be opened again)."""
    for scheme, protocol in SERIAL_PROTOCOLS.items():
        if scheme == but:
            continue
        try:
            with SerialTransport(target) as transport:
                for rate in dict.fromkeys(rates):
                    transport.baudrate = rate
                    if protocol.answers(transport, 0.3):
                        return scheme
        except InstrumentError:
            continue
    return None


def open_instrument(url: str, *, sample_resolver: SampleResolver | None = None) -> Instrument:
    """Open the instrument named by ``url`` (see the module table).

    Parameters
    ----------
    url : str
        The instrument URL (``obp:///dev/ttyACM0``, ``sim:ocean-rs232?sample=cocaine``).
    sample_resolver : callable (text, modality) -> Spectrum, optional
        ``sample_resolver(sample, modality)``: the reference spectrum a ``sim:`` URL's
        ``sample=`` names (``modality`` ``"raman"`` or ``"ir"``), such as
        :func:`forensic.samples.resolve_sample`. Needed for ``sim:`` URLs only: the drivers
        know nothing of the reference library, so whoever opens a simulator says where its
        sample comes from.

    Returns
    -------
    Instrument
        A context manager; closing it releases the port (and stops a simulator it started).

    Raises
    ------
    SettingError
        An unknown scheme, parameter or simulated protocol, a value out of range, or a
        ``sim:`` URL without a sample or opened without a ``sample_resolver``.
    InstrumentError
        The instrument cannot be opened, or does not answer in its URL's protocol.
    """
    scheme, target, params = parse_instrument_url(url)
    if scheme in SERIAL_PROTOCOLS:
        if not target:
            raise SettingError(f"{url}: no port given (e.g. {scheme}:///dev/ttyUSB0)")
        return _serial(scheme, target, params)
    if scheme == "seabreeze":
        return SeabreezeSpectrometer(
            target or None,
            laser_wavelength_nm=_number(params, "laser_nm"),
            laser_power_mw=_number(params, "laser_mw"),
        )
    if scheme == "folder":
        return FolderInstrument(
            target,
            settle_s=_number(params, "settle") or 1.0,
            include_existing=url_flag(params, "existing", False),
            timeout_s=_number(params, "timeout", bounds=_EXPORT_WAIT_RANGE) or DEFAULT_TIMEOUT_S,
        )
    return _simulated(target.lower(), params, sample_resolver)


def _simulated(kind: str, params: dict[str, str], resolver: SampleResolver | None) -> Instrument:
    if not params.get("sample"):
        # quoted, NAME in place of "NAME|FILE": pasted, | piped into a command named FILE
        raise SettingError(
            f"sim:{kind} needs a sample: 'sim:{kind}?sample=NAME', with a substance's name "
            "(caffeine) or a spectrum file's path in place of NAME"
        )
    if resolver is None:
        # the drivers know nothing of the library: whoever opens a simulator says where its
        # sample comes from (a name, a file or a cut sample, all through the one resolver)
        raise SettingError(
            f"sim:{kind}?sample={params['sample']}: no sample resolver to find the sample "
            "with: open_instrument needs sample_resolver= for a sim: URL (such as "
            "forensic.samples.resolve_sample, which reads a spectrum file or looks a name up "
            "in the library)"
        )
    seed = _number(params, "seed", int)
    if kind == "ftir":
        reference = resolver(params["sample"], "ir")
        simulator = FTIRFolderSimulator(reference, seed=seed)
        folder = FolderInstrument(
            simulator.folder,
            settle_s=0.3,
            poll_s=0.05,
            timeout_s=_number(params, "timeout", bounds=_EXPORT_WAIT_RANGE) or DEFAULT_TIMEOUT_S,
            trigger=simulator.trigger,
            metadata={
                "provenance": "simulated",
                "instrument_serial": "SIMFTIR",
                "instrument_model": "Simulated FTIR (forensic simulator)",
            },
            modality="ir",
            # messages name the instrument asked for, and its folder as where it runs
            name=f"sim:ftir (simulator exporting into {simulator.folder})",
        )
        return SimulatedInstrument(folder, simulator, reference)
    reference = resolver(params["sample"], "raman")
    realtime = url_flag(params, "realtime", True)
    simulator = (
        SERIAL_PROTOCOLS[kind]
        .simulator(reference, fault=params.get("fault") or None, seed=seed, realtime=realtime)
        .start()
    )
    serial_params = {k: v for k, v in params.items() if k in _SIM_SERIAL_PARAMETERS}
    try:
        # messages name the instrument asked for, and the pty as where it runs
        name = f"sim:{kind} (simulator on {simulator.device_path})"
        inner = _serial(kind, simulator.device_path, serial_params, name)
    except BaseException:
        simulator.stop()
        raise
    return SimulatedInstrument(inner, simulator, reference)
