"""The `mlops` command line as a user runs it: exit codes and the lines they read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from mlops.cli import app

from .conftest import REPO, VALID_SPEC

runner = CliRunner()


def mlops(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the real command in a fresh interpreter, as a shell would."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "infra")}
    return subprocess.run([sys.executable, "-m", "mlops", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_plan_writes_the_graph_and_summarises_it(project: Path) -> None:
    result = mlops("plan", "--stack", "dev", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Stack dev (dev, eu-west-1)"
    rows = [[cell.strip() for cell in line.split("│")[1:4]] for line in lines if line.startswith("│")]
    assert ["fraud-detector", "aws-native:sagemaker:ModelBiasJobDefinition", "1"] in rows
    assert ["", "aws-native:sagemaker:ModelQualityJobDefinition", "1"] in rows
    assert ["", "aws:sagemaker/endpoint:Endpoint", "1"] in rows
    assert f"121 resources across 3 models; plan written to {project / 'reports' / 'dev' / 'plan.json'}" in lines
    dev = project / "reports" / "dev"
    assert f"policy report written to {dev / 'policy-report.json'}" in lines
    for kind, name in (("html", "policy-report.html"), ("junit", "policy-report.junit.xml"), ("markdown", "policy-report.md"), ("sarif", "policy-report.sarif")):
        assert f"  {kind}: {dev / name}" in lines
    assert lines[-1].startswith("audit ledger: entry 1 (") and lines[-1].endswith(") appended")
    plan = json.loads((project / "reports" / "dev" / "plan.json").read_text())
    assert (plan["stack"], plan["environment"]) == ("dev", "dev")
    assert {"urn", "type", "name", "parent", "dependencies", "inputs"} <= set(plan["resources"][0])


def test_plan_is_byte_identical_across_runs(project: Path, tmp_path: Path) -> None:
    first = runner.invoke(app, ["plan", "--stack", "prod", "-C", str(project), "--reports-dir", str(tmp_path / "a")])
    second = runner.invoke(app, ["plan", "--stack", "prod", "-C", str(project), "--reports-dir", str(tmp_path / "b")])
    assert (first.exit_code, second.exit_code) == (0, 0)
    assert (tmp_path / "a" / "prod" / "plan.json").read_bytes() == (tmp_path / "b" / "prod" / "plan.json").read_bytes()


def test_plan_with_a_bad_spec_exits_2_without_traceback(project: Path) -> None:
    spec = project / "models" / "fraud-detector.yaml"
    spec.write_text(spec.read_text().replace("instance_type: ml.c5.xlarge\n  initial_instance_count: 1", "instance_type: ml.c5.xlarge\n  initial_instance_count: -3"))
    result = mlops("plan", "--stack", "dev", cwd=project)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"error: {project / 'models'}: 1 problem(s) in model specs for environment 'dev'",
        f"  {spec}:72: serving.initial_instance_count: expected greater than or equal to 1; found -3",
    ]
    assert not (project / "reports" / "dev" / "plan.json").exists()


def test_plan_for_an_unknown_stack_exits_2(project: Path) -> None:
    result = runner.invoke(app, ["plan", "--stack", "qa", "-C", str(project)])
    assert result.exit_code == 2
    assert f"error: {project / 'Pulumi.qa.yaml'}: stack 'qa' has no config file; available stacks: dev, local, prod, staging" in result.output


def test_plan_with_an_unknown_framework_version_exits_2(empty_project: Path) -> None:
    (empty_project / "models" / "m.yaml").write_text(VALID_SPEC.format(name="m").replace('"1.7-1"', '"0.1"'))
    result = runner.invoke(app, ["plan", "--stack", "dev", "-C", str(empty_project)])
    assert result.exit_code == 2
    assert "error: unknown framework images" in result.output
    assert f"{empty_project / 'models' / 'm.yaml'}: training.framework_version: no SageMaker image in eu-west-1" in result.output


def test_validate_reports_every_stack(project: Path) -> None:
    result = runner.invoke(app, ["validate", "-C", str(project)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "✓ stack dev (dev): 3 model spec(s) valid",
        "✓ stack local (dev): 3 model spec(s) valid",
        "✓ stack prod (prod): 3 model spec(s) valid",
        "✓ stack staging (staging): 3 model spec(s) valid",
    ]


def test_validate_fails_with_2_and_names_the_field(project: Path) -> None:
    spec = project / "models" / "ticket-router.yaml"
    spec.write_text(spec.read_text().replace("risk_tier: low", "risk_tier: tiny"))
    result = runner.invoke(app, ["validate", "-C", str(project), "--stack", "dev"])
    assert result.exit_code == 2
    assert f"{spec}:9: metadata.risk_tier: expected 'low', 'medium' or 'high'; found 'tiny'" in result.output


def test_schema_is_json_schema_that_accepts_the_examples(tmp_path: Path) -> None:
    import jsonschema
    import yaml

    out = tmp_path / "spec.schema.json"
    result = runner.invoke(app, ["schema", "--output", str(out)])
    assert result.exit_code == 0
    schema = json.loads(out.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    for path in (REPO / "models").glob("*.yaml"):
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)
    bad = yaml.safe_load((REPO / "models" / "fraud-detector.yaml").read_text()) | {"extra": 1}
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(bad))


def test_a_secret_the_specs_reference_must_be_set_as_a_secret(project: Path) -> None:
    stack_file = project / "Pulumi.staging.yaml"
    lines = stack_file.read_text().splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("  mlops-platform:ticketRouterApiToken:"))
    stack_file.write_text("".join([*lines[:at], "  mlops-platform:ticketRouterApiToken: plain-text-token\n", *lines[at + 2 :]]))
    spec = project / "models" / "ticket-router.yaml"
    line = spec.read_text().splitlines().index("    ROUTING_API_TOKEN: {secret: ticketRouterApiToken}") + 1
    problem = (
        f"  {spec}:{line}: serving.environment.ROUTING_API_TOKEN: secret config key 'mlops-platform:ticketRouterApiToken' "
        "holds a plain value, readable in Pulumi.staging.yaml; set it with "
        "`pulumi config set --secret ticketRouterApiToken <value> --stack staging`"
    )
    validated = runner.invoke(app, ["validate", "-C", str(project)])
    assert validated.exit_code == 2
    assert problem in validated.output.splitlines()
    planned = runner.invoke(app, ["plan", "--stack", "staging", "-C", str(project)])
    assert planned.exit_code == 2
    assert planned.output.splitlines()[:2] == [
        f"error: {stack_file}: secrets the model specs reference are not set as secrets", problem]
