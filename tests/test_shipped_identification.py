"""End to end on a fresh install: simulated seized samples identified against the shipped library.

The samples are mixtures of the shipped (modelled) references, served by the simulated
RS-232 analyser on a pseudo-terminal and acquired through the real driver: nothing here is a
measured spectrum, and the identifications say so.
"""

from __future__ import annotations

import numpy as np
import pytest

import forensic
from drivers.urls import open_instrument
from forensic.identification import MODELLED_WARNING
from forensic.library_folders import shipped_library
from forensic.report.layout import reasons_line
from forensic.samples import resolve_sample
from forensic.verdict import Calibration, verdict_line
from spectral_library import LIBRARY_DIR


def _simulated(url):
    """The simulator of ``url``, its sample (names, a cut sample) from the shipped library."""
    return open_instrument(url, sample_resolver=resolve_sample)


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
    with _simulated(f"sim:ocean-rs232?sample={parts}&seed=3&realtime=0") as instrument:
        measured = instrument.acquire()
    assert measured.metadata["provenance"] == "simulated"
    result = forensic.identify(measured, library)
    assert result.mixture is not None, result.reasons
    found = " ".join(c["name"] for c in result.mixture["components"]).lower()
    for word in expected:
        assert word in found, (word, result.mixture)
    assert MODELLED_WARNING in result.warnings


def test_simulated_pure_sample_is_identified_as_itself(library):
    with _simulated("sim:ocean-rs232?sample=paracetamol&seed=5&realtime=0") as instrument:
        measured = instrument.acquire()
    result = forensic.identify(measured, library)
    assert result.hits[0]["name"] == "Paracetamol"
    assert result.verdict == "identified", result.reasons


def test_a_cut_sample_that_no_single_reference_identifies_is_identified_as_its_mixture(library):
    """At 60:40 cocaine and caffeine each explain part of the spectrum and score alike: the best
    single hit cannot be told from the other, but the fit confirms each by its own part."""
    sample = "cocaine:60,caffeine:40"
    with _simulated(f"sim:ocean-rs232?sample={sample}&seed=3&realtime=0") as instrument:
        measured = instrument.acquire()
    result = forensic.identify(measured, library)
    assert any("does not tell them apart" in r for r in result.reasons), result.reasons
    assert result.verdict == "identified", result.reasons
    assert any(r.startswith("identified as a mixture") for r in result.reasons)
    components = result.mixture["components"]
    assert {c["name"] for c in components} == {"Cocaine base", "Caffeine"}
    assert all(c["verdict"] == "identified" and c["q_value"] <= 0.05 for c in components)
    assert verdict_line(result.to_dict()).startswith("IDENTIFIED (mixture): ")
    # without the fit there is no mixture to confirm them, and the single hit stays undecided
    assert forensic.identify(measured, library, mixtures=False).verdict == "inconclusive"


def test_hits_and_components_carry_their_band_tables_source_and_confidence(library):
    """The confidence of each band table (bands/*.toml) reaches the result, so that a report
    can say how far a match on a modelled reference is to be trusted."""
    sample = "cocaine hydrochloride:65,levamisole hydrochloride:35"
    with _simulated(f"sim:ocean-rs232?sample={sample}&seed=3&realtime=0") as instrument:
        measured = instrument.acquire()
    result = forensic.identify(measured, library)
    for reference in [*result.hits, *result.mixture["components"]]:
        assert reference["band_confidence"] in ("high", "medium", "low"), reference
        assert reference["source"].startswith("modelled from bands/")
        assert f"(confidence {reference['band_confidence']})" in reference["source"]
    levamisole = next(c for c in result.mixture["components"] if "Levamisole" in c["name"])
    assert levamisole["band_confidence"] == "low"  # bands/levamisole-hcl.toml
    # the technician reads on the screen what the report will state: a substance the result
    # names on a low-confidence band table is among its warnings
    assert result.verdict == "identified"
    (said,) = [w for w in result.warnings if "rated low confidence" in w]
    assert said.startswith("Levamisole hydrochloride is identified by a match with a modelled")


def _cocaine_measured_over(low: float, high: float) -> forensic.Spectrum:
    """The shipped Raman cocaine HCl reference (150-3400 cm-1) cut to ``low``-``high``, with
    noise of 1 % of its maximum: a query that sees only part of the reference."""
    reference = forensic.read_spectrum(LIBRARY_DIR / "raman" / "cocaine-hcl.jdx")
    kept = (reference.wavenumber >= low) & (reference.wavenumber <= high)
    noise = np.random.default_rng(1).normal(0, 0.01 * reference.intensity.max(), kept.sum())
    return forensic.Spectrum(
        wavenumber=reference.wavenumber[kept],
        intensity=reference.intensity[kept] + noise,
        modality="raman",
    )


def test_a_query_of_the_c_h_stretches_only_gets_no_full_range_q_value(library):
    # cut to 2700-3400 cm-1 the query holds the C-H stretches only: the full-range curve gave
    # it q = 0.0031 (its floor) and "identified", though nothing calibrated so short a query
    result = forensic.identify(_cocaine_measured_over(2700, 3400), library, mixtures=False)
    best = result.best
    assert best["name"] == "Cocaine hydrochloride"
    assert best["range_share"] < 0.25
    assert best["q_value"] is None
    calibration = Calibration.from_dict(library.block("raman").calibration)
    assert calibration.stratum(best["range_share"]) is None
    assert result.verdict == "inconclusive"
    assert result.reasons[:2] == [
        f"the query compares only {best['range_share']:.0%} of the reference: q-value not "
        "calibrated for so short a comparison",
        f"so short a comparison is not identified by its score alone (best score "
        f"{best['score']:.3f}): measure the sample over the reference's range",
    ]
    assert verdict_line(result.to_dict()) == "INCONCLUSIVE: no substance identified"
    # a report says it in the same words
    assert reasons_line(result.to_dict()) == f"Why: {'; '.join(result.reasons)}."
    assert reasons_line(result.to_dict()).startswith("Why: the query compares only 12% of")


def test_a_fingerprint_query_is_read_on_the_curve_of_its_share(library):
    full = forensic.identify(_cocaine_measured_over(150, 3400), library, mixtures=False).best
    result = forensic.identify(_cocaine_measured_over(1000, 1700), library, mixtures=False)
    best = result.best
    calibration = Calibration.from_dict(library.block("raman").calibration)
    assert full["range_share"] >= 0.8 and calibration.stratum(full["range_share"]) == (0.8, 1.0)
    assert full["q_value"] == pytest.approx(
        float(calibration.q_value(full["search_score"])), abs=1e-6
    )
    assert best["name"] == "Cocaine hydrochloride"
    assert calibration.stratum(best["range_share"]) == (0.25, 0.5)
    assert best["q_value"] == pytest.approx(
        float(calibration.strata[1].calibration.q_value(best["search_score"])), abs=1e-6
    )
    assert best["q_value"] > full["q_value"]
    assert result.reasons[1] == (
        f"the query compares {best['range_share']:.0%} of the reference: q-value read on the "
        "calibration of comparisons that see 25-50% of it"
    )
    assert result.verdict == ("identified" if best["q_value"] <= 0.05 else "inconclusive")
