"""Trained Heaviside networks on walsh-all and sawtooth-all (β = 1): does gradient descent find the shared feature?

For M = 2 .. max-m, depth M, ε = 1.5 · 2^-M (the coders' requirement sets are those of ε = 2^-M,
and a network has half a quantization step of slack), and each seed: the joint and the separate
architecture trained by ``dlcalc.training._train`` (shallow for every M, deep up to --deep-max-m), each
certified exactly and counted in entropy-coded bits, beside the coders' payloads and the
constructed networks coded by the same entropy coder.  Prints the markdown tables of
docs/trained.md; --json writes every run.

    python benchmarks/trained_study.py [--max-m 6] [--seeds 3] [--deep-max-m 6] [--deep-widths 2]
        [--workers 2] [--json runs.jsonl]
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import statistics
import threading
import time
from concurrent.futures import ProcessPoolExecutor

FAMILIES = ("walsh-all", "sawtooth-all")


def eps_for(m: int) -> float:
    return 1.5 * 2.0**-m


def _init_worker() -> None:
    # one thread per worker, whatever the caller's XLA_FLAGS hold (appended: the last occurrence of a flag wins)
    flags = os.environ.get("XLA_FLAGS", "")
    os.environ["XLA_FLAGS"] = f"{flags} --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1".strip()


def run_group(job: tuple) -> list[dict]:
    """All seeds of one (family, M, architecture): one process compiles its trainers once, for every seed.

    Each search runs over the shapes (``train_architecture``, as ``dlcalc train --shape both``
    runs it); the best network of each shape gives one row.
    """
    family, m, arch, shapes, seeds, config_kw = job
    import jax

    from dlcalc import Instance, family_heads
    from dlcalc.coding._pipeline import coder_bounds
    from dlcalc.quantize._quantize import quantize_heads
    from dlcalc.training._config import TrainConfig
    from dlcalc.training._steps import constructed_bits
    from dlcalc.training._train import train_architecture

    config = TrainConfig(max_width=2 ** (m + 1), patience=0, **config_kw)
    eps = eps_for(m)
    rows = []
    for seed in seeds:
        inst = Instance.build(m, family_heads(family, 1.0, m), seed=seed)
        quants = quantize_heads(inst.heads, eps)
        result = train_architecture(inst, eps, arch, shapes, config)
        bounds = coder_bounds(quants, m, arch)
        built = constructed_bits(inst, eps, arch, 1 << 26)
        for shape in shapes:
            nets = result.by_shape[shape]
            digits = [n.trunk_digits for n in nets if n.trunk_digits is not None]
            rows.append(
                {
                    "family": family,
                    "M": m,
                    "seed": seed,
                    "shape": shape,
                    "arch": arch,
                    "eps": eps,
                    "reached": all(n.max_error <= eps for n in nets),
                    "max_error": float(max(n.max_error for n in nets)),
                    "stream_bits": sum(n.stream_bits for n in nets),
                    "file_bits": sum(n.file_bits for n in nets),
                    # the deep networks: the largest number of digits of h_σ one trunk computes exactly
                    "trunk_digits": max((len(d) for d in digits), default=None),
                    "layer_widths": [n.network.widths for n in nets] if arch == "joint" else None,
                    "layer_nonzeros": [[int((layer.weights != 0).sum()) for layer in n.network.layers] for n in nets]
                    if arch == "joint"
                    else None,
                    "nonzero_weights": sum(n.network.nonzero_weights for n in nets),
                    "width": max(n.width for n in nets),
                    "reached_heads": sum(n.max_error <= eps for n in nets),
                    "networks": len(nets),
                    "payload_bits": bounds.upper_bound_bits,
                    "lower_bound_bits": bounds.lower_bound_bits,
                    "constructed_stream_bits": built["stream_bits"],
                    "constructed_file_bits": built["file_bits"],
                    "seconds": round(result.seconds, 2),
                    "compile_seconds": round(result.compile_seconds, 2),
                    "train_seconds": round(result.train_seconds, 2),
                    "jax": jax.__version__,
                    "config": {
                        k: getattr(config, k)
                        for k in (
                            "steps",
                            "restarts",
                            "deep_widths",
                            "select",
                            "curriculum",
                            "prune",
                            "learning_rate",
                            "max_width",
                            "patience",
                        )
                    },
                    "steps": result.steps,
                    "widths_tried": result.widths_tried,
                }
            )
    return rows


def _median(values):
    return statistics.median(values) if values else None


def _fmt(x, ratio: bool = False) -> str:
    if x is None:
        return "—"
    return f"{x:.2f}" if ratio else str(round(x))


def _slope(ms, bits) -> float | None:
    pts = [(m, math.log2(b)) for m, b in zip(ms, bits, strict=False) if b]
    if len(pts) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    return sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx


def _pair(rows: list[dict], file: str, stream: str) -> str:
    """Median bits of the networks in the network file format / of their self-delimiting entropy-coded streams."""
    if not rows:
        return "—"
    return f"{_fmt(_median([r[file] for r in rows]))} / {_fmt(_median([r[stream] for r in rows]))}"


def tables(rows: list[dict]) -> str:
    """One markdown table per family (medians over the seeds whose networks reached ε), fitted slopes, and
    for walsh-all the goal: per seed, the joint deep network against the best separate networks."""
    out = []
    for family in FAMILIES:
        fam = [r for r in rows if r["family"] == family]
        if not fam:
            continue
        out.append(f"### {family}\n")
        out.append(
            "| M | shape | joint reached | joint bits | joint width | trunk digits | separate reached | "
            "separate bits | sep. ÷ joint | coder joint | coder sep. | constructed joint | constructed sep. |"
        )
        out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        series: dict[str, tuple[list, list]] = {}
        for m in sorted({r["M"] for r in fam}):
            for shape in ("shallow", "deep"):
                cell = {
                    a: [r for r in fam if r["M"] == m and r["shape"] == shape and r["arch"] == a]
                    for a in ("joint", "separate")
                }
                if not cell["joint"]:
                    continue
                ok = {a: [r for r in cell[a] if r["reached"]] for a in cell}
                med = {a: _median([r["stream_bits"] for r in ok[a]]) for a in cell}
                med_file = {a: _median([r["file_bits"] for r in ok[a]]) for a in cell}
                ratio = (
                    f"{med_file['separate'] / med_file['joint']:.2f} / {med['separate'] / med['joint']:.2f}"
                    if med["joint"] and med["separate"]
                    else "—"
                )
                digits = [r["trunk_digits"] for r in cell["joint"] if r.get("trunk_digits") is not None]
                out.append(
                    f"| {m} | {shape} | {len(ok['joint'])}/{len(cell['joint'])} | "
                    f"{_pair(ok['joint'], 'file_bits', 'stream_bits')} | "
                    f"{_fmt(_median([r['width'] for r in ok['joint']]))} | {', '.join(map(str, digits)) or '—'} | "
                    f"{len(ok['separate'])}/{len(cell['separate'])} | "
                    f"{_pair(ok['separate'], 'file_bits', 'stream_bits')} | {ratio} | "
                    f"{cell['joint'][0]['payload_bits']} | {cell['separate'][0]['payload_bits']} | "
                    f"{_pair(cell['joint'], 'constructed_file_bits', 'constructed_stream_bits')} | "
                    f"{_pair(cell['separate'], 'constructed_file_bits', 'constructed_stream_bits')} |"
                )
                for arch in ("joint", "separate"):
                    if med[arch] and len(ok[arch]) == len(cell[arch]):
                        for label, value in (
                            (f"trained {shape} {arch}, file", med_file[arch]),
                            (f"trained {shape} {arch}, stream", med[arch]),
                        ):
                            ms, bs = series.setdefault(label, ([], []))
                            ms.append(m)
                            bs.append(value)
                    if shape == "shallow":
                        for label, key in (
                            (f"coder {arch}", "payload_bits"),
                            (f"constructed {arch}, file", "constructed_file_bits"),
                        ):
                            ms, bs = series.setdefault(label, ([], []))
                            ms.append(m)
                            bs.append(_median([r[key] for r in cell[arch]]))
        out.append("")
        fits = [
            f"{label}: {s:.2f} (M = {ms[0]}..{ms[-1]})"
            for label, (ms, bs) in series.items()
            if (s := _slope(ms, bs)) is not None
        ]
        out.append("Fitted slopes of log2(bits) against M (where every seed reached ε): " + "; ".join(fits) + ".\n")
    goal = [r for r in rows if r["family"] == "walsh-all" and r["M"] >= 4]
    if goal:
        out.append("### Goal: walsh-all, joint deep against the separate networks (file bits)\n")
        out.append(
            "| M | seed | joint deep: max error | file bits | trunk digits | layer widths | nonzeros by layer | "
            "best separate (shape): file bits | joint < separate |"
        )
        out.append("|---|---|---|---|---|---|---|---|---|")
        for m in sorted({r["M"] for r in goal}):
            for seed in sorted({r["seed"] for r in goal if r["M"] == m}):
                this = [r for r in goal if r["M"] == m and r["seed"] == seed]
                deep = [r for r in this if r["arch"] == "joint" and r["shape"] == "deep"]
                sep = [r for r in this if r["arch"] == "separate" and r["reached"]]
                if not deep:
                    continue
                d = deep[0]
                best = min(sep, key=lambda r: r["file_bits"]) if sep else None
                wins = d["reached"] and best is not None and d["file_bits"] < best["file_bits"]
                best_text = f"{best['file_bits']} ({best['shape']})" if best else "—"
                out.append(
                    f"| {m} | {seed} | {d['max_error']:.4g}{'' if d['reached'] else ' (> ε)'} | {d['file_bits']} | "
                    f"{d['trunk_digits']} of {m} | {d['layer_widths'][0] if d.get('layer_widths') else '—'} | "
                    f"{d['layer_nonzeros'][0] if d.get('layer_nonzeros') else '—'} | "
                    f"{best_text} | {'yes' if wins else 'no'} |"
                )
        out.append("")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--min-m", type=int, default=2)
    ap.add_argument("--max-m", type=int, default=6)
    ap.add_argument("--deep-max-m", type=int, default=6)
    ap.add_argument(
        "--deep-widths", type=int, default=2, help="widths the deep shape is trained at (TrainConfig.deep_widths)"
    )
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--restarts", type=int, default=2)
    ap.add_argument("--select", choices=("per-head", "network"), default="per-head")
    ap.add_argument("--curriculum", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--prune", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--json", default=None, help="write every run as one JSON line to this file")
    ap.add_argument("--from-json", default=None, help="print the tables of the runs in this file, train nothing")
    args = ap.parse_args()
    if args.from_json:
        with open(args.from_json) as fh:
            print(tables([json.loads(line) for line in fh]))
        return
    config_kw = {
        "steps": args.steps,
        "restarts": args.restarts,
        "deep_widths": args.deep_widths,
        "select": args.select,
        "curriculum": args.curriculum,
        "prune": args.prune,
    }
    jobs = []
    for f in FAMILIES:
        for m in range(args.min_m, args.max_m + 1):
            shapes = ("shallow", "deep") if m <= args.deep_max_m else ("shallow",)
            # a job per (family, M, architecture), every seed in it: each compiled trainer is compiled by one process
            jobs += [(f, m, arch, shapes, list(range(args.seeds)), config_kw) for arch in ("separate", "joint")]
    jobs.sort(
        key=lambda j: -(j[1] + (0.5 if j[0] == "walsh-all" else 0) + (0.25 if j[2] == "separate" else 0))
    )  # largest first
    loads = []
    sampling = threading.Event()

    def sample() -> None:  # the machine's load while the study runs (other jobs share its cores)
        while not sampling.wait(10):
            loads.append(os.getloadavg()[0])

    threading.Thread(target=sample, daemon=True).start()
    start = time.perf_counter()
    rows = []
    context = multiprocessing.get_context("spawn")  # JAX is not fork-safe
    with ProcessPoolExecutor(args.workers, mp_context=context, initializer=_init_worker) as pool:
        for group in pool.map(run_group, jobs):
            rows.extend(group)
    wall = time.perf_counter() - start
    sampling.set()
    if args.json:
        with open(args.json, "w") as fh:
            for r in rows:
                fh.write(json.dumps(r, sort_keys=True) + "\n")
    print(tables(rows))
    searches = {(r["family"], r["M"], r["seed"], r["arch"]): r for r in rows}
    print(
        f"{len(searches)} searches ({len(rows)} rows), JAX {rows[0]['jax']}, {args.workers} worker processes, "
        f"steps {args.steps}, restarts {args.restarts}, deep widths {args.deep_widths}, select {args.select}, "
        f"curriculum {args.curriculum}, prune {args.prune}: wall time {wall:.0f} s "
        f"(search seconds summed: {sum(r['seconds'] for r in searches.values()):.0f}, of which compiling "
        f"{sum(r['compile_seconds'] for r in searches.values()):.0f} and training "
        f"{sum(r['train_seconds'] for r in searches.values()):.0f}; 1-minute load average every 10 s: "
        f"mean {statistics.mean(loads or [0]):.1f}, max {max(loads or [0]):.1f})"
    )


if __name__ == "__main__":
    main()
