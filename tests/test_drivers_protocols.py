"""The registry of serial protocols: every entry opens, simulates and is recognised; every list
of protocols (URL schemes and parameters, sim: kinds, the command line, the docs) follows it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from synthetic import make_spectrum

import drivers.urls
from drivers.errors import SettingError
from drivers.protocols import SERIAL_PARAMETERS, SERIAL_PROTOCOLS, serial_protocol
from drivers.transport import SerialTransport
from drivers.urls import SCHEMES, SimulatedInstrument, open_instrument, parse_instrument_url
from forensic.cli import main
from forensic.cli.instrument import simulate

REFERENCE = make_spectrum(name="polystyrene-like")
TECHNICIAN = Path(__file__).resolve().parents[1] / "docs" / "technician.md"


def _reference(text, modality):
    return REFERENCE


@pytest.mark.parametrize("scheme", list(SERIAL_PROTOCOLS))
def test_every_protocol_opens_through_its_simulator_and_its_real_driver(scheme):
    protocol = SERIAL_PROTOCOLS[scheme]
    url = f"sim:{scheme}?sample=x&seed=1&realtime=0"
    with open_instrument(url, sample_resolver=_reference) as device:
        assert isinstance(device, SimulatedInstrument)
        assert type(device.simulator) is protocol.simulator
        assert type(device.inner) is protocol.driver  # never another protocol's driver
        spectrum = device.acquire(integration_time_ms=20)
    assert spectrum.metadata["provenance"] == "simulated"
    assert spectrum.metadata["simulated_from"] == "polystyrene-like"


@pytest.mark.parametrize("scheme", list(SERIAL_PROTOCOLS))
def test_every_protocol_s_url_opens_its_driver_on_a_port(scheme):
    protocol = SERIAL_PROTOCOLS[scheme]
    with (
        protocol.simulator(REFERENCE, seed=1, realtime=False) as sim,
        open_instrument(f"{scheme}://{sim.device_path}") as device,
    ):
        assert type(device) is protocol.driver
        assert device.info.serial.startswith("SIM")


@pytest.mark.parametrize("scheme", list(SERIAL_PROTOCOLS))
def test_each_protocol_s_question_is_answered_by_its_own_instrument_only(scheme):
    # what tells the technician which protocol a port speaks: one answer, the right one
    with SERIAL_PROTOCOLS[scheme].simulator(REFERENCE, seed=1, realtime=False) as sim:
        answered = []
        for other, protocol in SERIAL_PROTOCOLS.items():
            with SerialTransport(sim.device_path) as transport:
                if protocol.answers(transport, 0.3):
                    answered.append(other)
    assert answered == [scheme]


def test_every_protocol_is_a_url_scheme_with_its_own_parameters():
    assert SCHEMES[: len(SERIAL_PROTOCOLS)] == tuple(SERIAL_PROTOCOLS)
    for scheme, protocol in SERIAL_PROTOCOLS.items():
        for parameter in SERIAL_PARAMETERS | protocol.parameters:
            assert parse_instrument_url(f"{scheme}:///dev/ttyX?{parameter}=1")[2] == {
                parameter: "1"
            }
    with pytest.raises(SettingError, match=r"obp does not use ascii; it accepts "):
        parse_instrument_url("obp:///dev/ttyX?ascii=1")  # an Ocean RS-232 parameter


def test_an_unknown_protocol_is_refused_never_taken_for_another():
    with pytest.raises(SettingError) as refused:
        open_instrument("sim:obp2?sample=x", sample_resolver=_reference)
    assert str(refused.value) == "sim:obp2: expected sim:ocean-rs232, sim:obp or sim:ftir"
    with pytest.raises(SettingError, match="unknown instrument URL 'obp2:///dev/ttyX'"):
        open_instrument("obp2:///dev/ttyX")
    with pytest.raises(SettingError) as unknown:
        serial_protocol("obp2")
    assert str(unknown.value) == "unknown serial protocol 'obp2': expected ocean-rs232, obp"
    assert serial_protocol("OBP") is SERIAL_PROTOCOLS["obp"]
    result = CliRunner().invoke(
        main, ["instrument", "simulate", "--protocol", "obp2", "--sample", "x"]
    )
    assert result.exit_code == 2 and "'obp2' is not one of 'ocean-rs232', 'obp'" in result.output


def test_the_command_line_offers_the_registered_protocols():
    (option,) = [p for p in simulate.params if p.name == "protocol"]
    assert list(option.type.choices) == list(SERIAL_PROTOCOLS)


def test_an_unknown_rates_table_is_refused_before_the_port_opens():
    with pytest.raises(SettingError, match="rates='bw': expected 'ocean' or 'bwtek'"):
        SERIAL_PROTOCOLS["ocean-rs232"].options({"rates": "bw"}, None)


@pytest.mark.parametrize("scheme", list(SERIAL_PROTOCOLS))
def test_the_url_tables_name_every_protocol_and_its_simulator(scheme):
    # the tables are written by hand, for people: a new protocol must reach them
    guide = TECHNICIAN.read_text(encoding="utf-8")
    table = guide[guide.index("| URL | Instrument |") :].split("\n\n", 1)[0]
    docstring = drivers.urls.__doc__.split("Serial URLs accept", 1)[0]
    for text in (table, docstring):
        assert f"``{scheme}:" in text or f"`{scheme}:" in text, scheme
        assert f"sim:{scheme}" in text, scheme
