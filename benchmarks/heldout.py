"""Held-out check of the q-values: are they honest on queries the calibration never saw?

A q-value of 0.05 promises that among the hits at q <= 0.05 at most about 5 % are wrong. The
calibration (:func:`forensic.verdict.calibrate_library`) fits its curves to its own queries,
so its in-sample figures hold by construction. Here the q-values the engine gives are checked
on queries it did not use, per stratum of the share of the reference compared
(``range_share``: the full range from :data:`forensic.verdict.RANGE_SHARE_FULL`, each of
:data:`forensic.verdict.RANGE_SHARE_STRATA`, and below them, where there is no q-value):

- **Other seeds** (:func:`other_seed_hits`): fresh draws of the calibration's own kind of
  query (references as spectra, perturbed by :func:`forensic.verdict.perturb`, half of them
  cut to a window holding 25-80 % of the reference, a quarter with their substance taken out
  of the targets), from seeds the calibration did not use, searched as the product searches
  (the shift search over the library's matrix) and read on the library's curves by the best
  target's share. They test whether the curves, fitted on a few hundred competitions a
  stratum, hold on another sample of the same kind.
- **Real spectra** (:func:`real_hits`): measured spectra identified with
  :func:`forensic.identify` against libraries built and calibrated without them (folds), whole
  and cut to 60 % and 35 % of their range. RRUFF: each dev sample's query file (the library
  keeps the mineral's other samples) and, as queries whose substance the library lacks, a
  third as many confusers (so a quarter are absent, the calibration's assumption). ENFSI IR
  (one spectrum a compound): every spectrum with its compound left out (absent), and three
  times as many spectra of the compounds kept, perturbed as the drugs benchmark perturbs them
  (:func:`benchmarks.drugs.queries`). They test the calibration's model of a re-measurement.

Beside them, per fold library, what the library itself predicts (:func:`left_out_estimate`):
its own references searched against it without themselves, another sample of the substance the
right answer where it has one, absent with their substance out, mixed a quarter absent
(:func:`forensic.verdict.left_out_share_wrong`): the share wrong at q <= 0.05 on the full range,
and among the hits that would be identified at the library's margin over the best different
substance. :func:`estimate_line` sets it beside the promise, the calibration's own estimate
and the real share wrong.

For each stratum and threshold (:data:`THRESHOLDS`), :func:`tally` counts the hits accepted,
the share of them wrong, its one-sided 95 % Clopper-Pearson upper bound and the binomial test
of "no more wrong than the threshold" (:func:`scipy.stats.binomtest`): a stratum is flagged
where the share wrong exceeds the threshold beyond sampling error (p < 0.05).
"""

from __future__ import annotations

import collections
import functools
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from benchmarks import datasets, drugs, engine
from benchmarks.text import counted
from forensic import verdict
from forensic.library import interval_score_fn
from forensic.naming import substance_key
from forensic.processing import linear_from_representation, representation_from_linear
from forensic.search import (
    BREAKPOINT_EVERY,
    MIN_OVERLAP_POINTS,
    range_share,
    ranges_to_mask,
    score_shifted,
    shift_steps,
)

THRESHOLDS = (0.01, 0.05, 0.1)
"""The q-value thresholds checked (0.05 is the one that identifies)."""
FLAG_P = 0.05
"""A threshold is flagged when the binomial test of its share wrong against it gives less."""
OTHER_SEEDS = (101, 102, 103, 104)
"""Seeds of the held-out draws of calibration-like queries (the calibration uses seed 0, and
its draws seeds 0 to a few thousand above it; these streams are seeded apart)."""
QUERIES_PER_SEED = 1000
"""Full-range queries per seed, and as many range-cut ones."""
CUTS = (1.0, 0.6, 0.35)
"""The share of a real query's wavenumber range kept: whole, 60 %, 35 % (a seeded window)."""
FOLDS = 5
"""Real queries are identified against libraries built without a fifth of them at a time."""
ABSENT_PER_PRESENT = 1 / 3
"""Absent queries per present one: a quarter absent, as the calibration assumes."""
NO_Q = "no q-value"


# ---------------------------------------------------------------------------------------------
# The figures: strata, tallies, the binomial check
# ---------------------------------------------------------------------------------------------
def strata() -> list[tuple[float, float]]:
    """The strata of the share of the reference compared, highest first, as the engine reads
    q-values: ``(lowest, highest)``; the last one, below every calibrated stratum, has none."""
    calibrated = [(verdict.RANGE_SHARE_FULL, 1.0), *verdict.RANGE_SHARE_STRATA]
    return [*calibrated, (0.0, min(lowest for lowest, _ in calibrated))]


