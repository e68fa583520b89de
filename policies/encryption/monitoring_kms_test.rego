package mlops.encryption.monitoring_kms_test

import rego.v1

import data.mlops.encryption.monitoring_kms
import data.mlops.lib.fixtures_test as fixtures

test_encrypted_monitoring_allowed if {
	count(monitoring_kms.deny) == 0 with input as fixtures.stack
}

test_data_quality_output_without_key_denied if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.data_quality_job, [{"op": "remove", "path": "/inputs/dataQualityJobOutputConfig/kmsKeyId"}])
	monitoring_kms.deny == {{
		"resource": fixtures.data_quality_job,
		"message": "Monitoring job definition fraud-detector-monitoring-data-quality must encrypt its outputs with a customer-managed KMS key (output config kmsKeyId)",
	}} with input as doc
}

test_model_quality_volume_with_aws_managed_key_denied if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.model_quality_job, {"jobResources": {"clusterConfig": {"volumeKmsKeyId": "alias/aws/sagemaker"}}})
	monitoring_kms.deny == {{
		"resource": fixtures.model_quality_job,
		"message": "Monitoring job definition fraud-detector-monitoring-model-quality must encrypt its ML storage volumes with a customer-managed KMS key (jobResources.clusterConfig.volumeKmsKeyId)",
	}} with input as doc
}

test_instance_storage_without_volume_key_allowed if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.data_quality_job, {"jobResources": {"clusterConfig": {"instanceType": "ml.m5d.large", "volumeKmsKeyId": null}}})
	count(monitoring_kms.deny) == 0 with input as doc
}
