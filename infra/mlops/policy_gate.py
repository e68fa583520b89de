"""Runs the governance gate on a plan and writes the canonical policy report."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from .governance.bundle import load_bundle
from .governance.enforcement import load_enforcement
from .governance.engines import engine_from_settings
from .governance.gate import GateResult, evaluate_gate
from .governance.waivers import load_waivers
from .plan import Plan, render_json
from .policy_input import policy_document

REPORT_FORMAT_VERSION = 1


def run_gate(project_dir: Path, plan: Plan, today: date | None = None) -> GateResult:
    """Evaluate the project's policies on the plan: bundle, enforcement and waivers loaded once."""
    policies_dir = project_dir / "policies"
    bundle = load_bundle(policies_dir)
    enforcement = load_enforcement(policies_dir / "enforcement.yaml", bundle)
    waivers = load_waivers(policies_dir / "waivers.yaml", bundle)
    engine = engine_from_settings(os.environ.get("MLOPS_OPA_URL") or plan.stack.opa_url)
    document = policy_document(plan.stack, plan.specs, plan.resources)
    return evaluate_gate(document, bundle, engine, enforcement, waivers, today or date.today())


def write_policy_report(result: GateResult, reports_dir: Path) -> Path:
    out = reports_dir / result.stack / "policy-report.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_json({"formatVersion": REPORT_FORMAT_VERSION, **result.to_dict()}), encoding="utf-8")
    return out
