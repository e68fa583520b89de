"""The policy report as one self-contained HTML page for auditors.

No scripts, no external stylesheets, fonts or images, no links leaving the page: it can be
archived, mailed or opened offline years later and still show the same thing. Every value
from the report is escaped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

from . import view

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;margin:2rem auto;max-width:1200px;padding:0 1rem}
h1{font-size:1.6rem;margin:0 0 .5rem}h2{border-bottom:1px solid #d0d7de;padding-bottom:.3rem;margin-top:2rem}
h3{margin-top:1.5rem}table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}
th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:#f6f8fa}
td.urn,code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px;word-break:break-all}
.decision{display:inline-block;font-weight:700;font-size:1.2rem;padding:.2rem .8rem;border-radius:4px}
.outcome{font-weight:600;white-space:nowrap}
.fail{background:#ffebe9;color:#82071e}.pass{background:#dafbe1;color:#116329}
.advisory{background:#fff8c5;color:#7d4e00}.waived{background:#ddf4ff;color:#0550ae}
.unverified,.not-evaluated{background:#eaeef2;color:#424a53}.pass-unverified{background:#fff8c5;color:#7d4e00}
details{margin:.3rem 0;border:1px solid #d0d7de;border-radius:4px;padding:.3rem .6rem}
summary{cursor:pointer}dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}
dl.facts dt{font-weight:600}dl.facts dd{margin:0}
"""


def _e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def _css_class(outcome: str) -> str:
    return outcome.replace(" ", "-")


def _outcome(outcome: str) -> str:
    return f'<span class="outcome {_css_class(outcome)}">{_e(outcome)}</span>'


def _table(headers: Iterable[str], rows: Iterable[Iterable[str]], css: str = "") -> str:
    """Rows are already-escaped HTML fragments."""
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    attr = f' class="{css}"' if css else ""
    return f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _code(value: Any) -> str:
    return f"<code>{_e(value)}</code>"


def _header(report: Mapping[str, Any]) -> str:
    meta = report["metadata"]
    git = meta["git"]
    tree = "not in a git repository" if git["dirty"] is None else ("uncommitted changes" if git["dirty"] else "clean")
    facts = [
        ("Stack", _e(report["stack"])),
        ("Environment", _e(report["environment"])),
        ("Project", _e(meta["project"])),
        ("Commit", _code(git["commit"]) if git["commit"] else "not in a git repository"),
        ("Branch", _e(git["branch"] or "unknown")),
        ("Working tree", _e(tree)),
        ("Generated (UTC)", _e(meta["generated_at"])),
        ("Tool", _e(f"{meta['tool']['name']} {meta['tool']['version']}")),
        ("Policy engine", _e(report["engine"])),
        ("Policies evaluated", _e(report["policies_evaluated"])),
        ("Unverified controls fail the gate", "yes" if report["require_verified"] else "no"),
        ("Policy bundle SHA-256", _code(meta["sha256"]["policy_bundle"])),
        ("Model specs SHA-256", _code(meta["sha256"]["specs"])),
        ("Stack file SHA-256", _code(meta["sha256"]["stack_file"] or "none")),
        ("Plan SHA-256", _code(meta["sha256"]["plan"])),
    ]
    items = "".join(f"<dt>{_e(k)}</dt><dd>{v}</dd>" for k, v in facts)
    decision = report["decision"]
    coverage = view.conformance_coverage(report)
    return (
        f"<header><h1>Policy report: stack {_e(report['stack'])}</h1>"
        f'<p>Decision: <span id="decision" class="decision {_css_class(decision)}">{_e(view.decision_words(report))}</span></p>'
        f'<p id="summary">{_e(view.summary_counts(report))}.</p>'
        + (f'<p id="conformance">{_e(coverage)}.</p>' if coverage else "")
        + f'<dl class="facts">{items}</dl></header>'
    )


def _evidence_rows(checks: list[Mapping[str, Any]], by_check: Mapping[tuple[str, str], list[view.Finding]]) -> list[list[str]]:
    rows = []
    for check in sorted(checks, key=lambda c: (-view.OUTCOME_RANK[c["outcome"]], c["resource"])):
        found = by_check.get((check["policy_id"], check["resource"]), [])
        detail = "<br>".join(f"{_e(f.item['message'])} <small>(fix in {_code(f.location)})</small>" for f in found)
        rows.append([
            f'<span class="urn" title="{_e(check["resource"])}">{_code(view.resource_name(check["resource"]))}</span>',
            _e(check["model"] or "shared"),
            _e(check["type"] or ""),
            _outcome(check["outcome"]),
            detail,
        ])
    return rows


