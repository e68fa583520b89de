package mlops.production.data_capture_test

import rego.v1

import data.mlops.lib.fixtures_test as fixtures
import data.mlops.production.data_capture

_denied := {{
	"resource": fixtures.endpoint_config,
	"message": "Endpoint configuration fraud-detector-serving-config must capture inference data to S3 (dataCaptureConfig with enableCapture, destinationS3Uri and a sampling percentage above 0)",
}}

# The serverless ticket-router configuration captures nothing: Serverless Inference cannot.
test_capture_allowed if {
	count(data_capture.deny) == 0 with input as fixtures.stack
}

test_capture_disabled_denied if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.endpoint_config, {"dataCaptureConfig": {"enableCapture": false}})
	data_capture.deny == _denied with input as doc
}

test_missing_capture_config_denied if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.endpoint_config, [{"op": "remove", "path": "/inputs/dataCaptureConfig"}])
	data_capture.deny == _denied with input as doc
}

test_zero_sampling_denied if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.endpoint_config, {"dataCaptureConfig": {"initialSamplingPercentage": 0}})
	data_capture.deny == _denied with input as doc
}

test_no_capture_in_dev_allowed if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.endpoint_config, [{"op": "remove", "path": "/inputs/dataCaptureConfig"}])
	dev := fixtures.in_environment(doc, "dev")
	count(data_capture.deny) == 0 with input as dev
}

_denied_config := {{
	"resource": fixtures.endpoint_config,
	"message": "Endpoint configuration fraud-detector-serving-config must capture inference data to S3 (dataCaptureConfig with enableCapture, destinationS3Uri and a sampling percentage above 0)",
}}

test_capture_without_destination_denied if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.endpoint_config, [{"op": "remove", "path": "/inputs/dataCaptureConfig/destinationS3Uri"}])
	data_capture.deny == _denied_config with input as doc
}

# One percent is above 0.
test_one_percent_sampling_allowed if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.endpoint_config, {"dataCaptureConfig": {"initialSamplingPercentage": 1}})
	count(data_capture.deny) == 0 with input as doc
}
