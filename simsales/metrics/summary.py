"""Headline metrics per replication, and their summary across replications.

Every mean comes with a 95% t-interval over replications and the replication
count; percentiles show the spread a planner should expect in a single year.
"""

from __future__ import annotations

import html
import math
import textwrap
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import ValidationError

from simsales.metrics.catalogue import metric as catalogued
from simsales.metrics.catalogue import ordered
from simsales.scenario.schema import Scenario
from simsales.scenario.shocks import shock_timings

# A lead cohort counts towards the F2 sign rate once this many months have passed since
# its entry month: a C/D lead's 11 follow-ups every 6 working days take ~66 days (< 78).
RESOLVE_MONTHS = 3
# F7 groups: touch indices (0 phone, 1 first visit, k+1 = k-th follow-up).
F7_GROUPS = {
    "phone": (0, 0),
    "first_visit": (1, 1),
    "followup_1": (2, 2),
    "followup_2": (3, 3),
    "followup_3": (4, 4),
    "followup_4_to_11": (5, 12),
}
# F7's shares of signings in those groups, in percent (they add to 101).
F7_PERCENT = {"phone": 1, "first_visit": 2, "followup_1": 3, "followup_2": 5, "followup_3": 10,
              "followup_4_to_11": 80}  # fmt: skip
KEYS = ["scenario", "replication"]
# The new-rep class metrics (F21-F26) as ratios of summed ``cohorts`` columns:
# metric -> (numerator, denominator).
CLASS_RATIOS = {
    "class_washout_of_trainees": ("washed_out", "trainees"),
    "class_trial_pass_of_reached_trial": ("on_post", "reached_trial"),
    "class_signing_rate_1m_of_on_post": ("signed_1m", "on_post"),
    "class_orders_1m_per_on_post": ("orders_1m", "on_post"),
    "class_survival_3m_of_on_post": ("survived_3m", "on_post"),
    "class_remaining_3m_of_trainees": ("survived_3m", "trainees"),
    "class_survival_12m_of_on_post": ("survived_12m", "on_post"),
    "class_remaining_12m_of_trainees": ("survived_12m", "trainees"),
    "class_earning_6m_of_on_post": ("earning_6m", "on_post"),
}


