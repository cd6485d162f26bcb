"""Commission plans: small objects that turn a rep's deals or period results into pay.

Two kinds. A *deal plan* (flat, price ratio F36) pays each deal on its own, so it pays
the same whenever the deal is booked and gives no reason to time deals. A *period plan*
(tiered, gold/silver/bronze F31, hard target F33) pays a period's revenue by its
attainment of quota; the behaviour model asks it what moving a deal across the period's
end would pay. All functions are vectorised over reps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from simsales.policies.quota import period_months
from simsales.scenario.schema import Commission

if TYPE_CHECKING:
    from typing_extensions import TypeIs


class DealPlan(Protocol):
    def deal_commission(self, value: np.ndarray, price_ratio: np.ndarray) -> np.ndarray:
        """Commission of each deal [yuan]."""
        ...


class PeriodPlan(Protocol):
    @property
    def months(self) -> int:
        """Period length [months]."""
        ...

    def period_commission(
        self, revenue: np.ndarray, quota: np.ndarray, tier: np.ndarray
    ) -> np.ndarray:
        """Commission of a period from its revenue and quota; ``tier`` is the rate step a
        rep's earlier result set (F31; ignored by plans without one) [yuan]."""
        ...

    def next_tier(self, revenue: np.ndarray, quota: np.ndarray, tier: np.ndarray) -> np.ndarray:
        """The step the period's result sets for the next period."""
        ...


def attainment(revenue: np.ndarray, quota: np.ndarray) -> np.ndarray:
    """Revenue / quota; 0 where there is no quota."""
    revenue, quota = np.asarray(revenue, dtype=float), np.asarray(quota, dtype=float)
    out = np.zeros(np.broadcast(revenue, quota).shape)
    np.divide(revenue, quota, out=out, where=quota > 0)
    return out


def _capped(revenue: np.ndarray, quota: np.ndarray, cap: float | None) -> np.ndarray:
    """Attainment, at most ``cap`` when there is one."""
    att = attainment(revenue, quota)
    return att if cap is None else np.minimum(att, cap)


@dataclass(frozen=True)
class FlatRate:
    rate: float

    def deal_commission(self, value: np.ndarray, price_ratio: np.ndarray) -> np.ndarray:
        return self.rate * np.asarray(value, dtype=float)


@dataclass(frozen=True)
class PriceRatio:
    """F36: below the base price (ratio < 1) the rate follows the table of (ratio, rate)
    points, linearly between them and the lowest rate below the first; above it,
    commission = base price x the rate at ratio 1 + (net - base price) x ``above_rate``."""

    ratios: tuple[float, ...]
    rates: tuple[float, ...]
    above_rate: float

    def deal_commission(self, value: np.ndarray, price_ratio: np.ndarray) -> np.ndarray:
        value, ratio = np.asarray(value, dtype=float), np.asarray(price_ratio, dtype=float)
        below = value * np.interp(ratio, self.ratios, self.rates)
        base_price = value / ratio
        above = base_price * self.rates[-1] + (value - base_price) * self.above_rate
        return np.where(ratio > 1.0, above, below)


@dataclass(frozen=True)
class Tiered:
    """Rates by attainment of the period. Marginal: each step's rate pays the revenue
    inside the step (accelerators); otherwise the step reached pays all the revenue.
    Revenue above ``cap`` x quota earns nothing."""

    starts: tuple[float, ...]
    rates: tuple[float, ...]
    marginal: bool
    cap: float | None
    months: int

    def period_commission(
        self, revenue: np.ndarray, quota: np.ndarray, tier: np.ndarray | None = None
    ) -> np.ndarray:
        att = _capped(revenue, quota, self.cap)
        quota = np.asarray(quota, dtype=float)
        if not self.marginal:
            step = np.searchsorted(self.starts, att, side="right") - 1
            return np.asarray(self.rates)[step] * att * quota
        ends = (*self.starts[1:], np.inf)
        total = np.zeros(att.shape)
        for lo, hi, rate in zip(self.starts, ends, self.rates, strict=True):
            total += rate * np.clip(att - lo, 0.0, hi - lo) * quota
        return total

    def next_tier(self, revenue: np.ndarray, quota: np.ndarray, tier: np.ndarray) -> np.ndarray:
        return tier


