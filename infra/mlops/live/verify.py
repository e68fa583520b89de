"""`mlops verify`: compare what is deployed with the plan, for the properties that matter, per resource.

Checked: endpoints (status, configuration served), endpoint configurations (variants, KMS key,
data capture, asynchronous output), the SageMaker models they serve (model package, image,
artefact, VPC), KMS keys (state, rotation, description), CloudWatch alarms, Application Auto
Scaling targets and policies, and monitoring schedules.

How a planned resource is found: by the physical name the plan gives (endpoints, alarms,
schedules, scaling targets by resource id); endpoint configurations and models, which Pulumi
auto-names (`<logical name>-<7 characters>`), through the endpoint that serves them; KMS keys
through their planned alias. Planned values that are outputs of other resources are stand-ins
in an offline plan (account 123456789012, key `mock-<name>`, bucket `<prefix>mock`); they are
resolved to the live account, the key behind the alias and the one bucket with that prefix
before comparing. A value that cannot be resolved is listed as not checked, never as equal.

Limits: blue/green deployment settings and model network isolation are not compared (moto's
CreateEndpoint drops DeploymentConfig and its CreateModel ignores EnableNetworkIsolation, so
neither could be tested here); monitoring schedules are reported as not checkable when the
endpoint cannot answer DescribeMonitoringSchedule (moto does not implement it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import boto3

from .. import resources
from ..resources import sagemaker_endpoint_configuration
from ..offline import MOCK_ACCOUNT
from ..files import write_atomically
from ..plan import Plan, render_json
from .aws import AwsContext, Unanswered, call, live_context

IN_SYNC, DRIFTED, MISSING, NOT_CHECKABLE = "in-sync", "drifted", "missing", "not-checkable"
# Pulumi's auto-names: the logical name, a dash and seven random hex digits (pulumi-aws autonaming).
AUTONAME_SUFFIX = r"-[0-9a-f]{7}"
NOT_FOUND = ("ValidationException", "ResourceNotFound", "ResourceNotFoundException", "NotFoundException")
ENDPOINT = "aws:sagemaker/endpoint:Endpoint"
ENDPOINT_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
MODEL = "aws:sagemaker/model:Model"
KEY = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
SCALING_TARGET = "aws:appautoscaling/target:Target"
SCALING_POLICY = "aws:appautoscaling/policy:Policy"
SCHEDULE = "aws:sagemaker/monitoringSchedule:MonitoringSchedule"
BUCKET = "aws:s3/bucket:Bucket"
CHECKED_TYPES = (ENDPOINT, ENDPOINT_CONFIG, MODEL, KEY, ALARM, SCALING_TARGET, SCALING_POLICY, SCHEDULE)

# What is compared, per type, lives in the type's `mlops.resources` catalogue entry.
Fields = resources.Fields
VARIANT_FIELDS: Fields = resources.CATALOGUE[ENDPOINT_CONFIG].verify["variant"]
# The planned and deployed lists of an endpoint configuration's variants, shadow variants included.
VARIANT_LISTS = sagemaker_endpoint_configuration.VARIANT_LISTS
ENDPOINT_CONFIG_FIELDS: Fields = resources.CATALOGUE[ENDPOINT_CONFIG].verify["resource"]
MODEL_FIELDS: Fields = resources.CATALOGUE[MODEL].verify["resource"]
KEY_FIELDS: Fields = resources.CATALOGUE[KEY].verify["resource"]
ALARM_FIELDS: Fields = resources.CATALOGUE[ALARM].verify["resource"]
SCALING_TARGET_FIELDS: Fields = resources.CATALOGUE[SCALING_TARGET].verify["resource"]
SCALING_POLICY_FIELDS: Fields = resources.CATALOGUE[SCALING_POLICY].verify["resource"]
SCHEDULE_FIELDS: Fields = resources.CATALOGUE[SCHEDULE].verify["resource"]


@dataclass
class Difference:
    field: str
    planned: Any
    deployed: Any

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "planned": self.planned, "deployed": self.deployed}


@dataclass
class ResourceCheck:
    """One planned resource against its deployed counterpart."""

    urn: str
    type: str
    name: str
    model: str | None
    physical_name: str | None = None
    status: str = IN_SYNC
    differences: list[Difference] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "model": self.model,
            "physical_name": self.physical_name,
            "status": self.status,
            "differences": [d.to_dict() for d in self.differences],
            "unchecked": self.unchecked,
            "reason": self.reason,
        }


@dataclass
class DriftReport:
    stack: str
    environment: str
    region: str
    account: str
    endpoint_url: str | None
    checks: list[ResourceCheck]
    checked_at: str

    def count(self, status: str) -> int:
        return sum(c.status == status for c in self.checks)

    @property
    def drifted(self) -> bool:
        return any(c.status in (DRIFTED, MISSING) for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "formatVersion": 1,
            "stack": self.stack,
            "environment": self.environment,
            "region": self.region,
            "account": self.account,
            "endpoint_url": self.endpoint_url,
            "checked_at": self.checked_at,
            "drift": self.drifted,
            "summary": {s: self.count(s) for s in (IN_SYNC, DRIFTED, MISSING, NOT_CHECKABLE)},
            "resources": [c.to_dict() for c in self.checks],
        }


def write_drift_report(report: DriftReport, reports_dir: Path) -> Path:
    out = reports_dir / report.stack / "drift-report.json"
    write_atomically(out, render_json(report.to_dict()).encode("utf-8"))
    return out


class Unresolved(Exception):
    """A planned value is a stand-in for another resource's output that could not be resolved live."""


