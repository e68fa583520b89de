"""The resource catalogue and the aws-api-conformance control: coverage of the examples, exact
findings on values AWS refuses, unverified inputs, and specs mutated into values AWS refuses."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from mlops import resources
from mlops.cli import app
from mlops.errors import InputError, ProgramError
from mlops.governance.bundle import load_bundle
from mlops.plan import load_inputs
from mlops.plan import capture as capture_plan
from mlops.policy_input import policy_document
from mlops.replacements import RULES
from mlops.resources import api, conformance

from .conftest import REPO, copy_project

runner = CliRunner()
CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    project = copy_project(tmp_path_factory.mktemp("catalogue") / "project")
    out = {}
    for stack in ("dev", "staging", "prod"):
        inputs = load_inputs(project, stack)
        out[stack] = capture_plan(inputs, jobs=1, cache_dir=None)
    return out


def _section(plan: Any) -> dict[str, Any]:
    return policy_document(plan.stack, plan.specs, plan.resources)["conformance"]


def test_every_type_the_program_emits_has_one_catalogue_entry(plans: dict[str, Any]) -> None:
    emitted = {r["type"] for plan in plans.values() for r in plan.resources if not r["type"].startswith("mlops:")}
    assert emitted <= set(resources.CATALOGUE), sorted(emitted - set(resources.CATALOGUE))
    tokens = [entry.token for entry in resources.ENTRIES]
    assert len(tokens) == len(set(tokens))
    # Each entry's replacement rule is what the preview uses.
    assert all(RULES[e.token] is e.replacement for e in resources.ENTRIES if e.replacement)


def test_the_conformance_policy_checks_every_catalogued_type() -> None:
    policy = next(p for p in load_bundle(REPO / "policies").policies if p.id == conformance.CONTROL_ID)
    assert set(policy.resource_types) == {entry.token for entry in resources.ENTRIES}
    assert (policy.severity, policy.waivable) == ("critical", False)


def test_every_catalogued_call_names_a_real_operation() -> None:
    for entry in resources.ENTRIES:
        for call in entry.calls:
            assert api.shape_of(call.service, call.operation) is not None, (entry.token, call.operation)


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_examples_conform_with_at_least_95_percent_coverage(plans: dict[str, Any], stack: str) -> None:
    section = _section(plans[stack])
    coverage = section["coverage"]
    assert section["violations"] == [] and section["unverified"] == []
    assert (coverage["checked"] + coverage["deferred"]) / coverage["emitted"] >= 0.95, coverage
    assert coverage["untranslated"] == 0
    assert coverage["pipeline_step_values"] > 0


def _resource(plan: Any, type_token: str, model: str = "fraud-detector") -> dict[str, Any]:
    return copy.deepcopy(next(r for r in plan.resources if r["type"] == type_token and r["model"] == model))


def test_a_value_aws_refuses_is_a_violation_naming_request_field_rule_and_value(plans: dict[str, Any]) -> None:
    config = _resource(plans["prod"], CONFIG)
    config["inputs"]["productionVariants"][0]["initialInstanceCount"] = 0
    section = conformance.check([config])
    assert section["violations"] == [{
        "resource": config["urn"],
        "model": "fraud-detector",
        "service": "sagemaker",
        "operation": "CreateEndpointConfig",
        "context": "",
        "field": "ProductionVariants[0].InitialInstanceCount",
        "input": "productionVariants[0].initialInstanceCount",
        "rule": "at least 1",
        "value": "0",
        "spec_field": None,
    }]


def test_a_refused_value_from_the_spec_names_its_spec_field(plans: dict[str, Any]) -> None:
    plan = plans["prod"]
    config = _resource(plan, CONFIG)
    config["inputs"]["productionVariants"][0]["instanceType"] = "ml.m5.huge"
    specs = {s.spec.name: {**s.spec.model_dump(mode="json"), "serving": {"instance_type": "ml.m5.huge"}} for s in plan.specs}
    (violation,) = conformance.check([config], specs)["violations"]
    assert violation["spec_field"] == "serving.instance_type"
    assert violation["rule"].startswith("one of ml.m5.large, ") and violation["rule"].endswith(" values)")


def test_pipeline_steps_are_checked_as_the_job_requests_they_become(plans: dict[str, Any]) -> None:
    pipeline = _resource(plans["dev"], "aws:sagemaker/pipeline:Pipeline")
    definition = json.loads(pipeline["inputs"]["pipelineDefinition"])
    train = next(s for s in definition["Steps"] if s["Type"] == "Training")
    train["Arguments"]["StoppingCondition"]["MaxRuntimeInSeconds"] = 0
    pipeline["inputs"]["pipelineDefinition"] = json.dumps(definition)
    (violation,) = conformance.check([pipeline])["violations"]
    assert (violation["operation"], violation["context"], violation["field"], violation["rule"], violation["value"]) == (
        "CreateTrainingJob", "pipeline step Train (Training)", "StoppingCondition.MaxRuntimeInSeconds", "at least 1", "0",
    )


def test_step_arguments_resolved_at_run_time_are_not_checked_as_literals() -> None:
    definition = {
        "Version": "2020-12-01",
        "Parameters": [{"Name": "InstanceType", "Type": "String", "DefaultValue": "ml.m5.nonsense"}],
        "Steps": [{"Name": "Model", "Type": "Model", "Arguments": {
            "ExecutionRoleArn": {"Get": "Steps.Train.RoleArn"},
            "PrimaryContainer": {"Image": {"Std:Join": {"On": "/", "Values": ["a", {"Get": "Execution.PipelineName"}]}}},
        }}, {"Name": "Transform", "Type": "Transform", "Arguments": {
            "ModelName": "m", "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/k"}}},
            "TransformOutput": {"S3OutputPath": "s3://b/o"},
            "TransformResources": {"InstanceType": {"Get": "Parameters.InstanceType"}, "InstanceCount": 1},
        }}],
    }
    planned = resources.sagemaker_pipeline.step_requests({"pipelineDefinition": json.dumps(definition)})
    problems = [api.validate(p.request, deferred=conformance.deferred)[0] for p in planned]
    # Run-time expressions are deferred; a parameter's default is checked like a literal.
    assert problems[0] == []
    assert [(p.path, p.value) for p in problems[1]] == [(("TransformResources", "InstanceType"), "ml.m5.nonsense")]


def test_inputs_the_catalogue_cannot_translate_are_unverified_never_passed(plans: dict[str, Any]) -> None:
    config = _resource(plans["dev"], CONFIG)
    config["inputs"]["shadowVariantsOfTomorrow"] = [{"weight": 3}]
    unknown = {**config, "urn": config["urn"] + "-space", "type": "aws:sagemaker/space:Space", "inputs": {"spaceName": "s", "domainId": "d"}}
    section = conformance.check([config, unknown])
    assert section["violations"] == []
    assert section["unverified"] == [
        {
            "resource": config["urn"],
            "inputs": ["shadowVariantsOfTomorrow[0].weight"],
            "count": 1,
            "reason": f"the catalogue entry for {CONFIG} has no API member for these inputs",
        },
        {
            "resource": unknown["urn"],
            "inputs": ["spaceName", "domainId"],
            "count": 2,
            "reason": "no catalogue entry for aws:sagemaker/space:Space in mlops/resources, so none of its inputs is checked against AWS's API model",
        },
    ]
    assert section["coverage"]["untranslated"] == 3


def test_values_known_only_after_deployment_are_checked_by_type_only(plans: dict[str, Any]) -> None:
    alias = _resource(plans["dev"], "aws:kms/alias:Alias", model=None)
    assert alias["inputs"]["targetKeyId"].startswith("mock-")
    alias["inputs"]["targetKeyId"] = "mock-" + "k" * 3000  # over TargetKeyId's 2048, but a stand-in
    assert conformance.check([alias])["violations"] == []
    alias["inputs"]["targetKeyId"] = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # a preview's unknown string
    section = conformance.check([alias])
    assert section["violations"] == [] and section["coverage"]["deferred"] == 1


# --- Specs mutated into values AWS refuses: stopped by spec validation or by the control -------------

yaml = YAML()
MUTATIONS = ("x" * 1100, "a<b>c\u0001", 10**12, -5)


def _leaves(value: Any, path: tuple = ()) -> list[tuple[tuple, Any]]:
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in _leaves(v, (*path, k))]
    if isinstance(value, list):
        return [leaf for i, v in enumerate(value) for leaf in _leaves(v, (*path, i))]
    return [(path, value)]


# Mutations that pass spec validation, reach a request and are still accepted by AWS's model,
# each with the reason: reviewed, so a value the control lets through is never a silent gap.
ACCEPTED_BY_AWS = {
    (("feature_groups", 0, "description"), "a<b>c\u0001"): "CreateFeatureGroup Description has no pattern, only max 128",
    (("metadata", "description"), "a<b>c\u0001"): "descriptions take any character AWS's patterns allow, control characters included",
    (("training", "hyperparameters", "n_estimators"), 10**12): "hyperparameter values are strings of up to 2500 characters",
    (("training", "hyperparameters", "n_estimators"), -5): "hyperparameter values are strings of up to 2500 characters",
    (("training", "hyperparameters", "max_depth"), 10**12): "hyperparameter values are strings of up to 2500 characters",
    (("training", "hyperparameters", "max_depth"), -5): "hyperparameter values are strings of up to 2500 characters",
}


def _sent(plan: Any, value: Any) -> bool:
    """Whether a value reaches any API request the plan's resources become (pipeline steps included)."""
    needle = str(value)
    for r in plan.resources:
        entry = resources.lookup(r["type"])
        for planned in entry.requests(r["inputs"]) if entry else []:
            if any(needle in str(leaf) for _, leaf in api.leaves(planned.request.params)):
                return True
    return False


