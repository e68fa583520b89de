# METADATA
# title: IAM policies allow no wildcard actions
# description: Checks whether any IAM identity policy allows every action ("*") or every action of a service ("service:*").
# custom:
#   id: iam-no-wildcard-actions
#   severity: critical
#   controls: [SOC2:CC6.3, ISO27001:A.5.15, ISO27001:A.8.2, NIST800-53:AC-6, HIPAA:164.308(a)(4)(i)]
#   resource_types: [aws:iam/rolePolicy:RolePolicy, aws:iam/policy:Policy, aws:iam/userPolicy:UserPolicy, aws:iam/groupPolicy:GroupPolicy, aws:iam/role:Role]
#   waivable: false
#   resource_local: true
package mlops.iam.wildcard_actions

import rego.v1

import data.mlops.lib.resources as lib

deny contains violation if {
	some statement in lib.allow_statements
	some action in statement.actions
	regex.match(`^([A-Za-z0-9-]+:)?\*$`, action)
	violation := {
		"resource": statement.urn,
		"message": sprintf("IAM policy %s must not allow the wildcard action %s", [statement.name, action]),
	}
}
