"""Bruker OPUS files (``.0``, ``.1``, ``.0001``...): absorbance, transmittance, Raman and
single-channel spectra.

Own reader. The maintained package ``brukeropus`` reads the real test files, but it accepts a
file of another format as an empty OPUS file and lets a truncated one fail with a ``KeyError``;
the directory-and-blocks layout is small enough to decode here with every offset checked.

An OPUS file starts with the magic ``0a 0a fe fe``, a version (float64) and a directory of
12-byte entries: a packed block type, the block size in 32-bit words and its offset. Each data
block (float32 or int32 values) has a *data status* parameter block of the same type that gives
``NPT`` (points), ``FXV``/``LXV`` (first and last x), ``CSF`` (y scale), ``DPF`` (number format),
``DXU`` (x unit) and ``MXY``/``MNY`` (the largest and smallest scaled value, which the scaled
intensities must reach: see :func:`_check_extremes`). Other parameter blocks hold the
instrument (``INS``, ``SRN``), the Raman laser (``RLW``), the sample name (``SNM``), the
operator (``CNM``) and the resolution (``RES``).

A file whose data parameters leave ``MXY``/``MNY`` out (other writers, older versions) has no
record of its values to check a damaged ``CSF`` by. An absorbance or transmittance block is then
checked against the single channels it was computed from, when the file holds both
(:func:`_check_against_channels`); without them, a factor damaged to another value within
:data:`SCALE_FACTOR_RANGE` (a power of two off, say) cannot be told from the file: every
intensity is read that many times too large or small. So can values damaged anywhere but at
the extremes, in any file.

The spectrum read is, in this order of preference: absorbance (AB), transmittance (TR), Raman,
Kubelka-Munk, reflectance, ATR, the other processed types, then the sample single channel
(ScSm), then the reference single channel (ScRf, a background). Files holding only
interferograms (IgSm/IgRf) or phase are refused as not vibrational spectra.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np

from forensic.errors import FormatError, NotVibrationalError, SpectrumError
from forensic.io import Format
from forensic.io._binary import BinaryFile, as_float64
from forensic.spectrum import (
    GUESSED_UNIT_BASIS,
    TRANSMITTANCE_SCALE_RULE,
    ProcessingStep,
    Spectrum,
    transmittance_scale,
)

__all__ = ["FORMAT", "read", "sniff"]

MAGIC = b"\x0a\x0a\xfe\xfe"

# Data types (bits 10-16 of the block type, modulo 32 channels)
SINGLE_CHANNEL, INTERFEROGRAM, PHASE = 1, 2, 3
DATA_TYPES = {
    1: "single channel",
    2: "interferogram",
    3: "phase",
    4: "absorbance",
    5: "transmittance",
    6: "Kubelka-Munk",
    7: "trace (intensity over time)",
    8: "GC series of interferograms",
    9: "GC series of spectra",
    10: "Raman",
    11: "emission",
    12: "reflectance",
    14: "power",
    15: "log reflectance",
    16: "ATR",
    17: "photoacoustic",
    18: "arithmetic result (transmittance-like)",
    19: "arithmetic result (absorbance-like)",
}
ABBREVIATIONS = {1: "Sc", 2: "Ig", 3: "Ph", 4: "AB", 5: "TR", 6: "KM", 10: "RAM", 12: "REFL"}
CHANNELS = {1: "Sm", 2: "Rf"}

# Preference among the data types a file may hold (earlier is better).
_PREFERENCE = (4, 5, 10, 6, 12, 16, 19, 18, 15, 17, 11, 14)
_Y_UNIT = {
    4: "absorbance",
    6: "kubelka_munk",
    12: "reflectance",
    16: "absorbance",
    19: "absorbance",
}
_NOT_VIBRATIONAL = {7: "a time trace", 8: "a GC series", 9: "a GC series"}

_DIRECTORY_ENTRY = np.dtype([("type", "<u4"), ("words", "<i4"), ("offset", "<i4")])

SCALE_FACTOR_RANGE = (1e-9, 1e9)
"""The y scaling factors (``CSF``) a file may hold. OPUS writes 1 for the spectra it computes
and a fraction such as 1/128 (one over the scans averaged) for interferograms; a factor outside
this range, or not above zero, is no factor OPUS writes but a damaged one, which would rescale
every intensity (or, being zero, erase them)."""

EXTREMES_TOLERANCE = 1e-5
"""How closely the scaled intensities' largest and smallest values must agree with the ``MXY``
and ``MNY`` the data parameters state, relative to the larger of the two: OPUS computes them
from the float32 values it stores, so they agree to float32 precision (about 1e-7) in every
real file."""


class _Block:
    """One directory entry: the decoded type fields, where the block is and how big."""

    __slots__ = (
        "channel",
        "complex",
        "data_type",
        "derivative",
        "extended",
        "offset",
        "param",
        "size",
    )

    def __init__(self, code: int, size: int, offset: int) -> None:
        self.complex = code & 0b11
        self.channel = (code >> 2) & 0b11
        self.param = (code >> 4) & 0b111111
        self.data_type = (code >> 10) & 0b1111111
        self.derivative = (code >> 17) & 0b11
        self.extended = (code >> 19) & 0b111
        self.size = size
        self.offset = offset

    @property
    def kind(self) -> tuple[int, int, int, int, int]:
        """The fields a data block shares with its data status block."""
        return (self.complex, self.channel, self.data_type, self.derivative, self.extended)

    @property
    def is_data(self) -> bool:
        # extended 1 (compound information), 2 (series), 3 (structure), 5 (report) are not 1-D data
        return (
            self.param == 0
            and self.data_type not in (0, 13)
            and self.extended in (0, 4)
            and self.complex != 2
        )

    @property
    def is_data_status(self) -> bool:
        return self.param == 1

    @property
    def label(self) -> str:
        base = self.data_type % 32
        name = ABBREVIATIONS.get(base, f"type{base}")
        return name + CHANNELS.get(self.channel, "") if base in (1, 2, 3) else name


def sniff(head: bytes, path: Path) -> bool:
    """True when the file starts with the OPUS magic bytes ``0a 0a fe fe``.

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
    """Read the main spectrum of an OPUS file.

    Parameters
    ----------
    path : path-like
        A Bruker OPUS file.

    Returns
    -------
    list of Spectrum
        One spectrum: the processed one (AB, TR, Raman...) when the file has it, otherwise the
        single channel. ``opus_block`` says which block was read and ``opus_blocks`` lists all
        data blocks in the file.

    Raises
    ------
    NotVibrationalError
        The file holds only interferograms, phase, or a time/GC series.
    FormatError
        Not an OPUS file, or truncated or corrupt.
    """
    f = BinaryFile(path, "OPUS")
    if f.data[:4] != MAGIC:
        raise f.error(f"not an OPUS file: starts with {f.data[:4].hex(' ')}, expected 0a 0a fe fe")
    header = f.record(
        0,
        np.dtype(
            [
                ("magic", "S4"),
                ("version", "<f8"),
                ("directory", "<i4"),
                ("max_blocks", "<i4"),
                ("blocks", "<i4"),
            ]
        ),
        "the 24-byte OPUS header",
    )
    count = int(header["blocks"])
    if count < 1 or count > int(header["max_blocks"]) or count * 12 > len(f):
        raise f.error(
            f"corrupt OPUS header: {count} directory entries (at most "
            f"{int(header['max_blocks'])} declared, {len(f)} bytes in the file)"
        )
    entries = f.array(int(header["directory"]), _DIRECTORY_ENTRY, count, "the OPUS directory")
    blocks = [
        _Block(int(e["type"]), 4 * int(e["words"]), int(e["offset"]))
        for e in entries
        if int(e["offset"]) > 0
    ]
    # Every block the directory lists must be whole, also those not read here (interferograms,
    # reference channels): OPUS appends blocks as it computes them, so a copy cut short can
    # still hold the spectrum while it has lost the rest of the measurement.
    for number, block in enumerate(blocks, start=1):
        f.need(block.offset, block.size, f"the {block.label} block (directory entry {number})")
    params = _parameters(f, blocks)
    data_blocks = [b for b in blocks if b.is_data]
    statuses = [b for b in blocks if b.is_data_status]
    if not data_blocks:
        if any(b.param == 0 and b.data_type not in (0, 13) and b.extended == 2 for b in blocks):
            raise f.error(
                "holds a series of spectra (3-D OPUS data block), which is not supported: "
                "export single spectra from OPUS"
            )
        raise f.error("the OPUS file has no spectrum data block")

    kinds = {b.data_type % 32 for b in data_blocks}
    for code, what in _NOT_VIBRATIONAL.items():
        if kinds == {code} or (code in kinds and kinds <= {code, INTERFEROGRAM, PHASE}):
            raise NotVibrationalError(
                what,
                path=f.path,
                detail="OPUS data blocks: " + ", ".join(b.label for b in data_blocks),
            )
    chosen = _choose(data_blocks)
    if chosen is None:
        raise NotVibrationalError(
            "an interferogram",
            path=f.path,
            detail="only interferogram or phase blocks ("
            + ", ".join(b.label for b in data_blocks)
            + "), no computed spectrum",
        )
    status = _status_for(f, chosen, statuses, data_blocks)
    return [
        _spectrum(
            f,
            chosen,
            status=status,
            params=params,
            header=header,
            data_blocks=data_blocks,
            statuses=statuses,
        )
    ]


