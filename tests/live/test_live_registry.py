"""Registry facts fetched from a real local AWS and fed to the real gate on the example prod plan."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import jsonschema
import pytest

from mlops.errors import ExitCode, PolicyEngineError
from mlops.live.aws import LiveFactsError, facts_available
from mlops.live.registry import registry_facts, report_metrics
from mlops.policy_gate import run_gate
from mlops.policy_input import policy_document

from .conftest import REGION, REPORTS_BUCKET, LocalAws, isolate_aws_environment, seed_prod_registry

REPO = Path(__file__).resolve().parents[2]
FRAUD_14 = "arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-fraud-detector/14"
FRAUD_MODEL = "urn:pulumi:prod::mlops-platform::mlops:model:ModelStack$mlops:sagemaker:Serving$aws:sagemaker/model:Model::fraud-detector-serving-model"


def findings(result, policy_id: str) -> list[tuple[str, str, bool]]:
    return [(f.resource, f.message, f.blocking) for f in [*result.violations, *result.unverified] if f.policy.id == policy_id]


def test_facts_for_every_pinned_model(aws: LocalAws, prod_plan) -> None:
    seed_prod_registry(aws)
    facts = registry_facts(prod_plan.stack, prod_plan.specs)
    assert facts["source"] == "live"
    assert facts["endpoint_url"] == aws.url
    assert (facts["region"], facts["account"]) == (REGION, "123456789012")
    assert sorted(facts["packages"]) == ["churn-predictor", "fraud-detector", "ticket-router"]
    fraud = facts["packages"]["fraud-detector"]
    assert fraud == {
        "pinned": "14",
        "expected_group": "acme-prod-fraud-detector",
        "found": True,
        "arn": FRAUD_14,
        "group": "acme-prod-fraud-detector",
        "version": 14,
        "approval_status": "Approved",
        "approval_description": None,
        "metrics": {"auc": 0.95},
        "metrics_source": f"model_quality_statistics:s3://{REPORTS_BUCKET}/acme-prod-fraud-detector/14/evaluation.json",
        "image": "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1",
        "model_data_url": "s3://acme-prod-artifacts-x/acme-prod-fraud-detector/14/model.tar.gz",
        "error": None,
    }
    churn = facts["packages"]["churn-predictor"]
    assert (churn["metrics"], churn["metrics_source"]) == (
        {"f1": 0.74}, f"model_quality_statistics:s3://{REPORTS_BUCKET}/acme-prod-churn-predictor/6/evaluation.json"
    )
    ticket = facts["packages"]["ticket-router"]
    assert (ticket["metrics"], ticket["metrics_source"]) == ({"accuracy": 0.9, "macro_f1": 0.8}, "customer_metadata_properties")
    # The facts fit the policy input schema, as the gate will see them.
    schema = json.loads((REPO / "policies" / "input.schema.json").read_text())
    document = policy_document(prod_plan.stack, prod_plan.specs, prod_plan.resources, registry=facts)
    jsonschema.validate(document, schema)


def test_approved_packages_meeting_thresholds_pass_with_verified_facts(aws: LocalAws, prod_project: Path, prod_plan) -> None:
    seed_prod_registry(aws)
    result = run_gate(prod_project, prod_plan, registry=registry_facts(prod_plan.stack, prod_plan.specs), require_verified=True)
    assert result.decision == "pass"
    assert result.unverified == []
    registry_checks = [c for c in result.to_dict()["checks"] if c["policy_id"].startswith("registry-")]
    assert len(registry_checks) == 9 and {c["outcome"] for c in registry_checks} == {"pass"}


@pytest.mark.parametrize(
    ("pinned", "policy_id", "message"),
    [
        (
            ("PendingManualApproval", {"auc": 0.95}),
            "registry-approved-package",
            f"Model fraud-detector pins model package {FRAUD_14}, whose approval status is PendingManualApproval; "
            "prod serves only Approved packages: approve it in the registry (mlops promote)",
        ),
        (
            ("Rejected", {"auc": 0.95}),
            "registry-approved-package",
            f"Model fraud-detector pins model package {FRAUD_14}, whose approval status is Rejected; "
            "prod serves only Approved packages: approve it in the registry (mlops promote)",
        ),
        (
            ("Approved", {"auc": 0.91}),
            "registry-package-metric-threshold",
            f"Model fraud-detector pins model package {FRAUD_14} with auc 0.91; its spec requires auc >= 0.92 "
            f"(metrics from model_quality_statistics:s3://{REPORTS_BUCKET}/acme-prod-fraud-detector/14/evaluation.json)",
        ),
        (
            ("Approved", {"accuracy": 0.99}),
            "registry-package-metric-threshold",
            f"Model fraud-detector pins model package {FRAUD_14}, which records no auc metric (recorded: accuracy); "
            "its spec requires auc >= 0.92",
        ),
    ],
    ids=["pending", "rejected", "metric-below-threshold", "metric-not-recorded"],
)
def test_pinned_package_that_may_not_serve_fails_the_gate(aws: LocalAws, prod_project: Path, prod_plan, pinned, policy_id: str, message: str) -> None:
    seed_prod_registry(aws, fraud_pinned=pinned)
    result = run_gate(prod_project, prod_plan, registry=registry_facts(prod_plan.stack, prod_plan.specs))
    assert result.decision == "fail"
    assert [(v.policy.id, v.resource, v.message) for v in result.violations if v.blocking] == [(policy_id, FRAUD_MODEL, message)]


def test_metric_above_threshold_passes(aws: LocalAws, prod_project: Path, prod_plan) -> None:
    seed_prod_registry(aws, fraud_pinned=("Approved", {"auc": 0.921}))
    result = run_gate(prod_project, prod_plan, registry=registry_facts(prod_plan.stack, prod_plan.specs), require_verified=True)
    assert result.decision == "pass"


def test_missing_package_fails_the_gate_naming_the_versions_there_are(aws: LocalAws, prod_project: Path, prod_plan) -> None:
    seed_prod_registry(aws, churn_versions=2)  # prod pins version 6
    facts = registry_facts(prod_plan.stack, prod_plan.specs)
    churn = facts["packages"]["churn-predictor"]
    assert churn["found"] is False and churn["approval_status"] is None
    result = run_gate(prod_project, prod_plan, registry=facts)
    assert result.decision == "fail"
    # churn-predictor scores in batch: it has no SageMaker model resource, so the finding is on its component.
    churn_model = "urn:pulumi:prod::mlops-platform::mlops:model:ModelStack::churn-predictor"
    assert findings(result, "registry-package-group") == [(
        churn_model,
        "Model churn-predictor pins model package version 6, which is not in the registry: model package "
        "arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-churn-predictor/6 not found; "
        "versions in group acme-prod-churn-predictor: 1, 2",
        True,
    )]
    # A package that is not there cannot be Approved either: not waivable, unlike the group check.
    assert findings(result, "registry-approved-package") == [(
        churn_model,
        "Model churn-predictor pins model package version 6, which is not in the registry, so it cannot be Approved; "
        "prod serves only Approved packages",
        True,
    )]


def test_missing_group_is_named(aws: LocalAws, prod_plan) -> None:
    seed_prod_registry(aws, ticket_versions=None)
    facts = registry_facts(prod_plan.stack, prod_plan.specs)
    assert facts["packages"]["ticket-router"]["error"] == (
        "model package arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-ticket-router/3 not found: "
        "model package group acme-prod-ticket-router does not exist"
    )


def test_without_facts_the_gate_passes_unverified_and_fails_when_verified_facts_are_required(prod_project: Path, prod_plan) -> None:
    offline = run_gate(prod_project, prod_plan)
    assert offline.decision == "pass-unverified"
    # Three registry checks on each pinned model, and the approval of the prod A/B test's challenger.
    assert sorted({u.policy.id for u in offline.unverified}) == [
        "registry-approved-package", "registry-package-group", "registry-package-metric-threshold", "variant-approved-packages",
    ]
    assert len(offline.unverified) == 10 and not any(u.blocking for u in offline.unverified)
    required = run_gate(prod_project, prod_plan, require_verified=True)
    assert required.decision == "fail"
    assert all(u.blocking for u in required.unverified)


def test_no_credentials_and_no_endpoint_means_no_facts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, prod_plan) -> None:
    isolate_aws_environment(monkeypatch, tmp_path)
    assert facts_available(boto3.Session()) is False
    with pytest.raises(LiveFactsError) as e:
        registry_facts(prod_plan.stack, prod_plan.specs)
    assert e.value.exit_code == ExitCode.ENGINE_UNDECIDED
    assert e.value.message.startswith("fetching model registry facts needs AWS credentials and none were found; configure AWS credentials")


def test_endpoint_override_alone_reaches_an_emulator(aws: LocalAws, monkeypatch: pytest.MonkeyPatch, prod_plan) -> None:
    seed_prod_registry(aws)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    assert facts_available(boto3.Session()) is True
    assert registry_facts(prod_plan.stack, prod_plan.specs)["packages"]["fraud-detector"]["approval_status"] == "Approved"


def test_unreachable_endpoint_fails_closed_naming_it(aws: LocalAws, monkeypatch: pytest.MonkeyPatch, prod_plan) -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", closed)
    with pytest.raises(PolicyEngineError) as e:
        registry_facts(prod_plan.stack, prod_plan.specs)
    assert e.value.exit_code == ExitCode.ENGINE_UNDECIDED
    assert e.value.message.startswith(f"cannot reach the AWS sts endpoint {closed} while identifying the AWS account: ")
    assert e.value.message.endswith("nothing was decided (fails closed): check the network, AWS_ENDPOINT_URL and the region")


def test_unreadable_evaluation_report_falls_back_to_properties_and_says_why(aws: LocalAws, prod_plan) -> None:
    seed_prod_registry(aws)
    aws.client("s3").delete_object(Bucket=REPORTS_BUCKET, Key="acme-prod-fraud-detector/14/evaluation.json")
    fraud = registry_facts(prod_plan.stack, prod_plan.specs)["packages"]["fraud-detector"]
    assert fraud["found"] is True and fraud["metrics"] == {} and fraud["metrics_source"] is None
    assert fraud["error"] == (
        f"model quality report s3://{REPORTS_BUCKET}/acme-prod-fraud-detector/14/evaluation.json: the report does not exist"
    )


def test_report_formats() -> None:
    assert report_metrics({"regression_metrics": {"mse": {"value": 0.2}, "r2": {"value": 0.8}}, "other": {"x": 1}}) == {"mse": 0.2, "r2": 0.8}
    assert report_metrics({"metrics": {"auc": {"value": "0.93"}, "f1": 0.7, "bad": {"value": "n/a"}, "flag": True}}) == {"auc": 0.93, "f1": 0.7}
    with pytest.raises(ValueError):
        report_metrics(["not", "an", "object"])
