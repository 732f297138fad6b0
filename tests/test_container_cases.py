"""The ``.dlc`` byte layout written out by hand (docs/format.md), and every reader check with its message."""

import json
import struct
import zlib

import numpy as np
import pytest

from dlcalc import BudgetError, FormatError, Head, Instance, encode, family_heads
from dlcalc import _container
from dlcalc._container import header_dict, read_container, split_containers, write_container

MAGIC = bytes([0x89, 0x44, 0x4C, 0x43, 0x0D, 0x0A, 0x1A, 0x0A])


def seal(body: bytes) -> bytes:
    return body + struct.pack(">I", zlib.crc32(body))


def container(header: dict, sections: list[list[int]], coder: int = 1, version: int = 1, reserved: int = 0,
              bit_lengths=None, n_sections=None, raw_header: bytes | None = None) -> bytes:
    """A ``.dlc`` file built field by field from the table of docs/format.md."""
    raw = raw_header if raw_header is not None else json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    body = MAGIC + struct.pack(">H", version) + bytes([coder, reserved]) + struct.pack(">I", len(raw)) + raw
    body += struct.pack(">I", len(sections) if n_sections is None else n_sections)
    for n in bit_lengths if bit_lengths is not None else [len(s) for s in sections]:
        body += struct.pack(">Q", n)
    for bits in sections:
        padded = bits + [0] * (-len(bits) % 8)
        body += bytes(int("".join(map(str, padded[i : i + 8])), 2) for i in range(0, len(padded), 8))
    return seal(body)


def test_joint_file_byte_for_byte():
    # walsh:3 at depth 2 reads {1, 2}: 2 bits, the flips s_{0,0} ^ s_{1,k} of nodes k = 0, 1
    inst = Instance.build(2, [Head("walsh", 3)], flips=[1, 0, 1])
    data = encode(inst, 0.5, "joint")
    assert data == container({"depth": 2, "eps": 0.5, "heads": ["walsh:3"]}, [[1, 0]])


def test_separate_file_byte_for_byte():
    heads = [Head("walsh", 1), Head("walsh", 2, 0.5), Head("sawtooth", 0, 0.25)]
    inst = Instance.build(2, heads, flips=[1, 1, 0])
    data = encode(inst, 0.2, "separate")
    # walsh:1: s_{0,0} = 1; walsh:2@0.5: s_{1,0}, s_{1,1} = 1, 0; sawtooth:0@0.25 at ε 0.2: p = 1, {1}: 1
    header = {"depth": 2, "eps": 0.2, "heads": ["walsh:1", "walsh:2@0.5", "sawtooth:0@0.25"]}
    assert data == container(header, [[1], [1, 0], [1]], coder=2)
    box = read_container(data)
    assert (box.coder, box.depth, box.eps, box.heads, box.section_bits) == ("separate", 2, 0.2, heads, [1, 2, 1])
    assert [s.tolist() for s in box.sections] == [[1], [1, 0], [1]] and box.payload_bits == 4
    assert [q.head for q in box.quants] == heads


def test_family_header():
    heads = family_heads("walsh-all", 1.0, 2)
    assert header_dict(2, 0.5, heads, {"name": "walsh-all", "beta": 1.0}) == {
        "depth": 2, "eps": 0.5, "family": {"name": "walsh-all", "beta": 1.0}}
    # a family that does not generate exactly these heads is written as heads
    assert header_dict(2, 0.5, heads[:2], {"name": "walsh-all", "beta": 1.0}) == {
        "depth": 2, "eps": 0.5, "heads": ["walsh:1", "walsh:2@0.5"]}
    assert header_dict(2, 0.5, heads, None)["heads"] == ["walsh:1", "walsh:2@0.5", "walsh:3@0.5"]
    inst = Instance.build(2, heads, flips=[0, 0, 1], family={"name": "walsh-all", "beta": 1.0})
    data = encode(inst, 0.25, "joint")
    # walsh:1 {1}, walsh:2,3@0.5 {2}, {1,2}: levels 1, 2 -> 3 bits s_{0,0}; s_{1,0}, s_{1,1}
    assert data == container({"depth": 2, "eps": 0.25, "family": {"beta": 1.0, "name": "walsh-all"}}, [[0, 0, 1]])
    assert read_container(data).heads == heads


def test_write_container_packs_most_significant_bit_first():
    bits = [1, 0, 0, 0, 0, 0, 0, 1, 1, 1]
    data = write_container("joint", 4, 0.5, [Head("walsh", 8), Head("walsh", 3)], [np.array(bits, dtype=np.uint8)])
    assert data == container({"depth": 4, "eps": 0.5, "heads": ["walsh:8", "walsh:3"]}, [bits])
    assert data[-6:-4] == bytes([0x81, 0xC0])


