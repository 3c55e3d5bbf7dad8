"""Which resources of a stack CloudFormation would delete or replace (issue 13, rule 1).

A resource is replaced when its type changes, when a create-only property changes (cfn-lint's resource schemas),
when a create-only property takes the name or ARN of a resource that is itself replaced, or when its logical ID
changes (a rename: CloudFormation creates the new ID and deletes the old one). It is deleted when it leaves the
template or its stack leaves the app.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from diff_verdict.findings import show
from diff_verdict.references import referenced_ids
from diff_verdict.schemas import create_only_paths, identifier_paths, values_at
from diff_verdict.stateful import stateful_reason

IGNORED_TYPES = frozenset({"AWS::CDK::Metadata"})  # the CDK's version report: no state, no security
Resources = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class ResourceFate:
    logical_id: str  # the base template's logical ID
    resource_type: str
    change: str  # deleted | renamed | replaced
    detail: str
    stateful: str | None  # why it holds state, or None


@dataclass
class StackComparison:
    fates: list[ResourceFate] = field(default_factory=list)
    renames: dict[str, str] = field(default_factory=dict)  # base logical ID -> head logical ID


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def properties(resource: dict[str, Any]) -> dict[str, Any]:
    props = resource.get("Properties")
    return props if isinstance(props, dict) else {}


def compare_resources(base: Resources, head: Resources, region: str | None) -> StackComparison:
    base = {k: v for k, v in base.items() if v.get("Type") not in IGNORED_TYPES}
    head = {k: v for k, v in head.items() if v.get("Type") not in IGNORED_TYPES}
    result = StackComparison()
    removed = [logical_id for logical_id in base if logical_id not in head]
    added = [logical_id for logical_id in head if logical_id not in base]
    result.renames = _match_renames(base, head, removed, added, region)
    for old_id in removed:
        resource = base[old_id]
        new_id = result.renames.get(old_id)
        if new_id:
            detail = f"logical ID {old_id} -> {new_id}: CloudFormation creates {new_id}, then deletes {old_id}"
            result.fates.append(_fate(old_id, resource, "renamed", detail))
        else:
            result.fates.append(_fate(old_id, resource, "deleted", _deletion_detail(resource)))
    replaced: dict[str, str] = {}
    for logical_id in base.keys() & head.keys():
        reason = _direct_replacement(base[logical_id], head[logical_id], region)
        if reason:
            replaced[logical_id] = reason
    _follow_references(base, head, replaced, region)
    for logical_id in sorted(replaced):
        result.fates.append(_fate(logical_id, base[logical_id], "replaced", replaced[logical_id]))
    return result


def removed_stack(base: Resources, renamed_to: str | None) -> list[ResourceFate]:
    """A stack that leaves the app: destroying it deletes every resource (a renamed stack creates new ones)."""
    detail = f"stack renamed to {renamed_to}: a new stack creates its own copy" if renamed_to else "stack removed"
    return [
        _fate(logical_id, resource, "deleted", f"{detail}; {_deletion_detail(resource)}")
        for logical_id, resource in sorted(base.items())
        if resource.get("Type") not in IGNORED_TYPES
    ]


def _fate(logical_id: str, resource: dict[str, Any], change: str, detail: str) -> ResourceFate:
    return ResourceFate(logical_id, str(resource.get("Type")), change, detail, stateful_reason(resource))


def _deletion_detail(resource: dict[str, Any]) -> str:
    policy = resource.get("DeletionPolicy")
    if policy in ("Retain", "RetainExceptOnCreate"):
        return f"deleted from the stack (DeletionPolicy {policy}: kept in the account, no longer managed)"
    if policy == "Snapshot":
        return "deleted (DeletionPolicy Snapshot: a final snapshot is kept)"
    return "deleted"


def _direct_replacement(old: dict[str, Any], new: dict[str, Any], region: str | None) -> str | None:
    if old.get("Type") != new.get("Type"):
        return f"type {old.get('Type')} -> {new.get('Type')}"
    changes = []
    for path in create_only_paths(str(old.get("Type")), region):
        before, after = values_at(properties(old), path), values_at(properties(new), path)
        if canonical(before) != canonical(after):
            changes.append(f"{'/'.join(path)} {_shown(before)} -> {_shown(after)}")
    return "; ".join(changes) if changes else None


def _shown(values: list[Any]) -> str:
    if not values:
        return "(unset)"
    return show(values[0], 60) if len(values) == 1 else show(values, 60)


def _follow_references(base: Resources, head: Resources, replaced: dict[str, str], region: str | None) -> None:
    """Conservative: a create-only property that takes a replaced resource's Ref or attribute changes with it."""
    changed = True
    while changed:
        changed = False
        for logical_id in sorted(base.keys() & head.keys() - replaced.keys()):
            resource = head[logical_id]
            for path in create_only_paths(str(resource.get("Type")), region):
                targets = referenced_ids(values_at(properties(resource), path)) & replaced.keys()
                if targets:
                    target = sorted(targets)[0]
                    replaced[logical_id] = f"{'/'.join(path)} takes {target}'s name or ARN, and {target} is replaced"
                    changed = True
                    break


def _match_renames(
    base: Resources, head: Resources, removed: list[str], added: list[str], region: str | None
) -> dict[str, str]:
    """A removed and an added resource of one type that are the same thing: same construct path, same custom
    name, or the same properties."""
    renames: dict[str, str] = {}
    free = list(added)
    for old_id in removed:
        old = base[old_id]
        candidates = [new_id for new_id in free if head[new_id].get("Type") == old.get("Type")]
        for new_id in candidates:
            if _same_thing(old, head[new_id], region):
                renames[old_id] = new_id
                free.remove(new_id)
                break
    return renames


def _same_thing(old: dict[str, Any], new: dict[str, Any], region: str | None) -> bool:
    old_path = (old.get("Metadata") or {}).get("aws:cdk:path")
    if old_path and old_path == (new.get("Metadata") or {}).get("aws:cdk:path"):
        return True
    for path in identifier_paths(str(old.get("Type")), region):
        name = values_at(properties(old), path)
        if name and canonical(name) == canonical(values_at(properties(new), path)):
            return True
    return canonical(properties(old)) == canonical(properties(new))
