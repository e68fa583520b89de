package mlops.encryption.inter_container_encryption_test

import rego.v1

import data.mlops.encryption.inter_container_encryption
import data.mlops.lib.fixtures_test as fixtures

test_encrypted_traffic_allowed if {
	count(inter_container_encryption.deny) == 0 with input as fixtures.stack
}

test_training_without_encryption_denied if {
	definition := json.patch(fixtures.pipeline_definition, [{"op": "replace", "path": "/Steps/1/Arguments/EnableInterContainerTrafficEncryption", "value": false}])
	doc := fixtures.with_pipeline(fixtures.stack, definition)
	inter_container_encryption.deny == {{
		"resource": fixtures.pipeline,
		"message": "Pipeline fraud-detector-training-pipeline step Train must enable inter-container traffic encryption",
	}} with input as doc
}

test_processing_without_network_config_denied if {
	definition := json.patch(fixtures.pipeline_definition, [{"op": "remove", "path": "/Steps/0/Arguments/NetworkConfig"}])
	doc := fixtures.with_pipeline(fixtures.stack, definition)
	inter_container_encryption.deny == {{
		"resource": fixtures.pipeline,
		"message": "Pipeline fraud-detector-training-pipeline step Prepare must enable inter-container traffic encryption",
	}} with input as doc
}

test_monitoring_without_network_config_denied if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.model_quality_job, [{"op": "remove", "path": "/inputs/networkConfig"}])
	inter_container_encryption.deny == {{
		"resource": fixtures.model_quality_job,
		"message": "Monitoring job definition fraud-detector-monitoring-model-quality must enable inter-container traffic encryption (networkConfig.enableInterContainerTrafficEncryption)",
	}} with input as doc
}
