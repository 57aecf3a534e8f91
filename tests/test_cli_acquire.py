"""``forensic acquire`` when its ``--out`` cannot be written once the laser has fired: the
spectrum is kept where a scan keeps one the store did not take, and the message says where
and how to put it where it was wanted."""

from __future__ import annotations

import dataclasses
import hashlib
import shlex
import shutil
import signal
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from stop_helpers import (
    SIMULATED_URL,
    stop_as_the_driver_closes,
    stop_as_the_spectrum_is_handed_over,
    stop_code,
    stop_said,
)
from synthetic import make_spectrum

import forensic.cli.instrument as instrument_cli
import forensic.files as forensic_files
from drivers.ocean_rs232 import OceanRS232Spectrometer, encode_command
from drivers.protocols import SERIAL_PROTOCOLS
from drivers.transport import SerialTransport
from forensic.cli import main
from forensic.errors import FormatError
from forensic.files import OutputError
from forensic.io import read_spectrum

ACQUIRED_AT = "2026-11-24T10:02:00Z"
MEASURED = make_spectrum(name="exhibit 12").with_metadata(
    acquired_at=ACQUIRED_AT, instrument_model="FAKE", instrument_serial="F1"
)


class _Device:
    """An instrument that measures :data:`MEASURED`, and runs ``meanwhile`` as it does (what
    happens to the output folder while the laser fires) and ``closing`` as it is closed."""

    meanwhile = staticmethod(lambda: None)
    closing = staticmethod(lambda: None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        type(self).closing()
        return False

    def acquire(self, **settings):
        type(self).meanwhile()
        return MEASURED


@pytest.fixture
def device(monkeypatch, tmp_path):
    """The fake instrument, and a user data folder of the test's own (where a kept spectrum
    goes first)."""
    monkeypatch.setattr("forensic.cli.instrument.open_instrument", lambda url, **kw: _Device())
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setattr(_Device, "meanwhile", staticmethod(lambda: None))
    monkeypatch.setattr(_Device, "closing", staticmethod(lambda: None))
    return _Device


def _ctrl_c() -> None:
    """Press Ctrl-C: a real SIGINT, handled where the program is when it comes."""
    signal.raise_signal(signal.SIGINT)


def _disk_full_at(folder: Path, monkeypatch) -> None:
    """Writing a file in ``folder`` fails as on a full disk, once the checks made before the
    laser fired have passed (the real writer's own check included)."""
    real = forensic_files.atomic_write_bytes

    def full(path, data, **kwargs):
        if Path(path).parent == folder:
            forensic_files.check_writable(path, **kwargs)
            raise OutputError(f"{path}: writing failed (No space left on device)")
        return real(path, data, **kwargs)

    monkeypatch.setattr("forensic.cli.instrument.atomic_write_bytes", full)


def _acquire(out: Path, *options: str):
    return CliRunner().invoke(
        main, ["acquire", "--instrument", "fake:x", "--out", str(out), *options]
    )


def test_a_spectrum_acquire_could_not_write_on_a_full_disk_is_kept_and_said_where(
    tmp_path, device, monkeypatch
):
    """The laser fired, then `error: X.jdx: writing failed (No space left on device)`, exit
    2 (bad input), no `to do:`: the measured spectrum was lost. The error names the option
    the file was given by, and the next line where the spectrum is instead."""
    van = tmp_path / "van"
    van.mkdir()
    out = van / "exhibit12.jdx"
    _disk_full_at(van, monkeypatch)
    result = _acquire(out)
    (kept,) = (tmp_path / "data" / "forensic" / "unrecorded-spectra").iterdir()
    digest = hashlib.sha256(kept.read_bytes()).hexdigest()
    assert kept.name == f"exhibit12_20261124T100200_{digest[:12]}.jdx"
    copy = f"cp -i {kept} {out}"
    assert (result.exit_code, result.output.splitlines()) == (
        5,
        [
            f"error: --out {out}: writing failed (No space left on device)",
            f"DO NOT MEASURE AGAIN: the spectrum is not in {out}, but kept in {kept}",
            f"to do: once {van} can be written, `{copy}` puts it where it was wanted",
        ],
    )
    assert not out.exists() and list(van.iterdir()) == []
    # the disk has room again: the command, pasted as printed, puts the spectrum in place
    monkeypatch.undo()
    subprocess.run(copy, shell=True, check=True, stdin=subprocess.DEVNULL)
    assert out.read_bytes() == kept.read_bytes()
    got = read_spectrum(out)
    assert (got.intensity == MEASURED.intensity).all()
    assert got.metadata["acquired_at"] == ACQUIRED_AT


def test_an_output_folder_gone_while_the_laser_fired_keeps_the_spectrum(tmp_path, device):
    """The folder checked before the laser fired is gone when the spectrum is written (a USB
    stick pulled and a file left in its place): a real failure, whoever runs the test (root
    writes into a folder chmod'ed read-only)."""
    stick = tmp_path / "stick"
    stick.mkdir()
    out = stick / "exhibit12.jdx"

    def pulled():
        shutil.rmtree(stick)
        stick.write_text("not a folder any more")

    device.meanwhile = staticmethod(pulled)
    result = _acquire(out, "--force")
    (kept,) = (tmp_path / "data" / "forensic" / "unrecorded-spectra").iterdir()
    error, recorded, to_do = result.output.splitlines()
    assert result.exit_code == 5, result.output
    assert error == f"error: --out {out}: {stick} is a file, not a folder"
    assert recorded == f"DO NOT MEASURE AGAIN: the spectrum is not in {out}, but kept in {kept}"
    # --force was given: the copy replaces the file there without asking, as acquire would have
    assert (
        to_do
        == f"to do: once {stick} can be written, `cp {kept} {out}` puts it where it was wanted"
    )
    assert read_spectrum(kept).metadata["acquired_at"] == ACQUIRED_AT


def test_a_spectrum_kept_in_the_temporary_folder_says_a_restart_may_empty_it(
    tmp_path, device, monkeypatch
):
    van = tmp_path / "van"
    van.mkdir()
    _disk_full_at(van, monkeypatch)
    blocked = tmp_path / "full"
    blocked.write_text("a file where the folder would be")
    last = tmp_path / "tmp" / "forensic-unrecorded-spectra"
    monkeypatch.setattr("forensic.custody.unrecorded.last_resort_folder", lambda: last)
    monkeypatch.setattr(
        "forensic.custody.unrecorded.kept_folders", lambda store: [blocked / "x", last]
    )
    result = _acquire(van / "a.jdx")
    (kept,) = last.iterdir()
    assert result.exit_code == 5, result.output
    assert result.output.splitlines()[1] == (
        f"DO NOT MEASURE AGAIN: the spectrum is not in {van / 'a.jdx'}, but kept in {kept}, in "
        "the temporary folder, which a restart may empty (copy the file to safe storage now)"
    )


def test_a_spectrum_that_could_be_kept_nowhere_is_said_lost(tmp_path, device, monkeypatch):
    """It exited 2, the code of a typing error, and said "it is lost" at the end of a long
    line, after the folders tried: measured and kept nowhere, the same command is to be run
    again once there is room, as a store's full disk says (75)."""
    van = tmp_path / "van"
    van.mkdir()
    out = van / "a.jdx"
    _disk_full_at(van, monkeypatch)
    blocked = tmp_path / "full"
    blocked.write_text("a file where the folder would be")
    monkeypatch.setattr(
        "forensic.custody.unrecorded.kept_folders", lambda store: [blocked / "x", blocked / "y"]
    )
    result = _acquire(out)
    assert result.exit_code == 75, result.output
    error, warning, to_do = result.output.splitlines()
    assert error == f"error: --out {out}: writing failed (No space left on device)"
    assert warning.startswith(
        f"WARNING: the measured spectrum is lost: it is not in {out}, and could not be kept in "
        f"a file elsewhere either ({blocked / 'x'}: "
    ), warning
    assert warning.endswith(f"{blocked} is a file, not a folder)")
    assert f"{blocked / 'y'}: " in warning
    assert to_do == (
        "to do: acquire again to measure it, with --out a file in a folder that can be written"
    )
    assert list(van.iterdir()) == [] and blocked.is_file()


def test_a_ctrl_c_while_acquire_writes_its_file_waits_until_the_file_is_whole(
    tmp_path, device, monkeypatch
):
    """A Ctrl-C half way through the file removed it and said `error: interrupted` alone: the
    laser had fired and the spectrum was lost without a word. The write is whole, then the
    stop says so, with its own exit code."""
    out = tmp_path / "exhibit12.jdx"
    real = forensic_files.atomic_write

    def ctrl_c_half_way(path, data, **kwargs):
        def write(handle):
            handle.write(data[: len(data) // 2])
            _ctrl_c()
            handle.write(data[len(data) // 2 :])

        return real(path, write, **kwargs)

    monkeypatch.setattr("forensic.cli.instrument.atomic_write_bytes", ctrl_c_half_way)
    result = _acquire(out)
    assert (result.exit_code, result.output.splitlines()) == (
        130,
        ["error: interrupted", f"the spectrum is written, whole, to {out}"],
    )
    got = read_spectrum(out)
    assert (got.intensity == MEASURED.intensity).all()
    assert got.metadata["acquired_at"] == ACQUIRED_AT
    assert [p.name for p in tmp_path.iterdir()] == ["exhibit12.jdx"]  # no .part left


def test_a_ctrl_c_after_the_laser_fired_and_before_the_file_keeps_the_spectrum(tmp_path, device):
    """A Ctrl-C as the instrument closed, the spectrum measured: `error: interrupted` alone,
    and the spectrum lost. It is kept as a spectrum --out could not take is, and said where."""
    out = tmp_path / "exhibit12.jdx"
    device.closing = staticmethod(_ctrl_c)
    result = _acquire(out, "--name", "exhibit 12b")
    (kept,) = (tmp_path / "data" / "forensic" / "unrecorded-spectra").iterdir()
    assert (result.exit_code, result.output.splitlines()) == (
        130,
        [
            "error: interrupted",
            f"DO NOT MEASURE AGAIN: the spectrum is not in {out}, but kept in {kept}",
            f"to do: `cp -i {kept} {out}` puts it where it was wanted",
        ],
    )
    assert not out.exists()
    got = read_spectrum(kept)
    assert (got.intensity == MEASURED.intensity).all()
    assert got.metadata["name"] == "exhibit 12b"  # the file it was to be


def test_a_ctrl_c_after_the_laser_fired_says_a_spectrum_kept_nowhere_is_lost(
    tmp_path, device, monkeypatch
):
    blocked = tmp_path / "full"
    blocked.write_text("a file where the folder would be")
    monkeypatch.setattr("forensic.custody.unrecorded.kept_folders", lambda store: [blocked / "x"])
    device.closing = staticmethod(_ctrl_c)
    out = tmp_path / "exhibit12.jdx"
    result = _acquire(out)
    error, warning, to_do = result.output.splitlines()
    assert (result.exit_code, error, to_do) == (
        130,
        "error: interrupted",
        "to do: acquire again to measure it",
    )
    assert warning.startswith(
        f"WARNING: the measured spectrum is lost: it is not in {out}, and could not be kept "
    )
    assert not out.exists()


def test_acquire_from_an_ftir_says_its_settings_are_its_software_s_not_a_question_mark(
    tmp_path,
):
    # an FTIR has no integration time: the line said "? ms x 1"
    out = tmp_path / "ftir.jdx"
    result = CliRunner().invoke(
        main, ["acquire", "--instrument", "sim:ftir?sample=caffeine", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"wrote {out}: 838 points 650-3998 cm-1, Simulated FTIR (forensic simulator) SIMFTIR, "
        "scans and resolution as set in the instrument's software (its export does not say), "
        "provenance simulated\n"
    )


@pytest.mark.parametrize(
    ("modality", "settings", "said"),
    [
        ("ir", {"resolution_cm1": 4.0, "averages": 32}, "resolution 4 cm-1, 32 scans"),
        ("ir", {"averages": 1}, "1 scan"),
        ("raman", {"integration_time_ms": 250.0, "averages": 4}, "250.0 ms x 4"),
        (
            "raman",
            {},
            "integration time and scans as set in the instrument's software (its "
            "export does not say)",
        ),
    ],
)
def test_acquire_says_the_settings_its_spectrum_records(
    tmp_path, device, monkeypatch, modality, settings, said
):
    measured = make_spectrum(modality=modality, stop=3000.0).with_metadata(
        acquired_at=ACQUIRED_AT, **settings
    )
    monkeypatch.setattr(_Device, "acquire", lambda self, **kw: measured)
    out = tmp_path / "x.jdx"
    result = CliRunner().invoke(main, ["acquire", "--instrument", "fake:", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"wrote {out}: 2801 points 200-3000 cm-1, instrument not named, {said}, provenance "
        "measured\n"
    )


def _kept_by_the_stop(result, out: Path, tmp_path: Path, stop: str) -> Path:
    """The file a stop of ``acquire`` (``--out out``) kept its spectrum in, once its last lines
    say so: the stop, ``DO NOT MEASURE AGAIN`` with where, and the copy that puts it at ``out``."""
    (kept,) = (tmp_path / "data" / "forensic" / "unrecorded-spectra").iterdir()
    assert (result.exit_code, result.output.splitlines()[-3:]) == (
        stop_code(stop),
        [
            stop_said(stop),
            f"DO NOT MEASURE AGAIN: the spectrum is not in {out}, but kept in {kept}",
            f"to do: `cp -i {kept} {out}` puts it where it was wanted",
        ],
    )
    return kept


def test_a_stop_as_the_real_driver_closes_keeps_what_acquire_measured(tmp_path, monkeypatch):
    """The same stop through the real driver, on a simulated instrument over a pty: a `kill`
    as the port is closed, the spectrum measured, keeps it, and says where (exit 143)."""
    closed = stop_as_the_driver_closes(monkeypatch, tmp_path, "SIGTERM")
    out = tmp_path / "exhibit12.jdx"
    result = CliRunner().invoke(main, ["acquire", "--instrument", SIMULATED_URL, "--out", str(out)])
    kept = _kept_by_the_stop(result, out, tmp_path, "SIGTERM")  # exit 143
    assert not out.exists() and not closed[0].transport.is_open
    got = read_spectrum(kept)
    assert got.metadata["provenance"] == "simulated" and len(got) > 100


def _writer_failing_with(failure: Exception, monkeypatch) -> None:
    """The writer of --out's format (JCAMP-DX) raises ``failure`` on the spectrum it is given,
    once the laser has fired: its name was checked before, as always."""
    real = instrument_cli.spectrum_writer

    def writer(path, **kwargs):
        def write(spectrum):
            raise failure

        return dataclasses.replace(real(path, **kwargs), write=write)

    monkeypatch.setattr(instrument_cli, "spectrum_writer", writer)


def test_a_writer_that_fails_once_the_real_driver_measured_keeps_the_spectrum_as_csv(
    tmp_path, monkeypatch
):
    """The JCAMP-DX writer raised on the spectrum the real driver measured (over a pty): a
    traceback, and the spectrum, the laser fired on the sample, lost. It is kept as our CSV,
    which reads back whole, exit 5 as every spectrum kept in a file, and the command that
    writes it where it was wanted once the writer is put right."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    _writer_failing_with(ValueError("no label for metadata 'Å'"), monkeypatch)
    out = tmp_path / "exhibit12.jdx"
    url = "sim:ocean-rs232?sample=cocaine&realtime=0&seed=1"
    result = CliRunner().invoke(
        main, ["acquire", "--instrument", url, "--out", str(out), "--name", "exhibit 12"]
    )
    (kept,) = (tmp_path / "data" / "forensic" / "unrecorded-spectra").iterdir()
    assert kept.suffix == ".csv" and kept.name.startswith("exhibit12_")
    convert = f"forensic convert {kept} {out}"
    assert (result.exit_code, result.stderr.splitlines()) == (
        5,
        [
            f"error: --out {out}: writing the spectrum failed on an unexpected error "
            "(ValueError: no label for metadata 'Å')",
            f"DO NOT MEASURE AGAIN: the spectrum is not in {out}, but kept in {kept}, as our CSV "
            "(its metadata and history with it), which every forensic command reads",
            "to do: report this bug in the toolkit, with this message; once what failed is put "
            f"right, `{convert}` writes it where it was wanted",
        ],
    )
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["data"]
    got = read_spectrum(kept)
    assert got.metadata["name"] == "exhibit 12" and got.metadata["provenance"] == "simulated"
    assert got.metadata["instrument_serial"] == "SIM87013" and len(got) == 2048
    # the writer put right: the command, pasted as printed, writes the file --out was to be
    monkeypatch.undo()
    converted = CliRunner().invoke(main, shlex.split(convert)[1:])
    assert converted.exit_code == 0, converted.output
    written = read_spectrum(out)
    assert (written.intensity == got.intensity).all()
    assert (written.wavenumber == got.wavenumber).all()
    assert written.metadata["acquired_at"] == got.metadata["acquired_at"]


def test_a_writer_s_own_error_keeps_the_spectrum_and_reports_no_bug(tmp_path, device, monkeypatch):
    """An error of the toolkit's own from the writer keeps its words; nothing says it is a
    bug to report."""
    _writer_failing_with(FormatError("metadata 'x' cannot be written as JCAMP-DX"), monkeypatch)
    out = tmp_path / "exhibit12.jdx"
    result = _acquire(out, "--force")
    (kept,) = (tmp_path / "data" / "forensic" / "unrecorded-spectra").iterdir()
    assert (result.exit_code, result.output.splitlines()) == (
        5,
        [
            f"error: --out {out}: metadata 'x' cannot be written as JCAMP-DX",
            f"DO NOT MEASURE AGAIN: the spectrum is not in {out}, but kept in {kept}, as our CSV "
            "(its metadata and history with it), which every forensic command reads",
            f"to do: once what failed is put right, `forensic convert {kept} {out} --force` "
            "writes it where it was wanted",
        ],
    )
    assert (read_spectrum(kept).intensity == MEASURED.intensity).all()


def test_an_unforeseen_os_error_writing_the_file_keeps_the_spectrum(tmp_path, device, monkeypatch):
    """An error the writing did not foresee (a bare OSError, not the toolkit's OutputError)
    escaped as a traceback, the spectrum lost."""

    def unforeseen(path, data, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("forensic.cli.instrument.atomic_write_bytes", unforeseen)
    van = tmp_path / "van"
    van.mkdir()
    out = van / "exhibit12.jdx"
    result = _acquire(out)
    (kept,) = (tmp_path / "data" / "forensic" / "unrecorded-spectra").iterdir()
    assert (result.exit_code, result.output.splitlines()) == (
        5,
        [
            f"error: --out {out}: writing the spectrum failed on an unexpected error "
            "(PermissionError: [Errno 13] Permission denied)",
            f"DO NOT MEASURE AGAIN: the spectrum is not in {out}, but kept in {kept}",
            f"to do: once {van} can be written, `cp -i {kept} {out}` puts it where it was wanted",
        ],
    )
    assert kept.suffix == ".jdx" and read_spectrum(kept).metadata["acquired_at"] == ACQUIRED_AT


def test_a_ctrl_c_after_the_laser_fired_with_a_failing_writer_keeps_the_spectrum_as_csv(
    tmp_path, device, monkeypatch
):
    """The stop made the file the spectrum was to be, and the writer raised there: the stop
    ended in a traceback, the spectrum lost. Kept as CSV, saying why, with the stop's code."""
    _writer_failing_with(ValueError("no label for metadata 'Å'"), monkeypatch)
    device.closing = staticmethod(_ctrl_c)
    out = tmp_path / "exhibit12.jdx"
    result = _acquire(out)
    (kept,) = (tmp_path / "data" / "forensic" / "unrecorded-spectra").iterdir()
    assert (result.exit_code, result.output.splitlines()) == (
        130,
        [
            "error: interrupted",
            f"DO NOT MEASURE AGAIN: the spectrum is not in {out}, but kept in {kept}, as our CSV "
            "(its metadata and history with it), which every forensic command reads: writing "
            "it as JCAMP-DX 4.24/5.x failed (ValueError: no label for metadata 'Å')",
            "to do: report this bug in the toolkit, with this message; once what failed is put "
            f"right, `forensic convert {kept} {out}` writes it where it was wanted",
        ],
    )
    assert (read_spectrum(kept).intensity == MEASURED.intensity).all()


def test_a_stop_as_the_driver_switches_the_laser_off_on_closing_releases_the_port(
    tmp_path, monkeypatch
):
    """A `kill` while the real driver sent the laser-off on closing (over a pty to a simulated
    instrument that stays up) left the port open, its lock held: the next command was refused
    the port as held by another program, until the instrument was unplugged. The laser-off is
    sent, the port released, the spectrum kept as a stop there keeps it, and the port opens
    again."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    laser_off = encode_command("J", 0)
    real_close, real_write = OceanRS232Spectrometer.close, SerialTransport.write
    closing, sent = [], []

    def close(self):
        closing.append(self)
        real_close(self)

    def write(self, data):
        if closing and bytes(data) == laser_off and not sent:
            signal.raise_signal(signal.SIGTERM)  # as the laser-off goes out, on closing
        real_write(self, data)
        if closing:
            sent.append(bytes(data))

    monkeypatch.setattr(OceanRS232Spectrometer, "close", close)
    monkeypatch.setattr(SerialTransport, "write", write)
    out = tmp_path / "exhibit12.jdx"
    with SERIAL_PROTOCOLS["ocean-rs232"].simulator(
        make_spectrum(name="cocaine-like"), seed=1, realtime=False
    ) as sim:
        url = f"ocean-rs232://{sim.device_path}"
        result = CliRunner().invoke(main, ["acquire", "--instrument", url, "--out", str(out)])
        kept = _kept_by_the_stop(result, out, tmp_path, "SIGTERM")  # exit 143
        assert sent == [laser_off]  # the laser-off went out whole, the stop held meanwhile
        assert not closing[0].transport.is_open
        with SerialTransport(sim.device_path) as again:  # not held: the next command has it
            assert again.is_open
    assert not out.exists()
    assert read_spectrum(kept).metadata["instrument_serial"].startswith("SIM")


@pytest.mark.parametrize("stop", ["SIGINT", "SIGTERM"])
def test_a_stop_as_the_driver_hands_the_spectrum_over_keeps_it(tmp_path, monkeypatch, stop):
    """A stop that came once the real driver had returned the spectrum and before the command
    held it (the metadata of the simulated sample added on its way out) ended `acquire` with
    `error: interrupted` alone: the laser had fired, and the spectrum was lost. It waits until
    the command holds the spectrum, which is then kept as any stop once it is measured keeps
    it."""
    handed = stop_as_the_spectrum_is_handed_over(monkeypatch, tmp_path, stop)
    out = tmp_path / "exhibit12.jdx"
    result = CliRunner().invoke(main, ["acquire", "--instrument", SIMULATED_URL, "--out", str(out)])
    kept = _kept_by_the_stop(result, out, tmp_path, stop)
    assert not out.exists()
    got = read_spectrum(kept)
    assert (got.intensity == handed[0].intensity).all()
    assert got.metadata["acquired_at"] == handed[0].metadata["acquired_at"]


def _probe_refused(folder: Path, monkeypatch) -> None:
    """Creating a file in ``folder`` is refused as a folder without write permission refuses
    it, whoever runs the test (root writes into a folder chmod'ed read-only)."""
    real = forensic_files.os.open

    def refused(path, *args, **kwargs):
        if Path(path).parent == folder:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(forensic_files.os, "open", refused)


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("exhibit12.txt", "cannot choose a writer for extension '.txt': use .jdx, .dx or .csv"),
        ("exhibit12.jdx", "cannot be written (Permission denied)"),
        ("there.jdx", "already exists; not overwritten (use --force to replace it)"),
    ],
)
def test_an_out_refused_before_the_laser_fires_names_the_option_and_says_nothing_was_measured(
    tmp_path, device, monkeypatch, name, said
):
    """`error: /van/exhibit12.txt: cannot choose a writer ...`: a path alone, which the
    technician had to match to an option, and no word of whether the laser had fired."""
    van = tmp_path / "van"
    van.mkdir()
    (van / "there.jdx").write_text("an earlier spectrum")
    _probe_refused(van, monkeypatch)
    device.meanwhile = staticmethod(lambda: pytest.fail("the laser fired"))
    out = van / name
    result = _acquire(out)
    assert (result.exit_code, result.output.splitlines()) == (
        2,
        [f"error: --out {out}: {said}", "nothing was measured"],
    )
    assert sorted(p.name for p in van.iterdir()) == ["there.jdx"]
    assert (van / "there.jdx").read_text() == "an earlier spectrum"
    assert not (tmp_path / "data").exists()  # nothing kept: nothing was measured


def test_permission_denied_once_the_laser_fired_names_the_option_and_where_the_spectrum_is(
    tmp_path, device, monkeypatch
):
    """The folder's permissions changed while the laser fired (another user's share, a USB
    stick remounted read-only): the error names --out and its path, the next line where the
    spectrum is instead, and nothing is left in the folder."""
    van = tmp_path / "van"
    van.mkdir()
    out = van / "exhibit12.jdx"
    device.meanwhile = staticmethod(lambda: _probe_refused(van, monkeypatch))
    result = _acquire(out)
    (kept,) = (tmp_path / "data" / "forensic" / "unrecorded-spectra").iterdir()
    assert (result.exit_code, result.output.splitlines()) == (
        5,
        [
            f"error: --out {out}: cannot be written (Permission denied)",
            f"DO NOT MEASURE AGAIN: the spectrum is not in {out}, but kept in {kept}",
            f"to do: once {van} can be written, `cp -i {kept} {out}` puts it where it was wanted",
        ],
    )
    assert list(van.iterdir()) == []
    assert (read_spectrum(kept).intensity == MEASURED.intensity).all()
