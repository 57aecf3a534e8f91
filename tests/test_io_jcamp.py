"""JCAMP-DX: the real test files, the decoder, refusals, corrupt input, and the writer."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from synthetic import TRANSMITTANCE_SCALE_CASES, make_spectrum, transmittance_values

import forensic
from forensic.errors import FormatError, NotVibrationalError
from forensic.files import OutputExistsError
from forensic.io import jcamp
from forensic.quality import comparison_problems, diagnose_ir_range
from forensic.spectrum import (
    MAX_MAGNITUDE,
    STANDARD_METADATA_KEYS,
    Y_UNITS,
    ProcessingStep,
    Spectrum,
    wavelength_to_raman_shift,
)

# -- real files ---------------------------------------------------------------------------------

# file, points, first and last wavenumber (ascending), modality, y unit,
# a band (cm-1) that must be the strongest within +-25 cm-1, tolerance
VIBRATIONAL = [
    ("BRUKER1.JCM", 3735, 400.1619262, 4000.655017, "ir", "percent_transmittance", 2931, 3),
    ("BRUKER2.JCM", 3735, 400.1619262, 4000.655017, "ir", "absorbance", 2931, 3),
    ("LABCALC.DX", 3435, 249.741, 3699.742, "ir", "transmittance", 756, 3),
    ("PE1800.DX", 3301, 700.0, 4000.0, "ir", "transmittance", 1747, 3),  # acrylate C=O
    ("SPECFILE.DX", 1801, 400.0, 4000.0, "ir", "percent_transmittance", 720, 4),  # polyethylene
    ("acetone.jdx", 14106, 574.928, 3975.077, "ir", "absorbance", 1738, 3),  # C=O, gas
    ("br_1.DX", 1216, 600.0, 3030.0, "ir", "absorbance", None, None),
    ("br_2.DX", 1216, 600.0, 3030.0, "ir", "absorbance", None, None),
    ("br_3.DX", 1216, 600.0, 3030.0, "ir", "absorbance", None, None),
    ("br_4.DX", 1216, 600.0, 3030.0, "ir", "absorbance", None, None),
    ("br_5.DX", 1216, 600.0, 3030.0, "ir", "absorbance", None, None),
    ("ethanol.jdx", 3570, 461.563, 3807.5, "ir", "transmittance", 1066, 3),  # C-O, gas
    (
        "example_multiline_datasets.jdx",
        1919,
        401.127686,
        7798.848633,
        "ir",
        "transmittance",
        None,
        None,
    ),
    ("fitr_nitrocellulose.jdx", 7154, 599.91952, 7498.994, "ir", "reflectance", None, None),
    ("fort_1.DX", 1216, 600.0, 3030.0, "ir", "absorbance", None, None),
    ("fort_2.DX", 1216, 600.0, 3030.0, "ir", "absorbance", None, None),
    ("fort_3.DX", 1216, 600.0, 3030.0, "ir", "absorbance", None, None),
    ("fort_4.DX", 1216, 600.0, 3030.0, "ir", "absorbance", None, None),
    ("fort_5.DX", 1216, 600.0, 3030.0, "ir", "absorbance", None, None),
    ("isopropanol_ASDF.jdx", 9541, 400.1963, 5000.042, "ir", "absorbance", 950, 3),
    ("lp_1.DX", 1216, 600.0, 3030.0, "ir", "absorbance", None, None),
    ("lp_2.DX", 1216, 600.0, 3030.0, "ir", "absorbance", None, None),
    ("lp_3.DX", 1216, 600.0, 3030.0, "ir", "absorbance", None, None),
    ("lp_4.DX", 1216, 600.0, 3030.0, "ir", "absorbance", None, None),
    ("lp_5.DX", 1216, 600.0, 3030.0, "ir", "absorbance", None, None),
    (
        "scientific_notation_example.jdx",
        1867,
        399.361384615384,
        3999.40169230769,
        "ir",
        "absorbance",
        None,
        None,
    ),
    # aspartame ATR: ester C=O 1736, amide I 1664
    ("shimadzu_aspartame_atr.dx", 3320, 799.5285, 4000.536, "ir", "percent_transmittance", 1736, 3),
    ("tannic_acid.jdx", 1949, 100.595, 2854.713, "raman", "arbitrary", None, None),
    ("toluene.jdx", 3329, 456.0, 3784.0, "ir", "transmittance", 729, 3),  # C-H wag, gas
]

# file, what the refusal must say
NOT_VIBRATIONAL = [
    ("BRUKAFFN.DX", "NMR spectrum"),
    ("BRUKDIF.DX", "NMR spectrum"),
    ("BRUKNTUP.DX", "NMR spectrum"),
    ("BRUKPAC.DX", "NMR spectrum"),
    ("BRUKSQZ.DX", "NMR spectrum"),
    ("brukdif.jdx", "NMR spectrum"),
    ("TEST32.DX", "NMR spectrum"),
    ("TESTSPEC.DX", "NMR spectrum"),
    ("TESTNTUP.DX", "NMR spectrum"),
    ("TESTFID.DX", "NMR FID"),
    ("ISAS_CDX.DX", "chemical structure"),
    ("ISAS_MS1.DX", "mass spectrum"),
    ("ISAS_MS2.DX", "mass spectrum"),
    ("ISAS_MS3.DX", "mass spectrum"),
    ("ethanol_ms.jdx", "mass spectrum"),
    ("IMSDEMO.DX", "ion mobility"),
    ("IMS_TEST1.DX", "ion mobility"),
    ("difdup_example.jdx", "time-domain signal"),
]


def _band(spectrum: Spectrum, centre: float) -> float:
    x = np.asarray(spectrum.wavenumber)
    y = np.asarray(spectrum.intensity)
    if spectrum.y_unit in ("transmittance", "percent_transmittance", "reflectance"):
        y = -y
    window = (x > centre - 25) & (x < centre + 25)
    return float(x[window][np.argmax(y[window])])


@pytest.fixture(scope="module")
def jcamp_dir(shared_data: Path) -> Path:
    folder = shared_data / "formats" / "jcamp"
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent")
    return folder


def test_every_file_in_the_folder_is_covered(jcamp_dir):
    listed = {row[0] for row in VIBRATIONAL} | {row[0] for row in NOT_VIBRATIONAL}
    present = {p.name for p in jcamp_dir.iterdir()} - {"DX-DIR.TXT"}
    assert present == listed


@pytest.mark.parametrize(
    ("name", "points", "first", "last", "modality", "y_unit", "band", "tol"), VIBRATIONAL
)
def test_real_vibrational_files(jcamp_dir, name, points, first, last, modality, y_unit, band, tol):
    spectrum = forensic.read_spectrum(jcamp_dir / name)
    assert len(spectrum) == points
    assert spectrum.wavenumber[0] == pytest.approx(first, abs=1e-6)
    assert spectrum.wavenumber[-1] == pytest.approx(last, abs=1e-6)
    assert spectrum.modality == modality
    assert spectrum.y_unit == y_unit
    assert spectrum.metadata["source_format"] == "jcamp"
    assert spectrum.metadata["name"]
    # every real export names its axis unit: none is read as cm-1 by assumption
    assert not spectrum.axis_unit_assumed and "axis_unit_basis" not in spectrum.metadata
    if band is not None:
        assert abs(_band(spectrum, band) - band) <= tol


def test_calibration_copy_of_pe1800_reads_the_same(shared_data, jcamp_dir):
    copy = forensic.read_spectrum(shared_data / "calibration" / "ir" / "PE1800.DX")
    original = forensic.read_spectrum(jcamp_dir / "PE1800.DX")
    assert copy.content_hash() == original.content_hash()
    # Isobutyl acrylate (the file's title), not polystyrene: acrylate C=C near 1631 cm-1.
    assert copy.name == "Isobutylacrylat 1 ul"
    assert abs(_band(copy, 1631) - 1631) <= 3
    assert copy.intensity[-1] == pytest.approx(1.0160)  # FIRSTY at 4000 cm-1
    assert copy.intensity.min() == pytest.approx(0.8631)  # MINY


@pytest.mark.parametrize(("name", "kind"), NOT_VIBRATIONAL)
def test_real_non_vibrational_files_are_refused(jcamp_dir, name, kind):
    with pytest.raises(NotVibrationalError, match=re.escape(kind)) as info:
        forensic.read_spectrum(jcamp_dir / name)
    assert name in str(info.value)


def test_metadata_from_real_files(jcamp_dir):
    toluene = jcamp.read(jcamp_dir / "toluene.jdx")[0]
    assert toluene.metadata["cas"] == "108-88-3"
    assert toluene.metadata["instrument_model"] == "DOW KBr FOREPRISM-GRATING"
    assert toluene.metadata["origin"] == "DOW CHEMICAL COMPANY"
    assert toluene.metadata["synonyms"] == "BENZENE, METHYL-"
    assert toluene.metadata["resolution_cm1"] == 2.0
    assert toluene.metadata["partial_pressure"] == "20 mmHg"  # a label kept as vendor key
    pe = jcamp.read(jcamp_dir / "PE1800.DX")[0]
    # DATE=91/06/18 TIME=10:24.56 and no time zone: local time, never presented as UTC
    assert pe.metadata["acquired_at_local"] == "1991-06-18T10:24:56"
    assert "acquired_at" not in pe.metadata
    multi = jcamp.read(jcamp_dir / "example_multiline_datasets.jdx")[0]
    comments = multi.metadata["comments"].splitlines()
    assert comments[0] == "Number of sample scans: 32"
    assert comments[-1] == "Bench serial number: BGD202006;"
    assert multi.metadata["data_processing"].splitlines() == [
        "Ratio against background",
        "Truncated",
        "ElementMultiply or ElementDivide",
    ]
    shimadzu = jcamp.read(jcamp_dir / "shimadzu_aspartame_atr.dx")[0]
    audit = shimadzu.metadata["audit_trail"].splitlines()
    assert len(audit) == 5 and "SNO: A21374801693" in audit[0]
    # ... which is where this export keeps the instrument serial and the scan time
    assert shimadzu.metadata["instrument_serial"] == "A21374801693"
    assert shimadzu.metadata["instrument_model"] == "Shimadzu IRAffinity"
    assert shimadzu.metadata["acquired_at_local"] == "2026-03-27T21:29:56"
    # This Shimadzu export writes FIRSTY=83 though its first ordinate is 99.39: noted, not fatal
    assert any("FIRSTY" in w for w in shimadzu.metadata["jcamp_warnings"])
    raman = jcamp.read(jcamp_dir / "tannic_acid.jdx")[0]
    assert raman.modality == "raman"
    assert raman.metadata["acquired_at_local"] == "2000-10-04T14:47:00"


# -- the decoder --------------------------------------------------------------------------------


def test_bruker_encodings_decode_to_identical_arrays(jcamp_dir):
    def decode(name):
        (block,) = jcamp.decode_jcamp_blocks((jcamp_dir / name).read_bytes(), path=name)
        return block

    affn, sqz, pac = decode("BRUKAFFN.DX"), decode("BRUKSQZ.DX"), decode("BRUKPAC.DX")
    assert affn.x.size == affn.y.size == 16384
    for other in (sqz, pac):
        assert np.array_equal(other.x, affn.x)
        assert np.array_equal(other.y, affn.y)
    assert affn.x[0] == 24038.5 and affn.x[-1] == 0.0
    assert affn.y[0] == 2259260 and affn.y.max() == 972201806 and affn.y.min() == -27593530
    # The official DIF file holds the 16-bit version of the same spectrum (title "testspec",
    # FIRSTY 2254931): it equals TESTSPEC (16-bit ordinates x 29670.15) truncated to integers,
    # and AFFN within one 16-bit step.
    dif = decode("BRUKDIF.DX")
    testspec = decode("TESTSPEC.DX")
    assert np.array_equal(dif.x, affn.x)
    assert np.array_equal(dif.y, np.trunc(testspec.y))
    assert np.max(np.abs(dif.y - affn.y)) <= 29670.15
    assert np.array_equal(decode("brukdif.jdx").y, dif.y)
    # the same 32-bit data as TEST32 (ASDF with DIF/DUP in an ISAS file)
    assert np.array_equal(decode("TEST32.DX").y, affn.y)


def test_bruker_transmittance_and_absorbance_files_agree(jcamp_dir):
    # BRUKER1 (%T) and BRUKER2 (absorbance) are one measurement in two DIF/DUP files: decoding
    # both right gives A = -log10(T/100) up to the files' quantisation.
    transmittance = jcamp.read(jcamp_dir / "BRUKER1.JCM")[0]
    absorbance = jcamp.read(jcamp_dir / "BRUKER2.JCM")[0]
    assert np.array_equal(transmittance.wavenumber, absorbance.wavenumber)
    clear = transmittance.intensity > 1.0  # below 1 %T the 8-bit %T steps dominate
    expected = -np.log10(transmittance.intensity[clear] / 100.0)
    assert np.max(np.abs(expected - absorbance.intensity[clear])) < 0.005
    assert np.median(np.abs(expected - absorbance.intensity[clear])) < 0.0005


def test_ntuples_pages_decode_like_their_xydata_twins(jcamp_dir):
    def decode(name):
        (block,) = jcamp.decode_jcamp_blocks((jcamp_dir / name).read_bytes(), path=name)
        return block

    # ISAS: the real page of TESTNTUP is TESTSPEC; Bruker: the real page of BRUKNTUP is BRUKDIF
    for ntuples, twin in (("TESTNTUP.DX", "TESTSPEC.DX"), ("BRUKNTUP.DX", "BRUKDIF.DX")):
        block, reference = decode(ntuples), decode(twin)
        assert [page.page for page in block.pages] == ["N=1", "N=2"]
        assert np.array_equal(block.pages[0].x, reference.x)
        assert np.array_equal(block.pages[0].y, reference.y)
        assert block.pages[1].y.size == 16384
    spectra = decode("ISAS_MS3.DX")
    assert [page.y.size for page in spectra.pages] == [18, 26, 26]


def test_vibrational_ntuples_give_a_spectrum_per_page(tmp_path):
    pages = "".join(
        f"##PAGE=T={t}\n##DATA TABLE=(X++(A..A)), XYDATA\n"
        + "\n".join(
            f"{1000 + i} " + " ".join(str((t + 1) * (i + k)) for k in range(4))
            for i in range(0, 20, 4)
        )
        + "\n"
        for t in (0, 1)
    )
    text = (
        "##TITLE=kinetics\n##JCAMP-DX=5.01\n##DATA TYPE=INFRARED SPECTRUM\n"
        "##DATA CLASS=NTUPLES\n##NTUPLES=INFRARED SPECTRUM\n"
        "##VAR_NAME=WAVENUMBER, ABSORBANCE, TIME\n##SYMBOL=X, A, T\n"
        "##VAR_DIM=20, 20, 2\n##UNITS=1/CM, ABSORBANCE, SECONDS\n"
        "##FIRST=1000, , 0\n##LAST=1019, , 1\n##FACTOR=1, 0.5, 1\n"
        f"{pages}##END NTUPLES=INFRARED SPECTRUM\n##END=\n"
    )
    _, spectra = _read(tmp_path, text)
    assert [s.metadata["jcamp_page"] for s in spectra] == ["T=0", "T=1"]
    assert all(s.y_unit == "absorbance" and len(s) == 20 for s in spectra)
    assert np.array_equal(spectra[1].intensity, 2 * spectra[0].intensity)
    assert spectra[0].intensity[-1] == 19 * 0.5


def test_decoder_gives_link_blocks_and_labels(jcamp_dir):
    blocks = jcamp.decode_jcamp_blocks((jcamp_dir / "ISAS_CDX.DX").read_bytes())
    assert [b.title for b in blocks] == [
        "Structure: 4a-Phenyladamantan-2-one",
        "NMR data: 4a-Phenyladamantan-2-one",
    ]
    assert blocks[0].parent is blocks[1].parent
    assert blocks[0].parent.get("DATA TYPE") == "LINK"
    assert blocks[1].get("DATATYPE") == "NMR PEAK ASSIGNMENTS"


def _ir_block(title: str, data: str, *, header: str = "", end: str = "##END=") -> str:
    return (
        f"##TITLE={title}\n##JCAMP-DX=5.01\n##DATA TYPE=INFRARED SPECTRUM\n{header}"
        f"##XUNITS=1/CM\n##YUNITS=ABSORBANCE\n{data}{end}\n"
    )


def _xydata(values, *, firstx=1000.0, deltax=1.0, per_line=8, npoints=True) -> str:
    """An AFFN (X++(Y..Y)) table of integer ordinates."""
    n = len(values)
    lines = [
        f"##XFACTOR=1\n##YFACTOR=0.001\n##FIRSTX={firstx}\n##LASTX={firstx + deltax * (n - 1)}\n"
        + (f"##NPOINTS={n}\n" if npoints else "")
        + "##XYDATA=(X++(Y..Y))"
    ]
    for start in range(0, n, per_line):
        chunk = values[start : start + per_line]
        lines.append(f"{firstx + deltax * start:g} " + " ".join(str(v) for v in chunk))
    return "\n".join(lines) + "\n"


def _read(tmp_path: Path, text: str, name: str = "test.jdx"):
    path = tmp_path / name
    path.write_text(text)
    return path, jcamp.read(path)


def test_asdf_forms_decode_like_affn(tmp_path):
    # 20 ordinates: 10 20 30 30 30 25 ... written as SQZ, DIF, DUP and PAC
    values = [10, 20, 30, 30, 30, 25, 20, 15, 10, 10, 10, 10, 12, 14, 16, 18, 20, -5, -5, 0]
    header = (
        "##XFACTOR=1\n##YFACTOR=0.001\n##FIRSTX=1000\n##LASTX=1019\n##NPOINTS=20\n"
        "##XYDATA=(X++(Y..Y)) $$ a comment\n"
    )
    # SQZ letters carry the first digit of an absolute value (A0 = 10), DIF letters of a
    # difference (J0 = +10, n = -5, k5 = -25), DUP letters a repeat count of the token before
    # (T = 2, U = 3, W = 5). A line after a line ending in DIF starts with the y-check value.
    asdf = (
        "1000A0J0J0%T  $$ 10 20 30 30 30\n"
        "1004C0nU      $$ check 30, then 25 20 15\n"
        "1007A5n%U     $$ check 15, then 10 10 10 10\n"
        "1011A0KW      $$ check 10, then 12 14 16 18 20\n"
        "1016B0k5%+0   $$ check 20, then -5 -5 and PAC 0\n"
    )
    text = _ir_block("asdf", header + asdf)
    _, (spectrum,) = _read(tmp_path, text)
    expected = np.array(values, dtype=float) * 0.001
    assert np.allclose(spectrum.intensity, expected, rtol=0, atol=1e-12)
    affn = _ir_block("affn", _xydata(values))
    _, (reference,) = _read(tmp_path, affn, "affn.jdx")
    assert np.array_equal(reference.wavenumber, spectrum.wavenumber)
    assert np.allclose(reference.intensity, spectrum.intensity, rtol=0, atol=1e-15)


def test_pac_and_exponents_and_comments(tmp_path):
    values = list(range(-8, 12))
    table = _xydata(values)
    pac = table.replace("1000 -8 -7 -6 -5 -4 -3 -2 -1", "1000-8-7-6-5-4-3-2-1 $$ PAC")
    pac = pac.replace("1008 0 1 2 3 4 5 6 7", "1008+0+1+2,3;4 5e0 6.0E+00 7")
    _, (spectrum,) = _read(tmp_path, _ir_block("pac", pac))
    assert np.allclose(spectrum.intensity, np.array(values) * 0.001)


def test_xypoints_and_peak_table(tmp_path):
    x = np.linspace(400.0, 1900.0, 20)
    y = np.linspace(0.1, 2.0, 20)
    pairs = "\n".join(f"{a:.3f}, {b:.4f}" for a, b in zip(x, y, strict=True))
    text = _ir_block(
        "points", f"##NPOINTS=20\n##FIRSTX=400\n##LASTX=1900\n##XYPOINTS=(XY..XY)\n{pairs}\n"
    )
    _, (spectrum,) = _read(tmp_path, text)
    assert np.allclose(spectrum.wavenumber, x) and np.allclose(spectrum.intensity, y)
    triples = " ".join(f"{a:.3f},{b:.4f},2;" for a, b in zip(x, y, strict=True))
    peaks = _ir_block("peaks", f"##NPOINTS=20\n##PEAK TABLE=(XYW..XYW)\n{triples}\n")
    _, (table,) = _read(tmp_path, peaks, "peaks.jdx")
    assert np.allclose(table.intensity, y)


def test_a_table_value_beyond_any_spectrum_is_refused_with_its_line(tmp_path):
    # 1e308 in a peak table overflowed the axis checks (RuntimeWarning) before it was refused.
    pairs = "\n".join(f"{400 + 10 * i}, {i}" for i in range(20)).replace("450, 5", "1e308, 5")
    text = _ir_block("huge", f"##NPOINTS=20\n##PEAK TABLE=(XY..XY)\n{pairs}\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(FormatError) as info:
            _read(tmp_path, text)
    assert str(info.value) == (
        f"{tmp_path / 'test.jdx'}: line 13: beyond what any spectrum holds ('1e308') at column 1 "
        "in an (XY..XY) table: at most 1e+30; a corrupt file, or a wrong exponent or factor"
    )


def test_a_label_continued_on_many_lines_is_read_in_linear_time(tmp_path, monkeypatch):
    # Each continuation line was added to the value by copying it: quadratic, over 20 s for
    # these 600 000 lines (3 MB) before, 0.2 s now; a file at the size limit took days.
    # Counted, not timed: the lines are joined into the value once, when the label ends.
    joins = []

    def continue_label(block, label, lines):
        joins.append(len(lines))
        return continue_label_as_read(block, label, lines)

    continue_label_as_read = jcamp._continue_label
    monkeypatch.setattr(jcamp, "_continue_label", continue_label)
    note = "##$NOTE=first\n" + "more\n" * 600_000
    text = _ir_block("long note", _xydata(list(range(20))), header=note)
    _, (spectrum,) = _read(tmp_path, text)
    assert spectrum.metadata["NOTE"] == "first" + "\nmore" * 600_000
    assert joins == [600_000]


def test_link_file_gives_each_spectrum_block(tmp_path):
    first = _ir_block("sample A", _xydata(list(range(20))))
    second = _ir_block("sample B", _xydata(list(range(100, 120)), firstx=2000.0))
    structure = "##TITLE=structure\n##JCAMP-CS=3.7\n##MOLFORM=C8 H8\n##END=\n"
    text = (
        "##TITLE=compound file\n##JCAMP-DX=5.01\n##DATA TYPE=LINK\n##BLOCKS=3\n"
        f"{structure}{first}{second}##END=\n"
    )
    path = tmp_path / "link.jdx"
    path.write_text(text)
    spectra = forensic.read_spectra(path)
    assert [s.name for s in spectra] == ["sample A", "sample B"]
    assert spectra[1].wavenumber[0] == 2000.0
    with pytest.raises(FormatError, match="holds 2 spectra"):
        forensic.read_spectrum(path)


def test_more_blocks_than_a_file_may_give_are_refused_before_decoding(tmp_path, monkeypatch):
    monkeypatch.setattr(forensic.io, "MAX_SPECTRA_PER_FILE", 5)
    blocks = "".join(_ir_block(f"s{k}", _xydata(list(range(20)))) for k in range(6))
    text = f"##TITLE=link\n##JCAMP-DX=5.01\n##DATA TYPE=LINK\n##BLOCKS=6\n{blocks}##END=\n"
    with pytest.raises(FormatError, match=r"holds 6 spectra \(data blocks and pages\)"):
        _read(tmp_path, text)


def test_wavelength_axes(tmp_path):
    wavelength = np.linspace(800.0, 900.0, 40)
    pairs = "\n".join(f"{float(w)!r} {i}" for i, w in enumerate(wavelength))
    raman = (
        "##TITLE=raman nm\n##JCAMP-DX=5.01\n##DATA TYPE=RAMAN SPECTRUM\n"
        "##$LASER WAVELENGTH=785 nm\n##XUNITS=NANOMETERS\n##YUNITS=COUNTS\n"
        f"##XYDATA=(XY..XY)\n{pairs}\n##END=\n"
    )
    _, (spectrum,) = _read(tmp_path, raman)
    assert spectrum.modality == "raman" and spectrum.y_unit == "counts"
    assert spectrum.metadata["laser_wavelength_nm"] == 785.0
    assert np.allclose(spectrum.wavenumber, wavelength_to_raman_shift(wavelength, 785.0))
    assert "wavelength_to_raman_shift" in [step.name for step in spectrum.history]
    with pytest.raises(FormatError, match="without a laser wavelength"):
        _read(tmp_path, raman.replace("##$LASER WAVELENGTH=785 nm\n", ""), "nolaser.jdx")
    micrometre = np.linspace(2.5, 25.0, 30)
    pairs = "\n".join(f"{float(w)!r} 0.5" for w in micrometre)
    ir = _ir_block("ir um", f"##XYDATA=(XY..XY)\n{pairs}\n").replace("1/CM", "MICROMETERS")
    _, (spectrum,) = _read(tmp_path, ir, "um.jdx")
    assert spectrum.wavenumber[0] == pytest.approx(400.0)
    assert spectrum.wavenumber[-1] == pytest.approx(4000.0)
    nm = ir.replace("MICROMETERS", "NANOMETERS").replace("##XYDATA", "##XFACTOR=1000\n##XYDATA")
    _, (spectrum,) = _read(tmp_path, nm, "nm.jdx")
    assert spectrum.wavenumber[-1] == pytest.approx(4000.0)


@pytest.mark.parametrize(
    ("label", "scale", "unit"),
    [
        ("TRANSMITTANCE", 1.0, "transmittance"),
        ("TRANSMITTANCE", 100.0, "percent_transmittance"),
        ("REFLECTANCE", 1.0, "reflectance"),
        ("KUBELKA-MUNK", 1.0, "kubelka_munk"),
        ("ABSORBANCE", 1.0, "absorbance"),
    ],
)
def test_y_units(tmp_path, label, scale, unit):
    values = [int(v) for v in np.linspace(100, 900, 20) * scale]
    text = _ir_block("units", _xydata(values)).replace("ABSORBANCE", label)
    _, (spectrum,) = _read(tmp_path, text)
    assert spectrum.y_unit == unit


@pytest.mark.parametrize(("low", "high", "scale"), TRANSMITTANCE_SCALE_CASES)
def test_transmittance_scale_by_the_rule_the_range_check_applies(tmp_path, low, high, scale):
    # ##YUNITS=TRANSMITTANCE names no scale: what the values cannot tell is read as the
    # fraction JCAMP-DX means and said to be a guess, and the range check says the same
    values = [round(v * 1000) for v in transmittance_values(low, high)]
    text = _ir_block("t", _xydata(values)).replace("ABSORBANCE", "TRANSMITTANCE")
    _, (spectrum,) = _read(tmp_path, text)
    assert spectrum.y_unit == (scale or "transmittance")
    assert spectrum.y_unit_guessed == (scale is None)
    assert (diagnose_ir_range(spectrum) is None) == (scale is not None)


def test_transmittance_of_0_71_to_1_6_is_said_to_be_untellable_by_reader_and_check(tmp_path):
    # was read as a fraction without a word, then refused by identify as "outside 0..1"
    values = [round(v * 1000) for v in transmittance_values(0.713, 1.6)]
    text = _ir_block("t", _xydata(values)).replace("ABSORBANCE", "TRANSMITTANCE")
    _, (spectrum,) = _read(tmp_path, text)
    assert spectrum.y_unit == "transmittance"
    basis = spectrum.metadata["y_unit_basis"]
    assert "0.713..1.6 is neither a fraction nor percent" in basis, basis
    (check, problem), *_ = comparison_problems(spectrum)
    assert check == "ir_range" and "0.713..1.6 is neither a fraction nor percent" in problem.fact
    # a scale the file states is kept
    percent = text.replace("=TRANSMITTANCE", "=%T")
    _, (spectrum,) = _read(tmp_path, percent, "p.jdx")
    assert spectrum.y_unit == "percent_transmittance" and not spectrum.y_unit_guessed


def test_raman_counts_and_modality_from_data_type(tmp_path):
    text = _ir_block("r", _xydata(list(range(20)))).replace("INFRARED", "RAMAN")
    _, (spectrum,) = _read(tmp_path, text.replace("ABSORBANCE", "COUNTS"))
    assert (spectrum.modality, spectrum.y_unit) == ("raman", "counts")
    unknown = text.replace("##DATA TYPE=RAMAN SPECTRUM\n", "").replace("ABSORBANCE", "COUNTS")
    with pytest.raises(FormatError, match="cannot tell a Raman from an IR spectrum"):
        _read(tmp_path, unknown, "unknown.jdx")


@pytest.mark.parametrize(
    ("data_type", "kind"),
    [
        ("UV/VIS SPECTRUM", "UV/VIS"),
        ("INFRARED INTERFEROGRAM", "interferogram"),
        ("NMR FID", "NMR FID"),
        ("MASS SPECTRUM", "mass spectrum"),
    ],
)
def test_other_data_types_are_refused(tmp_path, data_type, kind):
    text = _ir_block("other", _xydata(list(range(20)))).replace("INFRARED SPECTRUM", data_type)
    with pytest.raises(NotVibrationalError, match=re.escape(kind)):
        _read(tmp_path, text)


def test_nmr_recognised_without_data_type(tmp_path):
    text = _ir_block("nmr", _xydata(list(range(20))), header="##.OBSERVE FREQUENCY=100.4\n")
    text = text.replace("##DATA TYPE=INFRARED SPECTRUM\n", "")
    with pytest.raises(NotVibrationalError, match=r"NMR spectrum \(\.OBSERVE FREQUENCY=100.4"):
        _read(tmp_path, text)
    mass = _ir_block("ms", _xydata(list(range(20)))).replace("##DATA TYPE=INFRARED SPECTRUM\n", "")
    with pytest.raises(NotVibrationalError, match=r"mass spectrum \(XUNITS=M/Z\)"):
        _read(tmp_path, mass.replace("1/CM", "M/Z"), "ms.jdx")


@pytest.mark.parametrize(
    ("xunits", "ok"),
    [("WAVENUMBERS (CM-1)", True), ("cm^-1", True), ("1/cm", True), ("HZ", False)],
)
def test_x_unit_spellings(tmp_path, xunits, ok):
    text = _ir_block("x", _xydata(list(range(20)))).replace("1/CM", xunits)
    if ok:
        _, (spectrum,) = _read(tmp_path, text)
        assert spectrum.wavenumber[0] == 1000.0
    else:  # an IR DATA TYPE with an axis in Hz: refused as an axis, not guessed to be NMR
        with pytest.raises(FormatError, match=r"##XUNITS=HZ is not a vibrational axis"):
            _read(tmp_path, text)


@pytest.mark.parametrize("label", ["XFACTOR", "YFACTOR"])
@pytest.mark.parametrize("form", ["x_yy", "xy"])
def test_a_factor_of_zero_is_refused_naming_its_line_not_read_as_one(tmp_path, label, form):
    values = list(range(100, 120))
    if form == "x_yy":
        data = _xydata(values)
    else:
        pairs = "\n".join(f"{1000 + i} {v}" for i, v in enumerate(values))
        data = f"##XFACTOR=1\n##YFACTOR=0.001\n##XYDATA=(XY..XY)\n{pairs}\n"
    text = _ir_block("zero factor", data)
    text = re.sub(rf"##{label}=[^\n]*", f"##{label}=0", text)
    line = text.splitlines().index(f"##{label}=0") + 1
    with pytest.raises(FormatError, match=rf"line {line}: ##{label}=0: the factor multiplies"):
        _read(tmp_path, text)


def test_long_date_with_zone_is_utc(tmp_path):
    text = _ir_block(
        "dated", _xydata(list(range(20))), header="##LONG DATE=2001/02/14 15:15:42 +0100\n"
    )
    _, (spectrum,) = _read(tmp_path, text)
    assert spectrum.metadata["acquired_at"] == "2001-02-14T14:15:42+00:00"


# -- corrupt and inconsistent input -------------------------------------------------------------


def test_empty_file(tmp_path):
    path = tmp_path / "empty.jdx"
    path.write_bytes(b"")
    with pytest.raises(FormatError, match="empty"):
        jcamp.read(path)
    with pytest.raises(FormatError, match="empty"):
        forensic.read_spectrum(path)


def test_truncated_file(jcamp_dir, tmp_path):
    data = (jcamp_dir / "shimadzu_aspartame_atr.dx").read_bytes()
    path = tmp_path / "truncated.dx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(FormatError, match=r"truncated\.dx: line \d+: the file ends inside block"):
        forensic.read_spectrum(path)


def test_truncated_table_with_end_label(jcamp_dir, tmp_path):
    lines = (jcamp_dir / "PE1800.DX").read_text().splitlines()
    del lines[100:110]  # ten data lines lost, ##END= still there
    path = tmp_path / "short.dx"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(FormatError, match=r"line 22: ##NPOINTS=3301 but the data table holds"):
        jcamp.read(path)


def test_lost_line_detected_by_abscissa_without_npoints(jcamp_dir, tmp_path):
    lines = (jcamp_dir / "PE1800.DX").read_text().splitlines()
    lines = [line for line in lines if not line.startswith("##NPOINTS")]
    number = next(i for i, line in enumerate(lines) if line.startswith("3989 "))
    del lines[number]
    path = tmp_path / "lost.dx"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(FormatError, match=rf"line {number + 1}: the line's abscissa 3978"):
        jcamp.read(path)


def test_binary_garbage(tmp_path):
    rng = np.random.default_rng(1)
    path = tmp_path / "garbage.jdx"
    path.write_bytes(b"##TITLE=x\n" + rng.integers(0, 256, 4000, dtype=np.uint8).tobytes())
    with pytest.raises(FormatError, match=r"garbage\.jdx"):
        forensic.read_spectrum(path)
    with pytest.raises(FormatError, match=r"line \d+: binary data"):
        jcamp.read(path)
    noise = tmp_path / "noise.dx"
    noise.write_bytes(bytes(range(1, 256)) * 10)
    with pytest.raises(FormatError, match=r"noise\.dx"):
        forensic.read_spectrum(noise, format="jcamp")


def test_broken_dif_check(jcamp_dir, tmp_path):
    lines = (jcamp_dir / "shimadzu_aspartame_atr.dx").read_text(encoding="latin-1").splitlines()
    number = next(i for i, line in enumerate(lines) if line.startswith("6595C1587"))
    # change one difference in the middle of the line: its last ordinate moves, so the next
    # line's y-check value no longer matches
    lines[number] = lines[number].replace("Q4Q7O5", "Q4Q8O5", 1)
    path = tmp_path / "edited.dx"
    path.write_text("\n".join(lines) + "\n", encoding="latin-1")
    with pytest.raises(FormatError, match=rf"edited\.dx: line {number + 2}: DIF y-check failed"):
        forensic.read_spectrum(path)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("##FIRSTX=4000.00", "##FIRSTX=4OOO", r"line \d+: ##FIRSTX= '4OOO' is not a number"),
        ("3989 +10153+10154", "3989 +10153+1#154", r"line 29: unexpected character '#'"),
        ("3989 +10153", "3989 ?", r"line 29: a missing value '\?'"),
        ("##LASTX=700.00", "##LASTX=400.00", r"line 29: the line's abscissa 3989"),
    ],
)
def test_bad_numbers_name_the_line(jcamp_dir, tmp_path, old, new, message):
    text = (jcamp_dir / "PE1800.DX").read_text()
    assert old in text
    path = tmp_path / "bad.dx"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(FormatError, match=message):
        jcamp.read(path)


def test_xy_table_disagreeing_with_header(tmp_path):
    pairs = "\n".join(f"{400 + i} {i}" for i in range(20))
    text = _ir_block("xy", f"##FIRSTX=400\n##LASTX=500\n##XYDATA=(XY..XY)\n{pairs}\n")
    with pytest.raises(FormatError, match=r"##LASTX=500 but the table's last abscissa is 419"):
        _read(tmp_path, text)
    odd = _ir_block("xy", "##XYDATA=(XY..XY)\n400 1 401 2 402\n")
    with pytest.raises(FormatError, match="not whole groups of 2"):
        _read(tmp_path, odd, "odd.jdx")


def test_a_value_too_large_in_an_xy_table_names_its_line(tmp_path):
    # it said "a value in the table is too large to be a number", without the value
    pairs = "\n".join(f"{400 + i}, {'1e400' if i == 7 else i}" for i in range(20))
    text = _ir_block("big", f"##XYDATA=(XY..XY)\n{pairs}\n")
    # the header's 5 lines and the ##XYDATA= line come first: the 8th pair is on line 14
    with pytest.raises(FormatError) as info:
        _read(tmp_path, text)
    assert str(info.value) == (
        f"{tmp_path / 'test.jdx'}: line 14: not a finite number ('1e400') at column 6 in an "
        "(XY..XY) table: a spectrum must be finite numbers"
    )


@pytest.mark.parametrize(
    ("old", "new", "line", "value", "column"),
    [
        ("1008 8 9 10", "1008 8 1e999 10", 13, "1e999", 8),
        ("1008 8 9 10", "1008 8 -1E400 10", 13, "-1E400", 8),
        ("1008 8 9 10", "1008 8+1e999+10", 13, "+1e999", 7),  # PAC
        ("1008 8 9 10", "1e999 8 9 10", 13, "1e999", 1),  # the abscissa
        (" 22 23\n", " 22 1e999\n", 13, "1e999", 27),  # the last line, no ##NPOINTS=
    ],
)
def test_a_number_too_large_for_a_float_in_a_plain_x_yy_line_is_named(
    tmp_path, old, new, line, value, column
):
    # the line of plain numbers was taken for compressed data, 'e999' for a SQZ digit: the
    # 24 values became 25 ("##NPOINTS=24 but the data table holds 25 values") or, last in a
    # table without ##NPOINTS=, 1e999 became the values 1 and -5999 and the spectrum was read
    table = _xydata(list(range(24)), npoints=old.startswith("1008")).replace(old, new)
    with pytest.raises(FormatError) as info:
        _read(tmp_path, _ir_block("big", table))
    assert str(info.value) == (
        f"{tmp_path / 'test.jdx'}: line {line}: not a finite number ({value!r}) at column "
        f"{column} in an (X++(Y..Y)) table: a spectrum must be finite numbers"
    )


_BEYOND = (
    "beyond what any spectrum holds ({}) at column {} in an {} table: at most 1e+30; a corrupt "
    "file, or a wrong exponent or factor"
)


@pytest.mark.parametrize(
    ("old", "new", "line", "shown", "column"),
    [
        ("1008 8 9 10", "1008 8 1e35 10", 13, "'1e35', read as 1e+32", 8),
        ("1008 8 9 10", "1008 8 -1E300 10", 13, "'-1E300', read as -1e+297", 8),
        ("1008 8 9 10", "1008 8+1e35+10", 13, "'+1e35', read as 1e+32", 7),  # PAC
        ("1008 8 9 10", "1e35 8 9 10", 13, "'1e35'", 1),  # the abscissa
        (" 22 23\n", " 22 1e35\n", 13, "'1e35', read as 1e+32", 27),  # no ##NPOINTS=
        ("##YFACTOR=0.001", "##YFACTOR=1e29", 13, "'11', read as 1.1e+30", 13),  # 10: 1e30
        ("##XFACTOR=1\n", "##XFACTOR=1e28\n", 12, "'1000', read as 1e+31", 1),
    ],
)
def test_a_finite_value_beyond_any_spectrum_in_an_x_yy_line_is_named(
    tmp_path, old, new, line, shown, column
):
    # the spectrum refused it naming no line, the block's title line instead: "line 1: block
    # 'big': intensity holds 1 value(s) up to 1e+32 in size, the first 1e+32 at 1009 cm-1 ..."
    table = _xydata(list(range(24)), npoints=old != " 22 23\n").replace(old, new)
    assert new in table
    with pytest.raises(FormatError) as info:
        _read(tmp_path, _ir_block("big", table))
    assert str(info.value) == (
        f"{tmp_path / 'test.jdx'}: line {line}: " + _BEYOND.format(shown, column, "(X++(Y..Y))")
    )


@pytest.mark.parametrize(
    ("yfactor", "seventh", "shown"),
    [
        # refused by the spectrum naming no line: 1 x 1e30 is at most 1e30, 2 x 1e30 beyond
        ("1e30", "6", "'2', read as 2e+30"),
        # refused as written, whatever the factor, as before
        ("1e-6", "1e33", "'1e33'"),
    ],
)
def test_a_value_beyond_any_spectrum_written_or_scaled_in_an_xy_table_is_named(
    tmp_path, yfactor, seventh, shown
):
    pairs = "\n".join(f"{400 + i}, {seventh if i == 6 else i}" for i in range(20))
    text = _ir_block("big", f"##YFACTOR={yfactor}\n##XYDATA=(XY..XY)\n{pairs}\n")
    with pytest.raises(FormatError) as info:
        _read(tmp_path, text)
    line = 10 if yfactor == "1e30" else 14  # the third pair, or the seventh
    assert str(info.value) == (
        f"{tmp_path / 'test.jdx'}: line {line}: " + _BEYOND.format(shown, 6, "(XY..XY)")
    )


_ASDF_HEADER = (
    "##XFACTOR=1\n##YFACTOR=0.001\n##FIRSTX=1000\n##LASTX=1019\n##NPOINTS=20\n"
    "##XYDATA=(X++(Y..Y))\n"
)
_ASDF_LINES = "1000A0J0J0%T\n1004C0nU\n1007A5n%U\n1011A0KW\n1016B0k5%+0\n"


@pytest.mark.parametrize(
    ("new", "shown", "column"),
    [
        # a SQZ value of 401 digits, a DIF of 401 digits: each too large for a float alone
        ("1004C0nI" + "9" * 400, "'I99999999999...', 401 characters long", 8),
        ("1004C0R" + "9" * 400, "'R99999999999...', 401 characters long", 7),
        # an abscissa of 401 digits on a compressed line ("the line's abscissa is not a
        # finite number", not which)
        ("1" + "0" * 400 + "C0nU", "'100000000000...', 401 characters long", 1),
        # two differences of 1e308, each a float: the second takes the ordinate past any
        (
            "1004C0" + ("R" + "9" * 307) * 2,
            "'R99999999999...', 308 characters long, a difference that takes the ordinate past "
            "the largest representable number",
            315,
        ),
    ],
)
def test_a_compressed_value_that_overflows_is_named(tmp_path, new, shown, column):
    # it said "line 13: an ordinate is too large to be a number", not which
    text = _ir_block("asdf", _ASDF_HEADER + _ASDF_LINES.replace("1004C0nU", new))
    with pytest.raises(FormatError) as info:
        _read(tmp_path, text)
    assert str(info.value) == (
        f"{tmp_path / 'test.jdx'}: line 13: not a finite number ({shown}) at column {column} in "
        "an (X++(Y..Y)) table: a spectrum must be finite numbers"
    )


@pytest.mark.parametrize(
    ("new", "shown", "column"),
    [
        ("1004C0nI" + "9" * 35, "'I99999999999...', 36 characters long, read as 1e+33", 8),
        ("1004C0nR" + "9" * 35, "'R99999999999...', 36 characters long, read as 1e+33", 8),
    ],
)
def test_a_compressed_value_beyond_any_spectrum_is_named(tmp_path, new, shown, column):
    # the spectrum refused it naming the block's title line: "line 1: block 'asdf': intensity
    # holds 1 value(s) up to 1e+33 in size, ..."
    text = _ir_block("asdf", _ASDF_HEADER + _ASDF_LINES.replace("1004C0nU", new))
    with pytest.raises(FormatError) as info:
        _read(tmp_path, text)
    assert str(info.value) == (
        f"{tmp_path / 'test.jdx'}: line 13: " + _BEYOND.format(shown, column, "(X++(Y..Y))")
    )


def test_an_abscissa_written_with_its_first_sqz_value_is_still_compressed(tmp_path):
    # one number alone on a line is no line of plain numbers: 1000 and E999 (5999), as an
    # ASDF writer puts the abscissa and the first value together
    block = _ir_block("sqz", "##FIRSTX=1000\n##LASTX=1000\n##XYDATA=(X++(Y..Y))\n1000E999\n")
    (decoded,) = jcamp.decode_jcamp_blocks(block)
    assert decoded.x.tolist() == [1000.0] and decoded.y.tolist() == [5999.0]


@pytest.mark.parametrize(
    ("xunits", "basis"),
    [
        ("", "assumed: no ##XUNITS= in the file"),
        ("##XUNITS= $$ left blank\n", "assumed: ##XUNITS= is empty"),
        ("##XUNITS=1/CM\n", None),
    ],
)
def test_an_axis_without_xunits_is_read_as_cm1_and_said_to_be_assumed(tmp_path, xunits, basis):
    # it was read as cm-1 with nothing recorded: the assumption looked like the file's word
    text = _ir_block("no unit", _xydata(list(range(24)))).replace("##XUNITS=1/CM\n", xunits)
    _, (spectrum,) = _read(tmp_path, text)
    assert spectrum.wavenumber[0] == 1000.0 and spectrum.wavenumber[-1] == 1023.0
    assert spectrum.metadata.get("axis_unit_basis") == basis
    assert spectrum.axis_unit_assumed is (basis is not None)
    # a copy the toolkit writes names cm-1 itself, and still says it was assumed
    copy = jcamp.read_text(jcamp.write(spectrum))[0]
    assert copy.metadata.get("axis_unit_basis") == basis


@pytest.mark.parametrize(
    "written", ["nan", "NaN", "inf", "-inf", "Infinity", "NA", "NULL", "-", "n.a."]
)
def test_nan_inf_or_a_word_in_an_xy_table_is_named_whole(tmp_path, written):
    # it was "a value that is not a number 'N' at column 6": its first letter only (NaN and
    # infinity named whole first, then words such as R's NA)
    pairs = "\n".join(f"{400 + i}, {written if i == 7 else i}" for i in range(20))
    text = _ir_block("gap", f"##XYDATA=(XY..XY)\n{pairs}\n")
    with pytest.raises(FormatError) as info:
        _read(tmp_path, text)
    assert str(info.value) == (
        f"{tmp_path / 'test.jdx'}: line 14: not a number ({written!r}) at column 6 in an "
        "(XY..XY) table: a spectrum must be finite numbers"
    )


def test_a_stray_character_in_an_xy_value_is_named_by_that_character(tmp_path):
    pairs = "\n".join(f"{400 + i}, {'12#4' if i == 7 else i}" for i in range(20))
    text = _ir_block("gap", f"##XYDATA=(XY..XY)\n{pairs}\n")
    with pytest.raises(FormatError, match=r"line 14: a value that is not a number '#' at column 8"):
        _read(tmp_path, text)


@pytest.mark.parametrize("written", ["nan", "NaN", "inf", "-inf", "Infinity"])
def test_nan_or_inf_in_an_x_yy_table_is_named_whole(tmp_path, written):
    # 'nan' was decoded as compressed digits (n a DIF, a a SQZ): three values for one, blamed
    # on ##NPOINTS=; '-inf' was "unexpected character '-'"
    text = _ir_block("gap", _xydata(list(range(24))).replace("1008 8 9 10", f"1008 8 {written}"))
    with pytest.raises(FormatError) as info:
        _read(tmp_path, text)
    assert str(info.value) == (
        f"{tmp_path / 'test.jdx'}: line 13: not a number ({written!r}) at column 8 in an "
        "(X++(Y..Y)) table: a spectrum must be finite numbers"
    )


def test_nan_ending_an_x_yy_table_is_not_read_as_compressed_digits(tmp_path):
    # without ##NPOINTS= and on the last line nothing counted the values: 'nan' was read as
    # the ordinates 17, -1 and -6 (a DIF, a SQZ, a DIF), and the spectrum was returned
    table = _xydata(list(range(24)), npoints=False).replace(" 22 23\n", " 22 nan\n")
    with pytest.raises(FormatError, match=r"line 13: not a number \('nan'\) at column 27 "):
        _read(tmp_path, _ir_block("gap", table))


# Words that exports write for a missing value, and letters a SQZ/DIF decoder would take for
# digits: 'NA' a difference of 5 then the value 1, 'A' the value 1, 'n.a.' -5 then -1.
STRAY_WORDS = ["NA", "NULL", "N/A", "-", "missing", "none", "n.a.", "ERR", "A", "#N/A"]


@pytest.mark.parametrize("written", STRAY_WORDS)
def test_a_word_in_a_line_of_plain_numbers_is_named_whole(tmp_path, written):
    # 'NA' in the middle of a table without ##NPOINTS= was read as 25 values for 24; '-' was
    # "unexpected character '-' at column 8 in compressed (ASDF) data"
    table = _xydata(list(range(24)), npoints=False).replace("1008 8 9 10", f"1008 8 {written} 10")
    with pytest.raises(FormatError) as info:
        _read(tmp_path, _ir_block("gap", table))
    assert str(info.value) == (
        f"{tmp_path / 'test.jdx'}: line 12: not a number ({written!r}) at column 8 in an "
        "(X++(Y..Y)) table: a spectrum must be finite numbers"
    )


@pytest.mark.parametrize("written", STRAY_WORDS)
def test_a_word_ending_an_x_yy_table_is_not_read_as_compressed_digits(tmp_path, written):
    # on the last line of a table without ##NPOINTS= nothing counted the values: 'NA' was read
    # as the ordinates 27 and 1, 'A' as 1, and the spectrum was returned without a word
    table = _xydata(list(range(24)), npoints=False).replace(" 22 23\n", f" 22 {written}\n")
    with pytest.raises(FormatError) as info:
        _read(tmp_path, _ir_block("gap", table))
    assert str(info.value) == (
        f"{tmp_path / 'test.jdx'}: line 13: not a number ({written!r}) at column 27 in an "
        "(X++(Y..Y)) table: a spectrum must be finite numbers"
    )


@pytest.mark.parametrize("written", ["NA", "blank", "A", "Zero"])
def test_a_word_alone_on_its_line_of_an_x_yy_table_is_named(tmp_path, written):
    # one ordinate a line: the word has no plain number beside it, but its table has. 'A' was
    # read as the value 1; 'blank' was blamed on a DIF y-check, 'NA' on a line's abscissa,
    # 'Zero' taken for a DUP count
    rows = "\n".join(f"{1000 + i} {written if i == 5 else i}" for i in range(20))
    table = f"##FIRSTX=1000\n##DELTAX=1\n##XYDATA=(X++(Y..Y))\n{rows}\n"
    with pytest.raises(FormatError) as info:
        _read(tmp_path, _ir_block("gap", table))
    assert str(info.value) == (
        f"{tmp_path / 'test.jdx'}: line 14: not a number ({written!r}) at column 6 in an "
        "(X++(Y..Y)) table: a spectrum must be finite numbers"
    )


def test_a_table_of_words_is_not_read_as_compressed_digits(tmp_path):
    # no plain number anywhere: an ASDF line opens its ordinates with a value, never with a
    # difference (N) or a repeat count. It was refused as compressed data gone wrong: "the
    # first ordinate is a difference (DIF) with no absolute value before it"
    rows = "\n".join(f"{1000 + 4 * i} NA NA NA NA" for i in range(5))
    table = f"##FIRSTX=1000\n##LASTX=1019\n##XYDATA=(X++(Y..Y))\n{rows}\n"
    with pytest.raises(FormatError) as info:
        _read(tmp_path, _ir_block("gap", table))
    assert str(info.value) == (
        f"{tmp_path / 'test.jdx'}: line 9: not a number ('NA') at column 6 in an "
        "(X++(Y..Y)) table: a spectrum must be finite numbers"
    )


def _one_line_table(line: str, form: str) -> str:
    """A block whose data table is the one line ``line``, as ``(X++(Y..Y))`` or ``(XY..XY)``."""
    if form == "(XY..XY)":
        return _ir_block("one line", f"##XYPOINTS=(XY..XY)\n{line}\n")
    return _ir_block("one line", f"##FIRSTX=1000\n##DELTAX=1\n##XYDATA=(X++(Y..Y))\n{line}\n")


@pytest.mark.parametrize("form", ["(X++(Y..Y))", "(XY..XY)"])
@pytest.mark.parametrize(
    ("line", "word", "column"),
    [
        ("NA", "NA", 1),  # a word alone on its line, where the abscissa is
        ("absent", "absent", 1),
        ("A", "A", 1),
        ("N/A", "N/A", 1),
        ("Inf", "Inf", 1),
        ("1000 absent", "absent", 6),  # 't' is no ASDF letter
        ("1000, absent", "absent", 7),
        ("1000 N/A", "N/A", 6),
        ("1000 #N/A", "#N/A", 6),
        ("1000 -", "-", 6),  # a sign with no digits is no PAC value
        ("1000 NA", "NA", 6),
    ],
)
def test_a_word_in_a_table_of_one_line_is_named_whole(tmp_path, form, line, word, column):
    # no other line of plain numbers to tell the word from compressed data: (X++(Y..Y)) said
    # "a data line must start with its abscissa (an AFFN number), found 'N'" of 'NA' alone,
    # "unexpected character 't' at column 11 in compressed (ASDF) data" of 'absent', "...
    # character '-'" of a '-'
    with pytest.raises(FormatError) as info:
        _read(tmp_path, _one_line_table(line, form))
    at = 7 if form == "(XY..XY)" else 9
    assert str(info.value) == (
        f"{tmp_path / 'test.jdx'}: line {at}: not a number ({word!r}) at column {column} in an "
        f"{form} table: a spectrum must be finite numbers"
    )


# The ASDF forms of the JCAMP-DX standard (McDonald and Wilks, Appl. Spectrosc. 42, 151 (1988),
# section 5 and Table VII): the values 1 2 3 3 2 1 0 -1 -2 -3 in AFFN, PAC, SQZ, DIF and
# DIFDUP, and '50 50 50 50' as 50V (DUP); after an abscissa, each as a table's one line, with
# and without a blank between them.
SPEC_EXAMPLES = [
    ("1000 1 2 3 3 2 1 0 -1 -2 -3", [1, 2, 3, 3, 2, 1, 0, -1, -2, -3]),
    ("1000 1+2+3+3+2+1+0-1-2-3", [1, 2, 3, 3, 2, 1, 0, -1, -2, -3]),
    ("1000 1BCCBA@abc", [1, 2, 3, 3, 2, 1, 0, -1, -2, -3]),
    ("1000A BCCBA@abc", [1, 2, 3, 3, 2, 1, 0, -1, -2, -3]),
    ("1000 1JJ%jjjjjj", [1, 2, 3, 3, 2, 1, 0, -1, -2, -3]),
    ("1000 1JT%jX", [1, 2, 3, 3, 2, 1, 0, -1, -2, -3]),
    ("1000 50V", [50, 50, 50, 50]),
    ("2000A23", [123]),
    ("1000@A1B2", [0, 11, 22]),
    ("1000 @A1B2", [0, 11, 22]),
    ("1000 @%Z", [0, 0, 0, 0, 0, 0, 0, 0, 0]),  # DIFDUP: a flat run, no digit after the abscissa
    ("1000 A", [1]),  # SQZ: the value 1, as 'A' alone is written
]


@pytest.mark.parametrize(("line", "values"), SPEC_EXAMPLES)
def test_the_standards_asdf_examples_decode_as_a_table_of_one_line(line, values):
    (block,) = jcamp.decode_jcamp_blocks(_one_line_table(line, "(X++(Y..Y))"))
    assert block.y.tolist() == values


def test_a_missing_value_in_a_line_of_plain_numbers_is_still_named_as_missing(tmp_path):
    table = _xydata(list(range(24))).replace("1008 8 9 10", "1008 8 ? 10")
    with pytest.raises(FormatError, match=r"line 13: a missing value '\?' in the data table"):
        _read(tmp_path, _ir_block("gap", table))


# Every real JCAMP-DX file decoded: its ordinates, all blocks and pages, as this reader has
# read them since it checks its tables (points, SHA-256 of the float64 values, first 16 hex
# digits). The ASDF tables among them (SQZ, DIF, DUP, PAC; separated from the abscissa by a
# blank or not) must keep reading exactly so whatever the reader learns to refuse.
REAL_ORDINATES = {
    "BRUKAFFN.DX": (16384, "f3bf95690cc47f73"),
    "BRUKDIF.DX": (16384, "c79b913378c0716c"),
    "BRUKER1.JCM": (3735, "59cd18a3ce7af682"),
    "BRUKER2.JCM": (3735, "3281e58aa93842e1"),
    "BRUKNTUP.DX": (32768, "fddfc207b0278149"),
    "BRUKPAC.DX": (16384, "f3bf95690cc47f73"),
    "BRUKSQZ.DX": (16384, "f3bf95690cc47f73"),
    "IMSDEMO.DX": (1000, "26b671d94c1b6674"),
    "IMS_TEST1.DX": (2400, "43150c6aa16cdf84"),
    "ISAS_CDX.DX": (0, "e3b0c44298fc1c14"),
    "ISAS_MS1.DX": (26, "2749da1323e16705"),
    "ISAS_MS2.DX": (346, "a8a3a6264ea63ee4"),
    "ISAS_MS3.DX": (70, "dd6a8104f76c38d6"),
    "LABCALC.DX": (3435, "ea07191dfa37cba7"),
    "PE1800.DX": (3301, "75c87c239b5fff61"),
    "SPECFILE.DX": (1801, "18edcbba0c27af5f"),
    "TEST32.DX": (16384, "f3bf95690cc47f73"),
    "TESTFID.DX": (32768, "c224a8b09c6966cf"),
    "TESTNTUP.DX": (32768, "e8215bc75f93506a"),
    "TESTSPEC.DX": (16384, "6cee8b26ecf9f468"),
    "acetone.jdx": (14106, "f605c93815e3fdd4"),
    "br_1.DX": (1216, "18024c8e68fc8c18"),
    "br_2.DX": (1216, "7a1049a33f0242b8"),
    "br_3.DX": (1216, "9136b927e94a0e9f"),
    "br_4.DX": (1216, "2a91988ae151babc"),
    "br_5.DX": (1216, "8eb354f9136e29ff"),
    "brukdif.jdx": (16384, "c79b913378c0716c"),
    "difdup_example.jdx": (53, "9f1034a6c7bbea82"),
    "ethanol.jdx": (3570, "928aa36d983c1c4d"),
    "ethanol_ms.jdx": None,  # refused: ##FIRSTX=0 but the table's first abscissa is 14
    "example_multiline_datasets.jdx": (1919, "d3dbdf5438379004"),
    "fitr_nitrocellulose.jdx": (7154, "f365d3416e33626d"),
    "fort_1.DX": (1216, "5dca8da6e1d64bb8"),
    "fort_2.DX": (1216, "cf364776b1ee505c"),
    "fort_3.DX": (1216, "dd3234ea801d5dee"),
    "fort_4.DX": (1216, "967c938f6a6e2606"),
    "fort_5.DX": (1216, "af7f213a7a117738"),
    "isopropanol_ASDF.jdx": (9541, "ce15de1edb1f48e1"),
    "lp_1.DX": (1216, "a9986d980543e5c2"),
    "lp_2.DX": (1216, "c724f668507e55dd"),
    "lp_3.DX": (1216, "5eb7d2e54c650fac"),
    "lp_4.DX": (1216, "88c9d141f8e823ab"),
    "lp_5.DX": (1216, "f1b766103c2c398b"),
    "scientific_notation_example.jdx": (1867, "5898a872bb251449"),
    "shimadzu_aspartame_atr.dx": (3320, "460acc91d001307f"),
    "tannic_acid.jdx": (1949, "7dc9bb2d69e97f72"),
    "toluene.jdx": (3329, "d6ac5639f0f94c2e"),
}


def test_every_real_file_decodes_to_the_values_it_always_has(jcamp_dir):
    assert set(REAL_ORDINATES) == {p.name for p in jcamp_dir.iterdir()} - {"DX-DIR.TXT"}
    for name, expected in REAL_ORDINATES.items():
        if expected is None:
            with pytest.raises(FormatError):
                jcamp.decode_jcamp_blocks((jcamp_dir / name).read_bytes(), path=name)
            continue
        blocks = jcamp.decode_jcamp_blocks((jcamp_dir / name).read_bytes(), path=name)
        digest = hashlib.sha256()
        points = 0
        for part in (part for block in blocks for part in (block, *block.pages)):
            if part.y is not None:
                digest.update(np.ascontiguousarray(part.y, dtype="<f8").tobytes())
                points += part.y.size
        assert (points, digest.hexdigest()[:16]) == expected, name


def test_missing_end_between_blocks(tmp_path):
    text = _ir_block("a", _xydata(list(range(20))), end="") + _ir_block("b", "")
    with pytest.raises(FormatError, match=r"block 'a' \(line 1\) has no ##END="):
        _read(tmp_path, text)


def test_sniff():
    assert jcamp.sniff(b"\xef\xbb\xbf  ##TITLE= x\r\n##JCAMP-DX=4.24\n", Path("a.txt"))
    assert jcamp.sniff(b" ##TITLE=ETHYLBENZOL\n", Path("a"))
    assert jcamp.sniff(b"##JCAMP-DX=5.01\n##TITLE=x\n", Path("a"))
    assert jcamp.sniff(b"##$$ written by hand\n##TITLE=x\n", Path("a"))
    # RRUFF text exports start with ##NAMES= and are left to the text reader
    assert not jcamp.sniff(b"##NAMES=Aegirine\n##RRUFFID=R040054\n155.8, 0.0\n", Path("a.txt"))
    assert not jcamp.sniff(b"wavenumber,intensity\n##TITLE=x\n", Path("a.jdx"))
    assert not jcamp.sniff(b"", Path("a.jdx"))


# -- the writer ---------------------------------------------------------------------------------


def _same(a: Spectrum, b: Spectrum, *, skip=()) -> None:
    assert np.array_equal(a.wavenumber, b.wavenumber)
    assert np.array_equal(a.intensity, b.intensity)
    assert (a.modality, a.y_unit) == (b.modality, b.y_unit)
    source = ("source_file", "source_sha256", "source_format")
    strip = {*source, *(f"original_{k}" for k in source), *skip}
    assert {k: v for k, v in a.metadata.items() if k not in strip} == {
        k: v for k, v in b.metadata.items() if k not in strip
    }
    if "source_sha256" in a.metadata and "source_sha256" in b.metadata:
        # b was read from a file written from a: it keeps where a first came from
        first = a.metadata.get("original_source_sha256", a.metadata["source_sha256"])
        assert b.metadata["original_source_sha256"] == first
    assert a.history == b.history


@pytest.mark.parametrize("name", [row[0] for row in VIBRATIONAL])
def test_real_files_round_trip(jcamp_dir, tmp_path, name):
    original = forensic.read_spectrum(jcamp_dir / name)
    out = forensic.write_spectrum(original, tmp_path / "copy.jdx")
    again = forensic.read_spectrum(out)
    _same(original, again)
    assert again.metadata["source_format"] == "jcamp"


def test_written_file_is_plain_jcamp(tmp_path):
    spectrum = make_spectrum(name="Polystyrene", modality="raman", y_unit="counts")
    spectrum = spectrum.with_metadata(laser_wavelength_nm=785.0, cas="9003-53-6")
    text = jcamp.write(spectrum).decode("ascii")
    lines = text.splitlines()
    assert lines[0] == "##TITLE=Polystyrene"
    assert "##JCAMP-DX=5.01 $$ forensic toolkit" in lines
    assert "##DATA TYPE=RAMAN SPECTRUM" in lines
    assert "##XYDATA=(X++(Y..Y))" in lines  # an even axis: the compact AFFN form
    assert "##NPOINTS=3001" in lines and "##CAS REGISTRY NO=9003-53-6" in lines
    assert lines[-1] == "##END="
    assert max(len(line) for line in lines[lines.index("##XYDATA=(X++(Y..Y))") :]) <= 80
    with pytest.raises(OutputExistsError):
        path = tmp_path / "p.jdx"
        forensic.write_spectrum(spectrum, path)
        forensic.write_spectrum(spectrum, path)


@pytest.mark.parametrize("even", [True, False])
def test_percent_transmittance_is_written_as_a_fraction_and_reads_back_exactly(even):
    # JCAMP-DX 4.24 names one transmittance, TRANSMITTANCE, and NIST's files and readers that
    # follow them take it as the fraction I/I0: 95 written for 95 % is read as 9500 %. Written
    # with ##YFACTOR=0.01, every reader gets the fraction, and ours the exact percent values.
    rng = np.random.default_rng(4)
    axis = np.arange(600.0, 4000.0, 2.0) if even else np.sort(rng.uniform(600, 4000, 1700))
    percent = 100.0 - 70.0 * rng.random(axis.size)
    spectrum = Spectrum(axis, percent, modality="ir", y_unit="percent_transmittance")
    data = jcamp.write(spectrum)
    lines = data.decode().splitlines()
    assert "##YUNITS=TRANSMITTANCE" in lines and "##YFACTOR=0.01" in lines
    (block,) = jcamp.decode_jcamp_blocks(data)
    assert block.y.min() >= 0.0 and block.y.max() <= 1.0
    np.testing.assert_allclose(block.y, percent / 100.0, rtol=1e-15)
    for label, value in (("MINY", block.y.min()), ("MAXY", block.y.max()), ("FIRSTY", block.y[0])):
        assert float(block.labels[label]) == value
    assert not block.warnings
    again = jcamp.read_text(data)[0]
    _same(spectrum, again)
    # a fraction stays as it is
    fraction = spectrum.replace(intensity=percent / 100.0, y_unit="transmittance")
    assert "##YFACTOR=1" in jcamp.write(fraction).decode().splitlines()
    _same(fraction, jcamp.read_text(jcamp.write(fraction))[0])


def test_percent_transmittance_files_of_earlier_versions_still_read_as_percent():
    # before, the writer put the percent values under TRANSMITTANCE with YFACTOR=1
    spectrum = make_spectrum(modality="ir", y_unit="percent_transmittance")
    spectrum = spectrum.replace(intensity=100.0 - 50.0 * np.asarray(spectrum.intensity))
    y = spectrum.intensity
    old, changed = re.subn(
        r"##YFACTOR=0\.01\r\n##FIRSTX=(.*)\r\n##LASTX=(.*)\r\n##MINY=.*\r\n##MAXY=.*\r\n"
        r"##NPOINTS=(.*)\r\n##FIRSTY=.*\r\n",
        lambda m: (
            f"##YFACTOR=1\r\n##FIRSTX={m[1]}\r\n##LASTX={m[2]}\r\n##MINY={float(y.min())!r}\r\n"
            f"##MAXY={float(y.max())!r}\r\n##NPOINTS={m[3]}\r\n##FIRSTY={float(y[0])!r}\r\n"
        ),
        jcamp.write(spectrum).decode(),
    )
    assert changed == 1
    again = jcamp.read_text(old)[0]
    _same(spectrum, again)


def test_odd_metadata_round_trips():
    spectrum = make_spectrum(modality="ir", y_unit="percent_transmittance")
    spectrum = spectrum.with_metadata(
        name="Cocaine HCl $$ not a comment\nsecond line",
        synonyms="benzoylmethylecgonine; coke",
        operator="  José  ",
        averages=16,
        acquired_at="2026-03-01T10:00:00Z",
        comment="##END= inside a value",
        **{"Vendor Key": "785", "x=y": [1, 2.5, None], "empty": "", "PROCESSING HISTORY": "mine"},
    )
    spectrum = spectrum.with_intensity(spectrum.intensity * 2, "scale", factor=2.0)
    again = jcamp.read_text(jcamp.write(spectrum))[0]
    _same(spectrum, again)
    assert again.history == (ProcessingStep("scale", {"factor": 2.0}),)


def test_numpy_metadata_values_are_written_as_numbers():
    spectrum = make_spectrum().with_metadata(
        averages=np.int64(16), integration_time_ms=np.float32(1.5), offsets=np.arange(3)
    )
    again = jcamp.read_text(jcamp.write(spectrum))[0]
    assert again.metadata["averages"] == 16 and isinstance(again.metadata["averages"], int)
    assert again.metadata["integration_time_ms"] == 1.5
    assert again.metadata["offsets"] == [0, 1, 2]


# Metadata values that JSON carries exactly (no NaN: NaN != NaN).
_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3),
    max_leaves=5,
)
_standard = st.sampled_from(
    [k for k in STANDARD_METADATA_KEYS if not k.startswith("source_")] + ["origin", "owner"]
)


@st.composite
def spectra(draw):
    n = draw(st.integers(16, 200))
    start = draw(st.floats(-500.0, 5000.0))
    if draw(st.booleans()):
        step = draw(st.floats(1e-3, 20.0))
        x = start + step * np.arange(n)
    else:
        steps = draw(st.lists(st.floats(1e-3, 50.0), min_size=n - 1, max_size=n - 1))
        x = start + np.concatenate([[0.0], np.cumsum(steps)])
    # up to MAX_MAGNITUDE, the largest a spectrum holds (the draws below reach 1e3 times this)
    magnitude = draw(st.sampled_from([1e-300, 1e-12, 1.0, 1e6, MAX_MAGNITUDE / 1e3]))
    y = (
        np.array(draw(st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=n, max_size=n)))
        * magnitude
    )
    metadata = draw(st.dictionaries(_standard | st.text(max_size=20), _values, max_size=6))
    history = [
        ProcessingStep(name, params)
        for name, params in draw(
            st.lists(
                st.tuples(st.text(min_size=1, max_size=10), st.dictionaries(st.text(), _values)),
                max_size=3,
            )
        )
    ]
    return Spectrum(
        x,
        y,
        modality=draw(st.sampled_from(["raman", "ir"])),
        y_unit=draw(st.sampled_from(Y_UNITS)),
        metadata=metadata,
        history=history,
    )


@settings(
    max_examples=int(os.environ.get("JCAMP_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(spectra())
def test_write_read_round_trip(spectrum):
    data = jcamp.write(spectrum)
    data.decode("ascii")  # JCAMP-DX 5.01 text is ASCII
    (again,) = jcamp.read_text(data)
    _same(spectrum, again)


# -- robustness -----------------------------------------------------------------------------------


@settings(max_examples=int(os.environ.get("JCAMP_EXAMPLES", "200")), deadline=None)
@given(st.binary(max_size=3000))
def test_any_bytes_give_spectra_or_format_error(data):
    try:
        blocks = jcamp.decode_jcamp_blocks(data)
    except FormatError:
        blocks = None
    assert blocks is None or isinstance(blocks, list)
    try:
        spectra_read = jcamp.read_text(data)
    except FormatError:
        return
    assert all(isinstance(s, Spectrum) for s in spectra_read)


_asdf_text = st.text(alphabet="0123456789@ABCDEFGHIabcdefghi%JKLMNOPQRjklmnopqrSTUVWXYZs+-.,; ?\n")


@settings(max_examples=int(os.environ.get("JCAMP_EXAMPLES", "200")), deadline=None)
@given(_asdf_text, st.sampled_from(["(X++(Y..Y))", "(XY..XY)", "(XYW..XYW)", "(X++(Y..Y)"]))
@example(",", "(X++(Y..Y))")  # a line of separators alone: no value to tell a word by
def test_any_table_gives_spectra_or_format_error(table, form):
    text = (
        "##TITLE=fuzz\n##JCAMP-DX=4.24\n##DATA TYPE=INFRARED SPECTRUM\n##XUNITS=1/CM\n"
        f"##YUNITS=ABSORBANCE\n##XYDATA={form}\n{table}\n##END=\n"
    )
    try:
        result = jcamp.read_text(text)
    except FormatError:
        return
    assert all(isinstance(s, Spectrum) for s in result)


@pytest.mark.parametrize("name", ["BRUKER1.JCM", "SPECFILE.DX", "tannic_acid.jdx", "ISAS_MS3.DX"])
@settings(max_examples=int(os.environ.get("JCAMP_EXAMPLES", "25")), deadline=None)
@given(data=st.data())
def test_mutated_real_file_gives_spectra_or_format_error(jcamp_dir, name, data):
    mutated = bytearray((jcamp_dir / name).read_bytes())
    for _ in range(data.draw(st.integers(1, 5))):
        index = data.draw(st.integers(0, len(mutated) - 1))
        mutated[index] = data.draw(st.integers(0, 255))
    with contextlib.suppress(FormatError):
        jcamp.decode_jcamp_blocks(bytes(mutated))
    try:
        result = jcamp.read_text(bytes(mutated))
    except FormatError:
        return
    assert all(isinstance(s, Spectrum) for s in result)


def test_json_in_foreign_files_is_text(tmp_path):
    # Only our own files (marked ##$FORENSIC ENCODING=) carry JSON values; elsewhere text is text.
    text = _ir_block("[1, 2]", _xydata(list(range(20))), header='##OWNER="1998"\n##$RUN=42\n')
    _, (spectrum,) = _read(tmp_path, text)
    assert spectrum.name == "[1, 2]"
    assert spectrum.metadata["owner"] == '"1998"'
    assert spectrum.metadata["RUN"] == "42"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_a_utf16_jcamp_file_reads_like_its_utf8_copy(tmp_path, encoding):
    """Windows software saves "Unicode" text as UTF-16 with a byte-order mark: the file is
    still JCAMP-DX, read by the JCAMP reader, not refused as a text table or binary data."""
    text = _ir_block("Caféine réf", _xydata([10, 20, 30, 25, 20, 15, 10, 12] * 3))
    utf8 = tmp_path / "utf8.jdx"
    utf8.write_text(text, encoding="utf-8")
    utf16 = tmp_path / "utf16.jdx"
    bom = "\ufeff" if encoding == "utf-16-be" else ""  # "utf-16" writes its own
    utf16.write_bytes((bom + text).encode(encoding))
    (a,) = forensic.read_spectra(utf8)
    (b,) = forensic.read_spectra(utf16)
    np.testing.assert_array_equal(a.wavenumber, b.wavenumber)
    np.testing.assert_array_equal(a.intensity, b.intensity)
    assert b.name == "Caféine réf" and b.metadata["source_format"] == a.metadata["source_format"]
    broken = tmp_path / "broken.jdx"
    broken.write_bytes(text.encode("utf-16")[:-1])  # cut inside the last character
    with pytest.raises(FormatError, match="UTF-16"):
        forensic.read_spectra(broken)
