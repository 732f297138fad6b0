"""Hostile input: mutated and random bytes to the .dlc reader, mutated JSON to the instance loader.

Every case must end in a documented error (a DlcalcError, reported as one line with
exit code 2) or a clean decode; never another exception.  The example budget is
fixed and derandomized so CI stays fast and deterministic.
"""

import json
import struct

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcalc import BudgetError, DlcalcError, FormatError, Instance, decode, encode, family_heads, parse_heads
from dlcalc.cli import cli

from .dlc_edits import mutate, mutation, reseal

FUZZ = settings(max_examples=400, deadline=None, derandomize=True)
SMALL_BUDGET = 1 << 16


def _valid_files():
    inst = Instance.build(6, parse_heads("walsh:1-9") + parse_heads("sawtooth:0-2@0.5"), seed=3)
    return [encode(inst, eps, coder) for eps in (0.3, 2**-5) for coder in ("joint", "separate")]


VALID = _valid_files()


def decode_or_documented_error(data: bytes) -> None:
    from dlcalc.coding._container import split_containers

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
@given(
    st.lists(
        st.tuples(
            st.sampled_from(FIELDS + ["heads.0", "heads.0.index", "heads.0.amplitude", "heads.0.family"]), json_values
        ),
        min_size=1,
        max_size=3,
    )
)
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


INSTANCE_TEXT = Instance.build(
    3, parse_heads("walsh:1-3") + parse_heads("sawtooth:1@0.5"), flips=[1, 0, 1, 1, 0, 0, 1]
).dumps()
edit = st.tuples(
    st.sampled_from(["replace", "insert", "delete"]),
    st.integers(0, len(INSTANCE_TEXT)),
    st.sampled_from('0123456789.-e"{}[],: abtfnul'),
)


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
@given(
    st.one_of(st.text(max_size=200), st.lists(edit, min_size=1, max_size=3).map(lambda e: edit_text(INSTANCE_TEXT, e)))
)
def test_random_instance_text(text):
    """Random text and edited instance files: a one-line FormatError (or a budget refusal), or an instance that writes
    back to itself."""
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
        listed = [
            (d["family"], i, float(d.get("amplitude", 1.0)))  # version 2: runs index..last
            for d in doc["heads"]
            for i in range(d["index"], d.get("last", d["index"]) + 1)
        ]
        family = doc.get("family") if doc["schema_version"] == 2 else None
        if family:  # version 2: the family's heads come first, never listed
            listed = [
                (h.family, h.index, h.amplitude) for h in family_heads(family["name"], family["beta"], doc["depth"])
            ] + listed
        assert [(h.family, h.index, h.amplitude) for h in inst.heads] == listed
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
    from dlcalc.networks._construction import joint_candidates, separate_networks

    out = []
    for depth, heads, eps in ((4, "walsh:1-15", 2**-3), (4, "walsh:1-5,sawtooth:1@0.3", 2**-3), (5, "walsh:1-31", 0.4)):
        inst = Instance.build(depth, [h for spec in heads.split(",") for h in parse_heads(spec)], seed=1)
        quants = quantize_heads(inst.heads, eps)
        separate = separate_networks(quants, inst.feature)
        out += [n.serialize() for n in joint_candidates(quants, inst.feature, separate=separate).values()]
        out += [n.serialize() for _, n in separate[:2]]
    return out


NETWORKS = _network_bytes()


def network_or_documented_error(candidate: bytes) -> None:
    """A mutated network file is refused in one line, or it is a network that evaluates to finite numbers
    within the budget and survives a second round trip."""
    from dlcalc.networks._construction import HeavisideNetwork

    try:
        net = HeavisideNetwork.deserialize(candidate, max_cells=SMALL_BUDGET)
    except DlcalcError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    again = HeavisideNetwork.deserialize(net.serialize(), max_cells=SMALL_BUDGET)
    assert again.serialize() == net.serialize()
    try:
        outputs = net.evaluate(max_cells=SMALL_BUDGET)
    except DlcalcError as exc:
        assert "budget" in str(exc)
    else:
        assert len(outputs) == net.n_outputs
        for level, values in outputs:
            assert values.size == 1 << level and np.all(np.isfinite(values))


@FUZZ
@given(st.sampled_from(range(len(NETWORKS))), st.lists(mutation, min_size=1, max_size=4))
def test_mutated_network_files(which, ops):
    data = NETWORKS[which]
    # keep magic and version, mutate the body, reseal so the structural checks are exercised
    network_or_documented_error(reseal(data[:10] + mutate(data[10:-4], ops, seal=False)))


@FUZZ
@given(st.binary(max_size=120))
def test_random_network_bodies(body):
    network_or_documented_error(reseal(NETWORKS[0][:10] + body))


def _network_file(write) -> bytes:
    """A network file whose body ``write(w)`` writes with the format's own codes."""
    from dlcalc.networks._bits import BitWriter
    from dlcalc.networks._blocks import pack_file

    w = BitWriter()
    write(w)
    return pack_file(np.packbits(w.bits()).tobytes())


