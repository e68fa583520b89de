"""`mlops promote` against a real local AWS: success, dry run, and every refusal leaving everything as it was."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlops.cli import app
from mlops.errors import InputError
from mlops.live.specfile import pin_path, set_value

from tests.conftest import copy_project

from .conftest import LocalAws, approval_status, register_versions, seed_prod_registry

runner = CliRunner()
REASON = "auc up 1pt on the March holdout, CAB-1234"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("MLOPS_LEDGER", raising=False)
    return copy_project(tmp_path / "project")


def promote(project: Path, *args: str):
    return runner.invoke(app, ["promote", *args, "--reason", REASON, "-C", str(project)])


def ledger(project: Path) -> list[dict]:
    path = project / "reports" / "audit-ledger.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    """Pairs of (old, new) lines that differ; both files must have the same number of lines."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    assert len(old) == len(new)
    return [(a, b) for a, b in zip(old, new, strict=True) if a != b]


def inserted_lines(before: str, after: str) -> list[str]:
    """The lines `after` adds to `before`, which must be its only change."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    edits = [op for op in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes() if op[0] != "equal"]
    assert len(edits) == 1 and edits[0][0] == "insert", edits
    return new[edits[0][3] : edits[0][4]]


def test_promotion_approves_pins_and_records(aws: LocalAws, project: Path) -> None:
    seed_prod_registry(aws)
    spec = project / "models" / "fraud-detector.yaml"
    before = spec.read_text()
    result = promote(project, "fraud-detector", "--version", "15", "--to", "prod")
    assert result.exit_code == 0, result.output
    assert "Promoted fraud-detector model package version 15 to prod (stack prod)" in result.output
    assert "metric: auc 0.96 >= 0.92 (from model_quality_statistics:s3://" in result.output
    # The registry: approved, with who and why.
    described = aws.client("sagemaker").describe_model_package(
        ModelPackageName="arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-fraud-detector/15"
    )
    assert described["ModelApprovalStatus"] == "Approved"
    assert described["ApprovalDescription"] == f"Promoted to prod by release-bot@example.com: {REASON}"
    # The spec: exactly one line changed, comments and layout kept.
    after = spec.read_text()
    assert changed_lines(before, after) == [("      pinned_version: 14\n", "      pinned_version: 15\n")]
    assert after.startswith("# Card-fraud scoring on the payments authorisation path.")
    # The ledger: the gate's decision on the promoted plan, then the promotion itself.
    entry = ledger(project)[-1]
    assert entry["kind"] == "promotion"
    assert {k: entry[k] for k in ("actor", "reason", "stack", "environment", "model", "version", "previous_pin",
                                  "approval_status_before", "approval_status_after", "spec_file", "gate_decision")} == {
        "actor": "release-bot@example.com",
        "reason": REASON,
        "stack": "prod",
        "environment": "prod",
        "model": "fraud-detector",
        "version": 15,
        "previous_pin": 14,
        "approval_status_before": "PendingManualApproval",
        "approval_status_after": "Approved",
        "spec_file": "models/fraud-detector.yaml",
        "gate_decision": "pass",
    }
    assert entry["metric"] == {
        "name": "auc", "value": 0.96, "threshold": 0.92, "comparison": "greater_than_or_equal",
        "source": "model_quality_statistics:s3://acme-prod-model-evaluations/acme-prod-fraud-detector/15/evaluation.json",
    }
    report = json.loads((project / entry["gate_report_path"]).read_text())
    assert report["decision"] == "pass" and report["require_verified"] is True
    assert entry["gate_report_path"] == "reports/promotions/fraud-detector-15/prod/policy-report.json"
    # Its metadata hashes what was gated: the specs with the new pin, and the plan.json beside it.
    from mlops.reports.metadata import digest_files, sha256_bytes

    specs = {p: p.read_bytes() for p in (project / "models").glob("*.yaml")}
    assert report["metadata"]["sha256"]["specs"] == digest_files(project, specs) != digest_files(project, {**specs, spec: before.encode()})
    plan_json = project / "reports" / "promotions" / "fraud-detector-15" / "prod" / "plan.json"
    assert report["metadata"]["sha256"]["plan"] == sha256_bytes(plan_json.read_bytes())
    # The promoted project now passes the prod gate with live facts: the pin and the approval agree.
    from mlops.live.registry import registry_facts
    from mlops.plan import build_plan
    from mlops.policy_gate import run_gate

    plan = build_plan(project, "prod")
    assert run_gate(project, plan, registry=registry_facts(plan.stack, plan.specs), require_verified=True).decision == "pass"


def test_dry_run_changes_nothing(aws: LocalAws, project: Path) -> None:
    seed_prod_registry(aws)
    spec = project / "models" / "fraud-detector.yaml"
    before = spec.read_bytes()
    result = promote(project, "fraud-detector", "--version", "15", "--to", "prod", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Dry run: would promote fraud-detector model package version 15 to prod (stack prod)" in result.output
    assert 'registry: would set approval PendingManualApproval → Approved: "Promoted to prod by release-bot@example.com:' in result.output
    assert "-      pinned_version: 14\n+      pinned_version: 15\n" in result.output
    assert spec.read_bytes() == before
    assert approval_status(aws, "acme-prod-fraud-detector", 15) == "PendingManualApproval"
    assert ledger(project) == []
    assert not (project / "reports" / "promotions").exists()


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (
            ["fraud-detector", "--version", "16"],
            "error: cannot promote fraud-detector: model package arn:aws:sagemaker:eu-west-1:123456789012:model-package/"
            "acme-prod-fraud-detector/16 has auc 0.9, the spec requires auc >= 0.92 (from model_quality_statistics:",
        ),
        (
            ["fraud-detector", "--version", "17"],
            "error: cannot promote fraud-detector: model package arn:aws:sagemaker:eu-west-1:123456789012:model-package/"
            "acme-prod-fraud-detector/17 is Rejected in the registry; a rejected package is never promoted: register a new version",
        ),
        (
            ["fraud-detector", "--version", "42"],
            "error: cannot promote fraud-detector: model package arn:aws:sagemaker:eu-west-1:123456789012:model-package/"
            "acme-prod-fraud-detector/42 not found; versions in group acme-prod-fraud-detector: 9, 10, 11, 12, 13, 14, 15, 16, 17, 18",
        ),
        (
            ["fraud-detector", "--package-arn", "arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-churn-predictor/7"],
            "error: cannot promote fraud-detector: model package arn:aws:sagemaker:eu-west-1:123456789012:model-package/"
            "acme-prod-churn-predictor/7 belongs to group acme-prod-churn-predictor, not to the model's own group acme-prod-fraud-detector",
        ),
        (
            ["churn-predictor", "--version", "8"],
            "error: cannot promote churn-predictor: model package arn:aws:sagemaker:eu-west-1:123456789012:model-package/"
            "acme-prod-churn-predictor/8 records no 'f1' metric (recorded: accuracy); the spec requires f1 >= 0.71",
        ),
    ],
    ids=["metric-below-threshold", "rejected", "missing", "other-group", "metric-not-recorded"],
)
def test_refusals_change_nothing(aws: LocalAws, project: Path, args: list[str], reason: str) -> None:
    seed_prod_registry(aws)
    register_versions(aws, "acme-prod-churn-predictor", [("PendingManualApproval", {"f1": 0.9}), ("PendingManualApproval", {"accuracy": 0.9})], report_format="project")
    specs = {p: p.read_bytes() for p in (project / "models").iterdir()}
    statuses = {v: approval_status(aws, "acme-prod-fraud-detector", v) for v in range(14, 18)}
    result = promote(project, *args, "--to", "prod")
    assert result.exit_code == 1, result.output
    assert reason in " ".join(result.output.split("\n"))
    assert {p: p.read_bytes() for p in (project / "models").iterdir()} == specs
    assert {v: approval_status(aws, "acme-prod-fraud-detector", v) for v in range(14, 18)} == statuses
    assert approval_status(aws, "acme-prod-churn-predictor", 7) == "PendingManualApproval"
    assert ledger(project) == []


def test_refused_when_the_gate_fails_with_the_new_pin(aws: LocalAws, project: Path) -> None:
    # churn-predictor's pinned prod package is only pending: the prod gate fails whatever fraud-detector pins.
    seed_prod_registry(aws, churn_versions=5)
    register_versions(aws, "acme-prod-churn-predictor", [("PendingManualApproval", {"f1": 0.8})], report_format="project")
    spec = project / "models" / "fraud-detector.yaml"
    before = spec.read_bytes()
    result = promote(project, "fraud-detector", "--version", "15", "--to", "prod")
    assert result.exit_code == 1, result.output
    output = " ".join(result.output.split("\n"))
    assert "error: cannot promote fraud-detector version 15 to prod: the prod gate fails with it pinned (report: " in output
    assert (
        "registry-approved-package (violation): Model churn-predictor pins model package "
        "arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-churn-predictor/6, whose approval status is PendingManualApproval"
    ) in output
    assert spec.read_bytes() == before
    assert approval_status(aws, "acme-prod-fraud-detector", 15) == "PendingManualApproval"
    assert [e["kind"] for e in ledger(project)] in ([], ["gate"])  # the gate's own decision is recorded, no promotion


def test_promotion_creates_the_environment_keys(aws: LocalAws, project: Path) -> None:
    register_versions(aws, "acme-staging-ticket-router", [("PendingManualApproval", {"accuracy": 0.87})] * 2, source="properties")
    spec = project / "models" / "ticket-router.yaml"
    before = spec.read_text()
    result = promote(project, "ticket-router", "--version", "2", "--to", "staging")
    assert result.exit_code == 0, result.output
    after = spec.read_text()
    assert inserted_lines(before, after) == ["  staging:\n", "    registry:\n", "      pinned_version: 2\n"]
    assert approval_status(aws, "acme-staging-ticket-router", 2) == "Approved"
    assert approval_status(aws, "acme-staging-ticket-router", 1) == "PendingManualApproval"


def test_promote_input_errors(project: Path, aws: LocalAws) -> None:
    result = promote(project, "fraud-detector", "--version", "15", "--package-arn", "arn:x", "--to", "prod")
    assert result.exit_code == 2
    assert "error: give the package to promote as --version N or as --package-arn ARN, not both" in result.output
    result = promote(project, "no-such-model", "--version", "1", "--to", "prod")
    assert result.exit_code == 2
    assert "no model named 'no-such-model'; models: churn-predictor, fraud-detector, ticket-router" in result.output
    result = promote(project, "fraud-detector", "--version", "1", "--to", "qa")
    assert result.exit_code == 2
    assert "error: --to: expected one of dev, staging, prod; found 'qa'" in result.output
    result = promote(project, "fraud-detector", "--version", "1", "--to", "dev", "--stack", "prod")
    assert result.exit_code == 2
    assert "stack prod deploys environment prod, not dev; pass the --stack of a dev stack" in " ".join(result.output.split("\n"))


# --- the spec edit on its own: every byte but the pinned value kept ------------------------------


SPEC = """\
# A model.   Comments, odd spacing and quotes must survive.
metadata:
  name: demo   # inline comment
  description: 'single quoted'
