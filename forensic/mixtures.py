"""Mixtures: explain a query as a non-negative combination of up to four library components.

Seized samples are usually cut (cocaine with levamisole and caffeine, heroin with paracetamol).
When the best single reference leaves structured residual (:func:`has_structured_residual`),
:func:`fit_mixture` searches the engine's top candidates by forward selection with non-negative
least squares (:func:`scipy.optimize.nnls`).

When is a component kept? Each forward step adds the candidate that lowers the residual sum of
squares (RSS) the most, and keeps it only if all three hold:

* **F-test**: ``F = (RSS_old - RSS_new) / (RSS_new / (n_eff - p))`` exceeds the 0.999 quantile
  of F(1, n_eff - p), with ``p`` the number of components after the step. Neighbouring points of
  a smoothed, interpolated spectrum are not independent, so ``n_eff`` is the number of points
  divided by the correlation length of the new residual (the lag where its autocorrelation first
  falls below 1/e); using the raw point count would make almost any addition "significant".
* **Relative improvement**: the step removes at least ``MIN_RELATIVE_IMPROVEMENT`` (30 %) of the
  remaining RSS. The F-test only knows about noise; the difference between a query and a
  reference of the *same* substance from another instrument is structured (band widths, relative
  intensities) and a chemically similar candidate can always soak up a few percent of it. A real
  second component at 10 % of the signal removes far more than 30 % of the residual it leaves.
* **Share**: the new component carries at least ``MIN_FRACTION`` (3 %) of the fitted signal.

Then every component of the final fit must still be needed (backward elimination): without it,
the refitted others leave residual at its bands, and it must remove at least
``MIN_UNIQUE_SHARE`` (70 %) of that residual above noise, or it is dropped. Forward steps only
see what a component adds to those chosen before it; a query measured on another sample or
instrument than its reference differs from it everywhere by a little, and a chemically similar
candidate removes a third or a half of that difference, enough to pass the three tests, but far
from all of it. Identification moves the query onto the references by its best hit's peak
alignment before the fit, so an instrument's axis error does not count as such a difference.

Every fit also includes a smooth baseline (Legendre polynomials up to ``BASELINE_DEGREE`` over
the compared range, unconstrained in sign): the query and the references never share their
baselines exactly (baseline removal, integration drift of derivative spectra), and without it
that slow difference was fitted by borrowing extra components. On the engine's representation
of the 104 ENFSI spectra it cut false components on pure spectra from about 35 to 5.

Fractions are shares of the (normalised) fitted signal, not mass fractions: Raman cross sections
and IR absorptivities differ between substances.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, signal, stats

from forensic.errors import IdentificationError
from forensic.quality import noise_level, robust_sigma

__all__ = [
    "BASELINE_DEGREE",
    "F_TEST_ALPHA",
    "MIN_FRACTION",
    "MIN_RELATIVE_IMPROVEMENT",
    "MIN_UNIQUE_SHARE",
    "RESIDUAL_NOISE_FACTOR",
    "RESIDUAL_PEAK_FRACTION",
    "RESIDUAL_RMS_FACTOR",
    "MixtureFit",
    "fit_mixture",
    "has_structured_residual",
]

F_TEST_ALPHA = 1e-3
"""Significance level of the F-test for adding a component."""
MIN_RELATIVE_IMPROVEMENT = 0.30
"""A new component must remove at least this fraction of the remaining residual sum of squares."""
MIN_UNIQUE_SHARE = 0.7
"""In the final fit, each component must remove this share of the residual above noise that the
fit without it leaves at its bands (:func:`_backward`). On real RRUFF spectra, true components
remove a median 0.96-0.97 of it (a tenth of them less than 0.8), false ones 0.5-0.6."""
BASELINE_DEGREE = 5
"""Degree of the smooth baseline (Legendre, over the compared range) fitted with the components."""
MIN_FRACTION = 0.03
"""A new component must carry at least this share of the fitted signal."""
RESIDUAL_PEAK_FRACTION = 0.05
"""A residual band counts as structure when its prominence is this fraction of the largest
absolute value of the query less its smooth baseline..."""
RESIDUAL_NOISE_FACTOR = 8.0
"""...and this many noise standard deviations (see :func:`forensic.quality.noise_level`)."""
RESIDUAL_RMS_FACTOR = 2.0
"""The smoothed residual is structure when its RMS is this many times that of smoothed noise."""
_SMOOTH_WINDOW = 9
_SMOOTH_H0 = float(signal.savgol_coeffs(_SMOOTH_WINDOW, 2)[_SMOOTH_WINDOW // 2])


@dataclass(frozen=True)
class MixtureFit:
    """A query explained as a mixture of library candidates.

    Attributes
    ----------
    components : list of (int, float)
        ``(row index into the candidate matrix, share of the fitted signal)``, shares sum to 1,
        largest share first.
    residual : float
        ``||query - fit|| / ||query - smooth||`` over ``valid``, where ``smooth`` is the query's
        own part along the baseline polynomials (what no component needs to explain).
    explained : float
        R² of the fit: ``1 - residual²``, ``1 - RSS / ||query - smooth||²`` (uncentred, like
        the cosine scores).
    single_best_residual : float
        The relative residual of the best single candidate, for comparison.
    coefficients : numpy.ndarray
        Shape (K,): the non-negative least-squares coefficient of every candidate (0 if unused).
    fitted : numpy.ndarray
        Shape (G,): the fitted model, the components times their coefficients plus the smooth
        baseline, over ``valid`` (0 elsewhere); the query less this is the residual.
    """

    components: list[tuple[int, float]]
    residual: float
    explained: float
    single_best_residual: float
    coefficients: np.ndarray
    fitted: np.ndarray

    def to_dict(self) -> dict:
        """JSON-serialisable summary of the fit, without its arrays.

        Returns
        -------
        dict
            ``{"components": [{"index", "fraction"}, ...], "residual", "explained",
            "single_best_residual"}``; ``index`` is the row in the candidate matrix the fit
            was given, ``fraction`` the component's share.
        """
        return {
            "components": [{"index": int(i), "fraction": float(f)} for i, f in self.components],
            "residual": float(self.residual),
            "explained": float(self.explained),
            "single_best_residual": float(self.single_best_residual),
        }


def _correlation_length(residual: np.ndarray) -> float:
    """Lag (points) where the residual's autocorrelation first drops below 1/e; at least 1."""
    r = residual - residual.mean()
    n = r.size
    if n < 4 or not np.any(r):
        return 1.0
    spec = np.fft.rfft(r, 2 * n)
    acf = np.fft.irfft(spec * np.conj(spec))[:n]
    acf = acf / acf[0]
    below = np.flatnonzero(acf < np.exp(-1.0))
    return float(max(1, below[0])) if below.size else float(n)


