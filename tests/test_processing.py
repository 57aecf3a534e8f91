"""Preprocessing steps and pipelines: purity, recorded history, each step's effect, errors."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.signal import savgol_coeffs
from synthetic import make_spectrum

from forensic.errors import SpectrumError
from forensic.io import read_spectrum
from forensic.processing import (
    STEPS,
    Pipeline,
    compress_intensity,
    default_pipeline,
    derivative,
    grid_from_params,
    grid_range,
    linear_from_representation,
    linear_from_spectrum,
    normalise,
    remove_baseline,
    remove_spikes,
    representation_from_linear,
    resample,
    smooth,
    smooth_as_representation,
    split_representation,
    to_absorbance,
)
from forensic.quality import SPIKE_NARROWNESS, SPIKE_THRESHOLD, SPIKE_WIDTH, find_spikes
from forensic.spectrum import MIN_POINTS, Spectrum

STEP_PARAMS = {
    "remove_spikes": {},
    "to_absorbance": {},
    "resample": {"start": 300.0, "stop": 3000.0, "step": 2.0},
    "remove_baseline": {},
    "smooth": {},
    "compress_intensity": {},
    "derivative": {},
    "normalise": {},
}


def test_every_step_is_listed_in_the_invariant_test():
    assert set(STEP_PARAMS) == set(STEPS)


@pytest.mark.parametrize("name", sorted(STEPS))
def test_step_leaves_input_unchanged_and_records_itself(name):
    spectrum = make_spectrum(noise=0.01, baseline=0.5, seed=3)
    before_x = spectrum.wavenumber.copy()
    before_y = spectrum.intensity.copy()
    before_history = spectrum.history
    out = STEPS[name](spectrum, **STEP_PARAMS[name])
    np.testing.assert_array_equal(spectrum.wavenumber, before_x)
    np.testing.assert_array_equal(spectrum.intensity, before_y)
    assert spectrum.history == before_history
    assert out is not spectrum
    assert out.history[: len(before_history)] == before_history
    assert out.history[-1].name == name
    assert np.all(np.isfinite(out.intensity))


@pytest.mark.parametrize("modality", ["raman", "ir"])
def test_default_pipeline_runs_and_records_every_step(modality):
    spectrum = make_spectrum(
        start=450, stop=3900, modality=modality, noise=0.01, baseline=1.0, seed=1
    )
    pipe = default_pipeline(modality)
    out = pipe(spectrum)
    assert [s.name for s in out.history] == pipe.names
    assert out.y_unit == "normalised"
    assert np.linalg.norm(out.intensity) == pytest.approx(1.0)
    assert out.wavenumber[0] >= spectrum.wavenumber[0]
    assert out.wavenumber[-1] <= spectrum.wavenumber[-1]


def test_ir_comparison_gives_weak_bands_more_weight_than_linear_absorbance():
    """IR band heights vary between samples (particle size, ATR contact, strong bands near
    saturation): the IR representation compresses them, so a weak band carries more of the
    comparison than it would in linear absorbance, but less than under Raman's square root."""
    spectrum = make_spectrum(
        [(1420.0, 1.0, 60.0), (870.0, 0.08, 8.0)],
        start=450,
        stop=3900,
        modality="ir",
        y_unit="absorbance",
    )

    def weak_band_share(pipe):
        out = pipe(spectrum)
        near = np.abs(out.wavenumber - 870.0) < 30
        return float(np.sum(out.intensity[near] ** 2) / np.sum(out.intensity**2))

    ir = default_pipeline("ir")
    linear = Pipeline(tuple(step for step in ir.steps if step[0] != "compress_intensity"))
    assert "compress_intensity" in ir.names
    assert weak_band_share(ir) > 2 * weak_band_share(linear)
    assert (
        ir.params("compress_intensity")["power"]
        > default_pipeline("raman").params("compress_intensity")["power"]
    )


def test_pipeline_serialises_round_trip_and_overrides():
    pipe = default_pipeline("raman").with_params("remove_baseline", lam=1e6)
    data = json.loads(json.dumps(pipe.to_dict()))
    again = Pipeline.from_dict(data)
    assert again == pipe
    assert again.params("remove_baseline")["lam"] == 1e6
    assert Pipeline.from_dict(pipe.to_list()) == pipe
    spectrum = make_spectrum(noise=0.01)
    np.testing.assert_allclose(again(spectrum).intensity, pipe(spectrum).intensity)


