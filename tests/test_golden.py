"""Golden files: the formats and constructions pinned byte for byte (tests/golden/README.md).

Every file under ``tests/golden/`` was written once by ``make_golden.py`` and reviewed by hand;
these tests only read them.  The current code must decode each ``.dlc`` file to the stored
tables and bit counts, re-encode the instance to the same bytes, and rebuild, deserialize and
evaluate each network to the stored bytes and outputs.  The stored tables and outputs are in
turn checked against the definitions (``tests/helpers.py``), so a golden set written by a broken
coder could not pass either.
"""

import hashlib
import json
import pathlib
from fractions import Fraction

import numpy as np
import pytest
from click.testing import CliRunner

from dlcalc import Instance, decode, encode, quantize_heads, verify
from dlcalc.cli import cli
from dlcalc.coding._container import FORMAT_VERSION
from dlcalc.networks._construction import (
    NETWORK_VERSION,
    HeavisideNetwork,
    best_joint,
    joint_candidates,
    separate_networks,
)

from .helpers import approximant_level, count_distinct, head_codes, precision, value_of_code

GOLDEN = pathlib.Path(__file__).resolve().parent / "golden"
DLC_DIR = GOLDEN / "dlc" / f"v{FORMAT_VERSION}"
NETWORK_DIR = GOLDEN / "networks" / f"v{NETWORK_VERSION}"
CODERS = ("joint", "separate")


def cases(directory: pathlib.Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.is_dir()) if directory.is_dir() else []


DLC_CASES = cases(DLC_DIR)
NETWORK_CASES = cases(NETWORK_DIR)


def expected(directory: pathlib.Path, case: str) -> dict:
    return json.loads((directory / case / "expected.json").read_text())


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def ints(text: str | None):
    return None if text is None else [int(v) for v in text.split()]


def load_instance(directory: pathlib.Path, case: str) -> Instance:
    return Instance.loads((directory / case / "instance.json").read_bytes())


def run(*args, code=0):
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result


# ----------------------------------------------------------------------------- the golden set itself


@pytest.mark.parametrize("kind,version", [("dlc", FORMAT_VERSION), ("networks", NETWORK_VERSION)])
def test_golden_files_are_for_the_current_format_version(kind, version):
    """A format version bump needs a new golden set, and the old one moved or deleted on purpose."""
    present = sorted(p.name for p in (GOLDEN / kind).iterdir() if p.is_dir())
    assert present == [f"v{version}"], (
        f"tests/golden/{kind} holds {present}, the code writes version {version}: see tests/golden/README.md"
    )
    assert len(cases(GOLDEN / kind / f"v{version}")) >= 2


def test_golden_set_covers_the_constructions():
    """The .dlc cases hold every kind of table, both header forms, explicit flips, zero heads and depth 0."""
    seen = set()
    for case in DLC_CASES:
        doc = expected(DLC_DIR, case)
        depth = doc["instance"]["depth"]
        header = doc["coders"]["joint"]["header"]
        seen.add("family header" if "family" in header else "heads header")
        seen |= {"explicit flips"} if doc["instance"]["seed"] is None else set()
        seen |= {"depth 0"} if depth == 0 else set()
        for h in doc["heads"]:
            family, k = h["head"].split("@")[0].split(":")
            if h["zero"]:
                seen.add("zero head")
            elif family == "walsh":
                seen.add("walsh")
            else:
                k = int(k)
                sweeping = k + h["precision"] > max(depth, k)
                seen.add(
                    f"sawtooth {'sweeping' if sweeping else 'code'} k{'=0' if k == 0 else '>D' if k > depth else '>=1'}"
                )
    assert seen >= {
        "family header",
        "heads header",
        "explicit flips",
        "depth 0",
        "zero head",
        "walsh",
        "sawtooth code k=0",
        "sawtooth code k>=1",
        "sawtooth sweeping k=0",
        "sawtooth sweeping k>=1",
        "sawtooth sweeping k>D",
    }


@pytest.mark.parametrize(
    "directory,case", [(DLC_DIR, c) for c in DLC_CASES] + [(NETWORK_DIR, c) for c in NETWORK_CASES]
)
def test_files_are_the_listed_ones(directory, case):
    doc = expected(directory, case)
    listed = {doc["instance"]["file"]: doc["instance"]["sha256"]}
    if "coders" in doc:
        listed |= {rec["file"]: rec["sha256"] for rec in doc["coders"].values()}
    else:
        listed |= {n["file"]: n["sha256"] for nets in doc["networks"].values() for n in nets}
        listed[doc["export"]["file"]] = doc["export"]["sha256"]
    present = {p.name for p in (directory / case).iterdir()} - {"expected.json"}
    assert present == set(listed)
    for name, digest in listed.items():
        assert sha256((directory / case / name).read_bytes()) == digest, name


