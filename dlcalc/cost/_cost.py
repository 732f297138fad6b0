"""One cost model: what each step of a command materializes, from the class alone (THEORY §8; ``docs/cost.md``).

Every command builds a :class:`Cost` from the class (depth, heads, ε, coders)
*before* it allocates anything sized by the request, and checks it against a
:class:`~dlcalc.core._budget.Budget`:

- **cells**: table cells (a packed Walsh bit is one cell), images of the feature,
  digit planes, flip bits, evaluation points and exported values, summed over
  every step of the command;
- **payload bits**: the bits of every payload encoded or decoded, summed;
- **memory**: an upper estimate of the bytes held at once: what the whole
  command keeps (``base`` steps, such as the feature) plus the largest *phase*
  (one ε of a sweep, one ``.dlc`` file of a stream), each phase holding its steps'
  bytes at the same time plus its largest transient.

All figures are exact integers from bit lengths (:func:`~dlcalc.core._budget.scaled`):
``2^level`` is never built for a level beyond any budget.  Zero heads and
families cost ``O(1)`` per group here, as in the work itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core._budget import Budget, pow2, readable, readable_bytes, scaled
from .._errors import BudgetError
from ..quantize._quantize import GroupQuantization, QuantizedClass

__all__ = [
    "Step",
    "Cost",
    "feature_step",
    "tables_step",
    "coder_steps",
    "decode_steps",
    "verify_step",
    "baselines_step",
    "export_step",
    "pipeline_phase",
    "network_steps",
    "onnx_step",
]

#: Bytes per image cell (int32 up to level 30, int64 beyond) and the builder's temporaries.
_IMAGE_BYTES = 12
#: Bytes of temporaries per cell while one sawtooth table is computed.
_SAWTOOTH_TEMP = 32


@dataclass(frozen=True)
class Step:
    """One step's figures: cells and payload bits it materializes, bytes it holds, bytes it needs meanwhile."""

    name: str
    cells: int = 0
    payload_bits: int = 0
    held_bytes: int = 0
    transient_bytes: int = 0


@dataclass
class Cost:
    """The figures of a whole command: steps kept throughout (``base``) and phases run one after another."""

    base: list[Step] = field(default_factory=list)
    phases: list[list[Step]] = field(default_factory=list)

    def steps(self):
        yield from self.base
        for phase in self.phases:
            yield from phase

    @property
    def cells(self) -> int:
        return sum(s.cells for s in self.steps())

    @property
    def payload_bits(self) -> int:
        return sum(s.payload_bits for s in self.steps())

    @property
    def memory_bytes(self) -> int:
        def held(steps) -> int:
            return sum(s.held_bytes for s in steps) + max((s.transient_bytes for s in steps), default=0)

        return held(self.base) + max((held(p) for p in self.phases), default=0)

    def check(self, budget: Budget, what: str) -> None:
        """Refuse (:class:`BudgetError`, one line) a command over any budget, naming its largest step."""
        for figure, limit, option, unit in (
            ("cells", budget.max_cells, "--max-cells", "cells"),
            ("payload_bits", budget.max_bits, "--max-bits", "payload bits"),
        ):
            total = getattr(self, figure)
            if total > limit:
                worst = max(self.steps(), key=lambda s: getattr(s, figure))
                raise BudgetError(
                    f"{what} needs {readable(total)} {unit} ({worst.name}: {readable(getattr(worst, figure))}), "
                    f"over the budget of {readable(limit)} (raise {option}, or use `dlcalc bounds` for the formula values)"
                )
        memory = self.memory_bytes
        if memory > budget.max_memory:
            worst = max(self.steps(), key=lambda s: s.held_bytes + s.transient_bytes)
            raise BudgetError(
                f"{what} needs about {readable_bytes(memory)} of memory ({worst.name}: "
                f"{readable_bytes(worst.held_bytes + worst.transient_bytes)}), over the budget of "
                f"{readable_bytes(budget.max_memory)} (raise --max-memory, or use `dlcalc bounds` for the formula values)"
            )


def _packed(level: int) -> int:
    """Bytes of one packed row of ``2^level`` bits."""
    return pow2(max(level - 3, 0))


def _uint_bytes(bits: int) -> int:
    for size in (1, 2, 4, 8):
        if bits <= 8 * size:
            return size
    return 8


