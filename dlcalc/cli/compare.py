"""``dlcalc compare`` and ``dlcalc bounds`` (placeholder until the module is written)."""
COMMANDS = []
