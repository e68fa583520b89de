package mlops.iam.model_scoped_s3_test

import rego.v1

import data.mlops.iam.model_scoped_s3
import data.mlops.lib.fixtures_test as fixtures

_with_objects(resources) := fixtures.with_inputs(fixtures.stack, fixtures.role_policy, {"policy": json.marshal({
	"Version": "2012-10-17",
	"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": resources}],
})})

_denied(arn) := {{
	"resource": fixtures.role_policy,
	"message": sprintf("IAM policy fraud-detector-access-execution-policy must limit S3 object access in platform buckets to the fraud-detector/ prefix (found %s)", [arn]),
}}

test_own_prefix_allowed if {
	count(model_scoped_s3.deny) == 0 with input as fixtures.stack
}

test_other_model_prefix_denied if {
	doc := _with_objects(["arn:aws:s3:::acme-prod-artifacts-x/fraud-detector/*", "arn:aws:s3:::acme-prod-artifacts-x/churn-predictor/*"])
	model_scoped_s3.deny == _denied("arn:aws:s3:::acme-prod-artifacts-x/churn-predictor/*") with input as doc
}

test_whole_bucket_denied if {
	doc := _with_objects("arn:aws:s3:::acme-prod-artifacts-x/*")
	model_scoped_s3.deny == _denied("arn:aws:s3:::acme-prod-artifacts-x/*") with input as doc
}

test_prefix_without_delimiter_denied if {
	doc := _with_objects("arn:aws:s3:::acme-prod-artifacts-x/fraud-detector*")
	model_scoped_s3.deny == _denied("arn:aws:s3:::acme-prod-artifacts-x/fraud-detector*") with input as doc
}

test_bucket_wildcard_denied if {
	doc := _with_objects("arn:aws:s3:::acme-prod-*")
	model_scoped_s3.deny == _denied("arn:aws:s3:::acme-prod-*") with input as doc
}

test_any_resource_denied if {
	doc := _with_objects("*")
	model_scoped_s3.deny == _denied("*") with input as doc
}

test_wildcard_action_denied if {
	policy := json.marshal({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::acme-prod-artifacts-x/*"}})
	doc := fixtures.with_inputs(fixtures.stack, fixtures.role_policy, {"policy": policy})
	model_scoped_s3.deny == _denied("arn:aws:s3:::acme-prod-artifacts-x/*") with input as doc
}

test_external_bucket_allowed if {
	doc := _with_objects("arn:aws:s3:::acme-payments-lake/chargeback-labels/*")
	count(model_scoped_s3.deny) == 0 with input as doc
}

test_bucket_level_access_allowed if {
	policy := json.marshal({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::acme-prod-artifacts-x"}]})
	doc := fixtures.with_inputs(fixtures.stack, fixtures.role_policy, {"policy": policy})
	count(model_scoped_s3.deny) == 0 with input as doc
}

# Object actions on a bucket ARN itself grant nothing beyond the prefix.
test_object_action_on_bucket_arn_allowed if {
	doc := _with_objects("arn:aws:s3:::acme-prod-artifacts-x")
	count(model_scoped_s3.deny) == 0 with input as doc
}

# Wildcard bucket patterns that cannot match a platform bucket, with or without a key.
test_external_bucket_wildcards_allowed if {
	doc := _with_objects(["arn:aws:s3:::acme-payments-*", "arn:aws:s3:::acme-payments-*/labels/*"])
	count(model_scoped_s3.deny) == 0 with input as doc
}

# A bucket whose exact name is only the start of a platform bucket's name is another bucket.
test_external_bucket_named_like_platform_prefix_allowed if {
	doc := _with_objects("arn:aws:s3:::acme-prod-art/churn-predictor/*")
	count(model_scoped_s3.deny) == 0 with input as doc
}

# Other partitions are S3 too; other services' ARNs are not.
test_other_partition_denied if {
	doc := _with_objects("arn:aws-cn:s3:::acme-prod-artifacts-x/churn-predictor/*")
	model_scoped_s3.deny == _denied("arn:aws-cn:s3:::acme-prod-artifacts-x/churn-predictor/*") with input as doc
}

test_non_s3_arn_allowed if {
	doc := _with_objects("arn:aws:sqs:::acme-prod-artifacts-x/churn-predictor/*")
	count(model_scoped_s3.deny) == 0 with input as doc
}

# Policies of shared resources (no model) are not scoped to a model prefix.
test_shared_policy_allowed if {
	doc := fixtures.patch_resource(_with_objects("arn:aws:s3:::acme-prod-artifacts-x/*"), fixtures.role_policy, [{"op": "replace", "path": "/model", "value": null}])
	count(model_scoped_s3.deny) == 0 with input as doc
}

# An auto-named bucket (empty bucketPrefix) is known by its logical name and Pulumi's suffix.
test_auto_named_bucket_by_logical_name if {
	auto := fixtures.with_inputs(fixtures.stack, fixtures.bucket, {"bucketPrefix": ""})
	external := fixtures.with_inputs(auto, fixtures.role_policy, {"policy": json.marshal({
		"Version": "2012-10-17",
		"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::acme-payments-lake/labels/*"]}],
	})})
	count(model_scoped_s3.deny) == 0 with input as external
	platform := fixtures.with_inputs(auto, fixtures.role_policy, {"policy": json.marshal({
		"Version": "2012-10-17",
		"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::platform-artifacts-1a2b3c/churn-predictor/*"]}],
	})})
	model_scoped_s3.deny == _denied("arn:aws:s3:::platform-artifacts-1a2b3c/churn-predictor/*") with input as platform
}

# An object key may hold ":::" itself: the path is everything after the ARN's first ":::".
test_object_key_holding_the_arn_separator_denied if {
	arn := "arn:aws:s3:::acme-prod-artifacts-x/other-model/:::*"
	doc := _with_objects(["arn:aws:s3:::acme-prod-artifacts-x/fraud-detector/*", arn])
	denied := model_scoped_s3.deny with input as doc
	denied == _denied(arn)
}

test_own_prefix_holding_the_arn_separator_allowed if {
	doc := _with_objects("arn:aws:s3:::acme-prod-artifacts-x/fraud-detector/:::*")
	count(model_scoped_s3.deny) == 0 with input as doc
}