def _check(query: np.ndarray, references: np.ndarray, valid: np.ndarray):
    q = np.asarray(query, dtype=float)
    refs = np.asarray(references, dtype=float)
    mask = np.asarray(valid, dtype=bool)
    if q.ndim != 1:
        raise IdentificationError(f"query must be 1-D (G,), got shape {q.shape}")
    if refs.ndim == 1:
        refs = refs[None, :]
    if refs.ndim != 2 or refs.shape[1] != q.size:
        raise IdentificationError(
            f"references of shape {refs.shape} do not match a query of {q.size} points "
            "(expected (K, G))"
        )
    if mask.shape != q.shape:
        raise IdentificationError(f"valid mask of shape {mask.shape}, expected {q.shape}")
    if not (np.all(np.isfinite(q)) and np.all(np.isfinite(refs))):
        raise IdentificationError("query or references hold NaN or infinite intensities")
    return q, refs, mask


def _remove_smooth(b: np.ndarray, a: np.ndarray, degree: int) -> tuple[np.ndarray, np.ndarray]:
    """Project ``b`` (n,) and the columns of ``a`` (n, K) off the Legendre polynomials of degree
    0..``degree`` over the compared range (nothing when ``degree`` < 0).

    Fitting the projected data with non-negative coefficients is the same as fitting the
    original with the components AND an unconstrained smooth baseline of that degree: the best
    baseline for given coefficients is the projection. It absorbs the slow drift between query
    and references (baseline-removal differences, integration drift of derivative spectra)
    that would otherwise be fitted by borrowing extra components.
    """
    if degree < 0:
        return b, a
    t = np.linspace(-1.0, 1.0, b.size)
    basis, _ = np.linalg.qr(np.polynomial.legendre.legvander(t, degree))
    return b - basis @ (basis.T @ b), a - basis @ (basis.T @ a)


