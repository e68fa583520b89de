"""The policy report as JUnit XML, for CI test dashboards.

One `<testsuite>` per enforced policy, one `<testcase classname="<policy id>" name="<URN>">` per
check (policy × resource). The failure model is the gate's: a test case fails exactly when its
check blocks the gate, so the dashboard is red exactly when the gate is.

- blocking finding → `<failure>`;
- waived → `<skipped>` naming the approver, the expiry and the reason;
- unverified (facts missing, not blocking) → `<skipped>` with the reason it could not be checked;
- advisory → passes, with the finding in `<system-out>` (reported, never failing CI);
- no finding → passes.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from . import view

# Characters XML 1.0 cannot carry, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: Any) -> str:
    return _NOT_XML.sub("\ufffd", str(value))


def _element(parent: ET.Element, tag: str, text: str | None = None, **attributes: Any) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: _text(v) for k, v in attributes.items()})
    if text is not None:
        element.text = _text(text)
    return element


def _case(suite: ET.Element, check: Mapping[str, Any], found: list[view.Finding]) -> str:
    case = _element(suite, "testcase", classname=check["policy_id"], name=check["resource"], time="0")
    outcome = check["outcome"]
    details = "\n".join(f"{f.item['message']} (fix in {f.location})" for f in found)
    if outcome == "fail":
        blocking = [f for f in found if f.outcome == "fail"] or found
        _element(case, "failure", details, message=blocking[0].item["message"] if blocking else "blocking finding", type="blocking")
    elif outcome == "waived":
        waiver = next((f.item["waiver"] for f in found if f.item.get("waiver")), None)
        reason = (
            f"waived by {waiver['approver']} until {waiver['expires']}: {waiver['reason']}" if waiver else "waived"
        )
        _element(case, "skipped", message=reason)
    elif outcome == "unverified":
        _element(case, "skipped", message="unverified: " + (found[0].item["message"] if found else "facts unavailable"))
    elif outcome == "advisory":
        _element(case, "system-out", "advisory: " + details)
    return outcome


def render_junit(report: Mapping[str, Any]) -> str:
    by_check = view.messages_by_check(report)
    checks_by_policy: dict[str, list[Mapping[str, Any]]] = {}
    for check in report["checks"]:
        checks_by_policy.setdefault(check["policy_id"], []).append(check)
    timestamp = report["metadata"]["generated_at"].removesuffix("Z")
    root = ET.Element("testsuites", {"name": _text(f"mlops policy gate: {report['stack']}")})
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for policy in sorted(report["policies"], key=lambda p: p["id"]):
        if policy["enforcement"] == "disabled":
            continue
        suite = _element(root, "testsuite", name=policy["id"], timestamp=timestamp, hostname="mlops")
        properties = _element(suite, "properties")
        for name, value in (
            ("title", policy["title"]),
            ("severity", policy["severity"]),
            ("enforcement", policy["enforcement"]),
            ("controls", " ".join(policy["controls"])),
            ("path", policy["path"]),
        ):
            _element(properties, "property", name=name, value=value)
        counts = {"tests": 0, "failures": 0, "skipped": 0}
        for check in sorted(checks_by_policy.get(policy["id"], []), key=lambda c: c["resource"]):
            outcome = _case(suite, check, by_check.get((check["policy_id"], check["resource"]), []))
            counts["tests"] += 1
            counts["failures"] += outcome == "fail"
            counts["skipped"] += outcome in ("waived", "unverified")
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("errors", "0")
        suite.set("time", "0")
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("errors", "0")
    root.set("time", "0")
    ET.indent(root)
    buffer = io.BytesIO()
    ET.ElementTree(root).write(buffer, encoding="UTF-8", xml_declaration=True)
    return buffer.getvalue().decode("utf-8") + "\n"
