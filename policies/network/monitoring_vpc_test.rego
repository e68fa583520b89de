package mlops.network.monitoring_vpc_test

import rego.v1

import data.mlops.lib.fixtures_test as fixtures
import data.mlops.network.monitoring_vpc

test_monitoring_in_vpc_allowed if {
	count(monitoring_vpc.deny) == 0 with input as fixtures.stack
}

test_data_quality_job_without_vpc_denied if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.data_quality_job, [{"op": "remove", "path": "/inputs/networkConfig/vpcConfig"}])
	monitoring_vpc.deny == {{
		"resource": fixtures.data_quality_job,
		"message": "Monitoring job definition fraud-detector-monitoring-data-quality must run in the stack's VPC (networkConfig.vpcConfig with subnets and security groups)",
	}} with input as doc
}

test_environment_without_vpc_requirement_allowed if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.data_quality_job, [{"op": "remove", "path": "/inputs/networkConfig/vpcConfig"}])
	dev := fixtures.in_environment(doc, "dev")
	count(monitoring_vpc.deny) == 0 with input as dev
}

_denied(urn, name) := {{
	"resource": urn,
	"message": sprintf("Monitoring job definition %s must run in the stack's VPC (networkConfig.vpcConfig with subnets and security groups)", [name]),
}}

# Each half of the VPC configuration is required on its own.
test_job_without_subnets_denied if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.data_quality_job, {"networkConfig": {"vpcConfig": {"subnets": []}}})
	monitoring_vpc.deny == _denied(fixtures.data_quality_job, "fraud-detector-monitoring-data-quality") with input as doc
}

test_job_without_security_groups_denied if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.data_quality_job, {"networkConfig": {"vpcConfig": {"securityGroupIds": []}}})
	monitoring_vpc.deny == _denied(fixtures.data_quality_job, "fraud-detector-monitoring-data-quality") with input as doc
}

# One subnet and one security group are enough.
test_job_with_one_subnet_allowed if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.data_quality_job, {"networkConfig": {"vpcConfig": {"subnets": ["subnet-0a"], "securityGroupIds": ["sg-0a"]}}})
	count(monitoring_vpc.deny) == 0 with input as doc
}

# The aws-native job definitions are checked too.
test_model_quality_job_without_vpc_denied if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.model_quality_job, [{"op": "remove", "path": "/inputs/networkConfig"}])
	monitoring_vpc.deny == _denied(fixtures.model_quality_job, "fraud-detector-monitoring-model-quality") with input as doc
}

test_stack_without_network_allowed if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.data_quality_job, [{"op": "remove", "path": "/inputs/networkConfig/vpcConfig"}])
	count(monitoring_vpc.deny) == 0 with input as object.union(doc, {"network": null})
}
