"""Golden tables: every bundled scenario's results, pinned.

For each scenario in ``scenarios/`` (short horizon, few replications, one seed), and for
a few stress cases that run the model's rare branches every day, the
golden file ``tests/golden/<scenario>.json`` holds the summary of every headline metric
and, per result table, its shape, columns and a SHA-256 checksum. ``test_golden.py``
recomputes them and compares exactly, so no number can move unnoticed.

A change that moves numbers on purpose regenerates the files in a commit of its own
that says what moved, by how much and why::

    .venv/bin/python -m tests.golden_tables          # rewrite tests/golden/*.json
    .venv/bin/python -m tests.golden_tables --diff   # only say what moved

Floats are written with 12 significant digits: far finer than any change of the model,
coarse enough that the last bit of a libm function on another machine does not count.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from pathlib import Path

import pandas as pd

import simsales
from simsales.experiment.results import TABLES

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden"
SEED = 2026
REPLICATIONS = 2
DIGITS = 12
# Short horizons keep the whole set to a few seconds; the trainer's class needs 8 months
# for its 3-month survival to be known (a month of recruiting, 27 days of training, trial),
# the year with shocks its 12 months for all five to happen, and the customers 12 months
# after the warm-up for a net revenue retention.
HORIZON = {"horizon.months": 6, "horizon.warmup_months": 1}
LONGER = {"trainer_class": {"horizon.months": 8}, "shocks_2027": {"horizon.months": 12},
          "customers_renewals": {"horizon.months": 13}}  # fmt: skip
# Stress cases: the baseline pushed where rare branches of the model run every day, so a
# change to them moves a golden number (the bundled scenarios meet them too seldom for a
# few short replications to notice). By case name: its scenario file and overrides.
STRESS = {
    # Strong closers: joint visits on most touches at three times the close chance, a wide
    # spread of skill and many customer referrals, so sign chances hit their caps (2.6).
    "stress_strong_closers": ("baseline.yaml", {
        "supervisor.joint_visits_per_day": 8,
        "supervisor.joint_visit_close_multiplier": 3.0,
        "skill.potential_sigma": 0.5,
        "leads.customer_referrals_per_signing": 1.0,
    }),
    # A crowded market: small territories run dry and cool off, leads go stale fast and the
    # public pool is claimed and reclaimed, with F31 pay and gaming reps.
    "stress_crowded_market": ("commission_gold_silver_bronze.yaml", {
        "market.territories": [{"name": f"T{i + 1}", "firms": 2500} for i in range(8)],
        "leads.followup_cadence_days": {"A": 2, "B": 2, "C": 3, "D": 3},
        "leads.stale_after_days": 3,
        "leads.pool_claims_per_rep_day": 5,
    }),
    # Churn everywhere: customers who cancel and renew often, with a clawback and a
    # recoverable draw; supervisors who quit, are demoted every quarter and whose groups
    # merge; refresher sessions every week.
    "stress_churn": ("pay_clawback.yaml", {
        "customers.cancel_per_month": 0.1,
        "customers.accounts_per_rep": 15,
        "customers.handover": {"to": "rep", "after_months": 0, "orphan_renewal_penalty": 0.5},
        "pay.draw": {"per_month": 3000, "months": 3, "recoverable": True},
        "supervisor.turnover": {"quit_per_month": 0.2, "demote_below": 1.1,
                                "demote_after_quarters": 1, "fill": "merge"},
        "workforce.refresher": {"every_days": 6, "minutes": 60, "learning": 0.01,
                                "cost_per_rep": 50},
    }),
}  # fmt: skip


def scenario_files() -> list[Path]:
    """Every bundled scenario file."""
    return sorted((ROOT / "scenarios").glob("*.yaml"))


def cases() -> list[str]:
    """Every golden case: the bundled scenarios, then the stress cases."""
    return [p.stem for p in scenario_files()] + list(STRESS)


def _number(x) -> str:
    x = float(x)
    return "nan" if math.isnan(x) else f"{x:.{DIGITS}g}"


def _checksum(df: pd.DataFrame) -> str:
    text = df.to_csv(index=False, float_format=f"%.{DIGITS}g", lineterminator="\n")
    return hashlib.sha256(text.encode()).hexdigest()


def golden_of(name: str) -> dict:
    """The golden record of one case (a bundled scenario's name or a stress case): its
    summary and its tables' checksums."""
    file, extra = STRESS.get(name, (f"{name}.yaml", {}))
    path = ROOT / "scenarios" / file
    overrides = {**HORIZON, **LONGER.get(name, {}), **extra}
    sc = simsales.load_scenario(path).with_overrides({**overrides, "name": name})
    res = simsales.run(sc, replications=REPLICATIONS, seed=SEED, workers=1)
    summary = {
        row["metric"]: {k: _number(row[k]) for k in ("mean", "ci_low", "ci_high", "p10", "p90")}
        | {"n": int(row["n"])}
        for row in res.summary().to_dict("records")
    }
    tables = {
        t: {
            "rows": len(getattr(res, t)),
            "columns": list(getattr(res, t).columns),
            "sha256": _checksum(getattr(res, t)),
        }
        for t in TABLES
    }
    return {
        "scenario": str(path.relative_to(ROOT)),
        "overrides": overrides,
        "seed": SEED,
        "replications": REPLICATIONS,
        "summary": summary,
        "tables": tables,
    }


def differences(old: dict, new: dict) -> list[str]:
    """What moved between two golden records, one line each (empty: identical)."""
    lines = []
    for metric in sorted(set(old["summary"]) | set(new["summary"])):
        a, b = old["summary"].get(metric), new["summary"].get(metric)
        if a is None or b is None:
            lines.append(f"metric {metric}: {'added' if a is None else 'removed'}")
        elif a != b:
            moved = [f"{k} {a[k]} -> {b[k]}" for k in a if a[k] != b.get(k)]
            lines.append(f"metric {metric}: {'; '.join(moved)}{_relative(a, b)}")
    for table in sorted(set(old["tables"]) | set(new["tables"])):
        a, b = old["tables"].get(table), new["tables"].get(table)
        if a != b:
            what = []
            if a is None or b is None:
                what.append("added" if a is None else "removed")
            else:
                if a["rows"] != b["rows"]:
                    what.append(f"rows {a['rows']} -> {b['rows']}")
                if a["columns"] != b["columns"]:
                    gone = [c for c in a["columns"] if c not in b["columns"]]
                    new_cols = [c for c in b["columns"] if c not in a["columns"]]
                    what.append(f"columns removed {gone}, added {new_cols}")
                if not what:
                    what.append("values changed")
            lines.append(f"table {table}: {', '.join(what)}")
    return lines


def _relative(a: dict, b: dict) -> str:
    try:
        x, y = float(a["mean"]), float(b["mean"])
    except ValueError:
        return ""
    if x == 0 or math.isnan(x) or math.isnan(y):
        return ""
    return f" ({(y - x) / abs(x):+.3%} of the mean)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--diff", action="store_true", help="say what moved; write nothing")
    args = parser.parse_args(argv)
    GOLDEN.mkdir(exist_ok=True)
    moved = 0
    for name in cases():
        target = GOLDEN / f"{name}.json"
        new = golden_of(name)
        old = json.loads(target.read_text()) if target.is_file() else None
        lines = differences(old, new) if old else ["new golden file"]
        if lines:
            moved += 1
            print(f"{name}:")
            print("\n".join(f"  {line}" for line in lines))
        if not args.diff:
            target.write_text(json.dumps(new, indent=1, sort_keys=True) + "\n")
    print(f"{moved} of {len(cases())} cases moved")
    return 0


if __name__ == "__main__":
    sys.exit(main())
