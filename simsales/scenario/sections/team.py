"""Sections ``team``, ``rep``, ``skill`` and ``supervisor``: the starting team, a rep's
working day and norms, rep skill, and what supervisors do."""

from __future__ import annotations

from collections import Counter
from typing import Literal

from pydantic import Field, model_validator

from simsales.scenario.sections.common import (
    MONEY_MAX,
    PRINTABLE,
    Inconsistent,
    _check_policy_fields,
    _Strict,
)

ROSTER_ROLES = ("rep", "trainee", "supervisor")
# What each role's row needs, and may not have (a value given for another role is an
# error, never ignored).
_ROSTER_FIELDS = {
    "rep": ("territory", "months_on_post"),
    "trainee": ("territory", "days_in_training"),
    "supervisor": (),
}
_ROSTER_OPTIONAL = {"rep": ("skill",), "trainee": (), "supervisor": ()}


class RosterPerson(_Strict):
    """One person of today's team (a row of the roster file, ``team.roster``)."""

    id: str = Field(min_length=1, max_length=60, pattern=PRINTABLE,
                    description="The person's id in your HR system; unique.")  # fmt: skip
    role: Literal["rep", "trainee", "supervisor"] = Field(
        description="rep: on post and selling; trainee: in new-hire training (F20); "
        "supervisor: leads a group (F14), one per group."
    )
    group: str = Field(min_length=1, max_length=60, pattern=PRINTABLE,
                       description="The supervisor group the person belongs to (F15).")  # fmt: skip
    territory: str | None = Field(
        default=None,
        max_length=120,
        description="rep, trainee: the territory (a market.territories name) the person "
        "sells in; a territory belongs to one group.",
    )
    months_on_post: float | None = Field(
        default=None,
        ge=0,
        le=600,
        description="rep: months on post (after training and trial) on the first day of "
        "reported month 1 [months].",
    )
    days_in_training: int | None = Field(
        default=None,
        ge=0,
        le=365,
        description="trainee: working days of training done by the first day of reported "
        "month 1 (less than workforce.training.days) [days].",
    )
    skill: float | None = Field(
        default=None,
        gt=0,
        le=10,
        description="rep, optional: sign rate relative to the team's average (1 = average), "
        "e.g. the last 6 months' signings per entered lead over the team's; without it the "
        "skill is drawn as for the synthetic team [-].",
    )

    @model_validator(mode="after")
    def _fields_of_role(self) -> RosterPerson:
        needed, optional = _ROSTER_FIELDS[self.role], _ROSTER_OPTIONAL[self.role]
        for name in ("territory", "months_on_post", "days_in_training", "skill"):
            value = getattr(self, name)
            if name in needed and value is None:
                raise Inconsistent(name, None, f"a {self.role} needs {name}")
            if name not in needed and name not in optional and value is not None:
                raise Inconsistent(name, value, f"a {self.role} has no {name}; leave it empty")
        return self


class Team(_Strict):
    """The starting team and its structure (``workforce`` changes headcount over time)."""

    reps: int = Field(
        ge=1,
        le=100_000,
        description="Reps on post on the first day; with a roster its reps, and may be "
        "left out [reps].",
    )
    supervisor_groups: int = Field(
        ge=1,
        le=10_000,
        description="Supervisor groups; each owns one or more territories; with a roster "
        "its groups, and may be left out [groups].",
    )
    tenure_months_min: float | None = Field(
        default=None,
        ge=0,
        le=600,
        description="Shortest tenure on post of the starting team; not with a roster [months].",
    )
    tenure_months_max: float | None = Field(
        default=None,
        ge=0,
        le=600,
        description="Longest tenure on post of the starting team; not with a roster [months].",
    )
    roster: list[RosterPerson] | None = Field(
        default=None,
        max_length=200_000,
        description="Today's team from a roster file, one person per row of a CSV file (the "
        "path, relative to the scenario file, in YAML): reps, trainees and supervisors with "
        "their groups, territories and tenure; the run starts from it (docs/model.md 1.14). "
        "Optional.",
    )

    @model_validator(mode="after")
    def _tenure_or_roster(self) -> Team:
        tenure = {"tenure_months_min": self.tenure_months_min,
                  "tenure_months_max": self.tenure_months_max}  # fmt: skip
        if self.roster is None:
            for name, value in tenure.items():
                if value is None:
                    raise Inconsistent(name, None, "needed for a synthetic starting team "
                                       "(or give team.roster)")  # fmt: skip
            if self.tenure_months_max < self.tenure_months_min:  # type: ignore[operator]
                raise Inconsistent(
                    "tenure_months_max",
                    self.tenure_months_max,
                    f"must be >= tenure_months_min ({self.tenure_months_min})",
                )
            return self
        for name, value in tenure.items():
            if value is not None:
                raise Inconsistent(name, value, "the roster gives each rep's months on post; "
                                   f"remove it (write {name}: null to drop a base's)")  # fmt: skip
        _check_roster(self.roster, self.reps, self.supervisor_groups)
        return self