# ----------------------------------------------------------------------------- instance files


@pytest.mark.parametrize(
    "directory,case", [(DLC_DIR, c) for c in DLC_CASES] + [(NETWORK_DIR, c) for c in NETWORK_CASES]
)
def test_instance_file_loads_and_writes_back_byte_for_byte(directory, case):
    doc = expected(directory, case)["instance"]
    text = (directory / case / "instance.json").read_bytes()
    inst = Instance.loads(text)
    assert inst.depth == doc["depth"] and inst.seed == doc["seed"]
    assert "".join(map(str, inst.feature.flips.tolist())) == doc["flips"]  # the seed derivation, level order
    assert [h.spec for h in inst.heads] == doc["heads"]
    assert inst.dumps().encode() == text


# ----------------------------------------------------------------------------- .dlc files


def header_of(data: bytes) -> dict:
    hlen = int.from_bytes(data[12:16], "big")
    return json.loads(data[16 : 16 + hlen])


@pytest.mark.parametrize("coder", CODERS)
@pytest.mark.parametrize("case", DLC_CASES)
def test_dlc_decodes_to_the_stored_tables_and_bit_counts(case, coder):
    doc = expected(DLC_DIR, case)
    rec = doc["coders"][coder]
    data = (DLC_DIR / case / rec["file"]).read_bytes()
    assert int.from_bytes(data[8:10], "big") == rec["format_version"] == FORMAT_VERSION
    assert header_of(data) == rec["header"]
    decoded = decode(data)
    box = decoded.container
    assert box.coder == coder
    assert (box.payload_bits, list(box.section_bits)) == (rec["payload_bits"], rec["section_bits"])
    assert 8 * len(data) == rec["file_bits"] == 8 * rec["file_bytes"]
    assert [q.head.spec for q in decoded.quants] == [h["head"] for h in doc["heads"]]
    for q, table, h in zip(decoded.quants, decoded.tables, doc["heads"], strict=False):
        assert (q.precision, q.zero, table.level) == (h["precision"], h["zero"], h["table_level"]), h["head"]
        got = None if table.values is None else table.values.tolist()
        assert got == ints(h["table"]), h["head"]
    v = verify(load_instance(DLC_DIR, case), decoded)
    assert v.verified and all(v.tables_equal)
    assert [str(e) for e in v.errors] == [h["sup_error"] for h in doc["heads"]]


@pytest.mark.parametrize("coder", CODERS)
@pytest.mark.parametrize("case", DLC_CASES)
def test_instance_encodes_to_the_golden_bytes(case, coder):
    doc = expected(DLC_DIR, case)
    golden = (DLC_DIR / case / doc["coders"][coder]["file"]).read_bytes()
    assert encode(load_instance(DLC_DIR, case), doc["eps"], coder) == golden


@pytest.mark.parametrize("case", DLC_CASES)
def test_cli_encode_and_decode_reproduce_the_golden_files(case, tmp_path):
    doc = expected(DLC_DIR, case)
    out = json.loads(
        run(
            "encode",
            DLC_DIR / case / "instance.json",
            "--eps",
            repr(doc["eps"]),
            "-o",
            tmp_path / "x.dlc",
            "--format",
            "json",
        ).stdout
    )
    for coder in CODERS:
        rec = doc["coders"][coder]
        assert (tmp_path / f"x.{coder}.dlc").read_bytes() == (DLC_DIR / case / rec["file"]).read_bytes()
        assert (out[coder]["payload_bits"], out[coder]["file_bits"]) == (rec["payload_bits"], rec["file_bits"])
        assert (out[coder]["lower_bound_bits"], out[coder]["verified"]) == (rec["lower_bound_bits"], True)
        dec = json.loads(run("decode", DLC_DIR / case / rec["file"], "--format", "json").stdout)
        assert (dec["payload_bits"], dec["file_bits"]) == (rec["payload_bits"], rec["file_bits"])
        # heads come in groups (a family level, a run of explicit heads): each group's table level is its
        # last (finest) head's, null for zero heads
        heads = iter(doc["heads"])
        for group in dec["heads"]:
            members = [next(heads) for _ in range(group["count"])]
            assert group["table_level"] == (None if members[-1]["zero"] else members[-1]["table_level"]), group["head"]
        assert next(heads, None) is None


