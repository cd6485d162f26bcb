"""Fit simsales to a team's own history: ``fit(activities, roster, base) -> Fit``.

Each identifiable parameter is estimated from the history (``simsales.history.estimate``)
with its 95% CI; the fitted scenario is the base with those values set, every other value
kept with its source. Some parameters a history shows only through the model's other
rules (``THROUGH_MODEL``): ``leads.sign_probability`` is a reference rep's chance while
the history shows the team's (docs/model.md 2.6), quits are raised by low pay, calls are
capped by the day's norm. Those are set so that the fitted team, simulated and read by the
same estimators, shows what the history shows.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from simsales.history import estimate as est
from simsales.history.estimate import Curves, Estimate
from simsales.scenario.schema import Scenario

# assumption: an estimate resting on fewer records than this keeps the base's value (a
# share from 30 records has a 95% interval about +-0.18 wide).
MIN_RECORDS = 30
SIGN_KEY = "leads.sign_probability"


@dataclass
class Fit:
    """What a history says about a team: the estimates, the fitted scenario, and what the
    fit report draws."""

    base: Scenario
    scenario: Scenario
    estimates: list[Estimate]
    used: dict[str, str]  # dotted key -> the comment written for it (fitted values)
    curves: Curves
    sources: dict[str, str]  # dotted key -> the base file's comment (where known)

    def table(self) -> pd.DataFrame:
        """One row per estimate: its key, the scenario parameter it sets, what the history
        shows (estimate, 95% CI, records, how), whether the fitted scenario uses it, the
        value in the fitted scenario (read through the model, it differs from the
        estimate) and the base's."""
        rows = []
        for e in self.estimates:
            dotted = _scenario_key(e.key)
            used = _used_key(dotted) in self.used
            rows.append({"key": e.key, "parameter": dotted, "estimate": e.value,
                         "ci_low": e.low, "ci_high": e.high, "n": e.n, "how": e.how,
                         "used": used, "fitted": _value(self.scenario, dotted),
                         "base": _value(self.base, dotted)})  # fmt: skip
        return pd.DataFrame(rows)

    def yaml_text(self) -> str:
        """The fitted scenario as a complete YAML file: every fitted value with its
        ``fitted: <estimate> [95% CI], n=<records>`` comment, every other value with the
        base's source."""
        data = self.scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
        head = [
            f"# simsales: {self.scenario.name}, fitted to a team's history "
            f"(simsales fit; base: {self.base.name}).",
            "# Values marked 'fitted:' are estimated from the history; the others are the "
            "base's, with its sources.",
        ]
        return "\n".join(head + _yaml_lines(data, (), 0, self._comment)) + "\n"

    def _comment(self, key: str) -> str | None:
        if key in self.used:
            return self.used[key]
        return self.sources.get(key)

    def report(self):
        """A figure of the fit against the history: where deals close, how long reps stay,
        deal values, and each fitted value against the base's (``fit_report``)."""
        from simsales.history.fit_report import fit_report

        return fit_report(self)

    def write(self, path: Path) -> None:
        """Write ``yaml_text()`` to ``path`` (atomically)."""
        from simsales.experiment.results import atomic_write

        text = self.yaml_text()
        atomic_write(path, lambda f: f.write(text.encode()))


# Parameters a history shows only through the model's other rules: calls capped at the
# day's norm (interest), visits cancelled on full days (bookings), HQ leads limited by the
# firms left (HQ rate), quits raised by low pay and quota pressure (quit hazards), skill
# growing in the first months (ramp), skill spread, learning and joint visits (sign
# chance). Each is set so that the fitted team, simulated and read by the same estimators,
# shows what the history shows (indirect inference): estimate key -> scenario key.
THROUGH_MODEL = {
    "leads.interested_share_of_records": "leads.interested_share_of_records",
    "leads.booked_share_of_calls": "leads.booked_share_of_calls",
    "leads.hq_leads_per_rep_day": "leads.hq_leads_per_rep_day",
    "f2": SIGN_KEY,
    "ramp": "skill.new_hire_fraction",
    "skill.potential_sigma": "skill.potential_sigma",
}
QUIT_KEY = "workforce.attrition.quit_hazard_by_year"
# Highest value each may take (the schema's bounds, or just under).
UPPER = {SIGN_KEY: 0.999, "skill.new_hire_fraction": 1.0, "skill.potential_sigma": 2.0,
         "leads.interested_share_of_records": 1.0, "leads.booked_share_of_calls": 1.0,
         "leads.hq_leads_per_rep_day": 100.0}  # fmt: skip
MAX_STEP = 2.0  # a step moves a value by at most this factor (noise in a small history)
NUDGE = 0.1  # the relative change a slope is measured over
ROUNDS = 4  # runs of the fitted team: a first step, its result, the nudge, the check


