"""Model registry facts for the gate: does the pinned package exist, in which group, approved, how good.

For every model whose environment pins a model package version, the package is described in
the SageMaker Model Registry and summarised as the policy input's `registry.packages[<model>]`
(shape in `policies/input.schema.json`); the version each A/B variant and shadow variant
serves, likewise, as `registry.variant_packages[<model>][<variant>]`. Metrics come from the
package's model quality statistics report (`ModelMetrics.ModelQuality.Statistics.S3Uri`, the
evaluation report a pipeline registers), else from its `CustomerMetadataProperties`;
`metrics_source` says which.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from typing import Any

import boto3

from ..specs.loader import LoadedSpec
from ..specs.model import Comparison, Evaluation, Serving
from ..specs.names import resource_name
from ..specs.stack import StackConfig
from .aws import AwsContext, call, live_context

# What describe/list answer when a package or group does not exist (ValidationException on AWS and moto).
NOT_FOUND_CODES = ("ValidationException", "ResourceNotFound", "ResourceNotFoundException")
PACKAGE_ARN = re.compile(r"^arn:(aws[a-z-]*):sagemaker:([a-z0-9-]+):(\d{12}):model-package/([A-Za-z0-9-]+)/(\d+)$")
# Versioned packages default to this status when none was given at registration.
DEFAULT_APPROVAL_STATUS = "PendingManualApproval"
# Largest evaluation report read from S3; larger is not an evaluation report.
MAX_REPORT_BYTES = 1_000_000


def expected_group(stack: StackConfig, model: str) -> str:
    """The model package group the program creates for `model` on this stack (see components/model_stack.py)."""
    return resource_name(stack.name_prefix, stack.environment, model)


def registry_facts(stack: StackConfig, specs: Iterable[LoadedSpec], session: boto3.Session | None = None) -> dict[str, Any]:
    """The policy input's `registry` section, fetched live for every model that pins a package version.

    Raises LiveFactsError (exit 3) when AWS cannot be asked; a package that does not exist is
    a fact (`found: false`), not an error. When no model pins a package AWS is not contacted.
    """
    specs = list(specs)
    if not any(item.spec.registry.pinned_version is not None or variant_versions(item.spec.serving) for item in specs):
        # Nothing is pinned, so there is nothing to look up: complete facts without asking AWS.
        return {"source": "live", "endpoint_url": None, "region": stack.region, "packages": {}, "variant_packages": {}}
    ctx = live_context(stack.region, session, purpose="fetching model registry facts")
    return facts_with_context(ctx, stack, specs)


def facts_with_context(ctx: AwsContext, stack: StackConfig, specs: Iterable[LoadedSpec]) -> dict[str, Any]:
    packages: dict[str, Any] = {}
    variant_packages: dict[str, dict[str, Any]] = {}
    # A version several variants (or the pin and a variant) serve is described once.
    described: dict[tuple[str, str], dict[str, Any]] = {}

    def facts(group: str, pinned: str) -> dict[str, Any]:
        if (group, pinned) not in described:
            described[(group, pinned)] = package_facts(ctx, group, pinned)
        return dict(described[(group, pinned)])

    for item in sorted(specs, key=lambda s: s.spec.name):
        group = expected_group(stack, item.spec.name)
        pinned = item.spec.registry.pinned_version
        if pinned is not None:
            packages[item.spec.name] = facts(group, str(pinned))
        variants = variant_versions(item.spec.serving)
        if variants:
            variant_packages[item.spec.name] = {name: facts(group, str(version)) for name, version in variants.items()}
    account, _partition = ctx.identity()
    return {
        "source": "live",
        "endpoint_url": ctx.endpoint_url("sagemaker"),
        "region": ctx.region,
        "account": account,
        "packages": packages,
        "variant_packages": variant_packages,
    }


def variant_versions(serving: Serving) -> dict[str, int]:
    """The model package version each A/B variant and the shadow serve, by variant name."""
    versions = {v.name: v.model_version for v in serving.variants}
    if serving.shadow is not None:
        versions[serving.shadow.name] = serving.shadow.model_version
    return versions


def package_arn(ctx: AwsContext, group: str, version: int) -> str:
    account, partition = ctx.identity()
    return f"arn:{partition}:sagemaker:{ctx.region}:{account}:model-package/{group}/{version}"


def package_facts(ctx: AwsContext, group: str, pinned: str) -> dict[str, Any]:
    """Facts about one pinned package: `pinned` is a version number in `group` or a package ARN."""
    arn = pinned if pinned.startswith("arn:") else package_arn(ctx, group, int(pinned))
    facts: dict[str, Any] = {
        "pinned": pinned,
        "expected_group": group,
        "found": False,
        "arn": arn,
        "group": None,
        "version": None,
        "approval_status": None,
        "approval_description": None,
        "metrics": {},
        "metrics_source": None,
        "image": None,
        "model_data_url": None,
        "error": None,
    }
    described = call(
        ctx, "sagemaker", "describe_model_package", doing=f"describing model package {arn}",
        absent=NOT_FOUND_CODES, ModelPackageName=arn,
    )
    if described is None:
        facts["error"] = _missing_reason(ctx, arn, group)
        return facts
    containers = (described.get("InferenceSpecification") or {}).get("Containers") or [{}]
    metrics, source, problem = package_metrics(ctx, described)
    facts.update(
        found=True,
        arn=described.get("ModelPackageArn", arn),
        group=described.get("ModelPackageGroupName") or _group_of(described.get("ModelPackageArn", arn)),
        version=described.get("ModelPackageVersion"),
        approval_status=described.get("ModelApprovalStatus") or DEFAULT_APPROVAL_STATUS,
        approval_description=described.get("ApprovalDescription"),
        metrics=metrics,
        metrics_source=source,
        image=containers[0].get("Image"),
        model_data_url=containers[0].get("ModelDataUrl"),
        error=problem,
    )
    return facts


def _group_of(arn: str) -> str | None:
    match = PACKAGE_ARN.match(arn)
    return match.group(4) if match else None


def _missing_reason(ctx: AwsContext, arn: str, group: str) -> str:
    """Why a package was not found, with the versions its group does have, so the fix is obvious."""
    target_group = _group_of(arn) or group
    versions = group_versions(ctx, target_group)
    if versions is None:
        return f"model package {arn} not found: model package group {target_group} does not exist"
    listed = ", ".join(str(v) for v in versions[-10:]) if versions else "none"
    return f"model package {arn} not found; versions in group {target_group}: {listed}"


def group_versions(ctx: AwsContext, group: str) -> list[int] | None:
    """The versions registered in `group`, ascending; None when the group does not exist."""
    if call(ctx, "sagemaker", "describe_model_package_group", doing=f"describing model package group {group}",
            absent=NOT_FOUND_CODES, ModelPackageGroupName=group) is None:
        return None
    versions: list[int] = []
    token: str | None = None
    while True:
        page = call(
            ctx, "sagemaker", "list_model_packages", doing=f"listing model packages of group {group}",
            ModelPackageGroupName=group, MaxResults=100, **({"NextToken": token} if token else {}),
        ) or {}
        versions.extend(int(p["ModelPackageVersion"]) for p in page.get("ModelPackageSummaryList", []) if p.get("ModelPackageVersion"))
        token = page.get("NextToken")
        if not token:
            return sorted(versions)


def package_metrics(ctx: AwsContext, described: dict[str, Any]) -> tuple[dict[str, float], str | None, str | None]:
    """(metrics, where they came from, why the report could not be used) for one described package."""
    problem = None
    uri = (((described.get("ModelMetrics") or {}).get("ModelQuality") or {}).get("Statistics") or {}).get("S3Uri")
    if uri:
        try:
            metrics = report_metrics(_read_report(ctx, uri))
        except ValueError as e:
            metrics, problem = {}, f"model quality report {uri}: {e}"
        if metrics:
            return metrics, f"model_quality_statistics:{uri}", None
        problem = problem or f"model quality report {uri} holds no numeric metrics"
    properties = {
        key: number for key, value in (described.get("CustomerMetadataProperties") or {}).items()
        if (number := _number(value)) is not None
    }
    if properties:
        return dict(sorted(properties.items())), "customer_metadata_properties", problem
    return {}, None, problem


def _read_report(ctx: AwsContext, uri: str) -> Any:
    match = re.match(r"^s3://([^/]+)/(.+)$", uri)
    if not match:
        raise ValueError("not an s3://bucket/key URI")
    bucket, key = match.groups()
    answer = call(ctx, "s3", "get_object", doing=f"reading the evaluation report {uri}",
                  absent=("NoSuchKey", "NoSuchBucket", "404"), Bucket=bucket, Key=key)
    if answer is None:
        raise ValueError("the report does not exist")
    body = answer["Body"].read(MAX_REPORT_BYTES + 1)
    if len(body) > MAX_REPORT_BYTES:
        raise ValueError(f"larger than {MAX_REPORT_BYTES} bytes; not an evaluation report")
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"not JSON: {e}") from e


def report_metrics(report: Any) -> dict[str, float]:
    """Metric name → value from an evaluation report.

    Accepts SageMaker's model quality format (`{"binary_classification_metrics": {"auc": {"value": 0.95}}}`,
    likewise `regression_metrics`, `multiclass_classification_metrics`) and this project's
    evaluation step format (`{"metrics": {"auc": {"value": 0.95}}}`); plain numbers count too.
    """
    if not isinstance(report, dict):
        raise ValueError(f"expected a JSON object, found {type(report).__name__}")
    metrics: dict[str, float] = {}
    for section, entries in report.items():
        if not (section == "metrics" or section.endswith("_metrics")) or not isinstance(entries, dict):
            continue
        for name, entry in entries.items():
            value = _number(entry.get("value") if isinstance(entry, dict) else entry)
            if value is not None:
                metrics[str(name)] = value
    return dict(sorted(metrics.items()))


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def meets_threshold(evaluation: Evaluation, value: float) -> bool:
    if evaluation.comparison is Comparison.LESS_THAN_OR_EQUAL:
        return value <= evaluation.threshold
    return value >= evaluation.threshold


def metric_problem(evaluation: Evaluation, facts: dict[str, Any]) -> str | None:
    """Why the package's recorded metric does not meet the spec's evaluation threshold, or None when it does."""
    value = facts["metrics"].get(evaluation.metric)
    sign = "<=" if evaluation.comparison is Comparison.LESS_THAN_OR_EQUAL else ">="
    if value is None:
        recorded = ", ".join(sorted(facts["metrics"])) or "none"
        extra = f" ({facts['error']})" if facts.get("error") else ""
        return (
            f"model package {facts['arn']} records no '{evaluation.metric}' metric (recorded: {recorded}){extra}; "
            f"the spec requires {evaluation.metric} {sign} {evaluation.threshold:g}"
        )
    if not meets_threshold(evaluation, value):
        return (
            f"model package {facts['arn']} has {evaluation.metric} {value:g}, the spec requires "
            f"{evaluation.metric} {sign} {evaluation.threshold:g} (from {facts['metrics_source']})"
        )
    return None

