"""Section ``pay``: base salary or package, the commission plan, the annual bonus and
fines."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from simsales.scenario.sections.common import (
    ATTAINMENT_CAP_MAX,
    ATTAINMENT_STEP_MAX,
    MONEY_MAX,
    Inconsistent,
    Money,
    _check_policy_fields,
    _Strict,
)


def _check_ladder(steps: list, key: str, what: str) -> None:
    """Steps of a rate ladder must start at 0 and rise in ``key``; rates must not fall."""
    starts = [getattr(t, key) for t in steps]
    if starts[0] != 0:
        raise Inconsistent(what, starts, f"the first step must have {key} 0")
    if any(b <= a for a, b in zip(starts, starts[1:], strict=False)):
        raise Inconsistent(what, starts, f"{key} must rise from one step to the next")
    rates = [t.rate for t in steps]
    if any(b < a for a, b in zip(rates, rates[1:], strict=False)):
        raise Inconsistent(what, rates, "rates must not fall as attainment rises")


class Tier(_Strict):
    """One step of a commission ladder."""

    from_attainment: float = Field(
        ge=0,
        le=ATTAINMENT_STEP_MAX,
        description="Attainment (revenue / quota) where the step starts; at most 2 (200% of "
        "quota) [-].",
    )
    rate: float = Field(ge=0, le=1, description="Commission rate of the step [-].")


class PricePoint(_Strict):
    """One point of the F36 table of commission rate by price ratio."""

    ratio: float = Field(gt=0, le=1, description="Net sales / base price [-].")
    rate: float = Field(ge=0, le=1, description="Commission rate at that ratio [-].")


class StageSplit(_Strict):
    """F35: one deal's commission split by stage across the reps who worked it."""

    information: float = Field(
        ge=0, le=1, description="Share of the rep who brought the lead in [-]."
    )
    groundwork: float = Field(
        ge=0, le=1, description="Share of the rep who made the touch before the closing one [-]."
    )
    close: float = Field(ge=0, le=1, description="Share of the rep who closed [-].")


# Fields each commission plan needs; any other plan field given is an error, not ignored.
_PLAN_FIELDS = {
    "flat": ("rate",),
    "tiered": ("tiers", "marginal", "period"),
    "gold_silver_bronze": ("tiers", "start_tier", "period"),
    "hard_target": ("rate", "period"),
    "price_ratio": ("ratio_rates", "above_base_rate", "price_ratio_mean", "price_ratio_cv"),
}
_PLAN_OPTIONAL = {"tiered": ("cap_attainment",), "hard_target": ("cap_attainment",)}


