"""What a change does to a stack: the current plan against a base plan, resource by resource.

Resources are matched by URN. A resource only in the current plan is added, one only in the
base is deleted; for the others the inputs are compared path by path and the per-type rules of
`mlops.replacements` decide whether the change updates in place or replaces, and whether the
replacement or deletion loses stored data. A replaced resource whose name or ARN is generated
(an auto-named SageMaker model, a KMS key) changes every input that references it, so the
classification follows those references: a new model replaces its endpoint configuration,
which in turn updates the endpoint in place (a blue/green deployment).

The base is a plan.json written by `mlops plan`, or a git ref whose plan is built by the base
commit's own code in a temporary worktree.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError, ProgramError
from .files import write_atomically
from .plan import PLAN_FORMAT_VERSION, render_json
from .replacements import (
    FALLBACK_NOTE,
    InputPath,
    Rule,
    fallback_replaces,
    format_path,
    matches,
    parse_pattern,
    rule_for,
)

ACTIONS = ("add", "delete", "update", "replace")
# At most this many replacement reasons per resource; the full list of paths is in changed_inputs.
MAX_REASONS = 6
# A base plan build that takes longer than this is stuck, not slow.
BASE_PLAN_TIMEOUT_SECONDS = 1800


class _Missing:
    """An input that is absent (or null): Pulumi sends neither to the provider."""

    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()


def _unset(value: Any) -> bool:
    return value is MISSING or value is None


# --- Comparing inputs ---------------------------------------------------------------------------


def _json_container(value: str) -> Any:
    """The parsed value when a string input holds a JSON object or array (policies, definitions)."""
    text = value.strip()
    if not text or text[0] not in "{[":
        return None
    try:
        parsed = json.loads(text)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict | list) else None


def _canonical(value: Any, policy: bool) -> Any:
    """A value with set-like lists sorted; in policy documents a one-element list equals its element."""
    if isinstance(value, dict):
        return {k: _canonical(v, policy) for k, v in value.items()}
    if isinstance(value, list):
        items = sorted((_canonical(v, policy) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
        return items[0] if policy and len(items) == 1 else items
    return value


def _matches_any(path: InputPath, patterns: Iterable[str]) -> bool:
    return any(matches(path, parse_pattern(p)) and len(path) == len(parse_pattern(p)) for p in patterns)


@dataclass(frozen=True)
class InputChange:
    """One changed input path; `appeared_or_vanished` when the value was added or removed."""

    path: InputPath
    appeared_or_vanished: bool
    cause: str | None = None  # why the value changes when it is not the program's own change
    # An item of a keyed list (a variant) that was added or removed: ("added" or "removed", its key).
    item: tuple[str, str] | None = None


def changed_inputs(old: Mapping[str, Any], new: Mapping[str, Any], rule: Rule | None) -> list[InputChange]:
    """Every input path whose value differs, compared structurally.

    JSON strings are compared as JSON; lists AWS treats as sets (per the rule) and the lists of
    policy documents are compared regardless of order.
    """
    found: list[InputChange] = []
    _walk(dict(old), dict(new), (), rule, False, found)
    return found


def _walk(old: Any, new: Any, path: InputPath, rule: Rule | None, in_policy: bool, found: list[InputChange]) -> None:
    if old == new or (_unset(old) and _unset(new)):
        return
    if in_policy and _canonical(old, True) == _canonical(new, True):
        return
    key = None if in_policy else _item_key(rule, path)
    if key is not None:
        old_items, new_items = ([] if _unset(old) else old), ([] if _unset(new) else new)
        if isinstance(old_items, list) and isinstance(new_items, list) and _keyed(old_items, key) and _keyed(new_items, key):
            _walk_keyed(old_items, new_items, path, key, rule, found)
            return
    if _unset(old) or _unset(new):
        found.append(InputChange(path, True))
        return
    if isinstance(old, str) and isinstance(new, str):
        parsed_old, parsed_new = _json_container(old), _json_container(new)
        if parsed_old is not None and parsed_new is not None:
            policy = in_policy or (rule is not None and _matches_any(path, rule.policy_documents))
            if policy and _canonical(parsed_old, True) == _canonical(parsed_new, True):
                return
            _walk(parsed_old, parsed_new, path, rule, policy, found)
            return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            _walk(old.get(key, MISSING), new.get(key, MISSING), (*path, key), rule, in_policy, found)
        return
    if isinstance(old, list) and isinstance(new, list):
        if in_policy or (rule is not None and _matches_any(path, rule.unordered)):
            if _canonical(old, in_policy) != _canonical(new, in_policy):
                found.append(InputChange(path, False))
            return
        for i in range(max(len(old), len(new))):
            _walk(old[i] if i < len(old) else MISSING, new[i] if i < len(new) else MISSING, (*path, i), rule, in_policy, found)
        return
    found.append(InputChange(path, False))


def _item_key(rule: Rule | None, path: InputPath) -> str | None:
    return next((key for pattern, key in rule.keyed.items() if _matches_any(path, [pattern])), None) if rule else None


def _keyed(items: list[Any], key: str) -> bool:
    """Whether every item has a distinct text value at `key`, so items can be matched by it."""
    keys = [item.get(key) if isinstance(item, dict) else None for item in items]
    return all(isinstance(k, str) for k in keys) and len(set(keys)) == len(keys)


def _walk_keyed(old: list[Any], new: list[Any], path: InputPath, key: str, rule: Rule | None, found: list[InputChange]) -> None:
    """Items matched by their key: changes inside an item carry its current index; an item only in the
    base is removed (at its base index), one only in the current plan added."""
    old_items = {item[key]: item for item in old}
    new_keys = [item[key] for item in new]
    for i, item in enumerate(new):
        if item[key] in old_items:
            _walk(old_items[item[key]], item, (*path, i), rule, False, found)
        else:
            found.append(InputChange((*path, i), True, item=("added", item[key])))
    for i, item in enumerate(old):
        if item[key] not in new_keys:
            found.append(InputChange((*path, i), True, item=("removed", item[key])))
    # Pulumi compares the list in order, so a reordering is still a change of the list itself.
    if [k for k in old_items if k in new_keys] != [k for k in new_keys if k in old_items]:
        found.append(InputChange(path, False))


def _leaves(value: Any, path: InputPath = ()) -> Iterator[tuple[InputPath, Any]]:
    """Every scalar in an input value, JSON strings included, with its path."""
    if isinstance(value, str):
        parsed = _json_container(value)
        if parsed is None:
            yield path, value
        else:
            yield from _leaves(parsed, path)
    elif isinstance(value, dict):
        for key in sorted(value):
            yield from _leaves(value[key], (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _leaves(item, (*path, i))
    else:
        yield path, value


# --- Classifying resources ------------------------------------------------------------------------


def _kind(type_token: str) -> str:
    return type_token.rsplit(":", 1)[-1]


@dataclass
class ResourceChange:
    """One resource that differs between the base and the current plan."""

    urn: str
    type: str
    name: str
    model: str | None
    action: str
    inputs: dict[str, Any]  # current inputs (base inputs for a deletion)
    base_inputs: dict[str, Any]
    observed: list[InputChange] = field(default_factory=list)
    moved: str | None = None  # why every AWS resource is replaced (the stack's region changed)
    replace_reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data_loss: bool = False
    data_loss_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        paths = sorted({format_path(c.path) for c in self.observed if c.path})
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "model": self.model,
            "action": self.action,
            "changed_inputs": paths,
            "replace_reasons": self.replace_reasons,
            "data_loss": self.data_loss,
            "data_loss_reason": self.data_loss_reason,
            "notes": self.notes,
        }


def _classify(change: ResourceChange) -> None:
    """Decide update or replace from the observed input changes, then what a replacement loses."""
    rule = rule_for(change.type)
    reasons: list[str] = [change.moved] if change.moved else []
    notes: list[str] = []
    # Changes that follow from another resource's replacement, grouped by that cause.
    followed: dict[tuple[bool, str], list[str]] = defaultdict(list)
    for observed in change.observed:
        replaces = (
            rule.forces_replacement(observed.path, observed.appeared_or_vanished) if rule else fallback_replaces(observed.path)
        )
        where = format_path(observed.path) or "inputs"
        if observed.cause:
            followed[(replaces, observed.cause)].append(where)
        elif replaces:
            reasons.append(f"{where} ({observed.item[1]}) {observed.item[0]}" if observed.item else f"{where} changed")
        # What the change means, whether or not it replaces the resource (a replaced endpoint
        # configuration whose weights changed only shifts traffic).
        if rule and (note := _effect(rule, observed)) and note not in notes:
            notes.append(note)
    for (replaces, cause), paths in followed.items():
        unique_paths = list(dict.fromkeys(paths))
        shown = ", ".join(unique_paths[:4]) + (f" (+{len(unique_paths) - 4} more)" if len(unique_paths) > 4 else "")
        text = f"{shown} {'changes' if len(unique_paths) == 1 else 'change'} because {cause}"
        (reasons if replaces else notes).append(text)
    if rule is None and change.observed:
        notes.append(FALLBACK_NOTE.format(type=change.type, inputs="name, namePrefix, *Name"))
    unique = list(dict.fromkeys(reasons))
    if len(unique) > MAX_REASONS:
        unique = [*unique[:MAX_REASONS], f"and {len(unique) - MAX_REASONS} more input changes that force a replacement"]
    change.replace_reasons = unique
    change.action = "replace" if unique else "update"
    if change.action == "replace":
        notes.append(_replacement_note(change, rule))
        if rule is not None:
            notes.append(f"replacement rule: {rule.source}")
    change.notes = notes
    _assess_data_loss(change, rule)


def _effect(rule: Rule, observed: InputChange) -> str | None:
    if observed.item is None:
        return rule.note_for(observed.path)
    notes = next((n for p, n in rule.item_notes.items() if _matches_any(observed.path[:-1], [p])), None)
    return None if notes is None else notes[observed.item[0] == "removed"].format(key=observed.item[1])


def _is_effect(rule: Rule | None, note: str) -> bool:
    """Whether a note is one of the rule's notes on what a change means (as `_effect` words them)."""
    if rule is None:
        return False
    templates = [t for pair in rule.item_notes.values() for t in pair]
    return note in rule.update_notes.values() or any(
        re.fullmatch(re.escape(t).replace(re.escape("{key}"), ".+"), note) for t in templates
    )


