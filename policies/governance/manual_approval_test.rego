package mlops.governance.manual_approval_test

import rego.v1

import data.mlops.governance.manual_approval
import data.mlops.lib.fixtures_test as fixtures

# Model 0 of the fixture is fraud-detector (risk tier high), model 1 ticket-router (low).
_approval(doc, index, mode) := json.patch(doc, [{"op": "replace", "path": sprintf("/models/%d/spec/registry/approval", [index]), "value": mode}])

_registered_as(status) := fixtures.with_pipeline(fixtures.stack, json.patch(fixtures.pipeline_definition, [{
	"op": "replace",
	"path": "/Steps/2/Arguments/IfSteps/0/Arguments/ModelApprovalStatus",
	"value": status,
}]))

test_manual_approval_allowed if {
	count(manual_approval.deny) == 0 with input as fixtures.stack
}

test_automatic_approval_in_prod_denied if {
	doc := _approval(fixtures.stack, 1, "automatic")
	manual_approval.deny == {{
		"resource": fixtures.ticket_router,
		"message": "Model ticket-router must require manual approval of new versions (registry.approval: manual in models/ticket-router.yaml)",
	}} with input as doc
}

test_automatic_approval_of_high_risk_model_in_dev_denied if {
	doc := fixtures.in_environment(_approval(fixtures.stack, 0, "automatic"), "dev")
	manual_approval.deny == {{
		"resource": fixtures.fraud_detector,
		"message": "Model fraud-detector must require manual approval of new versions (registry.approval: manual in models/fraud-detector.yaml)",
	}} with input as doc
}

test_automatic_approval_of_low_risk_model_in_dev_allowed if {
	doc := fixtures.in_environment(_approval(fixtures.stack, 1, "automatic"), "dev")
	count(manual_approval.deny) == 0 with input as doc
}

test_pipeline_registering_approved_models_denied if {
	doc := _registered_as("Approved")
	manual_approval.deny == {{
		"resource": fixtures.pipeline,
		"message": "Pipeline fraud-detector-training-pipeline step Register must register models as PendingManualApproval (found Approved)",
	}} with input as doc
}

test_pipeline_with_default_status_allowed if {
	doc := fixtures.with_pipeline(fixtures.stack, json.patch(fixtures.pipeline_definition, [{"op": "remove", "path": "/Steps/2/Arguments/IfSteps/0/Arguments/ModelApprovalStatus"}]))
	count(manual_approval.deny) == 0 with input as doc
}

# Where neither the environment nor the model's risk tier requires approval, its pipeline may register approved.
test_pipeline_of_low_risk_model_in_dev_registering_approved_allowed if {
	low := json.patch(_registered_as("Approved"), [{"op": "replace", "path": "/models/0/spec/metadata/risk_tier", "value": "low"}])
	doc := fixtures.in_environment(low, "dev")
	count(manual_approval.deny) == 0 with input as doc
}

# Only RegisterModel steps register: another step passing ModelApprovalStatus along is not checked.
test_other_step_with_approval_argument_allowed if {
	lambda := {"Name": "Notify", "Type": "Lambda", "Arguments": {"ModelApprovalStatus": "Approved"}}
	doc := fixtures.with_pipeline(fixtures.stack, json.patch(fixtures.pipeline_definition, [{"op": "add", "path": "/Steps/-", "value": lambda}]))
	count(manual_approval.deny) == 0 with input as doc
}
