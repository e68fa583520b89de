"""Pulumi CrossGuard policies backed by the same Rego gate as `mlops plan`; never starts the pack server.

Which stack is being checked comes from the environment variable MLOPS_STACK, else PULUMI_STACK
(which the Pulumi CLI sets for policy packs); the stack's environment, region, network and model
specs, policies, waivers and engine are loaded as `mlops plan` loads them (MLOPS_OPA_URL, else
the stack's mlops:opaUrl, selects an OPA server instead of the embedded engine).

The pack runs where Pulumi deploys, with AWS credentials: model registry facts are fetched live
(`mlops.live.registry`) when the pack starts, and the gate runs with `require_verified`, so a
mandatory control that could not be checked blocks the deployment instead of passing it. When
the facts cannot be fetched the pack fails to start (fail closed).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, Severity, StackValidation, StackValidationArgs, StackValidationPolicy
from pulumi_policy.proxy import UnknownValueError

from ..errors import InputError
from ..plan import load_inputs
from ..policy_gate import load_governance
from ..policy_input import attribute_models, policy_document, resource_entry
from ..specs.loader import LoadedSpec
from ..specs.stack import StackConfig
from .bundle import PolicyBundle
from .enforcement import Enforcement
from .engines import Engine
from .gate import GateResult, evaluate_gate
from .waivers import Waiver

ENFORCEMENT_LEVELS = {
    "mandatory": EnforcementLevel.MANDATORY,
    "advisory": EnforcementLevel.ADVISORY,
    "disabled": EnforcementLevel.DISABLED,
}


def stack_name(environ: Mapping[str, str]) -> str:
    name = environ.get("MLOPS_STACK") or environ.get("PULUMI_STACK")
    if not name:
        raise InputError("no stack to check: set MLOPS_STACK to the stack name (for example prod) before running the policy pack")
    return name


def resources_from_crossguard(args_resources: Iterable[Any]) -> list[dict[str, Any]]:
    """CrossGuard's PolicyResources as policy input resource entries, normalized as `mlops plan` does.

    Values still unknown during a preview keep Pulumi's unknown sentinel strings, so a policy
    sees "not known yet" rather than "absent".
    """
    entries = [
        resource_entry(
            resource.urn,
            resource.resource_type,
            resource.name,
            resource.parent.urn if resource.parent is not None else None,
            [d.urn for d in resource.dependencies],
            _plain(resource.props),
        )
        for resource in args_resources
    ]
    # The offline plan's rule for untaggable resources; shared here so both paths agree.
    attribute_models(entries)
    return entries


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(key): _known(value, key) for key in value}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [_known(value, index) for index in range(len(value))]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _known(container: Any, key: Any) -> Any:
    try:
        return _plain(container[key])
    except UnknownValueError as e:
        return e.unknown_type_sentinel


class StackGate:
    """One gate evaluation per distinct stack snapshot, shared by every policy's validate call."""

    def __init__(
        self,
        stack: StackConfig,
        specs: list[LoadedSpec],
        bundle: PolicyBundle,
        enforcement: Enforcement,
        waivers: list[Waiver],
        engine: Engine,
        today: Callable[[], date],
        registry: dict[str, Any] | None = None,
        require_verified: bool = False,
    ) -> None:
        self.stack = stack
        self.registry = registry
        self.require_verified = require_verified
        self.specs = specs
        self.bundle = bundle
        self.enforcement = enforcement
        self.waivers = waivers
        self.engine = engine
        self.today = today
        self._cached: tuple[str, GateResult] | None = None

    def result(self, args_resources: Iterable[Any]) -> GateResult:
        # CrossGuard hands each policy freshly built resource objects, so the cache is keyed
        # on the document's content rather than on object identity.
        document = policy_document(self.stack, self.specs, resources_from_crossguard(args_resources), registry=self.registry)
        key = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
        if self._cached is None or self._cached[0] != key:
            result = evaluate_gate(
                document, self.bundle, self.engine, self.enforcement, self.waivers, self.today(), require_verified=self.require_verified
            )
            self._cached = (key, result)
        return self._cached[1]

    def validator(self, policy_id: str) -> StackValidation:
        """The validate callback of one policy: reports that policy's unwaived violations and unverified checks."""

        def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
            result = self.result(args.resources)
            for violation in result.violations:
                if violation.policy.id == policy_id and violation.waiver is None:
                    report_violation(violation.message, violation.resource or None)
            for finding in result.unverified:
                if finding.policy.id == policy_id and finding.waiver is None:
                    report_violation(f"unverified: {finding.message}", finding.resource or None)

        return validate


def build_policies(
    project_dir: Path, environ: Mapping[str, str] = os.environ, today: Callable[[], date] = date.today
) -> list[StackValidationPolicy]:
    """One StackValidationPolicy per Rego policy, enforced at the level this stack's environment sets.

    Registry facts are fetched live, and unverified mandatory controls fail (`require_verified`).
    """
    from ..live.registry import registry_facts

    inputs = load_inputs(project_dir, stack_name(environ))
    governance = load_governance(project_dir, inputs.stack, environ, models=[s.spec.name for s in inputs.specs])
    enforcement = governance.enforcement
    bundle = governance.bundle
    gate = StackGate(
        stack=inputs.stack,
        specs=inputs.specs,
        bundle=bundle,
        enforcement=enforcement,
        waivers=governance.waivers,
        engine=governance.engine,
        today=today,
        registry=registry_facts(inputs.stack, inputs.specs),
        require_verified=True,
    )
    return [
        StackValidationPolicy(
            name=policy.id,
            description=policy.title,
            validate=gate.validator(policy.id),
            enforcement_level=ENFORCEMENT_LEVELS[enforcement.level(policy, inputs.stack.environment)],
            severity=Severity(policy.severity),
        )
        for policy in bundle.policies
    ]
