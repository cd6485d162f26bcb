"""Calibrate ``leads.sign_probability`` so a scenario's team reproduces a target F2.

``sign_probability`` is the chance that an entered lead signs when worked to its
last touch by a rep of skill 1 without joint visits. A real team has skill spread,
learning, joint visits (F16) and the odd lead lost to the public pool, so its
realised sign rate differs a little. F2 is close to linear in
``sign_probability``; a secant search on common random numbers (every evaluation
uses the same seed) finds the value that hits the target in two or three steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simsales.experiment.runs import Progress, run
from simsales.metrics.summary import RESOLVE_MONTHS, summarize
from simsales.scenario.schema import Scenario

KEY = "leads.sign_probability"
# F2 counts the leads entered at least RESOLVE_MONTHS months before the last reported
# month (metrics.summary), so the horizon needs one month more than that to count any.
MIN_MONTHS = RESOLVE_MONTHS + 1


class CalibrationError(ValueError):
    """The scenario cannot be calibrated (e.g. a horizon too short for F2 to count any
    lead, or a team that signs nothing)."""


@dataclass(frozen=True)
class Calibration:
    """Result of a calibration: the value found and the F2 it gives, with its 95% CI."""

    sign_probability: float
    f2_mean: float
    f2_ci_low: float
    f2_ci_high: float
    replications: int
    steps: int

    def usage(self) -> str:
        """How to use the value found: in the scenario file, or with ``--set``."""
        value = f"{self.sign_probability:.5f}"
        return (
            f"To use it, set leads.sign_probability: {value} in your scenario file "
            f"(or add --set leads.sign_probability={value} to a command)."
        )


def realised_f2(
    scenario: Scenario,
    replications: int,
    seed: int,
    workers: int | None,
    progress: Progress | None = None,
):
    """Summary row of the realised F2 sign rate (mean, ci_low, ci_high, n)."""
    res = run(scenario, replications=replications, seed=seed, workers=workers, progress=progress)
    summary = summarize(res.metrics()[["f2_sign_rate"]])
    return summary.iloc[0]


def calibrate_sign_probability(
    scenario: Scenario,
    target: float = 0.05,
    replications: int = 60,
    seed: int = 20_260_101,
    workers: int | None = None,
    tolerance: float = 1e-4,
    max_steps: int = 6,
    progress: Progress | None = None,
) -> Calibration:
    """Find ``leads.sign_probability`` giving a realised F2 of ``target`` (F2: 1 in 20).

    ``progress(done, total)`` counts replications over the evaluations: ``total`` is
    ``max_steps`` x ``replications`` until the search ends, then the replications run."""
    if not 0 < target < 1:
        raise ValueError(f"target must be in (0, 1), got {target}")
    check_horizon(scenario)
    steps = 0
    if progress is not None:
        progress(0, max_steps * replications)

    def evaluate(sc: Scenario):
        nonlocal steps
        done = steps * replications

        def step(d: int, _total: int) -> None:
            if progress is not None:  # step is passed only with a progress callback
                progress(done + d, max_steps * replications)

        steps += 1
        f2 = realised_f2(sc, replications, seed, workers, step if progress else None)
        return _signing(f2, sc.leads.sign_probability, replications)

    p0 = scenario.leads.sign_probability
    f0 = evaluate(scenario)
    p1 = float(np.clip(p0 * target / f0["mean"], 1e-6, 0.999))
    f1 = evaluate(scenario.with_overrides({KEY: p1}))
    while abs(f1["mean"] - target) > tolerance and steps < max_steps:
        slope = (f1["mean"] - f0["mean"]) / (p1 - p0)
        if not np.isfinite(slope) or slope == 0:  # F2 did not move: no secant step to take
            break
        p0, f0 = p1, f1
        p1 = float(np.clip(p1 + (target - f1["mean"]) / slope, 1e-6, 0.999))
        f1 = evaluate(scenario.with_overrides({KEY: p1}))
    if progress is not None:
        progress(steps * replications, steps * replications)
    return Calibration(
        sign_probability=p1,
        f2_mean=float(f1["mean"]),
        f2_ci_low=float(f1["ci_low"]),
        f2_ci_high=float(f1["ci_high"]),
        replications=replications,
        steps=steps,
    )


def check_horizon(scenario: Scenario) -> None:
    """Raise CalibrationError unless ``scenario`` reports enough months for F2 to count a
    lead (``MIN_MONTHS``)."""
    months = scenario.horizon.months
    if months < MIN_MONTHS:
        raise CalibrationError(
            f"horizon.months = {months}: too short to calibrate F2, which counts only the "
            f"leads entered at least {RESOLVE_MONTHS} months before the last month (time "
            f"to resolve); needs horizon.months >= {MIN_MONTHS}, e.g. "
            f"--set horizon.months=12"
        )


def _signing(f2, sign_probability: float, replications: int):
    """``f2`` (a summary row) if its mean is a positive rate, else CalibrationError: no
    lead signed, so no sign probability can be scaled to the target."""
    if not np.isfinite(f2["mean"]) or f2["mean"] <= 0:
        raise CalibrationError(
            f"with leads.sign_probability = {sign_probability:g} the team signed no lead "
            f"counted by F2 in {replications} replications (realised F2 {f2['mean']:g}); "
            "calibrate a scenario whose team enters and signs leads"
        )
    return f2
