"""Loading the policy bundle, and every way it refuses to load."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gov_fixtures import KMS_RULE, PARAMETERS, policy_source, write
from mlops.errors import InputError, PolicyEngineError
from mlops.governance.bundle import load_bundle


def test_bundle_reads_metadata_package_and_data(library: Path) -> None:
    bundle = load_bundle(library)

    assert bundle.policy_ids == ["endpoint-kms-encryption", "endpoint-min-instances", "iam-no-wildcard-actions", "resource-owner-tag"]
    kms = bundle.policy("endpoint-kms-encryption")
    assert kms is not None
    assert (kms.title, kms.description, kms.severity) == (
        "Endpoint configurations encrypt with a KMS key",
        "Checks whether the fixture holds.",
        "high",
    )
    assert kms.controls == ["SOC2:CC6.1", "NIST800-53:SC-28"]
    assert kms.package == "mlops.encryption.endpoint_kms"
    assert kms.path == library / "encryption" / "endpoint_kms.rego"
    assert kms.waivable is True
    assert bundle.policy("iam-no-wildcard-actions").waivable is False  # type: ignore[union-attr]
    assert bundle.data == {"parameters": {"dev": {"min_instances": 1}, "staging": {"min_instances": 1}, "prod": {"min_instances": 2}}}
    assert len(bundle.sha256) == 64


def test_bundle_hash_covers_policies_and_data_but_not_tests(library: Path) -> None:
    before = load_bundle(library).sha256
    write(library / "encryption" / "endpoint_kms_test.rego", "package mlops.encryption.endpoint_kms_test\n\nimport rego.v1\n\ntest_x if true\n")
    assert load_bundle(library).sha256 == before
    assert all(not path.endswith("_test.rego") for path, _ in load_bundle(library).modules)

    parameters = PARAMETERS["parameters"] | {"prod": {"min_instances": 3}}
    write(library / "data" / "parameters.json", json.dumps({"parameters": parameters}))
    after_data = load_bundle(library).sha256
    assert after_data != before

    kms = library / "encryption" / "endpoint_kms.rego"
    kms.write_text(kms.read_text() + "\n")
    assert load_bundle(library).sha256 != after_data


def test_lib_modules_are_shared_helpers_not_policies(library: Path) -> None:
    before = load_bundle(library).sha256
    helper = write(library / "lib" / "names.rego", "package mlops.lib.names\n\nimport rego.v1\n\nlabel(r) := sprintf(\"%s (%s)\", [r.name, r.type])\n")
    rule = (
        "deny contains v if {\n\tsome r in input.resources\n\tnot r.tags.team\n"
        '\tv := {"resource": r.urn, "message": sprintf("%s must name a team", [names.label(r)])}\n}'
    )
    source = policy_source("mlops.tagging.team_tag", rule, policy_id="resource-team-tag", severity="low")
    write(library / "tagging" / "team_tag.rego", source.replace("import rego.v1\n", "import rego.v1\n\nimport data.mlops.lib.names\n"))

    bundle = load_bundle(library)
    assert "resource-team-tag" in bundle.policy_ids
    assert len(bundle.policies) == 5
    assert str(helper) in [path for path, _ in bundle.modules]
    assert bundle.sha256 != before


def test_lib_module_package_must_mirror_path(library: Path) -> None:
    helper = write(library / "lib" / "names.rego", "package mlops.helpers\n\nimport rego.v1\n\nx := 1\n")
    with pytest.raises(PolicyEngineError) as error:
        load_bundle(library)
    assert str(error.value) == (
        f"{helper}:1: package 'mlops.helpers' does not match the file's location; declare "
        f"`package mlops.lib.names` or move the file (packages mirror paths under {library})"
    )


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(PolicyEngineError) as error:
        load_bundle(tmp_path / "nowhere")
    assert str(error.value) == f"{tmp_path / 'nowhere'}: policy directory not found; point --policies at the directory holding the .rego files"


def test_no_policies_fails_closed(tmp_path: Path) -> None:
    write(tmp_path / "policies" / "a" / "b_test.rego", "package mlops.a.b_test\n\nimport rego.v1\n\ntest_x if true\n")
    with pytest.raises(PolicyEngineError) as error:
        load_bundle(tmp_path / "policies")
    assert str(error.value) == (
        f"{tmp_path / 'policies'}: no policies found; add <area>/<name>.rego files (tests end in _test.rego) with a METADATA block"
    )


def test_parse_error_names_file_and_line(library: Path) -> None:
    path = write(library / "broken" / "syntax.rego", policy_source(
        "mlops.broken.syntax", "deny contains v if {\n\tv := \n}", policy_id="broken-syntax"))
    with pytest.raises(PolicyEngineError) as error:
        load_bundle(library)
    assert str(error.value) == f"{path}:13:7: expecting `}}` while parsing set; the policy does not parse, fix it"


def test_unsafe_variable_is_caught_at_load(library: Path) -> None:
    path = write(library / "broken" / "unsafe.rego", policy_source(
        "mlops.broken.unsafe", "deny contains v if {\n\tv := undefined_thing\n}", policy_id="broken-unsafe"))
    with pytest.raises(PolicyEngineError) as error:
        load_bundle(library)
    assert str(error.value).startswith(f"{path}:13:10: var undefined_thing is unsafe")
    assert str(error.value).endswith("; declare `deny contains violation if { ... }` and fix the policy")


def test_policy_that_loops_without_input_is_stopped_at_load(library: Path) -> None:
    rule = 'deny contains v if {\n\tsome i in numbers.range(1, 100000)\n\tsome j in numbers.range(1, 100000)\n\ti * j < 0\n\tv := {"resource": "x", "message": "m"}\n}'
    write(library / "slow" / "loop.rego", policy_source("mlops.slow.loop", rule, policy_id="slow-loop"))
    with pytest.raises(PolicyEngineError) as error:
        load_bundle(library, timeout=0.5)
    assert str(error.value) == "checking the policies took over 0.5s without input; a policy loops, fix it"


def test_policy_without_deny_rule(library: Path) -> None:
    path = write(library / "broken" / "nodeny.rego", policy_source("mlops.broken.nodeny", "allow := true", policy_id="no-deny"))
    with pytest.raises(PolicyEngineError) as error:
        load_bundle(library)
    assert str(error.value) == (
        f"{path}: package mlops.broken.nodeny has no `deny` rule; declare `deny contains violation if {{ ... }}` and fix the policy"
    )


def test_missing_metadata_block(library: Path) -> None:
    path = write(library / "bare" / "policy.rego", "package mlops.bare.policy\n\nimport rego.v1\n\n" + KMS_RULE)
    with pytest.raises(InputError) as error:
        load_bundle(library)
    assert error.value.problems[0].startswith(f"{path}:1: no METADATA block directly above the package line; add one:\n# METADATA\n")


def test_duplicate_id(library: Path) -> None:
    copy = write(library / "encryption" / "copy.rego", policy_source("mlops.encryption.copy", KMS_RULE, policy_id="endpoint-kms-encryption"))
    with pytest.raises(InputError) as error:
        load_bundle(library)
    assert error.value.problems == [
        f"{library / 'encryption' / 'endpoint_kms.rego'}:5: METADATA.custom.id: duplicate policy id "
        f"'endpoint-kms-encryption', already used by {copy}; give each policy its own id"
    ]


def test_package_must_mirror_path(library: Path) -> None:
    path = write(library / "encryption" / "moved.rego", policy_source("mlops.encryption.endpoint", KMS_RULE, policy_id="moved"))
    with pytest.raises(PolicyEngineError) as error:
        load_bundle(library)
    assert str(error.value) == (
        f"{path}:8: package 'mlops.encryption.endpoint' does not match the file's location; declare "
        f"`package mlops.encryption.moved` or move the file (packages mirror paths under {library})"
    )


@pytest.mark.parametrize(
    ("field", "value", "line", "message"),
    [
        ("severity", "severe", 6, "METADATA.custom.severity: expected 'low', 'medium', 'high' or 'critical'; found 'severe'"),
        ("id", "Endpoint_KMS", 5, "METADATA.custom.id: expected a kebab-case id such as endpoint-kms-encryption; found 'Endpoint_KMS'"),
        ("controls", "[]", 7,
         "METADATA.custom.controls: expected at least one control id, such as SOC2:CC6.1 or NIST800-53:SC-28; found a list"),
        ("waivable", "sometimes", 8, "METADATA.custom.waivable: expected a valid boolean; found 'sometimes'"),
    ],
)
def test_invalid_metadata_field_names_line(library: Path, field: str, value: str, line: int, message: str) -> None:
    kwargs = {"policy_id": "bad-field", "severity": "high", "controls": "[SOC2:CC6.1]", "waivable": "true"}
    kwargs[{"id": "policy_id"}.get(field, field)] = value
    path = write(library / "bad" / "field.rego", policy_source("mlops.bad.field", KMS_RULE, **kwargs))
    with pytest.raises(InputError) as error:
        load_bundle(library)
    assert error.value.message == f"{library}: 1 problem(s) in the policies' METADATA and data"
    assert error.value.problems == [f"{path}:{line}: {message}"]


def test_missing_title(library: Path) -> None:
    source = policy_source("mlops.bad.title", KMS_RULE, policy_id="no-title").replace("# title: A fixture policy\n", "")
    path = write(library / "bad" / "title.rego", source)
    with pytest.raises(InputError) as error:
        load_bundle(library)
    assert error.value.problems == [f"{path}:1: METADATA.title: required field is missing"]


def test_invalid_json_data(library: Path) -> None:
    path = write(library / "data" / "parameters.json", '{"parameters": {"prod": {"min_instances": 2,}}}')
    with pytest.raises(InputError) as error:
        load_bundle(library)
    assert error.value.problems == [f"{path}:1:45: invalid JSON: Expecting property name enclosed in double quotes; fix the data file"]


def test_data_file_must_wrap_its_content_in_its_name(library: Path) -> None:
    path = write(library / "data" / "parameters.json", json.dumps({"prod": {"min_instances": 2}}))
    with pytest.raises(InputError) as error:
        load_bundle(library)
    assert error.value.problems == [
        f"{path}:1: expected a JSON object with the single key 'parameters' holding an object "
        "(policies read it as data.parameters); found 'prod'"
    ]
