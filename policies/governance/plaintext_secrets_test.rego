package mlops.governance.plaintext_secrets_test

import rego.v1

import data.mlops.governance.plaintext_secrets
import data.mlops.lib.fixtures_test as fixtures

_with_secrets(secrets) := object.union(fixtures.stack, {"models": [
	object.union(fixtures.stack.models[0], {"suspected_secrets": secrets}),
	fixtures.stack.models[1],
]})

test_no_suspected_secret_allowed if {
	count(plaintext_secrets.deny) == 0 with input as fixtures.stack
	count(plaintext_secrets.deny) == 0 with input as _with_secrets([])
}

test_suspected_secret_denied if {
	doc := _with_secrets([{"field": "training.hyperparameters.api_key", "kind": "API secret key (sk-…)"}])
	plaintext_secrets.deny == {{
		"resource": fixtures.fraud_detector,
		"message": "training.hyperparameters.api_key: must not hold a credential in plain text (found: API secret key (sk-…)) in model fraud-detector; store it with `pulumi config set --secret <key>` and reference it from serving.environment as {secret: <key>}",
	}} with input as doc
}

test_every_secret_of_every_model_denied if {
	secrets := [
		{"field": "training.hyperparameters.token", "kind": "GitHub token"},
		{"field": "metadata.team", "kind": "AWS access key id"},
	]
	count(plaintext_secrets.deny) == 2 with input as _with_secrets(secrets)
}
