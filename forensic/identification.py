"""Identification: a spectrum in, a verdict with its evidence out.

:func:`identify` runs the library's own pipeline on the query, scores it against every
reference of its modality in one matrix pass (:mod:`forensic.search`), aligns the best
candidates peak by peak (:func:`forensic.alignment.align`) and re-scores them, attaches a
q-value from the library's target-decoy calibration and a verdict
(:func:`forensic.verdict.decide`), and, when the best single reference leaves structured
residual, fits a mixture of the top candidates and of what the search of that residual
nominates (:func:`forensic.mixtures.fit_mixture`).

The result, :class:`Identification`, is the only thing reports and the custody store consume;
:meth:`Identification.to_dict` is JSON-serialisable and :meth:`Identification.from_dict`
inverts it.
"""

from __future__ import annotations

import numbers
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from forensic import alignment
from forensic import mixtures as mixture_fit
from forensic import verdict as verdicts
from forensic.errors import (
    ForensicError,
    GridCoverageError,
    IdentificationError,
    OutOfRangeError,
)
from forensic.library import NOT_PUBLISHED, SHIFT_SEARCH_METHOD, Library, substance_key
from forensic.library_folders import shipped_library
from forensic.modelled import source_confidence
from forensic.processing import (
    grid_range,
    linear_from_representation,
    linear_from_spectrum,
    remove_spikes,
    representation_from_linear,
    smooth_as_representation,
    split_representation,
)
from forensic.quality import (
    IR_AXIS_IN_UM,
    Problem,
    UnitLabelDoubt,
    axis_unit_problem,
    comparison_problems,
    diagnose_clipped,
    spectrum_atmospheric_co2,
    spectrum_signal_to_noise,
    unit_label_doubt,
)
from forensic.search import (
    SHIFT_SEARCH_CM1,
    Hit,
    best_first,
    cosine,
    mask_to_ranges,
    range_share,
    score_batch,
    score_moves,
    score_query,
    shift_steps,
    top_hits,
)
from forensic.spectrum import (
    IR_UNITS,
    MEASURED,
    Spectrum,
    is_measured,
    made_by,
    transmittance_scale,
)

__all__ = [
    "LISTED_SUBSTANCES_MAX",
    "MODELLED_WARNING",
    "OLD_CALIBRATION_WARNING",
    "PARTIAL_UNCALIBRATED_WARNING",
    "RERANK_CANDIDATES",
    "SIMULATED_WARNING",
    "Identification",
    "comparison_row",
    "identify",
    "library_named",
    "low_confidence_statements",
    "not_measured_warning",
    "quick_search",
    "quick_search_batch",
    "reference_confidence",
    "reference_warning",
    "stated_warning",
    "verdict_qualifier",
]

MODELLED_WARNING = (
    "modelled reference: not measured from a sample but modelled from a band table, so its "
    "band positions and relative intensities are approximate"
)
"""The warning on a result that names a modelled reference (the best hit, or a component)."""
SIMULATED_WARNING = (
    "simulated reference: not measured from a sample but made by an instrument simulator, so "
    "a match with it is no evidence of what the sample is"
)
"""The warning on a result that names a simulated reference (the best hit, or a component)."""
_MODELLED_ADVICE = "confirm the result against a measured reference library"


def reference_warning(provenance: str) -> str:
    """The warning on a result that names a reference not measured from a sample
    (:func:`forensic.spectrum.is_measured` false), in the words of its provenance.

    Parameters
    ----------
    provenance : str
        The reference's ``provenance``: ``"modelled"`` gives :data:`MODELLED_WARNING`,
        ``"simulated"`` :data:`SIMULATED_WARNING`; one the toolkit does not know says so.

    Returns
    -------
    str
        The warning, a fact (what to do about it is advice).
    """
    if provenance == "modelled":
        return MODELLED_WARNING
    if provenance == "simulated":
        return SIMULATED_WARNING
    return (
        f"reference of provenance {provenance!r}: not stated to be measured from a sample, so "
        "its band positions and relative intensities may not be a sample's"
    )


def reference_confidence(reference: Mapping[str, Any]) -> str | None:
    """The confidence (high, medium, low) of the band table a hit's or mixture component's
    modelled reference was made from; None for a measured one, or one that does not say.

    Results recorded before hits carried ``band_confidence`` state it in the reference's
    ``source`` (:func:`forensic.modelled.source_confidence`).

    Parameters
    ----------
    reference : mapping
        A hit or mixture component as recorded (its ``provenance``, ``band_confidence`` and
        ``source``).

    Returns
    -------
    str or None
        ``"high"``, ``"medium"`` or ``"low"``; None for a reference that is not modelled, or
        that states no confidence.
    """
    if reference.get("provenance") != "modelled":
        return None
    return reference.get("band_confidence") or source_confidence(reference.get("source"))


def low_confidence_statements(identification: Mapping[str, Any]) -> list[str]:
    """For each substance an identified result names (identified, or possibly present) on a
    modelled reference whose band table is of low confidence: that in plain words.

    Parameters
    ----------
    identification : mapping
        A result as recorded (:meth:`Identification.to_dict`): ``verdict``, ``hits`` and
        ``mixture``; results recorded before hits carried ``band_confidence`` are read from
        their source (:func:`reference_confidence`).

    Returns
    -------
    list of str
        One statement per such substance, a fact for the result's warnings and a report's
        limitations.
    """
    hits = identification.get("hits") or []
    if identification.get("verdict") != "identified" or not hits:
        return []
    components = (identification.get("mixture") or {}).get("components") or []
    named, possible = verdicts.identified_substances(hits[0]["name"], components)
    # a component recorded before components named their source: its hit's, if ranked
    by_id = {h.get("entry_id"): h for h in hits}
    references = {c["name"]: {**by_id.get(c.get("entry_id"), {}), **c} for c in components}
    references[hits[0]["name"]] = hits[0]
    said = []
    for name in [*named, *possible]:
        reference = references.get(name)
        if reference is None or reference_confidence(reference) != "low":
            continue
        how = "identified" if name in named else "named as possibly present"
        said.append(
            f"{name} is {how} by a match with a modelled reference ({reference.get('entry_id')}) "
            "whose band table is rated low confidence: its band positions and intensities may "
            "be wrong, not only approximate, so the match is weaker evidence than its score and "
            f"q-value suggest, and it needs a measured reference of {name} to be relied on."
        )
    return said


def not_measured_warning(provenance: str) -> str:
    """The warning on a result whose query spectrum no instrument measured from a sample
    (:func:`forensic.spectrum.is_measured` false).

    Parameters
    ----------
    provenance : str
        The query's provenance (``"modelled"``, ``"simulated"``, or one the toolkit does not
        know).

    Returns
    -------
    str
        The warning, naming the provenance in capitals and what made the spectrum.
    """
    return (
        f"the spectrum is {str(provenance).upper()} (made by {made_by(provenance)}), not measured "
        "from a sample: this result has no evidential value"
    )


def _resting_on(identification: Mapping[str, Any] | None) -> str | None:
    """What an identification rests on when a reference it names (identified or possibly
    present) was not measured from a sample: ``rests on a modelled reference (band table of
    low confidence)``; None for one that names only measured references, or names none."""
    hits = (identification or {}).get("hits") or []
    if not identification or identification.get("verdict") != "identified" or not hits:
        return None
    components = (identification.get("mixture") or {}).get("components") or []
    named, possible = verdicts.identified_substances(hits[0]["name"], components)
    by_name = {c.get("name"): c for c in components}
    by_name[hits[0]["name"]] = hits[0]
    resting = [
        by_name[name]
        for name in [*named, *possible]
        if name in by_name and not is_measured(by_name[name].get("provenance"))
    ]
    if not resting:
        return None
    provenances = " and ".join(sorted({str(r.get("provenance")) for r in resting}))
    low = any(reference_confidence(r) == "low" for r in resting)
    return (
        f"rests on a {provenances} reference"
        if len(resting) == 1
        else f"rests on {provenances} references"
    ) + (" (band table of low confidence)" if low else "")


def verdict_qualifier(identification: Mapping[str, Any] | None, provenance: str | None) -> str:
    """What qualifies a verdict, said right under it: in a report's summary on page 1, and on
    the screen of every command that shows a result (``scan``, ``identify``, ``exhibit
    identify``), so that a verdict is never read without it.

    Parameters
    ----------
    identification : mapping or None
        The result (``Identification.to_dict()``, or as recorded); None for an analysis that
        did not finish.
    provenance : str or None
        The provenance of the spectrum identified (its metadata's, or the measurement
        record's instrument's); None or ``"measured"`` for a measurement.

    Returns
    -------
    str
        Whether the spectrum was measured and, for an identification that names a reference
        not measured from a sample, what it rests on: ``measured spectrum``, or ``simulated
        spectrum: no evidential value; rests on a modelled reference (band table of low
        confidence)``.
    """
    said = [
        "measured spectrum"
        if is_measured(provenance)
        else f"{provenance} spectrum: no evidential value"
    ]
    resting = _resting_on(identification)
    if resting:
        said.append(resting)
    return "; ".join(said)


def library_named(library: Library | Mapping[str, Any]) -> str:
    """The library answers come from, by its name and its standing: whether it is a version
    the lab (or the toolkit's release) published, and when it was published, or built.

    The one wording: ``forensic identify``, ``forensic scan`` and ``forensic exhibit identify``
    print it once (``library: ...``), and a report's Library line opens with it
    (:func:`forensic.report.layout.library_line`, which adds what the library holds and its
    version).

    Parameters
    ----------
    library : Library or mapping
        The library identified against (its :attr:`~forensic.library.Library.name`,
        ``built_at``, ``approval`` and ``standing``), or a result as recorded
        (:meth:`Identification.to_dict`: its ``library_name``, ``library_built_at`` and
        ``library_approval``).

    Returns
    -------
    str
        e.g. ``forensic shipped library, published 2026-11-22 with forensic 0.12.0``, ``Lab
        Raman 2026, published 2026-11-24, approved by Dr. A. Chemist (key 0123456789abcdef)``
        or ``Lab Raman 2026, built 2026-11-20, not a published version``; without a standing
        (a library made in memory, that no one checked) its build date alone. What a result
        recorded before it was kept does not state is said to be not recorded (``name and
        build date not recorded``).
    """
    if isinstance(library, Library):
        name, built_at, approval = library.name, library.built_at, _approval(library)
    else:
        name = library.get("library_name")
        built_at = library.get("library_built_at")
        approval = library.get("library_approval")
    built = _built_on(built_at)
    # a published version says when it was published, in place of the build date
    if approval and approval != NOT_PUBLISHED:
        said = [name or "name not recorded", str(approval)]
    elif name or built:
        said = [
            name or "name not recorded",
            f"built {built}" if built else "build date not recorded",
        ]
    else:
        said = ["name and build date not recorded"]
    if approval == NOT_PUBLISHED:
        said.append(NOT_PUBLISHED)
    return ", ".join(said)


def _approval(library: Library) -> str | None:
    """A library's standing as a result records it (``library_approval``): who approved it
    (:attr:`~forensic.library.Library.approval`), :data:`forensic.library.NOT_PUBLISHED` for a
    library whose standing was checked and found wanting, None for one no one checked."""
    return library.approval or (NOT_PUBLISHED if library.standing else None)


def _built_on(built_at: Any) -> str | None:
    """The day a library was built (UTC), from its recorded build time or date."""
    if not built_at:
        return None
    text = str(built_at)
    return text[:10] if re.match(r"\d{4}-\d{2}-\d{2}", text) else text


OLD_CALIBRATION_WARNING = (
    "this library's q-values were calibrated by an older method, without the shift search, "
    "and may be optimistic"
)
PARTIAL_UNCALIBRATED_WARNING = (
    "this library was calibrated before comparisons of part of a reference's range were: the "
    "best hit's q-value is not calibrated, as the spectrum compares only part of its reference"
)
_OLD_CALIBRATION_ADVICE = "rebuild the library (forensic library build) to recalibrate it"
_UNAPPROVED_LIBRARY_ADVICE = (
    "identify against the library the lab published, or have this one validated and published "
    "(forensic library validate, forensic library publish)"
)

