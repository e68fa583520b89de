# METADATA
# title: Models and training jobs run with network isolation
# description: Checks whether every SageMaker model on provisioned instances and every training step of a pipeline enables network isolation, so their containers cannot make outbound network calls.
# custom:
#   id: sagemaker-network-isolation
#   severity: high
#   controls: [SOC2:CC6.6, ISO27001:A.8.22, NIST800-53:SC-7, NIST800-53:AC-4, HIPAA:164.312(e)(1)]
#   resource_types: [aws:sagemaker/model:Model, aws:sagemaker/pipeline:Pipeline]
#   waivable: true
package mlops.network.network_isolation

import rego.v1

import data.mlops.lib.resources as lib

# Models only serverless endpoints serve are exempt: Serverless Inference has no network isolation.
deny contains violation if {
	some model in lib.resources_of("aws:sagemaker/model:Model")
	not lib.serverless_model(model)
	not lib.true_at(model, ["inputs", "enableNetworkIsolation"])
	violation := {
		"resource": model.urn,
		"message": sprintf("SageMaker model %s must enable network isolation (enableNetworkIsolation)", [model.name]),
	}
}

# Processing steps are exempt: they commonly call AWS APIs (Athena queries of the offline
# feature store, for example), which network isolation blocks.
deny contains violation if {
	some pipeline in lib.resources_of("aws:sagemaker/pipeline:Pipeline")
	some job in lib.pipeline_jobs(pipeline)
	job.kind == "training"
	not job.network_isolation
	violation := {
		"resource": pipeline.urn,
		"message": sprintf("Pipeline %s step %s must enable network isolation (EnableNetworkIsolation)", [pipeline.name, job.step]),
	}
}
