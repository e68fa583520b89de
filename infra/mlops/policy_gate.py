"""Runs the governance gate on a plan and writes the canonical policy report."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from .audit.ledger import append_entry, check_tail, current_actor, default_ledger_path, gate_entry
from .errors import InputError, MlopsError
from .governance.bundle import PolicyBundle, load_bundle
from .governance.enforcement import Enforcement, load_enforcement
from .governance.engines import Engine, engine_from_settings
from .governance.gate import GateResult, evaluate_gate
from .governance.regorus_worker import DEFAULT_TIMEOUT_SECONDS
from .governance.waivers import Waiver, load_waivers
from .files import write_atomically
from .plan import Plan, PlanInputs
from .policy_input import policy_document
from .reports import build_report, render_reports, withdraw_reports, write_reports
from .reports.redact import PlanFile
from .specs.stack import POLICY_TIMEOUT_MAX, PolicyTimeout, StackConfig

@dataclass(frozen=True)
class Governance:
    """What a gate needs besides the document: the policies, their levels, waivers and engine."""

    bundle: PolicyBundle
    enforcement: Enforcement
    waivers: list[Waiver]
    engine: Engine


def load_governance(
    project_dir: Path, stack: StackConfig, environ: Mapping[str, str] = os.environ, *, models: Collection[str] | None = None
) -> Governance:
    """The project's governance, loaded once, the same way for `mlops plan` and the CrossGuard pack.

    The engine is the OPA server named by MLOPS_OPA_URL, else the stack's `mlops:opaUrl`, else embedded;
    its deadline MLOPS_POLICY_TIMEOUT, else the stack's `mlops:policyTimeout`, else 30 s. With
    `models`, a waiver naming any other model is invalid input.
    """
    policies_dir = project_dir / "policies"
    bundle = load_bundle(policies_dir)
    return Governance(
        bundle=bundle,
        enforcement=load_enforcement(policies_dir / "enforcement.yaml", bundle),
        waivers=load_waivers(policies_dir / "waivers.yaml", bundle, models),
        engine=engine_from_settings(environ.get("MLOPS_OPA_URL") or stack.opa_url, policy_timeout(stack, environ)),
    )


def governance_for(inputs: PlanInputs) -> Governance:
    """The stack's policies, enforcement, waivers and engine, checked against its models: what every
    deciding command loads before any program runs, so bad governance config fails fast."""
    return load_governance(inputs.project_dir, inputs.stack, models=[s.spec.name for s in inputs.specs])


def policy_timeout(stack: StackConfig, environ: Mapping[str, str] = os.environ) -> float:
    """The policy engine's deadline in seconds: MLOPS_POLICY_TIMEOUT, else mlops:policyTimeout, else the default."""
    text = environ.get("MLOPS_POLICY_TIMEOUT")
    if not text:
        return stack.policy_timeout or DEFAULT_TIMEOUT_SECONDS
    try:
        return TypeAdapter(PolicyTimeout).validate_python(text, strict=False)
    except ValidationError:
        raise InputError(
            f"MLOPS_POLICY_TIMEOUT: expected seconds, more than 0 and at most {POLICY_TIMEOUT_MAX:g}; found {text!r}"
        ) from None


def run_gate(
    project_dir: Path,
    plan: Plan,
    today: date | None = None,
    *,
    registry: dict[str, Any] | None = None,
    changes: dict[str, Any] | None = None,
    require_verified: bool = False,
    governance: Governance | None = None,
) -> GateResult:
    """Evaluate the project's policies on the plan (with live registry facts and plan changes when given)."""
    g = governance or load_governance(project_dir, plan.stack, models=[s.spec.name for s in plan.specs])
    document = policy_document(plan.stack, plan.specs, plan.resources, registry=registry, changes=changes)
    return evaluate_gate(
        document, g.bundle, g.engine, g.enforcement, g.waivers, today or date.today(), require_verified=require_verified
    )


@dataclass(frozen=True)
class GateOutcome:
    """One gated stack: the decision, the canonical report and where every rendering was written."""

    result: GateResult
    report: dict[str, Any]
    report_path: Path
    plan_path: Path
    rendered: dict[str, Path]
    ledger_entry: dict[str, Any] | None


def gate_stack(
    project_dir: Path,
    plan: Plan,
    reports_dir: Path,
    *,
    plan_file: PlanFile | None = None,
    registry: dict[str, Any] | None = None,
    changes: dict[str, Any] | None = None,
    require_verified: bool = False,
    today: date | None = None,
    ledger: Path | None = None,
    governance: Governance | None = None,
    subdir: str | None = None,
    kind: str = "gate",
    section: tuple[str, dict[str, Any]] | None = None,
) -> GateOutcome:
    """Gate a plan; write plan.json, policy-report.json and its renderings; append the decision to the audit ledger.

    Every command that decides (plan, diff, up, promote) goes through here, so each decision
    is reported and recorded the same way. The canonical report is also kept, byte for byte,
    as `<stack>/evidence/<sha256>.json`: the ledger entry points there, so the evidence an
    auditor follows from an old entry is never overwritten by a later gate. The ledger entry
    is appended before the reports are replaced, so no report becomes visible without it.

    `mlops scan` gates the deployed state the same way, into `<stack>/<subdir>/` (its state as
    `state.json`), with ledger entries of its own `kind` and its own `section` in the report.
    """
    ledger = ledger or default_ledger_path(project_dir)
    check_tail(ledger)  # a tampered ledger stops the command before any report is (over)written
    try:
        result = run_gate(
            project_dir, plan, today, registry=registry, changes=changes, require_verified=require_verified, governance=governance
        )
    except MlopsError:
        # The gate could not decide (it fails closed): no earlier report of this stack may go on
        # claiming a decision this run did not reach.
        withdraw_reports(reports_dir / plan.stack.stack / (subdir or ""))
        raise
    plan_file = plan_file or PlanFile.of(plan)
    out_dir = reports_dir / result.stack / (subdir or "")
    report = build_report(
        result.to_dict(), plan=plan, plan_file=plan_file, project_dir=project_dir, reports_dir=reports_dir, changes=changes
    )
    if section is not None:
        report[section[0]] = plan_file.redactor.redact(section[1])
    texts = render_reports(report)
    data = texts["json"].encode("utf-8")
    digest = hashlib.sha256(data).hexdigest()
    evidence = out_dir / "evidence" / f"{digest}.json"
    write_atomically(evidence, data)
    entry = append_entry(ledger, {**gate_entry(report, evidence, digest, current_actor(), base=project_dir), "kind": kind})
    plan_path = plan_file.write(reports_dir, f"{subdir}/state.json" if subdir else "plan.json")
    rendered = write_reports(texts, out_dir)
    return GateOutcome(
        result=result,
        report=report,
        report_path=rendered["json"],
        plan_path=plan_path,
        rendered={**rendered, "evidence": evidence},
        ledger_entry=entry,
    )
