# METADATA
# title: S3 buckets are never public
# description: Checks whether every S3 bucket has a linked public access block with all four settings enabled and grants no public ACL.
# custom:
#   id: s3-block-public-access
#   severity: critical
#   controls: [SOC2:CC6.1, SOC2:CC6.6, ISO27001:A.8.3, NIST800-53:AC-3, NIST800-53:SC-7, HIPAA:164.312(a)(1)]
#   resource_types: [aws:s3/bucket:Bucket]
#   waivable: false
package mlops.network.s3_public_access

import rego.v1

import data.mlops.lib.resources as lib

_flags := ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]

_public_canned_acls := {"public-read", "public-read-write", "authenticated-read"}

_public_grantees := {
	"http://acs.amazonaws.com/groups/global/AllUsers",
	"http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
}

_acl_types := {"aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2"}

deny contains violation if {
	some bucket in lib.resources_of("aws:s3/bucket:Bucket")
	not _blocked(bucket)
	violation := {
		"resource": bucket.urn,
		"message": sprintf("S3 bucket %s must have a public access block with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets all true", [bucket.name]),
	}
}

deny contains violation if {
	some bucket in lib.resources_of("aws:s3/bucket:Bucket")
	_public_acl(bucket)
	violation := {
		"resource": bucket.urn,
		"message": sprintf("S3 bucket %s must not grant public access through an ACL", [bucket.name]),
	}
}

_blocked(bucket) if {
	some block in lib.linked("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", bucket)
	every flag in _flags {
		lib.true_at(block, ["inputs", flag])
	}
}

_public_acl(bucket) if lib.value_at(bucket, ["inputs", "acl"]) in _public_canned_acls

_public_acl(bucket) if {
	some acl in _acl_resources(bucket)
	lib.value_at(acl, ["inputs", "acl"]) in _public_canned_acls
}

_public_acl(bucket) if {
	some acl in _acl_resources(bucket)
	some grant in lib.array_at(acl, ["inputs", "accessControlPolicy", "grants"])
	lib.value_at(grant, ["grantee", "uri"]) in _public_grantees
}

_acl_resources(bucket) := [acl | some type in _acl_types; some acl in lib.linked(type, bucket)]
