# METADATA
# title: Evidence buckets keep every object for the retention period
# description: Checks whether the buckets holding evidence (captured inference data and reports, by the role their resource name ends in) keep every object, current and noncurrent, at least the environment's evidence_retention days (high_risk_days when the stack serves a high-risk model, six months in prod); no enabled lifecycle rule may expire current objects or noncurrent versions sooner, so the records of what a model saw and decided outlive the period auditors and regulators ask for.
# custom:
#   id: evidence-retention
#   severity: high
#   controls: [SOC2:CC7.2, ISO27001:A.5.33, ISO27001:A.8.15, NIST800-53:AU-11, HIPAA:164.316(b)(2)(i), EU-AI-ACT:Art.12, EU-AI-ACT:Art.19, EU-AI-ACT:Art.26, NIST-AI-RMF:GOVERN-1.4, ISO42001:A.6.2.8]
#   resource_types: [aws:s3/bucket:Bucket]
#   waivable: true
package mlops.production.evidence_retention

import rego.v1

import data.mlops.lib.resources as lib

_lifecycle_types := {
	"aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
	"aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
}

deny contains violation if {
	some bucket in lib.resources_of("aws:s3/bucket:Bucket")
	_evidence(bucket)
	days := _required_days
	some type in _lifecycle_types
	some configuration in lib.linked(type, bucket)
	some rule in lib.array_at(configuration, ["inputs", "rules"])
	lib.value_at(rule, ["status"]) == "Enabled"
	some field, kept in _expiries(rule)
	kept < days
	violation := {
		"resource": bucket.urn,
		"message": sprintf("S3 bucket %s holds evidence and must keep every object at least %d days in %s; lifecycle rule %s expires %s after %d days", [bucket.name, days, input.environment, _rule_id(rule), field, kept]),
	}
}

# What an enabled rule expires, and after how many days.
_expiries(rule) := {field: days |
	some field, path in {
		"current objects (expiration.days)": ["expiration", "days"],
		"noncurrent versions (noncurrentVersionExpiration.noncurrentDays)": ["noncurrentVersionExpiration", "noncurrentDays"],
	}
	days := lib.value_at(rule, path)
	is_number(days)
}

_rule_id(rule) := id if {
	id := lib.string_at(rule, ["id"])
	id != ""
} else := "(no id)"

_evidence(bucket) if {
	some role in lib.parameters.evidence_retention.roles
	endswith(bucket.name, sprintf("-%s", [role]))
}

_required_days := lib.parameters.evidence_retention.high_risk_days if {
	some model in lib.array_at(input, ["models"])
	lib.value_at(model, ["spec", "metadata", "risk_tier"]) == "high"
} else := lib.parameters.evidence_retention.default_days
