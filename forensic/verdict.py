"""Calibrated confidence: decoy references, target-decoy q-values, and the verdict.

A similarity score alone does not say how often a score that high happens by chance in *this*
library. We measure it the way proteomics does (target-decoy competition):

1. **Decoys** (:func:`make_decoys`): for every reference, a spectrum that looks like a reference
   (the same band shapes and widths, the same number of bands, exactly the same distribution of
   intensity values, the same measured range) but whose bands sit at chemically meaningless
   positions: the measured range is cut at intensity minima into segments of one or a few bands,
   and the segments are put back in random order. A decoy therefore matches a query only as well
   as a *wrong* reference would by chance, which is what a false identification is.
2. **Competition** (:func:`calibrate_library`): perturbed references (noise, residual baseline,
   a few cm-1 of shift, a smooth change of relative band intensities) are searched with the
   production scoring against the references and against the decoys. For half of the queries the
   query's own substance is removed from the targets, so the library does not contain the answer,
   as happens in casework. Each query keeps its best target and its best decoy; the better of the
   two wins.
3. **q-values** (:func:`calibrate`): among the winners, the false-discovery rate of accepting
   every target win scoring at least ``s`` is estimated as (decoy wins >= s + 1) / (target wins
   >= s) with :func:`pyteomics.auxiliary.qvalues` (formula 1, "+1" correction); the q-value of a
   score is the smallest such rate over thresholds at or below it. :class:`Calibration` keeps the
   (score, q) curve and interpolates it monotonically for new scores.

Because the queries are built from the library itself, we also know which target wins were
really wrong, and :meth:`Calibration.summary` reports that empirical false-discovery proportion
beside the estimate: a check that the decoys are realistic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pyteomics import auxiliary
from scipy import signal

from forensic.errors import IdentificationError

__all__ = [
    "MARGIN_MIN",
    "MATCHED_FRACTION_MIN",
    "Q_IDENTIFIED",
    "Q_NO_MATCH",
    "SCORE_IDENTIFIED_UNCALIBRATED",
    "SCORE_NO_MATCH_UNCALIBRATED",
    "Calibration",
    "calibrate",
    "calibrate_library",
    "decide",
    "make_decoys",
    "perturb",
]

# ---------------------------------------------------------------------------------------------
# Verdict thresholds.
#
# Q_IDENTIFIED / Q_NO_MATCH are false-discovery rates, so they mean the same thing whatever the
# library: a hit with q <= 0.01 is at a score where at most 1 % of target wins are expected to be
# wrong; q > 0.05 means decoys (random band patterns) reach that score often enough that the hit
# is not evidence. The score each corresponds to is measured per library by calibrate_library()
# and printed by Calibration.summary() (figures in the README).
#
# MARGIN_MIN is in score units: the best hit must beat the best hit of a DIFFERENT substance by
# this much. It is set from the spread of scores of one substance under realistic perturbation:
# in calibrate_library() runs on the ENFSI IR set (benchmarks/), the standard deviation of the
# score of a perturbed query against its own reference was about 0.005-0.01, so two substances
# closer than 0.02 (2-4 standard deviations) cannot be told apart by the score alone.
#
# MATCHED_FRACTION_MIN: at least half of the query's peaks must have a partner in the reference
# after alignment; fewer means the query holds bands the reference does not explain (a mixture,
# a different salt form, a contaminant) and a chemist has to look.
# ---------------------------------------------------------------------------------------------
Q_IDENTIFIED = 0.01
"""Largest q-value for ``identified``."""
Q_NO_MATCH = 0.05
"""Above this q-value the best hit is no better than chance: ``no_match``."""
MARGIN_MIN = 0.02
"""Smallest score margin over the best different substance for ``identified``."""
MATCHED_FRACTION_MIN = 0.5
"""Smallest fraction of the query's peaks matched by the reference for ``identified``."""
SCORE_IDENTIFIED_UNCALIBRATED = 0.95
"""Only when no q-value is available (NaN): cosine needed for ``identified``."""
SCORE_NO_MATCH_UNCALIBRATED = 0.80
"""Only when no q-value is available (NaN): below this cosine, ``no_match``."""

_MIN_SEGMENT_POINTS = 12  # a decoy segment holds at least one band with its flanks
_MAX_DECOY_COSINE = 0.6  # a decoy must not resemble the reference it was made from
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


