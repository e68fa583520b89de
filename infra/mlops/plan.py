"""Offline plan: the resource graph one stack would deploy, as a deterministic JSON document."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .capture import capture_resources
from .errors import InputError
from .policy_input import attribute_models, resource_entry
from .specs.loader import (
    LoadedSpec,
    StackFile,
    load_specs,
    load_stack_settings,
    parse_yaml,
    plain,
    read_yaml,
    secret_ref_problems,
    spec_from_source,
)
from .specs.stack import StackConfig

PLAN_FORMAT_VERSION = 1


@dataclass(frozen=True)
class PlanInputs:
    """Every input file a plan reads, each read and parsed once and validated before the program runs."""

    project_dir: Path
    project: str
    stack_file: StackFile
    specs: list[LoadedSpec]

    @property
    def stack(self) -> StackConfig:
        return self.stack_file.settings

    @property
    def config(self) -> dict[str, Any]:
        return self.stack_file.config


    def with_spec(self, path: Path, raw: bytes) -> PlanInputs:
        """These inputs with one spec file's content replaced by `raw` (a pin `mlops promote` tries),
        parsed and validated as if it were on disk; nothing is copied or written."""
        environment = self.stack.environment
        source = parse_yaml(path, raw)
        replaced = LoadedSpec(spec=spec_from_source(source, environment), source=path, file=source)
        if not any(item.source == path for item in self.specs):
            raise InputError(f"{path}: not one of the stack's model specs")
        specs = [replaced if item.source == path else item for item in self.specs]
        return PlanInputs(project_dir=self.project_dir, project=self.project, stack_file=self.stack_file, specs=specs)


@dataclass(frozen=True)
class Plan:
    """The inputs and the resources the program declared from them."""

    inputs: PlanInputs
    resources: list[dict[str, Any]]

    @property
    def project(self) -> str:
        return self.inputs.project

    @property
    def stack(self) -> StackConfig:
        return self.inputs.stack

    @property
    def specs(self) -> list[LoadedSpec]:
        return self.inputs.specs

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


def load_inputs(project_dir: Path, stack_name: str, stack_file: StackFile | None = None) -> PlanInputs:
    """Project name, stack file (unless already read) and model specs; every user error surfaces here as InputError."""
    project = project_name(project_dir)
    stack_file = stack_file or load_stack_settings(project_dir, stack_name)
    stack = stack_file.settings
    specs = load_specs(project_dir / stack.models_dir, stack.environment, stack.name_prefix)
    problems = secret_ref_problems(specs, stack_file.config, project=project, stack=stack_name, environment=stack.environment)
    if problems:
        raise InputError(
            f"{stack_file.source.path}: secrets the model specs reference are not set as secrets", problems=problems
        )
    return PlanInputs(project_dir=project_dir, project=project, stack_file=stack_file, specs=specs)


def capture(inputs: PlanInputs, *, jobs: int = 1, cache_dir: Path | None = None) -> Plan:
    """Run the program under mocks and capture every resource it declares.

    `jobs` worker processes share the models; `cache_dir` holds per-model subgraphs reused while
    everything they depend on is unchanged. Either way the result is what one cold run gives.
    """
    captured = capture_resources(inputs, jobs=jobs, cache_dir=cache_dir)
    resources = [
        {"custom": r.custom, **resource_entry(r.urn, r.type, r.name, r.parent, r.dependencies, r.inputs)} for r in captured
    ]
    attribute_models(resources)
    return Plan(inputs=inputs, resources=resources)


def build_plan(project_dir: Path, stack_name: str, *, jobs: int = 1, cache_dir: Path | None = None) -> Plan:
    """Validate the inputs, run the program under mocks and capture every resource."""
    return capture(load_inputs(project_dir, stack_name), jobs=jobs, cache_dir=cache_dir)


def render_json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
