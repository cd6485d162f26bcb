"""The HTML report: every section present, plots embedded, nothing fetched from outside
the file, the numbers those of the comparison; the executive summary's sentences, its
warning when replications are too few, p-values only in the appendix, no code names in
the text or the figures; and ``simsales report`` end to end."""

from __future__ import annotations

import base64
import html
import math
import re
from html.parser import HTMLParser

import numpy as np
import pytest
import yaml

import simsales
import simsales.present.report
from simsales.metrics.catalogue import CATALOGUE
from simsales.metrics.catalogue import metric as catalogued
from simsales.metrics.cohorts import COUNTS, RATES
from simsales.present.report import (
    Effect,
    changes_in_words,
    detectable,
    effects,
    field_name,
    margin_sentence,
    render_report,
    replications_needed,
)
from tests.conftest import BASELINE, STEADY, small_overrides
from tests.test_cli import assert_bad_input, invoke
from tests.test_plotting import figure_texts

SECTIONS = ["summary", "scenarios", "headline", "comparison", "fan-charts", "funnel", "cohorts",
            "manifest", "appendix-tests"]  # fmt: skip
PNG = b"\x89PNG\r\n\x1a\n"
SNAKE = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)+")


class Page(HTMLParser):
    """Sections, images, every attribute that could load something, and the text a reader
    sees (not styles, nor the scenario files shown as code), overall and by section."""

    def __init__(self, text: str):
        super().__init__()
        self.sections, self.images, self.links, self.tags, self.text = [], [], [], [], []
        self.by_section: dict[str, list[str]] = {}
        self.heads: dict[str, list[str]] = {}  # table headers by section
        self._open: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        self._open.append(tag)
        if tag == "section":
            self.sections.append(attrs["id"])
            self.by_section[attrs["id"]] = []
            self.heads[attrs["id"]] = []
        if tag == "img":
            self.images.append(attrs["src"])
            self._open.pop()  # no end tag
        self.links += [v for k, v in attrs.items() if k in ("href", "src", "action", "srcset")]

    def handle_endtag(self, tag):
        while self._open and self._open.pop() != tag:
            pass

    def handle_data(self, data):
        if {"style", "pre", "script"} & set(self._open):
            return
        self.text.append(data)
        if self.sections and "section" in self._open:
            self.by_section[self.sections[-1]].append(data)
            if "th" in self._open and "thead" in self._open:
                self.heads[self.sections[-1]].append(data)

    def words(self, section: str | None = None, sep: str = " ") -> str:
        """The text, chunks joined by ``sep`` ("" keeps a sentence with markup whole)."""
        return sep.join(self.text if section is None else self.by_section[section])


def small_hiring(name: str, **overrides) -> simsales.Scenario:
    """A small team hiring a class of 2 every month for 6 months: classes go on post."""
    base = simsales.load_scenario(BASELINE)
    small = {k: v for k, v in small_overrides(months=6).items() if k not in STEADY}
    return base.with_overrides({**small, "name": name, "workforce.hiring.class_size": 2,
                                **overrides})  # fmt: skip


@pytest.fixture(scope="module")
def comparison():
    """Four scenarios, 3 replications: a quota change, a noisy smaller team, and a copy of
    the baseline under another name."""
    scenarios = [
        small_hiring("base"),
        small_hiring("more_quota", **{"quota.revenue_per_month": 180_000.0}),
        small_hiring("fewer_reps", **{"team.reps": 6}),
        small_hiring("copy"),
    ]
    # Its metrics and table computed once for all the tests (as the report does).
    return simsales.report._once(simsales.compare(scenarios, replications=3, seed=2, workers=1))


@pytest.fixture(scope="module")
def page(comparison):
    """The rendered report, and the texts of every figure in it."""
    texts = []
    image = simsales.report._image

    def recording(fig, alt):
        texts.extend(figure_texts(fig))
        return image(fig, alt)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(simsales.report, "_image", recording)
        text = render_report(comparison, {"base": "base.yaml", "more_quota": "more.yaml"}, "T")
    return text, Page(text), texts


