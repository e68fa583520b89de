"""Pulumi CrossGuard policies backed by the same Rego gate as `mlops plan`; never starts the pack server.

The stack being checked is the one the Pulumi engine names (PULUMI_STACK); MLOPS_STACK, when set,
must name the same stack or the pack refuses to start (outside the engine, MLOPS_STACK alone names
it). The stack's environment, region, network and model specs, policies, waivers and engine are
loaded as `mlops plan` loads them (MLOPS_OPA_URL, else the stack's mlops:opaUrl, selects an OPA
server instead of the embedded engine).

Two kinds of policy per Rego policy, sharing one evaluation engine and one meaning:
- a stack policy (`<id>`, `AnalyzeStack`, which the engine calls after the steps), for every policy;
- a resource policy (`<id>.resource`, `Analyze`, which the engine calls before each resource's
  step), for the policies whose METADATA says `resource_local: true` — controls that need only the
  resource itself — so a violation stops the step instead of being reported after it.

Values Pulumi does not know yet (a preview's outputs of resources still to be created) are never
judged: in a preview every check of a resource with an unknown input, or linked to one, is left
to the update and listed by the advisory policy `values-known-after-apply`; in an update, a value
still unknown makes the check unverified, which blocks where the control is mandatory.

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

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidation,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from ..errors import InputError
from ..plan import load_inputs
from ..policy_gate import load_governance
from ..policy_input import attribute_models, policy_document, resource_entry
from ..reports.redact import Redactor, secrets_for
from ..resources.inputs import output_only_names
from ..specs.plaintext_secrets import suspected_secrets
from ..specs.loader import LoadedSpec, secure_value
from ..specs.stack import StackConfig
from .bundle import PolicyBundle
from .enforcement import Enforcement
from .engines import EmbeddedEngine, Engine
from .gate import GateResult, evaluate_gate
from .unknowns import Unknowns, unknown_paths
from .waivers import Waiver

ENFORCEMENT_LEVELS = {
    "mandatory": EnforcementLevel.MANDATORY,
    "advisory": EnforcementLevel.ADVISORY,
    "disabled": EnforcementLevel.DISABLED,
}


def stack_name(environ: Mapping[str, str]) -> str:
    """The stack the engine is deploying; MLOPS_STACK may only confirm it, never replace it."""
    engine, ours = environ.get("PULUMI_STACK"), environ.get("MLOPS_STACK")
    if engine and ours and _short(engine) != _short(ours):
        raise InputError(
            f"MLOPS_STACK={ours} but Pulumi is deploying stack {engine}: the pack checks the stack Pulumi deploys; "
            f"unset MLOPS_STACK or set it to {_short(engine)}"
        )
    name = engine or ours
    if not name:
        raise InputError("no stack to check: run the pack through `pulumi up --policy-pack policies` (or set MLOPS_STACK outside Pulumi)")
    return _short(name)


def _short(name: str) -> str:
    """`org/project/prod` (a fully qualified stack name) → `prod`."""
    return name.rsplit("/", 1)[-1]


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
            _inputs_only(resource.resource_type, _plain(resource.props)),
        )
        for resource in args_resources
    ]
    # The offline plan's rule for untaggable resources; shared here so both paths agree.
    attribute_models(entries)
    return entries


def _inputs_only(type_token: str, props: dict[str, Any]) -> dict[str, Any]:
    """A resource's inputs: the engine hands stack policies its outputs (inputs plus `arn`, `id`,
    `tagsAll`, …), which an offline plan never has and the policies never read. What the provider
    declares as an output and not as an input is left out; anything else is kept, to be judged."""
    outputs = output_only_names(type_token)
    return {k: v for k, v in props.items() if k not in outputs}


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


# The advisory policy that lists, in a preview, the checks left to the update for want of known values.
PENDING_POLICY = "values-known-after-apply"


class StackGate:
    """One gate evaluation per distinct stack snapshot (and one per resource for `Analyze`), shared
    by every policy's validate call."""

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
        dry_run: bool = False,
        redactor: Redactor | None = None,
    ) -> None:
        self.stack = stack
        self.registry = registry
        self.require_verified = require_verified
        self.dry_run = dry_run
        self.specs = specs
        self.bundle = bundle
        self.enforcement = enforcement
        self.waivers = waivers
        self.engine = engine
        self.today = today
        self.redactor = redactor or Redactor()
        self._cached: tuple[str, GateResult, Unknowns] | None = None
        self._per_resource: dict[str, GateResult] = {}

    def _evaluate(self, resources: list[dict[str, Any]]) -> GateResult:
        document = policy_document(self.stack, self.specs, resources, registry=self.registry)
        return evaluate_gate(
            document, self.bundle, self.engine, self.enforcement, self.waivers, self.today(), require_verified=self.require_verified
        )

    def result(self, args_resources: Iterable[Any]) -> GateResult:
        return self._stack(args_resources)[0]

    def _stack(self, args_resources: Iterable[Any]) -> tuple[GateResult, Unknowns]:
        # CrossGuard hands each policy freshly built resource objects, so the cache is keyed
        # on the document's content rather than on object identity.
        resources = resources_from_crossguard(args_resources)
        key = hashlib.sha256(json.dumps(resources, sort_keys=True).encode()).hexdigest()
        if self._cached is None or self._cached[0] != key:
            self._cached = (key, self._evaluate(resources), Unknowns.of(resources))
        return self._cached[1], self._cached[2]

    def resource_result(self, args: ResourceValidationArgs) -> tuple[GateResult, dict[str, Any]]:
        """The gate on a document holding only this resource: what its resource-local controls say
        before its step runs. The model is its tag's, else the one its name starts with."""
        entry = resource_entry(args.urn, args.resource_type, args.name, None, [], _inputs_only(args.resource_type, _plain(args.props)))
        if entry["model"] is None:
            names = sorted((item.spec.name for item in self.specs), key=len, reverse=True)
            entry["model"] = next((n for n in names if args.name == n or args.name.startswith(n + "-")), None)
        key = hashlib.sha256(json.dumps(entry, sort_keys=True).encode()).hexdigest()
        if key not in self._per_resource:
            self._per_resource[key] = self._evaluate([entry])
        return self._per_resource[key], entry

    def _report(self, report_violation: ReportViolation, message: str, urn: str | None) -> None:
        report_violation(self.redactor.redact_text(message), urn or None)

    def _findings(self, result: GateResult, policy_id: str, unknowns: Unknowns | None) -> Iterable[tuple[str, str]]:
        """The policy's unwaived findings, but none that may depend on an unknown value."""
        for finding in [*result.violations, *result.unverified]:
            if finding.policy.id != policy_id or finding.waiver is not None:
                continue
            if unknowns is not None and unknowns.paths(finding.resource, finding.policy):
                continue
            yield (f"unverified: {finding.message}" if finding.unverified else finding.message), finding.resource

    def validator(self, policy_id: str) -> StackValidation:
        """The validate callback of one stack policy: that policy's unwaived violations and unverified
        checks; in a preview, none on a resource whose checks depend on values not known yet.
        In an update, such a check is reported unverified (a value should be known by then)."""

        policy = self.bundle.policy(policy_id)

        def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
            result, unknowns = self._stack(args.resources)
            for message, urn in self._findings(result, policy_id, unknowns):
                self._report(report_violation, message, urn)
            if not self.dry_run:
                for check in result.checks:
                    paths = unknowns.paths(check["resource"], policy)
                    if check["policy_id"] == policy_id and paths and check["outcome"] != "waived":
                        self._report(report_violation, f"unverified: values still unknown at apply ({', '.join(paths)})", check["resource"])

        return validate

    def pending_validator(self) -> StackValidation:
        """The advisory policy listing, per resource, the checks a preview leaves to the update."""

        def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
            if not self.dry_run:
                return
            result, unknowns = self._stack(args.resources)
            pending: dict[str, dict[str, None]] = {}
            paths: dict[str, dict[str, None]] = {}
            for check in result.checks:
                depends = unknowns.paths(check["resource"], self.bundle.policy(check["policy_id"]))
                if depends and check["outcome"] != "waived":
                    pending.setdefault(check["resource"], {})[check["policy_id"]] = None
                    paths.setdefault(check["resource"], {}).update(dict.fromkeys(depends))
            for urn, policies in sorted(pending.items()):
                self._report(
                    report_violation,
                    f"{len(policies)} control(s) ({', '.join(sorted(policies))}) depend on values known only after apply "
                    f"({', '.join(paths[urn])}); they are checked when those values are known, per resource before its step "
                    "where the control needs only the resource, else after the update",
                    urn,
                )

        return validate

    def resource_validator(self, policy_id: str) -> ResourceValidation:
        """The validate callback of one resource policy (`Analyze`, before the resource's step)."""

        def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
            result, entry = self.resource_result(args)
            unknown = unknown_paths(entry["inputs"])
            if unknown and self.dry_run:
                return  # left to the update; the stack policy values-known-after-apply lists it
            for message, urn in self._findings(result, policy_id, None):
                if urn == args.urn:
                    self._report(report_violation, message, urn)
            if unknown:
                checked = any(c["policy_id"] == policy_id and c["resource"] == args.urn for c in result.checks)
                if checked:
                    self._report(report_violation, f"unverified: values still unknown at apply ({', '.join(unknown)})", args.urn)

        return validate


