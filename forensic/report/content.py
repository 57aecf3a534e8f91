"""The content of a report, built only from the records of the evidence store.

The content is one JSON-serialisable dict. Its SHA-256 (``content_sha256``) is the SHA-256 of
the canonical JSON (:func:`forensic.custody.chain.canonical_json`) of the dict without the keys
``content_sha256`` and ``signature``; the issuing operator signs that hash with their Ed25519
key. Who signs is stated inside what is hashed (``signer``: the operator's name and key
fingerprint), so the signature covers it; the ``signature`` block (algorithm, public key,
value, and the same name and fingerprint for the reader) is outside. Reports issued before
``signer`` was added carry the name only in the ``signature`` block, where the signature does
not cover it (:func:`signer_name_unsigned`). The PDF, the plain text and the JSON file are
three renderings of the same content; each prints the content hash, so anyone can recompute
it from the JSON file (:func:`check_report_json`).
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from forensic import __version__
from forensic.custody import chain
from forensic.custody.continuity import (
    custody_doubts,
    custody_gaps,
    first_received,
    in_time_order,
)
from forensic.custody.filing import Marking, filed_in_error, is_marking
from forensic.custody.keys import fingerprint, verify_signature
from forensic.custody.store import Store, chain_order, recorded_moment, utc_now, utc_when
from forensic.custody.unrecorded import signature_finding
from forensic.custody.verify import (
    Problem,
    UnverifiedChainError,
    VerifyReport,
    key_uses,
    several_keys_warning,
    verify_store,
)
from forensic.errors import CustodyError
from forensic.identification import (
    MODELLED_WARNING,
    low_confidence_statements,
    not_measured_warning,
    reference_warning,
    stated_warning,
)
from forensic.naming import lookalike_note
from forensic.report.layout import (
    LAYOUT_VERSION,
    analyses_disagree,
    said_in_utc,
    stated_change,
)
from forensic.spectrum import NOT_MEASURED, is_measured, made_by
from forensic.verdict import NOT_A_PURITY, verdict_line

__all__ = [
    "CORRECTED_RECORDS",
    "DEFAULT_LOCATION",
    "DEFAULT_UNIT",
    "MODELLED_WARNING",
    "SIGNATURE_ALGORITHM",
    "SIGNATURE_KEYS",
    "SWGDRUG_LIMITATION",
    "UnverifiedChainError",
    "build_report_content",
    "check_report_json",
    "correction_changes",
    "custody_limitations",
    "exhibit_custody_limitations",
    "natural_key",
    "parse_report_json",
    "render_json",
    "report_content_hash",
    "signer_name_unsigned",
    "stated_version",
    "verify_for_report",
]

DEFAULT_UNIT = "Mobile forensic laboratory"
DEFAULT_LOCATION = "Mobile lab (location not configured)"
TITLE = "Spectroscopic screening report: seized substance"

SWGDRUG_LIMITATION = (
    "This is a screening result from a single vibrational-spectroscopy technique. SWGDRUG "
    "recommendations ask for a second, uncorrelated technique (e.g. GC-MS) to confirm the "
    "identity of a controlled substance before it is reported as identified in court."
)
LIBRARY_LIMITATION = (
    "A substance absent from the reference library cannot be identified; a 'no match' verdict "
    "does not show that no controlled substance is present. Mixture fractions are relative "
    f"spectral contributions, {NOT_A_PURITY}."
)
RECORDS_SAID = {
    "cases": "case record",
    "exhibits": "label record",
    "custody_events": "custody record",
    "measurements": "measurement record",
    "results": "result record",
    "reports": "report record",
}
"""A record of a table as a report names it (the store's table names are not the reader's)."""


def unverified_limitation(problems: list[Problem]) -> str:
    """The first limitation of a report forced on records that do not verify (``--unverified``):
    which of them, by record, and what the reader is to make of what it shows of them.

    The report shows them as the store holds them now, a value changed after it was signed
    among them, with nothing in the custody table to tell it: the limitation says which they
    are (what differs is named under Integrity) and that what is shown of them may not be
    what was signed. It said "the chain of custody of this exhibit did not verify; report
    forced", naming no record (and "this exhibit" of a case's report).

    Parameters
    ----------
    problems : list of Problem
        What does not verify among the records the report states (not empty).

    Returns
    -------
    str
        One sentence beginning ``UNVERIFIED:``.
    """
    records = list(
        dict.fromkeys(
            f"{RECORDS_SAID.get(p.table, p.table)} #{p.seq}" for p in problems if p.seq is not None
        )
    )
    named = (
        f"{', '.join(records)} of what this report states do{'es' if len(records) == 1 else ''} "
        "not verify"
        if records
        else "the chain of the records this report states does not verify"
    )
    return (
        f"UNVERIFIED: {named} (what differs is named under Integrity): what this report shows of "
        f"{'it' if len(records) == 1 else 'them'} is what the evidence store holds now, which "
        "may not be what was signed. The report was issued all the same (--unverified)."
    )


SIGNATURE_ALGORITHM = "Ed25519 over the 32 bytes of content_sha256"
"""The ``algorithm`` of every report's signature block, as every version of forensic wrote it:
its pages print it (Algorithm), so a report that states another is not what was signed."""

SIGNATURE_KEYS = frozenset({"algorithm", "signed_by", "key_fingerprint", "public_key", "value"})
"""The keys of a report's signature block (outside what is signed), in every version."""