def test_every_section_in_order_with_embedded_pngs_and_no_outside_address(page):
    text, p, _ = page
    assert p.sections == SECTIONS
    assert text.startswith("<!DOCTYPE html>") and p.tags[0] == "html"
    # Forest plot, 3 fan charts, 4 headcounts, 4 funnels, survival and class KPIs.
    assert len(p.images) == 14
    for src in p.images:
        head, data = src.split(",", 1)
        assert head == "data:image/png;base64"
        assert base64.b64decode(data).startswith(PNG)
    assert all(link.startswith("data:") for link in p.links)
    assert "script" not in p.tags and "link" not in p.tags  # nothing to run or fetch
    for scheme in ("http://", "https://", "ftp://", "url(", "@import"):
        assert scheme not in text.lower()


def _paired(comparison, scenario: str, metric: str) -> np.ndarray:
    values = comparison.metrics()[metric]
    base = values.xs(comparison.baseline, level="scenario")
    return (values.xs(scenario, level="scenario") - base).dropna().to_numpy()


def test_summary_says_each_scenarios_change_margin_and_years_better(comparison, page):
    _, p, _ = page
    summary = p.words("summary", "")
    table = comparison.table().set_index(["scenario", "metric"])
    m = catalogued("margin")
    # The baseline's own headline numbers open the summary.
    base = comparison.results["base"].summary().set_index("metric").loc["margin"]
    assert (
        f"The baseline, base, makes a margin of {m.format_short(base['mean'])} yuan over the "
        f"6-month horizon (95% CI {m.format_short(base['ci_low'])} to "
        f"{m.format_short(base['ci_high'])})"
    ) in summary
    # A smaller team whose difference this run cannot tell from noise: the CI is quoted
    # and said to include zero.
    r = table.loc[("fewer_reps", "margin")]
    assert r["ci_low"] < 0 < r["ci_high"], "precondition: seed 2 gives an unclear margin"
    better = int((_paired(comparison, "fewer_reps", "margin") > 0).sum())
    assert (
        "fewer_reps: changes reps on post on the first day: 8 → 6 reps (-25%). Against base, "
        f"it makes no clear difference to margin ({m.format_short(r['difference'], True)} yuan "
        f"over the 6-month horizon; 95% CI [{m.format_short(r['ci_low'], True)}, "
        f"{m.format_short(r['ci_high'], True)}] includes zero); it did better in {better} of "
        "3 simulated runs of 6 months."
    ) in summary
    # A renamed copy: the same inputs, the same numbers.
    assert (
        "copy: the same inputs as the baseline. Against base, it makes no difference to "
        "margin: the same in all 3 simulated runs of 6 months."
    ) in summary
    assert "monthly quota of a rep on post all month: 150,000 → 180,000 yuan a month (+20%)" in (
        summary
    )


def test_summary_warns_when_replications_are_too_few(comparison, page):
    _, p, _ = page
    summary = p.words("summary", "")
    assert "Too few replications for the differences shown." in summary
    assert "With only 3 simulated runs of 6 months" in summary
    effect = effects(comparison, "fewer_reps", ["margin"])["margin"]
    smallest = detectable(effect.standard_error, 3)
    assert smallest > abs(effect.difference)  # why it is unclear
    m = catalogued("margin")
    assert (
        f"fewer_reps: margin {m.format_short(effect.difference, True)} yuan, where only a "
        f"difference of about {m.format_short(smallest)} yuan or more can be told from noise"
    ) in summary
    # The advice is enough replications for every difference listed, this one too.
    needed = replications_needed(effect)
    advised = re.search(r"Run more replications \(-r (\d+)\)", summary)
    if needed is None or advised is None:
        assert "for planning, treat them as no difference" in summary
    else:
        assert int(advised.group(1)) >= needed
    assert "(t0.975 + t0.80)" in summary  # the rule is stated


