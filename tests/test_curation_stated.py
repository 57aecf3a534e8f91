"""What a chemist states over what a file says at import: a y unit its header names wrongly,
the laser line of a wavelength axis (audit 0.7.0, friction 3). Never silently: each statement
is recorded with the reference, shown by library show and listed by publish; so is an axis
unit the file never names (a JCAMP-DX file without ##XUNITS=), read as cm-1 by assumption."""

from __future__ import annotations

import re
import shlex

import numpy as np
import pytest
from click.testing import CliRunner
from library_helpers import make_library, synthetic_spectrum
from synthetic import make_spectrum

from forensic import curation
from forensic.cli import main
from forensic.errors import LibraryError
from forensic.io import read_spectrum, write_spectrum
from forensic.library import Library
from forensic.quality import axis_unit_problem

LASER = 785.0


@pytest.fixture
def library(tmp_path):
    return make_library(tmp_path / "lib")


def _snapshot(library):
    return {p.relative_to(library): p.read_bytes() for p in library.rglob("*") if p.is_file()}


def _nm_file(path, index=0):
    """A Raman export against the scattered light's wavelength (nm) that names no laser."""
    spectrum = synthetic_spectrum(index, seed=60 + index)
    nm = 1e7 / (1e7 / LASER - spectrum.wavenumber)
    path.write_text(
        "wavelength (nm),intensity\n"
        + "".join(f"{x:.5f},{y:.6f}\n" for x, y in zip(nm, spectrum.intensity, strict=True))
    )
    return path


def _jcamp_without_xunits(path, wavenumber, intensity, *, data_type, y_units, title):
    """A JCAMP-DX file of another program that names no axis unit (no ##XUNITS=)."""
    table = "".join(f"{x:.5f}, {y:.6f}\n" for x, y in zip(wavenumber, intensity, strict=True))
    path.write_text(
        f"##TITLE={title}\n##JCAMP-DX=4.24\n##DATA TYPE={data_type}\n##YUNITS={y_units}\n"
        f"##XYPOINTS=(XY..XY)\n{table}##END=\n"
    )
    return path


def _mislabelled_ir(path):
    """An IR file whose header says absorbance, its numbers percent transmittance."""
    ir = make_spectrum([(1000, 1.0, 10), (1600, 0.5, 12)], start=600, stop=4000, modality="ir")
    percent = 100.0 * 10.0 ** -(0.8 * np.asarray(ir.intensity))
    return write_spectrum(ir.replace(y_unit="absorbance", intensity=percent), path)


def test_a_wavelength_axis_is_imported_with_the_stated_laser_line_and_says_so(library, tmp_path):
    raman = _nm_file(tmp_path / "export.csv")
    with pytest.raises(LibraryError, match=r"--laser-nm NM"):  # the message names the option
        curation.import_spectra([raman], library, name="Omegaine", licence="MIT")
    done = curation.import_spectra(
        [raman],
        library,
        name="Omegaine",
        licence="MIT",
        laser_nm=LASER,
        added_by="A. Chemist",
        today="2026-11-24",
    )
    written = read_spectrum(library / done.imported[0]["file"])
    assert written.wavenumber[0] == pytest.approx(200.0, abs=0.01)  # Raman shift, cm-1
    assert written.metadata["laser_wavelength_nm"] == LASER
    assert written.history[0].name == "wavelength_to_raman_shift"
    assert written.metadata["stated_at_import"] == (
        "laser wavelength 785 nm (the file names none) (stated by A. Chemist, 2026-11-24)"
    )
    shown = CliRunner().invoke(main, ["library", "show", "Omegaine", "--library", str(library)])
    assert shown.exit_code == 0, shown.output
    assert "stated        laser wavelength 785 nm (the file names none)" in shown.output


def test_an_axis_unit_the_file_never_names_is_noted_and_kept_with_the_reference(library, tmp_path):
    ir = make_spectrum([(1000, 1.0, 10), (1600, 0.5, 12)], start=600, stop=4000, modality="ir")
    raw = _jcamp_without_xunits(
        tmp_path / "atr.jdx",
        ir.wavenumber,
        ir.intensity,
        data_type="INFRARED SPECTRUM",
        y_units="ABSORBANCE",
        title="Omegaine",
    )
    done = CliRunner().invoke(
        main, ["library", "import", str(raw), "--library", str(library), "--licence", "MIT"]
    )
    assert done.exit_code == 0, done.output
    # it was imported without a word: nothing said that cm-1 was not the file's own
    assert done.stderr.splitlines() == [
        "note: atr.jdx: the file does not name its axis unit; read as cm-1 (assumed: no "
        "##XUNITS= in the file): check it, and if it is not cm-1, export the spectrum with its "
        "axis unit",
        "note: atr.jdx: named 'Omegaine' from its title: no substance of the library has that "
        "name; give --name (or a manifest row) if it is not a new substance",
    ]
    # the reference written keeps the assumption, for whoever reads its provenance later
    written = read_spectrum(library / "ir" / "omegaine-ir.jdx")
    assert written.metadata["axis_unit_basis"] == "assumed: no ##XUNITS= in the file"
    shown = CliRunner().invoke(main, ["library", "show", "Omegaine", "--library", str(library)])
    assert shown.exit_code == 0, shown.output
    assert (
        "  axis          600-4000 cm-1 (assumed: no ##XUNITS= in the file), 3401 points, "
        "intensity absorbance\n"
    ) in shown.output


