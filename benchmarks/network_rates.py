"""Network bits on walsh-all (β = 1) at ε = 2^-M, depth M, for M = 4..12: the exponent gap.

    python benchmarks/network_rates.py [--max-m 12]
"""

from __future__ import annotations

import argparse
import time

from dlcalc import Instance, coder_bounds, family_heads, quantize_heads
from dlcalc._bounds import fit_slope
from dlcalc._network import joint_network, separate_networks


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--min-m", type=int, default=4)
    ap.add_argument("--max-m", type=int, default=12)
    args = ap.parse_args()
    ms = list(range(args.min_m, args.max_m + 1))
    joint, sep = [], []
    print(f"{'M':>3} {'joint net bits':>15} {'sep net bits':>15} {'joint payload':>14} {'sep payload':>12} {'seconds':>8}")
    for m in ms:
        t0 = time.perf_counter()
        inst = Instance.build(m, family_heads("walsh-all", 1.0, m), seed=0)
        quants = quantize_heads(inst.heads, 2.0**-m)
        joint.append(joint_network(quants, inst.feature).network_bits)
        sep.append(sum(n.network_bits for _, n in separate_networks(quants, inst.feature)))
        pj = coder_bounds(quants, m, "joint").upper_bound_bits
        ps = coder_bounds(quants, m, "separate").upper_bound_bits
        print(f"{m:>3} {joint[-1]:>15} {sep[-1]:>15} {pj:>14} {ps:>12} {time.perf_counter() - t0:8.2f}")
    eps = [2.0**-m for m in ms]
    print(f"fitted slopes of log2(bits) vs M: joint {fit_slope(eps, joint):.3f}, separate {fit_slope(eps, sep):.3f} "
          "(theory for the coders: 1 and 2)")


if __name__ == "__main__":
    main()
