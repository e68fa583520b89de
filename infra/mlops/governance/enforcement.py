"""Enforcement levels per environment and severity, with per-policy overrides (policies/enforcement.yaml)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, create_model

from ..errors import InputError
from ..specs.loader import plain, read_yaml, validation_problems
from ..specs.model import ENVIRONMENTS, Strict
from .bundle import SEVERITIES, PolicyBundle, PolicyMeta

# CrossGuard's vocabulary, so the offline gate and the policy pack mean the same thing.
Level = Literal["mandatory", "advisory", "disabled"]


@dataclass(frozen=True)
class Enforcement:
    """Which level each policy is enforced at in each environment."""

    defaults: dict[str, dict[str, str]]
    overrides: dict[str, dict[str, str]]

    def level(self, policy: PolicyMeta, environment: str) -> str:
        if environment not in self.defaults:
            raise InputError(f"environment '{environment}' has no enforcement levels; expected one of: {', '.join(self.defaults)}")
        return self.overrides.get(policy.id, {}).get(environment) or self.defaults[environment][policy.severity]


def _keyed(name: str, keys: Iterable[str], value: Any, *, required: bool) -> type[Strict]:
    """A model with one field per key, each holding a `value`. The keys are aliases because policy
    ids are no Python names; the field names (`key_0`, ...) can never be policy ids (no `_`)."""
    fields: dict[str, Any] = {
        f"key_{i}": (value, Field(alias=key)) if required else (value | None, Field(None, alias=key)) for i, key in enumerate(keys)
    }
    return create_model(name, __base__=Strict, **fields)


_SeverityLevels = _keyed("SeverityLevels", SEVERITIES, Level, required=True)
_Defaults = _keyed("Defaults", ENVIRONMENTS, _SeverityLevels, required=True)
_EnvironmentLevels = _keyed("EnvironmentLevels", ENVIRONMENTS, Level, required=False)


# Building a model takes milliseconds, far longer than validating a file with it; a process
# loads one bundle's worth of policy ids.
@lru_cache(maxsize=8)
def _file_model(policy_ids: tuple[str, ...]) -> type[Strict]:
    """The model of enforcement.yaml: levels per environment and severity, and overrides keyed by these policy ids."""
    overrides = _keyed("PolicyLevels", policy_ids, _EnvironmentLevels, required=False)
    return create_model("EnforcementFile", __base__=Strict, defaults=(_Defaults, ...), policies=(overrides | None, None))


def load_enforcement(path: Path, bundle: PolicyBundle | None) -> Enforcement:
    """Read and check enforcement.yaml against the bundle's policy ids; all problems are reported together, with file:line.

    Without a bundle (`mlops validate` when the policies do not load) the policy ids are not checked.
    """
    source = read_yaml(path)
    raw = plain(source.data)
    if not isinstance(raw, dict) or "defaults" not in raw:
        raise InputError(
            f"{path}:1: expected a mapping with 'defaults' (per environment, per severity) and 'policies' (per-policy overrides)"
        )
    # Without a bundle every id the file names counts as known, so that only its levels are checked.
    named = raw.get("policies")
    model = _file_model(tuple(bundle.policy_ids if bundle else named if isinstance(named, dict) else ()))
    try:
        levels = model.model_validate(raw).model_dump(by_alias=True, exclude_none=True)
    except ValidationError as e:
        raise InputError(f"{path}: invalid enforcement levels", problems=validation_problems(e, model, source)) from e
    return Enforcement(defaults=levels["defaults"], overrides=levels.get("policies", {}))
