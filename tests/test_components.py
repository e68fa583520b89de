"""The Pulumi components under the mock runtime: what each environment really declares."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlops.components.tags import REQUIRED_TAGS
from mlops.plan import build_plan

from .conftest import REPO, example_plan

UNTAGGABLE = {
    "aws:kms/alias:Alias",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLogging:BucketLogging",
    "aws:sns/topicSubscription:TopicSubscription",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:cloudwatch/eventTarget:EventTarget",
    "aws:appautoscaling/policy:Policy",
}


plan = example_plan


def of_type(stack: str, type_token: str, model: str | None = None) -> list[dict]:
    return [r for r in plan(stack).resources if r["type"] == type_token and (model is None or r["model"] == model)]


def one(stack: str, type_token: str, model: str) -> dict:
    found = of_type(stack, type_token, model)
    assert len(found) == 1, f"expected one {type_token} for {model}, found {len(found)}"
    return found[0]["inputs"]


def key_arn(stack: str) -> str:
    """The platform key's ARN as the mocks give it (one key per stack)."""
    assert one(stack, "aws:kms/key:Key", None)
    return "arn:aws:kms:eu-west-1:123456789012:key/mock-platform-key"


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_taggable_resource_carries_every_tag(stack: str) -> None:
    for r in plan(stack).resources:
        if not r["custom"] or r["type"] in UNTAGGABLE:
            continue
        missing = [t for t in REQUIRED_TAGS if not r["tags"].get(t)]
        assert not missing, f"{r['urn']} lacks tags {missing}"
        assert r["tags"]["environment"] == stack


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_encryption_is_wired_to_the_stack_key(stack: str) -> None:
    key = key_arn(stack)
    assert one(stack, "aws:kms/key:Key", None)["enableKeyRotation"] is True
    for sse in of_type(stack, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"):
        if sse["name"] == "platform-access-logs-sse":
            continue  # SSE-S3: S3 cannot deliver access logs to an SSE-KMS bucket
        rule = sse["inputs"]["rules"][0]["applyServerSideEncryptionByDefault"]
        assert rule == {"kmsMasterKeyId": key, "sseAlgorithm": "aws:kms"}
    config = one(stack, "aws:sagemaker/endpointConfiguration:EndpointConfiguration", "fraud-detector")
    assert config["kmsKeyArn"] == key
    assert config["dataCaptureConfig"]["kmsKeyId"] == key
    for group in of_type(stack, "aws:sagemaker/featureGroup:FeatureGroup", "fraud-detector"):
        assert group["inputs"]["onlineStoreConfig"]["securityConfig"]["kmsKeyId"] == key
        assert group["inputs"]["offlineStoreConfig"]["s3StorageConfig"]["kmsKeyId"] == key


def test_buckets_block_public_access_and_require_tls() -> None:
    buckets = of_type("dev", "aws:s3/bucket:Bucket")
    assert len(buckets) == 5
    for block in of_type("dev", "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"):
        assert all(block["inputs"][k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    for policy in of_type("dev", "aws:s3/bucketPolicy:BucketPolicy"):
        statement = json.loads(policy["inputs"]["policy"])["Statement"][0]
        assert statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_data_capture_on_for_realtime_off_for_serverless() -> None:
    fraud = one("prod", "aws:sagemaker/endpointConfiguration:EndpointConfiguration", "fraud-detector")
    assert fraud["dataCaptureConfig"]["enableCapture"] is True
    assert fraud["dataCaptureConfig"]["initialSamplingPercentage"] == 100
    # churn-predictor scores in batch: no endpoint configuration (tests/test_batch.py covers its capture).
    assert of_type("prod", "aws:sagemaker/endpointConfiguration:EndpointConfiguration", "churn-predictor") == []
    router = one("prod", "aws:sagemaker/endpointConfiguration:EndpointConfiguration", "ticket-router")
    assert "dataCaptureConfig" not in router
    assert router["productionVariants"][0]["serverlessConfig"] == {"maxConcurrency": 20, "memorySizeInMb": 3072}


def test_prod_endpoint_is_blue_green_with_rollback_on_existing_alarms() -> None:
    endpoint = one("prod", "aws:sagemaker/endpoint:Endpoint", "fraud-detector")
    policy = endpoint["deploymentConfig"]["blueGreenUpdatePolicy"]
    assert policy["trafficRoutingConfiguration"] == {
        "canarySize": {"type": "CAPACITY_PERCENT", "value": 10},
        "type": "CANARY",
        "waitIntervalInSeconds": 900,
    }
    rollback = {a["alarmName"] for a in endpoint["deploymentConfig"]["autoRollbackConfiguration"]["alarms"]}
    alarms = {a["inputs"]["name"]: a["inputs"] for a in of_type("prod", "aws:cloudwatch/metricAlarm:MetricAlarm", "fraud-detector")}
    # prod runs an A/B test: each production variant has its own rollback alarms.
    # The champion is named primary: its alarms keep their names.
    assert rollback == {f"acme-prod-fraud-detector{v}-{a}" for v in ("", "-challenger") for a in ("latency-p99", "5xx")}
    assert rollback <= set(alarms)
    assert alarms["acme-prod-fraud-detector-latency-p99"]["threshold"] == 150_000
    assert all(a["alarmActions"] for a in alarms.values())


def test_autoscaling_bounds_follow_the_environment() -> None:
    assert of_type("dev", "aws:appautoscaling/target:Target", "fraud-detector") == []
    targets = {t["inputs"]["resourceId"]: t["inputs"] for t in of_type("prod", "aws:appautoscaling/target:Target", "fraud-detector")}
    assert set(targets) == {f"endpoint/acme-prod-fraud-detector/variant/{v}" for v in ("primary", "challenger")}
    assert {(t["minCapacity"], t["maxCapacity"]) for t in targets.values()} == {(3, 12)}
    variant = one("prod", "aws:sagemaker/endpointConfiguration:EndpointConfiguration", "fraud-detector")["productionVariants"][0]
    assert (variant["instanceType"], variant["initialInstanceCount"]) == ("ml.c5.2xlarge", 3)


def test_prod_serves_the_pinned_package_inside_the_vpc_dev_serves_the_artifact() -> None:
    prod = next(m["inputs"] for m in of_type("prod", "aws:sagemaker/model:Model", "fraud-detector") if m["name"] == "fraud-detector-serving-model")
    assert prod["primaryContainer"] == {
        "modelPackageName": "arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-fraud-detector/14"
    }
    assert prod["vpcConfig"]["subnets"] == ["subnet-0c9d8e7f6a5b40312", "subnet-0d8c7b6a5f4e30291", "subnet-0e7d6c5b4a3f20180"]
    assert prod["enableNetworkIsolation"] is True
    dev = one("dev", "aws:sagemaker/model:Model", "fraud-detector")
    assert "vpcConfig" not in dev
    assert dev["primaryContainer"]["modelDataUrl"] == "s3://acme-dev-artifacts-mock/fraud-detector/serving/model.tar.gz"


def test_iam_policies_have_no_wildcard_actions_or_unscoped_data_access() -> None:
    for stack in ("dev", "prod"):
        for policy in of_type(stack, "aws:iam/rolePolicy:RolePolicy"):
            for statement in json.loads(policy["inputs"]["policy"])["Statement"]:
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                assert not [a for a in actions if a == "*" or a.endswith(":*")], policy["urn"]
                if statement["Resource"] == "*":
                    assert set(actions) <= {"ecr:GetAuthorizationToken", "cloudwatch:PutMetricData"}, policy["urn"]
        for role in of_type(stack, "aws:iam/role:Role"):
            assert "managedPolicyArns" not in role["inputs"]


def test_model_role_reaches_only_its_own_prefixes() -> None:
    policy = next(
        p for p in of_type("prod", "aws:iam/rolePolicy:RolePolicy", "churn-predictor") if p["name"].endswith("execution-policy")
    )
    objects = json.loads(policy["inputs"]["policy"])["Statement"][0]["Resource"]
    assert objects == [
        "arn:aws:s3:::acme-prod-artifacts-mock/churn-predictor/*",
        "arn:aws:s3:::acme-prod-data-capture-mock/churn-predictor/*",
        "arn:aws:s3:::acme-prod-feature-store-mock/churn-predictor/*",
    ]


def test_pipeline_registers_only_past_the_evaluation_threshold() -> None:
    definition = json.loads(one("prod", "aws:sagemaker/pipeline:Pipeline", "fraud-detector")["pipelineDefinition"])
    steps = {s["Name"]: s for s in definition["Steps"]}
    assert list(steps) == ["Prepare", "DataQuality", "DataBias", "Train", "Evaluate", "CheckThreshold"]
    check = steps["CheckThreshold"]["Arguments"]
    assert check["Conditions"][0]["Type"] == "GreaterThanOrEqualTo"
    assert check["Conditions"][0]["RightValue"] == 0.92
    register = [s for s in check["IfSteps"] if s["Type"] == "RegisterModel"]
    assert register and register[0]["Arguments"]["ModelApprovalStatus"] == "PendingManualApproval"
    train = steps["Train"]["Arguments"]
    assert train["EnableInterContainerTrafficEncryption"] is True
    assert train["OutputDataConfig"]["KmsKeyId"] == key_arn("prod")
    assert train["VpcConfig"]["Subnets"][0] == "subnet-0c9d8e7f6a5b40312"


def test_retraining_triggers_start_the_pipeline() -> None:
    rules = {r["name"]: r["inputs"] for r in of_type("dev", "aws:cloudwatch/eventRule:EventRule", "fraud-detector")}
    assert rules["fraud-detector-training-schedule"]["scheduleExpression"] == "cron(0 3 ? * MON *)"
    pattern = json.loads(rules["fraud-detector-training-new-data"]["eventPattern"])
    assert pattern["detail"] == {"bucket": {"name": ["acme-payments-lake"]}, "object": {"key": [{"prefix": "labelled-chargebacks/"}]}}
    targets = of_type("dev", "aws:cloudwatch/eventTarget:EventTarget", "fraud-detector")
    assert {t["inputs"]["arn"] for t in targets} == {"arn:aws:sagemaker:eu-west-1:123456789012:pipeline/acme-dev-fraud-detector"}


def test_monitoring_schedules_and_drift_alarms() -> None:
    schedules = {s["inputs"]["monitoringScheduleConfig"]["monitoringType"] for s in of_type("prod", "aws:sagemaker/monitoringSchedule:MonitoringSchedule", "fraud-detector")}
    assert schedules == {"DataQuality", "ModelQuality", "ModelBias", "ModelExplainability"}
    quality = one("prod", "aws-native:sagemaker:ModelQualityJobDefinition", "fraud-detector")
    assert quality["modelQualityJobInput"]["groundTruthS3Input"]["s3Uri"] == "s3://acme-payments-lake/chargeback-labels/"
    drift = sorted(a["inputs"]["metricName"] for a in of_type("prod", "aws:cloudwatch/metricAlarm:MetricAlarm", "fraud-detector") if "drift" in a["name"])
    assert drift == ["feature_baseline_drift_amount", "feature_baseline_drift_card_age_days", "feature_baseline_drift_merchant_category", "feature_baseline_drift_tenure_months"]


def test_graph_records_parents_and_dependencies() -> None:
    endpoint = of_type("prod", "aws:sagemaker/endpoint:Endpoint", "fraud-detector")[0]
    assert endpoint["urn"] == (
        "urn:pulumi:prod::mlops-platform::mlops:model:ModelStack$mlops:sagemaker:Serving$aws:sagemaker/endpoint:Endpoint::"
        "fraud-detector-serving-endpoint"
    )
    assert endpoint["parent"].endswith("mlops:model:ModelStack$mlops:sagemaker:Serving::fraud-detector-serving")
    assert any(d.endswith("::fraud-detector-serving-latency-alarm") for d in endpoint["dependencies"])
    assert any(d.endswith("::fraud-detector-serving-challenger-latency-alarm") for d in endpoint["dependencies"])
    assert any(d.endswith("::fraud-detector-serving-config") for d in endpoint["dependencies"])


def test_repeated_runs_in_one_process_give_the_same_graph() -> None:
    assert build_plan(REPO, "dev").to_dict() == plan("dev").to_dict()


def test_aws_feature_exclusions_are_respected() -> None:
    router = one("prod", "aws:sagemaker/model:Model", "ticket-router")
    assert "vpcConfig" not in router and router["enableNetworkIsolation"] is False
    definition = json.loads(one("prod", "aws:sagemaker/pipeline:Pipeline", "ticket-router")["pipelineDefinition"])
    train = next(s for s in definition["Steps"] if s["Type"] == "Training")["Arguments"]
    assert train["ResourceConfig"]["InstanceType"] == "ml.g5.xlarge"
    assert "VolumeKmsKeyId" not in train["ResourceConfig"]
    assert train["OutputDataConfig"]["KmsKeyId"] == key_arn("prod")


def by_name(stack: str, type_token: str) -> dict[str, dict]:
    return {r["name"]: r for r in of_type(stack, type_token)}


def test_data_buckets_log_server_access_to_a_dedicated_sse_s3_log_bucket() -> None:
    buckets = by_name("prod", "aws:s3/bucket:Bucket")
    log_bucket = buckets.pop("platform-access-logs")
    assert log_bucket["inputs"]["bucketPrefix"] == "acme-prod-access-logs-"
    assert log_bucket["tags"]["data-classification"] == "pii"
    logging = {r["inputs"]["targetPrefix"]: r for r in of_type("prod", "aws:s3/bucketLogging:BucketLogging")}
    assert sorted(logging) == ["artifacts/", "data-capture/", "feature-store/", "reports/"]
    for bucket in buckets.values():
        config = logging[bucket["name"].removeprefix("platform-") + "/"]
        assert config["inputs"]["targetBucket"] == "acme-prod-access-logs-mock-id"
        assert {bucket["urn"], log_bucket["urn"]} <= set(config["dependencies"])
    sse = by_name("prod", "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    assert sse["platform-access-logs-sse"]["inputs"]["rules"] == [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]
    assert by_name("prod", "aws:s3/bucketVersioning:BucketVersioning")["platform-access-logs-versioning"]["inputs"]["versioningConfiguration"] == {"status": "Enabled"}
    block = by_name("prod", "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")["platform-access-logs-public-access"]["inputs"]
    assert all(block[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    policy = by_name("prod", "aws:s3/bucketPolicy:BucketPolicy")["platform-access-logs-tls-only"]
    # The policy names the source buckets by prefix, so it depends on the log bucket alone.
    assert [d for d in policy["dependencies"] if "aws:s3/bucket:Bucket::" in d] == [log_bucket["urn"]]
    tls_only, delivery = json.loads(policy["inputs"]["policy"])["Statement"]
    assert tls_only["Effect"] == "Deny" and tls_only["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert delivery == {
        "Sid": "ServerAccessLogDelivery",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::acme-prod-access-logs-mock/*",
        "Condition": {
            "StringEquals": {"aws:SourceAccount": "123456789012"},
            "ArnLike": {
                "aws:SourceArn": [
                    "arn:aws:s3:::acme-prod-artifacts-*",
                    "arn:aws:s3:::acme-prod-data-capture-*",
                    "arn:aws:s3:::acme-prod-feature-store-*",
                    "arn:aws:s3:::acme-prod-reports-*",
                ]
            },
        },
    }


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_versioned_bucket_expires_noncurrent_versions_no_sooner_than_the_policy_requires(stack: str) -> None:
    parameters = json.loads((REPO / "policies" / "data" / "parameters.json").read_text())["parameters"]
    lifecycles = by_name(stack, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    versioned = [r["name"].removesuffix("-versioning") for r in of_type(stack, "aws:s3/bucketVersioning:BucketVersioning")]
    assert len(versioned) == 5
    for bucket in versioned:
        role = bucket.removeprefix("platform-")
        (rule,) = lifecycles[f"{bucket}-lifecycle"]["inputs"]["rules"]
        assert rule["status"] == "Enabled" and rule["filter"] == {}
        days = rule["noncurrentVersionExpiration"]["noncurrentDays"]
        # Every stack keeps the longest retention any environment requires.
        assert days >= max(p["noncurrent_version_retention_days"][role] for p in parameters.values()), bucket
        assert rule["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}
        # Evidence buckets keep every object, current or not, the longest evidence retention any environment asks.
        if role in ("data-capture", "reports"):
            longest = max(p["evidence_retention"]["high_risk_days"] for p in parameters.values())
            assert rule["expiration"]["days"] >= longest and days >= longest, bucket
            assert role in max(parameters.values(), key=lambda p: p["evidence_retention"]["high_risk_days"])["evidence_retention"]["roles"]
        else:
            assert "expiration" not in rule, bucket


def test_every_alarm_notifies_the_alert_topic() -> None:
    alarms = of_type("prod", "aws:cloudwatch/metricAlarm:MetricAlarm")
    assert alarms
    for alarm in alarms:
        assert alarm["inputs"].get("actionsEnabled", True) is True, alarm["urn"]
        assert alarm["inputs"]["alarmActions"] == ["arn:aws:sns:eu-west-1:123456789012:acme-prod-ml-alerts"], alarm["urn"]


def test_no_resource_policy_grants_the_star_principal() -> None:
    documents = [
        *(r["inputs"]["policy"] for r in of_type("prod", "aws:kms/key:Key")),
        *(r["inputs"]["policy"] for r in of_type("prod", "aws:s3/bucketPolicy:BucketPolicy")),
        *(r["inputs"]["assumeRolePolicy"] for r in of_type("prod", "aws:iam/role:Role")),
    ]
    for document in documents:
        for statement in json.loads(document)["Statement"]:
            if statement["Effect"] == "Allow":
                assert statement["Principal"] != "*" and statement["Principal"].get("AWS") != "*", statement


@pytest.mark.parametrize(
    ("fields", "endpoint_input"),
    [
        ("problem_type: BinaryClassification\n    probability_attribute: \"0\"\n    probability_threshold: 0.5",
         {"probabilityAttribute": "0", "probabilityThresholdAttribute": 0.5}),
        ("problem_type: MulticlassClassification\n    inference_attribute: \"$.label\"", {"inferenceAttribute": "$.label"}),
        ("problem_type: Regression\n    inference_attribute: \"0\"", {"inferenceAttribute": "0"}),
    ],
)
def test_model_quality_reads_the_models_answer_per_problem_type(project: Path, fields: str, endpoint_input: dict) -> None:
    spec = project / "models" / "fraud-detector.yaml"
    text = spec.read_text()
    old = "problem_type: BinaryClassification\n    # The endpoint returns the fraud probability as its only CSV column.\n" \
          "    probability_attribute: \"0\"\n    probability_threshold: 0.5"
    assert old in text
    spec.write_text(text.replace(old, fields))
    (definition,) = [r for r in build_plan(project, "dev").resources if r["type"].endswith("ModelQualityJobDefinition")]
    inputs = definition["inputs"]
    assert inputs["modelQualityJobInput"]["endpointInput"] == {
        "endpointName": "acme-dev-fraud-detector", "localPath": "/opt/ml/processing/input", **endpoint_input,
    }
    assert inputs["modelQualityAppSpecification"]["problemType"] == fields.split("\n")[0].removeprefix("problem_type: ")


CARD = "aws:sagemaker/modelCard:ModelCard"


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_model_has_a_model_card_encrypted_with_the_platform_key(stack: str) -> None:
    statuses = {"dev": "Draft", "staging": "PendingReview", "prod": "Approved"}
    for model in ("churn-predictor", "fraud-detector", "ticket-router"):
        card = one(stack, CARD, model)
        assert card["modelCardName"] == f"acme-{stack}-{model}"
        assert card["securityConfig"]["kmsKeyId"] == key_arn(stack)
        content = json.loads(card["content"])
        assert content["intended_uses"]["risk_rating"] == {"churn-predictor": "Medium", "fraud-detector": "High", "ticket-router": "Low"}[model]
        # Hyperparameter names only: values are tuned and not published.
        names = content["additional_information"]["custom_details"]["hyperparameter_names"]
        assert "=" not in names and all(v not in card["content"] for v in ('"400"', '"8"'))
        expected = statuses[stack] if model == "fraud-detector" else "Draft"
        assert card["modelCardStatus"] == expected, (stack, model)
    fraud = json.loads(one(stack, CARD, "fraud-detector")["content"])
    assert fraud["intended_uses"]["intended_uses"].startswith("Score card-not-present transactions")
    assert fraud["additional_information"]["caveats_and_recommendations"].startswith("Out of scope: Declining a transaction")
