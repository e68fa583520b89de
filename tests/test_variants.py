"""A/B and shadow variants: one model per variant, weights, per-variant scaling and alarms, and what `mlops diff` says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mlops.diff import compute_changes, why
from mlops.plan import build_plan
from mlops.resources.sagemaker_endpoint_configuration import SHADOW_NOTES, VARIANT_NOTES, WEIGHT_NOTE

from .conftest import copy_project, example_plan

MODEL = "aws:sagemaker/model:Model"
CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
ENDPOINT = "aws:sagemaker/endpoint:Endpoint"
TARGET = "aws:appautoscaling/target:Target"
POLICY = "aws:appautoscaling/policy:Policy"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
SERVING = "mlops:sagemaker:Serving"
KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/mock-platform-key"


def package(stack: str, version: int) -> str:
    return f"arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-{stack}-fraud-detector/{version}"


plan = example_plan


def serving(stack: str, type_token: str) -> dict[str, dict[str, Any]]:
    """fraud-detector's Serving children of one type, by logical name."""
    return {
        r["name"]: r["inputs"]
        for r in plan(stack).resources
        if r["type"] == type_token and r["model"] == "fraud-detector" and r["parent"] and f"{SERVING}::" in r["parent"]
    }


def config(stack: str) -> dict[str, Any]:
    (inputs,) = serving(stack, CONFIG).values()
    return inputs


def test_staging_copies_half_the_requests_to_a_shadow_serving_the_candidate_package() -> None:
    inputs = config("staging")
    assert inputs["productionVariants"] == [{
        "variantName": "primary", "modelName": "fraud-detector-serving-model",
        "instanceType": "ml.c5.xlarge", "initialInstanceCount": 2, "initialVariantWeight": 1,
    }]
    # The shadow's weight over the production variant's is the share of requests copied to it.
    assert inputs["shadowProductionVariants"] == [{
        "variantName": "shadow", "modelName": "fraud-detector-serving-shadow-model",
        "instanceType": "ml.c5.xlarge", "initialInstanceCount": 2, "initialVariantWeight": 0.5,
    }]
    # KMS and capture are the configuration's: they cover the shadow too.
    assert inputs["kmsKeyArn"] == KEY_ARN and inputs["dataCaptureConfig"]["enableCapture"] is True
    # Staging pins no version: the champion serves the promoted artifact, the shadow its candidate package.
    models = serving("staging", MODEL)
    assert {name: m["primaryContainer"].get("modelPackageName") for name, m in models.items()} == {
        "fraud-detector-serving-model": None,
        "fraud-detector-serving-shadow-model": package("staging", 15),
    }
    assert all(m["vpcConfig"] and m["enableNetworkIsolation"] for m in models.values())


def test_staging_shadow_scales_but_does_not_roll_deployments_back() -> None:
    targets = serving("staging", TARGET)
    assert {name: t["resourceId"] for name, t in targets.items()} == {
        "fraud-detector-serving-scaling-target": "endpoint/acme-staging-fraud-detector/variant/primary",
        "fraud-detector-serving-shadow-scaling-target": "endpoint/acme-staging-fraud-detector/variant/shadow",
    }
    assert {(t["minCapacity"], t["maxCapacity"]) for t in targets.values()} == {(2, 4)}
    assert set(serving("staging", POLICY)) == {"fraud-detector-serving-scaling-policy", "fraud-detector-serving-shadow-scaling-policy"}
    (endpoint,) = serving("staging", ENDPOINT).values()
    rollback = [a["alarmName"] for a in endpoint["deploymentConfig"]["autoRollbackConfiguration"]["alarms"]]
    assert rollback == ["acme-staging-fraud-detector-latency-p99", "acme-staging-fraud-detector-5xx"]


def test_prod_splits_traffic_ninety_ten_between_champion_and_challenger_packages() -> None:
    inputs = config("prod")
    assert [(v["variantName"], v["modelName"], v["initialVariantWeight"], v["instanceType"], v["initialInstanceCount"])
            for v in inputs["productionVariants"]] == [
        ("primary", "fraud-detector-serving-model", 90, "ml.c5.2xlarge", 3),
        ("challenger", "fraud-detector-serving-challenger-model", 10, "ml.c5.2xlarge", 3),
    ]
    assert "shadowProductionVariants" not in inputs
    assert inputs["kmsKeyArn"] == KEY_ARN
    models = serving("prod", MODEL)
    assert {name: m["primaryContainer"] for name, m in models.items()} == {
        "fraud-detector-serving-model": {"modelPackageName": package("prod", 14)},
        "fraud-detector-serving-challenger-model": {"modelPackageName": package("prod", 18)},
    }


