"""`mlops scan` against a real local AWS seeded from the stack's own plan (`mlops.live.seed`).

Each test starts from an empty moto account (the `aws` fixture), seeds it with every planned
resource moto can create — built from the catalogue's translations, as `pulumi up` would have left
it — then changes something out of band and runs the CLI. The plans are captured once per module.

What moto (5.2) cannot do, and so what every scan here reports as not readable (never as a pass):
monitoring schedules (no CreateMonitoringSchedule/DescribeMonitoringSchedule), an endpoint's
deployment configuration (DescribeEndpoint drops it), a feature group's description and online
store (DescribeFeatureGroup drops them), its tags and a scalable target's tags (ListTags/
ListTagsForResource fail with HTTP 500), the key policy (GetKeyPolicy without PolicyName); and the
types without a reader in the catalogue (EventBridge targets, SNS subscriptions). `aws-api-conformance`
is mandatory in every environment and the scan requires verified checks, so each of those resources
makes the decision "fail" (exit 1) even when nothing changed: the tests assert that precisely, and
assert each out-of-band change by the finding it adds.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore import xform_name
from typer.testing import CliRunner

from mlops.cli import app
from mlops.errors import ExitCode
from mlops.live.seed import UNSUPPORTED, SeedError, Seeded, create_requests, seed_emulator
from mlops.plan import Plan, capture, load_inputs
from mlops.reports import REPORT_FILES

from tests.conftest import copy_project

from .conftest import REGION, LocalAws, isolate_aws_environment, seed_prod_registry

runner = CliRunner()
ENDPOINT = "aws:sagemaker/endpoint:Endpoint"
ENDPOINT_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
BUCKET_LOGGING = "aws:s3/bucketLogging:BucketLogging"
SCHEDULE = "aws:sagemaker/monitoringSchedule:MonitoringSchedule"
MLFLOW = "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer"
OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"


# --- plans, seeding, scanning -------------------------------------------------------------------


@pytest.fixture(scope="module")
def plan_of(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Plan]:
    """The stack's offline plan, captured once per module (as `mlops scan` captures it)."""
    project = copy_project(tmp_path_factory.mktemp("scan") / "project")
    plans: dict[str, Plan] = {}

    def plan(stack: str) -> Plan:
        if stack not in plans:
            plans[stack] = capture(load_inputs(project, stack), jobs=1, cache_dir=None)
        return plans[stack]

    return plan


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("MLOPS_LEDGER", raising=False)
    return copy_project(tmp_path / "project")


def seed(aws: LocalAws, plan: Plan) -> Seeded:
    """The plan's resources in the local account, bucket logging included (see `_log_buckets_despite_moto`)."""
    seeded = seed_emulator(plan, aws.session)
    assert seeded.failed == {}, seeded.summary()
    _log_buckets_despite_moto(aws, plan, seeded)
    return seeded


def _log_buckets_despite_moto(aws: LocalAws, plan: Plan, seeded: Seeded) -> None:
    """moto (5.2) answers PutBucketLogging with HTTP 500 when the target bucket's policy has a statement
    whose Principal is "*" (it reads every Principal as a map), as the access-log bucket's TLS-only
    statement is, so the seeder records the bucket logging resources as unsupported. Here the same
    catalogue requests are sent while those statements are lifted, and the policy is put back as planned."""
    pending = [r for r in plan.resources if r["type"] == BUCKET_LOGGING and seeded.outcome(r["name"]).status == UNSUPPORTED]
    s3 = aws.client("s3")
    for target in sorted({seeded.live(r["inputs"]["targetBucket"]) for r in pending}):
        policy = s3.get_bucket_policy(Bucket=target)["Policy"]
        document = json.loads(policy)
        lifted = [s for s in document["Statement"] if isinstance(s.get("Principal"), dict)]
        s3.put_bucket_policy(Bucket=target, Policy=json.dumps({**document, "Statement": lifted}))
        for resource in pending:
            [request] = create_requests(resource)
            getattr(s3, xform_name(request.request.operation))(**seeded.live(request.request.params))
        s3.put_bucket_policy(Bucket=target, Policy=policy)


