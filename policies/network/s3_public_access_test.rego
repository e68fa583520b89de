package mlops.network.s3_public_access_test

import rego.v1

import data.mlops.lib.fixtures_test as fixtures
import data.mlops.network.s3_public_access

_no_block := {{
	"resource": fixtures.bucket,
	"message": "S3 bucket platform-artifacts must have a public access block with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets all true",
}}

_public_acl := {{
	"resource": fixtures.bucket,
	"message": "S3 bucket platform-artifacts must not grant public access through an ACL",
}}

test_blocked_bucket_allowed if {
	count(s3_public_access.deny) == 0 with input as fixtures.stack
}

test_one_flag_off_denied if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.public_access_block, {"restrictPublicBuckets": false})
	s3_public_access.deny == _no_block with input as doc
}

test_missing_block_denied if {
	doc := fixtures.without(fixtures.stack, fixtures.public_access_block)
	s3_public_access.deny == _no_block with input as doc
}

test_public_canned_acl_denied if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.bucket, {"acl": "public-read"})
	s3_public_access.deny == _public_acl with input as doc
}

test_acl_resource_granting_all_users_denied if {
	acl := fixtures.resource("aws:s3/bucketAcl:BucketAcl", "platform-artifacts-acl", null, [fixtures.bucket], {"accessControlPolicy": {"grants": [{
		"grantee": {"type": "Group", "uri": "http://acs.amazonaws.com/groups/global/AllUsers"},
		"permission": "READ",
	}]}})
	doc := fixtures.with_resources(fixtures.stack, [acl])
	s3_public_access.deny == _public_acl with input as doc
}

test_private_acl_allowed if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.bucket, {"acl": "private"})
	count(s3_public_access.deny) == 0 with input as doc
}

_acl_resource(type, inputs) := fixtures.resource(type, "platform-artifacts-acl", null, [fixtures.bucket], inputs)

# Each flag is required on its own.
test_each_flag_off_denied if {
	every flag in ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"] {
		doc := fixtures.with_inputs(fixtures.stack, fixtures.public_access_block, {flag: false})
		s3_public_access.deny == _no_block with input as doc
	}
}

# Both ACL resource types, with a public canned ACL or a public grantee.
test_acl_resources_with_public_canned_acl_denied if {
	every type in ["aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2"] {
		doc := fixtures.with_resources(fixtures.stack, [_acl_resource(type, {"acl": "public-read-write"})])
		s3_public_access.deny == _public_acl with input as doc
	}
}

test_acl_v2_granting_authenticated_users_denied if {
	grant := {"grantee": {"type": "Group", "uri": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"}, "permission": "READ"}
	doc := fixtures.with_resources(fixtures.stack, [_acl_resource("aws:s3/bucketAclV2:BucketAclV2", {"accessControlPolicy": {"grants": [grant]}})])
	s3_public_access.deny == _public_acl with input as doc
}

test_acl_resources_private_allowed if {
	grant := {"grantee": {"type": "CanonicalUser", "id": "abc123"}, "permission": "FULL_CONTROL"}
	every type in ["aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2"] {
		doc := fixtures.with_resources(fixtures.stack, [_acl_resource(type, {"acl": "private", "accessControlPolicy": {"grants": [grant]}})])
		count(s3_public_access.deny) == 0 with input as doc
	}
}

# A public ACL resource of another bucket says nothing about this one.
test_public_acl_of_other_bucket_only_denies_that_bucket if {
	acl := fixtures.resource("aws:s3/bucketAcl:BucketAcl", "platform-access-logs-acl", null, [fixtures.log_bucket], {"acl": "public-read"})
	doc := fixtures.with_resources(fixtures.stack, [acl])
	s3_public_access.deny == {{
		"resource": fixtures.log_bucket,
		"message": "S3 bucket platform-access-logs must not grant public access through an ACL",
	}} with input as doc
}
