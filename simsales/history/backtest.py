"""Back-test a (fitted) scenario against a team's history: ``backtest(scenario, activities,
roster) -> Backtest`` and ``simsales backtest``.

The history's own period is simulated from its first month with the team as it stood
then (the roster history on that day: reps on post with their months on post, trainees
with their days of training, the supervisors' groups; the warm-up fills their pipelines,
people frozen) and the classes that actually started, month by month. Each month's actual
revenue, reps on post, signings, quits and dismissals are then set against the simulated
P10-P90 band: how many months fall inside (an honest model puts about 8 in 10 there), and the
mean absolute percentage error of the simulated median.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simsales.history.estimate import working_week
from simsales.metrics.catalogue import shown_in
from simsales.present.plotting import monthly_label
from simsales.scenario.schema import Scenario

# What is compared (the catalogue's view; team_month columns of the same names): revenue,
# reps on post at a month's end, deals signed, quits and dismissals.
METRICS = shown_in("backtest")
REASON = {"quits": "quit", "dismissals": "dismissed"}  # a leaver metric's leave_reason
BAND = (0.1, 0.9)
WARMUP_MONTHS = 3  # months of a history's pipelines building up before the first compared


class BacktestError(ValueError):
    """A history and scenario that cannot be back-tested together; says why."""


@dataclass
class Backtest:
    """Month-by-month actuals against the simulated band, and how well they agree."""

    months: pd.DataFrame  # metric, month, date, actual, p10, p50, p90, inside
    scenario: Scenario  # the scenario simulated (the history's team and classes)
    replications: int

    def summary(self) -> pd.DataFrame:
        """Per metric: months compared, months inside the P10-P90 band, its share, and the
        mean absolute percentage error of the simulated median."""
        rows = []
        for metric, block in self.months.groupby("metric", sort=False):
            actual = block["actual"].to_numpy(float)
            some = actual > 0
            mape = float(np.mean(np.abs(block["p50"].to_numpy(float)[some] - actual[some])
                                 / actual[some])) if some.any() else float("nan")  # fmt: skip
            rows.append({"metric": metric, "months": len(block),
                         "inside": int(block["inside"].sum()),
                         "coverage": float(block["inside"].mean()), "mape": mape})  # fmt: skip
        return pd.DataFrame(rows)

    def verdict(self) -> str:
        """The result in one plain sentence per metric."""
        lines = [f"Back-test over {self.months['month'].nunique()} months "
                 f"({self.replications} simulated runs from the team as it stood on the "
                 f"first day):"]  # fmt: skip
        for row in self.summary().to_dict("records"):
            mape = float(row["mape"])
            error = f"; the simulated median is off by {mape:.0%} on average" if (
                math.isfinite(mape)) else ""  # fmt: skip
            lines.append(f"  {monthly_label(str(row['metric']))}: the model reproduces "
                         f"{row['inside']} of {row['months']} months within its 80% "
                         f"band{error}.")  # fmt: skip
        return "\n".join(lines)

    def text(self) -> str:
        """Every month's actual against the band, then the verdict."""
        out = []
        for metric, block in self.months.groupby("metric", sort=False):
            out.append(f"{monthly_label(str(metric))}:")
            out.append(f"  {'month':<10}{'actual':>14}{'P10':>14}{'median':>14}{'P90':>14}")
            for r in block.itertuples(index=False):
                mark = "" if r.inside else "  outside"
                out.append(f"  {r.date:<10}{r.actual:>14,.0f}{r.p10:>14,.0f}{r.p50:>14,.0f}"
                           f"{r.p90:>14,.0f}{mark}")  # fmt: skip
        return "\n".join([*out, "", self.verdict()])

    def plot(self):
        """One panel per metric: the simulated P10-P90 band and median, the actual months."""
        import matplotlib.pyplot as plt
        from matplotlib.ticker import FuncFormatter

        from simsales.present.plotting import PALETTE

        fig, axes = plt.subplots(3, 2, figsize=(12, 10), sharex=True)
        for ax in axes.flat[len(METRICS) :]:
            ax.set_axis_off()
        for ax, (metric, block) in zip(axes.flat, self.months.groupby("metric", sort=False),
                                       strict=False):  # fmt: skip
            x = np.arange(len(block))
            ax.fill_between(x, block["p10"], block["p90"], color=PALETTE[0], alpha=0.25,
                            label="simulated P10-P90")  # fmt: skip
            ax.plot(x, block["p50"], color=PALETTE[0], label="simulated median")
            inside = block["inside"].to_numpy()
            ax.plot(x[inside], block["actual"][inside], "o", color=PALETTE[2], label="actual")
            ax.plot(x[~inside], block["actual"][~inside], "o", color=PALETTE[3],
                    label="actual, outside the band")  # fmt: skip
            ax.set_xticks(x, block["date"], rotation=45, fontsize="x-small")
            ax.set_title(monthly_label(str(metric)))
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        axes.flat[0].legend(frameon=False, fontsize="small")
        fig.suptitle(f"{self.scenario.name}: actual months against the simulated band "
                     f"({self.replications} runs)")  # fmt: skip
        fig.tight_layout()
        return fig


