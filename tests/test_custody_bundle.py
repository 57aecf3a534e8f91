"""Bundles: a case travels from the van's store to the lab's, and a tampered bundle is refused."""

from __future__ import annotations

import json
import shutil
import sqlite3
import zipfile

import pytest
from click.testing import CliRunner
from custody_helpers import OPERATOR, populated_store

from forensic.cli import main
from forensic.custody import Store, UnverifiedChainError, chain, verify_store
from forensic.custody import bundle as bundle_module
from forensic.custody.bundle import BundleError, export_bundle, import_bundle
from forensic.custody.keys import load_or_create_key
from forensic.files import OutputError
from forensic.report import issue_report

LAB = "Lab Receiver"


@pytest.fixture(scope="module")
def _van_bundle(tmp_path_factory):
    folder = tmp_path_factory.mktemp("van")
    mp = pytest.MonkeyPatch()
    mp.setenv("FORENSIC_CONFIG_DIR", str(folder / "config"))
    try:
        van = populated_store(folder / "van")
        populated_store(folder / "van", case="OTHER-CASE", item="X-9")
        issue_report(van, "CASE-1", operator=OPERATOR, pdf_path=folder / "r.pdf")
        manifest = export_bundle(van, "CASE-1", folder / "b.zip", operator=OPERATOR)
        van.close()
    finally:
        mp.undo()
    return folder, manifest


@pytest.fixture
def exported(_van_bundle, tmp_path):
    """A fresh copy of the van's store and of its bundle of CASE-1 for each test."""
    folder, manifest = _van_bundle
    shutil.copytree(folder / "van", tmp_path / "van")
    shutil.copytree(folder / "config", tmp_path / "config")
    shutil.copy(folder / "b.zip", tmp_path / "b.zip")
    return tmp_path / "b.zip", manifest


def _rewrite(path, changes: dict[str, bytes], *, drop=(), add=None):
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members.update(changes)
    members.update(add or {})
    for name in drop:
        members.pop(name)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _lab(tmp_path):
    lab = Store(tmp_path / "lab")
    lab.open_case("LAB-OWN", operator=LAB)
    return lab


def test_export_holds_the_case_only_with_raw_data_reports_and_keys(exported):
    path, _ = exported
    names = zipfile.ZipFile(path).namelist()
    assert {"manifest.json", "manifest.sig", "records/custody_events.json"} <= set(names)
    assert any(n.startswith("raw/") for n in names)
    assert any(n.startswith("reports/") and n.endswith(".pdf") for n in names)
    assert any(n.startswith("keys/") and n.endswith(".pub") for n in names)
    cases = json.loads(zipfile.ZipFile(path).read("records/cases.json"))
    assert [c["case_number"] for c in cases] == ["CASE-1"]
    assert b"OTHER-CASE" not in b"".join(zipfile.ZipFile(path).read(n) for n in names)


def test_import_verifies_and_adds_the_case_to_the_lab(exported, tmp_path):
    path, _ = exported
    lab = _lab(tmp_path)
    summary = import_bundle(lab, path, operator=LAB)
    assert summary.case_number == "CASE-1" and summary.new_records > 0
    assert lab.get_exhibit("CASE-1", "EX-1")["description"] == "white powder, zip bag"
    measurement = lab.measurements("CASE-1", "EX-1")[0]
    assert lab.load_spectrum(measurement).modality == "raman"
    report = verify_store(lab)
    assert report.ok, report.summary()
    assert len(report.chains) == 2  # the lab's own chain and the van's
    # The lab continues the custody and can report; importing again adds nothing.
    lab.add_custody_event(
        "CASE-1",
        "EX-1",
        operator=LAB,
        released_by=OPERATOR,
        received_by=LAB,
        purpose="confirmation by GC-MS",
        seal_intact=True,
    )
    assert import_bundle(lab, path, operator=LAB).new_records == 0
    issued = issue_report(lab, "CASE-1", "EX-1", operator=LAB, text_path=tmp_path / "lab.txt")
    assert [e["received_by"] for e in issued.content["exhibits"][0]["custody"]] == [OPERATOR, LAB]
    assert verify_store(lab).ok