def _counts(checks: list[Mapping[str, Any]]) -> str:
    counts = {o: sum(c["outcome"] == o for c in checks) for o in view.OUTCOME_RANK}
    return ", ".join(f"{n} {o}" for o, n in sorted(counts.items(), key=lambda kv: -view.OUTCOME_RANK[kv[0]]) if n)


def _controls(report: Mapping[str, Any]) -> str:
    """Per framework, per control: its policies and the resources that do not simply pass.

    Passing resources are counted here and listed once per policy under "Evidence by policy"
    (linked), so the page grows with the number of checks, not checks × controls.
    """
    by_check = view.messages_by_check(report)
    parts = ['<section id="controls"><h2>Controls by framework</h2>',
             "<p>Each control lists the policies mapped to it, with the outcome of every resource each policy checks: "
             "pass, fail (blocks the gate), advisory (reported only), waived, or unverified (a fact was unavailable). "
             "Resources that do not pass are listed here; every resource, passing ones included, is under "
             '<a href="#evidence">Evidence by policy</a>.</p>']
    frameworks = view.controls_by_framework(report)
    for prefix, name in view.FRAMEWORKS:
        controls = frameworks.get(prefix, [])
        parts.append(f'<section class="framework" id="framework-{_e(prefix)}"><h3>{_e(name)} ({_e(prefix)})</h3>')
        if not controls:
            parts.append("<p>No policy maps to this framework.</p></section>")
            continue
        summary_rows = [
            [
                _code(c.control),
                _outcome(c.status),
                ", ".join(_code(p["id"]) for p in c.policies),
                *(_e(c.count(o)) for o in ("pass", "fail", "advisory", "waived", "unverified")),
            ]
            for c in controls
        ]
        parts.append(_table(("control", "status", "policies", "pass", "fail", "advisory", "waived", "unverified"), summary_rows, "control-summary"))
        for c in controls:
            is_open = " open" if c.status == "fail" else ""
            parts.append(
                f'<details class="control" data-control="{_e(prefix)}:{_e(c.control)}"{is_open}>'
                f"<summary>{_code(prefix + ':' + c.control)} {_outcome(c.status)}</summary>"
            )
            for policy in c.policies:
                checks = c.checks.get(policy["id"])
                parts.append(
                    f'<h4><a href="#policy-{_e(policy["id"])}">{_code(policy["id"])}</a> {_e(policy["title"])} '
                    f"<small>({_e(policy['severity'])}, {_e(policy['enforcement'])})</small></h4>"
                )
                if checks is None:
                    parts.append("<p>Disabled in this environment: not evaluated.</p>")
                    continue
                if not checks:
                    parts.append("<p>No resource of the types this policy checks is planned.</p>")
                    continue
                parts.append(f'<p class="counts">{_e(len(checks))} resources checked: {_e(_counts(checks))}.</p>')
                open_items = [check for check in checks if check["outcome"] != "pass"]
                if open_items:
                    parts.append(_table(("resource", "model", "type", "outcome", "finding"), _evidence_rows(open_items, by_check), "evidence"))
            parts.append("</details>")
        parts.append("</section>")
    parts.append("</section>")
    return "".join(parts)


def _evidence(report: Mapping[str, Any]) -> str:
    """Every check of every enforced policy, once: the per-resource evidence the controls point to."""
    by_check = view.messages_by_check(report)
    checks_by_policy: dict[str, list[Mapping[str, Any]]] = {}
    for check in report["checks"]:
        checks_by_policy.setdefault(check["policy_id"], []).append(check)
    parts = ['<section id="evidence"><h2>Evidence by policy</h2>']
    for policy in sorted(report["policies"], key=lambda p: p["id"]):
        checks = checks_by_policy.get(policy["id"], [])
        status = "not evaluated" if policy["enforcement"] == "disabled" else (view.worst(c["outcome"] for c in checks) or "not evaluated")
        parts.append(
            f'<details class="policy" id="policy-{_e(policy["id"])}" data-policy="{_e(policy["id"])}">'
            f"<summary>{_code(policy['id'])} {_e(policy['title'])} {_outcome(status)}</summary>"
            f"<p>{_e(policy['description'])}</p>"
            f"<p>Severity {_e(policy['severity'])}, {_e(policy['enforcement'])} here, "
            f"{'waivable' if policy['waivable'] else 'not waivable'}; {_code(policy['path'])}; controls "
            f"{', '.join(_code(c) for c in policy['controls'])}.</p>"
        )
        if policy["enforcement"] == "disabled":
            parts.append("<p>Disabled in this environment: not evaluated.</p>")
        elif checks:
            parts.append(_table(("resource", "model", "type", "outcome", "finding"), _evidence_rows(checks, by_check), "evidence"))
        else:
            parts.append("<p>No resource of the types this policy checks is planned.</p>")
        parts.append("</details>")
    parts.append("</section>")
    return "".join(parts)


