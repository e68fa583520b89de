# METADATA
# title: A/B and shadow variants serve approved model packages
# description: Checks whether every variant of an A/B test and every shadow variant serves a pinned model package version that is Approved in the SageMaker Model Registry, where the environment requires approved variants; the approval needs live registry facts, and is reported as unverified without them. The version the spec pins (registry.pinned_version) is judged by registry-approved-package.
# custom:
#   id: variant-approved-packages
#   severity: high
#   controls: [SOC2:CC8.1, ISO27001:A.8.32, NIST800-53:CM-2, NIST800-53:CM-3, EU-AI-ACT:Art.14, NIST-AI-RMF:GOVERN-1.3, NIST-AI-RMF:MANAGE-2.4, ISO42001:A.6.2.5]
#   resource_types: [aws:sagemaker/endpointConfiguration:EndpointConfiguration, aws:sagemaker/model:Model]
#   waivable: false
package mlops.governance.variant_packages

import rego.v1

import data.mlops.lib.resources as lib

_versioned_package := `^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:[0-9]{12}:model-package/[A-Za-z0-9-]+/[0-9]+$`

# A challenger that is not a registered package version has skipped the registry's review.
deny contains violation if {
	some subject in _subjects
	subject.package == ""
	violation := {
		"resource": subject.config.urn,
		"message": sprintf("Endpoint configuration %s: variant %s must serve a pinned model package version from the registry (its model %s has no modelPackageName ending in /<version>)", [subject.config.name, subject.variant, subject.model]),
	}
}

deny contains violation if {
	_live
	some subject in _pinned
	facts := _facts(subject)
	facts.found == true
	facts.approval_status != "Approved"
	violation := {
		"resource": subject.config.urn,
		"message": sprintf("Endpoint configuration %s: variant %s serves model package %s, whose approval status is %v; %s serves A/B and shadow variants only from Approved packages: approve it in the registry (mlops promote)", [subject.config.name, subject.variant, subject.package, facts.approval_status, input.environment]),
	}
}

deny contains violation if {
	_live
	some subject in _pinned
	# Reading `found` drops facts that are not an object (the next rule reports those).
	facts := _facts(subject)
	facts.found != true
	violation := {
		"resource": subject.config.urn,
		"message": sprintf("Endpoint configuration %s: variant %s serves model package %s, which is not in the registry, so it cannot be Approved", [subject.config.name, subject.variant, subject.package]),
	}
}

# Live facts that do not cover a variant are a gap in the evidence, never a pass.
deny contains violation if {
	_live
	some subject in _pinned
	not is_object(_facts(subject))
	violation := {
		"resource": subject.config.urn,
		"message": sprintf("Endpoint configuration %s: variant %s serves model package %s, but the live registry facts do not cover it; its approval cannot be checked", [subject.config.name, subject.variant, subject.package]),
	}
}

unverified contains finding if {
	not _live
	some subject in _pinned
	finding := {
		"resource": subject.config.urn,
		"message": sprintf("Approval of model package %s, which variant %s of endpoint configuration %s serves, is unknown: %s", [subject.package, subject.variant, subject.config.name, _reason]),
	}
}

# Every variant of an A/B test (more than one production variant) and every shadow variant, with
# the package its model serves ("" when it serves none).
_subjects contains subject if {
	lib.parameters.require_approved_variants == true
	some config in lib.resources_of(lib.endpoint_config_type)
	some variant in array.concat(_ab_variants(config), lib.array_at(config, ["inputs", "shadowProductionVariants"]))
	model := lib.string_at(variant, ["modelName"])
	subject := {
		"config": config,
		"variant": lib.string_at(variant, ["variantName"]),
		"model": model,
		"package": _package(config, model),
	}
}

# The approval of the package the model's spec pins is registry-approved-package's to judge, once.
_pinned contains subject if {
	some subject in _subjects
	subject.package != ""
	not endswith(subject.package, sprintf("/%v", [lib.pinned_version(subject.config.model)]))
}

_ab_variants(config) := variants if {
	variants := lib.array_at(config, ["inputs", "productionVariants"])
	count(variants) > 1
} else := []

# The versioned package of the model a variant names, among the models the configuration takes.
_package(config, model_name) := arn if {
	arns := sort([arn |
		some model in lib.resources_of("aws:sagemaker/model:Model")
		lib.depends_on(config, model)
		_named(model, model_name)
		arn := lib.string_at(model, ["inputs", "primaryContainer", "modelPackageName"])
		regex.match(_versioned_package, arn)
	])
	arn := arns[0]
} else := ""

# Offline the variant names the model by its logical name; deployed (the policy pack), by the
# physical name the model's inputs hold.
_named(model, name) if model.name == name

_named(model, name) if lib.string_at(model, ["inputs", "name"]) == name

_live if lib.value_at(input, ["registry", "source"]) == "live"

# Facts per model and variant, from `mlops plan --live` and the policy pack (live/registry.py).
_facts(subject) := object.get(lib.object_at(input, ["registry", "variant_packages", subject.config.model]), subject.variant, null)

_reason := reason if {
	reason := lib.string_at(input, ["registry", "reason"])
	reason != ""
} else := "no live registry facts were fetched"
