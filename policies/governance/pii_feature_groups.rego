# METADATA
# title: Feature groups holding PII are encrypted online and offline
# description: Checks whether every feature group tagged contains-pii keeps an offline store encrypted with a customer-managed KMS key and encrypts any online store with one.
# custom:
#   id: pii-feature-group-encryption
#   severity: critical
#   controls: [SOC2:C1.1, SOC2:CC6.1, ISO27001:A.5.34, ISO27001:A.8.24, NIST800-53:SC-28(1), HIPAA:164.312(a)(2)(iv)]
#   resource_types: [aws:sagemaker/featureGroup:FeatureGroup]
#   waivable: false
#   resource_local: true
package mlops.governance.pii_feature_groups

import rego.v1

import data.mlops.lib.resources as lib

deny contains violation if {
	some group in _pii_groups
	lib.true_at(group, ["inputs", "onlineStoreConfig", "enableOnlineStore"])
	not lib.customer_managed_key(lib.value_at(group, ["inputs", "onlineStoreConfig", "securityConfig", "kmsKeyId"]))
	violation := {
		"resource": group.urn,
		"message": sprintf("Feature group %s holds PII and must not have an online store without a customer-managed KMS key", [group.name]),
	}
}

deny contains violation if {
	some group in _pii_groups
	not lib.customer_managed_key(lib.value_at(group, ["inputs", "offlineStoreConfig", "s3StorageConfig", "kmsKeyId"]))
	violation := {
		"resource": group.urn,
		"message": sprintf("Feature group %s holds PII and must have an offline store encrypted with a customer-managed KMS key", [group.name]),
	}
}

_pii_groups := [group |
	some group in lib.resources_of("aws:sagemaker/featureGroup:FeatureGroup")
	lower(lib.string_at(lib.tags(group), ["contains-pii"])) == "true"
]
