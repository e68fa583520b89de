# METADATA
# title: Pinned model packages meet the spec's evaluation threshold
# description: Checks whether the evaluation metric recorded with each pinned model package (its model quality report, else its customer metadata properties) meets the threshold the model's spec sets; needs live registry facts, and reports the check as unverified without them.
# custom:
#   id: registry-package-metric-threshold
#   severity: high
#   controls: [SOC2:CC8.1, ISO27001:A.8.29, NIST800-53:CM-3(2), NIST800-53:SA-11, EU-AI-ACT:Art.15, NIST-AI-RMF:MEASURE-2.3, ISO42001:A.6.2.4]
#   resource_types: [aws:sagemaker/model:Model]
#   waivable: true
package mlops.governance.registry_metric_threshold

import rego.v1

import data.mlops.lib.resources as lib

deny contains violation if {
	_live
	some name, evaluation in _pinned
	facts := _facts(name)
	facts.found == true
	value := _metric(facts, evaluation.metric)
	is_number(value)
	not _meets(value, evaluation)
	violation := {
		"resource": _serving_model(name),
		"message": sprintf("Model %s pins model package %s with %s %v; its spec requires %s %s %v (metrics from %s)", [name, facts.arn, evaluation.metric, value, evaluation.metric, _sign(evaluation), evaluation.threshold, _source(facts)]),
	}
}

deny contains violation if {
	_live
	some name, evaluation in _pinned
	facts := _facts(name)
	facts.found == true
	not is_number(_metric(facts, evaluation.metric))
	violation := {
		"resource": _serving_model(name),
		"message": sprintf("Model %s pins model package %s, which records no %s metric (recorded: %s); its spec requires %s %s %v", [name, facts.arn, evaluation.metric, _recorded(facts), evaluation.metric, _sign(evaluation), evaluation.threshold]),
	}
}

deny contains violation if {
	_live
	some name, evaluation in _pinned
	facts := _facts(name)
	is_object(facts)
	facts.found != true
	violation := {
		"resource": _serving_model(name),
		"message": sprintf("Model %s pins model package version %v, which is not in the registry, so no %s metric is recorded for it", [name, evaluation.pinned, evaluation.metric]),
	}
}

deny contains violation if {
	_live
	some name, evaluation in _pinned
	not is_object(_facts(name))
	violation := {
		"resource": _serving_model(name),
		"message": sprintf("Model %s pins model package version %v, but the live registry facts do not cover it; its %s metric cannot be checked", [name, evaluation.pinned, evaluation.metric]),
	}
}

unverified contains finding if {
	not _live
	some name, evaluation in _pinned
	finding := {
		"resource": _serving_model(name),
		"message": sprintf("Whether model package version %v of %s meets %s %s %v is unknown: %s", [evaluation.pinned, name, evaluation.metric, _sign(evaluation), evaluation.threshold, _reason]),
	}
}

# Pinned models with the metric, threshold and comparison of their spec's evaluation.
_pinned[name] := evaluation if {
	lib.parameters.require_package_metric_threshold == true
	some model in lib.array_at(input, ["models"])
	name := model.name
	pinned := lib.value_at(model, ["spec", "registry", "pinned_version"])
	is_number(pinned)
	spec_evaluation := lib.object_at(model, ["spec", "training", "evaluation"])
	is_string(spec_evaluation.metric)
	is_number(spec_evaluation.threshold)
	evaluation := {
		"pinned": pinned,
		"metric": spec_evaluation.metric,
		"threshold": spec_evaluation.threshold,
		"comparison": object.get(spec_evaluation, "comparison", "greater_than_or_equal"),
	}
}

_metric(facts, metric) := object.get(lib.object_at(facts, ["metrics"]), metric, null)

_meets(value, evaluation) if {
	evaluation.comparison == "less_than_or_equal"
	value <= evaluation.threshold
}

_meets(value, evaluation) if {
	evaluation.comparison != "less_than_or_equal"
	value >= evaluation.threshold
}

_sign(evaluation) := "<=" if evaluation.comparison == "less_than_or_equal"

else := ">="

_recorded(facts) := concat(", ", sort(object.keys(lib.object_at(facts, ["metrics"])))) if {
	count(lib.object_at(facts, ["metrics"])) > 0
} else := "none"

_source(facts) := source if {
	source := lib.string_at(facts, ["metrics_source"])
	source != ""
} else := "the registry"

_live if lib.value_at(input, ["registry", "source"]) == "live"

_facts(name) := object.get(lib.object_at(input, ["registry", "packages"]), name, null)

_reason := reason if {
	reason := lib.string_at(input, ["registry", "reason"])
	reason != ""
} else := "no live registry facts were fetched"

_serving_model(name) := lib.serving_model(name)