@dataclass(frozen=True)
class GoldSilverBronze:
    """F31: this month's attainment sets next month's rate; this month's revenue is paid
    at the rate last month's result set (or likewise by quarters)."""

    starts: tuple[float, ...]
    rates: tuple[float, ...]
    start_tier: int
    months: int = 1

    def period_commission(
        self, revenue: np.ndarray, quota: np.ndarray, tier: np.ndarray
    ) -> np.ndarray:
        return np.asarray(self.rates)[np.asarray(tier)] * np.asarray(revenue, dtype=float)

    def next_tier(self, revenue: np.ndarray, quota: np.ndarray, tier: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.starts, attainment(revenue, quota), side="right") - 1


@dataclass(frozen=True)
class HardTarget:
    """F33: B = (actual / plan) x actual x rate, attainment capped at ``cap`` if given."""

    rate: float
    cap: float | None
    months: int

    def period_commission(
        self, revenue: np.ndarray, quota: np.ndarray, tier: np.ndarray | None = None
    ) -> np.ndarray:
        return _capped(revenue, quota, self.cap) * np.asarray(revenue, dtype=float) * self.rate

    def next_tier(self, revenue: np.ndarray, quota: np.ndarray, tier: np.ndarray) -> np.ndarray:
        return tier


def make_plan(c: Commission) -> DealPlan | PeriodPlan:
    """The plan object of a validated ``pay.commission`` section: the fields its plan
    needs are given (``Commission._valid_plan``)."""
    if c.plan == "flat":
        assert c.rate is not None  # Commission._valid_plan: flat needs rate
        return FlatRate(c.rate)
    if c.plan == "price_ratio":
        # Commission._valid_plan: price_ratio needs ratio_rates and above_base_rate
        assert c.ratio_rates is not None and c.above_base_rate is not None
        return PriceRatio(
            tuple(p.ratio for p in c.ratio_rates),
            tuple(p.rate for p in c.ratio_rates),
            c.above_base_rate,
        )
    # Commission._valid_plan: every period plan needs period
    assert c.period is not None
    if c.plan == "hard_target":
        assert c.rate is not None  # Commission._valid_plan: hard_target needs rate
        return HardTarget(c.rate, c.cap_attainment, period_months(c.period))
    assert c.tiers is not None  # Commission._valid_plan: tiered, gold_silver_bronze need tiers
    starts = tuple(t.from_attainment for t in c.tiers)
    rates = tuple(t.rate for t in c.tiers)
    if c.plan == "tiered":
        assert c.marginal is not None  # Commission._valid_plan: tiered needs marginal
        return Tiered(starts, rates, c.marginal, c.cap_attainment, period_months(c.period))
    assert c.start_tier is not None  # Commission._valid_plan: gold_silver_bronze: start_tier
    return GoldSilverBronze(starts, rates, c.start_tier, period_months(c.period))


def is_period_plan(plan: DealPlan | PeriodPlan) -> TypeIs[PeriodPlan]:
    """Whether ``plan`` pays by period (else it pays each deal)."""
    return hasattr(plan, "period_commission")


def stage_credit(
    closer: np.ndarray,
    found_by: np.ndarray,
    worked_by: np.ndarray,
    amount: np.ndarray,
    shares: tuple[float, float, float] | None,
    active: np.ndarray,
    n_reps: int,
) -> np.ndarray:
    """Per rep, the sum of each deal's ``amount`` credited by stage (F35 shares of
    information, groundwork, close); without shares all goes to the closer. A stage whose
    rep is no longer ``active`` (gone, promoted) goes to the closer too."""
    amount = np.asarray(amount, dtype=float)
    if shares is None:
        return np.bincount(closer, weights=amount, minlength=n_reps)
    info, ground, close = shares
    found = np.where(active[found_by], found_by, closer)
    worked = np.where(active[worked_by], worked_by, closer)
    return (
        np.bincount(found, weights=amount * info, minlength=n_reps)
        + np.bincount(worked, weights=amount * ground, minlength=n_reps)
        + np.bincount(closer, weights=amount * close, minlength=n_reps)
    )
