package mlops.governance.pipeline_checks_test

import rego.v1

import data.mlops.governance.pipeline_checks
import data.mlops.lib.fixtures_test as fixtures

_prepare := fixtures.pipeline_definition.Steps[0]

_train := fixtures.pipeline_definition.Steps[1]

_condition := fixtures.pipeline_definition.Steps[2]

_check(name, type, check_type) := {
	"Name": name,
	"Type": type,
	"Arguments": {"ProcessingInputs": [{"S3Input": {"S3Uri": {"Get": "Steps.Prepare.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri"}}}]},
	"CheckType": check_type,
	"ModelPackageGroupName": "acme-prod-fraud-detector",
	"SkipCheck": false,
	"RegisterNewBaseline": false,
}

_quality := _check("DataQuality", "QualityCheck", "DATA_QUALITY")

_bias := _check("DataBias", "ClarifyCheck", "DATA_BIAS")

# The registration as the SDK writes it: its model metrics read both checks' results.
_register_reading(names) := {
	"Name": "Register",
	"Type": "RegisterModel",
	"Arguments": {
		"ModelPackageGroupName": "acme-prod-fraud-detector",
		"ModelMetrics": {"Reports": [{"S3Uri": {"Get": sprintf("Steps.%s.CalculatedBaselineConstraints", [name])}} | some name in names]},
	},
}

_gate(register) := object.union(_condition, {"Arguments": {"IfSteps": [register]}})

_with_steps(steps) := fixtures.with_pipeline(fixtures.stack, object.union(fixtures.pipeline_definition, {"Steps": steps}))

_checked := _with_steps([_prepare, _quality, _bias, _train, _gate(_register_reading(["DataQuality", "DataBias"]))])

_message(text) := {{"resource": fixtures.pipeline, "message": text}}

_missing_quality := "Pipeline fraud-detector-training-pipeline of high-risk model fraud-detector must run a data-quality check step (QualityCheck, CheckType DATA_QUALITY) before registration; declare training.checks.data_quality in models/fraud-detector.yaml"

_missing_bias := "Pipeline fraud-detector-training-pipeline of high-risk model fraud-detector must run a pre-training bias check step (ClarifyCheck, CheckType DATA_BIAS) before registration; declare training.checks.bias in models/fraud-detector.yaml"

_no_checks := {
	{"resource": fixtures.pipeline, "message": _missing_quality},
	{"resource": fixtures.pipeline, "message": _missing_bias},
}

_unchecked_bias := "Pipeline fraud-detector-training-pipeline step Register must register the model only after its pre-training bias check: it depends on no ClarifyCheck step"

_with_risk(doc, tier) := object.union(doc, {"models": [_with_model_risk(m, tier) | some m in doc.models]})

_with_model_risk(m, tier) := object.union(m, {"spec": {"metadata": {"risk_tier": tier}}}) if {
	m.name == "fraud-detector"
} else := m

test_checks_before_registration_allowed if {
	count(pipeline_checks.deny) == 0 with input as _checked
}

# The fixture's pipeline registers straight after training.
test_pipeline_without_checks_denied if {
	doc := fixtures.stack
	pipeline_checks.deny == _no_checks with input as doc
}

test_environment_without_the_requirement_allowed if {
	count(pipeline_checks.deny) == 0 with input as fixtures.in_environment(fixtures.stack, "dev")
}

test_medium_risk_model_allowed if {
	count(pipeline_checks.deny) == 0 with input as _with_risk(fixtures.stack, "medium")
}

test_missing_quality_check_denied if {
	doc := _with_steps([_prepare, _bias, _train, _gate(_register_reading(["DataBias"]))])
	pipeline_checks.deny == _message(_missing_quality) with input as doc
}

test_quality_check_of_model_quality_denied if {
	model_quality := object.union(_quality, {"CheckType": "MODEL_QUALITY"})
	doc := _with_steps([_prepare, model_quality, _bias, _train, _gate(_register_reading(["DataQuality", "DataBias"]))])
	pipeline_checks.deny == _message(_missing_quality) with input as doc
}

test_bias_check_type_on_another_step_type_denied if {
	processing := object.union(_bias, {"Type": "Processing"})
	doc := _with_steps([_prepare, _quality, processing, _train, _gate(_register_reading(["DataQuality", "DataBias"]))])
	pipeline_checks.deny == _message(_missing_bias) with input as doc
}

test_skipped_check_denied if {
	skipped := object.union(_bias, {"SkipCheck": true})
	doc := _with_steps([_prepare, _quality, skipped, _train, _gate(_register_reading(["DataQuality", "DataBias"]))])
	pipeline_checks.deny == _message("Pipeline fraud-detector-training-pipeline step DataBias must not skip its pre-training bias check (SkipCheck is true); set training.checks.bias.skip_check: false for this environment in models/fraud-detector.yaml") with input as doc
}

test_check_skipped_by_parameter_denied if {
	skipped := object.union(_quality, {"SkipCheck": {"Get": "Parameters.SkipDataQuality"}})
	doc := _with_steps([_prepare, skipped, _bias, _train, _gate(_register_reading(["DataQuality", "DataBias"]))])
	pipeline_checks.deny == _message("Pipeline fraud-detector-training-pipeline step DataQuality must not skip its data-quality check (SkipCheck is {\"Get\": \"Parameters.SkipDataQuality\"}); set training.checks.data_quality.skip_check: false for this environment in models/fraud-detector.yaml") with input as doc
}

