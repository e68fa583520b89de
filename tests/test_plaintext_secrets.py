"""Credentials written in plain text into a spec: found at their spec line, never waivable, redacted everywhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from mlops.cli import app
from mlops.specs.plaintext_secrets import credential_kind

runner = CliRunner()
API_KEY = "sk-live-4eC39HqLyjWDarjtT1zdp7dc"


@pytest.mark.parametrize(
    ("name", "value", "kind"),
    [
        ("anything", "AKIAIOSFODNN7EXAMPLE", "AWS access key id"),
        ("anything", "prefix ASIAY34FZKBOKMUTVV7A suffix", "AWS access key id"),
        ("pem", "-----BEGIN RSA PRIVATE KEY-----\nMIIE...", "private key"),
        ("pem", "-----BEGIN PRIVATE KEY-----", "private key"),
        ("x", API_KEY, "API secret key (sk-…)"),
        ("x", "sk_test_51Hxyzabc", "API secret key (sk-…)"),
        ("x", "sk-proj-abcdefghijklmnopqrstu", "API secret key (sk-…)"),
        ("x", "ghp_" + "a" * 36, "GitHub token"),
        ("x", "xoxb-1234567890-abcdef", "Slack token"),
        ("x", "AIza" + "B" * 35, "Google API key"),
        ("x", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "JSON web token"),
        ("aws_secret_access_key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "high-entropy value under the secret-sounding name 'aws_secret_access_key'"),
        ("dbPassword", "Xq3!vN8#pL2@wR7z", "high-entropy value under the secret-sounding name 'dbPassword'"),
        ("API-TOKEN", "9f86d081884c7d659a2feaa0c55ad015", "high-entropy value under the secret-sounding name 'API-TOKEN'"),
    ],
)
def test_credentials_are_recognised(name: str, value: str, kind: str) -> None:
    assert credential_kind(name, value) == kind


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("objective", "binary:logistic"),
        ("eval_metric", "auc"),
        ("LOG_LEVEL", "info"),
        ("max_depth", "9f86d081884c7d659a2feaa0c55ad015"),  # random-looking, but not under a secret's name
        ("token", "aaaaaaaaaaaaaaaaaaaaaaaa"),  # under a secret's name, but not random
        ("api_key", "short"),
        ("monkey", "Xq3vN8pL2wR7zK4mT6yH"),
        ("password_policy", "minimum length 12 characters"),  # words, spaces
    ],
)
def test_ordinary_values_are_not(name: str, value: str) -> None:
    assert credential_kind(name, value) is None


@settings(derandomize=True, database=None, max_examples=300, deadline=200)
@given(st.text(max_size=40), st.text(max_size=300))
def test_any_name_and_value_give_an_answer(name: str, value: str) -> None:
    kind = credential_kind(name, value)
    assert kind is None or isinstance(kind, str)


def add_line_after(path: Path, anchor: str, line: str) -> int:
    """Insert `line` after the first line containing `anchor`; its 1-based line number."""
    lines = path.read_text(encoding="utf-8").splitlines()
    index = next(i for i, text in enumerate(lines) if anchor in text) + 1
    lines.insert(index, line)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return index + 1


def test_a_plaintext_key_fails_every_environment_at_its_spec_line_and_is_never_written(project: Path) -> None:
    spec = project / "models" / "fraud-detector.yaml"
    line = add_line_after(spec, "num_round:", f"    api_key: {API_KEY}")
    result = runner.invoke(app, ["plan", "--stack", "dev", "-C", str(project)])
    assert result.exit_code == 1, result.output
    message = (
        "training.hyperparameters.api_key: must not hold a credential in plain text (found: API secret key (sk-…)) in model "
        "fraud-detector; store it with `pulumi config set --secret <key>` and reference it from serving.environment as {secret: <key>}"
    )
    assert f"critical mandatory plaintext-secrets: {message}" in " ".join(result.output.split())
    report = json.loads((project / "reports" / "dev" / "policy-report.json").read_text())
    (violation,) = [v for v in report["violations"] if v["policy_id"] == "plaintext-secrets"]
    assert violation["location"] == {"file": "models/fraud-detector.yaml", "line": line}
    assert violation["blocking"] is True
    written = [p for p in (project / "reports").rglob("*") if p.is_file()]
    assert {"plan.json", "policy-report.json", "policy-report.sarif", "policy-report.html"} <= {p.name for p in written}
    for path in written:
        assert API_KEY not in path.read_text(encoding="utf-8"), path
    assert API_KEY not in result.output


def test_a_plaintext_secret_cannot_be_waived(project: Path) -> None:
    add_line_after(project / "models" / "ticket-router.yaml", "LOG_LEVEL:", "    SERVICE_TOKEN: 9f86d081884c7d659a2feaa0c55ad015")
    (project / "policies" / "waivers.yaml").write_text(
        "waivers:\n  - policy: plaintext-secrets\n    model: ticket-router\n    reason: r\n    approver: a@example.com\n"
        "    expires: 2999-01-01\n"
    )
    result = runner.invoke(app, ["plan", "--stack", "prod", "-C", str(project)])
    assert result.exit_code == 2, result.output
    assert "plaintext-secrets" in result.output and "not waivable" in result.output
