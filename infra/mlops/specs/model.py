"""Pydantic types for one model spec (`models/<name>.yaml`) after environment overrides."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, model_validator

from .names import AWS_NAME_PATTERN, S3_URI_PATTERN, project_relative

Environment = Literal["dev", "staging", "prod"]
ENVIRONMENTS: tuple[str, ...] = ("dev", "staging", "prod")

# Model and feature-group names end up inside SageMaker names capped at 63 characters
# (endpoints, model package groups) together with the stack prefix and environment.
ResourceName = Annotated[str, StringConstraints(pattern=AWS_NAME_PATTERN, min_length=1, max_length=32)]
FeatureName = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z0-9]([-_]*[a-zA-Z0-9]){0,63}$")]
S3Uri = Annotated[str, StringConstraints(pattern=S3_URI_PATTERN)]
InstanceType = Annotated[str, StringConstraints(pattern=r"^ml\.[a-z0-9]+\.[a-z0-9]+$")]
# EventBridge and SageMaker monitoring accept these two expression forms only.
ScheduleExpression = Annotated[str, StringConstraints(pattern=r"^(cron\(.+\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\))$")]
NonEmpty = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
ProjectPath = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True), AfterValidator(project_relative)]


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
    description: NonEmpty
    owner: Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    team: NonEmpty
    cost_center: NonEmpty
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


class FeatureGroup(Strict):
    name: ResourceName
    description: NonEmpty
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
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
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
    metric: Annotated[str, StringConstraints(pattern=r"^[a-zA-Z][a-zA-Z0-9_]*$")]
    threshold: float
    comparison: Comparison = Comparison.GREATER_THAN_OR_EQUAL


class TrainingInput(Strict):
    channel: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9\.\-_]{1,64}$")]
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
    schedule: ScheduleExpression | None = None
    on_new_data: NewDataTrigger | None = None


class Training(Strict):
    framework: Literal["xgboost", "sklearn", "pytorch", "tensorflow"] | None = None
    framework_version: NonEmpty | None = None
    # pytorch and tensorflow images are published per Python version (e.g. py310).
    py_version: Annotated[str, StringConstraints(pattern=r"^py3\d{1,2}$")] | None = None
    image_uri: Annotated[str, StringConstraints(pattern=r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/.+$")] | None = None
    entry_point: ProjectPath | None = None
    instance_type: InstanceType = "ml.m5.xlarge"
    instance_count: int = Field(default=1, ge=1, le=100)
    volume_size_gb: int = Field(default=30, ge=1, le=16384)
    max_runtime_minutes: int = Field(default=60, ge=1, le=40320)
    hyperparameters: dict[str, str | int | float | bool] = Field(default_factory=dict)
    inputs: list[TrainingInput] = Field(min_length=1)
    evaluation: Evaluation
    triggers: Triggers = Field(default_factory=Triggers)

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
    pinned_version: int | None = Field(default=None, ge=1)


class ServingMode(StrEnum):
    REALTIME = "realtime"
    SERVERLESS = "serverless"
    ASYNC = "async"


class Autoscaling(Strict):
    min_capacity: int = Field(ge=1, le=1000)
    max_capacity: int = Field(ge=1, le=1000)
    target_invocations_per_instance: int = Field(ge=1)
    scale_in_cooldown_seconds: int = Field(default=300, ge=0)
    scale_out_cooldown_seconds: int = Field(default=60, ge=0)

    @model_validator(mode="after")
    def _bounds(self) -> Autoscaling:
        if self.min_capacity > self.max_capacity:
            raise ValueError(f"min_capacity ({self.min_capacity}) must not exceed max_capacity ({self.max_capacity})")
        return self


class Serverless(Strict):
    # The memory sizes SageMaker Serverless Inference accepts.
    memory_size_mb: Literal[1024, 2048, 3072, 4096, 5120, 6144] = 2048
    max_concurrency: int = Field(default=5, ge=1, le=200)


class AsyncInference(Strict):
    max_concurrent_invocations_per_instance: int = Field(default=4, ge=1, le=1000)


class DeploymentStrategy(StrEnum):
    ALL_AT_ONCE = "all_at_once"
    CANARY = "canary"
    LINEAR = "linear"


class Deployment(Strict):
    strategy: DeploymentStrategy = DeploymentStrategy.ALL_AT_ONCE
    canary_percent: int | None = Field(default=None, ge=1, le=50)
    linear_step_percent: int | None = Field(default=None, ge=5, le=50)
    bake_minutes: int = Field(default=10, ge=0, le=60)
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
    sampling_percent: int = Field(default=100, ge=1, le=100)


# A Pulumi config key, `name` (the project's namespace) or `namespace:name`.
CONFIG_KEY_PATTERN = r"^(?:[A-Za-z0-9][A-Za-z0-9_.-]*:)?[A-Za-z][A-Za-z0-9_.-]*$"
# Namespaces whose keys the stack settings or providers own; a secret there would be read as a setting.
RESERVED_CONFIG_NAMESPACES: tuple[str, ...] = ("mlops", "aws", "aws-native")
# SageMaker's limits on a container environment (ContainerDefinition.Environment).
ENV_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,1023}$"
ENV_VALUE_MAX = 1024
ENV_MAX_VARIABLES = 100


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
        if len(value) > ENV_VALUE_MAX:
            raise ValueError(f"expected at most {ENV_VALUE_MAX} characters (SageMaker's limit), not {len(value)}")
        return value
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
    instance_type: InstanceType | None = "ml.m5.large"
    initial_instance_count: int = Field(default=1, ge=1, le=100)
    autoscaling: Autoscaling | None = None
    serverless: Serverless | None = None
    async_inference: AsyncInference | None = None
    deployment: Deployment = Field(default_factory=Deployment)
    data_capture: DataCapture = Field(default_factory=DataCapture)
    network_isolation: bool = True
    # Container environment variables: plain text, or {secret: <pulumi config key>} for values
    # that must never be written in the spec, the plan or a report.
    environment: dict[Annotated[str, StringConstraints(pattern=ENV_NAME_PATTERN)], EnvironmentValue] = Field(
        default_factory=dict, max_length=ENV_MAX_VARIABLES
    )

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
        if self.autoscaling is not None and not (
            self.autoscaling.min_capacity <= self.initial_instance_count <= self.autoscaling.max_capacity
        ):
            raise ValueError(
                f"initial_instance_count ({self.initial_instance_count}) must lie within the autoscaling bounds "
                f"[{self.autoscaling.min_capacity}, {self.autoscaling.max_capacity}]"
            )
        return self


class DataQualityMonitor(Strict):
    enabled: bool = True
    schedule: ScheduleExpression = "cron(0 * ? * * *)"
    instance_type: InstanceType = "ml.m5.large"
    baseline_s3_uri: S3Uri | None = None


class ProblemType(StrEnum):
    BINARY_CLASSIFICATION = "BinaryClassification"
    MULTICLASS_CLASSIFICATION = "MulticlassClassification"
    REGRESSION = "Regression"


class ModelQualityMonitor(Strict):
    enabled: bool = True
    problem_type: ProblemType
    ground_truth_s3_uri: S3Uri
    schedule: ScheduleExpression = "cron(0 0 ? * * *)"
    instance_type: InstanceType = "ml.m5.large"


class Alarms(Strict):
    latency_p99_ms: int = Field(default=500, ge=1)
    error_5xx_count: int = Field(default=5, ge=1)
    error_4xx_count: int = Field(default=50, ge=1)
    # Model Monitor's baseline-drift distance per feature, between 0 and 1.
    drift_threshold: float = Field(default=0.2, gt=0, le=1)
    evaluation_minutes: int = Field(default=5, ge=1, le=1440)


class Monitoring(Strict):
    data_quality: DataQualityMonitor | None = None
    model_quality: ModelQualityMonitor | None = None
    alarms: Alarms = Field(default_factory=Alarms)


class ModelSpec(Strict):
    """One model, as it is deployed to one environment (overrides already merged)."""

    metadata: Metadata
    feature_groups: list[FeatureGroup] = Field(default_factory=list)
    training: Training
    registry: Registry = Field(default_factory=Registry)
    serving: Serving
    monitoring: Monitoring = Field(default_factory=Monitoring)

    @property
    def name(self) -> str:
        return self.metadata.name

    @model_validator(mode="after")
    def _references(self) -> ModelSpec:
        group_names = [g.name for g in self.feature_groups]
        dupes = sorted({n for n in group_names if group_names.count(n) > 1})
        if dupes:
            raise ValueError(f"feature group names must be unique, found duplicates {dupes}")
        offline = {g.name for g in self.feature_groups if g.offline_store}
        for i, source in enumerate(self.training.inputs):
            if source.feature_group is not None and source.feature_group not in group_names:
                raise ValueError(
                    f"training.inputs[{i}].feature_group '{source.feature_group}' is not defined; "
                    f"defined feature groups: {group_names or 'none'}"
                )
            if source.feature_group is not None and source.feature_group not in offline:
                raise ValueError(
                    f"training.inputs[{i}].feature_group '{source.feature_group}' has no offline store to train from; "
                    "set offline_store: true on it"
                )
        if self.serving.mode is ServingMode.SERVERLESS and self.monitoring.data_quality and self.monitoring.data_quality.enabled:
            raise ValueError("monitoring.data_quality needs captured data, which serverless endpoints do not produce")
        if (self.monitoring.data_quality and self.monitoring.data_quality.enabled) and not self.serving.data_capture.enabled:
            raise ValueError("monitoring.data_quality needs serving.data_capture.enabled: true")
        return self

