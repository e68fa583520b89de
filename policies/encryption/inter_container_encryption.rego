# METADATA
# title: Training, processing and monitoring jobs encrypt traffic between their containers
# description: Checks whether every pipeline training and processing step and every Model Monitor job definition enables inter-container traffic encryption.
# custom:
#   id: inter-container-traffic-encryption
#   severity: medium
#   controls: [SOC2:CC6.7, ISO27001:A.8.24, NIST800-53:SC-8, HIPAA:164.312(e)(1)]
#   resource_types: [aws:sagemaker/pipeline:Pipeline, aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition, aws-native:sagemaker:DataQualityJobDefinition, aws-native:sagemaker:ModelQualityJobDefinition, aws-native:sagemaker:ModelBiasJobDefinition, aws-native:sagemaker:ModelExplainabilityJobDefinition]
#   waivable: true
#   resource_local: true
package mlops.encryption.inter_container_encryption

import rego.v1

import data.mlops.lib.resources as lib

deny contains violation if {
	some pipeline in lib.resources_of("aws:sagemaker/pipeline:Pipeline")
	some job in lib.pipeline_jobs(pipeline)
	not job.inter_container_encryption
	violation := {
		"resource": pipeline.urn,
		"message": sprintf("Pipeline %s step %s must enable inter-container traffic encryption", [pipeline.name, job.step]),
	}
}

deny contains violation if {
	some job in lib.monitoring_jobs
	not job.inter_container_encryption
	violation := {
		"resource": job.resource.urn,
		"message": sprintf("Monitoring job definition %s must enable inter-container traffic encryption (networkConfig.enableInterContainerTrafficEncryption)", [job.resource.name]),
	}
}
