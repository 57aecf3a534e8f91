"""Instrument drivers and simulated instruments that produce :class:`forensic.Spectrum`.

Layers: :mod:`drivers.transport` (pyserial ports from URLs) -> protocol framing
(:mod:`drivers.ocean_rs232`, :mod:`drivers.obp`: pure functions on bytes) -> instrument models
(:class:`~drivers.base.Spectrometer` subclasses) -> :mod:`drivers.acquisition` (the safe
workflow). :mod:`drivers.simulators` serves the same bytes on a pseudo-terminal.

Quick start::

    from drivers import open_instrument
    with open_instrument("ocean-rs232:///dev/ttyUSB0?baud=115200") as spectrometer:
        spectrum = spectrometer.acquire(averages=4)
"""

from drivers.urls import open_instrument

__all__ = ["open_instrument"]
