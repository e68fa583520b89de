package mlops.encryption.feature_group_online_kms_test

import rego.v1

import data.mlops.encryption.feature_group_online_kms
import data.mlops.lib.fixtures_test as fixtures

test_encrypted_online_store_allowed if {
	count(feature_group_online_kms.deny) == 0 with input as fixtures.stack
}

test_online_store_without_key_denied if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.feature_group, [{"op": "remove", "path": "/inputs/onlineStoreConfig/securityConfig"}])
	feature_group_online_kms.deny == {{
		"resource": fixtures.feature_group,
		"message": "Feature group fraud-detector-features-card-transactions must encrypt its online store with a customer-managed KMS key (onlineStoreConfig.securityConfig.kmsKeyId)",
	}} with input as doc
}

test_disabled_online_store_allowed if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.feature_group, [
		{"op": "replace", "path": "/inputs/onlineStoreConfig", "value": {"enableOnlineStore": false}},
	])
	count(feature_group_online_kms.deny) == 0 with input as doc
}
