package mlops.encryption.batch_output_kms_test

import rego.v1

import data.mlops.encryption.batch_output_kms
import data.mlops.lib.fixtures_test as fixtures

_batch := fixtures.urn("aws:sagemaker/pipeline:Pipeline", "churn-predictor-batch-pipeline")

# Model (from the pinned package) → Transform, as the Batch component writes it.
_transform := {
	"Name": "Transform",
	"Type": "Transform",
	"Arguments": {
		"TransformJobName": "acme-prod-churn-predictor-batch",
		"ModelName": {"Get": "Steps.Model-CreateModel.ModelName"},
		"TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://acme-crm-exports/scoring/"}}},
		"TransformOutput": {"S3OutputPath": "s3://acme-prod-artifacts-x/churn-predictor/batch-output", "KmsKeyId": fixtures.key_arn},
		"TransformResources": {"InstanceCount": 2, "InstanceType": "ml.m5.xlarge", "VolumeKmsKeyId": fixtures.key_arn},
		"DataCaptureConfig": {"DestinationS3Uri": "s3://acme-prod-artifacts-x/churn-predictor", "KmsKeyId": fixtures.key_arn},
	},
}

_definition(transform) := {
	"Version": "2020-12-01",
	"Parameters": [],
	"Steps": [
		{
			"Name": "Model-CreateModel",
			"Type": "Model",
			"Arguments": {"PrimaryContainer": {"ModelPackageName": "arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-churn-predictor/6"}},
		},
		transform,
	],
}

_with_batch(transform) := fixtures.with_resources(fixtures.stack, [fixtures.resource(
	"aws:sagemaker/pipeline:Pipeline", "churn-predictor-batch-pipeline", "churn-predictor", [],
	{"pipelineName": "acme-prod-churn-predictor-batch", "pipelineDefinition": json.marshal(_definition(transform))},
)])

_patched(operations) := _with_batch(json.patch(_transform, operations))

_message(text) := {{"resource": _batch, "message": sprintf("Pipeline churn-predictor-batch-pipeline step Transform must %s", [text])}}

test_encrypted_transform_in_stack_buckets_allowed if {
	count(batch_output_kms.deny) == 0 with input as _with_batch(_transform)
}

test_pipelines_without_transform_steps_allowed if {
	count(batch_output_kms.deny) == 0 with input as fixtures.stack
}

test_output_without_key_denied if {
	doc := _patched([{"op": "remove", "path": "/Arguments/TransformOutput/KmsKeyId"}])
	batch_output_kms.deny == _message("encrypt its transform output with a customer-managed KMS key (TransformOutput.KmsKeyId)") with input as doc
}

test_output_with_aws_managed_key_denied if {
	doc := _patched([{"op": "replace", "path": "/Arguments/TransformOutput/KmsKeyId", "value": "alias/aws/s3"}])
	batch_output_kms.deny == _message("encrypt its transform output with a customer-managed KMS key (TransformOutput.KmsKeyId)") with input as doc
}

test_volume_without_key_denied if {
	doc := _patched([{"op": "remove", "path": "/Arguments/TransformResources/VolumeKmsKeyId"}])
	batch_output_kms.deny == _message("encrypt its ML storage volumes with a customer-managed KMS key (TransformResources.VolumeKmsKeyId)") with input as doc
}

test_nvme_volume_without_key_allowed if {
	doc := _patched([
		{"op": "remove", "path": "/Arguments/TransformResources/VolumeKmsKeyId"},
		{"op": "replace", "path": "/Arguments/TransformResources/InstanceType", "value": "ml.m5d.xlarge"},
	])
	count(batch_output_kms.deny) == 0 with input as doc
}

test_capture_without_key_denied if {
	doc := _patched([{"op": "remove", "path": "/Arguments/DataCaptureConfig/KmsKeyId"}])
	batch_output_kms.deny == _message("encrypt its captured data with a customer-managed KMS key (DataCaptureConfig.KmsKeyId)") with input as doc
}

test_no_capture_allowed if {
	count(batch_output_kms.deny) == 0 with input as _patched([{"op": "remove", "path": "/Arguments/DataCaptureConfig"}])
}

test_output_to_foreign_bucket_denied if {
	doc := _patched([{"op": "replace", "path": "/Arguments/TransformOutput/S3OutputPath", "value": "s3://acme-crm-exports/scores"}])
	batch_output_kms.deny == _message("write only to a bucket of this stack (TransformOutput.S3OutputPath is s3://acme-crm-exports/scores)") with input as doc
}

test_capture_to_foreign_bucket_denied if {
	doc := _patched([{"op": "replace", "path": "/Arguments/DataCaptureConfig/DestinationS3Uri", "value": "s3://elsewhere/churn-predictor"}])
	batch_output_kms.deny == _message("write only to a bucket of this stack (DataCaptureConfig.DestinationS3Uri is s3://elsewhere/churn-predictor)") with input as doc
}

