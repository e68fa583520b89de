"""The canonical policy report (`policy-report.json`, formatVersion 2): built, validated, loaded."""

from __future__ import annotations

import copy
import json
import os
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from importlib import resources as package_files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import resources
from ..errors import InputError, ProgramError
from ..resources import GROUP, SpecPath
from ..specs.loader import LoadedSpec
from . import metadata
from .redact import PlanFile

if TYPE_CHECKING:
    from ..plan import Plan

FORMAT_VERSION = 2
SCHEMA_FILE = "policy-report.schema.json"

# Where a resource of a type is declared in a model spec is the type's catalogue entry's spec_path.

PIPELINE = "aws:sagemaker/pipeline:Pipeline"
MODEL = "aws:sagemaker/model:Model"
ENDPOINT_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
MONITORING = "monitoring"  # any Model Monitor job definition or schedule, see _kind()

# Where a policy's finding is fixed in the model spec: a path, or a path per resource kind.
# Heuristics from what each policy checks; `SourceFile.line_of` falls back to the nearest
# parent key present, and a policy not listed here falls back to its resource type.
POLICY_SPEC_PATHS: dict[str, SpecPath | dict[str, SpecPath]] = {
    "endpoint-instance-budget": ("serving", "autoscaling", "max_capacity"),
    "allowed-instance-types": {
        PIPELINE: ("training", "instance_type"),
        ENDPOINT_CONFIG: ("serving", "instance_type"),
        MONITORING: ("monitoring", "data_quality", "instance_type"),
    },
    # The key is the platform's; the spec's only say is an instance type with local NVMe storage.
    "endpoint-kms-encryption": ("serving", "instance_type"),
    "endpoint-output-kms-encryption": ("serving", "data_capture"),
    "feature-group-offline-kms-encryption": ("feature_groups", GROUP, "offline_store"),
    "feature-group-online-kms-encryption": ("feature_groups", GROUP, "online_store"),
    "pii-feature-group-encryption": ("feature_groups", GROUP),
    "inter-container-traffic-encryption": {PIPELINE: ("training",), MONITORING: ("monitoring", "data_quality")},
    "monitoring-kms-encryption": ("monitoring", "data_quality"),
    "pipeline-kms-encryption": ("training", "instance_type"),
    "model-evaluation-gate": ("training", "evaluation"),
    "model-manual-approval": ("registry", "approval"),
    "model-card-approved": ("model_card", "status"),
    "model-pinned-version": ("registry", "pinned_version"),
    "registry-approved-package": ("registry", "pinned_version"),
    "registry-package-metric-threshold": ("registry", "pinned_version"),
    "registry-package-group": ("registry", "pinned_version"),
    "iam-model-scoped-s3-access": ("training", "inputs"),
    "sagemaker-network-isolation": {MODEL: ("serving", "network_isolation"), PIPELINE: ("training",)},
    "endpoint-blue-green-rollback": ("serving", "deployment"),
    "endpoint-data-capture": ("serving", "data_capture"),
    "endpoint-alarms": ("monitoring", "alarms"),
    "endpoint-autoscaling": ("serving", "autoscaling"),
    "endpoint-min-instances": ("serving", "initial_instance_count"),
    "endpoint-model-monitoring": ("monitoring", "data_quality"),
    "bias-monitoring-required": ("monitoring", "bias"),
    "bias-facets-declared": ("monitoring", "bias", "facets"),
    "pipeline-checks-required": ("training", "checks"),
    "variant-approved-packages": ("serving", "variants"),
    "batch-output-encryption": ("serving", "batch"),
    "batch-approved-package": ("registry", "pinned_version"),
    "required-tags": ("metadata",),
    "tag-values-consistent": ("metadata",),
}
# Policies whose message starts with the dotted spec path of the value it is about (`a.b.c: …`);
# aws-api-conformance does when the offending value came from the spec, else it starts with the
# API operation (`CreateModel …`), and the finding points at the resource type's spec path.
FIELD_MESSAGE_POLICIES = frozenset({"plaintext-secrets", "aws-api-conformance"})
# Findings caused by a stack setting rather than a model spec: the stack file key to point at.
STACK_CAUSES: dict[str, str] = {
    "model-vpc-config": "mlops:network",
    "monitoring-vpc-config": "mlops:network",
    "pipeline-vpc-config": "mlops:network",
}
# For shared platform resources (no model): the stack file key behind the finding, else line 1.
SHARED_CAUSES: dict[str, str] = {
    **STACK_CAUSES,
    "required-tags": "mlops:owner",
    "tag-values-consistent": "mlops:owner",
    "experiment-tracking-protected": "mlops:experimentTracking",
}


