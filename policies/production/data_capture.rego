# METADATA
# title: Endpoints capture inference data
# description: Checks whether every endpoint configuration on provisioned instances captures requests and responses to S3 where the environment requires data capture.
# custom:
#   id: endpoint-data-capture
#   severity: medium
#   controls: [SOC2:CC7.2, ISO27001:A.8.15, ISO27001:A.8.16, NIST800-53:AU-12, NIST800-53:SI-4, HIPAA:164.312(b), EU-AI-ACT:Art.12, EU-AI-ACT:Art.72, NIST-AI-RMF:MEASURE-2.4, ISO42001:A.6.2.8]
#   resource_types: [aws:sagemaker/endpointConfiguration:EndpointConfiguration]
#   waivable: true
#   resource_local: true
package mlops.production.data_capture

import rego.v1

import data.mlops.lib.resources as lib

# Serverless-only configurations are exempt: Serverless Inference does not support data capture.
deny contains violation if {
	lib.parameters.require_data_capture == true
	some config in lib.resources_of(lib.endpoint_config_type)
	lib.instance_backed(config)
	not _captures(config)
	violation := {
		"resource": config.urn,
		"message": sprintf("Endpoint configuration %s must capture inference data to S3 (dataCaptureConfig with enableCapture, destinationS3Uri and a sampling percentage above 0)", [config.name]),
	}
}

_captures(config) if {
	capture := lib.object_at(config, ["inputs", "dataCaptureConfig"])
	lib.value_at(capture, ["enableCapture"]) != false
	lib.string_at(capture, ["destinationS3Uri"]) != ""
	lib.number_at(capture, ["initialSamplingPercentage"]) > 0
}