def _replacement_note(change: ResourceChange, rule: Rule | None) -> str:
    name = rule.explicit_name(change.inputs) if rule else None
    if rule is not None and rule.keeps_identity(change.inputs):
        return (
            f"keeps its explicit name {name}: Pulumi deletes the old {_kind(change.type)} before it creates the new one "
            "(delete-before-replace), so it is unavailable in between"
        )
    return (
        f"gets a new {_identity_noun(change)}: Pulumi creates the replacement first, repoints what references it, "
        "then deletes the old one"
    )


def _identity_noun(change: ResourceChange) -> str:
    rule = rule_for(change.type)
    return "id and ARN" if rule is not None and rule.generated_identity else "name and ARN"


def _assess_data_loss(change: ResourceChange, rule: Rule | None) -> None:
    if change.action in ("replace", "delete") and rule is not None and rule.data_loss is not None:
        change.data_loss = True
        change.data_loss_reason = rule.data_loss(change.base_inputs)
    else:
        change.data_loss, change.data_loss_reason = False, None


def _generates_new_identity(change: ResourceChange) -> bool:
    """Whether the replacement has a new name or ARN, which every reference to it then picks up."""
    rule = rule_for(change.type)
    if rule is None:
        return not any(isinstance(change.inputs.get(k), str) for k in ("name", "namePrefix"))
    return not rule.keeps_identity(change.inputs)


