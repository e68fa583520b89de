# METADATA
# title: No AWS managed full-access policies
# description: Checks whether any role, user or group attaches an AWS managed policy that grants full access to a service or the account, such as AmazonSageMakerFullAccess.
# custom:
#   id: iam-no-full-access-policies
#   severity: high
#   controls: [SOC2:CC6.3, ISO27001:A.8.2, NIST800-53:AC-6, HIPAA:164.308(a)(4)(i)]
#   resource_types: [aws:iam/role:Role, aws:iam/rolePolicyAttachment:RolePolicyAttachment, aws:iam/policyAttachment:PolicyAttachment, aws:iam/userPolicyAttachment:UserPolicyAttachment, aws:iam/groupPolicyAttachment:GroupPolicyAttachment]
#   waivable: true
#   resource_local: true
package mlops.iam.full_access_policies

import rego.v1

import data.mlops.lib.resources as lib

_attachment_types := {
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment",
	"aws:iam/userPolicyAttachment:UserPolicyAttachment",
	"aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
	"aws:iam/policyAttachment:PolicyAttachment",
}

deny contains violation if {
	some attachment in lib.all_resources
	attachment.type in _attachment_types
	arn := lib.string_at(attachment, ["inputs", "policyArn"])
	_full_access(arn)
	violation := {
		"resource": attachment.urn,
		"message": sprintf("IAM policy attachment %s must not attach the AWS managed policy %s", [attachment.name, arn]),
	}
}

deny contains violation if {
	some role in lib.resources_of("aws:iam/role:Role")
	some arn in lib.array_at(role, ["inputs", "managedPolicyArns"])
	_full_access(arn)
	violation := {
		"resource": role.urn,
		"message": sprintf("IAM role %s must not attach the AWS managed policy %s", [role.name, arn]),
	}
}

_full_access(arn) if {
	is_string(arn)
	regex.match(lib.parameters.forbidden_managed_policy_pattern, arn)
}
