package mlops.governance.evaluation_gate_test

import rego.v1

import data.mlops.governance.evaluation_gate
import data.mlops.lib.fixtures_test as fixtures

_register := fixtures.pipeline_definition.Steps[2].Arguments.IfSteps[0]

_condition := fixtures.pipeline_definition.Steps[2]

_with_steps(steps) := fixtures.with_pipeline(fixtures.stack, object.union(fixtures.pipeline_definition, {"Steps": steps}))

_ungated := {{
	"resource": fixtures.pipeline,
	"message": "Pipeline fraud-detector-training-pipeline must register models only in the IfSteps of a Condition step on an evaluation metric; step Register is not",
}}

test_registration_behind_condition_allowed if {
	count(evaluation_gate.deny) == 0 with input as fixtures.stack
}

test_registration_at_top_level_denied if {
	doc := _with_steps([fixtures.pipeline_definition.Steps[0], fixtures.pipeline_definition.Steps[1], _register])
	evaluation_gate.deny == _ungated with input as doc
}

test_registration_in_else_branch_denied if {
	condition := object.union(_condition, {"Arguments": {"IfSteps": [], "ElseSteps": [_register]}})
	doc := _with_steps([fixtures.pipeline_definition.Steps[1], condition])
	evaluation_gate.deny == _ungated with input as doc
}

test_condition_without_conditions_denied if {
	condition := object.union(_condition, {"Arguments": {"Conditions": []}})
	doc := _with_steps([fixtures.pipeline_definition.Steps[1], condition])
	evaluation_gate.deny == _ungated with input as doc
}

test_registration_in_nested_condition_allowed if {
	outer := object.union(_condition, {"Name": "CheckBias", "Arguments": {"IfSteps": [_condition]}})
	doc := _with_steps([fixtures.pipeline_definition.Steps[1], outer])
	count(evaluation_gate.deny) == 0 with input as doc
}

# Only a Condition step gates: another step that happens to hold Conditions and IfSteps does not.
test_registration_under_other_step_type_denied if {
	other := object.union(_condition, {"Type": "Processing"})
	doc := _with_steps([fixtures.pipeline_definition.Steps[1], other])
	evaluation_gate.deny == _ungated with input as doc
}

# A gated step of another type does not gate a RegisterModel step of the same name elsewhere.
test_gated_step_of_other_type_does_not_gate_same_name if {
	fail := {"Name": "Register", "Type": "Fail", "Arguments": {"ErrorMessage": "below threshold"}}
	condition := object.union(_condition, {"Arguments": {"IfSteps": [fail]}})
	doc := _with_steps([condition, _register])
	evaluation_gate.deny == _ungated with input as doc
}
