"""aws:sagemaker/modelCard:ModelCard — the model's SageMaker model card (CreateModelCard)."""

from __future__ import annotations

from .base import Call, Read, ResourceType, Rule

RESOURCE = ResourceType(
    token="aws:sagemaker/modelCard:ModelCard",
    spec_path=("model_card",),
    # SageMaker's UpdateModelCard takes only Content and ModelCardStatus (botocore's sagemaker
    # model): a new name or KMS key replaces the card, its content and status update in place.
    replacement=Rule(
        source="SageMaker UpdateModelCard (botocore sagemaker model): Content and ModelCardStatus update; the rest replaces",
        immutable_except=("content", "modelCardStatus", "tags"),
        name_inputs=("modelCardName",),
        update_notes={
            "modelCardStatus": "modelCardStatus changes: the card moves through Draft → PendingReview → Approved (→ Archived) in place",
        },
    ),
    calls=(Call("sagemaker", "CreateModelCard"),),
    read=Read("sagemaker", "DescribeModelCard", by={"ModelCardName": "modelCardName"}),
)
