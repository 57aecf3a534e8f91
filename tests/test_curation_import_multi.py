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
    # the same reason for each of them: said once, of the file, and counted as 3
    assert result.skipped == [(f"{series}", "m.csv line 2: modality 'uv' is not raman or ir")]
    assert (result.skipped_spectra, result.skipped_files) == (3, 0)
    assert str(one) not in {where for where, _ in result.skipped}


def test_spectra_of_a_file_skipped_for_one_reason_are_said_once_and_counted(library, tmp_path):
    # "skipped multi.jdx #1: ...", "skipped multi.jdx #3: ..." with the same reason, and a
    # summary that counted lines, not what they said of
    multi = _jcamp_link(
        tmp_path / "multi.jdx",
        [_flat("Novel one"), _spectrum(1, "Novel two"), _flat("Novel three")],
    )
    (tmp_path / "junk.jdx").write_text("##TITLE=junk\nnothing\n")
    done = _import(multi, tmp_path / "junk.jdx", "--library", library, "--licence", "MIT")
    assert done.exit_code == 1, done.output
    lines = done.output.splitlines()
    skipped = [line for line in lines if line.startswith("skipped ")]
    assert [line.split(": ")[0] for line in skipped] == [
        f"skipped {tmp_path / 'junk.jdx'}",
        f"skipped {multi} #1, #3",
    ]
    assert skipped[1].endswith(": not imported") and "flat" in skipped[1]
    assert lines[-1].startswith(
        "1 imported, 0 replaced, 2 spectra and 1 file skipped (listed above; the others are "
        "imported and kept); next: "
    )


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


