"""`mlops scan`: the same policies on what is deployed, to catch changes made outside the pipeline.

The stack's plan says which resources should exist. Each is read back through boto3 as its
resource catalogue entry says (`mlops.resources.<type>.RESOURCE.read`: one Describe/Get call,
found by its physical name or through the resource that names it), and its answer is mapped
back onto the pulumi input names through the same translation the conformance check uses (the
create request's member paths → the inputs they came from). The result is the policy input
document the offline gate evaluates, with the stack's enforcement and waivers, live registry
facts, and `require_verified`.

What cannot be read is never a pass: a field the answer lacks, or a whole resource whose type has
no reader or whose endpoint cannot answer, becomes Pulumi's unknown value, and the gate makes
every check that depends on it unverified (`mlops.governance.unknowns`). A planned resource that
does not exist is reported missing (exit 1) and left out of the document, so the policies that
need it (an endpoint's alarms, a bucket's policy) fail as they would on such a plan. Resources
carrying the stack's naming prefix that the plan does not declare are reported as unmanaged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore import xform_name

from .. import resources as catalogue
from ..governance.unknowns import UNKNOWN
from ..plan import Plan, capture, load_inputs
from ..policy_gate import GateOutcome, gate_stack, governance_for
from ..policy_input import attribute_models, resource_entry
from ..resources import api
from ..resources.base import GENERATED, Read, Ref, Via, parse_pattern
from ..resources.conformance import UNKNOWN_SENTINELS
from .aws import AwsContext, LiveFactsError, Unanswered, call, live_context
from .registry import registry_facts
from .verify import NOT_FOUND, Resolver, Unresolved, planned_name

# Error codes that mean "no such resource" across the services read here.
ABSENT = (*NOT_FOUND, "NoSuchEntity", "NoSuchBucket", "NotFound", "NoSuchBucketPolicy", "NoSuchPublicAccessBlockConfiguration",
          "ServerSideEncryptionConfigurationNotFoundError", "NoSuchLifecycleConfiguration", "NotFoundException")
# Settings S3 answers "not set" for: the setting resource is then missing.
_UNSET_S3 = {"GetBucketPolicy", "GetPublicAccessBlock", "GetBucketEncryption", "GetBucketLifecycleConfiguration"}


@dataclass
class Scanned:
    """What the deployed state says about the plan's resources."""

    resources: list[dict[str, Any]]
    missing: list[dict[str, Any]] = field(default_factory=list)
    unmanaged: list[dict[str, Any]] = field(default_factory=list)
    unreadable: list[dict[str, Any]] = field(default_factory=list)
    account: str = ""
    endpoint_url: str | None = None

    def section(self, region: str) -> dict[str, Any]:
        return {
            "region": region,
            "account": self.account,
            "endpoint_url": self.endpoint_url,
            "missing": self.missing,
            "unmanaged": self.unmanaged,
            "unreadable": self.unreadable,
        }


