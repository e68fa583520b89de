"""The training pipeline's checks before registration (`training.checks`): a data-quality and a
pre-training bias check on the prepared training split, whose results and baselines are
registered with the model package."""

from __future__ import annotations

import json
from pathlib import Path

from mlops.plan import Plan, build_plan
from mlops.resources import conformance, lookup
from mlops.resources.api import validate

from .conftest import copy_project, example_plan

PIPELINE = "aws:sagemaker/pipeline:Pipeline"
OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"
KEY = "arn:aws:kms:eu-west-1:123456789012:key/mock-platform-key"
CHECKS = "s3://acme-dev-artifacts-mock/fraud-detector/checks"
TRAIN_SPLIT = {"Get": "Steps.Prepare.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri"}
CONFIG_KEY = "fraud-detector/checks/data-bias/config/analysis_config.json"


plan = example_plan


def pipeline(built: Plan, model: str) -> dict:
    (found,) = [r for r in built.resources if r["type"] == PIPELINE and r["name"] == f"{model}-training-pipeline"]
    return found


def steps(built: Plan, model: str) -> dict[str, dict]:
    definition = json.loads(pipeline(built, model)["inputs"]["pipelineDefinition"])
    return {s["Name"]: s for s in definition["Steps"]}


def register(found: dict[str, dict]) -> dict:
    return found["CheckThreshold"]["Arguments"]["IfSteps"][0]["Arguments"]


def test_checks_run_on_the_training_split_between_prepare_and_registration() -> None:
    found = steps(plan("dev"), "fraud-detector")
    assert list(found) == ["Prepare", "DataQuality", "DataBias", "Train", "Evaluate", "CheckThreshold"]
    for name, check_type, kind in (("DataQuality", "DATA_QUALITY", "data-quality"), ("DataBias", "DATA_BIAS", "data-bias")):
        step = found[name]
        assert step["CheckType"] == check_type
        assert (step["SkipCheck"], step["RegisterNewBaseline"], step["FailOnViolation"]) == (False, False, True)
        assert step["ModelPackageGroupName"] == "acme-dev-fraud-detector"
        arguments = step["Arguments"]
        assert arguments["ProcessingJobName"] == f"acme-dev-fraud-detector-{kind}"
        assert arguments["ProcessingResources"]["ClusterConfig"]["InstanceType"] == "ml.m5.xlarge"
        assert arguments["ProcessingResources"]["ClusterConfig"]["VolumeKmsKeyId"] == KEY
        (output,) = arguments["ProcessingOutputConfig"]["Outputs"]
        assert output["S3Output"]["S3Uri"] == f"{CHECKS}/{kind}"
        assert arguments["ProcessingOutputConfig"]["KmsKeyId"] == KEY
        assert arguments["NetworkConfig"]["EnableInterContainerTrafficEncryption"] is True
        assert TRAIN_SPLIT in [i["S3Input"]["S3Uri"] for i in arguments["ProcessingInputs"]]
    assert found["DataQuality"]["Arguments"]["AppSpecification"]["ImageUri"].endswith("/sagemaker-model-monitor-analyzer")
    assert "/sagemaker-clarify-processing:" in found["DataBias"]["Arguments"]["AppSpecification"]["ImageUri"]


def test_checks_join_the_vpc_in_prod() -> None:
    found = steps(plan("prod"), "fraud-detector")
    for name in ("DataQuality", "DataBias"):
        vpc = found[name]["Arguments"]["NetworkConfig"]["VpcConfig"]
        assert vpc["Subnets"] == ["subnet-0c9d8e7f6a5b40312", "subnet-0d8c7b6a5f4e30291", "subnet-0e7d6c5b4a3f20180"]


def test_bias_check_reads_the_label_and_facets_of_monitoring_bias() -> None:
    built = plan("dev")
    inputs = {i["InputName"]: i["S3Input"]["S3Uri"] for i in steps(built, "fraud-detector")["DataBias"]["Arguments"]["ProcessingInputs"]}
    assert inputs == {"analysis_config": f"s3://acme-dev-artifacts-mock/{CONFIG_KEY}", "dataset": TRAIN_SPLIT}
    (config,) = [r for r in built.resources if r["type"] == OBJECT and r["inputs"]["key"] == CONFIG_KEY]
    assert config["inputs"]["bucket"] == "acme-dev-artifacts-mock"
    assert (config["inputs"]["serverSideEncryption"], config["inputs"]["kmsKeyId"]) == ("aws:kms", KEY)
    assert config["tags"]["model"] == "fraud-detector"
    analysis = json.loads(config["inputs"]["content"])
    # The features less the feature groups' identifiers and event times, then the label.
    assert analysis["headers"] == ["card_hash", "amount", "merchant_category", "card_age_days", "home_country", "tenure_months", "is_fraud"]
    assert analysis["label"] == "is_fraud"
    assert analysis["label_values_or_threshold"] == [0]
    assert analysis["facet"] == [{"name_or_index": "home_country"}]
    assert analysis["methods"]["pre_training_bias"] == {"methods": "all"}
    # The pipeline is created after the configuration it reads.
    assert config["urn"] in pipeline(built, "fraud-detector")["dependencies"]


