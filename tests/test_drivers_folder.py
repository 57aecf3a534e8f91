"""Folder driver: exports are read once, and only when completely written."""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from datetime import datetime, timezone

import pytest
from synthetic import make_spectrum

from drivers import folder as folder_driver
from drivers.errors import InstrumentTimeout, NotSupported, SettingError
from drivers.folder import FolderInstrument
from drivers.simulators.ftir_sim import FTIRFolderSimulator, export_bytes
from drivers.simulators.synth import simulate_ftir
from drivers.urls import open_instrument

IR_REFERENCE = make_spectrum(
    [(1700.0, 1.0, 20.0), (1250.0, 0.6, 30.0), (2950.0, 0.4, 40.0)],
    start=600.0,
    stop=4000.0,
    modality="ir",
    y_unit="absorbance",
    name="ester-like",
)


def _write_slowly(path, data, chunks=5, delay=0.12):
    size = -(-len(data) // chunks)
    with open(path, "wb") as handle:
        for start in range(0, len(data), size):
            handle.write(data[start : start + size])
            handle.flush()
            time.sleep(delay)


def test_a_file_written_in_chunks_is_read_only_once_complete(tmp_path):
    spectrum = simulate_ftir(IR_REFERENCE, seed=1)
    data = export_bytes(spectrum)
    with FolderInstrument(tmp_path, settle_s=0.3, poll_s=0.02) as folder:
        writer = threading.Thread(target=_write_slowly, args=(tmp_path / "scan1.csv", data))
        writer.start()
        result = folder.acquire(timeout_s=10)
        writer.join()
        assert len(result) == len(spectrum)  # every row, not the first chunk
        assert result.metadata["source_file"].endswith("scan1.csv")
        with pytest.raises(InstrumentTimeout, match="no new complete export"):
            folder.acquire(timeout_s=0.5)  # the same file is never read twice


def test_existing_and_partial_files_are_ignored(tmp_path):
    data = export_bytes(simulate_ftir(IR_REFERENCE, seed=2))
    (tmp_path / "old.csv").write_bytes(data)
    (tmp_path / "new.csv.part").write_bytes(data)
    with (
        FolderInstrument(tmp_path, settle_s=0.1, poll_s=0.02) as folder,
        pytest.raises(InstrumentTimeout),
    ):
        folder.acquire(timeout_s=0.4)
    with FolderInstrument(tmp_path, settle_s=0.1, poll_s=0.02, include_existing=True) as folder:
        assert folder.acquire(timeout_s=2).metadata["source_file"].endswith("old.csv")


def test_an_export_says_when_it_was_written_and_whether_it_was_there_before(tmp_path):
    """A report said "Acquired" at the time the toolkit read a weeks-old export."""
    data = export_bytes(simulate_ftir(IR_REFERENCE, seed=2))
    (tmp_path / "old.csv").write_bytes(data)
    weeks_ago = time.time() - 21 * 86400
    os.utime(tmp_path / "old.csv", (weeks_ago, weeks_ago))
    written = datetime.fromtimestamp(int(weeks_ago), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    with FolderInstrument(tmp_path, settle_s=0.1, poll_s=0.02, include_existing=True) as folder:
        old = folder.acquire(timeout_s=2)
        (tmp_path / "new.csv").write_bytes(data)
        new = folder.acquire(timeout_s=5)
    assert old.metadata["export_written_at"] == written
    assert old.metadata["acquired_at"] == written  # the export states no time of its own
    assert old.metadata["acquired_at_basis"] == "export written"
    assert old.metadata["export_found_at_start"] is True
    assert "export_found_at_start" not in new.metadata
    assert new.metadata["source_sha256"] == hashlib.sha256(data).hexdigest()


def test_what_the_caller_states_of_every_export_comes_last(tmp_path):
    """metadata={"acquired_at": ...} ended in a TypeError (two values for one keyword)."""
    (tmp_path / "a.csv").write_bytes(export_bytes(simulate_ftir(IR_REFERENCE, seed=2)))
    stated = {"acquired_at": "2026-11-20T10:00:00Z", "provenance": "simulated"}
    with FolderInstrument(
        tmp_path, settle_s=0.05, poll_s=0.01, include_existing=True, metadata=stated
    ) as folder:
        spectrum = folder.acquire(timeout_s=2)
    assert spectrum.metadata["acquired_at"] == "2026-11-20T10:00:00Z"
    assert spectrum.metadata["provenance"] == "simulated"


def test_simulated_ftir_through_the_url(tmp_path):
    with open_instrument(
        "sim:ftir?sample=ester&seed=4", sample_resolver=lambda text, modality: IR_REFERENCE
    ) as ftir:
        folder = ftir.inner.folder
        spectrum = ftir.acquire(timeout_s=10)
    assert spectrum.modality == "ir" and spectrum.y_unit in ("absorbance", "arbitrary")
    assert spectrum.metadata["provenance"] == "simulated"
    assert spectrum.wavenumber[0] == pytest.approx(650.0)
    assert not folder.exists()  # the temporary export folder is removed on close


def test_simulated_ftir_writes_in_chunks(tmp_path):
    simulator = FTIRFolderSimulator(IR_REFERENCE, tmp_path, chunks=3, chunk_delay_s=0.01, seed=1)
    path = simulator.write_export()
    assert path.read_bytes().startswith(b"wavenumber_cm-1,absorbance\n")
    simulator.close()
    assert path.exists()  # a caller's folder is never removed


def test_a_setting_the_instruments_own_software_makes_is_refused_not_dropped(tmp_path):
    # --integration-ms 20 to an FTIR was silently dropped: the spectrum came back as if it
    # had been applied (and the scan recorded it among its settings)
    with open_instrument(
        "sim:ftir?sample=ester&seed=4", sample_resolver=lambda text, modality: IR_REFERENCE
    ) as ftir:
        with pytest.raises(
            NotSupported,
            match=r"cannot apply integration_time_ms=20, averages=4: .* own software .* make "
            r"the setting there",
        ):
            ftir.acquire(timeout_s=10, integration_time_ms=20, averages=4)
        assert not list(ftir.inner.folder.iterdir())  # refused before the scan is triggered
        with pytest.raises(NotSupported, match=r"cannot apply dark=True: "):
            ftir.check_settings(dark=True)  # a switch reads as given, not as 1
        ftir.check_settings(timeout_s=5, integration_time_ms=None)  # None: not given
        assert len(ftir.acquire(timeout_s=10)) > 100


def test_an_export_that_vanishes_while_the_folder_is_scanned_is_not_a_candidate(
    tmp_path, monkeypatch
):
    # the instrument's software replacing its files crashed the driver with a traceback
    # (FileNotFoundError from the sort key) instead of waiting for the export
    data = export_bytes(simulate_ftir(IR_REFERENCE, seed=4))
    listed = folder_driver._is_candidate

    def listed_then_deleted(path):
        candidate = listed(path)
        if path.name.startswith("gone"):
            path.unlink(missing_ok=True)  # deleted between the listing and its status
        return candidate

    monkeypatch.setattr(folder_driver, "_is_candidate", listed_then_deleted)
    (tmp_path / "gone-before.csv").write_bytes(data)
    with FolderInstrument(tmp_path, settle_s=0.1, poll_s=0.02) as folder:
        (tmp_path / "gone-during.csv").write_bytes(data)
        (tmp_path / "scan.csv").write_bytes(data)
        assert folder.acquire(timeout_s=10).metadata["source_file"].endswith("scan.csv")


def test_the_folder_url_gives_the_wait_for_an_export(tmp_path):
    # a scan waited a fixed 120 s: an FTIR run that took longer recorded the receipt and no
    # spectrum, and its late export was skipped by the next scan as already there
    with open_instrument(f"folder://{tmp_path}?timeout=0.3&settle=0.1") as folder:
        assert folder.timeout_s == 0.3
        waited = r"no new complete export within 0\.3 s; to do: "
        with pytest.raises(InstrumentTimeout, match=waited) as e:
            folder.acquire()  # as a scan calls it: no wait of its own
    # the wait as an option of the command: a URL edited with '?' or '&' is easily mistyped,
    # and an unquoted '&' sent the scan to the background
    said = str(e.value)
    assert said.count("; to do: ") == 1, said
    assert e.value.advice.startswith(
        "for a measurement that takes longer, scan again with a longer wait, --timeout 600 "
        "(seconds); "
    ), said
    assert "&timeout" not in said and "?timeout" not in said, said
    with open_instrument(f"folder://{tmp_path}?timeout=7200") as folder:
        assert folder.timeout_s == 7200  # an FTIR run of many scans takes longer than 10 min
    with open_instrument(f"folder://{tmp_path}") as folder:
        assert folder.timeout_s == 120
    with pytest.raises(SettingError, match=r"timeout='0' is out of range"):
        open_instrument(f"folder://{tmp_path}?timeout=0")


def test_the_technician_is_told_to_start_the_measurement_and_how_long_it_waits(tmp_path):
    # a folder scan said only "acquiring from folder://..." and then nothing while it waited,
    # up to 120 s, for an export nobody had been told to start
    told = []
    with FolderInstrument(tmp_path, settle_s=0.1, poll_s=0.02, timeout_s=0.3) as folder:
        folder.on_notice = told.append
        with pytest.raises(InstrumentTimeout):
            folder.acquire()
    assert told == [
        f"start the measurement on the instrument now: waiting up to 0.3 s for its export in "
        f"{tmp_path}"
    ]


def test_a_simulated_ftir_says_that_it_measures_by_itself(tmp_path):
    told = []
    with open_instrument(
        "sim:ftir?sample=ester&seed=4", sample_resolver=lambda text, modality: IR_REFERENCE
    ) as ftir:
        ftir.on_notice = told.append  # set on the simulated instrument, heard from the driver
        ftir.acquire(timeout_s=10)
    assert told == ["measurement started: waiting up to 10 s for its export"]


def test_a_late_export_is_taken_as_the_timeout_says(tmp_path):
    # "an export written later is not taken by the next scan" said nothing of how to take it
    folder = tmp_path / "ftir exports"
    folder.mkdir()
    with (
        open_instrument(f"folder://{folder}?timeout=0.3&settle=0.1") as waiting,
        pytest.raises(InstrumentTimeout) as e,
    ):
        waiting.acquire()
    said = str(e.value)
    assert e.value.problem == f"folder://{folder}: no new complete export within 0.3 s"
    assert said.endswith(
        "; for an export written after the wait (the next scan takes only files that appear "
        f"after it starts), move every other file out of {folder} and scan again with "
        f"--instrument 'folder://{folder}?existing=1'"
    ), said
    (folder / "late.csv").write_bytes(export_bytes(simulate_ftir(IR_REFERENCE, seed=2)))
    (url,) = re.findall(r"--instrument '([^']+)'", said)  # as pasted: the shell drops quotes
    with open_instrument(url) as taking:
        taking.settle_s = 0.1
        late = taking.acquire(timeout_s=10)
    assert late.metadata["source_file"].endswith("late.csv")
    assert late.metadata["export_found_at_start"] is True  # its report says so
