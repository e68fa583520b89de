package mlops.governance.registry_approved_test

import rego.v1

import data.mlops.governance.registry_approved
import data.mlops.lib.fixtures_test as fixtures

_arn(group, version) := sprintf("arn:aws:sagemaker:eu-west-1:123456789012:model-package/%s/%d", [group, version])

_facts(group, version, status) := {
	"pinned": sprintf("%d", [version]),
	"expected_group": group,
	"found": true,
	"arn": _arn(group, version),
	"group": group,
	"version": version,
	"approval_status": status,
	"metrics": {"auc": 0.95},
	"metrics_source": "customer_metadata_properties",
	"image": null,
	"model_data_url": null,
	"error": null,
}

_live(fraud, ticket) := object.union(fixtures.stack, {"registry": {
	"source": "live",
	"endpoint_url": null,
	"region": "eu-west-1",
	"packages": {"fraud-detector": fraud, "ticket-router": ticket},
}})

_approved_ticket := _facts("acme-prod-ticket-router", 3, "Approved")

test_approved_packages_allowed if {
	doc := _live(_facts("acme-prod-fraud-detector", 14, "Approved"), _approved_ticket)
	count(registry_approved.deny) == 0 with input as doc
	count(registry_approved.unverified) == 0 with input as doc
}

test_pending_package_denied if {
	doc := _live(_facts("acme-prod-fraud-detector", 14, "PendingManualApproval"), _approved_ticket)
	registry_approved.deny == {{
		"resource": fixtures.model,
		"message": "Model fraud-detector pins model package arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-fraud-detector/14, whose approval status is PendingManualApproval; prod serves only Approved packages: approve it in the registry (mlops promote)",
	}} with input as doc
}

test_rejected_package_denied if {
	doc := _live(_approved_ticket, _facts("acme-prod-ticket-router", 3, "Rejected"))
	registry_approved.deny == {{
		"resource": fixtures.serverless_model,
		"message": "Model ticket-router pins model package arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-ticket-router/3, whose approval status is Rejected; prod serves only Approved packages: approve it in the registry (mlops promote)",
	}} with input as object.union(doc, {"registry": {"packages": {"fraud-detector": _facts("acme-prod-fraud-detector", 14, "Approved")}}})
}

# A package that does not exist cannot be Approved, even where the group policy is waived.
test_missing_package_denied if {
	missing := object.union(_facts("acme-prod-fraud-detector", 14, "Approved"), {"found": false, "approval_status": null})
	doc := _live(missing, _approved_ticket)
	registry_approved.deny == {{
		"resource": fixtures.model,
		"message": "Model fraud-detector pins model package version 14, which is not in the registry, so it cannot be Approved; prod serves only Approved packages",
	}} with input as doc
}

test_live_facts_without_the_model_denied if {
	doc := object.union(fixtures.stack, {"registry": {"source": "live", "packages": {"fraud-detector": _facts("acme-prod-fraud-detector", 14, "Approved")}}})
	registry_approved.deny == {{
		"resource": fixtures.serverless_model,
		"message": "Model ticket-router pins model package version 3, but the live registry facts do not cover it; its approval cannot be checked",
	}} with input as doc
}

test_offline_facts_unverified if {
	doc := object.union(fixtures.stack, {"registry": {"source": "unavailable", "reason": "offline plan: registry facts were not fetched", "packages": {}}})
	count(registry_approved.deny) == 0 with input as doc
	registry_approved.unverified == {
		{"resource": fixtures.model, "message": "Approval of model package version 14 of fraud-detector is unknown: offline plan: registry facts were not fetched"},
		{"resource": fixtures.serverless_model, "message": "Approval of model package version 3 of ticket-router is unknown: offline plan: registry facts were not fetched"},
	} with input as doc
}

test_not_required_in_staging if {
	pending := _live(_facts("acme-prod-fraud-detector", 14, "PendingManualApproval"), _approved_ticket)
	staging := fixtures.in_environment(pending, "staging")
	count(registry_approved.deny) == 0 with input as staging
	count(registry_approved.unverified) == 0 with input as fixtures.in_environment(fixtures.stack, "staging")
}

# Facts that are not live are never judged, whatever they hold.
test_facts_not_live_never_denied if {
	missing := object.union(_facts("acme-prod-ticket-router", 3, "Approved"), {"found": false, "approval_status": null})
	live := _live(_facts("acme-prod-fraud-detector", 14, "Rejected"), missing)
	doc := object.union(live, {"registry": {"source": "cached"}})
	count(registry_approved.deny) == 0 with input as doc
}

test_unpinned_model_ignored if {
	live := _live(_facts("acme-prod-fraud-detector", 14, "Rejected"), _approved_ticket)
	doc := json.patch(live, [{"op": "replace", "path": "/models/0/spec/registry/pinned_version", "value": "latest"}])
	count(registry_approved.deny) == 0 with input as doc
}

test_offline_without_reason_unverified if {
	doc := object.union(fixtures.stack, {"registry": {"source": "unavailable", "reason": "", "packages": {}}})
	registry_approved.unverified == {
		{"resource": fixtures.model, "message": "Approval of model package version 14 of fraud-detector is unknown: no live registry facts were fetched"},
		{"resource": fixtures.serverless_model, "message": "Approval of model package version 3 of ticket-router is unknown: no live registry facts were fetched"},
	} with input as doc
}

_extra_model(name, model_name, container) := fixtures.resource("aws:sagemaker/model:Model", name, model_name, [], {"primaryContainer": container})

_package(version) := {"modelPackageName": _arn("acme-prod-fraud-detector", version)}

_artifact := {"image": "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1"}

_pending := {{
	"resource": fixtures.model,
	"message": "Model fraud-detector pins model package arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-fraud-detector/14, whose approval status is PendingManualApproval; prod serves only Approved packages: approve it in the registry (mlops promote)",
}}

# With a model per A/B variant, the finding lands on the first model that serves the pinned version.
test_finding_on_the_model_serving_the_pinned_version if {
	live := _live(_facts("acme-prod-fraud-detector", 14, "PendingManualApproval"), _approved_ticket)
	doc := fixtures.with_resources(live, [
		_extra_model("fraud-detector-serving-challenger-model", "fraud-detector", _package(15)),
		_extra_model("fraud-detector-serving-z-model", "fraud-detector", _package(14)),
		_extra_model("a-ticket-router-model", "ticket-router", _package(14)),
	])
	registry_approved.deny == _pending with input as doc
}

# No model serves the pinned version (an artifact in its place): the finding lands on the model's first.
test_finding_on_the_first_model_when_none_serves_the_pinned_version if {
	live := _live(_facts("acme-prod-fraud-detector", 14, "PendingManualApproval"), _approved_ticket)
	artifact := fixtures.patch_resource(live, fixtures.model, [{"op": "replace", "path": "/inputs/primaryContainer", "value": _artifact}])
	doc := fixtures.with_resources(artifact, [
		_extra_model("fraud-detector-serving-z-model", "fraud-detector", _artifact),
		_extra_model("a-ticket-router-model", "ticket-router", _artifact),
	])
	registry_approved.deny == _pending with input as doc
}
