"""The reference spectra shipped with the toolkit (data: JCAMP-DX files and a manifest)."""

from pathlib import Path

LIBRARY_DIR = Path(__file__).resolve().parent
"""The folder holding the shipped reference files and ``manifest.csv``."""

LIBRARY_NAME = "forensic shipped library"
"""What the shipped library is called on a report (:attr:`forensic.library.Library.name`):
the references a report names say whether each was measured or modelled."""
