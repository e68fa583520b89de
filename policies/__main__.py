"""CrossGuard entry point: one Pulumi policy per Rego policy (and a per-resource one for each
resource-local policy), evaluated by the same gate as `mlops plan`.

The stack is the one Pulumi deploys (`pulumi up --stack prod --policy-pack policies`); MLOPS_STACK,
if set, must name the same stack. MLOPS_OPA_URL selects an OPA server instead of the embedded engine.
"""

from pathlib import Path

from pulumi_policy import PolicyPack

from mlops.governance.crossguard import build_policies

PolicyPack(name="mlops-governance", policies=build_policies(Path(__file__).resolve().parent.parent))