def stratum_label(lowest: float, highest: float) -> str:
    """``full range (80-100 %)``, ``50-80 %``, ``below 25 %``."""
    if highest >= 1.0:
        return f"full range ({lowest * 100:.0f}-100 %)"
    if lowest <= 0.0:
        return f"below {highest * 100:.0f} %"
    return f"{lowest * 100:.0f}-{highest * 100:.0f} %"


def stratum_of(share: float) -> str:
    """The label of the stratum a hit comparing ``share`` of its reference is read in."""
    for lowest, highest in strata():
        if lowest <= share < highest or (highest >= 1.0 and share >= lowest):
            return stratum_label(lowest, highest)
    return stratum_label(*strata()[-1])


def honesty(n_wrong: int, n_hits: int, nominal: float) -> dict:
    """Whether ``n_wrong`` wrong hits among ``n_hits`` accepted at q <= ``nominal`` keep its
    promise.

    Parameters
    ----------
    n_wrong, n_hits : int
        Wrong hits, and all hits, accepted at the threshold.
    nominal : float
        The threshold, the share wrong the q-values promise at most.

    Returns
    -------
    dict
        ``hits``, ``wrong``, ``share_wrong`` (None without hits), ``upper_95`` (one-sided
        95 % Clopper-Pearson upper bound of the share wrong; None without hits), ``p_value``
        (binomial test, alternative: more wrong than ``nominal``; None without hits) and
        ``exceeds`` (``p_value < FLAG_P``: above the threshold beyond sampling error).
    """
    if n_hits == 0:
        return {
            "hits": 0,
            "wrong": 0,
            "share_wrong": None,
            "upper_95": None,
            "p_value": None,
            "exceeds": False,
        }
    upper = stats.binomtest(n_wrong, n_hits, alternative="less").proportion_ci(0.95).high
    p = stats.binomtest(n_wrong, n_hits, nominal, alternative="greater").pvalue
    return {
        "hits": int(n_hits),
        "wrong": int(n_wrong),
        "share_wrong": n_wrong / n_hits,
        "upper_95": float(upper),
        "p_value": float(p),
        "exceeds": bool(p < FLAG_P),
    }


def tally(hits: Iterable[dict], thresholds: Sequence[float] = THRESHOLDS) -> dict[str, dict]:
    """Per stratum: the hits, those without a q-value, and :func:`honesty` at each threshold.

    Parameters
    ----------
    hits : iterable of dict
        One per query's best hit: ``range_share`` (float), ``q_value`` (float, or None for
        none) and ``wrong`` (bool).
    thresholds : sequence of float
        The q-value thresholds.

    Returns
    -------
    dict
        Keyed by :func:`stratum_label`, highest share first, every stratum present:
        ``{"hits": int, "wrong": int, "without_q": int, "at_q": {"0.05": honesty, ...}}``
        (``at_q`` empty for the stratum below the calibrated ones).
    """
    rows = list(hits)
    out: dict[str, dict] = {}
    for lowest, highest in strata():
        label = stratum_label(lowest, highest)
        mine = [h for h in rows if stratum_of(h["range_share"]) == label]
        q = np.array([np.nan if h["q_value"] is None else h["q_value"] for h in mine], float)
        wrong = np.array([bool(h["wrong"]) for h in mine], dtype=bool)
        entry = {
            "hits": len(mine),
            "wrong": int(wrong.sum()),
            "without_q": int(np.isnan(q).sum()),
            "at_q": {},
        }
        if lowest > 0.0:
            for thr in thresholds:
                accepted = q <= thr  # NaN (no q-value) is never accepted
                entry["at_q"][f"{thr:g}"] = honesty(
                    int(wrong[accepted].sum()), int(accepted.sum()), thr
                )
        out[label] = entry
    return out


def flagged(table: dict[str, dict]) -> list[str]:
    """``stratum at q <= t`` for each threshold of a :func:`tally` that exceeds its promise."""
    return [
        f"{label} at q <= {thr}"
        for label, entry in table.items()
        for thr, check in entry["at_q"].items()
        if check["exceeds"]
    ]


