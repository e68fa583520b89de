package mlops.iam.wildcard_resources_test

import rego.v1

import data.mlops.iam.wildcard_resources
import data.mlops.lib.fixtures_test as fixtures

_policy(statement) := json.marshal({"Version": "2012-10-17", "Statement": statement})

# The fixture allows ecr:GetAuthorizationToken and cloudwatch:PutMetricData on "*": AWS offers
# no resource-level permissions for them.
test_exempt_actions_on_any_resource_allowed if {
	count(wildcard_resources.deny) == 0 with input as fixtures.stack
}

test_scoped_action_on_any_resource_denied if {
	statement := {"Effect": "Allow", "Action": ["cloudwatch:PutMetricData", "s3:PutObject", "s3:GetObject"], "Resource": ["*"]}
	doc := fixtures.with_inputs(fixtures.stack, fixtures.role_policy, {"policy": _policy(statement)})
	wildcard_resources.deny == {{
		"resource": fixtures.role_policy,
		"message": "IAM policy fraud-detector-access-execution-policy must name specific resources, not \"*\", for s3:GetObject, s3:PutObject",
	}} with input as doc
}

test_named_resources_allowed if {
	statement := [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-prod-artifacts-x/fraud-detector/*"}]
	doc := fixtures.with_inputs(fixtures.stack, fixtures.role_policy, {"policy": _policy(statement)})
	count(wildcard_resources.deny) == 0 with input as doc
}

test_single_scoped_action_on_any_resource_denied if {
	statement := {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
	doc := fixtures.with_inputs(fixtures.stack, fixtures.role_policy, {"policy": _policy(statement)})
	wildcard_resources.deny == {{
		"resource": fixtures.role_policy,
		"message": "IAM policy fraud-detector-access-execution-policy must name specific resources, not \"*\", for s3:GetObject",
	}} with input as doc
}
