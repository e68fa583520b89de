"""`mlops up`: the gate with live facts first, then exactly `pulumi up --stack S --policy-pack policies`."""

from __future__ import annotations

import json
import os
import socket
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlops.cli import app

from .conftest import LocalAws, seed_prod_registry

runner = CliRunner()


@pytest.fixture
def fake_pulumi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `pulumi` executable first on PATH that records how it was invoked (argv, cwd, MLOPS_STACK)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "pulumi-invocation.json"
    script = bin_dir / "pulumi"
    script.write_text(
        "#!/bin/sh\n"
        f"printf '%s\\n' \"$PWD\" \"$MLOPS_STACK\" \"$@\" > '{record}'\n"
        "exit ${FAKE_PULUMI_EXIT:-0}\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    return record


def invocation(record: Path) -> dict:
    cwd, stack, *argv = record.read_text().splitlines()
    return {"cwd": cwd, "MLOPS_STACK": stack, "argv": argv}


def up(project: Path, *args: str):
    return runner.invoke(app, ["up", "--stack", "prod", *args, "-C", str(project)])


def test_missing_pulumi_cli_stops_with_install_instructions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prod_project: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    result = up(prod_project)
    assert result.exit_code == 127
    assert "error: the Pulumi CLI is not installed (no `pulumi` on PATH); mlops up deploys through it: install it with " in result.output
    assert "curl -fsSL https://get.pulumi.com | sh" in result.output


def test_passing_gate_runs_pulumi_up_with_the_policy_pack(aws: LocalAws, fake_pulumi: Path, prod_project: Path) -> None:
    seed_prod_registry(aws)
    result = up(prod_project, "--yes")
    assert result.exit_code == 0, result.output
    assert "Policy gate: PASS" in result.output
    assert invocation(fake_pulumi) == {
        "cwd": str(prod_project),
        "MLOPS_STACK": "prod",
        "argv": ["up", "--stack", "prod", "--policy-pack", "policies", "--yes"],
    }
    report = json.loads((prod_project / "reports" / "prod" / "policy-report.json").read_text())
    assert (report["decision"], report["require_verified"], report["counts"]["unverified"]) == ("pass", True, 0)


def test_failing_pulumi_up_is_reported(aws: LocalAws, fake_pulumi: Path, prod_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seed_prod_registry(aws)
    monkeypatch.setenv("FAKE_PULUMI_EXIT", "255")
    result = up(prod_project)
    assert result.exit_code == 4
    assert "error: pulumi up exited with status 255; its output above says why" in result.output
    assert invocation(fake_pulumi)["argv"] == ["up", "--stack", "prod", "--policy-pack", "policies"]


def test_gate_failing_on_live_facts_never_runs_pulumi(aws: LocalAws, fake_pulumi: Path, prod_project: Path) -> None:
    seed_prod_registry(aws, fraud_pinned=("PendingManualApproval", {"auc": 0.95}))
    result = up(prod_project, "--yes")
    assert result.exit_code == 1, result.output
    assert "Policy gate: FAIL" in result.output
    assert "registry-approved-package: Model fraud-detector pins model package" in result.output
    assert "error: the prod gate did not pass with live facts; nothing was deployed" in result.output
    assert not fake_pulumi.exists()


def test_unreachable_endpoint_fails_closed_and_never_runs_pulumi(aws: LocalAws, fake_pulumi: Path, prod_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", closed)
    result = up(prod_project, "--yes")
    assert result.exit_code == 3, result.output
    assert f"error: cannot reach the AWS sts endpoint {closed} while identifying the AWS account" in result.output
    assert not fake_pulumi.exists()
