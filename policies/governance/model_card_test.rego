package mlops.governance.model_card_test

import rego.v1

import data.mlops.governance.model_card
import data.mlops.lib.fixtures_test as fixtures

_card(model, status) := {
	"urn": sprintf("urn:pulumi:prod::mlops-platform::mlops:model:ModelStack$mlops:sagemaker:ModelRegistry$aws:sagemaker/modelCard:ModelCard::%s-registry-card", [model]),
	"type": "aws:sagemaker/modelCard:ModelCard",
	"name": sprintf("%s-registry-card", [model]),
	"parent": null,
	"dependencies": [],
	"inputs": {"modelCardName": sprintf("acme-prod-%s", [model]), "modelCardStatus": status},
	"tags": {"model": model},
	"model": model,
}

_uses := {"intended_uses": ["Scoring card transactions."], "out_of_scope_uses": ["Declining without review."]}

# fraud-detector (high risk) states its uses unless a test says otherwise.
_with(cards) := _with_uses(cards, _uses)

_with_uses(cards, uses) := object.union(fixtures.stack, {
	"models": [
		object.union(fixtures.stack.models[0], {"spec": object.union(fixtures.stack.models[0].spec, {"model_card": uses})}),
		fixtures.stack.models[1],
	],
	"resources": array.concat(fixtures.stack.resources, cards),
})

_in(environment, document) := object.union(document, {"environment": environment})

test_approved_card_for_the_high_risk_model_allowed if {
	count(model_card.deny) == 0 with input as _with([_card("fraud-detector", "Approved"), _card("ticket-router", "Draft")])
}

test_high_risk_model_with_a_draft_card_denied_in_prod if {
	denied := model_card.deny with input as _with([_card("fraud-detector", "PendingReview"), _card("ticket-router", "Draft")])
	denied == {{
		"resource": fixtures.fraud_detector,
		"message": "high-risk model fraud-detector must serve with an Approved model card in prod (found PendingReview); set environments.prod.model_card.status: Approved once the card is reviewed (mlops promote does, with the version it approves)",
	}}
}

test_a_card_without_status_is_not_approved if {
	card := json.patch(_card("fraud-detector", "x"), [{"op": "remove", "path": "/inputs/modelCardStatus"}])
	denied := model_card.deny with input as _with([card, _card("ticket-router", "Draft")])
	some violation in denied
	contains(violation.message, "(found (none))")
}

test_draft_cards_allowed_where_approval_is_not_required if {
	count(model_card.deny) == 0 with input as _in("dev", _with([_card("fraud-detector", "Draft"), _card("ticket-router", "Draft")]))
	count(model_card.deny) == 0 with input as _in("staging", _with([_card("fraud-detector", "PendingReview"), _card("ticket-router", "Draft")]))
}

test_low_risk_model_needs_no_approval if {
	count(model_card.deny) == 0 with input as _with([_card("fraud-detector", "Approved"), _card("ticket-router", "Archived")])
}

test_a_model_without_a_card_denied_everywhere if {
	denied := model_card.deny with input as _in("dev", _with([_card("fraud-detector", "Draft")]))
	denied == {{
		"resource": fixtures.ticket_router,
		"message": "model ticket-router declares no SageMaker model card (aws:sagemaker/modelCard:ModelCard); the platform's ModelRegistry declares one from the spec's model_card",
	}}
}

test_another_models_card_does_not_count if {
	denied := model_card.deny with input as _with([_card("fraud-detector", "Approved")])
	count(denied) == 1
	some violation in denied
	violation.resource == fixtures.ticket_router
}

test_high_risk_model_without_stated_uses_denied if {
	cards := [_card("fraud-detector", "Approved"), _card("ticket-router", "Draft")]
	denied := model_card.deny with input as _with_uses(cards, {"intended_uses": ["Scoring."], "out_of_scope_uses": []})
	denied == {{
		"resource": fixtures.fraud_detector,
		"message": "high-risk model fraud-detector must state its model_card.out_of_scope_uses (at least one), which its SageMaker model card publishes",
	}}
	count(model_card.deny) == 2 with input as _with_uses(cards, {})
}

test_low_risk_model_need_not_state_uses if {
	count(model_card.deny) == 0 with input as _with([_card("fraud-detector", "Approved"), _card("ticket-router", "Draft")])
}
