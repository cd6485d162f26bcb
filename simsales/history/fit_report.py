"""The fit report (``Fit.report()``): each part of a fit drawn against the history it
was fitted to, so a sales-operations analyst can see where the model and the team agree.

Four panels: where deals close (the history's censoring-adjusted shares of signings by
touch against the fitted F7 shares), how long reps stay (the Kaplan-Meier survival to a
quit, with reps already on post when the history starts entering late, against the
piecewise-constant hazards read from it), deal values (the history's against the fitted
lognormal) and every fitted value against the base's (with its 95% interval).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy import stats

from simsales.present.plotting import PALETTE

if TYPE_CHECKING:
    from simsales.history.fit import Fit


def fit_report(fit: Fit):
    """A figure of four panels: touch of close, quit survival, deal values, fitted
    values against the base's."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(12, 8.5))
    _touch_of_close(axes[0, 0], fit)
    _survival(axes[0, 1], fit)
    _deal_values(axes[1, 0], fit)
    _against_base(axes[1, 1], fit)
    fig.suptitle(f"{fit.scenario.name}: the fit against the history", fontsize="large")
    fig.tight_layout()
    return fig


def _touch_of_close(ax, fit: Fit) -> None:
    shares = fit.curves.close_shares
    fitted = np.asarray(fit.scenario.leads.signing_touch_shares, dtype=float)
    fitted = fitted / fitted.sum()
    k = np.arange(len(shares))
    base = np.asarray(fit.base.leads.signing_touch_shares, dtype=float)
    ax.bar(k, shares, color=PALETTE[0], alpha=0.6, label="history (censoring-adjusted)")
    ax.plot(np.arange(len(fitted)), fitted, "o-", color=PALETTE[1], label="fitted")
    ax.plot(np.arange(len(base)), base / base.sum(), "s--", color="grey", markersize=4,
            label=f"base ({fit.base.name})")  # fmt: skip
    labels = ["call", "visit", *(f"f{i}" for i in range(1, len(fitted) - 1))]
    ax.set_xticks(np.arange(len(fitted)), labels, fontsize="small")
    ax.set_xlabel("touch the deal closed at (f1 = 1st follow-up)")
    ax.set_ylabel("share of signings")
    ax.set_title("Where deals close (F7)")
    ax.legend(frameon=False, fontsize="small")


def _survival(ax, fit: Fit) -> None:
    from statsmodels.duration.survfunc import SurvfuncRight

    c = fit.curves
    if c.tenure_months.size == 0 or not c.quit.any():
        ax.set_axis_off()
        return
    # Kaplan-Meier with late entry: reps already on post when the history starts count
    # from then on, not from their first day on post.
    km = SurvfuncRight(c.tenure_months, c.quit.astype(int), entry=c.entry_months)
    low, high = km.simultaneous_cb()
    ax.step(km.surv_times, km.surv_prob, where="post", color=PALETTE[0],
            label="history (Kaplan-Meier, 95% band)")  # fmt: skip
    ax.fill_between(km.surv_times, low, high, step="post", color=PALETTE[0], alpha=0.2)
    hazards = [e.value for e in fit.estimates if e.key.startswith("workforce.attrition.quit")]
    months = np.linspace(0, max(float(c.tenure_months.max()), 1.0), 200)
    year = np.minimum(months // 12, len(hazards) - 1).astype(int)
    rates = np.asarray(hazards)[year]
    cumulative = np.concatenate(([0.0], np.cumsum(rates[1:] * np.diff(months))))
    ax.plot(months, np.exp(-cumulative), color=PALETTE[1],
            label="constant hazard per year on post")  # fmt: skip
    ax.set_xlabel("months on post")
    ax.set_ylabel("share not yet quit")
    ax.set_title("How long reps stay (quits only; other leavers censored)")
    ax.legend(frameon=False, fontsize="small")


def _deal_values(ax, fit: Fit) -> None:
    values = fit.curves.deal_values
    if values.size == 0:
        ax.set_axis_off()
        return
    ax.hist(values, bins=40, density=True, color=PALETTE[0], alpha=0.6, label="history")
    mean, cv = fit.scenario.leads.deal_value_mean, fit.scenario.leads.deal_value_cv
    sigma = np.sqrt(np.log1p(cv**2))
    x = np.linspace(values.min(), values.max(), 300)
    pdf = stats.lognorm.pdf(x, s=sigma, scale=mean * np.exp(-(sigma**2) / 2))
    ax.plot(x, pdf, color=PALETTE[1], label=f"fitted lognormal (mean {mean:,.0f}, CV {cv:.2f})")
    ax.set_xlabel("deal value [yuan]")
    ax.set_ylabel("density")
    ax.set_title("Deal values")
    ax.legend(frameon=False, fontsize="small")


def _against_base(ax, fit: Fit) -> None:
    """Each value the history shows directly, as a multiple of the base's, with its
    interval (values read through the model are in the fitted file's comments)."""
    from simsales.history.fit import QUIT_KEY, THROUGH_MODEL

    table = fit.table()
    # Relative weights and shares are drawn in their own panel (where deals close); the
    # grade weights are relative chances on another scale than the base's.
    relative = ("leads.grade_sign_weight", "leads.signing_touch_shares", QUIT_KEY)
    direct = ~table["key"].isin(list(THROUGH_MODEL)) & ~table["key"].str.startswith(relative)
    rows = table[table["used"] & direct & (table["base"] > 0)]
    if rows.empty:
        ax.set_axis_off()
        return
    base = rows["base"].astype(float).to_numpy()
    y = np.arange(len(rows))
    ratio = rows["estimate"].to_numpy() / base
    err = np.vstack([ratio - rows["ci_low"].to_numpy() / base,
                     rows["ci_high"].to_numpy() / base - ratio])  # fmt: skip
    ax.errorbar(ratio, y, xerr=np.clip(err, 0, None), fmt="o", color=PALETTE[0], capsize=3)
    ax.axvline(1.0, color="grey", linewidth=1)
    ax.set_yticks(y, rows["key"].str.replace("leads.", "").tolist(), fontsize="x-small")
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xscale("log")
    from matplotlib.ticker import FuncFormatter, NullFormatter

    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.3g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("history's estimate / base value (95% CI; log scale)")
    ax.set_title("What the history says against the base")
