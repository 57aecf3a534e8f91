"""``forensic library import|validate|diff|list|show|export|info|publish`` through the CLI."""

from __future__ import annotations

import json
import re
import shlex
import shutil

import numpy as np
import pytest
from click.testing import CliRunner
from library_helpers import (
    SYNTHETIC,
    make_library,
    measured_paracetamol,
    replicates_spc,
    synthetic_spectrum,
)
from synthetic import make_spectrum

import forensic
from forensic import curation
from forensic.cli import main
from forensic.cli.library_admin import _calibration_line
from forensic.curation import importing
from forensic.curation.source import calibration_info
from forensic.errors import LibraryError
from forensic.identification import MODELLED_WARNING, SIMULATED_WARNING
from forensic.io import write_spectrum
from forensic.library import CALIBRATION_METHOD
from forensic.library_folders import open_reference_library
from forensic.verdict import MARGIN_MIN, MIN_LEFT_OUT
from spectral_library import LIBRARY_DIR, LIBRARY_NAME, LIBRARY_PUBLISHED


@pytest.fixture
def lib(tmp_path):
    return make_library(tmp_path / "lib")


def run(*args):
    return CliRunner().invoke(main, ["library", *map(str, args)])


def test_list_json_contract_on_the_shipped_library():
    result = run("list", "--json")
    assert result.exit_code == 0, result.output
    entries = json.loads(result.output)
    assert isinstance(entries, list) and len(entries) >= 80
    for e in entries:
        assert {"id", "name", "modality", "provenance", "cas", "class"} <= set(e)
        assert e["modality"] in ("raman", "ir")
        assert e["provenance"] in ("measured", "modelled")
    names = {e["name"].lower() for e in entries}
    assert any("cocaine" in n for n in names)


def test_info_json_contract(lib):
    result = run("info", lib, "--json")
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert info["entries"] == len(SYNTHETIC) + 4
    assert info["substances"] == len(SYNTHETIC) + 2
    assert info["modalities"] == ["ir", "raman"]
    assert info["source"] == str(lib.resolve())
    assert len(info["version"]) == 64
    assert info["by_provenance"] == {"modelled": 4, "simulated": len(SYNTHETIC)}
    text = run("info", lib)
    assert info["version"] in text.output and "modelled references" in text.output
    # a folder is compiled under its folder's name; it has no build date until it is built
    assert info["name"] == "lib" and "\nname        lib\n" in text.output
    assert "\nbuilt " not in text.output
    # the synthetic references are simulated, and said so, not called modelled
    assert "note        simulated references: confirm hits against a measured library" in (
        text.output
    )
    listed = run("list", lib).output.splitlines()
    assert listed[-1] == f"{len(SYNTHETIC) + 4} references, 4 modelled, {len(SYNTHETIC)} simulated"


def test_info_json_shipped_source_is_the_library_folder():
    result = run("info", "--json")
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert info["source"] == str(LIBRARY_DIR)
    assert info["substances"] >= 40
    assert info["name"] == LIBRARY_NAME and info["built_at"]  # compiled into the cache
    assert f"\nbuilt       {info['built_at']}\n" in run("info").output


def test_import_replaces_modelled_then_refuses_without_force(lib, tmp_path):
    path = measured_paracetamol(tmp_path / "para.jdx")
    args = (
        "import",
        path,
        "--library",
        lib,
        "--name",
        "Paracetamol",
        "--licence",
        "MIT",
        "--added-by",
        "A. Chemist",
    )
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert "replaced modelled reference Paracetamol (paracetamol-raman" in result.output
    assert "imported raman/paracetamol-raman.jdx: Paracetamol" in result.output
    again = run(*args)  # the same measurement again: only as itself, forced
    assert again.exit_code == 2
    assert "error: not imported: para.jdx: already in " in again.output
    assert again.output.endswith("use --force; nothing was written\n")
    forced = run(*args, "--force")
    assert forced.exit_code == 0, forced.output
    assert "replaced measured reference Paracetamol" in forced.output
    listed = json.loads(run("list", lib, "--json").output)
    para = [e for e in listed if e["id"] == "paracetamol-raman"]
    assert para[0]["provenance"] == "measured" and para[0]["added_by"] == "A. Chemist"


def _pasted(text: str) -> list[str]:
    """The words a shell gives the one command between backticks in ``text``."""
    (between,) = re.findall(r"`(forensic [^`]*)`", text)
    return shlex.split(between)


def test_commands_in_messages_name_a_folder_with_a_space_as_pasted(tmp_path):
    lib = make_library(tmp_path / "my lib")
    path = measured_paracetamol(tmp_path / "para.jdx")
    done = run("import", path, "--library", lib, "--name", "Novel", "--licence", "MIT")
    assert done.exit_code == 0, done.output
    (last,) = [line for line in done.output.splitlines() if "next:" in line]
    assert _pasted(last) == ["forensic", "library", "validate", str(lib.resolve())]
    # identify against a folder whose listed reference is gone: the command to see why
    (lib / "raman" / "novel-raman.jdx").unlink()
    with pytest.raises(LibraryError, match="lists every problem") as refused:
        open_reference_library(lib)
    assert _pasted(str(refused.value)) == ["forensic", "library", "validate", str(lib.resolve())]


def test_the_commands_an_import_refusal_names_are_pasted_as_shown(lib, tmp_path, monkeypatch):
    folder = tmp_path / "a folder"
    folder.mkdir()
    spc = replicates_spc(folder / "two scans.spc")
    with pytest.raises(LibraryError, match="names none of them") as refused:
        curation.import_spectra([spc], lib)
    assert _pasted(str(refused.value)) == [
        "forensic", "convert", str(spc.resolve()), "ONE.jdx", "--spectrum", "N"
    ]  # fmt: skip
    monkeypatch.setattr(importing.os, "access", lambda path, mode: False)  # root writes anywhere
    with pytest.raises(LibraryError, match="not writable") as refused:
        curation.import_spectra([spc], folder, name="X")
    assert _pasted(str(refused.value))[:4] == ["forensic", "library", "export", str(folder)]


