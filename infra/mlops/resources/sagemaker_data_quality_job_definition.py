"""aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition — a Model Monitor data-quality job (CreateDataQualityJobDefinition)."""

from __future__ import annotations

from typing import Any

from .base import TF, Call, Read, ResourceType, Rule


def _outputs_as_list(inputs: dict[str, Any]) -> dict[str, Any]:
    """pulumi-aws models `monitoring_outputs` as one block (MaxItems 1); the API takes a list of them."""
    config = inputs.get("dataQualityJobOutputConfig")
    if isinstance(config, dict) and isinstance(config.get("monitoringOutputs"), dict):
        inputs = {**inputs, "dataQualityJobOutputConfig": {**config, "monitoringOutputs": [config["monitoringOutputs"]]}}
    return inputs


RESOURCE = ResourceType(
    token="aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition",
    spec_path=("monitoring", "data_quality"),
    # internal/service/sagemaker/data_quality_job_definition.go: every argument but role_arn and
    # tags is ForceNew (there is no UpdateDataQualityJobDefinition).
    replacement=Rule(
        source=f"{TF}: internal/service/sagemaker/data_quality_job_definition.go every argument but role_arn, tags ForceNew",
        immutable_except=("tags", "roleArn"),
        unordered=("networkConfig.vpcConfig.subnets", "networkConfig.vpcConfig.securityGroupIds"),
    ),
    calls=(
        Call(
            "sagemaker",
            "CreateDataQualityJobDefinition",
            renames={"name": "JobDefinitionName"},
            generated=("JobDefinitionName",),
            reshape=_outputs_as_list,
        ),
    ),
    read=Read("sagemaker", "DescribeDataQualityJobDefinition", by={"JobDefinitionName": "name"}),
)
