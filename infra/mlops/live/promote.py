"""`mlops promote`: approve a model package version in the registry and pin it for one environment.

Order of work, each step able to refuse with nothing changed:
1. the package must exist, belong to the model's own group and not be Rejected;
2. its recorded metric must meet the spec's evaluation threshold;
3. the target stack, planned with the new pin (in a throw-away copy of the project), must pass
   the gate with live registry facts and `require_verified`. The package being promoted is
   shown to the policies as Approved (`approval_pending: true`): this promotion is what
   approves it, and it only happens if everything else holds;
then the package is approved (`ApprovalDescription` names who and why), the pin is written into
`environments.<env>.registry.pinned_version` of the model's spec file (every other byte kept),
and a `promotion` entry is appended to the audit ledger. Promoting a high-risk model to an
environment whose policies want its model card Approved (`require_approved_model_card`, prod)
is that approval too: `environments.<env>.model_card.status: Approved` is written with the pin,
gated with it, and recorded in the entry.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from ..errors import ExitCode, InputError, MlopsError
from ..governance.gate import GateResult
from ..files import write_atomically
from ..plan import PlanInputs, capture, load_inputs
from ..policy_gate import gate_stack, governance_for, run_gate
from ..specs.loader import LoadedSpec, StackFile, load_stack_settings, stack_names
from .aws import AwsContext, call, live_context
from .registry import PACKAGE_ARN, expected_group, facts_with_context, metric_problem, package_facts
from .specfile import card_status_path, pin_path, set_value

APPROVED = "Approved"
REJECTED = "Rejected"


class PromotionRefused(MlopsError):
    """The package may not be promoted; nothing was changed (exit 1, like a failed gate)."""

    exit_code = ExitCode.GATE_FAILED


@dataclass
class Promotion:
    """What a promotion changes (or, in a dry run, would change), and the evidence it rests on."""

    model: str
    stack: str
    environment: str
    package: dict[str, Any]
    spec_path: Path
    spec_before: str
    spec_after: str
    previous_pin: int | None
    approval_before: str
    approval_description: str | None
    metric: dict[str, Any]
    gate: GateResult | None = None
    gate_report: Path | None = None
    dry_run: bool = False
    ledger_entry: dict[str, Any] | None = None
    # The model card's status in the environment before and after (equal when promotion leaves it).
    card_status_before: str | None = None
    card_status_after: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def approves(self) -> bool:
        return self.approval_before != APPROVED

    @property
    def changes_spec(self) -> bool:
        return self.spec_before != self.spec_after

    def spec_diff(self) -> str:
        name = str(self.spec_path)
        return "".join(difflib.unified_diff(
            self.spec_before.splitlines(keepends=True), self.spec_after.splitlines(keepends=True), name, name
        ))


def stack_for_environment(project_dir: Path, environment: str) -> StackFile:
    """The one stack file whose `mlops:environment` is `environment`; ambiguity or none is an input error."""
    files = [load_stack_settings(project_dir, name) for name in stack_names(project_dir)]
    matches = [f for f in files if f.settings.environment == environment]
    if len(matches) != 1:
        found = ", ".join(f.settings.stack for f in matches) or "none"
        raise InputError(
            f"{project_dir}: --to {environment}: {len(matches)} stacks have environment {environment} ({found}); "
            "name one with --stack"
        )
    return matches[0]


def promote(
    project_dir: Path,
    model: str,
    environment: str,
    *,
    version: int | None = None,
    package_arn: str | None = None,
    stack: str | None = None,
    reason: str,
    actor: str,
    reports_dir: Path | None = None,
    dry_run: bool = False,
    jobs: int = 1,
    cache_dir: Path | None = None,
    session: boto3.Session | None = None,
) -> Promotion:
    """Promote one package version of `model` to `environment`; raises PromotionRefused with the reason."""
    if (version is None) == (package_arn is None):
        raise InputError("give the package to promote as --version N or as --package-arn ARN, not both")
    if version is not None and version < 1:
        raise InputError(f"--version: model package versions start at 1; found {version}")
    if package_arn is not None and not PACKAGE_ARN.match(package_arn):
        raise InputError(
            "--package-arn: expected a versioned model package ARN "
            f"(arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>); found {package_arn!r}"
        )
    if not reason.strip():
        raise InputError("--reason: say why this package is promoted; it goes into the approval and the audit ledger")
    stack_file = stack_for_environment(project_dir, environment) if stack is None else None
    stack = stack or stack_file.settings.stack
    inputs = load_inputs(project_dir, stack, stack_file)
    governance = governance_for(inputs)
    if inputs.stack.environment != environment:
        raise InputError(
            f"{project_dir / f'Pulumi.{stack}.yaml'}: stack {stack} deploys environment {inputs.stack.environment}, "
            f"not {environment}; pass the --stack of a {environment} stack"
        )
    loaded = _find_model(inputs, model)
    ctx = live_context(inputs.stack.region, session, purpose="mlops promote")
    group = expected_group(inputs.stack, model)
    facts = package_facts(ctx, group, package_arn or str(version))
    _check_package(facts, model, group)
    problem = metric_problem(loaded.spec.training.evaluation, facts)
    if problem:
        raise PromotionRefused(f"cannot promote {model}: {problem}")
    pinned = int(facts["version"])
    before = loaded.source.read_text(encoding="utf-8")
    after = set_value(before, loaded.source, pin_path(environment), pinned)
    card_before = loaded.spec.model_card.status.value
    approves_card = _approves_card(governance.bundle.data, environment, loaded) and card_before != APPROVED
    if approves_card:
        after = set_value(after, loaded.source, card_status_path(environment), APPROVED)
    evaluation = loaded.spec.training.evaluation
    promotion = Promotion(
        model=model,
        stack=stack,
        environment=environment,
        package=facts,
        spec_path=loaded.source,
        spec_before=before,
        spec_after=after,
        previous_pin=loaded.spec.registry.pinned_version,
        approval_before=facts["approval_status"],
        approval_description=(
            f"Promoted to {environment} by {actor}: {reason.strip()}" if facts["approval_status"] != APPROVED else None
        ),
        metric={
            "name": evaluation.metric,
            "value": facts["metrics"][evaluation.metric],
            "threshold": evaluation.threshold,
            "comparison": evaluation.comparison.value,
            "source": facts["metrics_source"],
        },
        dry_run=dry_run,
        card_status_before=card_before,
        card_status_after=APPROVED if approves_card else card_before,
    )
    # The gate runs on the spec with the new pin, evaluated in memory: the user's files change
    # only once everything has passed.
    plan = capture(inputs.with_spec(loaded.source, after.encode("utf-8")), jobs=jobs, cache_dir=cache_dir)
    registry = facts_with_context(ctx, inputs.stack, plan.specs)
    registry["packages"][model] = {**registry["packages"][model], "approval_status": APPROVED, "approval_pending": True}
    # An A/B or shadow variant serving the promoted package is approved by this promotion as well.
    for facts in registry["variant_packages"].get(model, {}).values():
        if facts["arn"] == registry["packages"][model]["arn"]:
            facts.update(approval_status=APPROVED, approval_pending=True)
    reports = reports_dir or project_dir / "reports"
    if dry_run:
        promotion.gate = run_gate(project_dir, plan, registry=registry, require_verified=True, governance=governance)
    else:
        outcome = gate_stack(
            project_dir, plan, reports / "promotions" / f"{model}-{pinned}", registry=registry, require_verified=True,
            governance=governance,
        )
        promotion.gate, promotion.gate_report = outcome.result, outcome.report_path
    if promotion.gate.decision != "pass":
        raise PromotionRefused(
            f"cannot promote {model} version {pinned} to {environment}: the {stack} gate fails with it pinned"
            + (f" (report: {promotion.gate_report})" if promotion.gate_report else ""),
            problems=gate_problems(promotion.gate),
        )
    if not promotion.approves and not promotion.changes_spec:
        promotion.notes.append(f"version {pinned} is already Approved and pinned for {environment}; nothing to change")
        return promotion
    if not dry_run:
        _apply(ctx, promotion, project_dir, actor, reason.strip())
    return promotion


def _approves_card(data: dict[str, Any], environment: str, loaded: LoadedSpec) -> bool:
    """Whether promoting this model to `environment` is the approval of its model card: a high-risk
    model where the policies' parameters require approved cards (policy model-card-approved)."""
    parameters = (data.get("parameters") or {}).get(environment) or {}
    return loaded.spec.metadata.risk_tier.value == "high" and parameters.get("require_approved_model_card") is True


