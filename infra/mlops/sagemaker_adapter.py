"""The one place that talks to the SageMaker Python SDK 2.x: image URIs and pipeline definitions."""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

# The SDK must build definitions without AWS: no instance-metadata lookups, no telemetry,
# no v2 deprecation banner on every import.
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")
logging.getLogger("sagemaker").setLevel(logging.ERROR)
logging.getLogger("sagemaker.config").setLevel(logging.ERROR)
# The SDK raises the root logger to INFO; botocore would then log every endpoint it resolves
# from AWS_ENDPOINT_URL (set when the live commands talk to an emulator).
logging.getLogger("botocore").setLevel(logging.WARNING)

import boto3  # noqa: E402
import sagemaker.estimator  # noqa: E402
import sagemaker.utils  # noqa: E402
from sagemaker import image_uris  # noqa: E402
from sagemaker.clarify import BiasConfig, DataConfig  # noqa: E402
from sagemaker.drift_check_baselines import DriftCheckBaselines  # noqa: E402
from sagemaker.clarify import ModelConfig, SHAPConfig  # noqa: E402
from sagemaker.estimator import Estimator  # noqa: E402
from sagemaker.inputs import TrainingInput  # noqa: E402
from sagemaker.model import Model  # noqa: E402
from sagemaker.model_monitor.clarify_model_monitoring import BiasAnalysisConfig, ExplainabilityAnalysisConfig  # noqa: E402
from sagemaker.model_metrics import MetricsSource, ModelMetrics  # noqa: E402
from sagemaker.model_monitor.dataset_format import DatasetFormat  # noqa: E402
from sagemaker.network import NetworkConfig  # noqa: E402
from sagemaker.processing import ProcessingInput, ProcessingOutput, ScriptProcessor  # noqa: E402
from sagemaker.workflow.check_job_config import CheckJobConfig  # noqa: E402
from sagemaker.workflow.clarify_check_step import ClarifyCheckStep, DataBiasCheckConfig  # noqa: E402
from sagemaker.workflow.condition_step import ConditionStep  # noqa: E402
from sagemaker.workflow.conditions import ConditionGreaterThanOrEqualTo, ConditionLessThanOrEqualTo  # noqa: E402
from sagemaker.workflow.entities import PipelineVariable  # noqa: E402
from sagemaker.workflow.fail_step import FailStep  # noqa: E402
from sagemaker.workflow.functions import JsonGet  # noqa: E402
from sagemaker.workflow.model_step import ModelStep  # noqa: E402
from sagemaker.workflow.pipeline import Pipeline  # noqa: E402
from sagemaker.workflow.pipeline_context import PipelineSession  # noqa: E402
from sagemaker.workflow.pipeline_definition_config import PipelineDefinitionConfig  # noqa: E402
from sagemaker.workflow.properties import PropertyFile  # noqa: E402
from sagemaker.workflow.quality_check_step import DataQualityCheckConfig, QualityCheckStep  # noqa: E402
from sagemaker.workflow.steps import ProcessingStep, TrainingStep  # noqa: E402

from .specs.model import Comparison, ModelSpec, PipelineCheck  # noqa: E402

