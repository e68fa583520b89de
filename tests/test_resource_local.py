"""Policies marked `resource_local` need only the resource they check: the CrossGuard pack also runs
them per resource (`Analyze`, before the resource's step). Proven here on the examples and the
unready fixture: evaluated on a document holding one resource, each gives exactly the findings it
gives on that resource in the whole stack."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from mlops.governance.gate import evaluate_gate
from mlops.plan import capture, load_inputs
from mlops.policy_gate import load_governance
from mlops.policy_input import policy_document

from .conftest import REPO, copy_project

TODAY = date(2026, 6, 1)


def _findings(result, urn: str, local: set[str]) -> set[tuple[str, str, bool]]:
    return {(f.policy.id, f.message, f.unverified) for f in [*result.violations, *result.unverified] if f.resource == urn and f.policy.id in local}


@pytest.mark.parametrize("case", ["dev", "prod", "unready-prod"])
def test_resource_local_policies_decide_from_the_resource_alone(tmp_path: Path, case: str) -> None:
    if case == "unready-prod":
        project = copy_project(tmp_path / "project", models=False)
        shutil.copytree(REPO / "tests" / "fixtures" / "unready-prod", project / "models", dirs_exist_ok=True)
        stack = "prod"
    else:
        project, stack = copy_project(tmp_path / "project"), case
    inputs = load_inputs(project, stack)
    plan = capture(inputs, jobs=1, cache_dir=None)
    governance = load_governance(project, plan.stack, models=[s.spec.name for s in plan.specs])
    local = {p.id for p in governance.bundle.policies if p.resource_local}
    assert len(local) >= 20

    def gate(resources):
        document = policy_document(plan.stack, plan.specs, resources)
        return evaluate_gate(document, governance.bundle, governance.engine, governance.enforcement, governance.waivers, TODAY)

    whole = gate(plan.resources)
    found_any = False
    for resource in plan.resources:
        alone = gate([resource])
        expected = _findings(whole, resource["urn"], local)
        found_any = found_any or bool(expected)
        assert _findings(alone, resource["urn"], local) == expected, resource["urn"]
    if case == "unready-prod":
        assert found_any