def replication_metrics(
    team_month: pd.DataFrame,
    funnel: pd.DataFrame,
    lead_cohorts: pd.DataFrame,
    cohorts: pd.DataFrame,
    days_per_month: int,
) -> pd.DataFrame:
    """One row per (scenario, replication), one column per headline metric."""
    tm = team_month.groupby(KEYS, sort=True)
    rep_months = tm["reps_on_post"].sum()
    if "working_days" in team_month:  # a calendar: months of their own working days
        rep_days = (
            (team_month["reps_on_post"] * team_month["working_days"])
            .groupby([team_month[k] for k in KEYS], sort=True)
            .sum()
        )
    else:
        rep_days = rep_months * days_per_month
    out = pd.DataFrame(
        {
            "revenue": tm["revenue"].sum(),
            "signings": tm["signings"].sum(),
            "leads_entered": tm["leads_entered"].sum(),
            "visits": tm["visits"].sum(),
            "reps_on_post": tm["reps_on_post"].mean(),
            "revenue_per_rep_month": tm["revenue"].sum() / rep_months,
            "signings_per_rep_month": tm["signings"].sum() / rep_months,
            "visits_per_rep_day": tm["visits"].sum() / rep_days,
            "followups_per_rep_day": tm["followups"].sum() / rep_days,
            "stale_to_pool": tm["stale_to_pool"].sum(),
            "pool_claims": tm["pool_claims"].sum(),
            "reclaimed_signings": tm["reclaimed_signings"].sum(),
            "duplicated_approaches": tm["duplicated_approaches"].sum(),
            "opportunity_per_rep_cv": tm["opportunity_per_rep_cv"].mean(),
            "hires": tm["hires"].sum(),
            "quits": tm["quits"].sum(),
            "dismissals": tm["dismissals"].sum(),
            "promotions": tm["promotions"].sum(),
            "supervisor_hires": tm["supervisor_hires"].sum(),
            "supervisor_groups_end": tm["supervisor_groups"].last(),
            "supervisor_quits": tm["supervisor_quits"].sum(),
            "supervisor_demotions": tm["supervisor_demotions"].sum(),
            "group_merges": tm["group_merges"].sum(),
            "vacant_groups": tm["vacant_groups"].mean(),
            "refresher_sessions": tm["refresher_sessions"].sum(),
            "manager_pay": tm["manager_pay"].sum(),
            "attainment": tm["revenue"].sum() / tm["quota"].sum(),
            "payroll": tm["payroll"].sum(),
            "commission": tm["commission"].sum(),
            "bonus": tm["bonus"].sum(),
            "fines": tm["fines"].sum(),
            "guarantee": tm["guarantee"].sum(),
            "team_bonus": tm["team_bonus"].sum(),
            "soft_target_pay": tm["soft_target_pay"].sum(),
            "draw": tm["draw"].sum(),
            "draw_recovered": tm["draw_recovered"].sum(),
            "clawback": tm["clawback"].sum(),
            "renewal_commission": tm["renewal_commission"].sum(),
            "supervisor_pay": tm["supervisor_pay"].sum(),
            "renewal_revenue": tm["renewal_revenue"].sum(),
            "recurring_revenue_end": tm["recurring_revenue"].last(),
            "customers_active_end": tm["customers_active"].last(),
            "customers_churned": tm["customers_churned"].sum(),
            "net_revenue_retention": tm["net_revenue_retention"].last(),
            "pay_per_rep_month": tm["payroll"].sum() / rep_months,
            "cost_of_sales": tm["cost_of_sales"].sum(),
            "margin": tm["margin"].sum(),
            "deals_held": tm["deals_held"].sum(),
            "revenue_held": tm["revenue_held"].sum(),
            "deals_pulled": tm["deals_pulled"].sum(),
            "month_end_signing_share": tm["signings_last_week"].sum() / tm["signings"].sum(),
        }
    )
    # Quits and dismissals of reps in their first year on post, per rep and monthly close,
    # as the chance to leave within 12 months at that rate (tables._first_year).
    with np.errstate(invalid="ignore", divide="ignore"):
        monthly = tm["first_year_leavers"].sum() / tm["first_year_at_risk"].sum()
    out["first_year_attrition"] = 1.0 - (1.0 - monthly) ** 12
    with np.errstate(invalid="ignore", divide="ignore"):  # NaN without customers
        out["renewal_rate"] = tm["renewals"].sum() / tm["renewals_due"].sum()
    # F41: share of reps on post at quota on the quota period, counted at periods' ends.
    ends = team_month[team_month["quota_period_end"]].groupby(KEYS, sort=True)
    out["share_at_quota"] = ends["reps_at_quota"].sum() / ends["reps_with_quota"].sum()
    out["f2_sign_rate"], out["f2_open_share"] = _f2(lead_cohorts, team_month["month"].max())
    by_touch = funnel.pivot_table(index=KEYS, columns="touch", values="signings", aggfunc="sum")
    total = by_touch.sum(axis=1)
    for name, (lo, hi) in F7_GROUPS.items():
        cols = [c for c in by_touch.columns if lo <= int(c) <= hi]
        out[f"f7_share_{name}"] = by_touch[cols].sum(axis=1) / total
    return out.join(_classes(cohorts, out.index))


