"""Memory a replication needs, estimated before a run starts, so that a scenario too big
for this machine is refused with a clear message rather than failing with MemoryError.

The estimate is an upper bound on the arrays one replication holds at its peak, counted
from the scenario's sizes (no simulation). What grows with the scenario:

- the open-lead table (``model.pipeline``): 15 int32 columns, grown by doubling (so up to
  twice the rows in use, and the old table beside the new one while it is copied), plus
  the day's random numbers, about five float64 per open lead (``model.workday``), and
  the day's list of due leads, one int64 per lead (``model.kernel``);
- per-rep arrays by month (``model.ledger``, ``model.payroll``): about 40 float64 per
  rep slot and month, counted twice for the result columns built at the end;
- per-territory arrays by day (``model.market`` release schedule, the month's HQ leads).

Open leads per rep slot were measured at about 20 per daily contact (appointment calls +
first visits + 1) in a market that never runs out of firms: ~180 per rep for the baseline
norms, 512 to 8,192 reps. The bound takes 30 per contact; measured peaks were 0.6-0.8 of
the estimate (253-332 vs 409 MiB for the baseline, 558 vs 1,030 MiB for 8,192 reps).
"""

from __future__ import annotations

import os
import resource

from simsales.engine.calendar import Calendar
from simsales.model.pipeline import COLUMNS
from simsales.scenario.errors import Problem, ScenarioError
from simsales.scenario.schema import Scenario
from simsales.simulate import run_size

LEADS_PER_DAILY_CONTACT = 30  # assumption: measured ~20 open leads per rep per daily call/visit
# Table while growing + the day's draws + its list of due leads.
LEAD_BYTES = 3 * 4 * len(COLUMNS) + 2 * 5 * 8 + 8
REP_MONTH_BYTES = 2 * 40 * 8  # per-rep monthly arrays, and their result columns
# Interpreter, numpy, pandas, numba and the compiled day: measured 250 MiB in a warm
# checkout and 332 MiB in a fresh clone's first runs (the baseline's whole peak).
FIXED_BYTES = 400 * 2**20
MEMORY_SHARE = 0.8  # assumption: leave a fifth of the memory to the system and other work


def estimate_memory(scenario: Scenario) -> int:
    """Upper estimate of the peak memory [bytes] one replication of ``scenario`` needs."""
    cal = Calendar.from_horizon(scenario.horizon)
    size = run_size(scenario, cal)
    slots, territories = size.reps, size.territories
    norms = [s.rep.norms for _, s in scenario.phases()]  # the busiest phase's
    contacts = max(n.phone_appointments + n.visits for n in norms) + 1
    leads = slots * LEADS_PER_DAILY_CONTACT * contacts
    records = slots * (max(n.prospect_records for n in norms) + 2) * 8  # a day's draws
    rep_months = slots * cal.total_months * REP_MONTH_BYTES
    days = cal.total_days + size.cooling_off_days + 1
    territory_days = territories * (days + cal.days_per_month + 16 * cal.total_months) * 8
    return FIXED_BYTES + leads * LEAD_BYTES + records + rep_months + territory_days


def available_memory() -> int:
    """The machine's physical memory [bytes]."""
    try:
        import psutil

        return int(psutil.virtual_memory().total)
    except ImportError:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def process_limit() -> int | None:
    """The most memory [bytes] one process may map (``ulimit -v`` / ``-d``), or None."""
    limits = [resource.getrlimit(kind)[0] for kind in (resource.RLIMIT_AS, resource.RLIMIT_DATA)]
    finite = [soft for soft in limits if soft != resource.RLIM_INFINITY]
    return min(finite) if finite else None


def check_fits(
    scenario: Scenario,
    concurrent: int = 1,
    available: int | None = None,
    per_process: int | None = -1,
) -> None:
    """ScenarioError if ``concurrent`` replications of ``scenario`` at once would need more
    than 80% of ``available`` memory [bytes] (default: ``available_memory()``), or one
    replication more than 80% of the ``per_process`` limit (default: ``process_limit()``;
    None for no limit)."""
    available = available_memory() if available is None else available
    per_process = process_limit() if per_process == -1 else per_process
    need = estimate_memory(scenario)
    gib = 2**30
    if per_process is not None and need > MEMORY_SHARE * per_process:
        text = (
            f"one replication would need about {need / gib:.1f} GiB, more than "
            f"{MEMORY_SHARE:.0%} of the {per_process / gib:.1f} GiB a process may use (ulimit)"
        )
    elif need * concurrent > MEMORY_SHARE * available:
        at_once = f"{concurrent} replications at once" if concurrent > 1 else "one replication"
        text = (
            f"{at_once} would need about {need * concurrent / gib:.1f} GiB "
            f"({need / gib:.1f} GiB each), more than {MEMORY_SHARE:.0%} of this machine's "
            f"{available / gib:.1f} GiB, or run with fewer workers"
        )
    else:
        return
    text += "; lower team.reps (or hiring, rep.norms.phone_appointments / visits, horizon.months)"
    problem = Problem("team.reps", text, scenario.team.reps, has_value=True)
    raise ScenarioError(scenario.name, [problem])
