"""Least-privilege IAM for one model: its SageMaker execution role and its trigger role."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .platform import PlatformOutputs


@dataclass
class ModelAccessArgs:
    model: str
    name_prefix: str
    region: str
    platform: PlatformOutputs
    read_uris: list[str]
    image_uris: list[str]
    tags: dict[str, str]
    # The model is scored in batch: its pipeline creates models and transform jobs.
    batch: bool = False


def s3_arn(uri: str) -> tuple[str, str]:
    """`s3://bucket/prefix/` as (bucket ARN, object ARN pattern under the prefix)."""
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    return f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/{prefix}*"


def ecr_repository_arn(image: str) -> str:
    """`<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>` as its repository ARN."""
    registry, _, rest = image.partition("/")
    account, _, host = registry.partition(".dkr.ecr.")
    region = host.split(".")[0]
    repository = rest.split("@")[0].split(":")[0]
    return f"arn:aws:ecr:{region}:{account}:repository/{repository}"


class ModelAccess(pulumi.ComponentResource):
    """An execution role scoped to the model's S3 prefixes, KMS key and SageMaker names."""

    role_arn: pulumi.Output[str]
    trigger_role_arn: pulumi.Output[str]
    trigger_role_name: pulumi.Output[str]

    def __init__(self, name: str, args: ModelAccessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:iam:ModelAccess", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        scope = f"{args.name_prefix}-{args.model}"

        role = aws.iam.Role(
            f"{name}-execution",
            name=f"{scope}-sagemaker"[:64],
            description=f"SageMaker execution role of model {args.model}",
            assume_role_policy=_trust("sagemaker.amazonaws.com"),
            max_session_duration=3600,
            tags=args.tags,
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-execution-policy",
            role=role.id,
            policy=_execution_policy(args, scope, role.arn),
            opts=child,
        )
        trigger = aws.iam.Role(
            f"{name}-trigger",
            name=f"{scope}-trigger"[:64],
            description=f"Lets EventBridge start the training pipeline of model {args.model}",
            assume_role_policy=_trust("events.amazonaws.com"),
            tags=args.tags,
            opts=child,
        )
        self.trigger_role_name = trigger.name
        self.role_arn = role.arn
        self.trigger_role_arn = trigger.arn
        self.register_outputs({"roleArn": role.arn, "triggerRoleArn": trigger.arn})


def _trust(service: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
        }
    )


def _execution_policy(args: ModelAccessArgs, scope: str, role_arn: pulumi.Output[str]) -> pulumi.Output[str]:
    p = args.platform
    own = [p.buckets[role] for role in ("artifacts", "data-capture", "feature-store")]
    # One Output for the whole document rather than one per ARN: the same policy and the same
    # dependencies, a fraction of the program's bookkeeping.
    tracking = [p.tracking_server_arn] if p.tracking_server_arn is not None else []
    return pulumi.Output.all(
        partition=p.partition, account=p.account_id, key_arn=p.key_arn, role_arn=role_arn, buckets=[b.arn for b in own],
        tracking=tracking,
    ).apply(lambda v: json.dumps(_execution_document(args, scope, **v)))


