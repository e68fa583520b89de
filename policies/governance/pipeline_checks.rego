# METADATA
# title: High-risk models pass data-quality and bias checks before registration
# description: Checks whether the training pipeline of every high-risk model runs a data-quality check (QualityCheck, DATA_QUALITY) and a pre-training bias check (ClarifyCheck, DATA_BIAS) that its RegisterModel steps depend on and that do not skip the check, where the environment requires pipeline checks.
# custom:
#   id: pipeline-checks-required
#   severity: high
#   controls: [SOC2:CC8.1, ISO27001:A.8.29, NIST800-53:SA-11, NIST800-53:SI-10, EU-AI-ACT:Art.10, EU-AI-ACT:Art.15, NIST-AI-RMF:MEASURE-2.11, NIST-AI-RMF:MAP-2.3, ISO42001:A.7.4, ISO42001:A.6.2.4]
#   resource_types: [aws:sagemaker/pipeline:Pipeline]
#   waivable: true
package mlops.governance.pipeline_checks

import rego.v1

import data.mlops.lib.resources as lib

# Each required check: the step type and CheckType SageMaker Pipelines gives it, and the spec field that declares it.
_checks := {
	"DATA_QUALITY": {"type": "QualityCheck", "what": "data-quality", "field": "training.checks.data_quality"},
	"DATA_BIAS": {"type": "ClarifyCheck", "what": "pre-training bias", "field": "training.checks.bias"},
}

deny contains violation if {
	some pipeline in _checked_pipelines
	some check_type, check in _checks
	count(_check_steps(pipeline, check_type)) == 0
	violation := {
		"resource": pipeline.urn,
		"message": sprintf("Pipeline %s of high-risk model %s must run a %s check step (%s, CheckType %s) before registration; declare %s in %s", [pipeline.name, pipeline.model, check.what, check.type, check_type, check.field, _source(pipeline.model)]),
	}
}

deny contains violation if {
	some pipeline in _checked_pipelines
	some check_type, check in _checks
	some step in _check_steps(pipeline, check_type)
	lib.value_at(step, ["SkipCheck"]) != false
	violation := {
		"resource": pipeline.urn,
		"message": sprintf("Pipeline %s step %s must not skip its %s check (SkipCheck is %v); set %s.skip_check: false for this environment in %s", [pipeline.name, step.Name, check.what, lib.value_at(step, ["SkipCheck"]), check.field, _source(pipeline.model)]),
	}
}

deny contains violation if {
	some pipeline in _checked_pipelines
	some check_type, check in _checks
	count(_check_steps(pipeline, check_type)) > 0
	some register in lib.pipeline_steps(pipeline)
	register.Type == "RegisterModel"
	reached := graph.reachable(_dependencies(pipeline), {register.Name})
	every step in _check_steps(pipeline, check_type) {
		not step.Name in reached
	}
	violation := {
		"resource": pipeline.urn,
		"message": sprintf("Pipeline %s step %s must register the model only after its %s check: it depends on no %s step", [pipeline.name, register.Name, check.what, check.type]),
	}
}

_checked_pipelines contains pipeline if {
	lib.parameters.require_pipeline_checks == true
	some pipeline in lib.resources_of("aws:sagemaker/pipeline:Pipeline")
	lib.value_at(lib.model_spec(pipeline.model), ["metadata", "risk_tier"]) == "high"
}

_check_steps(pipeline, check_type) := [step |
	some step in lib.pipeline_steps(pipeline)
	step.Type == _checks[check_type].type
	lib.value_at(step, ["CheckType"]) == check_type
]

_source(model) := source if {
	some m in lib.array_at(input, ["models"])
	m.name == model
	source := lib.string_at(m, ["source"])
}

# Step name → the steps it runs after: those its arguments read (`{"Get": "Steps.<name>..."}`), those
# it lists in DependsOn, and the Condition step whose branch holds it. Merged per name, so a
# definition that repeats a name (SageMaker refuses it) is judged rather than failing the gate.
_dependencies(pipeline) := {name: union({_after(pipeline, step) | some step in lib.pipeline_steps(pipeline); step.Name == name}) |
	some named in lib.pipeline_steps(pipeline)
	name := named.Name
}

_after(pipeline, step) := (_read(step) | {d | some d in lib.array_at(step, ["DependsOn"])}) | _branch_of(pipeline, step.Name)

_read(step) := {name |
	walk(step, [path, value])
	path[count(path) - 1] == "Get"
	is_string(value)
	parts := split(value, ".")
	parts[0] == "Steps"
	name := parts[1]
}

_branch_of(pipeline, name) := {condition.Name |
	some condition in lib.pipeline_steps(pipeline)
	condition.Type == "Condition"
	some branch in ["IfSteps", "ElseSteps"]
	some child in lib.array_at(condition, ["Arguments", branch])
	child.Name == name
}
