"""The tag set every resource carries, so cost, ownership and data class are queryable."""

from __future__ import annotations

from collections.abc import Iterable

from ..specs.model import DataClassification, ModelSpec, RiskTier
from ..specs.stack import StackConfig

MANAGED_BY = "mlops-platform"
REQUIRED_TAGS = ("model", "environment", "owner", "team", "cost-center", "data-classification", "risk-tier", "managed-by")


def model_tags(spec: ModelSpec, environment: str) -> dict[str, str]:
    m = spec.metadata
    return {
        "model": m.name,
        "environment": environment,
        "owner": m.owner,
        "team": m.team,
        "cost-center": m.cost_center,
        "data-classification": m.data_classification.value,
        "risk-tier": m.risk_tier.value,
        "managed-by": MANAGED_BY,
    }


def platform_tags(stack: StackConfig, specs: Iterable[ModelSpec]) -> dict[str, str]:
    """Shared resources hold every model's data, so they carry the strictest class and tier."""
    specs = list(specs)
    classes = list(DataClassification)
    tiers = list(RiskTier)
    classification = max((s.metadata.data_classification for s in specs), key=classes.index, default=DataClassification.INTERNAL)
    tier = max((s.metadata.risk_tier for s in specs), key=tiers.index, default=RiskTier.LOW)
    return {
        "model": "shared",
        "environment": stack.environment,
        "owner": stack.owner,
        "team": stack.team,
        "cost-center": stack.cost_center,
        "data-classification": classification.value,
        "risk-tier": tier.value,
        "managed-by": MANAGED_BY,
    }
