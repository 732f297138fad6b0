"""The ``.dlc`` container (THEORY §6; byte layout in ``docs/format.md``).

All integers are big-endian::

    offset  size  field
    0       8     magic  b"\x89DLC\r\n\x1a\n"
    8       2     format version (2; version 1 is still read)
    10      1     coder: 1 = joint, 2 = separate
    11      1     reserved (0)
    12      4     header length H
    16      H     header: UTF-8 JSON {"depth", "eps", "heads": [run specs], "family"?: {"name", "beta"}}:
                  the class, never the signs; a family stays a family
    16+H    4     number of sections S
    20+H    8·S   exact bit length of each section
    ...           the sections, each padded with zero bits to whole bytes
    end-4   4     CRC-32 of everything before it

The joint file has one section; the separate file one section per head whose
level cost is not zero, in head order (version 1: one per head).  The reader
checks size, magic, version, coder, checksum, header, the cost of decoding the
class against the budget, and that each section's bit length equals the level
cost recomputed from the header, before it allocates anything sized by the file.
:func:`iter_stream` reads a stream of files incrementally, each only as far as its
checked header and section table declare, and yields them one at a time (:func:`read_stream`
lists them).
"""

from __future__ import annotations

import json
import struct
import zlib
from dataclasses import dataclass

import numpy as np

from .._errors import DlcalcError, FormatError
from ..core._budget import Budget
from ..core._heads import MAX_HEADS, parse_head_run
from ..core._headset import Family, HeadSet
from ..core._instance import check_depth_budget
from ..core._numbers import positive_float, short_text, strict_json_loads
from ..cost._coding import decode_steps
from ..cost._cost import Cost, weigh_runs
from ..quantize._groups import QuantizedClass
from ._sections import Sections

__all__ = [
    "Container",
    "header_dict",
    "write_container",
    "section_count",
    "expected_sections",
    "split_containers",
    "peek_class",
    "read_container",
]

MAGIC = b"\x89DLC\r\n\x1a\n"
FORMAT_VERSION = 2
READ_VERSIONS = (1, 2)
CODERS = {"joint": 1, "separate": 2}
_CODER_NAMES = {v: k for k, v in CODERS.items()}
_FIXED = struct.Struct(">8sHBBI")
MAX_HEADER_BYTES = 64 << 20
#: The members a header may have (the class); anything else is refused.
HEADER_KEYS = frozenset({"depth", "eps", "heads", "family"})
#: Largest ``.dlc`` file read at all.
MAX_FILE_BYTES = 1 << 31