def test_pipeline_refuses_unknown_steps_and_overrides():
    with pytest.raises(SpectrumError, match="unknown processing step 'despike'"):
        Pipeline((("despike", {}),))
    with pytest.raises(SpectrumError, match="has no step 'smooth'"):
        default_pipeline("ir").with_params("smooth", window=5)
    with pytest.raises(SpectrumError, match="modality must be one of"):
        default_pipeline("nmr")
    # a misspelt or missing parameter is refused when the pipeline is made: it was taken, and
    # failed only when run (a library build: on every reference, as a TypeError)
    with pytest.raises(SpectrumError) as refused:
        default_pipeline("raman").with_params("remove_baseline", lamda=1e6)
    assert str(refused.value) == (
        "processing step 'remove_baseline' takes no parameter 'lamda'; its parameters: method, "
        "lam, max_half_window_cm1, clip_negative"
    )
    with pytest.raises(SpectrumError) as refused:
        Pipeline.from_dict([{"name": "resample", "params": {"start": 50.0, "stop": 3400.0}}])
    assert str(refused.value) == (
        "processing step 'resample' needs 'step'; its parameters: start, stop, step, trim_cm1, "
        "min_points"
    )
    with pytest.raises(SpectrumError, match="'to_absorbance' takes no parameter 'x'; its param"):
        Pipeline((("to_absorbance", {"x": 1}),))


def test_remove_spikes_removes_a_cosmic_ray_and_keeps_bands():
    clean = make_spectrum(noise=0.005, seed=2)
    y = np.array(clean.intensity)
    y[700] += 3.0  # one-pixel cosmic ray
    y[1500:1502] += 2.0  # two-pixel one
    out = remove_spikes(clean.with_intensity(y, "test"))
    assert np.abs(out.intensity - clean.intensity).max() < 0.05
    assert out.history[-1].params["replaced_points"] >= 3
    # the bands themselves (6-14 cm-1 wide on a 1 cm-1 axis) are untouched
    untouched = remove_spikes(clean)
    assert untouched.history[-1].params["replaced_points"] == 0
    np.testing.assert_array_equal(untouched.intensity, clean.intensity)


def test_remove_spikes_replaces_what_find_spikes_finds_and_its_neighbours():
    clean = make_spectrum(noise=0.005, seed=2)
    y = np.array(clean.intensity)
    y[700] += 3.0
    y[1500:1502] += 2.0
    found = find_spikes(y)
    assert found.points.tolist() == [700, 1500, 1501]
    assert np.all(found.excess > 1.5)
    out = remove_spikes(clean.with_intensity(y, "test"))
    assert np.flatnonzero(out.intensity != y).tolist() == [699, 700, 701, 1499, 1500, 1501, 1502]
    # the pipeline removes spikes with find_spikes' own defaults
    assert default_pipeline("raman").params("remove_spikes") == {
        "threshold": SPIKE_THRESHOLD,
        "width": SPIKE_WIDTH,
        "narrowness": SPIKE_NARROWNESS,
    }


def test_a_sharp_band_as_wide_as_its_neighbours_is_left_and_a_cosmic_ray_beside_it_removed():
    # sampled every 3 cm-1, bands 6 cm-1 wide are two or three points: the one at 1296 cm-1
    # stands out as a spike would, but it is as wide as the bands near it
    sharp = [(1063, 0.6, 6), (1130, 0.5, 6), (1296, 0.7, 6), (1440, 0.8, 12)]
    clean = make_spectrum(sharp, start=400, stop=1800, step=3.0, noise=0.002, seed=3)
    found = find_spikes(clean.intensity)
    assert found.points.size == 0
    assert clean.wavenumber[found.bands].tolist() == [1297.0]
    kept = remove_spikes(clean)
    assert kept.history[-1].params["replaced_points"] == 0
    np.testing.assert_array_equal(kept.intensity, clean.intensity)
    y = np.array(clean.intensity)
    y[100] += 0.5  # one pixel struck, at 700 cm-1
    out = remove_spikes(clean.with_intensity(y, "test"))
    assert np.flatnonzero(out.intensity != y).tolist() == [99, 100, 101]


def test_the_measured_hdpe_1130_band_survives_spike_removal(shared_data):
    spectrum = read_spectrum(shared_data / "formats" / "text" / "raman_hdpe.csv")
    out = remove_spikes(spectrum)
    assert out.history[-1].params["replaced_points"] == 0
    np.testing.assert_array_equal(out.intensity, spectrum.intensity)