def fit_mixture(
    query: np.ndarray,
    references: np.ndarray,
    valid: np.ndarray,
    *,
    max_components: int = 4,
    baseline_degree: int = BASELINE_DEGREE,
) -> MixtureFit | None:
    """Explain a query as a non-negative mixture of candidate references.

    Forward selection: start from the best single candidate; at each step find the remaining
    candidate whose addition gives the lowest non-negative least-squares residual (all
    candidates solved at once through their normal equations, :func:`scipy.optimize.nnls` where
    a coefficient would be negative), and keep it only if it passes the tests in the module
    docstring (F-test at ``F_TEST_ALPHA`` with an effective number of points, at least
    ``MIN_RELATIVE_IMPROVEMENT`` of the residual removed, a share of at least ``MIN_FRACTION``),
    then drop, one at a time, the components the final fit does not need (``MIN_UNIQUE_SHARE``).

    Parameters
    ----------
    query : numpy.ndarray
        Shape (G,), the preprocessed query on the library grid.
    references : numpy.ndarray
        Shape (K, G), candidate references (the engine passes its top hits), same grid.
    valid : numpy.ndarray
        Shape (G,), bool: the points compared (the query's measured range).
    max_components : int
        Largest number of components (1 to 4).
    baseline_degree : int
        Degree of the smooth baseline fitted along with the components (Legendre polynomials
        over the compared range; -1 for none). Residual and R² are those after it.

    Returns
    -------
    MixtureFit or None
        None when no mixture of two or more components explains the query significantly
        better than the best single candidate (or there is nothing to fit).
    """
    q, refs, mask = _check(query, references, valid)
    if not 1 <= max_components <= 4:
        raise IdentificationError(f"max_components must be 1 to 4, got {max_components}")
    a_raw = refs[:, mask].T  # (n, K)
    share_norms = np.sqrt(np.einsum("ij,ij->j", a_raw, a_raw))  # shares are of the spectra
    b, a = _remove_smooth(q[mask], a_raw, baseline_degree)
    n, k = a.shape
    total = float(b @ b)
    if k == 0 or n < 8 or total <= 0:
        return None
    # single components: closed-form non-negative scale, all candidates at once
    norms = np.einsum("ij,ij->j", a, a)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(norms > 0, np.maximum(a.T @ b, 0.0) / norms, 0.0)
    rss_single = total - scale * (a.T @ b)  # RSS at the optimal non-negative scale
    rss_single = np.maximum(rss_single, 0.0)
    best = int(np.argmin(rss_single))
    single_best_residual = float(np.sqrt(rss_single[best] / total))

    selected = [best]
    rss = float(rss_single[best])
    coef_sel = np.array([scale[best]])
    atb = a.T @ b
    while len(selected) < min(max_components, k):
        trial = _best_addition(a, b, total=total, atb=atb, norms=norms, selected=selected)
        if trial is None:
            break
        cols, c, new_rss = trial
        if not _significant(
            a, b, cols, c, rss_old=rss, rss_new=new_rss, share_norms=share_norms[cols]
        ):
            break
        selected, coef_sel, rss = cols, c, new_rss
    selected, coef_sel, rss = _backward(a, b, selected, coef_sel)
    if len([v for v in coef_sel if v > 0]) < 2:
        return None
    signal_share = coef_sel * share_norms[selected]  # contribution in norm units
    fractions = signal_share / signal_share.sum()
    order = np.argsort(-fractions)
    components = [(int(selected[i]), float(fractions[i])) for i in order if fractions[i] > 0]
    coefficients = np.zeros(k)
    coefficients[selected] = coef_sel
    fitted = np.zeros(q.size)
    fitted[mask] = q[mask] - (b - a[:, selected] @ coef_sel)  # the query less the residual
    return MixtureFit(
        components=components,
        residual=float(np.sqrt(rss / total)),
        explained=float(1.0 - rss / total),
        single_best_residual=single_best_residual,
        coefficients=coefficients,
        fitted=fitted,
    )