def _choose(data_blocks: list[_Block]) -> _Block | None:
    def last_of(kind: int, channel: int | None = None) -> _Block | None:
        found = [
            b
            for b in data_blocks
            if b.data_type % 32 == kind and (channel is None or b.channel == channel)
        ]
        # OPUS appends processed results; the last block of a kind is the current one.
        return found[-1] if found else None

    for kind in _PREFERENCE:
        block = last_of(kind)
        if block is not None:
            return block
    return last_of(SINGLE_CHANNEL, 1) or last_of(SINGLE_CHANNEL)


def _status_for(
    f: BinaryFile, block: _Block, statuses: list[_Block], data_blocks: list[_Block]
) -> dict[str, Any]:
    same_kind = [b for b in data_blocks if b.kind == block.kind]
    candidates = [s for s in statuses if s.kind == block.kind]
    if not candidates:
        raise f.error(f"corrupt OPUS file: the {block.label} block has no data parameter block")
    # With several blocks of one kind, the n-th data block goes with the n-th status block.
    index = min(same_kind.index(block), len(candidates) - 1)
    return _param_block(f, candidates[index], f"the {block.label} data parameters")


def _parameters(f: BinaryFile, blocks: list[_Block]) -> dict[str, Any]:
    """Sample-side parameter blocks merged (instrument, acquisition, optics, sample origin)."""
    merged: dict[str, Any] = {}
    reference: dict[str, Any] = {}
    for block in blocks:
        if block.param < 2 or block.data_type != 0:
            continue
        values = _param_block(f, block, f"parameter block {block.param}", strict=False)
        target = reference if block.channel == 2 else merged
        for key, value in values.items():
            target.setdefault(key, value)
    for key, value in reference.items():
        merged.setdefault(key, value)
    return merged


