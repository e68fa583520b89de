# METADATA
# title: S3 buckets default to SSE-KMS with a customer-managed key
# description: Checks whether every S3 bucket has a linked server-side encryption configuration that uses SSE-KMS with a customer-managed KMS key rather than AES256, except a server access log destination (a bucket whose own policy grants logging.s3.amazonaws.com s3:PutObject), which must use SSE-S3 (AES256) because S3 cannot deliver access logs to an SSE-KMS bucket.
# custom:
#   id: s3-bucket-kms-encryption
#   severity: high
#   controls: [SOC2:CC6.1, ISO27001:A.8.24, NIST800-53:SC-28, HIPAA:164.312(a)(2)(iv)]
#   resource_types: [aws:s3/bucket:Bucket]
#   waivable: true
package mlops.encryption.s3_bucket_kms

import rego.v1

import data.mlops.lib.resources as lib

deny contains violation if {
	some bucket in lib.resources_of("aws:s3/bucket:Bucket")
	not lib.access_log_destination(bucket)
	not _kms_encrypted(bucket)
	violation := {
		"resource": bucket.urn,
		"message": sprintf("S3 bucket %s must default to SSE-KMS encryption with a customer-managed KMS key", [bucket.name]),
	}
}

_kms_encrypted(bucket) if {
	some configuration in lib.linked("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", bucket)
	some rule in lib.array_at(configuration, ["inputs", "rules"])
	lib.value_at(rule, ["applyServerSideEncryptionByDefault", "sseAlgorithm"]) in {"aws:kms", "aws:kms:dsse"}
	lib.customer_managed_key(lib.value_at(rule, ["applyServerSideEncryptionByDefault", "kmsMasterKeyId"]))
}

# AWS documents SSE-KMS (and DSSE-KMS) default encryption as unsupported on a server access
# logging destination: S3 would not deliver the logs.
deny contains violation if {
	some bucket in lib.resources_of("aws:s3/bucket:Bucket")
	lib.access_log_destination(bucket)
	not _sse_s3(bucket)
	violation := {
		"resource": bucket.urn,
		"message": sprintf("S3 bucket %s receives server access logs and must default to SSE-S3 (AES256): S3 cannot deliver access logs to a bucket encrypted with SSE-KMS", [bucket.name]),
	}
}

_rules(bucket) := [rule |
	some configuration in lib.linked("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", bucket)
	some rule in lib.array_at(configuration, ["inputs", "rules"])
]

_sse_s3(bucket) if {
	count(_rules(bucket)) > 0
	every rule in _rules(bucket) {
		lib.value_at(rule, ["applyServerSideEncryptionByDefault", "sseAlgorithm"]) == "AES256"
	}
}
