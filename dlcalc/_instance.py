"""Function instances: one shared feature and its task heads (THEORY §2-§3), and their JSON file.

Instance file (``schema_version`` 1)::

    {"dlcalc": "instance", "schema_version": 1, "depth": 10, "seed": 0,
     "flips": null, "family": {"name": "walsh-all", "beta": 1.0},
     "heads": [{"head": "walsh:1", "family": "walsh", "index": 1, "amplitude": 1.0}, ...]}

``flips`` (hex of the packed flip bits, level order) is written only for
instances built from explicit flips; a seeded instance stores its seed.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ._errors import BudgetError, FormatError, SpecError
from ._feature import Feature
from ._heads import MAX_HEADS, Head
from ._span import cell_mask

__all__ = [
    "Instance",
    "family_heads",
    "FAMILY_NAMES",
    "INSTANCE_SCHEMA_VERSION",
    "DEFAULT_MAX_CELLS",
    "gram_matrix",
    "orthogonality",
    "check_depth_budget",
]

INSTANCE_SCHEMA_VERSION = 1
FAMILY_NAMES = ("walsh-all", "sawtooth-all")
#: Default budget on cells (and flip bits) any single command may materialize: 2^26.
DEFAULT_MAX_CELLS = 1 << 26
#: Largest instance file read, in bytes (an instance lists heads, not tables).
MAX_INSTANCE_BYTES = 64 << 20


def check_depth_budget(depth: int, max_cells: int, what: str = "depth") -> None:
    """Refuse (:class:`BudgetError`) a feature of ``2^depth`` cells over the budget, without building ``2^depth``."""
    if depth > 62 or (1 << depth) > max_cells:
        raise BudgetError(
            f"{what} {depth} needs 2^{depth} cells, over the budget of {max_cells} "
            "(raise --max-cells, or use `dlcalc bounds` for the formula values)"
        )


def family_heads(name: str, beta: float, depth: int) -> list[Head]:
    """The heads of a family at a given depth (THEORY §5).

    - ``walsh-all``: ``walsh:n`` for ``1 <= n < 2^D``, ``a_n = 2^(-β(top(n)-1))``.
    - ``sawtooth-all``: ``sawtooth:k`` for ``0 <= k <= D``, ``a_k = 2^(-βk)``.

    >>> [h.spec for h in family_heads("walsh-all", 1.0, 2)]
    ['walsh:1', 'walsh:2@0.5', 'walsh:3@0.5']
    """
    if isinstance(beta, bool) or not (isinstance(beta, (int, float)) and math.isfinite(beta) and beta > 0):
        raise SpecError(f"--beta must be a finite number > 0, got {beta!r}")
    if name == "walsh-all":
        if depth > 20:
            raise BudgetError(f"walsh-all at depth {depth} has {2**depth - 1} heads; the limit is depth 20")
        return [Head("walsh", n, 2.0 ** (-beta * (n.bit_length() - 1))) for n in range(1, 1 << depth)]
    if name == "sawtooth-all":
        return [Head("sawtooth", k, 2.0 ** (-beta * k)) for k in range(depth + 1)]
    raise SpecError(f"unknown family {name!r} (choose from {', '.join(FAMILY_NAMES)})")


@dataclass
class Instance:
    """A multi-output function ``F = (a_t g_t ∘ h_σ)_t`` (THEORY §3).

    Examples
    --------
    >>> inst = Instance.build(depth=3, seed=1, heads=[Head("walsh", 5), Head("sawtooth", 1)])
    >>> inst.depth, [h.spec for h in inst.heads]
    (3, ['walsh:5', 'sawtooth:1'])
    """

    feature: Feature
    heads: list[Head]
    seed: int | None = None
    family: dict | None = field(default=None)

    def __post_init__(self) -> None:
        if not self.heads:
            raise SpecError("an instance needs at least one head (--head or --family)")
        if len(self.heads) > MAX_HEADS:
            raise SpecError(f"{len(self.heads)} heads; at most {MAX_HEADS} are allowed")

    @property
    def depth(self) -> int:
        return self.feature.depth

    @classmethod
    def build(
        cls,
        depth: int,
        heads: list[Head],
        seed: int | None = 0,
        flips=None,
        family: dict | None = None,
        max_cells: int = DEFAULT_MAX_CELLS,
    ) -> "Instance":
        """Build from a seed (THEORY §2) or explicit flip bits, refusing depths over the budget."""
        if isinstance(depth, bool) or not isinstance(depth, int):
            raise SpecError(f"depth must be an integer, got {depth!r}")
        if depth < 0:
            raise SpecError(f"depth must be >= 0, got {depth}")
        check_depth_budget(depth, max_cells)
        if flips is not None:
            feature = Feature(depth, flips)
            seed = None
        else:
            feature = Feature.from_seed(depth, 0 if seed is None else seed)
            seed = 0 if seed is None else int(seed)
        return cls(feature, list(heads), seed, family)

    def evaluate(self, t: int, x) -> np.ndarray:
        """``f_t(x) = a_t g_t(h_σ(x))`` by direct composition (no tables), exact at dyadic ``x``."""
        head = self.heads[t]
        return head.amplitude * head.g(self.feature(x))

    # ----------------------------------------------------------------- JSON
    def to_dict(self) -> dict:
        """The JSON object of the instance file (also ``instance`` in command output)."""
        return {
            "dlcalc": "instance",
            "schema_version": INSTANCE_SCHEMA_VERSION,
            "depth": self.depth,
            "seed": self.seed,
            "flips": None if self.seed is not None else np.packbits(self.feature.flips).tobytes().hex(),
            "family": self.family,
            "heads": [head_to_dict(h) for h in self.heads],
        }

    def dumps(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, allow_nan=False, indent=1) + "\n"

    @classmethod
    def from_dict(cls, data, max_cells: int = DEFAULT_MAX_CELLS) -> "Instance":
        """Validate and load an instance object; every problem is a one-line :class:`FormatError`."""
        if not isinstance(data, dict) or data.get("dlcalc") != "instance":
            raise FormatError('not a dlcalc instance file (expected a JSON object with "dlcalc": "instance")')
        version = data.get("schema_version")
        if version != INSTANCE_SCHEMA_VERSION:
            raise FormatError(f"instance schema_version {version!r} is not supported (this dlcalc reads {INSTANCE_SCHEMA_VERSION})")
        depth = data.get("depth")
        if isinstance(depth, bool) or not isinstance(depth, int) or depth < 0:
            raise FormatError(f"instance depth must be a non-negative integer, got {depth!r}")
        heads_raw = data.get("heads")
        if not isinstance(heads_raw, list) or not heads_raw:
            raise FormatError("instance heads must be a non-empty list")
        if len(heads_raw) > MAX_HEADS:
            raise FormatError(f"instance lists {len(heads_raw)} heads; at most {MAX_HEADS} are allowed")
        heads = [head_from_dict(h) for h in heads_raw]
        seed, flips_hex = data.get("seed"), data.get("flips")
        family = data.get("family")
        if family is not None:
            beta = family.get("beta") if isinstance(family, dict) else None
            if (
                not isinstance(family, dict)
                or set(family) != {"name", "beta"}
                or family.get("name") not in FAMILY_NAMES
                or isinstance(beta, bool)
                or not isinstance(beta, (int, float))
                or not math.isfinite(beta)
                or beta <= 0
            ):
                raise FormatError('instance family must be null or {"name": "walsh-all"|"sawtooth-all", "beta": B > 0}')
            family = {"name": family["name"], "beta": float(beta)}
        check_depth_budget(depth, max_cells, "instance depth")
        if flips_hex is not None:
            if not isinstance(flips_hex, str):
                raise FormatError("instance flips must be a hex string")
            n = (1 << depth) - 1
            if len(flips_hex) != 2 * ((n + 7) // 8):
                raise FormatError(f"instance flips hold {len(flips_hex) // 2} bytes; depth {depth} needs {(n + 7) // 8}")
            try:
                raw = bytes.fromhex(flips_hex)
            except ValueError:
                raise FormatError("instance flips are not valid hex") from None
            bits = np.unpackbits(np.frombuffer(raw, dtype=np.uint8))
            if bits[n:].any():
                raise FormatError("instance flips have nonzero padding bits")
            return cls.build(depth, heads, flips=bits[:n], family=family, max_cells=max_cells)
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise FormatError(f"instance seed must be a non-negative integer (or give flips), got {seed!r}")
        return cls.build(depth, heads, seed=seed, family=family, max_cells=max_cells)

    @classmethod
    def loads(cls, text: str | bytes, max_cells: int = DEFAULT_MAX_CELLS) -> "Instance":
        if len(text) > MAX_INSTANCE_BYTES:
            raise FormatError(f"instance file is larger than {MAX_INSTANCE_BYTES} bytes")
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise FormatError(f"instance file is not valid JSON ({str(exc).splitlines()[0]})") from None
        return cls.from_dict(data, max_cells=max_cells)


def head_to_dict(h: Head) -> dict:
    return {"head": h.spec, "family": h.family, "index": h.index, "amplitude": h.amplitude}


def head_from_dict(d) -> Head:
    if not isinstance(d, dict):
        raise FormatError(f"instance head must be an object, got {type(d).__name__}")
    family, index, amp = d.get("family"), d.get("index"), d.get("amplitude", 1.0)
    if not isinstance(family, str) or isinstance(index, bool) or not isinstance(index, int):
        raise FormatError(f"instance head {d!r} needs a string family and an integer index")
    try:
        return Head(family, index, amp)
    except SpecError as exc:
        raise FormatError(f"instance head: {exc}") from None


def gram_matrix(heads: list[Head]) -> dict[tuple[int, int], Fraction]:
    """The exact Gram matrix ``<f_s, f_t>`` (THEORY §3), sparse: ``{(s, t): value}`` for ``s <= t``.

    Entries not listed are exactly zero.  Walsh–Walsh entries come from the
    orthonormality of the Walsh system (``<w_m, w_n> = δ_mn``); every pair with
    a sawtooth head is integrated exactly (:meth:`Head.inner`).  The work is
    ``O(T + T_saw · T)`` pairs, so walsh-all instances with a million heads are fine.

    >>> g = gram_matrix([Head("sawtooth", 0), Head("walsh", 1)])
    >>> g[(0, 0)], g[(0, 1)], g[(1, 1)]
    (Fraction(1, 3), Fraction(1, 2), Fraction(1, 1))
    """
    gram: dict[tuple[int, int], Fraction] = {}
    saw = [i for i, h in enumerate(heads) if h.family == "sawtooth"]
    walsh = [i for i, h in enumerate(heads) if h.family == "walsh"]
    for t, h in enumerate(heads):
        gram[(t, t)] = h.inner(h)
    by_index: dict[int, list[int]] = {}
    for t in walsh:
        by_index.setdefault(heads[t].index, []).append(t)
    for same in by_index.values():  # repeated Walsh heads are not orthogonal
        for i, s in enumerate(same):
            for t in same[i + 1 :]:
                gram[(s, t)] = heads[s].inner(heads[t])
    for i, s in enumerate(saw):
        for t in saw[i + 1 :]:
            if value := heads[s].inner(heads[t]):
                gram[(s, t)] = value
        if walsh:
            values = sawtooth_walsh_inner(heads[s].index, sorted(by_index))
            amp = Fraction(heads[s].amplitude)
            for t in walsh:
                if value := values[heads[t].index]:
                    gram[(min(s, t), max(s, t))] = amp * Fraction(heads[t].amplitude) * value
    return gram


def sawtooth_walsh_inner(k: int, walsh_indices: list[int]) -> dict[int, Fraction]:
    """``<g_k, w_n>`` for many ``n`` at once, exactly, by one fast Walsh–Hadamard transform.

    On cells of level ``L = max(k, top(n))`` the Walsh function is constant and the
    sawtooth affine, so ``<g_k, w_n> = 2^-L Σ_c w_n(c) mean_c(g_k)``: a Hadamard
    transform of the cell means, read at the cell mask of ``n``.  Work ``O(L 2^L)``
    in exact integers instead of one integration per pair.
    """
    level = max([k] + [n.bit_length() for n in walsh_indices])
    if level > 26:
        raise BudgetError(f"the Gram matrix needs 2^{level} cells for sawtooth:{k} against these Walsh heads (limit 2^26)")
    means = Head("sawtooth", k)._scaled_values(level)[1].astype(np.int64)  # cell means × 2^(level+1)
    transform = means.copy()
    h = 1
    while h < transform.size:
        pairs = transform.reshape(-1, 2, h)
        transform = np.stack((pairs[:, 0] + pairs[:, 1], pairs[:, 0] - pairs[:, 1]), axis=1).reshape(-1)
        h *= 2
    denominator = 1 << (2 * level + 1)
    return {n: Fraction(int(transform[cell_mask(n, level)]), denominator) for n in walsh_indices}


def orthogonality(heads: list[Head]) -> tuple[bool, float, dict[tuple[int, int], Fraction]]:
    """``(orthogonal, largest |off-diagonal|, gram)`` from the exact Gram matrix."""
    gram = gram_matrix(heads)
    off = [abs(v) for (s, t), v in gram.items() if s != t and v]
    return (not off), float(max(off)) if off else 0.0, gram