@pytest.fixture(scope="module")
def steady():
    """A steady team of 8 against one of 4: the smaller one sells clearly less."""
    base = simsales.load_scenario(BASELINE).with_overrides({**small_overrides(), "name": "base"})
    fewer = base.with_overrides({"name": "fewer_reps", "team.reps": 4})
    return simsales.report._once(simsales.compare([base, fewer], replications=3, seed=3, workers=1))


def test_a_smaller_team_costs_margin_and_needs_no_warning(steady):
    text = Page(simsales.report._executive_summary(steady)).words(sep="")
    r = steady.table().set_index(["scenario", "metric"]).loc[("fewer_reps", "margin")]
    assert r["ci_high"] < 0  # far from zero: the run tells it
    m = catalogued("margin")
    assert (
        f"Against base, it costs {m.format_short(-r['difference'])} yuan of margin over the "
        f"4-month horizon (95% CI {m.format_short(-r['ci_high'])} to "
        f"{m.format_short(-r['ci_low'])}); it did better in 0 of 3 simulated runs of 4 months. "
        "It has 4.0 fewer reps on post on average (4.0 against 8.0; the same difference in "
        "all 3 simulated runs of 4 months)."
    ) in text
    assert "Too few replications" not in text


def _effect(differences, low, high, metric="margin") -> Effect:
    d = np.asarray(differences, dtype=float)
    return Effect(metric, d, float(d.mean()), low, high, 100e6, 100e6 + d.mean())


def test_margin_sentence_words_the_sign_the_interval_and_ties():
    adds = _effect([2e6, 3e6, 1e6, 0.0], 0.5e6, 3.5e6)
    assert margin_sentence(adds, "a year", None) == (
        "it adds 1.5 M yuan of margin a year (95% CI 500 k to 3.5 M); it did better in 3 of "
        "4 simulated years (the same in 1)"
    )
    costs = _effect([-16.7e6] * 2 + [-16.6e6, -16.8e6], -18.4e6, -14.9e6)
    assert margin_sentence(costs, "a year", None) == (
        "it costs 16.7 M yuan of margin a year (95% CI 14.9 M to 18.4 M); it did better in 0 "
        "of 4 simulated years"
    )
    unclear = _effect([-1e6, 1e6, -0.5e6], -2.9e6, 2.2e6)
    assert margin_sentence(unclear, "a year", None) == (
        "it makes no clear difference to margin (-167 k yuan a year; 95% CI [-2.9 M, +2.2 M] "
        "includes zero); it did better in 1 of 3 simulated years"
    )
    same = _effect([0.0, 0.0], 0.0, 0.0)
    assert margin_sentence(same, "a year", None) == (
        "it makes no difference to margin: the same in all 2 simulated years"
    )


def test_smallest_detectable_difference_and_replications_needed():
    from scipy import stats

    # 80% power, 5% two-sided: (t(0.975) + t(0.80)) standard errors, 2.80 for many.
    assert detectable(1.0, 3) == pytest.approx(stats.t.ppf(0.975, 2) + stats.t.ppf(0.8, 2))
    assert detectable(1.0, 3) == pytest.approx(5.36, abs=0.01)
    assert detectable(1.0, 100_000) == pytest.approx(2.80, abs=0.01)
    assert math.isnan(detectable(1.0, 1))
    # Differences of sd 1 and mean 0.5: (2.8 / 0.5)^2 = 31 by the normal approximation,
    # 34 with t quantiles, rounded up to 40.
    d = np.array([1.5, -0.5, 0.5, 1.0, 0.0])
    effect = _effect((d - d.mean()) / d.std(ddof=1) + 0.5, -1, 2)
    assert effect.standard_error * math.sqrt(effect.n) == pytest.approx(1.0)
    assert replications_needed(effect) == 40
    assert detectable(1.0 / math.sqrt(34), 34) <= 0.5 < detectable(1.0 / math.sqrt(33), 33)
    assert replications_needed(_effect([1.0, -1.0, 0.01], -1, 1)) is None  # beyond 1,000


