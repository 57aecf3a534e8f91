"""Instrument URLs, the sample resolver, USB (seabreeze) and the command line."""

from __future__ import annotations

import importlib.util
import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading

import pytest
from click.testing import CliRunner
from driver_helpers import DEFERRED_SCAN, REFUSED_SCAN, UNKNOWN_SERIAL, obp_answers_with_error
from synthetic import make_spectrum

from drivers import transport as transport_module
from drivers.errors import (
    DAMAGED_FRAME_ADVICE,
    DEFERRED_ADVICE,
    DISCONNECTED_ADVICE,
    FIND_INSTRUMENTS_HINT,
    INTERLOCK_ADVICE,
    REFUSED_ADVICE,
    UNKNOWN_MESSAGE_ADVICE,
    InstrumentDisconnected,
    NoAnswer,
    NotSupported,
    NotThisProtocol,
    SettingError,
    SettingsRefused,
)
from drivers.seabreeze_usb import SeabreezeSpectrometer, list_usb_spectrometers
from drivers.simulators.obp_sim import OBPSimulator
from drivers.simulators.ocean_sim import OceanRS232Simulator
from drivers.transport import SerialTransport
from drivers.urls import open_instrument, parse_instrument_url
from forensic.cli import main
from forensic.errors import LibraryError
from forensic.io import read_spectrum, write_spectrum
from forensic.samples import resolve_sample

REFERENCE = make_spectrum(name="polystyrene-like")


@pytest.fixture
def sample_file(tmp_path):
    return write_spectrum(REFERENCE, tmp_path / "reference.jdx")


def test_urls_parse():
    assert parse_instrument_url("ocean-rs232:///dev/ttyUSB0?baud=9600") == (
        "ocean-rs232",
        "/dev/ttyUSB0",
        {"baud": "9600"},
    )
    assert parse_instrument_url("obp:///dev/ttyACM0")[:2] == ("obp", "/dev/ttyACM0")
    assert parse_instrument_url("ocean-rs232:socket://lab-pc:7000")[1] == "socket://lab-pc:7000"
    assert parse_instrument_url("seabreeze:FLMS01234")[1] == "FLMS01234"
    assert parse_instrument_url("folder:///data/exports")[1] == "/data/exports"
    assert parse_instrument_url("sim:obp?sample=/x/y.txt&fault=nak")[2] == {
        "sample": "/x/y.txt",
        "fault": "nak",
    }
    with pytest.raises(SettingError, match="unknown instrument URL"):
        parse_instrument_url("http://example")
    with pytest.raises(SettingError) as refused:
        parse_instrument_url("obp:///dev/ttyACM0?bauds=9600")
    assert str(refused.value) == (
        "obp:///dev/ttyACM0?bauds=9600: obp does not use bauds; it accepts baud, laser_mw, "
        "laser_nm, pace, timeout"
    )
    with pytest.raises(SettingError, match="unknown fault 'melt'"):
        open_instrument("sim:obp?sample=x&fault=melt", sample_resolver=lambda t, m: REFERENCE)


@pytest.mark.parametrize(
    ("url", "said"),
    [
        (  # a slip of the fingers: difflib, as the other typo hints
            "ocean-rs323:///dev/ttyUSB0",
            "unknown instrument URL 'ocean-rs323:///dev/ttyUSB0': did you mean "
            "ocean-rs232:///dev/ttyUSB0?",
        ),
        (
            "foldr:///mnt/ftir",
            "unknown instrument URL 'foldr:///mnt/ftir': did you mean folder:///mnt/ftir?",
        ),
        (  # a port without the protocol of the instrument on it
            "/dev/ttyUSB0",
            "/dev/ttyUSB0 is a port, not an instrument URL: give the protocol of the instrument "
            "on it, ocean-rs232:///dev/ttyUSB0 or obp:///dev/ttyUSB0",
        ),
        (
            "COM3",
            "COM3 is a port, not an instrument URL: give the protocol of the instrument on it, "
            "ocean-rs232://COM3 or obp://COM3",
        ),
        (
            "http://example",
            "unknown instrument URL 'http://example': expected one of ocean-rs232:..., obp:..., "
            "seabreeze:..., folder:..., sim:...",
        ),
    ],
)
def test_a_url_that_names_no_instrument_says_which_was_meant(url, said):
    with pytest.raises(SettingError) as refused:
        parse_instrument_url(url)
    assert str(refused.value) == said


@pytest.mark.parametrize(
    ("url", "said"),
    [
        (  # the simulated FTIR writes files: no serial line, no frames, no exposure to wait out
            "sim:ftir?sample=x&baud=9600",
            "sim:ftir?sample=x&baud=9600: sim:ftir does not use baud; it accepts sample, seed, "
            "timeout",
        ),
        (
            "sim:ftir?sample=x&pace=0&fault=nak&realtime=0",
            "sim:ftir?sample=x&pace=0&fault=nak&realtime=0: sim:ftir does not use fault, pace or "
            "realtime; it accepts sample, seed, timeout",
        ),
        (  # the kind, not the scheme, says what a sim: URL uses, in any letter case
            "SIM:FTIR?sample=x&baud=9600",
            "SIM:FTIR?sample=x&baud=9600: sim:ftir does not use baud; it accepts sample, seed, "
            "timeout",
        ),
        (  # nor does a simulator on a pty take what its port does not: the laser is simulated
            "sim:obp?sample=x&laser_nm=785",
            "sim:obp?sample=x&laser_nm=785: sim:obp does not use laser_nm; it accepts baud, "
            "fault, pace, realtime, sample, seed, timeout",
        ),
        (
            "folder:///mnt/ftir?baud=9600",
            "folder:///mnt/ftir?baud=9600: folder does not use baud; it accepts existing, "
            "settle, timeout",
        ),
        (
            "seabreeze:?timeout=5",
            "seabreeze:?timeout=5: seabreeze does not use timeout; it accepts laser_mw, laser_nm",
        ),
    ],
)
def test_a_parameter_the_instrument_does_not_use_is_refused_never_ignored(url, said):
    # sim:ftir?baud=9600 was taken, the baud dropped: the technician believed it did something
    with pytest.raises(SettingError) as refused:
        open_instrument(url, sample_resolver=lambda t, m: REFERENCE)
    assert str(refused.value) == said


