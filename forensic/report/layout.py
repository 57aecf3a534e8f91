"""The report as an ordered list of blocks, shared by the plain-text and the PDF renderings.

Both renderings walk the same blocks, so they say the same things in the same order.
"""

from __future__ import annotations

import math
import re
import textwrap
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from forensic.custody.continuity import seals_in_force
from forensic.custody.filing import marking_said
from forensic.custody.store import recorded_moment, stated_description, stated_yes_no, utc_when
from forensic.identification import (
    library_named,
    reference_confidence,
    stated_warning,
    verdict_qualifier,
)
from forensic.spectrum import ACQUIRED_WHEN_WRITTEN, MEASURED, is_measured
from forensic.verdict import (
    MIN_SIGNAL_TO_NOISE,
    NO_MATCH_CANNOT_EXCLUDE,
    Q_IDENTIFIED,
    Q_NO_MATCH,
    SCORE_KEY,
    SHARE_OF_SIGNAL,
    WORDED_FOR_THE_READER,
    closest_line,
    format_q_value,
    format_score,
    format_share,
    hits_line,
    identified_substances,
    margin_of,
    substance_key,
    verdict_line,
)

__all__ = [
    "FILED_IN_ERROR",
    "HAND_OVER_PLACES",
    "HASHED_AS_WRITTEN",
    "HIT_TABLE_KEY",
    "LAYOUT_VERSION",
    "NO_MATCH_CAVEAT",
    "SAID_ONCE",
    "SIGNERS_GROUPED",
    "WHERE_AND_WHICH_LIBRARY",
    "WHOLE_HASHES",
    "WIDTH_MEASURED",
    "WORDED_FOR_THE_READER",
    "Block",
    "Stacked",
    "TableCells",
    "acquired_line",
    "analyses_disagree",
    "cells",
    "correction_line",
    "custody_notes",
    "exhibit_summary",
    "figure_title",
    "format_table",
    "hits_line",
    "library_annex",
    "library_line",
    "not_measured_note",
    "reasons_line",
    "reference_sources",
    "references_line",
    "report_blocks",
    "said_in_utc",
    "seal_now",
    "signers_line",
    "stated_change",
    "summary_row",
    "table_cells",
    "table_lines",
    "wrap",
    "wrap_to_width",
]

END_MARKER = "*** END OF REPORT ***"


def not_measured_banner(provenance: str) -> str:
    """The banner under a verdict resting on a spectrum not measured from the exhibit."""
    return f"{str(provenance).upper()} SPECTRUM, NOT MEASURED FROM THE EXHIBIT: NO EVIDENTIAL VALUE"


def not_measured(content: Mapping[str, Any]) -> str | None:
    """The provenance of a spectrum in the report not measured from its exhibit, if any: every
    page then says so."""
    for exhibit in content["exhibits"]:
        for analysis in exhibit["analyses"]:
            provenance = (analysis["instrument"] or {}).get("provenance")
            if not is_measured(provenance):
                return provenance
    return None


def not_measured_note(content: Mapping[str, Any]) -> str | None:
    """What every page's footer says of the report's spectra not measured from their exhibit.

    A report of layout 5 on names which analyses that is when only some are: a page of a
    measured exhibit must not read as simulated (``Simulated spectra (no evidential value):
    A1-A6; measured: A7``); when every analysis is of one provenance, the banner of each
    (:func:`not_measured_banner`). A report of an earlier layout says the banner of the first
    such spectrum, as it was issued.

    Parameters
    ----------
    content : mapping
        The report's signed content.

    Returns
    -------
    str or None
        The footer's warning; None when every spectrum was measured.
    """
    if content.get("layout", 1) < WORDED_FOR_THE_READER:
        provenance = not_measured(content)
        return not_measured_banner(provenance) if provenance else None
    by_provenance = _analyses_by_provenance(content)
    not_measured_ = [p for p in by_provenance if p is not None]
    if not not_measured_:
        return None
    if len(by_provenance) == 1:  # every analysis of the report is of this one provenance
        return not_measured_banner(not_measured_[0])
    said = [
        f"{provenance.capitalize()} spectra (no evidential value): "
        + _runs(by_provenance[provenance])
        for provenance in not_measured_
    ]
    if None in by_provenance:
        said.append("measured: " + _runs(by_provenance[None]))
    return "; ".join(said)


def _analyses_by_provenance(content: Mapping[str, Any]) -> dict[str | None, list[str]]:
    """The report's analyses by the provenance of their spectrum (None: measured), each named
    by its exhibit, and by its number too where the exhibit has several."""
    by_provenance: dict[str | None, list[str]] = {}
    for exhibit in content["exhibits"]:
        analyses = exhibit["analyses"]
        item = exhibit["label"]["item_number"]
        for number, analysis in enumerate(analyses, start=1):
            provenance = (analysis["instrument"] or {}).get("provenance")
            key = None if is_measured(provenance) else str(provenance)
            by_provenance.setdefault(key, []).append(
                item if len(analyses) == 1 else f"{item} analysis {number}"
            )
    return by_provenance


def _runs(items: Sequence[str]) -> str:
    """Exhibit (or record) numbers in the order given, a run of consecutive ones written as a
    range: ``A1-A6, B2``, ``#1-#12, #15``."""
    groups: list[list[tuple[str, int | None, str]]] = []
    for item in items:
        found = re.fullmatch(r"(.*?)(\d+)", item)
        prefix, number = (found.group(1), int(found.group(2))) if found else (item, None)
        last = groups[-1][-1] if groups else None
        if (
            last is not None
            and number is not None
            and last[1] is not None
            and last[0] == prefix
            and last[1] + 1 == number
        ):
            groups[-1].append((prefix, number, item))
        else:
            groups.append([(prefix, number, item)])
    return ", ".join(
        group[0][2] if len(group) == 1 else f"{group[0][2]}-{group[-1][2]}" for group in groups
    )


@dataclass
class Block:
    """One element of a report, as both renderings draw it.

    Attributes
    ----------
    kind : str
        One of ``title``, ``heading``, ``para``, ``kv`` (labels and values), ``table``,
        ``verdict``, ``figure``, ``qr``, ``banner`` or ``end``.
    text : str
        The words of a title, heading, para, verdict, banner or end block.
    items : list
        A ``kv`` block's ``(label, value)`` pairs, or a ``table`` block's rows (each a list
        of cells).
    headers : list of str
        A ``table`` block's column headings.
    data : object
        A ``figure`` block's result (the analysis's identification with its spectrum's
        ``query_provenance``: :func:`figure_title`), or a ``qr`` block's content SHA-256.
    keep : list of int
        The columns of a ``table`` block (by index) that shrink last: a time, a hash.
    leads_in : bool
        A ``para`` that introduces the blocks after it (a list's opening sentence, a key to
        the table under it): from layout :data:`~forensic.report.pdf.HEADINGS_WITH_FIRST_ROWS`
        on, the PDF draws it on the page of their first row, as it draws a heading.
    """

    kind: str
    text: str = ""
    items: list[Any] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    data: Any = None
    keep: list[int] = field(default_factory=list)  # table columns that shrink last
    leads_in: bool = False  # a para drawn on the page of the next block's first row


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}g}" if abs(value) < 1e-3 and value else f"{value:.{digits}f}"
    return str(value)


def _signed(shift_cm1: float | None) -> str:
    """A shift as every screen shows it: signed, to 0.1 cm-1 (``+2.5``)."""
    return "-" if shift_cm1 is None else f"{shift_cm1:+.1f}"


def reasons_line(identification: Mapping[str, Any]) -> str | None:
    """Under a verdict's headline: the reasons the verdict was reached, as recorded with it.

    Parameters
    ----------
    identification : mapping
        The result (its ``reasons``, a list of sentences).

    Returns
    -------
    str or None
        ``Why: score 0.947, q-value 0.0031, at most 0.05; 99% of the query's bands matched
        (by prominence).``; None for a result recorded without reasons.
    """
    reasons = [str(r).strip().rstrip(".") for r in identification.get("reasons") or []]
    return "Why: " + "; ".join(reasons) + "." if reasons else None


HIT_TABLE_KEY = (
    f"Key: {SCORE_KEY} (a hit identifies at a q-value of at most {Q_IDENTIFIED}; above "
    f"{Q_NO_MATCH} it is no match); shift: how far the reference's bands were moved, in cm-1, "
    "to line up with the spectrum's; provenance: whether the reference was measured from a "
    "sample or modelled."
)
"""Under a report's hit table (layout 5 on): what its numbers mean, in the words the scan's
screen uses (:data:`forensic.verdict.SCORE_KEY`)."""


def _seal(
    event: Mapping[str, Any], in_force: str | None, *, current: bool = True, worded: bool = False
) -> str:
    """A hand-over's seal for the custody table: its state on receipt and which seal that is,
    the number it states or, when it states none, the last one recorded before it
    (:func:`~forensic.custody.continuity.seals_in_force`); in a report of an earlier layout
    (``current`` false), its state and the number it states, as it was laid out. An intact
    seal is "intact" in a report of layout 5 on (``worded``), "ok" before."""
    state = {True: "intact" if worded else "ok", False: "BROKEN", None: ""}[event["seal_intact"]]
    number = event.get("seal_number")
    if number or not current:
        return f"{state} {number or ''}".strip() or "-"
    if not state:
        return "-"
    return f"{state}, number not stated" + (f" (last {in_force})" if in_force else "")


SUMMARY_DESCRIPTION_CHARS = 60
"""The most of an exhibit's description its row of a case's summary gives (the exhibit's own
section gives it whole)."""


def summary_row(exhibit: Mapping[str, Any]) -> list[str]:
    """An exhibit's row in the summary that opens a report on several (layout 5 on): its
    number, description, the verdict of each analysis, whether each spectrum was measured or
    simulated, and what its custody section warns of.

    Parameters
    ----------
    exhibit : mapping
        The exhibit's section of the report's content.

    Returns
    -------
    list of str
        The row's cells.
    """
    label = exhibit["label"]
    description = str(stated_description(label["description"]) or "-")
    if len(description) > SUMMARY_DESCRIPTION_CHARS:
        description = description[: SUMMARY_DESCRIPTION_CHARS - 4].rstrip() + " ..."
    analyses = exhibit["analyses"]
    numbered = len(analyses) > 1
    verdicts = "; ".join(
        (f"{number}: " if numbered else "")
        + verdict_line(analysis["identification"], layout=WORDED_FOR_THE_READER)
        for number, analysis in enumerate(analyses, start=1)
    )
    spectra = "; ".join(
        (f"{number}: " if numbered else "")
        + (
            MEASURED
            if is_measured(provenance := (analysis["instrument"] or {}).get("provenance"))
            else f"{provenance} (no evidential value)"
        )
        for number, analysis in enumerate(analyses, start=1)
    )
    alerts = [
        "seal"
        + (f" {event['seal_number']}" if event.get("seal_number") else "")
        + f" BROKEN on receipt (record #{event['record']})"
        for event in exhibit["custody"]
        if event["seal_intact"] is False
    ]
    if exhibit.get("custody_gaps"):
        alerts.append("custody not continuous")
    if exhibit.get("custody_doubts"):
        alerts.append("custody record in doubt")
    if exhibit.get("key_warnings"):
        alerts.append("a signer used several keys")
    if not exhibit["custody"]:
        alerts.append("no custody record")
    return [
        label["item_number"],
        description,
        verdicts or "not analysed",
        spectra or "-",
        "; ".join(alerts) or "none",
    ]


