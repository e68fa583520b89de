"""aws:sns/topicSubscription:TopicSubscription — who receives the platform's alerts (Subscribe)."""

from __future__ import annotations

from .base import TF, Call, Read, ResourceType, Rule

RESOURCE = ResourceType(
    token="aws:sns/topicSubscription:TopicSubscription",
    spec_path=None,
    # internal/service/sns/topic_subscription.go: topic_arn (Pulumi `topic`), protocol and endpoint are ForceNew.
    replacement=Rule(
        source=f"{TF}: internal/service/sns/topic_subscription.go ForceNew topic_arn, protocol, endpoint",
        force_new=("topic", "protocol", "endpoint", "region"),
        name_inputs=(),
    ),
    calls=(Call("sns", "Subscribe", renames={"topic": "TopicArn"}),),
    # The topic's subscription for the planned protocol and endpoint.
    read=Read(
        "sns",
        "ListSubscriptionsByTopic",
        by={"TopicArn": "topic"},
        found_at=("Subscriptions", 0),
    ),
)
