"""The steps of the coding pipeline, from the class alone: feature, tables, coders, decoding,
verification, baselines and export (THEORY §6, §8; ``docs/cost.md``).
"""

from __future__ import annotations

from ..core._budget import BLOCK_LEVEL, pow2, scaled
from ..core._headset import HeadSet
from ..quantize._groups import GroupQuantization, QuantizedClass
from ._cost import (
    CLASS_GROUP_BYTES,
    RECORD_GROUP_BYTES,
    REFERENCE_GROUP_BYTES,
    TABLES_GROUP_BYTES,
    Step,
    _uint_bytes,
    group_step,
    group_work,
)

__all__ = [
    "class_step",
    "feature_step",
    "tables_step",
    "coder_steps",
    "decode_steps",
    "verify_step",
    "baselines_step",
    "export_step",
    "export_bytes",
    "pipeline_phase",
    "sweep_step",
    "STREAM_FILE_STEPS",
]

#: Bytes of a group's spec in a ``.dlc`` header, and of the JSON text it is written from.
_HEADER_GROUP_BYTES = 128
#: Bytes per image cell (int32 up to level 30, int64 beyond) and the builder's temporaries.
_IMAGE_BYTES = 12
#: Bytes of temporaries per cell while one sawtooth table is computed.
_SAWTOOTH_TEMP = 32


def class_step(heads: HeadSet, name: str = "the class") -> Step:
    """A class read, held and described group by group (``info``, ``quantize``): no table, but the
    objects and the Python work of every group (:data:`~dlcalc.cost._cost.GROUP_CELLS`)."""
    groups = len(heads.groups())
    return group_step(f"{name}: {groups} groups of heads", groups, CLASS_GROUP_BYTES + RECORD_GROUP_BYTES)


def feature_step(depth: int) -> Step:
    """The true feature: ``2^D - 1`` flip bits, one byte each, drawn from the seed."""
    return Step("feature flips", cells=pow2(depth), held_bytes=pow2(depth), transient_bytes=pow2(depth))


def _sawtooth_levels(q: GroupQuantization, depth: int):
    """``(count, table level, entry bits)`` pieces covering a sawtooth group, in closed form over its indices.

    ``k <= D - p``: code tables on level ``k + p``; ``D - p < k <= D``: sweeping tables
    on level ``D``; ``k > D``: sweeping tables on level ``k`` (THEORY §8).
    """
    g, p = q.group, q.sawtooth_precision
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
    p = q.sawtooth_precision
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
    groups = len(qclass.groups)  # a table block and its Python work per group
    cells += group_work(groups)
    held += TABLES_GROUP_BYTES * groups
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
    groups = len(qclass.groups)  # each group's sections built, and its specs written into the header
    if coder == "joint":
        basis_top = max((t for t in qclass.joint_basis()), default=0)
        encode = Step(
            f"{coder} payload",
            payload_bits=bits,
            cells=bits + group_work(groups),
            held_bytes=_container_bytes(bits, 1) + _HEADER_GROUP_BYTES * groups,
            transient_bytes=bits + 2 * pow2(max(basis_top - 1, 0)),
        )
    else:
        sections = _separate_sections(qclass)
        walsh = [q for q in qclass.groups if q.kind == "walsh" and q.group.top <= depth]
        planes = sum(scaled(q.group.top, q.group.top - 1) for q in walsh)
        encode = Step(
            f"{coder} payload",
            payload_bits=bits,
            cells=bits + planes + group_work(groups),
            held_bytes=2 * _container_bytes(bits, sections) + _HEADER_GROUP_BYTES * groups,
            transient_bytes=max((pow2(q.group.top) for q in walsh), default=0)
            + pow2(depth)
            + TABLES_GROUP_BYTES * groups,
        )
    steps = [encode]
    if decode:
        steps += decode_steps(qclass, coder)
    return steps


def decode_steps(
    qclass: QuantizedClass, coder: str, file_bytes: int | None = None, payload: bool = False
) -> list[Step]:
    """Reading a ``.dlc`` file (its section table) and decoding every head's table from it; with
    ``payload``, its payload bits count against ``--max-bits`` (a file read by ``decode``/``verify``;
    the read-back of what ``encode`` just wrote is counted once, as encoded)."""
    bits = qclass.bounds(coder).upper_bound_bits
    sections = 1 if coder == "joint" else _separate_sections(qclass)
    groups = len(qclass.groups)  # the header's runs parsed, quantized and checked against the section table
    read = Step(
        f"{coder} file",
        payload_bits=bits if payload else 0,
        cells=group_work(groups),
        held_bytes=(file_bytes if file_bytes is not None else _container_bytes(bits, sections))
        + 16 * sections
        + CLASS_GROUP_BYTES * groups,
    )
    if coder == "joint":
        top = max((t for t in qclass.joint_basis()), default=0)
        decoded = tables_step(qclass, f"{coder} decoded tables", feature_depth=top)
        flips = Step(f"{coder} representative", cells=pow2(top), held_bytes=pow2(top), transient_bytes=bits)
        return [read, flips, decoded]
    decoded = tables_step(qclass, f"{coder} decoded tables")
    # the spread sections and each head's representative while it is decoded
    spread = max((scaled(q.count, max(q.group.top - 3, 0)) for q in qclass.groups if q.kind == "walsh"), default=0)
    rep = max(
        (
            pow2(min(qclass.depth, t))
            for q in qclass.groups
            if q.kind == "sawtooth"
            for t in (q.group.last + q.sawtooth_precision,)
        ),
        default=0,
    )
    return [read, decoded, Step(f"{coder} decoding", transient_bytes=2 * spread + rep)]


