"""aws-native:sagemaker:ModelBiasJobDefinition — a Clarify model-bias monitoring job (CreateModelBiasJobDefinition).

Declared through pulumi-aws-native (Cloud Control API), whose properties are the CloudFormation
resource's, which in turn are the SageMaker API's members in camelCase.
"""

from __future__ import annotations

from .base import Call, Read, ResourceType, Rule

RESOURCE = ResourceType(
    token="aws-native:sagemaker:ModelBiasJobDefinition",
    spec_path=("monitoring", "bias"),
    # CloudFormation registry schema AWS::SageMaker::ModelBiasJobDefinition createOnlyProperties
    # (what pulumi-aws-native replaces on): every property, Tags included.
    replacement=Rule(
        source="CloudFormation AWS::SageMaker::ModelBiasJobDefinition createOnlyProperties (pulumi-aws-native)",
        force_new=(
            "jobDefinitionName", "modelBiasAppSpecification", "modelBiasBaselineConfig", "modelBiasJobInput",
            "modelBiasJobOutputConfig", "jobResources", "networkConfig", "roleArn", "stoppingCondition", "tags",
            "endpointName",
        ),
        name_inputs=("jobDefinitionName",),
    ),
    calls=(Call("sagemaker", "CreateModelBiasJobDefinition", generated=("JobDefinitionName",)),),
    read=Read("sagemaker", "DescribeModelBiasJobDefinition", by={"JobDefinitionName": "jobDefinitionName"}),
)
