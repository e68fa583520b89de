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

# The Clarify monitors' job definitions (bias, feature attribution) are checked too.
_clarify_job(type, name, output_key, output_kms_key, volume_kms_key) := fixtures.resource(type, name, "fraud-detector", [fixtures.endpoint], {
	"jobDefinitionName": name,
	output_key: {"kmsKeyId": output_kms_key},
	"jobResources": {"clusterConfig": {"instanceCount": 1, "instanceType": "ml.m5.large", "volumeKmsKeyId": volume_kms_key, "volumeSizeInGb": 20}},
})

test_encrypted_clarify_jobs_allowed if {
	doc := fixtures.with_resources(fixtures.stack, [
		_clarify_job("aws-native:sagemaker:ModelBiasJobDefinition", "fraud-detector-monitoring-model-bias", "modelBiasJobOutputConfig", fixtures.key_arn, fixtures.key_arn),
		_clarify_job("aws-native:sagemaker:ModelExplainabilityJobDefinition", "fraud-detector-monitoring-model-explainability", "modelExplainabilityJobOutputConfig", fixtures.key_arn, fixtures.key_arn),
	])
	count(monitoring_kms.deny) == 0 with input as doc
}

test_bias_job_output_without_key_denied if {
	doc := fixtures.with_resources(fixtures.stack, [_clarify_job("aws-native:sagemaker:ModelBiasJobDefinition", "fraud-detector-monitoring-model-bias", "modelBiasJobOutputConfig", null, fixtures.key_arn)])
	monitoring_kms.deny == {{
		"resource": fixtures.urn("aws-native:sagemaker:ModelBiasJobDefinition", "fraud-detector-monitoring-model-bias"),
		"message": "Monitoring job definition fraud-detector-monitoring-model-bias must encrypt its outputs with a customer-managed KMS key (output config kmsKeyId)",
	}} with input as doc
}

test_explainability_job_volume_with_aws_managed_key_denied if {
	doc := fixtures.with_resources(fixtures.stack, [_clarify_job("aws-native:sagemaker:ModelExplainabilityJobDefinition", "fraud-detector-monitoring-model-explainability", "modelExplainabilityJobOutputConfig", fixtures.key_arn, "alias/aws/sagemaker")])
	monitoring_kms.deny == {{
		"resource": fixtures.urn("aws-native:sagemaker:ModelExplainabilityJobDefinition", "fraud-detector-monitoring-model-explainability"),
		"message": "Monitoring job definition fraud-detector-monitoring-model-explainability must encrypt its ML storage volumes with a customer-managed KMS key (jobResources.clusterConfig.volumeKmsKeyId)",
	}} with input as doc
}

# The output key is read from each type's own output configuration, not another type's.
test_explainability_job_key_under_bias_output_config_denied if {
	doc := fixtures.with_resources(fixtures.stack, [_clarify_job("aws-native:sagemaker:ModelExplainabilityJobDefinition", "fraud-detector-monitoring-model-explainability", "modelBiasJobOutputConfig", fixtures.key_arn, fixtures.key_arn)])
	monitoring_kms.deny == {{
		"resource": fixtures.urn("aws-native:sagemaker:ModelExplainabilityJobDefinition", "fraud-detector-monitoring-model-explainability"),
		"message": "Monitoring job definition fraud-detector-monitoring-model-explainability must encrypt its outputs with a customer-managed KMS key (output config kmsKeyId)",
	}} with input as doc
}
