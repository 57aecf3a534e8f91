"""A second evidence store is never started by mistake: stores are named by absolute paths,
remembered once recorded into, and a new one is said, and refused for a case another holds."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from custody_helpers import OPERATOR, identification_dict
from synthetic import make_spectrum

from forensic.cli import main
from forensic.custody import Store
from forensic.custody.known_stores import (
    NewStoreRefused,
    check_new_store,
    is_new_store,
    known_stores,
    known_stores_file,
    remember_store,
)
from forensic.custody.store import resolve_store_path, utc_when
from forensic.workflows import scan


class FakeInstrument:
    """Stands in for a driver; counts how often it was opened (the laser never fires before)."""

    opened = 0

    def __init__(self, url):
        FakeInstrument.opened += 1

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def acquire(self, **settings):
        return make_spectrum(seed=3, noise=0.01).with_metadata(
            provenance="simulated", instrument_model="Fake", integration_time_ms=100.0
        )

    def describe(self):
        return {"kind": "FakeInstrument", "simulated": True}


def _scan(store, case="2026-0412", item="A1", **kw):
    progress = []
    result = scan(
        "fake:instrument",
        case_number=case,
        item_number=item,
        operator=OPERATOR,
        store=store,
        open_instrument=FakeInstrument,
        identify=lambda spectrum: identification_dict(),
        progress=lambda stage, message: progress.append((stage, message)),
        **kw,
    )
    return result, progress


def _case_lines(progress):
    return [message for stage, message in progress if stage == "case"]


def test_a_relative_store_is_named_by_its_absolute_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resolve_store_path("demo-store") == tmp_path / "demo-store" / "forensic.db"
    assert resolve_store_path("demo-store").is_absolute()
    assert resolve_store_path("van.db") == tmp_path / "van.db"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert resolve_store_path("~/store") == tmp_path / "home" / "store" / "forensic.db"


def test_a_scan_into_a_folder_that_does_not_exist_creates_the_store_and_says_so(tmp_path):
    """The acceptance check's path: a first scan into a fresh folder records as before."""
    folder = tmp_path / "no" / "such" / "folder"
    result, progress = _scan(folder)
    db = folder / "forensic.db"
    assert db.is_file() and result.verdict == "IDENTIFIED: Cocaine hydrochloride"
    # said before the receipt is recorded and the laser fires, as a line of its own
    assert _case_lines(progress) == [
        f"NEW evidence store at {db}: this scan creates it",
        f"NEW case 2026-0412, NEW exhibit A1 in {db}",
    ]
    stages = [stage for stage, _ in progress]
    assert stages.index("case") < stages.index("custody") < stages.index("acquire")
    # remembered, by its absolute path; a second scan into it is no new store
    assert [known.path for known in known_stores()] == [db]
    _, progress = _scan(folder, item="A2")
    assert not any("NEW evidence store" in line for line in _case_lines(progress))


def test_a_new_store_names_the_stores_already_known_most_recent_first(tmp_path):
    _scan(tmp_path / "van", case="2026-0412")
    remember_store(tmp_path / "van", at="2026-11-22T08:00:00Z")  # used longer ago
    _scan(tmp_path / "lab", case="2026-0500")
    _scan(tmp_path / "gone", case="2026-0600")
    (tmp_path / "gone" / "forensic.db").unlink()  # a store deleted is not named
    _, progress = _scan(tmp_path / "new", case="2026-0700")
    new, lab, van = (tmp_path / name / "forensic.db" for name in ("new", "lab", "van"))
    said, case_line = _case_lines(progress)
    first, note = said.split("\n")
    assert first == f"NEW evidence store at {new}: this scan creates it"
    assert note.strip().startswith(
        f"note: this computer has recorded into other evidence stores (most recent first): {lab}"
    )
    assert note.index(str(lab)) < note.index(str(van))
    assert str(tmp_path / "gone") not in note
    assert note.endswith(f"To record into one of them instead, give --store {lab} (its path)")
    assert case_line.startswith("NEW case 2026-0700")


