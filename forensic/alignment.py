"""Peak detection and peak alignment of a reference onto a query: the evidence a chemist checks.

Spectra of one substance measured on two instruments differ by a small shift of the wavenumber
axis (laser wavelength, calibration) and a slight stretch (dispersion). :func:`align` finds the
peaks of both spectra, estimates that shift and stretch from the peaks they have in common, maps
the reference onto the query's axis, re-scores, and lists which peaks matched and which did not.

Everything here is pure NumPy/SciPy on arrays that share one wavenumber grid (the library grid).
The axis model, with ``c`` the centre of the compared range (``valid``)::

    query_position = c + (1 + stretch) * (reference_position - c) + shift_cm1

so ``shift_cm1`` is the displacement at the centre of the range and ``stretch`` the relative
dilation about it (``0.001`` moves a band 1 cm-1 per 1000 cm-1 from the centre).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import signal

from forensic.errors import IdentificationError
from forensic.quality import noise_level
from forensic.search import cosine_from_sums

__all__ = [
    "BAND_WIDTH_TOLERANCE",
    "MAX_PEAKS",
    "MIN_PROMINENCE_FRACTION",
    "NOISE_PROMINENCE_FACTOR",
    "Alignment",
    "align",
    "find_peaks",
    "match_peaks",
]

NOISE_PROMINENCE_FACTOR = 8.0
"""A peak must stand this many noise standard deviations above its surroundings.

The largest prominence of a pure white-noise bump over 1500 points is 6.2 sigma (median) and 7.5
sigma (99th percentile, measured), so 8 keeps noise bumps out of the evidence."""

MIN_PROMINENCE_FRACTION = 0.02
"""...and at least this fraction of the spectrum's intensity range (noise-free spectra)."""

BAND_WIDTH_TOLERANCE = 0.25
"""In the peak evidence, a query band matches a reference band within this fraction of its width
at half prominence when that is more than the tolerance in cm-1. The maximum of a broad band
(the IR bands of oxides, hydrates and OH stretches) moves by a good fraction of its width
between two samples of one substance, with particle size and overlapping components; a sharp
band's does not. On RRUFF IR, every sample against the others, 26 of the 94 right best hits
had fewer than half of their peaks matched with the fixed tolerance alone, and 16 with this
one; the right identifications rose from 49 to 51 (Raman 237 to 238, ENFSI drugs shifted
8 cm-1 from 80 to 86 and 88), with no wrong one added."""

MAX_PEAKS = 80
"""At most this many peaks (the most prominent) are used: more adds noise, not evidence."""

_SHIFT_STEP_CM1 = 1.0  # coarse vote grid for the shift; the fit and the cosine refine it
_REFINE_STEPS = np.linspace(-1.0, 1.0, 9)  # cm-1 around the peak estimate, scored by cosine


@dataclass(frozen=True)
class Alignment:
    """The result of aligning one reference onto one query.

    Attributes
    ----------
    shift_cm1 : float
        Displacement (cm-1) applied to the reference at the centre of the compared range.
    stretch : float
        Relative dilation of the reference axis about that centre (dimensionless).
    score : float
        Cosine similarity over ``valid`` between the query and the aligned reference.
    matched_peaks : list of (float, float)
        Pairs ``(query_cm1, reference_cm1)``; the reference position is the one measured in the
        reference, before alignment.
    unmatched_peaks : list of float
        Query peaks (cm-1) with no reference peak within the tolerance after alignment.
    unmatched_reference_peaks : list of float
        Reference peaks (cm-1, as measured in the reference) with no query partner.
    aligned_reference : numpy.ndarray
        Shape (G,): the reference moved onto the query's axis; zero where the reference has no
        data after the move.
    unaligned_score : float
        Cosine over ``valid`` before any alignment, for comparison.
    reference_range_cm1 : (float, float)
        Where the aligned reference has data, on the query's axis (cm-1): the reference's own
        measured range moved. ``score`` is the cosine over ``valid`` within it.
    matched_prominences, unmatched_prominences : list of float
        Prominences of the query peaks in ``matched_peaks`` and ``unmatched_peaks``, in the
        same order (in the unit of the spectrum the peaks were found in).
    """

    shift_cm1: float
    stretch: float
    score: float
    matched_peaks: list[tuple[float, float]] = field(default_factory=list)
    unmatched_peaks: list[float] = field(default_factory=list)
    unmatched_reference_peaks: list[float] = field(default_factory=list)
    aligned_reference: np.ndarray = field(default_factory=lambda: np.zeros(0))
    unaligned_score: float = float("nan")
    reference_range_cm1: tuple[float, float] = (float("-inf"), float("inf"))
    matched_prominences: list[float] = field(default_factory=list)
    unmatched_prominences: list[float] = field(default_factory=list)

    @property
    def matched_fraction(self) -> float:
        """Fraction of the query's peaks that found a reference partner (0 when it has none)."""
        n = len(self.matched_peaks) + len(self.unmatched_peaks)
        return len(self.matched_peaks) / n if n else 0.0

    @property
    def matched_band_fraction(self) -> float:
        """Share of the query's band prominence (its peaks' prominences summed) that found a
        reference partner: the bands weighted by how much they stand out, so that a few weak
        bumps near the noise weigh little and an unexplained strong band much (0 when there
        are no peaks; :attr:`matched_fraction` when the prominences are not known)."""
        if len(self.matched_prominences) != len(self.matched_peaks) or len(
            self.unmatched_prominences
        ) != len(self.unmatched_peaks):
            return self.matched_fraction
        total = sum(self.matched_prominences) + sum(self.unmatched_prominences)
        return sum(self.matched_prominences) / total if total > 0 else 0.0


