# METADATA
# title: Changes do not destroy stored data without an approved exception
# description: Checks whether a change, as `mlops diff` classifies it against the base plan, replaces or deletes a resource that holds data (feature groups, S3 buckets, KMS keys, model package groups), so the data is migrated first or the loss is approved with a waiver. Silent when the policy input has no changes (a plan without a base).
# custom:
#   id: data-loss-replacement
#   severity: high
#   controls: [SOC2:A1.2, SOC2:CC8.1, ISO27001:A.8.13, ISO27001:A.8.32, NIST800-53:CM-3, NIST800-53:CM-4, NIST800-53:CP-9, HIPAA:164.312(c)(1)]
#   resource_types: [aws:sagemaker/featureGroup:FeatureGroup, aws:s3/bucket:Bucket, aws:s3/bucketV2:BucketV2, aws:kms/key:Key, aws:sagemaker/modelPackageGroup:ModelPackageGroup]
#   needs: [changes]
#   waivable: true
package mlops.governance.data_loss

import rego.v1

import data.mlops.lib.resources as lib

_verbs := {"replace": "replaced", "delete": "deleted"}

deny contains violation if {
	some change in lib.array_at(lib.object_at(input, ["changes"]), ["resources"])
	lib.true_at(change, ["data_loss"])
	violation := {
		"resource": lib.string_at(change, ["urn"]),
		"message": sprintf(
			"%s %s would be %s and lose data: %s. Migrate or back up the data before merging, or approve the loss with a waiver for data-loss-replacement in policies/waivers.yaml",
			[_kind(change), _name(change), _verb(change), _reason(change)],
		),
	}
}

_kind(change) := kind if {
	parts := split(lib.string_at(change, ["type"]), ":")
	kind := parts[count(parts) - 1]
	kind != ""
} else := "Resource"

_name(change) := name if {
	name := lib.string_at(change, ["name"])
	name != ""
} else := lib.string_at(change, ["urn"])

_verb(change) := verb if {
	verb := _verbs[lib.string_at(change, ["action"])]
} else := "changed"

_reason(change) := reason if {
	reason := lib.string_at(change, ["data_loss_reason"])
	reason != ""
} else := "it holds data"
