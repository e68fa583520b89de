"""Secrets never reach plan.json or a report: secure config values and serving.environment SecretRefs."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlops.cli import app
from mlops.policy_gate import run_gate
from mlops.reports import build_report, render_reports, write_reports
from mlops.reports.redact import REDACTED, Redactor, secret_config_values, secrets_for
from mlops.specs.loader import load_stack_settings

from ..conftest import copy_project
from .conftest import PLAINTEXT_SECRET, PlannedProject

MODEL = "aws:sagemaker/model:Model"


def model_resource(model: str, environment: dict) -> dict:
    return {
        "urn": f"urn:pulumi:dev::p::{MODEL}::{model}-serving-model",
        "type": MODEL,
        "model": model,
        "inputs": {"primaryContainer": {"image": "img", "environment": environment}},
    }


def test_values_are_replaced_whole_and_inside_longer_text() -> None:
    redactor = Redactor(frozenset({"hunter2-token", "ab"}))
    document = {
        "a": "hunter2-token",
        "b": ["Bearer hunter2-token sent", {"hunter2-token": 1}],
        "c": "ab",
        "d": "about a tab",
        "n": 3,
    }
    assert redactor.redact(document) == {
        "a": REDACTED,
        "b": [f"Bearer {REDACTED} sent", {REDACTED: 1}],
        "c": REDACTED,
        "d": "about a tab",  # too short to hunt inside other text
        "n": 3,
    }
    assert document["a"] == "hunter2-token"  # the input is not changed


def test_digests_are_never_touched() -> None:
    digest = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
    redactor = Redactor(frozenset({"4b5a6978"}))
    document = {"policy_bundle_sha256": digest, "metadata": {"sha256": {"plan": digest}}, "other": digest}
    assert redactor.redact(document) == {
        "policy_bundle_sha256": digest,
        "metadata": {"sha256": {"plan": digest}},
        "other": digest.replace("4b5a6978", REDACTED),
    }


def test_secret_environment_variables_are_redacted_by_position() -> None:
    redactor = Redactor(secret_environment={"router": frozenset({"API_TOKEN"})})
    resource = model_resource("router", {"API_TOKEN": "whatever-it-is", "LOG_LEVEL": "info"})
    other = model_resource("scorer", {"API_TOKEN": "not-a-secret-here"})
    redacted = redactor.redact({"resources": [resource, other]})
    assert redacted["resources"][0]["inputs"]["primaryContainer"]["environment"] == {"API_TOKEN": REDACTED, "LOG_LEVEL": "info"}
    assert redacted["resources"][1] == other


def test_values_found_at_secret_positions_are_scrubbed_everywhere() -> None:
    resource = model_resource("router", {"API_TOKEN": "s3cret-value-42"})
    redactor = Redactor(secret_environment={"router": frozenset({"API_TOKEN"})}).learn([resource])
    assert redactor.redact({"message": "token s3cret-value-42 leaked"}) == {"message": f"token {REDACTED} leaked"}


def test_secure_config_values_are_secrets() -> None:
    config = {"aws:region": "eu-west-1", "p:token": {"secure": "v1:abc:def"}, "mlops:network": {"subnetIds": ["x"]}}
    assert secret_config_values(config) == {"v1:abc:def"}


def test_secrets_for_takes_the_stack_files_secure_values(project: Path) -> None:
    from mlops.specs.loader import load_specs

    specs = load_specs(project / "models", "dev", "acme")
    redactor = secrets_for(specs, load_stack_settings(project, "dev").config)
    (ciphertext,) = redactor.values
    assert ciphertext.startswith("v1:") and ciphertext in (project / "Pulumi.dev.yaml").read_text()
    assert redactor.secret_environment == {"ticket-router": frozenset({"ROUTING_API_TOKEN"})}


def router_model(planned: PlannedProject) -> dict:
    (model,) = [r for r in planned.plan.resources if r["type"] == MODEL and r["model"] == "ticket-router"]
    return model


def test_the_program_gets_the_secret_as_a_secret_config_value(planned_dev: PlannedProject) -> None:
    environment = router_model(planned_dev)["inputs"]["primaryContainer"]["environment"]
    assert environment == {"LOG_LEVEL": "info", "ROUTING_API_TOKEN": PLAINTEXT_SECRET}


def test_plan_json_holds_no_secret(planned_dev: PlannedProject) -> None:
    text = planned_dev.plan_path.read_text(encoding="utf-8")
    for secret in planned_dev.ciphertexts:
        assert secret not in text
    written = json.loads(text)
    (model,) = [r for r in written["resources"] if r["type"] == MODEL and r["model"] == "ticket-router"]
    # The stack file's `secure:` value is redacted with a fingerprint of that value, so `mlops diff`
    # still sees a rotation; the value itself never appears.
    fingerprint = hashlib.sha256(PLAINTEXT_SECRET.encode()).hexdigest()[:12]
    assert model["inputs"]["primaryContainer"]["environment"] == {"LOG_LEVEL": "info", "ROUTING_API_TOKEN": f"[REDACTED:{fingerprint}]"}


def test_a_ciphertext_is_fingerprinted_and_a_plaintext_is_not() -> None:
    redactor = Redactor(fingerprinted=frozenset({"v1:abc:def"}), secret_environment={"m": frozenset({"A", "B"})}).with_values(
        ["v1:abc:def", "plain-secret"]
    )
    model = {"type": "aws:sagemaker/model:Model", "model": "m", "inputs": {"primaryContainer": {"environment": {
        "A": "v1:abc:def", "B": "plain-secret", "C": "visible"}}}}
    environment = redactor.redact(model)["inputs"]["primaryContainer"]["environment"]
    assert environment == {"A": f"[REDACTED:{hashlib.sha256(b'v1:abc:def').hexdigest()[:12]}]", "B": REDACTED, "C": "visible"}
    assert redactor.redact({"note": "token plain-secret and v1:abc:def"}) == {"note": f"token {REDACTED} and {REDACTED}"}


def test_no_report_format_holds_a_secret(planned_dev: PlannedProject, tmp_path: Path) -> None:
    gate = run_gate(planned_dev.root, planned_dev.plan).to_dict()
    # A policy message that quotes the secret (as a careless policy might) must still not leak it.
    gate["violations"].append(
        {
            "policy_id": "required-tags", "title": "t", "severity": "low", "enforcement": "advisory",
            "resource": router_model(planned_dev)["urn"], "model": "ticket-router",
            "message": f"env ROUTING_API_TOKEN={PLAINTEXT_SECRET} looks odd", "controls": [], "blocking": False, "waiver": None,
        }
    )
    report = build_report(
        gate, plan=planned_dev.plan, plan_file=planned_dev.plan_file, project_dir=planned_dev.root, reports_dir=planned_dev.reports,
        changes=None,
    )
    written = write_reports(render_reports(report), tmp_path / "dev")
    assert sorted(written) == ["html", "json", "junit", "markdown", "sarif"]
    for path in written.values():
        text = path.read_text(encoding="utf-8")
        for secret in planned_dev.ciphertexts:
            assert secret not in text, path.name
    assert f"env ROUTING_API_TOKEN={REDACTED} looks odd" in json.dumps(report)


def test_a_secret_copied_into_a_spec_is_scrubbed_from_the_plan(tmp_path: Path) -> None:
    from mlops.plan import build_plan
    from mlops.reports.redact import PlanFile

    root = copy_project(tmp_path / "project")
    stack_file = root / "Pulumi.dev.yaml"
    (ciphertext,) = secret_config_values(load_stack_settings(root, "dev").config)
    stack_file.write_text(stack_file.read_text().replace(ciphertext, PLAINTEXT_SECRET))
    spec = root / "models" / "ticket-router.yaml"
    spec.write_text(spec.read_text().replace("LOG_LEVEL: info", f"LOG_LEVEL: info\n    DEBUG_NOTE: using {PLAINTEXT_SECRET}"))
    out = PlanFile.of(build_plan(root, "dev")).write(root / "reports")
    text = out.read_text()
    assert PLAINTEXT_SECRET not in text
    assert f"using {REDACTED}" in text


runner = CliRunner()


def test_a_missing_secret_config_key_is_invalid_input(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    stack_file = root / "Pulumi.dev.yaml"
    stack_file.write_text("".join(l for l in stack_file.read_text().splitlines(True) if "ticketRouterApiToken" not in l and "secure:" not in l))
    result = runner.invoke(app, ["plan", "--stack", "dev", "-C", str(root)])
    assert result.exit_code == 2, result.output
    assert result.output.splitlines()[0] == f"error: {stack_file}: secrets the model specs reference are not set as secrets"
    assert (
        "serving.environment.ROUTING_API_TOKEN: secret config key "
        "'mlops-platform:ticketRouterApiToken' is not set in Pulumi.dev.yaml; set it with "
        "`pulumi config set --secret ticketRouterApiToken <value> --stack dev`"
    ) in " ".join(result.output.split())


def test_a_plain_config_value_cannot_be_a_secret(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    stack_file = root / "Pulumi.dev.yaml"
    lines = [l for l in stack_file.read_text().splitlines(True) if "secure:" not in l]
    text = "".join(lines).replace("mlops-platform:ticketRouterApiToken:\n", "mlops-platform:ticketRouterApiToken: plain-text\n")
    stack_file.write_text(text)
    result = runner.invoke(app, ["plan", "--stack", "dev", "-C", str(root)])
    assert result.exit_code == 2, result.output
    assert (
        "serving.environment.ROUTING_API_TOKEN: secret config key 'mlops-platform:ticketRouterApiToken' holds a plain value, "
        "readable in Pulumi.dev.yaml; set it with `pulumi config set --secret ticketRouterApiToken <value> --stack dev`"
    ) in " ".join(result.output.split())


def test_a_stack_setting_cannot_be_secret(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    stack_file = root / "Pulumi.dev.yaml"
    stack_file.write_text(stack_file.read_text().replace("mlops:team: ml-platform", "mlops:team:\n    secure: v1:aaaa:bbbb"))
    result = runner.invoke(app, ["validate", "--stack", "dev", "-C", str(root)])
    assert result.exit_code == 2
    assert (
        f"{stack_file}:7: mlops:team: stack settings are read in plain text and must not be secrets; keep secrets in "
        "keys of their own and reference them from a model's serving.environment"
    ) in " ".join(result.output.split())


@pytest.mark.parametrize(
    ("value", "detail"),
    [
        (
            "{secret: mlops:token}",
            "secret 'mlops:token' is in the reserved 'mlops:' namespace; use the project's namespace "
            "(write the key without a namespace) or your own",
        ),
        ("{secret: token, default: x}", "expected {secret: <pulumi config key>}; found a mapping with keys ['default', 'secret']"),
        ("42", "expected text (quote numbers and booleans) or {secret: <pulumi config key>}; found 42"),
    ],
)
def test_secret_refs_are_checked_with_file_and_line(tmp_path: Path, value: str, detail: str) -> None:
    from mlops.errors import InputError
    from mlops.specs.loader import load_spec

    source = Path(__file__).resolve().parents[2] / "models" / "ticket-router.yaml"
    spec = tmp_path / "ticket-router.yaml"
    text = source.read_text()
    spec.write_text(text.replace("ROUTING_API_TOKEN: {secret: ticketRouterApiToken}", f"ROUTING_API_TOKEN: {value}"))
    line = next(i for i, l in enumerate(spec.read_text().splitlines(), 1) if "ROUTING_API_TOKEN" in l)
    with pytest.raises(InputError) as e:
        load_spec(spec, "dev")
    assert e.value.problems == [f"{spec}:{line}: serving.environment.ROUTING_API_TOKEN: {detail}"]


def test_secret_refs_are_checked_against_the_stack_file_without_running_the_program(project: Path) -> None:
    from mlops.specs.loader import load_specs, secret_ref_problems

    specs = load_specs(project / "models", "dev", "acme")
    config = load_stack_settings(project, "dev").config
    assert secret_ref_problems(specs, config, project="mlops-platform", stack="dev", environment="dev") == []
    spec = project / "models" / "ticket-router.yaml"
    line = next(i for i, l in enumerate(spec.read_text().splitlines(), 1) if "ROUTING_API_TOKEN" in l)
    fix = "set it with `pulumi config set --secret ticketRouterApiToken <value> --stack dev`"
    del config["mlops-platform:ticketRouterApiToken"]
    assert secret_ref_problems(specs, config, project="mlops-platform", stack="dev", environment="dev") == [
        f"{spec}:{line}: serving.environment.ROUTING_API_TOKEN: secret config key 'mlops-platform:ticketRouterApiToken' "
        f"is not set in Pulumi.dev.yaml; {fix}"
    ]
    config["mlops-platform:ticketRouterApiToken"] = "plain"
    (problem,) = secret_ref_problems(specs, config, project="mlops-platform", stack="dev", environment="dev")
    assert "'mlops-platform:ticketRouterApiToken' holds a plain value, readable in Pulumi.dev.yaml;" in problem


def test_mlops_plan_writes_no_secret_anywhere(tmp_path: Path) -> None:
    """End to end through the command: every file `mlops plan` writes under reports/ is free of secrets."""
    root = copy_project(tmp_path / "project")
    stack_file = root / "Pulumi.dev.yaml"
    (ciphertext,) = secret_config_values(load_stack_settings(root, "dev").config)
    stack_file.write_text(stack_file.read_text().replace(ciphertext, PLAINTEXT_SECRET))
    result = runner.invoke(app, ["plan", "--stack", "dev", "-C", str(root)])
    assert result.exit_code == 0, result.output
    written = [p for p in (root / "reports").rglob("*") if p.is_file()]
    assert {"plan.json", "policy-report.json"} <= {p.name for p in written}
    for path in written:
        assert PLAINTEXT_SECRET not in path.read_text(encoding="utf-8"), path
    assert PLAINTEXT_SECRET not in result.output
