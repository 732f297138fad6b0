"""dlcalc.networks."""