def estimates_of(activities: pd.DataFrame, roster: pd.DataFrame,
                 base: Scenario) -> tuple[list[Estimate], Curves]:  # fmt: skip
    """Every estimate a history gives, and the curves the fit report draws."""
    window = est.window_of(activities, base.horizon.calendar)
    out: list[Estimate] = []
    out += est.funnel(activities, window)
    out += est.grade_mix(activities)
    outcomes = est.lead_outcomes(activities)
    n_touches = len(base.leads.signing_touch_shares)
    odds, incidence = est.sign_odds(outcomes, window, n_touches)
    out += odds
    out += est.cadence(activities, window)
    out += est.lead_rates(activities, roster, window)
    values, deal_values = est.deal_values(activities)
    out += values
    out += est.skill_spread(outcomes, roster)
    out += est.ramp(est.touch_rows(activities, outcomes), roster)
    training = base.workforce.training
    out += est.training(roster, window, training.days, training.trial_days)
    quits, curves = est.quits(roster, window, len(base.workforce.attrition.quit_hazard_by_year))
    out += quits
    curves.close_shares = incidence / incidence.sum() if incidence.sum() > 0 else incidence
    curves.deal_values = deal_values
    return out, curves


def fit(activities: pd.DataFrame, roster: pd.DataFrame, base: Scenario,
        sources: dict[str, str] | None = None, name: str | None = None,
        replications: int = 3, seed: int = 0,
        progress: Callable[[int, int], None] | None = None) -> Fit:  # fmt: skip
    """Fit ``base`` to a history (canonical tables of ``simsales.history.formats``).

    Values the history shows directly (funnel shares after the call, grade mix, touch of
    close, loss share, cadence, deal values, washouts, trial passes) are set to their
    estimates. Those it shows only through the model's other rules (``THROUGH_MODEL`` and
    the quit hazards) are then set through the model: the fitted scenario is run
    (``replications`` histories under ``seed``) and read by the same estimators, each
    value is moved in proportion to what the history shows over what the simulation
    shows, then by a Newton step with its slope measured on common random numbers (the
    history's 95% interval is carried over by the same slope), and the result is run once
    more as a check. ``progress(done, total)`` counts the simulated histories.
    ``sources`` are the base file's comments by dotted key (``value_sources``), kept for
    the values not fitted."""
    data, curves = estimates_of(activities, roster, base)
    overrides, used = _overrides(data, base)
    name = name or f"{base.name} fitted"
    scenario = base.with_overrides({**overrides, "name": name})
    by_key = {e.key: e for e in data}
    # Quits are few: any year with a quit is read (its Poisson interval says how little).
    targets = {k: by_key[k] for k in THROUGH_MODEL
               if k in by_key and _ok(by_key[k]) and by_key[k].value > 0}  # fmt: skip
    hazards = [by_key.get(k) for k in _quit_keys(base)]
    if all(h is not None and h.n > 0 for h in hazards):
        targets.update({h.key: h for h in hazards if h is not None})
    # A first step in proportion, then a Newton step with each value's slope measured on
    # common random numbers (the same seed, every value 10% higher), then a check.
    runs = _Runs(ROUNDS * replications, progress)
    first, _ = _simulated_estimates(scenario, replications, seed, runs)
    scenario = _moved(scenario, targets, first, {}, name)
    seen, _ = _simulated_estimates(scenario, replications, seed, runs)
    values = {k: _value(scenario, _scenario_key(k)) for k in targets}
    nudged = _with_values(scenario, {k: v * (1 + NUDGE) for k, v in values.items()}, name)
    moved, _ = _simulated_estimates(nudged, replications, seed, runs)
    slopes = {}
    for k in targets:
        slope = (moved.get(k, np.nan) - seen.get(k, np.nan)) / (NUDGE * values[k])
        # Quits are few: a 10% nudge moves too few of them to measure a slope; their
        # hazards act in proportion (low pay and quota pressure multiply them).
        proportional = seen.get(k, np.nan) / values[k]
        slopes[k] = slope if k in THROUGH_MODEL and slope > 0 else proportional
    scenario = _moved(scenario, targets, seen, slopes, name)
    check, spread = _simulated_estimates(scenario, replications, seed, runs)
    said: dict[str, list[str]] = {}
    for key, e in targets.items():
        value = _value(scenario, _scenario_key(key))
        slope = slopes[key] if np.isfinite(slopes[key]) and slopes[key] > 0 else e.value / value
        low, high = _interval(e, spread.get(key, np.nan), replications)
        top = UPPER.get(_scenario_key(key), 1.0)  # the quit hazards: chances
        lo = min(max(value + (low - e.value) / slope, 0.0), top)
        hi = min(max(value + (high - e.value) / slope, 0.0), top)
        said.setdefault(_used_key(_scenario_key(key)), []).append(
            f"{_num(value)} [{_num(lo)}, {_num(hi)}] (history {_num(e.value)} "
            f"[{_num(e.low)}, {_num(e.high)}], n={e.n}; the fitted team simulated "
            f"{_num(check.get(key, float('nan')))})"
        )
    for key, parts in said.items():
        used[key] = "fitted through the model: " + "; ".join(parts)
    return Fit(base, scenario, data, used, curves, sources or {})


