"""The CrossGuard pack's own decisions, called in-process: unknown values in a preview, resource
policies before each step, and redaction (tests/governance/test_pack_engine.py drives the same pack
through the engine's gRPC protocol)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy

from mlops.governance.crossguard import PENDING_POLICY, build_policies
from mlops.governance.unknowns import unknown_dependence
from mlops.plan import capture, load_inputs
from mlops.resources.conformance import UNKNOWN_SENTINELS

from .conftest import REPO, copy_project

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
assert UNKNOWN in UNKNOWN_SENTINELS


def _unknown_on_preview(value: Any) -> Any:
    """What a first preview knows: a value computed from another resource's outputs (an offline
    stand-in: the mock account, `mock` ids) is unknown, whole strings included."""
    if isinstance(value, dict):
        return {k: _unknown_on_preview(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unknown_on_preview(v) for v in value]
    if isinstance(value, str) and ("123456789012" in value or "mock" in value):
        return UNKNOWN
    return value


@pytest.fixture(scope="module")
def unready(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    project = copy_project(tmp_path_factory.mktemp("pack") / "project", models=False)
    shutil.copytree(REPO / "tests" / "fixtures" / "unready-prod", project / "models", dirs_exist_ok=True)
    plan = capture(load_inputs(project, "prod"), jobs=1, cache_dir=None)
    return project, plan.resources


def _nodes(resources: list[dict[str, Any]]) -> list[SimpleNamespace]:
    nodes = {r["urn"]: SimpleNamespace(urn=r["urn"], resource_type=r["type"], name=r["name"], props=r["inputs"], parent=None,
                                       dependencies=[]) for r in resources}
    for r in resources:
        nodes[r["urn"]].parent = nodes.get(r["parent"])
        nodes[r["urn"]].dependencies = [nodes[d] for d in r["dependencies"] if d in nodes]
    return list(nodes.values())


def _run_stack(policies: list[Any], resources: list[dict[str, Any]]) -> dict[str, list[tuple[str, str]]]:
    reported: dict[str, list[tuple[str, str]]] = {}
    for policy in policies:
        if isinstance(policy, StackValidationPolicy):
            policy.validate(SimpleNamespace(resources=_nodes(resources)),
                            lambda message, urn=None, name=policy.name: reported.setdefault(name, []).append((urn, message)))
    return reported


def _run_each(policies: list[Any], resources: list[dict[str, Any]]) -> dict[str, list[tuple[str, str]]]:
    reported: dict[str, list[tuple[str, str]]] = {}
    for policy in (p for p in policies if isinstance(p, ResourceValidationPolicy)):
        for r in resources:
            args = SimpleNamespace(resource_type=r["type"], props=r["inputs"], urn=r["urn"], name=r["name"], opts=None, provider=None)
            policy.validate(args, lambda message, urn=None, name=policy.name: reported.setdefault(name, []).append((urn, message)))
    return reported


def test_update_resource_policies_report_every_resource_local_violation_before_its_step(unready) -> None:
    project, resources = unready
    policies = build_policies(project, environ={"PULUMI_STACK": "prod", "PULUMI_DRY_RUN": "false"})
    stack = _run_stack(policies, resources)
    each = _run_each(policies, resources)
    local = {p.name.removesuffix(".resource") for p in policies if isinstance(p, ResourceValidationPolicy)}
    # Every stack-level finding of a resource-local policy is also reported by Analyze, before the step.
    for policy_id in local & set(stack):
        assert sorted(each.get(f"{policy_id}.resource", [])) == sorted(stack[policy_id]), policy_id
    assert set(stack) - {PENDING_POLICY} >= {"endpoint-min-instances"}
    assert PENDING_POLICY not in stack  # an update has nothing left unknown


def test_preview_never_judges_a_value_it_does_not_know(unready) -> None:
    project, resources = unready
    preview = [{**r, "inputs": _unknown_on_preview(r["inputs"])} for r in resources]
    unknown = unknown_dependence(preview)
    assert unknown  # buckets' policies, role ARNs, KMS key ids, pipeline definitions …
    update = _run_stack(build_policies(project, environ={"PULUMI_STACK": "prod", "PULUMI_DRY_RUN": "false"}), resources)
    previewed = build_policies(project, environ={"PULUMI_STACK": "prod", "PULUMI_DRY_RUN": "true"})
    reported = _run_stack(previewed, preview)
    pending = {urn for urn, _ in reported.pop(PENDING_POLICY, [])}
    for name, findings in reported.items():
        # No definite answer on a resource whose checks depend on an unknown value …
        assert not [urn for urn, _ in findings if urn in unknown], name
        # … and every other finding is exactly what the update reports.
        assert sorted(findings) == sorted(f for f in update.get(name, []) if f[0] not in unknown), name
    # The known-value findings the update reports are all in the preview, or pending there.
    for name, findings in update.items():
        for urn, message in findings:
            assert (urn, message) in reported.get(name, []) or urn in pending, (name, urn)
    # s3-tls-only on buckets whose policy is unknown: pending, not a false failure.
    buckets = {r["urn"] for r in preview if r["type"] == "aws:s3/bucket:Bucket"}
    assert buckets <= pending and not reported.get("s3-tls-only")
    # Resource policies in a preview leave resources with unknown inputs alone.
    each = _run_each(previewed, preview)
    assert not [urn for findings in each.values() for urn, _ in findings if urn in unknown]


def test_messages_never_carry_a_secret_value(unready, monkeypatch: pytest.MonkeyPatch) -> None:
    project, resources = unready
    secret = "hunter2 is the password"
    stack_file = project / "Pulumi.prod.yaml"
    original = stack_file.read_text()
    # A secret the stack file holds encrypted; the engine hands the pack its plaintext in PULUMI_CONFIG
    # (and does not say which keys are secret).
    stack_file.write_text(original + "  mlops-platform:dbPassword:\n    secure: v1:AAAABBBBCCCC:ZGVhZGJlZWY=\n")
    environ = {
        "PULUMI_STACK": "prod",
        "PULUMI_DRY_RUN": "false",
        "PULUMI_CONFIG": json.dumps({"mlops-platform:dbPassword": secret, "aws:region": "eu-west-1"}),
    }
    try:
        policies = build_policies(project, environ=environ)
    finally:
        stack_file.write_text(original)
    config = next(r for r in resources if r["type"] == "aws:sagemaker/endpointConfiguration:EndpointConfiguration")
    leaked = {**config, "inputs": {**config["inputs"], "productionVariants": [
        {**config["inputs"]["productionVariants"][0], "variantName": secret},
    ]}}
    each = _run_each(policies, [leaked])
    messages = [m for findings in each.values() for _, m in findings]
    assert any("VariantName" in m and "[REDACTED]" in m for m in messages), messages
    assert not [m for m in messages if secret in m]


def test_mlops_up_never_skips_the_preview() -> None:
    from mlops.live.deploy import pulumi_command

    for yes in (True, False):
        command = pulumi_command("/usr/bin/pulumi", "prod", yes=yes)
        assert command[:6] == ["/usr/bin/pulumi", "up", "--stack", "prod", "--policy-pack", "policies"]
        assert not [a for a in command if a.startswith("--skip-preview") or a.startswith("--policy-pack-config")]


def test_the_gate_never_decides_a_check_that_depends_on_an_unknown_value(unready) -> None:
    from datetime import date

    from mlops.governance.gate import evaluate_gate
    from mlops.policy_gate import load_governance

    project, resources = unready
    inputs = load_inputs(project, "prod")
    governance = load_governance(project, inputs.stack, models=[s.spec.name for s in inputs.specs])
    bucket = next(r for r in resources if r["type"] == "aws:s3/bucketPolicy:BucketPolicy")
    changed = [{**r, "inputs": {**r["inputs"], "policy": UNKNOWN}} if r is bucket else r for r in resources]
    document = __import__("mlops.policy_input", fromlist=["policy_document"]).policy_document(inputs.stack, inputs.specs, changed)
    result = evaluate_gate(document, governance.bundle, governance.engine, governance.enforcement, governance.waivers, date(2026, 6, 1))
    target = bucket["dependencies"][0]
    tls = [f for f in [*result.violations, *result.unverified] if f.policy.id == "s3-tls-only" and f.resource == target]
    assert [(f.unverified, f.message) for f in tls] == [
        (True, f"not decided: the check depends on values not known ({bucket['name']}.policy)")
    ]
    check = next(c for c in result.checks if c["policy_id"] == "s3-tls-only" and c["resource"] == target)
    assert check["outcome"] == "unverified"


def _as_outputs(resource: dict[str, Any], value: Any) -> dict[str, Any]:
    """The resource as the engine hands AnalyzeStack after a step: its outputs, that is its inputs
    plus what the provider computes for its type (`value` for each: known after an update, unknown
    in a preview)."""
    from mlops.resources.inputs import output_only_names

    if resource["type"].startswith("mlops:"):
        return resource
    computed = {name: value for name in output_only_names(resource["type"]) - {"urn"}}
    if "tagsAll" in computed and value != UNKNOWN:
        computed["tagsAll"] = {**resource["inputs"].get("tags", {}), "x": "y"}
    return {**resource, "inputs": {**resource["inputs"], **computed}}


def test_stack_policies_judge_inputs_not_the_outputs_the_engine_adds(unready) -> None:
    from mlops import resources as catalogue
    from mlops.resources.inputs import input_names

    project, planned = unready
    # Every catalogued type's inputs are known from the provider's Args class, and cover the plan's.
    for entry in catalogue.ENTRIES:
        assert input_names(entry.token), entry.token
    for r in planned:
        names = input_names(r["type"])
        assert names is None or set(r["inputs"]) <= names, r["type"]
    update = build_policies(project, environ={"PULUMI_STACK": "prod", "PULUMI_DRY_RUN": "false"})
    assert _run_stack(update, [_as_outputs(r, "arn:aws:sagemaker:eu-west-1:123456789012:x/y") for r in planned]) == _run_stack(update, planned)
    preview = build_policies(project, environ={"PULUMI_STACK": "prod", "PULUMI_DRY_RUN": "true"})
    # An output a preview does not know yet leaves every check that does not read it decided.
    assert _run_stack(preview, [_as_outputs(r, UNKNOWN) for r in planned]) == _run_stack(preview, planned)
