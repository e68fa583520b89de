"""The stack's MLflow tracking server (`mlops:experimentTracking`): its artifact store, its own
role, the models' access to it and the training jobs' pointer to it."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

from mlops.plan import Plan, build_plan

from .conftest import REPO, copy_project, example_plan

SERVER = "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
PIPELINE = "aws:sagemaker/pipeline:Pipeline"
MODELS = ("churn-predictor", "fraud-detector", "ticket-router")
TRACKING = "  # A managed MLflow tracking server for the stack's experiments (SageMaker; pulumi-aws declares it).\n" \
           "  mlops:experimentTracking:\n    size: Small\n"
# The server's name at the mock runtime; a deployed server's ARN ends in its tracking server name.
def server_arn(stack: str) -> str:
    return f"arn:aws:sagemaker:eu-west-1:123456789012:mlflow-tracking-server/acme-{stack}-mlflow"


plan = example_plan


def of_type(built: Plan, type_token: str) -> list[dict]:
    return [r for r in built.resources if r["type"] == type_token]


def mlflow_actions() -> set[str]:
    """The sagemaker-mlflow IAM actions, from the IAM definitions parliament ships (read without
    importing parliament, whose import needs pkg_resources: see tests/test_iam_lint.py)."""
    package = Path(importlib.util.find_spec("parliament").origin).parent
    definitions = json.loads((package / "iam_definition.json").read_text(encoding="utf-8"))
    (service,) = [s for s in definitions if s["prefix"] == "sagemaker-mlflow"]
    return {f"sagemaker-mlflow:{p['privilege']}" for p in service["privileges"]}


def train_environment(built: Plan, model: str) -> dict | None:
    (pipeline,) = [r for r in of_type(built, PIPELINE) if r["name"] == f"{model}-training-pipeline"]
    steps = {s["Name"]: s for s in json.loads(pipeline["inputs"]["pipelineDefinition"])["Steps"]}
    return steps["Train"]["Arguments"].get("Environment")


def statements(policy: dict) -> dict[str, dict]:
    return {s["Sid"]: s for s in json.loads(policy["inputs"]["policy"])["Statement"]}


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_one_server_per_stack_stores_artifacts_in_the_artifacts_bucket(stack: str) -> None:
    built = plan(stack)
    (server,) = of_type(built, SERVER)
    inputs = server["inputs"]
    assert inputs["trackingServerName"] == f"acme-{stack}-mlflow"
    assert inputs["artifactStoreUri"] == f"s3://acme-{stack}-artifacts-mock/mlflow"
    assert inputs["trackingServerSize"] == "Small"
    assert inputs["automaticModelRegistration"] is False
    assert "mlflowVersion" not in inputs and "weeklyMaintenanceWindowStart" not in inputs
    assert server["model"] is None and server["tags"]["environment"] == stack
    (role,) = [r for r in of_type(built, ROLE) if r["urn"] in server["dependencies"]]
    assert inputs["roleArn"] == f"arn:aws:iam::123456789012:role/{role['inputs']['name']}"
    assert role["inputs"]["name"] == f"acme-{stack}-mlflow-server"
    trust = json.loads(role["inputs"]["assumeRolePolicy"])["Statement"]
    assert trust == [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    assert "managedPolicyArns" not in role["inputs"]


def test_server_role_reaches_only_the_artifact_prefix_and_the_key() -> None:
    built = plan("dev")
    (policy,) = [p for p in of_type(built, ROLE_POLICY) if p["name"] == "platform-mlflow-role-policy"]
    bucket = "arn:aws:s3:::acme-dev-artifacts-mock"
    assert statements(policy) == {
        "ArtifactObjects": {
            "Sid": "ArtifactObjects",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
            "Resource": [f"{bucket}/mlflow/*"],
        },
        "ArtifactPrefix": {
            "Sid": "ArtifactPrefix",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": [bucket],
            "Condition": {"StringLike": {"s3:prefix": ["mlflow/*", "mlflow"]}},
        },
        "BucketLocation": {"Sid": "BucketLocation", "Effect": "Allow", "Action": ["s3:GetBucketLocation"], "Resource": [bucket]},
        "KeyUse": {
            "Sid": "KeyUse",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
            "Resource": ["arn:aws:kms:eu-west-1:123456789012:key/mock-platform-key"],
        },
    }
    # The server is created once its role may reach the artifact store.
    (server,) = of_type(built, SERVER)
    assert policy["urn"] in server["dependencies"]


@pytest.mark.parametrize("model", MODELS)
def test_model_roles_log_runs_to_the_stack_server_only(model: str) -> None:
    built = plan("dev")
    (policy,) = [p for p in of_type(built, ROLE_POLICY) if p["model"] == model and p["name"].endswith("execution-policy")]
    tracking = statements(policy)["ExperimentTracking"]
    assert tracking["Resource"] == [server_arn("dev")]
    assert set(tracking["Action"]) <= mlflow_actions()
    assert {"sagemaker-mlflow:CreateRun", "sagemaker-mlflow:LogBatch", "sagemaker-mlflow:UpdateRun"} <= set(tracking["Action"])


@pytest.mark.parametrize("model", MODELS)
def test_training_jobs_are_given_the_tracking_server(model: str) -> None:
    assert train_environment(plan("prod"), model) == {"MLFLOW_TRACKING_ARN": server_arn("prod")}


def _project(tmp_path: Path, settings: str) -> Path:
    """A dev project of the ticket-router alone, with `settings` in place of the stack's tracking settings."""
    project = copy_project(tmp_path / "project", models=False)
    shutil.copy(REPO / "models" / "ticket-router.yaml", project / "models" / "ticket-router.yaml")
    stack = project / "Pulumi.dev.yaml"
    text = stack.read_text(encoding="utf-8")
    assert TRACKING in text
    stack.write_text(text.replace(TRACKING, settings), encoding="utf-8")
    return project


