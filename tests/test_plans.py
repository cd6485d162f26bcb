"""Commission plans, quota policies and the validation of pay plans.

Every expected number here is computed by hand from the plan's definition, with the
arithmetic written next to it, so a test fails if the code drifts from the seed figures:

* F31 gold/silver/bronze: this month's attainment sets next month's rate;
* F33 hard target: B = (actual / plan) x actual x 15%;
* F35 stage split: information 12.5%, groundwork 37.5%, close 50%;
* F36 price ratio: rate by price ratio 0.5%-5.5% up to the base price; above it,
  commission = base price x 5.5% + (net - base price) x 10%;
* F40 quota derived from pay; F41 annual quota split into quarters.

The last part checks that invalid plans are refused, by the schema models directly
(pydantic ``ValidationError``) and, as users meet them, as a ``ScenarioError`` naming the
field path when a bad plan is put into the baseline scenario.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

import simsales
from simsales import ScenarioError
from simsales.policies.commission import (
    FlatRate,
    GoldSilverBronze,
    HardTarget,
    PriceRatio,
    Tiered,
    attainment,
    is_period_plan,
    make_plan,
    stage_credit,
)
from simsales.policies.quota import (
    AnnualQuota,
    FlatQuota,
    GrowthQuota,
    PayDerivedQuota,
    QuotaInputs,
    RampedQuota,
    make_quota_policy,
    period_months,
    period_start,
)
from simsales.scenario.schema import (
    Behaviour,
    Bonus,
    Commission,
    Grade,
    Package,
    Pay,
    PricePoint,
    Quota,
    Tier,
)

ROOT = Path(__file__).resolve().parents[1]
BASE = simsales.load_scenario(ROOT / "scenarios" / "baseline.yaml")

STARTS = (0.0, 0.8, 1.0)
RATES = (0.08, 0.12, 0.16)
QUOTA = 150_000.0
F35_SHARES = (0.125, 0.375, 0.5)


def arr(*values: float) -> np.ndarray:
    return np.array(values, dtype=float)


def tier(start: float, rate: float) -> dict:
    return {"from_attainment": start, "rate": rate}


LADDER = [tier(0, 0.08), tier(0.8, 0.12), tier(1.0, 0.16)]


def tiered(tiers: list[dict] = LADDER, **fields) -> dict:
    """A valid ``tiered`` commission section, with ``fields`` added or replaced."""
    return {
        "plan": "tiered",
        "tiers": tiers,
        "marginal": True,
        "period": "month",
        "paid": "next_month",
        **fields,
    }


def price_ratio(points: list[tuple[float, float]], **fields) -> dict:
    """A ``price_ratio`` commission section with the given (ratio, rate) points."""
    return {
        "plan": "price_ratio",
        "ratio_rates": [{"ratio": r, "rate": x} for r, x in points],
        "above_base_rate": 0.10,
        "price_ratio_mean": 1.0,
        "price_ratio_cv": 0.1,
        "paid": "next_month",
        **fields,
    }


def inputs(
    months_on_post=(0,),
    month_no: int = 1,
    last_revenue=None,
    had_last=None,
    target_pay=None,
) -> QuotaInputs:
    """QuotaInputs for len(months_on_post) rep slots; unset arrays are zeros / False."""
    mop = np.asarray(months_on_post, dtype=int)
    zeros = np.zeros(mop.shape)
    return QuotaInputs(
        month_no=month_no,
        months_on_post=mop,
        last_revenue=zeros if last_revenue is None else np.asarray(last_revenue, dtype=float),
        had_last=np.zeros(mop.shape, bool) if had_last is None else np.asarray(had_last, bool),
        target_pay=zeros if target_pay is None else np.asarray(target_pay, dtype=float),
    )


# --------------------------------------------------------------------------- flat


def test_flat_rate_pays_rate_times_each_deal():
    """Flat 10% (baseline plan): 50,000 -> 5,000; 12,345 -> 1,234.5; 0 -> 0; the price
    ratio does not matter."""
    plan = FlatRate(0.1)
    got = plan.deal_commission(arr(50_000, 12_345, 0), arr(0.7, 1.0, 1.3))
    assert got == pytest.approx([5_000.0, 1_234.5, 0.0])


def test_attainment_is_zero_without_quota():
    """attainment = revenue / quota: 120,000 / 150,000 = 0.8; quota 0 -> 0, not inf."""
    assert attainment(arr(120_000, 50_000), arr(150_000, 0)) == pytest.approx([0.8, 0.0])


# --------------------------------------------------------------------------- tiered


def test_tiered_marginal_pays_each_band_at_its_rate():
    """Accelerators: quota 150,000, bands 0-0.8 at 8%, 0.8-1.0 at 12%, above 1.0 at 16%,
    cap 2.0 x quota = 300,000."""
    plan = Tiered(STARTS, RATES, marginal=True, cap=2.0, months=1)
    revenue = arr(0, 100_000, 150_000, 200_000, 300_000, 400_000)
    expected = [
        0.0,
        # 100,000 lies in band 0: 100,000 x 0.08
        8_000.0,
        # band 0: 0.8 x 150,000 = 120,000 x 0.08 = 9,600; band 1: 30,000 x 0.12 = 3,600
        9_600.0 + 3_600.0,  # 13,200
        # + band 2: (200,000 - 150,000) x 0.16 = 8,000
        9_600.0 + 3_600.0 + 8_000.0,  # 21,200
        # band 2 up to the cap: (300,000 - 150,000) x 0.16 = 24,000
        9_600.0 + 3_600.0 + 24_000.0,  # 37,200
        # 400,000 is above the cap: paid as 300,000
        9_600.0 + 3_600.0 + 24_000.0,  # 37,200
    ]
    got = plan.period_commission(revenue, np.full(revenue.shape, QUOTA), None)
    assert got == pytest.approx(expected)


def test_tiered_marginal_without_cap_keeps_accelerating():
    """No cap: 400,000 on quota 150,000 pays 9,600 + 3,600 + 250,000 x 0.16 (= 40,000)
    = 53,200."""
    plan = Tiered(STARTS, RATES, marginal=True, cap=None, months=1)
    assert plan.period_commission(arr(400_000), arr(QUOTA), None) == pytest.approx([53_200.0])


def test_tiered_cliff_pays_all_revenue_at_the_step_reached():
    """Non-marginal: the step reached pays all revenue; quota 150,000, cap 2.0."""
    plan = Tiered(STARTS, RATES, marginal=False, cap=2.0, months=1)
    revenue = arr(100_000, 119_999, 120_000, 150_000, 200_000, 400_000)
    expected = [
        100_000 * 0.08,  # att 0.667 -> step 0: 8,000
        119_999 * 0.08,  # just below 0.8 -> step 0: 9,599.92
        120_000 * 0.12,  # att exactly 0.8 -> step 1: 14,400
        150_000 * 0.16,  # att exactly 1.0 -> step 2: 24,000
        200_000 * 0.16,  # 32,000
        300_000 * 0.16,  # capped at 2.0 x 150,000 = 300,000: 48,000
    ]
    got = plan.period_commission(revenue, np.full(revenue.shape, QUOTA), None)
    assert got == pytest.approx(expected)


@pytest.mark.parametrize("marginal", [True, False])
def test_tiered_without_quota_pays_nothing(marginal):
    """Quota 0: attainment is 0, so 50,000 of revenue pays 0 (marginal or cliff)."""
    plan = Tiered(STARTS, RATES, marginal=marginal, cap=2.0, months=1)
    assert plan.period_commission(arr(50_000, 0), arr(0, 0), None) == pytest.approx([0.0, 0.0])


def test_tiered_next_tier_is_unchanged():
    """Tiered has no rate step carried over: next_tier returns the tier given."""
    plan = Tiered(STARTS, RATES, marginal=True, cap=None, months=1)
    tiers = np.array([0, 2, 1])
    got = plan.next_tier(arr(0, 100_000, 400_000), np.full(3, QUOTA), tiers)
    assert got.tolist() == [0, 2, 1]


# --------------------------------------------------------------------------- F31


GSB = GoldSilverBronze(starts=(0.0, 0.8, 1.0), rates=(0.05, 0.08, 0.12), start_tier=1)


def test_gold_silver_bronze_pays_rate_of_tier_times_revenue():
    """F31: revenue 100,000 at bronze 5% = 5,000, silver 8% = 8,000, gold 12% = 12,000,
    whatever this month's attainment (quota 150,000)."""
    got = GSB.period_commission(np.full(3, 100_000.0), np.full(3, QUOTA), np.array([0, 1, 2]))
    assert got == pytest.approx([5_000.0, 8_000.0, 12_000.0])


