"""The scan workflow: instrument -> custody -> raw data saved -> identification -> report.

A kill at any moment leaves the store consistent and every saved raw spectrum intact.
"""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
import json
import os
import re
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from contextlib import suppress
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from custody_helpers import OPERATOR, identification_dict
from driver_helpers import (
    DEFERRED_SCAN,
    FAULT_ADVICE,
    REFUSED_SCAN,
    UNKNOWN_SERIAL,
    obp_answers_with_error,
)
from pypdf import PdfReader
from stop_helpers import (
    SIMULATED_URL,
    stop_as_the_driver_closes,
    stop_as_the_spectrum_is_handed_over,
    stop_code,
    stop_said,
)
from synthetic import make_spectrum

from drivers.errors import (
    DEFERRED_ADVICE,
    DISCONNECTED_ADVICE,
    REFUSED_ADVICE,
    UNKNOWN_MESSAGE_ADVICE,
    CommandRefused,
    DetectorSaturated,
    InstrumentDisconnected,
    InstrumentTimeout,
    NotSupported,
)
from drivers.folder import FolderInstrument
from drivers.ocean_rs232 import OceanRS232Spectrometer
from drivers.simulators.pty import FAULTS
from drivers.urls import SimulatedInstrument, open_instrument
from forensic import files as forensic_files
from forensic import workflows
from forensic.cli import main
from forensic.custody import Store, verify_store
from forensic.custody import store as store_module
from forensic.custody.continuity import custody_gaps
from forensic.custody.keys import load_or_create_key
from forensic.custody.store import (
    DEFAULT_BUSY_TIMEOUT_S,
    NOT_DESCRIBED,
    StoreBusyError,
    StoreGoneError,
    utc_when,
)
from forensic.custody.unrecorded import statement
from forensic.errors import (
    CustodyError,
    IdentificationError,
    InstrumentError,
    Interrupted,
    LibraryError,
)
from forensic.files import OutputError, OutputExistsError
from forensic.identification import verdict_qualifier
from forensic.io import write_spectrum
from forensic.library import Library
from forensic.report.issue import issue_report
from forensic.spectrum import Spectrum
from forensic.verdict import verdict_line
from forensic.workflows import SCAN_STAGES, ScanIncomplete, label_discrepancies, scan

ROOT = Path(__file__).resolve().parents[1]


class FakeInstrument:
    """Stands in for a driver: a context manager with ``acquire`` and ``describe``."""

    def __init__(self, fail: Exception | None = None):
        self.fail = fail
        self.closed = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.closed = True

    def acquire(self, **settings):
        if self.fail:
            raise self.fail
        return make_spectrum(seed=3, noise=0.01).with_metadata(
            provenance="simulated", instrument_model="Fake", integration_time_ms=100.0
        )

    def describe(self):
        return {"kind": "FakeInstrument", "simulated": True}


def _signed(tmp_path, operator=OPERATOR):
    """How a command a scan prints ends: the scan's store and operator, as the shell reads
    them."""
    return shlex.join(["--store", str(tmp_path / "s" / "forensic.db"), "--operator", operator])


def _run(tmp_path, **kw):
    options = {
        "case_number": "C-1",
        "item_number": "E-1",
        "operator": OPERATOR,
        "store": tmp_path / "s",
        "open_instrument": lambda url: FakeInstrument(),
        "identify": lambda spectrum: identification_dict(),
    }
    options.update(kw)
    return scan(options.pop("instrument_url", "fake:instrument"), **options)


def test_scan_records_everything_and_writes_the_report(tmp_path):
    progress = []
    result = _run(
        tmp_path,
        report_path=tmp_path / "r.pdf",
        json_path=tmp_path / "r.json",
        progress=lambda stage, message: progress.append((stage, message)),
    )
    # each stage in order; the scan that creates the store says so first, on a line of its own
    stages = [stage for stage, _ in progress]
    assert [stage for stage, _ in itertools.groupby(stages)] == list(SCAN_STAGES)
    assert next(message for stage, message in progress if stage == "case") == (
        f"NEW evidence store at {tmp_path / 's' / 'forensic.db'}: this scan creates it"
    )
    assert result.verdict == "IDENTIFIED: Cocaine hydrochloride"
    # the technician reads the verdict before the report is rendered
    assert dict(progress)["record"].endswith(": IDENTIFIED: Cocaine hydrochloride")
    with Store(tmp_path / "s") as store:
        assert store.get_case("C-1") and store.get_exhibit("C-1", "E-1")
        assert [e["received_by"] for e in store.custody_events("C-1")] == [OPERATOR]
        assert store.results("C-1")[0]["measurement_hash"] == result.measurement["hash"]
        report = verify_store(store)
        assert report.ok, report.summary()
    text = "\n".join(page.extract_text() for page in PdfReader(tmp_path / "r.pdf").pages)
    assert "C-1" in text and "E-1" in text and "Page 1 of" in text
    assert "simulated" in text
    # the report names the records the scan's screen named, as the custody log numbers them
    records = f"measurement #{result.measurement['seq']}, result #{result.result['seq']}"
    assert f"Store records {records}" in " ".join(text.split())


def test_a_scan_records_where_it_was_made_as_given_or_as_set_on_the_laptop(tmp_path, monkeypatch):
    """A scan's --location reached only its own report; a later report put the analysis
    where the case was opened (print review, finding 9). The measurement records the place
    given, else the one set on the computer that scans, and never guesses the case's."""
    monkeypatch.delenv("FORENSIC_LOCATION", raising=False)
    monkeypatch.delenv("FORENSIC_UNIT", raising=False)
    first = _run(tmp_path, location="Van 3, Rotterdam Noord", unit="Forensic Drugs Unit")
    assert (first.measurement["location"], first.measurement["unit"]) == (
        "Van 3, Rotterdam Noord",
        "Forensic Drugs Unit",
    )
    monkeypatch.setenv("FORENSIC_LOCATION", "Central Lab,  Den Haag")
    in_the_lab = _run(tmp_path)
    assert in_the_lab.measurement["location"] == "Central Lab, Den Haag"
    assert in_the_lab.measurement["unit"] is None
    monkeypatch.delenv("FORENSIC_LOCATION")
    unplaced = _run(tmp_path)
    assert unplaced.measurement["location"] is None  # not the case's "Van 3, ..."
    with Store(tmp_path / "s") as store:
        assert store.get_case("C-1")["location"] == "Van 3, Rotterdam Noord"
        measurements = store.measurements("C-1", "E-1")
        assert [m["location"] for m in measurements] == [
            "Van 3, Rotterdam Noord",
            "Central Lab, Den Haag",
            None,
        ]
        assert verify_store(store).ok
    # the custody log says it too
    from forensic.cli.custody import _record_line  # noqa: PLC0415

    said = [_record_line("measurements", m) for m in measurements]
    assert said[1].endswith("(fake:instrument) at Central Lab, Den Haag")
    assert said[2].endswith("(fake:instrument)")


def test_a_report_names_the_export_it_read_and_doubts_one_older_than_the_scan(tmp_path):
    """A folder instrument's report said "Acquired" at the time the toolkit read a weeks-old
    export, and named neither the file nor its SHA-256, so nobody holding the instrument's
    export could match it to the report."""
    exports = tmp_path / "exports"
    exports.mkdir()
    export = exports / "scan 7.csv"
    write_spectrum(make_spectrum(seed=3, noise=0.01, modality="ir", y_unit="absorbance"), export)
    written = time.time() - 21 * 86400
    os.utime(export, (written, written))
    stamp = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(int(written)))
    progress = []
    result = _run(
        tmp_path,
        instrument_url=f"folder://{exports}?existing=1",
        open_instrument=lambda url: FolderInstrument(
            exports,
            include_existing=True,
            settle_s=0.05,
            poll_s=0.01,
            metadata={"provenance": "simulated"},
        ),
        text_path=tmp_path / "r.txt",
        progress=lambda stage, message: progress.append((stage, message)),
    )
    assert (
        f"it was in the export folder before the scan began (written {stamp})"
        in (dict(progress)["acquire"])
    )
    # what to do while it waits is said under the acquisition's progress line
    assert (
        "acquire",
        f"start the measurement on the instrument now: waiting up to 120 s for its export in "
        f"{exports}",
    ) in progress
    # a path longer than a line is broken after a hyphen or slash (how long tmp_path is depends
    # on the runner): the sentences are compared without their spaces and line breaks
    text = "".join((tmp_path / "r.txt").read_text().split())

    def said_in(sentence):
        return "".join(sentence.split()) in text

    sha256 = hashlib.sha256(export.read_bytes()).hexdigest()
    said = stamp.removesuffix("Z") + " UTC"  # as the pages show a time (layout 5)
    assert said_in(f"Export file: {export} (SHA-256 {sha256}, written {said})")
    # what qualifies the time is said right after it (layout 6), then where and by whom
    assert said_in(
        f"Acquired: {said} (when its export file was written: the export states no time) by "
        f"{OPERATOR}; location not recorded"
    )
    assert said_in(
        f"- E-1: the spectrum of {said} was read from the export {export}, written {said}, "
        "which was already in the instrument's export folder when the scan began: nothing "
        "recorded shows that it is the measurement of this exhibit."
    )
    assert result.measurement["acquired_at"].startswith(stamp[:10])


def test_a_second_scan_of_the_same_exhibit_adds_to_its_record(tmp_path):
    progress = []
    _run(tmp_path, description="white powder, zip bag")  # a label that needs nothing
    _run(tmp_path, progress=lambda stage, message: progress.append((stage, message)))
    with Store(tmp_path / "s") as store:
        assert len(store.exhibits("C-1")) == 1
        assert len(store.measurements("C-1", "E-1")) == 2
        # the operator already holds the exhibit: no second receipt without a release between
        (event,) = store.custody_events("C-1", "E-1")
        assert verify_store(store).ok
    assert dict(progress)["custody"] == f"{OPERATOR} holds E-1 since custody record #{event['seq']}"


def test_a_scan_after_a_hand_over_records_the_new_receipt(tmp_path):
    _run(tmp_path)
    with Store(tmp_path / "s") as store:
        store.add_custody_event(
            "C-1", "E-1", operator=OPERATOR, received_by="Evidence Locker", purpose="storage"
        )
    _run(tmp_path, received_from="Evidence Locker", seal_intact=True)
    # the operator holds it since: a second release by the locker never happened
    with pytest.raises(CustodyError) as refused:
        _run(tmp_path, received_from="Evidence Locker", seal_intact=False)
    assert str(refused.value).startswith(
        f"the custody log says {OPERATOR} holds E-1 (custody record #8), not Evidence Locker: "
        "a receipt from Evidence Locker would record a break in its custody, for good. If "
        "Evidence Locker had it from you meanwhile, record that hand-over first with "
        "`forensic custody add C-1 E-1 --released-by 'Ann Example' --received-by 'Evidence "
        f"Locker' --purpose ... {_signed(tmp_path)}` and scan again; if not, scan again without "
        "--received-from. Nothing was recorded, and the laser did not fire"
    )
    _run(tmp_path, seal_intact=False)
    with Store(tmp_path / "s") as store:
        events = store.custody_events("C-1", "E-1")
    assert [(e["released_by"], e["received_by"], e["seal_intact"]) for e in events] == [
        (None, OPERATOR, None),
        (None, "Evidence Locker", None),
        ("Evidence Locker", OPERATOR, 1),
        (None, OPERATOR, 0),  # a different statement (the seal) is recorded
    ]


def test_a_scan_by_whoever_signed_for_the_exhibit_adds_no_receipt(tmp_path):
    with Store(tmp_path / "s") as store:
        store.open_case("C-1", operator=OPERATOR)
        store.add_exhibit("C-1", "E-1", operator=OPERATOR, description="bag", seal_number="S-7")
        signed = store.add_custody_event(
            "C-1",
            "E-1",
            operator=OPERATOR,
            released_by="Evidence Locker",
            received_by=OPERATOR,
            purpose="analysis",
            seal_intact=True,
        )
    progress = []
    # stating what the log already says (who released it, the seal) is no new hand-over
    _run(
        tmp_path,
        received_from="Evidence Locker",
        seal_intact=True,
        progress=lambda stage, message: progress.append((stage, message)),
    )
    assert (
        dict(progress)["custody"] == f"{OPERATOR} holds E-1 since custody record #{signed['seq']}"
    )
    # nor is the seal the label records, which the receipt did not state again (the quickstart
    # of docs/technician.md scans with --seal S-0093 after labelling the exhibit with it)
    _run(tmp_path, seal_number=" s-7", seal_intact=True)
    with Store(tmp_path / "s") as store:
        assert len(store.custody_events("C-1", "E-1")) == 1
    _run(tmp_path, seal_number="S-8")  # another seal number is a statement of its own
    with Store(tmp_path / "s") as store:
        events = store.custody_events("C-1", "E-1")
    assert [(e["released_by"], e["seal_number"]) for e in events] == [
        ("Evidence Locker", None),
        (None, "S-8"),
    ]


def test_a_scan_by_someone_who_does_not_hold_the_exhibit_is_refused_before_anything(tmp_path):
    """It recorded the receipt, a break in the exhibit's custody for good, and only then
    warned of it: the scan knew who held the exhibit before it recorded anything."""
    _run(tmp_path, description="white powder, zip bag")  # a label that needs nothing
    with Store(tmp_path / "s") as store:
        before = store.head()
    opened = []

    def instrument(url):
        opened.append(url)
        return FakeInstrument()

    for received_from, said in (
        (None, "a receipt by Bob Other from nobody would record a break in its custody"),
        ("Carl Third", "E-1 (custody record #4), not Carl Third: a receipt from Carl Third"),
    ):
        with pytest.raises(CustodyError) as refused:
            _run(
                tmp_path,
                operator="Bob Other",
                received_from=received_from,
                open_instrument=instrument,
            )
        message = str(refused.value)
        assert message.startswith(f"the custody log says {OPERATOR} holds E-1 (custody record #4)")
        assert said in message
        assert f"scan again with --received-from '{OPERATOR}'" in message
        assert message.endswith("Nothing was recorded, and the laser did not fire")
    # the hand-over a third person says they made, to record first, signed by the scan's
    # operator in its store
    assert (
        "if Carl Third did, record that hand-over to Carl Third first with `forensic custody "
        f"add C-1 E-1 --released-by '{OPERATOR}' --received-by 'Carl Third' --purpose ... "
        f"{_signed(tmp_path, 'Bob Other')}` and scan again"
    ) in message
    assert opened == []  # the laser did not fire: the instrument was not even opened
    with Store(tmp_path / "s") as store:
        assert store.head() == before
    # handed over by its holder: recorded, without a break
    _, progress = _progress_of(tmp_path, operator="Bob Other", received_from=OPERATOR)
    assert progress["custody"] == f"Bob Other receives E-1 for screening analysis from {OPERATOR}"
    _, progress = _progress_of(tmp_path, operator="Carl Third", received_from="Bob Other")
    assert progress["custody"] == "Carl Third receives E-1 for screening analysis from Bob Other"
    with Store(tmp_path / "s") as store:
        events = store.custody_events("C-1", "E-1")
        assert custody_gaps(events) == []
    assert [(e["released_by"], e["received_by"]) for e in events] == [
        (None, OPERATOR),
        (OPERATOR, "Bob Other"),
        ("Bob Other", "Carl Third"),
    ]


def test_a_scan_records_where_it_receives_the_exhibit_as_its_measurement_does(
    tmp_path, monkeypatch
):
    """A hand-over a scan recorded (--received-from) stated no place, though the scan had one
    (--location, FORENSIC_LOCATION) and `custody add --location` records one. Never the
    case's: the measurement does not take it either (a case opened in a van is analysed in a
    lab too)."""
    monkeypatch.delenv("FORENSIC_LOCATION", raising=False)
    with Store(tmp_path / "s") as store:
        store.open_case("C-1", operator=OPERATOR, location="Border post Nord")
    _, progress = _progress_of(tmp_path, location="  Van 3,  Kruiskade ", description="bag")
    assert (
        progress["custody"] == f"{OPERATOR} receives E-1 for screening analysis at Van 3, Kruiskade"
    )
    monkeypatch.setenv("FORENSIC_LOCATION", "Lab Rotterdam, bench 2")
    result, progress = _progress_of(
        tmp_path, operator="Bob Other", received_from=OPERATOR, text_path=tmp_path / "r.txt"
    )
    assert progress["custody"] == (
        f"Bob Other receives E-1 for screening analysis from {OPERATOR} at Lab Rotterdam, bench 2"
    )
    assert result.measurement["location"] == result.custody_event["location"]
    report = " ".join((tmp_path / "r.txt").read_text().split())
    assert "Lab Rotterdam, bench 2" in report.split("Chain of custody: exhibit E-1")[1]
    monkeypatch.delenv("FORENSIC_LOCATION")
    _, progress = _progress_of(tmp_path, operator="Carl Third", received_from="Bob Other")
    assert progress["custody"] == "Carl Third receives E-1 for screening analysis from Bob Other"
    with Store(tmp_path / "s") as store:
        events = store.custody_events("C-1", "E-1")
    assert [(e["received_by"], e["location"]) for e in events] == [
        (OPERATOR, "Van 3, Kruiskade"),  # one-spaced, as custody add records it
        ("Bob Other", "Lab Rotterdam, bench 2"),
        ("Carl Third", None),  # not stated: not the case's
    ]


def test_a_scan_of_an_exhibit_its_collector_holds_names_them(tmp_path):
    """With no hand-over recorded, who collected the exhibit holds it: a receipt from nobody
    by someone else is the break its reports would list."""
    with Store(tmp_path / "s") as store:
        store.open_case("C-1", operator=OPERATOR)
        store.add_exhibit(
            "C-1", "E-1", operator=OPERATOR, description="bag", collected_by="PC Smith"
        )
    with pytest.raises(CustodyError) as refused:
        _run(tmp_path)
    assert str(refused.value).startswith(
        "the label of E-1 (record #3) says PC Smith collected it, and no hand-over is "
        f"recorded: a receipt by {OPERATOR} from nobody would record a break in its custody"
    )
    assert "scan again with --received-from 'PC Smith'" in str(refused.value)
    result = _run(tmp_path, received_from="pc smith")  # as the log compares names
    assert result.custody == ()
    with Store(tmp_path / "s") as store:
        (event,) = store.custody_events("C-1", "E-1")
    assert event["released_by"] == "pc smith"


def test_a_hand_over_recorded_while_the_scan_connects_is_judged_in_its_transaction(
    tmp_path, monkeypatch
):
    """Checked before the instrument is opened, the holder is checked again where the
    receipt is recorded: another process may have recorded a hand-over meanwhile."""
    _run(tmp_path)

    def instrument(url):
        with Store(tmp_path / "s") as other:
            other.add_custody_event(
                "C-1", "E-1", operator=OPERATOR, released_by=OPERATOR, received_by="Bob Lab",
                purpose="transport",
            )  # fmt: skip
        return FakeInstrument()

    with pytest.raises(CustodyError) as refused:
        _run(tmp_path, open_instrument=instrument)
    message = str(refused.value)
    assert message.startswith("the custody log says Bob Lab holds E-1 (custody record #7)")
    # the failure handler's account: the hand-over is not the scan's receipt
    assert message.endswith(
        "check the case and exhibit numbers; nothing was recorded; no spectrum of exhibit E-1 "
        "of case C-1 was saved"
    )
    with Store(tmp_path / "s") as store:
        assert [e["received_by"] for e in store.custody_events("C-1", "E-1")] == [
            OPERATOR,
            "Bob Lab",
        ]
        assert len(store.measurements("C-1", "E-1")) == 1  # the first scan's


def _progress_of(tmp_path, **kw):
    progress = []
    result = _run(tmp_path, progress=lambda stage, message: progress.append((stage, message)), **kw)
    return result, dict(progress)


def test_a_description_that_differs_only_in_punctuation_says_the_same(tmp_path):
    """'white powder, bag 2.' against the label's 'white powder, bag 2' was recorded, in every
    report, as "either the item scanned is not the item labelled"."""
    _run(tmp_path, description="white powder, bag 2")
    for said in ("white powder, bag 2.", "White powder bag 2", "white powder - bag (2)"):
        result, progress = _progress_of(tmp_path, description=said)
        assert "WARNING" not in progress["custody"], said
        assert not [w for w in result.identification["warnings"] if "described" in w], said
    result, progress = _progress_of(tmp_path, description="white powder, bag 3")
    assert "the item scanned is not the item labelled" in progress["custody"]
    with Store(tmp_path / "s") as store:
        label = store.get_exhibit("C-1", "E-1")
    # a mark is read as a space, never as nothing: it joins no numbers
    (found,) = label_discrepancies(
        {**label, "description": "0.5 g white powder"},
        [],
        description="05 g white powder",
        seal_number=None,
    )
    assert "'05 g white powder'" in found.fact
    # a seal number is no prose: a mark in it is part of the number
    (seal,) = label_discrepancies(
        {**label, "seal_number": "S-12"}, [], description=None, seal_number="S1-2"
    )
    assert "the seal last recorded for it is 'S-12'" in seal.fact


def test_a_scan_on_a_clock_behind_the_store_stops_before_the_instrument_opens(
    tmp_path, monkeypatch
):
    """A clock a year slow: the scan recorded "Analysed 2025-11-22" and issued report
    FR-20251122-... for a case opened a year later, without a word of the clock."""
    first = _run(tmp_path)
    last = datetime.fromisoformat(first.result["recorded_at"].replace("Z", "+00:00"))
    behind = (last - timedelta(hours=3)).isoformat(timespec="milliseconds")
    monkeypatch.setattr(store_module, "utc_now", lambda: behind.replace("+00:00", "Z"))
    opened = []

    def instrument(url):
        opened.append(url)
        return FakeInstrument()

    with Store(tmp_path / "s") as store:
        head = store.head()
    with pytest.raises(store_module.ClockError) as refused:
        _run(tmp_path, open_instrument=instrument)
    assert str(refused.value).startswith(
        f"this computer's clock reads {utc_when(behind)}, but the last record in "
        f"{tmp_path / 's' / 'forensic.db'} (record #{head[0]}) was recorded at "
        f"{utc_when(first.result['recorded_at'])}, 3 hours later"
    )
    assert opened == []
    with Store(tmp_path / "s") as store:
        assert store.head() == head
    # the technician has checked the clock: the analysis is recorded, after the last record
    again = _run(tmp_path, open_instrument=instrument, clock_checked=True)
    assert again.measurement["seq"] > head[0] and opened == ["fake:instrument"]
    assert again.measurement["recorded_at"] == behind.replace("+00:00", "Z")


def test_a_second_scan_describing_the_exhibit_otherwise_is_warned_and_recorded(tmp_path):
    first = _run(tmp_path, description="white powder, zip bag", seal_number="S-7")
    result, progress = _progress_of(tmp_path, description="brown resin in foil")
    (warning,) = [w for w in result.identification["warnings"] if "described" in w]
    assert "'brown resin in foil'" in warning and "'white powder, zip bag'" in warning
    assert f"label (record #{first.exhibit['seq']})" in warning and "not changed" in warning
    assert "the item scanned is not the item labelled" in warning
    # what to do is for the technician's screen, not the record or the report
    assert "--corrects" not in warning and "check that" not in warning
    assert progress["custody"].endswith(
        f"\n        WARNING: {warning}: check that this is the same item (another item needs "
        f"its own exhibit number), and correct a wrong label with `forensic exhibit add C-1 E-1 "
        f"--description ... --corrects {first.exhibit['hash'][:16]} {_signed(tmp_path)}`"
    )
    with Store(tmp_path / "s") as store:
        # the first statement stays as it was made: no second label, no correction
        (label,) = store.query("SELECT * FROM exhibits")
        assert label["hash"] == first.exhibit["hash"]
        assert label["description"] == "white powder, zip bag"
        assert len(store.custody_events("C-1", "E-1")) == 1  # no hand-over happened
        (_, recorded) = store.results("C-1", "E-1")
        assert warning in json.loads(recorded["identification_json"])["warnings"]
        assert verify_store(store).ok
        report = issue_report(store, "C-1", "E-1", operator=OPERATOR)
    # the second analysis of the exhibit (layout 6 names it)
    assert f"E-1, analysis 2: {warning}" in report.content["limitations"]
    # the same words in other case and spacing say the same: no warning
    result, progress = _progress_of(tmp_path, description=" White  powder, zip bag")
    assert "WARNING" not in progress["custody"]
    assert not any("described" in w for w in result.identification["warnings"])


def test_a_scan_describing_an_exhibit_labelled_without_a_description_says_how_to_complete_it(
    tmp_path,
):
    first = _run(tmp_path)
    result, progress = _progress_of(tmp_path, description="white powder, zip bag")
    (warning,) = [w for w in result.identification["warnings"] if "described" in w]
    assert "was made without a description" in warning and "forensic" not in warning
    assert (
        f"WARNING: {warning}: complete the label with `forensic exhibit add C-1 E-1 "
        f"--description ... --corrects {first.exhibit['hash'][:16]} {_signed(tmp_path)}`"
        in progress["custody"]
    )
    with Store(tmp_path / "s") as store:
        assert store.get_exhibit("C-1", "E-1")["description"] == NOT_DESCRIBED


# what scans recorded for a label without description before NOT_DESCRIBED
OLD_PLACEHOLDER = (
    "not described at scan time: complete the label with `forensic exhibit add --corrects`"
)


def test_a_label_without_description_is_stated_in_the_report_and_completed_from_the_screen(
    tmp_path,
):
    """The report states the fact; what to do is on the technician's screen only."""
    result, progress = _progress_of(tmp_path, text_path=tmp_path / "r.txt")
    assert result.exhibit["description"] == NOT_DESCRIBED
    text = (tmp_path / "r.txt").read_text()
    assert re.search(rf"^Description: +{NOT_DESCRIBED}$", text, re.MULTILINE)
    assert NOT_DESCRIBED in text and "--corrects" not in text and "complete" not in text
    assert progress["custody"].endswith(
        "\n        WARNING: the label of E-1 has no description (its report says "
        f"'{NOT_DESCRIBED}'): complete it with `forensic exhibit add C-1 E-1 --description "
        f"... --corrects {result.exhibit['hash'][:16]} {_signed(tmp_path)}`"
    )
    # a label with a description asks for nothing
    _, progress = _progress_of(
        tmp_path / "other", description="white powder, zip bag", new_store=True
    )
    assert "WARNING" not in progress["custody"]