def feature_step(depth: int) -> Step:
    """The true feature: ``2^D - 1`` flip bits, one byte each, drawn from the seed."""
    return Step("feature flips", cells=pow2(depth), held_bytes=pow2(depth), transient_bytes=pow2(depth))


def _sawtooth_levels(q: GroupQuantization, depth: int):
    """``(count, table level, entry bits)`` pieces covering a sawtooth group, in closed form over its indices.

    ``k <= D - p``: code tables on level ``k + p``; ``D - p < k <= D``: sweeping tables
    on level ``D``; ``k > D``: sweeping tables on level ``k`` (THEORY §8).
    """
    g, p = q.group, q.precision
    pieces = []
    lo, hi = g.first, min(g.last, depth - p)
    if lo <= hi:
        pieces.append(("code", lo, hi))
    lo, hi = max(g.first, depth - p + 1), min(g.last, depth)
    if lo <= hi:
        pieces.append(("sweep", lo, hi))
    lo, hi = max(g.first, depth + 1), g.last
    if lo <= hi:
        pieces.append(("beyond", lo, hi))
    return pieces


def _geometric(lo: int, hi: int, shift: int) -> int:
    """``Σ_{k=lo}^{hi} 2^(k+shift)`` = ``2^(hi+shift+1) - 2^(lo+shift)``, saturating."""
    return max(pow2(hi + shift + 1) - pow2(lo + shift), 0) if hi + shift + 1 < 4096 else pow2(hi + shift + 1)


def _group_tables(q: GroupQuantization, depth: int) -> tuple[int, int, int, int]:
    """``(cells, held bytes, transient bytes, finest level)`` of one group's tables."""
    if q.zero:
        return 0, 0, 0, 0
    if q.kind == "walsh":
        t = q.group.top
        return scaled(q.count, t), scaled(q.count, max(t - 3, 0)), 0, t
    cells = held = transient = finest = 0
    p = q.precision
    for kind, lo, hi in _sawtooth_levels(q, depth):
        if kind == "code":
            piece, size, top = _geometric(lo, hi, p), _uint_bytes(p), hi + p
        elif kind == "sweep":
            piece, size, top = scaled(hi - lo + 1, depth), _uint_bytes(depth + 1), depth
        else:
            piece, size, top = _geometric(lo, hi, 0), 1, hi
        cells += piece
        held += piece * size
        transient = max(transient, _SAWTOOTH_TEMP * pow2(top))
        finest = max(finest, top)
    return cells, held, transient, finest


def tables_step(qclass: QuantizedClass, name: str = "true tables", feature_depth: int | None = None) -> Step:
    """Every head's table under a feature (``dlcalc.quantize._tableset.true_tables``): images, digit planes, tables.

    ``feature_depth`` is the depth of the feature used (a decoded representative may be shallower).
    """
    depth = qclass.depth
    fdepth = depth if feature_depth is None else feature_depth
    cells = held = transient = 0
    finest = 0
    walsh_levels = set()
    beyond = set()
    for q in qclass.groups:
        c, h, tr, level = _group_tables(q, depth)
        cells, held, transient = cells + c, held + h, max(transient, tr)
        finest = max(finest, min(level, fdepth))
        if q.kind == "walsh":
            walsh_levels.add(q.group.top)
        if level > fdepth:
            beyond.add(level)
    # the image at the finest level <= the feature depth, images beyond it, digit planes per Walsh level
    images = pow2(finest) + sum(pow2(lv) for lv in beyond)
    planes = sum(scaled(t, t) for t in walsh_levels)
    cells += images + planes
    held += _IMAGE_BYTES * images + sum(scaled(t, max(t - 3, 0)) for t in walsh_levels)
    transient = max(transient, max((_IMAGE_BYTES * pow2(t) for t in walsh_levels), default=0))
    return Step(name, cells=cells, held_bytes=held, transient_bytes=transient)


def _container_bytes(payload_bits: int, sections: int) -> int:
    return payload_bits // 8 + 9 * sections + 4096


def _separate_sections(qclass: QuantizedClass) -> int:
    """Sections of the separate file: at most one per head that is not zero (an upper estimate)."""
    return sum(q.count for q in qclass.groups if not q.zero)


