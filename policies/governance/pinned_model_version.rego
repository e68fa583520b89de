# METADATA
# title: Models serve a pinned, registered model package version
# description: Checks whether every SageMaker model serves a versioned model package from the registry, the version its spec pins, where the environment requires pinned versions.
# custom:
#   id: model-pinned-version
#   severity: high
#   controls: [SOC2:CC8.1, ISO27001:A.8.9, ISO27001:A.8.32, NIST800-53:CM-2, NIST800-53:CM-3, EU-AI-ACT:Art.12, NIST-AI-RMF:GOVERN-1.6, ISO42001:A.6.2.5]
#   resource_types: [aws:sagemaker/model:Model]
#   waivable: true
#   resource_local: true
package mlops.governance.pinned_model_version

import rego.v1

import data.mlops.lib.resources as lib

_versioned_package := `^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:[0-9]{12}:model-package/[A-Za-z0-9-]+/([0-9]+)$`

deny contains violation if {
	some model in _models
	some container in _containers(model)
	not regex.match(_versioned_package, lib.string_at(container, ["modelPackageName"]))
	violation := {
		"resource": model.urn,
		"message": sprintf("SageMaker model %s must serve a registered model package version (modelPackageName ending in /<version>)", [model.name]),
	}
}

deny contains violation if {
	some model in _models
	spec := lib.model_spec(model.model)
	pinned := lib.value_at(spec, ["registry", "pinned_version"])
	is_number(pinned)
	some container in _containers(model)
	package_arn := lib.string_at(container, ["modelPackageName"])
	regex.match(_versioned_package, package_arn)
	segments := split(package_arn, "/")
	not to_number(segments[count(segments) - 1]) in ({pinned} | _variant_versions(spec))
	violation := {
		"resource": model.urn,
		"message": sprintf("SageMaker model %s must serve model package version %v, the version its spec pins%s (found %s)", [model.name, pinned, _or_variants(spec), package_arn]),
	}
}

# The versions the A/B variants and the shadow serve (serving.variants, serving.shadow), each
# its own model; policy variant-approved-packages checks those models.
_variant_versions(spec) := {v |
	some variant in array.concat(lib.array_at(spec, ["serving", "variants"]), [lib.object_at(spec, ["serving", "shadow"])])
	v := lib.value_at(variant, ["model_version"])
	is_number(v)
}

_or_variants(spec) := sprintf(", or one its serving variants name (%s)", [concat(", ", [sprintf("%v", [v]) | some v in sort(_variant_versions(spec))])]) if {
	count(_variant_versions(spec)) > 0
} else := ""

_models := [model |
	lib.parameters.require_pinned_model_version == true
	some model in lib.resources_of("aws:sagemaker/model:Model")
]

_containers(model) := array.concat(
	[container | container := lib.value_at(model, ["inputs", "primaryContainer"]); is_object(container)],
	[container | some container in lib.array_at(model, ["inputs", "containers"])],
)
