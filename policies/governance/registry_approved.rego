# METADATA
# title: Pinned model packages are approved in the registry
# description: Checks whether the model package version each model pins is Approved in the SageMaker Model Registry, where the environment requires approved packages; needs live registry facts, and reports the check as unverified without them.
# custom:
#   id: registry-approved-package
#   severity: high
#   controls: [SOC2:CC8.1, ISO27001:A.8.32, NIST800-53:CM-3, EU-AI-ACT:Art.14, NIST-AI-RMF:GOVERN-1.3, ISO42001:A.6.2.5]
#   resource_types: [aws:sagemaker/model:Model]
#   waivable: false
package mlops.governance.registry_approved

import rego.v1

import data.mlops.lib.resources as lib

deny contains violation if {
	_live
	some name, pinned in _pinned
	facts := _facts(name)
	facts.found == true
	facts.approval_status != "Approved"
	violation := {
		"resource": _serving_model(name),
		"message": sprintf("Model %s pins model package %s, whose approval status is %v; %s serves only Approved packages: approve it in the registry (mlops promote)", [name, facts.arn, facts.approval_status, input.environment]),
	}
}

# A package that is not in the registry cannot be Approved; this holds even where the
# (waivable) group policy is waived.
deny contains violation if {
	_live
	some name, pinned in _pinned
	facts := _facts(name)
	is_object(facts)
	facts.found != true
	violation := {
		"resource": _serving_model(name),
		"message": sprintf("Model %s pins model package version %v, which is not in the registry, so it cannot be Approved; %s serves only Approved packages", [name, pinned, input.environment]),
	}
}

# Live facts that do not cover a pinned model are a gap in the evidence, never a pass.
deny contains violation if {
	_live
	some name, pinned in _pinned
	not is_object(_facts(name))
	violation := {
		"resource": _serving_model(name),
		"message": sprintf("Model %s pins model package version %v, but the live registry facts do not cover it; its approval cannot be checked", [name, pinned]),
	}
}

unverified contains finding if {
	not _live
	some name, pinned in _pinned
	finding := {
		"resource": _serving_model(name),
		"message": sprintf("Approval of model package version %v of %s is unknown: %s", [pinned, name, _reason]),
	}
}

_pinned[name] := pinned if {
	lib.parameters.require_approved_package == true
	some model in lib.array_at(input, ["models"])
	name := model.name
	pinned := lib.value_at(model, ["spec", "registry", "pinned_version"])
	is_number(pinned)
}

_live if lib.value_at(input, ["registry", "source"]) == "live"

_facts(name) := object.get(lib.object_at(input, ["registry", "packages"]), name, null)

_reason := reason if {
	reason := lib.string_at(input, ["registry", "reason"])
	reason != ""
} else := "no live registry facts were fetched"

_serving_model(name) := lib.serving_model(name)
