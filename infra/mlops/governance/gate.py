"""The gate: engine violations, enforcement levels and waivers in; a pass/fail decision and its evidence out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from ..errors import PolicyEngineError
from .bundle import SEVERITIES, PolicyBundle, PolicyMeta
from .enforcement import Enforcement
from .engines import Engine
from .unknowns import Unknowns
from .waivers import Waiver

Decision = Literal["pass", "fail", "pass-unverified"]


@dataclass(frozen=True)
class GateViolation:
    """One finding of one policy on one resource: a violation (`deny`) or a check the policy
    could not make for want of facts (`unverified`), with its enforcement and any waiver."""

    policy: PolicyMeta
    enforcement: str
    resource: str
    model: str | None
    message: str
    waiver: Waiver | None = None
    expired_waivers: tuple[Waiver, ...] = ()
    unverified: bool = False
    # Set for unverified findings when the caller runs with credentials (`mlops up`, CrossGuard):
    # then an unverifiable mandatory control blocks like a violation.
    require_verified: bool = False

    @property
    def blocking(self) -> bool:
        if self.enforcement != "mandatory" or self.waiver is not None:
            return False
        return self.require_verified if self.unverified else True

    @property
    def outcome(self) -> str:
        """What this finding makes of its (policy, resource) check in the reports."""
        if self.waiver is not None:
            return "waived"
        if self.unverified:
            return "fail" if self.blocking else "unverified"
        return "fail" if self.blocking else "advisory"

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
            "blocking": self.blocking,
            "waiver": _waiver_dict(self.waiver) if self.waiver else None,
        }


# When several findings land on one check, the report shows the worst.
_OUTCOME_RANK = {"pass": 0, "waived": 1, "unverified": 2, "advisory": 3, "fail": 4}


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
    unverified: list[GateViolation] = field(default_factory=list)
    policies: list[tuple[PolicyMeta, str]] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    require_verified: bool = False
    # How many of the plan's input values the aws-api-conformance control checked (policy input `conformance.coverage`).
    conformance: dict[str, int] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The gate's part of the canonical JSON report (`mlops.reports` adds metadata and locations)."""
        findings = [*self.violations, *self.unverified]
        return {
            "stack": self.stack,
            "environment": self.environment,
            "decision": self.decision,
            "engine": self.engine,
            "policy_bundle_sha256": self.bundle_sha256,
            "policies_evaluated": self.policies_evaluated,
            "require_verified": self.require_verified,
            "counts": dict(self.counts),
            "policies": [_policy_dict(policy, level) for policy, level in self.policies],
            "violations": [v.to_dict() for v in self.violations],
            "unverified": [v.to_dict() for v in self.unverified],
            "checks": self.checks,
            "conformance": {"coverage": dict(self.conformance)} if self.conformance is not None else None,
            "waivers_applied": [
                {**_waiver_dict(w), "waived": sorted({f.resource for f in findings if f.waiver == w})} for w in self.waivers_applied
            ],
            "waivers_expired": [
                {**_waiver_dict(w), "would_have_waived": sorted({f.resource for f in findings if w in f.expired_waivers})}
                for w in self.waivers_expired
            ],
        }


def _waiver_dict(waiver: Waiver) -> dict[str, Any]:
    return {
        "policy_id": waiver.policy,
        "model": waiver.model,
        "resource": waiver.resource,
        "environments": list(waiver.environments) if waiver.environments else None,
        **waiver.to_dict(),
        "source": waiver.source,
    }


def _policy_dict(policy: PolicyMeta, enforcement: str) -> dict[str, Any]:
    try:
        path = policy.path.relative_to(policy.path.parents[len(policy.package.split(".")) - 1]).as_posix()
    except (ValueError, IndexError):
        path = policy.path.as_posix()
    return {
        "id": policy.id,
        "title": policy.title,
        "description": policy.description,
        "severity": policy.severity,
        "controls": list(policy.controls),
        "waivable": policy.waivable,
        "enforcement": enforcement,
        "path": path,
        "resource_types": list(policy.resource_types),
    }