class Resolver:
    """Turns an offline plan's stand-in values into the live values they stand for."""

    def __init__(self, ctx: AwsContext, resources: list[dict[str, Any]]) -> None:
        self.ctx = ctx
        self.account = ctx.identity()[0]
        self.substitutions: dict[str, str] = {}
        self.failures: dict[str, str] = {}
        self.keys: dict[str, dict[str, Any] | None] = {}
        self._resolve_keys(resources)
        self._resolve_buckets(resources)

    def _resolve_keys(self, resources: list[dict[str, Any]]) -> None:
        aliases = [r for r in resources if r["type"] == ALIAS]
        for key in (r for r in resources if r["type"] == KEY):
            stand_in = f"mock-{key['name']}"
            alias = next((a["inputs"].get("name") for a in aliases if a["inputs"].get("targetKeyId") == stand_in), None)
            if not alias:
                self.keys[key["urn"]] = None
                self.failures[stand_in] = f"key {key['name']} has no planned alias to find it by"
                continue
            described = call(self.ctx, "kms", "describe_key", doing=f"finding KMS key {alias}", absent=NOT_FOUND, KeyId=alias)
            metadata = (described or {}).get("KeyMetadata")
            self.keys[key["urn"]] = {"alias": alias, **(metadata or {})}
            if metadata:
                self.substitutions[stand_in] = metadata["KeyId"]
            else:
                self.failures[stand_in] = f"no KMS key behind alias {alias}"

    def _resolve_buckets(self, resources: list[dict[str, Any]]) -> None:
        prefixes = [
            r["inputs"]["bucketPrefix"] for r in resources
            if r["type"] == BUCKET and r["inputs"].get("bucketPrefix") and not r["inputs"].get("bucket")
        ]
        if not prefixes:
            return
        listed = call(self.ctx, "s3", "list_buckets", doing="listing S3 buckets") or {}
        names = [b["Name"] for b in listed.get("Buckets", [])]
        for prefix in prefixes:
            matches = [n for n in names if n.startswith(prefix) and n != f"{prefix}mock"]
            if len(matches) == 1:
                # The bucket's id (what its settings' `bucket` inputs hold) is its name.
                self.substitutions[f"{prefix}mock-id"] = matches[0]
                self.substitutions[f"{prefix}mock"] = matches[0]
            else:
                self.failures[f"{prefix}mock"] = f"{len(matches)} buckets named {prefix}*" if matches else f"no bucket named {prefix}*"

    def resolve(self, value: Any) -> Any:
        """`value` with every stand-in replaced; Unresolved when one cannot be."""
        if isinstance(value, str):
            for stand_in, reason in self.failures.items():
                if stand_in in value:
                    raise Unresolved(reason)
            for stand_in, live in self.substitutions.items():
                value = value.replace(stand_in, live)
            return value.replace(f":{MOCK_ACCOUNT}:", f":{self.account}:")
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        return value


