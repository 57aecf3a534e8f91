"""One measurement is one reference: ``library import`` refuses a second entry of a spectrum the
library already holds (the same instrument file, a copy of it, or a re-export of its values),
and the duplicates gate of ``library validate`` finds one by the same rule
(:func:`forensic.curation.digest.same_measurement`).

A library holding one measurement twice is a false replicate: the substance is weighed twice in
a search, and the gates that compare a substance's replicates find no variation between them.
"""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from library_helpers import make_library, measured_paracetamol

from forensic import curation
from forensic.cli import main
from forensic.curation.digest import same_measurement
from forensic.errors import LibraryError
from forensic.io import read_spectrum, write_spectrum


@pytest.fixture
def library(tmp_path):
    return make_library(tmp_path / "lib")


def _import(*args):
    """``forensic library import ARGS`` run as the chemist runs it."""
    return CliRunner().invoke(main, ["library", "import", *map(str, args)])


def _state(library):
    """What an import must leave as it found it when refused: the manifest and every file."""
    return {p.relative_to(library): p.read_bytes() for p in library.rglob("*") if p.is_file()}


def _text_export(spectrum, path, digits):
    """A two-column text export of ``spectrum`` keeping ``digits`` significant digits of its
    intensities (and its axis to 0.001 cm-1), as an instrument's software writes one (no
    header: a file of its own, not the toolkit's CSV)."""
    lines = (
        f"{x:.3f}\t{y:.{digits}g}"
        for x, y in zip(spectrum.wavenumber, spectrum.intensity, strict=True)
    )
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_same_instrument_file_under_another_id_is_refused_naming_its_entry(library, tmp_path):
    # the refusal of the same file again advised "give other ids (--id NEW-ID ...)"; followed,
    # it recorded the same spectrum as paracetamol-raman-2: one measurement, two entries
    path = measured_paracetamol(tmp_path / "tablet.jdx")
    common = ("--library", library, "--name", "Paracetamol", "--licence", "MIT")
    first = _import(path, *common, "--added-by", "A. Chemist")
    assert first.exit_code == 0, first.output
    added = curation.read_manifest(library / "manifest.csv")
    (row,) = [r for r in added if r["id"] == "paracetamol-raman"]
    before = _state(library)
    held = (
        f"error: not imported: tablet.jdx: already in {library} as reference paracetamol-raman "
        f"(Paracetamol, raman/paracetamol-raman.jdx, added {row['added_at']}), imported from "
        "this file or a copy of it (the same SHA-256): a second entry of one measurement would "
        "be a false replicate of Paracetamol; to import it again as itself (to state what the "
        "file gets wrong), "
    )
    second = _import(path, *common, "--id", "paracetamol-raman-2")
    assert second.exit_code == 2
    assert (
        second.output
        == held + "give its id (--id paracetamol-raman --force); nothing was written\n"
    )
    assert _state(library) == before
    # without --id, the advice no longer offers other ids
    again = _import(path, *common)
    assert again.exit_code == 2
    assert again.output == held + "use --force; nothing was written\n"
    assert "other ids" not in again.output
    assert _state(library) == before
    # as advised: imported again as itself, one entry still
    forced = _import(path, *common, "--id", "paracetamol-raman", "--force")
    assert forced.exit_code == 0, forced.output
    ids = [r["id"] for r in curation.read_manifest(library / "manifest.csv")]
    assert ids.count("paracetamol-raman") == 1 and "paracetamol-raman-2" not in ids
    # a second measurement of the tablet is a replicate: added under an id of its own
    replicate = measured_paracetamol(tmp_path / "tablet-2.jdx", seed=4)
    added = _import(replicate, *common, "--id", "paracetamol-raman-2")
    assert added.exit_code == 0, added.output
    assert "imported raman/paracetamol-raman-2.jdx: Paracetamol" in added.output


def test_the_same_measurement_in_another_file_is_refused(library, tmp_path):
    # a re-export (the toolkit's own CSV, or an instrument's text export that keeps 7 digits)
    # holds the same values: the same measurement, whatever the file
    path = measured_paracetamol(tmp_path / "tablet.jdx")
    curation.import_spectra([path], library, name="Paracetamol", licence="MIT")
    spectrum = read_spectrum(path)
    csv = write_spectrum(spectrum, tmp_path / "reexport.csv")
    text = _text_export(spectrum, tmp_path / "export.txt", digits=7)
    before = _state(library)
    for copy in (csv, text):
        with pytest.raises(LibraryError) as refused:
            curation.import_spectra(
                [copy], library, name="Paracetamol", licence="MIT", entry_id="para-2"
            )
        said = str(refused.value)
        assert said.startswith(
            f"not imported: {copy.name}: already in {library} as reference paracetamol-raman "
            "(Paracetamol, raman/paracetamol-raman.jdx, added "
        )
        assert (
            "whose values it holds (the same measurement in another file: a copy or a "
            "re-export): a second entry of one measurement would be a false replicate of "
            "Paracetamol; to import it again as itself (to state what the file gets wrong), give "
            "its id (entry_id='paracetamol-raman', force=True); nothing was written"
        ) in said
        assert _state(library) == before
    # under another substance's name: the reference may be the misnamed one, said how to rename
    with pytest.raises(LibraryError) as refused:
        curation.import_spectra([text], library, name="Novelone", licence="MIT")
    said = str(refused.value)
    assert "the same measurement would be a reference of Paracetamol and of Novelone" in said
    assert (
        f"`forensic library rename paracetamol-raman --library {library} --name NEW-NAME`" in said
    )
    assert _state(library) == before