def test_gold_silver_bronze_next_tier_by_attainment():
    """F31: attainment 0.5 -> 0, 0.79 -> 0, exactly 0.8 -> 1 (the higher step), 0.99 -> 1,
    exactly 1.0 -> 2, 1.5 -> 2; no quota -> 0 (quota 100,000)."""
    revenue = arr(50_000, 79_000, 80_000, 99_000, 100_000, 150_000, 50_000)
    quota = arr(*[100_000] * 6, 0)
    got = GSB.next_tier(revenue, quota, np.ones(7, dtype=int))
    assert got.tolist() == [0, 0, 1, 1, 2, 2, 0]


def test_gold_silver_bronze_this_month_sets_next_months_rate():
    """F31 by hand, quota 100,000, start at silver (tier 1):
    month 1: 120,000 x 8% = 9,600; attainment 1.2 -> gold next;
    month 2: 70,000 x 12% = 8,400; attainment 0.7 -> bronze next;
    month 3: 100,000 x 5% = 5,000; attainment 1.0 -> gold next."""
    quota = arr(100_000)
    t = np.array([GSB.start_tier])
    paid, tiers = [], []
    for revenue in (120_000, 70_000, 100_000):
        paid.append(float(GSB.period_commission(arr(revenue), quota, t)[0]))
        t = GSB.next_tier(arr(revenue), quota, t)
        tiers.append(int(t[0]))
    assert paid == pytest.approx([9_600.0, 8_400.0, 5_000.0])
    assert tiers == [2, 0, 2]


