"""aws:sagemaker/model:Model — the SageMaker model an endpoint serves (CreateModel)."""

from __future__ import annotations

from .base import TF, Call, Fields, Read, ResourceType, Rule, Via
from .sagemaker_endpoint_configuration import VARIANT_LISTS

# Every variant's model, an A/B challenger's and a shadow's included, is named by a `[*]` entry.
_NAMED_BY = tuple((f"{planned}[*].modelName", f"{answered}[*].ModelName") for planned, answered in VARIANT_LISTS)

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
        by={"ModelName": Via(
            "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
            input=_NAMED_BY[0][0],
            path=_NAMED_BY[0][1],
            more=_NAMED_BY[1:],
        )},
    ),
)
