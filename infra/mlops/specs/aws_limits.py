"""AWS's own limits on the values a model spec sends to AWS, generated from botocore's service models."""

from __future__ import annotations

import difflib
import json
import re
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# An AWS API `integer` is 32-bit whether or not its shape states a maximum; a `long` is 64-bit.
INTEGER_MAX = 2**31 - 1
LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1

# The service models write patterns in Java's dialect, whose `.` stops at all of these.
_JAVA_LINE_TERMINATORS = "\n\r\x85\u2028\u2029"
# Python's `re` has no `\p{X}`: such patterns are a `[...]*` class, checked character by character.
_CLASS_STAR = re.compile(r"\(?\[((?:\\p\{[A-Z]\}|\\[^A-Za-z]|[^\\\]])*)\]\*\)?")
_CLASS_ITEM = re.compile(r"\\p\{([A-Z])\}|\\(.)|(.)")
_CATEGORY_WORDS = {"L": "letters", "M": "combining marks", "Z": "spaces", "N": "numbers", "S": "symbols", "P": "punctuation"}


@dataclass(frozen=True)
class Choice:
    """A string shape that is an enum."""

    source: str
    values: tuple[str, ...]

    def check(self, value: str) -> str:
        if value in self.values:
            return value
        if len(self.values) <= 6:
            raise ValueError(f"expected one of {', '.join(self.values)} ({self.source})")
        # The closest valid values are the likely fix; the full list is too long for a message.
        close = difflib.get_close_matches(value, self.values, n=4, cutoff=0)
        raise ValueError(
            f"expected one of {', '.join(close)}, … ({self.source}: {len(self.values)} values, all in mlops/specs/aws_limits.py)"
        )


@dataclass(frozen=True)
class Text:
    """A string shape: its length bounds and the pattern (Java regex) a whole value must match."""

    source: str
    min_length: int
    max_length: int | None
    pattern: str | None
    _character_problem: Callable[[str], str | None] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_character_problem", _character_check(self.pattern))

    def check(self, value: str) -> str:
        if len(value) < self.min_length:
            problem = f"expected at least {self.min_length} characters"
        elif self.max_length is not None and len(value) > self.max_length:
            problem = f"expected at most {self.max_length} characters, not {len(value)}"
        else:
            problem = self._character_problem(value)
        if problem:
            raise ValueError(f"{problem} ({self.source})")
        return value


@dataclass(frozen=True)
class Count:
    """An integer shape, or the size bounds of a list or map shape."""

    source: str
    minimum: int | None
    maximum: int | None


def _character_check(pattern: str | None) -> Callable[[str], str | None]:
    """What is wrong with a value's characters under a service-model pattern, or None."""
    if pattern is None:
        return lambda value: None
    if pattern == ".*":
        return lambda value: "expected a single line" if any(c in _JAVA_LINE_TERMINATORS for c in value) else None
    if "\\p{" not in pattern:
        regex = _python_regex(pattern)
        return lambda value: None if regex.fullmatch(value) else f"expected text matching '{pattern}'"
    match = _CLASS_STAR.fullmatch(pattern)
    if match is None:
        raise ValueError(f"unsupported service-model pattern {pattern!r}: extend aws_limits._character_check")
    categories, literals = set(), []
    for category, escaped, plain in _CLASS_ITEM.findall(match[1]):
        if plain == "-":
            raise ValueError(f"unsupported service-model pattern {pattern!r} (a range); extend aws_limits._character_check")
        if category:
            categories.add(category)
        else:
            literals.append(escaped or plain)
    words = [_CATEGORY_WORDS[c] for c in sorted(categories, key=list(_CATEGORY_WORDS).index)]
    if literals:
        words.append(" ".join(literals))
    allowed = f"{', '.join(words[:-1])} and {words[-1]}" if len(words) > 1 else words[0]

    def problem(value: str) -> str | None:
        refused = next((c for c in value if unicodedata.category(c)[0] not in categories and c not in literals), None)
        return None if refused is None else f"expected only {allowed}, not {refused!r}"

    return problem


def _python_regex(pattern: str) -> re.Pattern[str]:
    """`pattern` in Python's dialect: outside a class, Java's `.` stops at more line terminators than Python's."""
    out: list[str] = []
    in_class = escaped = False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == "." and not in_class:
            out.append(f"[^{_JAVA_LINE_TERMINATORS}]")
            continue
        out.append(char)
    return re.compile("".join(out))


