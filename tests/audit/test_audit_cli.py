"""`mlops audit verify` and `mlops audit report`: exit codes and the lines a user reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlops.cli import app

from .ledgers import at, lines, passing_report, prod_report, record_gate, rewrite

runner = CliRunner()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    ledger = project / "reports" / "audit-ledger.jsonl"
    record_gate(ledger, project, passing_report(), at("2025-03-02"))
    record_gate(ledger, project, prod_report(), at("2025-03-04"))
    record_gate(ledger, project, passing_report("staging", "staging"), at("2025-03-20"))
    return project


def ledger_of(project: Path) -> Path:
    return project / "reports" / "audit-ledger.jsonl"


def head(project: Path) -> str:
    return json.loads(lines(ledger_of(project))[-1])["hash"]


def tamper_second_entry(project: Path) -> None:
    entries = lines(ledger_of(project))
    entry = json.loads(entries[1])
    entry["decision"] = "pass"
    rewrite(ledger_of(project), [entries[0], (json.dumps(entry) + "\n").encode(), *entries[2:]])


# --- verify ---------------------------------------------------------------------------------------


def test_verify_prints_the_entry_count_and_head(project: Path) -> None:
    result = runner.invoke(app, ["audit", "verify", "-C", str(project)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"ledger OK: 3 entries, head {head(project)[:12]}"]


def test_verify_reads_the_ledger_named_by_option_or_environment(project: Path, tmp_path: Path) -> None:
    moved = tmp_path / "elsewhere.jsonl"
    ledger_of(project).rename(moved)
    assert runner.invoke(app, ["audit", "verify", "--ledger", str(moved)]).exit_code == 0
    result = runner.invoke(app, ["audit", "verify", "-C", str(project)], env={"MLOPS_LEDGER": str(moved)})
    assert result.exit_code == 0 and result.output.startswith("ledger OK: 3 entries")


def test_verify_names_the_first_broken_entry_and_exits_1(project: Path) -> None:
    first_hash = json.loads(lines(ledger_of(project))[0])["hash"]
    tamper_second_entry(project)
    result = runner.invoke(app, ["audit", "verify", "-C", str(project)])
    assert result.exit_code == 1
    ledger = ledger_of(project)
    err = result.stderr.splitlines()
    assert err[0] == f"error: audit ledger {ledger} does not verify; first broken entry at {ledger}:2 (seq 2)"
    assert err[1].startswith("  hash mismatch: the entry's content hashes to ")
    assert err[1].endswith(": the entry or its hash was edited")
    assert err[2] == f"  1 entry before it verify (head {first_hash[:12]})"
    assert err[3].startswith("  do not edit the ledger to make it verify: restore it from a backup")
    assert result.stdout == ""


def test_verify_without_a_ledger_exits_2_and_says_how_one_is_created(tmp_path: Path) -> None:
    result = runner.invoke(app, ["audit", "verify", "-C", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: {tmp_path / 'reports' / 'audit-ledger.jsonl'}: no audit ledger here; it is created by the first gated "
        "command (mlops plan --stack STACK), or point --ledger or MLOPS_LEDGER at an existing ledger"
    ]


# --- report ---------------------------------------------------------------------------------------


def test_report_writes_markdown_and_html_and_prints_a_summary(project: Path) -> None:
    result = runner.invoke(app, ["audit", "report", "--since", "2025-03-01", "--until", "2025-03-31", "--framework", "soc2", "-C", str(project)])
    assert result.exit_code == 0, result.output
    out = result.stdout.splitlines()
    assert out[0] == (
        "Audit 2025-03-01 to 2025-03-31, framework SOC2 (soc2): 3 gate decision(s) across 3 stack(s) (2 pass, 1 fail); "
        f"ledger verified, 3 entries, head {head(project)[:12]}"
    )
    header = next(line for line in out if "control" in line)
    assert header.split() == ["┃", "control", "┃", "checked", "┃", "passed", "┃", "failed", "┃", "advisory", "┃", "waived", "┃", "unverified", "┃"]
    assert next(line for line in out if "SOC2:A1.2" in line).replace("│", " ").split() == ["SOC2:A1.2", "12", "10", "1", "0", "1", "0"]
    assert [line.split()[0] for line in out if "SOC2:" in line] == ["│"] * 4
    destination = project / "reports" / "audit"
    assert out[-2:] == [f"wrote {destination / 'audit-report.md'}", f"wrote {destination / 'audit-report.html'}"]
    markdown = (destination / "audit-report.md").read_text(encoding="utf-8")
    assert "| `SOC2:A1.2` | 12 | 10 | 1 | 1 | 0 | dev, prod, staging | [#2 prod fail](../prod/policy-report.json) |" in markdown
    assert (destination / "audit-report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_report_output_dir_and_default_until(project: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "audit-out"
    result = runner.invoke(app, ["audit", "report", "--since", "2025-03-03", "-C", str(project), "-o", str(out_dir)])
    assert result.exit_code == 0, result.output
    assert "2 gate decision(s) across 2 stack(s) (1 pass, 1 fail)" in result.stdout
    markdown = (out_dir / "audit-report.md").read_text(encoding="utf-8")
    assert f"[reports/prod/policy-report.json]({Path('..') / 'project' / 'reports' / 'prod' / 'policy-report.json'})" in markdown


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "2025-02-30"], "error: --since: expected a date as YYYY-MM-DD (e.g. 2025-01-31), found '2025-02-30'"),
        (["--since", "03/01/2025"], "error: --since: expected a date as YYYY-MM-DD (e.g. 2025-01-31), found '03/01/2025'"),
        (["--since", "2025-03-01", "--until", "March"], "error: --until: expected a date as YYYY-MM-DD (e.g. 2025-01-31), found 'March'"),
        (["--since", "2025-03-10", "--until", "2025-03-01"], "error: --since 2025-03-10 is after --until 2025-03-01; give a period that starts before it ends"),
    ],
)
def test_report_rejects_bad_dates_with_exit_2(project: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["audit", "report", *args, "-C", str(project)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [message]
    assert not (project / "reports" / "audit").exists()


def test_report_lists_the_valid_frameworks_for_an_unknown_one(project: Path) -> None:
    result = runner.invoke(app, ["audit", "report", "--since", "2025-03-01", "--framework", "pci", "-C", str(project)])
    assert result.exit_code == 2
    text = " ".join(result.stderr.replace("│", " ").split())
    assert "Invalid value for '--framework'" in text
    assert "'pci' is not one of 'soc2', 'iso27001', 'nist-800-53', 'hipaa', 'eu-ai-act', 'nist-ai-rmf', 'iso42001'." in text


def test_report_requires_since(project: Path) -> None:
    result = runner.invoke(app, ["audit", "report", "-C", str(project)])
    assert result.exit_code == 2
    assert "Missing option '--since'" in result.stderr


def test_report_refuses_a_tampered_ledger_with_exit_1(project: Path) -> None:
    tamper_second_entry(project)
    result = runner.invoke(app, ["audit", "report", "--since", "2025-03-01", "-C", str(project)])
    assert result.exit_code == 1
    ledger = ledger_of(project)
    assert result.stderr.splitlines()[0] == f"error: audit ledger {ledger} does not verify; first broken entry at {ledger}:2 (seq 2)"
    assert not (project / "reports" / "audit").exists()
