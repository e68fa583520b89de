package mlops.tags.tag_values_test

import rego.v1

import data.mlops.lib.fixtures_test as fixtures
import data.mlops.tags.tag_values

test_consistent_tags_allowed if {
	count(tag_values.deny) == 0 with input as fixtures.stack
}

test_environment_of_other_stack_denied if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.model, [{"op": "replace", "path": "/tags/environment", "value": "staging"}])
	tag_values.deny == {{
		"resource": fixtures.model,
		"message": "Resource fraud-detector-serving-model must carry the environment tag prod of its stack (found staging)",
	}} with input as doc
}

test_model_tag_of_other_model_denied if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.pipeline, [{"op": "replace", "path": "/tags/model", "value": "churn-predictor"}])
	tag_values.deny == {{
		"resource": fixtures.pipeline,
		"message": "Resource fraud-detector-training-pipeline must carry the model tag fraud-detector (found churn-predictor)",
	}} with input as doc
}

test_unknown_classification_denied if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.bucket, [{"op": "replace", "path": "/tags/data-classification", "value": "secret"}])
	tag_values.deny == {{
		"resource": fixtures.bucket,
		"message": "Resource platform-artifacts must set the data-classification tag to one of public, internal, confidential, pii (found secret)",
	}} with input as doc
}

test_empty_tag_left_to_required_tags_allowed if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.bucket, [{"op": "replace", "path": "/tags/risk-tier", "value": ""}])
	count(tag_values.deny) == 0 with input as doc
}

# Blank environment and model tags are the required-tags policy's findings too.
test_blank_environment_and_model_tags_left_to_required_tags_allowed if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.pipeline, [
		{"op": "replace", "path": "/tags/environment", "value": " "},
		{"op": "replace", "path": "/tags/model", "value": ""},
	])
	count(tag_values.deny) == 0 with input as doc
}

# A tag value that is not text is not blank, and is reported as found.
test_environment_tag_not_text_denied if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.model, [{"op": "replace", "path": "/tags/environment", "value": 7}])
	tag_values.deny == {{
		"resource": fixtures.model,
		"message": "Resource fraud-detector-serving-model must carry the environment tag prod of its stack (found 7)",
	}} with input as doc
}

# Resources of types that take no tags are not checked.
test_untaggable_resource_ignored if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.bucket_policy, [{"op": "replace", "path": "/tags", "value": {"environment": "staging", "data-classification": "secret"}}])
	count(tag_values.deny) == 0 with input as doc
}
