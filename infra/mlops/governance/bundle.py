"""Loads the Rego policy bundle (modules, METADATA, data) and refuses any bundle it cannot trust."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import MarkedYAMLError

from ..errors import PolicyEngineError
from .regorus_worker import DEFAULT_TIMEOUT_SECONDS, run_in_child

ROOT_PACKAGE = "mlops"
# Modules under <policies>/lib/ are shared helpers, not policies: no METADATA, no `deny`.
LIBRARY_DIR = "lib"
SEVERITIES: tuple[str, ...] = ("low", "medium", "high", "critical")
POLICY_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
# A Pulumi type token: `aws:s3/bucket:Bucket`, `aws-native:sagemaker:ModelQualityJobDefinition`.
TYPE_TOKEN = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9/]+:[A-Za-z0-9]+$")
# Optional sections of the policy input a policy may declare it needs (`custom.needs`).
INPUT_SECTIONS: tuple[str, ...] = ("changes", "network")
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
    return sorted((policies_dir / "data").glob("*.json"))


def read_source(path: Path) -> str:
    """A file's exact text (no newline translation, so hashes match the bytes on disk)."""
    try:
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise PolicyEngineError(f"{path}: cannot read policy file: {e}") from e


def parse_data(sources: dict[Path, str]) -> dict[str, Any]:
    """Merge `data/<name>.json` files, each `{"<name>": {...}}`, into one data document."""
    data: dict[str, Any] = {}
    for path, text in sources.items():
        try:
            content = json.loads(text)
        except json.JSONDecodeError as e:
            raise PolicyEngineError(f"{path}:{e.lineno}:{e.colno}: invalid JSON: {e.msg}; fix the data file") from e
        # One key named after the file, so `data.<name>` can never silently be undefined
        # because a file was written without its wrapping key.
        if not (isinstance(content, dict) and list(content) == [path.stem] and isinstance(content[path.stem], dict)):
            found = ", ".join(f"'{k}'" for k in content) if isinstance(content, dict) else type(content).__name__
            raise PolicyEngineError(
                f"{path}:1: expected a JSON object with the single key '{path.stem}' holding an object "
                f"(policies read it as data.{path.stem}); found {found or 'an empty object'}"
            )
        data[path.stem] = content[path.stem]
    return data


