"""A batch-scored model: the SageMaker pipeline that transforms new data, its triggers and its failure alarm."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .. import sagemaker_batch
from ..specs.model import ModelSpec
from ..specs.stack import Network
from . import pipeline_starts

# SageMaker Pipelines publishes execution counts per pipeline in this namespace (PipelineName dimension).
PIPELINE_METRICS_NAMESPACE = "AWS/Sagemaker/ModelBuildingPipeline"


@dataclass
class BatchArgs:
    spec: ModelSpec
    pipeline_name: str
    region: str
    role_arn: pulumi.Input[str]
    trigger_role_arn: pulumi.Input[str]
    trigger_role_name: pulumi.Input[str]
    key_arn: pulumi.Input[str]
    topic_arn: pulumi.Input[str]
    artifacts_bucket: pulumi.Input[str]
    image_uri: str
    # The pinned model package version's ARN; None transforms with the unpinned serving artifact.
    model_package_arn: pulumi.Input[str] | None
    capture_uri: pulumi.Input[str]
    network: Network | None
    tags: dict[str, str]


class Batch(pulumi.ComponentResource):
    """Model → Transform pipeline, started on a schedule and/or when data lands, alarming when it fails."""

    pipeline_name: pulumi.Output[str]

    def __init__(self, name: str, args: BatchArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:sagemaker:Batch", name, None, opts)
        spec = args.spec
        batch = spec.serving.batch
        assert batch is not None, "the spec requires serving.batch in mode 'batch'"
        child = pulumi.ResourceOptions(parent=self)
        network = args.network
        capture = spec.serving.data_capture.enabled

        def definition(values: list) -> str:
            role_arn, bucket, key_arn, package_arn, capture_uri = values
            return sagemaker_batch.batch_pipeline_definition(
                spec,
                sagemaker_batch.BatchContext(
                    region=args.region,
                    role_arn=role_arn,
                    artifacts_bucket=bucket,
                    kms_key_arn=key_arn,
                    pipeline_name=args.pipeline_name,
                    image_uri=args.image_uri,
                    model_package_arn=package_arn,
                    capture_uri=capture_uri if capture else None,
                    subnet_ids=tuple(network.subnet_ids) if network else (),
                    security_group_ids=tuple(network.security_group_ids) if network else (),
                ),
            )

        pipeline = aws.sagemaker.Pipeline(
            f"{name}-pipeline",
            pipeline_name=args.pipeline_name,
            pipeline_display_name=args.pipeline_name,
            pipeline_description=f"Batch inference of {spec.name} on {batch.input_s3_uri}",
            role_arn=args.role_arn,
            pipeline_definition=pulumi.Output.all(
                args.role_arn, args.artifacts_bucket, args.key_arn, args.model_package_arn, args.capture_uri
            ).apply(definition),
            tags=args.tags,
            opts=child,
        )
        pipeline_starts.allow_start(f"{name}-start-pipeline", pipeline, args.trigger_role_name, self)
        if batch.schedule:
            pipeline_starts.start_on(
                f"{name}-schedule", pipeline, args.trigger_role_arn, args.tags, self,
                schedule_expression=batch.schedule, description=f"Scores {spec.name} in batch on schedule {batch.schedule}",
            )
        if batch.on_new_data:
            pipeline_starts.start_on(
                f"{name}-new-data", pipeline, args.trigger_role_arn, args.tags, self,
                event_pattern=pipeline_starts.new_data_pattern(batch.input_s3_uri),
                description=pipeline_starts.fit(
                    f"Scores {spec.name} in batch when data lands under {batch.input_s3_uri}",
                    f"Scores {spec.name} in batch when data lands under its input prefix",
                ),
            )
        aws.cloudwatch.MetricAlarm(
            f"{name}-failed-alarm",
            name=f"{args.pipeline_name}-failed",
            alarm_description=f"a batch inference run of {spec.name} ({args.pipeline_name}) failed",
            namespace=PIPELINE_METRICS_NAMESPACE,
            metric_name="ExecutionFailed",
            dimensions={"PipelineName": args.pipeline_name},
            statistic="Sum",
            period=300,
            evaluation_periods=1,
            threshold=0,
            comparison_operator="GreaterThanThreshold",
            # Most periods have no run at all: that is not a failure.
            treat_missing_data="notBreaching",
            alarm_actions=[args.topic_arn],
            ok_actions=[args.topic_arn],
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[pipeline]),
        )
        self.pipeline_name = pipeline.pipeline_name
        self.register_outputs({"pipelineArn": pipeline.arn, "pipelineName": pipeline.pipeline_name})
