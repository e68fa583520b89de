"""`mlops stacks`: one row per stack with its models, plan size, last gate decision and open waivers."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlops.audit.ledger import append_entry
from mlops.cli import app

runner = CliRunner()


def stacks(project: Path, *args: str):
    return runner.invoke(app, ["stacks", "-C", str(project), *args])


def table_rows(output: str) -> dict[str, list[str]]:
    """Body rows of the rich table, by stack name, as stripped cell texts."""
    rows = [[cell.strip() for cell in line.strip().strip("│").split("│")] for line in output.splitlines() if line.startswith("│")]
    return {row[0]: row for row in rows if row[0]}


def model_names(project: Path) -> list[str]:
    return sorted(p.stem for p in (project / "models").glob("*.yaml"))


def write_plan(project: Path, stack: str, custom: int, components: int) -> None:
    resources = [{"urn": f"urn:{stack}:r{i}", "type": "aws:s3/bucket:Bucket", "custom": True} for i in range(custom)]
    resources += [{"urn": f"urn:{stack}:c{i}", "type": "mlops:model:ModelStack", "custom": False} for i in range(components)]
    path = project / "reports" / stack / "plan.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"formatVersion": 1, "stack": stack, "resources": resources}))


# Pulumi.local.yaml is a dev-environment stack on a local emulator.
ENVIRONMENT = {"dev": "dev", "local": "dev", "prod": "prod", "staging": "staging"}


def gate(ledger: Path, stack: str, decision: str, when: str) -> dict:
    entry = {"kind": "gate", "decision_id": "d", "stack": stack, "environment": stack, "decision": decision,
             "commit": "a" * 40, "actor": "ci@example.com"}
    return append_entry(ledger, entry, now=datetime.fromisoformat(when).replace(tzinfo=timezone.utc))


def write_waivers(project: Path, *waivers: dict) -> None:
    lines = ["waivers:"]
    for waiver in waivers:
        lines.append(f"  - policy: {waiver['policy']}")
        lines += [f"    {key}: {value}" for key, value in waiver.items() if key != "policy"]
    (project / "policies" / "waivers.yaml").write_text("\n".join(lines) + "\n" if waivers else "waivers: []\n")


def test_every_stack_has_a_row_even_before_any_plan_or_decision(project: Path) -> None:
    result = stacks(project)
    assert result.exit_code == 0, result.output
    models = model_names(project)
    rows = table_rows(result.stdout)
    assert list(rows) == ["dev", "local", "prod", "staging"]
    for name, row in rows.items():
        assert row == [name, ENVIRONMENT[name], f"{len(models)}: {', '.join(models)}", "not planned", "never", "0", "—"]
    header = next(line for line in result.stdout.splitlines() if line.startswith("┃"))
    assert [c.strip() for c in header.strip("┃").split("┃")] == ["stack", "env", "models", "resources", "last decision", "waivers", "next expiry"]
    assert result.stdout.splitlines()[-1] == f"4 stack(s); no audit ledger yet at {project / 'reports' / 'audit-ledger.jsonl'}"
    assert max(len(line) for line in result.stdout.splitlines()) <= 140


def test_rows_show_plan_size_last_decision_and_open_waivers(project: Path) -> None:
    today = datetime.now(timezone.utc).date()
    write_plan(project, "dev", custom=5, components=2)
    write_plan(project, "prod", custom=7, components=1)
    ledger = project / "reports" / "audit-ledger.jsonl"
    gate(ledger, "prod", "fail", "2025-03-04T09:30:00")
    gate(ledger, "dev", "pass", "2025-03-05T10:00:00")
    append_entry(ledger, {"kind": "promotion", "stack": "prod"})  # not a gate decision
    gate(ledger, "prod", "pass", "2025-03-06T11:45:00")
    soon, later, past = today + timedelta(days=5), today + timedelta(days=90), today - timedelta(days=1)
    write_waivers(
        project,
        {"policy": "endpoint-min-instances", "model": "ticket-router", "environments": "[prod]", "reason": "Serverless",
         "approver": "cto@example.com", "expires": soon.isoformat()},
        {"policy": "s3-bucket-versioning", "resource": "'*platform-reports'", "reason": "Reports are rebuilt",
         "approver": "ciso@example.com", "expires": later.isoformat()},
        {"policy": "endpoint-autoscaling", "model": "ticket-router", "environments": "[prod, staging]", "reason": "Expired",
         "approver": "cto@example.com", "expires": past.isoformat()},
        {"policy": "endpoint-autoscaling", "model": "no-such-model", "environments": "[dev]", "reason": "Not deployed here",
         "approver": "cto@example.com", "expires": later.isoformat()},
    )

    result = stacks(project)

    assert result.exit_code == 0, result.output
    rows = table_rows(result.stdout)
    assert rows["dev"][3:] == ["5", "pass 2025-03-05 10:00Z", "1", later.isoformat()]
    assert rows["prod"][3:] == ["7", "pass 2025-03-06 11:45Z", "2", f"{soon.isoformat()} ⚠ 5d"]
    assert rows["staging"][3:] == ["not planned", "never", "1", later.isoformat()]
    assert rows["local"][3:] == ["not planned", "never", "1", later.isoformat()]
    assert result.stdout.splitlines()[-1] == f"4 stack(s); ledger {ledger}: 4 entries"

    document = json.loads(stacks(project, "--json").stdout)
    prod = next(s for s in document["stacks"] if s["stack"] == "prod")
    assert prod["last_decision"] == {"decision": "pass", "timestamp": "2025-03-06T11:45:00.000Z", "seq": 4,
                                     "commit": "a" * 40, "actor": "ci@example.com"}
    assert prod["resources"] == 7 and prod["models"] == model_names(project)
    assert prod["open_waivers"] == [
        {"policy": "endpoint-min-instances", "selector": "model ticket-router", "approver": "cto@example.com", "expires": soon.isoformat()},
        {"policy": "s3-bucket-versioning", "selector": "resource *platform-reports", "approver": "ciso@example.com", "expires": later.isoformat()},
    ]
    assert (prod["nearest_expiry"], prod["expiry_soon"]) == (soon.isoformat(), True)
    dev = next(s for s in document["stacks"] if s["stack"] == "dev")
    assert (dev["nearest_expiry"], dev["expiry_soon"], dev["error"]) == (later.isoformat(), False, None)
    assert document["ledger"] == {"path": str(ledger), "entries": 4, "problem": None}


def test_a_stack_with_invalid_files_shows_its_error_and_the_others_still_show(project: Path) -> None:
    (project / "Pulumi.qa.yaml").write_text("config:\n  aws:region: eu-west-1\n  mlops:environment: qa\n")
    result = stacks(project)
    assert result.exit_code == 2
    rows = table_rows(result.stdout)
    assert list(rows) == ["dev", "local", "prod", "qa", "staging"]
    assert rows["qa"][1] == "?" and rows["qa"][2].startswith("error:")
    assert rows["prod"][4] == "never"
    err = result.stderr.splitlines()
    assert err[0] == f"error: stack qa: {project / 'Pulumi.qa.yaml'}: invalid stack config"
    assert f"  {project / 'Pulumi.qa.yaml'}:3: mlops:environment: expected 'dev', 'staging' or 'prod'; found 'qa'" in err

    document = json.loads(stacks(project, "--json").stdout)
    qa = next(s for s in document["stacks"] if s["stack"] == "qa")
    assert qa["error"] == f"{project / 'Pulumi.qa.yaml'}: invalid stack config" and qa["problems"]


def test_a_stack_whose_model_specs_are_invalid_keeps_its_environment(project: Path) -> None:
    spec = project / "models" / "ticket-router.yaml"
    spec.write_text(spec.read_text().replace("risk_tier: low", "risk_tier: tiny"))
    result = stacks(project, "--json")
    assert result.exit_code == 2
    rows = {s["stack"]: s for s in json.loads(result.stdout)["stacks"]}
    assert all(
        r["environment"] == ENVIRONMENT[name] and r["error"].endswith(f"problem(s) in model specs for environment '{ENVIRONMENT[name]}'")
        for name, r in rows.items()
    )
    assert any("metadata.risk_tier" in p for p in rows["dev"]["problems"])


def test_invalid_waivers_are_reported_and_exit_2(project: Path) -> None:
    write_waivers(project, {"policy": "no-such-policy", "model": "x", "reason": "r", "approver": "a@example.com", "expires": "2999-01-01"})
    result = stacks(project)
    assert result.exit_code == 2
    assert table_rows(result.stdout)["dev"][5] == "0"
    err = result.stderr.splitlines()
    assert err[0] == f"error: open waivers unknown: {project / 'policies' / 'waivers.yaml'}: invalid waivers"
    assert err[1].startswith(f"  {project / 'policies' / 'waivers.yaml'}:2: waivers[0].policy: expected one of the policy ids ")
    assert err[1].endswith("; found 'no-such-policy'")


def test_a_tampered_ledger_is_reported_and_exits_1(project: Path) -> None:
    ledger = project / "reports" / "audit-ledger.jsonl"
    gate(ledger, "dev", "pass", "2025-03-01T08:00:00")
    gate(ledger, "prod", "fail", "2025-03-02T08:00:00")
    gate(ledger, "prod", "pass", "2025-03-03T08:00:00")
    entries = ledger.read_text().splitlines(keepends=True)
    ledger.write_text(entries[0] + entries[2])  # the prod failure removed
    result = stacks(project)
    assert result.exit_code == 1
    rows = table_rows(result.stdout)
    assert rows["dev"][4] == "pass 2025-03-01 08:00Z" and rows["prod"][4] == "never"
    assert result.stderr.splitlines() == [
        f"error: {ledger}:2: the audit ledger does not verify (seq 3 follows seq 1: seq 2 was removed; "
        f"prev_hash {json.loads(entries[2])['prev_hash'][:12]} does not match the hash of line 1 "
        f"(seq 1, hash {json.loads(entries[0])['hash'][:12]}): an entry was inserted, removed or reordered here, "
        "or the entry before was rewritten); last decisions are shown up to line 1; run `mlops audit verify`"
    ]


def test_an_unreadable_plan_is_flagged_not_fatal(project: Path) -> None:
    path = project / "reports" / "dev" / "plan.json"
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    result = stacks(project)
    assert result.exit_code == 0
    assert table_rows(result.stdout)["dev"][3] == "unreadable plan"
    assert result.stderr.startswith(f"warning: stack dev: {path}: unreadable plan (")


@pytest.mark.parametrize("as_json", [False, True])
def test_a_directory_without_stack_files_is_an_input_error(tmp_path: Path, as_json: bool) -> None:
    result = runner.invoke(app, ["stacks", "-C", str(tmp_path), *(["--json"] if as_json else [])])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"error: {tmp_path}: no Pulumi.<stack>.yaml stack files here; pass the project with --project-dir"]
