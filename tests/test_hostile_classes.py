"""Hostile inputs by class, each under a memory cap and a time cap (issue 21).

- headers whose section count disagrees with the class, for classes of up to 2^40 heads
  (families, many small groups): refused in ``O(groups)``, before anything sized by the heads;
- streams of files whose headers are padded to the limit: read one file at a time;
- extreme depths for the library's formula entry points: a depth above every head's top
  changes nothing.

Subprocess cases run the real interpreter with ``RLIMIT_AS`` (1 GiB) and a generous timeout.
"""

import io
import os
import resource
import struct
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcalc import Budget, FormatError, Instance, encode, parse_heads
from dlcalc.coding import _container
from dlcalc.coding._container import _FIXED, MAGIC, expected_sections, read_container, section_count
from dlcalc.coding._stream import iter_stream, read_stream
from dlcalc.core._heads import HeadRun
from dlcalc.core._headset import Family, HeadSet
from dlcalc.quantize._groups import QuantizedClass

MEMORY_CAP = 1 << 30
TIME_CAP = 60
ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": str(Path(__file__).resolve().parents[1])}


def run_capped(code: str, *args: str, cap: int = MEMORY_CAP) -> subprocess.CompletedProcess:
    """``python -c code`` under the memory and time caps."""

    def limits():
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        env=ENV,
        preexec_fn=limits,
        timeout=TIME_CAP,
    )