def _param_block(f: BinaryFile, block: _Block, what: str, *, strict: bool = True) -> dict:
    """Decode ``KEY\\0``, type (int16), size in 16-bit words (int16), value... up to ``END``."""
    f.need(block.offset, block.size, what)
    data = f.data[block.offset : block.offset + block.size]
    values: dict[str, Any] = {}
    loc = 0
    while loc + 8 <= len(data):
        raw_key = data[loc : loc + 3]
        if raw_key == b"END":
            break
        if not re.fullmatch(rb"[A-Z0-9]{3}", raw_key):
            if strict:
                raise f.error(
                    f"corrupt OPUS file: {what} at offset {block.offset + loc} holds "
                    f"{raw_key!r}, expected a three-letter parameter name"
                )
            break
        kind, words = np.frombuffer(data, dtype="<i2", count=2, offset=loc + 4)
        size = 2 * int(words)
        if size < 0 or loc + 8 + size > len(data):
            if strict:
                raise f.error(
                    f"corrupt OPUS file: parameter {raw_key.decode()} in {what} runs past "
                    "the end of its block"
                )
            break
        value_bytes = data[loc + 8 : loc + 8 + size]
        key = raw_key.decode("ascii")
        if kind == 0 and size >= 4:
            values[key] = int(np.frombuffer(value_bytes, dtype="<i4", count=1)[0])
        elif kind == 1 and size >= 8:
            values[key] = float(np.frombuffer(value_bytes, dtype="<f8", count=1)[0])
        elif kind >= 2:
            values[key] = value_bytes.split(b"\0", 1)[0].decode("latin-1").strip()
        loc += 8 + size
    return values


