"""The shared base of one stack: KMS key, encrypted buckets and the alert topic."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from ..specs.names import resource_name
from ..specs.stack import StackConfig

BUCKET_ROLES = ("artifacts", "data-capture", "feature-store", "reports")


@dataclass
class PlatformArgs:
    stack: StackConfig
    tags: dict[str, str]


@dataclass
class Bucket:
    name: pulumi.Output[str]
    arn: pulumi.Output[str]


@dataclass
class PlatformOutputs:
    account_id: pulumi.Output[str]
    partition: pulumi.Output[str]
    key_arn: pulumi.Output[str]
    topic_arn: pulumi.Output[str]
    buckets: dict[str, Bucket] = field(default_factory=dict)


class Platform(pulumi.ComponentResource):
    """KMS key with rotation, four SSE-KMS buckets and an encrypted SNS alert topic."""

    def __init__(self, name: str, args: PlatformArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:platform:Platform", name, None, opts)
        stack = args.stack
        child = pulumi.ResourceOptions(parent=self)
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self)).partition
        account_id = identity.account_id

        key = aws.kms.Key(
            f"{name}-key",
            description=f"Encrypts ML data, artifacts and alerts of stack {stack.stack}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=_key_policy(account_id, partition, stack.region),
            tags=args.tags,
            opts=child,
        )
        aws.kms.Alias(
            f"{name}-key-alias",
            name=f"alias/{resource_name(stack.name_prefix, stack.environment, 'mlops')}",
            target_key_id=key.key_id,
            opts=child,
        )

        buckets = {
            role: self._bucket(f"{name}-{role}", resource_name(stack.name_prefix, stack.environment, role) + "-", key, args.tags)
            for role in BUCKET_ROLES
        }

        topic = aws.sns.Topic(
            f"{name}-alerts",
            name=resource_name(stack.name_prefix, stack.environment, "ml-alerts"),
            kms_master_key_id=key.arn,
            tags=args.tags,
            opts=child,
        )
        if stack.alert_email:
            # E-mail subscriptions stay pending until the recipient confirms them.
            aws.sns.TopicSubscription(
                f"{name}-alerts-email",
                topic=topic.arn,
                protocol="email",
                endpoint=stack.alert_email,
                opts=child,
            )

        self.outputs = PlatformOutputs(
            account_id=account_id, partition=partition, key_arn=key.arn, topic_arn=topic.arn, buckets=buckets
        )
        self.register_outputs(
            {
                "keyArn": key.arn,
                "topicArn": topic.arn,
                "buckets": {role: b.name for role, b in buckets.items()},
            }
        )

    def _bucket(self, name: str, prefix: str, key: aws.kms.Key, tags: dict[str, str]) -> Bucket:
        child = pulumi.ResourceOptions(parent=self)
        # bucket_prefix lets S3 append a globally unique suffix; changing it replaces the bucket.
        bucket = aws.s3.Bucket(name, bucket_prefix=prefix, force_destroy=False, tags=tags, opts=child)
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-sse",
            bucket=bucket.id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms", "kms_master_key_id": key.arn},
                    # S3 Bucket Keys cut KMS request costs by up to 99% for high-volume capture data.
                    "bucket_key_enabled": True,
                }
            ],
            opts=child,
        )
        aws.s3.BucketVersioning(f"{name}-versioning", bucket=bucket.id, versioning_configuration={"status": "Enabled"}, opts=child)
        public_access = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketPolicy(
            f"{name}-tls-only",
            bucket=bucket.id,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "DenyInsecureTransport",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "s3:*",
                            "Resource": [bucket.arn, pulumi.Output.concat(bucket.arn, "/*")],
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        }
                    ],
                }
            ),
            # S3 rejects bucket policies while a public-access block is being applied.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access]),
        )
        return Bucket(name=bucket.bucket, arn=bucket.arn)


def _key_policy(account_id: pulumi.Output[str], partition: pulumi.Output[str], region: str) -> pulumi.Output[str]:
    """Account administrators manage the key; CloudWatch and EventBridge may publish to the encrypted topic."""
    root = pulumi.Output.format("arn:{0}:iam::{1}:root", partition, account_id)
    return pulumi.Output.json_dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountAdministration",
                    "Effect": "Allow",
                    "Principal": {"AWS": root},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    # Alarms and rules publish to the SSE-KMS topic; without this grant
                    # the publish fails silently and no one is paged.
                    "Sid": "AlertPublishers",
                    "Effect": "Allow",
                    "Principal": {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]},
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
                },
                {
                    "Sid": "SageMakerInRegion",
                    "Effect": "Allow",
                    "Principal": {"AWS": root},
                    "Action": ["kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
                    "Resource": "*",
                    "Condition": {"StringEquals": {"kms:ViaService": [f"sagemaker.{region}.amazonaws.com", f"s3.{region}.amazonaws.com"]}},
                },
            ],
        }
    )