def custody_notes(custody: Sequence[Mapping[str, Any]]) -> list[str]:
    """Under the custody table: the notes recorded with each hand-over that has any (why a
    seal was found broken, what was done about it), one line each, quoted as recorded.

    Parameters
    ----------
    custody : sequence of mapping
        The exhibit's custody events as the report's content states them (``record``,
        ``event_at``, ``notes``; content issued before layout 5 has no ``notes``).

    Returns
    -------
    list of str
        ``Notes of custody record #34 (2026-11-24 05:00:00 UTC): "seal torn on arrival"``,
        one per record with notes, in the table's order.
    """
    return [
        f"Notes of custody record #{event['record']} ({_when(event['event_at'])}): "
        f'"{" ".join(str(event["notes"]).split())}"'
        for event in custody
        if event.get("notes")
    ]


def library_line(identification: Mapping[str, Any], *, layout: int | None = None) -> str:
    """What a result's library held, as recorded with the result (a no match means something
    only against what was searched).

    In a report of layout :data:`WHERE_AND_WHICH_LIBRARY` on: its name, build date, how many
    substances it holds for each modality and the first 16 hex digits of its version; what
    the result does not record (a library or a result made before it was kept) is said to be
    not recorded. Where the result records whether the library is a published version
    (``library_approval``, from forensic 0.9), its approval takes the build date's place
    (``published 2026-11-24, approved by Dr. A. Chemist (key 0123456789abcdef)``), or
    :data:`forensic.library.NOT_PUBLISHED` follows the build date: words of the result, so
    a report issued before is laid out as it was. In layout 5: its version and counts, as
    it was issued.

    Parameters
    ----------
    identification : mapping
        The result (``library_name``, ``library_built_at``, ``library_version``,
        ``library_substances``, ``modality``).
    layout : int, optional
        The layout version of the report it is laid out in (default: the current one).

    Returns
    -------
    str
        e.g. ``forensic shipped library, built 2026-11-24, 49 Raman / 48 IR substances,
        version 0059621d4823e56c``; in layout 5 ``version 0059621d48... (61 substances for
        raman, 40 for ir; this spectrum was searched among the raman ones)``.
    """
    layout = LAYOUT_VERSION if layout is None else layout
    if layout >= WHERE_AND_WHICH_LIBRARY:
        return _library_named(identification)
    version = _fmt(identification.get("library_version"))
    counts = identification.get("library_substances")
    if not counts:
        return f"version {version} (how many substances it holds was not recorded)"
    held = ", ".join(
        f"{count} substance{'s' if count != 1 else ''} for {modality}"
        for modality, count in sorted(counts.items())
    )
    modality = identification.get("modality")
    searched = f"; this spectrum was searched among the {modality} ones" if modality else ""
    return f"version {version} ({held}{searched})"


_MODALITY_NAMES = {"raman": "Raman", "ir": "IR"}
"""How a report names a modality in running text."""


def _modality_name(modality: str) -> str:
    return _MODALITY_NAMES.get(str(modality), str(modality))


def _modality_order(modality: str) -> tuple[int, str]:
    """Raman before IR, as the library's files and the report name them; others after."""
    order = list(_MODALITY_NAMES)
    return (order.index(modality) if modality in order else len(order), str(modality))


def _library_named(identification: Mapping[str, Any]) -> str:
    """:func:`library_line` of layout :data:`WHERE_AND_WHICH_LIBRARY` on: the library by its
    name and standing, in the words the screen names it
    (:func:`~forensic.identification.library_named`), what it holds and its version."""
    said = [library_named(identification)]
    counts = identification.get("library_substances") or {}
    said.append(
        " / ".join(f"{counts[m]} {_modality_name(m)}" for m in sorted(counts, key=_modality_order))
        + " substances"
        if counts
        else "number of substances not recorded"
    )
    version = identification.get("library_version")
    said.append(f"version {str(version)[:16]}" if version else "version not recorded")
    return ", ".join(said)


NO_MATCH_CAVEAT = f"{NO_MATCH_CANNOT_EXCLUDE} The library is named under Library below"
"""Under a NO MATCH headline (layout :data:`WHERE_AND_WHICH_LIBRARY` on): what a no match
cannot say, where the reader looks first, not only among the limitations."""


def _no_match_caveat(identification: Mapping[str, Any]) -> str:
    """:data:`NO_MATCH_CAVEAT`, pointing to the annex when the result lists the library's
    substances."""
    listed = identification.get("library_substance_names")
    return NO_MATCH_CAVEAT + (
        ", and the substances it holds are listed in the annex." if listed else "."
    )


