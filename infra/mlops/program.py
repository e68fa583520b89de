"""The Pulumi program: the platform base and one ModelStack per model, from loaded inputs."""

from __future__ import annotations

from pathlib import Path

import pulumi

from . import config, sagemaker_adapter
from .components.model_stack import Images, ModelStack, ModelStackArgs
from .components.platform import Platform, PlatformArgs
from .errors import InputError
from .program_inputs import ProgramInputs, provided
from .specs.loader import LoadedSpec, load_specs
from .specs.model import ModelSpec


def resolve_images(loaded: list[LoadedSpec], region: str) -> dict[str, Images]:
    """Every model's images, resolved before any resource is declared; unknown versions are input errors."""
    monitor = sagemaker_adapter.model_monitor_image(region)
    images, problems = {}, []
    for item in loaded:
        try:
            images[item.spec.name] = Images(
                training=sagemaker_adapter.training_image(item.spec, region),
                inference=sagemaker_adapter.inference_image(item.spec, region),
                monitor=monitor,
                clarify=sagemaker_adapter.clarify_image(region) if uses_clarify(item.spec) else None,
            )
        except sagemaker_adapter.ImageLookupError as e:
            problems.append(f"{item.source}: training.framework_version: no SageMaker image in {region}: {e}")
    if problems:
        raise InputError("unknown framework images", problems=problems)
    return images


def uses_clarify(spec: ModelSpec) -> bool:
    """Whether a job of the model runs in SageMaker Clarify's image: a bias or attribution monitor, a pipeline bias check."""
    monitoring, check = spec.monitoring, spec.training.checks.bias
    return any(m is not None and m.enabled for m in (monitoring.bias, monitoring.explainability)) or (
        check is not None and check.enabled
    )


def define_stack(project_dir: Path) -> None:
    """The entry point's whole work: under `pulumi up` it loads the stack config and specs itself."""
    inputs = provided()
    if inputs is None:
        stack = config.stack_config()
        inputs = ProgramInputs.whole_stack(stack, load_specs(project_dir / stack.models_dir, stack.environment, stack.name_prefix))
    declare(inputs)


def declare(inputs: ProgramInputs) -> None:
    stack, loaded = inputs.stack, inputs.specs
    images = resolve_images(loaded, stack.region)
    platform = Platform("platform", PlatformArgs(stack=stack, tags=inputs.platform_tags))
    endpoints = {}
    for item in loaded:
        model = ModelStack(
            item.spec.name,
            ModelStackArgs(spec=item.spec, stack=stack, platform=platform.outputs, images=images[item.spec.name]),
        )
        endpoints[item.spec.name] = model.endpoint_name
    pulumi.export("environment", stack.environment)
    pulumi.export("kmsKeyArn", platform.outputs.key_arn)
    pulumi.export("alertTopicArn", platform.outputs.topic_arn)
    pulumi.export("endpoints", endpoints)
