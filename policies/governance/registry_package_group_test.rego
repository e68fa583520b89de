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

_wrong_group := _facts("acme-prod-fraud-detector", "acme-prod-churn-predictor", 14)

_not_found := object.union(_facts("acme-prod-fraud-detector", "acme-prod-fraud-detector", 14), {"found": false, "group": null, "error": ""})

# Facts that are not live are never judged, whatever they hold.
test_facts_not_live_never_denied if {
	every fraud in [_wrong_group, _not_found] {
		doc := object.union(_live(fraud), {"registry": {"source": "cached"}})
		count(registry_package_group.deny) == 0 with input as doc
	}
}

test_live_facts_without_the_model_denied if {
	doc := object.union(fixtures.stack, {"registry": {"source": "live", "packages": {"ticket-router": _ticket}}})
	registry_package_group.deny == {{
		"resource": fixtures.model,
		"message": "Model fraud-detector pins model package version 14, but the live registry facts do not cover it; its package group cannot be checked",
	}} with input as doc
}

# Without the registry's own error, the message names the missing ARN.
test_missing_package_without_error_names_the_arn if {
	doc := _live(_not_found)
	registry_package_group.deny == {{
		"resource": fixtures.model,
		"message": "Model fraud-detector pins model package version 14, which is not in the registry: arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-fraud-detector/14 not found",
	}} with input as doc
}

# A group resource without a name declares nothing: the facts' expected group stands.
test_unnamed_group_resource_ignored if {
	doc := _live(_facts("acme-prod-fraud-detector", "acme-prod-fraud-detector", 14))
	unnamed := object.union(_group_resource, {"inputs": {"modelPackageGroupName": ""}})
	planned := object.union(doc, {"resources": array.concat(doc.resources, [unnamed])})
	count(registry_package_group.deny) == 0 with input as planned
}

test_unpinned_model_ignored if {
	doc := json.patch(_live(_wrong_group), [{"op": "replace", "path": "/models/0/spec/registry/pinned_version", "value": "latest"}])
	count(registry_package_group.deny) == 0 with input as doc
}

test_check_switched_off_by_parameter if {
	doc := _live(_wrong_group)
	count(registry_package_group.deny) == 0 with input as doc with data.parameters.prod.require_package_in_model_group as false
}