def _best_addition(
    a: np.ndarray,
    b: np.ndarray,
    *,
    total: float,
    atb: np.ndarray,
    norms: np.ndarray,
    selected: list[int],
) -> tuple[list[int], np.ndarray, float] | None:
    """The candidate whose addition to ``selected`` gives the lowest NNLS residual.

    All candidates are solved at once as unconstrained least squares through their small
    normal equations (a batch of (p+1)x(p+1) systems, one pass over the candidate matrix); the
    unconstrained residual is a lower bound of the non-negative one, so candidates are visited
    in increasing order of it and :func:`scipy.optimize.nnls` is called only where a
    coefficient comes out negative, until no remaining bound can beat the best found.
    """
    k = a.shape[1]
    p = len(selected)
    a_sel = a[:, selected]
    g_ss = a_sel.T @ a_sel  # (p, p)
    g_sj = a_sel.T @ a  # (p, K)
    m = np.empty((k, p + 1, p + 1))
    m[:, :p, :p] = g_ss
    m[:, :p, p] = g_sj.T
    m[:, p, :p] = g_sj.T
    m[:, p, p] = norms
    rhs = np.empty((k, p + 1))
    rhs[:, :p] = atb[selected]
    rhs[:, p] = atb
    scale = np.maximum(np.einsum("kii->k", m), 1e-300)
    m += (1e-10 * scale)[:, None, None] * np.eye(p + 1)  # duplicates of a selected row
    coef = np.linalg.solve(m, rhs[..., None])[..., 0]
    bound = total - np.einsum("kj,kj->k", coef, rhs)
    bound[selected] = np.inf
    bound[norms <= 0] = np.inf
    best: tuple[list[int], np.ndarray, float] | None = None
    for j in np.argsort(bound):
        if not np.isfinite(bound[j]) or (best is not None and bound[j] >= best[2]):
            break
        cols = [*selected, int(j)]
        if np.all(coef[j] >= 0):
            c, r = coef[j], max(float(bound[j]), 0.0)
        else:
            c, rnorm = optimize.nnls(a[:, cols], b)
            r = float(rnorm) ** 2
        if best is None or r < best[2]:
            best = (cols, c, r)
    return best


def _backward(
    a: np.ndarray, b: np.ndarray, selected: list[int], coef: np.ndarray
) -> tuple[list[int], np.ndarray, float]:
    """Drop the components the final fit does not need (backward elimination).

    Forward selection judges a component by what it adds to those chosen before it; this
    judges each by what the final fit loses without it. For component ``j`` the fit is redone
    without it (NNLS) and compared with the final fit at the points where ``j``'s fitted part
    is positive (its bands): of the residual the fit without ``j`` leaves there, less the noise
    expected at those points (:func:`forensic.quality.noise_level` of the final residual),
    ``j`` must remove at least ``MIN_UNIQUE_SHARE``. While the component that removes the least
    fails, it is dropped and the others refitted.

    A real component's bands are nowhere else in the fit: without it they are left whole, and
    it removes almost all of that. A component that only soaks up the differences between the
    query and the references of its true components (another sample, another instrument)
    removes a part of what is left at its bands.

    Returns the kept columns, their coefficients and the residual sum of squares.
    """
    while True:
        residual = b - a[:, selected] @ coef
        if len(selected) < 2:
            return selected, coef, float(residual @ residual)
        noise_var = noise_level(residual) ** 2
        worst: tuple[float, list[int], np.ndarray] | None = None
        for i, col in enumerate(selected):
            rest = selected[:i] + selected[i + 1 :]
            c, _ = optimize.nnls(a[:, rest], b)
            bands = coef[i] * a[:, col] > 0
            left = (b - a[:, rest] @ c)[bands]
            kept = residual[bands]
            structured = float(left @ left) - noise_var * int(bands.sum())
            unique = float(left @ left - kept @ kept) / structured if structured > 0 else 1.0
            if worst is None or unique < worst[0]:
                worst = (unique, rest, c)
        if worst is None or worst[0] >= MIN_UNIQUE_SHARE:
            return selected, coef, float(residual @ residual)
        _, selected, coef = worst


