"""Access promises that hold only if the running services accept them, checked on the synthesized templates.

Three classes of mistake that pass every template-shape test and every published pack, yet break after deploy:

- ACC-2, `NameChangesWithCreateOnlyContent`: CloudFormation replaces a resource when a create-only property changes,
  and cannot replace a resource with a custom name (the new one would need the old one's name). A resource whose
  identifying name (its primary identifier, writable and create-only in the CloudFormation resource schema that
  cfn-lint ships) is fixed and which sets other create-only properties must therefore carry
  `content_digest(those properties)` in its name, so a change of content is a change of name and the update
  deploys (an operator key rotation renames the key pair). Resources kept on delete or replacement (`Retain`,
  `RetainExceptOnCreate`, `Snapshot`) are outside the rule: they hold data, replacing them is a migration, and
  CloudFormation's refusal is the safety net. A name that follows another resource (a reference) is outside it too.
- ACC-2 / ACC-3, `SessionManagerSshOnly`: a Session Manager grant (`ssm:StartSession`) must carry
  `ssm:SessionDocumentAccessCheck` (otherwise a session without a document name opens the default shell document)
  and may name only the SSH tunnel document, so the operator's SSH key stays required: a shell or command document
  runs as root-capable `ssm-user` with no key, outside `AllowUsers`, and survives revocation.
- ENC-3 / ACC-4, `ServiceKeyUseBoundByContext`: a key-policy statement for an AWS service principal must not depend on
  `aws:Source*` condition keys (EventBridge's KMS requests for an encrypted SNS topic may not carry them, so every alert
  would be dropped silently) and must bind the use to the resource by an encryption-context condition (or
  `kms:ViaService`/`kms:CallerAccount`), which every AWS service's KMS request carries.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii

NAME_RULE = "Project-ACC2-NameChangesWithCreateOnlyContent"
SESSION_RULE = "Project-ACC2-SessionManagerSshOnly"
SERVICE_KEY_RULE = "Project-ENC3-ServiceKeyUseBoundByContext"
RULES = (NAME_RULE, SESSION_RULE, SERVICE_KEY_RULE)

DIGEST_LENGTH = 10
KEPT_ON_DELETE = frozenset({"Retain", "RetainExceptOnCreate", "Snapshot"})
SCHEMA_REGION = "us-east-1"  # createOnlyProperties and primaryIdentifier do not differ between regions
# ACC-2: the one Session Manager document a job role may start: an SSH tunnel, so the key is still required.
SSH_SESSION_DOCUMENTS = frozenset({"AWS-StartSSHSession"})
START_SESSION = "ssm:startsession"
DOCUMENT_CHECK = "ssm:sessiondocumentaccesscheck"
BINDING_CONDITION_PREFIXES = ("kms:encryptioncontext:", "kms:viaservice", "kms:calleraccount")
POLICY_TYPES = frozenset({"AWS::IAM::ManagedPolicy", "AWS::IAM::Policy", "AWS::IAM::Role", "AWS::IAM::User"})
KEY_TYPES = frozenset({"AWS::KMS::Key", "AWS::KMS::ReplicaKey"})
_REFERENCE_KEYS = frozenset({"Fn::GetAtt", "Fn::ImportValue"})
_SUB_REFERENCE = re.compile(r"\$\{(?!AWS::)[^!][^}]*\}")


def content_digest(content: Mapping[str, Any]) -> str:
    """A short, stable digest of create-only property values, as they appear in the template (ACC-2).

    Constructs put it into the names of resources whose content is create-only; `NAME_RULE` recomputes it.
    """
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:DIGEST_LENGTH]


@dataclass(frozen=True)
class Finding:
    rule: str
    logical_id: str
    location: str


# --- ACC-2: names that must change with create-only content ------------------------------------------------


@dataclass(frozen=True)
class CreateOnlyShape:
    """What the CloudFormation resource schema says about one type: its identifying names and create-only content."""

    identity: tuple[str, ...]
    create_only: tuple[str, ...]


@cache
def create_only_shape(resource_type: str) -> CreateOnlyShape | None:
    """From cfn-lint's CloudFormation resource schemas; None for types it does not know (custom resources)."""
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER  # noqa: PLC0415 - imported when the gate runs, not at import
    from cfnlint.schema.manager import ResourceNotFoundError  # noqa: PLC0415

    try:
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(SCHEMA_REGION, resource_type).schema
    except ResourceNotFoundError:
        return None

    def top_level(pointers: list[str]) -> list[str]:
        return [p.removeprefix("/properties/") for p in pointers if p.count("/") == 2 and p.startswith("/properties/")]

    create_only = top_level(schema.get("createOnlyProperties", []))
    read_only = set(top_level(schema.get("readOnlyProperties", [])))
    identity = [p for p in top_level(schema.get("primaryIdentifier", [])) if p in create_only and p not in read_only]
    return CreateOnlyShape(identity=tuple(identity), create_only=tuple(create_only))


