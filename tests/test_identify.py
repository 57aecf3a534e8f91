"""identify(): synthetic libraries of distinct band sets, the result schema, bad queries."""

from __future__ import annotations

import copy
import importlib
import json
import re
import subprocess
import sys
from collections import defaultdict

import numpy as np
import pytest
from synthetic import co2_doublet, make_spectrum

import forensic
from forensic.errors import IdentificationError, LibraryError
from forensic.identification import (
    MODELLED_WARNING,
    MOVE_COST_PER_CM1,
    MOVE_FREE_CM1,
    OLD_CALIBRATION_WARNING,
    PARTIAL_UNCALIBRATED_WARNING,
    SIMULATED_WARNING,
    Identification,
    comparison_row,
    identify,
    library_named,
    not_measured_warning,
    quick_search,
    quick_search_batch,
    reference_warning,
)
from forensic.io import read_spectrum, write_spectrum
from forensic.library import Library
from forensic.processing import split_representation
from forensic.quality import unit_label_doubt
from forensic.report import pdf as report_pdf
from forensic.report.layout import figure_title
from forensic.search import SHIFT_SEARCH_CM1, Hit, score_query
from forensic.spectrum import GUESSED_UNIT_BASIS, Spectrum, transmittance_scale
from forensic.verdict import (
    MIN_SIGNAL_TO_NOISE,
    Q_IDENTIFIED,
    Q_NO_MATCH,
    Calibration,
    closest_line,
    decide,
    decide_component,
    format_q_value,
    format_score,
    verdict_line,
)
from forensic.verdict import margin_of as verdict_margin_of

BAND_SETS = {
    "caffeine": [(555.0, 0.6, 8.0), (1330.0, 1.0, 8.0), (1700.0, 0.4, 10.0)],
    "cocaine": [(870.0, 0.5, 8.0), (1005.0, 1.0, 6.0), (1600.0, 0.4, 8.0), (1715.0, 0.3, 10.0)],
    "lidocaine": [(650.0, 0.4, 8.0), (1040.0, 0.5, 8.0), (1270.0, 0.9, 8.0), (1450.0, 0.7, 10.0)],
    "sucrose": [(420.0, 0.5, 10.0), (840.0, 1.0, 8.0), (1130.0, 0.6, 10.0)],
    "mannitol": [(880.0, 1.0, 8.0), (1035.0, 0.6, 8.0), (1120.0, 0.4, 8.0), (1470.0, 0.3, 10.0)],
    "paracetamol": [(800.0, 0.6, 8.0), (1235.0, 0.5, 8.0), (1610.0, 1.0, 8.0), (1650.0, 0.4, 8.0)],
    "levamisole": [(470.0, 0.3, 8.0), (700.0, 0.9, 8.0), (1000.0, 0.5, 8.0), (1300.0, 0.4, 8.0)],
    "benzocaine": [(860.0, 0.8, 8.0), (1170.0, 0.6, 8.0), (1280.0, 0.5, 8.0), (1600.0, 1.0, 8.0)],
}


@pytest.fixture(scope="module")
def library():
    spectra = []
    for i, (name, bands) in enumerate(BAND_SETS.items()):
        for k in range(2):  # two measurements of each: one hit per substance must still hold
            spectra.append(make_spectrum(bands, name=name, seed=10 * i + k, noise=0.004, stop=2000))
    modelled = make_spectrum([(330.0, 1.0, 8.0), (950.0, 0.8, 8.0)], name="modelled thing")
    spectra.append(modelled.with_metadata(provenance="modelled"))
    return Library.from_spectra(spectra)


def _ir_library(stop=2000.0):
    """The BAND_SETS as IR absorbance references, uncalibrated."""
    refs = [
        make_spectrum(b, name=n, modality="ir", y_unit="absorbance", noise=0.004, stop=stop)
        for n, b in BAND_SETS.items()
    ]
    return Library.from_spectra(refs, calibrate=False)


def _ir_query(stop=2000.0):
    """A fresh IR absorbance measurement of cocaine."""
    return make_spectrum(
        BAND_SETS["cocaine"], modality="ir", y_unit="absorbance", noise=0.004, seed=8, stop=stop
    )


def _query(name, **kw):
    kw.setdefault("noise", 0.01)
    kw.setdefault("seed", 99)
    return make_spectrum(BAND_SETS[name], stop=2000, **kw)


@pytest.mark.parametrize("name", ["cocaine", "paracetamol", "sucrose"])
def test_identifies_a_noisy_fluorescent_measurement(library, name):
    query = _query(name, baseline=3.0)
    before = query.intensity.copy()
    result = identify(query, library)
    np.testing.assert_array_equal(query.intensity, before)
    assert result.hits[0]["name"] == name
    # a 17-entry library calibrates on 17 perturbed queries: q-values cannot reach 0.01 (the
    # "+1" of target-decoy competition), so the verdict may stay inconclusive; never no_match
    assert result.verdict in ("identified", "inconclusive"), result.reasons
    assert result.hits[0]["q_value"] is not None
    assert result.hits[0]["score"] > result.hits[1]["score"] + 0.2
    names = [h["name"] for h in result.hits]
    assert len(names) == len(set(names)) == 5
    assert [h["rank"] for h in result.hits] == [1, 2, 3, 4, 5]
    assert result.library_version == library.version
    assert result.pipeline == library.block("raman").pipeline.to_list()
    assert {"preprocess", "search", "align", "total"} <= set(result.timings_ms)


@pytest.mark.parametrize("shift", [6.0, -11.0])
def test_a_shifted_measurement_is_aligned_and_reports_its_shift(library, shift):
    bands = [(c + shift, h, w) for c, h, w in BAND_SETS["lidocaine"]]
    result = identify(make_spectrum(bands, stop=2000, noise=0.005, seed=5), library)
    best = result.hits[0]
    assert best["name"] == "lidocaine"
    assert best["shift_cm1"] == pytest.approx(shift, abs=1.5)
    assert len(best["matched_peaks"]) >= 3
    for q, r in best["matched_peaks"]:
        assert q - r == pytest.approx(shift, abs=2.5)


@pytest.mark.parametrize("modality", ["ir", "raman"])
def test_noise_bumps_of_a_noisy_query_are_not_counted_as_unmatched_bands(modality):
    # noise of 2 % of the strongest band: the query rebuilt from the IR representation (square
    # root, derivative, back) showed its noise bumps as bands, and the right reference matched
    # a median 36 % of them (too few to identify); the query's own smoothed spectrum does not
    unit = "absorbance" if modality == "ir" else "arbitrary"
    refs = [
        make_spectrum(b, name=n, modality=modality, y_unit=unit, noise=0.004, stop=2000)
        for n, b in BAND_SETS.items()
    ]
    lib = Library.from_spectra(refs, calibrate=False)
    for seed, (name, bands) in enumerate(BAND_SETS.items()):
        query = make_spectrum(
            bands, modality=modality, y_unit=unit, noise=0.02, seed=100 + seed, stop=2000
        )
        best = identify(query, lib, mixtures=False).hits[0]
        assert best["name"] == name
        assert best["matched_fraction"] >= 0.75, (name, best["unmatched_peaks"])
        assert len(best["matched_peaks"]) <= len(bands)


def test_an_exact_score_tie_is_broken_by_entry_id_whatever_the_order_of_the_files():
    """One spectrum filed under two names (RRUFF's Pyrochlore and its duplicate confuser)
    scores exactly alike against any query: the hit whose entry id comes first ranks first,
    given in either order, so the same library content gives the technician the same result."""
    pyrochlore = make_spectrum(BAND_SETS["sucrose"], seed=5, noise=0.004, stop=2000)
    twins = [
        pyrochlore.with_metadata(name="Pyrochlore"),
        pyrochlore.with_metadata(name="Fluorcalciopyrochlore"),
    ]
    others = [
        make_spectrum(bands, name=name, seed=i, noise=0.004, stop=2000)
        for i, (name, bands) in enumerate(BAND_SETS.items())
        if name != "sucrose"
    ]
    query = make_spectrum(BAND_SETS["sucrose"], seed=77, noise=0.01, stop=2000)
    seen = []
    for refs in ([*twins, *others], [*others, *twins[::-1]]):
        lib = Library.from_spectra(refs)
        result = identify(query, lib)
        first, second = result.hits[:2]
        assert first["score"] == second["score"]
        seen.append(
            (
                lib.version,
                [(h["name"], h["entry_id"], h["score"], h["q_value"]) for h in result.hits],
                result.verdict,
                result.reasons,
                [h["name"] for h in quick_search(query, lib, top=2)],
            )
        )
    assert seen[0] == seen[1]
    _, hits, verdict, reasons, quick = seen[0]
    assert [h[:2] for h in hits[:2]] == [
        ("Fluorcalciopyrochlore", "raman-fluorcalciopyrochlore"),
        ("Pyrochlore", "raman-pyrochlore"),
    ]
    assert quick == ["Fluorcalciopyrochlore", "Pyrochlore"]
    assert verdict == "inconclusive"
    assert reasons[1] == (
        "the best different substance scores within 0.000 (< 0.02): the spectrum does not tell "
        "them apart"
    )


def test_q_values_come_from_a_calibration_with_the_shift_search(library):
    block = library.block("raman")
    assert block.calibration["info"]["shift_search_cm1"] == SHIFT_SEARCH_CM1
    calibration = Calibration.from_dict(block.calibration)
    bands = [(c + 9.0, h, w) for c, h, w in BAND_SETS["cocaine"]]
    result = identify(make_spectrum(bands, stop=2000, noise=0.01, seed=4), library)
    best = result.best
    assert best["name"] == "cocaine"
    # read at the hit's score at most (the alignment's sub-step gain is not calibrated)
    assert best["q_value"] >= float(calibration.q_value(best["score"])) - 1e-6
    assert best["q_value"] <= 0.05  # ... and a right hit 9 cm-1 off is still identified
    assert result.verdict == "identified"


