"""Spec values are checked against AWS's own limits, taken from botocore's service models, at the spec line."""

from __future__ import annotations

import copy
import json
import math
import re
import unicodedata
from pathlib import Path
from typing import Any

import botocore
import botocore.session
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from mlops.components.tags import REQUIRED_TAGS
from mlops.errors import InputError
from mlops.specs import aws_limits
from mlops.specs.loader import SourceFile, describe_value, load_spec, validation_problems
from mlops.specs.model import ModelSpec
from mlops.specs.names import SAGEMAKER_NAME_MAX

from .conftest import VALID_SPEC

BASE = VALID_SPEC.format(name="m")
REGENERATE = "python -m mlops.specs.aws_limits --write"


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_spec(path, "dev")
    return e.value.problems


def loads(tmp_path: Path, text: str) -> ModelSpec:
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    return load_spec(path, "dev")


def line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


def with_training(key: str, value: str) -> str:
    return BASE.replace("  inputs:", f"  {key}: {value}\n  inputs:", 1)


# --- The committed limits are botocore's -------------------------------------------------------------


def test_committed_limits_are_the_installed_botocores() -> None:
    _, rebuilt = aws_limits.generated_block()
    assert rebuilt == aws_limits.committed_block(), (
        f"botocore {botocore.__version__} states other limits than mlops/specs/aws_limits.py holds: "
        f"run `{REGENERATE}` and review the diff"
    )


def test_generated_block_is_read_between_its_markers() -> None:
    marker, limits = aws_limits.generated_block()
    assert marker.startswith(f"# BEGIN GENERATED from botocore {botocore.__version__} by `{REGENERATE}`")
    assert aws_limits.committed_block(f"x = 1\n{marker}\n{limits}# END GENERATED\ny = 2\n") == limits


def test_limits_copied_by_hand_elsewhere_agree_with_botocore() -> None:
    assert aws_limits.ENDPOINT_NAME.max_length == SAGEMAKER_NAME_MAX
    assert aws_limits.FEATURE_GROUP_NAME.max_length == SAGEMAKER_NAME_MAX + 1
    for key in (*REQUIRED_TAGS, "contains-pii"):
        assert aws_limits.TAG_KEY.check(key) == key


def test_monitoring_schedule_forms_are_still_the_documented_ones() -> None:
    model = botocore.session.get_session().get_service_model("sagemaker")
    documentation = model.shape_for("ScheduleConfig").members["ScheduleExpression"].documentation
    for form in ("cron(0 * ? * * *)", "cron(0 [00-23] ? * * *)", "cron(0 [00-23]/[01-24] ? * * *)"):
        assert form in documentation, f"SageMaker no longer documents {form}: review model._monitoring_schedule"


# --- Instance types ----------------------------------------------------------------------------------


def test_instance_types_are_checked_against_the_enum_of_the_api_they_reach(tmp_path: Path) -> None:
    # ml.inf1 serves endpoints only: valid for serving, refused for monitoring jobs.
    spec = loads(tmp_path, BASE.replace("instance_type: ml.m5.large", "instance_type: ml.inf1.xlarge"))
    assert spec.serving.instance_type == "ml.inf1.xlarge"
    text = with_training("instance_type", "ml.bogus.xlarge")
    assert problems(tmp_path, text) == [
        f"{tmp_path / 'm.yaml'}:{line_of(text, 'ml.bogus')}: training.instance_type: expected one of ml.g6.xlarge, "
        "ml.g5.xlarge, ml.g7.8xlarge, ml.g7.4xlarge, … (SageMaker TrainingInstanceType: 225 values, all in "
        "mlops/specs/aws_limits.py); found 'ml.bogus.xlarge'"
    ]
    text = BASE + "monitoring:\n  data_quality:\n    instance_type: ml.inf1.xlarge\n"
    assert problems(tmp_path, text) == [
        f"{tmp_path / 'm.yaml'}:{line_of(text, 'ml.inf1')}: monitoring.data_quality.instance_type: expected one of "
        "ml.r8i.xlarge, ml.r7i.xlarge, ml.r6i.xlarge, ml.m8i.xlarge, … (SageMaker ProcessingInstanceType: 207 values, "
        "all in mlops/specs/aws_limits.py); found 'ml.inf1.xlarge'"
    ]


