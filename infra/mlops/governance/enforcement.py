"""Enforcement levels per environment and severity, with per-policy overrides (policies/enforcement.yaml)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..specs.loader import SourceFile, format_path, plain, read_yaml
from ..specs.model import ENVIRONMENTS
from .bundle import SEVERITIES, PolicyBundle, PolicyMeta

# CrossGuard's vocabulary, so the offline gate and the policy pack mean the same thing.
LEVELS: tuple[str, ...] = ("mandatory", "advisory", "disabled")


@dataclass(frozen=True)
class Enforcement:
    """Which level each policy is enforced at in each environment."""

    defaults: dict[str, dict[str, str]]
    overrides: dict[str, dict[str, str]]

    def level(self, policy: PolicyMeta, environment: str) -> str:
        if environment not in self.defaults:
            raise InputError(f"environment '{environment}' has no enforcement levels; expected one of: {', '.join(self.defaults)}")
        return self.overrides.get(policy.id, {}).get(environment) or self.defaults[environment][policy.severity]


def load_enforcement(path: Path, bundle: PolicyBundle) -> Enforcement:
    """Read and check enforcement.yaml against the bundle's policy ids; all problems are reported together."""
    source = read_yaml(path)
    raw = plain(source.data)
    if not isinstance(raw, dict) or "defaults" not in raw:
        raise InputError(
            f"{path}:1: expected a mapping with 'defaults' (per environment, per severity) and 'policies' (per-policy overrides)"
        )
    problems = [
        _problem(source, (key,), "unknown key; expected 'defaults' or 'policies'") for key in raw if key not in ("defaults", "policies")
    ]
    defaults = _defaults(source, raw["defaults"], problems)
    overrides: dict[str, dict[str, str]] = {}
    policies = {} if raw.get("policies") is None else raw["policies"]
    if not isinstance(policies, dict):
        problems.append(_problem(source, ("policies",), "expected a mapping of policy id to {environment: level}"))
        policies = {}
    for policy_id, per_environment in policies.items():
        if bundle.policy(policy_id) is None:
            problems.append(_problem(source, ("policies", policy_id), f"unknown policy id; known ids: {', '.join(bundle.policy_ids)}"))
            continue
        overrides[policy_id] = _flat(source, ("policies", policy_id), per_environment, "environment", ENVIRONMENTS, problems)
    if problems:
        raise InputError(f"{path}: invalid enforcement levels", problems=problems)
    return Enforcement(defaults=defaults, overrides=overrides)


def _defaults(source: SourceFile, node: Any, problems: list[str]) -> dict[str, dict[str, str]]:
    at = ("defaults",)
    if not isinstance(node, dict):
        problems.append(_problem(source, at, f"expected a mapping of {', '.join(ENVIRONMENTS)} to per-severity levels"))
        return {}
    defaults = {}
    for environment, value in node.items():
        if environment not in ENVIRONMENTS:
            problems.append(_problem(source, (*at, environment), f"unknown environment; expected one of: {', '.join(ENVIRONMENTS)}"))
            continue
        defaults[environment] = _flat(source, (*at, environment), value, "severity", SEVERITIES, problems)
        missing = [s for s in SEVERITIES if s not in value] if isinstance(value, dict) else []
        if missing:
            problems.append(_problem(source, (*at, environment), f"missing level for severity {', '.join(missing)}"))
    missing = [e for e in ENVIRONMENTS if e not in node]
    if missing:
        problems.append(_problem(source, at, f"missing environment {', '.join(missing)}; every environment needs levels"))
    return defaults


def _flat(source: SourceFile, at: tuple[str, ...], node: Any, noun: str, keys: tuple[str, ...], problems: list[str]) -> dict[str, str]:
    """A `{key: level}` mapping whose keys come from `keys`."""
    if not isinstance(node, dict):
        problems.append(_problem(source, at, f"expected a mapping of {noun} ({', '.join(keys)}) to a level ({', '.join(LEVELS)})"))
        return {}
    flat = {}
    for key, level in node.items():
        if key not in keys:
            problems.append(_problem(source, (*at, key), f"unknown {noun}; expected one of: {', '.join(keys)}"))
        elif level not in LEVELS:
            problems.append(_problem(source, (*at, key), f"unknown level {level!r}; expected one of: {', '.join(LEVELS)}"))
        else:
            flat[key] = level
    return flat


def _problem(source: SourceFile, at: tuple[str, ...], detail: str) -> str:
    line = source.line_of(at)
    return f"{source.path}:{line or 1}: {format_path(at)}: {detail}"
