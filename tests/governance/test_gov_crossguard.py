"""CrossGuard policies built from the Rego bundle, exercised with fake validation args."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from gov_fixtures import ENDPOINT_CONFIG, ROLE_POLICY, SHIPPED_DEFAULTS_TEXT, stack_document, urn, write, write_library
from mlops.errors import InputError
from mlops.governance import crossguard
from mlops.governance.crossguard import build_policies, resources_from_crossguard, stack_name
from pulumi_policy import EnforcementLevel, Severity
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

SHIPPED = Path(__file__).resolve().parents[2] / "policies"

MODEL_SPEC = """\
metadata:
  name: fraud-detector
  description: Scores card transactions.
  owner: risk@example.com
  team: risk
  cost_center: CC-1
  risk_tier: high
  data_classification: confidential
training:
  framework: xgboost
  framework_version: "1.7-1"
  inputs:
    - {channel: train, s3_uri: "s3://acme-data/train/"}
  evaluation: {metric: auc, threshold: 0.9}
serving: {}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_library(tmp_path / "policies")
    write(tmp_path / "policies" / "enforcement.yaml", SHIPPED_DEFAULTS_TEXT)
    write(tmp_path / "policies" / "waivers.yaml", (
        "waivers:\n  - {policy: resource-owner-tag, model: ticket-router, reason: Tag lands next release.,"
        " approver: a@example.com, expires: 2026-12-31}\n"))
    write(tmp_path / "Pulumi.yaml", "name: mlops-platform\nruntime: python\n")
    for environment in ("dev", "prod"):
        write(tmp_path / f"Pulumi.{environment}.yaml", (
            f"config:\n  aws:region: eu-west-1\n  mlops:environment: {environment}\n  mlops:namePrefix: acme\n"
            "  mlops:owner: platform@example.com\n  mlops:team: ml-platform\n  mlops:costCenter: CC-1000\n"))
    write(tmp_path / "models" / "fraud-detector.yaml", MODEL_SPEC)
    # The waiver above names ticket-router, which a waiver may only do for a model the stack has.
    write(tmp_path / "models" / "ticket-router.yaml", MODEL_SPEC.replace("name: fraud-detector", "name: ticket-router"))
    return tmp_path


def fake_resources(environment: str = "prod") -> list[SimpleNamespace]:
    """What CrossGuard hands a stack policy for the fixture stack: fresh objects on every call."""
    entries = stack_document(environment)["resources"]
    return [
        SimpleNamespace(
            urn=e["urn"], resource_type=e["type"], name=e["name"], props=unknown_checking_proxy(copy.deepcopy(e["inputs"])),
            parent=None, dependencies=[], opts=SimpleNamespace(),
        )
        for e in entries
    ]


def validate(policy: Any, resources: list[SimpleNamespace]) -> list[tuple[str, str | None]]:
    reported: list[tuple[str, str | None]] = []
    policy.validate(SimpleNamespace(resources=resources), lambda message, urn=None: reported.append((message, urn)))
    return reported


def policies(project: Path, stack: str = "prod") -> dict[str, Any]:
    built = build_policies(project, environ={"MLOPS_STACK": stack}, today=lambda: date(2026, 6, 1))
    return {p.name: p for p in built}


def test_one_policy_per_rego_policy_with_environment_levels(project: Path) -> None:
    prod = policies(project, "prod")
    assert {name: (p.description, p.enforcement_level, p.severity) for name, p in prod.items()} == {
        "endpoint-kms-encryption": ("Endpoint configurations encrypt with a KMS key", EnforcementLevel.MANDATORY, Severity.HIGH),
        "endpoint-min-instances": ("Endpoints run enough instances", EnforcementLevel.MANDATORY, Severity.MEDIUM),
        "iam-no-wildcard-actions": ("Role policies never allow every action", EnforcementLevel.MANDATORY, Severity.CRITICAL),
        "resource-owner-tag": ("Resources name an owner", EnforcementLevel.ADVISORY, Severity.LOW),
        # What a preview leaves to the update for want of known values: listed, never blocking.
        "values-known-after-apply": (
            "Checks a preview leaves to the update because they depend on values known only after apply",
            EnforcementLevel.ADVISORY,
            Severity.LOW,
        ),
    }
    assert {p.enforcement_level for p in policies(project, "dev").values()} == {EnforcementLevel.ADVISORY}


def test_disabled_policy_maps_to_disabled(project: Path) -> None:
    enforcement = project / "policies" / "enforcement.yaml"
    enforcement.write_text(enforcement.read_text().replace("policies: {}", "policies:\n  endpoint-min-instances: {prod: disabled}"))
    assert policies(project)["endpoint-min-instances"].enforcement_level == EnforcementLevel.DISABLED


def test_each_policy_reports_its_own_unwaived_violations(project: Path) -> None:
    prod = policies(project)
    fraud = urn(ENDPOINT_CONFIG, "fraud-detector-config")
    assert validate(prod["endpoint-kms-encryption"], fake_resources()) == [("Endpoint configuration fraud-detector-config must set kmsKeyArn", fraud)]
    assert validate(prod["endpoint-min-instances"], fake_resources()) == [
        ("Endpoint configuration fraud-detector-config must run at least 2 instances", fraud)
    ]
    assert validate(prod["iam-no-wildcard-actions"], fake_resources()) == [
        ("Role policy platform-admin must not allow every action", urn(ROLE_POLICY, "platform-admin"))
    ]
    assert validate(prod["resource-owner-tag"], fake_resources()) == []