def test_sim_ftir_takes_the_parameters_it_uses():
    ir = make_spectrum(start=600.0, stop=4000.0, modality="ir", y_unit="absorbance")
    url = "sim:ftir?sample=x&seed=2&timeout=30"
    with open_instrument(url, sample_resolver=lambda t, m: ir) as device:
        assert device.inner.timeout_s == 30.0  # the folder's wait for the export
        assert device.simulator.seed == 2


def test_a_folder_without_its_scheme_is_given_the_folder_url(tmp_path):
    with pytest.raises(SettingError) as refused:
        parse_instrument_url(str(tmp_path))
    assert str(refused.value) == (
        f"{tmp_path} is a folder: for an instrument that exports into it, give folder://{tmp_path}"
    )


def test_url_schemes_are_case_insensitive():
    # OBP:///dev/ttyACM0 was refused as unknown (RFC 3986: schemes are case-insensitive)
    assert parse_instrument_url("OBP:///dev/ttyACM0")[:2] == ("obp", "/dev/ttyACM0")
    assert parse_instrument_url("Ocean-RS232:///dev/ttyUSB0")[0] == "ocean-rs232"
    with open_instrument("SIM:OBP?sample=x", sample_resolver=lambda t, m: REFERENCE) as device:
        assert device.info.serial.startswith("SIMOBP")


@pytest.mark.parametrize(
    "query",
    ["timeout=nan", "timeout=inf", "timeout=-1", "timeout=0", "laser_nm=0", "baud=-9600"],
)
def test_a_url_number_that_cannot_be_meant_is_refused_before_the_port_opens(query):
    """NaN or infinity waited for ever, -1 was read as a broken cable, 0 silently as 1 s."""
    key, _, value = query.partition("=")
    with pytest.raises(SettingError, match=rf"URL parameter {key}='{value}' is out of range"):
        open_instrument(f"ocean-rs232:///dev/ttyNOPE?{query}")
    with pytest.raises(SettingError, match=r"settle='0' is out of range: .* seconds"):
        open_instrument("folder:///tmp?settle=0")


def test_sim_url_drives_the_real_driver(sample_file):
    url = f"sim:ocean-rs232?sample={sample_file}&seed=1"
    with open_instrument(url, sample_resolver=resolve_sample) as device:
        assert device.simulator.device_path.startswith("/dev/")
        spectrum = device.acquire(integration_time_ms=20)
    assert spectrum.metadata["provenance"] == "simulated"
    assert spectrum.metadata["simulated_from"] == "polystyrene-like"
    assert device.simulator.closed  # closing the instrument stops its simulator


def test_missing_port_is_a_clear_error():
    # a technician who guessed the port is told where to find the right one, once: it said
    # "[Errno 2] could not open port /dev/ttyNOPE: [Errno 2] No such file or directory: ..."
    with pytest.raises(InstrumentDisconnected) as missing:
        open_instrument("ocean-rs232:///dev/ttyNOPE")
    assert str(missing.value) == (
        "cannot open /dev/ttyNOPE: no such port; to do: run `forensic instrument list` to see "
        "which instruments are connected"
    )
    assert missing.value.advice == FIND_INSTRUMENTS_HINT


def test_a_file_that_is_not_a_serial_port_is_said_to_be_one(tmp_path):
    # /dev/null gave "Could not configure port: (25, 'Inappropriate ioctl for device')"
    with pytest.raises(InstrumentDisconnected) as refused:
        open_instrument("ocean-rs232:///dev/null")
    assert str(refused.value) == (
        f"cannot open /dev/null: not a serial port; to do: {FIND_INSTRUMENTS_HINT}"
    )
    with pytest.raises(InstrumentDisconnected) as folder:
        open_instrument(f"obp://{tmp_path}")
    assert str(folder.value) == (
        f"cannot open {tmp_path}: a folder, not a serial port; to do: for an instrument "
        f"exporting into it, give the URL folder://{tmp_path}"
    )


HOLD_PORT = (
    "import sys, time, serial; port = serial.Serial(sys.argv[1], exclusive=True); "
    "print('holding', flush=True); time.sleep(60)"
)


@pytest.mark.skipif(not transport_module.PROC.is_dir(), reason="no /proc to tell who holds it")
def test_a_port_another_program_holds_names_that_program(tmp_path):
    # "another program holds the port" did not say which: here, a scan still running in
    # another terminal, which the technician can now find and end
    master, slave = os.openpty()
    device = os.ttyname(slave)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_PORT, device],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(InstrumentDisconnected) as held:
            SerialTransport(device)
        said = held.value.problem
        assert said.startswith(f"cannot open {device}: another program holds the port: ")
        program = os.path.basename(sys.executable)  # its name: its folder is not needed
        assert f"pid {holder.pid} ({program} -c import sys, time, serial; port = " in said
        assert said.endswith("...)")  # its command line cut to 80 characters
        assert held.value.advice == "close it first, then scan again"
        # where the system does not tell (no /proc), nothing more is said
        assert transport_module.port_holders(device, proc=tmp_path / "none") == []
        assert transport_module.port_holders(device, proc=tmp_path) == []
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
        os.close(master)
        os.close(slave)


