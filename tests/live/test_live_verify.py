"""`mlops verify` against a real local AWS holding what `pulumi up` would have created from the plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlops.cli import app
from mlops.errors import ExitCode
from mlops.live.aws import LiveFactsError
from mlops.live.verify import verify_plan

from .conftest import AUTONAME, Deployed, LocalAws

runner = CliRunner()
SCHEDULE_REASON = (
    "not verifiable against this endpoint: {url} could not answer DescribeMonitoringSchedule (HTTP 500); "
    "local emulators such as moto do not implement it"
)


def statuses(report) -> dict[tuple[str, str], str]:
    return {(c.type.split(":")[-1], c.name): c.status for c in report.checks}


def test_deployed_as_planned_has_no_drift(aws: LocalAws, prod_plan) -> None:
    Deployed(aws, prod_plan).deploy()
    report = verify_plan(prod_plan)
    assert not report.drifted
    by_status = {}
    for check in report.checks:
        by_status.setdefault(check.status, []).append(check)
    assert {s: len(c) for s, c in by_status.items()} == {"in-sync": 36, "not-checkable": 5}
    for check in by_status["in-sync"]:
        assert (check.differences, check.unchecked) == ([], []), check
    assert sorted(c.name for c in by_status["not-checkable"]) == [
        "churn-predictor-monitoring-data-quality-schedule",
        "fraud-detector-monitoring-data-quality-schedule",
        "fraud-detector-monitoring-model-bias-schedule",
        "fraud-detector-monitoring-model-explainability-schedule",
        "fraud-detector-monitoring-model-quality-schedule",
    ]
    assert {c.reason for c in by_status["not-checkable"]} == {SCHEDULE_REASON.format(url=aws.url)}
    kinds = {c.type.split(":")[-1] for c in by_status["in-sync"]}
    assert kinds == {"Endpoint", "EndpointConfiguration", "Model", "Key", "MetricAlarm", "Target", "Policy"}
    config = next(c for c in report.checks if c.name == "fraud-detector-serving-config")
    assert config.physical_name == "fraud-detector-serving-config" + AUTONAME
    key = next(c for c in report.checks if c.type == "aws:kms/key:Key")
    assert key.physical_name.startswith("alias/acme-prod-mlops (")


def test_drift_injected_through_the_api_is_reported_per_resource(aws: LocalAws, prod_plan) -> None:
    deployed = Deployed(aws, prod_plan).deploy()
    cloudwatch, scaling, sagemaker, kms = (aws.client(s) for s in ("cloudwatch", "application-autoscaling", "sagemaker", "kms"))
    # Someone raised an alarm threshold by hand.
    alarm = next(r for r in deployed.of_type("aws:cloudwatch/metricAlarm:MetricAlarm") if r["inputs"]["name"] == "acme-prod-fraud-detector-5xx")
    cloudwatch.put_metric_alarm(**{**deployed.alarm_arguments(alarm), "Threshold": 50.0})
    # …removed the fraud-detector challenger variant's autoscaling target (churn-predictor is batch: no endpoint)…
    scaling.deregister_scalable_target(
        ServiceNamespace="sagemaker", ResourceId="endpoint/acme-prod-fraud-detector/variant/challenger",
        ScalableDimension="sagemaker:variant:DesiredInstanceCount",
    )
    # …pointed fraud-detector's endpoint at a hand-made configuration without data capture or KMS key
    # (moto has no UpdateEndpoint: the endpoint is recreated on the new configuration)…
    config = next(r for r in deployed.of_type("aws:sagemaker/endpointConfiguration:EndpointConfiguration") if r["model"] == "fraud-detector")
    variants = [{"VariantName": "primary", "ModelName": deployed.names["fraud-detector-serving-model"], "InstanceType": "ml.c5.xlarge", "InitialInstanceCount": 1}]
    deployed.create_endpoint_config(config, "fraud-detector-serving-config-hotfix1", ProductionVariants=variants, DataCaptureConfig=None, KmsKeyId=None)
    sagemaker.delete_endpoint(EndpointName="acme-prod-fraud-detector")
    sagemaker.create_endpoint(EndpointName="acme-prod-fraud-detector", EndpointConfigName="fraud-detector-serving-config-hotfix1")
    # …deleted ticket-router's endpoint, and turned key rotation off.
    sagemaker.delete_endpoint(EndpointName="acme-prod-ticket-router")
    kms.disable_key_rotation(KeyId=deployed.substitutions["mock-platform-key"])

    report = verify_plan(prod_plan)
    assert report.drifted
    changed = {(c.name, c.status): [(d.field, d.planned, d.deployed) for d in c.differences] or c.reason for c in report.checks if c.status in ("drifted", "missing")}
    assert changed == {
        ("fraud-detector-serving-5xx-alarm", "drifted"): [("threshold", 3, 50.0)],
        ("fraud-detector-serving-challenger-scaling-target", "missing"):
            "no scalable target endpoint/acme-prod-fraud-detector/variant/challenger (sagemaker:variant:DesiredInstanceCount)",
        ("fraud-detector-serving-endpoint", "drifted"):
            [("endpointConfigName", "fraud-detector-serving-config", "fraud-detector-serving-config-hotfix1")],
        ("fraud-detector-serving-config", "missing"):
            "endpoint acme-prod-fraud-detector serves fraud-detector-serving-config-hotfix1, not a configuration named fraud-detector-serving-config",
        ("ticket-router-serving-endpoint", "missing"): "no endpoint named acme-prod-ticket-router",
        ("ticket-router-serving-config", "missing"): "its endpoint acme-prod-ticket-router does not exist",
        ("platform-key", "drifted"): [("enableKeyRotation", True, False)],
    }
    # Models are found through the configuration that serves them: not checkable while it is not the planned one.
    models = {c.name: (c.status, c.reason) for c in report.checks if c.type == "aws:sagemaker/model:Model"}
    assert models["fraud-detector-serving-model"] == ("not-checkable", (
        "found only through its endpoint configuration, which is not as planned: endpoint acme-prod-fraud-detector serves "
        "fraud-detector-serving-config-hotfix1, not a configuration named fraud-detector-serving-config"
    ))
    assert models["fraud-detector-serving-challenger-model"] == models["fraud-detector-serving-model"]
    assert models["ticket-router-serving-model"][0] == "not-checkable"


def test_endpoint_configuration_fields_compared(aws: LocalAws, prod_plan) -> None:
    deployed = Deployed(aws, prod_plan).deploy()
    sagemaker = aws.client("sagemaker")
    config = next(r for r in deployed.of_type("aws:sagemaker/endpointConfiguration:EndpointConfiguration") if r["model"] == "fraud-detector")
    model_name = deployed.names["fraud-detector-serving-model"]
    name = "fraud-detector-serving-config-a1b2c3d"  # what a Pulumi replacement would be called
    deployed.create_endpoint_config(
        config, name,
        ProductionVariants=[
            {"VariantName": "primary", "ModelName": model_name, "InstanceType": "ml.c5.xlarge", "InitialInstanceCount": 1, "InitialVariantWeight": 90},
            {"VariantName": "challenger", "ModelName": deployed.names["fraud-detector-serving-challenger-model"],
             "InstanceType": "ml.c5.2xlarge", "InitialInstanceCount": 3, "InitialVariantWeight": 10},
        ],
        DataCaptureConfig={
            "EnableCapture": False, "InitialSamplingPercentage": 5,
            "DestinationS3Uri": "s3://somewhere-else/fraud-detector", "CaptureOptions": [{"CaptureMode": "Input"}],
        },
    )
    sagemaker.delete_endpoint(EndpointName="acme-prod-fraud-detector")
    sagemaker.create_endpoint(EndpointName="acme-prod-fraud-detector", EndpointConfigName=name)
    report = verify_plan(prod_plan)
    check = next(c for c in report.checks if c.name == "fraud-detector-serving-config")
    capture_bucket = deployed.substitutions["acme-prod-data-capture-mock"]
    assert (check.status, check.physical_name) == ("drifted", name)
    assert [(d.field, d.planned, d.deployed) for d in check.differences] == [
        ("productionVariants[primary].instanceType", "ml.c5.2xlarge", "ml.c5.xlarge"),
        ("productionVariants[primary].initialInstanceCount", 3, 1),
        ("dataCaptureConfig.enableCapture", True, False),
        ("dataCaptureConfig.initialSamplingPercentage", 100, 5),
        ("dataCaptureConfig.destinationS3Uri", f"s3://{capture_bucket}/fraud-detector", "s3://somewhere-else/fraud-detector"),
        ("dataCaptureConfig.kmsKeyId", f"arn:aws:kms:eu-west-1:123456789012:key/{deployed.substitutions['mock-platform-key']}", None),
    ]
    assert next(c for c in report.checks if c.name == "fraud-detector-serving-endpoint").status == "in-sync"


def test_cli_reports_drift_and_exits_1(aws: LocalAws, prod_project: Path, prod_plan) -> None:
    Deployed(aws, prod_plan).deploy()
    clean = runner.invoke(app, ["verify", "--stack", "prod", "-C", str(prod_project)])
    assert clean.exit_code == 0, clean.output
    assert "41 resources: 36 in sync, 0 drifted, 0 missing, 5 not checkable" in clean.output
    assert "Verify: NO DRIFT" in clean.output
    assert "not checked\n  MonitoringSchedule acme-prod-churn-predictor-dq-schedule: not verifiable against this endpoint: " in clean.output
    report = json.loads((prod_project / "reports" / "prod" / "drift-report.json").read_text())
    assert (report["drift"], report["summary"], report["endpoint_url"]) == (
        False, {"in-sync": 36, "drifted": 0, "missing": 0, "not-checkable": 5}, aws.url,
    )
    strict = runner.invoke(app, ["verify", "--stack", "prod", "--strict", "-C", str(prod_project)])
    assert strict.exit_code == 1

    aws.client("cloudwatch").delete_alarms(AlarmNames=["acme-prod-fraud-detector-challenger-latency-p99"])
    drifted = runner.invoke(app, ["verify", "--stack", "prod", "-C", str(prod_project)])
    assert drifted.exit_code == 1, drifted.output
    assert "41 resources: 35 in sync, 0 drifted, 1 missing, 5 not checkable" in drifted.output
    assert "  MetricAlarm acme-prod-fraud-detector-challenger-latency-p99: missing: no CloudWatch alarm named acme-prod-fraud-detector-challenger-latency-p99\n" in drifted.output
    assert "Verify: DRIFT" in drifted.output


def test_unreachable_endpoint_fails_closed(aws: LocalAws, monkeypatch: pytest.MonkeyPatch, prod_plan) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", closed)
    with pytest.raises(LiveFactsError) as e:
        verify_plan(prod_plan)
    assert e.value.exit_code == ExitCode.ENGINE_UNDECIDED
    assert f"cannot reach the AWS sts endpoint {closed}" in e.value.message
