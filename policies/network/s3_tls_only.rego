# METADATA
# title: S3 buckets accept only TLS requests
# description: Checks whether every S3 bucket has a linked bucket policy that denies all S3 actions to everyone when aws:SecureTransport is false.
# custom:
#   id: s3-tls-only
#   severity: high
#   controls: [SOC2:CC6.7, ISO27001:A.8.24, NIST800-53:SC-8, HIPAA:164.312(e)(1)]
#   resource_types: [aws:s3/bucket:Bucket]
#   waivable: true
package mlops.network.s3_tls_only

import rego.v1

import data.mlops.lib.resources as lib

deny contains violation if {
	some bucket in lib.resources_of("aws:s3/bucket:Bucket")
	not _tls_only(bucket)
	violation := {
		"resource": bucket.urn,
		"message": sprintf("S3 bucket %s must have a bucket policy that denies every request made without TLS (Deny when aws:SecureTransport is false)", [bucket.name]),
	}
}

_tls_only(bucket) if {
	some policy in lib.linked("aws:s3/bucketPolicy:BucketPolicy", bucket)
	some statement in _statements(lib.value_at(policy, ["inputs", "policy"]))
	statement.Effect == "Deny"
	_everyone(statement.Principal)
	_all_s3_actions(statement.Action)
	_insecure_transport(lib.value_at(statement, ["Condition", "Bool", "aws:SecureTransport"]))
}

_statements(text) := document.Statement if {
	is_string(text)
	json.is_valid(text)
	document := json.unmarshal(text)
	is_array(document.Statement)
}

_statements(text) := [document.Statement] if {
	is_string(text)
	json.is_valid(text)
	document := json.unmarshal(text)
	is_object(document.Statement)
}

_everyone(principal) if principal == "*"

_everyone(principal) if principal.AWS == "*"

_all_s3_actions(value) if value in {"*", "s3:*"}

_all_s3_actions(value) if {
	is_array(value)
	some action in value
	action in {"*", "s3:*"}
}

# IAM accepts the condition value as a string or a boolean, alone or in a list.
_insecure_transport(value) if value in {"false", false}

_insecure_transport(value) if {
	is_array(value)
	some item in value
	item in {"false", false}
}
