# METADATA
# title: High-risk models' endpoints have scheduled bias monitoring
# description: Checks whether every instance-backed endpoint of a high-risk model (spec metadata.risk_tier) has a SageMaker Clarify model-bias job definition watching it and a monitoring schedule that runs it, where the environment requires bias monitoring (require_bias_monitoring), so unfair outcomes across sensitive groups are measured on live traffic.
# custom:
#   id: bias-monitoring-required
#   severity: high
#   controls: [SOC2:CC7.2, ISO27001:A.8.16, NIST800-53:SI-4, EU-AI-ACT:Art.10, EU-AI-ACT:Art.15, EU-AI-ACT:Art.72, NIST-AI-RMF:MEASURE-2.11, NIST-AI-RMF:MANAGE-4.1, ISO42001:A.7.4, ISO42001:A.6.2.6]
#   resource_types: [aws:sagemaker/endpoint:Endpoint]
#   waivable: true
package mlops.governance.bias_monitoring

import rego.v1

import data.mlops.lib.resources as lib

_job_types := {"aws-native:sagemaker:ModelBiasJobDefinition"}

deny contains violation if {
	some endpoint in _endpoints
	count(lib.monitors_of(endpoint, _job_types)) == 0
	violation := {
		"resource": endpoint.urn,
		"message": sprintf("Endpoint %s of high-risk model %s must have a model-bias monitoring job definition; declare monitoring.bias (label, facets, ground_truth_s3_uri) in its spec", [endpoint.name, endpoint.model]),
	}
}

deny contains violation if {
	some endpoint in _endpoints
	jobs := lib.monitors_of(endpoint, _job_types)
	count(jobs) > 0
	not lib.scheduled(jobs)
	violation := {
		"resource": endpoint.urn,
		"message": sprintf("Endpoint %s of high-risk model %s must run its model-bias job definition on a monitoring schedule; set monitoring.bias.enabled: true in its spec", [endpoint.name, endpoint.model]),
	}
}

# Serverless endpoints are exempt: Model Monitor does not support Serverless Inference.
_endpoints := [endpoint |
	lib.parameters.require_bias_monitoring == true
	some endpoint in lib.resources_of("aws:sagemaker/endpoint:Endpoint")
	lib.value_at(lib.model_spec(endpoint.model), ["metadata", "risk_tier"]) == "high"
	lib.instance_backed_endpoint(endpoint)
]