def test_the_lab_can_send_the_case_back(exported, tmp_path):
    path, _ = exported
    lab = _lab(tmp_path)
    import_bundle(lab, path, operator=LAB)
    lab.add_custody_event("CASE-1", "EX-1", operator=LAB, received_by=LAB, purpose="storage")
    export_bundle(lab, "CASE-1", tmp_path / "back.zip", operator=LAB)
    van = Store(tmp_path / "van")
    assert import_bundle(van, tmp_path / "back.zip", operator=OPERATOR).new_records >= 1
    assert verify_store(van).ok


def _counts(store):
    return {
        t: len(store.query(f"SELECT 1 FROM {t}"))
        for t in (*chain.CHAINED_TABLES, "blobs", "chain_links")
    }


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        ("record_file", r"records/custody_events.json was changed"),
        ("record_file_and_manifest", r"manifest.json is not signed by 'Ann Example'"),
        ("raw_file", r"raw/[0-9a-f]{64}.json was changed"),
        ("missing_file", r"listed in the manifest but missing"),
        ("extra_file", r"notes.txt is in the bundle but not in its manifest"),
        ("signature", r"manifest.json is not signed"),
        ("resigned_by_impostor", r"record does not verify"),
        ("not_a_zip", r"not a readable zip bundle"),
    ],
)
def test_a_tampered_bundle_is_refused_naming_what_is_wrong(exported, tmp_path, tamper, message):
    path, manifest = exported
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    events = json.loads(members["records/custody_events.json"])
    events[0]["seal_intact"] = 0
    edited = json.dumps(events).encode()
    if tamper == "record_file":
        _rewrite(path, {"records/custody_events.json": edited})
    elif tamper in ("record_file_and_manifest", "resigned_by_impostor"):
        new_manifest = dict(manifest)
        new_manifest["files"] = {
            **manifest["files"],
            "records/custody_events.json": chain.sha256_hex(edited),
        }
        changes = {"records/custody_events.json": edited}
        if tamper == "resigned_by_impostor":
            # A forger with their own key re-signs the manifest; the records still do not
            # verify because the forger cannot sign as the operator.
            impostor = load_or_create_key("Impostor")
            keys = json.loads(members["records/operator_keys.json"])
            new_manifest["exporter_key_fingerprint"] = impostor.fingerprint
            keys.append(
                {
                    **keys[0],
                    "operator": "Impostor",
                    "public_key": impostor.public_key_hex,
                    "fingerprint": impostor.fingerprint,
                }
            )
            keys_bytes = json.dumps(keys).encode()
            changes["records/operator_keys.json"] = keys_bytes
            new_manifest["files"]["records/operator_keys.json"] = chain.sha256_hex(keys_bytes)
            manifest_bytes = json.dumps(new_manifest).encode()
            changes["manifest.json"] = manifest_bytes
            changes["manifest.sig"] = impostor.sign(
                bytes.fromhex(chain.sha256_hex(manifest_bytes))
            ).encode()
        else:
            changes["manifest.json"] = json.dumps(new_manifest).encode()
        _rewrite(path, changes)
    elif tamper == "raw_file":
        name = next(n for n in members if n.startswith("raw/"))
        _rewrite(path, {name: members[name].replace(b"1", b"2", 1)})
    elif tamper == "missing_file":
        _rewrite(path, {}, drop=[next(n for n in members if n.startswith("reports/"))])
    elif tamper == "extra_file":
        _rewrite(path, {}, add={"notes.txt": b"hello"})
    elif tamper == "signature":
        _rewrite(path, {"manifest.sig": b"00" * 64})
    elif tamper == "not_a_zip":
        path.write_bytes(b"PK\x03\x04 truncated")
    lab = _lab(tmp_path)
    before = _counts(lab)
    with pytest.raises(BundleError, match=message):
        import_bundle(lab, path, operator=LAB)
    assert _counts(lab) == before  # nothing accepted
    assert verify_store(lab).ok


def test_a_forked_chain_is_refused(exported, tmp_path):
    path, _ = exported
    lab = _lab(tmp_path)
    import_bundle(lab, path, operator=LAB)
    # The van's store is rebuilt from scratch under the same chain id: its history differs.
    van_db = tmp_path / "van" / "forensic.db"
    conn = sqlite3.connect(van_db)
    chain_id = conn.execute("SELECT value FROM store_meta WHERE key='chain_id'").fetchone()[0]
    conn.close()
    (tmp_path / "fork").mkdir()
    fork = Store(tmp_path / "fork")
    fork.conn.execute("UPDATE store_meta SET value = ? WHERE key = 'chain_id'", (chain_id,))
    fork.chain_id = chain_id
    populated_store(tmp_path / "fork").close()
    fork.close()
    export_bundle(Store(tmp_path / "fork"), "CASE-1", tmp_path / "fork.zip", operator=OPERATOR)
    with pytest.raises(BundleError, match="forked"):
        import_bundle(lab, tmp_path / "fork.zip", operator=LAB)


