# METADATA
# title: SageMaker models run in the stack's VPC
# description: Checks whether every SageMaker model on provisioned instances sets a VPC configuration with subnets and security groups where the environment requires a VPC and the stack has one.
# custom:
#   id: model-vpc-config
#   severity: high
#   controls: [SOC2:CC6.6, ISO27001:A.8.20, ISO27001:A.8.22, NIST800-53:SC-7, HIPAA:164.312(e)(1)]
#   resource_types: [aws:sagemaker/model:Model]
#   waivable: true
package mlops.network.model_vpc

import rego.v1

import data.mlops.lib.resources as lib

# Models only serverless endpoints serve are exempt: Serverless Inference has no VPC configuration.
deny contains violation if {
	lib.vpc_required
	some model in lib.resources_of("aws:sagemaker/model:Model")
	not lib.serverless_model(model)
	not _in_vpc(model)
	violation := {
		"resource": model.urn,
		"message": sprintf("SageMaker model %s must run in the stack's VPC (vpcConfig with subnets and security groups)", [model.name]),
	}
}

_in_vpc(model) if {
	count(lib.array_at(model, ["inputs", "vpcConfig", "subnets"])) > 0
	count(lib.array_at(model, ["inputs", "vpcConfig", "securityGroupIds"])) > 0
}
