"""The CrossGuard pack driven over gRPC as the Pulumi engine drives it (tests/engine_harness.py).

Update mode (every value known): what the pack reports from AnalyzeStack is exactly what the
offline gate (`mlops plan`, with the same live registry facts) reports as unwaived violations and
unverified checks. Broken policies, a broken library and unreachable registry facts fail closed.
"""

from __future__ import annotations

import json
import os
import re
import socket
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mlops.cli import app
from tests.conftest import copy_project
from tests.engine_harness import (
    LEVELS,
    SECRET_SIG,
    SECRET_SIG_KEY,
    UNKNOWN,
    PackFailedToStart,
    PackProcess,
    PackRun,
    StandInEngine,
    contains_unknown,
    drive,
    resources_from_plan,
    stack_config,
    with_secrets,
)
from tests.live.conftest import LocalAws, aws, isolate_aws_environment, moto_server, seed_prod_registry  # noqa: F401 (fixtures)

runner = CliRunner()

# The pack's advisory policy listing, in a preview, the checks left to the update (no offline counterpart).
PENDING_POLICY = "values-known-after-apply"
# A resource policy (checked by Analyze, before the resource's step) is named after its Rego policy.
RESOURCE_SUFFIX = ".resource"

# tests/test_gate_cli.py UNREADY_BLOCKING, with model-manual-approval found twice (on the
# training pipeline's register step and on the model itself) and pipeline-checks-required twice
# (the data-quality check and the bias check are both missing).
UNREADY_BLOCKING = [
    ("bias-monitoring-required", "aws:sagemaker/endpoint:Endpoint::scoring-api-serving-endpoint"),
    ("endpoint-autoscaling", "aws:sagemaker/endpoint:Endpoint::scoring-api-serving-endpoint"),
    ("endpoint-blue-green-rollback", "aws:sagemaker/endpoint:Endpoint::scoring-api-serving-endpoint"),
    ("endpoint-data-capture", "aws:sagemaker/endpointConfiguration:EndpointConfiguration::scoring-api-serving-config"),
    ("endpoint-min-instances", "aws:sagemaker/endpointConfiguration:EndpointConfiguration::scoring-api-serving-config"),
    ("endpoint-model-monitoring", "aws:sagemaker/endpoint:Endpoint::scoring-api-serving-endpoint"),
    ("model-card-approved", "mlops:model:ModelStack::scoring-api"),
    ("model-manual-approval", "aws:sagemaker/pipeline:Pipeline::scoring-api-training-pipeline"),
    ("model-manual-approval", "mlops:model:ModelStack::scoring-api"),
    ("model-pinned-version", "aws:sagemaker/model:Model::scoring-api-serving-model"),
    ("pipeline-checks-required", "aws:sagemaker/pipeline:Pipeline::scoring-api-training-pipeline"),
    ("pipeline-checks-required", "aws:sagemaker/pipeline:Pipeline::scoring-api-training-pipeline"),
]

# Each test below starts the pack (about 0.6 s) and most run `mlops plan` (3-8 s) too.
# --strict-markers and no registered `slow` marker: skip them with MLOPS_SKIP_PACK_TESTS=1.
slow = pytest.mark.skipif(os.environ.get("MLOPS_SKIP_PACK_TESTS") == "1", reason="starts the policy pack and runs mlops plan")


# --- the offline gate ---------------------------------------------------------------------------


class Offline:
    def __init__(self, project: Path, stack: str, output: str, exit_code: int) -> None:
        self.output = output
        self.exit_code = exit_code
        self.plan: dict[str, Any] = json.loads((project / "reports" / stack / "plan.json").read_text())
        self.report: dict[str, Any] = json.loads((project / "reports" / stack / "policy-report.json").read_text())

    def findings(self) -> set[tuple[str, str, str]]:
        """(policy, urn, level) of every unwaived violation and unverified check."""
        return {
            (f["policy_id"], f["resource"] or "", f["enforcement"])
            for f in self.report["violations"] + self.report["unverified"]
            if f["waiver"] is None
        }

    def waived(self) -> set[tuple[str, str]]:
        return {(f["policy_id"], f["resource"] or "") for f in self.report["violations"] + self.report["unverified"] if f["waiver"]}

    def messages(self) -> set[tuple[str, str, str]]:
        """(policy, urn, text) as the pack words a finding: the policy's title, a newline, the message."""
        found = {(v["policy_id"], v["resource"] or "", f"{v['title']}\n{v['message']}") for v in self.report["violations"] if v["waiver"] is None}
        return found | {
            (u["policy_id"], u["resource"] or "", f"{u['title']}\nunverified: {u['message']}") for u in self.report["unverified"] if u["waiver"] is None
        }


