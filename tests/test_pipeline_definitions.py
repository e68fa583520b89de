"""The SageMaker SDK 2.x still builds the examples' pipeline definitions byte for byte under the
`packaging` release that pyproject's uv override admits beyond the SDK's declared cap.

The fixtures were first captured with the SDK on the `packaging` it declares (24.2); any change in
what the SDK emits on the newer `packaging` shows up here as a changed step argument. The steps
added since (the data-quality and bias checks, the tracking server's environment, the batch
pipelines) were captured on the overridden `packaging`: for them this guards against any change
in what the SDK emits, not against the override itself.
"""

from __future__ import annotations

import json
from importlib.metadata import version

import pytest

from .conftest import REPO, example_plan

FIXTURES = REPO / "tests" / "fixtures" / "pipelines"
PIPELINE = "aws:sagemaker/pipeline:Pipeline"


def test_the_override_is_what_runs() -> None:
    assert int(version("packaging").split(".")[0]) >= 26
    assert version("sagemaker").startswith("2.")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_pipeline_definitions_unchanged(stack: str) -> None:
    plan = example_plan(stack)
    built = {
        r["name"].removesuffix("-training-pipeline").removesuffix("-pipeline"): json.loads(r["inputs"]["pipelineDefinition"])
        for r in plan.resources
        if r["type"] == PIPELINE
    }
    expected = json.loads((FIXTURES / f"{stack}.json").read_text(encoding="utf-8"))
    assert sorted(built) == sorted(expected) == ["churn-predictor", "churn-predictor-batch", "fraud-detector", "ticket-router"]
    for model, definition in expected.items():
        assert built[model] == definition, model
