"""The SageMaker training pipeline of one model and the EventBridge rules that start it."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .. import sagemaker_adapter
from ..specs.model import ModelSpec
from ..specs.names import resource_name
from . import pipeline_starts


@dataclass
class TrainingPipelineArgs:
    spec: ModelSpec
    name_prefix: str
    environment: str
    region: str
    role_arn: pulumi.Input[str]
    trigger_role_arn: pulumi.Input[str]
    trigger_role_name: pulumi.Input[str]
    key_arn: pulumi.Input[str]
    artifacts_bucket: pulumi.Input[str]
    model_package_group: pulumi.Input[str]
    input_uris: dict[str, pulumi.Input[str]]
    subnet_ids: list[str]
    security_group_ids: list[str]
    tags: dict[str, str]
    # The stack's MLflow tracking server (None: the stack has none).
    tracking_server_arn: pulumi.Input[str] | None = None


class TrainingPipeline(pulumi.ComponentResource):
    """Prepare → [checks] → Train → Evaluate → threshold → Register, retrained on a schedule and on new data."""

    pipeline_arn: pulumi.Output[str]

    def __init__(self, name: str, args: TrainingPipelineArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:sagemaker:TrainingPipeline", name, None, opts)
        spec = args.spec
        child = pulumi.ResourceOptions(parent=self)
        pipeline_name = resource_name(args.name_prefix, args.environment, spec.name)
        approval = "Approved" if spec.registry.approval.value == "automatic" else "PendingManualApproval"
        channels = sorted(args.input_uris)
        tracking = [args.tracking_server_arn] if args.tracking_server_arn is not None else []

        def build(values: list[str]) -> sagemaker_adapter.BuiltPipeline:
            role_arn, bucket, key_arn, group, *rest = values
            uris, tracking_arn = rest[: len(channels)], rest[len(channels)] if tracking else None
            return sagemaker_adapter.pipeline_definition(
                spec,
                sagemaker_adapter.PipelineContext(
                    region=args.region,
                    role_arn=role_arn,
                    artifacts_bucket=bucket,
                    kms_key_arn=key_arn,
                    model_package_group=group,
                    job_prefix=pipeline_name,
                    approval_status=approval,
                    input_uris=dict(zip(channels, uris)),
                    subnet_ids=tuple(args.subnet_ids),
                    security_group_ids=tuple(args.security_group_ids),
                    tracking_server_arn=tracking_arn,
                ),
            )

        built = pulumi.Output.all(
            args.role_arn, args.artifacts_bucket, args.key_arn, args.model_package_group,
            *[args.input_uris[c] for c in channels], *tracking,
        ).apply(build)
        # The files the steps read (a Clarify check's analysis configuration), written before the
        # pipeline can run; their keys are known before the definition is built.
        files = [
            aws.s3.BucketObjectv2(
                f"{name}-{check}-config",
                bucket=args.artifacts_bucket,
                key=key,
                content=built.apply(lambda b, key=key: b.files[key]),
                content_type="application/json",
                server_side_encryption="aws:kms",
                kms_key_id=args.key_arn,
                bucket_key_enabled=True,
                tags=args.tags,
                opts=child,
            )
            for check, key in sagemaker_adapter.check_files(spec).items()
        ]
        pipeline = aws.sagemaker.Pipeline(
            f"{name}-pipeline",
            pipeline_name=pipeline_name,
            pipeline_display_name=pipeline_name,
            pipeline_description=spec.metadata.description,
            role_arn=args.role_arn,
            pipeline_definition=built.apply(lambda b: b.definition),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=files) if files else child,
        )
        pipeline_starts.allow_start(f"{name}-start-pipeline", pipeline, args.trigger_role_name, self)
        triggers = spec.training.triggers
        if triggers.schedule:
            pipeline_starts.start_on(
                f"{name}-schedule", pipeline, args.trigger_role_arn, args.tags, self,
                schedule_expression=triggers.schedule, description=f"Retrains {spec.name} on schedule {triggers.schedule}",
            )
        if triggers.on_new_data:
            pipeline_starts.start_on(
                f"{name}-new-data", pipeline, args.trigger_role_arn, args.tags, self,
                event_pattern=pipeline_starts.new_data_pattern(triggers.on_new_data.s3_uri),
                description=pipeline_starts.fit(
                    f"Retrains {spec.name} when data lands under {triggers.on_new_data.s3_uri}",
                    f"Retrains {spec.name} when data lands under its new-data prefix",
                ),
            )
        self.pipeline_arn = pipeline.arn
        self.register_outputs({"pipelineArn": pipeline.arn, "pipelineName": pipeline_name})
