"""Reps and supervisor groups as arrays: structure, status, tenure and skill."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simsales.engine.calendar import Calendar
from simsales.policies.territory import align, layout
from simsales.scenario.schema import Scenario

# Rep status codes (rep_month.status).
STATUS = ("in_training", "on_trial", "on_post", "gone")
IN_TRAINING, ON_TRIAL, ON_POST, GONE = range(4)
NOT_HIRED = -1  # a slot kept for a later hire
# What a rep does (rep_month.role): the whole cycle, or one of the roles of ``roles``.
ROLES = ("full_cycle", "prospector", "closer", "account_manager")
FULL_CYCLE, PROSPECTOR, CLOSER, ACCOUNT_MANAGER = range(len(ROLES))
# Why a rep left (leave_reason).
LEAVE_REASONS = ("", "washed_out", "failed_trial", "quit", "dismissed", "promoted")
STAYED, WASHED_OUT, FAILED_TRIAL, QUIT, DISMISSED, PROMOTED = range(len(LEAVE_REASONS))
NO_DAY = np.iinfo(np.int64).max  # on_post_day / leave_day not (yet) reached
SHARED = -2  # Team.territory_group of the open market: every group's


@dataclass
class Team:
    """State of all reps, hired or still to be hired; index i is rep i everywhere.

    Arrays have one slot per rep the run can ever have (the starting team plus the most
    its hiring policy can hire); slots from ``n`` on are not hired yet. Likewise
    ``territory_group`` has a slot for every territory the run can have; groups
    ``0..n_groups-1`` and territories ``0..n_territories-1`` exist so far.
    """

    group: np.ndarray  # supervisor group of each rep
    territory: np.ndarray  # territory each rep prospects in (one of the group's)
    status: np.ndarray  # STATUS code, NOT_HIRED for an empty slot
    klass: np.ndarray  # hiring class: 1, 2, ... in order of start; 0 = the starting team
    hired_day: np.ndarray  # first day of training (starting team: on_post_day)
    on_post_day: np.ndarray  # day the rep went on post (negative: before day 0); NO_DAY
    leave_day: np.ndarray  # first day gone; NO_DAY while on the team
    leave_reason: np.ndarray  # LEAVE_REASONS code
    potential: np.ndarray  # skill the rep grows towards (lognormal)
    skill: np.ndarray  # current multiplier on close chances
    signings: np.ndarray  # signings since going on post
    role: np.ndarray  # ROLES code of each rep (FULL_CYCLE without roles)
    territory_group: np.ndarray  # group owning each territory (F15); -1: none yet; SHARED
    vacant: np.ndarray  # per group slot: its supervisor left and it is not filled yet
    merged: np.ndarray  # per group slot: merged into another group; it has no reps
    n_groups: int
    n_territories: int
    n: int  # slots in use (reps hired so far, the starting team included)

    @property
    def capacity(self) -> int:
        return len(self.group)

    def on_post(self) -> np.ndarray:
        return self.status == ON_POST

    def prospects(self) -> np.ndarray:
        """Reps whose role makes prospect records, appointment calls and first visits."""
        return (self.role == FULL_CYCLE) | (self.role == PROSPECTOR)

    def closes(self) -> np.ndarray:
        """Reps whose role works entered leads to the close (and carries a quota)."""
        return (self.role == FULL_CYCLE) | (self.role == CLOSER)

    def assign_roles(self, reps: np.ndarray, shares: np.ndarray | None) -> None:
        """Give ``reps`` (in this order) roles by ``shares`` (one per ROLES): each the role
        its territory has fewest of against its share, counting the reps of the team
        not gone (F15: every territory gets the mix). Without shares: full cycle."""
        if shares is None:
            self.role[reps] = FULL_CYCLE
            return
        active = (self.status[: self.n] != GONE) & (self.status[: self.n] >= 0)
        active[reps[reps < self.n]] = False
        counts = np.zeros((self.territory_group.size, len(ROLES)))
        np.add.at(counts, (self.territory[: self.n][active], self.role[: self.n][active]), 1)
        for r in reps:
            t = self.territory[r]
            have = counts[t]
            role = int(np.argmax(shares * (have.sum() + 1) - have))
            self.role[r] = role
            have[role] += 1

    def active_groups(self) -> int:
        """Supervisor groups that exist now (merged ones do not)."""
        return self.n_groups - int(np.count_nonzero(self.merged[: self.n_groups]))


def role_shares(scenario: Scenario) -> np.ndarray | None:
    """Share of each of ROLES among reps (``roles``); None without roles (full cycle)."""
    roles = scenario.roles
    if roles is None:
        return None
    parts = [r.share if r else 0.0
             for r in (roles.prospectors, roles.closers, roles.account_managers)]  # fmt: skip
    return np.array([max(1.0 - sum(parts), 0.0), *parts])


def build_team(
    scenario: Scenario,
    rng: np.random.Generator,
    capacity: int | None = None,
    territory_capacity: int | None = None,
) -> Team:
    """Starting team: reps over groups and territories by ``market.alignment``;
    ``capacity`` rep slots and ``territory_capacity`` territory slots in all (at least
    the starting team's and the scenario's)."""
    if scenario.team.roster is not None:
        team = _roster_team(scenario, rng, capacity, territory_capacity)
    else:
        team = _drawn_team(scenario, rng, capacity, territory_capacity)
    team.assign_roles(np.arange(team.n), role_shares(scenario))
    return team


def _drawn_team(scenario: Scenario, rng: np.random.Generator, capacity: int | None,
                territory_capacity: int | None) -> Team:  # fmt: skip
    """The starting team of ``team.reps`` reps, with tenures and skills drawn."""
    n = scenario.team.reps
    size = max(n, capacity or n)
    n_groups = scenario.team.supervisor_groups
    markets = layout(scenario)
    group_of_territory, per_group = align(scenario)
    if markets.shared:  # an open market: every group works the one shared territory
        group_of_territory = np.full(len(scenario.market.territories), SHARED)
    # Reps take the groups in turn, skipping full ones (with equal groups: rep i in group
    # i % n_groups); within its group, a group's reps take its territories in turn.
    group = np.empty(n, dtype=np.int64)
    pos_in_group = np.empty(n, dtype=np.int64)
    filled = np.zeros(n_groups, dtype=np.int64)
    i = 0
    while i < n:
        for g in range(n_groups):
            if filled[g] < per_group[g] and i < n:
                group[i], pos_in_group[i] = g, filled[g]
                filled[g] += 1
                i += 1
    terr_of_group = [
        np.zeros(1, dtype=np.int64) if markets.shared else np.flatnonzero(group_of_territory == g)
        for g in range(n_groups)
    ]
    territory = np.array(
        [
            terr_of_group[g][p % len(terr_of_group[g])]
            for g, p in zip(group, pos_in_group, strict=True)
        ],
        dtype=np.int64,
    )
    d = scenario.horizon.days_per_month
    low, high = scenario.team.tenure_months_min, scenario.team.tenure_months_max
    assert low is not None and high is not None  # Team._tenure_or_roster: no roster
    tenure = rng.uniform(low, high, n) * d
    sigma = scenario.skill.potential_sigma
    potential = rng.lognormal(-0.5 * sigma**2, sigma, n)  # mean 1
    on_post_day = -np.floor(tenure).astype(np.int64)
    skill = grown_skill(scenario, potential, tenure)
    return _team(scenario, size, territory_capacity, group_of_territory, group, territory,
                 on_post_day, potential, skill)  # fmt: skip


def _team(scenario: Scenario, size: int, territory_capacity: int | None,
          group_of_territory: np.ndarray, group: np.ndarray, territory: np.ndarray,
          on_post_day: np.ndarray, potential: np.ndarray, skill: np.ndarray) -> Team:  # fmt: skip
    """The Team of starting reps on post (one per value of the arrays) in ``size`` slots."""
    n, n_terr = group.size, len(layout(scenario).names)
    # Slots for territories added later (new groups) belong to no group yet.
    territory_group = np.full(max(n_terr, territory_capacity or n_terr), -1, dtype=np.int64)
    territory_group[:n_terr] = group_of_territory[:n_terr]

    def slots(values: np.ndarray, fill) -> np.ndarray:
        out = np.full(size, fill, dtype=np.asarray(values).dtype)
        out[:n] = values
        return out

    return Team(
        group=slots(group, 0),
        territory=slots(territory, 0),
        status=slots(np.full(n, ON_POST), NOT_HIRED),
        klass=slots(np.zeros(n, dtype=np.int64), 0),
        hired_day=slots(on_post_day, NO_DAY),
        on_post_day=slots(on_post_day, NO_DAY),
        leave_day=slots(np.full(n, NO_DAY), NO_DAY),
        leave_reason=slots(np.full(n, STAYED), STAYED),
        potential=slots(potential, 0.0),
        skill=slots(skill, 0.0),
        signings=np.zeros(size, dtype=np.int64),
        role=np.zeros(size, dtype=np.int64),
        territory_group=territory_group,
        vacant=np.zeros(territory_group.size, dtype=bool),
        merged=np.zeros(territory_group.size, dtype=bool),
        n_groups=scenario.team.supervisor_groups,
        n_territories=n_terr,
        n=n,
    )


@dataclass(frozen=True)
class RosterPlaces:
    """Where the roster's people are: group and territory index by name."""

    groups: dict[str, int]
    territories: dict[str, int]


