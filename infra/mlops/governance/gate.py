"""The gate: engine violations, enforcement levels and waivers in; a pass/fail decision and its evidence out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from ..errors import PolicyEngineError
from .bundle import SEVERITIES, PolicyBundle, PolicyMeta
from .enforcement import Enforcement
from .engines import Engine
from .waivers import Waiver

Decision = Literal["pass", "fail"]


@dataclass(frozen=True)
class GateViolation:
    """One policy violation on one resource, with how it is enforced and whether a waiver covers it."""

    policy: PolicyMeta
    enforcement: str
    resource: str
    model: str | None
    message: str
    waiver: Waiver | None = None
    expired_waivers: tuple[Waiver, ...] = ()

    @property
    def blocking(self) -> bool:
        return self.enforcement == "mandatory" and self.waiver is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy_id": self.policy.id,
            "title": self.policy.title,
            "severity": self.policy.severity,
            "enforcement": self.enforcement,
            "resource": self.resource,
            "model": self.model,
            "message": self.message,
            "controls": list(self.policy.controls),
            "waiver": self.waiver.to_dict() if self.waiver else None,
        }


@dataclass(frozen=True)
class GateResult:
    """The decision for one stack and everything an auditor needs to check it."""

    stack: str
    environment: str
    engine: str
    bundle_sha256: str
    decision: Decision
    policies_evaluated: int
    violations: list[GateViolation]
    waivers_applied: list[Waiver]
    waivers_expired: list[Waiver]
    counts: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        """The canonical JSON report."""
        return {
            "stack": self.stack,
            "environment": self.environment,
            "decision": self.decision,
            "engine": self.engine,
            "policy_bundle_sha256": self.bundle_sha256,
            "policies_evaluated": self.policies_evaluated,
            "violations": [v.to_dict() for v in self.violations],
            "waivers_expired": [self._expired_to_dict(w) for w in self.waivers_expired],
        }

    def _expired_to_dict(self, waiver: Waiver) -> dict[str, Any]:
        return {
            "policy_id": waiver.policy,
            "model": waiver.model,
            "resource": waiver.resource,
            "environments": list(waiver.environments) if waiver.environments else None,
            **waiver.to_dict(),
            "source": waiver.source,
            "would_have_waived": [v.resource for v in self.violations if waiver in v.expired_waivers],
        }


def evaluate_gate(
    document: dict[str, Any],
    bundle: PolicyBundle,
    engine: Engine,
    enforcement: Enforcement,
    waivers: list[Waiver],
    today: date,
) -> GateResult:
    """Evaluate every policy on one stack's policy input document and decide.

    "pass" when no unwaived mandatory violation remains. Disabled policies report nothing;
    an expired waiver never applies but is reported on the violations it would have covered.
    """
    environment = document["environment"]
    found = engine.evaluate(bundle, document)
    models = {r["urn"]: r.get("model") for r in document.get("resources", [])}
    levels = {p.id: enforcement.level(p, environment) for p in bundle.policies}
    active = [p for p in bundle.policies if levels[p.id] != "disabled"]
    violations = []
    for policy in active:
        if policy.package not in found:
            raise PolicyEngineError(
                f"engine '{engine.name}' returned no result for {policy.package} ({policy.path}); the gate cannot decide"
            )
        for item in found[policy.package]:
            model = models.get(item["resource"])
            matching = [w for w in waivers if policy.waivable and w.covers(policy.id, environment, item["resource"], model)]
            violations.append(
                GateViolation(
                    policy=policy,
                    enforcement=levels[policy.id],
                    resource=item["resource"],
                    model=model,
                    message=item["message"],
                    waiver=next((w for w in matching if not w.expired(today)), None),
                    expired_waivers=tuple(w for w in matching if w.expired(today)),
                )
            )
    violations.sort(key=lambda v: (-SEVERITIES.index(v.policy.severity), v.policy.id, v.resource, v.message))
    return GateResult(
        stack=document["stack"],
        environment=environment,
        engine=engine.name,
        bundle_sha256=bundle.sha256,
        decision="fail" if any(v.blocking for v in violations) else "pass",
        policies_evaluated=len(active),
        violations=violations,
        waivers_applied=_unique(v.waiver for v in violations if v.waiver),
        waivers_expired=_unique(w for v in violations for w in v.expired_waivers),
        counts={
            "violations": len(violations),
            "blocking": sum(v.blocking for v in violations),
            "advisory": sum(v.enforcement == "advisory" and v.waiver is None for v in violations),
            "waived": sum(v.waiver is not None for v in violations),
        },
    )


def _unique(waivers: Iterable[Waiver]) -> list[Waiver]:
    return list(dict.fromkeys(waivers))