def test_an_unnamed_axis_read_as_nm_with_the_stated_laser_line_is_no_longer_assumed_cm1(
    library, tmp_path
):
    spectrum = synthetic_spectrum(0, seed=60)
    nm = 1e7 / (1e7 / LASER - spectrum.wavenumber)
    raw = _jcamp_without_xunits(
        tmp_path / "export.jdx",
        nm,
        spectrum.intensity,
        data_type="RAMAN SPECTRUM",
        y_units="ARBITRARY UNITS",
        title="Omegaine",
    )
    done = curation.import_spectra(
        [raw],
        library,
        licence="MIT",
        laser_nm=LASER,
        added_by="A. Chemist",
        today="2026-11-24",
    )
    assert not any("axis unit" in note for note in done.notes)
    written = read_spectrum(library / done.imported[0]["file"])
    assert written.wavenumber[0] == pytest.approx(200.0, abs=0.01)
    assert "axis_unit_basis" not in written.metadata
    assert written.metadata["stated_at_import"].startswith(
        "axis read as a wavelength in nm (the file does not say); laser wavelength 785 nm"
    )


def _unnamed_nm_jcamp(path):
    """A Raman JCAMP-DX export against the scattered light's wavelength (nm) that names neither
    its axis unit (no ##XUNITS=) nor its laser line: read as cm-1, the axis looks like nm."""
    spectrum = synthetic_spectrum(0, seed=60)
    nm = 1e7 / (1e7 / LASER - spectrum.wavenumber)
    return _jcamp_without_xunits(
        path,
        nm,
        spectrum.intensity,
        data_type="RAMAN SPECTRUM",
        y_units="ARBITRARY UNITS",
        title="Omegaine",
    )


def test_an_axis_that_looks_like_nm_is_skipped_with_the_option_that_reads_it(library, tmp_path):
    raw = _unnamed_nm_jcamp(tmp_path / "export.jdx")
    before = _snapshot(library)
    command = ["library", "import", str(raw), "--library", str(library), "--licence", "MIT"]
    refused = CliRunner().invoke(main, command)
    assert refused.exit_code == 2, refused.output
    # it said "(convert with Spectrum.from_wavelength)": advice for a programmer
    assert refused.stderr.splitlines() == [
        f"error: nothing imported: no spectrum could be imported ({raw}: axis 798-1048: "
        "looks like a wavelength in nm, not a Raman shift in cm-1 (if it is, import it again "
        "with --laser-nm NM, the laser line it was measured with: its axis is then read in nm "
        "and converted to Raman shift): not imported)"
    ]
    assert _snapshot(library) == before
    # the advice followed imports it
    done = CliRunner().invoke(main, [*command, "--laser-nm", "785"])
    assert done.exit_code == 0, done.output
    assert "imported raman/omegaine-raman.jdx: Omegaine (raman, id omegaine-raman)" in done.stdout
    # an API user keeps the API's advice where the axis is diagnosed
    assert axis_unit_problem(read_spectrum(raw)) == (
        "axis 798-1048: looks like a wavelength in nm, not a Raman shift in cm-1 (convert with "
        "Spectrum.from_wavelength)"
    )


def test_an_axis_that_looks_like_nm_in_a_manifest_is_told_its_rows_laser_column(library, tmp_path):
    _unnamed_nm_jcamp(tmp_path / "export.jdx")
    manifest = tmp_path / "batch.csv"
    manifest.write_text("file,name,licence\nexport.jdx,Omegaine,MIT\n")
    with pytest.raises(LibraryError) as refused:
        curation.import_spectra([], library, manifest=manifest)
    # --laser-nm would state the line of every row of the batch
    assert (
        f"({tmp_path / 'export.jdx'}: axis 798-1048: looks like a wavelength in nm, not a "
        "Raman shift in cm-1 (if it is, give the laser line it was measured with in the laser_nm "
        "column of batch.csv line 2 and import it again: its axis is then read in nm and "
        "converted to Raman shift): not imported)"
    ) in str(refused.value)
    manifest.write_text("file,name,licence,laser_nm\nexport.jdx,Omegaine,MIT,785\n")
    done = curation.import_spectra([], library, manifest=manifest)
    assert [row["name"] for row in done.imported] == ["Omegaine"]


