"""dlcalc.study."""
