"""The batch inference pipeline of one model (`serving.mode: batch`), built with the SageMaker SDK 2.x."""

from __future__ import annotations

from dataclasses import dataclass

# The adapter sets the SDK up for offline use (no instance metadata, no telemetry, no banner),
# which must happen before any sagemaker module is imported.
from .sagemaker_adapter import building_steps, has_instance_storage, offline_session  # isort: skip

from sagemaker.inputs import BatchDataCaptureConfig
from sagemaker.model import Model
from sagemaker.transformer import Transformer
from sagemaker.workflow.model_step import ModelStep
from sagemaker.workflow.pipeline import Pipeline
from sagemaker.workflow.pipeline_definition_config import PipelineDefinitionConfig
from sagemaker.workflow.steps import TransformStep

from .specs.model import ModelSpec

# Transform outputs land under this prefix of the model's artifacts prefix.
OUTPUT_PREFIX = "batch-output"


@dataclass(frozen=True)
class BatchContext:
    """Physical names and ARNs the batch definition refers to, resolved from the stack."""

    region: str
    role_arn: str
    artifacts_bucket: str
    kms_key_arn: str
    pipeline_name: str
    # The inference image the unpinned artifact runs in (a model package names its own).
    image_uri: str
    # The pinned model package version's ARN; None transforms with the unpinned serving artifact.
    model_package_arn: str | None
    # Where batch data capture writes (None: capture is off).
    capture_uri: str | None
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()


class _RegisteredModel(Model):
    """A model whose container is a registered model package version.

    The SDK's ModelPackage describes the package while building the step and approves it when it is
    not Approved: that needs AWS, and would bypass the registry's manual approval gate.
    """

    def __init__(self, model_package_arn: str, **kwargs) -> None:
        super().__init__(image_uri=None, **kwargs)
        self._package_arn = model_package_arn

    def prepare_container_def(self, *args, **kwargs) -> dict:
        container = {"ModelPackageName": self._package_arn}
        if self.env:
            container["Environment"] = dict(self.env)
        return container


def batch_pipeline_definition(spec: ModelSpec, ctx: BatchContext) -> str:
    """CreateModel → Transform (input prefix → encrypted output, optional capture), as JSON."""
    with building_steps():
        return _definition(spec, ctx)


def _definition(spec: ModelSpec, ctx: BatchContext) -> str:
    batch = spec.serving.batch
    assert batch is not None, "the spec requires serving.batch in mode 'batch'"
    session = offline_session(ctx.region, ctx.artifacts_bucket)
    # With custom job prefixes, SageMaker Pipelines names the model and the transform job
    # `<pipeline name>-<suffix>`: the execution role's permissions are scoped to that prefix.
    common = dict(
        name=ctx.pipeline_name,
        role=ctx.role_arn,
        # Plain text only: the spec refuses secret values in batch mode, as the definition is
        # readable by whoever may describe the pipeline.
        env=dict(sorted(spec.serving.environment.items())),
        vpc_config={"Subnets": list(ctx.subnet_ids), "SecurityGroupIds": list(ctx.security_group_ids)} if ctx.subnet_ids else None,
        enable_network_isolation=spec.serving.network_isolation,
        sagemaker_session=session,
    )
    model = (
        _RegisteredModel(ctx.model_package_arn, **common)
        if ctx.model_package_arn is not None
        else Model(
            image_uri=ctx.image_uri,
            model_data=f"s3://{ctx.artifacts_bucket}/{spec.name}/serving/model.tar.gz",
            **common,
        )
    )
    create = ModelStep("Model", step_args=model.create(instance_type=batch.instance_type))
    transformer = Transformer(
        model_name=create.properties.ModelName,
        instance_count=batch.instance_count,
        instance_type=batch.instance_type,
        # Records split on lines are written back one answer per line, in input order.
        assemble_with="Line" if batch.split_type == "Line" else None,
        output_path=f"s3://{ctx.artifacts_bucket}/{spec.name}/{OUTPUT_PREFIX}",
        output_kms_key=ctx.kms_key_arn,
        # SageMaker rejects a volume key for instance types with local NVMe storage.
        volume_kms_key=None if has_instance_storage(batch.instance_type) else ctx.kms_key_arn,
        accept=batch.content_type,
        max_payload=batch.max_payload_mb,
        base_transform_job_name=ctx.pipeline_name,
        sagemaker_session=session,
    )
    transform = TransformStep(
        "Transform",
        step_args=transformer.transform(
            batch.input_s3_uri,
            content_type=batch.content_type,
            split_type=batch.split_type,
            batch_data_capture_config=(
                BatchDataCaptureConfig(destination_s3_uri=ctx.capture_uri, kms_key_id=ctx.kms_key_arn)
                if ctx.capture_uri is not None
                else None
            ),
        ),
    )
    pipeline = Pipeline(
        name=ctx.pipeline_name,
        steps=[create, transform],
        sagemaker_session=session,
        pipeline_definition_config=PipelineDefinitionConfig(use_custom_job_prefix=True),
    )
    return pipeline.definition()

