"""Reps and supervisor groups as arrays: structure, status, tenure and skill."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simsales.scenario.schema import Scenario

# Rep status codes (rep_month.status); hiring and attrition use the others.
STATUS = ("in_training", "on_trial", "on_post", "gone")
IN_TRAINING, ON_TRIAL, ON_POST, GONE = range(4)


@dataclass
class Team:
    """State of all reps; index i is rep i everywhere in the model."""

    group: np.ndarray  # supervisor group of each rep
    territory: np.ndarray  # territory each rep prospects in (one of the group's)
    status: np.ndarray
    tenure_start: np.ndarray  # working days on post at day 0
    potential: np.ndarray  # skill the rep grows towards (lognormal, mean 1)
    skill: np.ndarray  # current multiplier on close chances
    pos_in_group: np.ndarray  # rank of the rep inside its group (joint-visit rota)
    group_size: np.ndarray  # reps per group
    n_groups: int
    n_territories: int

    @property
    def n(self) -> int:
        return len(self.group)

    def on_post(self) -> np.ndarray:
        return self.status == ON_POST


def build_team(scenario: Scenario, rng: np.random.Generator) -> Team:
    """Starting team: reps spread evenly over groups, each group over its territories."""
    n = scenario.team.reps
    n_groups = scenario.team.supervisor_groups
    n_terr = len(scenario.market.territories)
    group = np.arange(n) % n_groups
    pos_in_group = np.arange(n) // n_groups
    group_size = np.bincount(group, minlength=n_groups)
    # Territory t belongs to group t % n_groups; a group's reps take its territories in turn.
    terr_of_group = [np.arange(g, n_terr, n_groups) for g in range(n_groups)]
    territory = np.array(
        [
            terr_of_group[g][p % len(terr_of_group[g])]
            for g, p in zip(group, pos_in_group, strict=True)
        ],
        dtype=np.int64,
    )
    d = scenario.horizon.days_per_month
    tenure = rng.uniform(scenario.team.tenure_months_min, scenario.team.tenure_months_max, n) * d
    sigma = scenario.skill.potential_sigma
    potential = rng.lognormal(-0.5 * sigma**2, sigma, n)  # mean 1
    skill = grown_skill(scenario, potential, tenure)
    return Team(
        group=group,
        territory=territory,
        status=np.full(n, ON_POST),
        tenure_start=np.floor(tenure).astype(np.int64),
        potential=potential,
        skill=skill,
        pos_in_group=pos_in_group,
        group_size=group_size,
        n_groups=n_groups,
        n_territories=n_terr,
    )


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