def _find_model(inputs: PlanInputs, model: str) -> LoadedSpec:
    for item in inputs.specs:
        if item.spec.name == model:
            return item
    names = ", ".join(sorted(s.spec.name for s in inputs.specs)) or "none"
    raise InputError(f"{inputs.project_dir / inputs.stack.models_dir}: no model named '{model}'; models: {names}")


def _check_package(facts: dict[str, Any], model: str, group: str) -> None:
    if not facts["found"]:
        raise PromotionRefused(f"cannot promote {model}: {facts['error']}")
    if facts["group"] != group:
        raise PromotionRefused(
            f"cannot promote {model}: model package {facts['arn']} belongs to group {facts['group']}, "
            f"not to the model's own group {group}"
        )
    if facts["approval_status"] == REJECTED:
        detail = f" ({facts['approval_description']})" if facts.get("approval_description") else ""
        raise PromotionRefused(
            f"cannot promote {model}: model package {facts['arn']} is Rejected in the registry{detail}; "
            "a rejected package is never promoted: register a new version"
        )


def gate_problems(result: GateResult) -> list[str]:
    """The findings that make the gate fail, one line each: `policy-id: resource: message`."""
    lines = []
    for finding in [*result.violations, *result.unverified]:
        if finding.blocking:
            kind = "unverified" if finding.unverified else "violation"
            lines.append(f"{finding.policy.id} ({kind}): {finding.message}")
    return lines


