"""AI-regulation mappings, honestly scoped: EU AI Act, NIST AI RMF and ISO/IEC 42001 controls only on
the policies about the model's lifecycle, never on generic encryption, network or IAM checks."""

from __future__ import annotations

from pathlib import Path

from mlops.audit.controls import FRAMEWORKS, framework_prefix, in_framework
from mlops.governance.bundle import load_bundle

SHIPPED = Path(__file__).resolve().parents[2] / "policies"
AI_FRAMEWORKS = ("EU-AI-ACT", "NIST-AI-RMF", "ISO42001")


def _ai_controls(controls: list[str]) -> set[str]:
    return {c.split(":", 1)[0] for c in controls if c.split(":", 1)[0] in AI_FRAMEWORKS}


def test_at_least_eight_lifecycle_policies_carry_every_ai_framework() -> None:
    policies = load_bundle(SHIPPED).policies
    mapped = [p.id for p in policies if _ai_controls(p.controls) == set(AI_FRAMEWORKS)]
    assert len(mapped) >= 8, mapped
    assert {"endpoint-data-capture", "endpoint-model-monitoring", "model-manual-approval", "endpoint-blue-green-rollback",
            "model-evaluation-gate", "registry-approved-package"} <= set(mapped)


def test_no_generic_encryption_network_or_iam_policy_claims_an_ai_control() -> None:
    for policy in load_bundle(SHIPPED).policies:
        area = policy.path.relative_to(SHIPPED).parts[0]
        if area in ("encryption", "network", "iam", "tags", "cost"):
            assert not _ai_controls(policy.controls), (policy.id, policy.controls)


def test_the_audit_report_filters_by_each_ai_framework() -> None:
    for cli_name, prefix in (("eu-ai-act", "EU-AI-ACT"), ("nist-ai-rmf", "NIST-AI-RMF"), ("iso42001", "ISO42001")):
        assert FRAMEWORKS[cli_name] == prefix == framework_prefix(cli_name)
        assert in_framework(f"{prefix}:X", prefix) and not in_framework("SOC2:CC6.1", prefix)
