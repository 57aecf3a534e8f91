"""Simulated instruments: the exact bytes of each protocol, served on a pseudo-terminal.

Every spectrum they produce is synthesised from a reference spectrum and is marked
``provenance = "simulated"``: it is never to be presented as a measurement.
"""

from drivers.simulators.pty import FAULTS, PtySimulator, RamanPtySimulator
from drivers.simulators.synth import DetectorModel, RamanSynthesizer, simulate_ftir

__all__ = [
    "FAULTS",
    "DetectorModel",
    "PtySimulator",
    "RamanPtySimulator",
    "RamanSynthesizer",
    "simulate_ftir",
]
