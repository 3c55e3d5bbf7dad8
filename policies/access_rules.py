"""Access promises that hold only if the running services accept them, checked on the synthesized templates.

Three classes of mistake that pass every template-shape test and every published pack, yet break after deploy:

- ACC-2, `NameChangesWithCreateOnlyContent`: a fixed resource name must carry a digest of the other create-only
  properties it names, or changing them fails the deploy (policies/create_only_names.py).
- ACC-2 / ACC-3, `SessionManagerSshOnly`: a Session Manager grant (`ssm:StartSession`) must carry
  `ssm:SessionDocumentAccessCheck` (otherwise a session without a document name opens the default shell document)
  and may name only the SSH tunnel document, so the operator's SSH key stays required: a shell or command document
  runs as root-capable `ssm-user` with no key, outside `AllowUsers`, and survives revocation.
- ENC-3 / ACC-4, `ServiceKeyUseBoundByContext`: a key-policy statement for an AWS service principal must not depend on
  `aws:Source*` condition keys (EventBridge's KMS requests for an encrypted SNS topic may not carry them, so every alert
  would be dropped silently) and must bind the use to the resource by an encryption-context condition (or
  `kms:ViaService`/`kms:CallerAccount`), which every AWS service's KMS request carries.
  `kms:DescribeKey` carries no encryption context: a statement granting only it is bound by `aws:SourceArn` or
  `aws:SourceAccount` instead, and must be. A service whose own key-policy page prescribes an `aws:Source*` key
  instead of a context (AWS Config: `aws:SourceAccount`) is held to that page, which the delivery table
  (policies/delivery_paths.toml, `key_conditions`) names.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
import jsii

from policies.create_only_names import literal_text, names_fixed_against_content
from policies.delivery_table import documented_key_conditions
from policies.template_rules import Location, Template, TemplateRule, TemplateRulePlugin, as_list, each_template

NAME_RULE = "Project-ACC2-NameChangesWithCreateOnlyContent"
SESSION_RULE = "Project-ACC2-SessionManagerSshOnly"
SERVICE_KEY_RULE = "Project-ENC3-ServiceKeyUseBoundByContext"
RULES = (NAME_RULE, SESSION_RULE, SERVICE_KEY_RULE)

# ACC-2: the one Session Manager document a job role may start: an SSH tunnel, so the key is still required.
SSH_SESSION_DOCUMENTS = frozenset({"AWS-StartSSHSession"})
# Documents that open a shell or reach past the bastion's sshd; a wildcard resource matching any of them is refused.
SHELL_DOCUMENTS = (
    "SSM-SessionManagerRunShell",
    "AWS-StartInteractiveCommand",
    "AWS-StartNonInteractiveCommand",
    "AWS-StartPortForwardingSessionToRemoteHost",
)
START_SESSION = "ssm:startsession"
DOCUMENT_CHECK = "ssm:sessiondocumentaccesscheck"
# KMS requests without an encryption context (KMS developer guide, kms:EncryptionContext condition keys): a statement
# granting only these cannot be bound by one; it is bound by the caller's aws:SourceArn/aws:SourceAccount instead.
CONTEXT_FREE_ACTIONS = frozenset({"kms:describekey"})
BINDING_CONDITION_PREFIXES = ("kms:encryptioncontext:", "kms:viaservice", "kms:calleraccount")
POLICY_TYPES = frozenset({"AWS::IAM::ManagedPolicy", "AWS::IAM::Policy", "AWS::IAM::Role", "AWS::IAM::User"})
KEY_TYPES = frozenset({"AWS::KMS::Key", "AWS::KMS::ReplicaKey"})
WILDCARDS = ("*", "?")


@dataclass(frozen=True)
class Finding:
    rule: str
    logical_id: str
    location: str


# --- ACC-2 / ACC-3: Session Manager only through SSH -------------------------------------------------------


def _policy_documents(resource: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    properties = resource.get("Properties") or {}
    if isinstance(properties.get("PolicyDocument"), dict):
        yield "PolicyDocument", properties["PolicyDocument"]
    for index, policy in enumerate(properties.get("Policies") or []):
        if isinstance(policy, dict) and isinstance(policy.get("PolicyDocument"), dict):
            yield f"Policies/{index}/PolicyDocument", policy["PolicyDocument"]


def _grants_start_session(statement: Mapping[str, Any]) -> bool:
    if statement.get("Effect") != "Allow":
        return False
    if "NotAction" in statement:
        return not any(fnmatch.fnmatchcase(START_SESSION, str(a).lower()) for a in as_list(statement["NotAction"]))
    return any(fnmatch.fnmatchcase(START_SESSION, str(a).lower()) for a in as_list(statement.get("Action", [])))


def _has_document_check(statement: Mapping[str, Any]) -> bool:
    for operator in ("Bool", "BoolIfExists"):
        block = (statement.get("Condition") or {}).get(operator) or {}
        for key, value in block.items():
            if key.lower() == DOCUMENT_CHECK and [str(v).lower() for v in as_list(value)] == ["true"]:
                return True
    return False


def _documents_beyond_ssh(statement: Mapping[str, Any]) -> list[str]:
    """Resources of the grant that reach a document other than the SSH tunnel (`*` and wildcards reach them all)."""
    if "NotResource" in statement:
        return ["NotResource"]
    beyond = []
    for resource in as_list(statement.get("Resource", [])):
        text = literal_text(resource)
        parts = text.split(":", 5)  # arn:partition:service:region:account:resource (pseudo parameters dropped)
        if text == "*":
            beyond.append("*")
        elif len(parts) == 6 and fnmatch.fnmatchcase("ssm", parts[2]):
            name = parts[5].removeprefix("document/") if parts[5].startswith("document/") else None
            if name is not None and not any(w in name for w in WILDCARDS):
                if name not in SSH_SESSION_DOCUMENTS:
                    beyond.append(f"document/{name}")
            elif any(fnmatch.fnmatchcase(f"document/{document}", parts[5]) for document in SHELL_DOCUMENTS):
                beyond.append(parts[5])
    return beyond


def session_grants_beyond_ssh(template: Mapping[str, Any]) -> Iterator[Finding]:
    """Yield each ssm:StartSession grant without the document check or with a document other than SSH."""
    for logical_id, resource in (template.get("Resources") or {}).items():
        if resource.get("Type") not in POLICY_TYPES:
            continue
        for where, document in _policy_documents(resource):
            for index, statement in enumerate(as_list(document.get("Statement", []))):
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
        for index, statement in enumerate(as_list(policy.get("Statement", []))):
            principal = statement.get("Principal") if isinstance(statement, dict) else None
            if statement.get("Effect") != "Allow" or not isinstance(principal, dict) or "Service" not in principal:
                continue
            keys = [key.lower() for block in (statement.get("Condition") or {}).values() for key in block]
            location = f"Resources/{logical_id}/Properties/KeyPolicy/Statement/{index}"
            actions = {str(action).lower() for action in as_list(statement.get("Action", []))}
            if actions and actions <= CONTEXT_FREE_ACTIONS:
                # No encryption context to bind by: only the caller's source can, and it must (ENC-3).
                if not any(key.startswith("aws:source") for key in keys):
                    yield Finding(SERVICE_KEY_RULE, logical_id, f"{location} (no aws:SourceArn or aws:SourceAccount)")
                continue
            sources = sorted(key for key in keys if key.startswith("aws:source"))
            if sources and _documented_sources(principal["Service"], set(sources)):
                continue  # the service's own key-policy page prescribes these keys (policies/delivery_paths.toml)
            if sources:
                yield Finding(SERVICE_KEY_RULE, logical_id, f"{location} (conditions on {', '.join(sources)})")
            elif not any(key.startswith(BINDING_CONDITION_PREFIXES) for key in keys):
                yield Finding(SERVICE_KEY_RULE, logical_id, f"{location} (no encryption-context binding)")


def _documented_sources(services: Any, sources: set[str]) -> bool:
    """Whether every service of the statement documents exactly these aws:Source* keys on its key-policy statement
    (AWS Config: aws:SourceAccount, Config Developer Guide "Permissions for the KMS Key")."""
    documented = documented_key_conditions()
    return all(sources <= documented.get(str(service), frozenset()) for service in as_list(services))


def fixed_names_as_findings(template: Mapping[str, Any]) -> Iterator[Finding]:
    for logical_id, location in names_fixed_against_content(template):
        yield Finding(NAME_RULE, logical_id, location)


CHECKS = (fixed_names_as_findings, session_grants_beyond_ssh, service_key_statements_unbound)
DESCRIPTIONS = {
    NAME_RULE: "ACC-2: a fixed resource name does not change with the create-only content it names; CloudFormation "
    "cannot replace a custom-named resource, so changing that content would fail the deploy.",
    SESSION_RULE: "ACC-2 / ACC-3: a Session Manager grant without ssm:SessionDocumentAccessCheck, or reaching a "
    "document other than AWS-StartSSHSession, opens a shell without the operator's SSH key.",
    SERVICE_KEY_RULE: "ENC-3 / ACC-4: a key-policy statement for an AWS service uses aws:Source* conditions, which "
    "the service's KMS requests may not carry, or binds the use to nothing.",
}
FIXES = {
    NAME_RULE: "Put policies.create_only_names.content_digest(<the create-only properties>) into the name, or let "
    "CloudFormation name the resource.",
    SESSION_RULE: "Grant ssm:StartSession on the instance and document/AWS-StartSSHSession only, with "
    "BoolIfExists ssm:SessionDocumentAccessCheck true.",
    SERVICE_KEY_RULE: "Bind the statement with kms:EncryptionContext:* (e.g. aws:sns:topicArn, aws:logs:arn) instead "
    "of aws:SourceAccount/aws:SourceArn.",
}


def find_access_violations(template: Mapping[str, Any]) -> list[Finding]:
    return [finding for check in CHECKS for finding in check(template)]


def _locations(check: Callable[[Mapping[str, Any]], Iterator[Finding]]) -> Callable[[Template], Iterator[Location]]:
    return lambda template: ((finding.logical_id, finding.location) for finding in check(template))


@jsii.implements(cdk.IPolicyValidationPlugin)
class AccessRules(TemplateRulePlugin):
    """A policy-validation plugin: registered with `Validations.of(app).add_plugins(...)` like the packs."""

    NAME = "ProjectAccessRules"
    VERSION = "1.0.0"
    RULES = tuple(
        TemplateRule(rule, DESCRIPTIONS[rule], FIXES[rule], each_template(_locations(check)))
        for rule, check in zip(RULES, CHECKS, strict=True)
    )
