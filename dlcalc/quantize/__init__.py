"""dlcalc.quantize."""