def _classes(cohorts: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """New-hire KPIs (F21-F26) pooled over a replication's classes: each a ratio of
    summed counts, over the classes where it is known (NaN: no class, or windows not
    yet complete at the end of the run); rates over trainees (washout, trial, remaining)
    only over classes with nobody still in training or on trial, whose trainees' fate is
    known."""
    c = cohorts.assign(reached_trial=cohorts["trainees"] - cohorts["washed_out"])
    out = pd.DataFrame(index=index)
    for metric, (num, den) in CLASS_RATIOS.items():
        known = c[c[num].notna()]
        if den != "on_post":  # over trainees: only classes done with training and trial
            known = known[known["in_class"] == 0]
        g = known.groupby(KEYS, sort=True)[[num, den]].sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            out[metric] = (g[num] / g[den].where(g[den] > 0)).reindex(index)
    return out


def _f2(lead_cohorts: pd.DataFrame, last_month: int) -> tuple[pd.Series, pd.Series]:
    """F2: share of entered leads that sign, over cohorts old enough to have resolved.

    Customer referrals are left out: F2 is about leads entered under the 353 rule and
    HQ pushes; customer referrals have their own rate (F9).
    """
    lc = lead_cohorts[
        (lead_cohorts["entry_month"] <= last_month - RESOLVE_MONTHS)
        & (lead_cohorts["source"] != "customer_referral")
    ]
    g = lc.groupby(KEYS, sort=True)[["entered", "signed", "open"]].sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        return g["signed"] / g["entered"], g["open"] / g["entered"]


def mean_interval(x: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float, int]:
    """Mean, Student-t interval (NaN when fewer than 2 values) and n of the finite ``x``."""
    from scipy import stats  # slow to import; only needed here

    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    n = x.size
    mean = x.mean() if n else np.nan
    half = (
        stats.t.ppf(0.5 + confidence / 2, n - 1) * x.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
    )
    return mean, mean - half, mean + half, n


# The numbers of a summary, then what a person needs to read them (from the catalogue).
NUMERIC = ["mean", "ci_low", "ci_high", "p10", "p50", "p90", "n"]
COLUMNS = ["scenario", "metric", *NUMERIC, "group", "label", "unit"]


@dataclass(frozen=True)
class RunInfo:
    """What a scenario's replications were: the horizon and how many, with which seed."""

    months: int  # reported months (horizon.months)
    warmup_months: int
    replications: int
    seed: int | None = None
    changes: tuple[tuple[int, str], ...] = ()  # dated changes: (month, label)
    shocks: tuple[tuple[int, str], ...] = ()  # shocks: (month, label)

    @classmethod
    def of(cls, manifest: Mapping) -> RunInfo | None:
        """From a ``Results.manifest``; None when it does not say (e.g. an empty one)."""
        try:
            scenario = manifest["scenario"]
            horizon = scenario["horizon"]
            changes = tuple(
                (int(c["month"]), str(c.get("name") or f"change at month {c['month']}"))
                for c in scenario.get("changes") or []
            )
            return cls(int(horizon["months"]), int(horizon["warmup_months"]),
                       int(manifest["replications"]), manifest.get("seed"), changes,
                       shock_months(scenario))  # fmt: skip
        except (KeyError, TypeError, ValueError):
            return None

    @property
    def period(self) -> str:
        """The months simulated in words: "12 months after a 3-month warm-up"."""
        months = f"{self.months} month{'s' if self.months != 1 else ''}"
        if self.warmup_months == 0:
            return f"{months}, no warm-up"
        return f"{months} after a {self.warmup_months}-month warm-up"

    @property
    def dated(self) -> str:
        """The dated changes in words: "from month 4 under 'quota +15%'" ("" if none)."""
        return "; ".join(f"from month {m} under {label!r}" for m, label in self.changes)

    @property
    def events(self) -> str:
        """The shocks in words: "shocks: 'Canton Fair' in month 4" ("" if none)."""
        said = ", ".join(f"{label!r} in month {m}" for m, label in self.shocks)
        return f"shocks: {said}" if said else ""

    @property
    def horizon(self) -> str:
        """The period, its dated changes and shocks: "12 months after a 3-month warm-up;
        from month 4 under 'quota +15%'; shocks: 'Canton Fair' in month 4"."""
        return "; ".join(x for x in (self.period, self.dated, self.events) if x)


def shock_months(scenario: Mapping) -> tuple[tuple[int, str], ...]:
    """(reported month, label) of each shock of a dumped scenario; () if it has none or
    is not a valid scenario of this version."""
    if not scenario.get("shocks"):
        return ()
    try:
        valid = Scenario.model_validate(scenario)
    except ValidationError:
        return ()
    return tuple((t.month, t.shock.label) for t in shock_timings(valid))


def replications_phrase(info: RunInfo | None, n: int) -> tuple[str, str]:
    """What ``n`` replications are, and what one is called: ("50 simulated years",
    "years"), or ("50 simulated runs of 6 months", "runs") when the horizon is not 12
    months (the warm-up is not reported)."""
    if info is None or info.months == 12:
        return f"{n} simulated years", "years"
    return f"{n} simulated runs of {info.months} months", "runs"


def interval_sentence(info: RunInfo | None, n: int, confidence: float = 0.95) -> str:
    """What the interval and the percentiles are, e.g. "95% CI of the mean over 50
    simulated years; P10-P90: the spread of single years"."""
    runs, single = replications_phrase(info, n)
    return (
        f"{confidence * 100:g}% CI of the mean over {runs}; P10-P90: the spread of single {single}"
    )


def totals_sentence(info: RunInfo | None) -> str:
    """Over what the amounts add up."""
    over = f"the {info.months} reported months" if info else "the reported months"
    return f"Amounts are totals over {over} unless the label says per month, per day or average."


def summarize(
    metrics: pd.DataFrame,
    confidence: float = 0.95,
    runs: Mapping[str, RunInfo | None] | None = None,
) -> Summary:
    """Mean, t-interval, P10/P50/P90 and n for every metric, per scenario, with each
    metric's group, label and unit from the catalogue, in the catalogue's order.
    ``runs`` (scenario -> RunInfo) lets the summary say its horizon when shown."""
    rows = []
    names = ordered(list(metrics.columns))
    for scenario, block in metrics.groupby(level="scenario", sort=False):
        for name in names:
            x = block[name].to_numpy(dtype=float)
            mean, low, high, n = mean_interval(x, confidence)
            p10, p50, p90 = np.percentile(x[np.isfinite(x)], [10, 50, 90]) if n else (np.nan,) * 3
            m = catalogued(name)
            rows.append({"scenario": scenario, "metric": name, "mean": mean, "ci_low": low,
                         "ci_high": high, "p10": p10, "p50": p50, "p90": p90, "n": n,
                         "group": m.group, "label": m.label, "unit": unit_of(name)})  # fmt: skip
    out = Summary(pd.DataFrame(rows, columns=COLUMNS))
    out.runs = {k: v for k, v in (runs or {}).items() if v is not None}
    out.confidence = confidence
    return out


def unit_of(name: str) -> str:
    """The unit of a metric's numbers in a data frame (the catalogue's ``data_unit``):
    "yuan", "reps", ..., "share" (a fraction between 0 and 1)."""
    return catalogued(name).data_unit


class Summary(pd.DataFrame):
    """``Results.summary()``: a DataFrame (one row per scenario and metric, the columns of
    ``COLUMNS``) that shows itself as a person reads it: grouped, labelled, with units,
    money with thousands separators and shares as percentages, under a header saying the
    horizon and what the interval is. Frames derived from it keep its type; one with
    other columns (``set_index``, a selection of columns) shows as a plain DataFrame.
    See pandas' "Subclassing pandas data structures"."""

    _metadata = ["runs", "confidence"]
    runs: dict[str, RunInfo]  # scenario -> its horizon and replications
    confidence: float | None  # None: a concat of summaries at different levels

    @property
    def _constructor(self):
        return Summary

    def __finalize__(self, other, method: str | None = None, **kwargs) -> Summary:
        """Keep ``runs`` and ``confidence``; ``pd.concat`` of summaries merges their runs."""
        # pandas-stubs does not declare NDFrame.__finalize__, which pandas has and calls
        out = super().__finalize__(other, method=method, **kwargs)  # type: ignore[misc]
        parts = getattr(other, "input_objs", None)
        if parts is not None:
            runs: dict[str, RunInfo] = {}
            levels = {getattr(p, "confidence", None) for p in parts}
            for part in parts:
                runs.update(getattr(part, "runs", None) or {})
            object.__setattr__(out, "runs", runs)
            object.__setattr__(out, "confidence", levels.pop() if len(levels) == 1 else None)
        return out

    def _readable(self) -> bool:
        required = {"scenario", "metric", "mean", "ci_low", "ci_high", "p10", "p90", "n"}
        return required <= set(self.columns) <= set(COLUMNS)

    def __repr__(self) -> str:
        if not self._readable():
            return super().__repr__()
        return summary_text(self, note_all_rows=True)

    def _repr_html_(self) -> str | None:
        if not self._readable():
            # pandas-stubs does not declare DataFrame._repr_html_ (Jupyter's hook)
            return super()._repr_html_()  # type: ignore[misc]
        return summary_html(self)


@dataclass
class _Block:
    """One scenario of a summary, ready to write: header lines, rows by group, notes."""

    header: list[str]
    groups: list[tuple[str, list[list[str]]]]
    notes: list[str]


SUMMARY_HEAD = ("metric", "unit", "mean", "{level} CI", "P10", "P90")


def _blocks(
    summary: pd.DataFrame,
    imprecise: Collection[str] = (),
    note_all_rows: bool = False,
) -> list[_Block]:
    """The summary's scenarios as blocks of formatted rows, in catalogue order. Hidden: a
    metric shown only when non-zero (``only_if_any``) that is zero in every replication,
    and a metric with no value in this run (n = 0), both counted in a note."""
    runs = getattr(summary, "runs", None) or {}
    confidence = getattr(summary, "confidence", None) or 0.95
    blocks = []
    for scenario, block in summary.groupby("scenario", sort=False):
        info = runs.get(scenario)
        n = info.replications if info else int(block["n"].max())
        what = f"{info.horizon}; {n} replications" if info else f"{n} replications"
        seed = f", seed {info.seed}" if info and info.seed is not None else ""
        header = [f"scenario {scenario!r}: {what}{seed}",
                  f"{totals_sentence(info)} {interval_sentence(info, n, confidence)}."]  # fmt: skip
        groups: dict[str, list[list[str]]] = {}
        zero, unknown = 0, []
        for name in ordered(list(block["metric"])):
            row = block[block["metric"] == name].iloc[0]
            m = catalogued(name)
            if row["n"] == 0:
                if not m.only_if_any:  # else: a feature this run does not use
                    unknown.append(name)
                continue
            if m.only_if_any and _all_zero(row):
                zero += 1
                continue
            label = f"{m.label} *" if name in imprecise else m.label
            ci = (f"[{m.format(row['ci_low'])}, {m.format(row['ci_high'])}]"
                  if math.isfinite(row["ci_low"]) else "-")  # fmt: skip
            cells = [label, m.unit_label, m.format(row["mean"]), ci,
                     m.format(row["p10"]), m.format(row["p90"])]  # fmt: skip
            groups.setdefault(m.group, []).append(cells)
        blocks.append(_Block(header, list(groups.items()), _notes(zero, unknown, note_all_rows)))
    return blocks


def _all_zero(row) -> bool:
    values = [row[c] for c in ("mean", "ci_low", "ci_high", "p10", "p90")]
    return all(v == 0 for v in values if math.isfinite(v))


def _notes(zero: int, unknown: list[str], note_all_rows: bool) -> list[str]:
    notes = []
    if "f2_sign_rate" in unknown:
        notes.append(
            f"{catalogued('f2_sign_rate').label}: nan - needs lead cohorts at least "
            f"{RESOLVE_MONTHS} months old; run more than that many months"
        )
    hidden = []
    if zero:
        hidden.append(f"{zero} metric{'s' if zero != 1 else ''} zero in every replication")
    rest = len(unknown)
    if rest:
        hidden.append(f"{rest} without a value in this run (e.g. new-rep class figures "
                      "before a class completes its window)")  # fmt: skip
    if hidden:
        tail = "; the DataFrame has every row" if note_all_rows else ""
        notes.append(f"Not shown: {' and '.join(hidden)}{tail}.")
    return notes


def summary_text(
    summary: pd.DataFrame,
    precision: Mapping | None = None,
    note_all_rows: bool = False,
) -> str:
    """A summary (``summarize``) as plain text, one block per scenario: the header (the
    horizon, replications, seed and what the interval is), then per group label, unit,
    mean, CI, P10 and P90. With ``precision`` (a ``run_until_precise`` manifest entry),
    metrics whose interval is still wider than the target are marked with ``*``."""
    imprecise = set(precision["imprecise"]) if precision else set()
    level = f"{(getattr(summary, 'confidence', None) or 0.95) * 100:g}%"
    head = [h.format(level=level) for h in SUMMARY_HEAD]
    blocks = _blocks(summary, imprecise, note_all_rows)
    out = []
    for block in blocks:
        lines = [*block.header, "", *grouped_table(head, block.groups), *block.notes]
        out.append("\n".join(lines))
    text = "\n\n".join(out)
    if precision:
        target = f"95% CI half-width within {precision['target'] * 100:g}% of the mean"
        done = precision.get("replications")
        if imprecise:
            text += (f"\n* still imprecise after {done} replications (the cap): "
                     f"{target} not reached")  # fmt: skip
        else:
            labels = ", ".join(catalogued(m).label for m in precision["metrics"])
            text += f"\nprecision: {target} for {labels} after {done} replications"
    return text


# Labels longer than this wrap onto more lines, so a table fits a terminal.
LABEL_WIDTH = 58


def grouped_table(head, groups) -> list[str]:
    """Lines of a plain-text table: the column heads, then each group's name and its rows
    (label, unit, then numbers). Labels are indented under their group and wrap at
    ``LABEL_WIDTH``, the numbers on the first line; numbers are right-aligned."""
    lines_of = {}
    for _, rows in groups:
        for row in rows:
            label = textwrap.wrap(row[0], LABEL_WIDTH) or [""]
            blank = [""] * (len(row) - 1)
            lines_of[id(row)] = [[label[0], *row[1:]], *[["  " + w, *blank] for w in label[1:]]]
    every = [cells for many in lines_of.values() for cells in many]
    widths = [max(len(r[i]) for r in [head, *every]) for i in range(len(head))]
    out = [_cells_line(head, widths)]
    for group, rows in groups:
        out.append(group)
        out += [_cells_line(cells, widths) for row in rows for cells in lines_of[id(row)]]
    return out


def _cells_line(cells, widths) -> str:
    label = ("  " + cells[0]).ljust(widths[0] + 2)
    unit = cells[1].ljust(widths[1])
    numbers = [c.rjust(w) for c, w in zip(cells[2:], widths[2:], strict=True)]
    return "  ".join([label, unit, *numbers]).rstrip()


def summary_html(summary: pd.DataFrame) -> str:
    """The same view as ``summary_text``, as an HTML table for notebooks."""
    level = f"{(getattr(summary, 'confidence', None) or 0.95) * 100:g}%"
    head = [h.format(level=level) for h in SUMMARY_HEAD]
    e = html.escape
    parts = ['<div class="simsales-summary">']
    for block in _blocks(summary, note_all_rows=True):
        parts.append(f"<p><b>{e(block.header[0])}</b><br>{e(block.header[1])}</p>")
        parts.append("<table>")
        cells = "".join(f'<th style="text-align:{_align(i)}">{e(h)}</th>' for i, h in
                        enumerate(head))  # fmt: skip
        parts.append(f"<thead><tr>{cells}</tr></thead><tbody>")
        for group, rows in block.groups:
            parts.append(f'<tr><th colspan="{len(head)}" style="text-align:left">{e(group)}'
                         "</th></tr>")  # fmt: skip
            for row in rows:
                tds = "".join(f'<td style="text-align:{_align(i)}">{e(c)}</td>'
                              for i, c in enumerate(row))  # fmt: skip
                parts.append(f"<tr>{tds}</tr>")
        parts.append("</tbody></table>")
        parts += [f"<p>{e(note)}</p>" for note in block.notes]
    parts.append("</div>")
    return "\n".join(parts)


def _align(column: int) -> str:
    return "left" if column < 2 else "right"
