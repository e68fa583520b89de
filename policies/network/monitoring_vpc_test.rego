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
