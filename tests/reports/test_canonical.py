"""build_report on real plans: schema-valid formatVersion 2 with metadata, resources, changes and spec locations."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mlops.policy_gate import run_gate
from mlops.reports import build_report, load_report, render_reports, schema_problems, write_reports
from mlops.reports.canonical import Locator
from mlops.reports.metadata import digest_files

from .conftest import PlannedProject, fixture_report

NOW = datetime(2026, 3, 2, 10, 15, tzinfo=UTC)


def report_for(planned: PlannedProject, project_dir: Path | None = None, **kwargs) -> dict:
    gate = run_gate(project_dir or planned.root, planned.plan).to_dict()
    return build_report(
        gate, plan=planned.plan, plan_file=planned.plan_file, project_dir=planned.root, reports_dir=planned.reports, now=NOW,
        **{"changes": None, **kwargs},
    )


@pytest.fixture(scope="module")
def dev_report(planned_dev: PlannedProject) -> dict:
    return report_for(planned_dev)


def test_a_real_report_is_schema_valid(dev_report: dict) -> None:
    assert schema_problems(dev_report) == []
    assert dev_report["formatVersion"] == 2
    assert (dev_report["stack"], dev_report["environment"]) == ("dev", "dev")
    assert dev_report["counts"]["checks"] == len(dev_report["checks"]) > 100


def test_metadata_records_tool_time_and_input_digests(dev_report: dict, planned_dev: PlannedProject) -> None:
    meta = dev_report["metadata"]
    assert meta["tool"] == {"name": "mlops", "version": __import__("mlops").__version__}
    assert meta["project"] == "mlops-platform"
    assert meta["generated_at"] == "2026-03-02T10:15:00Z"
    assert meta["git"] == {"commit": None, "dirty": None, "branch": None}  # the copied project is no repository
    sha = meta["sha256"]
    assert sha["policy_bundle"] == dev_report["policy_bundle_sha256"]
    assert sha["plan"] == hashlib.sha256(planned_dev.plan_path.read_bytes()).hexdigest()
    assert sha["specs"] == digest_files(planned_dev.root, {p: p.read_bytes() for p in (planned_dev.root / "models").glob("*.yaml")})
    assert sha["stack_file"] == hashlib.sha256((planned_dev.root / "Pulumi.dev.yaml").read_bytes()).hexdigest()


def test_resource_summary_counts_cloud_resources(dev_report: dict, planned_dev: PlannedProject) -> None:
    counts = planned_dev.plan.counts_by_model()
    summary = dev_report["resources"]
    assert summary["total"] == sum(sum(c.values()) for c in counts.values()) == 121
    assert summary["by_model"] == {model: sum(c.values()) for model, c in counts.items()}
    assert summary["by_type"]["aws:sagemaker/endpoint:Endpoint"] == 2  # churn-predictor serves in batch: no endpoint


def test_every_finding_is_located(dev_report: dict, planned_dev: PlannedProject) -> None:
    for finding in [*dev_report["violations"], *dev_report["unverified"]]:
        path = planned_dev.root / finding["location"]["file"]
        assert path.is_file()
        assert 1 <= finding["location"]["line"] <= len(path.read_text().splitlines())


def test_locations_point_at_the_spec_field_that_caused_them(planned_unready: PlannedProject) -> None:
    report = report_for(planned_unready)
    assert schema_problems(report) == []
    spec = "models/scoring-api.yaml"
    lines = {(v["policy_id"], v["location"]["file"], v["location"]["line"]) for v in report["violations"]}
    assert lines == {
        ("bias-monitoring-required", spec, 4),  # high risk, no monitoring section: monitoring.bias belongs to the model
        ("pipeline-checks-required", spec, 11),  # high risk, no training.checks: the training section
        ("endpoint-autoscaling", spec, 21),  # no serving.autoscaling: the serving section
        ("endpoint-blue-green-rollback", spec, 25),  # serving.deployment
        ("endpoint-data-capture", spec, 28),  # serving.data_capture
        ("endpoint-min-instances", spec, 24),  # serving.initial_instance_count
        ("endpoint-model-monitoring", spec, 4),  # no monitoring section: metadata.name
        ("model-manual-approval", spec, 20),  # registry.approval
        ("model-pinned-version", spec, 19),  # no registry.pinned_version: the registry section
        ("model-card-approved", spec, 30),  # no model_card.status: the model_card section
    }


def finding(policy: str, urn: str, model: str | None) -> dict:
    return {"policy_id": policy, "resource": urn, "model": model}


def test_stack_and_shared_causes_point_at_the_stack_file(planned_unready: PlannedProject) -> None:
    locator = Locator(planned_unready.root, planned_unready.plan)
    model_urn = next(r["urn"] for r in planned_unready.plan.resources if r["type"] == "aws:sagemaker/model:Model")
    bucket_urn = next(r["urn"] for r in planned_unready.plan.resources if r["type"] == "aws:s3/bucket:Bucket")
    assert locator.locate(finding("model-vpc-config", model_urn, "scoring-api")) == {"file": "Pulumi.prod.yaml", "line": 13}  # mlops:network
    assert locator.locate(finding("required-tags", bucket_urn, None)) == {"file": "Pulumi.prod.yaml", "line": 6}
    assert locator.locate(finding("s3-tls-only", bucket_urn, None)) == {"file": "Pulumi.prod.yaml", "line": 1}


def test_feature_group_findings_point_at_their_group(planned_dev: PlannedProject) -> None:
    locator = Locator(planned_dev.root, planned_dev.plan)
    (group,) = [
        r["urn"] for r in planned_dev.plan.resources
        if r["type"] == "aws:sagemaker/featureGroup:FeatureGroup" and r["name"].endswith("-customer-profile")
    ]
    assert locator.locate(finding("feature-group-online-kms-encryption", group, "fraud-detector")) == {
        "file": "models/fraud-detector.yaml", "line": 32,
    }
    assert locator.locate(finding("pii-feature-group-encryption", group, "fraud-detector")) == {
        "file": "models/fraud-detector.yaml", "line": 28,
    }


def test_waiver_sources_are_relative_to_the_project(planned_unready: PlannedProject, tmp_path: Path) -> None:
    governance = tmp_path / "governance"
    shutil.copytree(planned_unready.root / "policies", governance / "policies")
    shutil.copy(planned_unready.root / "Pulumi.prod.yaml", governance / "Pulumi.prod.yaml")
    (governance / "policies" / "waivers.yaml").write_text(
        "waivers:\n"
        "  - {policy: endpoint-min-instances, model: scoring-api, reason: Launch traffic is tiny., approver: cto@example.com, expires: 2999-12-31}\n"
        "  - {policy: endpoint-autoscaling, model: scoring-api, reason: Old exception., approver: ciso@example.com, expires: 2020-01-01}\n"
    )
    report = report_for(planned_unready, project_dir=governance)
    assert schema_problems(report) == []
    (applied,) = report["waivers_applied"]
    (expired,) = report["waivers_expired"]
    # Sources were absolute paths in the gate result; reports must not carry a machine's paths.
    assert applied["source"].endswith("policies/waivers.yaml:2") and not applied["source"].startswith("/")
    assert expired["source"].endswith("policies/waivers.yaml:3") and expired["would_have_waived"]
    waived = next(v for v in report["violations"] if v["policy_id"] == "endpoint-min-instances")
    assert waived["waiver"]["approver"] == "cto@example.com" and waived["blocking"] is False


def test_changes_are_copied_and_validated(planned_dev: PlannedProject) -> None:
    changes = fixture_report()["changes"]
    report = report_for(planned_dev, changes=changes)
    assert report["changes"] == changes and report["changes"] is not changes
    assert schema_problems(report) == []


def test_written_reports_are_deterministic_and_load_back(dev_report: dict, tmp_path: Path) -> None:
    first = write_reports(render_reports(dev_report), tmp_path / "a" / "dev")
    second = write_reports(render_reports(json.loads(json.dumps(dev_report))), tmp_path / "b" / "dev")
    for fmt in first:
        assert first[fmt].read_bytes() == second[fmt].read_bytes(), fmt
    text = first["json"].read_text()
    assert text.endswith("}\n") and text == json.dumps(dev_report, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert load_report(first["json"]) == dev_report
    assert [p.name for p in first.values()] == [
        "policy-report.json", "policy-report.md", "policy-report.sarif", "policy-report.junit.xml", "policy-report.html",
    ]
