package mlops.production.s3_versioning_test

import rego.v1

import data.mlops.lib.fixtures_test as fixtures
import data.mlops.production.s3_versioning

_denied := {{
	"resource": fixtures.bucket,
	"message": "S3 bucket platform-artifacts must enable versioning (a linked aws:s3/bucketVersioning with status Enabled)",
}}

test_versioned_bucket_allowed if {
	count(s3_versioning.deny) == 0 with input as fixtures.stack
}

test_suspended_versioning_denied if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.bucket_versioning, {"versioningConfiguration": {"status": "Suspended"}})
	s3_versioning.deny == _denied with input as doc
}

test_missing_versioning_denied if {
	doc := fixtures.without(fixtures.stack, fixtures.bucket_versioning)
	s3_versioning.deny == _denied with input as doc
}
