"""The pipelines of the commands that decide, one plain function each: the CLI only calls them and prints.

Each loads its inputs once (`plan.load_inputs`), captures the resource graph once (in worker
processes and from the capture cache, as `Capture` says) and hands the loaded objects down;
nothing is written and read back within a command.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .capture import default_jobs
from .diff import compute_changes, load_base, write_changes
from .plan import Plan, build_plan, capture, load_inputs
from .policy_gate import GateOutcome, gate_stack, governance_for
from .reports.redact import PlanFile

if TYPE_CHECKING:
    from .live.verify import DriftReport

CACHE_DIR = ".mlops-cache"


@dataclass(frozen=True)
class Capture:
    """How a command captures the graph: worker processes, and the cache folder (None: no cache)."""

    jobs: int
    cache_dir: Path | None

    @classmethod
    def for_project(
        cls, project_dir: Path, *, jobs: int | None = None, cache: bool = True, environ: Mapping[str, str] = os.environ
    ) -> Capture:
        """`jobs` workers (default: the machine's cores); the cache in MLOPS_CACHE_DIR, else `<project>/.mlops-cache`."""
        folder = Path(environ.get("MLOPS_CACHE_DIR") or project_dir / CACHE_DIR) if cache else None
        return cls(jobs=jobs or default_jobs(), cache_dir=folder)


@dataclass(frozen=True)
class PlanRun:
    plan: Plan
    outcome: GateOutcome


def plan_stack(
    project_dir: Path, stack: str, reports_dir: Path, how: Capture, *, live: bool = False
) -> PlanRun:
    """`mlops plan`: load and check every input (governance config included), capture, (with `live`)
    fetch registry facts, gate, report, record."""
    inputs = load_inputs(project_dir, stack)
    governance = governance_for(inputs)
    plan = capture(inputs, jobs=how.jobs, cache_dir=how.cache_dir)
    registry = None
    if live:
        from .live.registry import registry_facts

        registry = registry_facts(plan.stack, plan.specs)
    return PlanRun(plan=plan, outcome=gate_stack(project_dir, plan, reports_dir, registry=registry, governance=governance))



@dataclass(frozen=True)
class DiffRun:
    plan: Plan
    changes: dict[str, Any]
    base_note: str | None
    changes_json: Path
    changes_markdown: Path
    outcome: GateOutcome


def diff_stack(project_dir: Path, stack: str, base: str, reports_dir: Path, how: Capture) -> DiffRun:
    """`mlops diff`: the stack's plan against a base plan (a plan.json or a git ref), gated with the changes."""
    # The current inputs first and the base second: both fail fast, before any program runs.
    inputs = load_inputs(project_dir, stack)
    governance = governance_for(inputs)
    environ = {**os.environ, "MLOPS_CACHE_DIR": str(how.cache_dir)} if how.cache_dir else os.environ
    base_plan = load_base(project_dir, stack, base, environ)
    current = capture(inputs, jobs=how.jobs, cache_dir=how.cache_dir)
    # Compare redacted plans: every plan.json, the base's included, has its secrets redacted.
    plan_file = PlanFile.of(current)
    changes = compute_changes(base_plan.plan, plan_file.document, base_plan.label)
    json_path, md_path = write_changes(changes, reports_dir, current.stack.environment)
    outcome = gate_stack(project_dir, current, reports_dir, plan_file=plan_file, changes=changes, governance=governance)
    return DiffRun(
        plan=current, changes=changes, base_note=base_plan.note, changes_json=json_path, changes_markdown=md_path, outcome=outcome
    )


def verify_stack(project_dir: Path, stack: str, reports_dir: Path, how: Capture) -> tuple[DriftReport, Path]:
    """`mlops verify`: the plan against what is deployed, per resource; the drift report and where it went."""
    from .live.verify import verify_plan, write_drift_report

    report = verify_plan(build_plan(project_dir, stack, jobs=how.jobs, cache_dir=how.cache_dir))
    return report, write_drift_report(report, reports_dir)
