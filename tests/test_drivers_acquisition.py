"""End to end over a pseudo-terminal: simulator -> real driver -> acquisition workflow.

Every fault of the simulators ends in its specific exception; the port is released; nothing
partial is returned. Integration times are short and timeouts small to keep this fast.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import inspect
import itertools
import os
import re
import signal
import struct
import threading
import time
import tty
from typing import ClassVar

import numpy as np
import pytest
from driver_helpers import FAULT_ADVICE, REFUSED_SCAN
from synthetic import make_spectrum

from drivers.acquisition import ACQUIRE_SETTINGS, acquire, saturated_pixels
from drivers.errors import (
    DAMAGED_FRAME_ADVICE,
    LASER_FAULT_ADVICE,
    NO_ANSWER_ADVICE,
    CommandRefused,
    DetectorSaturated,
    InstrumentDisconnected,
    InstrumentTimeout,
    InterlockOpen,
    LaserFault,
    NoAnswer,
    NotSupported,
    NotThisProtocol,
    ProtocolError,
    SettingError,
)
from drivers.obp import (
    FLAG_RESPONSE,
    MSG,
    OBPSpectrometer,
    decode_message,
    encode_message,
    message_length,
)
from drivers.ocean_rs232 import parse_command
from drivers.protocols import SERIAL_PROTOCOLS
from drivers.simulators.obp_sim import OBPSimulator
from drivers.simulators.ocean_sim import OceanRS232Simulator
from drivers.simulators.pty import FAULTS
from drivers.simulators.synth import DetectorModel, RamanSynthesizer
from drivers.transport import SerialTransport
from forensic.errors import DriverBug, Interrupted

REFERENCE = make_spectrum(name="polystyrene-like")
PROTOCOLS = tuple(SERIAL_PROTOCOLS)


def _simulator(protocol, fault=None, **kw):
    kw.setdefault("baud", 9600 if protocol == "ocean-rs232" else 115200)
    return SERIAL_PROTOCOLS[protocol].simulator(REFERENCE, fault=fault, seed=3, slow_s=3.0, **kw)


def _driver(protocol, sim, *, host_baud=115200, **kw):
    transport = SerialTransport(sim.device_path, baudrate=host_baud)
    if protocol == "ocean-rs232":
        kw.setdefault("baud", 115200)  # it switches the simulator from 9600
    return SERIAL_PROTOCOLS[protocol].driver(transport, command_timeout_s=0.5, **kw)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_acquisition_returns_a_complete_simulated_spectrum(protocol):
    with _simulator(protocol) as sim, _driver(protocol, sim) as spec:
        spectrum = spec.acquire(integration_time_ms=40, averages=2, name="test sample")
        assert sim.fault is None
    meta = spectrum.metadata
    assert spectrum.modality == "raman" and spectrum.y_unit == "counts"
    assert len(spectrum) == 2048
    assert meta["provenance"] == "simulated" and "not a measurement" in meta["simulation_note"]
    assert meta["instrument_serial"].startswith("SIM")
    assert meta["integration_time_ms"] == 40 and meta["averages"] == 2
    assert meta["laser_wavelength_nm"] == 785.0 and meta["laser_power_mw"] == 250.0
    assert meta["detector_temperature_c"] == pytest.approx(28.0)
    assert meta["dark_subtracted"] is True and meta["saturated"] is False
    assert meta["interlock_checked"] and meta["laser_state_verified"]
    assert dt.datetime.fromisoformat(meta["acquired_at"]).utcoffset() == dt.timedelta(0)
    assert [step.name for step in spectrum.history] == [
        "wavelength_to_raman_shift",
        "dark_subtraction",
    ]
    # The strongest band of the reference (1001 cm-1) is where the simulator put it (+ its
    # small axis shift), well above the dark-subtracted floor.
    peak = spectrum.wavenumber[np.argmax(spectrum.intensity)]
    assert abs(peak - 1001.0) < 8.0
    assert np.median(spectrum.intensity) < 0.5 * spectrum.intensity.max()  # fluorescence floor


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_laser_is_off_after_acquisition(protocol):
    with _simulator(protocol) as sim, _driver(protocol, sim) as spec:
        spec.acquire(integration_time_ms=20)
        assert spec.laser_enabled() is False


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_laser_that_does_not_read_back_as_told_is_an_instrument_fault(protocol, monkeypatch):
    # a fault of the instrument, not of the command typed: the command line exits 3, as for
    # every other instrument fault, and nothing is returned
    with _simulator(protocol) as sim, _driver(protocol, sim) as spec:
        monkeypatch.setattr(spec, "laser_enabled", lambda: False)  # never reads back on
        with pytest.raises(LaserFault, match="reads back off after switching it on") as failed:
            spec.acquire(integration_time_ms=20)
    assert failed.value.exit_code == 3
    assert str(failed.value).endswith(f"three times; to do: {LASER_FAULT_ADVICE}")
    assert failed.value.warning is None  # it never read back on


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_laser_that_reads_back_on_after_switching_it_off_is_warned_of(protocol, monkeypatch):
    # the one fault after which the laser is known to have fired and not known to be off: the
    # WARNING is its own part, apart from what happened and from the one thing to do
    with _simulator(protocol) as sim, _driver(protocol, sim) as spec:
        monkeypatch.setattr(spec, "laser_enabled", lambda: True)  # never reads back off
        with pytest.raises(LaserFault, match="reads back on after switching it off") as failed:
            spec.acquire(integration_time_ms=20)
        monkeypatch.undo()
        spec.set_laser(False)
    error = failed.value
    assert error.warning == (
        "the laser could not be switched off (the laser reads back on after switching it off "
        "three times), so it may still be on: switch the instrument off or close its laser key "
        "before opening the sample compartment"
    )
    assert error.advice == LASER_FAULT_ADVICE
    assert error.said() == [
        error.problem,
        f"WARNING: {error.warning}",
        f"to do: {LASER_FAULT_ADVICE}",
    ]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_driver_bug_with_the_laser_on_says_the_laser_may_still_be_on(protocol, monkeypatch):
    # a bug (not a fault the toolkit knows) in the middle of a scan, and the switch-off then
    # failing too: the technician still reads that the laser may be on, and the bug is named
    with _simulator(protocol) as sim, _driver(protocol, sim) as spec:
        real = spec.set_laser
        broken = {"off": True}

        def set_laser(on):
            if not on and broken["off"]:
                raise RuntimeError("the line is gone")
            real(on)

        def read_scan(*args, **kwargs):
            raise KeyError("pixels")

        monkeypatch.setattr(spec, "set_laser", set_laser)
        monkeypatch.setattr(spec, "read_scan", read_scan)
        with pytest.raises(DriverBug) as failed:
            spec.acquire(integration_time_ms=20)
        broken["off"] = False  # the instrument closes as it would
    message = str(failed.value)
    assert "acquiring failed on an unexpected error in the instrument's driver" in message
    assert "(KeyError: 'pixels')" in message
    assert failed.value.warning.startswith("the laser could not be switched off (the line is gone)")
    assert "WARNING: the laser could not be switched off (the line is gone)" in message
    assert failed.value.exit_code == 3 and isinstance(failed.value.__cause__, KeyError)


def test_a_driver_bug_after_the_laser_is_off_is_one_error_without_a_warning(monkeypatch):
    # `forensic acquire` prints one line for it, not a traceback; the laser is known off
    with _simulator("ocean-rs232") as sim, _driver("ocean-rs232", sim) as spec:

        def temperature():
            raise TypeError("unsupported operand")

        monkeypatch.setattr(spec, "detector_temperature_c", temperature)
        with pytest.raises(DriverBug, match=r"\(TypeError: unsupported operand\)") as failed:
            spec.acquire(integration_time_ms=20)
        assert spec.laser_enabled() is False
    assert "WARNING" not in str(failed.value) and failed.value.exit_code == 3


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_auto_exposure_lands_in_the_window(protocol):
    with _simulator(protocol) as sim, _driver(protocol, sim) as spec:
        spectrum = spec.acquire(max_integration_ms=400)
    steps = spectrum.metadata["auto_exposure_steps"]
    assert spectrum.metadata["auto_exposure"] is True
    assert 1 <= len(steps) <= 8
    assert 0.6 <= steps[-1]["peak_fraction"] <= 0.8


def test_ascii_mode_speaks_the_same_spectrum():
    with _simulator("ocean-rs232") as sim, _driver("ocean-rs232", sim, ascii_mode=True) as spec:
        assert sim.ascii_mode
        spectrum = spec.acquire(integration_time_ms=20)
    assert len(spectrum) == 2048


def test_baud_handshake_moves_device_and_host():
    with _simulator("ocean-rs232") as sim, _driver("ocean-rs232", sim, host_baud=9600) as spec:
        assert sim.device_baud == 115200 and spec.transport.baudrate == 115200


class _SlowToBinaryModeSimulator(OceanRS232Simulator):
    """An Ocean RS-232 head that takes 100 ms to answer ``bB``, the switch to binary mode a
    connect sends before it asks ``v``: a controller busy for a moment, or an adapter's
    latency."""

    def _answer(self, cmd):
        if cmd.letter == "bB":
            time.sleep(0.1)
        return super()._answer(cmd)


@pytest.mark.parametrize("left_in_ascii_mode", [False, True], ids=["binary", "ascii"])
def test_an_ocean_connect_waits_for_a_slow_answer_to_binary_mode(left_in_ascii_mode):
    # the connect gave bB 20 ms, then dropped what had come: an ACK later than that was read
    # as the ACK of 'v', the version's first two bytes as the version, and its last byte as the
    # answer to the change of line rate ("K: expected ACK (06) or NAK (15) [frame: cd]": a
    # damaged cable, from an instrument answering every command). A loaded laptop did it too.
    # Left in ASCII mode by another program, the head echoes bB before its ACK
    with _SlowToBinaryModeSimulator(REFERENCE, seed=3, baud=9600) as sim:
        sim.ascii_mode = left_in_ascii_mode
        with _driver("ocean-rs232", sim, host_baud=9600) as spec:
            assert not sim.ascii_mode
            assert sim.device_baud == 115200 and spec.transport.baudrate == 115200
            assert spec.info.firmware == "3.0.21"
            assert len(spec.acquire(integration_time_ms=20)) == 2048


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_baud_fault_garbles_until_the_rate_is_found(protocol):
    with _simulator(protocol, "baud") as sim, _driver(protocol, sim, host_baud=9600) as spec:
        assert spec.transport.baudrate == sim.device_baud
        assert len(spec.acquire(integration_time_ms=20)) == 2048


FAULT_ERRORS = {
    "slow": (InstrumentTimeout, "no spectrum within"),
    "truncated": (InstrumentTimeout, r"incomplete.*partial frame discarded"),
    "corrupt": (ProtocolError, r"\[frame: "),
    "checksum": (ProtocolError, r"checksum mismatch.*\[frame: "),
    # what the instrument refused (a bare "refused S (NAK)" said neither that nor what to do),
    # and the reply's bytes (REFUSED_SCAN says each protocol's)
    "nak": (
        CommandRefused,
        r"refused the scan \((command S|message get_raw_spectrum)\), answering (NAK|OBP error "
        r"7: device not ready for this message type) \[frame: ",
    ),
    # pyserial's words for support (they said "multiple access on port?" only)
    "disconnect": (InstrumentDisconnected, r": the device disconnected \(the port said: "),
    "interlock": (InterlockOpen, "interlock is open"),
}
"""The error each simulator fault must end in, on every protocol."""


RECOVERED_FAULTS = {"baud": "test_baud_fault_garbles_until_the_rate_is_found"}
"""Faults the driver overcomes, with the test that checks it does."""


def test_a_spectrometer_takes_every_setting_of_the_acquisition_workflow_and_no_other():
    keywords = [
        name
        for name, parameter in inspect.signature(acquire).parameters.items()
        if parameter.kind is parameter.KEYWORD_ONLY
    ]
    assert list(ACQUIRE_SETTINGS) == keywords
    with _simulator("obp", realtime=False) as sim, _driver("obp", sim) as spec:
        assert spec.accepted_settings == ACQUIRE_SETTINGS
        spec.check_settings(
            integration_time_ms=20,
            averages=2,
            boxcar_width=0,
            dark=True,
            saturation="refuse",
            max_integration_ms=400,
            name="x",
        )
        with pytest.raises(NotSupported, match=r"cannot apply timeout_s=5: .*\(it takes "):
            spec.check_settings(timeout_s=5)


def test_every_simulator_fault_is_tested():
    # a fault added to FAULTS without its expected error would go untested
    assert sorted(FAULT_ERRORS.keys() | RECOVERED_FAULTS.keys()) == sorted(FAULTS)
    assert not FAULT_ERRORS.keys() & RECOVERED_FAULTS.keys()
    assert all(callable(globals().get(test)) for test in RECOVERED_FAULTS.values())


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("fault", sorted(FAULT_ERRORS))
def test_each_fault_ends_in_its_specific_error(protocol, fault):
    error, pattern = FAULT_ERRORS[fault]
    with _simulator(protocol, fault) as sim:
        spec = _driver(protocol, sim)
        with spec, pytest.raises(error, match=pattern) as failed:
            spec.acquire(integration_time_ms=20)
        assert not spec.transport.is_open  # the port is always released
        # a cable pulled with the laser on leaves it as it was: the one line says so, and only
        # then (an instrument still answering, a late one too, had it switched off)
        laser_warning = "WARNING: the laser could not be switched off" in str(failed.value)
        assert laser_warning == (fault == "disconnect"), str(failed.value)
        assert (failed.value.warning is not None) == laser_warning
        # what happened, then (a warning), then the one thing to do, said once and last
        message, advice = str(failed.value), FAULT_ADVICE[fault]
        assert failed.value.advice == advice
        assert message.endswith(f"; to do: {advice}"), message
        assert message.count(advice) == 1 and advice not in failed.value.problem, message
        if fault == "nak":
            assert failed.value.problem == f"{sim.device_path}: {REFUSED_SCAN[protocol]}"
        if fault == "interlock":
            assert not (sim.settings["J"] if protocol == "ocean-rs232" else sim.laser)
        if fault != "disconnect":  # the released port can be opened again at once
            SerialTransport(sim.device_path).close()


@pytest.mark.parametrize(
    ("sent", "said"),
    [
        (0, r"no spectrum within \d+\.\d\d s: the instrument did not answer the scan; to do: "),
        (
            20,
            r"spectrum incomplete after \d+\.\d\d s \(20 of 4160 bytes\): the instrument stopped ",
        ),
        (2080, r"spectrum incomplete after \d+\.\d\d s \(2080 of 4160 bytes\): the instrument "),
    ],
    ids=["nothing", "part-of-its-header", "half"],
)
def test_a_late_obp_spectrum_says_whether_anything_of_it_came(sent, said):
    # a spectrum cut short in its 44-byte header said "(20 bytes)": how much was to come is
    # known from the detector, and nothing at all is not "stopped sending in the middle"
    with _simulator("obp") as sim, _driver("obp", sim) as spec:
        sim.send_scan = lambda frame, *ranges, **kw: frame[:sent]
        spec.set_laser(True)  # the simulator faults laser-on scans only
        with pytest.raises(InstrumentTimeout) as late:
            spec.read_scan(timeout_s=0.3)
    message = str(late.value)
    assert re.search(said, message), message
    assert ("stopped sending in the middle" in message) == (sent > 0), message
    assert len(late.value.received) == sent


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize(
    ("fault", "advice"),
    [
        ("slow", "check that the instrument is switched on and not busy with its own software"),
        ("truncated", "scan again; if it happens again, check the cable and its connectors"),
    ],
)
def test_a_spectrum_that_times_out_says_what_to_do_in_a_short_line(protocol, fault, advice):
    # "OBP reply incomplete after 5.53 s (0 bytes)" said nothing of what to do, after seconds
    # of silence; "spectrum incomplete after 9.80 s ..." added 48 bytes of hex, 400-700
    # characters on one line with what the scan had recorded
    with _simulator(protocol, fault) as sim, _driver(protocol, sim) as spec:
        sim.slow_s = 0.5
        spec.command_timeout_s = 0.3  # shorter than slow_s: a timeout
        with pytest.raises(InstrumentTimeout) as failed:
            spec.acquire(integration_time_ms=20)
    message = str(failed.value)
    assert failed.value.advice.startswith(advice), message
    assert len(message) < 330, message
    if fault == "truncated":  # the start of the frame, and how long it was
        shown = r"partial frame discarded: ((?:[0-9a-f]{2} )+)\.\.\. \((\d+) bytes\)$"
        excerpt = re.search(shown, failed.value.problem)
        assert excerpt and len(excerpt[1].split()) == 16, message
        assert int(excerpt[2]) == len(failed.value.received) > 16  # all of it kept for support


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("fault", ["checksum", "corrupt"])
def test_a_damaged_frame_names_the_port_and_says_what_to_do(protocol, fault):
    # "checksum mismatch: frame says 3E68 ..." alone left the technician with hex and no port
    with (
        _simulator(protocol, fault) as sim,
        _driver(protocol, sim) as spec,
        pytest.raises(ProtocolError) as failed,
    ):
        spec.acquire(integration_time_ms=20)
    message = str(failed.value)
    assert message.startswith(f"{sim.device_path}: the reply was damaged"), message
    assert failed.value.problem.endswith("]") and "[frame: " in failed.value.problem, message
    assert message.endswith(f"; to do: {DAMAGED_FRAME_ADVICE}"), message


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_mistyped_laser_wavelength_is_refused_not_used(protocol):
    # The simulated head reports its laser at 785 nm. Converted with 758 nm, every band moved
    # by about 450 cm-1 and a cocaine sample came out as NO MATCH, with nothing to say why.
    with _simulator(protocol) as sim:
        with pytest.raises(SettingError, match=r"laser_nm=758 .* reports its laser at 785 nm"):
            _driver(protocol, sim, laser_wavelength_nm=758.0)
        # a value within the laser's tolerance of what the head reports is taken as stated
        with _driver(protocol, sim, laser_wavelength_nm=785.4) as spec:
            assert spec.laser_wavelength_nm == 785.4


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_saturation_is_refused_or_reexposed(protocol):
    bright = DetectorModel(laser_power_mw=600.0)
    with _simulator(protocol, detector=bright) as sim, _driver(protocol, sim) as spec:
        with pytest.raises(DetectorSaturated, match="ceiling"):
            spec.acquire(integration_time_ms=200, saturation="refuse")
        spectrum = spec.acquire(integration_time_ms=200)
    assert spectrum.metadata["reexposures"] >= 1
    assert spectrum.metadata["integration_time_ms"] < 200


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_saturating_integration_time_says_what_was_given_tried_and_left_to_do(protocol):
    # "--integration-ms 3000" ended in "125 pixel(s) at the detector ceiling at 375 ms x 1;
    # shorten the integration time", which read as wrong: nothing said the scan had halved the
    # time three times, nor that leaving it out (auto-exposure) identifies the sample
    bright = DetectorModel(laser_power_mw=600.0)
    with (
        _simulator(protocol, detector=bright) as sim,
        _driver(protocol, sim) as spec,
        pytest.raises(DetectorSaturated) as saturated,
    ):
        spec.acquire(integration_time_ms=3000)
    message = str(saturated.value)
    assert re.search(
        r"\d+ pixel\(s\) at the detector ceiling with integration_time_ms=3000, still at 375 ms "
        r"after halving it 3 times \(1500, 750, 375 ms\): too long for this sample; to do: leave "
        r"out integration_time_ms=3000 \(auto-exposure finds the time\), or reduce the laser "
        r"power, then scan again$",
        message,
    ), message
    # on the command line, as typed, where it happened and in what to do
    saturated.value.name_options(
        {"integration_time_ms": "--integration-ms"}, {"integration_time_ms": 3000.0}
    )
    assert "with --integration-ms 3000, still at 375 ms" in saturated.value.problem
    assert saturated.value.advice.startswith("leave out --integration-ms 3000 (auto-exposure")


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_saturation_at_the_shortest_time_says_only_to_reduce_the_laser_power(protocol):
    # the time cannot be shorter, so "leave it out and auto-exposure finds the time" was wrong
    blinding = DetectorModel(laser_power_mw=1e7)
    with (
        _simulator(protocol, detector=blinding) as sim,
        _driver(protocol, sim) as spec,
        pytest.raises(DetectorSaturated) as saturated,
    ):
        shortest = spec.model.integration_time_ms.minimum
        spec.acquire(integration_time_ms=shortest)
    message = str(saturated.value)
    assert message.endswith(
        f"({shortest:g} ms, the shortest this detector takes); to do: reduce the laser power, "
        "then scan again"
    ), message
    assert "leave out" not in message


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_sample_saturating_at_every_time_auto_exposure_tries_says_to_reduce_the_laser_power(
    protocol,
):
    # auto-exposure rounded its times to whole ms: on OBP (0.01 ms minimum) it reached
    # round(0.5) == 0 and failed as "integration_time_ms=0 is out of range", a setting the
    # technician never typed (exit 2), instead of as saturated (exit 3)
    blinding = DetectorModel(laser_power_mw=1e7)
    with (
        _simulator(protocol, detector=blinding) as sim,
        _driver(protocol, sim) as spec,
        pytest.raises(DetectorSaturated) as saturated,
    ):
        shortest = spec.model.integration_time_ms.minimum
        spec.acquire()
    assert re.search(
        rf"pixel\(s\) at the detector ceiling at the {shortest:g} ms auto-exposure chose, the "
        r"shortest this detector takes; to do: reduce the laser power, then scan again$",
        str(saturated.value),
    ), str(saturated.value)


def test_obp_auto_exposure_finds_a_time_shorter_than_a_millisecond():
    # the OBP model takes the time in microseconds: a sample right at about 0.6 ms is exposed
    # at that time, not refused because whole milliseconds saturate
    bright = DetectorModel(laser_power_mw=5e4)
    with _simulator("obp", detector=bright) as sim, _driver("obp", sim) as spec:
        spectrum = spec.acquire()
    meta = spectrum.metadata
    assert 0.01 <= meta["integration_time_ms"] < 1.0
    assert 0.6 <= meta["auto_exposure_steps"][-1]["peak_fraction"] <= 0.8
    assert meta["saturated"] is False and meta["reexposures"] == 0


def test_settings_are_validated_before_a_byte_is_sent():
    with _simulator("ocean-rs232") as sim, _driver("ocean-rs232", sim) as spec:
        requests = sim.requests
        with pytest.raises(SettingError, match=r"integration_time_ms=0.5 is out of range"):
            spec.set_integration_time_ms(0.5)
        with pytest.raises(SettingError, match="whole number"):
            spec.set_integration_time_us(1500)
        with pytest.raises(SettingError, match="averages=0"):
            spec.acquire(integration_time_ms=10, averages=0)
        with pytest.raises(SettingError, match="saturation"):
            acquire(spec, saturation="ignore")
        # what a scan checks before it records anything
        with pytest.raises(SettingError, match=r"integration_time_ms=0.5 is out of range"):
            spec.check_settings(integration_time_ms=0.5, averages=2)
        with pytest.raises(NotSupported, match=r"cannot apply timeout_s=5: "):
            spec.check_settings(timeout_s=5)
        assert sim.requests - requests <= 4  # only the interlock check and laser-off


def test_timeouts_scale_with_integration_and_averages():
    with _simulator("ocean-rs232") as sim, _driver("ocean-rs232", sim) as spec:
        spec.set_integration_time_ms(10)
        spec.set_averages(1)
        short = spec.scan_timeout_s()
        spec.set_integration_time_ms(1000)
        spec.set_averages(5)
        assert spec.scan_timeout_s() - short == pytest.approx(2 * (5000 - 10) / 1000)


def test_synthesizer_physics():
    synth = RamanSynthesizer(REFERENCE, seed=1)
    one = synth.scans(50, 32, laser_on=True).astype(float)
    # averaging n scans lowers the noise by about sqrt(n)
    single_noise = one.std(axis=0).mean()
    averaged = one.reshape(8, 4, -1).mean(axis=1).std(axis=0).mean()
    assert averaged < single_noise / 1.6
    dark_short = synth.scans(10, 8, laser_on=False).mean()
    dark_long = synth.scans(1000, 8, laser_on=False).mean()
    assert dark_long > dark_short  # dark current rises with integration time
    synth.temperature_c = 40.0
    assert synth.scans(1000, 8, laser_on=False).mean() > dark_long  # ... and with temperature
    bright = synth.scans(60000, 1, laser_on=True)
    assert bright.max() == 65535  # clipped at the 16-bit ceiling
    assert saturated_pixels(bright[0], 65535) > 0


def test_pixel_mode_selects_pixels_and_their_wavelengths():
    with _simulator("ocean-rs232") as sim, _driver("ocean-rs232", sim) as spec:
        spec.set_pixel_mode(3, 100, 1099, 1)
        assert sim.pixel_mode == (3, 100, 1099, 1)
        spectrum = spec.acquire(integration_time_ms=20)
        with pytest.raises(ProtocolError, match="pixel mode 3"):
            spec.set_pixel_mode(3, 10, 5000, 1)
        with pytest.raises(SettingError, match="trigger mode 7"):
            spec.set_trigger_mode(7)
    assert len(spectrum) == 1000
    full = spec.model.pixels
    assert full == 2048


class _NonlinearitySlots(OceanRS232Simulator):
    """A head whose non-linearity slots (6-13, order in 14) hold what the test says."""

    nonlinearity: ClassVar[dict[int, str]] = {}

    @property
    def slots(self):
        return {**super().slots, **self.nonlinearity}


@pytest.mark.parametrize(
    "slots",
    [
        {6: "0.0", 7: "0.0"},  # a divisor of zero
        {6: "1.0", 7: "n/a"},  # a slot that is not a number
        {14: "seven"},  # an order that is not a number
    ],
)
def test_unusable_nonlinearity_coefficients_are_said_not_dropped(slots):
    # the correction was switched off silently: nothing told the technician or the report
    sim_class = type("Head", (_NonlinearitySlots,), {"nonlinearity": slots})
    with sim_class(REFERENCE, seed=3, baud=9600) as sim, _driver("ocean-rs232", sim) as spec:
        spectrum = spec.acquire(integration_time_ms=20)
    (said,) = spectrum.metadata["acquisition_warnings"]
    assert said.startswith("the detector's non-linearity correction was not applied")
    assert said.endswith("(band positions are not affected)")  # the fact, for the report...
    (to_do,) = spectrum.metadata["acquisition_advice"]  # ...what to do, for the technician
    assert "have the instrument's calibration" in to_do and "checked" in to_do
    assert "nonlinearity_correction" not in [step.name for step in spectrum.history]


def test_usable_nonlinearity_coefficients_correct_without_a_warning():
    sim_class = type("Head", (_NonlinearitySlots,), {"nonlinearity": {7: "1e-7"}})
    with sim_class(REFERENCE, seed=3, baud=9600) as sim, _driver("ocean-rs232", sim) as spec:
        spectrum = spec.acquire(integration_time_ms=20)
    assert "acquisition_warnings" not in spectrum.metadata
    assert "acquisition_advice" not in spectrum.metadata
    assert spectrum.history[-1].name == "nonlinearity_correction"


def test_boxcar_smoothing_a_model_lacks_is_refused_not_recorded_as_applied():
    # acquire(boxcar_width=3) on a model without boxcar skipped it and recorded boxcar_width=3
    with _simulator("obp") as sim, _driver("obp", sim) as spec:
        spec.capabilities = dataclasses.replace(spec.capabilities, boxcar=False)
        with pytest.raises(NotSupported, match="has no boxcar smoothing"):
            spec.acquire(integration_time_ms=20, boxcar_width=3)
        assert spec.acquire(integration_time_ms=20).metadata["boxcar_width"] == 0


def test_no_laser_control_means_no_dark_subtraction():
    with _simulator("ocean-rs232") as sim, _driver("ocean-rs232", sim) as spec:
        spec.capabilities = dataclasses.replace(
            spec.capabilities, laser=False, laser_readback=False, interlock=False
        )
        spectrum = spec.acquire(integration_time_ms=20)
    assert spectrum.metadata["dark_subtracted"] is False
    assert "cannot switch its laser" in spectrum.metadata["dark_note"]
    assert [step.name for step in spectrum.history] == ["wavelength_to_raman_shift"]


def _stopped_once_the_spectrum_is_asked_for(protocol, transport):
    """Ctrl-C while the instrument exposes: the read of the spectrum is stopped the moment the
    request has gone out (the simulator is then busy with its exposure, and hears nothing)."""
    asked = []
    write, read_some = transport.write, transport.read_some
    request = MSG["get_raw_spectrum"].to_bytes(4, "little")

    def write_noting_the_request(data):
        if (data == b"S") if protocol == "ocean-rs232" else (data[8:12] == request):
            asked.append(data)
        write(data)

    def read_stopped(*args, **kwargs):
        if asked:
            asked.clear()
            transport.read_some = read_some
            raise Interrupted(signal.SIGINT)
        return read_some(*args, **kwargs)

    transport.write = write_noting_the_request
    transport.read_some = read_stopped


def _laser_on(protocol, sim):
    return bool(sim.settings["J"]) if protocol == "ocean-rs232" else sim.laser


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_stop_during_a_long_exposure_switches_the_laser_off_once_the_exposure_ends(protocol):
    # Ctrl-C 1 s into a 4 s exposure warned "the laser could not be switched off (... command
    # J[0]: expected ACK (06) or NAK (15) [frame: 02]), so it may still be on", 3 times of 3,
    # though it was off: the laser-off went into the exposure, and the spectrum the scan was
    # owed came back as its answer. The driver now lets that spectrum come first.
    with _simulator(protocol, realtime=True) as sim:
        spec = _driver(protocol, sim)
        told = []
        with spec:
            spec.command_timeout_s = 0.2  # three laser-offs fit well inside the exposure
            spec.on_notice = told.append
            _stopped_once_the_spectrum_is_asked_for(protocol, spec.transport)
            with pytest.raises(Interrupted) as stopped:
                spec.acquire(integration_time_ms=1500)
            assert not _laser_on(protocol, sim)
            assert spec.laser_enabled() is False  # and the line is in step again
    assert str(stopped.value) == "interrupted", str(stopped.value)
    assert stopped.value.warning is None
    assert len(told) == 1 and told[0].startswith("waiting for the instrument to end its exposure")


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_cable_pulled_during_an_exposure_is_not_waited_on(protocol):
    # the cable pulled 1 s into an 8 s exposure printed "waiting for the instrument to end its
    # exposure (up to 27 s)" at the moment of the disconnection: nothing was coming any more
    with _simulator(protocol, realtime=True) as sim:
        spec = _driver(protocol, sim)
        told = []
        write = spec.transport.write
        request = MSG["get_raw_spectrum"].to_bytes(4, "little")

        def write_then_pull_the_cable(data):
            write(data)
            if (data == b"S") if protocol == "ocean-rs232" else (data[8:12] == request):
                threading.Timer(0.3, sim._close_pty).start()

        with spec:
            spec.on_notice = told.append
            spec.transport.write = write_then_pull_the_cable
            with pytest.raises(InstrumentDisconnected) as pulled:
                spec.acquire(integration_time_ms=1500)
            assert not spec.transport.is_open  # released at once: nothing waits on it
    assert told == []
    said = str(pulled.value)
    assert "the device disconnected (the port said: " in said, said
    # the laser-off that could not be sent says why in a few words, not the advice again
    assert said.count("check that the instrument's cable is plugged in") == 1, said
    assert pulled.value.warning.startswith("the laser could not be switched off (the device "), said
    assert "WARNING: the laser could not be switched off (" in said, said


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_scan_that_times_out_switches_the_laser_off_once_its_late_spectrum_came(protocol):
    # fault=slow: the spectrum came 3 s after the timeout, into the laser-off's retries,
    # and the timeout carried the same false warning that the laser may still be on
    with _simulator(protocol, "slow", realtime=True) as sim:
        sim.slow_s = 1.5  # 1.2 s after the timeout: longer than the three laser-offs took
        with _driver(protocol, sim) as spec:
            spec.command_timeout_s = 0.3
            with pytest.raises(InstrumentTimeout) as timed_out:
                spec.acquire(integration_time_ms=20)
            assert not _laser_on(protocol, sim)
    assert "WARNING" not in str(timed_out.value), str(timed_out.value)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_stop_warns_that_the_laser_may_be_on_when_the_instrument_never_answers(protocol):
    # the warning is kept for an instrument that does not end its exposure in its time: the
    # laser-off then goes unanswered and the laser may well still be on
    with _simulator(protocol, realtime=True) as sim:
        spec = _driver(protocol, sim)
        with spec:
            spec.command_timeout_s = 0.2
            spec.late_spectrum_s = 0.2
            spec.scan_timeout_s = lambda: 0.3  # its 9 s exposure outlasts the time allowed
            _stopped_once_the_spectrum_is_asked_for(protocol, spec.transport)
            with pytest.raises(Interrupted) as stopped:
                spec.acquire(integration_time_ms=9000)  # the simulator stops at once at the end
    message = str(stopped.value)
    said = "interrupted; WARNING: the laser could not be switched off ("
    assert message.startswith(said), message
    assert message.endswith(
        "so it may still be on: switch the instrument off or close its laser "
        "key before opening the sample compartment"
    ), message
    assert stopped.value.exit_code == 130


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_the_slow_fault_times_out_at_a_low_baud_rate_too(protocol):
    # the slow reply came 4 s late, well within the line time the driver allows a spectrum at
    # 9600 baud (8.6 s Ocean, 4.3 s OBP): with timeout=1 the scan succeeded after 18 s, and
    # only timed out at 115200 baud; at 38400 here, to keep the test short
    with _simulator(protocol, "slow", baud=38400) as sim:
        sim.slow_s = 0.8
        kw = {"baud": 38400} if protocol == "ocean-rs232" else {}
        with _driver(protocol, sim, host_baud=38400, **kw) as spec:
            spec.command_timeout_s = 0.3  # shorter than slow_s: a timeout
            with pytest.raises(InstrumentTimeout, match="no spectrum within"):
                spec.acquire(integration_time_ms=20)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_the_slow_fault_is_late_after_what_the_driver_itself_allows(protocol):
    # the simulators recomputed the driver's scan allowance by hand, so the slow fault would
    # drift from a timeout to a success the day the driver's formula changed
    with _simulator(protocol) as sim, _driver(protocol, sim) as spec:
        allowances = []
        send_scan = sim.send_scan

        def spy(frame, *ranges, allowance_s=0.0, **kw):
            allowances.append(allowance_s)
            return send_scan(frame, *ranges, allowance_s=allowance_s, **kw)

        sim.send_scan = spy
        spec.set_integration_time_ms(30)
        spec.set_averages(3)
        spec.set_laser(True)  # the simulators fault only laser-on scans
        try:
            spec.read_scan()
        finally:
            spec.set_laser(False)
        assert allowances == [pytest.approx(spec.scan_timeout_s() - spec.command_timeout_s)]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_connect_after_a_stop_during_a_long_exposure_works_first_time(protocol):
    # after Ctrl-C mid-scan the next connect blamed the cable ("no valid OBP reply ... check the
    # cable"; for OBP every later one too, until a power cycle): the instrument, busy with the
    # stopped exposure, answered nothing and then the replies it owed the stopped session
    with _simulator(protocol, realtime=True) as sim:
        host_baud = sim.device_baud  # as found: no baud change
        kw = {"baud": None} if protocol == "ocean-rs232" else {}
        first = _driver(protocol, sim, host_baud=host_baud, **kw)
        with first:
            first.command_timeout_s = 0.2
            _stopped_once_the_spectrum_is_asked_for(protocol, first.transport)
            with pytest.raises(Interrupted):
                first.acquire(integration_time_ms=1500)
        # at once, while it still exposes: it answers once the exposure ends
        with _driver(protocol, sim, host_baud=host_baud, **kw) as again:
            assert len(again.acquire(integration_time_ms=20)) == 2048


def test_an_obp_connect_sets_the_exposure_before_it_reads_a_spectrum():
    # a session that left 5 s x 3 averages set made every later connect time out reading the
    # spectrum that counts the pixels (allowed the command timeout + 1 s), until a power cycle
    with _simulator("obp", realtime=True) as sim:
        sim.integration_us, sim.averages = 5_000_000, 3
        with _driver("obp", sim) as spec:
            assert spec.model.pixels == 2048
            assert (sim.integration_us, sim.averages) == (100_000, 1)


class _SlowLineOBPSimulator(OBPSimulator):
    """An OBP head on a line that carries its bytes ``slowness`` times slower than its rate
    (an adapter's latency, a unit that pauses between bytes), with the largest detector the
    driver reckons with before it has counted the pixels (4096)."""

    def __init__(self, slowness, **kw):
        super().__init__(REFERENCE, seed=3, detector=DetectorModel(pixels=4096), **kw)
        self.slowness = slowness

    def write(self, data):
        byte_s = self.slowness * 10.0 / self.device_baud
        for start in range(0, len(data), 16):
            super().write(data[start : start + 16])
            if self._stop.wait(16 * byte_s):
                return


class _SilentScanOBPSimulator(OBPSimulator):
    """An OBP head that answers every query but never sends the spectrum of a laser-off read
    (busy with something else)."""

    def _scan(self, mtype, flags):
        return b"" if not self.laser else super()._scan(mtype, flags)


def test_an_obp_connect_waits_for_a_line_slower_than_its_rate():
    # the spectrum that counts the pixels was allowed its nominal line time and the command
    # timeout only: on a line carrying 3 times slower (2.2 s for 4096 pixels at 115200 baud)
    # the connect failed with "spectrum incomplete ... stopped sending in the middle; scan
    # again", from an instrument that had answered every query and was still sending
    with _SlowLineOBPSimulator(3.0, baud=115200) as sim, _driver("obp", sim) as spec:
        assert spec.model.pixels == 4096


@pytest.mark.parametrize(
    ("simulator", "said"),
    [
        (
            lambda: _SilentScanOBPSimulator(REFERENCE, seed=3, baud=115200),
            r"sent no spectrum within \d+\.\d s of the 100 ms read, laser off, that counts the "
            r"detector's pixels: it may be busy .* then connect again",
        ),
        (
            lambda: _SlowLineOBPSimulator(12.0, baud=115200),
            r"the spectrum of the 100 ms read, laser off, that counts the detector's pixels was "
            r"incomplete after \d+\.\d s \(\d+ of 8256 bytes\), more than twice its line time "
            r"at 115200 baud: .*check the cable and the adapter, then connect again",
        ),
    ],
    ids=["nothing", "part"],
)
def test_an_obp_connect_whose_pixel_count_read_times_out_says_so(simulator, said, monkeypatch):
    # the instrument has answered OBP queries on this port: the late read is neither another
    # device nor another protocol, and a connect has no scan to do again
    from drivers.urls import open_instrument  # noqa: PLC0415

    monkeypatch.setattr(OBPSpectrometer, "late_spectrum_s", 0.3)
    with simulator() as sim, pytest.raises(InstrumentTimeout) as e:
        open_instrument(f"obp://{sim.device_path}?baud=115200&timeout=0.2")
    message = str(e.value)
    assert type(e.value) is InstrumentTimeout, message  # not NoAnswer, not NotThisProtocol
    assert message.startswith(f"{sim.device_path}: the instrument answered as OBP (serial SIMOBP")
    assert re.search(said, message), message
    assert "scan again" not in message and "another" not in message


def test_a_reply_meant_for_a_stopped_obp_session_is_passed_over():
    # the spectrum a stopped session asked for comes when the exposure ends, before the reply
    # to what the next command asks: it was taken for that reply ("is for message type ...")
    with _simulator("obp") as sim, _driver("obp", sim) as spec:
        sim.write(encode_message(MSG["get_raw_spectrum"], bytes(4096), flags=FLAG_RESPONSE))
        assert spec.exchange("get_serial", retries=0) == sim.serial.encode()


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_an_instrument_silent_at_every_rate_may_be_busy_and_is_not_said_to_be_garbled(protocol):
    # nothing answers on this line at all: the message says an instrument still busy with a
    # stopped exposure does that, before the cable (it said "no valid reply ... baud rate")
    master, slave = os.openpty()
    try:
        tty.setraw(slave)
        transport = SerialTransport(os.ttyname(slave), baudrate=9600)
        driver = SERIAL_PROTOCOLS[protocol].driver
        with pytest.raises(NoAnswer, match=r"nothing answered.* at 9600 baud") as e:
            driver(transport, command_timeout_s=0.1)
        assert "busy with an exposure (a scan stopped during a long one)" in str(e.value)
        # nor is the wrong port or protocol left out: they are silent too
        assert "a wrong port, or an instrument of another protocol, is silent" in str(e.value)
        assert e.value.problem.endswith("and one without power or cable")
        assert e.value.advice == NO_ANSWER_ADVICE and "`forensic instrument list`" in str(e.value)
        assert not transport.is_open
    finally:
        os.close(master)
        os.close(slave)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_port_where_bytes_keep_coming_unasked_holds_another_device(protocol, monkeypatch):
    # random bytes streaming on the port (another device) held the connection 30 s, then said
    # "check the cable, power and baud rate": bytes that keep coming for longer than anything
    # a stopped scan left on the line are no reply of this protocol, and that is said
    master, slave = os.openpty()
    talking = threading.Event()
    talking.set()

    def talk():
        noise = np.random.default_rng(1)
        while talking.is_set():
            os.write(master, noise.integers(0, 256, 64, dtype=np.uint8).tobytes())
            time.sleep(0.01)

    talker = threading.Thread(target=talk, daemon=True)
    try:
        tty.setraw(slave)
        transport = SerialTransport(os.ttyname(slave), baudrate=115200)
        driver = SERIAL_PROTOCOLS[protocol].driver
        drains = []  # (allowance left, limit asked) of each drain while connecting
        drain_as_is = transport.drain

        def drain(quiet_s, limit_s):
            drains.append((transport._drain_left_s, limit_s))
            return drain_as_is(quiet_s, limit_s)

        monkeypatch.setattr(transport, "drain", drain)
        talker.start()
        with pytest.raises(NotThisProtocol, match=r"another device.* is on this port") as e:
            driver(transport, command_timeout_s=0.1)
        # at most the line time of one spectrum at 115200 baud (1.3 s Ocean, 0.7 s OBP) in
        # drains, all of them: each rate had its own, 61 s at 2400 baud. Counted, not timed:
        # every drain takes from the one allowance the first was given
        lefts = [left for left, _ in drains]
        assert 0 < lefts[0] < 1.5 and lefts[0] == drains[0][1]
        assert all(later < earlier for earlier, later in itertools.pairwise(lefts))
        assert "`forensic instrument list`" in str(e.value)
        assert "(ocean-rs232: or obp:)" in str(e.value)
    finally:
        talking.clear()
        talker.join()
        os.close(master)
        os.close(slave)


class _LateOnceSimulator(OceanRS232Simulator):
    """An Ocean RS-232 head that answers the ``nth`` sending of one command ``late_s`` seconds
    late, and everything else at once: a controller busy for a moment, just past the driver's
    command timeout."""

    def __init__(self, *args, late: bytes, nth: int, late_s: float, **kw):
        super().__init__(*args, **kw)
        self.late, self.nth, self.late_s, self.sent = late, nth, late_s, 0

    def handle(self, request):
        if self.sent < self.nth and request.startswith(self.late):
            command, _ = parse_command(request, ascii_mode=self.ascii_mode)
            if command is None:
                return b"", 0
            self.sent += 1
            if self.sent == self.nth:
                time.sleep(self.late_s)
        return super().handle(request)


@pytest.mark.parametrize(
    ("late", "nth"),
    [(b"v", 2), (b"I", 1), (b"?x", 1)],
    ids=["firmware-version", "integration-time", "serial-number-slot"],
)
def test_an_ocean_answer_later_than_the_timeout_is_not_read_as_the_next_ones(late, nth):
    # answered 0.25 s after the driver's 0.5 s: the driver sent the command again 50 ms after
    # its timeout, read the late answer as the answer to the new sending, and that one's as the
    # next command's. The version asked by the identification (the second v) left its word on
    # the line for ?x0: the serial number recorded began with its bytes ("\ufffd\x06SIM..."),
    # and spectra of the simulator were no longer marked simulated. The integration time of
    # the configuration (the first I) left its ACK for ?L: the value read was that of ?L's own
    # ACK, and the scan ended in "the laser interlock is open", the interlock being closed.
    # A slot's query (the serial number's, ?x0) was not sent again at all: the connection
    # ended in a timeout, a head busy for a moment taken for one switched off
    sim = _LateOnceSimulator(REFERENCE, seed=3, late=late, nth=nth, late_s=0.75)
    with sim, _driver("ocean-rs232", sim) as spec:
        spectrum = spec.acquire(integration_time_ms=20)
        assert sim.sent == nth
        assert spec.query("I") == 20 and spec.query("L") == 1 and spec.query("J") == 0
    assert spec.info.serial == sim.slots[0] and spec.info.firmware == "3.0.21"
    assert spectrum.metadata["instrument_serial"] == sim.slots[0]
    assert spectrum.metadata["provenance"] == "simulated"
    assert len(spectrum) == 2048 and spectrum.metadata["interlock_checked"]


class _LateOnceOBPSimulator(OBPSimulator):
    """An OBP head that answers the first ``late`` message carrying ``payload`` ``late_s``
    seconds late, the same message sent again 0.1 s late (within the timeout), and everything
    else at once: a controller busy for a moment, just past the driver's command timeout.
    (Answered at once, the second reply came in the same read as the first, and the driver
    dropped it with the rest of what it had read.)"""

    def __init__(self, *args, late: str, payload: bytes, late_s: float, **kw):
        super().__init__(*args, **kw)
        self.late, self.payload, self.late_s, self.sent = MSG[late], payload, late_s, 0

    def handle(self, request):
        with contextlib.suppress(ProtocolError):
            length = message_length(request, strict=True)
            if length is not None and len(request) >= length:
                message = decode_message(request[:length], strict=True)
                if (message.message_type, message.payload) == (self.late, self.payload):
                    self.sent += 1
                    if self.sent <= 2:
                        time.sleep(self.late_s if self.sent == 1 else 0.1)
        return super().handle(request)


@pytest.mark.parametrize(
    ("late", "payload"),
    [("get_wl_coeff", b"\x00"), ("get_nl_coeff", b"\x00")],
    ids=["wavelength-coefficient", "non-linearity-coefficient"],
)
def test_an_obp_reply_later_than_the_timeout_is_not_read_as_the_next_ones(late, payload):
    # answered 0.25 s after the driver's 0.5 s: the driver sent the message again 50 ms after
    # its timeout, read the late reply as the reply to the new sending, and that one's as the
    # next message's of the same type. After a late get_wl_coeff(0), get_wl_coeff(1) read
    # coefficient 0: the coefficients were [790.0, 790.0, -6e-06, 0.0], 790 nm a pixel, and
    # every band of the spectrum at a wrong Raman shift, nothing said; after a late
    # get_nl_coeff(0), the non-linearity correction was [1.0, 1.0] instead of [1.0, 0.0]
    with _simulator("obp") as punctual, _driver("obp", punctual) as spec:
        wavelengths = spec.wavelengths_nm()
        expected = spec.wavelength_coefficients, spec.nonlinearity_coefficients
    sim = _LateOnceOBPSimulator(REFERENCE, seed=3, late=late, payload=payload, late_s=0.75)
    with sim, _driver("obp", sim) as spec:
        spectrum = spec.acquire(integration_time_ms=20)
        assert sim.sent == 2  # its late reply waited for, and the message sent once again
        coefficients = spec.wavelength_coefficients, spec.nonlinearity_coefficients
        assert coefficients == expected
        assert np.array_equal(spec.wavelengths_nm(), wavelengths)
        assert spec.exchange("get_wl_coeff", b"\x01") == struct.pack("<f", expected[0][1])
    assert expected == (
        list(struct.unpack("<4f", struct.pack("<4f", *sim.synth.detector.wavelength_coefficients))),
        [1.0, 0.0],
    )
    assert spectrum.metadata["provenance"] == "simulated" and len(spectrum) == 2048
