# METADATA
# title: Feature group offline stores encrypt with a customer-managed KMS key
# description: Checks whether every feature group with an offline store encrypts its S3 data with a customer-managed KMS key.
# custom:
#   id: feature-group-offline-kms-encryption
#   severity: high
#   controls: [SOC2:CC6.1, ISO27001:A.8.24, NIST800-53:SC-28, HIPAA:164.312(a)(2)(iv)]
#   resource_types: [aws:sagemaker/featureGroup:FeatureGroup]
#   waivable: true
#   resource_local: true
package mlops.encryption.feature_group_offline_kms

import rego.v1

import data.mlops.lib.resources as lib

deny contains violation if {
	some group in lib.resources_of("aws:sagemaker/featureGroup:FeatureGroup")
	is_object(lib.value_at(group, ["inputs", "offlineStoreConfig"]))
	not lib.customer_managed_key(lib.value_at(group, ["inputs", "offlineStoreConfig", "s3StorageConfig", "kmsKeyId"]))
	violation := {
		"resource": group.urn,
		"message": sprintf("Feature group %s must encrypt its offline store with a customer-managed KMS key (offlineStoreConfig.s3StorageConfig.kmsKeyId)", [group.name]),
	}
}
