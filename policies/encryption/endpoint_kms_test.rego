package mlops.encryption.endpoint_kms_test

import rego.v1

import data.mlops.encryption.endpoint_kms
import data.mlops.lib.fixtures_test as fixtures

_denied := {{
	"resource": fixtures.endpoint_config,
	"message": "Endpoint configuration fraud-detector-serving-config must set kmsKeyArn to a customer-managed KMS key",
}}

test_customer_managed_key_allowed if {
	count(endpoint_kms.deny) == 0 with input as fixtures.stack
}

test_missing_key_denied if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.endpoint_config, [{"op": "remove", "path": "/inputs/kmsKeyArn"}])
	endpoint_kms.deny == _denied with input as doc
}

test_empty_key_denied if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.endpoint_config, {"kmsKeyArn": " "})
	endpoint_kms.deny == _denied with input as doc
}

test_aws_managed_alias_denied if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.endpoint_config, {"kmsKeyArn": "alias/aws/sagemaker"})
	endpoint_kms.deny == _denied with input as doc
}

test_aws_managed_alias_arn_denied if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.endpoint_config, {"kmsKeyArn": "arn:aws:kms:eu-west-1:123456789012:alias/aws/sagemaker"})
	endpoint_kms.deny == _denied with input as doc
}

test_instance_storage_variant_without_key_allowed if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.endpoint_config, [
		{"op": "remove", "path": "/inputs/kmsKeyArn"},
		{"op": "replace", "path": "/inputs/productionVariants/0/instanceType", "value": "ml.g5.xlarge"},
	])
	count(endpoint_kms.deny) == 0 with input as doc
}

test_serverless_config_without_key_allowed if {
	doc := fixtures.without(fixtures.stack, fixtures.endpoint_config)
	count(endpoint_kms.deny) == 0 with input as doc
}
