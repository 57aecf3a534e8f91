"""forensic: identify seized substances from Raman and infrared spectra.

The public API in one place::

    import forensic
    spectrum = forensic.read_spectrum("exhibit.jdx")
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from forensic.errors import (
    CustodyError,
    ForensicError,
    FormatError,
    IdentificationError,
    InstrumentError,
    Interrupted,
    LibraryError,
    NotVibrationalError,
    SpectrumError,
)

if TYPE_CHECKING:
    from forensic.identification import Identification, identify
    from forensic.io import read_spectra, read_spectrum, write_spectrum
    from forensic.library import Library
    from forensic.spectrum import ProcessingStep, Spectrum

    __version__: str

# Imported on first use, not with the package: the engine pulls in SciPy and pyteomics, the
# readers NumPy, and the version lookup importlib.metadata; 'import forensic' itself takes a
# millisecond, so that the 'forensic' program handles Ctrl-C before anything slow is loaded.
_LAZY = {
    "read_spectra": ("forensic.io", "read_spectra"),
    "read_spectrum": ("forensic.io", "read_spectrum"),
    "write_spectrum": ("forensic.io", "write_spectrum"),
    "ProcessingStep": ("forensic.spectrum", "ProcessingStep"),
    "Spectrum": ("forensic.spectrum", "Spectrum"),
    "identify": ("forensic.identification", "identify"),
    "Identification": ("forensic.identification", "Identification"),
    "Library": ("forensic.library", "Library"),
}


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        return version("forensic-toolkit")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0+unknown"


def __getattr__(name: str):
    import importlib  # noqa: PLC0415

    if name == "__version__":
        value = _version()
    elif name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
    elif name in ("io", "spectrum"):  # the submodules the package used to import itself
        value = importlib.import_module(f"forensic.{name}")
    else:
        raise AttributeError(f"module 'forensic' has no attribute {name!r}")
    globals()[name] = value
    return value


__all__ = [
    "CustodyError",
    "ForensicError",
    "FormatError",
    "Identification",
    "IdentificationError",
    "InstrumentError",
    "Interrupted",
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