# --------------------------------------------------------------------------- F33


def test_hard_target_pays_attainment_times_actual_times_rate():
    """F33 B = (actual / plan) x actual x 15%, plan 100,000:
    120,000 -> 1.2 x 120,000 x 0.15 = 21,600; 80,000 -> 0.8 x 80,000 x 0.15 = 9,600;
    100,000 -> 15,000; no plan -> 0."""
    plan = HardTarget(rate=0.15, cap=None, months=1)
    got = plan.period_commission(
        arr(120_000, 80_000, 100_000, 50_000), arr(100_000, 100_000, 100_000, 0)
    )
    assert got == pytest.approx([21_600.0, 9_600.0, 15_000.0, 0.0])


def test_hard_target_cap_limits_the_attainment_factor():
    """F33 with cap 1.1: 120,000 on plan 100,000 -> 1.1 x 120,000 x 0.15 = 19,800;
    below the cap nothing changes: 90,000 -> 0.9 x 90,000 x 0.15 = 12,150."""
    plan = HardTarget(rate=0.15, cap=1.1, months=1)
    got = plan.period_commission(arr(120_000, 90_000), arr(100_000, 100_000))
    assert got == pytest.approx([19_800.0, 12_150.0])


def test_hard_target_next_tier_is_unchanged():
    """HardTarget carries no rate step: next_tier returns the tier given."""
    plan = HardTarget(rate=0.15, cap=None, months=1)
    assert plan.next_tier(arr(1, 2), arr(1, 1), np.array([3, 0])).tolist() == [3, 0]


# --------------------------------------------------------------------------- F36


F36 = PriceRatio(ratios=(0.6, 1.0), rates=(0.005, 0.055), above_rate=0.10)


def test_price_ratio_below_base_interpolates_the_rate():
    """F36 below the base price: ratio 0.8 is halfway from 0.6 to 1.0, rate 0.005 +
    0.5 x 0.05 = 0.03, on net 80,000 -> 2,400; ratio 0.5 is below the first point ->
    lowest rate 0.005, on 50,000 -> 250; ratio 0.6 -> 0.005 x 60,000 = 300;
    ratio 1.0 -> 5.5% x 100,000 = 5,500."""
    got = F36.deal_commission(arr(80_000, 50_000, 60_000, 100_000), arr(0.8, 0.5, 0.6, 1.0))
    assert got == pytest.approx([2_400.0, 250.0, 300.0, 5_500.0])


def test_price_ratio_above_base_is_the_f36_accelerator():
    """F36 above the base price: ratio 1.25 on net 125,000 -> base price 100,000 x 5.5%
    + 25,000 x 10% = 5,500 + 2,500 = 8,000; ratio 2 on 100,000 -> 50,000 x 5.5% +
    50,000 x 10% = 2,750 + 5,000 = 7,750."""
    got = F36.deal_commission(arr(125_000, 100_000), arr(1.25, 2.0))
    assert got == pytest.approx([8_000.0, 7_750.0])


def test_price_ratio_is_continuous_at_the_base_price():
    """Just above ratio 1 the accelerator starts from the 5.5% of ratio 1: net 100,000 at
    ratio 1 + 1e-9 pays 5,500 (to 1e-3 yuan)."""
    got = F36.deal_commission(arr(100_000), arr(1.0 + 1e-9))
    assert got == pytest.approx([5_500.0], abs=1e-3)


# --------------------------------------------------------------------------- F35


def test_stage_credit_splits_a_deal_by_stage():
    """F35: 100,000 found by rep 0, groundwork by rep 1, closed by rep 2 ->
    12.5% = 12,500 / 37.5% = 37,500 / 50% = 50,000."""
    got = stage_credit(
        closer=np.array([2]),
        found_by=np.array([0]),
        worked_by=np.array([1]),
        amount=arr(100_000),
        shares=F35_SHARES,
        active=np.ones(3, bool),
        n_reps=3,
    )
    assert got == pytest.approx([12_500.0, 37_500.0, 50_000.0])
    assert got.sum() == pytest.approx(100_000.0)


def test_stage_credit_same_rep_in_all_stages_gets_all():
    """F35: one rep who found, worked and closed 100,000 gets all of it."""
    one = np.array([1])
    got = stage_credit(one, one, one, arr(100_000), F35_SHARES, np.ones(3, bool), 3)
    assert got == pytest.approx([0.0, 100_000.0, 0.0])