def _listed_libraries(content: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The libraries the report's analyses searched whose results list their substances: the
    first result of each (by version), in the report's order."""
    libraries: dict[str, Mapping[str, Any]] = {}
    for exhibit in content["exhibits"]:
        for analysis in exhibit["analyses"]:
            identification = analysis["identification"] or {}
            if identification.get("library_substance_names") is not None:
                version = str(identification.get("library_version") or "")
                libraries.setdefault(version, identification)
    return list(libraries.values())


def library_annex(content: Mapping[str, Any]) -> list[str]:
    """The annex of a report (layout :data:`WHERE_AND_WHICH_LIBRARY` on): for each library
    its analyses were searched against, the substances it holds, modality by modality, as
    each result recorded them (a no match means something only against these).

    Parameters
    ----------
    content : mapping
        The report's signed content.

    Returns
    -------
    list of str
        Paragraphs: for each library (by version, in the report's order) its line
        (:func:`library_line`) and one paragraph per modality (``Raman, 49 substances:
        alpha-PVP hydrochloride, Alprazolam, ...``); a modality too large to list
        (:data:`forensic.identification.LISTED_SUBSTANCES_MAX`) is said to be so. Empty when no
        result records the names (results recorded before they were kept).
    """
    paragraphs = []
    for identification in _listed_libraries(content):
        paragraphs.append(_library_named(identification) + ":")
        names = identification["library_substance_names"]
        counts = identification.get("library_substances") or {}
        for modality in sorted({*counts, *names}, key=_modality_order):
            listed = names.get(modality)
            count = counts.get(modality, len(listed or []))
            held = f"{_modality_name(modality)}, {count} substance{'s' if count != 1 else ''}"
            paragraphs.append(
                f"{held}: {', '.join(listed)}."
                if listed is not None
                else f"{held}: too many to list here (forensic library list names them)."
            )
    return paragraphs


def acquired_line(
    analysis: Mapping[str, Any],
    when: Callable[[str | None], str] = utc_when,
    about_the_time: str | None = None,
) -> str:
    """When, where and by whom an analysis's spectrum was acquired, as its measurement record
    states them (layout :data:`WHERE_AND_WHICH_LIBRARY` on).

    Parameters
    ----------
    analysis : mapping
        The analysis in the report's content (``acquired_at``, ``location``, ``unit``,
        ``operator``; a report's content before layout 6 has no ``location`` or ``unit``).
    when : callable
        How the report shows a time.
    about_the_time : str, optional
        What qualifies the time (an export that states none), said after it.

    Returns
    -------
    str
        e.g. ``2026-11-24 07:10:00 UTC at Central Lab, Den Haag by Dr. Chloé Lab (Forensic
        Drugs Unit)``; ``...; location not recorded`` for a measurement recorded without one
        (before locations were recorded, or by a scan told none).
    """
    location, unit = analysis.get("location"), analysis.get("unit")
    said = when(analysis["acquired_at"])
    if about_the_time:
        said += f" ({about_the_time})"
    if location:
        said += f" at {location}"
    said += f" by {analysis['operator']}" + (f" ({unit})" if unit else "")
    return said if location else f"{said}; location not recorded"


def _when(iso: str | None) -> str:
    """A recorded time as a layout-5 report states it: in UTC, said in words
    (``2026-11-23 20:14:00 UTC``), not with a bare ``Z``."""
    shown = utc_when(iso)
    return shown[:-1] + " UTC" if recorded_moment(iso or "") and shown.endswith("Z") else shown


_Z_TIME = re.compile(r"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?)Z\b")


def said_in_utc(text: str) -> str:
    """A sentence's times in UTC said in words, as a report of layout 5 on states every time
    it lays out itself (:func:`_when`): a time written ``2026-11-23 20:14:00Z`` (as
    :func:`~forensic.custody.store.utc_when` writes it, also to the millisecond) becomes
    ``2026-11-23 20:14:00 UTC``.

    For sentences made elsewhere in words of their own (a break in the custody log, a
    correction), so that a report of layout :data:`SAID_ONCE` on writes no time with a bare
    ``Z``.

    Parameters
    ----------
    text : str
        The sentence.

    Returns
    -------
    str
        The sentence, every such time rewritten; the rest as it was.
    """
    return _Z_TIME.sub(r"\1 UTC", text)


def seal_now(exhibit: Mapping[str, Any]) -> str:
    """The seal an exhibit carries now, for its block (layout :data:`SAID_ONCE` on): the state
    and number the latest custody record that states a seal gives (its number, or the one in
    force when it states only the state: :func:`~forensic.custody.continuity.seals_in_force`),
    with the label's seal where that differs.

    Parameters
    ----------
    exhibit : mapping
        The exhibit's section of the report's content (``label``, ``custody`` in time order).

    Returns
    -------
    str
        e.g. ``now: S-1200, intact (custody record #30, 2026-11-24 06:35:46 UTC); label:
        S-0093``, or ``S-0094, intact (custody record #8, ...)`` when it is the label's; the
        label's seal, said to be only that, when no custody record states a seal.
    """
    label_seal = exhibit["label"]["seal_number"] or None
    events = exhibit["custody"]
    stated = [
        (event, seal)
        for event, seal in zip(events, seals_in_force(events, label_seal), strict=True)
        if event.get("seal_number") or event["seal_intact"] is not None
    ]
    if not stated:
        return f"{label_seal} (the label's; no custody record states a seal)" if label_seal else "-"
    event, seal = stated[-1]
    state = {True: "intact", False: "BROKEN on receipt", None: "its state not stated"}[
        event["seal_intact"]
    ]
    now = (
        f"{seal or 'number not stated'}, {state} (custody record #{event['record']}, "
        f"{_when(event['event_at'])})"
    )
    if label_seal and seal != label_seal:
        return f"now: {now}; label: {label_seal}"
    return now


def analyses_disagree(exhibit: Mapping[str, Any]) -> bool:
    """Whether the analyses of an exhibit that have a result differ in verdict or in the
    substances they name (a substance however its entries spell it).

    Parameters
    ----------
    exhibit : mapping
        The exhibit's section of the report's content.

    Returns
    -------
    bool
        True when two of its results find different things.
    """
    found = {
        _finding(analysis["identification"])
        for analysis in exhibit["analyses"]
        if analysis["identification"]
    }
    return len(found) > 1


def _finding(identification: Mapping[str, Any]) -> tuple[str | None, frozenset[str]]:
    """What a result finds: its verdict and the substances it names, which two analyses of
    one exhibit must share to agree."""
    verdict = identification.get("verdict")
    if verdict != "identified":
        return verdict, frozenset()
    hits = identification.get("hits") or []
    components = (identification.get("mixture") or {}).get("components") or []
    named, _ = identified_substances(hits[0]["name"] if hits else None, components)
    return verdict, frozenset(map(substance_key, named))


def _custody_summary(exhibit: Mapping[str, Any]) -> str:
    """What an exhibit's custody log warns of, for the summary on page 1: each seal received
    broken, when, and the seal that replaced it; a break, a doubt, a signer with several keys;
    or that there is nothing to warn of."""
    events = exhibit["custody"]
    seals = seals_in_force(events, exhibit["label"]["seal_number"])
    said = []
    for index, (event, seal) in enumerate(zip(events, seals, strict=True)):
        if event["seal_intact"] is not False:
            continue
        later = next(
            (e for e in events[index + 1 :] if e.get("seal_number") and e["seal_number"] != seal),
            None,
        )
        said.append(
            f"seal {seal or '(number not stated)'} received BROKEN at {_when(event['event_at'])} "
            f"(custody record #{event['record']}), "
            + (
                f"resealed {later['seal_number']} (record #{later['record']})"
                if later
                else "no new seal recorded since"
            )
        )
    if exhibit.get("custody_gaps"):
        said.append("custody not continuous")
    if exhibit.get("custody_doubts"):
        said.append("custody record in doubt")
    if exhibit.get("key_warnings"):
        said.append("a signer used several keys")
    if not events:
        said.append("no custody record")
    return "; ".join(said) or "nothing to warn of: no seal broken, no break or doubt in the log"


def exhibit_summary(
    exhibit: Mapping[str, Any], *, layout: int | None = None
) -> list[tuple[str, str]]:
    """An exhibit's part of the summary that opens a report (layout :data:`SAID_ONCE` on):
    what qualifies its verdicts, said before any of its pages.

    Parameters
    ----------
    exhibit : mapping
        The exhibit's section of the report's content.
    layout : int, optional
        The layout version of the report (default: the current one).

    Returns
    -------
    list of (str, str)
        Key-value lines: the exhibit and its description; from layout :data:`FILED_IN_ERROR`,
        where its records are marked filed in error, ``FILED IN ERROR`` with why, who marked it
        when and where they belong; each analysis's verdict (by number
        where there are several, with its technique) and, under it, whether its spectrum was
        measured and whether the identification rests on a reference not measured;
        ``ANALYSES DISAGREE`` where they do; and what its custody log warns of.
    """
    layout = LAYOUT_VERSION if layout is None else layout
    label = exhibit["label"]
    description = str(stated_description(label["description"]) or "-")
    if len(description) > SUMMARY_DESCRIPTION_CHARS:
        description = description[: SUMMARY_DESCRIPTION_CHARS - 4].rstrip() + " ..."
    items = [(f"Exhibit {label['item_number']}", description)]
    marking = exhibit.get("filed_in_error") if layout >= FILED_IN_ERROR else None
    if marking:  # before its verdicts: what a reader must know before reading them
        items.append(("FILED IN ERROR", said_in_utc(marking_said(marking))))
    analyses = exhibit["analyses"]
    if not analyses:
        items.append(("Verdict", "not analysed"))
    for number, analysis in enumerate(analyses, start=1):
        technique = _modality_name(analysis["modality"])
        key = f"Analysis {number} ({technique})" if len(analyses) > 1 else f"Verdict ({technique})"
        items.append((key, verdict_line(analysis["identification"], layout=layout)))
        provenance = (analysis["instrument"] or {}).get("provenance")
        items.append(("", verdict_qualifier(analysis["identification"], provenance)))
    if analyses_disagree(exhibit):
        items.append(
            (
                "ANALYSES DISAGREE",
                "each states what its own spectrum showed; this report does not settle which "
                "holds for the exhibit",
            )
        )
    items.append(("Custody", _custody_summary(exhibit)))
    return items


def reference_sources(content: Mapping[str, Any]) -> list[str]:
    """Where each reference a report's tables name comes from, once each (layout
    :data:`SAID_ONCE` on): every hit and mixture component of every analysis, by the technique
    it was searched with, its name and library entry, its provenance and the confidence of a
    modelled one's band table, and its source as recorded.

    Parameters
    ----------
    content : mapping
        The report's signed content.

    Returns
    -------
    list of str
        One line per reference, by technique and name: ``Raman: Cocaine base
        (cocaine-base-raman, modelled, band table of low confidence): modelled from ...``.
    """
    said: dict[str, tuple[str, str, str]] = {}
    for exhibit in content["exhibits"]:
        for analysis in exhibit["analyses"]:
            identification = analysis["identification"] or {}
            hits = identification.get("hits") or []
            listed = {h.get("entry_id") for h in hits}
            components = (identification.get("mixture") or {}).get("components") or []
            technique = _modality_name(analysis["modality"])
            for reference in [*hits, *(c for c in components if c.get("entry_id") not in listed)]:
                text = f"{technique}: " + _reference_source(reference)
                said.setdefault(text, (technique, str(reference.get("name")).casefold(), text))
    return [text for *_, text in sorted(said.values())]


def _reference_source(reference: Mapping[str, Any]) -> str:
    """A reference named with its entry, provenance and band-table confidence, and its source:
    ``Cocaine base (cocaine-base-raman, modelled, band table of low confidence): ...``."""
    confidence = reference_confidence(reference)
    what = ", ".join(
        part
        for part in (
            reference.get("entry_id"),
            reference.get("provenance"),
            f"band table of {confidence} confidence" if confidence else None,
        )
        if part
    )
    return f"{reference.get('name')} ({what}): " + (reference.get("source") or "source not stated")


def signers_line(custody: Sequence[Mapping[str, Any]], *, layout: int | None = None) -> str | None:
    """Under the custody table: who signed each of its records, with the first 16 hex digits
    of the key's fingerprint, so that a second key under one name shows.

    From layout :data:`SIGNERS_GROUPED` on, each signer and key is named once, with the
    records they signed; before it, each record with its signer and key, as issued.

    Parameters
    ----------
    custody : sequence of mapping
        The exhibit's custody events as the report's content states them (``record``,
        ``signed_by``, ``key_fingerprint``).
    layout : int, optional
        The layout version of the report (default :data:`LAYOUT_VERSION`).

    Returns
    -------
    str or None
        ``Custody records signed by (key fingerprint, first 16 hex digits): PC Smith
        0f1e2d3c4b5a6978: #3-#14, #17; Ann Example 538b230ffb3072e7: #15-#16. ...``: each
        signer and key in the order of the first record they signed, their records in
        record order, a run of consecutive numbers as a range (layout 8 and earlier:
        ``#3 PC Smith 0f1e2d3c4b5a6978; #4 PC Smith 0f1e2d3c4b5a6978; ...``, in the
        table's order); None when no event carries a key fingerprint (reports issued
        before the content carried the key).
    """
    layout = LAYOUT_VERSION if layout is None else layout
    keyed = [e for e in custody if e.get("key_fingerprint")]
    if not keyed:
        return None
    if layout >= SIGNERS_GROUPED:
        records: dict[tuple[str, str], set[int]] = {}
        for e in sorted(keyed, key=lambda e: e["record"]):
            records.setdefault((e["signed_by"], e["key_fingerprint"][:16]), set()).add(e["record"])
        signed = [
            f"{name} {key}: " + _runs([f"#{n}" for n in sorted(numbers)])
            for (name, key), numbers in records.items()
        ]
    else:
        signed = [f"#{e['record']} {e['signed_by']} {e['key_fingerprint'][:16]}" for e in keyed]
    return (
        "Custody records signed by (key fingerprint, first 16 hex digits): "
        + "; ".join(signed)
        + ". Compare them with the fingerprints the operators published."
    )


def _analysed(dates: Mapping[str, Any], when: Callable[[str | None], str] = utc_when) -> str:
    """When the analyses were made: the time of the one, or the first and the last with how
    many (a report issued before its dates counted them shows its last, as it was laid out),
    each as ``when`` shows a time."""
    count = dates.get("analyses") or 0
    if count < 2:
        return when(dates["analysed"])
    return f"{when(dates['first_analysed'])} to {when(dates['analysed'])} ({count} analyses)"


def correction_line(correction: Mapping[str, Any]) -> str:
    """One correction of a report's exhibit: which record, by whom, when, and what it changed.

    Parameters
    ----------
    correction : mapping
        One of the exhibit's ``corrections`` in the report's content: ``what`` (``label`` or
        ``custody event``), ``record``, ``record_hash``, ``recorded_at``, ``signed_by``,
        ``corrects_record``, ``corrects_hash`` and ``changes``
        (:func:`~forensic.report.content.correction_changes`; content issued before a change
        carried its ``stated`` wording gives ``field``, ``was`` and ``now`` only).

    Returns
    -------
    str
        e.g. ``custody event record #12 (3f2a...), recorded 2026-11-24 09:00:00Z by PC Jones,
        corrects record #9 (c01d...): seal intact yes -> no``; the changes joined by ``; ``,
        or ``nothing stated differs``. Hashes are cut to their first 12 hex digits.
    """
    # a report issued before its changes carried how they are stated is laid out as it was
    changes = "; ".join(
        c.get("stated")
        or f"{c['field'].replace('_', ' ')} {_quoted(_stated(c['field'], c['was']))} -> "
        f"{_quoted(_stated(c['field'], c['now']))}"
        for c in correction["changes"]
    )
    return (
        f"{correction['what']} record #{correction['record']} "
        f"({correction['record_hash'][:12]}), recorded {utc_when(correction['recorded_at'])} "
        f"by {correction['signed_by']}, corrects record #{correction['corrects_record']} "
        f"({correction['corrects_hash'][:12]}): " + (changes or "nothing stated differs")
    )


_TIMES = frozenset({"event_at", "collected_at"})
"""Fields holding a time, which the report's tables show in UTC to the second."""


def stated_change(field: str, was: Any, now: Any) -> str:
    """A corrected field's change as the report's reader is shown the field.

    ``seal intact yes -> no``, not the 1 and 0 the store holds; a time as the tables show it
    (``2026-11-23 19:28:51Z``), or to the millisecond (or microsecond) where only that shows
    the change; a time written otherwise for the same moment is said to be the same moment;
    text quoted (``released by "PC Smith" -> "PC Jones"``).

    Parameters
    ----------
    field : str
        The record's column (``seal_intact``, ``event_at``, ...).
    was, now : object
        Its value in the record corrected and in the correcting record, as recorded.

    Returns
    -------
    str
        The field's name in words (``_`` as spaces), then ``was -> now``: a seal's state
        ``yes``, ``no`` or ``not stated``; a float to 6 decimals, or in full where only that
        shows the change; other values quoted, an empty one ``(none)``.
    """
    name = field.replace("_", " ")
    if field == "seal_intact":
        return f"{name} {stated_yes_no(was)} -> {stated_yes_no(now)}"
    if field in _TIMES:
        return f"{name} {_times(was, now)}"
    if isinstance(was, float) or isinstance(now, float):
        shown = [
            f"{value:.6f}" if isinstance(value, float) else _quoted(value) for value in (was, now)
        ]
        if shown[0] == shown[1]:  # a change below the 6 decimals shown
            shown = [repr(was), repr(now)]
        return f"{name} {shown[0]} -> {shown[1]}"
    return f"{name} {_quoted(_stated(field, was))} -> {_quoted(_stated(field, now))}"


def _times(was: Any, now: Any) -> str:
    """Two recorded times as ``a -> b``, to the second as the tables show them, or finer
    where they differ only below the second; text that is no time is quoted as recorded."""
    moments = recorded_moment(was), recorded_moment(now)
    if None in moments:
        return " -> ".join(
            utc_when(value) if moment else _quoted(value)
            for value, moment in zip((was, now), moments, strict=True)
        )
    if moments[0] == moments[1]:  # another offset, or digits that add nothing
        return f"{utc_when(was)} -> the same moment, written {_quoted(was)} -> {_quoted(now)}"
    for digits in (0, 3, 6):
        shown = [
            moment.strftime("%Y-%m-%d %H:%M:%S")
            + ("." + moment.strftime("%f")[:digits] if digits else "")
            + "Z"
            for moment in moments
        ]
        if shown[0] != shown[1]:
            break
    return f"{shown[0]} -> {shown[1]}"


def _stated(field: str, value: Any) -> Any:
    """A corrected field's value as the report states it."""
    return stated_description(value) if field == "description" else value


def _quoted(value: Any) -> str:
    if value is None or value == "":
        return "(none)"
    return f'"{value}"' if isinstance(value, str) else str(value)


class Stacked(tuple):
    """A table cell of several parts, each beginning a line of its own and wrapped on its own
    (:func:`table_lines`); the first part alone sets how wide its column wants to be, the
    others wrapping under it: a hand-over's time with the place it took place under it
    (:data:`HAND_OVER_PLACES`). No value read from a report's content is one, so a table of
    an earlier layout is laid out as it was.

    Parameters
    ----------
    iterable : iterable of object
        The parts, each shown as a table's cell is (:func:`format_table`).
    """

    __slots__ = ()


def _cell(value: Any) -> str | Stacked:
    """A table's cell as it is shown: a :class:`Stacked` cell part by part."""
    return Stacked(_fmt(part) for part in value) if isinstance(value, Stacked) else _fmt(value)


def format_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    width: int,
    keep: Sequence[int] = (),
    *,
    marked: bool = False,
    hashes: bool = False,
    measure: Callable[[str], float] | None = None,
) -> list[str]:
    """Fixed-width table lines; columns shrink to fit ``width``, and a cell longer than its
    column wraps onto the row's next lines: a name, a time or a hash is never cut short.
    The columns in ``keep`` (a time, a hash) shrink only when no other column can. A cell is
    wrapped as :func:`wrap` wraps it (``marked``: broken after a hyphen or slash, or marked;
    ``hashes``: a hex digest only after a multiple of :data:`HEX_GROUP` digits).

    Parameters
    ----------
    headers : sequence of str
        The column headings.
    rows : sequence of sequence
        The rows, a cell per column: None is shown ``-``, a bool ``yes`` or ``no``, a float
        to 3 decimals (3 significant digits below 0.001), a :class:`Stacked` cell part by
        part, each on lines of its own, anything else as ``str`` gives it.
    width : int
        The most characters a line may hold. No column shrinks below 6 characters, so a
        table of many columns may be wider.
    keep : sequence of int, default ()
        The columns (by index) that shrink last.
    marked : bool, default False
        Break a word too long for its column as layout :data:`MARKED_BREAKS` does.
    hashes : bool, default False
        With ``marked``, break a hex digest too long for its column as layout
        :data:`WHOLE_HASHES` does: only after a multiple of :data:`HEX_GROUP` digits.
    measure : callable, optional
        How many character cells a text takes (:func:`cells`, layout :data:`WIDTH_MEASURED`
        on); default one a character.

    Returns
    -------
    list of str
        The heading's lines, a rule of dashes under each column, then each row's lines;
        columns two spaces apart, no trailing spaces (:func:`table_lines`, one list).
    """
    heading, lines_of_rows = table_lines(
        headers, rows, width, keep, marked=marked, hashes=hashes, measure=measure
    )
    return [*heading, *(line for lines in lines_of_rows for line in lines)]


