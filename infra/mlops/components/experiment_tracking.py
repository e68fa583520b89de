"""The stack's SageMaker managed MLflow tracking server, its artifact store and its own role."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ..specs.stack import ExperimentTracking

# Where the server keeps run artifacts in the platform's artifacts bucket, beside the models' own prefixes.
ARTIFACT_PREFIX = "mlflow"


@dataclass
class ExperimentTrackingServerArgs:
    settings: ExperimentTracking
    # The server's name (`<prefix>-<environment>-mlflow`); its role's is the same with `-server`.
    server_name: str
    artifacts_bucket: pulumi.Input[str]
    artifacts_bucket_arn: pulumi.Input[str]
    key_arn: pulumi.Input[str]
    # The stack's SageMaker names start so (`<prefix>-<environment>`); registration stays among them.
    name_scope: str
    region: str
    partition: pulumi.Input[str]
    account_id: pulumi.Input[str]
    tags: dict[str, str]


class ExperimentTrackingServer(pulumi.ComponentResource):
    """An MLflow tracking server whose artifact store is a prefix of the SSE-KMS artifacts bucket."""

    arn: pulumi.Output[str]

    def __init__(self, name: str, args: ExperimentTrackingServerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:mlflow:ExperimentTracking", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        settings = args.settings
        role = aws.iam.Role(
            f"{name}-role",
            name=f"{args.server_name}-server"[:64],
            description=f"Lets the MLflow tracking server {args.server_name} store run artifacts",
            assume_role_policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}
                    ],
                }
            ),
            max_session_duration=3600,
            tags=args.tags,
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-role-policy",
            role=role.id,
            policy=pulumi.Output.all(
                bucket_arn=args.artifacts_bucket_arn,
                key_arn=args.key_arn,
                partition=args.partition,
                account=args.account_id,
            ).apply(lambda v: json.dumps(_server_document(args, **v))),
            opts=child,
        )
        server = aws.sagemaker.MlflowTrackingServer(
            f"{name}-server",
            tracking_server_name=args.server_name,
            artifact_store_uri=pulumi.Output.concat("s3://", args.artifacts_bucket, f"/{ARTIFACT_PREFIX}"),
            role_arn=role.arn,
            tracking_server_size=settings.size,
            mlflow_version=settings.mlflow_version,
            automatic_model_registration=settings.automatic_model_registration,
            weekly_maintenance_window_start=settings.weekly_maintenance_window_start,
            tags=args.tags,
            # SageMaker checks at creation that the role can reach the artifact store.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        self.arn = server.arn
        self.register_outputs({"trackingServerArn": server.arn, "roleArn": role.arn})


def _server_document(args: ExperimentTrackingServerArgs, *, bucket_arn: str, key_arn: str, partition: str, account: str) -> dict:
    """Objects under the artifact prefix and the platform key; with automatic model registration,
    the stack's model package groups, which the server registers MLflow models into."""
    sm = f"arn:{partition}:sagemaker:{args.region}:{account}"
    registration = [
        {
            "Sid": "AutomaticModelRegistration",
            "Effect": "Allow",
            "Action": [
                "sagemaker:AddTags",
                "sagemaker:CreateModelPackage",
                "sagemaker:CreateModelPackageGroup",
                "sagemaker:DescribeModelPackageGroup",
                "sagemaker:UpdateModelPackage",
            ],
            "Resource": [f"{sm}:model-package-group/{args.name_scope}-*", f"{sm}:model-package/{args.name_scope}-*"],
        }
    ]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ArtifactObjects",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
                "Resource": [f"{bucket_arn}/{ARTIFACT_PREFIX}/*"],
            },
            {
                "Sid": "ArtifactPrefix",
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": [bucket_arn],
                "Condition": {"StringLike": {"s3:prefix": [f"{ARTIFACT_PREFIX}/*", ARTIFACT_PREFIX]}},
            },
            {
                # GetBucketLocation carries no s3:prefix key, so ArtifactPrefix's condition would refuse it.
                "Sid": "BucketLocation",
                "Effect": "Allow",
                "Action": ["s3:GetBucketLocation"],
                "Resource": [bucket_arn],
            },
            {
                "Sid": "KeyUse",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
                "Resource": [key_arn],
            },
            *(registration if args.settings.automatic_model_registration else []),
        ],
    }