def test_policies_share_one_evaluation_per_stack_snapshot(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    real = crossguard.evaluate_gate

    def counting(document: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        calls.append(document)
        return real(document, *args, **kwargs)

    monkeypatch.setattr(crossguard, "evaluate_gate", counting)
    prod = policies(project)
    for policy in prod.values():
        validate(policy, fake_resources())
    assert len(calls) == 1

    changed = fake_resources()
    changed[0].props = unknown_checking_proxy({"kmsKeyArn": "arn:aws:kms:eu-west-1:111122223333:key/k"})
    assert validate(prod["endpoint-kms-encryption"], changed) == []
    assert len(calls) == 2


def test_document_carries_stack_settings_and_models(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    documents: list[dict[str, Any]] = []
    real = crossguard.evaluate_gate
    monkeypatch.setattr(crossguard, "evaluate_gate", lambda document, *args, **kwargs: documents.append(document) or real(document, *args, **kwargs))
    validate(policies(project)["endpoint-kms-encryption"], fake_resources())

    document = documents[0]
    assert {k: document[k] for k in ("stack", "environment", "region", "network")} == {
        "stack": "prod", "environment": "prod", "region": "eu-west-1", "network": None,
    }
    assert [(m["name"], m["spec"]["metadata"]["owner"]) for m in document["models"]] == [
        ("fraud-detector", "risk@example.com"), ("ticket-router", "risk@example.com"),
    ]
    assert document["resources"] == sorted(stack_document("prod")["resources"], key=lambda r: r["urn"])


def test_resources_from_crossguard_shape_and_unknowns() -> None:
    parent = SimpleNamespace(urn="urn:parent")
    dependency = SimpleNamespace(urn="urn:dep")
    props = unknown_checking_proxy({
        "kmsKeyArn": UNKNOWN_STRING_VALUE,
        "productionVariants": [{"initialInstanceCount": 2.0, "modelName": UNKNOWN_STRING_VALUE}],
        "tags": {"model": "fraud-detector", "owner": "risk@example.com"},
    })
    resource = SimpleNamespace(urn="urn:config", resource_type=ENDPOINT_CONFIG, name="config", props=props,
                               parent=parent, dependencies=[dependency], opts=SimpleNamespace())
    assert resources_from_crossguard([resource]) == [{
        "urn": "urn:config",
        "type": ENDPOINT_CONFIG,
        "name": "config",
        "parent": "urn:parent",
        "dependencies": ["urn:dep"],
        "inputs": {
            "kmsKeyArn": UNKNOWN_STRING_VALUE,
            "productionVariants": [{"initialInstanceCount": 2, "modelName": UNKNOWN_STRING_VALUE}],
            "tags": {"model": "fraud-detector", "owner": "risk@example.com"},
        },
        "tags": {"model": "fraud-detector", "owner": "risk@example.com"},
        "model": "fraud-detector",
    }]


def test_untagged_resource_takes_its_model_stack_model_like_the_offline_plan() -> None:
    stack = SimpleNamespace(urn="urn:stack", resource_type="pulumi:pulumi:Stack", name="s", props={}, parent=None, dependencies=[])
    model_stack = SimpleNamespace(urn="urn:ms", resource_type="mlops:model:ModelStack", name="fraud-detector", props={},
                                  parent=stack, dependencies=[])
    role_policy = SimpleNamespace(urn="urn:rp", resource_type=ROLE_POLICY, name="rp", props={"policy": "{}"},
                                  parent=model_stack, dependencies=[])
    shared = SimpleNamespace(urn="urn:key", resource_type="aws:kms/key:Key", name="k", props={"tags": {"model": "shared"}},
                             parent=stack, dependencies=[])
    entries = resources_from_crossguard([stack, model_stack, role_policy, shared])
    assert [(e["urn"], e["tags"], e["model"]) for e in entries] == [
        ("urn:stack", {}, None),
        ("urn:ms", {}, "fraud-detector"),
        ("urn:rp", {}, "fraud-detector"),
        ("urn:key", {"model": "shared"}, None),
    ]


def test_stack_name_comes_from_the_engine_and_a_disagreeing_mlops_stack_is_refused() -> None:
    assert stack_name({"PULUMI_STACK": "dev"}) == "dev"
    assert stack_name({"PULUMI_STACK": "prod", "MLOPS_STACK": "prod"}) == "prod"
    assert stack_name({"PULUMI_STACK": "acme/mlops-platform/prod", "MLOPS_STACK": "prod"}) == "prod"
    # Outside the engine (no PULUMI_STACK), MLOPS_STACK names the stack.
    assert stack_name({"MLOPS_STACK": "prod"}) == "prod"
    with pytest.raises(InputError) as error:
        stack_name({"MLOPS_STACK": "dev", "PULUMI_STACK": "prod"})
    assert str(error.value) == (
        "MLOPS_STACK=dev but Pulumi is deploying stack prod: the pack checks the stack Pulumi deploys; "
        "unset MLOPS_STACK or set it to prod"
    )
    with pytest.raises(InputError) as error:
        stack_name({})
    assert str(error.value) == (
        "no stack to check: run the pack through `pulumi up --policy-pack policies` (or set MLOPS_STACK outside Pulumi)"
    )
