"""Pydantic types for one model spec (`models/<name>.yaml`) after environment overrides."""

from __future__ import annotations

import math
import re
from collections.abc import Sized
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, FiniteFloat, StringConstraints, model_validator

from . import aws_limits
from .aws_limits import Choice, Text
from .names import AWS_NAME_PATTERN, S3_URI_PATTERN, project_relative

Environment = Literal["dev", "staging", "prod"]
ENVIRONMENTS: tuple[str, ...] = ("dev", "staging", "prod")


def _within(*limits: Text) -> AfterValidator:
    """Checks text against every AWS field it reaches (see aws_limits.SOURCES)."""

    def check(value: str) -> str:
        for limit in limits:
            limit.check(value)
        return value

    return AfterValidator(check)


def _one_of(choice: Choice) -> Any:
    """Text checked against an AWS enum, which the exported JSON Schema lists too."""
    return Annotated[str, AfterValidator(choice.check), Field(json_schema_extra={"enum": list(choice.values)})]


def _at_most(limit: int, what: str) -> AfterValidator:
    """Checks the size of a list or mapping, with a message that says which AWS limit it is."""

    def check(value: Sized) -> Sized:
        if len(value) > limit:
            raise ValueError(f"expected at most {limit} {what}, not {len(value)}")
        return value

    return AfterValidator(check)


# S3's naming rules for general purpose buckets, which S3 documents (userguide/bucketnamingrules.html)
# but its service model does not state. S3_URI_PATTERN already holds the length and the characters.
_RESERVED_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
_IP_ADDRESS = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")


def _s3_uri(value: str) -> str:
    if not re.fullmatch(S3_URI_PATTERN, value):
        raise ValueError(
            "expected s3://<bucket>/<key> without spaces, the bucket 3-63 lowercase letters, digits, dots and hyphens "
            "that starts and ends with a letter or digit (S3 bucket naming rules)"
        )
    bucket = value.removeprefix("s3://").partition("/")[0]
    if ".." in bucket:
        problem = "two adjacent dots"
    elif _IP_ADDRESS.fullmatch(bucket):
        problem = "the form of an IP address"
    elif bucket.startswith(_RESERVED_BUCKET_PREFIXES):
        problem = f"the reserved prefix '{next(p for p in _RESERVED_BUCKET_PREFIXES if bucket.startswith(p))}'"
    elif bucket.endswith(_RESERVED_BUCKET_SUFFIXES):
        problem = f"the reserved suffix '{next(s for s in _RESERVED_BUCKET_SUFFIXES if bucket.endswith(s))}'"
    else:
        return value
    raise ValueError(f"bucket '{bucket}' has {problem}, which S3 bucket names must not have (S3 bucket naming rules)")


# Model and feature-group names end up inside SageMaker names capped at 63 characters
# (endpoints, model package groups) together with the stack prefix and environment.
ResourceName = Annotated[str, StringConstraints(pattern=AWS_NAME_PATTERN, min_length=1, max_length=32)]
FeatureName = Annotated[str, _within(aws_limits.FEATURE_NAME)]
# Spec URIs reach SageMaker's S3Uri (processing inputs, monitoring baselines) and MonitoringS3Uri (ground
# truth); holding every URI to both keeps one rule, and the baseline file names appended later still fit.
S3Uri = Annotated[str, AfterValidator(_s3_uri), _within(aws_limits.PROCESSING_S3_URI, aws_limits.GROUND_TRUTH_S3_URI)]
TrainingInstanceType = _one_of(aws_limits.TRAINING_INSTANCE_TYPES)
EndpointInstanceType = _one_of(aws_limits.ENDPOINT_INSTANCE_TYPES)
# Model Monitor runs its jobs as processing jobs.
MonitoringInstanceType = _one_of(aws_limits.PROCESSING_INSTANCE_TYPES)
NonEmpty = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


@dataclass(frozen=True)
class _CronField:
    """One field of an EventBridge cron expression: its values, their names and the wildcards it takes."""

    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    wildcards: str = ", - * /"

    @property
    def expected(self) -> str:
        names = f" or {self.names[0]}-{self.names[-1]}" if self.names else ""
        return f"{self.name} field takes {self.low}-{self.high}{names} and the wildcards {self.wildcards}"

    def value(self, token: str) -> int | None:
        """The number a value stands for, if it is one of this field's."""
        if re.fullmatch(r"[0-9]{1,4}", token):
            number = int(token)
        elif token in self.names:
            number = self.low + self.names.index(token)
        else:
            return None
        return number if self.low <= number <= self.high else None

    def accepts(self, text: str) -> bool:
        """A list of values, ranges and increments (`1,5-7,0/15,*/5`), or `*`."""
        return all(self._accepts_item(item) for item in text.split(","))

    def _accepts_item(self, item: str) -> bool:
        start, slash, step = item.partition("/")
        # Quartz, which EventBridge's cron follows, refuses increments beyond the field's largest value.
        if slash and not (re.fullmatch(r"[0-9]{1,4}", step) and 1 <= int(step) <= self.high):
            return False
        if start == "*":
            return True
        first, dash, last = start.partition("-")
        if not dash:
            return self.value(first) is not None
        low, high = self.value(first), self.value(last)
        return low is not None and high is not None and low <= high