def _kind(type_token: str | None) -> str | None:
    if type_token and ("dataQualityJobDefinition" in type_token or "monitoringSchedule" in type_token or type_token.startswith("aws-native:sagemaker:")):
        return MONITORING
    return type_token


class Locator:
    """Finds the file and line behind a finding: the model spec field that caused it, or the stack file."""

    def __init__(self, project_dir: Path, plan: Plan) -> None:
        self.project_dir = project_dir
        self.environment = plan.stack.environment
        self.stack_file = plan.inputs.stack_file.source
        self.specs: dict[str, LoadedSpec] = {s.spec.name: s for s in plan.specs}
        self.resources = {r["urn"]: r for r in plan.resources}

    def locate(self, finding: Mapping[str, Any]) -> dict[str, Any]:
        policy_id, urn = finding["policy_id"], finding["resource"]
        resource = self.resources.get(urn, {})
        loaded = self.specs.get(finding.get("model") or "")
        if loaded is None or policy_id in STACK_CAUSES:
            return self._stack_location(SHARED_CAUSES.get(policy_id))
        source = loaded.file
        head = str(finding.get("message", "")).split(":", 1)[0]
        if policy_id in FIELD_MESSAGE_POLICIES and " " not in head:
            path: SpecPath = tuple(int(p) if p.isdigit() else p for p in head.split("."))
        else:
            path = self._spec_path(policy_id, resource.get("type"), resource.get("name") or urn.rsplit("::", 1)[-1], loaded)
        overrides = ("environments", self.environment)
        line = source.line_of(path, overrides) or source.line_of(("metadata", "name"), overrides)
        return {"file": metadata.relative_path(self.project_dir, loaded.source), "line": line or 1}

    def _spec_path(self, policy_id: str, type_token: str | None, name: str, loaded: LoadedSpec) -> SpecPath:
        chosen = POLICY_SPEC_PATHS.get(policy_id)
        if isinstance(chosen, dict):
            chosen = chosen.get(_kind(type_token) or "")
        if chosen is None:
            entry = resources.lookup(type_token) if type_token else None
            chosen = entry.spec_path if entry else None
        if chosen is None:
            return ("metadata", "name")
        if GROUP in chosen:
            index = _group_index(loaded, name)
            cut = chosen.index(GROUP)
            return chosen[:cut] if index is None else (*chosen[:cut], index, *chosen[cut + 1 :])
        return chosen

    def _stack_location(self, key: str | None) -> dict[str, Any]:
        line = self.stack_file.line_of(("config", key)) if key else None
        return {"file": metadata.relative_path(self.project_dir, self.stack_file.path), "line": line or 1}


def _group_index(loaded: LoadedSpec, resource_name: str) -> int | None:
    """The spec index of the feature group a resource was declared for (`<model>-features-<group>`)."""
    matches = [(len(g.name), i) for i, g in enumerate(loaded.spec.feature_groups) if resource_name.endswith(f"-{g.name}")]
    return max(matches)[1] if matches else None


