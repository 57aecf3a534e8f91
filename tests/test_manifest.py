"""forensic.manifest: the separator a spreadsheet saved a manifest with, and columns it has no
place for."""

from __future__ import annotations

import pytest

from forensic.errors import LibraryError
from forensic.manifest import MANIFEST_COLUMNS, is_manifest, read_manifest, unknown_columns


def test_a_semicolon_manifest_from_a_european_spreadsheet_is_read(tmp_path):
    # refused as "lacks the column(s) file, name (found: file;name;cas;class)"
    path = tmp_path / "m.csv"
    path.write_text(
        "# batch 3\nfile;name;synonyms;cas;class\n"
        "3_mmc.csv;3-MMC;metaphedrone;1246816-62-5;new psychoactive substance\n"
        '"a;b.csv";"MDMA, 3,4-";;;\n',
        encoding="utf-8",
    )
    rows = read_manifest(path)
    assert [(r["file"], r["name"], r["synonyms"], r.line) for r in rows] == [
        ("3_mmc.csv", "3-MMC", "metaphedrone", 3),
        ("a;b.csv", "MDMA, 3,4-", "", 4),
    ]
    assert rows.columns == ("file", "name", "synonyms", "cas", "class")
    assert rows.header_line == 2
    assert is_manifest(path)


def test_a_tab_manifest_is_read_and_a_comma_manifest_keeps_its_semicolon_synonyms(tmp_path):
    tabs = tmp_path / "tabs.csv"
    tabs.write_text("file\tname\na.jdx\tAlphaine\n")
    assert [(r["file"], r["name"]) for r in read_manifest(tabs)] == [("a.jdx", "Alphaine")]
    commas = tmp_path / "commas.csv"
    commas.write_text("file,name,synonyms\na.jdx,Alphaine,alpha;ALP\n")
    assert read_manifest(commas)[0]["synonyms"] == "alpha;ALP"  # synonyms are ;-separated


def test_a_semicolon_manifest_without_the_needed_columns_names_them_as_read(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("datei;name\nx.jdx;A\n")
    with pytest.raises(LibraryError, match=r"lacks the column\(s\) file \(found: datei, name\)"):
        read_manifest(path)


def test_columns_a_manifest_has_no_place_for_are_named_with_the_nearest_one(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text(
        "# ENFSI export\nfile,name,synonym,clas,license,aliases,Name2,CAS\nx.jdx,A,,,,,,\n"
    )
    rows = read_manifest(path)  # read: a library folder's manifest keeps a lab's own columns
    assert rows[0]["license"] == ""
    assert unknown_columns(path, rows) == (
        f"{path}: line 2: 'synonym': did you mean 'synonyms'?; 'clas': did you mean 'class'?; "
        "'license': did you mean 'licence'?; 'aliases': no such column; 'Name2': did you mean "
        f"'name'?; 'CAS': did you mean 'cas'? (the manifest columns are "
        f"{', '.join(MANIFEST_COLUMNS)}): their values would be lost"
    )
    path.write_text(",".join(MANIFEST_COLUMNS) + "\n")
    assert unknown_columns(path, read_manifest(path)) is None
