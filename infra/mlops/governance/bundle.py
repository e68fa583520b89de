"""Loads the Rego policy bundle (modules, METADATA, data) and refuses any bundle it cannot trust."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from jsonschema import Draft202012Validator
from jsonschema import ValidationError as SchemaViolation
from jsonschema.exceptions import SchemaError
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, ValidationError

from ..errors import InputError, PolicyEngineError
from ..specs import safe_yaml
from ..specs.loader import SourceFile, format_path, validation_problems
from ..specs.model import NonEmpty, Strict
from .regorus_worker import DEFAULT_TIMEOUT_SECONDS, run_in_child

ROOT_PACKAGE = "mlops"
# Modules under <policies>/lib/ are shared helpers, not policies: no METADATA, no `deny`.
LIBRARY_DIR = "lib"
Severity = Literal["low", "medium", "high", "critical"]
SEVERITIES: tuple[str, ...] = get_args(Severity)
POLICY_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
# A Pulumi type token: `aws:s3/bucket:Bucket`, `aws-native:sagemaker:ModelQualityJobDefinition`.
TYPE_TOKEN = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9/]+:[A-Za-z0-9]+$")
# Optional sections of the policy input a policy may declare it needs (`custom.needs`).
InputSection = Literal["changes", "network"]
INPUT_SECTIONS: tuple[str, ...] = get_args(InputSection)
# A policy that needs facts the plan may lack declares `unverified contains ...` beside `deny`.
UNVERIFIED_RULE = re.compile(r"^unverified\s+contains\b", re.MULTILINE)
PACKAGE_LINE = re.compile(r"^package\s+(\S+)")
METADATA_EXAMPLE = "\n".join([
    "# METADATA",
    "# title: ...",
    "# description: Checks whether ...",
    "# custom:",
    "#   id: my-policy",
    "#   severity: high",
    "#   controls: [SOC2:CC6.1]",
])
# `<name>.schema.json` beside `data/<name>.json` is that document's JSON Schema, not data.
SCHEMA_SUFFIX = ".schema.json"


def _matching(pattern: re.Pattern[str], expected: str) -> AfterValidator:
    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(f"expected {expected}")
        return value

    return AfterValidator(check)


def _some_controls(controls: list[str]) -> list[str]:
    if not controls:
        raise ValueError("expected at least one control id, such as SOC2:CC6.1 or NIST800-53:SC-28")
    return controls


class PolicyCustom(Strict):
    """`custom:` of a policy's METADATA. Ours, unlike OPA's annotations: a misspelt optional key
    (`waiveable: false`) would silently keep the default, so every unknown key is an error."""

    id: Annotated[str, _matching(POLICY_ID, "a kebab-case id such as endpoint-kms-encryption")]
    severity: Severity
    controls: Annotated[list[NonEmpty], AfterValidator(_some_controls)]
    waivable: StrictBool = True
    resource_types: list[Annotated[str, _matching(TYPE_TOKEN, "a Pulumi type token such as aws:s3/bucket:Bucket")]] = []
    needs: list[InputSection] = []
    resource_local: StrictBool = False


class PolicyAnnotations(BaseModel):
    """A policy's METADATA block; OPA's other annotations (authors, related_resources, ...) are OPA's to check."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    # The block annotates the whole policy, which is what reports and the gate take it for.
    scope: Literal["package"] = "package"
    title: NonEmpty
    description: NonEmpty
    custom: PolicyCustom


class PolicyHeader(Strict):
    """The METADATA block under a `METADATA` key, so problems read `METADATA.custom.id` and a missing
    top-level field is placed on the `# METADATA` line."""

    metadata: PolicyAnnotations = Field(alias="METADATA")


@dataclass(frozen=True)
class PolicyMeta:
    """What a policy's METADATA block declares, plus where the policy lives."""

    id: str
    title: str
    description: str
    severity: str
    controls: list[str]
    package: str
    path: Path
    waivable: bool
    # The resource types the policy checks: each such resource passes unless it is named
    # in a violation, which is the per-resource evidence reports show.
    resource_types: tuple[str, ...] = ()
    # Whether the policy reports checks it could not make for want of facts (`unverified`).
    has_unverified: bool = False
    # Top-level input sections the policy needs (e.g. `changes`, present only under `mlops diff`);
    # where one is null the policy does not apply and records no per-resource evidence.
    needs: tuple[str, ...] = ()
    # The policy needs only the resource it checks (its inputs, the specs, the registry facts): it
    # also runs per resource in the CrossGuard pack, before the resource's step
    # (tests/test_resource_local.py proves the claim on the examples).
    resource_local: bool = False


