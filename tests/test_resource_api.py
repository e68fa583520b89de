"""mlops.resources.api against botocore's real service models: request validation and the
translation of pulumi-aws inputs into API requests."""

from __future__ import annotations

import regex
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlops.resources.api import (
    UNCOMPILABLE_PATTERNS,
    Problem,
    Request,
    Tally,
    format_path,
    leaves,
    shape_of,
    translate,
    validate,
)

MODEL_NAME_PATTERN = r"[a-zA-Z0-9]([\-a-zA-Z0-9]*[a-zA-Z0-9])?"
TAG_PATTERN = r"([\p{L}\p{Z}\p{N}_.:/=+\-@]*)"
ROLE = "arn:aws:iam::123456789012:role/sagemaker-execution"


def model(**params: object) -> Request:
    base = {
        "ModelName": "churn-model",
        "ExecutionRoleArn": ROLE,
        "PrimaryContainer": {
            "Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/churn:1",
            "ModelDataUrl": "s3://models/churn/model.tar.gz",
            "Environment": {"LOG_LEVEL": "info"},
        },
        "Tags": [{"Key": "team", "Value": "risk"}],
    }
    return Request("sagemaker", "CreateModel", {**base, **params})


def endpoint_config(**variant: object) -> Request:
    base = {"VariantName": "primary", "ModelName": "churn-model", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}
    return Request("sagemaker", "CreateEndpointConfig", {"EndpointConfigName": "churn", "ProductionVariants": [{**base, **variant}]})


def only(request: Request, **kwargs: object) -> Problem:
    problems, _ = validate(request, **kwargs)  # type: ignore[arg-type]
    assert len(problems) == 1, problems
    return problems[0]


# --- validate ------------------------------------------------------------------------------


def test_valid_create_model_passes_and_counts_every_leaf() -> None:
    problems, tally = validate(model())
    assert problems == []
    # ModelName, ExecutionRoleArn, Image, ModelDataUrl, Environment value, Tag Key and Value.
    assert tally == Tally(checked=7, deferred=0)


def test_missing_required_member() -> None:
    params = dict(model().params)
    del params["ModelName"]
    assert only(Request("sagemaker", "CreateModel", params)) == Problem(("ModelName",), "is required", None)


def test_member_set_to_none_is_missing() -> None:
    assert only(model(ModelName=None)) == Problem(("ModelName",), "is required", None)


def test_filled_by_service_suppresses_missing_member() -> None:
    params = dict(model().params)
    del params["ModelName"]
    problems, _ = validate(Request("sagemaker", "CreateModel", params, filled_by_service=("ModelName",)))
    assert problems == []


def test_string_too_long() -> None:
    name = "m" * 64
    assert only(model(ModelName=name)) == Problem(("ModelName",), "at most 63 characters", name)
    assert validate(model(ModelName="m" * 63))[0] == []


def test_pattern_violation_names_the_pattern() -> None:
    assert only(model(ModelName="bad_name!")) == Problem(("ModelName",), f"must match pattern {MODEL_NAME_PATTERN}", "bad_name!")


def test_pattern_must_match_the_whole_value() -> None:
    # The pattern matches a prefix ("bad") but AWS requires the whole value to match.
    assert only(model(ModelName="bad-")).rule == f"must match pattern {MODEL_NAME_PATTERN}"


def test_enum_lists_close_values_and_count() -> None:
    problem = only(endpoint_config(InstanceType="ml.bogus.large"))
    assert problem.path == ("ProductionVariants", 0, "InstanceType")
    assert problem.value == "ml.bogus.large"
    enum = shape_of("sagemaker", "CreateEndpointConfig").members["ProductionVariants"].member.members["InstanceType"].enum
    assert problem.rule.startswith("one of ")
    assert problem.rule.endswith(f", … ({len(enum)} values)")
    shown = problem.rule.removeprefix("one of ").rsplit(", …", 1)[0].split(", ")
    assert len(shown) == 6 and set(shown) <= set(enum)
    assert all(value.endswith("large") for value in shown)


