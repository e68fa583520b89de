"""aws:sagemaker/model:Model — the SageMaker model an endpoint serves (CreateModel)."""

from __future__ import annotations

from .base import TF, Call, Fields, Read, ResourceType, Rule, Via

FIELDS: Fields = (
    ("primaryContainer.modelPackageName", "PrimaryContainer.ModelPackageName", "exact"),
    ("primaryContainer.image", "PrimaryContainer.Image", "exact"),
    ("primaryContainer.modelDataUrl", "PrimaryContainer.ModelDataUrl", "exact"),
    ("vpcConfig.subnets", "VpcConfig.Subnets", "set"),
    ("vpcConfig.securityGroupIds", "VpcConfig.SecurityGroupIds", "set"),
)

RESOURCE = ResourceType(
    token="aws:sagemaker/model:Model",
    spec_path=("serving",),
    # internal/service/sagemaker/model.go: every argument but tags is ForceNew (SageMaker has no
    # UpdateModel); CloudFormation AWS::SageMaker::Model lists every property but Tags as createOnly.
    replacement=Rule(
        source=f"{TF}: internal/service/sagemaker/model.go every argument but tags ForceNew",
        immutable_except=("tags",),
        unordered=("vpcConfig.subnets", "vpcConfig.securityGroupIds"),
    ),
    calls=(Call("sagemaker", "CreateModel", renames={"name": "ModelName"}, generated=("ModelName",)),),
    verify={"resource": FIELDS},
    read=Read(
        "sagemaker",
        "DescribeModel",
        # Every variant's model, an A/B challenger's and a shadow's included.
        by={"ModelName": Via(
            "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
            input="productionVariants[*].modelName",
            path="ProductionVariants[*].ModelName",
            more=(("shadowProductionVariants[*].modelName", "ShadowProductionVariants[*].ModelName"),),
        )},
    ),
)