def _get(value: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        if isinstance(part, int):
            if not isinstance(value, list) or part >= len(value):
                return None
        elif not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _set(target: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    node: Any = target
    for index, part in enumerate(path[:-1]):
        following = path[index + 1]
        if isinstance(node, list):
            while len(node) <= part:  # type: ignore[operator]
                node.append({} if isinstance(following, str) else [])
            node = node[part]  # type: ignore[index]
        else:
            node = node.setdefault(part, {} if isinstance(following, str) else [])
    last = path[-1]
    if isinstance(node, list):
        while len(node) <= last:  # type: ignore[operator]
            node.append(None)
    node[last] = value  # type: ignore[index]


def _aligned(inputs: Any, path: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """An origin path in the planned inputs' own shape: a catalogue `reshape` may have wrapped a block
    pulumi-aws models as one object (MaxItems 1) into the list the API takes, so its origins index
    into a list the inputs do not have; that index is dropped."""
    aligned: list[str | int] = []
    node = inputs
    for part in path:
        if isinstance(part, int) and isinstance(node, Mapping):
            continue
        aligned.append(part)
        node = _get(node, (part,))
    return tuple(aligned)


def _drop(target: dict[str, Any], path: tuple[str | int, ...]) -> None:
    node: Any = target
    for part in path[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(path[-1], None)


def _dotted(text: str) -> tuple[str | int, ...]:
    return tuple(parse_pattern(text)) if text else ()


def _list_entries(
    inputs: Any, where: tuple[str | int, ...], path: tuple[str | int, ...]
) -> list[tuple[tuple[str | int, ...], tuple[str | int, ...]]]:
    """A Via's (input, answer path) pair with `[*]` expanded over the planned list's entries, the
    planned and the answered entries matched by position (SageMaker keeps the order it was given)."""
    if "*" not in where or "*" not in path:
        return [(where, path)]
    planned, answered = where.index("*"), path.index("*")
    entries = _get(inputs, where[:planned])
    if not isinstance(entries, list):
        return []
    return [(where[:planned] + (n,) + where[planned + 1:], path[:answered] + (n,) + path[answered + 1:]) for n in range(len(entries))]


class _Reader:
    def __init__(self, ctx: AwsContext, resolver: Resolver, planned: list[dict[str, Any]]) -> None:
        self.ctx = ctx
        self.resolver = resolver
        self.planned = planned
        self.answers: dict[str, dict[str, Any] | None] = {}
        self.params: dict[str, dict[str, Any]] = {}
        # Under mocks a resource's id is `<its name>-id`; the provider's id of a named resource (a role
        # a role policy's `role` input holds) is its name.
        self.ids = {f"{planned_name(r)}-id": planned_name(r) for r in planned if isinstance(r["inputs"].get("name"), str)}

    def answer_of(self, urn: str) -> dict[str, Any] | None:
        return self.answers.get(urn)

    def _template(self, text: str, resource: dict[str, Any]) -> str:
        values = {"region": self.ctx.region, "account": self.resolver.account, **{
            k: v for k, v in resource["inputs"].items() if isinstance(v, str)}}
        return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), planned_name(resource) if m.group(1) == "name" else "")), text)

    def _by(self, read: Read, resource: dict[str, Any]) -> dict[str, Any] | None:
        """The request that finds the deployed resource; None when a name it needs is not known."""
        params: dict[str, Any] = {}
        shape = api.shape_of(read.service, read.operation)
        for member, source in read.by.items():
            if isinstance(source, Via):
                # The referrer holds this resource's offline stand-in: its name, or the mock id or key id.
                stand_ins = (planned_name(resource), resource["name"], f"{resource['name']}-id", f"mock-{resource['name']}")
                value = None
                for referrer in (r for r in self.planned if r["type"] == source.type):
                    answer = self.answers.get(referrer["urn"])
                    for pattern, answered in source.pairs:
                        for where, path in _list_entries(referrer["inputs"], _dotted(pattern), _dotted(answered)):
                            if answer and value is None and _get(referrer["inputs"], where) in stand_ins:
                                value = _get(answer, path)
            elif isinstance(source, Ref):
                value = self._live_name_of(source, _get(resource["inputs"], _dotted(source.input)))
            elif "{" in source:
                value = self.resolver.resolve(self._template(source, resource))
            else:
                value = _get(resource["inputs"], _dotted(source))
                if value is None and source == "name" and read.listed is not None:
                    value = self._listed(read, resource, params)
                elif value is None and source == "name":
                    value = planned_name(resource)
                value = self.resolver.resolve(self.ids.get(value, value) if isinstance(value, str) else value)
            if value is None or value == GENERATED:
                return None
            member_shape = shape.members.get(member) if shape is not None else None
            params[member] = [value] if member_shape is not None and member_shape.type_name == "list" else value
        return params

    def _live_name_of(self, ref: Ref, stand_in: Any) -> str | None:
        """The name the resource of `ref.type` planned as `stand_in` was found by (read earlier)."""
        for other in self.planned:
            if other["type"] == ref.type and stand_in in (planned_name(other), other["name"], f"{other['name']}-id"):
                found_by = self.params.get(other["urn"], {})
                return next((v for v in found_by.values() if isinstance(v, str)), None)
        return None

    def _listed(self, read: Read, resource: dict[str, Any], params: dict[str, Any]) -> str | None:
        """The live name of a resource Pulumi auto-named: the one listed item `<logical name>-<7 hex>`."""
        assert read.listed is not None
        operation, items, key = read.listed
        listing = {k: v for k, v in params.items() if isinstance(v, str)}
        if operation == "ListRules":
            listing = {"NamePrefix": resource["name"]}
        try:
            answer = call(self.ctx, read.service, xform_name(operation), doing=f"listing {items}", absent=ABSENT, unanswered_ok=True,
                          **listing)
        except Unanswered:
            return None
        names = [item.get(key) if key else item for item in (answer or {}).get(items, [])]
        named = [n for n in names if isinstance(n, str) and re.fullmatch(re.escape(resource["name"]) + r"-[0-9a-f]{7}", n)]
        if not named:
            raise _Missing(f"{operation} lists nothing named {resource['name']}-<7 hex digits>")
        return named[0] if len(named) == 1 else None

    def read(self, resource: dict[str, Any], entry: catalogue.ResourceType) -> tuple[str, dict[str, Any] | None, str]:
        """("found", answer, "") · ("missing", None, why) · ("unreadable", None, why)."""
        read = entry.read
        assert read is not None
        try:
            params = self._by(read, resource)
        except Unresolved as e:
            return "unreadable", None, f"cannot name it: {e}"
        except _Missing as e:
            return "missing", None, str(e)
        if params is None:
            return "unreadable", None, "its physical name is generated and nothing deployed names it"
        self.params[resource["urn"]] = params
        doing = f"reading {resource['type']} {resource['name']} ({read.operation})"
        try:
            answer = call(self.ctx, read.service, xform_name(read.operation), doing=doing, absent=ABSENT, unanswered_ok=True, **params)
        except Unanswered as e:
            return "unreadable", None, f"{self.ctx.where(read.service)} cannot answer {e.operation} ({e.detail})"
        found = _get(answer, read.found_at) if answer is not None else None
        if not isinstance(found, dict):
            what = ", ".join(f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}" for k, v in params.items())
            return "missing", None, f"{read.operation} finds no {resource['type'].rsplit(':', 1)[-1]} with {what}"
        for operation, _input, key in read.extra:
            try:
                more = call(self.ctx, read.service, xform_name(operation), doing=doing, absent=ABSENT, unanswered_ok=True, **params)
            except Unanswered:
                more = None
            if more is not None and key in more:
                found = {**found, key: more[key]}
        for path in read.documents:
            if isinstance(found.get(path), (dict, list)):
                found = {**found, path: json.dumps(found[path])}
        return "found", found, ""


