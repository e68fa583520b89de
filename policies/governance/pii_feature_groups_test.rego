package mlops.governance.pii_feature_groups_test

import rego.v1

import data.mlops.governance.pii_feature_groups
import data.mlops.lib.fixtures_test as fixtures

test_encrypted_pii_group_allowed if {
	count(pii_feature_groups.deny) == 0 with input as fixtures.stack
}

test_online_store_without_key_denied if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.feature_group, [{"op": "remove", "path": "/inputs/onlineStoreConfig/securityConfig"}])
	pii_feature_groups.deny == {{
		"resource": fixtures.feature_group,
		"message": "Feature group fraud-detector-features-card-transactions holds PII and must not have an online store without a customer-managed KMS key",
	}} with input as doc
}

test_missing_offline_store_denied if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.feature_group, [{"op": "remove", "path": "/inputs/offlineStoreConfig"}])
	pii_feature_groups.deny == {{
		"resource": fixtures.feature_group,
		"message": "Feature group fraud-detector-features-card-transactions holds PII and must have an offline store encrypted with a customer-managed KMS key",
	}} with input as doc
}

test_group_without_pii_allowed if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.feature_group, [
		{"op": "remove", "path": "/inputs/offlineStoreConfig"},
		{"op": "replace", "path": "/tags/contains-pii", "value": "false"},
	])
	count(pii_feature_groups.deny) == 0 with input as doc
}

# Without an online store there is nothing online to encrypt.
test_online_store_disabled_without_key_allowed if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.feature_group, [
		{"op": "remove", "path": "/inputs/onlineStoreConfig/securityConfig"},
		{"op": "replace", "path": "/inputs/onlineStoreConfig/enableOnlineStore", "value": false},
	])
	count(pii_feature_groups.deny) == 0 with input as doc
}
