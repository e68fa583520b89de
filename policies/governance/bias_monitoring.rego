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

_job_type := "aws-native:sagemaker:ModelBiasJobDefinition"

_schedule_types := {
	"aws:sagemaker/monitoringSchedule:MonitoringSchedule",
	"aws-native:sagemaker:MonitoringSchedule",
}

deny contains violation if {
	some endpoint in _endpoints
	count(_jobs(endpoint)) == 0
	violation := {
		"resource": endpoint.urn,
		"message": sprintf("Endpoint %s of high-risk model %s must have a model-bias monitoring job definition; declare monitoring.bias (label, facets, ground_truth_s3_uri) in its spec", [endpoint.name, endpoint.model]),
	}
}

deny contains violation if {
	some endpoint in _endpoints
	jobs := _jobs(endpoint)
	count(jobs) > 0
	not _scheduled(jobs)
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

_jobs(endpoint) := [job |
	some job in lib.resources_of(_job_type)
	_watches(job, endpoint)
]

_watches(job, endpoint) if lib.depends_on(job, endpoint)

_watches(job, endpoint) if {
	name := lib.string_at(endpoint, ["inputs", "name"])
	name != ""
	lib.string_at(job, ["inputs", "modelBiasJobInput", "endpointInput", "endpointName"]) == name
}

_scheduled(jobs) if {
	some job in jobs
	some schedule in lib.all_resources
	schedule.type in _schedule_types
	_runs(schedule, job)
}

_runs(schedule, job) if lib.depends_on(schedule, job)

_runs(schedule, job) if {
	name := lib.string_at(job, ["inputs", "jobDefinitionName"])
	name != ""
	lib.string_at(schedule, ["inputs", "monitoringScheduleConfig", "monitoringJobDefinitionName"]) == name
}
