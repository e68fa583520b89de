"""The gate decision: enforcement, waivers, expiry, ordering and the report shape."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from gov_fixtures import (
    ENDPOINT_CONFIG,
    PROD_VIOLATIONS,
    ROLE_POLICY,
    SHIPPED_DEFAULTS_TEXT,
    policy_source,
    shipped_enforcement,
    stack_document,
    urn,
    write,
)
from mlops.errors import PolicyEngineError
from mlops.governance.bundle import PolicyBundle, load_bundle
from mlops.governance.enforcement import Enforcement, load_enforcement
from mlops.governance.engines import EmbeddedEngine, Findings, Violations
from mlops.governance.gate import evaluate_gate
from mlops.governance.waivers import Waiver, load_waivers

TODAY = date(2026, 6, 1)
FRAUD = urn(ENDPOINT_CONFIG, "fraud-detector-config")
TICKET = urn(ENDPOINT_CONFIG, "ticket-router-config")
ADMIN = urn(ROLE_POLICY, "platform-admin")


class FakeEngine:
    name = "fake"

    def __init__(self, violations: Violations) -> None:
        self.violations = violations

    def evaluate(self, bundle: PolicyBundle, document: dict[str, Any]) -> Findings:
        return Findings(deny=self.violations)


@pytest.fixture
def bundle(library: Path) -> PolicyBundle:
    return load_bundle(library)


@pytest.fixture
def enforcement(bundle: PolicyBundle) -> Enforcement:
    return load_enforcement(shipped_enforcement(bundle.root.parent), bundle)


def waivers(bundle: PolicyBundle, tmp_path: Path, text: str) -> list[Waiver]:
    return load_waivers(write(tmp_path / "waivers.yaml", "waivers:\n" + text), bundle)


def only(bundle: PolicyBundle, package: str, *resources: str) -> Violations:
    found: Violations = {p.package: [] for p in bundle.policies}
    found[package] = [{"resource": r, "message": f"{r} must comply"} for r in resources]
    return found


def test_mandatory_violation_fails_prod(bundle: PolicyBundle, enforcement: Enforcement) -> None:
    result = evaluate_gate(stack_document("prod"), bundle, EmbeddedEngine(), enforcement, [], TODAY)
    assert result.decision == "fail"
    assert {k: result.counts[k] for k in ("violations", "blocking", "advisory", "waived", "unverified")} == {
        "violations": 4, "blocking": 3, "advisory": 1, "waived": 0, "unverified": 0
    }
    assert [(v.policy.id, v.enforcement) for v in result.violations] == [
        ("iam-no-wildcard-actions", "mandatory"),
        ("endpoint-kms-encryption", "mandatory"),
        ("endpoint-min-instances", "mandatory"),
        ("resource-owner-tag", "advisory"),
    ]


def test_advisory_violations_pass_dev(bundle: PolicyBundle, enforcement: Enforcement) -> None:
    result = evaluate_gate(stack_document("dev"), bundle, EmbeddedEngine(), enforcement, [], TODAY)
    assert result.decision == "pass"
    assert {v.enforcement for v in result.violations} == {"advisory"}
    assert result.counts["blocking"] == 0


def test_waiver_clears_a_mandatory_violation(bundle: PolicyBundle, enforcement: Enforcement, tmp_path: Path) -> None:
    waiver, = waivers(bundle, tmp_path, (
        "  - {policy: endpoint-kms-encryption, model: fraud-detector, reason: Key rotation in flight.,"
        " approver: a@example.com, expires: 2026-06-01}\n"))
    engine = FakeEngine(only(bundle, "mlops.encryption.endpoint_kms", FRAUD))
    result = evaluate_gate(stack_document("prod"), bundle, engine, enforcement, [waiver], TODAY)
    assert result.decision == "pass"
    assert result.violations[0].waiver == waiver
    assert result.waivers_applied == [waiver]
    assert {k: result.counts[k] for k in ("violations", "blocking", "advisory", "waived")} == {"violations": 1, "blocking": 0, "advisory": 0, "waived": 1}


def test_expired_waiver_never_applies_and_is_reported(bundle: PolicyBundle, enforcement: Enforcement, tmp_path: Path) -> None:
    expired, = waivers(bundle, tmp_path, (
        "  - {policy: endpoint-kms-encryption, resource: '*fraud-detector-*', reason: Old.,"
        " approver: a@example.com, expires: 2026-05-31}\n"))
    engine = FakeEngine(only(bundle, "mlops.encryption.endpoint_kms", FRAUD))
    result = evaluate_gate(stack_document("prod"), bundle, engine, enforcement, [expired], TODAY)
    assert result.decision == "fail"
    assert result.violations[0].waiver is None
    assert result.violations[0].expired_waivers == (expired,)
    assert result.waivers_expired == [expired]
    assert result.to_dict()["waivers_expired"] == [
        {
            "policy_id": "endpoint-kms-encryption",
            "model": None,
            "resource": "*fraud-detector-*",
            "environments": None,
            "reason": "Old.",
            "approver": "a@example.com",
            "expires": "2026-05-31",
            "source": f"{tmp_path / 'waivers.yaml'}:2",
            "would_have_waived": [FRAUD],
        }
    ]


def test_waiver_for_another_environment_does_not_apply(bundle: PolicyBundle, enforcement: Enforcement, tmp_path: Path) -> None:
    staging_only = waivers(bundle, tmp_path, (
        "  - {policy: endpoint-kms-encryption, model: fraud-detector, environments: [staging], reason: R.,"
        " approver: a@example.com, expires: 2027-01-01}\n"))
    engine = FakeEngine(only(bundle, "mlops.encryption.endpoint_kms", FRAUD))
    assert evaluate_gate(stack_document("prod"), bundle, engine, enforcement, staging_only, TODAY).decision == "fail"
    assert evaluate_gate(stack_document("staging"), bundle, engine, enforcement, staging_only, TODAY).decision == "pass"


def test_waiver_never_clears_a_non_waivable_policy(bundle: PolicyBundle, enforcement: Enforcement) -> None:
    # load_waivers refuses such a waiver; the gate holds the line for waivers built any other way.
    forged = Waiver(policy="iam-no-wildcard-actions", reason="R.", approver="a@example.com", expires=date(2027, 1, 1),
                    source="test", resource="*")
    engine = FakeEngine(only(bundle, "mlops.iam.no_wildcard", ADMIN))
    result = evaluate_gate(stack_document("prod"), bundle, engine, enforcement, [forged], TODAY)
    assert (result.decision, result.violations[0].waiver) == ("fail", None)


def test_disabled_policy_reports_nothing(bundle: PolicyBundle, tmp_path: Path) -> None:
    text = SHIPPED_DEFAULTS_TEXT.replace("policies: {}", "policies:\n  iam-no-wildcard-actions: {prod: disabled}")
    enforcement = load_enforcement(write(tmp_path / "enforcement.yaml", text), bundle)
    engine = FakeEngine(only(bundle, "mlops.iam.no_wildcard", ADMIN))
    result = evaluate_gate(stack_document("prod"), bundle, engine, enforcement, [], TODAY)
    assert (result.decision, result.violations, result.policies_evaluated) == ("pass", [], 3)


def test_violation_on_unknown_resource_is_still_reported(bundle: PolicyBundle, enforcement: Enforcement) -> None:
    ghost = urn(ENDPOINT_CONFIG, "not-in-the-document")
    engine = FakeEngine(only(bundle, "mlops.encryption.endpoint_kms", ghost))
    result = evaluate_gate(stack_document("prod"), bundle, engine, enforcement, [], TODAY)
    assert result.decision == "fail"
    assert (result.violations[0].resource, result.violations[0].model) == (ghost, None)


def test_engine_missing_a_package_fails_closed(bundle: PolicyBundle, enforcement: Enforcement) -> None:
    found = only(bundle, "mlops.iam.no_wildcard")
    del found["mlops.tagging.owner_tag"]
    with pytest.raises(PolicyEngineError) as error:
        evaluate_gate(stack_document("prod"), bundle, FakeEngine(found), enforcement, [], TODAY)
    assert str(error.value) == (
        f"engine 'fake' returned no result for mlops.tagging.owner_tag ({bundle.root / 'tagging' / 'owner_tag.rego'}); the gate cannot decide"
    )


def test_violations_sort_by_severity_then_policy_then_resource(bundle: PolicyBundle, enforcement: Enforcement) -> None:
    found = {p.package: [] for p in bundle.policies}
    found["mlops.tagging.owner_tag"] = [{"resource": TICKET, "message": "m"}, {"resource": FRAUD, "message": "m"}]
    found["mlops.serving.min_instances"] = [{"resource": TICKET, "message": "m"}]
    found["mlops.encryption.endpoint_kms"] = [{"resource": TICKET, "message": "m"}, {"resource": FRAUD, "message": "m"}]
    result = evaluate_gate(stack_document("prod"), bundle, FakeEngine(found), enforcement, [], TODAY)
    assert [(v.policy.id, v.resource) for v in result.violations] == [
        ("endpoint-kms-encryption", FRAUD),
        ("endpoint-kms-encryption", TICKET),
        ("endpoint-min-instances", TICKET),
        ("resource-owner-tag", FRAUD),
        ("resource-owner-tag", TICKET),
    ]


def test_report_shape(bundle: PolicyBundle, enforcement: Enforcement, tmp_path: Path) -> None:
    owner_waiver = waivers(bundle, tmp_path, (
        "  - {policy: resource-owner-tag, model: ticket-router, reason: Tag lands next release.,"
        " approver: a@example.com, expires: 2026-12-31}\n"))
    result = evaluate_gate(stack_document("prod"), bundle, EmbeddedEngine(), enforcement, owner_waiver, TODAY)

    report = result.to_dict()
    assert list(report) == [
        "stack", "environment", "decision", "engine", "policy_bundle_sha256", "policies_evaluated", "require_verified",
        "counts", "policies", "violations", "unverified", "checks", "conformance", "waivers_applied", "waivers_expired",
    ]
    assert {k: report[k] for k in ("stack", "environment", "decision", "engine", "policy_bundle_sha256", "policies_evaluated")} == {
        "stack": "prod",
        "environment": "prod",
        "decision": "fail",
        "engine": "embedded",
        "policy_bundle_sha256": bundle.sha256,
        "policies_evaluated": 4,
    }
    assert report["waivers_expired"] == [] and report["unverified"] == [] and report["require_verified"] is False
    assert report["violations"][0] == {
        "policy_id": "iam-no-wildcard-actions",
        "title": "Role policies never allow every action",
        "severity": "critical",
        "enforcement": "mandatory",
        "resource": ADMIN,
        "model": None,
        "message": PROD_VIOLATIONS["mlops.iam.no_wildcard"][0]["message"],
        "controls": ["NIST800-53:AC-6"],
        "blocking": True,
        "waiver": None,
    }
    waiver = {
        "policy_id": "resource-owner-tag", "model": "ticket-router", "resource": None, "environments": None,
        "reason": "Tag lands next release.", "approver": "a@example.com", "expires": "2026-12-31",
        "source": f"{tmp_path / 'waivers.yaml'}:2",
    }
    assert report["violations"][-1] == {
        "policy_id": "resource-owner-tag",
        "title": "Resources name an owner",
        "severity": "low",
        "enforcement": "advisory",
        "resource": TICKET,
        "model": "ticket-router",
        "message": "Resource ticket-router-config must carry an owner tag",
        "controls": ["SOC2:CC1.3"],
        "blocking": False,
        "waiver": waiver,
    }
    assert report["waivers_applied"] == [{**waiver, "waived": [TICKET]}]
    assert report["policies"][0] == {
        "id": "endpoint-kms-encryption", "title": "Endpoint configurations encrypt with a KMS key",
        "description": "Checks whether the fixture holds.", "severity": "high", "controls": ["SOC2:CC6.1", "NIST800-53:SC-28"],
        "waivable": True, "enforcement": "mandatory", "path": "policies/encryption/endpoint_kms.rego", "resource_types": [],
    }


FACTS_RULE = """
deny contains violation if {
	input.registry.source == "live"
	some r in input.resources
	r.type == "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
	input.registry.packages[r.model].approval_status != "Approved"
	violation := {"resource": r.urn, "message": sprintf("%s serves an unapproved package", [r.name])}
}

