"""The reference spectra shipped with the toolkit (data: JCAMP-DX files and a manifest)."""

from pathlib import Path

LIBRARY_DIR = Path(__file__).resolve().parent
"""The folder holding the shipped reference files and ``manifest.csv``."""
