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
