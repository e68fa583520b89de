package mlops.governance.registry_package_group_test

import rego.v1

import data.mlops.governance.registry_package_group
import data.mlops.lib.fixtures_test as fixtures

_arn(group, version) := sprintf("arn:aws:sagemaker:eu-west-1:123456789012:model-package/%s/%d", [group, version])

_facts(expected, group, version) := {
	"pinned": sprintf("%d", [version]),
	"expected_group": expected,
	"found": true,
	"arn": _arn(group, version),
	"group": group,
	"version": version,
	"approval_status": "Approved",
	"metrics": {},
	"error": null,
}

_ticket := _facts("acme-prod-ticket-router", "acme-prod-ticket-router", 3)

_live(fraud) := object.union(fixtures.stack, {"registry": {"source": "live", "packages": {"fraud-detector": fraud, "ticket-router": _ticket}}})

_group_resource := {
	"urn": "urn:pulumi:prod::mlops-platform::aws:sagemaker/modelPackageGroup:ModelPackageGroup::fraud-detector-registry-group",
	"type": "aws:sagemaker/modelPackageGroup:ModelPackageGroup",
	"name": "fraud-detector-registry-group",
	"parent": null,
	"dependencies": [],
	"inputs": {"modelPackageGroupName": "acme-prod-fraud-detector-v2"},
	"tags": {},
	"model": "fraud-detector",
}

test_packages_in_own_groups_allowed if {
	doc := _live(_facts("acme-prod-fraud-detector", "acme-prod-fraud-detector", 14))
	count(registry_package_group.deny) == 0 with input as doc
	count(registry_package_group.unverified) == 0 with input as doc
}

test_missing_package_denied if {
	missing := object.union(_facts("acme-prod-fraud-detector", "acme-prod-fraud-detector", 14), {
		"found": false,
		"group": null,
		"error": "model package arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-fraud-detector/14 not found; versions in group acme-prod-fraud-detector: 1, 2",
	})
	doc := _live(missing)
	registry_package_group.deny == {{
		"resource": fixtures.model,
		"message": "Model fraud-detector pins model package version 14, which is not in the registry: model package arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-fraud-detector/14 not found; versions in group acme-prod-fraud-detector: 1, 2",
	}} with input as doc
}

test_package_of_another_group_denied if {
	doc := _live(_facts("acme-prod-fraud-detector", "acme-prod-churn-predictor", 14))
	registry_package_group.deny == {{
		"resource": fixtures.model,
		"message": "Model fraud-detector pins model package arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-churn-predictor/14 from group acme-prod-churn-predictor; it must come from the model's own group acme-prod-fraud-detector",
	}} with input as doc
}

# The group the plan declares wins over the one the facts were fetched for.
test_group_declared_by_the_plan_wins if {
	doc := _live(_facts("acme-prod-fraud-detector", "acme-prod-fraud-detector", 14))
	planned := object.union(doc, {"resources": array.concat(doc.resources, [_group_resource])})
	registry_package_group.deny == {{
		"resource": fixtures.model,
		"message": "Model fraud-detector pins model package arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-fraud-detector/14 from group acme-prod-fraud-detector; it must come from the model's own group acme-prod-fraud-detector-v2",
	}} with input as planned
}

test_offline_facts_unverified if {
	doc := object.union(fixtures.stack, {"registry": {"source": "unavailable", "packages": {}}})
	count(registry_package_group.deny) == 0 with input as doc
	registry_package_group.unverified == {
		{"resource": fixtures.model, "message": "Whether model package version 14 of fraud-detector exists in its package group is unknown: no live registry facts were fetched"},
		{"resource": fixtures.serverless_model, "message": "Whether model package version 3 of ticket-router exists in its package group is unknown: no live registry facts were fetched"},
	} with input as doc
}

test_no_registry_section_unverified if {
	count(registry_package_group.unverified) == 2 with input as fixtures.stack
}
