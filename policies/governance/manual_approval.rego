# METADATA
# title: High-risk and production models need manual approval
# description: Checks whether models of a high risk tier, and every model where the environment requires it, use manual approval in their spec and register new versions as PendingManualApproval.
# custom:
#   id: model-manual-approval
#   severity: high
#   controls: [SOC2:CC8.1, ISO27001:A.8.32, NIST800-53:CM-3, EU-AI-ACT:Art.14, NIST-AI-RMF:GOVERN-1.3, ISO42001:A.6.2.5]
#   resource_types: [aws:sagemaker/pipeline:Pipeline, mlops:model:ModelStack]
#   waivable: true
package mlops.governance.manual_approval

import rego.v1

import data.mlops.lib.resources as lib

deny contains violation if {
	some model in lib.array_at(input, ["models"])
	_requires_approval(model.spec)
	lib.string_at(model.spec, ["registry", "approval"]) != "manual"
	violation := {
		"resource": lib.model_urn(model.name),
		"message": sprintf("Model %s must require manual approval of new versions (registry.approval: manual in %s)", [model.name, lib.string_at(model, ["source"])]),
	}
}

# A RegisterModel step without ModelApprovalStatus gets SageMaker's default, PendingManualApproval.
deny contains violation if {
	some pipeline in lib.resources_of("aws:sagemaker/pipeline:Pipeline")
	_requires_approval(lib.model_spec(pipeline.model))
	some step in lib.pipeline_steps(pipeline)
	step.Type == "RegisterModel"
	status := lib.value_at(step, ["Arguments", "ModelApprovalStatus"])
	not status in {null, "PendingManualApproval"}
	violation := {
		"resource": pipeline.urn,
		"message": sprintf("Pipeline %s step %s must register models as PendingManualApproval (found %v)", [pipeline.name, step.Name, status]),
	}
}

_requires_approval(_) if lib.parameters.require_manual_approval == true

_requires_approval(spec) if lib.value_at(spec, ["metadata", "risk_tier"]) in lib.parameters.manual_approval_risk_tiers