def _check_roster(roster: list[RosterPerson], reps: int, n_groups: int) -> None:
    """Unique ids; reps and groups as counted; one supervisor per group, a territory in one
    group only, and every group with a rep."""
    twice = sorted(i for i, n in Counter(p.id for p in roster).items() if n > 1)
    if twice:
        raise Inconsistent("roster", twice[:5], "ids must be unique; these repeat")
    counted = sum(p.role == "rep" for p in roster)
    if reps != counted:
        raise Inconsistent("reps", reps, f"the roster has {counted} reps (leave reps out)")
    groups = list(dict.fromkeys(p.group for p in roster))
    if n_groups != len(groups):
        raise Inconsistent("supervisor_groups", n_groups,
                           f"the roster has {len(groups)} groups (leave it out)")  # fmt: skip
    bosses = [p.group for p in roster if p.role == "supervisor"]
    for g in groups:
        if bosses.count(g) != 1:
            raise Inconsistent("roster", g, f"group {g!r} has {bosses.count(g)} supervisors; "
                               "each group has exactly one (F14)")  # fmt: skip
        if not any(p.role == "rep" and p.group == g for p in roster):
            raise Inconsistent("roster", g, f"group {g!r} has no rep on post")
    owner: dict[str, str] = {}
    for p in roster:
        if p.territory is not None and owner.setdefault(p.territory, p.group) != p.group:
            raise Inconsistent("roster", p.territory, f"territory {p.territory!r} is in groups "
                               f"{owner[p.territory]!r} and {p.group!r}; a territory belongs "
                               "to one group (F15)")  # fmt: skip


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


class SupervisorPay(_Strict):
    """What a supervisor costs a month: a base and an override on their group's revenue."""

    base_per_month: float = Field(
        ge=0, le=MONEY_MAX, description="Monthly base pay of a supervisor [yuan/month]."
    )
    override_rate: float = Field(
        ge=0,
        le=0.2,
        description="Share of the group's revenue paid to its supervisor; at most 20% [-].",
    )


class Turnover(_Strict):
    """Supervisors as people: they quit, and F29's review demotes one whose group misses
    its quota; a vacant group has no joint visits or evening meeting until it is filled."""

    quit_per_month: float = Field(
        ge=0, le=0.5, description="Chance a supervisor quits at a month's close [1/month]."
    )
    demote_below: float | None = Field(
        default=None,
        gt=0,
        le=1.5,
        description="Optional: a supervisor whose group's attainment (revenue / quota) is "
        "under this for demote_after_quarters quarters in a row goes back to selling in "
        "the group (F29: missing 40% of quota, 0.6) [-].",
    )
    demote_after_quarters: int = Field(
        default=3, ge=1, le=8, description="Quarters in a row under demote_below (F29: 3)."
    )
    fill: Literal["promote", "hire", "merge"] = Field(
        description="How a vacant group is filled: promote its top rep at once; hire a "
        "supervisor after hire_months (vacant meanwhile); or merge the group into the group "
        "with the fewest reps on post, territories and all."
    )
    hire_months: int | None = Field(
        default=None,
        ge=0,
        le=12,
        description="hire: month closes the group stays vacant (0: filled the day it falls "
        "vacant) [months].",
    )
    cost_per_hire: float | None = Field(
        default=None, ge=0, le=MONEY_MAX, description="hire: recruiting cost [yuan]."
    )

    @model_validator(mode="after")
    def _fields_of_fill(self) -> Turnover:
        needed = ("hire_months", "cost_per_hire") if self.fill == "hire" else ()
        _check_policy_fields(self, "fill", self.fill, needed, ("hire_months", "cost_per_hire"))
        return self


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
    pay: SupervisorPay | None = Field(
        default=None,
        description="Optional: supervisors' pay, in cost of sales and margin; none by "
        "default (supervisors' pay is then left out).",
    )
    turnover: Turnover | None = Field(
        default=None,
        description="Optional: supervisors quit and may be demoted (F29), and vacant groups "
        "are filled or merged; none by default (supervisors stay).",
    )
