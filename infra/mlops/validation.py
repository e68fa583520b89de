"""Checks specs, stack files and governance files for `mlops validate`, and exports the spec format's JSON Schema."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

from .errors import InputError, MlopsError
from .governance.bundle import PolicyBundle, load_bundle
from .governance.enforcement import load_enforcement
from .governance.waivers import load_waivers
from .plan import project_name
from .specs.loader import load_specs, load_stack_settings, secret_ref_problems, stack_names
from .specs.model import ENVIRONMENTS, ModelSpec


def project_stacks(project_dir: Path) -> list[str]:
    names = stack_names(project_dir)
    if not names:
        raise InputError(f"{project_dir}: no Pulumi.<stack>.yaml files; create one per environment")
    return names


def validate_project(project_dir: Path, stack: str | None = None) -> list[tuple[str, str, int]]:
    """(stack, environment, model count) per valid stack; every problem of every stack, model spec and
    governance file in one error."""
    results, problems = [], []
    names = [stack] if stack else project_stacks(project_dir)
    project = project_name(project_dir)
    # The models waivers may name: those of every stack checked, unless a spec did not load
    # (its model may well be the one a waiver names).
    models: set[str] | None = set()
    for name in names:
        try:
            stack_file = load_stack_settings(project_dir, name)
            config, raw = stack_file.settings, stack_file.config
            specs = load_specs(project_dir / config.models_dir, config.environment, config.name_prefix)
        except InputError as e:
            problems.extend(e.problems or [e.message])
            models = None
            continue
        if models is not None:
            models.update(item.spec.name for item in specs)
        secrets = secret_ref_problems(specs, raw, project=project, stack=name, environment=config.environment)
        if secrets:
            problems.extend(secrets)
            continue
        results.append((name, config.environment, len(specs)))
    problems.extend(governance_problems(project_dir, models))
    if problems:
        unique = list(dict.fromkeys(problems))
        raise InputError(f"{len(unique)} problem(s) found", problems=unique)
    return results


def governance_problems(project_dir: Path, models: Collection[str] | None) -> list[str]:
    """Every problem of the policies' METADATA and data, enforcement.yaml and waivers.yaml, read as
    `mlops plan` reads them; policy ids are checked against the policies only when those load."""
    policies_dir = project_dir / "policies"
    problems: list[str] = []
    bundle: PolicyBundle | None = None
    try:
        bundle = load_bundle(policies_dir)
    except MlopsError as e:
        problems.extend(e.problems or [e.message])
    try:
        load_enforcement(policies_dir / "enforcement.yaml", bundle)
    except InputError as e:
        problems.extend(e.problems or [e.message])
    try:
        load_waivers(policies_dir / "waivers.yaml", bundle, models)
    except InputError as e:
        problems.extend(e.problems or [e.message])
    return problems


def spec_json_schema() -> dict[str, Any]:
    """The schema of a spec file: a ModelSpec plus per-environment partial overrides."""
    schema = ModelSpec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "mlops model spec"
    schema["properties"]["environments"] = {
        "type": "object",
        "description": "Per-environment overrides, deep-merged onto the spec (lists replace).",
        "properties": {env: {"type": "object"} for env in ENVIRONMENTS},
        "additionalProperties": False,
    }
    return schema
