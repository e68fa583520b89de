package mlops.governance.variant_packages_test

import rego.v1

import data.mlops.governance.variant_packages
import data.mlops.lib.fixtures_test as fixtures

_model_type := "aws:sagemaker/model:Model"

_arn(version) := sprintf("arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-fraud-detector/%d", [version])

_challenger := fixtures.urn(_model_type, "fraud-detector-serving-challenger-model")

_shadow := fixtures.urn(_model_type, "fraud-detector-serving-shadow-model")

_model(urn, container) := fixtures.resource(_model_type, split(urn, "::")[3], "fraud-detector", [fixtures.role], {
	"enableNetworkIsolation": true,
	"primaryContainer": container,
})

_variant(name, model, weight) := {"variantName": name, "modelName": model, "instanceType": "ml.c5.2xlarge", "initialInstanceCount": 3, "initialVariantWeight": weight}

# The fixture's endpoint as an A/B test: the champion serves version 14, the challenger `container`.
_ab(container) := fixtures.with_inputs(
	fixtures.with_resources(
		fixtures.patch_resource(fixtures.stack, fixtures.endpoint_config, [{"op": "add", "path": "/dependencies/-", "value": _challenger}]),
		[_model(_challenger, container)],
	),
	fixtures.endpoint_config,
	{"productionVariants": [
		_variant("champion", "fraud-detector-serving-model", 90),
		_variant("challenger", "fraud-detector-serving-challenger-model", 10),
	]},
)

# The fixture's endpoint with a shadow variant serving `container`.
_shadowed(container) := fixtures.with_inputs(
	fixtures.with_resources(
		fixtures.patch_resource(fixtures.stack, fixtures.endpoint_config, [{"op": "add", "path": "/dependencies/-", "value": _shadow}]),
		[_model(_shadow, container)],
	),
	fixtures.endpoint_config,
	{"shadowProductionVariants": [_variant("shadow", "fraud-detector-serving-shadow-model", 0.5)]},
)

_facts(version, status) := {
	"pinned": sprintf("%d", [version]),
	"expected_group": "acme-prod-fraud-detector",
	"found": true,
	"arn": _arn(version),
	"group": "acme-prod-fraud-detector",
	"version": version,
	"approval_status": status,
	"metrics": {},
	"metrics_source": null,
	"image": null,
	"model_data_url": null,
	"error": null,
}

_live(doc, variants) := object.union(doc, {"registry": {
	"source": "live",
	"endpoint_url": null,
	"region": "eu-west-1",
	"packages": {},
	"variant_packages": {"fraud-detector": variants},
}})

_offline(doc) := object.union(doc, {"registry": {"source": "unavailable", "reason": "offline plan: registry facts were not fetched", "packages": {}}})

_approved := {"champion": _facts(14, "Approved"), "challenger": _facts(15, "Approved")}

_pinned(version) := {"modelPackageName": _arn(version)}

_artifact := {"image": "763104351884.dkr.ecr.eu-west-1.amazonaws.com/xgboost:1.7-1", "modelDataUrl": "s3://acme-prod-artifacts-x/fraud-detector/serving/model.tar.gz"}

test_single_primary_variant_is_not_a_challenger_allowed if {
	doc := _offline(fixtures.stack)
	count(variant_packages.deny) == 0 with input as doc
	count(variant_packages.unverified) == 0 with input as doc
}

test_approved_ab_variants_allowed if {
	doc := _live(_ab(_pinned(15)), _approved)
	count(variant_packages.deny) == 0 with input as doc
	count(variant_packages.unverified) == 0 with input as doc
}

test_approved_shadow_allowed if {
	doc := _live(_shadowed(_pinned(15)), {"shadow": _facts(15, "Approved")})
	count(variant_packages.deny) == 0 with input as doc
}