def test_a_label_recorded_with_the_old_placeholder_is_stated_as_not_described(tmp_path):
    """Labels older scans made without a description hold an instruction to the technician;
    the store keeps them as they are, and the report states the fact."""
    with Store(tmp_path / "s") as store:
        store.open_case("C-1", operator=OPERATOR)
        old = store.add_exhibit("C-1", "E-1", operator=OPERATOR, description=OLD_PLACEHOLDER)
    result, progress = _progress_of(tmp_path, text_path=tmp_path / "r.txt")
    assert result.exhibit["description"] == OLD_PLACEHOLDER  # as recorded, never rewritten
    assert (
        "complete it with `forensic exhibit add C-1 E-1 --description ... " in (progress["custody"])
    )
    text = (tmp_path / "r.txt").read_text()
    assert NOT_DESCRIBED in text and "at scan time" not in text and "--corrects" not in text
    # a scan that describes it is warned as for any label made without a description
    result, progress = _progress_of(tmp_path, description="white powder, zip bag")
    (warning,) = [w for w in result.identification["warnings"] if "described" in w]
    assert "was made without a description" in warning
    # and once completed, the correction says what it was as the report states it
    with Store(tmp_path / "s") as store:
        store.add_exhibit(
            "C-1",
            "E-1",
            operator=OPERATOR,
            description="white powder, zip bag",
            corrects=old["hash"],
        )
        issue_report(store, "C-1", "E-1", operator=OPERATOR, text_path=tmp_path / "r2.txt")
    text = " ".join((tmp_path / "r2.txt").read_text().split())
    assert f'description "{NOT_DESCRIBED}" -> "white powder, zip bag"' in text
    assert "at scan time" not in text and "--corrects" not in text


def test_a_scan_stating_another_seal_is_warned_and_the_first_seal_stays(tmp_path):
    first = _run(tmp_path, description="white powder, zip bag", seal_number="S-7")
    result, progress = _progress_of(tmp_path, seal_number="S-8")
    (warning,) = [w for w in result.identification["warnings"] if "seal" in w]
    assert "stated seal 'S-8' on it" in warning and "'S-7'" in warning
    assert f"custody record #{first.custody_event['seq']}" in warning
    assert "no record says who re-sealed it" in warning and "forensic" not in warning
    assert progress["custody"].endswith(
        f"\n        WARNING: {warning}: check the packaging, and record who re-sealed it with "
        "`forensic custody add C-1 E-1 --received-by ... --released-by ... --purpose ... "
        f"--seal S-8 {_signed(tmp_path)}`"
    )
    with Store(tmp_path / "s") as store:
        assert store.get_exhibit("C-1", "E-1")["seal_number"] == "S-7"
        events = store.custody_events("C-1", "E-1")
        assert [(e["seal_number"], e["notes"]) for e in events] == [("S-7", None), ("S-8", warning)]
        assert verify_store(store).ok
    log = CliRunner().invoke(main, ["custody", "log", "C-1", "--store", str(tmp_path / "s")])
    said = " ".join(log.output.split())
    assert log.exit_code == 0 and "seal S-8); notes: the technician who scanned E-1" in said
    # S-8 is now the seal on record: stating it again is no discrepancy, the label's S-7 is
    result, progress = _progress_of(tmp_path, seal_number="s-8")
    assert "WARNING" not in progress["custody"]
    result, progress = _progress_of(tmp_path, seal_number="S-7")
    assert "the seal last recorded for it is 'S-8'" in progress["custody"]


_SAVED_WITHOUT_RESULT = (
    "DO NOT MEASURE AGAIN: the raw spectrum is saved (measurement record #5, SHA-256 {}), but "
    "no result is recorded"
)
"""What a first scan that failed after saving its raw spectrum, before its result, recorded
(``.format(the spectrum's SHA-256)``)."""


def _raw_sha256(tmp_path):
    """The SHA-256 of the raw spectrum of case C-1's only measurement."""
    with Store(tmp_path / "s") as store:
        (measurement,) = store.measurements("C-1")
    return measurement["raw_sha256"]


def test_failed_identification_keeps_the_raw_spectrum(tmp_path):
    def broken(spectrum):
        raise IdentificationError("no overlap with the library grid")

    with pytest.raises(ScanIncomplete) as failed:
        _run(tmp_path, identify=broken, report_path=tmp_path / "r.pdf")
    # what failed, what is recorded, what to do: each once, apart; the report asked for is
    # named with what is left to do, not dropped
    assert failed.value.said() == [
        "identification failed: no overlap with the library grid",
        _SAVED_WITHOUT_RESULT.format(_raw_sha256(tmp_path)),
        "to do: once that is put right, "
        f"`forensic exhibit identify C-1 E-1 {_signed(tmp_path)}` identifies the saved spectrum, "
        f"and then `forensic report C-1 E-1 --out {tmp_path / 'r.pdf'} {_signed(tmp_path)}` "
        "makes the report",
    ]
    with Store(tmp_path / "s") as store:
        measurement = store.measurements("C-1", "E-1")[0]
        assert store.load_spectrum(measurement).metadata["operator"] == OPERATOR
        assert store.results("C-1") == []
        assert verify_store(store).ok
    assert not (tmp_path / "r.pdf").exists()


def test_an_instrument_that_fails_to_close_after_measuring_loses_nothing(tmp_path):
    # closing the port raised a driver's bug once the spectrum was measured: the scan ended
    # with it, and the spectrum was never saved
    class Unclosable(FakeInstrument):
        def __exit__(self, *exc):
            super().__exit__(*exc)
            if exc == (None, None, None):
                raise RuntimeError("port handle already released")

    progress = []
    result = _run(
        tmp_path,
        open_instrument=lambda url: Unclosable(),
        progress=lambda stage, message: progress.append((stage, message)),
    )
    assert result.verdict == "IDENTIFIED: Cocaine hydrochloride"
    warned = [message for stage, message in progress if "closing the instrument failed" in message]
    assert [" ".join(message.split()) for message in warned] == [
        "closing the instrument failed WARNING: fake:instrument: closing the connection failed "
        "on an unexpected error in the instrument's driver (RuntimeError: port handle already "
        "released); the spectrum measured before is not affected, but the instrument may still "
        "be held: unplug it and plug it in again before the next measurement; report this bug "
        "in the instrument's driver, with this message"
    ]
    stages = [stage for stage, message in progress]
    assert stages[stages.index("acquire") : stages.index("acquire") + 2] == ["acquire"] * 2
    with Store(tmp_path / "s") as store:
        assert len(store.measurements("C-1")) == 1 and len(store.results("C-1")) == 1
        assert verify_store(store).ok


def test_instrument_failure_records_no_measurement(tmp_path):
    def unplugged(url):
        return FakeInstrument(fail=InstrumentError("/dev/ttyUSB0: no reply (cable pulled?)"))

    for _attempt in range(2):  # the technician tries again: the receipt is not repeated
        with pytest.raises(InstrumentError, match="cable pulled"):
            _run(tmp_path, open_instrument=unplugged)
    with Store(tmp_path / "s") as store:
        assert store.measurements("C-1") == []
        assert len(store.custody_events("C-1")) == 1
        assert verify_store(store).ok


def test_a_cable_pulled_mid_scan_says_what_the_scan_recorded(tmp_path):
    # the real driver on a simulator whose pty closes in the middle of a spectrum
    url = "sim:ocean-rs232?sample=cocaine&fault=disconnect&realtime=0&seed=1"
    with pytest.raises(InstrumentDisconnected) as failed:
        _run(tmp_path, open_instrument=None, instrument_url=url)
    error = failed.value
    assert error.problem.startswith("sim:ocean-rs232 (simulator on /dev/")
    assert "the device disconnected (the port said: " in error.problem
    # what happened, the laser warning on its own, what the scan recorded, the one thing to do
    assert error.warning.startswith("the laser could not be switched off (the device ")
    assert error.recorded == (
        f"recorded case C-1 (record #2), the label of exhibit E-1 (record #3), its receipt by "
        f"{OPERATOR} (record #4); no spectrum of exhibit E-1 of case C-1 was saved"
    )
    assert error.advice == DISCONNECTED_ADVICE
    assert str(error) == (
        f"{error.problem}; WARNING: {error.warning}; {error.recorded}; to do: {DISCONNECTED_ADVICE}"
    )
    assert error.exit_code == 3  # still the instrument's failure
    with Store(tmp_path / "s") as store:
        assert store.measurements("C-1") == [] and verify_store(store).ok


def test_a_scan_the_instrument_refuses_ends_with_what_to_do(tmp_path):
    # "the spectrometer refused S (NAK)", then what was recorded, and no step to take; then the
    # step said twice, in the middle and at the end
    url = "sim:ocean-rs232?sample=cocaine&fault=nak&realtime=0&seed=1"
    with pytest.raises(CommandRefused) as refused:
        _run(tmp_path, open_instrument=None, instrument_url=url)
    message = str(refused.value)
    assert refused.value.problem.endswith(f": {REFUSED_SCAN['ocean-rs232']}")
    assert message.endswith(
        f"its receipt by {OPERATOR} (record #4); no spectrum of exhibit E-1 of case C-1 was "
        f"saved; to do: {REFUSED_ADVICE}"
    )
    assert message.count("switch the instrument off and on") == 1, message
    assert refused.value.exit_code == 3


def test_every_simulator_fault_that_ends_a_scan_has_its_one_thing_to_do():
    assert sorted(FAULT_ADVICE) == sorted(set(FAULTS) - {"baud"})


def _error_lines(output):
    """What a failed command printed from its ``error:`` line on."""
    lines = output.splitlines()
    first = next(n for n, line in enumerate(lines) if line.startswith("error: "))
    return lines[first:]


@pytest.mark.parametrize("protocol", ["ocean-rs232", "obp"])
@pytest.mark.parametrize("fault", sorted(FAULT_ADVICE))
def test_a_scan_an_instrument_fault_ends_says_each_thing_once_on_its_own_line(
    tmp_path, protocol, fault
):
    # the technician read one paragraph: the advice said twice, the laser warning in the
    # middle, and for some faults nothing to do at the end. The real driver, over the
    # simulator's pseudo-terminal, on the command line
    _run(tmp_path, item_number="E-0")  # what the store held before must stay as it was
    with Store(tmp_path / "s") as store:
        before = store.appended_since(0)
    url = f"sim:{protocol}?sample=cocaine&fault={fault}&realtime=0&seed=1&baud=115200&timeout=0.3"
    typed = ["scan", "--instrument", url, "--case", "C-1", "--exhibit", "E-1"]
    done = CliRunner().invoke(
        main, [*typed, "--operator", OPERATOR, "--store", str(tmp_path / "s")]
    )
    assert done.exit_code == 3, done.output  # an instrument fault
    advice = FAULT_ADVICE[fault]
    error, *rest = _error_lines(done.output)
    warned = ["WARNING: the laser could not be switched off ("] if fault == "disconnect" else []
    recorded = (
        f"recorded the label of exhibit E-1 (record #{len(before) + 1}), its receipt by "
        f"{OPERATOR} (record #{len(before) + 2}); no spectrum of exhibit E-1 of case C-1 was "
        "saved"
    )
    assert error.startswith(f"error: sim:{protocol} (simulator on /dev/"), done.output
    if fault == "nak":  # what the instrument answered, and its bytes for its support
        said = re.escape(REFUSED_SCAN[protocol])
        shown = rf"error: sim:{protocol} \(simulator on /dev/[^)]+\): {said}"
        assert re.fullmatch(shown, error), done.output
    assert len(rest) == len(warned) + 2, done.output
    assert all(line.startswith(start) for line, start in zip(rest, warned, strict=False))
    if warned:  # the laser may be on: said right under what happened, and so it stays off
        assert rest[0].endswith(
            "so it may still be on: switch the instrument off or close its laser key before "
            "opening the sample compartment"
        ), done.output
    assert rest[-2:] == [recorded, f"to do: {advice}"], done.output
    # each thing once: the advice only on the to-do line, one to-do line
    assert done.output.count(advice) == 1 and done.output.count("to do:") == 1, done.output
    with Store(tmp_path / "s") as store:
        after = store.appended_since(0)
        assert after[: len(before)] == before  # nothing recorded before is changed or lost
        assert [table for table, _ in after[len(before) :]] == ["exhibits", "custody_events"]
        assert store.measurements("C-1", "E-1") == [] and verify_store(store).ok


def test_a_folder_instrument_without_an_export_ends_a_scan_the_same_way(tmp_path):
    exports = tmp_path / "exports"
    exports.mkdir()
    url = f"folder://{exports}?timeout=0.3&settle=0.1"
    typed = ["scan", "--instrument", url, "--case", "C-1", "--exhibit", "E-1"]
    done = CliRunner().invoke(
        main, [*typed, "--operator", OPERATOR, "--store", str(tmp_path / "s")]
    )
    assert done.exit_code == 3, done.output
    assert _error_lines(done.output) == [
        f"error: folder://{exports}: no new complete export within 0.3 s",
        "recorded case C-1 (record #2), the label of exhibit E-1 (record #3), its receipt by "
        f"{OPERATOR} (record #4); no spectrum of exhibit E-1 of case C-1 was saved",
        "to do: for a measurement that takes longer, scan again with a longer wait, --timeout "
        "600 (seconds); for an export written after the wait (the next scan takes only files "
        f"that appear after it starts), move every other file out of {exports} and scan again "
        f"with --instrument 'folder://{exports}?existing=1'",
    ]


def test_a_saturated_detector_ends_a_scan_naming_the_option_typed(tmp_path, monkeypatch):
    # what happened and what to do both name the integration time as the technician typed it
    saturated = DetectorSaturated(
        "x: 12 pixel(s) at the detector ceiling with {integration}, still at 375 ms after "
        "halving it 3 times (1500, 750, 375 ms): too long for this sample",
        advice="leave out {integration} (auto-exposure finds the time), or reduce the laser "
        "power, then scan again",
        integration_time_ms=3000.0,
    )
    monkeypatch.setattr(
        "forensic.workflows._default_open_instrument",
        lambda url, **kw: FakeInstrument(fail=saturated),
    )
    typed = ["scan", "--instrument", "fake:x", "--case", "C-1", "--exhibit", "E-1"]
    done = CliRunner().invoke(
        main,
        [
            *typed,
            "--integration-ms",
            "3000",
            "--operator",
            OPERATOR,
            "--store",
            str(tmp_path / "s"),
        ],
    )
    assert done.exit_code == 3, done.output
    error, recorded, to_do = _error_lines(done.output)
    assert error.startswith("error: x: 12 pixel(s) at the detector ceiling with --integration-ms ")
    assert recorded.startswith("recorded case C-1 (record #2), ")
    assert to_do == (
        "to do: leave out --integration-ms 3000 (auto-exposure finds the time), or reduce the "
        "laser power, then scan again"
    )


def test_an_instrument_not_there_says_that_nothing_was_recorded(tmp_path):
    typed = ["scan", "--instrument", "ocean-rs232:///dev/ttyNOPE", "--case", "C-1"]
    done = CliRunner().invoke(
        main, [*typed, "--exhibit", "E-1", "--operator", OPERATOR, "--store", str(tmp_path / "s")]
    )
    assert done.exit_code == 3, done.output
    assert _error_lines(done.output) == [
        "error: cannot open /dev/ttyNOPE: no such port",
        "nothing was recorded",
        "to do: run `forensic instrument list` to see which instruments are connected",
    ]
    with Store(tmp_path / "s") as store:
        assert store.get_case("C-1") is None


@pytest.mark.parametrize(
    ("sample", "error"),
    [
        (
            "cokaine",
            "error: no file and no raman library entry named 'cokaine'; close names: Cocaine "
            "base, Cocaine hydrochloride, Codeine, Procaine hydrochloride, Ketamine hydrochloride",
        ),
        (
            "cocaine:65,levamisole",
            "error: cut sample 'cocaine:65,levamisole': 'levamisole' has no share: give every "
            "part its share (e.g. cocaine:65,levamisole:35), or none for equal shares",
        ),
    ],
)
def test_a_simulator_sample_that_cannot_be_had_says_that_nothing_was_recorded(
    tmp_path, sample, error
):
    """An unknown fault in the URL said `nothing was recorded`; an unknown sample in the same
    URL did not, and left the technician to find out whether a label was recorded."""
    url = f"sim:ocean-rs232?sample={sample}&realtime=0"
    typed = ["scan", "--instrument", url, "--case", "C-1", "--exhibit", "E-1"]
    done = CliRunner().invoke(
        main, [*typed, "--operator", OPERATOR, "--store", str(tmp_path / "s")]
    )
    assert done.exit_code == 2, done.output
    assert _error_lines(done.output) == [error, "nothing was recorded"]
    with Store(tmp_path / "s") as store:
        assert store.get_case("C-1") is None


def test_an_instrument_the_library_cannot_identify_from_says_nothing_was_recorded_once(
    tmp_path,
):
    lab, _ = _small_library(tmp_path)

    class Infrared(FakeInstrument):
        modality = "ir"

    with pytest.raises(LibraryError) as refused:
        _run(tmp_path, identify=None, library=lab, open_instrument=lambda url: Infrared())
    assert refused.value.said() == [
        "the instrument measures ir spectra but the library holds only raman references: "
        "nothing could be identified (choose another --library)",
        "nothing was recorded",
    ]


def test_a_result_that_cannot_be_recorded_leaves_the_saved_spectrum_to_identify(
    tmp_path, monkeypatch
):
    def disk_full(self, *args, **kw):
        raise CustodyError(f"{self.db_path}: committing failed: database or disk is full")

    monkeypatch.setattr(Store, "add_result", disk_full)
    with pytest.raises(ScanIncomplete) as failed:
        _run(tmp_path)
    assert failed.value.said() == [
        "the result (IDENTIFIED: Cocaine hydrochloride) could not be recorded: "
        f"{tmp_path / 's' / 'forensic.db'}: committing failed: database or disk is full",
        _SAVED_WITHOUT_RESULT.format(_raw_sha256(tmp_path)),
        "to do: once that is put right, "
        f"`forensic exhibit identify C-1 E-1 {_signed(tmp_path)}` identifies the saved spectrum "
        "and records its result",
    ]
    monkeypatch.undo()
    with Store(tmp_path / "s") as store:
        assert len(store.measurements("C-1")) == 1 and store.results("C-1") == []


def test_an_instrument_that_cannot_be_opened_records_nothing(tmp_path):
    def no_such_port(url):
        raise InstrumentError(f"{url}: no such port (is the cable plugged in?)")

    progress = []
    with pytest.raises(InstrumentError, match="no such port"):
        _run(
            tmp_path,
            open_instrument=no_such_port,
            progress=lambda stage, message: progress.append((stage, message)),
        )
    assert progress == [("connect", "connecting to fake:instrument")]
    with Store(tmp_path / "s") as store:
        assert store.get_case("C-1") is None
        assert store.query("SELECT COUNT(*) AS n FROM custody_events")[0]["n"] == 0


def test_an_existing_report_file_stops_the_scan_before_anything(tmp_path):
    (tmp_path / "r.pdf").write_bytes(b"earlier report")
    opened = []
    with pytest.raises(OutputExistsError) as refused:
        _run(tmp_path, report_path=tmp_path / "r.pdf", open_instrument=opened.append)
    assert str(refused.value) == (
        f"{tmp_path / 'r.pdf'}: already exists; nothing was recorded, and the file is left as "
        f"it is: give another name (report_path='{tmp_path / 'r-2.pdf'}'), or add "
        "overwrite=True to replace it"
    )
    assert (tmp_path / "r.pdf").read_bytes() == b"earlier report"
    assert opened == []  # the laser never fired
    assert not (tmp_path / "s").exists()  # nor was the store touched


class _ReportFileAppears(FakeInstrument):
    """An instrument during whose measurement another process writes ``path``: a file at a
    report's name that was not there when the scan checked it."""

    def __init__(self, path):
        super().__init__()
        self.path = path

    def acquire(self, **settings):
        self.path.write_bytes(b"another process's file")
        return super().acquire(**settings)


def test_a_report_file_that_appears_while_the_scan_runs_is_named_by_the_scan_s_argument(
    tmp_path,
):
    """The report's file appeared between the scan's check and the report: the error named
    pdf_path= (--out), the report's argument, and said "nothing was recorded" beside "DO NOT
    MEASURE AGAIN". It names report_path=, says what is recorded, and the command it gives
    makes the report under a free name."""
    there = tmp_path / "r.pdf"
    with pytest.raises(ScanIncomplete) as failed:
        _run(tmp_path, report_path=there, open_instrument=lambda url: _ReportFileAppears(there))
    measurement = _measurement(tmp_path)
    with Store(tmp_path / "s") as store:
        (result,) = store.results("C-1")
        assert store.reports("C-1") == []
    free = tmp_path / "r-2.pdf"
    assert failed.value.said() == [
        f"the report failed: report_path='{there}': a file appeared there while the scan ran "
        "(it was not there when the scan began); no report was recorded, and the file is left "
        "as it is",
        "DO NOT MEASURE AGAIN: the raw spectrum is saved (measurement record "
        f"#{measurement['seq']}, SHA-256 {measurement['raw_sha256']}) and its result recorded "
        f"(result record #{result['seq']})",
        f"to do: `forensic report C-1 E-1 --out {free} {_signed(tmp_path)}` makes the report "
        "under a free name",
    ]
    assert there.read_bytes() == b"another process's file"
    (words,) = re.findall(r"`forensic (report [^`]*)`", failed.value.advice)
    made = CliRunner().invoke(main, shlex.split(words))
    assert made.exit_code == 0, made.output
    assert free.read_bytes().startswith(b"%PDF")
    assert there.read_bytes() == b"another process's file"


def test_scan_report_that_appears_while_it_measures_is_said_as_report(tmp_path, monkeypatch):
    """The same through the command line, the file written as the simulated instrument
    measures: it said `give another name (--out ...-2.pdf)`, the report command's option,
    where the scan was given --report."""
    real_acquire = SimulatedInstrument.acquire
    there = tmp_path / "A1.pdf"

    def acquire_as_another_writes(self, **settings):
        there.write_bytes(b"another process's file")
        return real_acquire(self, **settings)

    monkeypatch.setattr(SimulatedInstrument, "acquire", acquire_as_another_writes)
    url = "sim:ocean-rs232?sample=cocaine&realtime=0&seed=1"
    args = ["scan", "--instrument", url, "--case", "C-1", "--exhibit", "E-1", "--report", there]
    done = CliRunner().invoke(
        main, [*map(str, args), "--operator", OPERATOR, "--store", str(tmp_path / "s")]
    )
    measurement = _measurement(tmp_path)
    with Store(tmp_path / "s") as store:
        (result,) = store.results("C-1")
    assert (done.exit_code, _last_said(done)) == (
        ScanIncomplete.exit_code,  # 4, as before: the scan's work is not all done
        [
            f"error: the report failed: --report {there}: a file appeared there while the scan "
            "ran (it was not there when the scan began); no report was recorded, and the file "
            "is left as it is",
            "DO NOT MEASURE AGAIN: the raw spectrum is saved (measurement record "
            f"#{measurement['seq']}, SHA-256 {measurement['raw_sha256']}) and its result "
            f"recorded (result record #{result['seq']})",
            f"to do: `forensic report C-1 E-1 --out {tmp_path / 'A1-2.pdf'} {_signed(tmp_path)}` "
            "makes the report under a free name",
        ],
    )
    assert there.read_bytes() == b"another process's file"


def _small_library(tmp_path):
    """Two synthetic references, as a library and saved in ``tmp_path`` (``lab.flib``)."""
    references = [
        make_spectrum(bands, name=name, seed=i, noise=0.004)
        for i, (name, bands) in enumerate(
            {
                "polystyrene-like": [(620, 0.3, 6), (1001, 1.0, 4), (1602, 0.4, 6)],
                "other": [(450, 1.0, 8), (1350, 0.7, 9)],
            }.items()
        )
    ]
    lab = Library.from_spectra(references, calibrate=False)
    return lab, lab.save(tmp_path / "lab.flib")


def test_a_scan_identifies_against_the_library_it_is_given(tmp_path):
    lab, path = _small_library(tmp_path)
    result = _run(tmp_path, identify=None, library=path)
    assert result.identification["library_version"] == lab.version

    # an instrument measuring what the library has no references of: refused before recording
    class Infrared(FakeInstrument):
        modality = "ir"

    with pytest.raises(LibraryError, match="measures ir spectra but the library holds only raman"):
        _run(
            tmp_path,
            identify=None,
            library=lab,
            case_number="C-3",
            open_instrument=lambda url: Infrared(),
        )
    # a library that cannot be opened stops the scan before anything is recorded
    with pytest.raises(LibraryError, match="no such library file"):
        _run(tmp_path, identify=None, library=tmp_path / "absent.flib", case_number="C-2")
    with Store(tmp_path / "s") as store:
        assert store.get_case("C-2") is None and store.get_case("C-3") is None


def test_a_setting_the_instrument_cannot_apply_stops_the_scan_before_recording(tmp_path):
    ir = make_spectrum(start=600.0, stop=4000.0, modality="ir", y_unit="absorbance")

    def ftir(url):
        return open_instrument(url, sample_resolver=lambda text, modality: ir)

    with pytest.raises(NotSupported, match=r"cannot apply integration_time_ms=20"):
        _run(
            tmp_path,
            instrument_url="sim:ftir?sample=x",
            open_instrument=ftir,
            acquire_settings={"integration_time_ms": 20},
        )
    with Store(tmp_path / "s") as store:
        assert store.get_case("C-1") is None


@pytest.mark.parametrize(
    ("url", "option", "said"),
    [
        (  # the FTIR's own software sets how it measures
            "sim:ftir?sample=cocaine",
            ["--integration-ms", "20"],
            r"cannot apply --integration-ms 20: .* \(it takes --timeout\)",
        ),
        (
            "sim:obp?sample=cocaine",
            ["--integration-ms", "0.001"],
            r"--integration-ms 0.001 is out of range: expected 0.01-",
        ),
        ("sim:obp?sample=cocaine", ["--averages", "0"], r"--averages 0 is out of range"),
        (  # a serial spectrometer waits for no export
            "sim:obp?sample=cocaine",
            ["--timeout", "30"],
            r"cannot apply --timeout 30: .*\(it takes --integration-ms, --averages\)",
        ),
    ],
)
def test_the_scan_command_names_a_refused_setting_as_typed(
    tmp_path, monkeypatch, url, option, said
):
    monkeypatch.setenv("FORENSIC_CONFIG_DIR", str(tmp_path / "config"))
    command = ["scan", "--instrument", url, "--case", "C-1", "--exhibit", "E-1"]
    where = ["--operator", OPERATOR, "--store", str(tmp_path / "s")]
    result = CliRunner().invoke(main, [*command, *where, *option])
    assert result.exit_code == 2, result.output  # the command must change, not the instrument
    (error,) = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert re.search(said, error), error
    assert "_ms" not in result.output and "timeout_s" not in result.output
    with Store(tmp_path / "s") as store:
        assert store.get_case("C-1") is None


