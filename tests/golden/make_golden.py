"""Write the golden files under tests/golden/ (see README.md beside this script).

    python tests/golden/make_golden.py             # write the cases whose directory does not exist yet
    python tests/golden/make_golden.py --force     # overwrite existing cases (a deliberate format change only)
    python tests/golden/make_golden.py --list      # print the cases and where they go

The files go to ``dlc/v<FORMAT_VERSION>/<case>/`` and ``networks/v<NETWORK_VERSION>/<case>/``:
the instance file, the ``.dlc`` files (joint and separate) or the serialized networks (``.dhn``)
and the ``network --export`` JSON, and ``expected.json`` with what each file decodes to and its bit
counts.  The tests only read these files; they never run this script.  Review a new set by hand
(README.md) before committing it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pathlib
import sys
import tempfile

from click.testing import CliRunner

from dlcalc import Head, Instance, decode, encode, family_heads, parse_heads, quantize_heads, run_coder
from dlcalc.coding._container import FORMAT_VERSION
from dlcalc.networks._construction import NETWORK_VERSION, best_joint, joint_candidates, separate_networks
from dlcalc.cli import cli

HERE = pathlib.Path(__file__).resolve().parent


def heads(*specs: str) -> list[Head]:
    return [h for spec in specs for h in parse_heads(spec)]


# name: (description, instance, eps)
DLC_CASES = {
    "walsh": (
        "Walsh heads only, amplitudes 0.5 to 2: every head exact (THEORY §4)",
        lambda: Instance.build(4, heads("walsh:1", "walsh:3@0.5", "walsh:6", "walsh:9", "walsh:15@2"), seed=3),
        0.25,
    ),
    "sawtooth": (
        "sawtooth heads: code tables (k + p <= D, k = 0 and k >= 1) and sweeping tables (k + p > D, k = 0, k >= 1, k > D)",
        lambda: Instance.build(
            4, heads("sawtooth:0", "sawtooth:0@0.25", "sawtooth:1@0.125", "sawtooth:2", "sawtooth:3@0.25", "sawtooth:6@0.5"), seed=5
        ),
        2.0**-5,
    ),
    "mixed": (
        "Walsh and sawtooth heads together: walsh:1-7 + sawtooth:0-2 at depth 5",
        lambda: Instance.build(5, heads("walsh:1-7", "sawtooth:0-2"), seed=4),
        2.0**-4,
    ),
    "walsh-all": (
        "the walsh-all family, beta 1: the .dlc header holds the family, not the heads; the top-4 heads are zero",
        lambda: Instance.build(4, family_heads("walsh-all", 1.0, 4), seed=0, family={"name": "walsh-all", "beta": 1.0}),
        2.0**-3,
    ),
    "sawtooth-all": (
        "the sawtooth-all family, beta 0.5 (amplitudes 2^(-k/2)): family header, code and sweeping tables",
        lambda: Instance.build(4, family_heads("sawtooth-all", 0.5, 4), seed=1, family={"name": "sawtooth-all", "beta": 0.5}),
        2.0**-3,
    ),
    "flips": (
        "an instance from explicit flip bits (no seed)",
        lambda: Instance.build(3, heads("walsh:5", "walsh:7@0.5", "sawtooth:1"), flips=[1, 0, 1, 1, 0, 0, 1]),
        2.0**-3,
    ),
    "zero": (
        "zero heads (eps >= a: no bits, error a) beside one paid Walsh head",
        lambda: Instance.build(3, heads("walsh:3@0.1", "sawtooth:1@0.1", "walsh:6", "sawtooth:0@0.05"), seed=2),
        0.1,
    ),
    "depth0": (
        "depth 0: no free signs, every payload is empty",
        lambda: Instance.build(0, heads("walsh:1", "sawtooth:0", "sawtooth:2@0.5"), seed=0),
        2.0**-2,
    ),
}

NETWORK_CASES = {
    "mixed": (
        "joint trunk and separate trunk/step networks for Walsh, sawtooth (k = 0 and k >= 1) and a zero head",
        lambda: Instance.build(4, heads("walsh:1-5", "sawtooth:0@0.5", "sawtooth:1@0.5", "walsh:6@0.1"), seed=1),
        2.0**-3,
    ),
    "walsh-all": (
        "walsh-all, beta 1, depth 3 at eps 2^-3",
        lambda: Instance.build(3, family_heads("walsh-all", 1.0, 3), seed=2, family={"name": "walsh-all", "beta": 1.0}),
        2.0**-3,
    ),
}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def bit_string(bits) -> str:
    return "".join(str(int(b)) for b in bits)


def table_text(values) -> str | None:
    """A table as space-separated integers (None for a zero head)."""
    return None if values is None else " ".join(str(int(v)) for v in values)


def instance_record(inst: Instance, text: bytes) -> dict:
    return {
        "file": "instance.json",
        "sha256": sha256(text),
        "depth": inst.depth,
        "seed": inst.seed,
        "flips": bit_string(inst.feature.flips),  # level order: pins the seed derivation as well
        "heads": [h.spec for h in inst.heads],
    }


def dlc_record(inst: Instance, eps: float, coder: str, data: bytes) -> dict:
    """The file's bit counts and header; its decoded tables go to :func:`head_records`, shared by both coders."""
    result = run_coder(inst, eps, coder)
    assert result.data == data and result.verification.verified
    box = decode(data).container
    hlen = int.from_bytes(data[12:16], "big")
    return {
        "file": f"{coder}.dlc",
        "sha256": sha256(data),
        "format_version": int.from_bytes(data[8:10], "big"),
        "file_bytes": len(data),
        "file_bits": 8 * len(data),
        "header": json.loads(data[16 : 16 + hlen]),
        "payload_bits": box.payload_bits,
        "section_bits": box.section_bits.tolist(),
        "lower_bound_bits": result.bounds.lower_bound_bits,
    }