def _check_axis(wavenumber: np.ndarray, *arrays: np.ndarray) -> np.ndarray:
    x = np.asarray(wavenumber, dtype=float)
    if x.ndim != 1:
        raise IdentificationError(f"wavenumber must be 1-D, got shape {x.shape}")
    for a in arrays:
        if np.shape(a) != x.shape:
            raise IdentificationError(
                f"array of shape {np.shape(a)} does not match the wavenumber grid {x.shape}"
            )
    return x


def find_peaks(
    wavenumber: np.ndarray, intensity: np.ndarray, *, prominence: float | None = None
) -> np.ndarray:
    """Positions (cm-1) of the bands of a spectrum.

    Uses :func:`scipy.signal.find_peaks` with a prominence threshold; each position is refined
    to sub-grid precision by a parabola through the top three points.

    Parameters
    ----------
    wavenumber : numpy.ndarray
        Shape (G,), increasing, cm-1.
    intensity : numpy.ndarray
        Shape (G,).
    prominence : float, optional
        Minimum prominence in the unit of ``intensity``. Default: the larger of
        ``NOISE_PROMINENCE_FACTOR`` times :func:`forensic.quality.noise_level` and
        ``MIN_PROMINENCE_FRACTION`` of the intensity range.

    Returns
    -------
    numpy.ndarray
        Shape (P,), sorted peak positions in cm-1 (at most ``MAX_PEAKS``, the most prominent).
    """
    return _detect(wavenumber, intensity, prominence)[0]