def test_stage_credit_of_an_inactive_rep_goes_to_the_closer():
    """F35: the finder (rep 0) has left, so the 12,500 information share goes to closer
    rep 2: 0 / 37,500 / 12,500 + 50,000 = 62,500."""
    active = np.array([False, True, True])
    got = stage_credit(
        np.array([2]), np.array([0]), np.array([1]), arr(100_000), F35_SHARES, active, 3
    )
    assert got == pytest.approx([0.0, 37_500.0, 62_500.0])


def test_stage_credit_without_shares_goes_to_the_closer():
    """No split: each deal's whole amount is the closer's: rep 2 closes 100,000 and rep 0
    closes 40,000 -> 40,000 / 0 / 100,000 (and rep 3 with nothing gets 0)."""
    got = stage_credit(
        closer=np.array([2, 0]),
        found_by=np.array([0, 1]),
        worked_by=np.array([1, 1]),
        amount=arr(100_000, 40_000),
        shares=None,
        active=np.ones(4, bool),
        n_reps=4,
    )
    assert got == pytest.approx([40_000.0, 0.0, 100_000.0, 0.0])


def test_stage_credit_of_several_deals_adds_up():
    """F35 on two deals, rep 1 inactive:
    deal A 100,000 (found 0, worked 1, closed 2): 0 gets 12,500; 1's 37,500 goes to 2,
    who gets 37,500 + 50,000 = 87,500;
    deal B 40,000 (found 2, worked 3, closed 0): 2 gets 5,000, 3 gets 15,000, 0 gets 20,000.
    Totals 32,500 / 0 / 92,500 / 15,000 = 140,000, the sum of the deals."""
    got = stage_credit(
        closer=np.array([2, 0]),
        found_by=np.array([0, 2]),
        worked_by=np.array([1, 3]),
        amount=arr(100_000, 40_000),
        shares=F35_SHARES,
        active=np.array([True, False, True, True]),
        n_reps=4,
    )
    assert got == pytest.approx([32_500.0, 0.0, 92_500.0, 15_000.0])
    assert got.sum() == pytest.approx(140_000.0)


# --------------------------------------------------------------------------- make_plan


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        pytest.param({"plan": "flat", "rate": 0.1, "paid": "next_month"}, FlatRate(0.1), id="flat"),
        pytest.param(
            tiered(cap_attainment=2.0, period="quarter"),
            Tiered(STARTS, RATES, marginal=True, cap=2.0, months=3),
            id="tiered",
        ),
        pytest.param(
            tiered(marginal=False),
            Tiered(STARTS, RATES, marginal=False, cap=None, months=1),
            id="tiered cliff",
        ),
        pytest.param(
            {
                "plan": "gold_silver_bronze",
                "tiers": [tier(0, 0.05), tier(0.8, 0.08), tier(1.0, 0.12)],
                "start_tier": 1,
                "period": "month",
                "paid": "next_month",
            },
            GoldSilverBronze((0.0, 0.8, 1.0), (0.05, 0.08, 0.12), start_tier=1, months=1),
            id="gold_silver_bronze",
        ),
        pytest.param(
            {"plan": "hard_target", "rate": 0.15, "period": "month", "paid": "next_month"},
            HardTarget(rate=0.15, cap=None, months=1),
            id="hard_target",
        ),
        pytest.param(
            {
                "plan": "hard_target",
                "rate": 0.15,
                "cap_attainment": 1.1,
                "period": "quarter",
                "paid": "next_month",
            },
            HardTarget(rate=0.15, cap=1.1, months=3),
            id="hard_target capped",
        ),
        pytest.param(
            price_ratio([(0.6, 0.005), (1.0, 0.055)]),
            PriceRatio((0.6, 1.0), (0.005, 0.055), 0.10),
            id="price_ratio",
        ),
    ],
)
def test_make_plan_builds_the_plan_of_the_section(section, expected):
    """make_plan turns a validated ``pay.commission`` section into the plan object with
    the section's numbers (periods: month = 1, quarter = 3 months)."""
    plan = make_plan(Commission.model_validate(section))
    assert type(plan) is type(expected)
    assert plan == expected
    assert is_period_plan(plan) == isinstance(expected, Tiered | GoldSilverBronze | HardTarget)


def test_make_plan_of_f36_section_pays_the_f36_figures():
    """End to end from the section: the F36 plan built by make_plan pays 8,000 on net
    125,000 at ratio 1.25 and 2,400 on 80,000 at ratio 0.8 (see the F36 tests)."""
    plan = make_plan(Commission.model_validate(price_ratio([(0.6, 0.005), (1.0, 0.055)])))
    got = plan.deal_commission(arr(125_000, 80_000), arr(1.25, 0.8))
    assert got == pytest.approx([8_000.0, 2_400.0])


# --------------------------------------------------------------------------- quota


def test_flat_quota_is_the_same_for_every_rep():
    """Flat: 150,000 for each of 3 slots, whatever their months on post."""
    got = FlatQuota(150_000).monthly(inputs(months_on_post=(0, 5, 30)))
    assert got == pytest.approx([150_000.0] * 3)


