"""aws:cloudwatch/eventTarget:EventTarget — what an EventBridge rule starts (PutTargets)."""

from __future__ import annotations

from typing import Any

from .base import GENERATED, TF, Call, Read, Ref, ResourceType, Rule


def _as_target(inputs: dict[str, Any]) -> dict[str, Any]:
    """rule and event_bus_name address the rule; the rest is one element of Targets, whose Id the
    provider generates when target_id is absent."""
    outer = {k: inputs[k] for k in ("rule", "eventBusName") if k in inputs}
    target = {k: v for k, v in inputs.items() if k not in outer}
    target.setdefault("targetId", GENERATED)
    return {**outer, "targets": [target]}


RESOURCE = ResourceType(
    token="aws:cloudwatch/eventTarget:EventTarget",
    spec_path=("training", "triggers"),
    # internal/service/events/target.go: rule, target_id and event_bus_name are ForceNew.
    replacement=Rule(
        source=f"{TF}: internal/service/events/target.go ForceNew rule, target_id, event_bus_name",
        force_new=("rule", "targetId", "eventBusName", "region"),
        name_inputs=("targetId",),
    ),
    calls=(Call("events", "PutTargets", renames={"targets[*].targetId": "Id"}, reshape=_as_target),),
    # The rule's one target (the program gives each trigger rule one).
    read=Read(
        "events",
        "ListTargetsByRule",
        by={"Rule": Ref("aws:cloudwatch/eventRule:EventRule", input="rule")},
        found_at=("Targets", 0),
        answer={"Targets[0]": ""},
    ),
)
