"""Function instances: one shared feature and its task heads (THEORY §2-§3), and their JSON file.

Instance file (``schema_version`` 2)::

    {"dlcalc": "instance", "schema_version": 2, "depth": 10, "seed": 0,
     "flips": null, "family": {"name": "walsh-all", "beta": 1.0},
     "heads": [{"head": "sawtooth:0-2@0.5", "family": "sawtooth", "index": 0, "last": 2, "amplitude": 0.5}]}

``family`` is kept as a family (its heads are never listed) and comes first;
``heads`` lists the explicit heads as runs ``index..last`` with one amplitude.
``flips`` (hex of the packed flip bits, level order) is written only for
instances built from explicit flips; a seeded instance stores its seed.
Version 1 files (every head listed, ``family`` a note) are still read.
"""

from __future__ import annotations

import json
import re

import numpy as np

from .._errors import BudgetError, FormatError, SpecError
from ._budget import DEFAULT_MAX_CELLS, pow2, readable, weigh_runs
from ._feature import Feature
from ._heads import MAX_HEADS, Head, HeadRun, check_index_limit, parse_head_run
from ._headset import FAMILY_NAMES, Family, HeadSet
from ._numbers import positive_float, short_text, strict_json_loads

__all__ = [
    "Instance",
    "family_heads",
    "FAMILY_NAMES",
    "INSTANCE_SCHEMA_VERSION",
    "DEFAULT_MAX_CELLS",
    "check_depth_budget",
]

INSTANCE_SCHEMA_VERSION = 2
#: Largest instance file read, in bytes (an instance lists head ranges, not tables).
MAX_INSTANCE_BYTES = 64 << 20
#: Seeds are integers ``0 <= seed < 2^128`` (the state width of PCG64).
MAX_SEED = (1 << 128) - 1
#: The members of an instance object and of one head run in it; anything else is refused.
INSTANCE_KEYS = frozenset({"dlcalc", "schema_version", "depth", "seed", "flips", "family", "heads"})
HEAD_KEYS = frozenset({"head", "family", "index", "last", "amplitude"})
_HEX = re.compile(r"^[0-9a-fA-F]*$")


def check_depth_budget(depth: int, max_cells: int, what: str = "depth") -> None:
    """Refuse (:class:`BudgetError`) a feature of ``2^depth`` cells over the budget, deciding on bit lengths."""
    if pow2(depth) > max_cells:
        raise BudgetError(
            f"{what} {depth} needs 2^{depth} cells, over the budget of {readable(max_cells)} "
            "(raise --max-cells, or use `dlcalc bounds` for the formula values)"
        )


def family_heads(name: str, beta: float, depth: int) -> list[Head]:
    """The heads of a family at a given depth, listed (THEORY §5); :class:`Family` keeps them compact.

    - ``walsh-all``: ``walsh:n`` for ``1 <= n < 2^D``, ``a_n = 2^(-β(top(n)-1))``.
    - ``sawtooth-all``: ``sawtooth:k`` for ``0 <= k <= D``, ``a_k = 2^(-βk)``.

    The heads carry their exact exponents (:class:`Head`); a head set or instance made of the
    list holds explicit runs, whose amplitudes are the floats, unless the family is named
    (``Instance.build(..., family={"name", "beta"})``), which keeps it a family.

    >>> [h.spec for h in family_heads("walsh-all", 1.0, 2)]
    ['walsh:1', 'walsh:2@0.5', 'walsh:3@0.5']
    """
    family = Family(name, beta, depth)
    if family.count_exceeds(MAX_HEADS):
        raise BudgetError(
            f"{name} at depth {depth} has {family.count_text} heads; list at most {MAX_HEADS} "
            "(use Family to keep them compact)"
        )
    return [family.head(i) for i in range(family.count)]


