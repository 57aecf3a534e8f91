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

_LAZY = {
    "identify": ("forensic.identify", "identify"),
    "Identification": ("forensic.identify", "Identification"),
    "Library": ("forensic.library", "Library"),
}


def __getattr__(name: str):
    # the engine pulls in SciPy and pyteomics: import it on first use, not with the package
    if name in _LAZY:
        import importlib  # noqa: PLC0415

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'forensic' has no attribute {name!r}")


try:
    __version__ = version("forensic-toolkit")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "CustodyError",
    "ForensicError",
    "FormatError",
    "Identification",
    "IdentificationError",
    "InstrumentError",
    "Library",
    "LibraryError",
    "NotVibrationalError",
    "ProcessingStep",
    "Spectrum",
    "SpectrumError",
    "__version__",
    "identify",
    "read_spectra",
    "read_spectrum",
    "write_spectrum",
]
