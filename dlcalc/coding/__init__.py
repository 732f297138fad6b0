"""dlcalc.coding."""