training:
  evaluation: {metric: auc, threshold: 0.9}
environments:
    staging:
        serving:
            instance_type: "ml.m5.large"
    prod:
        registry:
            approval: manual    # keep me
            pinned_version: 3   # was 3
        serving:
          - odd: list
# trailing comment
"""


def test_spec_value_replaced_in_place() -> None:
    after = set_value(SPEC, Path("demo.yaml"), pin_path("prod"), 12)
    assert changed_lines(SPEC, after) == [("            pinned_version: 3   # was 3\n", "            pinned_version: 12   # was 3\n")]


def test_spec_keys_created_in_the_files_indentation() -> None:
    after = set_value(SPEC, Path("demo.yaml"), pin_path("staging"), 5)
    old, new = SPEC.splitlines(keepends=True), after.splitlines(keepends=True)
    assert new[:10] + new[12:] == old
    assert new[10:12] == ["        registry:\n", "            pinned_version: 5\n"]
    after = set_value(SPEC, Path("demo.yaml"), pin_path("dev"), 1)
    new = after.splitlines(keepends=True)
    assert new == old[:16] + ["    dev:\n", "        registry:\n", "            pinned_version: 1\n", "# trailing comment\n"]


def test_spec_without_environments_gets_a_section() -> None:
    text = "metadata:\n  name: demo\n"
    assert set_value(text, Path("d.yaml"), pin_path("prod"), 2) == text + "\nenvironments:\n  prod:\n    registry:\n      pinned_version: 2\n"


def test_flow_style_is_refused_rather_than_rewritten() -> None:
    text = "environments:\n  prod: {registry: {pinned_version: 3}}\n"
    with pytest.raises(InputError) as e:
        set_value(text, Path("d.yaml"), pin_path("prod"), 4)
    assert e.value.message == (
        "d.yaml:2: environments.prod: written in flow style ({...}); write it as a block mapping so mlops promote can edit it in place"
    )


def test_promoting_a_high_risk_model_to_prod_approves_its_model_card(aws: LocalAws, project: Path) -> None:
    seed_prod_registry(aws)
    spec = project / "models" / "fraud-detector.yaml"
    # The card not yet approved for prod: the prod gate fails model-card-approved until a promotion approves it.
    spec.write_text(spec.read_text().replace("  prod:\n    model_card:\n      status: Approved\n", "  prod:\n"))
    before = spec.read_text()
    result = promote(project, "fraud-detector", "--version", "15", "--to", "prod")
    assert result.exit_code == 0, result.output
    assert "  model card: set environments.prod.model_card.status = Approved (was Draft): this promotion approves it" in result.output
    after = spec.read_text()
    assert inserted_lines(before.replace("pinned_version: 14", "pinned_version: 15"), after) == [
        "    model_card:\n", "      status: Approved\n",
    ]
    entry = ledger(project)[-1]
    assert (entry["kind"], entry["model_card_status_before"], entry["model_card_status_after"]) == ("promotion", "Draft", "Approved")
    # A low-risk model's card is not the promotion's to approve.
    from mlops.live.promote import _approves_card
    from mlops.plan import load_inputs

    specs = {s.spec.name: s for s in load_inputs(project, "prod").specs}
    from mlops.policy_gate import load_governance

    data = load_governance(project, load_inputs(project, "prod").stack).bundle.data
    assert _approves_card(data, "prod", specs["fraud-detector"]) and not _approves_card(data, "prod", specs["ticket-router"])
    assert not _approves_card(data, "staging", specs["fraud-detector"])
