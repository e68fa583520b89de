"""Reads model specs and stack files from YAML into typed values, with errors a user can act on."""

from __future__ import annotations

import copy
import types
import typing
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import InputError
from . import safe_yaml
from .model import ENVIRONMENTS, FieldProblem, ModelSpec
from .names import SAGEMAKER_NAME_MAX, resource_name
from .stack import CONFIG_KEYS, StackConfig

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class SourceFile:
    """A parsed YAML file, the line each key path starts on, and the bytes it was parsed from
    (so reports hash exactly what was evaluated, without reading the file again)."""

    path: Path
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)
    raw: bytes = b""

    def line_of(self, path: Path_, overrides: Path_ = ()) -> int | None:
        """The line of `path`: its copy under `overrides` if set there, else the base or its nearest parent."""
        if overrides and (*overrides, *path) in self.lines:
            return self.lines[(*overrides, *path)]
        for prefix in ((), overrides) if overrides else ((),):
            full = (*prefix, *path)
            for cut in range(len(full), len(prefix), -1):
                if full[:cut] in self.lines:
                    return self.lines[full[:cut]]
        return None


@dataclass(frozen=True)
class LoadedSpec:
    """A model spec as deployed to one environment, with where it came from and the file as parsed."""

    spec: ModelSpec
    source: Path
    file: SourceFile


@dataclass(frozen=True)
class StackFile:
    """`Pulumi.<stack>.yaml` read once: its typed settings, its raw `config:` mapping and the file."""

    settings: StackConfig
    config: dict[str, Any]
    source: SourceFile


def read_yaml(path: Path) -> SourceFile:
    """Read and parse a YAML file, keeping line numbers; every problem is an InputError naming file and line."""
    return parse_yaml(path, safe_yaml.read_file(path))


def parse_yaml(path: Path, raw: bytes) -> SourceFile:
    """Parse YAML bytes that stand for `path` (read from it, or a proposed new content)."""
    data, lines = safe_yaml.parse_bytes(path, raw)
    return SourceFile(path=path, data=data, lines=lines, raw=raw)


def plain(node: Any) -> Any:
    """Parsed YAML with every mapping key as text (a key written as a number or date becomes its text)."""
    if isinstance(node, Mapping):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    return node


def merge(base: Any, override: Any) -> Any:
    """Deep-merge mappings; any other override value (lists included) replaces the base."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    return copy.deepcopy(override)


def format_path(path: Iterable[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _allowed_keys(model: type[BaseModel], loc: Path_) -> list[str]:
    """The keys a spec type accepts at `loc`, found by walking the pydantic annotations."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        info = current.model_fields.get(part) or next(
            (f for f in current.model_fields.values() if f.alias == part), None
        )
        if info is None:
            return []
        current = _unwrap(info.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return sorted(f.alias or n for n, f in current.model_fields.items())
    return []


def _unwrap(annotation: Any) -> Any:
    """The BaseModel inside Optional[...] / list[...] / Annotated[...], if any."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, list, typing.Annotated):
        for arg in typing.get_args(annotation):
            found = _unwrap(arg)
            if isinstance(found, type) and issubclass(found, BaseModel):
                return found
    return annotation


def humanize(message: str) -> str:
    """pydantic's wording turned into 'expected …', the way every error here reads."""
    message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    for prefix, replacement in (
        ("Input should be ", "expected "),
        ("String should match pattern ", "expected text matching "),
        ("String should have ", "expected "),
        ("List should have ", "expected "),
    ):
        if message.startswith(prefix):
            return replacement + message.removeprefix(prefix)
    return message


# A rejected value longer than this is quoted by its start and its length, not in full.
MAX_QUOTED = 80


def describe_value(value: Any) -> str:
    """A rejected value as error messages quote it: short values whole, long ones by their start and length."""
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    text = repr(value)
    if len(text) > MAX_QUOTED:
        size = f"{len(value)} characters" if isinstance(value, str) else f"{len(text)} characters written out"
        return f"{text[:MAX_QUOTED]}… ({size})"
    return text


def validation_problems(
    error: ValidationError, model: type[BaseModel], source: SourceFile, overrides: Path_ = ()
) -> list[str]:
    """One line per pydantic error: `file:line: field.path: expected …, found …`."""
    problems = []
    for err in error.errors(include_url=False):
        loc: Path_ = tuple(err["loc"])
        # A cross-field validator's problem belongs to the field it names.
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, FieldProblem):
            loc = loc + cause.path
        line = source.line_of(loc, overrides)
        where = f"{source.path}:{line}" if line else f"{source.path}"
        kind = err["type"]
        if kind == "extra_forbidden":
            allowed = _allowed_keys(model, loc[:-1])
            detail = f"unknown field '{loc[-1]}'; expected one of: {', '.join(allowed)}"
        elif kind == "missing":
            detail = "required field is missing"
        else:
            message = humanize(err["msg"])
            if isinstance(err.get("input"), dict) and kind.startswith("value_error"):
                detail = message
            else:
                detail = f"{message}; found {describe_value(err.get('input'))}"
        problems.append(f"{where}: {format_path(loc)}: {detail}")
    return problems