def table_lines(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    width: int,
    keep: Sequence[int] = (),
    *,
    marked: bool = False,
    hashes: bool = False,
    measure: Callable[[str], float] | None = None,
) -> tuple[list[str], list[list[str]]]:
    """The lines of :func:`format_table`, the heading's apart and each row's apart: what a
    page that must not split a row, or part a table's heading from its first row, needs.

    Parameters
    ----------
    headers, rows, width, keep, marked, hashes
        As :func:`format_table` takes them.
    measure : callable, optional
        How many character cells a text takes (:func:`cells`; layout :data:`WIDTH_MEASURED`
        on); default one a character, as earlier layouts counted.

    Returns
    -------
    heading : list of str
        The column headings' lines and, last, the rule of dashes under them.
    rows : list of list of str
        Each row's lines (one or more), in order.
    """
    table = table_cells(headers, rows, width, keep, marked=marked, hashes=hashes, measure=measure)
    size = measure or len

    def joined(line: Sequence[str]) -> str:
        return "  ".join(
            cell + " " * max(0, w - math.ceil(size(cell)))
            for cell, w in zip(line, table.widths, strict=True)
        ).rstrip()

    heading = [*map(joined, table.heading), "  ".join("-" * w for w in table.widths)]
    return heading, [[joined(line) for line in row] for row in table.rows]


class TableCells(NamedTuple):
    """A table laid out in character cells (:func:`table_cells`), each line of it as the text
    of each of its columns: what the PDF of layout :data:`WIDTH_MEASURED` on draws column by
    column, each at its own place, so that a character wider or narrower than the others
    moves nothing after it.

    Attributes
    ----------
    widths : list of int
        Each column's width, in character cells; columns are two cells apart.
    heading : list of list of str
        The column headings' lines, each a text for each column.
    rows : list of list of list of str
        Each row's lines, each a text for each column (``""`` where it has none).
    """

    widths: list[int]
    heading: list[list[str]]
    rows: list[list[list[str]]]


def table_cells(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    width: int,
    keep: Sequence[int] = (),
    *,
    marked: bool = False,
    hashes: bool = False,
    measure: Callable[[str], float] | None = None,
) -> TableCells:
    """A table's columns, shrunk to fit ``width`` character cells, and its cells wrapped in
    them, line by line (:func:`table_lines` joins each line into one text).

    Parameters
    ----------
    headers, rows, width, keep, marked, hashes
        As :func:`format_table` takes them.
    measure : callable, optional
        How many character cells a text takes (:func:`cells`, or for the PDF the width its
        glyphs are drawn: layout :data:`WIDTH_MEASURED` on); default one a character.

    Returns
    -------
    TableCells
        The columns' widths and the text of each column of each line.
    """
    size = measure or len
    values = [[_cell(c) for c in row] for row in rows]
    widths = [math.ceil(size(h)) for h in headers]
    for row in values:
        for index, cell in enumerate(row):
            first = cell[0] if isinstance(cell, Stacked) else cell
            widths[index] = max(widths[index], math.ceil(size(first)))
    while sum(widths) + 2 * (len(widths) - 1) > width:
        others = [i for i in range(len(widths)) if i not in keep and widths[i] > 6]
        widest = max(others or range(len(widths)), key=widths.__getitem__)
        if widths[widest] <= 6:
            break
        widths[widest] -= 1

    def wrapped(part: str, w: int) -> list[str]:
        if measure is None:
            return wrap(part, w, marked=marked, hashes=hashes)
        return wrap_to_width(part, w, measure, marked=marked, hashes=hashes)

    def lines(cells_of_row: Sequence[str | Stacked]) -> list[list[str]]:
        columns = [
            [
                line
                for part in (value if isinstance(value, Stacked) else [value])
                for line in wrapped(part, w)
            ]
            for value, w in zip(cells_of_row, widths, strict=True)
        ]
        return [
            [column[n] if n < len(column) else "" for column in columns]
            for n in range(max(len(column) for column in columns))
        ]

    return TableCells(widths, lines(list(headers)), [lines(row) for row in values])


def cells(text: str) -> int:
    """How many character cells ``text`` takes in a fixed-width rendering (a terminal, the
    plain-text report): two for a wide character (Chinese, Japanese, Korean: East Asian
    width W or F), none for a mark combined with the character before it (an accent written
    apart, U+0301) or a format character (a zero-width joiner), one for any other.

    Parameters
    ----------
    text : str
        One line.

    Returns
    -------
    int
        The cells it takes.
    """
    return sum(
        0
        if unicodedata.combining(c) or unicodedata.category(c) in ("Me", "Mn", "Cf")
        else 2
        if unicodedata.east_asian_width(c) in ("W", "F")
        else 1
        for c in text
    )


LAYOUT_VERSION = 9
"""How reports are laid out, recorded in their signed content (``layout``): raised with each
change that would lay out a report's content otherwise, or draw its PDF otherwise (what
verify-report compares is what each page draws where, not only its words), which is then
made only for content of the new version, so that a report issued earlier is laid out again
exactly as it was issued and still verifies (``forensic verify-report``). Content without it
is version 1 (the layout of forensic 0.2.0 on 23 Nov 2026). Version 2 is the layout of
forensic 0.3.0; version 3, of forensic 0.4.0, names the reference a simulated spectrum was
made from whatever the simulator, and wraps the PDF's text by its drawn width
(:func:`wrap_to_width`), not by a count of characters; version 4, of forensic 0.5.0, draws
the y labels of a result's figure in a column at the page's left margin, never past it
(:data:`forensic.report.pdf.LABELS_AT_MARGIN`); version 5, of forensic 0.6.0, draws the
figure for paper (told apart in a black-and-white copy, IR high to low, labelled by what it
shows, its key and a caption under it: :data:`forensic.report.pdf.GRAYSCALE_FIGURE`), every
page inside the area A4 and US Letter share (:data:`forensic.report.pdf.PRINTABLE_ON_LETTER`),
and breaks a long name or number only after a hyphen or slash, or visibly marked
(:data:`MARKED_BREAKS`); and it words the report for its reader
(:data:`WORDED_FOR_THE_READER`): each custody record's notes under the custody table, a
simulated-spectrum warning that names the analyses it applies to, each verdict's reasons and a
key to the hit table, an inconclusive verdict that names no substance, plain steps to check the
report, a summary of the exhibits of a case, the library searched, and a seal's state and times
in words ("intact", "UTC"). Version 6, of forensic 0.7.0, says where each analysis was done
and names the library searched, with its substances in an annex
(:data:`WHERE_AND_WHICH_LIBRARY`), says on page 1 what qualifies each verdict and says each
thing once (:data:`SAID_ONCE`), and never breaks a hash (:data:`WHOLE_HASHES`). Version 7, of
forensic 0.8.0, says where each hand-over took place (:data:`HAND_OVER_PLACES`) and draws a
heading on the page of its first rows (:data:`forensic.report.pdf.HEADINGS_WITH_FIRST_ROWS`);
its content names, among its limitations, a case, exhibit or seal number holding letters of
another script that print like Latin ones (words of the signed content, which need no version
to be drawn again as issued). Version 8 says of an exhibit whose records are marked filed in
error that it is, why and where they belong (:data:`FILED_IN_ERROR`). Version 9 lays out
monospaced text by the width each character takes (:data:`WIDTH_MEASURED`), keeps a verdict
on the page of what stands under it (:data:`forensic.report.pdf.VERDICT_WITH_ITS_QUALIFIERS`),
names each signer of an exhibit's custody records once, with the records they signed
(:data:`SIGNERS_GROUPED`), and says how the content hash is computed so that it can be done
without Python (:data:`HASHED_AS_WRITTEN`)."""