# Month and weekday names in capitals, as EventBridge documents them.
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
# EventBridge's cron fields (eventbridge/latest/userguide/eb-scheduled-rule-pattern.html); the service
# model states only the expression's length.
_MINUTES = _CronField("minutes", 0, 59)
_HOURS = _CronField("hours", 0, 23)
_DAY_OF_MONTH = _CronField("day-of-month", 1, 31, wildcards=", - * ? / L W")
_MONTH = _CronField("month", 1, 12, _MONTHS)
_DAY_OF_WEEK = _CronField("day-of-week", 1, 7, _WEEKDAYS, wildcards=", - * ? L #")
_YEAR = _CronField("year", 1970, 2199)
_CRON_FIELDS = (_MINUTES, _HOURS, _DAY_OF_MONTH, _MONTH, _DAY_OF_WEEK, _YEAR)
_CRON_FORM = "cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>)"


def _cron_field_accepts(field: _CronField, text: str) -> bool:
    if text == "?":
        return field in (_DAY_OF_MONTH, _DAY_OF_WEEK)
    # L, W and # stand alone: the last day, the weekday nearest a day, the nth weekday of the month.
    if field is _DAY_OF_MONTH and (text == "L" or (text.endswith("W") and field.value(text[:-1]) is not None)):
        return True
    if field is _DAY_OF_WEEK:
        day, hash_, nth = text.partition("#")
        if hash_:
            return field.value(day) is not None and nth in ("1", "2", "3", "4", "5")
        if text == "L" or (text.endswith("L") and field.value(text[:-1]) is not None):
            return True
    return field.accepts(text)


def _cron_problem(body: str) -> str | None:
    fields = body.split(" ")
    if len(fields) != len(_CRON_FIELDS):
        return f"expected {_CRON_FORM}: six fields separated by single spaces, not {len(fields)} (EventBridge cron)"
    for field, text in zip(_CRON_FIELDS, fields):
        if not _cron_field_accepts(field, text):
            return f"expected a cron expression whose {field.expected}, not '{text}' (EventBridge cron)"
    if (fields[2] == "?") == (fields[4] == "?"):
        return (
            "expected '?' in exactly one of day-of-month and day-of-week, such as cron(0 2 ? * SUN *) "
            "or cron(0 2 1 * ? *) (EventBridge cron)"
        )
    return None


def _rate_problem(body: str) -> str | None:
    match = re.fullmatch(r"([1-9][0-9]*) (minute|hour|day)(s?)", body)
    if match is None:
        return (
            "expected rate(<N> <unit>) with N a whole number from 1 and unit minute(s), hour(s) or day(s), "
            "such as rate(1 day) or rate(5 days) (EventBridge rate)"
        )
    count, unit, plural = int(match[1]), match[2], bool(match[3])
    if count == 1 and plural:
        return f"expected rate(1 {unit}): the unit is singular for 1 (EventBridge rate)"
    if count > 1 and not plural:
        return f"expected rate({count} {unit}s): the unit is plural above 1 (EventBridge rate)"
    return None


def _eventbridge_schedule(value: str) -> str:
    aws_limits.RULE_SCHEDULE_EXPRESSION.check(value)
    if value.startswith("rate(") and value.endswith(")"):
        problem = _rate_problem(value[len("rate(") : -1])
    elif value.startswith("cron(") and value.endswith(")"):
        problem = _cron_problem(value[len("cron(") : -1])
    else:
        problem = f"expected rate(<N> <unit>) or {_CRON_FORM} (EventBridge schedule expression)"
    if problem:
        raise ValueError(problem)
    return value


# Model Monitor takes only the cron forms its ScheduleConfig.ScheduleExpression documentation lists: hourly,
# daily at an hour, or every 1-24 hours from an hour. `NOW` also needs a data analysis window the platform
# does not set.
_MONITORING_CRON = re.compile(r"cron\(0 (?:\*|(?P<hour>[0-9]{1,2})(?:/(?P<every>[0-9]{1,2}))?) \? \* \* \*\)")


def _monitoring_schedule(value: str) -> str:
    match = _MONITORING_CRON.fullmatch(value)
    if match is None or int(match["hour"] or 0) > 23 or not 1 <= int(match["every"] or 1) <= 24:
        raise ValueError(
            "expected cron(0 * ? * * *) (hourly), cron(0 H ? * * *) (daily at hour H, 0-23) or cron(0 H/N ? * * *) "
            "(every N hours from hour H, N 1-24) (SageMaker Model Monitor schedule)"
        )
    return value


EventBridgeSchedule = Annotated[str, AfterValidator(_eventbridge_schedule)]
MonitoringSchedule = Annotated[str, AfterValidator(_monitoring_schedule)]
ProjectPath = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True), AfterValidator(project_relative)]


def _duplicates(names: list[str]) -> list[str]:
    """The names that occur more than once, sorted."""
    return sorted({n for n in names if names.count(n) > 1})


