"""Offline plan: the resource graph one stack would deploy, as a deterministic JSON document."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import offline
from .errors import InputError
from .policy_input import attribute_models, resource_entry
from .specs.loader import LoadedSpec, load_specs, load_stack_settings, plain, read_yaml, secret_ref_problems
from .specs.stack import StackConfig

PLAN_FORMAT_VERSION = 1


@dataclass(frozen=True)
class Plan:
    project: str
    stack: StackConfig
    specs: list[LoadedSpec]
    resources: list[dict[str, Any]]
    # Spec files whose evaluated content is not what is on disk (a pin `mlops promote` is trying):
    # their bytes, so report metadata hashes what was gated.
    spec_overrides: Mapping[Path, bytes] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "formatVersion": PLAN_FORMAT_VERSION,
            "project": self.project,
            "stack": self.stack.stack,
            "environment": self.stack.environment,
            "region": self.stack.region,
            "resources": self.resources,
        }

    def counts_by_model(self) -> dict[str, Counter]:
        """Custom resources per model (platform resources under 'shared') and per type."""
        counts: dict[str, Counter] = {}
        for r in self.resources:
            if r["custom"]:
                counts.setdefault(r["model"] or "shared", Counter())[r["type"]] += 1
        return dict(sorted(counts.items()))


def project_name(project_dir: Path) -> str:
    source = read_yaml(project_dir / "Pulumi.yaml")
    name = (plain(source.data) or {}).get("name") if isinstance(source.data, dict) else None
    if not isinstance(name, str) or not name:
        raise InputError(f"{project_dir / 'Pulumi.yaml'}:1: name: the project needs a name")
    return name


@dataclass(frozen=True)
class PlanInputs:
    """Everything the program reads, validated before it runs."""

    project_dir: Path
    project: str
    stack: StackConfig
    specs: list[LoadedSpec]
    config: dict[str, Any]


def load_inputs(project_dir: Path, stack_name: str) -> PlanInputs:
    """Project name, stack config and model specs; every user error surfaces here as InputError."""
    project = project_name(project_dir)
    stack, config = load_stack_settings(project_dir, stack_name)
    specs = load_specs(project_dir / stack.models_dir, stack.environment, stack.name_prefix)
    problems = secret_ref_problems(specs, config, project=project, stack=stack_name, environment=stack.environment)
    if problems:
        raise InputError(
            f"{project_dir / f'Pulumi.{stack_name}.yaml'}: secrets the model specs reference are not set as secrets", problems=problems
        )
    return PlanInputs(project_dir=project_dir, project=project, stack=stack, specs=specs, config=config)


def capture(inputs: PlanInputs) -> Plan:
    """Run the program under mocks and capture every resource it declares."""
    stack = inputs.stack
    captured = offline.run_entry_point(inputs.project_dir, inputs.project, stack.stack, stack.region, inputs.config)
    resources = [
        {"custom": r.custom, **resource_entry(r.urn, r.type, r.name, r.parent, r.dependencies, r.inputs)} for r in captured
    ]
    attribute_models(resources)
    return Plan(project=inputs.project, stack=stack, specs=inputs.specs, resources=resources)


def build_plan(project_dir: Path, stack_name: str) -> Plan:
    """Validate the inputs, run the program under mocks and capture every resource."""
    return capture(load_inputs(project_dir, stack_name))


def render_json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_plan(plan: Plan, reports_dir: Path) -> Path:
    """Write `reports/<stack>/plan.json`, with every secret value and secret environment variable redacted."""
    from .reports.redact import redacted_plan  # the reports package imports this module

    out = reports_dir / plan.stack.stack / "plan.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_json(redacted_plan(plan)), encoding="utf-8")
    return out
