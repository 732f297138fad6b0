"""The ``.dlc`` byte layout written out by hand (docs/format.md), and every reader check with its message."""

import io
import json
import struct
import zlib

import pytest

from dlcalc import BudgetError, FormatError, Head, family_heads
from dlcalc.coding import _container
from dlcalc.coding._container import peek_class, read_container, split_containers
from dlcalc.coding._stream import read_stream
from dlcalc.core._budget import Budget

MAGIC = bytes([0x89, 0x44, 0x4C, 0x43, 0x0D, 0x0A, 0x1A, 0x0A])


def seal(body: bytes) -> bytes:
    return body + struct.pack(">I", zlib.crc32(body))


def container(
    header: dict,
    sections: list[list[int]],
    coder: int = 1,
    version: int = 1,
    reserved: int = 0,
    bit_lengths=None,
    n_sections=None,
    raw_header: bytes | None = None,
) -> bytes:
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


GOOD_HEADER = {"depth": 2, "eps": 0.5, "heads": ["walsh:3"]}


def message(data: bytes, **kw) -> str:
    with pytest.raises(FormatError) as info:
        read_container(data, **kw)
    return str(info.value)


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
    assert (
        message(seal(body[:12] + struct.pack(">I", 64 << 20 | 1) + body[16:]))
        == f"header length {64 << 20 | 1} runs past the end of the file"
    )


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
        (b'{"depth":2,"eps":1e999,"heads":["walsh:1"]}', "header eps overflows: numbers are at most 1.8e308"),
        (b'{"depth":2,"eps":-0.5,"heads":["walsh:1"]}', "header eps must be a finite number > 0, got -0.5"),
        (b'{"depth":2,"eps":0.5,"heads":[1]}', "header heads must be head specs such as 'walsh:5@0.5'"),
        pytest.param(
            b'{"depth":2,"eps":0.5,"heads":["walsh:1","' + b"w" * 200 + b'"]}',
            "header heads must be head specs such as 'walsh:5@0.5'",
            id="long-spec",
        ),
        (b'{"depth":2,"eps":0.5,"heads":["haar:1"]}', None),
        (
            b'{"depth":2,"eps":0.5,"family":{"name":"haar","beta":1}}',
            "header: unknown family 'haar' (choose from walsh-all, sawtooth-all)",
        ),
        (
            b'{"depth":2,"eps":0.5,"family":{"name":"walsh-all","beta":-1}}',
            "header: --beta must be a finite number > 0, got -1",
        ),
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
        "header depth 12 needs 2^12 cells, over the budget of 4095 "
        "(raise --max-cells, or use `dlcalc bounds` for the formula values)"
    )
    assert read_container(container({}, [[1]], raw_header=raw), max_cells=4096).depth == 12


def test_reader_family_headers_decode():
    for name, depth, beta in (("walsh-all", 12, 1.0), ("sawtooth-all", 3, 0.5)):
        header = {"depth": depth, "eps": 2.0, "family": {"name": name, "beta": beta}}
        box = read_container(container(header, [[]]), max_cells=1 << 21)
        assert box.heads == family_heads(name, beta, depth) and box.eps == 2.0 and isinstance(box.eps, float)
    box = read_container(container({"depth": 1, "eps": 1, "heads": ["walsh:1"]}, [[]]))
    assert box.eps == 1.0 and isinstance(box.eps, float)


# ----------------------------------------------------------------------------- streams


def test_split_containers():
    a = container(GOOD_HEADER, [[1, 0]])
    b = container(
        {"depth": 4, "eps": 0.5, "heads": ["walsh:8", "walsh:12", "walsh:1"]}, [[1] * 8, [0] * 8, [1]], coder=2
    )
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
        "joint file lists 2147483653 sections, its class needs 1"
    )


def test_reader_refuses_nonzero_padding_in_a_version_2_file():
    good = container(GOOD_HEADER, [[1, 0]], version=2)
    assert [read_container(good).section(0).tolist()] == [[1, 0]]
    padded = bytearray(good[:-4])
    for last in (0b10100000, 0b10000001):
        padded[-1] = last
        assert message(seal(bytes(padded))) == "nonzero padding bits in a section"
    padded[-1] = 0b11000000
    assert read_container(seal(bytes(padded))).section(0).tolist() == [1, 1]


