"""`mlops plan` as a deployment gate and `mlops policy test`: decisions, waivers, fail-closed exits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlops.cli import app

runner = CliRunner()

UNREADY_BLOCKING = [
    "bias-monitoring-required",
    "endpoint-autoscaling",
    "endpoint-blue-green-rollback",
    "endpoint-data-capture",
    "endpoint-min-instances",
    "endpoint-model-monitoring",
    "model-card-approved",
    "model-manual-approval",
    "model-pinned-version",
    "pipeline-checks-required",
]


def plan(project: Path, stack: str):
    return runner.invoke(app, ["plan", "--stack", stack, "-C", str(project)])


def report(project: Path, stack: str) -> dict:
    return json.loads((project / "reports" / stack / "policy-report.json").read_text())


def add_waiver(project: Path, **fields: str) -> None:
    lines = ["waivers:", f"  - policy: {fields.pop('policy')}"] + [f"    {k}: {v}" for k, v in fields.items()]
    (project / "policies" / "waivers.yaml").write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_example_models_pass_every_stack_gate(project: Path, stack: str) -> None:
    result = plan(project, stack)
    assert result.exit_code == 0, result.output
    # Offline, prod's registry controls (approved, in-group, meeting the threshold, the A/B challenger's
    # approval) cannot be checked.
    verdict, decision = ("PASS WITH UNVERIFIED CONTROLS", "pass-unverified") if stack == "prod" else ("PASS", "pass")
    assert f"Policy gate: {verdict} — {stack} rules, 54 policies, embedded engine" in result.output
    document = report(project, stack)
    assert (document["stack"], document["environment"], document["decision"], document["engine"]) == (stack, stack, decision, "embedded")
    assert len(document["policy_bundle_sha256"]) == 64


def test_unready_model_fails_the_prod_gate_with_every_broken_control(unready_project: Path) -> None:
    result = plan(unready_project, "prod")
    assert result.exit_code == 1
    assert "Policy gate: FAIL — prod rules" in result.output
    assert (
        "  medium   mandatory  endpoint-min-instances: Endpoint configuration scoring-api-serving-config variant "
        "primary must start at least 2 instances (found 1)"
    ) in result.output.splitlines()
    assert "12 blocking, 0 advisory, 0 waived, 0 unverified" in result.output
    document = report(unready_project, "prod")
    assert document["decision"] == "fail"
    assert sorted({v["policy_id"] for v in document["violations"]}) == UNREADY_BLOCKING
    violation = next(v for v in document["violations"] if v["policy_id"] == "endpoint-min-instances")
    assert violation["resource"].endswith("aws:sagemaker/endpointConfiguration:EndpointConfiguration::scoring-api-serving-config")
    assert violation["model"] == "scoring-api"
    assert violation["severity"] == "medium" and violation["enforcement"] == "mandatory"
    assert violation["controls"] and violation["waiver"] is None
    # Per-resource evidence: each policy checks the types it declares, and every violation is
    # one of those checks failing (a policy that flags a type it does not declare is caught here).
    declared = {p["id"]: set(p["resource_types"]) for p in document["policies"]}
    assert all(declared.values()), [policy for policy, types in declared.items() if not types]
    types = {c["resource"]: c["type"] for c in document["checks"]}
    assert all(types[v["resource"]] in declared[v["policy_id"]] for v in document["violations"])
    failed = {(c["policy_id"], c["resource"]) for c in document["checks"] if c["outcome"] == "fail"}
    assert failed == {(v["policy_id"], v["resource"]) for v in document["violations"]}
    assert document["counts"]["checks_passed"] == sum(c["outcome"] == "pass" for c in document["checks"]) > 50


def test_same_model_only_advises_in_dev(unready_project: Path) -> None:
    result = plan(unready_project, "dev")
    assert result.exit_code == 0
    assert "Policy gate: PASS — dev rules" in result.output
    assert all(v["enforcement"] == "advisory" for v in report(unready_project, "dev")["violations"])


def test_a_valid_waiver_is_applied_and_recorded(unready_project: Path) -> None:
    add_waiver(unready_project, policy="endpoint-min-instances", model="scoring-api", environments="[prod]",
               reason="Partner traffic below 1 rps until launch", approver="cto@example.com", expires="2999-12-31")
    result = plan(unready_project, "prod")
    assert "waived by cto@example.com until 2999-12-31 endpoint-min-instances" in " ".join(result.output.split())
    waived = [v for v in report(unready_project, "prod")["violations"] if v["waiver"]]
    assert [v["policy_id"] for v in waived] == ["endpoint-min-instances"]
    assert waived[0]["waiver"] == {
        "policy_id": "endpoint-min-instances", "model": "scoring-api", "resource": None, "environments": ["prod"],
        "reason": "Partner traffic below 1 rps until launch", "approver": "cto@example.com", "expires": "2999-12-31",
        "source": "policies/waivers.yaml:2",
    }
    assert "11 blocking, 0 advisory, 1 waived" in result.output


def test_an_expired_waiver_does_not_apply_and_is_reported(unready_project: Path) -> None:
    add_waiver(unready_project, policy="endpoint-min-instances", model="scoring-api",
               reason="Launch exception", approver="cto@example.com", expires="2020-01-31")
    result = plan(unready_project, "prod")
    assert result.exit_code == 1
    assert "expired waiver endpoint-min-instances" in result.output
    assert "12 blocking, 0 advisory, 0 waived, 0 unverified" in result.output
    expired = report(unready_project, "prod")["waivers_expired"]
    assert [(w["policy_id"], w["expires"]) for w in expired] == [("endpoint-min-instances", "2020-01-31")]


def test_a_waiver_for_an_unknown_policy_is_invalid_input(unready_project: Path) -> None:
    add_waiver(unready_project, policy="no-such-policy", model="scoring-api", reason="r", approver="a@example.com", expires="2999-01-01")
    result = plan(unready_project, "prod")
    assert result.exit_code == 2
    assert f"{unready_project / 'policies' / 'waivers.yaml'}:2: waivers[0].policy" in result.output
    assert "no-such-policy" in result.output


def test_a_non_waivable_policy_cannot_be_waived(project: Path) -> None:
    add_waiver(project, policy="iam-no-wildcard-actions", model="fraud-detector", reason="r", approver="a@example.com", expires="2999-01-01")
    result = plan(project, "prod")
    assert result.exit_code == 2
    assert "iam-no-wildcard-actions" in result.output and "not waivable" in result.output


def test_a_policy_that_does_not_parse_fails_closed_with_3(project: Path) -> None:
    broken = project / "policies" / "tags" / "required_tags.rego"
    broken.write_text(broken.read_text() + "\ndeny contains x if {\n")
    result = plan(project, "dev")
    assert result.exit_code == 3
    assert str(broken) in result.output
    assert "Policy gate: PASS" not in result.output


def test_no_policies_fails_closed_with_3(project: Path) -> None:
    for path in (project / "policies").rglob("*.rego"):
        path.unlink()
    result = plan(project, "dev")
    assert result.exit_code == 3
    assert "no policies" in result.output.lower()


def test_an_unreachable_opa_server_fails_closed_with_3(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLOPS_OPA_URL", "http://127.0.0.1:9")
    result = plan(project, "dev")
    assert result.exit_code == 3
    assert "127.0.0.1:9" in result.output
    assert not (project / "reports" / "dev" / "policy-report.json").exists()


def test_a_gate_that_cannot_decide_leaves_no_earlier_report_claiming_a_pass(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert plan(project, "dev").exit_code == 0
    out = project / "reports" / "dev"
    assert json.loads((out / "policy-report.json").read_text())["decision"] == "pass"
    evidence = list((out / "evidence").glob("*.json"))
    monkeypatch.setenv("MLOPS_OPA_URL", "http://127.0.0.1:9")
    assert plan(project, "dev").exit_code == 3
    assert not list(out.glob("policy-report.*"))
    assert list((out / "evidence").glob("*.json")) == evidence, "the ledger's evidence stays"


def test_policy_test_runs_every_rego_test(project: Path) -> None:
    result = runner.invoke(app, ["policy", "test", "--policies-dir", str(project / "policies")])
    assert result.exit_code == 0, result.output
    passed = int(result.output.strip().splitlines()[-1].split()[1])
    assert passed >= 2 * 35
    assert result.output.strip().splitlines()[-1] == f"rego: {passed} passed, 0 failed"


def test_policy_test_fails_on_a_failing_test(project: Path) -> None:
    test_file = project / "policies" / "tags" / "required_tags_test.rego"
    test_file.write_text(test_file.read_text() + "\ntest_always_fails if {\n\tfalse\n}\n")
    result = runner.invoke(app, ["policy", "test", "--policies-dir", str(project / "policies")])
    assert result.exit_code == 1
    assert "FAILED  data.mlops.tags.required_tags_test.test_always_fails" in result.output
    assert result.output.strip().splitlines()[-1].endswith("passed, 1 failed")


def test_policy_test_with_no_tests_fails(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    result = runner.invoke(app, ["policy", "test", "--policies-dir", str(tmp_path / "policies")])
    assert result.exit_code != 0
    assert "rego: 0 passed, 0 failed" in result.output


def test_crossguard_pack_enforces_the_same_decisions_as_the_offline_gate(unready_project: Path) -> None:
    from types import SimpleNamespace

    from mlops.governance.crossguard import build_policies
    from mlops.plan import build_plan
    from pulumi_policy import EnforcementLevel

    from .conftest import REPO

    entry = (REPO / "policies" / "__main__.py").read_text()
    assert "build_policies(Path(__file__).resolve().parent.parent)" in entry
    from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy

    built = build_policies(unready_project, environ={"PULUMI_STACK": "prod", "PULUMI_DRY_RUN": "false"})
    policies = [p for p in built if isinstance(p, StackValidationPolicy)]
    # One stack policy per Rego policy, the advisory values-known-after-apply, and a resource
    # policy (Analyze, before the step) per resource-local Rego policy.
    assert len(policies) == 55  # 54 Rego policies + values-known-after-apply
    assert {p.name for p in built if isinstance(p, ResourceValidationPolicy)} >= {"endpoint-kms-encryption.resource", "aws-api-conformance.resource"}
    levels = {p.name: p.enforcement_level for p in policies}
    assert levels["endpoint-min-instances"] == EnforcementLevel.MANDATORY

    planned = build_plan(unready_project, "prod")
    nodes = {r["urn"]: SimpleNamespace(urn=r["urn"], resource_type=r["type"], name=r["name"], props=r["inputs"],
                                       parent=None, dependencies=[]) for r in planned.resources}
    for r in planned.resources:
        nodes[r["urn"]].parent = nodes.get(r["parent"])
        nodes[r["urn"]].dependencies = [nodes[d] for d in r["dependencies"] if d in nodes]
    reported: dict[str, list[str]] = {}
    for policy in policies:
        policy.validate(SimpleNamespace(resources=list(nodes.values())),
                        lambda message, urn=None, name=policy.name: reported.setdefault(name, []).append(urn))
    offline = {v["policy_id"] for v in report_after_plan(unready_project)}
    assert sorted(reported) == sorted(offline) == UNREADY_BLOCKING


def report_after_plan(project: Path) -> list[dict]:
    plan(project, "prod")
    return report(project, "prod")["violations"]


def test_policy_input_document_matches_its_published_schema() -> None:
    import jsonschema

    from mlops.plan import build_plan
    from mlops.policy_input import policy_document

    from .conftest import REPO

    schema = json.loads((REPO / "policies" / "input.schema.json").read_text())
    planned = build_plan(REPO, "staging")
    document = policy_document(planned.stack, planned.specs, planned.resources)
    jsonschema.validate(document, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**document, "resources": [{"urn": 1}]}, schema)


def test_readme_catalogue_lists_every_policy() -> None:
    from mlops.governance.bundle import load_bundle

    from .conftest import REPO

    readme = (REPO / "README.md").read_text()
    catalogue = readme[readme.index("### Policy catalogue"):]
    for policy in load_bundle(REPO / "policies").policies:
        assert f"| `{policy.id}` | {policy.severity}" in catalogue, policy.id


def test_crossguard_pack_uses_the_stacks_opa_server_like_the_offline_gate(project: Path) -> None:
    from types import SimpleNamespace

    from mlops.errors import PolicyEngineError
    from mlops.governance.crossguard import build_policies

    stack_file = project / "Pulumi.dev.yaml"
    stack_file.write_text(stack_file.read_text() + "  mlops:opaUrl: http://127.0.0.1:9\n")
    assert plan(project, "dev").exit_code == 3
    policy = build_policies(project, environ={"MLOPS_STACK": "dev"})[0]
    with pytest.raises(PolicyEngineError, match="127.0.0.1:9"):
        policy.validate(SimpleNamespace(resources=[]), lambda message, urn=None: None)


def test_each_decision_is_recorded_in_the_ledger_with_its_evidence(unready_project: Path) -> None:
    from mlops.audit.ledger import file_sha256, read_entries

    assert plan(unready_project, "prod").exit_code == 1
    assert plan(unready_project, "dev").exit_code == 0
    entries = read_entries(unready_project / "reports" / "audit-ledger.jsonl")
    assert [(e["seq"], e["kind"], e["stack"], e["decision"]) for e in entries] == [(1, "gate", "prod", "fail"), (2, "gate", "dev", "pass")]
    assert entries[1]["prev_hash"] == entries[0]["hash"]
    prod = entries[0]
    evidence = unready_project / prod["report_path"]
    assert evidence.parent == unready_project / "reports" / "prod" / "evidence"
    assert file_sha256(evidence) == prod["report_sha256"] == evidence.stem
    assert evidence.read_bytes() == (unready_project / "reports" / "prod" / "policy-report.json").read_bytes()
    assert prod["counts"]["blocking"] == 12
    verified = runner.invoke(app, ["audit", "verify", "--ledger", str(unready_project / "reports" / "audit-ledger.jsonl")])
    assert verified.exit_code == 0
    assert verified.output.startswith(f"ledger OK: 2 entries, head {entries[1]['hash'][:12]}")


def test_a_tampered_ledger_stops_the_gate_before_any_report_is_written(project: Path) -> None:
    assert plan(project, "dev").exit_code == 0
    ledger = project / "reports" / "audit-ledger.jsonl"
    ledger.write_text(ledger.read_text().replace('"decision":"pass"', '"decision":"fail"'))
    report_path = project / "reports" / "dev" / "policy-report.json"
    before = report_path.read_bytes()
    result = plan(project, "dev")
    assert result.exit_code == 1
    assert f"error: {ledger}:1: the audit ledger's last entry (seq 1) does not verify; refusing to extend a broken chain" in result.output
    assert "Policy gate" not in result.output
    assert report_path.read_bytes() == before


def test_a_ledger_that_cannot_be_written_is_exit_4_naming_the_path(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ledger = project / "Pulumi.yaml" / "audit-ledger.jsonl"  # under a file: no such directory can exist
    monkeypatch.setenv("MLOPS_LEDGER", str(ledger))
    result = plan(project, "dev")
    assert result.exit_code == 4, result.output
    assert f"error: {ledger}: cannot" in " ".join(result.output.split())
    assert not (project / "reports" / "dev" / "policy-report.json").exists()


def test_a_hung_opa_server_fails_closed_at_the_deadline_without_library_noise(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket
    import time

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)  # accepts connections, never answers
    try:
        monkeypatch.setenv("MLOPS_OPA_URL", f"http://127.0.0.1:{listener.getsockname()[1]}")
        monkeypatch.setenv("MLOPS_POLICY_TIMEOUT", "2")
        inputs_loaded = time.monotonic()
        result = plan(project, "dev")
        elapsed = time.monotonic() - inputs_loaded
    finally:
        listener.close()
    assert result.exit_code == 3, result.output
    assert "reached no decision within 2s" in result.output
    assert "Retrying" not in result.output and "urllib3" not in result.output
    assert elapsed < 30, "the program run and a 2 s deadline, not the per-request timeouts of ~80 uploads"


@pytest.mark.parametrize("value", ["soon", "0", "-1", "601", "nan"])
def test_a_bad_policy_timeout_is_invalid_input(project: Path, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("MLOPS_POLICY_TIMEOUT", value)
    result = plan(project, "dev")
    assert result.exit_code == 2, result.output
    assert f"MLOPS_POLICY_TIMEOUT: expected seconds, more than 0 and at most 600; found {value!r}" in result.output


def test_governance_config_is_checked_before_the_program_runs(project: Path) -> None:
    add_waiver(project, policy="endpoint-min-instances", model="no-such-model", reason="r", approver="a@example.com", expires="2999-01-01")
    result = plan(project, "dev")
    assert result.exit_code == 2, result.output
    assert "waivers[0].model: expected the name of a model of the stacks' specs" in " ".join(result.output.split())
    assert not (project / ".mlops-cache").exists(), "no program ran"
    assert not (project / "reports").exists()