test_challenger_from_artifact_denied if {
	doc := _live(_ab(_artifact), _approved)
	variant_packages.deny == {{
		"resource": fixtures.endpoint_config,
		"message": "Endpoint configuration fraud-detector-serving-config: variant challenger must serve a pinned model package version from the registry (its model fraud-detector-serving-challenger-model has no modelPackageName ending in /<version>)",
	}} with input as doc
}

test_shadow_from_package_group_denied if {
	group := {"modelPackageName": "arn:aws:sagemaker:eu-west-1:123456789012:model-package-group/acme-prod-fraud-detector"}
	doc := _offline(_shadowed(group))
	variant_packages.deny == {{
		"resource": fixtures.endpoint_config,
		"message": "Endpoint configuration fraud-detector-serving-config: variant shadow must serve a pinned model package version from the registry (its model fraud-detector-serving-shadow-model has no modelPackageName ending in /<version>)",
	}} with input as doc
	count(variant_packages.unverified) == 0 with input as doc
}

# A variant whose model the configuration does not take cannot show what it serves.
test_variant_of_an_undeclared_model_denied if {
	doc := fixtures.with_inputs(_offline(fixtures.stack), fixtures.endpoint_config, {"productionVariants": [
		_variant("champion", "fraud-detector-serving-model", 90),
		_variant("challenger", "fraud-detector-serving-model-v2", 10),
	]})
	variant_packages.deny == {{
		"resource": fixtures.endpoint_config,
		"message": "Endpoint configuration fraud-detector-serving-config: variant challenger must serve a pinned model package version from the registry (its model fraud-detector-serving-model-v2 has no modelPackageName ending in /<version>)",
	}} with input as doc
}

# The model is found by the physical name its inputs hold (as the policy pack sees it).
test_model_found_by_physical_name_allowed if {
	named := fixtures.with_inputs(_ab(_pinned(15)), _challenger, {"name": "fraud-detector-serving-challenger-model-1a2b3c4"})
	doc := _live(fixtures.with_inputs(named, fixtures.endpoint_config, {"productionVariants": [
		_variant("champion", "fraud-detector-serving-model", 90),
		_variant("challenger", "fraud-detector-serving-challenger-model-1a2b3c4", 10),
	]}), _approved)
	count(variant_packages.deny) == 0 with input as doc
}

# A model of the same name that the configuration does not take is not the variant's.
test_model_outside_the_configuration_denied if {
	doc := fixtures.patch_resource(_ab(_pinned(15)), fixtures.endpoint_config, [{"op": "replace", "path": "/dependencies", "value": [fixtures.model]}])
	variant_packages.deny == {{
		"resource": fixtures.endpoint_config,
		"message": "Endpoint configuration fraud-detector-serving-config: variant challenger must serve a pinned model package version from the registry (its model fraud-detector-serving-challenger-model has no modelPackageName ending in /<version>)",
	}} with input as _live(doc, _approved)
}

test_pending_challenger_denied if {
	doc := _live(_ab(_pinned(15)), object.union(_approved, {"challenger": _facts(15, "PendingManualApproval")}))
	variant_packages.deny == {{
		"resource": fixtures.endpoint_config,
		"message": "Endpoint configuration fraud-detector-serving-config: variant challenger serves model package arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-fraud-detector/15, whose approval status is PendingManualApproval; prod serves A/B and shadow variants only from Approved packages: approve it in the registry (mlops promote)",
	}} with input as doc
}

# The champion serving the version the spec pins is registry-approved-package's to judge, not this policy's.
test_rejected_champion_at_the_pin_left_to_registry_approved if {
	doc := _live(_ab(_pinned(15)), object.union(_approved, {"champion": _facts(14, "Rejected")}))
	count(variant_packages.deny) == 0 with input as doc
}

