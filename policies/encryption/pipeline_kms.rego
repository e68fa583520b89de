# METADATA
# title: Pipeline training and processing jobs encrypt volumes and outputs with a customer-managed KMS key
# description: Checks whether every training and processing step of a SageMaker pipeline encrypts its ML storage volumes and its S3 outputs with a customer-managed KMS key.
# custom:
#   id: pipeline-kms-encryption
#   severity: high
#   controls: [SOC2:CC6.1, ISO27001:A.8.24, NIST800-53:SC-28, HIPAA:164.312(a)(2)(iv)]
#   resource_types: [aws:sagemaker/pipeline:Pipeline]
#   waivable: true
#   resource_local: true
package mlops.encryption.pipeline_kms

import rego.v1

import data.mlops.lib.resources as lib

deny contains violation if {
	some pipeline in lib.resources_of("aws:sagemaker/pipeline:Pipeline")
	some job in lib.pipeline_jobs(pipeline)
	job.writes_outputs
	not lib.customer_managed_key(job.output_kms_key)
	violation := {
		"resource": pipeline.urn,
		"message": sprintf("Pipeline %s step %s must encrypt its outputs with a customer-managed KMS key (KmsKeyId)", [pipeline.name, job.step]),
	}
}

# Instance types with local NVMe storage are exempt: their volumes are encrypted in hardware
# and CreateTrainingJob and CreateProcessingJob reject a VolumeKmsKeyId for them.
deny contains violation if {
	some pipeline in lib.resources_of("aws:sagemaker/pipeline:Pipeline")
	some job in lib.pipeline_jobs(pipeline)
	not lib.instance_storage(job.instance_type)
	not lib.customer_managed_key(job.volume_kms_key)
	violation := {
		"resource": pipeline.urn,
		"message": sprintf("Pipeline %s step %s must encrypt its ML storage volumes with a customer-managed KMS key (VolumeKmsKeyId)", [pipeline.name, job.step]),
	}
}
