"""What ``info`` and ``quantize`` print per group, against oracles built head by head: the levels a
group's heads pay for (the tops of each head's own reduced basis, by a Gaussian elimination written
here), the requirement set of a one-head group, and the table and approximant levels (THEORY §4, §5)."""

from hypothesis import example, given, settings
from hypothesis import strategies as st

from dlcalc.core._heads import HeadRun
from dlcalc.core._headset import HeadSet
from dlcalc.quantize._groups import QuantizedClass


def _tops(vectors: set[int]) -> set[int]:
    """The tops (highest level, level l = bit l - 1) of a reduced GF(2) basis of the span of ``vectors``."""
    basis: dict[int, int] = {}
    for v in vectors:
        while v:
            top = v.bit_length()
            if top not in basis:
                basis[top] = v
                break
            v ^= basis[top]
    return set(basis)


def _walsh_paid(n: int, depth: int) -> set[int]:
    """walsh:n needs the digits A(n); above the depth the feature is the identity, so only its digits up
    to the depth are paid for: the top of ``n mod 2^D``."""
    masked = n & ((1 << depth) - 1)
    return {masked.bit_length()} if masked else set()


runs = st.one_of(
    st.builds(
        lambda first, span, a: HeadRun("walsh", first, first + span, a),
        st.integers(1, 300),
        st.integers(0, 40),
        st.sampled_from([1.0, 0.5, 0.3, 0.01]),
    ),
    st.builds(
        lambda first, span, a: HeadRun("sawtooth", first, first + span, a),
        st.integers(0, 12),
        st.integers(0, 5),
        st.sampled_from([1.0, 0.5, 0.3]),
    ),
)


@settings(max_examples=200, deadline=None)
@given(depth=st.integers(0, 8), run_list=st.lists(runs, min_size=1, max_size=4), eps=st.sampled_from([0.6, 0.2, 2**-5]))
@example(depth=3, run_list=[HeadRun("walsh", 6, 20)], eps=0.2)  # beyond the depth, wrapping around 2^D
@example(depth=2, run_list=[HeadRun("walsh", 4, 12)], eps=0.2)  # a full period of the masked indices
@example(depth=0, run_list=[HeadRun("walsh", 1, 3)], eps=0.2)
def test_levels_paid_are_the_union_of_each_heads_basis_tops(depth, run_list, eps):
    qclass = QuantizedClass(depth, HeadSet(None, run_list), eps)
    for q in qclass.groups:
        heads = list(q.head_quants())
        if q.zero:
            assert q.levels_paid(depth) == [] and q.table_levels(depth) == (None, None)
            continue
        if q.kind == "walsh":
            want = set().union(*(_walsh_paid(h.head.index, depth) for h in heads))
            assert q.table_levels(depth) == (q.group.top, q.group.top)
        else:
            want = set().union(*(_tops(h.requirement.masked_vectors(depth)) for h in heads))
            last = heads[-1]
            assert q.table_levels(depth) == (last.table_level(depth), last.approximant_level(depth))
            assert last.approximant_level(depth) == last.head.index + q.sawtooth_precision  # k + p
        assert q.levels_paid(depth) == sorted(want), q.group.spec
        if q.count == 1:
            (h,) = heads
            listed = q.requirement_levels(depth)
            assert listed is not None
            vectors = {sum(1 << (lv - 1) for lv in levels) for levels in listed}
            assert vectors == h.requirement.masked_vectors(depth)
            assert all(levels == sorted(levels) and all(1 <= lv for lv in levels) for levels in listed)
        else:
            assert q.requirement_levels(depth) is None