_SDK_CONFIG = {"SchemaVersion": "1.0", "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}}}
_validate_sdk_config = sagemaker.utils.validate_sagemaker_config
_validate_sdk_config(_SDK_CONFIG)
# The SDK re-validates its whole JSON schema on every config lookup (about 0.2 s, 25 lookups
# per pipeline); our config never changes, so it is validated once above.
sagemaker.utils.validate_sagemaker_config = lambda config=None: None if config is _SDK_CONFIG else _validate_sdk_config(config)



class _NoTensorBoardApp:
    """Stands in for the TensorBoard app helper every Estimator builds, which creates a boto3
    SageMaker client (a third of a definition's cost) used only to open TensorBoard in Studio."""

    def __init__(self, region: str | None = None) -> None:
        self.region = region


sagemaker.estimator.TensorBoardApp = _NoTensorBoardApp

# The SDK parses botocore's endpoints.json (50 ms) for every image URI it looks up itself, as the
# check steps' Model Monitor and Clarify processors do; the file never changes within a process.
sagemaker.utils._botocore_resolver = functools.lru_cache(maxsize=1)(sagemaker.utils._botocore_resolver)

PROCESSING_FRAMEWORK = ("sklearn", "1.2-1")
_FRAMEWORKS_NEEDING_PY_VERSION = {"pytorch", "tensorflow"}


def has_instance_storage(instance_type: str) -> bool:
    """Instance families with local NVMe storage (m5d, c6id, g4dn, g5, p4d, …), which the hardware encrypts.

    SageMaker rejects a volume KMS key for these families, for endpoints and training jobs alike.
    """
    family = instance_type.split(".")[1]
    return family.endswith("d") or family.endswith("dn") or family.startswith(("g5", "g6", "p4", "p5", "inf", "trn"))


class ImageLookupError(ValueError):
    """The SDK knows no image for this framework, version and region."""


# The SDK re-reads its image JSON tables on every lookup (about 0.15 s each).
@functools.lru_cache(maxsize=512)
def image_uri(framework: str, version: str, region: str, scope: str, instance_type: str | None, py_version: str | None = None) -> str:
    """The ECR image SageMaker publishes for a framework version, resolved offline."""
    kwargs = {"py_version": py_version} if framework in _FRAMEWORKS_NEEDING_PY_VERSION else {}
    try:
        return image_uris.retrieve(
            framework, region, version=version, image_scope=scope, instance_type=instance_type or "ml.m5.large", **kwargs
        )
    except ValueError as e:
        raise ImageLookupError(str(e)) from e


def training_image(spec: ModelSpec, region: str) -> str:
    t = spec.training
    if t.image_uri:
        return t.image_uri
    return image_uri(t.framework, t.framework_version, region, "training", t.instance_type, t.py_version)


def inference_image(spec: ModelSpec, region: str) -> str:
    if spec.serving.image_uri:
        return spec.serving.image_uri
    t = spec.training
    if t.image_uri:
        return t.image_uri
    # A batch transform runs on its own instances: a GPU transform needs the GPU image.
    serving = spec.serving
    instance_type = serving.batch.instance_type if serving.batch is not None else serving.instance_type
    return image_uri(t.framework, t.framework_version, region, "inference", instance_type, t.py_version)


class _OfflineSession(PipelineSession):
    """Keeps the files the SDK would upload while it builds steps (a Clarify check's analysis
    configuration) instead of sending them: the stack declares them as S3 objects."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.uploads: dict[str, str] = {}

    def upload_data(self, path, bucket=None, key_prefix="data", callback=None, extra_args=None):
        key = f"{key_prefix}/{Path(path).name}"
        self.uploads[f"s3://{bucket}/{key}"] = Path(path).read_text(encoding="utf-8")
        return f"s3://{bucket}/{key}"

    def upload_string_as_file_body(self, body, bucket, key, kms_key=None):
        self.uploads[f"s3://{bucket}/{key}"] = body
        return f"s3://{bucket}/{key}"


@functools.lru_cache(maxsize=8)
def offline_session(region: str, bucket: str) -> _OfflineSession:
    # Static credentials: building a definition never calls AWS, and must not need an account.
    boto_session = boto3.Session(aws_access_key_id="offline", aws_secret_access_key="offline", region_name=region)
    return _OfflineSession(boto_session=boto_session, default_bucket=bucket, sagemaker_config=_SDK_CONFIG)


@dataclass(frozen=True)
class PipelineContext:
    """Physical names and ARNs the definition refers to, resolved from the stack."""

    region: str
    role_arn: str
    artifacts_bucket: str
    kms_key_arn: str
    model_package_group: str
    job_prefix: str
    approval_status: str
    input_uris: dict[str, str]
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    # The stack's MLflow tracking server, which the training job logs its runs to.
    tracking_server_arn: str | None = None


@dataclass(frozen=True)
class BuiltPipeline:
    """A pipeline definition and the files it reads that the stack must put in the artifacts
    bucket first, by key (see `check_files`)."""

    definition: str
    files: dict[str, str] = field(default_factory=dict)


def enabled_checks(spec: ModelSpec) -> dict[str, PipelineCheck]:
    """The checks the training pipeline runs before registration, by kind."""
    checks = spec.training.checks
    found = {"data-quality": checks.data_quality, "data-bias": checks.bias}
    return {kind: check for kind, check in found.items() if check is not None and check.enabled}


def _bias_config_prefix(model: str) -> str:
    return f"{model}/checks/data-bias/config"


def check_files(spec: ModelSpec) -> dict[str, str]:
    """The artifacts-bucket keys of the files `pipeline_definition` returns, by the check that
    reads each; known before the definition is built."""
    if "data-bias" not in enabled_checks(spec):
        return {}
    return {"data-bias": f"{_bias_config_prefix(spec.name)}/analysis_config.json"}


@contextlib.contextmanager
def building_steps() -> Iterator[None]:
    """Step arguments are built in a PipelineSession, which warns that it starts no jobs: quiet it."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Running within a PipelineSession", category=UserWarning)
        yield


