"""Section ``behaviour``: how reps time deals for pay, and the month-end surge."""

from __future__ import annotations

from pydantic import Field

from simsales.scenario.sections.common import MONEY_MAX, _Strict


class Behaviour(_Strict):
    """How reps time deals for pay, and the month-end surge (F13, F31)."""

    gaming_share: float = Field(
        ge=0,
        le=1,
        description="Share of reps who hold or pull deals across a pay period's end when "
        "the plan pays them more for it [-].",
    )
    decision_days: int = Field(
        ge=1,
        le=31,
        description="Last working days of a commission period in which a gaming rep holds "
        "or pulls deals [days].",
    )
    min_gain: float = Field(
        ge=0,
        le=MONEY_MAX,
        description="Gain in pay, for one deal of mean value, below which a rep does not "
        "bother to time it [yuan].",
    )
    pull_days: int = Field(
        ge=0, le=60, description="How far ahead a pulling rep makes follow-ups [days]."
    )
    forecast_months: int = Field(
        ge=1,
        le=12,
        description="Months of a rep's own revenue the rep projects the rest of the period "
        "and the next one from [months].",
    )
    surge_days: int = Field(
        ge=0,
        le=31,
        description="Last working days of every month in which all reps work ahead on "
        "follow-ups due before the month's end (F13); 0 = off [days].",
    )
    surge_ahead_days: int = Field(
        ge=0, le=31, description="How far ahead a rep works in the surge [days]."
    )