def test_a_library_calibrated_by_an_older_method_is_flagged(library):
    import copy  # noqa: PLC0415

    query = _query("cocaine")
    assert OLD_CALIBRATION_WARNING not in identify(query, library).warnings
    old = copy.deepcopy(library)
    for key in ("method", "shift_search_cm1"):  # what a first-session library stored
        del old.block("raman").calibration["info"][key]
    flagged = identify(query, old)
    assert OLD_CALIBRATION_WARNING in flagged.warnings
    assert any("forensic library build" in a for a in flagged.advice)
    assert not any("forensic library build" in w for w in flagged.warnings)


def test_a_partial_query_reads_the_q_value_of_its_share_of_the_reference(library):
    query = make_spectrum(BAND_SETS["cocaine"], noise=0.004, seed=5, start=950, stop=1800)
    result = identify(query, library)
    best = result.best
    assert best["name"] == "cocaine"
    calibration = Calibration.from_dict(library.block("raman").calibration)
    stratum = calibration.stratum(best["range_share"])
    assert stratum is not None and stratum[1] <= 0.8  # not the full-range curve
    assert best["q_value"] == pytest.approx(
        float(calibration.q_value(best["search_score"], best["range_share"])), abs=1e-6
    )
    assert best["q_value"] != pytest.approx(float(calibration.q_value(best["search_score"])))
    share = verdict_share(best["range_share"], stratum)
    assert result.verdict == "identified"
    assert (
        result.reasons[0] == f"score 0.956, q-value {format_q_value(best['q_value'])}, at most 0.05"
    )
    assert result.reasons[1] == (
        f"the query compares {share} of the reference: q-value read on the calibration of "
        f"comparisons that see {stratum[0] * 100:.0f}-{stratum[1]:.0%} of it"
    )
    assert json.loads(json.dumps(result.to_dict()))["hits"][0]["range_share"] == pytest.approx(
        best["range_share"]
    )


def verdict_share(share: float, bounds) -> str:
    from forensic.verdict import format_beside  # noqa: PLC0415

    return format_beside(share, list(bounds), percent=True)


def test_a_library_calibrated_before_partial_comparisons_gives_them_no_q_value(library):
    query = make_spectrum(BAND_SETS["cocaine"], noise=0.004, seed=5, start=950, stop=1800)
    full = _query("cocaine")
    old = copy.deepcopy(library)
    calibration = old.block("raman").calibration
    del calibration["strata"]  # as a library calibrated by method 2 stored it
    calibration["info"]["method"] = 2
    partial = identify(query, old)
    best = partial.best
    assert best["name"] == "cocaine" and best["q_value"] is None
    # at best inconclusive: its score alone does not identify a comparison that short
    assert partial.verdict == "inconclusive"
    assert partial.reasons[:2] == [
        f"the query compares only {verdict_share(best['range_share'], [0.8])} of the "
        "reference, and this library's calibration holds for full comparisons only (it was "
        "made before partial comparisons were calibrated): q-value not calibrated",
        f"so short a comparison is not identified by its score alone (best score "
        f"{best['score']:.3f}): measure the sample over the reference's range",
    ]
    assert PARTIAL_UNCALIBRATED_WARNING in partial.warnings
    assert "rebuild the library (forensic library build) to recalibrate it" in partial.advice
    assert OLD_CALIBRATION_WARNING not in partial.warnings  # it has the shift search
    # a full comparison is read on the curve it always was, and warns of nothing
    as_before = identify(full, old)
    assert as_before.best["q_value"] == identify(full, library).best["q_value"] is not None
    assert PARTIAL_UNCALIBRATED_WARNING not in as_before.warnings
    assert library.block("raman").calibration.get("strata") is not None  # the copy was changed


def _verdict_from_the_record(result: dict) -> str:
    """The verdict a reader of a result finds: the thresholds applied to its best hit as
    recorded (the margin over the next substance, the q-value, the bands matched)."""
    best, *others = result["hits"]
    margin = best["score"] - others[0]["score"] if others else float("inf")
    q_value = float("nan") if best["q_value"] is None else best["q_value"]
    return decide(best["score"], q_value, margin, best["matched_band_fraction"])[0]


@pytest.mark.parametrize(
    ("q_value", "recorded", "verdict"),
    [
        (Q_IDENTIFIED + 4e-7, 0.05, "identified"),  # recorded as 0.05: at most 0.05
        (Q_IDENTIFIED - 4e-7, 0.05, "identified"),
        (Q_IDENTIFIED + 6e-7, 0.050001, "inconclusive"),
        (Q_NO_MATCH + 4e-7, 0.2, "inconclusive"),  # recorded as 0.2: not above 0.2
        (Q_NO_MATCH + 6e-7, 0.200001, "no_match"),
    ],
)
def test_the_verdict_is_decided_on_the_q_value_the_result_records(
    library, monkeypatch, q_value, recorded, verdict
):
    """A q-value within rounding of a threshold: the record must not say q-value 0.05 beside
    "inconclusive" under "q-value at most 0.05: identified"."""
    engine = importlib.import_module("forensic.identification")
    monkeypatch.setattr(engine, "_q_value", lambda calibration, score, share=1.0: q_value)
    result = identify(_query("caffeine"), library, mixtures=False).to_dict()
    assert result["hits"][0]["name"] == "caffeine"
    assert result["hits"][0]["q_value"] == recorded
    assert result["verdict"] == verdict == _verdict_from_the_record(result)
    # and it is shown on the side of each threshold the verdict took
    shown = float(format_q_value(result["hits"][0]["q_value"]))
    assert (shown <= Q_IDENTIFIED) == (verdict == "identified")
    assert (shown > Q_NO_MATCH) == (verdict == "no_match")


def test_a_mixture_component_s_verdict_is_decided_on_what_the_result_records(library, monkeypatch):
    engine = importlib.import_module("forensic.identification")
    monkeypatch.setattr(
        engine, "_q_value", lambda calibration, score, share=1.0: Q_IDENTIFIED + 4e-7
    )
    a = _query("cocaine", noise=0.0)
    b = _query("levamisole", noise=0.0)
    y = 0.6 * a.intensity + 0.4 * b.intensity + np.random.default_rng(0).normal(0, 0.003, len(a))
    result = identify(Spectrum(a.wavenumber, y, modality="raman"), library)
    assert result.mixture is not None, result.reasons
    for component in result.mixture["components"]:
        assert component["q_value"] == 0.05
        margin = float("inf") if component["margin"] is None else component["margin"]
        expected = decide_component(component["score"], component["q_value"], margin)
        assert component["verdict"] == expected
    assert any(c["verdict"] == "identified" for c in result.mixture["components"])


@pytest.mark.parametrize(("measured", "recorded"), [(9.96, 10.0), (9.94, 9.9)])
def test_the_verdict_is_decided_on_the_signal_to_noise_the_result_records(
    library, monkeypatch, measured, recorded
):
    engine = importlib.import_module("forensic.identification")
    monkeypatch.setattr(engine, "_signal_to_noise", lambda spectrum, pipeline: measured)
    result = identify(_query("caffeine"), library, mixtures=False)
    assert result.signal_to_noise == recorded
    usable = recorded >= MIN_SIGNAL_TO_NOISE
    assert (result.verdict == "identified") == usable, result.reasons
    assert any("barely rises above its noise" in w for w in result.warnings) != usable


def test_an_unknown_substance_is_not_identified(library):
    stranger = make_spectrum([(505.0, 1.0, 8.0), (1180.0, 0.7, 8.0), (1540.0, 0.5, 8.0)], stop=2000)
    result = identify(stranger, library)
    assert result.verdict in ("no_match", "inconclusive")
    assert result.reasons
    known = identify(_query("caffeine"), library)
    assert result.hits[0]["score"] < known.hits[0]["score"] - 0.2
    assert result.hits[0]["q_value"] >= known.hits[0]["q_value"]


def test_result_round_trips_through_json(library):
    result = identify(_query("caffeine"), library, top=3)
    data = json.loads(json.dumps(result.to_dict()))
    again = Identification.from_dict(data)
    assert again.to_dict() == result.to_dict()
    for key in (
        "verdict",
        "modality",
        "hits",
        "mixture",
        "warnings",
        "advice",
        "pipeline",
        "library_version",
        "signal_to_noise",
        "timings_ms",
        "query",
        "best_reference",
    ):
        assert key in data
    hit = data["hits"][0]
    for key in (
        "rank",
        "name",
        "entry_id",
        "score",
        "q_value",
        "shift_cm1",
        "stretch",
        "matched_peaks",
        "unmatched_peaks",
        "provenance",
        "cas",
        "class",
    ):
        assert key in hit
    assert len(data["query"]["wavenumber"]) == len(data["query"]["intensity"]) > 100
    assert max(data["query"]["intensity"]) == pytest.approx(1.0)


def test_a_modelled_reference_carries_a_warning(library):
    query = make_spectrum([(330.0, 1.0, 8.0), (950.0, 0.8, 8.0)], noise=0.01, seed=3)
    result = identify(query, library)
    assert result.hits[0]["provenance"] == "modelled"
    assert MODELLED_WARNING in result.warnings
    assert "confirm the result against a measured reference library" in result.advice
    measured = identify(_query("caffeine"), library)
    assert measured.hits[0]["provenance"] == "measured"
    assert any(h["provenance"] == "modelled" for h in measured.hits[1:])  # ranked lower...
    assert MODELLED_WARNING not in measured.warnings  # ...it names nothing: no warning


