# METADATA
# title: Every model has a model card, approved for high-risk models where required
# description: Checks whether every model declares a SageMaker model card (its intended and out-of-scope uses, risk rating, training and evaluation details from the spec), whether a high-risk model states both its intended and its out-of-scope uses, and, where the environment requires it (require_approved_model_card, prod), whether a high-risk model's card is Approved, so what the model is for and not for has been reviewed before it serves.
# custom:
#   id: model-card-approved
#   severity: high
#   controls: [SOC2:CC8.1, ISO27001:A.5.37, NIST800-53:PL-2, EU-AI-ACT:Art.11, EU-AI-ACT:Art.13, NIST-AI-RMF:GOVERN-1.4, NIST-AI-RMF:MAP-1.1, ISO42001:A.6.2.7]
#   resource_types: [mlops:model:ModelStack]
#   waivable: true
package mlops.governance.model_card

import rego.v1

import data.mlops.lib.resources as lib

_card_type := "aws:sagemaker/modelCard:ModelCard"

_cards(model) := [card | some card in lib.resources_of(_card_type); card.model == model]

deny contains violation if {
	some model in lib.array_at(input, ["models"])
	count(_cards(model.name)) == 0
	violation := {
		"resource": lib.model_urn(model.name),
		"message": sprintf("model %s declares no SageMaker model card (aws:sagemaker/modelCard:ModelCard); the platform's ModelRegistry declares one from the spec's model_card", [model.name]),
	}
}

deny contains violation if {
	some model in lib.array_at(input, ["models"])
	lib.value_at(model, ["spec", "metadata", "risk_tier"]) == "high"
	some field in ["intended_uses", "out_of_scope_uses"]
	count(lib.array_at(model, ["spec", "model_card", field])) == 0
	violation := {
		"resource": lib.model_urn(model.name),
		"message": sprintf("high-risk model %s must state its model_card.%s (at least one), which its SageMaker model card publishes", [model.name, field]),
	}
}

deny contains violation if {
	lib.parameters.require_approved_model_card == true
	some model in lib.array_at(input, ["models"])
	lib.value_at(model, ["spec", "metadata", "risk_tier"]) == "high"
	some card in _cards(model.name)
	status := object.get(card.inputs, "modelCardStatus", "(none)")
	status != "Approved"
	violation := {
		"resource": lib.model_urn(model.name),
		"message": sprintf("high-risk model %s must serve with an Approved model card in %s (found %s); set environments.%s.model_card.status: Approved once the card is reviewed (mlops promote does, with the version it approves)", [model.name, input.environment, status, input.environment]),
	}
}
