package mlops.governance.pinned_model_version_test

import rego.v1

import data.mlops.governance.pinned_model_version
import data.mlops.lib.fixtures_test as fixtures

_unpinned := {{
	"resource": fixtures.model,
	"message": "SageMaker model fraud-detector-serving-model must serve a registered model package version (modelPackageName ending in /<version>)",
}}

test_pinned_versions_allowed if {
	count(pinned_model_version.deny) == 0 with input as fixtures.stack
}

test_model_from_artifact_denied if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.model, {"primaryContainer": {
		"modelPackageName": null,
		"image": "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1",
		"modelDataUrl": "s3://acme-prod-artifacts-x/fraud-detector/serving/model.tar.gz",
	}})
	pinned_model_version.deny == _unpinned with input as doc
}

test_package_group_instead_of_version_denied if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.model, {"primaryContainer": {"modelPackageName": "arn:aws:sagemaker:eu-west-1:123456789012:model-package-group/acme-prod-fraud-detector"}})
	pinned_model_version.deny == _unpinned with input as doc
}

test_version_other_than_spec_denied if {
	doc := json.patch(fixtures.stack, [{"op": "replace", "path": "/models/0/spec/registry/pinned_version", "value": 15}])
	pinned_model_version.deny == {{
		"resource": fixtures.model,
		"message": "SageMaker model fraud-detector-serving-model must serve model package version 15, the version its spec pins (found arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-fraud-detector/14)",
	}} with input as doc
}

test_unpinned_model_in_staging_allowed if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.model, [{"op": "remove", "path": "/inputs/primaryContainer/modelPackageName"}])
	staging := fixtures.in_environment(doc, "staging")
	count(pinned_model_version.deny) == 0 with input as staging
}

_package_14 := "arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-fraud-detector/14"

_multi_container(containers) := fixtures.patch_resource(fixtures.stack, fixtures.model, [
	{"op": "remove", "path": "/inputs/primaryContainer"},
	{"op": "add", "path": "/inputs/containers", "value": containers},
])

# Models with a list of containers (and no primary container) are checked container by container.
test_containers_serving_versions_allowed if {
	doc := _multi_container([{"modelPackageName": _package_14}, {"modelPackageName": _package_14}])
	count(pinned_model_version.deny) == 0 with input as doc
}

test_container_from_artifact_denied if {
	doc := _multi_container([{"modelPackageName": _package_14}, {"image": "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1"}])
	pinned_model_version.deny == _unpinned with input as doc
}

# A spec that pins no version leaves only the registered-version rule.
test_spec_without_pinned_version_allowed if {
	doc := json.patch(fixtures.stack, [{"op": "remove", "path": "/models/0/spec/registry/pinned_version"}])
	count(pinned_model_version.deny) == 0 with input as doc
}

# A/B variants and a shadow serve the versions the spec names for them, each from its own model.
_with_variants(doc) := json.patch(doc, [{"op": "add", "path": "/models/0/spec/serving", "value": {
	"mode": "realtime",
	"variants": [{"name": "champion", "model_version": 14, "weight": 90}, {"name": "challenger", "model_version": 16, "weight": 10}],
	"shadow": {"name": "shadow", "model_version": 17, "traffic_percent": 50},
}}])

_serving(version) := fixtures.with_inputs(fixtures.stack, fixtures.model, {"primaryContainer": {"modelPackageName": sprintf("arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-fraud-detector/%d", [version])}})

test_variant_versions_allowed if {
	challenger := _with_variants(_serving(16))
	count(pinned_model_version.deny) == 0 with input as challenger
	shadow := _with_variants(_serving(17))
	count(pinned_model_version.deny) == 0 with input as shadow
}

test_version_no_variant_names_denied if {
	doc := _with_variants(_serving(15))
	pinned_model_version.deny == {{
		"resource": fixtures.model,
		"message": "SageMaker model fraud-detector-serving-model must serve model package version 14, the version its spec pins, or one its serving variants name (14, 16, 17) (found arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-fraud-detector/15)",
	}} with input as doc
}

test_version_the_shadow_does_not_name_denied if {
	shadow := {"mode": "realtime", "shadow": {"name": "shadow", "model_version": 15, "traffic_percent": 50}}
	doc := json.patch(_serving(16), [{"op": "add", "path": "/models/0/spec/serving", "value": shadow}])
	pinned_model_version.deny == {{
		"resource": fixtures.model,
		"message": "SageMaker model fraud-detector-serving-model must serve model package version 14, the version its spec pins, or one its serving variants name (15) (found arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-fraud-detector/16)",
	}} with input as doc
}
