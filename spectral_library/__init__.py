"""The reference spectra shipped with the toolkit (data: JCAMP-DX files and a manifest)."""

from pathlib import Path

LIBRARY_DIR = Path(__file__).resolve().parent
"""The folder holding the shipped reference files and ``manifest.csv``."""

LIBRARY_NAME = "forensic shipped library"
"""What the shipped library is called on a report (:attr:`forensic.library.Library.name`):
the references a report names say whether each was measured or modelled."""

LIBRARY_PUBLISHED = "2026-11-22"
"""The date the shipped references were published as this version (the newest entry of
``CHANGELOG.md``): what a report prints as the shipped library's date
(:attr:`forensic.library.Library.built_at`), the same on every computer, where the time this
computer compiled it into its cache would differ from one to the next."""
