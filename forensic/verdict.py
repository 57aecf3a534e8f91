"""Calibrated confidence: decoy references, target-decoy q-values, and the verdict.

A similarity score alone does not say how often a score that high happens by chance in *this*
library. We measure it the way proteomics does (target-decoy competition):

1. **Decoys** (:func:`make_decoys`): for every reference, a spectrum that looks like a reference
   (band shapes and widths, intensity profile, measured range, and band *regions*) but is no
   substance: either a local shuffle (segments between bands moved by a couple of places) or a
   chimera (blocks borrowed from other substances). A decoy therefore matches a query about as
   well as a *wrong* reference does, which is what a false identification is; fully shuffled
   spectra are too easy to beat and make the q-values optimistic (see :func:`make_decoys`).
2. **Competition** (:func:`calibrate_library`): perturbed references (noise, residual baseline,
   a few cm-1 of shift, a smooth change of relative band intensities) are searched with the
   production scoring (for a library: its shift search too, see
   :meth:`forensic.library.Library.calibrate`) against the references and against the decoys,
   so that a wrong reference has the same chances to look good as in a real search. For a
   quarter of the queries the query's own substance is removed from the targets, so the
   library does not contain the answer, as happens in casework. Each query keeps its best
   target and its best decoy; the better of the two wins.
3. **q-values** (:func:`calibrate`): among the winners, the false-discovery rate of accepting
   every target win scoring at least ``s`` is estimated as (decoy wins >= s + 1) / (target wins
   >= s) with :func:`pyteomics.auxiliary.qvalues` (formula 1, "+1" correction); the q-value of a
   score is the smallest such rate over thresholds at or below it. :class:`Calibration` keeps the
   (score, q) curve and interpolates it monotonically for new scores.

Because the queries are built from the library itself, we also know which target wins were
really wrong, and :meth:`Calibration.summary` reports that empirical false-discovery proportion
beside the estimate: a check that the decoys are realistic.

4. **Partial comparisons** (:func:`calibrate_library`, :class:`ShareStratum`): a query measured
   over part of a reference's range compares only the bands there (the share of the reference
   compared, :func:`forensic.search.range_share`), and over a short range a wrong reference
   scores high by chance more often. The queries above are references on their full
   range; **range-cut queries**, perturbed references cut to a random window (drawn from a
   seed of their own, so the full-range curve stays as it was), are scored the same way, and a
   curve is made for each stratum of the best target's share (:data:`RANGE_SHARE_STRATA`). A
   hit is read on the curve of its own stratum: the full-range curve from a share of
   :data:`RANGE_SHARE_FULL` up; below the lowest calibrated stratum its q-value is not
   calibrated (NaN), and :func:`decide` says so.
5. **The margin** (:func:`left_out_competitions`, :func:`choose_margin`): the library's own
   references, each re-measured (perturbed as above) and searched against it without itself,
   estimate how often a hit that would be identified is wrong when the right answer is another
   sample (or absent), and the library keeps the smallest margin over the best different
   substance (:data:`MARGIN_GRID`) that brings the estimate to :data:`Q_IDENTIFIED`
   (:attr:`Calibration.margin_min`), which :func:`decide` applies.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from pyteomics import auxiliary
from scipy import signal

from forensic.errors import IdentificationError
from forensic.naming import substance_key
from forensic.search import (
    BREAKPOINT_EVERY,
    MIN_OVERLAP_POINTS,
    breakpoint_cumsums,
    cosine,
    cosine_from_sums,
    mask_to_ranges,
    range_share,
    ranges_to_mask,
)

__all__ = [
    "LEFT_OUT_DRAWS",
    "LEFT_OUT_QUERIES",
    "MARGIN_GRID",
    "MARGIN_MIN",
    "MATCHED_FRACTION_MIN",
    "MIN_COMPETITIONS",
    "MIN_LEFT_OUT",
    "MIN_SIGNAL_TO_NOISE",
    "MIN_STRATUM_COMPETITIONS",
    "NOT_A_PURITY",
    "NO_MATCH_CANNOT_EXCLUDE",
    "Q_IDENTIFIED",
    "Q_NO_MATCH",
    "RANGE_CUT_QUERIES",
    "RANGE_SHARE_FULL",
    "RANGE_SHARE_STRATA",
    "SCORE_IDENTIFIED_UNCALIBRATED",
    "SCORE_KEY",
    "SCORE_NO_MATCH_UNCALIBRATED",
    "SHARE_OF_SIGNAL",
    "WORDED_FOR_THE_READER",
    "Calibration",
    "LeftOut",
    "ShareStratum",
    "calibrate",
    "calibrate_library",
    "choose_margin",
    "closest_line",
    "component_evidence",
    "decide",
    "decide_component",
    "decide_mixture",
    "decoy_efficiency",
    "format_beside",
    "format_q_value",
    "format_score",
    "format_share",
    "hits_line",
    "identified_substances",
    "is_no_match",
    "left_out_competitions",
    "left_out_share_wrong",
    "make_decoys",
    "margin_of",
    "no_match_to_do",
    "no_usable_signal",
    "perturb",
    "verdict_line",
]

# ---------------------------------------------------------------------------------------------
# Verdict thresholds.
#
# Q_IDENTIFIED / Q_NO_MATCH are false-discovery rates, so they mean the same thing whatever the
# library. calibrate_library() estimates them for a population in which a quarter of the
# queries have NO right answer in the library (their substance removed; an assumption, see its
# absent_fraction), so a q-value says how often a hit that good is wrong when the sample may be
# something the library lacks. Real libraries hold near-duplicates (isomorphous minerals,
# fentanyl analogues score above 0.99 against each other), so some wrong hits sit at the very
# top of the score range and q <= 0.01 is rarely reached, while q <= 0.05 is reached by most
# right answers (figures in the README, benchmarks/calibration.py): we identify at 5 % and let
# the margin and peak rules below catch the near-duplicates that are both in the library.
# Above q = 0.2 a hit that good is wrong at least one time in five: no match.
#
# MARGIN_MIN is in score units: the best hit must beat the best hit of a DIFFERENT substance by
# at least this much, the floor of the margin each library chooses from its own references left
# out one at a time (choose_margin; Calibration.margin_threshold: a library whose left-out
# references are beaten by members of their group, as RRUFF Raman's are, needs 0.15-0.2, see
# benchmarks/HISTORY.md). calibrate_library() measures what the floor costs and catches (keys
# right/wrong_margin_below_min): on the engine's ENFSI IR and RRUFF IR libraries, a margin below
# 0.02 flagged 1-1.6 % of the right best hits and 25-80 % of the (few, 4-5 of ~800) wrong best
# hits made while the right substance was in the library; the median right margin was 0.3.
#
# MATCHED_FRACTION_MIN: at least half of the query's bands, weighted by their prominence, must
# have a partner in the reference after alignment; less means the query holds bands the
# reference does not explain (a mixture, a different salt form, a contaminant) and a chemist has
# to look. Weighted, because counted one by one, a few bumps of a noisy spectrum that pass the
# peak threshold weigh as much as its strongest band: counted, 18 of the 208 perturbed ENFSI
# drug queries with the right best hit at q <= 0.035 stayed inconclusive (fewer than half of
# their peaks matched), weighted none; no wrong identified verdict was added there or on RRUFF.
# ---------------------------------------------------------------------------------------------
Q_IDENTIFIED = 0.05
"""Largest q-value for ``identified``."""
MIN_COMPETITIONS = 1000
"""calibrate_library() runs at least this many calibration queries (repeating references)."""
RANGE_SHARE_FULL = 0.8
"""A hit whose comparison sees at least this share of the reference's squared norm
(:func:`forensic.search.range_share`) is read on the full-range calibration curve."""
RANGE_SHARE_STRATA = ((0.5, 0.8), (0.25, 0.5))
"""The strata of the share of the reference compared below :data:`RANGE_SHARE_FULL`, each
``(lowest, highest)`` share, calibrated on range-cut queries (:func:`calibrate_library`);
below the lowest a q-value is not calibrated."""
RANGE_CUT_QUERIES = 1000
"""Range-cut calibration queries, spread evenly over :data:`RANGE_SHARE_STRATA`."""
MIN_STRATUM_COMPETITIONS = 250
"""A stratum of the share compared with fewer competitions than this (its range-cut queries
mostly found a best target of another share) is not calibrated: its hits have no q-value."""
Q_NO_MATCH = 0.20
"""Above this q-value the best hit is too often wrong to be evidence: ``no_match``."""
MARGIN_MIN = 0.02
"""Smallest score margin over the best different substance for ``identified``: the floor of
:data:`MARGIN_GRID`, and the margin of a library whose calibration chose none."""
MATCHED_FRACTION_MIN = 0.5
"""Smallest share of the query's band prominence matched by the reference for ``identified``
(:attr:`forensic.alignment.Alignment.matched_band_fraction`)."""
MIN_SIGNAL_TO_NOISE = 10.0
"""A query whose strongest band rises less than this many noise standard deviations above its
background (:func:`forensic.quality.spectrum_signal_to_noise`) carries no usable signal: its
verdict is ``inconclusive`` whatever its hits, since an empty or failed measurement can neither
identify a substance nor exclude one (a *no match* would read as "not a listed substance").
White noise alone scores about 5 to 7.5 by that measure (the highest of many noise points
always stands out a little); the reference spectra a library is made of score 30 or more
(``forensic.curation.MIN_SNR``)."""
SCORE_IDENTIFIED_UNCALIBRATED = 0.95
"""Only when no q-value is available (NaN): cosine needed for ``identified``."""
SCORE_NO_MATCH_UNCALIBRATED = 0.80
"""Only when no q-value is available (NaN): below this cosine, ``no_match``."""
SCORE_KEY = (
    "score: similarity to the reference, 1 = identical; q-value: the estimated share of wrong "
    "identifications among hits scoring at least as high"
)
"""What a hit's score and q-value mean, in the words every screen and report gives them (the
scan's screen under its hits, a report's key under its hit table)."""
Q_SHOWN_MIN = 0.001
"""Smaller q-values are shown as ``< 0.001`` (:func:`format_q_value`): about the smallest rate
a calibration of :data:`MIN_COMPETITIONS` queries tells apart from zero."""

_MIN_SEGMENT_POINTS = 12  # a decoy segment holds at least one band with its flanks
_MAX_DECOY_COSINE = 0.6  # a decoy must not resemble the reference it was made from
_LOCAL_REACH = 2.0  # segments of a local shuffle move by up to this many places
_CHIMERA_BLOCKS = 8  # blocks of a chimera decoy
_DECOY_TRIES = 20
_CHUNK_ELEMENTS = 4_000_000  # score matrices are computed in blocks of at most this many cells


# ---------------------------------------------------------------------------------------------
# Decoys
# ---------------------------------------------------------------------------------------------
def _as_mask(valid: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    mask = np.asarray(valid, dtype=bool)
    if mask.shape == shape[1:]:
        mask = np.broadcast_to(mask, shape)
    if mask.shape != shape:
        raise IdentificationError(
            f"valid mask of shape {mask.shape} does not match references of shape {shape} "
            f"(expected {shape} or {shape[1:]})"
        )
    return mask


def _as_matrix(references: np.ndarray) -> np.ndarray:
    refs = np.asarray(references)
    if refs.ndim == 1:
        refs = refs[None, :]
    if refs.ndim != 2:
        raise IdentificationError(f"references must be a 2-D (N, G) array, got shape {refs.shape}")
    if not np.all(np.isfinite(refs)):
        raise IdentificationError("references hold NaN or infinite intensities")
    return refs


def _cut_points(y: np.ndarray) -> list[int]:
    """Indices where a spectrum can be cut between bands: minima of ``|y|`` a dozen points apart.

    ``|y|`` so that the same rule works on intensity spectra (minima between bands) and on
    derivative spectra (zero crossings between lobes)."""
    n = y.size
    minima, _ = signal.find_peaks(-np.abs(y))
    cuts: list[int] = []
    last = 0
    for m in minima:
        if m - last >= _MIN_SEGMENT_POINTS and n - m >= _MIN_SEGMENT_POINTS:
            cuts.append(int(m))
            last = int(m)
    if len(cuts) < 3:  # too few minima (one broad band): cut at even intervals instead
        k = max(4, n // (4 * _MIN_SEGMENT_POINTS))
        cuts = [int(v) for v in np.linspace(0, n, k + 1)[1:-1]]
    return cuts


def _local_shuffle(y: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """Segments between bands, each moved by up to ``_LOCAL_REACH`` places (a local shuffle)."""
    if y.size < 4 * _MIN_SEGMENT_POINTS:
        return None
    segments = np.split(y, _cut_points(y))
    for _ in range(_DECOY_TRIES):
        key = np.arange(len(segments)) + rng.uniform(-_LOCAL_REACH, _LOCAL_REACH, len(segments))
        candidate = np.concatenate([segments[i] for i in np.argsort(key)])
        if cosine(candidate, y) <= _MAX_DECOY_COSINE:
            return candidate
    return None


def _global_shuffle(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Segments between bands in a random order (the fallback: always far from the original)."""
    if y.size < 2 * _MIN_SEGMENT_POINTS:
        return np.roll(y, y.size // 2)
    segments = np.split(y, _cut_points(y))
    best, best_cos = np.roll(y, y.size // 2), np.inf
    for _ in range(_DECOY_TRIES):
        candidate = np.concatenate([segments[i] for i in rng.permutation(len(segments))])
        cos = cosine(candidate, y)
        if cos < best_cos:
            best, best_cos = candidate, cos
        if cos <= _MAX_DECOY_COSINE:
            break
    return best


def _chimera(
    refs: np.ndarray,
    i: int,
    idx: np.ndarray,
    *,
    ranges: tuple[np.ndarray, np.ndarray],
    lab: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray | None:
    """Reference ``i``'s range cut into blocks, each block taken from another substance.

    Every region of a chimera looks like a region of some real reference (the functional-group
    bands of organics, the lattice modes of minerals), but the combination is no real
    substance. Each block is rescaled to the energy the reference has there, so the intensity
    profile across the range is kept."""
    n = refs.shape[0]
    if n < 3 or idx.size < _CHIMERA_BLOCKS * 4:
        return None
    y = np.asarray(refs[i, idx], dtype=float)
    first, last = ranges
    for _ in range(_DECOY_TRIES):
        edges = np.sort(rng.choice(np.arange(1, idx.size), _CHIMERA_BLOCKS - 1, replace=False))
        out = np.empty(idx.size)
        ok = True
        for block in np.split(np.arange(idx.size), edges):
            lo, hi = idx[block[0]], idx[block[-1]]
            cand = rng.integers(0, n, 24)  # rejection sampling: a donor covering the block
            good = cand[
                (cand != i) & (lab[cand] != lab[i]) & (first[cand] <= lo) & (last[cand] >= hi)
            ]
            if good.size == 0:
                ok = False
                break
            part = np.asarray(refs[good[0], idx[block]], dtype=float)
            own, got = float(np.linalg.norm(y[block])), float(np.linalg.norm(part))
            out[block] = part * (own / got) if got > 0 else part
        if ok and cosine(out, y) <= _MAX_DECOY_COSINE:
            return out
    return None


def make_decoys(
    references: np.ndarray,
    valid: np.ndarray,
    *,
    seed: int = 0,
    labels: Sequence[Any] | None = None,
) -> np.ndarray:
    """Decoy references: spectra that look like references but are no substance, one per row.

    Half of the decoys (chosen at random) are **local shuffles**: the reference's measured range
    is cut between bands (minima of ``|intensity|``, at least a dozen points apart) and each
    segment is moved by up to two places, so bands stay in their region (C-H stretches near
    3000 cm-1, fingerprint bands in the fingerprint) but not at their positions; the multiset of
    intensity values is exactly the reference's. The other half are **chimeras**: the range is
    cut into 8 random blocks and each block is taken, rescaled to the reference's energy there,
    from another substance that covers it. Both are drawn again until the decoy's cosine with
    its reference is at most 0.6; when that fails, a global shuffle of the segments is used.

    Why these and not fully shuffled spectra: a wrong substance that scores high shares band
    *regions* with the query (related compounds share functional groups), and fully shuffled
    decoys lack that, so they almost never beat a wrong reference and the q-values come out far
    too optimistic (measured on the ENFSI IR set: a fully shuffled decoy beat the best wrong
    reference in 1 % of competitions; local shuffles and chimeras in 26-62 %, about the 50 %
    that realistic decoys give).

    Parameters
    ----------
    references : numpy.ndarray
        Shape (N, G), preprocessed references on the library grid.
    valid : numpy.ndarray
        Shape (N, G) or (G,), bool: each reference's measured range.
    seed : int
        Seed of the random generator; the same seed gives the same decoys.
    labels : sequence, optional
        Length N, the substance of each row: a chimera never borrows from its own substance.

    Returns
    -------
    numpy.ndarray
        Shape (N, G), same dtype as ``references``, zero outside ``valid``.
    """
    refs = _as_matrix(references)
    mask = _as_mask(valid, refs.shape)
    n = refs.shape[0]
    return _decoys_for(refs, mask, _label_codes(labels, n), np.arange(n), seed=seed)


def _label_codes(labels: Sequence[Any] | None, n: int) -> np.ndarray:
    """Integer substance codes: equal labels, equal codes; no labels, every row its own."""
    if labels is None:
        return np.arange(n)
    if len(labels) != n:
        raise IdentificationError(f"{len(labels)} labels for {n} references")
    return np.unique(np.asarray([str(v) for v in labels]), return_inverse=True)[1]


def _decoys_for(
    refs: np.ndarray, mask: np.ndarray, lab: np.ndarray, rows: np.ndarray, *, seed: int
) -> np.ndarray:
    """Decoys of ``refs[rows]`` (shape (len(rows), G)); chimeras borrow from the whole library."""
    any_valid = mask.any(axis=1)
    first = np.where(any_valid, mask.argmax(axis=1), mask.shape[1])
    last = np.where(any_valid, mask.shape[1] - 1 - mask[:, ::-1].argmax(axis=1), -1)
    rng = np.random.default_rng(seed)
    chimera = rng.random(rows.size) < 0.5
    decoys = np.zeros((rows.size, refs.shape[1]), dtype=refs.dtype)
    for k, i in enumerate(rows):  # offline, once per calibration; each row is vectorised
        idx = np.flatnonzero(mask[i])
        if idx.size == 0:
            continue
        y = np.asarray(refs[i, idx], dtype=float)
        if chimera[k]:
            out = _chimera(refs, int(i), idx, ranges=(first, last), lab=lab, rng=rng)
        else:
            out = _local_shuffle(y, rng)
        decoys[k, idx] = out if out is not None else _global_shuffle(y, rng)
    return decoys


# ---------------------------------------------------------------------------------------------
# Calibration
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ShareStratum:
    """The calibration of comparisons that see a share of the reference in ``[lowest, highest)``.

    Attributes
    ----------
    lowest, highest : float
        The stratum's bounds on the share of the reference compared
        (:func:`forensic.search.range_share`).
    calibration : Calibration or None
        The curve of the range-cut queries whose best target's share fell in the stratum;
        None when they were fewer than :data:`MIN_STRATUM_COMPETITIONS` (not calibrated).
    n_competitions : int
        How many range-cut queries fell in the stratum.
    """

    lowest: float
    highest: float
    calibration: Calibration | None
    n_competitions: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form; :meth:`from_dict` inverts it.

        Returns
        -------
        dict
            ``range_share_lowest``, ``range_share_highest``, ``n_competitions`` and
            ``calibration`` (:meth:`Calibration.to_dict`, or None for none).
        """
        return {
            "range_share_lowest": float(self.lowest),
            "range_share_highest": float(self.highest),
            "n_competitions": int(self.n_competitions),
            "calibration": None if self.calibration is None else self.calibration.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ShareStratum:
        """Rebuild a stratum written by :meth:`to_dict`.

        Parameters
        ----------
        data : mapping
            As :meth:`to_dict` gives it (an item of a calibration's ``strata``).

        Returns
        -------
        ShareStratum

        Raises
        ------
        IdentificationError
            When its bounds are missing or not numbers, or its curve is not one
            (:meth:`Calibration.from_dict`).
        """
        try:
            lowest = float(data["range_share_lowest"])
            highest = float(data["range_share_highest"])
        except (KeyError, TypeError, ValueError) as exc:
            raise IdentificationError(
                f"calibration stratum lacks numeric range_share bounds: {exc}"
            ) from exc
        curve = data.get("calibration")
        return cls(
            lowest=lowest,
            highest=highest,
            calibration=None if curve is None else Calibration.from_dict(curve),
            n_competitions=int(data.get("n_competitions", 0)),
        )


@dataclass(frozen=True)
class Calibration:
    """Score -> q-value curve from a target-decoy competition.

    Attributes
    ----------
    scores : numpy.ndarray
        Shape (M,), increasing: the scores of the target wins (unique values).
    q_values : numpy.ndarray
        Shape (M,), non-increasing, in [0, 1]: q-value at each of those scores.
    n_queries, n_target_wins, n_decoy_wins : int
        Size of the competition.
    empirical : dict
        When the truth of each target win was known: the fraction of target wins at
        ``q <= 0.01`` and ``q <= 0.05`` that were in fact wrong (the check of the estimate).
    info : dict
        How the calibration was made (method, seed, library size, perturbations).
    no_evidence_below : float
        The median of the queries' best decoy scores: a hit that does not beat what a random
        band pattern typically reaches is no evidence, and its q-value is 1 (``-inf``: none).
        A q-value is a cumulative rate (of all hits at least this good), which flattens out at
        the overall error rate for low scores; this floor keeps such hits from looking usable.
    strata : tuple of ShareStratum, or None
        The curves of comparisons that see less of the reference than
        :data:`RANGE_SHARE_FULL` (range-cut queries, :func:`calibrate_library`), highest share
        first; None for a calibration made without them (before they existed, or by
        :func:`calibrate` alone), whose curve holds for full comparisons only.
    margin_min : float or None
        The margin over the best different substance this library identifies at, chosen from
        its left-out references (:func:`choose_margin`); None for a calibration that chose
        none (made before libraries chose it, or by :func:`calibrate` alone), which
        identifies at :data:`MARGIN_MIN` (:attr:`margin_threshold`).
    """

    scores: np.ndarray
    q_values: np.ndarray
    n_queries: int = 0
    n_target_wins: int = 0
    n_decoy_wins: int = 0
    empirical: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    no_evidence_below: float = float("-inf")
    strata: tuple[ShareStratum, ...] | None = None
    margin_min: float | None = None

    @property
    def margin_threshold(self) -> float:
        """The margin over the best different substance an identification needs in this
        library: :attr:`margin_min`, or :data:`MARGIN_MIN` for a calibration that chose none."""
        return MARGIN_MIN if self.margin_min is None else float(self.margin_min)

    def q_value(
        self, scores: np.ndarray | float, range_share: np.ndarray | float = 1.0
    ) -> np.ndarray:
        """q-values of scores, by monotone interpolation of the curve of their stratum.

        Parameters
        ----------
        scores : array_like
            Any shape; similarity scores on the same scale as the calibration.
        range_share : array_like, default 1.0
            The share of the reference each score compared
            (:func:`forensic.search.range_share`), broadcasting with ``scores``: from
            :data:`RANGE_SHARE_FULL` up the full-range curve is read, below it the curve of
            its :attr:`strata`.

        Returns
        -------
        numpy.ndarray
            The broadcast shape, in [0, 1], non-increasing in the score. Scores below the
            lowest calibrated target win or below :attr:`no_evidence_below` get 1; above the
            highest, the q-value of the highest. NaN where the share is in no calibrated
            stratum (:meth:`stratum`): not calibrated.
        """
        s = np.asarray(scores, dtype=float)
        share = np.asarray(range_share, dtype=float)
        s, share = np.broadcast_arrays(s, share)
        out = np.where(share >= RANGE_SHARE_FULL, self._curve_q(s), np.nan)
        for stratum in self.strata or ():
            if stratum.calibration is not None:
                inside = (share >= stratum.lowest) & (share < stratum.highest)
                out = np.where(inside, stratum.calibration.q_value(s), out)
        return out

    def _curve_q(self, s: np.ndarray) -> np.ndarray:
        if self.scores.size == 0:
            return np.ones_like(s)
        q = np.interp(s, self.scores, self.q_values, left=1.0, right=float(self.q_values[-1]))
        q = np.where(np.isnan(s) | (s < self.no_evidence_below), 1.0, q)
        return np.clip(q, 0.0, 1.0)

    def stratum(self, range_share: float) -> tuple[float, float] | None:
        """The stratum whose curve gives the q-value of a comparison seeing ``range_share``.

        Parameters
        ----------
        range_share : float
            The share of the reference compared (:func:`forensic.search.range_share`).

        Returns
        -------
        (float, float) or None
            The stratum's ``(lowest, highest)`` share (``(RANGE_SHARE_FULL, 1.0)`` for the
            full-range curve); None when no calibrated curve covers that share.
        """
        if range_share >= RANGE_SHARE_FULL:
            return (RANGE_SHARE_FULL, 1.0)
        for stratum in self.strata or ():
            if stratum.lowest <= range_share < stratum.highest:
                return None if stratum.calibration is None else (stratum.lowest, stratum.highest)
        return None

    def read_on(self, range_share: float) -> str | None:
        """Which curve a q-value of a comparison seeing ``range_share`` of its reference is
        read on, in words, when it is not the full-range curve.

        Parameters
        ----------
        range_share : float
            The share of the reference compared (:func:`forensic.search.range_share`).

        Returns
        -------
        str or None
            e.g. ``the query compares 37% of the reference: q-value read on the calibration
            of comparisons that see 25-50% of it``; None for the full-range curve, or no
            curve (:meth:`not_calibrated` says why).
        """
        stratum = self.stratum(range_share)
        if stratum is None or stratum[0] >= RANGE_SHARE_FULL:
            return None
        lowest, highest = stratum
        shown = format_beside(range_share, [lowest, highest], percent=True)
        return (
            f"the query compares {shown} of the reference: q-value read on the calibration "
            f"of comparisons that see {lowest * 100:.0f}-{highest:.0%} of it"
        )

    def not_calibrated(self, range_share: float) -> str | None:
        """Why a comparison seeing ``range_share`` of the reference has no q-value, in words.

        Parameters
        ----------
        range_share : float
            The share of the reference compared (:func:`forensic.search.range_share`).

        Returns
        -------
        str or None
            e.g. ``the query compares only 22% of the reference: q-value not calibrated for
            so short a comparison``; for a stratum of too few calibration queries
            (:data:`MIN_STRATUM_COMPETITIONS`), that; for a calibration made before partial
            comparisons were calibrated (:attr:`strata` None), that it was calibrated for full
            comparisons only; None when the share is calibrated.
        """
        if self.stratum(range_share) is not None:
            return None
        calibrated = [s.lowest for s in self.strata or () if s.calibration is not None]
        shown = format_beside(range_share, [RANGE_SHARE_FULL, *calibrated], percent=True)
        said = f"the query compares only {shown} of the reference"
        if self.strata is None:
            return (
                f"{said}, and this library's calibration holds for full comparisons only (it "
                "was made before partial comparisons were calibrated): q-value not calibrated"
            )
        if any(s.lowest <= range_share < s.highest for s in self.strata):  # a short stratum
            return (
                f"{said}: q-value not calibrated (too few calibration queries compared so "
                "little of a reference)"
            )
        return f"{said}: q-value not calibrated for so short a comparison"

    def score_at(self, q: float) -> float | None:
        """The lowest calibrated score whose q-value is at most ``q``.

        Parameters
        ----------
        q : float
            The q-value threshold (0.05: the score an identification needs).

        Returns
        -------
        float or None
            The score, or None when no calibrated score reaches ``q``.
        """
        ok = self.q_values <= q
        return float(self.scores[ok].min()) if ok.any() else None

    def summary(self) -> dict[str, Any]:
        """Figures for the README: the score thresholds at q = 0.01 and 0.05, and the checks.

        Returns
        -------
        dict
            ``n_queries``, ``n_target_wins``, ``n_decoy_wins``, ``score_at_q_0.01``,
            ``score_at_q_0.05`` (None where not reached), ``no_evidence_below`` (None for
            none) and the :attr:`empirical` checks.
        """
        out: dict[str, Any] = {
            "n_queries": self.n_queries,
            "n_target_wins": self.n_target_wins,
            "n_decoy_wins": self.n_decoy_wins,
            "score_at_q_0.01": self.score_at(0.01),
            "score_at_q_0.05": self.score_at(0.05),
            "no_evidence_below": float(self.no_evidence_below)
            if np.isfinite(self.no_evidence_below)
            else None,
        }
        out.update(self.empirical)
        out["margin_min"] = self.margin_threshold
        out["margin_min_from"] = (
            "the library's left-out references"
            if self.margin_min is not None
            else f"MARGIN_MIN {MARGIN_MIN}: calibrated before the library chose its margin"
        )
        if self.strata is not None:
            out["strata"] = [
                {
                    "range_share": [stratum.lowest, stratum.highest],
                    "n_competitions": stratum.n_competitions,
                    **(
                        {}
                        if stratum.calibration is None
                        else {
                            key: value
                            for key, value in stratum.calibration.summary().items()
                            if key not in ("strata", "margin_min", "margin_min_from")
                        }
                    ),
                }
                for stratum in self.strata
            ]
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form; :meth:`from_dict` inverts it.

        Returns
        -------
        dict
            ``method``, the curve (``scores``, ``q_values``), the competition's sizes,
            ``no_evidence_below`` (None for none), ``empirical``, ``info`` and, for a
            calibration with range-cut queries, ``strata``
            (:meth:`ShareStratum.to_dict`).
        """
        data = {
            "method": "target-decoy competition, pyteomics.auxiliary.qvalues (formula 1, +1)",
            "scores": [float(v) for v in self.scores],
            "q_values": [float(v) for v in self.q_values],
            "n_queries": int(self.n_queries),
            "n_target_wins": int(self.n_target_wins),
            "n_decoy_wins": int(self.n_decoy_wins),
            "no_evidence_below": float(self.no_evidence_below)
            if np.isfinite(self.no_evidence_below)
            else None,
            "empirical": dict(self.empirical),
            "info": dict(self.info),
        }
        if self.strata is not None:
            data["strata"] = [stratum.to_dict() for stratum in self.strata]
        if self.margin_min is not None:
            data["margin_min"] = float(self.margin_min)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibration:
        """Rebuild a calibration written by :meth:`to_dict`.

        Parameters
        ----------
        data : dict
            As :meth:`to_dict` gives it (a library block's ``calibration``). One written
            before partial comparisons were calibrated has no ``strata``: its curve then holds
            for full comparisons only (:attr:`strata` None).

        Returns
        -------
        Calibration

        Raises
        ------
        IdentificationError
            When ``data`` holds no numeric curve, its two arrays differ in shape, or a stratum
            is not one (:meth:`ShareStratum.from_dict`).
        """
        try:
            scores = np.asarray(data["scores"], dtype=float)
            q_values = np.asarray(data["q_values"], dtype=float)
        except (KeyError, TypeError, ValueError) as exc:
            raise IdentificationError(
                f"calibration record lacks a numeric 'scores'/'q_values' curve: {exc}"
            ) from exc
        if scores.shape != q_values.shape or scores.ndim != 1:
            raise IdentificationError(
                f"calibration curve shapes differ: scores {scores.shape}, q_values {q_values.shape}"
            )
        return cls(
            scores=scores,
            q_values=q_values,
            n_queries=int(data.get("n_queries", 0)),
            n_target_wins=int(data.get("n_target_wins", 0)),
            n_decoy_wins=int(data.get("n_decoy_wins", 0)),
            no_evidence_below=float(
                data["no_evidence_below"]
                if data.get("no_evidence_below") is not None
                else float("-inf")
            ),
            empirical=dict(data.get("empirical", {})),
            info=dict(data.get("info", {})),
            strata=None
            if data.get("strata") is None
            else tuple(ShareStratum.from_dict(stratum) for stratum in data["strata"]),
            margin_min=None if data.get("margin_min") is None else float(data["margin_min"]),
        )


def _curve(scores: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique scores with non-increasing q (the q-value of s is the smallest FDR over
    thresholds at or below s: a running minimum from the lowest score up)."""
    order = np.argsort(scores, kind="stable")
    s, q = scores[order], np.clip(q[order], 0.0, 1.0)
    q = np.minimum.accumulate(q)
    uniq, first = np.unique(s, return_index=True)
    return uniq, np.minimum.reduceat(q, first)


def _tdc_curve(t: np.ndarray, d: np.ndarray, efficiency: float):
    """Target-decoy competition q-values of the target wins (pyteomics, formula 1, +1)."""
    decoy_wins = d >= t
    if not np.any(~decoy_wins):
        return np.zeros(0), np.zeros(0)
    winner = np.where(decoy_wins, d, t)
    with np.errstate(divide="ignore", invalid="ignore"):  # 0/0 before the first target
        result = auxiliary.qvalues(
            winner,
            key=winner,
            is_decoy=decoy_wins,
            reverse=True,
            remove_decoy=True,
            formula=1,
            correction=1,
            ratio=efficiency,
            full_output=False,
        )
    return _curve(np.asarray(result["score"], float), np.asarray(result["q"], float))


def _truth_curve(t: np.ndarray, wrong: np.ndarray):
    """q-values from known truth: the fraction of wrong best targets at or above each score
    (pyteomics with the truth as a 0/1 posterior error probability)."""
    result = auxiliary.qvalues(t, key=t, reverse=True, pep=wrong.astype(float), full_output=False)
    return _curve(np.asarray(result["score"], float), np.asarray(result["q"], float))


def _interp_q(s: np.ndarray, scores: np.ndarray, qs: np.ndarray) -> np.ndarray:
    if scores.size == 0:
        return np.ones_like(s)
    return np.interp(s, scores, qs, left=1.0, right=float(qs[-1]))


def calibrate(
    target_scores: np.ndarray,
    decoy_scores: np.ndarray,
    *,
    is_false: np.ndarray | None = None,
    info: dict[str, Any] | None = None,
    decoy_efficiency: float = 1.0,
) -> Calibration:
    """q-value curve from each query's best target and best decoy (target-decoy competition).

    The better of a query's best target and best decoy wins (a tie goes to the decoy). Among
    the winners, :func:`pyteomics.auxiliary.qvalues` estimates the false-discovery rate of
    accepting every target win scoring at least ``s`` as
    ``(decoy wins >= s + 1) / (target wins >= s) / decoy_efficiency``.

    When ``is_false`` (the truth, known for calibration queries built from the library) is
    given, a second curve is computed from it: the fraction of queries whose best target is the
    wrong substance among all queries with a best-target score at or above ``s``. The stored
    q-value is the larger of the two. Decoys, however made, cannot imitate a library's own
    near-duplicates (isomorphous minerals, fentanyl analogues), which are where the highest
    wrong scores come from; the truth curve covers them, and the decoy curve covers scores the
    truth sample is too small to resolve.

    Parameters
    ----------
    target_scores, decoy_scores : numpy.ndarray
        Shape (Q,): for each query, its best score among the references and among the decoys.
    is_false : numpy.ndarray, optional
        Shape (Q,), bool: the query's best target is known to be the wrong substance.
    info : dict, optional
        Stored with the calibration (how it was made).
    decoy_efficiency : float
        How often a decoy beats a wrong target, relative to the 1:1 of perfectly realistic
        decoys (0 to 1, see :func:`decoy_efficiency`); passed as pyteomics' ``ratio``, so weaker
        decoys give proportionally higher q-values.

    Returns
    -------
    Calibration
    """
    t = np.asarray(target_scores, dtype=float).ravel()
    d = np.asarray(decoy_scores, dtype=float).ravel()
    if t.shape != d.shape:
        raise IdentificationError(
            f"{t.size} target scores but {d.size} decoy scores: one of each per query expected"
        )
    if t.size == 0:
        raise IdentificationError("no scores to calibrate: at least one query is needed")
    if np.isnan(t).any() or np.isnan(d).any():
        raise IdentificationError("calibration scores hold NaN")
    if not 0 < decoy_efficiency <= 1:
        raise IdentificationError(f"decoy_efficiency must be in (0, 1], got {decoy_efficiency}")
    decoy_wins = d >= t
    scores, qs = _tdc_curve(t, d, decoy_efficiency)
    empirical: dict[str, Any] = {}
    if is_false is not None:
        wrong = np.asarray(is_false, dtype=bool).ravel()
        if wrong.shape != t.shape:
            raise IdentificationError(f"is_false has {wrong.size} values for {t.size} queries")
        floor = float(np.median(d))
        tdc_only = Calibration(scores, qs, no_evidence_below=floor)
        t_scores, t_qs = _truth_curve(t, wrong)
        points = np.union1d(scores, t_scores)
        combined = np.maximum(_interp_q(points, scores, qs), _interp_q(points, t_scores, t_qs))
        for thr in (0.01, 0.05):
            empirical[f"decoy_only_score_at_q_{thr}"] = tdc_only.score_at(thr)
            accepted = tdc_only.q_value(t) <= thr
            empirical[f"decoy_only_fdp_at_q_{thr}"] = (
                float(wrong[accepted].mean()) if accepted.any() else None
            )
        scores, qs = _curve(points, combined)
        empirical["n_false_best_targets"] = int(wrong.sum())
        final = Calibration(scores, qs, no_evidence_below=floor)
        for thr in (0.01, 0.05):
            accepted = final.q_value(t) <= thr
            empirical[f"accepted_at_q_{thr}"] = int(accepted.sum())
            empirical[f"empirical_fdp_at_q_{thr}"] = (
                float(wrong[accepted].mean()) if accepted.any() else None
            )
    return Calibration(
        scores=scores,
        q_values=qs,
        n_queries=int(t.size),
        n_target_wins=int((~decoy_wins).sum()),
        n_decoy_wins=int(decoy_wins.sum()),
        no_evidence_below=float(np.median(d)),
        empirical=empirical,
        info=dict(info or {}),
    )


def _shift_rows(rows: np.ndarray, shift_points: np.ndarray) -> np.ndarray:
    """Move each row by a fractional number of grid points (linear interpolation, vectorised)."""
    q, g = rows.shape
    pos = np.arange(g)[None, :] - shift_points[:, None]
    j = np.clip(np.floor(pos).astype(int), 0, g - 2)
    t = np.clip(pos - j, 0.0, 1.0)
    r = np.arange(q)[:, None]
    out = rows[r, j] * (1.0 - t) + rows[r, j + 1] * t
    out[(pos < 0) | (pos > g - 1)] = 0.0
    return out


def perturb(
    references: np.ndarray,
    valid: np.ndarray,
    *,
    seed: int | Sequence[int] = 0,
    noise: float = 0.02,
    max_shift_points: float = 3.0,
    baseline: float = 0.05,
    gain: float = 0.15,
) -> np.ndarray:
    """Realistic re-measurements of references, for calibration queries.

    Each row gets a random shift of up to ``max_shift_points`` grid points, a smooth random
    change of relative band intensities (a quadratic gain of up to ``gain`` across the range,
    as between instruments of different response), a residual quadratic baseline of up to
    ``baseline`` times the row's maximum (what baseline removal leaves), and white noise of
    standard deviation up to ``noise`` times the row's maximum. Outside ``valid`` rows stay 0.

    Parameters
    ----------
    references : numpy.ndarray
        Shape (Q, G).
    valid : numpy.ndarray
        Shape (Q, G) or (G,), bool.
    seed : int or sequence of int
        Random seed (as :func:`numpy.random.default_rng` takes it).
    noise, max_shift_points, baseline, gain : float
        Largest perturbation of each kind (drawn uniformly up to it per row).

    Returns
    -------
    numpy.ndarray
        Shape (Q, G), float64.
    """
    refs = np.asarray(_as_matrix(references), dtype=float)
    mask = _as_mask(valid, refs.shape)
    rng = np.random.default_rng(seed)
    q, g = refs.shape
    out = _shift_rows(refs, rng.uniform(-max_shift_points, max_shift_points, q))
    # position of each point within its row's measured range, -1..1
    idx = np.arange(g)[None, :]
    first = np.where(mask.any(axis=1), mask.argmax(axis=1), 0)[:, None]
    last = np.where(mask.any(axis=1), g - 1 - mask[:, ::-1].argmax(axis=1), g - 1)[:, None]
    u = 2.0 * (idx - first) / np.maximum(last - first, 1) - 1.0
    peak = np.abs(refs).max(axis=1, keepdims=True)
    coef = rng.uniform(-1, 1, (q, 2))
    out *= 1.0 + gain * (coef[:, :1] * u + coef[:, 1:] * u**2) / 2.0
    base = rng.uniform(0, baseline, (q, 1)) * peak * (1 + rng.uniform(-1, 1, (q, 1)) * u) / 2.0
    out += base * (1 - 0.5 * u**2)
    out += rng.normal(0.0, 1.0, (q, g)) * rng.uniform(0, noise, (q, 1)) * peak
    out[~mask] = 0.0
    return out


LEFT_OUT_QUERIES = 2000
"""At most this many of a library's references are searched against the library without
themselves (:func:`left_out_competitions`); a larger library is sampled (seeded)."""
LEFT_OUT_DRAWS = 3
"""Each left-out reference is searched as this many re-measurements of it, perturbed as the
calibration perturbs its own queries (:func:`perturb`), so that it looks measured: a clean
reference scores higher against the analogues of its substance than a measured spectrum does
(RRUFF Raman held out: absent queries accepted at q <= 0.05 20 % as stored, 8 % perturbed,
9.4 % of the measured ones; ``benchmarks/HISTORY.md``, *Calibration*, method 7). One draw
left the margin a fold library chose anywhere from 0.05 to 0.15; three settle it (five choose
the same)."""
MARGIN_GRID = (0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2)
"""The margins over the best different substance a library may choose from to identify
(:func:`choose_margin`), the floor :data:`MARGIN_MIN` first."""
MIN_LEFT_OUT = 250
"""A library of fewer references keeps the floor :data:`MARGIN_MIN` (:func:`choose_margin`
still reports its estimate): a share wrong of 5 % is told from 8 % by about 250 references,
and on fewer a few analogues would set the margin. References, not queries: the
re-measurements of one reference (:data:`LEFT_OUT_DRAWS`) are not independent of each other."""


@dataclass(frozen=True)
class LeftOut:
    """A library's own references, each searched against the library without itself.

    Each reference is a query (:func:`left_out_competitions`), re-measured ``draws`` times
    (perturbed; as stored when ``draws`` is 0). Where its substance has another entry, that
    entry is the right answer (*present*: another sample of the substance, as a seized sample
    is); every query is also searched with all the entries of its substance out (*absent*: the
    library lacks the substance, and any hit is wrong).

    Attributes
    ----------
    present_score, present_margin : numpy.ndarray
        Shape (P,): of the present queries, the best hit's score and its margin over the best
        hit of a different substance (``inf`` when there is none).
    present_wrong : numpy.ndarray
        Shape (P,), bool: the best hit is another substance.
    absent_score, absent_margin : numpy.ndarray
        Shape (A,): the same of the absent queries (every hit wrong); ``-inf`` scores where no
        other substance could be compared.
    draws : int
        How many queries each reference made (``A`` is ``draws`` times the references
        searched, ``P`` times those with another entry of their substance); 1 for references
        searched as stored.
    """

    present_score: np.ndarray
    present_margin: np.ndarray
    present_wrong: np.ndarray
    absent_score: np.ndarray
    absent_margin: np.ndarray
    draws: int = 1

    @property
    def n_references(self) -> int:
        """How many references were searched (absent queries over :attr:`draws`)."""
        return int(self.absent_score.size // max(self.draws, 1))


def _best_and_margin(scores: np.ndarray, lab: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per row of ``scores`` (Q, N): the best score, its column's label, and the margin over
    the best column of another label (``inf`` when there is none)."""
    best = scores.argmax(axis=1)
    top = scores[np.arange(best.size), best]
    other = np.where(lab[None, :] == lab[best][:, None], -np.inf, scores).max(axis=1)
    with np.errstate(invalid="ignore"):
        margin = np.where(np.isfinite(other), top - other, np.inf)
    return top, lab[best], margin


def left_out_competitions(
    references: np.ndarray,
    valid: np.ndarray,
    score_fn: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray],
    labels: Sequence[Any] | None = None,
    *,
    n_queries: int = LEFT_OUT_QUERIES,
    seed: int = 0,
    draws: int = LEFT_OUT_DRAWS,
) -> LeftOut:
    """Search each of a library's references (at most ``n_queries``, a seeded sample), as
    ``draws`` re-measurements of it (:func:`perturb`), against the library without itself,
    with the production scoring.

    Unlike the calibration's queries (perturbed copies of a reference that stays among the
    targets, which a member of the substance's group almost never beats), a left-out
    reference whose substance has another entry is *another sample* of it, as a seized
    sample is: on RRUFF Raman their share wrong at q <= 0.05, mixed a quarter absent, was
    9.0 % where measured spectra held out of the library gave 10.9 % and the calibration's
    own queries 4.7 % (``benchmarks/HISTORY.md``, *Calibration*).

    Queried as stored, a clean reference scores higher against the analogues of its substance
    than a measured spectrum does: with its substance absent, RRUFF Raman's were accepted at
    q <= 0.05 twice as often as measured spectra of absent minerals (20 % against 9.4 %), and
    the library chose margins that cost a quarter of the right identifications. Each query is
    therefore a reference re-measured as the calibration re-measures its own (noise, residual
    baseline, shift, band gain, :func:`perturb`): 8 % accepted.

    Parameters
    ----------
    references : numpy.ndarray
        Shape (N, G): the rows ``score_fn`` takes (the library's spectra).
    valid : numpy.ndarray
        Shape (N, G) or (G,), bool: each reference's measured range.
    score_fn : callable
        As :func:`calibrate_library` takes it: ``score_fn(queries, query_valid, matrix,
        matrix_valid)`` -> (Q, M) scores.
    labels : sequence, optional
        Length N: each reference's substance (without labels, each its own).
    n_queries : int, default LEFT_OUT_QUERIES
        At most this many references are queries.
    seed : int
        Seed of the sample when the library has more references than ``n_queries``, and of
        the re-measurements (streams of their own: the calibration's are not touched).
    draws : int, default LEFT_OUT_DRAWS
        Re-measurements of each reference; 0 searches the references as stored (calibration
        method 6, and rows that are not spectra, such as a library's comparison matrix).

    Returns
    -------
    LeftOut
    """
    refs = _as_matrix(references)
    n = refs.shape[0]
    mask = np.ascontiguousarray(_as_mask(valid, refs.shape))
    lab = _label_codes(labels, n)
    if n > n_queries:
        rows = np.sort(np.random.default_rng((seed, 0x1EF7)).choice(n, n_queries, replace=False))
    else:
        rows = np.arange(n)
    if draws < 0:
        raise IdentificationError(f"draws must be 0 or more, got {draws}")
    parts = []
    for d in range(max(draws, 1)):
        queries = refs[rows]
        if draws:  # re-measured, from a stream of its own for each draw
            queries = perturb(queries, mask[rows], seed=(seed, 0x1EF7, d)).astype(refs.dtype)
        parts.append(
            _left_out_draw(queries, rows, refs=refs, mask=mask, lab=lab, score_fn=score_fn)
        )
    # stacked draw by draw: reference i of draw d at d * (references) + i
    score, margin, wrong = (np.concatenate(x) for x in zip(*(p[0] for p in parts), strict=True))
    a_score, a_margin = (np.concatenate(x) for x in zip(*(p[1] for p in parts), strict=True))
    return LeftOut(
        present_score=score,
        present_margin=margin,
        present_wrong=wrong,
        absent_score=a_score,
        absent_margin=a_margin,
        draws=max(draws, 1),
    )


def _left_out_draw(
    queries: np.ndarray,
    rows: np.ndarray,
    *,
    refs: np.ndarray,
    mask: np.ndarray,
    lab: np.ndarray,
    score_fn: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray],
) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """One query a reference (``queries[i]`` for reference ``rows[i]``), searched against the
    references without itself: ``(present (score, margin, wrong), absent (score, margin))``."""
    n, k = refs.shape[0], rows.size
    counts = np.bincount(lab)
    scores = np.full((k, n), -np.inf, dtype=np.float32)
    block = max(1, _CHUNK_ELEMENTS // max(k, 1))
    for lo in range(0, n, block):
        hi = min(n, lo + block)
        scores[:, lo:hi] = np.asarray(score_fn(queries, mask[rows], refs[lo:hi], mask[lo:hi]))
    scores[np.arange(k), rows] = -np.inf  # itself left out
    present = counts[lab[rows]] >= 2
    top, top_lab, margin = _best_and_margin(scores[present], lab)
    absent_scores = np.where(lab[None, :] == lab[rows][:, None], -np.inf, scores)
    a_top, _, a_margin = _best_and_margin(absent_scores, lab)
    return (top, margin, top_lab != lab[rows][present]), (a_top, a_margin)


def left_out_share_wrong(
    left_out: LeftOut,
    q_value: Callable[[np.ndarray], np.ndarray],
    margin_min: float,
    *,
    absent_fraction: float = 0.25,
    present: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> float | None:
    """The share of wrong hits among those that would be identified (q <= :data:`Q_IDENTIFIED`
    and margin >= ``margin_min``), estimated from a library's left-out references.

    The rates are taken per query and mixed as the calibration assumes casework is:
    ``absent_fraction`` of the samples absent from the library, the rest present.

    Parameters
    ----------
    left_out : LeftOut
    q_value : callable
        Scores -> q-values (the library's full-range curve, :meth:`Calibration.q_value`).
    margin_min : float
        The margin over the best different substance an identification needs.
    absent_fraction : float, default 0.25
    present : (scores, margins, wrong), optional
        The present queries to use when ``left_out`` has none (a library of one entry per
        substance, whose left-out references can only be absent): the calibration's own
        (perturbed copies of a reference that stays in the library).

    Returns
    -------
    float or None
        None when no query would be identified.
    """
    return _share_wrong_and_error(
        left_out, q_value, margin_min, absent_fraction=absent_fraction, present=present
    )[0]


def _share_wrong_and_error(
    left_out: LeftOut,
    q_value: Callable[[np.ndarray], np.ndarray],
    margin_min: float,
    *,
    absent_fraction: float = 0.25,
    present: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> tuple[float | None, float | None]:
    """:func:`left_out_share_wrong`, and its standard error from the numbers of references
    (the delta method over the rates of wrong and right present hits and of absent hits; the
    draws of one reference count as one, their rates averaged)."""
    p_score, p_margin, p_wrong = (
        (left_out.present_score, left_out.present_margin, left_out.present_wrong)
        if left_out.present_score.size or present is None
        else present
    )

    def accepted(score: np.ndarray, margin: np.ndarray) -> np.ndarray:
        score = np.asarray(score, dtype=float)
        ok = np.isfinite(score)
        out = np.zeros(score.shape, dtype=bool)
        out[ok] = (q_value(score[ok]) <= Q_IDENTIFIED) & (np.asarray(margin)[ok] >= margin_min)
        return out

    a = absent_fraction
    own = p_score is left_out.present_score
    draws = left_out.draws if own else 1
    pw = pr = pa = 0.0
    var_w = var_r = cov = var_a = 0.0
    if p_score.size:
        ok = accepted(p_score, p_margin)
        wrong = np.asarray(p_wrong, dtype=bool)
        # each reference's share of its draws (the draws are stacked draw by draw)
        w = (ok & wrong).reshape(draws, -1).mean(axis=0)
        r = (ok & ~wrong).reshape(draws, -1).mean(axis=0)
        pw, pr = float(w.mean()), float(r.mean())
        var_w, var_r = float(w.var()) / w.size, float(r.var()) / r.size
        cov = float(np.mean((w - pw) * (r - pr))) / w.size
    if left_out.absent_score.size:
        acc = accepted(left_out.absent_score, left_out.absent_margin)
        per = acc.reshape(left_out.draws, -1).mean(axis=0)
        pa, var_a = float(per.mean()), float(per.var()) / per.size
    total = (1 - a) * (pw + pr) + a * pa
    if total <= 0:
        return None, None
    share = ((1 - a) * pw + a * pa) / total
    # d share / d pw, d pr, d pa
    g_w = (1 - a) * (1 - share) / total
    g_r = -(1 - a) * share / total
    g_a = a * (1 - share) / total
    var = g_w**2 * var_w + g_r**2 * var_r + 2 * g_w * g_r * cov + g_a**2 * var_a
    return share, float(np.sqrt(max(var, 0.0)))


def choose_margin(
    left_out: LeftOut,
    q_value: Callable[[np.ndarray], np.ndarray],
    *,
    absent_fraction: float = 0.25,
    present: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    grid: Sequence[float] = MARGIN_GRID,
    min_queries: int = MIN_LEFT_OUT,
) -> tuple[float, dict[str, Any]]:
    """The smallest margin of ``grid`` at which the left-out estimate of the share wrong among
    identified hits (:func:`left_out_share_wrong`) is at most :data:`Q_IDENTIFIED`.

    Where no margin of the grid gets there, the one with the lowest estimate (the smallest of
    equals): a larger margin would cost right identifications without making them surer.
    With fewer than ``min_queries`` left-out references, the floor (``grid[0]``).

    Parameters
    ----------
    left_out, q_value, absent_fraction, present
        As :func:`left_out_share_wrong`.
    grid : sequence of float
        Increasing margins, the floor first.
    min_queries : int, default MIN_LEFT_OUT
        The fewest left-out references (:attr:`LeftOut.n_references`) that choose.

    Returns
    -------
    (float, dict)
        The margin, and the figures it rests on: ``margin_min``, ``reached`` (whether the
        estimate got to :data:`Q_IDENTIFIED`; None when too few references chose nothing),
        ``share_wrong`` (the estimate at the margin chosen) and ``standard_error`` (its
        sampling error, from the numbers of references), ``share_wrong_by_margin`` (each
        margin of the grid: its estimate), ``share_wrong_without_margin`` (no margin rule),
        ``n_present`` and ``n_absent`` (references), ``draws`` (re-measurements of each,
        :attr:`LeftOut.draws`) and ``present_from`` (``"another entry of the substance"``,
        or the calibration's perturbed copies when no substance has two entries).
    """
    kw = {"absent_fraction": absent_fraction, "present": present}
    with_error = {m: _share_wrong_and_error(left_out, q_value, m, **kw) for m in grid}
    by = {m: v for m, (v, _) in with_error.items()}
    known = {m: v for m, v in by.items() if v is not None}
    chosen = next((m for m in grid if by[m] is not None and by[m] <= Q_IDENTIFIED), None)
    reached = chosen is not None
    if chosen is None:
        chosen = min(known, key=lambda m: (known[m], m)) if known else grid[0]
    if left_out.n_references < min_queries:
        chosen, reached = grid[0], None
    own = left_out.present_score.size > 0 or present is None
    return float(chosen), {
        "margin_min": float(chosen),
        "reached": reached,
        "share_wrong": by[chosen],
        "standard_error": with_error[chosen][1],
        "share_wrong_by_margin": {f"{m:g}": v for m, v in by.items()},
        "share_wrong_without_margin": left_out_share_wrong(left_out, q_value, float("-inf"), **kw),
        "n_present": int(left_out.present_score.size // left_out.draws if own else len(present[0])),
        "n_absent": left_out.n_references,
        "draws": left_out.draws,
        "present_from": "another entry of the substance"
        if own
        else "the calibration's perturbed copies (one entry per substance)",
        "absent_fraction": absent_fraction,
    }


def calibrate_library(
    references: np.ndarray,
    valid: np.ndarray,
    score_fn: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray],
    *,
    seed: int = 0,
    n_queries: int | None = None,
    labels: Sequence[Any] | None = None,
    absent_fraction: float = 0.25,
    represent: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    range_cut_queries: int = RANGE_CUT_QUERIES,
    left_out_queries: int = LEFT_OUT_QUERIES,
) -> Calibration:
    """Calibrate q-values for a library with its own production scoring.

    Perturbed references (:func:`perturb`) are the queries; each is scored with ``score_fn``
    against the references and against their decoys (:func:`make_decoys`). For a fraction
    ``absent_fraction`` of the queries every entry of the query's own substance is excluded from
    the targets, so those queries have no right answer in the library. Each query's best target
    and best decoy then compete (:func:`calibrate`).

    Then ``range_cut_queries`` **range-cut queries** calibrate comparisons that see only part of
    a reference (:attr:`Calibration.strata`): references cut to a contiguous random window
    holding a share of the reference's squared norm (in ``represent``'s representation) drawn
    evenly over :data:`RANGE_SHARE_STRATA`, perturbed, and scored with ``score_fn`` against the
    references and the decoys, each compared over its overlap with the window as in a search
    (the same absent fraction). Each stratum's curve is made from the queries whose best
    target's share of it compared (:func:`forensic.search.range_share`) fell in the stratum.
    They are drawn from a random stream of their own and scored apart, so the full-range
    curve is the one a calibration without them gives, bit for bit.

    Last, the **margin** over the best different substance this library identifies at
    (:attr:`Calibration.margin_min`): each reference, re-measured :data:`LEFT_OUT_DRAWS`
    times as the queries above are (:func:`perturb`), is searched against the library
    without itself (:func:`left_out_competitions`: another sample of its substance is the
    right answer where there is one; with its whole substance out, it is absent), and
    the smallest margin of :data:`MARGIN_GRID` whose estimate of the share wrong among the
    hits that would be identified, mixed ``absent_fraction`` absent, is at most
    :data:`Q_IDENTIFIED` is chosen (:func:`choose_margin`). In a library of one entry per
    substance the left-out references can only be absent, and the calibration's own present
    queries stand for the present ones. Neither touches the random streams above: the curves
    are the ones a calibration without them gives.

    Parameters
    ----------
    references : numpy.ndarray
        Shape (N, G), the library matrix (preprocessed, as searched).
    valid : numpy.ndarray
        Shape (N, G) or (G,), bool: each reference's measured range.
    score_fn : callable
        ``score_fn(queries (Q, G), query_valid (Q, G), matrix (M, G), matrix_valid (M, G))``
        returning scores of shape (Q, M), higher is better: the production search.
    seed : int
        Seed for the choice of queries, perturbations and decoys.
    n_queries : int, optional
        How many references to use as queries (default: all, at most 2000). When that gives
        fewer than ``MIN_COMPETITIONS`` queries (a small library), each chosen reference is
        perturbed several times (different noise, shift, baseline) to reach it.
    labels : sequence, optional
        Length N: the substance of each reference (e.g. its name). Entries with the same label
        are the same substance; without labels each entry is its own substance.
    absent_fraction : float
        Fraction of queries whose substance is removed from the targets (0 to 1): the assumed
        share of casework samples that are substances the library lacks. The q-values depend on
        it (more absent substances, more wrong hits at any score); the default of a quarter is
        an assumption, stated with the calibration, not a measurement.
    represent : callable, optional
        ``represent(rows (Q, G), valid (Q, G))``: the comparison representation ``score_fn``
        scores, in which the share of a reference compared is measured (default: the rows as
        given, zero outside ``valid``).
    range_cut_queries : int, default RANGE_CUT_QUERIES
        How many range-cut queries; 0 makes no strata (:attr:`Calibration.strata` None: the
        curve then holds for full comparisons only).
    left_out_queries : int, default LEFT_OUT_QUERIES
        How many of the references, each searched against the library without itself
        (:func:`left_out_competitions`), choose the margin over the best different substance
        this library identifies at (:func:`choose_margin`, :attr:`Calibration.margin_min`;
        the figures in ``empirical["left_out"]``); 0 chooses none (:data:`MARGIN_MIN`).

    Returns
    -------
    Calibration
    """
    refs = _as_matrix(references)
    n, g = refs.shape
    mask = np.ascontiguousarray(_as_mask(valid, refs.shape))
    if not 0.0 <= absent_fraction <= 1.0:
        raise IdentificationError(f"absent_fraction must be in [0, 1], got {absent_fraction}")
    lab = _label_codes(labels, n)
    if n < 2:
        raise IdentificationError(f"a library of {n} reference cannot be calibrated: need 2+")
    rng = np.random.default_rng(seed)
    n_q = min(n, n_queries if n_queries is not None else 2000)
    if n_q < 1:
        raise IdentificationError(f"n_queries must be at least 1, got {n_queries}")
    q_idx = np.sort(rng.choice(n, size=n_q, replace=False))
    rounds = max(1, -(-MIN_COMPETITIONS // n_q))  # ceil: small libraries are queried repeatedly
    n_round = q_idx.size
    q_idx = np.tile(q_idx, rounds)
    n_q = q_idx.size
    queries = perturb(refs[q_idx], mask[q_idx], seed=seed + 1).astype(refs.dtype, copy=False)
    q_valid = mask[q_idx]
    absent = rng.random(n_q) < absent_fraction
    q_lab = lab[q_idx]

    if represent is None:
        represent = _as_given
    cut = _RangeCuts.draw(
        refs,
        mask,
        lab,
        np.sort(np.unique(q_idx)),
        n_cut=max(0, int(range_cut_queries)),
        represent=represent,
        absent_fraction=absent_fraction,
        seed=seed,
    )

    best_t = np.full(n_q, -np.inf)
    best_t_lab = np.full(n_q, -1)
    second_t = np.full(n_q, -np.inf)  # best target of a substance other than best_t's
    best_d = np.full(n_q, -np.inf)
    block = max(1, _CHUNK_ELEMENTS // max(n_q, 1))
    for start in range(0, n, block):
        stop = min(n, start + block)
        rows = slice(start, stop)
        s_t = np.asarray(score_fn(queries, q_valid, refs[rows], mask[rows]), dtype=float)
        if s_t.shape != (n_q, stop - start):
            raise IdentificationError(
                f"score_fn returned shape {s_t.shape}, expected {(n_q, stop - start)}"
            )
        same = q_lab[:, None] == lab[None, rows]
        s_t = np.where(absent[:, None] & same, -np.inf, s_t)
        j = s_t.argmax(axis=1)
        top = s_t[np.arange(n_q), j]
        top_lab = lab[start + j]
        runner = np.where(lab[None, rows] == top_lab[:, None], -np.inf, s_t).max(axis=1)
        better = top > best_t
        second_t = np.where(
            better,
            np.maximum(runner, np.where(best_t_lab != top_lab, best_t, second_t)),
            np.maximum(second_t, np.where(top_lab != best_t_lab, top, runner)),
        )
        best_t = np.where(better, top, best_t)
        best_t_lab = np.where(better, top_lab, best_t_lab)
        cut.score_targets(score_fn, refs, mask, lab, start=start, stop=stop, represent=represent)
        # each round of a small library's repeated queries meets decoys of its own, so the
        # competition does not rest on one chance draw of decoys
        for r in range(rounds):
            these = slice(r * n_round, (r + 1) * n_round)
            decoys = _decoys_for(
                refs, mask, lab, np.arange(start, stop), seed=seed + 2 + start + r * n
            )
            s_d = np.asarray(
                score_fn(queries[these], q_valid[these], decoys, mask[rows]), dtype=float
            )
            best_d[these] = np.maximum(best_d[these], s_d.max(axis=1))
            cut.score_decoys(score_fn, decoys, mask[rows], r=r, rounds=rounds, represent=represent)
    # a query whose targets were all excluded (single-substance library) has no target: drop it
    keep = np.isfinite(best_t)
    is_false = best_t_lab != q_lab
    efficiency = decoy_efficiency(best_t[keep & absent], best_d[keep & absent])
    info = {
        "seed": seed,
        "library_size": int(n),
        "n_substances": int(np.unique(lab).size),
        "absent_fraction": absent_fraction,
        "decoy_efficiency": efficiency,
        "decoys": "local shuffles and chimeras of the references (forensic.verdict.make_decoys)",
        "queries": "perturbed references (forensic.verdict.perturb: noise 2 %, shift 3 points, "
        "baseline 5 %, band gain 15 %)",
        "grid_points": int(g),
    }
    cal = calibrate(
        best_t[keep],
        best_d[keep],
        is_false=is_false[keep],
        info=info,
        decoy_efficiency=efficiency,
    )
    # held-out check: a calibration made from the even queries, applied to the odd ones
    half = q_idx % 2 == 1  # by reference, so repeated references stay on one side
    even, odd = keep & ~half, keep & half
    if even.sum() >= 10 and odd.sum() >= 10:
        check = calibrate(
            best_t[even],
            best_d[even],
            is_false=is_false[even],
            decoy_efficiency=decoy_efficiency(best_t[even & absent], best_d[even & absent]),
        )
        q_odd = check.q_value(best_t[odd])
        for thr in (0.01, 0.05):
            accepted = q_odd <= thr
            cal.empirical[f"heldout_accepted_at_q_{thr}"] = int(accepted.sum())
            cal.empirical[f"heldout_fdp_at_q_{thr}"] = (
                float(is_false[odd][accepted].mean()) if accepted.any() else None
            )
    # the basis of MARGIN_MIN: margins over the best different substance when the library holds
    # the answer, for right and for wrong best hits
    present = keep & ~absent & ~is_false
    if present.any():
        cal.empirical["median_true_score"] = float(np.median(best_t[present]))
        cal.empirical["p05_true_score"] = float(np.percentile(best_t[present], 5))
    margin = best_t - second_t
    confused = keep & ~absent & is_false
    for key, sel in (("right", present), ("wrong", confused)):
        cal.empirical[f"n_{key}_present"] = int(sel.sum())
        cal.empirical[f"{key}_margin_below_min"] = (
            float(np.mean(margin[sel] < MARGIN_MIN)) if sel.any() else None
        )
    if present.any():
        cal.empirical["median_right_margin"] = float(np.median(margin[present]))
    # the margin this library identifies at: chosen from its own references, left out one at
    # a time (another sample of the substance, or none), not from its perturbed copies, whose
    # wrong best hits are near-identical twins that any margin catches
    if left_out_queries > 0:
        left = left_out_competitions(
            refs, mask, score_fn, lab, n_queries=left_out_queries, seed=seed
        )
        own = keep & ~absent
        chosen, figures = choose_margin(
            left,
            cal.q_value,
            absent_fraction=absent_fraction,
            present=(best_t[own], margin[own], is_false[own]),
        )
        cal = replace(cal, margin_min=chosen)
        cal.empirical["left_out"] = figures
    if cut.size == 0:
        return cal
    return replace(cal, strata=cut.strata(seed=seed, absent_fraction=absent_fraction))


def _as_given(rows: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """The default representation of :func:`calibrate_library`: the rows, zero outside valid."""
    return np.where(valid, rows, 0.0)


@dataclass
class _RangeCuts:
    """The range-cut queries of :func:`calibrate_library` and their best target and decoy."""

    queries: np.ndarray  # (C, G) perturbed references, zero outside their window
    own: np.ndarray  # (C, G) each query's reference, represented, zero outside the window
    valid: np.ndarray  # (C, G) bool, each query's window
    labels: np.ndarray  # (C,) substance code of each query's reference
    absent: np.ndarray  # (C,) bool, the query's substance is taken out of the targets
    round_of: np.ndarray  # (C,) the round of decoys the query meets
    best_t: np.ndarray  # (C,) best target score so far
    best_t_lab: np.ndarray  # (C,) its substance
    best_t_share: np.ndarray  # (C,) the share of it the query's window compares
    best_d: np.ndarray  # (C,) best decoy score so far

    @property
    def size(self) -> int:
        return int(self.labels.size)

    @classmethod
    def draw(
        cls,
        refs: np.ndarray,
        mask: np.ndarray,
        lab: np.ndarray,
        rows: np.ndarray,
        *,
        n_cut: int,
        represent: Callable[[np.ndarray, np.ndarray], np.ndarray],
        absent_fraction: float,
        seed: int,
    ) -> _RangeCuts:
        """``n_cut`` queries made from the references ``rows`` (each in turn, in a random
        order per round of ``rows.size``), each cut to a window holding a share of its
        reference drawn evenly over the strata, from a random stream of their own (the tuple
        seed is no integer seed of the full-range queries and decoys)."""
        rng = np.random.default_rng((seed, 0x5C07))
        g = refs.shape[1]
        rounds = -(-n_cut // max(rows.size, 1))
        idx = np.concatenate([rng.permutation(rows) for _ in range(rounds)] or [rows[:0]])
        idx = idx[:n_cut]
        which = rng.permutation(np.arange(n_cut) % len(RANGE_SHARE_STRATA))
        bounds = np.asarray(RANGE_SHARE_STRATA, dtype=float)[which]
        shares = rng.uniform(bounds[:, 0], bounds[:, 1]) if n_cut else np.zeros(0)
        own = np.asarray(represent(refs[idx], mask[idx]), dtype=float)
        start, stop = _windows(own, mask[idx], shares, rng)
        valid = ranges_to_mask(start, stop, g)
        queries = perturb(refs[idx], valid, seed=int(rng.integers(2**62)))
        return cls(
            queries=queries.astype(refs.dtype, copy=False),
            own=np.where(valid, own, 0.0),
            valid=valid,
            labels=lab[idx],
            absent=rng.random(n_cut) < absent_fraction,
            round_of=np.arange(n_cut) // max(rows.size, 1),
            best_t=np.full(n_cut, -np.inf),
            best_t_lab=np.full(n_cut, -1),
            best_t_share=np.zeros(n_cut),
            best_d=np.full(n_cut, -np.inf),
        )

    def score_targets(self, score_fn, refs, mask, lab, *, start, stop, represent) -> None:
        """Score the queries against the references ``start:stop``, keeping each one's best
        target, its substance and the share of it the query's window compares."""
        if self.size == 0:
            return
        rows = slice(start, stop)
        s_t = np.asarray(score_fn(self.queries, self.valid, refs[rows], mask[rows]), dtype=float)
        same = self.labels[:, None] == lab[None, rows]
        s_t = np.where(self.absent[:, None] & same, -np.inf, s_t)
        j = s_t.argmax(axis=1)
        top = s_t[np.arange(self.size), j]
        cumsums = breakpoint_cumsums(np.asarray(represent(refs[rows], mask[rows]), dtype=float))
        q_start, q_stop = mask_to_ranges(self.valid)
        share = range_share(q_start, q_stop, j, cumsums, refs.shape[1])
        better = top > self.best_t
        self.best_t = np.where(better, top, self.best_t)
        self.best_t_lab = np.where(better, lab[start + j], self.best_t_lab)
        self.best_t_share = np.where(better, share, self.best_t_share)

    def score_decoys(self, score_fn, decoys, decoy_valid, *, r: int, rounds: int, represent):
        """Score the queries that meet round ``r`` of the decoys against them.

        A decoy resembles its reference at most as a wrong substance would (cosine 0.6,
        :func:`make_decoys`) over the whole range, not over every window: a local shuffle
        leaves some segments in place, and a chimera's block may come from the query's own
        substance. Over a query's window, a decoy that resembles the query's own reference
        more than that is the right substance there, no decoy, and is left out."""
        these = np.flatnonzero(self.round_of % rounds == r)
        if these.size == 0:
            return
        s_d = np.asarray(
            score_fn(self.queries[these], self.valid[these], decoys, decoy_valid), dtype=float
        )
        shown = np.asarray(represent(decoys, decoy_valid), dtype=float)
        own = self.own[these]
        alike = cosine_from_sums(
            own @ shown.T,
            np.sum(own * own, axis=1)[:, None],
            self.valid[these].astype(float) @ np.square(shown).T,
        )
        s_d = np.where(alike > _MAX_DECOY_COSINE, -np.inf, s_d)
        self.best_d[these] = np.maximum(self.best_d[these], s_d.max(axis=1))

    def strata(self, *, seed: int, absent_fraction: float) -> tuple[ShareStratum, ...]:
        """A calibration per stratum of the best target's share (:data:`RANGE_SHARE_STRATA`),
        None for a stratum of fewer than :data:`MIN_STRATUM_COMPETITIONS` queries."""
        keep = np.isfinite(self.best_t)
        wrong = self.best_t_lab != self.labels
        out = []
        for lowest, highest in RANGE_SHARE_STRATA:
            sel = keep & (self.best_t_share >= lowest) & (self.best_t_share < highest)
            n = int(sel.sum())
            curve = None
            if n >= MIN_STRATUM_COMPETITIONS:
                absent = sel & self.absent
                efficiency = decoy_efficiency(self.best_t[absent], self.best_d[absent])
                curve = calibrate(
                    self.best_t[sel],
                    self.best_d[sel],
                    is_false=wrong[sel],
                    decoy_efficiency=efficiency,
                    info={
                        "seed": seed,
                        "absent_fraction": absent_fraction,
                        "decoy_efficiency": efficiency,
                        "queries": "perturbed references cut to a random window, their best "
                        f"target compared over {lowest:.0%} to {highest:.0%} of it",
                    },
                )
                right = sel & ~self.absent & ~wrong
                if right.any():
                    curve.empirical["median_true_score"] = float(np.median(self.best_t[right]))
            out.append(ShareStratum(lowest, highest, curve, n))
        return tuple(out)


def _windows(
    own: np.ndarray, valid: np.ndarray, shares: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """A contiguous window ``[start, stop)`` of each row's range holding about ``shares`` of
    its squared norm, placed at random, and long enough to pass the search's overlap rule
    once snapped to its breakpoints."""
    q_start, q_stop = mask_to_ranges(valid)
    start, stop = q_start.copy(), q_stop.copy()
    shortest = MIN_OVERLAP_POINTS + 2 * BREAKPOINT_EVERY
    for k in range(shares.size):
        lo, hi = int(q_start[k]), int(q_stop[k])
        energy = np.cumsum(np.square(own[k, lo:hi]))
        if hi - lo <= shortest or energy[-1] <= 0:
            continue  # too short to cut: compared whole
        energy /= energy[-1]
        first = rng.uniform(0.0, 1.0 - shares[k])
        a = lo + int(np.searchsorted(energy, first))
        b = lo + int(np.searchsorted(energy, first + shares[k])) + 1
        if b - a < shortest:  # widen about its middle, within the range
            a = min(max(lo, (a + b - shortest) // 2), hi - shortest)
            b = a + shortest
        start[k], stop[k] = a, min(b, hi)
    return start, stop


def decoy_efficiency(false_target_scores: np.ndarray, decoy_scores: np.ndarray) -> float:
    """How often decoys beat wrong targets, relative to realistic decoys (which tie: 1:1).

    Measured on calibration queries whose substance was removed from the library, so their best
    target is wrong by construction: (decoy wins + 1) / (target wins + 1), clipped to
    [0.05, 1]. It only ever makes q-values more conservative (decoys found *stronger* than wrong
    targets are not taken as a licence to lower them).

    Parameters
    ----------
    false_target_scores : numpy.ndarray
        Shape (N,): each calibration query's best score against a wrong target.
    decoy_scores : numpy.ndarray
        Shape (N,): the same queries' best decoy scores.

    Returns
    -------
    float
        The efficiency, 0.05 to 1; 1 when there is no query.
    """
    t = np.asarray(false_target_scores, dtype=float)
    d = np.asarray(decoy_scores, dtype=float)
    if t.size == 0:
        return 1.0
    decoy_wins = int(np.sum(d >= t))
    return float(np.clip((decoy_wins + 1) / (t.size - decoy_wins + 1), 0.05, 1.0))


# ---------------------------------------------------------------------------------------------
# Verdict
# ---------------------------------------------------------------------------------------------
def _uncalibrated(q_value: float | None) -> bool:
    return q_value is None or bool(np.isnan(q_value))


def is_no_match(score: float, q_value: float | None) -> bool:
    """Whether a hit is too weak to be evidence (the ``no_match`` rule of :func:`decide`):
    its q-value is above :data:`Q_NO_MATCH`, or, without a calibration (``q_value`` None or
    NaN), its score is below :data:`SCORE_NO_MATCH_UNCALIBRATED`.

    Parameters
    ----------
    score : float
        The hit's score.
    q_value : float or None
        Its q-value; None or NaN without a calibration.

    Returns
    -------
    bool
        True when the hit is no match.
    """
    if _uncalibrated(q_value):
        return score < SCORE_NO_MATCH_UNCALIBRATED
    return q_value > Q_NO_MATCH


def decide(
    score: float,
    q_value: float,
    margin: float,
    matched_fraction: float,
    *,
    not_calibrated: str | None = None,
    margin_min: float = MARGIN_MIN,
) -> tuple[str, list[str]]:
    """The verdict on the best hit, with the reasons in words.

    Parameters
    ----------
    score : float
        Score of the best hit (cosine after alignment).
    q_value : float
        Its q-value from the library's :class:`Calibration`; NaN when the library has none (then
        the uncalibrated score thresholds apply and a reason says so).
    margin : float
        Best score minus the score of the best hit of a different substance (``inf`` or NaN
        when there is none).
    matched_fraction : float
        Share of the query's bands, weighted by prominence, that have a partner in the best
        reference (0 to 1; :attr:`forensic.alignment.Alignment.matched_band_fraction`).
    not_calibrated : str, optional
        Why a library that has a calibration gives this hit no q-value (NaN): its comparison
        sees too little of the reference (:meth:`Calibration.not_calibrated`). The first
        reason says it, in place of "no calibration for this library", and the hit is at best
        ``"inconclusive"``: a score that would identify without a calibration does not
        identify a comparison shorter than the calibration covers.
    margin_min : float, default MARGIN_MIN
        The margin over the best different substance an identification needs: the
        library's own (:attr:`Calibration.margin_threshold`).

    Returns
    -------
    (str, list of str)
        ``"identified"``, ``"inconclusive"`` or ``"no_match"``, and the reasons.
    """
    reasons: list[str] = []
    if _uncalibrated(q_value):
        reasons.append(
            not_calibrated or "no calibration for this library: uncalibrated score thresholds used"
        )
        if is_no_match(score, q_value):
            reasons.append(
                f"best score {format_score(score, q_value)} is below "
                f"{SCORE_NO_MATCH_UNCALIBRATED:.2f}: the spectrum matches no reference"
            )
            return "no_match", reasons
        # a comparison shorter than the library's calibration covers is never identified by
        # its score alone: the shorter the comparison, the higher a wrong reference scores by
        # chance, and its own calibrated curves ask for more than the uncalibrated threshold
        good = score >= SCORE_IDENTIFIED_UNCALIBRATED and not not_calibrated
        if not_calibrated:
            reasons.append(
                f"so short a comparison is not identified by its score alone (best score "
                f"{format_score(score, q_value)}): measure the sample over the reference's range"
            )
        elif not good:
            reasons.append(
                f"best score {format_score(score, q_value)} is below "
                f"{SCORE_IDENTIFIED_UNCALIBRATED:.2f} needed "
                "to identify"
            )
    else:
        if is_no_match(score, q_value):
            reasons.append(
                f"best score {format_score(score, q_value)} has q-value "
                f"{format_q_value(q_value)} > {Q_NO_MATCH}: "
                f"more than {Q_NO_MATCH:.0%} of hits that good are wrong, so the spectrum "
                "matches no reference"
            )
            return "no_match", reasons
        good = q_value <= Q_IDENTIFIED
        if good:
            reasons.append(
                f"score {format_score(score, q_value)}, q-value {format_q_value(q_value)}, at most "
                f"{Q_IDENTIFIED}"
            )
        else:
            reasons.append(
                f"q-value {format_q_value(q_value)} is above {Q_IDENTIFIED} needed to identify "
                f"(score {format_score(score, q_value)})"
            )
    if margin is not None and not np.isnan(margin) and margin < margin_min:
        whose = "" if margin_min == MARGIN_MIN else ", the margin this library identifies at"
        reasons.append(
            f"the best different substance scores within {format_beside(margin, [margin_min])} "
            f"(< {margin_min:g}{whose}): the spectrum does not tell them apart"
        )
        good = False
    if matched_fraction < MATCHED_FRACTION_MIN:
        reasons.append(
            f"the reference matches only {_band_share(matched_fraction)} of the query's bands "
            "(weighted "
            f"by prominence; < {MATCHED_FRACTION_MIN:.0%}): unexplained bands (mixture or other "
            "form?)"
        )
        good = False
    elif good:
        reasons.append(
            f"{_band_share(matched_fraction)} of the query's bands matched (by prominence)"
        )
    return ("identified" if good else "inconclusive"), reasons


def format_q_value(q_value: float | None) -> str:
    """A q-value as every report, screen and reason shows it.

    Two significant digits, and more where two would round a q-value onto or across a
    threshold of the verdict (:data:`Q_IDENTIFIED`, :data:`Q_NO_MATCH`): what is shown is on
    the side of each threshold the q-value is, so 0.0504 is never shown as 0.05 beside "at most
    0.05".

    Parameters
    ----------
    q_value : float or None
        A q-value in [0, 1]; None or NaN when the library has no calibration.

    Returns
    -------
    str
        e.g. ``"0.012"``, ``"0.0504"``, ``"0.05"``; ``"< 0.001"`` below :data:`Q_SHOWN_MIN`;
        ``"-"`` for none.
    """
    if q_value is None or np.isnan(q_value):
        return "-"
    if q_value < Q_SHOWN_MIN:
        return f"< {Q_SHOWN_MIN}"
    for digits in range(2, 18):  # 17 significant digits give the float back exactly
        shown = f"{q_value:.{digits}g}"
        if all((float(shown) <= t) == (q_value <= t) for t in (Q_IDENTIFIED, Q_NO_MATCH)):
            return shown
    return repr(float(q_value))  # not reached


def format_beside(
    value: float,
    thresholds: Sequence[float],
    *,
    decimals: int | None = None,
    percent: bool = False,
    strict: bool = False,
) -> str:
    """A number as a screen, report or reason shows it beside a threshold it is compared with.

    Three decimals (a whole percent with ``percent``, or ``decimals``), and more where fewer
    would round the value onto or across one of ``thresholds``: what is shown is on the side
    of each threshold the value is. A margin of 0.01996 reads "0.01996", never "0.020" beside
    "< 0.02"; a band fraction of 0.4996 reads "49.96%", never "50%" beside "< 50%"; a
    signal-to-noise of 29.96 at one decimal reads "29.96", never "30.0" beside "< 30".

    Parameters
    ----------
    value : float
        The value (a fraction in [0, 1] with ``percent``).
    thresholds : sequence of float
        The thresholds it is compared with (in the same unit as ``value``).
    decimals : int, optional
        The fewest decimals shown: 3, or 0 with ``percent`` (decimals of the percentage).
    percent : bool, default False
        Show it as a percentage.
    strict : bool, default False
        The value must *exceed* each threshold (``>``) rather than reach it (``>=``): a value
        above a threshold is then never shown on it (0.98004 beside "> 0.98" reads "0.98004",
        not "0.9800").

    Returns
    -------
    str
        e.g. ``"0.948"``, ``"0.01996"``, ``"62%"``, ``"49.96%"``.
    """
    first = (0 if percent else 3) if decimals is None else decimals

    def below(number: float, threshold: float) -> bool:
        return number <= threshold if strict else number < threshold

    for places in range(first, first + 17):
        shown = f"{value:.{places}%}" if percent else f"{value:.{places}f}"
        number = float(shown.rstrip("%")) / (100 if percent else 1)
        if all(below(number, t) == below(value, t) for t in thresholds):
            return shown
    return repr(float(value))  # not reached


def format_score(score: float | None, q_value: float | None = None) -> str:
    """A similarity score as every screen, report, reason and warning shows it.

    Three decimals, and more where three would round the score onto or across a score
    threshold of the verdict (:func:`format_beside`). Score thresholds apply only without a
    calibration (``q_value`` None or NaN): :data:`SCORE_NO_MATCH_UNCALIBRATED` and
    :data:`SCORE_IDENTIFIED_UNCALIBRATED`, so an uncalibrated best score of 0.9496 reads
    "0.9496" beside *inconclusive*, never "0.950"; with a calibration the q-value decides
    (:func:`format_q_value`) and the score is shown to three decimals.

    Parameters
    ----------
    score : float or None
        A score (cosine after alignment, at most 1); None when there is none.
    q_value : float or None
        The score's q-value; None or NaN without a calibration.

    Returns
    -------
    str
        e.g. ``"0.948"``, ``"0.9496"``, ``"0.7996"``; ``"-"`` for none.
    """
    if score is None:
        return "-"
    thresholds = (
        [SCORE_NO_MATCH_UNCALIBRATED, SCORE_IDENTIFIED_UNCALIBRATED]
        if _uncalibrated(q_value)
        else []
    )
    return format_beside(score, thresholds)


def _band_share(matched_fraction: float) -> str:
    return format_beside(matched_fraction, [MATCHED_FRACTION_MIN], percent=True)


def decide_component(
    score: float, q_value: float | None, margin: float, *, margin_min: float = MARGIN_MIN
) -> str:
    """The verdict on one component of a mixture fit, from its *part*: the query less the other
    components (the fit's residual stays with it), compared with the library.

    The rules of :func:`decide` on a single spectrum: its own substance matches the part with a
    q-value of at most :data:`Q_IDENTIFIED` (without a calibration, a score of at least
    :data:`SCORE_IDENTIFIED_UNCALIBRATED`) and beats every other substance by
    :data:`MARGIN_MIN`. There is no separate band rule: bands that no component explains stay in
    every part and lower each part's score.

    Parameters
    ----------
    score : float
        The part's score against the component's own substance.
    q_value : float or None
        That score's q-value; None or NaN without a calibration.
    margin : float
        By how much the part's score for its own substance beats that of any other substance
        (infinity when there is no other).
    margin_min : float, default MARGIN_MIN
        The margin an identification needs: the library's own
        (:attr:`Calibration.margin_threshold`).

    Returns
    -------
    str
        ``"identified"`` or ``"inconclusive"`` (a part that would be a ``no_match`` is not
        reported as a component at all).
    """
    if _uncalibrated(q_value):
        good = score >= SCORE_IDENTIFIED_UNCALIBRATED
    else:
        good = q_value <= Q_IDENTIFIED
    return "identified" if good and margin >= margin_min else "inconclusive"


def decide_mixture(
    verdict: str, components: Sequence[Mapping[str, Any]], best: str
) -> tuple[str, list[str]]:
    """The verdict when a mixture fit found components, with the reasons it adds.

    A cut sample often has no single reference that identifies it: at 60:40, the drug and the
    cutting agent each explain part of the spectrum and score about alike, so :func:`decide`
    finds them within :data:`MARGIN_MIN` of each other, or the best reference leaves half of
    the bands unexplained. The sample is then *identified as a mixture* when the fit has at
    least two components, every one of them is ``"identified"`` by its own part
    (:func:`decide_component`, the component's ``"verdict"``), and the best single hit is one of
    them (otherwise the hits and the fit tell different stories, and a chemist has to look).
    A verdict of ``"identified"`` on the best hit stands whatever the fit says; a reason then
    says which components the result names only as possible (:func:`identified_substances`).

    Parameters
    ----------
    verdict : str
        The verdict of :func:`decide` on the best single hit.
    components : sequence of mapping
        The fit's components, each with ``"name"``, ``"fraction"``, ``"score"``, ``"q_value"``
        (None without a calibration) and ``"verdict"``.
    best : str
        The name of the best single hit (compared with the components' names by substance,
        :func:`forensic.naming.substance_key`).

    Returns
    -------
    (str, list of str)
        The verdict, and the reasons to add to those of :func:`decide`.
    """
    if len(components) < 2:
        return verdict, []
    weak = [c for c in components if c["verdict"] != "identified"]
    if verdict == "identified":
        # the best hit stands; a component its part does not identify is only possible
        return verdict, [
            f"{c['name']} is named only as possible: {component_evidence(c)}, which does not "
            "identify it"
            for c in weak
        ]
    if weak:
        names = ", ".join(c["name"] for c in weak)
        return verdict, [f"mixture not identified: not identified by its own part: {names}"]
    if substance_key(best) not in {substance_key(c["name"]) for c in components}:
        return verdict, ["mixture not identified: the best single hit is not one of its components"]
    parts = "; ".join(
        f"{c['name']} {c['fraction']:.0%}, {component_evidence(c)}" for c in components
    )
    return "identified", [
        "identified as a mixture: each component's part (the spectrum less the other "
        f"components) is identified as it: {parts}"
    ]


def component_evidence(component: Mapping[str, Any]) -> str:
    """``its part scores 0.890 (q-value 0.0094)``: a component's evidence in words.

    Parameters
    ----------
    component : mapping
        A mixture component as recorded: its ``score`` and ``q_value`` (None without a
        calibration).

    Returns
    -------
    str
        The score, and the q-value when there is one.
    """
    q_value = component.get("q_value")
    if q_value is None:  # judged on its score (no calibration)
        return f"its part scores {format_score(component['score'])}"
    return (
        f"its part scores {format_score(component['score'], q_value)} "
        f"(q-value {format_q_value(q_value)})"
    )


def identified_substances(
    best: str | None, components: Sequence[Mapping[str, Any]]
) -> tuple[list[str], list[str]]:
    """What an ``identified`` result names: ``(named, possible)``.

    ``named`` is the best single hit (identified on its own, or as a component of an identified
    mixture) and every mixture component whose part is ``"identified"`` as it
    (:func:`decide_component`), in the fit's order; ``possible`` the other components, which a
    result may mention only as possible. A component without a ``"verdict"`` (results
    recorded before components had one) counts as identified, as every component did then.

    Parameters
    ----------
    best : str or None
        The name of the best single hit; None when there is none.
    components : sequence of mapping
        The mixture components as recorded, each with its ``name`` (and ``verdict``).

    Returns
    -------
    named : list of str
        The substances identified.
    possible : list of str
        The other components.
    """
    sure = [c["name"] for c in components if c.get("verdict", "identified") == "identified"]
    # entries of one substance may spell its name differently ("Cocaine HCl", "cocaine-HCl")
    sure_keys = {substance_key(name) for name in sure}
    named = sure if best is None or substance_key(best) in sure_keys else [best, *sure]
    named_keys = {substance_key(name) for name in named}
    possible = [c["name"] for c in components if substance_key(c["name"]) not in named_keys]
    return named, possible


# ---------------------------------------------------------------------------------------------
# A result in words: the verdict's headline and, under an inconclusive one, what came closest.
# Here, not with the report, because every screen says them too (``identify``, ``scan``,
# ``exhibit identify``): saying a verdict needs this module, not matplotlib or the store.
# ---------------------------------------------------------------------------------------------
WORDED_FOR_THE_READER = 5
"""The first layout version whose report is worded for its reader, as
:data:`forensic.report.layout.LAYOUT_VERSION` lists: content of an earlier version is laid out
without those words, as it was issued (an inconclusive headline then named its closest
reference: :func:`verdict_line`)."""


SHARE_OF_SIGNAL = "share of signal"
"""What a mixture component's percentage is: its share of the fitted signal, as a report's
mixture table heads its column ("Share of signal") and the screen's mixture line says it."""
NOT_A_PURITY = "not a quantitative purity"
"""What a mixture component's share of signal is not, in the words of a report's limitations
(``Mixture fractions are relative spectral contributions, not a quantitative purity``) and of
the screen's mixture line: "64%" of cocaine in the signal is easily read, and radioed, as a
sample of 64 % cocaine."""
NO_MATCH_CANNOT_EXCLUDE = (
    "A substance absent from the library searched cannot be identified: this no match does "
    "not show that no controlled substance is present."
)
"""Under a NO MATCH headline, in a report (layout 6 on) and on every screen: what a no match
cannot say."""


NO_MATCH_PRESENTATION = {
    "raman": "check the sample presentation (in focus, not behind thick or coloured packaging) "
    "and measure again with a longer exposure",
    "ir": "check the sample presentation (pressed firmly on a clean ATR crystal, after a fresh "
    "background) and measure again",
}
"""What to check of a sample that gave a NO MATCH, and how to measure it again, by modality."""
NO_MATCH_SEND_TO_LAB = (
    "still NO MATCH: send the exhibit to the lab for a second, uncorrelated technique (e.g. GC-MS)"
)
"""The last step after a NO MATCH, in the words of a report's SWGDRUG limitation."""


def no_match_to_do(identification: Mapping[str, Any]) -> str | None:
    """What the technician does after a NO MATCH, for every screen's ``to do:`` line (never
    recorded, as no advice is): check how the sample is presented and measure again, then
    send it to the lab (:data:`NO_MATCH_CANNOT_EXCLUDE`: the sample may hold a controlled
    substance the library lacks).

    Parameters
    ----------
    identification : mapping
        The result (its ``verdict`` and ``modality``).

    Returns
    -------
    str or None
        e.g. ``check the sample presentation (in focus, not behind thick or coloured
        packaging) and measure again with a longer exposure; still NO MATCH: send the exhibit
        to the lab for a second, uncorrelated technique (e.g. GC-MS)``; None for another
        verdict.
    """
    if identification.get("verdict") != "no_match":
        return None
    again = NO_MATCH_PRESENTATION.get(
        str(identification.get("modality")),
        "check the sample presentation and measure again",
    )
    return f"{again}; {NO_MATCH_SEND_TO_LAB}"


def format_share(fraction: float | None) -> str:
    """A mixture component's share of the fitted signal as the verdict and warnings give it.

    Parameters
    ----------
    fraction : float or None
        The share, in [0, 1]; None when there is none.

    Returns
    -------
    str
        A whole percent (``"42%"``); ``"-"`` for none.
    """
    return "-" if fraction is None else f"{fraction:.0%}"


def no_usable_signal(identification: Mapping[str, Any]) -> bool:
    """Whether a result rests on a spectrum with no usable signal (its strongest band below
    :data:`MIN_SIGNAL_TO_NOISE` times the noise): its hits are then chance, not leads.

    Parameters
    ----------
    identification : mapping
        The result (``Identification.to_dict()``); one recorded without a signal-to-noise
        has usable signal.

    Returns
    -------
    bool
    """
    signal = identification.get("signal_to_noise")
    return signal is not None and signal < MIN_SIGNAL_TO_NOISE


def verdict_line(identification: Mapping[str, Any] | None, *, layout: int | None = None) -> str:
    """The verdict in plain words, e.g. ``IDENTIFIED: cocaine hydrochloride``.

    The one source of a verdict's headline: a report's, and the screens of ``scan`` and
    ``identify``. An inconclusive verdict names no substance as if it were the finding
    (``INCONCLUSIVE: no substance identified``; the closest references are said under it,
    :func:`closest_line`); a report of a layout before 5 named its closest reference, as it
    was issued.

    Parameters
    ----------
    identification : mapping or None
        The result (``Identification.to_dict()``); None for an analysis that did not finish.
    layout : int, optional
        The layout version of the report it is laid out in (default: the current one,
        :data:`forensic.report.layout.LAYOUT_VERSION`, which is never below
        :data:`WORDED_FOR_THE_READER`).

    Returns
    -------
    str
        The headline.
    """
    if not identification:
        return "NO RESULT: the analysis did not finish"
    verdict = identification.get("verdict")
    hits = identification.get("hits") or []
    best = hits[0]["name"] if hits else None
    mixture = identification.get("mixture")
    if verdict == "identified":
        components = (mixture or {}).get("components") or []
        named, possible = identified_substances(best, components)
        text = (
            f"IDENTIFIED (mixture): {' + '.join(named)}"
            if len(named) > 1
            else f"IDENTIFIED: {best}"
        )
        if possible:
            text += f"; possibly also {', '.join(possible)}"
        return text
    if verdict == "inconclusive":
        signal = identification.get("signal_to_noise")
        if signal is not None and signal < MIN_SIGNAL_TO_NOISE:
            # an empty measurement: its closest reference is chance, not a lead
            return (
                "INCONCLUSIVE: no usable signal (strongest band "
                f"{format_beside(signal, [MIN_SIGNAL_TO_NOISE], decimals=1)} times the noise, "
                f"{MIN_SIGNAL_TO_NOISE:g} needed)"
            )
        if identification.get("unusable"):  # compared wrongly: its closest reference is none
            return f"INCONCLUSIVE: {identification['unusable']}"
        if layout is None or layout >= WORDED_FOR_THE_READER:
            return "INCONCLUSIVE: no substance identified"
        return f"INCONCLUSIVE: closest reference {best}" if best else "INCONCLUSIVE"
    return "NO MATCH in the reference library"


def margin_of(identification: Mapping[str, Any]) -> float:
    """The margin over the best different substance a result's verdict needed: the one its
    library's calibration chose (``margin_min``, :attr:`Calibration.margin_threshold`), or
    :data:`MARGIN_MIN` for a result recorded before libraries chose it.

    Parameters
    ----------
    identification : mapping
        The result (``Identification.to_dict()``).

    Returns
    -------
    float
    """
    value = identification.get("margin_min")
    return MARGIN_MIN if value is None else float(value)


def closest_line(identification: Mapping[str, Any]) -> str | None:
    """Under an inconclusive headline with usable signal: the closest references, those the
    spectrum does not tell apart from the best (within the library's margin of its score,
    :func:`margin_of`), and
    the substances the mixture fit suggests, each said to be no finding.

    Parameters
    ----------
    identification : mapping
        The result (``Identification.to_dict()``).

    Returns
    -------
    str or None
        e.g. ``Closest references, not told apart (within 0.02) and not confirmed:
        Paracetamol (score 0.626, q-value 0.055), Heroin base (score 0.623, q-value 0.061).
        The mixture fit suggests Heroin base 42% + Caffeine 29% + Paracetamol 29%: not
        confirmed.``; None for another verdict, or a result whose comparison is unusable.
    """
    hits = identification.get("hits") or []
    if (
        identification.get("verdict") != "inconclusive"
        or not hits
        or no_usable_signal(identification)
        or identification.get("unusable")
    ):
        return None
    best = hits[0].get("score")
    margin_min = margin_of(identification)
    near: dict[str, Mapping[str, Any]] = {}
    for hit in hits:
        score = hit.get("score")
        if hit is hits[0] or (best is not None and score is not None and best - score < margin_min):
            near.setdefault(substance_key(str(hit.get("name"))), hit)
    said = ", ".join(
        f"{h.get('name')} (score {format_score(h.get('score'), h.get('q_value'))}"
        + (
            f", q-value {format_q_value(h.get('q_value'))})"
            if format_q_value(h.get("q_value")) != "-"
            else ")"
        )
        for h in near.values()
    )
    text = (
        f"Closest references, not told apart (within {margin_min:g} of each other's score) and "
        f"not confirmed: {said}."
        if len(near) > 1
        else f"Closest reference, not confirmed: {said}."
    )
    components = (identification.get("mixture") or {}).get("components") or []
    if len(components) > 1:
        text += (
            " The mixture fit suggests "
            + " + ".join(f"{c.get('name')} {format_share(c.get('fraction'))}" for c in components)
            + ": not confirmed."
        )
    return text


def hits_line(identification: Mapping[str, Any]) -> str:
    """Above a result's hit table, in a report and on every screen: what its ranks are, so
    that a reference listed is not read as a finding.

    Parameters
    ----------
    identification : mapping
        The result (its ``verdict``, ``hits`` and ``signal_to_noise``), with the hits the
        table shows.

    Returns
    -------
    str
        For an identified result, that rank 1 is the reference the verdict names and the
        others are not findings; for a no match, or a spectrum without usable signal, that
        the references are close by chance only; else that none is a finding.
    """
    count = len(identification.get("hits") or [])
    verdict = identification.get("verdict")
    if verdict == "identified":
        return "References closest to the spectrum: rank 1 is the one the verdict names" + (
            f"; ranks 2 to {count} are the next-closest references, not findings."
            if count > 2
            else "; rank 2 is the next-closest reference, not a finding."
            if count == 2
            else "."
        )
    if no_usable_signal(identification) or verdict == "no_match":
        return (
            "References closest to the spectrum by chance similarity only: none is a finding "
            + (
                "(the spectrum holds no usable signal)."
                if no_usable_signal(identification)
                else "(the spectrum matches no reference)."
            )
        )
    return "References closest to the spectrum: none is a finding (the verdict is inconclusive)."
