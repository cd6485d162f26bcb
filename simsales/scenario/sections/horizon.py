"""Section ``horizon``: the simulated calendar."""

from __future__ import annotations

from pydantic import Field

from simsales.scenario.sections.common import _Strict


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
