"""Exact small-count draws from one uniform number each (inverse CDF).

A rep's daily binomials (interested records, booked calls, phone closes) and the
referrals of a closed lead have small counts; walking the CDF from one uniform is
exact, and lets the compiled day consume its random numbers from pre-drawn buffers.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


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


@njit(cache=True)
def binomial_from_table(n: int, table: np.ndarray, u: float) -> int:
    """A Binomial(n, p) count for the uniform ``u``, with ``table`` from ``binomial_cdf_table``."""
    k = 0
    while k < n and u >= table[n, k]:
        k += 1
    return k


@njit(cache=True)
def rare_binomial(n: int, p: float, u: float) -> int:
    """A Binomial(n, p) count for the uniform ``u`` when p varies and is small: most
    counts are 0 (u below P(X = 0)); the others walk the CDF exactly."""
    if n <= 0:
        return 0
    p0 = (1.0 - p) ** n
    if u < p0:
        return 0
    k, pmf, cdf = 0, p0, p0
    ratio = p / (1.0 - p)
    while u >= cdf and k < n:
        pmf *= (n - k) / (k + 1) * ratio
        k += 1
        cdf += pmf
    return k


@njit(cache=True)
def poisson_from_uniform(lam: float, u: float) -> int:
    """A Poisson(lam) count for the uniform ``u`` by walking the CDF (small ``lam``)."""
    k, pmf = 0, np.exp(-lam)
    cdf = pmf
    while u >= cdf and pmf > 0.0:
        k += 1
        pmf *= lam / k
        cdf += pmf
    return k
