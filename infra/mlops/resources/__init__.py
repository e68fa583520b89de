"""The resource catalogue: one module per resource type the program emits, each holding what the
code knows about that type — the AWS API requests its inputs become (and so what the
`aws-api-conformance` control checks), the replacement rules of the preview, the fields
`mlops verify` compares, and where in a model spec the resource is declared.

Adding a resource type to the program means adding a module here and listing it below; a type
without an entry has no replacement rules (the diff says so), nothing verified, and every one of
its inputs is reported unverified by the conformance control.
"""

from __future__ import annotations

import importlib

from .base import GROUP, Fields, InputPath, ResourceType, Rule, SpecPath, format_path, matches, parse_pattern

# One module per resource type the program emits, each defining RESOURCE.
MODULES: tuple[str, ...] = (
    "appautoscaling_policy",
    "appautoscaling_target",
    "cloudwatch_metric_alarm",
    "events_rule",
    "events_target",
    "iam_role",
    "iam_role_policy",
    "kms_alias",
    "kms_key",
    "s3_bucket",
    "s3_bucket_lifecycle_configuration",
    "s3_bucket_logging",
    "s3_bucket_objectv2",
    "s3_bucket_policy",
    "s3_bucket_public_access_block",
    "s3_bucket_server_side_encryption_configuration",
    "s3_bucket_versioning",
    "sagemaker_data_quality_job_definition",
    "sagemaker_endpoint",
    "sagemaker_endpoint_configuration",
    "sagemaker_feature_group",
    "sagemaker_mlflow_tracking_server",
    "sagemaker_model",
    "sagemaker_model_bias_job_definition",
    "sagemaker_model_card",
    "sagemaker_model_explainability_job_definition",
    "sagemaker_model_package_group",
    "sagemaker_model_quality_job_definition",
    "sagemaker_monitoring_schedule",
    "sagemaker_pipeline",
    "sns_topic",
    "sns_topic_subscription",
)
ENTRIES: tuple[ResourceType, ...] = tuple(importlib.import_module(f"{__name__}.{name}").RESOURCE for name in MODULES)
CATALOGUE: dict[str, ResourceType] = {token: entry for entry in ENTRIES for token in (entry.token, *entry.aliases)}


def lookup(type_token: str) -> ResourceType | None:
    """The catalogue entry of a Pulumi type token, None for component resources and unknown types."""
    return CATALOGUE.get(type_token)


__all__ = [
    "CATALOGUE", "ENTRIES", "GROUP", "Fields", "InputPath", "ResourceType", "Rule", "SpecPath",
    "format_path", "lookup", "matches", "parse_pattern",
]