def test_export_into_a_folder_gone_since_it_was_checked_makes_no_folder_on_the_laptop(
    tmp_path, monkeypatch
):
    """A USB stick pulled out while the bundle is made: its folder was made anew (on the
    laptop, where the stick was mounted) and the bundle written there, "bundle written"."""
    store = populated_store(tmp_path / "van")
    stick = tmp_path / "stick"
    stick.mkdir()
    as_json = bundle_module._json_bytes

    def pulled_out(value):
        if stick.exists():
            stick.rmdir()
        return as_json(value)

    monkeypatch.setattr(bundle_module, "_json_bytes", pulled_out)
    try:
        with pytest.raises(OutputError, match=r"the folder .*stick does not exist"):
            export_bundle(store, "CASE-1", stick / "b.zip", operator=OPERATOR)
    finally:
        store.close()
    assert not stick.exists()


def test_export_refuses_a_case_that_does_not_verify(tmp_path):
    populated_store(tmp_path / "van").close()
    conn = sqlite3.connect(tmp_path / "van" / "forensic.db")
    conn.execute("UPDATE exhibits SET description = 'x'")
    conn.commit()
    conn.close()
    with pytest.raises(UnverifiedChainError, match="does not verify"):
        export_bundle(Store(tmp_path / "van"), "CASE-1", tmp_path / "b.zip", operator=OPERATOR)
    assert not (tmp_path / "b.zip").exists()
    # a file there is not what is said: "already exists (use --force)" hid the chain
    (tmp_path / "b.zip").write_bytes(b"an earlier bundle")
    with pytest.raises(UnverifiedChainError, match="does not verify"):
        export_bundle(Store(tmp_path / "van"), "CASE-1", tmp_path / "b.zip", operator=OPERATOR)
    assert (tmp_path / "b.zip").read_bytes() == b"an earlier bundle"
    (tmp_path / "b.zip").unlink()
    refused = CliRunner().invoke(
        main,
        [
            "bundle",
            "export",
            "CASE-1",
            "--out",
            str(tmp_path / "b.zip"),
            "--store",
            str(tmp_path / "van"),
            "--operator",
            OPERATOR,
        ],
    )
    # refused on an unverified chain (the table of exit codes in CONTRIBUTING.md)
    assert refused.exit_code == 3, refused.output


def test_a_python_caller_of_export_bundle_is_told_its_argument_out(tmp_path):
    """export_bundle told a Python caller to "give --out another file", an option it cannot
    give; the command line is told --out, as before."""
    store = populated_store(tmp_path / "van")
    db = tmp_path / "van" / "forensic.db"
    head = store.head()
    with pytest.raises(OutputError) as refused:
        export_bundle(store, "CASE-1", db, operator=LAB, overwrite=True)
    assert str(refused.value) == (
        f"out='{db}' is the evidence store {db}: an output written there would destroy it; "
        "give out=... another file (nothing was written)"
    )
    assert store.head() == head
    assert LAB not in store.operator_fingerprints()  # nothing recorded: not even a key
    store.close()


@pytest.mark.parametrize("name", ["forensic.db", "forensic.db-wal", "unrecorded-spectra/b.zip"])
def test_a_bundle_is_never_written_over_what_the_store_owns(tmp_path, name):
    """`bundle export --out STORE --force` would have replaced the records with the bundle."""
    populated_store(tmp_path / "van").close()
    db = tmp_path / "van" / "forensic.db"
    before = db.read_bytes()
    args = ["bundle", "export", "CASE-1", "--out", str(tmp_path / "van" / name), "--force"]
    result = CliRunner().invoke(main, [*args, "--store", str(db), "--operator", LAB])
    assert result.exit_code == 2, result.output
    assert f"error: --out {tmp_path / 'van' / name} is " in result.output
    assert result.output.endswith("give --out another file (nothing was written)\n") or (
        "give --out a file elsewhere (nothing was written)" in result.output
    )
    assert db.read_bytes() == before
    with Store(db) as store:
        assert LAB not in store.operator_fingerprints()  # nothing recorded: not even a key