def _references_another_resource(value: Any) -> bool:
    """True if the value follows another resource (Ref to a resource, GetAtt, ImportValue, ${X} in a Sub)."""
    if isinstance(value, dict):
        if "Ref" in value:
            return not str(value["Ref"]).startswith("AWS::")
        if _REFERENCE_KEYS & value.keys():
            return True
        if "Fn::Sub" in value:
            template = value["Fn::Sub"][0] if isinstance(value["Fn::Sub"], list) else value["Fn::Sub"]
            variables = value["Fn::Sub"][1] if isinstance(value["Fn::Sub"], list) else {}
            return bool(_SUB_REFERENCE.search(str(template))) or _references_another_resource(variables)
        return any(_references_another_resource(child) for child in value.values())
    if isinstance(value, list):
        return any(_references_another_resource(child) for child in value)
    return False


def _literal_text(value: Any) -> str:
    """The literal characters of a fixed value (pseudo parameters dropped), where a digest can be found."""
    if isinstance(value, dict):
        return "".join(_literal_text(child) for key, child in value.items() if key != "Ref")
    if isinstance(value, list):
        return "".join(_literal_text(child) for child in value)
    return str(value)


def names_fixed_against_content(template: Mapping[str, Any]) -> Iterator[Finding]:
    """Yield each resource whose fixed identifying name would not change when its create-only content does."""
    for logical_id, resource in (template.get("Resources") or {}).items():
        shape = create_only_shape(str(resource.get("Type", "")))
        properties = resource.get("Properties") or {}
        if shape is None or not shape.identity:
            continue
        if {resource.get("DeletionPolicy"), resource.get("UpdateReplacePolicy")} & KEPT_ON_DELETE:
            continue
        names = {p: properties[p] for p in shape.identity if p in properties}
        if not names or any(_references_another_resource(value) for value in names.values()):
            continue  # CloudFormation names it, or the name follows another resource
        content = {p: properties[p] for p in shape.create_only if p not in shape.identity and p in properties}
        if not content:
            continue
        location = f"Resources/{logical_id}/Properties/{'+'.join(names)}"
        if any(_references_another_resource(value) for value in content.values()):
            yield Finding(NAME_RULE, logical_id, f"{location} (create-only content refers to another resource)")
        elif not any(content_digest(content) in _literal_text(value) for value in names.values()):
            yield Finding(NAME_RULE, logical_id, f"{location} (lacks content_digest of {', '.join(sorted(content))})")


# --- ACC-2 / ACC-3: Session Manager only through SSH -------------------------------------------------------