def backtest(scenario: Scenario, activities: pd.DataFrame, roster: pd.DataFrame,
             replications: int = 50, seed: int = 0, workers: int | None = None,
             start: str | None = None, progress=None, executor=None) -> Backtest:  # fmt: skip
    """Simulate the history's period from its 4th month (or ``start``, YYYY-MM) with the
    team and classes of the history, and compare month by month."""
    from simsales.experiment.runs import run

    months = _months(activities, start)
    first = pd.Timestamp(months[0] + "-01")
    sim = scenario.with_overrides(
        _team_at(scenario, roster, first) | _classes(roster, months) | {
            "horizon.start": months[0], "horizon.months": len(months),
            "horizon.warmup_months": max(scenario.horizon.warmup_months, 1),
            "changes": None, "shocks": None, "name": f"{scenario.name} back-test",
        }
    )  # fmt: skip
    tm = run(sim, replications, seed, workers, progress=progress, executor=executor).team_month
    actual = _actuals(activities, roster, months)
    rows = []
    for metric in METRICS:
        q = tm.groupby("month")[metric].quantile(np.array([BAND[0], 0.5, BAND[1]])).unstack()
        bands = q.reindex(range(1, len(months) + 1)).to_numpy(float)
        for m, label in enumerate(months, start=1):
            a = float(actual[metric].to_numpy(float)[m - 1])
            p10, p50, p90 = bands[m - 1]
            rows.append({"metric": metric, "month": m, "date": label, "actual": a,
                         "p10": p10, "p50": p50, "p90": p90,
                         "inside": p10 <= a <= p90})  # fmt: skip
    return Backtest(pd.DataFrame(rows), sim, replications)


def _months(activities: pd.DataFrame, start: str | None) -> list[str]:
    """The calendar months compared: from ``start`` (default: the WARMUP_MONTHS-th month
    after the history's first, as leads from before a history are not in it, so its
    pipelines take months to build up) to the last month the history covers to within its
    last 5 days."""
    dates = activities["date"]
    first, last = pd.Timestamp(dates.min()), pd.Timestamp(dates.max())
    begin = pd.Period(start, "M") if start else pd.Period(first, "M") + WARMUP_MONTHS
    end = pd.Period(last, "M") - int(last.days_in_month - last.day > 5)
    if begin > end:
        raise BacktestError(f"the history ({first.date()} to {last.date()}) holds no whole "
                            f"month from {begin}; a back-test needs at least one")  # fmt: skip
    return [str(p) for p in pd.period_range(begin, end, freq="M")]


