package mlops.network.network_isolation_test

import rego.v1

import data.mlops.lib.fixtures_test as fixtures
import data.mlops.network.network_isolation

# The fixture's Prepare processing step and serverless ticket-router model run without isolation.
test_isolated_model_and_training_allowed if {
	count(network_isolation.deny) == 0 with input as fixtures.stack
}

test_model_without_isolation_denied if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.model, {"enableNetworkIsolation": false})
	network_isolation.deny == {{
		"resource": fixtures.model,
		"message": "SageMaker model fraud-detector-serving-model must enable network isolation (enableNetworkIsolation)",
	}} with input as doc
}

test_training_without_isolation_denied if {
	definition := json.patch(fixtures.pipeline_definition, [{"op": "remove", "path": "/Steps/1/Arguments/EnableNetworkIsolation"}])
	doc := fixtures.with_pipeline(fixtures.stack, definition)
	network_isolation.deny == {{
		"resource": fixtures.pipeline,
		"message": "Pipeline fraud-detector-training-pipeline step Train must enable network isolation (EnableNetworkIsolation)",
	}} with input as doc
}

test_model_also_served_on_instances_denied if {
	extra := fixtures.resource("aws:sagemaker/endpointConfiguration:EndpointConfiguration", "ticket-router-batch-config", "ticket-router", [fixtures.serverless_model], {"productionVariants": [{"variantName": "primary", "instanceType": "ml.m5.large", "initialInstanceCount": 1}]})
	doc := fixtures.with_resources(fixtures.stack, [extra])
	network_isolation.deny == {{
		"resource": fixtures.serverless_model,
		"message": "SageMaker model ticket-router-serving-model must enable network isolation (enableNetworkIsolation)",
	}} with input as doc
}

# The serverless exemption needs an endpoint configuration with a serverless variant serving the model.
test_model_without_endpoint_configuration_denied if {
	doc := fixtures.without(fixtures.stack, fixtures.serverless_config)
	network_isolation.deny == {{
		"resource": fixtures.serverless_model,
		"message": "SageMaker model ticket-router-serving-model must enable network isolation (enableNetworkIsolation)",
	}} with input as doc
}
