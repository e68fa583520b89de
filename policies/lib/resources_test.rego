package mlops.lib.resources_test

import rego.v1

import data.mlops.lib.fixtures_test as fixtures
import data.mlops.lib.resources as lib

_resource(doc, urn) := r if {
	some r in doc.resources
	r.urn == urn
}

_serverless(doc, urn) if lib.serverless_model(_resource(doc, urn)) with input as doc

test_model_only_serverless_variants_serve_is_serverless if {
	_serverless(fixtures.stack, fixtures.serverless_model)
}

test_model_on_instances_is_not_serverless if {
	not _serverless(fixtures.stack, fixtures.model)
}

test_model_without_endpoint_configuration_is_not_serverless if {
	doc := fixtures.without(fixtures.stack, fixtures.serverless_config)
	not _serverless(doc, fixtures.serverless_model)
}

test_model_whose_configuration_has_no_variants_is_not_serverless if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.serverless_config, [{"op": "remove", "path": "/inputs/productionVariants"}])
	not _serverless(doc, fixtures.serverless_model)
}

test_model_also_served_on_instances_is_not_serverless if {
	extra := fixtures.resource(lib.endpoint_config_type, "ticket-router-batch-config", "ticket-router", [fixtures.serverless_model], {"productionVariants": [{"variantName": "primary", "instanceType": "ml.m5.large", "initialInstanceCount": 1}]})
	doc := fixtures.with_resources(fixtures.stack, [extra])
	not _serverless(doc, fixtures.serverless_model)
}

test_serverless_shadow_variant_counts if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.serverless_config, [{"op": "move", "from": "/inputs/productionVariants", "path": "/inputs/shadowProductionVariants"}])
	_serverless(doc, fixtures.serverless_model)
}

# An environment that is not a name gets prod's parameters, the strictest: never another
# environment's through object.get's path form.
test_environment_not_a_name_gets_prod_parameters if {
	lib.parameters == data.parameters.prod with input as {"environment": ["dev"]}
	lib.parameters == data.parameters.dev with input as {"environment": "dev"}
}

# The typed accessors tolerate values that are not objects.
test_accessors_tolerate_non_objects if {
	lib.array_at("text", ["inputs"]) == []
	lib.string_at(["a"], ["inputs"]) == ""
	lib.number_at(null, "inputs") == 0
	lib.object_at(7, ["inputs"]) == {}
}

test_instance_storage_tolerates_non_strings if {
	not lib.instance_storage(null)
	not lib.instance_storage(["ml.m5d.large"])
}

# Without its component, findings about a model land on the first of its resources by URN.
test_model_urn_without_component_is_first_resource if {
	# Bound first: regorus leaves `model_urn(...) == x with input as doc` undefined.
	component := lib.model_urn("ticket-router") with input as fixtures.stack
	component == fixtures.ticket_router
	doc := fixtures.without(fixtures.stack, fixtures.ticket_router)
	first := lib.model_urn("ticket-router") with input as doc
	first == fixtures.serverless_alarm
}

# An endpoint is served by a configuration it depends on, or one it names.
test_endpoint_configuration_matched_by_name if {
	unlinked := fixtures.patch_resource(fixtures.stack, fixtures.endpoint, [{"op": "replace", "path": "/dependencies", "value": []}])
	named := fixtures.with_inputs(unlinked, fixtures.endpoint_config, {"name": "fraud-detector-serving-config"})
	[c.urn | some c in lib.endpoint_configs(_resource(named, fixtures.endpoint))] == [fixtures.endpoint_config] with input as named
	other := fixtures.with_inputs(unlinked, fixtures.endpoint_config, {"name": "fraud-detector-other-config"})
	lib.endpoint_configs(_resource(other, fixtures.endpoint)) == [] with input as other
}

# Only the objects listed as steps (in Steps, IfSteps or ElseSteps) are steps, whatever else
# the definition nests; a definition that does not parse has none.
test_pipeline_steps_are_the_listed_step_objects if {
	definition := json.patch(fixtures.pipeline_definition, [{"op": "add", "path": "/Steps/-", "value": "not a step"}])
	doc := fixtures.with_pipeline(fixtures.stack, definition)
	steps := lib.pipeline_steps(_resource(doc, fixtures.pipeline)) with input as doc
	sort([step.Name | some step in steps]) == ["BelowThreshold", "CheckThreshold", "Prepare", "Register", "Train"]
	count(steps) == 5
	broken := fixtures.with_inputs(fixtures.stack, fixtures.pipeline, {"pipelineDefinition": "{not json"})
	lib.pipeline_steps(_resource(broken, fixtures.pipeline)) == [] with input as broken
}

# Policy documents given as JSON text or as an object; text that does not parse has no statements.
test_policy_statements_of_text_objects_and_garbage if {
	statement := {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
	lib.policy_statements(json.marshal({"Statement": [statement]})) == [statement]
	lib.policy_statements({"Statement": statement}) == [statement]
	lib.policy_statements("{not json") == []
}

# Actions and resources are always arrays of strings: other items are left out.
test_allow_statements_keep_string_items_only if {
	policy := json.marshal({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", 7], "Resource": [null, "arn:aws:s3:::x/*"]}]})
	doc := fixtures.with_inputs(fixtures.stack, fixtures.role_policy, {"policy": policy})
	statements := [s | some s in lib.allow_statements; s.urn == fixtures.role_policy] with input as doc
	[[s.actions, s.resources] | some s in statements] == [[["s3:GetObject"], ["arn:aws:s3:::x/*"]]]
}

# serving_model: where a registry finding on a model's pinned package points.
_challenger := fixtures.resource(
	"aws:sagemaker/model:Model", "fraud-detector-serving-challenger-model", "fraud-detector", [],
	{"primaryContainer": {"modelPackageName": "arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-fraud-detector/18"}},
)

# The challenger's URN sorts first; the model serving the pinned version 14 is the one meant.
test_serving_model_is_the_one_serving_the_pinned_package if {
	doc := fixtures.with_resources(fixtures.stack, [_challenger])
	lib.serving_model("fraud-detector") == fixtures.model with input as doc
}

test_serving_model_falls_back_to_the_first_model if {
	doc := fixtures.with_resources(fixtures.without(fixtures.stack, fixtures.model), [_challenger])
	lib.serving_model("fraud-detector") == _challenger.urn with input as doc
}

test_serving_model_of_an_unpinned_model_is_its_first_model if {
	unpinned := json.patch(fixtures.stack, [{"op": "remove", "path": "/models/0/spec/registry/pinned_version"}])
	doc := fixtures.with_resources(unpinned, [_challenger])
	lib.serving_model("fraud-detector") == _challenger.urn with input as doc
}

test_serving_model_without_models_is_the_component if {
	doc := fixtures.without(fixtures.stack, fixtures.model)
	lib.serving_model("fraud-detector") == fixtures.fraud_detector with input as doc
}

test_pinned_version_is_a_number_or_undefined if {
	text := json.patch(fixtures.stack, [{"op": "replace", "path": "/models/0/spec/registry/pinned_version", "value": "14"}])
	lib.pinned_version("fraud-detector") == 14 with input as fixtures.stack
	not lib.pinned_version("fraud-detector") with input as text
	not lib.pinned_version("churn-predictor") with input as fixtures.stack
}
