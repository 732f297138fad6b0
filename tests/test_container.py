"""The .dlc container rejects every defect with a one-line error before large allocations (THEORY §6)."""

import json
import struct
import zlib

import numpy as np
import pytest

from dlcalc import BudgetError, FormatError, Instance, decode, encode, family_heads, parse_heads
from dlcalc.coding._container import MAGIC, read_container


@pytest.fixture(scope="module")
def joint_bytes():
    inst = Instance.build(5, parse_heads("walsh:1-7") + parse_heads("sawtooth:0-2"), seed=4)
    return encode(inst, 2**-4, "joint")


def reseal(body: bytes) -> bytes:
    """Recompute the checksum so that a deeper check must catch the defect."""
    return body + struct.pack(">I", zlib.crc32(body))


def with_header(data: bytes, header: dict) -> bytes:
    (hlen,) = struct.unpack_from(">I", data, 12)
    rest = data[16 + hlen : -4]
    raw = json.dumps(header).encode()
    return reseal(data[:12] + struct.pack(">I", len(raw)) + raw + rest)


def header_of(data: bytes) -> dict:
    (hlen,) = struct.unpack_from(">I", data, 12)
    return json.loads(data[16 : 16 + hlen])


def test_layout(joint_bytes):
    assert joint_bytes.startswith(MAGIC)
    box = read_container(joint_bytes)
    assert box.coder == "joint" and box.depth == 5 and len(box.heads) == 10
    assert header_of(joint_bytes) == {"depth": 5, "eps": 2**-4, "heads": ["walsh:1-7", "sawtooth:0-2"]}
    assert struct.unpack_from(">H", joint_bytes, 8) == (2,)


def test_family_header_stays_compact():
    """walsh-all at depth 20: a header of a few bytes, and separate sections only for the heads that carry bits."""
    from dlcalc import Family, HeadSet

    inst = Instance.build(20, HeadSet(Family("walsh-all", 1.0, 20)), seed=1)
    data = encode(inst, 2**-3, "separate")
    assert header_of(data) == {"depth": 20, "eps": 2**-3, "heads": [], "family": {"name": "walsh-all", "beta": 1.0}}
    box = read_container(data)
    assert box.section_bits.tolist() == [1, 2, 2, 4, 4, 4, 4]  # walsh:1-7 alone: 2^(top-1) bits each
    assert len(box.heads) == 2**20 - 1 and box.qclass.zero_heads == 2**20 - 8
    assert len(data) < 200