def load_bundle(policies_dir: Path, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> PolicyBundle:
    """Load and check every policy under `policies_dir`; any doubt raises PolicyEngineError.

    Every non-test module outside `lib/` is a policy and must carry a METADATA block, so a
    forgotten block fails the load instead of silently dropping a policy. All modules are
    compiled by regorus in a child process stopped after `timeout` seconds.
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
    data_sources = {path: read_source(path) for path in data_files(policies_dir)}
    policies = [_policy_meta(policies_dir, path, text) for path, text in sources.items() if path not in library]
    _check_unique_ids(policies)
    data = parse_data(data_sources)
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


def _check_unique_ids(policies: list[PolicyMeta]) -> None:
    seen: dict[str, PolicyMeta] = {}
    for policy in policies:
        if policy.id in seen:
            raise PolicyEngineError(
                f"{policy.path}: METADATA custom.id: duplicate policy id '{policy.id}', already used by "
                f"{seen[policy.id].path}; give each policy its own id"
            )
        seen[policy.id] = policy


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


def _policy_meta(root: Path, path: Path, text: str) -> PolicyMeta:
    lines = text.splitlines()
    package, package_index = _package(root, path, lines)
    block_start, block = _metadata_block(lines, package_index)
    if block is None:
        raise PolicyEngineError(
            f"{path}:{package_index + 1}: no METADATA block directly above the package line; add one:\n{METADATA_EXAMPLE}"
        )
    return _MetadataReader(path, block_start).read(block, package, has_unverified=bool(UNVERIFIED_RULE.search(text)))


def _metadata_block(lines: list[str], package_index: int) -> tuple[int, str | None]:
    """The YAML of the `# METADATA` comment block ending right above the package line, and its first line number."""
    start = package_index
    while start > 0 and lines[start - 1].startswith("#"):
        start -= 1
    markers = [i for i in range(start, package_index) if lines[i].strip() == "# METADATA"]
    if not markers:
        return 0, None
    body = lines[markers[-1] + 1 : package_index]
    yaml_lines = [line[1:].removeprefix(" ") for line in body]
    return markers[-1] + 2, "\n".join(yaml_lines)


class _MetadataReader:
    """Validates one METADATA block, naming the file line of each field it rejects."""

    def __init__(self, path: Path, first_line: int) -> None:
        self.path = path
        self.first_line = first_line

    def read(self, block: str, package: str, *, has_unverified: bool = False) -> PolicyMeta:
        try:
            meta = YAML(typ="rt").load(block)
        except MarkedYAMLError as e:
            mark = e.problem_mark or e.context_mark
            line = self.first_line + mark.line if mark else self.first_line
            raise PolicyEngineError(f"{self.path}:{line}: METADATA is not valid YAML: {e.problem or e.context}") from e
        if not isinstance(meta, CommentedMap):
            self._fail(None, "(block)", f"expected a mapping of annotation fields like:\n{METADATA_EXAMPLE}")
        scope = meta.get("scope", "package")
        if scope != "package":
            self._fail((meta, "scope"), "scope", f"must be 'package' (the block annotates the whole policy), found {scope!r}")
        custom = meta.get("custom")
        if not isinstance(custom, CommentedMap):
            at = (meta, "custom") if "custom" in meta else None
            self._fail(at, "custom", "required mapping with id, severity and controls is missing")
        policy_id = self._text(custom, "id", "custom.id")
        if not POLICY_ID.match(policy_id):
            self._fail((custom, "id"), "custom.id", f"must be kebab-case (e.g. endpoint-kms-encryption), found {policy_id!r}")
        severity = self._text(custom, "severity", "custom.severity")
        if severity not in SEVERITIES:
            self._fail((custom, "severity"), "custom.severity", f"expected one of {', '.join(SEVERITIES)}, found {severity!r}")
        controls = custom.get("controls")
        if not (isinstance(controls, list) and controls and all(isinstance(c, str) and c.strip() for c in controls)):
            self._fail(
                (custom, "controls") if "controls" in custom else (meta, "custom"),
                "custom.controls",
                f"expected a non-empty list of control ids like [SOC2:CC6.1, NIST800-53:SC-28], found {controls!r}",
            )
        waivable = custom.get("waivable", True)
        if not isinstance(waivable, bool):
            self._fail((custom, "waivable"), "custom.waivable", f"expected true or false, found {waivable!r}")
        resource_types = custom.get("resource_types", [])
        if not (isinstance(resource_types, list) and all(isinstance(t, str) and TYPE_TOKEN.match(t) for t in resource_types)):
            self._fail(
                (custom, "resource_types"),
                "custom.resource_types",
                f"expected a list of Pulumi type tokens like [aws:s3/bucket:Bucket], found {resource_types!r}",
            )
        needs = custom.get("needs", [])
        if not (isinstance(needs, list) and all(n in INPUT_SECTIONS for n in needs)):
            self._fail((custom, "needs"), "custom.needs", f"expected a list of input sections from {list(INPUT_SECTIONS)}, found {needs!r}")
        return PolicyMeta(
            id=policy_id,
            title=self._text(meta, "title", "title"),
            description=self._text(meta, "description", "description"),
            severity=severity,
            controls=[str(c) for c in controls],
            package=package,
            path=self.path,
            waivable=waivable,
            resource_types=tuple(str(t) for t in resource_types),
            has_unverified=has_unverified,
            needs=tuple(needs),
        )

    def _text(self, parent: CommentedMap, key: str, field: str) -> str:
        value = parent.get(key)
        if value is None:
            self._fail((parent, key) if key in parent else None, field, "required field is missing")
        if not isinstance(value, str) or not value.strip():
            self._fail((parent, key), field, f"expected non-empty text, found {value!r}")
        return value.strip()

    def _fail(self, at: tuple[CommentedMap, str] | None, field: str, problem: str) -> NoReturn:
        line = self.first_line + at[0].lc.key(at[1])[0] if at else self.first_line - 1
        raise PolicyEngineError(f"{self.path}:{line}: METADATA {field}: {problem}")