def _detect(
    wavenumber: np.ndarray,
    intensity: np.ndarray,
    prominence: float | None = None,
    *,
    noise: float | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Peak positions (cm-1, sorted) as :func:`find_peaks` finds them, their widths (cm-1) at
    half their prominence (:func:`scipy.signal.peak_widths`) and their prominences (in the unit
    of ``intensity``). ``noise``, when known, stands for :func:`forensic.quality.noise_level`
    in the default prominence."""
    x = _check_axis(wavenumber, intensity)
    y = np.asarray(intensity, dtype=float)
    none = np.zeros(0), np.zeros(0), np.zeros(0)
    if x.size < 3 or not np.all(np.isfinite(y)):
        if not np.all(np.isfinite(y)):
            raise IdentificationError("intensity holds NaN or infinite values")
        return none
    if prominence is None:
        span = float(y.max() - y.min())
        sigma = noise_level(y) if noise is None else noise
        prominence = max(NOISE_PROMINENCE_FACTOR * sigma, MIN_PROMINENCE_FRACTION * span)
        if prominence <= 0:
            return none
    idx, props = signal.find_peaks(y, prominence=prominence)
    if idx.size > MAX_PEAKS:
        keep = np.argsort(props["prominences"])[::-1][:MAX_PEAKS]
        keep.sort()
        idx = idx[keep]
        props = {k: v[keep] for k, v in props.items()}
    if idx.size == 0:
        return none
    _, _, left, right = signal.peak_widths(
        y,
        idx,
        rel_height=0.5,
        prominence_data=(props["prominences"], props["left_bases"], props["right_bases"]),
    )
    width_cm1 = np.interp(right, np.arange(x.size), x) - np.interp(left, np.arange(x.size), x)
    # parabolic refinement, vectorised; peaks at the ends are left where they are
    inner = (idx > 0) & (idx < x.size - 1)
    pos = x[idx].astype(float)
    i = idx[inner]
    y0, y1, y2 = y[i - 1], y[i], y[i + 1]
    denom = y0 - 2.0 * y1 + y2
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = np.where(denom < 0, 0.5 * (y0 - y2) / denom, 0.0)
    delta = np.clip(delta, -0.5, 0.5)
    # non-uniform grids: interpolate between neighbouring points
    step = np.where(delta >= 0, x[i + 1] - x[i], x[i] - x[i - 1])
    pos[inner] = x[i] + delta * step
    order = np.argsort(pos)
    return pos[order], width_cm1[order], props["prominences"][order]


def match_peaks(
    query_peaks: np.ndarray,
    reference_peaks: np.ndarray,
    *,
    tolerance_cm1: float | np.ndarray = 8.0,
) -> tuple[np.ndarray, np.ndarray]:
    """One-to-one matching of two peak lists: mutual nearest neighbours within a tolerance.

    Parameters
    ----------
    query_peaks, reference_peaks : numpy.ndarray
        Shapes (P,) and (R,), cm-1, already on the same axis (reference mapped onto the query).
    tolerance_cm1 : float or numpy.ndarray
        Largest accepted distance between partners: one for all, or shape (P,), one per query
        peak.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Indices into ``query_peaks`` and ``reference_peaks`` of the matched pairs, same length.
    """
    q = np.asarray(query_peaks, dtype=float)
    r = np.asarray(reference_peaks, dtype=float)
    if q.size == 0 or r.size == 0:
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    dist = np.abs(q[:, None] - r[None, :])
    nearest_r = dist.argmin(axis=1)
    nearest_q = dist.argmin(axis=0)
    qi = np.arange(q.size)
    tolerance = np.asarray(tolerance_cm1, dtype=float)
    if tolerance.ndim and tolerance.shape != q.shape:
        raise IdentificationError(
            f"{tolerance.size} peak tolerances given for {q.size} query peaks: give one for "
            "all or one per query peak"
        )
    mutual = (nearest_q[nearest_r] == qi) & (dist[qi, nearest_r] <= tolerance)
    return qi[mutual], nearest_r[mutual]


def _cosine_rows(query: np.ndarray, candidates: np.ndarray, covered: np.ndarray) -> np.ndarray:
    """Cosine of ``query`` (n,) with each row of ``candidates`` (C, n) over that row's
    ``covered`` points (C, n; the candidate is zero elsewhere); 0 for an empty row.

    The query's norm is taken where the candidate has data, as the search takes it over the
    overlap of the ranges: a reference moved by a few cm-1 leaves a few points at its edge
    without data, which would otherwise count against the move as a band-sized mismatch
    wherever the spectrum does not start at zero.
    """
    return cosine_from_sums(
        candidates @ query, covered @ (query * query), np.sum(candidates * candidates, axis=1)
    )


def _warp(
    x: np.ndarray,
    reference: np.ndarray,
    params: np.ndarray,
    *,
    at: np.ndarray,
    c: float,
    ref_lo: float,
    ref_hi: float,
    step: float | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Reference values at the query positions ``at`` for each (shift, stretch) row of ``params``.

    Linear interpolation on the grid ``x`` (index arithmetic when ``step`` says it is uniform),
    vectorised over all parameter rows at once. Positions that fall outside the reference's own
    measured range ``[ref_lo, ref_hi]`` get 0: no data is invented. Returns the values and
    where they are data (both (C, n)).
    """
    shift = params[:, :1]
    stretch = params[:, 1:2]
    source = c + (at[None, :] - c - shift) / (1.0 + stretch)  # (C, n) positions in the reference
    if step is not None:
        u = (source - x[0]) / step
        j = np.minimum(np.maximum(u.astype(np.int64), 0), x.size - 2)
        t = np.minimum(np.maximum(u - j, 0.0), 1.0)
    else:
        j = np.clip(np.searchsorted(x, source, side="right") - 1, 0, x.size - 2)
        t = np.clip((source - x[j]) / (x[j + 1] - x[j]), 0.0, 1.0)
    out = reference[j] * (1.0 - t) + reference[j + 1] * t
    inside = (source >= ref_lo) & (source <= ref_hi)
    out[~inside] = 0.0
    return out, inside


def _vote_shift(
    q: np.ndarray, r_rel: np.ndarray, *, stretch: float, c: float, max_shift: float, tol: float
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate shifts ranked by how many query peaks they bring within the tolerance."""
    grid = np.arange(-max_shift, max_shift + _SHIFT_STEP_CM1 / 2, _SHIFT_STEP_CM1)
    mapped = c + (1.0 + stretch) * r_rel  # reference peaks after stretch, before shift
    diff = q[:, None] - mapped[None, :]  # (P, R)
    # triangular kernel: a pair counts fully when exactly aligned, not at all at the tolerance
    closeness = 1.0 - np.abs(diff[None, :, :] - grid[:, None, None]) / tol  # (S, P, R)
    votes = np.clip(closeness, 0.0, None).max(axis=2).sum(axis=1)  # (S,)
    return grid[np.argsort(-votes, kind="stable")], votes


def align(
    wavenumber: np.ndarray,
    query: np.ndarray,
    reference: np.ndarray,
    valid: np.ndarray,
    *,
    tolerance_cm1: float = 8.0,
    max_shift_cm1: float = 20.0,
    max_stretch: float = 0.01,
    evidence: np.ndarray | None = None,
    evidence_noise: float | None = None,
) -> Alignment:
    """Align a reference onto a query by their peaks, re-score, and report the peak evidence.

    Steps: (1) peaks of both spectra inside ``valid``; (2) shift candidates voted by the peak
    pairs they bring within ``tolerance_cm1`` (a Hough-style vote over a 1 cm-1 grid, stretch
    0); (3) for the three best candidates, mutual-nearest peak pairs and a least-squares fit of
    shift and stretch on them (and of shift alone), refitted once without pairs off by more than
    half the tolerance, bounded by ``max_shift_cm1`` and ``max_stretch``; (4) a fine cosine
    search of +-1 cm-1 around each fit and the identity; the transform with the best cosine
    over ``valid`` wins, so alignment never lowers the score below the unaligned one; (5) the
    evidence: the query's peaks (of ``evidence`` when given) matched to the moved reference's.

    Parameters
    ----------
    wavenumber : numpy.ndarray
        Shape (G,), the common grid, increasing, cm-1.
    query, reference : numpy.ndarray
        Shape (G,), preprocessed intensities on that grid (zero outside their measured ranges).
    valid : numpy.ndarray
        Shape (G,), bool: the overlap of the query's and the reference's measured ranges.
    tolerance_cm1 : float
        Largest distance (cm-1) at which two peaks count as the same band after alignment; in
        the reported evidence, a broad query band gets ``BAND_WIDTH_TOLERANCE`` of its width
        when that is more.
    max_shift_cm1 : float
        Largest shift (cm-1) considered.
    max_stretch : float
        Largest relative stretch considered (``0.01`` = 1 %).
    evidence : numpy.ndarray, optional
        Shape (G,): the query as the peak evidence should see it, when ``query`` is not that
        spectrum (:func:`forensic.identify` aligns the query smoothed as the references are
        rebuilt from the comparison representation,
        :func:`forensic.processing.linear_from_spectrum`, and counts the bands of the query's
        own spectrum). Default: ``query``.
    evidence_noise : float, optional
        Noise standard deviation of ``evidence``, in its unit, when known better than
        :func:`forensic.quality.noise_level` estimates it from the spectrum.

    Returns
    -------
    Alignment
    """
    x = _check_axis(wavenumber, query, reference, valid)
    qy = np.asarray(query, dtype=float)
    ry = np.asarray(reference, dtype=float)
    mask = np.asarray(valid, dtype=bool)
    if tolerance_cm1 <= 0 or max_shift_cm1 < 0 or not 0 <= max_stretch < 0.5:
        raise IdentificationError(
            f"alignment limits out of range: tolerance_cm1={tolerance_cm1} (> 0), "
            f"max_shift_cm1={max_shift_cm1} (>= 0), max_stretch={max_stretch} (0 to 0.5)"
        )
    if mask.sum() < 3:
        return Alignment(0.0, 0.0, 0.0, aligned_reference=np.zeros_like(ry), unaligned_score=0.0)

    xv = x[mask]
    c = float(0.5 * (xv[0] + xv[-1]))
    # the reference's own measured range: where it is non-zero on the grid (zero outside)
    nz = np.flatnonzero(ry != 0.0)
    ref_lo, ref_hi = (x[nz[0]], x[nz[-1]]) if nz.size else (x[0], x[-1])

    qpk, q_widths, q_prominences = _detect(xv, qy[mask])
    rpk = find_peaks(xv, ry[mask])

    candidates = [np.array([0.0, 0.0])]
    if qpk.size and rpk.size:
        r_rel = rpk - c
        ranked, _ = _vote_shift(
            qpk, r_rel, stretch=0.0, c=c, max_shift=max_shift_cm1, tol=tolerance_cm1
        )
        # the three best distinct shifts (at least a tolerance apart)
        picks: list[float] = []
        for s in ranked:
            if all(abs(s - p) >= tolerance_cm1 for p in picks):
                picks.append(float(s))
            if len(picks) == 3:
                break
        for s0 in picks:
            for stretch_limit in (max_stretch, 0.0):  # with and without stretch: cosine decides
                fit = _fit_transform(
                    qpk,
                    rpk,
                    c=c,
                    shift0=s0,
                    stretch0=0.0,
                    tol=tolerance_cm1,
                    max_shift=max_shift_cm1,
                    max_stretch=stretch_limit,
                )
                candidates.append(fit)
    base = np.unique(np.round(np.array(candidates), 6), axis=0)
    # fine cosine refinement around each candidate (shift only; stretch kept)
    params = (
        base[:, None, :] + np.stack([_REFINE_STEPS, np.zeros_like(_REFINE_STEPS)], 1)
    ).reshape(-1, 2)
    params[:, 0] = np.clip(params[:, 0], -max_shift_cm1, max_shift_cm1)
    params = np.vstack([[0.0, 0.0], params])
    step = float((x[-1] - x[0]) / (x.size - 1))
    if not np.allclose(np.diff(x), step, rtol=1e-6, atol=0.0):
        step = None  # not the uniform library grid: interpolate by search
    limits = {"c": c, "ref_lo": ref_lo, "ref_hi": ref_hi, "step": step}
    scores = _cosine_rows(qy[mask], *_warp(x, ry, params, at=xv, **limits))
    best = int(np.argmax(scores))  # ties go to the identity (row 0)
    shift, stretch = float(params[best, 0]), float(params[best, 1])
    moved_rows, _ = _warp(x, ry, params[best : best + 1], at=x, **limits)
    aligned = moved_rows[0]
    aligned[~mask] = 0.0

    def onto_query(position):  # reference positions (cm-1) after the chosen move
        return c + (1.0 + stretch) * (position - c) + shift

    mapped = onto_query(rpk)
    if evidence is not None:
        _check_axis(x, evidence)
        qpk, q_widths, q_prominences = _detect(
            xv, np.asarray(evidence, dtype=float)[mask], noise=evidence_noise
        )
    # the maximum of a broad band is only known to within a fraction of its width
    evidence_tolerance = np.maximum(tolerance_cm1, BAND_WIDTH_TOLERANCE * q_widths)
    qi, ri = match_peaks(qpk, mapped, tolerance_cm1=evidence_tolerance)
    matched = [(float(qpk[a]), float(rpk[b])) for a, b in zip(qi, ri, strict=True)]
    unmatched_q = np.setdiff1d(np.arange(qpk.size), qi)
    unmatched_r = np.setdiff1d(np.arange(rpk.size), ri)
    return Alignment(
        shift_cm1=shift,
        stretch=stretch,
        score=float(scores[best]),
        matched_peaks=matched,
        unmatched_peaks=[float(v) for v in qpk[unmatched_q]],
        matched_prominences=[float(v) for v in q_prominences[qi]],
        unmatched_prominences=[float(v) for v in q_prominences[unmatched_q]],
        unmatched_reference_peaks=[float(v) for v in rpk[unmatched_r]],
        aligned_reference=aligned,
        unaligned_score=float(scores[0]),
        reference_range_cm1=(float(onto_query(ref_lo)), float(onto_query(ref_hi))),
    )


def _fit_transform(
    qpk: np.ndarray,
    rpk: np.ndarray,
    *,
    c: float,
    shift0: float,
    stretch0: float,
    tol: float,
    max_shift: float,
    max_stretch: float,
) -> np.ndarray:
    """Least-squares (shift, stretch) from the peak pairs matched at a starting transform."""
    shift, stretch = shift0, stretch0
    for tolerance in (tol, tol / 2.0):
        mapped = c + (1.0 + stretch) * (rpk - c) + shift
        qi, ri = match_peaks(qpk, mapped, tolerance_cm1=tolerance)
        if qi.size == 0:
            break
        r_rel = rpk[ri] - c
        dq = qpk[qi] - c - r_rel  # = shift + stretch * r_rel
        spread = np.ptp(r_rel) if r_rel.size > 1 else 0.0
        if qi.size >= 3 and spread > 0:
            design = np.stack([np.ones_like(r_rel), r_rel], axis=1)
            (shift, stretch), *_ = np.linalg.lstsq(design, dq, rcond=None)
        else:
            shift, stretch = float(np.median(dq)), 0.0
        shift = float(np.clip(shift, -max_shift, max_shift))
        stretch = float(np.clip(stretch, -max_stretch, max_stretch))
    return np.array([shift, stretch])