# IAM is a global service: its roles and policies have no region and survive a region change
# (what refers to them is re-examined through `_follow_new_identities` as usual).
GLOBAL_TYPE_PREFIXES: tuple[str, ...] = ("aws:iam/",)


def _regional(type_token: str) -> bool:
    return type_token.startswith("aws") and not type_token.startswith(GLOBAL_TYPE_PREFIXES)


def identity_tokens(resource: Mapping[str, Any], region: str) -> set[str]:
    """The strings by which other resources in the plan reference this one (its name, id and ARN).

    Plans record what the mock runtime returned for each resource (`mlops.offline.PlanMocks`),
    so ask it again rather than guess.
    """
    import pulumi

    from .offline import PlanMocks

    resource_id, state = PlanMocks(region).new_resource(
        pulumi.runtime.MockResourceArgs(typ=resource["type"], name=resource["name"], inputs=dict(resource["inputs"]), custom=True)
    )
    candidates = {resource_id, state.get("name"), state.get("arn"), state.get("keyId"), state.get("bucket")}
    # Very short values (a bare "id") would match unrelated text.
    return {t for t in candidates if isinstance(t, str) and len(t) >= 6}


def _references(inputs: Mapping[str, Any], tokens: set[str]) -> list[InputPath]:
    return [path for path, value in _leaves(dict(inputs)) if isinstance(value, str) and any(t in value for t in tokens)]


