"""Territory alignment: which supervisor group owns which territory, and how many of the
starting reps each group gets (F15: each group sells only in its own territories)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simsales.scenario.schema import Scenario


def largest_remainder(total: int, weights: np.ndarray, least: np.ndarray) -> np.ndarray:
    """``total`` split in proportion to ``weights``, each part at least ``least``, by the
    largest-remainder rule (ties: the lower index)."""
    parts = least.astype(np.int64).copy()
    left = total - int(parts.sum())
    if left <= 0:
        return parts
    lacking = np.maximum(total * weights / weights.sum() - parts, 0.0)  # short of the ideal
    if lacking.sum() > 0:
        share = lacking * left / lacking.sum()
    else:
        share = np.full(len(parts), left / len(parts))
    whole = np.floor(share).astype(np.int64)
    parts += whole
    order = np.lexsort((np.arange(len(parts)), -(share - whole)))
    parts[order[: left - int(whole.sum())]] += 1
    return parts


OPEN_MARKET = "Open market"


@dataclass(frozen=True)
class Layout:
    """The markets the reps work: the listed territories (exclusive), or one shared market
    of all their firms (open), with its firms-weighted grade mix and travel."""

    names: list[str]
    firms: np.ndarray
    grade_mix: list[np.ndarray | None]  # None: the scenario's leads.grade_mix
    travel: np.ndarray

    @property
    def shared(self) -> bool:
        return self.names == [OPEN_MARKET]


def layout(scenario: Scenario) -> Layout:
    """The run's markets (section 1.2 of the model card)."""
    territories = scenario.market.territories
    firms = np.array([t.firms for t in territories], dtype=np.int64)
    travel = np.array([t.travel_minutes for t in territories], dtype=float)
    default = np.asarray(scenario.leads.grade_mix.as_tuple(), dtype=float)
    mixes = [
        None if t.grade_mix is None else np.asarray(t.grade_mix.as_tuple(), dtype=float)
        for t in territories
    ]
    if scenario.market.policy == "exclusive":
        return Layout([t.name for t in territories], firms, mixes, travel)
    weight = firms / firms.sum()
    mix = sum(w * (default / default.sum() if m is None else m / m.sum())
              for w, m in zip(weight, mixes, strict=True))  # fmt: skip
    shared_mix = None if all(m is None for m in mixes) else mix
    return Layout(
        [OPEN_MARKET], firms.sum(keepdims=True), [shared_mix], np.array([weight @ travel])
    )


def align(scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """The group of each territory and the starting reps of each group.

    ``explicit``: the listed groups; reps spread evenly over groups. ``by_potential``: each
    territory, largest first, goes to the group with the fewest firms so far (ties: the
    lower group), then the reps go to groups in proportion to their firms (at least one
    per territory), so firms per rep are as even as whole reps allow.
    """
    market, n_groups, reps = scenario.market, scenario.team.supervisor_groups, scenario.team.reps
    names = [t.name for t in market.territories]
    firms = np.array([t.firms for t in market.territories], dtype=float)
    group_of = np.zeros(len(names), dtype=np.int64)
    if market.alignment.policy == "explicit":
        groups = market.alignment.groups
        assert groups is not None  # Alignment._fields_of_policy: explicit needs groups
        for g, members in enumerate(groups):
            for name in members:
                group_of[names.index(name)] = g
        per_group = np.array([reps // n_groups + (g < reps % n_groups) for g in range(n_groups)])
        return group_of, per_group
    load = np.zeros(n_groups)
    for t in np.argsort(-firms, kind="stable"):
        g = int(np.argmin(load))
        group_of[t] = g
        load[g] += firms[t]
    territories = np.bincount(group_of, minlength=n_groups)
    return group_of, largest_remainder(reps, load, territories)