# The bucket must start with a stack bucket's whole prefix, not share its first characters.
test_bucket_sharing_only_part_of_a_prefix_denied if {
	doc := _patched([{"op": "replace", "path": "/Arguments/TransformOutput/S3OutputPath", "value": "s3://acme-prod-artifacts/churn-predictor"}])
	batch_output_kms.deny == _message("write only to a bucket of this stack (TransformOutput.S3OutputPath is s3://acme-prod-artifacts/churn-predictor)") with input as doc
}

test_output_resolved_at_execution_denied if {
	doc := _patched([{"op": "replace", "path": "/Arguments/TransformOutput/S3OutputPath", "value": {"Get": "Parameters.Output"}}])
	batch_output_kms.deny == _message(`write only to a bucket of this stack (TransformOutput.S3OutputPath is {"Get": "Parameters.Output"})`) with input as doc
}

# A path without the s3:// scheme names no bucket, even when it starts with a stack bucket's name.
test_non_s3_output_denied if {
	doc := _patched([{"op": "replace", "path": "/Arguments/TransformOutput/S3OutputPath", "value": "acme-prod-artifacts-x/churn-predictor"}])
	batch_output_kms.deny == _message("write only to a bucket of this stack (TransformOutput.S3OutputPath is acme-prod-artifacts-x/churn-predictor)") with input as doc
}

_explicit_bucket := fixtures.resource("aws:s3/bucket:Bucket", "partner-exchange", null, [], {"bucket": "acme-partner-exchange"})

_auto_named_bucket := fixtures.resource("aws:s3/bucket:Bucket", "scores", null, [], {})

test_explicitly_named_stack_bucket_allowed if {
	doc := fixtures.with_resources(
		_patched([{"op": "replace", "path": "/Arguments/TransformOutput/S3OutputPath", "value": "s3://acme-partner-exchange/churn"}]),
		[_explicit_bucket],
	)
	count(batch_output_kms.deny) == 0 with input as doc
}

# An explicit name is exact: a longer name only shares its first characters.
test_longer_name_than_an_explicit_bucket_denied if {
	doc := fixtures.with_resources(
		_patched([{"op": "replace", "path": "/Arguments/TransformOutput/S3OutputPath", "value": "s3://acme-partner-exchange-2/churn"}]),
		[_explicit_bucket],
	)
	batch_output_kms.deny == _message("write only to a bucket of this stack (TransformOutput.S3OutputPath is s3://acme-partner-exchange-2/churn)") with input as doc
}

test_auto_named_stack_bucket_allowed if {
	doc := fixtures.with_resources(
		_patched([{"op": "replace", "path": "/Arguments/TransformOutput/S3OutputPath", "value": "s3://scores-1a2b3c4/churn"}]),
		[_auto_named_bucket],
	)
	count(batch_output_kms.deny) == 0 with input as doc
}

test_other_bucket_than_an_auto_named_one_denied if {
	doc := fixtures.with_resources(
		_patched([{"op": "replace", "path": "/Arguments/TransformOutput/S3OutputPath", "value": "s3://elsewhere-1a2b3c4/churn"}]),
		[_auto_named_bucket],
	)
	batch_output_kms.deny == _message("write only to a bucket of this stack (TransformOutput.S3OutputPath is s3://elsewhere-1a2b3c4/churn)") with input as doc
}

# A bucket with an explicit name or prefix is not auto-named after its logical name.
test_logical_name_of_a_prefixed_bucket_denied if {
	doc := _patched([{"op": "replace", "path": "/Arguments/TransformOutput/S3OutputPath", "value": "s3://platform-artifacts-1a2b3c4/churn"}])
	batch_output_kms.deny == _message("write only to a bucket of this stack (TransformOutput.S3OutputPath is s3://platform-artifacts-1a2b3c4/churn)") with input as doc
}

test_logical_name_of_an_explicitly_named_bucket_denied if {
	doc := fixtures.with_resources(
		_patched([{"op": "replace", "path": "/Arguments/TransformOutput/S3OutputPath", "value": "s3://partner-exchange-1a2b3c4/churn"}]),
		[_explicit_bucket],
	)
	batch_output_kms.deny == _message("write only to a bucket of this stack (TransformOutput.S3OutputPath is s3://partner-exchange-1a2b3c4/churn)") with input as doc
}

# Transform steps nested in a Condition step's branches are checked too.
test_nested_transform_without_key_denied if {
	transform := json.patch(_transform, [{"op": "remove", "path": "/Arguments/TransformOutput/KmsKeyId"}])
	definition := {"Version": "2020-12-01", "Steps": [{
		"Name": "Check",
		"Type": "Condition",
		"Arguments": {"Conditions": [], "IfSteps": [transform], "ElseSteps": []},
	}]}
	doc := fixtures.with_resources(fixtures.stack, [fixtures.resource(
		"aws:sagemaker/pipeline:Pipeline", "churn-predictor-batch-pipeline", "churn-predictor", [],
		{"pipelineDefinition": json.marshal(definition)},
	)])
	batch_output_kms.deny == _message("encrypt its transform output with a customer-managed KMS key (TransformOutput.KmsKeyId)") with input as doc
}
