"""Section ``customers``: what becomes of a customer after signing (F8).

Optional: without it every signing is a one-off sale, as before. With it, every deal
booked is an account that pays its yearly fee on each anniversary while it stays,
renews or churns at the end of each term, may cancel within a term, and is served by a
rep whose load, or whose leaving, changes its chance to renew.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from simsales.scenario.sections.common import Inconsistent, _Strict


class Handover(_Strict):
    """What happens to the accounts of a rep who leaves."""

    to: Literal["rep", "pool"] = Field(
        description="rep: each orphaned account goes to the rep on post in its territory "
        "with the fewest accounts; pool: to a house account served by nobody in particular "
        "(renewal chance without a load effect, no renewal commission)."
    )
    after_months: int = Field(
        ge=0,
        le=12,
        description="Month closes an account stays orphaned before it is handed over (0: at "
        "the first close after the rep leaves) [months].",
    )
    orphan_renewal_penalty: float = Field(
        ge=0,
        le=1,
        description="While orphaned, an account's renewal chance is multiplied by 1 minus "
        "this [-].",
    )


class Customers(_Strict):
    """Accounts after signing: yearly fees, terms, renewals, cancellations and service load."""

    term_months: int = Field(
        ge=12,
        le=60,
        description="Contract term: a customer decides to renew or leave at the end of each "
        "term, and pays the yearly fee on every anniversary within it; a multiple of 12 "
        "[months].",
    )
    renewal_probability: float = Field(
        ge=0,
        le=1,
        description="Chance a customer renews at the end of a term when its rep serves no "
        "more than accounts_per_rep accounts [-].",
    )
    accounts_per_rep: int = Field(
        ge=1,
        le=10000,
        description="Accounts a rep serves without the renewal chance falling; above it the "
        "chance is multiplied by accounts_per_rep / accounts [accounts].",
    )
    upsell: float = Field(
        ge=-0.5,
        le=1,
        description="Change of the yearly fee at each renewal: 0.1 = the customer buys 10% "
        "more; negative = a discount to keep it [-].",
    )
    cancel_per_month: float = Field(
        ge=0,
        le=0.5,
        description="Chance an account cancels in any month of a term but an anniversary "
        "(it keeps what it paid) [1/month].",
    )
    renewal_commission_rate: float = Field(
        ge=0,
        le=1,
        description="Commission on revenue from existing customers (renewals and the "
        "yearly fees of longer terms), paid to the rep who owns the account; F8 counts new "
        "and renewing customers apart [-].",
    )
    starting_per_rep: int = Field(
        ge=0,
        le=1000,
        description="Accounts each rep on post at the start already owns, with anniversaries "
        "spread evenly over the next term [accounts].",
    )
    handover: Handover

    @model_validator(mode="after")
    def _whole_years(self) -> Customers:
        if self.term_months % 12:
            raise Inconsistent(
                "term_months",
                self.term_months,
                "allowed: 12, 24, 36, 48 or 60 (customers pay a yearly fee; a term is whole years)",
            )
        return self