def _spectrum(
    f: BinaryFile,
    block: _Block,
    *,
    status: dict[str, Any],
    params: dict[str, Any],
    header: np.void,
    data_blocks: list[_Block],
    statuses: list[_Block],
) -> Spectrum:
    what = f"the {block.label} block"
    intensity, scale = _values(f, block, status, what)
    if _states_extremes(status):
        _check_extremes(f, intensity, status, scale, what)
    else:
        _check_against_channels(
            f, block, status, intensity, scale=scale, what=what, blocks=(data_blocks, statuses)
        )
    first, last = _number(f, status, "FXV", what), _number(f, status, "LXV", what)
    unit = str(status.get("DXU", "WN")).upper()
    x = f.even_axis(first, last, intensity.size, fields=f"FXV, LXV of {what}")
    history = []
    if unit == "MI":
        if np.any(x <= 0):
            raise f.error(f"corrupt OPUS file: micrometre axis of {what} holds values <= 0")
        x = 1e4 / x
        history.append(ProcessingStep("micrometre_to_wavenumber", {}))
    elif unit == "PNT":
        raise NotVibrationalError(
            "an interferogram", path=f.path, detail=f"{what} has a data-point axis (DXU=PNT)"
        )
    elif unit != "WN":
        raise f.error(
            f"the x axis of {what} is in {unit!r} (DXU); expected WN (cm-1) or MI (micrometres)"
        )

    base = block.data_type % 32
    raman = base == 10 or str(params.get("PLF", "")).upper() == "RAM"
    modality = "raman" if raman else "ir"
    guess = None
    if base in {5, 18}:
        # TR names no scale: the values settle it, by the one rule the range check applies too;
        # values it cannot tell are read as the fraction OPUS stores, and said to be a guess
        scale = transmittance_scale(intensity)
        y_unit = scale or "transmittance"
        if scale is None:
            guess = (
                f"{GUESSED_UNIT_BASIS}: the {block.label} block is transmittance, not said to be a "
                f"fraction or percent, and {float(np.nanmin(intensity)):.3g}.."
                f"{float(np.nanmax(intensity)):.3g} is neither ({TRANSMITTANCE_SCALE_RULE}); "
                "read as a fraction"
            )
    elif raman or base == SINGLE_CHANNEL:
        y_unit = "arbitrary"
    else:
        y_unit = _Y_UNIT.get(base, "arbitrary")

    meta: dict[str, Any] = {
        "opus_block": block.label,
        "opus_data_type": DATA_TYPES.get(base, f"unknown ({base})"),
        "opus_blocks": [b.label for b in data_blocks],
        "opus_version": float(header["version"]),
    }
    if guess is not None:
        meta["y_unit_basis"] = guess
    if base == SINGLE_CHANNEL:
        meta["opus_data_type"] = (
            "single-channel reference (background)"
            if block.channel == 2
            else "single-channel sample"
        )
    if block.derivative:
        meta["opus_derivative"] = int(block.derivative)
    text_keys = {
        "SNM": "name",
        "INS": "instrument_model",
        "SRN": "instrument_serial",
        "CNM": "operator",
    }
    for key, name in text_keys.items():
        value = params.get(key)
        if isinstance(value, str) and value:
            meta[name] = value
    vendor = {
        "SFM": "opus_sample_form",
        "ACC": "opus_accessory",
        "SRC": "opus_source",
        "DTC": "opus_detector",
        "BMS": "opus_beamsplitter",
        "EXP": "opus_experiment",
        "APF": "opus_apodization",
        "NSS": "opus_sample_scans",
    }
    for key, name in vendor.items():
        if key in params and params[key] not in ("", None):
            meta[name] = params[key]
    if isinstance(params.get("RES"), (int, float)) and params["RES"] > 0:
        meta["resolution_cm1"] = float(params["RES"])
    laser_wavenumber = params.get("RLW")
    if raman and isinstance(laser_wavenumber, (int, float)) and laser_wavenumber > 0:
        meta["laser_wavelength_nm"] = round(1e7 / float(laser_wavenumber), 3)
        if isinstance(params.get("RLP"), (int, float)):
            meta["laser_power_mw"] = float(params["RLP"])
    acquired = _acquired_at(status.get("DAT"), status.get("TIM"))
    if acquired and acquired.endswith("+00:00"):
        meta["acquired_at"] = acquired
    elif acquired:  # no GMT offset in the file: local time, not presented as UTC
        meta["acquired_at_local"] = acquired
    try:
        return Spectrum.from_readings(
            x, intensity, modality=modality, y_unit=y_unit, metadata=meta, history=history
        )
    except SpectrumError as exc:
        raise f.error(f"{what} is not a usable spectrum: {exc}") from None