def test_split_containers_cut_inside_a_section_table():
    a = container(GOOD_HEADER, [[1, 0]])
    b = container(
        {"depth": 4, "eps": 0.5, "heads": ["walsh:8", "walsh:12", "walsh:1"]}, [[1] * 8, [0] * 8, [1]], coder=2
    )
    hlen = len(
        json.dumps(
            {"depth": 4, "eps": 0.5, "heads": ["walsh:8", "walsh:12", "walsh:1"]}, sort_keys=True, separators=(",", ":")
        )
    )
    for cut in (16 + hlen + 4 + 4, 16 + hlen + 4 + 8 * 2, 16 + hlen + 4 + 8 * 3 - 1):
        assert split_containers(a + b[:cut]) == [a, b[:cut]]


# ----------------------------------------------------------------------------- incremental reads


def stream_message(data: bytes, **kw) -> str:
    with pytest.raises(FormatError) as info:
        read_stream(io.BytesIO(data).read, **kw)
    return str(info.value)


TWO_HEADS = {"depth": 4, "eps": 0.5, "heads": ["walsh:8", "walsh:12", "walsh:1"]}


def test_read_stream_returns_each_file_whole():
    a = container(GOOD_HEADER, [[1, 0]])
    b = container(TWO_HEADS, [[1] * 8, [0] * 8, [1]], coder=2)
    assert read_stream(io.BytesIO(a).read) == [a]
    assert read_stream(io.BytesIO(a + b + a).read) == [a, b, a]


def test_read_stream_budgets():
    deep = container({}, [[1]], raw_header=b'{"depth":12,"eps":0.5,"heads":["walsh:1"]}')
    want = (
        "header depth 12 needs 2^12 cells, over the budget of 4095 "
        "(raise --max-cells, or use `dlcalc bounds` for the formula values)"
    )
    for kw in (
        {"max_cells": 4095},
        {"budget": Budget(max_cells=4095)},
        {"budget": Budget(max_cells=1), "max_cells": 4095},
    ):
        with pytest.raises(BudgetError) as info:
            read_stream(io.BytesIO(deep).read, **kw)
        assert str(info.value) == want, kw
    assert read_stream(io.BytesIO(deep).read, budget=Budget(max_cells=1), max_cells=4096) == [deep]


def test_read_stream_messages():
    a = container(GOOD_HEADER, [[1, 0]])
    b = container(TWO_HEADS, [[1] * 8, [0] * 8, [1]], coder=2)
    hlen = len(json.dumps(TWO_HEADS, sort_keys=True, separators=(",", ":")))
    assert stream_message(b"") == "not a .dlc file (bad magic)"
    assert stream_message(a + b"junk") == "not a .dlc file (bad magic) (file 2 of the stream)"
    assert stream_message(a + a + b[:10]) == "truncated .dlc file (10 bytes) (file 3 of the stream)"
    assert stream_message(b[: 16 + hlen]) == "truncated .dlc file (header)"
    assert (
        stream_message(a + b[: 16 + hlen + 4 + 8 * 3 - 1])
        == "truncated .dlc file (section table) (file 2 of the stream)"
    )
    assert stream_message(b[:-5]) == "truncated .dlc file (sections)"
    over = b[:12] + struct.pack(">I", (64 << 20) + 1) + b[16:]
    assert stream_message(over) == f"header length {(64 << 20) + 1} is over the limit of {64 << 20} bytes"
    many = container(GOOD_HEADER, [], n_sections=(1 << 20) + 1, bit_lengths=[])
    assert stream_message(many) == f"the .dlc file lists {(1 << 20) + 1} sections, more than {1 << 20}"
    assert (
        stream_message(container(GOOD_HEADER, [], n_sections=2, bit_lengths=[]))
        == "joint file lists 2 sections, its class needs 1"
    )
    lying = container(TWO_HEADS, [[1] * 8, [0] * 8, [1]], coder=2, bit_lengths=[8, 2**64 - 1, 1])
    assert stream_message(lying) == f"section 1 holds {2**64 - 1} bits, the class's level cost is 8"
    assert stream_message(b, limit=len(b) - 1) == f"the .dlc file needs {len(b)} bytes, over the limit of {len(b) - 1}"
    assert read_stream(io.BytesIO(b).read, limit=len(b)) == [b]


