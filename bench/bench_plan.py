"""Benchmark of `mlops plan` against the Pulumi mock-runtime floor: cold, warm and one-model-edited
plans of N synthetic models, timed per stage, with peak memory per process.

Usage: .venv/bin/python bench/bench_plan.py [--models 3 30 100] [--with-1000] [--jobs N] [--stack dev]

For each size, in separate processes (so peak memory is each process's own):
- floor: a plain Pulumi program under `set_mocks` that registers the same resources (type, name,
  parent, inputs) with CustomResource/ComponentResource and nothing else, in this same venv;
  floor-gc: the same with Python's cyclic collector off, as mlops's capture workers run;
- cold: `mlops plan --no-cache` (every model's program run, in --jobs worker processes);
- warm: `mlops plan` with every model's subgraph in the capture cache;
- edited: `mlops plan` after one model's spec changed (that model recaptured, the rest cached).
Wall times are whole processes, start-up included. Figures are printed, never asserted: these
machines are noisy.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TEMPLATES = ("fraud-detector", "churn-predictor", "ticket-router")


def make_project(root: Path, count: int) -> Path:
    """A project with `count` specs: the examples themselves for 3, else copies cycled from them."""
    for item in REPO.glob("Pulumi*.yaml"):
        shutil.copy(item, root / item.name)
    (root / "infra").mkdir()
    shutil.copy(REPO / "infra" / "__main__.py", root / "infra" / "__main__.py")
    shutil.copytree(REPO / "policies", root / "policies", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "models").mkdir()
    for i in range(count):
        template = TEMPLATES[i % len(TEMPLATES)]
        name = template if count <= len(TEMPLATES) else f"{template}-{i:04d}"
        text = (REPO / "models" / f"{template}.yaml").read_text()
        (root / "models" / f"{name}.yaml").write_text(text.replace(f"name: {template}\n", f"name: {name}\n", 1))
    return root


def peak_mib() -> dict[str, float]:
    """Peak resident memory of this process and of the largest worker it waited for."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"self": round(own, 1), "worker": round(workers, 1)}


def run_plan(project: Path, stack: str, jobs: int, cache: bool) -> dict:
    """One `mlops plan`, stage by stage, exactly as the command runs it."""
    started = time.perf_counter()
    from mlops import plan as plan_module
    from mlops import policy_gate
    from mlops.workflow import Capture

    stages: dict[str, float] = {"imports": time.perf_counter() - started}
    how = Capture.for_project(project, jobs=jobs, cache=cache)
    evaluation = {"seconds": 0.0}
    real_run_gate = policy_gate.run_gate

    def timed_run_gate(*args, **kwargs):
        start = time.perf_counter()
        try:
            return real_run_gate(*args, **kwargs)
        finally:
            evaluation["seconds"] += time.perf_counter() - start

    policy_gate.run_gate = timed_run_gate
    start = time.perf_counter()
    inputs = plan_module.load_inputs(project, stack)
    stages["input loading"] = time.perf_counter() - start
    start = time.perf_counter()
    result = plan_module.capture(inputs, jobs=how.jobs, cache_dir=how.cache_dir)
    stages["program (capture)"] = time.perf_counter() - start
    start = time.perf_counter()
    outcome = policy_gate.gate_stack(project, result, project / "reports")
    gate_total = time.perf_counter() - start
    stages["policy evaluation"] = evaluation["seconds"]
    stages["reports + ledger"] = gate_total - evaluation["seconds"]
    return {
        "resources": len(result.resources),
        "decision": outcome.result.decision,
        "stages": stages,
        "peak_mib": peak_mib(),
    }


