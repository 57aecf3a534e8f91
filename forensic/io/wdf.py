"""Renishaw WiRE WDF files: single Raman spectra (maps and series are refused, naming the count).

Own reader. ``renishawWiRE`` (the maintained Python reader) reads the real test files, but reads a
truncated file as if it were whole (short arrays, no error), and ``renishaw-wdf`` is
Renishaw's own larger accessor library; the layout needed for one spectrum is small:

- a 512-byte ``WDF1`` header block: points per spectrum (int32 at 60), capacity and count of
  spectra (int64 at 64 and 72), accumulations (int32 at 80), lengths of the y and x lists
  (int32 at 84 and 88), origin-list count (int32 at 92), application name (24 bytes at 96) and
  version (4 x int16 at 120), scan and measurement types (int32 at 128 and 132), spectral unit
  (int32 at 152), laser wavenumber (float32 cm-1 at 156), user (32 bytes at 208) and title
  (at 240);
- then blocks, each ``name`` (4 ASCII), ``uid`` (uint32), ``size`` (uint64, header included):
  ``DATA`` (float32 intensities, one spectrum after another), ``YLST`` and ``XLST`` (data type
  and unit, int32 each, then the float32 values), ``ORGN`` (per-spectrum origins, among them
  the acquisition time as a Windows FILETIME).

A file must hold every block its header declares (``YLST``, ``XLST`` and, with origin lists,
``ORGN``: see :func:`_refuse_missing_blocks`) and every block it starts must be whole.

What cannot be told: a copy cut exactly where a block ends, after those (WiRE then writes
``TEXT``, ``WXDM``, ``WXCS``, ``WXIS``, ``ZLDC``, ``BKXL``... in an order and number that
differ between WiRE versions and measurements). The header gives neither the file's size nor
its blocks, no block counts or lists the others, so such a copy looks whole; the spectrum,
its axis and its acquisition time, which come before, are read whole.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np

from forensic.errors import SpectrumError
from forensic.io import Format
from forensic.io._binary import BinaryFile, as_float64, c_string
from forensic.spectrum import ProcessingStep, Spectrum

__all__ = ["FORMAT", "read", "sniff"]

MAGIC = b"WDF1"
HEADER_SIZE = 512

MEASUREMENT_TYPES = {0: "unspecified", 1: "single", 2: "series", 3: "map"}
SCAN_TYPES = {
    0: "unspecified",
    1: "static",
    2: "continuous",
    3: "step-repeat",
    4: "filter scan",
    5: "filter image",
    6: "StreamLine",
    7: "StreamLineHR",
    8: "point detector",
}
UNITS = {
    0: "arbitrary",
    1: "Raman shift (cm-1)",
    2: "wavenumber (cm-1)",
    3: "nanometres",
    4: "electron volts",
    5: "micrometres",
    6: "counts",
    16: "pixels",
}
_TIME_ORIGIN = 11  # DataType.Time in the origin lists

_HEADER = np.dtype(
    [
        ("magic", "S4"),
        ("uid", "<u4"),
        ("size", "<u8"),
        ("flags", "<u8"),
        ("uuid", "S16"),
        ("unused", "S20"),
        ("points", "<i4"),
        ("capacity", "<i8"),
        ("count", "<i8"),
        ("accumulations", "<i4"),
        ("ylist_length", "<i4"),
        ("xlist_length", "<i4"),
        ("origin_count", "<i4"),
        ("application", "S24"),
        ("version", "<u2", (4,)),
        ("scan_type", "<i4"),
        ("measurement_type", "<i4"),
        ("unused2", "S16"),
        ("spectral_unit", "<i4"),
        ("laser_wavenumber", "<f4"),
        ("unused3", "S48"),
        ("user", "S32"),
        ("title", "S272"),
    ]
)
_BLOCK = np.dtype([("name", "S4"), ("uid", "<u4"), ("size", "<u8")])
_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=timezone.utc)


def sniff(head: bytes, path: Path) -> bool:
    """True when the file starts with ``WDF1``.

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
    return head[:4] == MAGIC