def dlc_file(version: int, coder: str, header: bytes, sections: list[int]) -> bytes:
    """A sealed .dlc file with the given header and section table, every section zero bits."""
    body = _FIXED.pack(MAGIC, version, _container.CODERS[coder], 0, len(header)) + header
    body += struct.pack(">I", len(sections)) + b"".join(struct.pack(">Q", b) for b in sections)
    body += bytes(sum((b + 7) // 8 for b in sections))
    return body + struct.pack(">I", zlib.crc32(body))


# ----------------------------------------------------------------------------- section counts


many_small_groups = st.lists(
    st.tuples(st.sampled_from(["walsh", "sawtooth"]), st.integers(0, 70), st.integers(0, 3), st.booleans()),
    min_size=1,
    max_size=12,
).map(
    lambda items: [
        HeadRun(f, max(i, 1) if f == "walsh" else i, max(i, 1) + n, 0.5 if half else 1.0) for f, i, n, half in items
    ]
)


@settings(max_examples=200)
@given(many_small_groups, st.integers(0, 12), st.sampled_from([2.0, 1.0, 0.5, 0.3, 2.0**-4]), st.sampled_from([1, 2]))
def test_the_section_count_in_o_groups_is_the_listed_one(runs, depth, eps, version):
    qclass = QuantizedClass(depth, HeadSet(None, runs), eps)
    for coder in ("joint", "separate"):
        assert section_count(qclass, coder, version) == expected_sections(qclass, coder, version).size


@pytest.mark.parametrize("family", ["walsh-all", "sawtooth-all"])
@pytest.mark.parametrize("depth", [0, 1, 7, 30, 40])
def test_section_count_of_families(family, depth):
    if family == "walsh-all" and depth == 0:
        return
    qclass = QuantizedClass(depth, HeadSet(Family(family, 1.0, depth)), 0.25)
    for version in (1, 2):
        want = (1 << depth) - 1 if family == "walsh-all" else depth + 1
        if version == 2:  # heads with a > ε: walsh tops 1, 2 and sawtooth:0, 1
            want = (min(depth + 1, 2) if depth else 0) if family == "sawtooth-all" else (1 << min(depth, 2)) - 1
        assert section_count(qclass, "separate", version) == want


CLASS_HEADERS = [
    b'{"depth":%d,"eps":2,"family":{"name":"walsh-all","beta":1}}',  # every head zero
    b'{"depth":%d,"eps":0.25,"family":{"name":"walsh-all","beta":1}}',
    b'{"depth":%d,"eps":1e-9,"family":{"name":"sawtooth-all","beta":1}}',
]


@pytest.mark.parametrize("header", CLASS_HEADERS)
def test_a_wrong_section_count_is_refused_before_anything_sized_by_the_heads(header):
    """Version 1 lists a section per head: the count is compared in O(groups) first (2^40 heads, 1 GiB cap)."""
    proc = run_capped(
        """
        import io, sys
        from dlcalc import FormatError
        from dlcalc.core._budget import Budget
        from dlcalc.coding import read_container, read_stream
        from tests.test_hostile_classes import dlc_file
        header = sys.argv[1].encode()
        for depth in (28, 34, 40):
            for version in (1, 2):
                text = header % depth if version == 1 else header[:-1] % depth + b',"heads":[]}'
                data = dlc_file(version, "separate", text, [] if version == 1 else [7])
                for read in (lambda: read_container(data, budget=Budget(1 << 62, 1 << 62, 1 << 62)),
                             lambda: read_stream(io.BytesIO(data).read, budget=Budget(1 << 62, 1 << 62, 1 << 62))):
                    try:
                        read()
                    except FormatError as exc:
                        assert "\\n" not in str(exc) and "sections" in str(exc), exc
                    else:
                        raise AssertionError("accepted")
        print("ok")
        """,
        header.decode(),
    )
    assert proc.returncode == 0 and proc.stdout == "ok\n", proc.stderr


def test_the_87_byte_file_of_the_issue():
    data = dlc_file(1, "separate", CLASS_HEADERS[0] % 28, [])
    with pytest.raises(FormatError, match="separate file lists 0 sections, its class needs 268435455"):
        read_container(data)


# ----------------------------------------------------------------------------- streams


DLC = encode(Instance.build(3, parse_heads("walsh:1-3") + parse_heads("sawtooth:0@0.5"), seed=1), 0.25, "joint")


def padded(data: bytes, spaces: int) -> bytes:
    """The file with its header padded by trailing spaces (still valid JSON), resealed."""
    (hlen,) = struct.unpack_from(">I", data, 12)
    raw = data[16 : 16 + hlen] + b" " * spaces
    body = data[:12] + struct.pack(">I", len(raw)) + raw + data[16 + hlen : -4]
    return body + struct.pack(">I", zlib.crc32(body))


class Recorder:
    """A stream of files that records how far it was read."""

    def __init__(self, data: bytes) -> None:
        self.src, self.requests = io.BytesIO(data), []

    def read(self, n: int) -> bytes:
        self.requests.append(n)
        return self.src.read(n)


def test_iter_stream_reads_one_file_ahead_of_nothing():
    files = [padded(DLC, n) for n in (0, 100, 5000, 7)]
    rec = Recorder(b"".join(files))
    stream = iter_stream(rec.read)
    for i, f in enumerate(stream):
        assert f == files[i] and rec.src.tell() == sum(map(len, files[: i + 1]))  # nothing of the next file yet
        read_container(f)
    assert read_stream(io.BytesIO(b"".join(files)).read) == files


def test_iter_stream_bounds_header_and_stream_bytes(monkeypatch):
    big = padded(DLC, 4096)
    monkeypatch.setattr(_container, "MAX_HEADER_BYTES", 1024)
    rec = Recorder(DLC + big)
    with pytest.raises(FormatError, match="over the limit of 1024 bytes .file 2 of the stream"):
        list(iter_stream(rec.read))
    assert max(rec.requests) < 1024  # the long header was never asked for
    monkeypatch.undo()
    with pytest.raises(FormatError, match="stream is longer than the limit of 8000 bytes .file 3"):
        list(iter_stream(io.BytesIO(DLC + big + big).read, stream_limit=8000))


def test_the_budgets_bound_a_stream_of_files_in_total():
    """Every file of a stream was weighed alone: 10^6 files of one head each (75 MB) passed any
    --max-cells and took minutes.  The stream's files add up, each one at least a group step."""
    from dlcalc import BudgetError
    from dlcalc.cost import GROUP_CELLS

    one = encode(Instance.build(2, parse_heads("walsh:1"), seed=1), 0.25, "joint")
    rec = Recorder(one * 3000)
    with pytest.raises(BudgetError, match=r"the stream's \d+ files.*--max-cells"):
        list(iter_stream(rec.read, Budget(max_cells=1000 * GROUP_CELLS)))
    assert 100 < sum(1 for r in rec.requests if r == 16) < 3000  # refused part way, as the total grows
    assert len(list(iter_stream(io.BytesIO(one * 3000).read, Budget()))) == 3000


def test_a_stream_of_padded_headers_is_held_one_file_at_a_time():
    """Files of 16 MiB headers, 16 of them (256 MiB): iterated and decoded under a 384 MiB cap (the
    interpreter with dlcalc takes about 130 MiB of it; holding every file would take the rest)."""
    proc = run_capped(
        """
        import io
        from dlcalc.coding import iter_stream, read_container
        from tests.test_hostile_classes import DLC, padded
        one, files = padded(DLC, 16 << 20), 16

        class Source:  # the stream is made as it is read, never held whole
            def __init__(self):
                self.left, self.pos = files, 0
            def read(self, n):
                out = []
                while n and self.left:
                    chunk = one[self.pos : self.pos + n]
                    out.append(chunk)
                    n -= len(chunk)
                    self.pos += len(chunk)
                    if self.pos == len(one):
                        self.left, self.pos = self.left - 1, 0
                return b"".join(out)

        print(sum(1 for f in iter_stream(Source().read) if read_container(f)))
        """,
        cap=384 << 20,
    )
    assert proc.returncode == 0 and proc.stdout == "16\n", proc.stderr


# ----------------------------------------------------------------------------- network files of many small objects


def tiny_blocks_file(blocks: int) -> bytes:
    """A network file of ``blocks`` constant 9-bit blocks (one output, constant 0, no weights)."""
    import numpy as np

    from dlcalc.networks._blocks import encode_blocks, pack_file
    from dlcalc.networks._format import Layer

    z = np.zeros(0, dtype=np.int64)
    layer = Layer(0, 1, z, z, z, np.zeros(1, dtype=np.int64), 0, True, np.ones(1))
    body, nbits = encode_blocks([[layer]] * 2)
    one = np.unpackbits(np.frombuffer(body, dtype=np.uint8))[: nbits // 2]  # a block and its "more" bit
    bits = np.tile(one, blocks)
    bits[-1] = 0
    return pack_file(np.packbits(bits).tobytes())


def many_runs_file(outputs: int, seed: int = 0) -> bytes:
    """One block whose output layer has ``outputs`` units of random biases: a run of rows every unit or two."""
    import numpy as np

    from dlcalc.networks._blocks import encode_blocks, pack_file
    from dlcalc.networks._format import Layer

    z = np.zeros(0, dtype=np.int64)
    biases = np.random.default_rng(seed).integers(-3, 4, outputs)
    layer = Layer(0, outputs, z, z, z, biases, 0, True, np.ones(outputs))
    return pack_file(encode_blocks([[layer]])[0])


@pytest.mark.parametrize("make,count", [(tiny_blocks_file, 3), (many_runs_file, 40)])
def test_objects_are_weighed_by_the_network_reader(make, count):
    from dlcalc import BudgetError
    from dlcalc.networks._heaviside import HeavisideNetwork
    from dlcalc.networks._rows import OBJECT_UNITS

    data = make(count)
    HeavisideNetwork.deserialize(data, max_cells=count * 3 * OBJECT_UNITS + 2 * count)
    with pytest.raises(
        BudgetError, match="network file: its (blocks|layers|runs|outputs) take the network past 512 units"
    ):
        HeavisideNetwork.deserialize(data, max_cells=512)


def test_a_network_file_of_a_million_tiny_blocks_is_refused_early():
    """1.1 MB of 9-bit blocks, inside the 64 MiB file limit: refused by a reading budget of 2^24 under the
    memory cap after about 11,000 blocks (the default 2^26 after about 43,000, in a few seconds: the file
    took a minute and 1.2 GB)."""
    proc = run_capped(
        """
        from dlcalc import BudgetError
        from dlcalc.networks._heaviside import HeavisideNetwork
        from tests.test_hostile_classes import tiny_blocks_file
        try:
            HeavisideNetwork.deserialize(tiny_blocks_file(1 << 20), max_cells=1 << 24)
        except BudgetError as exc:
            print(exc)
        """
    )
    assert proc.returncode == 0 and proc.stdout.count("\n") == 1 and "over the budget" in proc.stdout, proc.stderr


# ----------------------------------------------------------------------------- many small groups


def one_head_runs(n: int, family: str = "walsh") -> list[HeadRun]:
    """``n`` one-head runs that never merge: alternating amplitudes, small indices."""
    index = (lambda i: 1 + (2 * i) % 1023) if family == "walsh" else (lambda i: i % 9)
    return [HeadRun(family, index(i), index(i), 1.0 if i % 2 == 0 else 0.5) for i in range(n)]


def many_groups_instance(n: int, family: str = "walsh") -> str:
    import json

    heads = [{"family": r.family, "index": r.first, "amplitude": r.amplitude} for r in one_head_runs(n, family)]
    doc = {"dlcalc": "instance", "schema_version": 2, "depth": 10, "seed": 0, "family": None, "heads": heads}
    return json.dumps(doc, separators=(",", ":"))


def many_groups_header(n: int, family: str = "walsh", coder: str = "joint") -> bytes:
    """A sealed .dlc file whose header lists ``n`` one-head runs (its section table is not the class's);
    the specs are those of :func:`one_head_runs`, written without building the runs."""
    import json

    index = (lambda i: 1 + (2 * i) % 1023) if family == "walsh" else (lambda i: i % 9)
    specs = [f"{family}:{index(i)}" + ("@0.5" if i % 2 else "") for i in range(n)]
    header = {"depth": 10, "eps": 0.25, "heads": specs}
    return dlc_file(2, coder, json.dumps(header, separators=(",", ":")).encode(), [1])


@pytest.mark.parametrize("family", ["walsh", "sawtooth"])
@pytest.mark.parametrize("coder", ["joint", "separate"])
def test_many_small_groups_are_weighed_before_they_are_built(family, coder):
    from dlcalc import BudgetError
    from dlcalc.core._budget import FREE_GROUPS, GROUP_CELLS

    n = FREE_GROUPS + (1 << 26) // (2 * GROUP_CELLS) + 1  # just over 2^26 cells of work, walked twice
    with pytest.raises(BudgetError, match=f"loading this instance needs .* cells .*{n} runs.*--max-cells"):
        Instance.loads(many_groups_instance(n, family), max_cells=1 << 26)
    with pytest.raises(BudgetError, match=f"decoding this .dlc file needs .* cells .*{n} runs.*--max-cells"):
        read_container(many_groups_header(n, family, coder), max_cells=1 << 26)
    with pytest.raises(BudgetError, match=f"{n} runs"):
        list(iter_stream(io.BytesIO(many_groups_header(n, family, coder)).read, Budget(max_cells=1 << 26)))
    Instance.loads(many_groups_instance(n - 1, family), max_cells=1 << 26)  # the last run that fits


def test_the_cost_of_groups_is_counted_in_every_step():
    from dlcalc.core._budget import FREE_GROUPS, GROUP_CELLS
    from dlcalc.cost._coding import class_step, decode_steps, export_step, pipeline_phase, verify_step
    from dlcalc.cost._cost import Cost

    def figures(n):
        qclass = QuantizedClass(10, HeadSet(None, one_head_runs(n)), 0.25)
        steps = [class_step(qclass.heads), verify_step(qclass), export_step(qclass)]
        steps += decode_steps(qclass, "joint") + decode_steps(qclass, "separate") + pipeline_phase(qclass, ["joint"])
        return [(s.cells, s.held_bytes) for s in steps], Cost([], [pipeline_phase(qclass, ["joint", "separate"])])

    small, big = figures(FREE_GROUPS), figures(FREE_GROUPS + 1000)
    grown = [b[0] - a[0] for a, b in zip(small[0], big[0], strict=True) if b[0] - a[0] >= 1000 * GROUP_CELLS]
    assert len(grown) >= 6  # the class, the reference, the export, reading and decoding each coder
    assert big[1].memory_bytes - small[1].memory_bytes >= 1000 * 4096  # two classes read back, tables, reference


def test_a_header_of_a_million_runs_is_refused_under_the_caps():
    """2^20 one-head runs in a 15 MB header: refused by the default budget from the list's length, in
    seconds and under the memory cap (it took 85 s and 2 GB)."""
    proc = run_capped(
        """
        from dlcalc import BudgetError
        from dlcalc.coding._container import read_container
        from tests.test_hostile_classes import many_groups_header
        try:
            read_container(many_groups_header(1 << 20))
        except BudgetError as exc:
            print(exc)
        """
    )
    assert proc.returncode == 0 and "1048576 runs" in proc.stdout and proc.stdout.count("\n") == 1, proc.stderr


def test_memory_estimate_of_many_groups_bounds_the_traced_peak():
    """1,500 one-head runs (beyond the free groups): the estimate stays above the traced peak, and not
    far above it (the estimate follows peak RSS, which tracemalloc sees only part of: docs/cost.md)."""
    import tracemalloc

    from dlcalc import run_coder
    from dlcalc.cost._coding import feature_step, pipeline_phase
    from dlcalc.cost._cost import Cost

    heads = HeadSet(None, one_head_runs(1500))
    inst = Instance.build(10, heads, seed=1)
    qclass = QuantizedClass(10, heads, 0.25)
    for coder in ("joint", "separate"):
        estimate = Cost([feature_step(10)], [pipeline_phase(qclass, [coder])]).memory_bytes
        tracemalloc.start()
        run_coder(inst, 0.25, coder)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak <= estimate <= 8 * peak, (coder, peak, estimate)


# ----------------------------------------------------------------------------- extreme depths


def test_library_entry_points_at_extreme_depths():
    """Quantizing, bounds, the joint basis, section counts and every cost step at depths 10^11, 2^64 and
    10^30: a depth above every head's top changes nothing, and nothing of size 2^depth is built (1 GiB cap)."""
    proc = run_capped(
        """
        from dlcalc.coding._container import section_count
        from dlcalc.core._headset import HeadSet
        from dlcalc.core._heads import HeadRun
        from dlcalc.cost._coding import class_step, decode_steps, export_step, pipeline_phase
        from dlcalc.cost._cost import Cost
        from dlcalc.quantize._bounds import family_bounds, heads_bounds
        from dlcalc.quantize._groups import QuantizedClass

        far = (1 << 70) + 3
        runs = [HeadRun("walsh", 1, 9), HeadRun("walsh", far, far, 0.5), HeadRun("sawtooth", 0, 40, 0.5)]
        heads = HeadSet(None, runs)
        for eps in (0.5, 1e-3, 1e-300):
            shallow = QuantizedClass(200, heads, eps)  # above every head's top but the sawtooth approximants'
            for depth in (10**11, 2**64, 10**30):
                q = QuantizedClass(depth, heads, eps)
                assert heads_bounds(heads, eps, depth) == heads_bounds(heads, eps, None)
                assert q.bounds("separate") == QuantizedClass(depth + 1, heads, eps).bounds("separate")
                assert q.joint_basis() == QuantizedClass(10**40, heads, eps).joint_basis()
                assert section_count(q, "separate") == section_count(shallow, "separate")
                assert section_count(q, "separate", 1) == 51
                steps = pipeline_phase(q, ["joint", "separate"], truth=True, baselines=True) + decode_steps(q, "joint")
                cost = Cost([], [steps + [export_step(q), class_step(heads)]])
                assert cost.cells > 0 and cost.memory_bytes > 0
                for family in ("walsh-all", "sawtooth-all"):
                    assert family_bounds(family, 1.0, eps, depth) == family_bounds(family, 1.0, eps, None)
        print("ok")
        """
    )
    assert proc.returncode == 0 and proc.stdout == "ok\n", proc.stderr


def test_the_rows_of_a_sweep_are_weighed_as_work():
    """A row of a sweep is Python work however small its class (0.7 ms for one head): 10^5 values
    of ε are refused before a class is quantized, and a sweep's row work grows with its groups."""
    from dlcalc import BudgetError, study
    from dlcalc.core._budget import GROUP_CELLS
    from dlcalc.cost import sweep_step

    inst = Instance.build(2, parse_heads("sawtooth:0@1e308"), seed=0)
    with pytest.raises(BudgetError, match=r"rows of the sweep \(100000 values of ε\).*--max-cells"):
        study.plan_compare(inst, [0.5 - i * 1e-6 for i in range(100_000)], Budget(), baselines=False)
    assert sweep_step(3000, 0).cells < sweep_step(3000, 3000 * 6).cells < sweep_step(3000, 3000 * 6, True).cells
    assert sweep_step(10, 10 * 5).cells == 0  # a short sweep costs less than the interpreter's start-up
    many = HeadSet(None, one_head_runs(500))
    plan = study.plan_compare(Instance.build(3, many, seed=0), [0.25, 0.125], Budget(), baselines=False)
    assert plan.cost.cells >= 2 * 500 * 16 * GROUP_CELLS // 2


def test_the_formula_bounds_of_many_groups_are_weighed_as_work():
    """`bounds` evaluates its formulas a group and an ε at a time (≈0.1 ms each): 500 groups at 200
    values of ε is ≈1.6e9 cells of work, refused under --max-cells 2^20."""
    from dlcalc import BudgetError, study

    heads = HeadSet(None, one_head_runs(500))
    with pytest.raises(BudgetError, match="formula bounds"):
        study.check_bounds(200, heads, Budget(max_cells=1 << 20), "bounds over 200 values of ε")
    study.check_bounds(200, heads, Budget(), "bounds over 200 values of ε")
    study.check_bounds(5, None, Budget(max_cells=5), "bounds over 5 values of ε")


def test_every_separate_network_is_weighed_as_work():
    """A separate network per head is Python work whatever its size (1.4 ms a head): `compare --networks`
    over 50 values of ε of walsh-all at depth 10 weighed ≈5.5e8 cells and took 35 s."""
    from dlcalc import family_heads
    from dlcalc.cost import network_steps
    from dlcalc.cost._networks import NETWORK_HEAD_CELLS

    qclass = QuantizedClass(10, HeadSet.of(family_heads("walsh-all", 1.0, 10)), 2**-10)
    (separate,) = [s for s in network_steps(qclass, ["joint", "separate"]) if s.name == "separate networks"]
    assert separate.cells >= 1023 * NETWORK_HEAD_CELLS
