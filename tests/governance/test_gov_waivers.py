"""Loading waivers, matching them to violations, and refusing bad ones."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from gov_fixtures import ENDPOINT_CONFIG, urn, write
from mlops.errors import InputError
from mlops.governance.bundle import PolicyBundle, load_bundle
from mlops.governance.waivers import Waiver, load_waivers

SHIPPED = Path(__file__).resolve().parents[2] / "policies" / "waivers.yaml"

VALID = """\
waivers:
  - policy: endpoint-min-instances
    model: ticket-router
    environments: [prod]
    reason: Serverless endpoint; instance count does not apply.
    approver: jane.doe@example.com
    expires: 2027-03-31
  - policy: resource-owner-tag
    resource: "urn:pulumi:prod::mlops-platform::aws:sagemaker/*::ticket-router-*"
    reason: Owner tag arrives with the next release.
    approver: sam.lee@example.com
    expires: "2026-12-31"
"""


@pytest.fixture
def bundle(library: Path) -> PolicyBundle:
    return load_bundle(library)


def test_shipped_file_has_no_waivers(bundle: PolicyBundle) -> None:
    assert load_waivers(SHIPPED, bundle) == []


def test_valid_waivers(bundle: PolicyBundle, tmp_path: Path) -> None:
    path = write(tmp_path / "waivers.yaml", VALID)
    by_model, by_resource = load_waivers(path, bundle)

    assert by_model == Waiver(
        policy="endpoint-min-instances",
        reason="Serverless endpoint; instance count does not apply.",
        approver="jane.doe@example.com",
        expires=date(2027, 3, 31),
        source=f"{path}:2",
        model="ticket-router",
        environments=("prod",),
    )
    assert by_resource.expires == date(2026, 12, 31)
    assert by_resource.environments is None
    assert by_resource.to_dict() == {"reason": "Owner tag arrives with the next release.", "approver": "sam.lee@example.com", "expires": "2026-12-31"}


def test_model_selector_matches_policy_model_and_environment(bundle: PolicyBundle, tmp_path: Path) -> None:
    by_model, _ = load_waivers(write(tmp_path / "waivers.yaml", VALID), bundle)
    any_urn = urn(ENDPOINT_CONFIG, "ticket-router-config")
    assert by_model.covers("endpoint-min-instances", "prod", any_urn, "ticket-router")
    assert not by_model.covers("endpoint-min-instances", "staging", any_urn, "ticket-router")
    assert not by_model.covers("endpoint-min-instances", "prod", any_urn, "fraud-detector")
    assert not by_model.covers("endpoint-min-instances", "prod", any_urn, None)
    assert not by_model.covers("endpoint-kms-encryption", "prod", any_urn, "ticket-router")


def test_resource_selector_is_a_glob_on_the_urn(bundle: PolicyBundle, tmp_path: Path) -> None:
    _, by_resource = load_waivers(write(tmp_path / "waivers.yaml", VALID), bundle)
    assert by_resource.covers("resource-owner-tag", "dev", urn(ENDPOINT_CONFIG, "ticket-router-config"), None)
    assert not by_resource.covers("resource-owner-tag", "dev", urn(ENDPOINT_CONFIG, "fraud-detector-config"), None)
    assert not by_resource.covers("resource-owner-tag", "dev", urn(ENDPOINT_CONFIG, "ticket-router-config", stack="dev"), None)


def test_waiver_applies_through_its_expiry_date(bundle: PolicyBundle, tmp_path: Path) -> None:
    by_model, _ = load_waivers(write(tmp_path / "waivers.yaml", VALID), bundle)
    assert not by_model.expired(date(2027, 3, 31))
    assert by_model.expired(date(2027, 4, 1))


def one_waiver(**fields: str) -> str:
    base = {
        "policy": "endpoint-min-instances",
        "model": "ticket-router",
        "reason": "Because.",
        "approver": "jane.doe@example.com",
        "expires": "2027-03-31",
    }
    base.update(fields)
    lines = [f"    {key}: {value}" for key, value in base.items() if value != "<absent>"]
    return "waivers:\n  -" + "\n".join(lines)[3:] + "\n"


KNOWN_IDS = "endpoint-kms-encryption, endpoint-min-instances, iam-no-wildcard-actions, resource-owner-tag"
URN_GLOB = "urn:pulumi:prod::mlops-platform::*::ticket-router-*"


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"policy": "no-such-policy"}, f"2: waivers[0].policy: expected one of the policy ids {KNOWN_IDS}; found 'no-such-policy'"),
        ({"expires": "'2027-13-45'"}, "6: waivers[0].expires: expected an ISO date YYYY-MM-DD; found '2027-13-45'"),
        ({"expires": "next spring"}, "6: waivers[0].expires: expected an ISO date YYYY-MM-DD; found 'next spring'"),
        ({"expires": "2027-03-31T12:00:00"}, "6: waivers[0].expires: expected an ISO date YYYY-MM-DD; found '2027-03-31T12:00:00'"),
        ({"resource": URN_GLOB}, "2: waivers[0]: give exactly one selector: 'model' (a model name) or 'resource' (a URN or URN glob)"),
        ({"model": "<absent>"}, "2: waivers[0]: give exactly one selector: 'model' (a model name) or 'resource' (a URN or URN glob)"),
        ({"approver": "<absent>"}, "2: waivers[0].approver: required field is missing"),
        ({"reason": "''"}, "4: waivers[0].reason: expected at least 1 character; found ''"),
        ({"environments": "[qa]"}, "7: waivers[0].environments[0]: expected 'dev', 'staging' or 'prod'; found 'qa'"),
        ({"environments": "[]"},
         "7: waivers[0].environments: expected a list of dev, staging or prod; leave 'environments' out to cover every environment; found a list"),
        ({"environments": ""},
         "7: waivers[0].environments: expected a list of dev, staging or prod; leave 'environments' out to cover every environment; found None"),
        ({"ticket": "OPS-1"},
         "7: waivers[0].ticket: unknown field 'ticket'; expected one of: approver, environments, expires, model, policy, reason, resource"),
    ],
)
def test_invalid_waiver_names_file_line_and_field(bundle: PolicyBundle, tmp_path: Path, fields: dict[str, str], problem: str) -> None:
    path = write(tmp_path / "waivers.yaml", one_waiver(**fields))
    with pytest.raises(InputError) as error:
        load_waivers(path, bundle)
    assert error.value.message == f"{path}: invalid waivers"
    assert error.value.problems == [f"{path}:{problem}"]


def test_non_waivable_policy_cannot_be_waived(bundle: PolicyBundle, tmp_path: Path) -> None:
    path = write(tmp_path / "waivers.yaml", one_waiver(policy="iam-no-wildcard-actions"))
    with pytest.raises(InputError) as error:
        load_waivers(path, bundle)
    policy_path = bundle.policy("iam-no-wildcard-actions").path  # type: ignore[union-attr]
    assert error.value.problems == [
        f"{path}:2: waivers[0].policy: not waivable (custom.waivable: false in {policy_path}); "
        "fix the violation instead; found 'iam-no-wildcard-actions'"
    ]


def test_impossible_calendar_date_names_its_line(bundle: PolicyBundle, tmp_path: Path) -> None:
    path = write(tmp_path / "waivers.yaml", one_waiver(expires="2027-02-30"))
    with pytest.raises(InputError) as error:
        load_waivers(path, bundle)
    assert str(error.value) == f"{path}:6: expires: day is out of range for month; write a real calendar date as YYYY-MM-DD"


def test_file_without_waivers_list(bundle: PolicyBundle, tmp_path: Path) -> None:
    path = write(tmp_path / "waivers.yaml", "waivers:\n  policy: x\n")
    with pytest.raises(InputError) as error:
        load_waivers(path, bundle)
    assert str(error.value) == f"{path}:1: expected a top-level 'waivers:' list (use 'waivers: []' for none)"
