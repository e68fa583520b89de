# METADATA
# title: Models with personal or sensitive features declare them as bias facets
# description: Checks whether every model whose features include PII (pii true) or sensitive attributes (sensitive true) declares bias monitoring facets (monitoring.bias.facets), and whether every sensitive feature is one of those facets, so fairness is measured across the groups those attributes form. Decided from the model spec in every environment, where the declaration is written once.
# custom:
#   id: bias-facets-declared
#   severity: high
#   controls: [SOC2:CC3.2, ISO27001:A.5.34, NIST800-53:RA-3, EU-AI-ACT:Art.10, NIST-AI-RMF:MEASURE-2.11, NIST-AI-RMF:MAP-2.3, ISO42001:A.5.4]
#   resource_types: [mlops:model:ModelStack]
#   waivable: true
package mlops.governance.bias_facets

import rego.v1

import data.mlops.lib.resources as lib

deny contains violation if {
	some model in lib.array_at(input, ["models"])
	flagged := _flagged(model)
	count(flagged) > 0
	count(_facets(model)) == 0
	violation := {
		"resource": lib.model_urn(model.name),
		"message": sprintf("model %s has PII or sensitive features (%s) and must declare bias monitoring facets in monitoring.bias.facets", [model.name, concat(", ", sort(flagged))]),
	}
}

deny contains violation if {
	some model in lib.array_at(input, ["models"])
	some feature in _features(model)
	feature.sensitive == true
	not feature.name in _facets(model)
	violation := {
		"resource": lib.model_urn(model.name),
		"message": sprintf("model %s must name its sensitive feature %s as a bias facet (monitoring.bias.facets[].name)", [model.name, feature.name]),
	}
}

_features(model) := [feature |
	some group in lib.array_at(model, ["spec", "feature_groups"])
	some feature in lib.array_at(group, ["features"])
]

_flagged(model) := {feature.name |
	some feature in _features(model)
	_personal_or_sensitive(feature)
}

_personal_or_sensitive(feature) if feature.pii == true

_personal_or_sensitive(feature) if feature.sensitive == true

_facets(model) := {facet.name | some facet in lib.array_at(model, ["spec", "monitoring", "bias", "facets"])}