def _quit_keys(base: Scenario) -> list[str]:
    return [f"{QUIT_KEY}.{y}" for y in range(len(base.workforce.attrition.quit_hazard_by_year))]


def _scenario_key(key: str) -> str:
    return THROUGH_MODEL.get(key, key)


def _value(scenario: Scenario, dotted: str) -> float:
    node: object = scenario.model_dump(mode="python", by_alias=True)
    for part in dotted.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]  # type: ignore[index]
    return float(node)  # type: ignore[arg-type]


def _interval(e: Estimate, spread: float, replications: int) -> tuple[float, float]:
    """A history estimate's 95% interval for a value read through the model: from how much
    the estimate varies between simulated histories of the fitted team (``spread``, its
    standard deviation: all the randomness of a history, not only its records'), widened
    for the simulation's own noise (1 + 1/replications); the record-level interval if
    that is wider or the spread unknown."""
    if not math.isfinite(spread):
        return e.low, e.high
    half = 1.96 * spread * math.sqrt(1 + 1 / replications)
    return min(e.low, e.value - half), max(e.high, e.value + half)


class _Runs:
    """Counts the simulated histories of a fit for a progress callback (done, total)."""

    def __init__(self, total: int, progress: Callable[[int, int], None] | None):
        self.done, self.total, self.progress = 0, total, progress

    def one_more(self) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.total)


def _simulated_estimates(scenario: Scenario, replications: int, seed: int,
                         runs: _Runs) -> tuple[dict[str, float], dict[str, float]]:  # fmt: skip
    """What the estimators read in ``replications`` simulated histories of ``scenario``:
    pooled, and (two or more) the standard deviation between histories read one by one."""
    from simsales.history.export import simulated_history

    if scenario.horizon.start is None:  # a history needs dates; any month will do
        scenario = scenario.with_overrides({"horizon.start": "2000-01", "name": scenario.name})
    histories = []
    for r in range(replications):
        histories.append(simulated_history(scenario, r, seed))
        runs.one_more()
    activities = pd.concat([_prefixed(h.activities, r, ("lead_id", "rep_id"))
                            for r, h in enumerate(histories)], ignore_index=True)  # fmt: skip
    roster = pd.concat([_prefixed(h.roster, r, ("id",)) for r, h in enumerate(histories)],
                       ignore_index=True)  # fmt: skip
    found, _ = estimates_of(activities, roster, scenario)
    spread: dict[str, float] = {}
    if replications >= 2:
        each = [{e.key: e.value for e in estimates_of(h.activities, h.roster, scenario)[0]}
                for h in histories]  # fmt: skip
        spread = {k: float(np.std([d.get(k, np.nan) for d in each], ddof=1)) for k in each[0]}
    return {e.key: e.value for e in found}, spread


def _prefixed(table: pd.DataFrame, r: int, columns: tuple[str, ...]) -> pd.DataFrame:
    """Ids of replication r made distinct from other replications'."""
    out = table.copy()
    for c in columns:
        out[c] = out[c].where(out[c].isna(), f"{r}:" + out[c].astype(str))
    return out


def _with_values(scenario: Scenario, values: dict[str, float], name: str) -> Scenario:
    """``scenario`` with the values of estimate keys set (within their bounds)."""
    out: dict = {"name": name}
    hazards = list(scenario.workforce.attrition.quit_hazard_by_year)
    for key, value in values.items():
        dotted = _scenario_key(key)
        if dotted.startswith(QUIT_KEY):
            hazards[int(dotted.rsplit(".", 1)[1])] = round(min(value, 1.0), 6)
        else:
            out[dotted] = round(min(value, UPPER[dotted]), 6)
    out[QUIT_KEY] = hazards
    return scenario.with_overrides(out)


def _moved(scenario: Scenario, targets: dict[str, Estimate], seen: dict[str, float],
           slopes: dict[str, float], name: str) -> Scenario:  # fmt: skip
    """Each value moved towards what the history shows: a Newton step where its slope is
    known (and positive), else in proportion; by at most MAX_STEP."""
    values = {}
    for key, e in targets.items():
        value, now = _value(scenario, _scenario_key(key)), seen.get(key, np.nan)
        if not (math.isfinite(now) and now > 0):
            continue
        slope = slopes.get(key, np.nan)
        new = value + (e.value - now) / slope if slope > 0 else value * e.value / now
        values[key] = float(np.clip(new, value / MAX_STEP, value * MAX_STEP))
    return _with_values(scenario, values, name)