WIDTH_MEASURED = 9
"""The first layout version (:data:`LAYOUT_VERSION`) that lays out monospaced text (a table, a
key-value block's values; in the plain text every line) by the width each character takes,
not by a count of characters: a Chinese, Japanese or Korean character takes two cells of the
plain text (:func:`cells`), and in the PDF the width its glyph is drawn (a box, which DejaVu
Sans Mono cannot draw, nearly two cells), and a table's columns are drawn each at its own
place. Counted as one, such characters pushed every column after them to the right in the
custody table, a record hash and a seal under the wrong heading and past the right margin.
Content of an earlier version is laid out as it was issued."""

SIGNERS_GROUPED = 9
"""The first layout version (:data:`LAYOUT_VERSION`) that names, under an exhibit's custody
table, each signer and key fingerprint once, with the records they signed, a run of
consecutive record numbers as a range (:func:`signers_line`): ``Ann Example
538b230ffb3072e7: #4, #7-#38``. Each record was named with its signer and key, about 18 lines
for the 32 records one person signed. Content of an earlier version is laid out as it was
issued."""

HASHED_AS_WRITTEN = 9
"""The first layout version (:data:`LAYOUT_VERSION`) whose last step of "How to check this
report" says that each number of report.json is hashed as it is written there (785.0, not
785), as Python's json module writes it again: jq and JavaScript's JSON write 785.0 as 785,
and "keys sorted, no spaces" alone gave them another hash. Content of an earlier version
is laid out with the words it was issued with."""

FILED_IN_ERROR = 8
"""The first layout version (:data:`LAYOUT_VERSION`) that says of an exhibit whose records are
marked filed in error (its section's ``filed_in_error``:
:func:`forensic.custody.filing.filed_in_error`) that it is: in the summary on page 1, under
the exhibit's line, ``FILED IN ERROR`` with why, who marked it when, and where its records
belong (:func:`~forensic.custody.filing.marking_said`); and in the heading of its pages
(``Exhibit A1: FILED IN ERROR``). Content of an earlier version holds no marking, and is laid
out as it was issued."""

WHERE_AND_WHICH_LIBRARY = 6
"""The first layout version that says where each analysis was done and which library was
searched (:data:`LAYOUT_VERSION`): "Acquired <time> at <location>" (:func:`acquired_line`),
the library by its name, build date, substances per modality and version
(:func:`library_line`), the no-match caveat directly under a NO MATCH headline
(:data:`NO_MATCH_CAVEAT`) and an annex listing the library's substances
(:func:`library_annex`). Content of an earlier version is laid out without them, as it was
issued."""

SAID_ONCE = 6
"""The first layout version (:data:`LAYOUT_VERSION`) that says on page 1 what qualifies each
verdict, and says each thing once.

Page 1 opens with a summary of every exhibit, a single one's too (:func:`exhibit_summary`):
each analysis's verdict, whether its spectrum was measured and whether it rests on a modelled
reference, ANALYSES DISAGREE where they do, and what the custody log warns of (a seal received
broken and what replaced it, a break in the log). An exhibit's block gives the seal it carries
now besides its label's (:func:`seal_now`). Where each reference comes from is said once, in
a References section keyed by library entry (:func:`reference_sources`), not under every
analysis; a result's warnings are said once, under Limitations, which its content lists by
exhibit, custody and disagreement first, a sentence that applies to several analyses (a
simulated spectrum, a modelled reference) stated once naming them, and its times in words
(:func:`said_in_utc`). Content of an earlier version is laid out as it was issued."""

WHOLE_HASHES = 6
"""The first layout version (:data:`LAYOUT_VERSION`) that never breaks a hash across lines
with a mark a reader must delete to copy it: the plain text's key column is at most
:data:`TEXT_KEY_CHARS` wide, so that a value has room for a whole SHA-256 beside it; the
signature (128 hex digits) is given as two lines of 64; and a hex digest too wide for its line
or cell all the same is broken only after a multiple of :data:`HEX_GROUP` digits, unmarked, as
"How to check this report" says (:func:`wrap_to_width` with ``hashes``)."""

HAND_OVER_PLACES = 7
"""The first layout version (:data:`LAYOUT_VERSION`) that says where each hand-over took
place (a custody event's ``location``): under its time in the custody table's first column,
headed "When (UTC), where" when one of the exhibit's hand-overs states a place (a
:class:`Stacked` cell, the time setting the column's width, so that the other columns keep
theirs: a column of its own would break their words in the plain text's 100 characters). A
hand-over that states none shows its time alone; an exhibit none of whose hand-overs states
a place has the heading "When (UTC)", and nothing is said of places. Content of an earlier
version is laid out without them, as it was issued."""

TEXT_KEY_CHARS = 28
"""The widest the key column of the plain text's key-value blocks is (layout
:data:`WHOLE_HASHES` on): a longer key (a long exhibit number) wraps in it, leaving the value
at least 70 of the 100 characters, enough for a SHA-256."""

HEX_GROUP = 16
"""A hex digest wider than its line is broken only after a multiple of this many digits
(layout :data:`WHOLE_HASHES` on), so that a reader can count the digits of each line."""


def report_blocks(content: Mapping[str, Any]) -> list[Block]:
    """The blocks of a report, in reading order, as the layout version its content records
    (:data:`LAYOUT_VERSION`) lays them out.

    Parameters
    ----------
    content : mapping
        The signed content (:func:`~forensic.report.content.build_report_content`, or as
        read from a report's JSON); without ``layout`` it is laid out as version 1.

    Returns
    -------
    list of Block
        From the title to the end marker: the report's header, each exhibit (its
        analyses, custody and corrections), limitations, integrity and signature; the PDF
        and the text report draw each in turn.
    """
    layout = content.get("layout", 1)
    when = _when if layout >= WORDED_FOR_THE_READER else utc_when  # "UTC" said in words
    blocks = _header_blocks(content, layout, when)
    blocks += _summary_blocks(content, layout)
    explained: dict[str, str] = {}  # what an analysis explained, and which (SAID_ONCE)
    for exhibit in content["exhibits"]:
        blocks += _exhibit_blocks(exhibit, layout, when)
        for number, analysis in enumerate(exhibit["analyses"], start=1):
            blocks += _analysis_blocks(
                exhibit["label"], number, analysis, layout=layout, explained=explained
            )
        blocks += _custody_blocks(exhibit, layout, when)
        blocks += _correction_blocks(exhibit, layout)
    blocks += _limitation_blocks(content, layout)
    blocks += _integrity_blocks(content)
    blocks += _signature_blocks(content, layout)
    if layout >= WORDED_FOR_THE_READER:
        blocks.append(Block("heading", "How to check this report"))
        blocks += [Block("para", step) for step in checking_steps(content)]
        blocks += _annex_blocks(content) if layout >= WHERE_AND_WHICH_LIBRARY else []
    else:
        blocks.append(Block("para", _checking_paragraph(content)))
    blocks.append(Block("end", END_MARKER))
    return blocks


def _header_blocks(
    content: Mapping[str, Any], layout: int, when: Callable[[str | None], str]
) -> list[Block]:
    """The report's title, a forced report's banner, and what it is: its id, who issued it,
    the case, its scope and its dates."""
    blocks = [Block("title", content["title"])]
    if content["verification"]["forced"]:
        blocks.append(Block("banner", "UNVERIFIED CHAIN OF CUSTODY: this report was forced"))
    case = content["case"]
    dates = content["dates"]
    blocks.append(
        Block(
            "kv",
            items=[
                ("Report id", content["report_id"]),
                ("Issued by", f"{content['unit']}, {content['location']}"),
                ("Case", case["case_number"] + (f" ({case['title']})" if case["title"] else "")),
                ("Scope", content["scope"]),
                ("Received", when(dates["received"])),
                ("Analysed", _analysed(dates, when)),
                ("Issued", when(dates["issued"])),
            ],
        )
    )
    return blocks


def _summary_blocks(content: Mapping[str, Any], layout: int) -> list[Block]:
    """Before any exhibit: which analyses were measured, where only some were, and the summary
    of the exhibits (layout :data:`SAID_ONCE` on, what qualifies each verdict; before, of a
    report of several exhibits, a table)."""
    blocks = []
    if layout >= WORDED_FOR_THE_READER and len(_analyses_by_provenance(content)) > 1:
        # some analyses measured, some not: said before any exhibit, as on every page
        blocks.append(Block("banner", not_measured_note(content)))
    if layout >= SAID_ONCE:  # what qualifies each verdict, before any exhibit's pages
        blocks.append(
            Block("heading", "Summary of exhibits" if len(content["exhibits"]) > 1 else "Summary")
        )
        items = []
        for exhibit in content["exhibits"]:  # one block: its keys in one column
            items += [("", "")] if items else []  # a line between exhibits
            items += exhibit_summary(exhibit, layout=layout)
        blocks.append(Block("kv", items=items))
    elif layout >= WORDED_FOR_THE_READER and len(content["exhibits"]) > 1:
        blocks.append(Block("heading", "Summary of exhibits"))
        blocks.append(
            Block(
                "table",
                headers=["Exhibit", "Description", "Verdict", "Spectrum", "Custody alerts"],
                items=[summary_row(exhibit) for exhibit in content["exhibits"]],
                keep=[0],
            )
        )
    return blocks


def _exhibit_blocks(
    exhibit: Mapping[str, Any], layout: int, when: Callable[[str | None], str]
) -> list[Block]:
    """An exhibit's heading (marked filed in error, from layout :data:`FILED_IN_ERROR`) and its
    label: what it is, its seal, where and when it was collected, received and analysed; or
    that no measurement of it is recorded."""
    label = exhibit["label"]
    in_error = layout >= FILED_IN_ERROR and exhibit.get("filed_in_error")
    heading = f"Exhibit {label['item_number']}" + (": FILED IN ERROR" if in_error else "")
    gps = label["gps"]
    blocks = [
        Block("heading", heading),
        Block(
            "kv",
            items=[
                ("Description", stated_description(label["description"])),
                ("Condition", _fmt(label["condition"])),
                (
                    ("Seal", seal_now(exhibit))
                    if layout >= SAID_ONCE
                    else ("Seal number", _fmt(label["seal_number"]))
                ),
                ("Collected by", _fmt(label["collected_by"])),
                ("Collected at", when(label["collected_at"])),
                (
                    "Collected where",
                    _fmt(label["collected_where"])
                    + (f" (GPS {gps[0]:.6f}, {gps[1]:.6f})" if gps else ""),
                ),
                ("Received", when(exhibit["dates"]["received"])),
                ("Analysed", _analysed(exhibit["dates"], when)),
            ],
        ),
    ]
    if not exhibit["analyses"]:
        blocks.append(Block("para", "No measurement of this exhibit is recorded."))
    return blocks