class FieldProblem(ValueError):
    """A problem a cross-field validator finds in one field: `path` (relative to the validated type)
    lets the loader name that field and its line rather than the whole type."""

    def __init__(self, path: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.path = path


class Strict(BaseModel):
    """Base for every spec type: unknown keys are errors and a loaded spec never changes."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class RiskTier(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class DataClassification(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    PII = "pii"


class Metadata(Strict):
    name: ResourceName
    # The training pipeline's description and the model package group's.
    description: Annotated[NonEmpty, _within(aws_limits.PIPELINE_DESCRIPTION, aws_limits.MODEL_PACKAGE_GROUP_DESCRIPTION)]
    # Owner, team and cost center are tag values on every resource (components/tags.py).
    owner: Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"), _within(aws_limits.TAG_VALUE)]
    team: Annotated[NonEmpty, _within(aws_limits.TAG_VALUE)]
    cost_center: Annotated[NonEmpty, _within(aws_limits.TAG_VALUE)]
    risk_tier: RiskTier
    data_classification: DataClassification


class FeatureType(StrEnum):
    # The three types SageMaker Feature Store knows.
    INTEGRAL = "integral"
    FRACTIONAL = "fractional"
    STRING = "string"


class Feature(Strict):
    name: FeatureName
    type: FeatureType
    pii: bool = False
    # A protected or otherwise sensitive attribute (age, sex, nationality…): fairness is measured
    # across its values, so a model that has one must name it as a bias facet (policy `bias-facets-declared`).
    sensitive: bool = False


class FeatureGroup(Strict):
    name: ResourceName
    description: Annotated[NonEmpty, _within(aws_limits.FEATURE_GROUP_DESCRIPTION)]
    record_identifier: FeatureName
    event_time: FeatureName
    features: list[Feature] = Field(min_length=2)
    online_store: bool = False
    offline_store: bool = True

    @property
    def contains_pii(self) -> bool:
        return any(f.pii for f in self.features)

    @model_validator(mode="after")
    def _identifiers_are_features(self) -> FeatureGroup:
        names = [f.name for f in self.features]
        if dupes := _duplicates(names):
            raise ValueError(f"feature names must be unique, found duplicates {dupes}")
        for field, value in (("record_identifier", self.record_identifier), ("event_time", self.event_time)):
            if value not in names:
                raise ValueError(f"{field} '{value}' must name one of the features {names}")
        event_type = next(f.type for f in self.features if f.name == self.event_time)
        if event_type is FeatureType.INTEGRAL:
            raise ValueError(f"event_time feature '{self.event_time}' must be fractional or string (ISO-8601), not integral")
        if not (self.online_store or self.offline_store):
            raise ValueError("a feature group needs an online store, an offline store or both")
        return self


class Comparison(StrEnum):
    GREATER_THAN_OR_EQUAL = "greater_than_or_equal"
    LESS_THAN_OR_EQUAL = "less_than_or_equal"


class Evaluation(Strict):
    # The metric names the report's JSON path and goes into the model package description (1,024 characters).
    metric: Annotated[str, StringConstraints(pattern=r"^[a-zA-Z][a-zA-Z0-9_]*$", max_length=128)]
    threshold: FiniteFloat
    comparison: Comparison = Comparison.GREATER_THAN_OR_EQUAL


def _not_the_script_channel(channel: str) -> str:
    # The SageMaker SDK gives the processing script its own input, named "code".
    if channel == "code":
        raise ValueError("'code' is the name of the processing script's own input; name the channel otherwise")
    return channel


class TrainingInput(Strict):
    channel: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9\.\-_]{1,64}$"), AfterValidator(_not_the_script_channel)]
    s3_uri: S3Uri | None = None
    feature_group: ResourceName | None = None

    @model_validator(mode="after")
    def _one_source(self) -> TrainingInput:
        if (self.s3_uri is None) == (self.feature_group is None):
            raise ValueError("give exactly one of s3_uri or feature_group")
        return self


class NewDataTrigger(Strict):
    s3_uri: S3Uri


class Triggers(Strict):
    schedule: EventBridgeSchedule | None = None
    on_new_data: NewDataTrigger | None = None


class PipelineCheck(Strict):
    """One check step of the training pipeline before registration: its result and its baseline are
    registered with the model package (drift-check baselines and model metrics)."""

    enabled: bool = True
    # Skip the check but still register the last baseline: for a first run, or after a reviewed data change.
    skip_check: bool = False
    # Compute a fresh baseline from this run's data and register it.
    register_new_baseline: bool = False
    instance_type: MonitoringInstanceType = "ml.m5.xlarge"


class PipelineChecks(Strict):
    """Checks the training pipeline runs on the prepared training data before it registers a model:
    a data-quality check (QualityCheckStep, Model Monitor's analyzer) and a pre-training bias check
    (ClarifyCheckStep, SageMaker Clarify) whose label and facets are `monitoring.bias`'s."""

    data_quality: PipelineCheck | None = None
    bias: PipelineCheck | None = None


def _hyperparameter_value(value: Any) -> str | int | float | bool:
    """Text, a number or true/false; SageMaker receives it as the text `str(value)`, as the SDK sends it."""
    if not isinstance(value, (str, int, float)):  # bool is an int
        # The loader appends "; found <value>" for scalars.
        raise ValueError("expected text, a number or true/false")
    # Plans and the policy engine carry numbers as JSON, where integers beyond 64 bits break.
    if isinstance(value, int) and not aws_limits.LONG_MIN <= value <= aws_limits.LONG_MAX:
        raise ValueError(
            f"expected an integer from {aws_limits.LONG_MIN} to {aws_limits.LONG_MAX} (64 bits); quote it to pass it as text"
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("expected a finite number; quote it to pass it as text")
    aws_limits.HYPERPARAMETER_VALUE.check(str(value))
    return value


HyperparameterValue = Annotated[str | int | float | bool, BeforeValidator(_hyperparameter_value)]


class Training(Strict):
    framework: Literal["xgboost", "sklearn", "pytorch", "tensorflow"] | None = None
    framework_version: NonEmpty | None = None
    # pytorch and tensorflow images are published per Python version (e.g. py310).
    py_version: Annotated[str, StringConstraints(pattern=r"^py3\d{1,2}$")] | None = None
    image_uri: Annotated[str, StringConstraints(pattern=r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/.+$")] | None = None
    entry_point: ProjectPath | None = None
    instance_type: TrainingInstanceType = "ml.m5.xlarge"
    instance_count: int = Field(default=1, ge=1, le=100)
    volume_size_gb: int = Field(default=30, ge=1, le=16384)
    max_runtime_minutes: int = Field(default=60, ge=1, le=40320)
    hyperparameters: Annotated[
        dict[Annotated[str, _within(aws_limits.HYPERPARAMETER_KEY)], HyperparameterValue],
        _at_most(aws_limits.HYPERPARAMETERS.maximum, "hyperparameters (SageMaker HyperParameters)"),
    ] = Field(default_factory=dict)
    # Each input is one input of the Prepare processing job, beside the script input the SDK adds.
    inputs: Annotated[
        list[TrainingInput],
        _at_most(aws_limits.PROCESSING_INPUTS.maximum - 1, "inputs (SageMaker ProcessingInputs, less the script's)"),
    ] = Field(min_length=1)
    evaluation: Evaluation
    triggers: Triggers = Field(default_factory=Triggers)
    checks: PipelineChecks = Field(default_factory=PipelineChecks)

    @model_validator(mode="after")
    def _framework_or_image(self) -> Training:
        if self.image_uri is None and self.framework is None:
            raise ValueError("give either framework (with framework_version) or image_uri")
        if self.image_uri is not None and self.framework is not None:
            raise ValueError("give framework or image_uri, not both")
        if self.framework is not None and self.framework_version is None:
            raise ValueError(f"framework '{self.framework}' needs framework_version")
        if self.framework in ("pytorch", "tensorflow") and self.py_version is None:
            raise ValueError(f"framework '{self.framework}' needs py_version (for example py310)")
        channels = [i.channel for i in self.inputs]
        if len(set(channels)) != len(channels):
            raise ValueError(f"training input channels must be unique, found {channels}")
        return self


class ApprovalMode(StrEnum):
    MANUAL = "manual"
    AUTOMATIC = "automatic"


class Registry(Strict):
    approval: ApprovalMode = ApprovalMode.MANUAL
    # The model package version this environment serves; None serves the artifact the
    # pipeline last wrote (acceptable in dev, flagged by policy elsewhere).
    pinned_version: int | None = Field(default=None, ge=1, le=aws_limits.INTEGER_MAX)


class ModelCardStatus(StrEnum):
    # SageMaker's model card approval states (CreateModelCard ModelCardStatus).
    DRAFT = "Draft"
    PENDING_REVIEW = "PendingReview"
    APPROVED = "Approved"
    ARCHIVED = "Archived"


# One use, as a model card states it: a sentence, not an essay (the card's JSON schema caps its
# free-text fields at 2,048 characters; several uses share one).
ModelUse = Annotated[str, StringConstraints(min_length=1, max_length=300, strip_whitespace=True)]


class ModelCard(Strict):
    """The SageMaker model card declared for the model: what it is for and what it is not for.

    A high-risk model must state both kinds of use (policy `model-card-approved`). The status is per environment (Draft unless an environment
    override or `mlops promote` says otherwise); policy `model-card-approved` wants Approved where
    the environment requires it (prod) for high-risk models.
    """

    intended_uses: Annotated[list[ModelUse], Field(max_length=6)] = Field(default_factory=list)
    out_of_scope_uses: Annotated[list[ModelUse], Field(max_length=6)] = Field(default_factory=list)
    status: ModelCardStatus = ModelCardStatus.DRAFT


class ServingMode(StrEnum):
    REALTIME = "realtime"
    SERVERLESS = "serverless"
    ASYNC = "async"
    # No endpoint: a SageMaker pipeline runs a batch transform of the registered model on a
    # schedule or when new data lands (`serving.batch`).
    BATCH = "batch"


class Autoscaling(Strict):
    min_capacity: int = Field(ge=1, le=1000)
    max_capacity: int = Field(ge=1, le=1000)
    target_invocations_per_instance: int = Field(ge=1, le=aws_limits.INTEGER_MAX)
    scale_in_cooldown_seconds: int = Field(default=300, ge=0, le=aws_limits.INTEGER_MAX)
    scale_out_cooldown_seconds: int = Field(default=60, ge=0, le=aws_limits.INTEGER_MAX)

    @model_validator(mode="after")
    def _bounds(self) -> Autoscaling:
        if self.min_capacity > self.max_capacity:
            raise ValueError(f"min_capacity ({self.min_capacity}) must not exceed max_capacity ({self.max_capacity})")
        return self


class Serverless(Strict):
    # The memory sizes SageMaker Serverless Inference accepts.
    memory_size_mb: Literal[1024, 2048, 3072, 4096, 5120, 6144] = 2048
    max_concurrency: int = Field(
        default=5, ge=aws_limits.SERVERLESS_MAX_CONCURRENCY.minimum, le=aws_limits.SERVERLESS_MAX_CONCURRENCY.maximum
    )


class AsyncInference(Strict):
    max_concurrent_invocations_per_instance: int = Field(
        default=4, ge=aws_limits.ASYNC_MAX_CONCURRENT_INVOCATIONS.minimum, le=aws_limits.ASYNC_MAX_CONCURRENT_INVOCATIONS.maximum
    )


class DeploymentStrategy(StrEnum):
    ALL_AT_ONCE = "all_at_once"
    CANARY = "canary"
    LINEAR = "linear"


class Deployment(Strict):
    strategy: DeploymentStrategy = DeploymentStrategy.ALL_AT_ONCE
    canary_percent: int | None = Field(default=None, ge=1, le=50)
    linear_step_percent: int | None = Field(default=None, ge=5, le=50)
    # Each traffic shift waits this long (WaitIntervalInSeconds).
    bake_minutes: int = Field(default=10, ge=0, le=aws_limits.TRAFFIC_WAIT_INTERVAL_SECONDS.maximum // 60)
    auto_rollback: bool = True

    @model_validator(mode="after")
    def _strategy_fields(self) -> Deployment:
        if self.strategy is DeploymentStrategy.CANARY and self.canary_percent is None:
            raise ValueError("strategy 'canary' needs canary_percent")
        if self.strategy is DeploymentStrategy.LINEAR and self.linear_step_percent is None:
            raise ValueError("strategy 'linear' needs linear_step_percent")
        return self


class DataCapture(Strict):
    enabled: bool = True
    sampling_percent: int = Field(default=100, ge=1, le=aws_limits.CAPTURE_SAMPLING_PERCENTAGE.maximum)


VariantName = Annotated[str, StringConstraints(min_length=1), _within(aws_limits.VARIANT_NAME)]
TransformInstanceType = _one_of(aws_limits.TRANSFORM_INSTANCE_TYPES)
# The name of the endpoint's single production variant when no `serving.variants` are declared.
PRIMARY_VARIANT = "primary"


class Variant(Strict):
    """One production variant of an A/B test: a pinned model package version, its share of the
    traffic and its own instances (the serving instance settings when not given)."""

    name: VariantName
    model_version: int = Field(ge=1, le=aws_limits.INTEGER_MAX)
    # Percent of the requests this variant answers; the weights of all variants sum to 100.
    weight: int = Field(ge=0, le=100)
    instance_type: EndpointInstanceType | None = None
    initial_instance_count: int | None = Field(default=None, ge=1, le=100)


class ShadowVariant(Strict):
    """A challenger that receives a copy of the production traffic; its answers are captured, never returned."""

    name: VariantName = "shadow"
    model_version: int = Field(ge=1, le=aws_limits.INTEGER_MAX)
    # Percent of the production requests copied to the shadow.
    traffic_percent: int = Field(default=100, ge=1, le=100)
    instance_type: EndpointInstanceType | None = None
    initial_instance_count: int | None = Field(default=None, ge=1, le=100)


class BatchInference(Strict):
    """Batch transform of the registered model: a SageMaker pipeline started on a schedule, when
    new data lands under `input_s3_uri`, or both; its output goes to the platform's encrypted bucket."""

    input_s3_uri: S3Uri
    schedule: EventBridgeSchedule | None = None
    on_new_data: bool = False
    instance_type: TransformInstanceType = "ml.m5.xlarge"
    instance_count: int = Field(default=1, ge=1, le=100)
    content_type: Annotated[str, StringConstraints(min_length=1), _within(aws_limits.TRANSFORM_CONTENT_TYPE)] = "text/csv"
    split_type: _one_of(aws_limits.TRANSFORM_SPLIT_TYPES) = "Line"  # type: ignore[valid-type]
    # SageMaker's largest mini-batch is 100 MB.
    max_payload_mb: int = Field(default=6, ge=0, le=100)

    @model_validator(mode="after")
    def _started_somehow(self) -> BatchInference:
        if self.schedule is None and not self.on_new_data:
            raise ValueError("give schedule, on_new_data: true or both: nothing would start the batch pipeline")
        return self


# A Pulumi config key, `name` (the project's namespace) or `namespace:name`.
CONFIG_KEY_PATTERN = r"^(?:[A-Za-z0-9][A-Za-z0-9_.-]*:)?[A-Za-z][A-Za-z0-9_.-]*$"
# Namespaces whose keys the stack settings or providers own; a secret there would be read as a setting.
RESERVED_CONFIG_NAMESPACES: tuple[str, ...] = ("mlops", "aws", "aws-native")


class SecretRef(Strict):
    """A container environment value taken from a secret Pulumi config key.

    The spec names the key only; the value lives encrypted in `Pulumi.<stack>.yaml`
    (`pulumi config set --secret KEY VALUE`), reaches the model as a Pulumi secret and is
    redacted from every plan and report.
    """

    secret: Annotated[str, StringConstraints(pattern=CONFIG_KEY_PATTERN)]

    @model_validator(mode="after")
    def _own_namespace(self) -> SecretRef:
        namespace = self.secret.partition(":")[0] if ":" in self.secret else None
        if namespace in RESERVED_CONFIG_NAMESPACES:
            raise ValueError(
                f"secret '{self.secret}' is in the reserved '{namespace}:' namespace; "
                "use the project's namespace (write the key without a namespace) or your own"
            )
        return self


def _environment_value(value: Any) -> str | SecretRef:
    """Text, or `{secret: <pulumi config key>}`; one plain error otherwise (no union noise)."""
    if isinstance(value, SecretRef):
        return value
    if isinstance(value, str):
        return aws_limits.ENVIRONMENT_VALUE.check(value)
    if isinstance(value, dict):
        key = value.get("secret")
        if set(value) != {"secret"} or not isinstance(key, str):
            raise ValueError(f"expected {{secret: <pulumi config key>}}; found a mapping with keys {sorted(map(str, value))}")
        if not re.match(CONFIG_KEY_PATTERN, key):
            raise ValueError(f"secret: expected a Pulumi config key such as apiToken or myproject:apiToken; found {key!r}")
        return SecretRef(secret=key)
    # The loader appends "; found <value>" for scalars.
    raise ValueError("expected text (quote numbers and booleans) or {secret: <pulumi config key>}")


EnvironmentValue = Annotated[str | SecretRef, BeforeValidator(_environment_value)]


class Serving(Strict):
    mode: ServingMode = ServingMode.REALTIME
    image_uri: Annotated[str, StringConstraints(pattern=r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/.+$")] | None = None
    instance_type: EndpointInstanceType | None = "ml.m5.large"
    initial_instance_count: int = Field(default=1, ge=1, le=100)
    autoscaling: Autoscaling | None = None
    serverless: Serverless | None = None
    async_inference: AsyncInference | None = None
    # A/B testing: weighted production variants in place of the single primary one (realtime only).
    variants: Annotated[list[Variant], Field(max_length=10)] = Field(default_factory=list)
    # Shadow testing: a challenger that gets a copy of the traffic (realtime only).
    shadow: ShadowVariant | None = None
    batch: BatchInference | None = None
    deployment: Deployment = Field(default_factory=Deployment)
    data_capture: DataCapture = Field(default_factory=DataCapture)
    network_isolation: bool = True
    # Container environment variables: plain text, or {secret: <pulumi config key>} for values
    # that must never be written in the spec, the plan or a report.
    environment: Annotated[
        dict[Annotated[str, _within(aws_limits.ENVIRONMENT_KEY)], EnvironmentValue],
        _at_most(aws_limits.CONTAINER_ENVIRONMENT.maximum, "variables (SageMaker EnvironmentMap)"),
    ] = Field(default_factory=dict)

    @property
    def secret_environment(self) -> dict[str, str]:
        """Variable name → the config key of every variable whose value is a secret."""
        return {name: value.secret for name, value in self.environment.items() if isinstance(value, SecretRef)}

    @model_validator(mode="after")
    def _mode_fields(self) -> Serving:
        if self.mode is ServingMode.SERVERLESS:
            # Serverless endpoints have no instances to scale, cannot capture data and
            # only support all-at-once blue/green shifting.
            if self.autoscaling is not None:
                raise ValueError("serverless endpoints scale themselves; remove autoscaling")
            if self.data_capture.enabled:
                raise ValueError("serverless endpoints do not support data capture; set data_capture.enabled: false")
            if self.deployment.strategy is not DeploymentStrategy.ALL_AT_ONCE:
                raise ValueError("serverless endpoints only support deployment strategy 'all_at_once'")
        elif self.serverless is not None:
            raise ValueError(f"'serverless' settings need mode 'serverless', not '{self.mode}'")
        if self.mode is not ServingMode.ASYNC and self.async_inference is not None:
            raise ValueError(f"'async_inference' settings need mode 'async', not '{self.mode}'")
        self._batch_fields()
        self._variant_fields()
        if self.autoscaling is not None:
            for where, count in self.instance_counts().items():
                if not self.autoscaling.min_capacity <= count <= self.autoscaling.max_capacity:
                    raise ValueError(
                        f"{where} ({count}) must lie within the autoscaling bounds "
                        f"[{self.autoscaling.min_capacity}, {self.autoscaling.max_capacity}]"
                    )
        return self

    def _batch_fields(self) -> None:
        if self.mode is not ServingMode.BATCH:
            if self.batch is not None:
                raise ValueError(f"'batch' settings need mode 'batch', not '{self.mode}'")
            return
        if self.batch is None:
            raise ValueError("mode 'batch' needs batch: {input_s3_uri, schedule and/or on_new_data: true}")
        for field in ("autoscaling", "serverless", "shadow"):
            if getattr(self, field) is not None:
                raise ValueError(f"mode 'batch' has no endpoint; remove {field}")
        if self.variants:
            raise ValueError("mode 'batch' has no endpoint; remove variants")
        if self.deployment.strategy is not DeploymentStrategy.ALL_AT_ONCE:
            raise ValueError("mode 'batch' has no endpoint to shift traffic on; remove deployment")
        if self.secret_environment:
            # The batch pipeline creates the model, so its environment is written into the pipeline
            # definition, which whoever may describe the pipeline reads in plain text.
            raise ValueError(
                f"mode 'batch' writes the container environment into the pipeline definition; "
                f"secret values need an endpoint: remove {{secret: ...}} from {sorted(self.secret_environment)}"
            )

    def _variant_fields(self) -> None:
        if (self.variants or self.shadow is not None) and self.mode is not ServingMode.REALTIME:
            raise ValueError(f"variants and shadow need mode 'realtime', not '{self.mode}'")
        if self.variants:
            if len(self.variants) < 2:
                raise ValueError("variants: give at least two (a champion and a challenger); one variant is the default primary")
            total = sum(v.weight for v in self.variants)
            if total != 100:
                raise ValueError(f"variants: the weights must sum to 100, not {total}")
            if self.shadow is not None:
                raise ValueError("give variants (A/B) or shadow, not both: SageMaker shadow tests have one production variant")
        if dupes := _duplicates([v.name for v in self.variants] + ([self.shadow.name] if self.shadow else [])):
            raise ValueError(f"variant names must be unique, found duplicates {dupes}")
        if self.shadow is not None and self.shadow.name == PRIMARY_VARIANT:
            raise ValueError(f"'{PRIMARY_VARIANT}' names the production variant; name the shadow otherwise")

    @property
    def production_variants(self) -> list[str]:
        """The names of the variants that answer requests: the A/B variants, else the one primary."""
        if self.mode is ServingMode.BATCH:
            return []
        return [v.name for v in self.variants] or [PRIMARY_VARIANT]

    @property
    def all_variants(self) -> list[str]:
        """Every variant the endpoint runs, the shadow included."""
        return self.production_variants + ([self.shadow.name] if self.shadow is not None else [])

    def instance_counts(self) -> dict[str, int]:
        """The initial instance count of every instance-backed variant, by where the spec sets it."""
        if self.mode in (ServingMode.SERVERLESS, ServingMode.BATCH):
            return {}
        counts = {"initial_instance_count": self.initial_instance_count} if not self.variants else {}
        for i, v in enumerate(self.variants):
            counts[f"variants[{i}].initial_instance_count"] = v.initial_instance_count or self.initial_instance_count
        if self.shadow is not None:
            counts["shadow.initial_instance_count"] = self.shadow.initial_instance_count or self.initial_instance_count
        return counts


class DataQualityMonitor(Strict):
    enabled: bool = True
    schedule: MonitoringSchedule = "cron(0 * ? * * *)"
    instance_type: MonitoringInstanceType = "ml.m5.large"
    baseline_s3_uri: S3Uri | None = None


class ProblemType(StrEnum):
    BINARY_CLASSIFICATION = "BinaryClassification"
    MULTICLASS_CLASSIFICATION = "MulticlassClassification"
    REGRESSION = "Regression"


# Where Model Monitor finds the model's answer in the captured endpoint output: a column index
# ("0") for CSV output, a JSONPath for JSON output.
OutputAttribute = Annotated[str, StringConstraints(min_length=1, max_length=256, strip_whitespace=True)]


class ModelQualityMonitor(Strict):
    """What Model Monitor compares with the ground truth. SageMaker needs to know where the
    model's answer is in the captured output, and what it is, per problem type: a predicted
    label or value (`inference_attribute`), or for binary classification a probability and the
    threshold above which it counts as the positive class."""

    enabled: bool = True
    problem_type: ProblemType
    ground_truth_s3_uri: S3Uri
    inference_attribute: OutputAttribute | None = None
    probability_attribute: OutputAttribute | None = None
    probability_threshold: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False)
    schedule: MonitoringSchedule = "cron(0 0 ? * * *)"
    instance_type: MonitoringInstanceType = "ml.m5.large"

    @model_validator(mode="after")
    def _output_for_problem_type(self) -> ModelQualityMonitor:
        probability = self.probability_attribute is not None or self.probability_threshold is not None
        if self.problem_type is ProblemType.BINARY_CLASSIFICATION:
            if (self.probability_attribute is None) != (self.probability_threshold is None):
                raise ValueError(
                    "give probability_attribute and probability_threshold together (the probability and the cut-off for the positive class)"
                )
            if self.inference_attribute is None and not probability:
                raise ValueError(
                    "BinaryClassification needs the model's answer in the captured output: inference_attribute (the predicted "
                    "label), or probability_attribute with probability_threshold"
                )
        elif self.problem_type is ProblemType.MULTICLASS_CLASSIFICATION:
            if self.inference_attribute is None:
                raise ValueError(
                    "MulticlassClassification needs inference_attribute: where the predicted label is in the captured output"
                )
            if self.probability_threshold is not None:
                raise ValueError("probability_threshold applies to BinaryClassification only")
        elif self.inference_attribute is None or probability:
            raise ValueError(
                "Regression needs inference_attribute (where the predicted value is) and no probability_attribute or probability_threshold"
            )
        return self


# A label or facet value as SageMaker Clarify takes it: a category (text or a number).
ClarifyValue = Annotated[str | int | float, BeforeValidator(_hyperparameter_value)]


class BiasFacet(Strict):
    """A sensitive attribute fairness is measured across: one of the model's features."""

    name: FeatureName
    # The facet values (or, for a numeric facet, the single threshold above which) that form the
    # group whose outcomes are compared with the rest; empty: each value is its own group.
    values_or_threshold: Annotated[list[ClarifyValue], Field(max_length=20)] = Field(default_factory=list)


class BiasMonitor(Strict):
    """Model bias monitoring (SageMaker Clarify through Model Monitor): post-training bias metrics
    of the live predictions against the ground truth, per facet. `training.checks.bias` uses the
    same label and facets for the pre-training check. `enabled: false` keeps the definition for the
    pipeline check but schedules no monitor."""

    enabled: bool = True
    # The ground-truth label's column name.
    label: FeatureName
    facets: Annotated[list[BiasFacet], Field(min_length=1, max_length=10)]
    # The label values that are the favourable (positive) outcome.
    positive_label: Annotated[list[ClarifyValue], Field(min_length=1, max_length=20)]
    ground_truth_s3_uri: S3Uri
    inference_attribute: OutputAttribute | None = None
    probability_attribute: OutputAttribute | None = None
    # The score above which a prediction counts as the positive label.
    probability_threshold: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False)
    # A baselining job's output holding constraints.json, the limits each bias metric is held to.
    baseline_s3_uri: S3Uri | None = None
    schedule: MonitoringSchedule = "cron(0 0 ? * * *)"
    instance_type: MonitoringInstanceType = "ml.m5.large"

    @model_validator(mode="after")
    def _facets_and_output(self) -> BiasMonitor:
        names = [f.name for f in self.facets]
        if dupes := _duplicates(names):
            raise ValueError(f"facet names must be unique, found duplicates {dupes}")
        if self.label in names:
            raise ValueError(f"the label '{self.label}' cannot also be a facet")
        if (self.probability_attribute is None) != (self.probability_threshold is None):
            raise ValueError("give probability_attribute and probability_threshold together (the score and the cut-off for the positive label)")
        if self.inference_attribute is None and self.probability_attribute is None:
            raise ValueError(
                "name the model's answer in the captured output: inference_attribute (the predicted label), "
                "or probability_attribute with probability_threshold"
            )
        return self


class ShapAggregation(StrEnum):
    MEAN_ABS = "mean_abs"
    MEDIAN = "median"
    MEAN_SQ = "mean_sq"


class ExplainabilityMonitor(Strict):
    """Feature-attribution drift monitoring (SageMaker Clarify SHAP through Model Monitor)."""

    enabled: bool = True
    # Rows SHAP compares each explained record with (Clarify SHAPConfig baseline), a CSV file.
    shap_baseline_s3_uri: S3Uri
    num_samples: int = Field(default=100, ge=1, le=10000)
    agg_method: ShapAggregation = ShapAggregation.MEAN_ABS
    # Where the model's score is in the captured output (a CSV column index or a JSONPath).
    probability_attribute: OutputAttribute | None = None
    # A baselining job's output holding constraints.json, the attribution limits.
    baseline_s3_uri: S3Uri | None = None
    schedule: MonitoringSchedule = "cron(0 0 ? * * *)"
    instance_type: MonitoringInstanceType = "ml.m5.large"


class Alarms(Strict):
    latency_p99_ms: int = Field(default=500, ge=1, le=aws_limits.INTEGER_MAX)
    error_5xx_count: int = Field(default=5, ge=1, le=aws_limits.INTEGER_MAX)
    error_4xx_count: int = Field(default=50, ge=1, le=aws_limits.INTEGER_MAX)
    # Model Monitor's baseline-drift distance per feature, between 0 and 1.
    drift_threshold: float = Field(default=0.2, gt=0, le=1)
    # Clarify's post-training disparate impact (DI) of a bias facet below this pages the team;
    # 0.8 is the four-fifths rule of adverse impact.
    disparate_impact_min: float = Field(default=0.8, gt=0, le=1)
    evaluation_minutes: int = Field(default=5, ge=1, le=1440)


class Monitoring(Strict):
    data_quality: DataQualityMonitor | None = None
    model_quality: ModelQualityMonitor | None = None
    bias: BiasMonitor | None = None
    explainability: ExplainabilityMonitor | None = None
    alarms: Alarms = Field(default_factory=Alarms)


class ModelSpec(Strict):
    """One model, as it is deployed to one environment (overrides already merged)."""

    metadata: Metadata
    feature_groups: list[FeatureGroup] = Field(default_factory=list)
    training: Training
    registry: Registry = Field(default_factory=Registry)
    serving: Serving
    monitoring: Monitoring = Field(default_factory=Monitoring)
    model_card: ModelCard = Field(default_factory=ModelCard)

    @property
    def name(self) -> str:
        return self.metadata.name

    @model_validator(mode="after")
    def _references(self) -> ModelSpec:
        group_names = [g.name for g in self.feature_groups]
        if dupes := _duplicates(group_names):
            raise FieldProblem(("feature_groups",), f"feature group names must be unique, found duplicates {dupes}")
        offline = {g.name for g in self.feature_groups if g.offline_store}
        for i, source in enumerate(self.training.inputs):
            where = ("training", "inputs", i, "feature_group")
            if source.feature_group is not None and source.feature_group not in group_names:
                raise FieldProblem(
                    where, f"'{source.feature_group}' is not defined; defined feature groups: {group_names or 'none'}"
                )
            if source.feature_group is not None and source.feature_group not in offline:
                raise FieldProblem(
                    where, f"'{source.feature_group}' has no offline store to train from; set offline_store: true on it"
                )
        if self.serving.mode is ServingMode.SERVERLESS and self.monitoring.data_quality and self.monitoring.data_quality.enabled:
            raise FieldProblem(("monitoring", "data_quality"), "needs captured data, which serverless endpoints do not produce")
        if (self.monitoring.data_quality and self.monitoring.data_quality.enabled) and not self.serving.data_capture.enabled:
            raise FieldProblem(("monitoring", "data_quality"), "needs serving.data_capture.enabled: true")
        self._fairness_references()
        return self

    @property
    def features(self) -> list[Feature]:
        """Every feature of the model's feature groups, in spec order."""
        return [f for g in self.feature_groups for f in g.features]

    @property
    def input_features(self) -> list[Feature]:
        """The columns the model is given, in spec order: every feature but record identifiers and
        event times (the headers Clarify's checks and monitors read, the features drift is watched on)."""
        keys = {name for g in self.feature_groups for name in (g.record_identifier, g.event_time)}
        return [f for f in self.features if f.name not in keys]

    def _fairness_references(self) -> None:
        monitoring = self.monitoring
        endpoint_monitors = {
            "model_quality": monitoring.model_quality,
            "bias": monitoring.bias,
            "explainability": monitoring.explainability,
        }
        for field, monitor in endpoint_monitors.items():
            if monitor is None or not monitor.enabled:
                continue
            if self.serving.mode in (ServingMode.BATCH, ServingMode.SERVERLESS):
                raise FieldProblem(
                    ("monitoring", field),
                    f"watches an endpoint's captured traffic, which mode '{self.serving.mode}' does not produce",
                )
            if field != "model_quality" and not self.serving.data_capture.enabled:
                raise FieldProblem(("monitoring", field), "needs serving.data_capture.enabled: true")
        bias = monitoring.bias
        if bias is not None:
            names = [f.name for f in self.features]
            for i, facet in enumerate(bias.facets):
                if facet.name not in names:
                    raise FieldProblem(
                        ("monitoring", "bias", "facets", i, "name"),
                        f"'{facet.name}' is not a feature of this model; features: {names or 'none'}",
                    )
        if self.training.checks.bias is not None and self.training.checks.bias.enabled and bias is None:
            raise FieldProblem(
                ("training", "checks", "bias"),
                "takes its label and facets from monitoring.bias; declare monitoring.bias "
                "(enabled: false if only the pipeline check is wanted)",
            )
