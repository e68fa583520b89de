package mlops.governance.bias_facets_test

import rego.v1

import data.mlops.governance.bias_facets
import data.mlops.lib.fixtures_test as fixtures

_groups := [
	{"name": "card-transactions", "features": [
		{"name": "transaction_id", "type": "string", "pii": false, "sensitive": false},
		{"name": "card_hash", "type": "string", "pii": true, "sensitive": false},
		{"name": "amount", "type": "fractional", "pii": false, "sensitive": false},
	]},
	{"name": "customer-profile", "features": [
		{"name": "home_country", "type": "string", "pii": true, "sensitive": true},
		{"name": "age_band", "type": "string", "pii": false, "sensitive": true},
	]},
]

_bias := {"label": "is_fraud", "facets": [{"name": "home_country", "values_or_threshold": []}, {"name": "age_band", "values_or_threshold": []}]}

# The fixture with the fraud-detector spec's feature groups and monitoring replaced.
_with_fraud_spec(groups, monitoring) := object.union(fixtures.stack, {"models": [_model(m, groups, monitoring) | some m in fixtures.stack.models]})

_model(model, groups, monitoring) := object.union(model, {"spec": {"feature_groups": groups, "monitoring": monitoring}}) if {
	model.name == "fraud-detector"
} else := model

_denied(message) := {"resource": fixtures.fraud_detector, "message": message}

test_every_sensitive_feature_a_facet_allowed if {
	count(bias_facets.deny) == 0 with input as _with_fraud_spec(_groups, {"bias": _bias})
}

# The fixture's specs declare no features at all.
test_models_without_features_allowed if {
	count(bias_facets.deny) == 0 with input as fixtures.stack
}

test_no_bias_monitoring_denied if {
	doc := _with_fraud_spec(_groups, {"bias": null})
	bias_facets.deny == {
		_denied("model fraud-detector has PII or sensitive features (age_band, card_hash, home_country) and must declare bias monitoring facets in monitoring.bias.facets"),
		_denied("model fraud-detector must name its sensitive feature home_country as a bias facet (monitoring.bias.facets[].name)"),
		_denied("model fraud-detector must name its sensitive feature age_band as a bias facet (monitoring.bias.facets[].name)"),
	} with input as doc
}

test_sensitive_feature_missing_from_facets_denied if {
	doc := _with_fraud_spec(_groups, {"bias": object.union(_bias, {"facets": [{"name": "home_country"}]})})
	bias_facets.deny == {_denied("model fraud-detector must name its sensitive feature age_band as a bias facet (monitoring.bias.facets[].name)")} with input as doc
}

# PII alone needs facets declared, but any feature may be the facet.
test_pii_features_without_facets_denied if {
	pii_only := [{"name": "card-transactions", "features": _groups[0].features}]
	doc := _with_fraud_spec(pii_only, {})
	bias_facets.deny == {_denied("model fraud-detector has PII or sensitive features (card_hash) and must declare bias monitoring facets in monitoring.bias.facets")} with input as doc
}

test_pii_features_with_any_facet_allowed if {
	pii_only := [{"name": "card-transactions", "features": _groups[0].features}]
	doc := _with_fraud_spec(pii_only, {"bias": {"facets": [{"name": "amount"}]}})
	count(bias_facets.deny) == 0 with input as doc
}

test_sensitive_feature_not_pii_without_facets_denied if {
	sensitive_only := [{"name": "customer-profile", "features": [_groups[1].features[1]]}]
	doc := _with_fraud_spec(sensitive_only, {"bias": {"facets": []}})
	bias_facets.deny == {
		_denied("model fraud-detector has PII or sensitive features (age_band) and must declare bias monitoring facets in monitoring.bias.facets"),
		_denied("model fraud-detector must name its sensitive feature age_band as a bias facet (monitoring.bias.facets[].name)"),
	} with input as doc
}

test_features_neither_pii_nor_sensitive_allowed if {
	plain := [{"name": "card-transactions", "features": [_groups[0].features[0], _groups[0].features[2]]}]
	count(bias_facets.deny) == 0 with input as _with_fraud_spec(plain, {})
}

# The decision is the spec's: it holds in every environment.
test_applies_in_dev_denied if {
	doc := fixtures.in_environment(_with_fraud_spec(_groups, {"bias": null}), "dev")
	count(bias_facets.deny) == 3 with input as doc
}
