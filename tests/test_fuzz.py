"""Hostile input: mutated and random bytes to the .dlc reader, mutated JSON to the instance loader.

Every case must end in a documented error (a DlcalcError, reported as one line with
exit code 2) or a clean decode; never another exception.  The example budget is
fixed and derandomized so CI stays fast and deterministic.
"""

import json
import struct
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from click.testing import CliRunner

from dlcalc import BudgetError, DlcalcError, FormatError, Instance, decode, encode, parse_heads
from dlcalc.cli import cli

FUZZ = settings(max_examples=400, deadline=None, derandomize=True)
SMALL_BUDGET = 1 << 16


def _valid_files():
    inst = Instance.build(6, parse_heads("walsh:1-9") + parse_heads("sawtooth:0-2@0.5"), seed=3)
    return [encode(inst, eps, coder) for eps in (0.3, 2**-5) for coder in ("joint", "separate")]


VALID = _valid_files()


def reseal(body: bytes) -> bytes:
    return body + struct.pack(">I", zlib.crc32(body))


mutation = st.tuples(
    st.sampled_from(["flip", "set", "truncate", "insert", "delete"]),
    st.integers(0, 10_000),
    st.integers(0, 255),
)


def mutate(data: bytes, ops, seal: bool) -> bytes:
    buf = bytearray(data[:-4] if seal else data)
    for op, pos, val in ops:
        if not buf:
            break
        i = pos % len(buf)
        if op == "flip":
            buf[i] ^= 1 << (val % 8)
        elif op == "set":
            buf[i] = val
        elif op == "truncate":
            del buf[i:]
        elif op == "insert":
            buf[i:i] = bytes([val])
        else:
            del buf[i]
    return reseal(bytes(buf)) if seal else bytes(buf)


def decode_or_documented_error(data: bytes) -> None:
    from dlcalc._container import split_containers

    assert b"".join(split_containers(data)) == data
    try:
        decoded = decode(data, max_cells=SMALL_BUDGET)
    except DlcalcError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert len(decoded.tables) == len(decoded.container.heads)


@FUZZ
@given(st.sampled_from(range(len(VALID))), st.lists(mutation, min_size=1, max_size=6), st.booleans())
def test_mutated_dlc_files(which, ops, seal):
    decode_or_documented_error(mutate(VALID[which], ops, seal))


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes(data):
    decode_or_documented_error(data)


@FUZZ
@given(st.binary(max_size=200))
def test_random_bytes_behind_a_valid_magic(data):
    decode_or_documented_error(VALID[0][:8] + data)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
INSTANCE = Instance.build(4, parse_heads("walsh:1-3") + parse_heads("sawtooth:1@0.5"), seed=2).to_dict()
FIELDS = ["dlcalc", "schema_version", "depth", "seed", "flips", "family", "heads"]


def apply_patch(doc, parts, value) -> None:
    """Set doc[parts...] = value where that path exists (a patch that does not fit is skipped)."""
    target = doc
    for p in parts[:-1]:
        if isinstance(target, list) and p.isdigit() and int(p) < len(target):
            target = target[int(p)]
        elif isinstance(target, dict) and p in target:
            target = target[p]
        else:
            return
    last = parts[-1]
    if isinstance(target, dict):
        target[last] = value
    elif isinstance(target, list) and last.isdigit() and int(last) < len(target):
        target[int(last)] = value


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(FIELDS + ["heads.0", "heads.0.index", "heads.0.amplitude", "heads.0.family"]), json_values), min_size=1, max_size=3))
def test_mutated_instance_json(patches):
    doc = json.loads(json.dumps(INSTANCE))
    for path, value in patches:
        apply_patch(doc, path.split("."), value)
    try:
        inst = Instance.from_dict(doc, max_cells=SMALL_BUDGET)
    except DlcalcError as exc:
        assert "\n" not in str(exc)
    else:
        # whatever loads must also encode and decode, or be refused as over the budget
        try:
            decoded = decode(encode(inst, 0.25, "joint"), max_cells=SMALL_BUDGET)
        except DlcalcError as exc:
            assert "budget" in str(exc)
        else:
            assert len(decoded.tables) == len(inst.heads)