def read(path: str | Path) -> list[Spectrum]:
    """Read the single spectrum of a WDF file.

    Parameters
    ----------
    path : path-like
        A Renishaw WiRE ``.wdf`` file holding one spectrum.

    Returns
    -------
    list of Spectrum
        One Raman spectrum in counts, with ``laser_wavelength_nm``.

    Raises
    ------
    FormatError
        Maps and series (more than one spectrum: the message gives the count), truncated or
        corrupt files, axes in units other than Raman shift, absolute wavenumber or nm.
    """
    f = BinaryFile(path, "WDF")
    if f.data[:4] != MAGIC:
        raise f.error(f"not a WDF file: starts with {f.data[:4]!r}, expected b'WDF1'")
    h = f.record(0, _HEADER, "the 512-byte WDF1 header")
    if int(h["size"]) != HEADER_SIZE:
        raise f.error(f"corrupt WDF header: its block size is {int(h['size'])}, expected 512")
    points, count = int(h["points"]), int(h["count"])
    measurement = MEASUREMENT_TYPES.get(int(h["measurement_type"]), "unknown")
    if count > 1:
        raise f.error(
            f"holds {count} spectra (a {measurement} measurement, "
            f"{SCAN_TYPES.get(int(h['scan_type']), 'unknown')} scan); only single-spectrum "
            "WDF files are read: export the spectra you need from WiRE"
        )
    if count < 1:
        raise f.error("holds no recorded spectrum (the measurement was not completed)")
    if points < 1 or int(h["xlist_length"]) != points:
        raise f.error(
            f"corrupt WDF header: {points} points per spectrum but an x list of "
            f"{int(h['xlist_length'])}"
        )
    blocks = _blocks(f)
    _refuse_missing_blocks(f, h, blocks)

    data_offset, data_size = blocks["DATA"]
    if data_size < 16 + 4 * points:
        raise f.error(
            f"truncated WDF file: the DATA block holds {(data_size - 16) // 4} values, "
            f"expected {points}"
        )
    intensity = as_float64(
        f.array(data_offset + 16, "<f4", points, f"the intensities ({points} float32)")
    )
    x_offset, x_size = blocks["XLST"]
    if x_size < 24 + 4 * points:
        raise f.error(
            f"truncated WDF file: the XLST block holds {(x_size - 24) // 4} values, "
            f"expected {points}"
        )
    # The x list holds exactly the points of one spectrum, and DATA whole spectra of them
    # (as many as the capacity WiRE reserved): a point count that fits neither is corrupt,
    # and would read the spectrum short.
    f.check_points(
        points, (x_size - 24) // 4, declared_by="the header", held_by="the XLST block", spare=0
    )
    if ((data_size - 16) // 4) % points:
        raise f.error(
            f"corrupt WDF file: the DATA block holds {(data_size - 16) // 4} values, not a "
            f"whole number of spectra of {points} points (the header's point count)"
        )
    x_type, x_unit = (int(v) for v in f.array(x_offset + 16, "<i4", 2, "the x list header"))
    x = as_float64(f.array(x_offset + 24, "<f4", points, f"the x list ({points} float32)"))

    laser_wavenumber = float(h["laser_wavenumber"])
    laser = (
        1e7 / laser_wavenumber if np.isfinite(laser_wavenumber) and laser_wavenumber > 0 else None
    )
    meta: dict[str, Any] = {
        "wdf_measurement_type": measurement,
        "wdf_scan_type": SCAN_TYPES.get(int(h["scan_type"]), f"unknown ({int(h['scan_type'])})"),
        "wdf_x_unit": UNITS.get(x_unit, f"unknown ({x_unit})"),
        "averages": int(h["accumulations"]),
    }
    title = c_string(h["title"], "utf-8")
    if title:
        meta["name"] = title
    user = c_string(h["user"], "utf-8")
    if user:
        meta["operator"] = user
    application = c_string(h["application"], "utf-8")
    if application:
        version = ".".join(str(int(v)) for v in h["version"])
        meta["wdf_application"] = f"{application} {version}"
    if laser is not None:
        meta["laser_wavelength_nm"] = round(laser, 4)
    if "ORGN" in blocks:
        acquired = _acquired_at(f, blocks["ORGN"], int(h["origin_count"]), int(h["capacity"]))
        if acquired:
            meta["acquired_at"] = acquired

    history = []
    try:
        if x_unit == 1:
            shift = x
        elif x_unit in (2, 3) and laser is None:
            raise f.error(
                f"the x axis is in {UNITS[x_unit]} but the file gives no laser wavelength"
            )
        elif x_unit == 2:
            shift = laser_wavenumber - x
            history.append(
                ProcessingStep("wavenumber_to_raman_shift", {"laser_wavelength_nm": laser})
            )
        elif x_unit == 3:
            return [
                Spectrum.from_wavelength(
                    x, intensity, laser_wavelength_nm=laser, y_unit="counts", metadata=meta
                )
            ]
        else:
            raise f.error(
                f"the x axis is in {UNITS.get(x_unit, f'unit code {x_unit}')} (x list data "
                f"type {x_type}); expected Raman shift, wavenumber or nm"
            )
        return [
            Spectrum.from_readings(
                shift,
                intensity,
                modality="raman",
                y_unit="counts",
                metadata=meta,
                history=history,
            )
        ]
    except SpectrumError as exc:
        raise f.error(f"the WDF spectrum is not usable: {exc}") from None


def _blocks(f: BinaryFile) -> dict[str, tuple[int, int]]:
    """Offsets and sizes of the blocks after the header (the first of each name).

    The blocks follow one another to the end of the file, each giving its own size. Every block
    must be whole, also the ones not read here (white-light image, WiRE settings): WiRE writes
    the spectrum first, so a copy cut short loses those blocks and nothing else would tell.
    Zero bytes after the last block are padding.
    """
    found: dict[str, tuple[int, int]] = {}
    offset = HEADER_SIZE
    while offset < len(f):
        if offset + _BLOCK.itemsize > len(f):
            if any(f.data[offset:]):
                raise f.error(
                    f"truncated WDF file: a block header at offset {offset} is cut short "
                    f"({len(f) - offset} of {_BLOCK.itemsize} bytes)"
                )
            break
        block = f.record(offset, _BLOCK, "a WDF block header")
        size = int(block["size"])
        name = bytes(block["name"]).decode("latin-1")
        if size == 0 and not any(f.data[offset:]):
            break  # zero padding after the last block
        if size < _BLOCK.itemsize:
            raise f.error(
                f"corrupt WDF file: block {name!r} at offset {offset} declares {size} bytes"
            )
        if offset + size > len(f):
            raise f.error(
                f"truncated WDF file: block {name} at offset {offset} declares {size} bytes, "
                f"but {f.left_after(offset)}"
            )
        found.setdefault(name, (offset, size))
        offset += size
    return found


def _refuse_missing_blocks(f: BinaryFile, h: np.void, blocks: dict[str, tuple[int, int]]) -> None:
    """Raise unless the file holds every block its header declares, each as large as declared.

    The header gives the lengths of the x and y lists and the number of origin lists (where
    and when each spectrum was taken), so a whole file holds ``DATA``, ``XLST``, ``YLST`` and,
    with origin lists, ``ORGN``. WiRE writes ``ORGN`` after the spectrum and its x list: a copy
    cut at the end of a block before it read as the whole spectrum, without its acquisition
    time, and nothing else showed the cut. The blocks after those (comment, WiRE's measurement,
    calibration and instrument settings, images) are declared nowhere, and which of them a file
    holds depends on the WiRE version and the measurement: a copy that ends cleanly before one
    of them cannot be told from a whole file.
    """
    origins, ylist = int(h["origin_count"]), int(h["ylist_length"])
    # in the order WiRE writes them
    declared = {"DATA": "which holds the spectra"}
    if ylist > 0:
        declared["YLST"] = f"declared by the header (ylist_length {ylist})"
    declared["XLST"] = f"declared by the header (xlist_length {int(h['xlist_length'])})"
    if origins > 0:
        declared["ORGN"] = f"declared by the header (origin_count {origins})"
    missing = [name for name in declared if name not in blocks]
    if missing:
        # _blocks has checked that they follow one another: the last one ends the file's blocks
        end, last = max(
            ((offset + size, f"the {name} block") for name, (offset, size) in blocks.items()),
            default=(HEADER_SIZE, "the header"),
        )
        absent = "; ".join(f"no {name} block, {declared[name]}" for name in missing)
        raise f.error(
            f"truncated or corrupt WDF file: {absent}; the blocks end at byte {end}, after {last}"
        )
    if ylist > 0:
        y_offset, y_size = blocks["YLST"]
        if y_size < 24 + 4 * ylist:
            raise f.error(
                f"corrupt WDF file: the header declares a y list of {ylist} values (ylist_length) "
                f"but the YLST block at offset {y_offset} holds {max(y_size - 24, 0) // 4}"
            )
    if origins > 0:
        _check_origin_lists(f, blocks["ORGN"], origins, int(h["capacity"]))


def _check_origin_lists(f: BinaryFile, block: tuple[int, int], lists: int, capacity: int) -> None:
    """Raise unless the ``ORGN`` block holds the header's number of origin lists, each with a
    value for every spectrum the file has room for (its capacity)."""
    offset, size = block
    stated = (
        int(f.array(offset + 16, "<u4", 1, "the number of origin lists (ORGN)")[0])
        if size >= 20
        else 0
    )
    room = max(size - 20, 0) // (24 + 8 * max(capacity, 0))
    if stated != lists or room < lists:
        raise f.error(
            f"corrupt WDF file: the header declares {lists} origin lists (origin_count) of "
            f"{capacity} values (capacity), but the ORGN block at offset {offset} says it holds "
            f"{stated} and has room for {room}"
        )


def _acquired_at(f: BinaryFile, block: tuple[int, int], lists: int, capacity: int) -> str | None:
    """The first spectrum's time from the origin lists (a Windows FILETIME), ISO 8601 UTC."""
    offset, size = block
    position = offset + 20
    step = 24 + 8 * max(capacity, 0)
    for _ in range(max(min(lists, 64), 0)):
        if position + 24 + 8 > offset + size:
            return None
        kind = int(np.frombuffer(f.data, "<u4", 1, position)[0]) & 0x7FFFFFFF
        if kind == _TIME_ORIGIN:
            ticks = int(np.frombuffer(f.data, "<i8", 1, position + 24)[0])
            try:
                moment = _FILETIME_EPOCH + timedelta(microseconds=ticks // 10)
            except OverflowError:
                return None
            if 1990 <= moment.year <= 2100:
                return moment.replace(microsecond=0).isoformat()
            return None
        position += step
    return None


FORMAT = Format(
    name="wdf",
    description="Renishaw WiRE WDF",
    extensions=(".wdf",),
    sniff=sniff,
    read=read,
    text=False,
)
