"""Instrument drivers and simulated instruments that produce :class:`forensic.Spectrum`."""
