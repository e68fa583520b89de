"""Spec and stack-config validation: every class of bad input gets a message naming file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops.errors import ExitCode, InputError
from mlops.specs.loader import load_spec, load_specs, load_stack_settings

from .conftest import VALID_SPEC


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(excinfo: pytest.ExceptionInfo[InputError]) -> list[str]:
    return excinfo.value.problems or [excinfo.value.message]


def test_valid_spec_loads_with_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, "m.yaml", VALID_SPEC.format(name="m"))
    spec = load_spec(path, "dev")
    assert spec.name == "m"
    assert spec.serving.initial_instance_count == 1
    assert spec.registry.approval.value == "manual"


def test_yaml_syntax_error_names_file_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "m.yaml", "metadata:\n  name: [unclosed\n")
    with pytest.raises(InputError) as e:
        load_spec(path, "dev")
    assert e.value.exit_code == ExitCode.INVALID_INPUT
    assert str(e.value).startswith(f"{path}:3:1: invalid YAML: ")


def test_unknown_field_lists_the_accepted_ones(tmp_path: Path) -> None:
    text = VALID_SPEC.format(name="m").replace("serving:\n", "serving:\n  autoscalling: {}\n")
    path = write(tmp_path, "m.yaml", text)
    with pytest.raises(InputError) as e:
        load_spec(path, "dev")
    line = text.splitlines().index("  autoscalling: {}") + 1
    assert problems_of(e) == [
        f"{path}:{line}: serving.autoscalling: unknown field 'autoscalling'; expected one of: async_inference, "
        "autoscaling, batch, data_capture, deployment, environment, image_uri, initial_instance_count, instance_type, mode, "
        "network_isolation, serverless, shadow, variants"
    ]


def test_wrong_type_says_expected_and_found(tmp_path: Path) -> None:
    text = VALID_SPEC.format(name="m").replace("  instance_type: ml.m5.large\n", "  instance_type: ml.m5.large\n  initial_instance_count: two\n")
    path = write(tmp_path, "m.yaml", text)
    with pytest.raises(InputError) as e:
        load_spec(path, "dev")
    line = text.splitlines().index("  initial_instance_count: two") + 1
    assert problems_of(e) == [
        f"{path}:{line}: serving.initial_instance_count: expected a valid integer, unable to parse string as an integer; found 'two'"
    ]


def test_negative_count_is_out_of_range(tmp_path: Path) -> None:
    text = VALID_SPEC.format(name="m").replace("  inputs:", "  instance_count: -1\n  inputs:")
    path = write(tmp_path, "m.yaml", text)
    with pytest.raises(InputError) as e:
        load_spec(path, "dev")
    line = text.splitlines().index("  instance_count: -1") + 1
    assert problems_of(e) == [f"{path}:{line}: training.instance_count: expected greater than or equal to 1; found -1"]


def test_autoscaling_min_above_max_is_rejected(tmp_path: Path) -> None:
    text = VALID_SPEC.format(name="m") + "  autoscaling: {min_capacity: 4, max_capacity: 2, target_invocations_per_instance: 100}\n"
    path = write(tmp_path, "m.yaml", text)
    with pytest.raises(InputError) as e:
        load_spec(path, "dev")
    line = len(text.splitlines())
    assert problems_of(e) == [f"{path}:{line}: serving.autoscaling: min_capacity (4) must not exceed max_capacity (2)"]


def test_name_aws_would_reject(tmp_path: Path) -> None:
    path = write(tmp_path, "m.yaml", VALID_SPEC.format(name="Fraud_Model"))
    with pytest.raises(InputError) as e:
        load_spec(path, "dev")
    assert problems_of(e) == [
        f"{path}:2: metadata.name: expected text matching '^[a-z0-9](-?[a-z0-9])*$'; found 'Fraud_Model'"
    ]


def test_undefined_feature_group_reference(tmp_path: Path) -> None:
    text = VALID_SPEC.format(name="m").replace("feature_group: events}", "feature_group: clicks}")
    path = write(tmp_path, "m.yaml", text)
    with pytest.raises(InputError) as e:
        load_spec(path, "dev")
    line = text.splitlines().index("    - {channel: train, feature_group: clicks}") + 1
    assert problems_of(e) == [
        f"{path}:{line}: training.inputs[0].feature_group: 'clicks' is not defined; defined feature groups: ['events']"
    ]


def test_override_error_points_at_the_override_line(tmp_path: Path) -> None:
    text = VALID_SPEC.format(name="m") + "environments:\n  prod:\n    serving:\n      initial_instance_count: 0\n"
    path = write(tmp_path, "m.yaml", text)
    assert load_spec(path, "dev").serving.initial_instance_count == 1
    with pytest.raises(InputError) as e:
        load_spec(path, "prod")
    assert e.value.message == f"{path}: invalid model spec for environment 'prod'"
    assert problems_of(e) == [f"{path}:{len(text.splitlines())}: serving.initial_instance_count: expected greater than or equal to 1; found 0"]


def test_unknown_environment_in_overrides(tmp_path: Path) -> None:
    path = write(tmp_path, "m.yaml", VALID_SPEC.format(name="m") + "environments:\n  qa:\n    serving: {}\n")
    with pytest.raises(InputError) as e:
        load_spec(path, "dev")
    assert str(e.value) == f"{path}:{len(VALID_SPEC.splitlines()) + 2}: environments.qa: unknown environment; expected one of: dev, staging, prod"


def test_duplicate_model_names_across_files(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", VALID_SPEC.format(name="a"))
    write(tmp_path, "b.yaml", VALID_SPEC.format(name="a"))
    with pytest.raises(InputError) as e:
        load_specs(tmp_path, "dev", "acme")
    assert problems_of(e) == [f"{tmp_path / 'b.yaml'}: metadata.name: duplicate model name 'a', already defined in {tmp_path / 'a.yaml'}"]


def test_file_name_must_match_model_name(tmp_path: Path) -> None:
    write(tmp_path, "other.yaml", VALID_SPEC.format(name="m"))
    with pytest.raises(InputError) as e:
        load_specs(tmp_path, "dev", "acme")
    assert problems_of(e) == [f"{tmp_path / 'other.yaml'}: metadata.name: 'm' must match the file name 'other'; rename one of them"]


def test_names_too_long_for_sagemaker_with_the_stack_prefix(tmp_path: Path) -> None:
    name = "a" * 32
    write(tmp_path, f"{name}.yaml", VALID_SPEC.format(name=name))
    with pytest.raises(InputError) as e:
        load_specs(tmp_path, "staging", "platformteam")
    assert problems_of(e)[0].startswith(f"{tmp_path / (name + '.yaml')}: metadata.name: '{name}' is too long for this stack")


def test_every_problem_of_every_file_is_reported_at_once(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", VALID_SPEC.format(name="a").replace("risk_tier: medium", "risk_tier: extreme"))
    write(tmp_path, "b.yaml", VALID_SPEC.format(name="b").replace("threshold: 0.8", "threshold: high"))
    with pytest.raises(InputError) as e:
        load_specs(tmp_path, "dev", "acme")
    assert e.value.message == f"{tmp_path}: 2 problem(s) in model specs for environment 'dev'"
    assert [p.split(": ")[1] for p in problems_of(e)] == ["metadata.risk_tier", "training.evaluation.threshold"]


def test_serverless_cannot_capture_data(tmp_path: Path) -> None:
    text = VALID_SPEC.format(name="m").replace("  instance_type: ml.m5.large\n", "  mode: serverless\n")
    path = write(tmp_path, "m.yaml", text)
    with pytest.raises(InputError) as e:
        load_spec(path, "dev")
    assert problems_of(e)[0].endswith("serving: serverless endpoints do not support data capture; set data_capture.enabled: false")


def test_stack_config_unknown_key_and_bad_region(empty_project: Path) -> None:
    path = empty_project / "Pulumi.dev.yaml"
    path.write_text(
        "config:\n  aws:region: europe\n  mlops:environment: dev\n  mlops:namePrefix: acme\n"
        "  mlops:owner: a@example.com\n  mlops:team: t\n  mlops:costCenter: c\n  mlops:alertMail: x@example.com\n"
    )
    with pytest.raises(InputError) as e:
        load_stack_settings(empty_project, "dev")
    assert problems_of(e) == [
        f"{path}:8: mlops:alertMail: unknown setting; expected one of: mlops:environment, mlops:namePrefix, mlops:owner, "
        "mlops:team, mlops:costCenter, mlops:alertEmail, mlops:network, mlops:modelsDir, mlops:policyTimeout, mlops:opaUrl, "
        "mlops:experimentTracking"
    ]
    path.write_text(path.read_text().replace("  mlops:alertMail: x@example.com\n", ""))
    with pytest.raises(InputError) as e:
        load_stack_settings(empty_project, "dev")
    assert problems_of(e) == [
        f"{path}:2: aws:region: expected text matching '^[a-z]{{2}}(-gov|-iso[a-z]*)?-[a-z]+-\\d$'; found 'europe'"
    ]


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ('""', "must name a folder inside the project, not the project root itself; found ''"),
        ("'.'", "must name a folder inside the project, not the project root itself; found '.'"),
        ("../shared/models", "must be a path inside the project, relative to its root and without '..'; found '../shared/models'"),
        ("/etc", "must be a path inside the project, relative to its root and without '..'; found '/etc'"),
    ],
)
def test_models_dir_stays_inside_the_project(empty_project: Path, value: str, why: str) -> None:
    path = empty_project / "Pulumi.dev.yaml"
    path.write_text(path.read_text().replace("  mlops:team:", f"  mlops:modelsDir: {value}\n  mlops:team:", 1))
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "mlops:modelsDir" in text)
    with pytest.raises(InputError) as e:
        load_stack_settings(empty_project, "dev")
    assert problems_of(e) == [f"{path}:{line}: mlops:modelsDir: {why}"]


def test_entry_point_stays_inside_the_project(tmp_path: Path) -> None:
    text = VALID_SPEC.format(name="m").replace("training:\n", "training:\n  entry_point: ../../etc/passwd\n", 1)
    path = write(tmp_path, "m.yaml", text)
    with pytest.raises(InputError) as e:
        load_spec(path, "dev")
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "entry_point" in text)
    assert problems_of(e) == [
        f"{path}:{line}: training.entry_point: must be a path inside the project, relative to its root and without '..'; "
        "found '../../etc/passwd'"
    ]


def test_missing_stack_file_lists_available_stacks(empty_project: Path) -> None:
    with pytest.raises(InputError) as e:
        load_stack_settings(empty_project, "qa")
    assert str(e.value) == f"{empty_project / 'Pulumi.qa.yaml'}: stack 'qa' has no config file; available stacks: dev, local, prod, staging"


def test_example_models_are_valid_in_every_environment() -> None:
    from .conftest import REPO

    for environment in ("dev", "staging", "prod"):
        names = [s.spec.name for s in load_specs(REPO / "models", environment, "acme")]
        assert names == ["churn-predictor", "fraud-detector", "ticket-router"]


def test_stack_settings_that_become_tags_follow_aws_tag_rules(empty_project: Path) -> None:
    path = empty_project / "Pulumi.dev.yaml"
    path.write_text(path.read_text().replace("mlops:team: ml-platform", "mlops:team: ml platform; drop table", 1))
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "mlops:team" in text)
    with pytest.raises(InputError) as e:
        load_stack_settings(empty_project, "dev")
    (problem,) = problems_of(e)
    assert problem.startswith(f"{path}:{line}: mlops:team: ")
    assert "(SageMaker TagValue); found 'ml platform; drop table'" in problem


def test_a_long_rejected_value_is_quoted_by_its_start_and_length(tmp_path: Path) -> None:
    text = VALID_SPEC.format(name="m").replace("  evaluation:\n", "  hyperparameters:\n    note: " + "x" * 2501 + "\n  evaluation:\n", 1)
    path = write(tmp_path, "m.yaml", text)
    with pytest.raises(InputError) as e:
        load_spec(path, "dev")
    (problem,) = problems_of(e)
    assert problem.endswith("found '" + "x" * 79 + "… (2501 characters)")


def test_a_channel_named_code_would_clash_with_the_sdks_script_input(tmp_path: Path) -> None:
    path = write(tmp_path, "m.yaml", VALID_SPEC.format(name="m").replace("{channel: train,", "{channel: code,"))
    with pytest.raises(InputError) as e:
        load_spec(path, "dev")
    (problem,) = problems_of(e)
    assert problem.endswith(
        "training.inputs[0].channel: 'code' is the name of the processing script's own input; name the channel otherwise; found 'code'"
    )


MODEL_QUALITY = "monitoring:\n  model_quality:\n    ground_truth_s3_uri: s3://acme-labels/truth/\n"


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ("problem_type: BinaryClassification\n    probability_attribute: '0'\n    probability_threshold: 0.5", None),
        ("problem_type: BinaryClassification\n    inference_attribute: '0'", None),
        (
            "problem_type: BinaryClassification",
            "BinaryClassification needs the model's answer in the captured output: inference_attribute (the predicted label), "
            "or probability_attribute with probability_threshold",
        ),
        (
            "problem_type: BinaryClassification\n    probability_attribute: '0'",
            "give probability_attribute and probability_threshold together (the probability and the cut-off for the positive class)",
        ),
        ("problem_type: MulticlassClassification\n    inference_attribute: '$.label'", None),
        (
            "problem_type: MulticlassClassification\n    probability_attribute: '0'",
            "MulticlassClassification needs inference_attribute: where the predicted label is in the captured output",
        ),
        (
            "problem_type: MulticlassClassification\n    inference_attribute: '0'\n    probability_threshold: 0.5",
            "probability_threshold applies to BinaryClassification only",
        ),
        ("problem_type: Regression\n    inference_attribute: '0'", None),
        (
            "problem_type: Regression\n    inference_attribute: '0'\n    probability_attribute: '1'",
            "Regression needs inference_attribute (where the predicted value is) and no probability_attribute or probability_threshold",
        ),
    ],
)
def test_model_quality_names_the_models_answer_per_problem_type(tmp_path: Path, fields: str, problem: str | None) -> None:
    path = write(tmp_path, "m.yaml", VALID_SPEC.format(name="m") + MODEL_QUALITY + f"    {fields}\n")
    if problem is None:
        assert load_spec(path, "dev").monitoring.model_quality is not None
        return
    with pytest.raises(InputError) as e:
        load_spec(path, "dev")
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "model_quality:" in text)
    assert problems_of(e) == [f"{path}:{line}: monitoring.model_quality: {problem}"]
