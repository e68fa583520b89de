package mlops.tags.required_tags_test

import rego.v1

import data.mlops.lib.fixtures_test as fixtures
import data.mlops.tags.required_tags

# Role policies and other untaggable types carry no tags in the fixture.
test_tagged_resources_allowed if {
	count(required_tags.deny) == 0 with input as fixtures.stack
}

test_missing_tags_denied if {
	tags := {"model": "fraud-detector", "environment": "prod", "data-classification": "pii", "cost-center": "CC-4410", "risk-tier": "high", "managed-by": "mlops-platform"}
	doc := fixtures.with_tags(fixtures.stack, fixtures.endpoint, tags)
	required_tags.deny == {{
		"resource": fixtures.endpoint,
		"message": "Resource fraud-detector-serving-endpoint must carry non-empty tags owner, team",
	}} with input as doc
}

test_empty_tag_denied if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.bucket, [{"op": "replace", "path": "/tags/cost-center", "value": "  "}])
	required_tags.deny == {{
		"resource": fixtures.bucket,
		"message": "Resource platform-artifacts must carry non-empty tags cost-center",
	}} with input as doc
}

test_untaggable_type_allowed if {
	extra := fixtures.resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "fraud-detector-access-logs", "fraud-detector", [fixtures.role], {"policyArn": "arn:aws:iam::123456789012:policy/logs"})
	doc := fixtures.with_resources(fixtures.stack, [extra])
	count(required_tags.deny) == 0 with input as doc
}

# A tag value that is not text is not a tag value.
test_non_text_tag_denied if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.bucket, [{"op": "replace", "path": "/tags/cost-center", "value": 1000}])
	required_tags.deny == {{
		"resource": fixtures.bucket,
		"message": "Resource platform-artifacts must carry non-empty tags cost-center",
	}} with input as doc
}
