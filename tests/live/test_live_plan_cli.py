"""`mlops plan --live`: the offline plan gated with registry facts from a real local AWS."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlops.cli import app

from .conftest import LocalAws, seed_prod_registry

runner = CliRunner()


def plan_live(project: Path):
    return runner.invoke(app, ["plan", "--stack", "prod", "--live", "-C", str(project)])


def test_live_facts_turn_unverified_registry_controls_into_a_pass(aws: LocalAws, prod_project: Path) -> None:
    seed_prod_registry(aws)
    result = plan_live(prod_project)
    assert result.exit_code == 0, result.output
    assert "Policy gate: PASS — prod rules, 54 policies, embedded engine" in result.output
    assert "0 blocking, 0 advisory, 0 waived, 0 unverified" in result.output
    assert "unverified controls" not in result.output


def test_a_rejected_pinned_package_fails_the_live_plan(aws: LocalAws, prod_project: Path) -> None:
    seed_prod_registry(aws, fraud_pinned=("Rejected", {"auc": 0.95}))
    result = plan_live(prod_project)
    assert result.exit_code == 1
    assert "Policy gate: FAIL — prod rules" in result.output
    lines = [" ".join(line.split()) for line in result.output.splitlines()]
    assert any(line.startswith("high mandatory registry-approved-package: Model fraud-detector pins model package ") for line in lines)


def test_an_unreachable_endpoint_fails_closed_with_3(aws: LocalAws, prod_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", closed)
    result = plan_live(prod_project)
    assert result.exit_code == 3
    assert f"error: cannot reach the AWS sts endpoint {closed}" in result.output
    assert "Policy gate" not in result.output
