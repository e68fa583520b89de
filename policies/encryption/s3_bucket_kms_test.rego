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
