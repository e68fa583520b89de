"""CrossGuard entry point: one Pulumi policy per Rego policy, evaluated by the same gate as `mlops plan`.

Set MLOPS_STACK to the stack being deployed (for example `MLOPS_STACK=prod pulumi up --stack prod
--policy-pack policies`); MLOPS_OPA_URL selects an OPA server instead of the embedded engine.
"""

from pathlib import Path

from pulumi_policy import PolicyPack

from mlops.governance.crossguard import build_policies

PolicyPack(name="mlops-governance", policies=build_policies(Path(__file__).resolve().parent.parent))
