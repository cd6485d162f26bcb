"""Section ``shocks``: dated one-off events that no policy decides.

A planner's year has events in it: a trade show brings a burst of leads, head office
cuts prices, recruiting is frozen for a summer, the territories are re-split, a
competitor enters a city. Each shock names when it happens, ``when`` (``from`` and
``until`` for a hiring freeze), as a reported month (1 = the first reported month; the
shock happens on its first working day) or, with ``horizon.start``, as a date
(YYYY-MM-DD: the first working day on or after it). When they fall inside the horizon,
and whether freezes overlap or territories exist, is checked with the rest of the
scenario (``schema._shocks_consistent``); this module holds the rules that read one shock.
"""

from __future__ import annotations

import datetime as dt
from abc import abstractmethod
from typing import Annotated, Literal

from pydantic import BeforeValidator, ConfigDict, Field

from simsales.scenario.sections.common import MONEY_MAX, PRINTABLE, RATIO_BOUND, _Strict

WHEN_HINT = "a reported month (1 = the first) or, with horizon.start, a date YYYY-MM-DD"


def _when(value: object) -> object:
    """A date written as text (quoted in YAML, or from --set) is a date."""
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"not a date; allowed: {WHEN_HINT}") from None
    if isinstance(value, dt.datetime):  # a date with a time of day: the day is meant
        return value.date()
    return value


# A reported month (its first working day) or a date (the first working day on or after).
When = Annotated[int | dt.date, BeforeValidator(_when)]


def when_text(when: int | dt.date) -> str:
    """``"month 4"`` or ``"2027-04-20"``."""
    return f"month {when}" if isinstance(when, int) else when.isoformat()


class _Shock(_Strict):
    name: str | None = Field(
        default=None,
        min_length=1,
        max_length=60,
        pattern=PRINTABLE,
        description="Label shown in team_month.shocks, on fan charts and in the report; "
        "default: what the shock is, e.g. 'lead burst of 400 leads' (1-60 characters).",
    )

    @property
    @abstractmethod
    def what(self) -> str:
        """What the shock is, in a few words."""

    @property
    def label(self) -> str:
        """The name shown for the shock."""
        return self.name or self.what


class LeadBurst(_Shock):
    """A trade show's leads: ``leads`` extra HQ-distributed leads (F10) on one day."""

    kind: Literal["lead_burst"]
    when: When = Field(description=f"When the leads arrive: {WHEN_HINT}.")
    leads: int = Field(ge=1, le=1_000_000, description="Leads that arrive that day [leads].")
    territories: list[str] | None = Field(
        default=None,
        min_length=1,
        max_length=1000,
        description="Territories the leads are in (market.territories names); default: "
        "every territory. They are shared in proportion to the reps on post in each that "
        "day, and go to those reps as HQ leads do (F10: grade from the territory's mix).",
    )

    @property
    def what(self) -> str:
        where = f" in {', '.join(self.territories)}" if self.territories else ""
        return f"lead burst of {self.leads:,} leads{where}"


class PriceChange(_Shock):
    """Deal values multiplied from a date on (a list-price change)."""

    kind: Literal["price_change"]
    when: When = Field(description=f"First day of the new prices: {WHEN_HINT}.")
    deal_value_multiplier: float = Field(
        gt=0,
        le=RATIO_BOUND,
        description="Factor on the value of every deal signed from that day, e.g. 0.9 for "
        "a 10% price cut; several price changes multiply [-].",
    )

    @property
    def what(self) -> str:
        return f"deal values x{self.deal_value_multiplier:g}"


class HiringFreeze(_Shock):
    """No hiring class starts between two dates."""

    # "from" is the word planners write; the attribute is ``start`` (``from`` is a keyword).
    model_config = ConfigDict(populate_by_name=True)

    kind: Literal["hiring_freeze"]
    start: When = Field(alias="from", description=f"First day of the freeze: {WHEN_HINT}.")
    until: When = Field(
        description="Last day of the freeze, included: a reported month (to its end) or a "
        "date YYYY-MM-DD."
    )

    @property
    def what(self) -> str:
        return f"hiring freeze until {when_text(self.until)}"


class TerritoryResplit(_Shock):
    """The exclusive territories are re-split once by remaining potential (as
    ``market.rebalancing`` does when it is due)."""

    kind: Literal["territory_resplit"]
    when: When = Field(description=f"Day of the re-split: {WHEN_HINT}.")
    accounts_to: Literal["new_owner", "pool"] = Field(
        default="new_owner",
        description="Where the open leads of firms that change territory go: the receiving "
        "territory's reps in turn (default), or the public pool (F11).",
    )
    cost_per_account: float = Field(
        default=0.0,
        ge=0,
        le=MONEY_MAX,
        description="Disruption cost of each open lead moved, counted in rebalancing_cost; "
        "default 0 (no cost counted) [yuan].",
    )

    @property
    def what(self) -> str:
        return "territory re-split"


class Competitor(_Shock):
    """A competitor enters named territories: every sign chance there is multiplied."""

    kind: Literal["competitor"]
    when: When = Field(description=f"Day the competitor enters: {WHEN_HINT}.")
    territories: list[str] = Field(
        min_length=1,
        max_length=1000,
        description="Territories it enters (market.territories names); territories later "
        "split off them inherit it.",
    )
    sign_multiplier: float = Field(
        ge=0,
        le=RATIO_BOUND,
        description="Factor on every sign chance of leads in those territories from that "
        "day, e.g. 0.8; several competitors multiply [-].",
    )

    @property
    def what(self) -> str:
        return (
            f"competitor in {', '.join(self.territories)} (sign chances x{self.sign_multiplier:g})"
        )


Shock = Annotated[
    LeadBurst | PriceChange | HiringFreeze | TerritoryResplit | Competitor,
    Field(discriminator="kind"),
]
# Each kind and its model: what a scenario's ``kind:`` may say.
SHOCK_KINDS = {
    "lead_burst": LeadBurst,
    "price_change": PriceChange,
    "hiring_freeze": HiringFreeze,
    "territory_resplit": TerritoryResplit,
    "competitor": Competitor,
}
