# METADATA
# title: No resource policy allows everyone without a condition on the caller
# description: Checks whether any Allow statement of a KMS key policy, IAM role trust policy or S3 bucket policy grants the "*" principal (alone, as AWS "*", or through NotPrincipal) without a condition that narrows the caller, that is one of the environment's principal_narrowing_condition_keys compared with StringEquals, StringLike, ArnEquals or ArnLike (or their ForAnyValue forms) against specific values. Deny statements, such as the TLS-only ones, grant nothing and pass.
# custom:
#   id: no-unconditioned-star-principal
#   severity: critical
#   controls: [SOC2:CC6.1, SOC2:CC6.3, ISO27001:A.5.15, ISO27001:A.8.3, NIST800-53:AC-3, NIST800-53:AC-6, HIPAA:164.312(a)(1)]
#   resource_types: [aws:kms/key:Key, aws:kms/keyPolicy:KeyPolicy, aws:iam/role:Role, aws:s3/bucketPolicy:BucketPolicy]
#   waivable: false
#   resource_local: true
package mlops.iam.no_unconditioned_star_principal

import rego.v1

import data.mlops.lib.resources as lib

# The input holding each type's policy document, and what to call the document in messages.
_documents := {
	"aws:kms/key:Key": {"input": "policy", "kind": "KMS key policy"},
	"aws:kms/keyPolicy:KeyPolicy": {"input": "policy", "kind": "KMS key policy"},
	"aws:iam/role:Role": {"input": "assumeRolePolicy", "kind": "IAM role trust policy"},
	"aws:s3/bucketPolicy:BucketPolicy": {"input": "policy", "kind": "S3 bucket policy"},
}

# Operators that hold only when the key is present and matches; IfExists, negated and
# ForAllValues operators also hold when the key is absent or differs, so they narrow nothing.
_narrowing_operators := {
	"StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike",
	"ForAnyValue:StringEquals", "ForAnyValue:StringEqualsIgnoreCase", "ForAnyValue:StringLike",
}

deny contains violation if {
	some type, document in _documents
	some resource in lib.resources_of(type)
	some index, statement in lib.policy_statements(lib.value_at(resource, ["inputs", document.input]))
	lib.value_at(statement, ["Effect"]) != "Deny"
	_everyone(statement)
	not _narrowed(statement)
	violation := {
		"resource": resource.urn,
		"message": sprintf("%s of %s must not allow the \"*\" principal without a condition that narrows the caller (statement %s); name the principals or add a condition such as aws:SourceAccount, aws:PrincipalOrgID or kms:CallerAccount", [document.kind, resource.name, _label(statement, index)]),
	}
}

_everyone(statement) if lib.value_at(statement, ["Principal"]) == "*"

_everyone(statement) if "*" in _strings(lib.value_at(statement, ["Principal", "AWS"]))

# Allow with NotPrincipal grants everyone but the principals it lists.
_everyone(statement) if lib.value_at(statement, ["NotPrincipal"]) != null

_narrowed(statement) if {
	some operator, conditions in lib.object_at(statement, ["Condition"])
	operator in _narrowing_operators
	some key, value in conditions
	lower(key) in _narrowing_keys
	_specific(value)
}

# IAM condition keys are case-insensitive.
_narrowing_keys := {lower(key) | some key in lib.parameters.principal_narrowing_condition_keys}

_specific(value) if _specific_text(value)

_specific(value) if {
	is_array(value)
	count(value) > 0
	every item in value {
		_specific_text(item)
	}
}

_specific_text(text) if {
	is_string(text)
	not trim_space(text) in {"", "*"}
}

_strings(value) := [value] if is_string(value)

_strings(value) := value if is_array(value)

_label(statement, index) := sprintf("Sid %s", [statement.Sid]) if {
	lib.string_at(statement, ["Sid"]) != ""
} else := sprintf("#%d", [index + 1])
