"""The `aws-api-conformance` control: every planned resource's API requests checked against AWS's
own API model (botocore's service models), before any gate can pass.

Each resource's inputs become the request(s) its catalogue entry says the provider sends
(`mlops.resources.<type>`), and each request is validated by `api.validate`: required members,
types, enums, lengths, ranges and patterns. The findings and the coverage go into the policy
input document's `conformance` section, where the policy `aws-api-conformance`
(policies/aws/api_conformance.rego) turns them into violations and unverified findings like any
other policy's, so every gate (`mlops plan`, `diff`, `up`, the CrossGuard pack) and every report
renders them the same way.

Values that exist only after deployment are not checked as literals, only by type: the offline
plan's stand-ins (account 123456789012, key ids `mock-…`), members the provider or Pulumi
generates, pipeline expressions resolved when the pipeline runs, and Pulumi's unknown sentinels
in a preview.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from . import api, lookup
from .base import AT_EXECUTION, GENERATED, MOCK_ACCOUNT, InputPath, format_path, matches

CONTROL_ID = "aws-api-conformance"
# Pulumi's unknown-value sentinels (pulumi_policy.proxy UNKNOWN_*, pulumi.runtime.rpc.UNKNOWN):
# a preview's values that depend on resources not created yet.
UNKNOWN_SENTINELS = frozenset({
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7", "3eeb2bf0-c639-47a8-9e75-3b44932eb421", "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2", "030794c1-ac77-496b-92df-f27374a8bd58", "e48ece36-62e2-4504-bad9-02848725956a",
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
})
# How much of an offending value a message shows.
VALUE_SHOWN = 80


def deferred(value: Any) -> bool:
    """Whether a value is a stand-in for one known only after deployment (checked by type only)."""
    if not isinstance(value, str):
        return False
    return (
        value in (GENERATED, AT_EXECUTION)
        or value in UNKNOWN_SENTINELS
        or value.startswith("mock-")
        or f":{MOCK_ACCOUNT}:" in value
        or "/mock-" in value
    )


def _unknown(value: Any) -> bool:
    return isinstance(value, str) and value in UNKNOWN_SENTINELS


def _without_unknowns(value: Any, path: api.Path, unknown: set[api.Path]) -> Any:
    """The request without members whose value is a preview's unknown sentinel (of any type, so
    not even its type can be checked); their paths go into `unknown`."""
    if isinstance(value, dict):
        unknown.update((*path, k) for k, v in value.items() if _unknown(v))
        return {k: _without_unknowns(v, (*path, k), unknown) for k, v in value.items() if not _unknown(v)}
    if isinstance(value, list):
        unknown.update((*path, i) for i, v in enumerate(value) if _unknown(v))
        return [_without_unknowns(v, (*path, i), unknown) for i, v in enumerate(value) if not _unknown(v)]
    return value


def shown(value: Any) -> str:
    """A value as a message quotes it: JSON-like, cut to VALUE_SHOWN characters with its length."""
    if isinstance(value, str):
        text = value if len(value) <= VALUE_SHOWN else value[: VALUE_SHOWN - 1] + "…"
        quoted = '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
        return quoted if len(value) <= VALUE_SHOWN else f"{quoted} ({len(value)} characters)"
    if value is None:
        return "(missing)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return f"a map of {len(value)}"
    return str(value)


def _spec_field(spec: Any, value: Any, under: tuple[str | int, ...] | None) -> str | None:
    """The dotted spec path whose value is the offending value, when the value came from the spec.

    Strings must match exactly; a number only when one field holds it. A field under the type's
    own spec path wins over others.
    """
    if spec is None or value is None or isinstance(value, bool) or (isinstance(value, str) and len(value) < 2):
        return None
    if not isinstance(value, (str, int, float)):
        return None
    found = [path for path, leaf in api.leaves(spec) if leaf == value and type(leaf) is type(value)]
    if not found:
        return None
    if isinstance(value, (int, float)) and len(found) > 1:
        return None
    prefix = tuple(p for p in (under or ()) if isinstance(p, str) and not p.startswith("<"))
    preferred = [p for p in found if prefix and p[: len(prefix)] == prefix]
    return ".".join(str(part) for part in (preferred or found)[0])


def _input_of(origins: Mapping[api.Path, api.Path], path: api.Path) -> InputPath | None:
    """The resource input behind a request path: its own origin, or, for a whole list or map, the
    common prefix of the origins of what lies under it; None for a member nothing filled."""
    if path in origins:
        return origins[path]
    below = [o for r, o in origins.items() if r[: len(path)] == path]
    if not below:
        return None
    common: list[str | int] = []
    for parts in zip(*below, strict=False):
        if any(p != parts[0] for p in parts):
            break
        common.append(parts[0])
    return tuple(common) or None


def check(resources: Iterable[Mapping[str, Any]], specs: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The policy input's `conformance` section for these resources (entries as `policy_input.resource_entry` builds them).

    `specs` maps a model name to its spec as JSON (`model_dump(mode="json")`), to point a finding
    at the spec field its value came from.
    """
    specs = specs or {}
    violations: list[dict[str, Any]] = []
    unverified: list[dict[str, Any]] = []
    totals = {"emitted": 0, "checked": 0, "deferred": 0, "provider_only": 0, "untranslated": 0, "pipeline_step_values": 0}
    for resource in sorted(resources, key=lambda r: r["urn"]):
        if resource["type"].startswith("mlops:") or resource["type"].startswith("pulumi:"):
            continue  # components: no API of their own
        inputs = resource.get("inputs") or {}
        leaf_values = list(api.leaves(inputs))
        input_leaves = [path for path, _ in leaf_values]
        has_unknowns = any(_unknown(value) for _, value in leaf_values)
        totals["emitted"] += len(input_leaves)
        entry = lookup(resource["type"])
        if entry is None:
            totals["untranslated"] += len(input_leaves)
            unverified.append({
                "resource": resource["urn"],
                "inputs": [format_path(p) for p in input_leaves[:10]],
                "count": len(input_leaves),
                "reason": f"no catalogue entry for {resource['type']} in mlops/resources, so none of its inputs is checked against AWS's API model",
            })
            continue
        planned = entry.requests(inputs)
        untranslated = [p for request in planned for p in request.untranslated]
        provider_only = [p for request in planned for p in request.provider_only]
        for item in planned:
            request = item.request
            unknown: set[api.Path] = set()
            params = _without_unknowns(request.params, (), unknown) if has_unknowns or item.context else request.params
            clean = api.Request(request.service, request.operation, params, request.origins, request.filled_by_service)
            problems, tally = api.validate(clean, deferred=deferred)
            # A member whose value is unknown is there; it is only not known yet.
            problems = [p for p in problems if not (p.value is None and p.path in unknown)]
            if item.context:
                totals["pipeline_step_values"] += tally.checked + tally.deferred
            for problem in problems:
                origin = _input_of(request.origins, problem.path)
                violations.append({
                    "resource": resource["urn"],
                    "model": resource.get("model"),
                    "service": request.service,
                    "operation": request.operation,
                    "context": item.context,
                    "field": api.format_path(problem.path),
                    "input": format_path(origin) if origin and not item.context else None,
                    "rule": problem.rule,
                    "value": shown(problem.value),
                    "spec_field": _spec_field(specs.get(resource.get("model") or ""), problem.value, entry.spec_path),
                })
        not_sent = [*untranslated, *provider_only]
        covered = [p for p in input_leaves if not any(matches(p, q) for q in not_sent)]
        values = dict(leaf_values)
        for path in covered:
            if deferred(values[path]):
                totals["deferred"] += 1
            else:
                totals["checked"] += 1
        totals["provider_only"] += sum(1 for p in input_leaves if any(matches(p, q) for q in provider_only))
        missed = [p for p in input_leaves if any(matches(p, q) for q in untranslated)]
        totals["untranslated"] += len(missed)
        if missed:
            unverified.append({
                "resource": resource["urn"],
                "inputs": [format_path(p) for p in missed[:10]],
                "count": len(missed),
                "reason": f"the catalogue entry for {resource['type']} has no API member for these inputs",
            })
    return {"control": CONTROL_ID, "coverage": totals, "violations": violations, "unverified": unverified}
