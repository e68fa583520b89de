# METADATA
# title: S3 buckets keep object versions
# description: Checks whether every S3 bucket has a linked versioning configuration with status Enabled, so overwritten or deleted models, data and reports can be recovered.
# custom:
#   id: s3-bucket-versioning
#   severity: medium
#   controls: [SOC2:A1.2, ISO27001:A.8.13, NIST800-53:CP-9, HIPAA:164.308(a)(7)(ii)(A)]
#   resource_types: [aws:s3/bucket:Bucket]
#   waivable: true
package mlops.production.s3_versioning

import rego.v1

import data.mlops.lib.resources as lib

_versioning_types := {"aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"}

deny contains violation if {
	some bucket in lib.resources_of("aws:s3/bucket:Bucket")
	not _versioned(bucket)
	violation := {
		"resource": bucket.urn,
		"message": sprintf("S3 bucket %s must enable versioning (a linked aws:s3/bucketVersioning with status Enabled)", [bucket.name]),
	}
}

_versioned(bucket) if {
	some type in _versioning_types
	some versioning in lib.linked(type, bucket)
	lib.value_at(versioning, ["inputs", "versioningConfiguration", "status"]) == "Enabled"
}
