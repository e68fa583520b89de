"""SARIF 2.1.0: valid against the OASIS schema (tests/fixtures/sarif, see its README for the origin),
one rule per policy, one located result per finding, waived findings suppressed."""

from __future__ import annotations

import json

import jsonschema
import pytest

from mlops.reports import render_sarif
from mlops.reports.sarif import FINGERPRINT, fingerprint

from .conftest import SARIF_SCHEMA, fixture_report


@pytest.fixture(scope="module")
def sarif() -> dict:
    return json.loads(render_sarif(fixture_report()))


def results_by(sarif: dict, rule: str) -> list[dict]:
    return [r for r in sarif["runs"][0]["results"] if r["ruleId"] == rule]


def test_valid_against_the_sarif_2_1_0_schema(sarif: dict) -> None:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    assert [e.message for e in validator.iter_errors(sarif)] == []
    assert sarif["version"] == "2.1.0" and sarif["$schema"] == schema["$id"]
    assert len(sarif["runs"]) == 1


def test_one_rule_per_policy_with_help_and_controls(sarif: dict) -> None:
    driver = sarif["runs"][0]["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("mlops", "0.1.0")
    rules = {r["id"]: r for r in driver["rules"]}
    assert sorted(rules) == sorted(p["id"] for p in fixture_report()["policies"])
    rule = rules["endpoint-data-capture"]
    assert rule["shortDescription"] == {"text": "Endpoints capture inference data"}
    assert rule["fullDescription"]["text"].startswith("Checks whether every endpoint configuration")
    assert rule["properties"]["tags"] == sorted(
        ["SOC2:CC7.2", "ISO27001:A.8.15", "ISO27001:A.8.16", "NIST800-53:AU-12", "NIST800-53:SI-4", "HIPAA:164.312(b)"]
    )
    assert rule["properties"]["severity"] == "medium"
    assert "Controls: SOC2:CC7.2, ISO27001:A.8.15" in rule["help"]["text"]
    assert "To waive: add an entry to policies/waivers.yaml with `policy: endpoint-data-capture`" in rule["help"]["text"]
    assert "This policy cannot be waived" in rules["s3-block-public-access"]["help"]["text"]
    levels = {rid: r["defaultConfiguration"]["level"] for rid, r in rules.items()}
    assert (levels["endpoint-data-capture"], levels["tag-values-consistent"], levels["sns-topic-encryption"]) == ("error", "warning", "none")
    assert rules["sns-topic-encryption"]["defaultConfiguration"]["enabled"] is False


def test_results_levels_follow_the_gate(sarif: dict) -> None:
    levels = {(r["ruleId"], r["properties"]["outcome"]): r["level"] for r in sarif["runs"][0]["results"]}
    assert levels == {
        ("model-pinned-version", "fail"): "error",
        ("endpoint-data-capture", "fail"): "error",
        ("endpoint-min-instances", "waived"): "note",
        ("tag-values-consistent", "advisory"): "warning",
        ("registry-approved-package", "unverified"): "warning",
    }


def test_waived_result_is_suppressed_with_its_justification(sarif: dict) -> None:
    (waived,) = results_by(sarif, "endpoint-min-instances")
    assert waived["suppressions"] == [
        {
            "kind": "external",
            "state": "accepted",
            "justification": "Partner traffic stays below 1 request/s until launch; a second instance is booked for "
            "launch week. (approved by cto@example.com, expires 2999-12-31)",
            "properties": {"approver": "cto@example.com", "expires": "2999-12-31", "source": "policies/waivers.yaml:15"},
        }
    ]
    assert all("suppressions" not in r for r in sarif["runs"][0]["results"] if r is not waived)


def test_results_are_located_in_the_spec_with_the_urn(sarif: dict) -> None:
    (pinned,) = results_by(sarif, "model-pinned-version")
    (location,) = pinned["locations"]
    assert location["physicalLocation"] == {
        "artifactLocation": {"uri": "models/scoring-api.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 41},
    }
    urn = "urn:pulumi:prod::mlops-platform::mlops:model:ModelStack$mlops:sagemaker:Serving$aws:sagemaker/model:Model::scoring-api-serving-model"
    assert location["logicalLocations"] == [{"name": "scoring-api-serving-model", "fullyQualifiedName": urn, "kind": "resource"}]
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert rules[pinned["ruleIndex"]]["id"] == "model-pinned-version"
    (unverified,) = results_by(sarif, "registry-approved-package")
    assert unverified["message"]["text"].startswith("Could not verify: Approval of model package version 14")


def test_fingerprints_are_stable_and_distinct(sarif: dict) -> None:
    prints = [r["partialFingerprints"][FINGERPRINT] for r in sarif["runs"][0]["results"]]
    assert len(set(prints)) == len(prints)
    (pinned,) = results_by(sarif, "model-pinned-version")
    assert pinned["partialFingerprints"][FINGERPRINT] == fingerprint(
        "model-pinned-version", pinned["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
    )
    # Same finding in a later report (other time, other commit): same fingerprint.
    later = fixture_report()
    later["metadata"].update(generated_at="2027-01-01T00:00:00Z")
    later["metadata"]["git"]["commit"] = "0" * 40
    assert [r["partialFingerprints"] for r in json.loads(render_sarif(later))["runs"][0]["results"]] == [
        r["partialFingerprints"] for r in sarif["runs"][0]["results"]
    ]


def test_run_records_stack_decision_and_digests(sarif: dict) -> None:
    run = sarif["runs"][0]
    assert run["automationDetails"] == {"id": "mlops/prod/"}
    assert run["properties"]["decision"] == "fail"
    assert run["properties"]["commit"] == "4e254c7d0b9a1c2e3f405162738495a6b7c8d9e0"
    assert run["properties"]["sha256"]["plan"] == fixture_report()["metadata"]["sha256"]["plan"]
    assert run["invocations"][0]["endTimeUtc"] == "2026-03-02T10:15:00Z"


def test_same_report_same_bytes() -> None:
    assert render_sarif(fixture_report()) == render_sarif(fixture_report())


def test_unverified_mandatory_control_is_an_error_when_facts_are_required() -> None:
    import xml.etree.ElementTree as ET

    from mlops.reports import render_junit

    report = fixture_report()
    report["require_verified"] = True
    report["unverified"][0]["blocking"] = True
    for check in report["checks"]:
        if check["outcome"] == "unverified":
            check["outcome"] = "fail"
    report["counts"]["blocking"] = 3
    (result,) = results_by(json.loads(render_sarif(report)), "registry-approved-package")
    assert (result["level"], result["properties"]["outcome"]) == ("error", "fail")
    assert result["message"]["text"].startswith("Could not verify: ")
    root = ET.fromstring(render_junit(report).encode())
    assert (root.get("failures"), root.get("skipped")) == ("3", "1")
