package mlops.governance.data_loss_test

import rego.v1

import data.mlops.governance.data_loss
import data.mlops.lib.fixtures_test as fixtures

_with_changes(resources) := object.union(fixtures.stack, {"changes": {
	"base": "origin/main",
	"summary": {"add": 0, "delete": 0, "update": 0, "replace": count(resources), "data_loss": count(resources), "unchanged": 0},
	"resources": resources,
}})

_group_replaced := {
	"urn": fixtures.feature_group,
	"type": "aws:sagemaker/featureGroup:FeatureGroup",
	"name": "fraud-detector-features-card-transactions",
	"model": "fraud-detector",
	"action": "replace",
	"changed_inputs": ["recordIdentifierFeatureName"],
	"replace_reasons": ["recordIdentifierFeatureName changed"],
	"data_loss": true,
	"data_loss_reason": "its online store records are deleted with the group",
	"notes": [],
}

_bucket_deleted := {
	"urn": fixtures.bucket,
	"type": "aws:s3/bucket:Bucket",
	"name": "platform-artifacts",
	"model": null,
	"action": "delete",
	"changed_inputs": [],
	"replace_reasons": [],
	"data_loss": true,
	"data_loss_reason": "readers and writers move to a new, empty bucket",
	"notes": [],
}

_model_replaced := object.union(_group_replaced, {
	"urn": fixtures.model,
	"type": "aws:sagemaker/model:Model",
	"name": "fraud-detector-serving-model",
	"data_loss": false,
	"data_loss_reason": null,
})

test_plan_without_changes_allowed if {
	count(data_loss.deny) == 0 with input as fixtures.stack
}

test_null_changes_allowed if {
	doc := object.union(fixtures.stack, {"changes": null})
	count(data_loss.deny) == 0 with input as doc
}

test_replacement_without_data_loss_allowed if {
	doc := _with_changes([_model_replaced])
	count(data_loss.deny) == 0 with input as doc
}

test_feature_group_replacement_denied if {
	doc := _with_changes([_group_replaced, _model_replaced])
	data_loss.deny == {{
		"resource": fixtures.feature_group,
		"message": "FeatureGroup fraud-detector-features-card-transactions would be replaced and lose data: its online store records are deleted with the group. Migrate or back up the data before merging, or approve the loss with a waiver for data-loss-replacement in policies/waivers.yaml",
	}} with input as doc
}

test_bucket_deletion_denied if {
	doc := _with_changes([_bucket_deleted])
	data_loss.deny == {{
		"resource": fixtures.bucket,
		"message": "Bucket platform-artifacts would be deleted and lose data: readers and writers move to a new, empty bucket. Migrate or back up the data before merging, or approve the loss with a waiver for data-loss-replacement in policies/waivers.yaml",
	}} with input as doc
}

test_entry_without_details_still_denied if {
	doc := _with_changes([{"urn": fixtures.key, "data_loss": true}])
	data_loss.deny == {{
		"resource": fixtures.key,
		"message": sprintf("Resource %s would be changed and lose data: it holds data. Migrate or back up the data before merging, or approve the loss with a waiver for data-loss-replacement in policies/waivers.yaml", [fixtures.key]),
	}} with input as doc
}
