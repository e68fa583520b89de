"""A/B variants against a real local registry: live facts per variant, and the gate on their approval."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from mlops.live.registry import registry_facts
from mlops.policy_gate import run_gate
from mlops.policy_input import policy_document

from .conftest import LocalAws, seed_prod_registry

REPO = Path(__file__).resolve().parents[2]
CONFIG = "urn:pulumi:prod::mlops-platform::mlops:model:ModelStack$mlops:sagemaker:Serving$aws:sagemaker/endpointConfiguration:EndpointConfiguration::fraud-detector-serving-config"
CHALLENGER = "arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-fraud-detector/18"


def test_live_facts_cover_every_variant(aws: LocalAws, prod_plan) -> None:
    seed_prod_registry(aws)
    facts = registry_facts(prod_plan.stack, prod_plan.specs)
    variants = facts["variant_packages"]["fraud-detector"]
    assert {name: (f["version"], f["approval_status"]) for name, f in variants.items()} == {
        "primary": (14, "Approved"),
        "challenger": (18, "Approved"),
    }
    # The champion serves the pinned version: the same facts as the pin's.
    assert variants["primary"] == facts["packages"]["fraud-detector"]
    schema = json.loads((REPO / "policies" / "input.schema.json").read_text())
    jsonschema.validate(policy_document(prod_plan.stack, prod_plan.specs, prod_plan.resources, registry=facts), schema)


def test_a_challenger_pending_approval_fails_the_prod_gate_until_approved(aws: LocalAws, prod_project: Path, prod_plan) -> None:
    seed_prod_registry(aws)
    aws.client("sagemaker").update_model_package(ModelPackageArn=CHALLENGER, ModelApprovalStatus="PendingManualApproval")
    result = run_gate(prod_project, prod_plan, registry=registry_facts(prod_plan.stack, prod_plan.specs))
    assert [(v.resource, v.message) for v in result.violations if v.policy.id == "variant-approved-packages"] == [(
        CONFIG,
        f"Endpoint configuration fraud-detector-serving-config: variant challenger serves model package {CHALLENGER}, whose "
        "approval status is PendingManualApproval; prod serves A/B and shadow variants only from Approved packages: "
        "approve it in the registry (mlops promote)",
    )]
    aws.client("sagemaker").update_model_package(ModelPackageArn=CHALLENGER, ModelApprovalStatus="Approved")
    result = run_gate(prod_project, prod_plan, registry=registry_facts(prod_plan.stack, prod_plan.specs))
    assert [v for v in result.violations if v.policy.id == "variant-approved-packages"] == []
