"""The text reader and CSV writer: synthetic files of every style, then the real exports."""

from __future__ import annotations

import contextlib
import json
import math
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from synthetic import TRANSMITTANCE_SCALE_CASES, make_spectrum, transmittance_values

import forensic.io as io_module
from forensic.errors import FormatError, NotVibrationalError
from forensic.io import read_spectra, read_spectrum, write_spectrum
from forensic.io import text as text_module
from forensic.io.text import FORMAT, read_text, sniff_text, write_csv
from forensic.quality import diagnose_ir_range
from forensic.spectrum import MIN_POINTS, Spectrum

# -- synthetic files -------------------------------------------------------------------------------

AXIS = np.linspace(200.0, 1800.0, 161)  # 10 cm-1 steps
BAND = 1000.0


def _intensity(axis=AXIS, centre=BAND):
    return 50.0 + 1000.0 * np.exp(-(((axis - centre) / 6.0) ** 2))


def _rows(fmt, axis=AXIS, values=None, decimal="."):
    values = _intensity(axis) if values is None else values
    lines = [fmt.format(x, y) for x, y in zip(axis, values, strict=True)]
    if decimal == ",":
        lines = [line.replace(".", ",") for line in lines]
    return lines


def _write(tmp_path: Path, name: str, lines, newline="\n", encoding="utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(newline.join(lines).encode(encoding) + newline.encode())
    return path


def _peak(spectrum, near, window=25.0):
    x, y = spectrum.wavenumber, spectrum.intensity
    m = (x > near - window) & (x < near + window)
    return float(x[m][np.argmax(y[m] - np.median(y[m]))])


STYLES = {
    "comma": ("{:.2f},{:.3f}", "."),
    "comma_space": ("{:.2f}, {:.3f}", "."),
    "semicolon": ("{:.2f};{:.3f}", "."),
    "semicolon_decimal_comma": ("{:.2f};{:.3f}", ","),
    "tab": ("{:.2f}\t{:.3f}", "."),
    "tab_decimal_comma": ("{:.2f}\t{:.3f}", ","),
    "spaces": ("{:.2f}   {:.3f}", "."),
    "spaces_decimal_comma": ("{:.2f} {:.3f}", ","),
    "scientific": ("{:.6e} {:.6e}", "."),
}


@pytest.mark.parametrize("style", sorted(STYLES))
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_every_delimiter_and_decimal_style(tmp_path, style, newline):
    fmt, decimal = STYLES[style]
    path = _write(tmp_path, f"{style}.txt", _rows(fmt, decimal=decimal), newline=newline)
    (spectrum,) = read_text(path)
    assert len(spectrum) == AXIS.size
    np.testing.assert_allclose(spectrum.wavenumber, AXIS, atol=0.006)
    np.testing.assert_allclose(spectrum.intensity, _intensity(), atol=0.0006, rtol=1e-6)
    assert _peak(spectrum, BAND) == pytest.approx(BAND, abs=0.01)
    assert spectrum.modality == "raman"  # starts below 300 cm-1


def test_decimal_comma_semicolon_example_from_the_issue(tmp_path):
    lines = [f"{1001 + i},{i % 10};{2345 + i},{i % 7}" for i in range(20)]
    (spectrum,) = read_text(_write(tmp_path, "dc.csv", lines))
    assert spectrum.wavenumber[0] == pytest.approx(1001.0)
    assert spectrum.intensity[1] == pytest.approx(2346.1)


DECIMAL_COMMA_LAYOUTS = {
    # row format, header line, text_layout recorded
    "semicolon": ("{};{}", "Wavenumber;Absorbance", "semicolon-delimited, decimal comma"),
    "tab": ("{}\t{}", "Wavenumber\tAbsorbance", "tab-delimited, decimal comma"),
    "spaces": ("{}  {}", "Wavenumber  Absorbance", "whitespace-delimited, decimal comma"),
    "quoted": ('"{}","{}"', '"Wavenumber","Absorbance"',
               "comma-delimited, decimal comma in quoted cells"),
}  # fmt: skip


@pytest.mark.parametrize("layout", sorted(DECIMAL_COMMA_LAYOUTS))
@pytest.mark.parametrize("with_header", [False, True])
def test_european_decimal_comma_exports_are_read_and_say_how(tmp_path, layout, with_header):
    fmt, header, described = DECIMAL_COMMA_LAYOUTS[layout]
    axis = np.linspace(600.0, 3600.0, 3001)
    values = 0.05 + 0.8 * np.exp(-(((axis - 1001.0) / 5.0) ** 2))
    rows = [
        fmt.format(f"{x:.1f}", f"{y:.4f}").replace(".", ",")
        for x, y in zip(axis, values, strict=True)
    ]
    path = _write(tmp_path, "eu.csv", [header, *rows] if with_header else rows)
    (spectrum,) = read_spectra(path)  # chosen by content: the sniffer must see it as text
    np.testing.assert_allclose(spectrum.wavenumber, axis, atol=1e-9)
    np.testing.assert_allclose(spectrum.intensity, values, atol=5e-5)
    assert spectrum.metadata["text_layout"] == described
    assert _peak(spectrum, 1001.0) == pytest.approx(1001.0, abs=0.01)


def test_decimal_point_csv_says_how_it_was_read(tmp_path):
    (spectrum,) = read_text(_write(tmp_path, "pt.csv", _rows("{:.2f},{:.3f}")))
    assert spectrum.metadata["text_layout"] == "comma-delimited, decimal point"


@pytest.mark.parametrize("intruder", ["1001.4;0,5", "1.001,4;0,5", "1001,4;0.5"])
def test_a_decimal_point_in_a_decimal_comma_file_is_refused_with_its_line(tmp_path, intruder):
    rows = _rows("{:.2f};{:.3f}", decimal=",")
    rows[70] = intruder
    with pytest.raises(FormatError, match=r"line 71: expected a number in column \d, found"):
        read_text(_write(tmp_path, "mixed.csv", rows))


def test_whole_numbers_in_comma_columns_are_not_guessed(tmp_path):
    # "1001,4,0,532": four whole numbers, or 1001.4 and 0.532 written with decimal commas.
    rows = [f"{400 + 2 * i},{i % 10},{i % 3},{500 + i}" for i in range(40)]
    with pytest.raises(
        FormatError, match=r"ambiguous\.csv: line 1: every row holds 4 whole numbers separated"
    ):
        read_text(_write(tmp_path, "ambiguous.csv", rows))
    # A line of column names naming every column settles it.
    named = read_text(_write(tmp_path, "named.csv", ["Raman shift,Intensity,Dark,Pixel", *rows]))
    assert named[0].metadata["text_layout"] == "comma-delimited, whole numbers"
    assert named[0].intensity[1] == 1.0


def test_two_whole_number_columns_are_read_when_the_first_is_an_axis(tmp_path):
    rows = [f"{200 + 5 * i},{1000 + (i * 37) % 400}" for i in range(50)]
    (spectrum,) = read_text(_write(tmp_path, "ints.csv", rows))
    assert spectrum.wavenumber[1] == 205.0 and spectrum.intensity[1] == 1037.0
    assert spectrum.metadata["text_layout"] == "comma-delimited, whole numbers"
    # One column of decimal-comma numbers looks the same, but its "axis" goes up and down.
    rows = [f"{1000 + (i * 37) % 400},{i % 10}" for i in range(50)]
    with pytest.raises(FormatError, match=r"line 1: .*the first is not a steady axis"):
        read_text(_write(tmp_path, "one-column.csv", rows))


def test_column_names_for_half_the_cells_mean_decimal_commas_in_a_comma_file(tmp_path):
    rows = [f"{1000 + i},{i % 10},0,{5 + i}E-03" for i in range(40)]
    with pytest.raises(
        FormatError,
        match=r"line 2: the column names \(Wavenumber, Absorbance\) name 2 columns but the "
        r"rows hold 4 comma-separated numbers: the numbers look like decimal commas",
    ):
        read_text(_write(tmp_path, "half.csv", ["Wavenumber,Absorbance", *rows]))


@pytest.mark.parametrize("prefix", ["#", "%", "//", ";"])
def test_comment_lines_anywhere(tmp_path, prefix):
    rows = _rows("{:.2f},{:.3f}")
    lines = [f"{prefix} exported by hand", f"{prefix} sample: test", *rows[:50]]
    lines += [f"{prefix} a comment inside the data", "", *rows[50:], f"{prefix} trailer"]
    (spectrum,) = read_text(_write(tmp_path, "c.csv", lines))
    assert len(spectrum) == AXIS.size
    assert "exported by hand" in spectrum.metadata["comment"]


def test_header_line_names_columns_and_descending_axis_is_reversed(tmp_path):
    lines = ["Raman Shift (cm-1),Intensity (counts)"]
    lines += _rows("{:.2f},{:.0f}", axis=AXIS[::-1], values=np.round(_intensity(AXIS[::-1])))
    (spectrum,) = read_text(_write(tmp_path, "h.csv", lines))
    assert np.all(np.diff(spectrum.wavenumber) > 0)
    assert spectrum.wavenumber[0] == pytest.approx(AXIS[0])
    assert spectrum.metadata["x_column"] == "Raman Shift (cm-1)"
    assert spectrum.y_unit == "counts"
    assert spectrum.modality == "raman"
    assert spectrum.metadata["modality_basis"].startswith("column")


def test_constant_columns_without_header_are_not_taken_for_the_spectrum(tmp_path):
    lines = _rows("{:.2f} 99 {:.3f} -1")
    (spectrum,) = read_text(_write(tmp_path, "x.dat", lines))
    np.testing.assert_allclose(spectrum.intensity, _intensity(), atol=0.001)


def test_two_varying_columns_without_header_are_refused_not_one_taken(tmp_path):
    """Raw and dark, or two spectra: which one is the sample's no header says."""
    lines = _rows("{0:.2f},{1:.3f},{1:.1f}")
    path = _write(tmp_path, "x.csv", lines)
    with pytest.raises(FormatError, match=r"3 columns of numbers and no header.*Export only"):
        read_text(path)


def test_header_says_which_column_is_intensity(tmp_path):
    lines = ["index,wavenumber,noise,intensity"]
    lines += [
        f"{i},{x:.2f},{(-1) ** i * 3},{y:.3f}"
        for i, (x, y) in enumerate(zip(AXIS, _intensity(), strict=True))
    ]
    (spectrum,) = read_text(_write(tmp_path, "cols.csv", lines))
    np.testing.assert_allclose(spectrum.wavenumber, AXIS, atol=0.006)
    np.testing.assert_allclose(spectrum.intensity, _intensity(), atol=0.001)
    assert spectrum.metadata["y_column"] == "intensity"


def test_named_sample_columns_are_separate_spectra(tmp_path):
    lines = ["raman_shift_cm-1,fructose,lactose"]
    lines += [f"{x:.1f},{y:.3f},{2 * y:.3f}" for x, y in zip(AXIS, _intensity(), strict=True)]
    path = _write(tmp_path, "two.csv", lines)
    spectra = read_spectra(path)
    assert [s.name for s in spectra] == ["fructose", "lactose"]
    np.testing.assert_allclose(spectra[1].intensity, 2 * spectra[0].intensity, rtol=1e-3)
    with pytest.raises(FormatError, match="holds 2 spectra"):
        read_spectrum(path)


def test_rruff_style_header(tmp_path):
    lines = ["##NAMES=Calcite", "##RRUFFID=R040070", "##LOCALITY=Somewhere"]
    lines += [*_rows("{:.3f}, {:.3f}"), "##END=", "", ""]
    path = _write(tmp_path, "Calcite__R040070__Raman__532__0__unoriented.txt", lines)
    (spectrum,) = read_text(path)
    assert spectrum.name == "Calcite"
    assert spectrum.metadata["rruff_id"] == "R040070"
    assert spectrum.metadata["LOCALITY"] == "Somewhere"
    assert spectrum.metadata["laser_wavelength_nm"] == 532.0
    assert spectrum.modality == "raman"


def test_many_header_lines_are_read_in_linear_time(tmp_path, monkeypatch):
    # Each ##KEY= line's number was counted from the start of the file: quadratic, 15 s for
    # these 100 000 lines (1.4 MB) before, 0.3 s now; a 256 MB file would have hung for hours.
    # Counted, not timed: each pass over the text counts every character's line end once.
    lines = ["##NAMES=Calcite", *["##RRUFFID=R040070"] * 100_000, *_rows("{:.1f}, {:.2f}")]
    path = _write(tmp_path, "many_labels.txt", lines)
    spans = []

    def newlines(text, start, stop):
        spans.append(stop - start)
        return text.count("\n", start, stop)

    monkeypatch.setattr(text_module, "_newlines", newlines)
    (spectrum,) = read_text(path)
    assert len(spectrum) == AXIS.size
    assert len(spans) >= 100_000  # it counted for each label ...
    assert sum(spans) <= 2 * path.stat().st_size  # ... on from the last: two passes at most


def test_rruff_infrared_by_file_name(tmp_path):
    axis = np.linspace(400.0, 4000.0, 300)
    values = 0.1 + 0.5 * np.exp(-(((axis - 1430.0) / 30.0) ** 2))
    lines = ["##NAMES=Calcite", *_rows("{:.3f}, {:.5f}", axis=axis, values=values), "##END="]
    path = _write(tmp_path, "Calcite__R040070-1__Infrared__Infrared_Data_Processed__1.txt", lines)
    (spectrum,) = read_text(path)
    assert spectrum.modality == "ir"
    assert spectrum.y_unit == "absorbance"
    assert "laser_wavelength_nm" not in spectrum.metadata


def test_bwtek_style_export(tmp_path):
    header = [
        "File Version;BWSpec4.11_1",
        "Date;2021-10-29 16:24:49",
        "model;BTC162E-532S-SYS",
        "intigration times(ms);2500",
        "average number;5",
        "laser_wavelength;532,07",
        "Pixel;Wavelength;Wavenumber;Raman Shift;Dark;Reference;Raw data #1;"
        "Dark Subtracted #1;%TR #1;Absorbance #1;",
    ]
    rows = [f"{p};   ;   ;   ;1000,0000;65535,0000;1000,0000;0,0000;0,0;0,0;" for p in range(5)]
    for p, (x, y) in enumerate(zip(AXIS, _intensity(), strict=True), start=5):
        row = f"{p};540,00;18500,00;{x:.2f};1000,0000;65535,0000;{1000 + y:.4f};{y:.4f};0,0;0,0;"
        rows.append(row.replace(".", ","))
    (spectrum,) = read_text(_write(tmp_path, "bw.txt", header + rows, newline="\r\n"))
    assert len(spectrum) == AXIS.size  # the five pixels without a Raman shift are left out
    assert spectrum.history[0].name == "skip_rows_without_values"
    assert spectrum.metadata["y_column"] == "Dark Subtracted #1"
    assert spectrum.metadata["laser_wavelength_nm"] == pytest.approx(532.07)
    assert spectrum.metadata["integration_time_ms"] == 2500.0
    assert spectrum.metadata["averages"] == 5
    assert spectrum.metadata["instrument_model"] == "BTC162E-532S-SYS"
    assert spectrum.y_unit == "counts"
    assert _peak(spectrum, BAND) == pytest.approx(BAND, abs=0.01)


def bwtek_lines(pixels, declared):
    """The lines of a B&W Tek export of ``pixels`` rows whose header holds the lines
    ``declared`` (its pixel count, or none)."""
    header = ["File Version;BWSpec4.11_1", *declared, "laser_wavelength;532,07"]
    header.append("Pixel;Raman Shift;Dark;Raw data #1;Dark Subtracted #1;")
    rows = []
    for p, (x, y) in enumerate(zip(AXIS[:pixels], _intensity()[:pixels], strict=True)):
        rows.append(f"{p};{x:.2f};1000,0000;{1000 + y:.4f};{y:.4f};".replace(".", ","))
    return header + rows


@pytest.mark.parametrize(
    "declared",
    [
        ["pixel_num;{n}"],
        ["pixel_start;0", "pixel_end;{last}"],
        ["pixel_start;10", "pixel_end;{end}"],
    ],
)
def test_bwtek_table_cut_at_a_line_end_is_refused_by_its_pixel_count(tmp_path, declared):
    # Cut exactly at a line end, the rows leave no sign; a B&W Tek header states the pixels.
    n = AXIS.size
    declared = [d.format(n=n, last=n - 1, end=n + 9) for d in declared]
    (spectrum,) = read_text(_write(tmp_path, "whole.txt", bwtek_lines(n, declared)))
    assert len(spectrum) == n
    lines = bwtek_lines(n - 40, declared)
    match = (
        rf"cut\.txt: line {len(lines)}: the header declares {n} detector pixels \(pixel_.*\) "
        rf"but the table ends here, after {n - 40} rows: the file looks cut off"
    )
    with pytest.raises(FormatError, match=match):
        read_text(_write(tmp_path, "cut.txt", lines))


def test_bwtek_table_longer_than_its_pixel_count_is_refused(tmp_path):
    lines = bwtek_lines(AXIS.size, [f"pixel_num;{AXIS.size - 5}"])
    with pytest.raises(FormatError, match=r"more rows than the detector has pixels"):
        read_text(_write(tmp_path, "long.txt", lines))


def test_labspec_style_header(tmp_path):
    header = ["#Acq. time (s)=\t2", "#Accumulations=\t3", "#Laser=\t785nm_Edge", "#Title=\tX"]
    lines = header + _rows("{:.3f}\t{:.0f}", values=np.round(_intensity()))
    (spectrum,) = read_text(_write(tmp_path, "ls.txt", lines, encoding="latin-1"))
    assert spectrum.metadata["integration_time_ms"] == 2000.0
    assert spectrum.metadata["averages"] == 3
    assert spectrum.metadata["laser_wavelength_nm"] == 785.0
    assert spectrum.metadata["modality_basis"] == "laser wavelength in the header"


def test_openspecy_csv_ir(tmp_path):
    axis = np.linspace(650.0, 4000.0, 400)
    values = 0.01 + 0.3 * np.exp(-(((axis - 1730.0) / 10.0) ** 2))
    lines = ["wavenumber,absorbance", *_rows("{:.3f},{:.6f}", axis=axis, values=values)]
    (spectrum,) = read_text(_write(tmp_path, "sample.csv", lines))
    assert (spectrum.modality, spectrum.y_unit) == ("ir", "absorbance")


def test_ir_transmittance_recognised_by_its_dips(tmp_path):
    axis = np.linspace(500.0, 4000.0, 400)
    values = 95.0 - 60.0 * np.exp(-(((axis - 1730.0) / 10.0) ** 2))
    (spectrum,) = read_text(_write(tmp_path, "t.txt", _rows("{:.3f} {:.4f}", axis, values)))
    assert (spectrum.modality, spectrum.y_unit) == ("ir", "percent_transmittance")


def test_a_guessed_ir_unit_says_so_and_a_named_one_does_not(tmp_path):
    axis = np.linspace(500.0, 4000.0, 400)
    dips = 95.0 - 60.0 * np.exp(-(((axis - 1730.0) / 10.0) ** 2))
    (guessed,) = read_text(_write(tmp_path, "t.txt", _rows("{:.3f} {:.4f}", axis, dips)))
    assert guessed.metadata["y_unit_basis"].startswith("guessed from the numbers: intensities dip")
    peaks = 0.02 + 0.5 * np.exp(-(((axis - 1730.0) / 10.0) ** 2))
    (absorb,) = read_text(_write(tmp_path, "ftir.txt", _rows("{:.3f} {:.5f}", axis, peaks)))
    assert absorb.y_unit == "absorbance"
    assert absorb.metadata["y_unit_basis"].startswith("guessed from the numbers: small positive")
    lines = ["wavenumber,absorbance", *_rows("{:.3f},{:.6f}", axis=axis, values=peaks)]
    (named,) = read_text(_write(tmp_path, "named.csv", lines))
    assert "y_unit_basis" not in named.metadata


def test_ir_micrometre_axis_becomes_wavenumber(tmp_path):
    microns = np.linspace(2.5, 20.0, 200)
    lines = ["Wavelength (µm),Absorbance", *_rows("{:.4f},{:.4f}", microns, microns / 40)]
    (spectrum,) = read_text(_write(tmp_path, "um.csv", lines))
    assert spectrum.wavenumber[-1] == pytest.approx(4000.0)
    assert spectrum.history[-1].name == "micrometre_to_wavenumber"


def test_wavelength_axis_with_laser_becomes_raman_shift(tmp_path):
    laser = 785.0
    shift = AXIS
    wavelength = 1e7 / (1e7 / laser - shift)
    lines = ["# Laser wavelength = 785 nm", "Wavelength (nm),Intensity"]
    lines += _rows("{:.5f},{:.3f}", axis=wavelength, values=_intensity(shift))
    (spectrum,) = read_text(_write(tmp_path, "wl.csv", lines))
    assert spectrum.modality == "raman"
    assert _peak(spectrum, BAND) == pytest.approx(BAND, abs=0.1)
    assert [s.name for s in spectrum.history] == ["wavelength_to_raman_shift"]


def test_wavelength_axis_without_laser_is_refused(tmp_path):
    lines = ["Wavelength (nm),Intensity", *_rows("{:.3f},{:.3f}", np.linspace(300, 800, 100))]
    with pytest.raises(NotVibrationalError, match="no laser wavelength"):
        read_text(_write(tmp_path, "uv.csv", lines))


def test_wavelength_axis_with_laser_only_in_the_file_name_is_refused(tmp_path):
    lines = ["Wavelength (nm),Intensity", *_rows("{:.3f},{:.3f}", np.linspace(540, 640, 100))]
    with pytest.raises(NotVibrationalError, match=r"540-640 nm"):
        read_text(_write(tmp_path, "sample_532nm.csv", lines))


def test_infrared_wavelength_axis_in_nm(tmp_path):
    nm = np.linspace(2500.0, 16000.0, 200)
    lines = ["Wavelength (nm),Absorbance", *_rows("{:.1f},{:.4f}", nm, 0.1 + nm / 1e5)]
    (spectrum,) = read_text(_write(tmp_path, "nir.csv", lines))
    assert spectrum.modality == "ir"
    assert spectrum.wavenumber[-1] == pytest.approx(4000.0)
    assert spectrum.history[-1].name == "nanometre_to_wavenumber"


def test_a_wavelength_axis_in_um_beyond_raman_light_is_read_as_infrared(tmp_path):
    # "Wavelength (µm),Intensity", 2.5-16 µm: converted to 625-4000 cm-1, and then taken for
    # Raman by its numbers (an axis starting at 2 "cm-1"), so compared with Raman references
    um = np.linspace(2.5, 16.0, 200)
    lines = ["Wavelength (µm),Intensity", *_rows("{:.4f},{:.4f}", um, 0.1 + um / 100)]
    (spectrum,) = read_text(_write(tmp_path, "export.csv", lines))
    assert spectrum.modality == "ir"
    assert spectrum.metadata["modality_basis"] == "wavelength axis in µm from 2 µm (infrared)"
    assert spectrum.wavenumber[[0, -1]] == pytest.approx([625.0, 4000.0])
    assert [step.name for step in spectrum.history] == ["micrometre_to_wavenumber"]
    # "Wavelength" alone is read as nm: 2.5-16 nm is told the column to name it in µm
    lines = ["Wavelength,Absorbance", *_rows("{:.4f},{:.4f}", um, 0.1 + um / 100)]
    with pytest.raises(FormatError) as refused:
        read_text(_write(tmp_path, "unnamed.csv", lines))
    assert str(refused.value) == (
        f"{tmp_path / 'unnamed.csv'}: the wavelength axis, read as nm, runs 2.5-16, which no "
        "vibrational spectrum does in nm; in µm, it looks like an IR spectrum's wavelength "
        "(2.5-25 µm is 4000-400 cm-1): if it is, head the axis column 'wavelength (µm)', and "
        "forensic converts it as it reads it, wavenumber in cm-1 = 10000 / µm"
    )
    # the scattered light of a Raman laser, in µm, is no IR spectrum: left as it was read
    raman_um = np.linspace(0.79, 1.0, 200)
    lines = ["Wavelength (µm),Intensity", *_rows("{:.4f},{:.1f}", raman_um, 100 + raman_um)]
    (scattered,) = read_text(_write(tmp_path, "scattered.csv", lines))
    assert scattered.modality == "raman"


def test_repeated_wavenumbers_are_merged_and_recorded(tmp_path):
    # Four step-scan windows, each starting where the last ended: 3 repeated wavenumbers.
    axis = np.concatenate([AXIS[0:40], AXIS[39:80], AXIS[79:120], AXIS[119:]])[::-1]
    values = _intensity(axis)
    (spectrum,) = read_text(_write(tmp_path, "stitched.txt", _rows("{:.2f}\t{:.3f}", axis, values)))
    assert len(spectrum) == AXIS.size
    (step,) = spectrum.history
    assert step.name == "merge_repeated_wavenumbers"
    assert step.params["merged_values"] == 3


def test_a_second_sweep_in_one_file_is_refused_with_its_line_not_averaged_into_one(tmp_path):
    # two sweeps, the second with the intensities reversed: merged, they were one "spectrum"
    values = _intensity()
    lines = ["Raman Shift (cm-1),Intensity"]
    lines += _rows("{:.2f},{:.3f}", AXIS, values) + _rows("{:.2f},{:.3f}", AXIS, values[::-1])
    path = _write(tmp_path, "two_sweeps.csv", lines)
    with pytest.raises(
        FormatError,
        match=r"two_sweeps.csv: line 163: the axis turns back here \(1800 -> 200 cm-1\), "
        r"1600 cm-1 or 100% of its range 200-1800 cm-1: the file holds more than one sweep",
    ):
        read_text(path)


def test_points_out_of_order_are_refused_with_the_line_where_the_axis_runs_back(tmp_path):
    axis = np.r_[AXIS[:50], AXIS[50:60][::-1], AXIS[60:]]
    path = _write(tmp_path, "reversed.txt", _rows("{:.2f}\t{:.3f}", axis))
    with pytest.raises(
        FormatError,
        match=r"line 52: the axis turns back here \(790 -> 780 cm-1\) and runs backwards for 9",
    ):
        read_text(path)


def test_a_small_overlap_where_windows_join_is_sorted_and_recorded(tmp_path):
    # the second window starts 20 cm-1 (1.25 % of the range) before the first one ended
    axis = np.r_[AXIS[:80], AXIS[78:] + 5.0]
    (spectrum,) = read_text(_write(tmp_path, "overlap.txt", _rows("{:.2f}\t{:.3f}", axis)))
    assert len(spectrum) == axis.size and np.all(np.diff(spectrum.wavenumber) > 0)
    assert [s.name for s in spectrum.history] == ["sort_wavenumber"]


def test_a_line_of_millions_of_numbers_is_refused_at_once_not_parsed(tmp_path, monkeypatch):
    # 20 MB of "1,2,..." on one line took 36 s and 1 GB to be told "only 1 rows"
    path = tmp_path / "one_line.csv"
    path.write_text(",".join(["1", "2"] * 1_000_000))
    longest = []
    numeric_row = text_module._numeric_row

    def measured(line, style):
        longest.append(len(line))
        return numeric_row(line, style)

    monkeypatch.setattr(text_module, "_numeric_row", measured)
    with pytest.raises(FormatError, match=r"line 1: only 1 rows of numbers; a spectrum needs"):
        read_text(path)
    assert max(longest) <= 1 << 16  # the start of the line tells, not its 4 million bytes


def test_a_wide_table_reads_though_its_rows_are_longer_than_the_style_probe(tmp_path):
    names = [f"sample{k}" for k in range(600)]
    values = [_intensity(AXIS, centre=400.0 + 2 * k) for k in range(len(names))]
    lines = ["raman_shift;" + ";".join(names)]
    lines += [
        ";".join(f"{v:.4f}".replace(".", ",") for v in [x, *(y[i] for y in values)])
        for i, x in enumerate(AXIS)
    ]
    assert len(lines[1]) > text_module._STYLE_PROBE_CHARS
    spectra = read_text(_write(tmp_path, "wide.csv", lines))
    assert len(spectra) == 600 and spectra[7].name == "sample7"
    assert spectra[0].metadata["text_layout"] == "semicolon-delimited, decimal comma"
    assert _peak(spectra[150], 700.0) == pytest.approx(700.0)


def test_a_table_of_more_spectra_than_a_file_may_give_is_refused(tmp_path, monkeypatch):
    # 400 000 sample columns (16 MB) took 45 s and 0.9 GB, so a table at the 256 MB limit
    # would need some 14 GB. The columns are counted before any spectrum is built.
    monkeypatch.setattr(io_module, "MAX_SPECTRA_PER_FILE", 5)
    names = [f"sample{k}" for k in range(6)]
    lines = ["raman_shift," + ",".join(names)]
    lines += [
        ",".join(f"{v:.4f}" for v in [x, *[y] * 6]) for x, y in zip(AXIS, _intensity(), strict=True)
    ]
    with pytest.raises(FormatError, match=r"wide\.csv: holds 6 spectra \(a column each\): more "):
        read_text(_write(tmp_path, "wide.csv", lines))
    assert len(read_text(_write(tmp_path, "five.csv", [s.rsplit(",", 1)[0] for s in lines]))) == 5


def test_values_beyond_any_spectrum_are_refused_as_such_not_as_nan(tmp_path):
    # 1e304 read fine, then overflowed in processing into NaN "held" by the file
    path = _write(tmp_path, "huge.csv", _rows("{:.2f},{:.4e}", AXIS, _intensity() * 1e301))
    with pytest.raises(FormatError) as refused:
        read_text(path)
    assert refused.value.line == 1  # named by its line, not by its index in the spectrum
    assert "huge.csv: line 1: number out of range ('5.0000e+302') in column 2" in str(refused.value)
    assert "beyond what any spectrum holds" in str(refused.value)
    assert "NaN" not in str(refused.value)
    # an axis value too: it overflowed the axis checks (RuntimeWarning) before it was refused
    rows = _rows("{:.2f},{:.2f}")
    rows[20] = "1e308,5.0"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(FormatError, match=r"line 21: number out of range \('1e308'\)"):
            read_text(_write(tmp_path, "axis.csv", rows))


def test_utf16_with_bom(tmp_path):
    path = tmp_path / "u16.txt"
    path.write_text("\n".join(_rows("{:.2f}\t{:.3f}")), encoding="utf-16")
    (spectrum,) = read_text(path)
    assert len(spectrum) == AXIS.size


# -- bad input -------------------------------------------------------------------------------------


def test_prose_is_refused_with_its_line(tmp_path):
    path = _write(tmp_path, "notes.txt", ["", "Dear colleague,", "the results follow."])
    with pytest.raises(FormatError, match=r"notes\.txt: line 2: not a spectrum") as info:
        read_text(path)
    assert info.value.line == 2


def test_one_column_is_refused(tmp_path):
    path = _write(tmp_path, "one.csv", [f"{x:.1f}" for x in AXIS])
    with pytest.raises(FormatError, match=r"line 1: .*two or more numbers"):
        read_text(path)


def test_too_few_rows(tmp_path):
    path = _write(tmp_path, "few.csv", ["x,y", *_rows("{:.1f},{:.1f}")[:10]])
    with pytest.raises(FormatError, match=r"line 2: only 10 rows of numbers; .* at least 16"):
        read_text(path)


@pytest.mark.parametrize("bad", ["nan", "NaN", "inf", "-Infinity"])
def test_nan_rows_are_refused_with_their_line(tmp_path, bad):
    rows = _rows("{:.2f},{:.3f}")
    rows[40] = f"1000.0,{bad}"
    path = _write(tmp_path, "nan.csv", ["# header", *rows])
    with pytest.raises(FormatError, match=r"line 42: not a number") as info:
        read_text(path)
    assert info.value.line == 42


def test_text_inside_the_data_names_its_line(tmp_path):
    rows = _rows("{:.2f};{:.3f}")
    rows[100] = "1000.0;overflow"
    path = _write(tmp_path, "junk.csv", rows)
    with pytest.raises(FormatError, match=r"line 101: expected a number in column 2"):
        read_text(path)


@pytest.mark.parametrize("at", [1, 2, 3])
def test_text_among_the_first_rows_names_its_line(tmp_path, at):
    rows = _rows("{:.2f},{:.3f}")
    lines = ["x,y", *rows[:at], "see note", *rows[at:]]
    with pytest.raises(FormatError, match=rf"line {at + 2}: rows of numbers are interrupted"):
        read_text(_write(tmp_path, "early.csv", lines))


@pytest.mark.parametrize("at", [1, 2])
def test_nan_among_the_first_rows_is_named_as_not_a_number(tmp_path, at):
    rows = _rows("{:.2f},{:.3f}")
    rows[at] = rows[at].split(",")[0] + ",nan"
    with pytest.raises(FormatError, match=rf"line {at + 2}: not a number \('nan'\) in column 2"):
        read_text(_write(tmp_path, "early-nan.csv", ["x,y", *rows]))


def test_a_line_of_words_inside_the_data(tmp_path):
    rows = _rows("{:.2f},{:.3f}")
    lines = [*rows[:50], "second window", *rows[50:]]
    with pytest.raises(FormatError, match=r"line 51: expected a row of 2 numbers, found 'second"):
        read_text(_write(tmp_path, "mid.csv", lines))


def test_percent_transmittance_column(tmp_path):
    axis = np.linspace(600.0, 4000.0, 300)
    values = 90.0 - 50.0 * np.exp(-(((axis - 1730.0) / 10.0) ** 2))
    lines = ["Wavenumber (cm-1)\tTransmittance (%)", *_rows("{:.2f}\t{:.3f}", axis, values)]
    (spectrum,) = read_text(_write(tmp_path, "pt.txt", lines))
    assert (spectrum.modality, spectrum.y_unit) == ("ir", "percent_transmittance")


@pytest.mark.parametrize(("low", "high", "scale"), TRANSMITTANCE_SCALE_CASES)
def test_transmittance_scale_by_the_rule_the_range_check_applies(tmp_path, low, high, scale):
    values = transmittance_values(low, high)
    axis = np.linspace(600.0, 4000.0, values.size)
    # a column named transmittance: its scale from the values, or said to be a guess
    lines = ["Wavenumber (cm-1)\tTransmittance", *_rows("{:.2f}\t{:.4f}", axis, values)]
    (named,) = read_text(_write(tmp_path, "named.txt", lines))
    assert (named.modality, named.y_unit) == ("ir", scale or "transmittance")
    assert named.y_unit_guessed == (scale is None)
    assert (diagnose_ir_range(named) is None) == (scale is not None)
    # no name: dips on a scale the values tell are transmittance; what they cannot tell is not
    (bare,) = read_text(_write(tmp_path, "bare.txt", _rows("{:.2f} {:.4f}", axis, values)))
    if scale is not None:
        assert (bare.modality, bare.y_unit) == ("ir", scale) and bare.y_unit_guessed
    else:
        assert bare.y_unit not in ("transmittance", "percent_transmittance")
    if bare.modality == "ir":
        assert diagnose_ir_range(bare) is None


def test_ragged_rows_name_their_line(tmp_path):
    rows = _rows("{:.2f},{:.3f}")
    rows[60] = "1000.0,1.0,2.0"
    with pytest.raises(FormatError, match=r"line 61: 3 column\(s\) where the rows above have 2"):
        read_text(_write(tmp_path, "ragged.csv", rows))


BROKEN_ABOVE = "the line just above the data starts with a number but does not read as a row of 2"


@pytest.mark.parametrize(
    ("first_row", "message"),
    [
        ("200.0,50.0,7.0", r"3 column\(s\) where the rows below have 2"),
        ("200.0", r"1 column\(s\) where the rows below have 2"),
        ("200.0,", r"1 column\(s\) where the rows below have 2"),
        ("200.0,,50.0", r"3 column\(s\) where the rows below have 2"),  # one of them empty
        ("200.0,nan", r"not a number \('nan'\) in column 2"),
        ("-inf,50.0", r"not a number \('-inf'\) in column 1"),
        (
            "200.0;50.0",
            BROKEN_ABOVE,
        ),
        (
            "200.0,n/a",
            BROKEN_ABOVE,
        ),
        (
            "200.0a",
            BROKEN_ABOVE,
        ),
    ],
)
@pytest.mark.parametrize("above", [[], ["Raman shift,Intensity"], ["# exported", ""]])
def test_a_broken_first_row_is_refused_not_taken_for_a_header(tmp_path, first_row, message, above):
    rows = _rows("{:.2f},{:.3f}")
    rows[0] = first_row
    path = _write(tmp_path, "first.csv", [*above, *rows])
    with pytest.raises(FormatError, match=rf"first\.csv: line {len(above) + 1}: {message}"):
        read_text(path)


GARBLED = "the line just above the data reads as a row of 2 numbers but for one character"
LABSPEC_HEADER = ["#Acq. time (s)=\t2", "#Laser=\t785nm_Edge", "#Title=\tX"]


@pytest.mark.parametrize(
    ("first_cell", "why"),
    [
        ("x00.000", "a letter for a digit"),
        ("2O0.000", "a capital O for a zero"),
        ("200.0#0", "a stray character"),
        ("200.00.0", "a second decimal point"),
        ("-200.000", None),  # a sign is a number's own: the row reads (an axis from -200)
    ],
)
@pytest.mark.parametrize(
    "above", [[], LABSPEC_HEADER, ["#Wave\t\t#Intensity"], ["Raman shift\tIntensity"]]
)
def test_a_first_row_with_a_garbled_number_is_refused_not_taken_for_column_names(
    tmp_path, first_cell, why, above
):
    # LabSpec's first row "46.6417<TAB>37" with one character garbled ("x6.6417") read as a
    # line of column names: the first point was lost, or both columns named by its numbers.
    rows = _rows("{:.3f}\t{:.0f}", values=np.round(_intensity()))
    rows[0] = first_cell + "\t" + rows[0].split("\t")[1]
    path = _write(tmp_path, "garbled.txt", [*above, *rows], encoding="latin-1")
    if why is None:
        (spectrum,) = read_text(path)
        assert len(spectrum) == AXIS.size
        return
    match = rf"garbled\.txt: line {len(above) + 1}: {GARBLED} \({re.escape(repr(first_cell))} in "
    with pytest.raises(FormatError, match=match + r"column 1\): a damaged data row, not column"):
        read_text(path)


@pytest.mark.parametrize("names", ["X\tY", "x1\ty1", "cm-1\tcounts", "Shift 532nm\tI2"])
def test_short_column_names_are_still_column_names(tmp_path, names):
    rows = _rows("{:.3f}\t{:.0f}", values=np.round(_intensity()))
    (spectrum,) = read_text(_write(tmp_path, "named.txt", [names, *rows]))
    assert len(spectrum) == AXIS.size
    assert spectrum.metadata["x_column"] == names.split("\t")[0]


def test_a_lone_count_of_the_rows_below_is_a_header(tmp_path):
    rows = _rows("{:.2f},{:.3f}")
    (spectrum,) = read_text(_write(tmp_path, "count.csv", [str(len(rows)), *rows]))
    assert len(spectrum) == len(rows)
    with pytest.raises(FormatError, match=r"line 1: 1 column\(s\) where the rows below have 2"):
        read_text(_write(tmp_path, "not-count.csv", ["17", *rows]))


@pytest.mark.parametrize(
    ("delimiter", "decimal"), [(",", "."), (";", ","), ("\t", ","), ("\t", ".")]
)
@pytest.mark.parametrize("at", [0.3, 0.99])
def test_ragged_rows_in_every_layout_name_the_file_and_line(tmp_path, delimiter, decimal, at):
    rows = _rows("{:.2f}" + delimiter + "{:.3f}", decimal=decimal)
    line = int(len(rows) * at)
    rows[line] += delimiter + "12"
    path = _write(tmp_path, "ragged.txt", ["Raman shift" + delimiter + "Counts", *rows, "", ""])
    with pytest.raises(
        FormatError, match=rf"ragged\.txt: line {line + 2}: 3 column\(s\) where the rows"
    ):
        read_text(path)
    rows[line] = rows[line].rsplit(delimiter, 2)[0]
    with pytest.raises(FormatError, match=rf"line {line + 1}: 1 column\(s\) where the rows"):
        read_text(_write(tmp_path, "short.txt", rows))


def test_header_block_comments_and_trailing_blank_lines_are_fine(tmp_path):
    lines = ["Sample: caffeine", "Operator: A. N. Other", "# exported 2024-05-01", "", "x,y"]
    lines += [*_rows("{:.2f},{:.3f}"), "", "   ", ""]
    (spectrum,) = read_text(_write(tmp_path, "fine.csv", lines))
    assert len(spectrum) == AXIS.size
    assert not spectrum.history


def test_binary_garbage_is_refused(tmp_path):
    path = tmp_path / "garbage.txt"
    path.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(FormatError, match="binary data"):
        read_text(path)
    assert not sniff_text(path.read_bytes()[:8192], path)


def test_empty_and_blank_files(tmp_path):
    for content in (b"", b"\n\n  \r\n"):
        path = tmp_path / "empty.csv"
        path.write_bytes(content)
        with pytest.raises(FormatError, match="empty"):
            read_text(path)


def test_jcamp_forced_through_text_is_refused(tmp_path):
    lines = ["##TITLE=x", "##JCAMP-DX=4.24", "##XYDATA=(X++(Y..Y))", "100 1 2 3", "##END="]
    with pytest.raises(FormatError, match="line 2: this is a JCAMP-DX file"):
        read_text(_write(tmp_path, "x.jdx", lines))


def test_truncated_last_row(tmp_path):
    rows = _rows("{:.2f},{:.3f}")
    path = _write(tmp_path, "cut.csv", [*rows[:-1], "1800.0,"])
    with pytest.raises(FormatError, match=rf"line {len(rows)}: "):
        read_text(path)


CUT = r"line {line}: the last row is incomplete \(.*\): the file looks cut off"


@pytest.mark.parametrize(
    "fmt",
    [
        "{:.2f},{:.3f}",  # fixed decimals
        "{:.6e},{:.6e}",  # scientific: a cut exponent reads 100 times too small or large
        "{:.4f}\t{:.4f}",
        "{:.1f} {:.5f}",
        "{:.4f};{:.4f};",  # B&W Tek ends every row with its delimiter
        '"{:.2f}","{:.3f}"',
    ],
)
def test_a_row_cut_anywhere_in_the_last_line_is_refused(tmp_path, fmt):
    # a copy or download interrupted mid-row: the last row lacks its newline and part of itself,
    # and was read as a spectrum one point short, or with its last number cut ("1050.000" read
    # as "1050.0", "5.000000e+01" as "5.000000e+0")
    rows = _rows(fmt)
    complete = "\n".join(rows)
    last = rows[-1]
    for keep in range(1, len(last)):
        path = tmp_path / "cut.csv"
        path.write_text(complete[: len(complete) - len(last) + keep])
        with pytest.raises(FormatError, match=CUT.format(line=len(rows))):
            read_text(path)
    # complete, with or without its newline at the end, it reads
    for ending in ("", "\n"):
        path.write_text(complete + ending)
        (spectrum,) = read_text(path)
        assert len(spectrum) == len(rows)


def test_what_the_cut_refusal_says(tmp_path):
    rows = _rows("{:.2f},{:.3f}")
    for cut, sign in [
        ("1800.00", "1 of the 2 columns the rows above hold"),
        ("1800.00,1050.", "its last number ends in its decimal point"),
        ("1800.00,1050.0", "its last number has 1 of the 3 decimals of the rows above"),
        ("1800.00,1050.000e-", "its last number '1050.000e-' is incomplete"),
    ]:
        path = tmp_path / "cut.csv"
        path.write_text("\n".join([*rows[:-1], cut]))
        with pytest.raises(FormatError) as refused:
            read_text(path)
        assert str(refused.value) == (
            f"{path}: line {len(rows)}: the last row is incomplete ({cut!r}: {sign}): the file "
            "looks cut off, as by an interrupted copy or download; copy it again from the original"
        )


def test_a_complete_last_row_without_a_newline_is_not_taken_for_a_cut(tmp_path):
    # written to as many figures, not decimals (RRUFF: 0.2673450 then 1.001544); trailing
    # zeros dropped (Horiba: 1027.67, 1028, 1029.7); whole numbers; and a file cut exactly
    # at a line end, which shows no sign of it and reads as the rows it holds
    below_one = np.linspace(0.2, 0.99, AXIS.size)
    figures = [f"{x:.1f}, {y:#.7g}" for x, y in zip(AXIS, below_one, strict=True)]
    dropped = [f"{x:.2f}\t{y:g}" for x, y in zip(AXIS, np.round(_intensity(), 2), strict=True)]
    for rows in (
        [*figures, f"{1810.0:.1f}, {1.001544:#.7g}"],
        [*dropped, "1810.00\t1028"],
        _rows("{:.0f},{:.0f}"),
    ):
        path = tmp_path / "complete.csv"
        path.write_text("\n".join(rows))
        (spectrum,) = read_text(path)
        assert len(spectrum) == len(rows)


CUT_IN_LINE_END = (
    r"line {line}: the last row ends in a carriage return without the line feed that follows "
    r"it on every other line \(CR LF\): the file was cut between the two bytes of a line end"
)


@pytest.mark.parametrize("keep_rows", [20, 100, AXIS.size])
def test_a_file_cut_between_the_two_bytes_of_a_crlf_line_end_is_refused(tmp_path, keep_rows):
    # Cut after a row's CR, the row is whole and read as the last one; only the CR without its
    # LF, where every other line has both, shows the copy was interrupted.
    rows = _rows("{:.2f}\t{:.3f}")
    path = tmp_path / "crlf.txt"
    path.write_bytes(("Raman shift\tIntensity\r\n" + "\r\n".join(rows[:keep_rows]) + "\r").encode())
    with pytest.raises(
        FormatError, match=r"crlf\.txt: " + CUT_IN_LINE_END.format(line=keep_rows + 1)
    ):
        read_text(path)


def test_a_lone_cr_ends_a_file_whole_where_it_is_no_cut(tmp_path):
    rows = _rows("{:.2f}\t{:.3f}")
    whole = [
        "\r\n".join(rows) + "\r\n",  # whole
        "\r\n".join(rows),  # without its last line end
        "\r".join(rows) + "\r",  # CR line ends throughout (classic Mac)
        "\r\n".join([*rows, "# end of data"]) + "\r",  # the cut is after the data
    ]
    for text in whole:
        path = tmp_path / "whole.txt"
        path.write_bytes(text.encode())
        (spectrum,) = read_text(path)
        assert len(spectrum) == len(rows)


def _cut_points(text: str, count: int) -> list[int]:
    """Offsets of ``count`` line ends spread over the second half of ``text``."""
    ends = [i for i, c in enumerate(text) if c == "\n"]
    half = ends[len(ends) // 2 : -1]
    return half[:: max(1, len(half) // count)][:count]


def test_real_files_without_their_last_newline_or_cut_at_a_line_end_read(shared_data, tmp_path):
    """Every real text file reads the same without its final newline, and cut just before a
    line end (the newline lost, the row whole) reads as the rows it holds: no complete row is
    taken for a cut. A B&W Tek export states its pixel count, so a cut one is refused."""
    files = [
        *sorted((shared_data / "formats" / "text").iterdir()),
        *sorted((shared_data / "substances").glob("*.*")),
        *sorted((shared_data / "calibration" / "raman").glob("*.txt")),
        *sorted((shared_data / "substances" / "enfsi-ir").glob("*.csv"))[1::10],
        *_rruff_sample(shared_data, 8),
    ]
    files = [f for f in files if f.name != "manifest.csv"]
    assert len(files) >= 60
    copy = tmp_path / "copy"
    copy.mkdir()
    for path in files:
        raw = path.read_bytes()
        whole = read_text(path)
        (copy / path.name).write_bytes(raw.rstrip(b"\r\n"))
        (spectrum, *_) = read_text(copy / path.name)
        np.testing.assert_array_equal(spectrum.intensity, whole[0].intensity, err_msg=str(path))
        text = raw.decode("latin-1")  # byte for byte
        counted = re.search(r"^pixel_(num|start);", text, re.MULTILINE) is not None
        for end in _cut_points(text, 4):  # a RRUFF file loses its ##END= line too
            (copy / path.name).write_bytes(text[:end].rstrip("\r").encode("latin-1"))
            if counted:
                with pytest.raises(FormatError, match=r"detector pixels .* looks cut off"):
                    read_text(copy / path.name)
            else:
                read_text(copy / path.name)


@pytest.mark.parametrize(
    ("name", "keep"),
    [
        ("Renishaw_nCal_785.txt", -3),  # 267.675995 read as 267.675
        ("ftir_pva_without_header.csv", -3),  # 1.105751e-002 read as 1.105751e-0
        ("BWTEK_PST10_iR532.txt", -2),  # the last column's "0,0000;" without its ";"
    ],
)
def test_real_files_cut_in_their_last_row_are_refused(shared_data, tmp_path, name, keep):
    raw = (shared_data / "formats" / "text" / name).read_bytes().rstrip(b"\r\n")
    path = tmp_path / name
    path.write_bytes(raw[:keep])
    line = raw.count(b"\n") + 1
    with pytest.raises(FormatError, match=CUT.format(line=line)):
        read_text(path)


@pytest.mark.parametrize("name", ["Horiba_PST10_iR785.txt", "Renishaw_nCal_785.txt"])
def test_real_crlf_exports_cut_between_cr_and_lf_are_refused(shared_data, tmp_path, name):
    raw = (shared_data / "formats" / "text" / name).read_bytes()
    assert raw.count(b"\r\n") == raw.count(b"\n")  # CR LF line ends throughout
    path = tmp_path / name
    for end in _cut_points(raw.decode("latin-1"), 3):  # offsets of LFs
        path.write_bytes(raw[:end])  # up to and with the CR before that LF
        line = raw.count(b"\n", 0, end) + 1
        with pytest.raises(FormatError, match=CUT_IN_LINE_END.format(line=line)):
            read_text(path)


# -- sniffing and the writer -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "attributes",
    ['{"y_unit": "counts"}', '{"modality": "uv"}', '{"modality": "raman", "metadata": [1]}', "{"],
)
def test_broken_attributes_line_of_our_csv(tmp_path, attributes):
    lines = ["# forensic-toolkit spectrum CSV", f"# {attributes}", "wavenumber_cm-1,counts"]
    lines += _rows("{:.1f},{:.1f}")
    with pytest.raises(FormatError, match=r"line 2: .*attributes line|modality must be"):
        read_text(_write(tmp_path, "own.csv", lines))


def test_sniff(tmp_path):
    path = tmp_path / "a.txt"
    assert sniff_text(b"# header\n100.5;12,5\n101.5;13,5\n", path)
    assert sniff_text(b"0;   ;   ;   ;1038,2857;65535,0000\n", path)  # B&W Tek dark pixels
    assert not sniff_text(b"Just some words.\nAnd more words.\n", path)
    assert not sniff_text(b"\x00\x01\x02binary 1 2\n", path)
    assert FORMAT.name == "text" and ".csv" in FORMAT.extensions


def test_csv_writer_layout(tmp_path):
    spectrum = make_spectrum(name="caffeine", y_unit="counts")
    text = write_csv(spectrum).decode()
    lines = text.splitlines()
    assert lines[0].startswith("# forensic-toolkit spectrum CSV")
    attributes = json.loads(lines[1][2:])
    assert attributes["modality"] == "raman" and attributes["metadata"]["name"] == "caffeine"
    assert attributes["points"] == len(spectrum)
    assert lines[2] == "wavenumber_cm-1,counts"
    assert len(lines) == 3 + len(spectrum)


def test_csv_written_through_registry_round_trips(tmp_path):
    spectrum = make_spectrum(name="paracetamol", modality="ir", y_unit="absorbance")
    spectrum = spectrum.with_intensity(spectrum.intensity * 2, "scale", factor=2)
    out = write_spectrum(spectrum, tmp_path / "out.csv")
    back = read_spectrum(out)
    np.testing.assert_array_equal(back.wavenumber, spectrum.wavenumber)
    np.testing.assert_array_equal(back.intensity, spectrum.intensity)
    assert (back.modality, back.y_unit, back.name) == ("ir", "absorbance", "paracetamol")
    assert back.history == spectrum.history
    assert back.metadata["source_format"] == "text"
    assert "original_source_file" not in back.metadata  # a synthetic spectrum had no source
    again = write_spectrum(back, tmp_path / "again.csv")
    assert read_spectrum(again).metadata["original_source_file"] == str(out)
    with pytest.raises(FileExistsError):
        write_spectrum(spectrum, out)


_floats = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    start=st.floats(-500, 3000),
    steps=st.lists(st.floats(1e-3, 50), min_size=15, max_size=80),
    data=st.data(),
    modality=st.sampled_from(["raman", "ir"]),
    y_unit=st.sampled_from(["counts", "arbitrary", "absorbance", "transmittance"]),
    name=st.text(max_size=30),
)
def test_csv_round_trip_property(tmp_path, start, steps, data, modality, y_unit, name):
    axis = start + np.cumsum([0.0, *steps])
    if np.any(np.diff(axis) <= 0):
        return  # floats too close to tell apart: not a valid axis
    values = data.draw(st.lists(_floats, min_size=axis.size, max_size=axis.size))
    spectrum = Spectrum(axis, values, modality=modality, y_unit=y_unit, metadata={"name": name})
    path = tmp_path / "rt.csv"
    path.write_bytes(write_csv(spectrum))
    (back,) = read_text(path)
    np.testing.assert_array_equal(back.wavenumber, spectrum.wavenumber)
    np.testing.assert_array_equal(back.intensity, spectrum.intensity)
    assert (back.modality, back.y_unit, back.name) == (modality, y_unit, name)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(content=st.one_of(st.text(max_size=400), st.binary(max_size=400)))
def test_arbitrary_text_raises_only_format_error(tmp_path, content):
    path = tmp_path / "fuzz.txt"
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    with contextlib.suppress(FormatError):
        read_text(path)


_cell = st.one_of(
    _floats.map(repr),
    st.sampled_from(["", "nan", "x", "1,5", "1.5.5", "-", "1e", "1_0", "  ", '"3"', "inf"]),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.lists(_cell, min_size=1, max_size=4), min_size=0, max_size=40),
    delimiter=st.sampled_from([",", ";", "\t", " ", ", "]),
    header=st.sampled_from(["", "x,y\n", "# c\n", "##NAMES=a\n", "Raman shift;Intensity\n"]),
)
def test_garbled_tables_raise_only_format_error(tmp_path, rows, delimiter, header):
    path = tmp_path / "garbled.csv"
    path.write_text(header + "\n".join(delimiter.join(r) for r in rows), encoding="utf-8")
    try:
        spectra = read_text(path)
    except FormatError as exc:
        assert exc.path == str(path)
    else:
        for spectrum in spectra:
            assert np.isfinite(spectrum.intensity).all() and len(spectrum) >= 16


# -- the real files --------------------------------------------------------------------------------


def test_every_text_format_file(shared_data):
    files = sorted((shared_data / "formats" / "text").iterdir())
    assert len(files) >= 7
    for path in files:
        (spectrum,) = read_spectra(path)
        assert spectrum.metadata["source_format"] == "text", path
        assert len(spectrum) >= 700, path
        assert spectrum.modality == ("ir" if "ftir" in path.name else "raman"), path


EXPECTED = {
    # file: (points, first cm-1, last cm-1, modality, y_unit)
    "BWTEK_PST10_iR532.txt": (1801, 145.99, 4010.28, "raman", "counts"),
    "Horiba_PST10_iR785.txt": (1024, 168.216, 3281.89, "raman", "arbitrary"),
    "LabSpec_Si_532.txt": (1024, 46.6417, 1754.52, "raman", "counts"),
    "Renishaw_nCal_785.txt": (1021, -154.501953, 1111.108398, "raman", "arbitrary"),
    "ftir_pva_without_header.csv": (863, 674.9918, 3999.809, "ir", "absorbance"),
    "polystyrene_aritficially_worsened.tsv": (2290, 100.0, 2389.0, "raman", "arbitrary"),
    "raman_hdpe.csv": (964, 301.04, 3198.12, "raman", "counts"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_text_files_known_values(shared_data, name):
    points, first, last, modality, unit = EXPECTED[name]
    spectrum = read_spectrum(shared_data / "formats" / "text" / name)
    assert len(spectrum) == points
    assert spectrum.wavenumber[0] == pytest.approx(first, abs=0.01)
    assert spectrum.wavenumber[-1] == pytest.approx(last, abs=0.01)
    assert (spectrum.modality, spectrum.y_unit) == (modality, unit)


def test_bwtek_polystyrene_peak_and_metadata(shared_data):
    spectrum = read_spectrum(shared_data / "formats" / "text" / "BWTEK_PST10_iR532.txt")
    assert _peak(spectrum, 1001.4) == pytest.approx(1001.4, abs=3)
    meta = spectrum.metadata
    assert meta["laser_wavelength_nm"] == pytest.approx(532.02)
    assert meta["integration_time_ms"] == 3000.0 and meta["averages"] == 7
    assert meta["x_column"] == "Raman Shift" and meta["y_column"] == "Dark Subtracted #1"


def test_horiba_polystyrene_peak(shared_data):
    spectrum = read_spectrum(shared_data / "formats" / "text" / "Horiba_PST10_iR785.txt")
    assert spectrum.metadata["laser_wavelength_nm"] == 785.0  # from the file name
    # This CHARISMA round-robin file is not axis-calibrated: its 1001.4 cm-1 band peaks at
    # the 1006.29 cm-1 point (the neighbour 1002.74 is lower). The reader gives the file's axis.
    assert _peak(spectrum, 1001.4) == pytest.approx(1006.29, abs=0.01)
    assert _peak(spectrum, 1602.3) == pytest.approx(1602.3, abs=3)


@pytest.mark.parametrize(
    "name", ["LabSpec_Si_532.txt", "Horiba_PST10_iR785.txt", "Renishaw_nCal_785.txt"]
)
def test_real_exports_with_a_garbled_first_row_are_refused(shared_data, tmp_path, name):
    raw = (shared_data / "formats" / "text" / name).read_bytes()
    lines = raw.split(b"\n")
    first = next(i for i, line in enumerate(lines) if line[:1].isdigit() or line[:1] == b"-")
    damaged = b"x" + lines[first][1:]  # its first character garbled
    path = tmp_path / name
    path.write_bytes(b"\n".join([*lines[:first], damaged, *lines[first + 1 :]]))
    with pytest.raises(FormatError, match=rf"{name}: line {first + 1}: {GARBLED} \('x"):
        read_text(path)


def test_labspec_silicon_peak(shared_data):
    spectrum = read_spectrum(shared_data / "formats" / "text" / "LabSpec_Si_532.txt")
    assert _peak(spectrum, 520.45) == pytest.approx(520.45, abs=3)
    assert spectrum.metadata["laser_wavelength_nm"] == 532.0
    assert spectrum.metadata["Instrument"] == "LabRAM HR Evol"
    assert spectrum.metadata["detector_temperature_c"] == pytest.approx(-60.1)


def _rruff_sample(shared_data, per_folder):
    files = []
    for folder in ("raman-dev", "raman-confusers", "ir-dev", "ir-confusers"):
        found = sorted((shared_data / "rruff" / folder).glob("*.txt"))
        step = max(1, len(found) // per_folder)
        files += found[::step][:per_folder]
    return files


def test_rruff_sample(shared_data):
    files = _rruff_sample(shared_data, 8)
    assert len(files) >= 30
    for path in files:
        spectrum = read_spectrum(path)
        assert spectrum.name, path
        assert spectrum.metadata["rruff_id"][1:7] in path.name  # R050194, X050194...
        if "__Raman__" in path.name:
            assert spectrum.modality == "raman", path
            laser = float(path.name.split("__Raman__")[1].split("__")[0])
            assert spectrum.metadata["laser_wavelength_nm"] == laser
        else:
            assert spectrum.modality == "ir", path
            assert spectrum.y_unit in (
                "absorbance",
                "transmittance",
                "percent_transmittance",
                "arbitrary",
            )


@pytest.mark.slow
def test_every_rruff_file(shared_data):
    """All 2323 RRUFF files (5.3 million lines) read: about 4-8 s, through the text reader."""
    count = 0
    for path in sorted((shared_data / "rruff").glob("*/*.txt")):
        (spectrum,) = read_text(path)
        assert spectrum.modality == ("raman" if "__Raman__" in path.name else "ir"), path
        count += 1
    assert count >= 2300


def test_calibration_raman_files(shared_data):
    files = sorted((shared_data / "calibration" / "raman").glob("*.txt"))
    assert len(files) >= 18
    for path in files:
        spectrum = read_spectrum(path)
        assert spectrum.modality == "raman", path
        laser = spectrum.metadata["laser_wavelength_nm"]
        assert min(abs(laser - 532.0), abs(laser - 785.0)) < 1, path
        # Raw round-robin measurements, before axis calibration: the Horiba ones are up to
        # 6.3 cm-1 off, so the bands are checked loosely here.
        if "PST" in path.name:
            assert _peak(spectrum, 1001.4) == pytest.approx(1001.4, abs=8), path
        if "Sil" in path.name:
            assert _peak(spectrum, 520.45) == pytest.approx(520.45, abs=8), path


def test_paracetamol_repeated_wavenumbers_merged(shared_data):
    path = shared_data / "substances" / "paracetamol_raman_renishaw.txt"
    spectrum = read_spectrum(path)
    rows = sum(1 for line in path.read_text().splitlines() if line.strip())
    (step,) = [s for s in spectrum.history if s.name == "merge_repeated_wavenumbers"]
    assert step.params["merged_values"] == 7
    assert step.params["points_before"] == rows
    assert len(spectrum) == rows - 7
    assert spectrum.modality == "raman"
    assert np.all(np.diff(spectrum.wavenumber) > 0)


def test_enfsi_ir_csv_files(shared_data):
    files = sorted((shared_data / "substances" / "enfsi-ir").glob("*.csv"))
    files = [f for f in files if f.name != "manifest.csv"]
    assert len(files) >= 100
    for path in files:
        spectrum = read_spectrum(path)
        assert (spectrum.modality, spectrum.y_unit) == ("ir", "absorbance"), path
        assert len(spectrum) == 460
        assert spectrum.metadata["y_column"] == "absorbance_normalised"


def test_enfsi_manifest_is_not_a_spectrum(shared_data):
    path = shared_data / "substances" / "enfsi-ir" / "manifest.csv"
    if path.exists():
        with pytest.raises(FormatError, match=r"manifest\.csv"):
            read_spectrum(path)


def test_carbs_file_holds_three_spectra(shared_data):
    spectra = read_spectra(shared_data / "substances" / "carbs_raman_specarb.csv")
    assert [s.name for s in spectra] == ["fructose", "lactose", "ribose"]
    for spectrum in spectra:
        assert spectrum.modality == "raman"
        assert (len(spectrum), spectrum.wavenumber[0], spectrum.wavenumber[-1]) == (
            1401,
            200.0,
            1600.0,
        )
        assert not math.isnan(spectrum.intensity.sum())


def test_our_csv_cut_anywhere_is_refused_also_at_a_line_end(tmp_path):
    # a cut at a line end read as a shorter spectrum, one inside the last number as a wrong
    # last value: our writer states the points and ends every row, so neither passes
    raw = write_csv(make_spectrum(step=20.0, name="x"))
    first_row = raw.index(b"\n", raw.index(b"wavenumber_cm-1")) + 1
    ends = [i + 1 for i in range(first_row, len(raw) - 1) if raw[i] == ord("\n")]
    inside = [end - 3 for end in ends[::7]]
    path = tmp_path / "cut.csv"
    for cut in ends[MIN_POINTS:] + inside[3:]:
        path.write_bytes(raw[:cut])
        with pytest.raises(FormatError, match=r"cut\.csv: line \d+: .*the file looks cut off"):
            read_text(path)
    path.write_bytes(raw[: ends[-1]])
    with pytest.raises(
        FormatError,
        match=r"line \d+: the attributes line \(line 2\) states 151 points, but the table holds "
        "150 rows, to this line: the file looks cut off",
    ):
        read_text(path)
    path.write_bytes(raw + raw[ends[-1] :])  # a row added by hand
    with pytest.raises(FormatError, match="holds 152 rows, to this line: rows were added"):
        read_text(path)
    # a file written before the count was stated is read, cut at a line end or not
    older = raw.replace(b'"points": 151, ', b"")
    path.write_bytes(older[: older.rindex(b"\n", 0, len(older) - 1) + 1])
    assert len(read_text(path)[0]) == 150