def test_remove_spikes_rejects_bad_parameters():
    with pytest.raises(SpectrumError, match="threshold must be positive, got -1"):
        remove_spikes(make_spectrum(), threshold=-1)


def test_resample_never_extrapolates_and_averages_fine_data():
    spectrum = make_spectrum(start=403.3, stop=1207.7, step=0.5, noise=0.01)
    out = resample(spectrum, start=50.0, stop=3400.0, step=2.0)
    assert out.wavenumber[0] >= 403.3
    assert out.wavenumber[-1] <= 1207.7
    assert out.wavenumber[0] == pytest.approx(404.0)
    assert np.allclose(np.diff(out.wavenumber), 2.0)
    flat = Spectrum(spectrum.wavenumber, np.full(len(spectrum), 3.0), modality="raman")
    np.testing.assert_allclose(resample(flat, start=50, stop=3400, step=2).intensity, 3.0)


@settings(max_examples=40, deadline=None)
@given(
    start=st.floats(0, 3000),
    width=st.floats(40, 2000),
    step=st.floats(0.3, 5),
)
def test_resample_output_lies_inside_the_measured_range(start, width, step):
    x = np.arange(start, start + width, step)
    if x.size < 16:
        return
    spectrum = Spectrum(x, np.sin(x / 37.0), modality="raman")
    try:
        out = resample(spectrum, start=50.0, stop=3400.0, step=2.0)
    except SpectrumError as exc:
        assert "points of the grid" in str(exc)
        return
    assert out.wavenumber[0] >= x[0] - 1e-9
    assert out.wavenumber[-1] <= x[-1] + 1e-9
    grid = grid_from_params(50.0, 3400.0, 2.0)
    assert np.isin(out.wavenumber, grid).all()


def test_resample_refuses_a_spectrum_outside_the_grid():
    spectrum = make_spectrum(start=4000, stop=4500)
    with pytest.raises(SpectrumError, match="holds 0 points of the grid 50-3400"):
        resample(spectrum, start=50.0, stop=3400.0, step=2.0)


@pytest.mark.parametrize("method", ["arpls", "asls", "aspls", "snip"])
@pytest.mark.parametrize("level", [0.0, 5.0])
def test_remove_baseline_of_a_flat_spectrum_prints_no_warning(method, level):
    # arPLS on an all-zero CSV printed pybaselines' ParameterWarning on the user's terminal
    flat = make_spectrum([], start=200, stop=2000, step=2.0).replace(intensity=np.full(901, level))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        corrected = remove_baseline(flat, method=method, lam=1e5)
    assert np.allclose(corrected.intensity, 0.0)


def test_remove_baseline_removes_a_fluorescence_hump():
    bands_only = make_spectrum(noise=0.01, seed=1)
    with_hump = make_spectrum(noise=0.01, baseline=5.0, seed=1)
    grid = resample(with_hump, start=200, stop=3200, step=2)
    for method in ("arpls", "asls", "aspls"):
        out = remove_baseline(grid, method=method)
        truth = resample(bands_only, start=200, stop=3200, step=2).intensity
        cos = np.dot(out.intensity, truth) / np.linalg.norm(out.intensity) / np.linalg.norm(truth)
        assert cos > 0.9, method
    sloped = grid.with_intensity(
        resample(bands_only, start=200, stop=3200, step=2).intensity + grid.wavenumber / 1000,
        "test",
    )
    snip = remove_baseline(sloped, method="snip").intensity
    truth = resample(bands_only, start=200, stop=3200, step=2).intensity
    assert np.dot(snip, truth) / np.linalg.norm(snip) / np.linalg.norm(truth) > 0.9
    with pytest.raises(SpectrumError, match="method must be one of"):
        remove_baseline(grid, method="rubberband")


def test_to_absorbance_converts_transmittance_only():
    x = np.linspace(400, 4000, 500)
    t = Spectrum(x, np.full(500, 10.0), modality="ir", y_unit="percent_transmittance")
    out = to_absorbance(t)
    assert out.y_unit == "absorbance"
    np.testing.assert_allclose(out.intensity, 1.0)
    assert out.history[-1].params == {"applied": True}
    a = Spectrum(x, np.ones(500), modality="ir", y_unit="absorbance")
    assert to_absorbance(a).history[-1].params == {"applied": False}