def test_validate_tells_a_reference_in_nm_the_import_that_reads_it(library):
    # a measured reference listed by hand, exported against the scattered light's wavelength:
    # validate said "(convert with Spectrum.from_wavelength)", a Python call
    file = _unnamed_nm_jcamp(library / "raman" / "omegaine-raman.jdx")
    rows = curation.read_manifest(library / "manifest.csv")
    rows.append(
        {
            "id": "omegaine-raman",
            "file": "raman/omegaine-raman.jdx",
            "name": "Omegaine",
            "cas": "64-17-5",
            "class": "test substance",
            "modality": "raman",
            "provenance": "measured",
            "source": "test export",
            "licence": "MIT",
            "added_by": "A. Chemist",
            "added_at": "2026-11-24",
        }
    )
    curation.write_manifest(library / "manifest.csv", rows)
    validated = CliRunner().invoke(main, ["library", "validate", str(library)])
    assert validated.exit_code == 1, validated.output
    (line,) = [t.strip() for t in validated.stdout.splitlines() if "Omegaine): axis 798-1048:" in t]
    assert line == (
        "omegaine-raman (Omegaine): axis 798-1048: looks like a wavelength in nm, not a Raman "
        "shift in cm-1 (if it is, import it again with `forensic library import "
        f"{file} --library {library} --name Omegaine --id omegaine-raman --source 'test export' "
        "--licence MIT --laser-nm NM --force`, the laser line it was measured with in place of "
        "NM: its axis is then read in nm and converted to Raman shift)"
    )
    # pasted with the laser line in place of NM, it reads the axis and validate passes it
    pasted = shlex.split(re.search(r"`forensic (.*)`", line).group(1))
    done = CliRunner().invoke(main, [str(LASER) if word == "NM" else word for word in pasted])
    assert done.exit_code == 0, done.output
    again = CliRunner().invoke(main, ["library", "validate", str(library)])
    assert "Omegaine): axis" not in again.stdout  # nor the axis gate: 200-1800 cm-1
    assert "PASS  units" in again.stdout


def test_an_axis_that_looks_like_um_is_told_to_be_exported_against_raman_shift(library, tmp_path):
    # it said "(export the spectrum against Raman shift in cm-1, or multiply wavelengths in µm
    # by 1000 and convert the nm with Spectrum.from_wavelength)": half of it a Python call
    spectrum = synthetic_spectrum(0, seed=60)
    um = 1e4 / (1e7 / LASER - spectrum.wavenumber)
    raw = _jcamp_without_xunits(
        tmp_path / "um.jdx",
        um,
        spectrum.intensity,
        data_type="RAMAN SPECTRUM",
        y_units="ARBITRARY UNITS",
        title="Omegaine",
    )
    command = ["library", "import", str(raw), "--library", str(library), "--licence", "MIT"]
    refused = CliRunner().invoke(main, command)
    assert refused.exit_code == 2, refused.output
    assert refused.stderr.splitlines() == [
        f"error: nothing imported: no spectrum could be imported ({raw}: axis 0.7975-1.048: "
        "ends below 25, which no Raman shift axis in cm-1 does (the bands of substances lie "
        "above 50 cm-1); it may be a wavelength in µm (export the spectrum against Raman shift "
        "in cm-1): not imported)"
    ]
    # a Python caller keeps the advice it can follow in Python
    assert axis_unit_problem(read_spectrum(raw)).endswith(
        "(export the spectrum against Raman shift in cm-1, or multiply wavelengths in µm by "
        "1000 and convert the nm with Spectrum.from_wavelength)"
    )