@pytest.fixture
def deployment_config_answered(monkeypatch: pytest.MonkeyPatch) -> Callable[[Plan, Seeded], None]:
    """moto's DescribeEndpoint drops the DeploymentConfig CreateEndpoint was given; SageMaker answers it as
    LastDeploymentConfig. With this, the scan's sessions get it back (the value the seeder sent), so the
    endpoints' own checks can decide; without it every check on an endpoint is unverified on moto."""

    def install(plan: Plan, seeded: Seeded) -> None:
        sent = {}
        for resource in (r for r in plan.resources if r["type"] == ENDPOINT):
            params = seeded.live(create_requests(resource)[0].request.params)
            sent[params["EndpointName"]] = params["DeploymentConfig"]

        def answer(parsed: dict[str, Any], **_: Any) -> None:
            if parsed.get("EndpointName") in sent:
                parsed.setdefault("LastDeploymentConfig", sent[parsed["EndpointName"]])

        class Session(boto3.Session):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                self.events.register("after-call.sagemaker.DescribeEndpoint", answer)

        monkeypatch.setattr(boto3, "Session", Session)

    return install


def scan(project: Path, stack: str):
    return runner.invoke(app, ["scan", "--stack", stack, "-C", str(project), "--no-cache"])


def report_of(project: Path, stack: str) -> dict[str, Any]:
    return json.loads((project / "reports" / stack / "scan" / REPORT_FILES["json"]).read_text())


