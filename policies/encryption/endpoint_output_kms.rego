# METADATA
# title: Captured and asynchronous inference data is encrypted with a customer-managed KMS key
# description: Checks whether endpoint configurations encrypt captured request and response data and asynchronous inference results with a customer-managed KMS key.
# custom:
#   id: endpoint-output-kms-encryption
#   severity: high
#   controls: [SOC2:CC6.1, ISO27001:A.8.24, NIST800-53:SC-28(1), HIPAA:164.312(a)(2)(iv)]
#   resource_types: [aws:sagemaker/endpointConfiguration:EndpointConfiguration]
#   waivable: true
#   resource_local: true
package mlops.encryption.endpoint_output_kms

import rego.v1

import data.mlops.lib.resources as lib

# SageMaker captures data whenever dataCaptureConfig is present, unless enableCapture is false.
deny contains violation if {
	some config in lib.resources_of(lib.endpoint_config_type)
	capture := lib.value_at(config, ["inputs", "dataCaptureConfig"])
	is_object(capture)
	lib.value_at(capture, ["enableCapture"]) != false
	not lib.customer_managed_key(lib.value_at(capture, ["kmsKeyId"]))
	violation := {
		"resource": config.urn,
		"message": sprintf("Endpoint configuration %s must encrypt captured data with a customer-managed KMS key (dataCaptureConfig.kmsKeyId)", [config.name]),
	}
}

deny contains violation if {
	some config in lib.resources_of(lib.endpoint_config_type)
	is_object(lib.value_at(config, ["inputs", "asyncInferenceConfig"]))
	not lib.customer_managed_key(lib.value_at(config, ["inputs", "asyncInferenceConfig", "outputConfig", "kmsKeyId"]))
	violation := {
		"resource": config.urn,
		"message": sprintf("Endpoint configuration %s must encrypt asynchronous inference results with a customer-managed KMS key (asyncInferenceConfig.outputConfig.kmsKeyId)", [config.name]),
	}
}
