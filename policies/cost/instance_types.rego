# METADATA
# title: Workloads use instance types allowed in the environment
# description: Checks whether endpoint variants, pipeline training and processing steps and monitoring jobs use instance types from the environment's allow-list.
# custom:
#   id: allowed-instance-types
#   severity: medium
#   controls: [SOC2:A1.1, ISO27001:A.8.6, ISO27001:A.8.9, NIST800-53:CM-6]
#   resource_types: [aws:sagemaker/endpointConfiguration:EndpointConfiguration, aws:sagemaker/pipeline:Pipeline]
#   waivable: true
#   resource_local: true
package mlops.cost.instance_types

import rego.v1

import data.mlops.lib.resources as lib

deny contains violation if {
	some config in lib.resources_of(lib.endpoint_config_type)
	some variant in lib.instance_variants(config)
	found := lib.value_at(variant, ["instanceType"])
	not found in lib.parameters.allowed_instance_types
	violation := {
		"resource": config.urn,
		"message": sprintf("Endpoint configuration %s variant %s must use an instance type allowed in %s (found %v)", [config.name, lib.string_at(variant, ["variantName"]), input.environment, found]),
	}
}

deny contains violation if {
	some pipeline in lib.resources_of("aws:sagemaker/pipeline:Pipeline")
	some job in lib.pipeline_jobs(pipeline)
	not job.instance_type in lib.parameters.allowed_instance_types
	violation := {
		"resource": pipeline.urn,
		"message": sprintf("Pipeline %s step %s must use an instance type allowed in %s (found %v)", [pipeline.name, job.step, input.environment, job.instance_type]),
	}
}

deny contains violation if {
	some job in lib.monitoring_jobs
	not job.instance_type in lib.parameters.allowed_instance_types
	violation := {
		"resource": job.resource.urn,
		"message": sprintf("Monitoring job definition %s must use an instance type allowed in %s (found %v)", [job.resource.name, input.environment, job.instance_type]),
	}
}