def test_small_enum_lists_every_value() -> None:
    problem = only(endpoint_config(ManagedInstanceScaling={"Status": "ON"}))
    assert problem.rule == "one of ENABLED, DISABLED"


def test_integer_minimum() -> None:
    assert only(endpoint_config(InitialInstanceCount=0)) == Problem(
        ("ProductionVariants", 0, "InitialInstanceCount"), "at least 1", 0
    )


def test_bool_is_not_an_integer() -> None:
    assert only(endpoint_config(InitialInstanceCount=True)) == Problem(
        ("ProductionVariants", 0, "InitialInstanceCount"), "must be an integer", True
    )


def test_whole_float_is_an_integer_but_fraction_is_not() -> None:
    assert validate(endpoint_config(InitialInstanceCount=2.0))[0] == []
    assert only(endpoint_config(InitialInstanceCount=1.5)).rule == "must be an integer"


def test_integer_without_max_is_32_bit() -> None:
    assert only(endpoint_config(InitialInstanceCount=2**31)).rule == "at most 2147483647"


def test_float_bounds() -> None:
    problem = only(endpoint_config(InitialVariantWeight=-1))
    assert problem == Problem(("ProductionVariants", 0, "InitialVariantWeight"), "at least 0", -1)
    assert only(endpoint_config(InitialVariantWeight="1")).rule == "must be a number"


def test_boolean_type() -> None:
    assert only(model(EnableNetworkIsolation="true")) == Problem(("EnableNetworkIsolation",), "must be a boolean", "true")


def test_list_max_items() -> None:
    tags = [{"Key": f"k{i}", "Value": "v"} for i in range(51)]
    assert only(model(Tags=tags)) == Problem(("Tags",), "at most 50 items", tags)


def test_list_min_items() -> None:
    request = Request("sagemaker", "CreateEndpointConfig", {"EndpointConfigName": "churn", "ProductionVariants": []})
    assert only(request) == Problem(("ProductionVariants",), "at least 1 item", [])


def test_container_types() -> None:
    assert only(model(Tags={"team": "risk"})).rule == "must be a list"
    assert only(model(PrimaryContainer="image")) == Problem(("PrimaryContainer",), "must be a structure", "image")
    env = {**model().params["PrimaryContainer"], "Environment": ["A=1"]}
    assert only(model(PrimaryContainer=env)).rule == "must be a map"


def test_map_value_length() -> None:
    value = "x" * 1025
    container = {**model().params["PrimaryContainer"], "Environment": {"BIG": value}}
    assert only(model(PrimaryContainer=container)) == Problem(
        ("PrimaryContainer", "Environment", "BIG"), "at most 1024 characters", value
    )


def test_map_key_rules() -> None:
    container = {**model().params["PrimaryContainer"], "Environment": {"1BAD": "x"}}
    assert only(model(PrimaryContainer=container)) == Problem(
        ("PrimaryContainer", "Environment", "1BAD"), "key must match pattern [a-zA-Z_][a-zA-Z0-9_]*", "1BAD"
    )


def test_unicode_letter_pattern() -> None:
    assert validate(model(Tags=[{"Key": "owner", "Value": "café"}]))[0] == []
    assert only(model(Tags=[{"Key": "owner", "Value": "a<b"}])) == Problem(
        ("Tags", 0, "Value"), f"must match pattern {TAG_PATTERN}", "a<b"
    )


def test_unknown_member() -> None:
    assert only(model(ModelNmae="x")) == Problem(("ModelNmae",), "unknown member (not in CreateModelInput)", "x")
    nested = {**model().params["PrimaryContainer"], "Imagee": "x"}
    assert only(model(PrimaryContainer=nested)) == Problem(
        ("PrimaryContainer", "Imagee"), "unknown member (not in ContainerDefinition)", "x"
    )


