"""JUnit XML: one suite per enforced policy, one case per check; failures exactly where the gate blocks."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from mlops.reports import render_junit

from .conftest import fixture_report

CONFIG = "urn:pulumi:prod::mlops-platform::mlops:model:ModelStack$mlops:sagemaker:Serving$aws:sagemaker/endpointConfiguration:EndpointConfiguration::"
MODEL = "urn:pulumi:prod::mlops-platform::mlops:model:ModelStack$mlops:sagemaker:Serving$aws:sagemaker/model:Model::"


@pytest.fixture(scope="module")
def root() -> ET.Element:
    return ET.fromstring(render_junit(fixture_report()).encode("utf-8"))


def case(root: ET.Element, policy: str, urn: str) -> ET.Element:
    (found,) = [c for c in root.iter("testcase") if c.get("classname") == policy and c.get("name") == urn]
    return found


def test_totals_match_the_checks(root: ET.Element) -> None:
    report = fixture_report()
    assert root.tag == "testsuites"
    assert root.get("tests") == str(report["counts"]["checks"]) == "14"
    assert (root.get("failures"), root.get("skipped"), root.get("errors")) == ("2", "2", "0")
    assert len(list(root.iter("testcase"))) == 14
    assert sum(c.find("failure") is not None for c in root.iter("testcase")) == 2


def test_one_suite_per_enforced_policy(root: ET.Element) -> None:
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    enforced = sorted(p["id"] for p in fixture_report()["policies"] if p["enforcement"] != "disabled")
    assert sorted(suites) == enforced and "sns-topic-encryption" not in suites
    for name, suite in suites.items():
        cases = suite.findall("testcase")
        assert suite.get("tests") == str(len(cases))
        assert {c.get("classname") for c in cases} == {name}
    properties = {p.get("name"): p.get("value") for p in suites["endpoint-min-instances"].iter("property")}
    assert properties["controls"] == "SOC2:A1.2 ISO27001:A.8.14 NIST800-53:SC-5(2)"
    assert properties["enforcement"] == "mandatory"


def test_blocking_finding_fails_with_its_message_and_location(root: ET.Element) -> None:
    failure = case(root, "endpoint-data-capture", CONFIG + "scoring-api-serving-config").find("failure")
    assert failure is not None and failure.get("type") == "blocking"
    assert failure.get("message").startswith("Endpoint configuration scoring-api-serving-config must capture inference data")
    assert failure.text.endswith("(fix in models/scoring-api.yaml:47)")


def test_waived_and_unverified_are_skipped_with_the_reason(root: ET.Element) -> None:
    waived = case(root, "endpoint-min-instances", CONFIG + "fraud-detector-serving-config").find("skipped")
    assert waived.get("message") == (
        "waived by cto@example.com until 2999-12-31: Partner traffic stays below 1 request/s until launch; "
        "a second instance is booked for launch week."
    )
    unverified = case(root, "registry-approved-package", MODEL + "fraud-detector-serving-model").find("skipped")
    assert unverified.get("message").startswith("unverified: Approval of model package version 14 of fraud-detector is unknown")


def test_advisory_passes_with_the_finding_in_system_out(root: ET.Element) -> None:
    advisory = case(root, "tag-values-consistent", MODEL + "fraud-detector-serving-model")
    assert advisory.find("failure") is None and advisory.find("skipped") is None
    assert advisory.find("system-out").text.startswith('advisory: Tag cost-center of fraud-detector-serving-model is "CC-1000 <legacy> & old"')


def test_passing_check_is_an_empty_case(root: ET.Element) -> None:
    passed = case(root, "endpoint-kms-encryption", CONFIG + "scoring-api-serving-config")
    assert list(passed) == []


def test_characters_xml_cannot_carry_are_replaced() -> None:
    report = fixture_report()
    report["violations"][0]["message"] = "bad\x00byte\x1b"
    root = ET.fromstring(render_junit(report).encode("utf-8"))
    failure = case(root, "model-pinned-version", MODEL + "scoring-api-serving-model").find("failure")
    assert failure.get("message") == "bad\ufffdbyte\ufffd"


def test_same_report_same_bytes() -> None:
    assert render_junit(fixture_report()) == render_junit(fixture_report())
