package mlops.iam.full_access_policies_test

import rego.v1

import data.mlops.iam.full_access_policies
import data.mlops.lib.fixtures_test as fixtures

_attachment(arn) := fixtures.resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "fraud-detector-access-managed", "fraud-detector", [fixtures.role], {"role": "acme-prod-fraud-detector-sagemaker", "policyArn": arn})

test_no_managed_policies_allowed if {
	count(full_access_policies.deny) == 0 with input as fixtures.stack
}

test_full_access_attachment_denied if {
	doc := fixtures.with_resources(fixtures.stack, [_attachment("arn:aws:iam::aws:policy/AmazonSageMakerFullAccess")])
	full_access_policies.deny == {{
		"resource": fixtures.urn("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "fraud-detector-access-managed"),
		"message": "IAM policy attachment fraud-detector-access-managed must not attach the AWS managed policy arn:aws:iam::aws:policy/AmazonSageMakerFullAccess",
	}} with input as doc
}

test_administrator_access_on_role_denied if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.role, {"managedPolicyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"]})
	full_access_policies.deny == {{
		"resource": fixtures.role,
		"message": "IAM role fraud-detector-access-execution must not attach the AWS managed policy arn:aws:iam::aws:policy/AdministratorAccess",
	}} with input as doc
}

test_scoped_managed_policy_allowed if {
	doc := fixtures.with_resources(fixtures.stack, [_attachment("arn:aws:iam::aws:policy/AmazonSageMakerReadOnly")])
	count(full_access_policies.deny) == 0 with input as doc
}

test_customer_managed_policy_named_full_access_allowed if {
	doc := fixtures.with_resources(fixtures.stack, [_attachment("arn:aws:iam::123456789012:policy/TeamFullAccess")])
	count(full_access_policies.deny) == 0 with input as doc
}
