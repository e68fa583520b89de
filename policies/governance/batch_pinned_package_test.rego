package mlops.governance.batch_pinned_package_test

import rego.v1

import data.mlops.governance.batch_pinned_package
import data.mlops.lib.fixtures_test as fixtures

_batch := fixtures.urn("aws:sagemaker/pipeline:Pipeline", "churn-predictor-batch-pipeline")

_package := "arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-churn-predictor/6"

_model_step := {
	"Name": "Model-CreateModel",
	"Type": "Model",
	"Arguments": {"ModelName": "acme-prod-churn-predictor-batch", "PrimaryContainer": {"ModelPackageName": _package}},
}

_transform_step := {
	"Name": "Transform",
	"Type": "Transform",
	"Arguments": {"ModelName": {"Get": "Steps.Model-CreateModel.ModelName"}},
}

_churn_spec := {
	"metadata": {"name": "churn-predictor", "risk_tier": "medium", "data_classification": "confidential"},
	"registry": {"approval": "manual", "pinned_version": 6},
	"serving": {"mode": "batch"},
}

_with_steps(steps) := object.union(
	fixtures.with_resources(fixtures.stack, [fixtures.resource(
		"aws:sagemaker/pipeline:Pipeline", "churn-predictor-batch-pipeline", "churn-predictor", [],
		{"pipelineName": "acme-prod-churn-predictor-batch", "pipelineDefinition": json.marshal({"Version": "2020-12-01", "Steps": steps})},
	)]),
	{"models": array.concat(fixtures.stack.models, [{"name": "churn-predictor", "source": "models/churn-predictor.yaml", "spec": _churn_spec}])},
)

_stack := _with_steps([_model_step, _transform_step])

_facts(arn, found, status) := {"found": found, "arn": arn, "approval_status": status}

_live(doc, packages) := object.union(doc, {"registry": {"source": "live", "packages": packages}})

_offline(doc) := object.union(doc, {"registry": {"source": "unavailable", "reason": "offline plan: registry facts were not fetched", "packages": {}}})

_model_step_with(container) := json.patch(_model_step, [{"op": "replace", "path": "/Arguments/PrimaryContainer", "value": container}])

test_pinned_package_allowed if {
	doc := _live(_stack, {"churn-predictor": _facts(_package, true, "Approved")})
	count(batch_pinned_package.deny) == 0 with input as doc
}

test_unpinned_artifact_denied if {
	doc := _with_steps([_model_step_with({"Image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/churn:1", "ModelDataUrl": "s3://acme-prod-artifacts-x/churn-predictor/serving/model.tar.gz"}), _transform_step])
	batch_pinned_package.deny == {{
		"resource": _batch,
		"message": "Batch pipeline churn-predictor-batch-pipeline step Model-CreateModel must create its model from a registered model package version (ModelPackageName ending in /<version>)",
	}} with input as _offline(doc)
}

test_unversioned_package_group_denied if {
	doc := _with_steps([
		_model_step_with({"ModelPackageName": "arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-churn-predictor"}),
		_transform_step,
	])
	batch_pinned_package.deny == {{
		"resource": _batch,
		"message": "Batch pipeline churn-predictor-batch-pipeline step Model-CreateModel must create its model from a registered model package version (ModelPackageName ending in /<version>)",
	}} with input as _offline(doc)
}

test_multi_container_model_checks_every_container if {
	step := json.patch(_model_step, [
		{"op": "remove", "path": "/Arguments/PrimaryContainer"},
		{"op": "add", "path": "/Arguments/Containers", "value": [{"ModelPackageName": _package}, {"Image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/post:1"}]},
	])
	batch_pinned_package.deny == {{
		"resource": _batch,
		"message": "Batch pipeline churn-predictor-batch-pipeline step Model-CreateModel must create its model from a registered model package version (ModelPackageName ending in /<version>)",
	}} with input as _offline(_with_steps([step, _transform_step]))
}

test_model_step_without_containers_denied if {
	step := json.patch(_model_step, [{"op": "remove", "path": "/Arguments/PrimaryContainer"}])
	batch_pinned_package.deny == {{
		"resource": _batch,
		"message": "Batch pipeline churn-predictor-batch-pipeline step Model-CreateModel must create its model from a registered model package version (ModelPackageName ending in /<version>)",
	}} with input as _offline(_with_steps([step, _transform_step]))
}

test_multi_container_model_of_packages_allowed if {
	step := json.patch(_model_step, [
		{"op": "remove", "path": "/Arguments/PrimaryContainer"},
		{"op": "add", "path": "/Arguments/Containers", "value": [{"ModelPackageName": _package}]},
	])
	count(batch_pinned_package.deny) == 0 with input as _offline(_with_steps([step, _transform_step]))
}

# Without a pin in the spec there is no version to compare with (registry-approved and
# model-pinned-version own the spec's pin).
test_package_without_a_pin_in_the_spec_not_compared if {
	unpinned := json.patch(_stack, [{"op": "remove", "path": "/models/2/spec/registry/pinned_version"}])
	doc := _live(unpinned, {"churn-predictor": _facts(_package, true, "Approved")})
	count(batch_pinned_package.deny) == 0 with input as doc
}

test_transform_without_model_step_denied if {
	batch_pinned_package.deny == {{
		"resource": _batch,
		"message": "Batch pipeline churn-predictor-batch-pipeline must create the model it transforms with in a Model step, from a registered model package version",
	}} with input as _offline(_with_steps([_transform_step]))
}

test_other_version_than_pinned_denied if {
	other := "arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-churn-predictor/5"
	doc := _live(_with_steps([_model_step_with({"ModelPackageName": other}), _transform_step]), {"churn-predictor": _facts(other, true, "Approved")})
	batch_pinned_package.deny == {{
		"resource": _batch,
		"message": "Batch pipeline churn-predictor-batch-pipeline must transform with model package version 6, the version its spec pins (found arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-churn-predictor/5)",
	}} with input as doc
}

test_environments_without_the_requirement_allowed if {
	doc := fixtures.in_environment(_with_steps([_model_step_with({"Image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/churn:1"}), _transform_step]), "staging")
	count(batch_pinned_package.deny) == 0 with input as doc
}

test_training_pipelines_allowed if {
	count(batch_pinned_package.deny) == 0 with input as _offline(fixtures.stack)
}
