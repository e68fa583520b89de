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

_typed_attachment(type, arn) := fixtures.resource(type, "fraud-detector-access-managed", "fraud-detector", [fixtures.role], {"policyArn": arn})

# Every kind of attachment is checked.
test_user_group_and_policy_attachments_denied if {
	types := [
		"aws:iam/userPolicyAttachment:UserPolicyAttachment",
		"aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
		"aws:iam/policyAttachment:PolicyAttachment",
	]
	every type in types {
		doc := fixtures.with_resources(fixtures.stack, [_typed_attachment(type, "arn:aws:iam::aws:policy/AdministratorAccess")])
		full_access_policies.deny == {{
			"resource": fixtures.urn(type, "fraud-detector-access-managed"),
			"message": "IAM policy attachment fraud-detector-access-managed must not attach the AWS managed policy arn:aws:iam::aws:policy/AdministratorAccess",
		}} with input as doc
	}
}

# A resource that is not an IAM attachment is not checked, whatever its inputs hold.
test_other_resource_with_policy_arn_allowed if {
	doc := fixtures.with_resources(fixtures.stack, [_typed_attachment("aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment", "arn:aws:iam::aws:policy/AdministratorAccess")])
	count(full_access_policies.deny) == 0 with input as doc
}

test_scoped_managed_policy_on_role_allowed if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.role, {"managedPolicyArns": ["arn:aws:iam::aws:policy/AmazonSageMakerReadOnly"]})
	count(full_access_policies.deny) == 0 with input as doc
}

# An ARN that is not a string (an unknown output) is not matched, and does not fail the evaluation.
test_non_string_managed_policy_on_role_allowed if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.role, {"managedPolicyArns": [null, 7]})
	count(full_access_policies.deny) == 0 with input as doc
}
