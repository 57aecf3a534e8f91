"""The shipped reference library: manifest, files, reproducibility and the ENFSI check."""

from __future__ import annotations

import csv
import importlib.util
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks import run as benchmark_run
from forensic.curation import MANIFEST_COLUMNS
from forensic.io import read_spectrum
from forensic.library_folders import shipped_library
from forensic.manifest import WRITTEN_WHEN_FILLED
from forensic.spectrum import Spectrum
from spectral_library import LIBRARY_DIR, LIBRARY_PUBLISHED

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = LIBRARY_DIR / "manifest.csv"
# every shipped reference has a CAS number: the inchikey column is written only when filled
COLUMNS = [c for c in MANIFEST_COLUMNS if c not in WRITTEN_WHEN_FILLED]

# Band-table ids of the substances issue 5 names; each needs a Raman and an IR reference.
REQUIRED_BOTH = [
    "cocaine-hcl",
    "cocaine-base",
    "heroin-base",
    "morphine",
    "codeine",
    "methamphetamine-hcl",
    "amphetamine-sulfate",
    "mdma-hcl",
    "mda-hcl",
    "mephedrone-hcl",
    "alpha-pvp-hcl",
    "ketamine-hcl",
    "fentanyl",
    "xylazine",
    "tramadol-hcl",
    "diazepam",
    "alprazolam",
    "caffeine",
    "paracetamol",
    "lidocaine-hcl",
    "procaine-hcl",
    "benzocaine",
    "levamisole-hcl",
    "phenacetin",
    "diltiazem-hcl",
    "hydroxyzine-2hcl",
    "mannitol",
    "lactose",
    "sucrose",
    "glucose",
    "inositol",
    "starch",
    "sodium-bicarbonate",
    "calcium-carbonate",
    "boric-acid",
    "dimethyl-sulfone",
    "polystyrene",
    "cyclohexane",
]
REQUIRED_RAMAN_ONLY = ("silicon",)  # no useful mid-IR reference: see spectral_library/README.md
CLASSES = {
    "stimulant",
    "opioid",
    "hallucinogen",
    "dissociative",
    "benzodiazepine",
    "new psychoactive substance",
    "cannabinoid",
    "cutting agent",
    "diluent",
    "calibration standard",
}

ENFSI_MIN_FRACTION = 0.85
"""Plain cosine (tools/enfsi_check.py) got 29/32 = 0.91 of the ENFSI spectra right when set."""
ENGINE_MIN_FRACTION = 0.80
"""forensic.identify got 28/32 = 0.875 when set; the issue asks at least 0.80."""
ENFSI_MIN_PAIRS = 30


def _load_tool(name: str):
    path = ROOT / "tools" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_tools_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with MANIFEST.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == COLUMNS
        return list(reader)


@pytest.fixture(scope="module")
def spectra(rows):
    return {row["id"]: read_spectrum(LIBRARY_DIR / row["file"]) for row in rows}


def cas_is_valid(cas: str) -> bool:
    """CAS registry number check digit: sum of digits times their position from the right."""
    match = re.fullmatch(r"(\d{2,7})-(\d{2})-(\d)", cas)
    if not match:
        return False
    digits = (match.group(1) + match.group(2))[::-1]
    return sum(int(d) * (i + 1) for i, d in enumerate(digits)) % 10 == int(match.group(3))


def test_cas_checksum_helper_accepts_and_refuses():
    assert cas_is_valid("50-36-2")  # cocaine
    assert cas_is_valid("7440-21-3")  # silicon
    assert not cas_is_valid("50-36-3")
    assert not cas_is_valid("5036-2")


def test_every_row_is_complete_and_its_file_exists(rows):
    assert len({row["id"] for row in rows}) == len(rows), "manifest ids must be unique"
    assert len({row["file"] for row in rows}) == len(rows), "one row per file"
    for row in rows:
        for column in COLUMNS:
            if column not in ("synonyms", "waivers"):
                assert row[column].strip(), f"{row['id']}: {column} is empty"
        assert not row["waivers"], f"{row['id']}: a shipped reference passes every gate"
        assert (LIBRARY_DIR / row["file"]).is_file(), row["file"]
        assert row["modality"] in ("raman", "ir")
        assert row["provenance"] in ("measured", "modelled")
        assert row["class"] in CLASSES, f"{row['id']}: unknown class {row['class']!r}"
        assert cas_is_valid(row["cas"]), f"{row['id']}: CAS {row['cas']} fails its check digit"
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["added_at"]), row["added_at"]


