"""aws:sagemaker/pipeline:Pipeline — a SageMaker Pipelines pipeline (CreatePipeline), and its steps'
arguments as the API requests SageMaker makes from them when the pipeline runs."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from . import api
from .base import AT_EXECUTION, GENERATED, TF, Call, PlannedRequest, Read, ResourceType, Rule

# Step type → the API operation whose request the step's `Arguments` are (SageMaker Pipelines
# passes them through, filling in the job name). The check steps run their analysis as a
# processing job whose request is their `Arguments`; their own keys (CheckType, SkipCheck, the
# baselines) sit beside `Arguments` and are Pipelines' alone. Condition, Fail, Lambda, Callback and
# EMR steps are not API requests of their own.
STEP_OPERATIONS: dict[str, tuple[str, str]] = {
    "Processing": ("CreateProcessingJob", "ProcessingJobName"),
    "QualityCheck": ("CreateProcessingJob", "ProcessingJobName"),
    "ClarifyCheck": ("CreateProcessingJob", "ProcessingJobName"),
    "Training": ("CreateTrainingJob", "TrainingJobName"),
    "Transform": ("CreateTransformJob", "TransformJobName"),
    "Tuning": ("CreateHyperParameterTuningJob", "HyperParameterTuningJobName"),
    "Model": ("CreateModel", "ModelName"),
    "RegisterModel": ("CreateModelPackage", "ModelPackageName"),
}


def _resolve(value: Any, parameters: Mapping[str, Any]) -> Any:
    """A step argument with pipeline expressions replaced: a parameter by its default, anything
    else known only when the pipeline runs by the AT_EXECUTION stand-in."""
    if isinstance(value, dict):
        if set(value) == {"Get"} and isinstance(value["Get"], str):
            name = value["Get"].removeprefix("Parameters.")
            if value["Get"].startswith("Parameters.") and name in parameters:
                return parameters[name]
            return AT_EXECUTION
        if len(value) == 1 and next(iter(value)).startswith("Std:"):
            if next(iter(value)) == "Std:Join":
                body = value["Std:Join"]
                parts = [_resolve(v, parameters) for v in body.get("Values", [])] if isinstance(body, dict) else []
                if parts and all(isinstance(p, (str, int, float)) and p != AT_EXECUTION for p in parts):
                    return str(body.get("On", "")).join(str(p) for p in parts)
            return AT_EXECUTION
        return {k: _resolve(v, parameters) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, parameters) for v in value]
    return value


def step_requests(inputs: Mapping[str, Any]) -> list[PlannedRequest]:
    """Each API-backed step of the pipeline definition as the request SageMaker makes for it."""
    text = inputs.get("pipelineDefinition")
    if not isinstance(text, str):
        return []
    try:
        definition = json.loads(text)
    except ValueError:
        return []  # CreatePipeline's own check reports a definition that is not JSON
    parameters = {
        p["Name"]: p["DefaultValue"]
        for p in definition.get("Parameters") or []
        if isinstance(p, dict) and "Name" in p and "DefaultValue" in p
    }
    planned = []
    for index, step in enumerate(definition.get("Steps") or []):
        if not isinstance(step, dict) or step.get("Type") not in STEP_OPERATIONS:
            continue
        operation, name_member = STEP_OPERATIONS[step["Type"]]
        params = _resolve(step.get("Arguments") or {}, parameters)
        if not isinstance(params, dict):
            continue
        params = {name_member: GENERATED, **params} if step["Type"] != "RegisterModel" else params
        origins = {path: ("pipelineDefinition", "Steps", index, "Arguments", *path) for path, _ in api.leaves(params)}
        planned.append(
            PlannedRequest(
                api.Request("sagemaker", operation, params, origins),
                context=f"pipeline step {step.get('Name', index)} ({step['Type']})",
            )
        )
    return planned


RESOURCE = ResourceType(
    token="aws:sagemaker/pipeline:Pipeline",
    spec_path=("training",),
    # internal/service/sagemaker/pipeline.go: only pipeline_name is ForceNew; the definition,
    # display name, description and role go through UpdatePipeline.
    replacement=Rule(
        source=f"{TF}: internal/service/sagemaker/pipeline.go ForceNew pipeline_name",
        force_new=("pipelineName", "region"),
        name_inputs=("pipelineName",),
    ),
    # resourcePipelineCreate sends a fresh ClientRequestToken.
    calls=(Call("sagemaker", "CreatePipeline", generated=("ClientRequestToken",)),),
    more_requests=step_requests,
    read=Read("sagemaker", "DescribePipeline", by={"PipelineName": "pipelineName"}),
)