def _ok(e: Estimate | None) -> bool:
    return e is not None and e.n >= MIN_RECORDS and math.isfinite(e.value)


def _overrides(estimates: list[Estimate], base: Scenario) -> tuple[dict, dict[str, str]]:
    """The dotted keys the estimates set, and the comment of each. An estimate resting on
    fewer than MIN_RECORDS records, or without a value, leaves the base's."""
    by_key = {e.key: e for e in estimates}
    over: dict = {}
    used: dict[str, str] = {}

    def take(key: str, value, e: Estimate) -> None:
        over[key] = value
        used[key] = f"fitted: {_num(e.value)} [{_num(e.low)}, {_num(e.high)}], n={e.n}"

    simple = ["leads.interested_share_of_records", "leads.booked_share_of_calls",
              "leads.valid_share_of_first_visits", "leads.loss_share_per_followup",
              "leads.hq_leads_per_rep_day", "leads.deal_value_mean", "skill.potential_sigma",
              "workforce.training.washout_share",
              "workforce.training.trial_pass_share"]  # fmt: skip
    for key in simple:
        e = by_key.get(key)
        if e is not None and _ok(e):
            take(key, round(float(e.value), 6), e)
    cv = by_key.get("leads.deal_value_cv")
    if cv is not None and _ok(cv):
        take("leads.deal_value_cv", round(min(float(cv.value), 2.0), 6), cv)
    for g in est.GRADES:
        e = by_key.get(f"leads.grade_mix.{g}")
        if e is not None and _ok(e):
            take(f"leads.grade_mix.{g}", round(float(e.value), 6), e)
        days = by_key.get(f"leads.followup_cadence_days.{g}")
        if days is not None and _ok(days):
            take(f"leads.followup_cadence_days.{g}", max(int(round(days.value)), 1), days)
    weights = [by_key.get(f"leads.grade_sign_weight.{g}") for g in est.GRADES]
    if all(w is not None and _ok(w) and w.value > 0 for w in weights):
        for g, w in zip(est.GRADES, weights, strict=True):
            assert w is not None
            take(f"leads.grade_sign_weight.{g}", round(float(w.value), 6), w)
    shares = [by_key[f"leads.signing_touch_shares.{j}"]
              for j in range(len(base.leads.signing_touch_shares))]  # fmt: skip
    if shares[0].n >= MIN_RECORDS and all(math.isfinite(s.value) for s in shares):
        over["leads.signing_touch_shares"] = [round(float(s.value), 6) for s in shares]
        used["leads.signing_touch_shares"] = (
            "fitted: "
            + ", ".join(f"{_num(s.value)} [{_num(s.low)}, {_num(s.high)}]" for s in shares)
            + f", n={shares[0].n}"
        )
    hazards = [by_key.get(k) for k in _quit_keys(base)]
    if all(h is not None and math.isfinite(h.value) and h.n > 0 for h in hazards):
        over[QUIT_KEY] = [round(float(h.value), 6) for h in hazards if h is not None]
    return over, used


def _used_key(key: str) -> str:
    """The scenario key an estimate's value is written under (list items: the list)."""
    head, _, last = key.rpartition(".")
    return head if last.isdigit() else key


def _num(x: float) -> str:
    """A number for a comment: 4 significant digits."""
    return f"{x:.4g}" if math.isfinite(x) else "nan"


def _scalar(value) -> str:
    """A value as YAML on one line."""
    return yaml.safe_dump(value, default_flow_style=True, width=10**9, sort_keys=False,
                          allow_unicode=True).strip().removesuffix("...").strip()  # fmt: skip


def _yaml_lines(node: dict, path: tuple, indent: int, comment) -> list[str]:
    """``node`` as YAML lines, each value with its comment (``comment(dotted key)``);
    lists of scalars and of mappings on one line per item."""
    pad = "  " * indent
    lines = []
    for key, value in node.items():
        here = (*path, key)
        dotted = ".".join(map(str, here))
        note = comment(dotted)
        tail = f"  # {note}" if note else ""
        if isinstance(value, dict):
            lines.append(f"{pad}{key}:{tail}")
            lines += _yaml_lines(value, here, indent + 1, comment)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            lines.append(f"{pad}{key}:{tail}")
            lines += [f"{pad}  - {_scalar(item)}" for item in value]
        else:
            lines.append(f"{pad}{key}: {_scalar(value)}{tail}")
    return lines
