"""The model package group that versions one model's trained artifacts, and the model's card."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ..specs.model import ModelSpec

# SageMaker model card risk ratings by the spec's risk tier.
RISK_RATINGS = {"low": "Low", "medium": "Medium", "high": "High"}


def model_card_content(spec: ModelSpec) -> str:
    """The card's content in SageMaker's model card JSON schema, from the spec alone: overview,
    owner and team, risk rating, intended and out-of-scope uses, training details (framework,
    inputs, hyperparameter names only: values may be tuned and are not published), the
    evaluation gate. Deterministic text (sorted keys), so an unchanged spec is no change."""
    training = spec.training
    evaluation = training.evaluation
    comparison = "at most" if evaluation.comparison.value == "less_than_or_equal" else "at least"
    content = {
        "model_overview": {
            "model_description": spec.metadata.description,
            "model_owner": spec.metadata.owner,
            "model_creator": spec.metadata.team,
            "algorithm_type": training.framework or "custom image",
        },
        "intended_uses": {
            "purpose_of_model": spec.metadata.description,
            "intended_uses": "; ".join(spec.model_card.intended_uses) or "not stated",
            "risk_rating": RISK_RATINGS[spec.metadata.risk_tier.value],
            "explanations_for_risk_rating": f"risk tier {spec.metadata.risk_tier.value} in the model spec; "
            f"data classification {spec.metadata.data_classification.value}",
        },
        "training_details": {
            "training_observations": f"trained by the SageMaker pipeline on {len(training.inputs)} input channel(s): "
            + ", ".join(i.channel for i in training.inputs),
        },
        "evaluation_details": [
            {
                "name": "registration gate",
                "evaluation_observation": f"a version registers only when {evaluation.metric} is {comparison} {evaluation.threshold:g}",
                "metric_groups": [
                    {"name": "threshold", "metric_data": [{"name": evaluation.metric, "type": "number", "value": evaluation.threshold}]}
                ],
            }
        ],
        "additional_information": {
            "caveats_and_recommendations": "Out of scope: " + ("; ".join(spec.model_card.out_of_scope_uses) or "not stated"),
            "custom_details": {"hyperparameter_names": ", ".join(sorted(training.hyperparameters)) or "none"},
        },
    }
    return json.dumps(content, sort_keys=True, ensure_ascii=False)


@dataclass
class ModelRegistryArgs:
    group_name: str
    description: str
    tags: dict[str, str]
    card_content: str
    card_status: str
    key_arn: pulumi.Input[str]


class ModelRegistry(pulumi.ComponentResource):
    """A ModelPackageGroup, which the pipeline registers versions in and humans or policy approve,
    and the model's SageMaker model card, encrypted with the platform key."""

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
        aws.sagemaker.ModelCard(
            f"{name}-card",
            model_card_name=args.group_name,
            model_card_status=args.card_status,
            content=args.card_content,
            security_config=aws.sagemaker.ModelCardSecurityConfigArgs(kms_key_id=args.key_arn),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.group_name = group.model_package_group_name
        self.group_arn = group.arn
        self.register_outputs({"groupName": group.model_package_group_name, "groupArn": group.arn})
