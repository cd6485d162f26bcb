"""Pydantic models of a scenario file (schema version 1).

Every field carries a description with its unit; the source of every default
(an F-ID of docs/field_figures.md or an assumption) is written in
``scenarios/baseline.yaml`` and in the model card ``docs/model.md``.
Validation is strict: unknown keys are errors (``extra="forbid"``), numbers
are range-checked, and cross-field rules are checked in ``model_validator``s.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

SCHEMA_VERSION = 1
GRADES = ("A", "B", "C", "D")


class Inconsistent(ValueError):
    """A cross-field rule failed; names the field (relative to the model checked) and value."""

    def __init__(self, field: str, value: Any, message: str):
        super().__init__(message)
        self.field = field
        self.value = value


_PERCENT_TEXT = re.compile(r"\s*([-+]?\d+(?:\.\d*)?)\s*%\s*")
RATIO_BOUND = 3.0  # fields limited to at most this are shares or ratios: 1 = 100%
# Attainment is revenue / quota (1 = 100% of quota). A dismissal bar above 150% would let
# go reps who beat their quota by half; commission steps and bonus grades start at most at
# 200% (F38's top grade AA at 150%); a commission cap above 300% caps nothing a team reaches.
ATTAINMENT_BAR_MAX = 1.5
ATTAINMENT_STEP_MAX = 2.0
ATTAINMENT_CAP_MAX = 3.0
# assumption: no amount of money in a plan for a field-sales team (a deal, a month's pay or
# quota, a cost) reaches a billion yuan; the bound keeps every sum a run forms (100,000 reps
# x 120 months x many deals) finite and exact to the yuan, where 1e308 would give inf/nan.
MONEY_MAX = 1e9
# assumption: relative weights (grade mix, sign weights, touch shares) are normalised by
# their sum; a million to one is more than any plan means (percentages or per-mille fit)
# and keeps the sum finite.
WEIGHT_MAX = 1e6
NAME_MAX = 120
# A scenario name labels tables and plots and names the results store's folder, so it is a
# safe label: it starts with a letter or digit (never "." or "-"), holds letters, digits,
# spaces and _ - . , : = + # [ ] ( ) ~ (what automatic names such as
# "baseline, team.reps=80", "baseline, 4 changes #a1b2c3" and "baseline[3]" use), and no
# path separator, control character or other punctuation; it does not end in a space.
NAME_PUNCTUATION = "_-.,:=+#[]()~"
_NAME = re.compile(r"[^\W_](?:[\w ,.:=+#\[\]()~-]*[\w,.:=+#\[\]()~-])?")
NAME_PATTERN = r"^[\p{L}\p{N}](?:[\p{L}\p{N}_ ,.:=+#\[\]()~-]*[\p{L}\p{N}_,.:=+#\[\]()~-])?$"


def percentage_hint(value: Any, upper: float | None) -> str | None:
    """What to write instead, when ``value`` given for a share or ratio (a field limited
    to at most ``upper`` <= 3) looks like a percentage: ``70`` or ``"70%"`` for 0.7.

    A number is taken for a percentage when it is above ``upper``, at most 100, and at
    least 2 for a share (``upper`` <= 1; 1.5 is more likely a slip than 1.5%) or at least
    10 for a ratio (an attainment bar of 10 = 1000% of quota is no plan). None when
    nothing fits.
    """
    if upper is None or upper > RATIO_BOUND:
        return None
    if isinstance(value, str):
        match = _PERCENT_TEXT.fullmatch(value)
        if match is None:
            return None
        number = float(match.group(1))
        return f"value {value!r} looks like a percentage; write {number / 100:g} for {number:g}%"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if upper < value <= 100 and value >= (2 if upper <= 1 else 10):
        return f"value {value:g} looks like a percentage; write {value / 100:g} for {value:g}%"
    return None


def check_name(name: str) -> str:
    """``name`` if it is a safe label (see NAME_PUNCTUATION), else a ValueError saying why."""
    if _NAME.fullmatch(name):
        return name
    bad = sorted({c for c in name if not (c.isalnum() or c == " " or c in NAME_PUNCTUATION)})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        why = f"has characters a name may not hold: {shown}"
    elif not name[0].isalnum():
        why = "must start with a letter or digit"
    else:
        why = "must not end in a space"
    raise ValueError(
        f"{why}; a name holds letters, digits, spaces and {' '.join(NAME_PUNCTUATION)} "
        "(no path separators or control characters), e.g. more_reps or 'plan B, 80 reps'"
    )


SafeName = Annotated[
    str,
    Field(min_length=1, max_length=NAME_MAX, json_schema_extra={"pattern": NAME_PATTERN}),
    AfterValidator(check_name),
]
Money = Annotated[float, Field(le=MONEY_MAX)]
Weight = Annotated[float, Field(le=WEIGHT_MAX)]


def _with_hint(message: str, shares: list[float]) -> str:
    """``message`` about a list of shares, with the percentage hint of its largest value."""
    hint = percentage_hint(max(shares), 1.0)
    return f"{message}; {hint}" if hint else message


def _check_policy_fields(
    model: BaseModel, kind: str, policy: str, needed: tuple[str, ...], optional: tuple[str, ...]
) -> None:
    """Fields of ``optional`` that the policy needs must be given; the others left out."""
    for name in optional:
        value = getattr(model, name)
        if name in needed and value is None:
            raise Inconsistent(name, None, f"required by {kind} policy {policy!r}")
        if name not in needed and value is not None:
            raise Inconsistent(
                name,
                value,
                f"not used by {kind} policy {policy!r}, which takes "
                f"{', '.join(needed) or 'no other fields'}; remove it",
            )


class _Strict(BaseModel):
    # strict: a YAML `true` is not the number 1, and "64" is not 64 (ints still fill floats).
    # allow_inf_nan=False: .inf and .nan are never a number a scenario means.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class Horizon(_Strict):
    """Simulated calendar: months of working days (F42)."""

    months: int = Field(ge=1, le=120, description="Months reported, after the warm-up [months].")
    warmup_months: int = Field(
        ge=0,
        le=24,
        description="Months simulated before reporting starts, so pipelines and markets are "
        "in their running state [months].",
    )
    days_per_month: int = Field(ge=1, le=31, description="Working days in a month [days].")


class Team(_Strict):
    """The starting team and its structure (``workforce`` changes headcount over time)."""

    reps: int = Field(ge=1, le=100_000, description="Reps on post on the first day [reps].")
    supervisor_groups: int = Field(
        ge=1,
        le=10_000,
        description="Supervisor groups; each owns one or more territories [groups].",
    )
    tenure_months_min: float = Field(
        ge=0, le=600, description="Shortest tenure on post of the starting team [months]."
    )
    tenure_months_max: float = Field(
        ge=0, le=600, description="Longest tenure on post of the starting team [months]."
    )

    @model_validator(mode="after")
    def _tenure_order(self) -> Team:
        if self.tenure_months_max < self.tenure_months_min:
            raise Inconsistent(
                "tenure_months_max",
                self.tenure_months_max,
                f"must be >= tenure_months_min ({self.tenure_months_min})",
            )
        return self


class Norms(_Strict):
    """Daily activity norm of a rep (the "353" rule, F1)."""

    visits: int = Field(ge=0, le=50, description="First visits a rep aims for each day [visits].")
    phone_appointments: int = Field(
        ge=0, le=100, description="Appointment calls to interested prospects each day [calls]."
    )
    prospect_records: int = Field(
        ge=0, le=500, description="New prospect records submitted each day [records]."
    )


class Rep(_Strict):
    """A rep's working day: capacity, norms and the time each activity takes."""

    minutes_per_day: int = Field(
        ge=60, le=960, description="Working minutes a day for visits, calls and follow-ups [min]."
    )
    norms: Norms
    visit_minutes: float = Field(
        gt=0, le=480, description="One on-site first visit, meeting plus travel [min]."
    )
    phone_minutes: float = Field(gt=0, le=120, description="One appointment call [min].")
    followup_minutes: float = Field(
        gt=0, le=480, description="One follow-up touch, any channel (call or revisit) [min]."
    )


