"""Benchmark: ``dlcalc train`` against the cost model (``docs/cost.md``, the training search).

Each case runs ``python -m dlcalc train ... --format json`` of this checkout in its own process,
with an empty JAX compilation cache (``XDG_CACHE_HOME`` a fresh directory: every program is
compiled, as on a first run), and reports its wall time, the ``compile_seconds`` of its JSON,
its peak RSS (``wait4``), and the model's figures for the same command
(:func:`dlcalc.study.plan_training`, the plan the command weighs): cells and bytes.

Targets: the time within 10x of the cell figure at ``CELL_SECONDS`` a cell (``ratio`` =
predicted ÷ measured seconds, in [0.1, 10]); the memory estimate within 2x of the peak RSS less
the baseline of an interpreter with the training stack loaded (``BASE`` below, measured by the
benchmark itself: dlcalc, JAX, optax and constriction imported and the CPU backend started),
which no class changes, as ``bench_groups.py`` takes off the bare interpreter's.

    python benchmarks/bench_training.py [--quick] [--case NAME ...] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: Seconds a cell of work takes on the benchmark machine (docs/cost.md).
CELL_SECONDS = 5e-9

#: name -> the options of ``dlcalc train`` (the issue's case and depth 7 first, then a spread).
CASES = {
    "d8 e-8 joint s1 r1 (issue)": "--depth 8 --eps 2^-8 --arch joint --steps 1 --restarts 1",
    "d7 e-7 joint s1 r1": "--depth 7 --eps 2^-7 --arch joint --steps 1 --restarts 1",
    "d2 e-2 both": "--depth 2 --eps 2^-2",
    "d3 e-2 both": "--depth 3 --eps 2^-2",
    "d3 e-3 joint": "--depth 3 --eps 2^-3 --arch joint",
    "d4 e-4 separate s1 r1": "--depth 4 --eps 2^-4 --arch separate --steps 1 --restarts 1",
    "d4 e-4 joint": "--depth 4 --eps 2^-4 --arch joint",
    "d5 e-5 joint s1 r1": "--depth 5 --eps 2^-5 --arch joint --steps 1 --restarts 1",
    "d5 e-3 separate": "--depth 5 --eps 2^-3 --arch separate",
    "d6 e-6 joint s1 r1": "--depth 6 --eps 2^-6 --arch joint --steps 1 --restarts 1",
    "d6 e-4 both s1 r1": "--depth 6 --eps 2^-4 --steps 1 --restarts 1",
    "d6 e-6 separate s1 r1": "--depth 6 --eps 2^-6 --arch separate --steps 1 --restarts 1",
    "d8 e-2 joint": "--depth 8 --eps 2^-2 --arch joint",
    "d8 e-4 joint s1 r1": "--depth 8 --eps 2^-4 --arch joint --steps 1 --restarts 1",
    "sawtooth d3 e-3 both": "--family sawtooth-all --depth 3 --eps 2^-3",
    "sawtooth d5 e-5 joint s1 r1": "--family sawtooth-all --depth 5 --eps 2^-5 --arch joint --steps 1 --restarts 1",
    "sawtooth d6 e-6 both s1 r1": "--family sawtooth-all --depth 6 --eps 2^-6 --steps 1 --restarts 1",
    "heads d4 e-4 both": "--head walsh:5 --head sawtooth:1 --depth 4 --eps 2^-4",
    "d6 e-6 joint shallow": "--depth 6 --eps 2^-6 --arch joint --shape shallow",
    "d5 e-5 joint": "--depth 5 --eps 2^-5 --arch joint",
    "d7 e-7 joint s1": "--depth 7 --eps 2^-7 --arch joint --steps 1",
}
QUICK = ["d2 e-2 both", "d3 e-3 joint", "d5 e-5 joint s1 r1", "sawtooth d3 e-3 both"]


def weighed(options: str) -> tuple[int, int] | str:
    """``(cells, bytes)`` of the plan the command weighs for these options, or the refusal."""
    from click.testing import CliRunner

    from dlcalc import study
    from dlcalc.cli import cli

    captured = {}
    real = study.plan_training

    def spy(*args, **kwargs):
        plan = real(*args, **kwargs)
        captured["cost"] = plan.cost
        raise SystemExit(0)  # weighed: no training

    study.plan_training = spy
    try:
        result = CliRunner().invoke(cli, ["train", *options.split()])
    finally:
        study.plan_training = real
    if "cost" not in captured:
        return result.stderr.strip()
    return captured["cost"].cells, captured["cost"].memory_bytes


def run(args: list[str]) -> tuple[float, int, int, str]:
    """``(seconds, peak RSS bytes, exit code, stdout)`` of ``python ARGS`` with an empty JAX cache."""
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryFile() as out:
        env = {**os.environ, "XDG_CACHE_HOME": cache, "PYTHONPATH": str(ROOT)}
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, *args], stdout=out, stderr=subprocess.DEVNULL, cwd=cache, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        out.seek(0)
        text = out.read().decode(errors="replace")
    return seconds, usage.ru_maxrss * 1024, os.waitstatus_to_exitcode(status), text


def baseline() -> int:
    """Peak RSS of an interpreter with dlcalc and the training stack loaded and the CPU backend started."""
    code = "import dlcalc.training, jax, optax, constriction; jax.numpy.zeros(1).block_until_ready()"
    return min(run(["-c", code])[1] for _ in range(2))


def measure(name: str, options: str, base: int) -> dict:
    figures = weighed(options)
    if isinstance(figures, str):
        return {"case": name, "refused": figures}
    cells, memory = figures
    seconds, rss, code, text = run(["-m", "dlcalc", "train", *options.split(), "--format", "json"])
    row = {"case": name, "cells": cells, "seconds": round(seconds, 2), "exit": code}
    if code == 0:
        doc = json.loads(text)
        records = [doc] if "arch" in doc else [doc[a] for a in ("joint", "separate") if a in doc]
        row["compile_seconds"] = round(sum(r["compile_seconds"] for r in records), 2)
    row["seconds_per_cell"] = seconds / cells
    row["ratio"] = round(cells * CELL_SECONDS / seconds, 2)
    row["estimate_mib"] = round(memory / (1 << 20), 1)
    row["peak_rss_mib"] = round(rss / (1 << 20), 1)
    row["memory_ratio"] = round(memory / max(rss - base, 1), 2)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", action="append", choices=list(CASES), help="a case by name (repeatable)")
    parser.add_argument("--quick", action="store_true", help="four small cases only")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    names = args.case or (QUICK if args.quick else list(CASES))
    base = baseline()
    rows = []
    if not args.json:
        print(f"baseline RSS (interpreter and training stack): {base / (1 << 20):.0f} MiB; {CELL_SECONDS:g} s a cell")
        print(
            f"{'case':30} {'cells':>9} {'seconds':>8} {'compile':>8} {'ns/cell':>8} {'ratio':>6}"
            f" {'est MiB':>8} {'RSS MiB':>8} {'mem ratio':>9}"
        )
    for name in names:
        row = measure(name, CASES[name], base)
        rows.append(row)
        if not args.json and "refused" in row:
            print(f"{name:30} refused: {row['refused']}", flush=True)
        elif not args.json:
            print(
                f"{name:30} {row['cells']:9.2e} {row['seconds']:8.1f} {row.get('compile_seconds', float('nan')):8.1f}"
                f" {row['seconds_per_cell'] * 1e9:8.2f} {row['ratio']:6.2f} {row['estimate_mib']:8.1f}"
                f" {row['peak_rss_mib']:8.1f} {row['memory_ratio']:9.2f}",
                flush=True,
            )
    if args.json:
        print(json.dumps({"baseline_rss_mib": base / (1 << 20), "rows": rows}, indent=1))
    else:
        ratios = [r["ratio"] for r in rows if "ratio" in r]
        memory = [r["memory_ratio"] for r in rows if "ratio" in r]
        print(
            f"time ratio band: {min(ratios):.2f} .. {max(ratios):.2f}; "
            f"memory ratio band: {min(memory):.2f} .. {max(memory):.2f}"
        )


if __name__ == "__main__":
    main()
