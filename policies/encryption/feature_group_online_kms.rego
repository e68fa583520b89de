# METADATA
# title: Feature group online stores encrypt with a customer-managed KMS key
# description: Checks whether every feature group with an online store encrypts it with a customer-managed KMS key.
# custom:
#   id: feature-group-online-kms-encryption
#   severity: high
#   controls: [SOC2:CC6.1, ISO27001:A.8.24, NIST800-53:SC-28, HIPAA:164.312(a)(2)(iv)]
#   resource_types: [aws:sagemaker/featureGroup:FeatureGroup]
#   waivable: true
#   resource_local: true
package mlops.encryption.feature_group_online_kms

import rego.v1

import data.mlops.lib.resources as lib

deny contains violation if {
	some group in lib.resources_of("aws:sagemaker/featureGroup:FeatureGroup")
	lib.true_at(group, ["inputs", "onlineStoreConfig", "enableOnlineStore"])
	not lib.customer_managed_key(lib.value_at(group, ["inputs", "onlineStoreConfig", "securityConfig", "kmsKeyId"]))
	violation := {
		"resource": group.urn,
		"message": sprintf("Feature group %s must encrypt its online store with a customer-managed KMS key (onlineStoreConfig.securityConfig.kmsKeyId)", [group.name]),
	}
}