def _live_inputs(entry: catalogue.ResourceType, planned: dict[str, Any], found: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The planned inputs with every value the create request sends replaced by the deployed one,
    or by the unknown value where the answer does not hold it; and the input paths not read."""
    read = entry.read
    assert read is not None
    inputs = json.loads(json.dumps(planned["inputs"]))
    not_read: list[str] = []
    requests = entry.requests(planned["inputs"])
    if not requests:
        return inputs, not_read
    renames = sorted(((_dotted(k), _dotted(v)) for k, v in read.answer.items()), key=lambda kv: -len(kv[0]))
    identified = _identifying_inputs(read)
    direct = {_dotted(path) for path in [*read.fields, *(extra[1] for extra in read.extra)]}
    unset = [_dotted(path) for path in read.unset_when_absent]
    seen: dict[tuple[str | int, ...], list[tuple[tuple[str | int, ...], Any]]] = {}
    mapped = 0
    for request_path, input_path in requests[0].request.origins.items():
        input_path = _aligned(planned["inputs"], input_path)
        if input_path in identified or input_path in direct or input_path[:1] == ("tags",):
            continue
        mapped += 1
        answer_path = request_path
        for prefix, replacement in renames:
            if request_path[: len(prefix)] == prefix:
                answer_path = (*replacement, *request_path[len(prefix):])
                break
        value = _get(found, answer_path)
        block = next((b for b in unset if input_path[: len(b)] == b), None)
        if block is not None:
            seen.setdefault(block, []).append((input_path, value))
            continue
        _record(inputs, input_path, value, not_read)
    for block, values in seen.items():
        if all(value is None for _, value in values):
            _drop(inputs, block)  # the deployed resource does not have the block at all: a fact
            continue
        for input_path, value in values:  # the block is there: fields it lacks are not known
            _record(inputs, input_path, value, not_read)
    for _operation, input_path, key in read.extra:
        _record(inputs, _dotted(input_path), found.get(key), not_read)
    for input_path, answer_path in read.fields.items():
        _record(inputs, _dotted(input_path), _get(found, _dotted(answer_path)), not_read)
    if mapped and len(not_read) >= mapped and not any(key != "ResponseMetadata" for key in found):
        raise _NothingThere
    return inputs, not_read


def _identifying_inputs(read: Read) -> set[tuple[str | int, ...]]:
    """The inputs that found the resource — directly, through another resource's name, or in the
    template of its name or ARN: what they are, not read back."""
    found_by: set[tuple[str | int, ...]] = set()
    for source in read.by.values():
        if isinstance(source, Ref):
            found_by.add(_dotted(source.input))
        elif isinstance(source, str) and "{" in source:
            found_by.update(_dotted(v) for v in re.findall(r"\{(\w+)\}", source) if v not in ("region", "account"))
        elif isinstance(source, str):
            found_by.add(_dotted(source))
    return found_by


def _record(inputs: dict[str, Any], input_path: tuple[str | int, ...], value: Any, not_read: list[str]) -> None:
    """The deployed value at an input path, or the unknown value (and the path noted) when it was not read."""
    _set(inputs, input_path, UNKNOWN if value is None else value)
    if value is None:
        not_read.append(catalogue.format_path(input_path))


class _Missing(Exception):
    """A listing answered, and holds no resource of the planned name."""


class _NothingThere(Exception):
    """The answer holds none of the planned settings: the setting resource does not exist (S3 answers an
    unversioned bucket's GetBucketVersioning, or an unlogged bucket's GetBucketLogging, with nothing)."""


def _unknown_everywhere(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _unknown_everywhere(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unknown_everywhere(v) for v in value]
    return UNKNOWN


def _tags(ctx: AwsContext, read: Read, found: dict[str, Any], params: dict[str, Any]) -> dict[str, str] | None:
    """The deployed resource's tags where its service lists them; None when they cannot be read."""
    service = read.service
    own = re.sub(r"^(Describe|Get)", "", read.operation)
    arns = [f"{own}Arn", f"{own.rstrip('s')}Arn", "AlarmArn", "JobDefinitionArn", "TopicArn", "ScalableTargetARN", "Arn"]
    arn = next((found[k] for k in arns if isinstance(found.get(k), str)), None)
    listing: tuple[str, dict[str, Any], str, str, str] | None = None  # operation, params, list, key, value
    if service == "s3" and isinstance(params.get("Bucket"), str):
        answer = call(ctx, "s3", "get_bucket_tagging", doing="reading bucket tags", absent=("NoSuchTagSet", *ABSENT),
                      unanswered_ok=True, Bucket=params["Bucket"])
        return {t["Key"]: t["Value"] for t in (answer or {}).get("TagSet", [])}
    if service == "iam" and isinstance(params.get("RoleName"), str):
        listing = ("list_role_tags", {"RoleName": params["RoleName"]}, "Tags", "Key", "Value")
    elif service == "kms" and isinstance(found.get("KeyId"), str):
        listing = ("list_resource_tags", {"KeyId": found["KeyId"]}, "Tags", "TagKey", "TagValue")
    elif arn is None:
        return None
    elif service == "sagemaker":
        listing = ("list_tags", {"ResourceArn": arn}, "Tags", "Key", "Value")
    elif service in ("cloudwatch", "events", "application-autoscaling"):
        listing = ("list_tags_for_resource", {"ResourceARN": arn}, "Tags", "Key", "Value")
    elif service == "sns":
        listing = ("list_tags_for_resource", {"ResourceArn": arn}, "Tags", "Key", "Value")
    if listing is None:
        return None
    operation, by, items, key, value = listing
    try:
        answer = call(ctx, service, operation, doing="listing tags", absent=ABSENT, unanswered_ok=True, **by)
    except Unanswered:
        return None
    if answer is None:
        return None
    return {t[key]: t[value] for t in answer.get(items, [])}


def _as_planned(tags: dict[str, str], planned: Any) -> Any:
    """Tags in the shape the inputs hold them: a map (pulumi-aws), or a list of {key, value} (pulumi-aws-native)."""
    if not isinstance(planned, list):
        return tags
    order = [t.get("key") for t in planned if isinstance(t, dict)]
    keys = [k for k in order if k in tags] + sorted(k for k in tags if k not in order)
    return [{"key": k, "value": tags[k]} for k in keys]


def scan_plan(plan: Plan, session: boto3.Session | None = None) -> Scanned:
    """Read every planned resource back; LiveFactsError (exit 3) when AWS cannot be asked at all."""
    ctx = live_context(plan.stack.region, session, purpose="mlops scan")
    planned = [r for r in plan.resources if r.get("custom", True) and not r["type"].startswith("mlops:")]
    resolver = Resolver(ctx, planned)
    reader = _Reader(ctx, resolver, planned)
    scanned = Scanned(resources=[], account=resolver.account, endpoint_url=ctx.endpoint_url("sagemaker"))
    # A resource found through another is read after it (endpoint → configuration → model; alias → key).
    order = {token: rank for rank, token in enumerate(_read_order())}
    live: dict[str, dict[str, Any]] = {}
    for resource in sorted(planned, key=lambda r: (order.get(r["type"], 0), r["urn"])):
        entry = catalogue.lookup(resource["type"])
        if entry is None or entry.read is None:
            why = "no reader for this resource type in mlops/resources" if entry else "no catalogue entry for this resource type"
            live[resource["urn"]] = {**resource, "inputs": _unknown_everywhere(resource["inputs"])}
            scanned.unreadable.append({"urn": resource["urn"], "type": resource["type"], "reason": why, "fields": ["(all)"]})
            continue
        status, found, why = reader.read(resource, entry)
        reader.answers[resource["urn"]] = found
        if status == "missing":
            scanned.missing.append({"urn": resource["urn"], "type": resource["type"], "name": resource["name"], "reason": why})
            continue
        if status == "unreadable":
            live[resource["urn"]] = {**resource, "inputs": _unknown_everywhere(resource["inputs"])}
            scanned.unreadable.append({"urn": resource["urn"], "type": resource["type"], "reason": why, "fields": ["(all)"]})
            continue
        assert found is not None
        try:
            inputs, not_read = _live_inputs(entry, resource, found)
        except _NothingThere:
            scanned.missing.append({"urn": resource["urn"], "type": resource["type"], "name": resource["name"],
                                    "reason": f"{entry.read.operation} answers that none of its planned settings is set"})
            continue
        if "tags" in inputs:
            tags = _tags(ctx, entry.read, found, reader.params.get(resource["urn"], {}))
            inputs["tags"] = _as_planned(tags, inputs["tags"]) if tags is not None else _unknown_everywhere(inputs["tags"])
            if tags is None:
                not_read.append("tags")
        live[resource["urn"]] = {**resource, "inputs": inputs}
        if not_read:
            scanned.unreadable.append({
                "urn": resource["urn"], "type": resource["type"], "fields": not_read,
                "reason": f"{entry.read.operation} does not return these fields here",
            })
    components = [r for r in plan.resources if r["urn"] not in live and r["type"].startswith("mlops:")]
    entries = [
        {"custom": r.get("custom", True), **resource_entry(r["urn"], r["type"], r["name"], r["parent"], r["dependencies"], r["inputs"])}
        for r in [*components, *(live[r["urn"]] for r in planned if r["urn"] in live)]
    ]
    for entry in entries:
        # Tags that could not be read name no model: the resource belongs to its enclosing model stack.
        if entry["model"] in UNKNOWN_SENTINELS:
            entry["model"] = None
    attribute_models(entries)
    scanned.resources = entries
    scanned.unmanaged = _unmanaged(ctx, plan, reader)
    return scanned


def _read_order() -> list[str]:
    return [
        "aws:kms/alias:Alias",
        "aws:kms/key:Key",
        "aws:cloudwatch/eventRule:EventRule",
        "aws:cloudwatch/eventTarget:EventTarget",
        "aws:sagemaker/endpoint:Endpoint",
        "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
        "aws:sagemaker/model:Model",
    ]


def _unmanaged(ctx: AwsContext, plan: Plan, reader: _Reader) -> list[dict[str, Any]]:
    """Endpoints, endpoint configurations, models and alarms named with the stack's prefix that the
    plan does not declare (created by hand, or left behind)."""
    prefix = f"{plan.stack.name_prefix}-{plan.stack.environment}-"
    known: dict[str, set[str]] = {}
    for r in plan.resources:
        answer = reader.answer_of(r["urn"]) or {}
        for key in ("EndpointName", "EndpointConfigName", "ModelName", "AlarmName"):
            if isinstance(answer.get(key), str):
                known.setdefault(key, set()).add(answer[key])
        name = r["inputs"].get("name")
        if isinstance(name, str):
            known.setdefault("*", set()).add(name)
    found: list[dict[str, Any]] = []
    listings = (
        ("sagemaker", "list_endpoints", {"NameContains": prefix}, "Endpoints", "EndpointName", "aws:sagemaker/endpoint:Endpoint"),
        ("sagemaker", "list_endpoint_configs", {"NameContains": prefix}, "EndpointConfigs", "EndpointConfigName",
         "aws:sagemaker/endpointConfiguration:EndpointConfiguration"),
        ("sagemaker", "list_models", {"NameContains": prefix}, "Models", "ModelName", "aws:sagemaker/model:Model"),
        ("cloudwatch", "describe_alarms", {"AlarmNamePrefix": prefix}, "MetricAlarms", "AlarmName", "aws:cloudwatch/metricAlarm:MetricAlarm"),
    )
    for service, operation, params, items, key, type_token in listings:
        try:
            answer = call(ctx, service, operation, doing=f"listing {items}", unanswered_ok=True, **params) or {}
        except Unanswered:
            continue
        for item in answer.get(items, []):
            name = item.get(key)
            if not isinstance(name, str) or not name.startswith(prefix):
                continue
            if name in known.get(key, set()) or name in known.get("*", set()):
                continue
            found.append({"type": type_token, "name": name, "reason": f"named with the stack's prefix {prefix} but not in the plan"})
    return sorted(found, key=lambda u: (u["type"], u["name"]))


@dataclass(frozen=True)
class ScanOutcome:
    gate: GateOutcome
    scanned: Scanned


def scan_stack(
    project_dir: Path,
    stack: str,
    reports_dir: Path,
    *,
    jobs: int = 1,
    cache_dir: Path | None = None,
    session: boto3.Session | None = None,
) -> ScanOutcome:
    """Plan offline (what should exist), read it back live, gate the deployed state into
    `reports/<stack>/scan/` with a ledger entry of kind `scan`. Missing resources fail the scan
    (`ScanFailed`, exit 1) after the reports are written."""
    inputs = load_inputs(project_dir, stack)
    governance = governance_for(inputs)
    plan = capture(inputs, jobs=jobs, cache_dir=cache_dir)
    scanned = scan_plan(plan, session)
    facts = registry_facts(plan.stack, plan.specs, session)
    deployed = Plan(inputs=plan.inputs, resources=scanned.resources)
    outcome = gate_stack(
        project_dir, deployed, reports_dir, registry=facts, require_verified=True, governance=governance,
        subdir="scan", kind="scan", section=("scan", scanned.section(plan.stack.region)),
    )
    return ScanOutcome(gate=outcome, scanned=scanned)


__all__ = ["LiveFactsError", "ScanOutcome", "Scanned", "scan_plan", "scan_stack"]