# The API field each spec value reaches: (service, operation, member path of its input); `[]` steps into a
# list's items, `{key}`/`{value}` into a map's. The block below holds what those fields' shapes state.
SOURCES: dict[str, tuple[str, str, str]] = {
    # training.instance_type
    "TRAINING_INSTANCE_TYPES": ("sagemaker", "CreateTrainingJob", "ResourceConfig.InstanceType"),
    # monitoring.*.instance_type
    "PROCESSING_INSTANCE_TYPES": ("sagemaker", "CreateDataQualityJobDefinition", "JobResources.ClusterConfig.InstanceType"),
    # serving.instance_type (the model package's supported instance types take the same enum)
    "ENDPOINT_INSTANCE_TYPES": ("sagemaker", "CreateEndpointConfig", "ProductionVariants[].InstanceType"),
    # training.hyperparameters
    "HYPERPARAMETERS": ("sagemaker", "CreateTrainingJob", "HyperParameters"),
    "HYPERPARAMETER_KEY": ("sagemaker", "CreateTrainingJob", "HyperParameters{key}"),
    "HYPERPARAMETER_VALUE": ("sagemaker", "CreateTrainingJob", "HyperParameters{value}"),
    # training.inputs: one processing input each
    "PROCESSING_INPUTS": ("sagemaker", "CreateProcessingJob", "ProcessingInputs"),
    # metadata.description: the pipeline's and the model package group's description
    "PIPELINE_DESCRIPTION": ("sagemaker", "CreatePipeline", "PipelineDescription"),
    "MODEL_PACKAGE_GROUP_DESCRIPTION": ("sagemaker", "CreateModelPackageGroup", "ModelPackageGroupDescription"),
    # feature_groups[].description and feature names
    "FEATURE_GROUP_DESCRIPTION": ("sagemaker", "CreateFeatureGroup", "Description"),
    "FEATURE_NAME": ("sagemaker", "CreateFeatureGroup", "FeatureDefinitions[].FeatureName"),
    # Physical names built from metadata.name and feature_groups[].name (mlops.specs.names)
    "ENDPOINT_NAME": ("sagemaker", "CreateEndpoint", "EndpointName"),
    "FEATURE_GROUP_NAME": ("sagemaker", "CreateFeatureGroup", "FeatureGroupName"),
    # Tags every resource carries; values come from metadata (owner, team, cost_center, name)
    "TAG_KEY": ("sagemaker", "CreateEndpoint", "Tags[].Key"),
    "TAG_VALUE": ("sagemaker", "CreateEndpoint", "Tags[].Value"),
    # training.triggers.schedule
    "RULE_SCHEDULE_EXPRESSION": ("events", "PutRule", "ScheduleExpression"),
    # S3 URIs: training inputs are processing inputs; ground truth goes to a model-quality job
    "PROCESSING_S3_URI": ("sagemaker", "CreateProcessingJob", "ProcessingInputs[].S3Input.S3Uri"),
    "GROUND_TRUTH_S3_URI": ("sagemaker", "CreateModelQualityJobDefinition", "ModelQualityJobInput.GroundTruthS3Input.S3Uri"),
    # serving.environment
    "CONTAINER_ENVIRONMENT": ("sagemaker", "CreateModel", "PrimaryContainer.Environment"),
    "ENVIRONMENT_KEY": ("sagemaker", "CreateModel", "PrimaryContainer.Environment{key}"),
    "ENVIRONMENT_VALUE": ("sagemaker", "CreateModel", "PrimaryContainer.Environment{value}"),
    # serving.serverless.max_concurrency, serving.async_inference, serving.data_capture, serving.deployment
    "SERVERLESS_MAX_CONCURRENCY": ("sagemaker", "CreateEndpointConfig", "ProductionVariants[].ServerlessConfig.MaxConcurrency"),
    "ASYNC_MAX_CONCURRENT_INVOCATIONS": (
        "sagemaker", "CreateEndpointConfig", "AsyncInferenceConfig.ClientConfig.MaxConcurrentInvocationsPerInstance",
    ),
    "CAPTURE_SAMPLING_PERCENTAGE": ("sagemaker", "CreateEndpointConfig", "DataCaptureConfig.InitialSamplingPercentage"),
    "TRAFFIC_WAIT_INTERVAL_SECONDS": (
        "sagemaker", "CreateEndpoint", "DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.WaitIntervalInSeconds",
    ),
    # serving.variants[].name, serving.shadow.name
    "VARIANT_NAME": ("sagemaker", "CreateEndpointConfig", "ProductionVariants[].VariantName"),
    # serving.batch: the transform step of the batch pipeline
    "TRANSFORM_INSTANCE_TYPES": ("sagemaker", "CreateTransformJob", "TransformResources.InstanceType"),
    "TRANSFORM_MAX_PAYLOAD_MB": ("sagemaker", "CreateTransformJob", "MaxPayloadInMB"),
    "TRANSFORM_SPLIT_TYPES": ("sagemaker", "CreateTransformJob", "TransformInput.SplitType"),
    "TRANSFORM_CONTENT_TYPE": ("sagemaker", "CreateTransformJob", "TransformInput.ContentType"),
    # the stack's mlops:experimentTracking
    "TRACKING_SERVER_SIZES": ("sagemaker", "CreateMlflowTrackingServer", "TrackingServerSize"),
    "MLFLOW_VERSION": ("sagemaker", "CreateMlflowTrackingServer", "MlflowVersion"),
    "MAINTENANCE_WINDOW_START": ("sagemaker", "CreateMlflowTrackingServer", "WeeklyMaintenanceWindowStart"),
}

