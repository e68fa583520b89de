"""aws:sagemaker/endpointConfiguration:EndpointConfiguration — variants, data capture, KMS (CreateEndpointConfig)."""

from __future__ import annotations

from .base import TF, Call, Fields, Read, ResourceType, Rule, Via

VARIANT_FIELDS: Fields = (
    ("instanceType", "InstanceType", "exact"),
    ("initialInstanceCount", "InitialInstanceCount", "number"),
    ("modelName", "ModelName", "name"),
    ("serverlessConfig.memorySizeInMb", "ServerlessConfig.MemorySizeInMB", "number"),
    ("serverlessConfig.maxConcurrency", "ServerlessConfig.MaxConcurrency", "number"),
)
FIELDS: Fields = (
    ("kmsKeyArn", "KmsKeyId", "exact"),
    ("dataCaptureConfig.enableCapture", "DataCaptureConfig.EnableCapture", "exact"),
    ("dataCaptureConfig.initialSamplingPercentage", "DataCaptureConfig.InitialSamplingPercentage", "number"),
    ("dataCaptureConfig.destinationS3Uri", "DataCaptureConfig.DestinationS3Uri", "exact"),
    ("dataCaptureConfig.kmsKeyId", "DataCaptureConfig.KmsKeyId", "exact"),
    ("asyncInferenceConfig.outputConfig.s3OutputPath", "AsyncInferenceConfig.OutputConfig.S3OutputPath", "exact"),
    ("asyncInferenceConfig.outputConfig.kmsKeyId", "AsyncInferenceConfig.OutputConfig.KmsKeyId", "exact"),
    (
        "asyncInferenceConfig.clientConfig.maxConcurrentInvocationsPerInstance",
        "AsyncInferenceConfig.ClientConfig.MaxConcurrentInvocationsPerInstance",
        "number",
    ),
)

RESOURCE = ResourceType(
    token="aws:sagemaker/endpointConfiguration:EndpointConfiguration",
    spec_path=("serving",),
    # internal/service/sagemaker/endpoint_configuration.go: every argument but tags is ForceNew
    # (SageMaker has no UpdateEndpointConfig); CloudFormation AWS::SageMaker::EndpointConfig
    # lists every property but Tags as createOnly.
    replacement=Rule(
        source=f"{TF}: internal/service/sagemaker/endpoint_configuration.go every argument but tags ForceNew",
        immutable_except=("tags",),
        name_inputs=("name", "namePrefix"),
        unordered=(
            "dataCaptureConfig.captureContentTypeHeader.csvContentTypes",
            "dataCaptureConfig.captureContentTypeHeader.jsonContentTypes",
            "asyncInferenceConfig.outputConfig.notificationConfig.includeInferenceResponseIns",
        ),
    ),
    # resourceEndpointConfigurationCreate: kms_key_arn → KmsKeyId; the name is Pulumi's auto-name.
    calls=(
        Call(
            "sagemaker",
            "CreateEndpointConfig",
            renames={"name": "EndpointConfigName", "kmsKeyArn": "KmsKeyId"},
            omit=("namePrefix",),
            generated=("EndpointConfigName",),
        ),
    ),
    verify={"resource": FIELDS, "variant": VARIANT_FIELDS},
    read=Read(
        "sagemaker",
        "DescribeEndpointConfig",
        # DescribeEndpointConfig answers these only when the configuration has them.
        unset_when_absent=("dataCaptureConfig", "asyncInferenceConfig", "kmsKeyArn"),
        by={"EndpointConfigName": Via("aws:sagemaker/endpoint:Endpoint", input="endpointConfigName", path="EndpointConfigName")},
    ),
)
