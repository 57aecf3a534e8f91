"""The identification core imports no edge: no files, instruments, store, reports or CLI.

ARCHITECTURE.md: the core (processing, library, search, alignment, verdict, mixtures) is pure
NumPy/SciPy on spectra and matrices, so it can be tested, benchmarked and used from a notebook
alone. Each module is imported in a fresh interpreter, where nothing else has loaded the edges.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

CORE = [
    "forensic.processing",
    "forensic.library",
    "forensic.search",
    "forensic.alignment",
    "forensic.verdict",
    "forensic.mixtures",
]

EDGES = [
    "forensic.io",  # spectrum files
    "forensic.library_folders",  # library folders and the compiled-folder cache
    "forensic.manifest",  # a library folder's manifest.csv
    "forensic.commands",  # command lines shown to the user
    "forensic.curation",
    "forensic.custody",  # the evidence store
    "forensic.report",
    "forensic.cli",
    "drivers",  # instruments
]


def _loaded_edges(module: str) -> list[str]:
    code = (
        f"import sys, {module}\n"
        f"edges = {EDGES!r}\n"
        "print(' '.join(sorted(n for n in sys.modules if n.split('.')[0] == 'drivers' "
        "or any(n == e or n.startswith(e + '.') for e in edges))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.split()


@pytest.mark.parametrize("module", CORE)
def test_importing_a_core_module_loads_no_edge(module):
    assert _loaded_edges(module) == []


def test_the_check_sees_an_edge_that_is_loaded():
    # the same check on a module that does load edges: it is not blind
    assert "forensic.io" in _loaded_edges("forensic.library_folders")
    assert "forensic.manifest" in _loaded_edges("forensic.library_folders")
