"""``forensic inspect``, ``convert`` and ``plot``: output, bad input, and never overwriting."""

from __future__ import annotations

import hashlib
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from library_helpers import make_library
from synthetic import co2_doublet, make_spectrum

from forensic.cli import main
from forensic.io import read_spectra, read_spectrum, write_spectrum

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def raman_csv(tmp_path) -> Path:
    spectrum = make_spectrum(name="polystyrene-like", y_unit="counts", noise=0.01)
    return write_spectrum(spectrum, tmp_path / "raman.csv")


@pytest.fixture
def ir_csv(tmp_path) -> Path:
    spectrum = make_spectrum(
        [(1730.0, 1.0, 12.0), (2950.0, 0.4, 30.0)],
        start=600.0,
        stop=4000.0,
        step=2.0,
        modality="ir",
        y_unit="absorbance",
        name="ester-like",
    )
    return write_spectrum(spectrum, tmp_path / "ir.csv")


@pytest.fixture
def prose(tmp_path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("Exhibit 12 was received sealed.\nNo spectrum here.\n")
    return path


def _one_line_errors(stderr: str) -> list[str]:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert all(line.startswith("error: ") for line in lines), stderr
    assert "Traceback" not in stderr
    return lines


# -- inspect ---------------------------------------------------------------------------------------


def test_inspect_json_one_file_is_one_document(runner, raman_csv):
    result = runner.invoke(main, ["inspect", str(raman_csv), "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert info["file"] == str(raman_csv)
    assert info["format"] == "text"
    assert info["sha256"] == hashlib.sha256(raman_csv.read_bytes()).hexdigest()
    (entry,) = info["spectra"]
    assert entry["name"] == "polystyrene-like"
    assert (entry["modality"], entry["y_unit"], entry["points"]) == ("raman", "counts", 3001)
    assert entry["wavenumber_min_cm1"] == 200.0 and entry["wavenumber_max_cm1"] == 3200.0
    assert entry["metadata"]["source_sha256"] == info["sha256"]


def test_inspect_json_several_files_one_object_per_line(runner, raman_csv, ir_csv):
    result = runner.invoke(main, ["inspect", "--json", str(raman_csv), str(ir_csv)])
    assert result.exit_code == 0
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["spectra"][0]["modality"] for o in objects] == ["raman", "ir"]


def test_inspect_human_output(runner, ir_csv):
    result = runner.invoke(main, ["inspect", str(ir_csv)])
    assert result.exit_code == 0
    out = result.stdout
    assert "format     text" in out
    assert "modality   ir" in out
    assert "600.00 to 4000.00 cm⁻¹, 1701 points" in out
    assert "y unit     absorbance" in out
    assert "x the noise, not clipped" in out
    assert hashlib.sha256(ir_csv.read_bytes()).hexdigest() in out


def test_inspect_shows_signal_to_noise_and_clipping(runner, tmp_path):
    spectrum = make_spectrum(y_unit="counts", noise=0.01)
    y = np.asarray(spectrum.intensity)
    clipped = write_spectrum(
        spectrum.replace(intensity=np.minimum(y, 0.7 * y.max())), tmp_path / "clipped.csv"
    )
    out = runner.invoke(main, ["inspect", str(clipped)]).stdout
    (line,) = [t for t in out.splitlines() if t.strip().startswith("signal")]
    assert "x the noise" in line and "CLIPPED:" in line
    entry = json.loads(runner.invoke(main, ["inspect", str(clipped), "--json"]).stdout)
    (described,) = entry["spectra"]
    assert described["signal_to_noise"] > 30 and described["clipped_points"] >= 3


def test_inspect_shows_an_axis_in_nm(runner, raman_csv, tmp_path):
    # it said "(convert with Spectrum.from_wavelength)": a Python call, at the command line
    assert "AXIS" not in runner.invoke(main, ["inspect", str(raman_csv)]).stdout
    in_nm = write_spectrum(
        make_spectrum([(830, 1.0, 2)], start=790, stop=1000, step=0.2), tmp_path / "nm.csv"
    )
    out = runner.invoke(main, ["inspect", str(in_nm)]).stdout
    (line,) = [t for t in out.splitlines() if t.strip().startswith("AXIS")]
    said = (
        "axis 790-1000: looks like a wavelength in nm, not a Raman shift in cm-1 (if it is, "
        "export it against Raman shift in cm-1, or import it as a reference with `forensic "
        f"library import {in_nm} --laser-nm NM --library` followed by the library folder, the "
        "laser line it was measured with in place of NM: its axis is then read in nm and "
        "converted to Raman shift)"
    )
    assert line == f"    AXIS       {said}"
    (described,) = json.loads(runner.invoke(main, ["inspect", str(in_nm), "--json"]).stdout)[
        "spectra"
    ]
    assert described["axis_problem"] == said


def test_inspect_tells_an_axis_in_nm_the_import_that_reads_it_with_the_file_s_laser(
    runner, tmp_path
):
    # a JCAMP-DX export that names its laser line but not its axis unit: read as cm-1, the
    # axis is the scattered light's wavelength
    shift = np.arange(200.0, 1800.0, 1.0)
    y = (
        0.1
        + np.exp(-0.5 * ((shift - 1000) / 5) ** 2)
        + 0.5 * np.exp(-0.5 * ((shift - 1450) / 7) ** 2)
    )
    nm = 1e7 / (1e7 / 785.0 - shift)
    export = tmp_path / "export.jdx"
    export.write_text(
        "##TITLE=Omegaine\n##JCAMP-DX=4.24\n##DATA TYPE=RAMAN SPECTRUM\n"
        "##YUNITS=ARBITRARY UNITS\n##LASER WAVELENGTH=785\n##XYPOINTS=(XY..XY)\n"
        + "".join(f"{a:.5f}, {b:.6f}\n" for a, b in zip(nm, y, strict=True))
        + "##END=\n"
    )
    out = runner.invoke(main, ["inspect", str(export)]).stdout
    (line,) = [t for t in out.splitlines() if t.strip().startswith("AXIS")]
    assert line == (
        "    AXIS       axis 798-914: looks like a wavelength in nm, not a Raman shift in cm-1 "
        "(if it is, export it against Raman shift in cm-1, or import it as a reference with "
        f"`forensic library import {export} --laser-nm 785 --library` followed by the library "
        "folder: its axis is then read in nm and converted to Raman shift)"
    )
    # pasted, followed by a library folder, it does what it says
    pasted = shlex.split(re.search(r"`forensic (.*)`", line).group(1))
    folder = make_library(tmp_path / "lib")
    done = runner.invoke(main, [*pasted, str(folder)])
    assert done.exit_code == 0, done.output
    assert "imported raman/omegaine-raman.jdx: Omegaine (raman, id omegaine-raman)" in done.stdout
    reference = read_spectrum(folder / "raman" / "omegaine-raman.jdx")
    assert reference.wavenumber[0] == pytest.approx(200.0, abs=0.01)
    assert "AXIS" not in runner.invoke(main, ["inspect", str(folder / "raman")]).stdout


def test_inspect_shows_the_co2_doublet_of_a_stale_background(runner, ir_csv, tmp_path):
    assert "CO2" not in runner.invoke(main, ["inspect", str(ir_csv)]).stdout
    spectrum = make_spectrum(
        [(760, 0.8, 14), (1180, 1.0, 18)],
        start=600,
        stop=4000,
        modality="ir",
        y_unit="absorbance",
        noise=0.002,
    )
    doublet = co2_doublet(spectrum.wavenumber, 0.3)
    stale = write_spectrum(
        spectrum.replace(intensity=spectrum.intensity + doublet), tmp_path / "stale.csv"
    )
    out = runner.invoke(main, ["inspect", str(stale)]).stdout
    (line,) = [t for t in out.splitlines() if t.strip().startswith("CO2")]
    assert "doublet at 2338/2361 cm⁻¹" in line and "fresh one" in line
    (described,) = json.loads(runner.invoke(main, ["inspect", str(stale), "--json"]).stdout)[
        "spectra"
    ]
    assert described["atmospheric_co2"]["fraction"] > 0.2
    (clean,) = json.loads(runner.invoke(main, ["inspect", str(ir_csv), "--json"]).stdout)["spectra"]
    assert clean["atmospheric_co2"] is None


def test_inspect_reports_each_bad_file_and_exits_2(runner, raman_csv, prose, tmp_path):
    missing = tmp_path / "missing.spc"
    result = runner.invoke(main, ["inspect", str(prose), str(raman_csv), str(missing), "--json"])
    assert result.exit_code == 2
    errors = _one_line_errors(result.stderr)
    assert len(errors) == 2
    assert str(prose) in errors[0] and "line 1" in errors[0] and "not a spectrum" in errors[0]
    assert str(missing) in errors[1] and "no such file" in errors[1]
    (good,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert good["file"] == str(raman_csv)


def test_inspect_names_the_offending_line(runner, tmp_path):
    path = tmp_path / "broken.csv"
    rows = [f"{200 + i},{i % 7}" for i in range(40)]
    rows[30] = "230,NaN"
    path.write_text("\n".join(rows))
    result = runner.invoke(main, ["inspect", str(path)])
    assert result.exit_code == 2
    (error,) = _one_line_errors(result.stderr)
    expected = "line 31: not a number ('NaN') in column 2: a spectrum must be finite numbers"
    assert error == f"error: {path}: {expected}"


def test_inspect_says_an_axis_unit_the_file_does_not_name_was_assumed(runner, tmp_path):
    # a JCAMP-DX file without ##XUNITS=: its axis was shown as cm-1 like any other
    table = "".join(f"{400 + 2 * i}, {0.1 + 0.5 * (i == 20):.2f}\n" for i in range(40))
    path = tmp_path / "unlabelled.jdx"
    path.write_text(
        "##TITLE=unlabelled\n##JCAMP-DX=4.24\n##DATA TYPE=INFRARED SPECTRUM\n"
        f"##YUNITS=ABSORBANCE\n##XYPOINTS=(XY..XY)\n{table}##END=\n"
    )
    result = runner.invoke(main, ["inspect", str(path)])
    assert result.exit_code == 0, result.output
    assert (
        "    axis       400.00 to 478.00 cm⁻¹ (assumed: no ##XUNITS= in the file), 40 points"
    ) in result.output.splitlines()
    assert "other keys" not in result.output  # said on the axis line, not again as a key
    shown = json.loads(runner.invoke(main, ["inspect", str(path), "--json"]).output)
    basis = shown["spectra"][0]["metadata"]["axis_unit_basis"]
    assert basis == "assumed: no ##XUNITS= in the file"


def test_inspect_binary_garbage_and_empty(runner, tmp_path):
    garbage = tmp_path / "garbage.spc"
    garbage.write_bytes(bytes(range(256)) * 16)
    empty = tmp_path / "empty.jdx"
    empty.write_bytes(b"")
    result = runner.invoke(main, ["inspect", str(garbage), str(empty)])
    assert result.exit_code == 2
    errors = _one_line_errors(result.stderr)
    assert len(errors) == 2
    assert str(garbage) in errors[0] and str(empty) in errors[1]
    assert "empty" in errors[1]


def test_inspect_a_reader_bug_is_still_one_line(runner, raman_csv, monkeypatch):
    def broken(path):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr("forensic.cli.files.read_spectra", broken)
    result = runner.invoke(main, ["inspect", str(raman_csv)])
    assert result.exit_code == 2
    (error,) = _one_line_errors(result.stderr)
    assert "unexpected ZeroDivisionError" in error and str(raman_csv) in error


# -- convert ---------------------------------------------------------------------------------------


def test_convert_to_csv_round_trips(runner, ir_csv, tmp_path):
    out = tmp_path / "copy.csv"
    result = runner.invoke(main, ["convert", str(ir_csv), str(out)])
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.stdout
    a, b = read_spectrum(ir_csv), read_spectrum(out)
    np.testing.assert_array_equal(a.wavenumber, b.wavenumber)
    np.testing.assert_array_equal(a.intensity, b.intensity)
    assert (b.modality, b.y_unit, b.name) == ("ir", "absorbance", "ester-like")


def test_convert_to_jcamp(runner, raman_csv, tmp_path):
    out = tmp_path / "copy.jdx"
    result = runner.invoke(main, ["convert", str(raman_csv), str(out)])
    assert result.exit_code == 0, result.output
    back = read_spectrum(out)
    original = read_spectrum(raman_csv)
    assert back.metadata["source_format"] == "jcamp"
    assert (back.modality, len(back)) == ("raman", len(original))
    np.testing.assert_allclose(back.wavenumber, original.wavenumber, rtol=1e-9)
    np.testing.assert_allclose(back.intensity, original.intensity, rtol=1e-6, atol=1e-9)


def test_convert_never_overwrites_without_force(runner, raman_csv, ir_csv, tmp_path):
    out = tmp_path / "taken.csv"
    out.write_text("precious\n")
    result = runner.invoke(main, ["convert", str(raman_csv), str(out)])
    assert result.exit_code == 2
    (error,) = _one_line_errors(result.stderr)
    assert str(out) in error and "--force" in error
    assert out.read_text() == "precious\n"
    result = runner.invoke(main, ["convert", str(raman_csv), str(out), "--force"])
    assert result.exit_code == 0
    assert read_spectrum(out).name == "polystyrene-like"


def test_convert_bad_input_writes_nothing(runner, prose, tmp_path):
    out = tmp_path / "never.csv"
    result = runner.invoke(main, ["convert", str(prose), str(out)])
    assert result.exit_code == 2
    (error,) = _one_line_errors(result.stderr)
    assert str(prose) in error and "line" in error
    assert not out.exists()
    assert list(tmp_path.glob(".never.csv*")) == []  # no half-written temporary left behind


def test_convert_unknown_extension(runner, raman_csv, tmp_path):
    result = runner.invoke(main, ["convert", str(raman_csv), str(tmp_path / "x.xlsx")])
    assert result.exit_code == 2
    (error,) = _one_line_errors(result.stderr)
    assert ".jdx, .dx or .csv" in error


def test_convert_says_an_extension_it_cannot_write_before_that_the_target_exists(
    runner, raman_csv, tmp_path
):
    # an existing x.txt was refused as existing ("use --force"), then, forced, by its extension
    out = tmp_path / "x.txt"
    out.write_text("precious\n")
    for force in ([], ["--force"]):
        result = runner.invoke(main, ["convert", str(raman_csv), str(out), *force])
        assert result.exit_code == 2
        (error,) = _one_line_errors(result.stderr)
        assert "cannot choose a writer for extension '.txt'" in error and "--force" not in error
    assert out.read_text() == "precious\n"


def test_convert_chooses_one_of_several_spectra(runner, tmp_path):
    table = tmp_path / "samples.csv"
    x = np.arange(200.0, 400.0)
    table.write_text(
        "raman_shift_cm-1,fructose,lactose\n"
        + "\n".join(f"{a},{np.sin(a / 9):.4f},{np.cos(a / 7):.4f}" for a in x)
    )
    out = tmp_path / "one.csv"
    result = runner.invoke(main, ["convert", str(table), str(out)])
    assert result.exit_code == 2
    assert "--spectrum 1..2" in result.stderr
    result = runner.invoke(main, ["convert", str(table), str(out), "--spectrum", "2"])
    assert result.exit_code == 0, result.output
    assert read_spectrum(out).name == "lactose"


# -- plot ------------------------------------------------------------------------------------------


def test_plot_overlays_and_writes_png(runner, raman_csv, tmp_path):
    other = write_spectrum(make_spectrum(seed=3, name="second"), tmp_path / "b.csv")
    out = tmp_path / "overlay.png"
    result = runner.invoke(main, ["plot", str(raman_csv), str(other), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(PNG_MAGIC)
    assert "2 spectra" in result.stdout


def test_plot_axis_labels(monkeypatch, raman_csv, ir_csv):
    from forensic.cli import files  # noqa: PLC0415

    seen = {}

    def spy(labelled, **kwargs):
        from matplotlib.figure import Figure  # noqa: PLC0415

        original = Figure.savefig

        def capture(self, *args, **kw):
            seen["panels"] = [
                (
                    axes.get_xlabel(),
                    [t.get_text() for t in axes.get_legend().get_texts()],
                    axes.xaxis_inverted(),
                )
                for axes in self.axes
            ]
            return original(self, *args, **kw)

        monkeypatch.setattr(Figure, "savefig", capture)
        return real(labelled, **kwargs)

    real = files._render
    monkeypatch.setattr(files, "_render", spy)
    runner = CliRunner()
    out = raman_csv.parent / "r.png"
    assert runner.invoke(main, ["plot", str(raman_csv), "--out", str(out)]).exit_code == 0
    raman = ("Raman shift (cm⁻¹)", ["polystyrene-like"], False)
    ir = ("Wavenumber (cm⁻¹)", ["ester-like"], True)
    assert seen["panels"] == [raman]
    out = raman_csv.parent / "i.png"
    assert runner.invoke(main, ["plot", str(ir_csv), "--out", str(out)]).exit_code == 0
    assert seen["panels"] == [ir]
    # a Raman shift and an IR wavenumber are not one axis: a panel each, Raman first
    out = raman_csv.parent / "both.png"
    result = runner.invoke(main, ["plot", str(ir_csv), str(raman_csv), "--out", str(out)])
    assert result.exit_code == 0
    assert seen["panels"] == [raman, ir]
    # two files of one name, from two instruments: told apart by their path
    twin = raman_csv.parent / "twin"
    twin.mkdir()
    shutil.copy(raman_csv, twin / raman_csv.name)
    assert (
        runner.invoke(
            main, ["plot", str(raman_csv), str(twin / raman_csv.name), "--out", str(out), "--force"]
        ).exit_code
        == 0
    )
    (legend,) = [p[1] for p in seen["panels"]]
    assert legend == [
        f"polystyrene-like ({raman_csv})",
        f"polystyrene-like ({twin / raman_csv.name})",
    ]


def test_plot_refuses_to_overwrite_and_bad_files_write_nothing(runner, raman_csv, prose, tmp_path):
    out = tmp_path / "plot.png"
    out.write_bytes(b"keep")
    result = runner.invoke(main, ["plot", str(raman_csv), "--out", str(out)])
    assert result.exit_code == 2 and out.read_bytes() == b"keep"
    assert "--force" in result.stderr
    fresh = tmp_path / "fresh.png"
    result = runner.invoke(main, ["plot", str(raman_csv), str(prose), "--out", str(fresh)])
    assert result.exit_code == 2
    errors = _one_line_errors(result.stderr)
    assert str(prose) in errors[0]
    assert not fresh.exists()
    result = runner.invoke(main, ["plot", str(raman_csv), "--out", str(out), "--force"])
    assert result.exit_code == 0 and out.read_bytes().startswith(PNG_MAGIC)


def test_plot_needs_an_image_extension(runner, raman_csv, tmp_path):
    result = runner.invoke(main, ["plot", str(raman_csv), "--out", str(tmp_path / "x.csv")])
    assert result.exit_code == 2
    assert ".png, .svg or .pdf" in result.stderr


# -- the installed command and real files ----------------------------------------------------------


def _console_script() -> str:
    found = Path(sys.executable).with_name("forensic")
    if found.exists():
        return str(found)
    which = shutil.which("forensic")
    if which is None:
        pytest.skip("the forensic console script is not installed in this environment")
    return which


def test_installed_console_script(raman_csv, prose):
    script = _console_script()
    done = subprocess.run(
        [script, "inspect", str(raman_csv), "--json"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["spectra"][0]["points"] == 3001
    assert done.stderr == ""
    done = subprocess.run(
        [script, "inspect", str(prose)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and str(prose) in done.stderr


def test_start_up_leaves_scipy_and_matplotlib_to_the_commands_that_need_them():
    # every command (and --help) imports forensic.cli; SciPy and matplotlib took ~2 s of it
    heavy = ("matplotlib", "scipy", "pyteomics")
    code = f"import sys, forensic.cli; print([m for m in {heavy!r} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_inspect_real_text_files(runner, shared_data):
    files = sorted((shared_data / "formats" / "text").iterdir())
    result = runner.invoke(main, ["inspect", "--json", *map(str, files)])
    assert result.exit_code == 0, result.stderr
    infos = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(infos) == len(files)
    bwtek = next(i for i in infos if i["file"].endswith("BWTEK_PST10_iR532.txt"))
    entry = bwtek["spectra"][0]
    assert entry["metadata"]["laser_wavelength_nm"] == pytest.approx(532.02)
    assert entry["points"] == 1801


def test_convert_real_file_to_csv_and_back(runner, shared_data, tmp_path):
    source = shared_data / "substances" / "paracetamol_raman_renishaw.txt"
    out = tmp_path / "paracetamol.csv"
    assert runner.invoke(main, ["convert", str(source), str(out)]).exit_code == 0
    (a,), (b,) = read_spectra(source), read_spectra(out)
    np.testing.assert_array_equal(a.wavenumber, b.wavenumber)
    np.testing.assert_array_equal(a.intensity, b.intensity)
    assert [s.name for s in b.history] == ["merge_repeated_wavenumbers"]


def test_convert_over_a_file_that_exists_is_told_the_option_that_replaces_it(
    runner, raman_csv, tmp_path
):
    out = tmp_path / "x.jdx"
    out.write_text("precious\n")
    result = runner.invoke(main, ["convert", str(raman_csv), str(out)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {out}: already exists; not overwritten (use --force to replace it)\n"
    )
    assert out.read_text() == "precious\n"
