"""The axis and spike gates judged as a chemist would (a lab chemist's audit, friction 1):
an inorganic reference covers its own region; a real band as wide as its neighbours is no
cosmic ray, while a real cosmic ray still fails.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from synthetic import make_spectrum

from forensic import curation
from forensic.curation.validation import (
    AXIS_RULES,
    INORGANIC_AXIS_RULES,
    _spike_findings,
    _spike_params,
    axis_rule,
)
from forensic.io import read_spectrum, write_spectrum

HDPE = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "formats" / "text" / "raman_hdpe.csv"
)
CALCITE = [(281, 0.4, 6), (712, 0.3, 5), (1086, 1.0, 5)]


def _axis(tmp_path, start, stop, salt_form, modality="raman"):
    folder = tmp_path / "lib"
    spectrum = make_spectrum(
        CALCITE, start=start, stop=stop, noise=0.002, seed=1, modality=modality
    )
    write_spectrum(
        spectrum.with_metadata(name="Calcium carbonate", provenance="measured"),
        folder / modality / "calcite.jdx",
    )
    curation.write_manifest(
        folder / "manifest.csv",
        [
            {
                "id": "calcite",
                "file": f"{modality}/calcite.jdx",
                "name": "Calcium carbonate",
                "cas": "471-34-1",
                "class": "cutting agent",
                "salt_form": salt_form,
                "modality": modality,
                "provenance": "measured",
                "source": "test",
                "licence": "MIT",
                "added_by": "test",
                "added_at": "2026-11-24",
            }
        ],
    )
    report = curation.validate_library(folder, self_identification=False)
    return report.gate("axis")


def test_the_inorganic_rule_is_chosen_by_the_salt_form_the_chemist_states():
    assert axis_rule("raman", "inorganic salt (calcite)") is INORGANIC_AXIS_RULES["raman"]
    assert axis_rule("ir", "Element (crystalline)") is INORGANIC_AXIS_RULES["ir"]
    assert axis_rule("raman", "mineral") is INORGANIC_AXIS_RULES["raman"]
    assert axis_rule("raman", "hydrochloride") is AXIS_RULES["raman"]
    assert axis_rule("raman", "") is AXIS_RULES["raman"]


def test_an_inorganic_reference_measured_over_its_own_region_passes(tmp_path):
    # RRUFF's quartz, 113-1290 cm-1, failed the organic fingerprint region 400-1800
    assert _axis(tmp_path, 113, 1290, "inorganic salt (calcite)").status == "pass"


@pytest.mark.parametrize(("start", "stop"), [(113, 1000), (400, 1800)])
def test_an_inorganic_reference_missing_its_stretch_or_its_lattice_modes_fails(
    tmp_path, start, stop
):
    gate = _axis(tmp_path, start, stop, "inorganic salt (calcite)")
    assert gate.status == "fail"
    assert "raman inorganic fingerprint region 250-1200 cm-1" in gate.findings[0].message


def test_an_organic_reference_over_the_inorganic_region_still_fails_and_is_told_the_rule(
    tmp_path,
):
    gate = _axis(tmp_path, 113, 1290, "neutral compound")
    assert gate.status == "fail"
    message = gate.findings[0].message
    assert "raman fingerprint region 400-1800 cm-1" in message
    assert "stated in its salt_form column as 'inorganic salt'" in message


def test_the_hdpe_1130_band_is_a_band_not_a_spike():
    # sampled every 3 cm-1, the C-C stretch at 1130 cm-1 is two points wide, as the bands at
    # 1063 and 1296 cm-1 are: it was failed as a cosmic ray
    spectrum = read_spectrum(HDPE)
    large, _, bands = _spike_findings(spectrum, _spike_params(None))
    assert large.size == 0 and np.round(bands).tolist() == [1130]


@pytest.mark.parametrize("at", [900.0, 1130.0, 1700.0])
def test_a_cosmic_ray_in_the_hdpe_spectrum_still_fails(at):
    spectrum = read_spectrum(HDPE)
    y = np.array(spectrum.intensity, dtype=float)
    i = int(np.argmin(np.abs(spectrum.wavenumber - at)))
    y[i] += 0.5 * np.ptp(y)  # one pixel struck
    large, *_ = _spike_findings(spectrum.replace(intensity=y), _spike_params(None))
    assert np.any(np.abs(large - spectrum.wavenumber[i]) < 1)


def test_a_two_pixel_cosmic_ray_among_wide_bands_fails():
    spectrum = make_spectrum(
        [(600, 1.0, 8), (1000, 0.8, 8), (1450, 0.6, 10)], step=1.0, noise=0.002, seed=4
    )
    y = np.array(spectrum.intensity, dtype=float)
    i = int(np.argmin(np.abs(spectrum.wavenumber - 1200)))
    y[i] += 0.6
    y[i + 1] += 0.4
    large, *_ = _spike_findings(spectrum.replace(intensity=y), _spike_params(None))
    assert large.size and np.all(np.abs(large - 1200.5) < 2)
