"""A leaver's unpaid commission: paid in the last month (default) or forfeited."""

from __future__ import annotations

import numpy as np
import pandas as pd

import simsales
from tests.conftest import ROOT, team_overrides


def test_forfeiting_changes_only_the_leavers_last_pay():
    """On common random numbers the two rules give the same year (deals, quits, every
    rep's pay but a leaver's last month); a leaver's last commission is lower or equal
    under forfeiting, and the payroll falls by exactly the sum of those differences."""
    base = simsales.load_scenario(simsales.baseline_path()).with_overrides(
        team_overrides(firms=20_000, warmup=None)
    )
    forfeit = base.with_overrides({"pay.leaver_commission": "forfeited", "name": "forfeit"})
    c = simsales.compare([base, forfeit], replications=3, seed=2, workers=1)
    paid, lost = (c.results[n].rep_month.drop(columns="scenario") for n in (base.name, "forfeit"))
    keys = ["replication", "month", "rep"]
    paid, lost = paid.set_index(keys).sort_index(), lost.set_index(keys).sort_index()
    assert paid.index.equals(lost.index)
    same = [c for c in paid.columns if c not in ("commission", "pay")]
    for column in same:  # everything else, including what was earned, is identical
        np.testing.assert_array_equal(paid[column].to_numpy(), lost[column].to_numpy(), column)
    gap = (paid["commission"] - lost["commission"]).fillna(0.0)
    assert (gap >= -1e-9).all()
    assert gap.sum() > 0, "some leaver had commission owed (paid the month after, F37)"
    # Only in a rep's last row, the month before leaving: the final settlement.
    last = paid.reset_index().groupby(["replication", "rep"])["month"].transform("max")
    in_last = (paid.reset_index()["month"] == last).to_numpy()
    assert (gap.to_numpy()[~in_last] == 0).all()
    np.testing.assert_allclose((paid["pay"] - lost["pay"]).fillna(0.0), gap, atol=1e-6)
    tm_paid, tm_lost = (c.results[n].team_month for n in (base.name, "forfeit"))
    by_month = gap.groupby(["replication", "month"]).sum()
    where = pd.MultiIndex.from_frame(tm_paid[["replication", "month"]])
    expected = by_month.reindex(where, fill_value=0.0).to_numpy()
    np.testing.assert_allclose(tm_paid["payroll"] - tm_lost["payroll"], expected, atol=1e-6)
    np.testing.assert_array_equal(tm_paid["revenue"], tm_lost["revenue"])


def test_the_bundled_what_if_forfeits():
    sc = simsales.load_scenario(ROOT / "scenarios" / "pay_forfeit.yaml")
    assert sc.pay.leaver_commission == "forfeited"
    assert simsales.load_scenario(simsales.baseline_path()).pay.leaver_commission == "paid"
