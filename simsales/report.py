"""A forwardable HTML report of scenarios run with common random numbers.

One self-contained file: styles inline, plots embedded as base64 PNG, no script and no
address outside the file, so it opens the same in any browser, offline or as an email
attachment. Sections: the scenarios and what differs from the baseline, headline
metrics with 95% CIs, the paired comparison with its forest plot, fan charts, the lead
funnel against F7, the new-rep cohort KPIs, and the manifest (seed, replications,
versions, scenario files).
"""

from __future__ import annotations

import base64
import html
import io
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from simsales import plotting
from simsales.experiment import Comparison
from simsales.results import Results, atomic_write

# Headline metrics: label, unit shown, scale applied to the value, format.
HEADLINE = {
    "revenue": ("revenue", "M yuan", 1e-6, "{:,.2f}"),
    "margin": ("margin (revenue - cost of sales)", "M yuan", 1e-6, "{:,.2f}"),
    "payroll": ("reps' payroll", "M yuan", 1e-6, "{:,.2f}"),
    "cost_of_sales": ("cost of sales", "M yuan", 1e-6, "{:,.2f}"),
    "signings": ("signings", "deals", 1, "{:,.0f}"),
    "reps_on_post": ("reps on post (monthly mean)", "reps", 1, "{:,.1f}"),
    "attainment": ("team attainment", "revenue / quota", 1, "{:.3f}"),
    "share_at_quota": ("share of reps at quota", "-", 1, "{:.3f}"),
    "hires": ("hires", "reps", 1, "{:,.1f}"),
    "quits": ("quits", "reps", 1, "{:,.1f}"),
    "dismissals": ("dismissals", "reps", 1, "{:,.1f}"),
    "duplicated_approaches": ("duplicated approaches", "records", 1, "{:,.0f}"),
    "deals_held": ("deals held to a later period", "deals", 1, "{:,.1f}"),
    "promotions": ("reps promoted to supervisor", "reps", 1, "{:,.1f}"),
    "supervisor_hires": ("supervisors hired from outside", "supervisors", 1, "{:,.1f}"),
    "opportunity_per_rep_cv": ("spread of market per rep (CV)", "-", 1, "{:.3f}"),
    "f2_sign_rate": ("F2: share of entered leads signed", "-", 1, "{:.4f}"),
}
# The trainer's KPIs of the cohorts table (docs/model.md 4.5 and 4.6).
COHORT = {
    "class_washout_of_trainees": ("washed out in training (F21)", "{:.3f}"),
    "class_trial_pass_of_reached_trial": ("trial pass rate (F22)", "{:.3f}"),
    "class_signing_rate_1m_of_on_post": ("F23 signing rate, 1st month on post", "{:.3f}"),
    "class_orders_1m_per_on_post": ("F24 order level, orders per rep", "{:.3f}"),
    "class_survival_3m_of_on_post": (
        "still there 3 months on, of those who went on post (F26)",
        "{:.3f}",
    ),
    "class_remaining_3m_of_trainees": (
        "still there 3 months after going on post, of all trainees",
        "{:.3f}",
    ),
    "class_earning_6m_of_on_post": ("earning by month 6 (F26)", "{:.3f}"),
    "class_survival_12m_of_on_post": (
        "still there 12 months on, of those who went on post",
        "{:.3f}",
    ),
    "class_remaining_12m_of_trainees": ("still there 12 months on, of all trainees", "{:.3f}"),
}
# Every metric difference_table can show.
DISPLAY = {**HEADLINE, **{m: (label, "-", 1, fmt) for m, (label, fmt) in COHORT.items()}}
# Monthly metrics drawn as fan charts: column of team_month, unit.
FANS = {"revenue": "yuan", "reps_on_post": "reps", "margin": "yuan"}
# The forest plot's metrics: the money and the people.
FOREST = ("revenue", "margin", "payroll", "signings", "reps_on_post", "quits", "dismissals")

STYLE = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em auto;
       max-width: 64em; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: right; }
