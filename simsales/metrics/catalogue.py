"""The metric catalogue: what every headline metric is called in plain words, its unit,
its group, which way is better, how to write its values, and which views show it.

Every place that shows a metric to a person (the CLI summary, ``Results.summary()`` in a
notebook, the comparison, the report, the plots, the sweep table, the sensitivity
indices) and every place that picks a few metrics (what ``--precision`` watches, the
report's headline table and forest plot, the sweep's columns) reads it from here, so a
metric is labelled, grouped, formatted and chosen the same everywhere and is declared
once. Metrics of ``Results.metrics()`` are one row per simulated year (a replication);
see docs/model.md, section 4.6.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["money", "count", "share", "number"]
Better = Literal["higher", "lower"] | None

# Groups in the order they are shown: the money and the headcount first, calibration
# diagnostics last.
GROUPS = (
    "Money",
    "Headcount",
    "Sales",
    "Customers",
    "Workforce",
    "New-rep classes",
    "Pay",
    "Territory and leads",
    "Behaviour",
    "Calibration diagnostics",
)

# The views that show a chosen few metrics, and what each is; a metric names the views it
# is in (``Metric.views``) and ``shown_in`` lists a view's metrics in the catalogue's order.
VIEWS = {
    "precision": "what `simsales run --precision` (experiment.run_until_precise) runs until "
    "its 95% CIs are narrow enough: revenue and its main drivers",
    "report": "the report's headline table, its comparison tables and its appendix of tests",
    "forest": "the report's forest plot of paired differences: the money and the people",
    "fan": "the report's fan charts, month by month (team_month columns of the same names)",
    "sweep": "the means `simsales sweep` prints for every point",
    "class_kpis": "the shares plotting.class_kpis draws as bars (F23, F26)",
    "backtest": "what `simsales backtest` sets against a team's history month by month "
    "(team_month columns of the same names)",
    "target": "what `simsales plan` can aim at (team_month columns of the same names): a "
    "count or an amount summed over months 1..by, a number (reps on post) at the end of by",
    "plan": "what `simsales plan` sets against today's hiring",
}


@dataclass(frozen=True)
class Metric:
    """One headline metric as a person should see it."""

    name: str  # column of Results.metrics()
    label: str  # plain words, no code names
    unit: str  # what one of it is: yuan, reps, deals, ... ("" for shares)
    group: str  # one of GROUPS
    kind: Kind  # money: yuan with separators; share: a fraction shown as a percentage
    better: Better  # which way is good; None: no direction (diagnostics, trade-offs)
    decimals: int = 0  # for counts and numbers; shares always show one decimal of a percent
    only_if_any: bool = False  # shown only when some replication has a non-zero value
    views: frozenset[str] = field(default_factory=frozenset)  # of VIEWS: where it is chosen

    def format(self, value: float, signed: bool = False) -> str:
        """A value as a person reads it: ``121,266,541``, ``47.2%``, ``64.1``.

        ``signed`` writes a difference: ``+1,204``, ``-3.1 pp`` (a difference of two shares
        is in percentage points)."""
        if value is None or not math.isfinite(value):
            return "-"
        sign = "+" if signed else ""
        if self.kind == "share":
            text = f"{value * 100:{sign},.1f}"
            return f"{text} pp" if signed else f"{text}%"
        decimals = 0 if self.kind == "money" else self.decimals
        text = f"{value:{sign},.{decimals}f}"
        return text.lstrip("-") if float(text.replace(",", "")) == 0 and not signed else text

    def format_short(self, value: float, signed: bool = False) -> str:
        """Money in millions or thousands (``16.7 M``), anything else as ``format``."""
        if self.kind != "money" or value is None or not math.isfinite(value):
            return self.format(value, signed)
        sign = "+" if signed else ""
        if abs(value) >= 1e6:
            return f"{value / 1e6:{sign},.1f} M"
        if abs(value) >= 1e4:
            return f"{value / 1e3:{sign},.0f} k"
        return f"{value:{sign},.0f}"

    def format_difference(self, value: float) -> str:
        """A difference of two values with its sign, ``+1,204`` or ``-3.1 pp``; one that
        rounds to zero has none (``0``, ``0.0 pp``)."""
        text = self.format(value, signed=True)
        return text[1:] if re.fullmatch(r"[+-]0(\.0+)?( pp)?", text) else text

    def format_effect(self, value: float) -> str:
        """The size of an effect on the metric, e.g. a Morris elementary effect: money in
        yuan with separators, a share's in percentage points (``3.1 pp``), other numbers
        whole from 100 up and to 4 decimals below (effects on them are often small)."""
        if value is None or not math.isfinite(value):
            return "-"
        if self.kind in ("money", "share"):
            return self.format(value, signed=self.kind == "share").lstrip("+")
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.4f}"

    @property
    def unit_label(self) -> str:
        """The unit as a table of formatted values shows it: "yuan", "reps", ..., "%" for a
        share (its values are written as percentages)."""
        return "%" if self.kind == "share" else self.unit

    @property
    def data_unit(self) -> str:
        """The unit of the metric's numbers in a data frame: "yuan", "reps", ..., "share"
        for a fraction between 0 and 1."""
        return "share" if self.kind == "share" else self.unit

    @property
    def short_label(self) -> str:
        """The label without its closing note in brackets: "Margin", "Reps on post"."""
        return re.sub(r"\s*\([^)]*\)$", "", self.label)

    @property
    def phrase(self) -> str:
        """The short label as words inside a sentence: "margin", "reps on post", "F2: ..."
        (a label opening with capitals, such as an F-ID, keeps them)."""
        words = self.short_label
        return words if words[:2].isupper() else words[0].lower() + words[1:]


def _m(name: str, label: str, unit: str, group: str, kind: Kind, better: Better,
       decimals: int = 0, only_if_any: bool = False, views: str = "") -> Metric:  # fmt: skip
    """A catalogue entry; ``views`` names its views (of VIEWS), separated by spaces."""
    chosen = frozenset(views.split())
    unknown = sorted(chosen - set(VIEWS))
    if unknown or group not in GROUPS:
        raise ValueError(
            f"catalogue entry {name!r}: unknown view(s) {unknown} or group {group!r}; "
            f"allowed views: {list(VIEWS)}, groups: {list(GROUPS)}"
        )
    return Metric(name, label, unit, group, kind, better, decimals, only_if_any, chosen)


_MONEY, _HEAD, _SALES, _CUST, _WORK = GROUPS[:5]
_CLASS, _PAY, _TERR, _BEHAVE, _DIAG = GROUPS[5:]

# fmt: off
CATALOGUE: dict[str, Metric] = {
    m.name: m
    for m in (
        # Money: what the horizon earns and costs.
        _m("revenue", "Revenue (new deals)", "yuan", _MONEY, "money", "higher",
           views="precision report forest fan sweep backtest target plan"),
        _m("margin", "Margin (all revenue less cost of sales)", "yuan", _MONEY, "money", "higher",
           views="precision report forest fan sweep target plan"),
        _m("cost_of_sales", "Cost of sales (reps' pay, hiring, training)", "yuan", _MONEY,
           "money", "lower", views="report forest plan"),
        _m("payroll", "Reps' pay (payroll)", "yuan", _MONEY, "money", "lower",
           views="report forest"),
        # Headcount.
        _m("reps_on_post", "Reps on post (monthly average)", "reps", _HEAD, "number", "higher", 1,
           views="precision report forest fan sweep backtest target plan"),
        _m("supervisor_groups_end", "Supervisor groups at the end", "groups", _HEAD, "number",
           None, 1, views="report"),
        # Sales.
        _m("signings", "Deals signed", "deals", _SALES, "count", "higher",
           views="precision report forest backtest target"),
        _m("revenue_per_rep_month", "Revenue per rep per month", "yuan", _SALES, "money",
           "higher", views="report"),
        _m("signings_per_rep_month", "Deals per rep per month", "deals", _SALES, "number",
           "higher", 2),
        _m("attainment", "Team attainment (revenue as a share of quota)", "", _SALES, "share",
           "higher", views="report sweep"),
        _m("share_at_quota", "Reps at quota (share of reps with a quota)", "", _SALES, "share",
           "higher", views="precision report sweep"),
        _m("leads_entered", "Leads entered in the CRM", "leads", _SALES, "count", None),
        _m("visits", "First visits", "visits", _SALES, "count", None),
        _m("visits_per_rep_day", "First visits per rep per working day", "visits", _SALES,
           "number", None, 2),
        _m("followups_per_rep_day", "Follow-ups per rep per working day", "follow-ups", _SALES,
           "number", None, 2),
        # Customers after signing (F8): only with the customers section.
        _m("renewal_revenue", "Revenue from existing customers (renewals and yearly fees)",
           "yuan", _CUST, "money", "higher", only_if_any=True, views="report forest fan"),
        _m("recurring_revenue_end", "Recurring revenue at the end (yearly fees of customers)",
           "yuan", _CUST, "money", "higher", only_if_any=True, views="report"),
        _m("net_revenue_retention",
           "Net revenue retention (last 12 months: customers' fees now over a year before)", "",
           _CUST, "share", "higher", only_if_any=True, views="report"),
        _m("renewal_rate", "Customers who renewed, of those whose term ended", "", _CUST,
           "share", "higher", only_if_any=True, views="report"),
        _m("customers_churned", "Customers lost (not renewed or cancelled)", "customers", _CUST,
           "count", "lower", only_if_any=True, views="report"),
        _m("customers_active_end", "Customers at the end", "customers", _CUST, "count", "higher",
           only_if_any=True),
        # Workforce.
        _m("hires", "Reps hired (trainees)", "reps", _WORK, "number", None, 1, True,
           views="report plan"),
        _m("quits", "Reps who quit", "reps", _WORK, "number", "lower", 1, True,
           views="report forest backtest"),
        _m("dismissals", "Reps dismissed", "reps", _WORK, "number", "lower", 1, True,
           views="report forest backtest"),
        _m("first_year_attrition",
           "First-year attrition (reps on post who leave within 12 months, at this run's rate)",
           "", _WORK, "share", "lower", only_if_any=True, views="report plan"),
        _m("promotions", "Reps promoted to supervisor", "reps", _WORK, "number", None, 1, True,
           views="report"),
        _m("supervisor_hires", "Supervisors hired from outside", "supervisors", _WORK, "number",
           None, 1, True, views="report"),
        _m("supervisor_quits", "Supervisors who quit", "supervisors", _WORK, "number", "lower", 1,
           True, views="report"),
        _m("supervisor_demotions", "Supervisors demoted to selling (F29)", "supervisors", _WORK,
           "number", None, 1, True, views="report"),
        _m("group_merges", "Groups merged into another", "groups", _WORK, "number", None, 1, True,
           views="report"),
        _m("vacant_groups", "Groups without a supervisor (monthly average)", "groups", _WORK,
           "number", "lower", 2, True, views="report"),
        _m("refresher_sessions", "Reps at refresher training sessions (F27)", "rep-sessions",
           _WORK, "count", None, only_if_any=True),
        # New-rep classes (F21-F26), each named after its denominator.
        _m("class_washout_of_trainees", "Washed out in training, of trainees (F21)", "", _CLASS,
           "share", "lower"),
        _m("class_trial_pass_of_reached_trial", "Passed the trial, of those who reached it (F22)",
           "", _CLASS, "share", "higher"),
        _m("class_signing_rate_1m_of_on_post",
           "Signed in the first month, of reps who went on post (F23)", "", _CLASS, "share",
           "higher", views="class_kpis"),
        _m("class_orders_1m_per_on_post",
           "Orders in the first month per rep who went on post (F24)", "deals", _CLASS,
           "number", "higher", 2),
        _m("class_survival_3m_of_on_post",
           "Still there 3 months after going on post, of reps who went on post (F26)", "",
           _CLASS, "share", "higher", views="class_kpis"),
        _m("class_remaining_3m_of_trainees",
           "Still there 3 months after going on post, of all trainees", "", _CLASS, "share",
           "higher"),
        _m("class_earning_6m_of_on_post",
           "Earning by the 6th month, of reps who went on post (F26)", "", _CLASS, "share",
           "higher", views="class_kpis"),
        _m("class_survival_12m_of_on_post",
           "Still there 12 months after going on post, of reps who went on post", "", _CLASS,
           "share", "higher"),
        _m("class_remaining_12m_of_trainees",
           "Still there 12 months after going on post, of all trainees", "", _CLASS, "share",
           "higher"),
        # Pay.
        _m("pay_per_rep_month", "Pay per rep per month", "yuan", _PAY, "money", None,
           views="report"),
        _m("commission", "Commission", "yuan", _PAY, "money", None),
        _m("bonus", "Annual-grade bonus (F38)", "yuan", _PAY, "money", None, only_if_any=True,
           views="report"),
        _m("fines", "Fines for missed visits (F32)", "yuan", _PAY, "money", "lower",
           only_if_any=True, views="report"),
        _m("guarantee", "Guarantee top-ups of new reps' pay", "yuan", _PAY, "money", None,
           only_if_any=True, views="report"),
        _m("renewal_commission", "Renewal commission on existing customers (in commission)",
           "yuan", _PAY, "money", None, only_if_any=True),
        _m("team_bonus", "Quarterly team bonus (F37)", "yuan", _PAY, "money", None,
           only_if_any=True, views="report"),
        _m("soft_target_pay", "Soft-target pay for prospect records (F33)", "yuan", _PAY,
           "money", None, only_if_any=True, views="report"),
        _m("draw", "Draws advanced to new reps", "yuan", _PAY, "money", None, only_if_any=True,
           views="report"),
        _m("draw_recovered", "Draws repaid from commission", "yuan", _PAY, "money", None,
           only_if_any=True),
        _m("clawback", "Commission clawed back for customers who left early", "yuan", _PAY,
           "money", None, only_if_any=True, views="report"),
        _m("manager_pay", "Managers' pay (F14; in cost of sales)", "yuan", _PAY, "money", None,
           only_if_any=True, views="report"),
        _m("supervisor_pay", "Supervisors' pay (in cost of sales)", "yuan", _PAY, "money",
           None, only_if_any=True, views="report"),
        # Territory and leads.
        _m("opportunity_per_rep_cv", "Unevenness of market per rep (coefficient of variation)",
           "CV", _TERR, "number", "lower", 3, views="report"),
        _m("stale_to_pool", "Leads gone stale to the public pool", "leads", _TERR, "count",
           "lower", only_if_any=True, views="report"),
        _m("pool_claims", "Leads claimed from the public pool", "leads", _TERR, "count", None,
           only_if_any=True),
        _m("reclaimed_signings", "Deals signed from reclaimed leads", "deals", _TERR, "count",
           "higher", only_if_any=True),
        _m("duplicated_approaches", "Prospect records of a firm another rep is working",
           "records", _TERR, "count", "lower", only_if_any=True, views="report"),
        # Behaviour.
        _m("deals_held", "Deals held back to a later pay period", "deals", _BEHAVE, "number",
           "lower", 1, True, views="report"),
        _m("revenue_held", "Revenue held back to a later pay period", "yuan", _BEHAVE, "money",
           "lower", only_if_any=True),
        _m("deals_pulled", "Deals pulled into an earlier pay period", "deals", _BEHAVE,
           "number", "lower", 1, True, views="report"),
        _m("month_end_signing_share", "Deals signed in a month's last week", "", _BEHAVE,
           "share", None),
        # Calibration diagnostics: the model against the field figures, no better way.
        _m("f2_sign_rate", "F2: share of entered leads that sign (field: 1 in 20)", "", _DIAG,
           "share", None, views="report"),
        _m("f2_open_share", "F2: share of entered leads still open at the end", "", _DIAG,
           "share", None),
        _m("f7_share_phone", "F7: deals closed on the phone (field: 1%)", "", _DIAG, "share",
           None),
        _m("f7_share_first_visit", "F7: deals closed at the first visit (field: 2%)", "", _DIAG,
           "share", None),
        _m("f7_share_followup_1", "F7: deals closed at the 1st follow-up (field: 3%)", "", _DIAG,
           "share", None),
        _m("f7_share_followup_2", "F7: deals closed at the 2nd follow-up (field: 5%)", "", _DIAG,
           "share", None),
        _m("f7_share_followup_3", "F7: deals closed at the 3rd follow-up (field: 10%)", "",
           _DIAG, "share", None),
        _m("f7_share_followup_4_to_11", "F7: deals closed at follow-ups 4-11 (field: 80%)", "",
           _DIAG, "share", None),
    )
}
# fmt: on


def metric(name: str) -> Metric:
    """The catalogue entry of ``name``; a metric not in the catalogue (a user's own column)
    gets its name as label, no unit, no group order and no better direction."""
    found = CATALOGUE.get(name)
    if found is not None:
        return found
    return Metric(name, name, "", "Other", "number", None, 3)


def ordered(names) -> list[str]:
    """``names`` in display order: by group (GROUPS), then as in the catalogue; names not in
    the catalogue last, in the order given."""
    position = {name: i for i, name in enumerate(CATALOGUE)}
    rank = {g: i for i, g in enumerate(GROUPS)}

    def key(item):
        i, name = item
        m = metric(name)
        return (rank.get(m.group, len(GROUPS)), position.get(name, len(position) + i))

    return [name for _, name in sorted(enumerate(names), key=key)]


def better(name: str) -> Better:
    """Which way is better for ``name``: "higher", "lower" or None (no direction)."""
    return metric(name).better


def shown_in(view: str) -> tuple[str, ...]:
    """The metrics a view shows (``VIEWS``), in the catalogue's order."""
    if view not in VIEWS:
        raise ValueError(f"no view {view!r} in the metric catalogue; allowed: {list(VIEWS)}")
    return tuple(ordered([name for name, m in CATALOGUE.items() if view in m.views]))


# What --precision watches (run_until_precise's default): revenue and its main drivers.
PRECISION = shown_in("precision")
