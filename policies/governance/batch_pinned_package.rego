# METADATA
# title: Batch pipelines transform with the pinned model package
# description: Checks whether every batch inference pipeline (a SageMaker pipeline with a Transform step) creates its model from the registered model package version its spec pins, where the environment requires approved packages. Whether that version is Approved is registry-approved-package's check, on live registry facts.
# custom:
#   id: batch-approved-package
#   severity: high
#   controls: [SOC2:CC8.1, ISO27001:A.8.9, ISO27001:A.8.32, NIST800-53:CM-2, NIST800-53:CM-3, EU-AI-ACT:Art.14, NIST-AI-RMF:GOVERN-1.3, ISO42001:A.6.2.5]
#   resource_types: [aws:sagemaker/pipeline:Pipeline]
#   waivable: false
package mlops.governance.batch_pinned_package

import rego.v1

import data.mlops.lib.resources as lib

_versioned_package := `^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:[0-9]{12}:model-package/[A-Za-z0-9-]+/([0-9]+)$`

# A transform of a model no Model step of the pipeline creates runs whatever model has that name.
deny contains violation if {
	some pipeline in _batch_pipelines
	count(_model_steps(pipeline)) == 0
	violation := {
		"resource": pipeline.urn,
		"message": sprintf("Batch pipeline %s must create the model it transforms with in a Model step, from a registered model package version", [pipeline.name]),
	}
}

deny contains violation if {
	some pipeline in _batch_pipelines
	some step in _model_steps(pipeline)
	not _from_packages(step)
	violation := {
		"resource": pipeline.urn,
		"message": sprintf("Batch pipeline %s step %s must create its model from a registered model package version (ModelPackageName ending in /<version>)", [pipeline.name, step.Name]),
	}
}

deny contains violation if {
	some pipeline in _batch_pipelines
	pinned := _pinned(pipeline)
	some package_arn in _packages(pipeline)
	_version(package_arn) != pinned
	violation := {
		"resource": pipeline.urn,
		"message": sprintf("Batch pipeline %s must transform with model package version %v, the version its spec pins (found %s)", [pipeline.name, pinned, package_arn]),
	}
}

_batch_pipelines contains pipeline if {
	lib.parameters.require_approved_package == true
	some pipeline in lib.resources_of("aws:sagemaker/pipeline:Pipeline")
	some step in lib.pipeline_steps(pipeline)
	step.Type == "Transform"
}

_model_steps(pipeline) := [step | some step in lib.pipeline_steps(pipeline); step.Type == "Model"]

_containers(step) := array.concat(
	[container | container := lib.value_at(step, ["Arguments", "PrimaryContainer"]); container != null],
	[container | some container in lib.array_at(step, ["Arguments", "Containers"])],
)

# Every container of the step, and at least one, serves a versioned model package.
_from_packages(step) if {
	containers := _containers(step)
	count(containers) > 0
	every container in containers {
		regex.match(_versioned_package, lib.string_at(container, ["ModelPackageName"]))
	}
}

# The versioned model packages the pipeline's Model steps create models from.
_packages(pipeline) := {package_arn |
	some step in _model_steps(pipeline)
	some container in _containers(step)
	package_arn := lib.string_at(container, ["ModelPackageName"])
	regex.match(_versioned_package, package_arn)
}

_version(package_arn) := to_number(regex.replace(package_arn, `^.*/`, ""))

_pinned(pipeline) := pinned if {
	pinned := lib.value_at(lib.model_spec(pipeline.model), ["registry", "pinned_version"])
	is_number(pinned)
}
