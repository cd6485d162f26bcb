"""Quota policies: each rep's quota for a whole month on post.

A policy returns the full-month quota of every rep slot; the payroll pro-rates it for
the days a rep is on post in the month. Quarters (F41) are reported months 1-3, 4-6, ...
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from simsales.scenario.schema import Quota


@dataclass(frozen=True)
class QuotaInputs:
    """What a quota policy may look at, per rep slot, when a month starts."""

    month_no: int  # reported numbering: 1 = first month after the warm-up
    months_on_post: np.ndarray  # whole months on post completed when the month starts
    last_revenue: np.ndarray  # revenue of the month before [yuan]
    had_last: np.ndarray  # on post for the whole month before
    target_pay: np.ndarray  # monthly target pay of the pay package (F34, F40) [yuan]


class QuotaPolicy(Protocol):
    def monthly(self, inputs: QuotaInputs) -> np.ndarray:
        """Full-month quota of each rep slot [yuan]."""
        ...


@dataclass(frozen=True)
class FlatQuota:
    revenue: float

    def monthly(self, inputs: QuotaInputs) -> np.ndarray:
        return np.full(inputs.months_on_post.shape, self.revenue)


@dataclass(frozen=True)
class RampedQuota:
    """New reps get ``ramp[k]`` of the full quota in their (k+1)-th month on post."""

    revenue: float
    ramp: tuple[float, ...]

    def monthly(self, inputs: QuotaInputs) -> np.ndarray:
        shares = np.append(np.asarray(self.ramp, dtype=float), 1.0)
        k = np.minimum(inputs.months_on_post, len(self.ramp))
        return self.revenue * shares[k]


@dataclass(frozen=True)
class GrowthQuota:
    """Last month's revenue plus growth, never below a floor; reps without a whole last
    month on post get ``revenue``."""

    revenue: float
    growth: float
    floor: float

    def monthly(self, inputs: QuotaInputs) -> np.ndarray:
        grown = np.maximum(inputs.last_revenue * (1.0 + self.growth), self.floor)
        return np.where(inputs.had_last, grown, self.revenue)


@dataclass(frozen=True)
class PayDerivedQuota:
    """F40: the quota is a multiple of the rep's pay package."""

    multiple: float

    def monthly(self, inputs: QuotaInputs) -> np.ndarray:
        return self.multiple * inputs.target_pay


@dataclass(frozen=True)
class AnnualQuota:
    """F41: an annual quota split into quarters; each month carries a third of its
    quarter's share."""

    annual: float
    quarter_shares: tuple[float, float, float, float]

    def monthly(self, inputs: QuotaInputs) -> np.ndarray:
        quarter = ((inputs.month_no - 1) // 3) % 4  # warm-up months fall in the year before
        share = self.quarter_shares[quarter]
        return np.full(inputs.months_on_post.shape, self.annual * share / 3.0)


def make_quota_policy(q: Quota) -> QuotaPolicy:
    """The policy object of a validated ``quota`` section: the fields its policy needs are
    given (``Quota._fields_of_policy``)."""
    if q.policy == "flat":
        assert q.revenue_per_month is not None  # Quota._fields_of_policy: flat needs it
        return FlatQuota(q.revenue_per_month)
    if q.policy == "ramped":
        # Quota._fields_of_policy: ramped needs revenue_per_month and ramp
        assert q.revenue_per_month is not None and q.ramp is not None
        return RampedQuota(q.revenue_per_month, tuple(q.ramp))
    if q.policy == "growth":
        # Quota._fields_of_policy: growth needs revenue_per_month, growth, min_revenue_per_month
        assert q.revenue_per_month is not None and q.growth is not None
        assert q.min_revenue_per_month is not None
        return GrowthQuota(q.revenue_per_month, q.growth, q.min_revenue_per_month)
    if q.policy == "pay_derived":
        assert q.pay_multiple is not None  # Quota._fields_of_policy: pay_derived needs it
        return PayDerivedQuota(q.pay_multiple)
    # Quota._fields_of_policy: annual needs annual_revenue and quarter_shares (exactly 4)
    assert q.annual_revenue is not None and q.quarter_shares is not None
    q1, q2, q3, q4 = q.quarter_shares
    return AnnualQuota(q.annual_revenue, (q1, q2, q3, q4))


def period_months(period: str) -> int:
    """Months in a quota or commission period."""
    return 3 if period == "quarter" else 1


def period_start(month_no: int, months: int) -> int:
    """First month (reported numbering) of the period that contains ``month_no``."""
    return month_no - (month_no - 1) % months