def test_deferred_values_are_only_type_checked() -> None:
    def deferred(value: object) -> bool:
        return isinstance(value, str) and value.startswith("<") or value == 12345

    long_placeholder = "<" + "generated" * 10 + ">"
    problems, tally = validate(model(ModelName=long_placeholder), deferred=deferred)
    assert problems == []
    assert tally == Tally(checked=6, deferred=1)
    # A deferred value of the wrong type is still reported.
    problems, tally = validate(model(ModelName=12345), deferred=deferred)
    assert problems == [Problem(("ModelName",), "must be a string", 12345)]
    assert tally == Tally(checked=6, deferred=1)


def test_leaf_counted_once_even_with_several_problems() -> None:
    name = "_" * 64  # too long and off pattern
    problems, tally = validate(model(ModelName=name))
    assert [p.rule for p in problems] == ["at most 63 characters", f"must match pattern {MODEL_NAME_PATTERN}"]
    assert tally.checked == 7


def test_problems_in_request_path_order() -> None:
    tags = [{"Key": "k", "Value": "v"} for _ in range(11)]
    tags[2]["Value"] = tags[10]["Value"] = "<"
    problems, _ = validate(model(ModelName="bad!", Tags=tags, ModelNmae="x"))
    assert [p.path for p in problems] == [("ModelName",), ("ModelNmae",), ("Tags", 2, "Value"), ("Tags", 10, "Value")]


def test_java_surrogate_pair_ranges_compile_as_supplementary_code_points() -> None:
    # application-autoscaling's ResourceId pattern holds Java's surrogate-pair range for "any
    # supplementary character", which `regex` refuses as written; it is read as U+10000–U+10FFFF.
    request = Request(
        "application-autoscaling",
        "RegisterScalableTarget",
        {
            "ServiceNamespace": "sagemaker",
            "ResourceId": "endpoint/churn/variant/primary",
            "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
            "MinCapacity": 1,
            "MaxCapacity": 4,
        },
    )
    assert validate(request)[0] == []
    pattern = shape_of("application-autoscaling", "RegisterScalableTarget").members["ResourceId"].metadata["pattern"]
    assert "\\uD800\\uDC00-\\uDBFF\\uDFFF" in pattern and pattern not in UNCOMPILABLE_PATTERNS
    assert validate(Request(request.service, request.operation, {**request.params, "ResourceId": "endpoint/😀"}))[0] == []
    bad = "endpoint/\x01"
    problems, _ = validate(Request(request.service, request.operation, {**request.params, "ResourceId": bad}))
    assert problems == [Problem(("ResourceId",), f"must match pattern {pattern}", bad)]
    too_long = "r" * 1601
    problems, _ = validate(Request(request.service, request.operation, {**request.params, "ResourceId": too_long}))
    assert problems == [Problem(("ResourceId",), "at most 1600 characters", too_long)]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80) | st.from_regex(r"[a-zA-Z0-9][-a-zA-Z0-9]{0,70}", fullmatch=True))
def test_model_name_property(name: str) -> None:
    shape = shape_of("sagemaker", "CreateModel").members["ModelName"]
    low, high, pattern = shape.metadata["min"], shape.metadata["max"], shape.metadata["pattern"]
    expected = len(name) > high or len(name) < low or regex.fullmatch(pattern, name) is None
    problems, tally = validate(Request("sagemaker", "CreateModel", {"ModelName": name}))
    assert bool(problems) == expected
    assert all(p.path == ("ModelName",) and p.value == name for p in problems)
    assert tally == Tally(checked=1)


# --- translate -----------------------------------------------------------------------------

ENDPOINT_CONFIG_INPUTS = {
    "name": "churn",
    "region": "us-east-1",
    "kmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/abc",
    "productionVariants": [
        {"variantName": "primary", "modelName": "churn-model", "serverlessConfig": {"memorySizeInMb": 2048.0, "maxConcurrency": 5}},
    ],
    "tags": {"team": "risk", "env": "dev"},
}


