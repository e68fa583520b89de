package mlops.production.endpoint_min_instances_test

import rego.v1

import data.mlops.lib.fixtures_test as fixtures
import data.mlops.production.endpoint_min_instances

# The serverless ticket-router configuration has no instances and is exempt.
test_enough_instances_allowed if {
	count(endpoint_min_instances.deny) == 0 with input as fixtures.stack
}

test_single_instance_in_prod_denied if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.endpoint_config, [{"op": "replace", "path": "/inputs/productionVariants/0/initialInstanceCount", "value": 1}])
	endpoint_min_instances.deny == {{
		"resource": fixtures.endpoint_config,
		"message": "Endpoint configuration fraud-detector-serving-config variant primary must start at least 2 instances (found 1)",
	}} with input as doc
}

test_missing_instance_count_denied if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.endpoint_config, [{"op": "remove", "path": "/inputs/productionVariants/0/initialInstanceCount"}])
	endpoint_min_instances.deny == {{
		"resource": fixtures.endpoint_config,
		"message": "Endpoint configuration fraud-detector-serving-config variant primary must start at least 2 instances (found 0)",
	}} with input as doc
}

test_scaling_below_minimum_denied if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.scaling_target, {"minCapacity": 1})
	endpoint_min_instances.deny == {{
		"resource": fixtures.scaling_target,
		"message": "Auto scaling target fraud-detector-serving-scaling-target must keep minCapacity at 2 or more (found 1)",
	}} with input as doc
}

test_single_instance_in_dev_allowed if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.endpoint_config, [{"op": "replace", "path": "/inputs/productionVariants/0/initialInstanceCount", "value": 1}])
	dev := fixtures.in_environment(doc, "dev")
	count(endpoint_min_instances.deny) == 0 with input as dev
}

# Exactly the minimum is enough.
test_scaling_at_minimum_allowed if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.scaling_target, {"minCapacity": data.parameters.prod.min_endpoint_instances})
	count(endpoint_min_instances.deny) == 0 with input as doc
}