# --- Numbers -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "found"), [(".nan", "nan"), (".inf", "inf"), ("-.inf", "-inf")])
def test_evaluation_threshold_must_be_finite(tmp_path: Path, value: str, found: str) -> None:
    text = BASE.replace("threshold: 0.8", f"threshold: {value}")
    assert problems(tmp_path, text) == [
        f"{tmp_path / 'm.yaml'}:{line_of(text, 'threshold')}: training.evaluation.threshold: expected a finite number; found {found}"
    ]
    lowest = loads(tmp_path, BASE.replace("threshold: 0.8", "threshold: -1.7976931348623157e308"))
    assert lowest.training.evaluation.threshold == -1.7976931348623157e308


def test_counts_stay_within_a_32_bit_aws_integer(tmp_path: Path) -> None:
    assert loads(tmp_path, BASE + "registry:\n  pinned_version: 2147483647\n").registry.pinned_version == 2**31 - 1
    text = BASE + "registry:\n  pinned_version: 1" + "0" * 400 + "\n"
    assert problems(tmp_path, text) == [
        f"{tmp_path / 'm.yaml'}:{line_of(text, 'pinned_version')}: registry.pinned_version: expected less than or "
        f"equal to 2147483647; found {describe_value(int('1' + '0' * 400))}"
    ]


# --- Hyperparameters -----------------------------------------------------------------------------------


def hyperparameters(entries: dict[str, str]) -> str:
    return with_training("hyperparameters", "\n" + "".join(f"    {k}: {v}\n" for k, v in entries.items()).rstrip("\n"))


def test_hyperparameter_values_are_sent_as_text_of_at_most_the_api_length(tmp_path: Path) -> None:
    assert loads(tmp_path, hyperparameters({"note": "x" * 2500})).training.hyperparameters["note"] == "x" * 2500
    text = hyperparameters({"note": "x" * 2501})
    assert problems(tmp_path, text) == [
        f"{tmp_path / 'm.yaml'}:{line_of(text, 'note:')}: training.hyperparameters.note: expected at most 2500 "
        f"characters, not 2501 (SageMaker HyperParameterValue); found {describe_value('x' * 2501)}"
    ]
    text = hyperparameters({"k" * 257: "1"})
    assert problems(tmp_path, text) == [
        f"{tmp_path / 'm.yaml'}:{line_of(text, 'kkk')}: training.hyperparameters.{'k' * 257}.[key]: expected at most 256 "
        f"characters, not 257 (SageMaker HyperParameterKey); found {describe_value('k' * 257)}"
    ]


def test_hyperparameter_count_is_the_api_maximum(tmp_path: Path) -> None:
    assert len(loads(tmp_path, hyperparameters({f"p{i}": str(i) for i in range(100)})).training.hyperparameters) == 100
    text = hyperparameters({f"p{i}": str(i) for i in range(101)})
    assert problems(tmp_path, text) == [
        f"{tmp_path / 'm.yaml'}:{line_of(text, 'hyperparameters')}: training.hyperparameters: expected at most 100 "
        "hyperparameters (SageMaker HyperParameters), not 101"
    ]


def test_training_inputs_leave_room_for_the_script_input_of_the_processing_job(tmp_path: Path) -> None:
    def inputs(n: int) -> str:
        channels = "".join(f"\n    - {{channel: c{i}, s3_uri: 's3://acme-data/c{i}/'}}" for i in range(n))
        return BASE.replace("\n    - {channel: train, feature_group: events}", channels)

    assert len(loads(tmp_path, inputs(9)).training.inputs) == 9
    text = inputs(10)
    assert problems(tmp_path, text) == [
        f"{tmp_path / 'm.yaml'}:{line_of(text, 'inputs:')}: training.inputs: expected at most 9 inputs "
        "(SageMaker ProcessingInputs, less the script's), not 10; found a list"
    ]


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("1" + "0" * 400, f"expected an integer from {-(2**63)} to {2**63 - 1} (64 bits); quote it to pass it as text; found {describe_value(int('1' + '0' * 400))}"),
        (str(2**63), f"expected an integer from {-(2**63)} to {2**63 - 1} (64 bits); quote it to pass it as text; found {2**63}"),
        (".nan", "expected a finite number; quote it to pass it as text; found nan"),
        ("-.inf", "expected a finite number; quote it to pass it as text; found -inf"),
        ("[1, 2]", "expected text, a number or true/false; found a list"),
    ],
)
def test_hyperparameter_numbers_are_finite_and_64_bit(tmp_path: Path, value: str, why: str) -> None:
    text = hyperparameters({"num_round": value})
    assert problems(tmp_path, text) == [f"{tmp_path / 'm.yaml'}:{line_of(text, 'num_round')}: training.hyperparameters.num_round: {why}"]


