"""Section ``leads``: the lead funnel from prospect records to a signed or lost lead,
follow-up cadence, referrals and the public pool."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from simsales.scenario.sections.common import (
    GRADES,
    MONEY_MAX,
    GradeValues,
    Inconsistent,
    Weight,
    _Strict,
)


class GradeDays(_Strict):
    """Working days between follow-up touches, per lead grade (F6, F12)."""

    A: int = Field(ge=1, le=260)
    B: int = Field(ge=1, le=260)
    C: int = Field(ge=1, le=260)
    D: int = Field(ge=1, le=260)

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.A, self.B, self.C, self.D)


class Seasonality(_Strict):
    """Demand by calendar month (January first): multipliers of the interested share of
    prospect records and of every touch's sign chance (1 = an average month)."""

    interest: list[float] = Field(
        min_length=12,
        max_length=12,
        description="Multiplier of leads.interested_share_of_records in each calendar "
        "month, January to December (capped so the share stays at most 1) [-].",
    )
    sign: list[float] = Field(
        min_length=12,
        max_length=12,
        description="Multiplier of every touch's sign chance in each calendar month, "
        "January to December [-].",
    )

    @model_validator(mode="after")
    def _positive(self) -> Seasonality:
        for name in ("interest", "sign"):
            values = getattr(self, name)
            bad = [v for v in values if not 0 <= v <= 5]
            if bad:
                raise Inconsistent(name, bad, "multipliers must be 0..5 (1 = an average month)")
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
    seasonality: Seasonality | None = Field(
        default=None,
        description="Demand by calendar month: multipliers of interest and sign chances, "
        "January to December (needs horizon.start); optional.",
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