# What results recorded before warnings and advice were kept apart (toolkit 0.2.0, as worded
# then) appended to their warnings for the technician: the append-only, hashed records keep
# them as they are, and stated_warning states such a warning without them.
_ADVICE_BEFORE = (
    " (convert with Spectrum.from_wavelength)",
    ": export it against Raman shift or wavenumber in cm-1 and identify it again",
    " (convert it to absorbance, log10(1/R), or Kubelka-Munk in the instrument's software)",
    " (export the sample's absorbance or transmittance, or state the unit with --y-unit if it "
    "is one)",
    ": identify the spectrum in absorbance or transmittance",
    ". Check that the sample is in the beam, the laser or source is on and the exposure long "
    "enough, then measure again",
    ". Measure again with a shorter exposure or lower laser power (Raman), or less sample (IR)",
    ". Measure a fresh background, then the sample again",
    ": state the unit (forensic identify --y-unit)",
    ": check its calibration with a standard (polystyrene, silicon)",
    ": rebuild the library (forensic library build) to recalibrate",
    "; confirm or exclude it by another technique",
    "; have the instrument's calibration checked",
)
_MODELLED_WARNING_BEFORE = "modelled reference: confirm against a measured library"


def stated_warning(warning: str) -> str:
    """A recorded warning as a report states it: the fact alone.

    Results recorded before warnings and advice were kept apart (toolkit 0.2.0) appended to
    some warnings what the technician should do ("... Measure a fresh background, then the
    sample again"); the records keep them as they are, and this leaves those instructions out,
    as a result recorded since has them only in its advice, on the technician's screen. A
    warning recorded since is returned as it is.

    Parameters
    ----------
    warning : str
        A warning as recorded.

    Returns
    -------
    str
        The warning without the instructions appended before 0.2.0.
    """
    if warning == _MODELLED_WARNING_BEFORE:
        return MODELLED_WARNING
    for advice in _ADVICE_BEFORE:
        warning = warning.replace(advice, "")
    return warning


RERANK_CANDIDATES = 10
"""How many of the best substances are aligned and re-scored before the final ranking."""
SHIFT_CANDIDATES = 5
"""How many substances the shifted search adds to the candidates (when new)."""
SHIFT_GAIN_MIN = 0.1
"""...only when shifted it scores this much above the best unshifted candidate: a calibrated
instrument's query is not second-guessed, a miscalibrated one's is rescued. Without this
condition RRUFF Raman moved +-8 cm-1 gains about a point, but measured ENFSI IR spectra against
the shipped modelled references (whose band positions are a few cm-1 off) lose ketamine, a weak
match that goes to a substance only the moved query nominated (23 -> 22 of 27; before the IR
comparison compressed band heights, xylazine too: 24 -> 22)."""
ALIGNMENT_GAIN_CAP = 0.05
"""A re-score after peak alignment counts at most this much above the candidate's best score
at a rigid whole-step shift (within SHIFT_SEARCH_CM1)."""
MOVE_FREE_CM1 = 2.0
"""How far (cm-1) peak alignment may move a reference away from the query's axis offset (0
unless the shift search found one) before its re-score pays :data:`MOVE_COST_PER_CM1`."""
MOVE_COST_PER_CM1 = 0.006
"""The re-score's cost per cm-1 of move beyond :data:`MOVE_FREE_CM1`: an instrument's axis is
one offset for every band and every reference, so a candidate that needs a move of its own
(8 cm-1 costs 0.036) is less likely the substance. It replaced an accidental cost (the re-score
counted the points a move leaves without reference data as zeros), which fell on some
references and not others. Measured against the code before both changes (mean of 6 RRUFF
splits): as measured, Raman 0.861 -> 0.857 and IR 0.882 unchanged; with the axis moved
+-8 cm-1, Raman 0.823 -> 0.828 and IR 0.846 -> 0.850; moved +-4 cm-1 (too little to be called
an offset), Raman 0.848 -> 0.842 and IR 0.854 -> 0.850; the ENFSI drugs moved +8 cm-1, 103 ->
104 of 104 (LSD). A wash on RRUFF, a gain on the drugs and the ENFSI check; the flips are
near-ties. Chosen among 0.003 to 0.01 and 2 to 4 cm-1 on the RRUFF dev spectra; measuring the
move from the whole-step move at which the query best matches the library, instead of the
detected offset, did not help (benchmarks/HISTORY.md)."""
AXIS_OFFSET_MIN_CM1 = 4.0
AXIS_OFFSET_GAIN_MIN = 0.2
"""When the query moved by at least AXIS_OFFSET_MIN_CM1 scores more than AXIS_OFFSET_GAIN_MIN
above anything it scores as measured, its axis is taken to be off by that much: the candidates
are those of the moved query, and the result says so. On RRUFF Raman moved +-8 cm-1 this lifts
top-1 from 0.784 to 0.805 (every sample as query) and leaves unmoved queries as they were (a
gain that large at a move that large does not happen by chance there)."""
MIXTURE_CANDIDATES = 40
"""How many of the best substances a mixture may be made of (at most 4 are kept)."""
RESIDUAL_CANDIDATES = 10
"""How many more substances the search of the residual may add to the mixture's candidates
(:func:`_residual_candidates`)."""
LISTED_SUBSTANCES_MAX = 300
"""The most substances of one modality a result lists by name
(:attr:`Identification.library_substance_names`), for the annex of its report: about two
pages. The shipped library holds 49 Raman and 48 IR substances; a library of thousands would
make every recorded result, and every report, that much longer, and is listed by ``forensic
library list``."""
OTHER_UNIT_GAIN_MIN = 0.1
"""How much higher an IR query's best hit must score read in the other of absorbance and
transmittance than as its unit says, that match being evidence on its own, for the unit to be
taken as wrong (:func:`_other_unit_problem`): what :data:`SHIFT_GAIN_MIN` asks of a moved query,
not chosen on the measurements. Of the 400 RRUFF IR spectra all taken as absorbance, the one
whose other reading is evidence at all (greenockite) gains 0.086 by it; of the 104 ENFSI drugs
read in the wrong unit, 60 are caught at this gain and 60 at none."""