def _custody_blocks(
    exhibit: Mapping[str, Any], layout: int, when: Callable[[str | None], str]
) -> list[Block]:
    """An exhibit's chain of custody: a table of its hand-overs (where each took place under
    its time, from layout :data:`HAND_OVER_PLACES`, when one of them states it), each record's
    notes (layout :data:`WORDED_FOR_THE_READER` on) and who signed; or that none is
    recorded."""
    label = exhibit["label"]
    blocks = [Block("heading", f"Chain of custody: exhibit {label['item_number']}")]
    seals = seals_in_force(exhibit["custody"], label["seal_number"])  # in time order
    # where each hand-over took place, under its time, when one of them states it
    places = layout >= HAND_OVER_PLACES and any(e.get("location") for e in exhibit["custody"])
    rows = [
        [
            Stacked([when(e["event_at"]), e["location"]])
            if places and e.get("location")
            else when(e["event_at"]),
            e["released_by"],
            e["received_by"],
            e["purpose"],
            _seal(e, seal, current=layout >= 2, worded=layout >= WORDED_FOR_THE_READER),
            e["record"],
            e["record_hash"][:12],
        ]
        for e, seal in zip(exhibit["custody"], seals, strict=True)
    ]
    if not rows:
        blocks.append(Block("para", "No custody event is recorded for this exhibit."))
        return blocks
    headers = [
        "When (UTC), where" if places else "When (UTC)",
        "Released by",
        "Received by",
        "Purpose",
        "Seal",
        "Record",
        "Record hash",
    ]
    blocks.append(
        Block(
            "table",
            headers=headers,
            items=rows,
            keep=[0, 6],  # the time and the hash are read whole
        )
    )
    if layout >= WORDED_FOR_THE_READER:
        blocks += [Block("para", line) for line in custody_notes(exhibit["custody"])]
    signers = signers_line(exhibit["custody"], layout=layout)
    if signers:
        blocks.append(Block("para", signers))
    return blocks


def _correction_blocks(exhibit: Mapping[str, Any], layout: int) -> list[Block]:
    """How many of an exhibit's records a later record corrected, and each correction."""
    corrections = exhibit.get("corrections") or []
    if not corrections:
        return []
    return [
        Block(
            "para",
            f"Corrections: {len(corrections)} record"
            + (" was" if len(corrections) == 1 else "s were")
            + " corrected by a later record. The exhibit's label and custody above are "
            "as corrected; the records corrected stay in the store unchanged.",
            leads_in=True,
        ),
        *(
            Block(
                "para",
                "- "
                + (said_in_utc(correction_line(c)) if layout >= SAID_ONCE else correction_line(c)),
            )
            for c in corrections
        ),
    ]


def _limitation_blocks(content: Mapping[str, Any], layout: int) -> list[Block]:
    """The report's limitations and, from layout :data:`SAID_ONCE`, where each reference
    named comes from, once each (:func:`reference_sources`)."""
    blocks = [Block("heading", "Limitations")]
    blocks += [Block("para", "- " + limitation) for limitation in content["limitations"]]
    sources = reference_sources(content) if layout >= SAID_ONCE else []
    if sources:  # said once here, not under each analysis
        blocks.append(Block("heading", "References"))
        blocks.append(
            Block(
                "para",
                "Where each reference named in the tables above comes from, once each, by the "
                "technique it was searched with and its name, with its entry in the library:",
                leads_in=True,
            )
        )
        blocks += [Block("para", "- " + source) for source in sources]
    return blocks


def _integrity_blocks(content: Mapping[str, Any]) -> list[Block]:
    """The hashes a reader checks: each analysis's raw data, the chain and the report's
    content; and the problems the store's verification found."""
    verification = content["verification"]
    items = []
    for exhibit in content["exhibits"]:
        for number, analysis in enumerate(exhibit["analyses"], start=1):
            items.append(
                (
                    f"Raw data SHA-256 ({exhibit['label']['item_number']} #{number})",
                    analysis["raw_sha256"],
                )
            )
    items += [
        ("Chain verified", _chain_verified(verification)),
        ("Chain head", f"#{verification['chain_head_seq']} {verification['chain_head_hash']}"),
        ("Chain id", verification["chain_id"]),
        ("Report content SHA-256", content["content_sha256"]),
    ]
    blocks = [Block("heading", "Integrity"), Block("kv", items=items)]
    for problem in verification["problems"]:
        blocks.append(Block("para", "Verification problem: " + problem))
    for problem in verification.get("problems_elsewhere") or []:  # absent from earlier reports
        blocks.append(
            Block(
                "para", "Verification problem elsewhere in the store (not stated here): " + problem
            )
        )
    return blocks


def _signature_blocks(content: Mapping[str, Any], layout: int) -> list[Block]:
    """Who signed the report, with what key, the signature (from layout :data:`WHOLE_HASHES`
    as two lines of 64 hex digits, each whole), the software, and the QR code of the content's
    hash."""
    signature = content["signature"]
    value = signature["value"]
    if layout >= WHOLE_HASHES and re.fullmatch(r"[0-9a-fA-F]{128}", value):
        value = f"{value[:64]} {value[64:]}"  # two lines of 64, each whole (How to check)
    return [
        Block("heading", "Signature"),
        Block(
            "kv",
            items=[
                ("Signed by", signature["signed_by"]),
                ("Key fingerprint", signature["key_fingerprint"]),
                ("Public key", signature["public_key"]),
                ("Signature", value),
                ("Algorithm", signature["algorithm"]),
                ("Software", f"{content['software']['name']} {content['software']['version']}"),
            ],
        ),
        Block("qr", data=content["content_sha256"]),
    ]


def _annex_blocks(content: Mapping[str, Any]) -> list[Block]:
    """The annex listing the substances of each library the analyses searched
    (:func:`library_annex`), when a result lists them."""
    annex = library_annex(content)
    if not annex:
        return []
    several = len(_listed_libraries(content)) > 1
    return [
        Block(
            "heading",
            "Annex: the substances of the " + ("libraries" if several else "library") + " searched",
        ),
        Block(
            "para",
            "A substance a library does not hold cannot be identified against it: a no "
            "match says nothing of it. Each library the analyses of this report were "
            "searched against, as their results recorded it:",
            leads_in=True,
        ),
        # a library's line introduces the lists of its substances
        *(Block("para", paragraph, leads_in=paragraph.endswith(":")) for paragraph in annex),
    ]


def _checking_paragraph(content: Mapping[str, Any]) -> str:
    """How to check a report of a layout before :data:`WORDED_FOR_THE_READER`, in one
    paragraph, as it was issued (a later one has :func:`checking_steps`)."""
    return (
        "To check this report: `forensic verify-report FILE.pdf` checks the PDF on its own "
        "(it carries its signed content, an attached report.json: its hash, signature and "
        "that these pages say what it says); `forensic custody verify --store STORE "
        "--report FILE.pdf` that it is on record. Without the toolkit: save the attached "
        "report.json (a PDF reader's attachments, or `pdfdetach -save 1 FILE.pdf`); the "
        "SHA-256 of its JSON without content_sha256 and signature (keys sorted, no spaces, "
        "UTF-8 as written) must be the content SHA-256 above, in the QR code and in every "
        "footer; the signature is Ed25519 over its 32 bytes, by the public key above, whose "
        "SHA-256 is the key fingerprint."
        + (
            " Its signer (name and key fingerprint) is in that JSON, so the signature covers them."
            if "signer" in content  # earlier reports left the signer's name unsigned
            else ""
        )
    )


def checking_steps(content: Mapping[str, Any]) -> list[str]:
    """How to check a report, in numbered steps a reader who is no programmer can follow:
    the commands to run and what they must print, what each hash on the pages is the hash of
    and how to compute it, and last the recipe without the toolkit (layout 5 on).

    Parameters
    ----------
    content : mapping
        The report's signed content.

    Returns
    -------
    list of str
        One paragraph per step, each beginning with its number.
    """
    steps = [
        "Run the command: forensic verify-report FILE.pdf (FILE.pdf is this report). It must "
        "print VERIFIED. It checks the report's signature, and that every page says what "
        "its signed content says (the PDF carries that content: an attached report.json).",
        "Check that the key fingerprint it prints, and the one under Signature above, are the "
        "fingerprint the signer's laboratory published for them.",
        "To check that this report is on record in the laboratory's evidence store, the "
        "laboratory runs: forensic custody verify --store STORE --report FILE.pdf. It must "
        "end with exit status 0 and say the report is on record.",
        "To check a raw spectrum: each raw data hash under Integrity above is the SHA-256 of "
        "the spectrum file the evidence store keeps (the toolkit's own JSON spectrum file, "
        f"{_raw_formats(content)}), not of a file exported by the instrument. Ask the "
        "laboratory for the case's evidence bundle (made with: forensic bundle export CASE "
        "--out FILE.zip); the spectrum is the file raw/HASH.json in it. Compute its SHA-256: "
        "on Linux, sha256sum FILE; on macOS, shasum -a 256 FILE; on Windows, certutil "
        "-hashfile FILE SHA256. All 64 hex digits must equal the value printed.",
        "Shortened hashes: the footer of every page gives the first 16 hex digits of the "
        "report content SHA-256 (all 64 are under Integrity and in the QR code); the custody "
        "table gives the first 12 hex digits of each record's hash, and the line under it "
        "the first 16 of each signer's key fingerprint. forensic custody log CASE ITEM and "
        "forensic custody verify show them whole."
        + (
            " Each Library line gives the first 16 hex digits of the library's version; "
            "forensic library info LIB shows it whole."
            if content.get("layout", 1) >= WHERE_AND_WHICH_LIBRARY
            else ""
        )
        + (
            " No hash is broken across lines with a mark to delete: the signature's 128 hex "
            "digits are given as two lines of 64, to be copied as one, and a hash too long for "
            f"its line goes on on the next only after a multiple of {HEX_GROUP} digits."
            if content.get("layout", 1) >= WHOLE_HASHES
            else ""
        ),
        "Without the toolkit (for a programmer): save the attached report.json (a PDF "
        "reader's attachments, or pdfdetach -save 1 FILE.pdf). The SHA-256 of its JSON "
        "without the keys content_sha256 and signature "
        + (
            "(written with its keys sorted, no spaces, each number as report.json writes it, "
            "785.0 staying 785.0 and 1e-05 staying 1e-05, in UTF-8, as Python writes it: "
            "json.dumps(d, sort_keys=True, separators=(',', ':'), ensure_ascii=False); jq and "
            "JavaScript write numbers otherwise) "
            if content.get("layout", 1) >= HASHED_AS_WRITTEN
            else "(keys sorted, no spaces, UTF-8 as written) "
        )
        + "must be the report content SHA-256 above; the signature is Ed25519 over "
        "its 32 bytes, by the public key above, whose SHA-256 is the key fingerprint. Its "
        "signer (name and key fingerprint) is in that JSON, so the signature covers them.",
    ]
    return [f"{number}. {step}" for number, step in enumerate(steps, start=1)]


def _raw_formats(content: Mapping[str, Any]) -> str:
    """The media types of the report's raw spectra, as recorded (``application/vnd.forensic.
    spectrum+json``)."""
    formats = sorted(
        {
            str(analysis.get("raw_format"))
            for exhibit in content["exhibits"]
            for analysis in exhibit["analyses"]
            if analysis.get("raw_format")
        }
    )
    return "media type " + ", ".join(formats) if formats else "its media type not recorded"


def _chain_verified(verification: Mapping[str, Any]) -> str:
    """The Integrity block's answer to "did the chain verify": yes only when every record of
    the store did, not only those the report states."""
    if verification["forced"]:
        return "NO (report forced)"
    elsewhere = len(verification.get("problems_elsewhere") or [])
    if elsewhere:
        return (
            "NO: the records of this report verify, but the store's check found "
            + ("1 problem" if elsewhere == 1 else f"{elsewhere} problems")
            + " in records of other cases or exhibits (named below)"
        )
    return "yes"


def _records(analysis: Mapping[str, Any]) -> str:
    """The analysis's record numbers in the evidence store, as the scan's screen and the
    custody log name them."""
    said = f"measurement #{analysis['measurement_record']}"
    if analysis.get("result_record") is not None:
        said += f", result #{analysis['result_record']}"
    return said