def codes_from_table(head, p: int | None, depth: int, level: int, values: list[int]) -> list[int]:
    """The stored table read back at the approximant level, by the table layout of ``dlcalc.quantize._quantize``.

    Walsh: parity bits; sawtooth with ``k + p <= max(D, k)``: the codes ``Q``; otherwise, on
    level-``L`` cells, ``2v + o`` (``v`` for ``k = 0``), which sweeps ``Q = v 2^m + j`` (``o = 0``) or
    ``v 2^m + 2^m - 1 - j`` (``o = 1``) over the ``2^m`` finer cells ``j``, ``m = k + p - L``.
    """
    if head.family == "walsh" or head.index + p == level:
        return values
    m = head.index + p - level
    out = []
    for value in values:
        v, o = (value, 0) if head.index == 0 else (value >> 1, value & 1)
        out += [(v << m) + (j if o == 0 else (1 << m) - 1 - j) for j in range(1 << m)]
    return out


@pytest.mark.parametrize("case", DLC_CASES)
def test_golden_tables_follow_the_definitions(case):
    """The stored tables and errors against a per-cell evaluation of THEORY §2-§4 (tests/helpers.py)."""
    doc = expected(DLC_DIR, case)
    inst = load_instance(DLC_DIR, case)
    eps = doc["eps"]
    for head, h in zip(inst.heads, doc["heads"], strict=False):
        p = precision(head.amplitude, eps)
        a = Fraction(head.amplitude)
        if p is None:
            assert h["zero"] and h["table"] is None and Fraction(h["sup_error"]) == a
            continue
        level, want = head_codes(inst.feature.flips, inst.depth, head, eps)
        got = codes_from_table(head, h["precision"], inst.depth, h["table_level"], ints(h["table"]))
        assert level == approximant_level(head, eps) and got == want.tolist(), h["head"]
        assert Fraction(h["sup_error"]) == (0 if head.family == "walsh" else a / 2**p)


@pytest.mark.parametrize("case", [c for c in DLC_CASES if expected(DLC_DIR, c)["instance"]["depth"] <= 4])
def test_golden_bit_counts_count_the_class(case):
    """2^payload_bits is the number of distinct quantized tuples over all sign patterns (THEORY §5), by enumeration."""
    doc = expected(DLC_DIR, case)
    inst = load_instance(DLC_DIR, case)
    n_joint, n_heads = count_distinct(inst.depth, inst.heads, doc["eps"])
    assert n_joint == 2 ** doc["coders"]["joint"]["payload_bits"]
    # the separate file has a section for every head with more than one quantized function, none for the others
    assert [n for n in n_heads if n > 1] == [2**b for b in doc["coders"]["separate"]["section_bits"]]


# ----------------------------------------------------------------------------- format version 1, still read

LEGACY_V1 = GOLDEN / "legacy" / "dlc-v1"


@pytest.mark.parametrize("coder", CODERS)
@pytest.mark.parametrize("case", cases(LEGACY_V1))
def test_version_1_files_still_decode_to_their_tables(case, coder):
    """Files of format version 1 (one section per head, zero bits included; every head in the header) decode
    to the tables, sup errors and bit counts stored when they were written, and verify against their instances
    (schema_version 1 instance files, still read)."""
    doc = expected(LEGACY_V1, case)
    rec = doc["coders"][coder]
    data = (LEGACY_V1 / case / rec["file"]).read_bytes()
    assert sha256(data) == rec["sha256"] and int.from_bytes(data[8:10], "big") == 1
    decoded = decode(data)
    box = decoded.container
    assert box.version == 1 and box.payload_bits == rec["payload_bits"]
    assert box.section_bits.tolist() == [b for b in rec["section_bits"] if b or coder == "joint"]
    assert [
        (q.head.spec, q.precision, q.zero, t.level) for q, t in zip(decoded.quants, decoded.tables, strict=False)
    ] == [(h["head"], h["precision"], h["zero"], h["table_level"]) for h in doc["heads"]]
    assert [None if t.values is None else t.values.tolist() for t in decoded.tables] == [
        ints(h["table"]) for h in doc["heads"]
    ]
    inst = load_instance(LEGACY_V1, case)
    assert [h.spec for h in inst.heads] == doc["instance"]["heads"]
    v = verify(inst, decoded)
    assert v.verified and [str(e) for e in v.errors] == [h["sup_error"] for h in doc["heads"]]


# ----------------------------------------------------------------------------- networks


def network_entries():
    for case in NETWORK_CASES:
        for arch, nets in expected(NETWORK_DIR, case)["networks"].items():
            for i in range(len(nets)):
                yield case, arch, i


def outputs_of(net: HeavisideNetwork) -> list[dict]:
    return [{"level": level, "values": [float(v) for v in values]} for level, values in net.evaluate()]


