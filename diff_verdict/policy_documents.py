"""Policy documents in a template and their statements broken into atoms (effect, action, resource, principal),
so a statement merged, split or moved between policies of one resource is not mistaken for a new grant."""

from __future__ import annotations

import json
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, Final

from diff_verdict.findings import render

Conditions = dict[tuple[str, str], frozenset[str]]

# type -> (document property, verdict rule); "Policies" is a list of inline {PolicyName, PolicyDocument}.
DOCUMENTS: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "AWS::IAM::Policy": (("PolicyDocument", "iam_identity"),),
    "AWS::IAM::ManagedPolicy": (("PolicyDocument", "iam_identity"),),
    "AWS::IAM::Role": (("AssumeRolePolicyDocument", "iam_trust"), ("Policies", "iam_identity")),
    "AWS::IAM::User": (("Policies", "iam_identity"),),
    "AWS::IAM::Group": (("Policies", "iam_identity"),),
    "AWS::KMS::Key": (("KeyPolicy", "key_policy"),),
    "AWS::S3::BucketPolicy": (("PolicyDocument", "resource_policy"),),
    "AWS::SNS::TopicPolicy": (("PolicyDocument", "resource_policy"),),
    "AWS::SNS::TopicInlinePolicy": (("PolicyDocument", "resource_policy"),),
    "AWS::SQS::QueuePolicy": (("PolicyDocument", "resource_policy"),),
    "AWS::SQS::QueueInlinePolicy": (("PolicyDocument", "resource_policy"),),
    "AWS::SecretsManager::ResourcePolicy": (("ResourcePolicy", "resource_policy"),),
    "AWS::Backup::BackupVault": (("AccessPolicy", "resource_policy"),),
}
TLS_CONDITION_KEYS: Final = frozenset({"aws:securetransport", "s3:tlsversion"})


def text(value: Any) -> str:
    """The comparable text of a template value; intrinsics rendered, so wildcards match tokenized ARNs too."""
    return render(value)


def _strings(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    return tuple(text(item) for item in items)


@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    principals: tuple[str, ...]  # "AWS:arn", "Service:name", "*"; ("",) in identity policies
    conditions: Conditions
    opaque: str | None  # canonical JSON of a NotAction/NotResource/NotPrincipal statement, compared whole

    def atoms(self) -> list[tuple[str, str, str]]:
        return [(a, r, p) for a in self.actions for r in self.resources for p in self.principals]

    def touches_tls(self) -> bool:
        return any(key.lower() in TLS_CONDITION_KEYS for _, key in self.conditions)

    def covers(self, atom: tuple[str, str, str], narrower: Conditions) -> bool:
        """This statement applies wherever `atom` under `narrower` conditions applies."""
        action, resource, principal = atom
        return (
            any(fnmatchcase(action.lower(), pattern.lower()) for pattern in self.actions)
            and any(_matches(pattern, resource) for pattern in self.resources)
            and any(_principal_matches(pattern, principal) for pattern in self.principals)
            and all(key in narrower and narrower[key] <= values for key, values in self.conditions.items())
        )


def _matches(pattern: str, value: str) -> bool:
    if pattern in ("*", value):
        return True
    return fnmatchcase(value, pattern)


def _principal_matches(pattern: str, value: str) -> bool:
    return pattern in ("*", "AWS:*", value)


def statements(document: Any) -> list[Statement]:
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return []
    if not isinstance(document, dict):
        return []
    raw = document.get("Statement") or []
    return [_statement(item) for item in (raw if isinstance(raw, list) else [raw]) if isinstance(item, dict)]


def _statement(raw: dict[str, Any]) -> Statement:
    opaque = None
    if any(key in raw for key in ("NotAction", "NotResource", "NotPrincipal")):
        opaque = text({k: v for k, v in raw.items() if k != "Sid"})
    return Statement(
        effect=str(raw.get("Effect", "Allow")),
        actions=_strings(raw.get("Action", raw.get("NotAction", []))),
        resources=_strings(raw["Resource"]) if "Resource" in raw else ("",),
        principals=_principals(raw["Principal"]) if "Principal" in raw else ("",),
        conditions=_conditions(raw.get("Condition")),
        opaque=opaque,
    )


def _principals(value: Any) -> tuple[str, ...]:
    if value == "*":
        return ("*",)
    if isinstance(value, dict):
        return tuple(f"{kind}:{item}" for kind, items in sorted(value.items()) for item in _strings(items))
    return tuple(f"AWS:{item}" for item in _strings(value))


def _conditions(value: Any) -> Conditions:
    if not isinstance(value, dict):
        return {}
    return {
        (operator, key): frozenset(_strings(values))
        for operator, tests in value.items()
        if isinstance(tests, dict)
        for key, values in tests.items()
    }


def documents_of(resource: dict[str, Any]) -> list[tuple[str, str, list[Statement]]]:
    """(property, verdict rule, statements) for each policy document the resource holds."""
    props = resource.get("Properties") or {}
    found = []
    for prop, rule in DOCUMENTS.get(str(resource.get("Type")), ()):
        if prop == "Policies":
            inline = [s for policy in props.get("Policies") or [] for s in statements(policy.get("PolicyDocument"))]
            found.append((prop, rule, inline))
        else:
            found.append((prop, rule, statements(props.get(prop))))
    return found