def test_the_scan_command_passes_on_the_settings_acquire_takes(tmp_path, monkeypatch):
    # scan took --integration-ms only: scans averaged, or a long FTIR run's wait for its
    # export, needed `forensic acquire` and a spectrum outside the custody record
    settings = []

    class Recording(FakeInstrument):
        def acquire(self, **given):
            settings.append(given)
            return super().acquire(**given)

    monkeypatch.setattr(
        "forensic.workflows._default_open_instrument", lambda url, **kw: Recording()
    )
    done = CliRunner().invoke(
        main,
        [
            "scan", "--instrument", "fake:x", "--case", "C-1", "--exhibit", "E-1",
            "--operator", OPERATOR, "--store", str(tmp_path / "s"),
            "--integration-ms", "200", "--averages", "4", "--timeout", "900",
        ],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert settings == [{"integration_time_ms": 200.0, "averages": 4, "timeout_s": 900.0}]


KILLABLE = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, sys.argv[3])
    from synthetic import make_spectrum
    from custody_helpers import identification_dict
    from forensic.workflows import scan

    mode = sys.argv[2]

    class Instrument:
        def __enter__(self): return self
        def __exit__(self, *exc): pass
        def describe(self): return {"kind": "killable"}
        def acquire(self, **settings):
            if mode == "hang-acquire":
                time.sleep(600)
            return make_spectrum(seed=4).with_metadata(provenance="simulated")

    def identify(spectrum):
        if mode == "hang-identify":
            time.sleep(600)
        return identification_dict()

    for round in range(1000 if mode == "loop" else 1):
        scan("killable:", case_number="K-1", item_number=f"E-{round % 3}",
             operator="Kill Tester", store=sys.argv[1],
             open_instrument=lambda url: Instrument(), identify=identify,
             text_path=f"{sys.argv[1]}-{round}.txt" if mode == "loop" else None)
    """
)


def _start(tmp_path, mode):
    script = tmp_path / "killable.py"
    script.write_text(KILLABLE)
    env = {**os.environ, "FORENSIC_CONFIG_DIR": str(tmp_path / "config")}
    return subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "s"), mode, str(ROOT / "tests")],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
    )


def _count(tmp_path, table):
    db = tmp_path / "s" / "forensic.db"
    if not db.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.OperationalError:
        return 0  # schema not created yet


def _wait_for(tmp_path, table, proc, timeout=60.0):
    deadline = time.monotonic() + timeout
    while _count(tmp_path, table) == 0:
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, f"no {table} record within {timeout} s"
        time.sleep(0.05)


def _kill(proc):
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stderr.close()


def test_kill_during_identification_keeps_the_raw_spectrum(tmp_path):
    proc = _start(tmp_path, "hang-identify")
    _wait_for(tmp_path, "measurements", proc)
    time.sleep(0.2)
    _kill(proc)
    with Store(tmp_path / "s") as store:
        measurement = store.measurements("K-1")[0]
        assert len(store.load_spectrum(measurement)) == 3001
        assert store.results("K-1") == []
        report = verify_store(store)
        assert report.ok, report.summary()


def test_kill_during_acquisition_leaves_a_consistent_store(tmp_path):
    proc = _start(tmp_path, "hang-acquire")
    _wait_for(tmp_path, "custody_events", proc)
    time.sleep(0.2)
    _kill(proc)
    with Store(tmp_path / "s") as store:
        assert store.measurements("K-1") == []
        assert len(store.custody_events("K-1")) == 1
        assert verify_store(store).ok


@pytest.mark.parametrize("delay_s", [0.3, 0.9, 1.6])
def test_kill_at_any_moment_of_repeated_scans(tmp_path, delay_s):
    proc = _start(tmp_path, "loop")
    _wait_for(tmp_path, "operator_keys", proc)
    time.sleep(delay_s)
    _kill(proc)
    with Store(tmp_path / "s") as store:
        report = verify_store(store)
        assert report.ok, report.summary()
        for measurement in store.measurements("K-1"):
            store.load_spectrum(measurement)  # raises if the raw data were lost or altered


needs_engine = pytest.mark.skipif(
    importlib.util.find_spec("drivers.urls") is None
    or importlib.util.find_spec("forensic.identification") is None
    or shutil.which("forensic") is None,
    reason="needs the drivers (drivers.urls), the identification engine and the console script",
)


@needs_engine
def test_kill_while_the_simulated_instrument_stalls(tmp_path):
    env = {**os.environ, "FORENSIC_CONFIG_DIR": str(tmp_path / "config")}
    proc = subprocess.Popen(
        [
            "forensic",
            "scan",
            "--instrument",
            "sim:ocean-rs232?sample=cocaine&fault=slow",
            "--case",
            "K-2",
            "--exhibit",
            "E-1",
            "--operator",
            "Kill Tester",
            "--store",
            str(tmp_path / "s"),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _wait_for(tmp_path, "custody_events", proc)
    time.sleep(0.5)
    _kill(proc)
    with Store(tmp_path / "s") as store:
        assert store.measurements("K-2") == []
        assert verify_store(store).ok


@needs_engine
@pytest.mark.slow
def test_scan_on_the_simulated_instrument_end_to_end(tmp_path):
    env = {**os.environ, "FORENSIC_CONFIG_DIR": str(tmp_path / "config")}
    done = subprocess.run(
        [
            "forensic",
            "scan",
            "--instrument",
            "sim:ocean-rs232?sample=cocaine",
            "--case",
            "SIM-1",
            "--exhibit",
            "A",
            "--operator",
            "Sim Tester",
            "--store",
            str(tmp_path / "s"),
            "--report",
            str(tmp_path / "r.pdf"),
        ],
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "[5/8]" in done.stderr  # progress display
    assert any(word in done.stdout for word in ("IDENTIFIED", "INCONCLUSIVE", "NO MATCH"))
    pages = [page.extract_text() for page in PdfReader(tmp_path / "r.pdf").pages]
    assert all(f"Page {n} of {len(pages)}" in page for n, page in enumerate(pages, start=1))
    text = "\n".join(pages)
    assert "SIM-1" in text and "simulated" in text and "cocaine" in text.lower()
    # the screen and the report name the analysis by the same store records
    records = re.search(r"store records: (measurement #\d+, result #\d+);", done.stdout)
    assert records and f"Store records {records[1]}" in " ".join(text.split())
    verify = subprocess.run(
        ["forensic", "custody", "verify", "--store", str(tmp_path / "s")],
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verify.returncode == 0, verify.stdout


@pytest.mark.parametrize("stop", ["SIGTERM", "SIGHUP"])
def test_a_scan_told_to_stop_switches_the_laser_off(tmp_path, stop):
    """``kill`` or a closed terminal stops a scan as Ctrl-C does: the laser goes off."""
    from drivers.simulators.ocean_sim import OceanRS232Simulator  # noqa: PLC0415
    from forensic.samples import resolve_sample  # noqa: PLC0415

    # at 115200 baud the spectrum's line time, which the slow reply waits beyond, is short
    sim = OceanRS232Simulator(
        resolve_sample("cocaine", "raman"), fault="slow", slow_s=1.0, baud=115200
    ).start()
    try:
        env = {**os.environ, "FORENSIC_CONFIG_DIR": str(tmp_path / "config")}
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "forensic",
                "scan",
                "--instrument",
                f"ocean-rs232://{sim.device_path}?baud=115200",
                "--case",
                "L-1",
                "--exhibit",
                "E-1",
                "--operator",
                OPERATOR,
                "--store",
                str(tmp_path / "s"),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while not sim.settings["J"]:  # the laser is on: the driver waits for the slow reply
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the laser was never switched on"
            time.sleep(0.05)
        proc.send_signal(getattr(signal, stop))
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 128 + getattr(signal, stop), err
        assert "Traceback" not in err
        said = err.splitlines()
        said = said[said.index(f"error: stopped by {stop}") :]
        # (and a WARNING: line under it, when the laser did not read back as off in time)
        assert [line for line in said if not line.startswith("WARNING: ")] == [
            f"error: stopped by {stop}",
            "recorded case L-1 (record #2), the label of exhibit E-1 (record #3), its receipt "
            "by Ann Example (record #4); no spectrum of exhibit E-1 of case L-1 was saved",
            "to do: scan again to measure it",
        ]
        deadline = time.monotonic() + 15  # the simulator reads the command after its slow reply
        while sim.settings["J"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not sim.settings["J"], "the laser is still on"
    finally:
        sim.stop()
    with Store(tmp_path / "s") as store:
        assert store.measurements("L-1") == []
        assert verify_store(store).ok


def _stop_at(stage, stop=KeyboardInterrupt):
    def progress(at, message):
        if at == stage:
            raise stop()

    return progress


class EmptyInstrument(FakeInstrument):
    """Nothing in the beam: the detector's offset and noise only."""

    def acquire(self, **settings):
        axis = np.arange(200.0, 2000.0, 1.0)
        noise = np.random.default_rng(5).normal(0.0, 5.0, axis.size)
        return Spectrum(axis, 1000.0 + noise, modality="raman").with_metadata(
            provenance="simulated", instrument_model="Fake", integration_time_ms=100.0
        )


NO_SIGNAL_TO_DO = (
    "  to do: check that the sample is in the beam, the laser or source is on and the exposure "
    "long enough, then measure again"
)


def test_a_scan_gives_its_result_once_recorded_before_the_report_is_written(tmp_path):
    """The audit: the verdict waited 13 s for the PDF to render."""
    said = []
    result = _run(
        tmp_path,
        report_path=tmp_path / "r.pdf",
        progress=lambda stage, message: said.append(stage),
        on_result=said.append,
    )
    (early,) = [x for x in said if not isinstance(x, str)]
    assert said.index(early) == said.index("record") + 1 == said.index("report") - 1
    assert early.report is None and result.report is not None
    assert early.verdict == result.verdict == "IDENTIFIED: Cocaine hydrochloride"
    assert early.result == result.result and early.custody == result.custody


def test_the_scan_screen_shows_the_verdict_before_the_report_step(tmp_path, monkeypatch):
    """Shown once the result is recorded: a report stopped while it renders (Ctrl-C, a slow
    laptop) leaves the verdict and its hits on the screen."""
    monkeypatch.setattr(
        "forensic.workflows._default_open_instrument", lambda url, **kw: FakeInstrument()
    )

    def stopped(content):
        raise KeyboardInterrupt

    monkeypatch.setattr("forensic.report.issue.render_pdf", stopped)
    args = ["scan", "--instrument", "fake:x", "--case", "C-1", "--exhibit", "E-1"]
    args += ["--report", str(tmp_path / "r.pdf"), "--store", str(tmp_path / "s")]
    done = CliRunner().invoke(main, [*args, "--operator", OPERATOR])
    assert done.exit_code == 130, done.output
    lines = done.output.splitlines()
    banner = next(n for n, line in enumerate(lines) if line.startswith("====="))
    report_step = next(n for n, line in enumerate(lines) if line.startswith("[8/8]"))
    assert banner < report_step
    with Store(tmp_path / "s") as store:
        (result,) = store.results("C-1", "E-1")
    assert lines[banner + 1].strip() == verdict_line(json.loads(result["identification_json"]))
    assert any(line.startswith("   #  substance") for line in lines[banner:report_step])
    assert lines[report_step - 1].startswith("Case C-1, exhibit E-1, store records: measurement #")
    assert lines[-3] == "error: interrupted"
    assert lines[-2].endswith("; the report was not written")
    assert lines[-1].startswith("to do: run `forensic report C-1 E-1 --out ")


