"""The one policy input document per stack, built the same way offline and inside CrossGuard."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .specs.loader import LoadedSpec
from .specs.stack import StackConfig

POLICY_INPUT_VERSION = 1


def policy_document(stack: StackConfig, specs: Iterable[LoadedSpec], resources: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """{stack, environment, region, network, models[], resources[]} as `policies/input.schema.json` describes."""
    return {
        "version": POLICY_INPUT_VERSION,
        "stack": stack.stack,
        "environment": stack.environment,
        "region": stack.region,
        "network": stack.network.model_dump(mode="json") if stack.network else None,
        "models": [
            {"name": item.spec.name, "source": str(item.source), "spec": item.spec.model_dump(mode="json")}
            for item in sorted(specs, key=lambda s: s.spec.name)
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
            for r in sorted(resources, key=lambda r: r["urn"])
        ],
    }