def verify_plan(plan: Plan, session: boto3.Session | None = None) -> DriftReport:
    """Compare the deployed stack with the plan; LiveFactsError (exit 3) when AWS cannot be asked."""
    ctx = live_context(plan.stack.region, session, purpose="mlops verify")
    account = ctx.identity()[0]
    resources = [r for r in plan.resources if r.get("custom", True)]
    checker = _Checker(ctx, Resolver(ctx, resources), resources)
    ordered = sorted((r for r in resources if r["type"] in CHECKED_TYPES), key=lambda r: (r["model"] or "", r["type"], r["name"]))
    checks = [checker.check(r) for r in ordered]
    return DriftReport(
        stack=plan.stack.stack,
        environment=plan.stack.environment,
        region=plan.stack.region,
        account=account,
        endpoint_url=ctx.endpoint_url("sagemaker"),
        checks=checks,
        checked_at=datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
    )


def planned_name(resource: dict[str, Any]) -> str:
    """The physical name the plan gives (under mocks an auto-named resource's name is its logical name)."""
    name = resource["inputs"].get("name")
    return name if isinstance(name, str) and name else resource["name"]


def same_name(planned: str, deployed: str | None) -> bool:
    """Equal, or Pulumi's auto-name of the planned (logical) name."""
    return deployed is not None and (deployed == planned or re.fullmatch(re.escape(planned) + AUTONAME_SUFFIX, deployed) is not None)


