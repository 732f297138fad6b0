"""Benchmark: work sized by information, not by the nominal size of the class (README, "Benchmarks").

Every figure is measured on the command line, each command in its own process (wall time,
and peak resident memory from ``wait4``), except the M = 15 row of the compare sweep and its
floor, which are timed in one process of their own:

1. ``encode --depth D --eps 2^-8 --coder both`` at D = 10 and D = 20 (walsh-all, β = 1: 255
   heads carry bits at either depth, 1,048,320 more are zero at depth 20).  Target: depth 20
   within 3x the time of depth 10, under 400 MB.
2. ``compare --depth 15 --eps-sweep 2^-1:2^-15 --no-baselines`` with the default budgets:
   every row encoded, decoded and verified, under 4 GiB.  Its M = 15 row (32,767 Walsh
   heads, 716 million table cells) is timed in process against a numpy floor that
   materializes the same packed parity tables once: per level, the feature's image,
   ``bitwise_count(image & mask) & 1`` for every head, ``packbits``.  Target: within 5x.
   Stretch: the sweep to M = 16 under 8 GiB.
3. Small inputs that claim large work: refused up front in under a second, or done under 1 GB.

    python benchmarks/bench_scale.py [--repeat 3] [--no-stretch] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

GiB = 1 << 30
MB = 10**6


def run(args: list[str], cwd: str) -> tuple[float, int, int, str]:
    """``(seconds, peak RSS bytes, exit code, first stderr line)`` of ``python -m dlcalc ARGS``."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "dlcalc", *args], stdout=out, stderr=err, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        message = err.read().decode(errors="replace").strip().splitlines()
    return seconds, usage.ru_maxrss * 1024, proc.returncode, message[0] if message else ""


def best(args: list[str], cwd: str, repeat: int) -> tuple[float, int, int, str]:
    runs = [run(args, cwd) for _ in range(repeat)]
    return min(r[0] for r in runs), max(r[1] for r in runs), runs[-1][2], runs[-1][3]