TOP_LEVEL_KEYS = ("metadata", "feature_groups", "training", "registry", "serving", "monitoring", "environments")


def _spec_for_environment(source: SourceFile, environment: str) -> dict[str, Any]:
    raw = plain(source.data)
    if not isinstance(raw, dict):
        raise InputError(f"{source.path}:1: a model spec must be a mapping with keys {', '.join(TOP_LEVEL_KEYS)}")
    overrides = raw.pop("environments", None) or {}
    if not isinstance(overrides, dict):
        line = source.line_of(("environments",))
        raise InputError(f"{source.path}:{line}: environments: expected a mapping of {', '.join(ENVIRONMENTS)} to overrides")
    unknown = sorted(set(overrides) - set(ENVIRONMENTS))
    if unknown:
        line = source.line_of(("environments", unknown[0]))
        raise InputError(
            f"{source.path}:{line}: environments.{unknown[0]}: unknown environment; expected one of: {', '.join(ENVIRONMENTS)}"
        )
    override = overrides.get(environment) or {}
    if not isinstance(override, dict):
        line = source.line_of(("environments", environment))
        raise InputError(f"{source.path}:{line}: environments.{environment}: expected a mapping of overrides")
    return merge(raw, override)


def load_spec(path: Path, environment: str) -> ModelSpec:
    """One model spec file, merged for one environment and validated."""
    return spec_from_source(read_yaml(path), environment)


def spec_from_source(source: SourceFile, environment: str) -> ModelSpec:
    """A parsed spec file merged for one environment and validated."""
    merged = _spec_for_environment(source, environment)
    try:
        return ModelSpec.model_validate(merged)
    except ValidationError as e:
        problems = validation_problems(e, ModelSpec, source, overrides=("environments", environment))
        raise InputError(f"{source.path}: invalid model spec for environment '{environment}'", problems=problems) from e


def spec_files(models_dir: Path) -> list[Path]:
    if not models_dir.is_dir():
        raise InputError(f"{models_dir}: models directory not found; create it with one <model>.yaml per model")
    files = sorted([*models_dir.glob("*.yaml"), *models_dir.glob("*.yml")])
    if not files:
        raise InputError(f"{models_dir}: no model specs found; add one <model>.yaml per model")
    return files


def load_specs(models_dir: Path, environment: str, name_prefix: str) -> list[LoadedSpec]:
    """Every model spec in a directory for one environment, each file read once; all problems reported together."""
    problems: list[str] = []
    loaded: list[LoadedSpec] = []
    seen: dict[str, Path] = {}
    for path in spec_files(models_dir):
        try:
            source = read_yaml(path)
            spec = spec_from_source(source, environment)
        except InputError as e:
            problems.extend([e.message] if not e.problems else e.problems)
            continue
        if spec.name in seen:
            problems.append(f"{path}: metadata.name: duplicate model name '{spec.name}', already defined in {seen[spec.name]}")
            continue
        if path.stem != spec.name:
            problems.append(f"{path}: metadata.name: '{spec.name}' must match the file name '{path.stem}'; rename one of them")
            continue
        seen[spec.name] = path
        problems.extend(_name_length_problems(path, spec, environment, name_prefix))
        loaded.append(LoadedSpec(spec=spec, source=path, file=source))
    if problems:
        raise InputError(f"{models_dir}: {len(problems)} problem(s) in model specs for environment '{environment}'", problems=problems)
    return loaded


def _name_length_problems(path: Path, spec: ModelSpec, environment: str, prefix: str) -> Iterator[str]:
    longest = resource_name(prefix, environment, spec.name, "mq-schedule")
    if len(longest) > SAGEMAKER_NAME_MAX:
        yield (
            f"{path}: metadata.name: '{spec.name}' is too long for this stack: SageMaker names such as "
            f"'{longest}' would exceed {SAGEMAKER_NAME_MAX} characters; shorten the model name or mlops:namePrefix"
        )
    for group in spec.feature_groups:
        name = resource_name(prefix, environment, spec.name, group.name)
        if len(name) > SAGEMAKER_NAME_MAX + 1:
            yield (
                f"{path}: feature_groups: '{group.name}' gives the feature group name '{name}' "
                f"({len(name)} characters, AWS allows {SAGEMAKER_NAME_MAX + 1}); shorten it"
            )