@pytest.mark.parametrize(
    ("asked", "served", "error"),
    [("ocean-rs232", "obp", NoAnswer), ("obp", "ocean-rs232", NotThisProtocol)],
)
def test_a_port_that_speaks_the_other_protocol_is_named_with_the_url_to_use(asked, served, error):
    # the Ocean RS-232 driver on an OBP instrument said "a spectrometer still busy with an
    # exposure ... connect again", and the reverse "check the cable, power and baud rate"
    cls = OBPSimulator if served == "obp" else OceanRS232Simulator
    with cls(REFERENCE, seed=1) as sim:
        with pytest.raises(error) as wrong:
            open_instrument(f"{asked}://{sim.device_path}?timeout=0.2")
        with open_instrument(f"{served}://{sim.device_path}"):  # as the message says
            pass
    said = {"obp": "an OBP (Ocean Binary Protocol) instrument"}
    said["ocean-rs232"] = "an Ocean RS-232 spectrometer"
    assert str(wrong.value) == (
        f"{sim.device_path}: this port answers as {said[served]}, not as {said[asked]}; to do: "
        f"give the instrument's URL as {served}://{sim.device_path}, then scan again"
    )


def test_missing_usb_spectrometer_says_how_to_find_one(monkeypatch):
    class Spectrometer:
        @staticmethod
        def from_serial_number(serial):
            raise RuntimeError(f"No device attached with serial number '{serial}'")

    fake = type("seabreeze", (), {"Spectrometer": Spectrometer})
    monkeypatch.setattr("drivers.seabreeze_usb._seabreeze", lambda: fake)
    with pytest.raises(
        InstrumentDisconnected,
        match=r"seabreeze:FLMS0: no such USB spectrometer .*run `forensic instrument list`",
    ):
        open_instrument("seabreeze:FLMS0")


def test_resolve_sample_by_file_and_by_name(tmp_path, sample_file):
    assert resolve_sample(str(sample_file), "raman").name == "polystyrene-like"
    (tmp_path / "raman").mkdir()
    write_spectrum(REFERENCE, tmp_path / "raman" / "ps.jdx")
    (tmp_path / "manifest.csv").write_text(
        "id,file,name,synonyms,cas,class,legal_control,salt_form,modality,provenance,source,"
        "licence,added_by,added_at\n"
        "ps-raman,raman/ps.jdx,Polystyrene,PS;styrofoam,9003-53-6,polymer,,,raman,modelled,,,,\n"
    )
    found = resolve_sample("STYROFOAM", "raman", library_dir=tmp_path)
    assert found.metadata["name"] == "Polystyrene" and found.metadata["provenance"] == "modelled"
    with pytest.raises(LibraryError, match="close names: Polystyrene"):
        resolve_sample("polystyren", "raman", library_dir=tmp_path)
    os.remove(tmp_path / "manifest.csv")
    with pytest.raises(LibraryError, match=r"no library manifest.*folder holds: raman"):
        resolve_sample("Polystyrene", "raman", library_dir=tmp_path)


def test_a_sample_name_is_compared_as_the_library_compares_names():
    """A URL's ``sample=`` has no easy space: the name written with hyphens or underscores, in
    any letter case, is the shipped library's substance, as every other name lookup takes it."""
    written = ("cocaine-hydrochloride", "Cocaine_Hydrochloride", " COCAINE HYDROCHLORIDE ")
    for text in written:
        assert resolve_sample(text, "raman").metadata["name"] == "Cocaine hydrochloride", text
    with pytest.raises(LibraryError, match="close names: Cocaine hydrochloride"):
        resolve_sample("cocaine-hydrochlorid", "raman")


@pytest.mark.parametrize(
    ("typed", "close"),
    [
        ("cokaine", "close names: Cocaine base, Cocaine hydrochloride, "),
        ("levamizole", "close names: Levamisole hydrochloride$"),
        ("heroine", "close names: Heroin base, "),
    ],
)
def test_a_sample_name_mistyped_is_offered_what_it_is_close_to_among_synonyms_too(typed, close):
    """Close names were looked for among the names alone, as typed, letter case and all:
    'cokaine' was offered Benzocaine, Codeine, Cyclohexane, Xylazine and Morphine, not
    cocaine (a synonym of both salt forms), and 'levamizole' only Alprazolam."""
    with pytest.raises(LibraryError) as refused:
        resolve_sample(typed, "raman")
    assert re.search(close, str(refused.value)), str(refused.value)
    assert str(refused.value).startswith(f"no file and no raman library entry named {typed!r}; ")


def test_cut_sample_is_the_weighted_sum_of_its_parts(tmp_path):
    drug = make_spectrum([(1000.0, 2.0, 8.0)], start=200, stop=3000, name="drug")
    agent = make_spectrum([(1500.0, 5.0, 8.0)], start=400, stop=3200, step=0.5, name="agent")
    files = [write_spectrum(s, tmp_path / f"{s.name}.jdx") for s in (drug, agent)]
    cut = resolve_sample(f"{files[0]}:75, {files[1]}:25", "raman")
    assert cut.metadata == {"name": "drug 75 % + agent 25 %", "provenance": "modelled"}
    # the range both cover, on the finer axis; each part scaled to a maximum of 1
    assert cut.wavenumber[0] == 400.0 and cut.wavenumber[-1] == 3000.0
    assert float(cut.wavenumber[1] - cut.wavenumber[0]) == 0.5
    at = {w: float(cut.intensity[cut.wavenumber == w][0]) for w in (1000.0, 1500.0)}
    assert at[1000.0] == pytest.approx(0.75, abs=0.01)
    assert at[1500.0] == pytest.approx(0.25, abs=0.01)
    # without shares the parts weigh the same
    even = resolve_sample(f"{files[0]},{files[1]}", "raman")
    assert float(even.intensity[even.wavenumber == 1000.0][0]) == pytest.approx(0.5, abs=0.01)