def coder_steps(qclass: QuantizedClass, coder: str, decode: bool = True) -> list[Step]:
    """Encoding with one coder (payload, sections, container), then decoding it from the bytes alone."""
    bounds = qclass.bounds(coder)
    bits = bounds.upper_bound_bits
    depth = qclass.depth
    if coder == "joint":
        basis_top = max((t for t in qclass.joint_basis()), default=0)
        encode = Step(f"{coder} payload", payload_bits=bits, cells=bits, held_bytes=_container_bytes(bits, 1),
                      transient_bytes=bits + 2 * pow2(max(basis_top - 1, 0)))
    else:
        sections = _separate_sections(qclass)
        walsh = [q for q in qclass.groups if q.kind == "walsh" and q.group.top <= depth]
        planes = sum(scaled(q.group.top, q.group.top - 1) for q in walsh)
        encode = Step(f"{coder} payload", payload_bits=bits, cells=bits + planes,
                      held_bytes=2 * _container_bytes(bits, sections),
                      transient_bytes=max((pow2(q.group.top) for q in walsh), default=0) + pow2(depth))
    steps = [encode]
    if decode:
        steps += decode_steps(qclass, coder)
    return steps


def decode_steps(qclass: QuantizedClass, coder: str, file_bytes: int | None = None) -> list[Step]:
    """Reading a ``.dlc`` file (its section table) and decoding every head's table from it."""
    bits = qclass.bounds(coder).upper_bound_bits
    sections = 1 if coder == "joint" else _separate_sections(qclass)
    read = Step(f"{coder} file", held_bytes=(file_bytes if file_bytes is not None else _container_bytes(bits, sections))
                + 16 * sections)
    if coder == "joint":
        top = max((t for t in qclass.joint_basis()), default=0)
        decoded = tables_step(qclass, f"{coder} decoded tables", feature_depth=top)
        flips = Step(f"{coder} representative", cells=pow2(top), held_bytes=pow2(top), transient_bytes=bits)
        return [read, flips, decoded]
    decoded = tables_step(qclass, f"{coder} decoded tables")
    # the spread sections and each head's representative while it is decoded
    spread = max((scaled(q.count, max(q.group.top - 3, 0)) for q in qclass.groups if q.kind == "walsh"), default=0)
    rep = max((pow2(min(qclass.depth, t)) for q in qclass.groups if q.kind == "sawtooth"
               for t in (q.group.last + q.precision,)), default=0)
    return [read, decoded, Step(f"{coder} decoding", transient_bytes=2 * spread + rep)]


#: Cells of one block of Walsh rows the reference evaluates at once, and the bytes of temporaries per cell.
_REFERENCE_BLOCK_LEVEL = 22
_REFERENCE_TEMP = 8


def verify_step(qclass: QuantizedClass) -> Step:
    """The reference evaluation that judges decoded tables (``dlcalc.verify._reference``): the feature's image on
    every table level, the true tables (Walsh rows packed, sawtooth codes and orientations as int64), and
    the comparison in blocks; zero heads in closed form."""
    depth = qclass.depth
    levels: set[int] = set()
    cells = held = block = 0
    for q in qclass.groups:
        if q.zero:
            continue
        if q.kind == "walsh":
            t = q.group.top
            levels.add(t)
            cells += scaled(q.count, t)
            held += scaled(q.count, max(t - 3, 0))
            block = max(block, pow2(t), min(pow2(_REFERENCE_BLOCK_LEVEL), scaled(q.count, t)))
            continue
        for kind, lo, hi in _sawtooth_levels(q, depth):
            if kind == "code":
                piece = _geometric(lo, hi, q.precision)
                levels.update(range(lo + q.precision, hi + q.precision + 1))
            elif kind == "sweep":
                piece = scaled(hi - lo + 1, depth)
                levels.add(depth)
            else:
                piece = _geometric(lo, hi, 0)
                levels.update(range(lo, min(hi, lo + 64) + 1))
            cells += piece
            held += 16 * piece
    images = sum(pow2(lv) for lv in levels)
    finest = max(levels, default=0)
    sawtooth_check = 48 * min(pow2(finest), pow2(_REFERENCE_BLOCK_LEVEL))
    return Step("verification", cells=cells + images, held_bytes=held,
                transient_bytes=_IMAGE_BYTES * pow2(finest) + max(_REFERENCE_TEMP * block, sawtooth_check) + (1 << 20))


def baselines_step(qclass: QuantizedClass) -> Step:
    """General-purpose compressors on the tables: each reads the joint table and every head's table once."""
    tables = tables_step(qclass, "baselines")
    data = sum(_group_tables(q, qclass.depth)[1] for q in qclass.groups)
    return Step("baselines", cells=4 * 2 * tables.cells, held_bytes=2 * data, transient_bytes=data + (64 << 20))