def compute_changes(base: Mapping[str, Any] | None, current: Mapping[str, Any], base_label: str) -> dict[str, Any]:
    """The changes document: what applying the current plan over the base would add, delete, update or replace.

    `base` None means the base has no such stack, so every resource is added.
    """
    base_resources = {r["urn"]: r for r in (base or {}).get("resources", [])}
    current_resources = {r["urn"]: r for r in current["resources"]}
    region_change = None
    if base is not None and base.get("region") != current.get("region"):
        region_change = (
            f"the stack's region changes from {base.get('region')} to {current.get('region')}: "
            "every regional AWS resource is created anew in the new region"
        )
    changes: dict[str, ResourceChange] = {}
    for urn, resource in current_resources.items():
        if urn not in base_resources:
            changes[urn] = _change(resource, "add", {})
    for urn, resource in base_resources.items():
        if urn not in current_resources:
            change = _change(resource, "delete", resource["inputs"])
            _assess_data_loss(change, rule_for(change.type))
            changes[urn] = change
    unchanged = 0
    for urn in sorted(set(base_resources) & set(current_resources)):
        old, new = base_resources[urn], current_resources[urn]
        observed = changed_inputs(old.get("inputs") or {}, new.get("inputs") or {}, rule_for(new["type"]))
        moved = region_change if region_change and new.get("custom", True) and _regional(new["type"]) else None
        if not observed and not moved:
            unchanged += 1
            continue
        change = _change(new, "update", old.get("inputs") or {})
        change.observed, change.moved = observed, moved
        _classify(change)
        changes[urn] = change
    unchanged -= _follow_new_identities(changes, base_resources, current_resources, str(current.get("region")))
    _note_renames(changes)
    ordered = [changes[urn].to_dict() for urn in sorted(changes)]
    summary = {action: sum(c["action"] == action for c in ordered) for action in ACTIONS}
    summary["data_loss"] = sum(c["data_loss"] for c in ordered)
    summary["unchanged"] = unchanged
    return {"base": base_label, "stack": current.get("stack"), "summary": summary, "resources": ordered}


def _change(resource: Mapping[str, Any], action: str, base_inputs: Mapping[str, Any]) -> ResourceChange:
    return ResourceChange(
        urn=resource["urn"],
        type=resource["type"],
        name=resource.get("name") or resource["urn"].rsplit("::", 1)[-1],
        model=resource.get("model"),
        action=action,
        inputs=dict(resource.get("inputs") or {}),
        base_inputs=dict(base_inputs),
    )


