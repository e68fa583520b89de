"""Pydantic type for a stack's settings, the `mlops:*` keys of `Pulumi.<stack>.yaml`."""

from __future__ import annotations

from typing import Annotated

from pathlib import PurePosixPath

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from . import aws_limits
from .model import Environment
from .names import project_relative

REGION_PATTERN = r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$"
# The longest a policy engine may be given for one gate, in seconds.
POLICY_TIMEOUT_MAX = 600
# Seconds the policy engine may take for one gate, end to end, before it fails closed.
PolicyTimeout = Annotated[float, Field(gt=0, le=POLICY_TIMEOUT_MAX, allow_inf_nan=False)]


def models_folder(value: str) -> str:
    """A folder of the project's own: the project root holds the Pulumi.<stack>.yaml files, not specs."""
    if not PurePosixPath(project_relative(value)).parts:
        raise ValueError("must name a folder inside the project, not the project root itself")
    return value


class Network(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    subnet_ids: list[Annotated[str, StringConstraints(pattern=r"^subnet-[0-9a-f]{8,17}$")]] = Field(
        alias="subnetIds", min_length=1, max_length=16
    )
    security_group_ids: list[Annotated[str, StringConstraints(pattern=r"^sg-[0-9a-f]{8,17}$")]] = Field(
        alias="securityGroupIds", min_length=1, max_length=5
    )


class ExperimentTracking(BaseModel):
    """`mlops:experimentTracking`: a SageMaker managed MLflow tracking server for the stack, its
    artifact store in the platform's KMS-encrypted artifacts bucket (`{}` takes every default)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    size: Annotated[str, AfterValidator(aws_limits.TRACKING_SERVER_SIZES.check), Field(json_schema_extra={"enum": list(aws_limits.TRACKING_SERVER_SIZES.values)})] = "Small"
    # An MLflow version SageMaker offers (major.minor.patch); SageMaker's default when not given.
    mlflow_version: Annotated[str, StringConstraints(pattern=r"^[0-9]+\.[0-9]+\.[0-9]+$"), AfterValidator(aws_limits.MLFLOW_VERSION.check)] | None = Field(
        default=None, alias="mlflowVersion"
    )
    # Register models logged to MLflow in the SageMaker Model Registry as well.
    automatic_model_registration: bool = Field(default=False, alias="automaticModelRegistration")
    # Day and UTC time of the weekly maintenance, such as Tue:03:30.
    weekly_maintenance_window_start: Annotated[str, AfterValidator(aws_limits.MAINTENANCE_WINDOW_START.check)] | None = Field(
        default=None, alias="weeklyMaintenanceWindowStart"
    )


class StackConfig(BaseModel):
    """Everything a stack adds to the model specs: where, which environment, how named."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    stack: str
    region: Annotated[str, StringConstraints(pattern=REGION_PATTERN)]
    environment: Environment
    # Short, because it leads every physical name and S3 bucket prefixes stop at 37 characters.
    name_prefix: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9]{1,11}$")] = Field(alias="namePrefix")
    # Who answers for the shared platform resources (KMS key, buckets, topic); tagged on each.
    # Owner, team and cost center become tag values on every shared resource.
    owner: Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"), AfterValidator(aws_limits.TAG_VALUE.check)]
    team: Annotated[str, StringConstraints(min_length=1), AfterValidator(aws_limits.TAG_VALUE.check)]
    cost_center: Annotated[str, StringConstraints(min_length=1), AfterValidator(aws_limits.TAG_VALUE.check)] = Field(
        alias="costCenter"
    )
    alert_email: Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = Field(
        default=None, alias="alertEmail"
    )
    network: Network | None = None
    models_dir: Annotated[str, AfterValidator(models_folder)] = Field(default="models", alias="modelsDir")
    # MLOPS_POLICY_TIMEOUT wins over this.
    policy_timeout: PolicyTimeout | None = Field(default=None, alias="policyTimeout")
    # An OPA server to evaluate policies on instead of the embedded engine (MLOPS_OPA_URL wins).
    opa_url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")] | None = Field(default=None, alias="opaUrl")
    # A managed MLflow tracking server for every model's experiments (absent: none).
    experiment_tracking: ExperimentTracking | None = Field(default=None, alias="experimentTracking")


# The `mlops:` keys a stack file may set, in the names Pulumi config uses.
CONFIG_KEYS: tuple[str, ...] = tuple(
    field.alias or name for name, field in StackConfig.model_fields.items() if name not in ("stack", "region")
)