class Instance:
    """A multi-output function ``F = (a_t g_t ∘ h_σ)_t`` (THEORY §3).

    The feature's flip bits are drawn only when :attr:`feature` is first used, so
    that a command can weigh its cost (``dlcalc.cost._cost``) from the class alone first.

    Examples
    --------
    >>> inst = Instance.build(depth=3, seed=1, heads=[Head("walsh", 5), Head("sawtooth", 1)])
    >>> inst.depth, [h.spec for h in inst.heads]
    (3, ['walsh:5', 'sawtooth:1'])
    """

    __slots__ = ("depth", "heads", "seed", "_flips", "_feature")

    def __init__(self, depth: int, heads: HeadSet, seed: int | None = 0, flips=None) -> None:
        if len(heads) == 0:
            if heads.family is not None and heads.family.name == "walsh-all":
                raise SpecError(
                    f"walsh-all at depth {depth} has no heads (its heads are walsh:n with top(n) <= depth): "
                    "give a depth of 1 or more"
                )
            raise SpecError("an instance needs at least one head (--head or --family)")
        self.depth = depth
        self.heads = heads
        self.seed = seed
        self._flips = flips
        self._feature: Feature | None = None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Instance):
            return NotImplemented
        if (self.depth, self.seed, self.heads) != (other.depth, other.seed, other.heads):
            return False
        return self.seed is not None or self.feature == other.feature

    __hash__ = None  # type: ignore[assignment]  # unhashable on purpose (mutable, equal by value); mypy wants a method

    def __repr__(self) -> str:
        where = f"seed={self.seed}" if self.seed is not None else "explicit flips"
        return f"Instance(depth={self.depth}, {where}, heads={self.heads.describe()})"

    @property
    def feature(self) -> Feature:
        """The shared feature: from the seed (THEORY §2) or the explicit flip bits, drawn on first use."""
        if self._feature is None:
            if self._flips is not None:
                self._feature = Feature(self.depth, self._flips)
            else:
                assert self.seed is not None  # an instance has a seed or explicit flips
                self._feature = Feature.from_seed(self.depth, self.seed)
        return self._feature

    @property
    def family(self) -> dict | None:
        """``{"name", "beta"}`` of the family the heads start with, or None."""
        return self.heads.family.as_dict() if self.heads.family else None

    @classmethod
    def build(
        cls,
        depth: int,
        heads,
        seed: int | None = 0,
        flips=None,
        family: dict | None = None,
        max_cells: int = DEFAULT_MAX_CELLS,
    ) -> Instance:
        """An instance from a seed (THEORY §2) or explicit flip bits, refusing depths over the budget.

        ``heads`` is a :class:`HeadSet` or a list of heads; ``family`` (``{"name", "beta"}``)
        names the family the listed heads start with, which is then kept as the family.
        """
        if isinstance(depth, bool) or not isinstance(depth, int):
            raise SpecError(f"depth must be an integer, got {depth!r}")
        if depth < 0:
            raise SpecError(f"depth must be >= 0, got {depth}")
        check_depth_budget(depth, max_cells)
        head_set = HeadSet.of(heads)
        if family is not None:
            head_set = HeadSet.compacted(Family(family["name"], family["beta"], depth), head_set)
        if flips is not None:
            feature = Feature(depth, flips)
            inst = cls(depth, head_set, None, feature.flips)
            inst._feature = feature
            return inst
        if seed is None:
            seed = 0
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise SpecError(f"seed must be a non-negative integer, got {seed!r}")
        return cls(depth, head_set, int(seed))

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
            "heads": [run_to_dict(run) for run in self.heads.runs],
        }

    def dumps(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, allow_nan=False, indent=1) + "\n"

    @classmethod
    def from_dict(cls, data, max_cells: int = DEFAULT_MAX_CELLS) -> Instance:
        """Validate and load an instance object; every problem is a one-line :class:`FormatError`."""
        if not isinstance(data, dict) or data.get("dlcalc") != "instance":
            raise FormatError('not a dlcalc instance file (expected a JSON object with "dlcalc": "instance")')
        unknown = sorted(set(data) - INSTANCE_KEYS, key=str)
        if unknown:
            raise FormatError(
                f"instance has an unknown key {short_text(unknown[0])} (allowed: {', '.join(sorted(INSTANCE_KEYS))})"
            )
        version = data.get("schema_version")
        if type(version) is not int or version not in (1, INSTANCE_SCHEMA_VERSION):  # 1.0 is not a version
            raise FormatError(
                f"instance schema_version {short_text(version)} is not supported "
                f"(this dlcalc reads the integers 1 and {INSTANCE_SCHEMA_VERSION})"
            )
        depth = data.get("depth")
        if type(depth) is not int or depth < 0:
            raise FormatError(f"instance depth must be a non-negative integer, got {short_text(depth)}")
        check_depth_budget(depth, max_cells, "instance depth")
        heads = _heads_from_dict(data, depth, version, max_cells)
        seed, flips_hex = data.get("seed"), data.get("flips")
        if seed is not None and flips_hex is not None:
            raise FormatError("instance gives both a seed and flips; give one (the other null)")
        if flips_hex is not None:
            if not isinstance(flips_hex, str):
                raise FormatError("instance flips must be a hex string")
            if not _HEX.match(flips_hex):  # bytes.fromhex would also take spaces
                raise FormatError("instance flips are not valid hex")
            n = (1 << depth) - 1
            if len(flips_hex) != 2 * ((n + 7) // 8):
                raise FormatError(
                    f"instance flips hold {len(flips_hex) // 2} bytes; depth {depth} needs {(n + 7) // 8}"
                )
            try:
                raw = bytes.fromhex(flips_hex)
            except ValueError:
                raise FormatError("instance flips are not valid hex") from None
            bits = np.unpackbits(np.frombuffer(raw, dtype=np.uint8))
            if bits[n:].any():
                raise FormatError("instance flips have nonzero padding bits")
            return cls.build(depth, heads, flips=bits[:n], max_cells=max_cells)
        if type(seed) is not int or not 0 <= seed <= MAX_SEED:
            raise FormatError(
                f"instance seed must be an integer 0 <= seed < 2^128 (or give flips), got {short_text(seed)}"
            )
        return cls.build(depth, heads, seed=seed, max_cells=max_cells)

    @classmethod
    def loads(cls, text: str | bytes, max_cells: int = DEFAULT_MAX_CELLS) -> Instance:
        if len(text) > MAX_INSTANCE_BYTES:
            raise FormatError(f"instance file is larger than {MAX_INSTANCE_BYTES} bytes")
        # every run is a JSON object: the braces bound the runs (the document's own is the one taken off;
        # a family's makes one more) before the parser builds a single object for them
        braces = text.count(b"{") if isinstance(text, bytes) else text.count("{")
        runs = max(braces - 1, 0)
        weigh_runs(runs, max_cells, "loading this instance", "its runs, read and merged", 2)
        return cls.from_dict(strict_json_loads(text, "instance file"), max_cells=max_cells)


def _family_from_dict(family, depth: int) -> Family | None:
    if family is None:
        return None
    if not isinstance(family, dict) or set(family) != {"name", "beta"} or family.get("name") not in FAMILY_NAMES:
        raise FormatError('instance family must be null or {"name": "walsh-all"|"sawtooth-all", "beta": B > 0}')
    beta = positive_float(family["beta"], "instance family beta")  # a 310-digit integer is named as overflowing
    try:
        return Family(family["name"], beta, depth)
    except SpecError as exc:
        raise FormatError(f"instance family: {exc}") from None


def _heads_from_dict(data: dict, depth: int, version: int, max_cells: int = DEFAULT_MAX_CELLS) -> HeadSet:
    family = _family_from_dict(data.get("family"), depth)
    heads_raw = data.get("heads")
    if not isinstance(heads_raw, list) or (not heads_raw and family is None):
        raise FormatError("instance heads must be a list, non-empty unless a family gives the heads")
    if len(heads_raw) > MAX_HEADS:
        raise FormatError(f"instance lists {len(heads_raw)} heads; at most {MAX_HEADS} are allowed")
    weigh_runs(len(heads_raw), max_cells, "loading this instance", "its runs, read and merged", 2)
    runs = [run_from_dict(h) for h in heads_raw]
    try:
        if version == 1:  # every head listed; the family only says where the first ones came from
            heads = HeadSet(None, runs)
            return heads if family is None else HeadSet.compacted(family, heads)
        return HeadSet(family, runs)
    except SpecError as exc:
        raise FormatError(f"instance heads: {exc}") from None


def run_to_dict(run: HeadRun) -> dict:
    """A run of explicit heads as stored in instance files."""
    return {"head": run.spec, "family": run.family, "index": run.first, "last": run.last, "amplitude": run.amplitude}


def run_from_dict(d) -> HeadRun:
    """A run (``last`` defaults to ``index``: one head, as in version 1 files); ``head``, the spec,
    must name the same run when given."""
    if not isinstance(d, dict):
        raise FormatError(f"instance head must be an object, got {type(d).__name__}")
    unknown = sorted(set(d) - HEAD_KEYS, key=str)
    if unknown:
        raise FormatError(
            f"instance head has an unknown key {short_text(unknown[0])} (allowed: {', '.join(sorted(HEAD_KEYS))})"
        )
    family, index, amp = d.get("family"), d.get("index"), d.get("amplitude", 1.0)
    last = d.get("last", index)
    if not isinstance(family, str) or type(index) is not int or type(last) is not int:
        raise FormatError(f"instance head {short_text(d)} needs a string family and integer index and last")
    if last - index + 1 > MAX_HEADS:
        raise FormatError(f"instance head run {short_text(index)}-{short_text(last)} names more than {MAX_HEADS} heads")
    try:
        run = HeadRun(family, index, last, amp)
        check_index_limit(family, last)
        spec = d.get("head", run.spec)
        if not isinstance(spec, str) or len(spec) > 4000 or parse_head_run(spec) != run:
            raise FormatError(
                f"instance head {short_text(spec)} does not match its family, index, last and amplitude ({run.spec})"
            )
    except FormatError:
        raise
    except SpecError as exc:
        raise FormatError(f"instance head: {exc}") from None
    return run
