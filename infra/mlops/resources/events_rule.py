"""aws:cloudwatch/eventRule:EventRule — an EventBridge rule that starts a training pipeline (PutRule)."""

from __future__ import annotations

from .base import TF, Call, Read, ResourceType, Rule

RESOURCE = ResourceType(
    token="aws:cloudwatch/eventRule:EventRule",
    spec_path=("training", "triggers"),
    # internal/service/events/rule.go: name, name_prefix and event_bus_name are ForceNew.
    replacement=Rule(
        source=f"{TF}: internal/service/events/rule.go ForceNew name, name_prefix, event_bus_name",
        force_new=("name", "namePrefix", "eventBusName", "region"),
    ),
    calls=(Call("events", "PutRule", omit=("namePrefix",), generated=("Name",)),),
    read=Read("events", "DescribeRule", by={"Name": "name"}, listed=("ListRules", "Rules", "Name")),
)