def resource_summary(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """Planned cloud resources (components excluded): total, per type, per model ('shared' for the platform)."""
    custom = [r for r in resources if r.get("custom", True)]
    return {
        "total": len(custom),
        "by_type": dict(sorted(Counter(r["type"] for r in custom).items())),
        "by_model": dict(sorted(Counter(r.get("model") or "shared" for r in custom).items())),
    }


def _relative_source(project_dir: Path, source: str) -> str:
    """A waiver's `file:line` relative to the project, so reports do not carry a machine's paths."""
    path, sep, line = source.rpartition(":")
    if not sep or not line.isdigit():
        return source
    candidate = Path(path)
    if not candidate.is_absolute():
        return source
    return f"{metadata.relative_path(project_dir, candidate)}:{line}"


def build_report(
    gate: Mapping[str, Any],
    *,
    plan: Plan,
    plan_file: PlanFile,
    project_dir: Path,
    reports_dir: Path,
    changes: dict[str, Any] | None,
    now: datetime | None = None,
    environ: Mapping[str, str] = os.environ,
) -> dict[str, Any]:
    """The canonical report: the gate's result (`GateResult.to_dict()`) plus formatVersion, metadata,
    a resource summary, the plan's changes and the file:line behind every finding; secrets redacted.

    Metadata hashes the bytes that were evaluated: the specs and stack file as parsed (a pin
    `mlops promote` tries included) and `plan_file`, the plan.json written for this gate.
    """
    report: dict[str, Any] = copy.deepcopy(dict(gate))
    report["formatVersion"] = FORMAT_VERSION
    locator = Locator(project_dir, plan)
    for finding in [*report.get("violations", []), *report.get("unverified", [])]:
        finding["location"] = locator.locate(finding)
        if finding.get("waiver"):
            finding["waiver"]["source"] = _relative_source(project_dir, finding["waiver"]["source"])
    for waiver in [*report.get("waivers_applied", []), *report.get("waivers_expired", [])]:
        waiver["source"] = _relative_source(project_dir, waiver["source"])
    report["resources"] = resource_summary(plan.resources)
    report["changes"] = copy.deepcopy(changes) if changes else None
    report["metadata"] = metadata.report_metadata(
        project=plan.project,
        project_dir=project_dir,
        bundle_sha256=report["policy_bundle_sha256"],
        spec_contents={s.source: s.file.raw for s in plan.specs},
        stack_file=plan.inputs.stack_file.source.raw,
        plan_bytes=plan_file.data,
        # The reports the tool writes are not changes to what was gated.
        exclude=[reports_dir, project_dir / "reports"],
        now=now,
        environ=environ,
    )
    return plan_file.redactor.redact(report)


@cache
def report_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of formatVersion 2, shipped as package data."""
    text = package_files.files(__package__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    return json.loads(text)


def schema_problems(report: Any) -> list[str]:
    """`field.path: what is wrong` for every schema violation, in document order."""
    try:
        import jsonschema
    except ImportError as e:  # pragma: no cover - a broken install
        raise ProgramError("validating a policy report needs the jsonschema package; reinstall mlops-platform") from e
    validator = jsonschema.Draft202012Validator(report_schema())
    # For "null or X" alternatives, the most relevant branch's error says what is actually wrong.
    errors = [_explain(e) for e in validator.iter_errors(report)]
    errors.sort(key=lambda e: [str(p) for p in e.absolute_path])
    return [f"{_field(e.absolute_path)}: {e.message}" for e in errors]


def _explain(error: Any) -> Any:
    """The error inside a "null or <object>" alternative that says what is wrong, not "is not null"."""
    import jsonschema

    relevant = [c for c in error.context or () if not (c.validator == "type" and c.validator_value == "null")]
    return _explain(jsonschema.exceptions.best_match(relevant)) if relevant else error


def _field(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def load_report(path: Path) -> dict[str, Any]:
    """Read and validate a canonical report; every problem is an InputError naming the file, the field and the fix."""
    stack = path.parent.name
    recreate = f"re-create it with `mlops plan --stack {stack}`"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise InputError(f"{path}: policy report not found; create it with `mlops plan --stack {stack}`") from e
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read the policy report: {e}; {recreate}") from e
    try:
        report = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"{path}:{e.lineno}:{e.colno}: invalid JSON: {e.msg}; {recreate}") from e
    if not isinstance(report, dict):
        raise InputError(f"{path}: (top level): expected a JSON object, found {type(report).__name__}; {recreate}")
    version = report.get("formatVersion")
    if version != FORMAT_VERSION:
        found = "no formatVersion" if "formatVersion" not in report else f"{version!r}"
        raise InputError(
            f"{path}: formatVersion: expected {FORMAT_VERSION}, found {found}; this mlops reads formatVersion "
            f"{FORMAT_VERSION} reports only, {recreate}"
        )
    problems = schema_problems(report)
    if problems:
        raise InputError(
            f"{path}: not a valid formatVersion {FORMAT_VERSION} policy report; {recreate}",
            problems=[f"{path}: {p}" for p in problems],
        )
    return report
