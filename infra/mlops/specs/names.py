"""Naming rules AWS enforces, and the rule for paths a spec or stack file names, shared by the spec types and the cross-file checks."""

from pathlib import PurePosixPath

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


def project_relative(value: str) -> str:
    """`value` if it is a path inside the project (relative, forward slashes, no `..`), else ValueError.

    Paths in specs and stack files are resolved against the project root; one that leaves it
    (`../../etc/passwd`, `/etc`) would read or ship files the project does not own.
    """
    path = PurePosixPath(value)
    if path.is_absolute() or value.startswith("~") or "\\" in value or ".." in path.parts:
        raise ValueError("must be a path inside the project, relative to its root and without '..'")
    return value