GOOD_HEADER = {"depth": 2, "eps": 0.5, "heads": ["walsh:3"]}


def message(data: bytes, **kw) -> str:
    with pytest.raises(FormatError) as info:
        read_container(data, **kw)
    return str(info.value)


def test_reader_messages_fixed_part():
    good = container(GOOD_HEADER, [[1, 0]])
    assert message(b"") == "not a .dlc file (bad magic)"
    assert message(good[:5]) == "truncated .dlc file (5 bytes)"
    assert message(good[:23]) == "truncated .dlc file (23 bytes)"
    assert message(good[:24]) == "checksum mismatch: the .dlc file is corrupt or truncated"  # long enough to be read
    assert message(b"\x89DLX" + good[4:20]) == "not a .dlc file (bad magic)"
    assert message(b"\x89DLX" + good[4:]) == "not a .dlc file (bad magic)"
    assert message(container(GOOD_HEADER, [[1, 0]], version=2)) == ".dlc format version 2 is not supported (this dlcalc reads version 1)"
    assert message(container(GOOD_HEADER, [[1, 0]], coder=3)) == "unknown coder id 3 in .dlc file"
    assert message(container(GOOD_HEADER, [[1, 0]], coder=0)) == "unknown coder id 0 in .dlc file"
    assert message(container(GOOD_HEADER, [[1, 0]], reserved=1)) == "unknown coder id 1 in .dlc file"
    assert message(good[:-1] + bytes([good[-1] ^ 1])) == "checksum mismatch: the .dlc file is corrupt or truncated"
    assert read_container(container(GOOD_HEADER, [[1, 0]], coder=1)).coder == "joint"


def test_reader_refuses_files_over_the_size_limit(monkeypatch):
    good = container(GOOD_HEADER, [[1, 0]])
    monkeypatch.setattr(_container, "MAX_FILE_BYTES", len(good) - 1)
    assert message(good) == f"file is larger than {len(good) - 1} bytes"
    monkeypatch.setattr(_container, "MAX_FILE_BYTES", len(good))
    assert read_container(good).depth == 2


def test_reader_messages_header_length():
    good = container(GOOD_HEADER, [[1, 0]])
    body = good[:-4]
    hlen = len(json.dumps(GOOD_HEADER, sort_keys=True, separators=(",", ":")))
    # the header, the section count and the checksum must fit: the longest claim that fits is hlen itself
    # past the header: 4 + 8 bytes of section table and 1 of section data before the checksum
    longer = seal(body[:12] + struct.pack(">I", hlen + 10) + body[16:])
    assert message(longer) == f"header length {hlen + 10} runs past the end of the file"
    assert "the .dlc header is not valid JSON" == message(seal(body[:12] + struct.pack(">I", hlen + 9) + body[16:]))
    assert message(seal(body[:12] + struct.pack(">I", 64 << 20 | 1) + body[16:])) == f"header length {64 << 20 | 1} runs past the end of the file"