def test_version_1_files_are_read(joint_bytes):
    """A version 1 file (every head listed, one section per head even of 0 bits) decodes to the same tables."""
    inst = Instance.build(
        4, parse_heads("walsh:1-3") + parse_heads("walsh:9@0.25") + parse_heads("sawtooth:1@0.5"), seed=2
    )
    eps = 0.25
    v2 = read_container(encode(inst, eps, "separate"))
    costs = [1, 2, 2, 0, 0]  # walsh:9@0.25 is zero at ε = 1/4; sawtooth:1@0.5 needs p = 1: 2^1 (2^1 - 1) bits
    costs[4] = 2
    starts = np.concatenate(([0], np.cumsum((v2.section_bits + 7) // 8)))
    sections, nonzero = [], iter(range(v2.section_bits.size))
    for c in costs:
        if c:
            i = next(nonzero)
            sections.append(bytes(v2.data[starts[i] : starts[i + 1]]))
        else:
            sections.append(b"")
    header = json.dumps({"depth": 4, "eps": eps, "heads": [h.spec for h in inst.heads]}).encode()
    body = (
        MAGIC
        + struct.pack(">HBBI", 1, 2, 0, len(header))
        + header
        + struct.pack(">I", len(costs))
        + b"".join(struct.pack(">Q", c) for c in costs)
        + b"".join(sections)
    )
    v1 = decode(reseal(body))
    assert v1.container.version == 1 and list(v1.tables) == list(decode(encode(inst, eps, "separate")).tables)


@pytest.mark.parametrize(
    "mutate,message",
    [
        (lambda d: b"", "bad magic"),
        (lambda d: b"PK\x03\x04" + d[4:], "bad magic"),
        (lambda d: d[:10], "truncated"),
        (lambda d: d[:-1], "checksum"),
        (lambda d: d[:-9] + d[-8:], "checksum"),
        (lambda d: d[:40] + bytes([d[40] ^ 1]) + d[41:], "checksum"),
        (lambda d: reseal(d[:8] + struct.pack(">H", 3) + d[10:-4]), "version 3"),
        (lambda d: reseal(d[:10] + b"\x07" + d[11:-4]), "coder"),
        (lambda d: reseal(d[:12] + struct.pack(">I", 2**31) + d[16:-4]), "header length"),
        (lambda d: reseal(d[:-5]), "section data"),
        (lambda d: reseal(d[:-4] + b"\x00"), "section data"),
    ],
)
def test_corrupt_files_rejected(joint_bytes, mutate, message):
    with pytest.raises(FormatError, match=message):
        decode(mutate(joint_bytes))


def test_length_inconsistent_section(joint_bytes):
    (hlen,) = struct.unpack_from(">I", joint_bytes, 12)
    pos = 16 + hlen + 4
    (bits,) = struct.unpack_from(">Q", joint_bytes, pos)
    bad = reseal(joint_bytes[:pos] + struct.pack(">Q", bits + 1) + joint_bytes[pos + 8 : -4])
    with pytest.raises(FormatError, match="level cost"):
        decode(bad)


def test_class_changed_in_header_is_caught(joint_bytes):
    header = header_of(joint_bytes)
    header["eps"] = 0.9  # a coarser ε needs fewer bits than the file holds
    with pytest.raises(FormatError, match="level cost"):
        decode(with_header(joint_bytes, header))


@pytest.mark.parametrize(
    "patch,message",
    [
        ({"depth": -1}, "header depth must be a non-negative integer, got -1"),
        ({"depth": "5"}, "header depth must be a non-negative integer, got '5'"),
        ({"eps": 0}, "header eps must be a finite number > 0, got 0"),
        ({"eps": "x"}, "header eps must be a finite number > 0, got 'x'"),
        ({"heads": []}, "header heads must be a list of at most 2\\^20 head specs, non-empty without a family"),
        ({"heads": "walsh:1"}, "header heads must be a list"),
        ({"heads": ["walsh:0"]}, "header: walsh:0: Walsh heads start at walsh:1"),
        ({"heads": [5]}, "header heads must be head specs"),
        ({"heads": None, "family": {"name": "nope", "beta": 1}}, "header: unknown family 'nope'"),
        ({"family": {"name": "walsh-all", "beta": 1, "depth": 3}}, r"header family must be an object \{name, beta\}"),
        ({"heads": None, "family": {"name": "walsh-all"}}, r"header family must be an object \{name, beta\}"),
        ({"heads": None, "family": ["walsh-all", 1]}, r"header family must be an object \{name, beta\}"),
        ({"heads": None, "family": {"name": "walsh-all", "beta": 0}}, "header: --beta must be a finite number > 0"),
        ({"heads": ["walsh:1", 7]}, "header heads must be head specs"),
    ],
)
def test_bad_headers(joint_bytes, patch, message):
    header = {**header_of(joint_bytes), **patch}
    header = {k: v for k, v in header.items() if v is not None}
    with pytest.raises(FormatError, match=message):
        decode(with_header(joint_bytes, header))


def test_family_header():
    """An instance whose heads are exactly a family's is stored as the family (THEORY §6: the class, never the
    signs)."""
    family = {"name": "walsh-all", "beta": 2.0}
    inst = Instance.build(3, family_heads("walsh-all", 2.0, 3), seed=1, family=family)
    data = encode(inst, 2**-3, "separate")
    assert header_of(data) == {"depth": 3, "eps": 0.125, "family": {"name": "walsh-all", "beta": 2.0}, "heads": []}
    box = read_container(data)
    # walsh:n with a_n = 2^(-β(top(n)-1)): 1, 1/4, 1/4, then 1/16 four times
    assert [h.spec for h in box.heads] == ["walsh:1", "walsh:2@0.25", "walsh:3@0.25"] + [
        f"walsh:{n}@0.0625" for n in range(4, 8)
    ]
    # at ε = 1/8 the top-3 heads are zero: sections of 1, 2, 2 bits, and none for the zero heads
    assert box.section_bits.tolist() == [1, 2, 2]
    sawtooth = Instance.build(
        2, family_heads("sawtooth-all", 1.0, 2), seed=1, family={"name": "sawtooth-all", "beta": 1.0}
    )
    assert header_of(encode(sawtooth, 0.3, "joint"))["family"] == {"name": "sawtooth-all", "beta": 1.0}
    # the family record alone does not make a family header: the heads must be exactly the family's
    trimmed = Instance.build(3, inst.heads[:-1], seed=1, family=family)
    header = header_of(encode(trimmed, 2**-3, "joint"))
    assert "family" not in header and header["heads"] == ["walsh:1", "walsh:2-3@0.25", "walsh:4-6@0.0625"]


def test_huge_depth_refused_before_allocation(joint_bytes, monkeypatch):
    calls = []
    real = np.zeros
    monkeypatch.setattr(np, "zeros", lambda *a, **k: calls.append(a) or real(*a, **k))
    header = {**header_of(joint_bytes), "depth": 60}
    with pytest.raises(BudgetError, match="2\\^60"):
        decode(with_header(joint_bytes, header))
    assert not any(isinstance(a[0], int) and a[0] > 1 << 20 for a in calls)


def test_wrong_section_count(joint_bytes):
    (hlen,) = struct.unpack_from(">I", joint_bytes, 12)
    pos = 16 + hlen
    bad = reseal(joint_bytes[:pos] + struct.pack(">I", 3) + joint_bytes[pos + 4 : -4])
    with pytest.raises(FormatError, match="sections"):
        decode(bad)
