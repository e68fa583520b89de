# METADATA
# title: Endpoint configurations encrypt with a customer-managed KMS key
# description: Checks whether every SageMaker endpoint configuration on provisioned instances sets kmsKeyArn to a customer-managed KMS key.
# custom:
#   id: endpoint-kms-encryption
#   severity: high
#   controls: [SOC2:CC6.1, ISO27001:A.8.24, NIST800-53:SC-28, HIPAA:164.312(a)(2)(iv)]
#   resource_types: [aws:sagemaker/endpointConfiguration:EndpointConfiguration]
#   waivable: true
#   resource_local: true
package mlops.encryption.endpoint_kms

import rego.v1

import data.mlops.lib.resources as lib

# kmsKeyArn encrypts the ML storage volumes of provisioned instances. Serverless variants have
# no such volume and SageMaker rejects the key for them. Instance types with local NVMe storage
# are encrypted in hardware, and CreateEndpointConfig fails if any variant uses one while a key
# is set, so a configuration with such a variant is exempt as a whole.
deny contains violation if {
	some config in lib.resources_of(lib.endpoint_config_type)
	_needs_key(config)
	not lib.customer_managed_key(lib.value_at(config, ["inputs", "kmsKeyArn"]))
	violation := {
		"resource": config.urn,
		"message": sprintf("Endpoint configuration %s must set kmsKeyArn to a customer-managed KMS key", [config.name]),
	}
}

_needs_key(config) if {
	variants := lib.instance_variants(config)
	count(variants) > 0
	every variant in variants {
		not lib.instance_storage(variant.instanceType)
	}
}