def _values(
    f: BinaryFile, block: _Block, status: dict[str, Any], what: str
) -> tuple[np.ndarray, float]:
    """A data block's values times its factor (``CSF``), and the factor, every size and the
    factor checked."""
    for key in ("NPT", "FXV", "LXV"):
        if key not in status:
            raise f.error(f"corrupt OPUS file: the data parameters of {what} lack {key}")
    npts = int(_number(f, status, "NPT", what))
    if npts < 1:
        raise f.error(f"corrupt OPUS file: {what} declares {npts} points (NPT)")
    dtype = {1: "<f4", 2: "<i4"}.get(int(_number(f, status, "DPF", what, default=1)))
    if dtype is None:
        raise f.error(f"unsupported OPUS number format DPF={status['DPF']} in {what}")
    held = block.size // 4
    # A block is sized for its points, plus padding to 8 bytes: an NPT smaller than that is as
    # corrupt as a larger one (FXV..LXV would be spread over too few points). A "compact" block
    # keeps its points at its end, after a header of its own, so only a larger NPT shows there.
    compact = block.extended == 4
    f.check_points(
        npts,
        held,
        declared_by=f"NPT of {what}",
        held_by="the block",
        spare=max(held - npts, 0) if compact else 1,
    )
    start = block.offset + block.size - 4 * npts if compact else block.offset
    raw = f.array(start, dtype, npts, f"{what} ({npts} points)")
    scale = _number(f, status, "CSF", what, default=1.0)
    low, high = SCALE_FACTOR_RANGE
    if not low <= scale <= high:
        raise f.error(
            f"corrupt OPUS file: the y scaling factor of {what} is {scale:g} (CSF), which "
            f"would scale every intensity by it; a factor lies between {low:g} and {high:g}"
        )
    return as_float64(raw) * scale, scale


def _states_extremes(status: dict[str, Any]) -> bool:
    """Whether data parameters state the largest and smallest value (``MXY``, ``MNY``)."""
    return all(
        isinstance(status.get(key), (int, float)) and np.isfinite(status[key])
        for key in ("MXY", "MNY")
    )


