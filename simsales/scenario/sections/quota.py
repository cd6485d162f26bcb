"""Section ``quota``: each rep's sales target and the policy that sets it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from simsales.scenario.sections.common import (
    MONEY_MAX,
    Inconsistent,
    _check_policy_fields,
    _Strict,
    _with_hint,
)

# Fields each quota policy needs; any other policy field given is an error, not ignored.
_QUOTA_FIELDS = {
    "flat": ("revenue_per_month",),
    "ramped": ("revenue_per_month", "ramp"),
    "growth": ("revenue_per_month", "growth", "min_revenue_per_month"),
    "pay_derived": ("pay_multiple",),
    "annual": ("annual_revenue", "quarter_shares"),
}


class Quota(_Strict):
    """Each rep's sales target: what attainment, the commission tiers, quota pressure on
    quits and F29's attainment reviews are measured against. A policy sets each rep's
    quota for a whole month on post; a rep on post for part of a month has that share."""

    policy: Literal["flat", "ramped", "growth", "pay_derived", "annual"] = Field(
        description="flat: the same monthly quota for every rep; ramped: new reps get a "
        "rising share of it by month on post; growth: last month's revenue plus growth; "
        "pay_derived: a multiple of the rep's target pay (F40); annual: an annual quota "
        "split into quarters (F41), a third of the quarter's each month."
    )
    period: Literal["month", "quarter"] = Field(
        description="Period attainment is judged over (F41): share at quota and "
        "period_attainment count revenue and quota from the period's start."
    )
    revenue_per_month: float | None = Field(
        default=None,
        gt=0,
        le=MONEY_MAX,
        description="flat, ramped: monthly quota of a rep on post all month; growth: quota "
        "of a rep without a whole last month on post [yuan/month].",
    )
    ramp: list[float] | None = Field(
        default=None,
        min_length=1,
        max_length=24,
        description="ramped: share of the full quota in the 1st, 2nd, ... month on post; "
        "full quota after [-].",
    )
    growth: float | None = Field(
        default=None,
        ge=-0.5,
        le=1,
        description="growth: quota = last month's revenue x (1 + growth); -0.5 to 1, from "
        "halving to doubling month on month [-].",
    )
    min_revenue_per_month: float | None = Field(
        default=None,
        ge=0,
        le=MONEY_MAX,
        description="growth: the lowest quota the rule sets [yuan/month].",
    )
    pay_multiple: float | None = Field(
        default=None,
        gt=0,
        le=100,
        description="pay_derived: monthly quota = this x the rep's monthly target pay "
        "(pay.package, F40); at most 100, when pay would be 1% of the quota [-].",
    )
    annual_revenue: float | None = Field(
        default=None, gt=0, le=MONEY_MAX, description="annual: a rep's annual quota [yuan/year]."
    )
    quarter_shares: list[float] | None = Field(
        default=None,
        min_length=4,
        max_length=4,
        description="annual: share of the annual quota in quarters 1-4 of each year (F41); "
        "must add to 1 [-].",
    )

    @model_validator(mode="after")
    def _fields_of_policy(self) -> Quota:
        optional = tuple(dict.fromkeys(f for fs in _QUOTA_FIELDS.values() for f in fs))
        _check_policy_fields(self, "quota", self.policy, _QUOTA_FIELDS[self.policy], optional)
        if self.ramp is not None and any(not 0 <= x <= 1 for x in self.ramp):
            message = _with_hint("shares of the full quota must lie in 0..1", self.ramp)
            raise Inconsistent("ramp", self.ramp, message)
        if self.quarter_shares is not None:
            q = self.quarter_shares
            if any(x < 0 for x in q) or abs(sum(q) - 1) > 1e-9:
                raise Inconsistent("quarter_shares", q, "shares must be >= 0 and add to 1")
        return self
