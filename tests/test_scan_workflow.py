"""The scheduled scan workflow: valid for GitHub, and doing what the scan promises.

The file is validated against GitHub's workflow schema (check-jsonschema's vendored copy, offline),
then its scripts are run for real where they run without GitHub: stack discovery, the stack's
region, the scan step's exit code (with a stand-in `mlops`), the job summary and the verdict.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from mlops.reports import REPORT_FILES

from .conftest import REPO
from .workflow_support import EXPRESSION, Workflow, run_script, validate

WORKFLOW = REPO / ".github" / "workflows" / "mlops-scan.yml"
_workflow = Workflow(WORKFLOW)
load, steps, step, uses = _workflow.load, _workflow.steps, _workflow.step, _workflow.uses
SCAN_DIR = "reports/${{ matrix.stack }}/scan"


def outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


def cloud_stacks() -> list[str]:
    """The repository's stacks but those on a local emulator (a provider with aws:endpoints)."""
    yaml = YAML(typ="safe")
    return sorted(
        p.name.removeprefix("Pulumi.").removesuffix(".yaml")
        for p in REPO.glob("Pulumi.*.yaml")
        if "aws:endpoints" not in yaml.load(p.read_text())["config"]
    )


def test_workflow_is_valid_for_github() -> None:
    result = validate(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok -- validation done" in result.stdout


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("  schedule:\n", "  schedules:\n"),
        ("      id-token: write\n", "      id_token: write\n"),
    ],
    ids=["unknown-event", "unknown-permission"],
)
def test_validator_rejects_a_broken_workflow(tmp_path: Path, old: str, new: str) -> None:
    text = WORKFLOW.read_text()
    assert text.count(old) == 1
    broken = tmp_path / "broken.yml"
    broken.write_text(text.replace(old, new))
    result = validate(broken)
    assert result.returncode == 1
    assert "Schema validation errors were encountered." in result.stdout


def test_runs_daily_and_by_hand_for_every_stack_or_one() -> None:
    triggers = load()["on"]
    assert list(triggers) == ["schedule", "workflow_dispatch"]
    assert triggers["schedule"] == [{"cron": "17 5 * * *"}]  # daily at 05:17 UTC
    stack = triggers["workflow_dispatch"]["inputs"]["stack"]
    assert stack["required"] is False
    assert stack["type"] == "string"
    assert stack["default"] == ""


def test_permissions_are_minimal_and_credentials_short_lived() -> None:
    workflow = load()
    assert workflow["permissions"] == {"contents": "read"}
    assert "permissions" not in workflow["jobs"]["stacks"]
    assert workflow["jobs"]["scan"]["permissions"] == {
        "contents": "read", "id-token": "write", "security-events": "write", "actions": "read",
    }
    text = WORKFLOW.read_text()
    assert "write-all" not in text and "read-all" not in text
    # OIDC only: no secret is read, and the AWS action gets a role, never keys.
    assert "secrets." not in text
    aws = uses("scan", "aws-actions/configure-aws-credentials")["with"]
    assert aws["role-to-assume"] == "${{ vars.MLOPS_SCAN_ROLE_ARN }}"
    assert aws["aws-region"] == "${{ steps.region.outputs.region }}"
    assert not {"aws-access-key-id", "aws-secret-access-key", "aws-session-token"} & set(aws)


def test_actions_are_pinned_to_a_major_version() -> None:
    used = [s["uses"] for job in load()["jobs"].values() for s in job["steps"] if "uses" in s]
    assert used and all(re.fullmatch(r"[\w.-]+/[\w./-]+@v\d+", u) for u in used), used


def test_every_run_script_is_valid_bash() -> None:
    for name, job in load()["jobs"].items():
        for s in job["steps"]:
            if "run" in s:
                checked = subprocess.run(["bash", "-n"], input=EXPRESSION.sub("X", s["run"]), capture_output=True, text=True, check=False)
                assert checked.returncode == 0, (name, s.get("name"), checked.stderr)


def test_each_stack_is_one_job_in_its_own_environment() -> None:
    job = load()["jobs"]["scan"]
    assert job["needs"] == "stacks"
    assert job["strategy"] == {"fail-fast": False, "matrix": {"stack": "${{ fromJSON(needs.stacks.outputs.stacks) }}"}}
    assert job["environment"] == "${{ matrix.stack }}"
    assert job["concurrency"] == {"group": "mlops-scan-${{ matrix.stack }}", "cancel-in-progress": False}
    assert job["env"]["STACK"] == "${{ matrix.stack }}"
    assert load()["jobs"]["stacks"]["outputs"]["stacks"] == "${{ steps.find.outputs.stacks }}"


def test_the_local_stack_is_an_emulator_and_not_scanned() -> None:
    local = YAML(typ="safe").load((REPO / "Pulumi.local.yaml").read_text())["config"]
    [endpoints] = local["aws:endpoints"]
    assert set(endpoints.values()) == {"http://127.0.0.1:5000"}  # moto_server, no AWS account
    assert local["aws:skipCredentialsValidation"] is True
    assert cloud_stacks() == ["dev", "prod", "staging"]


