"""End to end on a fresh install: simulated seized samples identified against the shipped library.

The samples are mixtures of the shipped (modelled) references, served by the simulated
RS-232 analyser on a pseudo-terminal and acquired through the real driver: nothing here is a
measured spectrum, and the identifications say so.
"""

from __future__ import annotations

import pytest

import forensic
from drivers.urls import open_instrument
from forensic.library import shipped_library


@pytest.fixture(scope="module")
def library():
    return shipped_library()


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ("cocaine hydrochloride:65,levamisole hydrochloride:35", {"cocaine", "levamisole"}),
        ("heroin:60,caffeine:40", {"heroin", "caffeine"}),
    ],
)
def test_simulated_cut_sample_is_found_with_its_cutting_agent(library, parts, expected):
    with open_instrument(f"sim:ocean-rs232?sample={parts}&seed=3&realtime=0") as instrument:
        measured = instrument.acquire()
    assert measured.metadata["provenance"] == "simulated"
    result = forensic.identify(measured, library)
    assert result.mixture is not None, result.reasons
    found = " ".join(c["name"] for c in result.mixture["components"]).lower()
    for word in expected:
        assert word in found, (word, result.mixture)
    assert "modelled reference: confirm against a measured library" in result.warnings


def test_simulated_pure_sample_is_identified_as_itself(library):
    with open_instrument("sim:ocean-rs232?sample=paracetamol&seed=5&realtime=0") as instrument:
        measured = instrument.acquire()
    result = forensic.identify(measured, library)
    assert result.hits[0]["name"] == "Paracetamol"
    assert result.verdict == "identified", result.reasons
