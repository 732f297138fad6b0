"""Benchmark: classes of many small groups against the cost model (issue 21; ``docs/cost.md``).

Inputs: ``N`` one-head Walsh runs whose amplitudes alternate, so that no two merge (depth 10,
ε = 0.25), as an instance file and as the joint and separate ``.dlc`` files ``encode`` writes for
it.  Each command runs in its own process (wall time, and peak RSS from ``wait4``):
``decode FILE --format json`` for both files, ``info INSTANCE --format json`` and
``encode INSTANCE --eps 0.25 --format json``.  The model's figures are the ones the command
line prints when refusing (``--max-memory 1``; ``--max-cells 2^10``, then the figure of the runs
weighed as the file is read, doubled, so that a larger figure of the whole command shows); ``info`` has no check
of its own and is weighed with :func:`dlcalc.cost.class_step`.

Targets: the memory estimate within 2x of the peak RSS less the interpreter's own (about
35 MiB); the time within 10x of the cell figure at 5 ns a cell; at N = 2^20, every command
refused up front (exit 2, one line) in seconds.

    python benchmarks/bench_groups.py [--runs 100000] [--runs 1048576] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

#: Seconds a cell of numpy work takes on the benchmark machine (docs/cost.md).
CELL_SECONDS = 5e-9
#: Peak RSS of the interpreter with dlcalc and numpy loaded, doing nothing.
BASE_RSS = 35 << 20


def instance_text(n: int) -> str:
    heads = [
        {"family": "walsh", "index": 1 + (2 * i) % 1023, "amplitude": 1.0 if i % 2 == 0 else 0.5} for i in range(n)
    ]
    doc = {"dlcalc": "instance", "schema_version": 2, "depth": 10, "seed": 0, "family": None, "heads": heads}
    return json.dumps(doc, separators=(",", ":"))


def run(args: list[str], cwd: str) -> tuple[float, int, int, str]:
    """``(seconds, peak RSS bytes, exit code, first stderr line)`` of ``python -m dlcalc ARGS``."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "dlcalc", *args], stdout=subprocess.DEVNULL, stderr=err, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        err.seek(0)
        lines = err.read().decode(errors="replace").strip().splitlines()
    return seconds, usage.ru_maxrss * 1024, os.waitstatus_to_exitcode(status), lines[0] if lines else ""


_UNITS = {"bytes": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}


def figure(message: str, unit: str) -> float | None:
    """The figure a refusal names: ``needs about 8.17 MiB of memory`` or ``needs ≈3.4e10 cells``."""
    if unit == "memory":
        m = re.search(r"needs about ([0-9.]+) (bytes|KiB|MiB|GiB|TiB) of memory", message)
        return float(m[1]) * _UNITS[m[2]] if m else None
    m = re.search(r"needs (≈?)([0-9.e^]+) cells", message)
    if not m:
        return None
    text = m[2]
    return float(2 ** int(text[2:])) if text.startswith("2^") else float(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, action="append")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = []
    for n in args.runs or [100_000, 1 << 20]:
        with tempfile.TemporaryDirectory() as tmp:
            inst = os.path.join(tmp, "inst.json")
            with open(inst, "w") as fh:
                fh.write(instance_text(n))
            commands = {"info": ["info", inst, "--format", "json"]}
            commands["encode"] = ["encode", inst, "--eps", "0.25", "--format", "json"]
            built = run(["encode", inst, "--eps", "0.25", "-o", os.path.join(tmp, "x.dlc"), "--max-cells", "2^40"], tmp)
            if built[2] == 0:
                for coder in ("joint", "separate"):
                    commands[f"decode {coder}"] = ["decode", os.path.join(tmp, f"x.{coder}.dlc"), "--format", "json"]
            for name, command in commands.items():
                seconds, rss, code, message = run(command, tmp)
                memory = figure(run(command + ["--max-memory", "1"], tmp)[3], "memory")
                cells = figure(run(command + ["--max-cells", "2^10"], tmp)[3], "cells")
                if cells is not None and cells > 1 << 10:  # the runs weighed as read: their figure passes
                    whole = figure(run(command + ["--max-cells", str(int(2 * cells))], tmp)[3], "cells")
                    cells = whole if whole is not None else cells
                if name == "info" and code == 0:
                    from dlcalc import Instance
                    from dlcalc.cost import class_step

                    step = class_step(Instance.loads(instance_text(n)).heads)
                    memory, cells = step.held_bytes, step.cells
                row = {"runs": n, "command": name, "seconds": round(seconds, 2), "peak_rss_mib": rss >> 20}
                row.update({"exit": code, "message": message[:160]})
                if code == 0 and memory is not None:
                    row["memory_estimate_mib"] = round(memory / (1 << 20), 1)
                    row["memory_ratio"] = round(memory / max(rss - BASE_RSS, 1), 2)
                if code == 0 and cells is not None:
                    row["cells"] = cells
                    row["time_ratio"] = round(cells * CELL_SECONDS / seconds, 2)
                results.append(row)
                if not args.json:
                    print(json.dumps(row, ensure_ascii=False), flush=True)
    if args.json:
        print(json.dumps(results, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
