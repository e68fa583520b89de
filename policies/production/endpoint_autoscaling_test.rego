package mlops.production.endpoint_autoscaling_test

import rego.v1

import data.mlops.lib.fixtures_test as fixtures
import data.mlops.production.endpoint_autoscaling

_denied := {{
	"resource": fixtures.endpoint,
	"message": "Endpoint fraud-detector-serving-endpoint must have an Application Auto Scaling target for variant primary",
}}

# The serverless ticket-router endpoint has no target: SageMaker scales it itself.
test_scaling_target_allowed if {
	count(endpoint_autoscaling.deny) == 0 with input as fixtures.stack
}

test_missing_target_denied if {
	doc := fixtures.without(fixtures.stack, fixtures.scaling_target)
	endpoint_autoscaling.deny == _denied with input as doc
}

test_target_of_other_variant_denied if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.scaling_target, {"resourceId": "endpoint/acme-prod-fraud-detector/variant/shadow"})
	endpoint_autoscaling.deny == _denied with input as doc
}

test_missing_target_in_staging_allowed if {
	doc := fixtures.in_environment(fixtures.without(fixtures.stack, fixtures.scaling_target), "staging")
	count(endpoint_autoscaling.deny) == 0 with input as doc
}