def test_ramped_quota_by_months_on_post():
    """Ramp (0.25, 0.5, 0.75) on 150,000: months on post 0, 1, 2, 3, 10 ->
    37,500 / 75,000 / 112,500 / 150,000 / 150,000."""
    got = RampedQuota(150_000, (0.25, 0.5, 0.75)).monthly(inputs(months_on_post=(0, 1, 2, 3, 10)))
    assert got == pytest.approx([37_500.0, 75_000.0, 112_500.0, 150_000.0, 150_000.0])


def test_growth_quota_grows_last_revenue_with_a_floor():
    """Growth 10%, floor 50,000, else 150,000: last 200,000 -> 220,000; last 20,000 ->
    22,000 floored to 50,000; last 0 -> 50,000; no whole last month (last 300,000) ->
    150,000."""
    policy = GrowthQuota(revenue=150_000, growth=0.1, floor=50_000)
    got = policy.monthly(
        inputs(
            months_on_post=(5, 5, 5, 0),
            last_revenue=(200_000, 20_000, 0, 300_000),
            had_last=(True, True, True, False),
        )
    )
    assert got == pytest.approx([220_000.0, 50_000.0, 50_000.0, 150_000.0])


def test_growth_quota_may_shrink():
    """Growth -20%: last 100,000 -> 80,000 (above the floor of 10,000)."""
    policy = GrowthQuota(revenue=150_000, growth=-0.2, floor=10_000)
    got = policy.monthly(inputs(months_on_post=(3,), last_revenue=(100_000,), had_last=(True,)))
    assert got == pytest.approx([80_000.0])


def test_pay_derived_quota_is_a_multiple_of_target_pay():
    """F40: 15 x target pay 8,000 = 120,000; 15 x 10,000 = 150,000."""
    got = PayDerivedQuota(15).monthly(inputs(months_on_post=(0, 14), target_pay=(8_000, 10_000)))
    assert got == pytest.approx([120_000.0, 150_000.0])


@pytest.mark.parametrize(
    ("month_no", "expected"),
    [
        pytest.param(1, 1_800_000 * 0.1 / 3, id="month 1 Q1 60,000"),
        pytest.param(3, 1_800_000 * 0.1 / 3, id="month 3 Q1 60,000"),
        pytest.param(4, 1_800_000 * 0.2 / 3, id="month 4 Q2 120,000"),
        pytest.param(7, 1_800_000 * 0.3 / 3, id="month 7 Q3 180,000"),
        pytest.param(12, 1_800_000 * 0.4 / 3, id="month 12 Q4 240,000"),
        pytest.param(0, 1_800_000 * 0.4 / 3, id="warm-up 0 last year's Q4 240,000"),
        pytest.param(-2, 1_800_000 * 0.4 / 3, id="warm-up -2 last year's Q4 240,000"),
        pytest.param(-3, 1_800_000 * 0.3 / 3, id="warm-up -3 last year's Q3 180,000"),
        pytest.param(13, 1_800_000 * 0.1 / 3, id="month 13 Q1 again 60,000"),
    ],
)
def test_annual_quota_by_quarter(month_no, expected):
    """F41: annual 1,800,000 split (0.1, 0.2, 0.3, 0.4) over quarters of months 1-3, 4-6,
    7-9, 10-12; each month carries a third of its quarter's share. Warm-up months 0, -1,
    -2 are the year before's months 12, 11, 10 (Q4) and -3 its month 9 (Q3)."""
    policy = AnnualQuota(1_800_000, (0.1, 0.2, 0.3, 0.4))
    got = policy.monthly(inputs(months_on_post=(0, 12), month_no=month_no))
    assert got == pytest.approx([expected, expected])


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        pytest.param(
            {"policy": "flat", "period": "month", "revenue_per_month": 150_000},
            FlatQuota(150_000),
            id="flat",
        ),
        pytest.param(
            {
                "policy": "ramped",
                "period": "month",
                "revenue_per_month": 150_000,
                "ramp": [0.25, 0.5, 0.75],
            },
            RampedQuota(150_000, (0.25, 0.5, 0.75)),
            id="ramped",
        ),
        pytest.param(
            {
                "policy": "growth",
                "period": "month",
                "revenue_per_month": 150_000,
                "growth": 0.1,
                "min_revenue_per_month": 50_000,
            },
            GrowthQuota(150_000, 0.1, 50_000),
            id="growth",
        ),
        pytest.param(
            {"policy": "pay_derived", "period": "month", "pay_multiple": 15},
            PayDerivedQuota(15),
            id="pay_derived",
        ),
        pytest.param(
            {
                "policy": "annual",
                "period": "quarter",
                "annual_revenue": 1_800_000,
                "quarter_shares": [0.1, 0.2, 0.3, 0.4],
            },
            AnnualQuota(1_800_000, (0.1, 0.2, 0.3, 0.4)),
            id="annual",
        ),
    ],
)
def test_make_quota_policy_builds_the_policy_of_the_section(section, expected):
    """make_quota_policy turns a validated ``quota`` section into the policy object with
    the section's numbers."""
    policy = make_quota_policy(Quota.model_validate(section))
    assert type(policy) is type(expected)
    assert policy == expected


