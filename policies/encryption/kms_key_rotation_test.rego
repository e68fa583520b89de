package mlops.encryption.kms_key_rotation_test

import rego.v1

import data.mlops.encryption.kms_key_rotation
import data.mlops.lib.fixtures_test as fixtures

_denied := {{
	"resource": fixtures.key,
	"message": "KMS key platform-key must enable automatic key rotation (enableKeyRotation)",
}}

test_rotating_key_allowed if {
	count(kms_key_rotation.deny) == 0 with input as fixtures.stack
}

test_rotation_disabled_denied if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.key, {"enableKeyRotation": false})
	kms_key_rotation.deny == _denied with input as doc
}

test_rotation_unset_denied if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.key, [{"op": "remove", "path": "/inputs/enableKeyRotation"}])
	kms_key_rotation.deny == _denied with input as doc
}

test_asymmetric_key_allowed if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.key, {"enableKeyRotation": false, "customerMasterKeySpec": "RSA_2048"})
	count(kms_key_rotation.deny) == 0 with input as doc
}