def export_step(qclass: QuantizedClass) -> Step:
    """Every decoded function written as values on its own cells (CSV or npz), streamed head by head."""
    cells = 0
    largest = 0
    for q in qclass.groups:
        if q.zero:
            cells += q.count
            continue
        if q.kind == "walsh":
            cells += scaled(q.count, q.group.top)
            largest = max(largest, q.group.top)
            continue
        for kind, lo, hi in _sawtooth_levels(q, qclass.depth):
            cells += _geometric(lo, hi, q.precision)  # the approximant's level k + p
            largest = max(largest, hi + q.precision)
    return Step("export", cells=cells, transient_bytes=24 * pow2(min(largest, 22)))


def pipeline_phase(qclass: QuantizedClass, coders, truth: bool = False, baselines: bool = False) -> list[Step]:
    """One ε of ``encode``/``compare``: the reference once, each coder encoded and decoded, and (for the
    baselines or the networks) the true tables."""
    steps = [tables_step(qclass)] if truth or baselines else []
    for coder in coders:
        steps += coder_steps(qclass, coder)
    steps.append(verify_step(qclass))
    if baselines:
        steps.append(baselines_step(qclass))
    return steps


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
    g = q.group
    if q.kind == "walsh":
        span = g.last - g.first
        bits = {j for j in range(span.bit_length()) if 1 << j <= span}
        bits |= {j for j in range(g.last.bit_length()) if (g.first >> j) & 1 or (g.last >> j) & 1}
        return {j + 1 for j in bits}
    out: set[int] = set()
    for k in range(g.first, min(g.last, g.first + 64) + 1):  # a long run reads every level from its first k on
        out |= ({k} if k >= 1 else set()) | set(range(k + 1, k + q.precision + 1))
    if g.last > g.first + 64:
        out |= set(range(g.first + 65, g.last + q.precision + 1))
    return out


def _head_units(q: GroupQuantization) -> tuple[int, int]:
    """``(cells of the third-layer units, cells of the outputs)`` over the heads of a group."""
    g = q.group
    if q.kind == "walsh":
        units = _popcount_prefix(g.last + 1) - _popcount_prefix(g.first)
        return scaled(units, g.top), scaled(g.count, g.top)
    p = q.precision
    units = sum(_geometric(k + 1, k + p, 0) * (2 if k >= 1 else 1) for k in range(g.first, min(g.last, g.first + 64) + 1))
    if g.last > g.first + 64:
        units += 2 * _geometric(g.first + 65 + 1, g.last + p, 0) * p
    return units, _geometric(g.first, g.last, p)


#: Bytes per breakpoint of a trunk while its network is built, serialized, read back (``dlcalc.networks._construction``).
_NETWORK_BUILD = 128
#: Bytes per breakpoint of a built network kept for export.
_NETWORK_HELD = 64
#: Bytes per cell of ``f̂_t`` of the network kept for each head (the shorter of its trunk and step networks).
_NETWORK_KEPT = 32


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
    head); whichever it is, one of the two is evaluated.
    """
    live = [q for q in qclass.groups if not q.zero]
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
            top = g.last + q.precision
            head_cells = _geometric(g.first, g.last, q.precision)
            _, _, tr = _trunk(set(range(max(g.last, 1), top + 1)), 2 * pow2(top + 1), pow2(top))
        cells += 2 * (2 * head_cells) + units + 4 * out
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
        outputs += sum(q.count for q in qclass.groups if q.zero)
        cells, held, transient = _trunk(digits, units, outputs)
        steps.append(Step("joint network", cells=cells, held_bytes=max(held, evaluated), transient_bytes=transient))
    return steps


def onnx_step(grid_level: int, per_point: int, dense_entries: int, activations: int) -> Step:
    """Checking an exported ONNX network in onnxruntime on every point of its grid (``dlcalc.networks._onnx``):
    ``per_point`` activations a point, ``activations`` held at once; the dense weight matrices in the
    model, in its serialized bytes and in onnxruntime."""
    return Step("ONNX check", cells=scaled(per_point, grid_level) + dense_entries,
                held_bytes=3 * 8 * dense_entries, transient_bytes=3 * 8 * max(activations, per_point))
