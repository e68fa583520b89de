"""Benchmark of the CrossGuard policy pack as the Pulumi engine drives it, beside its floors.

Usage: .venv/bin/python bench/bench_pack.py [--stacks dev unready-prod] [--runs 3]

For each case, the pack is started exactly as `pulumi up --policy-pack policies` starts it
(`python -u -m pulumi.policy <engine> .`, tests/engine_harness.py) and driven through an update:
Handshake … Configure, `Analyze` per resource, `AnalyzeStack`. Printed beside:
- start-up floor: a Python interpreter importing pulumi_policy and grpc, what any Python pack pays;
- Analyze floor: one embedded-engine evaluation of an empty document on a one-rule module (the
  engine's fixed cost per call);
- the offline gate's policy stage on the same stack (`mlops plan`, in-process).
Figures are printed, never asserted: these machines are noisy.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "infra"))

from tests.conftest import copy_project  # noqa: E402
from tests.engine_harness import drive, resources_from_plan, summarize_timings  # noqa: E402


def _project(root: Path, case: str) -> tuple[Path, str]:
    if case == "unready-prod":
        project = copy_project(root / case, models=False)
        shutil.copytree(REPO / "tests" / "fixtures" / "unready-prod", project / "models", dirs_exist_ok=True)
        return project, "prod"
    return copy_project(root / case), case


def _startup_floor() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import grpc, pulumi_policy"], check=True)
    return time.perf_counter() - started


def _analyze_floor() -> float:
    from mlops.governance.regorus_worker import run_in_child

    job = {"modules": [["floor.rego", "package floor\nimport rego.v1\ndeny contains 1 if false\n"]], "data": {}, "document": {},
           "rules": ["data.floor.deny"]}
    started = time.perf_counter()
    run_in_child(job, 30)
    return time.perf_counter() - started


def _offline_policy_stage(project: Path, stack: str) -> float:
    from mlops.plan import capture, load_inputs
    from mlops.policy_gate import run_gate

    inputs = load_inputs(project, stack)
    plan = capture(inputs, jobs=1, cache_dir=None)
    started = time.perf_counter()
    run_gate(project, plan)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stacks", nargs="+", default=["dev", "unready-prod"])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from mlops.plan import capture, load_inputs

    root = Path(tempfile.mkdtemp(prefix="bench-pack-"))
    try:
        floor_start = statistics.median(_startup_floor() for _ in range(args.runs))
        floor_call = statistics.median(_analyze_floor() for _ in range(args.runs))
        print(f"floors: interpreter + pulumi_policy import {floor_start:.2f} s; one embedded-engine call {floor_call * 1000:.0f} ms")
        print(f"{'case':<14}{'start-up s':>11}{'x floor':>9}{'Analyze mean ms':>17}{'max ms':>8}{'x floor':>9}"
              f"{'Analyze all s':>15}{'AnalyzeStack s':>16}{'offline gate s':>16}")
        for case in args.stacks:
            project, stack = _project(root, case)
            plan = capture(load_inputs(project, stack), jobs=1, cache_dir=None)
            resources = resources_from_plan(plan.to_dict(), preview=False)
            runs = [summarize_timings(drive(project / "policies", project, stack, preview=False, resources=resources).timings)
                    for _ in range(args.runs)]
            median = {k: statistics.median(r.get(k, 0.0) for r in runs) for k in runs[0]}
            offline = statistics.median(_offline_policy_stage(project, stack) for _ in range(args.runs))
            start, mean, worst = median.get("startup", 0.0), median.get("analyze_mean", 0.0), median.get("analyze_max", 0.0)
            print(f"{case:<14}{start:>11.2f}{start / floor_start:>8.1f}x{mean * 1000:>17.0f}{worst * 1000:>8.0f}"
                  f"{mean / floor_call:>8.1f}x{median.get('analyze_total', 0.0):>15.2f}{median.get('analyze_stack_total', 0.0):>16.2f}"
                  f"{offline:>16.2f}")
        print(f"({len(resources)} resources in the last case; medians of {args.runs} runs)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
