"""``library import`` of a file that holds several spectra names the one it speaks of.

A multi-block JCAMP-DX file, the subfiles of an SPC file and a CSV with several spectrum
columns are imported spectrum by spectrum; what is said of one of them (why it was skipped, a
note on it) names it ``FILE #N``, its place in the file counted from 1, so that the chemist can
tell which one it was. A file of one spectrum stays plain ``FILE``.
"""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from library_helpers import SYNTHETIC, make_library, replicates_spc
from synthetic import make_spectrum

from forensic import curation
from forensic.cli import main
from forensic.curation import importing
from forensic.errors import LibraryError
from forensic.io import read_spectra, write_spectrum


@pytest.fixture
def library(tmp_path):
    return make_library(tmp_path / "lib")


def _spectrum(index, name, **kw):
    """A measured-looking spectrum of the synthetic reference ``index``, titled ``name``."""
    return make_spectrum(SYNTHETIC[index][2], noise=0.002, seed=10 + index, name=name, **kw)


def _flat(name):
    """A spectrum with no band at all (an all-zero export): skipped at import."""
    return make_spectrum([], name=name)


def _clipped(index, name):
    """A spectrum whose strongest band is cut flat (a saturated detector): imported, noted."""
    spectrum = _spectrum(index, name)
    top = 0.5 * float(np.max(spectrum.intensity))
    return spectrum.replace(intensity=np.minimum(spectrum.intensity, top))


def _jcamp_link(path, spectra):
    """A multi-block JCAMP-DX file (``##DATA TYPE=LINK``) of ``spectra``, in their order."""
    blocks = []
    for k, spectrum in enumerate(spectra):
        one = write_spectrum(spectrum, path.with_name(f"{path.stem}-block{k}.jdx"))
        blocks.append(one.read_text())
        one.unlink()
    path.write_text(
        f"##TITLE={path.stem}\n##JCAMP-DX=5.01\n##DATA TYPE=LINK\n##BLOCKS={len(blocks)}\n"
        + "".join(blocks)
        + "##END=\n"
    )
    return path


def _csv_columns(path, columns):
    """A CSV of one Raman shift axis and one intensity column per ``(heading, spectrum)``."""
    axis = columns[0][1].wavenumber
    lines = ["raman_shift_cm-1," + ",".join(heading for heading, _ in columns)]
    for i, x in enumerate(axis):
        lines.append(f"{x:g}," + ",".join(f"{s.intensity[i]:.6f}" for _, s in columns))
    path.write_text("\n".join(lines) + "\n")
    return path


def _reasons(result):
    """The skipped spectra, each with the first words of why."""
    return [(where, why.split(":")[0]) for where, why in result.skipped]


def test_a_skipped_block_of_a_jcamp_file_is_named_by_its_place(library, tmp_path):
    # "skipped multi.jdx: the spectrum is flat" for one block of five: which one?
    multi = _jcamp_link(
        tmp_path / "multi.jdx",
        [
            _spectrum(0, "Novel one"),
            _flat("Novel two"),
            _clipped(1, "Novel three"),
            _spectrum(2, "Novel four").with_metadata(provenance="simulated"),
            _spectrum(3, "Novel five", start=800.0, stop=900.0, step=0.1),  # nm, not cm-1
        ],
    )
    names = ["Novel one", "Novel two", "Novel three", "Novel four", "Novel five"]
    assert [s.name for s in read_spectra(multi)] == names
    result = curation.import_spectra([multi], library, licence="MIT")
    assert [r["name"] for r in result.imported] == ["Novel one", "Novel three"]
    assert _reasons(result) == [
        (f"{multi} #2", "the spectrum is flat"),
        (
            f"{multi} #4",
            "the spectrum is simulated (provenance in the file), not measured from a sample",
        ),
        (f"{multi} #5", "axis 800-900"),
    ]
    # a note on one of its spectra names that one too
    (clipped,) = [n for n in result.notes if "band is clipped" in n]
    assert clipped.startswith("multi.jdx #3: the strongest band is clipped")
    new = sorted(n for n in result.notes if "no substance of the library" in n)
    assert [n.split(" from ")[0] for n in new] == [
        "multi.jdx #1: named 'Novel one'",
        "multi.jdx #3: named 'Novel three'",
    ]


def test_a_skipped_column_of_a_csv_is_named_by_its_place(library, tmp_path):
    table = _csv_columns(
        tmp_path / "three.csv",
        [("Novel A", _spectrum(1, "")), ("Novel B", _flat("")), ("Novel C", _spectrum(2, ""))],
    )
    result = curation.import_spectra([table], library, licence="MIT")
    assert [r["name"] for r in result.imported] == ["Novel A", "Novel C"]
    assert _reasons(result) == [(f"{table} #2", "the spectrum is flat")]
    new = [n.split(" from ")[0] for n in result.notes if "no substance of the library" in n]
    assert new == ["three.csv #1: named 'Novel A'", "three.csv #3: named 'Novel C'"]