def test_the_scan_screen_says_what_to_do_and_the_record_and_report_state_the_fact(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(
        "forensic.workflows._default_open_instrument", lambda url, **kw: EmptyInstrument()
    )
    done = CliRunner().invoke(
        main,
        [
            "scan", "--instrument", "fake:empty", "--case", "C-1", "--exhibit", "E-1",
            "--operator", OPERATOR, "--store", str(tmp_path / "s"),
            "--text", str(tmp_path / "r.txt"),
        ],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    (fact,) = [
        line.removeprefix("  warning: ")
        for line in done.stdout.splitlines()
        if line.startswith("  warning: the spectrum barely rises above its noise")
    ]
    assert fact.endswith("so any hit is likely chance")
    assert NO_SIGNAL_TO_DO in done.stdout.splitlines()
    with Store(tmp_path / "s") as store:
        (result,) = store.results("C-1", "E-1")
    recorded = json.loads(result["identification_json"])
    assert fact in recorded["warnings"] and "advice" not in recorded
    report = " ".join((tmp_path / "r.txt").read_text().split())
    assert fact in report and "sample is in the beam" not in report


def test_the_scan_screen_gives_a_mixtures_shares_and_says_what_a_q_value_is(tmp_path):
    """A technician reads a cut sample's proportions on the screen, as the investigator reads
    them in the report, and what the q-values beside the scores mean."""
    done = CliRunner().invoke(
        main,
        [
            "scan", "--instrument", "sim:ocean-rs232?sample=cocaine:65,levamisole:35",
            "--case", "C-1", "--exhibit", "E-1", "--operator", OPERATOR,
            "--store", str(tmp_path / "s"), "--text", str(tmp_path / "r.txt"),
        ],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    with Store(tmp_path / "s") as store:
        (result,) = store.results("C-1", "E-1")
    mixture = json.loads(result["identification_json"])["mixture"]
    assert mixture is not None
    # a share of the signal, not a purity: "64%" is radioed as "64 % cocaine" otherwise
    prefix = "  mixture (share of signal, not a quantitative purity): "
    (line,) = [x for x in done.stdout.splitlines() if x.startswith(prefix)]
    for component in mixture["components"]:
        assert f"{component['name']} {component['fraction']:.0%}" in line
    assert line.endswith(f"; residual {mixture['residual']:.3f}")
    assert "q-value: the estimated share of wrong identifications" in done.stdout


def _screen_and_report(tmp_path, instrument: str) -> tuple[list[str], str]:
    """A scan's screen (its lines) and its report as plain text (spaces made single)."""
    done = CliRunner().invoke(
        main,
        [
            "scan", "--instrument", instrument, "--case", "C-1", "--exhibit", "E-1",
            "--operator", OPERATOR, "--store", str(tmp_path / "s"),
            "--text", str(tmp_path / "r.txt"),
        ],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    return done.stdout.splitlines(), " ".join((tmp_path / "r.txt").read_text().split())


def test_the_scan_screen_says_under_its_verdict_what_the_report_s_summary_says(tmp_path):
    """The banner said only "IDENTIFIED: Cocaine base"; that the spectrum was simulated and
    the match rests on a modelled reference was a warning among three of the same weight,
    while the report's summary puts it under the verdict."""
    lines, report = _screen_and_report(tmp_path, "sim:ocean-rs232?sample=cocaine&seed=1")
    bar = next(n for n, line in enumerate(lines) if line.startswith("====="))
    assert lines[bar + 1].strip() == "IDENTIFIED: Cocaine base" and lines[bar + 2] == lines[bar]
    said = (
        "simulated spectrum: no evidential value; rests on a modelled reference (band table "
        "of low confidence)"
    )
    assert lines[bar + 3] == f"  {said}"  # right under the banner
    assert said in report  # in the words of the report's summary


def test_a_no_match_screen_says_its_hits_are_chance_and_that_it_excludes_nothing(
    tmp_path, shared_data
):
    """NO MATCH listed its closest references as a plain hit table, and never said that a no
    match does not show that no controlled substance is present, as its report does."""
    mineral = (
        shared_data / "rruff" / "raman-confusers"
        / "Abelsonite__R070007__Raman__532__0__unoriented__Raman_Data_Processed__27040.txt"
    )  # fmt: skip
    lines, report = _screen_and_report(tmp_path, f"sim:ocean-rs232?sample={mineral}&seed=1")
    bar = next(n for n, line in enumerate(lines) if line.startswith("====="))
    assert lines[bar + 1].strip() == "NO MATCH in the reference library"
    excludes_nothing = (
        "A substance absent from the library searched cannot be identified: this no match "
        "does not show that no controlled substance is present."
    )
    chance = (
        "References closest to the spectrum by chance similarity only: none is a finding (the "
        "spectrum matches no reference)."
    )
    assert lines[bar + 3 : bar + 7] == [
        "  simulated spectrum: no evidential value",
        f"  {excludes_nothing}",
        f"  {chance}",
        "   #  substance" + lines[bar + 6].removeprefix("   #  substance"),  # the hit table
    ]
    assert excludes_nothing in report and chance in report  # the report's own sentences
    # what to do next, as after the other verdicts: the last line of the result
    (to_do,) = [line for line in lines if line.startswith("  to do: ")]
    assert lines[lines.index(to_do) + 1].startswith("Case C-1, exhibit E-1, store records: ")
    assert to_do == (
        "  to do: check the sample presentation (in focus, not behind thick or coloured "
        "packaging) and measure again with a longer exposure; still NO MATCH: send the exhibit "
        "to the lab for a second, uncorrelated technique (e.g. GC-MS)"
    )
    assert "a second, uncorrelated technique (e.g. GC-MS)" in report  # the report's words


def test_the_scan_screen_shows_what_the_report_says_of_custody(tmp_path, monkeypatch):
    """A seal received broken and a hand-over nobody released were in the report's
    limitations, and nowhere on the screen the technician reads."""
    monkeypatch.setattr(
        "forensic.workflows._default_open_instrument", lambda url, **kw: FakeInstrument()
    )
    common = ["--instrument", "fake:x", "--case", "C-1", "--exhibit", "A1"]
    common += ["--description", "white powder", "--store", str(tmp_path / "s")]
    first = CliRunner().invoke(
        main, ["scan", *common, "--operator", "Ann Example", "--seal", "S-1"]
    )
    assert first.exit_code == 0, first.output
    assert "  custody: " not in first.stdout  # nothing to say
    # a hand-over released by someone the log does not show holding it (a scan refuses to
    # record one; 'custody add' records it, with a warning)
    handed = ["custody", "add", "C-1", "A1", "--released-by", "Mallory", "--received-by"]
    handed += ["Bob Example", "--purpose", "analysis", "--store", str(tmp_path / "s")]
    added = CliRunner().invoke(main, [*handed, "--operator", "Bob Example"])
    assert added.exit_code == 0 and "custody not continuous" in added.stderr, added.output
    done = CliRunner().invoke(
        main,
        [
            "scan",
            *common,
            "--operator",
            "Bob Example",
            "--seal",
            "S-2",
            "--seal-broken",
            "--json",
            str(tmp_path / "r.json"),
        ],
    )
    assert done.exit_code == 0, done.output
    shown = [
        line.removeprefix("  custody: ")
        for line in done.stdout.splitlines()
        if line.startswith("  custody: ")
    ]
    limitations = json.loads((tmp_path / "r.json").read_text())["limitations"]
    assert shown == [
        line
        for line in limitations
        if line.startswith(("A1: custody not continuous: ", "A1: the seal S-2 was broken"))
    ]
    assert any(line.startswith("A1: the seal S-2 was broken when Bob Example") for line in shown)
    assert any(line.startswith("A1: custody not continuous: ") for line in shown)
    # and so without a report: what a report would say
    again = CliRunner().invoke(main, ["scan", *common, "--operator", "Bob Example"])
    assert again.exit_code == 0, again.output
    assert [line for line in again.stdout.splitlines() if line.startswith("  custody: ")] == [
        f"  custody: {line}" for line in shown
    ]
    # and so does the case's summary, under each verdict what qualifies it (the audit:
    # `case show` listed IDENTIFIED for each exhibit, without SIMULATED or custody)
    case = CliRunner().invoke(
        main, ["case", "show", "C-1", "--store", str(tmp_path / "s")], env={"COLUMNS": "200"}
    )
    assert case.exit_code == 0, case.output
    lines = case.stdout.splitlines()
    row = next(n for n, line in enumerate(lines) if line.startswith("A1 "))
    with Store(tmp_path / "s") as store:
        latest = json.loads(store.results("C-1", "A1")[-1]["identification_json"])
    # with the verdict, what qualifies it in the words of the report's summary
    said = f"{verdict_line(latest)}; {verdict_qualifier(latest, 'simulated')}"
    assert lines[row].endswith(f"  {said}")
    assert "; simulated spectrum: no evidential value" in said
    assert [line for line in lines if line.startswith("  custody: ")] == [
        f"  custody: {line}" for line in shown
    ]


def test_a_report_without_a_location_says_how_to_name_it(tmp_path, monkeypatch):
    """Every page read "Mobile lab (location not configured)" and nothing on screen said
    that --location or FORENSIC_LOCATION names the place."""
    monkeypatch.setattr(
        "forensic.workflows._default_open_instrument", lambda url, **kw: FakeInstrument()
    )
    monkeypatch.delenv("FORENSIC_LOCATION", raising=False)
    common = ["scan", "--instrument", "fake:x", "--exhibit", "A1", "--operator", OPERATOR]
    common += ["--store", str(tmp_path / "s")]
    done = CliRunner().invoke(main, [*common, "--case", "C-1", "--json", str(tmp_path / "a.json")])
    assert done.exit_code == 0, done.output
    hint = (
        "note: the report reads 'Mobile lab (location not configured)': give --location (and "
        "--unit), or set FORENSIC_LOCATION (and FORENSIC_UNIT) once on this laptop"
    )
    assert hint in done.stderr.splitlines()
    assert "note: where this analysis" not in done.stderr  # the same remedy, said once
    placed = CliRunner(env={"FORENSIC_LOCATION": "Van 3, A1 lay-by"}).invoke(
        main, [*common, "--case", "C-2", "--json", str(tmp_path / "b.json")]
    )
    assert placed.exit_code == 0 and "note: the report reads" not in placed.stderr
    report = ["report", "C-1", "--out", str(tmp_path / "c.pdf"), "--store", str(tmp_path / "s")]
    again = CliRunner().invoke(main, [*report, "--operator", OPERATOR])
    assert again.exit_code == 0 and hint in again.stderr.splitlines(), again.output


def test_a_scan_that_records_no_place_for_its_analysis_says_how_to_name_it(tmp_path, monkeypatch):
    """Its reports say "location not recorded" for that analysis for good: the screen says
    so while --location can still be given."""
    monkeypatch.setattr(
        "forensic.workflows._default_open_instrument", lambda url, **kw: FakeInstrument()
    )
    monkeypatch.delenv("FORENSIC_LOCATION", raising=False)
    store = ["--store", str(tmp_path / "s"), "--operator", OPERATOR]
    opened = CliRunner().invoke(main, ["case", "new", "C-1", "--location", "Van 3", *store])
    assert opened.exit_code == 0, opened.output
    common = ["scan", "--instrument", "fake:x", "--case", "C-1", "--exhibit", "A1", *store]
    done = CliRunner().invoke(main, [*common, "--json", str(tmp_path / "a.json")])
    assert done.exit_code == 0, done.output
    (note,) = [line for line in done.stderr.splitlines() if line.startswith("note: where")]
    # the case's place, as the option to paste (a case opened in the van it is scanned in)
    assert re.fullmatch(
        r"note: where this analysis was done is not recorded with it \(measurement record "
        r'#\d+; its reports say "location not recorded"\): on the next scan give '
        r"--location 'Van 3' \(the place of case C-1, if you scan there\), or set "
        r"FORENSIC_LOCATION once on this laptop",
        note,
    )
    placed = CliRunner().invoke(main, [*common, "--location", "Central Lab, Den Haag"])
    assert placed.exit_code == 0 and "note: where" not in placed.stderr, placed.output
    # a case opened without a place: nothing to offer but the option
    CliRunner().invoke(main, ["case", "new", "C-2", *store])
    common[common.index("C-1")] = "C-2"
    unplaced = CliRunner().invoke(main, common)
    assert unplaced.exit_code == 0, unplaced.output
    (note,) = [line for line in unplaced.stderr.splitlines() if line.startswith("note: where")]
    assert note.endswith(": give --location, or set FORENSIC_LOCATION once on this laptop")


def test_the_scan_screen_and_report_never_show_a_score_on_the_threshold_it_missed(
    tmp_path, monkeypatch
):
    """An uncalibrated best score of 0.9496 read "score 0.950" beside INCONCLUSIVE, whose
    reason says it is below 0.95."""
    identification = identification_dict("inconclusive")
    identification["reasons"] = ["best score 0.9496 is below 0.95 needed to identify"]
    for hit, score in zip(identification["hits"], (0.9496, 0.7996), strict=True):
        hit.update(score=score, q_value=None)
    monkeypatch.setattr(
        "forensic.workflows._default_open_instrument", lambda url, **kw: FakeInstrument()
    )
    monkeypatch.setattr("forensic.workflows._reference_library", lambda library, *_: None)
    monkeypatch.setattr(
        "forensic.workflows._identify_against", lambda reference: lambda s: identification
    )
    done = CliRunner().invoke(
        main,
        [
            "scan", "--instrument", "fake:x", "--case", "C-1", "--exhibit", "E-1",
            "--operator", OPERATOR, "--store", str(tmp_path / "s"),
            "--text", str(tmp_path / "r.txt"),
        ],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    # the hit table forensic identify prints (forensic.cli.result): rank, name, score, q-value
    screen = [line.split() for line in done.stdout.splitlines()]
    assert ["1", "Cocaine", "hydrochloride", "0.9496", "-"] in [row[:5] for row in screen]
    assert ["2", "Lidocaine", "0.7996", "-"] in [row[:4] for row in screen]
    rows = [line.split() for line in (tmp_path / "r.txt").read_text().splitlines()]
    assert ["1", "Cocaine", "hydrochloride", "0.9496", "-"] in [row[:5] for row in rows]
    assert ["2", "Lidocaine", "0.7996", "-"] in [row[:4] for row in rows]


def _shipped_named() -> str:
    """How the shipped library is named on the screen (forensic.identification.library_named)."""
    from forensic import __version__  # noqa: PLC0415
    from spectral_library import LIBRARY_NAME, LIBRARY_PUBLISHED  # noqa: PLC0415

    return f"{LIBRARY_NAME}, published {LIBRARY_PUBLISHED} with forensic {__version__}"


_SHIPPED_NAMED = _shipped_named()


def test_a_scan_names_the_library_under_its_identification_step(tmp_path):
    progress = []
    _run(
        tmp_path,
        identify=None,  # the shipped library, loaded by the scan
        progress=lambda stage, message: progress.append((stage, message)),
    )
    assert [message for stage, message in progress if stage == "identify"] == [
        "identifying against the reference library",
        f"library: {_SHIPPED_NAMED}",  # as forensic identify names it
    ]


def test_a_spectrum_saved_by_a_stopped_scan_is_identified_without_measuring_again(tmp_path):
    with pytest.raises(Interrupted, match="exhibit identify C-1 E-1"):
        _run(tmp_path, progress=_stop_at("identify"))
    runner = CliRunner()
    common = ["--store", str(tmp_path / "s"), "--operator", OPERATOR]
    # the shipped library identifies the fake instrument's spectrum as it can
    done = runner.invoke(main, ["exhibit", "identify", "C-1", "E-1", *common])
    assert done.exit_code == 0, done.output
    assert done.output.startswith("measurement #5 (")
    # under its verdict, as under a scan's: the fake instrument's spectrum is simulated
    assert done.output.splitlines()[1].startswith("  simulated spectrum: no evidential value")
    # the library last, once, as forensic identify and a scan name it
    assert done.output.splitlines()[-1] == f"library: {_SHIPPED_NAMED}"
    with Store(tmp_path / "s") as store:
        (result,) = store.results("C-1", "E-1")
        (measurement,) = store.measurements("C-1", "E-1")
        assert result["measurement_hash"] == measurement["hash"]
        assert verify_store(store).ok
    again = runner.invoke(main, ["exhibit", "identify", "C-1", "E-1", *common])
    assert again.exit_code == 0
    assert "every saved spectrum of exhibit E-1 already has a result" in again.output


def test_two_identifications_of_one_saved_spectrum_at_once_record_one_result(tmp_path, monkeypatch):
    """Two `exhibit identify` started together (two terminals, a script run twice): the one
    that finishes second finds the result the first recorded, and records none."""
    with pytest.raises(Interrupted, match="exhibit identify C-1 E-1"):
        _run(tmp_path, progress=_stop_at("identify"))
    common = ["--store", str(tmp_path / "s"), "--operator", OPERATOR]
    runner = CliRunner()
    first = []

    def identify_while_another_does(spectrum):
        if not first:  # the other run identifies and records while this one identifies
            first.append(None)
            first[0] = runner.invoke(main, ["exhibit", "identify", "C-1", "E-1", *common])
        return identification_dict()

    monkeypatch.setattr(
        "forensic.workflows._identify_against", lambda reference: identify_while_another_does
    )
    second = runner.invoke(main, ["exhibit", "identify", "C-1", "E-1", *common])
    assert first[0].exit_code == 0 and second.exit_code == 0, (first[0].output, second.output)
    assert (
        first[0].output.startswith("measurement #5 (") and "(result record #6)" in first[0].output
    )
    assert second.output.startswith("measurement #5 (") and second.output.splitlines()[0].endswith(
        ": already has a result, recorded meanwhile by Ann Example: IDENTIFIED: Cocaine "
        "hydrochloride (result record #6); no second result recorded"
    ), second.output
    with Store(tmp_path / "s") as store:
        (result,) = store.results("C-1", "E-1")
        assert result["seq"] == 6 and verify_store(store).ok


def test_identifying_a_saved_spectrum_says_what_to_do_on_the_screen_only(tmp_path):
    with pytest.raises(Interrupted, match="exhibit identify C-1 E-1"):
        _run(
            tmp_path,
            open_instrument=lambda url: EmptyInstrument(),
            progress=_stop_at("identify"),
        )
    common = ["--store", str(tmp_path / "s"), "--operator", OPERATOR]
    done = CliRunner().invoke(main, ["exhibit", "identify", "C-1", "E-1", *common])
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    assert any(line.startswith("  warning: the spectrum barely rises") for line in lines)
    assert NO_SIGNAL_TO_DO in lines
    with Store(tmp_path / "s") as store:
        (result,) = store.results("C-1", "E-1")
    assert "advice" not in json.loads(result["identification_json"])


@pytest.mark.parametrize(
    ("stage", "recorded", "to_do"),
    [
        (
            "connect",
            r"nothing was recorded; no spectrum of exhibit E-1 of case C-1 was saved",
            r"scan again to measure it",
        ),
        ("case", r"nothing was recorded; no spectrum .*", r"scan again to measure it"),
        (
            "custody",
            r"recorded case C-1 \(record #2\), the label of exhibit E-1 \(record #3\), its "
            r"receipt by Ann Example \(record #4\); no spectrum of exhibit E-1 of case C-1 "
            r"was saved",
            r"scan again to measure it",
        ),
        (
            "store",
            r"recorded case C-1 .*; DO NOT MEASURE AGAIN: the raw spectrum of exhibit E-1 of "
            r"case C-1 is not in the store, but kept in "
            r".*unrecorded-spectra/C-1_E-1_.*\.json \(spectrum SHA-256 [0-9a-f]{64}\)",
            r"`forensic exhibit record-spectrum .* records it, .* identifies it, and then "
            r"`forensic report C-1 E-1 .*` makes the report",
        ),
        (
            "identify",
            r"DO NOT MEASURE AGAIN: the raw spectrum of exhibit E-1 of case C-1 is saved "
            r"\(measurement record #5, "
            r"SHA-256 [0-9a-f]{64}\), but no result is recorded",
            r"`forensic exhibit identify C-1 E-1 --store \S+/s/forensic.db --operator 'Ann "
            r"Example'` identifies the saved spectrum, and then `forensic report C-1 E-1 --out "
            r"\S+/r.pdf --json \S+/r.json --store \S+/s/forensic.db --operator 'Ann Example'` "
            r"makes the report",
        ),
        (
            "record",
            r"DO NOT MEASURE AGAIN: the raw spectrum .* is saved .*, but no result is recorded",
            r".*",
        ),
        (
            "report",
            r"DO NOT MEASURE AGAIN: the spectrum and result for exhibit E-1 of case C-1 are "
            r"recorded \(measurement record #5, result record #6: IDENTIFIED: Cocaine "
            r"hydrochloride\); the report was not written",
            r"run `forensic report C-1 E-1 --out .*r.pdf --json .*r.json --store "
            r".*forensic.db --operator 'Ann Example'` to make it",
        ),
    ],
)
def test_a_scan_stopped_at_any_stage_says_what_is_recorded_and_what_to_do_apart(
    tmp_path, stage, recorded, to_do
):
    with pytest.raises(Interrupted) as stopped:
        _run(
            tmp_path,
            report_path=tmp_path / "r.pdf",
            json_path=tmp_path / "r.json",
            progress=_stop_at(stage),
        )
    stop = stopped.value
    assert stop.signum == signal.SIGINT and stop.exit_code == 130
    assert (stop.problem, stop.warning) == ("interrupted", None)
    assert re.fullmatch(recorded, stop.recorded), stop.recorded
    assert re.fullmatch(to_do, stop.advice), stop.advice
    assert str(stop) == f"interrupted; {stop.recorded}; to do: {stop.advice}"
    assert not (tmp_path / "r.pdf").exists()
    with Store(tmp_path / "s") as store:
        assert verify_store(store).ok


def test_a_scan_stopped_while_the_laser_may_be_on_says_so_before_what_is_recorded(tmp_path):
    # the driver's warning that the laser could not be switched off was lost when the scan
    # said what it had recorded: the technician read only "no spectrum ... was saved"
    warning = "the laser could not be switched off (no reply), so it may still be on"
    stop = Interrupted(signal.SIGTERM, warning=warning)
    with pytest.raises(Interrupted) as stopped:
        _run(tmp_path, open_instrument=lambda url: FakeInstrument(fail=stop))
    assert stopped.value.exit_code == 143
    assert stopped.value.said() == [
        "stopped by SIGTERM",
        f"WARNING: {warning}",
        "recorded case C-1 (record #2), the label of exhibit E-1 (record #3), its receipt by "
        "Ann Example (record #4); no spectrum of exhibit E-1 of case C-1 was saved",
        "to do: scan again to measure it",
    ]


def test_a_stopping_signal_keeps_its_number_and_a_second_scan_names_only_its_records(tmp_path):
    _run(tmp_path)
    with pytest.raises(Interrupted) as stopped:
        _run(tmp_path, progress=_stop_at("record", lambda: Interrupted(signal.SIGTERM)))
    assert stopped.value.exit_code == 143
    assert str(stopped.value).startswith(
        "stopped by SIGTERM; DO NOT MEASURE AGAIN: the raw spectrum of exhibit E-1"
    )
    assert "measurement record #7," in stopped.value.recorded  # not the first scan's #5


def test_a_scan_stopped_while_writing_report_files_says_the_report_is_recorded(
    tmp_path, monkeypatch
):
    issue = importlib.import_module("forensic.report.issue")

    def stopped_while_writing(path, data, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(issue, "atomic_write_bytes", stopped_while_writing)
    with pytest.raises(Interrupted) as stopped:
        _run(tmp_path, report_path=tmp_path / "r.pdf")
    assert re.search(
        r"result record #6: .*\), and so is report FR-\S+ \(record #7\), but its files "
        r"may not all be written$",
        stopped.value.recorded,
    ), stopped.value.recorded
    assert stopped.value.advice == (
        f"check them, or issue it again with `forensic report C-1 E-1 --out {tmp_path / 'r.pdf'} "
        f"{_signed(tmp_path)}`"
    )


SLOW_REPORT = textwrap.dedent(
    """
    import sys, time
    from forensic.report import issue

    real = issue.render_pdf

    def render_slowly(content):
        time.sleep(120)  # the report stage lasts until the test stops it
        return real(content)

    issue.render_pdf = render_slowly
    from forensic.__main__ import run

    run()
    """
)


@pytest.mark.parametrize("stop", ["SIGINT", "SIGTERM"])
def test_a_scan_stopped_while_it_writes_the_report_says_how_to_make_it(tmp_path, stop):
    """Ctrl-C (or ``kill``) in the report stage: the spectrum and result are on record, and
    the message gives the command that makes the report."""
    env = {**os.environ, "FORENSIC_CONFIG_DIR": str(tmp_path / "config")}
    pdf = tmp_path / "R 1.pdf"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            SLOW_REPORT,
            "scan",
            "--instrument",
            "sim:ocean-rs232?sample=cocaine",
            "--case",
            "R-1",
            "--exhibit",
            "E-1",
            "--operator",
            OPERATOR,
            "--store",
            str(tmp_path / "s"),
            "--report",
            str(pdf),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    progress = []
    for line in proc.stderr:  # the progress lines, until the report stage begins
        progress.append(line)
        if line.startswith("[8/8]"):
            break
    assert progress and progress[-1].startswith("[8/8]"), (progress, proc.communicate())
    proc.send_signal(getattr(signal, stop))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + getattr(signal, stop), err
    assert "Traceback" not in err
    stopped, recorded, to_do = err.splitlines()
    assert stopped == ("error: interrupted" if stop == "SIGINT" else f"error: stopped by {stop}")
    assert recorded.startswith(
        "DO NOT MEASURE AGAIN: the spectrum and result for exhibit E-1 of case R-1 are recorded "
        "(measurement record #5, result record #6: "
    )
    assert recorded.endswith("); the report was not written")
    (command,) = re.fullmatch(r"to do: run `(forensic report [^`]+)` to make it", to_do).groups()
    assert not pdf.exists()
    with Store(tmp_path / "s") as store:
        assert len(store.results("R-1", "E-1")) == 1 and store.reports("R-1") == []
        assert verify_store(store).ok
    # the command it gives makes the report, signed by the scan's operator (not the login name)
    words = shlex.split(command)
    assert words[:2] == ["forensic", "report"]
    made = CliRunner(
        env={"FORENSIC_CONFIG_DIR": str(tmp_path / "config"), "FORENSIC_OPERATOR": None}
    ).invoke(main, words[1:])
    assert made.exit_code == 0, made.output
    assert pdf.exists()
    with Store(tmp_path / "s") as store:
        assert [r["issued_by"] for r in store.reports("R-1")] == [OPERATOR]


def test_a_scan_of_numbers_pasted_with_spaces_records_them_without(tmp_path):
    result = _run(tmp_path, case_number=" NEW-9 ", item_number="A1 ")
    assert (result.exhibit["case_number"], result.exhibit["item_number"]) == ("NEW-9", "A1")
    _run(tmp_path, case_number="NEW-9", item_number="A1")
    with Store(tmp_path / "s") as store:
        assert len(store.measurements("NEW-9", "A1")) == 2
        assert len(store.custody_events("NEW-9", "A1")) == 1
        assert verify_store(store).ok


def test_a_number_that_differs_from_a_recorded_one_only_in_case_punctuation_or_look_is_refused(
    tmp_path,
):
    _run(tmp_path, case_number="2026-0412", item_number="A1")
    opened = []

    def instrument(url):
        opened.append(url)
        return FakeInstrument()

    for case_number, item_number, said in (
        ("2026 0412", "A1", r"no case '2026 0412' .* but there is case '2026-0412'"),
        ("2026-0412", "a1", r"case 2026-0412 has no exhibit 'a1', but it has exhibit 'A1'"),
        # typed on a keyboard set to full width (East Asian input)
        (
            "２０２６-０４１２",
            "A1",
            r"no case '２０２６-０４１２' .* but there is case '2026-0412'",
        ),
        # what looks alike on a bag's label or a keyboard: leading zeros, O for 0, l and I for 1
        ("2026-412", "A1", r"no case '2026-412' .* but there is case '2026-0412'"),
        ("2026-O412", "A1", r"no case '2026-O412' .* but there is case '2026-0412'"),
        ("2026-0412", "A01", r"has no exhibit 'A01', but it has exhibit 'A1'"),
        ("2026-0412", "Al", r"has no exhibit 'Al', but it has exhibit 'A1'"),
        ("2026-0412", "AI", r"has no exhibit 'AI', but it has exhibit 'A1'"),
        # zero padding typed with the letter O, a twin of A01 and so of A1
        ("2026-0412", "AO1", r"has no exhibit 'AO1', but it has exhibit 'A1'"),
    ):
        with pytest.raises(CustodyError, match=said + r".*Nothing was recorded"):
            _run(
                tmp_path,
                case_number=case_number,
                item_number=item_number,
                open_instrument=instrument,
            )
    assert opened == []  # refused before the instrument is opened or the laser fires
    with Store(tmp_path / "s") as store:
        assert [c["case_number"] for c in store.current("cases")] == ["2026-0412"]
        assert [e["item_number"] for e in store.exhibits("2026-0412")] == ["A1"]
    # a number opened on purpose is scanned into as any other
    with Store(tmp_path / "s") as store:
        store.add_exhibit("2026-0412", "a1", operator=OPERATOR, description="second bag")
    _run(tmp_path, case_number="2026-0412", item_number="a1")
    _run(tmp_path, case_number="2026-0413", item_number="A1")  # another number altogether
    # letters next to digits stay letters, and a zero that is the whole run stays a zero
    for case_number, item_number in (("2026-0412", "A10"), ("2026-0412", "A0"), ("DEMO-1", "A1")):
        _run(tmp_path, case_number=case_number, item_number=item_number)
    # the O is a letter of its own, not a zero to drop: DEM-1 is no twin of DEMO-1, but it is
    # DEMO-1 with one letter left out, a slip of the hand opened on purpose or not at all
    with pytest.raises(CustodyError, match=r"there is case 'DEMO-1'.*\('O' left out\)"):
        _run(tmp_path, case_number="DEM-1", item_number="A1")
    with Store(tmp_path / "s") as store:
        store.open_case("DEM-1", operator=OPERATOR)
    _run(tmp_path, case_number="DEM-1", item_number="A1")


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("LAB-1", "lab-1"),  # letter case, whatever the letters (l and I look like digits)
        ("ITEM-1", "item-1"),
        ("DEMO-I", "DEMO-i"),
        ("2026-0412", "20260412"),  # punctuation, also before a zero
        ("2026-0412", "2026 412"),
        ("A01", "A1"),
        ("DEMO-l", "DEMO-1"),
        ("2026-O412", "2026-0412"),
        ("B0X", "box"),
        # zero padding typed with the letter O after a single letter: AO1 is A01, so A1
        ("AO1", "A1"),
        ("ao1", "A01"),
        ("AOO1", "a1"),
        ("BO1", "B1"),  # the same shape as AO1, so a twin too (it was pinned as two numbers)
        ("CO2-1", "C2-1"),
        ("2026-O412", "2026-412"),  # an O after punctuation is no letter of a word either
        # letters of another script that print like Latin letters or digits (UTS #39)
        ("\u0417\u0410\u041a-1", "3AK-1"),  # Cyrillic З А К
        ("\u0437\u0430\u043a-1", "\u0417\u0410\u041a-1"),  # and in the other letter case
        ("DEM\u041e-1", "DEMO-1"),  # a Cyrillic О among Latin letters
        ("2026-\u041e412", "2026-0412"),  # a Cyrillic О read as a zero, as a Latin one is
        ("\u0391\u0392-1", "ab-1"),  # Greek Α Β
        ("\u039d-1", "\u03bd-1"),  # Greek Ν and ν: N and v, and each other in the other case
        ("\u039d-1", "N-1"),
        ("\u03bd-1", "v-1"),
        ("\u0393-1", "\u03b3-1"),  # Greek Γ prints like no Latin letter, its γ like y
        ("\u0406\u0422\u0415\u041c-1", "ITEM-1"),  # Cyrillic І Т Е М
    ],
)
def test_numbers_that_read_the_same_are_twins(one, other):
    assert workflows._twins(one, other) and workflows._twins(other, one)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("DEMO1", "DEM1"),  # an O read as a zero is not a leading zero to drop
        ("DEMO-1", "DEM-1"),
        ("DEMO01", "DEM1"),
        ("A10", "A1"),
        ("A0", "A"),
        ("AO-1", "A-1"),  # an O that is a whole run is a zero that stays, as in A0
        ("\u039d-1", "v-1"),  # a Greek Ν prints like N, not v (its small letter does)
        ("\u0393-1", "Y-1"),  # a Greek Γ prints like no Latin letter (its small γ like y)
        ("\u0437\u0430\u043a-1", "3ak-1"),  # a small з prints like no 3 (its capital does)
        ("\u0416-1", "X-1"),  # Cyrillic Ж, Latin X
    ],
)
def test_numbers_that_read_differently_are_not_twins(one, other):
    assert not workflows._twins(one, other) and not workflows._twins(other, one)


ZAK = "\u0417\u0410\u041a-2026"  # Cyrillic З А К: prints like the Latin 3AK-2026
ZAK_NOTE = (
    "contains Cyrillic З (U+0417), А (U+0410), К (U+041A), which print like Latin 3, A, K: on "
    "paper it reads '3AK-2026', and typed so it is another number"
)


def test_a_number_that_prints_like_a_recorded_one_in_other_letters_is_refused_as_its_twin(
    tmp_path,
):
    _run(tmp_path, case_number="3AK-2026", item_number="A1")
    opened = []

    def instrument(url):
        opened.append(url)
        return FakeInstrument()

    db = tmp_path / "s" / "forensic.db"
    with pytest.raises(CustodyError) as refused:
        _run(tmp_path, case_number=ZAK, item_number="A1", open_instrument=instrument)
    assert str(refused.value) == (
        f"there is no case {ZAK!r} in {db}, but there is case '3AK-2026' (the case number "
        f"given {ZAK!r} {ZAK_NOTE}): scan again with --case 3AK-2026; if {ZAK!r} is a new "
        f"case, open it first with `forensic case new {shlex.quote(ZAK)} {_signed(tmp_path)}`"
        ". Nothing was recorded"
    )
    with pytest.raises(CustodyError) as refused:  # a Cyrillic А
        _run(tmp_path, case_number="3AK-2026", item_number="\u04101", open_instrument=instrument)
    assert str(refused.value).startswith(
        "case 3AK-2026 has no exhibit 'А1', but it has exhibit 'A1' (the exhibit number given "
        "'А1' contains Cyrillic А (U+0410), which prints like Latin A: on paper it reads 'A1', "
        "and typed so it is another number): scan again with --exhibit A1; if 'А1' is another "
        "item, label it first with `forensic exhibit add 3AK-2026 "
    )
    assert opened == []  # refused before the instrument is opened or the laser fires
    with Store(tmp_path / "s") as store:
        assert [c["case_number"] for c in store.current("cases")] == ["3AK-2026"]
        assert [e["item_number"] for e in store.exhibits("3AK-2026")] == ["A1"]


def test_a_new_number_that_mixes_scripts_is_refused_unless_opened_on_purpose(tmp_path):
    demo = "DEM\u041e-1"  # a Cyrillic О among Latin letters
    with pytest.raises(CustodyError) as refused:
        _run(tmp_path, case_number=demo)
    assert str(refused.value) == (
        f"case number {demo!r} contains Cyrillic О (U+041E), which prints like Latin O: on "
        "paper it reads 'DEMO-1', and typed so it is another number; it mixes them with Latin "
        "D, E, M: almost always a keyboard set to another layout; type it again in one "
        "script, or, if the label writes it so, open the case first with `forensic case new "
        f"{shlex.quote(demo)} --mixed-scripts {_signed(tmp_path)}`. Nothing was recorded"
    )
    # an exhibit number too, in a new case as in a recorded one
    for recorded in (False, True):
        with pytest.raises(CustodyError, match=r"^exhibit number 'АB-1' .* it mixes them with "):
            _run(tmp_path, case_number="C-2", item_number="\u0410B-1")
        if not recorded:
            _run(tmp_path, case_number="C-2", item_number="E-1")
    with Store(tmp_path / "s") as store:
        assert [c["case_number"] for c in store.current("cases")] == ["C-2"]
        store.open_case(demo, operator=OPERATOR, mixed_scripts=True)
    _run(tmp_path, case_number=demo)  # opened on purpose, as the label writes it
    with Store(tmp_path / "s") as store:
        assert len(store.measurements(demo)) == 1


def test_a_scan_recording_a_number_in_another_script_says_how_it_prints(tmp_path):
    seal = "\u0405-0093"  # a Cyrillic Ѕ
    _, progress = _progress_of(tmp_path, case_number=ZAK, item_number="Б1", seal_number=seal)
    assert progress["case"] == (
        f"NEW case {ZAK}, NEW exhibit Б1 in {tmp_path / 's' / 'forensic.db'}"
        f"\n        note: case number {ZAK!r} {ZAK_NOTE}"
        f"\n        note: seal number {seal!r} contains Cyrillic Ѕ (U+0405), which prints like "
        "Latin S: on paper it reads 'S-0093', and typed so it is another number"
    )
    with Store(tmp_path / "s") as store:  # a whole-script number is the unit's own: recorded
        assert store.get_exhibit(ZAK, "Б1")["seal_number"] == seal
    _, progress = _progress_of(tmp_path, case_number=ZAK, item_number="Б1")
    assert "note" not in progress["case"]  # recorded before: nothing new to say
    _, progress = _progress_of(tmp_path, case_number=ZAK, item_number="Б2", seal_number="SЕ-1")
    assert progress["case"].endswith(
        "\n        WARNING: seal number 'SЕ-1' contains Cyrillic Е (U+0415), which prints like "
        "Latin E: on paper it reads 'SE-1', and typed so it is another number; it mixes them "
        "with Latin S: almost always a keyboard set to another layout"
    )


def test_a_seal_stated_in_letters_that_print_like_the_recorded_ones_is_told_apart(tmp_path):
    first = _run(tmp_path, seal_number="S-7")
    result, progress = _progress_of(tmp_path, seal_number="\u0405-7")  # a Cyrillic Ѕ
    (warning,) = [w for w in result.identification["warnings"] if "seal" in w]
    assert warning == (
        "the technician who scanned E-1 stated seal 'Ѕ-7' on it, which prints like the seal "
        f"last recorded for it, 'S-7' (custody record #{first.custody_event['seq']}), but in "
        "other letters (the seal number given 'Ѕ-7' contains Cyrillic Ѕ (U+0405), which "
        "prints like Latin S: on paper it reads 'S-7', and typed so it is another number)"
    )
    assert (
        f"WARNING: {warning}: check that the seal is the one recorded, and type its "
        in (progress["custody"])
    )
    assert "`forensic exhibit show C-1 E-1 --store " in progress["custody"]


def test_the_scan_says_when_its_case_or_exhibit_is_new(tmp_path):
    """A mistyped number the near-duplicate check cannot see opened a case for good, with the
    same progress line as an existing one."""

    def case_line(**kw):
        return _progress_of(tmp_path, **kw)[1]["case"]

    db = tmp_path / "s" / "forensic.db"
    assert case_line(case_number="DEMO-1") == f"NEW case DEMO-1, NEW exhibit E-1 in {db}"
    assert case_line(case_number="DEMO-1") == f"case DEMO-1, exhibit E-1 in {db}"
    assert case_line(case_number="DEMO-1", item_number="E-2") == (
        f"case DEMO-1, NEW exhibit E-2 in {db}"
    )


@pytest.mark.parametrize(
    ("case_number", "said"),
    [
        ("2026-\u202e2140", r"U\+202E \(RIGHT-TO-LEFT OVERRIDE\)"),  # shows as 2026-0412
        ("2026-04\u200b12", r"U\+200B \(ZERO WIDTH SPACE\)"),
        ("2026-04\x8512", r"U\+0085"),  # a control character with no name
    ],
)
def test_a_number_holding_a_character_not_seen_as_what_it_is_is_refused(
    tmp_path, case_number, said
):
    with pytest.raises(CustodyError, match=rf"case number .* holds {said}: .* type it again"):
        _run(tmp_path, case_number=case_number, item_number="A1")
    if (tmp_path / "s" / "forensic.db").exists():
        with Store(tmp_path / "s") as store:
            assert store.current("cases") == []


@pytest.mark.parametrize(("case_number", "item_number"), [("-C1", "A1"), ("C-1", "-A2")])
def test_a_new_number_that_reads_as_an_option_is_refused(tmp_path, case_number, item_number):
    # `forensic custody log C-1 -A2` fails: every command naming it would, pasted or typed
    with pytest.raises(CustodyError, match=r"begins with '-', which a command line reads as"):
        _run(tmp_path, case_number=case_number, item_number=item_number)
    with Store(tmp_path / "s") as store:
        assert store.current("exhibits") == [] and store.current("custody_events") == []
        assert store.current("cases") == []  # the case, the label and the receipt: one step


def test_a_near_duplicate_number_opened_by_another_scan_meanwhile_is_refused(tmp_path):
    """Two technicians scan the same new case at once, one typing 'DEMO-1', the other
    'demo 1': the second to record finds the first's case and files nothing under its own."""
    _run(tmp_path, case_number="OTHER", item_number="A1")  # the store exists

    def another_scan_opens_it_first(url):
        with Store(tmp_path / "s") as other:
            other.open_case("DEMO-1", operator="Bo Other")
            other.add_exhibit("DEMO-1", "A1", operator="Bo Other", description="bag")
        return FakeInstrument()

    with pytest.raises(CustodyError) as refused:
        _run(
            tmp_path,
            case_number="demo 1",
            item_number="A1",
            open_instrument=another_scan_opens_it_first,
        )
    assert str(refused.value) == (
        f"there is no case 'demo 1' in {tmp_path / 's' / 'forensic.db'}, but there is case "
        "'DEMO-1': scan again with --case DEMO-1; if 'demo 1' is a new case, open it first "
        f"with `forensic case new 'demo 1' {_signed(tmp_path)}`; nothing was recorded; no "
        "spectrum of exhibit A1 of case demo 1 was saved"
    )
    with Store(tmp_path / "s") as store:
        assert [c["case_number"] for c in store.current("cases")] == ["OTHER", "DEMO-1"]


def test_what_a_scan_states_against_the_records_is_judged_on_those_its_receipt_follows(
    tmp_path, monkeypatch
):
    """A hand-over recorded by another process while a scan compares its statements with the
    exhibit's records: the receipt's notes must not contradict the record just before it."""
    _run(tmp_path, seal_number="S-7")
    judge = label_discrepancies

    def judge_while_another_records(*args, **kwargs):
        found = judge(*args, **kwargs)
        # it waits for the scan's receipt, or records before the scan reads the records
        with Store(tmp_path / "s", busy_timeout_s=0.2) as other, suppress(StoreBusyError):
            other.add_custody_event(
                "C-1", "E-1", operator="Bo Other", received_by=OPERATOR, purpose="re-sealed",
                released_by=OPERATOR, seal_number="S-8",
            )  # fmt: skip
        return found

    monkeypatch.setattr("forensic.workflows.label_discrepancies", judge_while_another_records)
    _run(tmp_path, seal_number="S-8", operator="Cy Tech", received_from=OPERATOR)
    with Store(tmp_path / "s") as store:
        events = store.custody_events("C-1", "E-1")
        assert verify_store(store).ok
    receipt = events[-1]
    assert receipt["received_by"] == "Cy Tech"
    last_seal = [event["seal_number"] for event in events[:-1] if event["seal_number"]][-1]
    assert f"the seal last recorded for it is {last_seal!r}" in receipt["notes"]


def test_a_report_that_cannot_be_written_stops_the_scan_before_anything_is_recorded(tmp_path):
    (tmp_path / "afile").write_text("a file, not a folder")
    (tmp_path / "folder").mkdir()
    for report, message in (
        (tmp_path / "afile" / "r.pdf", "afile is a file, not a folder"),
        (tmp_path / "folder", "is a folder"),
    ):
        with pytest.raises(OutputError, match=message):
            _run(tmp_path, report_path=report, overwrite=True)
    assert not (tmp_path / "s").exists()  # no case, no receipt, no laser fired


def _json_report_cannot_be_written(monkeypatch):
    """The disk fills after the report is recorded: its PDF is written, its JSON is not.
    Returns the writer it stands in for, to put back when the disk has room again."""
    issue = importlib.import_module("forensic.report.issue")
    real = issue.atomic_write_bytes

    def disk_full(path, data, **kw):
        if str(path).endswith(".json"):
            raise OutputError(f"{path}: writing failed (No space left on device)")
        return real(path, data, **kw)

    monkeypatch.setattr(issue, "atomic_write_bytes", disk_full)
    return real


def test_a_report_file_lost_after_recording_says_the_report_is_recorded(tmp_path, monkeypatch):
    _json_report_cannot_be_written(monkeypatch)
    with pytest.raises(ScanIncomplete) as failed:
        _run(tmp_path, report_path=tmp_path / "r.pdf", json_path=tmp_path / "r.json")
    with Store(tmp_path / "s") as store:
        (report,) = store.reports("C-1")
        (measurement,) = store.measurements("C-1")
        assert len(store.results("C-1")) == 1
        assert verify_store(store).ok
    assert failed.value.said() == _report_file_lost_said(tmp_path, measurement, report)


def _report_file_lost_said(tmp_path, measurement, report, replace="overwrite=True"):
    """What a scan says when its JSON report could not be written once the report was
    recorded (``_json_report_cannot_be_written``): through the API, and on the command line
    after ``error: `` (``replace``, the argument that replaces the files written, said as its
    option, ``--force``)."""
    return [
        f"the report failed: {tmp_path / 'r.json'}: writing failed (No space left on device)",
        "DO NOT MEASURE AGAIN: the raw spectrum is saved (measurement record #5, SHA-256 "
        f"{measurement['raw_sha256']}) and its result recorded (result record #6); report "
        f"{report['report_id']} is recorded (record #7, its PDF kept in the store); written: "
        f"{tmp_path / 'r.pdf'}",
        f"to do: issue it again with `forensic report C-1 E-1 --out {tmp_path / 'r.pdf'} --json "
        f"{tmp_path / 'r.json'} {_signed(tmp_path)}` (a new report, with its own id; add "
        f"{replace} to replace the files written)",
    ]


# -- a measured spectrum the store cannot take is kept in a file -----------------------------------


def _lock(db_path):
    """Another process's write transaction on the store (a long import, a hung program)."""
    blocker = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")
    return blocker


def _lock_while_acquiring(tmp_path, locks, progress=None):
    def lock_at_acquire(stage, message):
        if progress is not None:
            progress.append((stage, message))
        if stage == "acquire":
            locks.append(_lock(tmp_path / "s" / "forensic.db"))

    return lock_at_acquire


def _kept_file(message):
    (path,) = re.findall(r"kept in (\S+\.json) \(spectrum SHA-256", message)
    return Path(path)


def test_a_store_locked_past_the_wait_keeps_the_measured_spectrum_in_a_file(tmp_path):
    _run(tmp_path)  # the store exists; the next scan finds it locked once it has measured
    locks, progress = [], []
    try:
        with pytest.raises(StoreBusyError) as failed:
            _run(
                tmp_path,
                progress=_lock_while_acquiring(tmp_path, locks, progress),
                store_wait_s=2.0,
            )
    finally:
        for lock in locks:
            lock.execute("ROLLBACK")
            lock.close()
    message = str(failed.value)
    assert failed.value.exit_code == 75
    assert re.search(
        r"forensic\.db: another process kept the store locked for [23] s while the raw spectrum "
        r"waited to be saved; nothing was recorded; DO NOT MEASURE AGAIN: the raw spectrum of "
        r"exhibit E-1 of case C-1 is not in the store, but kept in .*; to do: once the store "
        r"can be written, `forensic exhibit record-spectrum \S+ "
        + re.escape(_signed(tmp_path))
        + r"` records it, and `forensic exhibit identify C-1 E-1 "
        + re.escape(_signed(tmp_path))
        + "` identifies it$",
        message,
    ), message
    # the technician saw why the scan waited, and for how long it would
    waiting = [m for stage, m in progress if stage == "store" and "locked" in m]
    assert waiting and waiting[0].startswith("the store is locked by another process (")
    assert "then, or on Ctrl-C, it is kept in a file to record later" in waiting[0]
    kept = _kept_file(message)
    assert kept.parent == tmp_path / "s" / "unrecorded-spectra"
    assert kept.name.startswith("C-1_E-1_") and not list(kept.parent.glob(".*"))
    document = json.loads(kept.read_text())
    assert document["case_number"] == "C-1" and document["operator"] == OPERATOR
    assert document["instrument_url"] == "fake:instrument"
    assert document["instrument"] == {"driver": {"kind": "FakeInstrument", "simulated": True}}
    assert "locked" in document["why_not_recorded"]
    # signed with the key the scan's records are signed with
    with Store(tmp_path / "s") as store:
        signer = store.measurements("C-1", "E-1")[0]["key_fingerprint"]
    assert document["signature"]["key_fingerprint"] == signer
    assert document["signature"]["signer"] == OPERATOR and "unsigned_because" not in document
    spectrum = Spectrum.from_dict(document["spectrum"])
    assert len(spectrum) == len(make_spectrum(seed=3, noise=0.01))
    with Store(tmp_path / "s") as store:
        assert len(store.measurements("C-1", "E-1")) == 1  # the first scan's only

    # once the store is free: recorded as the exhibit's measurement, late and saying so
    runner = CliRunner()
    common = ["--store", str(tmp_path / "s"), "--operator", "Cy Later"]
    done = runner.invoke(main, ["exhibit", "record-spectrum", str(kept), *common])
    assert done.exit_code == 0, done.output
    file_sha256 = hashlib.sha256(kept.read_bytes()).hexdigest()
    said = " ".join(done.output.split())
    assert said.startswith("measurement #8 of exhibit E-1 of case C-1 recorded late: acquired ")
    assert f"by {OPERATOR}, recorded now from {kept} (file SHA-256 {file_sha256}; " in said
    # as pasted, it identifies in the store the spectrum was recorded in, signed by who recorded it
    assert (
        f"next: `forensic exhibit identify C-1 E-1 {_signed(tmp_path, 'Cy Later')}` identifies it"
        in said
    )
    # the screen says what the file's signature shows in the words the report will state it in
    verified = (
        f"The file's signature was verified: it was signed with the key of {OPERATOR} known to "
        f"the evidence store (fingerprint {signer[:16]})."
    )
    assert verified in said
    with Store(tmp_path / "s") as store:  # #7: the key of Cy Later, who records it
        measurement = store.measurements("C-1", "E-1")[-1]
        assert measurement["raw_sha256"] == document["raw_sha256"]
        assert measurement["operator"] == OPERATOR and measurement["signer"] == "Cy Later"
        assert measurement["acquired_at"] == document["acquired_at"]
        late = json.loads(measurement["instrument_json"])["recorded_late"]
        assert late["file"] == kept.name and late["file_sha256"] == file_sha256
        assert late["saved_at"] == document["saved_at"] and "locked" in late["why_not_recorded"]
        assert late["signature"] == {"status": "verified", "key_fingerprint": signer}
        assert store.load_spectrum(measurement).to_dict() == document["spectrum"]
        assert verify_store(store).ok
    again = runner.invoke(main, ["exhibit", "record-spectrum", str(kept), *common])
    assert again.exit_code == 0
    assert (
        "is already recorded as measurement #8 of exhibit E-1 of case C-1; nothing" in again.output
    )
    identified = runner.invoke(main, ["exhibit", "identify", "C-1", "E-1", *common])
    assert identified.exit_code == 0 and identified.output.startswith("measurement #8 (")
    # a report on the exhibit says the spectrum was recorded late, and from which file
    with Store(tmp_path / "s") as store:
        report = issue_report(store, "C-1", "E-1", operator=OPERATOR)
    (limitation,) = [item for item in report.content["limitations"] if "recorded" in item]
    # the analysis as the report numbers it, and who recorded it from the file, when
    assert limitation.startswith("E-1: the spectrum of analysis 2, acquired at ")
    assert (
        "(measurement record #8), was not recorded in the evidence store when it was " in limitation
    )
    assert f"it was kept in the file {kept.name} (SHA-256 {file_sha256}), written at " in limitation
    assert re.search(r"and recorded from it at [0-9-]+ [0-9:]+ UTC by Cy Later\. ", limitation)
    assert limitation.endswith(verified)


def test_a_store_locked_for_a_while_is_waited_for_and_the_scan_goes_on(tmp_path):
    _run(tmp_path)
    progress, locks = [], []

    def release_later(stage, message):
        progress.append((stage, message))
        if stage == "acquire":
            locks.append(_lock(tmp_path / "s" / "forensic.db"))
            release = threading.Timer(2.5, lambda: locks[0].execute("ROLLBACK"))
            release.start()
            locks.append(release)

    try:
        result = _run(tmp_path, progress=release_later, store_wait_s=60.0)
    finally:
        locks[1].join()
        locks[0].close()
    assert result.measurement["seq"] == 7 and result.result["seq"] == 8
    said = [m for stage, m in progress if stage == "store"]
    assert said[0] == "saving the raw spectrum"
    assert said[1].startswith("the store is locked by another process (1 s): waiting to save")
    assert not (tmp_path / "s" / "unrecorded-spectra").exists()


def test_a_scan_says_it_waits_for_a_locked_store_before_it_records_the_case(tmp_path):
    """At step 2 the scan was silent for 30 s, then gave up; Ctrl-C was not heard meanwhile."""
    _run(tmp_path)
    progress, locks = [], []

    def locked_when_connected(url):
        locks.append(_lock(tmp_path / "s" / "forensic.db"))
        locks.append(threading.Timer(2.5, lambda: locks[0].execute("ROLLBACK")))
        locks[1].start()
        return FakeInstrument()

    try:
        result = _run(
            tmp_path,
            item_number="E-2",
            open_instrument=locked_when_connected,
            progress=lambda stage, message: progress.append((stage, message)),
        )
    finally:
        locks[1].join()
        locks[0].close()
    said = [m for stage, m in progress if stage == "case"]
    assert said[1] == (
        "the store is locked by another process (1 s): waiting to record the case, the label "
        "and the receipt, up to 29 s more; Ctrl-C stops the scan before the laser fires"
    )
    assert result.exhibit["item_number"] == "E-2"

    # and Ctrl-C while it waits stops it there: nothing recorded, no laser fired
    acquired = []

    class Watched(FakeInstrument):
        def acquire(self, **settings):
            acquired.append(settings)
            return super().acquire(**settings)

    def locked(url):
        locks[:] = [_lock(tmp_path / "s" / "forensic.db")]
        return Watched()

    def stop_while_waiting(stage, message):
        if stage == "case" and "locked" in message:
            raise Interrupted(signal.SIGINT)

    before = _count(tmp_path, "custody_events")
    try:
        with pytest.raises(Interrupted) as stopped:
            _run(tmp_path, item_number="E-3", open_instrument=locked, progress=stop_while_waiting)
    finally:
        locks[0].execute("ROLLBACK")
        locks[0].close()
    assert "nothing was recorded" in str(stopped.value) and acquired == []
    assert _count(tmp_path, "custody_events") == before


def test_a_result_the_locked_store_did_not_take_says_to_record_it_not_to_scan_again(tmp_path):
    """At step 7 the advice was "try again", which invites a second measurement."""
    _run(tmp_path)
    progress, locks = [], []

    def lock_at_identify(stage, message):
        progress.append((stage, message))
        if stage == "identify":
            locks.append(_lock(tmp_path / "s" / "forensic.db"))

    try:
        with Store(tmp_path / "s", busy_timeout_s=2.0) as store:
            with pytest.raises(ScanIncomplete) as failed:
                _run(
                    tmp_path,
                    store=store,
                    report_path=tmp_path / "r.pdf",
                    progress=lock_at_identify,
                )
            assert store.on_wait is None  # the scan's progress is no longer called
    finally:
        locks[0].execute("ROLLBACK")
        locks[0].close()
    said = [m for stage, m in progress if stage == "record"]
    assert said[1].startswith(
        "the store is locked by another process (1 s): waiting to record the result, up to 1 s "
        "more; the raw spectrum is saved"
    )
    assert "try again" not in str(failed.value)
    with Store(tmp_path / "s") as store:
        measurement = store.measurements("C-1")[-1]
    assert failed.value.said() == [
        "the result (IDENTIFIED: Cocaine hydrochloride) could not be recorded: another process "
        "kept the store locked for more than 2 s, and nothing more was written",
        f"DO NOT MEASURE AGAIN: the raw spectrum is saved (measurement record "
        f"#{measurement['seq']}, SHA-256 {measurement['raw_sha256']}), but no result is recorded",
        "to do: once the store is free, "
        f"`forensic exhibit identify C-1 E-1 {_signed(tmp_path)}` identifies the saved spectrum "
        "and records its result, and then `forensic report C-1 E-1 --out "
        f"{tmp_path / 'r.pdf'} {_signed(tmp_path)}` makes the report",
    ]


@pytest.mark.parametrize("stop", ["SIGINT", "SIGTERM"])
def test_a_scan_stopped_while_it_waits_for_the_store_keeps_the_spectrum(tmp_path, stop):
    _run(tmp_path)
    locks = []

    def stop_while_waiting(stage, message):
        if stage == "acquire":
            locks.append(_lock(tmp_path / "s" / "forensic.db"))
        if stage == "store" and "locked" in message:
            raise Interrupted(getattr(signal, stop))

    try:
        with pytest.raises(Interrupted) as stopped:
            _run(
                tmp_path,
                progress=stop_while_waiting,
                store_wait_s=60.0,
                text_path=tmp_path / "r.txt",
            )
    finally:
        locks[0].execute("ROLLBACK")
        locks[0].close()
    assert stopped.value.signum == getattr(signal, stop)
    assert re.search(r"\(spectrum SHA-256 [0-9a-f]{64}\)$", stopped.value.recorded)
    # nothing is wrong with the store: no "once the store can be written"
    assert re.fullmatch(
        r"`forensic exhibit record-spectrum \S+ "
        + re.escape(_signed(tmp_path))
        + r"` records it, `forensic exhibit identify C-1 E-1 "
        + re.escape(_signed(tmp_path))
        + r"` identifies it, and then `forensic report C-1 E-1 --out FILE.pdf --text "
        + re.escape(f"{tmp_path / 'r.txt'} {_signed(tmp_path)}")
        + r"` makes the report",
        stopped.value.advice,
    ), stopped.value.advice
    kept = _kept_file(stopped.value.recorded)
    document = json.loads(kept.read_text())
    assert document["why_not_recorded"] == f"the scan was stopped ({stop}) while saving it"
    done = _record_spectrum(tmp_path, kept)
    assert done.exit_code == 0 and "recorded late" in done.output, done.output


def test_a_full_disk_keeps_the_measured_spectrum_in_another_folder(tmp_path, monkeypatch):
    def disk_full(self, *args, **kwargs):
        raise CustodyError(f"{self.db_path}: writing failed: database or disk is full")

    monkeypatch.setattr(Store, "add_measurement", disk_full)
    # the store's folder is full too: the next folder takes the file
    blocked = tmp_path / "full"
    blocked.write_text("a file where the folder would be")
    monkeypatch.setattr(
        "forensic.custody.unrecorded.kept_folders",
        lambda store: [blocked / "x", tmp_path / "elsewhere"],
    )
    with pytest.raises(CustodyError) as failed:
        _run(tmp_path)
    message = str(failed.value)
    assert message.startswith(f"{tmp_path / 's' / 'forensic.db'}: writing failed: database or disk")
    kept = _kept_file(message)
    assert kept.parent == tmp_path / "elsewhere"
    assert "disk is full" in json.loads(kept.read_text())["why_not_recorded"]

    monkeypatch.setattr(
        "forensic.custody.unrecorded.kept_folders", lambda store: [blocked / "x", blocked / "y"]
    )
    with pytest.raises(CustodyError) as lost:
        _run(tmp_path)
    assert lost.value.spectrum_lost and lost.value.spectrum_kept is None
    assert lost.value.warning.startswith(
        f"the measured spectrum is lost: it is not in {tmp_path / 's' / 'forensic.db'}, and "
        f"could not be kept in a file elsewhere either ({blocked / 'x'}: "
    ), lost.value.warning


def test_a_folder_a_full_disk_could_not_keep_the_spectrum_in_is_not_left_behind(
    tmp_path, monkeypatch
):
    """An empty unrecorded-spectra/ was left beside the full store: it reads as if a
    spectrum had been kept there."""

    def disk_full(self, *args, **kwargs):
        raise CustodyError(f"{self.db_path}: writing failed: database or disk is full")

    real = forensic_files.atomic_write_bytes

    def full_beside_the_store(path, data, **kw):
        if Path(path).parent.parent == tmp_path / "s":
            forensic_files.check_writable(path)  # makes the folder, as the real write does
            raise OutputError(f"{path}: cannot be written (No space left on device)")
        return real(path, data, **kw)

    monkeypatch.setattr(Store, "add_measurement", disk_full)
    monkeypatch.setattr(forensic_files, "atomic_write_bytes", full_beside_the_store)
    folders = [tmp_path / "s" / "unrecorded-spectra", tmp_path / "data" / "unrecorded-spectra"]
    monkeypatch.setattr("forensic.custody.unrecorded.kept_folders", lambda store: folders)
    with pytest.raises(CustodyError) as failed:
        _run(tmp_path)
    assert _kept_file(str(failed.value)).parent == folders[1]
    assert not folders[0].exists()
    assert not [path for path in (tmp_path / "s").iterdir() if path.is_dir()]


def test_a_spectrum_kept_in_the_temporary_folder_is_said_to_need_copying(tmp_path, monkeypatch):
    def disk_full(self, *args, **kwargs):
        raise CustodyError(f"{self.db_path}: writing failed: database or disk is full")

    monkeypatch.setattr(Store, "add_measurement", disk_full)
    last = tmp_path / "tmp" / "forensic-unrecorded-spectra"
    monkeypatch.setattr("forensic.custody.unrecorded.last_resort_folder", lambda: last)
    blocked = tmp_path / "full"
    blocked.write_text("a file where the folder would be")
    monkeypatch.setattr(
        "forensic.custody.unrecorded.kept_folders", lambda store: [blocked / "x", last]
    )
    with pytest.raises(CustodyError) as failed:
        _run(tmp_path)
    message = str(failed.value)
    assert _kept_file(message).parent == last
    assert "in the temporary folder, which a restart may empty (copy the file" in message
    # kept beside the store, nothing of the kind is said
    monkeypatch.setattr("forensic.custody.unrecorded.kept_folders", lambda store: [tmp_path / "x"])
    with pytest.raises(CustodyError) as failed:
        _run(tmp_path)
    assert "temporary folder" not in str(failed.value)


def test_a_spectrum_kept_in_a_file_keeps_where_it_was_made_under_its_signature(
    tmp_path, monkeypatch
):
    """Recorded late from the file a scan kept it in, a measurement states the place the scan
    was given; the file's signature covers it, so a file whose place was changed is refused."""
    with monkeypatch.context() as patch:
        patch.setattr(
            Store, "add_measurement", lambda *a, **k: (_ for _ in ()).throw(CustodyError("full"))
        )
        with pytest.raises(CustodyError) as failed:
            _run(tmp_path, location="Van 3, Rotterdam Noord", unit="Forensic Drugs Unit")
    kept = _kept_file(str(failed.value))
    document = json.loads(kept.read_text())
    assert (document["location"], document["unit"]) == (
        "Van 3, Rotterdam Noord",
        "Forensic Drugs Unit",
    )
    moved = tmp_path / "moved.json"
    moved.write_text(json.dumps({**document, "location": "Central Lab, Den Haag"}))
    done = _record_spectrum(tmp_path, moved, "--accept-unverified")
    assert done.exit_code == 2 and "does not hold for what the file states" in done.output
    done = _record_spectrum(tmp_path, kept)
    assert done.exit_code == 0, done.output
    with Store(tmp_path / "s") as store:
        (measurement,) = store.measurements("C-1", "E-1")
        assert (measurement["location"], measurement["unit"]) == (
            "Van 3, Rotterdam Noord",
            "Forensic Drugs Unit",
        )
        assert verify_store(store).ok


def test_a_kept_spectrum_file_that_was_changed_is_not_recorded(tmp_path, monkeypatch):
    monkeypatch.setattr(
        Store, "add_measurement", lambda self, *a, **k: (_ for _ in ()).throw(CustodyError("gone"))
    )
    with pytest.raises(CustodyError) as failed:
        _run(tmp_path)
    monkeypatch.undo()
    kept = _kept_file(str(failed.value))
    document = json.loads(kept.read_text())
    document["spectrum"]["intensity"][100] *= 1.5
    kept.write_text(json.dumps(document))
    common = ["--store", str(tmp_path / "s"), "--operator", OPERATOR]
    done = CliRunner().invoke(main, ["exhibit", "record-spectrum", str(kept), *common])
    assert done.exit_code == 2
    assert "the file was changed since the scan wrote it; not recorded" in done.output
    other = tmp_path / "other.json"
    other.write_text('{"format": "something else"}')
    done = CliRunner().invoke(main, ["exhibit", "record-spectrum", str(other), *common])
    assert done.exit_code == 2
    assert "not a spectrum a scan kept for the store: format 'something else'" in done.output
    with Store(tmp_path / "s") as store:
        assert store.measurements("C-1") == []


def _kept_by_a_full_disk(tmp_path, monkeypatch, *, key_error=None):
    """A scan whose store refuses the measurement: the file it keeps the spectrum in, and
    the scan's message. ``key_error``: the operator's key cannot be loaded, with this error."""
    with monkeypatch.context() as patch:
        patch.setattr(
            Store, "add_measurement", lambda *a, **k: (_ for _ in ()).throw(CustodyError("full"))
        )
        if key_error is not None:
            patch.setattr(
                Store, "loaded_key", lambda self, operator: (_ for _ in ()).throw(key_error)
            )
        with pytest.raises(CustodyError) as failed:
            _run(tmp_path)
    return _kept_file(str(failed.value)), str(failed.value)


def _rewrite(kept, key=None, **changes):
    """Change what a kept file states, keep its spectrum's hash right, and sign it again with
    ``key`` (None: leave the scan's signature)."""
    document = json.loads(kept.read_text()) | changes
    if key is not None:
        document["signature"] = {
            "algorithm": "Ed25519",
            "public_key": key.public_key_hex,
            "key_fingerprint": key.fingerprint,
            "value": key.sign(statement(document)),
        }
    kept.write_text(json.dumps(document))


def _record_spectrum(tmp_path, kept, *options, operator=OPERATOR):
    return CliRunner().invoke(
        main,
        [
            "exhibit",
            "record-spectrum",
            str(kept),
            *options,
            "--store",
            str(tmp_path / "s"),
            "--operator",
            operator,
        ],
    )


def _late_limitation(tmp_path):
    """The late measurement's limitation in a report on the exhibit, and its recorded_late."""
    with Store(tmp_path / "s") as store:
        measurement = store.measurements("C-1", "E-1")[-1]
        store.add_result(measurement, identification_dict(), operator=OPERATOR)
        report = issue_report(store, "C-1", "E-1", operator=OPERATOR)
        assert verify_store(store).ok
    (limitation,) = [
        item for item in report.content["limitations"] if "recorded from it at " in item
    ]
    return limitation, json.loads(measurement["instrument_json"])["recorded_late"]


@pytest.mark.parametrize(
    "changes",
    [{"operator": "Cy Tech"}, {"acquired_at": "2020-01-01T00:00:00Z"}, {"case_number": "C-2"}],
)
def test_a_kept_spectrum_file_whose_statement_was_changed_is_refused(
    tmp_path, monkeypatch, changes
):
    kept, _ = _kept_by_a_full_disk(tmp_path, monkeypatch)
    _rewrite(kept, **changes)  # the spectrum and its SHA-256 untouched: consistent, but not signed
    for options in ([], ["--accept-unverified"]):  # a signature that does not hold is never taken
        done = _record_spectrum(tmp_path, kept, *options)
        assert done.exit_code == 2, done.output
        assert re.search(
            r"its signature \(key [0-9a-f]{16}\) does not hold for what the file states: the "
            r"file was changed since the scan wrote and signed it; not recorded",
            " ".join(done.output.split()),
        ), done.output
    with Store(tmp_path / "s") as store:
        assert store.measurements("C-1") == []


def test_a_kept_spectrum_file_signed_again_with_another_key_is_refused(tmp_path, monkeypatch):
    kept, _ = _kept_by_a_full_disk(tmp_path, monkeypatch)
    forger = load_or_create_key("Bo Forger")
    _rewrite(kept, forger, acquired_at="2020-01-01T00:00:00Z")  # signed, but not by Ann
    done = _record_spectrum(tmp_path, kept)
    said = " ".join(done.output.split())
    assert done.exit_code == 2, done.output
    assert (
        f"it is signed with a key the store does not know (fingerprint {forger.fingerprint[:16]}),"
        f" not with a key of {OPERATOR}, who it says measured the spectrum, as the store knows "
        "them (fingerprint " in said
    )
    assert (
        "cannot be verified; not recorded. If you know the file is the one the scan kept, " in said
    )
    # the key of someone the store knows is no better
    with Store(tmp_path / "s") as store:
        store.open_case("C-9", operator="Bo Forger")
    done = _record_spectrum(tmp_path, kept)
    assert done.exit_code == 2
    assert "it is signed with the key of Bo Forger (fingerprint " in " ".join(done.output.split())
    # accepted on purpose: recorded, saying whose key it was and who accepted it
    done = _record_spectrum(tmp_path, kept, "--accept-unverified", operator="Cy Later")
    assert done.exit_code == 0, done.output
    accepted = (
        f"The file was signed with a key (fingerprint {forger.fingerprint[:16]}) that is not "
        f"{OPERATOR}'s key as the evidence store knows it: who kept the file, and so who "
        "measured the spectrum and when, is not verified; Cy Later recorded it nonetheless."
    )
    assert accepted in " ".join(done.output.split())
    limitation, late = _late_limitation(tmp_path)
    assert late["signature"]["status"] == "not-operator-key"
    assert late["signature"]["key_of"] == ["Bo Forger"]
    assert late["signature"]["accepted_by"] == "Cy Later"
    assert limitation.endswith(accepted)  # the screen said what the report states


def test_a_kept_spectrum_file_of_an_operator_unknown_to_the_store_is_recorded_saying_so(
    tmp_path, monkeypatch
):
    kept, _ = _kept_by_a_full_disk(tmp_path, monkeypatch)
    # Ann's key cannot speak for someone else, even someone the store does not know
    _rewrite(kept, load_or_create_key(OPERATOR), operator="Di Visitor")
    done = _record_spectrum(tmp_path, kept)
    assert done.exit_code == 2
    assert f"it is signed with the key of {OPERATOR} (fingerprint " in " ".join(done.output.split())
    assert (
        "not with a key of Di Visitor, who it says measured the spectrum and who has signed "
        "nothing in the store: who kept the file" in " ".join(done.output.split())
    )
    # a scan by someone who has signed nothing in this store (their key is on another laptop)
    visitor = load_or_create_key("Di Visitor")
    _rewrite(kept, visitor, operator="Di Visitor")
    done = _record_spectrum(tmp_path, kept)
    assert done.exit_code == 0, done.output
    unknown_key = (
        f"The file's signature is valid, but its key (fingerprint {visitor.fingerprint[:16]}) "
        "was not known to the evidence store, in which Di Visitor had signed nothing: that the "
        "file was kept by Di Visitor is not verified."
    )
    assert unknown_key in " ".join(done.output.split())
    limitation, late = _late_limitation(tmp_path)
    assert late["signature"] == {
        "status": "key-not-in-store",
        "key_fingerprint": visitor.fingerprint,
    }
    assert limitation.endswith(unknown_key)  # the screen said what the report states


def test_a_spectrum_is_kept_unsigned_when_the_key_cannot_be_loaded(tmp_path, monkeypatch):
    kept, message = _kept_by_a_full_disk(
        tmp_path, monkeypatch, key_error=CustodyError("key.pem: not a readable private key")
    )
    assert (
        f"(spectrum SHA-256 {json.loads(kept.read_text())['raw_sha256']}), unsigned (the key of "
        f"{OPERATOR} could not be loaded: key.pem: not a readable private key: recording it "
        "will need --accept-unverified); to do: once the store can be written" in message
    )
    document = json.loads(kept.read_text())
    assert document["signature"] is None
    assert document["unsigned_because"].startswith(f"the key of {OPERATOR} could not be loaded")
    done = _record_spectrum(tmp_path, kept)
    assert done.exit_code == 2
    said = " ".join(done.output.split())
    assert f"it is not signed (the key of {OPERATOR} could not be loaded: " in said
    assert "--accept-unverified records it, saying so in its record and in reports" in said
    with Store(tmp_path / "s") as store:
        assert store.measurements("C-1") == []
    done = _record_spectrum(tmp_path, kept, "--accept-unverified")
    assert done.exit_code == 0, done.output
    said = " ".join(done.output.split())
    limitation, late = _late_limitation(tmp_path)
    unsigned = limitation[limitation.index("The file was not signed (") :]
    assert unsigned in said  # the screen said what the report states
    assert late["signature"]["status"] == "unsigned"
    assert late["signature"]["accepted_by"] == OPERATOR
    assert f"The file was not signed (the key of {OPERATOR} could not be loaded: " in limitation
    assert limitation.endswith(
        "who kept the file, and so who measured the spectrum and when, is not verified; "
        f"{OPERATOR} recorded it nonetheless."
    )


def test_a_kept_spectrum_file_without_its_signature_is_unsigned(tmp_path, monkeypatch):
    kept, _ = _kept_by_a_full_disk(tmp_path, monkeypatch)
    document = json.loads(kept.read_text())
    del document["signature"]  # as a file kept before files were signed
    kept.write_text(json.dumps(document))
    done = _record_spectrum(tmp_path, kept)
    assert done.exit_code == 2
    assert (
        "it is not signed (kept by a version of forensic that did not sign the files it kept)"
        in " ".join(done.output.split())
    )
    assert _record_spectrum(tmp_path, kept, "--accept-unverified").exit_code == 0


def test_the_scan_command_keeps_a_spectrum_the_locked_store_did_not_take(tmp_path, monkeypatch):
    monkeypatch.setattr(
        "forensic.workflows._default_open_instrument", lambda url, **kw: FakeInstrument()
    )
    monkeypatch.setattr("forensic.workflows.STORE_WAIT_S", 1.5)
    _run(tmp_path)
    locks = []
    acquire = FakeInstrument.acquire

    def acquire_then_lock(self, **settings):
        locks.append(_lock(tmp_path / "s" / "forensic.db"))
        return acquire(self, **settings)

    monkeypatch.setattr(FakeInstrument, "acquire", acquire_then_lock)
    args = ["scan", "--instrument", "fake:x", "--case", "C-1", "--exhibit", "E-1"]
    try:
        done = CliRunner().invoke(
            main, [*args, "--operator", OPERATOR, "--store", str(tmp_path / "s")]
        )
    finally:
        locks[0].execute("ROLLBACK")
        locks[0].close()
    assert done.exit_code == 5, done.output  # not 75: the store's "run it again" would measure
    lines = done.output.splitlines()
    assert any(
        re.match(r" {5} +\d+\.\ds  the store is locked by another", line) for line in lines
    )  # under the step it waits in, not a second "[5/8]"
    assert sum(line.startswith("[5/8]") for line in lines) == 1
    # what happened, where the spectrum is kept, then what to do: record it, not measure again
    error, kept, to_do = lines[-3:]
    assert error.startswith("error: ") and kept.startswith("nothing was recorded; DO NOT MEASURE")
    assert to_do.startswith("to do: once the store can be written, `forensic exhibit record-")
    assert _kept_file(kept).exists()


@pytest.mark.parametrize(
    "failure",
    [
        CustodyError("forensic.db: committing failed: database or disk is full"),  # was exit 2
        StoreGoneError("forensic.db: the store's file was deleted or moved"),  # was exit 1
        RuntimeError("an unexpected error"),  # was exit 2
    ],
)
def test_every_scan_that_keeps_its_spectrum_in_a_file_exits_5(tmp_path, monkeypatch, failure):
    """The audit: "DO NOT MEASURE AGAIN" exited 2, the code of a typing error, on a full disk,
    but 75 when the store was locked, the code that also says "nothing was done, run the same
    command again". One code of its own whenever a spectrum was kept in a file."""
    monkeypatch.setattr(
        "forensic.workflows._default_open_instrument", lambda url, **kw: FakeInstrument()
    )

    def refuse(*args, **kwargs):
        raise type(failure)(*failure.args)  # each scan its own, as a store raises them

    monkeypatch.setattr(Store, "add_measurement", refuse)
    args = ["scan", "--instrument", "fake:x", "--case", "C-1", "--exhibit", "E-1"]
    done = CliRunner().invoke(main, [*args, "--operator", OPERATOR, "--store", str(tmp_path / "s")])
    assert done.exit_code == 5, done.output
    assert "DO NOT MEASURE AGAIN" in done.output
    kept, to_do = done.output.splitlines()[-2:]
    assert to_do.startswith("to do: once the store can be written, `forensic exhibit record-")
    assert _kept_file(kept).exists()
    # a spectrum that could not be kept either is lost: 75, as `acquire` says it, whatever
    # failed (the full disk exited 2, the store's file gone 1): measure again once there is room
    monkeypatch.setattr(
        "forensic.workflows.keep_unrecorded",
        lambda *a, **k: (None, "0" * 64, ["no room anywhere"], None),
    )
    lost = CliRunner().invoke(main, [*args, "--operator", OPERATOR, "--store", str(tmp_path / "s")])
    assert lost.exit_code == 75, lost.output
    said = _last_said(lost)  # said first, right under what failed
    assert said[1] == (
        f"WARNING: the measured spectrum is lost: it is not in {tmp_path / 's' / 'forensic.db'}"
        ", and could not be kept in a file elsewhere either (no room anywhere)"
    )
    assert said[-1] == "to do: scan again to measure it once the store can be written"


def test_a_scan_stopped_while_saving_exits_130_and_says_the_spectrum_is_kept(tmp_path, monkeypatch):
    """Ctrl-C keeps its own code (130, as a shell expects of a stopped program), a spectrum
    kept or not; the message, not the code, says not to measure again, and where the file is."""
    monkeypatch.setattr(
        "forensic.workflows._default_open_instrument", lambda url, **kw: FakeInstrument()
    )

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Store, "add_measurement", stopped)
    args = ["scan", "--instrument", "fake:x", "--case", "C-1", "--exhibit", "E-1"]
    done = CliRunner().invoke(main, [*args, "--operator", OPERATOR, "--store", str(tmp_path / "s")])
    assert done.exit_code == 130, done.output
    stopped, kept, to_do = done.output.splitlines()[-3:]
    assert stopped == "error: interrupted"
    assert kept.startswith("recorded case C-1 (record #2), ") and "; DO NOT MEASURE AGAIN: " in kept
    assert _kept_file(kept).exists()
    # nothing is wrong with the store: it can be written now
    assert to_do.startswith("to do: `forensic exhibit record-spectrum "), to_do


def _stopped_scan(tmp_path):
    """``forensic scan`` of exhibit E-1 of case C-1 on the simulated instrument of the stop
    tests (:mod:`stop_helpers`), into the store ``s``."""
    args = ["scan", "--instrument", SIMULATED_URL, "--case", "C-1", "--exhibit", "E-1"]
    return CliRunner().invoke(main, [*args, "--operator", OPERATOR, "--store", str(tmp_path / "s")])


def _kept_by_the_stopped_scan(tmp_path, stop: str) -> tuple[Path, str]:
    """:func:`_stopped_scan` ended by ``stop`` once it had measured: the file it kept the
    spectrum in and the spectrum's SHA-256, once its last lines say so (the stop, the receipt
    recorded and ``DO NOT MEASURE AGAIN`` with where, and the commands that record and identify
    it)."""
    done = _stopped_scan(tmp_path)
    assert done.exit_code == stop_code(stop), done.output
    error, kept_said, to_do = _last_said(done)
    kept = _kept_file(kept_said)
    digest = json.loads(kept.read_text())["raw_sha256"]
    assert error == stop_said(stop)
    assert kept_said == (
        f"{_RECEIPT_RECORDED}; DO NOT MEASURE AGAIN: the raw spectrum of exhibit E-1 of case "
        f"C-1 is not in the store, but kept in {kept} (spectrum SHA-256 {digest})"
    )
    assert to_do == (
        f"to do: `forensic exhibit record-spectrum {kept} {_signed(tmp_path)}` records it, and "
        f"`forensic exhibit identify C-1 E-1 {_signed(tmp_path)}` identifies it"
    )
    return kept, digest


@pytest.mark.parametrize("stop", ["SIGINT", "SIGTERM"])
def test_a_stop_while_the_instrument_closes_keeps_the_measured_spectrum(
    tmp_path, monkeypatch, stop
):
    """A Ctrl-C (or a kill) as the real driver closed the instrument, the spectrum measured:
    the scan said `no spectrum of exhibit E-1 of case C-1 was saved` and `scan again to
    measure it`, and the spectrum, the laser fired on the sample, was lost. It is kept where a
    spectrum the store did not take is, and said where, as `acquire` says it."""
    closed = stop_as_the_driver_closes(monkeypatch, tmp_path, stop)
    kept, digest = _kept_by_the_stopped_scan(tmp_path, stop)
    assert kept.parent == tmp_path / "s" / "unrecorded-spectra"
    document = json.loads(kept.read_text())
    assert document["why_not_recorded"] == (
        f"the scan was stopped ({stop}) between measuring the spectrum and saving it"
    )
    assert closed and not closed[0].transport.is_open
    with Store(tmp_path / "s") as store:
        assert store.measurements("C-1") == []
    recorded = _record_spectrum(tmp_path, kept)
    assert recorded.exit_code == 0 and "recorded late" in recorded.output, recorded.output
    with Store(tmp_path / "s") as store:
        (measurement,) = store.measurements("C-1")
        assert measurement["raw_sha256"] == digest
        spectrum = store.load_spectrum(measurement)
        assert spectrum.metadata["operator"] == OPERATOR
        assert spectrum.metadata["provenance"] == "simulated"
        assert verify_store(store).ok


@pytest.mark.parametrize("stop", ["SIGINT", "SIGTERM"])
def test_a_stop_as_the_driver_hands_the_spectrum_over_keeps_it(tmp_path, monkeypatch, stop):
    """A stop that came once the real driver had returned the spectrum and before the scan
    held it (the metadata of the simulated sample added on its way out) said `no spectrum of
    exhibit E-1 of case C-1 was saved` and `scan again to measure it`: the laser had fired,
    and the spectrum was lost. The stop waits until the scan holds it, described by its
    driver, and it is kept as a stop as the instrument closes keeps it."""
    handed = stop_as_the_spectrum_is_handed_over(monkeypatch, tmp_path, stop)
    kept, _ = _kept_by_the_stopped_scan(tmp_path, stop)
    recorded = _record_spectrum(tmp_path, kept)
    assert recorded.exit_code == 0, recorded.output
    with Store(tmp_path / "s") as store:
        (measurement,) = store.measurements("C-1")
        spectrum = store.load_spectrum(measurement)
        assert (spectrum.intensity == handed[0].intensity).all()
        instrument = json.loads(measurement["instrument_json"])
        assert instrument["driver"]["serial"] == "SIM87013", instrument  # described


def _real_scan_whose_driver_fails_to_describe(tmp_path, monkeypatch, failure):
    """``forensic scan`` of exhibit E-1 of case C-1 through the real driver, on a simulated
    instrument over a pty, whose ``describe()`` raises ``failure`` once the spectrum is
    measured."""

    def describe(self):
        raise failure

    monkeypatch.setattr(OceanRS232Spectrometer, "describe", describe)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    url = "sim:ocean-rs232?sample=cocaine&realtime=0&seed=1"
    args = ["scan", "--instrument", url, "--case", "C-1", "--exhibit", "E-1"]
    return url, CliRunner().invoke(
        main, [*args, "--operator", OPERATOR, "--store", str(tmp_path / "s")]
    )


def test_a_driver_that_fails_to_describe_the_instrument_keeps_the_measured_spectrum(
    tmp_path, monkeypatch
):
    """The driver's `describe()` raised once `acquire()` had returned: `error: ...: acquiring
    failed on an unexpected error`, exit 3, `no spectrum of exhibit E-1 of case C-1 was
    saved`: the spectrum measured, the laser fired on the sample, was lost without a word. It
    is kept as a stop there keeps it, the file said to lack the instrument's description, and
    recorded as it is; exit 5, as every spectrum kept in a file."""
    url, done = _real_scan_whose_driver_fails_to_describe(
        tmp_path, monkeypatch, ValueError("no serial number in the EEPROM")
    )
    assert done.exit_code == 5, done.output
    error, kept_said, to_do = _last_said(done)
    kept = _kept_file(kept_said)
    assert kept.parent == tmp_path / "s" / "unrecorded-spectra"
    assert error == (
        f"error: {url}: describing the instrument failed on an unexpected error in the "
        "instrument's driver (ValueError: no serial number in the EEPROM)"
    )
    document = json.loads(kept.read_text())
    digest = document["raw_sha256"]
    assert kept_said == (
        f"{_RECEIPT_RECORDED}; DO NOT MEASURE AGAIN: the raw spectrum of exhibit E-1 of case "
        f"C-1 is not in the store, but kept in {kept} (spectrum SHA-256 {digest}), without the "
        "driver's description of the instrument (the kind of driver and what the instrument "
        "can do, such as laser read-back): its record will not hold it; the spectrum names the "
        "instrument itself (SIMULATED FLAME-S, serial SIM87013, firmware 3.0.21)"
    )
    # nothing failed in the store: recorded now, not "once the store can be written"; the
    # driver's own advice after it
    assert to_do == (
        f"to do: `forensic exhibit record-spectrum {kept} {_signed(tmp_path)}` records it, and "
        f"`forensic exhibit identify C-1 E-1 {_signed(tmp_path)}` identifies it; then report "
        "this bug in the instrument's driver, with this message"
    )
    assert document["why_not_recorded"] == (
        f"{url}: describing the instrument failed on an unexpected error in the instrument's "
        "driver (ValueError: no serial number in the EEPROM)"
    )
    assert document["instrument"] == {}  # what the record will hold of the driver: nothing
    with Store(tmp_path / "s") as store:
        assert store.measurements("C-1") == []
    recorded = _record_spectrum(tmp_path, kept)
    assert recorded.exit_code == 0 and "recorded late" in recorded.output, recorded.output
    with Store(tmp_path / "s") as store:
        (measurement,) = store.measurements("C-1")
        assert measurement["raw_sha256"] == digest
        instrument = json.loads(measurement["instrument_json"])
        assert "driver" not in instrument
        assert (instrument["instrument_model"], instrument["instrument_serial"]) == (
            "SIMULATED FLAME-S",
            "SIM87013",
        )
        assert verify_store(store).ok


def test_an_instrument_fault_while_describing_it_keeps_the_spectrum_with_its_own_advice(
    tmp_path, monkeypatch
):
    """An error of the toolkit's own (the instrument stopped answering) keeps its type and
    words; the spectrum is kept, exit 5 (not 3: the spectrum is in a file), and what the
    error says to check comes after recording it."""
    fault = InstrumentTimeout(
        "no reply to the serial number query within 2 s",
        advice="check the serial cable before the next measurement",
    )
    _, done = _real_scan_whose_driver_fails_to_describe(tmp_path, monkeypatch, fault)
    assert done.exit_code == 5, done.output
    error, kept_said, to_do = _last_said(done)
    assert error == "error: no reply to the serial number query within 2 s"
    assert _kept_file(kept_said).exists()
    assert to_do.endswith(
        "identifies it; then check the serial cable before the next measurement"
    ), to_do


def test_an_unforeseen_error_between_measuring_and_saving_keeps_the_spectrum(tmp_path, monkeypatch):
    """Not the driver's, nor the toolkit's own error: a Python exception escaped the scan
    (a traceback) and the spectrum measured was lost. Kept, and said as an error."""

    def unforeseen(self, spectrum):
        raise TypeError("'NoneType' object is not subscriptable")

    monkeypatch.setattr(workflows._Scan, "as_measured", unforeseen)
    done = _scan_on_the_command_line(tmp_path, monkeypatch)
    assert done.exit_code == 5, done.output
    error, kept_said, to_do = _last_said(done)
    assert error == (
        "error: the scan failed between measuring the spectrum and saving it, on an "
        "unexpected error (TypeError: 'NoneType' object is not subscriptable)"
    )
    kept = _kept_file(kept_said)
    assert kept_said.startswith(f"{_RECEIPT_RECORDED}; DO NOT MEASURE AGAIN: ")
    assert to_do.startswith(f"to do: `forensic exhibit record-spectrum {kept} ")
    assert to_do.endswith("; then report this bug in the toolkit, with this message")
    assert _record_spectrum(tmp_path, kept).exit_code == 0


class _InNanometres(FakeInstrument):
    """Measures a Raman spectrum whose axis is the scattered light's wavelength, 800-1000:
    a driver or export that did not turn it into Raman shift."""

    def acquire(self, **settings):
        return make_spectrum([(850.0, 1.0, 4.0), (910.0, 0.5, 6.0)], start=800.0, stop=1000.0)


_RECORDED_IN_NM = (
    "no reference overlaps the query's range 800-1000 cm-1 enough to be compared; the axis "
    "800-1000: looks like a wavelength in nm, not a Raman shift in cm-1 (if it is, the saved "
    "spectrum cannot be identified as recorded, and no command changes a record: identify the "
    "instrument's own export of this measurement against Raman shift in cm-1 with forensic "
    "identify, which records nothing, and have the instrument's laser wavelength checked "
    "before the next scan)"
)


class _InMicrometres(FakeInstrument):
    """Measures an IR spectrum (absorbance) whose axis is the wavelength in µm, 2.5-22.2: an
    FTIR export read without its unit."""

    modality = "ir"

    def acquire(self, **settings):
        ir = make_spectrum([(1120.0, 1.0, 50.0)], start=450.0, stop=4000.0, step=2.0)
        return Spectrum(
            1e4 / ir.wavenumber[::-1], ir.intensity[::-1], modality="ir", y_unit="absorbance"
        )


_RECORDED_IN_UM = (
    "the query (2.5-22 cm-1) cannot be compared with the library grid (400-4000 cm-1): the "
    "spectrum's range 2.5-22.2 cm-1 (less 50 cm-1 at each end) holds 0 points of the grid "
    "400-4000 cm-1 (step 2); at least 16 are needed; the axis 2.5-22.22: looks like an IR "
    "spectrum's wavelength in µm (2.5-25 µm is 4000-400 cm-1), not a wavenumber in cm-1 (if it "
    "is, the saved spectrum cannot be identified as recorded, and no command changes a record: "
    "identify the instrument's own export of this measurement with forensic identify, which "
    "records nothing and converts an axis in µm whose unit the file names, wavenumber in cm-1 "
    "= 10000 / µm; and have the instrument's software export against wavenumber in cm-1 "
    "before the next scan)"
)


@pytest.mark.parametrize(
    ("instrument", "told"),
    [(_InNanometres, _RECORDED_IN_NM), (_InMicrometres, _RECORDED_IN_UM)],
    ids=["nm", "um"],
)
def test_a_saved_spectrum_off_the_axis_is_told_what_a_technician_can_do_not_a_python_call(
    tmp_path, monkeypatch, instrument, told
):
    """`scan` and `exhibit identify` said `(convert with Spectrum.from_wavelength)`, the Python
    advice, of a saved spectrum whose axis looks like nm, and `it may be in nm or µm (convert it
    to wavenumbers in cm-1)` of a saved IR spectrum whose axis is in µm; and the scan `to do:
    once that is put right, forensic exhibit identify ... identifies the saved spectrum`, which
    fails the same way however often it is run: no command changes a record."""
    done = _scan_on_the_command_line(tmp_path, monkeypatch, instrument=instrument(), report=True)
    assert done.exit_code == 4, done.output
    measurement = _measurement(tmp_path)
    assert _last_said(done) == [
        f"error: identification failed: {told}",
        f"DO NOT MEASURE AGAIN: the raw spectrum is saved (measurement record "
        f"#{measurement['seq']}, SHA-256 {measurement['raw_sha256']}), but no result is recorded",
        f"to do: `forensic report C-1 E-1 --out {tmp_path / 'r.pdf'} {_signed(tmp_path)}` makes "
        "the report, without a result",
    ]
    identify = ["exhibit", "identify", "C-1", "E-1", "--store", str(tmp_path / "s")]
    again = CliRunner().invoke(main, [*identify, "--operator", OPERATOR])
    assert (again.exit_code, again.stderr.splitlines()) == (2, [f"error: {told}"])
    with Store(tmp_path / "s") as store:
        assert [table for table, _ in store.appended_since(measurement["seq"])] == []


def test_a_scan_stopped_while_saving_says_first_a_spectrum_kept_nowhere_is_lost(
    tmp_path, monkeypatch
):
    """It said `... could not be kept in a file either (...): it is lost` at the end of what
    was recorded, and nothing to do: said as `acquire` says it, with the stop's own code."""
    monkeypatch.setattr(
        "forensic.workflows._default_open_instrument", lambda url, **kw: FakeInstrument()
    )

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Store, "add_measurement", stopped)
    monkeypatch.setattr(
        "forensic.workflows.keep_unrecorded",
        lambda *a, **k: (None, "0" * 64, ["no room anywhere"], None),
    )
    args = ["scan", "--instrument", "fake:x", "--case", "C-1", "--exhibit", "E-1"]
    done = CliRunner().invoke(main, [*args, "--operator", OPERATOR, "--store", str(tmp_path / "s")])
    assert done.exit_code == 130, done.output
    assert _last_said(done) == [
        "error: interrupted",
        f"WARNING: the measured spectrum is lost: it is not in {tmp_path / 's' / 'forensic.db'}"
        ", and could not be kept in a file elsewhere either (no room anywhere)",
        f"{_RECEIPT_RECORDED}; no spectrum of exhibit E-1 of case C-1 was saved",
        "to do: scan again to measure it",
    ]


