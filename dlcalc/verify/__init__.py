"""dlcalc.verify."""