def test_camel_case_matches_members_case_insensitively() -> None:
    t = translate("sagemaker", "CreateEndpointConfig", ENDPOINT_CONFIG_INPUTS,
                  renames={"name": "EndpointConfigName", "kmsKeyArn": "KmsKeyId"}, omit=("region",))
    variant = t.params["ProductionVariants"][0]
    assert variant == {"VariantName": "primary", "ModelName": "churn-model", "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5}}
    assert isinstance(variant["ServerlessConfig"]["MemorySizeInMB"], int)  # whole float -> int
    assert t.origins[("ProductionVariants", 0, "ServerlessConfig", "MemorySizeInMB")] == (
        "productionVariants", 0, "serverlessConfig", "memorySizeInMb"
    )
    assert t.params["EndpointConfigName"] == "churn" and t.origins[("EndpointConfigName",)] == ("name",)
    assert t.params["KmsKeyId"] == ENDPOINT_CONFIG_INPUTS["kmsKeyArn"]
    assert "region" not in str(t.params) and t.untranslated == []
    assert validate(Request("sagemaker", "CreateEndpointConfig", t.params, t.origins))[0] == []


def test_tags_map_becomes_sorted_key_value_list() -> None:
    t = translate("sagemaker", "CreateEndpointConfig", {"tags": {"team": "risk", "env": "dev"}})
    assert t.params == {"Tags": [{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "risk"}]}
    assert t.origins == {
        ("Tags", 0, "Key"): ("tags", "env"),
        ("Tags", 0, "Value"): ("tags", "env"),
        ("Tags", 1, "Key"): ("tags", "team"),
        ("Tags", 1, "Value"): ("tags", "team"),
    }


def test_kms_tags_use_tag_key_and_tag_value() -> None:
    t = translate("kms", "CreateKey", {"description": "platform key", "tags": {"team": "platform"},
                                       "customerMasterKeySpec": "SYMMETRIC_DEFAULT", "enableKeyRotation": True},
                  renames={"customerMasterKeySpec": "KeySpec"}, omit=("enableKeyRotation",))
    assert t.params == {"Description": "platform key", "KeySpec": "SYMMETRIC_DEFAULT", "Tags": [{"TagKey": "team", "TagValue": "platform"}]}
    assert t.origins[("Tags", 0, "TagValue")] == ("tags", "team")
    assert t.untranslated == []


def test_name_value_map_becomes_dimension_list() -> None:
    t = translate("cloudwatch", "PutMetricAlarm", {"alarmName": "latency", "dimensions": {"EndpointName": "churn"}})
    assert t.params["Dimensions"] == [{"Name": "EndpointName", "Value": "churn"}]


def test_unknown_keys_are_untranslated_and_omitted_keys_are_not() -> None:
    inputs = {
        "name": "m",
        "forceDestroy": True,
        "region": "us-east-1",
        "bogus": {"deep": 1},
        "primaryContainer": {"image": "img", "mystery": "x"},
    }
    t = translate("sagemaker", "CreateModel", inputs, renames={"name": "ModelName"}, omit=("forceDestroy", "region"))
    assert t.params == {"ModelName": "m", "PrimaryContainer": {"Image": "img"}}
    assert t.untranslated == [("bogus",), ("primaryContainer", "mystery")]
    assert ("bogus", "deep") not in t.origins.values()


def test_renames_and_omit_with_list_index_patterns() -> None:
    inputs = {"productionVariants": [{"variantName": "a", "localNote": "x"}, {"variantName": "b", "localNote": "y"}]}
    t = translate("sagemaker", "CreateEndpointConfig", inputs,
                  renames={"productionVariants[*].variantName": "ModelName"}, omit=("productionVariants[1].localNote",))
    assert t.params["ProductionVariants"] == [{"ModelName": "a"}, {"ModelName": "b"}]
    assert t.untranslated == [("productionVariants", 0, "localNote")]
    assert t.origins[("ProductionVariants", 1, "ModelName")] == ("productionVariants", 1, "variantName")


def test_patterns_match_exact_paths_only() -> None:
    # "name" renames the top-level key only, not a nested key called name.
    t = translate("sagemaker", "CreateModel", {"name": "m", "vpcConfig": {"name": "x"}}, renames={"name": "ModelName"})
    assert t.params == {"ModelName": "m", "VpcConfig": {}}
    assert t.untranslated == [("vpcConfig", "name")]


def test_rename_to_missing_member_is_an_error() -> None:
    with pytest.raises(ValueError, match="no member NoSuchMember"):
        translate("sagemaker", "CreateModel", {"name": "m"}, renames={"name": "NoSuchMember"})


def test_malformed_pattern_is_an_error() -> None:
    with pytest.raises(ValueError, match="input path pattern"):
        translate("sagemaker", "CreateModel", {"name": "m"}, omit=("name..x",))


def test_scalar_becomes_one_element_list_of_scalars() -> None:
    t = translate("sagemaker", "CreateModel", {"vpcConfig": {"subnets": "subnet-1", "securityGroupIds": ["sg-1"]}})
    assert t.params == {"VpcConfig": {"Subnets": ["subnet-1"], "SecurityGroupIds": ["sg-1"]}}
    assert t.origins[("VpcConfig", "Subnets", 0)] == ("vpcConfig", "subnets")


def test_maps_keep_their_keys_and_mismatched_values_are_kept() -> None:
    t = translate("sagemaker", "CreateModel", {"primaryContainer": {"environment": {"log_level": "info"}}, "vpcConfig": "oops"})
    assert t.params == {"PrimaryContainer": {"Environment": {"log_level": "info"}}, "VpcConfig": "oops"}
    assert t.origins[("PrimaryContainer", "Environment", "log_level")] == ("primaryContainer", "environment", "log_level")
    assert t.origins[("VpcConfig",)] == ("vpcConfig",)


def test_at_translates_into_a_member() -> None:
    inputs = {"scheduleConfig": {"scheduleExpression": "cron(0 * ? * * *)"}, "monitoringJobDefinitionName": "dq", "monitoringType": "DataQuality"}
    t = translate("sagemaker", "CreateMonitoringSchedule", inputs, at=("MonitoringScheduleConfig",))
    assert t.params == {
        "MonitoringScheduleConfig": {
            "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
            "MonitoringJobDefinitionName": "dq",
            "MonitoringType": "DataQuality",
        }
    }
    assert t.origins[("MonitoringScheduleConfig", "ScheduleConfig", "ScheduleExpression")] == ("scheduleConfig", "scheduleExpression")
    problems, _ = validate(Request("sagemaker", "CreateMonitoringSchedule", {"MonitoringScheduleName": "s", **t.params}))
    assert problems == []
    with pytest.raises(ValueError, match="no member"):
        translate("sagemaker", "CreateMonitoringSchedule", inputs, at=("NoSuchMember",))


def test_at_with_rename_into_tag_set() -> None:
    t = translate("s3", "PutBucketTagging", {"tags": {"team": "risk"}}, renames={"tags": "TagSet"}, at=("Tagging",))
    assert t.params == {"Tagging": {"TagSet": [{"Key": "team", "Value": "risk"}]}}
    assert t.origins[("Tagging", "TagSet", 0, "Value")] == ("tags", "team")


# --- helpers -------------------------------------------------------------------------------


def test_format_path() -> None:
    assert format_path(("ProductionVariants", 0, "InstanceType")) == "ProductionVariants[0].InstanceType"
    assert format_path(()) == ""
    assert format_path(("Tags", "a.b")) == 'Tags["a.b"]'


def test_leaves() -> None:
    value = {"a": [1, {"b": True}], "c": None, "d": {"e": "x", "f": 1.5}}
    assert list(leaves(value)) == [(("a", 0), 1), (("a", 1, "b"), True), (("d", "e"), "x"), (("d", "f"), 1.5)]
    assert list(leaves("x", ("p",))) == [(("p",), "x")]
