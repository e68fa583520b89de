package mlops.encryption.sns_topic_kms_test

import rego.v1

import data.mlops.encryption.sns_topic_kms
import data.mlops.lib.fixtures_test as fixtures

_denied := {{
	"resource": fixtures.topic,
	"message": "SNS topic platform-alerts must encrypt messages with a customer-managed KMS key (kmsMasterKeyId)",
}}

test_encrypted_topic_allowed if {
	count(sns_topic_kms.deny) == 0 with input as fixtures.stack
}

test_unencrypted_topic_denied if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.topic, [{"op": "remove", "path": "/inputs/kmsMasterKeyId"}])
	sns_topic_kms.deny == _denied with input as doc
}

test_aws_managed_key_denied if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.topic, {"kmsMasterKeyId": "alias/aws/sns"})
	sns_topic_kms.deny == _denied with input as doc
}
