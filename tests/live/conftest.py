"""A real local AWS for the live tests: `moto_server` as its own process on a free loopback port.

One server per test session; every test starts from an empty account (`POST /moto-api/reset`)
and reaches it the way users reach a local emulator: AWS_ENDPOINT_URL plus the standard
credential variables, with the host's own AWS configuration shut out.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from mlops.live.seed import create_requests
from tests.conftest import copy_project

REGION = "eu-west-1"
REPORTS_BUCKET = "acme-prod-model-evaluations"
# The versions each example model's prod pin expects, and what the registry holds by default:
# every model's pinned version Approved and meeting its spec's threshold.
PINS = {"fraud-detector": 14, "churn-predictor": 6, "ticket-router": 3}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _moto_server_executable() -> str:
    beside = Path(sys.executable).parent / "moto_server"
    found = str(beside) if beside.exists() else shutil.which("moto_server")
    if not found:
        pytest.fail("moto_server is not installed (pip install 'moto[server]')")
    return found


# moto (5.2) cannot evaluate a policy condition's Bool operator and so ignores the condition: the
# platform buckets' TLS-only statement (Deny s3:* when aws:SecureTransport is false) then denies every
# GetObject/HeadObject, and `mlops scan` could not read the objects the program writes (BucketObjectv2).
# The server is started evaluating aws:SecureTransport as AWS would for a request over TLS (as every
# AWS SDK call is): a statement whose SecureTransport condition does not hold does not apply.
_PATCHED_MOTO_SERVER = """
import sys
from moto.iam.access_control import IAMPolicyStatement, PermissionResult
from moto.server import main

_permitted = IAMPolicyStatement.is_action_permitted


def _secure_transport_holds(condition):
    for operator, values in condition.items():
        if operator in ("Bool", "BoolIfExists") and isinstance(values, dict) and "aws:SecureTransport" in values:
            expected = values["aws:SecureTransport"]
            expected = expected if isinstance(expected, list) else [expected]
            if "true" not in [str(v).lower() for v in expected]:
                return False
    return True


def is_action_permitted(self, action, resource="*", principal=None, incoming_condition_values=None):
    condition = self._statement.get("Condition")
    if isinstance(condition, dict) and not _secure_transport_holds(condition):
        return PermissionResult.NEUTRAL
    return _permitted(self, action, resource, principal, incoming_condition_values)