def test_each_skipped_subfile_of_an_spc_file_is_named_by_its_place(library, tmp_path):
    series = replicates_spc(tmp_path / "series.spc")
    (tmp_path / "m.csv").write_text("file,name,modality,licence\nseries.spc,Novel thing,uv,MIT\n")
    with pytest.raises(LibraryError, match="nothing imported"):
        curation.import_spectra([], library, manifest=tmp_path / "m.csv")
    # listed one by one, beside a file that is imported
    one = write_spectrum(_spectrum(0, "Novel one"), tmp_path / "one.jdx")
    (tmp_path / "m.csv").write_text(
        "file,name,modality,licence\nseries.spc,Novel thing,uv,MIT\none.jdx,Novel one,,MIT\n"
    )
    result = curation.import_spectra([], library, manifest=tmp_path / "m.csv")
    assert [r["name"] for r in result.imported] == ["Novel one"]
    assert result.skipped == [
        (f"{series} #{k}", "m.csv line 2: modality 'uv' is not raman or ir") for k in (1, 2, 3)
    ]
    assert str(one) not in {where for where, _ in result.skipped}


def test_a_file_of_one_spectrum_is_named_plainly(library, tmp_path):
    flat = write_spectrum(_flat("Novel two"), tmp_path / "flat.jdx")
    clipped = write_spectrum(_clipped(1, "Novel three"), tmp_path / "clipped.jdx")
    result = curation.import_spectra([flat, clipped], library, licence="MIT")
    assert _reasons(result) == [(str(flat), "the spectrum is flat")]
    (note,) = [n for n in result.notes if "band is clipped" in n]
    assert note.startswith("clipped.jdx: the strongest band is clipped")


def test_a_further_reference_of_one_name_is_said_of_its_spectrum(library, tmp_path):
    # "Novel one is imported more than once: this one is a further reference": which one?
    multi = _jcamp_link(
        tmp_path / "multi.jdx",
        [_spectrum(0, "Novel one"), _spectrum(1, "Novel two"), _spectrum(2, "Novel one")],
    )
    result = curation.import_spectra([multi], library, licence="MIT")
    assert [r["id"] for r in result.imported] == [
        "novel-one-raman",
        "novel-two-raman",
        "novel-one-raman-2",
    ]
    (note,) = [n for n in result.notes if "more than once" in n]
    assert note.startswith(
        "multi.jdx #3: Novel one is imported more than once: this one is a further reference "
        "novel-one-raman-2"
    )


# -- a note about the file is said once, a note about one spectrum with its place ---------------


def _ir_table(path, headings):
    """A CSV of IR spectra, one column per heading, that does not name its intensity unit."""
    spectra = [
        make_spectrum(
            [(700 + 40 * k, 0.5, 10), (1200, 0.8, 12), (1700 - 30 * k, 1.0, 15), (2900, 0.6, 30)],
            start=400.0,
            stop=4000.0,
            step=2.0,
            noise=0.002,
            seed=k,
            modality="ir",
        )
        for k in range(len(headings))
    ]
    lines = ["wavenumber_cm-1," + ",".join(headings)]
    for i, x in enumerate(spectra[0].wavenumber):
        lines.append(f"{x:g}," + ",".join(f"{s.intensity[i]:.6f}" for s in spectra))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_note_about_the_file_is_said_once(library, tmp_path):
    # its unit, the library substance its name is, the licence it lacks: once a spectrum
    table = _ir_table(tmp_path / "ir.csv", ["acetaminophen"] * 3)
    assert all(s.y_unit_guessed for s in read_spectra(table))
    result = curation.import_spectra([table], library)
    assert [r["name"] for r in result.imported] == ["Paracetamol"] * 3
    assert [n.split(";")[0].split(" (")[0] for n in result.notes] == [
        "ir.csv: its 3 spectra are imported as 3 references of acetaminophen, the name the file "
        "gives all of them",
        "ir.csv: the file does not name its intensity unit",
        "ir.csv: name 'acetaminophen' is the library's 'Paracetamol'",
        "ir.csv: no licence given",
    ]


