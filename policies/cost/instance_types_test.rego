package mlops.cost.instance_types_test

import rego.v1

import data.mlops.cost.instance_types
import data.mlops.lib.fixtures_test as fixtures

_large_endpoint := fixtures.patch_resource(fixtures.stack, fixtures.endpoint_config, [{
	"op": "replace",
	"path": "/inputs/productionVariants/0/instanceType",
	"value": "ml.p4d.24xlarge",
}])

test_allowed_types_allowed if {
	count(instance_types.deny) == 0 with input as fixtures.stack
}

test_large_endpoint_in_dev_denied if {
	doc := fixtures.in_environment(_large_endpoint, "dev")
	instance_types.deny == {{
		"resource": fixtures.endpoint_config,
		"message": "Endpoint configuration fraud-detector-serving-config variant primary must use an instance type allowed in dev (found ml.p4d.24xlarge)",
	}} with input as doc
}

test_large_endpoint_in_prod_allowed if {
	count(instance_types.deny) == 0 with input as _large_endpoint
}

test_training_type_not_allowed_denied if {
	definition := json.patch(fixtures.pipeline_definition, [{"op": "replace", "path": "/Steps/1/Arguments/ResourceConfig/InstanceType", "value": "ml.p4d.24xlarge"}])
	doc := fixtures.in_environment(fixtures.with_pipeline(fixtures.stack, definition), "dev")
	instance_types.deny == {{
		"resource": fixtures.pipeline,
		"message": "Pipeline fraud-detector-training-pipeline step Train must use an instance type allowed in dev (found ml.p4d.24xlarge)",
	}} with input as doc
}

test_monitoring_type_missing_denied if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.data_quality_job, [{"op": "remove", "path": "/inputs/jobResources/clusterConfig/instanceType"}])
	instance_types.deny == {{
		"resource": fixtures.data_quality_job,
		"message": "Monitoring job definition fraud-detector-monitoring-data-quality must use an instance type allowed in prod (found null)",
	}} with input as doc
}