@dataclass(frozen=True)
class PolicyBundle:
    """Every policy module and the data document, as one evaluable and hashable unit."""

    root: Path
    policies: list[PolicyMeta]
    modules: list[tuple[str, str]]
    data: dict[str, Any]
    sha256: str

    def policy(self, policy_id: str) -> PolicyMeta | None:
        return next((p for p in self.policies if p.id == policy_id), None)

    @property
    def policy_ids(self) -> list[str]:
        return [p.id for p in self.policies]


def policy_rules(policies: Iterable[PolicyMeta]) -> dict[str, tuple[PolicyMeta, str]]:
    """Every rule evaluated per policy, by its data path: `deny`, and `unverified` where the policy declares it."""
    policies = list(policies)
    rules = {f"data.{p.package}.deny": (p, "deny") for p in policies}
    rules |= {f"data.{p.package}.unverified": (p, "unverified") for p in policies if p.has_unverified}
    return rules


def evaluate_in_child(job: dict[str, Any], timeout: float, *, timed_out: str, crashed: str, not_loaded: str) -> dict[str, Any]:
    """Run a regorus job in its child process; every way that can fail is a PolicyEngineError (fail closed).

    The messages say what was being done: `timed_out` is formatted with `timeout`, `crashed`
    (the worker died) and `not_loaded` (a module did not load) with `error`.
    """
    try:
        outcome = run_in_child(job, timeout)
    except subprocess.TimeoutExpired as e:
        raise PolicyEngineError(timed_out.format(timeout=timeout)) from e
    except RuntimeError as e:
        raise PolicyEngineError(crashed.format(error=e)) from e
    if "error" in outcome:
        raise PolicyEngineError(not_loaded.format(error=outcome["error"]))
    return outcome


def rego_files(policies_dir: Path, *, include_tests: bool) -> list[Path]:
    return sorted(p for p in policies_dir.rglob("*.rego") if include_tests or not p.name.endswith("_test.rego"))


def data_files(policies_dir: Path) -> list[Path]:
    return sorted(p for p in (policies_dir / "data").glob("*.json") if not p.name.endswith(SCHEMA_SUFFIX))


def read_source(path: Path) -> str:
    """A file's exact text (no newline translation, so hashes match the bytes on disk)."""
    try:
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise PolicyEngineError(f"{path}: cannot read policy file: {e}") from e


def read_data(path: Path) -> str:
    """A data or schema file's exact text, read as every user file is: a regular file within the size limit."""
    raw = safe_yaml.read_file(path, kind="policy data")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise InputError(f"{path}:{line}: byte 0x{raw[e.start]:02x} is not valid UTF-8; save the file as UTF-8") from e


def parse_data(sources: dict[Path, str]) -> dict[str, Any]:
    """Merge `data/<name>.json` files, each `{"<name>": {...}}` and valid against its `<name>.schema.json`,
    into one data document; every problem of every file is reported together."""
    data: dict[str, Any] = {}
    problems: list[str] = []
    for path, text in sources.items():
        try:
            data[path.stem] = _data_document(path, text)
        except InputError as e:
            problems.extend(e.problems or [e.message])
    if problems:
        raise InputError(f"{len(problems)} problem(s) in the policies' data", problems=problems)
    return data