def test_a_cas_number_in_the_title_of_every_block_is_offered_once(library, tmp_path):
    multi = _jcamp_link(tmp_path / "multi.jdx", [_spectrum(k, "Sample 58-08-2") for k in range(3)])
    result = curation.import_spectra([multi], library, licence="MIT")
    assert len(result.imported) == 3
    (note,) = [n for n in result.notes if "CAS" in n]
    assert note == (
        "multi.jdx: named 'Sample 58-08-2' from its title: no substance of the library has that "
        "name; the title holds CAS 58-08-2: it is Caffeine's CAS: give --name Caffeine"
    )


def test_a_note_about_some_spectra_of_a_file_names_those(library, tmp_path):
    multi = _jcamp_link(
        tmp_path / "multi.jdx",
        [_spectrum(0, "Novel one"), _spectrum(1, "Novel two"), _spectrum(2, "Novel one")],
    )
    result = curation.import_spectra([multi], library)
    assert [n.split(" from ")[0] for n in result.notes if "no substance" in n] == [
        "multi.jdx #1, #3: named 'Novel one'",
        "multi.jdx #2: named 'Novel two'",
    ]
    assert "multi.jdx: no licence given (--licence): validate will flag it" in result.notes
    assert len(result.notes) == len(set(result.notes)) == 4  # and the further reference's


# -- an entry in the way is said as what it is ---------------------------------------------------


def test_an_entry_in_the_way_is_said_as_what_its_provenance_records(library, tmp_path):
    # a simulated reference in the way was called "measured entry": a simulated spectrum is
    # never to be presented as measured
    alphaine = write_spectrum(_spectrum(0, "Alphaine"), tmp_path / "alphaine.jdx")
    rows = {row["id"]: row for row in curation.read_manifest(library / "manifest.csv")}
    assert rows["alphaine-raman"]["provenance"] == "simulated"
    before = (library / "manifest.csv").read_bytes()
    with pytest.raises(LibraryError) as refused:
        curation.import_spectra([alphaine], library, licence="MIT")
    assert str(refused.value) == (
        f"not imported: simulated entry already in {library}: alphaine-raman (Alphaine, added "
        "2026-11-22); use --force to replace it, or --id NEW-ID (or an id column in "
        "--manifest) to add another reference"
    )
    assert (library / "manifest.csv").read_bytes() == before
    args = ["library", "import", str(alphaine), "--library", str(library), "--licence", "MIT"]
    cli = CliRunner().invoke(main, args)
    assert cli.exit_code == 2
    assert "simulated entry already in" in cli.output and "measured" not in cli.output
    # a measured one is said to be measured
    para = write_spectrum(_spectrum(1, "Paracetamol"), tmp_path / "para.jdx")
    curation.import_spectra([para], library, licence="MIT", today="2026-12-01")
    with pytest.raises(LibraryError, match=r"not imported: measured entry already in .*: "):
        curation.import_spectra([para], library, licence="MIT")
    # both at once: each said as what it is
    (tmp_path / "m.csv").write_text(
        "file,name,licence\nalphaine.jdx,Alphaine,MIT\npara.jdx,Paracetamol,MIT\n"
    )
    with pytest.raises(LibraryError) as both:
        curation.import_spectra([], library, manifest=tmp_path / "m.csv")
    assert (
        f"not imported: entries already in {library}: alphaine-raman (Alphaine, simulated, "
        "added 2026-11-22), paracetamol-raman (Paracetamol, measured, added 2026-12-01); use "
        "--force to replace them"
    ) in str(both.value)
    # replaced when forced, and said to be the simulated reference it was
    forced = CliRunner().invoke(main, [*args, "--force"])
    assert forced.exit_code == 0, forced.output
    assert "replaced simulated reference Alphaine (alphaine-raman" in forced.output


def test_an_entry_of_no_stated_or_an_unknown_provenance_is_said_so(tmp_path):
    # no provenance is measured (as the library reads it); one the toolkit does not know is
    # quoted, never taken for a measurement
    unstated = {"id": "a-raman", "name": "A", "provenance": "", "added_at": "2026-01-02"}
    unknown = {"id": "b-raman", "name": "B", "provenance": "predicted", "added_at": "2026-01-03"}
    assert importing._taken_refusal([unstated], tmp_path).startswith(
        f"not imported: measured entry already in {tmp_path}: a-raman (A, added 2026-01-02); "
        "use --force to replace it"
    )
    assert importing._taken_refusal([unknown], tmp_path).startswith(
        f"not imported: entry of provenance 'predicted' already in {tmp_path}: b-raman (B, "
        "added 2026-01-03)"
    )
    assert (
        f"entries already in {tmp_path}: a-raman (A, measured, added 2026-01-02), b-raman (B, "
        "provenance 'predicted', added 2026-01-03); use --force to replace them"
    ) in importing._taken_refusal([unstated, unknown], tmp_path)
