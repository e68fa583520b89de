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