def _team_at(scenario: Scenario, roster: pd.DataFrame, day: pd.Timestamp) -> dict:
    """Overrides for the team as it stood on ``day``: the roster rows of reps on post,
    trainees and supervisors, and the territories they sell in."""
    r = roster.copy()
    staying = r["leave_date"].isna() | (r["leave_date"] >= day)
    reps = r[(r["role"] == "rep") & staying & (r["on_post_date"] <= day)]
    # (a class that starts on the day itself is in the hiring plan, not here)
    trainees = r[(r["role"] == "rep") & staying & (r["hire_date"] < day)
                 & ~(r["on_post_date"] <= day)]  # fmt: skip
    groups = set(reps["group"]) | set(trainees["group"])
    bosses = r[(r["role"] == "supervisor") & r["group"].isin(groups)].drop_duplicates("group")
    missing = [g for g in sorted(groups) if g not in set(bosses["group"])]
    people: list[dict] = []
    for row in reps.to_dict("records"):
        months_on_post = (day - pd.Timestamp(row["on_post_date"])) / pd.Timedelta(days=30.4)
        people.append({"id": str(row["id"]), "role": "rep", "group": str(row["group"]),
                       "territory": _territory(row),
                       "months_on_post": round(float(months_on_post), 2)})  # fmt: skip
    week, holidays = working_week(scenario.horizon.calendar)
    days_cap = scenario.workforce.training.days - 1
    for row in trainees.to_dict("records"):
        hired = np.datetime64(pd.Timestamp(row["hire_date"]).date())
        done = int(np.busday_count(hired, np.datetime64(day.date()), weekmask=week,
                                   holidays=list(holidays)))  # fmt: skip
        people.append({"id": str(row["id"]), "role": "trainee", "group": str(row["group"]),
                       "territory": _territory(row),
                       "days_in_training": min(done, max(days_cap, 0))})  # fmt: skip
    for row in bosses.to_dict("records"):
        people.append({"id": str(row["id"]), "role": "supervisor", "group": str(row["group"])})
    for g in missing:  # a group whose supervisor the history does not list
        people.append({"id": f"supervisor of {g}", "role": "supervisor", "group": str(g)})
    if not reps.size:
        raise BacktestError(f"nobody in the roster history is on post on {day.date()}")
    used = {p["territory"] for p in people if p.get("territory")}
    known = {t.name: t for t in scenario.market.territories}
    unknown = sorted(used - set(known))
    if unknown:
        raise BacktestError(f"the roster history's territories {unknown[:5]} are not in the "
                            f"scenario's market.territories ({sorted(known)[:5]}); give a "
                            "scenario with your territories")  # fmt: skip
    territories = [known[t].model_dump(mode="json") for t in known if t in used]
    return {"team.roster": people, "team.reps": None, "team.supervisor_groups": None,
            "team.tenure_months_min": None, "team.tenure_months_max": None,
            "market.alignment": {"policy": "roster"},
            "market.territories": territories}  # fmt: skip


def _territory(row: dict) -> str:
    territory = row.get("territory")
    if territory is None or (isinstance(territory, float) and np.isnan(territory)):
        raise BacktestError(f"roster history: {row['id']} has no territory; a back-test "
                            "starts from each rep's territory")  # fmt: skip
    return str(territory)


def _classes(roster: pd.DataFrame, months: list[str]) -> dict:
    """The classes that started in the compared months, as a hiring plan."""
    hires = roster[(roster["role"] == "rep") & (roster["class"].fillna(0) > 0)]
    label = hires["hire_date"].dt.strftime("%Y-%m")
    sizes = label[label.isin(months)].value_counts()
    plan = [{"month": months.index(m) + 1, "size": int(n)} for m, n in sorted(sizes.items())]
    hiring = {"policy": "plan", "plan": plan} if plan else {"policy": "none", "plan": None}
    return {f"workforce.hiring.{k}": v for k, v in hiring.items()} | {
        f"workforce.hiring.{k}": None
        for k in ("class_size", "every_months", "target_reps", "max_class_size")
    }


def _actuals(activities: pd.DataFrame, roster: pd.DataFrame, months: list[str]) -> pd.DataFrame:
    """Each month's actual signings, revenue, reps on post at its end, quits and dismissals
    (by the month of the day after their last day, as the model counts them)."""
    signed = activities[activities["kind"] == "signed"]
    month = signed["date"].dt.strftime("%Y-%m")
    out = pd.DataFrame(index=months)
    out["signings"] = month.value_counts().reindex(months, fill_value=0)
    values = signed["deal_value"] if "deal_value" in signed else pd.Series(0.0, signed.index)
    out["revenue"] = values.groupby(month).sum().reindex(months, fill_value=0.0)
    reps = roster[roster["role"] == "rep"]
    ends = [pd.Period(m, "M").end_time.normalize() for m in months]
    out["reps_on_post"] = [int(((reps["on_post_date"] <= e)
                                & (reps["leave_date"].isna() | (reps["leave_date"] > e))).sum())
                           for e in ends]  # fmt: skip
    gone = reps.dropna(subset=["leave_date"])
    gone_month = (gone["leave_date"] + pd.Timedelta(days=1)).dt.strftime("%Y-%m")
    for metric, reason in REASON.items():
        mine = gone_month[gone["leave_reason"] == reason]
        out[metric] = mine.value_counts().reindex(months, fill_value=0)
    return out
