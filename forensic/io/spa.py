"""Thermo Fisher OMNIC SPA files (and SPG groups, which share the layout).

Own reader: no maintained, light Python package reads SPA (spectrochempy does, but it is far too
heavy for the core). The layout, as publicly documented by the spectrochempy project and checked
here against real files:

- ``Spectral Data File`` at offset 0; the spectrum title (256 bytes) at 30; the number of
  directory records (uint16) at 294; the collection time (uint32 seconds since 1899-12-31 UTC)
  at 296; a directory of 16-byte records from 304: a key (uint8), the position (uint32, at +2)
  and the length in bytes (uint32, at +6) of a block.
- Key 2, the spectrum header: number of points (uint32, +4), x unit code (+8), y unit code
  (+12), the x of the first and of the last stored point (float32, +16 and +20), the Raman
  excitation (float32 cm-1, +96).
- Key 3, the intensities (float32); key 27, the collection history text.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np

from forensic.errors import NotVibrationalError, SpectrumError
from forensic.io import Format
from forensic.io._binary import BinaryFile, as_float64, c_string
from forensic.spectrum import ProcessingStep, Spectrum

__all__ = ["FORMAT", "read", "sniff"]

MAGIC = b"Spectral Data File"
SERIES_MAGIC = b"Spectral Exte File"

X_UNITS = {
    1: "wavenumber (cm-1)",
    2: "data points",
    3: "nanometres",
    4: "micrometres",
    32: "Raman shift (cm-1)",
}
Y_UNITS = {
    11: "%reflectance",
    12: "log(1/R)",
    15: "single beam",
    16: "%transmittance",
    17: "absorbance",
    20: "Kubelka-Munk",
    21: "reflectance",
    22: "volts (interferogram)",
    26: "photoacoustic",
    31: "Raman intensity",
}
_Y_UNIT = {
    11: "reflectance",
    12: "absorbance",
    16: "percent_transmittance",
    17: "absorbance",
    20: "kubelka_munk",
    21: "reflectance",
}

_RECORD = np.dtype(
    [("key", "u1"), ("pad", "u1"), ("position", "<u4"), ("length", "<u4"), ("rest", "S6")]
)
_HEADER = np.dtype(
    [
        ("unknown0", "<u4"),
        ("npts", "<u4"),
        ("x_unit", "u1"),
        ("pad1", "S3"),
        ("y_unit", "u1"),
        ("pad2", "S3"),
        ("x_first", "<f4"),
        ("x_last", "<f4"),
        ("unknown24", "<u4"),
        ("scan_points", "<u4"),
        ("peak_position", "<u4"),
        ("sample_scans", "<u4"),
        ("unknown40", "S40"),
        ("reference_frequency", "<f4"),
        ("sample_spacing", "<f4"),
        ("unknown88", "<u4"),
        ("aperture", "<f4"),
        ("raman_excitation", "<f4"),
    ]
)
_EPOCH = datetime(1899, 12, 31, tzinfo=timezone.utc)


def sniff(head: bytes, path: Path) -> bool:
    """True when the file starts with ``Spectral Data File`` (SPA/SPG) or is an SRS series.

    Parameters
    ----------
    head : bytes
        The first :data:`~forensic.io.SNIFF_BYTES` bytes of the file.
    path : Path
        The file (not looked at: the bytes decide).

    Returns
    -------
    bool
    """
    return head.startswith(MAGIC) or head.startswith(SERIES_MAGIC)


def read(path: str | Path) -> list[Spectrum]:
    """Read the spectrum (or, for an SPG group, each spectrum) of an OMNIC file.

    Parameters
    ----------
    path : path-like
        An OMNIC ``.spa`` or ``.spg`` file.

    Returns
    -------
    list of Spectrum

    Raises
    ------
    NotVibrationalError
        An interferogram, or a UV-visible spectrum.
    FormatError
        Not an SPA file, an OMNIC series (SRS), or truncated or corrupt.
    """
    f = BinaryFile(path, "OMNIC SPA")
    if f.data.startswith(SERIES_MAGIC):
        raise f.error(
            "OMNIC series files (SRS) are not supported: export the spectra as SPA or CSV"
        )
    if not f.data.startswith(MAGIC):
        raise f.error(f"not an OMNIC SPA file: starts with {f.data[:18]!r}, expected {MAGIC!r}")
    f.need(0, 304, "the 304-byte SPA file header")
    title = c_string(f.data[30:286])
    count = int(np.frombuffer(f.data, "<u2", 1, 294)[0])
    records = f.array(304, _RECORD, count, f"the SPA directory ({count} records)")
    stamp = int(np.frombuffer(f.data, "<u4", 1, 296)[0])
    _check_blocks(f, records)
    headers = [r for r in records if r["key"] == 2]
    payloads = [r for r in records if r["key"] == 3]
    if not headers or not payloads:
        raise f.error(
            "corrupt SPA file: no spectrum header (key 2) or no intensities (key 3) in its "
            "directory"
        )
    history = ""
    for record in records:
        if record["key"] == 27:
            f.need(int(record["position"]), int(record["length"]), "the SPA history text")
            start = int(record["position"])
            raw = f.data[start : start + int(record["length"])]
            history = raw.split(b"\0", 1)[0].decode("latin-1").strip()
            break
    common: dict[str, Any] = {}
    if title:
        common["name"] = title
    if stamp:
        moment = _EPOCH + timedelta(seconds=stamp)
        common["acquired_at"] = moment.isoformat()
    if history:
        common["spa_history"] = history
        serial = re.search(r"(?:Serial Number|S\S*rie du banc)\s*:\s*(\S+)", history, re.I)
        if serial:
            common["instrument_serial"] = serial.group(1)
        resolution = re.search(r"R\S*solution\s*:\s*([0-9]+(?:[.,][0-9]+)?)", history, re.I)
        if resolution:
            common["resolution_cm1"] = float(resolution.group(1).replace(",", "."))
    if len(headers) != len(payloads):
        raise f.error(
            f"corrupt SPA file: {len(headers)} spectrum headers but {len(payloads)} intensity "
            "blocks"
        )
    spectra = []
    for index, (head_record, data_record) in enumerate(zip(headers, payloads, strict=True)):
        meta = dict(common)
        if len(headers) > 1:
            meta["spa_index"] = index
        spectra.append(_spectrum(f, head_record, data_record, meta))
    return spectra


def _check_blocks(f: BinaryFile, records: np.ndarray) -> None:
    """Every block the directory lists must be in the file, also those not read here.

    OMNIC writes the spectrum before the interferogram and background blocks, so a copy cut
    short still holds the intensities; only the directory shows that the file is not whole.
    """
    for number, record in enumerate(records, start=1):
        length = int(record["length"])
        if length:  # records of length 0 are empty or terminate the directory
            what = f"block key {int(record['key'])} (directory record {number} of {len(records)})"
            f.need(int(record["position"]), length, what)


def _spectrum(f: BinaryFile, head_record: np.void, data_record: np.void, meta: dict) -> Spectrum:
    header = f.record(int(head_record["position"]), _HEADER, "the SPA spectrum header")
    npts = int(header["npts"])
    x_unit, y_unit_code = int(header["x_unit"]), int(header["y_unit"])
    meta["spa_x_unit"] = X_UNITS.get(x_unit, f"unknown ({x_unit})")
    meta["spa_y_unit"] = Y_UNITS.get(y_unit_code, f"unknown ({y_unit_code})")
    if x_unit == 2 or y_unit_code == 22:
        raise NotVibrationalError(
            "an interferogram", path=f.path, detail=f"SPA x axis {meta['spa_x_unit']}"
        )
    if npts < 1:
        raise f.error(f"corrupt SPA file: the spectrum header declares {npts} points")
    # The intensity block is sized for the points: a count that does not fill it is corrupt.
    f.check_points(
        npts,
        int(data_record["length"]) // 4,
        declared_by="the spectrum header",
        held_by="the intensity block",
    )
    intensity = as_float64(
        f.array(int(data_record["position"]), "<f4", npts, f"the SPA intensities ({npts} float32)")
    )
    x = f.even_axis(
        float(header["x_first"]),
        float(header["x_last"]),
        npts,
        fields="the spectrum header's first and last x",
    )
    excitation = float(header["raman_excitation"])
    raman = x_unit == 32 or y_unit_code == 31
    laser = 1e7 / excitation if raman and np.isfinite(excitation) and excitation > 0 else None
    if laser is not None:
        meta["laser_wavelength_nm"] = round(laser, 3)
    history = []
    try:
        if x_unit in (1, 32):
            pass
        elif x_unit == 4:
            x = 1e4 / x
            history.append(ProcessingStep("micrometre_to_wavenumber", {}))
        elif x_unit == 3:
            if raman and laser is not None:
                return Spectrum.from_wavelength(
                    x, intensity, laser_wavelength_nm=laser, y_unit="arbitrary", metadata=meta
                )
            if float(np.min(x)) < 700.0:
                raise NotVibrationalError(
                    "a UV-visible spectrum",
                    path=f.path,
                    detail=f"wavelength axis {np.min(x):.4g}-{np.max(x):.4g} nm",
                )
            x = 1e7 / x
            history.append(ProcessingStep("nanometre_to_wavenumber", {}))
        else:
            raise f.error(
                f"the SPA x axis unit code {x_unit} is not one this reader knows; expected "
                "wavenumber, Raman shift, nm or micrometres"
            )
        y_unit = "arbitrary" if raman else _Y_UNIT.get(y_unit_code, "arbitrary")
        return Spectrum.from_readings(
            x,
            intensity,
            modality="raman" if raman else "ir",
            y_unit=y_unit,
            metadata=meta,
            history=history,
        )
    except SpectrumError as exc:
        raise f.error(f"the SPA spectrum is not usable: {exc}") from None


FORMAT = Format(
    name="spa",
    description="Thermo OMNIC SPA",
    extensions=(".spa", ".spg"),
    sniff=sniff,
    read=read,
    text=False,
)