def pipeline_definition(spec: ModelSpec, ctx: PipelineContext) -> BuiltPipeline:
    """Preprocess → [data-quality and bias checks] → Train → Evaluate → threshold check →
    RegisterModel (else Fail), as JSON."""
    session = offline_session(ctx.region, ctx.artifacts_bucket)
    session.uploads = {}
    with building_steps():
        definition = _definition(spec, ctx)
    # Model Monitor's copy of a Clarify configuration (under a timestamped key) is uploaded as well;
    # only the files the steps read are declared.
    bucket = f"s3://{ctx.artifacts_bucket}/"
    files = {uri.removeprefix(bucket): body for uri, body in session.uploads.items() if uri in definition}
    return BuiltPipeline(definition, files)


def _network(ctx: PipelineContext) -> NetworkConfig:
    return NetworkConfig(
        encrypt_inter_container_traffic=True,
        subnets=list(ctx.subnet_ids) or None,
        security_group_ids=list(ctx.security_group_ids) or None,
    )


def _check_job(ctx: PipelineContext, kind: str, check: PipelineCheck) -> CheckJobConfig:
    return CheckJobConfig(
        role=ctx.role_arn,
        instance_count=1,
        instance_type=check.instance_type,
        volume_kms_key=None if has_instance_storage(check.instance_type) else ctx.kms_key_arn,
        output_kms_key=ctx.kms_key_arn,
        base_job_name=f"{ctx.job_prefix}-{kind}",
        sagemaker_session=offline_session(ctx.region, ctx.artifacts_bucket),
        network_config=_network(ctx),
    )


def _check_steps(
    spec: ModelSpec, ctx: PipelineContext, train_split: PipelineVariable
) -> dict[str, QualityCheckStep | ClarifyCheckStep]:
    """The enabled checks on the prepared training split; each fetches its baseline from the
    latest approved package of the group and fails the pipeline on a violation."""
    base = f"s3://{ctx.artifacts_bucket}/{spec.name}/checks"
    steps: dict[str, QualityCheckStep | ClarifyCheckStep] = {}
    checks = enabled_checks(spec)
    if "data-quality" in checks:
        check = checks["data-quality"]
        steps["data-quality"] = QualityCheckStep(
            "DataQuality",
            quality_check_config=DataQualityCheckConfig(
                baseline_dataset=train_split,
                dataset_format=DatasetFormat.csv(header=False),
                output_s3_uri=f"{base}/data-quality",
            ),
            check_job_config=_check_job(ctx, "data-quality", check),
            skip_check=check.skip_check,
            register_new_baseline=check.register_new_baseline,
            model_package_group_name=ctx.model_package_group,
        )
    if "data-bias" in checks:
        check, bias = checks["data-bias"], spec.monitoring.bias
        headers = [f.name for f in spec.input_features] + [bias.label]
        steps["data-bias"] = ClarifyCheckStep(
            "DataBias",
            clarify_check_config=DataBiasCheckConfig(
                data_config=DataConfig(
                    s3_data_input_path=train_split,
                    s3_output_path=f"{base}/data-bias",
                    s3_analysis_config_output_path=f"s3://{ctx.artifacts_bucket}/{_bias_config_prefix(spec.name)}",
                    label=bias.label,
                    headers=headers,
                    dataset_type="text/csv",
                ),
                data_bias_config=_bias_config(bias.positive_label, [(f.name, f.values_or_threshold) for f in bias.facets]),
                kms_key=ctx.kms_key_arn,
            ),
            check_job_config=_check_job(ctx, "data-bias", check),
            skip_check=check.skip_check,
            register_new_baseline=check.register_new_baseline,
            model_package_group_name=ctx.model_package_group,
        )
    return steps