def test_cut_sample_of_ir_parts_adds_absorbances(tmp_path):
    band = make_spectrum(
        [(1700.0, 0.9, 10.0)], start=400, stop=4000, modality="ir", y_unit="transmittance"
    )
    t_file = write_spectrum(band.replace(intensity=1.0 - band.intensity), tmp_path / "t.jdx")
    cut = resolve_sample(f"{t_file}:1,{t_file}:1", "ir")
    assert cut.y_unit == "absorbance"
    peak = float(cut.wavenumber[cut.intensity.argmax()])
    assert peak == pytest.approx(1700.0, abs=1.0)


def test_cut_sample_errors_say_what_is_wrong(tmp_path, sample_file):
    with pytest.raises(LibraryError, match="share of 'x' must be a positive number"):
        resolve_sample(f"x:abc,{sample_file}", "raman")
    with pytest.raises(LibraryError, match="must be a positive number"):
        resolve_sample(f"{sample_file}:0,{sample_file}", "raman")
    with pytest.raises(LibraryError, match="an empty part between commas"):
        resolve_sample(f"{sample_file},,{sample_file}", "raman")
    far = write_spectrum(make_spectrum(start=3300, stop=3600, name="far"), tmp_path / "far.jdx")
    with pytest.raises(LibraryError, match="share no range"):
        resolve_sample(f"{sample_file},{far}", "raman")
    ir = write_spectrum(make_spectrum(modality="ir", start=400, stop=3200), tmp_path / "ir.jdx")
    with pytest.raises(LibraryError, match="not all raman spectra"):
        resolve_sample(f"{sample_file},{ir}", "raman")


def test_a_cut_sample_with_a_share_for_some_parts_only_is_refused(sample_file, tmp_path):
    """``cocaine:65,levamisole`` weighed levamisole 1 against cocaine's 65 (1.5 % of the
    signal), the simulated sample nearly pure cocaine, nothing said."""
    with pytest.raises(LibraryError) as refused:
        resolve_sample("cocaine:65,levamisole", "raman")
    assert str(refused.value) == (
        "cut sample 'cocaine:65,levamisole': 'levamisole' has no share: give every part its "
        "share (e.g. cocaine:65,levamisole:35), or none for equal shares"
    )
    with pytest.raises(LibraryError, match=r"'cocaine', 'caffeine' have no share"):
        resolve_sample(f"cocaine,{sample_file}:20,caffeine", "raman")
    # every part with a share, or none: as before
    assert resolve_sample("cocaine,levamisole", "raman").metadata["name"] == (
        "Cocaine base 50 % + Levamisole hydrochloride 50 %"
    )
    # the technician's screen: one line, a usage error, nothing written
    out = tmp_path / "cut.jdx"
    result = CliRunner().invoke(
        main, ["acquire", "--instrument", "sim:obp?sample=cocaine:65,levamisole", "--out", str(out)]
    )
    assert (result.exit_code, result.output) == (
        2,
        "error: cut sample 'cocaine:65,levamisole': 'levamisole' has no share: give every part "
        "its share (e.g. cocaine:65,levamisole:35), or none for equal shares\n",
    )
    assert not out.exists()


def test_seabreeze_absent_says_how_to_install():
    if _has_seabreeze():
        pytest.skip("python-seabreeze is installed")
    with pytest.raises(NotSupported, match=r"pip install 'forensic-toolkit\[usb\]'"):
        list_usb_spectrometers()
    with pytest.raises(NotSupported, match="python-seabreeze is not installed"):
        SeabreezeSpectrometer()


def test_seabreeze_device_when_present():
    pytest.importorskip("seabreeze", reason="the usb extra (python-seabreeze) is not installed")
    try:
        devices = list_usb_spectrometers()
    except NotSupported as exc:
        pytest.skip(f"no seabreeze backend: {exc}")
    if not devices:
        pytest.skip("no Ocean USB spectrometer connected")
    with SeabreezeSpectrometer(devices[0]["serial"]) as spec:
        assert spec.wavelengths_nm().size == spec.model.pixels


def _has_seabreeze() -> bool:
    return importlib.util.find_spec("seabreeze") is not None


def test_cli_acquire_writes_jcamp_and_never_overwrites(tmp_path, sample_file):
    out = tmp_path / "scan.jdx"
    runner = CliRunner()
    url = f"sim:obp?sample={sample_file}&seed=2"
    result = runner.invoke(
        main, ["acquire", "--instrument", url, "--out", str(out), "--integration-ms", "20"]
    )
    assert result.exit_code == 0, result.output
    spectrum = read_spectrum(out)
    assert spectrum.metadata["provenance"] == "simulated" and len(spectrum) == 2048
    before = out.read_bytes()
    again = runner.invoke(main, ["acquire", "--instrument", url, "--out", str(out)])
    assert again.exit_code == 2
    # the option, not check_writable's argument (overwrite=True)
    said = f"error: --out {out}: already exists; not overwritten (use --force to replace it)"
    assert again.stderr.splitlines()[-2:] == [said, "nothing was measured"]
    assert out.read_bytes() == before


def test_cli_acquire_finds_a_simulated_sample_by_its_library_name(tmp_path):
    # the drivers know nothing of the library: the command passes them the resolver
    out = tmp_path / "demo.jdx"
    url = "sim:ocean-rs232?sample=paracetamol&seed=2&realtime=0"
    result = CliRunner().invoke(
        main, ["acquire", "--instrument", url, "--out", str(out), "--averages", "2"]
    )
    assert result.exit_code == 0, result.output
    meta = read_spectrum(out).metadata
    assert meta["simulated_from"] == resolve_sample("paracetamol", "raman").name
    assert meta["averages"] == 2