@pytest.mark.parametrize(
    ("provenance", "said"),
    [
        ("simulated", SIMULATED_WARNING),  # was warned of as "modelled from a band table"
        ("synthetic", "reference of provenance 'synthetic': not stated to be measured"),
    ],
)
def test_a_reference_not_modelled_nor_measured_is_warned_of_as_what_it_is(provenance, said):
    references = [
        make_spectrum(bands, name=name, noise=0.004, stop=2000)
        for name, bands in BAND_SETS.items()
        if name != "caffeine"
    ]
    made = make_spectrum(BAND_SETS["caffeine"], name="caffeine", stop=2000)
    library = Library.from_spectra(
        [*references, made.with_metadata(provenance=provenance)], calibrate=False
    )
    result = identify(_query("caffeine"), library, top=2)
    assert result.hits[0]["name"] == "caffeine" and result.hits[0]["provenance"] == provenance
    assert reference_warning(provenance).startswith(said)
    assert reference_warning(provenance) in result.warnings
    assert not any("modelled" in w or "band table" in w for w in result.warnings)


def test_a_query_of_unknown_provenance_is_not_taken_for_a_measurement(library):
    unstated = identify(_query("caffeine"), library, top=1)
    assert not any("evidential" in w for w in unstated.warnings)  # a file states none
    stated = identify(_query("caffeine").with_metadata(provenance="synthetic"), library, top=1)
    assert stated.warnings[0] == not_measured_warning("synthetic")
    assert stated.warnings[0].startswith(
        "the spectrum is SYNTHETIC (made by a source the toolkit does not know), not measured"
    )


def test_a_modelled_reference_asks_for_confirmation_only_of_a_named_substance(library):
    """Confirming against a measured library is what an identification on a modelled
    reference needs; for an empty measurement, what to do first is to measure again."""
    faint = make_spectrum([(330.0, 1.0, 8.0), (950.0, 0.8, 8.0)], noise=0.3, seed=3)
    result = identify(faint, library)
    assert result.hits[0]["provenance"] == "modelled" and result.verdict != "identified"
    assert MODELLED_WARNING in result.warnings  # the fact stands
    assert not any("measured reference library" in a for a in result.advice)
    assert "measure again" in result.advice[0], result.advice


def test_a_component_only_possibly_present_is_said_so_with_what_would_settle_it(library):
    cocaine = make_spectrum(BAND_SETS["cocaine"], noise=0.0, stop=2000)
    caffeine = make_spectrum(BAND_SETS["caffeine"], noise=0.0, stop=2000)
    rng = np.random.default_rng(1)
    y = 0.93 * cocaine.intensity + 0.07 * caffeine.intensity
    cut = Spectrum(cocaine.wavenumber, y + rng.normal(0, 0.01, y.size), modality="raman")
    result = identify(cut, library)
    assert result.verdict == "identified" and result.best["name"] == "cocaine"
    assert verdict_line(result.to_dict()) == "IDENTIFIED: cocaine; possibly also caffeine"
    (said,) = [w for w in result.warnings if "caffeine" in w]
    assert (
        said.startswith("caffeine (") and "of the fitted signal) is only possibly present" in said
    )
    assert said.endswith("which does not identify it")
    assert "confirm or exclude caffeine by another technique" in result.advice
    assert not any("looks like a mixture" in w for w in result.warnings)


def test_a_component_dropped_below_a_threshold_is_not_shown_on_it(monkeypatch):
    """A component whose part scores 0.79996, below the uncalibrated no-match score 0.80, was
    warned of as matching "no better than chance (score 0.80)"."""
    engine = importlib.import_module("forensic.identification")
    judged = engine._evidenced

    def minor_part_just_below(fit, *args, **kwargs):
        evidence = judged(fit, *args, **kwargs)
        minor = min(fit.components, key=lambda component: component[1])[0]
        return {i: (0.79996, m) if i == minor else (s, m) for i, (s, m) in evidence.items()}

    monkeypatch.setattr(engine, "_evidenced", minor_part_just_below)
    drug = _ir_query()
    agent = make_spectrum(
        BAND_SETS["levamisole"], modality="ir", y_unit="absorbance", noise=0.0, stop=2000
    )
    cut = drug.replace(intensity=0.6 * drug.intensity + 0.4 * agent.intensity)
    result = identify(cut, _ir_library())  # uncalibrated: the score thresholds apply
    (said,) = [w for w in result.warnings if "no better than chance" in w]
    assert "levamisole" in said and "(score 0.79996)" in said


@pytest.mark.parametrize("provenance", ["simulated", "modelled"])
def test_a_query_not_measured_from_a_sample_says_so(library, provenance):
    query = _query("caffeine")
    assert not any("evidential" in w for w in identify(query, library, top=1).warnings)
    made = identify(query.with_metadata(provenance=provenance), library, top=1)
    assert made.warnings[0] == not_measured_warning(provenance)
    assert f"the spectrum is {provenance.upper()}" in made.warnings[0]
    assert made.to_dict()["warnings"][0].endswith("this result has no evidential value")


def test_what_the_acquisition_warned_of_is_among_the_warnings(library):
    said = "the detector's non-linearity correction was not applied: ..."
    to_do = "have the instrument's calibration checked"
    query = _query("caffeine").with_metadata(
        acquisition_warnings=[said], acquisition_advice=[to_do]
    )
    result = identify(query, library, top=1)
    assert said in result.warnings and said in result.to_dict()["warnings"]
    # what to do is the technician's: among the advice, not the warnings
    assert result.advice == [to_do] and result.to_dict()["advice"] == [to_do]
    assert not any(to_do in w for w in result.warnings)
    assert result.hits == identify(_query("caffeine"), library, top=1).hits  # only said


def test_a_spectrum_without_signal_is_said_to_have_none(library):
    # nothing in the beam: the detector's offset and noise only
    axis = np.arange(200.0, 2000.0, 1.0)
    rng = np.random.default_rng(5)
    empty = Spectrum(axis, 1000.0 + rng.normal(0.0, 5.0, axis.size), modality="raman")
    result = identify(empty, library)
    # an empty measurement excludes nothing: "no match" would read as "not a listed substance"
    assert result.verdict == "inconclusive"
    assert result.signal_to_noise < 10.0
    assert any("neither identify a substance nor exclude one" in r for r in result.reasons)
    assert verdict_line(result.to_dict()).startswith("INCONCLUSIVE: no usable signal")
    assert verdict_line(result.to_dict()).endswith(" times the noise, 10 needed)")
    # no reason left over from a no match ("matches no reference"), whose numbers stay
    assert not any("matches no reference" in r for r in result.reasons)
    assert result.reasons[0].startswith(f"best hit {result.best['name']}: score ")
    figure = {**result.to_dict(), "best_reference": {"wavenumber": [1.0]}}
    assert figure_title(figure).endswith("closest reference (by chance: no usable signal)")
    assert figure_title({**figure, "signal_to_noise": 50.0, "unusable": "x"}).endswith(
        "closest reference (compared wrongly: see the warnings)"
    )
    (said,) = [w for w in result.warnings if "noise" in w]
    assert "barely rises above its noise" in said and said.endswith("any hit is likely chance")
    # the fact is recorded and reported; what to do is the technician's (advice) only
    assert "sample is in the beam" not in said
    assert any("sample is in the beam" in a and "measure again" in a for a in result.advice)
    # a spectrum with signal keeps its verdict and says how strong its signal is
    measured = identify(_query("caffeine"), library)
    assert measured.signal_to_noise > 30.0
    assert not verdict_line(measured.to_dict()).startswith("INCONCLUSIVE: no usable")
    # a cosmic ray on the empty measurement is no band
    spiked = empty.replace(intensity=np.asarray(empty.intensity) + 400.0 * (axis == 900.0))
    assert any("barely rises above its noise" in w for w in identify(spiked, library).warnings)
    flat = Spectrum(axis, np.full(axis.size, 1000.0), modality="raman")
    try:
        flat_result = identify(flat, library)
    except IdentificationError as exc:  # nothing left to compare is also a clear answer
        assert "flat" in str(exc)
    else:
        assert any(w.startswith("the spectrum is flat") for w in flat_result.warnings)
    # a real measurement, and an IR one whose bands are dips in transmittance, are not flagged
    assert not any("noise" in w for w in identify(_query("caffeine"), library).warnings)
    absorbance = _ir_query()
    dips = absorbance.replace(
        intensity=10.0 ** -(0.5 * np.asarray(absorbance.intensity)), y_unit="transmittance"
    )
    ir_result = identify(dips, _ir_library())
    assert not any("noise" in w for w in ir_result.warnings), ir_result.warnings


def test_weak_extra_bands_do_not_stop_an_identification_strong_ones_do(library):
    caffeine = BAND_SETS["caffeine"]
    trace = [(700.0, 0.04, 8.0), (1000.0, 0.04, 8.0), (1450.0, 0.04, 8.0), (1550.0, 0.04, 8.0)]
    result = identify(make_spectrum(caffeine + trace, noise=0.002, seed=99, stop=2000), library)
    best = result.best
    assert best["name"] == "caffeine" and result.verdict == "identified", result.reasons
    # counted one by one, only 3 of the 7 bands are caffeine's; by prominence, nearly all
    assert best["matched_fraction"] < 0.5 < 0.9 < best["matched_band_fraction"]
    cut = [(c, 0.8, w) for c, _, w in trace]  # as strong as caffeine's own bands
    result = identify(make_spectrum(caffeine + cut, noise=0.002, seed=99, stop=2000), library)
    assert result.verdict != "identified"
    assert any("unexplained bands" in r for r in result.reasons), result.reasons


