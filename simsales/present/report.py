"""A forwardable HTML report of scenarios run with common random numbers.

One self-contained file: styles inline, plots embedded as base64 PNG, no script and no
address outside the file, so it opens the same in any browser, offline or as an email
attachment. Sections: an executive summary (one plain sentence per scenario: what it
changes, its effect on the margin with the 95% CI, in how many simulated years it did
better, its headcount; and a warning when the replications are too few for the
differences shown), the scenarios and what each changes against the baseline, headline
metrics with 95% CIs, the paired comparison with its forest plot, fan charts, the lead
funnel against F7, the new-rep cohort KPIs, the manifest (seed, replications, versions,
scenario files) and an appendix with the tests' p-values. Every metric is named, grouped
and written as the metric catalogue says (``simsales.metrics.catalogue``).
"""

from __future__ import annotations

import base64
import html
import inspect
import io
import math
import os
import re
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ValidationError

from simsales import plotting
from simsales.experiment.results import Results, atomic_write
from simsales.experiment.runs import Comparison
from simsales.metrics.catalogue import CATALOGUE, ordered, shown_in
from simsales.metrics.catalogue import metric as catalogued
from simsales.metrics.summary import RunInfo, Summary, replications_phrase
from simsales.scenario.schema import Scenario
from simsales.scenario.shocks import shock_timings

if typing.TYPE_CHECKING:
    from simsales.experiment.optimise import Constraint, Dimension, Optimisation

# The report's choices of metrics, its labels, units, groups, order and formats are the
# catalogue's (its views): the headline table, comparison tables and the appendix's tests;
HEADLINE = shown_in("report")
# the trainer's KPIs of the cohorts table (docs/model.md 4.5 and 4.6);
COHORT = tuple(name for name, m in CATALOGUE.items() if m.group == "New-rep classes")
# the monthly columns of team_month drawn as fan charts;
FANS = shown_in("fan")
# the forest plot's metrics: the money and the people.
FOREST = shown_in("forest")
# The executive summary's sentences: the headline effect, and the headcount clause.
MONEY = "margin"
HEADS = "reps_on_post"
# A difference whose 95% CI includes zero, from fewer replications than this, gets the
# warning that the run cannot tell it from noise. Assumption: 200 is what the notebooks
# run; a difference still unclear there is small next to a year's noise. Beyond
# MOST_SUGGESTED replications the report says to treat it as none rather than ask for more.
ENOUGH_REPLICATIONS = 200
MOST_SUGGESTED = 1000
# Power and test level of the smallest detectable difference (80% power, 5% two-sided).
POWER, ALPHA = 0.80, 0.05
# Changes of a scenario written out in the executive summary before "and N more".
CHANGES_IN_SUMMARY = 3

STYLE = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em auto;
       max-width: 64em; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: right; }
