"""aws-native:sagemaker:ModelQualityJobDefinition — a Model Monitor model-quality job (CreateModelQualityJobDefinition).

Declared through pulumi-aws-native (Cloud Control API), whose properties are the CloudFormation
resource's, which in turn are the SageMaker API's members in camelCase.
"""

from __future__ import annotations

from .base import Call, Read, ResourceType, Rule

RESOURCE = ResourceType(
    token="aws-native:sagemaker:ModelQualityJobDefinition",
    spec_path=("monitoring",),
    # CloudFormation registry schema AWS::SageMaker::ModelQualityJobDefinition createOnlyProperties
    # (what pulumi-aws-native replaces on): every property, Tags included.
    replacement=Rule(
        source="CloudFormation AWS::SageMaker::ModelQualityJobDefinition createOnlyProperties (pulumi-aws-native)",
        force_new=(
            "jobDefinitionName", "modelQualityAppSpecification", "modelQualityBaselineConfig", "modelQualityJobInput",
            "modelQualityJobOutputConfig", "jobResources", "networkConfig", "roleArn", "stoppingCondition", "tags",
            "endpointName",
        ),
        name_inputs=("jobDefinitionName",),
    ),
    calls=(Call("sagemaker", "CreateModelQualityJobDefinition", generated=("JobDefinitionName",)),),
    read=Read("sagemaker", "DescribeModelQualityJobDefinition", by={"JobDefinitionName": "jobDefinitionName"}),
)
