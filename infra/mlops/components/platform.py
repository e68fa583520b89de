"""The shared base of one stack: KMS key, encrypted buckets, their access-log bucket and the alert topic."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from ..specs.names import resource_name
from ..specs.stack import StackConfig
from .experiment_tracking import ExperimentTrackingServer, ExperimentTrackingServerArgs

BUCKET_ROLES = ("artifacts", "data-capture", "feature-store", "reports")
ACCESS_LOGS = "access-logs"

# Days S3 keeps an overwritten or deleted object version before expiring it, per bucket role.
# The program cannot read the policy data: each value must be at least
# noncurrent_version_retention_days in policies/data/parameters.json for every environment
# (s3-lifecycle-noncurrent-expiry checks it, tests/test_components.py compares the two), so
# every stack keeps prod's, the longest. Audit evidence in the log bucket is kept for a year.
NONCURRENT_VERSION_RETENTION_DAYS = {"artifacts": 90, "data-capture": 183, "feature-store": 90, "reports": 183, ACCESS_LOGS: 365}
# The buckets holding evidence (captured inference data, reports) keep every object this long, then
# expire it: at least evidence_retention's high_risk_days in parameters.json for every environment
# (six months in prod, EU AI Act Art. 19 and 26(6); evidence-retention checks it,
# tests/test_components.py compares the two), and their noncurrent versions as long.
EVIDENCE_RETENTION_DAYS = {"data-capture": 400, "reports": 400}
# SageMaker writes model artifacts and captured data in multipart uploads; the parts of one that
# never completes are billed but invisible in listings until a lifecycle rule aborts it.
ABORT_INCOMPLETE_UPLOAD_DAYS = 7


@dataclass
class PlatformArgs:
    stack: StackConfig
    tags: dict[str, str]


@dataclass
class Bucket:
    name: pulumi.Output[str]
    arn: pulumi.Output[str]


@dataclass
class _DeclaredBucket:
    resource: aws.s3.Bucket
    policy: aws.s3.BucketPolicy


@dataclass
class PlatformOutputs:
    account_id: pulumi.Output[str]
    partition: pulumi.Output[str]
    key_arn: pulumi.Output[str]
    topic_arn: pulumi.Output[str]
    buckets: dict[str, Bucket] = field(default_factory=dict)
    # The stack's MLflow tracking server (None: `mlops:experimentTracking` is not set).
    tracking_server_arn: pulumi.Output[str] | None = None


class Platform(pulumi.ComponentResource):
    """KMS key with rotation, four SSE-KMS buckets logging to an SSE-S3 log bucket, an encrypted SNS alert topic
    and, where the stack asks for one, an MLflow tracking server."""

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

        kms = {
            "apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms", "kms_master_key_id": key.arn},
            # S3 Bucket Keys cut KMS request costs by up to 99% for high-volume capture data.
            "bucket_key_enabled": True,
        }
        buckets = {
            role: self._bucket(f"{name}-{role}", resource_name(stack.name_prefix, stack.environment, role) + "-", role, kms, args.tags)
            for role in BUCKET_ROLES
        }
        sources = [
            pulumi.Output.format("arn:{0}:s3:::{1}-*", partition, resource_name(stack.name_prefix, stack.environment, role))
            for role in BUCKET_ROLES
        ]
        # Declared in every stack, not only where a bucket holds PII or confidential data: the
        # class follows the strictest model deployed, and dropping the log bucket when it falls
        # would fail on a non-empty bucket (force_destroy is off) and discard audit evidence.
        # Access logs carry object keys and requester IPs, so the bucket takes the same tags.
        access_logs = self._bucket(
            f"{name}-{ACCESS_LOGS}",
            resource_name(stack.name_prefix, stack.environment, ACCESS_LOGS) + "-",
            ACCESS_LOGS,
            # SSE-S3, not the stack's key: AWS documents default encryption with SSE-KMS (or
            # DSSE-KMS) as unsupported on a server access logging destination, so S3 would not
            # deliver the logs.
            {"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}},
            args.tags,
            grants=lambda log_arn: [_log_delivery(log_arn, account_id, sources)],
        )
        for role, bucket in buckets.items():
            # The log bucket is not itself logged: that would need another log bucket, or log
            # into itself and write a log object for every log object delivered.
            aws.s3.BucketLogging(
                f"{name}-{role}-access-logging",
                bucket=bucket.resource.id,
                target_bucket=access_logs.resource.id,
                target_prefix=f"{role}/",
                # S3 rejects a logging configuration (InvalidTargetBucketForLogging) whose target
                # grants the logging service nothing yet.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[access_logs.policy]),
            )

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

        tracking = (
            ExperimentTrackingServer(
                f"{name}-mlflow",
                ExperimentTrackingServerArgs(
                    settings=stack.experiment_tracking,
                    server_name=resource_name(stack.name_prefix, stack.environment, "mlflow"),
                    artifacts_bucket=buckets["artifacts"].resource.bucket,
                    artifacts_bucket_arn=buckets["artifacts"].resource.arn,
                    key_arn=key.arn,
                    name_scope=f"{stack.name_prefix}-{stack.environment}",
                    region=stack.region,
                    partition=partition,
                    account_id=account_id,
                    tags=args.tags,
                ),
                opts=child,
            )
            if stack.experiment_tracking is not None
            else None
        )
        self.outputs = PlatformOutputs(
            account_id=account_id,
            partition=partition,
            key_arn=key.arn,
            topic_arn=topic.arn,
            buckets={role: Bucket(name=b.resource.bucket, arn=b.resource.arn) for role, b in buckets.items()},
            tracking_server_arn=tracking.arn if tracking is not None else None,
        )
        self.register_outputs(
            {
                "keyArn": key.arn,
                "topicArn": topic.arn,
                "buckets": {role: b.resource.bucket for role, b in buckets.items()},
                "accessLogBucket": access_logs.resource.bucket,
            }
        )

    def _bucket(
        self,
        name: str,
        prefix: str,
        role: str,
        encryption: dict,
        tags: dict[str, str],
        grants: Callable[[pulumi.Output[str]], list[dict]] | None = None,
    ) -> _DeclaredBucket:
        child = pulumi.ResourceOptions(parent=self)
        # bucket_prefix lets S3 append a globally unique suffix; changing it replaces the bucket.
        bucket = aws.s3.Bucket(name, bucket_prefix=prefix, force_destroy=False, tags=tags, opts=child)
        aws.s3.BucketServerSideEncryptionConfiguration(f"{name}-sse", bucket=bucket.id, rules=[encryption], opts=child)
        versioning = aws.s3.BucketVersioning(
            f"{name}-versioning", bucket=bucket.id, versioning_configuration={"status": "Enabled"}, opts=child
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.id,
            rules=[
                {
                    "id": "expire-noncurrent-versions",
                    "status": "Enabled",
                    "filter": {},
                    "noncurrent_version_expiration": {"noncurrent_days": NONCURRENT_VERSION_RETENTION_DAYS[role]},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": ABORT_INCOMPLETE_UPLOAD_DAYS},
                    **({"expiration": {"days": EVIDENCE_RETENTION_DAYS[role]}} if role in EVIDENCE_RETENTION_DAYS else {}),
                }
            ],
            # After versioning, as the provider documents for noncurrent-version rules: until
            # versioning is on there are no noncurrent versions for them to expire.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        public_access = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        policy = aws.s3.BucketPolicy(
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
                        },
                        *(grants(bucket.arn) if grants else []),
                    ],
                }
            ),
            # S3 rejects bucket policies while a public-access block is being applied.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access]),
        )
        return _DeclaredBucket(resource=bucket, policy=policy)


def _log_delivery(log_arn: pulumi.Output[str], account_id: pulumi.Output[str], sources: list[pulumi.Output[str]]) -> dict:
    """The grant S3 server access logging needs on its destination, for this account's source buckets only."""
    # New buckets disable ACLs (Object Ownership BucketOwnerEnforced), so delivery is granted to
    # the logging service principal by bucket policy, not to the log-delivery group by ACL; the
    # source conditions stop another account's bucket from logging into this one. Sources are
    # matched by name prefix, not by ARN: naming the ARNs would make this policy depend on every
    # source bucket, and the policy gate links a bucket policy to each bucket it depends on.
    return {
        "Sid": "ServerAccessLogDelivery",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": pulumi.Output.concat(log_arn, "/*"),
        "Condition": {"StringEquals": {"aws:SourceAccount": account_id}, "ArnLike": {"aws:SourceArn": sources}},
    }


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
