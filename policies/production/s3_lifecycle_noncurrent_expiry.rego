# METADATA
# title: Versioned S3 buckets expire noncurrent versions after their retention
# description: Checks whether every versioned S3 bucket has a linked lifecycle configuration with an enabled rule covering every object that expires noncurrent versions after at least the environment's noncurrent_version_retention_days for the bucket's role (the role its resource name ends in, else 'default'), so overwritten and deleted data stays recoverable for that long and is then disposed of rather than kept and billed forever.
# custom:
#   id: s3-lifecycle-noncurrent-expiry
#   severity: medium
#   controls: [SOC2:A1.2, SOC2:C1.2, ISO27001:A.8.10, ISO27001:A.8.13, NIST800-53:CP-9, NIST800-53:SI-12, HIPAA:164.310(d)(2)(i)]
#   resource_types: [aws:s3/bucket:Bucket]
#   waivable: true
package mlops.production.s3_lifecycle_noncurrent_expiry

import rego.v1

import data.mlops.lib.resources as lib

_versioning_types := {"aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"}

_lifecycle_types := {
	"aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
	"aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
}

deny contains violation if {
	some bucket in lib.resources_of("aws:s3/bucket:Bucket")
	_versioned(bucket)
	days := _retention(bucket)
	not _expires_noncurrent(bucket, days)
	violation := {
		"resource": bucket.urn,
		"message": sprintf("S3 bucket %s keeps object versions and must have an enabled lifecycle rule covering every object that expires noncurrent versions after %d days or more (noncurrentVersionExpiration.noncurrentDays)", [bucket.name, days]),
	}
}

_versioned(bucket) if {
	some type in _versioning_types
	some versioning in lib.linked(type, bucket)
	lib.value_at(versioning, ["inputs", "versioningConfiguration", "status"]) == "Enabled"
}

_expires_noncurrent(bucket, days) if {
	some type in _lifecycle_types
	some configuration in lib.linked(type, bucket)
	some rule in lib.array_at(configuration, ["inputs", "rules"])
	lib.value_at(rule, ["status"]) == "Enabled"
	not _filtered(rule)
	lib.number_at(rule, ["noncurrentVersionExpiration", "noncurrentDays"]) >= days
}

# A rule limited to a key prefix, tag or object size leaves the other objects' versions forever.
_filtered(rule) if lib.string_at(rule, ["prefix"]) != ""

_filtered(rule) if {
	some key, value in lib.object_at(rule, ["filter"])
	value != null
	not _every_object(key, value)
}

_every_object(key, value) if {
	key == "prefix"
	value == ""
}

# The longest retention of the roles the bucket's resource name ends in, else the default's.
_retention(bucket) := max(matched) if {
	retention := lib.parameters.noncurrent_version_retention_days
	matched := [days |
		some role, days in retention
		role != "default"
		_has_role(bucket.name, role)
	]
	count(matched) > 0
} else := lib.parameters.noncurrent_version_retention_days["default"]

_has_role(name, role) if name == role

_has_role(name, role) if endswith(name, sprintf("-%s", [role]))
