package mlops.encryption.endpoint_output_kms_test

import rego.v1

import data.mlops.encryption.endpoint_output_kms
import data.mlops.lib.fixtures_test as fixtures

test_encrypted_capture_allowed if {
	count(endpoint_output_kms.deny) == 0 with input as fixtures.stack
}

test_capture_without_key_denied if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.endpoint_config, [{"op": "remove", "path": "/inputs/dataCaptureConfig/kmsKeyId"}])
	endpoint_output_kms.deny == {{
		"resource": fixtures.endpoint_config,
		"message": "Endpoint configuration fraud-detector-serving-config must encrypt captured data with a customer-managed KMS key (dataCaptureConfig.kmsKeyId)",
	}} with input as doc
}

test_disabled_capture_without_key_allowed if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.endpoint_config, [
		{"op": "remove", "path": "/inputs/dataCaptureConfig/kmsKeyId"},
		{"op": "replace", "path": "/inputs/dataCaptureConfig/enableCapture", "value": false},
	])
	count(endpoint_output_kms.deny) == 0 with input as doc
}

test_async_output_without_key_denied if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.endpoint_config, {"asyncInferenceConfig": {"outputConfig": {"s3OutputPath": "s3://acme-prod-artifacts-x/fraud-detector/async"}}})
	endpoint_output_kms.deny == {{
		"resource": fixtures.endpoint_config,
		"message": "Endpoint configuration fraud-detector-serving-config must encrypt asynchronous inference results with a customer-managed KMS key (asyncInferenceConfig.outputConfig.kmsKeyId)",
	}} with input as doc
}

test_async_output_with_key_allowed if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.endpoint_config, {"asyncInferenceConfig": {"outputConfig": {"kmsKeyId": fixtures.key_arn}}})
	count(endpoint_output_kms.deny) == 0 with input as doc
}