def _shuffle_segments(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Cut ``y`` at intensity minima into segments and reassemble them in a random order."""
    n = y.size
    if n < 2 * _MIN_SEGMENT_POINTS:
        return np.roll(y, n // 2)
    minima, _ = signal.find_peaks(-y)
    cuts: list[int] = []
    last = 0
    for m in minima:
        if m - last >= _MIN_SEGMENT_POINTS and n - m >= _MIN_SEGMENT_POINTS:
            cuts.append(int(m))
            last = int(m)
    if len(cuts) < 2:  # too few minima (one broad band): cut at even intervals instead
        k = max(3, n // (4 * _MIN_SEGMENT_POINTS))
        cuts = list(np.linspace(0, n, k + 1, dtype=int)[1:-1])
    segments = np.split(y, cuts)
    best, best_cos = None, np.inf
    norm = np.linalg.norm(y)
    for _ in range(20):
        order = rng.permutation(len(segments))
        if np.all(order == np.arange(len(segments))):
            continue
        candidate = np.concatenate([segments[i] for i in order])
        cos = float(candidate @ y / (norm * norm)) if norm > 0 else 0.0
        if cos < best_cos:
            best, best_cos = candidate, cos
        if cos <= _MAX_DECOY_COSINE:
            break
    return best if best is not None else np.roll(y, n // 2)


def make_decoys(references: np.ndarray, valid: np.ndarray, *, seed: int = 0) -> np.ndarray:
    """Peak-shuffled decoy spectra, one per reference.

    Inside each reference's measured range, the spectrum is cut at intensity minima into
    segments of at least a dozen points (one or a few bands with their flanks) and the segments
    are reassembled in a random order, redrawn until the decoy's cosine with its reference is at
    most 0.6. A decoy keeps everything that makes a chance match likely (band shapes and widths,
    number of bands, the exact multiset of intensity values, the measured range) and loses only
    what identifies a substance: where its bands are.

    Parameters
    ----------
    references : numpy.ndarray
        Shape (N, G), preprocessed references on the library grid.
    valid : numpy.ndarray
        Shape (N, G) or (G,), bool: each reference's measured range.
    seed : int
        Seed of the random generator; the same seed gives the same decoys.

    Returns
    -------
    numpy.ndarray
        Shape (N, G), same dtype as ``references``, zero outside ``valid``.
    """
    refs = _as_matrix(references)
    mask = _as_mask(valid, refs.shape)
    rng = np.random.default_rng(seed)
    decoys = np.zeros_like(refs)
    for i in range(refs.shape[0]):  # offline, once per calibration; each row is vectorised
        idx = np.flatnonzero(mask[i])
        if idx.size == 0:
            continue
        decoys[i, idx] = _shuffle_segments(np.asarray(refs[i, idx], dtype=float), rng)
    return decoys


# ---------------------------------------------------------------------------------------------
# Calibration
# ---------------------------------------------------------------------------------------------
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
    """

    scores: np.ndarray
    q_values: np.ndarray
    n_queries: int = 0
    n_target_wins: int = 0
    n_decoy_wins: int = 0
    empirical: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    def q_value(self, scores: np.ndarray | float) -> np.ndarray:
        """q-values of scores, by monotone interpolation of the calibration curve.

        Parameters
        ----------
        scores : array_like
            Any shape; similarity scores on the same scale as the calibration.

        Returns
        -------
        numpy.ndarray
            Same shape as ``scores``, in [0, 1], non-increasing in the score. Scores below the
            lowest calibrated target win get 1; above the highest, the q-value of the highest.
        """
        s = np.asarray(scores, dtype=float)
        if self.scores.size == 0:
            return np.ones_like(s)
        q = np.interp(s, self.scores, self.q_values, left=1.0, right=float(self.q_values[-1]))
        return np.clip(np.where(np.isnan(s), 1.0, q), 0.0, 1.0)

    def score_at(self, q: float) -> float | None:
        """The lowest calibrated score whose q-value is at most ``q`` (None if none is)."""
        ok = self.q_values <= q
        return float(self.scores[ok].min()) if ok.any() else None

    def summary(self) -> dict[str, Any]:
        """Figures for the README: the score thresholds at q = 0.01 and 0.05, and the checks."""
        out: dict[str, Any] = {
            "n_queries": self.n_queries,
            "n_target_wins": self.n_target_wins,
            "n_decoy_wins": self.n_decoy_wins,
            "score_at_q_0.01": self.score_at(0.01),
            "score_at_q_0.05": self.score_at(0.05),
        }
        out.update(self.empirical)
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form; :meth:`from_dict` inverts it."""
        return {
            "method": "target-decoy competition, pyteomics.auxiliary.qvalues (formula 1, +1)",
            "scores": [float(v) for v in self.scores],
            "q_values": [float(v) for v in self.q_values],
            "n_queries": int(self.n_queries),
            "n_target_wins": int(self.n_target_wins),
            "n_decoy_wins": int(self.n_decoy_wins),
            "empirical": dict(self.empirical),
            "info": dict(self.info),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibration:
        """Rebuild a calibration written by :meth:`to_dict`."""
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
            empirical=dict(data.get("empirical", {})),
            info=dict(data.get("info", {})),
        )


def calibrate(
    target_scores: np.ndarray,
    decoy_scores: np.ndarray,
    *,
    is_false: np.ndarray | None = None,
    info: dict[str, Any] | None = None,
) -> Calibration:
    """Target-decoy competition: a q-value curve from each query's best target and best decoy.

    Parameters
    ----------
    target_scores, decoy_scores : numpy.ndarray
        Shape (Q,): for each query, its best score among the references and among the decoys.
        A tie goes to the decoy (conservative).
    is_false : numpy.ndarray, optional
        Shape (Q,), bool: the query's best target is known to be the wrong substance. Only used
        to report the empirical false-discovery proportion beside the estimate.
    info : dict, optional
        Stored with the calibration (how it was made).

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
    decoy_wins = d >= t
    winner = np.where(decoy_wins, d, t)
    n_target = int((~decoy_wins).sum())
    if n_target == 0:
        scores, qs = np.zeros(0), np.zeros(0)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):  # 0/0 before the first target
            result = auxiliary.qvalues(
                winner,
                key=winner,
                is_decoy=decoy_wins,
                reverse=True,
                remove_decoy=True,
                formula=1,
                correction=1,
                full_output=False,
            )
        s = np.asarray(result["score"], dtype=float)
        q = np.clip(np.asarray(result["q"], dtype=float), 0.0, 1.0)
        order = np.argsort(s, kind="stable")
        s, q = s[order], q[order]
        # the q-value of s is the smallest estimated FDR over all thresholds at or below s:
        # a running minimum from the lowest score up, so q never rises with the score; then one
        # point per distinct score (the smallest q there)
        q = np.minimum.accumulate(q)
        scores, first = np.unique(s, return_index=True)
        qs = np.minimum.reduceat(q, first)
    empirical: dict[str, Any] = {}
    if is_false is not None:
        wrong = np.asarray(is_false, dtype=bool).ravel()
        if wrong.shape != t.shape:
            raise IdentificationError(f"is_false has {wrong.size} values for {t.size} queries")
        cal = Calibration(scores, qs)
        q_of_wins = cal.q_value(t)
        for thr in (0.01, 0.05):
            accepted = (~decoy_wins) & (q_of_wins <= thr)
            n_acc = int(accepted.sum())
            empirical[f"accepted_at_q_{thr}"] = n_acc
            empirical[f"empirical_fdp_at_q_{thr}"] = (
                float(wrong[accepted].mean()) if n_acc else None
            )
        empirical["n_false_best_targets"] = int(wrong.sum())
    return Calibration(
        scores=scores,
        q_values=qs,
        n_queries=int(t.size),
        n_target_wins=n_target,
        n_decoy_wins=int(decoy_wins.sum()),
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
    seed: int = 0,
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
    seed : int
        Random seed.
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


def calibrate_library(
    references: np.ndarray,
    valid: np.ndarray,
    score_fn: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray],
    *,
    seed: int = 0,
    n_queries: int | None = None,
    labels: Sequence[Any] | None = None,
    absent_fraction: float = 0.5,
) -> Calibration:
    """Calibrate q-values for a library with its own production scoring.

    Perturbed references (:func:`perturb`) are the queries; each is scored with ``score_fn``
    against the references and against their decoys (:func:`make_decoys`). For a fraction
    ``absent_fraction`` of the queries every entry of the query's own substance is excluded from
    the targets, so those queries have no right answer in the library. Each query's best target
    and best decoy then compete (:func:`calibrate`).

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
        How many references to use as queries (default: all, at most 2000).
    labels : sequence, optional
        Length N: the substance of each reference (e.g. its name). Entries with the same label
        are the same substance; without labels each entry is its own substance.
    absent_fraction : float
        Fraction of queries whose substance is removed from the targets (0 to 1).

    Returns
    -------
    Calibration
    """
    refs = _as_matrix(references)
    n, g = refs.shape
    mask = np.ascontiguousarray(_as_mask(valid, refs.shape))
    if not 0.0 <= absent_fraction <= 1.0:
        raise IdentificationError(f"absent_fraction must be in [0, 1], got {absent_fraction}")
    if labels is None:
        lab = np.arange(n)
    else:
        if len(labels) != n:
            raise IdentificationError(f"{len(labels)} labels for {n} references")
        _, lab = np.unique(np.asarray([str(v) for v in labels]), return_inverse=True)
    if n < 2:
        raise IdentificationError(f"a library of {n} reference cannot be calibrated: need 2+")
    rng = np.random.default_rng(seed)
    n_q = min(n, n_queries if n_queries is not None else 2000)
    if n_q < 1:
        raise IdentificationError(f"n_queries must be at least 1, got {n_queries}")
    q_idx = np.sort(rng.choice(n, size=n_q, replace=False))
    queries = perturb(refs[q_idx], mask[q_idx], seed=seed + 1).astype(refs.dtype, copy=False)
    q_valid = mask[q_idx]
    absent = rng.random(n_q) < absent_fraction
    q_lab = lab[q_idx]

    best_t = np.full(n_q, -np.inf)
    best_t_lab = np.full(n_q, -1)
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
        better = top > best_t
        best_t = np.where(better, top, best_t)
        best_t_lab = np.where(better, lab[start + j], best_t_lab)
        decoys = make_decoys(refs[rows], mask[rows], seed=seed + 2 + start)
        s_d = np.asarray(score_fn(queries, q_valid, decoys, mask[rows]), dtype=float)
        best_d = np.maximum(best_d, s_d.max(axis=1))
    # a query whose targets were all excluded (single-substance library) has no target: drop it
    keep = np.isfinite(best_t)
    is_false = best_t_lab != q_lab
    info = {
        "seed": seed,
        "library_size": int(n),
        "n_substances": int(np.unique(lab).size),
        "absent_fraction": absent_fraction,
        "decoys": "peak-segment shuffled references (forensic.verdict.make_decoys)",
        "queries": "perturbed references (forensic.verdict.perturb: noise 2 %, shift 3 points, "
        "baseline 5 %, band gain 15 %)",
        "grid_points": int(g),
    }
    cal = calibrate(best_t[keep], best_d[keep], is_false=is_false[keep], info=info)
    # the score spread of a substance under perturbation, the basis of MARGIN_MIN
    present = keep & ~absent & ~is_false
    if present.any():
        cal.empirical["median_true_score"] = float(np.median(best_t[present]))
        cal.empirical["p05_true_score"] = float(np.percentile(best_t[present], 5))
    return cal


