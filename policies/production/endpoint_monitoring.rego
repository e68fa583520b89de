# METADATA
# title: Endpoints have scheduled data-quality monitoring
# description: Checks whether every realtime and asynchronous endpoint has a data-quality job definition and a monitoring schedule that runs it, where the environment requires monitoring.
# custom:
#   id: endpoint-model-monitoring
#   severity: medium
#   controls: [SOC2:CC7.2, ISO27001:A.8.16, NIST800-53:SI-4, HIPAA:164.308(a)(1)(ii)(D), EU-AI-ACT:Art.15, EU-AI-ACT:Art.72, NIST-AI-RMF:MEASURE-2.4, NIST-AI-RMF:MANAGE-4.1, ISO42001:A.6.2.6]
#   resource_types: [aws:sagemaker/endpoint:Endpoint]
#   waivable: true
package mlops.production.endpoint_monitoring

import rego.v1

import data.mlops.lib.resources as lib

_job_types := {
	"aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition",
	"aws-native:sagemaker:DataQualityJobDefinition",
}

# Serverless endpoints are exempt: Model Monitor does not support Serverless Inference.
deny contains violation if {
	some endpoint in _endpoints
	count(lib.monitors_of(endpoint, _job_types)) == 0
	violation := {
		"resource": endpoint.urn,
		"message": sprintf("Endpoint %s must have a data-quality monitoring job definition", [endpoint.name]),
	}
}

deny contains violation if {
	some endpoint in _endpoints
	jobs := lib.monitors_of(endpoint, _job_types)
	count(jobs) > 0
	not lib.scheduled(jobs)
	violation := {
		"resource": endpoint.urn,
		"message": sprintf("Endpoint %s must run its data-quality monitoring job on a monitoring schedule", [endpoint.name]),
	}
}

_endpoints := [endpoint |
	lib.parameters.require_monitoring == true
	some endpoint in lib.resources_of("aws:sagemaker/endpoint:Endpoint")
	lib.instance_backed_endpoint(endpoint)
]
