# METADATA
# title: Model roles reach only their own prefixes in platform buckets
# description: Checks whether the IAM policies of a model allow S3 object access in the platform's buckets only under that model's own prefix, never another model's prefix or a whole bucket.
# custom:
#   id: iam-model-scoped-s3-access
#   severity: high
#   controls: [SOC2:CC6.3, ISO27001:A.8.3, NIST800-53:AC-6, NIST800-53:AC-3, HIPAA:164.312(a)(1)]
#   resource_types: [aws:iam/rolePolicy:RolePolicy, aws:iam/policy:Policy, aws:iam/userPolicy:UserPolicy, aws:iam/groupPolicy:GroupPolicy, aws:iam/role:Role]
#   waivable: true
package mlops.iam.model_scoped_s3

import rego.v1

import data.mlops.lib.resources as lib

# Platform buckets are shared by every model; each model's data lives under `<model>/`.
deny contains violation if {
	some statement in lib.allow_statements
	is_string(statement.model)
	some action in statement.actions
	_object_action(action)
	some arn in statement.resources
	_beyond_prefix(arn, statement.model)
	violation := {
		"resource": statement.urn,
		"message": sprintf("IAM policy %s must limit S3 object access in platform buckets to the %s/ prefix (found %s)", [statement.name, statement.model, arn]),
	}
}

# IAM action names are case-insensitive and may hold wildcards (s3:Get*, s3:*Object).
_object_action(action) if {
	some probe in ["s3:getobject", "s3:putobject", "s3:deleteobject"]
	glob.match(lower(action), [], probe)
}

_beyond_prefix(arn, _) if arn == "*"

_beyond_prefix(arn, _) if {
	path := _s3_path(arn)
	indexof(path, "/") == -1
	_wildcard(path)
	_platform_bucket(path)
}

_beyond_prefix(arn, model) if {
	path := _s3_path(arn)
	slash := indexof(path, "/")
	slash >= 0
	_platform_bucket(substring(path, 0, slash))
	not startswith(_literal(substring(path, slash + 1, -1)), sprintf("%s/", [model]))
}

# Everything after the ARN's first ":::" (an object key may itself hold ":::").
_s3_path(arn) := found[0][1] if {
	found := regex.find_all_string_submatch_n(`^arn:aws[a-z-]*:s3:::(.*)$`, arn, 1)
}

_wildcard(text) if regex.match(`[*?]`, text)

# The part of an IAM resource pattern before its first wildcard.
_literal(pattern) := split(split(pattern, "*")[0], "?")[0]

# Whether a bucket name or pattern can match a platform bucket, known by its exact name, its
# name prefix, or (auto-named) its logical name followed by Pulumi's random suffix.
_platform_bucket(pattern) if {
	some prefix in _platform_bucket_prefixes
	startswith(_literal(pattern), prefix)
}

_platform_bucket(pattern) if {
	_wildcard(pattern)
	some prefix in _platform_bucket_prefixes
	startswith(prefix, _literal(pattern))
}

_platform_bucket_prefixes contains prefix if {
	some bucket in lib.resources_of("aws:s3/bucket:Bucket")
	prefix := _bucket_prefix(bucket)
}

_bucket_prefix(bucket) := name if {
	name := lib.string_at(bucket, ["inputs", "bucket"])
	name != ""
} else := prefix if {
	prefix := lib.string_at(bucket, ["inputs", "bucketPrefix"])
	prefix != ""
} else := sprintf("%s-", [bucket.name])
