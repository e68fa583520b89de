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

# The Clarify monitors' job definitions (bias, feature attribution) are checked too.
_clarify_job(type, name, network) := fixtures.resource(type, name, "fraud-detector", [fixtures.endpoint], {
	"jobDefinitionName": name,
	"networkConfig": network,
})

_vpc_network := {"enableNetworkIsolation": true, "vpcConfig": {"subnets": fixtures.subnets, "securityGroupIds": fixtures.security_groups}}

test_clarify_jobs_in_vpc_allowed if {
	doc := fixtures.with_resources(fixtures.stack, [
		_clarify_job("aws-native:sagemaker:ModelBiasJobDefinition", "fraud-detector-monitoring-model-bias", _vpc_network),
		_clarify_job("aws-native:sagemaker:ModelExplainabilityJobDefinition", "fraud-detector-monitoring-model-explainability", _vpc_network),
	])
	count(monitoring_vpc.deny) == 0 with input as doc
}

test_bias_job_without_vpc_denied if {
	doc := fixtures.with_resources(fixtures.stack, [_clarify_job("aws-native:sagemaker:ModelBiasJobDefinition", "fraud-detector-monitoring-model-bias", {"enableNetworkIsolation": true})])
	urn := fixtures.urn("aws-native:sagemaker:ModelBiasJobDefinition", "fraud-detector-monitoring-model-bias")
	monitoring_vpc.deny == _denied(urn, "fraud-detector-monitoring-model-bias") with input as doc
}

test_explainability_job_without_vpc_denied if {
	doc := fixtures.with_resources(fixtures.stack, [_clarify_job("aws-native:sagemaker:ModelExplainabilityJobDefinition", "fraud-detector-monitoring-model-explainability", {"enableNetworkIsolation": true})])
	urn := fixtures.urn("aws-native:sagemaker:ModelExplainabilityJobDefinition", "fraud-detector-monitoring-model-explainability")
	monitoring_vpc.deny == _denied(urn, "fraud-detector-monitoring-model-explainability") with input as doc
}
