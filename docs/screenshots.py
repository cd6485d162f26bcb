"""Make the README's pictures from the bundled scenarios: ``make screenshots``.

docs/img/fan_chart.png: monthly revenue of the baseline and of a 20% higher quota with a
3-month dismissal rule; docs/img/comparison.png: the paired comparison of quota raises of
10, 20 and 30% with the baseline. Both from the same 200 replications, seed 2026.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib
import pandas as pd

import simsales
from simsales import plotting

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "img"
REPLICATIONS, SEED = 200, 2026


def main() -> None:
    matplotlib.use("Agg")
    baseline = simsales.load_scenario(ROOT / "scenarios" / "baseline.yaml")
    rule = simsales.load_scenario(ROOT / "scenarios" / "quota_plus20.yaml")
    quota = baseline.quota.revenue_per_month
    raises = [
        rule.with_overrides(
            {"name": f"quota_plus{p}", "quota.revenue_per_month": quota * (1 + p / 100)}
        )
        for p in (10, 20, 30)
    ]
    comparison = simsales.compare([baseline, *raises], replications=REPLICATIONS, seed=SEED,
                                  progress=True)  # fmt: skip
    OUT.mkdir(parents=True, exist_ok=True)
    team_month = pd.concat([comparison.results[n].team_month for n in ("baseline", "quota_plus20")])
    fan = plotting.fan_chart(team_month, "revenue", unit="yuan")
    fan.savefig(OUT / "fan_chart.png", dpi=100)
    forest = plotting.forest_plot(
        comparison.table(), ["revenue", "margin", "payroll", "reps_on_post", "share_at_quota"]
    )
    forest.savefig(OUT / "comparison.png", dpi=100)
    sys.stderr.write(f"wrote {OUT / 'fan_chart.png'} and {OUT / 'comparison.png'}\n")


if __name__ == "__main__":  # workers are spawned processes
    main()
