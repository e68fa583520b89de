"""aws:appautoscaling/target:Target — an endpoint variant's scalable target (RegisterScalableTarget)."""

from __future__ import annotations

from .base import TF, Call, Fields, Read, ResourceType, Rule

FIELDS: Fields = (("minCapacity", "MinCapacity", "number"), ("maxCapacity", "MaxCapacity", "number"))

RESOURCE = ResourceType(
    token="aws:appautoscaling/target:Target",
    spec_path=("serving", "autoscaling"),
    # internal/service/appautoscaling/target.go: resource_id, scalable_dimension and service_namespace are ForceNew.
    replacement=Rule(
        source=f"{TF}: internal/service/appautoscaling/target.go ForceNew resource_id, scalable_dimension, service_namespace",
        force_new=("resourceId", "scalableDimension", "serviceNamespace", "region"),
        name_inputs=(),
    ),
    calls=(Call("application-autoscaling", "RegisterScalableTarget"),),
    verify={"resource": FIELDS},
    read=Read(
        "application-autoscaling",
        "DescribeScalableTargets",
        by={"ServiceNamespace": "serviceNamespace", "ResourceIds": "resourceId", "ScalableDimension": "scalableDimension"},
        found_at=("ScalableTargets", 0),
    ),
)