def offline_plan(project: Path, stack: str, *, live: bool = False) -> Offline:
    result = runner.invoke(app, ["plan", "--stack", stack, "-C", str(project), *(["--live"] if live else [])])
    assert result.exit_code in (0, 1), result.output
    return Offline(project, stack, result.output, result.exit_code)


# --- what the pack reported ---------------------------------------------------------------------


def short(urn: str) -> str:
    """`<type>::<name>` of a URN, without the parent types: `aws:sagemaker/model:Model::scoring-api-serving-model`."""
    _stack, _project, types, name = urn.split("::", 3)
    return f"{types.rsplit('$', 1)[-1]}::{name}"


def base_policy(name: str) -> str:
    return name[: -len(RESOURCE_SUFFIX)] if name.endswith(RESOURCE_SUFFIX) else name


def stack_findings(run: PackRun) -> set[tuple[str, str, str]]:
    return {(d.policy, d.urn, d.level) for d in run.stack if d.policy != PENDING_POLICY and d.level in ("mandatory", "advisory")}


def stack_diagnostics(run: PackRun) -> list[tuple[str, str, str]]:
    """Like stack_findings, one per diagnostic: a policy may report one resource more than once (two messages)."""
    return [(d.policy, d.urn, d.level) for d in run.stack if d.policy != PENDING_POLICY and d.level in ("mandatory", "advisory")]


def resource_findings(run: PackRun) -> set[tuple[str, str, str]]:
    return {(base_policy(d.policy), d.urn, d.level) for found in run.per_resource.values() for d in found if d.level in ("mandatory", "advisory")}


def assert_pack_matches_offline(run: PackRun, offline: Offline) -> None:
    assert run.errors == [], run.errors
    assert stack_findings(run) == offline.findings()
    # Analyze (before each step) may report less than the whole-stack evaluation, never something else.
    assert resource_findings(run) <= offline.findings()
    reported = {(base_policy(d.policy), d.urn) for d in run.diagnostics}
    assert not reported & offline.waived()
    # The pack exposes one policy per Rego policy, at the level the offline report gives it.
    levels = {p["id"]: p["enforcement"] for p in offline.report["policies"]}
    assert {name: level for name, level in run.analyzer_info.items() if name in levels} == levels


def drive_plan(project: Path, offline: Offline, *, preview: bool = False, **kwargs: Any) -> PackRun:
    stack = offline.plan["stack"]
    return drive(project / "policies", project, stack, preview=preview,
                 resources=resources_from_plan(offline.plan, preview=preview), **kwargs)


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No host AWS settings reach the pack: stacks that pin no model version need no AWS at all."""
    isolate_aws_environment(monkeypatch, tmp_path)


@pytest.fixture(scope="module")
def dev_plan(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The example project's dev plan.json, for the tests that only need resources to send."""
    project = copy_project(tmp_path_factory.mktemp("dev-plan") / "project")
    return offline_plan(project, "dev").plan


def closed_port_url() -> str:
    with socket.socket() as s:  # nothing listens on it once closed
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


# --- the harness's own encodings (no pack) ------------------------------------------------------


def test_preview_resources_make_every_computed_value_unknown(dev_plan: dict[str, Any]) -> None:
    update = resources_from_plan(dev_plan, preview=False)
    preview = resources_from_plan(dev_plan, preview=True)
    assert [r["urn"] for r in update] == [r["urn"] for r in preview] == [r["urn"] for r in dev_plan["resources"]]
    by_name = {r["name"]: r for r in preview}
    key = by_name["platform-key-alias"]["properties"]
    assert key["targetKeyId"] == UNKNOWN and key["name"] == "alias/acme-dev-mlops"
    # A JSON document naming a computed ARN is unknown as a whole; one that does not stays known.
    role = next(r for r in preview if r["type"] == "aws:iam/rolePolicy:RolePolicy")
    assert role["properties"]["policy"] == UNKNOWN
    assert json.loads(by_name["churn-predictor-access-execution"]["properties"]["assumeRolePolicy"])["Version"] == "2012-10-17"
    assert all(not contains_unknown(r["properties"]) for r in update)
    known = [r for r in preview if not contains_unknown(r["properties"])]
    assert known and all(r["properties"] == u["properties"] for r in known for u in update if u["urn"] == r["urn"])