def test_normalise_methods():
    s = make_spectrum()
    assert np.linalg.norm(normalise(s).intensity) == pytest.approx(1)
    assert np.abs(normalise(s, method="max").intensity).max() == pytest.approx(1)
    snv = normalise(s, method="snv").intensity
    assert snv.mean() == pytest.approx(0, abs=1e-12)
    assert snv.std() == pytest.approx(1)
    flat = Spectrum(s.wavenumber, np.zeros(len(s)), modality="raman")
    assert normalise(flat).history[-1].params["flat"] is True
    with pytest.raises(SpectrumError, match="method must be one of"):
        normalise(s, method="peak")


def test_smoothing_derivative_and_compression_parameters():
    s = make_spectrum(noise=0.05)
    assert np.std(np.diff(smooth(s, window=11).intensity)) < np.std(np.diff(s.intensity))
    d = derivative(make_spectrum([(1000.0, 1.0, 10.0)]), window=7).intensity
    crossing = int(np.argmax(d[:-1] * d[1:] < 0))
    assert abs(s.wavenumber[crossing] - 1000.0) <= 1.0
    c = compress_intensity(Spectrum(s.wavenumber, np.full(len(s), -4.0), modality="raman"))
    np.testing.assert_allclose(c.intensity, -2.0)
    with pytest.raises(SpectrumError, match="window must be an odd number"):
        smooth(s, window=6)
    with pytest.raises(SpectrumError, match=r"power must be in \(0, 1\]"):
        compress_intensity(s, power=2)


def test_derivative_with_nearest_ends_sums_back_to_a_smoothing_that_never_overshoots():
    # a band 20 cm-1 (10 points) inside the start: within reach of the 17-point window
    s = make_spectrum([(220.0, 1.0, 10.0), (600.0, 0.5, 10.0)], start=200.0, stop=800.0, step=2.0)
    y = s.intensity
    fitted = derivative(s, window=17).intensity
    nearest = derivative(s, window=17, mode="nearest")
    # recorded as it was done; a pipeline recorded without a mode still means "interp"
    assert nearest.history[-1].params == {"window": 17, "polyorder": 2, "mode": "nearest"}
    assert derivative(s, window=17).history[-1].params == {"window": 17, "polyorder": 2}
    np.testing.assert_allclose(nearest.intensity[8:-8], fitted[8:-8], rtol=0, atol=1e-15)
    # summed, it is the spectrum continued by its end values and smoothed with positive
    # weights summing to 1 (the derivative's coefficients summed from the window's far side):
    # a mean of measured values, never outside them
    weights = np.cumsum(savgol_coeffs(17, 2, deriv=1, use="dot")[::-1])[::-1][1:]
    assert (weights > 0).all() and weights.sum() == pytest.approx(1.0)
    smoothed = np.correlate(np.pad(y, 8, mode="edge"), weights, mode="valid")  # from point -1
    np.testing.assert_allclose(np.cumsum(nearest.intensity), smoothed[1:] - smoothed[0], atol=1e-12)
    assert y.min() <= smoothed.min() and smoothed.max() <= y.max()
    # the polynomial fitted to the first 17 points, bent by the band, overshoots: summed, its
    # derivative is that smoothing from the 8th point on and dips below every measured value
    summed = np.cumsum(fitted)
    summed += smoothed[21] - summed[20]
    np.testing.assert_allclose(summed[7:-8], smoothed[8:-8], atol=1e-12)
    assert summed[0] < y.min() - 0.2
    with pytest.raises(SpectrumError, match=r"mode must be one of \('interp', 'nearest'\)"):
        derivative(s, mode="mirror")


def test_linear_from_representation_recovers_band_positions():
    pipe = default_pipeline("raman")
    spectrum = make_spectrum([(600.0, 1.0, 8.0), (1200.0, 0.5, 10.0)], noise=0.002)
    rep = pipe(spectrum)
    grid = pipe.grid
    start = int(np.argmin(np.abs(grid - rep.wavenumber[0])))
    row = np.zeros(grid.size)
    row[start : start + len(rep)] = rep.intensity
    linear = linear_from_representation(row, start, start + len(rep), pipe)
    assert linear.max() == pytest.approx(1.0)
    assert abs(grid[np.argmax(linear)] - 600.0) <= 2.0
    head, tail = split_representation(pipe)
    assert tail.names == ["compress_intensity", "derivative", "normalise"]
    assert head.names[-1] == "remove_baseline"