class Skill(_Strict):
    """Rep skill: a multiplier on every close chance; 1 = an average experienced rep."""

    potential_sigma: float = Field(
        ge=0,
        le=1,
        description="Spread of reps' skill potential: sigma of a lognormal with mean 1; at "
        "most 1, where the 90th-percentile rep already has 13 times the potential of the "
        "10th [-].",
    )
    new_hire_fraction: float = Field(
        gt=0,
        le=1,
        description="Skill of a rep on the first day on post, as a share of potential [-].",
    )
    learning_per_day: float = Field(
        ge=0,
        le=0.1,
        description="Share of the gap to potential closed each working day by experience; at "
        "most 0.1, which closes 93% of it in a 26-day month [1/day].",
    )


class Supervisor(_Strict):
    """Supervisors carry no accounts (F16); they make joint visits and coach."""

    joint_visits_per_day: int = Field(
        ge=0, le=20, description="Joint visits ('double calls') a supervisor makes a day [visits]."
    )
    joint_visit_close_multiplier: float = Field(
        ge=1,
        le=3,
        description="Multiplier on the close chance of a touch made jointly; at most 3, a "
        "supervisor at the table tripling the chance [-].",
    )
    joint_visit_learning: float = Field(
        ge=0,
        le=0.5,
        description="Share of the skill gap a joint visit closes for that rep; at most half "
        "of it in one visit [-].",
    )
    evening_meeting_learning_per_day: float = Field(
        ge=0,
        le=0.1,
        description="Share of the skill gap closed each working day by the evening meeting; "
        "at most 0.1, as for learning by experience [1/day].",
    )