def run_floor(plan_path: Path, collector_off: bool) -> dict:
    """The floor: the plan's resources registered by a plain program under Pulumi's mocks
    (with `collector_off`, with Python's cyclic collector off, as mlops's workers run)."""
    started = time.perf_counter()
    import pulumi

    imported = time.perf_counter() - started

    class Mocks(pulumi.runtime.Mocks):
        def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
            return f"{args.name}-id", dict(args.inputs)

        def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
            return {}

    document = json.loads(plan_path.read_text(encoding="utf-8"))
    resources = document["resources"]
    by_urn = {r["urn"]: r for r in resources}

    def depth(r: dict) -> int:
        level = 0
        while r.get("parent") in by_urn:
            r, level = by_urn[r["parent"]], level + 1
        return level

    ordered = sorted(resources, key=lambda r: (depth(r), r["urn"]))

    def program() -> None:
        objects: dict[str, pulumi.Resource] = {}
        for r in ordered:
            opts = pulumi.ResourceOptions(parent=objects.get(r["parent"])) if r.get("parent") else None
            if r["custom"]:
                objects[r["urn"]] = pulumi.CustomResource(r["type"], r["name"], dict(r["inputs"]), opts)
            else:
                objects[r["urn"]] = pulumi.ComponentResource(r["type"], r["name"], None, opts)

    pulumi.runtime.set_mocks(Mocks(), project=document["project"], stack=document["stack"], preview=False)
    if collector_off:
        gc.disable()
    start = time.perf_counter()
    from pulumi.runtime.sync_await import _sync_await

    _sync_await(pulumi.runtime.stack.run_pulumi_func(program))
    return {
        "resources": len(resources),
        "stages": {"imports": imported, "program": time.perf_counter() - start},
        "peak_mib": peak_mib(),
    }


def in_process(args: list[str]) -> tuple[dict, float]:
    """Run this script's `--one` mode in a fresh process: its figures and its whole wall time."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, env={**os.environ, "MLOPS_CACHE_DIR": ""})
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"bench step {args} failed (exit {done.returncode}):\n{done.stderr.strip()[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1]), wall


def edit_one_model(project: Path) -> None:
    spec = sorted((project / "models").glob("*.yaml"))[0]
    text = spec.read_text()
    spec.write_text(text.replace("description: ", "description: Edited. ", 1))


def report(count: int, rows: list[tuple[str, dict, float]], floor_wall: float) -> None:
    print(f"\n{count} models, {rows[0][1]['resources']} resources")
    print(f"  {'run':<8} {'wall s':>7} {'x floor':>7}  {'peak MiB (process / largest worker)':<36} stages (s)")
    for label, figures, wall in rows:
        peak = figures["peak_mib"]
        stages = ", ".join(f"{name} {seconds:.2f}" for name, seconds in figures["stages"].items())
        ratio = f"{wall / floor_wall:>6.2f}x"
        print(f"  {label:<8} {wall:>7.2f} {ratio}  {peak['self']:>8.0f} / {peak['worker']:<25.0f} {stages}")
        if "policy evaluation" in figures["stages"]:
            share = figures["stages"]["policy evaluation"] / wall
            print(f"  {'':<8} policy stage {share:.1%} of the wall time; decision {figures['decision']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, nargs="+", default=[3, 30, 100])
    parser.add_argument("--with-1000", action="store_true", help="also 1000 models (about 10 minutes)")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: the machine's cores)")
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--one", choices=["plan", "floor", "floor-gc"], help=argparse.SUPPRESS)
    parser.add_argument("--project", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--no-cache", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one == "plan":
        print(json.dumps(run_plan(args.project, args.stack, args.jobs or 0, not args.no_cache)))
        return
    if args.one in ("floor", "floor-gc"):
        print(json.dumps(run_floor(args.project / "reports" / args.stack / "plan.json", args.one == "floor-gc")))
        return
    jobs = args.jobs or len(os.sched_getaffinity(0))
    print(f"mlops plan --stack {args.stack}, {jobs} jobs, {os.cpu_count()} cores; wall = whole process, start-up included")
    for count in [*args.models, *([1000] if args.with_1000 else [])]:
        with tempfile.TemporaryDirectory() as tmp:
            project = make_project(Path(tmp), count)
            common = ["--project", str(project), "--stack", args.stack, "--jobs", str(jobs)]
            cold = in_process(["--one", "plan", *common, "--no-cache"])
            floor = in_process(["--one", "floor", *common])
            floor_gc = in_process(["--one", "floor-gc", *common])
            in_process(["--one", "plan", *common])  # fills the cache
            warm = in_process(["--one", "plan", *common])
            edit_one_model(project)
            edited = in_process(["--one", "plan", *common])
            report(count, [("floor", *floor), ("floor-gc", *floor_gc), ("cold", *cold), ("warm", *warm), ("edited", *edited)], floor[1])


if __name__ == "__main__":
    main()
