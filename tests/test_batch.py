"""Batch inference (`serving.mode: batch`): the churn example's pipeline, triggers and alarm under the
mock runtime, the definition's variants, and the spec's refusal of secrets it cannot keep."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from mlops.errors import InputError
from mlops.governance.gate import evaluate_gate
from mlops.policy_gate import load_governance
from mlops.policy_input import policy_document
from mlops.sagemaker_batch import BatchContext, batch_pipeline_definition
from mlops.specs.loader import load_spec
from mlops.specs.model import ModelSpec

from .conftest import REPO, example_plan

PIPELINE = "aws:sagemaker/pipeline:Pipeline"
KEY = "arn:aws:kms:eu-west-1:123456789012:key/mock-platform-key"
TOPIC = "arn:aws:sns:eu-west-1:123456789012:acme-{stack}-ml-alerts"


plan = example_plan


def churn(stack: str, type_token: str) -> dict[str, dict]:
    return {r["name"]: r["inputs"] for r in plan(stack).resources if r["type"] == type_token and r["model"] == "churn-predictor"}


def steps(stack: str) -> dict[str, dict]:
    definition = json.loads(churn(stack, PIPELINE)["churn-predictor-batch-pipeline"]["pipelineDefinition"])
    return {s["Type"]: s["Arguments"] for s in definition["Steps"]}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_batch_model_has_a_transform_pipeline_and_no_endpoint(stack: str) -> None:
    pipelines = churn(stack, PIPELINE)
    assert pipelines["churn-predictor-batch-pipeline"]["pipelineName"] == f"acme-{stack}-churn-predictor-batch"
    assert pipelines["churn-predictor-batch-pipeline"]["roleArn"] == f"arn:aws:iam::123456789012:role/acme-{stack}-churn-predictor-sagemaker"
    assert list(steps(stack)) == ["Model", "Transform"]
    for absent in (
        "aws:sagemaker/endpoint:Endpoint",
        "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
        "aws:sagemaker/model:Model",
        "aws:appautoscaling/target:Target",
        "aws:appautoscaling/policy:Policy",
    ):
        assert churn(stack, absent) == {}, absent


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_transform_writes_encrypted_output_and_capture_to_the_platform_buckets(stack: str) -> None:
    transform = steps(stack)["Transform"]
    assert transform["TransformJobName"] == f"acme-{stack}-churn-predictor-batch"
    assert transform["ModelName"] == {"Get": "Steps.Model-CreateModel.ModelName"}
    assert transform["TransformInput"] == {
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://acme-crm-exports/scoring/"}},
        "ContentType": "text/csv",
        "SplitType": "Line",
    }
    assert transform["TransformOutput"] == {
        "S3OutputPath": f"s3://acme-{stack}-artifacts-mock/churn-predictor/batch-output",
        "KmsKeyId": KEY,
        "AssembleWith": "Line",
        "Accept": "text/csv",
    }
    assert transform["TransformResources"] == {"InstanceCount": 2, "InstanceType": "ml.m5.xlarge", "VolumeKmsKeyId": KEY}
    assert transform["MaxPayloadInMB"] == 6
    assert transform["DataCaptureConfig"] == {"DestinationS3Uri": f"s3://acme-{stack}-data-capture-mock/churn-predictor", "KmsKeyId": KEY}


def test_dev_transforms_the_unpinned_artifact_prod_the_pinned_package_inside_the_vpc() -> None:
    dev = steps("dev")["Model"]
    assert dev["ModelName"] == "acme-dev-churn-predictor-batch"
    assert dev["PrimaryContainer"]["ModelDataUrl"] == "s3://acme-dev-artifacts-mock/churn-predictor/serving/model.tar.gz"
    assert dev["PrimaryContainer"]["Image"].endswith("/sagemaker-scikit-learn:1.2-1-cpu-py3")
    assert dev["EnableNetworkIsolation"] is True
    assert "VpcConfig" not in dev
    prod = steps("prod")["Model"]
    assert prod["Containers"] == [{"ModelPackageName": "arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-churn-predictor/6"}]
    assert prod["EnableNetworkIsolation"] is True
    assert prod["VpcConfig"]["Subnets"][0] == "subnet-0c9d8e7f6a5b40312"
    assert prod["VpcConfig"]["SecurityGroupIds"]


def test_schedule_and_new_data_start_the_batch_pipeline() -> None:
    rules = churn("dev", "aws:cloudwatch/eventRule:EventRule")
    assert rules["churn-predictor-batch-schedule"]["scheduleExpression"] == "cron(0 4 1 * ? *)"
    pattern = json.loads(rules["churn-predictor-batch-new-data"]["eventPattern"])
    assert pattern == {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {"bucket": {"name": ["acme-crm-exports"]}, "object": {"key": [{"prefix": "scoring/"}]}},
    }
    targets = churn("dev", "aws:cloudwatch/eventTarget:EventTarget")
    pipeline_arn = "arn:aws:sagemaker:eu-west-1:123456789012:pipeline/acme-dev-churn-predictor-batch"
    for name in ("churn-predictor-batch-schedule-target", "churn-predictor-batch-new-data-target"):
        assert targets[name]["arn"] == pipeline_arn
        assert targets[name]["roleArn"] == "arn:aws:iam::123456789012:role/acme-dev-churn-predictor-trigger"
    start = json.loads(churn("dev", "aws:iam/rolePolicy:RolePolicy")["churn-predictor-batch-start-pipeline"]["policy"])
    assert start["Statement"] == [{"Effect": "Allow", "Action": ["sagemaker:StartPipelineExecution"], "Resource": [pipeline_arn]}]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_a_failed_run_alarms_the_platform_topic(stack: str) -> None:
    alarm = churn(stack, "aws:cloudwatch/metricAlarm:MetricAlarm")["churn-predictor-batch-failed-alarm"]
    assert (alarm["namespace"], alarm["metricName"], alarm["dimensions"]) == (
        "AWS/Sagemaker/ModelBuildingPipeline", "ExecutionFailed", {"PipelineName": f"acme-{stack}-churn-predictor-batch"},
    )
    assert (alarm["statistic"], alarm["comparisonOperator"], alarm["threshold"]) == ("Sum", "GreaterThanThreshold", 0)
    assert alarm["alarmActions"] == alarm["okActions"] == [TOPIC.format(stack=stack)]


def test_only_a_batch_model_may_create_models_and_transform_jobs_and_only_its_own() -> None:
    def statements(model: str) -> dict[str, dict]:
        policies = {r["name"]: r["inputs"] for r in plan("prod").resources if r["type"] == "aws:iam/rolePolicy:RolePolicy"}
        return {s["Sid"]: s for s in json.loads(policies[f"{model}-access-execution-policy"]["policy"])["Statement"]}

    batch = statements("churn-predictor")["BatchTransform"]
    assert "sagemaker:CreateTransformJob" in batch["Action"] and "sagemaker:CreateModel" in batch["Action"]
    assert batch["Resource"] == [
        "arn:aws:sagemaker:eu-west-1:123456789012:model/acme-prod-churn-predictor-batch*",
        "arn:aws:sagemaker:eu-west-1:123456789012:transform-job/acme-prod-churn-predictor-batch*",
    ]
    assert "arn:aws:s3:::acme-crm-exports/scoring/*" in statements("churn-predictor")["ReadSources"]["Resource"]
    assert "BatchTransform" not in statements("fraud-detector")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_batch_policies_pass_the_examples(stack: str) -> None:
    built = plan(stack)
    governance = load_governance(REPO, built.stack, models=[s.spec.name for s in built.specs])
    document = policy_document(built.stack, built.specs, built.resources)
    result = evaluate_gate(document, governance.bundle, governance.engine, governance.enforcement, governance.waivers, date(2026, 6, 1))
    batch = {"batch-output-encryption", "batch-approved-package"}
    assert batch <= {p.id for p in governance.bundle.policies}
    assert [f.message for f in result.violations if f.policy.id in batch] == []
    # The pinned package's approval is registry-approved-package's to report (unverified offline), not these.
    assert [f for f in result.unverified if f.policy.id in batch] == []
    if stack == "prod":
        assert ("registry-approved-package", "churn-predictor") in {(f.policy.id, f.resource.rsplit("::", 1)[-1]) for f in result.unverified}


def _churn_spec(**batch: object) -> ModelSpec:
    spec = load_spec(REPO / "models" / "churn-predictor.yaml", "dev")
    serving = spec.serving.model_copy(update={"batch": spec.serving.batch.model_copy(update=batch)})
    return spec.model_copy(update={"serving": serving})


def _definition(spec: ModelSpec, capture_uri: str | None = "s3://capture/churn-predictor") -> dict:
    ctx = BatchContext(
        region="eu-west-1",
        role_arn="arn:aws:iam::123456789012:role/r",
        artifacts_bucket="artifacts",
        kms_key_arn=KEY,
        pipeline_name="acme-dev-churn-predictor-batch",
        image_uri="123456789012.dkr.ecr.eu-west-1.amazonaws.com/churn:1",
        model_package_arn=None,
        capture_uri=capture_uri,
    )
    return {s["Type"]: s["Arguments"] for s in json.loads(batch_pipeline_definition(spec, ctx))["Steps"]}


def test_nvme_instances_get_no_volume_key_and_unsplit_input_is_not_reassembled() -> None:
    transform = _definition(_churn_spec(instance_type="ml.m5d.xlarge", split_type="None"))["Transform"]
    assert transform["TransformResources"] == {"InstanceCount": 2, "InstanceType": "ml.m5d.xlarge"}
    assert transform["TransformOutput"]["KmsKeyId"] == KEY
    assert "AssembleWith" not in transform["TransformOutput"]


def test_no_capture_without_a_capture_uri() -> None:
    assert "DataCaptureConfig" not in _definition(_churn_spec(), capture_uri=None)["Transform"]


def test_secret_environment_values_are_refused_in_batch_mode(tmp_path: Path) -> None:
    text = (REPO / "models" / "churn-predictor.yaml").read_text().replace(
        "  # Batch transform captures", "  environment:\n    API_TOKEN: {secret: churnApiToken}\n  # Batch transform captures"
    )
    path = tmp_path / "churn-predictor.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_spec(path, "dev")
    line = text.splitlines().index("serving:") + 1
    assert e.value.problems == [
        f"{path}:{line}: serving: mode 'batch' writes the container environment into the pipeline definition; "
        "secret values need an endpoint: remove {secret: ...} from ['API_TOKEN']"
    ]