@pytest.mark.parametrize(
    "raw,msg",
    [
        (b"\xff\xfe", "the .dlc header is not valid JSON"),
        (b"{", "the .dlc header is not valid JSON"),
        pytest.param(b"[" * 100000 + b"]" * 100000, "the .dlc header is not valid JSON", id="deeply-nested"),
        (b"[1]", "the .dlc header is not a JSON object"),
        (b'{"depth":true,"eps":0.5,"heads":["walsh:1"]}', "header depth must be a non-negative integer, got True"),
        (b'{"depth":-1,"eps":0.5,"heads":["walsh:1"]}', "header depth must be a non-negative integer, got -1"),
        (b'{"depth":"2","eps":0.5,"heads":["walsh:1"]}', "header depth must be a non-negative integer, got '2'"),
        (b'{"eps":0.5,"heads":["walsh:1"]}', "header depth must be a non-negative integer, got None"),
        (b'{"depth":2,"eps":0,"heads":["walsh:1"]}', "header eps must be a finite number > 0, got 0"),
        (b'{"depth":2,"eps":true,"heads":["walsh:1"]}', "header eps must be a finite number > 0, got True"),
        (b'{"depth":2,"eps":"x","heads":["walsh:1"]}', "header eps must be a finite number > 0, got 'x'"),
        (b'{"depth":2,"eps":1e999,"heads":["walsh:1"]}', "header eps must be a finite number > 0, got inf"),
        (b'{"depth":2,"eps":-0.5,"heads":["walsh:1"]}', "header eps must be a finite number > 0, got -0.5"),
        (b'{"depth":2,"eps":0.5,"heads":[]}', "header heads must be a non-empty list of at most 2^20 head specs"),
        (b'{"depth":2,"eps":0.5,"heads":"walsh:1"}', "header heads must be a non-empty list of at most 2^20 head specs"),
        (b'{"depth":2,"eps":0.5}', "header heads must be a non-empty list of at most 2^20 head specs"),
        (b'{"depth":2,"eps":0.5,"heads":[1]}', "header heads must be head specs such as 'walsh:5@0.5'"),
        pytest.param(b'{"depth":2,"eps":0.5,"heads":["walsh:1","' + b"w" * 200 + b'"]}',
                     "header heads must be head specs such as 'walsh:5@0.5'", id="long-spec"),
        (b'{"depth":2,"eps":0.5,"heads":["haar:1"]}', None),
        (b'{"depth":2,"eps":0.5,"heads":["walsh:1"],"family":{"name":"walsh-all","beta":1}}',
         "header family must be an object {name, beta} given instead of heads"),
        (b'{"depth":2,"eps":0.5,"family":["walsh-all",1]}', "header family must be an object {name, beta} given instead of heads"),
        (b'{"depth":2,"eps":0.5,"family":{"name":"walsh-all"}}', "header family must be an object {name, beta} given instead of heads"),
        (b'{"depth":2,"eps":0.5,"family":{"name":"walsh-all","beta":1,"x":0}}', "header family must be an object {name, beta} given instead of heads"),
        (b'{"depth":21,"eps":0.5,"family":{"name":"walsh-all","beta":1}}', "header family walsh-all at depth 21 is over the limit of depth 20"),
        (b'{"depth":2,"eps":0.5,"family":{"name":"haar","beta":1}}', "header: unknown family 'haar' (choose from walsh-all, sawtooth-all)"),
        (b'{"depth":2,"eps":0.5,"family":{"name":"walsh-all","beta":-1}}', "header: --beta must be a finite number > 0, got -1"),
    ],
)
def test_reader_messages_header(raw, msg):
    got = message(container({}, [], raw_header=raw))
    if msg is None:
        assert got.startswith("header: unknown head family 'haar'")
    else:
        assert got == msg


def test_reader_depth_budget():
    raw = b'{"depth":12,"eps":0.5,"heads":["walsh:1"]}'
    with pytest.raises(BudgetError) as info:
        read_container(container({}, [[1]], raw_header=raw), max_cells=4095)
    assert str(info.value) == (
        "header depth 12 needs 2^12 cells, over the budget of 4095 (raise --max-cells, or use `dlcalc bounds` for the formula values)")
    assert read_container(container({}, [[1]], raw_header=raw), max_cells=4096).depth == 12


def test_reader_head_count_limit(monkeypatch):
    monkeypatch.setattr(_container, "MAX_HEADS", 2)
    three = {"depth": 2, "eps": 0.5, "heads": ["walsh:1", "walsh:2", "walsh:3"]}
    assert message(container(three, [[1, 1, 0]])) == "header heads must be a non-empty list of at most 2^20 head specs"
    two = {"depth": 2, "eps": 0.5, "heads": ["walsh:1", "walsh:2"]}
    assert read_container(container(two, [[1, 1, 0]])).section_bits == [3]


def test_reader_family_headers_decode():
    for name, depth, beta in (("walsh-all", 12, 1.0), ("sawtooth-all", 3, 0.5)):
        header = {"depth": depth, "eps": 2.0, "family": {"name": name, "beta": beta}}
        box = read_container(container(header, [[]]), max_cells=1 << 21)
        assert box.heads == family_heads(name, beta, depth) and box.eps == 2.0 and isinstance(box.eps, float)
    box = read_container(container({"depth": 1, "eps": 1, "heads": ["walsh:1"]}, [[]]))
    assert box.eps == 1.0 and isinstance(box.eps, float)


def test_reader_messages_sections():
    assert message(container(GOOD_HEADER, [[1, 0], [1]])) == "joint file lists 2 sections, its class needs 1"
    assert message(container(GOOD_HEADER, [[1, 0]], coder=2, n_sections=3, bit_lengths=[2])) == (
        "separate file lists 3 sections, its class needs 1")
    assert message(container(GOOD_HEADER, [], n_sections=1, bit_lengths=[])) == "truncated .dlc file (section table)"
    # the section table may end exactly where the checksum starts
    assert message(container(GOOD_HEADER, [], n_sections=1, bit_lengths=[0])) == "section 0 holds 0 bits, the class's level cost is 2"
    assert message(container(GOOD_HEADER, [[1, 0, 1]])) == "section 0 holds 3 bits, the class's level cost is 2"
    two = {"depth": 2, "eps": 0.5, "heads": ["walsh:3", "walsh:1"]}
    assert message(container(two, [[1, 0], [1, 1]], coder=2)) == "section 1 holds 2 bits, the class's level cost is 1"
    good = container(GOOD_HEADER, [[1, 0]])
    assert message(seal(good[:-4] + b"\x00")) == "section data is 2 bytes, the section table needs 1"
    assert message(seal(good[:-5])) == "section data is 0 bytes, the section table needs 1"
    padded = bytearray(good[:-4])
    padded[-1] |= 0x01
    assert message(seal(bytes(padded))) == "nonzero padding bits in a section"
    padded[-1] = 0b10100000
    assert message(seal(bytes(padded))) == "nonzero padding bits in a section"
    padded[-1] = 0b11000000
    assert [s.tolist() for s in read_container(seal(bytes(padded))).sections] == [[1, 1]]