def test_p_values_are_only_in_the_appendix(comparison, page):
    _, p, _ = page
    for section in SECTIONS[:-1]:
        assert not any(h.startswith("p ") for h in p.heads[section]), section
    assert {"p (paired t-test)", "p (Holm)"} <= set(p.heads["appendix-tests"])
    tests = simsales.report.p_value_table(comparison)
    r = comparison.table().set_index(["scenario", "metric"]).loc[("fewer_reps", "payroll")]
    row = tests[(tests["scenario"] == "fewer_reps") & (tests["metric"] == "Reps' pay (payroll)")]
    assert row["p (paired t-test)"].item() == simsales.report._p(r["p_value"])
    assert row["p (Holm)"].item() == simsales.report._p(r["p_holm"])
    words = p.words("appendix-tests")
    assert row["p (Holm)"].item() in words and row["difference [95% CI]"].item() in words


def _code_names(results) -> set[str]:
    """Names of metrics and result columns with an underscore: code, not words."""
    columns = {c for r in results.values() for c in r.team_month.columns}
    return {n for n in {*CATALOGUE, *RATES, *COUNTS, *columns} if "_" in n}


def test_no_code_names_in_the_report_text_or_any_figure(comparison, page):
    _, p, figure_text = page
    names = _code_names(comparison.results)
    assert {"reps_on_post", "class_survival_3m_of_on_post", "survival_3m_of_on_post"} <= names
    seen = set(SNAKE.findall(p.words())) & names
    assert not seen, f"code names in the report's text: {sorted(seen)}"
    assert len(figure_text) > 100  # titles, labels, ticks and legends of 14 figures
    seen = {t for text in figure_text for t in SNAKE.findall(text)} & names
    assert not seen, f"code names in the figures: {sorted(seen)}"
    assert "share of reps who went on post still there" in figure_text
    assert "share of all trainees still there" in figure_text
    assert "Margin (all revenue less cost of sales)  (↑ better)" in figure_text
    # Four scenarios: each fan chart is a panel per scenario.
    assert figure_text.count("fewer_reps") >= 3


def test_headline_and_comparison_show_the_computed_numbers(comparison, page):
    _, p, _ = page
    words = p.words("headline")
    r = comparison.results["base"].summary().set_index("metric").loc["revenue"]
    m = catalogued("revenue")
    assert f"{m.format(r['mean'])} [{m.format(r['ci_low'])}, {m.format(r['ci_high'])}]" in words
    assert "Revenue" in words and "Money" in words and "Calibration diagnostics" in words
    table = comparison.table().set_index(["scenario", "metric"])
    d = table.loc[("more_quota", "share_at_quota")]
    m = catalogued("share_at_quota")
    words = p.words("comparison")
    assert "Reps at quota (share of reps with a quota)" in words
    assert f"{m.format_difference(d['difference'])}" in words
    assert f"[{m.format_difference(d['ci_low'])}, {m.format_difference(d['ci_high'])}]" in words
    # What differs from the baseline, in words, and the manifest's seed and files.
    assert "monthly quota of a rep on post all month: 150,000 → 180,000 yuan a month" in (
        p.words("scenarios")
    )
    assert "more.yaml" in p.words() and "simsales 0.1.0" in p.words()