def test_period_start_of_quarters_and_months():
    """F41 quarters are months 1-3, 4-6, 7-9: months 1..7 start at 1,1,1,4,4,4,7; warm-up
    months -2..0 form the quarter before (start -2); by months each month starts itself."""
    assert [period_start(m, 3) for m in range(1, 8)] == [1, 1, 1, 4, 4, 4, 7]
    assert [period_start(m, 3) for m in (-2, -1, 0)] == [-2, -2, -2]
    assert [period_start(m, 1) for m in (-1, 0, 1, 5)] == [-1, 0, 1, 5]


def test_period_months():
    """A month period is 1 month, a quarter 3."""
    assert (period_months("month"), period_months("quarter")) == (1, 3)


# --------------------------------------------------------------------------- schema models


COMMISSION_BAD = [
    pytest.param(
        tiered([tier(0, 0.08), tier(1.0, 0.12), tier(0.8, 0.16)]),
        "from_attainment must rise",
        id="descending tiers",
    ),
    pytest.param(
        tiered([tier(0.1, 0.08), tier(1.0, 0.12)]),
        "the first step must have from_attainment 0",
        id="not from 0",
    ),
    pytest.param(
        tiered([tier(0, 0.12), tier(1.0, 0.08)]),
        "rates must not fall",
        id="falling rates",
    ),
    pytest.param(
        tiered([tier(0, -0.1), tier(1.0, 0.08)]),
        "greater than or equal to 0",
        id="negative rate",
    ),
    pytest.param(
        {"plan": "flat", "rate": 1.5, "paid": "next_month"},
        "less than or equal to 1",
        id="rate above 1",
    ),
    pytest.param(tiered(cap_attainment=0.9), "must be above the base", id="cap below top"),
    pytest.param(
        {
            "plan": "gold_silver_bronze",
            "tiers": LADDER,
            "start_tier": 3,
            "period": "month",
            "paid": "next_month",
        },
        "allowed: 0..2",
        id="start_tier beyond ladder",
    ),
    pytest.param(tiered(rate=0.1), "not used by commission policy 'tiered'", id="unused field"),
    pytest.param(
        {k: v for k, v in tiered().items() if k != "period"},
        "required by commission policy 'tiered'",
        id="missing period",
    ),
    pytest.param(
        price_ratio([(0.6, 0.005), (0.9, 0.055)]),
        "the last point must be the base price (ratio 1)",
        id="ratio not ending at 1",
    ),
    pytest.param(
        price_ratio([(0.6, 0.055), (1.0, 0.005)]),
        "rates must not fall as the ratio rises",
        id="price rates falling",
    ),
    pytest.param(
        {
            "plan": "flat",
            "rate": 0.1,
            "paid": "next_month",
            "split_by_stage": {"information": 0.2, "groundwork": 0.3, "close": 0.4},
        },
        "information + groundwork + close must add to 1",
        id="split not adding to 1",
    ),
]


@pytest.mark.parametrize(("section", "message"), COMMISSION_BAD)
def test_commission_model_refuses_invalid_plans(section, message):
    """Each invalid ``pay.commission`` section raises pydantic ValidationError saying what
    is wrong."""
    with pytest.raises(ValidationError) as info:
        Commission.model_validate(section)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("model", "data", "message"),
    [
        pytest.param(Tier, tier(0, 1.5), "less than or equal to 1", id="Tier rate > 1"),
        pytest.param(Tier, tier(-0.1, 0.1), "greater than or equal to 0", id="Tier start < 0"),
        pytest.param(
            PricePoint, {"ratio": 1.2, "rate": 0.05}, "less than or equal to 1", id="ratio > 1"
        ),
        pytest.param(PricePoint, {"ratio": 0, "rate": 0.05}, "greater than 0", id="ratio 0"),
        pytest.param(
            Commission,
            {
                "plan": "flat",
                "rate": 0.1,
                "paid": "next_month",
                "split_by_stage": {"information": 0.125, "groundwork": 0.375, "close": 0.6},
            },
            "must add to 1, not 1.1",
            id="split 1.1",
        ),
        pytest.param(
            Grade,
            {"name": "A", "from_attainment": 1.0, "bonus_months": -1},
            "greater than or equal to 0",
            id="negative bonus",
        ),
        pytest.param(
            Bonus,
            {
                "policy": "annual_grade",
                "grades": [
                    {"name": "C", "from_attainment": 0, "bonus_months": 0},
                    {"name": "B", "from_attainment": 1.0, "bonus_months": 1},
                    {"name": "A", "from_attainment": 0.9, "bonus_months": 2},
                ],
            },
            "rise grade by grade",
            id="grades not rising",
        ),
        pytest.param(
            Bonus, {"policy": "annual_grade"}, "required by bonus policy", id="grades missing"
        ),
        pytest.param(
            Package,
            {"target_by_year": [8000, 0], "fixed_share": 0.7},
            "target pay must be > 0",
            id="package pay 0",
        ),
        pytest.param(
            Quota,
            {
                "policy": "annual",
                "period": "month",
                "annual_revenue": 1_800_000,
                "quarter_shares": [0.1, 0.2, 0.3, 0.3],
            },
            "add to 1",
            id="quarter shares 0.9",
        ),
        pytest.param(
            Quota,
            {"policy": "ramped", "period": "month", "revenue_per_month": 1, "ramp": [0.5, 1.5]},
            "must lie in 0..1",
            id="ramp above 1",
        ),
        pytest.param(
            Quota,
            {"policy": "flat", "period": "month", "revenue_per_month": 1, "growth": 0.1},
            "not used by quota policy 'flat'",
            id="quota unused field",
        ),
    ],
)
def test_schema_models_refuse_invalid_parts(model, data, message):
    """The parts of a plan (tier, price point, split, grade, bonus, package, quota) refuse
    bad values with a ValidationError saying what is allowed."""
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    assert message in str(info.value)