# Every other A/B variant counts, a champion too when the spec pins another version.
test_rejected_champion_besides_the_pin_denied if {
	repinned := json.patch(_ab(_pinned(15)), [{"op": "replace", "path": "/models/0/spec/registry/pinned_version", "value": 16}])
	doc := _live(repinned, object.union(_approved, {"champion": _facts(14, "Rejected")}))
	variant_packages.deny == {{
		"resource": fixtures.endpoint_config,
		"message": "Endpoint configuration fraud-detector-serving-config: variant champion serves model package arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-fraud-detector/14, whose approval status is Rejected; prod serves A/B and shadow variants only from Approved packages: approve it in the registry (mlops promote)",
	}} with input as doc
}

test_missing_shadow_package_denied if {
	missing := object.union(_facts(15, "Approved"), {"found": false, "approval_status": null})
	doc := _live(_shadowed(_pinned(15)), {"shadow": missing})
	variant_packages.deny == {{
		"resource": fixtures.endpoint_config,
		"message": "Endpoint configuration fraud-detector-serving-config: variant shadow serves model package arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-fraud-detector/15, which is not in the registry, so it cannot be Approved",
	}} with input as doc
}

test_live_facts_without_the_variant_denied if {
	doc := _live(_ab(_pinned(15)), {"champion": _facts(14, "Approved")})
	variant_packages.deny == {{
		"resource": fixtures.endpoint_config,
		"message": "Endpoint configuration fraud-detector-serving-config: variant challenger serves model package arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-fraud-detector/15, but the live registry facts do not cover it; its approval cannot be checked",
	}} with input as doc
}

test_offline_approval_unverified if {
	doc := _offline(_ab(_pinned(15)))
	count(variant_packages.deny) == 0 with input as doc
	variant_packages.unverified == {
		{"resource": fixtures.endpoint_config, "message": "Approval of model package arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-fraud-detector/15, which variant challenger of endpoint configuration fraud-detector-serving-config serves, is unknown: offline plan: registry facts were not fetched"},
	} with input as doc
}

# Facts of another source are not live facts: the approval stays unverified, never denied.
test_facts_that_are_not_live_unverified if {
	missing := object.union(_facts(15, "Approved"), {"found": false, "approval_status": null})
	facts := {"registry": {"variant_packages": {"fraud-detector": {"champion": _facts(14, "Rejected"), "challenger": missing}}}}
	doc := object.union(_offline(_ab(_pinned(15))), facts)
	count(variant_packages.deny) == 0 with input as doc
	count(variant_packages.unverified) == 1 with input as doc
}

test_rejected_facts_that_are_not_live_unverified if {
	facts := {"registry": {"variant_packages": {"fraud-detector": {"challenger": _facts(15, "Rejected")}}}}
	doc := object.union(_offline(_ab(_pinned(15))), facts)
	count(variant_packages.deny) == 0 with input as doc
	count(variant_packages.unverified) == 1 with input as doc
}

test_no_registry_section_unverified_with_a_default_reason if {
	doc := _shadowed(_pinned(15))
	variant_packages.unverified == {{
		"resource": fixtures.endpoint_config,
		"message": "Approval of model package arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-fraud-detector/15, which variant shadow of endpoint configuration fraud-detector-serving-config serves, is unknown: no live registry facts were fetched",
	}} with input as doc
}

test_unapproved_variants_in_staging_allowed if {
	doc := fixtures.in_environment(_live(_ab(_artifact), {}), "staging")
	count(variant_packages.deny) == 0 with input as doc
	count(variant_packages.unverified) == 0 with input as doc
}

# A lone production variant is no A/B test: what it serves is model-pinned-version's to judge.
test_single_production_variant_serving_an_artifact_allowed if {
	artifact := {"image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/fraud:1", "modelDataUrl": "s3://acme-prod-artifacts/fraud-detector/serving/model.tar.gz"}
	doc := fixtures.patch_resource(fixtures.stack, fixtures.model, [{"op": "replace", "path": "/inputs/primaryContainer", "value": artifact}])
	count(variant_packages.deny) == 0 with input as doc
}