test_registration_not_reading_the_check_denied if {
	doc := _with_steps([_prepare, _quality, _bias, _train, _gate(_register_reading(["DataQuality"]))])
	pipeline_checks.deny == _message(_unchecked_bias) with input as doc
}

test_registration_depending_on_the_check_allowed if {
	register := object.union(_register_reading(["DataQuality"]), {"DependsOn": ["DataBias"]})
	doc := _with_steps([_prepare, _quality, _bias, _train, _gate(register)])
	count(pipeline_checks.deny) == 0 with input as doc
}

# The registration runs after the training, which runs after the checks.
test_registration_after_a_step_after_the_check_allowed if {
	train := object.union(_train, {"DependsOn": ["DataQuality", "DataBias"]})
	register := object.union(_register_reading([]), {"Arguments": {"ModelDataUrl": {"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}}})
	doc := _with_steps([_prepare, _quality, _bias, train, _gate(register)])
	count(pipeline_checks.deny) == 0 with input as doc
}

test_registration_in_branch_of_condition_after_the_check_allowed if {
	condition := object.union(_gate(_register_reading(["DataQuality"])), {"DependsOn": ["DataBias"]})
	doc := _with_steps([_prepare, _quality, _bias, _train, condition])
	count(pipeline_checks.deny) == 0 with input as doc
}

test_registration_in_else_branch_of_condition_after_the_check_allowed if {
	condition := object.union(_condition, {"DependsOn": ["DataBias"], "Arguments": {"IfSteps": [], "ElseSteps": [_register_reading(["DataQuality"])]}})
	doc := _with_steps([_prepare, _quality, _bias, _train, condition])
	count(pipeline_checks.deny) == 0 with input as doc
}

test_registration_at_top_level_reading_the_checks_allowed if {
	doc := _with_steps([_prepare, _quality, _bias, _train, _register_reading(["DataQuality", "DataBias"])])
	count(pipeline_checks.deny) == 0 with input as doc
}

# Only `{"Get": "Steps.<name>…"}` reads a step: a parameter or another key of the same name does not.
test_parameter_named_like_the_check_is_no_dependency_denied if {
	register := object.union(_register_reading(["DataQuality"]), {"Arguments": {"A": {"Get": "Parameters.DataBias"}, "B": {"Value": "Steps.DataBias.X"}}})
	doc := _with_steps([_prepare, _quality, _bias, _train, _gate(register)])
	pipeline_checks.deny == _message(_unchecked_bias) with input as doc
}

# One check of a kind the registration depends on is enough; every one must still not skip.
test_second_check_of_a_kind_not_read_allowed if {
	second := object.union(_bias, {"Name": "DataBiasAgain"})
	doc := _with_steps([_prepare, _quality, _bias, second, _train, _gate(_register_reading(["DataQuality", "DataBias"]))])
	count(pipeline_checks.deny) == 0 with input as doc
}

test_registration_reading_only_the_second_check_allowed if {
	second := object.union(_bias, {"Name": "DataBiasAgain"})
	doc := _with_steps([_prepare, _quality, _bias, second, _train, _gate(_register_reading(["DataQuality", "DataBiasAgain"]))])
	count(pipeline_checks.deny) == 0 with input as doc
}

test_every_registration_must_follow_the_check_denied if {
	other := object.union(_register_reading(["DataQuality"]), {"Name": "RegisterAgain"})
	doc := _with_steps([_prepare, _quality, _bias, _train, _gate(_register_reading(["DataQuality", "DataBias"])), other])
	pipeline_checks.deny == _message("Pipeline fraud-detector-training-pipeline step RegisterAgain must register the model only after its pre-training bias check: it depends on no ClarifyCheck step") with input as doc
}

# Only a Condition step's branches run after it: the same keys on another step type order nothing.
test_registration_under_other_step_type_after_the_check_denied if {
	other := object.union(_gate(_register_reading(["DataQuality"])), {"Type": "Processing", "DependsOn": ["DataBias"]})
	doc := _with_steps([_prepare, _quality, _bias, _train, other])
	pipeline_checks.deny == _message(_unchecked_bias) with input as doc
}

# A `Get` of something other than text is no step reference, and no error.
test_non_text_reference_ignored if {
	register := object.union(_register_reading(["DataQuality", "DataBias"]), {"Arguments": {"Odd": {"Get": 5}}})
	doc := _with_steps([_prepare, _quality, _bias, _train, _gate(register)])
	count(pipeline_checks.deny) == 0 with input as doc
}

# SageMaker refuses repeated step names; the policy still judges such a definition instead of failing.
test_repeated_step_names_are_judged if {
	again := object.union(_train, {"Arguments": {"Odd": {"Get": "Steps.DataBias.X"}}})
	doc := _with_steps([_prepare, _quality, _bias, _train, again, _gate(object.union(_register_reading(["DataQuality"]), {"DependsOn": ["Train"]}))])
	count(pipeline_checks.deny) == 0 with input as doc
}
