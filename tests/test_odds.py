"""The hazard tables reproduce F2 and the F7 shape exactly for a reference rep."""

from __future__ import annotations

import numpy as np
import pytest

from simsales.model.odds import (
    PROSPECTED,
    PUSHED,
    REFERRED,
    hazards,
    klass_of,
    lead_odds,
    loss_shares,
    phone_close_chance,
    signing_shares,
)


def outcome_distribution(sign: np.ndarray, lose: np.ndarray, last: int, first: int):
    """Forward pass: chance to sign / be lost at each touch, dropping after ``last``."""
    reach, p_sign, p_lost = 1.0, np.zeros(len(sign)), np.zeros(len(sign))
    for k in range(first, last + 1):
        p_sign[k] = reach * sign[k]
        p_lost[k] = reach * (lose[k] if k < last else 1.0 - sign[k])
        reach -= p_sign[k] + p_lost[k]
    return p_sign, p_lost


def test_f7_shares_are_normalised(baseline):
    t = signing_shares(baseline.leads)
    assert t.sum() == pytest.approx(1.0)
    assert t[0] == pytest.approx(1 / 101)  # F7: 1% on the phone, of 101% in all
    assert t[5:].sum() == pytest.approx(80 / 101)  # F7: 80% after follow-ups 4-11


def test_loss_shares_are_a_distribution():
    u = loss_shares(13, 0.15)
    assert u.sum() == pytest.approx(1.0)
    assert u[:2].sum() == 0.0  # nobody is lost on the call or at the entering visit
    assert u[2] == pytest.approx(0.15)
    assert u[3] == pytest.approx(0.15 * 0.85)


@pytest.mark.parametrize("p", [0.01, 0.05, 0.3, 0.9])
@pytest.mark.parametrize("first", [0, 1])
def test_hazards_reproduce_the_marginals(p, first):
    t = np.array([1, 2, 3, 5, 10, 10, 10, 10, 10, 10, 10, 10, 10], dtype=float)
    t /= t.sum()
    u = loss_shares(len(t), 0.15)
    h, lo = hazards(p, t, u, first)
    p_sign, p_lost = outcome_distribution(h, lo, len(t) - 1, first)
    target = p * t[first:] / t[first:].sum()
    np.testing.assert_allclose(p_sign[first:], target, atol=1e-12)
    assert p_sign.sum() + p_lost.sum() == pytest.approx(1.0)
    assert ((h >= 0) & (h + lo <= 1 + 1e-12)).all()


def test_grade_mix_averages_to_the_sign_probability(baseline):
    odds = lead_odds(baseline.leads)
    mix = np.asarray(baseline.leads.grade_mix.as_tuple())
    mix = mix / mix.sum()
    p = baseline.leads.sign_probability
    last = len(signing_shares(baseline.leads)) - 1
    per_grade = [
        outcome_distribution(
            odds.sign[klass_of(PUSHED, g)], odds.lose[klass_of(PUSHED, g)], last, 0
        )[0].sum()
        for g in range(4)
    ]
    assert mix @ np.array(per_grade) == pytest.approx(p, rel=1e-9)
    assert per_grade[0] > per_grade[1] > per_grade[2] > per_grade[3]  # A signs most (F6)


def test_customer_referrals_sign_half_the_time(baseline):
    odds = lead_odds(baseline.leads)
    k = klass_of(REFERRED, 0)
    last = len(signing_shares(baseline.leads)) - 1
    p_sign, _ = outcome_distribution(odds.sign[k], odds.lose[k], last, 0)
    assert p_sign.sum() == pytest.approx(0.5)  # F9


def test_phone_close_makes_f7_touch_zero_share_and_keeps_f2():
    """Among a rep's own prospects: phone closes are t0 of signings, and F2 holds overall."""
    p, t0, e = 0.05, 1 / 101, 0.6 * 0.53
    q = phone_close_chance(p, t0, e)
    p_visit = p * (1 - t0) / (1 - t0 * p)
    entered = q + (1 - q) * e
    signed = q + (1 - q) * e * p_visit
    assert q / signed == pytest.approx(t0)
    assert signed / entered == pytest.approx(p)


def test_max_followups_drops_leads_after_the_last_touch(baseline):
    capped = baseline.leads.model_copy(update={"max_followups": 3})
    odds = lead_odds(capped)
    assert odds.last_touch == 4
    assert (odds.lose[:, 4:] == 0).all()  # the drop at the last touch is applied by the model
    full = lead_odds(baseline.leads)
    np.testing.assert_allclose(odds.sign[:, :5], full.sign[:, :5])
    k = klass_of(PROSPECTED, 2)
    p_sign, _ = outcome_distribution(odds.sign[k], odds.lose[k], 4, 1)
    p_full, _ = outcome_distribution(full.sign[k], full.lose[k], 12, 1)
    t = signing_shares(baseline.leads)
    assert p_sign.sum() / p_full.sum() == pytest.approx(t[1:5].sum() / t[1:].sum())


def _chi2_fits(observed: np.ndarray, pmf: np.ndarray, draws: int) -> bool:
    """Chi-square goodness of fit at alpha = 0.001 over the cells with enough mass."""
    from scipy import stats

    expected = pmf * draws
    keep = expected > 20
    chi2 = (((observed[: pmf.size] - expected) ** 2 / expected)[keep]).sum()
    return chi2 < stats.chi2.ppf(0.999, keep.sum() - 1)


def test_inverse_cdf_draws_match_their_laws():
    """The day's small-count draws (inverse CDF from one uniform) have the exact pmf."""
    from scipy import stats

    from simsales.model.sampling import (
        binomial_cdf_table,
        binomial_from_table,
        poisson_from_uniform,
        rare_binomial,
    )

    table = binomial_cdf_table(30, 0.2)
    for n in (0, 1, 7, 30):
        np.testing.assert_allclose(table[n], stats.binom.cdf(np.arange(31), n, 0.2), atol=1e-12)
    rng = np.random.default_rng(3)
    draws = 100_000
    x = np.array([binomial_from_table(30, table, u) for u in rng.random(draws)])
    assert _chi2_fits(np.bincount(x, minlength=31), stats.binom.pmf(np.arange(31), 30, 0.2), draws)
    y = np.array([rare_binomial(5, 0.05, u) for u in rng.random(draws)])
    assert (y <= 5).all()
    assert _chi2_fits(np.bincount(y, minlength=6), stats.binom.pmf(np.arange(6), 5, 0.05), draws)
    z = np.array([poisson_from_uniform(1.7, u) for u in rng.random(draws)])
    pmf = stats.poisson.pmf(np.arange(z.max() + 1), 1.7)
    assert _chi2_fits(np.bincount(z), pmf, draws)
    assert binomial_from_table(0, table, 0.999) == 0 and rare_binomial(0, 0.5, 0.999) == 0