def roster_places(scenario: Scenario) -> RosterPlaces:
    """Groups numbered in the order the roster first names them; territories as in
    ``market.territories``."""
    roster = scenario.team.roster or []
    groups = {g: i for i, g in enumerate(dict.fromkeys(p.group for p in roster))}
    names = [t.name for t in scenario.market.territories]
    return RosterPlaces(groups, {t: i for i, t in enumerate(names)})


def _roster_team(scenario: Scenario, rng: np.random.Generator, capacity: int | None,
                 territory_capacity: int | None) -> Team:  # fmt: skip
    """Today's reps from ``team.roster`` (model card 1.14), as they are on the first day
    of reported month 1: their groups and territories, months on post and skill. Skill
    stands still through the warm-up, which only fills the pipelines."""
    roster = scenario.team.roster or []
    reps = [p for p in roster if p.role == "rep"]
    where = roster_places(scenario)
    n = len(reps)
    d = scenario.horizon.days_per_month
    month_one = Calendar.from_horizon(scenario.horizon).start(scenario.horizon.warmup_months)
    group = np.array([where.groups[p.group] for p in reps], dtype=np.int64)
    territory = np.array([where.territories[str(p.territory)] for p in reps], dtype=np.int64)
    group_of_territory = np.full(len(where.territories), -1, dtype=np.int64)
    group_of_territory[territory] = group
    tenure = np.array([float(p.months_on_post or 0.0) for p in reps]) * d
    on_post_day = month_one - np.round(tenure).astype(np.int64)
    sigma = scenario.skill.potential_sigma
    drawn = rng.lognormal(-0.5 * sigma**2, sigma, n)  # mean 1; used where no skill is given
    given = np.array([np.nan if p.skill is None else p.skill for p in reps])
    # A given skill is relative to the team's average; the model's average for this team
    # is that of reps of mean potential at their tenures. The potential follows from the
    # skill and the tenure (grown_skill solved for it), so learning goes on from there.
    average = grown_skill(scenario, np.ones(n), tenure).mean()
    skill = np.where(np.isnan(given), grown_skill(scenario, drawn, tenure), given * average)
    potential = np.where(np.isnan(given), drawn, skill / grown_skill(scenario, np.ones(n), tenure))
    size = max(n, capacity or n)
    return _team(scenario, size, territory_capacity, group_of_territory, group, territory,
                 on_post_day, potential, skill)  # fmt: skip


def daily_learning_rate(scenario: Scenario) -> float:
    """Share of the skill gap closed a day by experience and the evening meeting (F17),
    plus the average joint-visit coaching (F16, F18) of a rep in a full group."""
    sup = scenario.supervisor
    group_size = scenario.team.reps / scenario.team.supervisor_groups
    joint_per_rep_day = min(1.0, sup.joint_visits_per_day / group_size)
    return (
        scenario.skill.learning_per_day
        + sup.evening_meeting_learning_per_day
        + sup.joint_visit_learning * joint_per_rep_day
    )


def grown_skill(scenario: Scenario, potential: np.ndarray, tenure_days: np.ndarray) -> np.ndarray:
    """Skill after ``tenure_days`` on post, starting at ``new_hire_fraction`` of potential."""
    start = scenario.skill.new_hire_fraction * potential
    rate = daily_learning_rate(scenario)
    return potential - (potential - start) * (1.0 - rate) ** tenure_days
