"""Shared builders for the custody, report and workflow tests (synthetic, never 'measured')."""

from __future__ import annotations

from typing import Any

import numpy as np
from synthetic import make_spectrum

from forensic.custody import Store
from forensic.identification import MODELLED_WARNING

OPERATOR = "Ann Example"


def identification_dict(
    verdict: str = "identified", *, name: str = "Cocaine hydrochloride", modelled: bool = False
) -> dict[str, Any]:
    """A hand-made result in the agreed ``Identification.to_dict()`` schema."""
    grid = np.arange(400.0, 1800.0, 4.0)
    reference = make_spectrum(
        [(1001.0, 1.0, 8.0), (1600.0, 0.6, 10.0)], start=400, stop=1796, step=4.0
    )
    query = reference.intensity + 0.02 * np.sin(grid / 50.0)
    provenance = "modelled" if modelled else "measured"
    warnings = [MODELLED_WARNING] if modelled else []
    return {
        "verdict": verdict,
        "modality": "raman",
        "hits": [
            {
                "rank": 1,
                "name": name,
                "entry_id": "cocaine-hcl",
                "score": 0.982,
                "q_value": 0.001,
                "shift_cm1": 1.5,
                "stretch": 0.0,
                "matched_peaks": [[1001.5, 1000.0], [1601.0, 1600.0]],
                "unmatched_peaks": [870.0],
                "provenance": provenance,
                "cas": "53-21-4",
                "class": "tropane alkaloid",
            },
            {
                "rank": 2,
                "name": "Lidocaine",
                "entry_id": "lidocaine",
                "score": 0.61,
                "q_value": 0.2,
                "shift_cm1": -3.0,
                "stretch": 0.001,
                "matched_peaks": [[1001.5, 1005.0]],
                "unmatched_peaks": [1601.0],
                "provenance": "measured",
                "cas": "137-58-6",
                "class": "local anaesthetic",
            },
        ],
        "mixture": None,
        "warnings": warnings,
        "pipeline": [
            {"name": "baseline_als", "params": {"lam": 100000.0, "p": 0.01}},
            {"name": "normalise", "params": {"norm": "l2"}},
        ],
        "library_version": "lib-0123456789ab",
        "timings_ms": {"total": 12.5},
        "query": {"wavenumber": grid.tolist(), "intensity": query.tolist()},
        "best_reference": {"wavenumber": grid.tolist(), "intensity": reference.intensity.tolist()},
    }


def populated_store(
    path,
    *,
    operator: str = OPERATOR,
    case: str = "CASE-1",
    item: str = "EX-1",
    modelled: bool = False,
    identification: dict[str, Any] | None = None,
) -> Store:
    """A store with one case, exhibit, custody event, measurement and result (by default
    :func:`identification_dict`)."""
    store = Store(path)
    store.open_case(case, operator=operator, title="Roadside stop", exist_ok=True)
    store.add_exhibit(
        case,
        item,
        operator=operator,
        description="white powder, zip bag",
        seal_number="SEAL-001",
        collected_by="PC Smith",
        collected_at="2026-01-30T22:10:00Z",
        collected_where="A1 lay-by",
        gps=(52.3702, 4.8952),
        condition="sealed, intact",
        exist_ok=True,
    )
    store.add_custody_event(
        case,
        item,
        operator=operator,
        released_by="PC Smith",
        received_by=operator,
        purpose="screening analysis",
        seal_intact=True,
        seal_number="SEAL-001",
    )
    spectrum = make_spectrum(seed=1, noise=0.01).with_metadata(
        instrument_model="Simulated RS232", operator=operator, provenance="simulated"
    )
    measurement = store.add_measurement(
        case, item, spectrum, operator=operator, instrument_url="sim:ocean-rs232?sample=cocaine"
    )
    if identification is None:
        identification = identification_dict(modelled=modelled)
    store.add_result(measurement, identification, operator=operator)
    return store


def break_seal(
    store: Store,
    *,
    case: str = "CASE-1",
    item: str = "EX-1",
    received_by: str = "Lab clerk",
    purpose: str = "storage",
    seal_number: str = "SEAL-001",
    notes: str | None = None,
) -> dict[str, Any]:
    """Hand an exhibit of :func:`populated_store` over from :data:`OPERATOR` with its seal
    (by default the one it was labelled with) received broken; the custody event recorded."""
    return store.add_custody_event(
        case,
        item,
        operator=OPERATOR,
        released_by=OPERATOR,
        received_by=received_by,
        purpose=purpose,
        seal_intact=False,
        seal_number=seal_number,
        notes=notes,
    )
