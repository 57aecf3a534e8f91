"""Thermo Galactic SPC files (GRAMS): the new LSB format (0x4B) and the old format (0x4D).

Own reader, written from the published Galactic SPC file format description (``SPC.H``): the
maintained Python package ``spc-io`` needs pandas and pydantic, reads neither the old format nor
the multi-spectrum old files, and lets truncated files through with warnings; this reader checks
every size against the file and refuses non-vibrational data (GC-MS, NMR, UV, interferograms) by
the header's experiment type and axis units.

What is read
    Single files and multi-spectrum files (``TMULTI``), evenly spaced axes, a common x array
    (``TXVALS``) and per-spectrum x arrays (``TXYXYS``); 16-bit, 32-bit integer and IEEE float
    intensities; the log block's text (``spc_log``); comment, source instrument, date, resolution
    and, for Raman, the laser wavelength when the log states it. A single spectrum is named by
    the comment (else a sample name in the log); the subfiles of a multi-spectrum file only by a
    sample name in the log: the comment describes the series (``spc_comment``), and a subfile has
    no name of its own, so none is made up for it.
What is refused
    The big-endian new format (0x4C, from old Motorola-based systems) with a clear message; files
    whose axis is m/z, ppm, time or an arbitrary unit; interferograms; UV-visible spectra; scale
    fields no genuine file holds (an integer exponent outside :data:`EXPONENT_RANGE`, a single
    spectrum's ``fexp`` and ``subexp`` that disagree, axis ends that are not finite or equal).
What cannot be told
    An exponent of integer intensities damaged to another value within :data:`EXPONENT_RANGE`:
    in ``fexp`` of a single spectrum whose writer left ``subexp`` zero, in both bytes alike, or
    in a subfile's ``subexp`` (each subfile has a scale of its own). The integers themselves are
    the same whatever the exponent, and the format records no largest value or checksum to
    compare with, so every intensity is read a power of two too large or small. Absorbance and
    transmittance that leave their ranges then are caught by the unit checks downstream
    (:func:`forensic.quality.diagnose_ir_range`, the library's units gate); counts are not.
    Float intensities (``fexp`` = -128) have no exponent to damage.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from forensic.errors import NotVibrationalError, SpectrumError
from forensic.io import Format, check_spectrum_count
from forensic.io._binary import BinaryFile, as_float64, c_string, iso_datetime
from forensic.spectrum import (
    GUESSED_UNIT_BASIS,
    TRANSMITTANCE_SCALE_RULE,
    ProcessingStep,
    Spectrum,
    nanometre_to_wavenumber,
    transmittance_scale,
)

__all__ = ["FORMAT", "read", "sniff"]

NEW_LSB, NEW_MSB, OLD = 0x4B, 0x4C, 0x4D

# ftflgs bits
TSPREC, TCGRAM, TMULTI, TRANDM, TORDRD, TALABS, TXYXYS, TXVALS = (1 << i for i in range(8))

FLOAT_EXPONENT = -128  # 0x80 in the exponent byte: intensities are IEEE float32

EXPONENT_RANGE = (-32, 48)
"""The exponents integer intensities may have. The integers are fractions of ``2**exponent``,
so the exponent is the full scale a writer chose to hold the spectrum's largest value: real
files use -5 (old-format contour data) to 28 (single-beam counts). Outside this range the full
scale is below 2e-10 or above 3e14 (100 000 times what a detector counts), which no recorded
spectrum needs: a damaged exponent byte, which would rescale every intensity by a power of two
without another sign."""

_NEW_HEADER = np.dtype(
    [
        ("ftflgs", "u1"),
        ("fversn", "u1"),
        ("fexper", "u1"),
        ("fexp", "i1"),
        ("fnpts", "<i4"),
        ("ffirst", "<f8"),
        ("flast", "<f8"),
        ("fnsub", "<i4"),
        ("fxtype", "u1"),
        ("fytype", "u1"),
        ("fztype", "u1"),
        ("fpost", "u1"),
        ("fdate", "<u4"),
        ("fres", "S9"),
        ("fsource", "S9"),
        ("fpeakpt", "<u2"),
        ("fspare", "<f4", (8,)),
        ("fcmnt", "S130"),
        ("fcatxt", "S30"),
        ("flogoff", "<i4"),
        ("fmods", "<u4"),
        ("fprocs", "u1"),
        ("flevel", "u1"),
        ("fsampin", "<u2"),
        ("ffactor", "<f4"),
        ("fmethod", "S48"),
        ("fzinc", "<f4"),
        ("fwplanes", "<i4"),
        ("fwinc", "<f4"),
        ("fwtype", "u1"),
        ("freserv", "S187"),
    ]
)
assert _NEW_HEADER.itemsize == 512

_OLD_HEADER = np.dtype(
    [
        ("oftflgs", "u1"),
        ("oversn", "u1"),
        ("oexp", "<i2"),
        ("onpts", "<f4"),
        ("ofirst", "<f4"),
        ("olast", "<f4"),
        ("oxtype", "u1"),
        ("oytype", "u1"),
        ("oyear", "<u2"),
        ("omonth", "u1"),
        ("oday", "u1"),
        ("ohour", "u1"),
        ("ominute", "u1"),
        ("ores", "S8"),
        ("opeakpt", "<u2"),
        ("onscans", "<u2"),
        ("ospare", "<f4", (7,)),
        ("ocmnt", "S130"),
        ("ocatxt", "S30"),
        ("osubh1", "S32"),
    ]
)
assert _OLD_HEADER.itemsize == 256

_SUBHEADER = np.dtype(
    [
        ("subflgs", "u1"),
        ("subexp", "i1"),
        ("subindx", "<u2"),
        ("subtime", "<f4"),
        ("subnext", "<f4"),
        ("subnois", "<f4"),
        ("subnpts", "<i4"),
        ("subscan", "<i4"),
        ("subwlevel", "<f4"),
        ("subresv", "S4"),
    ]
)
assert _SUBHEADER.itemsize == 32

_LOG_HEADER = np.dtype(
    [
        ("logsizd", "<i4"),
        ("logsizm", "<i4"),
        ("logtxto", "<i4"),
        ("logbins", "<i4"),
        ("logdsks", "<i4"),
        ("logspar", "S44"),
    ]
)

EXPERIMENTS = {
    0: "general",
    1: "gas chromatogram",
    2: "chromatogram",
    3: "HPLC chromatogram",
    4: "FT-IR, FT-NIR or FT-Raman",
    5: "NIR",
    7: "UV-VIS",
    8: "X-ray diffraction",
    9: "mass spectrum",
    10: "NMR",
    11: "Raman",
    12: "fluorescence",
    13: "atomic",
    14: "chromatography diode array",
}

X_TYPES = {
    0: "arbitrary",
    1: "wavenumber (cm-1)",
    2: "micrometres",
    3: "nanometres",
    4: "seconds",
    5: "minutes",
    6: "hertz",
    7: "kilohertz",
    8: "megahertz",
    9: "mass (m/z)",
    10: "parts per million",
    11: "days",
    12: "years",
    13: "Raman shift (cm-1)",
    14: "electron volts",
    15: "text labels",
    16: "diode number",
    17: "channel",
    18: "degrees",
    19: "degrees Fahrenheit",
    20: "degrees Celsius",
    21: "kelvin",
    22: "data points",
    23: "milliseconds",
    24: "microseconds",
    25: "nanoseconds",
    26: "gigahertz",
    27: "centimetres",
    28: "metres",
    29: "millimetres",
    30: "hours",
    255: "double interferogram",
}

Y_TYPES = {
    0: "arbitrary intensity",
    1: "interferogram",
    2: "absorbance",
    3: "Kubelka-Munk",
    4: "counts",
    5: "volts",
    6: "degrees",
    7: "milliamps",
    8: "millimetres",
    9: "millivolts",
    10: "log(1/R)",
    11: "percent",
    12: "intensity",
    13: "relative intensity",
    14: "energy",
    16: "decibels",
    19: "degrees Fahrenheit",
    20: "degrees Celsius",
    21: "kelvin",
    22: "index of refraction",
    23: "extinction coefficient",
    24: "real",
    25: "imaginary",
    26: "complex",
    128: "transmission",
    129: "reflectance",
    130: "arbitrary or single beam",
    131: "emission",
}

# fytype -> Spectrum.y_unit (transmission is settled from the values: fraction or percent)
_Y_UNIT = {2: "absorbance", 3: "kubelka_munk", 4: "counts", 10: "absorbance", 129: "reflectance"}

_TIME_X_TYPES = {4, 5, 11, 12, 23, 24, 25, 30}
_CHROMATOGRAPHY = {1, 2, 3, 14}


def sniff(head: bytes, path: Path) -> bool:
    """True when the first bytes are an SPC header (version byte and plausible type codes).

    Parameters
    ----------
    head : bytes
        The first :data:`~forensic.io.SNIFF_BYTES` bytes of the file.
    path : Path
        The file (not looked at: the bytes decide).

    Returns
    -------
    bool
        False for fewer than 32 bytes.
    """
    if len(head) < 32:
        return False
    version = head[1]
    if version in (NEW_LSB, NEW_MSB):
        # A text file with "K" as second character fails here: its third byte is printable.
        fexper, fxtype, fytype = head[2], head[28], head[29]
        return fexper <= 14 and (fxtype <= 30 or fxtype == 255) and (fytype in Y_TYPES)
    if version == OLD:
        oxtype, oytype = head[16], head[17]
        if not ((oxtype <= 30 or oxtype == 255) and oytype in Y_TYPES):
            return False
        npts = np.frombuffer(head, dtype="<f4", count=1, offset=4)[0]
        return bool(np.isfinite(npts) and 0 < npts < 2**31 and npts == int(npts))
    return False


def read(path: str | Path) -> list[Spectrum]:
    """Read every spectrum in an SPC file.

    Parameters
    ----------
    path : path-like
        An SPC file (new format 0x4B or old format 0x4D).

    Returns
    -------
    list of Spectrum
        One per subfile, in file order. Multi-spectrum files give several; each carries
        ``spc_subfile`` (0-based) and ``spc_z`` (the subfile's z value, often time).

    Raises
    ------
    NotVibrationalError
        Mass spectra, NMR, chromatograms, UV-visible spectra, interferograms.
    FormatError
        Truncated or corrupt files, the unsupported big-endian format, unknown axis units.
    """
    f = BinaryFile(path, "SPC")
    if len(f) < 2:
        raise f.error(f"truncated SPC file: {len(f)} byte(s), expected a 256- or 512-byte header")
    version = f.data[1]
    if version == NEW_MSB:
        raise f.error(
            "big-endian SPC (version byte 0x4C, Motorola byte order) is not supported; "
            "re-export it from GRAMS as a standard (0x4B) SPC, JCAMP-DX or CSV file"
        )
    if version == NEW_LSB:
        return _read_new(f)
    if version == OLD:
        return _read_old(f)
    raise f.error(
        f"not an SPC file: version byte (offset 1) is 0x{version:02X}, expected 0x4B (new "
        "format) or 0x4D (old format)"
    )


# -- new format ---------------------------------------------------------------------------------


def _read_new(f: BinaryFile) -> list[Spectrum]:
    h = f.record(0, _NEW_HEADER, "the 512-byte SPC header")
    flags = int(h["ftflgs"])
    fexper, fxtype, fytype = int(h["fexper"]), int(h["fxtype"]), int(h["fytype"])
    log_text = _log_text(f, int(h["flogoff"]))
    log = _log_entries(log_text)
    meta = _common_metadata(
        comment=h["fcmnt"],
        fexper=fexper,
        fxtype=fxtype,
        fytype=fytype,
        resolution=h["fres"],
        log=log,
    )
    source = c_string(h["fsource"])
    if source:
        meta["instrument_model"] = source
    method = c_string(h["fmethod"])
    if method:
        meta["spc_method"] = method
    labels = [c_string(p) for p in bytes(h["fcatxt"]).split(b"\0") if p.strip(b"\0 ")]
    if labels:
        meta["spc_axis_labels"] = labels
    date = int(h["fdate"])
    acquired = iso_datetime(
        date >> 20, (date >> 16) & 0x0F, (date >> 11) & 0x1F, (date >> 6) & 0x1F, date & 0x3F
    )
    if acquired:
        # SPC dates carry no time zone: kept as local time, never presented as UTC.
        meta["acquired_at_local"] = acquired
    if log_text:
        meta["spc_log"] = log_text
    meta["spc_version"] = "new (0x4B)"

    _refuse_non_vibrational(f, fexper, fxtype, fytype, meta)

    multi = bool(flags & TMULTI)
    nsub = int(h["fnsub"]) if multi else 1
    if multi and nsub < 1:
        raise f.error(f"corrupt SPC header: multi-spectrum file with {nsub} spectra (fnsub)")
    if nsub * _SUBHEADER.itemsize > len(f):
        raise f.error(f"corrupt SPC header: {nsub} spectra (fnsub) cannot fit in {len(f)} bytes")
    check_spectrum_count(nsub, "subfiles, fnsub", path=f.path)
    xy = bool(flags & TXVALS) and bool(flags & TXYXYS)
    if xy and multi and int(h["fnpts"]) > 0:
        # Per-spectrum x arrays: fnpts is the position of the subfile directory (12 bytes per
        # spectrum), written after the data; it must be whole even though it is not read.
        f.need(int(h["fnpts"]), 12 * nsub, f"the subfile directory ({nsub} entries, fnpts)")
    offset = 512
    common_x = None
    if not xy:
        npts = int(h["fnpts"])
        if npts < 1:
            raise f.error(f"corrupt SPC header: {npts} points (fnpts), expected at least 1")
        point_size = 2 if flags & TSPREC else 4
        if npts * point_size > len(f):
            raise f.error(
                f"truncated or corrupt SPC file: the header declares {npts} points (fnpts, "
                f"{npts * point_size} bytes of intensities), which cannot fit in the file's "
                f"{len(f)} bytes"
            )
        if flags & TXVALS:
            common_x = f.array(offset, "<f4", npts, f"the x values ({npts} float32)")
            offset += 4 * npts
        else:
            common_x = f.even_axis(
                float(h["ffirst"]), float(h["flast"]), npts, fields="ffirst, flast"
            )

    decoded = []
    for index in range(nsub):
        which = "" if nsub == 1 else f" of spectrum {index + 1} of {nsub}"
        sub = f.record(offset, _SUBHEADER, f"the subfile header{which}")
        offset += _SUBHEADER.itemsize
        if xy:
            npts = int(sub["subnpts"])
            if npts < 1:
                raise f.error(
                    f"corrupt SPC file: spectrum {index + 1} of {nsub} has {npts} points "
                    "(subnpts), expected at least 1"
                )
            x = f.array(offset, "<f4", npts, f"the x values{which} ({npts} float32)")
            offset += 4 * npts
        else:
            x = common_x
            npts = x.size
        if multi:
            exponent, field = int(sub["subexp"]), f"subexp of spectrum {index + 1}"
        else:
            exponent, field = _single_exponent(f, int(h["fexp"]), int(sub["subexp"])), "fexp"
        y, size = _decode_y(
            f,
            offset,
            npts,
            exponent,
            bool(flags & TSPREC),
            old=False,
            what=f"the intensities{which}",
            field=field,
        )
        offset += size
        decoded.append((index, x, y, sub))
    _check_data_end(f, offset, xy=xy and multi, directory=int(h["fnpts"]), log=int(h["flogoff"]))
    return [
        _make_spectrum(
            f,
            x,
            y,
            fxtype=fxtype,
            fytype=fytype,
            common=meta,
            index=index,
            nsub=nsub,
            sub=sub,
            xy=xy,
            fexper=fexper,
        )
        for index, x, y, sub in decoded
    ]


def _check_data_end(
    f: BinaryFile, end: int, *, xy: bool, directory: int, log: int, counts: str = "fnpts, subnpts"
) -> None:
    """The block after the spectra (subfile directory, log) starts where they end.

    Every size in an SPC file follows from its point counts, and the writer puts the next
    block right after the data, else the file ends there: a point count too small (a flipped
    bit in ``fnpts``, the wrong ``TSPREC`` flag) reads each spectrum short and spreads the
    header's axis over too few points, and leaves bytes the data should have filled. Zero bytes
    are taken as padding, as after the last block.
    """
    if xy and directory > 0:
        start, what = directory, "the subfile directory (fnpts)"
    elif log > 0:
        start, what = log, "the log block (flogoff)"
    else:
        start, what = len(f), "the end of the file"
    if end > start:
        raise f.error(
            f"corrupt SPC file: the spectra run to byte {end}, past {what} at byte {start}: a "
            "point count or the block's offset is wrong"
        )
    if f.data[end:start].strip(b"\0"):
        raise f.error(
            f"corrupt SPC file: the spectra end at byte {end} but {what} is at byte {start}, "
            f"and the {start - end} bytes between are not padding: a point count ({counts}), "
            "the data format (TSPREC) or the multi-spectrum flag (TMULTI) is wrong, so the "
            "spectra would be read short"
        )


def _log_text(f: BinaryFile, offset: int) -> str:
    if offset <= 0:
        return ""
    log = f.record(offset, _LOG_HEADER, f"the log block header (flogoff {offset})")
    size, text_offset = int(log["logsizd"]), int(log["logtxto"])
    end = len(f)
    if size > 0:
        # The log's disk size (logsizd) says where the file must end at least: a copy cut
        # inside the log loses text (laser line, operator, serial) without any other sign.
        f.need(offset, size, "the log block (size from logsizd)")
        if size > text_offset:
            end = offset + size
    start = offset + text_offset
    if text_offset < 0 or start >= end:
        raise f.error(
            f"corrupt SPC log block: its text offset {text_offset} points outside "
            f"the block ({offset}-{end} of {len(f)} bytes)"
        )
    raw = f.data[start:end]
    return raw.split(b"\0", 1)[0].decode("latin-1").strip()


def _log_entries(text: str) -> dict[str, str]:
    entries: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() and key.strip() not in entries:
            entries[key.strip()] = value.strip()
    return entries


# -- old format -----------------------------------------------------------------------------------


def _read_old(f: BinaryFile) -> list[Spectrum]:
    h = f.record(0, _OLD_HEADER, "the 256-byte old-format SPC header")
    flags = int(h["oftflgs"])
    fxtype, fytype = int(h["oxtype"]), int(h["oytype"])
    meta = _common_metadata(
        comment=h["ocmnt"], fexper=0, fxtype=fxtype, fytype=fytype, resolution=h["ores"], log={}
    )
    acquired = iso_datetime(
        int(h["oyear"]), int(h["omonth"]), int(h["oday"]), int(h["ohour"]), int(h["ominute"])
    )
    if acquired:
        # SPC dates carry no time zone: kept as local time, never presented as UTC.
        meta["acquired_at_local"] = acquired
    meta["spc_version"] = "old (0x4D)"
    _refuse_non_vibrational(f, 0, fxtype, fytype, meta)

    npts_f = float(h["onpts"])
    if not (np.isfinite(npts_f) and 1 <= npts_f < 2**31 and npts_f == int(npts_f)):
        raise f.error(f"corrupt old-format SPC header: {npts_f} points (onpts)")
    npts = int(npts_f)
    point_size = 2 if flags & TSPREC else 4
    if 256 + npts * point_size > len(f):
        raise f.error(
            f"truncated or corrupt old-format SPC file: {npts} points (onpts) need "
            f"{256 + npts * point_size} bytes, but the file has {len(f)}"
        )
    x = f.even_axis(float(h["ofirst"]), float(h["olast"]), npts, fields="ofirst, olast")
    if flags & TMULTI:  # the subfiles follow one another to the end of the file
        block = _SUBHEADER.itemsize + npts * point_size
        check_spectrum_count(
            1 + (len(f) - 256 - npts * point_size) // block, "subfiles", path=f.path
        )
    header_exp = int(h["oexp"])
    spectra = []
    offset = 256
    # The first subfile's header sits inside the main header; later ones precede their data.
    sub = np.frombuffer(bytes(h["osubh1"]).ljust(32, b"\0"), dtype=_SUBHEADER, count=1)[0]
    index = 0
    while True:
        if header_exp == FLOAT_EXPONENT:
            exponent, field = header_exp, "oexp"
        else:
            exponent, field = int(sub["subexp"]), f"subexp of spectrum {index + 1}"
        y, size = _decode_y(
            f,
            offset,
            npts,
            exponent,
            bool(flags & TSPREC),
            old=True,
            what=f"the intensities of spectrum {index + 1}",
            field=field,
        )
        offset += size
        nsub_known = None if flags & TMULTI else 1
        spectra.append(
            _make_spectrum(
                f,
                x,
                y,
                fxtype=fxtype,
                fytype=fytype,
                common=meta,
                index=index,
                nsub=nsub_known,
                sub=sub,
                xy=False,
                fexper=0,
            )
        )
        index += 1
        if not flags & TMULTI or offset >= len(f):
            break
        block = _SUBHEADER.itemsize + npts * point_size
        if offset + block > len(f):
            raise f.error(
                f"truncated old-format SPC file: spectrum {index + 1} needs {block} bytes at "
                f"offset {offset}, but the file has {len(f)} bytes"
            )
        sub = f.record(offset, _SUBHEADER, f"the header of spectrum {index + 1}")
        offset += _SUBHEADER.itemsize
    if not flags & TMULTI:  # one spectrum, and nothing after it but padding
        _check_data_end(f, offset, xy=False, directory=0, log=0, counts="onpts")
    if len(spectra) > 1:
        spectra = [s.with_metadata(spc_subfiles=len(spectra)) for s in spectra]
    return spectra


# -- shared -------------------------------------------------------------------------------------


def _single_exponent(f: BinaryFile, fexp: int, subexp: int) -> int:
    """The exponent of a single spectrum's intensities: ``fexp``.

    The format's description gives a single spectrum's exponent in ``fexp`` and says its
    subfile header's ``subexp`` is ignored, so writers leave ``subexp`` zero or copy ``fexp``
    into it (every real file here does). Any other ``subexp`` disagrees with ``fexp``: one of
    the two bytes is damaged, and which scale is right cannot be known.
    """
    if subexp not in (0, fexp):
        raise f.error(
            f"corrupt SPC file: the header gives the intensities' exponent as {fexp} (fexp) but "
            f"the subfile header as {subexp} (subexp): one of the two is damaged, and the "
            "intensities' scale cannot be known"
        )
    return fexp


def _decode_y(
    f: BinaryFile,
    offset: int,
    npts: int,
    exponent: int,
    short: bool,
    *,
    old: bool,
    what: str,
    field: str,
) -> tuple[np.ndarray, int]:
    """Intensities of one subfile and the number of bytes they take.

    Integer intensities are refused when their ``exponent`` (stated by ``field``) is outside
    :data:`EXPONENT_RANGE`, unless they are all zero and it scales nothing.
    """
    if exponent == FLOAT_EXPONENT:
        return as_float64(
            f.array(offset, "<f4", npts, f"{what} ({npts} points, float32)")
        ), 4 * npts
    if short:
        raw = f.array(offset, "<i2", npts, f"{what} ({npts} points, int16)")
        bits, size = 16, 2 * npts
    elif old:
        # Old-format 32-bit integers are stored as two little-endian 16-bit words, high first.
        words = f.array(offset, "<u2", 2 * npts, f"{what} ({npts} points, int32)").reshape(-1, 2)
        raw = ((words[:, 0].astype(np.uint32) << 16) | words[:, 1]).view(np.int32)
        bits, size = 32, 4 * npts
    else:
        raw = f.array(offset, "<i4", npts, f"{what} ({npts} points, int32)")
        bits, size = 32, 4 * npts
    low, high = EXPONENT_RANGE
    if not low <= exponent <= high and raw.any():
        raise f.error(
            f"corrupt SPC file: the exponent of {what} is {exponent} ({field}), which would "
            f"scale them to a full scale of 2**{exponent} ({2.0**exponent:.1e}); a recorded "
            f"spectrum's exponent lies between {low} and {high}"
        )
    return raw.astype(np.float64) * 2.0 ** (exponent - bits), size


def _common_metadata(
    *,
    comment: bytes,
    fexper: int,
    fxtype: int,
    fytype: int,
    resolution: bytes,
    log: dict[str, str],
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "spc_experiment": EXPERIMENTS.get(fexper, f"unknown ({fexper})"),
        "spc_x_type": X_TYPES.get(fxtype, f"unknown ({fxtype})"),
        "spc_y_type": Y_TYPES.get(fytype, f"unknown ({fytype})"),
    }
    text = c_string(comment)
    if text:
        meta["name"] = text
        meta["spc_comment"] = text
    res = c_string(resolution)
    if res:
        meta["spc_resolution"] = res
        number = re.match(r"\s*([0-9]+(?:\.[0-9]*)?)\s*(cm-1|cm\^-1|cm)?\s*$", res, re.I)
        if number and (number.group(2) or fxtype in (1, 13)):
            meta["resolution_cm1"] = float(number.group(1))
    for key, value in log.items():
        low = key.lower()
        if low == "operator" and value:
            meta["operator"] = value
        elif low in ("serial_number", "serial number", "instrument serial") and value:
            meta["instrument_serial"] = value
        elif low in ("title", "sample name", "sample") and value:
            meta.setdefault("name", value)
            meta.setdefault("spc_log_sample_name", value)
    laser = _laser_from_log(log)
    if laser is not None:
        meta["spc_log_laser_wavelength_nm"] = laser
    return meta


def _laser_from_log(log: dict[str, str]) -> float | None:
    """The excitation wavelength (nm) a Raman log states, e.g. ``Laser=Laser: 785 nm edge``.

    An FT-IR log's ``Laser Wavenumber`` (the HeNe reference laser) is deliberately not used.
    """
    for key, value in log.items():
        low = key.lower()
        if "laser" not in low or any(w in low for w in ("power", "focus", "wavenumber")):
            continue
        found = re.search(r"([0-9]+(?:\.[0-9]+)?)\s*nm\b", value, re.I)
        if found is None and "wavelength" in low:
            found = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*", value)
        if found:
            wavelength = float(found.group(1))
            if 200.0 <= wavelength <= 1500.0:
                return wavelength
    return None


def _refuse_non_vibrational(
    f: BinaryFile, fexper: int, fxtype: int, fytype: int, meta: dict[str, Any]
) -> None:
    xname = X_TYPES.get(fxtype, f"unknown code {fxtype}")
    experiment = EXPERIMENTS.get(fexper, f"unknown code {fexper}")
    detail = f"SPC experiment type {experiment!r}, x axis {xname}"
    if fytype == 1 or fxtype == 255:
        raise NotVibrationalError("an interferogram", path=f.path, detail=detail)
    if fxtype == 9 or fexper == 9:
        raise NotVibrationalError("a mass spectrum", path=f.path, detail=detail)
    if fxtype == 10 or fexper == 10:
        raise NotVibrationalError("an NMR spectrum", path=f.path, detail=detail)
    if fexper in _CHROMATOGRAPHY or fxtype in _TIME_X_TYPES:
        raise NotVibrationalError("a chromatogram or time trace", path=f.path, detail=detail)
    if fexper == 7:
        raise NotVibrationalError("a UV-visible spectrum", path=f.path, detail=detail)
    if fexper == 8 or fxtype == 18:
        raise NotVibrationalError("an X-ray diffraction pattern", path=f.path, detail=detail)
    if fexper == 12:
        raise NotVibrationalError("a fluorescence spectrum", path=f.path, detail=detail)
    if fexper == 13:
        raise NotVibrationalError("an atomic spectrum", path=f.path, detail=detail)
    if fxtype == 14:
        raise NotVibrationalError("an electron-volt spectrum", path=f.path, detail=detail)
    if fxtype not in (1, 2, 3, 13):
        raise f.error(
            f"the SPC x axis is in {xname} (fxtype {fxtype}); expected wavenumber (cm-1), "
            "Raman shift (cm-1), micrometres or nanometres"
        )


def _make_spectrum(
    f: BinaryFile,
    x: np.ndarray,
    y: np.ndarray,
    *,
    fxtype: int,
    fytype: int,
    common: dict[str, Any],
    index: int,
    nsub: int | None,
    sub: np.void,
    xy: bool,
    fexper: int,
) -> Spectrum:
    meta = dict(common)
    where = "" if nsub == 1 else f"spectrum {index + 1}: "
    sample_name = meta.pop("spc_log_sample_name", None)
    if nsub != 1:
        meta["spc_subfile"] = index
        meta["spc_z"] = float(sub["subtime"])
        if nsub is not None:
            meta["spc_subfiles"] = nsub
        # A subfile has no name of its own: the comment describes the file (a series, "Subfiles
        # are the same portion of POLYS multiplied by a sine wave"), and a name made of it and
        # the subfile's number would make each subfile a substance of its own in a library.
        # A sample name in the log names the sample all of them were measured on.
        meta.pop("name", None)
        if sample_name:
            meta["name"] = sample_name
    laser = meta.pop("spc_log_laser_wavelength_nm", None)
    hint = None
    if "raman" in f.path.name.lower():
        hint = "file name"
    elif "raman" in str(meta.get("spc_comment", "")).lower():
        hint = "comment"
    x = np.asarray(x, dtype=np.float64)
    history = []
    try:
        if fxtype == 13 or fexper == 11:
            modality = "raman"
        elif fxtype == 1 and hint:
            # A plain wavenumber axis with a "general" or "FT-IR/FT-Raman" experiment type: the
            # header cannot tell; the file's own name or comment saying Raman decides.
            modality = "raman"
            meta["modality_basis"] = f"{hint} (the SPC header does not say Raman)"
        elif fxtype == 3 and laser is not None:
            modality = "raman"
            meta["modality_basis"] = "wavelength axis with a laser wavelength in the log"
        else:
            modality = "ir"
        if modality == "raman" and laser is not None:
            meta["laser_wavelength_nm"] = laser
            meta["laser_wavelength_basis"] = "SPC log"
        if modality == "raman" and fxtype == 2:
            raise f.error(f"{where}a Raman spectrum on a micrometre axis cannot be interpreted")
        if fxtype == 2:
            if np.any(x <= 0):
                raise f.error(f"{where}micrometre axis holds values <= 0")
            x = 1e4 / x
            history.append(("micrometre_to_wavenumber", {}))
        elif fxtype == 3:
            if np.any(x <= 0):
                raise f.error(f"{where}nanometre axis holds values <= 0")
            if modality == "raman" and laser is None:
                raise f.error(
                    f"{where}Raman spectrum on a wavelength axis (nm) without a laser "
                    "wavelength in the file: cannot compute the Raman shift"
                )
            if modality == "raman":
                return Spectrum.from_wavelength(
                    x,
                    y,
                    laser_wavelength_nm=laser,
                    y_unit=_y_unit(fytype, y, "raman"),
                    metadata=meta,
                )
            if float(np.min(x)) < 700.0:
                raise NotVibrationalError(
                    "a UV-visible spectrum",
                    path=f.path,
                    detail=f"wavelength axis {np.min(x):.4g}-{np.max(x):.4g} nm and no Raman laser",
                )
            x = nanometre_to_wavenumber(x)
            history.append(("nanometre_to_wavenumber", {}))
        y_unit = _y_unit(fytype, y, modality)
        if fytype == 128 and modality == "ir" and transmittance_scale(y) is None:
            meta["y_unit_basis"] = (
                f"{GUESSED_UNIT_BASIS}: the header says transmission, not whether a fraction or "
                f"percent, and {float(np.nanmin(y)):.3g}..{float(np.nanmax(y)):.3g} is neither "
                f"({TRANSMITTANCE_SCALE_RULE}); read as a fraction"
            )
        steps = [ProcessingStep(name, params) for name, params in history]
        if xy or history:
            return Spectrum.from_readings(
                x, y, modality=modality, y_unit=y_unit, metadata=meta, history=steps
            )
        return Spectrum(x, y, modality=modality, y_unit=y_unit, metadata=meta)
    except SpectrumError as exc:
        raise f.error(f"{where}not a usable spectrum: {exc}") from None


def _y_unit(fytype: int, y: np.ndarray, modality: str) -> str:
    if modality == "raman":
        # Raman intensities are counts or arbitrary; an "absorbance" label on a Raman file is a
        # header default, kept as spc_y_type in the metadata.
        return "counts" if fytype == 4 else "arbitrary"
    if fytype == 128:
        # "transmission" names no scale: the values settle it, by the one rule the range check
        # applies too; values it cannot tell are read as a fraction, and said to be a guess
        return transmittance_scale(y) or "transmittance"
    return _Y_UNIT.get(fytype, "arbitrary")


FORMAT = Format(
    name="spc",
    description="Thermo Galactic SPC",
    extensions=(".spc",),
    sniff=sniff,
    read=read,
    text=False,
)