def test_prod_scales_and_alarms_on_every_variant() -> None:
    targets = serving("prod", TARGET)
    assert {name: (t["resourceId"], t["minCapacity"], t["maxCapacity"]) for name, t in targets.items()} == {
        "fraud-detector-serving-scaling-target": ("endpoint/acme-prod-fraud-detector/variant/primary", 3, 12),
        "fraud-detector-serving-challenger-scaling-target": ("endpoint/acme-prod-fraud-detector/variant/challenger", 3, 12),
    }
    policies = serving("prod", POLICY)
    assert {p["resourceId"] for p in policies.values()} == {t["resourceId"] for t in targets.values()}
    assert {p["targetTrackingScalingPolicyConfiguration"]["targetValue"] for p in policies.values()} == {800}
    alarms = serving("prod", ALARM)
    # The champion is named primary, so its resources are the ones it had before the A/B test.
    assert {a["name"]: (a["metricName"], a["dimensions"]) for a in alarms.values()} == {
        f"acme-prod-fraud-detector{'' if variant == 'primary' else '-' + variant}-{suffix}": (
            metric, {"EndpointName": "acme-prod-fraud-detector", "VariantName": variant}
        )
        for variant in ("primary", "challenger")
        for suffix, metric in (("latency-p99", "ModelLatency"), ("5xx", "Invocation5XXErrors"))
    }
    (endpoint,) = serving("prod", ENDPOINT).values()
    rollback = {a["alarmName"] for a in endpoint["deploymentConfig"]["autoRollbackConfiguration"]["alarms"]}
    assert rollback == {a["name"] for a in alarms.values()}


def test_a_single_primary_variant_keeps_its_names_and_sets_no_weight() -> None:
    """dev declares no variants: the resources and inputs are those of the single-variant endpoint."""
    inputs = config("dev")
    assert inputs["productionVariants"] == [{
        "variantName": "primary", "modelName": "fraud-detector-serving-model", "instanceType": "ml.c5.xlarge", "initialInstanceCount": 1,
    }]
    assert "shadowProductionVariants" not in inputs
    names = {r["name"] for r in plan("dev").resources if r["model"] == "fraud-detector" and r["parent"] and f"{SERVING}::" in r["parent"]}
    assert names == {
        "fraud-detector-serving-model", "fraud-detector-serving-config", "fraud-detector-serving-endpoint",
        "fraud-detector-serving-latency-alarm", "fraud-detector-serving-5xx-alarm",
    }
    alarms = serving("dev", ALARM)
    assert {a["name"] for a in alarms.values()} == {"acme-dev-fraud-detector-latency-p99", "acme-dev-fraud-detector-5xx"}
    assert {a["dimensions"]["VariantName"] for a in alarms.values()} == {"primary"}
    assert serving("dev", MODEL)["fraud-detector-serving-model"]["primaryContainer"]["mode"] == "SingleModel"


# --- mlops diff: a weight change shifts traffic, a new variant provisions, a removed one drains ---------------

PROD_VARIANTS = """      variants:
        - {name: primary, model_version: 14, weight: 90}
        - {name: challenger, model_version: 18, weight: 10}
"""


def prod_plan_with(tmp_path: Path, name: str, variants: str) -> dict[str, Any]:
    project = copy_project(tmp_path / name)
    spec = project / "models" / "fraud-detector.yaml"
    text = spec.read_text()
    assert PROD_VARIANTS in text
    spec.write_text(text.replace(PROD_VARIANTS, variants))
    return build_plan(project, "prod").to_dict()


@pytest.fixture(scope="module")
def prod_plans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("variants")
    return {
        "base": prod_plan_with(tmp, "base", PROD_VARIANTS),
        "shifted": prod_plan_with(tmp, "shifted", PROD_VARIANTS.replace("weight: 90", "weight: 80").replace("weight: 10", "weight: 20")),
        "three": prod_plan_with(tmp, "three", PROD_VARIANTS.replace("weight: 10", "weight: 5")
                                + "        - {name: candidate, model_version: 16, weight: 5}\n"),
    }


