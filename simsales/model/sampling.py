"""Exact binomial draws from uniform numbers (inverse CDF), vectorised over reps.

A rep's daily binomials (interested records, booked calls, phone closes) have small
``n``; turning one uniform per rep into the count through the binomial CDF is exact
and costs a few array operations, where numpy's per-element binomial sampler is the
dearest call of a simulated day.
"""

from __future__ import annotations

import math

import numpy as np


def binomial_cdf_table(n_max: int, p: float) -> np.ndarray:
    """``table[n, k] = P(Binomial(n, p) <= k)`` for n, k in 0..n_max (1 for k >= n)."""
    table = np.ones((n_max + 1, n_max + 1))
    if p <= 0 or p >= 1:
        if p >= 1:
            for n in range(n_max + 1):
                table[n, :n] = 0.0
        return table
    log_p, log_q = math.log(p), math.log1p(-p)
    for n in range(1, n_max + 1):
        pmf = [
            math.exp(math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
                     + k * log_p + (n - k) * log_q)
            for k in range(n + 1)
        ]  # fmt: skip
        table[n, :n] = np.minimum(np.cumsum(pmf)[:n], 1.0)
    return table


def binomial_from_table(n: np.ndarray, table: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Binomial(n, p) counts for uniforms ``u``, with ``table`` from ``binomial_cdf_table``."""
    return (u[:, None] >= table[n]).sum(axis=1)


def rare_binomial(n: np.ndarray, p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Binomial(n, p) counts for uniforms ``u`` when p varies by element and is small:
    most counts are 0 (u below P(X = 0)); the few others walk the CDF exactly."""
    p0 = (1.0 - p) ** n
    out = (u >= p0).astype(np.int64)
    rest = np.flatnonzero(out)
    for i in rest:  # about one rep in a thousand a day
        k, pmf, cdf = 0, p0[i], p0[i]
        ratio = p[i] / (1.0 - p[i]) if p[i] < 1 else math.inf
        while u[i] >= cdf and k < n[i]:
            pmf *= (n[i] - k) / (k + 1) * ratio
            k += 1
            cdf += pmf
        out[i] = k
    return out