def test_stack_config_is_passed_as_the_engine_passes_it(project: Path) -> None:
    config, secret_keys = stack_config(project, "prod")
    assert config["aws:region"] == "eu-west-1" and config["mlops:environment"] == "prod"
    assert json.loads(config["mlops:network"])["securityGroupIds"] == ["sg-0fedcba9876543210"]  # non-strings as JSON
    assert secret_keys == ["mlops-platform:ticketRouterApiToken"]
    assert config["mlops-platform:ticketRouterApiToken"] == "decrypted-ticketRouterApiToken"  # the engine decrypts
    assert with_secrets({"properties": {"a": [1, {"b": "x"}]}}, [("a", 1, "b")])["properties"] == {
        "a": [1, {"b": {SECRET_SIG_KEY: SECRET_SIG, "value": "x"}}]
    }


# --- update mode: the pack agrees with the offline gate -----------------------------------------


@slow
def test_dev_update_matches_the_offline_gate(project: Path, no_aws: None) -> None:
    offline = offline_plan(project, "dev")
    run = drive_plan(project, offline)
    assert_pack_matches_offline(run, offline)
    assert offline.exit_code == 0 and not run.blocked
    assert len(run.per_resource) == len(offline.plan["resources"])


@slow
@pytest.mark.parametrize(("pinned", "expected"), [
    (("Approved", {"auc": 0.95}), set()),
    # A rejected v14 is also the A/B test's primary variant, so the endpoint configuration is flagged too.
    (("Rejected", {"auc": 0.95}), {
        ("registry-approved-package", "aws:sagemaker/model:Model::fraud-detector-serving-model"),
    }),
], ids=["approved", "rejected"])
def test_prod_update_with_live_registry_facts_matches_the_live_offline_gate(
    aws: LocalAws, project: Path, pinned: tuple[str, dict[str, float]], expected: set[tuple[str, str]]  # noqa: F811
) -> None:
    seed_prod_registry(aws, fraud_pinned=pinned)
    offline = offline_plan(project, "prod", live=True)
    run = drive_plan(project, offline)  # the pack fetches the same facts from the same local AWS at start-up
    assert_pack_matches_offline(run, offline)
    assert {(policy, short(urn)) for policy, urn, level in stack_findings(run) if level == "mandatory"} == expected
    assert not [f for f in offline.report["unverified"]]  # live facts: every registry control was checked


@slow
def test_unready_prod_update_reports_the_twelve_blocking_violations(unready_project: Path, no_aws: None) -> None:
    offline = offline_plan(unready_project, "prod")
    assert offline.exit_code == 1
    run = drive_plan(unready_project, offline)
    assert_pack_matches_offline(run, offline)
    assert sorted((policy, short(urn)) for policy, urn, level in stack_diagnostics(run) if level == "mandatory") == sorted(UNREADY_BLOCKING)
    assert {level for _, _, level in stack_diagnostics(run)} == {"mandatory"}
    assert len(offline.report["violations"]) == len(UNREADY_BLOCKING)
    # Same words as the offline report: the policy's title, then the gate's message.
    assert {(d.policy, d.urn, d.message) for d in run.stack if d.policy != PENDING_POLICY} == offline.messages()


@slow
def test_unready_dev_update_only_advises(unready_project: Path, no_aws: None) -> None:
    offline = offline_plan(unready_project, "dev")
    run = drive_plan(unready_project, offline)
    assert_pack_matches_offline(run, offline)
    assert stack_findings(run) and {level for _, _, level in stack_findings(run)} == {"advisory"}
    assert not run.blocked


@slow
def test_a_waived_violation_is_reported_by_neither(unready_project: Path, no_aws: None) -> None:
    (unready_project / "policies" / "waivers.yaml").write_text(
        "waivers:\n  - policy: endpoint-min-instances\n    model: scoring-api\n    environments: [prod]\n"
        "    reason: Partner traffic below 1 rps until launch\n    approver: cto@example.com\n    expires: 2999-12-31\n"
    )
    offline = offline_plan(unready_project, "prod")
    assert {policy for policy, _ in offline.waived()} == {"endpoint-min-instances"}
    run = drive_plan(unready_project, offline)
    assert_pack_matches_offline(run, offline)
    assert len(stack_diagnostics(run)) == len(UNREADY_BLOCKING) - 1
    assert "endpoint-min-instances" not in {base_policy(d.policy) for d in run.diagnostics}