class Commission(_Strict):
    """The commission plan: how a rep's deals or period results turn into commission."""

    plan: Literal["flat", "tiered", "gold_silver_bronze", "hard_target", "price_ratio"] = Field(
        description="flat: rate x revenue; tiered: rates by attainment of the period, with "
        "accelerators and an optional cap; gold_silver_bronze: this month's attainment sets "
        "next month's rate (F31); hard_target: (revenue / quota) x revenue x rate (F33); "
        "price_ratio: rate by each deal's price ratio, with an accelerator above the base "
        "price (F36)."
    )
    rate: float | None = Field(
        default=None, ge=0, le=1, description="flat, hard_target: commission rate [-]."
    )
    tiers: list[Tier] | None = Field(
        default=None,
        min_length=1,
        max_length=20,
        description="tiered, gold_silver_bronze: the ladder, from attainment 0 up [-].",
    )
    marginal: bool | None = Field(
        default=None,
        description="tiered: true = each rate pays the revenue within its step (accelerators); "
        "false = the rate of the step reached pays all the period's revenue.",
    )
    cap_attainment: float | None = Field(
        default=None,
        gt=0,
        le=ATTAINMENT_CAP_MAX,
        description="Optional. tiered: revenue above this attainment earns no commission; "
        "hard_target: the attainment factor (actual / plan) is capped at this; at most 3 "
        "(300% of quota) [-].",
    )
    period: Literal["month", "quarter"] | None = Field(
        default=None,
        description="tiered, hard_target, gold_silver_bronze: period attainment is measured "
        "and commission earned over (F31: a month); quarters are reported months 1-3, 4-6, ...",
    )
    start_tier: int | None = Field(
        default=None,
        ge=0,
        le=19,
        description="gold_silver_bronze: step (0 = lowest) whose rate a rep gets in the first "
        "month on post, before a month's result has set it.",
    )
    ratio_rates: list[PricePoint] | None = Field(
        default=None,
        min_length=1,
        max_length=50,
        description="price_ratio: commission rate by price ratio up to the base price (ratio "
        "1), interpolated linearly; the lowest rate below the first point (F36).",
    )
    above_base_rate: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="price_ratio: rate on net sales above the base price (F36 accelerator) [-].",
    )
    price_ratio_mean: float | None = Field(
        default=None,
        gt=0,
        le=2,
        description="price_ratio: mean of a deal's price ratio, net sales / base price "
        "(lognormal); at most 2, twice the base price [-].",
    )
    price_ratio_cv: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="price_ratio: its coefficient of variation; at most 1 [-].",
    )
    split_by_stage: StageSplit | None = Field(
        default=None,
        description="F35: split every deal's commission (and the revenue a period plan counts) "
        "across the reps who found, worked and closed it; none = all to the closer.",
    )
    paid: Literal["same_month", "next_month"] = Field(
        description="When earned commission is paid: in the month it is earned, or the month "
        "after (F37: the month after the customer's payment)."
    )

    @model_validator(mode="after")
    def _valid_plan(self) -> Commission:
        needed = _PLAN_FIELDS[self.plan]
        optional = tuple(dict.fromkeys(f for fs in _PLAN_FIELDS.values() for f in fs))
        extra = _PLAN_OPTIONAL.get(self.plan, ())
        given = tuple(f for f in extra if getattr(self, f) is not None)
        _check_policy_fields(
            self, "commission", self.plan, (*needed, *given), (*optional, "cap_attainment")
        )
        if self.tiers is not None:
            _check_ladder(self.tiers, "from_attainment", "tiers")
            top = self.tiers[-1].from_attainment
            if self.cap_attainment is not None and self.cap_attainment <= top:
                raise Inconsistent(
                    "cap_attainment",
                    self.cap_attainment,
                    f"must be above the base of the top tier (from_attainment {top}), "
                    "or that tier pays nothing",
                )
            if self.start_tier is not None and self.start_tier >= len(self.tiers):
                raise Inconsistent(
                    "start_tier", self.start_tier, f"allowed: 0..{len(self.tiers) - 1} (a tier)"
                )
        split = self.split_by_stage
        if split is not None:
            total = split.information + split.groundwork + split.close
            if abs(total - 1) > 1e-9:
                raise Inconsistent(
                    "split_by_stage",
                    split.model_dump(),
                    f"information + groundwork + close must add to 1, not {total:g}",
                )
        if self.ratio_rates is not None:
            points = self.ratio_rates
            ratios = [pt.ratio for pt in points]
            if any(b <= a for a, b in zip(ratios, ratios[1:], strict=False)):
                raise Inconsistent("ratio_rates", ratios, "ratios must rise from point to point")
            if ratios[-1] != 1:
                raise Inconsistent(
                    "ratio_rates", ratios, "the last point must be the base price (ratio 1)"
                )
            rates = [pt.rate for pt in points]
            if any(b < a for a, b in zip(rates, rates[1:], strict=False)):
                raise Inconsistent("ratio_rates", rates, "rates must not fall as the ratio rises")
        return self


class Package(_Strict):
    """A pay package by year on post, split into fixed and performance pay (F34, F40)."""

    target_by_year: list[Money] = Field(
        min_length=1,
        max_length=10,
        description="Monthly target pay in the 1st, 2nd, ... year on post; the last value "
        "holds after [yuan/month].",
    )
    fixed_share: float = Field(
        ge=0, le=1, description="Share of the package paid as base salary (F34: 70%) [-]."
    )

    @model_validator(mode="after")
    def _positive(self) -> Package:
        if any(x <= 0 for x in self.target_by_year):
            raise Inconsistent("target_by_year", self.target_by_year, "target pay must be > 0")
        return self


class Grade(_Strict):
    """One grade of the annual review (F38)."""

    name: str = Field(min_length=1, max_length=20, description="Grade name, e.g. AA.")
    from_attainment: float = Field(
        ge=0,
        le=ATTAINMENT_STEP_MAX,
        description="Annual attainment where the grade starts; at most 2 (200% of quota; "
        "F38's top grade AA is reached well below) [-].",
    )
    bonus_months: float = Field(
        ge=0, le=24, description="Bonus, in months of the rep's average monthly pay [months]."
    )


class Bonus(_Strict):
    """Annual bonus by grade (F38), paid at each year's close to reps on post all year."""

    policy: Literal["none", "annual_grade"] = Field(
        description="none: no bonus; annual_grade: grades by annual attainment, each with a "
        "bonus of some months' pay."
    )
    grades: list[Grade] | None = Field(
        default=None, min_length=1, max_length=20, description="annual_grade: grades, lowest first."
    )

    @model_validator(mode="after")
    def _grades(self) -> Bonus:
        needed = ("grades",) if self.policy == "annual_grade" else ()
        _check_policy_fields(self, "bonus", self.policy, needed, ("grades",))
        if self.grades is not None:
            starts = [g.from_attainment for g in self.grades]
            if starts[0] != 0 or any(b <= a for a, b in zip(starts, starts[1:], strict=False)):
                raise Inconsistent(
                    "grades", starts, "from_attainment must start at 0 and rise grade by grade"
                )
        return self