def test_a_reference_moved_onto_the_query_is_scored_where_it_has_data():
    # broad IR bands, one at the reference's lower edge, inside the query's range; the
    # query's axis is 8 cm-1 off, too little for the shift search to call it an offset
    bands = [(640.0, 1.0, 40.0), (1050.0, 0.8, 30.0), (1450.0, 0.6, 35.0), (1700.0, 0.9, 25.0)]
    reference = make_spectrum(bands, start=600.0, stop=2000.0, modality="ir", y_unit="absorbance")
    ir_library = Library.from_spectra([reference.with_metadata(name="broad")], calibrate=False)
    query = make_spectrum(bands, start=400.0, modality="ir", y_unit="absorbance", stop=2000.0)
    (as_measured,) = identify(query, ir_library, top=1).hits
    hits = {}
    for move in (8.0, -8.0):
        moved = query.replace(wavenumber=np.asarray(query.wavenumber) + move)
        (hits[move],) = identify(moved, ir_library, top=1).hits
        assert hits[move]["shift_cm1"] == pytest.approx(move, abs=1.0)
    # moved up, the reference leaves its lower edge, where a band is, without data; moved
    # down, its upper edge, where there is none: both cost the same, the move's cost
    # (MOVE_COST_PER_CM1 beyond MOVE_FREE_CM1) and what the sub-step interpolation loses
    assert hits[8.0]["score"] == pytest.approx(hits[-8.0]["score"], abs=0.01)
    cost = MOVE_COST_PER_CM1 * (8.0 - MOVE_FREE_CM1)
    assert as_measured["score"] - cost - 0.03 < hits[8.0]["score"] <= as_measured["score"] - cost


def _drawn_residual(result) -> np.ndarray:
    """The residual a report's figure draws for ``result`` (NaN where it draws none)."""
    return report_pdf._PrintedFigure.of(result.to_dict(), report_pdf._Wrapping()).residual


# a band 30 cm-1 inside the IR range's start (an ATR spectrum measured from 650 cm-1, whose
# range starts at 700), its sample in the library measured from 550 cm-1
EDGE_BANDS = [(730.0, 1.0, 10.0), (1010.0, 0.6, 12.0), (1600.0, 0.8, 14.0), (2950.0, 0.5, 20.0)]


@pytest.mark.parametrize("move", [0.0, 3.0], ids=["itself", "shifted copy"])
def test_the_residual_of_an_ir_spectrum_is_no_larger_at_its_range_s_ends(move):
    # rebuilt from its derivative, the query's first 8 points once followed the polynomial
    # fitted to its first 17, bent by the band's flank: the residual rose by 0.08-0.11 there
    # (of a maximum of 1), against 0.004-0.016 elsewhere; now under 0.01 everywhere
    reference = make_spectrum(EDGE_BANDS, start=550.0, stop=4000.0, modality="ir")
    library = Library.from_spectra([reference.with_metadata(name="edge band")], calibrate=False)
    moved = [(centre + move, height, width) for centre, height, width in EDGE_BANDS]
    query = make_spectrum(moved, start=650.0, stop=4000.0, modality="ir")
    result = identify(query, library, top=1, mixtures=False)
    assert result.query["wavenumber"][0] == 700.0
    drawn = _drawn_residual(result)
    drawn = drawn[np.isfinite(drawn)]
    ends = np.abs(np.concatenate([drawn[:8], drawn[-8:]]))
    rest = np.abs(drawn[8:-8])
    assert ends.max() < max(2.0 * rest.max(), 0.01), (ends.max(), rest.max())
    assert rest.max() < 0.01


def test_a_band_at_an_ir_range_s_start_does_not_lift_the_whole_rebuilt_spectrum():
    # a band rising from the query's first points: the polynomial fitted there dipped below
    # the baseline, and as the rebuilt spectrum's lowest point it set its zero, lifting the
    # rest by 0.22 of its maximum: the residual dipped at the first points from that offset
    bands = [(720.0, *EDGE_BANDS[0][1:]), *EDGE_BANDS[1:]]
    reference = make_spectrum(bands, start=550.0, stop=4000.0, modality="ir")
    library = Library.from_spectra([reference.with_metadata(name="edge band")], calibrate=False)
    query = make_spectrum(bands, start=650.0, stop=4000.0, modality="ir")
    result = identify(query, library, top=1, mixtures=False)
    rebuilt = np.asarray(result.query["intensity"])
    grid = np.asarray(result.query["wavenumber"])
    baseline = (grid > 1200.0) & (grid < 1450.0)  # far from every band
    assert np.abs(rebuilt[baseline]).max() < 0.01
    drawn = _drawn_residual(result)
    assert np.nanmax(np.abs(drawn[grid > 760.0])) < 0.01


def test_atmospheric_co2_in_an_ir_query_is_said_and_does_not_change_the_answer():
    ir_library = _ir_library(stop=4000)  # past the CO2 doublet's flanks
    query = _ir_query(stop=4000)
    # a background that held more CO2 than the air at the sample measurement
    with_co2 = query.replace(intensity=query.intensity + co2_doublet(query.wavenumber, -0.3))
    clean, dirty = identify(query, ir_library), identify(with_co2, ir_library)
    assert not any("CO2" in w for w in clean.warnings)
    (said,) = [w for w in dirty.warnings if "CO2" in w]
    assert "2338 and 2361 cm-1" in said and "as if they were bands of the sample" in said
    assert "fresh background" not in said
    assert "measure a fresh background, then the sample again" in dirty.advice
    assert not any("background" in a for a in clean.advice)
    assert dirty.best["name"] == clean.best["name"] == "cocaine"


def test_an_ir_query_in_reflectance_or_single_channel_units_is_said_to_compare_wrongly():
    # reflectance bands are dips that nothing turns over; a single-channel spectrum (counts,
    # arbitrary) is no ratio to a background: neither is compared as absorbance would be
    ir_library = _ir_library()
    absorbance = _ir_query()
    reflectance = absorbance.replace(
        intensity=100.0 * 10.0 ** -(0.5 * np.asarray(absorbance.intensity)), y_unit="reflectance"
    )
    result = identify(reflectance, ir_library)
    (said,) = [w for w in result.warnings if "reflectance" in w]
    assert "upside down" in said and said.endswith("compared as they are, the hits mean nothing")
    assert "Kubelka-Munk" not in said
    assert any("Kubelka-Munk" in a and "identify the spectrum again" in a for a in result.advice)
    # nothing is identified or excluded on such a comparison, and the verdict says why
    assert result.verdict == "inconclusive"
    assert result.unusable == "the intensities are in reflectance, not absorbance or transmittance"
    assert any(r.endswith(f"{result.unusable} (see the warnings)") for r in result.reasons)
    single = absorbance.replace(y_unit="arbitrary")
    result = identify(single, ir_library)
    (said,) = [w for w in result.warnings if "single-channel" in w]
    assert "arbitrary units" in said and "--y-unit" not in said
    assert any("--y-unit" in a for a in result.advice)
    assert not any("upside down" in w for w in identify(absorbance, ir_library).warnings)


@pytest.mark.filterwarnings("ignore:almost all baseline points are below the data")
def test_a_raman_axis_in_nm_is_said_to_make_the_result_meaningless(library):
    # an export against the scattered wavelength (785 nm laser): its numbers overlap the
    # library's Raman shifts, so it is compared, at the wrong positions
    in_nm = make_spectrum([(830, 1.0, 2), (870, 0.6, 2)], start=786, stop=1099, step=0.2)
    result = identify(in_nm, library)
    (said,) = [w for w in result.warnings if "wavelength in nm" in w]
    assert "axis 786-1099" in said
    assert said.endswith("compared with the library at the wrong positions, the hits mean nothing")
    assert any("Raman shift or wavenumber in cm-1" in a for a in result.advice)
    assert result.verdict != "identified"
    # too short a range to be compared at all: the error says why it may be
    short = make_spectrum([(830, 1.0, 2)], start=786, stop=900, step=0.2)
    with pytest.raises(IdentificationError, match="enough to be compared; the axis 786-900") as e:
        identify(short, library)
    # a Python caller is told the Python call (forensic identify, the export: test_cli_identify)
    assert str(e.value).endswith("(convert with Spectrum.from_wavelength)")
    assert not any("wavelength in nm" in w for w in identify(_query("cocaine"), library).warnings)


@pytest.mark.filterwarnings("ignore:almost all baseline points are below the data")
def test_a_jcamp_axis_in_cm1_labelled_nm_is_neither_matched_nor_excluded(library, tmp_path):
    # ##XUNITS=NANOMETERS over numbers that are cm-1: converted with the laser line they span
    # -111291 to 9676 cm-1, which was a plain NO MATCH
    query = _query("cocaine").with_metadata(laser_wavelength_nm=785.0)
    path = tmp_path / "labelled_nm.jdx"
    forensic.write_spectrum(query, path)
    text = path.read_text().replace("##XUNITS=1/CM", "##XUNITS=NANOMETERS")
    path.write_text(text)
    result = identify(read_spectrum(path), library)
    (said,) = [w for w in result.warnings if "no Raman spectrum reaches beyond" in w]
    assert "converted from wavelengths in nm with the 785 nm laser line" in said
    assert result.verdict == "inconclusive"
    assert "no substance excluded: the axis is not in cm-1 (see the warnings)" in result.reasons
    assert not any("matches no reference" in r for r in result.reasons)  # was a no match