def test_reader_sections_of_several_bytes():
    heads = ["walsh:8", "walsh:12", "walsh:1"]  # 8, 8 and 1 bits at depth 4
    bits = [[1, 0, 1, 1, 0, 0, 1, 0], [0, 1, 1, 1, 1, 1, 1, 1], [1]]
    box = read_container(container({"depth": 4, "eps": 0.5, "heads": heads}, bits, coder=2))
    assert [s.tolist() for s in box.sections] == bits and box.section_bits == [8, 8, 1]


# ----------------------------------------------------------------------------- streams


def test_split_containers():
    a = container(GOOD_HEADER, [[1, 0]])
    b = container({"depth": 4, "eps": 0.5, "heads": ["walsh:8", "walsh:12", "walsh:1"]}, [[1] * 8, [0] * 8, [1]], coder=2)
    assert split_containers(a) == [a]
    assert split_containers(a + b) == [a, b]
    assert split_containers(a + b + a) == [a, b, a]
    assert split_containers(b"") == [b""]
    junk = b"not a container at all, long enough"
    assert split_containers(junk) == [junk]
    assert split_containers(a + junk) == [a, junk]
    assert split_containers(a + b[:-1]) == [a, b[:-1]]  # the last file is one byte short
    assert split_containers(a + b[:30]) == [a, b[:30]]  # cut inside its header
    assert split_containers(a + b[:23]) == [a, b[:23]]  # shorter than the fixed part and a magic
    assert split_containers(a[:24]) == [a[:24]]
    # a section table that runs past the end
    assert split_containers(a + b[: 16 + len(b) - 60]) == [a, b[: 16 + len(b) - 60]]


def test_split_containers_reads_the_section_table():
    # two sections of 9 and 1 bits: 2 + 1 bytes of section data
    c = container({"depth": 4, "eps": 0.5, "heads": ["walsh:8", "walsh:1"]}, [[1] * 8, [1]], coder=2)
    d = container({"depth": 4, "eps": 0.5, "heads": ["walsh:9"]}, [[0, 1, 0, 1, 0, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1]])
    assert split_containers(c + d + c) == [c, d, c]
    assert split_containers(d + d) == [d, d]


def test_split_containers_with_an_impossible_section_count():
    a = container(GOOD_HEADER, [[1, 0]])
    huge = container(GOOD_HEADER, [], n_sections=2**31 + 5, bit_lengths=[])
    assert split_containers(a + huge) == [a, huge]
    assert split_containers(huge) == [huge]


def test_reader_header_size_limit(monkeypatch):
    good = container(GOOD_HEADER, [[1, 0]])
    size = len(json.dumps(GOOD_HEADER, sort_keys=True, separators=(",", ":")))
    monkeypatch.setattr(_container, "MAX_HEADER_BYTES", size)
    assert read_container(good).heads == [Head("walsh", 3)]
    monkeypatch.setattr(_container, "MAX_HEADER_BYTES", size - 1)
    assert message(good) == f"header length {size} runs past the end of the file"


def test_reader_section_count_is_unsigned():
    assert message(container(GOOD_HEADER, [], n_sections=2**31 + 5, bit_lengths=[])) == (
        "joint file lists 2147483653 sections, its class needs 1")


def test_split_containers_with_short_or_sectionless_tails():
    a = container(GOOD_HEADER, [[1, 0]])
    assert split_containers(a + MAGIC + b"\x00\x01") == [a, MAGIC + b"\x00\x01"]  # too short for the fixed part
    # five zero heads: five sections of 0 bits, a section table longer than its data
    zeros = container({"depth": 2, "eps": 0.5, "heads": ["walsh:1@0.25"] * 5}, [[]] * 5, coder=2)
    assert read_container(zeros).section_bits == [0] * 5
    assert split_containers(zeros + a) == [zeros, a]
    assert split_containers(a + zeros + zeros) == [a, zeros, zeros]
