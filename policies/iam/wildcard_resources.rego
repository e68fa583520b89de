# METADATA
# title: IAM policies name the resources they allow
# description: Checks whether any IAM identity policy allows actions on Resource "*", other than the actions AWS offers no resource-level permissions for.
# custom:
#   id: iam-no-wildcard-resources
#   severity: high
#   controls: [SOC2:CC6.3, ISO27001:A.5.15, NIST800-53:AC-6, HIPAA:164.308(a)(4)(i)]
#   resource_types: [aws:iam/rolePolicy:RolePolicy, aws:iam/policy:Policy, aws:iam/userPolicy:UserPolicy, aws:iam/groupPolicy:GroupPolicy, aws:iam/role:Role]
#   waivable: true
#   resource_local: true
package mlops.iam.wildcard_resources

import rego.v1

import data.mlops.lib.resources as lib

deny contains violation if {
	some statement in lib.allow_statements
	"*" in statement.resources
	exempt := {action | some action in lib.parameters.wildcard_resource_exempt_actions}
	scoped := sort([action | some action in statement.actions; not action in exempt])
	count(scoped) > 0
	violation := {
		"resource": statement.urn,
		"message": sprintf("IAM policy %s must name specific resources, not \"*\", for %s", [statement.name, concat(", ", scoped)]),
	}
}