AXIS_ASSUMED_WARNING = (
    "the file does not name its axis unit and was read as cm-1 (assumed: no ##XUNITS= in the "
    "file); bands on an axis in another unit are compared at the wrong positions, so if that "
    "is wrong, so is this result"
)
AXIS_ASSUMED_ADVICE = (
    "if the axis is not in cm-1, have the instrument's software name its unit in its exports, "
    "and identify the spectrum again"
)


def test_a_query_whose_axis_unit_was_assumed_says_so_with_its_result(library, tmp_path):
    # nothing said it: the result read as if the file had named its axis cm-1
    named = tmp_path / "named.jdx"
    forensic.write_spectrum(_query("cocaine"), named)
    unnamed = tmp_path / "unnamed.jdx"
    unnamed.write_text(named.read_text().replace("##XUNITS=1/CM\n", ""))
    query = read_spectrum(unnamed)
    assert query.axis_unit_assumed
    result = identify(query, library)
    as_named = identify(read_spectrum(named), library)
    assert AXIS_ASSUMED_WARNING in result.warnings  # the fact, recorded with the result
    assert AXIS_ASSUMED_ADVICE in result.advice  # what to do, for the technician's screen
    assert not any("axis unit" in w for w in as_named.warnings)
    # said, not held against it: the numbers are compared as they were
    assert (result.verdict, result.hits[0]["name"]) == (as_named.verdict, "cocaine")


def test_an_inverted_query_is_said_to_be_compared_upside_down(library):
    query = _query("cocaine")
    inverted = query.replace(intensity=-np.asarray(query.intensity) - 0.05)  # ##YFACTOR=-1
    result = identify(inverted, library)
    (said,) = [w for w in result.warnings if "intensities are negative" in w]
    assert said.startswith("100% of the intensities are negative and the bands point down")
    assert said.endswith("; the hits mean nothing")
    assert result.verdict == "inconclusive" and result.unusable == "the spectrum is upside down"
    assert "export the spectrum again" not in said
    assert any("bands pointing up, and identify it again" in a for a in result.advice)
    assert not any("negative" in w for w in identify(query, library).warnings)


def test_a_raman_query_in_an_infrared_unit_is_said_to_contradict_itself(library, tmp_path):
    # an IR spectrum in percent transmittance whose file says RAMAN SPECTRUM: compared with
    # the Raman references upside down, it came out a NO MATCH, nothing said
    ir = make_spectrum(BAND_SETS["cocaine"], modality="ir", noise=0.004, seed=8, stop=2000)
    percent = ir.replace(y_unit="percent_transmittance", intensity=100 * 10**-ir.intensity)
    path = tmp_path / "exhibit.jdx"
    write_spectrum(percent, path)
    path.write_text(path.read_text().replace("INFRARED SPECTRUM", "RAMAN SPECTRUM"))
    query = read_spectrum(path)
    assert (query.modality, query.y_unit) == ("raman", "percent_transmittance")
    result = identify(query, library)
    assert result.verdict == "inconclusive"
    assert result.unusable == "a Raman spectrum cannot be in percent transmittance"
    assert verdict_line(result.to_dict()) == (
        "INCONCLUSIVE: a Raman spectrum cannot be in percent transmittance"
    )
    assert result.reasons[-1] == (
        "no substance excluded: a Raman spectrum cannot be in percent transmittance (see the "
        "warnings)"
    )
    assert (
        "labelled Raman, but its intensities are in percent transmittance, an infrared unit "
        "(Raman intensities are counts or arbitrary): either it is an infrared spectrum or its "
        "unit is wrong; compared with the Raman references, the hits mean nothing"
    ) in result.warnings
    assert (
        "check whether the spectrum is Raman or infrared, correct its file (the spectrum type "
        "or the unit) or export it again from the instrument's software, and identify it again"
    ) in result.advice
    # a Raman spectrum in counts is compared as it always was
    assert identify(_query("cocaine").replace(y_unit="counts"), library).unusable is None


def test_an_ir_query_beyond_its_units_range_is_said_to_be_compared_wrongly():
    """Counts of a single-beam export labelled absorbance: thousands of absorbance units."""
    ir_library = _ir_library()
    absorbance = _ir_query()
    counts = absorbance.replace(intensity=9000.0 * np.asarray(absorbance.intensity) + 500.0)
    result = identify(counts, ir_library)
    (said,) = [w for w in result.warnings if "outside -0.5..6" in w]
    assert said.startswith("absorbance ") and "no instrument measures that much" in said
    assert said.endswith("; compared as absorbance, the hits mean nothing")
    assert any("in absorbance or transmittance, and identify it again" in a for a in result.advice)
    assert result.unusable == "the intensities cannot be absorbance, as the file says"
    assert not any("outside" in w for w in identify(absorbance, ir_library).warnings)


def _under_the_other_heading(spectrum):
    """An IR absorbance spectrum's values as the other unit would have them, under the heading
    it has: transmittance (10^-A) labelled absorbance. In range and positive, nothing else
    objects to it."""
    return spectrum.replace(intensity=10.0 ** -np.asarray(spectrum.intensity))


@pytest.mark.parametrize(
    ("mislabel", "labelled", "other"),
    [
        (_under_the_other_heading, "absorbance", "transmittance"),
        (lambda spectrum: spectrum.replace(y_unit="transmittance"), "transmittance", "absorbance"),
    ],
    ids=["transmittance labelled absorbance", "absorbance labelled transmittance"],
)
def test_an_ir_query_in_the_other_unit_than_its_label_is_caught_and_names_nothing(
    mislabel, labelled, other
):
    ir_library = _ir_library()
    absorbance = _ir_query()
    right = identify(absorbance, ir_library)
    assert right.verdict == "identified" and right.best["name"] == "cocaine"
    assert "other_unit" not in right.timings_ms  # not doubted, so not identified twice
    result = identify(mislabel(absorbance), ir_library)
    (said,) = [w for w in result.warnings if f"read as {other} the spectrum matches" in w]
    # both readings' best hits: read right, the numbers are the same as the right one's
    assert said.startswith(f"labelled {labelled}, but its values look like {other} (")
    assert (
        f"best hit cocaine, score {format_score(right.best['score'])}, enough to identify it"
        in said
    )
    labelled_best = f"{result.best['name']}, score {format_score(result.best['score'])}"
    assert f", against {labelled_best}, as {labelled}; " in said
    assert said.endswith(f"compared as {labelled}, upside down, the hits mean nothing")
    # a match found upside down names nothing, and its no match excludes nothing
    assert result.verdict == "inconclusive"
    assert result.unusable == f"the spectrum matches far better read as {other} than as {labelled}"
    assert result.reasons[-1].endswith(f": {result.unusable} (see the warnings)")
    assert verdict_line(result.to_dict()) == f"INCONCLUSIVE: {result.unusable}"
    (advice,) = [a for a in result.advice if "intensity unit" in a]
    assert f"if the values are {other}, correct the unit the file names" in advice
    assert "--y-unit" not in advice  # it states only a unit the file leaves unnamed
    assert Identification.from_dict(json.loads(json.dumps(result.to_dict()))) == result


def test_a_guessed_ir_unit_that_reads_far_better_the_other_way_is_to_be_stated():
    ir_library = _ir_library()
    guessed = _under_the_other_heading(_ir_query()).with_metadata(
        y_unit_basis=f"{GUESSED_UNIT_BASIS}: intensities up to 6, as absorbance can be"
    )
    result = identify(guessed, ir_library)
    (said,) = [w for w in result.warnings if "read as transmittance the spectrum" in w]
    assert said.startswith("read as absorbance by a guess (the file names no unit), but its")
    assert any("does not name its intensity unit" in w for w in result.warnings)
    assert any(
        "state it (a file: forensic identify --y-unit transmittance)" in a for a in result.advice
    )
    assert result.verdict == "inconclusive"


def test_a_true_ir_spectrum_of_broad_bands_the_unit_rule_doubts_is_left_as_it_is(monkeypatch):
    """Broad overlapping bands sit high with dips between them, as transmittance does: the
    rule doubts the unit (as it does 22 of 400 RRUFF minerals), but read the other way the
    spectrum matches nothing, so the result is what it was without the doubt."""
    broad = [(c, 0.45 + 0.1 * (k % 3), 160.0) for k, c in enumerate(range(350, 1900, 128))]
    refs = [
        make_spectrum(b, name=n, modality="ir", y_unit="absorbance", noise=0.004, stop=2000)
        for n, b in BAND_SETS.items()
    ]
    refs.append(make_spectrum(broad, name="sphalerite", modality="ir", noise=0.004, stop=2000))
    ir_library = Library.from_spectra(refs, calibrate=False)
    query = make_spectrum(broad, modality="ir", noise=0.004, stop=2000, seed=3)
    assert unit_label_doubt(query) is not None and transmittance_scale(query.intensity)
    result = identify(query, ir_library)
    assert "other_unit" in result.timings_ms  # read the other way, and found no better
    assert result.verdict == "identified" and result.best["name"] == "sphalerite"
    engine = importlib.import_module("forensic.identification")
    monkeypatch.setattr(engine, "unit_label_doubt", lambda spectrum: None)
    undoubted = identify(query, ir_library)
    assert {**result.to_dict(), "timings_ms": {}} == {**undoubted.to_dict(), "timings_ms": {}}


