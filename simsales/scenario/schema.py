"""Pydantic models of a scenario file (schema version 1): ``Scenario`` and the checks
that read more than one of its sections.

Each section (``horizon``, ``team``, ``market``, ``pay``, ...) is a model of its own in
``simsales.scenario.sections``, with the rules that read only that section; this module
puts the sections together into ``Scenario`` and holds every cross-section rule, in
``CROSS_SECTION_CHECKS``. Every section model and helper is re-exported here, so
``from simsales.scenario.schema import Leads`` works as before.

Every field carries a description with its unit; the source of every default
(an F-ID of docs/field_figures.md or an assumption) is written in
``scenarios/baseline.yaml`` and in the model card ``docs/model.md``.
Validation is strict: unknown keys are errors (``extra="forbid"``), numbers
are range-checked, and cross-field rules are checked in ``model_validator``s.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import Field, PrivateAttr, model_validator

from simsales.scenario.sections.behaviour import Behaviour
from simsales.scenario.sections.changes import Change
from simsales.scenario.sections.common import (
    ATTAINMENT_BAR_MAX,
    ATTAINMENT_CAP_MAX,
    ATTAINMENT_STEP_MAX,
    GRADES,
    MONEY_MAX,
    NAME_MAX,
    NAME_PATTERN,
    NAME_PUNCTUATION,
    RATIO_BOUND,
    WEIGHT_MAX,
    GradeValues,
    Inconsistent,
    Money,
    SafeName,
    Weight,
    _Strict,
    check_name,
    percentage_hint,
)
from simsales.scenario.sections.customers import Customers, Handover
from simsales.scenario.sections.horizon import Holiday, Horizon, WorkCalendar
from simsales.scenario.sections.leads import GradeDays, Leads, Seasonality
from simsales.scenario.sections.market import Alignment, Market, Rebalancing, Territory
from simsales.scenario.sections.pay import (
    Bonus,
    Clawback,
    Commission,
    Draw,
    Grade,
    Guarantee,
    Package,
    Pay,
    PricePoint,
    SoftTarget,
    StageSplit,
    TeamBonus,
    Tier,
)
from simsales.scenario.sections.quota import Quota
from simsales.scenario.sections.roles import AccountManagers, Closers, Prospectors, Roles
from simsales.scenario.sections.shocks import (
    Competitor,
    HiringFreeze,
    LeadBurst,
    PriceChange,
    Shock,
    TerritoryResplit,
    when_text,
)
from simsales.scenario.sections.team import (
    Norms,
    Rep,
    RosterPerson,
    Skill,
    Supervisor,
    SupervisorPay,
    Team,
    Turnover,
)
from simsales.scenario.sections.workforce import (
    HIRING_POLICIES,
    Attrition,
    Dismissal,
    Hiring,
    Managers,
    NewGroups,
    PlannedClass,
    Refresher,
    Training,
    Workforce,
)
from simsales.scenario.shocks import shock_timings

__all__ = [
    "ATTAINMENT_BAR_MAX",
    "ATTAINMENT_CAP_MAX",
    "ATTAINMENT_STEP_MAX",
    "CROSS_SECTION_CHECKS",
    "GRADES",
    "HIRING_POLICIES",
    "MONEY_MAX",
    "NAME_MAX",
    "NAME_PATTERN",
    "NAME_PUNCTUATION",
    "RATIO_BOUND",
    "SCHEMA_VERSION",
    "WEIGHT_MAX",
    "AccountManagers",
    "Alignment",
    "Attrition",
    "Behaviour",
    "Bonus",
    "Change",
    "Clawback",
    "Closers",
    "Commission",
    "Competitor",
    "Customers",
    "Dismissal",
    "Draw",
    "Grade",
    "GradeDays",
    "GradeValues",
    "Guarantee",
    "Handover",
    "Hiring",
    "HiringFreeze",
    "Holiday",
    "Horizon",
    "Inconsistent",
    "LeadBurst",
    "Leads",
    "Managers",
    "Market",
    "Money",
    "NewGroups",
    "Norms",
    "Package",
    "Pay",
    "PlannedClass",
    "PriceChange",
    "PricePoint",
    "Prospectors",
    "Quota",
    "Rebalancing",
    "Refresher",
    "Rep",
    "Roles",
    "RosterPerson",
    "SafeName",
    "Scenario",
    "Seasonality",
    "Shock",
    "Skill",
    "SoftTarget",
    "StageSplit",
    "Supervisor",
    "SupervisorPay",
    "Team",
    "TeamBonus",
    "Territory",
    "TerritoryResplit",
    "Tier",
    "Training",
    "Turnover",
    "Weight",
    "WorkCalendar",
    "Workforce",
    "check_name",
    "json_schema",
    "percentage_hint",
]

SCHEMA_VERSION = 1


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
    roles: Roles | None = Field(
        default=None,
        description="Optional: prospectors, closers and account managers instead of "
        "full-cycle reps; without it every rep works the whole cycle (F1-F7).",
    )
    customers: Customers | None = Field(
        default=None,
        description="Optional: accounts after signing (F8): yearly fees, terms, renewals, "
        "churn and handover; without it every signing is a one-off sale.",
    )
    changes: list[Change] | None = Field(
        default=None,
        max_length=120,
        description="Optional: policy changes that take effect on reported months, in "
        "month order (see Change); the warm-up runs under the scenario as written.",
    )
    shocks: list[Shock] | None = Field(
        default=None,
        max_length=200,
        description="Optional: dated one-off events (see LeadBurst, PriceChange, "
        "HiringFreeze, TerritoryResplit, Competitor), each at a reported month or a date.",
    )
    # (first month index, scenario in force from then on): set by _changes_consistent.
    _phases: list[tuple[int, Scenario]] = PrivateAttr(default_factory=list)

    def phases(self) -> list[tuple[int, Scenario]]:
        """The scenarios in force over the run: ``(month index, scenario)`` pairs, the
        first at month index 0 (the warm-up's first month) as written, then one per
        change from its month on (month index = warm-up months + month - 1). Each phase
        is a whole valid scenario without changes of its own."""
        return self._phases or [(0, self)]

    def policy_labels(self) -> list[str]:
        """The label of each phase: 'starting plan', then each change's label."""
        return ["starting plan"] + [c.label for c in self.changes or []]

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
    def _cross_section(self) -> Scenario:
        """Run CROSS_SECTION_CHECKS in order; the first that fails is the error."""
        for check in CROSS_SECTION_CHECKS:
            check(self)
        return self


def _groups_fit(scenario: Scenario) -> None:
    """Each group sells only in a territory of its own (F15): no more groups than territories."""
    n_terr = len(scenario.market.territories)
    if scenario.team.supervisor_groups > n_terr:
        raise Inconsistent(
            "team.supervisor_groups",
            scenario.team.supervisor_groups,
            f"more groups than the {n_terr} territories in market.territories allow; "
            f"allowed: 1..{n_terr}, each group sells only in a territory of its own (F15)",
        )


def _alignment_errors(scenario: Scenario) -> None:
    """Explicit groups must name existing territories, each exactly once, one list per
    group, and every group needs as many starting reps as it has territories."""
    al, names = scenario.market.alignment, [t.name for t in scenario.market.territories]
    n_groups = scenario.team.supervisor_groups
    if al.policy != "explicit":
        return
    groups = al.groups
    assert groups is not None  # Alignment._fields_of_policy: explicit needs groups
    field = "market.alignment.groups"
    if len(groups) != n_groups:
        raise Inconsistent(
            field,
            len(groups),
            f"needs one list per supervisor group: {n_groups} (team.supervisor_groups)",
        )
    listed = [name for group in groups for name in group]
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
    empty = [g + 1 for g, group in enumerate(groups) if not group]
    if empty:
        raise Inconsistent(field, empty, "every group needs a territory; these groups have none")
    per_group = [scenario.team.reps // n_groups + (g < scenario.team.reps % n_groups)
                 for g in range(n_groups)]  # fmt: skip
    short = [g + 1 for g, group in enumerate(groups) if len(group) > per_group[g]]
    if short:
        raise Inconsistent(
            "team.reps",
            scenario.team.reps,
            f"groups {short} have more territories than starting reps; every territory needs a rep",
        )


def _hiring_plan_within_horizon(scenario: Scenario) -> None:
    """A hiring plan's classes start in simulated months, warm-up included."""
    plan = scenario.workforce.hiring.plan or []
    first, last = 1 - scenario.horizon.warmup_months, scenario.horizon.months
    outside = [c.month for c in plan if not first <= c.month <= last]
    if outside:
        raise Inconsistent(
            "workforce.hiring.plan",
            outside,
            f"class months must lie within the horizon: {first}..{last} "
            "(1 = first reported month, warm-up months 0 and below)",
        )


def _behaviour_days_within_month(scenario: Scenario) -> None:
    """The gaming rep's decision days and the month-end surge fit in a month's working days."""
    dpm = scenario.horizon.days_per_month
    for name, least in (("decision_days", 1), ("surge_days", 0)):
        value = getattr(scenario.behaviour, name)
        if value > dpm:
            raise Inconsistent(
                f"behaviour.{name}", value, f"allowed: {least}..{dpm} (horizon.days_per_month)"
            )


def _pay_derived_quota_has_package(scenario: Scenario) -> None:
    """A pay-derived quota is a multiple of the package's target pay (F40)."""
    if scenario.quota.policy == "pay_derived" and scenario.pay.package is None:
        raise Inconsistent(
            "quota.policy", "pay_derived", "needs pay.package: the quota derives from it (F40)"
        )


def _every_territory_has_rep(scenario: Scenario) -> None:
    """The starting team has at least one rep for each territory."""
    n_terr = len(scenario.market.territories)
    if scenario.team.reps < n_terr:
        raise Inconsistent(
            "team.reps",
            scenario.team.reps,
            f"must be >= {n_terr}, the number of territories: every territory needs a rep",
        )


def _clawback_needs_customers(scenario: Scenario) -> None:
    """A clawback takes commission back when a customer churns: customers must churn."""
    if scenario.pay.clawback is not None and scenario.customers is None:
        raise Inconsistent(
            "pay.clawback", "set", "needs the customers section: without it no customer churns"
        )


def _roles_fit(scenario: Scenario) -> None:
    """Account managers own customers: they need the customers section. A role's own
    base salary replaces pay.base_per_month: not a package's fixed share."""
    roles = scenario.roles
    if roles is None:
        return
    managers = roles.account_managers
    if managers is not None and managers.share > 0 and scenario.customers is None:
        raise Inconsistent(
            "roles.account_managers", "set", "needs the customers section: they own customers"
        )
    own = [name for name in ("prospectors", "closers", "account_managers")
           if getattr(roles, name) is not None
           and getattr(roles, name).base_per_month is not None]  # fmt: skip
    if own and scenario.pay.package is not None:
        raise Inconsistent(
            f"roles.{own[0]}.base_per_month", "set", "a role's base salary needs "
            "pay.base_per_month, not pay.package: leave it out to pay the package",
        )  # fmt: skip


def _starting_book_fits(scenario: Scenario) -> None:
    """The starting customers are firms of their reps' territories: the most reps any
    territory can start with, times ``customers.starting_per_rep``, must fit in the
    smallest territory (a roster says exactly how many reps sell where)."""
    c = scenario.customers
    if c is None or c.starting_per_rep == 0:
        return
    team, territories = scenario.team, scenario.market.territories
    if team.roster is not None:
        reps = [p.territory for p in team.roster if p.role == "rep"]
        most = max(reps.count(t) for t in set(reps))
    elif scenario.market.policy == "open":
        most = team.reps  # one market all reps work
    else:
        most = -(-team.reps // team.supervisor_groups)  # a group of one territory
    smallest = min(t.firms for t in territories)
    if most * c.starting_per_rep > smallest:
        raise Inconsistent(
            "customers.starting_per_rep",
            c.starting_per_rep,
            f"a territory may start with {most} reps, and {most} x {c.starting_per_rep} "
            f"accounts are more than the {smallest:,} firms of the smallest territory; "
            f"allowed: at most {smallest // most}",
        )


def _seasons_need_dates(scenario: Scenario) -> None:
    """Seasonality is by calendar month: the horizon must say which month is which."""
    if scenario.leads.seasonality is not None and scenario.horizon.start is None:
        raise Inconsistent(
            "leads.seasonality", "set", "needs horizon.start (the month of reported month 1)"
        )


def _roster_fits(scenario: Scenario) -> None:
    """A roster goes with market.alignment roster and an exclusive market; its territories
    are the market's, each with somebody in it; its trainees are still in training."""
    roster, market = scenario.team.roster, scenario.market
    by_roster = market.alignment.policy == "roster"
    if roster is None:
        if by_roster:
            raise Inconsistent("market.alignment.policy", "roster", "needs team.roster")
        return
    if not by_roster:
        raise Inconsistent("market.alignment.policy", market.alignment.policy,
                           "with team.roster the groups and territories are the roster's: "
                           "write market.alignment: {policy: roster}")  # fmt: skip
    if market.policy != "exclusive":
        raise Inconsistent("market.policy", market.policy,
                           "a roster is for exclusive territories (F15) for now; allowed: "
                           "exclusive")  # fmt: skip
    names = [t.name for t in market.territories]
    used = {p.territory for p in roster if p.territory is not None}
    unknown = sorted(used - set(names))
    if unknown:
        raise Inconsistent(
            "team.roster", unknown[:5], f"no such territories in market.territories: {names}"
        )
    empty = [n for n in names if n not in used]
    if empty:
        raise Inconsistent("market.territories", empty[:5], "nobody in the roster sells "
                           "in these; give each a rep or remove it")  # fmt: skip
    days = scenario.workforce.training.days
    late = [p.id for p in roster if p.days_in_training is not None and p.days_in_training >= days]
    if late:
        raise Inconsistent(
            "team.roster",
            late[:5],
            f"trainees with days_in_training >= workforce.training.days ({days}): they "
            "have finished training",
        )


def _changes_consistent(scenario: Scenario) -> None:
    """Changes come in month order within the reported months; a change of a quarterly
    quota or commission starts a quarter; and each change leaves a valid scenario."""
    from simsales.scenario.changes import phase_scenarios  # builds on overrides: a cycle

    months = scenario.horizon.months
    last = 0
    changes = scenario.changes or []
    for i, change in enumerate(changes):
        field = f"changes.{i}.month"
        if change.month > months:
            raise Inconsistent(field, change.month, f"allowed: 1..{months} (horizon.months)")
        if change.month <= last:
            raise Inconsistent(
                field, change.month, f"changes must come in month order, after month {last}"
            )
        last = change.month
    scenario._phases = phase_scenarios(scenario)
    for i, change in enumerate(changes):
        before, after = scenario._phases[i][1], scenario._phases[i + 1][1]
        quarterly = "quarter" in {
            before.quota.period,
            after.quota.period,
            before.pay.commission.period,
            after.pay.commission.period,
        }
        touched = before.quota != after.quota or before.pay.commission != after.pay.commission
        if quarterly and touched and (change.month - 1) % 3:
            raise Inconsistent(
                f"changes.{i}.month",
                change.month,
                "a change of a quarterly quota or commission plan must start a quarter "
                "(months 1, 4, 7, 10, ...), so no period is judged by two plans",
            )


def _shocks_consistent(scenario: Scenario) -> None:
    """Shocks fall in the reported months (``shock_timings``); hiring freezes do not
    overlap; the territories named exist, each once, in an exclusive market; a re-split
    has territories to re-split."""
    timings = shock_timings(scenario)
    market = scenario.market
    names = [t.name for t in market.territories]
    for i, shock in enumerate(scenario.shocks or []):
        listed = getattr(shock, "territories", None)
        if listed is None and not isinstance(shock, TerritoryResplit):
            continue  # a lead burst in every territory
        field = f"shocks.{i}.territories" if listed is not None else f"shocks.{i}.kind"
        if market.policy != "exclusive":
            raise Inconsistent(field, listed or shock.kind, "an open market has one shared "
                               "territory: leave territories out; nothing to re-split")  # fmt: skip
        if listed is None:
            if len(names) < 2:
                raise Inconsistent(field, shock.kind, "needs at least two territories")
            continue
        unknown = sorted(set(listed) - set(names))
        if unknown:
            raise Inconsistent(field, unknown, f"no such territories; allowed: {names}")
        twice = sorted({t for t in listed if listed.count(t) > 1})
        if twice:
            raise Inconsistent(field, twice, "name each territory once")
    freezes = [(t.first, t.end, i) for i, t in enumerate(timings)
               if isinstance(t.shock, HiringFreeze)]  # fmt: skip
    for (_, end, i), (first, _, j) in itertools.pairwise(sorted(freezes)):
        later = timings[j].shock
        assert isinstance(later, HiringFreeze)
        if first < end:
            raise Inconsistent(f"shocks.{j}.from", when_text(later.start),
                               f"overlaps the hiring freeze shocks[{i}] "
                               f"({timings[i].shock.label!r}); merge them into one")  # fmt: skip


# Every rule that reads more than one section, in the order Scenario checks them; the first
# that fails is the error reported. A rule that reads one section only is in that section's
# model (simsales.scenario.sections).
CROSS_SECTION_CHECKS: tuple[Callable[[Scenario], None], ...] = (
    _groups_fit,
    _alignment_errors,
    _hiring_plan_within_horizon,
    _behaviour_days_within_month,
    _pay_derived_quota_has_package,
    _every_territory_has_rep,
    _roster_fits,
    _seasons_need_dates,
    _clawback_needs_customers,
    _starting_book_fits,
    _roles_fit,
    _changes_consistent,
    _shocks_consistent,
)


def json_schema() -> str:
    """JSON Schema of scenario files, as stable, pretty-printed text."""
    import json

    return json.dumps(Scenario.model_json_schema(), indent=2, sort_keys=True) + "\n"