def test_every_reference_file_is_in_the_manifest(rows):
    listed = {row["file"] for row in rows}
    on_disk = {
        p.relative_to(LIBRARY_DIR).as_posix()
        for folder in ("raman", "ir")
        for p in (LIBRARY_DIR / folder).glob("*")
        if p.is_file()
    }
    assert on_disk == listed


def test_required_substances_have_raman_and_ir(rows):
    have = {(row["file"].split("/")[1].removesuffix(".jdx"), row["modality"]) for row in rows}
    missing = [
        (substance, modality)
        for substance in REQUIRED_BOTH
        for modality in ("raman", "ir")
        if (substance, modality) not in have
    ]
    missing += [(s, "raman") for s in REQUIRED_RAMAN_ONLY if (s, "raman") not in have]
    assert not missing
    both = {s for s, m in have if m == "raman"} & {s for s, m in have if m == "ir"}
    assert len(both) >= 40


def test_files_agree_with_the_manifest(rows, spectra):
    for row in rows:
        spectrum = spectra[row["id"]]
        meta = spectrum.metadata
        assert spectrum.modality == row["modality"]
        assert meta["name"] == row["name"]
        assert meta["cas"] == row["cas"]
        assert meta["class"] == row["class"]
        assert meta["provenance"] == row["provenance"]
        assert meta["entry_id"] == row["id"]
        if row["provenance"] == "modelled":
            assert meta["band_source"] and meta["band_source"] in row["source"]
            assert spectrum.y_unit == ("arbitrary" if row["modality"] == "raman" else "absorbance")


def test_modelled_rows_say_so_and_name_their_band_table(rows):
    for row in rows:
        if row["provenance"] == "modelled":
            table = row["source"].split(" ")[2]
            assert (LIBRARY_DIR / table).is_file(), row["source"][:80]


def test_names_are_distinct_per_modality(rows):
    for modality in ("raman", "ir"):
        names = [row["name"].lower() for row in rows if row["modality"] == modality]
        assert len(names) == len(set(names))


def test_references_of_different_substances_are_distinguishable(spectra):
    """No two modelled references of one modality are near-copies (cosine above 0.98)."""
    for modality in ("raman", "ir"):
        items = [(k, s) for k, s in spectra.items() if s.modality == modality]
        grid = items[0][1].wavenumber
        matrix = np.stack([np.interp(grid, s.wavenumber, s.intensity) for _, s in items])
        matrix -= matrix.mean(axis=1, keepdims=True)
        matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
        cosine = matrix @ matrix.T
        np.fill_diagonal(cosine, 0.0)
        worst = np.unravel_index(np.argmax(cosine), cosine.shape)
        assert cosine[worst] < 0.98, (items[worst[0]][0], items[worst[1]][0])


