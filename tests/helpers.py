"""Shared test helpers: a brute-force enumeration of a small class."""

import itertools

import numpy as np

from dlcalc import Feature, head_tables, quantize_heads


def all_features(depth: int):
    n = (1 << depth) - 1
    for bits in itertools.product((0, 1), repeat=n):
        yield Feature(depth, np.array(bits, dtype=np.uint8))


def table_key(tables) -> bytes:
    return b"|".join(b"0" if t.values is None else t.values.tobytes() for t in tables)


def count_distinct(depth: int, heads, eps) -> tuple[int, list[int]]:
    """Distinct quantized tuples over all 2^(2^D-1) sign patterns, jointly and per head."""
    quants = quantize_heads(heads, eps)
    joint: set[bytes] = set()
    per_head: list[set[bytes]] = [set() for _ in heads]
    for f in all_features(depth):
        tables = head_tables(quants, f)
        joint.add(table_key(tables))
        for i, t in enumerate(tables):
            per_head[i].add(table_key([t]))
    return len(joint), [len(s) for s in per_head]
