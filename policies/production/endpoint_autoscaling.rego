# METADATA
# title: Endpoints scale automatically
# description: Checks whether every variant of a realtime or asynchronous endpoint, A/B and shadow variants included, has an Application Auto Scaling target where the environment requires autoscaling.
# custom:
#   id: endpoint-autoscaling
#   severity: medium
#   controls: [SOC2:A1.1, ISO27001:A.8.6, NIST800-53:SC-5(2)]
#   resource_types: [aws:sagemaker/endpoint:Endpoint]
#   waivable: true
package mlops.production.endpoint_autoscaling

import rego.v1

import data.mlops.lib.resources as lib

# Serverless variants are exempt: SageMaker scales them itself.
deny contains violation if {
	lib.parameters.require_autoscaling == true
	some endpoint in lib.resources_of("aws:sagemaker/endpoint:Endpoint")
	some config in lib.endpoint_configs(endpoint)
	some variant in lib.instance_variants(config)
	count(lib.scaling_targets(endpoint, variant)) == 0
	violation := {
		"resource": endpoint.urn,
		"message": sprintf("Endpoint %s must have an Application Auto Scaling target for variant %s", [endpoint.name, lib.string_at(variant, ["variantName"])]),
	}
}