def test_every_metrics_table_says_the_catalogues_labels_units_and_directions(comparison, page):
    """Each scenario's comparison table names the report view's metrics that differ from
    the baseline by the catalogue's labels, in its order, with its units and which way is
    better; the appendix and the headline table use the same labels."""
    from simsales.metrics.catalogue import shown_in

    text, _, _ = page

    def rows(part: str) -> list[list[str]]:
        cells = (
            re.findall(r"<td[^>]*>(.*?)</td>", r) for r in re.findall(r"<tr>(<td.*?)</tr>", part)
        )
        return [[html.unescape(re.sub("<[^>]+>", "", c)) for c in row] for row in cells]

    def section(anchor: str) -> str:
        return text.split(f'<section id="{anchor}">')[1].split("</section>")[0]

    table = comparison.table().set_index(["scenario", "metric"])
    blocks = {b.split(" against ")[0]: b for b in section("comparison").split("<h3>")[1:]}
    assert set(blocks) == {"more_quota", "fewer_reps"}  # the copy differs in nothing
    for name, block in blocks.items():
        t = table.xs(name, level="scenario")
        same = (t["difference"] == 0) & (t["ci_low"] == t["ci_high"])
        differ = [m for m in shown_in("report") if t.loc[m, "n"] > 0 and not same[m]]
        got = rows(block)
        assert [r[0] for r in got] == [catalogued(m).label for m in differ]
        assert [r[1] for r in got] == [catalogued(m).unit_label for m in differ]
        assert [r[-2] for r in got] == [catalogued(m).better or "-" for m in differ]
    labels = {m.label for m in CATALOGUE.values()}
    assert {r[1] for r in rows(section("appendix-tests"))} <= labels
    report_labels = {catalogued(m).label for m in shown_in("report")}
    assert {r[0] for r in rows(section("headline"))} <= report_labels


def test_changes_in_words_name_fields_items_and_grades():
    base = simsales.load_scenario(BASELINE)
    dump = base.model_dump(mode="json")
    assert changes_in_words(dump, base.with_overrides({"name": "other"}).model_dump()) == []
    quota = base.with_overrides({"quota.revenue_per_month": 180_000.0,
                                 "workforce.dismissal.monthly_attainment_below": 0.6,
                                 "workforce.dismissal.consecutive_months": 3})  # fmt: skip
    assert changes_in_words(dump, quota.model_dump(mode="json")) == [
        "monthly quota of a rep on post all month: 150,000 → 180,000 yuan a month (+20%)",
        # A field the description names is written with its value.
        "dismissed after 3 whole months in a row on post with attainment below this: 0 → 0.6",
    ]
    names = [t.name for t in base.market.territories]
    firms = base.with_overrides({"market.territories.1.firms": 50_000})
    (change,) = changes_in_words(dump, firms.model_dump(mode="json"))
    assert change == f"prospect firms in the territory ({names[1]}): 40,000 → 50,000 firms (+25%)"
    fewer = base.with_overrides({"market.territories": [{"name": "A", "firms": 100}],
                                 "team.supervisor_groups": 1})  # fmt: skip
    assert changes_in_words(dump, fewer.model_dump(mode="json")) == [
        f"supervisor groups: {len(names)} → 1 groups (-88%)",
        f"territories: {', '.join(names)} → A",  # a list that shrank: one change
    ]
    assert field_name("leads.grade_mix.B") == ("share of entered leads, grade B", "")
    assert field_name("leads.followup_cadence_days.C") == (
        "working days between follow-up touches, grade C", "days")  # fmt: skip
    assert field_name("workforce.hiring.policy") == ("hiring policy", "")
    assert field_name("leads.pool_claim_scope") == ("who may claim a pool lead", "")


def test_a_description_opens_the_scenarios_sentence(comparison):
    base = comparison.results["base"].manifest
    described = {**base, "scenario": {**base["scenario"], "name": "x",
                 "description": "Raises the quota 20% to see what it costs"}}  # fmt: skip
    assert simsales.report._what(described, base) == "Raises the quota 20% to see what it costs."
    many = {
        **base,
        "scenario": {
            **base["scenario"],
            "team": {
                **base["scenario"]["team"],
                "reps": 9,
                "supervisor_groups": 1,
                "tenure_months_min": 1,
                "tenure_months_max": 2,
            },
        },
    }
    what = simsales.report._what(many, base)
    assert what.startswith("changes reps on post on the first day: 8 → 9 reps (+12%); ")
    assert what.endswith("; and 1 more change (see Scenarios).")
    assert simsales.report.Scenario.model_fields["description"].default is None


