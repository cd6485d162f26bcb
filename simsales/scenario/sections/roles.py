"""Section ``roles``: hunters and farmers instead of full-cycle reps.

Optional: without it every rep works the whole cycle, from prospect records to the close
and the customer after it (the field's practice, F1-F7). With it, a share of the reps
prospects only (records, appointment calls, first visits) and hands every lead it enters
to a closer of its territory; closers work entered leads (follow-ups, HQ and referral
leads, the public pool) and do no prospecting; account managers sell nothing and own the
customers (needs ``customers``). What is left of the shares works the full cycle.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from simsales.scenario.sections.common import MONEY_MAX, Inconsistent, _Strict


class _Role(_Strict):
    """What every role has: its share of the team and, optionally, its own base salary."""

    share: float = Field(
        ge=0, le=1, description="Share of the starting team and of every class [-]."
    )
    base_per_month: float | None = Field(
        default=None,
        ge=0,
        le=MONEY_MAX,
        description="Optional: their base salary; none = pay.base_per_month [yuan/month].",
    )


class Prospectors(_Role):
    """Reps who find and qualify leads and hand them over."""

    visits: int = Field(ge=0, le=20, description="Daily norm of first visits (F1: 3) [visits].")
    phone_appointments: int = Field(
        ge=0, le=50, description="Daily norm of appointment calls (F1: 5) [calls]."
    )
    prospect_records: int = Field(
        ge=0, le=500, description="Daily norm of prospect records (F1: 30) [records]."
    )


class Closers(_Role):
    """Reps who work entered leads to the close and do no prospecting."""


class AccountManagers(_Role):
    """Staff who own and serve the customers, and sell nothing new."""

    accounts_per_manager: int = Field(
        ge=1,
        le=100_000,
        description="Accounts a manager serves before the renewal chance falls (in place of "
        "customers.accounts_per_rep) [accounts].",
    )


class Roles(_Strict):
    """Separate roles; the shares' remainder works the full cycle."""

    prospectors: Prospectors | None = Field(
        default=None, description="Optional: reps who prospect and hand leads over."
    )
    closers: Closers | None = Field(
        default=None, description="Optional: reps who close the leads handed to them."
    )
    account_managers: AccountManagers | None = Field(
        default=None, description="Optional: staff who own the customers (needs customers)."
    )

    @model_validator(mode="after")
    def _shares(self) -> Roles:
        parts = [r.share for r in (self.prospectors, self.closers, self.account_managers) if r]
        if sum(parts) > 1 + 1e-9:
            raise Inconsistent(
                "share",
                parts,
                f"the roles' shares add to {sum(parts):g}; at most 1 (the rest "
                "works the full cycle)",
            )
        if (
            self.prospectors
            and self.prospectors.share > 0
            and sum(parts) >= 1 - 1e-9
            and (not self.closers or self.closers.share == 0)
        ):
            raise Inconsistent(
                "prospectors.share", self.prospectors.share,
                "prospectors hand their leads to closers or full-cycle reps: leave a share "
                "for one of them",
            )  # fmt: skip
        return self
