"""The HTML report: every section present, plots embedded, nothing fetched from outside
the file, the numbers those of the comparison; and ``simsales report`` end to end."""

from __future__ import annotations

import base64
from html.parser import HTMLParser

import pytest
import yaml

import simsales
import simsales.report
from simsales.report import HEADLINE, render_report
from tests.conftest import BASELINE, STEADY, small_overrides
from tests.test_cli import assert_bad_input, invoke

SECTIONS = ["scenarios", "headline", "comparison", "fan-charts", "funnel", "cohorts", "manifest"]
PNG = b"\x89PNG\r\n\x1a\n"


class Page(HTMLParser):
    """Sections, images, every attribute that could load something, and the text."""

    def __init__(self, text: str):
        super().__init__()
        self.sections, self.images, self.links, self.tags, self.text = [], [], [], [], []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if tag == "section":
            self.sections.append(attrs["id"])
        if tag == "img":
            self.images.append(attrs["src"])
        self.links += [v for k, v in attrs.items() if k in ("href", "src", "action", "srcset")]

    def handle_data(self, data):
        self.text.append(data)


def small_hiring(name: str, **overrides) -> simsales.Scenario:
    """A small team hiring a class of 2 every month for 6 months: classes go on post."""
    base = simsales.load_scenario(BASELINE)
    small = {k: v for k, v in small_overrides(months=6).items() if k not in STEADY}
    return base.with_overrides({**small, "name": name, "workforce.hiring.class_size": 2,
                                **overrides})  # fmt: skip


@pytest.fixture(scope="module")
def comparison():
    scenarios = [
        small_hiring("base"),
        small_hiring("more_quota", **{"quota.revenue_per_month": 180_000.0}),
    ]
    return simsales.compare(scenarios, replications=3, seed=2, workers=1)


@pytest.fixture(scope="module")
def page(comparison):
    text = render_report(comparison, {"base": "base.yaml", "more_quota": "more.yaml"}, "T")
    return text, Page(text)


def test_every_section_in_order_with_embedded_pngs_and_no_outside_address(page):
    text, p = page
    assert p.sections == SECTIONS
    assert text.startswith("<!DOCTYPE html>") and p.tags[0] == "html"
    # Forest plot, 3 fan charts, 2 headcounts, 2 funnels, survival and class KPIs.
    assert len(p.images) == 10
    for src in p.images:
        head, data = src.split(",", 1)
        assert head == "data:image/png;base64"
        assert base64.b64decode(data).startswith(PNG)
    assert all(link.startswith("data:") for link in p.links)
    assert "script" not in p.tags and "link" not in p.tags  # nothing to run or fetch
    for scheme in ("http://", "https://", "ftp://", "url(", "@import"):
        assert scheme not in text.lower()


def test_headline_and_comparison_show_the_computed_numbers(comparison, page):
    _, p = page
    words = " ".join(p.text)
    summary = comparison.results["base"].summary().set_index("metric")
    _, _, scale, fmt = HEADLINE["revenue"]
    r = summary.loc["revenue"]
    assert (
        f"{fmt.format(r['mean'] * scale)} [{fmt.format(r['ci_low'] * scale)}, "
        f"{fmt.format(r['ci_high'] * scale)}]"
    ) in words
    table = comparison.table().set_index(["scenario", "metric"])
    d = table.loc[("more_quota", "share_at_quota")]
    assert f"{d['difference']:+.3f}" in words and f"[{d['ci_low']:+.3f}, " in words
    # What differs from the baseline, and the manifest's seed and files.
    assert "quota.revenue_per_month = 180000.0" in words
    assert "more.yaml" in words and "simsales 0.1.0" in words


def test_a_single_scenario_report_has_no_comparison(comparison):
    p = Page(render_report(comparison.results["base"]))
    assert p.sections == [s for s in SECTIONS if s != "comparison"]


def test_no_class_on_post_says_so():
    base = simsales.load_scenario(BASELINE).with_overrides(small_overrides(months=2))
    p = Page(render_report(simsales.run(base, replications=2, seed=1, workers=1)))
    assert "No hiring class went on post in these scenarios." in " ".join(p.text)


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
    # Revenue is the same in every paired replication here (a quota changes no sale in
    # this small team), so it is left out; the others keep the order asked for.
    assert [m for m, _ in wide.index] == ["share of reps at quota", "team attainment"]
    assert list(wide.columns) == [
        "base", "more_quota: difference [95% CI]", "more_quota: P(better)"]  # fmt: skip
    r = comparison.table().set_index(["scenario", "metric"]).loc[("more_quota", "attainment")]
    cell = wide.loc[("team attainment", "revenue / quota"), "more_quota: difference [95% CI]"]
    assert cell == f"{r['difference']:+.3f} [{r['ci_low']:+.3f}, {r['ci_high']:+.3f}]"
    with pytest.raises(ValueError, match="no display format"):
        simsales.report.difference_table(comparison, ["no_such_metric"])
