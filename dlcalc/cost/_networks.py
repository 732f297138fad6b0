"""The steps of the Heaviside networks and their ONNX check, from the class alone (THEORY §7, §8)."""

from __future__ import annotations

from ..core._budget import pow2, scaled
from ..quantize._groups import GroupQuantization, QuantizedClass
from ._coding import (
    _geometric,
)
from ._cost import Step

__all__ = ["network_steps", "onnx_least_step", "onnx_step"]


# ----------------------------------------------------------------------------- networks (THEORY §7)


def _popcount_prefix(x: int) -> int:
    """``Σ_{0 <= n < x} popcount(n)``."""
    total, j = 0, 0
    while (1 << j) < x:
        cycle = 1 << (j + 1)
        total += (x // cycle) << j
        total += max(0, x % cycle - (1 << j))
        j += 1
    return total


def _digit_levels(q: GroupQuantization) -> set[int]:
    """Digits ``y_l`` the heads of a group read (THEORY §4, as the networks build them)."""
    return set(q.group.digit_levels(q.precision))


def _head_units(q: GroupQuantization) -> tuple[int, int]:
    """``(cells of the third-layer units, cells of the outputs)`` over the heads of a group."""
    g = q.group
    if q.kind == "walsh":
        units = _popcount_prefix(g.last + 1) - _popcount_prefix(g.first)
        return scaled(units, g.top), scaled(g.count, g.top)
    p = q.sawtooth_precision
    units = sum(
        _geometric(k + 1, k + p, 0) * (2 if k >= 1 else 1) for k in range(g.first, min(g.last, g.first + 64) + 1)
    )
    if g.last > g.first + 64:
        units += 2 * _geometric(g.first + 65 + 1, g.last + p, 0) * p
    return units, _geometric(g.first, g.last, p)


#: Bytes per breakpoint of a trunk while its network is built, serialized, read back
#: (``dlcalc.networks._construction``).
_NETWORK_BUILD = 128
#: Bytes per breakpoint of a built network kept for export.
_NETWORK_HELD = 64
#: Bytes per cell of ``f̂_t`` of the network kept for each head (the shorter of its trunk and step networks).
_NETWORK_KEPT = 32
#: Cell equivalents of the Python work of one head's separate network, whatever its size: its trunk and
#: step networks built, serialized and read back, evaluated and checked (1.4 ms a head for ``walsh-all`` at
#: depth 10 and ε = 2^-10, 1023 networks in 1.45 s, at 5 ns a cell).
NETWORK_HEAD_CELLS = 1 << 18


def _trunk(digits: set[int], units: int, outputs: int) -> tuple[int, int, int]:
    """``(cells, held bytes, transient bytes)`` of one trunk network: built, kept, evaluated.

    A digit ``y_l`` jumps at most ``2^l`` times, so the first layer has at most
    ``Σ 2^l`` breakpoints and the second as many weights; the evaluation holds one
    int64 per cell of every unit.
    """
    digit_cells = sum(pow2(lv) for lv in digits)
    cells = 2 * digit_cells + units + outputs
    return cells, _NETWORK_HELD * digit_cells, _NETWORK_BUILD * digit_cells + 8 * (digit_cells + units + outputs)


def network_steps(qclass: QuantizedClass, archs) -> list[Step]:
    """Building, serializing, evaluating and checking the Heaviside networks (``dlcalc.networks._construction``).

    The separate networks are built for either architecture (the joint network's parallel
    stack is made of them) and kept; evaluated side by side, every block's values are held
    at once.  The joint network is the shorter of that stack and the shared trunk over
    every needed digit (a unit per third-layer neuron on its level's cells, one output per
    live head); whichever it is, one of the two is evaluated.  A head that is 0 at ε has no
    network and costs nothing here.
    """
    live = [q for q in qclass.groups if not q.zero]
    if not live:  # every head is 0 at ε: no network, not even the feature is built
        return []
    steps = [Step("network representative", cells=pow2(qclass.depth), transient_bytes=2 * pow2(qclass.depth))]
    cells = held = peak = evaluated = 0
    for q in live:
        g = q.group
        units, out = _head_units(q)
        if q.kind == "walsh":  # a head's trunk reads the digits A(n), at most 2 · 2^t breakpoints; its step network 2^t
            t = g.top
            head_cells = scaled(g.count, t)
            _, _, tr = _trunk(set(range(1, t + 1)), scaled(t, t), pow2(t))
        else:  # sawtooth:k reads k .. k+p; the last head of the run is the largest
            top = g.last + q.sawtooth_precision
            head_cells = _geometric(g.first, g.last, q.sawtooth_precision)
            _, _, tr = _trunk(set(range(max(g.last, 1), top + 1)), 2 * pow2(top + 1), pow2(top))
        cells += 2 * (2 * head_cells) + units + 4 * out + scaled(g.count, NETWORK_HEAD_CELLS.bit_length() - 1)
        held += _NETWORK_KEPT * head_cells
        evaluated += 8 * (2 * head_cells + units + out)
        peak = max(peak, tr)
    steps.append(Step("separate networks", cells=cells, held_bytes=held, transient_bytes=peak + 2 * pow2(qclass.depth)))
    if "separate" in archs:
        steps.append(Step("separate networks evaluated", held_bytes=evaluated))
    if "joint" in archs:
        digits = set().union(*(_digit_levels(q) for q in live)) if live else set()
        units = outputs = 0
        for q in live:
            u, o = _head_units(q)
            units, outputs = units + u, outputs + o
        cells, held, transient = _trunk(digits, units, outputs)
        steps.append(Step("joint network", cells=cells, held_bytes=max(held, evaluated), transient_bytes=transient))
    return steps


def onnx_step(grid_level: int, per_point: int, dense_entries: int, activations: int) -> Step:
    """Checking an exported ONNX network in onnxruntime on every point of its grid (``dlcalc.networks._onnx``):
    ``per_point`` activations a point, ``activations`` held at once; the dense weight matrices in the
    model, in its serialized bytes and in onnxruntime."""
    return Step(
        "ONNX check",
        cells=scaled(per_point, grid_level) + dense_entries,
        held_bytes=3 * 8 * dense_entries,
        transient_bytes=3 * 8 * max(activations, per_point),
    )


def _finest_jumps(q: GroupQuantization) -> tuple[int, int]:
    """``(level L, jumps)`` over the heads of a live group: each head's ``f̂`` reads the digit ``y_L`` of its
    approximant level (``top(n)``, or ``k + p``), which differs between the two halves of every level-``L - 1``
    cell (below the depth the flips of ``σ`` are shared by both, above it the feature is the identity)
    while every coarser digit is equal there, and ``f̂`` changes with it: at least ``2^(L-1)`` jumps a head."""
    g = q.group
    if q.kind == "walsh":
        return g.top, scaled(g.count, g.top - 1)
    p = q.sawtooth_precision
    return g.last + p, _geometric(g.first, g.last, p - 1)


def onnx_least_step(qclass: QuantizedClass, arch: str) -> Step:
    """What checking the ONNX export of the ``arch`` network costs *at least*, from the class alone, so that an
    export far over the budget is refused before the networks are built (``dlcalc.study.weigh_onnx`` weighs the
    built network exactly afterwards).

    Every construction puts a breakpoint at every jump of ``f̂_t`` (:func:`_finest_jumps`): its grid is at least
    the finest approximant level, and its first layer holds at least one unit per jump of a head (separate
    networks: per head; the joint network: of the head with the most, since the parallel stack holds more).
    onnxruntime holds three values a unit for each of the ``2^grid`` points it checks.
    """
    live = [q for q in qclass.groups if not q.zero]
    if not live:
        return Step("ONNX check")
    finest = [_finest_jumps(q) for q in live]
    grid = max(level for level, _ in finest)
    outputs = sum(q.count for q in live)
    if arch == "separate":
        units = sum(jumps for _, jumps in finest)
    else:
        units = max(pow2(level - 1) for level, _ in finest)
    per_point = 3 * (units + outputs)
    return Step("ONNX check (at least)", cells=scaled(per_point, grid), transient_bytes=3 * 8 * per_point)