def test_every_spec_value_aws_would_refuse_is_stopped_before_the_gate_passes(tmp_path: Path) -> None:
    """Each value of a spec, replaced by one AWS refuses almost everywhere (over-long, control
    characters, out-of-range numbers): spec validation, the program or the control stops it,
    unless it reaches no request at all or AWS's model is known to accept it there."""
    project = copy_project(tmp_path / "project")
    spec_file = project / "models" / "churn-predictor.yaml"
    original = yaml.load(spec_file.read_text())
    overridden = {path[2:] for path, _ in _leaves(original.get("environments", {}).get("dev", {}), ("environments", "dev"))}
    outcomes: dict[str, int] = {"spec": 0, "program": 0, "control": 0, "not sent": 0, "accepted": 0}
    for path, value in _leaves(original):
        if path[0] == "environments" or isinstance(value, bool) or any(path[: len(o)] == o for o in overridden):
            continue
        for bad in MUTATIONS:
            if isinstance(bad, int) != isinstance(value, int):
                continue
            mutated = copy.deepcopy(original)
            node = mutated
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = bad
            text = io.StringIO()
            yaml.dump(mutated, text)
            spec_file.write_text(text.getvalue())
            try:
                inputs = load_inputs(project, "dev")
                plan = capture_plan(inputs, jobs=1, cache_dir=None)
            except InputError as error:
                outcomes["spec" if "churn-predictor.yaml" in str(error) + "".join(error.problems) else "program"] += 1
                continue
            except ProgramError:
                outcomes["program"] += 1
                continue
            if _section(plan)["violations"]:
                outcomes["control"] += 1
            elif not _sent(plan, bad):
                outcomes["not sent"] += 1
            else:
                assert (path, bad) in ACCEPTED_BY_AWS, f"{'.'.join(map(str, path))} = {str(bad)[:20]!r} reached AWS unchecked"
                outcomes["accepted"] += 1
    assert outcomes["spec"] > 40, outcomes


