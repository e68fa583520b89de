"""`mlops diff` end to end: a real project, a real base (plan.json or git ref), the gate on the changes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from typer.testing import CliRunner

from mlops.cli import app
from mlops.replacements import RULES

from .conftest import VALID_SPEC

runner = CliRunner()

GROUP = "fraud-detector-features-card-transactions"


def diff(project: Path, stack: str, base: str, *extra: str):
    return runner.invoke(app, ["diff", "--stack", stack, "--base", base, "-C", str(project), *extra])


def change_spec(project: Path, model: str, old: str, new: str) -> None:
    spec = project / "models" / f"{model}.yaml"
    text = spec.read_text()
    assert old in text
    spec.write_text(text.replace(old, new, 1))


def git(project: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci", *args],
        cwd=project, capture_output=True, text=True, check=True,
    )
    return done.stdout


def with_one_model(project: Path) -> Path:
    """A project with a single small model: the cheapest plan that still runs the whole program."""
    (project / "models" / "scorer.yaml").write_text(VALID_SPEC.format(name="scorer"))
    return project


def lines(output: str) -> list[str]:
    return [" ".join(line.split()) for line in output.splitlines()]


def test_record_identifier_change_fails_prod_until_a_waiver_approves_the_loss(project: Path, tmp_path: Path) -> None:
    assert runner.invoke(app, ["plan", "--stack", "prod", "-C", str(project)]).exit_code in (0, 1)
    base = tmp_path / "base-plan.json"
    shutil.copy(project / "reports" / "prod" / "plan.json", base)
    # Every type the example program declares has a replacement rule, so nothing is classified by the fallback.
    declared = {r["type"] for r in json.loads(base.read_text())["resources"] if r["custom"]}
    assert sorted(declared - set(RULES)) == []

    change_spec(project, "fraud-detector", "record_identifier: transaction_id", "record_identifier: card_hash")
    result = diff(project, "prod", str(base))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    out = lines(result.output)
    # The Clarify headers leave the record identifier out: the bias and attribution configurations and
    # alarms follow the new identifier (one attribution alarm deleted, one added, three configurations updated).
    assert any(line.startswith("│ replace │ sagemaker:FeatureGroup │ fraud-detector-features-card-transactions │ recordIdentifier")
               and line.endswith("│ DATA LOSS │") for line in out)
    total = len(json.loads(base.read_text())["resources"])
    assert f"1 to add, 3 to update, 1 to replace, 1 to delete, {total - 5} unchanged; 1 lose data" in out
    assert any(line.startswith("Policy gate: FAIL — prod rules") for line in out)
    assert (
        f"high mandatory data-loss-replacement: FeatureGroup {GROUP} would be replaced and lose data: its online store "
        "records are deleted with the group; its offline store data stays in S3 but is detached from the new, empty "
        "group (re-ingest or backfill it). Migrate or back up the data before merging, or approve the loss with a "
        "waiver for data-loss-replacement in policies/waivers.yaml"
    ) in out

    changes = json.loads((project / "reports" / "prod" / "diff.json").read_text())
    assert changes["base"] == str(base)
    [group] = [c for c in changes["resources"] if c["type"] == "aws:sagemaker/featureGroup:FeatureGroup"]
    assert (group["name"], group["action"], group["changed_inputs"], group["data_loss"]) == (
        GROUP, "replace", ["recordIdentifierFeatureName"], True)
    markdown = (project / "reports" / "prod" / "diff.md").read_text()
    assert f"| **replace** ⚠️ data loss | `{GROUP}` | `aws:sagemaker/featureGroup:FeatureGroup` |" in markdown
    report = json.loads((project / "reports" / "prod" / "policy-report.json").read_text())
    [violation] = [v for v in report["violations"] if v["policy_id"] == "data-loss-replacement"]
    assert (violation["model"], violation["enforcement"], violation["waiver"]) == ("fraud-detector", "mandatory", None)

    (project / "policies" / "waivers.yaml").write_text(
        "waivers:\n"
        "  - policy: data-loss-replacement\n"
        "    model: fraud-detector\n"
        "    environments: [prod]\n"
        "    reason: Card transactions are re-ingested from the ledger after the key change.\n"
        "    approver: head-of-data@example.com\n"
        "    expires: 2999-12-31\n"
    )
    waived = diff(project, "prod", str(base), "--json")
    assert waived.exit_code == 0, waived.output
    assert json.loads(waived.stdout) == changes
    report = json.loads((project / "reports" / "prod" / "policy-report.json").read_text())
    [violation] = [v for v in report["violations"] if v["policy_id"] == "data-loss-replacement"]
    assert violation["waiver"]["approver"] == "head-of-data@example.com"


def test_git_ref_base_is_planned_with_its_own_code_and_the_worktree_removed(project: Path) -> None:
    git(project, "init", "--quiet")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "base")
    change_spec(project, "fraud-detector", "event_time: event_time", "event_time: card_hash")
    result = diff(project, "dev", "HEAD")
    # dev only advises on data loss: the change is reported, the gate passes.
    assert result.exit_code == 0, result.output
    out = lines(result.output)
    assert any(line.startswith("base HEAD is commit ") for line in out)
    assert any(line.startswith("│ replace │ sagemaker:FeatureGroup │ fraud-detector-features-card-transactions │ eventTimeFeatureName")
               and line.endswith("│ DATA LOSS │") for line in out)
    assert any("advisory data-loss-replacement: FeatureGroup fraud-detector-features-card-transactions" in line for line in out)
    changes = json.loads((project / "reports" / "dev" / "diff.json").read_text())
    assert changes["base"] == "HEAD"
    total = len(json.loads((project / "reports" / "dev" / "plan.json").read_text())["resources"])
    # card_hash becomes the event time: the Clarify headers and attribution alarms follow (see above).
    summary = changes["summary"]
    assert (summary["replace"], summary["data_loss"]) == (1, 1)
    assert summary["add"] + summary["update"] + summary["replace"] + summary["unchanged"] == total
    assert git(project, "worktree", "list").count("\n") == 1


def test_base_without_the_stack_file_adds_every_resource(empty_project: Path) -> None:
    with_one_model(empty_project)
    git(empty_project, "init", "--quiet")
    (empty_project / "Pulumi.staging.yaml").rename(empty_project / "staging.yaml.off")
    git(empty_project, "add", "--all")
    git(empty_project, "commit", "--quiet", "-m", "before staging")
    (empty_project / "staging.yaml.off").rename(empty_project / "Pulumi.staging.yaml")
    result = diff(empty_project, "staging", "HEAD")
    assert result.exit_code == 0, result.output
    changes = json.loads((empty_project / "reports" / "staging" / "diff.json").read_text())
    assert {c["action"] for c in changes["resources"]} == {"add"}
    assert changes["summary"]["add"] == len(changes["resources"]) > 0
    assert any("has no Pulumi.staging.yaml: every resource of the stack is new" in line for line in lines(result.output))


def test_base_commit_whose_plan_fails_is_an_error_naming_the_ref(empty_project: Path) -> None:
    with_one_model(empty_project)
    git(empty_project, "init", "--quiet")
    (empty_project / "Pulumi.yaml").write_text("name: ''\n")
    git(empty_project, "add", "--all")
    git(empty_project, "commit", "--quiet", "-m", "broken")
    shutil.copy(Path(__file__).resolve().parent.parent / "Pulumi.yaml", empty_project / "Pulumi.yaml")
    result = diff(empty_project, "dev", "HEAD")
    assert result.exit_code == 4
    assert "error: --base HEAD: `mlops plan --stack dev` failed on the base commit (exit 2); fix the base or pass its plan.json instead" in lines(result.output)
    assert "name: the project needs a name" in result.output


def test_bad_bases_are_user_errors_before_anything_is_planned(empty_project: Path, tmp_path: Path) -> None:
    with_one_model(empty_project)
    missing = diff(empty_project, "dev", str(tmp_path / "nope.json"))
    assert missing.exit_code == 2
    assert f"error: --base {tmp_path / 'nope.json'}: no such file; pass a plan.json written by `mlops plan`, or a git ref" in lines(missing.output)

    other_stack = tmp_path / "plan.json"
    other_stack.write_text(json.dumps({"formatVersion": 1, "stack": "prod", "resources": []}))
    wrong = diff(empty_project, "dev", str(other_stack))
    assert wrong.exit_code == 2
    assert f"error: {other_stack}: stack: the base plan is for stack 'prod', not 'dev'; pass the base's reports/dev/plan.json" in lines(wrong.output)

    not_a_repo = diff(empty_project, "dev", "origin/main")
    assert not_a_repo.exit_code == 2
    assert "is not in a git repository; pass the base's plan.json instead of a git ref" in not_a_repo.output

    git(empty_project, "init", "--quiet")
    git(empty_project, "commit", "--quiet", "--allow-empty", "-m", "empty")
    unknown = diff(empty_project, "dev", "origin/main")
    assert unknown.exit_code == 2
    assert "error: --base origin/main: no such commit, branch or tag in" in unknown.output
    assert "actions/checkout with fetch-depth: 0" in unknown.output
    assert not (empty_project / "reports" / "dev" / "plan.json").exists()


def test_a_git_ref_base_reuses_the_capture_cache_where_its_inputs_match(project: Path) -> None:
    git(project, "init", "--quiet")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "base")
    planned = runner.invoke(app, ["plan", "--stack", "dev", "-C", str(project)])
    assert planned.exit_code == 0, planned.output
    cache = project / ".mlops-cache" / "capture" / "dev"
    groups = {json.loads(p.read_bytes())["group"]: p for p in cache.glob("*.json")}
    assert len(groups) == 4
    for path in groups.values():
        os.utime(path, (1, 1))
    change_spec(project, "fraud-detector", "threshold: 0.92", "threshold: 0.93")
    result = diff(project, "dev", "HEAD")
    assert result.exit_code == 0, result.output
    # The base's own `mlops plan` found the committed fraud-detector in the cache: the entry the
    # first plan wrote, which the current plan (with the new threshold) does not use.
    assert groups["fraud-detector"].stat().st_mtime > 1
    assert len(list(cache.glob("*.json"))) == 5, "one new entry: the edited model's"
    assert any("│ update │ sagemaker:Pipeline │ fraud-detector-training-pipeline │" in line for line in lines(result.output))
