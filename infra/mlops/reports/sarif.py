"""The policy report as SARIF 2.1.0, for code-scanning tools.

One rule per policy, one result per finding, located in the model spec (or stack file) line
that caused it, so a code host annotates the pull request where the fix goes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from . import view

SARIF_VERSION = "2.1.0"
# The `$id` of the OASIS schema of SARIF 2.1.0.
SARIF_SCHEMA = "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json"
# The tool's home page, for `tool.driver.informationUri`; left out while the project has none.
INFORMATION_URI: str | None = None
SRCROOT = "%SRCROOT%"
FINGERPRINT = "mlopsFinding/v1"
DEFAULT_LEVEL = {"mandatory": "error", "advisory": "warning", "disabled": "none"}


def _help(policy: Mapping[str, Any]) -> dict[str, str]:
    controls = ", ".join(policy["controls"]) or "none"
    if policy["waivable"]:
        waive = (
            f"To waive: add an entry to policies/waivers.yaml with `policy: {policy['id']}`, a `model` or `resource` "
            "selector, optional `environments`, a `reason`, the `approver` and an `expires` date (YYYY-MM-DD)."
        )
    else:
        waive = "This policy cannot be waived: fix the finding."
    text = f"{policy['description']}\n\nControls: {controls}\n\nPolicy: {policy['path']}\n\n{waive}"
    markdown = (
        f"{policy['description']}\n\n**Controls:** {', '.join(f'`{c}`' for c in policy['controls']) or 'none'}\n\n"
        f"**Policy:** `{policy['path']}`\n\n{waive}"
    )
    return {"text": text, "markdown": markdown}


def _rule(policy: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": policy["id"],
        "name": "".join(part.capitalize() for part in policy["id"].split("-")),
        "shortDescription": {"text": policy["title"]},
        "fullDescription": {"text": policy["description"]},
        "help": _help(policy),
        "defaultConfiguration": {"level": DEFAULT_LEVEL[policy["enforcement"]], "enabled": policy["enforcement"] != "disabled"},
        "properties": {
            "tags": sorted(set(policy["controls"])),
            "severity": policy["severity"],
            "enforcement": policy["enforcement"],
            "waivable": policy["waivable"],
        },
    }


def fingerprint(policy_id: str, urn: str) -> str:
    """Stable across runs and commits: the same policy on the same resource is the same alert."""
    return hashlib.sha256(f"{policy_id}\0{urn}".encode()).hexdigest()


def _result(finding: view.Finding, rule_index: int) -> dict[str, Any]:
    item = finding.item
    outcome = finding.outcome
    level = {"fail": "error", "advisory": "warning", "unverified": "warning", "waived": "note"}[outcome]
    # SARIF allows a level other than "none" only on kind "fail" (the default), so an unverified
    # finding is a warning whose message and `outcome` property say it could not be checked.
    prefix = {"waived": "Waived: "}.get(outcome, "Could not verify: " if finding.unverified else "")
    result: dict[str, Any] = {
        "ruleId": item["policy_id"],
        "ruleIndex": rule_index,
        "level": level,
        "message": {"text": f"{prefix}{item['message']}"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": item["location"]["file"], "uriBaseId": SRCROOT},
                    "region": {"startLine": item["location"]["line"]},
                },
                "logicalLocations": [
                    {"name": view.resource_name(item["resource"]), "fullyQualifiedName": item["resource"], "kind": "resource"}
                ],
            }
        ],
        "partialFingerprints": {FINGERPRINT: fingerprint(item["policy_id"], item["resource"])},
        "properties": {
            "outcome": outcome,
            "severity": item["severity"],
            "enforcement": item["enforcement"],
            "blocking": item["blocking"],
            "model": item["model"],
            "tags": sorted(set(item["controls"])),
        },
    }
    waiver = item.get("waiver")
    if waiver:
        result["suppressions"] = [
            {
                "kind": "external",
                "state": "accepted",
                "justification": f"{waiver['reason']} (approved by {waiver['approver']}, expires {waiver['expires']})",
                "properties": {"approver": waiver["approver"], "expires": waiver["expires"], "source": waiver["source"]},
            }
        ]
    return result


def sarif_document(report: Mapping[str, Any]) -> dict[str, Any]:
    meta = report["metadata"]
    policies = sorted(report["policies"], key=lambda p: p["id"])
    index = {p["id"]: i for i, p in enumerate(policies)}
    driver: dict[str, Any] = {
        "name": meta["tool"]["name"],
        "version": meta["tool"]["version"],
        "rules": [_rule(p) for p in policies],
    }
    if INFORMATION_URI:
        driver["informationUri"] = INFORMATION_URI
    results = [_result(f, index.get(f.item["policy_id"], -1)) for f in view.findings(report)]
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {"driver": driver},
                "automationDetails": {"id": f"mlops/{report['stack']}/"},
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "endTimeUtc": meta["generated_at"],
                        "properties": {"decision": report["decision"], "engine": report["engine"]},
                    }
                ],
                "results": results,
                "properties": {
                    "stack": report["stack"],
                    "environment": report["environment"],
                    "decision": report["decision"],
                    "commit": meta["git"]["commit"],
                    "dirty": meta["git"]["dirty"],
                    "sha256": meta["sha256"],
                },
            }
        ],
    }


def render_sarif(report: Mapping[str, Any]) -> str:
    return json.dumps(sarif_document(report), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