th { background: #f3f3f3; } .text { text-align: left; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(28em, 1fr)); gap: 1em; }
img { max-width: 100%; height: auto; display: block; margin: 0.8em 0; }
.note { color: #555; font-size: 0.9em; } pre { background: #f7f7f7; padding: 0.8em;
       overflow-x: auto; font-size: 0.8em; } code { font-size: 0.95em; }
"""


def render_report(
    comparison: Comparison | Results,
    sources: Mapping[str, str] | None = None,
    title: str = "simsales report",
) -> str:
    """The report as one HTML document. ``comparison`` is a ``Comparison`` (paired with
    its baseline) or the ``Results`` of a single scenario (no comparison section);
    ``sources`` names the file each scenario came from, by scenario name."""
    if isinstance(comparison, Results):
        results, baseline = _split(comparison), None
    else:
        results, baseline = comparison.results, comparison.baseline
    sources = dict(sources or {})
    first = next(iter(results.values())).manifest
    parts = [
        f"<h1>{_e(title)}</h1>",
        f'<p class="note">{len(results)} scenario(s), {first.get("replications")} replications '
        f"each, seed {first.get('seed')}; made {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by "
        f"simsales {_e(first.get('versions', {}).get('simsales', '?'))}.</p>",
        _section("scenarios", "Scenarios", _scenarios(results, baseline, sources)),
        _section("headline", "Headline metrics", _headline(results)),
    ]
    if baseline is not None:
        parts.append(_section("comparison", f"Compared with {baseline}", _comparison(comparison)))
    parts += [
        _section("fan-charts", "Month by month", _fans(results)),
        _section("funnel", "The lead funnel", _funnels(results)),
        _section("cohorts", "New-rep classes", _cohorts(results)),
        _section("manifest", "Manifest", _manifest(results, sources)),
    ]
    body = "\n".join(parts)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}\n"
        "</body>\n</html>\n"
    )


def write_report(text: str, path: str | os.PathLike) -> Path:
    """Write the report atomically: a reader never sees half a file."""
    path = Path(path)
    atomic_write(path, lambda f: f.write(text.encode("utf-8")))
    return path


def _split(res: Results) -> dict[str, Results]:
    names = list(res.team_month["scenario"].unique())
    if len(names) == 1:
        return {names[0]: res}
    raise ValueError(f"a Results of several scenarios {names}: pass a Comparison instead")


def _e(text) -> str:
    return html.escape(str(text))


def _section(anchor: str, heading: str, content: str) -> str:
    return f'<section id="{anchor}">\n<h2>{_e(heading)}</h2>\n{content}\n</section>'


def _image(fig, alt: str) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{data}">'


def _table(rows: list[list[str]], head: list[str], text_columns: int = 1) -> str:
    """An HTML table; the first ``text_columns`` are text (left), the rest numbers."""

    def cell(tag: str, i: int, value) -> str:
        side = ' class="text"' if i < text_columns else ""
        return f"<{tag}{side}>{_e(value)}</{tag}>"

    head_row = "".join(cell("th", i, h) for i, h in enumerate(head))
    body = "".join(
        "<tr>" + "".join(cell("td", i, c) for i, c in enumerate(r)) + "</tr>" for r in rows
    )
    return f"<table>\n<thead><tr>{head_row}</tr></thead>\n<tbody>{body}</tbody>\n</table>"


def _flat(value, prefix: str = "") -> dict[str, object]:
    if isinstance(value, dict):
        out = {}
        for key, v in value.items():
            out.update(_flat(v, f"{prefix}{key}."))
        return out
    return {prefix[:-1]: value}


def _scenarios(
    results: Mapping[str, Results], baseline: str | None, sources: Mapping[str, str]
) -> str:
    flat = {n: _flat(r.manifest.get("scenario", {})) for n, r in results.items()}
    base = flat[baseline] if baseline else {}
    rows, blocks = [], []
    for name, res in results.items():
        if name == baseline:
            what = "the baseline"
        elif baseline is None:
            what = ""
        else:
            keys = [
                k
                for k in sorted(set(flat[name]) | set(base))
                if k != "name" and flat[name].get(k) != base.get(k)
            ]
            what = "; ".join(f"{k} = {_short(flat[name].get(k))}" for k in keys) or "same"
        rows.append([name, sources.get(name, "(built in code)"), what])
        text = yaml.safe_dump(res.manifest.get("scenario", {}), sort_keys=False, width=100)
        blocks.append(
            f"<details><summary>{_e(name)}: the full scenario</summary>"
            f"<pre>{_e(text)}</pre></details>"
        )
    head = ["scenario", "file", "differs from the baseline in" if baseline else "notes"]
    return _table(rows, head, text_columns=3) + "\n" + "\n".join(blocks)


def _short(value, limit: int = 80) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _headline(results: Mapping[str, Results]) -> str:
    summaries = {n: r.summary().set_index("metric") for n, r in results.items()}
    rows = []
    for metric, (label, unit, scale, fmt) in HEADLINE.items():
        cells = [_with_ci(summaries[n], metric, scale, fmt) for n in results]
        if all(c == "-" for c in cells) or (
            metric in ("duplicated_approaches", "deals_held")
            and all(c.startswith("0 ") for c in cells)
        ):
            continue
        rows.append([label, unit, *cells])
    note = (
        '<p class="note">Mean over replications [95% Student-t interval of the mean]; '
        "the interval says how precisely the mean is known, not how much one year "
        "varies (the fan charts show that).</p>"
    )
    return note + _table(rows, ["metric", "unit", *results], text_columns=2)


def _with_ci(summary: pd.DataFrame, metric: str, scale: float, fmt: str) -> str:
    if metric not in summary.index or summary.loc[metric, "n"] == 0:
        return "-"
    r = summary.loc[metric]
    mean = fmt.format(r["mean"] * scale)
    if not np.isfinite(r["ci_low"]):
        return mean
    return f"{mean} [{fmt.format(r['ci_low'] * scale)}, {fmt.format(r['ci_high'] * scale)}]"


def difference_table(comparison: Comparison, metrics=None, wide: bool = False) -> pd.DataFrame:
    """The paired comparison in readable units, one row per scenario and metric (the
    headline metrics, or those listed): baseline and scenario means, difference with its
    95% CI, Holm-adjusted p-value and P(better). Metrics that were not measured, or that
    were the same in every replication (hires under a fixed plan), are left out.

    ``wide=True``: one row per metric, the baseline's mean, then per scenario its
    difference with the 95% CI and P(better) (a metric missing for a scenario is empty)."""
    table = comparison.table().set_index(["scenario", "metric"])
    wanted = list(HEADLINE) if metrics is None else list(metrics)
    unknown = [m for m in wanted if m not in DISPLAY]
    if unknown:
        raise ValueError(f"no display format for metric(s) {unknown}; known: {list(DISPLAY)}")
    rows = []
    for name in table.index.get_level_values("scenario").unique():
        for metric in wanted:
            if (name, metric) not in table.index:
                continue
            r = table.loc[(name, metric)]
            if r["n"] == 0 or (r["difference"] == 0 and r["ci_low"] == r["ci_high"]):
                continue
            label, unit, scale, fmt = DISPLAY[metric]
            signed = fmt.replace("{:", "{:+")
            low, high = signed.format(r["ci_low"] * scale), signed.format(r["ci_high"] * scale)
            rows.append({
                "scenario": name, "metric": label, "unit": unit,
                comparison.baseline: fmt.format(r["baseline_mean"] * scale),
                "scenario mean": fmt.format(r["scenario_mean"] * scale),
                "difference": signed.format(r["difference"] * scale),
                "95% CI": f"[{low}, {high}]", "p (Holm)": f"{r['p_holm']:.3g}",
                "better if": r["better_if"], "P(better)": f"{r['p_better']:.2f}",
            })  # fmt: skip
    long = pd.DataFrame(rows)
    return _wide(long, comparison.baseline, wanted) if wide and len(long) else long


def _wide(long: pd.DataFrame, baseline: str, metrics: list[str]) -> pd.DataFrame:
    long = long.assign(**{"difference [95% CI]": long["difference"] + " " + long["95% CI"]})
    index = ["metric", "unit"]
    order = {DISPLAY[m][0]: i for i, m in enumerate(metrics)}
    out = long.drop_duplicates(index).sort_values("metric", key=lambda c: c.map(order))
    out = out.set_index(index)[[baseline]]
    for name, block in long.groupby("scenario", sort=False):
        cols = block.set_index(index)[["difference [95% CI]", "P(better)"]]
        out = out.join(cols.rename(columns=lambda c, n=name: f"{n}: {c}"))
    return out.fillna("")


def _comparison(comparison: Comparison) -> str:
    note = (
        '<p class="note">Every scenario ran on the same replications and seed (common '
        "random numbers), so each difference is paired replication by replication: "
        "95% paired t-interval, p-value Holm-adjusted over the scenarios, and P(better), "
        "the share of replications in which the scenario did better.</p>"
    )
    parts = [note]
    for name, block in difference_table(comparison).groupby("scenario", sort=False):
        block = block.drop(columns="scenario")
        rows = block.to_numpy().tolist()
        parts.append(f"<h3>{_e(name)} minus {_e(comparison.baseline)}</h3>")
        parts.append(_table(rows, list(block.columns), text_columns=2))
    table = comparison.table()
    forest = table[table["metric"].isin(FOREST)]
    parts.append(_image(plotting.forest_plot(forest), "Paired differences with 95% CIs"))
    return "\n".join(parts)


def _fans(results: Mapping[str, Results]) -> str:
    tm = pd.concat([r.team_month for r in results.values()], ignore_index=True)
    parts = [
        '<p class="note">Median, P25-P75 and P10-P90 over replications: the range of '
        "months a single year may bring.</p>"
    ]
    for metric, unit in FANS.items():
        parts.append(_image(plotting.fan_chart(tm, metric, unit), f"{metric} by month"))
    heads = [
        _image(plotting.headcount(r.team_month, n), f"headcount of {n}") for n, r in results.items()
    ]
    parts.append(f'<div class="grid">{"".join(heads)}</div>')
    return "\n".join(parts)


def _funnels(results: Mapping[str, Results]) -> str:
    note = (
        '<p class="note">From prospect records to signings per year (F1, F3, F2), and the '
        "signings by touch against the field's F7: most deals close after the 4th to "
        "11th follow-up.</p>"
    )
    plots = [
        _image(plotting.lead_funnel(r.team_month, r.funnel), f"lead funnel of {n}")
        + f'<p class="note">{_e(n)}</p>'
        for n, r in results.items()
    ]
    return note + "\n".join(plots)


def _cohorts(results: Mapping[str, Results]) -> str:
    cohorts = pd.concat([r.cohorts for r in results.values()], ignore_index=True)
    if cohorts.empty or not (cohorts["on_post"] > 0).any():
        return '<p class="note">No hiring class went on post in these scenarios.</p>'
    summaries = {n: r.summary().set_index("metric") for n, r in results.items()}
    rows = [
        [label, *(_with_ci(summaries[n], m, 1, fmt) for n in results)]
        for m, (label, fmt) in COHORT.items()
    ]
    note = (
        '<p class="note">Over the classes whose window the run observed (classes '
        "trained in the warm-up included); F23 excludes reps who left within the month, "
        "F24 includes them. Empty (-) where no class completed the window.</p>"
    )
    return "\n".join(
        [
            note,
            _table(rows, ["KPI", *results]),
            _image(plotting.cohort_survival(cohorts), "new-rep survival"),
            _image(plotting.class_kpis(cohorts), "new-rep KPIs"),
        ]
    )


def _manifest(results: Mapping[str, Results], sources: Mapping[str, str]) -> str:
    rows = []
    for name, res in results.items():
        m = res.manifest
        rows.append([name, sources.get(name, "(built in code)"), str(m.get("seed")),
                     str(m.get("replications")), m.get("scenario_hash", "")[:12],
                     m.get("created_utc", "")])  # fmt: skip
    versions = next(iter(results.values())).manifest.get("versions", {})
    note = (
        '<p class="note">The same scenarios, seed and replications reproduce these tables '
        "exactly, on any number of workers. Versions: "
        + _e(", ".join(f"{k} {v}" for k, v in sorted(versions.items())))
        + ".</p>"
    )
    head = [
        "scenario",
        "file",
        "seed",
        "replications",
        "scenario hash (SHA-256, first 12)",
        "run at (UTC)",
    ]
    return note + _table(rows, head, text_columns=2)
