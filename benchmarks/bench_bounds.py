"""Benchmark: formula bounds over runs of explicit heads and at extreme depths (issue 21; THEORY §5, §8).

``heads_bounds`` costs a run of heads in closed form (one star and one geometric series per
group), so the time of a row does not grow with the number of heads in a run nor with the
depth.  Timed in process, the library call behind ``dlcalc bounds``:

1. ``--head sawtooth:0-65536 --eps-sweep 1e-1:1e-300:300``: target well under 1 s in total
   (it took 0.25-0.6 s per row, 66 s in all, when every head was costed one by one);
2. ``--head walsh:1 --depth D --eps 0.5`` at D = 10^10, 10^11 and 2^64: target instant, and no
   memory beyond the interpreter's (it built ``2^D`` before: 7 s and 2.6 GB at 10^10).

    python benchmarks/bench_bounds.py [--repeat 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import resource
import time

from dlcalc.core._heads import parse_head_run
from dlcalc.core._headset import HeadSet
from dlcalc.quantize._bounds import heads_bounds


def sweep(first: float, last: float, count: int) -> list[float]:
    """``count`` values from ``first`` to ``last``, evenly spaced in log (as ``--eps-sweep a:b:n``)."""
    import math

    lo, hi = math.log(first), math.log(last)
    return [math.exp(lo + (hi - lo) * i / (count - 1)) for i in range(count)]


def timed(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = {}
    heads = HeadSet(None, [parse_head_run("sawtooth:0-65536")])
    eps = sweep(1e-1, 1e-300, 300)
    seconds = timed(lambda: [heads_bounds(heads, e, None) for e in eps], args.repeat)
    results["sawtooth:0-65536, 300 rows"] = {"seconds": seconds, "target": "< 1 s"}
    walsh = HeadSet(None, [parse_head_run("walsh:1")])
    for depth in (10**10, 10**11, 2**64):
        seconds = timed(lambda depth=depth: heads_bounds(walsh, 0.5, depth), args.repeat)
        results[f"walsh:1, depth {depth}"] = {"seconds": seconds, "target": "instant"}
    results["peak RSS (MiB)"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if args.json:
        print(json.dumps(results, indent=1))
        return
    for name, value in results.items():
        if isinstance(value, dict):
            print(f"{name:32} {value['seconds'] * 1000:10.2f} ms   (target {value['target']})")
        else:
            print(f"{name:32} {value:10.1f}")


if __name__ == "__main__":
    main()
