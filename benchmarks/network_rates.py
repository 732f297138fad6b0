"""Network bits on walsh-all (β = 1) at ε = 2^-M, depth M, for M = 4..12: the exponent gap, and the size goals.

    python benchmarks/network_rates.py [--min-m 4] [--max-m 12]

Per M: the joint network (and the part of it that is the trunk, the two layers that
carry the feature), the separate networks, the coders' payloads, the joint network's
bits per nonzero weight and its ratio to the payload.  Then the fitted slopes of
log2(bits) against M, the slope of the last step, and the goals on the default
instance (M = 10): at most 8 bits per nonzero weight, at most 30 times the payload,
and a zero-information network (every head constant, ε = 1; or one head of one
digit, ε = 0.5) under 1,000 bits.
"""

from __future__ import annotations

import argparse
import math
import time

from dlcalc import Instance, coder_bounds, family_heads, quantize_heads
from dlcalc.networks._blocks import layer_bits
from dlcalc.networks._construction import (
    best_joint,
    joint_candidates,
    joint_network,
    separate_networks,
    shared_trunk_network,
)
from dlcalc.quantize._bounds import fit_slope


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--min-m", type=int, default=4)
    ap.add_argument("--max-m", type=int, default=12)
    args = ap.parse_args()
    ms = list(range(args.min_m, args.max_m + 1))
    joint, trunk, sep, rows = [], [], [], {}
    print(
        f"{'M':>3} {'joint net bits':>14} {'of it trunk':>11} {'sep net bits':>13} {'joint payload':>13} "
        f"{'sep payload':>11} {'bits/weight':>11} {'÷ payload':>9} {'sep ÷ payload':>13} {'joint':>12} {'seconds':>7}"
    )
    for m in ms:
        t0 = time.perf_counter()
        inst = Instance.build(m, family_heads("walsh-all", 1.0, m), seed=0)
        quants = quantize_heads(inst.heads, 2.0**-m)
        separate = separate_networks(quants, inst.feature)
        candidates = joint_candidates(quants, inst.feature, separate=separate)
        chosen, net = best_joint(candidates)
        pj = coder_bounds(quants, m, "joint").upper_bound_bits
        ps = coder_bounds(quants, m, "separate").upper_bound_bits
        joint.append(net.network_bits)
        trunk.append(sum(layer_bits(candidates["shared_trunk"].blocks[0].layers)[:2]))  # header and digit layer
        sep.append(sum(n.network_bits for _, n in separate))
        rows[m] = (net.network_bits, net.nonzero_weights, pj)
        print(
            f"{m:>3} {joint[-1]:>14} {trunk[-1]:>11} {sep[-1]:>13} {pj:>13} {ps:>11} "
            f"{joint[-1] / net.nonzero_weights:>11.3f} {joint[-1] / pj:>9.2f} {sep[-1] / ps:>13.2f} "
            f"{chosen.replace('_', ' '):>12} {time.perf_counter() - t0:7.2f}"
        )
    eps = [2.0**-m for m in ms]

    def top(values):
        return math.log2(values[-1] / values[-2]) if len(values) > 1 else float("nan")

    print(
        f"fitted slopes of log2(bits) vs M, M = {ms[0]}..{ms[-1]}: joint {fit_slope(eps, joint):.3f} "
        f"(its trunk {fit_slope(eps, trunk):.3f}), separate {fit_slope(eps, sep):.3f}; "
        f"last step: joint {top(joint):.3f} (trunk {top(trunk):.3f}), separate {top(sep):.3f} "
        "(coders: 1 and 2)"
    )
    inst = Instance.build(10, family_heads("walsh-all", 1.0, 10), seed=0)
    if 10 in rows:
        bits, weights, payload = rows[10]
    else:
        quants = quantize_heads(inst.heads, 2.0**-10)
        net = shared_trunk_network(quants, inst.feature)
        bits, weights, payload = (
            net.network_bits,
            net.nonzero_weights,
            coder_bounds(quants, 10, "joint").upper_bound_bits,
        )
    zero = {}  # every head 0 (no network at all); one head that reads one digit
    for e in (1.0, 0.5):
        net = joint_network(quantize_heads(inst.heads, e), inst.feature)
        zero[e] = net.network_bits if net else 0
    goals = [bits <= 8 * weights, bits <= 30 * payload, max(zero.values()) < 1000]
    print(
        f"default instance (walsh-all, depth 10, ε = 2^-10): joint {bits} bits, {bits / weights:.3f} bits per nonzero "
        f"weight (goal <= 8), {bits / payload:.2f} × the payload of {payload} bits (goal <= 30); zero-information "
        f"network {zero[1.0]} bits at ε = 1, {zero[0.5]} bits at ε = 0.5 (goal < 1000): "
        f"{'ok' if all(goals) else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
