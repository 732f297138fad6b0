"""dlcalc.cost."""
