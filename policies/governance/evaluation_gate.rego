# METADATA
# title: Pipelines register models only after an evaluation threshold
# description: Checks whether every RegisterModel step of a SageMaker pipeline is reachable only through the true branch of a Condition step, so no model is registered without passing its evaluation threshold.
# custom:
#   id: model-evaluation-gate
#   severity: high
#   controls: [SOC2:CC8.1, ISO27001:A.8.29, NIST800-53:CM-3(2), NIST800-53:SA-11, EU-AI-ACT:Art.9, EU-AI-ACT:Art.15, NIST-AI-RMF:MEASURE-2.3, ISO42001:A.6.2.4]
#   resource_types: [aws:sagemaker/pipeline:Pipeline]
#   waivable: true
#   resource_local: true
package mlops.governance.evaluation_gate

import rego.v1

import data.mlops.lib.resources as lib

deny contains violation if {
	some pipeline in lib.resources_of("aws:sagemaker/pipeline:Pipeline")
	some step in lib.pipeline_steps(pipeline)
	step.Type == "RegisterModel"
	not step.Name in _gated(pipeline)
	violation := {
		"resource": pipeline.urn,
		"message": sprintf("Pipeline %s must register models only in the IfSteps of a Condition step on an evaluation metric; step %s is not", [pipeline.name, step.Name]),
	}
}

# RegisterModel steps nested, at any depth, in the IfSteps of a Condition step that tests at least one condition.
_gated(pipeline) := {step.Name |
	some condition in lib.pipeline_steps(pipeline)
	condition.Type == "Condition"
	count(lib.array_at(condition, ["Arguments", "Conditions"])) > 0
	walk(lib.array_at(condition, ["Arguments", "IfSteps"]), [_, step])
	is_object(step)
	step.Type == "RegisterModel"
}