def test_a_new_store_for_a_case_another_store_holds_is_refused_before_anything(tmp_path):
    _scan(tmp_path / "van")
    van = tmp_path / "van" / "forensic.db"
    before = van.read_bytes()
    FakeInstrument.opened = 0
    with pytest.raises(NewStoreRefused) as refused:
        _scan(tmp_path / "typo", case=" 2026-0412 ", item="A2")  # as pasted, with spaces
    said = str(refused.value)
    assert said.startswith(f"case 2026-0412 is in the evidence store {van} (last recorded into ")
    assert f"there is no evidence store at {tmp_path / 'typo' / 'forensic.db'}" in said
    assert f"run the command again with --store {van}" in said
    assert "add --new-store" in said
    assert said.endswith("Nothing was recorded, and no store was created")
    assert not (tmp_path / "typo").exists()  # no store, not even its folder
    assert FakeInstrument.opened == 0  # refused before the instrument opened
    assert van.read_bytes() == before
    # asked for on purpose, it is created, and the line says where the case is too
    _, progress = _scan(tmp_path / "typo", case="2026-0412", item="A2", new_store=True)
    said = _case_lines(progress)[0]
    assert said.startswith(f"NEW evidence store at {tmp_path / 'typo' / 'forensic.db'}")
    assert f"case 2026-0412 is also in the evidence store {van}" in said


def test_a_store_that_holds_no_record_is_a_new_store(tmp_path):
    assert is_new_store(tmp_path / "none")
    Store(tmp_path / "empty").close()  # created, then nothing recorded (a scan that failed)
    assert is_new_store(tmp_path / "empty")
    assert known_stores() == []  # nothing recorded: not remembered
    _scan(tmp_path / "full")
    assert not is_new_store(tmp_path / "full")
    assert check_new_store(tmp_path / "full", case_number="2026-0412") == []
    with pytest.raises(NewStoreRefused, match="case 2026-0412 is in the evidence store"):
        check_new_store(tmp_path / "empty", case_number="2026-0412")


def test_a_list_of_stores_that_cannot_be_read_is_taken_as_empty(tmp_path):
    known_stores_file().parent.mkdir(parents=True, exist_ok=True)
    known_stores_file().write_text("{not json", encoding="utf-8")
    assert known_stores() == []
    assert check_new_store(tmp_path / "s") == [
        f"NEW evidence store at {tmp_path / 's' / 'forensic.db'}: this command creates it"
    ]
    _scan(tmp_path / "s")  # and a command that records writes it anew
    listed = json.loads(known_stores_file().read_text(encoding="utf-8"))["stores"]
    assert [entry["path"] for entry in listed] == [str(tmp_path / "s" / "forensic.db")]


def test_the_commands_name_their_store_absolutely_and_the_stores_known(tmp_path, monkeypatch):
    runner = CliRunner(env={"FORENSIC_OPERATOR": OPERATOR, "FORENSIC_STORE": None})
    monkeypatch.chdir(tmp_path)
    done = runner.invoke(main, ["case", "new", "2026-0412", "--store", "demo-store"])
    store = tmp_path / "demo-store" / "forensic.db"
    assert done.exit_code == 0, done.output
    assert done.stderr == f"NEW evidence store at {store}: this command creates it\n"
    # from another folder, the same relative --store is no store: said with its absolute
    # path, and the store that holds the case
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    missing = tmp_path / "elsewhere" / "demo-store" / "forensic.db"
    done = runner.invoke(main, ["case", "show", "2026-0412", "--store", "demo-store"])
    assert done.exit_code == 2
    assert done.stderr == (
        f"error: no evidence store at {missing}; case 2026-0412 is in the evidence store "
        f"{store} (last recorded into {_last_used(store)}): give --store {store}\n"
    )
    done = runner.invoke(main, ["case", "list", "--store", "demo-store"])
    assert done.exit_code == 2
    assert done.stderr.startswith(f"error: no evidence store at {missing}; this computer has ")
    assert f"give --store with the one meant (e.g. --store {store})" in done.stderr
    # a command that records into an existing case never creates a store
    for args in (
        ["exhibit", "add", "2026-0412", "A1", "--description", "bag"],
        ["custody", "add", "2026-0412", "A1", "--received-by", "Bo", "--purpose", "storage"],
    ):
        done = runner.invoke(main, [*args, "--store", "demo-store"])
        assert done.exit_code == 2, done.output
        assert done.stderr.startswith(f"error: no evidence store at {missing}; case 2026-0412 ")
    assert not (tmp_path / "elsewhere" / "demo-store").exists()
    # case new refuses a second store for the case, unless told a new one is wanted
    done = runner.invoke(main, ["case", "new", "2026-0412", "--store", "demo-store"])
    assert done.exit_code == 2
    assert f"case 2026-0412 is in the evidence store {store}" in done.stderr
    assert not (tmp_path / "elsewhere" / "demo-store").exists()
    done = runner.invoke(main, ["case", "new", "2026-0412", "--store", "demo-store", "--new-store"])
    assert done.exit_code == 0, done.output
    assert done.stderr.startswith(f"NEW evidence store at {missing}: this command creates it\n")


def _last_used(store):
    (known,) = [known for known in known_stores() if known.path == store]
    return utc_when(known.last_used)
