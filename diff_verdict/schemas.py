"""Which properties replace a resource when they change, from the CloudFormation resource schemas cfn-lint ships
(`createOnlyProperties`): the registry's own answer, not a hand-kept list."""

from __future__ import annotations

from functools import cache
from typing import Any

from cfnlint.schema import PROVIDER_SCHEMA_MANAGER, ResourceNotFoundError

DEFAULT_REGION = "us-east-1"


@cache
def _schema(region: str, resource_type: str) -> dict[str, Any] | None:
    try:
        return dict(PROVIDER_SCHEMA_MANAGER.get_resource_schema(region, resource_type).schema)
    except (ResourceNotFoundError, KeyError):  # KeyError: a region cfn-lint does not know
        if region != DEFAULT_REGION:
            return _schema(DEFAULT_REGION, resource_type)
        return None


def known_type(resource_type: str, region: str | None) -> bool:
    return _schema(region or DEFAULT_REGION, resource_type) is not None


def create_only_paths(resource_type: str, region: str | None) -> tuple[tuple[str, ...], ...]:
    """Each create-only property as path segments below Properties, e.g. ('BucketName',) or ('Foo', '*', 'Bar')."""
    schema = _schema(region or DEFAULT_REGION, resource_type) or {}
    paths = []
    for pointer in schema.get("createOnlyProperties") or []:
        segments = tuple(str(pointer).split("/")[2:])  # "/properties/A/B" -> ("A", "B")
        if segments:
            paths.append(segments)
    return tuple(paths)


def identifier_paths(resource_type: str, region: str | None) -> tuple[tuple[str, ...], ...]:
    """The primary identifier's properties that a template may set (a custom name: BucketName, KeyName, ...)."""
    schema = _schema(region or DEFAULT_REGION, resource_type) or {}
    read_only = set(schema.get("readOnlyProperties") or [])
    return tuple(
        tuple(str(pointer).split("/")[2:])
        for pointer in schema.get("primaryIdentifier") or []
        if pointer not in read_only
    )


def values_at(value: Any, segments: tuple[str, ...]) -> list[Any]:
    """Every value at a schema path ('*' walks each list item); [] where the template does not set it."""
    if not segments:
        return [value]
    head, rest = segments[0], segments[1:]
    if head == "*":
        return [found for item in value for found in values_at(item, rest)] if isinstance(value, list) else []
    if isinstance(value, dict) and head in value:
        return values_at(value[head], rest)
    return []
