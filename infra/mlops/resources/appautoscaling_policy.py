"""aws:appautoscaling/policy:Policy — an endpoint variant's target-tracking policy (PutScalingPolicy)."""

from __future__ import annotations

from .base import TF, Call, Fields, Read, ResourceType, Rule

FIELDS: Fields = (
    ("policyType", "PolicyType", "exact"),
    *(
        (f"targetTrackingScalingPolicyConfiguration.{planned}", f"TargetTrackingScalingPolicyConfiguration.{deployed}", kind)
        for planned, deployed, kind in (
            ("targetValue", "TargetValue", "number"),
            ("scaleInCooldown", "ScaleInCooldown", "number"),
            ("scaleOutCooldown", "ScaleOutCooldown", "number"),
            ("predefinedMetricSpecification.predefinedMetricType", "PredefinedMetricSpecification.PredefinedMetricType", "exact"),
        )
    ),
)

RESOURCE = ResourceType(
    token="aws:appautoscaling/policy:Policy",
    spec_path=("serving", "autoscaling"),
    # internal/service/appautoscaling/policy.go: name, resource_id, scalable_dimension and service_namespace are ForceNew.
    replacement=Rule(
        source=f"{TF}: internal/service/appautoscaling/policy.go ForceNew name, resource_id, scalable_dimension, service_namespace",
        force_new=("name", "resourceId", "scalableDimension", "serviceNamespace", "region"),
    ),
    calls=(Call("application-autoscaling", "PutScalingPolicy", renames={"name": "PolicyName"}, generated=("PolicyName",)),),
    verify={"resource": FIELDS},
    read=Read(
        "application-autoscaling",
        "DescribeScalingPolicies",
        by={"ServiceNamespace": "serviceNamespace", "ResourceId": "resourceId", "ScalableDimension": "scalableDimension"},
        found_at=("ScalingPolicies", 0),
    ),
)