def test_a_simulated_reference_replaced_is_said_to_be_simulated(lib, tmp_path):
    """A simulated reference replaced (--force) was said to be a "measured reference"."""
    name = SYNTHETIC[0][0]
    path = tmp_path / "measured.jdx"
    write_spectrum(synthetic_spectrum(0, seed=7), path)
    args = ("import", path, "--library", lib, "--name", name, "--licence", "MIT", "--force")
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert f"replaced simulated reference {name} (" in result.output
    assert "replaced measured reference" not in result.output


def test_an_import_that_skipped_a_file_exits_1_says_so_last_and_keeps_the_rest(lib, tmp_path):
    # "49 imported, 12 replaced, 1 skipped", exit 0, and the reason printed after the summary:
    # a script could not tell a partial import from a complete one
    (tmp_path / "junk.jdx").write_text("##TITLE=junk\nnothing\n")
    good = measured_paracetamol(tmp_path / "good.jdx")
    result = run(
        "import", good, tmp_path / "junk.jdx", "--library", lib, "--name", "Extra", "--cas",
        "7440-57-5", "--class", "test substance", "--licence", "MIT", "--replicates",
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    skipped = [k for k, line in enumerate(lines) if line.startswith("skipped ")]
    assert [lines[k].split(":")[0] for k in skipped] == [f"skipped {tmp_path / 'junk.jdx'}"]
    assert lines.index("imported raman/extra-raman.jdx: Extra (raman, id extra-raman, CAS "
                       "7440-57-5)") < skipped[0]  # fmt: skip
    assert lines[-1].startswith(
        "1 imported, 0 replaced, 1 file skipped (listed above; the others are imported and "
        "kept); "
        "next: `forensic library validate"
    )
    assert skipped[-1] == len(lines) - 2  # the summary comes after what was not taken
    assert any(r["id"] == "extra-raman" for r in curation.read_manifest(lib / "manifest.csv"))
    assert "Exit 0 when every file was imported; 1 when a file was skipped" in " ".join(
        run("import", "--help").output.split()
    )


def test_import_and_build_treat_a_multi_spectrum_spc_file_alike(lib, tmp_path, shared_data):
    # CONTOUR.SPC: 19 subfiles of one polystyrene portion; imported without --name they became
    # 19 substances, "Subfiles are the Same Portion of POLYS ... [1]" to "[19]"
    contour = shared_data / "formats" / "spc" / "CONTOUR.SPC"
    polys = shared_data / "formats" / "spc" / "POLYS.SPC"
    said = f"skipped {contour}: holds 19 spectra (SPC subfiles) and names none of them: "
    imported = run("import", contour, polys, "--library", lib, "--licence", "test")
    assert imported.exit_code == 1, imported.output  # a file skipped
    assert said in imported.output and "--name NAME" in imported.output
    assert "1 imported, 0 replaced, 1 file skipped (listed above" in imported.output
    built = run("build", contour, polys, "--out", tmp_path / "x.flib", "--no-calibration")
    assert built.exit_code == 0, built.output
    assert said in built.output and "--manifest" in built.output
    assert "1 references (1 ir), 1 skipped" in built.output
    # named: 19 references of one substance, told once
    named = run("import", contour, "--library", lib, "--name", "Polystyrene", "--licence", "x")
    assert named.exit_code == 0, named.output
    assert "note: CONTOUR.SPC: its 19 spectra are imported as 19 references of" in named.output
    assert "more than once" not in named.output
    assert "19 imported" in named.output
    (tmp_path / "list.csv").write_text(f"file,name\n{contour},Polystyrene\n")
    manifest = ["--manifest", tmp_path / "list.csv"]
    built = run("build", contour, "--out", tmp_path / "y.flib", "--no-calibration", *manifest)
    assert built.exit_code == 0, built.output
    assert "19 references (19 ir), 0 skipped" in built.output


def test_validate_passes_and_fails_with_exit_codes(lib, tmp_path):
    ok = run("validate", lib)
    assert ok.exit_code == 0, ok.output
    assert "PASSED: all 10 gates passed" in ok.output
    noisy = make_spectrum([(450, 1.0, 8), (1350, 0.7, 9)], noise=0.08, seed=13)
    write_spectrum(noisy, tmp_path / "noisy.jdx")
    run(
        "import",
        tmp_path / "noisy.jdx",
        "--library",
        lib,
        "--name",
        "Noisy",
        "--cas",
        "7440-44-0",
        "--class",
        "test substance",
        "--licence",
        "MIT",
    )
    bad = run("validate", lib, "--no-self-id")
    assert bad.exit_code == 1
    assert "FAIL  signal-to-noise" in bad.output
    assert "noisy-raman (Noisy): signal-to-noise" in bad.output
    assert bad.output.rstrip().splitlines()[-1].startswith("FAILED: 1 of 10 gates failed")
    as_json = json.loads(run("validate", lib, "--no-self-id", "--json").stdout)
    assert as_json["ok"] is False and as_json["failed"] == ["signal-to-noise"]


def test_validate_info_and_build_count_the_references_the_version_holds(lib, tmp_path):
    """With a manifest row repeated, validate said "N references" then "[N+1 checked]", and
    info counted N+1 references for a version that holds N: now every command refuses the
    manifest, naming the lines, before it counts anything."""
    info = json.loads(run("info", lib, "--json").output)
    report = json.loads(run("validate", lib, "--no-self-id", "--json").stdout)
    checked = {g["name"]: g["checked"] for g in report["gates"]}
    assert info["entries"] == report["entries"] == checked["metadata"] == checked["duplicates"]
    text = (lib / "manifest.csv").read_text()
    (lib / "manifest.csv").write_text(text + text.splitlines()[-1] + "\n")
    line = len(text.splitlines()) + 1
    for args in (
        ("info", lib),
        ("validate", lib),
        ("list", lib),
        ("build", lib, "--out", tmp_path / "lib.flib"),
        ("publish", lib, "--approved-by", "A. Chemist"),
    ):
        refused = run(*args)
        assert refused.exit_code == 2, (args, refused.output)
        assert f"line {line} lists " in refused.output and "again (first on line " in refused.output
    assert not (tmp_path / "lib.flib").exists()


def test_diff_and_export(lib, tmp_path):
    new = tmp_path / "new"
    shutil.copytree(lib, new)
    run(
        "import",
        measured_paracetamol(tmp_path / "para.jdx"),
        "--library",
        new,
        "--name",
        "Paracetamol",
        "--licence",
        "MIT",
    )
    result = run("diff", lib, new)
    assert result.exit_code == 0, result.output
    assert result.output.count("version ") == 2
    assert "~ paracetamol-raman: Paracetamol (raman)" in result.output
    assert "provenance: 'modelled' -> 'measured'" in result.output
    out = tmp_path / "export"
    exported = run("export", new, "--format", "jcamp", "--out", out)
    assert exported.exit_code == 0, exported.output
    assert run("diff", new, out).output.rstrip().endswith("no entry added, removed or changed")
    refused = run("export", new, "--format", "csv", "--out", out)
    assert refused.exit_code == 2
    # the option, not export_library's argument (force=True)
    assert refused.stderr == (
        f"error: {out}: exists and is not empty; not overwritten (use --force to replace it)\n"
    )
    assert run("export", new, "--format", "csv", "--out", out, "--force").exit_code == 0
    assert (out / "raman" / "paracetamol-raman.csv").is_file()


def test_show_warns_of_a_simulated_reference_as_simulated(lib):
    """Every reference not measured was shown with the modelled warning ("modelled from a
    band table"), a simulated one too."""
    result = run("show", SYNTHETIC[0][0], "--library", lib)
    assert result.exit_code == 0, result.output
    assert SIMULATED_WARNING in result.output and MODELLED_WARNING not in result.output


def test_show_prints_peaks_and_plots(lib, tmp_path):
    out = tmp_path / "caffeine.png"
    result = run("show", "caffeine", "--library", lib, "--modality", "raman", "--out", out)
    assert result.exit_code == 0, result.output
    assert MODELLED_WARNING in result.output
    assert "peak / cm-1" in result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    again = run("show", "caffeine", "--library", lib, "--modality", "raman", "--out", out)
    assert again.exit_code == 2
    said = f"error: {out}: already exists; not overwritten (use --force to replace it)\n"
    assert again.stderr == said
    rows = [line.split() for line in result.output.splitlines() if line.startswith("  ")]
    positions = [float(r[0]) for r in rows if len(r) == 2 and r[0].replace(".", "").isdigit()]
    assert positions and all(150 <= p <= 3400 for p in positions)
    missing = run("show", "Alphain", "--library", lib)
    assert missing.exit_code == 2 and "close names: Alphaine" in missing.output


def test_publish_writes_the_changelog_with_the_approver(lib):
    result = run("publish", lib, "--approved-by", "Dr. A. Chemist", "--notes", "first")
    assert result.exit_code == 0, result.output
    changelog = (lib / "CHANGELOG.md").read_text()
    assert "approved by: Dr. A. Chemist" in changelog
    version = json.loads((lib / "release.json").read_text())["version"]
    assert f"`{version}`" in changelog and f"published version {version}" in result.output
    again = run("publish", lib, "--approved-by", "Dr. A. Chemist")
    assert again.exit_code == 2 and "already the published one" in again.output
    assert run("publish", lib).exit_code == 2  # --approved-by is required


def test_publish_to_an_out_that_exists_is_told_the_option_that_replaces_it(lib, tmp_path):
    out = tmp_path / "lab.flib"
    out.write_bytes(b"an earlier build")
    refused = run("publish", lib, "--approved-by", "Dr. A. Chemist", "--out", out)
    assert refused.exit_code == 2
    # the option, not publish_library's argument (force=True)
    assert refused.stderr == (
        f"error: {out}: already exists; not overwritten (use --force to replace it)\n"
    )
    assert out.read_bytes() == b"an earlier build"
    assert not (lib / "release.json").exists()


def test_info_says_whether_a_folder_is_its_published_version(lib, tmp_path):
    # never published (no release.json): said, as identify warns of it; the shipped library
    # keeps no record (its version depends on the toolkit's pipelines): it is published with
    # the toolkit's release, its files checked against the package
    never = "published   no: not a published version (never published): no one approved"
    assert never in run("info", lib).output
    shipped = [x for x in run("info").output.splitlines() if x.startswith("published")]
    assert shipped == [
        f"published   yes: published {LIBRARY_PUBLISHED} with forensic {forensic.__version__} "
        "(the shipped library: approved by the toolkit's release, its files those the package "
        "lists)"
    ]
    assert run("publish", lib, "--approved-by", "Dr. A. Chemist").exit_code == 0
    version = json.loads((lib / "release.json").read_text())["version"]
    published = run("info", lib)
    assert "published   yes: this version" in published.output
    assert json.loads(run("info", lib, "--json").output)["release"]["current"] is True
    # a CSV copy carries the release record, but its files (so its version) are not the
    # published ones: results from it would cite a version no changelog names
    out = tmp_path / "csv-copy"
    exported = run("export", lib, "--format", "csv", "--out", out)
    assert exported.exit_code == 0, exported.output
    assert f"the copy is not version {version[:12]}" in exported.output
    copy = json.loads(run("info", out, "--json").output)
    assert copy["version"] != version
    signed = json.loads((lib / "release.json").read_text())
    assert {k: copy["release"][k] for k in ("version", "approved_by", "current")} == {
        "version": version,
        "approved_by": "Dr. A. Chemist",
        "current": False,
    }
    assert copy["release"]["published_at"] == signed["published_at"]
    assert copy["release"]["approval"]["state"] == "signed"  # the record holds: not the copy
    assert copy["release"]["approval"]["key_fingerprint"] == signed["signature"]["key_fingerprint"]
    assert copy["release"]["record_edits"] == [] and copy["release"]["earlier"] is None
    assert f"published   NO: changed since version {version[:12]}" in run("info", out).output
    # a JCAMP-DX copy of it is the published version itself
    same = run("export", lib, "--format", "jcamp", "--out", tmp_path / "jcamp-copy")
    assert "the copy is not version" not in same.output
    assert "published   yes" in run("info", tmp_path / "jcamp-copy").output


def test_publish_refused_when_a_gate_fails(lib, tmp_path):
    y = np.asarray(make_spectrum([(700, 1.0, 8), (1300, 0.5, 8)], noise=0.002).intensity)
    spiky = make_spectrum([(700, 1.0, 8), (1300, 0.5, 8)]).replace(intensity=y)
    y = np.array(spiky.intensity)
    y[1500] += 0.9
    write_spectrum(spiky.replace(intensity=y), tmp_path / "spiky.jdx")
    run(
        "import",
        tmp_path / "spiky.jdx",
        "--library",
        lib,
        "--name",
        "Spiky",
        "--cas",
        "7647-14-5",
        "--class",
        "test substance",
        "--licence",
        "MIT",
    )
    result = run("publish", lib, "--approved-by", "Dr. A. Chemist")
    assert result.exit_code == 1
    assert "FAIL  spikes" in result.output and "spiky-raman (Spiky)" in result.output
    assert not (lib / "CHANGELOG.md").exists()


def test_import_modality_override(lib, tmp_path):
    ir = make_spectrum(
        [(1000, 1.0, 12), (1600, 0.6, 14)],
        start=600,
        stop=4000,
        step=2.0,
        noise=0.002,
        y_unit="absorbance",
    )
    path = write_spectrum(ir, tmp_path / "film.jdx")  # written as Raman, really IR
    result = run(
        "import",
        path,
        "--library",
        lib,
        "--name",
        "Film",
        "--modality",
        "ir",
        "--cas",
        "9003-53-6",
        "--class",
        "polymer",
        "--licence",
        "MIT",
    )
    assert result.exit_code == 0, result.output
    assert "imported ir/film-ir.jdx: Film (ir" in result.output


# -- the commands validate prints run as pasted ----------------------------------------------------


def _commands(text: str) -> list[list[str]]:
    """The words a shell gives each command between backticks in ``text``, in order."""
    return [shlex.split(between) for between in re.findall(r"`(forensic [^`]*)`", text)]


def _findings(lib, entry: str, gate: str) -> list[str]:
    done = run("validate", lib, "--entry", entry, "--no-self-id", "--json")
    report = json.loads(done.stdout)
    (found,) = [g for g in report["gates"] if g["name"] == gate]
    return [f["message"] for f in found["findings"]]


def _paste(words: list[str], *fill: str):
    """Run a printed command as pasted, each ``...`` filled in with the next of ``fill``."""
    values = iter(fill)
    words = [next(values) if word == "..." else word for word in words]
    return CliRunner().invoke(main, words[1:])


def test_validate_prints_the_import_that_states_a_guessed_unit_and_it_runs(lib, tmp_path):
    # absorbance bands on a baseline that rises to a plateau, no unit named: read as
    # transmittance; "state it (forensic library import --y-unit ... --force)" was no command
    axis = np.arange(450.0, 3950.0, 2.0)
    values = 0.2 + 0.6 * (1.0 - np.exp(-(axis - 450.0) / 900.0))
    values += 0.1 * np.exp(-(((axis - 1420.0) / 30.0) ** 2))
    raw = tmp_path / "calcite.txt"
    raw.write_text("\n".join(f"{x:.1f} {y:.5f}" for x, y in zip(axis, values, strict=True)))
    imported = run(
        "import", raw, "--library", lib, "--name", "Calcite", "--cas", "471-34-1",
        "--class", "excipient", "--licence", "CC BY 4.0", "--source", "ATR, lab 3, it's ours",
    )  # fmt: skip
    assert imported.exit_code == 0, imported.output
    (message,) = _findings(lib, "calcite-ir", "units")
    assert "the file does not name its intensity unit" in message
    assert (
        "with the unit in place of ... (absorbance, transmittance or percent_transmittance)"
    ) in message
    state, as_raman = _commands(message)
    assert state == [
        "forensic", "library", "import", str((lib / "ir" / "calcite-ir.jdx").resolve()),
        "--library", str(lib.resolve()), "--name", "Calcite", "--id", "calcite-ir",
        "--source", "ATR, lab 3, it's ours", "--licence", "CC BY 4.0", "--y-unit", "...",
        "--force",
    ]  # fmt: skip
    assert as_raman[-2:] == ["--modality", "raman"] and "--id" not in as_raman
    before = (lib / "manifest.csv").read_bytes()
    unfilled = _paste(state, "...")
    assert unfilled.exit_code == 2 and "'...' is not one of 'absorbance'" in unfilled.output
    assert (lib / "manifest.csv").read_bytes() == before
    done = _paste(state, "absorbance")
    assert done.exit_code == 0, done.output
    assert "replaced measured reference Calcite (calcite-ir) (--force)" in done.output
    assert _findings(lib, "calcite-ir", "units") == []
    row = next(r for r in curation.read_manifest(lib / "manifest.csv") if r["id"] == "calcite-ir")
    assert (row["name"], row["source"], row["licence"], row["cas"]) == (
        "Calcite", "ATR, lab 3, it's ours", "CC BY 4.0", "471-34-1",
    )  # fmt: skip
    reference = forensic.read_spectrum(lib / row["file"])
    assert reference.y_unit == "absorbance"
    # imported again from the library's own file: the origin is still the file first imported
    assert reference.metadata["imported_file"] == str(raw.resolve())


def _calcite_like(path, band=1420.0):
    """Absorbance bands on a baseline that rises to a plateau, no unit named and nothing that
    says IR: read as IR transmittance, both from the numbers."""
    axis = np.arange(450.0, 3950.0, 2.0)
    values = 0.2 + 0.6 * (1.0 - np.exp(-(axis - 450.0) / 900.0))
    values += 0.1 * np.exp(-(((axis - band) / 30.0) ** 2))
    path.write_text("\n".join(f"{x:.1f} {y:.5f}" for x, y in zip(axis, values, strict=True)))
    return path


def test_import_of_a_guessed_unit_says_validate_fails_it_and_what_fixes_it(lib, tmp_path):
    """It noted "check it, or state it (--y-unit, and --modality if it is not IR)", and
    validate then failed the reference; the import again with --modality raman was refused
    (the same measurement as the reference). Each command it now gives runs and passes. (The
    test's name says no "ir": its folder's name would tell the reader.)"""
    raw = _calcite_like(tmp_path / "calcite.txt")
    options = ["--library", lib, "--name", "Calcite", "--licence", "MIT", "--source", "ATR"]
    imported = run("import", raw, *options)
    assert imported.exit_code == 0, imported.output
    assert imported.stderr.splitlines() == [
        "note: calcite.txt: the file does not name its intensity unit; read as transmittance "
        "(guessed from the numbers: intensities dip from a baseline, all within 0..1 "
        "(transmittance)), which 'forensic library validate' fails until it is stated: run the "
        "import again with --y-unit UNIT --force, UNIT the unit it is in (absorbance, "
        "transmittance or percent_transmittance)",
        "note: calcite.txt: the file does not say whether it is Raman or IR either; read as ir "
        "(numbers: intensities dip from a baseline, all within 0..1 (transmittance)): its "
        "intensity unit, once stated, says it is IR; if it is raman: `forensic library import "
        f"{lib}/ir/calcite-ir.jdx --library {lib} --name Calcite --source ATR --licence MIT "
        "--modality raman` (it replaces the ir reference calcite-ir, whose row and file "
        "ir/calcite-ir.jdx go)",
    ]
    assert curation.validate_library(lib, only=["calcite-ir"]).gate("units").status == "fail"
    # if it is Raman: the command printed, pasted
    as_raman = tmp_path / "as-raman"
    shutil.copytree(lib, as_raman)
    (words,) = _commands(imported.stderr.replace(str(lib), str(as_raman)))
    pasted = _paste(words)
    assert pasted.exit_code == 0, pasted.output
    units = curation.validate_library(as_raman, only=["calcite-raman"]).gate("units")
    assert units.status == "pass", units.findings
    # if it is IR: the import again, its unit stated
    again = run("import", raw, *options, "--y-unit", "transmittance", "--force")
    assert again.exit_code == 0, again.output
    assert "intensity unit" not in again.stderr and "Raman or IR" not in again.stderr
    assert curation.validate_library(lib, only=["calcite-ir"]).gate("units").status == "pass"


def test_an_import_of_several_files_tells_the_import_again_of_those_whose_unit_is_guessed(
    lib, tmp_path
):
    """A folder of two files that do not name their unit and one that does was told "run the
    import again with --y-unit UNIT --force": run so, --y-unit was refused for the file that
    names its unit (absorbance), and nothing was written. The note names its files in the
    command to run, which imports them alone; the other file's reference is left as it was."""
    folder = tmp_path / "incoming"
    folder.mkdir()
    calcite = _calcite_like(folder / "calcite.txt")
    gypsum = _calcite_like(folder / "gypsum.txt", band=1120.0)
    ester = make_spectrum(
        [(760, 0.8, 14), (1180, 1.0, 18), (1720, 0.6, 16)], start=450, stop=3950, modality="ir"
    )
    write_spectrum(ester.with_metadata(name="Novel ester"), folder / "ester.jdx")
    options = ["--library", lib, "--source", "ATR, lab 3", "--licence", "MIT"]
    imported = run("import", folder, *options)
    assert imported.exit_code == 0, imported.output
    unit_notes = [
        line
        for line in imported.stderr.splitlines()
        if "intensity unit" in line and "Raman or IR" not in line
    ]
    assert unit_notes == [
        "note: calcite.txt, gypsum.txt: the file does not name its intensity unit; read as "
        "transmittance (guessed from the numbers: intensities dip from a baseline, all within "
        "0..1 (transmittance)), which 'forensic library validate' fails until it is stated: run "
        "the import again of those files alone, UNIT the unit they are in (absorbance, "
        "transmittance or percent_transmittance; files in different units, an import of each "
        f"unit's): `forensic library import {calcite} {gypsum} --library {lib} --source 'ATR, "
        "lab 3' --licence MIT --y-unit UNIT --force`"
    ]
    ester_file = lib / "ir" / "novel-ester-ir.jdx"
    ester_bytes = ester_file.read_bytes()
    (ester_row,) = [
        line for line in (lib / "manifest.csv").read_text().splitlines() if "ester" in line
    ]
    # the import again as it was run, unit stated, is refused for the file that names its own
    refused = run("import", folder, *options, "--y-unit", "transmittance", "--force")
    assert refused.exit_code == 2
    assert "ester.jdx: the file names its intensity unit, absorbance" in refused.output
    # the command the note gives, pasted, its unit filled in
    (words,) = _commands(unit_notes[0])
    pasted = _paste(["transmittance" if word == "UNIT" else word for word in words])
    assert pasted.exit_code == 0, pasted.output
    assert pasted.stdout.splitlines()[:-1] == [
        "replaced measured reference calcite (calcite-ir) (--force)",
        "replaced measured reference gypsum (gypsum-ir) (--force)",
        "imported ir/calcite-ir.jdx: calcite (ir, id calcite-ir)",
        "imported ir/gypsum-ir.jdx: gypsum (ir, id gypsum-ir)",
    ]
    assert "intensity unit" not in pasted.stderr
    for entry in ("calcite-ir", "gypsum-ir"):
        units = curation.validate_library(lib, only=[entry]).gate("units")
        assert units.status == "pass", units.findings
    rows = curation.list_entries(curation.open_library(lib))
    assert {r["id"]: r["source"] for r in rows if r["id"] in ("calcite-ir", "gypsum-ir")} == {
        "calcite-ir": "ATR, lab 3",
        "gypsum-ir": "ATR, lab 3",
    }
    # the reference of the file that named its unit is as it was
    assert ester_file.read_bytes() == ester_bytes
    assert ester_row in (lib / "manifest.csv").read_text().splitlines()


def test_validate_prints_the_imports_that_state_a_guessed_modality_and_they_run(lib, tmp_path):
    # a headerless ATR export cut at 3500 cm-1: nothing says IR, and the numbers read as Raman
    ir = make_spectrum([(760, 0.8, 14), (1180, 1.0, 18), (1720, 0.6, 16)], start=650, stop=3500)
    cut = tmp_path / "sample9.csv"
    cut.write_text(
        "".join(f"{x:.2f},{y:.5f}\n" for x, y in zip(ir.wavenumber, ir.intensity, strict=True))
    )
    imported = run("import", cut, "--library", lib, "--name", "Caffeine", "--licence", "MIT")
    assert imported.exit_code == 0, imported.output
    (message,) = _findings(lib, "caffeine-raman", "units")
    assert "raman was told from the numbers" in message
    as_raman, as_ir = _commands(message)
    assert as_raman[as_raman.index("--id") + 1] == "caffeine-raman"
    assert as_raman[-3:] == ["--modality", "raman", "--force"]
    assert as_ir[-4:] == ["--modality", "ir", "--y-unit", "..."] and "--id" not in as_ir
    assert (
        "(it replaces the raman reference caffeine-raman, whose row and file "
        "raman/caffeine-raman.jdx go)"
    ) in message
    # it is IR: imported as the IR reference (the modelled one goes), and the Raman row and
    # file go with it, as the message says: one spectrum is one reference
    done = _paste(as_ir, "absorbance")
    assert done.exit_code == 0, done.output
    assert "imported ir/caffeine-ir.jdx: Caffeine (ir" in done.output
    assert (
        "replaced measured reference Caffeine (caffeine-raman, raman/caffeine-raman.jdx): its "
        "file was imported again under another id"
    ) in done.output
    assert "caffeine-raman" not in {r["id"] for r in curation.read_manifest(lib / "manifest.csv")}
    assert not (lib / "raman" / "caffeine-raman.jdx").exists()
    assert _findings(lib, "caffeine-ir", "units") == []
    assert forensic.read_spectrum(lib / "ir" / "caffeine-ir.jdx").metadata["imported_file"] == (
        str(cut.resolve())
    )


def test_validate_prints_the_import_that_states_a_cas_number_and_it_runs(lib, tmp_path):
    path = measured_paracetamol(tmp_path / "para.jdx")
    done = run("import", path, "--library", lib, "--name", "Paracetamol", "--licence", "MIT")
    assert done.exit_code == 0, done.output
    rows = curation.read_manifest(lib / "manifest.csv")
    for row in rows:
        if row["id"] == "paracetamol-raman":
            row["cas"] = "58-08-2"  # the row now says another number than the file
    curation.write_manifest(lib / "manifest.csv", rows)
    (message,) = [m for m in _findings(lib, "paracetamol-raman", "metadata") if "gives CAS" in m]
    assert message.startswith(
        "raman/paracetamol-raman.jdx gives CAS 103-90-2, the manifest row 58-08-2: one is wrong"
    )
    assert "with the number in place of ... (103-90-2, the file's, or 58-08-2, the row's)" in (
        message
    )
    (state,) = _commands(message)
    assert state[-3:] == ["--cas", "...", "--force"]
    before = (lib / "manifest.csv").read_bytes()
    unfilled = _paste(state, "...")
    assert unfilled.exit_code == 2
    assert "'...' is the place the printed command left for you to fill in" in unfilled.output
    assert (lib / "manifest.csv").read_bytes() == before
    done = _paste(state, "103-90-2")
    assert done.exit_code == 0, done.output
    assert _findings(lib, "paracetamol-raman", "metadata") == []
    # a modelled reference is not imported: its hint is to correct the row
    rows = curation.read_manifest(lib / "manifest.csv")
    for row in rows:
        if row["id"] == "caffeine-ir":
            row["cas"] = "58-55-9"
            line = row.line
    curation.write_manifest(lib / "manifest.csv", rows)
    (modelled,) = [m for m in _findings(lib, "caffeine-ir", "metadata") if "gives CAS" in m]
    assert not _commands(modelled)
    assert modelled.endswith(
        f"one is wrong; correct the row (manifest line {line}) if the file's is right; if the "
        "row's is, the modelled file is made again from its source (an import takes only "
        "measured spectra)"
    )


def test_a_reference_listed_by_hand_is_said_to_move_where_the_printed_import_writes_it(
    lib, tmp_path
):
    axis = np.arange(450.0, 3950.0, 2.0)
    values = 0.2 + 0.6 * (1.0 - np.exp(-(axis - 450.0) / 900.0))
    values += 0.1 * np.exp(-(((axis - 1420.0) / 30.0) ** 2))
    listed = lib / "ir" / "calcite export.txt"
    listed.write_text("\n".join(f"{x:.1f} {y:.5f}" for x, y in zip(axis, values, strict=True)))
    rows = curation.read_manifest(lib / "manifest.csv")
    rows.append(
        {"id": "calcite-ir", "file": "ir/calcite export.txt", "name": "Calcite", "cas": "471-34-1",
         "class": "excipient", "modality": "ir", "provenance": "measured", "source": "ATR",
         "licence": "MIT", "added_by": "A. Chemist", "added_at": "2026-11-22"}
    )  # fmt: skip
    curation.write_manifest(lib / "manifest.csv", rows)
    (message,) = _findings(lib, "calcite-ir", "units")
    moved = "(the reference then becomes ir/calcite-ir.jdx, and ir/calcite export.txt is removed)"
    assert moved in message
    state = _commands(message)[0]
    assert state[3] == str(listed.resolve())
    done = _paste(state, "absorbance")
    assert done.exit_code == 0, done.output
    assert not listed.exists() and (lib / "ir" / "calcite-ir.jdx").is_file()
    assert _findings(lib, "calcite-ir", "units") == []


def test_import_and_publish_never_default_to_the_shipped_library(tmp_path):
    # a forgotten --library (or FOLDER) edited the library installed with the toolkit
    spectrum = tmp_path / "x.jdx"
    spectrum.write_text("")
    runner = CliRunner()
    imported = runner.invoke(main, ["library", "import", str(spectrum), "--name", "X"])
    assert imported.exit_code == 2 and "--library" in imported.output
    published = runner.invoke(main, ["library", "publish", "--approved-by", "A. Chemist"])
    assert published.exit_code == 2 and "FOLDER" in published.output
    shown = runner.invoke(main, ["library", "publish", "--help"], terminal_width=200)
    assert "FOLDER is required" in " ".join(shown.output.split())


# -- a blank free-text option is refused, never recorded ------------------------------------------


def _files(folder):
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_publish_refuses_blank_notes_before_anything_is_written(lib, tmp_path):
    """``--notes "$NOTES"`` with NOTES not set wrote an empty ``- Notes:`` line into the
    published library's changelog, for good."""
    before = _files(lib)
    for blank in ("", "   ", " \t\n"):
        refused = run("publish", lib, "--approved-by", "Dr. A. Chemist", "--notes", blank)
        assert refused.exit_code == 2
        assert refused.output == (
            "error: --notes is blank: give the text of the changelog entry, or leave --notes "
            "out; nothing was written\n"
        )
    blank_name = run("publish", lib, "--approved-by", "Dr. A. Chemist", "--name", " ")
    assert blank_name.exit_code == 2
    assert blank_name.output == (
        "error: --name is blank: give the library's name, or leave --name out; nothing was "
        "written\n"
    )
    assert _files(lib) == before  # no CHANGELOG.md, no release.json
    assert not (tmp_path / "config").exists()  # and no key made for the approver
    # left out, no Notes line; given, its text
    published = run("publish", lib, "--approved-by", "Dr. A. Chemist", "--notes", " first ")
    assert published.exit_code == 0, published.output
    assert "- Notes: first\n" in (lib / "CHANGELOG.md").read_text()


def test_publish_notes_of_several_lines_stay_in_their_list_item(lib):
    """``--notes`` with line breaks wrote its second line unindented into the changelog's
    list, ending it; a line beginning with ``#`` or ``-`` became a heading or an item. An
    empty line between two paragraphs of the notes, kept in the item, made the whole list a
    loose one (each item a paragraph, spaced apart): the paragraphs are now apart by hard
    line breaks (a line ending in a backslash, and one holding only one)."""
    notes = "Measured spectra of batch 7.\r\n# 2 of them re-measured\n\n\n  - see lab book 12  \n"
    published = run("publish", lib, "--approved-by", "Dr. A. Chemist", "--notes", notes)
    assert published.exit_code == 0, published.output
    changelog = (lib / "CHANGELOG.md").read_text()
    release = json.loads((lib / "release.json").read_text())
    key = curation.check_approval(release).key_fingerprint
    version = release["version"]
    entry = (
        f"## {release['published_at']} — version {version[:12]}\n"
        "\n"
        f"- Version: `{version}`\n"
        "- Name in results and reports: lib\n"
        "- 8 substances, 10 references (2 ir, 8 raman); 4 modelled, 6 simulated\n"
        "- Validation: all gates passed (`forensic library validate`)\n"
        "- First version published with `forensic library publish` (no earlier release.json): "
        "10 entries recorded as the baseline\n"
        "- Notes: Measured spectra of batch 7.\n"
        "  \\# 2 of them re-measured\\\n"
        "  \\\n"
        "  \\- see lab book 12\n"
        "\n"
        "approved by: Dr. A. Chemist\n"
        f"signed with key: {key} (Ed25519, SHA-256 of the public key)\n"
    )
    assert changelog == (
        "# Changelog of the reference library\n\nEach published version: what changed, and who "
        "approved it.\n\n" + entry
    )
    # the list is tight: no empty line from its first item to its last
    listed = entry.split("\n\n")[1]
    assert listed.startswith("- Version: ") and listed.endswith("see lab book 12")
    assert f"{entry.rstrip()}\npublished version {version}," in published.output
    # what reads the publication back reads it as published
    info = run("info", lib)
    assert info.exit_code == 0, info.output
    assert "published   yes: this version, " in info.output
    assert run("diff", lib, lib).exit_code == 0


def test_a_backslash_ending_a_line_of_the_notes_stays_text():
    # a path ending in a backslash at the end of a line would break the line, and take the
    # paragraph break's backslash for its own
    from forensic.curation.publish import _list_item_text  # noqa: PLC0415

    assert _list_item_text("saved in C:\\lab\\\n\nre-measured") == (
        "saved in C:\\lab\\\\\\\n  \\\n  re-measured"
    )
    assert _list_item_text("one\n\n\n\ntwo\nthree") == "one\\\n  \\\n  two\n  three"


@pytest.mark.parametrize(
    ("command", "option"),
    [
        ("publish", "--notes"),
        ("publish", "--name"),
        ("publish", "--approved-by"),
        ("build", "--name"),
    ],
)
def test_publish_and_build_refuse_the_placeholder_of_a_printed_command(
    lib, tmp_path, command, option
):
    """A ``...`` pasted from a printed command was published as the changelog's notes or the
    library's name (import refused it already)."""
    before = _files(lib)
    out = tmp_path / "lib.flib"
    given = ["--approved-by", "Dr. A. Chemist"] if command == "publish" else ["--out", out]
    for placeholder in ("...", " \u2026 "):
        refused = run(command, lib, *given, option, placeholder)
        assert refused.exit_code == 2
        assert (
            f"Invalid value for '{option}': {placeholder.strip()!r} is the place the printed "
            f"command left for you to fill in: give {option} its value; nothing was recorded"
        ) in refused.output
    assert _files(lib) == before and not out.exists()
    assert not (tmp_path / "config").exists()


def test_build_refuses_a_blank_name(lib, tmp_path):
    out = tmp_path / "lib.flib"
    refused = run("build", lib, "--out", out, "--name", "\t", "--no-calibration")
    assert refused.exit_code == 2
    assert refused.output == (
        "error: --name is blank: give the library's name, or leave --name out; nothing was "
        "written\n"
    )
    assert not out.exists()


@pytest.mark.parametrize(
    ("option", "what"),
    [
        ("--name", "the substance's name"),
        ("--cas", "the substance's CAS number"),
        ("--class", "the substance's class"),
        ("--synonyms", "the substance's other names (separated by ';')"),
        ("--salt-form", "the substance's salt form"),
        ("--legal-control", "the substance's legal control"),
        ("--added-by", "who adds the spectra"),
        ("--source", "where the spectra come from (instrument, sample, lab)"),
        ("--licence", "the licence of the spectra"),
        ("--id", "the id of the new entry"),
    ],
)
def test_import_refuses_a_blank_option_it_would_record(lib, tmp_path, option, what):
    """``--name '  '`` imported a reference named '  ' (id reference-raman); a blank
    ``--source``, ``--licence``, ``--class`` or ``--added-by`` was recorded blank, and a blank
    ``--synonyms`` wiped the synonyms the library's substance has from the new row."""
    spectrum = write_spectrum(synthetic_spectrum(1, seed=70), tmp_path / "betaine.jdx")
    before = _files(lib)
    refused = run("import", spectrum, "--library", lib, option, "  ")
    assert refused.exit_code == 2
    assert refused.output == (
        f"error: not imported: {option} is blank: give {what}, or leave {option} out; nothing "
        "was written\n"
    )
    assert _files(lib) == before


def test_import_says_every_blank_option_at_once(lib, tmp_path):
    spectrum = write_spectrum(synthetic_spectrum(1, seed=70), tmp_path / "betaine.jdx")
    refused = run("import", spectrum, "--library", lib, "--source", "", "--synonyms", " ; ")
    assert refused.exit_code == 2
    assert refused.output == (
        "error: not imported: --synonyms is blank: give the substance's other names (separated "
        "by ';'), or leave --synonyms out; --source is blank: give where the spectra come from "
        "(instrument, sample, lab), or leave --source out; nothing was written\n"
    )


def test_a_csv_not_saying_its_modality_is_told_at_import_what_validate_will_ask(lib, tmp_path):
    """A paracetamol-like CSV with no word of its modality was imported saying only "check
    it, or state it (--modality)", and library validate then failed its units gate. (The
    test's name says no "raman": its folder's name would tell the reader.)"""
    measured = forensic.read_spectrum(measured_paracetamol(tmp_path / "para.jdx"))
    csv = tmp_path / "paracetamol.csv"
    csv.write_text(
        "wavenumber,intensity\n"
        + "".join(
            f"{x:.2f},{y:.5f}\n"
            for x, y in zip(measured.wavenumber, measured.intensity, strict=True)
        )
    )
    options = ["--library", lib, "--name", "Paracetamol", "--source", "bench", "--licence", "MIT"]
    imported = run("import", csv, *options)
    assert imported.exit_code == 0, imported.output
    # as IR, the same file again is refused (one measurement, two references): the import
    # of the reference's own file is the one that makes it IR
    assert imported.stderr == (
        "note: paracetamol.csv: the file does not say whether it is Raman or IR; read as raman "
        "(numbers: axis starts at 200 cm-1, below the mid-IR range), which 'forensic library "
        "validate' fails until it is stated: if it is raman, run the import again with "
        "--modality raman --force; if it is ir: `forensic library import "
        f"{lib}/raman/paracetamol-raman.jdx --library {lib} --name Paracetamol --source bench "
        "--licence MIT --modality ir --y-unit ...` with the unit in place of ... (absorbance, "
        "transmittance or percent_transmittance) (it replaces the raman reference "
        "paracetamol-raman, whose row and file raman/paracetamol-raman.jdx go)\n"
    )
    units = curation.validate_library(lib, only=["paracetamol-raman"]).gate("units")
    assert units.status == "fail"
    as_ir = tmp_path / "as-ir"
    shutil.copytree(lib, as_ir)
    (ir_words,) = _commands(imported.stderr.replace(str(lib), str(as_ir)))
    pasted = _paste(ir_words, "absorbance")
    assert pasted.exit_code == 0, pasted.output
    units = curation.validate_library(as_ir, only=["paracetamol-ir"]).gate("units")
    assert units.status == "pass", units.findings
    held = {r["id"] for r in curation.list_entries(curation.open_library(as_ir))}
    assert "paracetamol-ir" in held and "paracetamol-raman" not in held
    again = run("import", csv, *options, "--modality", "raman", "--force")  # as the note says
    assert again.exit_code == 0, again.output
    assert "Raman or IR" not in again.stderr
    units = curation.validate_library(lib, only=["paracetamol-raman"]).gate("units")
    assert units.status == "pass"


def test_info_says_what_each_modality_s_verdicts_are_decided_by():
    # the shipped library: one reference a substance, fewer than MIN_LEFT_OUT, keeps the floor
    # and says by how much its own left-out references find it wrong
    info = json.loads(run("info", "--json").output)
    text = run("info").output
    for modality in ("ir", "raman"):
        cal = info["calibration"][modality]
        assert cal["method"] == CALIBRATION_METHOD and cal["margin_min"] == MARGIN_MIN
        assert cal["margin_from"] == "too few references" and cal["left_out"] < MIN_LEFT_OUT
        assert (
            f"verdicts    {modality}: identified at a score of {cal['score_identified']:.3f} or "
            f"more (q-value <= 0.05) and 0.02 or more above the best different substance (the "
            f"floor: its {cal['left_out']} references, fewer than {MIN_LEFT_OUT}, are too few "
            f"to choose from; by their estimate {cal['share_wrong']:.1%} "
            f"(± {cal['standard_error']:.1%}) of identifications are wrong)\n"
        ) in text
        assert cal["draws"] == 3 and 0 < cal["standard_error"] < cal["share_wrong"]


def test_info_of_an_uncalibrated_library_says_so(tmp_path, lib):
    out = tmp_path / "plain.flib"
    assert run("build", lib, "--out", out, "--no-calibration").exit_code == 0
    info = json.loads(run("info", out, "--json").output)
    assert info["calibration"] == {"ir": None, "raman": None}
    lines = [line for line in run("info", out).output.splitlines() if line.startswith("verdicts")]
    assert lines == [
        f"verdicts    {m}: not calibrated: its hits get no q-value, and no verdict is identified"
        for m in ("ir", "raman")
    ]


def test_the_margin_line_says_where_the_margin_came_from(lib):
    calibration = open_reference_library(lib).blocks["raman"].calibration
    chose = json.loads(json.dumps(calibration))  # a deep copy, as a file would give it
    chose["margin_min"] = 0.1
    chose["empirical"]["left_out"].update(
        reached=True, n_absent=1730, share_wrong=0.049, standard_error=0.0065, draws=3
    )
    said = calibration_info(chose)
    assert said["margin_from"] == "left-out references" and said["margin_min"] == 0.1
    assert _calibration_line(said).endswith(
        "and 0.1 or more above the best different substance (chosen from its 1730 references "
        "each left out, as 3 simulated re-measurements; by their estimate 4.9% (± 0.7%) of "
        "identifications are wrong)"
    )
    # a library calibrated by method 6 searched its references as stored, and said no error
    for key in ("standard_error", "draws"):
        del chose["empirical"]["left_out"][key]
    chose["margin_min"] = 0.15
    chose["empirical"]["left_out"].update(share_wrong=0.046)
    assert _calibration_line(calibration_info(chose)).endswith(
        "and 0.15 or more above the best different substance (chosen from its 1730 references "
        "each left out; by their estimate 4.6% of identifications are wrong)"
    )
    before = {k: v for k, v in calibration.items() if k != "margin_min"}
    assert _calibration_line(calibration_info(before)).endswith(
        "and 0.02 or more above the best different substance (calibrated before libraries "
        "chose it: build the library again)"
    )