IAMPolicyStatement.is_action_permitted = is_action_permitted
sys.argv[0] = "moto_server"
sys.exit(main())
"""


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a moto_server process started for this session, stopped after it."""
    _moto_server_executable()  # moto[server] is installed
    port = _free_port()
    log = tmp_path_factory.mktemp("moto") / "moto_server.log"
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [sys.executable, "-c", _PATCHED_MOTO_SERVER, "-H", "127.0.0.1", "-p", str(port)], stdout=handle, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"moto_server exited with {process.returncode}: {log.read_text(errors='replace')[-2000:]}")
            try:
                with urllib.request.urlopen(f"{url}/moto-api/", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"moto_server did not answer on {url} within 60 s: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class LocalAws:
    url: str
    session: boto3.Session

    def client(self, service: str) -> Any:
        return self.session.client(service, region_name=REGION)


def isolate_aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No host credentials, profiles, endpoint overrides or metadata lookups leak into a test."""
    import os

    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@pytest.fixture
def aws(moto_server: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> LocalAws:
    """An empty local AWS account, reached through AWS_ENDPOINT_URL with test credentials."""
    request = urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass
    isolate_aws_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("MLOPS_ACTOR", "release-bot@example.com")
    return LocalAws(url=moto_server, session=boto3.Session(region_name=REGION))


# --- the model registry as a training pipeline leaves it ----------------------------------------


def register_versions(
    aws: LocalAws, group: str, versions: list[tuple[str, dict[str, float]]], *, source: str = "report", report_format: str = "sagemaker"
) -> list[str]:
    """Create `group` (if needed) and one package per entry, versions 1, 2, … in order: (approval status, metrics).

    Metrics go where pipelines put them: an evaluation report in S3 named by
    ModelMetrics.ModelQuality.Statistics (SageMaker's model quality format or this project's
    `metrics` format), or CustomerMetadataProperties (`source="properties"`).
    """
    sagemaker, s3 = aws.client("sagemaker"), aws.client("s3")
    try:
        sagemaker.create_model_package_group(ModelPackageGroupName=group)
    except sagemaker.exceptions.ClientError:
        pass
    try:
        s3.create_bucket(Bucket=REPORTS_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    except s3.exceptions.ClientError:
        pass
    existing = len(sagemaker.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"])
    arns = []
    for offset, (status, metrics) in enumerate(versions, start=1):
        version = existing + offset
        params: dict[str, Any] = {
            "ModelPackageGroupName": group,
            "ModelApprovalStatus": status,
            "InferenceSpecification": {
                "Containers": [{
                    "Image": "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1",
                    "ModelDataUrl": f"s3://acme-prod-artifacts-x/{group}/{version}/model.tar.gz",
                }],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
        }
        if source == "report":
            key = f"{group}/{version}/evaluation.json"
            if report_format == "sagemaker":
                body = {"binary_classification_metrics": {name: {"value": value, "standard_deviation": 0.01} for name, value in metrics.items()}}
            else:
                body = {"metrics": {name: {"value": value} for name, value in metrics.items()}}
            s3.put_object(Bucket=REPORTS_BUCKET, Key=key, Body=json.dumps(body).encode())
            params["ModelMetrics"] = {"ModelQuality": {"Statistics": {"ContentType": "application/json", "S3Uri": f"s3://{REPORTS_BUCKET}/{key}"}}}
        else:
            params["CustomerMetadataProperties"] = {name: str(value) for name, value in metrics.items()}
        arns.append(sagemaker.create_model_package(**params)["ModelPackageArn"])
    return arns


def seed_prod_registry(
    aws: LocalAws,
    *,
    fraud_pinned: tuple[str, dict[str, float]] = ("Approved", {"auc": 0.95}),
    churn_versions: int = 6,
    ticket_versions: int | None = 3,
) -> None:
    """The three example models' prod groups, each pinned version Approved and above its threshold.

    fraud-detector (auc >= 0.92, SageMaker report format) gets versions 1–13 (old, Approved),
    14 as `fraud_pinned`, 15 pending with auc 0.96, 16 pending with auc 0.90, 17 rejected with auc 0.97,
    18 Approved with auc 0.95 (the prod A/B challenger);
    churn-predictor (f1 >= 0.71, this project's report format) 1–6; ticket-router (accuracy >= 0.85,
    customer metadata properties) 1–3. Fewer versions leave a pin missing; `ticket_versions=None`, its group.
    """
    register_versions(aws, "acme-prod-fraud-detector", [("Approved", {"auc": 0.93})] * 13 + [fraud_pinned] + [
        ("PendingManualApproval", {"auc": 0.96}),
        ("PendingManualApproval", {"auc": 0.90}),
        ("Rejected", {"auc": 0.97}),
        ("Approved", {"auc": 0.95}),
    ])
    register_versions(aws, "acme-prod-churn-predictor", [("Approved", {"f1": 0.74})] * churn_versions, report_format="project")
    if ticket_versions is not None:
        register_versions(aws, "acme-prod-ticket-router", [("Approved", {"accuracy": 0.9, "macro_f1": 0.8})] * ticket_versions, source="properties")


def approval_status(aws: LocalAws, group: str, version: int) -> str | None:
    arn = f"arn:aws:sagemaker:{REGION}:123456789012:model-package/{group}/{version}"
    return aws.client("sagemaker").describe_model_package(ModelPackageName=arn).get("ModelApprovalStatus")


# --- one prod plan per session: each build runs the whole program under mocks (~7 s) ------------


@pytest.fixture(scope="session")
def prod_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the example project shared by the tests that only read it."""
    return copy_project(tmp_path_factory.mktemp("live") / "project")


@pytest.fixture(scope="session")
def prod_plan(prod_project: Path):
    from mlops.plan import build_plan

    return build_plan(prod_project, "prod")


# --- what `pulumi up` would have left in the account, made with boto3 from the plan ----------------

# Pulumi's auto-name suffix for the resources the program does not name (endpoint configurations,
# models, scaling policies) and the random part of bucket names made from a bucket_prefix.
AUTONAME = "-4f2a9c1"
BUCKET_SUFFIX = "20261124a1b2c3d4"


def _pascal(value: Any) -> Any:
    """pulumi-aws input names (camelCase) as the SageMaker API spells them."""
    special = {"memorySizeInMb": "MemorySizeInMB"}
    if isinstance(value, dict):
        return {special.get(k, k[:1].upper() + k[1:]): _pascal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_pascal(v) for v in value]
    return value


class Deployed:
    """Creates the plan's serving, KMS, alarm and scaling resources in the local account, as `pulumi up` would."""

    def __init__(self, aws: LocalAws, plan) -> None:
        self.aws = aws
        self.resources = [r for r in plan.resources if r["custom"]]
        self.substitutions: dict[str, str] = {}
        self.names: dict[str, str] = {}

    def live(self, value: Any) -> Any:
        if isinstance(value, str):
            for stand_in, real in self.substitutions.items():
                value = value.replace(stand_in, real)
            return value
        if isinstance(value, list):
            return [self.live(v) for v in value]
        if isinstance(value, dict):
            return {k: self.live(v) for k, v in value.items()}
        return value

    def of_type(self, type_: str) -> list[dict[str, Any]]:
        return [r for r in self.resources if r["type"] == type_]

    def deploy(self) -> Deployed:
        s3, kms, sagemaker = self.aws.client("s3"), self.aws.client("kms"), self.aws.client("sagemaker")
        for bucket in self.of_type("aws:s3/bucket:Bucket"):
            prefix = bucket["inputs"]["bucketPrefix"]
            s3.create_bucket(Bucket=prefix + BUCKET_SUFFIX, CreateBucketConfiguration={"LocationConstraint": REGION})
            self.substitutions[f"{prefix}mock"] = prefix + BUCKET_SUFFIX
        for key in self.of_type("aws:kms/key:Key"):
            created = kms.create_key(Description=key["inputs"]["description"])["KeyMetadata"]
            if key["inputs"].get("enableKeyRotation"):
                kms.enable_key_rotation(KeyId=created["KeyId"])
            self.substitutions[f"mock-{key['name']}"] = created["KeyId"]
        for alias in self.of_type("aws:kms/alias:Alias"):
            kms.create_alias(AliasName=alias["inputs"]["name"], TargetKeyId=self.live(alias["inputs"]["targetKeyId"]))
        for model in self.of_type("aws:sagemaker/model:Model"):
            inputs = self.live(model["inputs"])
            self.names[model["name"]] = model["name"] + AUTONAME
            sagemaker.create_model(
                ModelName=self.names[model["name"]], ExecutionRoleArn=inputs["executionRoleArn"],
                PrimaryContainer=_pascal(inputs["primaryContainer"]),
                **({"VpcConfig": {"Subnets": inputs["vpcConfig"]["subnets"], "SecurityGroupIds": inputs["vpcConfig"]["securityGroupIds"]}} if inputs.get("vpcConfig") else {}),
            )
        for config in self.of_type("aws:sagemaker/endpointConfiguration:EndpointConfiguration"):
            self.create_endpoint_config(config, config["name"] + AUTONAME)
        for endpoint in self.of_type("aws:sagemaker/endpoint:Endpoint"):
            sagemaker.create_endpoint(EndpointName=endpoint["inputs"]["name"], EndpointConfigName=self.names[endpoint["inputs"]["endpointConfigName"]])
        cloudwatch = self.aws.client("cloudwatch")
        for alarm in self.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"):
            cloudwatch.put_metric_alarm(**self.alarm_arguments(alarm))
        scaling = self.aws.client("application-autoscaling")
        for target in self.of_type("aws:appautoscaling/target:Target"):
            inputs = target["inputs"]
            scaling.register_scalable_target(
                ServiceNamespace=inputs["serviceNamespace"], ResourceId=inputs["resourceId"], ScalableDimension=inputs["scalableDimension"],
                MinCapacity=inputs["minCapacity"], MaxCapacity=inputs["maxCapacity"],
            )
        for policy in self.of_type("aws:appautoscaling/policy:Policy"):
            inputs = policy["inputs"]
            scaling.put_scaling_policy(
                PolicyName=policy["name"] + AUTONAME, ServiceNamespace=inputs["serviceNamespace"], ResourceId=inputs["resourceId"],
                ScalableDimension=inputs["scalableDimension"], PolicyType=inputs["policyType"],
                TargetTrackingScalingPolicyConfiguration=_pascal(inputs["targetTrackingScalingPolicyConfiguration"]),
            )
        return self

    def create_endpoint_config(self, config: dict[str, Any], name: str, **overrides: Any) -> None:
        inputs = self.live(config["inputs"])
        variants = [{**_pascal(v), "ModelName": self.names[v["modelName"]]} for v in inputs["productionVariants"]]
        arguments = {
            "EndpointConfigName": name, "ProductionVariants": variants, "KmsKeyId": inputs.get("kmsKeyArn"),
            "DataCaptureConfig": _pascal(inputs.get("dataCaptureConfig")), "AsyncInferenceConfig": _pascal(inputs.get("asyncInferenceConfig")),
            **overrides,
        }
        self.aws.client("sagemaker").create_endpoint_config(**{k: v for k, v in arguments.items() if v is not None})
        self.names[config["name"]] = name

    def alarm_arguments(self, alarm: dict[str, Any]) -> dict[str, Any]:
        """The PutMetricAlarm request the alarm's inputs become (the resource catalogue's translation,
        metric-math queries included), with the deployed names."""
        return self.live(create_requests(alarm)[0].request.params)
