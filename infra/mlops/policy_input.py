"""The one policy input document per stack, built the same way offline and inside CrossGuard."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from .resources import conformance
from .specs.loader import LoadedSpec
from .specs.plaintext_secrets import suspected_secrets
from .specs.stack import StackConfig

POLICY_INPUT_VERSION = 1


def normalize(value: Any) -> Any:
    """Mock and CrossGuard inputs carry integers as floats; make whole floats integers again."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: normalize(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [normalize(v) for v in value]
    return value


def tags_of(inputs: dict[str, Any]) -> dict[str, str]:
    """Tags as a mapping, whether the provider takes a map (pulumi-aws) or key/value pairs (aws-native)."""
    tags = inputs.get("tags")
    if isinstance(tags, dict):
        return {str(k): str(v) for k, v in tags.items()}
    if isinstance(tags, list):
        return {str(t.get("key")): str(t.get("value")) for t in tags if isinstance(t, dict)}
    return {}


def resource_entry(
    urn: str, type_: str, name: str, parent: str | None, dependencies: Iterable[str], inputs: dict[str, Any]
) -> dict[str, Any]:
    """One resource as policies see it, from the offline capture or from CrossGuard alike."""
    props = normalize(inputs)
    tags = tags_of(props)
    model = tags.get("model")
    return {
        "urn": urn,
        "type": type_,
        "name": name,
        "parent": parent,
        "dependencies": sorted(set(dependencies)),
        "inputs": props,
        "tags": tags,
        "model": None if model in (None, "shared") else model,
    }


def attribute_models(resources: list[dict[str, Any]]) -> None:
    """Untaggable resources (role policies, targets, components) belong to their enclosing ModelStack's model."""
    by_urn = {r["urn"]: r for r in resources}
    for r in resources:
        if r["type"] == "mlops:model:ModelStack":
            r["model"] = r["name"]
    for r in resources:
        node = r
        while r["model"] is None and node.get("parent") in by_urn:
            node = by_urn[node["parent"]]
            r["model"] = node["model"]


# What policies see when no live registry facts were fetched (offline plans, PR previews).
OFFLINE_REGISTRY: dict[str, Any] = {"source": "unavailable", "reason": "offline plan: registry facts were not fetched", "packages": {}}


def policy_document(
    stack: StackConfig,
    specs: Iterable[LoadedSpec],
    resources: Iterable[dict[str, Any]],
    *,
    registry: dict[str, Any] | None = None,
    changes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """{stack, environment, region, network, models[], resources[], registry, changes, conformance} as `policies/input.schema.json` describes.

    `registry` holds live model registry facts (`source: live`) or says why there are none;
    `changes` is the diff against a base plan when one was given, else null; `conformance` is
    the check of every resource's API requests against AWS's API model (`mlops.resources.conformance`).
    """
    specs = sorted(specs, key=lambda s: s.spec.name)
    dumps = {item.spec.name: item.spec.model_dump(mode="json") for item in specs}
    resources = sorted(resources, key=lambda r: r["urn"])
    return {
        "registry": registry if registry is not None else OFFLINE_REGISTRY,
        "changes": changes,
        "version": POLICY_INPUT_VERSION,
        "stack": stack.stack,
        "environment": stack.environment,
        "region": stack.region,
        "network": stack.network.model_dump(mode="json") if stack.network else None,
        "models": [
            {
                "name": item.spec.name,
                "source": str(item.source),
                "spec": dumps[item.spec.name],
                "suspected_secrets": [{"field": s.field, "kind": s.kind} for s in suspected_secrets(item.spec)],
            }
            for item in specs
        ],
        "resources": [
            {
                "urn": r["urn"],
                "type": r["type"],
                "name": r["name"],
                "parent": r["parent"],
                "dependencies": r["dependencies"],
                "inputs": r["inputs"],
                "tags": r["tags"],
                "model": r["model"],
            }
            for r in resources
        ],
        "conformance": conformance.check(resources, dumps),
    }