def _follow_new_identities(
    changes: dict[str, ResourceChange],
    base_resources: Mapping[str, Mapping[str, Any]],
    current_resources: Mapping[str, Mapping[str, Any]],
    region: str,
) -> int:
    """Mark every input that references a replaced resource with a new name or ARN; return how many
    resources this turned from unchanged into changed."""
    dependents: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for resource in current_resources.values():
        for dependency in resource.get("dependencies") or []:
            dependents[dependency].append(resource)
    queue = [urn for urn, c in sorted(changes.items()) if c.action == "replace" and _generates_new_identity(c)]
    followed: set[str] = set()
    newly_changed = 0
    while queue:
        urn = queue.pop(0)
        if urn in followed:
            continue
        followed.add(urn)
        replaced = changes[urn]
        tokens = identity_tokens(current_resources[urn], region)
        cause = f"{_kind(replaced.type)} {replaced.name} is replaced and gets a new {_identity_noun(replaced)}"
        for dependent in sorted(dependents[urn], key=lambda r: r["urn"]):
            if dependent["urn"] not in base_resources:
                continue
            paths = _references(dependent.get("inputs") or {}, tokens)
            if not paths:
                continue
            change = changes.get(dependent["urn"])
            if change is None:
                change = _change(dependent, "update", base_resources[dependent["urn"]].get("inputs") or {})
                changes[dependent["urn"]] = change
                newly_changed += 1
            known = {c.path for c in change.observed}
            change.observed.extend(InputChange(p, False, cause) for p in paths if p not in known)
            _classify(change)
            if change.action == "replace" and _generates_new_identity(change):
                queue.append(change.urn)
    return newly_changed


def _note_renames(changes: dict[str, ResourceChange]) -> None:
    """A deletion and an addition of the same type with the same explicit name are most likely a rename."""
    added: dict[tuple[str, str], str] = {}
    for change in changes.values():
        rule = rule_for(change.type)
        name = rule.explicit_name(change.inputs) if rule else None
        if change.action == "add" and name:
            added[(change.type, name)] = change.urn
    for change in changes.values():
        rule = rule_for(change.type)
        name = rule.explicit_name(change.base_inputs) if rule else None
        if change.action == "delete" and name and (change.type, name) in added:
            change.notes.append(
                f"same name as the added {added[(change.type, name)]}: if this is a rename or move, add "
                "`aliases` to the resource's options so Pulumi keeps the existing resource instead of deleting it"
            )


# --- The base plan ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BasePlan:
    """The plan to compare against: what `--base` named, and its plan (None: the base has no such stack)."""

    label: str
    plan: dict[str, Any] | None
    note: str | None = None


def load_base(project_dir: Path, stack: str, base: str, environ: Mapping[str, str] = os.environ) -> BasePlan:
    """A plan.json path, or a git ref whose plan is built with the base commit's own code."""
    candidate = Path(base)
    if candidate.is_file():
        return BasePlan(label=base, plan=read_plan_file(candidate, stack))
    if candidate.is_dir() and candidate != Path("."):
        raise InputError(f"--base {base}: is a directory; pass the plan.json in it (e.g. {candidate / stack / 'plan.json'})")
    if base.endswith(".json"):
        raise InputError(f"--base {base}: no such file; pass a plan.json written by `mlops plan`, or a git ref")
    return plan_at_ref(project_dir, stack, base, environ)


