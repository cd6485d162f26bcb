"""Accounting identities that must hold on every run."""

from __future__ import annotations

import numpy as np


def test_leads_created_are_entered_or_discarded(small_results):
    tm = small_results.team_month
    assert (tm["leads_created"] > 0).all()
    np.testing.assert_array_equal(tm["leads_created"], tm["leads_entered"] + tm["leads_discarded"])


def test_entered_leads_are_signed_lost_or_open(small_results):
    lc = small_results.lead_cohorts
    assert lc["entered"].sum() > 0
    np.testing.assert_array_equal(lc["entered"], lc["signed"] + lc["lost"] + lc["open"])


def test_no_rep_exceeds_daily_capacity(small_results, small):
    rm = small_results.rep_month
    assert rm["max_day_minutes"].max() <= small.rep.minutes_per_day
    # The busiest days do reach the limit: capacity binds, so the check is not vacuous.
    assert rm["max_day_minutes"].max() > 0.9 * small.rep.minutes_per_day


def test_no_negative_counts_or_times(small_results):
    for name in ("team_month", "rep_month", "funnel", "lead_cohorts"):
        table = getattr(small_results, name)
        numeric = table.select_dtypes("number").drop(columns=["margin"], errors="ignore")
        assert ((numeric >= 0) | numeric.isna()).all().all(), name  # NaN: not applicable


def test_funnel_accounts_for_every_signing(small_results):
    tm, fn = small_results.team_month, small_results.funnel
    agreed = tm["signings"] - tm["held_deals_booked"] + tm["deals_held"]
    by_rep = agreed.groupby(tm["replication"]).sum()
    by_touch = fn.groupby("replication")["signings"].sum()
    np.testing.assert_array_equal(by_rep, by_touch)
    phone = fn[fn.touch == 0].set_index("replication")["signings"]
    np.testing.assert_array_equal(tm.groupby("replication")["phone_closes"].sum(), phone)


def test_rep_month_adds_up_to_team_month(small_results):
    rm, tm = small_results.rep_month, small_results.team_month
    keys = ["replication", "month"]
    summed = rm.groupby(keys)[["signings", "revenue", "visits", "leads_entered"]].sum()
    np.testing.assert_allclose(summed, tm.set_index(keys)[summed.columns].loc[summed.index])


def test_visit_shortfall_is_within_the_norm(small_results, small):
    rm = small_results.rep_month
    days = small.horizon.days_per_month
    assert (rm["visits_short_of_norm"] <= small.rep.norms.visits * days).all()
    assert rm["visits_short_of_norm"].sum() > 0  # some days fall short: the count is live


def test_every_firm_is_somewhere(small_results):
    """Firms are available, in contact, cooling off or customers: in contact is what the
    other three leave, so it must never go negative (a firm cooled or signed twice)."""
    tm = small_results.team_month
    parts = tm[["firms_available", "firms_cooling", "firms_customers", "firms_in_pipeline"]]
    assert (parts >= 0).all().all()
    assert (tm["firms_untouched"] <= tm["firms_available"]).all()
    # Every open lead is a firm in contact.
    assert (tm["firms_in_pipeline"] >= tm["open_leads"]).all()


def test_each_month_has_its_working_days(small_results, small):
    """The month process closes a month after exactly days_per_month team-days: in an
    unsaturated market every rep hands in the F1 norm of records every working day."""
    tm = small_results.team_month
    per_month = small.team.reps * small.rep.norms.prospect_records * small.horizon.days_per_month
    assert (tm["prospect_records"] == per_month).all()