def test_changelog_names_who_approved_the_published_version():
    text = (LIBRARY_DIR / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(r"^approved by: \S.+$", text, flags=re.M)


def test_committed_files_are_exactly_what_the_band_tables_give():
    pytest.importorskip("tomllib", reason="the regeneration tool reads TOML (Python 3.11+)")
    tool = _load_tool("model_library")
    first = tool.build(LIBRARY_DIR)
    assert first == tool.build(LIBRARY_DIR), "regeneration is not deterministic"
    stale, orphans = tool.stale_files(LIBRARY_DIR, first)
    assert not stale, f"run `python tools/model_library.py`: stale {stale[:5]}"
    assert not orphans


def _enfsi_dir(shared_data: Path) -> Path:
    enfsi = shared_data / "substances" / "enfsi-ir"
    if not enfsi.is_dir():
        pytest.skip(f"{enfsi} is absent")
    return enfsi


def test_measured_enfsi_ir_spectra_match_their_modelled_tables_by_plain_cosine(shared_data):
    """The ENFSI measured ATR-FTIR spectra check the modelled IR tables (never a source).

    Plain cosine of tools/enfsi_check.py (documented there): it depends on the tables only, so a
    table edit that makes a substance unrecognisable fails here whatever the engine does.
    """
    results = _load_tool("enfsi_check").run(_enfsi_dir(shared_data), LIBRARY_DIR)
    right = sum(r.identified for r in results)
    missed = [(r.enfsi_id, r.top_id) for r in results if not r.identified]
    assert len(results) >= ENFSI_MIN_PAIRS
    assert right / len(results) >= ENFSI_MIN_FRACTION, f"{right}/{len(results)}; missed {missed}"


def test_the_enfsi_check_fails_where_it_finds_nothing_to_check(tmp_path, capsys):
    """It printed 0/0 and exited 0 in a clone without the shared data: a pass on nothing."""
    check = _load_tool("enfsi_check")
    (tmp_path / "empty").mkdir()
    for folder in (tmp_path / "absent", tmp_path / "empty"):
        assert check.main([str(folder)]) == 2
        assert f"no ENFSI spectrum of a substance the library holds in {folder}" in (
            capsys.readouterr().err
        )


def test_a_benchmark_section_without_its_data_says_so_and_where_it_looked():
    said = benchmark_run._skipped(
        {"protocol": "x", "raman": {"skipped": "shared data absent"}, "engine": {"skipped": "e"}}
    )
    ((where, why),) = said
    assert where == " (raman)" and why.startswith("shared data absent: no ")
    assert "FORENSIC_SHARED_DATA" in why
    assert benchmark_run._skipped({"skipped": "library left uncalibrated"}) == [
        ("", "library left uncalibrated")
    ]


@pytest.mark.slow  # compiles the shipped library once (~20 s on 2 cores)
def test_measured_enfsi_ir_spectra_identify_as_themselves_with_the_engine(shared_data):
    """forensic.identify against the shipped library: the figure docs/library.md reports."""
    from forensic.identification import identify  # noqa: PLC0415
    from forensic.library_folders import shipped_library  # noqa: PLC0415

    enfsi = _enfsi_dir(shared_data)
    check = _load_tool("enfsi_check")
    library = shipped_library()
    right = total = 0
    missed = []
    for enfsi_id, targets in check.ENFSI_TO_LIBRARY.items():
        path = enfsi / f"{enfsi_id}.csv"
        if not path.is_file():
            continue
        query = Spectrum(*check.load_enfsi(path), modality="ir", y_unit="absorbance")
        top = identify(query, library, top=1, mixtures=False).to_dict()["hits"][0]
        ok = str(top["entry_id"]).removesuffix("-ir") in targets
        right += ok
        total += 1
        if not ok:
            missed.append((enfsi_id, top["entry_id"]))
    assert total >= ENFSI_MIN_PAIRS
    assert right / total >= ENGINE_MIN_FRACTION, f"{right}/{total}; missed {missed}"


MEASURED_RAMAN_CHECKS = [
    ("substances/paracetamol_raman_renishaw.txt", "paracetamol-raman"),
    ("calibration/raman/FMNT-M_BW532__PST10_iR532_Probe_100_3000msx7.txt", "polystyrene-raman"),
    ("calibration/raman/ICV_BW785__PST02_iRPlus785_Z050_100_3200ms.txt", "polystyrene-raman"),
    ("calibration/raman/FMNT-M_BW532__Sil10_iR532_Probe_100_60000msx2.txt", "silicon-raman"),
    (
        "rruff/raman-confusers/Nahcolite__R070237__Raman__532__0__unoriented__Raman_Data_"
        "Processed__25655.txt",
        "sodium-bicarbonate-raman",
    ),
]


@pytest.mark.slow  # compiles the shipped library once (~20 s on 2 cores)
@pytest.mark.parametrize(("relative", "expected"), MEASURED_RAMAN_CHECKS)
def test_measured_raman_spectra_identify_as_their_modelled_reference(
    shared_data, relative, expected
):
    """Measured Raman spectra in ../shared/data (a check, never a source) find their reference."""
    from forensic.identification import identify  # noqa: PLC0415
    from forensic.library_folders import shipped_library  # noqa: PLC0415

    path = shared_data / relative
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    query = read_spectrum(path)
    top = identify(query, shipped_library(), top=1, mixtures=False).to_dict()["hits"][0]
    assert top["entry_id"] == expected
    assert top["provenance"] == "modelled"


def test_the_shipped_library_is_dated_by_its_published_version_not_by_its_compilation():
    """A report prints the shipped library's date: the newest CHANGELOG entry's, the same on
    every computer, never the moment this one compiled it into its cache."""
    changelog = (LIBRARY_DIR / "CHANGELOG.md").read_text(encoding="utf-8")
    newest = re.search(r"^## (\d{4}-\d{2}-\d{2})\b", changelog, flags=re.MULTILINE)
    assert newest is not None, "CHANGELOG.md has no dated entry"
    assert newest[1] == LIBRARY_PUBLISHED
    assert shipped_library().built_at == LIBRARY_PUBLISHED
