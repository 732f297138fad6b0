"""What a training search is given and what it returns (THEORY §7): the settings, the width
ladder and the records of trained networks.  Needs nothing beyond numpy: the commands read
the settings and weigh the search before JAX is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from .._errors import SpecError
from ._certify import StepNetwork
from ._rounding import RoundedNetwork

__all__ = [
    "SELECTIONS",
    "TrainingUnavailable",
    "require_training",
    "TrainConfig",
    "width_ladder",
    "trunk_width",
    "TrainedNetwork",
    "ArchResult",
]

SHAPES = ("shallow", "deep")
ARCHS = ("joint", "separate")
#: How a deep network's head layers are chosen among the restarts: each head its best (on a shared trunk), or
#: the restart whose worst head is best.
SELECTIONS = ("per-head", "network")
#: Grid points: midpoints of cells this many levels finer than the finest approximant.
DATA_LEVELS = 1
#: Steps between two resamplings of coinciding thresholds (soft phase only).
RESAMPLE_EVERY = 50
#: Largest training grid (points): the search refuses finer heads up front.
MAX_GRID_LEVEL = 14


class TrainingUnavailable(ImportError):
    """JAX, optax or constriction is missing: ``pip install -e '.[train]'``; ``name`` lists them."""

    @property
    def missing_clause(self) -> str:
        """``jax is missing``, ``jax and optax are missing``, ``jax, optax and constriction are missing``."""
        return _missing_clause((self.name or "jax").split(", "))


def _missing_clause(missing: list[str]) -> str:
    names = " and ".join(filter(None, [", ".join(missing[:-1]), missing[-1]]))
    return f"{names} {'is' if len(missing) == 1 else 'are'} missing"


def require_training() -> None:
    """Import the training stack once, or raise :class:`TrainingUnavailable` naming the extra."""
    import importlib

    missing = []
    for module in ("jax", "optax", "constriction"):
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise TrainingUnavailable(
            f"training needs the train extra ({_missing_clause(missing)}): pip install -e '.[train]'",
            name=", ".join(missing),
        )


@dataclass(frozen=True)
class TrainConfig:
    """Training and search settings (the module docstring describes each step)."""

    steps: int = 600
    restarts: int = 4
    learning_rate: float = 0.005
    seed: int = 0
    max_width: int = 64
    patience: int = 1
    hard_fraction: float = 0.3
    deep_widths: int = 2
    select: str = "per-head"
    curriculum: bool = True
    prune: bool = True

    def __post_init__(self) -> None:
        if self.select not in SELECTIONS:
            raise SpecError(f"select must be one of {', '.join(SELECTIONS)}")
        for name in ("steps", "restarts", "max_width", "deep_widths"):
            if getattr(self, name) < 1:
                raise SpecError(f"{name} must be >= 1")
        if self.patience < 0 or self.seed < 0:
            raise SpecError("patience and seed must be >= 0")
        if not 0 < self.learning_rate < 10 or not 0 <= self.hard_fraction < 1:
            raise SpecError("learning rate must be in (0, 10) and the hard fraction in [0, 1)")


def width_ladder(max_width: int) -> list[int]:
    """``1, 2, 3, 4, 6, 8, 12, 16, ...`` (powers of two and their midpoints) up to ``max_width``.

    >>> width_ladder(20)
    [1, 2, 3, 4, 6, 8, 12, 16]
    """
    out, k = [], 1
    while k <= max_width:
        out.append(k)
        if 3 * k // 2 > k and 3 * k // 2 <= max_width and k >= 2:
            out.append(3 * k // 2)
        k *= 2
    return out


def trunk_width(width: int) -> int:
    """Units of the deep trunk and of each head's layer for first-layer width ``K``: ``bit_length(K) + 2``."""
    return width.bit_length() + 2


@dataclass
class TrainedNetwork:
    """One kept network: its shape, trained width, the exact certificate and the real bit counts.

    ``file_bits``: the body of its file in the format of the constructed networks
    (``dlcalc network``), which it fits (its first layer is increasing thresholds);
    ``stream_bits``: its entropy-coded stream, made self-delimiting by a length prefix.
    A network of heads all fixed at 0 (no hidden unit) needs neither: 0 and 0.
    ``trunk_digits``: for a deep network, the levels ``l`` whose digit ``y_l`` of the
    feature (or its complement) a trunk unit computes exactly on all of ``[0, 1)``.
    """

    shape: str
    width: int
    quantized: RoundedNetwork
    stream_bits: int
    decoded_equal: bool
    grid_error: float
    file_bits: int = 0
    trunk_digits: list[int] | None = None

    @property
    def network(self) -> StepNetwork:
        return self.quantized.network

    @property
    def max_error(self) -> Fraction:
        return self.quantized.max_error


@dataclass
class ArchResult:
    """The search result for one architecture (for ``separate``: one entry per head in ``networks``)."""

    arch: str
    eps: float
    networks: list[TrainedNetwork]
    head_specs: list[str]
    steps: int
    seconds: float
    widths_tried: list[int] = field(default_factory=list)
    by_shape: dict[str, list[TrainedNetwork | None]] = field(default_factory=dict)
    #: of ``seconds``: compiling the JAX programs (or loading them from the persistent cache), running them
    compile_seconds: float = 0.0
    train_seconds: float = 0.0
    #: per network: the levels its trunk learned first (the curriculum; empty where it did not apply)
    curriculum_levels: list[list[int]] = field(default_factory=list)

    @property
    def reached(self) -> bool:
        return all(n.max_error <= Fraction(self.eps) for n in self.networks)

    @property
    def max_error(self) -> Fraction:
        return max(n.max_error for n in self.networks)

    @property
    def stream_bits(self) -> int:
        return sum(n.stream_bits for n in self.networks)

    @property
    def file_bits(self) -> int:
        return sum(n.file_bits for n in self.networks)

    @property
    def nonzero_weights(self) -> int:
        return sum(n.network.nonzero_weights for n in self.networks)