def _export_line(
    instrument: dict[str, Any], when: Callable[[str | None], str] = utc_when
) -> tuple[str, str] | None:
    """The export file a measurement was read from (an instrument whose own software exports,
    ``folder:``), taken out of ``instrument``: its path, SHA-256 and time of writing, by which
    anyone holding the instrument's export can match it, and what the time of acquisition
    is when the export stated none (its time of writing); None for a spectrum that came from
    the instrument itself."""
    source = instrument.pop("source_file", None)
    sha256 = instrument.pop("source_sha256", None)
    written = instrument.pop("export_written_at", None)
    basis = instrument.pop("acquired_at_basis", None)  # as the folder driver records it
    instrument.pop("export_found_at_start", None)  # a limitation (content._limitations)
    if not source:
        return None
    line = f"{source} (SHA-256 {sha256 or 'not recorded'}" + (
        f", written {when(written)})" if written else ")"
    )
    said = (
        "when its export file was written: the export states no time"
        if basis == ACQUIRED_WHEN_WRITTEN
        else ""
    )
    return line, said


def _analysis_blocks(
    label: Mapping[str, Any],
    number: int,
    analysis: Mapping[str, Any],
    *,
    layout: int = LAYOUT_VERSION,
    explained: dict[str, str] | None = None,
) -> list:
    """An analysis's blocks; ``explained`` holds what an earlier analysis of the report
    explained (the hit table's key, the mixture fit's columns), and where, which one of layout
    :data:`SAID_ONCE` on does not explain again: it is added to where this one does."""
    explained = {} if explained is None else explained
    here = f"analysis {number} of exhibit {label['item_number']}"
    blocks = _headline_blocks(label, number, analysis, layout)
    blocks.append(_method_block(analysis, layout))
    identification = analysis["identification"]
    if identification is None:
        blocks.append(Block("para", "No identification result is recorded for this measurement."))
        return blocks
    if identification.get("hits"):
        blocks += _hit_blocks(identification, layout, here=here, explained=explained)
    if identification.get("mixture"):
        blocks += _mixture_blocks(
            identification["mixture"],
            layout,
            here=here,
            explained=explained,
            margin_min=margin_of(identification),
        )
    blocks += _warning_blocks(identification, label, layout)
    if identification.get("query"):
        blocks.append(
            Block(
                "figure",
                data={
                    **identification,
                    "query_provenance": analysis["instrument"].get("provenance")
                    if analysis["instrument"]
                    else None,
                },
            )
        )
    return blocks


def _headline_blocks(
    label: Mapping[str, Any], number: int, analysis: Mapping[str, Any], layout: int
) -> list[Block]:
    """An analysis's heading and verdict and, under them, what a no match cannot say (layout
    :data:`WHERE_AND_WHICH_LIBRARY` on), the banner of a spectrum not measured from the
    exhibit, and how sure the verdict is (its reasons and the closest reference, layout
    :data:`WORDED_FOR_THE_READER` on)."""
    blocks = [Block("heading", f"Analysis {number} of exhibit {label['item_number']}")]
    identification = analysis["identification"]
    blocks.append(Block("verdict", verdict_line(identification, layout=layout)))
    if (
        layout >= WHERE_AND_WHICH_LIBRARY
        and identification
        and identification.get("verdict") == "no_match"
    ):
        blocks.append(Block("para", _no_match_caveat(identification)))  # under the headline
    instrument = analysis["instrument"] or {}
    if not is_measured(instrument.get("provenance")):
        blocks.append(Block("banner", not_measured_banner(instrument["provenance"])))
    if layout >= WORDED_FOR_THE_READER and identification:  # how sure, under the headline
        blocks += [
            Block("para", line)
            for line in (reasons_line(identification), closest_line(identification))
            if line
        ]
    return blocks


def _method_block(analysis: Mapping[str, Any], layout: int) -> Block:
    """How the analysis was made, as a key-value block: the technique, the instrument and its
    settings, where the data come from, the acquisition's steps, when (and, layout
    :data:`WHERE_AND_WHICH_LIBRARY` on, where) it was acquired and from which export file, the
    pipeline, the library searched, the references' provenance, the raw data's hash and the
    store's records."""
    when = _when if layout >= WORDED_FOR_THE_READER else utc_when  # "UTC" said in words
    identification = analysis["identification"] or {}
    instrument = _instrument_said(analysis["instrument"], layout, when)
    export = instrument.export
    acquisition = ", ".join(step["name"] for step in analysis.get("acquisition_steps") or [])
    hits = identification.get("hits") or []
    provenances = sorted({h.get("provenance") or "unknown" for h in hits})
    return Block(
        "kv",
        items=[
            ("Method", f"{analysis['modality']} spectroscopy, library search"),
            ("Instrument", instrument.device or "-"),
            ("Instrument URL", _fmt(analysis["instrument_url"])),
            ("Settings", instrument.settings),
            ("Data provenance", instrument.provenance),
            ("Acquisition steps", acquisition or "-"),
            (
                "Acquired",
                acquired_line(analysis, when, export[1] if export else None)
                if layout >= WHERE_AND_WHICH_LIBRARY
                else f"{when(analysis['acquired_at'])} by {analysis['operator']}"
                + (f" ({export[1]})" if export and export[1] else ""),
            ),
            *([("Export file", export[0])] if export else []),
            ("Pipeline", _pipeline_said(identification.get("pipeline") or []) or "-"),
            _library_row(identification, layout),
            ("Reference provenance", ", ".join(provenances) if hits else "-"),
            ("Raw data SHA-256", analysis["raw_sha256"]),
            *([("Store records", _records(analysis))] if layout >= 2 else []),
        ],
    )


class _InstrumentSaid(NamedTuple):
    """What a method block says of the instrument a measurement records
    (:func:`_instrument_said`)."""

    device: str  # model, serial and firmware, those recorded ("" for none)
    settings: str  # its other settings, "name=value, ..." ("-" for none)
    provenance: str  # where the data come from, with a simulation's note
    export: tuple[str, str] | None  # the export file read, and when acquired (_export_line)


def _instrument_said(
    recorded: Mapping[str, Any] | None, layout: int, when: Callable[[str | None], str]
) -> _InstrumentSaid:
    """The instrument a measurement records (its ``instrument``), as a method block says it:
    its identity, the provenance of its data (a simulated spectrum with the reference it was
    made from, layout 3 on), the export file it was read from, and the settings left."""
    instrument = dict(recorded or {})
    instrument.pop("driver", None)
    model, serial, firmware = (
        instrument.pop(k, None)
        for k in ("instrument_model", "instrument_serial", "firmware_version")
    )
    provenance = instrument.pop("provenance", None) or MEASURED
    note = instrument.pop("simulation_note", None)
    simulated_from = instrument.pop("simulated_from", None)
    simulated_from_provenance = instrument.pop("simulated_from_provenance", None)
    export = _export_line(instrument, when)
    if simulated_from and (note or layout >= 3):  # which reference it was made from
        # every simulator records it, not only those that write a note (sim:ftir writes none);
        # a report of layout 1 or 2 is laid out again as it was issued
        made_from = f"made from the reference {simulated_from}" + (
            f" ({simulated_from_provenance})" if simulated_from_provenance else ""
        )
        note = f"{note}; {made_from}" if note else made_from
    device = " ".join(
        part
        for part in (
            model,
            f"serial {serial}" if serial else None,
            f"firmware {firmware}" if firmware else None,
        )
        if part
    )
    settings = (
        ", ".join(
            f"{k}={v}" for k, v in sorted(instrument.items()) if not isinstance(v, (dict, list))
        )
        or "-"
    )
    return _InstrumentSaid(device, settings, provenance + (f" ({note})" if note else ""), export)


def _pipeline_said(pipeline: Sequence[Mapping[str, Any]]) -> str:
    """A result's preprocessing steps in one line: ``name(param=value, ...)``, in order."""
    return ", ".join(
        step["name"]
        + (
            "(" + ", ".join(f"{k}={v}" for k, v in sorted((step.get("params") or {}).items())) + ")"
            if step.get("params")
            else ""
        )
        for step in pipeline
    )


def _library_row(identification: Mapping[str, Any], layout: int) -> tuple[str, str]:
    """The method block's row naming the library searched (:func:`library_line`), under the
    heading of the layout: "Library" (layout :data:`WHERE_AND_WHICH_LIBRARY` on), "Library
    searched" (layout :data:`WORDED_FOR_THE_READER`), or its version alone before."""
    if layout >= WHERE_AND_WHICH_LIBRARY:
        return ("Library", library_line(identification, layout=layout))
    if layout >= WORDED_FOR_THE_READER:
        return ("Library searched", library_line(identification, layout=layout))
    return ("Library version", _fmt(identification.get("library_version")))


def _hit_blocks(
    identification: Mapping[str, Any], layout: int, *, here: str, explained: dict[str, str]
) -> list[Block]:
    """The hit table, with what leads into it and its key (said once in a report of layout
    :data:`SAID_ONCE` on, under the first analysis that has one: ``explained["key"]``), where
    its references come from (layouts 2 to 5) and the best hit's matched peaks."""
    current = layout >= 2
    worded = layout >= WORDED_FOR_THE_READER
    hits = identification.get("hits") or []
    blocks = []
    if worded:
        blocks.append(Block("para", hits_line(identification), leads_in=True))
    blocks.append(
        Block(
            "table",
            headers=[
                "Rank",
                "Reference",
                "Score",
                "q-value",
                "Shift cm-1",
                "Provenance",
                "CAS",
                "Class",
            ],
            items=[
                [
                    h.get("rank"),
                    h.get("name"),
                    format_score(h.get("score"), h.get("q_value")) if current else h.get("score"),
                    format_q_value(h.get("q_value")),
                    _signed(h.get("shift_cm1")),
                    h.get("provenance"),
                    h.get("cas"),
                    h.get("class"),
                ]
                for h in hits
            ],
        )
    )
    if worded and layout >= SAID_ONCE and "key" in explained:  # said once
        blocks.append(Block("para", f"Key: as under the table of {explained['key']}."))
    elif worded:
        blocks.append(Block("para", HIT_TABLE_KEY))
        explained["key"] = here
    if current and layout < SAID_ONCE:  # said once, under References, from layout 6
        blocks.append(Block("para", references_line(hits, identification.get("mixture"))))
    peaks = hits[0].get("matched_peaks") or []
    unmatched = hits[0].get("unmatched_peaks") or []
    blocks.append(
        Block(
            "para",
            f"Matched peaks with {hits[0].get('name')} (measured -> reference, cm-1): "
            + (", ".join(f"{q:.0f}->{r:.0f}" for q, r in peaks) or "none")
            + ". Unmatched measured peaks: "
            + (", ".join(f"{p:.0f}" for p in unmatched) or "none")
            + ".",
        )
    )
    return blocks


