"""ACC-2: a fixed resource name must change with the create-only content it names.

CloudFormation replaces a resource when a create-only property changes, and cannot replace a resource with a custom
name (the new one would need the old one's name): the update fails and rolls back. A resource whose identifying
name (its primary identifier, writable and create-only in the CloudFormation resource schema that cfn-lint ships)
is fixed and which sets other create-only properties must therefore carry `content_digest(those properties)` in its
name, so a change of content is a change of name and the update deploys (an operator key rotation renames the key
pair: `constructs/bastion_host.py`).

Outside the rule: resources kept on delete or replacement (`Retain`, `RetainExceptOnCreate`, `Snapshot`): they hold
data, replacing them is a migration and CloudFormation's refusal is the safety net; names that follow another
resource (a reference); and types whose primary identifier is read-only (an ARN or id) while a separate property
names them (an SNS topic's `TopicName`, an IAM managed policy's `ManagedPolicyName`): the schema does not say which
of their create-only properties is a name, so this rule does not guess.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

from policies.cache_folder import content_key
from policies.gate_cache import GateCache

DIGEST_LENGTH = 10
KEPT_ON_DELETE = frozenset({"Retain", "RetainExceptOnCreate", "Snapshot"})
SCHEMA_REGION = "us-east-1"  # createOnlyProperties and primaryIdentifier do not differ between regions
SHAPE_CACHE_FORMAT = "create-only-shape-1"
_SCHEMA_READER = threading.Lock()
_REFERENCE_KEYS = frozenset({"Fn::GetAtt", "Fn::ImportValue"})
_SUB_REFERENCE = re.compile(r"\$\{(?!AWS::)[^!][^}]*\}")


def content_digest(content: Mapping[str, Any]) -> str:
    """A short, stable digest of create-only property values, as they appear in the template (ACC-2).

    Constructs put it into the names of resources whose content is create-only; the rule below recomputes it.
    """
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:DIGEST_LENGTH]


@dataclass(frozen=True)
class CreateOnlyShape:
    """What the CloudFormation resource schema says about one type: its identifying names and create-only content."""

    identity: tuple[str, ...]  # the writable primary-identifier properties that are create-only
    create_only: tuple[str, ...]
    writable_identifier: tuple[str, ...]  # every primary-identifier property that is not read-only


@cache
def create_only_shape(resource_type: str) -> CreateOnlyShape | None:
    """From cfn-lint's CloudFormation resource schemas; None for types it does not know (custom resources).

    Importing cfn-lint and reading its schemas costs about a second at every synth, so each answer is kept in the
    gate cache, keyed by the type, the cfn-lint version (which pins its schema data) and this file's bytes (which pin
    how a schema is read): a warm synth never imports cfn-lint (issue 25).
    """
    shapes, schema_source = _shape_cache()
    key = content_key(schema_source, resource_type)
    cached = shapes.get(key)
    if cached is not None:
        return CreateOnlyShape(**{field: tuple(value) for field, value in cached["shape"].items()}) if cached else None
    with _SCHEMA_READER:  # one thread at a time in cfn-lint's schema manager (see read_shapes_beside)
        shape = _shape_from_schema(resource_type)
    shapes.put(key, {"shape": asdict(shape)} if shape else {})
    return shape


def read_shapes_beside(template_paths: Sequence[str]) -> None:
    """Answer `create_only_shape` for every resource type of these templates on a background thread. On a cold
    synth cfn-lint's import and schema reads (about a second) then run while the jsii kernel validates the templates
    (`policies/packs.py` calls this first), and the gates that ask later find the answers ready (issue 25)."""
    types = {
        str(resource.get("Type", ""))
        for path in template_paths
        for resource in (json.loads(Path(path).read_text(encoding="utf-8")).get("Resources") or {}).values()
    }
    threading.Thread(target=lambda: [create_only_shape(t) for t in sorted(types)], name="schema-reads").start()


@cache
def _shape_cache() -> tuple[GateCache, str]:
    """The cache of schema answers and the key part naming where they come from (schema data, reader, region)."""
    reader = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
    source = f"{SHAPE_CACHE_FORMAT} cfn-lint {version('cfn-lint')} reader {reader} {SCHEMA_REGION}"
    return GateCache("create-only-shape"), source


def _shape_from_schema(resource_type: str) -> CreateOnlyShape | None:
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER  # noqa: PLC0415 - imported on a cache miss only
    from cfnlint.schema.manager import ResourceNotFoundError  # noqa: PLC0415

    try:
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(SCHEMA_REGION, resource_type).schema
    except ResourceNotFoundError:
        return None

    def top_level(pointers: list[str]) -> list[str]:
        return [p.removeprefix("/properties/") for p in pointers if p.count("/") == 2 and p.startswith("/properties/")]

    create_only = top_level(schema.get("createOnlyProperties", []))
    read_only = set(top_level(schema.get("readOnlyProperties", [])))
    writable_identifier = [p for p in top_level(schema.get("primaryIdentifier", [])) if p not in read_only]
    identity = [p for p in writable_identifier if p in create_only]
    return CreateOnlyShape(
        identity=tuple(identity), create_only=tuple(create_only), writable_identifier=tuple(writable_identifier)
    )


def references_another_resource(value: Any) -> bool:
    """True if the value follows another resource (Ref to a resource, GetAtt, ImportValue, ${X} in a Sub)."""
    if isinstance(value, dict):
        if "Ref" in value:
            return not str(value["Ref"]).startswith("AWS::")
        if _REFERENCE_KEYS & value.keys():
            return True
        if "Fn::Sub" in value:
            template = value["Fn::Sub"][0] if isinstance(value["Fn::Sub"], list) else value["Fn::Sub"]
            variables = value["Fn::Sub"][1] if isinstance(value["Fn::Sub"], list) else {}
            return bool(_SUB_REFERENCE.search(str(template))) or references_another_resource(variables)
        return any(references_another_resource(child) for child in value.values())
    if isinstance(value, list):
        return any(references_another_resource(child) for child in value)
    return False


def literal_text(value: Any) -> str:
    """The literal characters of a fixed value (pseudo parameters dropped), where a digest can be found."""
    if isinstance(value, dict):
        return "".join(literal_text(child) for key, child in value.items() if key != "Ref")
    if isinstance(value, list):
        return "".join(literal_text(child) for child in value)
    return str(value)


def names_fixed_against_content(template: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Yield (logical id, location) for each resource whose fixed name would not change with its create-only content."""
    for logical_id, resource in (template.get("Resources") or {}).items():
        shape = create_only_shape(str(resource.get("Type", "")))
        properties = resource.get("Properties") or {}
        if shape is None or not shape.identity:
            continue
        if {resource.get("DeletionPolicy"), resource.get("UpdateReplacePolicy")} & KEPT_ON_DELETE:
            continue
        names = {p: properties[p] for p in shape.identity if p in properties}
        if not names or any(references_another_resource(value) for value in names.values()):
            continue  # CloudFormation names it, or the name follows another resource
        content = {p: properties[p] for p in shape.create_only if p not in shape.identity and p in properties}
        if not content:
            continue
        location = f"Resources/{logical_id}/Properties/{'+'.join(names)}"
        if any(references_another_resource(value) for value in content.values()):
            yield logical_id, f"{location} (create-only content refers to another resource)"
        elif not any(content_digest(content) in literal_text(value) for value in names.values()):
            yield logical_id, f"{location} (lacks content_digest of {', '.join(sorted(content))})"