def _registered_baselines(steps: dict[str, QualityCheckStep | ClarifyCheckStep]) -> dict:
    """The checks' results as the package's model metrics, and the baselines they checked against
    as its drift-check baselines (the SDK's documented pattern)."""
    if not steps:
        return {}
    metrics, baselines = {}, {}

    def source(prop: PipelineVariable) -> MetricsSource:
        return MetricsSource(s3_uri=prop, content_type="application/json")

    if quality := steps.get("data-quality"):
        metrics["model_data_statistics"] = source(quality.properties.CalculatedBaselineStatistics)
        metrics["model_data_constraints"] = source(quality.properties.CalculatedBaselineConstraints)
        baselines["model_data_statistics"] = source(quality.properties.BaselineUsedForDriftCheckStatistics)
        baselines["model_data_constraints"] = source(quality.properties.BaselineUsedForDriftCheckConstraints)
    if bias := steps.get("data-bias"):
        metrics["bias_pre_training"] = source(bias.properties.CalculatedBaselineConstraints)
        baselines["bias_pre_training_constraints"] = source(bias.properties.BaselineUsedForDriftCheckConstraints)
    return {"model_metrics": ModelMetrics(**metrics), "drift_check_baselines": DriftCheckBaselines(**baselines)}


def _definition(spec: ModelSpec, ctx: PipelineContext) -> str:
    session = offline_session(ctx.region, ctx.artifacts_bucket)
    base = f"s3://{ctx.artifacts_bucket}/{spec.name}"
    network = (
        {"subnets": list(ctx.subnet_ids), "security_group_ids": list(ctx.security_group_ids)} if ctx.subnet_ids else {}
    )
    processor = ScriptProcessor(
        image_uri=image_uri(*PROCESSING_FRAMEWORK, ctx.region, "training", None),
        command=["python3"],
        role=ctx.role_arn,
        instance_type="ml.m5.xlarge",
        instance_count=1,
        base_job_name=f"{ctx.job_prefix}-process",
        volume_kms_key=ctx.kms_key_arn,
        output_kms_key=ctx.kms_key_arn,
        sagemaker_session=session,
        network_config=_network(ctx),
    )
    prepare = ProcessingStep(
        "Prepare",
        step_args=processor.run(
            code=f"{base}/code/prepare.py",
            inputs=[
                ProcessingInput(source=uri, destination=f"/opt/ml/processing/input/{channel}", input_name=channel)
                for channel, uri in sorted(ctx.input_uris.items())
            ],
            outputs=[
                ProcessingOutput(output_name=split, source=f"/opt/ml/processing/{split}", destination=f"{base}/prepared/{split}")
                for split in ("train", "validation", "test")
            ],
        ),
    )
    t = spec.training
    estimator = Estimator(
        image_uri=training_image(spec, ctx.region),
        role=ctx.role_arn,
        instance_type=t.instance_type,
        instance_count=t.instance_count,
        volume_size=t.volume_size_gb,
        max_run=t.max_runtime_minutes * 60,
        output_path=f"{base}/models",
        output_kms_key=ctx.kms_key_arn,
        volume_kms_key=None if has_instance_storage(t.instance_type) else ctx.kms_key_arn,
        base_job_name=f"{ctx.job_prefix}-train",
        # Multi-instance jobs exchange gradients between containers; encrypt that traffic.
        encrypt_inter_container_traffic=True,
        enable_network_isolation=True,
        hyperparameters={k: str(v) for k, v in sorted(t.hyperparameters.items())},
        sagemaker_session=session,
        **({"environment": {"MLFLOW_TRACKING_ARN": ctx.tracking_server_arn}} if ctx.tracking_server_arn else {}),
        **network,
    )
    outputs = prepare.properties.ProcessingOutputConfig.Outputs
    checks = _check_steps(spec, ctx, outputs["train"].S3Output.S3Uri)
    train = TrainingStep(
        "Train",
        step_args=estimator.fit(
            {split: TrainingInput(outputs[split].S3Output.S3Uri) for split in ("train", "validation")}
        ),
    )
    report = PropertyFile(name="EvaluationReport", output_name="evaluation", path="evaluation.json")
    evaluate = ProcessingStep(
        "Evaluate",
        step_args=processor.run(
            code=f"{base}/code/evaluate.py",
            inputs=[
                ProcessingInput(source=train.properties.ModelArtifacts.S3ModelArtifacts, destination="/opt/ml/processing/model"),
                ProcessingInput(source=outputs["test"].S3Output.S3Uri, destination="/opt/ml/processing/test"),
            ],
            outputs=[ProcessingOutput(output_name="evaluation", source="/opt/ml/processing/evaluation", destination=f"{base}/evaluation")],
        ),
        property_files=[report],
    )
    model = Model(
        image_uri=inference_image(spec, ctx.region),
        model_data=train.properties.ModelArtifacts.S3ModelArtifacts,
        role=ctx.role_arn,
        sagemaker_session=session,
    )
    inference_instances = [spec.serving.instance_type] if spec.serving.instance_type else ["ml.m5.large"]
    register = ModelStep(
        "Register",
        step_args=model.register(
            content_types=["text/csv", "application/json"],
            response_types=["application/json"],
            inference_instances=inference_instances,
            transform_instances=["ml.m5.xlarge"],
            model_package_group_name=ctx.model_package_group,
            approval_status=ctx.approval_status,
            description=f"{spec.name}: {t.evaluation.metric} checked against {t.evaluation.threshold}",
            **_registered_baselines(checks),
        ),
    )
    metric = JsonGet(step_name=evaluate.name, property_file=report, json_path=f"metrics.{t.evaluation.metric}.value")
    condition = (
        ConditionGreaterThanOrEqualTo(left=metric, right=t.evaluation.threshold)
        if t.evaluation.comparison is Comparison.GREATER_THAN_OR_EQUAL
        else ConditionLessThanOrEqualTo(left=metric, right=t.evaluation.threshold)
    )
    fail = FailStep(
        "BelowThreshold",
        error_message=f"{t.evaluation.metric} did not meet {t.evaluation.comparison.value} {t.evaluation.threshold}; not registered",
    )
    check = ConditionStep("CheckThreshold", conditions=[condition], if_steps=[register], else_steps=[fail])
    pipeline = Pipeline(
        name=ctx.job_prefix,
        steps=[prepare, *checks.values(), train, evaluate, check],
        sagemaker_session=session,
        pipeline_definition_config=PipelineDefinitionConfig(use_custom_job_prefix=True),
    )
    return pipeline.definition()