#: Bytes of temporaries per cell of a block the reference evaluates at once (blocks of 2^BLOCK_LEVEL cells).
_REFERENCE_TEMP = 8


def verify_step(qclass: QuantizedClass) -> Step:
    """The reference evaluation that judges decoded tables (``dlcalc.reference._reference``): the feature's image on
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
            block = max(block, pow2(t), min(pow2(BLOCK_LEVEL), scaled(q.count, t)))
            continue
        for kind, lo, hi in _sawtooth_levels(q, depth):
            if kind == "code":
                piece = _geometric(lo, hi, q.sawtooth_precision)
                levels.update(range(lo + q.sawtooth_precision, hi + q.sawtooth_precision + 1))
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
    sawtooth_check = 48 * min(pow2(finest), pow2(BLOCK_LEVEL))
    groups = len(qclass.groups)  # the reference evaluator's group, built and compared group by group
    return Step(
        "verification",
        cells=cells + images + group_work(groups),
        held_bytes=held + REFERENCE_GROUP_BYTES * groups,
        transient_bytes=_IMAGE_BYTES * pow2(finest) + max(_REFERENCE_TEMP * block, sawtooth_check) + (1 << 20),
    )


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
        for _kind, lo, hi in _sawtooth_levels(q, qclass.depth):
            cells += _geometric(lo, hi, q.sawtooth_precision)  # the approximant's level k + p
            largest = max(largest, hi + q.sawtooth_precision)
    return Step("export", cells=cells + group_work(len(qclass.groups)), transient_bytes=24 * pow2(min(largest, 22)))


def export_bytes(qclass: QuantizedClass, csv: bool) -> int:
    """Bytes :func:`export_step`'s export writes, from the class: for CSV at least this many (every row
    ``head,level,cell,value`` at its shortest: the head's name, its level, a cell index one digit short
    of the level's largest, a value of three characters); for npz 8 bytes per value (before deflation)."""
    total = 0
    for q in qclass.groups:
        g = q.group
        if q.zero:
            pieces = [(1, 0)]  # one entry for the whole group, on level 0
        elif q.kind == "walsh":
            pieces = [(scaled(q.count, g.top), g.top)]
        else:
            pieces = [
                (_geometric(lo, hi, q.sawtooth_precision), lo + q.sawtooth_precision)
                for _, lo, hi in _sawtooth_levels(q, qclass.depth)
            ]
        name = len(g.spec) if q.zero else len(f"{q.kind}:{g.first}")
        for cells, level in pieces:
            row = 8 if not csv else name + len(str(level)) + max(1, _decimal_digits(level) - 1) + 3 + 4
            total += cells * row
    return total + (len("head,level,cell,value\n") if csv else 0)


def _decimal_digits(level: int) -> int:
    """Decimal digits of ``2^level``."""
    return int(level * 0.30102999566398120) + 1


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


#: Steps of one ε of a sweep that walk its groups, each as long as a group's step of the pipeline
#: (:data:`~dlcalc.cost._cost.GROUP_CELLS`): the class quantized, both payloads and containers built,
#: both decoded, the reference built and compared, the bounds and the record; and the compressors'
#: tables and streams with the baselines.  Measured on classes of 1 to 7 groups over sweeps of 10^3
#: values of ε (0.7 ms a row of one group, 15 ms a row of 7, 20 ms with the baselines).
ROW_STEPS = 16
BASELINE_ROW_STEPS = 8
#: Group steps of one file of a ``.dlc`` stream, per group of its class and one for the file itself: its
#: header parsed, its class quantized and weighed, its sections checked and decoded, its record (0.13 ms
#: for a file of one head in ``decode``, 0.29 ms in ``verify``, 1 ms for five groups and 3 ms with a table
#: each, measured over streams of 3·10^3 to 2·10^4 files).
STREAM_FILE_STEPS = 4


def sweep_step(rows: int, groups: int, baselines: bool = False) -> Step:
    """The Python work of the ``rows`` rows of a sweep over ``groups`` groups in all (summed over the
    rows), a group at a time and one more for each row itself: a sweep of 10^5 values of ε over a class
    of one head costs what its rows take, although no table is large.  With ``groups = 0``, a lower
    bound known before any class is quantized."""
    units = (rows + groups) * (ROW_STEPS + (BASELINE_ROW_STEPS if baselines else 0))
    return Step(f"rows of the sweep ({rows} value{'s' if rows != 1 else ''} of ε)", cells=group_work(units))