def test_a_single_scenario_report_has_no_comparison_and_a_summary_of_its_own(comparison):
    res = comparison.results["base"]
    p = Page(render_report(res))
    assert p.sections == [s for s in SECTIONS if s not in ("comparison", "appendix-tests")]
    r = res.summary().set_index("metric")
    m = catalogued("margin")
    assert (
        f"base makes a margin of {m.format_short(r.loc['margin', 'mean'])} yuan over the "
        f"6-month horizon (95% CI {m.format_short(r.loc['margin', 'ci_low'])} to "
        f"{m.format_short(r.loc['margin', 'ci_high'])}) on revenue of "
        f"{m.format_short(r.loc['revenue', 'mean'])} yuan"
    ) in p.words("summary", "")


def test_no_class_on_post_says_so():
    base = simsales.load_scenario(BASELINE).with_overrides(small_overrides(months=2))
    p = Page(render_report(simsales.run(base, replications=2, seed=1, workers=1)))
    assert "No hiring class went on post in these scenarios." in p.words()


def write(tmp_path, scenario: simsales.Scenario):
    path = tmp_path / f"{scenario.name}.yaml"
    path.write_text(yaml.safe_dump(scenario.model_dump(mode="json", exclude_none=True)))
    return path


def test_cli_writes_the_report_and_refuses_to_overwrite_it(tmp_path):
    tiny = {**small_overrides(months=2), "team.reps": 4}
    a = write(tmp_path, simsales.load_scenario(BASELINE).with_overrides({**tiny, "name": "a"}))
    b = write(tmp_path, simsales.load_scenario(BASELINE).with_overrides(
        {**tiny, "name": "b", "rep.norms.prospect_records": 35}))  # fmt: skip
    out = tmp_path / "report.html"
    args = ("report", a, b, "--out", out, "-r", "2", "-w", "1", "--no-progress")
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert Page(out.read_text()).sections == SECTIONS
    assert f"report written to {out}" in result.stdout
    before = out.read_bytes()
    assert_bad_input(invoke(*args), f"--out {out}: exists; add --force to replace it")
    assert out.read_bytes() == before  # the old report is intact
    assert invoke(*args, "--force").exit_code == 0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left


@pytest.mark.parametrize(
    "extra, message",
    [
        (("--out", "report.pdf"), "the report is an HTML file"),
        (("--out", "missing/report.html"), "does not exist"),
        (("--out", "r.html", "--baseline", "zzz"), "--baseline 'zzz': no such scenario"),
    ],
)
def test_cli_bad_output_or_baseline_is_exit_2(tmp_path, monkeypatch, extra, message):
    monkeypatch.chdir(tmp_path)
    assert_bad_input(invoke("report", BASELINE, *extra, "--no-progress"), message)


def test_cli_twice_the_same_scenario_is_exit_2(tmp_path):
    out = tmp_path / "r.html"
    assert_bad_input(invoke("report", BASELINE, BASELINE, "--out", out), "repeated: baseline")


def test_difference_table_wide_has_a_row_per_metric_in_the_order_asked(comparison):
    metrics = ["share_at_quota", "revenue", "attainment"]
    wide = simsales.report.difference_table(comparison, metrics, wide=True)
    # A row per metric in the order asked for.
    quota, attainment = "Reps at quota (share of reps with a quota)", catalogued("attainment").label
    assert [m for m, _ in wide.index] == [quota, "Revenue (new deals)", attainment]
    more = [c for c in wide.columns if c.startswith("more_quota: ")]
    assert more == ["more_quota: difference [95% CI]", "more_quota: P(better)"]
    assert list(wide.columns)[0] == "base"
    r = comparison.table().set_index(["scenario", "metric"]).loc[("more_quota", "attainment")]
    m = catalogued("attainment")
    cell = wide.loc[(attainment, "%"), "more_quota: difference [95% CI]"]
    assert cell == (
        f"{m.format(r['difference'], True)} [{m.format(r['ci_low'], True)}, "
        f"{m.format(r['ci_high'], True)}]"
    )
    assert wide.loc[(attainment, "%"), "more_quota: P(better)"] == f"{r['p_better'] * 100:.0f}%"
    with pytest.raises(ValueError, match="no such metric"):
        simsales.report.difference_table(comparison, ["no_such_metric"])