def test_hyperparameter_boundaries_are_accepted_as_they_will_be_sent(tmp_path: Path) -> None:
    text = hyperparameters({"low": str(-(2**63)), "high": str(2**63 - 1), "big": f'"1{"0" * 400}"', "eta": "1e308", "flag": "true"})
    assert loads(tmp_path, text).training.hyperparameters == {
        "low": -(2**63), "high": 2**63 - 1, "big": "1" + "0" * 400, "eta": 1e308, "flag": True,
    }


# --- Schedules -----------------------------------------------------------------------------------------

CRON = "cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>)"


@pytest.mark.parametrize(
    "schedule",
    [
        "rate(1 minute)", "rate(1 day)", "rate(5 days)", "rate(30 days)", "cron(0 2 ? * SUN *)", "cron(0/15 * ? * MON-FRI *)",
        "cron(59 23 L DEC ? 2199)", "cron(0 0 1W JAN,JUL ? 1970-2199)", "cron(*/5 8-17 ? * 6L *)", "cron(15 10 ? * 3#2 *)",
        "cron(0 12 31 1-12/3 ? *)",
    ],
)
def test_eventbridge_schedules_aws_accepts(tmp_path: Path, schedule: str) -> None:
    text = BASE.replace("  evaluation:", f"  triggers:\n    schedule: '{schedule}'\n  evaluation:")
    assert loads(tmp_path, text).training.triggers.schedule == schedule


@pytest.mark.parametrize(
    ("schedule", "why"),
    [
        ("cron(not a cron)", f"expected {CRON}: six fields separated by single spaces, not 3 (EventBridge cron)"),
        ("rate(0 days)", "expected rate(<N> <unit>) with N a whole number from 1 and unit minute(s), hour(s) or day(s), "
         "such as rate(1 day) or rate(5 days) (EventBridge rate)"),
        ("rate(1 days)", "expected rate(1 day): the unit is singular for 1 (EventBridge rate)"),
        ("rate(5 day)", "expected rate(5 days): the unit is plural above 1 (EventBridge rate)"),
        ("every day", f"expected rate(<N> <unit>) or {CRON} (EventBridge schedule expression)"),
        ("cron(0 2 * * MON *)", "expected '?' in exactly one of day-of-month and day-of-week, such as cron(0 2 ? * SUN *) "
         "or cron(0 2 1 * ? *) (EventBridge cron)"),
        ("cron(0 2 ? * ? *)", "expected '?' in exactly one of day-of-month and day-of-week, such as cron(0 2 ? * SUN *) "
         "or cron(0 2 1 * ? *) (EventBridge cron)"),
        ("cron(60 2 ? * MON *)", "expected a cron expression whose minutes field takes 0-59 and the wildcards , - * /, "
         "not '60' (EventBridge cron)"),
        ("cron(0 2 ? * 8 *)", "expected a cron expression whose day-of-week field takes 1-7 or SUN-SAT and the wildcards "
         ", - * ? L #, not '8' (EventBridge cron)"),
        ("cron(0 2 32 * ? *)", "expected a cron expression whose day-of-month field takes 1-31 and the wildcards "
         ", - * ? / L W, not '32' (EventBridge cron)"),
        ("cron(0 2 ? * MON 1969)", "expected a cron expression whose year field takes 1970-2199 and the wildcards , - * /, "
         "not '1969' (EventBridge cron)"),
        ("cron(0 ? 1 * ? *)", "expected a cron expression whose hours field takes 0-23 and the wildcards , - * /, "
         "not '?' (EventBridge cron)"),
    ],
)
def test_eventbridge_schedules_aws_refuses(tmp_path: Path, schedule: str, why: str) -> None:
    text = BASE.replace("  evaluation:", f"  triggers:\n    schedule: '{schedule}'\n  evaluation:")
    assert problems(tmp_path, text) == [
        f"{tmp_path / 'm.yaml'}:{line_of(text, 'schedule:')}: training.triggers.schedule: {why}; found {describe_value(schedule)}"
    ]