SIGNER_SIGNED_SINCE = (0, 3, 0)
"""The first version of forensic whose every report signs its signer (``signer``). Some
reports of 0.2.0 sign it and some do not (it came within that version), and none of layout 1
(content without ``layout``) must; every report of a later version or layout does."""


def report_content_hash(content: Mapping[str, Any]) -> str:
    """SHA-256 of a report's content (without ``content_sha256`` and ``signature``).

    What it covers includes ``signer``, the signer's name and key fingerprint, in reports that
    state it.

    Parameters
    ----------
    content : mapping
        A report's content, as :func:`build_report_content` makes it or as read from its
        JSON; its ``content_sha256`` and ``signature``, when it has them, are left out.

    Returns
    -------
    str
        64 lowercase hex digits: the SHA-256 of the rest as canonical JSON (keys sorted, no
        spaces, UTF-8, :func:`forensic.custody.chain.canonical_json`). The signature is over
        these 32 bytes.

    Raises
    ------
    CustodyError
        When the content holds NaN, infinity or something JSON cannot represent.
    """
    body = {k: v for k, v in content.items() if k not in ("content_sha256", "signature")}
    return chain.sha256_hex(chain.canonical_json(body))


def render_json(content: Mapping[str, Any]) -> str:
    """The report as indented JSON (its content hash is over the canonical form, not this).

    Parameters
    ----------
    content : mapping
        The signed content, with its ``content_sha256`` and ``signature``.

    Returns
    -------
    str
        JSON indented by 2, keys sorted, non-ASCII characters as they are (to be written as
        UTF-8), ending with a newline: the ``report.json`` attached to the PDF and the JSON
        report. :func:`parse_report_json` reads it back to the same content.
    """
    return json.dumps(content, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise ValueError(f"the key(s) {', '.join(repeated)} appear twice in one object")
    return dict(pairs)


def parse_report_json(data: str | bytes) -> Any:
    """A JSON report as data, refusing an object with a repeated key: one reader shows the
    first value and another the last, so the file would say two things.

    Parameters
    ----------
    data : str or bytes
        The JSON text (bytes in UTF-8, -16 or -32, as :func:`json.loads` reads them).

    Returns
    -------
    object
        What the JSON holds: a report's content is a dict, but nothing here checks that it
        is one, or a report (:func:`check_report_json` does).

    Raises
    ------
    ValueError
        When ``data`` is not JSON (:class:`json.JSONDecodeError`), bytes that do not decode
        (:class:`UnicodeDecodeError`), or an object in it names a key twice (naming it).
    """
    return json.loads(data, object_pairs_hook=_unique_keys)


def check_report_json(report: Mapping[str, Any]) -> list[str]:
    """Recompute a JSON report's content hash and signature; return what does not match.

    Besides the hash and the Ed25519 signature, the key fingerprint the report states must be
    the SHA-256 of the public key that signed it, and the signer its signed content names
    (``signer``) must be the one its signature block names: a report signed with one key
    must not name another's fingerprint or another person. The signature block, outside what
    is signed but printed on the pages, must hold only its keys (:data:`SIGNATURE_KEYS`) and
    state the one algorithm reports are signed with (:data:`SIGNATURE_ALGORITHM`). Content
    without ``signer`` verifies only when it states a version and layout that did not sign it
    (:func:`signer_name_unsigned` then says so): from a later one, the signer was taken out.

    Parameters
    ----------
    report : mapping
        The report as read from its JSON (or from the ``report.json`` attached to its PDF).

    Returns
    -------
    list of str
        What does not match; empty when the JSON is exactly what the issuing operator signed.
    """
    if not isinstance(report, Mapping) or not str(report.get("format", "")).startswith(
        "forensic-report/"
    ):
        return ["not a forensic report (no format forensic-report/...)"]
    problems = []
    recomputed = report_content_hash(report)
    if recomputed != report.get("content_sha256"):
        problems.append(
            f"content hash differs: the report says {report.get('content_sha256')}, its content "
            f"hashes to {recomputed}"
        )
    signature = report.get("signature")
    if not isinstance(signature, Mapping):
        return [*problems, "it has no signature block"]
    unknown = sorted(str(key) for key in signature if key not in SIGNATURE_KEYS)
    if unknown:
        problems.append(
            f"its signature block holds {', '.join(map(repr, unknown))}, which no report's "
            f"does (it holds {', '.join(sorted(SIGNATURE_KEYS))})"
        )
    if signature.get("algorithm") != SIGNATURE_ALGORITHM:
        problems.append(
            f"its signature block states the algorithm {signature.get('algorithm')!r} (printed "
            f"on its pages), but every report is signed {SIGNATURE_ALGORITHM!r}"
        )
    public_key = signature.get("public_key", "")
    if not verify_signature(public_key, signature.get("value", ""), bytes.fromhex(recomputed)):
        problems.append("the signature does not verify with the public key in the report")
    try:
        key_fingerprint = fingerprint(public_key)
    except (ValueError, TypeError):
        return [*problems, f"its public key {public_key!r} is not 64 hex digits"]
    stated = signature.get("key_fingerprint")
    if stated != key_fingerprint:
        problems.append(
            f"the key fingerprint it states, {stated}, is not that of the key that signed it: "
            f"its public key's SHA-256 is {key_fingerprint}"
        )
    if "signer" not in report and not _predates_signed_signers(report):
        version = _software_version(report)
        problems.append(
            "its signed content names no signer, but it states "
            + (
                f"it was issued by forensic {version}"
                if version
                else "no version of forensic that issued it"
            )
            + f" in layout {report.get('layout', 1)}, and only reports of layout 1 from "
            "before forensic 0.3.0 leave the signer's name unsigned: the signer was taken out "
            f"and the content signed again, so the name {signature.get('signed_by')!r} in its "
            "signature block is not what was signed"
        )
    if "signer" in report:  # who signed, inside what is signed (absent from earlier reports)
        signer = report["signer"]
        if not isinstance(signer, Mapping):
            problems.append(f"its signer {signer!r} is not a name and a key fingerprint")
        else:
            if signer.get("name") != signature.get("signed_by"):
                problems.append(
                    f"its signature block names {signature.get('signed_by')!r} as the signer "
                    f"where its signed content names {signer.get('name')!r}"
                )
            if signer.get("key_fingerprint") != key_fingerprint:
                problems.append(
                    f"its signed content gives the signer's key fingerprint as "
                    f"{signer.get('key_fingerprint')}, but the key that signed it has "
                    f"{key_fingerprint}"
                )
    return problems


def stated_version(report: Mapping[str, Any]) -> tuple[int, int, int] | None:
    """The version of forensic a report states it was issued by, as numbers to compare.

    Parameters
    ----------
    report : mapping
        The report's content (its ``software.version``, e.g. ``"0.3.0"`` or ``"0.2.0.dev4"``).

    Returns
    -------
    tuple of int or None
        ``(major, minor, patch)``; None when it states none that reads as one.
    """
    numbers = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", _software_version(report) or "")
    if numbers is None:
        return None
    major, minor, patch = (int(n or 0) for n in numbers.groups())
    return major, minor, patch


def _software_version(report: Mapping[str, Any]) -> str | None:
    """The ``software.version`` a report's content states, as text; None where it states
    none (or its ``software`` is not an object, as in a forged report)."""
    software = report.get("software")
    version = software.get("version") if isinstance(software, Mapping) else None
    return str(version) if version not in (None, "") else None


def _predates_signed_signers(report: Mapping[str, Any]) -> bool:
    """Whether a report states a version and layout that did not always sign the signer's
    name: layout 1 (no ``layout``), issued by a forensic before :data:`SIGNER_SIGNED_SINCE`."""
    version = stated_version(report)
    return "layout" not in report and version is not None and version < SIGNER_SIGNED_SINCE


def signer_name_unsigned(report: Mapping[str, Any]) -> str | None:
    """What to tell the reader of a report whose signer's name the signature does not cover.

    Reports issued before the signer was stated in the signed content (``signer``) name their
    signer only in the signature block, outside what is signed: anyone can change that name
    without the signature failing. Only the key fingerprint says who signed them.

    Parameters
    ----------
    report : mapping
        The report's content as read from its JSON (its ``signer``, and its signature
        block's ``signed_by`` and ``software.version`` to name in the sentence).

    Returns
    -------
    str or None
        The sentence to show, or None when the signature covers the signer's name.
    """
    if "signer" in report:
        return None
    signature = report.get("signature")
    signature = signature if isinstance(signature, Mapping) else {}
    version = _software_version(report)
    return (
        f"the signer's name in this report ({signature.get('signed_by')!r}) is not covered by "
        "its signature: it was issued by a version of forensic"
        + (f" ({version})" if version else "")
        + " that did not sign the signer's name, so anyone could have changed it; only the "
        "key fingerprint says who signed it"
    )


def natural_key(label: str) -> tuple[tuple[int, int, str], ...]:
    """The order of exhibit numbers a reader expects: digits by their value, letters without
    case (``A2`` before ``A10``, ``a3`` beside ``A3``).

    Parameters
    ----------
    label : str
        An exhibit (or case) number as recorded.

    Returns
    -------
    tuple
        A key for :func:`sorted`.
    """
    return tuple(
        (0, int(part), part) if part.isdigit() else (1, 0, part.casefold())
        for part in re.split(r"(\d+)", str(label))
        if part
    )


def _json(text: str | None, default: Any) -> Any:
    if not text:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return default


_UNKNOWN_MOMENT = datetime.max.replace(tzinfo=timezone.utc)


def _moment_key(iso: str) -> tuple[datetime, str]:
    """Order recorded times by the moment they name (offsets differ in old records)."""
    return recorded_moment(iso) or _UNKNOWN_MOMENT, iso


def _earliest(times: list[str]) -> str:
    return min(times, key=_moment_key)


CORRECTED_RECORDS = {"exhibits": "label", "custody_events": "custody event"}
"""The records of an exhibit a report lists the corrections of, and what it calls them."""
_NOT_COMPARED = {"case_hash", "exhibit_hash"}  # links to other records, not what was stated


def correction_changes(
    table: str, earlier: Mapping[str, Any], later: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """What a correcting record changed in the record it corrects, field by field.

    Parameters
    ----------
    table : str
        The chained table of both records (``exhibits``, ``custody_events``, ...).
    earlier, later : mapping
        The record corrected and the record that corrects it (store rows).

    Returns
    -------
    list of dict
        One ``{"field", "was", "now", "stated"}`` per field that differs: the values as
        recorded, and the change as a reader is shown it
        (:func:`forensic.report.layout.stated_change`: ``seal intact yes -> no``). A label
        that marks its exhibit filed in error, or withdraws that, is one change, ``field``
        ``filed_in_error``, stated in words (:meth:`~forensic.custody.filing.Marking.change`:
        ``marked FILED IN ERROR: case number mistyped; its records belong to ...``).
    """
    if table == "exhibits" and is_marking(earlier, later):  # its columns said as one
        return [
            {
                "field": "filed_in_error",
                "was": earlier.get("filed_in_error"),
                "now": later.get("filed_in_error"),
                "stated": Marking.of(later).change(),
            }
        ]
    # .get: a store read as it is (read-only, an older schema) lacks the columns a later
    # schema added (chain.LATER_COLUMNS), which its records state nothing in
    return [
        {
            "field": column,
            "was": earlier.get(column),
            "now": later.get(column),
            "stated": stated_change(column, earlier.get(column), later.get(column)),
        }
        for column in chain.CHAINED_TABLES[table]
        if column not in _NOT_COMPARED and earlier.get(column) != later.get(column)
    ]


def _corrections(store: Store, case_number: str, item: str) -> list[dict[str, Any]]:
    """Every correction of the exhibit's label and custody events, in the order they were
    recorded (:func:`~forensic.custody.store.chain_order`): what each one changed."""
    corrected = {}  # each correcting record, by its hash: its table and the record it corrects
    for table in CORRECTED_RECORDS:
        for earlier, later in store.corrections(
            table, "case_number = ? AND item_number = ?", (case_number, item)
        ):
            corrected[later["hash"]] = (table, earlier, later)
    found = []
    for later in chain_order(later for _, _, later in corrected.values()):
        table, earlier, _ = corrected[later["hash"]]
        found.append(
            {
                "what": CORRECTED_RECORDS[table],
                "record": later["seq"],
                "record_hash": later["hash"],
                "recorded_at": later["recorded_at"],
                "signed_by": later["signer"],
                "corrects_record": earlier["seq"],
                "corrects_hash": earlier["hash"],
                "changes": correction_changes(table, earlier, later),
            }
        )
    return found


def _key_warnings(store: Store, records: list[tuple[str, Mapping[str, Any]]]) -> list[str]:
    """For each name that signed one of the exhibit's records and signs with more than one
    key in the store: which key signed which of these records, and the others' keys."""
    signers = {row["signer"] for _, row in records}
    shown = {(row["chain_id"], row["seq"]) for _, row in records}
    everything = (
        [
            (table, row)
            for table in chain.CHAINED_TABLES
            for row in store.query(
                f"SELECT * FROM {table} WHERE signer IN ({', '.join('?' * len(signers))})",
                sorted(signers),
            )
        ]
        if signers
        else []
    )
    warnings = []
    for name, uses in key_uses(everything).items():
        if len(uses) < 2:
            continue
        # this exhibit's records under each key; a key that signed none of them is named by
        # the record that registers it
        mine = {
            fpr: [r for r in rows if (r[1]["chain_id"], r[1]["seq"]) in shown]
            or [r for r in rows if r[0] == "operator_keys"][:1]
            or rows[:1]
            for fpr, rows in uses.items()
        }
        warnings.append(several_keys_warning(name, mine, own_chain=store.chain_id))
    return warnings


def _label(exhibit: Mapping[str, Any]) -> dict[str, Any]:
    """The ``label`` of an exhibit's section of a report: its current label record."""
    return {
        "case_number": exhibit["case_number"],
        "item_number": exhibit["item_number"],
        "description": exhibit["description"],
        "seal_number": exhibit["seal_number"],
        "collected_by": exhibit["collected_by"],
        "collected_at": exhibit["collected_at"],
        "collected_where": exhibit["collected_where"],
        "gps": None if exhibit["gps_lat"] is None else [exhibit["gps_lat"], exhibit["gps_lon"]],
        "condition": exhibit["condition"],
        "record": exhibit["seq"],
        "record_hash": exhibit["hash"],
    }


def _custody_part(
    store: Store,
    exhibit: Mapping[str, Any],
    case: Mapping[str, Any],
    *,
    events: list[dict[str, Any]],
    measurements: list[dict[str, Any]],
    results: list[dict[str, Any]],
) -> dict[str, Any]:
    """The custody of an exhibit's section of a report: its log (``events``, in time order),
    its breaks and doubts, and the names that signed its records (the label, ``events``,
    ``measurements``, ``results``) with more than one key. Read from the records alone: no
    spectrum is loaded, so a scan can say it without building the rest of a section."""
    return {
        "custody": [
            {
                "record": e["seq"],
                "event_at": e["event_at"],
                "released_by": e["released_by"],
                "received_by": e["received_by"],
                "purpose": e["purpose"],
                "seal_intact": None if e["seal_intact"] is None else bool(e["seal_intact"]),
                "seal_number": e["seal_number"],
                "notes": e.get("notes") or None,  # why a seal was broken, what was done
                # where it changed hands; none in a hand-over recorded before schema 3 (a
                # store read as it is lacks the column)
                "location": e.get("location"),
                "signed_by": e["signer"],
                "key_fingerprint": e["key_fingerprint"],
                "record_hash": e["hash"],
            }
            for e in events
        ],
        "custody_gaps": custody_gaps(events, collected_by=exhibit["collected_by"]),
        "custody_doubts": custody_doubts(events, exhibit=exhibit, case=case),
        "key_warnings": _key_warnings(
            store,
            [("exhibits", exhibit)]
            + [("custody_events", e) for e in events]
            + [("measurements", m) for m in measurements]
            + [("results", r) for r in results],
        ),
    }


def _exhibit_section(
    store: Store, exhibit: Mapping[str, Any], case: Mapping[str, Any]
) -> dict[str, Any]:
    case_number, item = exhibit["case_number"], exhibit["item_number"]
    events = in_time_order(store.custody_events(case_number, item))  # as they happened
    measurements = store.measurements(case_number, item)
    results = store.results(case_number, item)
    by_measurement: dict[str, list[dict]] = {}
    for result in results:
        by_measurement.setdefault(result["measurement_hash"], []).append(result)
    analyses = []
    for measurement in measurements:
        for_this = by_measurement.get(measurement["hash"], [])
        result = for_this[-1] if for_this else None
        identification = _json(result["identification_json"], {}) if result else None
        try:
            history = [step.to_dict() for step in store.load_spectrum(measurement).history]
        except CustodyError:
            history = None  # raw data altered or missing: verification reports it
        analyses.append(
            {
                "measurement_record": measurement["seq"],
                "measurement_hash": measurement["hash"],
                "recorded_at": measurement["recorded_at"],
                "recorded_by": measurement["signer"],
                "acquired_at": measurement["acquired_at"],
                "operator": measurement["operator"],
                # where it was acquired, and by which unit: None in a record made before they
                # were recorded (or a scan told neither), which the report says
                "location": measurement.get("location"),
                "unit": measurement.get("unit"),
                "modality": measurement["modality"],
                "instrument_url": measurement["instrument_url"],
                "instrument": _json(measurement["instrument_json"], {}),
                "raw_sha256": measurement["raw_sha256"],
                "raw_format": measurement["raw_format"],
                "acquisition_steps": history,
                "result_record": result["seq"] if result else None,
                "result_hash": result["hash"] if result else None,
                "identification": identification,
            }
        )
    acquired = [m["acquired_at"] for m in measurements]
    marking = filed_in_error(store, case_number, item)
    return {
        "label": _label(exhibit),
        "dates": {
            # no custody, no receipt; a hand-over whose time is in doubt vouches for none
            "received": first_received(events, exhibit=exhibit, case=case),
            "analysed": max(acquired, key=_moment_key, default=None),
            # the header states every analysis, not the last one alone
            "first_analysed": min(acquired, key=_moment_key, default=None),
            "analyses": len(acquired),
        },
        **_custody_part(
            store, exhibit, case, events=events, measurements=measurements, results=results
        ),
        "analyses": analyses,
        "corrections": _corrections(store, case_number, item),
        # the marking of its records as filed in error in force (None when none is)
        "filed_in_error": marking.as_content() if marking else None,
    }


def _recorded_late(item: str, number: int, analysis: dict[str, Any], late: dict[str, Any]) -> str:
    """The limitation of a spectrum recorded in the store after it was measured, from the
    file a scan kept it in (:mod:`forensic.custody.unrecorded`): which analysis, why, the file,
    and who recorded it from the file, when."""
    why = late.get("why_not_recorded")
    recorded = (
        f" at {utc_when(analysis['recorded_at'])} by {analysis['recorded_by']}"
        if analysis.get("recorded_at")
        else " later"
    )
    return (
        f"{item}: the spectrum of analysis {number}, acquired at "
        f"{utc_when(analysis['acquired_at'])} (measurement record "
        f"#{analysis['measurement_record']}), was not recorded in the evidence store when it "
        "was measured" + (f" ({why})" if why else "") + f"; it was kept in the file "
        f"{late.get('file')} (SHA-256 {late.get('file_sha256')}), written at "
        f"{utc_when(late.get('saved_at'))}, and recorded from it{recorded}. "
        + signature_finding(late.get("signature"), analysis["operator"])
    )


def _disagreement(exhibit: Mapping[str, Any]) -> str | None:
    """The limitation of an exhibit whose analyses differ in verdict or in the substances they
    name (:func:`~forensic.report.layout.analyses_disagree`): each analysis with its verdict,
    in the report's numbering; None when they agree."""
    if not analyses_disagree(exhibit):
        return None
    stated = [
        (number, analysis)
        for number, analysis in enumerate(exhibit["analyses"], start=1)
        if analysis["identification"]
    ]
    return (
        f"{exhibit['label']['item_number']}: its analyses do not agree: "
        + "; ".join(
            f"analysis {number} (acquired {utc_when(analysis['acquired_at'])}, measurement "
            f"record #{analysis['measurement_record']}): {verdict_line(analysis['identification'])}"
            for number, analysis in stated
        )
        + ". Each states what its own spectrum showed; this report does not settle which "
        "holds for the exhibit."
    )


def _export_found_at_start(item_number: str, analysis: Mapping[str, Any]) -> str:
    """The limitation of a spectrum read from an export that was in the instrument's export
    folder before the scan began (``folder:...?existing=1``)."""
    instrument = analysis["instrument"]
    return (
        f"{item_number}: the spectrum of {utc_when(analysis['acquired_at'])} was read from the "
        f"export {instrument.get('source_file') or '(file not recorded)'}, written "
        f"{utc_when(instrument.get('export_written_at'))}, which was already in the "
        "instrument's export folder when the scan began: nothing recorded shows that it is "
        "the measurement of this exhibit."
    )


def custody_limitations(exhibit: Mapping[str, Any]) -> list[str]:
    """What a report's limitations say of an exhibit's custody, from its section of the
    report: each break in the log, each doubt, each name that signed its records with more
    than one key, each seal recorded broken, in the report's words and order.

    The one source of those words: the report lists them, and a scan's screen shows them
    (:func:`exhibit_custody_limitations`) so that the technician reads there what the
    report will say.

    Parameters
    ----------
    exhibit : mapping
        The exhibit's section of a report's content (``label``, ``custody``,
        ``custody_gaps``, ``custody_doubts``, ``key_warnings``).

    Returns
    -------
    list of str
        One sentence per limitation, each beginning with the exhibit's number.
    """
    item = exhibit["label"]["item_number"]
    said = [f"{item}: custody not continuous: {gap}." for gap in exhibit.get("custody_gaps") or []]
    said += [f"{item}: {doubt}." for doubt in exhibit.get("custody_doubts") or []]
    said += [f"{item}: {warning}." for warning in exhibit.get("key_warnings") or []]
    for event in exhibit["custody"]:
        if event["seal_intact"] is False:
            said.append(
                f"{item}: the seal"
                + (f" {event['seal_number']}" if event["seal_number"] else "")
                + f" was broken when {event['received_by']} received the exhibit at "
                f"{utc_when(event['event_at'])} (custody record #{event['record']})."
            )
    return [said_in_utc(text) for text in said]  # "UTC" in words, as the report's pages say


def exhibit_custody_limitations(store: Store, case_number: str, item_number: str) -> list[str]:
    """What a report on an exhibit issued now would say of its custody among its limitations
    (:func:`custody_limitations`), from the records in ``store``, without issuing one.

    Only the custody part of the exhibit's section of a report is built, as a report builds
    it (its log, breaks, doubts and key warnings): no spectrum is loaded and no analysis
    assembled, so a scan without a report says it at the cost of reading the records.

    Parameters
    ----------
    store : Store
        The evidence store, read only.
    case_number, item_number : str
        The recorded case and exhibit.

    Returns
    -------
    list of str
        The sentences a report's limitations would give of the exhibit's custody, in its
        order; empty when there is nothing to say.

    Raises
    ------
    CustodyError
        The store holds no such case or exhibit.
    """
    case = store.require_case(case_number)
    exhibit = store.require_exhibit(case_number, item_number)
    case_number, item = exhibit["case_number"], exhibit["item_number"]  # as recorded
    custody = _custody_part(
        store,
        exhibit,
        case,
        events=in_time_order(store.custody_events(case_number, item)),
        measurements=store.measurements(case_number, item),  # their records, not spectra
        results=store.results(case_number, item),
    )
    return custody_limitations({"label": _label(exhibit), **custody})


def _numbers_read_alike(
    case_number: str, exhibits: list[dict[str, Any]]
) -> tuple[str | None, list[list[str]]]:
    """What a report's limitations say of its numbers that hold letters of another script
    which print like Latin letters or digits (:func:`~forensic.naming.lookalike_note`): an
    investigator who types such a number from the paper types another one, and finds nothing.

    Said once for each number, in the words of :mod:`forensic.naming` (the letters, their code
    points, how the number reads on paper): the case number's for the whole report; an
    exhibit's number and each seal number its label or custody log states, under the first
    exhibit that carries it, naming every exhibit that does (``A1, A2: seal number ...``).

    Parameters
    ----------
    case_number : str
        The case number, as recorded.
    exhibits : list of dict
        The exhibits' sections of the report's content, in the report's order (``label``,
        ``custody``).

    Returns
    -------
    case : str or None
        The sentence on the case number (``The case number 'ЗАК-2026' contains Cyrillic З
        (U+0417), ...``), or None when it holds no such letter.
    by_exhibit : list of list of str
        For each exhibit, in order, the sentences said under it, each beginning with the
        exhibit's number (or numbers); empty for one whose numbers hold no such letter.
    """
    carried: dict[str, list[str]] = {}  # each seal number, and the exhibits that carry it
    seals_of = []
    for exhibit in exhibits:
        item = exhibit["label"]["item_number"]
        seals = [exhibit["label"]["seal_number"], *(e["seal_number"] for e in exhibit["custody"])]
        seals_of.append(list(dict.fromkeys(seal for seal in seals if seal)))
        for seal in seals_of[-1]:
            carried.setdefault(seal, []).append(item)
    by_exhibit = []
    for exhibit, seals in zip(exhibits, seals_of, strict=True):
        item = exhibit["label"]["item_number"]
        note = lookalike_note(item, "exhibit number")
        said = [f"{item}: {note}."] if note else []
        said += [
            f"{', '.join(carried[seal])}: {note}."
            for seal in seals
            if carried[seal][0] == item and (note := lookalike_note(seal, "seal number"))
        ]
        by_exhibit.append(said)
    note = lookalike_note(case_number, "The case number")
    return (f"{note}." if note else None), by_exhibit


def _limitations(
    exhibits: list[dict[str, Any]],
    forced: list[Problem],
    elsewhere: int = 0,
    *,
    case_number: str,
) -> list[str]:
    """A report's limitations, as a report of layout
    :data:`~forensic.report.layout.SAID_ONCE` on lists them.

    By exhibit, in the report's order: its numbers that print like others (its own, its
    seals': :func:`_numbers_read_alike`), what its custody log warns of, whether its analyses
    disagree, then what qualifies each analysis (its warnings, a spectrum recorded late or
    read from an export found before the scan, a result missing), named ``A1`` or, where the
    exhibit has several analyses, ``A1, analysis 2``. Then what applies to the whole report,
    each said once and naming the analyses it applies to: a case number that prints like
    another, a store that does not verify elsewhere, spectra not measured from their exhibit,
    references not measured from a sample, and the limits of the technique and of the
    library. Times are said in UTC in words. A report forced on records that do not verify
    (``forced``: what does not verify) says so first (:func:`unverified_limitation`).
    """
    items = [unverified_limitation(forced)] if forced else []
    case_read_alike, read_alike = _numbers_read_alike(case_number, exhibits)
    not_measured: dict[str, list[tuple[str, int | None]]] = {}  # the spectra, by provenance
    references: dict[str, list[tuple[str, int | None]]] = {}  # the references, by provenance
    for exhibit, numbers in zip(exhibits, read_alike, strict=True):
        item = exhibit["label"]["item_number"]
        analyses = exhibit["analyses"]
        items.extend(numbers)
        items.extend(custody_limitations(exhibit))
        disagreement = _disagreement(exhibit)
        if disagreement:
            items.append(disagreement)
        for number, analysis in enumerate(analyses, start=1):
            named = (item, number if len(analyses) > 1 else None)
            which = item if len(analyses) == 1 else f"{item}, analysis {number}"
            instrument = analysis["instrument"] or {}
            provenance = instrument.get("provenance")
            if not is_measured(provenance):
                not_measured.setdefault(str(provenance), []).append(named)
            if instrument.get("export_found_at_start"):
                items.append(_export_found_at_start(item, analysis))
            late = instrument.get("recorded_late")
            if isinstance(late, dict):
                items.append(_recorded_late(item, number, analysis, late))
            if analysis["identification"] is None:
                items.append(
                    f"{which}: measurement of {utc_when(analysis['acquired_at'])} has no recorded "
                    "result (analysis did not finish)"
                )
                continue
            identification = analysis["identification"]
            mixture = identification.get("mixture") or {}
            provenances = {
                str(reference.get("provenance"))
                for reference in [
                    *(identification.get("hits") or [])[:1],  # the reference it names
                    *(mixture.get("components") or []),
                ]
                if not is_measured(reference.get("provenance"))
            }
            said_of_references = {reference_warning(p): p for p in {*NOT_MEASURED, *provenances}}
            for p in provenances:  # results recorded without the warning too
                references.setdefault(p, []).append(named)
            own: list[str] = []
            for warning in [
                *low_confidence_statements(identification),  # results recorded before
                *map(stated_warning, identification.get("warnings") or []),
            ]:
                if not is_measured(provenance) and warning == not_measured_warning(provenance):
                    continue  # said below, once for every such spectrum
                if warning in said_of_references:  # said below, once for every such result
                    listed = references.setdefault(said_of_references[warning], [])
                    if named not in listed:
                        listed.append(named)
                    continue
                if warning not in own:
                    own.append(warning)
            items += [f"{which}: {warning}" for warning in own]
    if case_read_alike:
        items.append(case_read_alike)
    if elsewhere:
        items.append(
            "The evidence store this report was issued from does not verify: its check found "
            + ("1 problem" if elsewhere == 1 else f"{elsewhere} problems")
            + " in records of other cases or exhibits (named under Integrity). The records "
            "this report states verify, each by its hash, link and signature, but the store was "
            "altered or damaged elsewhere."
        )
    for provenance, analyses in not_measured.items():
        one = len(analyses) == 1
        items.append(
            f"{_analyses_named(analyses)}: {'the' if one else 'each'} spectrum is {provenance}, "
            f"not measured from the exhibit (made by {made_by(provenance)}): "
            + ("this result has" if one else "these results have")
            + " no evidential value."
        )
    for provenance, analyses in references.items():
        items.append(f"{_analyses_named(analyses)}: {reference_warning(provenance)}.")
    items += [SWGDRUG_LIMITATION, LIBRARY_LIMITATION]
    return [said_in_utc(text) for text in items]


def _analyses_named(analyses: list[tuple[str, int | None]]) -> str:
    """Analyses named as a limitation names them: by exhibit, with the numbers of those of an
    exhibit with several (``A1 (analyses 1 and 2), A2, A6``)."""
    numbers: dict[str, list[int]] = {}
    for item, number in analyses:
        numbers.setdefault(item, [])
        if number is not None:
            numbers[item].append(number)
    said = []
    for item, listed in numbers.items():
        if not listed:
            said.append(item)
        elif len(listed) == 1:
            said.append(f"{item} (analysis {listed[0]})")
        else:
            said.append(f"{item} (analyses {', '.join(map(str, listed[:-1]))} and {listed[-1]})")
    return ", ".join(said)


def verify_for_report(
    store: Store,
    case_number: str,
    item_number: str | None = None,
    *,
    unverified: bool = False,
    verification: VerifyReport | None = None,
) -> VerifyReport:
    """Verify the store for a report on a case (or one exhibit of it), and refuse the report
    when a record it would state does not verify: before anything is recorded for it, and
    before its files are looked at, so that nothing hides a chain that does not verify.

    Parameters
    ----------
    store : Store
        The evidence store.
    case_number, item_number : str
        The case and, optionally, one exhibit.
    unverified : bool
        Allow the report all the same (it is then ``forced``, marked UNVERIFIED).
    verification : VerifyReport, optional
        The store's verification, when it was just made (default: made here).

    Returns
    -------
    VerifyReport
        The store's verification (for :func:`build_report_content`).

    Raises
    ------
    UnverifiedChainError
        If a record of the case or exhibit (or the chain itself) does not verify and
        ``unverified`` is false; nothing was recorded.
    CustodyError
        When the case, or the exhibit, is not in the store.
    """
    verification = verification or verify_store(store)
    case_number = store.require_case(case_number)["case_number"]  # as recorded
    if item_number is not None:
        item_number = store.require_exhibit(case_number, item_number)["item_number"]
    problems = verification.problems_for(case_number, item_number)
    if problems and not unverified:
        raise UnverifiedChainError(
            f"the custody chain of case {case_number}"
            + (f" exhibit {item_number}" if item_number else "")
            + f" does not verify (first bad record: {problems[0]}); no report issued, nothing "
            "was recorded (--unverified issues one marked UNVERIFIED on every page)"
        )
    return verification


def build_report_content(
    store: Store,
    case_number: str,
    item_number: str | None = None,
    *,
    issued_by: str,
    unit: str | None = None,
    location: str | None = None,
    unverified: bool = False,
    verification: VerifyReport | None = None,
) -> dict[str, Any]:
    """The signed content of a report on a case (or one exhibit of it).

    Parameters
    ----------
    store : Store
        The evidence store; the whole store is verified first.
    case_number, item_number : str
        The case and, optionally, one exhibit (default: every exhibit of the case).
    issued_by : str
        The operator issuing the report; their key signs the content hash.
    unit, location : str, optional
        Who issues it and where; default the case's record, then ``$FORENSIC_UNIT`` /
        ``$FORENSIC_LOCATION``, then a mobile-lab default.
    unverified : bool
        Make the report even if the chain of what it states does not verify; it is then
        ``forced``, and says so on every page.
    verification : VerifyReport, optional
        The store's verification by :func:`verify_for_report`, when it was just made
        (default: made here).

    Returns
    -------
    dict
        The signed content. Its ``verification`` says whether every record of the store
        verified (``verified``), the problems of the records it states (``problems``; the
        report is then ``forced``) and those of other cases and exhibits
        (``problems_elsewhere``), which do not stop the report but are named in it.

    Raises
    ------
    UnverifiedChainError
        As :func:`verify_for_report`.
    CustodyError
        When the case, or the exhibit, is not in the store (naming those that are), or the
        case has no exhibit to report on.
    """
    verification = verify_for_report(
        store, case_number, item_number, unverified=unverified, verification=verification
    )
    case = store.require_case(case_number)
    case_number = case["case_number"]  # as recorded (a pasted number may carry spaces)
    if item_number is not None:
        exhibits = [store.require_exhibit(case_number, item_number)]
        item_number = exhibits[0]["item_number"]
    else:
        exhibits = store.exhibits(case_number)
        if not exhibits:
            raise CustodyError(f"case {case_number!r} has no exhibits to report on")
    problems = verification.problems_for(case_number, item_number)
    # Records of other cases and exhibits that fail do not stop this report (it states none
    # of them), but the report must not say the chain verified: it names them.
    elsewhere = [p for p in verification.problems if not p.touches(case_number, item_number)]
    key = store.operator_key(issued_by)
    # by number (A2 before A10), not by which label was recorded last: a corrected label
    # must not move its exhibit to the end of the report
    exhibits = sorted(exhibits, key=lambda exhibit: natural_key(exhibit["item_number"]))
    sections = [_exhibit_section(store, exhibit, case) for exhibit in exhibits]
    analysed = [s["dates"]["analysed"] for s in sections if s["dates"]["analysed"]]
    first = [s["dates"]["first_analysed"] for s in sections if s["dates"]["first_analysed"]]
    received = [s["dates"]["received"] for s in sections if s["dates"]["received"]]
    issued_at = utc_now()
    head_seq, head_hash = store.head()
    content = {
        "format": "forensic-report/1",
        "report_id": "FR-"
        + datetime.now(timezone.utc).strftime("%Y%m%d")
        + "-"
        + uuid.uuid4().hex[:10].upper(),
        "title": TITLE,
        "unit": unit or case["unit"] or os.environ.get("FORENSIC_UNIT") or DEFAULT_UNIT,
        "location": location
        or case["location"]
        or os.environ.get("FORENSIC_LOCATION")
        or DEFAULT_LOCATION,
        "case": {
            "case_number": case["case_number"],
            "title": case["title"],
            "opened_by": case["opened_by"],
            "opened_at": case["recorded_at"],
            "record_hash": case["hash"],
        },
        "scope": "exhibit " + item_number if item_number else "all exhibits of the case",
        "dates": {
            "received": _earliest(received) if received else None,
            "analysed": max(analysed, key=_moment_key) if analysed else None,
            "first_analysed": _earliest(first) if first else None,
            "analyses": sum(s["dates"]["analyses"] for s in sections),
            "issued": issued_at,
        },
        "exhibits": sections,
        "limitations": _limitations(
            sections, problems, len(elsewhere), case_number=case["case_number"]
        ),
        "verification": {
            "verified": not verification.problems,  # every record of the store
            "forced": bool(problems),
            "problems": [str(p) for p in problems],
            "problems_elsewhere": [str(p) for p in elsewhere],
            "store_records": verification.records,
            "chain_id": store.chain_id,
            "chain_head_seq": head_seq,
            "chain_head_hash": head_hash,
        },
        "software": {"name": "forensic", "version": __version__},
        "layout": LAYOUT_VERSION,
    }
    content["signer"] = {"name": key.operator, "key_fingerprint": key.fingerprint}  # signed
    content_sha256 = report_content_hash(content)
    content["content_sha256"] = content_sha256
    content["signature"] = {
        "algorithm": SIGNATURE_ALGORITHM,
        "signed_by": key.operator,
        "key_fingerprint": key.fingerprint,
        "public_key": key.public_key_hex,
        "value": key.sign(bytes.fromhex(content_sha256)),
    }
    return content