def test_a_program_defect_aws_would_refuse_fails_every_gate_and_points_at_the_spec(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The specs are validated against AWS's limits; the control is what catches a value the
    program itself gets wrong. Here: a production variant name AWS's pattern refuses."""
    from mlops.components import serving

    monkeypatch.setattr(serving, "PRIMARY_VARIANT", "primary variant")
    result = runner.invoke(app, ["plan", "--stack", "dev", "--no-cache", "-C", str(project)])
    assert result.exit_code == 1, result.output
    assert "Policy gate: FAIL — dev rules" in result.output
    report = json.loads((project / "reports" / "dev" / "policy-report.json").read_text())
    found = [v for v in report["violations"] if v["policy_id"] == "aws-api-conformance"]
    assert found and all(v["blocking"] and v["enforcement"] == "mandatory" for v in found)
    fraud = next(v for v in found if v["resource"].endswith("::fraud-detector-serving-config"))
    assert fraud["message"] == (
        'CreateEndpointConfig ProductionVariants[0].VariantName (input productionVariants[0].variantName) = "primary variant": '
        "must match pattern [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}; AWS refuses the request (botocore sagemaker model)"
    )
    assert fraud["location"]["file"] == "models/fraud-detector.yaml"
    assert report["conformance"]["coverage"]["emitted"] > 1000
    markdown = (project / "reports" / "dev" / "policy-report.md").read_text()
    assert "AWS API conformance: " in markdown and "input values checked against AWS's API model" in markdown


def test_a_model_is_found_through_any_variant_that_names_it_shadows_included() -> None:
    """The scan reads an auto-named model through the endpoint configuration that names it: an A/B
    challenger's and a shadow's as well as the first production variant's, matched by position."""
    from mlops.live.scan import _list_entries
    from mlops.resources import lookup
    from mlops.resources.base import parse_pattern

    via = lookup("aws:sagemaker/model:Model").read.by["ModelName"]
    inputs = {
        "productionVariants": [{"modelName": "m-primary"}, {"modelName": "m-challenger"}],
        "shadowProductionVariants": [{"modelName": "m-shadow"}],
    }
    expanded = [
        entry for pattern, answered in via.pairs for entry in _list_entries(inputs, parse_pattern(pattern), parse_pattern(answered))
    ]
    assert expanded == [
        (("productionVariants", 0, "modelName"), ("ProductionVariants", 0, "ModelName")),
        (("productionVariants", 1, "modelName"), ("ProductionVariants", 1, "ModelName")),
        (("shadowProductionVariants", 0, "modelName"), ("ShadowProductionVariants", 0, "ModelName")),
    ]
    # A configuration without shadow variants offers none.
    assert _list_entries({"productionVariants": []}, parse_pattern("shadowProductionVariants[*].modelName"), ("x", "*")) == []
