"""aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer — a SageMaker managed MLflow tracking
server (CreateMlflowTrackingServer)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import TF, Call, Read, ResourceType, Rule


def _data_loss(inputs: Mapping[str, Any]) -> str:
    return (
        "the server's backend store holds every experiment, run, metric and parameter logged to it; "
        "a new server starts empty (the artifacts stay in the artifact store)"
    )


RESOURCE = ResourceType(
    token="aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer",
    spec_path=None,
    # internal/service/sagemaker/mlflow_tracking_server.go: tracking_server_name, role_arn and
    # mlflow_version are ForceNew; the artifact store, size, automatic registration and maintenance
    # window go through UpdateMlflowTrackingServer.
    replacement=Rule(
        source=f"{TF}: internal/service/sagemaker/mlflow_tracking_server.go ForceNew tracking_server_name, role_arn, mlflow_version",
        force_new=("trackingServerName", "roleArn", "mlflowVersion", "region"),
        name_inputs=("trackingServerName",),
        data_loss=_data_loss,
    ),
    # resourceMlflowTrackingServerCreate always sends the size (default Small) and automatic
    # model registration (default false).
    calls=(
        Call(
            "sagemaker",
            "CreateMlflowTrackingServer",
            fixed={"TrackingServerSize": "Small", "AutomaticModelRegistration": False},
        ),
    ),
    read=Read("sagemaker", "DescribeMlflowTrackingServer", by={"TrackingServerName": "trackingServerName"}),
)
