"""Benchmark: encode, decode and verify at depth 20 against a measured floor.

Instance: depth 20, heads walsh:1-1023 and sawtooth:0-8, ε = 2^-10.  The floor is
one numpy pass that materializes the digit table of every needed level (the
feature's image on level-20 cells, split into its 20 digit planes).  Each step's
time is printed with its ratio to the floor, and its peak traced memory.
The coders' table builder and the independent reference evaluator that decides
verification are timed on their own too, so that their ratio can be read off.

    python benchmarks/bench_coders.py [--depth 20] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import time
import tracemalloc

import numpy as np

from dlcalc import Instance, QuantizedClass, decode, encode, parse_heads, true_tables, verify
from dlcalc.coding._pipeline import instance_reference


def measure(fn, repeat: int):
    """Best wall time of ``repeat`` untraced runs, then the peak traced memory of one more."""
    best, value = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - t0)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return best, peak, value


def floor_pass(inst: Instance) -> np.ndarray:
    depth = inst.depth
    images = inst.feature.image_cells(depth)
    digits = np.empty((depth, images.size), dtype=np.uint8)
    for lv in range(1, depth + 1):
        digits[lv - 1] = (images >> (depth - lv)) & 1
    return digits


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--depth", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = ap.parse_args()
    heads = parse_heads("walsh:1-1023") + parse_heads("sawtooth:0-8")
    eps = 2.0**-10
    inst = Instance.build(args.depth, heads, seed=0)
    floor_t, floor_m, _ = measure(lambda: floor_pass(inst), args.repeat)
    rows = [("floor (digit table)", "", floor_t, floor_m, "")]
    qclass = QuantizedClass(inst.depth, inst.heads, eps)
    t, m, _ = measure(lambda: true_tables(qclass, inst.feature), args.repeat)
    rows.append(("tables (coders)", "", t, m, "true_tables: the coders' table builder, Walsh levels packed"))
    t, m, reference = measure(lambda: instance_reference(inst, eps), args.repeat)
    rows.append(("reference truth", "", t, m, "the verifier's own evaluation of the instance"))
    for coder in ("joint", "separate"):
        t, m, data = measure(lambda coder=coder: encode(inst, eps, coder), args.repeat)
        rows.append(("encode", coder, t, m, f"{len(data) * 8} file bits"))
        t, m, dec = measure(lambda data=data: decode(data), args.repeat)
        rows.append(("decode", coder, t, m, f"{dec.container.payload_bits} payload bits"))
        t, m, ver = measure(lambda dec=dec: verify(inst, dec, reference), args.repeat)
        rows.append(("verify (reference given)", coder, t, m, f"verified={ver.verified}"))
        t, m, ver = measure(lambda dec=dec: verify(inst, dec), args.repeat)
        rows.append(("verify (own reference)", coder, t, m, f"max error {float(ver.max_error):.3g}"))
    if args.json:
        print(
            json.dumps(
                [
                    {"step": s, "coder": c, "seconds": t, "peak_bytes": m, "ratio_to_floor": t / floor_t, "note": n}
                    for s, c, t, m, n in rows
                ],
                indent=1,
            )
        )
        return
    print(f"depth {args.depth}, {len(heads)} heads, eps 2^-10, best of {args.repeat}")
    print(f"{'step':24} {'coder':9} {'seconds':>9} {'x floor':>8} {'peak MiB':>9}  {'target':7} note")
    for s, c, t, m, n in rows:
        ok = "ok" if t <= 4 * floor_t and m < 2 << 30 else "MISSED"
        print(f"{s:24} {c:9} {t:9.3f} {t / floor_t:8.2f} {m / 2**20:9.1f}  {ok:7} {n}")
    print("target: each step within 4x of the floor, peak memory under 2 GiB")


if __name__ == "__main__":
    main()