@dataclass
class Container:
    """A parsed ``.dlc`` file: the class (quantized), the coder and the exact sections."""

    coder: str
    version: int
    qclass: QuantizedClass
    section_bits: np.ndarray  # int64, one per section present
    data: np.ndarray  # uint8: the sections back to back, each padded to whole bytes
    file_bytes: int = 0  # the whole file's length

    @property
    def depth(self) -> int:
        return self.qclass.depth

    @property
    def eps(self) -> float:
        return self.qclass.eps

    @property
    def heads(self) -> HeadSet:
        return self.qclass.heads

    @property
    def payload_bits(self) -> int:
        return int(self.section_bits.sum()) if self.section_bits.size else 0

    def section(self, i: int) -> np.ndarray:
        """Section ``i`` unpacked to 0/1 bits (for inspection and tests)."""
        starts = np.concatenate(([0], np.cumsum((self.section_bits + 7) // 8)))
        bits = int(self.section_bits[i])
        return np.unpackbits(self.data[starts[i] : starts[i + 1]])[:bits]


def header_dict(depth: int, eps: float, heads: HeadSet) -> dict:
    """The class: depth, ε, the family (when the heads start with one) and the explicit runs as specs."""
    header = {"depth": depth, "eps": eps, "heads": heads.run_specs()}
    if heads.family is not None:
        header["family"] = heads.family.as_dict()
    return header


def write_container(coder: str, qclass: QuantizedClass, sections: Sections) -> bytes:
    """Serialize packed sections with their class into ``.dlc`` bytes (format version 2)."""
    header = json.dumps(
        header_dict(qclass.depth, qclass.eps, qclass.heads), sort_keys=True, allow_nan=False, separators=(",", ":")
    ).encode()
    parts = [
        _FIXED.pack(MAGIC, FORMAT_VERSION, CODERS[coder], 0, len(header)),
        header,
        struct.pack(">I", sections.bits.size),
        sections.bits.astype(">u8").tobytes(),
    ]
    parts += [chunk.tobytes() for chunk in sections.data]
    body = b"".join(parts)
    return body + struct.pack(">I", zlib.crc32(body))


def _group_sections(q, depth: int) -> int:
    """How many heads of a non-zero group have a level cost above 0 (a section in a version 2 file)."""
    g = q.group
    if q.kind == "walsh":  # 2^(top(n mod 2^D) - 1), zero for the multiples of 2^D
        return g.count if g.top <= depth else g.count - ((g.last >> depth) - ((g.first - 1) >> depth))
    # sawtooth:k at p >= 1 costs at least 2^(k-1) for 1 <= k <= D, 2^min(p,D) - 1 for k = 0, nothing beyond D
    return max(0, min(g.last, depth) - g.first + 1) if depth > 0 else 0


def section_count(qclass: QuantizedClass, coder: str, version: int = FORMAT_VERSION) -> int:
    """How many sections the class prescribes, in ``O(groups)`` (:func:`expected_sections` lists them)."""
    if coder == "joint":
        return 1
    if version == 1:
        return len(qclass.heads)
    return sum(_group_sections(q, qclass.depth) for q in qclass.groups if not q.zero)


def expected_sections(qclass: QuantizedClass, coder: str, version: int = FORMAT_VERSION) -> np.ndarray:
    """The bit length of every section the class prescribes (call within a budget)."""
    if coder == "joint":
        return np.array([qclass.bounds("joint").upper_bound_bits], dtype=np.int64)
    parts = [q.head_bits(qclass.depth) for q in qclass.groups if version == 1 or not q.zero]
    bits = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    return bits if version == 1 else bits[bits > 0]


def split_containers(data: bytes) -> list[bytes]:
    """Split a stream of ``.dlc`` files written back to back (``encode --coder both -o -``).

    Each file's length follows from its own header and section table; a stream
    that does not split cleanly is returned whole, for :func:`read_container`
    to report what is wrong with it.
    """
    parts: list[bytes] = []
    pos = 0
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
    bits = np.frombuffer(data, dtype=">u8", count=n, offset=at + 4)
    end = at + 4 + 8 * n + int(((bits.astype(object) + 7) // 8).sum()) + 4
    return end if end <= len(data) else None


def _check_fixed(data: bytes) -> tuple[int, str, int]:
    """Magic, version, reserved byte and coder of the first 16 bytes: ``(version, coder, header length)``."""
    if len(data) < _FIXED.size:
        if not data or not MAGIC.startswith(data[:8]):
            raise FormatError("not a .dlc file (bad magic)")
        raise FormatError(f"truncated .dlc file ({len(data)} bytes)")
    magic, version, coder_id, reserved, header_len = _FIXED.unpack_from(data)
    if magic != MAGIC:
        raise FormatError("not a .dlc file (bad magic)")
    if version not in READ_VERSIONS:
        raise FormatError(
            f".dlc format version {version} is not supported (this dlcalc reads versions 1 and {FORMAT_VERSION})"
        )
    if reserved != 0:
        raise FormatError(f"the reserved byte of the .dlc file is {reserved}, not 0")
    if coder_id not in _CODER_NAMES:
        raise FormatError(f"unknown coder id {coder_id} in .dlc file")
    return version, _CODER_NAMES[coder_id], header_len


#: The whitespace JSON allows around a value (``bytes.strip()`` would take more).
_JSON_SPACE = b" \t\n\r"


def _parse_header(raw: bytes, max_cells: int, version: int) -> tuple[int, float, HeadSet]:
    raw = raw.strip(_JSON_SPACE)  # padding is neither decoded nor scanned by the parser
    try:
        header = strict_json_loads(raw.decode("utf-8"), "the .dlc header", detail=False)
    except UnicodeDecodeError:
        raise FormatError("the .dlc header is not valid JSON") from None
    return _check_header(header, max_cells, version)


def _front(data: bytes, max_cells: int) -> tuple[int, str, tuple[int, float, HeadSet], int]:
    """Checks up to the header: ``(version, coder, (depth, eps, heads), offset of the section count)``."""
    if len(data) > MAX_FILE_BYTES:
        raise FormatError(f"file is larger than {MAX_FILE_BYTES} bytes")
    if len(data) < _FIXED.size + 8:
        _check_fixed(bytes(data[: _FIXED.size]))
        raise FormatError(f"truncated .dlc file ({len(data)} bytes)")
    version, coder, header_len = _check_fixed(bytes(data[: _FIXED.size]))
    if zlib.crc32(memoryview(data)[:-4]) != struct.unpack(">I", data[-4:])[0]:
        raise FormatError("checksum mismatch: the .dlc file is corrupt or truncated")
    pos = _FIXED.size
    if header_len > MAX_HEADER_BYTES or pos + header_len + 4 > len(data) - 4:
        raise FormatError(f"header length {header_len} runs past the end of the file")
    return version, coder, _parse_header(bytes(data[pos : pos + header_len]), max_cells, version), pos + header_len


def _check_section_count(qclass: QuantizedClass, coder: str, version: int, n_sections: int) -> None:
    """The file's section count against the class's, in ``O(groups)``, before anything sized by the heads."""
    need = section_count(qclass, coder, version)
    if n_sections != need:
        raise FormatError(f"{coder} file lists {n_sections} sections, its class needs {need}")


def peek_class(data: bytes, max_cells: int | None = None) -> tuple[str, QuantizedClass]:
    """The coder and the quantized class a ``.dlc`` file names, from its checked header alone."""
    _, coder, (depth, eps, heads), _ = _front(data, Budget.of(max_cells=max_cells).max_cells)
    return coder, QuantizedClass(depth, heads, eps)


def read_container(
    data: bytes, max_cells: int | None = None, budget: Budget | None = None, known: QuantizedClass | None = None
) -> Container:
    """Parse and validate ``.dlc`` bytes; every defect is a one-line :class:`FormatError`.

    The cost of decoding the class the header names is checked against the budget
    (:class:`~dlcalc.BudgetError`) before anything sized by the file is allocated.
    ``known`` is a quantized class the caller already holds (the encoder's): when
    the header names exactly that class it is used instead of quantizing again.
    """
    budget = Budget.of(budget, max_cells=max_cells)
    version, coder, (depth, eps, heads), pos = _front(data, budget.max_cells)
    pos += 4
    if known is not None and (known.depth, known.eps, known.heads) == (depth, eps, heads):
        qclass = known
    else:
        qclass = QuantizedClass(depth, heads, eps)
    Cost(phases=[decode_steps(qclass, coder, file_bytes=len(data))]).check(budget, "decoding this .dlc file")
    return _finish(data, version, coder, qclass, pos - 4)


def _finish(data: bytes, version: int, coder: str, qclass: QuantizedClass, pos: int) -> Container:
    """The rest of a file whose header names ``qclass`` (weighed, checksum checked): its section count at
    ``pos``, its section table against the class's level costs, the sections and their padding."""
    (n_sections,) = struct.unpack_from(">I", data, pos)
    pos += 4
    _check_section_count(qclass, coder, version, n_sections)
    if pos + 8 * n_sections > len(data) - 4:
        raise FormatError("truncated .dlc file (section table)")
    want = expected_sections(qclass, coder, version)  # as many as the table the file holds
    got = np.frombuffer(data, dtype=">u8", count=n_sections, offset=pos).astype(np.int64)
    if got.size and (np.any(got < 0) or not np.array_equal(got, want)):
        i = int(np.flatnonzero(got != want)[0])
        raise FormatError(f"section {i} holds {_raw_u64(data, pos, i)} bits, the class's level cost is {int(want[i])}")
    pos += 8 * n_sections
    nbytes = (got + 7) // 8
    total = int(nbytes.sum()) if nbytes.size else 0
    if pos + total != len(data) - 4:
        raise FormatError(f"section data is {len(data) - 4 - pos} bytes, the section table needs {total}")
    sections = np.frombuffer(data, dtype=np.uint8, count=total, offset=pos)
    _check_padding(sections, got, nbytes)
    if version == 1 and coder == "separate":
        got = got[got > 0]  # sections of zero bits take no bytes
    return Container(coder, version, qclass, got, sections, len(data))


def _raw_u64(data: bytes, pos: int, i: int) -> int:
    return struct.unpack_from(">Q", data, pos + 8 * i)[0]


def _check_padding(sections: np.ndarray, bits: np.ndarray, nbytes: np.ndarray) -> None:
    """Padding bits after each section's last meaningful bit must be zero."""
    partial = (bits % 8) != 0
    if not partial.any():
        return
    last = (np.cumsum(nbytes) - 1)[partial]
    pad_masks = ((1 << (8 - bits[partial] % 8)) - 1).astype(np.uint8)
    if np.any(sections[last] & pad_masks):
        raise FormatError("nonzero padding bits in a section")


def _check_header(header, max_cells: int, version: int) -> tuple[int, float, HeadSet]:
    if not isinstance(header, dict):
        raise FormatError("the .dlc header is not a JSON object")
    extra = sorted(set(header) - HEADER_KEYS, key=str)
    if extra:
        raise FormatError(
            f"unknown key {short_text(extra[0])} in the .dlc header (it holds depth, eps, heads and family)"
        )
    depth, eps = header.get("depth"), header.get("eps")
    if type(depth) is not int or depth < 0:
        raise FormatError(f"header depth must be a non-negative integer, got {short_text(depth)}")
    check_depth_budget(depth, max_cells, "header depth")
    eps = positive_float(eps, "header eps")  # a 310-digit integer is named as overflowing
    family, heads_raw = header.get("family"), header.get("heads")
    if isinstance(heads_raw, list):  # weighed before a single run is parsed
        weigh_runs(len(heads_raw), max_cells, "decoding this .dlc file", "the header's runs, read and decoded", 2)
    try:
        fam = None
        if family is not None:
            if not isinstance(family, dict) or set(family) != {"name", "beta"}:
                raise FormatError("header family must be an object {name, beta}")
            fam = Family(family["name"], family["beta"], depth)
            if version == 1:
                if heads_raw is not None:
                    raise FormatError("a version 1 header gives a family or heads, not both")
                heads_raw = []
        if not isinstance(heads_raw, list) or (not heads_raw and fam is None) or len(heads_raw) > MAX_HEADS:
            raise FormatError("header heads must be a list of at most 2^20 head specs, non-empty without a family")
        if not all(isinstance(h, str) and len(h) < 200 for h in heads_raw):
            raise FormatError("header heads must be head specs such as 'walsh:5@0.5'")
        heads = HeadSet(fam, [parse_head_run(h) for h in heads_raw])
        if len(heads) == 0:
            raise FormatError("the header's class has no heads")
        return depth, eps, heads
    except FormatError:
        raise
    except DlcalcError as exc:
        raise FormatError(f"header: {exc}") from None
