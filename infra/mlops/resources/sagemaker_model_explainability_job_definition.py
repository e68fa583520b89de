"""aws-native:sagemaker:ModelExplainabilityJobDefinition — a Clarify feature-attribution monitoring job
(CreateModelExplainabilityJobDefinition).

Declared through pulumi-aws-native (Cloud Control API), whose properties are the CloudFormation
resource's, which in turn are the SageMaker API's members in camelCase.
"""

from __future__ import annotations

from .base import Call, Read, ResourceType, Rule

RESOURCE = ResourceType(
    token="aws-native:sagemaker:ModelExplainabilityJobDefinition",
    spec_path=("monitoring", "explainability"),
    # CloudFormation registry schema AWS::SageMaker::ModelExplainabilityJobDefinition
    # createOnlyProperties (what pulumi-aws-native replaces on): every property, Tags included.
    replacement=Rule(
        source="CloudFormation AWS::SageMaker::ModelExplainabilityJobDefinition createOnlyProperties (pulumi-aws-native)",
        force_new=(
            "jobDefinitionName", "modelExplainabilityAppSpecification", "modelExplainabilityBaselineConfig",
            "modelExplainabilityJobInput", "modelExplainabilityJobOutputConfig", "jobResources", "networkConfig",
            "roleArn", "stoppingCondition", "tags", "endpointName",
        ),
        name_inputs=("jobDefinitionName",),
    ),
    calls=(Call("sagemaker", "CreateModelExplainabilityJobDefinition", generated=("JobDefinitionName",)),),
    read=Read("sagemaker", "DescribeModelExplainabilityJobDefinition", by={"JobDefinitionName": "jobDefinitionName"}),
)
