"""pytest plugin for mutation runs (``benchmarks/mutation.py`` loads it through ``PYTEST_PLUGINS``).

It changes speed only, never which examples run:

- the hypothesis profile ``mutation`` is the suite's ``ci`` profile (same 60
  derandomized examples) without the shrink phase: a mutant is killed by the
  first failing example, and shrinking it would only cost time;
- the selected tests run fastest first (durations from mutmut's stats run), so a
  killed mutant dies in the cheapest test that can see it.
"""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, Phase, settings

settings.register_profile(
    "mutation",
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
)

_durations: dict[str, float] | None = None


def pytest_collection_modifyitems(session, config, items):
    global _durations
    if _durations is None:
        stats = Path("mutmut-stats.json")  # pytest runs inside mutants/
        _durations = json.loads(stats.read_text()).get("duration_by_test", {}) if stats.exists() else {}
    if _durations:
        items.sort(key=lambda item: _durations.get(item.nodeid, 0.0))