def test_a_longer_horizon_is_not_set_against_the_baselines_totals(steady):
    """Totals over 5 months against 4 would flatter the longer run: the summary says the
    horizons differ instead of stating an effect, and compare's text cautions."""
    base = steady.results["base"]
    longer = simsales.load_scenario(BASELINE).with_overrides(
        {**small_overrides(months=5), "name": "longer"}
    )
    scenarios = [simsales.Scenario.model_validate(base.manifest["scenario"]), longer]
    c = simsales.report._once(simsales.compare(scenarios, replications=3, seed=3, workers=1))
    text = Page(simsales.report._executive_summary(c)).words(sep="")
    assert "It runs 5 months against the baseline's 4, so its totals" in text
    assert "Against base" not in text and "Too few replications" not in text
    from simsales.present.text import format_comparison

    shown = format_comparison(c)
    assert "Caution: longer runs 5 months after a 1-month warm-up, base 4 months" in shown


def test_difference_table_wide_leaves_a_cell_empty_where_nothing_differs():
    """Dearer hires change no sale (the cost of a hire decides nothing), so revenue is the
    same in every paired replication: its cell is empty; the smaller team's is not."""
    scenarios = [
        small_hiring("base"),
        small_hiring("dearer_hires", **{"workforce.hiring.cost_per_hire": 6000.0}),
        small_hiring("fewer_reps", **{"team.reps": 6}),
    ]
    comparison = simsales.compare(scenarios, replications=3, seed=2, workers=1)
    wide = simsales.report.difference_table(comparison, ["revenue", "margin"], wide=True)
    assert wide.loc[("Revenue (new deals)", "yuan"), "dearer_hires: difference [95% CI]"] == ""
    assert wide.loc[("Revenue (new deals)", "yuan"), "fewer_reps: difference [95% CI]"] != ""
    margin = (catalogued("margin").label, "yuan")
    assert wide.loc[margin, "dearer_hires: difference [95% CI]"].startswith("-")


# ------------------------------------------------------------------ optimisation
class Rows(HTMLParser):
    """The cells of every table row (<td>s) of an HTML fragment."""

    def __init__(self, text: str):
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag == "td":
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _section_html(text: str, anchor: str) -> str:
    start = text.index(f'<section id="{anchor}">')
    return text[start : text.index("</section>", start)]


@pytest.fixture(scope="module")
def optimised():
    """The report of a small optimisation (tests.test_plotting.small_optimisation), its
    optimisation section's HTML, the page and the optimisation."""
    from tests.test_plotting import small_optimisation

    o = small_optimisation()
    text = render_report(o.comparison, {o.base.name: "opt.yaml"}, "Optimisation: opt.yaml",
                         optimisation=o)  # fmt: skip
    return text, _section_html(text, "optimisation"), Page(text), o


def test_optimisation_section_follows_the_summary_with_the_trade_off_plot(optimised):
    text, section, p, o = optimised
    assert p.sections == ["summary", "optimisation", *SECTIONS[1:]]
    (src,) = re.findall(r'<img alt="[^"]*" src="([^"]+)"', section)
    head, data = src.split(",", 1)
    assert head == "data:image/png;base64" and base64.b64decode(data).startswith(PNG)
    # the rest is the comparison of the base scenario with the winner
    assert p.heads["comparison"] and o.comparison is not None
    assert f"Compared with {o.base.name}" in text


def test_optimisation_section_says_what_was_searched_and_the_winners_values(optimised):
    _, section, p, o = optimised
    words = p.words("optimisation", "")
    assert "highest margin (in yuan, its mean over replications)" in words
    assert "first-year attrition at most 72.0%" in words
    rows = Rows(section).rows
    (param,) = [r for r in rows if r and r[0] == "pay.commission.rate"]
    (rate,) = o.winner_values.values()
    assert param == ["pay.commission.rate", "commission rate", "0.04 to 0.16 in steps of 0.02",
                     f"{o.base.pay.commission.rate:g}", f"{rate:g}"]  # fmt: skip
    assert f"The winner is trial {o.winner}: pay.commission.rate = {rate:g}." in words
    distinct = o.trials.drop_duplicates(subset=["pay.commission.rate"])
    assert (f"tried {len(distinct)} different candidates (1 proposed again and not rerun)"
            f", each on the same 6 simulated runs of 6 months") in words  # fmt: skip
    assert f"and {int(distinct['feasible'].sum())} of them met the constraints" in words


