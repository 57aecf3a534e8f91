"""What every registered reader promises, checked on a small valid file of each format.

:data:`SAMPLES` holds one builder per format, taken from the format's own tests; a reader
registered without one fails :func:`test_every_registered_format_has_a_sample`, so a new
reader gets these checks by adding its builder here (see "Adding a reader" in
:mod:`forensic.io`). What only one format does (its header fields, its own damage) stays in
``tests/test_io_<format>.py``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import test_io_opus
import test_io_spa
import test_io_spc
import test_io_text
import test_io_wdf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from synthetic import make_spectrum

import forensic.io as io_module
from forensic.errors import FormatError
from forensic.io import SNIFF_BYTES, available_formats, jcamp, read_spectra
from forensic.spectrum import MIN_POINTS, Spectrum

SPECTRUM_FILES = Path(__file__).resolve().parents[1] / "docs" / "spectrum-files.md"


def _bwtek_export() -> bytes:
    # a vendor text export that states its row count (pixel_num), so a cut at a line end shows
    pixels = test_io_text.AXIS.size
    lines = test_io_text.bwtek_lines(pixels, [f"pixel_num;{pixels}"])
    return ("\r\n".join(lines) + "\r\n").encode()


SAMPLES: dict[str, Callable[[], bytes]] = {
    "jcamp": lambda: jcamp.write(make_spectrum(step=8.0, name="sample")),
    "spc": lambda: test_io_spc.simple_spc(npts=64)[0],
    "opus": lambda: test_io_opus.opus_file(
        [
            *test_io_opus.spectrum_blocks(test_io_opus.AB, test_io_opus.Y),
            test_io_opus.sample_params(SNM="sample"),
        ]
    ),
    "spa": lambda: test_io_spa.spa_file(test_io_spa.Y),
    "wdf": lambda: test_io_wdf.wdf_file(test_io_wdf.Y, test_io_wdf.X),
    "text": _bwtek_export,
}
"""Format name -> a function giving the bytes of a small, valid file of that format, with
every part the reader checks (a text sample states its length, so that a cut shows)."""

FORMATS = [fmt.name for fmt in available_formats()]


def _format(name: str) -> io_module.Format:
    (fmt,) = [f for f in available_formats() if f.name == name]
    return fmt


def _sample(name: str) -> bytes:
    if name not in SAMPLES:
        pytest.fail(f"no sample of format {name!r}: add its builder to SAMPLES in {__file__}")
    return SAMPLES[name]()


def test_every_registered_format_has_a_sample():
    missing = [name for name in FORMATS if name not in SAMPLES]
    assert not missing, (
        f"registered formats without a sample file: {', '.join(missing)}; add a builder to "
        "SAMPLES in tests/test_io_contract.py, so that the contract covers the reader"
    )
    assert not set(SAMPLES) - set(FORMATS), "SAMPLES names a format no reader registers"


@pytest.mark.parametrize("name", FORMATS)
def test_a_sample_is_recognised_by_its_content_whatever_its_name(write, name):
    data = _sample(name)
    path = write(data, "sample.unknown")  # an extension no reader registers
    assert _format(name).sniff(data[:SNIFF_BYTES], path)
    spectra = read_spectra(path)
    assert {s.metadata["source_format"] for s in spectra} == {name}


@pytest.mark.parametrize("name", FORMATS)
def test_a_sample_reads_as_spectra(write, name):
    fmt = _format(name)
    path = write(_sample(name), "sample" + fmt.extensions[0])
    spectra = fmt.read(path)
    assert spectra and all(isinstance(s, Spectrum) for s in spectra)
    assert all(len(s) >= MIN_POINTS for s in spectra)
    assert all(np.all(np.isfinite(s.intensity)) for s in spectra)


def _cuts(size: int) -> list[int]:
    """Where a copy is cut short: within the first bytes (the magic, a header), then at
    fractions of the file, the last a few bytes before its end."""
    at = {1, 8, 64, size // 10, size // 4, size // 2, 3 * size // 4, 9 * size // 10}
    at.add(size - max(8, size // 100))
    return sorted(cut for cut in at if 0 < cut < size)


@pytest.mark.parametrize("name", FORMATS)
def test_a_sample_cut_short_is_refused_naming_the_file(write, name):
    # never a crash, and never a shorter spectrum read as if it were the whole
    fmt = _format(name)
    data = _sample(name)
    read_whole = []
    for cut in _cuts(len(data)):
        path = write(data[:cut], f"cut-{cut}{fmt.extensions[0]}")
        try:
            spectra = fmt.read(path)
        except FormatError as exc:
            assert str(path) in str(exc), exc
        else:
            read_whole.append((cut, [len(s) for s in spectra]))
    assert not read_whole, f"cut after these bytes of {len(data)}, read: {read_whole}"


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), tail=st.binary(max_size=2000))
@pytest.mark.parametrize("name", FORMATS)
def test_random_bytes_after_a_valid_start_give_spectra_or_the_format_error(write, name, data, tail):
    fmt = _format(name)
    sample = _sample(name)
    keep = data.draw(st.integers(min_value=1, max_value=len(sample)), label="keep")
    path = write(sample[:keep] + tail, "fuzz" + fmt.extensions[0])
    try:
        spectra = fmt.read(path)
    except FormatError as exc:
        assert str(path) in str(exc)
    else:
        assert spectra and all(isinstance(s, Spectrum) for s in spectra)


@pytest.mark.parametrize("name", FORMATS)
def test_a_file_over_the_format_s_size_limit_is_refused_before_it_is_read(write, monkeypatch, name):
    # a wrong file (a log, a map export) must not fill the laptop's memory while it is read
    fmt = _format(name)
    path = write(_sample(name), "sample" + fmt.extensions[0])
    assert read_spectra(path)
    limit = "MAX_TEXT_BYTES" if fmt.text else "MAX_BINARY_BYTES"
    monkeypatch.setattr(io_module, limit, path.stat().st_size - 1)
    assert fmt.max_bytes == path.stat().st_size - 1

    def not_to_be_called(_path):
        raise AssertionError("the reader was called")

    monkeypatch.setattr(io_module, "_formats", [dataclasses.replace(fmt, read=not_to_be_called)])
    with pytest.raises(
        FormatError,
        match=rf"{re.escape(path.name)}: .* MB is too large for a {re.escape(fmt.description)} "
        r"spectrum file \(at most .* MB are read; .*\): is it the right file\?",
    ):
        read_spectra(path)


def test_every_format_states_whether_it_is_text_and_so_its_size_limit():
    for fmt in available_formats():
        assert isinstance(fmt.text, bool), fmt.name
        limit = io_module.MAX_TEXT_BYTES if fmt.text else io_module.MAX_BINARY_BYTES
        assert fmt.max_bytes == limit
    assert {f.name for f in available_formats() if f.text} == {"jcamp", "text"}


# -- the table of formats of docs/spectrum-files.md ------------------------------------------------


def _listed_extensions() -> dict[str, set[str]]:
    """The extensions each row of the format table of docs/spectrum-files.md lists (``.0`` to
    ``.9``: all ten)."""
    text = SPECTRUM_FILES.read_text(encoding="utf-8")
    start = text.index("| Format | Extensions |")
    rows = {}
    for line in text[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        listed = set(re.findall(r"`(\.[^`]+)`", cells[1]))
        for low, high in re.findall(r"`\.(\d)` to `\.(\d)`", cells[1]):
            listed |= {f".{d}" for d in range(int(low), int(high) + 1)}
        rows[cells[0]] = listed
    return rows


def test_the_format_table_of_the_spectrum_files_guide_lists_every_registered_extension():
    listed = set().union(*_listed_extensions().values())
    registered = {ext for fmt in available_formats() for ext in fmt.extensions}
    missing, unknown = sorted(registered - listed), sorted(listed - registered)
    table = "the table of formats in docs/spectrum-files.md"
    assert not missing, f"add {', '.join(missing)} to {table}"
    assert not unknown, f"{table} lists {', '.join(unknown)}, which no reader takes"
