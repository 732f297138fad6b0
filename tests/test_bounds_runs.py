"""Bounds over runs of explicit heads in closed form equal the head-by-head level-span algebra.

A run of sawtooth heads is one star and one geometric series per group
(``dlcalc.quantize._groups``); these tests compare it with the old computation that
listed every head's requirement set (THEORY §5), over random runs, depths and ε.
"""

import subprocess
import sys

from hypothesis import example, given, settings
from hypothesis import strategies as st

from dlcalc.core._heads import HeadRun
from dlcalc.core._headset import HeadSet
from dlcalc.core._numbers import as_bits
from dlcalc.quantize._bounds import heads_bounds
from dlcalc.quantize._groups import QuantizedClass
from dlcalc.quantize._quantize import RequirementSet, quantize_head

runs = st.lists(
    st.tuples(
        st.sampled_from(["walsh", "sawtooth"]),
        st.integers(0, 40),
        st.integers(0, 12),
        st.sampled_from([1.0, 0.5, 0.3, 2.0, 0.125]),
    ).map(lambda t: HeadRun(t[0], max(t[1], 1 if t[0] == "walsh" else 0), max(t[1], 1) + t[2], t[3])),
    min_size=1,
    max_size=5,
)
depths = st.none() | st.integers(0, 50)
epsilons = st.sampled_from([2.0, 1.0, 0.5, 0.3, 2.0**-5, 1e-3, 1e-9, 2.0**-30])


def per_head(heads: HeadSet, eps: float, depth):
    """The old computation: every head quantized and costed alone, the joint set listed head by head."""
    quants = [quantize_head(h, eps) for h in heads]
    joint_up = RequirementSet.union_all(q.requirement for q in quants).level_cost(depth)
    joint_low = RequirementSet.union_all(q.lower_requirement for q in quants).level_cost(depth)
    sep_up = sum(q.requirement.level_cost(depth) for q in quants)
    sep_low = sum(q.lower_requirement.level_cost(depth) for q in quants)
    return joint_low, joint_up, sep_low, sep_up


@settings(max_examples=150)
@given(runs, depths, epsilons)
@example([HeadRun("sawtooth", 0, 9, 1.0)], 4, 2.0**-5)
@example([HeadRun("sawtooth", 3, 9, 1.0)], 5, 0.3)
@example([HeadRun("sawtooth", 5, 5, 1.0)], 5, 0.3)
def test_runs_in_closed_form_equal_the_heads_one_by_one(run_list, depth, eps):
    heads = HeadSet(None, run_list)
    b = heads_bounds(heads, eps, depth)
    got = (b.joint_lower_bits, b.joint_upper_bits, b.separate_lower_bits, b.separate_upper_bits)
    assert got == tuple(as_bits(x) for x in per_head(heads, eps, depth))


@settings(max_examples=150)
@given(runs, st.integers(0, 50), epsilons)
def test_the_joint_basis_of_a_run_is_the_listed_one(run_list, depth, eps):
    """The coders' payload layout (the reduced basis) does not change with the compact stars."""
    heads = HeadSet(None, run_list)
    qclass = QuantizedClass(depth, heads, eps)
    listed = RequirementSet.union_all(quantize_head(h, eps).requirement for h in heads)
    assert qclass.joint_basis() == listed.basis(depth)


CAPPED = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
from dlcalc.core._headset import HeadSet
from dlcalc.core._heads import HeadRun
from dlcalc.quantize._bounds import heads_bounds
heads = HeadSet(None, [HeadRun("walsh", 1, 1), HeadRun("walsh", 5, 9, 0.5), HeadRun("sawtooth", 0, 65536, 0.5)])
for depth in (10**11, 2**64, 10**30):
    for eps in (0.5, 0.25, 1e-300):
        b = heads_bounds(heads, eps, depth)
        assert b == heads_bounds(heads, eps, None), (depth, eps)
print("ok")
"""


def test_extreme_depths_change_nothing_under_a_memory_cap():
    """A depth above every head's top is 'large enough': no ``2^depth`` is ever built (1 GiB cap)."""
    proc = subprocess.run([sys.executable, "-c", CAPPED], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout == "ok\n", proc.stderr
