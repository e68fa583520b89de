# METADATA
# title: Monitoring jobs encrypt volumes and outputs with a customer-managed KMS key
# description: Checks whether every Model Monitor job definition encrypts its reports and its ML storage volumes with a customer-managed KMS key.
# custom:
#   id: monitoring-kms-encryption
#   severity: high
#   controls: [SOC2:CC6.1, ISO27001:A.8.24, NIST800-53:SC-28, HIPAA:164.312(a)(2)(iv)]
#   resource_types: [aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition, aws-native:sagemaker:DataQualityJobDefinition, aws-native:sagemaker:ModelQualityJobDefinition, aws-native:sagemaker:ModelBiasJobDefinition, aws-native:sagemaker:ModelExplainabilityJobDefinition]
#   waivable: true
#   resource_local: true
package mlops.encryption.monitoring_kms

import rego.v1

import data.mlops.lib.resources as lib

deny contains violation if {
	some job in lib.monitoring_jobs
	not lib.customer_managed_key(job.output_kms_key)
	violation := {
		"resource": job.resource.urn,
		"message": sprintf("Monitoring job definition %s must encrypt its outputs with a customer-managed KMS key (output config kmsKeyId)", [job.resource.name]),
	}
}

# Instance types with local NVMe storage are exempt: SageMaker rejects a volume key for them.
deny contains violation if {
	some job in lib.monitoring_jobs
	not lib.instance_storage(job.instance_type)
	not lib.customer_managed_key(job.volume_kms_key)
	violation := {
		"resource": job.resource.urn,
		"message": sprintf("Monitoring job definition %s must encrypt its ML storage volumes with a customer-managed KMS key (jobResources.clusterConfig.volumeKmsKeyId)", [job.resource.name]),
	}
}