@slow
def test_engine_protocol_as_the_installed_sdk_speaks_it(unready_project: Path, no_aws: None) -> None:
    """Handshake, secrets, the root stack and providers, and what Configure must carry."""
    offline = offline_plan(unready_project, "prod")
    resources = resources_from_plan(offline.plan, preview=False)
    with StandInEngine() as engine, PackProcess(engine.address, unready_project / "policies", unready_project, "prod") as pack:
        pack.handshake()
        pack.configure_stack()
        pack.plugin_info()
        pack.analyzer_info()
        pack.configure()
        baseline = {(d.policy, d.urn, d.level, d.message) for d in pack.analyze_stack(resources)}
        assert {(p, u, lvl) for p, u, lvl, _ in baseline if p != PENDING_POLICY} == offline.findings()

        # Secrets arrive unwrapped: pulumi_policy hands policies the plaintext (Analyze/AnalyzeStack
        # never proxy secrets), so secret inputs are judged like any other value.
        config = next(r for r in resources if r["type"] == "aws:sagemaker/endpointConfiguration:EndpointConfiguration")
        secret_config = with_secrets(config, [("productionVariants", 0, "initialInstanceCount"), ("productionVariants", 0, "instanceType")])
        secreted = [secret_config if r is config else r for r in resources]
        assert {(d.policy, d.urn, d.level, d.message) for d in pack.analyze_stack(secreted)} == baseline

        # What else the engine sends: the root stack (parent of top-level resources) and the
        # default providers (as resources and as each custom resource's provider).
        with_engine_resources = resources_from_plan(offline.plan, preview=False, engine_resources=True)
        assert {(d.policy, d.urn, d.level, d.message) for d in pack.analyze_stack(with_engine_resources)} == baseline

        # Configure replaces the levels: a PolicyConfig whose level is unset is ADVISORY (0), which
        # is why the engine (and `configure()` by default) always sends each policy's level.
        pack.configure({name: LEVELS[0] for name in pack.analyzer_info()})
        assert {d.level for d in pack.analyze_stack(resources)} == {"advisory"}

        assert pack.handshake_supported is False  # pulumi_policy 1.21 does not implement Handshake
        assert engine.logs == []  # the pack never connects to the engine: its logs go to stderr
    assert pack.process is not None and pack.process.returncode is not None  # stopped on exit


# --- fault cases: each fails closed -------------------------------------------------------------


def rego_location(stderr: str, path: Path) -> tuple[int, int]:
    found = re.search(rf"{re.escape(str(path))}:(\d+):(\d+): ", stderr)
    assert found, stderr[-3000:]
    return int(found.group(1)), int(found.group(2))


def start_fails(project: Path, stack: str = "dev", **extra_env: str | None) -> PackFailedToStart:
    with StandInEngine() as engine, pytest.raises(PackFailedToStart) as failed:
        with PackProcess(engine.address, project / "policies", project, stack, extra_env=extra_env):
            pass
    assert failed.value.reason == "exited before printing a port"
    assert failed.value.returncode == 1 and failed.value.stdout == ""
    return failed.value


@slow
def test_a_policy_with_a_syntax_error_stops_the_pack_from_starting(project: Path, no_aws: None) -> None:
    path = project / "policies" / "cost" / "instance_types.rego"
    lines = path.read_text().splitlines()
    broken = next(i for i, line in enumerate(lines) if line.startswith("deny contains violation if {"))
    lines[broken] += " {"  # an unclosed brace: the rule's body no longer parses
    path.write_text("\n".join(lines) + "\n")
    failed = start_fails(project)
    line, _ = rego_location(failed.stderr, path)
    assert line in (broken + 1, broken + 2)
    assert "does not parse" in failed.stderr


@slow
def test_a_broken_library_module_stops_the_pack_from_starting(project: Path, no_aws: None) -> None:
    path = project / "policies" / "lib" / "resources.rego"
    text = path.read_text()
    path.write_text(text.replace("vpc_required if {", "vpc_required if { (", 1))
    broken = text[: text.index("vpc_required if {")].count("\n") + 1
    failed = start_fails(project)
    line, _ = rego_location(failed.stderr, path)
    assert broken <= line <= broken + 3  # where the parser gives up on the unclosed parenthesis
    assert "does not parse" in failed.stderr


