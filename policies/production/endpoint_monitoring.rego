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

_schedule_types := {
	"aws:sagemaker/monitoringSchedule:MonitoringSchedule",
	"aws-native:sagemaker:MonitoringSchedule",
}

# Serverless endpoints are exempt: Model Monitor does not support Serverless Inference.
deny contains violation if {
	some endpoint in _endpoints
	count(_jobs(endpoint)) == 0
	violation := {
		"resource": endpoint.urn,
		"message": sprintf("Endpoint %s must have a data-quality monitoring job definition", [endpoint.name]),
	}
}

deny contains violation if {
	some endpoint in _endpoints
	jobs := _jobs(endpoint)
	count(jobs) > 0
	not _scheduled(jobs)
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

_jobs(endpoint) := [job |
	some job in lib.all_resources
	job.type in _job_types
	_monitors(job, endpoint)
]

_monitors(job, endpoint) if lib.depends_on(job, endpoint)

_monitors(job, endpoint) if {
	name := lib.string_at(endpoint, ["inputs", "name"])
	name != ""
	lib.string_at(job, ["inputs", "dataQualityJobInput", "endpointInput", "endpointName"]) == name
}

_scheduled(jobs) if {
	some job in jobs
	some schedule in lib.all_resources
	schedule.type in _schedule_types
	_runs(schedule, job)
}

_runs(schedule, job) if lib.depends_on(schedule, job)

_runs(schedule, job) if {
	name := _job_name(job)
	name != ""
	lib.string_at(schedule, ["inputs", "monitoringScheduleConfig", "monitoringJobDefinitionName"]) == name
}

_job_name(job) := lib.string_at(job, ["inputs", "name"]) if job.type == "aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition"

_job_name(job) := lib.string_at(job, ["inputs", "jobDefinitionName"]) if job.type == "aws-native:sagemaker:DataQualityJobDefinition"
