"""The baseline reproduces the calibration targets F2 and F7 within Monte Carlo error.

Seeds differ from the one used to calibrate (simsales calibrate), so the test checks
the calibration rather than re-fitting its noise. Seven checks share a family-wise
false-alarm rate of 0.2% (Bonferroni), each a t-interval over replications.
"""

from __future__ import annotations

import numpy as np
import pytest

import simsales
from simsales.metrics.summary import F7_GROUPS
from tests.stats_helpers import assert_mean_is

F2 = 1 / 20  # F2: about 1 in 20 entered leads signs
F7 = np.array([1, 2, 3, 5, 10, 80]) / 101  # F7, normalised (it adds to 101%)
ALPHA = 0.002 / (1 + len(F7))


@pytest.fixture(scope="module")
def metrics(baseline):
    return simsales.run(baseline, replications=20, seed=424_242, workers=2).metrics()


def test_one_in_twenty_entered_leads_signs(metrics):
    assert metrics["f2_open_share"].max() < 0.001  # the cohorts measured have resolved
    assert_mean_is(metrics["f2_sign_rate"], F2, ALPHA, "F2 sign rate")


@pytest.mark.parametrize("group, share", list(zip(F7_GROUPS, F7, strict=True)))
def test_signings_by_touch_follow_f7(metrics, group, share):
    assert_mean_is(metrics[f"f7_share_{group}"], share, ALPHA, f"F7 share {group}")
