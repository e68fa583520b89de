# METADATA
# title: Endpoints stay within the environment's instance budget
# description: Checks whether the endpoint instances a stack can run, counting each variant's autoscaling maximum or else its initial instance count, stay within the environment's maximum.
# custom:
#   id: endpoint-instance-budget
#   severity: medium
#   controls: [SOC2:A1.1, ISO27001:A.8.6, NIST800-53:SC-6]
#   resource_types: [aws:sagemaker/endpoint:Endpoint]
#   waivable: true
package mlops.cost.instance_budget

import rego.v1

import data.mlops.lib.resources as lib

# The budget is the stack's, but each endpoint configuration that uses it is reported, so the
# finding lands on resources a model owner can change (and waive).
deny contains violation if {
	_total > lib.parameters.max_total_instances
	some config in lib.resources_of(lib.endpoint_config_type)
	capacity := _capacity(config)
	capacity > 0
	violation := {
		"resource": config.urn,
		"message": sprintf("Endpoint configuration %s can run %v instances; the stack's endpoints together must not exceed %v in %s (found %v)", [config.name, capacity, lib.parameters.max_total_instances, input.environment, _total]),
	}
}

_total := sum([_capacity(config) | some config in lib.resources_of(lib.endpoint_config_type)])

_capacity(config) := sum([_variant_capacity(config, variant) | some variant in lib.instance_variants(config)])

_variant_capacity(config, variant) := max(maxima) if {
	maxima := [lib.number_at(target, ["inputs", "maxCapacity"]) |
		some endpoint in lib.linked("aws:sagemaker/endpoint:Endpoint", config)
		some target in lib.scaling_targets(endpoint, variant)
	]
	count(maxima) > 0
} else := lib.number_at(variant, ["initialInstanceCount"])
