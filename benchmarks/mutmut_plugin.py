"""pytest plugin for mutation runs (``benchmarks/mutation.py`` loads it through ``PYTEST_PLUGINS``).

It changes speed only, never which examples run:

- once the suite's conftest has loaded its hypothesis profile (``ci``: derandomized), the
  profile ``mutation`` takes its place: the same examples, without the shrink phase and the
  example database.  A mutant is killed by the first failing example; shrinking it would only
  cost time;
- the selected tests run fastest first (durations from mutmut's stats run), so a killed
  mutant dies in the cheapest test that can see it.
"""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import Phase, settings

_durations: dict[str, float] | None = None


def pytest_collection_modifyitems(session, config, items):
    global _durations
    settings.register_profile("mutation", parent=settings.default, database=None,
                              phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target])
    settings.load_profile("mutation")
    if _durations is None:
        stats = Path("mutmut-stats.json")  # pytest runs inside mutants/
        _durations = json.loads(stats.read_text()).get("duration_by_test", {}) if stats.exists() else {}
    if _durations:
        items.sort(key=lambda item: _durations.get(item.nodeid, 0.0))
