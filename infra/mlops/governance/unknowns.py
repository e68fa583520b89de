"""Values nobody knows yet — a preview's outputs of resources still to be created, a deployed
field the API would not return — and which checks depend on them.

A check that may depend on an unknown value never gives a definite answer: the gate makes it
unverified (`evaluate_gate`), and the CrossGuard pack leaves it to the update in a preview.
Unknown values are Pulumi's unknown sentinels, whatever produced them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..resources.conformance import UNKNOWN_SENTINELS
from .bundle import PolicyMeta

# The sentinel `mlops scan` puts where a deployed resource's field could not be read.
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
assert UNKNOWN in UNKNOWN_SENTINELS


def unknown_paths(inputs: Any, path: str = "") -> list[str]:
    """Dotted paths of every value Pulumi does not know yet (its unknown sentinels), in order."""
    if isinstance(inputs, Mapping):
        return [p for k, v in inputs.items() for p in unknown_paths(v, f"{path}.{k}" if path else str(k))]
    if isinstance(inputs, list):
        return [p for i, v in enumerate(inputs) for p in unknown_paths(v, f"{path}[{i}]")]
    return [path or "(the whole value)"] if isinstance(inputs, str) and inputs in UNKNOWN_SENTINELS else []


@dataclass(frozen=True)
class Unknowns:
    """Which checks of a stack snapshot depend on values Pulumi does not know yet.

    A resource-local policy (METADATA `resource_local`) depends only on the resource's own inputs;
    any other policy may also read the resources linked to it by a dependency either way (a
    bucket's policy, an endpoint's alarms), so their unknown inputs count too.
    """

    own: Mapping[str, list[str]]
    linked: Mapping[str, list[str]]

    @classmethod
    def of(cls, resources: list[dict[str, Any]]) -> Unknowns:
        own = {r["urn"]: [f"{r['name']}.{p}" for p in unknown_paths(r["inputs"])] for r in resources}
        links: dict[str, set[str]] = {r["urn"]: set(r["dependencies"]) for r in resources}
        for r in resources:
            for dependency in r["dependencies"]:
                links.setdefault(dependency, set()).add(r["urn"])
        linked = {urn: [p for other in sorted(links.get(urn, ())) for p in own.get(other, [])] for urn in own}
        return cls(own={u: p for u, p in own.items() if p}, linked={u: p for u, p in linked.items() if p})

    def __bool__(self) -> bool:
        return bool(self.own or self.linked)

    def paths(self, urn: str, policy: PolicyMeta | None) -> list[str]:
        """The unknown values a check of `policy` on `urn` may depend on; empty when it can decide."""
        own = list(self.own.get(urn, []))
        if policy is not None and policy.resource_local:
            return own
        return [*own, *self.linked.get(urn, [])]


def unknown_dependence(resources: list[dict[str, Any]]) -> dict[str, list[str]]:
    """URN → every unknown input a check on it may depend on (its own and its linked resources')."""
    unknowns = Unknowns.of(resources)
    return {urn: paths for urn in {*unknowns.own, *unknowns.linked} if (paths := unknowns.paths(urn, None))}
