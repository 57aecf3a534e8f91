"""Modelled reference spectra built from band tables (forensic.modelled)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forensic.errors import LibraryError
from forensic.modelled import (
    AXES,
    Band,
    BandTable,
    band_profile,
    entry_from_dict,
    model_spectrum,
    modelled_axis,
)

RAMAN_TABLE = BandTable(
    modality="raman",
    bands=(Band(1001.4, 1.0, 4.0), Band(620.9, 0.12, 6.0), Band(3054.3, 0.55, 14.0)),
    source="ASTM E1840 polystyrene",
    confidence="high",
)
IR_TABLE = BandTable(
    modality="ir",
    bands=(Band(1728.0, 0.9, 12.0), Band(1712.0, 0.85, 12.0), Band(2540.0, 0.2, 160, "gaussian")),
    source="test table",
)


def _model(table=RAMAN_TABLE, **kw):
    return model_spectrum(table, name="Polystyrene", entry_id="polystyrene-raman", **kw)


@pytest.mark.parametrize("shape", ["lorentzian", "gaussian", "voigt"])
def test_band_profile_has_unit_height_and_the_stated_fwhm(shape):
    x = np.arange(900.0, 1100.0, 0.25)
    y = band_profile(x, 1000.0, 10.0, shape)
    assert y.max() == pytest.approx(1.0)
    assert x[np.argmax(y)] == 1000.0
    assert np.interp(995.0, x, y) == pytest.approx(0.5, abs=1e-9)
    assert np.interp(1005.0, x, y) == pytest.approx(0.5, abs=1e-9)


def test_band_profile_refuses_an_unknown_shape():
    with pytest.raises(LibraryError, match="shape must be one of"):
        band_profile(np.arange(10.0), 5.0, 1.0, "triangle")


@pytest.mark.parametrize("modality", ["raman", "ir"])
def test_modelled_axis_is_the_stated_grid(modality):
    start, stop, step = AXES[modality]
    axis = modelled_axis(modality)
    assert axis[0] == start and axis[-1] == stop
    assert np.all(np.diff(axis) == step)


def test_raman_reference_units_metadata_and_scale():
    spectrum = _model(cas="9003-53-6", substance_class="calibration standard")
    assert spectrum.modality == "raman"
    assert spectrum.y_unit == "arbitrary"
    assert spectrum.wavenumber[0] == 150.0 and spectrum.wavenumber[-1] == 3400.0
    assert spectrum.intensity.max() == 1.0
    assert spectrum.intensity.min() >= 0.0
    assert spectrum.wavenumber[np.argmax(spectrum.intensity)] == pytest.approx(1001.0, abs=1)
    meta = spectrum.metadata
    assert meta["provenance"] == "modelled"
    assert meta["name"] == "Polystyrene"
    assert meta["cas"] == "9003-53-6"
    assert meta["entry_id"] == "polystyrene-raman"
    assert meta["class"] == "calibration standard"
    assert meta["band_source"] == "ASTM E1840 polystyrene"
    assert meta["band_confidence"] == "high"


def test_ir_reference_is_absorbance_on_the_ir_axis():
    spectrum = model_spectrum(IR_TABLE, name="x", entry_id="x-ir")
    assert spectrum.y_unit == "absorbance"
    assert spectrum.wavenumber[0] == 550.0 and spectrum.wavenumber[-1] == 4000.0
    peak = spectrum.wavenumber[np.argmax(spectrum.intensity)]
    assert 1712 <= peak <= 1728


def test_extra_metadata_cannot_pretend_a_modelled_spectrum_was_measured():
    spectrum = _model(extra_metadata={"provenance": "measured", "salt_form": "polymer"})
    assert spectrum.metadata["provenance"] == "modelled"
    assert spectrum.metadata["salt_form"] == "polymer"


def test_same_table_gives_identical_numbers_whatever_the_band_order():
    reordered = BandTable(
        modality="raman",
        bands=tuple(reversed(RAMAN_TABLE.bands)),
        source=RAMAN_TABLE.source,
        confidence="high",
    )
    first, second = _model(), _model(reordered)
    assert first.content_hash() == second.content_hash()
    assert first.intensity.tobytes() == _model().intensity.tobytes()


def test_intensities_are_rounded_so_files_do_not_depend_on_platform_bits():
    values = _model().intensity
    assert np.array_equal(values, np.round(values, 6))


@pytest.mark.parametrize(
    ("band", "message"),
    [
        ((1000.0, 1.0, -2.0), "width must be a positive number"),
        ((1000.0, 0.0, 5.0), "intensity must be a positive number"),
        ((float("nan"), 1.0, 5.0), "position must be a positive number"),
    ],
)
def test_band_refuses_nonsense(band, message):
    with pytest.raises(LibraryError, match=message):
        Band(*band)


def test_table_refuses_a_band_outside_the_axis_and_a_missing_source():
    with pytest.raises(LibraryError, match=r"outside the modelled axis 150-3400"):
        BandTable(modality="raman", bands=(Band(3500.0, 1.0, 5.0),), source="x")
    with pytest.raises(LibraryError, match="must name its source"):
        BandTable(modality="raman", bands=(Band(1000.0, 1.0, 5.0),), source="  ")
    with pytest.raises(LibraryError, match="confidence must be one of"):
        BandTable(modality="ir", bands=(Band(1000.0, 1.0, 5.0),), source="x", confidence="sure")


def _entry_dict(**changes):
    data = {
        "id": "caffeine",
        "name": "Caffeine",
        "cas": "58-08-2",
        "class": "cutting agent",
        "synonyms": ["guaranine"],
        "raman": {"source": "lit", "confidence": "medium", "bands": [[555, 1.0, 7]]},
        "ir": {
            "source": "lit",
            "bands": [[1700, 0.85, 12], {"position": 1655, "intensity": 1, "width": 14}],
        },
    }
    data.update(changes)
    return data


def test_entry_from_dict_reads_both_tables_and_both_row_forms():
    entry = entry_from_dict(_entry_dict())
    assert entry.entry_id == "caffeine"
    assert entry.synonyms == ("guaranine",)
    assert set(entry.tables) == {"raman", "ir"}
    assert entry.tables["ir"].bands[1] == Band(1655.0, 1.0, 14.0)
    assert entry.tables["ir"].confidence == "medium"  # the default


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, r"caffeine\.toml: the field 'name' is missing or empty"),
        ({"raman": None, "ir": None}, r"no \[raman\] or \[ir\] band table"),
        ({"ir": {"source": "x", "bands": [[1700, 1.0]]}}, r"\[ir\]: band 1 must be"),
        ({"ir": {"source": "x", "bands": [[1700, "strong", 5]]}}, r"\[ir\]: band 1 must hold"),
        ({"raman": {"source": "x", "bands": [[3900, 1, 5]]}}, r"\[raman\]: raman band\(s\)"),
        ({"ir": {"source": "x", "bands": [[1700, 1, 5, "square"]]}}, r"\[ir\]: band 1: .*shape"),
        ({"ir": [1, 2]}, r"\[ir\] must be a table with a 'bands' list"),
    ],
)
def test_entry_from_dict_names_the_file_and_the_fault(changes, message):
    with pytest.raises(LibraryError, match=message):
        entry_from_dict(_entry_dict(**changes), where="bands/caffeine.toml")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(200.0, 3300.0),
            st.floats(0.01, 10.0),
            st.floats(1.0, 200.0),
            st.sampled_from(["lorentzian", "gaussian", "voigt", None]),
        ),
        min_size=1,
        max_size=25,
    ),
    st.sampled_from(["raman", "ir"]),
)
def test_any_valid_table_gives_a_finite_unit_max_nonnegative_spectrum(rows, modality):
    start, stop, _ = AXES[modality]
    bands = tuple(Band(p, h, w, s) for p, h, w, s in rows if start <= p <= stop)
    if not bands:
        return
    table = BandTable(modality=modality, bands=bands, source="hypothesis")
    spectrum = model_spectrum(table, name="x", entry_id="x")
    assert np.isfinite(spectrum.intensity).all()
    assert spectrum.intensity.max() == 1.0
    assert spectrum.intensity.min() >= 0.0
    again = model_spectrum(table, name="x", entry_id="x")
    assert spectrum.content_hash() == again.content_hash()


def test_a_modelled_sources_confidence_is_read_back_from_what_the_manifest_states():
    from forensic.modelled import modelled_source, source_confidence  # noqa: PLC0415

    source = modelled_source("polystyrene", RAMAN_TABLE)
    assert (
        source == "modelled from bands/polystyrene.toml (confidence high): ASTM E1840 polystyrene"
    )
    assert source_confidence(source) == "high"
    assert source_confidence("Renishaw inVia, 785 nm (confidence low): measured") is None
    assert source_confidence(None) is None