def test_cli_acquire_checks_its_output_before_the_laser_fires(tmp_path, sample_file, monkeypatch):
    def never(url, *, sample_resolver):
        raise AssertionError("the instrument was opened for a spectrum that could not be saved")

    monkeypatch.setattr("forensic.cli.instrument.open_instrument", never)
    (tmp_path / "afile").write_text("a file, not a folder")
    url = f"sim:obp?sample={sample_file}&seed=2"
    result = CliRunner().invoke(
        main, ["acquire", "--instrument", url, "--out", str(tmp_path / "afile" / "scan.jdx")]
    )
    assert result.exit_code == 2
    out = tmp_path / "afile" / "scan.jdx"
    assert result.output.splitlines() == [
        f"error: --out {out}: {tmp_path / 'afile'} is a file, not a folder",
        "nothing was measured",
    ]


def test_cli_acquire_refuses_a_name_it_cannot_write_before_the_laser_fires(
    tmp_path, sample_file, monkeypatch
):
    # --out scan.txt measured the sample, then said "cannot choose a writer for extension
    # '.txt'": the spectrum was lost, and over an existing file --force was asked for first
    def never(url, *, sample_resolver):
        raise AssertionError("the instrument was opened for a spectrum that could not be saved")

    monkeypatch.setattr("forensic.cli.instrument.open_instrument", never)
    (tmp_path / "scan.txt").write_text("an earlier file")
    url = f"sim:obp?sample={sample_file}&seed=2"
    for name in ("new.txt", "scan.txt"):
        result = CliRunner().invoke(
            main, ["acquire", "--instrument", url, "--out", str(tmp_path / name)]
        )
        assert result.exit_code == 2, result.output
        assert result.output == (
            f"error: --out {tmp_path / name}: cannot choose a writer for extension '.txt': use "
            ".jdx, .dx or .csv\nnothing was measured\n"
        )
    assert (tmp_path / "scan.txt").read_text() == "an earlier file"
    assert not (tmp_path / "new.txt").exists()


@pytest.mark.parametrize(
    ("fault", "advice"),
    [
        ("disconnect", DISCONNECTED_ADVICE),
        ("interlock", INTERLOCK_ADVICE),
        ("corrupt", DAMAGED_FRAME_ADVICE),
    ],
)
def test_cli_fault_says_what_happened_and_what_to_do_and_writes_no_file(
    tmp_path, sample_file, fault, advice
):
    # `forensic acquire` says a fault as a scan does, each part once on a line of its own
    # (the scan adds what it recorded): what happened, a WARNING when the laser may be on,
    # and the one thing to do
    out = tmp_path / "scan.jdx"
    url = f"sim:ocean-rs232?sample={sample_file}&fault={fault}&baud=115200&timeout=1.0"
    result = CliRunner().invoke(
        main, ["acquire", "--instrument", url, "--out", str(out), "--integration-ms", "20"]
    )
    assert result.exit_code == 3
    lines = [line for line in result.output.splitlines() if line.strip()]
    warned = ["WARNING: the laser could not be switched off"] if fault == "disconnect" else []
    starts = ["error: sim:ocean-rs232 (simulator on /dev/", *warned, f"to do: {advice}"]
    assert len(lines) == len(starts), lines
    assert all(line.startswith(start) for line, start in zip(lines, starts, strict=True)), lines
    assert lines[-1] == f"to do: {advice}"
    assert result.output.count(advice) == 1, result.output
    assert "Traceback" not in result.output
    assert not out.exists()


@pytest.mark.parametrize("protocol", ["ocean-rs232", "obp"])
def test_cli_acquire_says_what_the_instrument_answered_to_the_scan_it_refused_and_its_bytes(
    tmp_path, sample_file, protocol
):
    # an OBP refusal said the instrument's error text but not the reply's bytes, which every
    # other unexpected reply shows ("answering NAK [frame: 15]"): told to send the message to
    # the instrument's support, the technician sent no bytes
    out = tmp_path / "scan.jdx"
    url = f"sim:{protocol}?sample={sample_file}&fault=nak&baud=115200&timeout=1.0"
    result = CliRunner().invoke(
        main, ["acquire", "--instrument", url, "--out", str(out), "--integration-ms", "20"]
    )
    assert result.exit_code == 3, result.output
    error, to_do = result.output.splitlines()
    said = re.escape(REFUSED_SCAN[protocol])
    assert re.fullmatch(rf"error: sim:{protocol} \(simulator on /dev/[^)]+\): {said}", error)
    assert to_do == f"to do: {REFUSED_ADVICE}"
    assert not out.exists()


def test_a_simulated_ftir_that_times_out_is_named_as_typed_and_its_advice_runs(tmp_path):
    """The error named the simulator's temporary folder, `folder:///tmp/forensic-ftir-sim-...`,
    gone once it stopped: an instrument the technician never typed and cannot use."""
    ir = make_spectrum(start=600.0, stop=4000.0, modality="ir", y_unit="absorbance")
    url = f"sim:ftir?sample={write_spectrum(ir, tmp_path / 'ir.jdx')}&seed=1&timeout=0.1"
    out = tmp_path / "ftir.jdx"
    result = CliRunner().invoke(main, ["acquire", "--instrument", url, "--out", str(out)])
    assert result.exit_code == 3, result.output
    notice, error, to_do = result.output.splitlines()
    assert notice == "measurement started: waiting up to 0.1 s for its export"
    folder = re.fullmatch(
        r"error: sim:ftir \(simulator exporting into (/\S+)\): no new complete export within "
        r"0.1 s",
        error,
    )
    assert folder is not None, error
    assert not os.path.exists(folder[1])  # what it names is where it ran, not what to use
    assert to_do == (
        "to do: for a measurement that takes longer, scan again with a longer wait, --timeout "
        "600 (seconds)"
    )
    assert "folder://" not in result.output and not out.exists()
    # the advice, with what the technician typed, runs as printed
    again = CliRunner().invoke(
        main, ["acquire", "--instrument", url, "--out", str(out), "--timeout", "600"]
    )
    assert again.exit_code == 0, again.output
    assert (
        read_spectrum(out)
        .metadata["instrument_url"]
        .startswith("sim:ftir (simulator exporting into ")
    )