def test_monitoring_schedules_take_only_model_monitors_forms(tmp_path: Path) -> None:
    for schedule in ("cron(0 * ? * * *)", "cron(0 23 ? * * *)", "cron(0 00 ? * * *)", "cron(0 17/12 ? * * *)", "cron(0 0/24 ? * * *)"):
        text = BASE + f"monitoring:\n  data_quality:\n    schedule: '{schedule}'\n"
        assert loads(tmp_path, text).monitoring.data_quality.schedule == schedule
    for schedule in ("rate(1 day)", "cron(0 24 ? * * *)", "cron(0 0/25 ? * * *)", "cron(30 * ? * * *)", "cron(0 */2 ? * * *)", "NOW"):
        text = BASE + f"monitoring:\n  data_quality:\n    schedule: '{schedule}'\n"
        assert problems(tmp_path, text) == [
            f"{tmp_path / 'm.yaml'}:{line_of(text, 'schedule:')}: monitoring.data_quality.schedule: expected cron(0 * ? * * *) "
            "(hourly), cron(0 H ? * * *) (daily at hour H, 0-23) or cron(0 H/N ? * * *) (every N hours from hour H, N 1-24) "
            f"(SageMaker Model Monitor schedule); found {describe_value(schedule)}"
        ]


# --- S3 URIs -------------------------------------------------------------------------------------------


def with_input_uri(uri: str) -> str:
    return BASE.replace("{channel: train, feature_group: events}", f"{{channel: train, s3_uri: {json.dumps(uri)}}}")


@pytest.mark.parametrize(
    "uri", ["s3://abc", "s3://" + "a" * 63 + "/x", "s3://my.data-1/a_b", "s3://b-1/" + "k" * (512 - len("s3://b-1/"))]
)
def test_s3_uris_aws_accepts(tmp_path: Path, uri: str) -> None:
    assert loads(tmp_path, with_input_uri(uri)).training.inputs[0].s3_uri == uri


@pytest.mark.parametrize(
    ("uri", "why"),
    [
        ("s3://192.168.1.1/x", "bucket '192.168.1.1' has the form of an IP address, which S3 bucket names must not have"),
        ("s3://a..b", "bucket 'a..b' has two adjacent dots, which S3 bucket names must not have"),
        ("s3://xn--data/x", "bucket 'xn--data' has the reserved prefix 'xn--', which S3 bucket names must not have"),
        ("s3://sthree-data/x", "bucket 'sthree-data' has the reserved prefix 'sthree-', which S3 bucket names must not have"),
        ("s3://data-s3alias/x", "bucket 'data-s3alias' has the reserved suffix '-s3alias', which S3 bucket names must not have"),
        ("s3://data--ol-s3/x", "bucket 'data--ol-s3' has the reserved suffix '--ol-s3', which S3 bucket names must not have"),
    ],
)
def test_s3_bucket_names_aws_refuses(tmp_path: Path, uri: str, why: str) -> None:
    text = with_input_uri(uri)
    assert problems(tmp_path, text) == [
        f"{tmp_path / 'm.yaml'}:{line_of(text, 's3_uri')}: training.inputs[0].s3_uri: {why} (S3 bucket naming rules); found {describe_value(uri)}"
    ]


@pytest.mark.parametrize(
    ("uri", "why"),
    [
        ("s3://ab/x", "expected s3://<bucket>/<key> without spaces, the bucket 3-63 lowercase letters, digits, dots and "
         "hyphens that starts and ends with a letter or digit (S3 bucket naming rules)"),
        ("s3://" + "a" * 64 + "/x", "expected s3://<bucket>/<key> without spaces, the bucket 3-63 lowercase letters, digits, "
         "dots and hyphens that starts and ends with a letter or digit (S3 bucket naming rules)"),
        ("s3://acme-data\n", "expected s3://<bucket>/<key> without spaces, the bucket 3-63 lowercase letters, digits, "
         "dots and hyphens that starts and ends with a letter or digit (S3 bucket naming rules)"),
        ("s3://b-1/" + "k" * (513 - len("s3://b-1/")), "expected at most 512 characters, not 513 (SageMaker MonitoringS3Uri)"),
    ],
)
def test_s3_uris_aws_refuses(tmp_path: Path, uri: str, why: str) -> None:
    text = with_input_uri(uri)
    assert problems(tmp_path, text) == [
        f"{tmp_path / 'm.yaml'}:{line_of(text, 's3_uri')}: training.inputs[0].s3_uri: {why}; found {describe_value(uri)}"
    ]