def discover(tmp_path: Path, only: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    for path in REPO.glob("Pulumi*.yaml"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    output = tmp_path / "github-output"
    script = step("stacks", "One stack per Pulumi.<stack>.yaml in an AWS account")
    assert script["env"]["ONLY"] == "${{ inputs.stack }}"
    return run_script(script["run"], tmp_path, {"GITHUB_OUTPUT": str(output), "ONLY": only}), output


def test_discovery_finds_every_stack_in_an_aws_account(tmp_path: Path) -> None:
    result, output = discover(tmp_path, "")
    assert result.returncode == 0, result.stderr
    assert json.loads(outputs(output)["stacks"]) == cloud_stacks() == ["dev", "prod", "staging"]


def test_discovery_scans_the_one_stack_asked_for(tmp_path: Path) -> None:
    result, output = discover(tmp_path, "prod")
    assert result.returncode == 0, result.stderr
    assert outputs(output) == {"stacks": '["prod"]'}


@pytest.mark.parametrize("only", ["local", "qa", "prod staging", "de"])
def test_discovery_refuses_a_stack_it_cannot_scan(tmp_path: Path, only: str) -> None:
    result, output = discover(tmp_path, only)
    assert result.returncode == 1
    assert result.stdout == f"::error::stack '{only}' cannot be scanned; stacks in an AWS account: dev, prod, staging\n"
    assert not output.exists()


def test_discovery_fails_without_a_stack_in_an_aws_account(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.local.yaml").write_bytes((REPO / "Pulumi.local.yaml").read_bytes())
    output = tmp_path / "github-output"
    script = step("stacks", "One stack per Pulumi.<stack>.yaml in an AWS account")["run"]
    result = run_script(script, tmp_path, {"GITHUB_OUTPUT": str(output), "ONLY": ""})
    assert result.returncode == 1
    assert "nothing to scan" in result.stdout


def test_steps_run_in_order() -> None:
    names = [s.get("name") or s["uses"].split("@")[0] for s in steps("scan")]
    assert names == [
        "actions/checkout", "actions/setup-python", "Install", "Is the scan role configured?", "Region of the stack",
        "AWS credentials through OIDC", "mlops scan", "Job summary", "Upload SARIF to code scanning", "Upload reports",
        "Fail on a failed scan",
    ]
    assert uses("scan", "actions/setup-python")["with"]["python-version"] == "3.11"
    assert step("scan", "Install")["run"] == "bash .ci/setup"


@pytest.mark.parametrize(("role", "code"), [("arn:aws:iam::123456789012:role/mlops-scan", 0), ("", 1)])
def test_a_stack_without_a_scan_role_fails_with_the_fix(tmp_path: Path, role: str, code: int) -> None:
    check = step("scan", "Is the scan role configured?")
    assert check["env"]["ROLE_ARN"] == "${{ vars.MLOPS_SCAN_ROLE_ARN }}"
    result = run_script(check["run"], tmp_path, {"STACK": "staging", "ROLE_ARN": role})
    assert result.returncode == code
    if code:
        assert result.stdout.startswith("::error::environment 'staging' has no MLOPS_SCAN_ROLE_ARN variable")


def region_of(project: Path, stack: str, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], Path]:
    output = tmp_path / "github-output"
    output.unlink(missing_ok=True)
    script = step("scan", "Region of the stack")["run"]
    return run_script(script, project, {"GITHUB_OUTPUT": str(output), "STACK": stack}), output


def test_the_region_is_read_from_the_stack_file(tmp_path: Path) -> None:
    assert ".venv/bin/python" in step("scan", "Region of the stack")["run"]
    result, output = region_of(REPO, "dev", tmp_path)
    assert result.returncode == 0, result.stderr
    assert outputs(output) == {"region": "eu-west-1"}

    # Another region in the file is the region used: nothing is taken from elsewhere.
    project = tmp_path / "project"
    project.mkdir()
    (project / ".venv").symlink_to(REPO / ".venv")
    text = (REPO / "Pulumi.staging.yaml").read_text()
    assert text.count("  aws:region: eu-west-1\n") == 1
    (project / "Pulumi.staging.yaml").write_text(text.replace("  aws:region: eu-west-1\n", "  aws:region: us-east-2\n"))
    result, output = region_of(project, "staging", tmp_path)
    assert result.returncode == 0, result.stderr
    assert outputs(output) == {"region": "us-east-2"}


def test_a_stack_file_without_a_region_stops_the_job(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / ".venv").symlink_to(REPO / ".venv")
    text = (REPO / "Pulumi.dev.yaml").read_text()
    (project / "Pulumi.dev.yaml").write_text(text.replace("  aws:region: eu-west-1\n", ""))
    result, output = region_of(project, "dev", tmp_path)
    assert result.returncode == 1
    assert "::error::Pulumi.dev.yaml: invalid stack config" in result.stderr
    assert "aws:region: expected a valid string; found None" in result.stderr
    assert not output.exists()


@pytest.mark.parametrize("code", [0, 1, 2, 3, 4])
def test_the_scan_step_keeps_the_exit_code_and_lets_the_job_go_on(tmp_path: Path, code: int) -> None:
    scan = step("scan", "mlops scan")
    assert scan["id"] == "scan"
    assert '.venv/bin/mlops scan --stack "$STACK"' in scan["run"]
    # A stand-in for `mlops` that records its arguments and exits as the real one would.
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    fake = tmp_path / ".venv" / "bin" / "mlops"
    fake.write_text(f'#!/usr/bin/env bash\necho "$@" > args\nexit {code}\n')
    fake.chmod(0o755)
    output = tmp_path / "github-output"
    result = run_script(scan["run"], tmp_path, {"GITHUB_OUTPUT": str(output), "STACK": "prod"})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "args").read_text() == "scan --stack prod\n"
    assert outputs(output) == {"exit-code": str(code)}


def test_sarif_and_reports_are_where_mlops_scan_writes_them() -> None:
    sarif = step("scan", "Upload SARIF to code scanning")
    assert sarif["uses"].startswith("github/codeql-action/upload-sarif@")
    assert sarif["with"] == {"sarif_file": f"{SCAN_DIR}/{REPORT_FILES['sarif']}", "category": "mlops-scan-${{ matrix.stack }}"}
    assert sarif["with"]["sarif_file"] == "reports/${{ matrix.stack }}/scan/policy-report.sarif"
    # Uploaded whatever the scan decided, and only when it wrote the file.
    assert sarif["if"] == "always() && hashFiles(format('reports/{0}/scan/policy-report.sarif', matrix.stack)) != ''"

    upload = step("scan", "Upload reports")
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert upload["if"] == "always()"
    assert upload["with"]["name"] == "mlops-scan-${{ matrix.stack }}"
    assert upload["with"]["path"].splitlines() == [f"{SCAN_DIR}/", "reports/audit-ledger.jsonl"]
    assert step("scan", "Job summary")["if"] == "always()"
    assert f"reports/$STACK/scan/{REPORT_FILES['markdown']}" in step("scan", "Job summary")["run"]


def test_the_markdown_report_is_the_job_summary(tmp_path: Path) -> None:
    summary = step("scan", "Job summary")["run"]
    out = tmp_path / "summary.md"
    result = run_script(summary, tmp_path, {"GITHUB_STEP_SUMMARY": str(out), "STACK": "dev"})
    assert result.returncode == 0, result.stderr
    assert out.read_text() == "mlops scan --stack dev wrote no Markdown report: see the job log.\n"

    out.unlink()
    report = tmp_path / "reports" / "dev" / "scan" / "policy-report.md"
    report.parent.mkdir(parents=True)
    report.write_text("Policy gate: FAIL\n\n| policy | resource |\n")
    result = run_script(summary, tmp_path, {"GITHUB_STEP_SUMMARY": str(out), "STACK": "dev"})
    assert result.returncode == 0, result.stderr
    assert out.read_text() == report.read_text()


VERDICTS = {
    1: "drift: a mandatory policy violation, or a planned resource missing from the account",
    2: "bad input: a model spec, the stack file or the governance files are invalid",
    3: "AWS could not be reached, or the gate could not decide: nothing was verified",
    4: "the reports could not be written",
}


@pytest.mark.parametrize("code", sorted(VERDICTS))
def test_the_job_fails_with_the_reason_of_a_nonzero_exit(tmp_path: Path, code: int) -> None:
    verdict = step("scan", "Fail on a failed scan")
    result = run_script(verdict["run"], tmp_path, {"CODE": str(code), "STACK": "prod"})
    assert result.returncode == 1
    assert result.stdout == f"::error::mlops scan --stack prod exited with {code}: {VERDICTS[code]}\n"


def test_the_job_passes_when_the_scan_passed(tmp_path: Path) -> None:
    verdict = step("scan", "Fail on a failed scan")
    assert verdict["env"]["CODE"] == "${{ steps.scan.outputs.exit-code }}"
    # Decided even when an upload before it failed, but not when the scan never ran.
    assert verdict["if"] == "always() && steps.scan.outcome == 'success'"
    result = run_script(verdict["run"], tmp_path, {"CODE": "0", "STACK": "prod"})
    assert result.returncode == 0, result.stdout
    assert result.stdout == "mlops scan --stack prod: passed\n"


@pytest.mark.parametrize("code", ["127", ""])
def test_an_unexpected_exit_fails_the_job_too(tmp_path: Path, code: str) -> None:
    result = run_script(step("scan", "Fail on a failed scan")["run"], tmp_path, {"CODE": code, "STACK": "dev"})
    assert result.returncode == 1
    assert result.stdout == f"::error::mlops scan --stack dev exited with {code or 'no code'}: unexpected exit code\n"
