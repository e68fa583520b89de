"""Enforcement levels per environment, severity and policy."""

from __future__ import annotations

from pathlib import Path

import pytest
from gov_fixtures import shipped_enforcement, write
from mlops.errors import InputError
from mlops.governance.bundle import PolicyBundle, load_bundle
from mlops.governance.enforcement import load_enforcement

DEFAULTS = """\
defaults:
  dev:     {low: advisory, medium: advisory, high: advisory, critical: advisory}
  staging: {low: advisory, medium: advisory, high: mandatory, critical: mandatory}
  prod:    {low: advisory, medium: mandatory, high: mandatory, critical: mandatory}
"""


@pytest.fixture
def bundle(library: Path) -> PolicyBundle:
    return load_bundle(library)


def levels(bundle: PolicyBundle, path: Path, policy_id: str) -> dict[str, str]:
    enforcement = load_enforcement(path, bundle)
    policy = bundle.policy(policy_id)
    assert policy is not None
    return {env: enforcement.level(policy, env) for env in ("dev", "staging", "prod")}


def test_shipped_defaults_by_severity(bundle: PolicyBundle, tmp_path: Path) -> None:
    shipped = shipped_enforcement(tmp_path)
    assert levels(bundle, shipped, "resource-owner-tag") == {"dev": "advisory", "staging": "advisory", "prod": "advisory"}
    assert levels(bundle, shipped, "endpoint-min-instances") == {"dev": "advisory", "staging": "advisory", "prod": "mandatory"}
    assert levels(bundle, shipped, "endpoint-kms-encryption") == {"dev": "advisory", "staging": "mandatory", "prod": "mandatory"}
    assert levels(bundle, shipped, "iam-no-wildcard-actions") == {"dev": "advisory", "staging": "mandatory", "prod": "mandatory"}


def test_policy_override_wins_for_its_environments_only(bundle: PolicyBundle, tmp_path: Path) -> None:
    path = write(tmp_path / "enforcement.yaml", DEFAULTS + "policies:\n  endpoint-kms-encryption: {dev: disabled, staging: advisory}\n")
    assert levels(bundle, path, "endpoint-kms-encryption") == {"dev": "disabled", "staging": "advisory", "prod": "mandatory"}
    assert levels(bundle, path, "iam-no-wildcard-actions") == {"dev": "advisory", "staging": "mandatory", "prod": "mandatory"}


def test_unknown_environment_at_evaluation(bundle: PolicyBundle, tmp_path: Path) -> None:
    enforcement = load_enforcement(shipped_enforcement(tmp_path), bundle)
    with pytest.raises(InputError) as error:
        enforcement.level(bundle.policies[0], "qa")
    assert str(error.value) == "environment 'qa' has no enforcement levels; expected one of: dev, staging, prod"


KNOWN_IDS = "endpoint-kms-encryption, endpoint-min-instances, iam-no-wildcard-actions, resource-owner-tag"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (DEFAULTS + "policies:\n  no-such-policy: {prod: advisory}\n",
         f"6: policies.no-such-policy: unknown field 'no-such-policy'; expected one of: {KNOWN_IDS}"),
        (DEFAULTS + "policies:\n  endpoint-kms-encryption: {qa: advisory}\n",
         "6: policies.endpoint-kms-encryption.qa: unknown field 'qa'; expected one of: dev, prod, staging"),
        (DEFAULTS + "policies:\n  endpoint-kms-encryption: {prod: blocking}\n",
         "6: policies.endpoint-kms-encryption.prod: expected 'mandatory', 'advisory' or 'disabled'; found 'blocking'"),
        (DEFAULTS.replace("staging:", "qa:     "), "1: defaults.staging: required field is missing"),
        (DEFAULTS.replace("critical: advisory}", "severe: advisory}"), "2: defaults.dev.critical: required field is missing"),
        (DEFAULTS + "policies: []\n", "5: policies: expected a valid dictionary or instance of PolicyLevels; found a list"),
        (DEFAULTS + "overrides: {}\n", "5: overrides: unknown field 'overrides'; expected one of: defaults, policies"),
    ],
)
def test_invalid_file_names_file_line_and_field(bundle: PolicyBundle, tmp_path: Path, text: str, problem: str) -> None:
    path = write(tmp_path / "enforcement.yaml", text)
    with pytest.raises(InputError) as error:
        load_enforcement(path, bundle)
    assert error.value.message == f"{path}: invalid enforcement levels"
    assert error.value.problems[0] == f"{path}:{problem}"


def test_every_problem_is_reported_together(bundle: PolicyBundle, tmp_path: Path) -> None:
    text = DEFAULTS.replace("staging:", "qa:     ").replace("critical: advisory}", "severe: advisory}") + "policies:\n  nope: {prod: advisory}\n"
    path = write(tmp_path / "enforcement.yaml", text)
    with pytest.raises(InputError) as error:
        load_enforcement(path, bundle)
    assert error.value.problems == [
        f"{path}:2: defaults.dev.critical: required field is missing",
        f"{path}:2: defaults.dev.severe: unknown field 'severe'; expected one of: critical, high, low, medium",
        f"{path}:1: defaults.staging: required field is missing",
        f"{path}:3: defaults.qa: unknown field 'qa'; expected one of: dev, prod, staging",
        f"{path}:6: policies.nope: unknown field 'nope'; expected one of: {KNOWN_IDS}",
    ]


def test_missing_environment_in_defaults(bundle: PolicyBundle, tmp_path: Path) -> None:
    path = write(tmp_path / "enforcement.yaml", "\n".join(DEFAULTS.splitlines()[:3]) + "\n")
    with pytest.raises(InputError) as error:
        load_enforcement(path, bundle)
    assert error.value.problems == [f"{path}:1: defaults.prod: required field is missing"]


def test_policy_ids_are_checked_only_against_a_bundle(tmp_path: Path) -> None:
    path = write(tmp_path / "enforcement.yaml", DEFAULTS + "policies:\n  any-policy: {prod: disabled}\n  other: {qa: advisory}\n")
    with pytest.raises(InputError) as error:
        load_enforcement(path, None)
    assert error.value.problems == [f"{path}:7: policies.other.qa: unknown field 'qa'; expected one of: dev, prod, staging"]


def test_missing_file(bundle: PolicyBundle, tmp_path: Path) -> None:
    with pytest.raises(InputError) as error:
        load_enforcement(tmp_path / "enforcement.yaml", bundle)
    assert str(error.value) == f"{tmp_path / 'enforcement.yaml'}: file not found"


def test_file_without_defaults(bundle: PolicyBundle, tmp_path: Path) -> None:
    path = write(tmp_path / "enforcement.yaml", "policies: {}\n")
    with pytest.raises(InputError) as error:
        load_enforcement(path, bundle)
    assert str(error.value) == (
        f"{path}:1: expected a mapping with 'defaults' (per environment, per severity) and 'policies' (per-policy overrides)"
    )
