"""pytest plugin for mutation runs (``benchmarks/mutation.py`` loads it through ``PYTEST_PLUGINS``).

It changes speed only, never which examples run or what a test asserts:

- once the suite's conftest has loaded its hypothesis profile (``ci``: derandomized), the
  profile ``mutation`` takes its place: the same examples, without the shrink phase and the
  example database.  A mutant is killed by the first failing example; shrinking it would only
  cost time;
- the selected tests run fastest first (durations from mutmut's stats run), so a killed
  mutant dies in the cheapest test that can see it;
- each test gets a CPU budget of ``FLOOR + FACTOR x`` its duration in the stats run, and the
  selected tests together ``FLOOR + TOTAL_FACTOR x`` their summed durations.  A mutant that
  makes a test loop, or every test crawl, fails at once (a timeout, which mutmut counts as
  killed anyway) instead of running into mutmut's own limit for the whole batch.  The budgets
  are CPU time (``ITIMER_PROF``), so a loaded machine does not trip them; the clean run, which
  mutmut requires to pass, runs under the same budgets.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest
from hypothesis import Phase, settings

FLOOR = 2.0  # CPU seconds every test may use
FACTOR = 10.0  # times its duration in the stats run
TOTAL_FACTOR = 3.0  # the selected tests together: times their summed durations

_durations: dict[str, float] | None = None
_deadline: float | None = None  # process CPU time at which the selected tests run out


class MutantTooSlow(Exception):
    """A test ran over its CPU budget: the mutant loops or has made the work far larger."""


def _expire(signum, frame):
    raise MutantTooSlow("the test ran over its CPU budget")


def pytest_collection_modifyitems(session, config, items):
    global _durations, _deadline
    settings.register_profile(
        "mutation",
        parent=settings.default,
        database=None,
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
    )
    settings.load_profile("mutation")
    if _durations is None:
        stats = Path("mutmut-stats.json")  # pytest runs inside mutants/
        _durations = json.loads(stats.read_text()).get("duration_by_test", {}) if stats.exists() else {}
    if _durations:
        items.sort(key=lambda item: _durations.get(item.nodeid, 0.0))
        _deadline = time.process_time() + FLOOR + TOTAL_FACTOR * sum(_durations.get(item.nodeid, 0.0) for item in items)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    if not _durations:  # the stats run itself: no budgets yet
        yield
        return
    budget = FLOOR + FACTOR * _durations.get(item.nodeid, 0.0)
    if _deadline is not None:
        budget = max(min(budget, _deadline - time.process_time()), 0.01)
    previous = signal.signal(signal.SIGPROF, _expire)
    signal.setitimer(signal.ITIMER_PROF, budget, 0.25)  # and again every 0.25 s, should the first be swallowed
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)
