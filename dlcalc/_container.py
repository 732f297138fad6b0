"""The ``.dlc`` container (THEORY §6; byte layout in ``docs/format.md``).

All integers are big-endian::

    offset  size  field
    0       8     magic  b"\\x89DLC\\r\\n\\x1a\\n"
    8       2     format version (1)
    10      1     coder: 1 = joint, 2 = separate
    11      1     reserved (0)
    12      4     header length H
    16      H     header: UTF-8 JSON {"depth", "eps", "heads": [specs]} or
                  {"depth", "eps", "family": {"name", "beta"}}: the class, never the signs
    16+H    4     number of sections S
    20+H    8·S   exact bit length of each section
    ...           the sections, each padded with zero bits to whole bytes
    end-4   4     CRC-32 of everything before it

The reader checks size, magic, version, coder, checksum, header, and that each
section's bit length equals the level cost recomputed from the header, before
it allocates anything sized by the file.
"""

from __future__ import annotations

import json
import math
import struct
import zlib
from dataclasses import dataclass, field

import numpy as np

from ._errors import DlcalcError, FormatError
from ._heads import MAX_HEADS, Head
from ._instance import DEFAULT_MAX_CELLS, check_depth_budget, family_heads
from ._quantize import RequirementSet, quantize_heads

__all__ = ["MAGIC", "FORMAT_VERSION", "CODERS", "Container", "write_container", "read_container", "split_containers", "MAX_HEADER_BYTES"]

MAGIC = b"\x89DLC\r\n\x1a\n"
FORMAT_VERSION = 1
CODERS = {"joint": 1, "separate": 2}
_CODER_NAMES = {v: k for k, v in CODERS.items()}
_FIXED = struct.Struct(">8sHBBI")
MAX_HEADER_BYTES = 64 << 20
#: Largest ``.dlc`` file read at all.
MAX_FILE_BYTES = 1 << 31


@dataclass
class Container:
    """A parsed ``.dlc`` file: the class, the coder and the exact sections."""

    coder: str
    depth: int
    eps: float
    heads: list[Head]
    section_bits: list[int]
    sections: list[np.ndarray]  # unpacked 0/1 bits per section
    quants: list = field(default_factory=list, repr=False)  # the heads quantized at eps

    @property
    def payload_bits(self) -> int:
        return sum(self.section_bits)


def header_dict(depth: int, eps: float, heads: list[Head], family: dict | None = None) -> dict:
    """The class: depth, ε, and the heads as specs, or the family when it generates them exactly."""
    if family is not None and family_heads(family["name"], family["beta"], depth) == heads:
        return {"depth": depth, "eps": eps, "family": {"name": family["name"], "beta": family["beta"]}}
    return {"depth": depth, "eps": eps, "heads": [h.spec for h in heads]}


def write_container(
    coder: str, depth: int, eps: float, heads: list[Head], sections: list[np.ndarray], family: dict | None = None
) -> bytes:
    """Serialize sections of 0/1 bits with their class into ``.dlc`` bytes."""
    header = json.dumps(header_dict(depth, eps, heads, family), sort_keys=True, allow_nan=False, separators=(",", ":")).encode()
    parts = [_FIXED.pack(MAGIC, FORMAT_VERSION, CODERS[coder], 0, len(header)), header, struct.pack(">I", len(sections))]
    parts += [struct.pack(">Q", int(s.size)) for s in sections]
    parts += [np.packbits(s.astype(np.uint8)).tobytes() for s in sections]
    body = b"".join(parts)
    return body + struct.pack(">I", zlib.crc32(body))


def _section_costs(coder: str, depth: int, quants) -> list[int]:
    if coder == "joint":
        return [RequirementSet.union_all(q.requirement for q in quants).level_cost(depth)]
    return [q.requirement.level_cost(depth) for q in quants]


def split_containers(data: bytes) -> list[bytes]:
    """Split a stream of ``.dlc`` files written back to back (``encode --coder both -o -``).

    Each file's length follows from its own header and section table; a stream
    that does not split cleanly is returned whole, for :func:`read_container`
    to report what is wrong with it.
    """
    parts, pos = [], 0
    while pos < len(data):
        end = _container_end(data, pos)
        if end is None:
            return [data] if not parts else parts + [data[pos:]]
        parts.append(data[pos:end])
        pos = end
    return parts or [data]