def _apply(ctx: AwsContext, promotion: Promotion, project_dir: Path, actor: str, reason: str) -> None:
    """Approve, pin, record, in that order: an approved but unpinned package is harmless, the reverse is not."""
    from ..audit.ledger import append_entry, default_ledger_path, file_sha256, relative_report_path

    facts = promotion.package
    if promotion.approves:
        extra = {}
        # moto (and only moto) drops CustomerMetadataProperties on any update that does not
        # repeat them; sending the same values back is a no-op on AWS.
        properties = _current_properties(ctx, facts["arn"])
        if properties:
            extra["CustomerMetadataProperties"] = properties
        call(
            ctx, "sagemaker", "update_model_package", doing=f"approving model package {facts['arn']}",
            ModelPackageArn=facts["arn"], ModelApprovalStatus=APPROVED,
            ApprovalDescription=promotion.approval_description, **extra,
        )
    if promotion.changes_spec:
        write_atomically(promotion.spec_path, promotion.spec_after.encode("utf-8"))
    ledger = default_ledger_path(project_dir)
    report = promotion.gate_report
    promotion.ledger_entry = append_entry(ledger, {
        "kind": "promotion",
        "actor": actor,
        "reason": reason,
        "stack": promotion.stack,
        "environment": promotion.environment,
        "model": promotion.model,
        "package_arn": facts["arn"],
        "version": facts["version"],
        "previous_pin": promotion.previous_pin,
        "approval_status_before": promotion.approval_before,
        "approval_status_after": APPROVED,
        "approval_description": promotion.approval_description,
        "metric": promotion.metric,
        "model_card_status_before": promotion.card_status_before,
        "model_card_status_after": promotion.card_status_after,
        "spec_file": relative_report_path(promotion.spec_path, project_dir),
        "spec_sha256_before": hashlib.sha256(promotion.spec_before.encode("utf-8")).hexdigest(),
        "spec_sha256_after": hashlib.sha256(promotion.spec_after.encode("utf-8")).hexdigest(),
        "gate_decision": promotion.gate.decision if promotion.gate else None,
        "gate_report_path": relative_report_path(report, project_dir) if report else None,
        "gate_report_sha256": file_sha256(report) if report else None,
        "registry_endpoint_url": ctx.endpoint_url("sagemaker"),
    })


def _current_properties(ctx: AwsContext, arn: str) -> dict[str, str]:
    described = call(ctx, "sagemaker", "describe_model_package", doing=f"describing model package {arn}", ModelPackageName=arn) or {}
    return dict(described.get("CustomerMetadataProperties") or {})
