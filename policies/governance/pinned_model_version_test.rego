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