def floor_tables(inst, top: int) -> int:
    """Plain numpy: the packed parity table of every Walsh head with top(n) <= ``top``, materialized once."""
    cells = 0
    for t in range(1, top + 1):
        image = inst.feature.image_cells(t).astype(np.uint32)
        n = np.arange(1 << (t - 1), 1 << t, dtype=np.int64)
        masks = np.zeros_like(n)
        for lv in range(1, t + 1):  # digit l of the cell index is bit t - l
            masks |= ((n >> (lv - 1)) & 1) << (t - lv)
        masks = masks.astype(np.uint32)
        step = max(1, (1 << 22) >> t)
        rows = np.empty((n.size, max(1, (1 << t) // 8)), dtype=np.uint8)
        for i in range(0, n.size, step):
            rows[i : i + step] = np.packbits(np.bitwise_count(image[None, :] & masks[i : i + step, None]) & 1, axis=1)
        cells += n.size << t
    return cells


def row_versus_floor(depth: int, repeat: int) -> dict:
    """The compare command's row at ε = 2^-depth (its own code path), and the floor, in one process."""
    from dlcalc import Budget, Family, HeadSet, Instance, study

    inst = Instance.build(depth, HeadSet(Family("walsh-all", 1.0, depth)), seed=0)
    _ = inst.feature  # drawn once, outside both timings
    eps = 2.0**-depth
    floor = row = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        cells = floor_tables(inst, depth)
        floor = min(floor, time.perf_counter() - start)
        start = time.perf_counter()
        plan = study.plan_compare(inst, [eps], Budget(), baselines=False)
        out = study.compare_row(plan, plan.qclass, baselines=False)
        row = min(row, time.perf_counter() - start)
    assert out["verified"] if "verified" in out else out["joint"]["verified"] and out["separate"]["verified"]
    return {
        "cells": cells,
        "floor_seconds": floor,
        "row_seconds": row,
        "ratio": row / floor,
        "joint_payload_bits": out["joint"]["payload_bits"],
        "separate_payload_bits": out["separate"]["payload_bits"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs of the short commands and of the row (best time)")
    ap.add_argument("--no-stretch", action="store_true", help="skip the M = 16 sweep")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    ap.add_argument("--row", type=int, default=None, help=argparse.SUPPRESS)  # one row against the floor, as JSON
    args = ap.parse_args()
    if args.row is not None:
        print(json.dumps(row_versus_floor(args.row, args.repeat)))
        return
    rows = []

    def record(name, figures, target, ok, note=""):
        rows.append({"name": name, "figures": figures, "target": target, "ok": bool(ok), "note": note})

    with tempfile.TemporaryDirectory() as tmp:
        # 1. encode at depth 10 and 20
        enc = {
            d: best(
                ["encode", "--depth", str(d), "--eps", "2^-8", "--coder", "both", "--format", "json"], tmp, args.repeat
            )
            for d in (10, 20)
        }
        t10, t20, m20 = enc[10][0], enc[20][0], enc[20][1]
        record(
            "encode --depth 20 --eps 2^-8 --coder both",
            f"{t20:.2f} s ({t20 / t10:.2f}x depth 10: {t10:.2f} s), {m20 / MB:.0f} MB",
            "<= 3x, <= 400 MB",
            t20 <= 3 * t10 and m20 <= 400 * MB and enc[20][2] == 0,
        )

        # 2. compare to M = 15 (and M = 16), and the M = 15 row against the floor
        sweeps = [15] if args.no_stretch else [15, 16]
        for m in sweeps:
            seconds, peak, code, message = run(
                ["compare", "--depth", str(m), "--eps-sweep", f"2^-1:2^-{m}", "--no-baselines", "--format", "json"], tmp
            )
            limit = 4 if m == 15 else 8
            record(
                f"compare --depth {m} --eps-sweep 2^-1:2^-{m} --no-baselines",
                f"{seconds:.1f} s, {peak / GiB:.2f} GiB",
                f"every row verified, < {limit} GiB" + (" (stretch)" if m == 16 else ""),
                code == 0 and peak < limit * GiB,
                message,
            )
        # in a process of its own, so that the commands above and below start small
        child = subprocess.run(
            [sys.executable, __file__, "--row", "15", "--repeat", str(args.repeat)],
            capture_output=True,
            text=True,
            check=True,
        )
        rf = json.loads(child.stdout)
        record(
            "  its M = 15 row against the numpy floor",
            f"row {rf['row_seconds']:.2f} s, floor {rf['floor_seconds']:.2f} s "
            f"({rf['cells'] / 1e6:.0f}M packed cells): {rf['ratio']:.2f}x",
            "<= 5x",
            rf["ratio"] <= 5,
        )

        # 3. small inputs that claim large work
        run(["encode", "--depth", "20", "--eps", "1", "--coder", "joint", "-o", "w20.dlc"], tmp)
        run(
            ["encode", "--depth", "2", "--head", "sawtooth:0", "--eps", "2^-24", "--coder", "joint", "-o", "s.dlc"], tmp
        )
        with open(os.path.join(tmp, "copies.json"), "w") as fh:
            json.dump(
                {
                    "dlcalc": "instance",
                    "schema_version": 2,
                    "depth": 10,
                    "seed": 0,
                    "family": None,
                    "heads": [{"family": "walsh", "index": 1}] * 3000,
                },
                fh,
            )
        sizes = {name: os.path.getsize(os.path.join(tmp, name)) for name in ("w20.dlc", "s.dlc")}
        cases = [
            (
                f"decode w20.dlc ({sizes['w20.dlc']} bytes: walsh-all, depth 20, ε = 1)",
                ["decode", "w20.dlc", "--format", "json"],
            ),
            (
                f"decode s.dlc -o t.csv ({sizes['s.dlc']} bytes: sawtooth:0 at ε = 2^-24, 2^24 rows)",
                ["decode", "s.dlc", "-o", "t.csv", "--force"],
            ),
            (
                "network --depth 1 --head sawtooth:5 --eps 2^-20",
                ["network", "--depth", "1", "--head", "sawtooth:5", "--eps", "2^-20"],
            ),
            (
                "network --depth 14 --head sawtooth:0 --eps 2^-14 --arch joint --export j.onnx",
                [
                    "network",
                    "--depth",
                    "14",
                    "--head",
                    "sawtooth:0",
                    "--eps",
                    "2^-14",
                    "--arch",
                    "joint",
                    "--export",
                    "j.onnx",
                    "--force",
                    "--format",
                    "json",
                ],
            ),
            (
                "network --depth 16 --head sawtooth:0 --eps 2^-16 --arch joint --export j.onnx",
                [
                    "network",
                    "--depth",
                    "16",
                    "--head",
                    "sawtooth:0",
                    "--eps",
                    "2^-16",
                    "--arch",
                    "joint",
                    "--export",
                    "j.onnx",
                    "--force",
                    "--format",
                    "json",
                ],
            ),
            (
                "info --depth 20 --head sawtooth:0-49",
                ["info", "--depth", "20", "--head", "sawtooth:0-49", "--format", "json"],
            ),
            ("info on 3,000 copies of walsh:1", ["info", "copies.json", "--format", "json"]),
            (
                "info --family walsh-all --depth 30 --head sawtooth:0-49",
                ["info", "--family", "walsh-all", "--depth", "30", "--head", "sawtooth:0-49", "--format", "json"],
            ),
        ]
        for name, argv in cases:
            seconds, peak, code, message = run(argv, tmp)
            refused = code == 2
            outcome = "refused" if refused else "done" if code == 0 else f"exit {code}"
            ok = (refused and seconds < 1) or (code == 0 and peak < GiB)
            record(
                name,
                f"{outcome} in {seconds:.2f} s, {peak / MB:.0f} MB",
                "refused < 1 s, or done < 1 GB",
                ok,
                message if refused else "",
            )

    if args.json:
        print(json.dumps(rows, indent=1))
        return
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        print(f"{r['name']:{width}}  {r['figures']:48}  {'ok' if r['ok'] else 'MISSED':6}  target: {r['target']}")
        if r["note"]:
            print(f"{'':{width}}    {r['note']}")


if __name__ == "__main__":
    main()
