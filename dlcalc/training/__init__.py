"""dlcalc.training."""
