package mlops.iam.wildcard_actions_test

import rego.v1

import data.mlops.iam.wildcard_actions
import data.mlops.lib.fixtures_test as fixtures

_policy(statement) := json.marshal({"Version": "2012-10-17", "Statement": [statement]})

# The fixture's role policy uses kms:GenerateDataKey*, a partial wildcard within one service.
test_scoped_actions_allowed if {
	count(wildcard_actions.deny) == 0 with input as fixtures.stack
}

test_service_wildcard_denied if {
	statement := {"Effect": "Allow", "Action": ["s3:GetObject", "s3:*"], "Resource": "arn:aws:s3:::acme-prod-artifacts-x/fraud-detector/*"}
	doc := fixtures.with_inputs(fixtures.stack, fixtures.role_policy, {"policy": _policy(statement)})
	wildcard_actions.deny == {{
		"resource": fixtures.role_policy,
		"message": "IAM policy fraud-detector-access-execution-policy must not allow the wildcard action s3:*",
	}} with input as doc
}

test_full_wildcard_in_role_inline_policy_denied if {
	statement := {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::acme-prod-artifacts-x"}
	doc := fixtures.with_inputs(fixtures.stack, fixtures.role, {"inlinePolicies": [{"name": "extra", "policy": _policy(statement)}]})
	wildcard_actions.deny == {{
		"resource": fixtures.role,
		"message": "IAM policy fraud-detector-access-execution must not allow the wildcard action *",
	}} with input as doc
}

test_wildcard_in_deny_statement_allowed if {
	statement := {"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
	doc := fixtures.with_inputs(fixtures.stack, fixtures.role_policy, {"policy": _policy(statement)})
	count(wildcard_actions.deny) == 0 with input as doc
}