def test_optimisation_section_gives_the_fresh_advantage_with_its_ci_and_the_search_one(
    optimised,
):
    _, _, p, o = optimised
    words = p.words("optimisation", "")
    m = catalogued("margin")
    low, high = o.fresh_interval
    assert (
        f"On fresh replications (8 simulated runs of 6 months), its margin against the base "
        f"scenario's is {m.format_short(o.fresh_advantage, signed=True)} yuan (paired 95% CI "
        f"{m.format_short(low, signed=True)} to {m.format_short(high, signed=True)} yuan"
    ) in words
    assert f"it looked {m.format_short(o.search_advantage, signed=True)} yuan" in words
    assert "advantage seen in the search was luck" in words


def test_the_optimisers_curse_in_words():
    """How much of the search's advantage was luck, for each way the two can fall."""
    import dataclasses

    from tests.test_plotting import small_optimisation

    o = small_optimisation()

    def said(search: float, fresh: float, interval=(1.0, 2.0)) -> str:
        changed = dataclasses.replace(o, search_advantage=search, fresh_advantage=fresh,
                                      fresh_interval=interval)  # fmt: skip
        return html.unescape(re.sub(r"<[^>]+>", "", simsales.report._winner(changed, "runs")))

    assert "it looked +400 k yuan: 75% of the advantage seen in the search was luck " \
           "(the optimiser's curse)" in said(400_000, 100_000)  # fmt: skip
    assert "100% of the advantage seen in the search was luck" in said(400_000, -50_000)
    assert "none of the advantage seen in the search was luck" in said(100_000, 300_000)
    assert "did not look better than the base scenario (-20 k yuan)" in said(-20_000, 10_000)
    assert "it cannot be told from no difference" in said(1.0, 1.0, (-1.0, 3.0))
    assert "clearly better than the base scenario" in said(1.0, 1.0, (0.5, 3.0))


def test_optimisation_section_lists_the_finalists_and_how_many_tie_the_winner(optimised):
    _, section, p, o = optimised
    words = p.words("optimisation", "")
    heads = p.heads["optimisation"]
    finalists_head = ["rank", "trial", "pay.commission.rate", "margin [yuan]",
                      "first-year attrition [%]", "cannot be told from the winner",
                      "meets the constraints"]  # fmt: skip
    assert heads[-len(finalists_head) :] == finalists_head
    rows = [r for r in Rows(section).rows if len(r) == len(finalists_head)]
    f = o.finalists.sort_values("rank")
    assert [int(r[1]) for r in rows] == list(f["trial"])
    assert [r[0] for r in rows] == [str(int(x)) for x in f["rank"]]
    m, attrition = catalogued("margin"), catalogued("first_year_attrition")
    for r, (_, row) in zip(rows, f.iterrows(), strict=True):
        assert r[3] == m.format(row["objective"])
        assert r[4] == attrition.format(row["first_year_attrition <= 0.72"])
        tie = "the winner" if row["trial"] == o.winner else ("yes" if row["indistinguishable"]
                                                             else "no")  # fmt: skip
        assert r[5] == tie and r[6] == ("yes" if row["feasible"] else "no")
    k = o.indistinguishable
    assert 0 < k < len(f) - 1  # one ties the winner, one does not: both words shown
    assert f"{k} of the other {len(f) - 1} finalists cannot be told from the winner" in words


def test_optimisation_section_has_no_metric_code_names(optimised):
    _, _, p, o = optimised
    text = p.words("optimisation").replace("pay.commission.rate", "")
    assert not set(SNAKE.findall(text)) & set(CATALOGUE)
    assert "first_year_attrition" not in text
