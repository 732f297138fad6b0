"""Benchmark: build, serialize, deserialize and verify the joint and separate networks.

Instance: depth 20, heads walsh:1-1023 and sawtooth:0-8, ε = 2^-10 (target: under
30 s and 2 GiB).  Anchor: the prefix-sum evaluator against the dense
cells-by-units evaluator on a smaller case (depth 12, heads walsh:1-255 and
sawtooth:0-4, ε = 2^-8).

    python benchmarks/bench_networks.py
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from dlcalc import Instance, head_tables, parse_heads, quantize_heads
from dlcalc.networks._construction import (
    HeavisideNetwork,
    network_outputs_match,
    parallel_stack,
    separate_networks,
    shared_trunk_network,
)


def timed(fn):
    t0 = time.perf_counter()
    value = fn()
    return time.perf_counter() - t0, value


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--depth", type=int, default=20)
    args = ap.parse_args()
    heads = parse_heads("walsh:1-1023") + parse_heads("sawtooth:0-8")
    eps = 2.0**-10
    inst = Instance.build(args.depth, heads, seed=0)
    quants = quantize_heads(heads, eps)
    tables = head_tables(quants, inst.feature)
    total = 0.0
    t, net = timed(lambda: shared_trunk_network(quants, inst.feature))
    total += t
    print(f"joint    build      {t:7.2f} s  {net.neurons} neurons, {net.nonzero_weights} weights (shared trunk)")
    t, data = timed(net.serialize)
    total += t
    print(f"joint    serialize  {t:7.2f} s  {net.network_bits} network bits")
    t, back = timed(lambda: HeavisideNetwork.deserialize(data))
    total += t
    assert back.serialize() == data
    t2, ok = timed(lambda: all(network_outputs_match(back.evaluate(), quants, tables, args.depth)))
    total += t + t2
    print(f"joint    read+verify{t + t2:7.2f} s  exact: {ok}")
    t, nets = timed(lambda: separate_networks(quants, inst.feature))
    total += t
    bits = sum(n.network_bits for _, n in nets)
    print(
        f"separate build      {t:7.2f} s  {sum(n.neurons for _, n in nets)} neurons, "
        f"{sum(n.nonzero_weights for _, n in nets)} weights, {bits} network bits"
    )

    def verify_separate():
        stack = HeavisideNetwork.deserialize(parallel_stack([n for _, n in nets]).serialize())
        return stack.network_bits == bits and all(network_outputs_match(stack.evaluate(), quants, tables, args.depth))

    t, ok = timed(verify_separate)
    total += t
    print(f"separate ser+read+verify {t:7.2f} s  exact: {ok} (one file, the blocks side by side)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    print(
        f"total {total:.2f} s, peak RSS {peak:.0f} MiB (target: 30 s, 2048 MiB): "
        f"{'ok' if total < 30 and peak < 2048 else 'MISSED'}"
    )

    small = Instance.build(12, parse_heads("walsh:1-255") + parse_heads("sawtooth:0-4"), seed=0)
    sq = quantize_heads(small.heads, 2.0**-8)
    snet = shared_trunk_network(sq, small.feature).blocks[0]
    tp, outs = timed(snet.evaluate)
    td, dense = timed(snet.evaluate_dense)
    same = all(np.array_equal(np.repeat(v, 1 << (snet.grid_level - lv)), dense[:, i]) for i, (lv, v) in enumerate(outs))
    print(
        f"anchor (depth 12, {snet.neurons} neurons, grid 2^{snet.grid_level}): "
        f"prefix-sum {tp:.3f} s, dense {td:.3f} s, equal: {same}"
    )


if __name__ == "__main__":
    main()
