"""Bias and feature-attribution monitoring, batch data-quality monitoring and per-variant client-error
alarms, as the Monitoring component declares them under the mock runtime."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from mlops import sagemaker_adapter
from mlops.plan import build_plan
from mlops.resources import conformance, lookup

from .conftest import REPO, copy_project, example_plan

KEY = "arn:aws:kms:eu-west-1:123456789012:key/mock-platform-key"
BIAS = "aws-native:sagemaker:ModelBiasJobDefinition"
EXPLAINABILITY = "aws-native:sagemaker:ModelExplainabilityJobDefinition"
SCHEDULE = "aws:sagemaker/monitoringSchedule:MonitoringSchedule"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"
DATA_QUALITY = "aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition"
# The fraud detector's features less its record identifiers and event times, in spec order.
FRAUD_FEATURES = ["card_hash", "amount", "merchant_category", "card_age_days", "home_country", "tenure_months"]
CLARIFY_IMAGE = sagemaker_adapter.clarify_image("eu-west-1")


plan = example_plan


def resources(stack: str, type_token: str, model: str = "fraud-detector") -> list[dict]:
    return [r for r in plan(stack).resources if r["type"] == type_token and r["model"] == model]


def inputs(stack: str, type_token: str, name: str) -> dict:
    (found,) = [r for r in plan(stack).resources if r["type"] == type_token and r["name"] == name]
    return found["inputs"]


def endpoint(stack: str) -> str:
    return f"acme-{stack}-fraud-detector"


def network(stack: str) -> dict:
    config = YAML(typ="safe").load((REPO / f"Pulumi.{stack}.yaml").read_text())["config"].get("mlops:network")
    base = {"enableInterContainerTrafficEncryption": True, "enableNetworkIsolation": True}
    if config is None:
        return base
    return {**base, "vpcConfig": {"subnets": config["subnetIds"], "securityGroupIds": config["securityGroupIds"]}}


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_bias_job_watches_the_endpoint_with_the_specs_label_and_facets(stack: str) -> None:
    job = inputs(stack, BIAS, "fraud-detector-monitoring-model-bias")
    reports = f"s3://acme-{stack}-reports-mock/fraud-detector/monitoring"
    assert job["jobDefinitionName"] == f"acme-{stack}-fraud-detector-bias"
    assert job["modelBiasAppSpecification"] == {
        "imageUri": CLARIFY_IMAGE,
        "configUri": f"s3://acme-{stack}-reports-mock/fraud-detector/monitoring/model-bias/analysis_config.json",
        "environment": {"publish_cloudwatch_metrics": "Enabled"},
    }
    assert job["modelBiasJobInput"] == {
        "endpointInput": {
            "endpointName": endpoint(stack),
            "localPath": "/opt/ml/processing/input",
            "probabilityAttribute": "0",
            "probabilityThresholdAttribute": 0.5,
        },
        "groundTruthS3Input": {"s3Uri": "s3://acme-payments-lake/chargeback-labels/"},
    }
    assert job["modelBiasJobOutputConfig"] == {
        "kmsKeyId": KEY,
        "monitoringOutputs": [{"s3Output": {"s3Uri": f"{reports}/model-bias", "localPath": "/opt/ml/processing/output"}}],
    }
    assert job["jobResources"]["clusterConfig"]["volumeKmsKeyId"] == KEY
    assert job["networkConfig"] == network(stack)
    assert job["stoppingCondition"] == {"maxRuntimeInSeconds": 3600}
    assert {t["key"]: t["value"] for t in job["tags"]}["risk-tier"] == "high"
    assert "modelBiasBaselineConfig" not in job


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_explainability_job_explains_the_endpoint_with_the_shap_baseline(stack: str) -> None:
    job = inputs(stack, EXPLAINABILITY, "fraud-detector-monitoring-model-explainability")
    assert job["modelExplainabilityAppSpecification"] == {
        "imageUri": CLARIFY_IMAGE,
        "configUri": f"s3://acme-{stack}-reports-mock/fraud-detector/monitoring/model-explainability/analysis_config.json",
        "environment": {"publish_cloudwatch_metrics": "Enabled"},
    }
    assert job["modelExplainabilityJobInput"] == {
        "endpointInput": {"endpointName": endpoint(stack), "localPath": "/opt/ml/processing/input", "probabilityAttribute": "0"}
    }
    assert job["modelExplainabilityJobOutputConfig"]["kmsKeyId"] == KEY
    assert job["jobResources"]["clusterConfig"]["volumeKmsKeyId"] == KEY
    assert job["networkConfig"] == network(stack)


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_analysis_configurations_are_what_the_sdk_builds_encrypted_in_the_reports_bucket(stack: str) -> None:
    bias = inputs(stack, OBJECT, "fraud-detector-monitoring-model-bias-analysis-config")
    explainability = inputs(stack, OBJECT, "fraud-detector-monitoring-model-explainability-analysis-config")
    for config in (bias, explainability):
        assert config["bucket"] == f"acme-{stack}-reports-mock"
        assert (config["serverSideEncryption"], config["kmsKeyId"], config["contentType"]) == ("aws:kms", KEY, "application/json")
        assert config["tags"]["model"] == "fraud-detector"
    assert bias["key"] == "fraud-detector/monitoring/model-bias/analysis_config.json"
    assert bias["content"] == sagemaker_adapter.bias_analysis_config(
        headers=[*FRAUD_FEATURES, "is_fraud"], label="is_fraud", positive_label=[0], facets=[("home_country", [])]
    )
    assert json.loads(bias["content"]) == {
        "facet": [{"name_or_index": "home_country"}],
        "headers": [*FRAUD_FEATURES, "is_fraud"],
        "label": "is_fraud",
        "label_values_or_threshold": [0],
    }
    assert json.loads(explainability["content"]) == {
        "headers": FRAUD_FEATURES,
        "methods": {"shap": {
            "agg_method": "mean_abs", "baseline": "s3://acme-payments-lake/shap-baseline/baseline.csv", "num_samples": 100,
            "save_local_shap_values": True, "use_logit": False,
        }},
        "predictor": {"accept_type": "text/csv", "content_type": "text/csv", "endpoint_name": endpoint(stack)},
    }


def test_facet_values_reach_the_analysis_configuration() -> None:
    facets = [("country", ["DE", "FR"]), ("age", [])]
    config = json.loads(sagemaker_adapter.bias_analysis_config(["age", "country", "y"], "y", [1], facets))
    assert config["facet"] == [{"name_or_index": "country", "value_or_threshold": ["DE", "FR"]}, {"name_or_index": "age"}]


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_schedules_run_the_clarify_jobs(stack: str) -> None:
    schedules = {r["name"]: r["inputs"]["monitoringScheduleConfig"] for r in resources(stack, SCHEDULE)}
    assert schedules["fraud-detector-monitoring-model-bias-schedule"] == {
        "monitoringJobDefinitionName": f"acme-{stack}-fraud-detector-bias",
        "monitoringType": "ModelBias",
        "scheduleConfig": {"scheduleExpression": "cron(0 0 ? * * *)"},
    }
    assert schedules["fraud-detector-monitoring-model-explainability-schedule"]["monitoringType"] == "ModelExplainability"
    assert schedules["fraud-detector-monitoring-model-explainability-schedule"]["monitoringJobDefinitionName"] == (
        f"acme-{stack}-fraud-detector-explainability"
    )


def test_bias_alarm_pages_on_the_worst_disparate_impact_of_the_facet() -> None:
    alarm = inputs("prod", ALARM, "fraud-detector-monitoring-bias-home_country")
    topic = "arn:aws:sns:eu-west-1:123456789012:acme-prod-ml-alerts"
    assert alarm["metricQueries"] == [{
        "id": "disparate_impact",
        "expression": (
            "SELECT MIN(bias_metric_DI) FROM \"aws/sagemaker/Endpoints/bias-metrics\" WHERE Endpoint = 'acme-prod-fraud-detector' "
            "AND MonitoringSchedule = 'acme-prod-fraud-detector-bias-schedule' AND Facet = 'home_country'"
        ),
        "period": 3600,
        "returnData": True,
    }]
    assert (alarm["comparisonOperator"], alarm["threshold"]) == ("LessThanThreshold", 0.8)
    assert alarm["alarmActions"] == alarm["okActions"] == [topic]


def test_attribution_alarms_band_each_features_shap_value() -> None:
    alarms = {r["name"]: r["inputs"] for r in resources("prod", ALARM) if "-attribution-" in r["name"]}
    assert sorted(alarms) == sorted(f"fraud-detector-monitoring-attribution-{f}" for f in FRAUD_FEATURES)
    alarm = alarms["fraud-detector-monitoring-attribution-amount"]
    attribution, band = alarm["metricQueries"]
    assert attribution["metric"] == {
        "namespace": "aws/sagemaker/Endpoints/explainability-metrics",
        "metricName": "feature_amount",
        "dimensions": {
            "Endpoint": "acme-prod-fraud-detector",
            "MonitoringSchedule": "acme-prod-fraud-detector-explainability-schedule",
            "ExplainabilityMethod": "KernelShap",
            "Label": "label0",
            "ValueType": "GlobalShapValues",
        },
        "period": 3600,
        "stat": "Maximum",
    }
    assert band["expression"] == "ANOMALY_DETECTION_BAND(attribution, 2)"
    assert (alarm["thresholdMetricId"], alarm["comparisonOperator"]) == ("expected", "LessThanLowerOrGreaterThanUpperThreshold")


@pytest.mark.parametrize(
    ("stack", "variants"), [("dev", ["primary"]), ("staging", ["primary"]), ("prod", ["primary", "challenger"])]
)
def test_one_client_error_alarm_per_production_variant(stack: str, variants: list[str]) -> None:
    alarms = [r["inputs"] for r in resources(stack, ALARM) if r["inputs"].get("metricName") == "Invocation4XXErrors"]
    by_variant = {a["dimensions"]["VariantName"]: a for a in alarms}
    assert len(alarms) == len(variants) and sorted(by_variant) == sorted(variants)
    assert all(a["dimensions"]["EndpointName"] == endpoint(stack) for a in alarms)
    # The single primary variant's alarm keeps its name from before variants existed.
    names = {v: by_variant[v]["name"] for v in variants}
    assert names == {v: f"{endpoint(stack)}{'' if v == 'primary' else '-' + v}-4xx" for v in variants}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_batch_model_monitors_what_its_transform_captured(stack: str) -> None:
    (job,) = resources(stack, DATA_QUALITY, "churn-predictor")
    assert job["inputs"]["dataQualityJobInput"] == {
        "batchTransformInput": {
            "dataCapturedDestinationS3Uri": f"s3://acme-{stack}-data-capture-mock/churn-predictor",
            "datasetFormat": {"csv": {"header": False}},
            "localPath": "/opt/ml/processing/input",
        }
    }
    alarms = [r["inputs"] for r in resources(stack, ALARM, "churn-predictor")]
    assert not [a for a in alarms if a.get("metricName") == "Invocation4XXErrors"]
    drift = [a for a in alarms if a.get("metricName", "").startswith("feature_baseline_drift_")]
    assert drift and all(a["namespace"] == "aws/sagemaker/ModelMonitoring/data-metrics" for a in drift)
    assert all(a["dimensions"] == {"MonitoringSchedule": f"acme-{stack}-churn-predictor-dq-schedule"} for a in drift)
    assert not resources(stack, BIAS, "churn-predictor") and not resources(stack, EXPLAINABILITY, "churn-predictor")


def test_the_execution_role_reads_the_clarify_monitors_inputs() -> None:
    (policy,) = [r for r in resources("prod", "aws:iam/rolePolicy:RolePolicy") if r["name"].endswith("execution-policy")]
    statements = json.loads(policy["inputs"]["policy"])["Statement"]
    read = next(s for s in statements if s.get("Sid") == "ReadSources")["Resource"]
    assert "arn:aws:s3:::acme-payments-lake/chargeback-labels/*" in read
    assert "arn:aws:s3:::acme-payments-lake/shap-baseline/baseline.csv*" in read


def test_a_spec_without_bias_or_explainability_gets_no_clarify_monitor(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    spec_file = project / "models" / "fraud-detector.yaml"
    yaml = YAML()
    spec = yaml.load(spec_file.read_text())
    del spec["monitoring"]["bias"], spec["monitoring"]["explainability"], spec["training"]["checks"]["bias"]
    # No sensitive feature left to name as a facet.
    for group in spec["feature_groups"]:
        for feature in group["features"]:
            feature.pop("sensitive", None)
    with spec_file.open("w") as out:
        yaml.dump(spec, out)
    found = build_plan(project, "prod").resources
    fraud = [r for r in found if r["model"] == "fraud-detector"]
    assert not [r for r in fraud if r["type"] in (BIAS, EXPLAINABILITY)]
    assert not [r for r in fraud if r["type"] == OBJECT and "monitoring" in r["name"]]
    assert not [r for r in fraud if r["type"] == ALARM and ("-bias-" in r["name"] or "-attribution-" in r["name"])]
    assert {r["inputs"]["monitoringScheduleConfig"]["monitoringType"] for r in fraud if r["type"] == SCHEDULE} == {
        "DataQuality", "ModelQuality",
    }


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_new_resources_conform_to_the_aws_api_with_every_input_checked(stack: str) -> None:
    mine = [r for r in plan(stack).resources if r["type"] in (BIAS, EXPLAINABILITY, OBJECT, ALARM)]
    section = conformance.check(mine)
    assert section["violations"] == [] and section["unverified"] == []
    assert section["coverage"]["untranslated"] == 0


def test_analysis_configuration_becomes_a_put_object_request() -> None:
    config = next(r for r in resources("prod", OBJECT) if r["name"] == "fraud-detector-monitoring-model-bias-analysis-config")
    (planned,) = lookup(OBJECT).requests(config["inputs"])
    params = planned.request.params
    assert (planned.request.operation, params["Body"], params["SSEKMSKeyId"]) == ("PutObject", config["inputs"]["content"], KEY)
    assert params["Tagging"].startswith("cost-center=CC-4410&data-classification=pii&")


def test_attribution_alarm_becomes_put_metric_alarm_metrics() -> None:
    alarm = next(r for r in resources("prod", ALARM) if r["name"] == "fraud-detector-monitoring-attribution-amount")
    (planned,) = lookup(ALARM).requests(alarm["inputs"])
    attribution, band = planned.request.params["Metrics"]
    assert attribution["MetricStat"]["Metric"]["MetricName"] == "feature_amount"
    assert {"Name": "ValueType", "Value": "GlobalShapValues"} in attribution["MetricStat"]["Metric"]["Dimensions"]
    assert (attribution["MetricStat"]["Period"], attribution["MetricStat"]["Stat"]) == (3600, "Maximum")
    assert band == {
        "Id": "expected", "Expression": "ANOMALY_DETECTION_BAND(attribution, 2)", "Label": "expected attribution of amount",
        "ReturnData": True,
    }