def _mixture_blocks(
    mixture: Mapping[str, Any],
    layout: int,
    *,
    here: str,
    explained: dict[str, str],
    margin_min: float,
) -> list[Block]:
    """The mixture's table of components and the fit's figures, with what its columns mean
    (said once in a report of layout :data:`SAID_ONCE` on: ``explained["mixture"]``), the
    margin a part needs being the library's (``margin_min``, :func:`forensic.verdict.margin_of`)."""
    current = layout >= 2
    blocks = [
        Block(
            "table",
            headers=[
                "Mixture component",
                SHARE_OF_SIGNAL.capitalize(),
                "Score of its part",
                "q-value of its part",
                "Its part",
                "Provenance",
            ],
            items=[
                [
                    c.get("name"),
                    format_share(c.get("fraction")),
                    format_score(c.get("score"), c.get("q_value")) if current else c.get("score"),
                    format_q_value(c.get("q_value")),
                    c.get("verdict", "-"),
                    c.get("provenance"),
                ]
                for c in mixture.get("components") or []
            ],
        )
    ]
    fit = (
        f"Mixture fit: explained variance {_fmt(mixture.get('explained'))}, relative "
        f"residual {_fmt(mixture.get('residual'))}."
    )
    if layout >= SAID_ONCE and "mixture" in explained:  # its columns said once
        blocks.append(
            Block("para", f"{fit} Its columns: as explained under {explained['mixture']}.")
        )
        return blocks
    explained["mixture"] = here
    blocks.append(
        Block(
            "para",
            f"{fit} Score of its part: the spectrum less the other components, "
            "compared with the component's reference; a component is reported only when "
            "no other reference matches its part clearly better and, by the library's "
            "calibration, that match is evidence (it would not be a no match on its "
            "own). Its part is identified when it would be on its own: q-value at most "
            f"{Q_IDENTIFIED} and no other substance within {margin_min:g} of "
            "its score; "
            "the sample is identified as a mixture when every component's part is.",
        )
    )
    return blocks


def _warning_blocks(
    identification: Mapping[str, Any], label: Mapping[str, Any], layout: int
) -> list[Block]:
    """A result's warnings: each under the analysis before layout :data:`SAID_ONCE`, as the
    report states them (:func:`~forensic.identification.stated_warning`); from it, once,
    under Limitations, which this says."""
    if layout < SAID_ONCE:
        return [
            Block("para", "Warning: " + stated_warning(warning))
            for warning in identification.get("warnings") or []
        ]
    if identification.get("warnings"):  # said once, under Limitations
        return [
            Block(
                "para",
                "The warnings on this result are stated once, under Limitations (exhibit "
                f"{label['item_number']}).",
            )
        ]
    return []


def references_line(
    hits: Sequence[Mapping[str, Any]], mixture: Mapping[str, Any] | None = None
) -> str:
    """Where each reference of a result comes from: every hit's, then each mixture
    component's not among them, with the confidence of a modelled reference's band table.

    Parameters
    ----------
    hits : sequence of mapping
        The result's hits as recorded (``rank``, ``name``, ``entry_id``, ``provenance``,
        ``source``, ``band_confidence``).
    mixture : mapping, optional
        The result's mixture fit; its ``components`` (the same keys, without ``rank``) that
        are not among the hits (by ``entry_id``) are added.

    Returns
    -------
    str
        ``References: [1. Caffeine (raman-caffeine, measured): <source>] [2. ...]``;
        ``source not stated`` for a reference that states none.
    """
    references = list(hits)
    listed = {h.get("entry_id") for h in hits}
    references += [
        c for c in (mixture or {}).get("components") or [] if c.get("entry_id") not in listed
    ]
    said = [
        (f"{reference['rank']}. " if reference.get("rank") is not None else "")
        + _reference_source(reference)
        for reference in references
    ]
    return "References: " + " ".join(f"[{text}]" for text in said)


def figure_title(figure: Mapping[str, Any]) -> str:
    """The title of a result's figure (the data of a ``figure`` block): the spectrum named by
    its provenance, so a simulated one is never called measured, and what it is drawn over,
    named as the verdict names it: the best reference only when it identifies the spectrum,
    else the closest one, and a no match's says so, as does one that is chance (no usable
    signal) or compared wrongly (:attr:`forensic.identification.Identification.unusable`).

    Parameters
    ----------
    figure : mapping
        The result (``verdict``, ``best_reference``, ``mixture``, ``signal_to_noise``,
        ``unusable``) with ``query_provenance``, the spectrum's provenance (None: measured).

    Returns
    -------
    str
        e.g. ``Measured spectrum and best reference``, ``Simulated spectrum and closest
        reference (no match)``, ``Measured spectrum and mixture fit``.
    """
    spectrum = f"{(figure.get('query_provenance') or 'measured').capitalize()} spectrum"
    if (figure.get("mixture") or {}).get("spectra"):
        return f"{spectrum} and mixture fit"
    if figure.get("best_reference"):
        verdict = figure.get("verdict")
        if verdict == "identified":
            return f"{spectrum} and best reference"
        signal = figure.get("signal_to_noise")
        if signal is not None and signal < MIN_SIGNAL_TO_NOISE:
            return f"{spectrum} and closest reference (by chance: no usable signal)"
        if figure.get("unusable"):
            return f"{spectrum} and closest reference (compared wrongly: see the warnings)"
        return f"{spectrum} and closest reference" + (
            " (no match)" if verdict == "no_match" else ""
        )
    return spectrum


MARKED_BREAKS = 5
"""The first layout version (:data:`LAYOUT_VERSION`) that breaks a word too long for its line
(a name, a seal or case number, a hash) only after a hyphen or a slash where it can, and marks
a break it must make anywhere else with :data:`CONTINUED` (:func:`wrap_to_width` with
``marked``): a number copied from paper must not lose or gain characters at an unmarked break.
Earlier reports broke it where the line was full, unmarked, and are wrapped so again."""

CONTINUED = "↩"
"""Ends a line where a word is broken that goes on on the next (layout :data:`MARKED_BREAKS`
on): a character no identifier holds, in both of the report's fonts."""

_BREAKS_AFTER = "-/"


def wrap(text: str, width: int, *, marked: bool = False, hashes: bool = False) -> list[str]:
    """Wrap a paragraph to ``width`` characters; long unbroken tokens (hashes) are split too:
    where the line is full, or, ``marked``, after a hyphen or slash where possible and else
    with :data:`CONTINUED` at the end of the line, a hex digest (``hashes``) only after a
    multiple of :data:`HEX_GROUP` digits (:func:`wrap_to_width`).

    Parameters
    ----------
    text : str
        The paragraph.
    width : int
        The most characters a line may hold.
    marked : bool, default False
        Break long words as layout :data:`MARKED_BREAKS` does, marking a break inside one.
    hashes : bool, default False
        With ``marked``, break a hex digest as layout :data:`WHOLE_HASHES` does: only after
        a multiple of :data:`HEX_GROUP` digits, unmarked.

    Returns
    -------
    list of str
        The lines, at least one (``[""]`` for an empty paragraph).
    """
    if marked:
        return wrap_to_width(text, width, len, marked=True, hashes=hashes)
    return textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False) or [""]


def wrap_to_width(
    text: str,
    width: float,
    measure: Callable[[str], float],
    *,
    marked: bool = False,
    hashes: bool = False,
) -> list[str]:
    """Wrap a paragraph so that no line is wider than ``width`` as ``measure`` draws it.

    A count of characters does not fit a proportional font: a line of capitals or digits is
    far wider than one of small letters. Words are kept whole where they fit on a line; a
    word wider than a line (a hash, a file path) fills the line it starts on and breaks
    where the line is full. Runs of whitespace are one space.

    Parameters
    ----------
    text : str
        The paragraph.
    width : float
        The widest a line may be, in the unit of ``measure`` (points for the PDF).
    measure : callable
        The drawn width of a line of text, in that unit.
    marked : bool
        Break a word wider than a line only after one of its hyphens or slashes where one
        fits, and elsewhere with :data:`CONTINUED` ending the line (layout
        :data:`MARKED_BREAKS` on), never silently inside it.
    hashes : bool
        With ``marked``: break a hex digest (32 hex digits or more) wider than a line only
        after a multiple of :data:`HEX_GROUP` of its digits, unmarked (layout
        :data:`WHOLE_HASHES` on): a mark would have to be deleted to copy it, and the rule is
        stated on the report's last page.

    Returns
    -------
    list of str
        The lines, at least one (``[""]`` for an empty paragraph).
    """
    if marked:
        return _wrap_marked(text, width, measure, hashes=hashes)
    lines: list[str] = []
    line = ""
    for word in text.split():
        joined = f"{line} {word}" if line else word
        if measure(joined) <= width:
            line = joined
            continue
        if measure(word) <= width:  # it fits on a line of its own
            lines.append(line)
            line = word
            continue
        rest = word  # too wide for any line: break it where each line is full
        if line:
            line += " "
        while True:
            fits = _fitting(line, rest, width, measure)
            if fits == len(rest):
                line += rest
                break
            if fits == 0 and not line:  # not even one character fits: draw it anyway
                fits = 1
            if fits:
                lines.append(line + rest[:fits])
            else:
                lines.append(line.rstrip())
            line, rest = "", rest[fits:]
    lines.append(line)
    return [line for line in lines if line] or [""]


def _fitting(line: str, word: str, width: float, measure: Callable[[str], float]) -> int:
    """How many of ``word``'s first characters fit after ``line`` within ``width``."""
    low, high = 0, len(word)  # the drawn width grows with each character added
    while low < high:
        middle = (low + high + 1) // 2
        if measure(line + word[:middle]) <= width:
            low = middle
        else:
            high = middle - 1
    return low


_HEX_DIGEST = re.compile(r"([^0-9a-fA-F]*)([0-9a-fA-F]{32,})\W*")
"""A word that is a hex digest, perhaps between brackets or before a comma."""


_HEX_REST = re.compile(r"([^0-9a-fA-F]*)([0-9a-fA-F]+)\W*")
"""What is left of a hex digest (:data:`_HEX_DIGEST`) once its first lines are taken."""


def _hex_break(word: str, fits: int) -> int:
    """Where to break what is left of a hex digest (:data:`_HEX_REST`) of which ``fits``
    characters fit a line: after the most digits that are a multiple of :data:`HEX_GROUP`
    and fit; 0 where not even one group fits."""
    found = _HEX_REST.fullmatch(word)
    if found is None:
        return 0
    before = len(found.group(1))
    groups = min(fits - before, len(found.group(2)) - 1) // HEX_GROUP
    return before + groups * HEX_GROUP if groups > 0 else 0


def _wrap_marked(
    text: str, width: float, measure: Callable[[str], float], *, hashes: bool = False
) -> list[str]:
    """:func:`wrap_to_width` with ``marked``: words that fit a line kept whole, a longer one
    broken after its last hyphen or slash that fits, or with :data:`CONTINUED`; a hex digest,
    with ``hashes``, after a multiple of :data:`HEX_GROUP` digits that fits."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        joined = f"{line} {word}" if line else word
        if measure(joined) <= width:
            line = joined
            continue
        if line:
            lines.append(line)
            line = ""
        rest = word
        digest = hashes and _HEX_DIGEST.fullmatch(word) is not None
        while measure(rest) > width:
            fits = _fitting("", rest, width, measure)
            at = _hex_break(rest, fits) if digest else 0
            if at:  # unmarked, after whole groups of digits
                lines.append(rest[:at])
                rest = rest[at:]
                continue
            at = max(rest.rfind(mark, 0, fits) for mark in _BREAKS_AFTER) + 1
            if at <= 0:  # no hyphen or slash fits: break inside the token, marked
                at = max(1, _fitting("", rest, width - measure(CONTINUED), measure))
                lines.append(rest[:at] + CONTINUED)
            else:
                lines.append(rest[:at])
            rest = rest[at:]
        line = rest
    lines.append(line)
    return [line for line in lines if line] or [""]