unverified contains finding if {
	input.registry.source != "live"
	some r in input.resources
	r.type == "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
	finding := {"resource": r.urn, "message": sprintf("approval of the package %s serves is unknown offline", [r.name])}
}
"""


def library_with(library: Path, package: str, rule: str, policy_id: str, **custom: str) -> PolicyBundle:
    """The fixture library plus one policy checking endpoint configurations."""
    write(library / Path(*package.split(".")[1:]).with_suffix(".rego"), policy_source(
        package, rule, policy_id=policy_id, severity="high", title="A fixture policy with custom fields",
        custom={"resource_types": f"[{ENDPOINT_CONFIG}]", **custom}))
    return load_bundle(library)


def facts_library(library: Path) -> PolicyBundle:
    """The fixture library plus one policy that needs live registry facts."""
    return library_with(library, "mlops.registry.approved", FACTS_RULE, "registry-approved")


def compliant_document(registry: dict[str, Any] | None) -> dict[str, Any]:
    document = stack_document("prod")
    document["resources"] = [r for r in document["resources"] if r["type"] == ENDPOINT_CONFIG]
    for r in document["resources"]:
        r["inputs"]["kmsKeyArn"] = "arn:aws:kms:eu-west-1:123456789012:key/k"
        r["inputs"]["productionVariants"] = [{"initialInstanceCount": 2}]
        r["tags"]["owner"] = "team@example.com"
    if registry is not None:
        document["registry"] = registry
    return document


def test_unknown_facts_pass_unverified_offline_and_fail_when_facts_are_required(library: Path) -> None:
    bundle = facts_library(library)
    enforcement = load_enforcement(shipped_enforcement(bundle.root.parent), bundle)
    offline = {"source": "unavailable", "reason": "offline", "packages": {}}
    result = evaluate_gate(compliant_document(offline), bundle, EmbeddedEngine(), enforcement, [], TODAY)
    assert result.decision == "pass-unverified"
    assert [(u.policy.id, u.resource, u.blocking) for u in result.unverified] == [
        ("registry-approved", FRAUD, False), ("registry-approved", TICKET, False)]
    assert result.counts["unverified"] == 2 and result.counts["blocking"] == 0
    assert {(c["policy_id"], c["resource"]): c["outcome"] for c in result.checks if c["policy_id"] == "registry-approved"} == {
        ("registry-approved", FRAUD): "unverified", ("registry-approved", TICKET): "unverified"}

    strict = evaluate_gate(compliant_document(offline), bundle, EmbeddedEngine(), enforcement, [], TODAY, require_verified=True)
    assert strict.decision == "fail"
    assert strict.counts["blocking"] == 2
    assert strict.to_dict()["unverified"][0]["blocking"] is True


def test_live_facts_decide_and_checks_record_each_resource(library: Path) -> None:
    bundle = facts_library(library)
    enforcement = load_enforcement(shipped_enforcement(bundle.root.parent), bundle)
    live = {"source": "live", "packages": {"fraud-detector": {"approval_status": "Approved"},
                                          "ticket-router": {"approval_status": "PendingManualApproval"}}}
    result = evaluate_gate(compliant_document(live), bundle, EmbeddedEngine(), enforcement, [], TODAY, require_verified=True)
    assert result.decision == "fail"
    assert result.unverified == []
    assert [(v.policy.id, v.resource) for v in result.violations] == [("registry-approved", TICKET)]
    assert {(c["policy_id"], c["resource"]): c["outcome"] for c in result.checks if c["policy_id"] == "registry-approved"} == {
        ("registry-approved", FRAUD): "pass", ("registry-approved", TICKET): "fail"}

    live["packages"]["ticket-router"]["approval_status"] = "Approved"
    assert evaluate_gate(compliant_document(live), bundle, EmbeddedEngine(), enforcement, [], TODAY, require_verified=True).decision == "pass"


def test_a_waiver_covers_an_unverified_control(library: Path, tmp_path: Path) -> None:
    bundle = facts_library(library)
    enforcement = load_enforcement(shipped_enforcement(bundle.root.parent), bundle)
    waived = waivers(bundle, tmp_path, (
        "  - {policy: registry-approved, model: fraud-detector, reason: Shadow traffic only.,"
        " approver: a@example.com, expires: 2026-12-31}\n"
        "  - {policy: registry-approved, model: ticket-router, reason: Shadow traffic only.,"
        " approver: a@example.com, expires: 2026-12-31}\n"))
    offline = {"source": "unavailable", "reason": "offline", "packages": {}}
    result = evaluate_gate(compliant_document(offline), bundle, EmbeddedEngine(), enforcement, waived, TODAY, require_verified=True)
    assert result.decision == "pass"
    assert result.counts["waived"] == 2 and result.counts["unverified"] == 0
    assert {c["outcome"] for c in result.checks if c["policy_id"] == "registry-approved"} == {"waived"}


CHANGES_RULE = """
deny contains violation if {
	some change in input.changes.resources
	change.data_loss
	violation := {"resource": change.urn, "message": sprintf("%s loses data", [change.urn])}
}
"""


def changes_library(library: Path) -> PolicyBundle:
    """The fixture library plus one policy that only applies to a diff."""
    return library_with(library, "mlops.changes.loss", CHANGES_RULE, "changes-loss", needs="[changes]")


def test_a_policy_that_needs_changes_records_no_evidence_without_them(library: Path) -> None:
    bundle = changes_library(library)
    assert bundle.policy("changes-loss").needs == ("changes",)
    enforcement = load_enforcement(shipped_enforcement(bundle.root.parent), bundle)
    without = evaluate_gate(compliant_document(None), bundle, EmbeddedEngine(), enforcement, [], TODAY)
    assert [c for c in without.checks if c["policy_id"] == "changes-loss"] == []
    document = compliant_document(None)
    document["changes"] = {"base": "HEAD", "resources": []}
    with_changes = evaluate_gate(document, bundle, EmbeddedEngine(), enforcement, [], TODAY)
    assert {c["outcome"] for c in with_changes.checks if c["policy_id"] == "changes-loss"} == {"pass"}


def test_a_deleted_resource_is_waived_by_the_model_it_belonged_to(library: Path, tmp_path: Path) -> None:
    bundle = changes_library(library)
    enforcement = load_enforcement(shipped_enforcement(bundle.root.parent), bundle)
    gone = urn("aws:sagemaker/featureGroup:FeatureGroup", "fraud-detector-card-transactions")
    document = compliant_document(None)
    document["changes"] = {"base": "HEAD", "resources": [{"urn": gone, "model": "fraud-detector", "action": "delete", "data_loss": True}]}
    assert evaluate_gate(document, bundle, EmbeddedEngine(), enforcement, [], TODAY).decision == "fail"
    waived = waivers(bundle, tmp_path, (
        "  - {policy: changes-loss, model: fraud-detector, reason: Feature group retired after migration.,"
        " approver: a@example.com, expires: 2026-12-31}\n"))
    result = evaluate_gate(document, bundle, EmbeddedEngine(), enforcement, waived, TODAY)
    assert result.decision == "pass"
    assert [(v.resource, v.model, v.waiver is not None) for v in result.violations] == [(gone, "fraud-detector", True)]
