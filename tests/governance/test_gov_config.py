"""Governance config files validated like specs: waiver selectors, parameters and their schema, METADATA, `mlops validate`."""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from gov_fixtures import KMS_RULE, PARAMETERS, policy_source, write
from hypothesis import event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from mlops.cli import app
from mlops.errors import InputError
from mlops.governance.bundle import PolicyBundle, load_bundle, parse_data, read_data
from mlops.governance.enforcement import load_enforcement
from mlops.governance.waivers import load_waivers

REPO = Path(__file__).resolve().parents[2]
SHIPPED_PARAMETERS = REPO / "policies" / "data" / "parameters.json"
SHIPPED_SCHEMA = REPO / "policies" / "data" / "parameters.schema.json"
MODELS = {"churn-predictor", "fraud-detector", "ticket-router"}
UNSPECIFIC = (
    "expected a URN or a URN glob naming a stack, type or resource, but this glob matches every URN; narrow it "
    "(e.g. urn:pulumi:prod::*::aws:s3/bucket:Bucket::fraud-detector-*) or waive one model's resources with 'model'"
)


@pytest.fixture
def bundle(library: Path) -> PolicyBundle:
    return load_bundle(library)


def waiver(selector: str, *, policy: str = "endpoint-kms-encryption", environments: str | None = None) -> str:
    lines = ["waivers:", f"  - policy: {policy}", f"    {selector}"]
    lines += [f"    environments: {environments}"] if environments else []
    return "\n".join([*lines, "    reason: Because.", "    approver: jane.doe@example.com", "    expires: 2027-03-31", ""])


def problems_of(load: Callable[[], object]) -> list[str]:
    with pytest.raises(InputError) as error:
        load()
    return error.value.problems


@pytest.mark.parametrize("glob", ["'*'", "'**'", "'urn:*'", "'urn:pulumi:*'", "'*::*'", "'?*'", "'urn:pulumi:*::*::*::*'"])
def test_a_resource_glob_matching_every_urn_is_refused(bundle: PolicyBundle, tmp_path: Path, glob: str) -> None:
    path = write(tmp_path / "waivers.yaml", waiver(f"resource: {glob}"))
    assert problems_of(lambda: load_waivers(path, bundle)) == [f"{path}:3: waivers[0].resource: {UNSPECIFIC}; found {glob}"]


@pytest.mark.parametrize(
    "glob",
    [
        "urn:pulumi:prod::*",
        "urn:pulumi:*::*::aws:s3/bucket:Bucket::*",
        "*::fraud-detector-config",
        "urn:pulumi:prod::mlops-platform::aws:sagemaker/endpointConfiguration:EndpointConfiguration::fraud-detector-config",
    ],
)
def test_a_resource_glob_naming_a_stack_type_or_resource_is_specific(bundle: PolicyBundle, tmp_path: Path, glob: str) -> None:
    path = write(tmp_path / "waivers.yaml", waiver(f"resource: '{glob}'"))
    assert [w.resource for w in load_waivers(path, bundle)] == [glob]


def test_a_model_no_stack_deploys_is_refused(bundle: PolicyBundle, tmp_path: Path) -> None:
    path = write(tmp_path / "waivers.yaml", waiver("model: fraud-detecter"))
    assert problems_of(lambda: load_waivers(path, bundle, MODELS)) == [
        f"{path}:3: waivers[0].model: expected the name of a model of the stacks' specs "
        "(churn-predictor, fraud-detector, ticket-router); found 'fraud-detecter'"
    ]


def test_model_names_are_checked_only_when_given(bundle: PolicyBundle, tmp_path: Path) -> None:
    path = write(tmp_path / "waivers.yaml", waiver("model: fraud-detecter"))
    assert [w.model for w in load_waivers(path, bundle)] == ["fraud-detecter"]


@pytest.mark.parametrize("selector", ["model: fraud-detector", "resource: 'urn:pulumi:prod::*::fraud-detector-config'"])
def test_an_every_environment_waiver_of_a_prod_mandatory_policy_stays_allowed_when_specific(
    bundle: PolicyBundle, tmp_path: Path, selector: str
) -> None:
    # endpoint-kms-encryption is high severity: mandatory in prod by the shipped defaults.
    path = write(tmp_path / "waivers.yaml", waiver(selector))
    (loaded,) = load_waivers(path, bundle, MODELS)
    assert (loaded.policy, loaded.environments) == ("endpoint-kms-encryption", None)


def test_without_a_bundle_only_the_policy_ids_go_unchecked(tmp_path: Path) -> None:
    path = write(tmp_path / "waivers.yaml", waiver("resource: '**'", policy="any-policy"))
    assert problems_of(lambda: load_waivers(path, None, MODELS)) == [f"{path}:3: waivers[0].resource: {UNSPECIFIC}; found '**'"]