def _significant(
    a: np.ndarray,
    b: np.ndarray,
    cols: list[int],
    coef: np.ndarray,
    *,
    rss_old: float,
    rss_new: float,
    share_norms: np.ndarray,
) -> bool:
    """The three tests for keeping the newest component (see the module docstring)."""
    if rss_old <= 0 or coef[-1] <= 0:
        return False
    if (rss_old - rss_new) / rss_old < MIN_RELATIVE_IMPROVEMENT:
        return False
    share = coef * share_norms
    if share.sum() <= 0 or share[-1] / share.sum() < MIN_FRACTION:
        return False
    if rss_new <= 0:
        return True
    residual = b - a[:, cols] @ coef
    n_eff = a.shape[0] / _correlation_length(residual)
    dof = n_eff - len(cols)
    if dof < 1:
        return False
    f_stat = (rss_old - rss_new) / (rss_new / dof)
    return bool(f_stat > stats.f.ppf(1.0 - F_TEST_ALPHA, 1, dof))


def has_structured_residual(
    query: np.ndarray, best_reference: np.ndarray, valid: np.ndarray
) -> bool:
    """Does the best single reference leave bands unexplained (so a mixture fit is worth it)?

    Over ``valid``, the query and the reference are taken less their smooth baseline (their
    part along the Legendre polynomials of degree ``BASELINE_DEGREE``, as :func:`fit_mixture`
    fits one), and the reference is scaled to the query by non-negative least squares. The
    residual is structured when either

    * it has a positive band (a feature of the query the reference lacks) whose prominence is at
      least ``RESIDUAL_PEAK_FRACTION`` of the largest absolute value of the baseline-removed
      query and ``RESIDUAL_NOISE_FACTOR`` times that query's noise level
      (:func:`forensic.quality.noise_level`), or
    * taken together it is smooth structure, not noise: the residual smoothed over 9 points
      (Savitzky-Golay, quadratic) has a root-mean-square ``RESIDUAL_RMS_FACTOR`` times what white
      noise of the residual's own high-frequency level would leave after that smoothing (a
      minor component whose bands are each near the noise, but many).

    This is only the gate for trying a mixture; :func:`fit_mixture` decides with its own tests.

    Parameters
    ----------
    query, best_reference : numpy.ndarray
        Shape (G,), preprocessed, on the library grid (the reference preferably aligned).
    valid : numpy.ndarray
        Shape (G,), bool.

    Returns
    -------
    bool
    """
    q, refs, mask = _check(query, best_reference, valid)
    if mask.sum() < 8 or not np.any(q[mask]):
        return False
    b, a2 = _remove_smooth(q[mask], refs[0, mask][:, None], BASELINE_DEGREE)
    a = a2[:, 0]
    aa = float(a @ a)
    scale = max(float(a @ b), 0.0) / aa if aa > 0 else 0.0
    residual = b - scale * a
    threshold = max(
        RESIDUAL_PEAK_FRACTION * float(np.abs(b).max()), RESIDUAL_NOISE_FACTOR * noise_level(b)
    )
    # width >= 2 points: a band spans several grid points, a noise spike barely two
    peaks, _ = signal.find_peaks(residual, prominence=threshold, height=threshold / 2, width=2)
    if peaks.size:
        return True
    if residual.size <= _SMOOTH_WINDOW:
        return False
    smooth = signal.savgol_filter(residual, _SMOOTH_WINDOW, 2)
    rough = residual - smooth
    sigma = float(robust_sigma(rough) / np.sqrt(1.0 - _SMOOTH_H0))
    noise_after_smoothing = sigma * np.sqrt(_SMOOTH_H0)  # sum of squared weights = h0
    return float(np.sqrt(np.mean(smooth**2))) > RESIDUAL_RMS_FACTOR * noise_after_smoothing
