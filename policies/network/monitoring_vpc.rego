# METADATA
# title: Monitoring jobs run in the stack's VPC
# description: Checks whether every Model Monitor job definition sets a VPC configuration with subnets and security groups where the environment requires a VPC and the stack has one.
# custom:
#   id: monitoring-vpc-config
#   severity: medium
#   controls: [SOC2:CC6.6, ISO27001:A.8.20, ISO27001:A.8.22, NIST800-53:SC-7, HIPAA:164.312(e)(1)]
#   resource_types: [aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition, aws-native:sagemaker:DataQualityJobDefinition, aws-native:sagemaker:ModelQualityJobDefinition, aws-native:sagemaker:ModelBiasJobDefinition, aws-native:sagemaker:ModelExplainabilityJobDefinition]
#   waivable: true
#   resource_local: true
package mlops.network.monitoring_vpc

import rego.v1

import data.mlops.lib.resources as lib

deny contains violation if {
	lib.vpc_required
	some job in lib.monitoring_jobs
	not _in_vpc(job)
	violation := {
		"resource": job.resource.urn,
		"message": sprintf("Monitoring job definition %s must run in the stack's VPC (networkConfig.vpcConfig with subnets and security groups)", [job.resource.name]),
	}
}

_in_vpc(job) if {
	count(job.subnets) > 0
	count(job.security_groups) > 0
}