def parameters_line(text: str, needle: str, after: str = "") -> int:
    start = text.index(after) if after else 0
    return text.count("\n", 0, text.index(needle, start)) + 1


def test_shipped_schema_requires_exactly_the_parameters_the_policies_read() -> None:
    used = {
        name
        for path in (REPO / "policies").rglob("*.rego")
        if not path.name.endswith("_test.rego")
        # `data.parameters.prod` selects an environment (lib/resources.rego's fallback), not a parameter.
        for name in re.findall(r"(?<!data\.)\bparameters\.([a-z_]+)", path.read_text())
    }
    schema = json.loads(SHIPPED_SCHEMA.read_text())
    environment = schema["$defs"]["environment"]
    assert set(environment["required"]) == set(environment["properties"]) == used
    assert schema["properties"]["parameters"]["required"] == ["dev", "staging", "prod"]
    assert load_bundle(REPO / "policies").data["parameters"]["prod"]["min_endpoint_instances"] == 2


@pytest.fixture
def shipped_data(tmp_path: Path) -> Path:
    """A copy of the shipped parameters and schema, to break."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(SHIPPED_SCHEMA, data / SHIPPED_SCHEMA.name)
    return shutil.copy(SHIPPED_PARAMETERS, data / SHIPPED_PARAMETERS.name)


def parse(path: Path) -> dict[str, Any]:
    return parse_data({path: read_data(path)})


def test_a_missing_parameter_names_the_environment_and_the_key(shipped_data: Path) -> None:
    text = shipped_data.read_text()
    shipped_data.write_text(text.replace('"require_vpc": true,', "", 1))
    line = parameters_line(text, '"staging"')
    assert problems_of(lambda: parse(shipped_data)) == [f"{shipped_data}:{line}: parameters.staging.require_vpc: required field is missing"]


def test_a_parameter_of_the_wrong_type(shipped_data: Path) -> None:
    text = shipped_data.read_text()
    shipped_data.write_text(text.replace('"max_total_instances": 24', '"max_total_instances": "24"'))
    line = parameters_line(text, '"max_total_instances": 24')
    assert problems_of(lambda: parse(shipped_data)) == [
        f'{shipped_data}:{line}: parameters.prod.max_total_instances: expected an integer; found "24"'
    ]


def test_an_unknown_parameter_or_environment(shipped_data: Path) -> None:
    document = json.loads(shipped_data.read_text())
    document["parameters"]["dev"]["require_vpn"] = True
    document["parameters"]["qa"] = document["parameters"]["dev"]
    shipped_data.write_text(json.dumps(document, indent=1))
    text = shipped_data.read_text()
    allowed = ", ".join(sorted(json.loads(SHIPPED_SCHEMA.read_text())["$defs"]["environment"]["properties"]))
    vpn, qa = parameters_line(text, "require_vpn"), parameters_line(text, '"qa"')
    assert problems_of(lambda: parse(shipped_data)) == [
        f"{shipped_data}:{vpn}: parameters.dev.require_vpn: unknown field 'require_vpn'; expected one of: {allowed}",
        f"{shipped_data}:{qa}: parameters.qa: unknown field 'qa'; expected one of: dev, prod, staging",
    ]


def test_a_missing_environment_and_a_regular_expression_that_does_not_compile(shipped_data: Path) -> None:
    document = json.loads(shipped_data.read_text())
    del document["parameters"]["staging"]
    document["parameters"]["dev"]["instance_storage_pattern"] = "^ml\\.(g5"
    shipped_data.write_text(json.dumps(document, indent=1))
    text = shipped_data.read_text()
    assert problems_of(lambda: parse(shipped_data)) == [
        f"{shipped_data}:2: parameters.staging: required field is missing",
        f'{shipped_data}:{parameters_line(text, "instance_storage_pattern")}: parameters.dev.instance_storage_pattern: '
        'expected a valid regular expression; found "^ml\\\\.(g5"',
    ]


def test_json_syntax_errors_name_line_and_column(shipped_data: Path) -> None:
    shipped_data.write_text('{\n  "parameters": {\n    "dev": {"require_vpc": tru}\n  }\n}\n')
    assert problems_of(lambda: parse(shipped_data)) == [f"{shipped_data}:3:28: invalid JSON: Expecting value; fix the data file"]


def test_a_repeated_key_is_an_error_not_the_last_one_wins(shipped_data: Path) -> None:
    shipped_data.write_text('{\n  "parameters": {\n    "dev": {},\n    "dev": {}\n  }\n}\n')
    assert problems_of(lambda: parse(shipped_data)) == [f'{shipped_data}:4: duplicate key "dev" (first on line 3); remove one of them']


def test_data_is_read_through_the_bounded_reader(shipped_data: Path) -> None:
    shipped_data.write_text(" " * 65 * 1024 + "{}")
    with pytest.raises(InputError) as error:
        read_data(shipped_data)
    assert str(error.value) == (
        f"{shipped_data}: file is larger than the 64 KiB limit for policy data files; "
        "check that it is the right file and remove what does not belong in it"
    )
    shipped_data.unlink()
    os.mkfifo(shipped_data)
    with pytest.raises(InputError) as error:
        read_data(shipped_data)
    assert str(error.value) == f"{shipped_data}: not a regular file but a FIFO (named pipe); give the path of a regular policy data file"


def test_a_data_file_needs_its_schema(shipped_data: Path) -> None:
    (shipped_data.parent / SHIPPED_SCHEMA.name).unlink()
    assert problems_of(lambda: parse(shipped_data)) == [
        f"{shipped_data}: no JSON Schema beside it; add parameters.schema.json (draft 2020-12) requiring every key the policies read"
    ]


def test_a_misspelt_custom_metadata_key_is_an_error(library: Path) -> None:
    path = write(library / "bad" / "typo.rego", policy_source("mlops.bad.typo", KMS_RULE, policy_id="bad-typo", custom={"waiveable": "false"}))
    assert problems_of(lambda: load_bundle(library)) == [
        f"{path}:8: METADATA.custom.waiveable: unknown field 'waiveable'; expected one of: controls, id, needs, resource_local, resource_types, severity, waivable"
    ]


def test_every_metadata_and_data_problem_is_reported_together(library: Path) -> None:
    broken_yaml = write(library / "bad" / "a.rego", policy_source("mlops.bad.a", KMS_RULE, policy_id="bad-a", controls="[SOC2:CC6.1"))
    bad_severity = write(library / "bad" / "b.rego", policy_source("mlops.bad.b", KMS_RULE, policy_id="bad-b", severity="severe"))
    parameters = write(library / "data" / "parameters.json", json.dumps({"parameters": PARAMETERS["parameters"] | {"prod": {}}}))
    with pytest.raises(InputError) as error:
        load_bundle(library)
    assert error.value.message == f"{library}: 3 problem(s) in the policies' METADATA and data"
    assert error.value.problems == [
        f"{broken_yaml}:8:1: invalid YAML: while parsing a flow sequence, did not find expected ',' or ']'",
        f"{bad_severity}:6: METADATA.custom.severity: expected 'low', 'medium', 'high' or 'critical'; found 'severe'",
        f"{parameters}:1: parameters.prod.min_instances: required field is missing",
    ]


def test_validate_reports_every_problem_of_every_governance_file_at_once(project: Path) -> None:
    policies = project / "policies"
    waivers = write(policies / "waivers.yaml", waiver("resource: '*'") + waiver("model: fraud-detecter").removeprefix("waivers:\n"))
    enforcement = policies / "enforcement.yaml"
    enforcement.write_text(enforcement.read_text().replace("critical: mandatory}", "critical: blocking}", 1))
    parameters = policies / "data" / "parameters.json"
    text = parameters.read_text()
    parameters.write_text(text.replace('"require_monitoring": true,', "", 1))
    tags = policies / "tags" / "required_tags.rego"
    tags.write_text(tags.read_text().replace("#   severity: medium", "#   severity: urgent"))

    result = CliRunner().invoke(app, ["validate", "-C", str(project)])

    assert result.exit_code == 2
    staging = parameters_line(text, '"staging"')
    assert result.output.splitlines() == [
        "error: 5 problem(s) found",
        f"  {tags}:6: METADATA.custom.severity: expected 'low', 'medium', 'high' or 'critical'; found 'urgent'",
        f"  {parameters}:{staging}: parameters.staging.require_monitoring: required field is missing",
        f"  {enforcement}:{parameters_line(enforcement.read_text(), 'staging:')}: defaults.staging.critical: "
        "expected 'mandatory', 'advisory' or 'disabled'; found 'blocking'",
        f"  {waivers}:3: waivers[0].resource: {UNSPECIFIC}; found '*'",
        f"  {waivers}:8: waivers[1].model: expected the name of a model of the stacks' specs "
        "(churn-predictor, fraud-detector, ticket-router); found 'fraud-detecter'",
    ]


# Property tests: any edit of the files a user writes either loads or is an InputError naming
# the file, never another exception; each example well under the deadline.
PROPERTY_SETTINGS = settings(derandomize=True, database=None, deadline=500, max_examples=120)
SYNTAX = list(':-[]{}"\',\n #*&!|>\\\t0.') + ["true", "null", "2027-02-30", "~", "<<"]
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12) | st.sampled_from(["*", "prod", "mandatory"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def character_edits(text: str) -> st.SearchStrategy[str]:
    """`text` with one to four characters or tokens inserted, deleted or replaced."""
    edit = st.tuples(
        st.sampled_from(["insert", "delete", "replace"]),
        st.integers(0, len(text)),
        st.characters(codec="utf-8") | st.sampled_from(SYNTAX),
    )

    def apply(edits: list[tuple[str, int, str]]) -> str:
        out = text
        for kind, at, piece in edits:
            at = min(at, len(out))
            out = out[:at] + ("" if kind == "delete" else piece) + out[at + (kind != "insert") :]
        return out

    return st.lists(edit, min_size=1, max_size=4).map(apply)


@st.composite
def value_edits(draw: st.DrawFn, document: Any) -> Any:
    """`document` with one value replaced or deleted, or one added, somewhere in it."""
    document = copy.deepcopy(document)
    container: Any = None
    key: Any = None
    node = document
    while isinstance(node, (dict, list)) and node and draw(st.integers(0, 3)):
        container, key = node, draw(st.sampled_from(list(node) if isinstance(node, dict) else range(len(node))))
        node = container[key]
    if container is None:
        return draw(VALUES)
    kind = draw(st.sampled_from(["replace", "delete", "add"]))
    if kind == "replace":
        container[key] = draw(VALUES)
    elif kind == "delete":
        del container[key]
    elif isinstance(container, dict):
        container[draw(st.text(max_size=12))] = draw(VALUES)
    else:
        container.insert(key, draw(VALUES))
    return document


def loads_or_refuses(path: Path, text: str, load: Callable[[], object]) -> None:
    path.write_text(text, encoding="utf-8")
    try:
        load()
    except InputError as error:
        assert str(path) in str(error)
        event("refused")
    else:
        event("loaded")


@pytest.fixture(scope="module")
def shipped_bundle() -> PolicyBundle:
    return load_bundle(REPO / "policies")


@pytest.fixture(scope="module")
def edits_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("edits")
    shutil.copy(SHIPPED_SCHEMA, folder / SHIPPED_SCHEMA.name)
    return folder


WAIVERS = waiver("model: fraud-detector", environments="[prod]") + waiver(
    "resource: 'urn:pulumi:prod::*::ticket-router-*'", policy="required-tags"
).removeprefix("waivers:\n")
ENFORCEMENT = (REPO / "policies" / "enforcement.yaml").read_text()
PARAMETERS_TEXT = SHIPPED_PARAMETERS.read_text()


def load_both_waivers(path: Path, bundle: PolicyBundle) -> None:
    load_waivers(path, bundle, MODELS)
    load_waivers(path, None)


def load_both_enforcements(path: Path, bundle: PolicyBundle) -> None:
    load_enforcement(path, bundle)
    load_enforcement(path, None)


def test_the_edited_files_start_out_valid(shipped_bundle: PolicyBundle, edits_dir: Path) -> None:
    loads = [
        (edits_dir / "waivers.yaml", WAIVERS, lambda path: load_both_waivers(path, shipped_bundle)),
        (edits_dir / "enforcement.yaml", ENFORCEMENT, lambda path: load_both_enforcements(path, shipped_bundle)),
        (edits_dir / "parameters.json", PARAMETERS_TEXT, parse),
    ]
    for path, text, load in loads:
        path.write_text(text)
        load(path)


@PROPERTY_SETTINGS
@given(text=st.one_of(character_edits(WAIVERS), value_edits(yaml.safe_load(WAIVERS)).map(yaml.safe_dump)))
def test_edited_waivers_load_or_are_input_errors(shipped_bundle: PolicyBundle, edits_dir: Path, text: str) -> None:
    path = edits_dir / "waivers.yaml"
    loads_or_refuses(path, text, lambda: load_both_waivers(path, shipped_bundle))


@PROPERTY_SETTINGS
@given(text=st.one_of(character_edits(ENFORCEMENT), value_edits(yaml.safe_load(ENFORCEMENT)).map(yaml.safe_dump)))
def test_edited_enforcement_loads_or_is_an_input_error(shipped_bundle: PolicyBundle, edits_dir: Path, text: str) -> None:
    path = edits_dir / "enforcement.yaml"
    loads_or_refuses(path, text, lambda: load_both_enforcements(path, shipped_bundle))


@PROPERTY_SETTINGS
@given(text=st.one_of(character_edits(PARAMETERS_TEXT), value_edits(json.loads(PARAMETERS_TEXT)).map(lambda d: json.dumps(d, indent=1))))
def test_edited_parameters_load_or_are_an_input_error(edits_dir: Path, text: str) -> None:
    path = edits_dir / "parameters.json"
    loads_or_refuses(path, text, lambda: parse(path))
