import os

from hypothesis import HealthCheck, settings

# ci: derandomized, so every run draws the same examples.  400 examples per property: with 60
# (and still with 200) the fixed draw let mutants of the touching interval-star costs and of the
# sawtooth code-table sup error through; the explicit @example cases pin those as well.  The
# whole suite takes about 20 s of CPU.
settings.register_profile(
    "ci", max_examples=400, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
