"""The spec sections of the rest of the lifecycle (bias and explainability monitors, pipeline checks,
A/B and shadow variants, batch mode, the stack's experiment tracking): what they accept, and the
file:line:field message of what they refuse."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from mlops.errors import ExitCode, InputError
from mlops.specs.loader import load_spec, load_stack_settings
from mlops.specs.model import PRIMARY_VARIANT, ModelSpec

from .conftest import VALID_SPEC

BIAS = """\
monitoring:
  bias:
    label: label
    facets:
      - {name: value}
    positive_label: [1]
    inference_attribute: "0"
    ground_truth_s3_uri: s3://acme-labels/truth/
"""


def spec_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    path = spec_file(tmp_path, text)
    with pytest.raises(InputError) as e:
        load_spec(path, "dev")
    assert e.value.exit_code == ExitCode.INVALID_INPUT
    return [p.removeprefix(f"{path}:") for p in (e.value.problems or [e.value.message])]


def with_serving(extra: str) -> str:
    return VALID_SPEC.format(name="m").replace("serving:\n  instance_type: ml.m5.large\n", f"serving:\n  instance_type: ml.m5.large\n{extra}")


def test_bias_and_explainability_monitors_load(tmp_path: Path) -> None:
    text = VALID_SPEC.format(name="m") + BIAS + "  explainability:\n    shap_baseline_s3_uri: s3://acme-labels/shap/baseline.csv\n"
    spec = load_spec(spec_file(tmp_path, text), "dev")
    assert spec.monitoring.bias.facets[0].name == "value"
    assert spec.monitoring.bias.positive_label == [1]
    assert spec.monitoring.explainability.num_samples == 100
    assert spec.monitoring.explainability.agg_method.value == "mean_abs"


def test_a_bias_facet_must_be_a_feature_of_the_model(tmp_path: Path) -> None:
    text = VALID_SPEC.format(name="m") + BIAS.replace("{name: value}", "{name: country}")
    line = text.splitlines().index("      - {name: country}") + 1
    assert problems(tmp_path, text) == [
        f"{line}: monitoring.bias.facets[0].name: 'country' is not a feature of this model; features: ['id', 'ts', 'value']"
    ]


def test_the_bias_label_is_not_a_facet_and_the_answer_is_named(tmp_path: Path) -> None:
    text = VALID_SPEC.format(name="m") + BIAS.replace("label: label", "label: value")
    line = text.splitlines().index("  bias:") + 1
    assert problems(tmp_path, text) == [f"{line}: monitoring.bias: the label 'value' cannot also be a facet"]
    text = VALID_SPEC.format(name="m") + BIAS.replace('    inference_attribute: "0"\n', "")
    assert problems(tmp_path, text)[0].endswith(
        "monitoring.bias: name the model's answer in the captured output: inference_attribute (the predicted label), "
        "or probability_attribute with probability_threshold"
    )


def test_bias_monitoring_needs_captured_endpoint_traffic(tmp_path: Path) -> None:
    text = VALID_SPEC.format(name="m").replace("serving:\n", "serving:\n  data_capture: {enabled: false}\n") + BIAS
    line = text.splitlines().index("  bias:") + 1
    assert problems(tmp_path, text) == [f"{line}: monitoring.bias: needs serving.data_capture.enabled: true"]


def test_pipeline_bias_check_takes_label_and_facets_from_monitoring_bias(tmp_path: Path) -> None:
    checks = "  checks:\n    data_quality: {}\n    bias: {}\n"
    text = VALID_SPEC.format(name="m").replace("serving:\n", checks + "serving:\n", 1)
    line = text.splitlines().index("    bias: {}") + 1
    assert problems(tmp_path, text) == [
        f"{line}: training.checks.bias: takes its label and facets from monitoring.bias; declare monitoring.bias "
        "(enabled: false if only the pipeline check is wanted)"
    ]
    disabled = BIAS.replace("  bias:\n", "  bias:\n    enabled: false\n")
    spec = load_spec(spec_file(tmp_path, text + disabled), "dev")
    assert spec.training.checks.data_quality.enabled and spec.training.checks.bias.enabled
    assert not spec.monitoring.bias.enabled


def test_ab_variants_load_and_name_the_production_variants(tmp_path: Path) -> None:
    text = with_serving(
        "  variants:\n    - {name: champion, model_version: 4, weight: 80}\n"
        "    - {name: challenger, model_version: 5, weight: 20, instance_type: ml.c5.xlarge}\n"
    )
    spec = load_spec(spec_file(tmp_path, text), "dev")
    assert spec.serving.production_variants == ["champion", "challenger"]
    assert spec.serving.all_variants == ["champion", "challenger"]


def test_variant_weights_sum_to_100(tmp_path: Path) -> None:
    text = with_serving("  variants:\n    - {name: a, model_version: 4, weight: 80}\n    - {name: b, model_version: 5, weight: 30}\n")
    line = text.splitlines().index("serving:") + 1
    assert problems(tmp_path, text) == [f"{line}: serving: variants: the weights must sum to 100, not 110"]


def test_a_shadow_is_realtime_only_and_not_beside_ab_variants(tmp_path: Path) -> None:
    spec = load_spec(spec_file(tmp_path, with_serving("  shadow: {model_version: 7, traffic_percent: 25}\n")), "dev")
    assert spec.serving.production_variants == [PRIMARY_VARIANT]
    assert spec.serving.all_variants == [PRIMARY_VARIANT, "shadow"]
    text = with_serving(
        "  shadow: {model_version: 7}\n  variants:\n    - {name: a, model_version: 4, weight: 50}\n"
        "    - {name: b, model_version: 5, weight: 50}\n"
    )
    assert problems(tmp_path, text)[0].endswith(
        "serving: give variants (A/B) or shadow, not both: SageMaker shadow tests have one production variant"
    )
    text = with_serving("  mode: async\n  shadow: {model_version: 7}\n")
    assert problems(tmp_path, text)[0].endswith("serving: variants and shadow need mode 'realtime', not 'async'")


def test_every_variant_starts_within_the_autoscaling_bounds(tmp_path: Path) -> None:
    text = with_serving(
        "  initial_instance_count: 2\n  autoscaling: {min_capacity: 2, max_capacity: 4, target_invocations_per_instance: 10}\n"
        "  shadow: {model_version: 7, initial_instance_count: 1}\n"
    )
    assert problems(tmp_path, text)[0].endswith("serving: shadow.initial_instance_count (1) must lie within the autoscaling bounds [2, 4]")


def test_batch_mode_needs_a_trigger_and_has_no_endpoint_settings(tmp_path: Path) -> None:
    batch = "  mode: batch\n  batch:\n    input_s3_uri: s3://acme-scoring/in/\n    schedule: cron(0 4 1 * ? *)\n"
    spec = load_spec(spec_file(tmp_path, with_serving(batch)), "dev")
    assert spec.serving.batch.instance_type == "ml.m5.xlarge" and spec.serving.production_variants == []
    untriggered = "  mode: batch\n  batch:\n    input_s3_uri: s3://acme-scoring/in/\n"
    assert problems(tmp_path, with_serving(untriggered))[0].endswith(
        "serving.batch: give schedule, on_new_data: true or both: nothing would start the batch pipeline"
    )
    scaled = batch + "  autoscaling: {min_capacity: 1, max_capacity: 2, target_invocations_per_instance: 10}\n"
    assert problems(tmp_path, with_serving(scaled))[0].endswith("serving: mode 'batch' has no endpoint; remove autoscaling")
    assert problems(tmp_path, with_serving("  batch:\n    input_s3_uri: s3://acme-scoring/in/\n    on_new_data: true\n"))[0].endswith(
        "serving: 'batch' settings need mode 'batch', not 'realtime'"
    )


def test_batch_mode_cannot_watch_endpoint_traffic(tmp_path: Path) -> None:
    batch = "  mode: batch\n  batch:\n    input_s3_uri: s3://acme-scoring/in/\n    on_new_data: true\n"
    text = with_serving(batch) + BIAS
    line = text.splitlines().index("  bias:") + 1
    assert problems(tmp_path, text) == [
        f"{line}: monitoring.bias: watches an endpoint's captured traffic, which mode 'batch' does not produce"
    ]


def test_transform_instance_types_are_the_apis(tmp_path: Path) -> None:
    batch = "  mode: batch\n  batch:\n    input_s3_uri: s3://acme-scoring/in/\n    on_new_data: true\n    instance_type: ml.t3.nano\n"
    problem = problems(tmp_path, with_serving(batch))[0]
    assert problem.startswith("32: serving.batch.instance_type: expected one of ")
    assert problem.endswith("(SageMaker TransformInstanceType: 116 values, all in mlops/specs/aws_limits.py); found 'ml.t3.nano'")


STACK = (
    "config:\n  aws:region: eu-west-1\n  mlops:environment: dev\n  mlops:namePrefix: acme\n"
    "  mlops:owner: a@example.com\n  mlops:team: t\n  mlops:costCenter: c\n"
)


def test_experiment_tracking_is_typed_in_the_stack_file(empty_project: Path) -> None:
    path = empty_project / "Pulumi.dev.yaml"
    path.write_text(STACK + "  mlops:experimentTracking:\n    size: Medium\n    weeklyMaintenanceWindowStart: Tue:03:30\n")
    settings_ = load_stack_settings(empty_project, "dev").settings
    assert settings_.experiment_tracking.size == "Medium"
    assert settings_.experiment_tracking.weekly_maintenance_window_start == "Tue:03:30"
    path = empty_project / "Pulumi.other.yaml"
    path.write_text(STACK + "  mlops:experimentTracking:\n    size: Huge\n")
    with pytest.raises(InputError) as e:
        load_stack_settings(empty_project, "other")
    assert e.value.problems == [
        f"{path}:9: mlops:experimentTracking.size: expected one of Large, Medium, Small (SageMaker TrackingServerSize); found 'Huge'"
    ]


# Variants as a user may write them: any names, versions and weights, two to four of them.
_VARIANT = st.fixed_dictionaries(
    {
        "name": st.sampled_from(["a", "b", "champion", "challenger", "a-b", "-x", ""]),
        "model_version": st.one_of(st.integers(min_value=-1, max_value=3), st.just(2**31)),
        "weight": st.integers(min_value=-5, max_value=105),
    }
)


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(st.lists(_VARIANT, min_size=0, max_size=4))
def test_variants_are_accepted_only_when_aws_and_the_ab_rules_would_be(variants: list[dict[str, Any]]) -> None:
    data = yaml.safe_load(VALID_SPEC.format(name="m"))
    data["serving"]["variants"] = variants
    valid = (
        (len(variants) == 0 or len(variants) >= 2)
        and all(v["name"] and not v["name"].startswith("-") for v in variants)
        and all(1 <= v["model_version"] <= 2**31 - 1 for v in variants)
        and all(0 <= v["weight"] <= 100 for v in variants)
        and (not variants or sum(v["weight"] for v in variants) == 100)
        and len({v["name"] for v in variants}) == len(variants)
    )
    try:
        spec = ModelSpec.model_validate(data)
    except ValidationError:
        assert not valid
        return
    assert valid
    assert spec.serving.production_variants == ([v["name"] for v in variants] or [PRIMARY_VARIANT])
