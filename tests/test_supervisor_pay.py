"""Supervisors' pay (``supervisor.pay``): in cost of sales and margin, nothing else."""

from __future__ import annotations

import numpy as np

import simsales
from tests.conftest import ROOT, team_overrides


def test_supervisor_pay_is_base_per_group_plus_override_and_changes_only_the_costs():
    """On common random numbers everything but supervisor_pay, cost of sales and margin is
    identical; supervisor_pay is groups x base + rate x revenue, month by month, and the
    margin falls by exactly it."""
    base = simsales.load_scenario(simsales.baseline_path()).with_overrides(
        team_overrides(firms=20_000, months=4, warmup=None)
    )
    pay = {"base_per_month": 10000, "override_rate": 0.01}
    paid = base.with_overrides({"supervisor.pay": pay, "name": "paid"})
    c = simsales.compare([base, paid], replications=2, seed=4, workers=1)
    a, b = (c.results[n].team_month for n in (base.name, "paid"))
    expected = b["supervisor_groups"] * pay["base_per_month"] + pay["override_rate"] * b["revenue"]
    np.testing.assert_allclose(b["supervisor_pay"], expected)
    assert (a["supervisor_pay"] == 0).all()
    np.testing.assert_allclose(b["cost_of_sales"] - a["cost_of_sales"], b["supervisor_pay"])
    np.testing.assert_allclose(a["margin"] - b["margin"], b["supervisor_pay"])
    others = [col for col in a.columns
              if col not in ("scenario", "supervisor_pay", "cost_of_sales", "margin")]  # fmt: skip
    for col in others:
        np.testing.assert_array_equal(a[col].to_numpy(), b[col].to_numpy(), col)
    total = c.results["paid"].metrics()["supervisor_pay"].to_numpy()
    np.testing.assert_allclose(total, b.groupby("replication")["supervisor_pay"].sum())


def test_the_bundled_what_if_pays_supervisors():
    sc = simsales.load_scenario(ROOT / "scenarios" / "supervisors_paid.yaml")
    assert sc.supervisor.pay is not None
    assert simsales.load_scenario(simsales.baseline_path()).supervisor.pay is None