def stored_outputs(entry: dict) -> list[dict]:
    return [{"level": o["level"], "values": [float(v) for v in o["values"].split()]} for o in entry["outputs"]]


@pytest.mark.parametrize("case,arch,index", list(network_entries()))
def test_network_file_deserializes_and_evaluates_to_the_stored_outputs(case, arch, index):
    entry = expected(NETWORK_DIR, case)["networks"][arch][index]
    data = (NETWORK_DIR / case / entry["file"]).read_bytes()
    net = HeavisideNetwork.deserialize(data)
    assert net.serialize() == data
    assert (net.network_bits, 8 * len(data)) == (entry["network_bits"], 8 * entry["file_bytes"])
    # magic, version and CRC-32 are 14 bytes of framing; the body is padded to a byte with fewer than 8 bits
    assert 8 * (entry["file_bytes"] - 14) - 8 < entry["network_bits"] <= 8 * (entry["file_bytes"] - 14)
    assert (len(net.blocks), net.neurons, net.nonzero_weights, net.depth, net.grid_level) == (
        entry["blocks"],
        entry["neurons"],
        entry["nonzero_weights"],
        entry["layers"],
        entry["grid_level"],
    )
    assert outputs_of(net) == stored_outputs(entry)


@pytest.mark.parametrize("case", NETWORK_CASES)
def test_instance_builds_the_golden_networks(case):
    doc = expected(NETWORK_DIR, case)
    inst = load_instance(NETWORK_DIR, case)
    quants = quantize_heads(inst.heads, doc["eps"])
    (joint,) = doc["networks"]["joint"]
    separate = separate_networks(quants, inst.feature)
    chosen, net = best_joint(joint_candidates(quants, inst.feature, separate=separate))
    assert (chosen, net.serialize()) == (joint["kind"], (NETWORK_DIR / case / joint["file"]).read_bytes())
    assert [(kind, q.head.spec) for q, (kind, _) in zip(quants, separate, strict=False)] == [
        (n["kind"], n["head"]) for n in doc["networks"]["separate"]
    ]
    for (_, net), entry in zip(separate, doc["networks"]["separate"], strict=False):
        assert net.serialize() == (NETWORK_DIR / case / entry["file"]).read_bytes(), entry["head"]


@pytest.mark.parametrize("case", NETWORK_CASES)
def test_golden_network_outputs_follow_the_definitions(case):
    """Each stored output equals f̂ of its head on every cell, evaluated from THEORY §2-§4 (tests/helpers.py)."""
    doc = expected(NETWORK_DIR, case)
    inst = load_instance(NETWORK_DIR, case)
    eps = doc["eps"]
    live = [h for h in inst.heads if eps < h.amplitude]  # the heads a network realizes: a zero head has none
    outputs = list(zip(live, stored_outputs(doc["networks"]["joint"][0]), strict=True))
    by_spec = {h.spec: h for h in inst.heads}
    outputs += [(by_spec[entry["head"]], stored_outputs(entry)[0]) for entry in doc["networks"]["separate"]]
    assert [h.spec for h, _ in outputs[len(live) :]] == [h.spec for h in live]
    for head, out in outputs:
        level, codes = head_codes(inst.feature.flips, inst.depth, head, eps)
        want = [float(value_of_code(head, eps, c)) for c in codes.tolist()]
        common = max(level, out["level"])
        assert np.array_equal(
            np.repeat(out["values"], 1 << (common - out["level"])), np.repeat(want, 1 << (common - level))
        ), head.spec


@pytest.mark.parametrize("case", NETWORK_CASES)
def test_cli_network_export_reproduces_the_golden_files(case, tmp_path):
    doc = expected(NETWORK_DIR, case)
    export = tmp_path / "export.json"
    out = json.loads(
        run(
            "network",
            NETWORK_DIR / case / "instance.json",
            "--eps",
            repr(doc["eps"]),
            "--export",
            export,
            "--format",
            "json",
        ).stdout
    )
    assert export.read_bytes() == (NETWORK_DIR / case / doc["export"]["file"]).read_bytes()
    for arch, rec in doc["records"].items():
        assert {k: out[arch][k] for k in rec} == rec
    # the export's serialized bytes are the golden network files
    exported = json.loads(export.read_text())["networks"]
    (joint,) = doc["networks"]["joint"]
    assert bytes.fromhex(exported["joint"]["serialized_hex"]) == (NETWORK_DIR / case / joint["file"]).read_bytes()
    assert [bytes.fromhex(b["serialized_hex"]) for b in exported["separate"]["blocks"]] == [
        (NETWORK_DIR / case / n["file"]).read_bytes() for n in doc["networks"]["separate"]
    ]