@pytest.mark.parametrize(
    ("option", "typed"),
    [(["--integration-ms", "20"], "--integration-ms 20"), (["--averages", "4"], "--averages 4")],
)
def test_cli_acquire_refuses_a_setting_the_instrument_cannot_apply(tmp_path, option, typed):
    # the technician reads the option they typed and the options the instrument takes, not the
    # driver's keywords ("cannot apply integration_time_ms=20 ... (it takes timeout_s)")
    ir = make_spectrum(start=600.0, stop=4000.0, modality="ir", y_unit="absorbance")
    sample = write_spectrum(ir, tmp_path / "ir.jdx")
    out = tmp_path / "ftir.jdx"
    result = CliRunner().invoke(
        main, ["acquire", "--instrument", f"sim:ftir?sample={sample}", "--out", str(out), *option]
    )
    assert result.exit_code == 2, result.output
    assert re.match(r"error: sim:ftir \(simulator exporting into /", result.output), result.output
    assert f"cannot apply {typed}: " in result.output
    assert result.output.rstrip().endswith("(it takes --timeout)"), result.output
    assert "_ms" not in result.output and "timeout_s" not in result.output
    assert not out.exists()
    # and a serial instrument is told what --timeout (a folder's wait for an export) is not
    url = f"sim:obp?sample={write_spectrum(REFERENCE, tmp_path / 'raman.jdx')}"
    result = CliRunner().invoke(
        main, ["acquire", "--instrument", url, "--out", str(out), "--timeout", "5"]
    )
    assert result.exit_code == 2, result.output
    assert "cannot apply --timeout 5: this instrument has no such setting" in result.output
    assert "(it takes --integration-ms, --averages)" in result.output, result.output


@pytest.mark.parametrize(
    ("option", "said"),
    [
        (["--integration-ms", "0.5"], "error: --integration-ms 0.5 is out of range: expected 1-"),
        (["--integration-ms", "12.5"], "error: --integration-ms 12.5 is not a whole number of ms"),
        (["--averages", "0"], "error: --averages 0 is out of range: expected 1-5000 scans"),
    ],
)
def test_cli_acquire_names_a_setting_out_of_range_as_typed(tmp_path, sample_file, option, said):
    out = tmp_path / "scan.jdx"
    url = f"sim:ocean-rs232?sample={sample_file}&baud=115200"
    result = CliRunner().invoke(main, ["acquire", "--instrument", url, "--out", str(out), *option])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(said), result.output
    assert not out.exists()


def test_the_python_api_keeps_naming_settings_by_keyword(sample_file):
    url = f"sim:ocean-rs232?sample={sample_file}&baud=115200"
    with open_instrument(url, sample_resolver=resolve_sample) as device:
        with pytest.raises(NotSupported, match=r"cannot apply timeout_s=5: .*\(it takes "):
            device.check_settings(timeout_s=5)
        with pytest.raises(SettingError, match=r"^integration_time_ms=12.5 is not a whole"):
            device.check_settings(integration_time_ms=12.5)


def test_only_a_setting_given_with_that_value_is_named_by_its_option():
    options = {"integration_time_ms": "--integration-ms"}
    chosen = SettingError("is out of range", setting="integration_time_ms", value=0)
    chosen.name_options(options, {"integration_time_ms": 20})  # auto-exposure's, not typed
    assert str(chosen) == "integration_time_ms=0 is out of range"
    typed = SettingsRefused("sim", {"integration_time_ms": 20.0}, ("timeout_s",), "no such")
    typed.args = (f"{typed}; nothing was recorded",)  # what a scan adds is kept
    typed.name_options(options, {"integration_time_ms": 20.0})
    assert str(typed) == (
        "sim: cannot apply --integration-ms 20: no such (it takes none of this command's "
        "options); nothing was recorded"
    )
    other = SettingError("unknown instrument URL 'x'")
    other.name_options(options, {"integration_time_ms": 20.0})
    assert str(other) == "unknown instrument URL 'x'"