# --- Tags and descriptions -----------------------------------------------------------------------------


def test_metadata_tag_values_follow_the_tag_shape(tmp_path: Path) -> None:
    assert loads(tmp_path, BASE.replace("team: testers", "team: " + "t" * 256)).metadata.team == "t" * 256
    assert loads(tmp_path, BASE.replace("team: testers", "team: Zoë Müller @ Risk + Fraud")).metadata.team == "Zoë Müller @ Risk + Fraud"
    text = BASE.replace("team: testers", "team: " + "t" * 257)
    assert problems(tmp_path, text) == [
        f"{tmp_path / 'm.yaml'}:{line_of(text, 'team:')}: metadata.team: expected at most 256 characters, not 257 "
        f"(SageMaker TagValue); found {describe_value('t' * 257)}"
    ]
    text = BASE.replace("owner: owner@example.com", "owner: owner!ops@example.com").replace("cost_center: CC-1", "cost_center: 'CC#1'")
    assert problems(tmp_path, text) == [
        f"{tmp_path / 'm.yaml'}:{line_of(text, 'owner:')}: metadata.owner: expected only letters, spaces, numbers and "
        "_ . : / = + - @, not '!' (SageMaker TagValue); found 'owner!ops@example.com'",
        f"{tmp_path / 'm.yaml'}:{line_of(text, 'cost_center:')}: metadata.cost_center: expected only letters, spaces, "
        "numbers and _ . : / = + - @, not '#' (SageMaker TagValue); found 'CC#1'",
    ]


def test_feature_group_description_fits_create_feature_group(tmp_path: Path) -> None:
    assert loads(tmp_path, BASE.replace("description: Test events.", "description: " + "d" * 128)).feature_groups[0].description == "d" * 128
    text = BASE.replace("description: Test events.", "description: " + "d" * 500)
    assert problems(tmp_path, text) == [
        f"{tmp_path / 'm.yaml'}:{line_of(text, 'ddd')}: feature_groups[0].description: expected at most 128 characters, "
        f"not 500 (SageMaker Description); found {describe_value('d' * 500)}"
    ]


def test_model_description_fits_the_pipeline_and_the_model_package_group(tmp_path: Path) -> None:
    description = "A model used by the tests."
    assert loads(tmp_path, BASE.replace(description, "é" * 1024)).metadata.description == "é" * 1024
    text = BASE.replace(description, "d" * 1025)
    assert problems(tmp_path, text) == [
        f"{tmp_path / 'm.yaml'}:{line_of(text, 'ddd')}: metadata.description: expected at most 1024 characters, not 1025 "
        f"(SageMaker EntityDescription); found {describe_value('d' * 1025)}"
    ]
    text = BASE.replace(description, json.dumps("first line\u2028second line"))
    assert problems(tmp_path, text) == [
        f"{tmp_path / 'm.yaml'}:{line_of(text, 'first line')}: metadata.description: expected a single line "
        "(SageMaker PipelineDescription); found 'first line\\u2028second line'"
    ]
    text = BASE.replace(description, json.dumps("first line\nsecond line"))
    assert problems(tmp_path, text) == [
        f"{tmp_path / 'm.yaml'}:{line_of(text, 'first line')}: metadata.description: expected a single line "
        "(SageMaker PipelineDescription); found 'first line\\nsecond line'"
    ]


# --- Property: whatever the values, validation answers with a ValidationError or stays within the limits ---