@dataclass
class Identification:
    """The answer to one query (see ``to_dict`` for the JSON form).

    Attributes
    ----------
    verdict : str
        ``"identified"``, ``"inconclusive"`` or ``"no_match"``: of the best hit
        (:func:`forensic.verdict.decide`), or ``"identified"`` as a mixture when every
        component's part is (:func:`forensic.verdict.decide_mixture`). Decided on the values
        as this result records them (scores, q-values and signal-to-noise rounded once, before
        the verdict), so that the thresholds applied to the record give the same verdict.
    reasons : list of str
        Why, in words.
    modality : str
    hits : list of dict
        Ranked, one per substance: ``rank, name, entry_id, score, q_value, shift_cm1, stretch,
        matched_peaks, unmatched_peaks, provenance, cas, class`` and more. ``score`` is after
        peak alignment; ``search_score`` is the cosine before it (of the query moved by the
        axis offset, when the warnings say one was found).
    mixture : dict or None
        ``{"components": [{"name", "fraction", "score", "q_value", "margin", "verdict",
        "entry_id", "provenance"}], "residual", "explained", "single_best_residual",
        "spectra"}`` when two or more components explain the query significantly better and
        each is evidenced (``score``: how well what the fit attributes to it, its part, matches
        it; ``q_value``: that match's, None without a calibration; ``margin``: by how much its
        part prefers it to any other substance; ``verdict``: ``"identified"`` or
        ``"inconclusive"``, :func:`forensic.verdict.decide_component`). ``spectra`` holds
        ``wavenumber`` (as ``query``), the ``fit`` (components plus smooth baseline) and each
        component's part of it (``components``, in the order above), for the figure of the fit.
    warnings : list of str
        What casts doubt on this result, as facts: what is wrong with the measurement, the
        library or the match, and what that means for the result. Recorded with the result and
        listed in the report's limitations.
    advice : list of str
        What the technician can do about the warnings (measure again, check the instrument's
        calibration, state a unit...), one instruction for each warning that has one: the
        acquisition's own (``metadata["acquisition_advice"]``), then in the order of the
        warnings. For the technician's screen (and ``forensic identify --json``) only: a recorded
        result leaves it out (:meth:`forensic.custody.Store.add_result`), and no report
        states it.
    pipeline : list of dict
        The preprocessing steps, ``[{"name", "params"}, ...]``.
    library_version : str
    signal_to_noise : float or None
        How far the query's strongest band rises above its noise, in noise standard deviations
        (:func:`forensic.quality.spectrum_signal_to_noise`); below
        :data:`forensic.verdict.MIN_SIGNAL_TO_NOISE` the verdict is ``inconclusive`` (no usable
        signal). None in results recorded before it was kept.
    unusable : str or None
        Why the query's comparison with the library means nothing, in a few words ("the axis
        is not in cm-1", "the spectrum is upside down"; see the warnings): the verdict is then
        ``inconclusive``, neither identifying nor excluding a substance. None when the
        comparison stands, and in results recorded before it was kept.
    timings_ms : dict of str to float
    query : dict
        ``{"wavenumber": [...], "intensity": [...]}``: the preprocessed query on the library
        grid (baseline-corrected, scaled to a maximum of 1), over its measured range.
    best_reference : dict or None
        The best hit's reference on the same grid, aligned onto the query.
    library_substances : dict of str to int or None
        How many substances the library searched holds for each modality (``{"raman": 61,
        "ir": 40}``); None in results recorded before it was kept.
    library_name, library_built_at : str or None
        What the library searched is called and when it was built
        (:attr:`forensic.library.Library.name`, ``built_at``); None for a library that
        records neither, and in results recorded before they were kept.
    library_approval : str or None
        Whether the library searched is a published version, in words a report prints
        (:attr:`forensic.library.Library.approval`: ``published 2026-11-24, approved by
        Dr. A. Chemist (key 0123456789abcdef)``, or the shipped library's ``published
        2026-11-22 with forensic 0.12.0``), or :data:`forensic.library.NOT_PUBLISHED` for a
        library whose standing was checked and found wanting (its warnings say why). None
        for a library no one checked (made in memory), and in results recorded before it
        was kept.
    library_substance_names : dict of str to list of str, or None
        The substances the library searched holds for each modality, one name each, sorted
        (:meth:`forensic.library.Library.substance_names`), for a report to list what a no
        match was searched against; a modality of more than :data:`LISTED_SUBSTANCES_MAX`
        substances is left out (its count is in ``library_substances``). None in results
        recorded before it was kept.
    margin_min : float or None
        The margin over the best different substance the verdict needed: the library's own
        (:attr:`forensic.verdict.Calibration.margin_threshold`), which a report prints with
        the verdict rule (:func:`forensic.verdict.margin_of`). None in results recorded before
        it was kept (they were decided at :data:`forensic.verdict.MARGIN_MIN`).
    """

    verdict: str
    modality: str
    hits: list[dict[str, Any]]
    library_version: str
    pipeline: list[dict[str, Any]]
    reasons: list[str] = field(default_factory=list)
    mixture: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)
    advice: list[str] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    query: dict[str, list[float]] = field(default_factory=dict)
    best_reference: dict[str, list[float]] | None = None
    signal_to_noise: float | None = None
    unusable: str | None = None
    library_substances: dict[str, int] | None = None
    library_name: str | None = None
    library_built_at: str | None = None
    library_substance_names: dict[str, list[str]] | None = None
    library_approval: str | None = None
    margin_min: float | None = None

    @property
    def best(self) -> dict[str, Any] | None:
        """The first hit, or None."""
        return self.hits[0] if self.hits else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (the schema agreed for reports and the custody store).

        Returns
        -------
        dict
            Every attribute under its own name (copies, not the result's own lists and
            dicts); :meth:`from_dict` makes the result again from it, equal to this one.
        """
        return {
            "verdict": self.verdict,
            "reasons": list(self.reasons),
            "modality": self.modality,
            "hits": [dict(h) for h in self.hits],
            "mixture": None if self.mixture is None else dict(self.mixture),
            "warnings": list(self.warnings),
            "advice": list(self.advice),
            "pipeline": [dict(p) for p in self.pipeline],
            "library_version": self.library_version,
            "library_substances": (
                None if self.library_substances is None else dict(self.library_substances)
            ),
            "library_name": self.library_name,
            "library_built_at": self.library_built_at,
            "library_approval": self.library_approval,
            "library_substance_names": (
                None
                if self.library_substance_names is None
                else {m: list(names) for m, names in self.library_substance_names.items()}
            ),
            "signal_to_noise": self.signal_to_noise,
            "unusable": self.unusable,
            "timings_ms": dict(self.timings_ms),
            "query": dict(self.query),
            "best_reference": None if self.best_reference is None else dict(self.best_reference),
            "margin_min": self.margin_min,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Identification:
        """Inverse of :meth:`to_dict`.

        Parameters
        ----------
        data : mapping
            As :meth:`to_dict` gives it, or as a custody store or an older version recorded
            it: the fields added since (``signal_to_noise``, ``unusable``, the library's name,
            date, standing and substances...) may be missing, and are then None or empty.

        Returns
        -------
        Identification
        """
        return cls(
            verdict=data["verdict"],
            reasons=list(data.get("reasons", [])),
            modality=data["modality"],
            hits=[dict(h) for h in data.get("hits", [])],
            mixture=None if data.get("mixture") is None else dict(data["mixture"]),
            warnings=list(data.get("warnings", [])),
            advice=list(data.get("advice", [])),
            pipeline=[dict(p) for p in data.get("pipeline", [])],
            library_version=data.get("library_version", ""),
            library_substances=(
                None if data.get("library_substances") is None else dict(data["library_substances"])
            ),
            library_name=data.get("library_name"),
            library_built_at=data.get("library_built_at"),
            library_approval=data.get("library_approval"),
            library_substance_names=(
                None
                if data.get("library_substance_names") is None
                else {m: list(n) for m, n in data["library_substance_names"].items()}
            ),
            signal_to_noise=data.get("signal_to_noise"),
            unusable=data.get("unusable"),
            timings_ms=dict(data.get("timings_ms", {})),
            query=dict(data.get("query", {})),
            best_reference=(
                None if data.get("best_reference") is None else dict(data["best_reference"])
            ),
            margin_min=data.get("margin_min"),
        )


def identify(
    spectrum: Spectrum, library: Library | None = None, *, top: int = 5, mixtures: bool = True
) -> Identification:
    """Identify the substance(s) in a spectrum against a reference library.

    Parameters
    ----------
    spectrum : Spectrum
        The query, as measured: the library's pipeline is applied to it (it may have had
        spikes removed, been resampled or baseline-corrected already; not been through the
        pipeline's ``compress_intensity`` or ``derivative``, refused).
    library : Library, optional
        Defaults to the library shipped with the toolkit (:func:`shipped_library`).
    top : int, default 5
        Number of hits (substances) to report.
    mixtures : bool, default True
        Try a mixture fit when the best single reference leaves structured residual.

    Returns
    -------
    Identification

    Raises
    ------
    IdentificationError
        When ``top`` is below 1, the library has no reference of the query's modality, the
        query has already been through the pipeline's ``compress_intensity`` or
        ``derivative``, cannot be put on the library grid or is flat after preprocessing, or
        no reference overlaps it enough to be compared.
    LibraryError
        When no ``library`` is given and the shipped one cannot be compiled
        (:func:`forensic.library_folders.shipped_library`).
    TypeError
        When ``spectrum`` is not a :class:`~forensic.spectrum.Spectrum`, ``library`` not a
        :class:`~forensic.library.Library` (a path: open it with :meth:`Library.load`), or
        ``top`` not a whole number.
    """
    _check_arguments(spectrum, library, top)
    if top < 1:
        raise IdentificationError(f"top must be at least 1, got {top}")
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    if library is None:
        library = shipped_library()
        timings["library_load"] = _ms(t0)
    block = _block_for(spectrum, library)
    substances = library.substances(spectrum.modality)

    t = time.perf_counter()
    prepared = _prepare(spectrum, block)
    timings["preprocess"] = _ms(t)

    t = time.perf_counter()
    found = _search(
        spectrum, prepared, block, substances, top, ranks=library.entry_ranks(spectrum.modality)
    )
    timings["search"] = _ms(t)

    t = time.perf_counter()
    q_linear = _query_linear(prepared, block)
    rescored = _rescore(
        block,
        _rerank_pool(found, substances),
        query=prepared.row,
        q_linear=q_linear,
        q_range=(prepared.start, prepared.stop),
        found=found,
        evidence=_evidence_row(prepared, block),
    )
    timings["align"] = _ms(t)

    t = time.perf_counter()
    calibration = verdicts.Calibration.from_dict(block.calibration) if block.calibration else None
    hits = _ranked_hits(
        library,
        spectrum.modality,
        rescored[:top],
        found,
        calibration,
        q_range=(prepared.start, prepared.stop),
    )
    best = _best_of(rescored, found, block.grid)
    decision = _decide(hits, rescored, found.offset_cm1, calibration)
    timings["verdict"] = _ms(t)

    mixture, unconfirmed = None, []
    if mixtures and len(found.candidates) > 1:
        t = time.perf_counter()
        mixture, unconfirmed = _mixture_of(
            library,
            spectrum.modality,
            block,
            q_linear=q_linear,
            q_range=(prepared.start, prepared.stop),
            best=best,
            found=found,
            calibration=calibration,
            decision=decision,
            best_name=hits[0]["name"],
        )
        timings["mixture"] = _ms(t)

    # as recorded (one decimal), so the record says why the verdict is what it is
    signal_to_noise = round(_signal_to_noise(spectrum, block.pipeline), 1)
    _withhold_without_signal(decision, signal_to_noise)
    comparison = _comparison_with_unit(spectrum, library, hits[0], timings)
    unusable = "; ".join(why for why, _ in comparison) or None
    _withhold_when_unusable(decision, unusable)

    said = _problems(
        spectrum,
        library,
        verdict=decision.verdict,
        hits=hits,
        mixture=mixture,
        unconfirmed=unconfirmed,
        signal_to_noise=signal_to_noise,
        comparison=comparison,
        offset_cm1=found.offset_cm1,
        best=best,
        calibration=calibration,
    )
    timings["total"] = _ms(t0)
    return Identification(
        verdict=decision.verdict,
        reasons=decision.reasons,
        modality=spectrum.modality,
        hits=hits,
        mixture=mixture,
        warnings=[problem.fact for problem in said],
        advice=_advice(spectrum, said),
        pipeline=block.pipeline.to_list(),
        library_version=library.version,
        **_library_fields(library),
        signal_to_noise=signal_to_noise,
        unusable=unusable,
        margin_min=_margin_min(calibration),
        timings_ms=timings,
        query={
            "wavenumber": [float(v) for v in block.grid[prepared.start : prepared.stop]],
            "intensity": [round(float(v), 6) for v in q_linear[prepared.start : prepared.stop]],
        },
        best_reference={
            "wavenumber": [float(v) for v in block.grid[best.valid]],
            "intensity": [round(float(v), 6) for v in best.aligned[best.valid]],
        },
    )


def _check_arguments(
    spectrum: object, library: object, top: object, *, library_needed: bool = False
) -> None:
    """A :class:`TypeError` naming the argument of :func:`identify` (or :func:`quick_search`)
    that is not what it takes, and how to get what it takes: a path where a spectrum or a
    library belongs would otherwise fail deep inside as a missing attribute, and a fractional
    ``top`` as a slice index (or, in :func:`quick_search`, return every substance)."""
    if not isinstance(spectrum, Spectrum):
        raise TypeError(
            "spectrum must be a forensic.Spectrum (forensic.read_spectrum(path) reads one from "
            f"a file), got {type(spectrum).__name__}"
        )
    if not isinstance(library, Library) and (library is not None or library_needed):
        raise TypeError(
            "library must be a forensic.Library (forensic.Library.load(path) opens a .flib "
            "file)"
            + ("" if library_needed else " or None for the shipped one")
            + f", got {type(library).__name__}"
        )
    if isinstance(top, bool) or not isinstance(top, numbers.Integral):
        raise TypeError(f"top must be a whole number of hits, got {top!r}")


def _search(
    spectrum: Spectrum, prepared: _Prepared, block, substances, top: int, *, ranks: np.ndarray
) -> _Found:
    """Search step of :func:`identify`: the candidates (:func:`_candidates`, exact ties broken
    by ``ranks``, :meth:`forensic.library.Library.entry_ranks`), or an
    :class:`~forensic.errors.IdentificationError` when no reference overlaps the query enough
    to be compared (naming a wavenumber axis that is not in cm-1, the likely cause)."""
    found = _candidates(
        prepared.row,
        (prepared.start, prepared.stop),
        block,
        substances,
        top,
        ranks=ranks,
    )
    if not found.candidates:
        axis = axis_unit_problem(spectrum)
        raise OutOfRangeError(
            f"no reference overlaps the query's range {prepared.spectrum_part.wavenumber[0]:.0f}-"
            f"{prepared.spectrum_part.wavenumber[-1]:.0f} cm-1 enough to be compared"
            + ("" if axis is None else f"; the {axis}")
        )
    return found


def _query_linear(prepared: _Prepared, block) -> np.ndarray:
    """The query as the alignment and the mixture fit compare it with the rebuilt references:
    its own spectrum part, on the grid, smoothed as the references are rebuilt
    (:func:`forensic.processing.linear_from_spectrum`). Rebuilt from its representation
    instead, its first and last points would follow the derivative's end polynomial."""
    part = np.zeros(block.grid.size, dtype=np.float64)
    part[prepared.start : prepared.stop] = prepared.spectrum_part.intensity
    return linear_from_spectrum(part, prepared.start, prepared.stop, block.pipeline)


def _ranked_hits(
    library: Library,
    modality: str,
    rescored: list[tuple],
    found: _Found,
    calibration: verdicts.Calibration | None,
    *,
    q_range: tuple[int, int],
) -> list[dict[str, Any]]:
    """The hits as a result records them (:func:`_hit_entry`), one per re-scored substance of
    ``rescored`` (best first), each with the share of its reference the query's range compares
    (:func:`forensic.search.range_share`) and its q-value, read on the calibration curve of
    that share (None when no curve covers it).

    The calibration scored its queries at their best whole-step shift, not with the
    alignment's sub-step refinement: the q-value is read at the hit's score, but never above
    that best rigid-shift score, the quantity the calibration measured.
    """
    block = library.block(modality)
    hits = []
    for rank, (score, hit, al, _, _) in enumerate(rescored, start=1):
        share = _range_share(block, q_range, hit.index)
        hits.append(
            _hit_entry(
                library.entry(modality, hit.index),
                rank,
                score,
                al,
                search_score=float(found.scores[hit.index]),
                q_value=_q_value(
                    calibration, min(score, float(found.shift_best[hit.index])), share
                ),
                range_share=share,
            )
        )
    return hits


def _range_share(block, q_range: tuple[int, int], index: int) -> float:
    """The share of reference ``index`` that the query's range ``[start, stop)`` compares
    (:func:`forensic.search.range_share`)."""
    start, stop = q_range
    return float(range_share(start, stop, index, block.cumsums, block.grid.size)[0])


