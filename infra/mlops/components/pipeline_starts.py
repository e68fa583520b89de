"""What starts a SageMaker pipeline: the trigger role's permission, EventBridge schedule and new-data
rules with their targets. The training pipeline and the batch inference pipeline start alike."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

# EventBridge rule descriptions stop at 512 characters; an S3 prefix alone may take 512.
RULE_DESCRIPTION_MAX = 512


def fit(description: str, shorter: str) -> str:
    return description if len(description) <= RULE_DESCRIPTION_MAX else shorter


def allow_start(name: str, pipeline: aws.sagemaker.Pipeline, trigger_role_name: pulumi.Input[str], parent: pulumi.Resource) -> None:
    """The trigger role may start this pipeline and nothing else."""
    aws.iam.RolePolicy(
        name,
        role=trigger_role_name,
        policy=pulumi.Output.json_dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": ["sagemaker:StartPipelineExecution"], "Resource": [pipeline.arn]}],
            }
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def new_data_pattern(s3_uri: str) -> str:
    """The S3 "Object Created" events under `s3_uri`. S3 sends them only when the source bucket has
    EventBridge notifications turned on (a bucket-level setting owned by the data team)."""
    bucket, _, prefix = s3_uri.removeprefix("s3://").partition("/")
    return json.dumps(
        {
            "source": ["aws.s3"],
            "detail-type": ["Object Created"],
            "detail": {"bucket": {"name": [bucket]}, "object": {"key": [{"prefix": prefix}]}},
        }
    )


def start_on(
    name: str,
    pipeline: aws.sagemaker.Pipeline,
    trigger_role_arn: pulumi.Input[str],
    tags: dict[str, str],
    parent: pulumi.Resource,
    **rule_args: str,
) -> None:
    """An EventBridge rule (a schedule or an event pattern) and its target, which starts the pipeline."""
    child = pulumi.ResourceOptions(parent=parent)
    rule = aws.cloudwatch.EventRule(name, tags=tags, opts=child, **rule_args)
    aws.cloudwatch.EventTarget(
        f"{name}-target",
        rule=rule.name,
        arn=pipeline.arn,
        role_arn=trigger_role_arn,
        sagemaker_pipeline_target={"pipeline_parameter_lists": []},
        opts=child,
    )
