# METADATA
# title: Endpoints run enough instances to survive an instance failure
# description: Checks whether every realtime and asynchronous endpoint variant starts with, and scales down to no fewer than, the minimum instance count of the environment.
# custom:
#   id: endpoint-min-instances
#   severity: medium
#   controls: [SOC2:A1.2, ISO27001:A.8.14, NIST800-53:SC-5(2)]
#   resource_types: [aws:sagemaker/endpoint:Endpoint, aws:sagemaker/endpointConfiguration:EndpointConfiguration]
#   waivable: true
package mlops.production.endpoint_min_instances

import rego.v1

import data.mlops.lib.resources as lib

# Serverless variants are exempt: they have no instances to count.
deny contains violation if {
	some config in lib.resources_of(lib.endpoint_config_type)
	some variant in lib.instance_variants(config)
	found := lib.number_at(variant, ["initialInstanceCount"])
	found < lib.parameters.min_endpoint_instances
	violation := {
		"resource": config.urn,
		"message": sprintf("Endpoint configuration %s variant %s must start at least %v instances (found %v)", [config.name, lib.string_at(variant, ["variantName"]), lib.parameters.min_endpoint_instances, found]),
	}
}

deny contains violation if {
	some config in lib.resources_of(lib.endpoint_config_type)
	some variant in lib.instance_variants(config)
	some endpoint in lib.linked("aws:sagemaker/endpoint:Endpoint", config)
	some target in lib.scaling_targets(endpoint, variant)
	found := lib.number_at(target, ["inputs", "minCapacity"])
	found < lib.parameters.min_endpoint_instances
	violation := {
		"resource": target.urn,
		"message": sprintf("Auto scaling target %s must keep minCapacity at %v or more (found %v)", [target.name, lib.parameters.min_endpoint_instances, found]),
	}
}
