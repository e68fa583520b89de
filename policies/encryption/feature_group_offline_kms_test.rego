package mlops.encryption.feature_group_offline_kms_test

import rego.v1

import data.mlops.encryption.feature_group_offline_kms
import data.mlops.lib.fixtures_test as fixtures

test_encrypted_offline_store_allowed if {
	count(feature_group_offline_kms.deny) == 0 with input as fixtures.stack
}

test_offline_store_with_aws_managed_key_denied if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.feature_group, {"offlineStoreConfig": {"s3StorageConfig": {"kmsKeyId": "alias/aws/s3"}}})
	feature_group_offline_kms.deny == {{
		"resource": fixtures.feature_group,
		"message": "Feature group fraud-detector-features-card-transactions must encrypt its offline store with a customer-managed KMS key (offlineStoreConfig.s3StorageConfig.kmsKeyId)",
	}} with input as doc
}

test_no_offline_store_allowed if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.feature_group, [{"op": "remove", "path": "/inputs/offlineStoreConfig"}])
	count(feature_group_offline_kms.deny) == 0 with input as doc
}