# -- a failed or stopped scan says each part on a line of its own, on the command line ----------


def _scan_on_the_command_line(
    tmp_path, monkeypatch, *, instrument=None, engine=None, report=False, json_report=False
):
    """``forensic scan`` of exhibit E-1 of case C-1 with a fake instrument (``instrument``,
    else one that measures), identifying with ``engine`` (else against the shipped library),
    a PDF report asked for with ``report`` (and its JSON with ``json_report``)."""
    monkeypatch.setattr(
        "forensic.workflows._default_open_instrument",
        lambda url, **kw: instrument or FakeInstrument(),
    )
    if engine is not None:
        monkeypatch.setattr("forensic.workflows._identify_against", lambda reference: engine)
    args = ["scan", "--instrument", "fake:x", "--case", "C-1", "--exhibit", "E-1"]
    args += ["--operator", OPERATOR, "--store", str(tmp_path / "s")]
    args += ["--report", str(tmp_path / "r.pdf")] if report else []
    args += ["--json", str(tmp_path / "r.json")] if json_report else []
    return CliRunner().invoke(main, args)


def _last_said(done):
    """The lines standard error ends with, from the last ``error:`` line on."""
    lines = done.stderr.splitlines()
    return lines[max(n for n, line in enumerate(lines) if line.startswith("error: ")) :]