# ---------------------------------------------------------------------------------------------
# Other seeds: fresh calibration-like queries
# ---------------------------------------------------------------------------------------------
def other_seed_hits(
    library,
    modality: str,
    seed: int,
    *,
    n_queries: int = QUERIES_PER_SEED,
    absent_fraction: float = 0.25,
) -> list[dict]:
    """Best hits of ``n_queries`` full-range and as many range-cut queries drawn from ``seed``.

    Each query is a reference of the library as a spectrum
    (:func:`forensic.processing.linear_from_representation`), perturbed with
    :func:`forensic.verdict.perturb`, over its whole range or a random window holding a share
    of its squared norm drawn evenly over the strata of
    :data:`forensic.verdict.RANGE_SHARE_STRATA`, as the calibration draws its own queries; for
    ``absent_fraction`` of them every entry of its substance is out of the targets. It is
    scored against the library's matrix with the shift search
    (:func:`forensic.search.score_shifted`, as identification's candidates are), and its best
    target's q-value is read on the library's calibration at that target's share
    (:meth:`forensic.verdict.Calibration.q_value`), as identification reads it.

    Returns
    -------
    list of dict
        ``range_share``, ``q_value`` (None where not calibrated), ``wrong``, ``score``,
        ``margin`` (over the best target of a different substance; ``inf`` without one),
        ``cut`` (whether range-cut) and ``absent`` per query that has a best target.
    """
    block = library.block(modality)
    cal = verdict.Calibration.from_dict(block.calibration)
    labels = library.substances(modality)
    matrix = np.asarray(block.matrix)
    n, g = matrix.shape
    rng = np.random.default_rng((seed, 0x4E1D))
    rounds = -(-n_queries // n)
    rows = np.concatenate([rng.permutation(n) for _ in range(2 * rounds)])
    rows = np.concatenate([rows[:n_queries], rows[rounds * n : rounds * n + n_queries]])
    cut = np.arange(rows.size) >= n_queries
    linear = {
        int(r): linear_from_representation(
            matrix[r].astype(float), int(block.start[r]), int(block.stop[r]), block.pipeline
        )
        for r in np.unique(rows)
    }
    start = np.asarray(block.start)[rows].astype(np.int64)
    stop = np.asarray(block.stop)[rows].astype(np.int64)
    bounds = np.asarray(verdict.RANGE_SHARE_STRATA, dtype=float)
    which = rng.integers(len(bounds), size=rows.size)
    shares = rng.uniform(bounds[which, 0], bounds[which, 1])
    for k in np.flatnonzero(cut):
        start[k], stop[k] = window(matrix[rows[k]], start[k], stop[k], shares[k], rng)
    valid = ranges_to_mask(start, stop, g)
    perturbed = verdict.perturb(
        np.stack([linear[int(r)] for r in rows]), valid, seed=int(rng.integers(2**62))
    )
    queries = representation_from_linear(perturbed, start, stop, block.pipeline)
    absent = rng.random(rows.size) < absent_fraction
    steps = shift_steps(block.grid)
    out = []
    for lo in range(0, rows.size, 250):  # bounds the (queries x references) temporaries
        these = slice(lo, min(lo + 250, rows.size))
        scores = score_shifted(
            queries[these].astype(np.float32),
            start[these],
            stop[these],
            matrix,
            block.start,
            block.stop,
            block.cumsums,
            steps,
        )
        own = labels[rows[these]][:, None] == labels[None, :]
        scores = np.where(absent[these][:, None] & own, -np.inf, scores)
        best = scores.argmax(axis=1)
        top = scores[np.arange(best.size), best]
        other = np.where(labels[None, :] == labels[best][:, None], -np.inf, scores).max(axis=1)
        share = range_share(start[these], stop[these], best, block.cumsums, g)
        q = cal.q_value(top, share)
        for k in range(best.size):
            if not np.isfinite(top[k]):
                continue  # no reference passes the overlap rule
            i = lo + k
            out.append(
                {
                    "range_share": float(share[k]),
                    "q_value": None if np.isnan(q[k]) else float(q[k]),
                    "wrong": bool(labels[best[k]] != labels[rows[i]]),
                    "score": float(top[k]),
                    "margin": float(top[k] - other[k]) if np.isfinite(other[k]) else np.inf,
                    "cut": bool(cut[i]),
                    "absent": bool(absent[i]),
                }
            )
    return out


def left_out_estimate(library, modality: str, *, seed: int = OTHER_SEEDS[0]) -> dict:
    """What a library predicts of its own share wrong, from its references left out one at a
    time, beside its calibration's own estimate.

    A calibration of method 6 or later has chosen its margin from these queries and keeps the
    figures (``Calibration.empirical["left_out"]``); for an older one they are computed here,
    as calibration method 6 did (:func:`forensic.verdict.choose_margin`: at most
    :data:`forensic.verdict.LEFT_OUT_QUERIES` references as stored, searched with the shift
    search over the library's matrix; method 7 re-measures them first), and a library of one
    entry per substance, whose left-out references can only be absent, takes its present
    queries from fresh calibration-like ones (:func:`other_seed_hits`, ``seed``, full range).

    Returns
    -------
    dict
        ``share_wrong`` (the estimate at q <= 0.05, full range, no margin rule),
        ``share_wrong_identified`` (also at the library's margin), ``margin_min`` (the
        library's), ``chosen_by_library`` (whether its calibration chose it), ``n_present``,
        ``n_absent``, ``present_from``, ``calibration_heldout_half`` (the calibration's own
        figure: its share wrong at q <= 0.05 on the held-out half of its queries) and
        ``seconds``.
    """
    t0 = time.perf_counter()
    block = library.block(modality)
    cal = verdict.Calibration.from_dict(block.calibration)
    figures = cal.empirical.get("left_out")
    if figures is None:
        matrix = np.asarray(block.matrix)
        left = verdict.left_out_competitions(
            matrix,
            ranges_to_mask(block.start, block.stop, matrix.shape[1]),
            functools.partial(interval_score_fn, max_shift_steps=shift_steps(block.grid)),
            library.substances(modality),
            draws=0,  # the comparison matrix, not spectra: searched as stored (method 6)
        )
        present = None
        if left.present_score.size == 0:
            own = [
                h
                for h in other_seed_hits(library, modality, seed)
                if not h["cut"] and not h["absent"]
            ]
            present = (
                np.array([h["score"] for h in own]),
                np.array([h["margin"] for h in own]),
                np.array([h["wrong"] for h in own], dtype=bool),
            )
        _, figures = verdict.choose_margin(
            left, cal.q_value, present=present, grid=(cal.margin_threshold,)
        )
    return {
        "share_wrong": figures["share_wrong_without_margin"],
        "share_wrong_identified": figures["share_wrong_by_margin"].get(
            f"{cal.margin_threshold:g}", figures["share_wrong"]
        ),
        "margin_min": cal.margin_threshold,
        "chosen_by_library": cal.margin_min is not None,
        "n_present": figures["n_present"],
        "n_absent": figures["n_absent"],
        "present_from": figures["present_from"],
        "calibration_heldout_half": cal.empirical.get("heldout_fdp_at_q_0.05"),
        "seconds": time.perf_counter() - t0,
    }


def estimate_line(folds: Sequence[dict], hits: Sequence[dict], nominal: float = 0.05) -> list[str]:
    """The held-out check's comparison of the estimates of the share wrong with the real one.

    Parameters
    ----------
    folds : sequence of dict
        Each fold library's :func:`left_out_estimate`.
    hits : sequence of dict
        The real queries' best hits (:func:`real_hits`): ``range_share``, ``q_value``,
        ``wrong``, ``cut`` and ``verdict``.
    nominal : float
        The promise (:data:`forensic.verdict.Q_IDENTIFIED`).

    Returns
    -------
    list of str
        Two lines: at q <= ``nominal`` on the full range, the promise, the calibration's own
        estimate (mean over the folds), the left-out references' (mean, and the folds' range)
        and the real share wrong with its upper 95 % bound; then among the whole real spectra
        *identified*, the folds' margins, the left-out estimate and the real share wrong.
    """

    def pct(v: float | None) -> str:
        return "n/a" if v is None else f"{v:.1%}"

    def mean(key: str) -> float | None:
        values = [f[key] for f in folds if f.get(key) is not None]
        return float(np.mean(values)) if values else None

    def spread(key: str) -> str:
        values = [f[key] for f in folds if f.get(key) is not None]
        return f"{min(values):.1%}-{max(values):.1%}" if values else "n/a"

    full = tally(hits)[stratum_label(verdict.RANGE_SHARE_FULL, 1.0)]["at_q"][f"{nominal:g}"]
    real = (
        f"{pct(full['share_wrong'])} of {full['hits']} (upper 95 % {pct(full['upper_95'])})"
        if full["hits"]
        else "no hits"
    )
    whole = [h for h in hits if h.get("cut", 1.0) >= 1.0 and h.get("verdict") == "identified"]
    check = honesty(sum(bool(h["wrong"]) for h in whole), len(whole), nominal)
    identified = (
        f"{pct(check['share_wrong'])} of {check['hits']} (upper 95 % {pct(check['upper_95'])})"
        if check["hits"]
        else "none identified"
    )
    present = sorted({f["present_from"] for f in folds})
    margins = ", ".join(f"{f['margin_min']:g}" for f in folds)
    chosen = (
        "chosen by each fold library"
        if all(f["chosen_by_library"] for f in folds)
        else ("MARGIN_MIN: calibrated before libraries chose it")
    )
    return [
        f"      q<={nominal:g}, full range: promised {nominal:.1%}; the calibration's own "
        f"queries {pct(mean('calibration_heldout_half'))} (held-out half); left-out references "
        f"{pct(mean('share_wrong'))} (folds {spread('share_wrong')}; a fold "
        f"{mean('n_present'):.0f} present, {mean('n_absent'):.0f} absent, present: "
        f"{'; '.join(present)}); real held out {real}",
        f"      identified (margin over the best different substance {margins}, {chosen}): "
        f"left-out references {pct(mean('share_wrong_identified'))}; real held out, whole "
        f"spectra {identified}",
    ]


def window(
    represented: np.ndarray, start: int, stop: int, share: float, rng: np.random.Generator
) -> tuple[int, int]:
    """A random window ``[a, b)`` of ``[start, stop)`` holding about ``share`` of the row's
    squared norm, at least long enough for the search's overlap rule once snapped to its
    breakpoints; the whole range when that is too short to cut."""
    shortest = MIN_OVERLAP_POINTS + 2 * BREAKPOINT_EVERY
    energy = np.cumsum(np.square(represented[start:stop]))
    if stop - start <= shortest or energy[-1] <= 0:
        return start, stop
    energy /= energy[-1]
    first = rng.uniform(0.0, 1.0 - share)
    a = start + int(np.searchsorted(energy, first))
    b = start + int(np.searchsorted(energy, first + share)) + 1
    if b - a < shortest:
        a = min(max(start, (a + b - shortest) // 2), stop - shortest)
        b = a + shortest
    return a, min(b, stop)


# ---------------------------------------------------------------------------------------------
# Real spectra: libraries built without the queries
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RealQuery:
    """A measured spectrum identified against a library built without ``leave_out``."""

    record: datasets.Record
    wavenumber: np.ndarray
    intensity: np.ndarray
    absent: bool  # by design, its substance is in none of the fold's references
    leave_out: str  # the sample (RRUFF ID, ENFSI id) its fold's library leaves out; "" none
    fold: int
    how: str  # "measured" or what was done to it


def cut_range(
    x: np.ndarray, y: np.ndarray, keep: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """The points of a window holding ``keep`` of the spectrum's wavenumber range, placed at
    random (``keep`` 1: the whole spectrum)."""
    if keep >= 1.0:
        return x, y
    width = keep * float(x[-1] - x[0])
    lo = float(x[0]) + rng.uniform(0.0, float(x[-1] - x[0]) - width)
    inside = (x >= lo) & (x <= lo + width)
    return x[inside], y[inside]


def rruff_queries(
    dev: list[datasets.Record], confusers: list[datasets.Record], *, seed: int = 0
) -> list[RealQuery]:
    """The protocol's query of each dev sample (``datasets.loso_queries``), present through the
    mineral's other samples, and a third as many confusers, absent: folded so that a mineral's
    samples fall in different folds where they can."""
    rng = np.random.default_rng(seed)
    present = [dev[i] for i in datasets.loso_queries(dev)]
    by_mineral: dict[str, list[datasets.Record]] = collections.defaultdict(list)
    for r in present:
        by_mineral[substance_key(r.name)].append(r)
    fold_of: dict[str, int] = {}
    offset = 0
    for mineral in sorted(by_mineral):
        for k, r in enumerate(sorted(by_mineral[mineral], key=lambda r: r.sample)):
            fold_of[r.sample] = (offset + k) % FOLDS
        offset += len(by_mineral[mineral])
    n_absent = round(len(present) * ABSENT_PER_PRESENT)
    picked = sorted(rng.choice(len(confusers), size=n_absent, replace=False))
    absent = [confusers[i] for i in picked]
    out = [
        RealQuery(r, r.wavenumber, r.intensity, False, r.sample, fold_of[r.sample], "measured")
        for r in present
    ]
    out += [
        RealQuery(r, r.wavenumber, r.intensity, True, r.sample, k % FOLDS, "measured")
        for k, r in enumerate(absent)
    ]
    return out


def enfsi_queries(records: list[datasets.Record], *, seed: int = 0) -> list[RealQuery]:
    """Every ENFSI spectrum with its compound left out (absent), and, per fold, three times as
    many spectra of the compounds kept, perturbed as the drugs benchmark perturbs them
    (noise 2 %, a sloped baseline, the axis moved +8 cm-1: present)."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(records))
    fold = {int(i): k % FOLDS for k, i in enumerate(order)}
    moved = drugs.queries(records, drugs.SHIFTS_CM1[0], seed=seed)
    out = []
    for f in range(FOLDS):
        left = [i for i in range(len(records)) if fold[i] == f]
        kept = [i for i in range(len(records)) if fold[i] != f]
        out += [
            RealQuery(
                records[i],
                records[i].wavenumber,
                records[i].intensity,
                True,
                records[i].sample,
                f,
                "measured",
            )
            for i in left
        ]
        chosen = rng.choice(kept, size=min(len(kept), 3 * len(left)), replace=False)
        out += [
            RealQuery(
                records[i],
                *moved[i],
                False,
                "",
                f,
                "noise 2 %, sloped baseline, axis +8 cm-1",
            )
            for i in sorted(int(i) for i in chosen)
        ]
    return out


def real_hits(
    library_records: list[datasets.Record],
    queries: list[RealQuery],
    *,
    cuts: Sequence[float] = CUTS,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> list[dict]:
    """Identify every query, whole and cut (:data:`CUTS`), against the library of its fold:
    every record of ``library_records`` whose sample no query of the fold leaves out, built
    and calibrated as a user's library is (:func:`benchmarks.engine.build`).

    Returns
    -------
    list of dict
        One per query and cut that got a hit: ``name``, ``sample``, ``absent``, ``how``,
        ``cut``, ``hit``, ``score``, ``q_value`` (None where the engine gives none),
        ``range_share``, ``verdict``, ``wrong`` (the best hit's substance is not the
        query's), ``library_size``.
    """
    return real_check(library_records, queries, cuts=cuts, seed=seed, progress=progress)["hits"]


def real_check(
    library_records: list[datasets.Record],
    queries: list[RealQuery],
    *,
    cuts: Sequence[float] = CUTS,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """:func:`real_hits`, and each fold library's :func:`left_out_estimate`.

    Returns
    -------
    dict
        ``hits`` (as :func:`real_hits` gives them) and ``folds`` (one
        :func:`left_out_estimate` a fold library, in fold order).
    """
    rng = np.random.default_rng(seed)
    out, folds = [], []
    for f in sorted({q.fold for q in queries}):
        mine = [q for q in queries if q.fold == f]
        gone = {q.leave_out for q in mine if q.leave_out}
        kept = [r for r in library_records if r.sample not in gone]
        library = engine.build([r.spectrum() for r in kept])
        modality = kept[0].modality
        if library.block(modality).calibration is not None:
            folds.append(left_out_estimate(library, modality))
        if progress:
            progress(
                f"fold {f + 1}/{FOLDS}: {counted(len(mine), 'query', 'queries')}, "
                f"library of {len(kept)}"
            )
        for q in mine:
            for keep in cuts:
                x, y = cut_range(q.wavenumber, q.intensity, keep, rng)
                spec = datasets.as_spectrum(x, y, modality, {"name": q.record.name})
                result = engine.identify(spec, library, top=5, mixtures=False)
                if not result["hits"]:
                    continue
                hit = result["hits"][0]
                out.append(
                    {
                        "name": q.record.name,
                        "sample": q.record.sample,
                        "absent": q.absent,
                        "how": q.how,
                        "cut": keep,
                        "hit": hit["name"],
                        "score": hit["score"],
                        "q_value": hit["q_value"],
                        "range_share": hit["range_share"],
                        "verdict": result["verdict"],
                        "wrong": substance_key(hit["name"]) != substance_key(q.record.name),
                        "library_size": len(kept),
                    }
                )
    return {"hits": out, "folds": folds}
