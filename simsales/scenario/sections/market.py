"""Section ``market``: territories, their alignment to supervisor groups, re-splits as
headcount changes, and the open market's duplicate approaches."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from simsales.scenario.sections.common import (
    MONEY_MAX,
    GradeValues,
    Inconsistent,
    _check_policy_fields,
    _Strict,
)


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

    policy: Literal["explicit", "by_potential", "roster"] = Field(
        description="explicit: groups lists each group's territories and the starting reps "
        "are spread evenly over the groups; by_potential: territories go to groups so their "
        "firms are as even as possible, and the starting reps to groups in proportion to "
        "their firms, so opportunity per rep is even; roster: groups, territories and reps "
        "as team.roster lists them (required with a roster)."
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