def test_measured_drug_spectra_in_the_wrong_unit_are_caught_and_in_the_right_one_left(
    shared_data,
):
    """ENFSI ATR-IR spectra (absorbance) against the shipped library, as labelled and as
    transmittance labelled absorbance: as labelled they are not doubted, and each of these,
    whose right reading is evidence, is caught the wrong way (the rates on all 104:
    forensic.identification._other_unit_problem)."""
    folder = shared_data / "substances" / "enfsi-ir"
    drugs = {
        "caffeine": "Caffeine",
        "benzocaine": "Benzocaine",
        "paracetamol_4_acetaminophenol": "Paracetamol",
        "cocaine": "Cocaine hydrochloride",
    }
    for stem, reference in drugs.items():
        spectrum = read_spectrum(folder / f"{stem}.csv")
        assert spectrum.y_unit == "absorbance"
        right = identify(spectrum)
        assert right.best["name"] == reference, (stem, right.best["name"])
        assert right.verdict != "no_match"
        assert "other_unit" not in right.timings_ms and right.unusable is None
        wrong = identify(_under_the_other_heading(spectrum))
        assert wrong.verdict == "inconclusive", stem
        (said,) = [w for w in wrong.warnings if "read as transmittance the spectrum" in w]
        score, q_value = right.best["score"], right.best["q_value"]
        read_right = f"score {format_score(score, q_value)}, q-value {format_q_value(q_value)}"
        assert f"best hit {reference}, {read_right}" in said


def test_a_clipped_band_is_said_to_distort_the_spectrum(library):
    query = _query("cocaine")
    y = np.asarray(query.intensity)
    clipped = query.replace(intensity=np.minimum(y, 0.8 * y.max()))  # a saturated detector
    result = identify(clipped, library)
    (said,) = [w for w in result.warnings if "clipped" in w]
    assert "points at exactly the same extreme value" in said and "distorted" in said
    assert "shorter exposure" not in said
    assert any("shorter exposure" in a for a in result.advice)
    assert not any("clipped" in w for w in identify(query, library).warnings)
    # in transmittance the strongest band is the deepest dip: a band at 0 % is clipped
    ir_library = _ir_library()
    absorbance = _ir_query()
    percent = 100.0 * 10.0 ** -(2.5 * np.asarray(absorbance.intensity))
    dips = absorbance.replace(intensity=np.maximum(percent, 2.0), y_unit="percent_transmittance")
    in_ir = identify(dips, ir_library)
    assert any("clipped" in w for w in in_ir.warnings)
    # an IR band absorbing all the light is measured whole with less sample, not a shorter
    # exposure (Raman's remedy)
    assert any("less sample in the beam" in a for a in in_ir.advice)
    assert not any("exposure" in a for a in in_ir.advice)
    unclipped = absorbance.replace(intensity=percent, y_unit="percent_transmittance")
    assert not any("clipped" in w for w in identify(unclipped, ir_library).warnings)


def test_a_mixture_is_reported_with_its_components(library):
    a = _query("cocaine", noise=0.0)
    b = _query("levamisole", noise=0.0)
    y = 0.6 * a.intensity + 0.4 * b.intensity
    rng = np.random.default_rng(0)
    mixed = Spectrum(a.wavenumber, y + rng.normal(0, 0.003, y.size), modality="raman")
    result = identify(mixed, library)
    assert result.mixture is not None, result.reasons
    names = {c["name"] for c in result.mixture["components"]}
    assert {"cocaine", "levamisole"} <= names
    assert sum(c["fraction"] for c in result.mixture["components"]) == pytest.approx(1, abs=1e-3)
    # each component's part (the others subtracted) still looks like its reference, and is
    # evidence by the library's calibration
    assert all(0.5 < c["score"] <= 1.0 for c in result.mixture["components"])
    assert all(0 <= c["q_value"] <= 0.2 for c in result.mixture["components"])
    assert identify(mixed, library, mixtures=False).mixture is None


def _cut_with_a_distorted_lidocaine():
    """Cocaine with lidocaine's three strongest bands at reversed relative heights: what a fit
    attributes to lidocaine matches it only moderately (a cosine of about 0.6)."""
    bands = sorted(BAND_SETS["lidocaine"], key=lambda b: -b[1])[:3]
    heights = [h for _, h, _ in bands][::-1]
    extra = [(c, 0.3 * h, w) for (c, _, w), h in zip(bands, heights, strict=True)]
    return make_spectrum(BAND_SETS["cocaine"] + extra, noise=0.01, seed=99, stop=2000)


def test_a_component_matched_no_better_than_chance_is_not_reported_but_said(library):
    query = _cut_with_a_distorted_lidocaine()
    # the calibrated library: a match of about 0.6 is evidence there (8 distinct substances)
    calibrated = identify(query, library)
    assert calibrated.mixture is not None
    assert {c["name"] for c in calibrated.mixture["components"]} == {"cocaine", "lidocaine"}
    # without a calibration, a match below SCORE_NO_MATCH_UNCALIBRATED is no evidence: the
    # fit's lidocaine is not reported as a component, and the technician is told of it
    refs = [make_spectrum(b, name=n, noise=0.004, stop=2000) for n, b in BAND_SETS.items()]
    result = identify(query, Library.from_spectra(refs, calibrate=False))
    assert result.best["name"] == "cocaine"
    assert result.mixture is None
    said = [w for w in result.warnings if "no better than chance" in w]
    assert len(said) == 1 and "lidocaine" in said[0] and "not reported as a component" in said[0]
    assert "neither shows nor excludes lidocaine" in said[0]
    assert "confirm or exclude lidocaine by another technique" in result.advice
    assert not any("looks like a mixture" in w for w in result.warnings)


def test_wrong_modality_and_no_overlap_are_clear_errors(library):
    ir = make_spectrum(BAND_SETS["caffeine"], modality="ir", y_unit="absorbance")
    with pytest.raises(IdentificationError, match="is a ir spectrum but the library holds only"):
        identify(ir, library)
    far = make_spectrum(start=3500, stop=4500)
    with pytest.raises(IdentificationError, match="cannot be compared with the library grid"):
        identify(far, library)
    with pytest.raises(IdentificationError, match="top must be at least 1"):
        identify(_query("caffeine"), library, top=0)


def test_an_axis_in_um_that_holds_no_grid_point_is_named_as_what_it_looks_like(library):
    # the refusal said only "holds 0 points of the grid", in cm-1 rounded to "(1-1 cm-1)",
    # though the axis check knew the axis for wavelengths in µm
    raman_um = make_spectrum([(0.85, 1.0, 0.002)], start=0.79, stop=1.0, step=0.0002)
    with pytest.raises(IdentificationError) as refused:
        identify(raman_um, library)
    said = str(refused.value)
    assert said.startswith("the query (0.79-1 cm-1) cannot be compared with the library grid")
    assert said.endswith(
        "at least 16 are needed; the axis 0.79-1: ends below 25, which no Raman shift axis in "
        "cm-1 does (the bands of substances lie above 50 cm-1); it may be a wavelength in µm "
        "(export the spectrum against Raman shift in cm-1, or multiply wavelengths in µm by "
        "1000 and convert the nm with Spectrum.from_wavelength)"
    )
    ir_um = make_spectrum([(10, 1.0, 0.2)], start=2.5, stop=25, step=0.01, modality="ir")
    with pytest.raises(IdentificationError) as refused:
        identify(ir_um, _ir_library())
    assert str(refused.value).endswith(
        "; the axis 2.5-25: looks like an IR spectrum's wavelength in µm (2.5-25 µm is 4000-400 "
        "cm-1), not a wavenumber in cm-1 (convert it with "
        "forensic.spectrum.micrometre_to_wavenumber: wavenumber in cm-1 = 10000 / wavelength "
        "in µm)"
    )


def test_a_query_already_through_the_comparison_representation_is_refused(library):
    # its pipeline's output was taken "raw or already processed" and processed again: the
    # derivative of a derivative, matched at 0.81 and with a warning that the axis was off
    query = _query("cocaine")
    pipeline = library.block("raman").pipeline
    with pytest.raises(IdentificationError) as refused:
        identify(pipeline(query), library)
    assert str(refused.value) == (
        "the query has already been through compress_intensity and derivative (its history "
        "says so), which the library's pipeline runs on it again: run twice, they distort its "
        "bands (the derivative of a derivative). Identify the spectrum as measured, before any "
        "of the pipeline's steps or with only spikes removed, resampled or baseline-corrected"
    )
    with pytest.raises(IdentificationError, match="already been through compress_intensity"):
        quick_search(pipeline(query), library)
    # the spectrum part of the pipeline run already changes the score by a few hundredths
    head, _ = split_representation(pipeline)
    as_measured, part_done = identify(query, library), identify(head(query), library)
    assert part_done.verdict == as_measured.verdict == "identified"
    assert part_done.best["name"] == "cocaine"
    assert part_done.best["score"] == pytest.approx(as_measured.best["score"], abs=0.05)


def test_arguments_of_the_wrong_kind_are_named_not_failed_on_deep_inside(library, tmp_path):
    # a path passed for the spectrum or the library failed as "'str' object has no attribute
    # 'blocks'", a top of 2.5 as a slice index, and quick_search(top=2.5) gave every substance
    query = _query("caffeine")
    path = str(tmp_path / "my.flib")
    with pytest.raises(TypeError, match=r"^library must be a forensic.Library \(forensic.Libr"):
        identify(query, path)
    with pytest.raises(TypeError, match=r"opens a .flib file\) or None for the shipped one, go"):
        identify(query, path)
    with pytest.raises(TypeError, match=r"^spectrum must be a forensic.Spectrum .*, got str$"):
        identify("exhibit.jdx", library)
    with pytest.raises(TypeError, match=r"^spectrum must be .*, got ndarray$"):
        identify(np.vstack([query.wavenumber, query.intensity]), library)
    for top in (2.5, "3", True):
        said = re.escape(f"top must be a whole number of hits, got {top!r}")
        with pytest.raises(TypeError, match=f"^{said}$"):
            identify(query, library, top=top)
        with pytest.raises(TypeError, match=r"^top must be a whole number of hits"):
            quick_search(query, library, top=top)
        with pytest.raises(TypeError, match=r"^top must be a whole number of hits"):
            quick_search_batch([query], library, top=top)
    with pytest.raises(TypeError, match=r"opens a .flib file\), got NoneType$"):
        quick_search(query, None)
    assert len(identify(query, library, top=np.int64(2)).hits) == 2  # a NumPy integer is one