def test_cli_bundle_round_trip_and_refusal(tmp_path):
    populated_store(tmp_path / "van").close()
    runner = CliRunner()
    out = runner.invoke(
        main,
        [
            "bundle",
            "export",
            "CASE-1",
            "--out",
            str(tmp_path / "b.zip"),
            "--store",
            str(tmp_path / "van"),
            "--operator",
            OPERATOR,
        ],
    )
    assert out.exit_code == 0, out.output
    done = runner.invoke(
        main,
        [
            "bundle",
            "import",
            str(tmp_path / "b.zip"),
            "--store",
            str(tmp_path / "lab"),
            "--operator",
            LAB,
        ],
    )
    assert done.exit_code == 0, done.output
    assert "verified and imported" in done.output
    _rewrite(tmp_path / "b.zip", {"records/results.json": b"[]"})
    refused = runner.invoke(
        main,
        [
            "bundle",
            "import",
            str(tmp_path / "b.zip"),
            "--store",
            str(tmp_path / "lab"),
            "--operator",
            LAB,
        ],
    )
    assert refused.exit_code == 3
    assert "records/results.json was changed" in refused.output


def test_a_bundle_carries_where_a_measurement_was_made_and_leaves_out_a_place_not_recorded(
    tmp_path,
):
    """A measurement recorded without a place is written as a store of schema 1 holds it
    (without the column), so a toolkit of that schema imports it; one with a place carries it,
    and both verify where they are imported."""
    van = populated_store(tmp_path / "van")  # its measurement records no place
    spectrum = van.load_spectrum(van.measurements("CASE-1", "EX-1")[0])
    van.add_measurement(
        "CASE-1", "EX-1", spectrum, operator=OPERATOR, location="Van 3, A1 lay-by", unit="FDU"
    )
    export_bundle(van, "CASE-1", tmp_path / "b.zip", operator=OPERATOR)
    van.close()
    rows = json.loads(zipfile.ZipFile(tmp_path / "b.zip").read("records/measurements.json"))
    assert [(r.get("location", "absent"), r.get("unit", "absent")) for r in rows] == [
        ("absent", "absent"),
        ("Van 3, A1 lay-by", "FDU"),
    ]
    lab = _lab(tmp_path)
    import_bundle(lab, tmp_path / "b.zip", operator=LAB)
    assert [m["location"] for m in lab.measurements("CASE-1", "EX-1")] == [
        None,
        "Van 3, A1 lay-by",
    ]
    assert verify_store(lab).ok


def test_a_bundle_carries_where_an_exhibit_changed_hands_and_leaves_out_a_place_not_stated(
    tmp_path,
):
    """A hand-over recorded without a place is written as a store of schema 2 holds it
    (without the column), so a toolkit of that schema imports it; one with a place carries
    it, and both verify where they are imported."""
    van = populated_store(tmp_path / "van")  # its hand-over states no place
    van.add_custody_event(
        "CASE-1", "EX-1", operator=OPERATOR, released_by=OPERATOR, received_by=LAB,
        purpose="transport to the laboratory", location="Van 3, A1 lay-by",
    )  # fmt: skip
    export_bundle(van, "CASE-1", tmp_path / "b.zip", operator=OPERATOR)
    van.close()
    rows = json.loads(zipfile.ZipFile(tmp_path / "b.zip").read("records/custody_events.json"))
    assert [r.get("location", "absent") for r in rows] == ["absent", "Van 3, A1 lay-by"]
    lab = _lab(tmp_path)
    import_bundle(lab, tmp_path / "b.zip", operator=LAB)
    assert [e["location"] for e in lab.custody_events("CASE-1", "EX-1")] == [
        None,
        "Van 3, A1 lay-by",
    ]
    assert verify_store(lab).ok


@pytest.mark.parametrize(
    "edited",
    [
        "null",
        "{}",
        "[1]",
        '[{"chain_id": "x"}]',
        '[{"chain_id": "x", "head_seq": "3", "links_sha256": "y"}]',
    ],
)
def test_an_import_record_edited_into_other_json_is_reported_not_a_crash(
    exported, tmp_path, edited
):
    # origin_chains_json edited into valid JSON of another shape: verify said nothing of it
    # but a TypeError or KeyError (a traceback for `custody verify`)
    path, _ = exported
    lab = _lab(tmp_path)
    import_bundle(lab, path, operator=LAB)
    lab.close()
    conn = sqlite3.connect(tmp_path / "lab" / "forensic.db")
    conn.execute("UPDATE imports SET origin_chains_json = ?", (edited,))
    conn.commit()
    conn.close()
    report = verify_store(Store(tmp_path / "lab"))
    assert not report.ok
    said = [str(p) for p in report.problems if p.table == "imports"]
    assert any("origin_chains_json is not a list of origin chains" in s for s in said), said


