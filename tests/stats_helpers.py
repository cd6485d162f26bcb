"""Monte Carlo tolerances from standard errors, not from trial and error."""

from __future__ import annotations

import numpy as np
from scipy import stats


def t_interval(samples, alpha: float) -> tuple[float, float, float]:
    """Mean and two-sided (1 - alpha) t-interval of the mean of i.i.d. replications."""
    x = np.asarray(samples, dtype=float)
    n = x.size
    half = stats.t.ppf(1 - alpha / 2, n - 1) * x.std(ddof=1) / np.sqrt(n)
    return x.mean(), x.mean() - half, x.mean() + half


def assert_mean_is(samples, target: float, alpha: float, what: str) -> None:
    """Fail when ``target`` lies outside the (1 - alpha) t-interval of the samples' mean."""
    mean, lo, hi = t_interval(samples, alpha)
    assert lo <= target <= hi, (
        f"{what}: mean {mean:.5f}, CI [{lo:.5f}, {hi:.5f}] excludes {target:.5f}"
    )


def assert_mean_above(samples, bound: float, alpha: float, what: str) -> None:
    """Fail unless the one-sided (1 - alpha) lower confidence bound exceeds ``bound``."""
    mean, lo, _ = t_interval(samples, 2 * alpha)
    assert lo > bound, f"{what}: mean {mean:.5f}, lower bound {lo:.5f} not above {bound:.5f}"