def _measurement(tmp_path):
    """The one measurement record of case C-1."""
    with Store(tmp_path / "s") as store:
        (measurement,) = store.measurements("C-1")
    return measurement


_RECEIPT_RECORDED = (
    "recorded case C-1 (record #2), the label of exhibit E-1 (record #3), its receipt by Ann "
    "Example (record #4)"
)


@pytest.mark.parametrize(
    ("stop", "code", "warned"),
    [
        (KeyboardInterrupt(), 130, []),
        (
            Interrupted(signal.SIGTERM, warning="the laser could not be switched off"),
            143,
            ["WARNING: the laser could not be switched off"],
        ),
    ],
)
def test_a_scan_stopped_before_its_spectrum_is_saved_says_to_scan_again_on_a_line_of_its_own(
    tmp_path, monkeypatch, stop, code, warned
):
    """It said "...; no spectrum of exhibit E-1 of case C-1 was saved: scan again to measure
    it" on the one error line, the action inside what was recorded."""
    done = _scan_on_the_command_line(tmp_path, monkeypatch, instrument=FakeInstrument(fail=stop))
    assert done.exit_code == code, done.output
    assert _last_said(done) == [
        "error: interrupted" if code == 130 else "error: stopped by SIGTERM",
        *warned,
        f"{_RECEIPT_RECORDED}; no spectrum of exhibit E-1 of case C-1 was saved",
        "to do: scan again to measure it",
    ]