@slow
def test_unreachable_registry_facts_stop_the_prod_pack_from_starting(project: Path, no_aws: None) -> None:
    closed = closed_port_url()
    failed = start_fails(project, "prod", AWS_ENDPOINT_URL=closed, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    assert f"cannot reach the AWS sts endpoint {closed}" in failed.stderr
    assert "LiveFactsError" in failed.stderr


@slow
def test_prod_pack_without_aws_credentials_does_not_start(project: Path, no_aws: None) -> None:
    failed = start_fails(project, "prod")
    assert "fetching model registry facts needs AWS credentials and none were found" in failed.stderr


BUGGY_POLICY = """\
# METADATA
# title: Endpoint names carry the team prefix
# description: A policy with a bug, it reads a resource's name as if it were an object.
# custom:
#   id: endpoint-name-prefix
#   severity: medium
#   controls: [SOC2:CC8.1]
#   resource_types: [aws:sagemaker/endpoint:Endpoint]
#   waivable: true
package mlops.governance.endpoint_name_prefix

import rego.v1

deny contains violation if {
	some r in input.resources
	r.type == "aws:sagemaker/endpoint:Endpoint"
	prefix := object.get(r.name, "prefix", "")
	violation := {"resource": r.urn, "message": sprintf("Endpoint %s lacks prefix %s", [r.name, prefix])}
}
"""


@slow
def test_a_policy_that_errors_on_the_input_never_passes(project: Path, dev_plan: dict[str, Any], no_aws: None) -> None:
    path = project / "policies" / "governance" / "endpoint_name_prefix.rego"
    path.write_text(BUGGY_POLICY)  # loads and compiles; fails only on a document that has endpoints
    line = BUGGY_POLICY.splitlines().index('\tprefix := object.get(r.name, "prefix", "")') + 1
    run = drive(project / "policies", project, "dev", preview=False, resources=resources_from_plan(dev_plan, preview=False))
    assert run.blocked  # in dev, where every policy is advisory, too
    failures = [e for e in run.errors if e.call == "AnalyzeStack"]
    if failures:
        # regorus raises on the builtin type error; the engine fails the update on the gRPC error.
        assert [e.code for e in failures] == ["UNKNOWN"]
        assert f"{path}:{line}:" in failures[0].details and "object.get" in failures[0].details
    else:
        assert any(d.level == "mandatory" and f"{path.name}:{line}" in d.message for d in run.stack), run.stack


# --- preview mode: the stack from the engine, unknown values never judged -----------------------


@slow
def test_mlops_stack_naming_another_stack_stops_the_pack(project: Path, no_aws: None) -> None:
    failed = start_fails(project, "prod", MLOPS_STACK="dev")
    assert "MLOPS_STACK=dev but Pulumi is deploying stack prod" in failed.stderr


@slow
def test_preview_never_judges_unknown_values_and_agrees_with_the_update(unready_project: Path, no_aws: None) -> None:
    offline = offline_plan(unready_project, "prod")
    resources = resources_from_plan(offline.plan, preview=True)
    unknown = {r["urn"] for r in resources if contains_unknown(r["properties"])}
    assert unknown
    preview = drive(unready_project / "policies", unready_project, "prod", preview=True, resources=resources)
    update = drive(unready_project / "policies", unready_project, "prod", preview=False,
                   resources=resources_from_plan(offline.plan, preview=False))
    assert preview.errors == [] and update.errors == []
    # No definite answer on a resource with an unknown input: no false failure, no false pass …
    assert not [d for d in preview.diagnostics if d.level == "mandatory" and d.urn in unknown]
    # … what the preview does report, the update reports too …
    settled = {(d.policy, d.urn, d.message) for d in update.diagnostics}
    assert {(d.policy, d.urn, d.message) for d in preview.diagnostics if d.policy != "values-known-after-apply"} <= settled
    # … and every check left open is listed, advisory, by values-known-after-apply.
    pending = [d for d in preview.diagnostics if d.policy == "values-known-after-apply"]
    assert pending and all(d.level == "advisory" and "known only after apply" in d.message for d in pending)
    blocked_in_update = {d.urn for d in update.diagnostics if d.level == "mandatory"}
    assert blocked_in_update - {d.urn for d in preview.diagnostics if d.level == "mandatory"} <= {d.urn for d in pending}
