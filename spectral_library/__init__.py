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

LIBRARY_FILES_SHA256 = "c0c37d86e03d23d46ebfeb0f84f6fe1068814ec7730a2679b73c228696a5bd11"
"""SHA-256 of the shipped references as released: ``manifest.csv`` and every file it lists,
by path and content (:func:`forensic.library_folders.files_digest`). The shipped library is
approved by the toolkit's release, not by a key on the user's computer: while its files give
this digest, results say it was ``published <LIBRARY_PUBLISHED> with forensic <version>``;
once they are edited, it is not a published version. Publishing new shipped references means
setting this (``python -c "from forensic.library_folders import files_digest; from
spectral_library import LIBRARY_DIR; print(files_digest(LIBRARY_DIR))"``), with
:data:`LIBRARY_PUBLISHED` and a ``CHANGELOG.md`` entry (``tests/test_spectral_library.py``
checks the date against the changelog, ``tests/test_library_approval.py`` this digest against
the files)."""