def _one_block(w, hidden: int, grid: int = 3) -> None:
    w.gamma(1)  # one output
    w.gamma0(hidden)
    if hidden:
        w.gamma0(grid)


def _scale_one(w) -> None:
    w.gamma0(0)  # output exponent
    w.gamma0(1)  # a palette of one scale: +1 · 2^0
    w.bit(0)
    w.delta(1)
    w.sgamma(0)


def _hostile_files():
    def huge_hidden_layer(w):
        _one_block(w, 2)
        w.gamma(1 << 40)  # a hidden layer of 2^40 units, in 81 bits

    def huge_reader_row(w):
        _one_block(w, 1, grid=60)
        _scale_one(w)
        w.bit(1)  # toggle
        w.gamma0(1 << 50)  # 2^50 consecutive breakpoints
        w.gamma0(0)
        w.gamma0(0)
        w.gamma0(0)

    def long_code(w):
        w.uint(0, 70)  # seventy zeros: a code that cannot fit 63 bits
        w.uint(1, 71)

    def scale_exponent(w):
        _one_block(w, 0)
        w.gamma0(0)
        w.gamma0(1)
        w.bit(0)
        w.delta(1)
        w.sgamma(1100)  # 2^1100: made the evaluation NaN before

    def outside(w):
        _one_block(w, 1, grid=3)
        _scale_one(w)
        w.bit(1)
        w.gamma0(2)  # two breakpoints
        w.gamma0(0)  # on the grid 2^-3
        w.gamma0(7)  # at 7/8 and 8/8
        w.gamma0(0)  # consecutive

    def duplicate(w):
        w.gamma(2)  # two outputs
        w.gamma0(2)  # steps, a reader layer, the output layer
        w.gamma0(1)  # grid 2^-1
        w.gamma(2)  # two reader units, each toggling at 1/2
        w.gamma0(1)
        for _ in range(2):
            w.bit(1)
            w.gamma0(1)
            w.gamma0(0)
            w.gamma0(1)
            w.bit(0)
        _scale_one(w)
        w.gamma(1)  # output 0 reads inputs 0 and 1
        w.bit(0)
        w.sgamma(2)
        w.gamma0(0)
        w.gamma0_block([0])
        w.sgamma_block([2, 0])
        w.sgamma(0)
        w.sgamma(0)
        w.gamma(1)  # output 1: against output 0, inputs 0 and 1 - 1
        w.bit(0)
        w.sgamma(0)
        w.bit(0)
        w.sgamma(0)
        w.sgamma_block([-1])
        w.sgamma_block([0, 0])
        w.sgamma(0)
        w.sgamma(0)
        w.bit(0)  # the last block

    def wrapping_run(w):
        w.gamma(1 << 20)  # 2^20 constant outputs
        w.gamma0(0)
        _scale_one(w)
        w.gamma(1 << 20)  # one run whose bias grows by 2^61 a row
        w.bit(0)
        w.sgamma(0)
        w.sgamma(1)
        w.sgamma(0)
        w.sgamma(1 << 61)
        w.sgamma(0)

    return {
        "units": huge_hidden_layer,
        "breakpoints": huge_reader_row,
        "more than 63 bits": long_code,
        "scale": scale_exponent,
        "outside \\[0, 1\\)": outside,
        "repeats an input": duplicate,
        "2\\^62": wrapping_run,
    }


@pytest.mark.parametrize("what,write", list(_hostile_files().items()))
def test_hostile_network_files_refused_in_one_line(what, write):
    from dlcalc.networks._construction import HeavisideNetwork

    with pytest.raises(DlcalcError, match=what) as info:
        HeavisideNetwork.deserialize(_network_file(write))
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("what", ["units", "breakpoints", "2\\^62"])
def test_huge_network_counts_refused_before_allocation(what, monkeypatch):
    from dlcalc.networks._construction import HeavisideNetwork

    data = _network_file(_hostile_files()[what])
    sizes = {
        "zeros": lambda shape, *a: np.prod(shape),
        "full": lambda shape, *a: np.prod(shape),
        "arange": lambda *a: max(a[:2]) if a else 0,
        "repeat": lambda a, r, *b: np.sum(r) * (1 if np.ndim(r) else np.size(a)),
    }
    for name, size in sizes.items():  # anything sized by the file's counts
        real = getattr(np, name)

        def guarded(*a, _real=real, _size=size, _name=name, **k):
            if _size(*a) > 100_000:
                pytest.fail(f"np.{_name} of {_size(*a)} before validating")
            return _real(*a, **k)

        monkeypatch.setattr(np, name, guarded)
    with pytest.raises(DlcalcError, match=what):
        HeavisideNetwork.deserialize(data)


def test_old_network_version_refused():
    from dlcalc.networks._construction import HeavisideNetwork

    data = bytearray(NETWORKS[0])
    data[8:10] = b"\x00\x01"
    with pytest.raises(DlcalcError, match="version 1 is not supported"):
        HeavisideNetwork.deserialize(reseal(bytes(data[:-4])))