class _Best(NamedTuple):
    """The best re-scored reference, as the mixture fit, the warnings and the figure use it."""

    substance: str  # its substance key
    alignment: Any  # its peak alignment (forensic.alignment.Alignment), or None
    valid: np.ndarray  # (G,) bool, where it was compared with the query
    aligned: np.ndarray  # (G,) its reference aligned onto the query (as it is, unaligned)
    query_move_cm1: float  # how far the query moves to sit on the library's axis


def _best_of(rescored: list[tuple], found: _Found, grid: np.ndarray) -> _Best:
    """The best of the re-scored references (``rescored[0]``), with how far the query is moved
    onto the library's axis (:func:`_query_move_cm1`)."""
    _, hit, al, valid, linear = rescored[0]
    return _Best(
        hit.substance,
        al,
        valid,
        al.aligned_reference if al is not None else linear,
        _query_move_cm1(found.offset_cm1, al, float(grid[1] - grid[0])),
    )


@dataclass
class _Decision:
    """The verdict of :func:`identify` as it is decided, step by step, and why."""

    verdict: str
    reasons: list[str]
    no_match_reason: str | None  # the no match's reason that the spectrum is unlike all
    bare_numbers: str  # what replaces it when there is no verdict: the best hit's numbers

    def withhold(self, reason: str) -> None:
        """Make the verdict inconclusive for ``reason``: "no match" says the spectrum is unlike
        every reference, which a query with no usable signal, or compared wrongly, does not
        show, so that reason of a no match is replaced by the bare numbers."""
        if self.verdict == "no_match":
            self.reasons = [
                self.bare_numbers if r == self.no_match_reason else r for r in self.reasons
            ]
        self.verdict = "inconclusive"
        self.reasons.append(reason)


def _margin_min(calibration: verdicts.Calibration | None) -> float:
    """The margin over the best different substance an identification in this library needs
    (:attr:`forensic.verdict.Calibration.margin_threshold`; without a calibration,
    :data:`forensic.verdict.MARGIN_MIN`)."""
    return verdicts.MARGIN_MIN if calibration is None else calibration.margin_threshold


def _decide(
    hits: list[dict[str, Any]],
    rescored: list[tuple],
    offset_cm1: float,
    calibration: verdicts.Calibration | None,
) -> _Decision:
    """The verdict of the best hit (:func:`forensic.verdict.decide`) and its reasons; a best
    hit whose comparison sees too little of its reference for a calibrated q-value is at best
    inconclusive, and the first reason says why
    (:meth:`forensic.verdict.Calibration.not_calibrated`).

    Decided on the best hit as recorded (:func:`_hit_entry` rounds it): a value within
    rounding of a threshold is on the same side of it in the verdict as in the record, and
    anyone who checks the verdict against the thresholds from the record finds it (the margin
    is the best score less the next substance's, ``hits[1]["score"]`` when it is listed).
    """
    best = hits[0]
    best_substance = rescored[0][1].substance
    other = next((s for s, h, *_ in rescored[1:] if h.substance != best_substance), None)
    margin = _margin(best["score"], other)
    best_q = float("nan") if best["q_value"] is None else best["q_value"]
    verdict, reasons = verdicts.decide(
        best["score"],
        best_q,
        margin,
        best["matched_band_fraction"],
        not_calibrated=_not_calibrated(best, calibration),
        margin_min=_margin_min(calibration),
    )
    read_on = None if calibration is None else calibration.read_on(best["range_share"])
    if read_on:
        reasons.insert(1, read_on)
    decision = _Decision(
        verdict,
        reasons,
        reasons[-1] if verdict == "no_match" else None,
        f"best hit {best['name']}: {_hit_numbers(best)}",
    )
    if offset_cm1:
        reasons.append(
            f"the query matches far better moved by {offset_cm1:+.0f} cm-1 (whole grid steps) "
            "than as measured: the candidates were taken from the moved query"
        )
    return decision