def test_reader_names_the_section_that_lies():
    c = container(TWO_HEADS, [[1] * 8, [0] * 8, [1]], coder=2, bit_lengths=[8, 8, 3])
    assert message(c) == "section 2 holds 3 bits, the class's level cost is 1"
    c = container(TWO_HEADS, [[1] * 8, [0] * 8, [1]], coder=2, bit_lengths=[8, 2**64 - 2, 1])
    assert message(c) == f"section 1 holds {2**64 - 2} bits, the class's level cost is 8"


def test_peek_class_budget():
    deep = container({}, [[1]], raw_header=b'{"depth":12,"eps":0.5,"heads":["walsh:1"]}')
    with pytest.raises(BudgetError, match=r"^header depth 12 needs 2\^12 cells, over the budget of 4095 "):
        peek_class(deep, max_cells=4095)
    coder, qclass = peek_class(deep, max_cells=4096)
    assert (coder, qclass.depth, qclass.eps, list(qclass.heads)) == ("joint", 12, 0.5, [Head("walsh", 1)])


def test_read_stream_limits_at_their_boundaries(monkeypatch):
    good = container(GOOD_HEADER, [[1, 0]])
    size = len(json.dumps(GOOD_HEADER, sort_keys=True, separators=(",", ":")))
    monkeypatch.setattr(_container, "MAX_HEADER_BYTES", size)
    assert read_stream(io.BytesIO(good).read) == [good]
    monkeypatch.setattr(_container, "MAX_HEADER_BYTES", size - 1)
    assert stream_message(good) == f"header length {size} is over the limit of {size - 1} bytes"
    monkeypatch.undo()
    at_limit = container(GOOD_HEADER, [], n_sections=1 << 20, bit_lengths=[])
    assert stream_message(at_limit) == f"joint file lists {1 << 20} sections, its class needs 1"
    signed = container(GOOD_HEADER, [], n_sections=2**31 + 5, bit_lengths=[])
    assert stream_message(signed) == f"the .dlc file lists {2**31 + 5} sections, more than {1 << 20}"


def test_read_stream_version_1_rules():
    both = {"depth": 2, "eps": 0.5, "family": {"name": "walsh-all", "beta": 1}, "heads": ["walsh:1"]}
    assert stream_message(container(both, [[1]])) == "a version 1 header gives a family or heads, not both"
    # version 1 lists a section of 0 bits for a zero head (walsh:2@0.5 at ε = 0.75); version 2 leaves it out
    header = {"depth": 2, "eps": 0.75, "heads": ["walsh:1", "walsh:2@0.5"]}
    v1 = container(header, [[1], []], coder=2, version=1)
    v2 = container(header, [[1]], coder=2, version=2)
    assert read_stream(io.BytesIO(v1 + v2).read) == [v1, v2]
    assert read_container(v1).section_bits.tolist() == read_container(v2).section_bits.tolist() == [1]
    assert (
        stream_message(container(header, [[1]], coder=2, version=1))
        == "separate file lists 1 sections, its class needs 2"
    )


def test_read_stream_checks_the_cost_of_decoding():
    many = container({}, [[0] * 3], raw_header=b'{"depth":2,"eps":0.25,"heads":["walsh:1-3"]}')
    with pytest.raises(BudgetError) as info:
        read_stream(io.BytesIO(many).read, max_cells=4)
    assert str(info.value).startswith("decoding this .dlc file needs ")
    assert read_stream(io.BytesIO(many).read, max_cells=64) == [many]


def test_sections_of_a_separate_file_unpack_one_by_one():
    sections = [[1, 0, 1, 1, 0, 0, 1, 0], [0, 1, 1, 0, 1, 0, 0, 1], [1]]
    box = read_container(container(TWO_HEADS, sections, coder=2, version=2))
    assert [box.section(i).tolist() for i in range(3)] == sections
    assert box.payload_bits == 17


def test_split_containers_short_tails():
    a = container(GOOD_HEADER, [[1, 0]])
    for n in (1, 8, 12, 15, 16, 23):  # a tail that starts like a file but cannot hold its fixed part and a checksum
        tail = (MAGIC + bytes(16))[:n]
        assert split_containers(a + tail) == [a, tail]


def test_split_containers_with_empty_sections():
    # version 1 lists a 0-bit section per zero head: 6 sections, 1 byte of section data
    header = {
        "depth": 2,
        "eps": 0.75,
        "heads": ["walsh:1", "walsh:2@0.5", "walsh:3@0.5", "walsh:1@0.25", "walsh:2@0.25", "walsh:3@0.75"],
    }
    v1 = container(header, [[1], [], [], [], [], []], coder=2, version=1)
    assert read_container(v1).section_bits.tolist() == [1]
    assert split_containers(v1 + v1 + v1) == [v1, v1, v1]


