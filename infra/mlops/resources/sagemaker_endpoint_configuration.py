"""aws:sagemaker/endpointConfiguration:EndpointConfiguration — variants, data capture, KMS (CreateEndpointConfig)."""

from __future__ import annotations

from .base import TF, Call, Fields, Read, ResourceType, Rule, Via

# The configuration's lists of variants, as planned (pulumi input) and as DescribeEndpointConfig
# answers them: the production variants, then the shadow variants.
VARIANT_LISTS: tuple[tuple[str, str], ...] = (
    ("productionVariants", "ProductionVariants"),
    ("shadowProductionVariants", "ShadowProductionVariants"),
)
VARIANT_FIELDS: Fields = (
    ("instanceType", "InstanceType", "exact"),
    ("initialInstanceCount", "InitialInstanceCount", "number"),
    ("initialVariantWeight", "InitialVariantWeight", "number"),
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

# What changing the variants does to the endpoint, which moves to the replacement configuration in
# place (UpdateEndpoint): SageMaker deploys every configuration to a fresh fleet, blue/green.
WEIGHT_NOTE = (
    "initialVariantWeight changes: a traffic shift between the same variants — a new endpoint configuration with the "
    "same models, instance types and counts, which the endpoint moves to in place; SageMaker also shifts weights on "
    "the running instances with UpdateEndpointWeightsAndCapacities, without a new configuration or deployment"
)
SHADOW_WEIGHT_NOTE = (
    "shadow initialVariantWeight changes: the share of the production variant's requests copied to the shadow "
    "changes (its weight over the production variant's); the models and instances stay the same"
)
VARIANT_NOTES = (
    "variant {key} is added: SageMaker provisions a new model and instances for it, then routes its weight's share "
    "of the requests to it",
    "variant {key} is removed: its share of the requests moves to the remaining variants, then its instances are "
    "drained and terminated",
)
SHADOW_NOTES = (
    "shadow variant {key} is added: SageMaker provisions its model and instances and copies requests to it; "
    "callers still get only the production variant's answers",
    "shadow variant {key} is removed: requests are no longer copied to it and its instances are terminated",
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
        # SageMaker identifies variants by name (autoscaling targets, metrics, UpdateEndpointWeightsAndCapacities).
        keyed={"productionVariants": "variantName", "shadowProductionVariants": "variantName"},
        update_notes={
            "productionVariants[*].initialVariantWeight": WEIGHT_NOTE,
            "shadowProductionVariants[*].initialVariantWeight": SHADOW_WEIGHT_NOTE,
        },
        item_notes={"productionVariants": VARIANT_NOTES, "shadowProductionVariants": SHADOW_NOTES},
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