def test_no_server_without_experiment_tracking(tmp_path: Path) -> None:
    built = build_plan(_project(tmp_path, ""), "dev")
    assert of_type(built, SERVER) == []
    assert not [r for r in built.resources if "mlflow" in r["urn"]]
    (policy,) = [p for p in of_type(built, ROLE_POLICY) if p["name"].endswith("execution-policy")]
    assert "ExperimentTracking" not in statements(policy)
    assert train_environment(built, "ticket-router") is None
    # The definition is the one the stack with tracking builds, less the variable.
    assert train_environment(plan("dev"), "ticket-router") is not None
    (with_tracking,) = [r for r in of_type(plan("dev"), PIPELINE) if r["name"] == "ticket-router-training-pipeline"]
    (without,) = of_type(built, PIPELINE)
    expected = json.loads(with_tracking["inputs"]["pipelineDefinition"])
    (train,) = [s for s in expected["Steps"] if s["Name"] == "Train"]
    del train["Arguments"]["Environment"]
    assert json.loads(without["inputs"]["pipelineDefinition"]) == expected


def test_server_settings_come_from_the_stack(tmp_path: Path) -> None:
    settings = (
        "  mlops:experimentTracking:\n    size: Medium\n    mlflowVersion: 2.16.2\n"
        "    automaticModelRegistration: true\n    weeklyMaintenanceWindowStart: Tue:03:30\n"
    )
    built = build_plan(_project(tmp_path, settings), "dev")
    (server,) = of_type(built, SERVER)
    assert {k: server["inputs"][k] for k in ("trackingServerSize", "mlflowVersion", "automaticModelRegistration", "weeklyMaintenanceWindowStart")} == {
        "trackingServerSize": "Medium",
        "mlflowVersion": "2.16.2",
        "automaticModelRegistration": True,
        "weeklyMaintenanceWindowStart": "Tue:03:30",
    }
    # Registering MLflow models in the SageMaker registry needs the stack's package groups, no more.
    (policy,) = [p for p in of_type(built, ROLE_POLICY) if p["name"] == "platform-mlflow-role-policy"]
    registration = statements(policy)["AutomaticModelRegistration"]
    assert registration["Resource"] == [
        "arn:aws:sagemaker:eu-west-1:123456789012:model-package-group/acme-dev-*",
        "arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-dev-*",
    ]
    assert all(action.startswith("sagemaker:") and "*" not in action for action in registration["Action"])