# ---------------------------------------------------------------------------------------------
# Verdict
# ---------------------------------------------------------------------------------------------
def decide(
    score: float, q_value: float, margin: float, matched_fraction: float
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
        Fraction of the query's peaks that have a partner in the best reference (0 to 1).

    Returns
    -------
    (str, list of str)
        ``"identified"``, ``"inconclusive"`` or ``"no_match"``, and the reasons.
    """
    reasons: list[str] = []
    if q_value is None or np.isnan(q_value):
        reasons.append("no calibration for this library: uncalibrated score thresholds used")
        if score < SCORE_NO_MATCH_UNCALIBRATED:
            reasons.append(
                f"best score {score:.3f} is below {SCORE_NO_MATCH_UNCALIBRATED:.2f}: "
                "unlike every reference"
            )
            return "no_match", reasons
        good = score >= SCORE_IDENTIFIED_UNCALIBRATED
        if not good:
            reasons.append(
                f"best score {score:.3f} is below {SCORE_IDENTIFIED_UNCALIBRATED:.2f} needed "
                "to identify"
            )
    else:
        if q_value > Q_NO_MATCH:
            reasons.append(
                f"best score {score:.3f} has q-value {q_value:.3f} > {Q_NO_MATCH}: decoy "
                "(random band pattern) references reach such scores; unlike every reference"
            )
            return "no_match", reasons
        good = q_value <= Q_IDENTIFIED
        if good:
            reasons.append(f"score {score:.3f}, q-value {q_value:.4f} <= {Q_IDENTIFIED}")
        else:
            reasons.append(
                f"q-value {q_value:.3f} is above {Q_IDENTIFIED} needed to identify "
                f"(score {score:.3f})"
            )
    if margin is not None and not np.isnan(margin) and margin < MARGIN_MIN:
        reasons.append(
            f"the best different substance scores within {margin:.3f} (< {MARGIN_MIN}): "
            "the spectrum does not tell them apart"
        )
        good = False
    if matched_fraction < MATCHED_FRACTION_MIN:
        reasons.append(
            f"only {matched_fraction:.0%} of the query's peaks are matched by the reference "
            f"(< {MATCHED_FRACTION_MIN:.0%}): unexplained bands (mixture or other form?)"
        )
        good = False
    elif good:
        reasons.append(f"{matched_fraction:.0%} of the query's peaks matched")
    return ("identified" if good else "inconclusive"), reasons
