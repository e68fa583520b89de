package mlops.network.s3_tls_only_test

import rego.v1

import data.mlops.lib.fixtures_test as fixtures
import data.mlops.network.s3_tls_only

_denied := {{
	"resource": fixtures.bucket,
	"message": "S3 bucket platform-artifacts must have a bucket policy that denies every request made without TLS (Deny when aws:SecureTransport is false)",
}}

_policy(statement) := json.marshal({"Version": "2012-10-17", "Statement": [statement]})

_tls_statement := {
	"Effect": "Deny",
	"Principal": "*",
	"Action": "s3:*",
	"Resource": ["arn:aws:s3:::acme-prod-artifacts-x/*"],
	"Condition": {"Bool": {"aws:SecureTransport": "false"}},
}

test_tls_only_policy_allowed if {
	count(s3_tls_only.deny) == 0 with input as fixtures.stack
}

test_boolean_condition_and_aws_principal_allowed if {
	statement := object.union(_tls_statement, {"Principal": {"AWS": "*"}, "Action": ["s3:*"], "Condition": {"Bool": {"aws:SecureTransport": false}}})
	doc := fixtures.with_inputs(fixtures.stack, fixtures.bucket_policy, {"policy": _policy(statement)})
	count(s3_tls_only.deny) == 0 with input as doc
}

test_missing_policy_denied if {
	doc := fixtures.without(fixtures.stack, fixtures.bucket_policy)
	s3_tls_only.deny == _denied with input as doc
}

test_allow_statement_denied if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.bucket_policy, {"policy": _policy(object.union(_tls_statement, {"Effect": "Allow"}))})
	s3_tls_only.deny == _denied with input as doc
}

test_deny_of_some_actions_only_denied if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.bucket_policy, {"policy": _policy(object.union(_tls_statement, {"Action": "s3:GetObject"}))})
	s3_tls_only.deny == _denied with input as doc
}

test_unparsable_policy_denied if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.bucket_policy, {"policy": "{not json"})
	s3_tls_only.deny == _denied with input as doc
}

_with_statement(patch) := fixtures.with_inputs(fixtures.stack, fixtures.bucket_policy, {"policy": _policy(object.union(_tls_statement, patch))})

# Each condition of the TLS statement is required on its own.
test_deny_for_one_principal_only_denied if {
	doc := _with_statement({"Principal": {"AWS": "arn:aws:iam::123456789012:root"}})
	s3_tls_only.deny == _denied with input as doc
}

test_deny_without_transport_condition_denied if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.bucket_policy, {"policy": _policy(object.remove(_tls_statement, ["Condition"]))})
	s3_tls_only.deny == _denied with input as doc
}

test_deny_of_secure_requests_denied if {
	doc := _with_statement({"Condition": {"Bool": {"aws:SecureTransport": "true"}}})
	s3_tls_only.deny == _denied with input as doc
}

test_deny_of_some_actions_in_a_list_denied if {
	doc := _with_statement({"Action": ["s3:GetObject", "s3:PutObject"]})
	s3_tls_only.deny == _denied with input as doc
}

# IAM's other accepted shapes: every action as "*", the condition value in a list (as text or a
# boolean), a single statement object instead of a list.
test_all_actions_and_listed_conditions_allowed if {
	every condition in [["false"], [false], ["true", "false"]] {
		doc := _with_statement({"Action": "*", "Condition": {"Bool": {"aws:SecureTransport": condition}}})
		count(s3_tls_only.deny) == 0 with input as doc
	}
}

test_listed_secure_condition_denied if {
	doc := _with_statement({"Condition": {"Bool": {"aws:SecureTransport": ["true", true]}}})
	s3_tls_only.deny == _denied with input as doc
}

test_single_statement_object_allowed if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.bucket_policy, {"policy": json.marshal({"Version": "2012-10-17", "Statement": _tls_statement})})
	count(s3_tls_only.deny) == 0 with input as doc
}

# A policy the plan holds only as an unknown value or an object is not proof of TLS.
test_policy_not_text_denied if {
	every policy in [{"Statement": [_tls_statement]}, null] {
		doc := fixtures.with_inputs(fixtures.stack, fixtures.bucket_policy, {"policy": policy})
		s3_tls_only.deny == _denied with input as doc
	}
}