PAY_REST = {
    "commission": {"plan": "flat", "rate": 0.1, "paid": "next_month"},
    "bonus": {"policy": "none"},
    "fine_per_visit_short": 50,
    "earning_threshold": 8000,
}


@pytest.mark.parametrize(
    "base",
    [
        pytest.param(
            {"base_per_month": 3000, "package": {"target_by_year": [8000], "fixed_share": 0.7}},
            id="both",
        ),
        pytest.param({}, id="neither"),
    ],
)
def test_pay_model_needs_exactly_one_base(base):
    """Pay takes base_per_month or package, exactly one."""
    with pytest.raises(ValidationError) as info:
        Pay.model_validate({**PAY_REST, **base})
    assert "give exactly one of base_per_month and package" in str(info.value)


def test_behaviour_model_range_of_decision_days():
    """decision_days must be 1..31 on its own (the horizon check comes in Scenario)."""
    good = BASE.behaviour.model_dump()
    for bad in (0, 32):
        with pytest.raises(ValidationError):
            Behaviour.model_validate({**good, "decision_days": bad})
    assert Behaviour.model_validate({**good, "decision_days": 31}).decision_days == 31


# --------------------------------------------------------------------------- ScenarioError


def override_error(overrides: dict) -> ScenarioError:
    """Apply ``overrides`` to the baseline, expecting one ScenarioError of source
    "override"."""
    with pytest.raises(ScenarioError) as info:
        BASE.with_overrides(overrides)
    err = info.value
    assert err.source == "override"
    assert len(err.problems) == 1, str(err)
    return err


DPM = BASE.horizon.days_per_month