def _container_end(data: bytes, pos: int) -> int | None:
    """End offset of the container starting at ``pos``, from its header and section table; None if unreadable."""
    if len(data) - pos < _FIXED.size + 8 or data[pos : pos + 8] != MAGIC:
        return None
    header_len = _FIXED.unpack_from(data, pos)[4]
    at = pos + _FIXED.size + header_len
    if at + 4 > len(data):
        return None
    (n,) = struct.unpack_from(">I", data, at)
    if at + 4 + 8 * n > len(data):
        return None
    bits = struct.unpack_from(f">{n}Q", data, at + 4)
    end = at + 4 + 8 * n + sum((b + 7) // 8 for b in bits) + 4
    return end if end <= len(data) else None


def read_container(data: bytes, max_cells: int = DEFAULT_MAX_CELLS) -> Container:
    """Parse and validate ``.dlc`` bytes; every defect is a one-line :class:`FormatError`."""
    if len(data) > MAX_FILE_BYTES:
        raise FormatError(f"file is larger than {MAX_FILE_BYTES} bytes")
    if len(data) < _FIXED.size + 8:
        if not data.startswith(MAGIC[: len(data)]) or not data:
            raise FormatError("not a .dlc file (bad magic)")
        raise FormatError(f"truncated .dlc file ({len(data)} bytes)")
    magic, version, coder_id, reserved, header_len = _FIXED.unpack_from(data)
    if magic != MAGIC:
        raise FormatError("not a .dlc file (bad magic)")
    if version != FORMAT_VERSION:
        raise FormatError(f".dlc format version {version} is not supported (this dlcalc reads version {FORMAT_VERSION})")
    if coder_id not in _CODER_NAMES or reserved != 0:
        raise FormatError(f"unknown coder id {coder_id} in .dlc file")
    if zlib.crc32(data[:-4]) != struct.unpack(">I", data[-4:])[0]:
        raise FormatError("checksum mismatch: the .dlc file is corrupt or truncated")
    pos = _FIXED.size
    if header_len > MAX_HEADER_BYTES or pos + header_len + 4 > len(data) - 4:
        raise FormatError(f"header length {header_len} runs past the end of the file")
    try:
        header = json.loads(data[pos : pos + header_len].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise FormatError("the .dlc header is not valid JSON") from None
    depth, eps, heads = _check_header(header, max_cells)
    coder = _CODER_NAMES[coder_id]
    pos += header_len
    (n_sections,) = struct.unpack_from(">I", data, pos)
    pos += 4
    expected_sections = 1 if coder == "joint" else len(heads)
    if n_sections != expected_sections:
        raise FormatError(f"{coder} file lists {n_sections} sections, its class needs {expected_sections}")
    if pos + 8 * n_sections > len(data) - 4:
        raise FormatError("truncated .dlc file (section table)")
    bits = list(struct.unpack_from(f">{n_sections}Q", data, pos))
    pos += 8 * n_sections
    quants = quantize_heads(heads, eps)
    costs = _section_costs(coder, depth, quants)
    for i, (got, want) in enumerate(zip(bits, costs)):
        if got != want:
            raise FormatError(f"section {i} holds {got} bits, the class's level cost is {want}")
    nbytes = [(b + 7) // 8 for b in bits]
    if pos + sum(nbytes) != len(data) - 4:
        raise FormatError(f"section data is {len(data) - 4 - pos} bytes, the section table needs {sum(nbytes)}")
    sections = []
    for b, nb in zip(bits, nbytes):
        raw = np.frombuffer(data, dtype=np.uint8, count=nb, offset=pos)
        unpacked = np.unpackbits(raw)
        if unpacked[b:].any():
            raise FormatError("nonzero padding bits in a section")
        sections.append(unpacked[:b])
        pos += nb
    return Container(coder, depth, eps, heads, bits, sections, quants)


def _check_header(header, max_cells: int) -> tuple[int, float, list[Head]]:
    if not isinstance(header, dict):
        raise FormatError("the .dlc header is not a JSON object")
    depth, eps = header.get("depth"), header.get("eps")
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 0:
        raise FormatError(f"header depth must be a non-negative integer, got {depth!r}")
    check_depth_budget(depth, max_cells, "header depth")
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not math.isfinite(eps) or eps <= 0:
        raise FormatError(f"header eps must be a finite number > 0, got {eps!r}")
    family, heads_raw = header.get("family"), header.get("heads")
    try:
        if family is not None:
            if heads_raw is not None or not isinstance(family, dict) or set(family) != {"name", "beta"}:
                raise FormatError("header family must be an object {name, beta} given instead of heads")
            if family["name"] == "walsh-all" and depth > 20:
                raise FormatError(f"header family walsh-all at depth {depth} is over the limit of depth 20")
            return depth, float(eps), family_heads(family["name"], family["beta"], depth)
        if not isinstance(heads_raw, list) or not heads_raw or len(heads_raw) > MAX_HEADS:
            raise FormatError("header heads must be a non-empty list of at most 2^20 head specs")
        if not all(isinstance(h, str) and len(h) < 200 for h in heads_raw):
            raise FormatError("header heads must be head specs such as 'walsh:5@0.5'")
        return depth, float(eps), [Head.parse(h) for h in heads_raw]
    except FormatError:
        raise
    except DlcalcError as exc:
        raise FormatError(f"header: {exc}") from None