def _execution_document(
    args: ModelAccessArgs, scope: str, *, partition: str, account: str, key_arn: str, role_arn: str, buckets: list[str],
    tracking: list[str],
) -> dict:
    read = sorted({s3_arn(uri) for uri in args.read_uris})
    sm = f"arn:{partition}:sagemaker:{args.region}:{account}"
    logs = f"arn:{partition}:logs:{args.region}:{account}:log-group:/aws/sagemaker/*"
    glue = f"arn:{partition}:glue:{args.region}:{account}"
    statements = [
        {
            "Sid": "ModelObjects",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
            "Resource": [f"{bucket}/{args.model}/*" for bucket in buckets],
        },
        {
            "Sid": "ModelPrefixes",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": buckets,
            "Condition": {"StringLike": {"s3:prefix": [f"{args.model}/*", args.model]}},
        },
        {
            # GetBucketLocation requests carry no s3:prefix key (AWS's Service Authorization
            # Reference lists none for the action), so under ModelPrefixes' condition it would
            # never be allowed. It returns only the bucket's Region.
            "Sid": "BucketLocation",
            "Effect": "Allow",
            "Action": ["s3:GetBucketLocation"],
            "Resource": buckets,
        },
        {
            "Sid": "KeyUse",
            "Effect": "Allow",
            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey", "kms:CreateGrant"],
            "Resource": [key_arn],
        },
        {
            "Sid": "SageMakerJobs",
            "Effect": "Allow",
            "Action": [
                "sagemaker:AddTags",
                "sagemaker:CreateProcessingJob",
                "sagemaker:CreateTrainingJob",
                "sagemaker:DescribeProcessingJob",
                "sagemaker:DescribeTrainingJob",
                "sagemaker:StopProcessingJob",
                "sagemaker:StopTrainingJob",
            ],
            "Resource": [
                f"{sm}:processing-job/{scope}*",
                f"{sm}:training-job/{scope}*",
            ],
        },
        {
            "Sid": "Registry",
            "Effect": "Allow",
            "Action": ["sagemaker:CreateModelPackage", "sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup"],
            "Resource": [
                f"{sm}:model-package-group/{scope}*",
                f"{sm}:model-package/{scope}*",
            ],
        },
        {
            "Sid": "FeatureRecords",
            "Effect": "Allow",
            "Action": ["sagemaker:PutRecord", "sagemaker:GetRecord", "sagemaker:BatchGetRecord", "sagemaker:DescribeFeatureGroup"],
            "Resource": [f"{sm}:feature-group/{scope}*"],
        },
        {
            # The offline store registers its tables in the Glue catalog database
            # that Feature Store uses by default.
            "Sid": "OfflineStoreCatalog",
            "Effect": "Allow",
            "Action": ["glue:GetTable", "glue:CreateTable", "glue:UpdateTable", "glue:GetDatabase"],
            "Resource": [
                f"{glue}:catalog",
                f"{glue}:database/sagemaker_featurestore",
                f"{glue}:table/sagemaker_featurestore/{scope.replace('-', '_')}*",
            ],
        },
        {
            "Sid": "PullImages",
            "Effect": "Allow",
            "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
            "Resource": sorted({ecr_repository_arn(image) for image in args.image_uris}),
        },
        {
            # GetAuthorizationToken and PutMetricData support no resource-level
            # permissions; AWS requires "*" for them.
            "Sid": "AccountScopedCalls",
            "Effect": "Allow",
            "Action": ["ecr:GetAuthorizationToken", "cloudwatch:PutMetricData"],
            "Resource": "*",
        },
        {
            "Sid": "JobLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            "Resource": [logs],
        },
        {
            "Sid": "PassOwnRole",
            "Effect": "Allow",
            "Action": ["iam:PassRole"],
            "Resource": [role_arn],
            "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        },
    ]
    if tracking:
        # What the training code's MLflow client calls to log a run, on the stack's server only.
        # Its artifacts go to S3 with the role's own credentials: the experiment's artifact
        # location must lie under the model's prefix of the artifacts bucket (ModelObjects).
        statements.append(
            {
                "Sid": "ExperimentTracking",
                "Effect": "Allow",
                "Action": [
                    "sagemaker-mlflow:CreateExperiment",
                    "sagemaker-mlflow:CreateRun",
                    "sagemaker-mlflow:GetExperiment",
                    "sagemaker-mlflow:GetExperimentByName",
                    "sagemaker-mlflow:GetRun",
                    "sagemaker-mlflow:LogBatch",
                    "sagemaker-mlflow:LogInputs",
                    "sagemaker-mlflow:LogMetric",
                    "sagemaker-mlflow:LogModel",
                    "sagemaker-mlflow:LogParam",
                    "sagemaker-mlflow:SetTag",
                    "sagemaker-mlflow:UpdateRun",
                ],
                "Resource": tracking,
            }
        )
    if args.batch:
        # The batch pipeline's Model and Transform steps; Pipelines names both `<scope>-batch-<suffix>`.
        statements.append(
            {
                "Sid": "BatchTransform",
                "Effect": "Allow",
                "Action": [
                    "sagemaker:AddTags",
                    "sagemaker:CreateModel",
                    "sagemaker:DescribeModel",
                    "sagemaker:CreateTransformJob",
                    "sagemaker:DescribeTransformJob",
                    "sagemaker:StopTransformJob",
                ],
                "Resource": [f"{sm}:model/{scope}-batch*", f"{sm}:transform-job/{scope}-batch*"],
            }
        )
    if read:
        statements.insert(
            3,
            {"Sid": "ReadSources", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [obj for _bucket, obj in read]},
        )
        statements.insert(
            4,
            {"Sid": "ListSources", "Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": sorted({b for b, _obj in read})},
        )
    return {"Version": "2012-10-17", "Statement": statements}
