"""Section ``workforce``: hiring, training, quits, dismissals, new supervisor groups and
where a leaver's leads go."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from simsales.scenario.sections.common import (
    ATTAINMENT_BAR_MAX,
    MONEY_MAX,
    Inconsistent,
    _check_policy_fields,
    _Strict,
    _with_hint,
)


class PlannedClass(_Strict):
    """One class of a hiring plan."""

    month: int = Field(
        ge=-24,
        le=120,
        description="Month the class starts training: 1 = first reported month; 0 and "
        "below are warm-up months [month].",
    )
    size: int = Field(ge=0, le=10_000, description="Trainees in the class [reps].")


HIRING_POLICIES = ("none", "fixed_classes", "target_headcount", "backfill", "plan", "forecast")
# Fields each hiring policy needs; any other policy field given is an error, not ignored.
_HIRING_FIELDS = {
    "none": (),
    "fixed_classes": ("class_size", "every_months"),
    "target_headcount": ("target_reps", "max_class_size"),
    "backfill": ("max_class_size",),
    "plan": ("plan",),
    "forecast": ("target_reps", "max_class_size"),
}


class Hiring(_Strict):
    """How new reps are hired: one class at most per month (F27: classes about monthly)."""

    policy: Literal["none", "fixed_classes", "target_headcount", "backfill", "plan", "forecast"] = (
        Field(
            description="none: no hiring; fixed_classes: a class of class_size every "
            "every_months; target_headcount: a class that tops reps (on post and in training) "
            "up to target_reps; backfill: a class replacing last month's leavers; plan: the "
            "classes listed in plan; forecast: a class covering the quits, washouts and trial "
            "failures expected (at this scenario's rates) before it goes on post, so that "
            "target_reps are on post then."
        )
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
        description="target_headcount: reps on post, in training or on trial aimed at; "
        "forecast: reps on post aimed at [reps].",
    )
    max_class_size: int | None = Field(
        default=None,
        ge=1,
        le=10_000,
        description="target_headcount, backfill, forecast: largest class one month can train "
        "[reps].",
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


class Refresher(_Strict):
    """F27's refresher training: every ``every_days`` working days, reps on post spend
    ``minutes`` of the day in training instead of selling; each session closes a share of
    their skill gap."""

    every_days: int = Field(
        ge=1,
        le=260,
        description="Working days from one session to the next, the first on day 0 (F27: "
        "every half month, 13 of 26 working days) [days].",
    )
    minutes: float = Field(
        gt=0, le=1440, description="Working minutes a session takes off a rep's day [min]."
    )
    learning: float = Field(
        ge=0, le=0.5, description="Share of a rep's skill gap a session closes [-]."
    )
    cost_per_rep: float = Field(
        ge=0, le=MONEY_MAX, description="Cost of a session per rep who attends [yuan]."
    )


class Managers(_Strict):
    """F14's manager level above the supervisors: one manager for every
    ``groups_per_manager`` supervisor groups (rounded up), each paid ``pay_per_month``."""

    groups_per_manager: int = Field(
        ge=1, le=100, description="Supervisor groups a manager leads (span of control) [groups]."
    )
    pay_per_month: float = Field(
        ge=0, le=MONEY_MAX, description="A manager's monthly pay, in cost of sales [yuan/month]."
    )


class Workforce(_Strict):
    """Hiring, training, quits and dismissals: the team as a living population."""

    hiring: Hiring
    training: Training
    attrition: Attrition
    dismissal: Dismissal
    new_groups: NewGroups
    refresher: Refresher | None = Field(
        default=None,
        description="Optional: F27's refresher training of reps on post; none by default.",
    )
    managers: Managers | None = Field(
        default=None,
        description="Optional: F14's managers above the supervisors, in cost of sales; none by "
        "default.",
    )
    departed_pipeline: Literal["pool", "group"] = Field(
        description="Where a leaver's open leads go: the public pool (F11) or the other reps "
        "of the leaver's territory."
    )
