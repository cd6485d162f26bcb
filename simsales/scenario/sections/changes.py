"""Section ``changes``: policy changes that take effect on a reported month.

A planner's question is "starting from today, what if we switch to plan B in April?".
Each change names the reported month it takes effect on (1 = the first reported month;
the warm-up always runs under the scenario as written, before any change) and the dotted
keys it sets, exactly as ``--set`` would. Changes add up: the scenario in force from a
change on is the one written, with every change up to and including it applied. Whether
each of those scenarios is valid is checked with the rest of the scenario
(``schema._changes_consistent``); this module holds the rules that read one change.
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field, model_validator

from simsales.scenario.sections.common import PRINTABLE, Inconsistent, _Strict

# Keys fixed for the whole run, and why: a change may set anything else. A key is fixed
# if it is one of these, lies under one, or contains one (setting a whole section).
FIXED_KEYS: dict[str, str] = {
    "schema_version": "the file format",
    "name": "the scenario's label",
    "description": "the scenario's label",
    "horizon": "the calendar of the whole run",
    "team": "the starting team",
    "market.policy": "the territory rule the run starts with",
    "market.territories": "the territories the run starts with",
    "market.alignment": "which group sells where from day 0",
    "leads.max_followups": "the touches every open lead can still have",
    "customers.starting_per_rep": "the accounts the run starts with",
    "roles": "who does what, from the starting team on",
    "changes": "the list of changes itself",
    "shocks": "the dated events, which are not policy",
}
CHANGEABLE = (
    "quota, pay, behaviour, workforce, rep, skill, supervisor, leads (but max_followups), "
    "customers (but starting_per_rep) and market.cooling_off_days, market.rebalancing, "
    "market.duplicate_*"
)


def fixed_reason(key: str) -> str | None:
    """Why ``key`` cannot change during a run, or None if a change may set it."""
    for fixed, why in FIXED_KEYS.items():
        if key == fixed or key.startswith(fixed + ".") or fixed.startswith(key + "."):
            return why
    return None


class Change(_Strict):
    """One dated change: from the first working day of ``month`` the keys of ``set`` hold."""

    # "set" is the word planners write; the attribute is ``settings`` (``set`` is a builtin).
    model_config = ConfigDict(populate_by_name=True)

    month: int = Field(
        ge=1,
        le=120,
        description="Reported month the change takes effect on, from its first working "
        "day (1 = first reported month; the warm-up never has a change) [month].",
    )
    name: str | None = Field(
        default=None,
        min_length=1,
        max_length=60,
        pattern=PRINTABLE,
        description="Label of the policy from this month on, shown in the tables "
        "(team_month.policy), on fan charts and in the report; default "
        "'change at month <month>' (1-60 characters, no control characters).",
    )
    settings: dict[str, Any] = Field(
        alias="set",
        min_length=1,
        max_length=200,
        description="Dotted keys and their new values, as for --set, e.g. "
        "{quota.revenue_per_month: 180000}. Allowed: " + CHANGEABLE + ".",
    )

    @model_validator(mode="after")
    def _changeable_keys(self) -> Change:
        for key in self.settings:
            why = fixed_reason(key)
            if why is not None:
                raise Inconsistent(
                    "set",
                    key,
                    f"cannot change during a run (it sets {why}); a change may set {CHANGEABLE}",
                )
        return self

    @property
    def label(self) -> str:
        """The name shown for the policy in force from this change on."""
        return self.name or f"change at month {self.month}"
