package mlops.encryption.pipeline_kms_test

import rego.v1

import data.mlops.encryption.pipeline_kms
import data.mlops.lib.fixtures_test as fixtures

test_encrypted_jobs_allowed if {
	count(pipeline_kms.deny) == 0 with input as fixtures.stack
}

test_training_output_without_key_denied if {
	definition := json.patch(fixtures.pipeline_definition, [{"op": "remove", "path": "/Steps/1/Arguments/OutputDataConfig/KmsKeyId"}])
	doc := fixtures.with_pipeline(fixtures.stack, definition)
	pipeline_kms.deny == {{
		"resource": fixtures.pipeline,
		"message": "Pipeline fraud-detector-training-pipeline step Train must encrypt its outputs with a customer-managed KMS key (KmsKeyId)",
	}} with input as doc
}

test_processing_volume_with_aws_managed_key_denied if {
	definition := json.patch(fixtures.pipeline_definition, [{
		"op": "replace",
		"path": "/Steps/0/Arguments/ProcessingResources/ClusterConfig/VolumeKmsKeyId",
		"value": "alias/aws/sagemaker",
	}])
	doc := fixtures.with_pipeline(fixtures.stack, definition)
	pipeline_kms.deny == {{
		"resource": fixtures.pipeline,
		"message": "Pipeline fraud-detector-training-pipeline step Prepare must encrypt its ML storage volumes with a customer-managed KMS key (VolumeKmsKeyId)",
	}} with input as doc
}

test_instance_storage_training_without_volume_key_allowed if {
	definition := json.patch(fixtures.pipeline_definition, [
		{"op": "remove", "path": "/Steps/1/Arguments/ResourceConfig/VolumeKmsKeyId"},
		{"op": "replace", "path": "/Steps/1/Arguments/ResourceConfig/InstanceType", "value": "ml.g5.xlarge"},
	])
	doc := fixtures.with_pipeline(fixtures.stack, definition)
	count(pipeline_kms.deny) == 0 with input as doc
}

test_processing_without_outputs_allowed if {
	definition := json.patch(fixtures.pipeline_definition, [{"op": "remove", "path": "/Steps/0/Arguments/ProcessingOutputConfig"}])
	doc := fixtures.with_pipeline(fixtures.stack, definition)
	count(pipeline_kms.deny) == 0 with input as doc
}

# QualityCheck and ClarifyCheck steps run processing jobs: their volumes and outputs are held to the same rule.
test_check_steps_without_keys_denied if {
	prepare := fixtures.pipeline_definition.Steps[0]
	quality := object.union(json.remove(prepare, ["Arguments/ProcessingOutputConfig/KmsKeyId"]), {"Name": "DataQuality", "Type": "QualityCheck"})
	bias := object.union(json.remove(prepare, ["Arguments/ProcessingResources/ClusterConfig/VolumeKmsKeyId"]), {"Name": "DataBias", "Type": "ClarifyCheck"})
	definition := json.patch(fixtures.pipeline_definition, [
		{"op": "add", "path": "/Steps/1", "value": quality},
		{"op": "add", "path": "/Steps/2", "value": bias},
	])
	doc := fixtures.with_pipeline(fixtures.stack, definition)
	pipeline_kms.deny == {
		{
			"resource": fixtures.pipeline,
			"message": "Pipeline fraud-detector-training-pipeline step DataQuality must encrypt its outputs with a customer-managed KMS key (KmsKeyId)",
		},
		{
			"resource": fixtures.pipeline,
			"message": "Pipeline fraud-detector-training-pipeline step DataBias must encrypt its ML storage volumes with a customer-managed KMS key (VolumeKmsKeyId)",
		},
	} with input as doc
}