SCENARIO_BAD = [
    pytest.param(
        {"pay.commission": tiered([tier(0, 0.08), tier(1.0, 0.12), tier(0.8, 0.16)])},
        "pay.commission.tiers = [0.0, 1.0, 0.8]: from_attainment must rise from one step to "
        "the next",
        id="descending tiers",
    ),
    pytest.param(
        {"pay.commission": tiered([tier(0.1, 0.08), tier(1.0, 0.12)])},
        "pay.commission.tiers = [0.1, 1.0]: the first step must have from_attainment 0",
        id="tiers not from 0",
    ),
    pytest.param(
        {"pay.commission": tiered([tier(0, 0.12), tier(1.0, 0.08)])},
        "pay.commission.tiers = [0.12, 0.08]: rates must not fall as attainment rises",
        id="falling rates",
    ),
    pytest.param(
        {"pay.commission": tiered([tier(0, -0.1), tier(1.0, 0.08)])},
        "pay.commission.tiers[0].rate = -0.1: Input should be greater than or equal to 0",
        id="negative rate",
    ),
    pytest.param(
        {"pay.commission": {"plan": "flat", "rate": 1.5, "paid": "next_month"}},
        "pay.commission.rate = 1.5: Input should be less than or equal to 1",
        id="rate above 1",
    ),
    pytest.param(
        {"pay.commission": tiered(cap_attainment=0.9)},
        "pay.commission.cap_attainment = 0.9: must be above the base of the top tier "
        "(from_attainment 1.0)",
        id="cap below the base",
    ),
    pytest.param(
        {"pay.commission": tiered(cap_attainment=1.0)},
        "pay.commission.cap_attainment = 1.0: must be above the base of the top tier",
        id="cap at the base",
    ),
    pytest.param(
        {
            "pay.commission": {
                "plan": "gold_silver_bronze",
                "tiers": LADDER,
                "start_tier": 3,
                "period": "month",
                "paid": "next_month",
            }
        },
        "pay.commission.start_tier = 3: allowed: 0..2 (a tier)",
        id="start_tier beyond ladder",
    ),
    pytest.param(
        {"pay.commission": tiered(rate=0.1)},
        "pay.commission.rate = 0.1: not used by commission policy 'tiered', which takes "
        "tiers, marginal, period; remove it",
        id="field not used",
    ),
    pytest.param(
        {"pay.commission": {k: v for k, v in tiered().items() if k != "period"}},
        "pay.commission.period = None: required by commission policy 'tiered'",
        id="missing period",
    ),
    pytest.param(
        {"pay.commission": price_ratio([(0.6, 0.005), (0.9, 0.055)])},
        "pay.commission.ratio_rates = [0.6, 0.9]: the last point must be the base price (ratio 1)",
        id="price ratio not ending at 1",
    ),
    pytest.param(
        {
            "pay.commission": {
                "plan": "flat",
                "rate": 0.1,
                "paid": "next_month",
                "split_by_stage": {"information": 0.2, "groundwork": 0.3, "close": 0.4},
            }
        },
        "pay.commission.split_by_stage",
        id="stage split not adding to 1",
    ),
    pytest.param(
        {
            "pay.bonus.grades": [
                {"name": "C", "from_attainment": 0, "bonus_months": 0},
                {"name": "B", "from_attainment": 1.0, "bonus_months": 1},
                {"name": "A", "from_attainment": 0.9, "bonus_months": 2},
            ]
        },
        "pay.bonus.grades = [0.0, 1.0, 0.9]: from_attainment must start at 0 and rise grade "
        "by grade",
        id="grades not rising",
    ),
    pytest.param(
        {
            "pay.base_per_month": 3000.0,
            "pay.package": {"target_by_year": [8000], "fixed_share": 0.7},
        },
        "pay.base_per_month = 3000.0: give exactly one of base_per_month and package",
        id="both base and package",
    ),
    pytest.param(
        {"pay.base_per_month": None, "pay.package": None},
        "pay.base_per_month = None: give exactly one of base_per_month and package",
        id="neither base nor package",
    ),
    pytest.param(
        {
            "quota": {
                "policy": "annual",
                "period": "month",
                "annual_revenue": 1_800_000,
                "quarter_shares": [0.1, 0.2, 0.3, 0.3],
            }
        },
        "quota.quarter_shares = [0.1, 0.2, 0.3, 0.3]: shares must be >= 0 and add to 1",
        id="quarter shares not adding to 1",
    ),
    pytest.param(
        {
            "pay.base_per_month": 3000.0,
            "pay.package": None,
            "quota": {"policy": "pay_derived", "period": "month", "pay_multiple": 15},
        },
        "quota.policy = 'pay_derived': needs pay.package: the quota derives from it (F40)",
        id="pay_derived without package",
    ),
    pytest.param(
        {"behaviour.decision_days": DPM + 1},
        f"behaviour.decision_days = {DPM + 1}: allowed: ",
        id="decision_days above days_per_month",
    ),
]


@pytest.mark.parametrize(("overrides", "expected"), SCENARIO_BAD)
def test_bad_plan_in_scenario_is_a_scenario_error(overrides, expected):
    """A bad plan put into the baseline gives one ScenarioError whose message is
    ``override: <field path> = <value>: <what is wrong / allowed>``."""
    err = override_error(overrides)
    assert str(err).startswith(f"override: {expected}"), str(err)


def test_stage_split_error_says_what_must_add_to_one():
    """F35 split 0.2 + 0.3 + 0.4 = 0.9: the error names split_by_stage and the rule."""
    err = override_error(
        {
            "pay.commission.split_by_stage": {
                "information": 0.2,
                "groundwork": 0.3,
                "close": 0.4,
            }
        }
    )
    assert err.problems[0].field == "pay.commission.split_by_stage"
    assert "information + groundwork + close must add to 1, not 0.9" in str(err)


def test_decision_days_error_names_days_per_month():
    """decision_days above horizon.days_per_month names that field and its value."""
    err = override_error(
        {"horizon.days_per_month": 5, "behaviour.decision_days": 6, "behaviour.surge_days": 3}
    )
    assert err.problems[0].field == "behaviour.decision_days"
    assert "horizon.days_per_month" in str(err)
    assert "allowed: 1..5 " in str(err)


def test_valid_plans_are_accepted_in_the_scenario():
    """The plans the error cases are built from are valid: the baseline takes them and
    keeps their numbers (F35 split 12.5/37.5/50, F40 pay_derived with a package)."""
    sc = BASE.with_overrides(
        {
            "pay.commission": tiered(
                cap_attainment=2.0,
                split_by_stage={"information": 0.125, "groundwork": 0.375, "close": 0.5},
            ),
            "pay.base_per_month": None,
            "pay.package": {"target_by_year": [8000, 10000], "fixed_share": 0.7},
            "quota": {"policy": "pay_derived", "period": "month", "pay_multiple": 15},
        }
    )
    assert make_plan(sc.pay.commission) == Tiered(STARTS, RATES, True, 2.0, 1)
    split = sc.pay.commission.split_by_stage
    assert (split.information, split.groundwork, split.close) == F35_SHARES
    assert make_quota_policy(sc.quota) == PayDerivedQuota(15)
