package mlops.network.pipeline_vpc_test

import rego.v1

import data.mlops.lib.fixtures_test as fixtures
import data.mlops.network.pipeline_vpc

test_jobs_in_vpc_allowed if {
	count(pipeline_vpc.deny) == 0 with input as fixtures.stack
}

test_training_without_vpc_denied if {
	definition := json.patch(fixtures.pipeline_definition, [{"op": "remove", "path": "/Steps/1/Arguments/VpcConfig"}])
	doc := fixtures.with_pipeline(fixtures.stack, definition)
	pipeline_vpc.deny == {{
		"resource": fixtures.pipeline,
		"message": "Pipeline fraud-detector-training-pipeline step Train must run in the stack's VPC (VpcConfig with subnets and security groups)",
	}} with input as doc
}

test_processing_without_subnets_denied if {
	definition := json.patch(fixtures.pipeline_definition, [{"op": "replace", "path": "/Steps/0/Arguments/NetworkConfig/VpcConfig/Subnets", "value": []}])
	doc := fixtures.with_pipeline(fixtures.stack, definition)
	pipeline_vpc.deny == {{
		"resource": fixtures.pipeline,
		"message": "Pipeline fraud-detector-training-pipeline step Prepare must run in the stack's VPC (VpcConfig with subnets and security groups)",
	}} with input as doc
}

test_stack_without_network_allowed if {
	definition := json.patch(fixtures.pipeline_definition, [{"op": "remove", "path": "/Steps/1/Arguments/VpcConfig"}])
	doc := object.union(fixtures.with_pipeline(fixtures.stack, definition), {"network": null})
	count(pipeline_vpc.deny) == 0 with input as doc
}

test_training_without_security_groups_denied if {
	definition := json.patch(fixtures.pipeline_definition, [{"op": "replace", "path": "/Steps/1/Arguments/VpcConfig/SecurityGroupIds", "value": []}])
	doc := fixtures.with_pipeline(fixtures.stack, definition)
	pipeline_vpc.deny == {{
		"resource": fixtures.pipeline,
		"message": "Pipeline fraud-detector-training-pipeline step Train must run in the stack's VPC (VpcConfig with subnets and security groups)",
	}} with input as doc
}

# One subnet and one security group are enough.
test_jobs_with_one_subnet_allowed if {
	definition := json.patch(fixtures.pipeline_definition, [
		{"op": "replace", "path": "/Steps/0/Arguments/NetworkConfig/VpcConfig/Subnets", "value": ["subnet-0a"]},
		{"op": "replace", "path": "/Steps/1/Arguments/VpcConfig/Subnets", "value": ["subnet-0a"]},
	])
	doc := fixtures.with_pipeline(fixtures.stack, definition)
	count(pipeline_vpc.deny) == 0 with input as doc
}

test_environment_without_vpc_requirement_allowed if {
	definition := json.patch(fixtures.pipeline_definition, [{"op": "remove", "path": "/Steps/1/Arguments/VpcConfig"}])
	doc := fixtures.in_environment(fixtures.with_pipeline(fixtures.stack, definition), "dev")
	count(pipeline_vpc.deny) == 0 with input as doc
}
