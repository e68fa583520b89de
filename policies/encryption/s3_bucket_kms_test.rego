package mlops.encryption.s3_bucket_kms_test

import rego.v1

import data.mlops.encryption.s3_bucket_kms
import data.mlops.lib.fixtures_test as fixtures

_denied := {{
	"resource": fixtures.bucket,
	"message": "S3 bucket platform-artifacts must default to SSE-KMS encryption with a customer-managed KMS key",
}}

test_sse_kms_allowed if {
	count(s3_bucket_kms.deny) == 0 with input as fixtures.stack
}

test_aes256_denied if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.bucket_encryption, {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]})
	s3_bucket_kms.deny == _denied with input as doc
}

test_aws_managed_key_denied if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.bucket_encryption, {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": "alias/aws/s3"}}]})
	s3_bucket_kms.deny == _denied with input as doc
}

test_missing_encryption_configuration_denied if {
	doc := fixtures.without(fixtures.stack, fixtures.bucket_encryption)
	s3_bucket_kms.deny == _denied with input as doc
}

test_configuration_of_another_bucket_denied if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.bucket_encryption, {})
	unlinked := fixtures.patch_resource(doc, fixtures.bucket_encryption, [{"op": "replace", "path": "/dependencies", "value": [fixtures.key]}])
	s3_bucket_kms.deny == _denied with input as unlinked
}

_log_bucket_denied := {{
	"resource": fixtures.log_bucket,
	"message": "S3 bucket platform-access-logs receives server access logs and must default to SSE-S3 (AES256): S3 cannot deliver access logs to a bucket encrypted with SSE-KMS",
}}

test_log_bucket_with_sse_kms_denied if {
	rules := [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": fixtures.key_arn}}]
	doc := fixtures.with_inputs(fixtures.stack, fixtures.log_bucket_encryption, {"rules": rules})
	s3_bucket_kms.deny == _log_bucket_denied with input as doc
}

test_log_bucket_without_encryption_configuration_denied if {
	doc := fixtures.without(fixtures.stack, fixtures.log_bucket_encryption)
	s3_bucket_kms.deny == _log_bucket_denied with input as doc
}

# Without its log delivery grant the bucket is an ordinary one, held to SSE-KMS.
test_bucket_without_log_delivery_grant_needs_sse_kms_denied if {
	tls_only := fixtures.log_bucket_policy_document.Statement[0]
	doc := fixtures.with_inputs(fixtures.stack, fixtures.log_bucket_policy, {"policy": json.marshal({"Version": "2012-10-17", "Statement": [tls_only]})})
	s3_bucket_kms.deny == {{
		"resource": fixtures.log_bucket,
		"message": "S3 bucket platform-access-logs must default to SSE-KMS encryption with a customer-managed KMS key",
	}} with input as doc
}

# A customer key named beside another algorithm is not SSE-KMS.
test_aes256_with_a_key_denied if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.bucket_encryption, {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256", "kmsMasterKeyId": fixtures.key_arn}}]})
	s3_bucket_kms.deny == _denied with input as doc
}
