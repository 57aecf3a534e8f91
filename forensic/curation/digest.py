"""The digest of a reference's values: what shows that a reference file was edited by hand.

Every reference file the toolkit writes into a library folder (``library import``, ``library
export``) states, as ``##$data_sha256=`` in a JCAMP-DX file (a ``data_sha256`` metadata key in
a forensic CSV), the SHA-256 of the values it holds (:func:`data_digest`). A value changed by
hand afterwards no longer gives that digest, and the metadata gate of ``library validate``
fails the file "edited after import", where the file would otherwise go on claiming the
instrument file it was imported from (``##$imported_file=``, ``##$imported_sha256=``).

Files without the digest (written before the toolkit wrote one, or by hand, and the shipped
library's modelled references, which ``tools/model_library.py`` checks against their band
tables instead) are named in a note: an edit of their values cannot be told.

The values also tell one measurement from another (:func:`same_measurement`): two references
that hold the same values, to the last digits a text export keeps, are one measurement
counted twice (the same file imported twice, or a copy or a re-export of it), never two
replicates. ``library import`` refuses a second entry of a measurement, and the duplicates
gate of ``library validate`` fails one found in a folder.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from forensic.spectrum import Spectrum

__all__ = [
    "DATA_DIGEST_KEY",
    "SAME_AXIS_STEP_FRACTION",
    "SAME_INTENSITY_FRACTION",
    "data_digest",
    "digest_problem",
    "same_measurement",
]

DATA_DIGEST_KEY = "data_sha256"
"""The metadata key of the digest (:func:`data_digest`): ``##$data_sha256=`` in JCAMP-DX."""


SAME_AXIS_STEP_FRACTION = 0.01
"""Two axes are the same sampling when every wavenumber agrees within this fraction of the
median step (a re-export that prints 0.01 cm-1 of a 1 cm-1 step)."""

SAME_INTENSITY_FRACTION = 1e-5
"""Two spectra hold the same intensities when every point agrees within this fraction of the
largest absolute intensity: the rounding of an export that keeps 6 significant digits, and
far below the noise of any measurement (a signal-to-noise of 100 000 at the strongest band)."""


def data_digest(spectrum: Spectrum) -> str:
    """The SHA-256 of a spectrum's values, as a reference file written by the toolkit holds them.

    What is hashed, so that anyone can recompute it from the file: the wavenumbers (cm⁻¹),
    then the intensities, each as IEEE 754 double-precision numbers (float64, little-endian,
    8 bytes each), in the order the file's table holds them (increasing wavenumber), nothing
    between or around them. The numbers are those of the table as written: in a JCAMP-DX
    file the toolkit wrote, each line's values of ``##XYPOINTS=(XY..XY)``, or for
    ``##XYDATA=(X++(Y..Y))`` the intensities as written and the wavenumbers
    ``numpy.linspace(FIRSTX, LASTX, NPOINTS)`` (the writer uses that form only when it gives
    the axis exactly); intensities before ``##YFACTOR`` is applied (percent transmittance is
    hashed in percent). In Python::

        s = forensic.read_spectrum(path)
        x = numpy.asarray(s.wavenumber, dtype="<f8").tobytes()
        y = numpy.asarray(s.intensity, dtype="<f8").tobytes()
        hashlib.sha256(x + y).hexdigest()

    Labels (name, CAS number, unit, provenance) are not covered: the metadata gate checks
    those against the manifest, and the library's version covers them.

    Parameters
    ----------
    spectrum : Spectrum
        The spectrum, as read from the file or as about to be written.

    Returns
    -------
    str
        64 lowercase hexadecimal digits.
    """
    x = np.ascontiguousarray(spectrum.wavenumber, dtype="<f8").tobytes()
    y = np.ascontiguousarray(spectrum.intensity, dtype="<f8").tobytes()
    return hashlib.sha256(x + y).hexdigest()


def digest_problem(spectrum: Spectrum) -> str | None:
    """Why a spectrum's values are not those its file's digest was written for, or None.

    Parameters
    ----------
    spectrum : Spectrum
        A spectrum as read from a file (its metadata holds the file's
        :data:`DATA_DIGEST_KEY`, if any).

    Returns
    -------
    str or None
        None when the file states no digest (nothing can be told) or its values give it;
        else the fact, with both digests' first 12 digits and the file it was imported from
        when it says so.
    """
    stated: Any = spectrum.metadata.get(DATA_DIGEST_KEY)
    if stated is None or stated == "":
        return None
    now = data_digest(spectrum)
    if str(stated).strip().lower() == now:
        return None
    origin = spectrum.metadata.get("imported_file")
    return (
        "edited after import: values no longer match the digest written at import "
        f"(##${DATA_DIGEST_KEY}={str(stated)[:12]}..., the values give {now[:12]}...)"
        + (
            f"; its ##$imported_file= ({origin}) is not where these values come from"
            if origin
            else ""
        )
    )


def same_measurement(first: Spectrum, second: Spectrum) -> bool:
    """Whether two spectra hold the values of one measurement: the same file read twice, or a
    copy or a re-export of it, not a second measurement of the sample.

    Two measurements never agree at every point to within a hundred-thousandth of their
    strongest intensity (detector noise is far larger), and a copy, or an export that keeps 6
    significant digits, always does. Labels (name, modality, unit) are not compared: the same
    values under another name are still the same measurement.

    Parameters
    ----------
    first, second : Spectrum
        The spectra, as read (each axis increasing, as every reader gives it).

    Returns
    -------
    bool
        True when both have the same number of points, their wavenumbers (cm⁻¹) agree within
        :data:`SAME_AXIS_STEP_FRACTION` of the median step and their intensities within
        :data:`SAME_INTENSITY_FRACTION` of the largest absolute intensity of the two.
    """
    x1 = np.asarray(first.wavenumber, dtype=float)
    x2 = np.asarray(second.wavenumber, dtype=float)
    if x1.shape != x2.shape:
        return False
    step = float(np.median(np.abs(np.diff(x1)))) if x1.size > 1 else 0.0
    if np.any(np.abs(x1 - x2) > SAME_AXIS_STEP_FRACTION * step):
        return False
    y1 = np.asarray(first.intensity, dtype=float)
    y2 = np.asarray(second.intensity, dtype=float)
    scale = max(float(np.max(np.abs(y1))), float(np.max(np.abs(y2)))) if y1.size else 0.0
    return bool(np.all(np.abs(y1 - y2) <= SAME_INTENSITY_FRACTION * scale))
