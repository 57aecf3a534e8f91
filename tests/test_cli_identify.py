"""The library build and identify commands: JSON contract, table, bad files, exit codes."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from synthetic import make_spectrum

from forensic.cli import main
from forensic.io import write_spectrum

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
    assert "skipped" in result.output and "garbage.jdx" in result.output
    assert "version " in result.output
    again = CliRunner().invoke(main, ["library", "build", str(root / "refs"), "--out", str(lib)])
    assert again.exit_code == 2
    assert "already exists" in again.output
    forced = CliRunner().invoke(
        main, ["library", "build", str(root / "refs"), "--out", str(lib), "--force"]
    )
    assert forced.exit_code == 0
    assert forced.output.splitlines()[-1] == result.output.splitlines()[-1]  # same version


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


def test_a_bad_file_gets_its_own_error_and_the_others_still_run(built):
    _, lib, queries, _ = built
    files = [str(queries / "broken.jdx"), str(queries / "cocaine.jdx")]
    result = CliRunner().invoke(main, ["identify", *files, "--library", str(lib), "--json"])
    assert result.exit_code == 2
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert records[0]["file"] == files[0] and "error" in records[0]
    assert records[1]["hits"][0]["name"] == "cocaine"
    assert "error:" in result.stderr and "broken.jdx" in result.stderr


def test_identify_with_a_missing_library_fails_clearly(built):
    _, _, queries, _ = built
    result = CliRunner().invoke(
        main, ["identify", str(queries / "cocaine.jdx"), "--library", "/nonexistent.flib"]
    )
    assert result.exit_code == 2
    assert "no such library file" in result.output
