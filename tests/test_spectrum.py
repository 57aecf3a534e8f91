"""The Spectrum type: validation, immutability, history, units."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from synthetic import TRANSMITTANCE_SCALE_CASES, make_spectrum, transmittance_values

from forensic.errors import SpectrumError
from forensic.spectrum import (
    NOT_MEASURED,
    PROVENANCES,
    ProcessingStep,
    Spectrum,
    absorbance_to_transmittance,
    axis_order_problem,
    is_measured,
    made_by,
    micrometre_to_wavenumber,
    nanometre_to_wavenumber,
    raman_shift_to_wavelength,
    transmittance_scale,
    transmittance_to_absorbance,
    wavelength_to_raman_shift,
)

X = np.linspace(400.0, 1800.0, 64)


def test_axis_order_problem_leaves_values_beyond_any_spectrum_to_spectrum():
    # Steps between +-1e308 overflowed (RuntimeWarning); Spectrum refuses such values itself.
    axis = np.r_[np.linspace(400.0, 1800.0, 20), 1e308, -1e308]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert axis_order_problem(axis) is None
        with pytest.raises(SpectrumError, match="beyond what any spectrum holds"):
            Spectrum(axis, np.ones(axis.size), modality="ir", y_unit="absorbance")


def test_arrays_are_float64_and_read_only():
    s = Spectrum(X, np.arange(64), modality="raman")
    assert s.wavenumber.dtype == np.float64 and s.intensity.dtype == np.float64
    with pytest.raises(ValueError):
        s.intensity[0] = 5.0
    with pytest.raises(ValueError):
        s.wavenumber[0] = 5.0


def test_input_arrays_are_copied_not_shared():
    y = np.ones(64)
    s = Spectrum(X, y, modality="ir", y_unit="absorbance")
    y[0] = 99.0
    assert s.intensity[0] == 1.0


def test_descending_axis_is_reversed_with_its_intensities():
    y = np.arange(64.0)
    s = Spectrum(X[::-1], y, modality="raman")
    assert np.all(np.diff(s.wavenumber) > 0)
    assert s.intensity[0] == 63.0 and s.intensity[-1] == 0.0


@pytest.mark.parametrize(
    ("x", "y", "message"),
    [
        (X, np.ones(63), "differ in length: 64 and 63"),
        (X[:10], np.ones(10), "at least 16 points, got 10"),
        (X, np.r_[np.ones(10), np.nan, np.ones(53)], "NaN or infinite.*index 10"),
        (np.r_[X[:5], np.inf, X[6:]], np.ones(64), "wavenumber holds 1 NaN"),
        (
            X,
            np.r_[np.ones(10), 1e304, 2e200, np.ones(52)],
            r"intensity holds 2 value\(s\) up to 1e\+304 in size, the first 1e\+304 at "
            r"622.222 cm-1: beyond what any spectrum holds \(at most 1e\+30\)",
        ),
        (X * 1e40, np.ones(64), r"wavenumber holds 64 value\(s\) up to 1.8e\+43 .* at index 0"),
        (np.r_[X[:5], X[4], X[6:]], np.ones(64), "repeats 1 value.*from_readings"),
        (np.r_[X[:30], X[10], X[31:]], np.ones(64), "not monotonic"),
        (X, np.ones((64, 2)), "one-dimensional"),
        (X, ["a"] * 64, "must be numbers"),
    ],
)
def test_bad_arrays_are_refused_with_a_clear_message(x, y, message):
    with pytest.raises(SpectrumError, match=message):
        Spectrum(x, y, modality="raman")


def test_an_axis_too_coarse_in_float16_is_refused_saying_so_not_to_be_merged():
    # float16 holds 3 significant digits: a 1 cm-1 axis repeats values from 2048 up, and the
    # advice was to merge them (averaging neighbouring bands together)
    x = np.arange(150.0, 3400.0)
    with pytest.raises(SpectrumError) as refused:
        Spectrum(x.astype(np.float16), np.ones(x.size), modality="raman")
    assert str(refused.value) == (
        "wavenumber repeats 675 value(s), the first 2048.0 at index 1898; the axis was given as "
        "float16, which holds only 3 significant digits, so neighbouring wavenumbers became one "
        "value: give it as float64"
    )
    # float32 and integer axes hold it; float16 intensities are only less precise
    for axis in (x.astype(np.float32), x.astype(np.int64)):
        assert np.array_equal(Spectrum(axis, np.ones(x.size), modality="raman").wavenumber, x)
    Spectrum(x, np.ones(x.size, dtype=np.float16), modality="raman")


def test_unknown_modality_and_unit_are_refused():
    with pytest.raises(SpectrumError, match="modality must be one of"):
        Spectrum(X, np.ones(64), modality="uv")
    with pytest.raises(SpectrumError, match="y_unit must be one of"):
        Spectrum(X, np.ones(64), modality="ir", y_unit="furlongs")


def test_from_readings_merges_repeated_wavenumbers_and_records_it():
    # three step-scan windows, each starting where the last ended, written high to low
    x = np.r_[np.arange(100.0, 121.0), np.arange(120.0, 141.0), np.arange(140.0, 161.0)][::-1]
    y = np.r_[np.zeros(20), 2.0, 4.0, np.zeros(19), 6.0, 8.0, np.zeros(20)][::-1]
    s = Spectrum.from_readings(x, y, modality="raman")
    assert len(s) == 61
    assert s.intensity[20] == pytest.approx(3.0) and s.intensity[40] == pytest.approx(7.0)
    step = s.history[-1]
    assert step.name == "merge_repeated_wavenumbers"
    assert step.params["merged_values"] == 2 and step.params["points_before"] == 63


def test_from_readings_sorts_a_small_overlap_where_windows_join_and_records_it():
    # the second window starts 1.5 cm-1 (of a 100 cm-1 range) before the first one ended
    x = np.r_[np.arange(100.0, 131.0), np.arange(129.5, 200.5)]
    s = Spectrum.from_readings(x, np.arange(x.size, dtype=float), modality="raman")
    assert len(s) == x.size and np.all(np.diff(s.wavenumber) > 0)
    (step,) = s.history
    assert step.name == "sort_wavenumber" and step.params["turn_backs"] == 1


SWEEP = np.linspace(100.0, 3200.0, 400)


@pytest.mark.parametrize(
    ("x", "message"),
    [
        # a second sweep appended (same axis, or shifted half a step)
        (np.r_[SWEEP, SWEEP], r"turns back at index 400 \(3200 -> 100 cm-1\), 3100 cm-1 or 100%"),
        (np.r_[SWEEP, SWEEP + 3.9], r"turns back at index 400 .*100% of its range"),
        # a partial second sweep, from the middle of the first
        (np.r_[SWEEP, SWEEP[200:] + 1.0], r"turns back at index 400 .* or 50% of its range"),
        # a sweep up and back down
        (np.r_[SWEEP, SWEEP[::-1][1:]], r"index 400 .*runs backwards for 399 steps"),
        # ten points in reverse order inside the axis: no window join runs backwards
        (
            np.r_[SWEEP[:100], SWEEP[100:110][::-1], SWEEP[110:]],
            r"at index 101 \(946.867 -> 939.098 cm-1\) and runs backwards for 9 steps, "
            r"69.9\d* cm-1 or 2% of its range 100-3200 cm-1",
        ),
        # the same axis values twice over: more than 5 % repeats
        (
            np.sort(np.r_[SWEEP[:40], SWEEP]),
            r"40 of the 440 points \(9%\) repeat a value of the axis, the first 100 cm-1 "
            r"at index 1:",
        ),
        (np.full(400, 1000.0), r"399 of the 400 points \(100%\) repeat"),
    ],
)
def test_from_readings_refuses_more_than_one_sweep(x, message):
    with pytest.raises(SpectrumError, match=message):
        Spectrum.from_readings(x, np.ones(x.size), modality="raman")


def test_transformations_return_new_spectra_and_record_history():
    s = make_spectrum()
    t = s.with_intensity(s.intensity * 2, "scale", factor=2)
    assert t is not s and s.history == ()
    assert t.history == (ProcessingStep("scale", {"factor": 2}),)
    assert np.allclose(t.intensity, 2 * s.intensity)


def test_replace_validates_replaces_metadata_whole_and_appends_only_a_given_step():
    s = make_spectrum(name="polystyrene").with_intensity(make_spectrum().intensity, "first")
    kept = s.replace(y_unit="counts")
    assert kept.history == s.history and kept.metadata == s.metadata
    whole = s.replace(metadata={"operator": "A. Chemist"}, step=ProcessingStep("relabel"))
    assert dict(whole.metadata) == {"operator": "A. Chemist"}  # replaced, not merged
    assert whole.history == (*s.history, ProcessingStep("relabel"))
    assert s.replace(wavenumber=s.wavenumber[::-1]).intensity[0] == s.intensity[-1]
    with pytest.raises(SpectrumError, match="differ in length"):
        s.replace(intensity=s.intensity[:-1])
    with pytest.raises(SpectrumError, match="NaN or infinite"):
        s.with_intensity(np.full(len(s), np.nan), "broken")
    assert s.y_unit == "arbitrary" and s.metadata["name"] == "polystyrene"  # unchanged


def test_with_y_unit_states_the_unit_and_records_what_it_was_read_as():
    named = make_spectrum(modality="ir", y_unit="transmittance", start=400.0, stop=4000.0)
    assert not named.y_unit_guessed
    with pytest.raises(SpectrumError, match="the file names its intensity unit, transmittance"):
        named.with_y_unit("absorbance")
    assert named.with_y_unit("transmittance").y_unit == "transmittance"
    s = named.with_metadata(y_unit_basis="guessed from the numbers: dips")
    assert s.y_unit_guessed
    t = s.with_y_unit("absorbance", "stated by the analyst")
    assert (s.y_unit, t.y_unit) == ("transmittance", "absorbance")
    assert np.array_equal(s.intensity, t.intensity) and s.history == ()
    assert t.history == (
        ProcessingStep("set_y_unit", {"y_unit": "absorbance", "was": "transmittance"}),
    )
    assert t.metadata["y_unit_basis"] == "stated by the analyst" and not t.y_unit_guessed
    with pytest.raises(SpectrumError, match="infrared unit; this spectrum is Raman"):
        make_spectrum().with_y_unit("absorbance")
    with pytest.raises(SpectrumError, match="y_unit must be one of"):
        s.with_y_unit("absorbance units")


def test_metadata_is_read_only_and_with_metadata_copies():
    s = make_spectrum(name="polystyrene")
    with pytest.raises(TypeError):
        s.metadata["name"] = "x"  # type: ignore[index]
    t = s.with_metadata(operator="A. Chemist")
    assert t.metadata["operator"] == "A. Chemist" and "operator" not in s.metadata
    assert t.name == "polystyrene"


def test_dict_round_trip_and_content_hash():
    s = make_spectrum(name="x").with_intensity(make_spectrum().intensity, "noop")
    t = Spectrum.from_dict(s.to_dict())
    assert np.array_equal(t.wavenumber, s.wavenumber) and t.history == s.history
    assert t.content_hash() == s.content_hash()
    assert s.with_metadata(name="other").content_hash() == s.content_hash()
    assert s.with_intensity(s.intensity + 1, "shift").content_hash() != s.content_hash()


def test_wavelength_axis_becomes_raman_shift():
    laser = 785.0
    shifts = np.array([400.0, 1001.4, 1602.3])
    wavelength = raman_shift_to_wavelength(shifts, laser)
    assert np.allclose(wavelength_to_raman_shift(wavelength, laser), shifts)
    wl = raman_shift_to_wavelength(np.linspace(200, 2000, 40), 532.0)
    s = Spectrum.from_wavelength(wl, np.ones(40), laser_wavelength_nm=532.0)
    assert s.modality == "raman" and s.metadata["laser_wavelength_nm"] == 532.0
    assert s.wavenumber[0] == pytest.approx(200.0) and s.wavenumber[-1] == pytest.approx(2000.0)
    assert s.history[0].name == "wavelength_to_raman_shift"


def test_ir_wavelength_units():
    assert micrometre_to_wavenumber(2.5) == pytest.approx(4000.0)
    assert nanometre_to_wavenumber(10000.0) == pytest.approx(1000.0)
    with pytest.raises(SpectrumError, match="positive"):
        micrometre_to_wavenumber([0.0, 1.0])
    with pytest.raises(SpectrumError, match="laser wavelength"):
        wavelength_to_raman_shift([800.0], -1)


def test_transmittance_absorbance_round_trip():
    t = Spectrum(X, np.linspace(5, 100, 64), modality="ir", y_unit="percent_transmittance")
    a = transmittance_to_absorbance(t)
    assert a.y_unit == "absorbance" and a.intensity[-1] == pytest.approx(0.0)
    assert a.intensity[0] == pytest.approx(-np.log10(0.05))
    back = absorbance_to_transmittance(a, percent=True)
    assert np.allclose(back.intensity, t.intensity)
    with pytest.raises(SpectrumError, match="needs a transmittance spectrum"):
        transmittance_to_absorbance(a)


def test_opaque_transmittance_is_clipped_not_infinite():
    t = Spectrum(X, np.r_[0.0, -0.01, np.full(62, 0.5)], modality="ir", y_unit="transmittance")
    a = transmittance_to_absorbance(t)
    assert np.isfinite(a.intensity).all() and a.history[-1].params["clipped_points"] == 2
    # not only at or below zero: anything under the floor (1e-6) is raised to it
    tiny = Spectrum(X, np.r_[1e-7, 1e-6, np.full(62, 0.5)], modality="ir", y_unit="transmittance")
    a = transmittance_to_absorbance(tiny)
    assert a.history[-1].params["clipped_points"] == 1
    assert a.intensity[0] == a.intensity[1] == pytest.approx(6.0)


@given(
    st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=16, max_size=80, unique=True),
    st.booleans(),
)
def test_any_finite_unique_axis_sorts_or_is_refused_cleanly(values, reverse):
    x = np.array(sorted(values, reverse=reverse))
    s = Spectrum(x, np.zeros(x.size), modality="raman")
    assert np.all(np.diff(s.wavenumber) > 0)


@pytest.mark.parametrize(
    ("provenance", "measured"),
    [
        ("measured", True),
        (None, True),  # unstated: a library entry is "measured" unless stated, a file says none
        ("", True),
        ("modelled", False),
        ("simulated", False),
        ("synthetic", False),  # a provenance the toolkit does not know is no measurement
        ("Measured", False),
    ],
)
def test_only_a_measured_or_unstated_provenance_is_measured(provenance, measured):
    assert is_measured(provenance) is measured


def test_the_provenance_vocabulary_is_measured_and_what_is_not():
    assert PROVENANCES[0] == "measured" and PROVENANCES[1:] == NOT_MEASURED
    assert [is_measured(p) for p in PROVENANCES] == [True] + [False] * len(NOT_MEASURED)
    assert made_by("modelled") == "a band table"
    assert made_by("simulated") == "an instrument simulator"
    assert made_by("synthetic") == "a source the toolkit does not know"


@pytest.mark.parametrize(("low", "high", "scale"), TRANSMITTANCE_SCALE_CASES)
def test_transmittance_scale_tells_a_fraction_from_percent_or_says_it_cannot(low, high, scale):
    assert transmittance_scale(transmittance_values(low, high)) == scale


def test_transmittance_scale_limits_are_inclusive_and_nan_is_ignored():
    assert transmittance_scale([-0.05, 1.2]) == "transmittance"
    assert transmittance_scale([-5.0, 120.0]) == "percent_transmittance"
    assert transmittance_scale([0.5, 2.0]) is None  # percent must rise above 2
    assert transmittance_scale([0.1, np.nan, 0.9]) == "transmittance"
    assert transmittance_scale([np.nan, np.nan]) is None