def only(changes: dict[str, Any], name: str) -> dict[str, Any]:
    (change,) = [c for c in changes["resources"] if c["name"] == name]
    return change


def test_diff_says_a_weight_change_only_shifts_traffic(prod_plans: dict[str, dict[str, Any]]) -> None:
    changes = compute_changes(prod_plans["base"], prod_plans["shifted"], "base")
    assert {c["name"]: c["action"] for c in changes["resources"]} == {
        "fraud-detector-serving-config": "replace",
        "fraud-detector-serving-endpoint": "update",
    }
    config = only(changes, "fraud-detector-serving-config")
    assert config["changed_inputs"] == ["productionVariants[0].initialVariantWeight", "productionVariants[1].initialVariantWeight"]
    assert config["notes"][0] == WEIGHT_NOTE
    assert why(config) == (
        f"productionVariants[0].initialVariantWeight changed; productionVariants[1].initialVariantWeight changed; {WEIGHT_NOTE}"
    )
    assert only(changes, "fraud-detector-serving-endpoint")["changed_inputs"] == ["endpointConfigName"]


def test_diff_says_an_added_variant_provisions_and_a_removed_one_drains(prod_plans: dict[str, dict[str, Any]]) -> None:
    added = compute_changes(prod_plans["base"], prod_plans["three"], "base")
    config = only(added, "fraud-detector-serving-config")
    assert config["action"] == "replace"
    assert config["replace_reasons"] == ["productionVariants[1].initialVariantWeight changed", "productionVariants[2] (candidate) added"]
    assert config["notes"][:2] == [WEIGHT_NOTE, VARIANT_NOTES[0].format(key="candidate")]
    assert why(config).endswith("; variant candidate is added: SageMaker provisions a new model and instances for it, "
                                "then routes its weight's share of the requests to it")
    # Serving's own resources (monitoring adds its per-variant alarms beside them).
    new = {c["name"] for c in added["resources"] if c["action"] == "add" and c["name"].startswith("fraud-detector-serving-")}
    roles = ("model", "scaling-target", "scaling-policy", "latency-alarm", "5xx-alarm")
    assert new == {f"fraud-detector-serving-candidate-{role}" for role in roles}
    # The champion and the challenger keep their models and instances.
    kept = {"fraud-detector-serving-model", "fraud-detector-serving-challenger-model"}
    assert not {c["name"] for c in added["resources"]} & kept

    removed = compute_changes(prod_plans["three"], prod_plans["base"], "base")
    config = only(removed, "fraud-detector-serving-config")
    assert config["replace_reasons"] == ["productionVariants[1].initialVariantWeight changed", "productionVariants[2] (candidate) removed"]
    assert VARIANT_NOTES[1].format(key="candidate") in config["notes"]
    assert {c["name"] for c in removed["resources"] if c["action"] == "delete" and c["name"].startswith("fraud-detector-serving-")} == new


def test_diff_matches_variants_by_name_and_notes_a_shadow_added() -> None:
    def plan_of(variants: list[dict[str, Any]], shadows: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        inputs: dict[str, Any] = {"productionVariants": variants, "kmsKeyArn": KEY_ARN}
        if shadows is not None:
            inputs["shadowProductionVariants"] = shadows
        return {"formatVersion": 1, "stack": "prod", "region": "eu-west-1", "resources": [{
            "urn": f"urn:pulumi:prod::p::{CONFIG}::c", "type": CONFIG, "name": "c", "custom": True,
            "dependencies": [], "inputs": inputs, "model": "m",
        }]}

    a = {"variantName": "a", "modelName": "m-a", "initialVariantWeight": 50}
    b = {"variantName": "b", "modelName": "m-b", "initialVariantWeight": 50}
    # Removing the first variant is one removal, not a rename of every variant after it.
    (change,) = compute_changes(plan_of([a, b]), plan_of([{**b, "initialVariantWeight": 100}]), "base")["resources"]
    assert change["changed_inputs"] == ["productionVariants[0]", "productionVariants[0].initialVariantWeight"]
    assert change["replace_reasons"] == ["productionVariants[0].initialVariantWeight changed", "productionVariants[0] (a) removed"]
    shadow = {"variantName": "s", "modelName": "m-s", "initialVariantWeight": 0.5}
    (change,) = compute_changes(plan_of([a, b]), plan_of([a, b], [shadow]), "base")["resources"]
    assert change["notes"][0] == SHADOW_NOTES[0].format(key="s")
