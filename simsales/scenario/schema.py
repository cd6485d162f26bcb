"""Pydantic models of a scenario file (schema version 1).

Every field carries a description with its unit; the source of every default
(an F-ID of SEED_FIGURES.md or an assumption) is written in
``scenarios/baseline.yaml`` and in the model card ``docs/model.md``.
Validation is strict: unknown keys are errors (``extra="forbid"``), numbers
are range-checked, and cross-field rules are checked in ``model_validator``s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

SCHEMA_VERSION = 1
GRADES = ("A", "B", "C", "D")


class Inconsistent(ValueError):
    """A cross-field rule failed; names the field (relative to the model checked) and value."""

    def __init__(self, field: str, value: Any, message: str):
        super().__init__(message)
        self.field = field
        self.value = value


class _Strict(BaseModel):
    # strict: a YAML `true` is not the number 1, and "64" is not 64 (ints still fill floats).
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


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
    """Headcount and structure of the sales team (fixed headcount in this version)."""

    reps: int = Field(ge=1, le=100_000, description="Reps on post [reps].")
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
        le=2,
        description="Spread of reps' skill potential: sigma of a lognormal with mean 1 [-].",
    )
    new_hire_fraction: float = Field(
        gt=0,
        le=1,
        description="Skill of a rep on the first day on post, as a share of potential [-].",
    )
    learning_per_day: float = Field(
        ge=0,
        le=1,
        description="Share of the gap to potential closed each working day by experience [1/day].",
    )


class Supervisor(_Strict):
    """Supervisors carry no accounts (F16); they make joint visits and coach."""

    joint_visits_per_day: int = Field(
        ge=0, le=20, description="Joint visits ('double calls') a supervisor makes a day [visits]."
    )
    joint_visit_close_multiplier: float = Field(
        ge=1, le=10, description="Multiplier on the close chance of a touch made jointly [-]."
    )
    joint_visit_learning: float = Field(
        ge=0, le=1, description="Share of the skill gap a joint visit closes for that rep [-]."
    )
    evening_meeting_learning_per_day: float = Field(
        ge=0,
        le=1,
        description="Share of the skill gap closed each working day by the evening meeting "
        "[1/day].",
    )


class Territory(_Strict):
    """One territory: a finite market of prospect firms."""

    name: str = Field(min_length=1, max_length=80, description="Territory name.")
    firms: int = Field(ge=1, le=100_000_000, description="Prospect firms in the territory [firms].")


class Market(_Strict):
    """Territories and how fast contacted firms can be approached again."""

    territories: list[Territory] = Field(
        min_length=1, description="Territories; supervisor groups own them round-robin."
    )
    cooling_off_days: int = Field(
        ge=1,
        le=2000,
        description="Working days before a contacted firm that did not sign can be prospected "
        "again [days].",
    )

    @model_validator(mode="after")
    def _unique_names(self) -> Market:
        names = [t.name for t in self.territories]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise Inconsistent(
                "territories", dup, "territory names must be unique; these are repeated"
            )
        return self


class GradeValues(_Strict):
    """One number per lead grade A-D (F6)."""

    A: float = Field(ge=0)
    B: float = Field(ge=0)
    C: float = Field(ge=0)
    D: float = Field(ge=0)

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
    signing_touch_shares: list[float] = Field(
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
    deal_value_mean: float = Field(gt=0, description="Mean value of a signed deal [yuan].")
    deal_value_cv: float = Field(
        ge=0, le=5, description="Coefficient of variation of deal value (lognormal) [-]."
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
        ge=1,
        le=260,
        description="Working days without a touch after which a lead leaves its owner for the "
        "public pool [days].",
    )
    pool_expiry_days: int = Field(
        ge=1,
        le=2000,
        description="Working days a pool lead waits for a claim before it is lost [days].",
    )
    pool_claims_per_rep_day: int = Field(
        ge=0, le=100, description="Pool leads a rep with spare time may claim a day [leads]."
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
        return self


class Scenario(_Strict):
    """A complete, validated scenario: everything one simulation needs."""

    schema_version: int = Field(
        ge=SCHEMA_VERSION, le=SCHEMA_VERSION, description="Scenario file format version; must be 1."
    )
    name: str = Field(min_length=1, max_length=120, description="Scenario name used in tables.")
    horizon: Horizon
    team: Team
    rep: Rep
    skill: Skill
    supervisor: Supervisor
    market: Market
    leads: Leads

    def with_overrides(self, overrides: Mapping[str, Any], source: str = "override") -> Scenario:
        """Return a copy with dotted keys replaced, e.g. ``{"team.reps": 50}``; re-validated.

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
        if self.team.reps < n_terr:
            raise Inconsistent(
                "team.reps",
                self.team.reps,
                f"must be >= {n_terr}, the number of territories: every territory needs a rep",
            )
        return self


def json_schema() -> str:
    """JSON Schema of scenario files, as stable, pretty-printed text."""
    import json

    return json.dumps(Scenario.model_json_schema(), indent=2, sort_keys=True) + "\n"