def _ir_table(path, headings, seed=0):
    """A CSV of IR spectra, one column per heading, that does not name its intensity unit;
    the noise of column k is seeded ``seed + k``."""
    spectra = [
        make_spectrum(
            [(700 + 40 * k, 0.5, 10), (1200, 0.8, 12), (1700 - 30 * k, 1.0, 15), (2900, 0.6, 30)],
            start=400.0,
            stop=4000.0,
            step=2.0,
            noise=0.002,
            seed=seed + k,
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
        "name; the title holds CAS 58-08-2: it is Caffeine's CAS: give name='Caffeine'"
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
    assert "multi.jdx: no licence given (licence=...): validate will flag it" in result.notes
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
        f"not imported: simulated entry already in {library}: alphaine.jdx would replace "
        "alphaine-raman (Alphaine, added 2026-11-22); pass force=True to replace it, or give "
        "other ids (entry_id=NEW-ID, or an id column in a manifest (manifest=...)) to add "
        "another reference"
    )
    assert (library / "manifest.csv").read_bytes() == before
    args = ["library", "import", str(alphaine), "--library", str(library), "--licence", "MIT"]
    cli = CliRunner().invoke(main, args)
    assert cli.exit_code == 2
    assert "simulated entry already in" in cli.output and "measured" not in cli.output
    # a measured one is said to be measured (in the way of another measurement: the same
    # one again is said to be already in the library)
    para = write_spectrum(_spectrum(1, "Paracetamol"), tmp_path / "para.jdx")
    curation.import_spectra([para], library, licence="MIT", today="2026-12-01")
    again = write_spectrum(_spectrum(1, "Paracetamol", baseline=0.1), tmp_path / "again.jdx")
    with pytest.raises(LibraryError, match=r"not imported: measured entry already in .*: "):
        curation.import_spectra([again], library, licence="MIT")
    # both at once: each said as what it is
    (tmp_path / "m.csv").write_text(
        "file,name,licence\nalphaine.jdx,Alphaine,MIT\nagain.jdx,Paracetamol,MIT\n"
    )
    with pytest.raises(LibraryError) as both:
        curation.import_spectra([], library, manifest=tmp_path / "m.csv")
    assert (
        f"not imported: entries already in {library}: alphaine.jdx (m.csv line 2) would replace "
        "alphaine-raman (Alphaine, simulated, added 2026-11-22); again.jdx (m.csv line 3) would "
        "replace paracetamol-raman (Paracetamol, measured, added 2026-12-01); pass force=True "
        "to replace them"
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
    assert importing._taken_refusal({"a.jdx": [unstated]}, tmp_path, spectra=1).startswith(
        f"not imported: measured entry already in {tmp_path}: a.jdx would replace a-raman (A, "
        "added 2026-01-02); pass force=True to replace it"
    )
    assert importing._taken_refusal({"b.jdx": [unknown]}, tmp_path, spectra=1).startswith(
        f"not imported: entry of provenance 'predicted' already in {tmp_path}: b.jdx would "
        "replace b-raman (B, added 2026-01-03)"
    )
    assert (
        f"entries already in {tmp_path}: ab.jdx would replace a-raman (A, measured, added "
        "2026-01-02), b-raman (B, provenance 'predicted', added 2026-01-03); pass force=True "
        "to replace them"
    ) in importing._taken_refusal({"ab.jdx": [unstated, unknown]}, tmp_path, spectra=2)


# -- what refuses an import is said once, of the spectra it holds for ---------------------------


def _import(*args):
    """``forensic library import ARGS`` run as the chemist runs it."""
    return CliRunner().invoke(main, ["library", "import", *map(str, args)])


def test_a_refusal_of_several_spectra_is_said_once_naming_them(library, tmp_path):
    # "multi.jdx #1: CAS ...; multi.jdx #3: CAS ...; one.jdx: CAS ...": one problem, said
    # once for each spectrum
    bad = {"cas": "50-00-1"}  # its check digit fails
    multi = _jcamp_link(
        tmp_path / "multi.jdx",
        [
            _spectrum(0, "Novel one").with_metadata(**bad),
            _spectrum(1, "Novel two"),
            _spectrum(2, "Novel three").with_metadata(**bad),
        ],
    )
    one = write_spectrum(_spectrum(3, "Novel four").with_metadata(**bad), tmp_path / "one.jdx")
    before = (library / "manifest.csv").read_bytes()
    refused = _import(multi, one, "--library", library, "--licence", "MIT")
    assert refused.exit_code == 2
    assert refused.output == (
        "error: not imported: multi.jdx #1, #3, one.jdx: CAS number '50-00-1' fails its check "
        "digit: a number 50-00-... ends in 0, not 1 (a digit mistyped or two swapped; check it "
        "at its source) (the file's); state the right one (--cas, or the cas column), or leave "
        "it out while the substance has none; nothing was written\n"
    )
    # a refusal of every spectrum of a file names the file
    ir = _import(multi, one, "--library", library, "--modality", "ir", "--laser-nm", "785")
    assert ir.exit_code == 2
    assert ir.output == (
        "error: not imported: multi.jdx, one.jdx: --laser-nm states a Raman laser line, but the "
        "spectrum is ir: leave it out, or state the modality (--modality); nothing was written\n"
    )
    # with the manifest row of each file
    (tmp_path / "m.csv").write_text(
        "file,name,cas\nmulti.jdx,Novel one,50-00-1\none.jdx,Novel four,50-00-1\n"
    )
    # a column's row said once, before what it states (not again inside it)
    (tmp_path / "lasers.csv").write_text(
        "file,name,modality,laser_nm\nmulti.jdx,Novel one,ir,785\n"
    )
    laser = _import("--manifest", tmp_path / "lasers.csv", "--library", library)
    assert laser.exit_code == 2
    assert laser.output == (
        "error: not imported: multi.jdx (lasers.csv line 2): the laser_nm column states a "
        "Raman laser line, but the spectrum is ir: leave it out, or state the modality "
        "(--modality); nothing was written\n"
    )
    rows = _import("--manifest", tmp_path / "m.csv", "--library", library, "--licence", "MIT")
    assert rows.exit_code == 2
    assert rows.output.startswith(
        "error: not imported: multi.jdx (m.csv line 2), one.jdx (m.csv line 3): CAS number "
        "'50-00-1' fails its check digit: a number 50-00-... ends in 0, not 1 (a digit mistyped "
        "or two swapped; check it at its source) (stated); state the right one"
    )
    assert (library / "manifest.csv").read_bytes() == before


def test_a_name_refused_in_several_spectra_is_refused_alike(library, tmp_path):
    # the first 'Сaffeine' (a Cyrillic С) was refused as printing like Caffeine; the next
    # one, compared with the first, as mixing scripts: two reasons for one name
    multi = _jcamp_link(
        tmp_path / "multi.jdx",
        [_spectrum(0, "\u0421affeine"), _spectrum(1, "Novel two"), _spectrum(2, "\u0421affeine")],
    )
    with pytest.raises(LibraryError) as refused:
        curation.import_spectra([multi], library, licence="MIT")
    said = str(refused.value)
    assert said.startswith(
        "not imported: multi.jdx #1, #3: name '\u0421affeine' prints exactly like 'Caffeine'"
    )
    assert said.count("\u0421affeine' prints") == 1 and "type it again in one script" not in said


def test_an_entry_in_the_way_of_several_spectra_is_said_once(library, tmp_path):
    # "novel-one-raman (Novel one, added ...), novel-one-raman-2 (Novel one, added ...), ...":
    # the same entries, said once for each spectrum, and not which file would replace them
    multi = _jcamp_link(
        tmp_path / "multi.jdx",
        [_spectrum(0, "Novel one"), _spectrum(1, "Novel one"), _spectrum(2, "Novel one")],
    )
    curation.import_spectra([multi], library, licence="MIT", today="2026-12-01")
    before = (library / "manifest.csv").read_bytes()
    # another measurement of the same three, in the way of those
    other = _jcamp_link(
        tmp_path / "other.jdx",
        [_spectrum(k, "Novel one", baseline=0.1) for k in (0, 1, 2)],
    )
    again = _import(other, "--library", library, "--licence", "MIT")
    assert again.exit_code == 2
    assert again.output == (
        f"error: not imported: measured entries already in {library}: other.jdx would replace "
        "novel-one-raman, novel-one-raman-2, novel-one-raman-3 (Novel one, added 2026-12-01); "
        "use --force to replace them, or give other ids (an id column in a manifest "
        "(--manifest), one id for each file, its further spectra taking NEW-ID-2, NEW-ID-3, "
        "...: --id names one spectrum only) to add other references\n"
    )
    # some of its spectra, and another file's, each named with what it would replace
    alpha = _jcamp_link(
        tmp_path / "alpha.jdx",
        [_spectrum(k, "Alphaine", baseline=0.2) for k in (0, 1)],
    )
    both = _import(alpha, other, "--library", library, "--licence", "MIT")
    assert both.exit_code == 2
    assert both.output == (
        f"error: not imported: entries already in {library}: alpha.jdx #1 would replace "
        "alphaine-raman (Alphaine, simulated, added 2026-11-22); other.jdx would replace "
        "novel-one-raman, novel-one-raman-2, novel-one-raman-3 (Novel one, measured, added "
        "2026-12-01); use --force to replace them, or give other ids (an id column in a "
        "manifest (--manifest), one id for each file, its further spectra taking NEW-ID-2, "
        "NEW-ID-3, ...: --id names one spectrum only) to add other references\n"
    )
    assert (library / "manifest.csv").read_bytes() == before
    # as advised: its spectra added under the id its row gives, and --id refused, as said
    assert _import(other, "--library", library, "--id", "novel-one-b").exit_code == 2
    (tmp_path / "ids.csv").write_text("file,name,id,licence\nother.jdx,Novel one,novel-one-b,MIT\n")
    added = _import("--manifest", tmp_path / "ids.csv", "--library", library)
    assert added.exit_code == 0, added.output
    assert [line.split(":")[0] for line in added.output.splitlines() if line.startswith("imp")] == [
        f"imported raman/{new}.jdx" for new in ("novel-one-b", "novel-one-b-2", "novel-one-b-3")
    ]


def test_a_cas_number_a_file_contradicts_is_said_once(library, tmp_path):
    formalin = {"cas": "50-00-0"}  # formaldehyde's, not the library's Alphaine's
    multi = _jcamp_link(
        tmp_path / "multi.jdx",
        [_spectrum(0, "Alphaine").with_metadata(**formalin)] * 2 + [_spectrum(0, "Alphaine")],
    )
    refused = _import(multi, "--library", library, "--licence", "MIT")
    assert refused.exit_code == 2
    assert refused.output == (
        "error: not imported: a CAS number in the file contradicts the library's for the same "
        f"name: {multi} #1, #2: the file gives CAS 50-00-0 but the library's Alphaine is "
        "64-17-5; if the name is right, state the CAS number (--cas, or a cas column in a "
        "manifest (--manifest)); if the number is right, give the name of the substance it "
        "belongs to (--name)\n"
    )


# -- a note of several files is said once, naming them -------------------------------------------


def test_a_note_of_several_files_is_said_once_naming_them(library, tmp_path):
    # "note: f0.jdx: no licence given ..." once for each of the files of a folder
    folder = tmp_path / "incoming"
    folder.mkdir()
    for k in range(6):
        write_spectrum(_spectrum(k, f"Novel {k}"), folder / f"f{k}.jdx")
    imported = _import(folder, "--library", library)
    assert imported.exit_code == 0, imported.output
    new = "no substance of the library has that name; give --name (or a manifest row) if it is "
    assert imported.stderr.splitlines() == [
        f"note: f0.jdx: named 'Novel 0' from its title: {new}not a new substance",
        "note: f0.jdx, f1.jdx, f2.jdx and 3 more files: no licence given (--licence): validate "
        "will flag it",
        *(
            f"note: f{k}.jdx: named 'Novel {k}' from its title: {new}not a new substance"
            for k in range(1, 6)
        ),
    ]
    # a few are named, each
    few = tmp_path / "few"
    few.mkdir()
    for k in range(4):
        write_spectrum(_spectrum(k, "Single scan measurement 1", baseline=0.1), few / f"s{k}.jdx")
    imported = _import(few, "--library", library)
    assert imported.exit_code == 0, imported.output
    notes = [line for line in imported.stderr.splitlines() if not line.endswith("by mistake)")]
    assert notes == [
        "note: s0.jdx, s1.jdx, s2.jdx, s3.jdx: named 'Single scan measurement 1' from its "
        f"title: {new}not a new substance",
        "note: s0.jdx, s1.jdx, s2.jdx, s3.jdx: no licence given (--licence): validate will flag it",
    ]


def test_a_unit_not_named_by_several_files_is_said_once(library, tmp_path):
    # the same guess of the same unit, by the same rule: one note; a name each file gives, one
    # note of each
    first = _ir_table(tmp_path / "first.csv", ["acetaminophen"] * 2)
    second = _ir_table(tmp_path / "second.csv", ["acetaminophen"] * 2, seed=10)
    third = _ir_table(tmp_path / "third.csv", ["acetaminophen"] * 3, seed=20)
    imported = _import(first, second, third, "--library", library, "--licence", "MIT")
    assert imported.exit_code == 0, imported.output
    notes = imported.stderr.splitlines()
    assert [line.split(" (")[0] for line in notes if "more than once" not in line] == [
        # what is said of one file's spectra together is said of each file, of its own
        "note: first.csv: its 2 spectra are imported as 2 references of acetaminophen, the "
        "name the file gives all of them",
        "note: first.csv, second.csv, third.csv: the file does not name its intensity unit; "
        "read as absorbance",
        "note: first.csv, second.csv, third.csv: name 'acetaminophen' is the library's "
        "'Paracetamol'",
        "note: second.csv: its 2 spectra are imported as 2 references of acetaminophen, the "
        "name the file gives all of them",
        "note: third.csv: its 3 spectra are imported as 3 references of acetaminophen, the "
        "name the file gives all of them",
        # nor whether they are Raman or IR: of 7 references, validate prints each one's import
        "note: first.csv, second.csv, third.csv: the file does not say whether it is Raman or "
        "IR either; read as ir",
    ]
    (modality,) = [line for line in notes if "Raman or IR" in line]
    assert modality.endswith(
        "its intensity unit, once stated, says it is IR; if it is raman: `forensic library "
        f"validate {library}` prints the import of its reference's file that makes it so"
    )