# BEGIN GENERATED from botocore 1.44.8 by `python -m mlops.specs.aws_limits --write`; edit SOURCES, not this block
TRAINING_INSTANCE_TYPES = Choice(
    "SageMaker TrainingInstanceType",
    (
        "ml.c4.2xlarge", "ml.c4.4xlarge", "ml.c4.8xlarge", "ml.c4.xlarge", "ml.c5.18xlarge", "ml.c5.2xlarge",
        "ml.c5.4xlarge", "ml.c5.9xlarge", "ml.c5.xlarge", "ml.c5n.18xlarge", "ml.c5n.2xlarge", "ml.c5n.4xlarge",
        "ml.c5n.9xlarge", "ml.c5n.xlarge", "ml.c6i.12xlarge", "ml.c6i.16xlarge", "ml.c6i.24xlarge", "ml.c6i.2xlarge",
        "ml.c6i.32xlarge", "ml.c6i.4xlarge", "ml.c6i.8xlarge", "ml.c6i.xlarge", "ml.c7i-flex.12xlarge",
        "ml.c7i-flex.16xlarge", "ml.c7i-flex.2xlarge", "ml.c7i-flex.4xlarge", "ml.c7i-flex.8xlarge", "ml.c7i-flex.xlarge",
        "ml.c7i.12xlarge", "ml.c7i.16xlarge", "ml.c7i.24xlarge", "ml.c7i.2xlarge", "ml.c7i.48xlarge", "ml.c7i.4xlarge",
        "ml.c7i.8xlarge", "ml.c7i.large", "ml.c7i.xlarge", "ml.c8i-flex.12xlarge", "ml.c8i-flex.16xlarge",
        "ml.c8i-flex.2xlarge", "ml.c8i-flex.4xlarge", "ml.c8i-flex.8xlarge", "ml.c8i-flex.xlarge", "ml.c8i.12xlarge",
        "ml.c8i.16xlarge", "ml.c8i.24xlarge", "ml.c8i.2xlarge", "ml.c8i.32xlarge", "ml.c8i.48xlarge", "ml.c8i.4xlarge",
        "ml.c8i.8xlarge", "ml.c8i.96xlarge", "ml.c8i.xlarge", "ml.g4dn.12xlarge", "ml.g4dn.16xlarge", "ml.g4dn.2xlarge",
        "ml.g4dn.4xlarge", "ml.g4dn.8xlarge", "ml.g4dn.xlarge", "ml.g5.12xlarge", "ml.g5.16xlarge", "ml.g5.24xlarge",
        "ml.g5.2xlarge", "ml.g5.48xlarge", "ml.g5.4xlarge", "ml.g5.8xlarge", "ml.g5.xlarge", "ml.g6.12xlarge",
        "ml.g6.16xlarge", "ml.g6.24xlarge", "ml.g6.2xlarge", "ml.g6.48xlarge", "ml.g6.4xlarge", "ml.g6.8xlarge",
        "ml.g6.xlarge", "ml.g6e.12xlarge", "ml.g6e.16xlarge", "ml.g6e.24xlarge", "ml.g6e.2xlarge", "ml.g6e.48xlarge",
        "ml.g6e.4xlarge", "ml.g6e.8xlarge", "ml.g6e.xlarge", "ml.g7.12xlarge", "ml.g7.24xlarge", "ml.g7.2xlarge",
        "ml.g7.48xlarge", "ml.g7.4xlarge", "ml.g7.8xlarge", "ml.g7e.12xlarge", "ml.g7e.24xlarge", "ml.g7e.2xlarge",
        "ml.g7e.48xlarge", "ml.g7e.4xlarge", "ml.g7e.8xlarge", "ml.m4.10xlarge", "ml.m4.16xlarge", "ml.m4.2xlarge",
        "ml.m4.4xlarge", "ml.m4.xlarge", "ml.m5.12xlarge", "ml.m5.24xlarge", "ml.m5.2xlarge", "ml.m5.4xlarge",
        "ml.m5.large", "ml.m5.xlarge", "ml.m6i.12xlarge", "ml.m6i.16xlarge", "ml.m6i.24xlarge", "ml.m6i.2xlarge",
        "ml.m6i.32xlarge", "ml.m6i.4xlarge", "ml.m6i.8xlarge", "ml.m6i.large", "ml.m6i.xlarge", "ml.m7i-flex.12xlarge",
        "ml.m7i-flex.16xlarge", "ml.m7i-flex.2xlarge", "ml.m7i-flex.4xlarge", "ml.m7i-flex.8xlarge", "ml.m7i-flex.large",
        "ml.m7i-flex.xlarge", "ml.m7i.12xlarge", "ml.m7i.16xlarge", "ml.m7i.24xlarge", "ml.m7i.2xlarge", "ml.m7i.48xlarge",
        "ml.m7i.4xlarge", "ml.m7i.8xlarge", "ml.m7i.large", "ml.m7i.xlarge", "ml.m8i-flex.12xlarge", "ml.m8i-flex.16xlarge",
        "ml.m8i-flex.2xlarge", "ml.m8i-flex.4xlarge", "ml.m8i-flex.8xlarge", "ml.m8i-flex.large", "ml.m8i-flex.xlarge",
        "ml.m8i.12xlarge", "ml.m8i.16xlarge", "ml.m8i.24xlarge", "ml.m8i.2xlarge", "ml.m8i.32xlarge", "ml.m8i.48xlarge",
        "ml.m8i.4xlarge", "ml.m8i.8xlarge", "ml.m8i.96xlarge", "ml.m8i.large", "ml.m8i.xlarge", "ml.p2.16xlarge",
        "ml.p2.8xlarge", "ml.p2.xlarge", "ml.p3.16xlarge", "ml.p3.2xlarge", "ml.p3.8xlarge", "ml.p3dn.24xlarge",
        "ml.p4d.24xlarge", "ml.p4de.24xlarge", "ml.p5.48xlarge", "ml.p5.4xlarge", "ml.p5e.48xlarge", "ml.p5en.48xlarge",
        "ml.p6-b200.48xlarge", "ml.p6-b300.48xlarge", "ml.p6e-gb200.36xlarge", "ml.r5.12xlarge", "ml.r5.16xlarge",
        "ml.r5.24xlarge", "ml.r5.2xlarge", "ml.r5.4xlarge", "ml.r5.8xlarge", "ml.r5.large", "ml.r5.xlarge",
        "ml.r5d.12xlarge", "ml.r5d.16xlarge", "ml.r5d.24xlarge", "ml.r5d.2xlarge", "ml.r5d.4xlarge", "ml.r5d.8xlarge",
        "ml.r5d.large", "ml.r5d.xlarge", "ml.r6i.12xlarge", "ml.r6i.16xlarge", "ml.r6i.24xlarge", "ml.r6i.2xlarge",
        "ml.r6i.32xlarge", "ml.r6i.4xlarge", "ml.r6i.8xlarge", "ml.r6i.large", "ml.r6i.xlarge", "ml.r7i.12xlarge",
        "ml.r7i.16xlarge", "ml.r7i.24xlarge", "ml.r7i.2xlarge", "ml.r7i.48xlarge", "ml.r7i.4xlarge", "ml.r7i.8xlarge",
        "ml.r7i.large", "ml.r7i.xlarge", "ml.r8i-flex.12xlarge", "ml.r8i-flex.16xlarge", "ml.r8i-flex.2xlarge",
        "ml.r8i-flex.4xlarge", "ml.r8i-flex.8xlarge", "ml.r8i-flex.large", "ml.r8i-flex.xlarge", "ml.r8i.12xlarge",
        "ml.r8i.16xlarge", "ml.r8i.24xlarge", "ml.r8i.2xlarge", "ml.r8i.32xlarge", "ml.r8i.48xlarge", "ml.r8i.4xlarge",
        "ml.r8i.8xlarge", "ml.r8i.96xlarge", "ml.r8i.large", "ml.r8i.xlarge", "ml.t3.2xlarge", "ml.t3.large",
        "ml.t3.medium", "ml.t3.xlarge", "ml.trn1.2xlarge", "ml.trn1.32xlarge", "ml.trn1n.32xlarge", "ml.trn2.48xlarge",
    ),
)
PROCESSING_INSTANCE_TYPES = Choice(
    "SageMaker ProcessingInstanceType",
    (
        "ml.c4.2xlarge", "ml.c4.4xlarge", "ml.c4.8xlarge", "ml.c4.xlarge", "ml.c5.18xlarge", "ml.c5.2xlarge",
        "ml.c5.4xlarge", "ml.c5.9xlarge", "ml.c5.xlarge", "ml.c6i.12xlarge", "ml.c6i.16xlarge", "ml.c6i.24xlarge",
        "ml.c6i.2xlarge", "ml.c6i.32xlarge", "ml.c6i.4xlarge", "ml.c6i.8xlarge", "ml.c6i.xlarge", "ml.c7i-flex.12xlarge",
        "ml.c7i-flex.16xlarge", "ml.c7i-flex.2xlarge", "ml.c7i-flex.4xlarge", "ml.c7i-flex.8xlarge", "ml.c7i-flex.xlarge",
        "ml.c7i.12xlarge", "ml.c7i.16xlarge", "ml.c7i.24xlarge", "ml.c7i.2xlarge", "ml.c7i.48xlarge", "ml.c7i.4xlarge",
        "ml.c7i.8xlarge", "ml.c7i.large", "ml.c7i.xlarge", "ml.c8i-flex.12xlarge", "ml.c8i-flex.16xlarge",
        "ml.c8i-flex.2xlarge", "ml.c8i-flex.4xlarge", "ml.c8i-flex.8xlarge", "ml.c8i-flex.xlarge", "ml.c8i.12xlarge",
        "ml.c8i.16xlarge", "ml.c8i.24xlarge", "ml.c8i.2xlarge", "ml.c8i.32xlarge", "ml.c8i.48xlarge", "ml.c8i.4xlarge",
        "ml.c8i.8xlarge", "ml.c8i.96xlarge", "ml.c8i.xlarge", "ml.g4dn.12xlarge", "ml.g4dn.16xlarge", "ml.g4dn.2xlarge",
        "ml.g4dn.4xlarge", "ml.g4dn.8xlarge", "ml.g4dn.xlarge", "ml.g5.12xlarge", "ml.g5.16xlarge", "ml.g5.24xlarge",
        "ml.g5.2xlarge", "ml.g5.48xlarge", "ml.g5.4xlarge", "ml.g5.8xlarge", "ml.g5.xlarge", "ml.g6.12xlarge",
        "ml.g6.16xlarge", "ml.g6.24xlarge", "ml.g6.2xlarge", "ml.g6.48xlarge", "ml.g6.4xlarge", "ml.g6.8xlarge",
        "ml.g6.xlarge", "ml.g6e.12xlarge", "ml.g6e.16xlarge", "ml.g6e.24xlarge", "ml.g6e.2xlarge", "ml.g6e.48xlarge",
        "ml.g6e.4xlarge", "ml.g6e.8xlarge", "ml.g6e.xlarge", "ml.g7.12xlarge", "ml.g7.24xlarge", "ml.g7.2xlarge",
        "ml.g7.48xlarge", "ml.g7.4xlarge", "ml.g7.8xlarge", "ml.g7e.12xlarge", "ml.g7e.24xlarge", "ml.g7e.2xlarge",
        "ml.g7e.48xlarge", "ml.g7e.4xlarge", "ml.g7e.8xlarge", "ml.m4.10xlarge", "ml.m4.16xlarge", "ml.m4.2xlarge",
        "ml.m4.4xlarge", "ml.m4.xlarge", "ml.m5.12xlarge", "ml.m5.24xlarge", "ml.m5.2xlarge", "ml.m5.4xlarge",
        "ml.m5.large", "ml.m5.xlarge", "ml.m6i.12xlarge", "ml.m6i.16xlarge", "ml.m6i.24xlarge", "ml.m6i.2xlarge",
        "ml.m6i.32xlarge", "ml.m6i.4xlarge", "ml.m6i.8xlarge", "ml.m6i.large", "ml.m6i.xlarge", "ml.m7i-flex.12xlarge",
        "ml.m7i-flex.16xlarge", "ml.m7i-flex.2xlarge", "ml.m7i-flex.4xlarge", "ml.m7i-flex.8xlarge", "ml.m7i-flex.large",
        "ml.m7i-flex.xlarge", "ml.m7i.12xlarge", "ml.m7i.16xlarge", "ml.m7i.24xlarge", "ml.m7i.2xlarge", "ml.m7i.48xlarge",
        "ml.m7i.4xlarge", "ml.m7i.8xlarge", "ml.m7i.large", "ml.m7i.xlarge", "ml.m8i-flex.12xlarge", "ml.m8i-flex.16xlarge",
        "ml.m8i-flex.2xlarge", "ml.m8i-flex.4xlarge", "ml.m8i-flex.8xlarge", "ml.m8i-flex.large", "ml.m8i-flex.xlarge",
        "ml.m8i.12xlarge", "ml.m8i.16xlarge", "ml.m8i.24xlarge", "ml.m8i.2xlarge", "ml.m8i.32xlarge", "ml.m8i.48xlarge",
        "ml.m8i.4xlarge", "ml.m8i.8xlarge", "ml.m8i.96xlarge", "ml.m8i.large", "ml.m8i.xlarge", "ml.p2.16xlarge",
        "ml.p2.8xlarge", "ml.p2.xlarge", "ml.p3.16xlarge", "ml.p3.2xlarge", "ml.p3.8xlarge", "ml.p5.4xlarge",
        "ml.r5.12xlarge", "ml.r5.16xlarge", "ml.r5.24xlarge", "ml.r5.2xlarge", "ml.r5.4xlarge", "ml.r5.8xlarge",
        "ml.r5.large", "ml.r5.xlarge", "ml.r5d.12xlarge", "ml.r5d.16xlarge", "ml.r5d.24xlarge", "ml.r5d.2xlarge",
        "ml.r5d.4xlarge", "ml.r5d.8xlarge", "ml.r5d.large", "ml.r5d.xlarge", "ml.r6i.12xlarge", "ml.r6i.16xlarge",
        "ml.r6i.24xlarge", "ml.r6i.2xlarge", "ml.r6i.32xlarge", "ml.r6i.4xlarge", "ml.r6i.8xlarge", "ml.r6i.large",
        "ml.r6i.xlarge", "ml.r7i.12xlarge", "ml.r7i.16xlarge", "ml.r7i.24xlarge", "ml.r7i.2xlarge", "ml.r7i.48xlarge",
        "ml.r7i.4xlarge", "ml.r7i.8xlarge", "ml.r7i.large", "ml.r7i.xlarge", "ml.r8i-flex.12xlarge", "ml.r8i-flex.16xlarge",
        "ml.r8i-flex.2xlarge", "ml.r8i-flex.4xlarge", "ml.r8i-flex.8xlarge", "ml.r8i-flex.large", "ml.r8i-flex.xlarge",
        "ml.r8i.12xlarge", "ml.r8i.16xlarge", "ml.r8i.24xlarge", "ml.r8i.2xlarge", "ml.r8i.32xlarge", "ml.r8i.48xlarge",
        "ml.r8i.4xlarge", "ml.r8i.8xlarge", "ml.r8i.96xlarge", "ml.r8i.large", "ml.r8i.xlarge", "ml.t3.2xlarge",
        "ml.t3.large", "ml.t3.medium", "ml.t3.xlarge",
    ),
)
ENDPOINT_INSTANCE_TYPES = Choice(
    "SageMaker ProductionVariantInstanceType",
    (
        "ml.c4.2xlarge", "ml.c4.4xlarge", "ml.c4.8xlarge", "ml.c4.large", "ml.c4.xlarge", "ml.c5.18xlarge", "ml.c5.2xlarge",
        "ml.c5.4xlarge", "ml.c5.9xlarge", "ml.c5.large", "ml.c5.xlarge", "ml.c5d.18xlarge", "ml.c5d.2xlarge",
        "ml.c5d.4xlarge", "ml.c5d.9xlarge", "ml.c5d.large", "ml.c5d.xlarge", "ml.c6g.12xlarge", "ml.c6g.16xlarge",
        "ml.c6g.2xlarge", "ml.c6g.4xlarge", "ml.c6g.8xlarge", "ml.c6g.large", "ml.c6g.xlarge", "ml.c6gd.12xlarge",
        "ml.c6gd.16xlarge", "ml.c6gd.2xlarge", "ml.c6gd.4xlarge", "ml.c6gd.8xlarge", "ml.c6gd.large", "ml.c6gd.xlarge",
        "ml.c6gn.12xlarge", "ml.c6gn.16xlarge", "ml.c6gn.2xlarge", "ml.c6gn.4xlarge", "ml.c6gn.8xlarge", "ml.c6gn.large",
        "ml.c6gn.xlarge", "ml.c6i.12xlarge", "ml.c6i.16xlarge", "ml.c6i.24xlarge", "ml.c6i.2xlarge", "ml.c6i.32xlarge",
        "ml.c6i.4xlarge", "ml.c6i.8xlarge", "ml.c6i.large", "ml.c6i.xlarge", "ml.c6in.12xlarge", "ml.c6in.16xlarge",
        "ml.c6in.24xlarge", "ml.c6in.2xlarge", "ml.c6in.32xlarge", "ml.c6in.4xlarge", "ml.c6in.8xlarge", "ml.c6in.large",
        "ml.c6in.xlarge", "ml.c7g.12xlarge", "ml.c7g.16xlarge", "ml.c7g.2xlarge", "ml.c7g.4xlarge", "ml.c7g.8xlarge",
        "ml.c7g.large", "ml.c7g.xlarge", "ml.c7i.12xlarge", "ml.c7i.16xlarge", "ml.c7i.24xlarge", "ml.c7i.2xlarge",
        "ml.c7i.48xlarge", "ml.c7i.4xlarge", "ml.c7i.8xlarge", "ml.c7i.large", "ml.c7i.xlarge", "ml.c8g.12xlarge",
        "ml.c8g.16xlarge", "ml.c8g.24xlarge", "ml.c8g.2xlarge", "ml.c8g.48xlarge", "ml.c8g.4xlarge", "ml.c8g.8xlarge",
        "ml.c8g.large", "ml.c8g.medium", "ml.c8g.xlarge", "ml.dl1.24xlarge", "ml.g4dn.12xlarge", "ml.g4dn.16xlarge",
        "ml.g4dn.2xlarge", "ml.g4dn.4xlarge", "ml.g4dn.8xlarge", "ml.g4dn.xlarge", "ml.g5.12xlarge", "ml.g5.16xlarge",
        "ml.g5.24xlarge", "ml.g5.2xlarge", "ml.g5.48xlarge", "ml.g5.4xlarge", "ml.g5.8xlarge", "ml.g5.xlarge",
        "ml.g6.12xlarge", "ml.g6.16xlarge", "ml.g6.24xlarge", "ml.g6.2xlarge", "ml.g6.48xlarge", "ml.g6.4xlarge",
        "ml.g6.8xlarge", "ml.g6.xlarge", "ml.g6e.12xlarge", "ml.g6e.16xlarge", "ml.g6e.24xlarge", "ml.g6e.2xlarge",
        "ml.g6e.48xlarge", "ml.g6e.4xlarge", "ml.g6e.8xlarge", "ml.g6e.xlarge", "ml.g7.12xlarge", "ml.g7.24xlarge",
        "ml.g7.2xlarge", "ml.g7.48xlarge", "ml.g7.4xlarge", "ml.g7.8xlarge", "ml.g7e.12xlarge", "ml.g7e.24xlarge",
        "ml.g7e.2xlarge", "ml.g7e.48xlarge", "ml.g7e.4xlarge", "ml.g7e.8xlarge", "ml.inf1.24xlarge", "ml.inf1.2xlarge",
        "ml.inf1.6xlarge", "ml.inf1.xlarge", "ml.inf2.24xlarge", "ml.inf2.48xlarge", "ml.inf2.8xlarge", "ml.inf2.xlarge",
        "ml.m4.10xlarge", "ml.m4.16xlarge", "ml.m4.2xlarge", "ml.m4.4xlarge", "ml.m4.xlarge", "ml.m5.12xlarge",
        "ml.m5.24xlarge", "ml.m5.2xlarge", "ml.m5.4xlarge", "ml.m5.large", "ml.m5.xlarge", "ml.m5d.12xlarge",
        "ml.m5d.24xlarge", "ml.m5d.2xlarge", "ml.m5d.4xlarge", "ml.m5d.large", "ml.m5d.xlarge", "ml.m6g.12xlarge",
        "ml.m6g.16xlarge", "ml.m6g.2xlarge", "ml.m6g.4xlarge", "ml.m6g.8xlarge", "ml.m6g.large", "ml.m6g.xlarge",
        "ml.m6gd.12xlarge", "ml.m6gd.16xlarge", "ml.m6gd.2xlarge", "ml.m6gd.4xlarge", "ml.m6gd.8xlarge", "ml.m6gd.large",
        "ml.m6gd.xlarge", "ml.m6i.12xlarge", "ml.m6i.16xlarge", "ml.m6i.24xlarge", "ml.m6i.2xlarge", "ml.m6i.32xlarge",
        "ml.m6i.4xlarge", "ml.m6i.8xlarge", "ml.m6i.large", "ml.m6i.xlarge", "ml.m7i.12xlarge", "ml.m7i.16xlarge",
        "ml.m7i.24xlarge", "ml.m7i.2xlarge", "ml.m7i.48xlarge", "ml.m7i.4xlarge", "ml.m7i.8xlarge", "ml.m7i.large",
        "ml.m7i.xlarge", "ml.m8g.12xlarge", "ml.m8g.16xlarge", "ml.m8g.24xlarge", "ml.m8g.2xlarge", "ml.m8g.48xlarge",
        "ml.m8g.4xlarge", "ml.m8g.8xlarge", "ml.m8g.large", "ml.m8g.medium", "ml.m8g.xlarge", "ml.p2.16xlarge",
        "ml.p2.8xlarge", "ml.p2.xlarge", "ml.p3.16xlarge", "ml.p3.2xlarge", "ml.p3.8xlarge", "ml.p4d.24xlarge",
        "ml.p4de.24xlarge", "ml.p5.48xlarge", "ml.p5.4xlarge", "ml.p5e.48xlarge", "ml.p5en.48xlarge", "ml.p6-b200.48xlarge",
        "ml.p6-b300.48xlarge", "ml.p6e-gb200.36xlarge", "ml.r5.12xlarge", "ml.r5.24xlarge", "ml.r5.2xlarge",
        "ml.r5.4xlarge", "ml.r5.large", "ml.r5.xlarge", "ml.r5d.12xlarge", "ml.r5d.24xlarge", "ml.r5d.2xlarge",
        "ml.r5d.4xlarge", "ml.r5d.large", "ml.r5d.xlarge", "ml.r6g.12xlarge", "ml.r6g.16xlarge", "ml.r6g.2xlarge",
        "ml.r6g.4xlarge", "ml.r6g.8xlarge", "ml.r6g.large", "ml.r6g.xlarge", "ml.r6gd.12xlarge", "ml.r6gd.16xlarge",
        "ml.r6gd.2xlarge", "ml.r6gd.4xlarge", "ml.r6gd.8xlarge", "ml.r6gd.large", "ml.r6gd.xlarge", "ml.r6i.12xlarge",
        "ml.r6i.16xlarge", "ml.r6i.24xlarge", "ml.r6i.2xlarge", "ml.r6i.32xlarge", "ml.r6i.4xlarge", "ml.r6i.8xlarge",
        "ml.r6i.large", "ml.r6i.xlarge", "ml.r7gd.12xlarge", "ml.r7gd.16xlarge", "ml.r7gd.2xlarge", "ml.r7gd.4xlarge",
        "ml.r7gd.8xlarge", "ml.r7gd.large", "ml.r7gd.medium", "ml.r7gd.xlarge", "ml.r7i.12xlarge", "ml.r7i.16xlarge",
        "ml.r7i.24xlarge", "ml.r7i.2xlarge", "ml.r7i.48xlarge", "ml.r7i.4xlarge", "ml.r7i.8xlarge", "ml.r7i.large",
        "ml.r7i.xlarge", "ml.r8g.12xlarge", "ml.r8g.16xlarge", "ml.r8g.24xlarge", "ml.r8g.2xlarge", "ml.r8g.48xlarge",
        "ml.r8g.4xlarge", "ml.r8g.8xlarge", "ml.r8g.large", "ml.r8g.medium", "ml.r8g.xlarge", "ml.t2.2xlarge",
        "ml.t2.large", "ml.t2.medium", "ml.t2.xlarge", "ml.trn1.2xlarge", "ml.trn1.32xlarge", "ml.trn1n.32xlarge",
        "ml.trn2.48xlarge",
    ),
)
HYPERPARAMETERS = Count("SageMaker HyperParameters", minimum=0, maximum=100)
HYPERPARAMETER_KEY = Text("SageMaker HyperParameterKey", min_length=0, max_length=256, pattern=".*")
HYPERPARAMETER_VALUE = Text("SageMaker HyperParameterValue", min_length=0, max_length=2500, pattern=".*")
PROCESSING_INPUTS = Count("SageMaker ProcessingInputs", minimum=0, maximum=10)
PIPELINE_DESCRIPTION = Text("SageMaker PipelineDescription", min_length=0, max_length=3072, pattern=".*")
MODEL_PACKAGE_GROUP_DESCRIPTION = Text("SageMaker EntityDescription", min_length=0, max_length=1024, pattern="[\\p{L}\\p{M}\\p{Z}\\p{S}\\p{N}\\p{P}]*")
FEATURE_GROUP_DESCRIPTION = Text("SageMaker Description", min_length=0, max_length=128, pattern=None)
FEATURE_NAME = Text("SageMaker FeatureName", min_length=1, max_length=64, pattern="[a-zA-Z0-9]([-_]*[a-zA-Z0-9]){0,63}")
ENDPOINT_NAME = Text("SageMaker EndpointName", min_length=0, max_length=63, pattern="[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
FEATURE_GROUP_NAME = Text("SageMaker FeatureGroupName", min_length=1, max_length=64, pattern="[a-zA-Z0-9]([_-]*[a-zA-Z0-9]){0,63}")
TAG_KEY = Text("SageMaker TagKey", min_length=1, max_length=128, pattern="([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)")
TAG_VALUE = Text("SageMaker TagValue", min_length=0, max_length=256, pattern="([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)")
RULE_SCHEDULE_EXPRESSION = Text("EventBridge ScheduleExpression", min_length=0, max_length=256, pattern=None)
PROCESSING_S3_URI = Text("SageMaker S3Uri", min_length=0, max_length=1024, pattern="(https|s3)://([^/]+)/?(.*)")
GROUND_TRUTH_S3_URI = Text("SageMaker MonitoringS3Uri", min_length=0, max_length=512, pattern="(https|s3)://([^/]+)/?(.*)")
CONTAINER_ENVIRONMENT = Count("SageMaker EnvironmentMap", minimum=0, maximum=100)
ENVIRONMENT_KEY = Text("SageMaker EnvironmentKey", min_length=0, max_length=1024, pattern="[a-zA-Z_][a-zA-Z0-9_]*")
ENVIRONMENT_VALUE = Text("SageMaker EnvironmentValue", min_length=0, max_length=1024, pattern="[\\S\\s]*")
SERVERLESS_MAX_CONCURRENCY = Count("SageMaker ServerlessMaxConcurrency", minimum=1, maximum=200)
ASYNC_MAX_CONCURRENT_INVOCATIONS = Count("SageMaker MaxConcurrentInvocationsPerInstance", minimum=1, maximum=1000)
CAPTURE_SAMPLING_PERCENTAGE = Count("SageMaker SamplingPercentage", minimum=0, maximum=100)
TRAFFIC_WAIT_INTERVAL_SECONDS = Count("SageMaker WaitIntervalInSeconds", minimum=0, maximum=3600)
VARIANT_NAME = Text("SageMaker VariantName", min_length=0, max_length=63, pattern="[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
TRANSFORM_INSTANCE_TYPES = Choice(
    "SageMaker TransformInstanceType",
    (
        "ml.c4.2xlarge", "ml.c4.4xlarge", "ml.c4.8xlarge", "ml.c4.xlarge", "ml.c5.18xlarge", "ml.c5.2xlarge",
        "ml.c5.4xlarge", "ml.c5.9xlarge", "ml.c5.xlarge", "ml.c6i.12xlarge", "ml.c6i.16xlarge", "ml.c6i.24xlarge",
        "ml.c6i.2xlarge", "ml.c6i.32xlarge", "ml.c6i.4xlarge", "ml.c6i.8xlarge", "ml.c6i.large", "ml.c6i.xlarge",
        "ml.c7i.12xlarge", "ml.c7i.16xlarge", "ml.c7i.24xlarge", "ml.c7i.2xlarge", "ml.c7i.48xlarge", "ml.c7i.4xlarge",
        "ml.c7i.8xlarge", "ml.c7i.large", "ml.c7i.xlarge", "ml.g4dn.12xlarge", "ml.g4dn.16xlarge", "ml.g4dn.2xlarge",
        "ml.g4dn.4xlarge", "ml.g4dn.8xlarge", "ml.g4dn.xlarge", "ml.g5.12xlarge", "ml.g5.16xlarge", "ml.g5.24xlarge",
        "ml.g5.2xlarge", "ml.g5.48xlarge", "ml.g5.4xlarge", "ml.g5.8xlarge", "ml.g5.xlarge", "ml.g6.12xlarge",
        "ml.g6.16xlarge", "ml.g6.24xlarge", "ml.g6.2xlarge", "ml.g6.48xlarge", "ml.g6.4xlarge", "ml.g6.8xlarge",
        "ml.g6.xlarge", "ml.g6e.12xlarge", "ml.g6e.16xlarge", "ml.g6e.24xlarge", "ml.g6e.2xlarge", "ml.g6e.48xlarge",
        "ml.g6e.4xlarge", "ml.g6e.8xlarge", "ml.g6e.xlarge", "ml.inf2.24xlarge", "ml.inf2.48xlarge", "ml.inf2.8xlarge",
        "ml.inf2.xlarge", "ml.m4.10xlarge", "ml.m4.16xlarge", "ml.m4.2xlarge", "ml.m4.4xlarge", "ml.m4.xlarge",
        "ml.m5.12xlarge", "ml.m5.24xlarge", "ml.m5.2xlarge", "ml.m5.4xlarge", "ml.m5.large", "ml.m5.xlarge",
        "ml.m6i.12xlarge", "ml.m6i.16xlarge", "ml.m6i.24xlarge", "ml.m6i.2xlarge", "ml.m6i.32xlarge", "ml.m6i.4xlarge",
        "ml.m6i.8xlarge", "ml.m6i.large", "ml.m6i.xlarge", "ml.m7i.12xlarge", "ml.m7i.16xlarge", "ml.m7i.24xlarge",
        "ml.m7i.2xlarge", "ml.m7i.48xlarge", "ml.m7i.4xlarge", "ml.m7i.8xlarge", "ml.m7i.large", "ml.m7i.xlarge",
        "ml.p2.16xlarge", "ml.p2.8xlarge", "ml.p2.xlarge", "ml.p3.16xlarge", "ml.p3.2xlarge", "ml.p3.8xlarge",
        "ml.r6i.12xlarge", "ml.r6i.16xlarge", "ml.r6i.24xlarge", "ml.r6i.2xlarge", "ml.r6i.32xlarge", "ml.r6i.4xlarge",
        "ml.r6i.8xlarge", "ml.r6i.large", "ml.r6i.xlarge", "ml.r7i.12xlarge", "ml.r7i.16xlarge", "ml.r7i.24xlarge",
        "ml.r7i.2xlarge", "ml.r7i.48xlarge", "ml.r7i.4xlarge", "ml.r7i.8xlarge", "ml.r7i.large", "ml.r7i.xlarge",
        "ml.trn1.2xlarge", "ml.trn1.32xlarge",
    ),
)
TRANSFORM_MAX_PAYLOAD_MB = Count("SageMaker MaxPayloadInMB", minimum=0, maximum=None)
TRANSFORM_SPLIT_TYPES = Choice(
    "SageMaker SplitType",
    (
        "Line", "None", "RecordIO", "TFRecord",
    ),
)
TRANSFORM_CONTENT_TYPE = Text("SageMaker ContentType", min_length=0, max_length=256, pattern=".*")
TRACKING_SERVER_SIZES = Choice(
    "SageMaker TrackingServerSize",
    (
        "Large", "Medium", "Small",
    ),
)
MLFLOW_VERSION = Text("SageMaker MlflowVersion", min_length=0, max_length=16, pattern="[0-9]*.[0-9]*.[0-9]*")
MAINTENANCE_WINDOW_START = Text("SageMaker WeeklyMaintenanceWindowStart", min_length=0, max_length=9, pattern="(Mon|Tue|Wed|Thu|Fri|Sat|Sun):([01]\\d|2[0-3]):([0-5]\\d)")
# END GENERATED

_BLOCK = re.compile(r"^# BEGIN GENERATED[^\n]*\n(.*?)^# END GENERATED$", re.DOTALL | re.MULTILINE)
_STEP = re.compile(r"(\w+)(\[\]|\{key\}|\{value\})?")
_WRAP = 116


def generated_block() -> tuple[str, str]:
    """(begin marker naming the botocore version, the limits) rebuilt from the installed botocore."""
    import botocore
    import botocore.session

    session = botocore.session.get_session()
    models = {}
    parts = []
    for name, (service, operation, path) in SOURCES.items():
        if service not in models:
            models[service] = session.get_service_model(service)
        model = models[service]
        shape = _member_shape(model.operation_model(operation).input_shape, path)
        parts.append(_render(name, f"{model.metadata['serviceId']} {shape.name}", shape))
    marker = f"# BEGIN GENERATED from botocore {botocore.__version__} by `python -m mlops.specs.aws_limits --write`; edit SOURCES, not this block"
    return marker, "".join(parts)


def committed_block(source: str | None = None) -> str:
    """The limits as this file holds them."""
    match = _BLOCK.search(source if source is not None else Path(__file__).read_text(encoding="utf-8"))
    if match is None:
        raise ValueError(f"{__file__}: the BEGIN/END GENERATED markers are missing")
    return match[1]


def _member_shape(shape: Any, path: str) -> Any:
    for step in path.split("."):
        name, selector = _STEP.fullmatch(step).groups()
        shape = shape.members[name]
        if selector == "[]":
            shape = shape.member
        elif selector:
            shape = getattr(shape, selector.strip("{}"))
    return shape


def _render(name: str, source: str, shape: Any) -> str:
    meta = shape.metadata
    if shape.type_name == "string" and "enum" in meta:
        lines, line = [], ""
        for value in sorted(meta["enum"]):
            token = json.dumps(value) + ","
            if line and len(line) + 1 + len(token) > _WRAP:
                lines.append(line)
                line = ""
            line = f"{line} {token}" if line else token
        lines.append(line)
        values = "".join(f"        {line}\n" for line in lines)
        return f"{name} = Choice(\n    {json.dumps(source)},\n    (\n{values}    ),\n)\n"
    if shape.type_name == "string":
        pattern = json.dumps(meta["pattern"]) if "pattern" in meta else None
        return (
            f"{name} = Text({json.dumps(source)}, min_length={meta.get('min', 0)}, "
            f"max_length={meta.get('max')}, pattern={pattern})\n"
        )
    if shape.type_name in ("integer", "long", "list", "map"):
        return f"{name} = Count({json.dumps(source)}, minimum={meta.get('min')}, maximum={meta.get('max')})\n"
    raise ValueError(f"{source}: no limit kind for a {shape.type_name} shape; extend aws_limits._render")


def main(argv: list[str]) -> int:
    """No argument: exit 1 if the block differs from the installed botocore's; `--write`: rewrite it."""
    path = Path(__file__)
    text = path.read_text(encoding="utf-8")
    marker, limits = generated_block()
    if argv == ["--write"]:
        block = _BLOCK.search(text)
        path.write_text(f"{text[: block.start()]}{marker}\n{limits}# END GENERATED{text[block.end():]}", encoding="utf-8")
        print(f"{path}: limits rewritten from botocore's service models")
        return 0
    if limits != committed_block(text):
        print(f"{path}: limits differ from botocore's service models; run `python -m mlops.specs.aws_limits --write`")
        return 1
    print(f"{path}: limits match botocore's service models")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