class Guarantee(_Strict):
    """A pay floor for new reps while they ramp up: in each of their first ``months``
    months on post a rep is paid at least ``per_month`` (pro-rated for the days on post);
    the difference is a top-up, ``pay.guarantee``."""

    per_month: float = Field(
        gt=0,
        le=MONEY_MAX,
        description="Least monthly pay of a new rep on post all month, base, commission, "
        "bonus and fines included [yuan/month].",
    )
    months: int = Field(
        ge=1, le=24, description="Months on post the floor holds, from going on post [months]."
    )


class Draw(_Strict):
    """A draw against commission for new reps: in each of their first ``months`` months on
    post, commission paid short of ``per_month`` (pro-rated for the days on post) is
    advanced; a recoverable draw is paid back from later commission above the draw."""

    per_month: float = Field(
        gt=0, le=MONEY_MAX, description="Commission a new rep is advanced up to [yuan/month]."
    )
    months: int = Field(
        ge=1, le=24, description="Months on post the draw is paid, from going on post [months]."
    )
    recoverable: bool = Field(
        description="true: what was advanced is a debt, taken back from commission above the "
        "draw (all commission once the draw's months are over) until repaid; a leaver's "
        "debt is written off. false: the advance is the rep's to keep."
    )


class Clawback(_Strict):
    """Commission taken back when a customer churns soon after signing (needs
    ``customers``)."""

    months: int = Field(
        ge=1,
        le=60,
        description="A customer who leaves within this many months of signing costs its "
        "signer the commission of the deal [months].",
    )
    share: float = Field(
        gt=0,
        le=1,
        description="Share of that commission taken back; the deal's commission is its "
        "value times the signer's commission rate of the last 12 months (commission "
        "earned / revenue credited) [-].",
    )


class SoftTarget(_Strict):
    """F33's soft-target pay C, for the work that is not selling: paid in full to a rep
    whose prospect records meet the daily norm (F1) on every day on post, in proportion
    below it."""

    per_month: float = Field(
        gt=0,
        le=MONEY_MAX,
        description="Pay C of a rep on post all month who meets the norm [yuan/month].",
    )


class TeamBonus(_Strict):
    """F37's quarterly threshold: at each quarter's close (reported months 3, 6, ...), every
    rep on post in a supervisor group whose new-business revenue over the quarter reached
    ``threshold`` is paid ``per_rep``."""

    threshold: float = Field(
        gt=0,
        le=MONEY_MAX,
        description="A group's revenue over a quarter that earns the bonus (F37: 3 million "
        "yuan) [yuan/quarter].",
    )
    per_rep: float = Field(
        gt=0, le=MONEY_MAX, description="Bonus of each rep on post in the group [yuan]."
    )


class Pay(_Strict):
    """A rep's monthly pay: base + commission + bonus - fines (F32-F38), with the optional
    team bonus (F37), soft-target pay (F33), draw and clawback, topped up to the guarantee
    of a new rep's first months when there is one."""

    base_per_month: float | None = Field(
        default=None,
        ge=0,
        le=MONEY_MAX,
        description="Base salary of a rep on post all month; give this or package [yuan/month].",
    )
    package: Package | None = Field(
        default=None, description="Pay package; its fixed share is the base salary (F34)."
    )
    commission: Commission
    bonus: Bonus
    fine_per_visit_short: float = Field(
        ge=0,
        le=MONEY_MAX,
        description="Fine for each visit short of the daily norm (F32); a month's fines are "
        "at most its base salary [yuan/visit].",
    )
    guarantee: Guarantee | None = Field(
        default=None,
        description="Optional: a pay floor for new reps' first months on post (a ramp "
        "guarantee); none by default.",
    )
    draw: Draw | None = Field(
        default=None,
        description="Optional: a draw against commission for new reps' first months on post, "
        "recoverable or not; none by default.",
    )
    clawback: Clawback | None = Field(
        default=None,
        description="Optional: commission taken back when a customer churns within some "
        "months of signing (needs customers); none by default.",
    )
    soft_target: SoftTarget | None = Field(
        default=None,
        description="Optional: F33's soft-target pay C for prospect records; none by default.",
    )
    team_bonus: TeamBonus | None = Field(
        default=None,
        description="Optional: F37's quarterly bonus for the reps of groups that reach a "
        "revenue threshold; none by default.",
    )
    leaver_commission: Literal["paid", "forfeited"] = Field(
        default="paid",
        description="What a rep who leaves gets of commission not yet paid (owed under "
        "next_month payment, held deals, a period plan's period so far): paid in the last "
        "month's pay (the default), or forfeited.",
    )
    earning_threshold: float = Field(
        ge=0,
        le=MONEY_MAX,
        description="Monthly pay that counts as 'earning money' in the F26 cohort KPI "
        "[yuan/month].",
    )

    @model_validator(mode="after")
    def _one_base(self) -> Pay:
        if (self.base_per_month is None) == (self.package is None):
            raise Inconsistent(
                "base_per_month",
                self.base_per_month,
                "give exactly one of base_per_month and package",
            )
        return self