def read_plan_file(path: Path, stack: str) -> dict[str, Any]:
    """A plan.json, checked enough to be compared: format version, stack and resource entries."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read the base plan: {e}") from e
    except json.JSONDecodeError as e:
        raise InputError(f"{path}:{e.lineno}:{e.colno}: the base plan is not valid JSON: {e.msg}") from e
    if not isinstance(document, dict):
        raise InputError(f"{path}: expected a plan object written by `mlops plan`, found {type(document).__name__}")
    if document.get("formatVersion") != PLAN_FORMAT_VERSION:
        raise InputError(
            f"{path}: formatVersion: expected {PLAN_FORMAT_VERSION} (a plan.json written by `mlops plan`), "
            f"found {document.get('formatVersion')!r}; re-create the base plan with this version of mlops"
        )
    if document.get("stack") != stack:
        raise InputError(
            f"{path}: stack: the base plan is for stack {document.get('stack')!r}, not {stack!r}; "
            f"pass the base's reports/{stack}/plan.json"
        )
    resources = document.get("resources")
    problems = []
    if not isinstance(resources, list):
        problems.append(f"{path}: resources: expected a list, found {type(resources).__name__}")
    else:
        for i, r in enumerate(resources):
            if not (isinstance(r, dict) and isinstance(r.get("urn"), str) and isinstance(r.get("type"), str)
                    and isinstance(r.get("inputs"), dict)):
                problems.append(f"{path}: resources[{i}]: expected an object with urn, type and inputs")
    if problems:
        raise InputError(f"{path}: not a valid plan", problems=problems[:10])
    return document


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # No hooks (a post-checkout hook must not run for a throwaway worktree) and no LFS downloads.
    env = {**os.environ, "GIT_LFS_SKIP_SMUDGE": "1"}
    return subprocess.run(["git", "-c", "core.hooksPath=/dev/null", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, check=False)


def plan_at_ref(project_dir: Path, stack: str, ref: str, environ: Mapping[str, str] = os.environ) -> BasePlan:
    """Check the ref out into a temporary detached worktree and run its own `mlops plan` there."""
    top = _git(project_dir, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise InputError(
            f"--base {ref}: {project_dir} is not in a git repository; pass the base's plan.json instead of a git ref"
        )
    root = Path(top.stdout.strip()).resolve()
    commit = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if commit.returncode != 0:
        raise InputError(
            f"--base {ref}: no such commit, branch or tag in {root}; fetch it first "
            "(in GitHub Actions: actions/checkout with fetch-depth: 0)"
        )
    sha = commit.stdout.strip()
    relative = project_dir.resolve().relative_to(root)
    with tempfile.TemporaryDirectory(prefix="mlops-diff-") as tmp:
        worktree = Path(tmp) / "base"
        added = _git(root, "worktree", "add", "--detach", "--quiet", str(worktree), sha)
        if added.returncode != 0:
            raise ProgramError(f"--base {ref}: git worktree add failed: {added.stderr.strip()}")
        try:
            base_project = worktree / relative
            if not (base_project / f"Pulumi.{stack}.yaml").is_file():
                note = f"{ref} ({sha[:12]}) has no Pulumi.{stack}.yaml: every resource of the stack is new"
                return BasePlan(label=ref, plan=None, note=note)
            plan_path = _run_base_plan(base_project, stack, ref, Path(tmp), environ)
            return BasePlan(label=ref, plan=read_plan_file(plan_path, stack), note=f"base {ref} is commit {sha[:12]}")
        finally:
            _git(root, "worktree", "remove", "--force", str(worktree))
            _git(root, "worktree", "prune")


def _run_base_plan(base_project: Path, stack: str, ref: str, tmp: Path, environ: Mapping[str, str]) -> Path:
    """`python -m mlops plan` with the base's own package first on the path; exit 0 or 1 both leave a plan."""
    reports = tmp / "reports"
    inherited = [str(Path(p).resolve()) for p in environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    env = {
        **environ,
        "PYTHONPATH": os.pathsep.join([str(base_project / "infra"), *inherited]),
        # The base's own gate runs too; its decision is not this command's and must not reach the audit ledger.
        "MLOPS_LEDGER": str(tmp / "base-ledger.jsonl"),
    }
    command = [sys.executable, "-m", "mlops", "plan", "--stack", stack, "--project-dir", str(base_project),
               "--reports-dir", str(reports)]
    try:
        done = subprocess.run(command, cwd=base_project, env=env, capture_output=True, text=True,
                              timeout=BASE_PLAN_TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired as e:
        raise ProgramError(f"--base {ref}: planning the base took over {BASE_PLAN_TIMEOUT_SECONDS}s") from e
    plan_path = reports / stack / "plan.json"
    if done.returncode not in (0, 1) or not plan_path.is_file():
        tail = (done.stderr.strip() or done.stdout.strip()).splitlines()[-8:]
        raise ProgramError(
            f"--base {ref}: `mlops plan --stack {stack}` failed on the base commit (exit {done.returncode}); "
            "fix the base or pass its plan.json instead",
            problems=tail,
        )
    return plan_path


# --- Writing the changes ---------------------------------------------------------------------------

_ACTION_ORDER = {"replace": 0, "delete": 1, "update": 2, "add": 3}


def display_order(resources: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Data loss first, then replacements, deletions, updates and additions."""
    return sorted(resources, key=lambda c: (not c["data_loss"], _ACTION_ORDER[c["action"]], c["urn"]))


def summary_line(summary: Mapping[str, int]) -> str:
    text = (
        f"{summary['add']} to add, {summary['update']} to update, {summary['replace']} to replace, "
        f"{summary['delete']} to delete, {summary['unchanged']} unchanged"
    )
    return text + (f"; {summary['data_loss']} lose data" if summary["data_loss"] else "")


def why(change: Mapping[str, Any]) -> str:
    """One line a reviewer reads: the replacement reasons and what they mean, else what changed and the notes."""
    if change["replace_reasons"]:
        rule = rule_for(change["type"])
        return "; ".join([*change["replace_reasons"], *(n for n in change["notes"] if _is_effect(rule, n))])
    if change["action"] == "update":
        notes = [n for n in change["notes"] if not n.startswith("replacement rule")]
        paths = change["changed_inputs"]
        changed = "changed: " + ", ".join(paths[:6]) + (f" (+{len(paths) - 6} more)" if len(paths) > 6 else "")
        return "; ".join(notes) if notes else changed
    return ""


MARKDOWN_ROWS = 40


def render_markdown(changes: Mapping[str, Any], environment: str | None = None) -> str:
    """A compact section for a pull-request comment: summary, then the changes that matter first."""
    summary = changes["summary"]
    env = f" ({environment})" if environment else ""
    lines = [f"#### Changes to stack `{changes['stack']}`{env} against `{changes['base']}`", ""]
    lines.append(("**⚠️ " if summary["data_loss"] else "") + summary_line(summary) + ("**" if summary["data_loss"] else ""))
    resources = display_order(changes["resources"])
    if not resources:
        lines += ["", "No resource changes."]
        return "\n".join(lines) + "\n"
    lines += ["", "| action | resource | type | why |", "| --- | --- | --- | --- |"]
    for change in resources[:MARKDOWN_ROWS]:
        action = f"**{change['action']}**" if change["action"] in ("replace", "delete") else change["action"]
        if change["data_loss"]:
            action += " ⚠️ data loss"
        cells = [action, f"`{change['name']}`", f"`{change['type']}`", _cell(why(change))]
        lines.append("| " + " | ".join(cells) + " |")
    if len(resources) > MARKDOWN_ROWS:
        lines.append(f"\n…and {len(resources) - MARKDOWN_ROWS} more in `reports/{changes['stack']}/diff.json`.")
    losses = [c for c in resources if c["data_loss"]]
    if losses:
        lines += ["", "**Data loss**", ""]
        lines += [f"- `{c['name']}` ({c['action']}): {_cell(c['data_loss_reason'] or '')}" for c in losses]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def write_changes(changes: Mapping[str, Any], reports_dir: Path, environment: str | None = None) -> tuple[Path, Path]:
    """reports/<stack>/diff.json (the changes document) and diff.md (its Markdown section)."""
    out = reports_dir / str(changes["stack"])
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out / "diff.json", out / "diff.md"
    write_atomically(json_path, render_json(dict(changes)).encode("utf-8"))
    write_atomically(md_path, render_markdown(changes, environment).encode("utf-8"))
    return json_path, md_path