def evaluate_gate(
    document: dict[str, Any],
    bundle: PolicyBundle,
    engine: Engine,
    enforcement: Enforcement,
    waivers: list[Waiver],
    today: date,
    *,
    require_verified: bool = False,
) -> GateResult:
    """Evaluate every policy on one stack's policy input document and decide.

    "fail" when an unwaived mandatory violation remains, or, with `require_verified`, when a
    mandatory control could not be checked for want of facts; "pass-unverified" when the
    only thing standing between the stack and "pass" is such unverifiable controls; else
    "pass". Disabled policies report nothing; an expired waiver never applies but is
    reported on the findings it would have covered.
    """
    environment = document["environment"]
    found = engine.evaluate(bundle, document)
    resources = document.get("resources", [])
    # A deleted resource is only in the changes; its model still selects waivers.
    changed = (document.get("changes") or {}).get("resources") or []
    models = {c["urn"]: c.get("model") for c in changed if isinstance(c, dict) and "urn" in c}
    models |= {r["urn"]: r.get("model") for r in resources}
    levels = {p.id: enforcement.level(p, environment) for p in bundle.policies}
    active = [p for p in bundle.policies if levels[p.id] != "disabled"]
    violations: list[GateViolation] = []
    unverified: list[GateViolation] = []
    for policy in active:
        if policy.package not in found.deny:
            raise PolicyEngineError(
                f"engine '{engine.name}' returned no result for {policy.package} ({policy.path}); the gate cannot decide"
            )
        for kind, items, into in (("deny", found.deny, violations), ("unverified", found.unverified, unverified)):
            for item in items.get(policy.package, []):
                model = models.get(item["resource"])
                matching = [w for w in waivers if policy.waivable and w.covers(policy.id, environment, item["resource"], model)]
                into.append(
                    GateViolation(
                        policy=policy,
                        enforcement=levels[policy.id],
                        resource=item["resource"],
                        model=model,
                        message=item["message"],
                        waiver=next((w for w in matching if not w.expired(today)), None),
                        expired_waivers=tuple(w for w in matching if w.expired(today)),
                        unverified=kind == "unverified",
                        require_verified=require_verified,
                    )
                )
    applicable = [p for p in active if all(document.get(section) is not None for section in p.needs)]
    violations, unverified = _settle_unknowns(applicable, resources, violations, unverified, waivers, levels, models, environment, today,
                                              require_verified)
    order = lambda v: (-SEVERITIES.index(v.policy.severity), v.policy.id, v.resource, v.message)  # noqa: E731
    violations.sort(key=order)
    unverified.sort(key=order)
    findings = [*violations, *unverified]
    checks = _checks(applicable, resources, findings)
    if any(f.blocking for f in findings):
        decision: Decision = "fail"
    elif any(f.enforcement == "mandatory" and f.waiver is None for f in unverified):
        decision = "pass-unverified"
    else:
        decision = "pass"
    return GateResult(
        stack=document["stack"],
        environment=environment,
        engine=engine.name,
        bundle_sha256=bundle.sha256,
        decision=decision,
        policies_evaluated=len(active),
        violations=violations,
        waivers_applied=_unique(f.waiver for f in findings if f.waiver),
        waivers_expired=_unique(w for f in findings for w in f.expired_waivers),
        counts={
            "violations": len(violations),
            "blocking": sum(f.blocking for f in findings),
            "advisory": sum(v.enforcement == "advisory" and v.waiver is None for v in violations),
            "waived": sum(f.waiver is not None for f in findings),
            "unverified": sum(u.waiver is None for u in unverified),
            "checks": len(checks),
            "checks_passed": sum(c["outcome"] == "pass" for c in checks),
        },
        unverified=unverified,
        policies=[(p, levels[p.id]) for p in bundle.policies],
        checks=checks,
        require_verified=require_verified,
        conformance=(document.get("conformance") or {}).get("coverage"),
    )


def _settle_unknowns(
    policies: list[PolicyMeta],
    resources: list[dict[str, Any]],
    violations: list[GateViolation],
    unverified: list[GateViolation],
    waivers: list[Waiver],
    levels: dict[str, str],
    models: dict[str, str | None],
    environment: str,
    today: date,
    require_verified: bool,
) -> tuple[list[GateViolation], list[GateViolation]]:
    """No definite answer where a check may depend on a value nobody knows (a preview's unknown
    outputs, a deployed field that could not be read): its violations and its pass become one
    unverified finding naming the unknown values."""
    unknowns = Unknowns.of(resources)
    if not unknowns:
        return violations, unverified
    settled: list[GateViolation] = []
    decided: set[tuple[str, str]] = set()
    for finding in [*violations, *unverified]:
        if unknowns.paths(finding.resource, finding.policy):
            decided.add((finding.policy.id, finding.resource))
        else:
            settled.append(finding)
    by_type: dict[str, list[dict[str, Any]]] = {}
    for r in resources:
        by_type.setdefault(r["type"], []).append(r)
    undecided = {(f.policy.id, f.resource) for f in [*violations, *unverified]} & decided
    for policy in policies:
        for urn in sorted({r["urn"] for kind in policy.resource_types for r in by_type.get(kind, [])} | {u for p, u in undecided if p == policy.id}):
            paths = unknowns.paths(urn, policy)
            if not paths:
                continue
            model = models.get(urn)
            matching = [w for w in waivers if policy.waivable and w.covers(policy.id, environment, urn, model)]
            settled.append(
                GateViolation(
                    policy=policy,
                    enforcement=levels[policy.id],
                    resource=urn,
                    model=model,
                    message=f"not decided: the check depends on values not known ({', '.join(paths)})",
                    waiver=next((w for w in matching if not w.expired(today)), None),
                    expired_waivers=tuple(w for w in matching if w.expired(today)),
                    unverified=True,
                    require_verified=require_verified,
                )
            )
    return [f for f in settled if not f.unverified], [f for f in settled if f.unverified]


def _checks(policies: list[PolicyMeta], resources: list[dict[str, Any]], findings: list[GateViolation]) -> list[dict[str, Any]]:
    """One check per (policy, resource of a type it checks), with the worst outcome of its findings.

    A finding on a resource outside the policy's declared types still gets its check, so no
    violation is ever missing from the evidence.
    """
    by_type: dict[str, list[dict[str, Any]]] = {}
    for r in resources:
        by_type.setdefault(r["type"], []).append(r)
    by_urn = {r["urn"]: r for r in resources}
    outcomes: dict[tuple[str, str], str] = {}
    for policy in policies:
        for kind in policy.resource_types:
            for r in by_type.get(kind, []):
                outcomes[(policy.id, r["urn"])] = "pass"
    for f in findings:
        key = (f.policy.id, f.resource)
        outcomes[key] = max(outcomes.get(key, "pass"), f.outcome, key=_OUTCOME_RANK.__getitem__)
    return [
        {
            "policy_id": policy_id,
            "resource": urn,
            "type": by_urn[urn]["type"] if urn in by_urn else None,
            "model": by_urn[urn].get("model") if urn in by_urn else None,
            "outcome": outcome,
        }
        for (policy_id, urn), outcome in sorted(outcomes.items())
    ]


def _unique(waivers: Iterable[Waiver]) -> list[Waiver]:
    return list(dict.fromkeys(waivers))
