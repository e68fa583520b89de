# METADATA
# title: KMS keys rotate automatically
# description: Checks whether every symmetric encryption KMS key enables automatic key rotation.
# custom:
#   id: kms-key-rotation
#   severity: medium
#   controls: [SOC2:CC6.1, ISO27001:A.8.24, NIST800-53:SC-12, HIPAA:164.312(a)(2)(iv)]
#   resource_types: [aws:kms/key:Key]
#   waivable: true
#   resource_local: true
package mlops.encryption.kms_key_rotation

import rego.v1

import data.mlops.lib.resources as lib

deny contains violation if {
	some key in lib.resources_of("aws:kms/key:Key")
	_symmetric(key)
	not lib.true_at(key, ["inputs", "enableKeyRotation"])
	violation := {
		"resource": key.urn,
		"message": sprintf("KMS key %s must enable automatic key rotation (enableKeyRotation)", [key.name]),
	}
}

# AWS rotates only symmetric encryption keys; asymmetric and HMAC keys cannot enable rotation.
_symmetric(key) if {
	spec := lib.value_at(key, ["inputs", "customerMasterKeySpec"])
	spec in {null, "SYMMETRIC_DEFAULT"}
}
