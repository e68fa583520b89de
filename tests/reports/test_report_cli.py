"""`mlops report`: re-renders a stored policy report; a missing, invalid or other-version report exits 2."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from mlops.cli import app

from .conftest import fixture_report

runner = CliRunner()


def store(project: Path, report: dict, stack: str = "prod") -> Path:
    path = project / "reports" / stack / "policy-report.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=4), encoding="utf-8")
    return path


def lines(result) -> list[str]:
    return [" ".join(line.split()) for line in result.output.splitlines()]


def test_renders_every_format_beside_the_report(tmp_path: Path) -> None:
    path = store(tmp_path, fixture_report())
    before = path.read_bytes()
    result = runner.invoke(app, ["report", "--stack", "prod", "-C", str(tmp_path)])
    assert result.exit_code == 0, result.output
    directory = path.parent
    assert lines(result) == [
        "Policy report for stack prod (prod): FAIL — 2 blocking, 1 advisory, 1 waived, 1 unverified; 9 of 14 checks passed",
        f"wrote {directory / 'policy-report.md'}",
        f"wrote {directory / 'policy-report.sarif'}",
        f"wrote {directory / 'policy-report.junit.xml'}",
        f"wrote {directory / 'policy-report.html'}",
    ]
    assert path.read_bytes() == before  # the stored report (hashed in the audit ledger) is never rewritten
    assert (directory / "policy-report.md").read_text().startswith("<!-- mlops-policy-report stack=prod -->\n**Policy gate: FAIL**")


def test_reports_dir_option(tmp_path: Path) -> None:
    store(tmp_path / "elsewhere", fixture_report(), stack="prod")
    result = runner.invoke(app, ["report", "-s", "prod", "-C", str(tmp_path), "--reports-dir", str(tmp_path / "elsewhere" / "reports")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "elsewhere" / "reports" / "prod" / "policy-report.sarif").is_file()


def test_missing_report_exits_2_and_says_how_to_create_it(tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", "--stack", "dev", "-C", str(tmp_path)])
    assert result.exit_code == 2
    path = tmp_path / "reports" / "dev" / "policy-report.json"
    assert lines(result) == [f"error: {path}: policy report not found; create it with `mlops plan --stack dev`"]


def test_old_format_version_exits_2_naming_the_field_and_the_fix(tmp_path: Path) -> None:
    old = {"formatVersion": 1, "stack": "prod", "decision": "pass", "violations": []}
    path = store(tmp_path, old)
    result = runner.invoke(app, ["report", "--stack", "prod", "-C", str(tmp_path)])
    assert result.exit_code == 2
    assert lines(result) == [
        f"error: {path}: formatVersion: expected 2, found 1; this mlops reads formatVersion 2 reports only, "
        "re-create it with `mlops plan --stack prod`"
    ]
    assert not (path.parent / "policy-report.md").exists()


def test_invalid_report_exits_2_listing_each_field(tmp_path: Path) -> None:
    report = fixture_report()
    report["decision"] = "approved"
    path = store(tmp_path, report)
    result = runner.invoke(app, ["report", "--stack", "prod", "-C", str(tmp_path)])
    assert result.exit_code == 2
    assert lines(result) == [
        f"error: {path}: not a valid formatVersion 2 policy report; re-create it with `mlops plan --stack prod`",
        f"{path}: decision: 'approved' is not one of ['pass', 'fail', 'pass-unverified']",
    ]
