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

_variant(name) := {"variantName": name, "modelName": "fraud-detector-serving-model", "instanceType": "ml.c5.2xlarge", "initialInstanceCount": 3}

_target(variant) := fixtures.resource("aws:appautoscaling/target:Target", sprintf("fraud-detector-serving-%s-scaling-target", [variant]), "fraud-detector", [fixtures.endpoint], {
	"resourceId": sprintf("endpoint/acme-prod-fraud-detector/variant/%s", [variant]),
	"scalableDimension": "sagemaker:variant:DesiredInstanceCount",
	"serviceNamespace": "sagemaker",
	"minCapacity": 3,
	"maxCapacity": 12,
})

# The fixture's endpoint with a shadow variant: the shadow runs on instances too, so it scales too.
_shadowed := fixtures.with_inputs(fixtures.stack, fixtures.endpoint_config, {"shadowProductionVariants": [_variant("shadow")]})

test_shadow_without_target_denied if {
	doc := _shadowed
	endpoint_autoscaling.deny == {{
		"resource": fixtures.endpoint,
		"message": "Endpoint fraud-detector-serving-endpoint must have an Application Auto Scaling target for variant shadow",
	}} with input as doc
}

test_shadow_with_its_target_allowed if {
	doc := fixtures.with_resources(_shadowed, [_target("shadow")])
	count(endpoint_autoscaling.deny) == 0 with input as doc
}

# An A/B test: every production variant needs its own target.
test_challenger_without_target_denied if {
	ab := fixtures.with_inputs(fixtures.stack, fixtures.endpoint_config, {"productionVariants": [_variant("champion"), _variant("challenger")]})
	doc := fixtures.with_resources(fixtures.without(ab, fixtures.scaling_target), [_target("champion")])
	endpoint_autoscaling.deny == {{
		"resource": fixtures.endpoint,
		"message": "Endpoint fraud-detector-serving-endpoint must have an Application Auto Scaling target for variant challenger",
	}} with input as doc
}
