# METADATA
# title: Batch transform results are encrypted with a customer-managed KMS key and stay in the stack's buckets
# description: Checks whether every Transform step of a SageMaker pipeline encrypts its output, its captured data and its ML storage volumes (except on instance types with local NVMe storage) with a customer-managed KMS key, and writes its output and captured data only to S3 buckets this stack declares.
# custom:
#   id: batch-output-encryption
#   severity: high
#   controls: [SOC2:CC6.1, SOC2:CC6.7, ISO27001:A.8.24, NIST800-53:SC-28, NIST800-53:AC-4, HIPAA:164.312(a)(2)(iv)]
#   resource_types: [aws:sagemaker/pipeline:Pipeline]
#   waivable: true
package mlops.encryption.batch_output_kms

import rego.v1

import data.mlops.lib.resources as lib

deny contains violation if {
	some t in _transforms
	pipeline := t.pipeline
	step := t.step
	not lib.customer_managed_key(lib.value_at(step, ["Arguments", "TransformOutput", "KmsKeyId"]))
	violation := {
		"resource": pipeline.urn,
		"message": sprintf("Pipeline %s step %s must encrypt its transform output with a customer-managed KMS key (TransformOutput.KmsKeyId)", [pipeline.name, step.Name]),
	}
}

# Instance types with local NVMe storage are exempt: their volumes are encrypted in hardware
# and CreateTransformJob rejects a VolumeKmsKeyId for them.
deny contains violation if {
	some t in _transforms
	pipeline := t.pipeline
	step := t.step
	not lib.instance_storage(lib.value_at(step, ["Arguments", "TransformResources", "InstanceType"]))
	not lib.customer_managed_key(lib.value_at(step, ["Arguments", "TransformResources", "VolumeKmsKeyId"]))
	violation := {
		"resource": pipeline.urn,
		"message": sprintf("Pipeline %s step %s must encrypt its ML storage volumes with a customer-managed KMS key (TransformResources.VolumeKmsKeyId)", [pipeline.name, step.Name]),
	}
}

deny contains violation if {
	some t in _transforms
	pipeline := t.pipeline
	step := t.step
	is_object(lib.value_at(step, ["Arguments", "DataCaptureConfig"]))
	not lib.customer_managed_key(lib.value_at(step, ["Arguments", "DataCaptureConfig", "KmsKeyId"]))
	violation := {
		"resource": pipeline.urn,
		"message": sprintf("Pipeline %s step %s must encrypt its captured data with a customer-managed KMS key (DataCaptureConfig.KmsKeyId)", [pipeline.name, step.Name]),
	}
}

# A destination outside the stack's buckets escapes their key, versioning, TLS-only policy and retention.
deny contains violation if {
	some t in _transforms
	pipeline := t.pipeline
	step := t.step
	some member, uri in _destinations(step)
	count(lib.buckets_named(lib.s3_uri_bucket(uri))) == 0
	violation := {
		"resource": pipeline.urn,
		"message": sprintf("Pipeline %s step %s must write only to a bucket of this stack (%s is %v)", [pipeline.name, step.Name, member, uri]),
	}
}

_transforms contains {"pipeline": pipeline, "step": step} if {
	some pipeline in lib.resources_of("aws:sagemaker/pipeline:Pipeline")
	some step in lib.pipeline_steps(pipeline)
	step.Type == "Transform"
}

_destinations(step) := {member: uri |
	some member, path in {
		"TransformOutput.S3OutputPath": ["Arguments", "TransformOutput", "S3OutputPath"],
		"DataCaptureConfig.DestinationS3Uri": ["Arguments", "DataCaptureConfig", "DestinationS3Uri"],
	}
	uri := lib.value_at(step, path)
	uri != null
}