class GradeValues(_Strict):
    """One number per lead grade A-D (F6)."""

    A: float = Field(ge=0, le=WEIGHT_MAX)
    B: float = Field(ge=0, le=WEIGHT_MAX)
    C: float = Field(ge=0, le=WEIGHT_MAX)
    D: float = Field(ge=0, le=WEIGHT_MAX)

    def as_tuple(self) -> tuple[float, float, float, float]:
        return (self.A, self.B, self.C, self.D)


class GradeDays(_Strict):
    """Working days between follow-up touches, per lead grade (F6, F12)."""

    A: int = Field(ge=1, le=260)
    B: int = Field(ge=1, le=260)
    C: int = Field(ge=1, le=260)
    D: int = Field(ge=1, le=260)

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.A, self.B, self.C, self.D)


class Territory(_Strict):
    """One territory: a finite market of prospect firms, its mix and its distances."""

    name: str = Field(min_length=1, max_length=80, description="Territory name.")
    firms: int = Field(ge=1, le=100_000_000, description="Prospect firms in the territory [firms].")
    grade_mix: GradeValues | None = Field(
        default=None,
        description="Share of the territory's entered leads by grade A-D (F6); left out = "
        "leads.grade_mix [-].",
    )
    travel_minutes: float = Field(
        default=0.0,
        ge=0,
        le=480,
        description="Extra minutes each on-site first visit takes here, on top of "
        "rep.visit_minutes (far districts); 0 = none [min].",
    )

    @model_validator(mode="after")
    def _mix(self) -> Territory:
        if self.grade_mix is not None and sum(self.grade_mix.as_tuple()) <= 0:
            raise Inconsistent("grade_mix", self.grade_mix.as_tuple(), "a share must be > 0")
        return self


class Alignment(_Strict):
    """Which supervisor group owns which territories (F15: each sells only in its own)."""

    policy: Literal["explicit", "by_potential"] = Field(
        description="explicit: groups lists each group's territories and the starting reps "
        "are spread evenly over the groups; by_potential: territories go to groups so their "
        "firms are as even as possible, and the starting reps to groups in proportion to "
        "their firms, so opportunity per rep is even."
    )
    groups: list[list[str]] | None = Field(
        default=None,
        description="explicit: for each supervisor group (in order), the names of its "
        "territories; every territory in exactly one group.",
    )

    @model_validator(mode="after")
    def _fields_of_policy(self) -> Alignment:
        needed = ("groups",) if self.policy == "explicit" else ()
        _check_policy_fields(self, "alignment", self.policy, needed, ("groups",))
        return self


_REBALANCING_FIELDS = {
    "none": (),
    "every_months": ("every_months", "accounts_to", "cost_per_account"),
    "on_headcount": ("headcount_change", "accounts_to", "cost_per_account"),
}


class Rebalancing(_Strict):
    """Re-splitting exclusive territories by remaining potential as headcount changes."""

    policy: Literal["none", "every_months", "on_headcount"] = Field(
        description="none: territories keep their firms; every_months: re-split every N "
        "months; on_headcount: re-split when a territory's reps on post have changed by more "
        "than headcount_change since the last re-split."
    )
    every_months: int | None = Field(
        default=None, ge=1, le=120, description="every_months: months between re-splits."
    )
    headcount_change: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description="on_headcount: relative change of a territory's reps on post that "
        "triggers a re-split, e.g. 0.25; at most 1 (the headcount doubled or gone) [-].",
    )
    accounts_to: Literal["new_owner", "pool"] | None = Field(
        default=None,
        description="Where the open leads of firms that change territory go: to the reps of "
        "the receiving territory in turn, or to the public pool (F11).",
    )
    cost_per_account: float | None = Field(
        default=None,
        ge=0,
        le=MONEY_MAX,
        description="Disruption cost of each open lead moved [yuan].",
    )

    @model_validator(mode="after")
    def _fields_of_policy(self) -> Rebalancing:
        optional = ("every_months", "headcount_change", "accounts_to", "cost_per_account")
        needed = _REBALANCING_FIELDS[self.policy]
        _check_policy_fields(self, "rebalancing", self.policy, needed, optional)
        return self