def stack_names(project_dir: Path) -> list[str]:
    """Stacks with a `Pulumi.<stack>.yaml` in the project, sorted."""
    return sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in project_dir.glob("Pulumi.*.yaml") if p.is_file())


def load_stack_settings(project_dir: Path, stack: str) -> StackFile:
    """`Pulumi.<stack>.yaml` read once: its typed StackConfig, its raw `config:` mapping and the parsed file."""
    path = project_dir / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        available = stack_names(project_dir)
        raise InputError(f"{path}: stack '{stack}' has no config file; available stacks: {', '.join(available) or 'none'}")
    source = read_yaml(path)
    raw = plain(source.data) or {}
    config = raw.get("config") if isinstance(raw, dict) else None
    if not isinstance(config, dict):
        raise InputError(f"{path}:1: expected a top-level 'config:' mapping with the mlops:* and aws:region keys")
    return StackFile(settings=stack_config_from_values(stack, config, source), config=config, source=source)


def secure_value(value: Any) -> str | None:
    """The ciphertext of a secret config value (`key: {secure: v1:...}` in a stack file), else None."""
    if isinstance(value, Mapping) and list(value) == ["secure"] and isinstance(value["secure"], str):
        return value["secure"]
    return None


def qualified_key(key: str, project: str) -> str:
    """`name` → `<project>:name`, as Pulumi stores unqualified keys; `namespace:name` stays."""
    return key if ":" in key else f"{project}:{key}"


def secret_ref_problems(
    specs: Iterable[LoadedSpec], config: Mapping[str, Any], *, project: str, stack: str, environment: str
) -> list[str]:
    """`file:line: field: problem` for every `serving.environment` SecretRef that the stack's config
    does not hold as a secret (missing, or stored in plain text), checked without running the program."""
    problems = []
    for item in specs:
        refs = item.spec.serving.secret_environment
        for variable, key in sorted(refs.items()):
            full = qualified_key(key, project)
            value = config.get(full)
            if secure_value(value) is not None:
                continue
            line = item.file.line_of(("serving", "environment", variable), ("environments", environment))
            state = "is not set" if value is None else "holds a plain value, readable"
            problems.append(
                f"{item.source}:{line or 1}: serving.environment.{variable}: secret config key '{full}' {state} in "
                f"Pulumi.{stack}.yaml; set it with `pulumi config set --secret {key} <value> --stack {stack}`"
            )
    return problems


def stack_config_from_values(stack: str, config: Mapping[str, Any], source: SourceFile | None = None) -> StackConfig:
    """Build a StackConfig from namespaced Pulumi config values (`mlops:environment`, `aws:region`)."""
    where = str(source.path) if source else f"stack '{stack}' config"

    def locate(*path: str | int) -> str:
        line = source.line_of(("config", *path)) if source else None
        return f"{where}:{line}" if line else where

    values: dict[str, Any] = {"stack": stack, "region": config.get("aws:region")}
    problems = []
    for key, value in config.items():
        namespace, _, name = key.partition(":")
        if secure_value(value) is not None and (namespace == "mlops" or key == "aws:region"):
            problems.append(
                f"{locate(key)}: {key}: stack settings are read in plain text and must not be secrets; "
                "keep secrets in keys of their own and reference them from a model's serving.environment"
            )
            continue
        if namespace != "mlops":
            continue
        if name not in CONFIG_KEYS:
            expected = ", ".join("mlops:" + k for k in CONFIG_KEYS)
            problems.append(f"{locate(key)}: {key}: unknown setting; expected one of: {expected}")
        else:
            values[name] = value
    if not problems:
        try:
            return StackConfig.model_validate(values)
        except ValidationError as e:
            for err in e.errors(include_url=False):
                loc = tuple(err["loc"])
                key = f"aws:{loc[0]}" if loc[0] == "region" else f"mlops:{loc[0]}"
                if err["type"] == "missing":
                    detail = "required setting is missing"
                else:
                    message = humanize(err["msg"])
                    detail = f"{message}; found {describe_value(err.get('input'))}"
                problems.append(f"{locate(key, *loc[1:])}: {format_path((key, *loc[1:]))}: {detail}")
    raise InputError(f"{where}: invalid stack config", problems=problems)
