"""The compiled library: matrix layout, save/load round trip, content version, folders, cache."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import struct
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from library_helpers import replicates_spc
from synthetic import make_spectrum

import forensic.library as library_module
import forensic.library_folders as library_folders
import spectral_library
from forensic.cli import main
from forensic.errors import IdentificationError, LibraryError
from forensic.files import OutputError
from forensic.io import write_spectrum
from forensic.library import Library, ModalityBlock, substance_key
from forensic.library_folders import open_reference_library, shipped_library, spectrum_files
from forensic.processing import (
    default_pipeline,
    linear_from_representation,
    split_representation,
)
from forensic.search import breakpoint_cumsums, ranges_to_mask, score_batch
from forensic.spectrum import Spectrum

BAND_SETS = {
    "caffeine": [(555.0, 0.6, 8.0), (1330.0, 1.0, 8.0), (1700.0, 0.4, 10.0)],
    "cocaine": [(870.0, 0.5, 8.0), (1005.0, 1.0, 6.0), (1600.0, 0.4, 8.0), (1715.0, 0.3, 10.0)],
    "lidocaine": [(650.0, 0.4, 8.0), (1040.0, 0.5, 8.0), (1270.0, 0.9, 8.0), (1450.0, 0.7, 10.0)],
    "sucrose": [(420.0, 0.5, 10.0), (840.0, 1.0, 8.0), (1130.0, 0.6, 10.0)],
}


def references(modality="raman", **kw):
    return [
        make_spectrum(bands, name=name, modality=modality, seed=i, noise=0.005, **kw)
        for i, (name, bands) in enumerate(BAND_SETS.items())
    ]


def test_from_spectra_builds_one_float32_matrix_zero_outside_ranges():
    spectra = [*references(), make_spectrum(BAND_SETS["cocaine"], start=600, stop=1800, name="x")]
    lib = Library.from_spectra(spectra, calibrate=False)
    block = lib.block("raman")
    assert block.matrix.dtype == np.float32
    assert block.matrix.shape == (5, block.grid.size)
    assert block.grid[block.start[4]] == pytest.approx(600.0)
    assert block.grid[block.stop[4] - 1] == pytest.approx(1800.0)
    assert not block.matrix[4, : block.start[4]].any()
    assert not block.matrix[4, block.stop[4] :].any()
    np.testing.assert_array_equal(block.valid[4], block.matrix[4] != 0)
    assert [e["name"] for e in lib.entries] == [*BAND_SETS, "x"]
    assert lib.entries[0]["provenance"] == "measured"
    assert len({e["entry_id"] for e in lib.entries}) == 5
    with pytest.raises(LibraryError, match="has no ir references"):
        lib.block("ir")


def test_from_spectra_leaves_inputs_unchanged_and_skips_unusable_ones():
    spectra = references()
    before = [s.intensity.copy() for s in spectra]
    outside = make_spectrum(start=3600, stop=4600, name="far away")  # beyond the grid
    lib = Library.from_spectra([*spectra, outside], calibrate=False)
    for s, y in zip(spectra, before, strict=True):
        np.testing.assert_array_equal(s.intensity, y)
    assert len(lib) == 4
    assert lib.skipped and "points of the grid" in lib.skipped[0][1]
    with pytest.raises(LibraryError, match="no reference could be read"):
        Library.from_spectra([outside], calibrate=False)


def test_from_spectra_refuses_a_pipeline_it_would_not_use_and_what_is_no_spectrum():
    # pipelines={"Raman": ...} was passed over, and the library built with the default one;
    # a path among the spectra failed as "'str' object has no attribute 'metadata'"
    custom = default_pipeline("raman").with_params("remove_baseline", lam=1e7)
    with pytest.raises(LibraryError) as refused:
        Library.from_spectra(references(), pipelines={"Raman": custom}, calibrate=False)
    assert (
        str(refused.value) == "pipelines names the modality 'Raman'; the modalities are raman, ir"
    )
    with pytest.raises(TypeError) as refused:
        Library.from_spectra(references(), pipelines={"raman": custom.to_dict()}, calibrate=False)
    assert str(refused.value) == (
        "the raman pipeline must be a forensic.processing.Pipeline "
        "(default_pipeline('raman').with_params(...) makes one), got dict"
    )
    with pytest.raises(TypeError) as refused:
        Library.from_spectra([*references(), "exhibit.jdx"], calibrate=False, workers=1)
    assert str(refused.value) == (
        "spectra must be forensic.Spectrum objects; item 4 is a str "
        "(forensic.read_spectrum(path) reads a file; Library.from_folder builds from files)"
    )
    built = Library.from_spectra(references(), pipelines={"raman": custom}, calibrate=False)
    assert built.block("raman").pipeline == custom


def test_from_spectra_leaves_out_what_identify_could_not_compare():
    """One rule for a reference and a query: a spectrum whose comparison identify calls
    meaningless (axis not in cm-1, IR unit or values that are no absorbance, upside down) is
    never built into a library, where it could not find its own substance."""
    from forensic import identify  # noqa: PLC0415

    ir = references("ir", start=500, stop=3900)
    nm_axis = make_spectrum([(850, 1.0, 3)], start=790, stop=1000, step=0.2, name="in nm")
    reflectance = ir[0].replace(y_unit="reflectance").with_metadata(name="reflectance")
    upside_down = ir[1].with_intensity(-ir[1].intensity, "negate").with_metadata(name="negated")
    percent_as_absorbance = (
        ir[2].with_intensity(100 - 60 * ir[2].intensity, "to percent").with_metadata(name="pct")
    )
    bad = [nm_axis, reflectance, upside_down, percent_as_absorbance]
    lib = Library.from_spectra([*references(), *ir, *bad], calibrate=False)
    assert len(lib) == 8
    assert [name for name, _ in lib.skipped] == ["in nm", "reflectance", "negated", "pct"]
    assert all(why.endswith(": not built into the library") for _, why in lib.skipped)
    assert "wavelength in nm" in lib.skipped[0][1]
    assert "reflectance" in lib.skipped[1][1]
    assert "upside down" in lib.skipped[2][1] or "inverted" in lib.skipped[2][1]
    assert "absorbance" in lib.skipped[3][1]
    # each is refused as a query too: too far off the grid to compare, or unusable
    with pytest.raises(IdentificationError, match="wavelength in nm"):
        identify(nm_axis, lib, mixtures=False)
    for spectrum in bad[1:]:
        assert identify(spectrum, lib, mixtures=False).unusable


def test_save_load_round_trip_memory_maps(tmp_path):
    lib = Library.from_spectra(references() + references("ir", start=500, stop=3900))
    path = lib.save(tmp_path / "lib.flib")
    again = Library.load(path)
    assert again.version == lib.version
    assert again.verify()
    assert isinstance(again.block("raman").matrix, np.memmap)
    for m in ("raman", "ir"):
        np.testing.assert_array_equal(again.block(m).matrix, lib.block(m).matrix)
        np.testing.assert_array_equal(again.block(m).start, lib.block(m).start)
        assert again.block(m).pipeline == lib.block(m).pipeline
        assert again.block(m).calibration == lib.block(m).calibration
    assert lib.block("raman").calibration is not None
    assert again.entries == lib.entries
    with pytest.raises(LibraryError) as refused:
        lib.save(path)
    said = f"{path}: already exists; not overwritten (pass overwrite=True to replace it)"
    assert str(refused.value) == said
    lib.save(path, overwrite=True)


def test_version_is_a_reproducible_content_hash():
    a = Library.from_spectra(references(), calibrate=False)
    b = Library.from_spectra(references(), calibrate=False)
    assert a.version == b.version and len(a.version) == 64
    renamed = references()
    renamed[0] = renamed[0].with_metadata(name="theine")
    assert Library.from_spectra(renamed, calibrate=False).version != a.version
    noisier = [make_spectrum(BAND_SETS["caffeine"], name="caffeine", noise=0.05)]
    assert Library.from_spectra(noisier, calibrate=False).version != a.version


def test_parallel_build_equals_in_process_build(monkeypatch):
    monkeypatch.setattr(library_module, "_PARALLEL_MIN", 4)
    spectra = [
        make_spectrum([(300.0 + 20 * i, 1.0, 8.0), (900.0 + 13 * i, 0.5, 9.0)], name=f"s{i}")
        for i in range(8)
    ]
    serial = Library.from_spectra(spectra, calibrate=False, workers=1)
    parallel = Library.from_spectra(spectra, calibrate=False, workers=2)
    assert serial.version == parallel.version


@pytest.mark.parametrize("workers", [1, 2])
def test_a_streamed_build_holds_one_chunk_of_raw_spectra_at_a_time(monkeypatch, workers):
    import weakref  # noqa: PLC0415

    monkeypatch.setattr(library_module, "_PARALLEL_MIN", 2)
    monkeypatch.setattr(library_module, "_BUILD_CHUNK", 3)
    alive = [0]
    most = [0]

    def forget(_):
        alive[0] -= 1

    def spectra():
        for i in range(11):
            if i == 5:  # one that cannot be preprocessed, mid-stream: skipped, not fatal
                yield make_spectrum([(3550.0, 1.0, 8.0)], start=3500.0, stop=3600.0, name="short")
                continue
            s = make_spectrum([(300.0 + 20 * i, 1.0, 8.0), (900.0, 0.5, 9.0)], name=f"s{i}")
            alive[0] += 1
            weakref.finalize(s.intensity, forget, None)
            most[0] = max(most[0], alive[0])
            yield s

    streamed = Library.from_spectra(spectra(), calibrate=False, workers=workers)
    # the generator's raw spectra were let go chunk by chunk (3 at a time, and the one being
    # made): never all ten at once
    assert most[0] <= 2 * 3 + 1
    whole = Library.from_spectra(list(spectra()), calibrate=False, workers=1)
    assert streamed.version == whole.version
    assert len(streamed) == 10
    assert [label for label, _ in streamed.skipped] == ["short"]


def test_a_folder_read_in_chunks_gives_the_same_library(tmp_path, monkeypatch):
    _write_folder(tmp_path)
    whole = Library.from_folder(tmp_path, calibrate=False)
    monkeypatch.setattr(library_module, "_BUILD_CHUNK", 2)
    monkeypatch.setattr(library_module, "_PARALLEL_MIN", 2)
    chunked = Library.from_folder(tmp_path, calibrate=False, workers=2)
    assert chunked.version == whole.version
    assert [Path(path).name for path, _ in chunked.skipped] == ["broken.jdx"]


def test_the_shipped_library_is_recompiled_when_the_calibration_method_changes(monkeypatch):
    from forensic.processing import default_pipeline  # noqa: PLC0415

    folder = Path(spectral_library.LIBRARY_DIR)
    pipes = {m: default_pipeline(m) for m in ("raman", "ir")}
    key = library_folders._folder_key(folder, pipes)
    monkeypatch.setattr(library_module, "CALIBRATION_METHOD", library_module.CALIBRATION_METHOD + 1)
    assert library_folders._folder_key(folder, pipes) != key


@pytest.mark.parametrize("modality", ["raman", "ir"])
def test_calibration_scores_its_queries_as_the_search_scores_a_query(modality):
    # the calibration's spectra go through the pipeline's comparison representation each over
    # its own range, as a query through the pipeline itself: same scores, edges included
    lib = Library.from_spectra(references(modality, start=480, stop=2600), calibrate=False)
    block = lib.block(modality)
    starts, stops = np.asarray(block.start), np.asarray(block.stop)
    linear = np.stack(
        [
            linear_from_representation(np.asarray(block.matrix[r], float), a, b, block.pipeline)
            for r, (a, b) in enumerate(zip(starts, stops, strict=True))
        ]
    )
    _, tail = split_representation(block.pipeline)
    as_queries = np.zeros_like(linear)
    for r, (a, b) in enumerate(zip(starts, stops, strict=True)):
        part = Spectrum(block.grid[a:b], linear[r, a:b], modality=modality)
        as_queries[r, a:b] = tail(part).intensity
    refs = as_queries.astype(np.float32)
    expected = score_batch(as_queries, starts, stops, refs, starts, stops, breakpoint_cumsums(refs))
    valid = ranges_to_mask(starts, stops, block.grid.size)
    score = library_module._representation_score_fn(block.pipeline)
    np.testing.assert_allclose(score(linear, valid, linear, valid), expected, atol=1e-7)


def test_load_refuses_files_that_are_not_libraries(tmp_path):
    bogus = tmp_path / "bogus.flib"
    bogus.write_bytes(b"hello")
    with pytest.raises(LibraryError, match="not a forensic library file"):
        Library.load(bogus)
    with pytest.raises(LibraryError, match="no such library file"):
        Library.load(tmp_path / "missing.flib")
    lib = Library.from_spectra(references(), calibrate=False)
    path = lib.save(tmp_path / "good.flib")
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(LibraryError, match="truncated library file"):
        Library.load(path)
    with pytest.raises(LibraryError, match="is a folder, not a library file"):
        Library.load(tmp_path)


def test_save_creates_folders_and_says_why_it_cannot_write(tmp_path):
    lib = Library.from_spectra(references(), calibrate=False)
    path = lib.save(tmp_path / "new" / "lib.flib")
    assert path == lib.path == tmp_path / "new" / "lib.flib"
    with pytest.raises(LibraryError, match="already exists"):
        lib.save(path)
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(OutputError) as caught:
        lib.save(tmp_path / "a-file" / "lib.flib")
    assert str(caught.value) == (
        f"{tmp_path / 'a-file' / 'lib.flib'}: {tmp_path / 'a-file'} is a file, not a folder"
    )


def _write_folder(folder: Path) -> None:
    (folder / "raman").mkdir(parents=True)
    for i, (name, bands) in enumerate(BAND_SETS.items()):
        spectrum = make_spectrum(bands, name=name, seed=i, noise=0.005)
        write_spectrum(spectrum, folder / "raman" / f"ref{i}.jdx")
    (folder / "raman" / "broken.jdx").write_text("##TITLE=broken\n##XYDATA=(X++(Y..Y))\n1 2 x\n")
    (folder / "notes.md").write_text("not a spectrum, ignored")


def test_from_folder_reads_names_from_files_and_skips_unreadable(tmp_path):
    _write_folder(tmp_path)
    lib = Library.from_folder(tmp_path, calibrate=False)
    assert sorted(e["name"] for e in lib.entries) == sorted(BAND_SETS)
    assert len(lib.skipped) == 1
    path, reason = lib.skipped[0]
    assert path.endswith("broken.jdx") and reason
    assert "broken.jdx" not in reason and reason.startswith("line 3: ")  # named once, by the list
    assert all(not Path(e["source_file"]).is_absolute() for e in lib.entries)
    again = Library.from_folder(tmp_path, calibrate=False)
    assert again.version == lib.version


def test_from_folder_takes_names_and_metadata_from_a_manifest(tmp_path):
    _write_folder(tmp_path)
    manifest = tmp_path / "manifest.csv"
    with open(manifest, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "file", "name", "synonyms", "cas", "class", "provenance"])
        writer.writerow(
            [
                "r-caf",
                "raman/ref0.jdx",
                "Caffeine",
                "guaranine;theine",
                "58-08-2",
                "cutting agent",
                "modelled",
            ]
        )
    lib = Library.from_folder(tmp_path, manifest, calibrate=False)
    caffeine = next(e for e in lib.entries if e["entry_id"] == "r-caf")
    assert caffeine["name"] == "Caffeine"
    assert caffeine["synonyms"] == ["guaranine", "theine"]
    assert caffeine["cas"] == "58-08-2" and caffeine["provenance"] == "modelled"
    bad = tmp_path / "bad.csv"
    bad.write_text("path,title\nx,y\n")
    with pytest.raises(LibraryError, match="manifest lacks the column"):
        Library.from_folder(tmp_path, bad)


def test_a_file_of_unnamed_spectra_is_skipped_unless_the_manifest_names_it(tmp_path):
    # as in library import: the subfiles of one SPC file are replicates or a series of one
    # sample, not one substance each ("series #1", "series #2", ...)
    _write_folder(tmp_path)
    replicates_spc(tmp_path / "series.spc")
    lib = Library.from_folder(tmp_path, calibrate=False)
    assert sorted(e["name"] for e in lib.entries) == sorted(BAND_SETS)
    reasons = dict((Path(p).name, r) for p, r in lib.skipped)
    assert reasons["series.spc"].startswith(
        "holds 3 spectra (SPC subfiles) and names none of them: "
    )
    # a Python caller is told its argument; library build, its option
    assert (
        "manifest row for the file (manifest='path/to/manifest.csv', with file and name columns)"
    ) in reasons["series.spc"]
    built = CliRunner().invoke(
        main, ["library", "build", str(tmp_path), "--out", str(tmp_path / "x.flib")]
    )
    assert built.exit_code == 0, built.output
    (skipped,) = [line for line in built.stderr.splitlines() if "series.spc" in line]
    assert skipped.startswith(f"skipped {tmp_path / 'series.spc'}: holds 3 spectra")
    assert skipped.endswith(
        "give the name of its substance in a manifest row for the file (--manifest "
        "path/to/manifest.csv, with file and name columns) to build them as references of that "
        "one substance"
    )
    manifest = tmp_path / "list.csv"
    manifest.write_text("file,name\nseries.spc,Alphaine\n")
    named = Library.from_folder(tmp_path, manifest, calibrate=False)
    series = [e for e in named.entries if e["name"] == "Alphaine"]
    assert sorted(e["source_file"] for e in series) == [f"series.spc#{k}" for k in (1, 2, 3)]
    assert "series.spc" not in {Path(p).name for p, _ in named.skipped}


def test_a_library_folder_is_built_with_its_own_manifest(tmp_path):
    _write_folder(tmp_path)
    with open(tmp_path / "manifest.csv", "w", newline="") as handle:
        csv.writer(handle).writerows(
            [
                ["id", "file", "name", "provenance"],
                ["r-caf", "raman/ref0.jdx", "Caffeine", "modelled"],
            ]
        )
    lib = Library.from_folder(tmp_path, calibrate=False)
    (caffeine,) = lib.entries  # exactly what the manifest lists: the other files are no references
    assert caffeine["name"] == "Caffeine" and caffeine["provenance"] == "modelled"
    assert lib.skipped == []  # neither manifest.csv nor the unlisted broken.jdx was read
    # a CSV that only happens to be called manifest.csv is offered to the readers as before
    (tmp_path / "manifest.csv").write_text("wavenumber,intensity\n100,1\n")
    lib = Library.from_folder(tmp_path, calibrate=False)
    assert "manifest.csv" in {Path(p).name for p, _ in lib.skipped}
    assert all(e["entry_id"] != "r-caf" for e in lib.entries)


def test_entries_record_the_unit_and_whether_it_was_guessed():
    axis = np.arange(600.0, 3800.0, 2.0)
    bands = np.exp(-(((axis - 1000.0) / 12.0) ** 2)) + 0.6 * np.exp(
        -(((axis - 1450.0) / 15.0) ** 2)
    )
    named = Spectrum(axis, 0.5 * bands, modality="ir", y_unit="absorbance", metadata={"name": "A"})
    guessed = Spectrum(
        axis,
        1.0 - 0.5 * bands,
        modality="ir",
        y_unit="transmittance",
        metadata={"name": "B", "y_unit_basis": "guessed from the numbers: dips from 1"},
    )
    lib = Library.from_spectra([named, guessed], calibrate=False)
    by_name = {e["name"]: e for e in lib.entries}
    assert by_name["A"]["y_unit"] == "absorbance" and by_name["A"]["y_unit_basis"] == ""
    assert by_name["B"]["y_unit"] == "transmittance"
    assert [e["name"] for e in lib.guessed_units] == ["B"]
    stated = guessed.with_y_unit("transmittance", "stated by the chemist")
    assert Library.from_spectra([named, stated], calibrate=False).guessed_units == []


def test_shipped_library_is_compiled_once_into_the_cache(tmp_path, monkeypatch):
    source = tmp_path / "shipped"
    _write_folder(source)
    monkeypatch.setattr(spectral_library, "LIBRARY_DIR", source)
    monkeypatch.setenv("FORENSIC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(library_folders, "_COMPILED", {})
    lib = shipped_library()
    compiled = list((tmp_path / "cache").glob("*.flib"))
    assert len(compiled) == 1 and len(lib) == 4
    library_folders._COMPILED.clear()
    assert shipped_library().version == lib.version  # loaded from the cache file
    # a changed reference file makes the cache stale: rebuilt under a new key
    write_spectrum(make_spectrum(name="new one"), source / "raman" / "ref9.jdx")
    library_folders._COMPILED.clear()
    assert len(shipped_library()) == 5
    assert len(list((tmp_path / "cache").glob("*.flib"))) == 2


def test_a_library_folder_or_file_is_opened_for_identification(tmp_path, monkeypatch):
    folder = tmp_path / "lab-library"
    _write_folder(folder)
    (folder / "manifest.csv").write_text("file,name\nraman/ref0.jdx,First one\n")
    monkeypatch.setenv("FORENSIC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(library_folders, "_COMPILED", {})
    lib = open_reference_library(folder)
    assert "First one" in {e["name"] for e in lib.entries}
    assert [p.name[:7] for p in (tmp_path / "cache").glob("*.flib")] == ["folder-"]
    library_folders._COMPILED.clear()
    assert open_reference_library(folder).version == lib.version  # from the cache file
    saved = lib.save(tmp_path / "lab.flib")
    assert open_reference_library(saved).version == lib.version
    with pytest.raises(LibraryError, match=r"without manifest\.csv is not a library folder"):
        open_reference_library(folder / "raman")
    with pytest.raises(LibraryError, match="no such library file"):
        open_reference_library(tmp_path / "absent.flib")


def test_substance_key_ignores_case_and_punctuation():
    assert substance_key("Aeschynite-(Y)") == substance_key("aeschyniteY") == "aeschynitey"


def test_substance_key_ignores_the_width_and_composition_of_characters():
    assert substance_key("ＣＯＣＡＩＮＥ") == substance_key("cocaine") == "cocaine"
    assert substance_key("Δ⁹-THC") == substance_key("δ9 thc")
    precomposed = "Metkatinon \u017e"  # ž as one character
    decomposed = "Metkatinon z\u030c"  # z and a combining caron
    assert substance_key(decomposed) == substance_key(precomposed)
    assert substance_key(precomposed) != substance_key("Metkatinon \u0161")  # š
    assert substance_key("---") == "---"


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_substance_key_of_an_ascii_name_is_what_it_was_before_normalisation(name):
    assert substance_key(name) == (re.sub(r"[\W_]", "", name.lower()) or name)


def test_a_full_width_name_is_one_substance_with_its_ascii_name_saved_or_not(tmp_path):
    spectra = references()
    spectra[1] = spectra[1].with_metadata(name="ＣＯＣＡＩＮＥ")  # typed on an East Asian keyboard
    spectra.append(make_spectrum(BAND_SETS["cocaine"], name="cocaine", seed=9, noise=0.005))
    lib = Library.from_spectra(spectra, calibrate=False)
    keys = list(lib.substances("raman"))
    assert keys.count("cocaine") == 2
    # a library file stores names, not keys: it loads, verifies, and groups by the rule
    again = Library.load(lib.save(tmp_path / "lib.flib"))
    assert again.verify() and list(again.substances("raman")) == keys


def test_spectrum_files_leave_out_hidden_files_notes_and_code(tmp_path):
    for rel in ("raman/a.jdx", "ir/deep/b.csv", "README.md", "tool.py", ".git/x.jdx", "c.txt"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    found = [p.relative_to(tmp_path).as_posix() for p in spectrum_files(tmp_path)]
    assert found == ["c.txt", "ir/deep/b.csv", "raman/a.jdx"]


def test_spectrum_files_offer_every_extension_a_reader_registers(tmp_path, monkeypatch):
    # a reader registered for an extension of the notes list (a JSON export) is not overruled
    import forensic.io as io  # noqa: PLC0415

    json_reader = io.Format(
        "acme", "an instrument's JSON", (".json",), lambda h, p: False, list, text=True
    )
    monkeypatch.setattr(io, "_formats", [*io.available_formats(), json_reader])
    wanted = [f"s{ext}" for ext in io.spectrum_extensions()]
    for name in (*wanted, "README.md", "tool.py", "settings.yaml"):
        (tmp_path / name).write_text("x")
    found = [p.name for p in spectrum_files(tmp_path)]
    assert found == sorted(wanted) and "s.json" in found


# -- the version, and the check of a saved file against it ----------------------------------------


@pytest.fixture
def saved(tmp_path, monkeypatch):
    """A two-modality library saved to a file, with a test cache folder."""
    monkeypatch.setenv("FORENSIC_CACHE_DIR", str(tmp_path / "cache"))
    lib = Library.from_spectra(references() + references("ir", start=500, stop=3900))
    return lib, lib.save(tmp_path / "lib.flib")


def _layout(data: bytes) -> tuple[dict, int]:
    """The header of a saved library's bytes and where its arrays start."""
    n = len(library_module._MAGIC)
    (length,) = struct.unpack("<Q", data[n : n + 8])
    return json.loads(data[n + 8 : n + 8 + length]), -(-(n + 8 + length) // 64) * 64


def _with_header(data: bytes, header: dict) -> bytes:
    """The same arrays under another header (offsets are relative to where the arrays start)."""
    _, start = _layout(data)
    head = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    prefix = library_module._MAGIC + struct.pack("<Q", len(head)) + head
    return prefix + b"\0" * (-len(prefix) % 64) + data[start:]


def _flip_array_byte(data: bytes, modality: str, key: str, index: int) -> bytes:
    """``data`` with one bit changed in element ``index`` (flat) of an array."""
    header, start = _layout(data)
    spec = header["blocks"][modality]["arrays"][key]
    offset = start + spec["offset"] + index * np.dtype(spec["dtype"]).itemsize
    changed = bytearray(data)
    changed[offset] ^= 0x01  # the lowest bit of the value: a change no eye would see
    return bytes(changed)


def test_load_refuses_a_file_whose_name_was_altered(saved, tmp_path):
    lib, path = saved
    data = path.read_bytes()
    # the auditor's edit: another substance's name, same length, written over the bytes
    assert data.count(b'"name":"caffeine"') == 2
    tampered = tmp_path / "tampered.flib"
    tampered.write_bytes(data.replace(b'"name":"caffeine"', b'"name":"morphine"', 1))
    for opener in (Library.load, open_reference_library):
        with pytest.raises(
            LibraryError,
            match=r"tampered\.flib: damaged or altered library file, not used: .*"
            + lib.version
            + r" \(hash rule 2\) in its raman entries \(names[^;]*\)\. Get the published",
        ):
            opener(tampered)
    assert Library.load(path).version == lib.version  # the file it was copied from is sound


def test_load_refuses_a_file_whose_spectrum_or_search_sums_were_altered(saved, tmp_path):
    lib, path = saved
    data = path.read_bytes()
    block = lib.block("raman")
    row = 2
    column = int(np.flatnonzero(block.matrix[row])[40])
    cases = {
        "matrix": (row * block.matrix.shape[1] + column, "raman reference spectra"),
        "cumsums": (block.cumsums.size - 1, "raman search sums"),
        "stop": (0, "raman reference spectra"),
    }
    for key, (index, words) in cases.items():
        tampered = tmp_path / f"{key}.flib"
        tampered.write_bytes(_flip_array_byte(data, "raman", key, index))
        with pytest.raises(LibraryError, match=rf"{key}\.flib: damaged .* in its {words}"):
            Library.load(tampered)
    # the calibration (q-values) is not in the version but is checked against its checksum
    header, _ = _layout(data)
    header["blocks"]["ir"]["calibration"]["n_queries"] += 1
    tampered = tmp_path / "calibration.flib"
    tampered.write_bytes(_with_header(data, header))
    with pytest.raises(LibraryError, match=r"in its ir q-value calibration"):
        Library.load(tampered)
    # and a file whose version was replaced to fit an edit names the version it states
    header, _ = _layout(data)
    header["version"] = "0" * 64
    tampered.write_bytes(_with_header(data, header))
    with pytest.raises(LibraryError, match=r"version 0{64} .* in its version"):
        Library.load(tampered)


def _rule_1_version(lib: Library) -> str:
    """Hash rule 1 written out again, independently of the code under test: the version every
    library file written before the rule was recorded states."""
    digest = hashlib.sha256(b"forensic-library/2\n")
    for m, block in sorted(lib.blocks.items()):
        digest.update(m.encode() + b"\n")
        digest.update(json.dumps(block.pipeline.to_dict(), sort_keys=True).encode())
        digest.update(np.asarray(block.grid, dtype="<f8").tobytes())
        digest.update(np.asarray(block.matrix, dtype="<f4").tobytes())
        for array in (block.start, block.stop, block.rows):
            digest.update(np.asarray(array, dtype="<i8").tobytes())
    digest.update(json.dumps(lib.entries, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def test_a_file_written_before_the_hash_rule_was_recorded_is_checked_by_its_own_rule(
    saved, tmp_path
):
    lib, path = saved
    data = path.read_bytes()
    header, _ = _layout(data)
    for key in ("hash_scheme", "digests", "seal"):  # what files of rule 1 did not have
        del header[key]
    header["version"] = _rule_1_version(lib)
    old = tmp_path / "published-2026-11-23.flib"
    old.write_bytes(_with_header(data, header))
    loaded = Library.load(old)
    assert loaded.hash_scheme == 1 and loaded.version == header["version"] != lib.version
    assert loaded.verify()
    old.write_bytes(_flip_array_byte(old.read_bytes(), "ir", "matrix", 3000))
    with pytest.raises(LibraryError, match=r"hash rule 1\) in its entries or reference spectra"):
        Library.load(old)


def test_a_checked_file_is_read_again_only_when_it_changed(saved, monkeypatch):
    lib, path = saved
    memo = path.parent / "cache" / "verified"
    Library.load(path)
    assert not memo.exists()  # written just now: a change in the same clock tick could hide
    monkeypatch.setattr(library_module, "_RACY_NS", 0)
    Library.load(path)  # a full check, remembered
    assert len(list(memo.glob("*.json"))) == 1

    def read_again(*args, **kwargs):
        raise AssertionError("a remembered file was read again")

    with monkeypatch.context() as m:
        m.setattr(Library, "_content_digests", read_again)
        assert Library.load(path).version == lib.version
    # changed in place, its modification time set back: its change time still tells
    before = path.stat()
    path.write_bytes(_flip_array_byte(path.read_bytes(), "raman", "matrix", 900))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    with pytest.raises(LibraryError, match="raman reference spectra"):
        Library.load(path)


def test_the_version_does_not_depend_on_the_order_of_the_references(tmp_path, monkeypatch):
    monkeypatch.setenv("FORENSIC_CACHE_DIR", str(tmp_path / "cache"))
    spectra = references() + references("ir", start=500, stop=3900)
    a = Library.from_spectra(spectra, calibrate=False)
    b = Library.from_spectra(spectra[::-1], calibrate=False)  # stored as given
    assert [e["entry_id"] for e in b.entries] == [e["entry_id"] for e in a.entries][::-1]
    assert a.version == b.version
    # and checked so when loaded (the rows read from the file in the version's order)
    assert Library.load(b.save(tmp_path / "b.flib")).version == a.version
    # a library stored in another order (assembled by hand) is still the same version
    block = a.block("raman")
    back = np.arange(len(block))[::-1]
    reordered = Library(
        entries=a.entries,
        blocks={
            **a.blocks,
            "raman": ModalityBlock(
                pipeline=block.pipeline,
                matrix=block.matrix[back],
                start=block.start[back],
                stop=block.stop[back],
                cumsums=breakpoint_cumsums(block.matrix[back]),
                rows=block.rows[back],
            ),
        },
    )
    assert reordered.version == a.version
    # two rows swapped between entries is another library
    swapped = np.array([1, 0, *range(2, len(block))])
    other = Library(
        entries=a.entries,
        blocks={**a.blocks, "raman": replace(block, matrix=block.matrix[swapped])},
    )
    assert other.version != a.version


def test_the_calibration_does_not_depend_on_the_order_of_the_references():
    """One version, one set of q-values: the same references given in another order are
    calibrated alike (the calibration's random choices are made in the version's order)."""
    spectra = references()
    a = Library.from_spectra(spectra)
    b = Library.from_spectra(spectra[::-1])
    assert a.version == b.version
    assert a.block("raman").calibration is not None
    assert a.block("raman").calibration == b.block("raman").calibration


def _shared_id_references():
    """Three Caffeine spectra (one id between them), a reference that already holds the id
    the second would get, and two that share no id."""
    caffeine = [
        make_spectrum(BAND_SETS["caffeine"], name="Caffeine", seed=seed, noise=0.02)
        for seed in (3, 4, 5)
    ]
    held = make_spectrum(BAND_SETS["sucrose"], name="Sucrose")
    held = held.replace(metadata={**held.metadata, "entry_id": "raman-caffeine-2"})  # a lab's
    return [*caffeine, held, *references()[1:3]]


def _data_by_id(lib):
    block = lib.block("raman")
    return {
        lib.entry("raman", row)["entry_id"]: np.asarray(block.matrix[row]).tobytes()
        for row in range(len(block))
    }


def test_references_sharing_an_id_get_the_same_ids_whatever_their_order():
    """Two spectra of one name are told apart by -2, -3 by their content, not by the order
    given: the same references in another order are the same library, each id with the
    same data (a chemist who renames a folder or lists it otherwise gets no new version)."""
    spectra = _shared_id_references()
    a = Library.from_spectra(spectra)
    b = Library.from_spectra([spectra[i] for i in (5, 2, 4, 0, 3, 1)])
    assert sorted(e["entry_id"] for e in a.entries) == [
        "raman-caffeine",
        "raman-caffeine-2",  # kept by the reference that holds it
        "raman-caffeine-3",
        "raman-caffeine-4",
        "raman-cocaine",  # ids nothing shares are as they were
        "raman-lidocaine",
    ]
    assert a.version == b.version
    assert _data_by_id(a) == _data_by_id(b)
    assert {e["entry_id"]: e for e in a.entries} == {e["entry_id"]: e for e in b.entries}
    assert a.block("raman").calibration == b.block("raman").calibration
    # every order of the three Caffeine spectra: one version
    caffeine = spectra[:3]
    for order in ((1, 0, 2), (2, 1, 0), (1, 2, 0)):
        again = [*(caffeine[i] for i in order), *spectra[3:]]
        assert Library.from_spectra(again, calibrate=False).version == a.version


def test_references_sharing_an_id_are_told_apart_by_their_files_first():
    """Where each comes from a file, the first file's path keeps the id, as a folder's build
    has always given them (a file of several spectra: in its order)."""
    paths = [
        "/lab/refs/caffeine-b.jdx",
        "/lab/refs/caffeine-a.jdx#2",
        "/lab/refs/caffeine-a.jdx#10",
    ]
    spectra = []
    for seed, path in enumerate(paths):
        s = make_spectrum(BAND_SETS["caffeine"], name="Caffeine", seed=seed, noise=0.02)
        spectra.append(s.replace(metadata={**s.metadata, "source_file": path}))
    for order in ((0, 1, 2), (2, 0, 1)):
        lib = Library.from_spectra([spectra[i] for i in order], calibrate=False)
        assert {e["source_file"]: e["entry_id"] for e in lib.entries} == {
            "/lab/refs/caffeine-a.jdx#2": "raman-caffeine",
            "/lab/refs/caffeine-a.jdx#10": "raman-caffeine-2",
            "/lab/refs/caffeine-b.jdx": "raman-caffeine-3",
        }


def test_a_substance_of_two_spellings_is_named_by_its_first_entry_id_not_its_first_row():
    spellings = [
        make_spectrum(BAND_SETS["caffeine"], name=name, seed=i)
        for i, name in enumerate(("caffeine", "Caffeine"))
    ]
    spellings = [
        s.replace(metadata={**s.metadata, "entry_id": eid})
        for s, eid in zip(spellings, ("raman-caffeine-lab", "raman-caffeine"), strict=True)
    ]
    for order in (spellings, spellings[::-1]):
        lib = Library.from_spectra([*order, *references()[1:]], calibrate=False)
        assert lib.substance_names("raman") == ["Caffeine", "cocaine", "lidocaine", "sucrose"]
        ranks = lib.entry_ranks("raman")
        ids = [lib.entry("raman", row)["entry_id"] for row in np.argsort(ranks)]
        assert ids == sorted(ids)


def test_a_reference_without_name_file_or_id_is_named_by_its_data_not_its_place():
    plain = [make_spectrum(BAND_SETS[k], seed=i) for i, k in enumerate(("caffeine", "cocaine"))]
    a = Library.from_spectra(plain, calibrate=False)
    b = Library.from_spectra(plain[::-1], calibrate=False)
    assert a.version == b.version
    names = [e["name"] for e in a.entries]
    assert all(re.fullmatch(r"reference [0-9a-f]{8}", n) for n in names) and len(set(names)) == 2
    named_by_id = make_spectrum(BAND_SETS["sucrose"]).replace(
        metadata={"entry_id": "sucrose-lab-1"}
    )
    (entry,) = Library.from_spectra([named_by_id], calibrate=False).entries
    assert (entry["entry_id"], entry["name"]) == ("sucrose-lab-1", "sucrose-lab-1")


def test_a_curated_folder_is_one_library_however_it_is_built_or_its_rows_ordered(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("FORENSIC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(library_folders, "_COMPILED", {})
    folder = tmp_path / "lab-library"
    _write_folder(folder)  # ref0..ref3, broken.jdx, notes.md
    rows = [
        ["id", "file", "name"],
        ["c-raman", "raman/ref0.jdx", "Caffeine"],
        ["k-raman", "raman/ref1.jdx", "Cocaine"],
        ["l-raman", "raman/ref2.jdx", "Lidocaine"],
    ]

    def write_manifest(rows):
        with open(folder / "manifest.csv", "w", newline="") as handle:
            csv.writer(handle).writerows(rows)

    write_manifest(rows)
    built = Library.from_folder(folder, calibrate=False)  # forensic library build FOLDER
    # ref3.jdx and broken.jdx are in the folder, not in the manifest: no references
    assert [e["entry_id"] for e in built.entries] == ["c-raman", "k-raman", "l-raman"]
    assert built.skipped == []
    assert open_reference_library(folder).version == built.version  # identify --library FOLDER
    # the manifest's rows sorted otherwise (a spreadsheet sort): the same library
    write_manifest([rows[0], *rows[:0:-1]])
    resorted = Library.from_folder(folder, calibrate=False)
    assert resorted.version == built.version and resorted.entries == built.entries
    library_folders._COMPILED.clear()
    assert open_reference_library(folder).version == built.version


def test_a_cache_folder_that_cannot_be_written_still_gives_the_library(tmp_path, monkeypatch):
    """The cache only saves compiling again: a read-only or impossible cache folder (here
    under a file) leaves the library compiled in memory, not an error."""
    from library_helpers import make_library  # noqa: PLC0415

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("FORENSIC_CACHE_DIR", str(blocker / "cache"))
    folder = make_library(tmp_path / "lib", shipped=False)
    library = open_reference_library(folder)
    assert len(library) == 6 and library.version


def test_a_library_records_its_name_and_build_date_outside_its_version(tmp_path, monkeypatch):
    """What a report calls the library searched, and when it was built (print review,
    finding 8): kept in the file and covered by its checksum, but not in the version, which
    the same references give under any name, on any day."""
    monkeypatch.setenv("FORENSIC_CACHE_DIR", str(tmp_path / "cache"))
    named = Library.from_spectra(references(), calibrate=False, name="  Lab   Raman 2026 ")
    unnamed = Library.from_spectra(references(), calibrate=False)
    assert named.name == "Lab Raman 2026" and unnamed.name is None
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", named.built_at)
    assert named.version == unnamed.version
    loaded = Library.load(named.save(tmp_path / "lab.flib"))
    assert (loaded.name, loaded.built_at, loaded.version) == (
        "Lab Raman 2026",
        named.built_at,
        named.version,
    )
    data = (tmp_path / "lab.flib").read_bytes()
    renamed = tmp_path / "renamed.flib"
    renamed.write_bytes(data.replace(b'"name":"Lab Raman 2026"', b'"name":"Lab Raman 2027"'))
    with pytest.raises(LibraryError, match=r"renamed\.flib: damaged .* in its name and build date"):
        Library.load(renamed)
    # a file written before libraries had a name or a date holds neither, and loads
    header, _ = _layout(data)
    for key in ("name", "built_at"):
        del header[key]
    header["seal"].pop("about")
    old = tmp_path / "before.flib"
    old.write_bytes(_with_header(data, header))
    assert (Library.load(old).name, Library.load(old).built_at) == (None, None)


def test_a_library_names_each_substance_once_per_modality():
    spectra = [*references(), make_spectrum(BAND_SETS["cocaine"], name="COCAINE", seed=9)]
    lib = Library.from_spectra(spectra, calibrate=False)
    assert lib.substance_names("raman") == ["caffeine", "cocaine", "lidocaine", "sucrose"]
    # worked out once and kept: a caller's copy changed leaves the library's as it is
    lib.substance_names("raman").append("heroin")
    assert lib.substance_names("raman") == ["caffeine", "cocaine", "lidocaine", "sucrose"]
    with pytest.raises(LibraryError, match="no ir references"):
        lib.substance_names("ir")


def test_the_shipped_library_and_a_library_folder_are_named(tmp_path, monkeypatch):
    monkeypatch.setenv("FORENSIC_CACHE_DIR", str(tmp_path / "cache"))
    shipped = shipped_library()
    assert shipped.name == spectral_library.LIBRARY_NAME and shipped.built_at
    folder = tmp_path / "lab-library"
    folder.mkdir()
    for spectrum in references():
        write_spectrum(spectrum, folder / f"{spectrum.metadata['name']}.jdx")
    with (folder / "manifest.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "name"])
        writer.writerows([f"{name}.jdx", name] for name in BAND_SETS)
    assert open_reference_library(folder).name == "lab-library"