def _policy_documents(resource: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    properties = resource.get("Properties") or {}
    if isinstance(properties.get("PolicyDocument"), dict):
        yield "PolicyDocument", properties["PolicyDocument"]
    for index, policy in enumerate(properties.get("Policies") or []):
        if isinstance(policy, dict) and isinstance(policy.get("PolicyDocument"), dict):
            yield f"Policies/{index}/PolicyDocument", policy["PolicyDocument"]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _grants_start_session(statement: Mapping[str, Any]) -> bool:
    if statement.get("Effect") != "Allow":
        return False
    if "NotAction" in statement:
        return not any(fnmatch.fnmatchcase(START_SESSION, str(a).lower()) for a in _as_list(statement["NotAction"]))
    return any(fnmatch.fnmatchcase(START_SESSION, str(a).lower()) for a in _as_list(statement.get("Action", [])))


def _has_document_check(statement: Mapping[str, Any]) -> bool:
    for operator in ("Bool", "BoolIfExists"):
        block = (statement.get("Condition") or {}).get(operator) or {}
        for key, value in block.items():
            if key.lower() == DOCUMENT_CHECK and [str(v).lower() for v in _as_list(value)] == ["true"]:
                return True
    return False


def _documents_beyond_ssh(statement: Mapping[str, Any]) -> list[str]:
    """Resources of the grant that reach a document other than the SSH tunnel ('*' and wildcards reach them all)."""
    if "NotResource" in statement:
        return ["NotResource"]
    beyond = []
    for resource in _as_list(statement.get("Resource", [])):
        text = _literal_text(resource)
        if text == "*":
            beyond.append("*")
        elif ":document/" in text:
            name = text.rsplit(":document/", 1)[1]
            if name not in SSH_SESSION_DOCUMENTS:
                beyond.append(f"document/{name}")
    return beyond


def session_grants_beyond_ssh(template: Mapping[str, Any]) -> Iterator[Finding]:
    """Yield each ssm:StartSession grant without the document check or with a document other than SSH."""
    for logical_id, resource in (template.get("Resources") or {}).items():
        if resource.get("Type") not in POLICY_TYPES:
            continue
        for where, document in _policy_documents(resource):
            for index, statement in enumerate(_as_list(document.get("Statement", []))):
                if not isinstance(statement, dict) or not _grants_start_session(statement):
                    continue
                location = f"Resources/{logical_id}/Properties/{where}/Statement/{index}"
                if not _has_document_check(statement):
                    yield Finding(SESSION_RULE, logical_id, f"{location} (no ssm:SessionDocumentAccessCheck)")
                if beyond := _documents_beyond_ssh(statement):
                    yield Finding(SESSION_RULE, logical_id, f"{location} (reaches {', '.join(beyond)})")


# --- ENC-3 / ACC-4: service principals bound by encryption context ----------------------------------------


def service_key_statements_unbound(template: Mapping[str, Any]) -> Iterator[Finding]:
    """Yield each key-policy Allow for a service principal that uses aws:Source* or binds nothing."""
    for logical_id, resource in (template.get("Resources") or {}).items():
        if resource.get("Type") not in KEY_TYPES:
            continue
        policy = (resource.get("Properties") or {}).get("KeyPolicy") or {}
        for index, statement in enumerate(_as_list(policy.get("Statement", []))):
            principal = statement.get("Principal") if isinstance(statement, dict) else None
            if statement.get("Effect") != "Allow" or not isinstance(principal, dict) or "Service" not in principal:
                continue
            keys = [key.lower() for block in (statement.get("Condition") or {}).values() for key in block]
            location = f"Resources/{logical_id}/Properties/KeyPolicy/Statement/{index}"
            if sources := sorted(key for key in keys if key.startswith("aws:source")):
                yield Finding(SERVICE_KEY_RULE, logical_id, f"{location} (conditions on {', '.join(sources)})")
            elif not any(key.startswith(BINDING_CONDITION_PREFIXES) for key in keys):
                yield Finding(SERVICE_KEY_RULE, logical_id, f"{location} (no encryption-context binding)")


CHECKS = (names_fixed_against_content, session_grants_beyond_ssh, service_key_statements_unbound)
DESCRIPTIONS = {
    NAME_RULE: "ACC-2: a fixed resource name does not change with the create-only content it names; CloudFormation "
    "cannot replace a custom-named resource, so changing that content would fail the deploy.",
    SESSION_RULE: "ACC-2 / ACC-3: a Session Manager grant without ssm:SessionDocumentAccessCheck, or reaching a "
    "document other than AWS-StartSSHSession, opens a shell without the operator's SSH key.",
    SERVICE_KEY_RULE: "ENC-3 / ACC-4: a key-policy statement for an AWS service uses aws:Source* conditions, which "
    "the service's KMS requests may not carry, or binds the use to nothing.",
}
FIXES = {
    NAME_RULE: "Put policies.access_rules.content_digest(<the create-only properties>) into the name, or let "
    "CloudFormation name the resource.",
    SESSION_RULE: "Grant ssm:StartSession on the instance and document/AWS-StartSSHSession only, with "
    "BoolIfExists ssm:SessionDocumentAccessCheck true.",
    SERVICE_KEY_RULE: "Bind the statement with kms:EncryptionContext:* (e.g. aws:sns:topicArn, aws:logs:arn) instead "
    "of aws:SourceAccount/aws:SourceArn.",
}


def find_access_violations(template: Mapping[str, Any]) -> list[Finding]:
    return [finding for check in CHECKS for finding in check(template)]


@jsii.implements(cdk.IPolicyValidationPlugin)
class AccessRules:
    """A policy-validation plugin: registered with `Validations.of(app).add_plugins(...)` like the packs."""

    @property
    def name(self) -> str:
        return "ProjectAccessRules"

    @property
    def rule_ids(self) -> list[str]:
        return list(RULES)

    @property
    def version(self) -> str:
        return "1.0.0"

    def validate(self, context: cdk.IPolicyValidationContext) -> cdk.PolicyValidationPluginReport:
        by_rule: dict[str, list[cdk.PolicyViolatingResource]] = {}
        for template_path in context.template_paths:
            template = json.loads(Path(template_path).read_text(encoding="utf-8"))
            for finding in find_access_violations(template):
                by_rule.setdefault(finding.rule, []).append(
                    cdk.PolicyViolatingResource(
                        resource_logical_id=finding.logical_id,
                        template_path=template_path,
                        locations=[finding.location],
                    )
                )
        violations = [
            cdk.PolicyViolation(
                rule_name=rule,
                description=DESCRIPTIONS[rule],
                fix=FIXES[rule],
                severity="error",
                violating_resources=resources,
            )
            for rule, resources in by_rule.items()
        ]
        return cdk.PolicyValidationPluginReport(success=not violations, violations=violations)