def _check_extremes(
    f: BinaryFile, intensity: np.ndarray, status: dict[str, Any], scale: float, what: str
) -> None:
    """Raise unless the scaled intensities reach the largest and smallest values the data
    parameters state (``MXY``, ``MNY``), when they state them.

    OPUS records both for every data block, computed from the values it stores times ``CSF``:
    a damaged factor, or damaged values at the extremes, no longer reach them. A factor off
    by a power of two is otherwise a plausible factor, and the spectrum a plausible spectrum.
    """
    if not _states_extremes(status):
        return
    stated_max, stated_min = status["MXY"], status["MNY"]
    finite = intensity[np.isfinite(intensity)]
    if not finite.size:
        return  # NaN throughout: the spectrum refuses it as what it is
    found_max, found_min = float(finite.max()), float(finite.min())
    tolerance = EXTREMES_TOLERANCE * max(abs(stated_max), abs(stated_min), np.finfo("f4").tiny)
    if abs(found_max - stated_max) <= tolerance and abs(found_min - stated_min) <= tolerance:
        return
    why = "the data or the factor are damaged"
    if found_max and found_min and stated_max and stated_min:
        ratio = found_max / stated_max
        if abs(found_min / stated_min - ratio) <= EXTREMES_TOLERANCE * abs(ratio):
            why = f"every value is {ratio:.6g} times the stated one: the factor CSF is damaged"
    raise f.error(
        f"corrupt OPUS file: {what} scaled by its factor {scale:g} (CSF) runs from "
        f"{found_min:.6g} to {found_max:.6g}, but its data parameters state {stated_min:.6g} "
        f"to {stated_max:.6g} (MNY, MXY): {why}"
    )


_FROM_CHANNELS = {4: ("absorbance", "-log10(ScSm/ScRf)"), 5: ("transmittance", "ScSm/ScRf")}
"""What OPUS computes an AB and a TR block from: the sample and reference single channels."""


def _check_against_channels(
    f: BinaryFile,
    block: _Block,
    status: dict[str, Any],
    intensity: np.ndarray,
    *,
    scale: float,
    what: str,
    blocks: tuple[list[_Block], list[_Block]],
) -> None:
    """Raise when an absorbance or transmittance block whose data parameters state no
    extremes (``MXY``, ``MNY``: another writer, an older version) is a constant multiple, other
    than one, of what the file's own single channels give: its factor is damaged.

    OPUS computes AB as ``-log10(ScSm / ScRf)`` and TR as ``ScSm / ScRf`` at the sample's
    points (the real files agree to float32 precision). Only a constant ratio, to that
    precision, is evidence of a damaged factor: a block that differs otherwise (processed
    after it was computed: a baseline or ATR correction), a file without both channels, or
    channels on another grid, say nothing, and the block is read.
    """
    base = block.data_type % 32
    if base not in _FROM_CHANNELS or block.derivative:
        return
    data_blocks, statuses = blocks  # the file's data blocks and data parameter blocks
    channels = []
    for channel in (1, 2):  # the sample's and the reference's single channel (ScSm, ScRf)
        found = [
            b for b in data_blocks if b.data_type % 32 == SINGLE_CHANNEL and b.channel == channel
        ]
        if not found:
            return
        try:
            single_status = _status_for(f, found[-1], statuses, data_blocks)
            values, _ = _values(f, found[-1], single_status, f"the {found[-1].label} block")
        except FormatError:
            return  # a channel that cannot be read says nothing of this block
        on_grid = _at_points_of(status, single_status, values)
        if on_grid is None:
            return
        channels.append(on_grid)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = channels[0] / channels[1]
        usable = np.isfinite(ratio) & (ratio > 0) & np.isfinite(intensity)
        if np.count_nonzero(usable) < 16:
            return
        expected = -np.log10(ratio[usable]) if base == 4 else ratio[usable]
    found_values = intensity[usable]
    size = float(np.max(np.abs(expected)))
    if not size:
        return
    if np.max(np.abs(found_values - expected)) <= EXTREMES_TOLERANCE * size:
        return  # as OPUS computed it
    strong = np.abs(expected) >= 0.1 * size
    factor = float(np.median(found_values[strong] / expected[strong]))
    if not np.isfinite(factor) or factor <= 0:
        return
    if np.max(np.abs(found_values - factor * expected)) > EXTREMES_TOLERANCE * factor * size:
        return  # not a multiple: processed after it was computed, no sign of damage
    if base == 5 and abs(factor - 100.0) <= 100.0 * EXTREMES_TOLERANCE:
        return  # transmittance in percent
    quantity, formula = _FROM_CHANNELS[base]
    raise f.error(
        f"corrupt OPUS file: {what} scaled by its factor {scale:g} (CSF) is {factor:.6g} times "
        f"the {quantity} its single channels give ({formula}): the factor CSF is damaged (its "
        "data parameters state no MNY, MXY to check it by)"
    )


