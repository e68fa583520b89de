# METADATA
# title: No credentials in plain text in model specs
# description: Checks whether a model spec writes a value that looks like a credential (a known key format, or a random-looking value under a name such as key, token, secret or password) into a hyperparameter, a container environment variable or a tagged metadata field, where it is deployed as written and readable through the AWS API.
# custom:
#   id: plaintext-secrets
#   severity: critical
#   controls: [SOC2:CC6.1, ISO27001:A.5.17, ISO27001:A.8.12, NIST800-53:IA-5(7), HIPAA:164.312(a)(1)]
#   resource_types: [mlops:model:ModelStack]
#   waivable: false
#   resource_local: true
package mlops.governance.plaintext_secrets

import rego.v1

import data.mlops.lib.resources as lib

# The spec loader finds the values (mlops.specs.plaintext_secrets) and lists each one's field and
# kind, never the value, in models[].suspected_secrets; the same list drives the redaction of
# plans and reports.
deny contains violation if {
	some model in lib.array_at(input, ["models"])
	some secret in lib.array_at(model, ["suspected_secrets"])
	violation := {
		"resource": lib.model_urn(model.name),
		"message": sprintf(
			"%s: must not hold a credential in plain text (found: %s) in model %s; store it with `pulumi config set --secret <key>` and reference it from serving.environment as {secret: <key>}",
			[secret.field, secret.kind, model.name],
		),
	}
}
