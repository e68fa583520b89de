# METADATA
# title: Pipeline training and processing jobs run in the stack's VPC
# description: Checks whether every training and processing step of a SageMaker pipeline sets a VPC configuration with subnets and security groups where the environment requires a VPC and the stack has one.
# custom:
#   id: pipeline-vpc-config
#   severity: high
#   controls: [SOC2:CC6.6, ISO27001:A.8.20, ISO27001:A.8.22, NIST800-53:SC-7, HIPAA:164.312(e)(1)]
#   resource_types: [aws:sagemaker/pipeline:Pipeline]
#   waivable: true
#   resource_local: true
package mlops.network.pipeline_vpc

import rego.v1

import data.mlops.lib.resources as lib

deny contains violation if {
	lib.vpc_required
	some pipeline in lib.resources_of("aws:sagemaker/pipeline:Pipeline")
	some job in lib.pipeline_jobs(pipeline)
	not _in_vpc(job)
	violation := {
		"resource": pipeline.urn,
		"message": sprintf("Pipeline %s step %s must run in the stack's VPC (VpcConfig with subnets and security groups)", [pipeline.name, job.step]),
	}
}

_in_vpc(job) if {
	count(job.subnets) > 0
	count(job.security_groups) > 0
}