def test_cli_acquire_prints_what_the_acquisition_warned_of(tmp_path, monkeypatch):
    said = "the detector's non-linearity correction was not applied: ..."
    to_do = "have the instrument's calibration checked"

    class Device:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            pass

        def acquire(self, **settings):
            return REFERENCE.with_metadata(acquisition_warnings=[said], acquisition_advice=[to_do])

    def opened(url, *, sample_resolver):
        return Device()

    monkeypatch.setattr("forensic.cli.instrument.open_instrument", opened)
    out = tmp_path / "scan.jdx"
    result = CliRunner().invoke(main, ["acquire", "--instrument", "x", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"warning: {said}" in result.output and f"to do: {to_do}" in result.output
    assert read_spectrum(out).metadata["acquisition_warnings"] == [said]
    assert read_spectrum(out).metadata["acquisition_advice"] == [to_do]


def test_cli_instrument_list_runs():
    result = CliRunner().invoke(main, ["instrument", "list", "--json"])
    assert result.exit_code == 0 and "serial_ports" in result.output


def test_cli_instrument_list_says_what_a_port_is_without_n_a(monkeypatch):
    # a built-in port was listed as "/dev/ttyS0  n/a  [n/a]"
    from serial.tools import list_ports  # noqa: PLC0415
    from serial.tools.list_ports_common import ListPortInfo  # noqa: PLC0415

    builtin = ListPortInfo("/dev/ttyS0", skip_link_detection=True)
    adapter = ListPortInfo("/dev/ttyUSB0", skip_link_detection=True)
    adapter.description, adapter.hwid = "FT232R USB UART", "USB VID:PID=0403:6001"
    monkeypatch.setattr(list_ports, "comports", lambda: [builtin, adapter])
    result = CliRunner().invoke(main, ["instrument", "list"])
    assert result.exit_code == 0, result.output
    assert "n/a" not in result.output
    assert "  /dev/ttyS0  built-in serial port (no USB adapter details)\n" in result.output
    assert "  /dev/ttyUSB0  FT232R USB UART  [USB VID:PID=0403:6001]\n" in result.output


def test_cli_simulate_prints_the_pty_first_and_stops_on_sigterm(sample_file):
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "forensic",
            "instrument",
            "simulate",
            "--protocol",
            "obp",
            "--sample",
            str(sample_file),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = process.stdout.readline().strip()
        assert first.startswith("/dev/")
        with open_instrument(f"obp://{first}?baud=9600") as spec:
            assert spec.info.serial.startswith("SIM")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_socket_urls_reach_an_instrument_behind_a_serial_server(sample_file):
    """``socket://`` (a serial-to-network adapter) carries the same bytes as the port."""
    with OBPSimulator(REFERENCE, seed=5, baud=9600) as sim:
        server = socket.create_server(("127.0.0.1", 0))
        port = server.getsockname()[1]
        stop = threading.Event()

        def bridge() -> None:  # a serial device server: TCP <-> the simulator's line
            connection, _ = server.accept()
            line = os.open(sim.device_path, os.O_RDWR | os.O_NOCTTY)
            try:
                while not stop.is_set():
                    ready, _, _ = select.select([connection, line], [], [], 0.05)
                    if connection in ready:
                        data = connection.recv(65536)
                        if not data:
                            break
                        os.write(line, data)
                    if line in ready:
                        connection.sendall(os.read(line, 65536))
            finally:
                os.close(line)
                connection.close()

        thread = threading.Thread(target=bridge, daemon=True)
        thread.start()
        try:
            with open_instrument(f"obp:socket://127.0.0.1:{port}") as spec:
                spectrum = spec.acquire(integration_time_ms=20)
        finally:
            stop.set()
            thread.join(timeout=2)
            server.close()
    assert len(spectrum) == 2048 and spectrum.metadata["provenance"] == "simulated"


def test_opening_instruments_leaves_the_sample_resolver_to_simulators():
    # the drivers know nothing of the reference library: only a sim: URL's sample needs it
    code = (
        "import sys, drivers.urls; "
        "print([m for m in ('forensic.samples', 'spectral_library') if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("kind", ["ocean-rs232", "obp", "ftir"])
def test_a_simulator_opened_without_a_sample_resolver_says_what_to_pass(kind, sample_file):
    # it fell back on forensic.samples, reaching the library from the drivers; a file is
    # refused as a name is: one resolver reads both, and cut samples that mix them
    for sample in ("cocaine", str(sample_file)):
        with pytest.raises(SettingError) as refused:
            open_instrument(f"sim:{kind}?sample={sample}")
        assert str(refused.value) == (
            f"sim:{kind}?sample={sample}: no sample resolver to find the sample with: "
            "open_instrument needs sample_resolver= for a sim: URL (such as "
            "forensic.samples.resolve_sample, which reads a spectrum file or looks a name up in "
            "the library)"
        )


class _RecordingPort:
    """Stands in for a pyserial port: records what is written, one call at a time."""

    def __init__(self, baudrate):
        self.baudrate = baudrate
        self.events = []

    def write(self, data):
        self.events.append(("write", bytes(data)))
        return len(data)

    def flush(self):
        self.events.append(("flush",))

    def close(self):
        pass


@pytest.mark.parametrize(("baudrate", "paced"), [(115200, True), (9600, True), (115200, False)])
def test_commands_go_out_byte_by_byte_1_ms_apart_at_115200_baud(monkeypatch, baudrate, paced):
    # the protocol notes: at 115200 some devices need about 1 ms between bytes (a one-byte
    # input buffer); every command went out in one burst
    port = _RecordingPort(baudrate)
    monkeypatch.setattr(transport_module.serial, "serial_for_url", lambda url, **kw: port)
    monkeypatch.setattr(transport_module.time, "sleep", lambda s: port.events.append(("sleep", s)))
    transport = SerialTransport("/dev/ttyFAKE", baudrate=baudrate, paced=paced)
    transport.write(b"I\x00d")
    transport.write(b"S")
    if paced and baudrate >= 115200:
        gap = ("sleep", transport_module.BYTE_GAP_S)
        assert transport_module.BYTE_GAP_S >= 0.001
        assert port.events == [
            ("write", b"I"), ("flush",), gap, ("write", b"\x00"), ("flush",), gap,
            ("write", b"d"), ("flush",), ("write", b"S"), ("flush",),
        ]  # fmt: skip
    else:
        assert port.events == [("write", b"I\x00d"), ("flush",), ("write", b"S"), ("flush",)]


def test_ocean_rs232_paces_its_commands_unless_told_and_obp_only_when_told(sample_file):
    def simulated(url):
        return open_instrument(url, sample_resolver=resolve_sample)

    url = f"sim:ocean-rs232?sample={sample_file}&realtime=0"
    with simulated(url) as device:
        assert device.inner.transport.paced
    with simulated(url + "&pace=0") as device:
        assert not device.inner.transport.paced
    url = f"sim:obp?sample={sample_file}&realtime=0"
    with simulated(url) as device:
        assert not device.inner.transport.paced
    with simulated(url + "&pace=1") as device:
        assert device.inner.transport.paced


@pytest.mark.parametrize("where", ["connecting", "acquiring"])
def test_cli_acquire_says_a_driver_bug_in_one_line(tmp_path, monkeypatch, where):
    # a bug in a driver (not a fault the toolkit knows): one `error:` line naming it, exit 3,
    # as the scan says it, not a traceback
    import contextlib  # noqa: PLC0415

    import forensic.cli.instrument as instrument_cli  # noqa: PLC0415

    class Broken:
        def acquire(self, **settings):
            raise TypeError("unsupported operand")

    @contextlib.contextmanager
    def opener(url, *, sample_resolver):
        if where == "connecting":
            raise KeyError("port")
        yield Broken()

    monkeypatch.setattr(instrument_cli, "open_instrument", opener)
    out = tmp_path / "scan.jdx"
    result = CliRunner().invoke(main, ["acquire", "--instrument", "x:y", "--out", str(out)])
    assert result.exit_code == 3, result.output
    (line, to_do) = [line for line in result.output.splitlines() if line.strip()]
    assert line.startswith(f"error: x:y: {where} failed on an unexpected error in the instrument")
    assert to_do == "to do: report this bug in the instrument's driver, with this message"
    assert not out.exists()


def test_cli_acquire_writes_the_spectrum_of_an_instrument_that_fails_to_close(
    monkeypatch, tmp_path
):
    # the spectrum was measured, then closing the port raised a driver's bug: it was lost
    class Device:
        on_notice = None

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            if exc == (None, None, None):
                raise RuntimeError("port handle already released")

        def acquire(self, **settings):
            return REFERENCE

    monkeypatch.setattr(
        "forensic.cli.instrument.open_instrument", lambda url, *, sample_resolver: Device()
    )
    out = tmp_path / "scan.jdx"
    result = CliRunner().invoke(main, ["acquire", "--instrument", "x", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert read_spectrum(out).metadata["name"] == REFERENCE.metadata["name"]
    assert (
        "WARNING: x: closing the connection failed on an unexpected error in the instrument's "
        "driver (RuntimeError: port handle already released); the spectrum measured before is "
        "not affected, but the instrument may still be held: unplug it and plug it in again "
        "before the next measurement; report this bug in the instrument's driver"
    ) in " ".join(result.output.split())


def _acquire_from_the_obp_simulator_fails(tmp_path, sample_file):
    """``forensic acquire`` from the OBP simulator, which fails as an instrument does (exit 3)
    writing nothing: its two lines, ``error: ...`` and ``to do: ...``."""
    out = tmp_path / "scan.jdx"
    url = f"sim:obp?sample={sample_file}&baud=115200&timeout=1.0"
    result = CliRunner().invoke(
        main, ["acquire", "--instrument", url, "--out", str(out), "--integration-ms", "20"]
    )
    assert result.exit_code == 3, result.output
    assert not out.exists()
    error_line, to_do = result.output.splitlines()
    return error_line, to_do


@pytest.mark.parametrize(
    ("name", "in_words"),
    [("get_laser_enable", "the laser read-back"), ("get_interlock", "the interlock read-out")],
)
def test_cli_acquire_ends_when_an_obp_instrument_refuses_what_the_laser_s_safety_rests_on(
    tmp_path, sample_file, monkeypatch, name, in_words
):
    # a refusal of the laser's read-back or the interlock's (not ready: OBP error 7) was taken
    # for an instrument without them: a laser left on was not switched off on connecting, and
    # the scan fired without reading the interlock
    obp_answers_with_error(monkeypatch, name, 7)
    error_line, to_do = _acquire_from_the_obp_simulator_fails(tmp_path, sample_file)
    assert re.fullmatch(
        rf"error: sim:obp \(simulator on /dev/[^)]+\): the instrument refused {in_words} "
        rf"\(message {name}\), answering OBP error 7: device not ready for this message type "
        r"\[frame: c1 c0 00 11 09 00 07 00 [0-9a-f ]+ \.\.\. \(64 bytes\)\]",
        error_line,
    ), error_line
    assert to_do.startswith("to do: switch the instrument off and on")


@pytest.mark.parametrize(
    ("name", "error", "said", "advice"),
    [
        ("get_serial", 2, UNKNOWN_SERIAL, UNKNOWN_MESSAGE_ADVICE),
        ("get_raw_spectrum", 255, DEFERRED_SCAN, DEFERRED_ADVICE),
    ],
    ids=["unknown-message", "deferred-answer"],
)
def test_cli_acquire_says_what_an_obp_instrument_answered_it_cannot_take_and_its_bytes(
    tmp_path, sample_file, monkeypatch, name, error, said, advice
):
    # a message the instrument did not know ended in "the device does not know get_serial
    # (OBP error 2: unknown message type)", without its reply's bytes (which every refusal
    # names) and with nothing to do; an answer put off (OBP error 255) was a refusal, and the
    # technician was told to restart an instrument that was busy
    obp_answers_with_error(monkeypatch, name, error)
    error_line, to_do = _acquire_from_the_obp_simulator_fails(tmp_path, sample_file)
    assert re.fullmatch(
        rf"error: sim:obp \(simulator on /dev/[^)]+\): {re.escape(said)}", error_line
    )
    assert to_do == f"to do: {advice}"


def test_a_simulator_without_a_sample_is_told_a_url_that_pastes_whole(tmp_path):
    # it said "sim:ftir?sample=NAME|FILE": pasted, the shell piped acquire into "FILE"
    out = tmp_path / "x.jdx"
    result = CliRunner().invoke(main, ["acquire", "--instrument", "sim:ftir", "--out", str(out)])
    assert result.exit_code == 2
    assert result.stderr == (
        "error: sim:ftir needs a sample: 'sim:ftir?sample=NAME', with a substance's name "
        "(caffeine) or a spectrum file's path in place of NAME\n"
    )
    pasted = CliRunner().invoke(
        main, ["acquire", "--instrument", "sim:ftir?sample=NAME", "--out", str(out)]
    )
    assert pasted.exit_code == 2
    assert "no file and no ir library entry named 'NAME'" in pasted.stderr
    assert not out.exists()