def _ir_row_with_a_band_at_the_start(centre):
    """The IR pipeline's spectrum part of a clean spectrum measured from 650 cm-1 (its range
    starts at 700), a band at ``centre``, on the grid; its range of grid indices."""
    pipe = default_pipeline("ir")
    bands = [(centre, 1.0, 10.0), (1010.0, 0.6, 12.0), (1600.0, 0.8, 14.0), (2950.0, 0.5, 20.0)]
    part = split_representation(pipe)[0](
        make_spectrum(bands, start=650.0, stop=4000.0, modality="ir")
    )
    start, stop = grid_range(pipe.grid, part.wavenumber)
    row = np.zeros(pipe.grid.size)
    row[start:stop] = part.intensity
    return pipe, row, start, stop


def test_a_band_at_the_start_does_not_lift_the_whole_rebuilt_spectrum():
    # the band rises from the range's first points: the derivative's end polynomial dips
    # below the baseline there, and that dip, as the lowest point, once set the zero of the
    # whole rebuilt spectrum: its baseline stood at 0.22 of its maximum
    pipe, row, start, stop = _ir_row_with_a_band_at_the_start(720.0)
    rebuilt = linear_from_representation(
        representation_from_linear(row, start, stop, pipe), start, stop, pipe
    )
    far = (pipe.grid > 1200.0) & (pipe.grid < 1450.0)  # far from every band
    assert np.abs(rebuilt[far]).max() < 0.01
    assert rebuilt.max() == pytest.approx(1.0)


def test_linear_from_spectrum_is_the_rebuilt_spectrum_without_the_end_polynomial():
    pipe, row, start, stop = _ir_row_with_a_band_at_the_start(730.0)
    rebuilt = linear_from_representation(
        representation_from_linear(row, start, stop, pipe), start, stop, pipe
    )
    smoothed = linear_from_spectrum(row, start, stop, pipe)
    assert not smoothed[:start].any() and not smoothed[stop:].any()
    # the same smoothing, and the same zero, away from the ends
    np.testing.assert_allclose(smoothed[start + 8 : stop - 8], rebuilt[start + 8 : stop - 8])
    # at the start, the polynomial fitted to the first 17 points, bent by the band's flank,
    # rose by 0.16 of the maximum above the smoothed spectrum
    ends = slice(start, start + 8)
    assert (rebuilt[ends] - smoothed[ends]).max() > 0.12
    # a range too short for the representation: nothing, as linear_from_representation
    assert not linear_from_spectrum(row, start, start + 10, pipe).any()


def test_smooth_as_representation_smooths_like_the_derivative_and_knows_its_noise():
    pipe = default_pipeline("ir")
    head, _ = split_representation(pipe)
    rng = np.random.default_rng(3)
    x = np.arange(400.0, 4000.0, 1.0)
    part = head(Spectrum(x, rng.normal(0.0, 0.05, x.size), modality="ir", y_unit="absorbance"))
    smoothed, noise = smooth_as_representation(part, pipe)
    # the derivative's window (17 points) and order, without the derivative
    np.testing.assert_allclose(smoothed.intensity, smooth(part, window=17).intensity)
    # the noise of the smoothed spectrum, predicted from the unsmoothed one
    assert noise == pytest.approx(float(np.std(smoothed.intensity)), rel=0.15)
    assert noise < 0.5 * float(np.std(part.intensity))
    # no derivative in the representation: nothing to smooth like
    plain = Pipeline((("resample", {"start": 400.0, "stop": 4000.0, "step": 2.0}),))
    same, raw_noise = smooth_as_representation(part, plain)
    assert same is part and raw_noise == pytest.approx(float(np.std(part.intensity)), rel=0.15)


def _linear_rows(modality, seed=0, count=4):
    """Baseline-corrected spectra on the modality's grid, as the spectrum part leaves them."""
    pipe = default_pipeline(modality)
    head, _ = split_representation(pipe)
    grid = pipe.grid
    rows = np.zeros((count, grid.size))
    rng = np.random.default_rng(seed)
    for k in range(count):
        bands = [
            (c, h, w)
            for c, h, w in zip(
                rng.uniform(500, 3000, 6),
                rng.uniform(0.2, 1, 6),
                rng.uniform(6, 20, 6),
                strict=True,
            )
        ]
        part = head(
            make_spectrum(
                bands,
                start=40.0,
                stop=4100.0,
                modality=modality,
                noise=0.01,
                baseline=0.3,
                seed=seed + k,
            )
        )
        start, stop = grid_range(grid, part.wavenumber)
        rows[k, start:stop] = part.intensity
    return pipe, rows


