"""Mutation testing of the core modules with mutmut: the score per module and the surviving mutants.

    python benchmarks/mutation.py                     # every mutant of the seven core modules
    python benchmarks/mutation.py --sample 3          # 1 mutant in 3, for a quicker look
    python benchmarks/mutation.py --modules core._span,coding._payload
    python benchmarks/mutation.py --survivors         # re-test the last run's survivors
                                                      # (not those listed as equivalent)
    python benchmarks/mutation.py --report            # the last run's scores again, without running

Needs ``pip install -e '.[mutation]'``.  mutmut copies the package to ``mutants/``, runs the
suite once to learn which tests call which function, then runs, for each mutant, only the tests
that call the mutated function (``-x``: the first failure kills it).  A mutant counts as killed
when a test fails or it times out (an endless loop is caught).  The score of a module is
``killed / (sampled - equivalent)``; mutants judged equivalent (they cannot change behaviour)
are listed with their reasons in docs/testing.md ("Equivalent mutants").  ``--sample N`` keeps a
deterministic sample: a mutant is kept when the SHA-256 of its name
(``dlcalc.core._span.x_levels_of__mutmut_7``) is 0 modulo N.  Exit code 1 when a module misses its
target (docs/testing.md).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULES = (
    "core._span",
    "quantize._quantize",
    "quantize._groups",
    "quantize._tables",
    "quantize._sup_error",
    "coding._pipeline",
    "coding._payload",
    "coding._container",
    "quantize._bounds",
    "networks._construction",
)
TARGETS = dict.fromkeys(MODULES, 0.97) | {"networks._construction": 0.90}
EQUIVALENT_DOC = ROOT / "docs" / "testing.md"  # its ```text block under "### Equivalent mutants"
REPORT_FILE = ROOT / "mutants" / "mutation-report.json"
KILLED = {"killed", "timeout", "segfault", "caught by type check"}
_ENTRY = re.compile(r"^(?P<function>\S+): `(?P<before>.*)` -> `(?P<after>.*)` \| (?P<reason>.+)$")


def module_path(module: str) -> Path:
    """``quantize._bounds`` -> ``dlcalc/quantize/_bounds.py``."""
    return Path("dlcalc", *module.split(".")).with_suffix(".py")


def module_of(name: str) -> str:
    """``dlcalc.core._span.x_levels_of__mutmut_7`` -> ``core._span`` (mutmut's mangled names hold no dot)."""
    return ".".join(name.split(".")[1:-1])


def module_mutants(module: str) -> list[str]:
    """Every mutant name mutmut generates for the module ``dlcalc.<module>``, in its own order."""
    from mutmut.mutation.file_mutation import mutate_file_contents
    from mutmut.utils.format_utils import get_mutant_name

    path = module_path(module)
    mutated = mutate_file_contents(str(path), path.read_text())
    return [get_mutant_name(path, name) for name in mutated.mutant_names]


def sampled(names: list[str], sample: int) -> list[str]:
    """The deterministic sample: names whose SHA-256 is 0 modulo ``sample``."""
    return [n for n in names if int(hashlib.sha256(n.encode()).hexdigest(), 16) % sample == 0]


def function_of(name: str) -> str:
    """``dlcalc.core._span.x_levels_of__mutmut_7`` -> ``dlcalc.core._span.x_levels_of``."""
    return name.rsplit("__mutmut_", 1)[0]


def changed_lines(name: str) -> tuple[str, str]:
    """The first removed and added line of a mutant's diff, stripped (how equivalents are named)."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    diff = get_diff_for_mutant(name, path=module_path(module_of(name))).splitlines()
    before = next((ln[1:].strip() for ln in diff if ln.startswith("-") and not ln.startswith("---")), "")
    after = next((ln[1:].strip() for ln in diff if ln.startswith("+") and not ln.startswith("+++")), "")
    return before, after


def equivalent_lines(text: str) -> list[tuple[int, str]]:
    """``(line number, line)`` of the fenced ```text block that follows the heading ``### Equivalent mutants``."""
    lines = text.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.strip() == "### Equivalent mutants")
    fence = next(i for i in range(start, len(lines)) if lines[i].strip() == "```text")
    end = next(i for i in range(fence + 1, len(lines)) if lines[i].strip() == "```")
    return [(i + 1, lines[i]) for i in range(fence + 1, end)]


def load_equivalents(text: str | None = None) -> list[dict]:
    """Entries ``function: `before` -> `after` | reason`` of the equivalent-mutant list in docs/testing.md."""
    out = []
    for number, line in equivalent_lines(EQUIVALENT_DOC.read_text() if text is None else text):
        if not line.strip() or line.startswith("#"):
            continue
        m = _ENTRY.match(line)
        if not m:
            raise SystemExit(f"{EQUIVALENT_DOC.name}:{number}: expected 'function: `before` -> `after` | reason'")
        out.append(m.groupdict())
    return out


def equivalent_entry(
    name: str, equivalents: list[dict], before: str | None = None, after: str | None = None
) -> int | None:
    """Index of the listed equivalent entry this mutant matches (by function and changed line), or None."""
    if before is None:
        before, after = changed_lines(name)
    return next(
        (
            i
            for i, e in enumerate(equivalents)
            if e["function"] == function_of(name) and e["before"] == before and e["after"] == after
        ),
        None,
    )


def is_equivalent(name: str, equivalents: list[dict]) -> bool:
    return equivalent_entry(name, equivalents) is not None


def statuses(modules: list[str]) -> dict[str, str]:
    """Status of every mutant of these modules in the last run (mutmut's ``.meta`` files)."""
    from mutmut.stats import status_by_exit_code

    out = {}
    for module in modules:
        meta = ROOT / "mutants" / f"{module_path(module)}.meta"
        if meta.exists():
            codes = json.loads(meta.read_text())["exit_code_by_key"]
            out.update({k: status_by_exit_code[v] for k, v in codes.items()})
    return out


def run_mutmut(names: list[str], workers: int) -> tuple[float, float]:
    """``mutmut run`` on these mutants; returns the wall and CPU seconds.  Its log goes to ``mutants/mutmut.log``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the tests must import mutants/dlcalc
    env |= {"PYTEST_PLUGINS": "benchmarks.mutmut_plugin"}
    env.pop("HYPOTHESIS_PROFILE", None)  # the suite's ci profile, which the plugin then runs without shrinking
    (ROOT / "mutants").mkdir(exist_ok=True)
    log = ROOT / "mutants" / "mutmut.log"
    print(f"mutmut: {len(names)} mutants, {workers} worker(s); log in {log.relative_to(ROOT)}", file=sys.stderr)
    start, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(log, "w") as out:
        proc = subprocess.run(
            [sys.executable, "-m", "mutmut", "run", "--max-children", str(workers), *names],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"mutmut failed (exit {proc.returncode}); see {log}")
    return seconds, (after.ru_utime + after.ru_stime) - (cpu.ru_utime + cpu.ru_stime)


def report(modules: list[str], sample: int, seconds: tuple[float, float] | None) -> int:
    status = statuses(modules)
    equivalents = load_equivalents()
    used = set()
    rows, survivors, ok = [], [], True
    for module in modules:
        names = sampled(module_mutants(module), sample)
        killed = equivalent = 0
        for name in names:
            st = status.get(name, "not checked")
            if st in KILLED:
                killed += 1
                continue
            before, after = changed_lines(name)
            match = equivalent_entry(name, equivalents, before, after)
            if match is not None and st == "survived":
                equivalent += 1
                used.add(match)
                continue
            survivors.append({"mutant": name, "status": st, "before": before, "after": after})
        counted = len(names) - equivalent
        score = killed / counted if counted else 1.0
        ok &= score >= TARGETS[module]
        rows.append(
            {
                "module": module,
                "mutants": len(names),
                "killed": killed,
                "equivalent": equivalent,
                "survived": counted - killed,
                "score": score,
                "target": TARGETS[module],
            }
        )
    print(f"{'module':<12}{'mutants':>8}{'killed':>8}{'equiv':>7}{'survived':>9}{'score':>8}{'target':>8}")
    for r in rows:
        mark = "" if r["score"] >= r["target"] else "  MISSED"
        print(
            f"{r['module']:<12}{r['mutants']:>8}{r['killed']:>8}{r['equivalent']:>7}{r['survived']:>9}"
            f"{r['score']:>8.1%}{r['target']:>8.0%}{mark}"
        )
    total = sum(r["mutants"] - r["equivalent"] for r in rows)
    print(
        f"{'all':<12}{sum(r['mutants'] for r in rows):>8}{sum(r['killed'] for r in rows):>8}"
        f"{sum(r['equivalent'] for r in rows):>7}{sum(r['survived'] for r in rows):>9}"
        f"{sum(r['killed'] for r in rows) / max(total, 1):>8.1%}"
    )
    print(
        f"score = killed / (mutants - equivalent); sample 1 in {sample}"
        + (f"; mutmut ran {seconds[0] / 60:.1f} min wall, {seconds[1] / 60:.1f} min CPU" if seconds else "")
    )
    if survivors:
        print("\nsurvivors (not judged equivalent):")
        for s in survivors:
            print(f"  {s['mutant']} [{s['status']}]: `{s['before']}` -> `{s['after']}`")
    stale = [e for i, e in enumerate(equivalents) if i not in used and module_of(e["function"]) in modules]
    if stale and sample == 1:
        print(f"\n{len(stale)} equivalent entries matched no surviving mutant (killed now, or the code moved):")
        for e in stale:
            print(f"  {e['function']}: `{e['before']}` -> `{e['after']}`")
    REPORT_FILE.parent.mkdir(exist_ok=True)
    REPORT_FILE.write_text(
        json.dumps(
            {"sample": sample, "seconds": seconds, "modules": rows, "survivors": survivors}, indent=1, sort_keys=True
        )
    )
    return 0 if ok else 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--modules", default=",".join(MODULES), help="comma-separated, e.g. core._span,coding._payload")
    ap.add_argument("--sample", type=int, default=1, help="keep 1 mutant in N (default 1: all)")
    ap.add_argument("--workers", type=int, default=2, help="mutmut worker processes (default 2)")
    ap.add_argument(
        "--survivors", action="store_true", help="re-test the last run's survivors, except those listed as equivalent"
    )
    ap.add_argument("--report", action="store_true", help="print the last run's scores without running")
    args = ap.parse_args()
    os.chdir(ROOT)
    modules = args.modules.split(",")
    unknown = set(modules) - set(MODULES)
    if unknown:
        ap.error(f"unknown modules {sorted(unknown)}; choose from {','.join(MODULES)}")
    seconds = None
    if not args.report:
        names = [n for m in modules for n in sampled(module_mutants(m), args.sample)]
        if args.survivors:  # after new tests: the last run's survivors again, but not those listed as equivalent
            status, equivalents = statuses(modules), load_equivalents()
            names = [
                n
                for n in names
                if status.get(n, "not checked") not in KILLED
                and not (status.get(n) == "survived" and is_equivalent(n, equivalents))
            ]
        else:
            shutil.rmtree(ROOT / "mutants", ignore_errors=True)  # a fresh, reproducible run
        if names:
            seconds = run_mutmut(names, args.workers)
    return report(modules, args.sample, seconds)


if __name__ == "__main__":
    sys.exit(main())