def _findings(report: Mapping[str, Any]) -> str:
    found = view.findings(report)
    rows = [
        [
            _outcome(f.outcome),
            _e(f.item["severity"]),
            _code(f.item["policy_id"]),
            _e(f.item["model"] or "shared"),
            f'<span class="urn">{_code(f.item["resource"])}</span>',
            _e(f.item["message"]),
            _code(f.location),
            ", ".join(_code(c) for c in f.item["controls"]),
        ]
        for f in sorted(found, key=lambda f: (-view.OUTCOME_RANK[f.outcome], f.item["policy_id"], f.item["resource"]))
    ]
    body = (
        _table(("outcome", "severity", "policy", "model", "resource", "finding", "fix in", "controls"), rows, "findings")
        if rows else "<p>No findings: every check passed.</p>"
    )
    return f'<section id="findings"><h2>Findings ({len(rows)})</h2>{body}</section>'


def _waivers(report: Mapping[str, Any]) -> str:
    applied = [
        [
            _code(w["policy_id"]), _e(view.waiver_scope(w)), _e(w["approver"]), _e(w["expires"]), _e(w["reason"]),
            _code(w["source"]), "<br>".join(_code(urn) for urn in w["waived"]),
        ]
        for w in report["waivers_applied"]
    ]
    expired = [
        [
            _code(w["policy_id"]), _e(view.waiver_scope(w)), _e(w["approver"]), _e(w["expires"]), _e(w["reason"]),
            _code(w["source"]), "<br>".join(_code(urn) for urn in w["would_have_waived"]),
        ]
        for w in report["waivers_expired"]
    ]
    headers = ("policy", "scope", "approver", "expires", "reason", "source")
    parts = [f'<section id="waivers"><h2>Waivers in effect ({len(applied)})</h2>']
    parts.append(_table((*headers, "waived resources"), applied, "waivers-applied") if applied else "<p>No waiver applied.</p>")
    parts.append(f'</section><section id="waivers-expired"><h2>Expired waivers ({len(expired)})</h2>')
    parts.append(
        _table((*headers, "resources it would have waived"), expired, "waivers-expired") if expired else "<p>No expired waiver matched a finding.</p>"
    )
    parts.append("</section>")
    return "".join(parts)


def _changes(report: Mapping[str, Any]) -> str:
    changes = report.get("changes")
    if not changes:
        return '<section id="changes"><h2>Resource changes</h2><p>No base plan was compared.</p></section>'
    s = changes["summary"]
    rows = [
        [
            '<span class="outcome fail">data loss</span>' if c["data_loss"] else "",
            _e(c["action"]),
            f'<span class="urn">{_code(c["urn"])}</span>',
            _e(c["model"] or "shared"),
            _e(c["data_loss_reason"] or ""),
            _e("; ".join(c["replace_reasons"])),
            ", ".join(_code(p) for p in c["changed_inputs"]),
        ]
        for c in changes["resources"]
    ]
    line = (
        f"Against {_code(changes['base'])}: {s['add']} to add, {s['update']} to update, {s['replace']} to replace, "
        f"{s['delete']} to delete, {s['unchanged']} unchanged; {s['data_loss']} lose data."
    )
    table = _table(("data loss", "action", "resource", "model", "what is lost", "why replaced", "changed inputs"), rows, "changes")
    return f'<section id="changes"><h2>Resource changes</h2><p>{line}</p>{table}</section>'


def _resources(report: Mapping[str, Any]) -> str:
    r = report["resources"]
    by_model = _table(("model", "resources"), [[_e(m), _e(n)] for m, n in r["by_model"].items()])
    by_type = _table(("type", "resources"), [[_code(t), _e(n)] for t, n in r["by_type"].items()])
    return f'<section id="resources"><h2>Planned resources ({_e(r["total"])})</h2>{by_model}{by_type}</section>'


def render_html(report: Mapping[str, Any]) -> str:
    title = f"Policy report: stack {report['stack']}: {view.decision_words(report)}"
    body = "".join(
        [_header(report), _findings(report), _controls(report), _waivers(report), _changes(report), _evidence(report), _resources(report)]
    )
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
        f"<style>{STYLE}</style></head><body>{body}"
        f"<footer><p>Rendered from policy-report.json (formatVersion {_e(report['formatVersion'])}).</p></footer>"
        "</body></html>\n"
    )
