"""Naming rules AWS enforces, shared by the spec types and the cross-file checks."""

# Lower-case letters, digits and single hyphens: valid for SageMaker endpoints, model
# package groups, feature groups and pipelines, and inside S3 bucket prefixes.
AWS_NAME_PATTERN = r"^[a-z0-9](-?[a-z0-9])*$"
S3_URI_PATTERN = r"^s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/[^\s]*)?$"

# SageMaker caps endpoint, endpoint-config, model, model-package-group and monitoring
# schedule names at 63 characters; feature groups at 64.
SAGEMAKER_NAME_MAX = 63
# S3 bucket_prefix may be at most 37 characters, so AWS can append its unique suffix.
BUCKET_PREFIX_MAX = 37


def resource_name(prefix: str, environment: str, *parts: str) -> str:
    """The physical name of a SageMaker resource: `<prefix>-<env>-<part>-<part>`."""
    return "-".join((prefix, environment, *parts))
