"""Small vectorised statistics shared by the analyses (no SciPy needed): Wilson
intervals, exact binomial tails, McNemar's exact test, Holm and Benjamini-Hochberg."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np


def z_value(confidence: float) -> float:
    """Two-sided normal quantile, e.g. 1.96 for ``confidence=0.95``."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")
    return NormalDist().inv_cdf(0.5 + confidence / 2.0)


def wilson_interval(successes, totals, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial proportion, elementwise.

    Returns ``(low, high)`` arrays; where ``totals`` is 0 both bounds are NaN.
    Wilson (not the normal approximation) so that slices of 3 rows with 3 errors get
    a wide interval instead of [1, 1].
    """
    k = np.asarray(successes, dtype=float)
    n = np.asarray(totals, dtype=float)
    z = z_value(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denom = 1.0 + z * z / n
        centre = (p + z * z / (2.0 * n)) / denom
        half = z * np.sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n)) / denom
        low = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
        high = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    return low, high


def safe_rate(numerator, denominator) -> np.ndarray:
    """``numerator / denominator`` elementwise, NaN where the denominator is 0."""
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _log_factorials(n_max: int) -> np.ndarray:
    """``log(k!)`` for k = 0..n_max (``math.lgamma``: accurate to a few ulps)."""
    return np.array([math.lgamma(k + 1.0) for k in range(n_max + 1)], dtype=float)


def binomial_half_sf(successes, totals) -> np.ndarray:
    """``P(X >= successes)`` for ``X ~ Binomial(totals, 1/2)``, elementwise.

    Exact tail sums of the pmf (from ``lgamma``; relative error about 1e-12 for
    ``totals`` up to 10^4, 1e-10 at 10^5); 1 where ``successes <= 0``, 0 above ``totals``.
    """
    k = np.asarray(successes, dtype=np.int64)
    n = np.asarray(totals, dtype=np.int64)
    k, n = np.broadcast_arrays(k, n)
    if (n < 0).any():
        raise ValueError("totals must be non-negative")
    out = np.where(k <= 0, 1.0, 0.0)
    inside = (k > 0) & (k <= n)
    if inside.any():
        log_fact = _log_factorials(int(n[inside].max()))
        for total in np.unique(n[inside]):
            at = inside & (n == total)
            j = np.arange(total + 1)
            pmf = np.exp(log_fact[total] - log_fact[j] - log_fact[total - j] - total * math.log(2.0))
            tail = np.cumsum(pmf[::-1])[::-1]  # tail[j] = P(X >= j), small terms summed first
            out[at] = np.minimum(tail[k[at]], 1.0)
    return out


def mcnemar_exact(worse, better) -> tuple[np.ndarray, np.ndarray]:
    """McNemar's exact test on paired outcomes, elementwise.

    ``worse``: pairs right before and wrong after (newly broken); ``better``: wrong
    before and right after (fixed). Under the null both are equally likely, so
    ``worse ~ Binomial(worse + better, 1/2)``. Returns ``(p_worse, p_two_sided)``:
    ``p_worse = P(X >= worse)`` (one-sided: "after is worse"); ``p_two_sided =
    min(1, 2 P(X <= min(worse, better)))``, as ``statsmodels``' ``mcnemar(exact=True)``.
    No discordant pairs: both are 1.
    """
    b = np.asarray(worse, dtype=np.int64)
    c = np.asarray(better, dtype=np.int64)
    n = b + c
    p_worse = binomial_half_sf(b, n)
    # P(X <= m) = P(X >= n - m) by symmetry of Binomial(n, 1/2).
    p_two = np.minimum(1.0, 2.0 * binomial_half_sf(n - np.minimum(b, c), n))
    return p_worse, p_two


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjusted p-values (family-wise error rate, any dependence);
    reject where adjusted <= alpha. Same as ``multipletests(method="holm")``."""
    p = np.asarray(p_values, dtype=float)
    m = p.size
    if m == 0:
        return p.copy()
    order = np.argsort(p, kind="stable")
    scaled = (m - np.arange(m)) * p[order]
    adjusted = np.minimum(np.maximum.accumulate(scaled), 1.0)
    out = np.empty(m)
    out[order] = adjusted
    return out


def benjamini_hochberg(p_values) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (false discovery rate; valid for independent
    or positively dependent tests); reject where adjusted <= alpha. Same as
    ``multipletests(method="fdr_bh")``."""
    p = np.asarray(p_values, dtype=float)
    m = p.size
    if m == 0:
        return p.copy()
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    out = np.empty(m)
    out[order] = adjusted
    return out
