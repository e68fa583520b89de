"""The Rego unit-test runner behind `mlops policy test`."""

from __future__ import annotations

from pathlib import Path

import pytest
from gov_fixtures import write
from mlops.errors import PolicyEngineError
from mlops.governance.rego_tests import run_rego_tests

KMS_TESTS = """\
package mlops.encryption.endpoint_kms_test

import rego.v1

import data.mlops.encryption.endpoint_kms

config := {"urn": "u", "name": "c", "type": "aws:sagemaker/endpointConfiguration:EndpointConfiguration", "inputs": {}}

test_missing_key_is_denied if {
	endpoint_kms.deny == {{"resource": "u", "message": "Endpoint configuration c must set kmsKeyArn"}} with input as {"resources": [config]}
}

test_missing_key_is_denied if {
	count(endpoint_kms.deny) == 0 with input as {"resources": []}
}

test_parameters_are_loaded if {
	data.parameters.prod.min_instances == 2
}

test_wrong_expectation if {
	count(endpoint_kms.deny) == 5 with input as {"resources": [config]}
}

test_not_boolean := 7

test_errors if {
	x := 1 / 0
	x > 1
}
"""


def test_reports_each_test_outcome(library: Path) -> None:
    path = write(library / "encryption" / "endpoint_kms_test.rego", KMS_TESTS)
    report = run_rego_tests(library)

    outcomes = {r.test.rule: (r.status, r.detail) for r in report.results}
    assert outcomes == {
        "test_missing_key_is_denied": ("passed", ""),
        "test_parameters_are_loaded": ("passed", ""),
        "test_wrong_expectation": ("failed", "undefined: an expression in the test body did not hold"),
        "test_not_boolean": ("failed", "evaluated to 7, expected true"),
        "test_errors": ("errored", f"{path}:28:12: divide by zero"),
    }
    first = report.results[0].test
    assert (first.package, first.path, first.line) == ("mlops.encryption.endpoint_kms_test", path, 9)
    assert (report.count("passed"), report.count("failed"), report.count("errored")) == (2, 2, 1)
    assert report.ok is False


def test_all_passing_is_ok(library: Path) -> None:
    passing = "\n".join(KMS_TESTS.split("\ntest_wrong_expectation")[:1]) + "\n"
    write(library / "encryption" / "endpoint_kms_test.rego", passing)
    report = run_rego_tests(library)
    assert [r.status for r in report.results] == ["passed", "passed"]
    assert report.ok is True


def test_zero_tests_is_not_a_success(library: Path) -> None:
    report = run_rego_tests(library)
    assert report.results == []
    assert report.ok is False


def test_test_module_that_does_not_parse(library: Path) -> None:
    path = write(library / "encryption" / "endpoint_kms_test.rego", "package mlops.encryption.endpoint_kms_test\n\ntest_x if {\n")
    with pytest.raises(PolicyEngineError, match=r"; fix the module before running tests$") as error:
        run_rego_tests(library)
    assert str(error.value).startswith(f"{path}:")
