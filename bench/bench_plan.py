"""Benchmark of the offline plan and gate: N synthetic models, timed per stage, with peak memory.

Usage: .venv/bin/python bench/bench_plan.py [--models 10 100 1000] [--stack dev]

Each size runs in its own process so its peak resident memory is its own. Figures are printed,
never asserted: these machines are noisy.
"""

from __future__ import annotations

import argparse
import hashlib
import json
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
    """A project with `count` specs cycled from the examples, each under its own name."""
    for item in REPO.glob("Pulumi*.yaml"):
        shutil.copy(item, root / item.name)
    (root / "infra").mkdir()
    shutil.copy(REPO / "infra" / "__main__.py", root / "infra" / "__main__.py")
    shutil.copytree(REPO / "policies", root / "policies", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "models").mkdir()
    for i in range(count):
        template = TEMPLATES[i % len(TEMPLATES)]
        name = f"{template}-{i:04d}"
        text = (REPO / "models" / f"{template}.yaml").read_text()
        (root / "models" / f"{name}.yaml").write_text(text.replace(f"name: {template}\n", f"name: {name}\n", 1))
    return root


def run_one(count: int, stack: str) -> dict:
    from mlops import plan, policy_gate, reports
    from mlops.audit import ledger

    with tempfile.TemporaryDirectory() as tmp:
        project = make_project(Path(tmp), count)
        stages = {}
        start = time.perf_counter()
        inputs = plan.load_inputs(project, stack)
        stages["spec loading"] = time.perf_counter() - start

        start = time.perf_counter()
        result = plan.capture(inputs)
        stages["program under mocks"] = time.perf_counter() - start

        start = time.perf_counter()
        gate = policy_gate.run_gate(project, result)
        stages["policy evaluation"] = time.perf_counter() - start

        start = time.perf_counter()
        out_dir = project / "reports" / stack
        plan_path = plan.write_plan(result, project / "reports")
        document = reports.build_report(gate.to_dict(), plan=result, project_dir=project, plan_path=plan_path, changes=None)
        reports.write_reports(document, out_dir)
        stages["reports (5 formats)"] = time.perf_counter() - start

        start = time.perf_counter()
        data = (out_dir / "policy-report.json").read_bytes()
        ledger.append_entry(
            project / "reports" / "audit-ledger.jsonl",
            ledger.gate_entry(document, out_dir / "policy-report.json", hashlib.sha256(data).hexdigest(), "bench"),
        )
        stages["ledger append"] = time.perf_counter() - start

    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "models": count,
        "resources": len(result.resources),
        "violations": len(gate.violations),
        "stages": stages,
        "peak_mib": round(peak_kib / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(run_one(args.one, args.stack)))
        return
    print(f"{'models':>6} {'resources':>9}  {'stage':<20} {'seconds':>8} {'resources/s':>12}  {'peak MiB':>8}")
    for count in args.models:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(count), "--stack", args.stack], capture_output=True, text=True
        )
        if out.returncode != 0:
            print(f"{count:>6} models: failed (exit {out.returncode})\n{out.stderr.strip()}")
            continue
        figures = json.loads(out.stdout.strip().splitlines()[-1])
        total = sum(figures["stages"].values())
        for i, (stage, seconds) in enumerate([*figures["stages"].items(), ("total", total)]):
            rate = figures["resources"] / seconds if seconds else float("inf")
            lead = f"{figures['models']:>6} {figures['resources']:>9}" if i == 0 else " " * 16
            peak = f"{figures['peak_mib']:>8}" if i == 0 else ""
            print(f"{lead}  {stage:<20} {seconds:>8.3f} {rate:>12,.0f}  {peak}")
        policy_share = figures["stages"]["policy evaluation"] / total
        print(f"{'':16}  policy stage share of total: {policy_share:.1%}; violations: {figures['violations']}")


if __name__ == "__main__":
    main()
