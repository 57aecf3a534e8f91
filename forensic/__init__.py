"""forensic: identify seized substances from Raman and infrared spectra.

The public API in one place::

    import forensic
    spectrum = forensic.read_spectrum("exhibit.jdx")
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from forensic.errors import (
    CustodyError,
    ForensicError,
    FormatError,
    IdentificationError,
    InstrumentError,
    LibraryError,
    NotVibrationalError,
    SpectrumError,
)
from forensic.io import read_spectra, read_spectrum, write_spectrum
from forensic.spectrum import ProcessingStep, Spectrum

try:
    __version__ = version("forensic-toolkit")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "CustodyError",
    "ForensicError",
    "FormatError",
    "IdentificationError",
    "InstrumentError",
    "LibraryError",
    "NotVibrationalError",
    "ProcessingStep",
    "Spectrum",
    "SpectrumError",
    "__version__",
    "read_spectra",
    "read_spectrum",
    "write_spectrum",
]