@pytest.mark.parametrize("modality", ["raman", "ir"])
def test_representation_of_rows_is_the_pipelines_own_per_spectrum(modality):
    # each row over its own range, edges included, as the pipeline's last steps leave that
    # segment alone: the calibration and the re-scoring compare what the search compares
    pipe, rows = _linear_rows(modality)
    _, tail = split_representation(pipe)
    grid = pipe.grid
    shortest = max(MIN_POINTS, pipe.params("derivative")["window"])
    g = grid.size
    ranges = [
        (0, g),
        (0, 300),
        (g - 250, g),
        (137, 1100),
        (50, 50 + shortest),
        (400, 401 + shortest),
    ]
    batch = np.stack([rows[k % len(rows)] for k in range(len(ranges))])
    start = np.array([a for a, _ in ranges])
    stop = np.array([b for _, b in ranges])
    out = representation_from_linear(batch, start, stop, pipe)
    assert out.shape == batch.shape and out.dtype == np.float64
    for k, (a, b) in enumerate(ranges):
        alone = tail(Spectrum(grid[a:b], batch[k, a:b], modality=modality)).intensity
        np.testing.assert_allclose(out[k, a:b], alone, rtol=0, atol=1e-12)
        assert not out[k, :a].any() and not out[k, b:].any()
        # one row by itself gives the same
        one = representation_from_linear(batch[k], a, b, pipe)
        np.testing.assert_allclose(one, out[k], rtol=0, atol=1e-15)


@pytest.mark.parametrize("mode", ["interp", "nearest"])
@pytest.mark.parametrize("method", ["l2", "max", "snv", "area"])
def test_representation_of_rows_follows_the_recorded_parameters(method, mode):
    # every parameter from the pipeline's own steps: a normalisation other than l2, another
    # window, power, order and derivative's ends; a step recorded without parameters runs
    # with its defaults
    pipe, rows = _linear_rows("raman", seed=5, count=2)
    pipe = (
        pipe.with_params("normalise", method=method)
        .with_params("derivative", window=13, polyorder=3, mode=mode)
        .with_params("compress_intensity", power=0.7)
    )
    bare = Pipeline(
        tuple((n, {} if n in ("derivative", "normalise") else p) for n, p in pipe.steps)
    )
    grid = pipe.grid
    for pipeline in (pipe, bare):
        _, tail = split_representation(pipeline)
        out = representation_from_linear(rows, [10, 200], [900, 1500], pipeline)
        for k, (a, b) in enumerate([(10, 900), (200, 1500)]):
            alone = tail(Spectrum(grid[a:b], rows[k, a:b], modality="raman")).intensity
            np.testing.assert_allclose(out[k, a:b], alone, rtol=0, atol=1e-12)


def test_representation_of_a_segment_shorter_than_the_derivative_is_empty_not_an_error():
    # the pipeline refuses a spectrum shorter than its derivative's window (IR: 17 points);
    # a batch gives such a row all zeros, nothing to compare, and the other rows as usual
    pipe, rows = _linear_rows("ir", count=3)
    _, tail = split_representation(pipe)
    grid = pipe.grid
    with pytest.raises(SpectrumError, match="window of 17 points exceeds the 16 points"):
        tail(Spectrum(grid[100:116], rows[0, 100:116], modality="ir"))
    out = representation_from_linear(rows, [100, 300, 5], [116, 800, 5], pipe)
    assert not out[0].any() and not out[2].any()
    alone = tail(Spectrum(grid[300:800], rows[1, 300:800], modality="ir")).intensity
    np.testing.assert_allclose(out[1, 300:800], alone, rtol=0, atol=1e-12)
    assert not representation_from_linear(rows[0], 100, 116, pipe).any()
    # Raman's derivative (7 points) is shorter than the shortest spectrum (16 points)
    raman, rows = _linear_rows("raman", count=1)
    assert not representation_from_linear(rows[0], 100, 100 + MIN_POINTS - 1, raman).any()
    assert representation_from_linear(rows[0], 100, 100 + MIN_POINTS, raman).any()


def test_grid_range_places_a_resampled_spectrum_on_its_grid():
    pipe = default_pipeline("ir")
    part = split_representation(pipe)[0](make_spectrum(start=650.0, stop=3100.0, modality="ir"))
    start, stop = grid_range(pipe.grid, part.wavenumber)
    np.testing.assert_array_equal(pipe.grid[start:stop], part.wavenumber)
