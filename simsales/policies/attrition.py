"""Quit policies: each rep's chance to quit at a month's close.

The model draws whether each rep quits from its own stream with these chances; the
policy only says how likely.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from simsales.scenario.schema import Attrition


@dataclass(frozen=True)
class QuitView:
    """What a quit policy may look at, per rep on post, at a month's close."""

    months_on_post: np.ndarray  # [months]
    recent_pay: np.ndarray  # mean monthly pay over the recent months [yuan]
    recent_attainment: np.ndarray  # revenue / quota over the recent months (NaN: no quota)
    base_pay: np.ndarray  # monthly base salary [yuan]


class QuitPolicy(Protocol):
    @property
    def recent_months(self) -> int:
        """Months of pay and attainment the policy looks back on."""
        ...

    def hazards(self, view: QuitView) -> np.ndarray:
        """Each rep's chance to quit this month."""
        ...


@dataclass(frozen=True)
class TenurePayPressure:
    """By year on post, times a factor that grows as recent pay falls from the
    reservation pay towards the base salary, and one that grows as recent attainment of
    quota falls below 1 (each factor 1 at or above its mark)."""

    quit_hazard_by_year: tuple[float, ...]
    reservation_pay: float
    low_pay_multiplier: float
    quota_pressure_multiplier: float
    recent_months: int

    def hazards(self, view: QuitView) -> np.ndarray:
        by_year = np.asarray(self.quit_hazard_by_year)
        year = np.minimum((view.months_on_post // 12).astype(np.int64), len(by_year) - 1)
        hazard = by_year[year]
        gap = self.reservation_pay - np.asarray(view.base_pay, dtype=float)
        gap = np.where(gap > 0, gap, np.inf)  # a base at or above the reservation pay: no gap
        shortfall = np.clip((self.reservation_pay - view.recent_pay) / gap, 0.0, 1.0)
        hazard = hazard * (1.0 + (self.low_pay_multiplier - 1.0) * shortfall)
        attainment = np.nan_to_num(view.recent_attainment, nan=1.0)
        pressure = np.clip(1.0 - attainment, 0.0, 1.0)
        hazard = hazard * (1.0 + (self.quota_pressure_multiplier - 1.0) * pressure)
        return np.minimum(hazard, 1.0)


def make_quit_policy(attrition: Attrition) -> QuitPolicy:
    """The policy object of a validated ``workforce.attrition`` section."""
    return TenurePayPressure(
        quit_hazard_by_year=tuple(attrition.quit_hazard_by_year),
        reservation_pay=attrition.reservation_pay,
        low_pay_multiplier=attrition.low_pay_multiplier,
        quota_pressure_multiplier=attrition.quota_pressure_multiplier,
        recent_months=attrition.recent_months,
    )
