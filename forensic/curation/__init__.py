"""Curating a reference library: import, remove, rename, validate, diff, list, export and
publish.

A *library folder* is what ``spectral_library/`` is: one spectrum file per reference (JCAMP-DX,
``<modality>/<id>.jdx``) and a ``manifest.csv`` with :data:`MANIFEST_COLUMNS` that a chemist
reviews in a diff. A *compiled library* is the engine's ``.flib`` file
(:class:`forensic.library.Library`). The functions here work on either where they can, and say
so where a question needs the raw spectra that only a folder holds.

This is an I/O edge package (it reads and writes files and calls the identification engine);
the command line (``forensic library ...``) only formats what these functions return, so a
notebook or a test can call them directly. One module per task:

=================  ==============================================================================
``manifest``       the ``manifest.csv`` columns, reading and writing it, the CAS check digit
``source``         opening a folder or a ``.flib`` (:func:`open_library`), listing its entries,
                   copying the shipped library to edit it
``importing``      measured spectra in as references (:func:`import_spectra`)
``editing``        removing and renaming references (:func:`remove_references`,
                   :func:`rename_references`)
``validation``     the quality gates (:func:`validate_library`) and their thresholds
``digest``         the digest of a reference's values that shows an edit after import, and
                   whether two references are one measurement (:func:`same_measurement`)
``diff``           snapshots of a library and what changed between two (:func:`diff_libraries`)
``export``         finding, plotting and exporting references
``publish``        a new validated, compiled version with its changelog (:func:`publish_library`)
``approval``       the approver's signature of a published version, and checking it
                   (:func:`check_approval`)
=================  ==============================================================================
"""

from forensic.curation.approval import (
    TRUSTED_APPROVERS_FILE,
    Approval,
    approver_name,
    check_approval,
    trusted_approvers,
)
from forensic.curation.diff import LibraryDiff, diff_libraries, diff_snapshots, snapshot
from forensic.curation.digest import DATA_DIGEST_KEY, data_digest, same_measurement
from forensic.curation.editing import (
    RemoveResult,
    RenameResult,
    remove_references,
    rename_references,
)
from forensic.curation.export import (
    export_library,
    find_entries,
    plot_reference,
    reference_peaks,
)
from forensic.curation.importing import ImportResult, import_spectra
from forensic.curation.manifest import (
    MANIFEST_COLUMNS,
    REQUIRED_FIELDS,
    cas_check_digit,
    cas_is_valid,
    cas_problem,
    format_manifest,
    read_manifest,
    write_manifest,
)
from forensic.curation.publish import PublishRefused, PublishResult, publish_library
from forensic.curation.source import (
    RELEASE_STATES,
    FolderStanding,
    LibrarySource,
    compiled_standing,
    copy_library,
    folder_standing,
    library_info,
    list_entries,
    not_published,
    open_library,
    published_record,
    release_standing,
    release_state,
)
from forensic.curation.validation import (
    MIN_SNR,
    NEAR_DUPLICATE_COSINE,
    SELF_ID_NOISE,
    AxisRule,
    Finding,
    GateResult,
    ValidationReport,
    validate_library,
)
from forensic.quality import band_height, signal_to_noise
from forensic.spectrum import PROVENANCES

__all__ = [
    "DATA_DIGEST_KEY",
    "MANIFEST_COLUMNS",
    "MIN_SNR",
    "NEAR_DUPLICATE_COSINE",
    "PROVENANCES",
    "RELEASE_STATES",
    "REQUIRED_FIELDS",
    "SELF_ID_NOISE",
    "TRUSTED_APPROVERS_FILE",
    "Approval",
    "AxisRule",
    "Finding",
    "FolderStanding",
    "GateResult",
    "ImportResult",
    "LibraryDiff",
    "LibrarySource",
    "PublishRefused",
    "PublishResult",
    "RemoveResult",
    "RenameResult",
    "ValidationReport",
    "approver_name",
    "band_height",
    "cas_check_digit",
    "cas_is_valid",
    "cas_problem",
    "check_approval",
    "compiled_standing",
    "copy_library",
    "data_digest",
    "diff_libraries",
    "diff_snapshots",
    "export_library",
    "find_entries",
    "folder_standing",
    "format_manifest",
    "import_spectra",
    "library_info",
    "list_entries",
    "not_published",
    "open_library",
    "plot_reference",
    "publish_library",
    "published_record",
    "read_manifest",
    "reference_peaks",
    "release_standing",
    "release_state",
    "remove_references",
    "rename_references",
    "same_measurement",
    "signal_to_noise",
    "snapshot",
    "trusted_approvers",
    "validate_library",
    "write_manifest",
]
