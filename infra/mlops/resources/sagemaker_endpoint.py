"""aws:sagemaker/endpoint:Endpoint — a SageMaker real-time endpoint (CreateEndpoint)."""

from __future__ import annotations

from .base import TF, Call, Read, ResourceType, Rule

RESOURCE = ResourceType(
    token="aws:sagemaker/endpoint:Endpoint",
    spec_path=("serving",),
    # internal/service/sagemaker/endpoint.go: only name is ForceNew (and the
    # deployment_config.auto_rollback_configuration block, whose alarms are not); a new
    # endpoint_config_name or deployment_config goes through UpdateEndpoint.
    replacement=Rule(
        source=f"{TF}: internal/service/sagemaker/endpoint.go ForceNew name",
        force_new=("name", "region"),
        presence_only=("deploymentConfig.autoRollbackConfiguration",),
        unordered=("deploymentConfig.autoRollbackConfiguration.alarms",),
        update_notes={
            "endpointConfigName": (
                "endpointConfigName changes: an in-place UpdateEndpoint, not a replacement; SageMaker shifts "
                "traffic blue/green to the new endpoint configuration as deploymentConfig says and rolls back on its alarms"
            ),
        },
    ),
    # resourceEndpointCreate: name → EndpointName (auto-named by Pulumi when absent).
    calls=(Call("sagemaker", "CreateEndpoint", renames={"name": "EndpointName"}, generated=("EndpointName",)),),
    # `mlops verify` checks the endpoint's status and the configuration it serves (see live/verify.py).
    verify={},
    # DescribeEndpoint answers the deployment configuration as LastDeploymentConfig (the provider reads it from there).
    read=Read("sagemaker", "DescribeEndpoint", by={"EndpointName": "name"}, answer={"DeploymentConfig": "LastDeploymentConfig"}),
)
