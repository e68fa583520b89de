# METADATA
# title: Pinned model packages exist in the model's own package group
# description: Checks whether the model package each model pins exists in the registry and belongs to the package group the program creates for that model, so no model serves another model's artefact; needs live registry facts, and reports the check as unverified without them.
# custom:
#   id: registry-package-group
#   severity: high
#   controls: [SOC2:CC8.1, ISO27001:A.8.9, NIST800-53:CM-2, NIST800-53:SR-4, EU-AI-ACT:Art.12, NIST-AI-RMF:GOVERN-1.6, ISO42001:A.6.2.7]
#   resource_types: [aws:sagemaker/model:Model]
#   waivable: true
package mlops.governance.registry_package_group

import rego.v1

import data.mlops.lib.resources as lib

deny contains violation if {
	_live
	some name, pinned in _pinned
	facts := _facts(name)
	facts.found != true
	violation := {
		"resource": _serving_model(name),
		"message": sprintf("Model %s pins model package version %v, which is not in the registry: %s", [name, pinned, _error(facts)]),
	}
}

deny contains violation if {
	_live
	some name, pinned in _pinned
	facts := _facts(name)
	facts.found == true
	group := _group(name, facts)
	facts.group != group
	violation := {
		"resource": _serving_model(name),
		"message": sprintf("Model %s pins model package %s from group %v; it must come from the model's own group %s", [name, facts.arn, facts.group, group]),
	}
}

deny contains violation if {
	_live
	some name, pinned in _pinned
	not is_object(_facts(name))
	violation := {
		"resource": _serving_model(name),
		"message": sprintf("Model %s pins model package version %v, but the live registry facts do not cover it; its package group cannot be checked", [name, pinned]),
	}
}

unverified contains finding if {
	not _live
	some name, pinned in _pinned
	finding := {
		"resource": _serving_model(name),
		"message": sprintf("Whether model package version %v of %s exists in its package group is unknown: %s", [pinned, name, _reason]),
	}
}

_pinned[name] := pinned if {
	lib.parameters.require_package_in_model_group == true
	some model in lib.array_at(input, ["models"])
	name := model.name
	pinned := lib.value_at(model, ["spec", "registry", "pinned_version"])
	is_number(pinned)
}

# The group the plan declares for the model, else the one the facts were fetched for.
_group(name, facts) := group if {
	groups := sort([g |
		some r in lib.resources_of("aws:sagemaker/modelPackageGroup:ModelPackageGroup")
		r.model == name
		g := lib.string_at(r, ["inputs", "modelPackageGroupName"])
		g != ""
	])
	group := groups[0]
} else := lib.string_at(facts, ["expected_group"])

_error(facts) := error if {
	error := lib.string_at(facts, ["error"])
	error != ""
} else := sprintf("%s not found", [lib.string_at(facts, ["arn"])])

_live if lib.value_at(input, ["registry", "source"]) == "live"

_facts(name) := object.get(lib.object_at(input, ["registry", "packages"]), name, null)

_reason := reason if {
	reason := lib.string_at(input, ["registry", "reason"])
	reason != ""
} else := "no live registry facts were fetched"

_serving_model(name) := lib.serving_model(name)