class Market(_Strict):
    """Territories and how fast contacted firms can be approached again."""

    policy: Literal["exclusive", "open"] = Field(
        description="exclusive: each group sells only in its own territories (F15); open: "
        "one shared market of all the territories' firms, where any rep may approach any "
        "firm and approaches can duplicate."
    )
    territories: list[Territory] = Field(
        min_length=1, description="Territories; market.alignment gives each to a group."
    )
    alignment: Alignment
    rebalancing: Rebalancing
    duplicate_minutes: float | None = Field(
        default=None,
        ge=0,
        le=480,
        description="open: working minutes a rep loses (the next day) for each prospect record "
        "that hits a firm another rep is working [min].",
    )
    duplicate_sign_multiplier: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description="open: factor on the sign chance of the lead of a firm approached again "
        "by another rep, per approach [-].",
    )
    cooling_off_days: int = Field(
        ge=1,
        le=2000,
        description="Working days before a contacted firm that did not sign can be prospected "
        "again [days].",
    )

    @model_validator(mode="after")
    def _unique_names(self) -> Market:
        needed = ("duplicate_minutes", "duplicate_sign_multiplier") if self.policy == "open" else ()
        _check_policy_fields(
            self, "market", self.policy, needed, ("duplicate_minutes", "duplicate_sign_multiplier")
        )
        if self.policy == "open" and self.rebalancing.policy != "none":
            raise Inconsistent(
                "rebalancing.policy",
                self.rebalancing.policy,
                "an open market has one shared territory: nothing to re-split; use none",
            )
        names = [t.name for t in self.territories]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise Inconsistent(
                "territories", dup, "territory names must be unique; these are repeated"
            )
        return self