def test_a_unit_the_file_names_wrongly_is_replaced_only_when_said_and_recorded(library, tmp_path):
    wrong = _mislabelled_ir(tmp_path / "atr.jdx")
    before = _snapshot(library)
    with pytest.raises(
        LibraryError,
        match=r"atr.jdx: the file names its intensity unit, absorbance; y_unit=\.\.\. states "
        r"percent_transmittance: if the file's header is wrong .*\(override_file=True\).*nothing "
        r"was written",
    ):
        curation.import_spectra(
            [wrong], library, name="Omegaine", licence="MIT", y_unit="percent_transmittance"
        )
    assert _snapshot(library) == before
    done = curation.import_spectra(
        [wrong],
        library,
        name="Omegaine",
        licence="MIT",
        y_unit="percent_transmittance",
        override_file=True,
        added_by="A. Chemist",
        today="2026-11-24",
    )
    written = read_spectrum(library / done.imported[0]["file"])
    assert written.y_unit == "percent_transmittance"
    step = written.history[-1]
    assert (step.name, dict(step.params)) == (
        "set_y_unit",
        {"y_unit": "percent_transmittance", "was": "absorbance", "over_file_unit": True},
    )
    assert written.metadata["y_unit_basis"] == (
        "stated at import by A. Chemist over the file's absorbance"
    )
    assert written.metadata["stated_at_import"] == (
        "intensity unit percent_transmittance over the file's absorbance (stated by A. "
        "Chemist, 2026-11-24)"
    )
    # the instrument's file stays the origin: it was not edited to correct it
    assert written.metadata["imported_file"] == str(wrong.resolve())


def test_a_batch_states_units_and_laser_lines_in_manifest_columns(library, tmp_path):
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    _nm_file(incoming / "a.csv", 0)
    _mislabelled_ir(incoming / "b.jdx")
    manifest = incoming / "batch.csv"
    manifest.write_text(
        "file,name,licence,y_unit,laser_nm\n"
        "a.csv,Omegaine,MIT,,785\n"
        "b.jdx,Kappaine,MIT,percent_transmittance,\n"
    )
    before = _snapshot(library)
    with pytest.raises(LibraryError) as refused:
        curation.import_spectra([], library, manifest=manifest)
    assert str(refused.value).startswith(
        "not imported: b.jdx (batch.csv line 3): the file names its intensity unit, "
        "absorbance; the y_unit column states percent_transmittance: if the file's header is "
        "wrong"
    )
    assert _snapshot(library) == before
    done = curation.import_spectra([], library, manifest=manifest, override_file=True)
    stated = {
        r["name"]: read_spectrum(library / r["file"]).metadata["stated_at_import"]
        for r in done.imported
    }
    assert stated["Omegaine"].startswith("laser wavelength 785 nm (the file names none)")
    assert stated["Kappaine"].startswith("intensity unit percent_transmittance over the file's")
    # a cell that is no unit or no laser line is refused with its line, nothing written
    manifest.write_text("file,name,y_unit,laser_nm\na.csv,Omegaine,percent,\nb.jdx,K,,78.5\n")
    before = _snapshot(library)
    with pytest.raises(
        LibraryError,
        match=r"line 2: y_unit 'percent' is not one of absorbance, transmittance, "
        r"percent_transmittance; line 3: laser_nm '78.5' is not a laser wavelength",
    ):
        curation.import_spectra([], library, manifest=manifest)
    assert _snapshot(library) == before


def test_a_build_manifest_has_no_stated_columns(library):
    build = library / "build.csv"
    build.write_text("file,name,y_unit\nraman/alphaine-raman.jdx,Alphaine,absorbance\n")
    with pytest.raises(LibraryError, match=r"'y_unit': a column of an import's manifest"):
        Library.from_folder(library, build, calibrate=False, workers=1)


def test_publish_lists_what_was_stated_over_a_file(library, tmp_path):
    curation.publish_library(library, approved_by="Dr. A. Chemist", today="2026-11-22")
    curation.import_spectra(
        [_nm_file(tmp_path / "export.csv", 0)],
        library,
        name="Alphaine",
        source="bench Raman",
        licence="MIT",
        laser_nm=LASER,
        added_by="A. Chemist",
        today="2026-11-24",
        force=True,
    )
    second = curation.publish_library(library, approved_by="B. Reviewer", today="2026-11-24")
    assert (
        "stated over the file: '' -> 'laser wavelength 785 nm (the file names none) (stated by "
        "A. Chemist, 2026-11-24)'" in second.changelog_entry
    )


def test_import_help_lists_the_columns_and_where_a_file_is_looked_for():
    shown = CliRunner().invoke(main, ["library", "import", "--help"], terminal_width=200)
    text = " ".join(shown.output.split())
    for word in ("licence", "waivers", "y_unit", "laser_nm", "--laser-nm", "--override-file"):
        assert word in text
    assert "relative to the CSV's folder" in text


def test_show_on_a_compiled_library_says_what_to_give(library, tmp_path):
    flib = tmp_path / "v1.flib"
    flib.write_bytes(b"x")
    shown = CliRunner().invoke(main, ["library", "show", "Alphaine", "--library", str(flib)])
    assert shown.exit_code == 2
    assert "is a file" not in shown.output.replace("a file (a compiled", "")
    assert "give the library folder it was built from" in shown.output
