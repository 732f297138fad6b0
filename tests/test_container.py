"""The .dlc container rejects every defect with a one-line error before large allocations (THEORY §6)."""

import json
import struct
import zlib

import numpy as np
import pytest

from dlcalc import BudgetError, FormatError, Instance, decode, encode, family_heads, parse_heads
from dlcalc._container import MAGIC, read_container


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
    assert header_of(joint_bytes)["heads"][0] == "walsh:1"
    assert "seed" not in header_of(joint_bytes) and "flips" not in header_of(joint_bytes)


@pytest.mark.parametrize(
    "mutate,message",
    [
        (lambda d: b"", "bad magic"),
        (lambda d: b"PK\x03\x04" + d[4:], "bad magic"),
        (lambda d: d[:10], "truncated"),
        (lambda d: d[:-1], "checksum"),
        (lambda d: d[:-9] + d[-8:], "checksum"),
        (lambda d: d[:40] + bytes([d[40] ^ 1]) + d[41:], "checksum"),
        (lambda d: reseal(d[:8] + struct.pack(">H", 2) + d[10:-4]), "version 2"),
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
        ({"heads": []}, "header heads must be a non-empty list"),
        ({"heads": ["walsh:0"]}, "header: walsh:0: Walsh heads start at walsh:1"),
        ({"heads": [5]}, "header heads must be head specs"),
        ({"heads": None, "family": {"name": "nope", "beta": 1}}, "header: unknown family 'nope'"),
        ({"family": {"name": "walsh-all", "beta": 1}}, r"header family must be an object \{name, beta\} given instead of heads"),
        ({"heads": None, "family": {"name": "walsh-all"}}, r"header family must be an object \{name, beta\}"),
        ({"heads": None, "family": ["walsh-all", 1]}, r"header family must be an object \{name, beta\}"),
        ({"heads": None, "family": {"name": "walsh-all", "beta": 0}}, "header: --beta must be a finite number > 0"),
        ({"heads": None, "depth": 21, "family": {"name": "walsh-all", "beta": 1}}, "walsh-all at depth 21 is over the limit of depth 20"),
    ],
)
def test_bad_headers(joint_bytes, patch, message):
    header = {**header_of(joint_bytes), **patch}
    header = {k: v for k, v in header.items() if v is not None}
    with pytest.raises(FormatError, match=message):
        decode(with_header(joint_bytes, header))


def test_family_header():
    """An instance whose heads are exactly a family's is stored as the family (THEORY §6: the class, never the signs)."""
    family = {"name": "walsh-all", "beta": 2.0}
    inst = Instance.build(3, family_heads("walsh-all", 2.0, 3), seed=1, family=family)
    data = encode(inst, 2**-3, "separate")
    assert header_of(data) == {"depth": 3, "eps": 0.125, "family": {"name": "walsh-all", "beta": 2.0}}
    box = read_container(data)
    # walsh:n with a_n = 2^(-β(top(n)-1)): 1, 1/4, 1/4, then 1/16 four times
    assert [h.spec for h in box.heads] == ["walsh:1", "walsh:2@0.25", "walsh:3@0.25"] + [f"walsh:{n}@0.0625" for n in range(4, 8)]
    # at ε = 1/8 the top-3 heads are zero: sections of 1, 2, 2 bits, then nothing
    assert box.section_bits == [1, 2, 2, 0, 0, 0, 0]
    sawtooth = Instance.build(2, family_heads("sawtooth-all", 1.0, 2), seed=1, family={"name": "sawtooth-all", "beta": 1.0})
    assert header_of(encode(sawtooth, 0.3, "joint"))["family"] == {"name": "sawtooth-all", "beta": 1.0}
    # the family record alone does not make a family header: the heads must be exactly the family's
    trimmed = Instance.build(3, inst.heads[:-1], seed=1, family=family)
    header = header_of(encode(trimmed, 2**-3, "joint"))
    assert "family" not in header and header["heads"] == [h.spec for h in inst.heads[:-1]]


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