def test_a_scan_stopped_after_its_spectrum_is_saved_says_to_identify_it_on_a_line_of_its_own(
    tmp_path, monkeypatch
):
    def stopped(spectrum):
        raise KeyboardInterrupt

    done = _scan_on_the_command_line(tmp_path, monkeypatch, engine=stopped, report=True)
    assert done.exit_code == 130, done.output
    measurement = _measurement(tmp_path)
    assert _last_said(done) == [
        "error: interrupted",
        "DO NOT MEASURE AGAIN: the raw spectrum of exhibit E-1 of case C-1 is saved "
        "(measurement record #5, SHA-256 "
        f"{measurement['raw_sha256']}), but no result is recorded",
        f"to do: `forensic exhibit identify C-1 E-1 {_signed(tmp_path)}` identifies the saved "
        f"spectrum, and then `forensic report C-1 E-1 --out {tmp_path / 'r.pdf'} "
        f"{_signed(tmp_path)}` makes the report",
    ]


class _BeyondTheGrid(FakeInstrument):
    """Measures a Raman spectrum over 3500-3900 cm-1 only, past the library's grid (50-3400):
    an export of a window of the range, or an instrument set to another range."""

    def acquire(self, **settings):
        return make_spectrum([(3700.0, 1.0, 10.0)], start=3500.0, stop=3900.0, step=1.0)


_BEYOND_THE_GRID = (
    "the query (3500-3900 cm-1) cannot be compared with the library grid (50-3400 cm-1): the "
    "spectrum's range 3500.0-3900.0 cm-1 (less 0 cm-1 at each end) holds 0 points of the grid "
    "50-3400 cm-1 (step 2); at least 16 are needed"
)


@pytest.mark.parametrize("report", [True, False], ids=["report", "no-report"])
def test_a_saved_spectrum_the_library_does_not_cover_is_not_offered_to_identify_again(
    tmp_path, monkeypatch, report
):
    """The audit: a scan whose saved spectrum lies outside the library's grid said `to do: once
    that is put right, `forensic exhibit identify ...` identifies the saved spectrum`, a
    command that fails the same way however often it is run (nothing changes a record): the
    technician is given the report to make, without a result, as for an axis in nm or µm."""
    done = _scan_on_the_command_line(
        tmp_path, monkeypatch, instrument=_BeyondTheGrid(), report=report
    )
    assert done.exit_code == 4, done.output
    measurement = _measurement(tmp_path)
    said = [
        f"error: identification failed: {_BEYOND_THE_GRID}",
        f"DO NOT MEASURE AGAIN: the raw spectrum is saved (measurement record "
        f"#{measurement['seq']}, SHA-256 {measurement['raw_sha256']}), but no result is recorded",
    ]
    if report:
        said.append(
            f"to do: `forensic report C-1 E-1 --out {tmp_path / 'r.pdf'} {_signed(tmp_path)}` "
            "makes the report, without a result"
        )
    assert _last_said(done) == said
    # what the scan said before: the same failure, however often it is run
    identify = ["exhibit", "identify", "C-1", "E-1", "--store", str(tmp_path / "s")]
    again = CliRunner().invoke(main, [*identify, "--operator", OPERATOR])
    assert (again.exit_code, again.stderr.splitlines()) == (2, [f"error: {_BEYOND_THE_GRID}"])


def test_a_scan_whose_identification_failed_says_what_failed_what_is_saved_and_what_to_do(
    tmp_path, monkeypatch
):
    """It said "the raw spectrum is saved (...), but identification failed: ...; once that is
    put right, `forensic exhibit identify ...` identifies the saved spectrum" in one line."""

    def broken(spectrum):
        raise IdentificationError("the query has no overlap with the library's grid")

    done = _scan_on_the_command_line(tmp_path, monkeypatch, engine=broken, report=True)
    assert done.exit_code == 4, done.output
    measurement = _measurement(tmp_path)
    assert _last_said(done) == [
        "error: identification failed: the query has no overlap with the library's grid",
        "DO NOT MEASURE AGAIN: the raw spectrum is saved (measurement record #5, SHA-256 "
        f"{measurement['raw_sha256']}), but no result is recorded",
        "to do: once that is put right, "
        f"`forensic exhibit identify C-1 E-1 {_signed(tmp_path)}` identifies the saved spectrum, "
        f"and then `forensic report C-1 E-1 --out {tmp_path / 'r.pdf'} {_signed(tmp_path)}` "
        "makes the report",
    ]


def test_a_scan_whose_result_the_locked_store_did_not_take_says_not_to_measure_again(
    tmp_path, monkeypatch
):
    def locked(self, *args, **kwargs):
        raise StoreBusyError(f"{self.db_path}: the store is locked by another process")

    monkeypatch.setattr(Store, "add_result", locked)
    done = _scan_on_the_command_line(
        tmp_path, monkeypatch, engine=lambda spectrum: identification_dict()
    )
    assert done.exit_code == 4, done.output
    measurement = _measurement(tmp_path)
    assert _last_said(done) == [
        "error: the result (IDENTIFIED: Cocaine hydrochloride) could not be recorded: another "
        f"process kept the store locked for more than {DEFAULT_BUSY_TIMEOUT_S:g} s, and nothing "
        "more was written",
        "DO NOT MEASURE AGAIN: the raw spectrum is saved (measurement record #5, SHA-256 "
        f"{measurement['raw_sha256']}), but no result is recorded",
        "to do: once the store is free, "
        f"`forensic exhibit identify C-1 E-1 {_signed(tmp_path)}` identifies the saved spectrum "
        "and records its result",
    ]


def test_a_scan_whose_result_could_not_be_recorded_says_its_causes_advice_once(
    tmp_path, monkeypatch
):
    """The cause's own warning on its line, and its advice first in the one ``to do:``."""

    def refused(self, *args, **kwargs):
        error = CustodyError(f"{self.db_path}: committing failed: database or disk is full")
        error.warning = "the store's disk is nearly full"
        error.advice = "free some room on the disk"
        raise error

    monkeypatch.setattr(Store, "add_result", refused)
    done = _scan_on_the_command_line(
        tmp_path, monkeypatch, engine=lambda spectrum: identification_dict(), report=True
    )
    assert done.exit_code == 4, done.output
    measurement = _measurement(tmp_path)
    assert _last_said(done) == [
        "error: the result (IDENTIFIED: Cocaine hydrochloride) could not be recorded: "
        f"{tmp_path / 's' / 'forensic.db'}: committing failed: database or disk is full",
        "WARNING: the store's disk is nearly full",
        "DO NOT MEASURE AGAIN: the raw spectrum is saved (measurement record #5, SHA-256 "
        f"{measurement['raw_sha256']}), but no result is recorded",
        "to do: free some room on the disk; then "
        f"`forensic exhibit identify C-1 E-1 {_signed(tmp_path)}` identifies the saved spectrum "
        f"and records its result, and then `forensic report C-1 E-1 --out {tmp_path / 'r.pdf'} "
        f"{_signed(tmp_path)}` makes the report",
    ]


def test_a_scan_whose_report_failed_before_it_was_recorded_says_the_command_that_makes_it(
    tmp_path, monkeypatch
):
    def no_fonts(content):
        raise OutputError("the report's fonts cannot be read")

    monkeypatch.setattr("forensic.report.issue.render_pdf", no_fonts)
    done = _scan_on_the_command_line(
        tmp_path, monkeypatch, engine=lambda spectrum: identification_dict(), report=True
    )
    assert done.exit_code == 4, done.output
    measurement = _measurement(tmp_path)
    assert _last_said(done) == [
        "error: the report failed: the report's fonts cannot be read",
        "DO NOT MEASURE AGAIN: the raw spectrum is saved (measurement record #5, SHA-256 "
        f"{measurement['raw_sha256']}) and its result recorded (result record #6)",
        f"to do: once that is put right, `forensic report C-1 E-1 --out {tmp_path / 'r.pdf'} "
        f"{_signed(tmp_path)}` makes the report",
    ]
    assert not (tmp_path / "r.pdf").exists()


def test_a_scan_whose_report_file_was_lost_after_recording_says_how_to_issue_it_again(
    tmp_path, monkeypatch
):
    _json_report_cannot_be_written(monkeypatch)
    done = _scan_on_the_command_line(
        tmp_path,
        monkeypatch,
        engine=lambda spectrum: identification_dict(),
        report=True,
        json_report=True,
    )
    assert done.exit_code == 4, done.output
    measurement = _measurement(tmp_path)
    with Store(tmp_path / "s") as store:
        (report,) = store.reports("C-1")
    error, *rest = _report_file_lost_said(tmp_path, measurement, report, replace="--force")
    assert _last_said(done) == [f"error: {error}", *rest]


def test_a_store_deleted_while_the_scan_measures_keeps_the_spectrum_in_a_file(tmp_path):
    _run(tmp_path)

    def delete_the_store(stage, message):
        if stage == "acquire":
            shutil.rmtree(tmp_path / "s")  # SQLite writes on, into files no longer there

    with pytest.raises(StoreGoneError) as failed:
        _run(tmp_path, progress=delete_the_store)
    message = str(failed.value)
    assert failed.value.exit_code == 1
    assert failed.value.spectrum_kept == _kept_file(message)  # the command line exits 5
    assert message.startswith(
        f"{tmp_path / 's' / 'forensic.db'}: the store's file was deleted or moved while this "
        "command had it open: what it recorded since went to a file no longer there, and is "
        "not in the store; DO NOT MEASURE AGAIN: the raw spectrum of exhibit E-1 of case C-1 "
        "is not in the store, but kept in "
    ), message
    kept = _kept_file(message)
    assert kept.exists() and json.loads(kept.read_text())["case_number"] == "C-1"


@needs_engine
def test_a_simulated_sample_is_made_from_the_library_folder_scanned_against(tmp_path):
    """A chemist demonstrating a library they extended names its new substance as the
    simulator's sample: it is taken from that folder (not only the shipped library), and the
    record and report say which reference the simulated spectrum was made from."""
    from library_helpers import make_library  # noqa: PLC0415

    folder = make_library(tmp_path / "lib", shipped=False)
    env_free = scan(
        "sim:ocean-rs232?sample=Gammaol",
        case_number="SIM-2",
        item_number="A",
        operator=OPERATOR,
        store=tmp_path / "s",
        library=folder,
        report_path=tmp_path / "r.pdf",
    )
    assert env_free.identification["hits"][0]["name"] == "Gammaol"
    instrument = json.loads(env_free.measurement["instrument_json"])
    assert instrument["simulated_from"] == "Gammaol"
    assert instrument["simulated_from_provenance"] == "simulated"
    text = " ".join(
        " ".join(page.extract_text() for page in PdfReader(tmp_path / "r.pdf").pages).split()
    )
    assert "made from the reference Gammaol (simulated)" in text


def test_a_scan_finding_a_seal_intact_that_was_recorded_broken_warns_of_it(tmp_path):
    _run(tmp_path, description="white powder, zip bag", seal_number="S-1", seal_intact=False)
    progress = []
    _run(
        tmp_path,
        operator="Bob Other",
        received_from=OPERATOR,
        seal_intact=True,
        progress=lambda stage, message: progress.append((stage, message)),
    )
    line = dict(progress)["custody"]
    # in the words of the report's limitations (continuity.custody_doubts), with what to do
    assert "WARNING: custody record #" in line
    assert "records the seal S-1 intact at" in line and "no new seal number" in line
    assert line.endswith("check the seal and the custody log with who handed it over")


# -- the commands a scan prints do, pasted as shown, what they say ---------------------------------


def _pasted(message, start):
    """The words of the command in ``message`` that begins with ``start`` (between backticks),
    as a POSIX shell splits it."""
    (command,) = re.findall(rf"`({re.escape(start)}[^`]*)`", message)
    return shlex.split(command)


def test_a_printed_command_pasted_with_its_places_unfilled_records_nothing(tmp_path):
    """`--description ...` pasted as shown recorded a signed label reading '...' for good,
    and `--received-by ... --released-by ... --purpose ...` a hand-over '... -> ...'."""
    _run(tmp_path, description="white powder, zip bag", seal_number="S-7")
    _, progress = _progress_of(tmp_path, description="brown resin", seal_number="S-8")
    correct = _pasted(progress["custody"], "forensic exhibit add")
    reseal = _pasted(progress["custody"], "forensic custody add")
    assert "..." in correct and reseal.count("...") == 3
    with Store(tmp_path / "s") as store:
        before = store.head()
    for words, option in [(correct, "--description"), (reseal, "--received-by")]:
        done = _elsewhere(tmp_path).invoke(main, words[1:])
        assert done.exit_code == 2, done.output
        assert f"Invalid value for '{option}': '...' is the place the printed command left " in (
            " ".join(done.stderr.split())
        )
        assert f"fill in: give {option} its value; nothing was recorded" in (
            " ".join(done.stderr.split())
        )
    # the one-character ellipsis a word processor makes of it is the same place
    typed = [w if w != "..." else "\u2026" for w in reseal]
    assert _elsewhere(tmp_path).invoke(main, typed[1:]).exit_code == 2
    with Store(tmp_path / "s") as store:
        assert store.head() == before
    filled = [{"...": "brown resin in foil"}.get(w, w) for w in correct]
    assert _elsewhere(tmp_path).invoke(main, filled[1:]).exit_code == 0
    with Store(tmp_path / "s") as store:
        assert store.get_exhibit("C-1", "E-1")["description"] == "brown resin in foil"


def _elsewhere(tmp_path):
    """A terminal other than the scan's: another default store, no operator, no library set."""
    return CliRunner(
        env={
            "FORENSIC_STORE": str(tmp_path / "default-store"),
            "FORENSIC_OPERATOR": None,
            "FORENSIC_LIBRARY": None,
        }
    )


def test_the_identify_command_a_scan_prints_identifies_in_its_store_against_its_library(
    tmp_path,
):
    """It said `forensic exhibit identify C-1 E-1`: pasted, that looked in the default store,
    identified against the shipped library and signed as the login name."""
    lab, path = _small_library(tmp_path)

    def broken(spectrum):
        raise IdentificationError("the engine ran out of memory")

    with pytest.raises(ScanIncomplete) as failed:
        _run(tmp_path, identify=broken, library=path)
    words = _pasted(failed.value.advice, "forensic exhibit identify")
    assert words == [
        "forensic",
        "exhibit",
        "identify",
        "C-1",
        "E-1",
        "--library",
        str(path),
        "--store",
        str(tmp_path / "s" / "forensic.db"),
        "--operator",
        OPERATOR,
    ]
    done = _elsewhere(tmp_path).invoke(main, words[1:])
    assert done.exit_code == 0, done.output
    with Store(tmp_path / "s") as store:
        (result,) = store.results("C-1", "E-1")
        assert result["signer"] == OPERATOR and result["library_version"] == lab.version
    assert not (tmp_path / "default-store").exists()


def test_the_report_command_a_scan_prints_makes_its_report_signed_by_its_operator(
    tmp_path, monkeypatch
):
    """A report that failed before it was recorded: the command that makes it once that is
    put right, with the scan's files, unit, store and operator (it said nothing of the kind,
    and a stopped scan's command signed as the login name)."""
    issue = importlib.import_module("forensic.report.issue")
    render = issue.render_pdf

    def no_fonts(content):
        raise OutputError("the report's fonts cannot be read")

    monkeypatch.setattr(issue, "render_pdf", no_fonts)
    with pytest.raises(ScanIncomplete) as failed:
        _run(tmp_path, report_path=tmp_path / "r 1.pdf", unit="Van 3", location="Lay-by")
    assert failed.value.problem == "the report failed: the report's fonts cannot be read"
    assert failed.value.recorded.startswith(
        "DO NOT MEASURE AGAIN: the raw spectrum is saved (measurement record #5, SHA-256 "
    )
    assert failed.value.recorded.endswith(") and its result recorded (result record #6)")
    assert failed.value.advice.startswith("once that is put right, `forensic report C-1 E-1 ")
    assert failed.value.advice.endswith("` makes the report")
    words = _pasted(failed.value.advice, "forensic report")
    assert words == [
        "forensic",
        "report",
        "C-1",
        "E-1",
        "--out",
        str(tmp_path / "r 1.pdf"),
        "--unit",
        "Van 3",
        "--location",
        "Lay-by",
        "--store",
        str(tmp_path / "s" / "forensic.db"),
        "--operator",
        OPERATOR,
    ]
    monkeypatch.setattr(issue, "render_pdf", render)
    done = _elsewhere(tmp_path).invoke(main, words[1:])
    assert done.exit_code == 0, done.output
    with Store(tmp_path / "s") as store:
        (report,) = store.reports("C-1")
    assert report["issued_by"] == OPERATOR and (tmp_path / "r 1.pdf").exists()
    assert json.loads(report["content_json"])["unit"] == "Van 3"


def test_the_command_a_report_left_unwritten_prints_issues_it_again(tmp_path, monkeypatch):
    """It said "issue it again with 'forensic report'", without a word of what to issue."""
    real = _json_report_cannot_be_written(monkeypatch)
    with pytest.raises(ScanIncomplete) as failed:
        _run(tmp_path, report_path=tmp_path / "r.pdf", json_path=tmp_path / "r.json")
    assert failed.value.recorded.endswith(f"; written: {tmp_path / 'r.pdf'}")
    assert failed.value.advice.startswith("issue it again with `forensic report")
    # a Python caller is told its argument; the command line, --force (as pasted below)
    assert failed.value.advice.endswith(
        "(a new report, with its own id; add overwrite=True to replace the files written)"
    )
    words = _pasted(failed.value.advice, "forensic report")
    assert words[2:] == [
        "C-1",
        "E-1",
        "--out",
        str(tmp_path / "r.pdf"),
        "--json",
        str(tmp_path / "r.json"),
        "--store",
        str(tmp_path / "s" / "forensic.db"),
        "--operator",
        OPERATOR,
    ]
    monkeypatch.setattr("forensic.report.issue.atomic_write_bytes", real)  # room again
    done = _elsewhere(tmp_path).invoke(main, [*words[1:], "--force"])
    assert done.exit_code == 0, done.output
    with Store(tmp_path / "s") as store:
        assert [r["issued_by"] for r in store.reports("C-1")] == [OPERATOR, OPERATOR]
    assert (tmp_path / "r.json").exists()