def _get(value: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


class _Checker:
    def __init__(self, ctx: AwsContext, resolver: Resolver, resources: list[dict[str, Any]]) -> None:
        self.ctx = ctx
        self.resolver = resolver
        self.resources = resources
        self._endpoints: dict[str, dict[str, Any] | None] = {}
        self._configs: dict[str, dict[str, Any] | None] = {}
        self.handlers: dict[str, Callable[[dict[str, Any], ResourceCheck], None]] = {
            ENDPOINT: self._endpoint,
            ENDPOINT_CONFIG: self._endpoint_config,
            MODEL: self._model,
            KEY: self._key,
            ALARM: self._alarm,
            SCALING_TARGET: self._scaling_target,
            SCALING_POLICY: self._scaling_policy,
            SCHEDULE: self._schedule,
        }

    def check(self, resource: dict[str, Any]) -> ResourceCheck:
        result = ResourceCheck(urn=resource["urn"], type=resource["type"], name=resource["name"], model=resource.get("model"))
        try:
            self.handlers[resource["type"]](resource, result)
        except Unanswered as e:
            result.status, result.reason = NOT_CHECKABLE, (
                f"not verifiable against this endpoint: {self.ctx.where('sagemaker')} could not answer {e.operation} ({e.detail}); "
                "local emulators such as moto do not implement it"
            )
        if result.status == IN_SYNC and result.differences:
            result.status = DRIFTED
        return result

    # --- comparing -------------------------------------------------------------------------

    def compare(self, result: ResourceCheck, label: str, planned: Any, deployed: Any, *, kind: str = "exact") -> None:
        """Record a difference when `planned` (resolved) and `deployed` disagree; `planned` None means not planned."""
        if planned is None:
            return
        try:
            planned = self.resolver.resolve(planned)
        except Unresolved as e:
            result.unchecked.append(f"{label}: {e}")
            return
        if kind == "name":
            equal = same_name(planned, deployed)
        elif kind == "set":
            equal = sorted(planned) == sorted(deployed or [])
        elif kind == "number":
            equal = deployed is not None and float(planned) == float(deployed)
        else:
            equal = planned == deployed
        if not equal:
            result.differences.append(Difference(label, planned, deployed))

    def compare_fields(
        self, result: ResourceCheck, planned: dict[str, Any], deployed: dict[str, Any], fields: Fields, prefix: str = ""
    ) -> None:
        for planned_path, deployed_path, kind in fields:
            self.compare(result, prefix + planned_path, _get(planned, planned_path), _get(deployed, deployed_path), kind=kind)

    def missing(self, result: ResourceCheck, what: str) -> None:
        result.status, result.reason = MISSING, what

    # --- SageMaker serving -----------------------------------------------------------------

    def endpoint(self, name: str) -> dict[str, Any] | None:
        if name not in self._endpoints:
            self._endpoints[name] = call(self.ctx, "sagemaker", "describe_endpoint", doing=f"describing endpoint {name}",
                                         absent=NOT_FOUND, EndpointName=name)
        return self._endpoints[name]

    def endpoint_config(self, name: str) -> dict[str, Any] | None:
        if name not in self._configs:
            self._configs[name] = call(
                self.ctx, "sagemaker", "describe_endpoint_config", doing=f"describing endpoint configuration {name}",
                absent=NOT_FOUND, EndpointConfigName=name,
            )
        return self._configs[name]

    def _endpoint(self, resource: dict[str, Any], result: ResourceCheck) -> None:
        name = result.physical_name = planned_name(resource)
        deployed = self.endpoint(name)
        if deployed is None:
            return self.missing(result, f"no endpoint named {name}")
        self.compare(result, "status", "InService", deployed.get("EndpointStatus"))
        planned_config = resource["inputs"].get("endpointConfigName")
        self.compare(result, "endpointConfigName", planned_config, deployed.get("EndpointConfigName"), kind="name")

    def _served_config(self, resource: dict[str, Any], result: ResourceCheck) -> dict[str, Any] | None:
        """The deployed configuration the planned endpoint serves, found through that endpoint."""
        planned = planned_name(resource)
        endpoints = [e for e in self.resources if e["type"] == ENDPOINT and e["inputs"].get("endpointConfigName") == planned]
        if not endpoints:
            result.status, result.reason = NOT_CHECKABLE, "no planned endpoint serves it, so it cannot be found by name"
            return None
        endpoint = self.endpoint(planned_name(endpoints[0]))
        if endpoint is None:
            self.missing(result, f"its endpoint {planned_name(endpoints[0])} does not exist")
            return None
        deployed_name = endpoint.get("EndpointConfigName")
        if not same_name(planned, deployed_name):
            self.missing(result, f"endpoint {planned_name(endpoints[0])} serves {deployed_name}, not a configuration named {planned}")
            return None
        result.physical_name = deployed_name
        config = self.endpoint_config(deployed_name)
        if config is None:
            self.missing(result, f"no endpoint configuration named {deployed_name}")
        return config

    def _endpoint_config(self, resource: dict[str, Any], result: ResourceCheck) -> None:
        deployed = self._served_config(resource, result)
        if deployed is None:
            return
        inputs = resource["inputs"]
        for planned_key, deployed_key in VARIANT_LISTS:
            variants = {v.get("VariantName"): v for v in deployed.get(deployed_key, [])}
            for variant in inputs.get(planned_key, []):
                label = f"{planned_key}[{variant.get('variantName')}]"
                live = variants.get(variant.get("variantName"))
                if live is None:
                    result.differences.append(Difference(label, "present", None))
                else:
                    self.compare_fields(result, variant, live, VARIANT_FIELDS, prefix=f"{label}.")
        self.compare_fields(result, inputs, deployed, ENDPOINT_CONFIG_FIELDS)

    def _model(self, resource: dict[str, Any], result: ResourceCheck) -> None:
        planned = planned_name(resource)
        configs = [c for c in self.resources if c["type"] == ENDPOINT_CONFIG
                   and any(v.get("modelName") == planned for key, _ in VARIANT_LISTS for v in c["inputs"].get(key, []))]
        if not configs:
            result.status, result.reason = NOT_CHECKABLE, "no planned endpoint configuration serves it, so it cannot be found by name"
            return
        holder = ResourceCheck(urn="", type=ENDPOINT_CONFIG, name=configs[0]["name"], model=None)
        config = self._served_config(configs[0], holder)
        if config is None:
            # The configuration's own row reports that; the model cannot be found by name without it.
            result.status = NOT_CHECKABLE
            result.reason = f"found only through its endpoint configuration, which is not as planned: {holder.reason}"
            return
        served = [v.get("ModelName") for _, key in VARIANT_LISTS for v in config.get(key, [])]
        deployed_name = next((name for name in served if same_name(planned, name)), None)
        if deployed_name is None:
            return self.missing(result, f"endpoint configuration {holder.physical_name} serves no model named {planned}")
        result.physical_name = deployed_name
        deployed = call(
            self.ctx, "sagemaker", "describe_model", doing=f"describing model {deployed_name}", absent=NOT_FOUND, ModelName=deployed_name
        )
        if deployed is None:
            return self.missing(result, f"no model named {deployed_name}")
        self.compare_fields(result, resource["inputs"], deployed, MODEL_FIELDS)

    # --- KMS, alarms, scaling, monitoring -----------------------------------------------------

    def _key(self, resource: dict[str, Any], result: ResourceCheck) -> None:
        found = self.resolver.keys.get(resource["urn"])
        if found is None:
            result.status, result.reason = NOT_CHECKABLE, "auto-named key without a planned alias: there is no name to find it by"
            return
        result.physical_name = found["alias"]
        if "KeyId" not in found:
            return self.missing(result, f"no KMS key behind alias {found['alias']}")
        result.physical_name = f"{found['alias']} ({found['KeyId']})"
        self.compare(result, "keyState", "Enabled", found.get("KeyState"))
        self.compare_fields(result, resource["inputs"], found, KEY_FIELDS)
        rotation = resource["inputs"].get("enableKeyRotation")
        if rotation is not None:
            status = call(
                self.ctx, "kms", "get_key_rotation_status", doing=f"reading rotation of KMS key {found['KeyId']}", KeyId=found["KeyId"]
            ) or {}
            self.compare(result, "enableKeyRotation", rotation, status.get("KeyRotationEnabled"))

    def _alarm(self, resource: dict[str, Any], result: ResourceCheck) -> None:
        name = result.physical_name = planned_name(resource)
        answer = call(self.ctx, "cloudwatch", "describe_alarms", doing=f"describing alarm {name}", AlarmNames=[name]) or {}
        alarms = answer.get("MetricAlarms", [])
        if not alarms:
            return self.missing(result, f"no CloudWatch alarm named {name}")
        live, inputs = alarms[0], resource["inputs"]
        self.compare_fields(result, inputs, live, ALARM_FIELDS)
        dimensions = inputs.get("dimensions")
        if isinstance(dimensions, dict):
            live_dimensions = {d["Name"]: d["Value"] for d in live.get("Dimensions", [])}
            self.compare(result, "dimensions", dimensions, live_dimensions)

    def _scaling_target(self, resource: dict[str, Any], result: ResourceCheck) -> None:
        inputs = resource["inputs"]
        resource_id = result.physical_name = inputs.get("resourceId")
        answer = call(
            self.ctx, "application-autoscaling", "describe_scalable_targets", doing=f"describing scalable target {resource_id}",
            ServiceNamespace=inputs.get("serviceNamespace"), ResourceIds=[resource_id],
            ScalableDimension=inputs.get("scalableDimension"),
        ) or {}
        targets = answer.get("ScalableTargets", [])
        if not targets:
            return self.missing(result, f"no scalable target {resource_id} ({inputs.get('scalableDimension')})")
        self.compare_fields(result, inputs, targets[0], SCALING_TARGET_FIELDS)

    def _scaling_policy(self, resource: dict[str, Any], result: ResourceCheck) -> None:
        inputs = resource["inputs"]
        planned = planned_name(resource)
        answer = call(
            self.ctx, "application-autoscaling", "describe_scaling_policies",
            doing=f"describing scaling policies of {inputs.get('resourceId')}",
            ServiceNamespace=inputs.get("serviceNamespace"), ResourceId=inputs.get("resourceId"),
            ScalableDimension=inputs.get("scalableDimension"),
        ) or {}
        live = next((p for p in answer.get("ScalingPolicies", []) if same_name(planned, p.get("PolicyName"))), None)
        if live is None:
            return self.missing(result, f"no scaling policy named {planned} on {inputs.get('resourceId')}")
        result.physical_name = live["PolicyName"]
        self.compare_fields(result, inputs, live, SCALING_POLICY_FIELDS)

    def _schedule(self, resource: dict[str, Any], result: ResourceCheck) -> None:
        name = result.physical_name = planned_name(resource)
        deployed = call(self.ctx, "sagemaker", "describe_monitoring_schedule", doing=f"describing monitoring schedule {name}",
                        absent=NOT_FOUND, unanswered_ok=True, MonitoringScheduleName=name)
        if deployed is None:
            return self.missing(result, f"no monitoring schedule named {name}")
        self.compare(result, "status", "Scheduled", deployed.get("MonitoringScheduleStatus"))
        self.compare_fields(result, resource["inputs"], deployed, SCHEDULE_FIELDS)
