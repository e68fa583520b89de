package mlops.cost.instance_budget_test

import rego.v1

import data.mlops.cost.instance_budget
import data.mlops.lib.fixtures_test as fixtures

# fraud-detector scales up to 12 instances; the serverless ticket-router counts none.
test_within_budget_allowed if {
	count(instance_budget.deny) == 0 with input as fixtures.stack
}

test_scaling_maximum_over_budget_denied if {
	doc := fixtures.stack
	instance_budget.deny == {{
		"resource": fixtures.endpoint_config,
		"message": "Endpoint configuration fraud-detector-serving-config can run 12 instances; the stack's endpoints together must not exceed 10 in prod (found 12)",
	}} with input as doc
		with data.parameters.prod.max_total_instances as 10
}

test_initial_count_counts_without_scaling_target_denied if {
	doc := fixtures.without(fixtures.stack, fixtures.scaling_target)
	instance_budget.deny == {{
		"resource": fixtures.endpoint_config,
		"message": "Endpoint configuration fraud-detector-serving-config can run 3 instances; the stack's endpoints together must not exceed 2 in prod (found 3)",
	}} with input as doc
		with data.parameters.prod.max_total_instances as 2
}

test_total_over_several_endpoints_denied if {
	extra := fixtures.resource("aws:sagemaker/endpointConfiguration:EndpointConfiguration", "ticket-router-batch-config", "ticket-router", [fixtures.serverless_model], {"productionVariants": [{"variantName": "primary", "instanceType": "ml.m5.large", "initialInstanceCount": 13}]})
	doc := fixtures.with_resources(fixtures.stack, [extra])
	instance_budget.deny == {
		{
			"resource": fixtures.endpoint_config,
			"message": "Endpoint configuration fraud-detector-serving-config can run 12 instances; the stack's endpoints together must not exceed 24 in prod (found 25)",
		},
		{
			"resource": fixtures.urn("aws:sagemaker/endpointConfiguration:EndpointConfiguration", "ticket-router-batch-config"),
			"message": "Endpoint configuration ticket-router-batch-config can run 13 instances; the stack's endpoints together must not exceed 24 in prod (found 25)",
		},
	} with input as doc
}

# Exactly at the budget is within it.
test_total_at_budget_allowed if {
	count(instance_budget.deny) == 0 with input as fixtures.stack with data.parameters.prod.max_total_instances as 12
}

# A configuration of a single instance is reported too; the serverless one (no instances) is not.
test_single_instance_configuration_reported if {
	extra := fixtures.resource("aws:sagemaker/endpointConfiguration:EndpointConfiguration", "ticket-router-batch-config", "ticket-router", [fixtures.serverless_model], {"productionVariants": [{"variantName": "primary", "instanceType": "ml.m5.large", "initialInstanceCount": 1}]})
	doc := fixtures.with_resources(fixtures.stack, [extra])
	instance_budget.deny == {
		{
			"resource": fixtures.endpoint_config,
			"message": "Endpoint configuration fraud-detector-serving-config can run 12 instances; the stack's endpoints together must not exceed 12 in prod (found 13)",
		},
		{
			"resource": fixtures.urn("aws:sagemaker/endpointConfiguration:EndpointConfiguration", "ticket-router-batch-config"),
			"message": "Endpoint configuration ticket-router-batch-config can run 1 instances; the stack's endpoints together must not exceed 12 in prod (found 13)",
		},
	} with input as doc
		with data.parameters.prod.max_total_instances as 12
}
