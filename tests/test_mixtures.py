"""Mixture fitting: synthetic binary and ternary mixtures at 1:1 to 1:9, pure spectra, and
measured pure spectra against libraries of other samples."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from synthetic import lorentzian_bands, make_spectrum

from forensic import mixtures
from forensic import verdict as verdicts
from forensic.errors import IdentificationError
from forensic.identification import MIXTURE_CANDIDATES, identify, quick_search
from forensic.io import read_spectrum
from forensic.library import Library
from forensic.mixtures import MixtureFit, fit_mixture, has_structured_residual
from forensic.processing import linear_from_representation
from forensic.search import Hit
from forensic.verdict import Calibration

# the module itself: its private candidate pools are patched and called below
identify_module = importlib.import_module("forensic.identification")

GRID = np.arange(200.0, 1800.0, 2.0)


def random_reference(rng):
    bands = [
        (rng.uniform(220, 1780), rng.uniform(0.1, 1.0), rng.uniform(6, 20))
        for _ in range(rng.integers(5, 15))
    ]
    y = lorentzian_bands(GRID, bands)
    return y / np.linalg.norm(y)


@pytest.fixture(scope="module")
def candidates():
    rng = np.random.default_rng(21)
    return np.stack([random_reference(rng) for _ in range(10)])


VALID = np.ones(GRID.size, bool)


@pytest.mark.parametrize("ratio", [(1, 1), (1, 2), (1, 4), (1, 9), (9, 1)])
def test_binary_mixtures(candidates, ratio):
    rng = np.random.default_rng(sum(ratio))
    share = np.array(ratio, float) / sum(ratio)
    query = share[0] * candidates[2] + share[1] * candidates[6]
    query = query + rng.normal(0, 0.003, GRID.size)
    assert has_structured_residual(query, candidates[2 if share[0] >= 0.5 else 6], VALID)
    fit = fit_mixture(query, candidates, VALID)
    assert isinstance(fit, MixtureFit)
    found = dict(fit.components)
    assert set(found) == {2, 6}
    assert found[2] == pytest.approx(share[0], abs=0.03)
    assert sum(found.values()) == pytest.approx(1.0)
    assert fit.residual < fit.single_best_residual
    assert 0.9 < fit.explained <= 1.0


@pytest.mark.parametrize("ratio", [(1, 1, 1), (1, 2, 6), (1, 1, 8), (6, 3, 1)])
def test_ternary_mixtures(candidates, ratio):
    rng = np.random.default_rng(len(ratio) + ratio[-1])
    share = np.array(ratio, float) / sum(ratio)
    query = share @ candidates[[1, 4, 8]] + rng.normal(0, 0.003, GRID.size)
    fit = fit_mixture(query, candidates, VALID)
    assert fit is not None
    found = dict(fit.components)
    assert set(found) == {1, 4, 8}
    assert [found[i] for i in (1, 4, 8)] == pytest.approx(list(share), abs=0.03)


def test_pure_spectra_give_no_mixture(candidates):
    rng = np.random.default_rng(5)
    false_components = 0
    structured = 0
    for i in range(10):
        query = candidates[i] * rng.uniform(0.5, 2) + rng.normal(0, 0.003, GRID.size)
        false_components += fit_mixture(query, candidates, VALID) is not None
        structured += has_structured_residual(query, candidates[i], VALID)
    assert false_components == 0
    assert structured <= 1


def test_pure_spectrum_with_instrument_differences_gives_no_mixture(candidates):
    """A pure substance whose relative band intensities differ from the reference (another
    instrument) leaves structured residual; near candidates must not be taken as components."""
    rng = np.random.default_rng(6)
    gain = 1 + 0.15 * np.linspace(-1, 1, GRID.size)
    for i in range(10):
        query = candidates[i] * gain + rng.normal(0, 0.003, GRID.size)
        assert fit_mixture(query, candidates, VALID) is None


def test_max_components_is_respected(candidates):
    query = np.array([0.4, 0.3, 0.2, 0.1]) @ candidates[[0, 3, 5, 7]]
    fit = fit_mixture(query, candidates, VALID, max_components=2)
    assert fit is not None and len(fit.components) == 2
    fit4 = fit_mixture(query, candidates, VALID)
    assert {i for i, _ in fit4.components} == {0, 3, 5, 7}


def test_inputs_left_unchanged(candidates):
    query = 0.5 * candidates[0] + 0.5 * candidates[1]
    copies = query.copy(), candidates.copy()
    fit_mixture(query, candidates, VALID)
    has_structured_residual(query, candidates[0], VALID)
    assert np.array_equal(query, copies[0]) and np.array_equal(candidates, copies[1])


def test_bad_input(candidates):
    with pytest.raises(IdentificationError, match="do not match a query"):
        fit_mixture(candidates[0][:-1], candidates, VALID[:-1])
    with pytest.raises(IdentificationError, match="max_components must be 1 to 4"):
        fit_mixture(candidates[0], candidates, VALID, max_components=5)
    bad = candidates[0].copy()
    bad[3] = np.nan
    with pytest.raises(IdentificationError, match="NaN"):
        fit_mixture(bad, candidates, VALID)
    assert fit_mixture(np.zeros(GRID.size), candidates, VALID) is None


def test_only_valid_points_are_fitted(candidates):
    valid = GRID < 1000
    query = 0.5 * candidates[0] + 0.5 * candidates[1]
    query[~valid] = 123.0  # garbage outside the compared range must not matter
    fit = fit_mixture(query, candidates, valid)
    assert fit is not None and {i for i, _ in fit.components} == {0, 1}


def test_smooth_baseline_does_not_create_components(candidates):
    """A pure spectrum on a drifting baseline (as after integrating a derivative) is no mixture,
    and a mixture on the same baseline keeps its shares."""
    u = np.linspace(-1, 1, GRID.size)
    drift = 0.3 * np.abs(candidates[4]).max() * (u + 0.5 * u**2 - 0.4 * u**3)
    rng = np.random.default_rng(8)
    noise = rng.normal(0, 0.002, GRID.size)
    assert fit_mixture(candidates[4] + drift + noise, candidates, VALID) is None
    fit = fit_mixture(0.7 * candidates[4] + 0.3 * candidates[2] + drift + noise, candidates, VALID)
    assert fit is not None
    assert dict(fit.components) == pytest.approx({4: 0.7, 2: 0.3}, abs=0.03)
    # and the fit's residual is the one after the baseline: small
    assert fit.residual < 0.1


def test_fitted_model_is_the_least_squares_fit_of_components_and_baseline(candidates):
    valid = VALID.copy()
    valid[:50] = False
    noise = np.random.default_rng(4).normal(0, 0.002, GRID.size)
    query = 0.3 * candidates[0] + 0.7 * candidates[1] + 0.05 + noise  # an offset: baseline
    fit = fit_mixture(query, candidates, valid)
    assert not np.any(fit.fitted[~valid])
    left = (query - fit.fitted)[valid]
    # least squares: what is left is orthogonal to every component used and to the baseline
    used = [i for i, _ in fit.components]
    assert np.abs(candidates[used][:, valid] @ left).max() < 1e-9
    t = np.linspace(-1, 1, int(valid.sum()))
    legendre = np.polynomial.legendre.legvander(t, mixtures.BASELINE_DEGREE).T
    assert np.abs(legendre @ left).max() < 1e-9
    # and what the fit holds besides the components is that smooth baseline
    baseline = (fit.fitted - fit.coefficients @ candidates)[valid]
    assert np.ptp(baseline) == pytest.approx(0.0, abs=0.01)
    assert np.mean(baseline) == pytest.approx(0.05, abs=0.005)


def test_to_dict(candidates):
    fit = fit_mixture(0.3 * candidates[0] + 0.7 * candidates[1], candidates, VALID)
    d = fit.to_dict()
    assert [c["index"] for c in d["components"]] == [1, 0]
    assert d["explained"] == pytest.approx(1.0)


def test_mixtures_of_substances_measured_unlike_their_references_are_found():
    """Each component measured on another sample than its reference (bands moved by ~1 cm-1,
    relative intensities +-40 %, bands up to 15 % wider): both are still found."""
    for seed in range(20):
        rng = np.random.default_rng(seed)
        substances = [
            [
                (rng.uniform(220, 1780), rng.uniform(0.2, 1), rng.uniform(6, 16))
                for _ in range(rng.integers(4, 10))
            ]
            for _ in range(10)
        ]
        references = np.stack([lorentzian_bands(GRID, b) for b in substances])
        references /= np.linalg.norm(references, axis=1, keepdims=True)

        def measured(bands, rng=rng):
            y = lorentzian_bands(
                GRID,
                [
                    (c + rng.normal(0, 1.0), h * rng.uniform(0.6, 1.4), w * rng.uniform(0.95, 1.15))
                    for c, h, w in bands
                ],
            )
            return y / np.linalg.norm(y)

        i, j = seed % 10, (seed + 3) % 10
        query = 0.6 * measured(substances[i]) + 0.4 * measured(substances[j])
        fit = fit_mixture(query + rng.normal(0, 0.002, GRID.size), references, VALID)
        assert fit is not None, seed
        assert {k for k, _ in fit.components} == {i, j}, seed


def test_a_neighbour_that_only_soaks_up_sample_differences_is_dropped(monkeypatch):
    """A pure substance measured on another sample (other relative band intensities) next to a
    neighbour whose bands sit where this sample's bands are stronger than the reference's: the
    forward steps take the neighbour, the backward pass drops it (its own band is absent)."""
    rng = np.random.default_rng(3)
    bands = [(rng.uniform(250, 1750), rng.uniform(0.3, 1), rng.uniform(8, 14)) for _ in range(8)]
    factors = [1.5, 0.6, 1.4, 0.7, 1.3, 0.8, 1.2, 1.0]
    reference = lorentzian_bands(GRID, bands)
    other_sample = lorentzian_bands(
        GRID, [(c, h * f, w) for (c, h, w), f in zip(bands, factors, strict=True)]
    )
    neighbour = lorentzian_bands(
        GRID,
        [(c + 3, h, w) for (c, h, w), f in zip(bands, factors, strict=True) if f > 1]
        + [(1000, 0.3, 10)],
    )
    candidates = np.stack([v / np.linalg.norm(v) for v in (reference, neighbour)])
    query = other_sample / np.linalg.norm(other_sample) + rng.normal(0, 0.002, GRID.size)
    assert fit_mixture(query, candidates, VALID) is None
    monkeypatch.setattr(mixtures, "MIN_UNIQUE_SHARE", 0.0)  # forward selection alone
    fit = fit_mixture(query, candidates, VALID)
    assert fit is not None and {i for i, _ in fit.components} == {0, 1}


def test_real_pure_spectra_are_rarely_called_mixtures(shared_data):
    """Measured RRUFF IR spectra, each against a library of the other samples: a pure mineral
    differs from its other samples everywhere a little, which must not read as a mixture (the
    forward steps alone called two thirds of them mixtures)."""
    files = sorted((shared_data / "rruff" / "ir-dev").glob("*.txt"))
    spectra = [read_spectrum(f) for f in files]
    samples = [f.name.split("__")[1] for f in files]
    minerals = [f.name.split("__")[0] for f in files]
    queries = [minerals.index(m) for m in sorted(set(minerals))][::2]
    called = 0
    for q in queries:
        library = Library.from_spectra(
            [s for s, smp in zip(spectra, samples, strict=True) if smp != samples[q]],
            calibrate=False,
        )
        called += identify(spectra[q], library, top=1).mixture is not None
    assert called <= 0.2 * len(queries), f"{called} of {len(queries)} pure spectra called mixtures"


@pytest.fixture(scope="module")
def cut_sample_library():
    """A drug with 50 close relatives (its bands plus two of their own) and a cutting agent
    whose bands are elsewhere; a sample of the drug cut 3:1 with that agent. (With one band
    of their own at 0.4 the relatives were so alike that every match was weak evidence by the
    library's calibration, and whether the agent was kept turned on the calibration's draw.)"""
    rng = np.random.default_rng(8)
    drug = [(rng.uniform(300, 1700), rng.uniform(0.3, 1.0), rng.uniform(6, 12)) for _ in range(8)]
    agent = [(2850.0, 1.0, 10.0), (2930.0, 0.7, 12.0), (3060.0, 0.5, 10.0)]
    spectra = [make_spectrum(drug, name="Drug"), make_spectrum(agent, name="Agent")]
    spectra += [
        make_spectrum(
            [*drug, *((rng.uniform(300, 1700), 0.6, 8.0) for _ in range(2))],
            name=f"Relative {k}",
        )
        for k in range(50)
    ]
    library = Library.from_spectra(spectra)
    drug_part = make_spectrum(drug, noise=0.001, seed=1)
    agent_part = make_spectrum(agent)
    sample = drug_part.replace(intensity=drug_part.intensity + 0.25 * agent_part.intensity)
    return library, sample


def test_a_minor_component_ranked_beyond_the_candidates_is_found_from_the_residual(
    cut_sample_library, monkeypatch
):
    """The agent ranks below the drug's 50 relatives in the search of the whole sample, so
    only the search of what the drug leaves unexplained makes it a mixture candidate."""
    library, sample = cut_sample_library
    ranked = [h["name"] for h in quick_search(sample, library, top=52)]
    assert ranked.index("Agent") >= MIXTURE_CANDIDATES
    result = identify(sample, library)
    assert result.hits[0]["name"] == "Drug"
    assert result.mixture is not None
    assert {c["name"] for c in result.mixture["components"]} == {"Drug", "Agent"}
    # the fit as drawn in the report: over the query, one part per component, little left
    spectra = result.mixture["spectra"]
    assert spectra["wavenumber"] == result.query["wavenumber"]
    assert len(spectra["components"]) == 2
    measured = np.asarray(result.query["intensity"])
    left = measured - np.asarray(spectra["fit"])
    assert np.linalg.norm(left) < 0.1 * np.linalg.norm(measured)
    agent = np.asarray(
        spectra["components"][1 if result.mixture["components"][1]["name"] == "Agent" else 0]
    )
    ch_stretch = (np.asarray(spectra["wavenumber"]) > 2800) & (
        np.asarray(spectra["wavenumber"]) < 3100
    )
    assert agent[ch_stretch].max() > 0.5 * measured[ch_stretch].max()
    monkeypatch.setattr(identify_module, "RESIDUAL_CANDIDATES", 0)
    without = identify(sample, library)
    assert without.mixture is None or "Agent" not in {
        c["name"] for c in without.mixture["components"]
    }


def test_a_component_is_kept_only_when_what_it_is_given_looks_like_it():
    """Subtraction, as a chemist confirms a minor component: the query less the other
    components is searched, and a component another substance matches clearly better goes."""
    drug = [(620.0, 0.8, 8.0), (1000.0, 1.0, 8.0), (1450.0, 0.6, 10.0)]
    agent = [(800.0, 1.0, 8.0), (1300.0, 0.7, 8.0)]
    decoy = [(1200.0, 1.0, 8.0), (1550.0, 0.9, 8.0), (1650.0, 0.8, 8.0), (450.0, 0.8, 8.0)]
    lone = [(1200.0, 1.0, 8.0)]  # the band a drug sample happens to carry extra
    names = ["Drug", "Agent", "Decoy", "Lone"]
    library = Library.from_spectra(
        [make_spectrum(b, name=n) for n, b in zip(names, (drug, agent, decoy, lone), strict=True)]
    )
    block = library.block("raman")
    substances = library.substances("raman")
    rows = np.stack(
        [
            linear_from_representation(
                np.asarray(block.matrix[i], dtype=np.float64),
                int(block.start[i]),
                int(block.stop[i]),
                block.pipeline,
            )
            for i in range(4)
        ]
    )
    pool = [Hit(i, 0.0, str(substances[i])) for i in range(4)]
    valid = (block.grid >= 300) & (block.grid <= 1800)

    def kept(query, coefficients):
        coefficients = np.asarray(coefficients, dtype=float)
        fit = MixtureFit(
            components=[(i, float(c)) for i, c in enumerate(coefficients) if c > 0],
            residual=0.0,
            explained=1.0,
            single_best_residual=1.0,
            coefficients=coefficients,
            fitted=np.where(valid, coefficients @ rows, 0.0),
        )
        found = identify_module._evidenced(
            fit,
            rows,
            np.where(valid, query, 0.0),
            valid,
            block=block,
            pool=pool,
            substances=substances,
        )
        for score, margin in found.values():
            assert -1.0 <= score <= 1.0
            # kept only when no other substance matches its part clearly better
            assert margin >= -verdicts.MARGIN_MIN
        return [names[i] for i in sorted(found)]

    # a real cut: what is left for the agent is the agent
    assert kept(rows[0] + 0.3 * rows[1], [1.0, 0.3, 0.0, 0.0]) == ["Drug", "Agent"]
    # a pure drug with one extra band, which the decoy was fitted to: what is left for the
    # decoy is that band, which the lone band matches, not the decoy
    extra = rows[0] + 0.3 * rows[3]
    assert kept(extra, [1.0, 0.0, 0.3, 0.0]) == ["Drug"]


@pytest.mark.parametrize("calibrated", [True, False])
def test_the_residual_search_nominates_only_what_the_residual_resembles(
    cut_sample_library, calibrated
):
    """The agent's own spectrum as the residual nominates the agent; a residual unlike every
    reference (one band no reference has) nominates nothing, with the library's calibration
    (q-value) or without it (the uncalibrated no-match score)."""
    library, _ = cut_sample_library
    block = library.block("raman")
    substances = library.substances("raman")
    calibration = Calibration.from_dict(block.calibration) if calibrated else None
    valid = (block.grid >= 300) & (block.grid <= 3100)

    def nominated(residual):
        found = identify_module._residual_candidates(
            residual, valid, block, substances=substances, calibration=calibration, pool=[]
        )
        return [library.entry("raman", h.index)["name"] for h in found]

    row = int(np.flatnonzero(substances == "agent")[0])
    agent = linear_from_representation(
        np.asarray(block.matrix[row], dtype=np.float64),
        int(block.start[row]),
        int(block.stop[row]),
        block.pipeline,
    )
    assert nominated(agent * valid)[0] == "Agent"
    unknown_band = np.where((block.grid > 2000) & (block.grid < 2010), 1.0, 0.0)
    assert nominated(unknown_band) == []