INSTANCE_TEXT = Instance.build(3, parse_heads("walsh:1-3") + parse_heads("sawtooth:1@0.5"), flips=[1, 0, 1, 1, 0, 0, 1]).dumps()
edit = st.tuples(st.sampled_from(["replace", "insert", "delete"]), st.integers(0, len(INSTANCE_TEXT)), st.sampled_from('0123456789.-e"{}[],: abtfnul'))


def edit_text(text: str, edits) -> str:
    for op, pos, char in edits:
        i = pos % (len(text) + 1)
        if op == "replace":
            text = text[:i] + char + text[i + 1 :]
        elif op == "insert":
            text = text[:i] + char + text[i:]
        else:
            text = text[:i] + text[i + 1 :]
    return text


@FUZZ
@given(st.one_of(st.text(max_size=200), st.lists(edit, min_size=1, max_size=3).map(lambda e: edit_text(INSTANCE_TEXT, e))))
def test_random_instance_text(text):
    """Random text and edited instance files: a one-line FormatError (or a budget refusal), or an instance that writes back to itself."""
    try:
        inst = Instance.loads(text, max_cells=SMALL_BUDGET)
    except FormatError as exc:
        assert str(exc).startswith(("instance", "not a dlcalc instance")) and "\n" not in str(exc)
    except BudgetError as exc:
        assert "budget" in str(exc) and "\n" not in str(exc)
    else:
        again = Instance.loads(inst.dumps())
        assert again == inst and again.dumps() == inst.dumps()
        doc = json.loads(text)  # what loaded is what the text says
        assert inst.depth == doc["depth"]
        assert [(h.family, h.index, h.amplitude) for h in inst.heads] == [
            (d["family"], d["index"], float(d.get("amplitude", 1.0))) for d in doc["heads"]]
        if doc.get("flips") is None:
            assert inst.seed == doc["seed"]
        else:
            assert inst.seed is None and np.packbits(inst.feature.flips).tobytes().hex() == doc["flips"].lower()


def test_huge_section_claim_refused_before_allocation(monkeypatch):
    data = VALID[0]
    (hlen,) = struct.unpack_from(">I", data, 12)
    pos = 16 + hlen + 4
    bad = reseal(data[:pos] + struct.pack(">Q", 2**62) + data[pos + 8 : -4])
    real_unpack = np.unpackbits
    monkeypatch.setattr(np, "unpackbits", lambda *a, **k: pytest.fail("allocated before validating"))
    with pytest.raises(DlcalcError, match="level cost"):
        decode(bad)
    monkeypatch.setattr(np, "unpackbits", real_unpack)


def test_cli_reports_fuzzed_file_in_one_line(tmp_path):
    path = tmp_path / "bad.dlc"
    path.write_bytes(mutate(VALID[1], [("set", 20, 0x7B)], seal=True))
    result = CliRunner().invoke(cli, ["decode", str(path)])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1


def _network_bytes():
    from dlcalc import quantize_heads
    from dlcalc._network import joint_network, separate_networks

    inst = Instance.build(4, parse_heads("walsh:1-5") + parse_heads("sawtooth:1@0.5"), seed=1)
    quants = quantize_heads(inst.heads, 2**-3)
    return [joint_network(quants, inst.feature).serialize()] + [n.serialize() for _, n in separate_networks(quants, inst.feature)[:2]]


NETWORKS = _network_bytes()


@FUZZ
@given(st.sampled_from(range(len(NETWORKS))), st.lists(mutation, min_size=1, max_size=4))
def test_mutated_network_files(which, ops):
    from dlcalc._network import HeavisideNetwork

    data = NETWORKS[which]
    # keep magic and version, mutate the body, reseal so the structural checks are exercised
    body = mutate(data[10:-4], ops, seal=False)
    candidate = reseal(data[:10] + body)
    try:
        net = HeavisideNetwork.deserialize(candidate)
    except DlcalcError as exc:
        assert "\n" not in str(exc)
        return
    try:
        outputs = net.evaluate(max_cells=1 << 16)
    except DlcalcError as exc:
        assert "budget" in str(exc)
    else:
        for level, values in outputs:
            assert values.size == 1 << level