def _at_points_of(
    status: dict[str, Any], other_status: dict[str, Any], values: np.ndarray
) -> np.ndarray | None:
    """``values`` (of a block with ``other_status``) at the points of the block with
    ``status``, when those are points of its own (same unit and step, aligned): OPUS keeps a
    reference channel a few points wider than the sample's. None when they are not."""
    try:
        first, last, npts = (float(status[k]) for k in ("FXV", "LXV", "NPT"))
        o_first, o_last, o_npts = (float(other_status[k]) for k in ("FXV", "LXV", "NPT"))
    except (KeyError, TypeError, ValueError):
        return None
    if status.get("DXU", "WN") != other_status.get("DXU", "WN") or npts < 2 or o_npts < 2:
        return None
    step, o_step = (last - first) / (npts - 1), (o_last - o_first) / (o_npts - 1)
    if not step or abs(step - o_step) > 1e-6 * abs(step):
        return None
    shift = (first - o_first) / o_step
    start = round(shift)
    if abs(shift - start) > 1e-3 or start < 0 or start + int(npts) > values.size:
        return None
    return values[start : start + int(npts)]


def _number(
    f: BinaryFile, status: dict[str, Any], key: str, what: str, *, default: float | None = None
) -> float:
    value = status.get(key, default)
    if isinstance(value, (int, float)) and np.isfinite(value):
        return float(value)
    raise f.error(f"corrupt OPUS file: parameter {key} of {what} is {value!r}, expected a number")


def _acquired_at(date: Any, time: Any) -> str | None:
    """``DAT`` ``28/10/2020`` and ``TIM`` ``14:33:02.042 (GMT-5)`` as ISO 8601 UTC."""
    if not isinstance(date, str) or not isinstance(time, str):
        return None
    d = re.fullmatch(r"\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*", date)
    t = re.match(
        r"\s*(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d+))?\s*(?:\(GMT([+-]\d+(?::?\d\d)?)\))?", time
    )
    if d is None or t is None:
        return None
    try:
        moment = datetime(
            int(d.group(3)),
            int(d.group(2)),
            int(d.group(1)),
            int(t.group(1)),
            int(t.group(2)),
            int(t.group(3)),
        )
    except ValueError:
        return None
    if t.group(5) is None:
        return moment.isoformat()
    offset = t.group(5).replace(":", "")
    hours = int(offset[:-2] if len(offset) > 3 else offset)
    minutes = int(offset[-2:]) if len(offset) > 3 else 0
    sign = -1 if offset.startswith("-") else 1
    shift = timedelta(hours=hours, minutes=sign * abs(minutes))
    return (moment - shift).replace(tzinfo=timezone.utc).isoformat()


FORMAT = Format(
    name="opus",
    description="Bruker OPUS",
    extensions=tuple(f".{i}" for i in range(10)),
    sniff=sniff,
    read=read,
    text=False,
)
