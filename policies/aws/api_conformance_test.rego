package mlops.aws.api_conformance_test

import rego.v1

import data.mlops.aws.api_conformance
import data.mlops.lib.fixtures_test as fixtures

_config := "urn:pulumi:dev::mlops-platform::mlops:model:ModelStack$mlops:sagemaker:Serving$aws:sagemaker/endpointConfiguration:EndpointConfiguration::fraud-detector-serving-config"

_pipeline := "urn:pulumi:dev::mlops-platform::mlops:model:ModelStack$mlops:sagemaker:TrainingPipeline$aws:sagemaker/pipeline:Pipeline::fraud-detector-training-pipeline"

_with(section) := object.union(fixtures.stack, {"conformance": object.union(
	{"control": "aws-api-conformance", "coverage": {}, "violations": [], "unverified": []},
	section,
)})

_instance_type := {
	"resource": _config, "model": "fraud-detector", "service": "sagemaker", "operation": "CreateEndpointConfig",
	"context": "", "field": "ProductionVariants[0].InstanceType", "input": "productionVariants[0].instanceType",
	"rule": "one of ml.m5.xlarge, ml.m5.large, … (277 values)", "value": "\"ml.m5.bogus\"",
	"spec_field": "serving.instance_type",
}

_hyperparameters := {
	"resource": _pipeline, "model": "fraud-detector", "service": "sagemaker", "operation": "CreateTrainingJob",
	"context": "pipeline step Train (Training)", "field": "HyperParameters", "input": null,
	"rule": "at most 100 entries", "value": "a map of 101", "spec_field": null,
}

test_conforming_requests_allowed if {
	count(api_conformance.deny) == 0 with input as _with({})
	count(api_conformance.unverified) == 0 with input as _with({})
	count(api_conformance.deny) == 0 with input as fixtures.stack
}

test_spec_value_aws_refuses_denied if {
	denied := api_conformance.deny with input as _with({"violations": [_instance_type]})
	denied == {{
		"resource": _config,
		"message": "serving.instance_type: CreateEndpointConfig ProductionVariants[0].InstanceType (input productionVariants[0].instanceType) = \"ml.m5.bogus\": one of ml.m5.xlarge, ml.m5.large, … (277 values); AWS refuses the request (botocore sagemaker model)",
	}}
}

test_pipeline_step_argument_denied if {
	denied := api_conformance.deny with input as _with({"violations": [_hyperparameters]})
	denied == {{
		"resource": _pipeline,
		"message": "CreateTrainingJob HyperParameters in pipeline step Train (Training) = a map of 101: at most 100 entries; AWS refuses the request (botocore sagemaker model)",
	}}
}

test_every_finding_denied if {
	count(api_conformance.deny) == 2 with input as _with({"violations": [_instance_type, _hyperparameters]})
}

test_untranslated_inputs_unverified if {
	doc := _with({"unverified": [{
		"resource": _config, "inputs": ["shadowProductionVariants[0].variantName"], "count": 1,
		"reason": "the catalogue entry for aws:sagemaker/endpointConfiguration:EndpointConfiguration has no API member for these inputs",
	}]})
	api_conformance.unverified == {{
		"resource": _config,
		"message": "1 input value(s) not checked against AWS's API model (shadowProductionVariants[0].variantName): the catalogue entry for aws:sagemaker/endpointConfiguration:EndpointConfiguration has no API member for these inputs",
	}} with input as doc
	count(api_conformance.deny) == 0 with input as doc
}