def test_without_a_library_the_shipped_one_s_error_escapes(monkeypatch):
    # as identify's docstring says: a LibraryError of shipped_library is not translated
    def no_library():
        raise LibraryError("the shipped folder holds no usable reference")

    monkeypatch.setattr("forensic.identification.shipped_library", no_library)
    with pytest.raises(LibraryError, match="no usable reference"):
        identify(_query("caffeine"))


def test_package_exports():
    assert forensic.Library is Library
    assert forensic.Identification is Identification
    assert forensic.identify is identify


# forensic.identify was both a module and the function: which one the package attribute held
# depended on what was imported first, and help(), inspect.signature and monkeypatching it did too
IMPORT_ORDERS = {
    "engine first": "import forensic.identification, forensic",
    "package first": "import forensic; forensic.identify; import forensic.identification",
}


@pytest.mark.parametrize("imports", IMPORT_ORDERS.values(), ids=IMPORT_ORDERS.keys())
def test_forensic_identify_is_the_function_whatever_was_imported_first(imports):
    check = (
        f"{imports}; import inspect; "
        "assert inspect.isfunction(forensic.identify), forensic.identify; "
        "print(list(inspect.signature(forensic.identify).parameters))"
    )
    done = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['spectrum', 'library', 'top', 'mixtures']"


def test_quick_search_and_its_batch_agree(library):
    queries = [_query("cocaine"), _query("sucrose"), _query("lidocaine", seed=4)]
    singles = [quick_search(q, library, top=3) for q in queries]
    batch = quick_search_batch(queries, library, top=3)
    for one, many in zip(singles, batch, strict=True):
        assert [h["name"] for h in one] == [h["name"] for h in many]
        for a, b in zip(one, many, strict=True):
            assert a["score"] == pytest.approx(b["score"], abs=1e-6)
    assert [s[0]["name"] for s in singles] == ["cocaine", "sucrose", "lidocaine"]
    ir = make_spectrum(modality="ir", y_unit="absorbance")
    with pytest.raises(IdentificationError, match="a batch must be of one modality"):
        quick_search_batch([queries[0], ir], library)


def test_the_comparison_row_is_the_query_the_quick_search_scores(library):
    # the speed benchmark's pair loop scores this row: it must be the search's own query
    query = _query("cocaine")
    row, start, stop = comparison_row(query, library)
    block = library.block("raman")
    assert row.shape == block.grid.shape and not row[:start].any() and not row[stop:].any()
    scores = score_query(row, start, stop, block.matrix, block.start, block.stop, block.cumsums)
    (best,) = quick_search(query, library, top=1)
    assert scores[best["row"]] == pytest.approx(best["score"]) == pytest.approx(scores.max())
    with pytest.raises(IdentificationError, match="the library holds only raman references"):
        comparison_row(make_spectrum(modality="ir", y_unit="absorbance"), library)


def test_real_rruff_spectra_identify_another_sample_of_the_same_mineral(shared_data):
    """Measured spectra: a library of one sample of a few minerals, queried with another."""
    folder = shared_data / "rruff" / "raman-dev"
    minerals = ("Quartz", "Dolomite", "Diopside", "Cerussite", "Albite")
    by_sample = defaultdict(list)
    for path in sorted(folder.glob("*.txt")):
        mineral, sample = path.name.split("__")[:2]
        if mineral in minerals:
            by_sample[(mineral, sample)].append(path)
    samples = sorted(by_sample)
    refs, queries = [], []
    for mineral in minerals:
        mine = [s for s in samples if s[0] == mineral]
        refs += [read_spectrum(p) for p in by_sample[mine[0]]]
        queries.append((mineral, read_spectrum(by_sample[mine[1]][0])))
    lib = Library.from_spectra(refs)
    for mineral, query in queries:
        result = identify(query, lib, top=3)
        assert result.hits[0]["name"] == mineral, (mineral, result.hits)


def test_real_rruff_ir_carbonates_and_arsenates_identify_despite_other_band_heights(shared_data):
    """Measured IR spectra of one sample matched against other minerals' and another sample's:
    the query's weak bands differ in height from its reference's (Smithsonite's carbonate bending
    bands are barely above its noise; Conichalcite against its isostructural Adamite). With
    linear absorbance compared, both went to a lookalike (Bastnasite-(Ce), Adamite); margins are
    thin, which the inconclusive-or-better verdict reflects."""
    folders = [shared_data / "rruff" / "ir-dev", shared_data / "rruff" / "ir-confusers"]
    files = sorted(p for folder in folders for p in folder.glob("*.txt"))
    refs = (
        "Smithsonite__R040051", "Ankerite", "Aragonite", "Barytocalcite", "BastnasiteCe",
        "Hydromagnesite", "ParisiteCe", "Cerussite__R040069", "Conichalcite__R040167",
        "Adamite", "Olivenite", "Paradamite",
    )  # fmt: skip
    lib = Library.from_spectra([read_spectrum(p) for p in files if p.name.startswith(refs)])
    queries = {"Smithsonite__R040035": "Smithsonite", "Conichalcite__R050028": "Conichalcite"}
    for query, mineral in queries.items():
        path = next(p for p in files if p.name.startswith(query))
        result = identify(read_spectrum(path), lib, top=3)
        assert result.hits[0]["name"] == mineral, (query, result.hits[:3])
        assert result.verdict != "no_match"


@pytest.fixture(scope="module")
def narrow_band_library():
    """60 substances of 6 narrow bands each: moved 10 cm-1, a query of one of them scores no
    better than chance unmoved, so only the shift search can bring it back."""
    rng = np.random.default_rng(5)
    band_sets = {
        f"substance {i:02d}": [
            (float(c), float(h), float(w))
            for c, h, w in zip(
                rng.uniform(300, 1900, 6),
                rng.uniform(0.3, 1.0, 6),
                rng.uniform(5, 8, 6),
                strict=True,
            )
        ]
        for i in range(60)
    }
    lib = Library.from_spectra(
        [make_spectrum(b, name=n, stop=2000, seed=i) for i, (n, b) in enumerate(band_sets.items())]
    )
    return band_sets, lib


def test_a_far_shifted_measurement_is_rescued_in_a_library_of_many_substances(
    narrow_band_library,
):
    band_sets, lib = narrow_band_library
    for i, name in enumerate(list(band_sets)[:12]):
        shift = 10.0 if i % 2 else -10.0
        bands = [(c + shift, h, w) for c, h, w in band_sets[name]]
        result = identify(
            make_spectrum(bands, stop=2000, noise=0.01, seed=100 + i), lib, mixtures=False
        )
        assert result.best["name"] == name, (name, result.hits)
        assert result.best["shift_cm1"] == pytest.approx(shift, abs=2.0)


def test_an_instrument_axis_that_is_off_is_named(narrow_band_library):
    band_sets, lib = narrow_band_library
    name = "substance 07"
    bands = [(c + 10.0, h, w) for c, h, w in band_sets[name]]  # the axis reads 10 cm-1 high
    result = identify(make_spectrum(bands, stop=2000, noise=0.01, seed=3), lib)
    assert result.best["name"] == name
    (axis,) = [w for w in result.warnings if "axis looks off" in w]
    # one figure, with the sign of the move that corrects it; the alignment refines the move
    assert "off by about +10 cm-1" in axis
    move = float(axis.split("best moved by ")[1].split(" cm-1")[0])
    assert move == pytest.approx(-result.best["shift_cm1"], abs=0.05)
    assert move == pytest.approx(-10, abs=1)
    assert any("moved by -10 cm-1 (whole grid steps)" in r for r in result.reasons)
    assert "reference's band positions" not in axis
    # what to do is the technician's, not the record's
    assert "polystyrene" not in axis
    assert any("wavenumber calibration with a standard" in a for a in result.advice)
    # one pure substance, off axis, is not taken for a mixture of others
    assert result.mixture is None
    # as measured on a calibrated axis: no such warning
    calibrated = identify(
        make_spectrum(band_sets[name], stop=2000, noise=0.01, seed=3), lib, mixtures=False
    )
    assert calibrated.best["name"] == name
    assert not any("axis looks off" in w for w in calibrated.warnings)


def test_an_axis_offset_against_a_modelled_reference_may_be_the_references(narrow_band_library):
    # band positions from literature tables are themselves uncertain by a few cm-1
    band_sets, _ = narrow_band_library
    modelled = Library.from_spectra(
        [
            make_spectrum(b, name=n, stop=2000, seed=i).with_metadata(provenance="modelled")
            for i, (n, b) in enumerate(band_sets.items())
        ],
        calibrate=False,
    )
    name = "substance 07"
    bands = [(c + 10.0, h, w) for c, h, w in band_sets[name]]
    result = identify(make_spectrum(bands, stop=2000, noise=0.01, seed=3), modelled)
    assert result.best["name"] == name
    (axis,) = [w for w in result.warnings if "axis looks off" in w]
    assert "or the modelled reference's band positions are a few cm-1 off" in axis


