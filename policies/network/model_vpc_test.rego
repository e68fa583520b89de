package mlops.network.model_vpc_test

import rego.v1

import data.mlops.lib.fixtures_test as fixtures
import data.mlops.network.model_vpc

_denied := {{
	"resource": fixtures.model,
	"message": "SageMaker model fraud-detector-serving-model must run in the stack's VPC (vpcConfig with subnets and security groups)",
}}

# The serverless ticket-router model has no vpcConfig: Serverless Inference does not support one.
test_models_in_vpc_allowed if {
	count(model_vpc.deny) == 0 with input as fixtures.stack
}

test_model_without_vpc_denied if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.model, [{"op": "remove", "path": "/inputs/vpcConfig"}])
	model_vpc.deny == _denied with input as doc
}

test_model_without_security_groups_denied if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.model, {"vpcConfig": {"securityGroupIds": []}})
	model_vpc.deny == _denied with input as doc
}

test_stack_without_network_allowed if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.model, [{"op": "remove", "path": "/inputs/vpcConfig"}])
	no_network := object.union(doc, {"network": null})
	count(model_vpc.deny) == 0 with input as no_network
}

test_environment_without_vpc_requirement_allowed if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.model, [{"op": "remove", "path": "/inputs/vpcConfig"}])
	dev := fixtures.in_environment(doc, "dev")
	count(model_vpc.deny) == 0 with input as dev
}

test_model_without_subnets_denied if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.model, {"vpcConfig": {"subnets": []}})
	model_vpc.deny == _denied with input as doc
}

# One subnet and one security group are enough.
test_model_with_one_subnet_allowed if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.model, {"vpcConfig": {"subnets": ["subnet-0a"], "securityGroupIds": ["sg-0a"]}})
	count(model_vpc.deny) == 0 with input as doc
}

# The serverless exemption needs an endpoint configuration with a serverless variant serving the model.
test_model_without_endpoint_configuration_denied if {
	doc := fixtures.without(fixtures.stack, fixtures.serverless_config)
	model_vpc.deny == {{
		"resource": fixtures.serverless_model,
		"message": "SageMaker model ticket-router-serving-model must run in the stack's VPC (vpcConfig with subnets and security groups)",
	}} with input as doc
}

test_model_also_served_on_instances_denied if {
	extra := fixtures.resource("aws:sagemaker/endpointConfiguration:EndpointConfiguration", "ticket-router-batch-config", "ticket-router", [fixtures.serverless_model], {"productionVariants": [{"variantName": "primary", "instanceType": "ml.m5.large", "initialInstanceCount": 1}]})
	doc := fixtures.with_resources(fixtures.stack, [extra])
	model_vpc.deny == {{
		"resource": fixtures.serverless_model,
		"message": "SageMaker model ticket-router-serving-model must run in the stack's VPC (vpcConfig with subnets and security groups)",
	}} with input as doc
}