def name_of(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [*report["violations"], *report["unverified"]]


def finding(report: dict[str, Any], policy: str, resource: str) -> dict[str, Any]:
    [found] = [f for f in findings(report) if f["policy_id"] == policy and name_of(f["resource"]) == resource]
    return found


def outcome(report: dict[str, Any], policy: str, resource: str) -> str:
    [found] = [c["outcome"] for c in report["checks"] if c["policy_id"] == policy and name_of(c["resource"]) == resource]
    return found


def blocking(report: dict[str, Any]) -> set[tuple[str, str]]:
    return {(f["policy_id"], name_of(f["resource"])) for f in findings(report) if f["blocking"]}


def unreadable(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name_of(u["urn"]): u for u in report["scan"]["unreadable"]}


def conformance_unverified_on_unreadable(report: dict[str, Any]) -> set[tuple[str, str]]:
    """What blocks a scan on moto when nothing changed: the mandatory API conformance check of every
    resource the scan could not read in full, unverified, and nothing else."""
    return {("aws-api-conformance", name) for name in unreadable(report)}


def of_type(plan: Plan, type_: str) -> list[str]:
    return sorted(r["name"] for r in plan.resources if r["type"] == type_)


# --- a clean scan -------------------------------------------------------------------------------


def test_clean_scan_of_the_seeded_dev_stack(aws: LocalAws, plan_of: Callable[[str], Plan], project: Path) -> None:
    plan = plan_of("dev")
    seeded = seed(aws, plan)
    planned = [r for r in plan.resources if r.get("custom", True) and not r["type"].startswith("mlops:")]
    assert {o.name for o in seeded.outcomes} == {r["name"] for r in planned}
    # Everything is in the account but the monitoring schedules and the MLflow tracking server (moto has no
    # CreateMonitoringSchedule, no CreateMlflowTrackingServer) and the bucket logging, which moto fails on
    # (created by `_log_buckets_despite_moto`).
    assert seeded.unsupported == {
        **{name: "CreateMonitoringSchedule: HTTP 500" for name in of_type(plan, SCHEDULE)},
        **{name: "CreateMlflowTrackingServer: HTTP 500" for name in of_type(plan, MLFLOW)},
        **{name: "PutBucketLogging: HTTP 500 Internal Server Error" for name in of_type(plan, BUCKET_LOGGING)},
    }
    assert len(seeded.created) == (
        len(planned) - len(of_type(plan, SCHEDULE)) - len(of_type(plan, MLFLOW)) - len(of_type(plan, BUCKET_LOGGING))
    )
    # Auto-named resources carry Pulumi-style names; stand-ins were replaced by what was created.
    config = seeded.names["fraud-detector-serving-config"]
    assert config.startswith("fraud-detector-serving-config-") and len(config) == len("fraud-detector-serving-config") + 8
    described = aws.client("sagemaker").describe_endpoint_config(EndpointConfigName=config)
    assert described["ProductionVariants"][0]["ModelName"] == seeded.names["fraud-detector-serving-model"]
    assert described["KmsKeyId"] == f"arn:aws:kms:eu-west-1:123456789012:key/{seeded.names['platform-key']}"

    started = time.monotonic()
    result = scan(project, "dev")
    elapsed = time.monotonic() - started
    assert result.exit_code == ExitCode.GATE_FAILED, result.output
    assert elapsed < 10

    report = report_of(project, "dev")
    assert report["scan"]["missing"] == [] and report["scan"]["unmanaged"] == []
    assert report["scan"]["endpoint_url"] == aws.url and report["scan"]["account"] == "123456789012"
    # Exactly what moto cannot describe is not readable (every planned type has a reader).
    found = unreadable(report)
    schedule_reason = f"{aws.url} cannot answer DescribeMonitoringSchedule (HTTP 500)"
    mlflow_reason = f"{aws.url} cannot answer DescribeMlflowTrackingServer (HTTP 500)"
    expected = {
        **{name: (["(all)"], schedule_reason) for name in of_type(plan, SCHEDULE)},
        **{name: (["(all)"], mlflow_reason) for name in of_type(plan, MLFLOW)},
        # HeadObject answers neither an object's content nor its tags.
        **{name: (["body", "tagging"], "HeadObject does not return these fields here") for name in of_type(plan, OBJECT)},
        "fraud-detector-monitoring-model-explainability": (
            ["stoppingCondition.maxRuntimeInSeconds"], "DescribeModelExplainabilityJobDefinition does not return these fields here"
        ),
        "platform-key": (["policy"], "DescribeKey does not return these fields here"),
        "churn-predictor-features-subscriber-activity": (["description", "tags"], "DescribeFeatureGroup does not return these fields here"),
        **{name: (["description", "onlineStoreConfig.enableOnlineStore", "onlineStoreConfig.securityConfig.kmsKeyId", "tags"],
                  "DescribeFeatureGroup does not return these fields here")
           for name in ("fraud-detector-features-card-transactions", "fraud-detector-features-customer-profile")},
    }
    endpoints = of_type(plan, ENDPOINT)
    assert sorted(found) == sorted([*expected, *endpoints])
    for name, (fields, reason) in expected.items():
        assert (found[name]["fields"], found[name]["reason"]) == (fields, reason), name
    for name in endpoints:
        assert found[name]["reason"] == "DescribeEndpoint does not return these fields here"
        assert found[name]["fields"] and all(f.startswith("deploymentConfig.") for f in found[name]["fields"]), found[name]
    # No check on them is a pass.
    for urn in (u["urn"] for u in report["scan"]["unreadable"]):
        outcomes = {c["policy_id"]: c["outcome"] for c in report["checks"] if c["resource"] == urn}
        assert outcomes and set(outcomes.values()) <= {"unverified", "fail"}, (urn, outcomes)
    # The decision: aws-api-conformance is mandatory even in dev, and unverified blocks here, so the
    # unreadable resources fail the scan; every other finding is advisory in dev.
    assert report["decision"] == "fail" and report["require_verified"] is True
    assert blocking(report) == conformance_unverified_on_unreadable(report)
    assert all(f["enforcement"] == "advisory" for f in findings(report) if not f["blocking"])
    # moto's DescribeModel answers EnableNetworkIsolation false whatever CreateModel said (churn-predictor is
    # a batch model now: it has no serving model).
    assert [(v["policy_id"], name_of(v["resource"]), v["enforcement"]) for v in report["violations"]] == [
        ("sagemaker-network-isolation", "fraud-detector-serving-model", "advisory"),
    ]
    # Resources whose tags could not be read still belong to their model (through their model stack).
    state = json.loads((project / "reports" / "dev" / "scan" / "state.json").read_text())
    assert {r["name"]: r["model"] for r in state["resources"]} == {r["name"]: r["model"] for r in plan.resources}
    lines = result.output.splitlines()
    assert f"Stack dev: {len(state['resources'])} deployed resources read from {aws.url}, account 123456789012" in lines
    assert f"not readable ({len(found)})" in lines
    assert "  platform-key: policy: DescribeKey does not return these fields here" in lines
    assert "missing" not in result.output.split("Policy gate:")[0]
    assert any(line.startswith("Policy gate: FAIL — dev rules") for line in lines)

    scan_dir = project / "reports" / "dev" / "scan"
    for filename in [*REPORT_FILES.values(), "state.json"]:
        assert (scan_dir / filename).is_file(), filename
    last = json.loads((project / "reports" / "audit-ledger.jsonl").read_text().splitlines()[-1])
    assert (last["kind"], last["stack"], last["decision"]) == ("scan", "dev", "fail")


# --- changes made outside the pipeline ---------------------------------------------------------


def test_configuration_without_data_capture_swapped_onto_an_endpoint(
    aws: LocalAws, plan_of: Callable[[str], Plan], project: Path, deployment_config_answered: Callable[[Plan, Seeded], None]
) -> None:
    # Data capture is required (mandatory) in prod only: dev and staging do not require it, or only advise.
    plan = plan_of("prod")
    seed_prod_registry(aws)
    seeded = seed(aws, plan)
    deployment_config_answered(plan, seeded)
    config = next(r for r in plan.resources if r["name"] == "fraud-detector-serving-config")
    endpoint = next(r for r in plan.resources if r["name"] == "fraud-detector-serving-endpoint")
    params = seeded.live(create_requests(config)[0].request.params)
    del params["DataCaptureConfig"]
    sagemaker = aws.client("sagemaker")
    sagemaker.create_endpoint_config(**{**params, "EndpointConfigName": "fraud-detector-serving-config-hotfix"})
    # UpdateEndpoint as someone would call it; moto has none, so the endpoint is recreated on the new configuration.
    created = seeded.live(create_requests(endpoint)[0].request.params)
    sagemaker.delete_endpoint(EndpointName="acme-prod-fraud-detector")
    sagemaker.create_endpoint(**{**created, "EndpointConfigName": "fraud-detector-serving-config-hotfix"})

    result = scan(project, "prod")
    assert result.exit_code == ExitCode.GATE_FAILED, result.output
    report = report_of(project, "prod")
    assert report["scan"]["missing"] == [] and report["scan"]["unmanaged"] == []
    # The configuration the endpoint serves now is read (through the endpoint): DescribeEndpointConfig
    # answers no DataCaptureConfig, which for that optional block means it is not set — a definite violation.
    assert "fraud-detector-serving-config" not in unreadable(report)
    capture = finding(report, "endpoint-data-capture", "fraud-detector-serving-config")
    assert (capture["enforcement"], capture["blocking"]) == ("mandatory", True)
    assert capture["message"].startswith("Endpoint configuration fraud-detector-serving-config must capture inference data")
    assert outcome(report, "endpoint-data-capture", "fraud-detector-serving-config") == "fail"
    assert outcome(report, "endpoint-data-capture", "ticket-router-serving-config") == "pass"
    assert any(line.endswith(f"mandatory  endpoint-data-capture: {capture['message']}") for line in result.output.splitlines())


CHURN_BATCH = """serving:
  mode: batch
  batch:
    input_s3_uri: s3://acme-crm-exports/scoring/
    schedule: "cron(0 4 1 * ? *)"
    on_new_data: true
    instance_type: ml.m5.xlarge
    instance_count: 2
"""
CHURN_ENDPOINT = """serving:
  mode: async
  instance_type: ml.m5.large
  async_inference: {max_concurrent_invocations_per_instance: 8}
  deployment: {strategy: linear, linear_step_percent: 25, bake_minutes: 5}
"""


def test_deleted_alarm_is_missing_and_the_endpoint_policies_react(
    aws: LocalAws, project: Path, deployment_config_answered: Callable[[Plan, Seeded], None]
) -> None:
    # Staging requires monitoring and blue/green deployments (advisory there). The example churn model
    # scores in batch; here it serves from an asynchronous endpoint again, which has no scalable target in
    # staging, so with its deployment configuration answered every check on it decides.
    spec = project / "models" / "churn-predictor.yaml"
    text = spec.read_text()
    assert CHURN_BATCH in text
    spec.write_text(text.replace(CHURN_BATCH, CHURN_ENDPOINT))
    plan = capture(load_inputs(project, "staging"), jobs=1, cache_dir=None)
    seeded = seed(aws, plan)
    deployment_config_answered(plan, seeded)
    cloudwatch = aws.client("cloudwatch")
    cloudwatch.delete_alarms(AlarmNames=["acme-staging-churn-predictor-5xx"])

    result = scan(project, "staging")
    assert result.exit_code == ExitCode.GATE_FAILED, result.output
    report = report_of(project, "staging")
    reason = "DescribeAlarms finds no MetricAlarm with AlarmNames=acme-staging-churn-predictor-5xx"
    assert report["scan"]["missing"] == [
        {"urn": next(r["urn"] for r in plan.resources if r["name"] == "churn-predictor-serving-5xx-alarm"),
         "type": ALARM, "name": "churn-predictor-serving-5xx-alarm", "reason": reason},
    ]
    lines = result.output.splitlines()
    assert lines[1:3] == ["missing (1)", f"  MetricAlarm churn-predictor-serving-5xx-alarm: {reason}"]
    # The endpoint rolls back on an alarm that no longer exists…
    rollback = finding(report, "endpoint-blue-green-rollback", "churn-predictor-serving-endpoint")
    assert rollback["message"] == (
        'Endpoint churn-predictor-serving-endpoint must roll back on alarms the stack defines; '
        'no CloudWatch alarm is named "acme-staging-churn-predictor-5xx"'
    )
    assert (rollback["enforcement"], rollback["blocking"]) == ("advisory", False)
    assert f"  medium   advisory   endpoint-blue-green-rollback: {rollback['message']}" in lines
    # …and still has alarms that notify someone (latency, 4xx, drift).
    assert outcome(report, "endpoint-alarms", "churn-predictor-serving-endpoint") == "pass"

    # With every alarm on the endpoint deleted, endpoint-alarms fails too.
    names = [a["AlarmName"] for a in cloudwatch.describe_alarms(AlarmNamePrefix="acme-staging-churn-predictor-")["MetricAlarms"]]
    cloudwatch.delete_alarms(AlarmNames=names)
    result = scan(project, "staging")
    assert result.exit_code == ExitCode.GATE_FAILED, result.output
    report = report_of(project, "staging")
    churn_alarms = [r["name"] for r in plan.resources if r["type"] == ALARM and r["name"].startswith("churn-predictor-")]
    assert sorted(m["name"] for m in report["scan"]["missing"]) == sorted(churn_alarms)
    alarms = finding(report, "endpoint-alarms", "churn-predictor-serving-endpoint")
    assert alarms["message"] == "Endpoint churn-predictor-serving-endpoint must have at least one CloudWatch alarm with alarmActions"
    assert (alarms["enforcement"], alarms["blocking"]) == ("advisory", False)
    assert f"  medium   advisory   endpoint-alarms: {alarms['message']}" in result.output.splitlines()


def test_revoked_approval_of_the_pinned_package_is_a_registry_finding(
    aws: LocalAws, plan_of: Callable[[str], Plan], project: Path, deployment_config_answered: Callable[[Plan, Seeded], None]
) -> None:
    # Only prod pins model versions (models/*.yaml environments.prod.registry.pinned_version).
    plan = plan_of("prod")
    seed_prod_registry(aws)
    seeded = seed(aws, plan)
    deployment_config_answered(plan, seeded)
    package = "arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-fraud-detector/14"
    aws.client("sagemaker").update_model_package(ModelPackageArn=package, ModelApprovalStatus="Rejected")

    result = scan(project, "prod")
    assert result.exit_code == ExitCode.GATE_FAILED, result.output
    report = report_of(project, "prod")
    assert report["scan"]["missing"] == [] and report["scan"]["unmanaged"] == []
    revoked = finding(report, "registry-approved-package", "fraud-detector-serving-model")
    assert revoked["message"] == (
        f"Model fraud-detector pins model package {package}, whose approval status is Rejected; "
        "prod serves only Approved packages: approve it in the registry (mlops promote)"
    )
    assert (revoked["enforcement"], revoked["blocking"], revoked["model"]) == ("mandatory", True, "fraud-detector")
    assert f"  high     mandatory  registry-approved-package: {revoked['message']}" in result.output.splitlines()
    for model in ("fraud-detector-serving-challenger", "ticket-router-serving"):
        assert outcome(report, "registry-approved-package", f"{model}-model") == "pass"
    for policy in ("registry-package-group", "registry-package-metric-threshold"):
        assert outcome(report, policy, "fraud-detector-serving-model") == "pass"


def test_endpoint_created_by_hand_with_the_stack_prefix_is_unmanaged(aws: LocalAws, plan_of: Callable[[str], Plan], project: Path) -> None:
    plan = plan_of("dev")
    seeded = seed(aws, plan)
    aws.client("sagemaker").create_endpoint(
        EndpointName="acme-dev-fraud-detector-canary", EndpointConfigName=seeded.names["fraud-detector-serving-config"]
    )

    result = scan(project, "dev")
    assert result.exit_code == ExitCode.GATE_FAILED, result.output
    report = report_of(project, "dev")
    reason = "named with the stack's prefix acme-dev- but not in the plan"
    assert report["scan"]["unmanaged"] == [{"type": ENDPOINT, "name": "acme-dev-fraud-detector-canary", "reason": reason}]
    assert report["scan"]["missing"] == []
    lines = result.output.splitlines()
    assert lines[1:3] == ["unmanaged (1)", f"  Endpoint acme-dev-fraud-detector-canary: {reason}"]
    # An unmanaged resource is reported, not gated: what blocks is what blocks a clean dev scan on moto.
    assert blocking(report) == conformance_unverified_on_unreadable(report)


# --- AWS unreachable ---------------------------------------------------------------------------


@pytest.fixture
def closed_port() -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{s.getsockname()[1]}"


def test_unreachable_aws_fails_closed(aws: LocalAws, project: Path, closed_port: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", closed_port)
    result = scan(project, "dev")
    assert result.exit_code == ExitCode.ENGINE_UNDECIDED, result.output
    assert result.output.startswith(f"error: cannot reach the AWS sts endpoint {closed_port} while identifying the AWS account: ")
    assert "nothing was decided (fails closed): check the network, AWS_ENDPOINT_URL and the region" in result.output
    assert not (project / "reports" / "dev" / "scan").exists()


def test_seeding_refuses_without_an_emulator_endpoint(
    plan_of: Callable[[str], Plan], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    isolate_aws_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with pytest.raises(SeedError, match="it runs only against a local emulator; set AWS_ENDPOINT_URL"):
        seed_emulator(plan_of("dev"), boto3.Session(region_name=REGION))
