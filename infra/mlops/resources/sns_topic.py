"""aws:sns/topic:Topic — the platform's alert topic (CreateTopic)."""

from __future__ import annotations

from typing import Any

from .base import TF, Call, Read, ResourceType, Rule

# pulumi-aws arguments that CreateTopic takes as Attributes entries (internal/service/sns/topic.go topicAttributeMap).
ATTRIBUTES = {
    "kmsMasterKeyId": "KmsMasterKeyId",
    "policy": "Policy",
    "deliveryPolicy": "DeliveryPolicy",
    "displayName": "DisplayName",
    "fifoTopic": "FifoTopic",
    "contentBasedDeduplication": "ContentBasedDeduplication",
    "signatureVersion": "SignatureVersion",
    "tracingConfig": "TracingConfig",
}


def _attributes(inputs: dict[str, Any]) -> dict[str, Any]:
    attributes = {ATTRIBUTES[k]: v if isinstance(v, str) else str(v).lower() for k, v in inputs.items() if k in ATTRIBUTES}
    rest = {k: v for k, v in inputs.items() if k not in ATTRIBUTES}
    return {**rest, "attributes": attributes} if attributes else rest


RESOURCE = ResourceType(
    token="aws:sns/topic:Topic",
    spec_path=None,
    # internal/service/sns/topic.go: name, name_prefix and fifo_topic are ForceNew.
    replacement=Rule(
        source=f"{TF}: internal/service/sns/topic.go ForceNew name, name_prefix, fifo_topic",
        force_new=("name", "namePrefix", "fifoTopic", "region"),
        policy_documents=("policy",),
    ),
    calls=(Call("sns", "CreateTopic", omit=("namePrefix",), generated=("Name",), reshape=_attributes),),
    read=Read(
        "sns",
        "GetTopicAttributes",
        by={"TopicArn": "arn:aws:sns:{region}:{account}:{name}"},
        found_at=("Attributes",),
        answer={"Attributes": ""},
    ),
)
