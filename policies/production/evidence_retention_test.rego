package mlops.production.evidence_retention_test

import rego.v1

import data.mlops.lib.fixtures_test as fixtures
import data.mlops.production.evidence_retention

_urn(type, name) := sprintf("urn:pulumi:prod::mlops-platform::mlops:platform:Platform$%s::%s", [type, name])

_bucket(role) := {
	"urn": _urn("aws:s3/bucket:Bucket", sprintf("platform-%s", [role])),
	"type": "aws:s3/bucket:Bucket",
	"name": sprintf("platform-%s", [role]),
	"parent": null,
	"dependencies": [],
	"inputs": {"bucketPrefix": sprintf("acme-prod-%s-", [role])},
	"tags": {},
	"model": null,
}

_lifecycle(role, rules) := {
	"urn": _urn("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", sprintf("platform-%s-lifecycle", [role])),
	"type": "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
	"name": sprintf("platform-%s-lifecycle", [role]),
	"parent": null,
	"dependencies": [_bucket(role).urn],
	"inputs": {"bucket": "x", "rules": rules},
	"tags": {},
	"model": null,
}

_rule(fields) := object.union({"id": "keep-evidence", "status": "Enabled", "filter": {}}, fields)

_stack(role, rules) := object.union(fixtures.stack, {"resources": [_bucket(role), _lifecycle(role, rules)]})

# fixtures.stack serves the high-risk fraud-detector: prod's high_risk_days (183) apply.
_low_risk(document) := object.union(document, {"models": [fixtures.stack.models[1]]})

test_evidence_kept_long_enough_allowed if {
	rules := [_rule({"expiration": {"days": 400}, "noncurrentVersionExpiration": {"noncurrentDays": 183}})]
	count(evidence_retention.deny) == 0 with input as _stack("data-capture", rules)
	count(evidence_retention.deny) == 0 with input as _stack("reports", rules)
	# A rule that expires nothing keeps every object.
	count(evidence_retention.deny) == 0 with input as _stack("reports", [_rule({"abortIncompleteMultipartUpload": {"daysAfterInitiation": 7}})])
}

test_current_objects_expiring_too_soon_denied if {
	denied := evidence_retention.deny with input as _stack("data-capture", [_rule({"expiration": {"days": 182}})])
	denied == {{
		"resource": _bucket("data-capture").urn,
		"message": "S3 bucket platform-data-capture holds evidence and must keep every object at least 183 days in prod; lifecycle rule keep-evidence expires current objects (expiration.days) after 182 days",
	}}
}

test_noncurrent_versions_expiring_too_soon_denied if {
	denied := evidence_retention.deny with input as _stack("reports", [_rule({"noncurrentVersionExpiration": {"noncurrentDays": 30}})])
	denied == {{
		"resource": _bucket("reports").urn,
		"message": "S3 bucket platform-reports holds evidence and must keep every object at least 183 days in prod; lifecycle rule keep-evidence expires noncurrent versions (noncurrentVersionExpiration.noncurrentDays) after 30 days",
	}}
}

test_low_risk_stacks_keep_the_default_period if {
	rules := [_rule({"expiration": {"days": 90}})]
	count(evidence_retention.deny) == 0 with input as _low_risk(_stack("reports", rules))
	count(evidence_retention.deny) == 1 with input as _low_risk(_stack("reports", [_rule({"expiration": {"days": 89}})]))
}

test_disabled_rules_and_other_buckets_are_not_evidence if {
	count(evidence_retention.deny) == 0 with input as _stack("reports", [_rule({"status": "Disabled", "expiration": {"days": 1}})])
	count(evidence_retention.deny) == 0 with input as _stack("artifacts", [_rule({"expiration": {"days": 1}})])
}

test_a_rule_without_id_is_named_so if {
	rule := json.patch(_rule({"expiration": {"days": 1}}), [{"op": "remove", "path": "/id"}])
	some violation in evidence_retention.deny with input as _stack("reports", [rule])
	contains(violation.message, "lifecycle rule (no id) expires")
}