def _import(path, store) -> object:
    return CliRunner().invoke(
        main, ["bundle", "import", str(path), "--store", str(store), "--operator", LAB]
    )


def _tampered(exported) -> tuple:
    """The bundle, its results edited (as ``test_cli_bundle_round_trip_and_refusal``), and what
    the refusal says of it."""
    path, manifest = exported
    _rewrite(path, {"records/results.json": b"[]"})
    said = (
        f"error: {path}: records/results.json was changed: its SHA-256 is "
        f"{chain.sha256_hex(b'[]')}, the manifest says {manifest['files']['records/results.json']}"
    )
    return path, said


def test_a_refused_import_removes_the_store_it_created_and_says_nothing_was_recorded(exported):
    """A bundle refused as tampered left behind the new, empty store the import had created
    (with the folders made for it), which the next command took for the place to record
    into. It is removed, and the refusal says nothing was recorded, as the others do."""
    path, said = _tampered(exported)
    folder = path.parent / "lab"
    db = folder / "intake" / "forensic.db"
    refused = _import(path, db.parent)
    assert refused.exit_code == 3
    lines = refused.stderr.splitlines()
    assert lines[0] == f"NEW evidence store at {db}: this command creates it"
    assert lines[-2:] == [said, f"nothing was recorded; the new evidence store at {db} was removed"]
    assert not folder.exists()
    assert str(db) not in (path.parent / "config" / "known-stores.json").read_text()


def test_an_import_stopped_before_it_recorded_removes_the_store_it_created(exported, monkeypatch):
    path, _ = exported

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(bundle_module, "import_bundle", stopped)
    db = path.parent / "lab" / "forensic.db"
    result = _import(path, db.parent)
    assert result.exit_code == 130
    assert result.stderr.splitlines()[-2:] == [
        "error: interrupted",
        f"nothing was recorded; the new evidence store at {db} was removed",
    ]
    assert not db.parent.exists()


def test_a_refused_import_leaves_a_store_that_was_there_as_it_was(exported):
    """Only what the import created is removed: a store that held records, or one that was
    there empty (a store an earlier command created and left), is left as it was."""
    path, said = _tampered(exported)
    _lab(path.parent).close()
    db = path.parent / "lab" / "forensic.db"
    Store(path.parent / "empty").close()
    empty = path.parent / "empty" / "forensic.db"
    before = {store: store.read_bytes() for store in (db, empty)}
    for store in (db, empty):
        refused = _import(path, store)
        assert refused.exit_code == 3
        assert refused.stderr.splitlines()[-2:] == [said, "nothing was recorded"]
        assert store.read_bytes() == before[store]
    assert sorted(p.name for p in db.parent.iterdir()) == ["forensic.db"]
    assert sorted(p.name for p in empty.parent.iterdir()) == ["forensic.db"]


def test_a_forked_chain_refused_says_nothing_was_recorded(exported, tmp_path):
    """A refusal for a conflict with the store (found only once the store is opened) says
    nothing was recorded, and the store keeps what it held."""
    path, _ = exported
    lab = _lab(tmp_path)
    import_bundle(lab, path, operator=LAB)
    before = _counts(lab)
    lab.close()
    van_db = tmp_path / "van" / "forensic.db"
    conn = sqlite3.connect(van_db)
    chain_id = conn.execute("SELECT value FROM store_meta WHERE key='chain_id'").fetchone()[0]
    conn.close()
    fork = Store(tmp_path / "fork")
    fork.conn.execute("UPDATE store_meta SET value = ? WHERE key = 'chain_id'", (chain_id,))
    fork.close()
    populated_store(tmp_path / "fork").close()
    with Store(tmp_path / "fork") as fork:
        export_bundle(fork, "CASE-1", tmp_path / "fork.zip", operator=OPERATOR)
    refused = _import(tmp_path / "fork.zip", tmp_path / "lab")
    assert refused.exit_code == 3
    assert refused.stderr.splitlines()[-1] == "nothing was recorded"
    assert "the chains have forked" in refused.stderr
    with Store(tmp_path / "lab") as lab:
        assert _counts(lab) == before