th { background: #f3f3f3; } .text { text-align: left; }
tr.group th { background: #e8eef5; text-align: left; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(28em, 1fr)); gap: 1em; }
img { max-width: 100%; height: auto; display: block; margin: 0.8em 0; }
.note { color: #555; font-size: 0.9em; } pre { background: #f7f7f7; padding: 0.8em;
       overflow-x: auto; font-size: 0.8em; } code { font-size: 0.95em; }
.summary li { margin-bottom: 0.5em; } td ul { margin: 0; padding-left: 1.2em; }
.warning { background: #fff4e0; border-left: 4px solid #E69F00; padding: 0.5em 0.8em; }
"""


def render_report(
    comparison: Comparison | Results,
    sources: Mapping[str, str] | None = None,
    title: str = "simsales report",
    optimisation: Optimisation | None = None,
) -> str:
    """The report as one HTML document. ``comparison`` is a ``Comparison`` (paired with
    its baseline) or the ``Results`` of a single scenario (no comparison section and no
    appendix of tests); ``sources`` names the file each scenario came from, by scenario
    name. With ``optimisation`` (``simsales.optimise``; ``comparison`` is then its
    ``comparison``, the base scenario against the winner) an "Optimisation" section after
    the executive summary says what was searched, the winner, its advantage on fresh
    replications against the one the search saw, the finalists and the trade-off plot."""
    run = _once(comparison)
    paired: Comparison | None = None  # with a baseline: the comparison's sections
    if isinstance(run, Results):
        results, baseline = _split(run), None
    else:
        paired = run
        results, baseline = run.results, run.baseline
    sources = dict(sources or {})
    first = next(iter(results.values())).manifest
    if paired is None:
        summary = _single_summary(*next(iter(results.items())))
    else:
        summary = _executive_summary(paired)
    parts = [
        f"<h1>{_e(title)}</h1>",
        f'<p class="note">{len(results)} scenario(s), {first.get("replications")} replications '
        f"each, seed {first.get('seed')}; made {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by "
        f"simsales {_e(first.get('versions', {}).get('simsales', '?'))}.</p>",
        _section("summary", "Executive summary", summary),
    ]
    if optimisation is not None:
        parts.append(_section("optimisation", "Optimisation", _optimisation(optimisation)))
    parts += [
        _section("scenarios", "Scenarios", _scenarios(results, baseline, sources)),
        _section("headline", "Headline metrics", _headline(results)),
    ]
    if paired is not None:
        parts.append(_section("comparison", f"Compared with {baseline}", _comparison(paired)))
    parts += [
        _section("fan-charts", "Month by month", _fans(results, baseline)),
        _section("funnel", "The lead funnel", _funnels(results)),
        _section("cohorts", "New-rep classes", _cohorts(results)),
        _section("manifest", "Manifest", _manifest(results, sources)),
    ]
    if paired is not None:
        parts.append(_section("appendix-tests", "Appendix: tests", _tests(paired)))
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


class _OnceResults(Results):
    """Results whose metrics and summary are computed once: the report reads them often."""

    def metrics(self) -> pd.DataFrame:
        if "_metrics" not in self.__dict__:
            self.__dict__["_metrics"] = super().metrics()
        return self.__dict__["_metrics"]

    def summary(self, confidence: float = 0.95) -> Summary:
        key = f"_summary_{confidence}"
        if key not in self.__dict__:
            self.__dict__[key] = super().summary(confidence)
        return self.__dict__[key]


class _OnceComparison(Comparison):
    """A comparison whose metrics and table are computed once."""

    def metrics(self) -> pd.DataFrame:
        if "_metrics" not in self.__dict__:
            self.__dict__["_metrics"] = super().metrics()
        return self.__dict__["_metrics"]

    def table(self, confidence: float = 0.95) -> pd.DataFrame:
        key = f"_table_{confidence}"
        if key not in self.__dict__:
            self.__dict__[key] = super().table(confidence)
        return self.__dict__[key]


def _once(run: Comparison | Results) -> Comparison | Results:
    """The same run, its derived tables computed once for the rendering."""
    if isinstance(run, Results):
        return _OnceResults(**{f.name: getattr(run, f.name) for f in fields(run)})
    results = {name: _once(r) for name, r in run.results.items()}
    return _OnceComparison(**{**{f.name: getattr(run, f.name) for f in fields(run)},
                              "results": results})  # fmt: skip


def _split(res: Results) -> dict[str, Results]:
    names = list(res.team_month["scenario"].unique())
    if len(names) == 1:
        return {names[0]: res}
    raise ValueError(f"a Results of several scenarios {names}: pass a Comparison instead")


def _row(table: pd.DataFrame, label: str | tuple[str, str]) -> pd.Series:
    """The row of ``table`` labelled ``label`` (a tuple in a MultiIndex), as a Series."""
    # pandas-stubs types .loc[label] as a Series or a DataFrame, and .loc[tuple] as a
    # scalar (a row and a column); one label of a unique index is one row, a Series.
    return typing.cast(pd.Series, table.loc[label])


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


class _Html(str):
    """A table cell already written as HTML (escaped where it needs to be)."""


Row = Sequence[str] | str  # a row of cells, or a group heading spanning the table


def _table(rows: Sequence[Row], head: Sequence[str], text_columns: int = 1) -> str:
    """An HTML table; the first ``text_columns`` are text (left), the rest numbers; a row
    that is one string is a group heading across the table."""

    def cell(tag: str, i: int, value) -> str:
        side = ' class="text"' if i < text_columns else ""
        return f"<{tag}{side}>{value if isinstance(value, _Html) else _e(value)}</{tag}>"

    def row(r: Row) -> str:
        if isinstance(r, str):
            return f'<tr class="group"><th colspan="{len(head)}">{_e(r)}</th></tr>'
        return "<tr>" + "".join(cell("td", i, c) for i, c in enumerate(r)) + "</tr>"

    head_row = "".join(cell("th", i, h) for i, h in enumerate(head))
    body = "".join(row(r) for r in rows)
    return f"<table>\n<thead><tr>{head_row}</tr></thead>\n<tbody>{body}</tbody>\n</table>"


def _grouped(named_rows: Sequence[tuple[str, list[str]]]) -> list[Row]:
    """Rows of metrics (name, cells), in the given order, with a heading before each of
    the catalogue's groups."""
    out: list[Row] = []
    group = None
    for name, cells in named_rows:
        if catalogued(name).group != group:
            group = catalogued(name).group
            out.append(group)
        out.append(cells)
    return out


# ------------------------------------------------------------------ changes in words
# Units of the schema's descriptions ("[yuan/month]") as words.
_UNITS = {"-": "", "min": "minutes", "month": "", "1/day": "a day", "1/month": "a month"}
_UNIT = re.compile(r"\s*\[([^\]]*)\]\.?\s*$")
# "flat, ramped: ...", "Optional. tiered: ...", "territory new: ...": whom a field is for.
_FOR_POLICY = re.compile(r"^(?:Optional\.\s+)?[a-z_]+(?:, [a-z_]+)*(?: [a-z_]+)?:\s+")
_SNAKE = re.compile(r"(?<![.\w])([a-z]+(?:_[a-z]+)+)(?![.\w])")
_LONG_NAME = 70  # a field's name longer than this is cut at its first comma or bracket
# changes and shocks: dated_in_words
_NOT_IN_WORDS = ("schema_version", "name", "description", "changes", "shocks")


@dataclass(frozen=True)
class _Part:
    """A model (``size`` None) or a list of ``size`` models of a dumped scenario, as one
    value, and how it reads."""

    size: int | None
    text: str

    def __str__(self) -> str:
        return self.text


def changes_in_words(baseline: Mapping, scenario: Mapping) -> list[str]:
    """What ``scenario`` changes against ``baseline`` (both ``Scenario.model_dump()``s),
    one phrase per changed field, named after the field's description in the schema:
    ``"monthly quota of a rep on post all month: 150,000 → 180,000 yuan a month (+20%)"``.
    Items of a list of the same length on both sides are compared one by one and say
    which they are (``"prospect firms in the territory (T1): ..."``); a list that grows or
    shrinks, or a part set on one side only, is one change. The name, description and
    schema version are not changes."""
    old, new = _leaves(_roster_in_words(baseline)), _leaves(_roster_in_words(scenario))
    keys = [k for k in dict.fromkeys([*old, *new]) if k.split(".")[0] not in _NOT_IN_WORDS]
    whole = [k for k in keys if _is_part(old.get(k)) or _is_part(new.get(k))]
    whole = [k for k in whole if not _same_shape(old.get(k), new.get(k))]
    changes = []
    for key in keys:
        a, b = old.get(key), new.get(key)
        if a == b or any(key.startswith(f"{w}.") for w in whole):
            continue
        if _is_part(a) and _same_shape(a, b):
            continue  # the same parts on both sides: their fields say what changed
        changes.append(_change(key, a, b, _item(key, old, new), new))
    return changes + dated_in_words(baseline, scenario)


def _roster_in_words(scenario: Mapping) -> Mapping:
    """The dump with a roster (``team.roster``, a row per person) said in one phrase,
    ``"30 reps, 3 trainees, 4 groups"``: its people are not a list of changes."""
    team = scenario.get("team")
    if not isinstance(team, Mapping) or not isinstance(team.get("roster"), list):
        return scenario
    roles = [str(p.get("role")) for p in team["roster"]]
    groups = len({p.get("group") for p in team["roster"]})
    said = ", ".join(f"{roles.count(r)} {r}s" for r in ("rep", "trainee") if roles.count(r))
    return {**scenario, "team": {**team, "roster": f"{said}, {groups} groups"}}


def dated_in_words(baseline: Mapping, scenario: Mapping) -> list[str]:
    """``scenario``'s dated changes (``changes:``) and shocks (``shocks:``), when the
    baseline's differ: one phrase each, ``"from month 4 (quota +15%): monthly quota ...:
    150,000 → 172,500 ..."``, ``"in month 4, 2027-04-20: Canton Fair (lead burst of 400
    leads)"``."""
    return _changes_in_words(baseline, scenario) + _shocks_in_words(baseline, scenario)


def _if_new(baseline: Mapping, scenario: Mapping, key: str, words: str) -> Scenario | list[str]:
    """``scenario`` validated when its ``key`` (changes, shocks) differs from the baseline's;
    else nothing to say ([]), or, for a manifest of another version, its count in words."""
    if not scenario.get(key) or baseline.get(key) == scenario.get(key):
        return []
    try:
        return Scenario.model_validate(scenario)
    except ValidationError:  # a manifest of another version: say it plainly
        return [f"{len(scenario[key])} {words}"]


def _shocks_in_words(baseline: Mapping, scenario: Mapping) -> list[str]:
    valid = _if_new(baseline, scenario, "shocks", "shocks")
    if isinstance(valid, list):
        return valid
    said = []
    for t in shock_timings(valid):
        shock, h = t.shock, valid.horizon
        dates = [s for s in (getattr(shock, "when", None), getattr(shock, "start", None))
                 if isinstance(s, date)]  # fmt: skip
        when = f"month {t.month}" + (f", {dates[0].isoformat()}" if dates else (
            f", {h.month_label(h.warmup_months + t.month - 1)}" if h.start else ""))  # fmt: skip
        what = f"{shock.name} ({shock.what})" if shock.name else shock.what
        said.append(f"in {when}: {what}")
    return said


def _changes_in_words(baseline: Mapping, scenario: Mapping) -> list[str]:
    dated = _if_new(baseline, scenario, "changes", "dated changes")
    if isinstance(dated, list):
        return dated
    phases = [s.model_dump(mode="json") for _, s in dated.phases()]
    h = dated.horizon

    def when(month: int) -> str:  # "month 4", or "month 4, 2027-04" with dates
        dates = h.start is not None
        return f"month {month}" + (
            f", {h.month_label(h.warmup_months + month - 1)}" if dates else ""
        )

    return [
        f"from {when(change.month)} ({change.label}): "
        + "; ".join(changes_in_words(phases[i], phases[i + 1]) or ["no value changes"])
        for i, change in enumerate(dated.changes or [])
    ]


def _is_part(value) -> typing.TypeGuard[_Part]:
    return isinstance(value, _Part)


def _same_shape(a, b) -> bool:
    return _is_part(a) and _is_part(b) and a.size == b.size


def _leaves(value, path: str = "") -> dict[str, object]:
    """Every dotted path of a dumped scenario with its value; a model or a list of models
    is there as a whole (a ``_Part``) and field by field (a list's items by index)."""
    if isinstance(value, Mapping):
        out: dict[str, object] = {path: _Part(None, _value(value))} if path else {}
        for key, v in value.items():
            out.update(_leaves(v, f"{path}.{key}" if path else str(key)))
        return out
    if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        names = [str(v["name"]) for v in value if "name" in v]
        text = ", ".join(names) if len(names) == len(value) else "; ".join(map(_value, value))
        out = {path: _Part(len(value), text)}
        for i, v in enumerate(value):
            out.update(_leaves(v, f"{path}.{i}"))
        return out
    return {path: value}


def _item(key: str, old: Mapping, new: Mapping) -> str | None:
    """Which item of a list ``key`` is in (its name, or "no. 2"), if it is in one."""
    keys = key.split(".")
    for i in range(len(keys) - 1, 0, -1):
        if keys[i].isdigit():
            listed = new.get(".".join(keys[:i])) or old.get(".".join(keys[:i]))
            k = int(keys[i])
            if not _is_part(listed):  # a list's items are under its _Part (_leaves)
                return f"no. {k + 1}"
            names = listed.text.split(", ")
            return names[k] if len(names) == listed.size else f"no. {k + 1}"
    return None


def _change(path: str, old, new, item: str | None, values: Mapping) -> str:
    parent = path.rsplit(".", 1)[0] if "." in path else ""
    siblings = {k[len(parent) + 1 :]: v for k, v in values.items()
                if parent and k.startswith(f"{parent}.")}  # fmt: skip
    name, unit = field_name(path, siblings)
    name = f"{name} ({item})" if item else name
    text = f"{name}: {_value(old)} → {_value(new)}"
    if unit and new is not None and not _is_part(new):
        text += f" {unit}"
    numbers = [x for x in (old, new) if isinstance(x, int | float) and not isinstance(x, bool)]
    if len(numbers) == 2 and old != 0:
        change = (new - old) / abs(old)
        text += f" ({change:+.0%})" if abs(change) >= 0.01 else f" ({change:+.1%})"
    return text


def _value(value) -> str:
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    if isinstance(value, int | float):
        return f"{value:,.6g}"
    if isinstance(value, list):
        return ", ".join(_value(v) for v in value) if value else "none"
    if isinstance(value, Mapping):
        return ", ".join(f"{str(k).replace('_', ' ')} {_value(v)}" for k, v in value.items())
    return str(value).replace("_", " ")


def field_name(path: str, siblings: Mapping[str, object] | None = None) -> tuple[str, str]:
    """A scenario field's name in words and its unit, from its description in the schema:
    ``"quota.revenue_per_month"`` -> ``("monthly quota of a rep on post all month",
    "yuan a month")``. A list item's index (``market.territories.0.firms``) is skipped; a
    grade's field says the grade; a field the description names (``consecutive_months``)
    is replaced by its value from ``siblings`` (the fields beside it)."""
    keys = [k for k in path.split(".") if not k.isdigit()]
    model: type[BaseModel] | None = Scenario
    info, parent = None, None
    for key in keys:
        if model is None or key not in model.model_fields:
            return path.replace("_", " "), ""
        parent, info = info, model.model_fields[key]
        model = _model_of(info.annotation)
    if info is None:
        return path.replace("_", " "), ""
    name, unit = _described(info, keys, siblings or {})
    if name is None and parent is not None and re.fullmatch(r"[A-D]", keys[-1]):
        # a grade A-D: named after its parent field
        name, unit = _described(parent, keys[:-1], {})
        name = f"{re.sub(r' by grade(?: A-D)?', '', name or keys[-2])}, grade {keys[-1]}"
    return name or keys[-1].replace("_", " "), unit


def _model_of(annotation) -> type[BaseModel] | None:
    """The model a field holds, directly, optionally or as a list of them."""
    for a in (annotation, *typing.get_args(annotation)):
        if typing.get_origin(a) is list:
            a = typing.get_args(a)[0]
        if inspect.isclass(a) and issubclass(a, BaseModel):
            return a
    return None


def _described(info, keys: list[str], siblings: Mapping[str, object]) -> tuple[str | None, str]:
    """Name and unit from a field's description: the unit in its closing brackets, the
    policies it is for and everything after its first clause left out. A choice whose
    description lists the options ("none: ...; promote: ...") is named after its path."""
    text = info.description
    if not text:
        return None, ""
    found = _UNIT.search(text)
    unit = found.group(1) if found else ""
    unit = _UNITS.get(unit, unit.replace("/", " a "))
    text = _UNIT.sub("", text).strip()
    options = [a for a in typing.get_args(info.annotation) if isinstance(a, str)]
    options += [o for a in typing.get_args(info.annotation) for o in typing.get_args(a)]
    path_name = " ".join(keys[-2:]).replace("_", " ")
    if any(text.startswith(f"{o}:") for o in options):
        return path_name, unit
    text = _FOR_POLICY.sub("", text)
    if text.startswith("true ="):  # a yes/no whose description explains "true"
        return path_name, unit
    text = re.split(r";|(?<!\.)\.\s+(?=[A-Z])", text)[0].rstrip(".")
    if text.count("(") > text.count(")"):
        text = text[: text.rindex("(")].rstrip()
    lead = re.match(r"^([^():]+):\s", text)
    if options and lead:  # "Who may claim a pool lead: ..." names the choice
        text = lead.group(1)
    if len(text) > _LONG_NAME:  # asides in brackets go first, then all after a comma
        text = re.sub(r"\s*\([^)]*\)", "", text)
    if len(text) > _LONG_NAME:
        cut = re.search(r",\s", text[20:])
        text = text[: 20 + cut.start()] if cut else text

    def words(m: re.Match) -> str:
        value = siblings.get(m[1])
        return (
            _value(value) if value is not None and not _is_part(value) else m[1].replace("_", " ")
        )

    text = _SNAKE.sub(words, text)
    if not text[:2].isupper():
        text = text[0].lower() + text[1:]
    return text, unit


# ------------------------------------------------------------------ executive summary
@dataclass(frozen=True)
class Effect:
    """One metric's paired effect of a scenario against the baseline: the differences
    replication by replication (scenario - baseline), their mean and 95% CI (as
    ``Comparison.table()``) and the two means."""

    metric: str
    differences: np.ndarray
    difference: float
    ci_low: float
    ci_high: float
    baseline_mean: float
    scenario_mean: float

    @property
    def n(self) -> int:
        return int(self.differences.size)

    @property
    def identical(self) -> bool:
        """The same in every replication."""
        return self.n > 0 and bool(np.all(self.differences == 0))

    @property
    def constant(self) -> bool:
        """The same difference in every replication."""
        return self.n > 0 and bool(np.all(self.differences == self.differences[0]))

    @property
    def unclear(self) -> bool:
        """Not the same everywhere, yet the 95% CI includes zero."""
        return not self.identical and self.ci_low <= 0 <= self.ci_high

    @property
    def better(self) -> int:
        """Replications in which the scenario did better, per the catalogue's direction."""
        way = catalogued(self.metric).better
        if way is None:
            return 0
        return int(np.sum(self.differences < 0 if way == "lower" else self.differences > 0))

    @property
    def standard_error(self) -> float:
        """Standard error of the mean paired difference."""
        if self.n < 2:
            return math.nan
        return float(self.differences.std(ddof=1) / math.sqrt(self.n))


def effects(comparison: Comparison, scenario: str, metrics: Sequence[str]) -> dict[str, Effect]:
    """The paired effects of ``scenario`` on ``metrics``, from the replications both it
    and the baseline have the metric in (as ``Comparison.table()`` pairs them)."""
    table = comparison.table().set_index(["scenario", "metric"])
    values = comparison.metrics()
    base = values.xs(comparison.baseline, level="scenario")
    other = values.xs(scenario, level="scenario")
    common = base.index.intersection(other.index)
    out = {}
    for name in metrics:
        if name not in values.columns or (scenario, name) not in table.index:
            continue
        a = base.loc[common, name].to_numpy(dtype=float)
        b = other.loc[common, name].to_numpy(dtype=float)
        ok = np.isfinite(a) & np.isfinite(b)
        r = _row(table, (scenario, name))
        out[name] = Effect(name, b[ok] - a[ok], float(r["difference"]), float(r["ci_low"]),
                           float(r["ci_high"]), float(r["baseline_mean"]),
                           float(r["scenario_mean"]))  # fmt: skip
    return out


def _horizon(manifest: Mapping) -> tuple[str, RunInfo | None]:
    """Over what a total runs, in words: "a year", or "over the 6-month horizon"."""
    info = RunInfo.of(manifest)
    if info is None or info.months == 12:
        return "a year", info
    return f"over the {info.months}-month horizon", info


def margin_sentence(effect: Effect, period: str, info: RunInfo | None) -> str:
    """What a scenario does to the margin, e.g. "it costs 17.1 M yuan of margin a year
    (95% CI 15.5 M to 18.8 M); it did better in 0 of 50 simulated years"."""
    m = catalogued(effect.metric)
    runs, _ = replications_phrase(info, effect.n)
    what, unit = m.phrase, m.unit  # "margin", "yuan"
    if effect.n == 0:
        return f"its {what} could not be compared (no replication has it)"
    if effect.identical:
        return f"it makes no difference to {what}: the same in all {runs}"
    short = m.format_short
    if not math.isfinite(effect.ci_low):
        interval = "one simulated run: no interval"
    elif effect.constant:
        interval = f"the same difference in all {runs}"
    elif effect.unclear:
        interval = None
    elif effect.difference < 0:
        interval = f"95% CI {short(-effect.ci_high)} to {short(-effect.ci_low)}"
    else:
        interval = f"95% CI {short(effect.ci_low)} to {short(effect.ci_high)}"
    if interval is None:
        text = (
            f"it makes no clear difference to {what} ({short(effect.difference, signed=True)} "
            f"{unit} {period}; 95% CI [{short(effect.ci_low, signed=True)}, "
            f"{short(effect.ci_high, signed=True)}] includes zero)"
        )
    elif effect.difference < 0:
        text = f"it costs {short(-effect.difference)} {unit} of {what} {period} ({interval})"
    else:
        text = f"it adds {short(effect.difference)} {unit} of {what} {period} ({interval})"
    ties = int(np.sum(effect.differences == 0))
    same = f" (the same in {ties})" if ties else ""
    return f"{text}; it did better in {effect.better} of {runs}{same}"


def headcount_sentence(effect: Effect, info: RunInfo | None = None) -> str:
    """The effect on reps on post, or "" when it is the same in every replication."""
    if effect.n == 0 or effect.identical:
        return ""
    m = catalogued(effect.metric)
    if effect.unclear:
        return (
            f"{m.short_label}: no clear difference ({m.format_difference(effect.difference)} on "
            f"average; 95% CI [{m.format_difference(effect.ci_low)}, "
            f"{m.format_difference(effect.ci_high)}] includes zero)."
        )
    word = "fewer" if effect.difference < 0 else "more"
    means = f"{m.format(effect.scenario_mean)} against {m.format(effect.baseline_mean)}"
    if not math.isfinite(effect.ci_low):
        interval = "one simulated run: no interval"
    elif effect.constant:
        interval = f"the same difference in all {replications_phrase(info, effect.n)[0]}"
    else:
        low, high = sorted(abs(x) for x in (effect.ci_low, effect.ci_high))
        interval = f"95% CI {m.format(low)} to {m.format(high)} {word}"
    return (
        f"It has {m.format(abs(effect.difference))} {word} {m.phrase} on average "
        f"({means}; {interval})."
    )


def detectable(standard_error: float, n: int) -> float:
    """The smallest difference ``n`` paired replications find with 80% power in a
    two-sided 5% paired t-test: (t(0.975, n-1) + t(0.80, n-1)) x the standard error of
    the mean difference, about 2.8 standard errors for many replications."""
    from scipy import stats

    if n < 2:
        return math.nan
    factor = stats.t.ppf(1 - ALPHA / 2, n - 1) + stats.t.ppf(POWER, n - 1)
    return float(factor * standard_error)


def replications_needed(effect: Effect) -> int | None:
    """Replications that would detect a difference of this effect's size (its spread per
    replication as measured), rounded up to ten; None beyond MOST_SUGGESTED."""
    from scipy import stats

    size = abs(effect.difference)
    spread = effect.standard_error * math.sqrt(effect.n)
    n = np.arange(max(effect.n, 2), MOST_SUGGESTED + 1)
    factor = stats.t.ppf(1 - ALPHA / 2, n - 1) + stats.t.ppf(POWER, n - 1)
    enough = n[factor * spread / np.sqrt(n) <= size]
    if not enough.size or size == 0:
        return None
    return int(min(math.ceil(enough[0] / 10) * 10, MOST_SUGGESTED))


def few_replications_warning(
    found: Mapping[str, Mapping[str, Effect]], info: RunInfo | None
) -> str:
    """The warning when the replications are too few for the differences shown: a
    headline difference whose 95% CI includes zero, from fewer than ENOUGH_REPLICATIONS;
    "" when there is none. It says the smallest difference the run can detect and how
    many replications one of the sizes shown would need."""
    lines, needed = [], []
    n = 0
    for scenario, by_metric in found.items():
        for effect in by_metric.values():
            if not effect.unclear or effect.n < 2 or effect.n >= ENOUGH_REPLICATIONS:
                continue
            n = max(n, effect.n)
            m = catalogued(effect.metric)
            fmt = m.format_short
            smallest = detectable(effect.standard_error, effect.n)
            lines.append(
                f"{scenario}: {m.phrase} {fmt(effect.difference, signed=True)} "
                f"{m.unit}, where only a difference of about {fmt(smallest)} {m.unit} or more "
                "can be told from noise"
            )
            needed.append(replications_needed(effect))
    if not lines:
        return ""
    runs, _ = replications_phrase(info, n)
    if any(x is None for x in needed):
        advice = (
            f"Some of these would need more than {MOST_SUGGESTED:,} replications to tell "
            "apart: for planning, treat them as no difference."
        )
    else:
        most = max(x for x in needed if x is not None)
        advice = f"Run more replications (-r {most}) to tell differences of these sizes."
    items = "".join(f"<li>{_e(line)}</li>" for line in lines)
    return (
        f'<div class="warning"><p><strong>Too few replications for the differences shown.'
        f"</strong> With only {_e(runs)}, differences smaller than these cannot be told "
        f"from noise:</p><ul>{items}</ul><p>{_e(advice)}</p>"
        '<p class="note">The smallest detectable difference is the one a two-sided 5% paired '
        "t-test finds with 80% power: (t<sub>0.975</sub> + t<sub>0.80</sub>) with N − 1 "
        "degrees of freedom times the standard error of the paired difference (its "
        "standard deviation over √N), about 2.8 standard errors for many replications.</p>"
        "</div>"
    )


def _executive_summary(comparison: Comparison) -> str:
    """One sentence per scenario against the baseline, the baseline's own, and the
    warning when the replications are too few."""
    baseline = comparison.baseline
    results = comparison.results
    base_manifest = results[baseline].manifest
    period, info = _horizon(base_manifest)
    items, found = [], {}
    for name, res in results.items():
        if name == baseline:
            continue
        found[name] = effects(comparison, name, (MONEY, HEADS))
        what = _what(res.manifest, base_manifest)
        own_period, own_info = _horizon(res.manifest)
        parts = [f"<strong>{_e(name)}</strong>: {_e(what)} "]
        if own_period != period:  # totals over different periods: no effect to state
            found.pop(name)
            months = own_info.months if own_info else "?"
            base_months = info.months if info else "?"
            parts.append(
                _e(
                    f"It runs {months} months against the baseline's {base_months}, so its totals "
                    "(margin, revenue, deals) cannot be set against the baseline's; compare "
                    "scenarios over the same horizon."
                )
            )
            items.append("<li>" + "".join(parts) + "</li>")
            continue
        parts.append(f"Against {_e(baseline)}, ")
        if MONEY in found[name]:
            parts.append(_e(margin_sentence(found[name][MONEY], own_period, info)) + ".")
        if HEADS in found[name]:
            heads = headcount_sentence(found[name][HEADS], own_info)
            parts.append(f" {_e(heads)}" if heads else "")
        items.append("<li>" + "".join(parts) + "</li>")
    subject = "The baseline" if baseline == "baseline" else f"The baseline, {baseline},"
    opening = _e(_headline_sentence(subject, results[baseline]))
    return (
        f'<div class="summary"><p>{opening}</p><ul>{"".join(items)}</ul>'
        f"{few_replications_warning(found, info)}"
        '<p class="note">Each scenario ran on the same replications and random numbers as '
        "the baseline (common random numbers), so each difference is paired replication by "
        "replication; the 95% CI is that of the mean difference. The tests' p-values are in "
        "the appendix.</p></div>"
    )


def _what(manifest: Mapping, base_manifest: Mapping) -> str:
    """What a scenario is: its description, or its changes against the baseline."""
    scenario = manifest.get("scenario", {})
    description = scenario.get("description")
    if description:
        text = str(description).strip()
        return text if text.endswith((".", "!", "?")) else text + "."
    changes = changes_in_words(base_manifest.get("scenario", {}), scenario)
    if not changes:
        return "the same inputs as the baseline."
    shown = "; ".join(changes[:CHANGES_IN_SUMMARY])
    more = len(changes) - CHANGES_IN_SUMMARY
    rest = f"; and {more} more change{'s' if more > 1 else ''} (see Scenarios)" if more > 0 else ""
    return f"changes {shown}{rest}."


def _headline_sentence(subject: str, res: Results) -> str:
    """A scenario's headline numbers in one sentence: its margin with the 95% CI, revenue,
    reps on post and deals signed, over how many simulated years."""
    period, info = _horizon(res.manifest)
    summary = res.summary().set_index("metric")

    def value(metric: str, short: bool = True) -> str:
        m = catalogued(metric)
        if metric not in summary.index or summary.loc[metric, "n"] == 0:
            return "-"
        return (m.format_short if short else m.format)(float(_row(summary, metric)["mean"]))

    margin = _row(summary, MONEY) if MONEY in summary.index else None
    interval = ""
    if margin is not None and math.isfinite(margin["ci_low"]):
        m = catalogued(MONEY)
        interval = (
            f" (95% CI {m.format_short(margin['ci_low'])} to {m.format_short(margin['ci_high'])})"
        )
    n = int(summary["n"].max()) if len(summary) else 0
    runs, _ = replications_phrase(info, n)
    money, heads = catalogued(MONEY), catalogued(HEADS)
    revenue, deals = catalogued("revenue"), catalogued("signings")
    return (
        f"{subject} makes a {money.phrase} of {value(MONEY)} {money.unit} {period}{interval} on "
        f"{revenue.phrase} of {value('revenue')} {revenue.unit}, with {value(HEADS, False)} "
        f"{heads.phrase} on average and {value('signings', False)} {deals.phrase} (mean of "
        f"{runs})."
    )


def _single_summary(name: str, res: Results) -> str:
    scenario = res.manifest.get("scenario", {})
    description = scenario.get("description")
    lead = f"<p>{_e(description)}</p>" if description else ""
    dated = dated_in_words({}, scenario)
    kinds = [w for w, key in (("changes", "changes"), ("events", "shocks")) if scenario.get(key)]
    plan = (f"<p>Dated {' and '.join(kinds)}: "
            f"{_e('. '.join(d[0].upper() + d[1:] for d in dated))}.</p>")  # fmt: skip
    return (
        f'<div class="summary">{lead}<p>{_e(_headline_sentence(name, res))}</p>'
        f"{plan if dated else ''}</div>"
    )


# ------------------------------------------------------------------ optimisation
_OP_WORDS = {"<=": "at most", ">=": "at least", "<": "below", ">": "above"}


def _optimisation(o: Optimisation) -> str:
    """What an optimisation searched and found, for a reader who is not a modeller: the
    objective, parameters and constraints; the search; the winner and its advantage over
    the base scenario on fresh replications against the one the search saw (the
    optimiser's curse); the finalists and how many cannot be told from the winner; the
    trade-off plot."""
    spec, m = o.spec, catalogued(o.objective.metric)
    info = (
        RunInfo.of(o.comparison.results[o.comparison.baseline].manifest) if o.comparison else None
    )
    search_runs, _ = replications_phrase(info, spec.replications)
    fresh_runs, _ = replications_phrase(info, spec.final_replications)
    best = "highest" if spec.goal == "maximise" else "lowest"
    q = o.objective.q
    what = ("its mean over replications" if q is None else f"its P{round(q * 100)} over "
            f"replications: {1 - q:.0%} of them reach it or do better")  # fmt: skip
    unit = f"in {m.unit}, " if m.unit else ""
    parts = [
        f"<p>The search looked for the values of the parameters below that give the "
        f"<strong>{_e(best)} {_e(o.objective.words)}</strong> ({_e(unit)}{_e(what)}), "
        f"starting from the base scenario, {_e(o.base.name)}.</p>",
        _parameters(o),
    ]
    cons = o.constraints
    if cons:
        items = "".join(f"<li>{_e(_constraint_in_words(c))}</li>" for c in cons)
        which = "this constraint" if len(cons) == 1 else "these constraints"
        parts.append(f"<p>Every candidate had to meet {which} (on the mean over its "
                     f"replications unless it says otherwise):</p><ul>{items}</ul>")  # fmt: skip
    else:
        parts.append("<p>No constraints: every candidate counts.</p>")
    distinct = o.trials.drop_duplicates(subset=list(spec.parameters))
    met = int(distinct["feasible"].sum())
    repeats = len(o.trials) - len(distinct)
    again = f" ({repeats} proposed again and not rerun)" if repeats else ""
    parts.append(
        f"<p>The search tried {len(distinct)} different candidates{_e(again)}, each on the "
        f"same {_e(search_runs)} as the base scenario (common random numbers), and "
        f"{met} of them met the constraints. The {len(o.finalists)} best of those were run "
        f"again, with the base scenario, on {_e(fresh_runs)} they had not been picked on "
        "(fresh replications): the winner is the finalist with the best "
        f"{_e(o.objective.words)} there that still meets the constraints.</p>"
    )
    if o.winner is None:
        parts.append('<div class="warning"><p><strong>No winner.</strong> No finalist met '
                     "the constraints again on the fresh replications.</p></div>")  # fmt: skip
    else:
        parts.append(_winner(o, fresh_runs))
    if len(o.finalists):
        parts.append(_finalists(o))
    parts.append(
        '<p class="note">Every candidate the search tried, on the search replications: '
        "filled where it met the constraints, hollow where it did not; the finalists "
        "ringed, the winner starred; the dotted line is the base scenario on the same "
        "replications.</p>"
    )
    parts.append(_image(plotting.trade_off(o), f"{o.objective.words} of every candidate tried"))
    if o.comparison is not None:
        parts.append(
            '<p class="note">The rest of this report sets the winner against the base '
            "scenario on the fresh replications.</p>"
        )
    return "\n".join(parts)


def _constraint_in_words(c: Constraint) -> str:
    """A constraint as a sentence part: "first-year attrition at most 72.0%", "margin
    above the base scenario's in at least 90% of the paired replications"."""
    op = _OP_WORDS[c.op]
    if c.versus is not None:
        way = "above" if c.versus == ">" else "below"
        return (f"{c.measure.words} {way} the base scenario's in {op} {c.value:.0%} of the "
                "paired replications")  # fmt: skip
    m = catalogued(c.measure.metric)
    unit = f" {m.unit}" if m.unit else ""
    return f"{c.measure.words} {op} {m.format(c.value)}{unit}"


def _level(c: Constraint, level: float) -> str:
    if c.versus is not None:
        return _share(level)
    return catalogued(c.measure.metric).format(level)


def _level_head(c: Constraint) -> str:
    if c.versus is not None:
        way = "above" if c.versus == ">" else "below"
        return f"{c.measure.words} {way} the base scenario's [% of replications]"
    m = catalogued(c.measure.metric)
    return f"{c.measure.words} [{m.unit_label}]" if m.unit_label else c.measure.words


def _searched(dim: Dimension) -> str:
    """A parameter's range or choices in words: "0.04 to 0.16 in steps of 0.02"."""
    if dim.choices is not None:
        if isinstance(dim.choices, Mapping):
            return "; ".join(f"{label} ({_value(v)})" for label, v in dim.choices.items())
        return "; ".join(_value(v) for v in dim.choices)
    text = f"{_value(dim.low)} to {_value(dim.high)}"
    if dim.integer:
        text = f"whole numbers {text}"
    if dim.step:
        text += f" in steps of {_value(dim.step)}"
    if dim.log:
        text += " (searched on a log scale)"
    return text


def _chosen(dim: Dimension, value) -> str:
    """A parameter's value as the search wrote it: a choice's label (and its value when
    the label names one), or the number."""
    value = value.item() if isinstance(value, np.generic) else value
    if dim.choices is not None and isinstance(dim.choices, Mapping):
        return f"{value} ({_value(dim.choices[value])})" if value in dim.choices else str(value)
    return _value(value)


def _base_value(dim: Dimension, value) -> str:
    """The base scenario's value of a parameter: the choice it equals, else its value
    (a part's fields that are set)."""
    if dim.choices is not None:
        for label in dim.labels():
            if dim.value(label) == value:
                return _chosen(dim, label)
    if isinstance(value, Mapping):
        value = {k: v for k, v in value.items() if v is not None}
    return _value(value)


def _parameters(o: Optimisation) -> str:
    """A row per parameter: what it is, what was searched, the base's and winner's values."""
    winner = o.winner_values if o.winner is not None else {}
    rows = []
    for key, dim in o.spec.parameters.items():
        name, unit = field_name(key)
        words = f"{name} [{unit}]" if unit else name
        rows.append([key, words, _searched(dim),
                     _base_value(dim, plotting.parameter_value(o.base, key)),
                     _chosen(dim, winner[key]) if key in winner else "-"])  # fmt: skip
    head = ["parameter", "what it is", "searched", "base scenario", "winner"]
    return _table(rows, head, text_columns=len(head))


def _winner(o: Optimisation, fresh_runs: str) -> str:
    """The winner's values, its advantage over the base scenario on fresh replications
    with the paired 95% CI, and how much of the advantage the search saw was luck."""
    m, words = catalogued(o.objective.metric), o.objective.words
    values = "; ".join(f"{k} = {_chosen(o.spec.parameters[k], v)}"
                       for k, v in o.winner_values.items())  # fmt: skip
    unit = f" {m.unit}" if m.unit else ""

    def signed(v: float) -> str:
        return m.format_short(v, signed=True) if m.kind == "money" else m.format_difference(v)

    diff, (low, high) = o.fresh_advantage, o.fresh_interval
    sign = 1 if o.spec.goal == "maximise" else -1  # > 0: better
    if not (math.isfinite(low) and math.isfinite(high)):
        verdict = "no interval: too few replications"
    elif low <= 0 <= high:
        verdict = "it cannot be told from no difference: the interval includes zero"
    else:
        verdict = "better" if sign * diff > 0 else "worse"
        verdict = f"clearly {verdict} than the base scenario"
    advantage = (
        f"On fresh replications ({fresh_runs}), its {words} against the base "
        f"scenario's is <strong>{_e(signed(diff))}{_e(unit)}</strong> (paired 95% CI "
        f"{_e(signed(low))} to {_e(signed(high))}{_e(unit)}; {_e(verdict)})."
    )
    search, fresh = sign * o.search_advantage, sign * diff
    if not (math.isfinite(search) and math.isfinite(fresh)):
        curse = ""
    elif search <= 0:
        curse = (f"In the search it did not look better than the base scenario "
                 f"({signed(o.search_advantage)}{unit}).")  # fmt: skip
    elif fresh >= search:
        curse = (f"In the search, where it was picked for looking good, it looked "
                 f"{signed(o.search_advantage)}{unit}; it did at least as well on fresh "
                 "replications, so none of the advantage seen in the search was luck.")  # fmt: skip
    else:
        luck = min((search - fresh) / search, 1.0)
        curse = (f"In the search, where it was picked for looking good, it looked "
                 f"{signed(o.search_advantage)}{unit}: {luck:.0%} of the advantage seen in "
                 "the search was luck (the optimiser's curse). Plan with the fresh "
                 "figure.")  # fmt: skip
    return (f"<p><strong>The winner is trial {o.winner}</strong>: {_e(values)}.</p>"
            f"<p>{advantage} {_e(curse)}</p>")  # fmt: skip


def _finalists(o: Optimisation) -> str:
    """The finalists on the fresh replications, best first, and how many of the others
    cannot be told from the winner."""
    spec, m = o.spec, catalogued(o.objective.metric)
    cons = o.constraints
    trials = o.trials.drop_duplicates("trial").set_index("trial")
    table = o.finalists.sort_values("rank", na_position="last", kind="stable")
    rows = []
    for _, r in table.iterrows():
        t = int(r["trial"])
        rank = "-" if not math.isfinite(r["rank"]) else f"{int(r['rank'])}"
        if t == o.winner:
            same = "the winner"
        elif not r["feasible"]:
            same = "-"
        else:
            same = "yes" if r["indistinguishable"] else "no"
        rows.append([rank, str(t),
                     *(_chosen(dim, trials.at[t, k]) for k, dim in spec.parameters.items()),
                     m.format(r["objective"]), *(_level(c, r[c.text]) for c in cons),
                     same, "yes" if r["feasible"] else "no"])  # fmt: skip
    objective = o.objective.words + (f" [{m.unit_label}]" if m.unit_label else "")
    head = ["rank", "trial", *spec.parameters, objective, *(_level_head(c) for c in cons),
            "cannot be told from the winner", "meets the constraints"]  # fmt: skip
    k = o.indistinguishable
    feasible = int(o.finalists["feasible"].sum())
    others = max(feasible - 1, 0) if o.winner is not None else 0
    failed = len(o.finalists) - feasible
    if o.winner is None:
        said = ""
    elif k:
        who = "The other finalist" if others == 1 else f"{k} of the other {others} finalists"
        said = (f"<p><strong>{who} cannot be told from the winner</strong> on the fresh "
                f"replications: treat {'it' if k == 1 else 'them'} as equally good, and "
                "choose on what the model leaves out.</p>")  # fmt: skip
    elif others:
        who = "the other finalist" if others == 1 else f"any of the other {others} finalists"
        said = (f"<p><strong>The winner can be told from {who}</strong>: it is clearly "
                "the best of them on the fresh replications.</p>")  # fmt: skip
    else:
        said = "<p>No other finalist met the constraints on the fresh replications.</p>"
    if failed:
        said += (f"<p>{failed} finalist{'s' * (failed != 1)} failed a constraint on the "
                 "fresh replications: what the search saw was partly luck.</p>")  # fmt: skip
    note = (
        '<p class="note">The finalists on the fresh replications, best first (values '
        "there, not in the search). A finalist cannot be told from the winner when the "
        "paired 95% interval of their difference includes zero, the interval widened "
        "(Bonferroni) for the number of finalists compared.</p>"
    )
    return said + note + _table(rows, head, text_columns=2 + len(spec.parameters))


# ------------------------------------------------------------------ sections
def _scenarios(
    results: Mapping[str, Results], baseline: str | None, sources: Mapping[str, str]
) -> str:
    base = results[baseline].manifest.get("scenario", {}) if baseline else {}
    rows, blocks = [], []
    for name, res in results.items():
        scenario = res.manifest.get("scenario", {})
        description = scenario.get("description") or ""
        if name == baseline:
            what = "the baseline"
        elif baseline is None:
            what = ""
        else:
            changes = changes_in_words(base, scenario)
            items = "".join(f"<li>{_e(c)}</li>" for c in changes)
            what = _Html(f"<ul>{items}</ul>") if changes else "nothing: the same inputs"
        rows.append([name, sources.get(name, "(built in code)"), description, what])
        text = yaml.safe_dump(scenario, sort_keys=False, width=100)
        blocks.append(
            f"<details><summary>{_e(name)}: the full scenario</summary>"
            f"<pre>{_e(text)}</pre></details>"
        )
    head = ["scenario", "file", "description", "changes against the baseline" if baseline else ""]
    if not any(r[2] for r in rows):  # no scenario describes itself: no empty column
        rows, head = [[r[0], r[1], r[3]] for r in rows], [head[0], head[1], head[3]]
    if baseline is None:
        rows, head = [r[:-1] for r in rows], head[:-1]
    return _table(rows, head, text_columns=len(head)) + "\n" + "\n".join(blocks)


def _summaries(results: Mapping[str, Results]) -> dict[str, pd.DataFrame]:
    return {n: r.summary().set_index("metric") for n, r in results.items()}


def _shown(results: Mapping[str, Results], names: Sequence[str]) -> list[str]:
    """``names`` in the catalogue's order, less those no scenario measured and those
    shown only when non-zero that are zero in every replication of every scenario."""
    values = [r.metrics() for r in results.values()]
    out = []
    for name in ordered([n for n in names if any(n in v.columns for v in values)]):
        column = [v[name].to_numpy(dtype=float) for v in values if name in v.columns]
        if not any(np.isfinite(c).any() for c in column):
            continue
        if catalogued(name).only_if_any and not any(np.nan_to_num(c).any() for c in column):
            continue
        out.append(name)
    return out


def _headline(results: Mapping[str, Results]) -> str:
    summaries = _summaries(results)
    rows = [
        (name, [catalogued(name).label, catalogued(name).unit_label,
                *(_with_ci(summaries[n], name) for n in results)])
        for name in _shown(results, HEADLINE)
    ]  # fmt: skip
    info = RunInfo.of(next(iter(results.values())).manifest)
    n = info.replications if info else 0
    runs, single = replications_phrase(info, n)
    note = (
        f'<p class="note">Mean over {_e(runs)} [95% Student-t interval of the mean]; '
        "the interval says how precisely the mean is known, not how much one of the "
        f"{_e(single)} varies (the fan charts show that). Amounts are totals over the "
        "reported months unless the label says per month, per day or average.</p>"
    )
    return note + _table(_grouped(rows), ["metric", "unit", *results], text_columns=2)


def _with_ci(summary: pd.DataFrame, name: str) -> str:
    if name not in summary.index or summary.loc[name, "n"] == 0:
        return "-"
    m = catalogued(name)
    r = _row(summary, name)
    mean = m.format(r["mean"])
    if not np.isfinite(r["ci_low"]):
        return mean
    return f"{mean} [{m.format(r['ci_low'])}, {m.format(r['ci_high'])}]"


def difference_table(comparison: Comparison, metrics=None, wide: bool = False) -> pd.DataFrame:
    """The paired comparison in readable units, one row per scenario and metric (the
    report's headline metrics, or those listed), labelled and formatted as the metric
    catalogue says: baseline and scenario means, difference with its 95% CI, which way
    is better and P(better) ("-" for a metric with no better direction). Metrics that
    were not measured, or that were the same in every replication (hires under a fixed
    plan), are left out. The tests' p-values are in ``p_value_table``.

    ``wide=True``: one row per metric, the baseline's mean, then per scenario its
    difference with the 95% CI and P(better) (a metric missing for a scenario is empty)."""
    rows = _difference_rows(comparison, metrics)
    long = pd.DataFrame([cells for _, cells in rows])
    wanted = list(HEADLINE) if metrics is None else list(metrics)
    return _wide(long, comparison.baseline, wanted) if wide and len(long) else long


def _difference_rows(comparison: Comparison, metrics=None) -> list[tuple[str, dict[str, str]]]:
    """(metric, formatted row) per scenario and metric shown, in the order asked."""
    table = comparison.table().set_index(["scenario", "metric"])
    wanted = list(HEADLINE) if metrics is None else list(metrics)
    known = set(table.index.get_level_values("metric"))
    unknown = [m for m in wanted if m not in known]
    if unknown:
        raise ValueError(f"no such metric(s) {unknown} in the comparison; known: {sorted(known)}")
    rows = []
    for name in table.index.get_level_values("scenario").unique():
        for metric in wanted:
            r = _row(table, (name, metric))
            if r["n"] == 0 or (r["difference"] == 0 and r["ci_low"] == r["ci_high"]):
                continue
            m = catalogued(metric)
            better = r["better_if"] if isinstance(r["better_if"], str) else None
            rows.append((metric, {
                "scenario": name, "metric": m.label, "unit": m.unit_label,
                comparison.baseline: m.format(r["baseline_mean"]),
                "scenario mean": m.format(r["scenario_mean"]),
                "difference": m.format_difference(r["difference"]),
                "95% CI": _interval(m, r["ci_low"], r["ci_high"]),
                "better if": better or "-", "P(better)": _share(r["p_better"]),
            }))  # fmt: skip
    return rows


def _interval(m, low: float, high: float) -> str:
    if not (np.isfinite(low) and np.isfinite(high)):
        return "-"
    return f"[{m.format_difference(low)}, {m.format_difference(high)}]"


def _share(p: float) -> str:
    return f"{p * 100:.0f}%" if p is not None and np.isfinite(p) else "-"


def _wide(long: pd.DataFrame, baseline: str, metrics: list[str]) -> pd.DataFrame:
    long = long.assign(**{"difference [95% CI]": long["difference"] + " " + long["95% CI"]})
    index = ["metric", "unit"]
    order = {catalogued(m).label: i for i, m in enumerate(metrics)}
    out = long.drop_duplicates(index).sort_values("metric", key=lambda c: c.map(order))
    out = out.set_index(index)[[baseline]]
    for name, block in long.groupby("scenario", sort=False):
        cols = block.set_index(index)[["difference [95% CI]", "P(better)"]]
        out = out.join(cols.rename(columns={c: f"{name}: {c}" for c in cols.columns}))
    return out.fillna("")


def _comparison(comparison: Comparison) -> str:
    info = RunInfo.of(comparison.results[comparison.baseline].manifest)
    n = info.replications if info else 0
    _, single = replications_phrase(info, n)
    note = (
        '<p class="note">Every scenario ran on the same replications and seed (common '
        "random numbers), so each difference is paired replication by replication, with "
        "its 95% paired t-interval; P(better) is the share of the simulated "
        f"{_e(single)} in which the scenario did better (- where no way is better). "
        "Differences of shares are in percentage points (pp). Metrics the same in every "
        "replication are left out; the tests' p-values are in the appendix.</p>"
    )
    parts = [note]
    rows = _difference_rows(comparison)
    for name in dict.fromkeys(cells["scenario"] for _, cells in rows):
        block = [(m, list(cells.values())[1:]) for m, cells in rows if cells["scenario"] == name]
        head = list(rows[0][1])[1:]
        head[head.index("scenario mean")] = name
        parts.append(f"<h3>{_e(name)} against {_e(comparison.baseline)}</h3>")
        parts.append(_table(_grouped(block), head, text_columns=2))
    table = comparison.table()
    forest = table[table["metric"].isin(FOREST)]
    parts.append(_image(plotting.forest_plot(forest), "Paired differences with 95% CIs"))
    return "\n".join(parts)


def p_value_table(comparison: Comparison, metrics=None) -> pd.DataFrame:
    """The tests behind the comparison, for the appendix: per scenario and metric (the
    headline metrics, or those listed, that differ somewhere), the difference with its
    95% CI, the two-sided paired t-test's p-value and that p-value Holm-adjusted over
    the scenarios compared with the baseline."""
    table = comparison.table().set_index(["scenario", "metric"])
    rows = []
    for metric, cells in _difference_rows(comparison, metrics):
        r = _row(table, (cells["scenario"], metric))
        rows.append({"scenario": cells["scenario"], "metric": cells["metric"],
                     "unit": cells["unit"],
                     "difference [95% CI]": f"{cells['difference']} {cells['95% CI']}",
                     "p (paired t-test)": _p(r["p_value"]),
                     "p (Holm)": _p(r["p_holm"])})  # fmt: skip
    return pd.DataFrame(rows)


def _p(p: float) -> str:
    """A p-value without scientific notation: "0.034", "<0.001"."""
    if p is None or not np.isfinite(p):
        return "-"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _tests(comparison: Comparison) -> str:
    others = len(comparison.results) - 1
    note = (
        '<p class="note">Two-sided paired t-test of no difference, over the paired '
        "replications; Holm-adjusted over the "
        f"{others} scenario{'s' if others != 1 else ''} compared with the baseline, metric "
        "by metric. A p-value says how surprising a difference this large would be if the "
        "scenario changed nothing, not how large or how certain the effect is: read the "
        "difference and its 95% CI first.</p>"
    )
    table = p_value_table(comparison)
    if table.empty:
        return note + '<p class="note">No metric differs from the baseline.</p>'
    return note + _table(table.to_numpy().tolist(), list(table.columns), text_columns=3)


def _fans(results: Mapping[str, Results], baseline: str | None) -> str:
    tm = pd.concat([r.team_month for r in results.values()], ignore_index=True)
    parts = [
        '<p class="note">Median, P25-P75 and P10-P90 over replications: the range of '
        "months a single year may bring. With more than three scenarios, one panel each, "
        "the baseline's median dashed in every panel.</p>"
    ]
    for name in FANS:
        if catalogued(name).only_if_any and not tm[name].fillna(0).any():
            continue  # a feature no scenario here uses (customers, for renewal revenue)
        fig = plotting.fan_chart(tm, name, baseline=baseline)
        parts.append(_image(fig, f"{plotting.monthly_label(name)}, month by month"))
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
    summaries = _summaries(results)
    rows = [
        [
            catalogued(m).label,
            catalogued(m).unit_label,
            *(_with_ci(summaries[n], m) for n in results),
        ]
        for m in COHORT
    ]
    note = (
        '<p class="note">Over the classes whose window the run observed (classes '
        "trained in the warm-up included); F23 excludes reps who left within the month, "
        "F24 includes them. Each share says what it is a share of: of the reps who went on "
        "post (F23-F26), or of everyone who started the class. Empty (-) where no class "
        "completed the window.</p>"
    )
    return "\n".join(
        [
            note,
            _table(rows, ["KPI", "unit", *results], text_columns=2),
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
