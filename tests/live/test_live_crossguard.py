"""The CrossGuard pack fetches registry facts live and requires verified facts, like `mlops up`."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from pulumi_policy.proxy import unknown_checking_proxy

from mlops.governance.crossguard import build_policies
from mlops.live.aws import LiveFactsError

from .conftest import LocalAws, isolate_aws_environment, seed_prod_registry


def crossguard_resources(plan) -> list[SimpleNamespace]:
    """The plan's resources as CrossGuard hands them to a stack policy."""
    by_urn = {r["urn"]: SimpleNamespace(urn=r["urn"]) for r in plan.resources}
    return [
        SimpleNamespace(
            urn=r["urn"], resource_type=r["type"], name=r["name"], props=unknown_checking_proxy(copy.deepcopy(r["inputs"])),
            parent=by_urn.get(r["parent"]), dependencies=[by_urn[d] for d in r["dependencies"] if d in by_urn], opts=SimpleNamespace(),
        )
        for r in plan.resources
    ]


def reported(policy, resources) -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []
    policy.validate(SimpleNamespace(resources=resources), lambda message, urn=None: found.append((message, urn)))
    return found


def test_pack_reports_registry_violations_from_live_facts(aws: LocalAws, prod_project: Path, prod_plan) -> None:
    seed_prod_registry(aws, fraud_pinned=("PendingManualApproval", {"auc": 0.95}))
    policies = {p.name: p for p in build_policies(prod_project, environ={"MLOPS_STACK": "prod"}, today=lambda: date(2026, 6, 1))}
    resources = crossguard_resources(prod_plan)
    assert reported(policies["registry-approved-package"], resources) == [(
        "Model fraud-detector pins model package arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-fraud-detector/14, "
        "whose approval status is PendingManualApproval; prod serves only Approved packages: approve it in the registry (mlops promote)",
        "urn:pulumi:prod::mlops-platform::mlops:model:ModelStack$mlops:sagemaker:Serving$aws:sagemaker/model:Model::fraud-detector-serving-model",
    )]
    assert reported(policies["registry-package-metric-threshold"], resources) == []
    assert reported(policies["registry-package-group"], resources) == []


def test_pack_without_credentials_fails_to_start(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, prod_project: Path) -> None:
    isolate_aws_environment(monkeypatch, tmp_path)
    with pytest.raises(LiveFactsError) as e:
        build_policies(prod_project, environ={"MLOPS_STACK": "prod"})
    assert "fetching model registry facts needs AWS credentials and none were found" in e.value.message