def test_split_containers_with_a_section_length_near_2_64():
    a = container(GOOD_HEADER, [[1, 0]])
    huge = container(GOOD_HEADER, [], bit_lengths=[2**64 - 1], n_sections=1)  # its data would be 2^61 bytes
    assert split_containers(a + huge + a) == [a, huge + a]


@pytest.mark.parametrize(
    "header,msg",
    [
        (
            {"depth": 2, "eps": 0.5, "heads": ["walsh:1"], "zz": 1, "aa": 2},
            "unknown key 'aa' in the .dlc header (it holds depth, eps, heads and family)",
        ),
        ({"depth": 2, "eps": 0.5, "heads": ["walsh:1"], "family": 5}, "header family must be an object {name, beta}"),
        ({"depth": 2, "eps": 0.5, "family": {"name": "walsh-all"}}, "header family must be an object {name, beta}"),
        (
            {"depth": 2, "eps": 0.5, "heads": []},
            "header heads must be a list of at most 2^20 head specs, non-empty without a family",
        ),
        (
            {"depth": 2, "eps": 0.5, "heads": "walsh:1"},
            "header heads must be a list of at most 2^20 head specs, non-empty without a family",
        ),
        (
            {"depth": 0, "eps": 0.5, "family": {"name": "walsh-all", "beta": 1}, "heads": []},
            "the header's class has no heads",
        ),
    ],
)
def test_reader_messages_header_fields(header, msg):
    assert message(container(header, [], version=2)) == msg


def test_reader_head_count_limit(monkeypatch):
    monkeypatch.setattr(_container, "MAX_HEADS", 3)
    three = {"depth": 2, "eps": 0.5, "heads": ["walsh:1", "walsh:2", "walsh:3"]}
    assert len(read_container(container(three, [[1, 0, 1]], version=2)).heads) == 3
    four = {"depth": 2, "eps": 0.5, "heads": ["walsh:1", "walsh:2", "walsh:3", "walsh:1"]}
    assert message(container(four, [[1, 0, 1]], version=2)) == (
        "header heads must be a list of at most 2^20 head specs, non-empty without a family"
    )


def test_reader_messages_fixed_part_and_lengths():
    good = container(GOOD_HEADER, [[1, 0]])
    assert message(b"X" * 40) == "not a .dlc file (bad magic)"
    assert message(seal(good[:11] + b"\x07" + good[12:-4])) == "the reserved byte of the .dlc file is 7, not 0"
    assert message(good[:-1] + bytes([good[-1] ^ 1])) == "checksum mismatch: the .dlc file is corrupt or truncated"
    fixed = MAGIC + struct.pack(">H", 2) + bytes([1, 0]) + struct.pack(">I", 0)
    assert (
        message(seal(fixed + bytes(3))) == "truncated .dlc file (23 bytes)"
    )  # a fixed part, a section count, a checksum: 24
    assert message(seal(fixed + bytes(4))) == "the .dlc header is not valid JSON"
    # a section table cut short, the checksum intact
    raw = json.dumps(TWO_HEADS, sort_keys=True, separators=(",", ":")).encode()
    body = (
        MAGIC
        + struct.pack(">H", 2)
        + bytes([2, 0])
        + struct.pack(">I", len(raw))
        + raw
        + struct.pack(">I", 3)
        + bytes(8 * 2)
    )
    assert message(seal(body)) == "truncated .dlc file (section table)"
    short = container(TWO_HEADS, [[1] * 8, [0] * 8, [1]], coder=2)
    assert message(seal(short[:-5])) == "section data is 2 bytes, the section table needs 3"
    assert message(seal(short[:-4] + b"\x00")) == "section data is 4 bytes, the section table needs 3"


def test_reader_uses_a_known_class_only_when_it_is_the_same():
    from dlcalc.core._headset import HeadSet
    from dlcalc.quantize._groups import QuantizedClass

    data = container(GOOD_HEADER, [[1, 0]])
    same = QuantizedClass(2, HeadSet.of([Head("walsh", 3)]), 0.5)
    assert read_container(data, known=same).qclass is same
    other = QuantizedClass(2, HeadSet.of([Head("walsh", 2)]), 0.5)
    box = read_container(data, known=other)
    assert box.qclass is not other and list(box.heads) == [Head("walsh", 3)]
