"""The model package group that versions one model's trained artifacts."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass
class ModelRegistryArgs:
    group_name: str
    description: str
    tags: dict[str, str]


class ModelRegistry(pulumi.ComponentResource):
    """A ModelPackageGroup; the pipeline registers versions, humans or policy approve them."""

    group_name: pulumi.Output[str]
    group_arn: pulumi.Output[str]

    def __init__(self, name: str, args: ModelRegistryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:sagemaker:ModelRegistry", name, None, opts)
        group = aws.sagemaker.ModelPackageGroup(
            f"{name}-group",
            model_package_group_name=args.group_name,
            model_package_group_description=args.description,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.group_name = group.model_package_group_name
        self.group_arn = group.arn
        self.register_outputs({"groupName": group.model_package_group_name, "groupArn": group.arn})