def _data_document(path: Path, text: str) -> Any:
    source = _parse_json(path, text)
    content = source.data
    # One key named after the file, so `data.<name>` can never silently be undefined
    # because a file was written without its wrapping key.
    if not (isinstance(content, dict) and list(content) == [path.stem] and isinstance(content[path.stem], dict)):
        found = ", ".join(f"'{k}'" for k in content) if isinstance(content, dict) else type(content).__name__
        raise InputError(
            f"{path}:1: expected a JSON object with the single key '{path.stem}' holding an object "
            f"(policies read it as data.{path.stem}); found {found or 'an empty object'}"
        )
    schema_path = path.with_name(path.stem + SCHEMA_SUFFIX)
    if not schema_path.is_file():
        raise InputError(
            f"{path}: no JSON Schema beside it; add {schema_path.name} (draft 2020-12) requiring every key the policies read"
        )
    schema = _parse_json(schema_path, read_data(schema_path)).data
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as e:
        raise InputError(f"{schema_path}: {format_path(e.absolute_path)}: not a valid JSON Schema (draft 2020-12): {e.message}") from e
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    problems = _schema_problems(source, validator.iter_errors(content))
    if problems:
        raise InputError(f"{path}: invalid policy data", problems=problems)
    return content[path.stem]


# A JSON token: a string (escapes included), a structural character, or a number or literal.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]|[^\s{}\[\],:"]+')