def test_a_mixture_measured_off_axis_is_fitted_on_the_moved_query(narrow_band_library):
    band_sets, lib = narrow_band_library
    a, b = "substance 03", "substance 11"
    bands = [(c + 10.0, 0.5 * h, w) for c, h, w in band_sets[a] + band_sets[b]]
    result = identify(make_spectrum(bands, stop=2000, noise=0.005, seed=8), lib)
    assert any("axis looks off" in w for w in result.warnings)
    assert result.mixture is not None
    assert {c["name"] for c in result.mixture["components"]} == {a, b}


def test_the_rerank_pool_also_aligns_each_substance_s_best_entry_at_a_move():
    """Entry 1 is A's best as measured, entry 2 its best moved: both are aligned; C, which only
    the moved query nominates, joins with its own best entry; B's best moved entry is the one
    already pooled, so it is not added twice."""
    found_module = importlib.import_module("forensic.identification")
    substances = np.array(["a", "a", "b", "b", "c"])
    scores = np.array([0.80, 0.60, 0.70, 0.65, 0.40])
    shift_best = np.array([0.80, 0.90, 0.75, 0.70, 0.82])
    hits = [Hit(0, 0.80, "a"), Hit(2, 0.70, "b")]
    found = found_module._Found(scores, shift_best, 0.0, hits, [Hit(4, 0.82, "c")])
    pool = found_module._rerank_pool(found, substances)
    assert [(h.index, h.substance) for h in pool] == [(0, "a"), (2, "b"), (4, "c"), (1, "a")]


def test_an_off_axis_query_is_matched_by_the_entry_that_fits_it_moved():
    """Two measurements of one substance: one of the query's form, and one of another form
    whose first two bands sit where the query, read 8 cm-1 high, has them. Unmoved, the other
    form is the substance's best entry and a lookalike of three of the bands scores best; the
    whole query gains too little moved for its axis to be called off. Only the entry that
    fits the query moved, aligned as well, gives the right answer."""
    bands = [(500.0, 1.0, 6.0), (820.0, 0.7, 6.0), (1150.0, 0.8, 6.0), (1480.0, 0.6, 6.0)]
    other_form = [(508.0, 1.0, 6.0), (828.0, 0.7, 6.0), (1300.0, 0.8, 6.0), (1700.0, 0.6, 6.0)]
    lookalike = [(508.0, 1.0, 6.0), (828.0, 0.7, 6.0), (1158.0, 0.8, 6.0), (1620.0, 0.5, 6.0)]
    refs = [
        make_spectrum(bands, name="target", seed=1).with_metadata(entry_id="target-form-1"),
        make_spectrum(other_form, name="target", seed=2).with_metadata(entry_id="target-form-2"),
        make_spectrum(lookalike, name="lookalike", seed=3),
    ]
    refs += [make_spectrum(b, name=n, seed=4 + i) for i, (n, b) in enumerate(BAND_SETS.items())]
    lib = Library.from_spectra(refs, calibrate=False)
    moved = [(c + 8.0, h, w) for c, h, w in bands]
    result = identify(make_spectrum(moved, noise=0.005, seed=9), lib, mixtures=False)
    assert not any("axis looks off" in w for w in result.warnings)
    assert result.best["name"] == "target", result.hits
    assert result.best["entry_id"] == "target-form-1"
    assert result.best["shift_cm1"] == pytest.approx(8.0, abs=1.5)
    names = [h["name"] for h in result.hits]
    assert len(names) == len(set(names))


def test_a_spectrum_without_noise_to_find_gives_a_result_that_can_be_recorded(library):
    """A modelled or noise-stripped export (the baseline clipped to zero) has no noise the
    estimator can find: its signal-to-noise is a finite ceiling, not inf, so the result goes
    into the evidence store's canonical JSON and --json output stays valid JSON."""
    from forensic.custody.chain import canonical_json  # noqa: PLC0415
    from forensic.quality import NOISELESS_SNR  # noqa: PLC0415

    query = _query("cocaine", noise=0.0)
    clipped = np.where(query.intensity < 1e-3, 0.0, query.intensity)
    result = identify(query.with_intensity(clipped, "baseline clipped to zero"), library)
    assert result.signal_to_noise == NOISELESS_SNR
    assert result.hits[0]["name"] == "cocaine"
    recorded = json.loads(canonical_json(result.to_dict()))
    assert recorded["signal_to_noise"] == NOISELESS_SNR
    json.loads(json.dumps(result.to_dict(), allow_nan=False))


def test_the_margin_is_the_difference_of_the_recorded_scores_as_the_record_reads():
    """A margin of exactly the threshold between two recorded scores passes it: the verdict
    is decided as anyone checking the record against the thresholds decides it."""
    from forensic.identification import _margin  # noqa: PLC0415
    from forensic.verdict import MARGIN_MIN  # noqa: PLC0415

    rng = np.random.default_rng(0)
    for best in np.round(rng.uniform(0.5, 1.0, 2000), 6):
        other = round(best - MARGIN_MIN, 6)
        assert _margin(best, other + 1e-9) >= MARGIN_MIN  # rounded as recorded
        assert _margin(best, other) >= MARGIN_MIN, (best, other)
        assert _margin(best, other + 1e-6) < MARGIN_MIN
    assert decide(0.800001, 0.01, _margin(0.800001, 0.780001), 0.9)[0] == "identified"
    assert _margin(0.9, None) == float("inf")


def test_a_result_names_the_library_it_searched_and_lists_its_substances(monkeypatch):
    """What a report needs to say what a no match was searched against (print review,
    finding 8): the library's name, build date and substances, recorded with the result; a
    modality too large to list is left out (its count is kept)."""
    references = [make_spectrum(b, name=n, seed=i) for i, (n, b) in enumerate(BAND_SETS.items())]
    references.append(make_spectrum(BAND_SETS["cocaine"], modality="ir", name="cocaine"))
    named = Library.from_spectra(references, calibrate=False, name="Lab 2026")
    query = make_spectrum(BAND_SETS["cocaine"], seed=8, noise=0.004)
    result = identify(query, named, mixtures=False)
    assert (result.library_name, result.library_built_at) == ("Lab 2026", named.built_at)
    assert result.library_substance_names == {
        "ir": ["cocaine"],
        "raman": sorted(BAND_SETS),
    }
    again = Identification.from_dict(json.loads(json.dumps(result.to_dict())))
    assert again.library_substance_names == result.library_substance_names
    assert again.library_name == "Lab 2026"
    monkeypatch.setattr("forensic.identification.LISTED_SUBSTANCES_MAX", 2)
    listed = identify(query, named, mixtures=False)
    assert listed.library_substance_names == {"ir": ["cocaine"]}
    assert listed.library_substances == {"ir": 1, "raman": len(BAND_SETS)}
    # a result recorded before these were kept reads as not recorded
    old = Identification.from_dict({"verdict": "no_match", "modality": "raman", "hits": []})
    assert (old.library_name, old.library_built_at, old.library_substance_names) == (None,) * 3


def test_the_library_is_named_with_its_standing_as_its_results_record_it(library):
    """library_named: the words that forensic identify, scan and exhibit identify print, and
    a report's Library line opens with, the same for a library and for a result against it."""
    query = _query("cocaine")
    lab = copy.copy(library)
    lab.name, lab.built_at = "Lab Raman 2026", "2026-11-20T09:15:00Z"
    lab.approval = "published 2026-11-24, approved by Dr. A. Chemist (key 0123456789abcdef)"
    published = (
        "Lab Raman 2026, published 2026-11-24, approved by Dr. A. Chemist (key 0123456789abcdef)"
    )
    lab.approval, lab.standing = None, "it is not a published version (built, not published)"
    built = "Lab Raman 2026, built 2026-11-20, not a published version"
    unchecked = copy.copy(lab)
    unchecked.standing = None  # made in memory: no one checked whether it was published
    for named, said in ((lab, built), (unchecked, "Lab Raman 2026, built 2026-11-20")):
        assert library_named(named) == said
        assert library_named(identify(query, named).to_dict()) == said
    lab.approval = "published 2026-11-24, approved by Dr. A. Chemist (key 0123456789abcdef)"
    assert library_named(lab) == published
    assert library_named(identify(query, lab).to_dict()) == published
    # a result recorded before the library's name and standing were kept says so
    assert library_named({}) == "name and build date not recorded"
    assert library_named({"library_approval": "not a published version"}) == (
        "name and build date not recorded, not a published version"
    )


def test_a_verdict_needs_the_margin_its_library_chose_and_the_result_records_it(library):
    query = _query("cocaine")
    assert identify(query, library).verdict == "identified"
    wary = copy.deepcopy(library)
    wary.block("raman").calibration["margin_min"] = 0.9  # as a library of near-twins chose
    result = identify(query, wary)
    best, second = result.hits[:2]
    margin = round(best["score"] - second["score"], 6)
    assert result.verdict == "inconclusive"
    assert result.reasons[1] == (
        f"the best different substance scores within {margin:.3f} (< 0.9, the margin this "
        "library identifies at): the spectrum does not tell them apart"
    )
    assert result.margin_min == 0.9 and result.to_dict()["margin_min"] == 0.9
    assert Identification.from_dict(result.to_dict()).margin_min == 0.9
    assert closest_line(result.to_dict()).startswith(
        "Closest references, not told apart (within 0.9 of each other's score) and not "
        f"confirmed: cocaine (score {best['score']:.3f}"
    )
    # a result recorded before libraries chose their margin was decided at MARGIN_MIN
    recorded = {k: v for k, v in result.to_dict().items() if k != "margin_min"}
    assert Identification.from_dict(recorded).margin_min is None
    assert verdict_margin_of(recorded) == 0.02
