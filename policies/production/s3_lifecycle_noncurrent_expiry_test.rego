package mlops.production.s3_lifecycle_noncurrent_expiry_test

import rego.v1

import data.mlops.lib.fixtures_test as fixtures
import data.mlops.production.s3_lifecycle_noncurrent_expiry

_message(name, days) := sprintf(
	"S3 bucket %s keeps object versions and must have an enabled lifecycle rule covering every object that expires noncurrent versions after %d days or more (noncurrentVersionExpiration.noncurrentDays)",
	[name, days],
)

# prod's retention for the artifacts role is 90 days.
_denied := {{"resource": fixtures.bucket, "message": _message("platform-artifacts", 90)}}

# `doc` with the keys of `patch` set in the artifacts bucket's lifecycle rule.
_with_rule(doc, patch) := fixtures.patch_resource(doc, fixtures.bucket_lifecycle, [
	{"op": "add", "path": sprintf("/inputs/rules/0/%s", [key]), "value": value} |
	some key, value in patch
])

# The artifacts bucket keeps noncurrent versions 90 days, the log bucket 365: prod's retentions.
test_noncurrent_versions_expiring_after_the_retention_allowed if {
	count(s3_lifecycle_noncurrent_expiry.deny) == 0 with input as fixtures.stack
}

test_longer_retention_and_lifecycle_v2_allowed if {
	longer := _with_rule(fixtures.stack, {"noncurrentVersionExpiration": {"noncurrentDays": 400}})
	doc := fixtures.patch_resource(longer, fixtures.bucket_lifecycle, [
		{"op": "replace", "path": "/type", "value": "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2"},
	])
	count(s3_lifecycle_noncurrent_expiry.deny) == 0 with input as doc
}

test_filter_on_the_empty_prefix_allowed if {
	doc := _with_rule(fixtures.stack, {"filter": {"prefix": ""}})
	count(s3_lifecycle_noncurrent_expiry.deny) == 0 with input as doc
}

test_unversioned_bucket_without_lifecycle_allowed if {
	doc := fixtures.without(fixtures.without(fixtures.stack, fixtures.bucket_versioning), fixtures.bucket_lifecycle)
	count(s3_lifecycle_noncurrent_expiry.deny) == 0 with input as doc
}

# staging keeps artifacts' noncurrent versions 30 days.
test_shorter_retention_of_another_environment_allowed if {
	doc := fixtures.in_environment(_with_rule(fixtures.stack, {"noncurrentVersionExpiration": {"noncurrentDays": 30}}), "staging")
	count(s3_lifecycle_noncurrent_expiry.deny) == 0 with input as doc
}

test_missing_lifecycle_denied if {
	doc := fixtures.without(fixtures.stack, fixtures.bucket_lifecycle)
	s3_lifecycle_noncurrent_expiry.deny == _denied with input as doc
}

test_retention_below_the_parameter_denied if {
	doc := _with_rule(fixtures.stack, {"noncurrentVersionExpiration": {"noncurrentDays": 30}})
	s3_lifecycle_noncurrent_expiry.deny == _denied with input as doc
}

test_rule_without_noncurrent_expiration_denied if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.bucket_lifecycle, [
		{"op": "remove", "path": "/inputs/rules/0/noncurrentVersionExpiration"},
		{"op": "add", "path": "/inputs/rules/0/expiration", "value": {"days": 365}},
	])
	s3_lifecycle_noncurrent_expiry.deny == _denied with input as doc
}

test_disabled_rule_denied if {
	doc := _with_rule(fixtures.stack, {"status": "Disabled"})
	s3_lifecycle_noncurrent_expiry.deny == _denied with input as doc
}

test_rule_for_a_prefix_only_denied if {
	doc := _with_rule(fixtures.stack, {"filter": {"prefix": "fraud-detector/"}})
	s3_lifecycle_noncurrent_expiry.deny == _denied with input as doc
}

test_rule_for_a_tag_only_denied if {
	doc := _with_rule(fixtures.stack, {"filter": {"tag": {"key": "expire", "value": "true"}}})
	s3_lifecycle_noncurrent_expiry.deny == _denied with input as doc
}

test_rule_with_a_legacy_prefix_denied if {
	doc := _with_rule(fixtures.stack, {"prefix": "reports/"})
	s3_lifecycle_noncurrent_expiry.deny == _denied with input as doc
}

test_lifecycle_of_another_bucket_denied if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.bucket_lifecycle, [
		{"op": "replace", "path": "/dependencies", "value": [fixtures.log_bucket]},
	])
	s3_lifecycle_noncurrent_expiry.deny == _denied with input as doc
}

# The log bucket's name ends in -access-logs, whose prod retention is 365 days.
test_retention_follows_the_bucket_role_denied if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.log_bucket_lifecycle, [
		{"op": "replace", "path": "/inputs/rules/0/noncurrentVersionExpiration/noncurrentDays", "value": 90},
	])
	s3_lifecycle_noncurrent_expiry.deny == {{"resource": fixtures.log_bucket, "message": _message("platform-access-logs", 365)}} with input as doc
}

# A bucket of no listed role.
_scratch := fixtures.resource("aws:s3/bucket:Bucket", "scratch", null, [], {"bucketPrefix": "acme-prod-scratch-"})

# The fixture with the scratch bucket, versioned, expiring noncurrent versions after `days`.
_with_scratch(days) := fixtures.with_resources(fixtures.stack, [
	_scratch,
	fixtures.resource("aws:s3/bucketVersioning:BucketVersioning", "scratch-versioning", null, [_scratch.urn], {"versioningConfiguration": {"status": "Enabled"}}),
	fixtures.resource("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "scratch-lifecycle", null, [_scratch.urn], {"rules": [{"status": "Enabled", "noncurrentVersionExpiration": {"noncurrentDays": days}}]}),
])

# Any other bucket gets the default retention, 30 days in prod.
test_default_retention_for_other_buckets_allowed if {
	doc := _with_scratch(30)
	count(s3_lifecycle_noncurrent_expiry.deny) == 0 with input as doc
}

test_default_retention_for_other_buckets_denied if {
	doc := _with_scratch(29)
	s3_lifecycle_noncurrent_expiry.deny == {{"resource": _scratch.urn, "message": _message("scratch", 30)}} with input as doc
}

# Suspended versioning keeps no new versions: no lifecycle rule is needed.
test_suspended_versioning_without_lifecycle_allowed if {
	suspended := fixtures.with_inputs(fixtures.stack, fixtures.bucket_versioning, {"versioningConfiguration": {"status": "Suspended"}})
	doc := fixtures.without(suspended, fixtures.bucket_lifecycle)
	count(s3_lifecycle_noncurrent_expiry.deny) == 0 with input as doc
}

# Filter fields left null limit nothing; any other filter field but an empty prefix does.
test_filter_with_null_fields_allowed if {
	doc := _with_rule(fixtures.stack, {"filter": {"prefix": "", "tag": null, "objectSizeGreaterThan": null}})
	count(s3_lifecycle_noncurrent_expiry.deny) == 0 with input as doc
}

test_filter_with_empty_tag_denied if {
	doc := _with_rule(fixtures.stack, {"filter": {"tag": ""}})
	s3_lifecycle_noncurrent_expiry.deny == _denied with input as doc
}