@pytest.mark.parametrize(
    ("case_number", "item_number"),
    [("2026 0412", "A1"), ("C-1", "A 1"), ("C-1", "A1;touch pwned"), ("C'1", "$(touch pwned)")],
)
def test_a_command_a_scan_prints_is_quoted_for_the_shell(
    tmp_path, monkeypatch, case_number, item_number
):
    """`forensic exhibit add 2026 0412 A 1 --description ...` pasted as shown fails, and an
    exhibit number holding a ';' ran the rest as a shell command."""
    monkeypatch.chdir(tmp_path)
    result, progress = _progress_of(tmp_path, case_number=case_number, item_number=item_number)
    words = _pasted(progress["custody"], "forensic exhibit add")
    assert words == [
        "forensic",
        "exhibit",
        "add",
        case_number,
        item_number,
        "--description",
        "...",
        "--corrects",
        result.exhibit["hash"][:16],
        "--store",
        str(tmp_path / "s" / "forensic.db"),
        "--operator",
        OPERATOR,
    ]
    # pasted into a shell, with the description filled in: it corrects the label, and runs
    # nothing else
    command = _pasted(progress["custody"], "forensic exhibit add")
    line = re.findall(r"`(forensic exhibit add [^`]*)`", progress["custody"])[0]
    line = line.replace("--description ...", "--description 'white powder'")
    script = f"forensic() {{ printf '%s\\n' \"$@\"; }}; {line}"
    shell = subprocess.run(
        ["sh", "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    command[6] = "white powder"
    assert shell.stdout.splitlines() == command[1:]
    assert not (tmp_path / "pwned").exists()
    done = _elsewhere(tmp_path).invoke(main, command[1:])
    assert done.exit_code == 0, done.output
    with Store(tmp_path / "s") as store:
        assert store.get_exhibit(case_number, item_number)["description"] == "white powder"


def test_an_operator_named_with_spaces_around_is_the_operator_holding_the_exhibit(tmp_path):
    """'Ann Example ' (from a variable) added a receipt by "Ann Example" at every scan: the
    store records the name stripped, and the scan compared it with the name as given."""
    for _scan in range(3):
        result = _run(tmp_path, operator=" Ann  Example ")
        assert result.measurement["operator"] == OPERATOR
    with Store(tmp_path / "s") as store:
        assert [e["received_by"] for e in store.custody_events("C-1", "E-1")] == [OPERATOR]
        assert list(store.operator_fingerprints()) == [OPERATOR]  # one key, not a second


def test_an_operator_named_as_a_known_signer_in_another_case_is_warned_of(tmp_path):
    """'ann example' after 'Ann Example' made a second key and a receipt, silently: the scan
    says so, names the known signer, and adds no hand-over that never happened."""
    _run(tmp_path, description="white powder, zip bag")
    result, progress = _progress_of(tmp_path, operator="ann example")
    assert progress["custody"].startswith(
        "ann example holds E-1 since custody record #4\n        WARNING: 'ann example' has "
        f"signed nothing in {tmp_path / 's' / 'forensic.db'}, but 'Ann Example' has: a name "
        "that differs only in letter case or spacing signs with a key of its own and reads as "
        "another person in the custody log; if you are Ann Example, give --operator "
        "'Ann Example'"
    )
    assert result.measurement["signer"] == "ann example"  # warned of, not refused
    with Store(tmp_path / "s") as store:
        assert len(store.custody_events("C-1", "E-1")) == 1
    # now a signer of its own: not warned of again; another name is not either
    _, progress = _progress_of(tmp_path, operator="ann example")
    assert "WARNING" not in progress["custody"]
    _, progress = _progress_of(tmp_path, operator="Ann Exampel", item_number="E-2")
    assert "WARNING: 'Ann Exampel'" not in progress["custody"]


def test_every_command_normalises_its_operator_and_warns_of_a_name_like_a_signer_s(tmp_path):
    common = ["--store", str(tmp_path / "s")]
    runner = CliRunner(env={"FORENSIC_OPERATOR": " Ann  Example "})
    done = runner.invoke(main, ["case", "new", "C-1", *common])
    new_store = f"NEW evidence store at {tmp_path / 's' / 'forensic.db'}: this command creates it"
    assert done.exit_code == 0 and done.stderr == new_store + "\n", done.output
    done = runner.invoke(main, ["exhibit", "add", "C-1", "A1", "--description", "bag", *common])
    assert done.exit_code == 0 and done.stderr == "", done.output
    # a command that records nothing (an exhibit that does not exist) makes no key: not warned
    refused = ["custody", "add", "C-1", "NO", "--received-by", "Bo", "--purpose", "analysis"]
    done = runner.invoke(main, [*refused, *common, "--operator", "ANN EXAMPLE"])
    assert done.exit_code != 0 and "WARNING" not in done.stderr, done.output
    assert "no exhibit 'NO'" in done.stderr
    # a new key, warned of where it is made: recorded all the same
    handed = ["custody", "add", "C-1", "A1", "--received-by", "Bo", "--purpose", "analysis"]
    done = runner.invoke(main, [*handed, *common, "--operator", "ANN EXAMPLE"])
    assert done.exit_code == 0, done.output
    assert done.stderr.startswith(
        f"WARNING: 'ANN EXAMPLE' has signed nothing in {tmp_path / 's' / 'forensic.db'}, but "
        "'Ann Example' has: "
    )
    with Store(tmp_path / "s") as store:
        assert store.get_case("C-1")["opened_by"] == OPERATOR
        assert sorted(store.operator_fingerprints()) == ["ANN EXAMPLE", OPERATOR]


@pytest.mark.parametrize(
    "command",
    [
        ["case", "new", "C-1"],
        ["exhibit", "add", "C-1", "A1", "--description", "bag"],
        ["custody", "add", "C-1", "A1", "--received-by", "Bo", "--purpose", "analysis"],
        ["scan", "--instrument", "fake:x", "--case", "C-1", "--exhibit", "A1"],
        ["report", "C-1", "--out", "r.pdf"],
        ["bundle", "export", "C-1", "--out", "b.zip"],
    ],
)
def test_a_command_that_records_refuses_to_run_when_nobody_is_named_to_sign(
    tmp_path, monkeypatch, command
):
    """Left out, --operator signed as the login account (root): a key made for it, and a
    scan's receipt by it, a break in the exhibit's custody, recorded for good."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("getpass.getuser", lambda: "root")
    monkeypatch.setattr(
        "forensic.workflows._default_open_instrument", lambda url, **kw: FakeInstrument()
    )
    populated = tmp_path / "s"
    with Store(populated) as store:
        store.open_case("C-0", operator=OPERATOR)
    with Store(populated) as store:
        before = store.head()
    for given in (None, " "):  # unset, or set to nothing
        env = {"FORENSIC_OPERATOR": given, "FORENSIC_STORE": str(populated)}
        done = CliRunner(env=env).invoke(main, command)
        assert done.exit_code == 2, done.output
        assert done.stderr == (
            "error: no operator: nobody is named to sign what this command records (the "
            "laptop's login name is an account, not a person). Give --operator 'Your Name', "
            "or name yourself once in this terminal: export FORENSIC_OPERATOR='Your Name'. "
            "Nothing was recorded\n"
        )
    with Store(populated) as store:
        assert store.head() == before
        assert list(store.operator_fingerprints()) == [OPERATOR]  # no key for "root"
    assert not [key for key in (tmp_path / "config").rglob("root-*")]
    # named on the command line or by the environment: it records
    if command[0] == "case":
        for options, env in ((["--operator", "van"], {}), ([], {"FORENSIC_OPERATOR": "van"})):
            done = CliRunner(env={"FORENSIC_STORE": str(populated), **env}).invoke(
                main, ["case", "new", f"C-{len(env) + 2}", *options]
            )
            assert done.exit_code == 0 and done.stderr == "", done.output
        with Store(populated) as store:
            assert [c["opened_by"] for c in store.current("cases")] == [OPERATOR, "van", "van"]


@pytest.mark.parametrize("other", ["json_path", "text_path"])
def test_one_file_given_for_the_pdf_and_another_output_stops_the_scan_before_anything(
    tmp_path, monkeypatch, other
):
    """With --force the PDF ended up as JSON text while the screen said "Report written"
    twice; without, the report was recorded and then could not be written."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.pdf").write_bytes(b"%PDF- an earlier report")
    (tmp_path / "link.pdf").symlink_to(tmp_path / "a.pdf")
    for same in ("a.pdf", tmp_path / "link.pdf"):
        for overwrite in (False, True):
            with pytest.raises(OutputError) as refused:
                _run(tmp_path, report_path=tmp_path / "a.pdf", overwrite=overwrite, **{other: same})
            # a Python caller is told its arguments (the command line: --report and --json)
            assert str(refused.value) == (
                f"report_path=... and {other}=... both name {tmp_path / 'a.pdf'}: one would be "
                "written over the other; give each its own file"
            )
    assert (tmp_path / "a.pdf").read_bytes() == b"%PDF- an earlier report"
    assert not (tmp_path / "s").exists()  # no case, no receipt, no laser fired


@pytest.mark.parametrize(
    ("name", "what"),
    [
        ("s/forensic.db", "the evidence store"),
        ("s/forensic.db-wal", "the evidence store's write-ahead log"),
        ("s/forensic.db-shm", "the evidence store's shared-memory index"),
        ("s/forensic.db-journal", "the evidence store's rollback journal"),
        ("link.db", "the evidence store"),
        ("s/unrecorded-spectra/A1.pdf", "inside a folder of spectra scans kept"),
        ("config/keys/A1.pdf", "inside the folder of the operators' signing keys"),
    ],
)
@pytest.mark.parametrize("option", ["report_path", "json_path", "text_path"])
def test_an_output_that_is_a_file_the_store_owns_stops_the_scan_before_anything(
    tmp_path, name, what, option
):
    """`--report $FORENSIC_STORE --force` replaced the whole store with the PDF: every record
    gone, and custody verify said the store was damaged."""
    _run(tmp_path)
    (tmp_path / "link.db").symlink_to(tmp_path / "s" / "forensic.db")
    before = (tmp_path / "s" / "forensic.db").read_bytes()
    with pytest.raises(OutputError) as refused:
        _run(tmp_path, overwrite=True, **{option: tmp_path / name})
    # a Python caller is told its argument (the command line: --report, as below)
    assert str(refused.value).startswith(f"{option}='{tmp_path / name}' is ")
    assert what in str(refused.value)
    assert str(refused.value).endswith(f"{option}=... another file (nothing was written)") or (
        str(refused.value).endswith(f"{option}=... a file elsewhere (nothing was written)")
    )
    assert (tmp_path / "s" / "forensic.db").read_bytes() == before
    with Store(tmp_path / "s") as store:
        assert verify_store(store).ok
        assert len(store.measurements("C-1")) == 1  # no second measurement: the laser never fired


def test_the_scan_command_refuses_to_write_its_report_over_the_store(tmp_path, monkeypatch):
    """The finding as typed: the store given as --report, with --force."""
    monkeypatch.setenv("FORENSIC_STORE", str(tmp_path / "store" / "forensic.db"))
    monkeypatch.setenv("FORENSIC_CACHE_DIR", str(tmp_path / "cache"))
    args = ["scan", "--instrument", "sim:ocean-rs232?sample=cocaine", "--case", "C-1"]
    args += ["--exhibit", "A1", "--operator", OPERATOR, "--description", "white powder"]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    store = tmp_path / "store" / "forensic.db"
    before = store.read_bytes()
    again = CliRunner().invoke(main, [*args, "--report", str(store), "--force"])
    assert again.exit_code == 2, again.output
    assert again.output.endswith(
        f"error: --report {store} is the evidence store {store}: an output written there "
        "would destroy it; give --report another file (nothing was written)\n"
    )
    assert store.read_bytes() == before
    assert CliRunner().invoke(main, ["custody", "verify"]).exit_code == 0


def test_a_report_in_a_folder_that_does_not_exist_stops_the_scan_before_anything(tmp_path):
    """A mistyped USB stick (/media/usb-stik/A1.pdf) was created as a folder on the laptop,
    and the report written there, with 'Report written' on screen."""
    stick = tmp_path / "media" / "usb-stik"
    for option in ("report_path", "json_path", "text_path"):
        name = {"report_path": "A1.pdf", "json_path": "A1.json", "text_path": "A1.txt"}[option]
        with pytest.raises(OutputError) as refused:
            _run(tmp_path, **{option: stick / name})
        assert str(refused.value) == (
            f"{stick / name}: the folder {tmp_path / 'media'} does not exist (a mistyped path, "
            "or a USB stick not mounted?): give a folder that exists, or create it first"
        )
    assert not (tmp_path / "media").exists()
    assert not (tmp_path / "s").exists()  # no case, no receipt, no laser fired


@pytest.mark.parametrize(
    ("outputs", "said"),
    [
        (
            {"report_path": "A1.txt"},
            "report_path='{0}/A1.txt': report_path=... writes the report as a PDF, which a name "
            "ending in .txt would hide (text_path=... writes it as plain text): give "
            "report_path='{0}/A1.pdf', or text_path='{0}/A1.txt'",
        ),
        (
            {"report_path": "A1.pdf", "json_path": "A1.pdf.json", "text_path": "A1.JSON"},
            "text_path='{0}/A1.JSON': text_path=... writes the report as plain text, which a "
            "name ending in .json would hide (json_path=... writes it as JSON): give "
            "text_path='{0}/A1.txt', or json_path='{0}/A1.JSON'",
        ),
    ],
)
def test_a_report_file_named_as_another_kind_stops_the_scan_before_anything(
    tmp_path, outputs, said
):
    """--report A1.txt wrote a PDF named .txt, with no word that --text exists."""
    with pytest.raises(OutputError) as refused:
        _run(tmp_path, **{option: tmp_path / name for option, name in outputs.items()})
    assert str(refused.value) == said.format(tmp_path)
    assert not (tmp_path / "s").exists()
    # a JSON or text file's name is the technician's to choose; a PDF's ends in .pdf
    _run(tmp_path, report_path=tmp_path / "A1.PDF", text_path=tmp_path / "A1.log")


@pytest.mark.parametrize("name", ["A2b", "A2b.2026-0412", "A2b.pdf.bak"])
def test_a_pdf_report_named_without_pdf_stops_the_scan_before_anything(tmp_path, name):
    """The audit: --report out/A2b wrote a PDF named A2b, which a laptop opens as nothing.
    Refused, not renamed: the file is where the technician said, or nowhere."""
    with pytest.raises(OutputError) as refused:
        _run(tmp_path, report_path=tmp_path / "out" / name)  # said before the missing folder
    assert str(refused.value) == (
        f"report_path='{tmp_path / 'out' / name}': report_path=... writes the report as a PDF, "
        "and a PDF's name ends in .pdf (a laptop opens it by that): give "
        f"report_path='{tmp_path / 'out' / name}.pdf'; "
        "nothing was recorded"
    )
    assert not (tmp_path / "s").exists()  # no case, no receipt, no laser fired


def test_a_report_file_named_as_another_kind_is_said_so_before_that_it_exists(tmp_path):
    """--report A1.txt over an A1.txt already there said "already exists ... use --force";
    with --force, that the name was wrong: the name is said first, and nothing is written."""
    (tmp_path / "A1.txt").write_text("an earlier text report")
    for overwrite in (False, True):
        with pytest.raises(OutputError) as refused:
            _run(tmp_path, report_path=tmp_path / "A1.txt", overwrite=overwrite)
        assert str(refused.value).startswith(
            f"report_path='{tmp_path / 'A1.txt'}': report_path=... writes the report as a PDF, "
            "which a name ending in .txt would hide"
        ), str(refused.value)
    assert (tmp_path / "A1.txt").read_text() == "an earlier text report"
    assert not (tmp_path / "s").exists()  # no case, no receipt, no laser fired


class BuggyInstrument(FakeInstrument):
    """A driver with a bug: a Python error, not one of the toolkit's."""

    def acquire(self, **settings):
        return {}["integration_time_ms"]


def test_a_driver_s_bug_in_acquisition_is_an_instrument_error_saying_what_is_recorded(
    tmp_path, monkeypatch
):
    """It skipped what the scan had recorded and ended in a traceback."""
    with pytest.raises(InstrumentError) as failed:
        _run(tmp_path, open_instrument=lambda url: BuggyInstrument())
    assert str(failed.value) == (
        "fake:instrument: acquiring failed on an unexpected error in the instrument's driver "
        "(KeyError: 'integration_time_ms'); recorded case C-1 (record #2), the label of "
        f"exhibit E-1 (record #3), its receipt by {OPERATOR} (record #4); no spectrum of "
        "exhibit E-1 of case C-1 was saved; to do: report this bug in the instrument's "
        "driver, with this message"
    )
    assert failed.value.exit_code == 3  # as any instrument fault
    assert isinstance(failed.value.__cause__, KeyError)  # the bug, with its traceback
    # the command line: one line, exit 3
    monkeypatch.setattr(
        "forensic.workflows._default_open_instrument", lambda url, library=None: BuggyInstrument()
    )
    typed = ["scan", "--instrument", "fake:instrument", "--case", "C-1", "--exhibit", "E-1"]
    done = CliRunner().invoke(
        main, [*typed, "--store", str(tmp_path / "s"), "--operator", OPERATOR]
    )
    assert done.exit_code == 3, done.output
    error, recorded, to_do = done.stderr.splitlines()[-3:]
    assert error == (
        "error: fake:instrument: acquiring failed on an unexpected error in the instrument's "
        "driver (KeyError: 'integration_time_ms')"
    )
    # the second try: its receipt is on record already, and not recorded again
    assert recorded == "nothing was recorded; no spectrum of exhibit E-1 of case C-1 was saved"
    assert to_do == "to do: report this bug in the instrument's driver, with this message"
    with Store(tmp_path / "s") as store:
        assert store.measurements("C-1") == [] and verify_store(store).ok


def test_a_driver_s_bug_when_connecting_records_nothing(tmp_path):
    def buggy(url):
        raise TypeError("open() missing 1 required positional argument: 'baud'")

    with pytest.raises(InstrumentError, match=r"connecting failed .*\(TypeError: open\(\)"):
        _run(tmp_path, open_instrument=buggy)
    with Store(tmp_path / "s") as store:
        assert store.get_case("C-1") is None


def test_the_scan_screen_numbers_each_step_once_on_a_first_run(tmp_path, monkeypatch):
    """The audit: a first run printed `[1/8] compiling the reference library`, then
    `[1/8] connecting`: two lines numbered as one step. What a step says again is under it."""
    from library_helpers import make_library  # noqa: PLC0415

    import forensic.library_folders as library_folders  # noqa: PLC0415

    monkeypatch.setenv("FORENSIC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(library_folders, "_COMPILED", {})
    monkeypatch.setattr(
        "forensic.workflows._default_open_instrument", lambda url, **kw: FakeInstrument()
    )
    folder = make_library(tmp_path / "lib", shipped=False)
    args = ["scan", "--instrument", "fake:x", "--case", "C-1", "--exhibit", "E-1"]
    args += ["--library", str(folder), "--store", str(tmp_path / "s")]
    done = CliRunner().invoke(main, [*args, "--operator", OPERATOR])
    assert done.exit_code == 0, done.output
    steps = [line for line in done.stderr.splitlines() if re.match(r"(\[\d/8\]| {5}) +\d", line)]
    assert re.match(r"\[1/8\] +\d+\.\ds  compiling the reference library ", steps[0])
    assert re.match(r" {5} +\d+\.\ds  connecting to fake:x$", steps[1])
    numbered = [line[:5] for line in steps if line.startswith("[")]
    assert numbered == [f"[{n}/8]" for n in range(1, 8)]  # no report asked for: no [8/8]


def test_a_scan_says_it_compiles_its_library_folder_on_first_use(tmp_path, monkeypatch):
    # seconds of silence before "connecting" on a new laptop: the technician is told why
    from library_helpers import make_library  # noqa: PLC0415

    import forensic.library_folders as library_folders  # noqa: PLC0415

    monkeypatch.setenv("FORENSIC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(library_folders, "_COMPILED", {})
    folder = make_library(tmp_path / "lib", shipped=False)
    progress = []
    _run(
        tmp_path,
        identify=None,
        library=folder,
        progress=lambda stage, message: progress.append((stage, message)),
    )
    stage, message = progress[0]
    assert stage == "connect" and message.startswith("compiling the reference library")
    assert progress[1][1].startswith("connecting to")
    monkeypatch.setattr(library_folders, "_COMPILED", {})
    progress.clear()
    _run(
        tmp_path,
        identify=None,
        library=folder,
        item_number="E-2",
        progress=lambda stage, message: progress.append((stage, message)),
    )
    assert not any("compiling" in message for _, message in progress)


def _signer_before_normalisation(tmp_path, name="Ann  Example", store="s"):
    """A store in which ``name`` signed before names were normalised where they enter (its
    key made then, in this computer's config folder): as the store API still records it."""
    with Store(tmp_path / store) as store:
        store.open_case("C-0", operator=name)
        return store.operator_key(name).fingerprint


def test_a_signer_recorded_with_a_double_space_signs_on_under_that_name(tmp_path):
    """'Ann  Example', recorded before today's normalisation, could no longer sign: the name
    given was normalised to 'Ann Example', which made a second key, and the warning advised
    --operator 'Ann  Example', which is normalised again. The scan signs as she is recorded,
    with her key, and says so once."""
    fingerprint = _signer_before_normalisation(tmp_path)
    result, progress = _progress_of(tmp_path, operator="Ann  Example", description="bag")
    assert result.measurement["signer"] == "Ann  Example"
    assert result.result["signer"] == "Ann  Example"
    assert progress["custody"] == (
        "Ann  Example receives E-1 for screening analysis\n        note: signing as "
        f"'Ann  Example', the name recorded with its key in {tmp_path / 's' / 'forensic.db'} "
        "('Ann Example' differs from it only in spacing)"
    )
    with Store(tmp_path / "s") as store:
        assert store.operator_fingerprints() == {"Ann  Example": {fingerprint}}  # no second key
        (event,) = store.custody_events("C-1", "E-1")
        assert event["received_by"] == "Ann  Example"
    # as given in any spacing; she holds the exhibit: no second receipt
    result, progress = _progress_of(tmp_path, operator=" Ann   Example")
    assert result.measurement["signer"] == "Ann  Example"
    assert progress["custody"].startswith("Ann  Example holds E-1 since custody record #")


def test_every_command_signs_as_a_signer_recorded_with_a_double_space(tmp_path):
    fingerprint = _signer_before_normalisation(tmp_path)
    common = ["--store", str(tmp_path / "s"), "--operator", "Ann  Example"]
    done = CliRunner().invoke(main, ["case", "new", "C-1", *common])
    assert done.exit_code == 0, done.output
    assert done.stderr == (
        f"note: signing as 'Ann  Example', the name recorded with its key in "
        f"{tmp_path / 's' / 'forensic.db'} ('Ann Example' differs from it only in spacing)\n"
    )
    with Store(tmp_path / "s") as store:
        assert store.get_case("C-1")["opened_by"] == "Ann  Example"
        assert store.operator_fingerprints() == {"Ann  Example": {fingerprint}}


def test_a_warning_advises_only_an_operator_that_signs_as_the_signer_it_names(tmp_path):
    """The advice is what pasted signs as the name it gives; a name no --operator can give
    here (its key is on another computer) is said to be so, not advised."""
    _signer_before_normalisation(tmp_path)
    runner = CliRunner()
    common = ["--store", str(tmp_path / "s")]
    done = runner.invoke(main, ["case", "new", "C-1", *common, "--operator", "ann example"])
    assert done.exit_code == 0, done.output
    assert done.stderr.endswith(
        "another person in the custody log; if you are Ann  Example, give "
        "--operator 'Ann  Example'\n"
    )
    advised = shlex.split(done.stderr.rsplit("give ", 1)[1])
    done = runner.invoke(main, ["case", "new", "C-2", *common, *advised])
    assert done.exit_code == 0, done.output
    with Store(tmp_path / "s") as store:
        assert store.get_case("C-2")["opened_by"] == "Ann  Example"

    # her key on another computer: 'Ann Example' signs with a key of its own, warned of
    _signer_before_normalisation(tmp_path, store="t")
    (tmp_path / "config").rename(tmp_path / "her laptop")
    common = ["--store", str(tmp_path / "t"), "--operator", "Ann  Example"]
    done = runner.invoke(main, ["case", "new", "C-1", *common])
    assert done.exit_code == 0, done.output
    assert done.stderr == (
        f"WARNING: 'Ann Example' has signed nothing in {tmp_path / 't' / 'forensic.db'}, but "
        "'Ann  Example' has: a name that differs only in letter case or spacing signs with a "
        "key of its own and reads as another person in the custody log; no --operator signs "
        "as 'Ann  Example' on this computer (it makes each run of spaces one)\n"
    )
    with Store(tmp_path / "t") as store:
        assert store.get_case("C-1")["opened_by"] == "Ann Example"


def _unchanged(tmp_path):
    """What the store holds, to compare: its file's bytes and its last record."""
    with Store(tmp_path / "s") as store:
        head = store.head()
    return (tmp_path / "s" / "forensic.db").read_bytes(), head


def test_a_new_case_number_one_slip_from_a_recorded_one_is_refused_before_anything(tmp_path):
    _run(tmp_path, case_number="2026-0412", item_number="A1")
    opened = []

    def instrument(url):
        opened.append(url)
        return FakeInstrument()

    before = _unchanged(tmp_path)
    for typed, slip in (
        ("2026-0421", "'21' typed for '12'"),
        ("2026-041", "'2' left out"),
        ("2026-04122", "'2' added"),
    ):
        with pytest.raises(CustodyError) as refused:
            _run(tmp_path, case_number=typed, item_number="A2", open_instrument=instrument)
        assert str(refused.value) == (
            f"there is no case {typed!r} in {tmp_path / 's' / 'forensic.db'}, but there is case "
            f"'2026-0412', which reads the same but for one slip ({slip}): to scan an exhibit "
            f"of that case, scan again with --case 2026-0412; if {typed!r} is a new case, open "
            f"it first with `forensic case new {typed} {_signed(tmp_path)}`. Nothing was recorded"
        )
    assert opened == []  # the laser never fired
    assert _unchanged(tmp_path) == before
    # the next case number is no slip: opened, and its line names the case nearest to it
    _, progress = _progress_of(tmp_path, case_number="2026-0413", item_number="A1")
    assert progress["case"].startswith(
        "NEW case 2026-0413 (the nearest case in this store is 2026-0412), NEW exhibit A1 in "
    )
    # a slipped number opened on purpose is scanned into as any other
    with Store(tmp_path / "s") as store:
        store.open_case("2026-0421", operator=OPERATOR)
    _, progress = _progress_of(tmp_path, case_number="2026-0421", item_number="A1")
    assert progress["case"].startswith("case 2026-0421, NEW exhibit A1 in ")


def test_a_seal_recorded_on_another_exhibit_is_refused_before_anything(tmp_path):
    first = _run(tmp_path, case_number="2026-0412", item_number="A1", seal_number="S-0093")
    receipt = first.custody_event["seq"]  # the latest record of the seal
    opened = []

    def instrument(url):
        opened.append(url)
        return FakeInstrument()

    before = _unchanged(tmp_path)
    # another exhibit of the case, or of another case; the seal as typed, in any letter case
    # or spacing, or with a Cyrillic letter that prints like the Latin one
    for case_number, item_number, seal in (
        ("2026-0412", "A2", "S-0093"),
        ("2026-0500", "B1", " s-0093"),
        ("2026-0500", "B1", "\u0405-0093"),  # Cyrillic Ѕ
    ):
        with pytest.raises(CustodyError) as refused:
            _run(
                tmp_path,
                case_number=case_number,
                item_number=item_number,
                seal_number=seal,
                open_instrument=instrument,
            )
        assert str(refused.value) == (
            f"seal {seal.strip()!r} is the seal of exhibit A1 of case 2026-0412 (custody "
            f"record #{receipt}, 'S-0093'), not of exhibit {item_number} of case "
            f"{case_number}: a seal closes one package, and a seal number never passes to "
            "another exhibit. Check the case and exhibit numbers given (is this exhibit A1 of "
            "case 2026-0412?); if the seal number was mistyped, give the right one. Nothing was "
            "recorded"
        )
    assert opened == []
    assert _unchanged(tmp_path) == before
    # the exhibit's own seal is its own; another seal number is another seal
    _run(tmp_path, case_number="2026-0412", item_number="A1", seal_number="s-0093")
    _run(tmp_path, case_number="2026-0412", item_number="A2", seal_number="S-0094")
    _run(tmp_path, case_number="2026-0412", item_number="A3", seal_number="S-093")
    # re-sealed, A1 carries a new seal: its old one is still none of another exhibit's
    with Store(tmp_path / "s") as store:
        resealed = store.add_custody_event(
            "2026-0412",
            "A1",
            operator=OPERATOR,
            released_by=OPERATOR,
            received_by=OPERATOR,
            purpose="re-sealed after sampling",
            seal_intact=True,
            seal_number="S-0100",
        )
    with pytest.raises(CustodyError, match=r"^seal 'S-0093' was the seal \(before it was re-"):
        _run(tmp_path, case_number="2026-0412", item_number="A4", seal_number="S-0093")
    now = rf"is the seal of exhibit A1 .*record #{resealed['seq']}"
    with pytest.raises(CustodyError, match=now):
        _run(tmp_path, case_number="2026-0412", item_number="A4", seal_number="S-0100")
    _, progress = _progress_of(
        tmp_path, case_number="2026-0412", item_number="A1", seal_number="S-0093"
    )
    assert "the seal last recorded for it is 'S-0100'" in progress["custody"]  # warned of


_RECORDED_BEFORE_THE_SCAN = (
    f"recorded case C-1 (record #2), the label of exhibit E-1 (record #3), its receipt by "
    f"{OPERATOR} (record #4); no spectrum of exhibit E-1 of case C-1 was saved"
)


@pytest.mark.parametrize(
    ("name", "error", "said", "recorded", "advice"),
    [
        ("get_serial", 2, UNKNOWN_SERIAL, "nothing was recorded", UNKNOWN_MESSAGE_ADVICE),
        ("get_raw_spectrum", 255, DEFERRED_SCAN, _RECORDED_BEFORE_THE_SCAN, DEFERRED_ADVICE),
    ],
    ids=["unknown-message", "deferred-answer"],
)
def test_a_scan_says_what_an_obp_instrument_answered_it_cannot_take_and_its_bytes(
    tmp_path, monkeypatch, name, error, said, recorded, advice
):
    # "the device does not know get_serial (OBP error 2: unknown message type)", without the
    # reply's bytes and with nothing to do; an answer put off (OBP error 255) was a refusal,
    # with the advice to restart an instrument that was busy
    obp_answers_with_error(monkeypatch, name, error)
    url = "sim:obp?sample=cocaine&realtime=0&seed=1&baud=115200&timeout=0.3"
    typed = ["scan", "--instrument", url, "--case", "C-1", "--exhibit", "E-1"]
    done = CliRunner().invoke(
        main, [*typed, "--operator", OPERATOR, "--store", str(tmp_path / "s")]
    )
    assert done.exit_code == 3, done.output
    error_line, *rest = _error_lines(done.output)
    shown = rf"error: sim:obp \(simulator on /dev/[^)]+\): {re.escape(said)}"
    assert re.fullmatch(shown, error_line), done.output
    assert rest == [recorded, f"to do: {advice}"], done.output
    if name == "get_raw_spectrum":  # what was recorded before the scan is there, and sound
        with Store(tmp_path / "s") as store:
            assert store.measurements("C-1", "E-1") == [] and verify_store(store).ok
