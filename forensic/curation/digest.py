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
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from forensic.spectrum import Spectrum

__all__ = ["DATA_DIGEST_KEY", "data_digest", "digest_problem"]

DATA_DIGEST_KEY = "data_sha256"
"""The metadata key of the digest (:func:`data_digest`): ``##$data_sha256=`` in JCAMP-DX."""


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