class Leads(_Strict):
    """The lead funnel: records -> calls -> first visits -> entered leads -> touches -> outcome."""

    interested_share_of_records: float = Field(
        ge=0, le=1, description="Share of prospect records that are interested enough to call [-]."
    )
    booked_share_of_calls: float = Field(
        ge=0, le=1, description="Share of appointment calls that book a first visit [-]."
    )
    valid_share_of_first_visits: float = Field(
        ge=0,
        le=1,
        description="Share of first visits that find a valid prospect (KP met, intends to "
        "export) and enter it into the CRM [-].",
    )
    grade_mix: GradeValues = Field(description="Share of entered leads by grade A-D [-].")
    grade_sign_weight: GradeValues = Field(
        description="Relative chance to sign by grade; normalised so the mix averages to 1 [-]."
    )
    followup_cadence_days: GradeDays = Field(
        description="Working days between follow-up touches by grade [days]."
    )
    sign_probability: float = Field(
        gt=0,
        lt=1,
        description="Chance that an entered lead signs if worked to its last touch by a rep "
        "of skill 1 without joint visits [-].",
    )
    signing_touch_shares: list[Weight] = Field(
        min_length=3,
        max_length=60,
        description="Relative share of signings at each touch: index 0 = phone, 1 = first "
        "visit, k+1 = k-th follow-up; normalised to sum 1 [-].",
    )
    max_followups: int = Field(
        ge=0, le=58, description="Follow-ups after which an unsigned lead is dropped [touches]."
    )
    loss_share_per_followup: float = Field(
        ge=0,
        lt=1,
        description="Share of the still-open non-buying leads that say no at each follow-up [-].",
    )
    deal_value_mean: float = Field(
        gt=0, le=MONEY_MAX, description="Mean value of a signed deal [yuan]."
    )
    deal_value_cv: float = Field(
        ge=0,
        le=2,
        description="Coefficient of variation of deal value (lognormal); at most 2, beyond "
        "which a handful of deals carries most of the revenue [-].",
    )
    hq_leads_per_rep_day: float = Field(
        ge=0, le=100, description="Leads pushed by HQ into the CRM per rep per working day [leads]."
    )
    customer_referrals_per_signing: float = Field(
        ge=0, le=10, description="Referral leads a newly signed customer gives [leads]."
    )
    customer_referral_sign_probability: float = Field(
        gt=0, lt=1, description="Chance that a customer-referred lead signs [-]."
    )
    nonbuyer_referrals_per_lost_lead: float = Field(
        ge=0, le=10, description="Referral leads a lost lead gives when asked [leads]."
    )
    stale_after_days: int = Field(
        ge=0,
        le=260,
        description="Working days without a touch after which a lead leaves its owner for the "
        "public pool (F11's reclaim rule); 0 = never [days].",
    )
    pool_expiry_days: int = Field(
        ge=1,
        le=2000,
        description="Working days a pool lead waits for a claim before it is lost [days].",
    )
    pool_claims_per_rep_day: int = Field(
        ge=0, le=100, description="Pool leads a rep with spare time may claim a day [leads]."
    )
    pool_claim_scope: Literal["territory", "anyone"] = Field(
        description="Who may claim a pool lead: reps of its territory (F15), or any rep with "
        "spare time (F11: 'any rep may claim it')."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Leads:
        mix = self.grade_mix.as_tuple()
        if sum(mix) <= 0:
            raise Inconsistent("grade_mix", mix, "at least one share must be positive")
        weights = self.grade_sign_weight.as_tuple()
        if sum(m * w for m, w in zip(mix, weights, strict=True)) <= 0:
            raise Inconsistent(
                "grade_sign_weight",
                weights,
                "must be positive for a grade with a share in grade_mix",
            )
        shares = self.signing_touch_shares
        if any(s < 0 for s in shares) or sum(shares) <= 0:
            raise Inconsistent(
                "signing_touch_shares", shares, "shares must be >= 0 with a positive sum"
            )
        if self.max_followups > len(shares) - 2:
            raise Inconsistent(
                "max_followups",
                self.max_followups,
                f"must be <= {len(shares) - 2} (len(signing_touch_shares) - 2): "
                "there is no signing share for later touches",
            )
        self._cadence_within_stale()
        return self

    def _cadence_within_stale(self) -> None:
        """F11 reclaims a lead its rep had no time for. A lead last touched on day d goes to
        the pool on the morning of day d + stale_after_days + 1, before that day's touches;
        a cadence longer than stale_after_days would send every lead of its grade there
        before its next touch, however idle its rep."""
        stale = self.stale_after_days
        if stale == 0:  # leads never go stale
            return
        for grade, days in zip(GRADES, self.followup_cadence_days.as_tuple(), strict=True):
            if days > stale:
                raise Inconsistent(
                    f"followup_cadence_days.{grade}",
                    days,
                    f"must be <= leads.stale_after_days ({stale}): a grade-{grade} lead goes "
                    f"to the public pool (F11) {stale + 1} working days after a touch, "
                    f"before its next touch is due ({days} days after); shorten the cadence, "
                    "or raise leads.stale_after_days (0 = leads never go stale)",
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


class PlannedClass(_Strict):
    """One class of a hiring plan."""

    month: int = Field(
        ge=-24,
        le=120,
        description="Month the class starts training: 1 = first reported month; 0 and "
        "below are warm-up months [month].",
    )
    size: int = Field(ge=0, le=10_000, description="Trainees in the class [reps].")


HIRING_POLICIES = ("none", "fixed_classes", "target_headcount", "backfill", "plan")
# Fields each hiring policy needs; any other policy field given is an error, not ignored.
_HIRING_FIELDS = {
    "none": (),
    "fixed_classes": ("class_size", "every_months"),
    "target_headcount": ("target_reps", "max_class_size"),
    "backfill": ("max_class_size",),
    "plan": ("plan",),
}


class Hiring(_Strict):
    """How new reps are hired: one class at most per month (F27: classes about monthly)."""

    policy: Literal["none", "fixed_classes", "target_headcount", "backfill", "plan"] = Field(
        description="none: no hiring; fixed_classes: a class of class_size every every_months; "
        "target_headcount: a class that tops reps (on post and in training) up to target_reps; "
        "backfill: a class replacing last month's leavers; plan: the classes listed in plan."
    )
    class_size: int | None = Field(
        default=None, ge=1, le=10_000, description="fixed_classes: trainees per class [reps]."
    )
    every_months: int | None = Field(
        default=None, ge=1, le=120, description="fixed_classes: months between classes [months]."
    )
    target_reps: int | None = Field(
        default=None,
        ge=1,
        le=100_000,
        description="target_headcount: reps on post, in training or on trial aimed at [reps].",
    )
    max_class_size: int | None = Field(
        default=None,
        ge=1,
        le=10_000,
        description="target_headcount, backfill: largest class one month can train [reps].",
    )
    plan: list[PlannedClass] | None = Field(
        default=None, description="plan: the classes, at most one per month."
    )
    lead_time_months: int = Field(
        ge=0,
        le=12,
        description="Months from the hiring decision (a month's close) to the class's first "
        "day; 0 = the next month [months].",
    )
    cost_per_hire: float = Field(
        ge=0, le=MONEY_MAX, description="Recruiting cost of one trainee [yuan]."
    )
    potential_mean: float = Field(
        gt=0,
        le=2,
        description="Mean skill potential of new hires (F19 hiring profile; 1 = the average "
        "experienced rep); at most 2, a class twice as able as the team [-].",
    )

    @model_validator(mode="after")
    def _fields_of_policy(self) -> Hiring:
        optional = ("class_size", "every_months", "target_reps", "max_class_size", "plan")
        _check_policy_fields(self, "hiring", self.policy, _HIRING_FIELDS[self.policy], optional)
        if self.plan is not None:
            months = [c.month for c in self.plan]
            dup = sorted({m for m in months if months.count(m) > 1})
            if dup:
                raise Inconsistent("plan", dup, "at most one class a month; these months repeat")
        return self


class Training(_Strict):
    """New-hire training and the trial post before selling (F20-F22)."""

    days: int = Field(ge=0, le=260, description="Training, without selling (F20) [days].")
    washout_share: float = Field(
        ge=0, le=1, description="Share of a class that washes out during training (F21) [-]."
    )
    trial_days: int = Field(
        ge=0, le=260, description="Trial post after training, without own accounts [days]."
    )
    trial_pass_share: float = Field(
        ge=0, le=1, description="Share of trainees on trial who pass and go on post (F22) [-]."
    )
    cost_per_trainee_day: float = Field(
        ge=0,
        le=MONEY_MAX,
        description="Cost of a trainee's day in training or on trial [yuan/day].",
    )
    trainer_visit_learning: float = Field(
        ge=0,
        le=0.5,
        description="Share of the skill gap the trainer's monthly field visit closes for a rep "
        "in the first months on post (F18); at most half of it in one visit [-].",
    )
    trainer_visit_months: int = Field(
        ge=0, le=24, description="Months on post during which the trainer visits monthly [months]."
    )


class Attrition(_Strict):
    """Voluntary quits: a monthly hazard by months on post, raised by low pay and by quota
    pressure."""

    quit_hazard_by_year: list[float] = Field(
        min_length=1,
        max_length=10,
        description="Monthly chance to quit in the 1st, 2nd, ... year on post; the last value "
        "holds after [1/month].",
    )
    reservation_pay: float = Field(
        ge=0, le=MONEY_MAX, description="Monthly pay a rep would get elsewhere [yuan/month]."
    )
    low_pay_multiplier: float = Field(
        ge=1,
        le=5,
        description="Quit hazard multiplier of a rep paid nothing above base; falls linearly "
        "to 1 at the reservation pay; at most 5 [-].",
    )
    quota_pressure_multiplier: float = Field(
        ge=1,
        le=5,
        description="Quit hazard multiplier of a rep with no revenue against quota; falls "
        "linearly to 1 at full attainment; at most 5 [-].",
    )
    recent_months: int = Field(
        ge=1,
        le=12,
        description="Months of recent pay and attainment the quit hazard looks at [months].",
    )

    @model_validator(mode="after")
    def _hazards_are_chances(self) -> Attrition:
        bad = [h for h in self.quit_hazard_by_year if not 0 <= h <= 1]
        if bad:
            raise Inconsistent(
                "quit_hazard_by_year",
                bad,
                _with_hint("monthly chances must lie in 0..1; these do not", bad),
            )
        return self


class Dismissal(_Strict):
    """Involuntary departures (F28-F30)."""

    no_order_months: int = Field(
        ge=0,
        le=60,
        description="Dismissed with no signing in the first N months on post (F28); 0 = off "
        "[months].",
    )
    bottom_share: float = Field(
        ge=0,
        le=0.5,
        description="Share of reps with the fewest signings let go at each review (F29 "
        "bottom-rank elimination); 0 = off; at most half the reviewed reps [-].",
    )
    review_months: int = Field(
        ge=1, le=24, description="Months between bottom-rank reviews [months]."
    )
    review_min_months_on_post: int = Field(
        ge=0,
        le=60,
        description="Reps newer than this on post are spared from the review [months].",
    )
    quarterly_attainment_below: float = Field(
        ge=0,
        le=ATTAINMENT_BAR_MAX,
        description="F29: dismissed after consecutive_quarters quarters in a row on post with "
        "attainment below this; 0 = off; at most 1.5 (150% of quota) [-].",
    )
    consecutive_quarters: int = Field(
        ge=1, le=20, description="F29: quarters in a row below the quarterly bar [quarters]."
    )
    annual_attainment_below: float = Field(
        ge=0,
        le=ATTAINMENT_BAR_MAX,
        description="F29: dismissed at the year's close after a whole year on post with "
        "attainment below this; 0 = off; at most 1.5 (150% of quota) [-].",
    )
    monthly_attainment_below: float = Field(
        ge=0,
        le=ATTAINMENT_BAR_MAX,
        description="Dismissed after consecutive_months whole months in a row on post with "
        "attainment below this (a monthly form of F29); 0 = off; at most 1.5 (150% of "
        "quota) [-].",
    )
    consecutive_months: int = Field(
        ge=1, le=60, description="Months in a row below the monthly bar [months]."
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


class Pay(_Strict):
    """A rep's monthly pay: base + commission + bonus - fines (F32-F38)."""

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


class Behaviour(_Strict):
    """How reps time deals for pay, and the month-end surge (F13, F31)."""

    gaming_share: float = Field(
        ge=0,
        le=1,
        description="Share of reps who hold or pull deals across a pay period's end when "
        "the plan pays them more for it [-].",
    )
    decision_days: int = Field(
        ge=1,
        le=31,
        description="Last working days of a commission period in which a gaming rep holds "
        "or pulls deals [days].",
    )
    min_gain: float = Field(
        ge=0,
        le=MONEY_MAX,
        description="Gain in pay, for one deal of mean value, below which a rep does not "
        "bother to time it [yuan].",
    )
    pull_days: int = Field(
        ge=0, le=60, description="How far ahead a pulling rep makes follow-ups [days]."
    )
    forecast_months: int = Field(
        ge=1,
        le=12,
        description="Months of a rep's own revenue the rep projects the rest of the period "
        "and the next one from [months].",
    )
    surge_days: int = Field(
        ge=0,
        le=31,
        description="Last working days of every month in which all reps work ahead on "
        "follow-ups due before the month's end (F13); 0 = off [days].",
    )
    surge_ahead_days: int = Field(
        ge=0, le=31, description="How far ahead a rep works in the surge [days]."
    )


# Fields each new-group policy needs; any other field given is an error, not ignored.
_NEW_GROUP_FIELDS = {
    "none": (),
    "promote": ("span_of_control", "territory", "top_rep_months"),
    "hire": ("span_of_control", "territory", "lead_time_months", "cost_per_hire"),
}


class NewGroups(_Strict):
    """New supervisor groups for a growing team (F14-F16): when a group has more reps on
    post than its supervisor's span of control, half of them form a new group under a
    new supervisor, promoted from the group or hired from outside."""

    policy: Literal["none", "promote", "hire"] = Field(
        description="none: groups never split; promote: the group's top seller becomes the "
        "new group's supervisor and stops selling; hire: a supervisor is hired from outside."
    )
    span_of_control: int | None = Field(
        default=None,
        ge=1,
        le=1000,
        description="Most reps on post a supervisor leads; one more splits the group [reps].",
    )
    territory: Literal["split", "new"] | None = Field(
        default=None,
        description="split: the new group takes a share of its old group's most-staffed "
        "territory, in proportion to the reps who move; new: it opens a territory of "
        "new_territory_firms untouched firms.",
    )
    new_territory_firms: int | None = Field(
        default=None,
        ge=1,
        le=10_000_000,
        description="territory new: prospect firms of each new territory [firms].",
    )
    top_rep_months: int | None = Field(
        default=None,
        ge=1,
        le=24,
        description="promote: months of revenue over which the top seller is chosen [months].",
    )
    lead_time_months: int | None = Field(
        default=None,
        ge=0,
        le=12,
        description="hire: months from the decision (a month's close) to the new supervisor's "
        "first day; 0 = the next month [months].",
    )
    cost_per_hire: float | None = Field(
        default=None,
        ge=0,
        le=MONEY_MAX,
        description="hire: recruiting cost of a supervisor [yuan].",
    )

    @model_validator(mode="after")
    def _fields_of_policy(self) -> NewGroups:
        needed = _NEW_GROUP_FIELDS[self.policy]
        if self.territory == "new":
            needed = (*needed, "new_territory_firms")
        optional = (
            "span_of_control",
            "territory",
            "new_territory_firms",
            "top_rep_months",
            "lead_time_months",
            "cost_per_hire",
        )
        _check_policy_fields(self, "new-group", self.policy, needed, optional)
        return self


class Workforce(_Strict):
    """Hiring, training, quits and dismissals: the team as a living population."""

    hiring: Hiring
    training: Training
    attrition: Attrition
    dismissal: Dismissal
    new_groups: NewGroups
    departed_pipeline: Literal["pool", "group"] = Field(
        description="Where a leaver's open leads go: the public pool (F11) or the other reps "
        "of the leaver's territory."
    )


class Scenario(_Strict):
    """A complete, validated scenario: everything one simulation needs."""

    schema_version: int = Field(
        ge=SCHEMA_VERSION, le=SCHEMA_VERSION, description="Scenario file format version; must be 1."
    )
    name: SafeName = Field(
        description="Scenario name used in tables, plots and the results folder: 1-120 "
        "letters, digits, spaces and _ - . , : = + # [ ] ( ) ~, starting with a letter or digit."
    )
    description: str | None = Field(
        default=None,
        min_length=1,
        max_length=300,
        description="Optional: a plain sentence saying what the scenario changes and why; "
        "the report's executive summary opens its sentence with it.",
    )
    horizon: Horizon
    team: Team
    rep: Rep
    skill: Skill
    supervisor: Supervisor
    market: Market
    leads: Leads
    quota: Quota
    pay: Pay
    behaviour: Behaviour
    workforce: Workforce

    def with_overrides(self, overrides: Mapping[str, Any], source: str = "override") -> Scenario:
        """Return a copy with dotted keys replaced, e.g. ``{"team.reps": 50}``; re-validated.

        The copy is renamed to say what changed, e.g. ``"baseline, team.reps=50"``, so its
        tables are not mistaken for the original's; give ``"name"`` among the overrides to
        choose the name, and overrides that change no value keep it (rules:
        ``simsales.scenario.overrides.derived_name``).

        Raises ScenarioError for unknown keys or values the schema does not allow.
        """
        from simsales.scenario.overrides import apply_overrides  # avoids an import cycle

        return apply_overrides(self, overrides, source)

    @model_validator(mode="after")
    def _groups_fit(self) -> Scenario:
        n_terr = len(self.market.territories)
        if self.team.supervisor_groups > n_terr:
            raise Inconsistent(
                "team.supervisor_groups",
                self.team.supervisor_groups,
                f"more groups than the {n_terr} territories in market.territories allow; "
                f"allowed: 1..{n_terr}, each group sells only in a territory of its own (F15)",
            )
        _alignment_errors(self)
        plan = self.workforce.hiring.plan or []
        first, last = 1 - self.horizon.warmup_months, self.horizon.months
        outside = [c.month for c in plan if not first <= c.month <= last]
        if outside:
            raise Inconsistent(
                "workforce.hiring.plan",
                outside,
                f"class months must lie within the horizon: {first}..{last} "
                "(1 = first reported month, warm-up months 0 and below)",
            )
        dpm = self.horizon.days_per_month
        for name, least in (("decision_days", 1), ("surge_days", 0)):
            value = getattr(self.behaviour, name)
            if value > dpm:
                raise Inconsistent(
                    f"behaviour.{name}", value, f"allowed: {least}..{dpm} (horizon.days_per_month)"
                )
        if self.quota.policy == "pay_derived" and self.pay.package is None:
            raise Inconsistent(
                "quota.policy", "pay_derived", "needs pay.package: the quota derives from it (F40)"
            )
        if self.team.reps < n_terr:
            raise Inconsistent(
                "team.reps",
                self.team.reps,
                f"must be >= {n_terr}, the number of territories: every territory needs a rep",
            )
        return self


def _alignment_errors(scenario: Scenario) -> None:
    """Explicit groups must name existing territories, each exactly once, one list per
    group, and every group needs as many starting reps as it has territories."""
    al, names = scenario.market.alignment, [t.name for t in scenario.market.territories]
    n_groups = scenario.team.supervisor_groups
    if al.policy != "explicit":
        return
    field = "market.alignment.groups"
    if len(al.groups) != n_groups:
        raise Inconsistent(
            field,
            len(al.groups),
            f"needs one list per supervisor group: {n_groups} (team.supervisor_groups)",
        )
    listed = [name for group in al.groups for name in group]
    unknown = sorted(set(listed) - set(names))
    if unknown:
        raise Inconsistent(field, unknown, f"no such territories; allowed: {names}")
    twice = sorted({n for n in listed if listed.count(n) > 1})
    if twice:
        raise Inconsistent(
            field, twice, "a territory belongs to one group only (F15); these overlap"
        )
    missing = [n for n in names if n not in listed]
    if missing:
        raise Inconsistent(field, missing, "every territory needs a group; these have none")
    empty = [g + 1 for g, group in enumerate(al.groups) if not group]
    if empty:
        raise Inconsistent(field, empty, "every group needs a territory; these groups have none")
    per_group = [scenario.team.reps // n_groups + (g < scenario.team.reps % n_groups)
                 for g in range(n_groups)]  # fmt: skip
    short = [g + 1 for g, group in enumerate(al.groups) if len(group) > per_group[g]]
    if short:
        raise Inconsistent(
            "team.reps",
            scenario.team.reps,
            f"groups {short} have more territories than starting reps; every territory needs a rep",
        )


def json_schema() -> str:
    """JSON Schema of scenario files, as stable, pretty-printed text."""
    import json

    return json.dumps(Scenario.model_json_schema(), indent=2, sort_keys=True) + "\n"