def _parse_json(path: Path, text: str) -> SourceFile:
    """A JSON file's value and the line each key path starts on; syntax errors name file:line:column."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"{path}:{e.lineno}:{e.colno}: invalid JSON: {e.msg}; fix the data file") from e
    except (ValueError, RecursionError) as e:
        # A number of more digits than Python converts, or nesting deeper than the parser recurses.
        raise InputError(f"{path}: invalid JSON: {e}; fix the data file") from e
    return SourceFile(path=path, data=data, lines=_json_lines(path, text))


def _json_lines(path: Path, text: str) -> dict[safe_yaml.KeyPath, int]:
    """The line each key path of well-formed JSON starts on. A repeated key, which json.loads
    resolves silently to the last one, is an error, as it is in YAML files."""
    lines: dict[safe_yaml.KeyPath, int] = {}
    # Each open container: its key path and, for an array, the index of its next item.
    containers: list[tuple[safe_yaml.KeyPath, list[int] | None]] = []
    at: safe_yaml.KeyPath = ()
    expect_key = False
    line, scanned = 1, 0
    for match in _JSON_TOKEN.finditer(text):
        line += text.count("\n", scanned, match.start())
        scanned = match.start()
        token = match.group()
        if token == ":":
            continue
        if token == ",":
            expect_key = containers[-1][1] is None
            continue
        if token in ("]", "}"):
            containers.pop()
            continue
        if expect_key:
            at = (*containers[-1][0], json.loads(token))
            if at in lines:
                raise InputError(f"{path}:{line}: duplicate key {token} (first on line {lines[at]}); remove one of them")
            lines[at] = line
            expect_key = False
            continue
        index = containers[-1][1] if containers else None
        if index is not None:
            at = (*containers[-1][0], index[0])
            index[0] += 1
            lines[at] = line
        if token in ("[", "{"):
            if len(containers) == safe_yaml.MAX_DEPTH:
                raise InputError(f"{path}:{line}: nested more than {safe_yaml.MAX_DEPTH} levels deep; flatten the structure")
            containers.append((at, [0] if token == "[" else None))
            expect_key = token == "{"
    return lines


_JSON_TYPES = {"object": "an object", "array": "an array", "string": "text", "integer": "an integer", "number": "a number",
               "boolean": "true or false", "null": "null"}
# What a schema keyword expects, in the words of every other `expected …; found …` message.
_EXPECTED: dict[str, Callable[[Any], str]] = {
    "type": lambda types: " or ".join(_JSON_TYPES.get(t, t) for t in ([types] if isinstance(types, str) else types)),
    "enum": lambda values: "one of " + ", ".join(json.dumps(v) for v in values),
    "pattern": lambda pattern: f"text matching {pattern!r}",
    "format": lambda name: "a valid regular expression" if name == "regex" else f"a valid {name}",
    "minimum": lambda n: f"at least {n}",
    "minItems": lambda n: f"at least {n} item(s)",
    "minLength": lambda n: f"at least {n} character(s)",
    "uniqueItems": lambda _: "no repeated items",
}


def _schema_problems(source: SourceFile, errors: Iterable[SchemaViolation]) -> list[str]:
    """`file:line: key.path: expected …; found …` per schema violation, in file order, one per missing or unknown key."""
    found: set[tuple[safe_yaml.KeyPath, str]] = set()
    for error in errors:
        at = tuple(error.absolute_path)
        if error.validator == "required":
            found |= {((*at, key), "required field is missing") for key in error.validator_value if key not in error.instance}
        elif error.validator == "additionalProperties":
            allowed = sorted(error.schema.get("properties", {}))
            found |= {
                ((*at, key), f"unknown field '{key}'; expected one of: {', '.join(allowed)}") for key in error.instance if key not in allowed
            }
        else:
            expected = f"expected {_EXPECTED[error.validator](error.validator_value)}" if error.validator in _EXPECTED else error.message
            found.add((at, f"{expected}; found {_shown(error.instance)}"))
    located = sorted((source.line_of(at) or 1, format_path(at), detail) for at, detail in found)
    return [f"{source.path}:{line}: {where}: {detail}" for line, where, detail in located]


def _shown(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return "an object" if isinstance(value, dict) else "an array"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else f"{text[:57]}..."


def load_bundle(policies_dir: Path, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> PolicyBundle:
    """Load and check every policy under `policies_dir`; any doubt raises PolicyEngineError.

    Every non-test module outside `lib/` is a policy and must carry a METADATA block, so a
    forgotten block fails the load instead of silently dropping a policy. Problems in the
    METADATA blocks and data files, which their authors edit like any configuration, are one
    InputError listing them all. All modules are compiled by regorus in a child process
    stopped after `timeout` seconds.
    """
    if not policies_dir.is_dir():
        raise PolicyEngineError(f"{policies_dir}: policy directory not found; point --policies at the directory holding the .rego files")
    sources = {path: read_source(path) for path in rego_files(policies_dir, include_tests=False)}
    library = {path for path in sources if path.relative_to(policies_dir).parts[0] == LIBRARY_DIR}
    if not set(sources) - library:
        raise PolicyEngineError(
            f"{policies_dir}: no policies found; add <area>/<name>.rego files (tests end in _test.rego) with a METADATA block"
        )
    for path in sorted(library):
        _package(policies_dir, path, sources[path].splitlines())
    policies, problems = _policies(policies_dir, {path: text for path, text in sources.items() if path not in library})
    data_sources: dict[Path, str] = {}
    data: dict[str, Any] = {}
    try:
        data_sources = {path: read_data(path) for path in data_files(policies_dir)}
        data = parse_data(data_sources)
    except InputError as e:
        problems.extend(e.problems or [e.message])
    if problems:
        raise InputError(f"{policies_dir}: {len(problems)} problem(s) in the policies' METADATA and data", problems=problems)
    modules = [(str(path), text) for path, text in sources.items()]
    _check_compiles(policies, modules, data, timeout)
    return PolicyBundle(
        root=policies_dir,
        policies=sorted(policies, key=lambda p: p.id),
        modules=modules,
        data=data,
        sha256=_digest(policies_dir, {**sources, **data_sources}),
    )


def _digest(root: Path, sources: dict[Path, str]) -> str:
    digest = hashlib.sha256()
    for relative, text in sorted((path.relative_to(root).as_posix(), text) for path, text in sources.items()):
        encoded = text.encode("utf-8")
        digest.update(f"{relative}\0{len(encoded)}\0".encode())
        digest.update(encoded)
    return digest.hexdigest()


def _check_compiles(policies: list[PolicyMeta], modules: list[tuple[str, str]], data: dict[str, Any], timeout: float) -> None:
    # Parsing catches syntax errors; evaluating `deny` without input also catches unsafe
    # variables and a missing or misdeclared `deny` rule, which regorus reports only then.
    rules = policy_rules(policies)
    outcome = evaluate_in_child(
        {"modules": modules, "data": data, "document": None, "rules": list(rules)},
        timeout,
        timed_out="checking the policies took over {timeout:g}s without input; a policy loops, fix it",
        crashed="embedded Rego engine failed while checking the policies: {error}",
        not_loaded="{error}; the policy does not parse, fix it",
    )
    for rule, (policy, name) in rules.items():
        result = outcome["results"][rule]
        if "error" in result:
            message = result["error"]
            if "not a valid rule path" in message:
                message = f"{policy.path}: package {policy.package} has no `{name}` rule"
            raise PolicyEngineError(f"{message}; declare `{name} contains violation if {{ ... }}` and fix the policy")
        if not isinstance(result.get("value"), list):
            raise PolicyEngineError(
                f"{policy.path}: `{name}` in package {policy.package} must be a set rule; "
                f"declare it as `{name} contains violation if {{ ... }}`"
            )


def _package(root: Path, path: Path, lines: list[str]) -> tuple[str, int]:
    """The module's package and its line index, which must mirror the file's path under `root`."""
    expected = ".".join([ROOT_PACKAGE, *path.relative_to(root).with_suffix("").parts])
    index = next((i for i, line in enumerate(lines) if PACKAGE_LINE.match(line)), None)
    if index is None:
        raise PolicyEngineError(f"{path}: no `package` declaration; declare `package {expected}`")
    package = PACKAGE_LINE.match(lines[index]).group(1)  # type: ignore[union-attr]
    if package != expected:
        raise PolicyEngineError(
            f"{path}:{index + 1}: package '{package}' does not match the file's location; "
            f"declare `package {expected}` or move the file (packages mirror paths under {root})"
        )
    return package, index


def _policies(root: Path, sources: dict[Path, str]) -> tuple[list[PolicyMeta], list[str]]:
    """Each policy's METADATA, and the problems of every block that is wrong or repeats another's id."""
    policies: dict[str, PolicyMeta] = {}
    problems: list[str] = []
    for path, text in sources.items():
        try:
            policy, source = _policy_meta(root, path, text)
        except InputError as e:
            problems.extend(e.problems or [e.message])
            continue
        if policy.id in policies:
            problems.append(
                f"{path}:{source.line_of(('METADATA', 'custom', 'id'))}: METADATA.custom.id: duplicate policy id "
                f"'{policy.id}', already used by {policies[policy.id].path}; give each policy its own id"
            )
            continue
        policies[policy.id] = policy
    return list(policies.values()), problems


def _policy_meta(root: Path, path: Path, text: str) -> tuple[PolicyMeta, SourceFile]:
    lines = text.splitlines()
    package, package_index = _package(root, path, lines)
    block = _metadata_block(lines, package_index)
    if block is None:
        raise InputError(
            f"{path}:{package_index + 1}: no METADATA block directly above the package line; add one:\n{METADATA_EXAMPLE}"
        )
    marker_line, yaml_text = block
    data, yaml_lines = safe_yaml.parse_bytes(path, yaml_text.encode("utf-8"), kind="policy METADATA")
    lines_by_path = {("METADATA",): marker_line, **{("METADATA", *at): line for at, line in yaml_lines.items()}}
    source = SourceFile(path=path, data={"METADATA": data}, lines=lines_by_path)
    try:
        meta = PolicyHeader.model_validate(source.data).metadata
    except ValidationError as e:
        raise InputError(f"{path}: invalid METADATA", problems=validation_problems(e, PolicyHeader, source)) from e
    custom = meta.custom
    policy = PolicyMeta(
        id=custom.id,
        title=meta.title,
        description=meta.description,
        severity=custom.severity,
        controls=list(custom.controls),
        package=package,
        path=path,
        waivable=custom.waivable,
        resource_types=tuple(custom.resource_types),
        has_unverified=bool(UNVERIFIED_RULE.search(text)),
        needs=tuple(custom.needs),
        resource_local=custom.resource_local,
    )
    return policy, source


def _metadata_block(lines: list[str], package_index: int) -> tuple[int, str] | None:
    """The `# METADATA` comment block ending right above the package line, as YAML, and the marker's line number.

    Each line's `#` becomes a space, which keeps the indentation OPA reads, and the lines above
    the block become empty ones, so YAML line and column numbers are the policy file's.
    """
    start = package_index
    while start > 0 and lines[start - 1].startswith("#"):
        start -= 1
    markers = [i for i in range(start, package_index) if lines[i].strip() == "# METADATA"]
    if not markers:
        return None
    body = [" " + line[1:] for line in lines[markers[-1] + 1 : package_index]]
    return markers[-1] + 1, "\n" * (markers[-1] + 1) + "\n".join(body)