def test_registration_records_the_checks_results_and_baselines() -> None:
    arguments = register(steps(plan("dev"), "fraud-detector"))

    def source(step: str, prop: str) -> dict:
        return {"ContentType": "application/json", "S3Uri": {"Get": f"Steps.{step}.{prop}"}}

    assert arguments["ModelMetrics"]["ModelDataQuality"] == {
        "Statistics": source("DataQuality", "CalculatedBaselineStatistics"),
        "Constraints": source("DataQuality", "CalculatedBaselineConstraints"),
    }
    assert arguments["ModelMetrics"]["Bias"] == {"PreTrainingReport": source("DataBias", "CalculatedBaselineConstraints")}
    assert arguments["DriftCheckBaselines"] == {
        "ModelDataQuality": {
            "Statistics": source("DataQuality", "BaselineUsedForDriftCheckStatistics"),
            "Constraints": source("DataQuality", "BaselineUsedForDriftCheckConstraints"),
        },
        "Bias": {"PreTrainingConstraints": source("DataBias", "BaselineUsedForDriftCheckConstraints")},
    }


def test_models_without_checks_have_no_check_steps() -> None:
    built = plan("dev")
    for model in ("ticket-router", "churn-predictor"):
        found = steps(built, model)
        assert list(found) == ["Prepare", "Train", "Evaluate", "CheckThreshold"]
        assert "ModelMetrics" not in register(found) and "DriftCheckBaselines" not in register(found)
        assert not [r for r in built.resources if r["type"] == OBJECT and r["inputs"]["key"].startswith(f"{model}/checks/")]


def test_check_steps_become_processing_job_requests_botocore_accepts() -> None:
    entry = lookup(PIPELINE)
    requests = entry.requests(pipeline(plan("prod"), "fraud-detector")["inputs"])
    checks = {p.context: p.request for p in requests if "Check)" in p.context}
    assert sorted(checks) == ["pipeline step DataBias (ClarifyCheck)", "pipeline step DataQuality (QualityCheck)"]
    for request in checks.values():
        assert request.operation == "CreateProcessingJob"
        assert "CheckType" not in request.params and "SkipCheck" not in request.params
        problems, _ = validate(request, deferred=conformance.deferred)
        assert problems == []


def _edited(tmp_path: Path, old: str, new: str) -> Plan:
    project = copy_project(tmp_path / "project")
    spec = project / "models" / "fraud-detector.yaml"
    text = spec.read_text(encoding="utf-8")
    assert old in text
    spec.write_text(text.replace(old, new), encoding="utf-8")
    return build_plan(project, "dev")


def test_check_settings_come_from_the_spec(tmp_path: Path) -> None:
    built = _edited(
        tmp_path,
        "    data_quality: {}\n    bias: {}\n",
        "    data_quality: {skip_check: true, instance_type: ml.m5.2xlarge}\n    bias: {register_new_baseline: true}\n",
    )
    found = steps(built, "fraud-detector")
    assert (found["DataQuality"]["SkipCheck"], found["DataQuality"]["RegisterNewBaseline"]) == (True, False)
    assert found["DataQuality"]["Arguments"]["ProcessingResources"]["ClusterConfig"]["InstanceType"] == "ml.m5.2xlarge"
    assert (found["DataBias"]["SkipCheck"], found["DataBias"]["RegisterNewBaseline"]) == (False, True)


def test_a_disabled_check_is_left_out(tmp_path: Path) -> None:
    built = _edited(tmp_path, "    bias: {}\n", "    bias: {enabled: false}\n")
    found = steps(built, "fraud-detector")
    assert list(found) == ["Prepare", "DataQuality", "Train", "Evaluate", "CheckThreshold"]
    assert set(register(found)["ModelMetrics"]["ModelDataQuality"]) == {"Statistics", "Constraints"}
    assert "Bias" not in register(found)["DriftCheckBaselines"]
    assert not [r for r in built.resources if r["type"] == OBJECT and "/checks/" in r["inputs"]["key"]]


def test_facet_values_reach_the_bias_configuration(tmp_path: Path) -> None:
    built = _edited(tmp_path, "      - {name: home_country}\n", "      - {name: home_country, values_or_threshold: [DE, FR]}\n")
    (config,) = [r for r in built.resources if r["type"] == OBJECT and r["inputs"]["key"] == CONFIG_KEY]
    assert json.loads(config["inputs"]["content"])["facet"] == [{"name_or_index": "home_country", "value_or_threshold": ["DE", "FR"]}]


def test_without_checks_the_definition_is_the_one_with_them_less_checks_and_baselines(tmp_path: Path) -> None:
    built = _edited(tmp_path, "  checks:\n    data_quality: {}\n    bias: {}\n", "")
    without = steps(built, "fraud-detector")
    with_checks = steps(plan("dev"), "fraud-detector")
    for name in ("DataQuality", "DataBias"):
        del with_checks[name]
    for key in ("ModelMetrics", "DriftCheckBaselines"):
        del register(with_checks)[key]
    assert without == with_checks


def test_prod_gate_blocks_a_high_risk_model_that_skips_a_check(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from mlops.cli import app

    project = copy_project(tmp_path / "project")
    spec = project / "models" / "fraud-detector.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("    bias: {}\n", "    bias: {skip_check: true}\n"), encoding="utf-8")
    result = CliRunner().invoke(app, ["plan", "--stack", "prod", "-C", str(project)])
    assert result.exit_code == 1
    report = json.loads((project / "reports" / "prod" / "policy-report.json").read_text(encoding="utf-8"))
    (violation,) = [v for v in report["violations"] if v["policy_id"] == "pipeline-checks-required"]
    assert (violation["blocking"], violation["model"]) == (True, "fraud-detector")
    assert violation["message"] == (
        "Pipeline fraud-detector-training-pipeline step DataBias must not skip its pre-training bias check (SkipCheck is "
        f"true); set training.checks.bias.skip_check: false for this environment in {spec}"
    )