def _mixture_of(
    library: Library,
    modality: str,
    block,
    *,
    q_linear: np.ndarray,
    q_range: tuple[int, int],
    best: _Best,
    found: _Found,
    calibration: verdicts.Calibration | None,
    decision: _Decision,
    best_name: str,
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """Mixture step of :func:`identify`: :func:`_mixture` over the best
    :data:`MIXTURE_CANDIDATES` substances, the query moved onto the references as its best
    hit's alignment says, and the verdict as a mixture
    (:func:`forensic.verdict.decide_mixture`) when one is found. A fit that cannot be made is
    no mixture, and ``decision`` says why among its reasons."""
    mixture, unconfirmed = None, []
    try:
        mixture, unconfirmed = _mixture(
            library,
            modality,
            block,
            q_linear=q_linear,
            q_range=q_range,
            move_cm1=best.query_move_cm1,
            best_reference=best.aligned,
            best_valid=best.valid,
            candidates=found.candidates[:MIXTURE_CANDIDATES],
            calibration=calibration,
        )
    except ForensicError as exc:
        decision.reasons.append(f"mixture fit not possible: {exc}")
    if mixture is not None:
        decision.verdict, more = verdicts.decide_mixture(
            decision.verdict, mixture["components"], best=best_name
        )
        decision.reasons += more
    return mixture, unconfirmed


def _withhold_without_signal(decision: _Decision, signal_to_noise: float) -> None:
    """No verdict for a query below :data:`forensic.verdict.MIN_SIGNAL_TO_NOISE`: an empty or
    failed measurement can neither identify a substance nor exclude one."""
    if signal_to_noise < verdicts.MIN_SIGNAL_TO_NOISE and decision.verdict != "inconclusive":
        decision.withhold(
            f"no verdict: {_no_signal(signal_to_noise)}, and an empty or failed measurement can "
            "neither identify a substance nor exclude one"
        )


def _comparison_with_unit(
    spectrum: Spectrum,
    library: Library,
    labelled_best: Mapping[str, Any],
    timings: dict[str, float],
) -> list[tuple[str, Problem]]:
    """What makes the query's comparison with the library meaningless
    (:func:`_comparison_problems`) and, when nothing else does but its IR unit is in doubt
    (:func:`forensic.quality.unit_label_doubt`), whether it matches far better read in the
    other unit (:func:`_other_unit_problem`, timed as ``other_unit``)."""
    comparison = _comparison_problems(spectrum)
    doubt = None if comparison else unit_label_doubt(spectrum)
    if doubt is not None:
        # only on a doubt, so a normal query pays nothing: the doubt is cheap, reading the
        # query in the other unit is an identification
        t = time.perf_counter()
        other_unit = _other_unit_problem(spectrum, doubt, library, labelled_best=labelled_best)
        comparison += [] if other_unit is None else [other_unit]
        timings["other_unit"] = _ms(t)
    return comparison


def _withhold_when_unusable(decision: _Decision, unusable: str | None) -> None:
    """No verdict for a query compared at the wrong positions, or upside down, or in a unit it
    is not in (``unusable``, why in a few words): a match identifies nothing and no match
    excludes anything."""
    if decision.verdict != "inconclusive" and unusable is not None:
        decision.withhold(
            ("not identified" if decision.verdict == "identified" else "no substance excluded")
            + f": {unusable} (see the warnings)"
        )


def _problems(
    spectrum: Spectrum,
    library: Library,
    *,
    verdict: str,
    hits: list[dict[str, Any]],
    mixture: dict[str, Any] | None,
    unconfirmed: list[dict[str, Any]],
    signal_to_noise: float,
    comparison: list[tuple[str, Problem]],
    offset_cm1: float,
    best: _Best,
    calibration: verdicts.Calibration | None,
) -> list[Problem]:
    """The result's warnings, each a fact (recorded and reported) with what to do about it
    (the technician's advice, shown on their screen only), in the order they are read: the
    query's provenance, the measurement, its axis, the mixture, and last the library (the
    measurement's own problems are the first thing to put right, and confirming against a
    measured library matters only for a substance the result names)."""
    said: list[Problem] = []
    query_provenance = spectrum.metadata.get("provenance")
    if not is_measured(query_provenance):
        said.append(Problem(not_measured_warning(query_provenance)))
    said += _measurement_warnings(spectrum, signal_to_noise, comparison)
    if offset_cm1:
        said.append(_axis_offset_problem(best.query_move_cm1, hits[0]["provenance"]))
    said += _mixture_problems(verdict, hits[0]["name"], mixture)
    said += _unconfirmed_problems(unconfirmed, best.substance)
    said += _library_problems(library, verdict, hits, mixture, calibration)
    return said


def _axis_offset_problem(query_move_cm1: float, best_provenance: str) -> Problem:
    """The warning of a query whose axis the shift search found off, by as much as the best
    hit's peak alignment measures it (finer than whole grid steps)."""
    axis = (
        f"the instrument's wavenumber axis looks off by about {-query_move_cm1:+.0f} cm-1 "
        f"(the spectrum matches the library best moved by {query_move_cm1:+.1f} cm-1)"
    )
    if not is_measured(best_provenance):
        # literature band tables place bands within a few cm-1: the offset may be theirs
        axis += f", or the {best_provenance} reference's band positions are a few cm-1 off"
    return Problem(
        axis,
        "check the instrument's wavenumber calibration with a standard (polystyrene, silicon)",
    )


def _mixture_problems(
    verdict: str, best_name: str, mixture: dict[str, Any] | None
) -> list[Problem]:
    """What a mixture leaves open: of an identified one, each component named only as possibly
    present, with its evidence and what would settle it (the verdict names the identified
    ones); of one not identified, that the spectrum looks like it."""
    if mixture is None:
        return []
    if verdict == "identified":
        _, possible = verdicts.identified_substances(best_name, mixture["components"])
        return [
            Problem(
                f"{c['name']} ({c['fraction']:.0%} of the fitted signal) is only possibly "
                f"present: {verdicts.component_evidence(c)}, which does not identify it",
                f"confirm or exclude {c['name']} by another technique",
            )
            for c in mixture["components"]
            if c["name"] in possible
        ]
    names = " + ".join(f"{c['name']} ({c['fraction']:.0%})" for c in mixture["components"])
    return [Problem(f"the spectrum looks like a mixture: {names}")]


def _unconfirmed_problems(unconfirmed: list[dict[str, Any]], best_substance: str) -> list[Problem]:
    """For each substance a mixture fit gave a share of the signal that matches it no better
    than chance (:func:`_mixture`), other than the best hit's (which stands on its own
    evidence, whatever a fit made of it): that the spectrum holds something the result does
    not explain."""
    return [
        Problem(
            f"a mixture fit also gave {c['name']} {c['fraction']:.0%} of the signal, but what "
            f"it attributes to {c['name']} matches it no better than chance (score "
            f"{verdicts.format_score(c['score'], c['q_value'])}): not reported as a component; "
            "the spectrum holds something the result does not explain, and this measurement "
            f"neither shows nor excludes {c['name']}",
            f"confirm or exclude {c['name']} by another technique",
        )
        for c in unconfirmed
        if substance_key(c["name"]) != best_substance
    ]


def _library_problems(
    library: Library,
    verdict: str,
    hits: list[dict[str, Any]],
    mixture: dict[str, Any] | None,
    calibration: verdicts.Calibration | None,
) -> list[Problem]:
    """What concerns the library: a reference the answer names (the best hit, a mixture's
    components) not measured from a sample, a modelled one of low confidence, a calibration
    by an older method, and a library no one approved as it is (:attr:`Library.standing`)."""
    # the references the answer names: a modelled entry ranked lower names nothing, and
    # warning of it on every result would drown it
    provenances = [hits[0]["provenance"]]
    if mixture is not None:
        provenances += [c["provenance"] for c in mixture["components"]]
    said = [
        Problem(reference_warning(provenance), _MODELLED_ADVICE if verdict == "identified" else "")
        for provenance in dict.fromkeys(p for p in provenances if not is_measured(p))
    ]
    said += [  # the technician reads it on the screen as the report states it
        Problem(statement)
        for statement in low_confidence_statements(
            {"verdict": verdict, "hits": hits, "mixture": mixture}
        )
    ]
    if calibration is not None and calibration.info.get("method", 1) < SHIFT_SEARCH_METHOD:
        said.append(Problem(OLD_CALIBRATION_WARNING, _OLD_CALIBRATION_ADVICE))
    elif (
        calibration is not None
        and calibration.strata is None
        and hits[0]["q_value"] is None
        and hits[0].get("range_share") is not None
    ):
        said.append(Problem(PARTIAL_UNCALIBRATED_WARNING, _OLD_CALIBRATION_ADVICE))
    if library.standing:  # a library folder edited, or never published
        said.append(Problem(library.standing, _UNAPPROVED_LIBRARY_ADVICE))
    return said


def _advice(spectrum: Spectrum, said: list[Problem]) -> list[str]:
    """What the technician can do: the acquisition's own advice
    (``metadata["acquisition_advice"]``, given apart from its warnings), then each warning's,
    once each."""
    actions = [str(a) for a in spectrum.metadata.get("acquisition_advice") or []]
    return list(dict.fromkeys(actions + [problem.action for problem in said if problem.action]))


def _library_fields(library: Library) -> dict[str, Any]:
    """What a result records of the library searched: what it holds (a no match means
    something only against that; the names listed in the report's annex, up to
    :data:`LISTED_SUBSTANCES_MAX` per modality), its name, build date and standing."""
    substance_names = {
        modality: library.substance_names(modality) for modality in library.modalities
    }
    return {
        "library_substances": {modality: len(names) for modality, names in substance_names.items()},
        "library_name": library.name,
        "library_built_at": library.built_at,
        "library_approval": _approval(library),
        "library_substance_names": {
            modality: names
            for modality, names in substance_names.items()
            if len(names) <= LISTED_SUBSTANCES_MAX
        },
    }


@dataclass(frozen=True)
class _Found:
    """What the search of the query nominates (see :func:`_candidates`)."""

    scores: np.ndarray  # (N,) each reference's score, of the query moved by the axis offset
    shift_best: np.ndarray  # (N,) each reference's best score at any whole-step move
    offset_cm1: float  # the query's axis offset, 0 when it has none
    candidates: list  # the best substances, by ``scores``
    extra: list  # substances the moved query matches far better, not among the re-ranked
    # (N,) each reference's place by entry id, which breaks an exact score tie
    # (Library.entry_ranks); None: the row order
    ranks: np.ndarray | None = None


def _candidates(query, q_range, block, substances, top: int, *, ranks=None) -> _Found:
    """Score the query against the whole block, as measured and moved by whole grid steps.

    An instrument whose axis is off by several cm-1 would push the right substance out of the
    candidates: the query moved by whole grid steps up to SHIFT_SEARCH_CM1 (one batch, one more
    pass over the matrix) nominates more candidates; alignment then judges them all.
    """
    q_start, q_stop = q_range
    scores = score_query(
        query, q_start, q_stop, block.matrix, block.start, block.stop, block.cumsums
    )
    grid = block.grid
    step = float(grid[1] - grid[0])
    n_steps = shift_steps(grid, SHIFT_SEARCH_CM1)
    moves = [k for k in range(-n_steps, n_steps + 1) if k != 0]
    moved = score_moves(
        query, q_start, q_stop, block.matrix, block.start, block.stop, block.cumsums, moves
    )
    moved_best = moved.max(axis=0) if moves else np.full(scores.shape, -np.inf)
    shift_best = np.maximum(moved_best, scores)
    offset_move = _axis_offset(scores, moved, moves, step)
    if offset_move:
        # the whole query matches far better moved: its axis is off, and the candidates and
        # their search scores are those of the query moved by that much
        scores = moved[moves.index(offset_move)]
    candidates = top_hits(
        scores, substances, max(top, RERANK_CANDIDATES, MIXTURE_CANDIDATES), ranks=ranks
    )
    shifted = top_hits(moved_best, substances, SHIFT_CANDIDATES, ranks=ranks)
    # only the re-ranked substances count as seen: one further down (among the mixture pool)
    # that the shifted query matches much better must still be aligned and re-scored
    seen = {h.substance for h in candidates[:RERANK_CANDIDATES]}
    best_unshifted = candidates[0].score if candidates else -np.inf
    extra = [
        h for h in shifted if h.substance not in seen and h.score > best_unshifted + SHIFT_GAIN_MIN
    ]
    return _Found(scores, shift_best, offset_move * step, candidates, extra, ranks)


def _rerank_pool(found: _Found, substances: np.ndarray) -> list:
    """The entries to align and re-score: the best RERANK_CANDIDATES substances, those the
    moved query nominates, and, for each of these substances, also its entry that scores best
    at a whole-step move when that is another entry.

    Which of a substance's entries (samples, instruments, lasers) matches the query best can
    depend on how far the query's axis is off, and the peak alignment is what measures that:
    it is given both. On RRUFF Raman moved +-8 cm-1 this lifts top-1 from 0.805 to 0.826
    (every sample as query); unmoved, 0.851 -> 0.853.
    """
    pool = found.candidates[:RERANK_CANDIDATES] + found.extra
    rows = np.flatnonzero(np.isin(substances, [h.substance for h in pool]))
    rows = best_first(found.shift_best, found.ranks, rows)
    taken = {h.index for h in pool}
    wanted = len({h.substance for h in pool})
    first: set[str] = set()
    for row in rows:
        if len(first) == wanted:
            break
        substance = str(substances[row])
        if substance in first or not np.isfinite(found.shift_best[row]):
            continue
        first.add(substance)
        if int(row) not in taken and np.isfinite(found.scores[row]):
            pool.append(Hit(int(row), float(found.scores[row]), substance))
    return pool


def _rescore(block, hits, *, query, q_linear, q_range, found: _Found, evidence) -> list[tuple]:
    """Align each hit's reference onto the query peak by peak and re-score it.

    ``evidence`` is ``(row, noise)`` from :func:`_evidence_row`: the query whose bands the
    reference must match.

    Returns ``(score, hit, alignment or None, valid, reference_linear)``, best first, for the
    best-scoring hit of each substance.
    """
    q_start, q_stop = q_range
    scores, shift_best = found.scores, found.shift_best
    evidence_row, evidence_noise = evidence
    grid = block.grid
    rescored = []
    for hit in hits:
        row = hit.index
        rs, re = int(block.start[row]), int(block.stop[row])
        lo, hi = max(rs, q_start), min(re, q_stop)
        valid = np.zeros(grid.size, dtype=bool)
        valid[lo:hi] = True
        r_linear = linear_from_representation(
            np.asarray(block.matrix[row], dtype=np.float64), rs, re, block.pipeline
        )
        try:
            al = alignment.align(
                grid,
                q_linear * valid,
                r_linear * valid,
                valid,
                evidence=evidence_row * valid,
                evidence_noise=evidence_noise,
            )
        except ForensicError:
            al = None
        score = float(scores[row])
        if al is not None and (abs(al.shift_cm1) > 0 or abs(al.stretch) > 0):
            # compared where the moved reference has data, as the shift search compares moved
            # ranges: zeros where the move leaves it without data would be a step that the
            # derivative turns into a mismatch, an accidental cost on moving any reference whose
            # edge is not at zero (it kept LSD moved 8 cm-1 from its right alignment)
            a, b = _covered(grid, al, lo, hi)
            aligned = representation_from_linear(al.aligned_reference, a, b, block.pipeline)
            aligned_score = cosine(query[a:b], aligned[a:b])
            # the reference moves by minus the query's axis offset; a move of its own costs
            own_move = abs(al.shift_cm1 + found.offset_cm1)
            aligned_score -= MOVE_COST_PER_CM1 * max(0.0, own_move - MOVE_FREE_CM1)
            # the peak alignment may add sub-step shift and stretch to what a rigid shift
            # achieves, but not much more: a larger gain is a warp fitting the wrong substance
            cap = float(shift_best[row]) + ALIGNMENT_GAIN_CAP
            score = max(score, min(aligned_score, cap))
        rescored.append((score, hit, al, valid, r_linear))
    # an exact tie (one spectrum filed under two names) goes to the entry whose id comes
    # first, not to whichever row the library stored first
    ranks = found.ranks
    rescored.sort(
        key=lambda item: (-item[0], item[1].index if ranks is None else ranks[item[1].index])
    )
    # one hit per substance: its entry that scores best after alignment
    best, seen = [], set()
    for item in rescored:
        if item[1].substance not in seen:
            seen.add(item[1].substance)
            best.append(item)
    return best


def _covered(grid: np.ndarray, al, lo: int, hi: int) -> tuple[int, int]:
    """The grid slice within ``[lo, hi)`` where the aligned reference of ``al`` has data."""
    first, last = al.reference_range_cm1
    a = max(lo, int(np.searchsorted(grid, first, side="left")))
    b = min(hi, int(np.searchsorted(grid, last, side="right")))
    return a, max(a, b)


def _recorded(value: float, digits: int = 6) -> float:
    """A score, q-value or fraction as a result records it, and so as its verdict reads it."""
    return round(float(value), digits)


def _margin(best_score: float, other_score: float | None) -> float:
    """How much the best hit (as recorded) beats the best different substance, as the record
    reads: the difference of the two recorded scores, itself rounded as recorded, so that
    0.800001 over 0.780001 is 0.02 and not 0.019999999999999, which is below a 0.02 margin.
    Infinite when no other substance was scored."""
    if other_score is None:
        return float("inf")
    return _recorded(best_score - _recorded(other_score))


def _not_calibrated(hit: Mapping[str, Any], calibration: verdicts.Calibration | None) -> str | None:
    """Why a hit of a calibrated library has no q-value (its comparison sees too little of its
    reference, :meth:`forensic.verdict.Calibration.not_calibrated`); None when it has one, or
    the library has no calibration at all."""
    if calibration is None or hit.get("range_share") is None:
        return None
    return calibration.not_calibrated(hit["range_share"])


def _recorded_q(q_value: float) -> float | None:
    """A q-value as a result records it: None without a calibration (NaN)."""
    return None if np.isnan(q_value) else _recorded(q_value)


def _hit_entry(
    entry: Mapping[str, Any],
    rank: int,
    score: float,
    al,
    *,
    search_score: float,
    q_value: float,
    range_share: float,
) -> dict[str, Any]:
    """One ranked hit as reported: the reference, its scores, the share of it compared
    (:func:`forensic.search.range_share`, to a thousandth: which calibration curve read its
    q-value) and its peak evidence."""
    return {
        "rank": rank,
        "name": entry["name"],
        "entry_id": entry["entry_id"],
        "score": _recorded(score),
        "search_score": _recorded(search_score),
        "q_value": _recorded_q(q_value),
        "range_share": _recorded(range_share),
        "shift_cm1": round(float(al.shift_cm1), 3) if al else 0.0,
        "stretch": round(float(al.stretch), 6) if al else 0.0,
        "matched_peaks": [[round(a, 2), round(b, 2)] for a, b in al.matched_peaks] if al else [],
        "unmatched_peaks": [round(a, 2) for a in al.unmatched_peaks] if al else [],
        "matched_fraction": round(float(al.matched_fraction), 4) if al else 0.0,
        "matched_band_fraction": round(float(al.matched_band_fraction), 4) if al else 0.0,
        "provenance": entry.get("provenance") or MEASURED,
        "cas": entry.get("cas", ""),
        "class": entry.get("class", ""),
        "synonyms": entry.get("synonyms", []),
        "source": entry.get("source", ""),
        "band_confidence": entry.get("band_confidence", ""),
    }


def _no_signal(signal_to_noise: float) -> str:
    """What a query below :data:`forensic.verdict.MIN_SIGNAL_TO_NOISE` shows, in words."""
    if signal_to_noise == 0:
        return "the spectrum is flat: it has no band at all"
    return (
        "the spectrum barely rises above its noise (strongest band "
        f"{verdicts.format_beside(signal_to_noise, [verdicts.MIN_SIGNAL_TO_NOISE], decimals=1)} "
        "times the noise)"
    )


def _comparison_problems(spectrum: Spectrum) -> list[tuple[str, Problem]]:
    """What makes the query's comparison with the library meaningless
    (:func:`forensic.quality.comparison_problems`, and a Raman spectrum in an infrared unit:
    its file contradicts itself, and an infrared spectrum it may be matches no Raman
    reference), each as why in a few words (for the verdict's reason and line) and its
    warning (the fact, what it does to the hits, and what to do about it)."""
    unit = (spectrum.y_unit or "").replace("_", " ")
    found = []
    for check, problem in comparison_problems(spectrum):
        if check == "axis":
            why, fact, action = (
                "the axis is not in cm-1",
                f"{problem.fact}; compared with the library at the wrong positions, the hits "
                "mean nothing",
                "export the spectrum against Raman shift or wavenumber in cm-1 and identify it "
                "again",
            )
        elif check == "ir_unit":
            why, fact, action = (
                f"the intensities are in {spectrum.y_unit}, not absorbance or transmittance",
                f"{problem.fact}; compared as they are, the hits mean nothing",
                f"{problem.action}, and identify the spectrum again",
            )
        elif check == "ir_range":
            why, fact, action = (
                f"the intensities cannot be {unit}, as the file says",
                f"{problem.fact}; compared as {unit}, the hits mean nothing",
                "export the spectrum again from the instrument's software in absorbance or "
                "transmittance, and identify it again",
            )
        else:  # inverted
            why, fact, action = (
                "the spectrum is upside down",
                f"{problem.fact}; the hits mean nothing",
                f"{problem.action}, and identify it again",
            )
        found.append((why, Problem(fact, action)))
    if spectrum.modality == "raman" and spectrum.y_unit in IR_UNITS:
        # the file contradicts itself (##DATA TYPE=RAMAN SPECTRUM, ##YUNITS=TRANSMITTANCE):
        # an infrared spectrum compared with Raman references matches none of them
        found.append(
            (
                f"a Raman spectrum cannot be in {unit}",
                Problem(
                    f"labelled Raman, but its intensities are in {unit}, an infrared unit "
                    "(Raman intensities are counts or arbitrary): either it is an infrared "
                    "spectrum or its unit is wrong; compared with the Raman references, the "
                    "hits mean nothing",
                    "check whether the spectrum is Raman or infrared, correct its file (the "
                    "spectrum type or the unit) or export it again from the instrument's "
                    "software, and identify it again",
                ),
            )
        )
    return found


def _hit_numbers(hit: Mapping[str, Any]) -> str:
    """A recorded hit's score and, with a calibration, its q-value, as a reason or warning
    shows them ("score 0.912, q-value 0.004")."""
    q_value = hit.get("q_value")
    said = f"score {verdicts.format_score(hit['score'], q_value)}"
    return said if q_value is None else f"{said}, q-value {verdicts.format_q_value(q_value)}"


def _other_unit_reading(spectrum: Spectrum, other: str) -> Spectrum | None:
    """The query's numbers read as ``other`` (absorbance, or transmittance on the scale its
    values are on), or None when they cannot be: transmittance on neither scale
    (:func:`forensic.spectrum.transmittance_scale`), or a reading that could not be compared
    either (:func:`forensic.quality.comparison_problems`)."""
    unit = transmittance_scale(spectrum.intensity) if other == "transmittance" else other
    if unit is None:
        return None
    reading = spectrum.replace(y_unit=unit)
    return None if comparison_problems(reading) else reading


def _other_unit_problem(
    spectrum: Spectrum,
    doubt: UnitLabelDoubt,
    library: Library,
    *,
    labelled_best: Mapping[str, Any],
) -> tuple[str, Problem] | None:
    """Why an IR query is very likely in the other of absorbance and transmittance than its
    unit says, as :func:`_comparison_problems` gives its problems; None when nothing shows it.

    Transmittance under an ``absorbance`` heading (or the reverse) is in the range the unit
    allows, so nothing else objects, and it is compared upside down: it matches nothing, or
    the wrong substance. The unit-label rule (:func:`forensic.quality.unit_label_doubt`) finds
    such values, but also some true spectra with broad bands (14 of 490 measured absorbance
    spectra, minerals), too many to warn of on its word. When it doubts the unit, the query
    is identified again read in the other unit (no mixture fit); the unit is taken as wrong
    only when that reading's best hit is evidence on its own (not a no match,
    :func:`forensic.verdict.is_no_match`) and scores at least :data:`OTHER_UNIT_GAIN_MIN`
    above the best hit as labelled. A doubt the other reading does not bear out is not said:
    the library then holds nothing the spectrum matches clearly better read the other way, so
    the result does not hang on the unit.

    Measured on ``../shared/data`` (the query read as labelled, mixtures fitted):

    - the 104 ENFSI ATR-IR drug spectra (absorbance) against the shipped library: none is
      doubted, no verdict changes. Converted to transmittance (10^-A) and labelled absorbance,
      98 are doubted and 60 caught: of the 62 whose right reading is evidence (identified or
      inconclusive), all but 2 the rule does not doubt, the 5 it identifies among them; the
      other 38 doubted match nothing either way (their substance is not in the library).
      Absorbance labelled transmittance: 62 caught, every one whose right reading is evidence.
      Percent transmittance labelled absorbance was already refused by its range
      (:func:`forensic.quality.diagnose_ir_range`);
    - the 400 RRUFF IR mineral spectra, each against every other sample's (the accuracy
      benchmark's library), as that benchmark loads them, every one as absorbance (12 of them
      state transmittance or another unit in their own header): 22 are doubted (broad bands:
      sphalerite, rutile, chalcopyrite...), none is borne out, no verdict changes. Read in the
      units their files state, 14 are doubted, all absorbance, and no verdict changes.
      Converted to transmittance and labelled absorbance, 214 are caught (85 of the 109 dev
      spectra, 47 of the 49 the right reading identifies).

    A caught query's verdict becomes inconclusive (a match found upside down names nothing,
    and its no match excludes nothing); before, every one caught was a no match but 3 RRUFF
    minerals, already inconclusive.

    Parameters
    ----------
    spectrum : Spectrum
        The query as read, with no other comparison problem.
    doubt : UnitLabelDoubt
        What the rule found (:func:`forensic.quality.unit_label_doubt`).
    library : Library
        The library it was identified against.
    labelled_best : mapping
        Its best hit as labelled, as recorded.

    Returns
    -------
    (str, Problem) or None
        Why in a few words (the result's ``unusable``), and the warning with both readings'
        best hits, and what to check.
    """
    reading = _other_unit_reading(spectrum, doubt.other)
    if reading is None:
        return None
    # its bands point the other way, so the rule has no doubt about its unit: this ends there
    other = identify(reading, library, top=1, mixtures=False)
    best = other.hits[0]
    if verdicts.is_no_match(best["score"], best["q_value"]):
        return None
    if _recorded(best["score"] - labelled_best["score"]) < OTHER_UNIT_GAIN_MIN:
        return None
    unit, read_as = spectrum.y_unit.replace("_", " "), reading.y_unit.replace("_", " ")
    named = (
        f"read as {unit} by a guess (the file names no unit)"
        if spectrum.y_unit_guessed
        else f"labelled {unit}"
    )
    fact = (
        f"{named}, but its values look like {doubt.other} ({doubt.shape}), and read as "
        f"{read_as} the spectrum matches the library far better: best hit {best['name']}, "
        f"{_hit_numbers(best)}"
        + (", enough to identify it" if other.verdict == "identified" else "")
        + f", against {labelled_best['name']}, {_hit_numbers(labelled_best)}, as {unit}; "
        f"compared as {unit}, upside down, the hits mean nothing"
    )
    if spectrum.y_unit_guessed:
        fix = (
            f"state it (a file: forensic identify --y-unit {reading.y_unit}) or have the "
            "instrument's software name it in its exports"
        )
    else:
        fix = (
            "correct the unit the file names (a column heading or ##YUNITS=), or have the "
            "instrument's software export it under its right unit"
        )
    action = (
        f"check the intensity unit of the export: if the values are {read_as}, {fix}, and "
        "identify the spectrum again"
    )
    return f"the spectrum matches far better read as {read_as} than as {unit}", Problem(
        fact, action
    )


def _measurement_warnings(
    spectrum: Spectrum, signal_to_noise: float, comparison: list[tuple[str, Problem]]
) -> list[Problem]:
    """What the query itself casts doubt on, each with what to do about it: what its
    acquisition warned of (``metadata["acquisition_warnings"]``, e.g. a correction the
    instrument could not make; its advice is ``metadata["acquisition_advice"]``), an axis not in
    cm-1, an IR unit compared upside down or not a sample's at all, an inverted spectrum, barely
    any signal, a clipped band, atmospheric CO2, a guessed unit, an axis unit assumed."""
    said = [Problem(str(w)) for w in spectrum.metadata.get("acquisition_warnings") or []]
    said += [problem for _, problem in comparison]  # _comparison_problems, found once
    if signal_to_noise < verdicts.MIN_SIGNAL_TO_NOISE:
        said.append(
            Problem(
                f"{_no_signal(signal_to_noise)}, so any hit is likely chance",
                "check that the sample is in the beam, the laser or source is on and the "
                "exposure long enough, then measure again",
            )
        )
    else:
        clipped = diagnose_clipped(spectrum)
        if clipped is not None:
            said.append(clipped)
    co2 = spectrum_atmospheric_co2(spectrum)
    if co2 is not None:
        said.append(
            Problem(
                f"atmospheric CO2 bands at {co2.p_branch_cm1:.0f} and {co2.r_branch_cm1:.0f} "
                f"cm-1 ({co2.fraction:.0%} of the intensity range): the background was measured"
                " with a different amount of CO2 in the beam, and they take part in the "
                "comparison as if they were bands of the sample",
                "measure a fresh background, then the sample again",
            )
        )
    if spectrum.modality == "ir" and spectrum.y_unit_guessed:
        said.append(
            Problem(
                f"the file does not name its intensity unit and was read as {spectrum.y_unit} "
                f"({spectrum.metadata['y_unit_basis']}); transmittance and absorbance are "
                "treated oppositely, so if that is wrong, so is this result",
                f"if the unit is not {spectrum.y_unit}, have the instrument's software name it "
                "in its exports (a file: forensic identify --y-unit states it), and identify "
                "the spectrum again",
            )
        )
    if spectrum.axis_unit_assumed:
        said.append(
            Problem(
                "the file does not name its axis unit and was read as cm-1 "
                f"({spectrum.metadata['axis_unit_basis']}); bands on an axis in another unit "
                "are compared at the wrong positions, so if that is wrong, so is this result",
                "if the axis is not in cm-1, have the instrument's software name its unit in "
                "its exports, and identify the spectrum again",
            )
        )
    return said


def _axis_offset(scores: np.ndarray, moved: np.ndarray, moves: list[int], step: float) -> int:
    """The query's axis offset (grid steps the query must move), or 0 when there is no clear one.

    Clear means: the best score of the query moved by some whole number of grid steps, at
    least :data:`AXIS_OFFSET_MIN_CM1` away, beats the best unmoved score by more than
    :data:`AXIS_OFFSET_GAIN_MIN`.
    """
    if not moves:
        return 0
    best_per_move = moved.max(axis=1)
    j = int(np.argmax(best_per_move))
    unmoved = float(np.max(scores))
    far_enough = abs(moves[j]) * step >= AXIS_OFFSET_MIN_CM1 - 1e-9
    if far_enough and float(best_per_move[j]) > unmoved + AXIS_OFFSET_GAIN_MIN:
        return int(moves[j])
    return 0


def _query_move_cm1(offset_cm1: float, best_alignment, step: float) -> float:
    """How far (cm-1) the query is moved to sit on the library's axis: by its best hit's peak
    alignment (which moved the reference by ``shift_cm1``, so the query moves by minus that),
    unless that disagrees by more than two grid steps with the whole-step axis offset found by
    the shift search, which then stands."""
    if best_alignment is not None and abs(-best_alignment.shift_cm1 - offset_cm1) <= 2 * step:
        return -float(best_alignment.shift_cm1)
    return float(offset_cm1)


def _signal_to_noise(spectrum: Spectrum, pipeline) -> float:
    """The raw query's signal-to-noise, cosmic-ray spikes removed first as the pipeline does
    (a spike on an empty measurement is no band)."""
    if "remove_spikes" in pipeline.names:
        spectrum = remove_spikes(spectrum, **pipeline.params("remove_spikes"))
    return spectrum_signal_to_noise(spectrum)


def _mixture(
    library: Library,
    modality: str,
    block,
    *,
    q_linear: np.ndarray,
    q_range: tuple[int, int],
    move_cm1: float,
    best_reference: np.ndarray,
    best_valid: np.ndarray,
    candidates: list,
    calibration: verdicts.Calibration | None,
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The ``mixture`` of an :class:`Identification` (or None), and the unconfirmed components.

    Only when the best reference (on the grid, aligned onto the query if it could be) leaves
    structured residual where it was compared (:func:`forensic.mixtures.has_structured_residual`)
    is the query fitted with :func:`forensic.mixtures.fit_mixture`, over the ``candidates`` and
    what the search of that residual nominates (:func:`_residual_candidates`). A component
    is reported only when the spectrum the fit attributes to it looks like it
    (:func:`_evidenced`) and that match is evidence at all: it would not be a ``no_match``
    on its own (:func:`forensic.verdict.is_no_match`, the rule that also admits the residual's
    candidates). The query is refitted with the others until every component passes. None
    also when the fit keeps fewer than two components.

    The unconfirmed components are those dropped because their match was no better than
    chance, each as ``{"name", "fraction", "score", "q_value"}`` from the fit that dropped it
    (the score unrounded, as it was judged, so that a warning never shows it on the threshold;
    the q-value NaN without a calibration): the spectrum holds more than the rest explains,
    and they are the fit's guess at what, which the technician is told (a warning), not the
    investigator as a finding. On RRUFF, each sample against the other samples, this rule took
    pure spectra reported as mixtures from 16 to 4 of 413 (Raman) and from 8 to 3 of 108 (IR),
    and it costs components of binary mixtures of two real Raman samples: the part attributed
    to a minor component carries what the major one's two samples differ by
    (docs/identification.md, *Mixtures*; the figures in benchmarks/HISTORY.md, *Mixtures*).
    """
    if not mixture_fit.has_structured_residual(q_linear, best_reference * best_valid, best_valid):
        return None, []
    valid, onto_references = _onto_references(block.grid, q_range, move_cm1)
    pool = list(candidates)
    pool += _residual_candidates(
        onto_references(_positive_residual(q_linear, best_reference, best_valid)),
        valid,
        block,
        substances=library.substances(modality),
        ranks=library.entry_ranks(modality),
        calibration=calibration,
        pool=pool,
    )
    fitted = _evidenced_fit(
        onto_references(q_linear),
        _reference_rows(block, pool),
        valid,
        library=library,
        modality=modality,
        block=block,
        pool=pool,
        calibration=calibration,
    )
    if fitted.fit is None:
        return None, fitted.unconfirmed
    fit = fitted.fit
    mixture = {
        "components": _components(library, modality, fitted, calibration),
        "residual": round(float(fit.residual), 6),
        "explained": round(float(fit.explained), 6),
        "single_best_residual": round(float(fit.single_best_residual), 6),
        "spectra": _fit_spectra(block.grid, q_range, move_cm1, fit, fitted.rows),
    }
    return mixture, fitted.unconfirmed


def _onto_references(
    grid: np.ndarray, q_range: tuple[int, int], move_cm1: float
) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    """Where the query, moved by ``move_cm1`` onto the references, lies on the grid (a (G,)
    mask), and the function that moves a spectrum of the query's range (on the grid) there.

    The references are fitted where they are: the query is moved onto them by its best hit's
    peak alignment (to the sub-step: a few cm-1 of axis error on narrow bands leave residual
    at every band, which bogus components fill and real minor ones are judged against), or by
    the whole-step axis offset when that alignment disagrees (:func:`_query_move_cm1`).
    """
    q_start, q_stop = q_range
    source = grid - move_cm1
    valid = (source >= grid[q_start]) & (source <= grid[q_stop - 1])

    def onto_references(linear: np.ndarray) -> np.ndarray:
        inside = np.interp(source, grid[q_start:q_stop], linear[q_start:q_stop])
        return np.where(valid, inside, 0.0)

    return valid, onto_references


def _reference_rows(block, pool: list) -> np.ndarray:
    """(len(pool), G): each candidate's reference rebuilt from the library's matrix as the
    fit compares it (:func:`forensic.processing.linear_from_representation`)."""
    return np.stack(
        [
            linear_from_representation(
                np.asarray(block.matrix[h.index], dtype=np.float64),
                int(block.start[h.index]),
                int(block.stop[h.index]),
                block.pipeline,
            )
            for h in pool
        ]
    )


class _EvidencedFit(NamedTuple):
    """A mixture fit whose every component is evidenced (see :func:`_evidenced_fit`)."""

    fit: mixture_fit.MixtureFit | None  # None: fewer than two components were left
    evidence: dict[int, tuple[float, float]]  # (score, margin) of each component (_evidenced)
    shares: dict[int, float]  # the share of each component's reference compared (range_share)
    pool: list  # the candidates it was fitted over, as ``rows``
    rows: np.ndarray  # (len(pool), G) their references
    unconfirmed: list[dict[str, Any]]  # components dropped as no better than chance


def _evidenced_fit(
    query: np.ndarray,
    rows: np.ndarray,
    valid: np.ndarray,
    *,
    library: Library,
    modality: str,
    block,
    pool: list,
    calibration: verdicts.Calibration | None,
) -> _EvidencedFit:
    """Fit the query (moved onto the references) over the candidates, and again over those
    the fit kept and evidenced (:func:`_evidenced`) and whose evidence is more than chance
    (not a no match on its own, :func:`_no_evidence`), until every component passes, or fewer
    than two are left (``fit`` None). A component dropped as no better than chance is kept as
    unconfirmed (see :func:`_mixture`), from the fit that dropped it."""
    substances = library.substances(modality)
    start, stop = mask_to_ranges(valid)
    compared = (int(start[0]), int(stop[0]))
    unconfirmed = []
    while True:  # the candidates shrink to the evidenced components at each refit: this ends
        fit = mixture_fit.fit_mixture(query, rows, valid, max_components=4)
        if fit is None or len(fit.components) < 2:
            return _EvidencedFit(None, {}, {}, pool, rows, unconfirmed)
        evidence = _evidenced(
            fit,
            rows,
            query,
            valid,
            block=block,
            pool=pool,
            substances=substances,
            margin_min=_margin_min(calibration),
        )
        shares = {i: _range_share(block, compared, pool[i].index) for i in evidence}
        chance = {
            i for i, (score, _) in evidence.items() if _no_evidence(score, calibration, shares[i])
        }
        unconfirmed += [
            {
                "name": library.entry(modality, pool[i].index)["name"],
                "fraction": round(float(fraction), 4),
                "score": float(evidence[i][0]),
                "q_value": _q_value(calibration, evidence[i][0], shares[i]),
            }
            for i, fraction in fit.components
            if i in chance
        ]
        kept = sorted(set(evidence) - chance)
        if len(kept) == len(fit.components):
            return _EvidencedFit(fit, evidence, shares, pool, rows, unconfirmed)
        pool = [pool[i] for i in kept]
        rows = rows[kept]


def _components(
    library: Library,
    modality: str,
    fitted: _EvidencedFit,
    calibration: verdicts.Calibration | None,
) -> list[dict[str, Any]]:
    """The mixture's components as a result records them, in the fit's order, each with its
    evidence and its verdict (:func:`forensic.verdict.decide_component`), decided as recorded,
    as the best hit is: a reader of the record finds the same verdict."""
    components = []
    for idx, fraction in fitted.fit.components:
        entry = library.entry(modality, fitted.pool[idx].index)
        score, margin = fitted.evidence[idx]
        q_value = _recorded_q(_q_value(calibration, score, fitted.shares[idx]))
        score = _recorded(score, 4)
        margin = _recorded(margin, 4) if np.isfinite(margin) else None
        components.append(
            {
                "name": entry["name"],
                "fraction": round(float(fraction), 4),
                # what the fit attributes to it (the rest subtracted) against its reference
                "score": score,
                "q_value": q_value,
                # by how much its part prefers it to any other substance (None: there is none)
                "margin": margin,
                "verdict": verdicts.decide_component(
                    score,
                    q_value,
                    float("inf") if margin is None else margin,
                    margin_min=_margin_min(calibration),
                ),
                "entry_id": entry["entry_id"],
                "provenance": entry.get("provenance") or MEASURED,
                "source": entry.get("source", ""),
                "band_confidence": entry.get("band_confidence", ""),
            }
        )
    return components


def _fit_spectra(
    grid: np.ndarray,
    q_range: tuple[int, int],
    move_cm1: float,
    fit: mixture_fit.MixtureFit,
    rows: np.ndarray,
) -> dict[str, list[float]]:
    """The mixture's ``spectra``, for the figure of the fit: the fit and each component's part
    of it, drawn over the query as reported (``Identification.query``), so moved back by
    ``move_cm1``."""
    q_start, q_stop = q_range
    back = grid[q_start:q_stop] + move_cm1

    def rounded(values: np.ndarray) -> list[float]:
        return [round(float(v), 6) for v in np.interp(back, grid, values)]

    return {
        "wavenumber": [float(v) for v in grid[q_start:q_stop]],
        "fit": rounded(fit.fitted),
        "components": [rounded(fit.coefficients[i] * rows[i]) for i, _ in fit.components],
    }


def _evidenced(
    fit: mixture_fit.MixtureFit,
    rows: np.ndarray,
    query: np.ndarray,
    valid: np.ndarray,
    *,
    block,
    pool: list,
    substances: np.ndarray,
    margin_min: float = verdicts.MARGIN_MIN,
) -> dict[int, tuple[float, float]]:
    """The fit's components (indices into ``pool`` and ``rows``) whose own substance matches
    what the fit attributes to them at least as well as any other substance of the library,
    each with ``(score, margin)``: that match's score, and how much better it is than the best
    match of another substance (negative down to ``-margin_min``; infinite in a library of one
    substance).

    A chemist confirms a minor component by subtraction: take the other components away and
    look at what is left. Here what is left for a component is the query less the fit plus
    that component's own part (the residual stays with it), put through the library's
    comparison representation and searched over ``valid``, all components in one pass. A
    component is dropped when another substance matches that spectrum clearly better, by more
    than the verdict's margin, ``margin_min`` (the library's,
    :attr:`forensic.verdict.Calibration.margin_threshold`; within it, two substances are not
    told apart: a drug's close relatives must not cost it its place). What a pure
    sample leaves (the difference between two measurements of one substance) is taken up by
    whichever candidate lowers the residual most, and the spectrum attributed to such a
    component rarely looks like it: on RRUFF, each sample against the other samples, this
    drops three quarters of the false components on pure Raman spectra (a quarter on IR) and
    about 3 % of the true components of binary mixtures of two real samples
    (docs/identification.md, *Mixtures*; the figures in benchmarks/HISTORY.md, *Mixtures*).
    """
    inside = np.flatnonzero(valid)
    lo, hi = int(inside[0]), int(inside[-1]) + 1
    picked = [i for i, _ in fit.components]
    isolated = np.stack(
        [
            representation_from_linear(
                np.where(valid, query - fit.fitted + fit.coefficients[i] * rows[i], 0.0),
                lo,
                hi,
                block.pipeline,
            )
            for i in picked
        ]
    )
    n = len(picked)
    scores = score_batch(
        isolated,
        np.full(n, lo),
        np.full(n, hi),
        block.matrix,
        block.start,
        block.stop,
        block.cumsums,
    )
    kept = {}
    for row, i in enumerate(picked):
        own = substances == pool[i].substance
        best_own = float(np.max(scores[row], where=own, initial=-np.inf))
        best_other = float(np.max(scores[row], where=~own, initial=-np.inf))
        if np.any(isolated[row]) and best_own >= best_other - margin_min:
            kept[i] = (best_own, best_own - best_other)
    return kept


def _positive_residual(query: np.ndarray, reference: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """What a reference scaled by least squares leaves of the query where it was measured:
    only the positive part, the bands a missing component would add. Zero outside ``valid``."""
    q = np.where(valid, query, 0.0)
    r = np.where(valid, reference, 0.0)
    norm2 = float(np.dot(r, r))
    scale = max(float(np.dot(q, r)) / norm2, 0.0) if norm2 > 0 else 0.0
    return np.maximum(q - scale * r, 0.0)


def _residual_candidates(
    residual: np.ndarray,
    valid: np.ndarray,
    block,
    *,
    substances: np.ndarray,
    calibration: verdicts.Calibration | None,
    pool: list,
    ranks: np.ndarray | None = None,
) -> list:
    """Substances that match what the best single reference leaves unexplained.

    A cutting agent at a quarter of the signal may rank far below the major component's
    relatives in the search of the whole spectrum, and so never be a mixture candidate. The
    residual (:func:`_positive_residual`, on the grid, zero outside ``valid``) is put through
    the library's comparison representation and searched over ``valid`` like a query: one
    more pass over the matrix. A substance not yet in ``pool`` is added, up to
    :data:`RESIDUAL_CANDIDATES`, only when the residual's match to it would not be a
    ``no_match`` on its own (:func:`forensic.verdict.is_no_match`):
    what is left of a pure sample is the difference between two measurements of one
    substance, and matches nothing that well. The mixture fit's own tests still decide what
    is kept.
    """
    inside = np.flatnonzero(valid)
    if inside.size == 0 or not np.any(residual):
        return []
    lo, hi = int(inside[0]), int(inside[-1]) + 1
    rep = representation_from_linear(residual, lo, hi, block.pipeline)
    if not np.any(rep):
        return []
    scores = score_query(rep, lo, hi, block.matrix, block.start, block.stop, block.cumsums)
    have = {h.substance for h in pool}
    hits = top_hits(scores, substances, RESIDUAL_CANDIDATES + len(have), ranks=ranks)
    fresh = [
        h
        for h in hits
        if h.substance not in have
        and not _no_evidence(h.score, calibration, _range_share(block, (lo, hi), h.index))
    ]
    return fresh[:RESIDUAL_CANDIDATES]


def _q_value(calibration: verdicts.Calibration | None, score: float, share: float = 1.0) -> float:
    """A score's q-value by the library's calibration, on the curve of the share of the
    reference compared (:meth:`forensic.verdict.Calibration.q_value`); NaN for a library
    without one, or a share no curve covers."""
    return float("nan") if calibration is None else float(calibration.q_value(score, share))


def _no_evidence(
    score: float, calibration: verdicts.Calibration | None, share: float = 1.0
) -> bool:
    """Whether a match at ``score``, comparing ``share`` of its reference, would be a
    ``no_match`` on its own (:func:`forensic.verdict.is_no_match`, with the calibration's
    q-value or, without one, the uncalibrated score threshold)."""
    return verdicts.is_no_match(score, _q_value(calibration, score, share))


class _Prepared(NamedTuple):
    """A query made ready for the library: its spectrum part and its row on the grid."""

    spectrum_part: Spectrum  # the pipeline's spectrum part (baseline-corrected, on the grid)
    row: np.ndarray  # (G,) the comparison representation, zero outside [start, stop)
    start: int
    stop: int


_NOT_TWICE = ("compress_intensity", "derivative")
"""Steps of a comparison representation that make another spectrum of one when run twice (a
power of a power, a derivative of a derivative): a query whose history holds one is refused.
The others, spike removal, resampling, baseline correction and normalising, change a spectrum
they already ran on little (a synthetic query's score by 0.02 when its spectrum part had run)."""


def _prepare(spectrum: Spectrum, block) -> _Prepared:
    """Run the block's pipeline on a query; its row on the grid and its range."""
    grid = block.grid
    head, tail = split_representation(block.pipeline)
    twice = [step.name for step in spectrum.history if step.name in _NOT_TWICE]
    twice = [name for name in dict.fromkeys(twice) if name in tail.names]
    if twice:
        raise IdentificationError(
            f"the query has already been through {' and '.join(twice)} (its history says so), "
            "which the library's pipeline runs on it again: run twice, they distort its bands "
            "(the derivative of a derivative). Identify the spectrum as measured, before any "
            "of the pipeline's steps or with only spikes removed, resampled or "
            "baseline-corrected"
        )
    try:
        part = head(spectrum)
        processed = tail(part)
    except ForensicError as exc:
        axis = axis_unit_problem(spectrum)  # the likely cause, as _search names it
        # too little of the grid in range: so it stays, however often it is identified
        failed = OutOfRangeError if isinstance(exc, GridCoverageError) else IdentificationError
        raise failed(
            f"the query ({_axis_value(spectrum.wavenumber[0])}-"
            f"{_axis_value(spectrum.wavenumber[-1])} cm-1) cannot be compared with the library "
            f"grid ({grid[0]:.0f}-{grid[-1]:.0f} cm-1): {exc}"
            + ("" if axis is None else f"; the {axis}")
        ) from None
    q_start, q_stop = grid_range(grid, processed.wavenumber)
    query = np.zeros(grid.size, dtype=np.float64)
    query[q_start:q_stop] = processed.intensity
    if not np.any(query):
        raise IdentificationError("the query is flat after preprocessing: there is no band")
    return _Prepared(part, query, q_start, q_stop)


def _axis_value(value: float) -> str:
    """An axis value as a message writes it: whole cm-1, but 0.79, not 1, for an axis in
    other units (µm) that never reaches 10."""
    return f"{value:.0f}" if abs(value) >= 10 else f"{value:.3g}"


def _evidence_row(prepared: _Prepared, block) -> tuple[np.ndarray, float]:
    """The query whose bands are the peak evidence, on the grid (maximum 1), and its noise.

    Its own spectrum part smoothed as the references are
    (:func:`forensic.processing.smooth_as_representation`), not the query that the alignment
    compares with the rebuilt references, smoothed through the representation's power as they
    are (:func:`forensic.processing.linear_from_spectrum`): with noise of 2 % of the range the
    square root and derivative make noise bumps of that query look like bands, which no
    reference has, and the right reference then matches fewer than half of the "bands"
    (docs/identification.md, *Peak alignment*).
    """
    smoothed, noise = smooth_as_representation(prepared.spectrum_part, block.pipeline)
    row = np.zeros(block.grid.size, dtype=np.float64)
    row[prepared.start : prepared.stop] = smoothed.intensity
    scale = float(np.abs(row).max())
    return (row / scale, noise / scale) if scale > 0 else (row, noise)


def _block_for(spectrum: Spectrum, library: Library):
    if spectrum.modality not in library.blocks:
        have = ", ".join(library.modalities) or "none"
        said = (
            f"the query is a {spectrum.modality} spectrum but the library holds only {have} "
            "references"
        )
        axis = axis_unit_problem(spectrum)
        if axis is not None and IR_AXIS_IN_UM in axis:
            # read as Raman for want of a word in its file: an IR spectrum, its axis in µm
            raise IdentificationError(f"{said}; the {axis}")
        raise IdentificationError(f"{said}: use a library with {spectrum.modality} references")
    return library.block(spectrum.modality)


def _hit_dicts(library: Library, modality: str, hits) -> list[dict[str, Any]]:
    out = []
    for rank, hit in enumerate(hits, start=1):
        entry = library.entry(modality, hit.index)
        out.append(
            {
                "rank": rank,
                "name": entry["name"],
                "entry_id": entry["entry_id"],
                "score": float(hit.score),
                "row": int(hit.index),
            }
        )
    return out


def comparison_row(spectrum: Spectrum, library: Library) -> tuple[np.ndarray, int, int]:
    """A query as the library's matrix is scored against it (:func:`quick_search`,
    :func:`identify`): the library's pipeline for its modality run on it, on the library's grid.

    Parameters
    ----------
    spectrum : Spectrum
        The query, as read.
    library : Library
        The reference library.

    Returns
    -------
    row : numpy.ndarray
        (G,) float64 on the library's grid of the spectrum's modality, zero outside
        ``[start, stop)``.
    start, stop : int
        The grid points the query covers.

    Raises
    ------
    IdentificationError
        As :func:`quick_search`.
    """
    prepared = _prepare(spectrum, _block_for(spectrum, library))
    return prepared.row, prepared.start, prepared.stop


def quick_search(spectrum: Spectrum, library: Library, *, top: int = 5) -> list[dict[str, Any]]:
    """Preprocess one query and score it against the whole library: no alignment, no verdict.

    The fast path of :func:`identify` (what the speed benchmark times): the library's pipeline,
    one pass over the matrix (:func:`forensic.search.score_query`), top ``top`` substances.

    Parameters
    ----------
    spectrum : Spectrum
        The query, as read (the library's pipeline for its modality is applied to it).
    library : Library
        The reference library.
    top : int
        Substances returned.

    Returns
    -------
    list of dict
        ``{"rank", "name", "entry_id", "score", "row"}``, best first.

    Raises
    ------
    IdentificationError
        The library has no reference of the spectrum's modality, the pipeline refuses the
        spectrum (too little of its range on the library's grid), or it is flat once processed.
    TypeError
        As :func:`identify`.
    """
    _check_arguments(spectrum, library, top, library_needed=True)
    block = _block_for(spectrum, library)
    _, query, q_start, q_stop = _prepare(spectrum, block)
    scores = score_query(
        query, q_start, q_stop, block.matrix, block.start, block.stop, block.cumsums
    )
    hits = top_hits(
        scores,
        library.substances(spectrum.modality),
        top,
        ranks=library.entry_ranks(spectrum.modality),
    )
    return _hit_dicts(library, spectrum.modality, hits)


def quick_search_batch(
    spectra: list[Spectrum], library: Library, *, top: int = 5
) -> list[list[dict[str, Any]]]:
    """:func:`quick_search` for many queries of one modality with one pass over the matrix.

    Parameters
    ----------
    spectra : list of Spectrum
        The queries, all of one modality.
    library : Library
        The reference library.
    top : int
        Substances returned for each query.

    Returns
    -------
    list of list of dict
        For each query in order, its hits as :func:`quick_search` gives them; empty for no
        queries.

    Raises
    ------
    IdentificationError
        When the spectra are not all of one modality, or one cannot be compared.
    TypeError
        As :func:`identify`, for any of the spectra.
    """
    for spectrum in spectra:
        _check_arguments(spectrum, library, top, library_needed=True)
    if not spectra:
        return []
    modalities = {s.modality for s in spectra}
    if len(modalities) > 1:
        raise IdentificationError(f"a batch must be of one modality, got {sorted(modalities)}")
    block = _block_for(spectra[0], library)
    prepared = [_prepare(s, block) for s in spectra]
    queries = np.stack([p.row for p in prepared])
    q_start = np.array([p.start for p in prepared])
    q_stop = np.array([p.stop for p in prepared])
    scores = score_batch(
        queries, q_start, q_stop, block.matrix, block.start, block.stop, block.cumsums
    )
    subs = library.substances(spectra[0].modality)
    ranks = library.entry_ranks(spectra[0].modality)
    return [
        _hit_dicts(library, spectra[0].modality, top_hits(row, subs, top, ranks=ranks))
        for row in scores
    ]


def _ms(t: float) -> float:
    return round((time.perf_counter() - t) * 1000.0, 3)
