"""Checks specs and stack files for `mlops validate`, and exports the spec format's JSON Schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import InputError
from .plan import project_name
from .specs.loader import load_specs, load_stack_settings, secret_ref_problems, stack_names
from .specs.model import ENVIRONMENTS, ModelSpec


def project_stacks(project_dir: Path) -> list[str]:
    names = stack_names(project_dir)
    if not names:
        raise InputError(f"{project_dir}: no Pulumi.<stack>.yaml files; create one per environment")
    return names


def validate_project(project_dir: Path, stack: str | None = None) -> list[tuple[str, str, int]]:
    """(stack, environment, model count) per valid stack; every problem of every stack in one error."""
    results, problems = [], []
    names = [stack] if stack else project_stacks(project_dir)
    project = project_name(project_dir)
    for name in names:
        try:
            stack_file = load_stack_settings(project_dir, name)
            config, raw = stack_file.settings, stack_file.config
            specs = load_specs(project_dir / config.models_dir, config.environment, config.name_prefix)
        except InputError as e:
            problems.extend(e.problems or [e.message])
            continue
        secrets = secret_ref_problems(specs, raw, project=project, stack=name, environment=config.environment)
        if secrets:
            problems.extend(secrets)
            continue
        results.append((name, config.environment, len(specs)))
    if problems:
        unique = list(dict.fromkeys(problems))
        raise InputError(f"{len(unique)} problem(s) found", problems=unique)
    return results


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