BASE_SPEC: dict[str, Any] = yaml.safe_load(BASE)
BASE_SPEC["monitoring"] = {"model_quality": {"problem_type": "Regression", "ground_truth_s3_uri": "s3://labels/truth/"}}
LINE_BREAKS = "\n\r\x85\u2028\u2029"
TAG_EXTRA = set("_.:/=+-@")
# EventBridge's cron fields by position: lowest and highest value, and the names that stand for values.
CRON_RANGES: dict[int, tuple[int, int, tuple[str, ...]]] = {
    0: (0, 59, ()),
    1: (0, 23, ()),
    2: (1, 31, ()),
    3: (1, 12, ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")),
    4: (1, 7, ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")),
    5: (1970, 2199, ()),
}


def around(limit: int, alphabet: str) -> st.SearchStrategy[str]:
    """Text a few characters either side of `limit`, mostly plain, sometimes ending in other characters."""
    return st.builds(
        lambda n, tail: ("a" * max(0, n - len(tail)) + tail), st.integers(max(0, limit - 2), limit + 2), st.text(alphabet, max_size=3)
    )


def instance_types(choice: aws_limits.Choice) -> st.SearchStrategy[str]:
    others = sorted({*aws_limits.TRAINING_INSTANCE_TYPES.values, *aws_limits.ENDPOINT_INSTANCE_TYPES.values,
                     *aws_limits.PROCESSING_INSTANCE_TYPES.values} - set(choice.values))
    return st.one_of(st.sampled_from(choice.values), st.sampled_from(others), st.text("mlc5g.xarge0123456789", max_size=16))


# Per cron field, values EventBridge takes and values just outside; day-of-month and day-of-week come
# in pairs, mostly with exactly one of them '?'.
CRON_TOKENS = {
    0: ["0", "59", "*", "0/15", "*/5", "1-5", "1,2", "60", "0/0", "0/60", "5-1", "?", "L"],
    1: ["0", "23", "*", "8-17", "0/2", "24", "0/24", "?"],
    3: ["*", "1", "12", "JAN", "DEC", "JAN,JUL", "JAN-MAR", "13", "0", "MAR-JAN", "jan", "1/3", "?"],
    5: ["*", "1970", "2199", "2020-2030", "*/2", "2200", "1969", "?"],
}
DAYS_OF_MONTH = ["1", "31", "L", "3W", "*", "1-15", "1/5", "1,15", "32", "0", "32W", "LW"]
DAYS_OF_WEEK = ["*", "1", "7", "MON-FRI", "SUN", "6L", "FRIL", "3#2", "L", "1,7", "8", "8L", "3#6", "mon"]
days = st.one_of(
    st.sampled_from(DAYS_OF_MONTH).map(lambda day: (day, "?")),
    st.sampled_from(DAYS_OF_WEEK).map(lambda day: ("?", day)),
    st.sampled_from([("?", "?"), ("1", "MON"), ("*", "*")]),
)


def cron(fields: dict[int, str], day: tuple[str, str] = ("?", "SUN")) -> str:
    """A cron expression: 0 2 <day-of-month> * <day-of-week> *, with `fields` replacing some by position."""
    values = {0: "0", 1: "2", 2: day[0], 3: "*", 4: day[1], 5: "*"} | fields
    return f"cron({' '.join(values[i] for i in range(6))})"


schedules = st.one_of(
    st.builds(lambda n, unit: f"rate({n} {unit}{'s' if n != 1 else ''})", st.sampled_from([1, 2, 5, 30]),
              st.sampled_from(["minute", "hour", "day"])),
    st.builds(lambda n, unit: f"rate({n} {unit})", st.sampled_from(["0", "01", "-1", "1", "5", "1.5", "x"]),
              st.sampled_from(["minute", "minutes", "day", "days", "week", "weeks"])),
    # One field off a valid expression at a time, then any mix.
    st.sampled_from(sorted(CRON_TOKENS)).flatmap(lambda i: st.sampled_from(CRON_TOKENS[i]).map(lambda token: cron({i: token}))),
    days.map(lambda day: cron({}, day)),
    st.builds(lambda picks, day: cron(dict(enumerate(picks)) | {2: day[0], 4: day[1]}),
              st.tuples(*(st.sampled_from(CRON_TOKENS[i]) for i in (0, 1))), days),
    st.lists(st.sampled_from(CRON_TOKENS[0]), min_size=5, max_size=7).map(lambda fields: f"cron({' '.join(fields)})"),
    st.text(max_size=12),
)
monitoring_schedules = st.one_of(
    st.builds(lambda hour: f"cron(0 {hour} ? * * *)", st.one_of(
        st.sampled_from(["*", "*/2", "00", "L"]), st.integers(-1, 25).map(str),
        st.builds(lambda h, n: f"{h}/{n}", st.integers(0, 24), st.integers(0, 25)),
    )),
    st.sampled_from(["NOW", "rate(1 hour)", "cron(5 * ? * * *)"]),
)
buckets = st.one_of(
    st.text("ab9.-", min_size=1, max_size=65),
    st.sampled_from(["192.168.1.1", "a..b", "xn--abc", "sthree-x", "amzn-s3-demo-x", "abc-s3alias", "abc--ol-s3", "a.mrap",
                     "abc--x-s3", "abc--table-s3", "ab", "a" * 63, "a" * 64, "Ab1", "ab_c", "acme-data"]),
)
s3_uris = st.builds(lambda bucket, key: f"s3://{bucket}{key}", buckets,
                    st.one_of(st.sampled_from(["", "/", "/k", "/a b", "/a\n", "\n"]), around(480, "/k").map(lambda k: "/" + k)))
numbers = st.one_of(st.floats(), st.integers(-(2**70), 2**70), st.sampled_from([10**400, -(10**400), 2**63, -(2**63) - 1]))
hyperparameter_values = st.one_of(numbers, st.booleans(), around(2500, "x\n\u2028é"), st.text(max_size=4), st.none(), st.just([1]))
hyperparameter_maps = st.one_of(
    hyperparameter_values.map(lambda value: {"value": value}),
    st.dictionaries(st.text("kx\n", max_size=3), hyperparameter_values, max_size=3),
    st.integers(98, 102).map(lambda n: {f"p{i}": i for i in range(n)}),
    around(256, "k\n\x85").map(lambda key: {key: 1}),
)
tag_texts = st.one_of(around(256, "tZë @_-!#\n\t"), st.text(max_size=6))
descriptions = st.one_of(around(1024, "é\n\u2028\x07"), st.text(max_size=6), st.sampled_from(["a\u2028b", "a\tb", "a\x85b", "ok"]))
counts = st.one_of(st.integers(2**31 - 3, 2**31 + 3), st.sampled_from([0, -1, 10**400]))

FIELDS: dict[tuple[str | int, ...], st.SearchStrategy[Any]] = {
    ("training", "instance_type"): instance_types(aws_limits.TRAINING_INSTANCE_TYPES),
    ("serving", "instance_type"): instance_types(aws_limits.ENDPOINT_INSTANCE_TYPES),
    ("monitoring", "model_quality", "instance_type"): instance_types(aws_limits.PROCESSING_INSTANCE_TYPES),
    ("training", "evaluation", "threshold"): numbers,
    ("training", "triggers", "schedule"): schedules,
    ("monitoring", "model_quality", "schedule"): monitoring_schedules,
    ("training", "triggers", "on_new_data", "s3_uri"): s3_uris,
    ("monitoring", "model_quality", "ground_truth_s3_uri"): s3_uris,
    ("training", "hyperparameters"): hyperparameter_maps,
    ("metadata", "owner"): st.one_of(around(256 - len("@example.com"), "tZë!#\n"), st.text(max_size=6)).map(lambda t: f"{t}@example.com"),
    ("metadata", "team"): tag_texts,
    ("metadata", "cost_center"): tag_texts,
    ("metadata", "description"): descriptions,
    ("feature_groups", 0, "description"): st.one_of(around(128, "é\n"), st.text(max_size=6)),
    ("registry", "pinned_version"): counts,
    ("monitoring", "alarms", "latency_p99_ms"): counts,
    ("serving", "autoscaling"): counts.map(lambda n: {"min_capacity": 1, "max_capacity": 1, "target_invocations_per_instance": n}),
}


def with_value(path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    spec = copy.deepcopy(BASE_SPEC)
    node = spec
    for part in path[:-1]:
        node = node[part] if isinstance(part, int) else node.setdefault(part, {})
    node[path[-1]] = value
    return spec


def eventbridge_schedule_is_valid(value: str) -> bool:
    rate = re.fullmatch(r"rate\(([0-9]+) (minute|hour|day)(s?)\)", value)
    if rate:
        return not rate[1].startswith("0") and (rate[3] == "s") == (int(rate[1]) > 1)
    fields = value[5:-1].split(" ") if value.startswith("cron(") and value.endswith(")") else []
    if len(fields) != 6 or (fields[2] == "?") == (fields[4] == "?"):
        return False
    for index, text in enumerate(fields):
        low, high, names = CRON_RANGES[index]
        if text == "?" or (text == "L" and index in (2, 4)):
            continue
        for item in text.split(","):
            item, _, step = item.partition("/")
            if step and not (re.fullmatch(r"[0-9]+", step) and 1 <= int(step) <= high):
                return False
            if index == 4 and "#" in item:
                item, _, nth = item.partition("#")
                if nth not in "12345" or len(nth) != 1:
                    return False
            if (index == 2 and item.endswith("W")) or (index == 4 and item.endswith("L")):
                item = item[:-1]
            for token in item.split("-") if item != "*" else []:
                number = int(token) if re.fullmatch(r"[0-9]+", token) else (names.index(token) + low if token in names else None)
                if number is None or not low <= number <= high:
                    return False
    return True


def bucket_is_valid(bucket: str) -> bool:
    return (
        3 <= len(bucket) <= 63
        and set(bucket) <= set("abcdefghijklmnopqrstuvwxyz0123456789.-")
        and bucket[0].isalnum() and bucket[-1].isalnum()
        and ".." not in bucket
        and not re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+", bucket)
        and not bucket.startswith(("xn--", "sthree-", "amzn-s3-demo-"))
        and not bucket.endswith(("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"))
    )


def assert_within_limits(path: tuple[str | int, ...], spec: ModelSpec) -> None:
    """The limits on the field `path` names, restated apart from the validators (instance types share their data)."""
    t, m, mon = spec.training, spec.metadata, spec.monitoring
    match path:
        case ("training", "instance_type"):
            assert t.instance_type in aws_limits.TRAINING_INSTANCE_TYPES.values
        case ("serving", "instance_type"):
            assert spec.serving.instance_type in aws_limits.ENDPOINT_INSTANCE_TYPES.values
        case ("monitoring", "model_quality", "instance_type"):
            assert mon.model_quality.instance_type in aws_limits.PROCESSING_INSTANCE_TYPES.values
        case ("training", "evaluation", "threshold"):
            assert math.isfinite(t.evaluation.threshold)
        case ("training", "triggers", "schedule"):
            assert len(t.triggers.schedule) <= 256 and eventbridge_schedule_is_valid(t.triggers.schedule)
        case ("monitoring", "model_quality", "schedule"):
            form = re.fullmatch(r"cron\(0 (\*|[0-9]{1,2}|[0-9]{1,2}/[0-9]{1,2}) \? \* \* \*\)", mon.model_quality.schedule)
            assert form
            hour, _, every = form[1].partition("/")
            assert hour == "*" or (int(hour) <= 23 and (not every or 1 <= int(every) <= 24))
        case ("training", "triggers", "on_new_data", "s3_uri") | ("monitoring", "model_quality", "ground_truth_s3_uri"):
            uri = t.triggers.on_new_data.s3_uri if path[0] == "training" else mon.model_quality.ground_truth_s3_uri
            assert len(uri) <= 512 and not any(c.isspace() for c in uri)
            assert bucket_is_valid(uri.removeprefix("s3://").partition("/")[0])
        case ("training", "hyperparameters"):
            assert len(t.hyperparameters) <= 100
            for key, value in t.hyperparameters.items():
                assert len(key) <= 256 and not set(key) & set(LINE_BREAKS)
                assert len(str(value)) <= 2500 and not set(str(value)) & set(LINE_BREAKS)
                assert not isinstance(value, int) or -(2**63) <= value < 2**63
                assert not isinstance(value, float) or math.isfinite(value)
        case ("metadata", "owner" | "team" | "cost_center"):
            value = getattr(m, path[1])
            assert len(value) <= 256 and all(unicodedata.category(c)[0] in "LZN" or c in TAG_EXTRA for c in value)
        case ("metadata", "description"):
            assert len(m.description) <= 1024
            assert all(unicodedata.category(c)[0] in "LMZSNP" and c not in LINE_BREAKS for c in m.description)
        case ("feature_groups", 0, "description"):
            assert len(spec.feature_groups[0].description) <= 128
        case ("registry", "pinned_version"):
            assert spec.registry.pinned_version <= 2**31 - 1
        case ("monitoring", "alarms", "latency_p99_ms"):
            assert mon.alarms.latency_p99_ms <= 2**31 - 1
        case ("serving", "autoscaling"):
            assert spec.serving.autoscaling.target_invocations_per_instance <= 2**31 - 1


@settings(max_examples=1000, derandomize=True, database=None, deadline=None)
@given(st.sampled_from(sorted(FIELDS, key=str)).flatmap(lambda path: st.tuples(st.just(path), FIELDS[path])))
def test_values_around_the_limits_are_refused_or_within_them(case: tuple[tuple[str | int, ...], Any]) -> None:
    path, value = case
    data = with_value(path, value)
    try:
        spec = ModelSpec.model_validate(data)
    except ValidationError as e:
        lines = validation_problems(e, ModelSpec, SourceFile(path=Path("m.yaml"), data=data))
        assert lines and all(line.startswith("m.yaml: ") for line in lines)
        return
    assert_within_limits(path, spec)