def head_records(inst: Instance, eps: float, files: list[bytes]) -> list[dict]:
    """What every one of ``files`` decodes to: per head its precision, table and exact sup error."""
    decoded = [decode(data) for data in files]
    assert all(list(d.tables) == list(decoded[0].tables) for d in decoded)
    result = run_coder(inst, eps, "joint")
    return [
        {
            "head": q.head.spec,
            "precision": q.precision,
            "zero": q.zero,
            "table_level": t.level,
            "table": table_text(t.values),
            "sup_error": str(err),
        }
        for q, t, err in zip(decoded[0].quants, decoded[0].tables, result.verification.errors)
    ]


def network_entry(kind: str, head: str | None, net, name: str) -> dict:
    data = net.serialize()
    return {
        "file": name,
        "kind": kind,
        "head": head,
        "sha256": sha256(data),
        "file_bytes": len(data),
        "network_bits": net.network_bits,
        "blocks": len(net.blocks),
        "neurons": net.neurons,
        "nonzero_weights": net.nonzero_weights,
        "layers": net.depth,
        "grid_level": net.grid_level,
        "outputs": [{"level": level, "values": " ".join(repr(float(v)) for v in values)} for level, values in net.evaluate()],
    }


def write(directory: pathlib.Path, files: dict[str, bytes]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (directory / name).write_bytes(data)
        print(f"wrote {directory.relative_to(HERE) / name} ({len(data)} bytes)", file=sys.stderr)


def compact(obj, indent: int = 0) -> str:
    """JSON with sorted keys; a list or object holding no list or object goes on one line."""
    if not isinstance(obj, (dict, list)) or not any(isinstance(v, (dict, list)) for v in (obj.values() if isinstance(obj, dict) else obj)):
        return json.dumps(obj, sort_keys=True, allow_nan=False)
    pad = " " * (indent + 1)
    if isinstance(obj, dict):
        items = [f"{pad}{json.dumps(k)}: {compact(obj[k], indent + 1)}" for k in sorted(obj)]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    return "[\n" + ",\n".join(pad + compact(v, indent + 1) for v in obj) + "\n" + " " * indent + "]"


def expected_json(doc: dict) -> bytes:
    return (compact(doc) + "\n").encode()


def make_dlc_case(name: str, directory: pathlib.Path) -> None:
    description, build, eps = DLC_CASES[name]
    inst = build()
    text = inst.dumps().encode()
    files = {"instance.json": text}
    doc = {"case": name, "description": description, "eps": eps, "instance": instance_record(inst, text), "coders": {}}
    for coder in ("joint", "separate"):
        data = encode(inst, eps, coder)
        files[f"{coder}.dlc"] = data
        doc["coders"][coder] = dlc_record(inst, eps, coder, data)
    doc["heads"] = head_records(inst, eps, [files["joint.dlc"], files["separate.dlc"]])
    files["expected.json"] = expected_json(doc)
    write(directory, files)


def make_network_case(name: str, directory: pathlib.Path) -> None:
    description, build, eps = NETWORK_CASES[name]
    inst = build()
    text = inst.dumps().encode()
    quants = quantize_heads(list(inst.heads), eps)
    files = {"instance.json": text}
    separate = separate_networks(quants, inst.feature)
    chosen, joint = best_joint(joint_candidates(quants, inst.feature, separate=separate))
    files["joint.dhn"] = joint.serialize()
    nets = {"joint": [network_entry(chosen, None, joint, "joint.dhn")], "separate": []}
    live = [(t, q) for t, q in enumerate(quants) if not q.zero]  # a zero head has no network
    for (t, q), (kind, net) in zip(live, separate, strict=True):
        files[f"separate-{t}.dhn"] = net.serialize()
        nets["separate"].append(network_entry(kind, q.head.spec, net, f"separate-{t}.dhn"))
    with tempfile.TemporaryDirectory() as tmp:
        path, export = pathlib.Path(tmp) / "instance.json", pathlib.Path(tmp) / "export.json"
        path.write_bytes(text)
        result = CliRunner().invoke(cli, ["network", str(path), "--eps", repr(eps), "--export", str(export), "--format", "json"])
        assert result.exit_code == 0, result.stderr
        files["export.json"] = export.read_bytes()
        out = json.loads(result.stdout)
    keys = ("network_bits", "neurons", "nonzero_weights", "layers", "payload_bits", "lower_bound_bits", "verified", "constructions")
    doc = {
        "case": name,
        "description": description,
        "eps": eps,
        "format_version": NETWORK_VERSION,
        "instance": instance_record(inst, text),
        "networks": nets,
        "export": {"file": "export.json", "sha256": sha256(files["export.json"])},
        "records": {arch: {k: out[arch][k] for k in keys} for arch in ("joint", "separate")},
    }
    files["expected.json"] = expected_json(doc)
    write(directory, files)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="overwrite cases that exist already")
    parser.add_argument("--list", action="store_true", help="list the cases and their directories, write nothing")
    parser.add_argument("cases", nargs="*", help="dlc/NAME or networks/NAME (default: all)")
    args = parser.parse_args(argv)
    plan = {f"dlc/{n}": (make_dlc_case, n, HERE / "dlc" / f"v{FORMAT_VERSION}" / n) for n in DLC_CASES}
    plan |= {f"networks/{n}": (make_network_case, n, HERE / "networks" / f"v{NETWORK_VERSION}" / n) for n in NETWORK_CASES}
    chosen = args.cases or list(plan)
    unknown = [c for c in chosen if c not in plan]
    if unknown:
        parser.error(f"unknown cases {unknown}; choose from {sorted(plan)}")
    if args.list:
        for c in chosen:
            print(c, plan[c][2].relative_to(HERE))
        return 0
    existing = [c for c in chosen if plan[c][2].exists()]
    if existing and not args.force:
        print(f"refusing to overwrite {', '.join(existing)}: golden files are written once (pass --force "
              "only for a deliberate format change, see README.md)", file=sys.stderr)
        return 1
    for c in chosen:
        make, name, directory = plan[c]
        make(name, directory)
    return 0


if __name__ == "__main__":
    sys.exit(main())
