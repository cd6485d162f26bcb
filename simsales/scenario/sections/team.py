"""Sections ``team``, ``rep``, ``skill`` and ``supervisor``: the starting team, a rep's
working day and norms, rep skill, and what supervisors do."""

from __future__ import annotations

from pydantic import Field, model_validator

from simsales.scenario.sections.common import Inconsistent, _Strict


class Team(_Strict):
    """The starting team and its structure (``workforce`` changes headcount over time)."""

    reps: int = Field(ge=1, le=100_000, description="Reps on post on the first day [reps].")
    supervisor_groups: int = Field(
        ge=1,
        le=10_000,
        description="Supervisor groups; each owns one or more territories [groups].",
    )
    tenure_months_min: float = Field(
        ge=0, le=600, description="Shortest tenure on post of the starting team [months]."
    )
    tenure_months_max: float = Field(
        ge=0, le=600, description="Longest tenure on post of the starting team [months]."
    )

    @model_validator(mode="after")
    def _tenure_order(self) -> Team:
        if self.tenure_months_max < self.tenure_months_min:
            raise Inconsistent(
                "tenure_months_max",
                self.tenure_months_max,
                f"must be >= tenure_months_min ({self.tenure_months_min})",
            )
        return self


class Norms(_Strict):
    """Daily activity norm of a rep (the "353" rule, F1)."""

    visits: int = Field(ge=0, le=50, description="First visits a rep aims for each day [visits].")
    phone_appointments: int = Field(
        ge=0, le=100, description="Appointment calls to interested prospects each day [calls]."
    )
    prospect_records: int = Field(
        ge=0, le=500, description="New prospect records submitted each day [records]."
    )


class Rep(_Strict):
    """A rep's working day: capacity, norms and the time each activity takes."""

    minutes_per_day: int = Field(
        ge=60, le=960, description="Working minutes a day for visits, calls and follow-ups [min]."
    )
    norms: Norms
    visit_minutes: float = Field(
        gt=0, le=480, description="One on-site first visit, meeting plus travel [min]."
    )
    phone_minutes: float = Field(gt=0, le=120, description="One appointment call [min].")
    followup_minutes: float = Field(
        gt=0, le=480, description="One follow-up touch, any channel (call or revisit) [min]."
    )


class Skill(_Strict):
    """Rep skill: a multiplier on every close chance; 1 = an average experienced rep."""

    potential_sigma: float = Field(
        ge=0,
        le=1,
        description="Spread of reps' skill potential: sigma of a lognormal with mean 1; at "
        "most 1, where the 90th-percentile rep already has 13 times the potential of the "
        "10th [-].",
    )
    new_hire_fraction: float = Field(
        gt=0,
        le=1,
        description="Skill of a rep on the first day on post, as a share of potential [-].",
    )
    learning_per_day: float = Field(
        ge=0,
        le=0.1,
        description="Share of the gap to potential closed each working day by experience; at "
        "most 0.1, which closes 93% of it in a 26-day month [1/day].",
    )


class Supervisor(_Strict):
    """Supervisors carry no accounts (F16); they make joint visits and coach."""

    joint_visits_per_day: int = Field(
        ge=0, le=20, description="Joint visits ('double calls') a supervisor makes a day [visits]."
    )
    joint_visit_close_multiplier: float = Field(
        ge=1,
        le=3,
        description="Multiplier on the close chance of a touch made jointly; at most 3, a "
        "supervisor at the table tripling the chance [-].",
    )
    joint_visit_learning: float = Field(
        ge=0,
        le=0.5,
        description="Share of the skill gap a joint visit closes for that rep; at most half "
        "of it in one visit [-].",
    )
    evening_meeting_learning_per_day: float = Field(
        ge=0,
        le=0.1,
        description="Share of the skill gap closed each working day by the evening meeting; "
        "at most 0.1, as for learning by experience [1/day].",
    )
