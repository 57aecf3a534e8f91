"""Shared fixtures: the real spectra in ../shared/data, and one builder of synthetic spectra."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from synthetic import make_spectrum

_SHARED_DATA = Path(
    os.environ.get(
        "FORENSIC_SHARED_DATA", Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
    )
).resolve()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real measured spectra; tests that need it skip where it is absent."""
    if not _SHARED_DATA.is_dir():
        pytest.skip(f"real spectra not available: {_SHARED_DATA} is absent (a user's own clone)")
    return _SHARED_DATA


@pytest.fixture
def spectrum_factory():
    """The synthetic spectrum builder, as a fixture."""
    return make_spectrum