def test_one_measurement_given_twice_in_one_import_is_refused(library, tmp_path):
    # a copy of a file beside it in the folder imported became a "further reference"
    folder = tmp_path / "incoming"
    folder.mkdir()
    measured_paracetamol(folder / "a.jdx")
    (folder / "b.jdx").write_bytes((folder / "a.jdx").read_bytes())
    measured_paracetamol(folder / "c.jdx", seed=4)
    before = _state(library)
    refused = _import(
        folder, "--library", library, "--name", "Novelone", "--replicates", "--licence", "MIT"
    )
    assert refused.exit_code == 2
    assert refused.output == (
        "error: not imported: b.jdx: the same measurement as a.jdx, imported with it (a copy, "
        "or a re-export): a second entry of one measurement would be a false replicate of "
        "Novelone; import one of them; nothing was written\n"
    )
    assert _state(library) == before
    # one file given twice (on its own and in its folder) is one file: imported once
    (folder / "b.jdx").unlink()
    done = curation.import_spectra(
        [folder / "a.jdx", folder], library, name="Novelone", licence="MIT", replicates=True
    )
    assert [r["id"] for r in done.imported] == ["novelone-raman", "novelone-raman-2"]
    assert not any("more than once" in note for note in done.notes[1:])


def test_the_same_measurement_is_one_by_its_values_to_the_digits_an_export_keeps(tmp_path):
    spectrum = read_spectrum(measured_paracetamol(tmp_path / "a.jdx"))
    assert same_measurement(spectrum, spectrum)
    rounded = read_spectrum(_text_export(spectrum, tmp_path / "six.txt", digits=6))
    assert same_measurement(spectrum, rounded)
    # another measurement of the same sample differs by its noise; fewer digits than 5 are
    # not told from one
    other = read_spectrum(measured_paracetamol(tmp_path / "b.jdx", seed=4))
    assert not same_measurement(spectrum, other)
    coarse = read_spectrum(_text_export(spectrum, tmp_path / "three.txt", digits=3))
    assert not same_measurement(spectrum, coarse)
    # another axis (a point fewer, or shifted by a step) is another spectrum
    shorter = spectrum.replace(wavenumber=spectrum.wavenumber[1:], intensity=spectrum.intensity[1:])
    assert not same_measurement(spectrum, shorter)
    shifted = spectrum.replace(wavenumber=spectrum.wavenumber + 1.0)
    assert not same_measurement(spectrum, shifted)
    scaled = spectrum.replace(intensity=np.asarray(spectrum.intensity) * 1.001)
    assert not same_measurement(spectrum, scaled)


def test_the_duplicates_gate_finds_a_rounded_copy_placed_by_hand(library, tmp_path):
    # an exact copy was found; a re-export of the same values, rounded, was not
    rows = curation.read_manifest(library / "manifest.csv")
    first = rows[0]
    spectrum = read_spectrum(library / first["file"])
    text = _text_export(spectrum, tmp_path / "copy.txt", digits=7)
    copy = (
        read_spectrum(text)
        .replace(modality="raman")
        .with_metadata(entry_id="copy-raman", name="Copyine", provenance="simulated", cas="50-00-0")
    )
    write_spectrum(copy, library / "raman" / "copy-raman.jdx")
    new = {**first, "id": "copy-raman", "file": "raman/copy-raman.jdx", "name": "Copyine"}
    new.update(cas="50-00-0", added_at="2026-11-23")
    curation.write_manifest(library / "manifest.csv", [*rows, new])
    report = curation.validate_library(library, self_identification=False)
    (finding,) = report.gate("duplicates").findings
    assert finding.entry == f"{first['id']} ({first['name']}) and copy-raman (Copyine)"
    assert "the same spectrum in two entries: keep one; drop copy-raman" in finding.message


def test_the_real_paracetamol_file_imported_again_under_another_id_is_refused(
    shared_data, tmp_path
):
    library = make_library(tmp_path / "lib")
    tablet = shared_data / "substances" / "paracetamol_raman_renishaw.txt"
    common = ("--library", library, "--name", "Paracetamol", "--modality", "raman")
    first = _import(tablet, *common, "--licence", "GPL-3", "--added-by", "A. Chemist")
    assert first.exit_code == 0, first.output
    before = _state(library)
    second = _import(tablet, *common, "--licence", "GPL-3", "--id", "paracetamol-raman-2")
    assert second.exit_code == 2
    assert "error: not imported: paracetamol_raman_renishaw.txt: already in " in second.output
    assert "give its id (--id paracetamol-raman --force)" in second.output
    assert _state(library) == before
