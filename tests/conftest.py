"""Shared fixtures: each test's own environment, the real spectra in ../shared/data, one
builder of synthetic spectra, and files written from bytes for the readers' tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from synthetic import make_spectrum

from forensic.io import available_formats

_SHARED_DATA = Path(
    os.environ.get(
        "FORENSIC_SHARED_DATA", Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
    )
).resolve()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--hardware",
        action="store_true",
        help="also run the tests marked hardware, which need a real instrument attached",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``hardware`` run only when asked for (``--hardware``), never by default."""
    if config.getoption("--hardware"):
        return
    skip = pytest.mark.skip(reason="needs a real instrument: run with --hardware")
    for item in items:
        if "hardware" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def _compiled_cache(tmp_path_factory) -> Path:
    """The session's ``FORENSIC_CACHE_DIR``: the shipped library is compiled into it once per
    session (a few seconds), never into the user's cache."""
    return tmp_path_factory.getbasetemp() / "cache"


@pytest.fixture(autouse=True)
def _own_environment(tmp_path, _compiled_cache, monkeypatch):
    """Every test with its own keys folder and the session's compiled-library cache, and none
    of the user's ``FORENSIC_*`` settings (a store, library, operator, unit or location).

    Keys are created in ``<tmp_path>/config``: a test that moves ``FORENSIC_CONFIG_DIR`` (keys
    on another computer) moves it back there. ``FORENSIC_SHARED_DATA`` says where the real
    spectra are and is kept. The screen is 140 columns wide whatever terminal runs the tests
    (pytest-xdist's workers say 80): tables are laid out the same in every run.
    """
    for name in [n for n in os.environ if n.startswith("FORENSIC_")]:
        if name != "FORENSIC_SHARED_DATA":
            monkeypatch.delenv(name)
    monkeypatch.setenv("FORENSIC_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("FORENSIC_CACHE_DIR", str(_compiled_cache))
    monkeypatch.setenv("COLUMNS", "140")
    monkeypatch.delenv("LINES", raising=False)


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


@pytest.fixture
def write(tmp_path, request):
    """Write bytes to a file in the test's own folder and give its path.

    ``write(data)`` names the file ``sample`` with the first extension of the format the test
    module reads, by its name (``test_io_spc.py``: ``sample.spc``; ``test_io_opus.py``:
    ``sample.0``), or no extension in another module; ``write(data, name)`` names it. Writing
    the same name again replaces the file (a hypothesis test writes one per example).
    """
    module = request.module.__name__.rpartition(".")[2]
    extensions = {f"test_io_{fmt.name}": fmt.extensions[0] for fmt in available_formats()}
    default = "sample" + extensions.get(module, "")

    def _write(data: bytes, name: str = default) -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return _write