@functools.lru_cache(maxsize=32)
def model_monitor_image(region: str) -> str:
    """The image SageMaker Model Monitor runs its analysis jobs in."""
    return image_uris.retrieve("model-monitor", region)


@functools.lru_cache(maxsize=32)
def clarify_image(region: str) -> str:
    """The image bias and feature-attribution monitors run in: SageMaker Clarify's, not Model Monitor's."""
    return image_uris.retrieve("clarify", region)


def bias_analysis_config(
    headers: list[str], label: str, positive_label: list[str | int | float], facets: list[tuple[str, list[str | int | float]]]
) -> str:
    """The Clarify analysis configuration a model-bias monitor reads from its ConfigUri, as JSON.

    A facet without values or threshold compares every one of its values with the rest.
    """
    # The SDK uploads exactly this dict when it creates a bias monitor itself.
    config = BiasAnalysisConfig(_bias_config(positive_label, facets), headers=headers, label=label)
    return json.dumps(config._to_dict(), sort_keys=True)


def _bias_config(positive_label: list[str | int | float], facets: list[tuple[str, list[str | int | float]]]) -> BiasConfig:
    """Clarify's label values and facets, for the pipeline's pre-training check and the bias monitor alike."""
    return BiasConfig(
        label_values_or_threshold=list(positive_label),
        facet_name=[name for name, _ in facets],
        facet_values_or_threshold=[list(values) or None for _, values in facets],
    )


def explainability_analysis_config(
    headers: list[str], endpoint_name: str, shap_baseline_uri: str, num_samples: int, agg_method: str
) -> str:
    """The Clarify analysis configuration a feature-attribution monitor reads from its ConfigUri, as JSON.

    SHAP's synthetic samples are scored by the monitored endpoint itself (the SDK's endpoint-based
    ModelConfig), so no shadow endpoint is started for each run.
    """
    shap = SHAPConfig(baseline=shap_baseline_uri, num_samples=num_samples, agg_method=agg_method)
    model = ModelConfig(endpoint_name=endpoint_name, content_type="text/csv", accept_type="text/csv")
    return json.dumps(ExplainabilityAnalysisConfig(shap, model, headers=headers)._to_dict(), sort_keys=True)
