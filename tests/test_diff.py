"""Plan comparison: which changes update in place, which replace, which lose data — from small hand-built plans."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from mlops.diff import compute_changes, read_plan_file, render_markdown
from mlops.errors import InputError
from mlops.replacements import RULES, format_path, parse_pattern

from .conftest import REPO

REGION = "eu-west-1"
KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/mock-platform-key"  # what the plan mocks give platform-key
FG = "aws:sagemaker/featureGroup:FeatureGroup"
ENDPOINT = "aws:sagemaker/endpoint:Endpoint"
CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
MODEL = "aws:sagemaker/model:Model"
KEY = "aws:kms/key:Key"
BUCKET = "aws:s3/bucket:Bucket"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:prod::mlops-platform::{type_}::{name}"


def res(type_: str, name: str, inputs: dict[str, Any], deps: tuple[str, ...] = (), model: str | None = "fraud-detector") -> dict:
    return {"urn": urn(type_, name), "type": type_, "name": name, "parent": None, "custom": True,
            "dependencies": list(deps), "inputs": inputs, "tags": {}, "model": model}


def plan(*resources: dict, region: str = REGION) -> dict:
    return {"formatVersion": 1, "project": "mlops-platform", "stack": "prod", "environment": "prod",
            "region": region, "resources": list(resources)}


def feature_group(**changes: Any) -> dict:
    inputs = {
        "featureGroupName": "acme-prod-fraud-detector-card-transactions",
        "description": "Per-transaction features.",
        "recordIdentifierFeatureName": "transaction_id",
        "eventTimeFeatureName": "event_time",
        "featureDefinitions": [{"featureName": "transaction_id", "featureType": "String"},
                               {"featureName": "event_time", "featureType": "String"}],
        "onlineStoreConfig": {"enableOnlineStore": True, "securityConfig": {"kmsKeyId": KEY_ARN}},
        "offlineStoreConfig": {"s3StorageConfig": {"s3Uri": "s3://acme-prod-feature-store-mock/fraud", "kmsKeyId": KEY_ARN}},
        "roleArn": "arn:aws:iam::123456789012:role/acme-prod-fraud-detector-sagemaker",
        "tags": {"model": "fraud-detector"},
    }
    return res(FG, "fraud-detector-features-card-transactions", {**inputs, **changes}, deps=(urn(KEY, "platform-key"),))


def key(**changes: Any) -> dict:
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "Use", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
         "Action": ["kms:Decrypt", "kms:Encrypt"], "Resource": "*"},
    ]}
    inputs = {"description": "Encrypts ML data", "enableKeyRotation": True, "deletionWindowInDays": 30,
              "policy": json.dumps(policy), "tags": {"model": "shared"}}
    return res(KEY, "platform-key", {**inputs, **changes}, model=None)


def serving(model_inputs: dict | None = None, config_changes: dict | None = None, endpoint_changes: dict | None = None) -> list[dict]:
    """A model → endpoint configuration → endpoint chain, referencing each other as the mocks name them."""
    model = res(MODEL, "fraud-detector-serving-model", {
        "executionRoleArn": "arn:aws:iam::123456789012:role/acme-prod-fraud-detector-sagemaker",
        "primaryContainer": {"modelPackageName": "arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-fraud-detector/14"},
        "enableNetworkIsolation": True,
        "vpcConfig": {"subnets": ["subnet-a", "subnet-b"], "securityGroupIds": ["sg-a"]},
        **(model_inputs or {}),
    })
    config = res(CONFIG, "fraud-detector-serving-config", {
        "productionVariants": [{"variantName": "primary", "modelName": "fraud-detector-serving-model",
                                "instanceType": "ml.m5.xlarge", "initialInstanceCount": 2}],
        "kmsKeyArn": KEY_ARN,
        "tags": {"model": "fraud-detector"},
        **(config_changes or {}),
    }, deps=(model["urn"], urn(KEY, "platform-key")))
    endpoint = res(ENDPOINT, "fraud-detector-serving-endpoint", {
        "name": "acme-prod-fraud-detector",
        "endpointConfigName": "fraud-detector-serving-config",
        "deploymentConfig": {
            "blueGreenUpdatePolicy": {"trafficRoutingConfiguration": {"type": "CANARY", "waitIntervalInSeconds": 900}},
            "autoRollbackConfiguration": {"alarms": [{"alarmName": "latency"}, {"alarmName": "5xx"}]},
        },
        **(endpoint_changes or {}),
    }, deps=(config["urn"],))
    return [model, config, endpoint]


def only(changes: dict, name: str) -> dict:
    matching = [c for c in changes["resources"] if c["name"] == name]
    assert len(matching) == 1, changes["resources"]
    return matching[0]


# --- Feature groups: schema changes replace the group and lose its records --------------------------


@pytest.mark.parametrize(
    ("field", "value", "path"),
    [
        ("recordIdentifierFeatureName", "event_time", "recordIdentifierFeatureName"),
        ("eventTimeFeatureName", "transaction_id", "eventTimeFeatureName"),
        ("featureDefinitions", [{"featureName": "transaction_id", "featureType": "String"},
                                {"featureName": "event_time", "featureType": "String"},
                                {"featureName": "amount", "featureType": "Fractional"}], "featureDefinitions[2]"),
        ("featureGroupName", "acme-prod-fraud-detector-transactions-v2", "featureGroupName"),
        ("description", "Reworded.", "description"),
    ],
)
def test_feature_group_schema_change_replaces_and_loses_data(field: str, value: Any, path: str) -> None:
    changes = compute_changes(plan(key(), feature_group()), plan(key(), feature_group(**{field: value})), "origin/main")
    group = only(changes, "fraud-detector-features-card-transactions")
    assert group["action"] == "replace"
    assert group["changed_inputs"] == [path]
    assert group["replace_reasons"] == [f"{path} changed"]
    assert group["data_loss"] is True
    assert group["data_loss_reason"] == (
        "its online store records are deleted with the group; its offline store data stays in S3 but is "
        "detached from the new, empty group (re-ingest or backfill it)"
    )
    assert changes["summary"] == {"add": 0, "delete": 0, "update": 0, "replace": 1, "data_loss": 1, "unchanged": 1}


def test_feature_group_explicit_name_means_delete_before_replace() -> None:
    changes = compute_changes(plan(feature_group()), plan(feature_group(eventTimeFeatureName="ts")), "base")
    notes = only(changes, "fraud-detector-features-card-transactions")["notes"]
    assert notes[0].startswith(
        "keeps its explicit name acme-prod-fraud-detector-card-transactions: Pulumi deletes the old FeatureGroup before"
    )
    assert notes[1].startswith("replacement rule: terraform-provider-aws v6")
    assert "feature_group.go" in notes[1]


def test_feature_group_ttl_and_tags_update_in_place() -> None:
    online = {"enableOnlineStore": True, "securityConfig": {"kmsKeyId": KEY_ARN}, "ttlDuration": {"unit": "Days", "value": 30}}
    base = plan(feature_group(onlineStoreConfig=online))
    current = plan(feature_group(onlineStoreConfig={**online, "ttlDuration": {"unit": "Days", "value": 60}},
                                 tags={"model": "fraud-detector", "team": "risk"}))
    group = only(compute_changes(base, current, "base"), "fraud-detector-features-card-transactions")
    assert (group["action"], group["data_loss"], group["replace_reasons"]) == ("update", False, [])
    assert group["changed_inputs"] == ["onlineStoreConfig.ttlDuration.value", "tags.team"]


def test_adding_an_online_store_replaces_the_group() -> None:
    base = plan(feature_group(onlineStoreConfig=None))
    group = only(compute_changes(base, plan(feature_group()), "base"), "fraud-detector-features-card-transactions")
    assert group["replace_reasons"] == ["onlineStoreConfig changed"]
    assert group["data_loss_reason"] == (
        "its offline store data stays in S3 but is detached from the new, empty group (re-ingest or backfill it)"
    )


# --- Serving: immutable models and configurations, endpoints updated blue/green --------------------


def test_endpoint_configuration_change_replaces_it_and_updates_the_endpoint_blue_green() -> None:
    base = plan(*serving())
    variant = [{"variantName": "primary", "modelName": "fraud-detector-serving-model", "instanceType": "ml.m5.2xlarge",
                "initialInstanceCount": 2}]
    changes = compute_changes(base, plan(*serving(config_changes={"productionVariants": variant})), "base")
    config = only(changes, "fraud-detector-serving-config")
    assert (config["action"], config["data_loss"]) == ("replace", False)
    assert config["replace_reasons"] == ["productionVariants[0].instanceType changed"]
    assert config["notes"][0] == (
        "gets a new name and ARN: Pulumi creates the replacement first, repoints what references it, then deletes the old one"
    )
    endpoint = only(changes, "fraud-detector-serving-endpoint")
    assert (endpoint["action"], endpoint["replace_reasons"], endpoint["changed_inputs"]) == ("update", [], ["endpointConfigName"])
    assert endpoint["notes"][0].startswith("endpointConfigName changes: an in-place UpdateEndpoint, not a replacement")
    assert endpoint["notes"][1] == (
        "endpointConfigName changes because EndpointConfiguration fraud-detector-serving-config is replaced and gets a new name and ARN"
    )
    assert changes["summary"] == {"add": 0, "delete": 0, "update": 1, "replace": 1, "data_loss": 0, "unchanged": 1}


def test_new_model_version_replaces_model_and_configuration_but_not_the_endpoint() -> None:
    container = {"primaryContainer": {"modelPackageName": "arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-fraud-detector/15"}}
    changes = compute_changes(plan(*serving()), plan(*serving(model_inputs=container)), "base")
    assert {c["name"]: c["action"] for c in changes["resources"]} == {
        "fraud-detector-serving-model": "replace",
        "fraud-detector-serving-config": "replace",
        "fraud-detector-serving-endpoint": "update",
    }
    assert only(changes, "fraud-detector-serving-config")["replace_reasons"] == [
        "productionVariants[0].modelName changes because Model fraud-detector-serving-model is replaced and gets a new name and ARN"
    ]
    assert changes["summary"]["data_loss"] == 0


def test_endpoint_rename_replaces_it() -> None:
    changes = compute_changes(plan(*serving()), plan(*serving(endpoint_changes={"name": "acme-prod-fraud"})), "base")
    endpoint = only(changes, "fraud-detector-serving-endpoint")
    assert (endpoint["action"], endpoint["replace_reasons"], endpoint["data_loss"]) == ("replace", ["name changed"], False)
    assert endpoint["notes"][0].startswith("keeps its explicit name acme-prod-fraud: Pulumi deletes the old Endpoint before")


def test_endpoint_rollback_block_replaces_only_when_added_or_removed() -> None:
    blue_green = {"trafficRoutingConfiguration": {"type": "CANARY", "waitIntervalInSeconds": 900}}
    without_rollback = {"deploymentConfig": {"blueGreenUpdatePolicy": blue_green}}
    removed = only(compute_changes(plan(*serving()), plan(*serving(endpoint_changes=without_rollback)), "base"),
                   "fraud-detector-serving-endpoint")
    assert removed["replace_reasons"] == ["deploymentConfig.autoRollbackConfiguration changed"]
    other_alarms = {"deploymentConfig": {"blueGreenUpdatePolicy": blue_green,
                                         "autoRollbackConfiguration": {"alarms": [{"alarmName": "errors"}]}}}
    changed = only(compute_changes(plan(*serving()), plan(*serving(endpoint_changes=other_alarms)), "base"),
                   "fraud-detector-serving-endpoint")
    assert (changed["action"], changed["changed_inputs"]) == ("update", ["deploymentConfig.autoRollbackConfiguration.alarms"])


def test_reordering_what_aws_treats_as_sets_is_no_change() -> None:
    reordered_alarms = {"deploymentConfig": {
        "blueGreenUpdatePolicy": {"trafficRoutingConfiguration": {"type": "CANARY", "waitIntervalInSeconds": 900}},
        "autoRollbackConfiguration": {"alarms": [{"alarmName": "5xx"}, {"alarmName": "latency"}]},
    }}
    subnets = {"vpcConfig": {"subnets": ["subnet-b", "subnet-a"], "securityGroupIds": ["sg-a"]}}
    current = plan(*serving(model_inputs=subnets, endpoint_changes=reordered_alarms))
    changes = compute_changes(plan(*serving()), current, "base")
    assert changes["resources"] == []
    assert changes["summary"]["unchanged"] == 3


def test_reordering_an_ordered_list_is_a_change() -> None:
    variants = [{"variantName": "b", "modelName": "m"}, {"variantName": "a", "modelName": "m"}]
    base = plan(*serving(config_changes={"productionVariants": variants}))
    current = plan(*serving(config_changes={"productionVariants": variants[::-1]}))
    config = only(compute_changes(base, current, "base"), "fraud-detector-serving-config")
    # Variants are matched by name, so the change is the order of the list itself, which Pulumi still sees.
    assert (config["action"], config["changed_inputs"]) == ("replace", ["productionVariants"])


def test_tags_update_an_immutable_configuration_in_place() -> None:
    config = only(compute_changes(plan(*serving()), plan(*serving(config_changes={"tags": {"model": "x"}})), "base"),
                  "fraud-detector-serving-config")
    assert (config["action"], config["changed_inputs"]) == ("update", ["tags.model"])


# --- KMS keys and buckets -----------------------------------------------------------------------------


def test_kms_key_spec_change_replaces_the_key_and_everything_bound_to_its_arn() -> None:
    base = plan(key(), feature_group(), *serving())
    changes = compute_changes(base, plan(key(customerMasterKeySpec="RSA_2048"), feature_group(), *serving()), "base")
    replaced = only(changes, "platform-key")
    assert (replaced["action"], replaced["replace_reasons"], replaced["data_loss"]) == ("replace", ["customerMasterKeySpec changed"], True)
    assert replaced["data_loss_reason"] == (
        "data encrypted under the old key (S3 objects, feature store, captured data) becomes unreadable once the old "
        "key's deletion is final after 30 days; re-encrypt it under the new key first"
    )
    group = only(changes, "fraud-detector-features-card-transactions")
    assert group["replace_reasons"] == [
        "offlineStoreConfig.s3StorageConfig.kmsKeyId, onlineStoreConfig.securityConfig.kmsKeyId change because "
        "Key platform-key is replaced and gets a new id and ARN"
    ]
    assert group["data_loss"] is True
    assert only(changes, "fraud-detector-serving-config")["action"] == "replace"
    assert only(changes, "fraud-detector-serving-endpoint")["action"] == "update"
    assert changes["summary"] == {"add": 0, "delete": 0, "update": 1, "replace": 3, "data_loss": 2, "unchanged": 1}


def test_kms_key_policy_reordered_is_no_change_and_rotation_updates_in_place() -> None:
    document = json.loads(key()["inputs"]["policy"])
    document["Statement"].reverse()
    document["Statement"][0]["Action"] = ["kms:Encrypt", "kms:Decrypt"]
    document["Statement"][1]["Action"] = ["kms:*"]  # a one-element list is the same policy as the bare string
    assert compute_changes(plan(key()), plan(key(policy=json.dumps(document))), "base")["resources"] == []
    rotation = only(compute_changes(plan(key()), plan(key(enableKeyRotation=False)), "base"), "platform-key")
    assert (rotation["action"], rotation["data_loss"]) == ("update", False)


def test_kms_key_policy_statement_change_names_the_path() -> None:
    document = json.loads(key()["inputs"]["policy"])
    document["Statement"][1]["Action"] = ["kms:Decrypt"]
    changed = only(compute_changes(plan(key()), plan(key(policy=json.dumps(document))), "base"), "platform-key")
    assert (changed["action"], changed["changed_inputs"]) == ("update", ["policy.Statement"])


def test_bucket_prefix_change_replaces_the_bucket_and_its_configuration() -> None:
    bucket = res(BUCKET, "platform-artifacts", {"bucketPrefix": "acme-prod-artifacts-", "forceDestroy": False}, model=None)
    sse = res(SSE, "platform-artifacts-sse", {"bucket": "acme-prod-artifacts-mock-id", "rules": [
        {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY_ARN}}]}, deps=(bucket["urn"],), model=None)
    renamed = {**bucket, "inputs": {**bucket["inputs"], "bucketPrefix": "acme-prod-models-"}}
    sse_after = {**sse, "inputs": {**sse["inputs"], "bucket": "acme-prod-models-mock-id"}}
    changes = compute_changes(plan(bucket, sse), plan(renamed, sse_after), "base")
    replaced = only(changes, "platform-artifacts")
    assert (replaced["action"], replaced["replace_reasons"], replaced["data_loss"]) == ("replace", ["bucketPrefix changed"], True)
    assert "forceDestroy is false" in replaced["data_loss_reason"]
    assert only(changes, "platform-artifacts-sse")["replace_reasons"][0].startswith("bucket changed")


# --- Deletions, additions, renames, region and unknown types --------------------------------------------


def test_deleting_data_holding_resources_loses_data_and_others_do_not() -> None:
    alarm = res("aws:cloudwatch/metricAlarm:MetricAlarm", "fraud-detector-serving-5xx-alarm", {"name": "acme-prod-fraud-detector-5xx"})
    registry = res("aws:sagemaker/modelPackageGroup:ModelPackageGroup", "fraud-detector-registry-group",
                   {"modelPackageGroupName": "acme-prod-fraud-detector"})
    bucket = res(BUCKET, "platform-artifacts", {"bucketPrefix": "acme-prod-artifacts-"}, model=None)
    added = res("aws:sns/topic:Topic", "platform-alerts", {"name": "acme-prod-ml-alerts"}, model=None)
    changes = compute_changes(plan(key(), feature_group(), alarm, registry, bucket), plan(added), "base")
    actions = {c["name"]: (c["action"], c["data_loss"]) for c in changes["resources"]}
    assert actions == {
        "platform-key": ("delete", True),
        "fraud-detector-features-card-transactions": ("delete", True),
        "fraud-detector-serving-5xx-alarm": ("delete", False),
        "fraud-detector-registry-group": ("delete", True),
        "platform-artifacts": ("delete", True),
        "platform-alerts": ("add", False),
    }
    assert only(changes, "fraud-detector-registry-group")["data_loss_reason"].startswith(
        "the group holds the registered model versions"
    )
    assert changes["summary"] == {"add": 1, "delete": 5, "update": 0, "replace": 0, "data_loss": 4, "unchanged": 0}


def test_a_moved_resource_with_the_same_name_is_flagged_as_a_probable_rename() -> None:
    moved = {**feature_group(), "urn": urn(FG, "fraud-detector-fs-card-transactions"), "name": "fraud-detector-fs-card-transactions"}
    changes = compute_changes(plan(feature_group()), plan(moved), "base")
    deleted = only(changes, "fraud-detector-features-card-transactions")
    assert deleted["action"] == "delete" and deleted["data_loss"] is True
    assert deleted["notes"] == [
        f"same name as the added {moved['urn']}: if this is a rename or move, add `aliases` to the resource's options "
        "so Pulumi keeps the existing resource instead of deleting it"
    ]


def test_base_without_the_stack_adds_everything() -> None:
    changes = compute_changes(None, plan(key(), feature_group()), "origin/main")
    assert {c["action"] for c in changes["resources"]} == {"add"}
    assert changes["summary"] == {"add": 2, "delete": 0, "update": 0, "replace": 0, "data_loss": 0, "unchanged": 0}


def test_region_change_replaces_every_regional_aws_resource() -> None:
    component = {**res("mlops:platform:Platform", "platform", {}, model=None), "custom": False}
    role = res("aws:iam/role:Role", "fraud-detector-role", {"name": "acme-prod-fraud-detector-sagemaker", "assumeRolePolicy": "{}"})
    changes = compute_changes(plan(key(), component, role), plan(key(), component, role, region="us-east-1"), "base")
    moved = only(changes, "platform-key")
    assert moved["replace_reasons"] == [
        "the stack's region changes from eu-west-1 to us-east-1: every regional AWS resource is created anew in the new region"
    ]
    assert moved["data_loss"] is True
    # IAM is global: the role stays, as does the component.
    assert [c["name"] for c in changes["resources"]] == ["platform-key"]
    assert changes["summary"]["unchanged"] == 2


def test_types_without_rules_replace_only_on_a_name_change_and_say_so() -> None:
    queue = "aws:sqs/queue:Queue"
    base = plan(res(queue, "jobs", {"name": "acme-jobs", "delaySeconds": 0}))
    renamed = only(compute_changes(base, plan(res(queue, "jobs", {"name": "acme-work", "delaySeconds": 0})), "b"), "jobs")
    assert (renamed["action"], renamed["replace_reasons"]) == ("replace", ["name changed"])
    tuned = only(compute_changes(base, plan(res(queue, "jobs", {"name": "acme-jobs", "delaySeconds": 5})), "b"), "jobs")
    assert tuned["action"] == "update"
    assert tuned["notes"] == [
        "no replacement rules for aws:sqs/queue:Queue: only a changed name-like input (name, namePrefix, *Name) is taken to force a new resource"
    ]


# --- The document and its rules ----------------------------------------------------------------------


def test_changes_document_matches_the_policy_input_schema() -> None:
    schema = json.loads((REPO / "policies" / "input.schema.json").read_text())
    changes_schema = {"$defs": schema["$defs"], **schema["properties"]["changes"]}
    changes = compute_changes(plan(key(), feature_group(), *serving()),
                              plan(key(customerMasterKeySpec="RSA_2048"), *serving()), "origin/main")
    jsonschema.validate(changes, changes_schema)
    jsonschema.validate(None, changes_schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**changes, "resources": [{**changes["resources"][0], "action": "move"}]}, changes_schema)


def test_markdown_lists_data_loss_first() -> None:
    changes = compute_changes(plan(*serving(), feature_group()),
                              plan(*serving(endpoint_changes={"name": "x"}), feature_group(recordIdentifierFeatureName="event_time")),
                              "origin/main")
    text = render_markdown(changes, "prod")
    rows = [line for line in text.splitlines() if line.startswith("| ")][2:]
    assert rows[0].startswith("| **replace** ⚠️ data loss | `fraud-detector-features-card-transactions` |")
    assert rows[1].startswith("| **replace** | `fraud-detector-serving-endpoint` |")
    assert text.splitlines()[0] == "#### Changes to stack `prod` (prod) against `origin/main`"
    assert "**⚠️ 0 to add, 0 to update, 2 to replace, 0 to delete, 2 unchanged; 1 lose data**" in text


def test_paths_round_trip_between_patterns_and_display() -> None:
    assert parse_pattern("productionVariants[*].instanceType") == ("productionVariants", "*", "instanceType")
    assert format_path(("productionVariants", 0, "instanceType")) == "productionVariants[0].instanceType"
    assert format_path(("tags", "a.b")) == 'tags["a.b"]'


CFN_TYPES = {
    "aws-native:sagemaker:ModelQualityJobDefinition": "AWS::SageMaker::ModelQualityJobDefinition",
    FG: "AWS::SageMaker::FeatureGroup",
    MODEL: "AWS::SageMaker::Model",
    CONFIG: "AWS::SageMaker::EndpointConfig",
}
CFN_NAMES = {"EndpointConfigName": "name", "ModelName": "name", "KmsKeyId": "kmsKeyArn"}


@pytest.mark.parametrize("type_token", sorted(CFN_TYPES))
def test_rules_agree_with_cloudformation_create_only_properties(type_token: str) -> None:
    """An independent source: the CloudFormation registry schemas shipped with cfn-lint."""
    import cfnlint
    schemas = Path(cfnlint.__file__).parent / "data" / "schemas"
    index = json.loads((schemas / "providers" / "us-east-1.json").read_text())
    schema = json.loads((schemas / "resources" / f"{index[CFN_TYPES[type_token]]}.json").read_text())
    rule = RULES[type_token]
    native = type_token.startswith("aws-native:")
    for pointer in schema["createOnlyProperties"]:
        parts = pointer.removeprefix("/properties/").split("/")
        path = tuple(CFN_NAMES.get(p, p[0].lower() + p[1:]) for p in parts)
        # The AWS provider tags in place (TagResource) where CloudFormation replaces; aws-native follows CloudFormation.
        assert rule.forces_replacement(path, True) is (native or path != ("tags",)), pointer


def test_base_plan_file_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan(key())))
    assert read_plan_file(path, "prod")["stack"] == "prod"
    with pytest.raises(InputError, match=r"stack: the base plan is for stack 'prod', not 'dev'; pass the base's reports/dev/plan.json"):
        read_plan_file(path, "dev")
    path.write_text(json.dumps({**plan(key()), "formatVersion": 7}))
    with pytest.raises(InputError, match=r"formatVersion: expected 1 \(a plan.json written by `mlops plan`\), found 7"):
        read_plan_file(path, "prod")
    path.write_text(json.dumps({**plan(), "resources": [{"urn": "u"}]}))
    with pytest.raises(InputError) as caught:
        read_plan_file(path, "prod")
    assert caught.value.problems == [f"{path}: resources[0]: expected an object with urn, type and inputs"]
    path.write_text("{not json")
    with pytest.raises(InputError, match=r"plan.json:1:2: the base plan is not valid JSON"):
        read_plan_file(path, "prod")


def test_a_rotated_secret_still_replaces_the_model_after_redaction() -> None:
    from mlops.reports.redact import Redactor

    def redacted(ciphertext: str) -> dict:
        model = res(MODEL, "fraud-detector-serving-model", {"primaryContainer": {"image": "img", "environment": {"API_TOKEN": ciphertext}}})
        redactor = Redactor(secret_environment={"fraud-detector": frozenset({"API_TOKEN"})}, fingerprinted=frozenset({ciphertext}))
        return redactor.with_values([ciphertext]).redact(plan(model))

    base, current = redacted("v1:old:cipher"), redacted("v1:new:cipher")
    assert "v1:" not in json.dumps(base) + json.dumps(current)
    changes = compute_changes(base, current, "base")
    change = only(changes, "fraud-detector-serving-model")
    assert change["action"] == "replace"
    assert change["changed_inputs"] == ["primaryContainer.environment.API_TOKEN"]
