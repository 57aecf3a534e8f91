"""The library build and identify commands: JSON contract, table, bad files, exit codes."""

from __future__ import annotations

import json
import re
import warnings

import numpy as np
import pytest
from click.testing import CliRunner
from synthetic import make_spectrum

from forensic.cli import main
from forensic.io import write_spectrum
from forensic.library import Library

BAND_SETS = {
    "caffeine": [(555.0, 0.6, 8.0), (1330.0, 1.0, 8.0), (1700.0, 0.4, 10.0)],
    "cocaine": [(870.0, 0.5, 8.0), (1005.0, 1.0, 6.0), (1600.0, 0.4, 8.0), (1715.0, 0.3, 10.0)],
    "lidocaine": [(650.0, 0.4, 8.0), (1040.0, 0.5, 8.0), (1270.0, 0.9, 8.0), (1450.0, 0.7, 10.0)],
    "sucrose": [(420.0, 0.5, 10.0), (840.0, 1.0, 8.0), (1130.0, 0.6, 10.0)],
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    refs = root / "refs"
    refs.mkdir()
    for i, (name, bands) in enumerate(BAND_SETS.items()):
        write_spectrum(make_spectrum(bands, name=name, seed=i, noise=0.004), refs / f"{i}.jdx")
    (refs / "garbage.jdx").write_bytes(b"\x00\x01 not a spectrum")
    queries = root / "queries"
    queries.mkdir()
    for name in ("cocaine", "sucrose"):
        spectrum = make_spectrum(BAND_SETS[name], noise=0.01, baseline=2.0, seed=7)
        write_spectrum(spectrum, queries / f"{name}.jdx")
    (queries / "broken.jdx").write_text("##TITLE=x\n##END=\n")
    lib = root / "lib.flib"
    result = CliRunner().invoke(main, ["library", "build", str(refs), "--out", str(lib)])
    return root, lib, queries, result


def test_library_build_lists_skipped_files_and_prints_the_version(built):
    root, lib, _, result = built
    assert result.exit_code == 0, result.output
    assert lib.exists()
    assert "4 references (4 raman), 1 skipped" in result.output
    (skip,) = [line for line in result.output.splitlines() if line.startswith("skipped")]
    assert skip.count("garbage.jdx") == 1, skip
    assert "version " in result.output
    again = CliRunner().invoke(main, ["library", "build", str(root / "refs"), "--out", str(lib)])
    assert again.exit_code == 2
    assert "already exists" in again.output
    forced = CliRunner().invoke(
        main, ["library", "build", str(root / "refs"), "--out", str(lib), "--force"]
    )
    assert forced.exit_code == 0
    assert forced.output.splitlines()[-1] == result.output.splitlines()[-1]  # same version


def test_library_build_names_and_dates_the_library_outside_its_version(built, tmp_path):
    """What a report prints of the library searched (print review, finding 8)."""
    root, lib, _, result = built
    assert Library.load(lib).name == "lib"  # the file's name, without .flib
    assert re.search(r"^name 'lib', built \d{4}-\d{2}-\d{2}T[\d:]{8}Z$", result.stdout, re.M)
    named = tmp_path / "named.flib"
    build = ["library", "build", str(root / "refs"), "--no-calibration"]
    done = CliRunner().invoke(
        main,
        [*build, "--out", str(named), "--name", "Lab Raman 2026", "--built-at", "2026-11-20"],
    )
    assert done.exit_code == 0, done.output
    loaded = Library.load(named)
    assert (loaded.name, loaded.built_at) == ("Lab Raman 2026", "2026-11-20")
    assert loaded.version == Library.load(lib).version  # the same references: one version
    refused = CliRunner().invoke(
        main, [*build, "--out", str(tmp_path / "x.flib"), "--built-at", "2026-11-20T10:00"]
    )
    assert refused.exit_code == 2 and not (tmp_path / "x.flib").exists()
    assert "error: --built-at '2026-11-20T10:00' has no time zone" in refused.stderr


def test_library_build_skips_a_reference_in_nm_as_library_import_refuses_it(tmp_path):
    refs = tmp_path / "refs"
    refs.mkdir()
    for i, (name, bands) in enumerate(BAND_SETS.items()):
        write_spectrum(make_spectrum(bands, name=name, seed=i, noise=0.004), refs / f"{i}.jdx")
    # a 785 nm instrument's export against wavelength: 790-1056 "cm-1" was built in
    in_nm = make_spectrum([(830, 1.0, 2), (870, 0.6, 2)], start=790, stop=1056, step=0.2)
    write_spectrum(in_nm.with_metadata(name="ketamine"), refs / "nm.jdx")
    lib = tmp_path / "lib.flib"
    result = CliRunner().invoke(
        main, ["library", "build", str(refs), "--out", str(lib), "--no-calibration"]
    )
    assert result.exit_code == 0, result.output
    (skip,) = [line for line in result.stderr.splitlines() if line.startswith("skipped")]
    # it said "(convert with Spectrum.from_wavelength)": a Python call, at the command line
    assert skip == (
        f"skipped {refs / 'nm.jdx'}: axis 790-1056: looks like a wavelength in nm, not a Raman "
        "shift in cm-1 (if it is, import it into a library folder with `forensic library "
        f"import {refs / 'nm.jdx'} --laser-nm NM --library` followed by the library folder, the "
        "laser line it was measured with in place of NM, and build from that folder: its axis "
        "is then read in nm and converted to Raman shift): not built into the library"
    )
    assert "4 references (4 raman), 1 skipped" in result.stdout
    # every reference in nm: the refusal says the same of each
    only = tmp_path / "only-nm"
    only.mkdir()
    write_spectrum(in_nm.with_metadata(name="ketamine"), only / "nm.jdx")
    command = ["library", "build", str(only), "--out", str(tmp_path / "no.flib")]
    refused = CliRunner().invoke(main, [*command, "--no-calibration"])
    assert refused.exit_code == 2 and not (tmp_path / "no.flib").exists()
    assert refused.stderr.splitlines() == [
        f"error: no reference could be read and preprocessed ({only / 'nm.jdx'}: axis "
        "790-1056: looks like a wavelength in nm, not a Raman shift in cm-1 (if it is, import "
        f"it into a library folder with `forensic library import {only / 'nm.jdx'} --laser-nm NM "
        "--library` followed by the library folder, the laser line it was measured with in "
        "place of NM, and build from that folder: its axis is then read in nm and converted to "
        "Raman shift): not built into the library)"
    ]


def test_library_build_skips_an_ir_reference_in_reflectance_as_library_import_refuses_it(
    tmp_path,
):
    refs = tmp_path / "refs"
    refs.mkdir()
    for i, (name, bands) in enumerate(BAND_SETS.items()):
        ir = make_spectrum(bands, name=name, seed=i, start=600, stop=4000, modality="ir")
        write_spectrum(ir.replace(y_unit="absorbance"), refs / f"{i}.jdx")
    # bands as dips in reflectance: only transmittance is turned into absorbance
    reflectance = make_spectrum([(1700, 1.0, 8)], start=600, stop=4000, modality="ir")
    reflectance = reflectance.replace(y_unit="reflectance")
    write_spectrum(reflectance.with_metadata(name="cocaine"), refs / "r.jdx")
    lib = tmp_path / "lib.flib"
    result = CliRunner().invoke(
        main, ["library", "build", str(refs), "--out", str(lib), "--no-calibration"]
    )
    assert result.exit_code == 0, result.output
    (skip,) = [line for line in result.stderr.splitlines() if line.startswith("skipped")]
    assert "r.jdx: IR intensities in reflectance" in skip, skip
    assert skip.endswith("not built into the library")
    assert "4 references (4 ir), 1 skipped" in result.stdout, result.stdout


def test_library_build_notes_ir_references_whose_unit_was_guessed(tmp_path):
    refs = tmp_path / "refs"
    refs.mkdir()
    axis = np.arange(600.0, 3800.0, 2.0)
    rng = np.random.default_rng(3)
    for k, centre in enumerate((1000.0, 1450.0, 1700.0)):
        dip = 1.0 - 0.5 * np.exp(-(((axis - centre) / 12.0) ** 2))  # no unit named: a guess
        dip *= 1.0 - 0.3 * np.exp(-(((axis - 2900.0) / 20.0) ** 2))
        dip += rng.normal(0.0, 0.002, axis.size)
        (refs / f"mineral{k}.txt").write_text(
            "\n".join(f"{x:.1f} {y:.5f}" for x, y in zip(axis, dip, strict=True))
        )
    lib = tmp_path / "ir.flib"
    result = CliRunner().invoke(
        main,
        ["library", "build", str(refs), "--out", str(lib), "--no-calibration"],
    )
    assert result.exit_code == 0, result.output
    assert "note: 3 IR reference(s) do not name their intensity unit" in result.output
    assert "transmittance (3)" in result.output


def test_identify_json_one_object_per_file(built):
    _, lib, queries, _ = built
    files = [str(queries / "cocaine.jdx"), str(queries / "sucrose.jdx")]
    result = CliRunner().invoke(main, ["identify", *files, "--library", str(lib), "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert [line["file"] for line in lines] == files
    for line, name in zip(lines, ("cocaine", "sucrose"), strict=True):
        assert line["verdict"] in ("identified", "inconclusive", "no_match")
        assert line["hits"][0]["name"] == name
        for hit in line["hits"]:
            assert {"name", "score", "q_value", "rank"} <= set(hit)
        assert line["mixture"] is None or all(
            {"name", "fraction"} <= set(c) for c in line["mixture"]
        )
        assert len(line["library_version"]) == 64
        assert "query" not in line  # arrays stay out of the one-line records


def test_identify_table_is_readable(built):
    _, lib, queries, _ = built
    result = CliRunner().invoke(
        main, ["identify", str(queries / "cocaine.jdx"), "--library", str(lib), "--top", "3"]
    )
    assert result.exit_code == 0, result.output
    assert "cocaine" in result.output
    assert "score" in result.output and "q-value" in result.output
    rows = [line for line in result.output.splitlines() if line.strip()[:2].strip().isdigit()]
    assert len(rows) == 3


def test_the_key_to_scores_is_said_once_after_every_file_s_table(built):
    _, lib, queries, _ = built
    files = [str(queries / "cocaine.jdx"), str(queries / "sucrose.jdx")]
    result = CliRunner().invoke(main, ["identify", *files, "--library", str(lib)])
    assert result.exit_code == 0, result.output
    key = "(score: similarity to the reference, 1 = identical; q-value: the estimated share"
    assert [line.startswith(key) for line in result.output.splitlines()].count(True) == 1
    assert result.output.splitlines()[-1].startswith(key)


def test_the_table_names_the_library_and_its_standing_once_before_the_results(built):
    _, lib, queries, _ = built
    files = [str(queries / "cocaine.jdx"), str(queries / "sucrose.jdx")]
    table = CliRunner().invoke(main, ["identify", *files, "--library", str(lib)])
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    named = [line for line in lines if line.startswith("library:")]
    # built by `library build`, not published: its build date, and that it is not published
    assert named == [lines[0]]
    assert re.fullmatch(r"library: .+, built \d{4}-\d{2}-\d{2}, not a published version", lines[0])
    assert lines[2].startswith(files[0])
    as_json = CliRunner().invoke(main, ["identify", *files, "--library", str(lib), "--json"])
    assert as_json.exit_code == 0, as_json.output
    assert not [line for line in as_json.output.splitlines() if line.startswith("library:")]


def test_the_shipped_library_is_named_as_the_toolkit_published_it(built):
    import forensic  # noqa: PLC0415
    from spectral_library import LIBRARY_NAME, LIBRARY_PUBLISHED  # noqa: PLC0415

    _, _, queries, _ = built
    result = CliRunner().invoke(main, ["identify", str(queries / "cocaine.jdx")])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (  # "compiling ..." on a first run is stderr's
        f"library: {LIBRARY_NAME}, published {LIBRARY_PUBLISHED} with forensic "
        f"{forensic.__version__}"
    )


def test_a_long_name_is_shown_whole_and_a_field_not_recorded_as_a_dash():
    """The substance column cut "alpha-PVP hydrochloride (modelled)" to "... (modelle", and
    scan's screen, which shows recorded results too, needs the table to take one recorded
    without shifts or peaks."""
    from forensic.cli.result import hits_table  # noqa: PLC0415

    long_name = {
        "rank": 1,
        "name": "Diphenhydramine hydrochloride",
        "score": 0.54,
        "q_value": 0.092,
        "shift_cm1": -0.3,
        "matched_peaks": [[1001.0, 1000.0]],
        "unmatched_peaks": [870.0],
        "provenance": "modelled",
    }
    recorded_early = {"rank": 2, "name": "Cocaine base", "score": 0.5, "q_value": None}
    heading, first, second = hits_table([long_name, recorded_early])
    assert first.split() == [
        "1", "Diphenhydramine", "hydrochloride", "(modelled)", "0.540", "0.092", "-0.3", "1/2"
    ]  # fmt: skip
    assert second.split() == ["2", "Cocaine", "base", "0.500", "-", "-", "-"]
    for column, value in (("score", "0.540"), ("q-value", "0.092"), ("shift", "-0.3")):
        assert heading.index(column) + len(column) == first.index(value) + len(value), column


def _hit_rows(table: str) -> list[str]:
    """The lines of a result's hit table under its heading (each begins with its rank)."""
    lines = table.splitlines()
    (heading,) = [n for n, line in enumerate(lines) if line.split()[:2] == ["#", "substance"]]
    rows = []
    for line in lines[heading + 1 :]:
        if not line.split()[0].isdigit():
            break
        rows.append(line)
    return rows


def test_the_table_shows_q_values_as_the_report_does():
    """A q-value just above Q_IDENTIFIED reads above it, as in the report, not 0.050."""
    from forensic.cli.identify import _table  # noqa: PLC0415
    from forensic.identification import Identification  # noqa: PLC0415

    hit = {
        "rank": 1,
        "name": "cocaine",
        "score": 0.9,
        "q_value": 0.0504,
        "shift_cm1": 0.0,
        "provenance": "measured",
        "matched_peaks": [],
        "unmatched_peaks": [],
    }
    result = Identification(
        verdict="inconclusive",
        hits=[hit, {**hit, "rank": 2, "name": "sucrose", "q_value": 0.0004}],
        modality="raman",
        library_version="0" * 64,
        reasons=["q-value 0.0504 is above 0.05 needed to identify (score 0.900)"],
        pipeline=[],
    )
    table = _table("q.jdx", result, None)
    rows = _hit_rows(table)
    assert rows[0].split()[3] == "0.0504" and "< 0.001" in rows[1]
    # as scan's screen and the report do: an inconclusive verdict names no substance, the
    # references it could not tell apart are said under it, before the table
    headline, measured, closest = table.splitlines()[:3]
    assert headline.startswith("q.jdx: INCONCLUSIVE: no substance identified")
    assert measured == "  measured spectrum"
    assert closest == (
        "  Closest references, not told apart (within 0.02 of each other's score) and not "
        "confirmed: cocaine (score 0.900, q-value 0.0504), sucrose (score 0.900, q-value "
        "< 0.001)."
    )


def test_the_table_never_shows_an_uncalibrated_score_on_the_threshold_it_missed():
    """0.9496, below the 0.95 an uncalibrated identification needs, read 0.950 beside
    INCONCLUSIVE and a reason saying it is below 0.95."""
    from forensic.cli.identify import _table  # noqa: PLC0415
    from forensic.identification import Identification  # noqa: PLC0415

    hit = {
        "rank": 1,
        "name": "cocaine",
        "score": 0.9496,
        "q_value": None,
        "shift_cm1": 0.0,
        "provenance": "measured",
        "matched_peaks": [],
        "unmatched_peaks": [],
    }
    component = {"name": "caffeine", "fraction": 0.3, "score": 0.7996, "q_value": None}
    result = Identification(
        verdict="inconclusive",
        hits=[hit],
        modality="raman",
        library_version="0" * 64,
        reasons=["best score 0.9496 is below 0.95 needed to identify"],
        pipeline=[],
        mixture={"components": [{**component, "verdict": "inconclusive"}], "residual": 0.1},
    )
    table = _table("q.jdx", result, None)
    (row,) = _hit_rows(table)
    assert row.split()[2] == "0.9496"
    (mixture,) = [line for line in table.splitlines() if line.startswith("  mixture (")]
    assert "caffeine 30% (its part scores 0.7996: inconclusive)" in mixture


def test_the_table_names_each_reference_s_provenance():
    """A simulated reference was flagged "(modelled)"."""
    from forensic.cli.identify import _table  # noqa: PLC0415
    from forensic.identification import Identification  # noqa: PLC0415

    hit = {
        "rank": 1,
        "name": "cocaine",
        "score": 0.99,
        "q_value": 0.001,
        "shift_cm1": 0.0,
        "provenance": "simulated",
        "matched_peaks": [],
        "unmatched_peaks": [],
    }
    hits = [
        hit,
        {**hit, "rank": 2, "name": "caffeine", "provenance": "modelled"},
        {**hit, "rank": 3, "name": "sucrose", "provenance": "measured"},
    ]
    result = Identification(
        verdict="identified",
        hits=hits,
        modality="raman",
        library_version="0" * 64,
        reasons=[],
        pipeline=[],
    )
    rows = [line.split()[1:3] for line in _hit_rows(_table("q.jdx", result, None))]
    assert rows == [["cocaine", "(simulated)"], ["caffeine", "(modelled)"], ["sucrose", "0.990"]]


def test_a_cut_sample_shows_its_components_and_the_evidence_for_each(built, tmp_path):
    _, lib, _, _ = built
    drug = make_spectrum(BAND_SETS["cocaine"], noise=0.0, seed=7)
    agent = make_spectrum(BAND_SETS["caffeine"], noise=0.0, seed=7)
    y = 0.65 * np.asarray(drug.intensity) + 0.35 * np.asarray(agent.intensity)
    y += np.random.default_rng(2).normal(0.0, 0.003, y.size)
    write_spectrum(drug.replace(intensity=y), tmp_path / "cut.jdx")
    table = CliRunner().invoke(main, ["identify", str(tmp_path / "cut.jdx"), "--library", str(lib)])
    assert table.exit_code == 0, table.output
    (line,) = [t for t in table.output.splitlines() if t.strip().startswith("mixture (")]
    assert "cocaine" in line and "caffeine" in line and line.count("its part scores") == 2
    # the first line gives the verdict as the report's headline does: the drug identified
    # (whether caffeine's part identifies it too is close to the threshold in a library of
    # four; verdict.decide_mixture's wording of each case is tested in test_verdict)
    first = table.output.splitlines()[2]  # under the library's line and a blank one
    assert first.startswith(f"{tmp_path / 'cut.jdx'}: IDENTIFIED"), first
    assert "cocaine" in first
    as_json = CliRunner().invoke(
        main, ["identify", str(tmp_path / "cut.jdx"), "--library", str(lib), "--json"]
    )
    (record,) = [json.loads(t) for t in as_json.output.splitlines() if t.startswith("{")]
    assert {c["name"] for c in record["mixture"]} == {"cocaine", "caffeine"}
    assert all(0.0 < c["score"] <= 1.0 for c in record["mixture"])


def test_a_bad_file_gets_its_own_error_and_the_others_still_run(built):
    _, lib, queries, _ = built
    files = [str(queries / "broken.jdx"), str(queries / "cocaine.jdx")]
    result = CliRunner().invoke(main, ["identify", *files, "--library", str(lib), "--json"])
    assert result.exit_code == 2
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert records[0]["file"] == files[0] and "error" in records[0]
    assert records[1]["hits"][0]["name"] == "cocaine"
    assert "error:" in result.stderr and "broken.jdx" in result.stderr


def test_a_spectrum_of_a_file_that_cannot_be_identified_is_named_and_the_others_run(
    built, tmp_path
):
    # a CSV of two sample columns, the first empty: its error was the file's ("file": the
    # file, with no #1), and the second spectrum was never identified
    _, lib, _, _ = built
    query = make_spectrum(BAND_SETS["cocaine"], noise=0.01, seed=7)
    path = tmp_path / "two.csv"
    rows = [f"{x:.1f},0,{y:.5f}" for x, y in zip(query.wavenumber, query.intensity, strict=True)]
    path.write_text("\n".join(["Raman Shift,A,B", *rows]) + "\n")
    result = CliRunner().invoke(main, ["identify", str(path), "--library", str(lib), "--json"])
    assert result.exit_code == 2, result.output
    said = f"{path}#1: the query is flat after preprocessing: there is no band"
    assert result.stderr == f"error: {said}\n"
    failed, identified = (json.loads(line) for line in result.stdout.splitlines())
    assert failed == {"file": f"{path}#1", "error": said}
    assert identified["file"] == f"{path}#2"
    assert identified["hits"][0]["name"] == "cocaine"
    table = CliRunner().invoke(main, ["identify", str(path), "--library", str(lib)])
    assert table.exit_code == 2
    assert f"{path}#2: IDENTIFIED: cocaine (raman, library " in table.stdout


def test_a_file_of_two_sweeps_is_refused_not_identified_as_one(built, tmp_path):
    # the query measured twice into one CSV, the second sweep reversed: averaged, it was
    # "IDENTIFIED"
    _, lib, _, _ = built
    query = make_spectrum(BAND_SETS["cocaine"], noise=0.01, seed=7)
    x, y = query.wavenumber, query.intensity
    rows = [f"{a:.3f},{b:.5f}" for a, b in zip(np.r_[x, x], np.r_[y, y[::-1]], strict=True)]
    path = tmp_path / "two_sweeps.csv"
    path.write_text("\n".join(["Raman Shift (cm-1),Intensity", *rows]) + "\n")
    result = CliRunner().invoke(main, ["identify", str(path), "--library", str(lib)])
    assert result.exit_code == 2, result.output
    assert f"line {x.size + 2}: the axis turns back here (3200 -> 200 cm-1)" in result.stderr
    assert "more than one sweep" in result.stderr
    assert "IDENTIFIED" not in result.stdout


def test_an_all_zero_file_is_refused_without_a_raw_warning(built, tmp_path):
    _, lib, _, _ = built
    path = tmp_path / "allzero.csv"
    axis = np.arange(200.0, 2000.0, 2.0)
    path.write_text("Raman Shift,Intensity\n" + "".join(f"{x:.1f},0\n" for x in axis))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning would be printed raw on the terminal
        result = CliRunner().invoke(main, ["identify", str(path), "--library", str(lib)])
    assert result.exit_code == 2, result.output
    assert (
        result.stderr == f"error: {path}: the query is flat after preprocessing: there is no band\n"
    )


@pytest.mark.filterwarnings("ignore:almost all baseline points are below the data")
def test_a_query_in_nm_no_reference_overlaps_is_told_the_export_not_the_python_call(
    built, tmp_path
):
    # a short Raman export against the scattered wavelength (785 nm laser): too little of it
    # overlaps a reference, and the likely cause is said as the technician acts on it, not
    # as forensic.identify tells a programmer (Spectrum.from_wavelength)
    _, lib, _, _ = built
    path = tmp_path / "nm.csv"
    write_spectrum(make_spectrum([(830, 1.0, 2)], start=786, stop=900, step=0.2), path)
    result = CliRunner().invoke(main, ["identify", str(path), "--library", str(lib), "--json"])
    assert result.exit_code == 2, result.output
    said = (
        f"{path}: no reference overlaps the query's range 786-900 cm-1 enough to be compared; "
        "the axis 786-900: looks like a wavelength in nm, not a Raman shift in cm-1 (if it "
        "is, export the spectrum against Raman shift in cm-1 and identify that file)"
    )
    assert result.stderr == f"error: {said}\n"
    assert json.loads(result.stdout) == {"file": str(path), "error": said}


def test_identify_with_a_missing_library_fails_clearly(built):
    _, _, queries, _ = built
    result = CliRunner().invoke(
        main, ["identify", str(queries / "cocaine.jdx"), "--library", "/nonexistent.flib"]
    )
    assert result.exit_code == 2
    assert "no such library file" in result.output


def test_identify_against_a_library_folder_or_the_one_the_van_is_set_to(built, monkeypatch):
    root, lib, queries, _ = built
    folder = root / "lab-library"
    folder.mkdir(exist_ok=True)
    for i, (name, bands) in enumerate(BAND_SETS.items()):
        write_spectrum(make_spectrum(bands, name=name, seed=i, noise=0.004), folder / f"{i}.jdx")
    names = "".join(f"{i}.jdx,{name.title()}\n" for i, name in enumerate(BAND_SETS))
    (folder / "manifest.csv").write_text("file,name\n" + names)
    # a stray file the manifest does not list is not a reference (validate names it)
    write_spectrum(make_spectrum(BAND_SETS["cocaine"], name="stray"), folder / "stray.jdx")
    monkeypatch.setenv("FORENSIC_CACHE_DIR", str(root / "cache"))
    query = str(queries / "cocaine.jdx")
    by_folder = CliRunner().invoke(main, ["identify", query, "--library", str(folder), "--json"])
    assert by_folder.exit_code == 0, by_folder.output
    hits = json.loads(by_folder.output.splitlines()[-1])["hits"]
    assert hits[0]["name"] == "Cocaine" and "stray" not in {h["name"] for h in hits}
    # a listed reference that is missing: refused, not identified without it
    (folder / "3.jdx").unlink()
    missing = CliRunner().invoke(main, ["identify", query, "--library", str(folder)])
    assert missing.exit_code == 2
    assert "1 reference(s) its manifest.csv lists cannot be read (3.jdx" in missing.output
    # FORENSIC_LIBRARY sets the library once for every command that identifies
    monkeypatch.setenv("FORENSIC_LIBRARY", str(root / "gone.flib"))
    gone = CliRunner().invoke(main, ["identify", query])
    assert gone.exit_code == 2 and "no such library file or folder (set by FORENSIC_LIBRARY)" in (
        gone.output
    )
    monkeypatch.setenv("FORENSIC_LIBRARY", str(lib))
    by_env = CliRunner().invoke(main, ["identify", query, "--json"])
    version = json.loads(by_env.output.splitlines()[-1])["library_version"]
    direct = CliRunner().invoke(main, ["identify", query, "--library", str(lib), "--json"])
    assert version == json.loads(direct.output.splitlines()[-1])["library_version"]


IR_BANDS = {
    "calcite": [(712.0, 0.3, 12.0), (876.0, 0.6, 14.0), (1420.0, 1.0, 60.0)],
    "gypsum": [(600.0, 0.4, 20.0), (1120.0, 1.0, 50.0), (1620.0, 0.3, 20.0), (3400.0, 0.6, 120.0)],
    "kaolinite": [
        (915.0, 0.6, 16.0),
        (1030.0, 1.0, 30.0),
        (3620.0, 0.5, 10.0),
        (3695.0, 0.5, 12.0),
    ],
}


@pytest.fixture(scope="module")
def ir_built(tmp_path_factory):
    """A library of the IR_BANDS as absorbance references: their folder and the built file."""
    root = tmp_path_factory.mktemp("ir")
    refs = root / "refs"
    refs.mkdir()
    for i, (name, bands) in enumerate(IR_BANDS.items()):
        reference = make_spectrum(
            bands, start=450.0, stop=3950.0, step=2.0, modality="ir", y_unit="absorbance",
            name=name, seed=i, noise=0.002,
        )  # fmt: skip
        write_spectrum(reference, refs / f"{name}.jdx")
    lib = root / "ir.flib"
    built = CliRunner().invoke(main, ["library", "build", str(refs), "--out", str(lib)])
    assert built.exit_code == 0, built.output
    return refs, lib


def test_y_unit_states_the_unit_of_a_file_that_does_not_name_it(ir_built, tmp_path):
    refs, lib = ir_built
    # Absorbance of a scattering powder: a baseline rising to a plateau, bands a tenth of it.
    # Its median sits high, as transmittance's does, and the file names no unit.
    sample = make_spectrum(
        [(c, 0.1 * h, w) for c, h, w in IR_BANDS["calcite"]], start=450.0, stop=3950.0,
        step=2.0, modality="ir", y_unit="absorbance", noise=0.001, seed=9,
    )  # fmt: skip
    absorbance = sample.intensity + 0.2 + 0.6 * (1.0 - np.exp(-(sample.wavenumber - 450.0) / 900))
    query = tmp_path / "exhibit.txt"
    query.write_text(
        "\n".join(f"{x:.1f} {y:.5f}" for x, y in zip(sample.wavenumber, absorbance, strict=True))
    )
    raman = tmp_path / "raman.jdx"
    write_spectrum(make_spectrum(name="raman"), raman)

    def run(*options):
        result = CliRunner().invoke(
            main, ["identify", str(query), "--library", str(lib), "--json", *options]
        )
        return result, json.loads(result.stdout.splitlines()[0])

    guessed, record = run()
    assert guessed.exit_code == 0, guessed.output
    assert any("does not name its intensity unit" in w for w in record["warnings"])
    assert any("read as transmittance" in w for w in record["warnings"])
    # the warning states the fact; what to do is the advice, beside it in the JSON...
    to_do = (
        "if the unit is not transmittance, have the instrument's software name it in its "
        "exports (a file: forensic identify --y-unit states it), and identify the spectrum again"
    )
    assert to_do in record["advice"] and not any("--y-unit" in w for w in record["warnings"])
    # ...and under the warnings in the table, the technician's screen
    table = CliRunner().invoke(main, ["identify", str(query), "--library", str(lib)])
    assert table.exit_code == 0, table.output
    lines = table.output.splitlines()
    (warned,) = [n for n, line in enumerate(lines) if "does not name its intensity unit" in line]
    assert f"  to do: {to_do}" in lines[warned + 1 :]

    stated, record = run("--y-unit", "absorbance")
    assert stated.exit_code == 0, stated.output
    assert record["hits"][0]["name"] == "calcite"
    assert not any("intensity unit" in w for w in record["warnings"])

    wrong = CliRunner().invoke(main, ["identify", str(raman), "--y-unit", "absorbance"])
    assert wrong.exit_code == 2
    assert "absorbance is an infrared unit; this spectrum is Raman" in wrong.stderr
    gypsum = str(refs / "gypsum.jdx")
    named = CliRunner().invoke(
        main, ["identify", gypsum, "--library", str(lib), "--y-unit", "transmittance"]
    )
    assert named.exit_code == 2
    assert "the file names its intensity unit, absorbance" in named.stderr


def test_identify_says_with_the_result_that_the_axis_unit_was_assumed(built, tmp_path):
    _, lib, queries, _ = built
    query = tmp_path / "unnamed.jdx"  # another program's export without ##XUNITS=
    query.write_text((queries / "cocaine.jdx").read_text().replace("##XUNITS=1/CM\n", ""))
    fact = (
        "the file does not name its axis unit and was read as cm-1 (assumed: no ##XUNITS= in "
        "the file); bands on an axis in another unit are compared at the wrong positions, so if "
        "that is wrong, so is this result"
    )
    to_do = (
        "if the axis is not in cm-1, have the instrument's software name its unit in its "
        "exports, and identify the spectrum again"
    )
    # as a guessed intensity unit is: a warning with the result, what to do under the warnings
    table = CliRunner().invoke(main, ["identify", str(query), "--library", str(lib)])
    assert table.exit_code == 0, table.output
    lines = table.output.splitlines()
    (warned,) = [n for n, line in enumerate(lines) if "does not name its axis unit" in line]
    assert lines[warned] == f"  warning: {fact}"
    assert f"  to do: {to_do}" in lines[warned + 1 :]
    # the record keeps the fact (a report prints the result's warnings), the advice apart
    done = CliRunner().invoke(main, ["identify", str(query), "--library", str(lib), "--json"])
    assert done.exit_code == 0, done.output
    record = json.loads(done.stdout.splitlines()[0])
    assert fact in record["warnings"] and to_do in record["advice"]
    named = CliRunner().invoke(
        main, ["identify", str(queries / "cocaine.jdx"), "--library", str(lib)]
    )
    assert "axis unit" not in named.output


def test_an_ir_file_whose_values_read_far_better_in_the_other_unit_says_so(ir_built, tmp_path):
    # an export of transmittance under an absorbance heading (##YUNITS=ABSORBANCE)
    _, lib = ir_built
    sample = make_spectrum(
        IR_BANDS["calcite"], start=450.0, stop=3950.0, step=2.0, modality="ir",
        y_unit="absorbance", noise=0.002, seed=9,
    )  # fmt: skip
    query = tmp_path / "exhibit.jdx"
    write_spectrum(sample.replace(intensity=10.0 ** -np.asarray(sample.intensity)), query)
    result = CliRunner().invoke(main, ["identify", str(query), "--library", str(lib), "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout.splitlines()[0])
    (said,) = [w for w in record["warnings"] if "read as transmittance" in w]
    assert said.startswith("labelled absorbance, but its values look like transmittance")
    assert "matches the library far better: best hit calcite, " in said
    assert record["verdict"] == "inconclusive"
    assert record["unusable"] == (
        "the spectrum matches far better read as transmittance than as absorbance"
    )
    assert any("correct the unit the file names" in a for a in record["advice"])
    table = CliRunner().invoke(main, ["identify", str(query), "--library", str(lib)])
    assert f"  warning: {said}" in table.output.splitlines()  # as scan's screen says it
    assert "INCONCLUSIVE: the spectrum matches far better read as transmittance" in table.output


def test_a_library_folder_compiled_on_first_use_says_so_once(tmp_path, monkeypatch):
    """The first run compiles a library folder (the shipped one, on a new laptop) for seconds:
    it says so rather than sit silent; later runs reuse it and say nothing."""
    from library_helpers import make_library  # noqa: PLC0415

    import forensic.library_folders as library_folders  # noqa: PLC0415

    monkeypatch.setenv("FORENSIC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(library_folders, "_COMPILED", {})
    folder = make_library(tmp_path / "lib", shipped=False)
    query = write_spectrum(make_spectrum(BAND_SETS["cocaine"], seed=3), tmp_path / "q.jdx")
    first = CliRunner().invoke(main, ["identify", str(query), "--library", str(folder)])
    assert first.exit_code == 0, first.output
    (said,) = [line for line in first.stderr.splitlines() if "compiling" in line]
    assert said.startswith(f"compiling the reference library {folder.resolve()} (once")
    monkeypatch.setattr(library_folders, "_COMPILED", {})  # a new process: the cache file only
    again = CliRunner().invoke(main, ["identify", str(query), "--library", str(folder)])
    assert again.exit_code == 0 and "compiling" not in again.stderr


def test_a_file_s_result_says_what_its_report_would_say_under_the_verdict():
    """`identify` showed a simulated spectrum's verdict, and a no match's closest references,
    without the words the report gives them: no evidential value, chance similarity, and that
    a no match does not show that no controlled substance is present."""
    from forensic.cli.identify import _table  # noqa: PLC0415
    from forensic.identification import Identification  # noqa: PLC0415

    hit = {
        "rank": 1,
        "name": "Alprazolam",
        "score": 0.18,
        "q_value": 1.0,
        "shift_cm1": 0.0,
        "provenance": "modelled",
        "matched_peaks": [],
        "unmatched_peaks": [],
    }
    result = Identification(
        verdict="no_match",
        hits=[hit],
        modality="raman",
        library_version="0" * 64,
        reasons=[],
        pipeline=[],
    )
    assert _table("q.jdx", result, "simulated").splitlines()[:5] == [
        f"q.jdx: NO MATCH in the reference library (raman, library {'0' * 12})",
        "  simulated spectrum: no evidential value",
        "  A substance absent from the library searched cannot be identified: this no match "
        "does not show that no controlled substance is present.",
        "  References closest to the spectrum by chance similarity only: none is a finding "
        "(the spectrum matches no reference).",
        "   #  substance                          score  q-value   shift  peaks",
    ]
    assert _table("q.jdx", result, "simulated").splitlines()[-1] == (
        "  to do: check the sample presentation (in focus, not behind thick or coloured "
        "packaging) and measure again with a longer exposure; still NO MATCH: send the exhibit "
        "to the lab for a second, uncorrelated technique (e.g. GC-MS)"
    )


def test_identify_says_when_the_spectrum_compares_too_little_of_its_reference(tmp_path):
    # the shipped cocaine HCl reference measured over its C-H stretches only (2700-3400 cm-1)
    from forensic.io import read_spectrum  # noqa: PLC0415
    from forensic.spectrum import Spectrum  # noqa: PLC0415
    from spectral_library import LIBRARY_DIR  # noqa: PLC0415

    reference = read_spectrum(LIBRARY_DIR / "raman" / "cocaine-hcl.jdx")
    kept = reference.wavenumber >= 2700
    noise = np.random.default_rng(1).normal(0, 0.01 * reference.intensity.max(), kept.sum())
    path = tmp_path / "ch-stretches.jdx"
    write_spectrum(
        Spectrum(reference.wavenumber[kept], reference.intensity[kept] + noise, modality="raman"),
        path,
    )
    shown = CliRunner().invoke(main, ["identify", str(path)])
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert any(line.startswith(f"{path}: INCONCLUSIVE: no substance identified") for line in lines)
    (row,) = [line for line in lines if line.startswith("   1  Cocaine hydrochloride")]
    assert row.split()[5] == "-"  # no q-value in the table ...
    assert (  # ... and why, under it
        "  - the query compares only 12% of the reference: q-value not calibrated for so short "
        "a comparison"
    ) in lines
    as_json = CliRunner().invoke(main, ["identify", str(path), "--json"])
    assert as_json.exit_code == 0
    best = json.loads(as_json.output.splitlines()[-1])["hits"][0]
    assert best["q_value"] is None
    assert best["range_share"] == pytest.approx(0.118, abs=0.001)


IR_UM_ADVICE = (
    "(if it is, name its unit in the file, and forensic converts it as it reads it, wavenumber "
    "in cm-1 = 10000 / µm: a CSV file's columns headed 'wavelength (µm)' and its intensities' "
    "unit, 'absorbance' or 'transmittance'; a JCAMP-DX file's ##XUNITS=MICROMETERS; else export "
    "the spectrum against wavenumber in cm-1)"
)


def test_a_spectrum_in_micrometres_is_told_its_axis_and_identified_once_its_unit_is_named(
    ir_built, tmp_path
):
    """An FTIR export against wavelength in µm, two columns and no header, was read as Raman
    and told `use a library with raman references`, a JCAMP-DX file stating 1/CM over µm
    `it may be in nm or µm (convert it to wavenumbers in cm-1)`: nothing said which, how, or
    that naming the unit in the file has forensic convert it. Named, it is converted as read,
    and said so. (The test's name has no 'ir' word: a folder so named reads a CSV file as IR,
    whose axis below 50 the reader takes for µm.)"""
    _, lib = ir_built
    sample = make_spectrum(
        IR_BANDS["gypsum"], start=450.0, stop=3950.0, step=2.0, modality="ir",
        y_unit="absorbance", noise=0.002, seed=9,
    )  # fmt: skip
    rows = "".join(
        f"{1e4 / x:.6f},{y:.6f}\n"
        for x, y in zip(sample.wavenumber[::-1], sample.intensity[::-1], strict=True)
    )
    bare = tmp_path / "exhibit.csv"
    bare.write_text(rows)
    stated_wrongly = tmp_path / "exhibit.jdx"
    stated_wrongly.write_text(
        "##TITLE=exhibit\n##JCAMP-DX=5.01\n##DATA TYPE=INFRARED SPECTRUM\n##XUNITS=1/CM\n"
        "##YUNITS=ABSORBANCE\n##XYPOINTS=(XY..XY)\n" + rows.replace(",", ", ") + "##END=\n"
    )
    refused = CliRunner().invoke(
        main, ["identify", str(bare), str(stated_wrongly), "--library", str(lib), "--json"]
    )
    axis = (
        "looks like an IR spectrum's wavelength in µm (2.5-25 µm is 4000-400 cm-1), not a "
        f"wavenumber in cm-1 {IR_UM_ADVICE}"
    )
    said = [
        f"{bare}: the query is a raman spectrum but the library holds only ir references; the "
        f"axis 2.532-22.22: ends below 25, which no Raman shift axis in cm-1 does; it {axis}",
        f"{stated_wrongly}: the query (2.53-22 cm-1) cannot be compared with the library grid "
        "(400-4000 cm-1): the spectrum's range 2.5-22.2 cm-1 (less 50 cm-1 at each end) holds "
        "0 points of the grid 400-4000 cm-1 (step 2); at least 16 are needed; the axis "
        f"2.532-22.22: {axis}",
    ]
    assert refused.exit_code == 2, refused.output
    assert refused.stderr.splitlines() == [f"error: {line}" for line in said]
    assert [json.loads(line) for line in refused.stdout.splitlines()] == [
        {"file": str(bare), "error": said[0]},
        {"file": str(stated_wrongly), "error": said[1]},
    ]
    # the advice followed: the axis column named, and the intensities' unit
    named = tmp_path / "named.csv"
    named.write_text("wavelength (µm),absorbance\n" + rows)
    relabelled = tmp_path / "relabelled.jdx"
    relabelled.write_text(stated_wrongly.read_text().replace("1/CM", "MICROMETERS"))
    done = CliRunner().invoke(
        main, ["identify", str(named), str(relabelled), "--library", str(lib), "--json"]
    )
    assert done.exit_code == 0, done.output
    assert done.stderr.splitlines() == [
        f"note: {path}: its axis is a wavelength in µm (2.532-22.22 µm), read as an IR "
        "spectrum's and converted to wavenumber in cm-1 = 10000 / µm (450-3950 cm-1)"
        for path in (named, relabelled)
    ]
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(r["modality"], r["hits"][0]["name"]) for r in results] == [("ir", "gypsum")] * 2
