"""aws:sagemaker/modelPackageGroup:ModelPackageGroup — the model registry group (CreateModelPackageGroup)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import TF, Call, Read, ResourceType, Rule


def _data_loss(inputs: Mapping[str, Any]) -> str:
    return (
        "the group holds the registered model versions with their approval status and metrics; "
        "a new group starts empty, so pinned versions no longer resolve"
    )


RESOURCE = ResourceType(
    token="aws:sagemaker/modelPackageGroup:ModelPackageGroup",
    spec_path=("registry",),
    # internal/service/sagemaker/model_package_group.go: model_package_group_name and
    # model_package_group_description are ForceNew; the update handles tags only.
    replacement=Rule(
        source=f"{TF}: internal/service/sagemaker/model_package_group.go ForceNew name, description",
        force_new=("modelPackageGroupName", "modelPackageGroupDescription", "region"),
        name_inputs=("modelPackageGroupName",),
        data_loss=_data_loss,
    ),
    calls=(Call("sagemaker", "CreateModelPackageGroup"),),
    read=Read("sagemaker", "DescribeModelPackageGroup", by={"ModelPackageGroupName": "modelPackageGroupName"}),
)
