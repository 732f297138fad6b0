"""dlcalc.core."""