def config_secrets(environ: Mapping[str, str], stack_config: Mapping[str, Any] | None) -> list[str]:
    """The decrypted values of the stack's secret config, which the engine hands the pack in
    PULUMI_CONFIG as plain strings. The secret keys are those the stack file holds as `secure:`
    (the engine does not tell a policy pack which they are)."""
    try:
        config = json.loads(environ.get("PULUMI_CONFIG") or "{}")
    except ValueError:
        return []
    if not isinstance(config, dict):
        return []
    keys = {k for k, v in (stack_config or {}).items() if secure_value(v) is not None}
    return [str(config[k]) for k in sorted(keys) if k in config and config[k] not in (None, "")]


def build_policies(
    project_dir: Path, environ: Mapping[str, str] = os.environ, today: Callable[[], date] = date.today
) -> list[StackValidationPolicy | ResourceValidationPolicy]:
    """One StackValidationPolicy per Rego policy, enforced at the level this stack's environment
    sets; one ResourceValidationPolicy more per resource-local policy; and the advisory policy that
    lists what a preview could not check.

    Registry facts are fetched live, and unverified mandatory controls fail (`require_verified`).
    Messages are redacted like reports: secure config values, secret container environment
    values and whatever looks like a credential in a spec never reach the engine's output.
    """
    from ..live.registry import registry_facts

    inputs = load_inputs(project_dir, stack_name(environ))
    governance = load_governance(project_dir, inputs.stack, environ, models=[s.spec.name for s in inputs.specs])
    enforcement = governance.enforcement
    bundle = governance.bundle
    suspected = [s.value for item in inputs.specs for s in suspected_secrets(item.spec)]
    engine = governance.engine
    if isinstance(engine, EmbeddedEngine):
        # Analyze evaluates once per resource: one long-lived worker instead of a child per call.
        engine = EmbeddedEngine(engine.timeout, persistent=True)
    gate = StackGate(
        stack=inputs.stack,
        specs=inputs.specs,
        bundle=bundle,
        enforcement=enforcement,
        waivers=governance.waivers,
        engine=engine,
        today=today,
        registry=registry_facts(inputs.stack, inputs.specs),
        require_verified=True,
        dry_run=environ.get("PULUMI_DRY_RUN") == "true",
        redactor=secrets_for(inputs.specs, inputs.config, plaintexts=[*suspected, *config_secrets(environ, inputs.config)]),
    )
    environment = inputs.stack.environment
    policies: list[StackValidationPolicy | ResourceValidationPolicy] = [
        StackValidationPolicy(
            name=policy.id,
            description=policy.title,
            validate=gate.validator(policy.id),
            enforcement_level=ENFORCEMENT_LEVELS[enforcement.level(policy, environment)],
            severity=Severity(policy.severity),
        )
        for policy in bundle.policies
    ]
    policies += [
        ResourceValidationPolicy(
            name=f"{policy.id}.resource",
            description=f"{policy.title} (checked before the resource's step)",
            validate=gate.resource_validator(policy.id),
            enforcement_level=ENFORCEMENT_LEVELS[enforcement.level(policy, environment)],
            severity=Severity(policy.severity),
        )
        for policy in bundle.policies
        if policy.resource_local and enforcement.level(policy, environment) != "disabled"
    ]
    policies.append(
        StackValidationPolicy(
            name=PENDING_POLICY,
            description="Checks a preview leaves to the update because they depend on values known only after apply",
            validate=gate.pending_validator(),
            enforcement_level=EnforcementLevel.ADVISORY,
            severity=Severity.LOW,
        )
    )
    return policies
