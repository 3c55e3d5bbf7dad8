"""Delivery paths (ACC-4, CMP-1, ENC-3, BAK-5, NET-6): may this service write into this destination under this key?

One evaluator over the synthesized templates (path -> template JSON), for the synth gate (`DeliveryPathRules`) and
the evidence report alike; it imports nothing from stacks/ or constructs/. For every writer in the table
(policies/delivery_paths.toml) it finds the destination (in the same template by Ref/GetAtt, or by name in any
template of the assembly) and names what is missing: a resource-policy statement admitting the documented principal
with the documented condition keys, a key-policy statement admitting it (or, for a role, the account through the
service's kms:ViaService), the role's own grants, or a destination setting the service does not support.

It imports nothing that starts the CDK (policies/template_rules.py imports aws_cdk, whose jsii kernel the evidence
report must not start), so the two template readers below are its own.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from policies.delivery_table import Row, delivery_table

NAME_PROPERTY = {
    "bucket": "BucketName",
    "topic": "TopicName",
    "log-group": "LogGroupName",
    "vault": "BackupVaultName",
}
CFN_TYPE = {
    "bucket": "AWS::S3::Bucket",
    "topic": "AWS::SNS::Topic",
    "log-group": "AWS::Logs::LogGroup",
    "vault": "AWS::Backup::BackupVault",
}
ARN_NAME = {  # the destination's name inside an ARN naming it
    "bucket": re.compile(r"^arn:[^:]*:s3:::([^/]+)$"),
    "topic": re.compile(r"^arn:[^:]*:sns:[^:]*:[^:]*:(.+)$"),
    "log-group": re.compile(r"^arn:[^:]*:logs:[^:]*:[^:]*:log-group:([^:]+)(?::\*)?$"),
    "vault": re.compile(r"^arn:[^:]*:backup:[^:]*:[^:]*:backup-vault:(.+)$"),
}


@dataclass(frozen=True)
class Delivery:
    """One evaluated delivery: who writes where, and what is missing (empty when the path is open)."""

    row: Row
    template_path: str
    writer_id: str
    destination: str  # "<template path>#<logical id>", or the unresolved value
    missing: tuple[str, ...]


Template = Mapping[str, Any]
Templates = Mapping[str, Template]  # template path (or stack name) -> template JSON


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def role_statements(template: Template, role_id: str) -> list[dict[str, Any]]:
    """Statements the template gives a role: inline, AWS::IAM::Policy and managed policies naming it."""
    resources = template.get("Resources") or {}
    properties = (resources.get(role_id) or {}).get("Properties") or {}
    statements = [s for p in properties.get("Policies") or [] for s in as_list(p["PolicyDocument"]["Statement"])]
    attached = json.dumps(properties.get("ManagedPolicyArns") or [])
    for logical_id, policy in resources.items():
        if policy.get("Type") not in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            continue
        body = policy.get("Properties") or {}
        if f'"{role_id}"' in json.dumps(body.get("Roles") or []) or f'"{logical_id}"' in attached:
            statements += as_list(body.get("PolicyDocument", {}).get("Statement", []))
    return statements


def text_of(value: Any) -> str:
    """A template value as text: pseudo parameters and references as ${...}, joins joined."""
    if isinstance(value, dict):
        if "Ref" in value:  # pseudo parameters without colons, so ARNs still split on ":"
            return "${" + str(value["Ref"]).replace("::", "_") + "}"
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            return "${" + (".".join(target) if isinstance(target, list) else str(target)) + "}"
        if "Fn::Join" in value:
            separator, parts = value["Fn::Join"]
            return str(separator).join(text_of(part) for part in parts)
        if "Fn::Sub" in value:
            return text_of(value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0])
        return "".join(text_of(child) for child in value.values())
    return str(value)


PATH_STEP = re.compile(r"\[Key=[^\]]*\]|[^.]+")


def values_at(properties: Any, path: str) -> Iterator[Any]:
    """The values at a dotted path; `*` walks a list, `[Key=x]` picks list items whose Key is x."""
    yield from _walk(properties, PATH_STEP.findall(path))


def _walk(value: Any, steps: list[str]) -> Iterator[Any]:
    if not steps:
        yield value
        return
    step, rest = steps[0], steps[1:]
    if step.startswith("[Key="):
        for item in value if isinstance(value, list) else []:
            if isinstance(item, dict) and item.get("Key") == step[len("[Key=") : -1]:
                yield from _walk(item, rest)
    elif step == "*":
        for item in value if isinstance(value, list) else []:
            yield from _walk(item, rest)
    elif isinstance(value, dict) and step in value:
        yield from _walk(value[step], rest)
    elif isinstance(value, list) and step.isdigit() and int(step) < len(value):
        yield from _walk(value[int(step)], rest)


def _names_a(template: Template, value: Any, kind: str) -> bool:
    """Whether a writer's value can name a destination of this kind (an alarm action may be an Auto Scaling
    policy, an EventBridge target a Lambda function)."""
    if isinstance(value, dict) and ("Ref" in value or "Fn::GetAtt" in value):
        target = value.get("Ref") or (value["Fn::GetAtt"][0] if "Fn::GetAtt" in value else None)
        resource = (template.get("Resources") or {}).get(target)
        if resource is not None:
            return bool(resource.get("Type") == CFN_TYPE[kind])
    text = text_of(value)
    return bool(ARN_NAME[kind].match(text)) or not text.startswith("arn:")


def _find_destination(templates: Templates, path: str, value: Any, kind: str) -> tuple[str, str] | None:
    """(template path, logical id) of the destination a writer names, or None when it is outside the assembly."""
    resources = templates[path].get("Resources") or {}
    if isinstance(value, dict) and ("Ref" in value or "Fn::GetAtt" in value):
        target = value.get("Ref") or (value["Fn::GetAtt"][0] if "Fn::GetAtt" in value else None)
        if target in resources and resources[target].get("Type") == CFN_TYPE[kind]:
            return path, str(target)
    text = text_of(value)
    match = ARN_NAME[kind].match(text)
    name = match.group(1) if match else text
    named_by_ref = re.fullmatch(r"\$\{([A-Za-z0-9]+)\}", name)  # an ARN built from a Ref to the name
    if named_by_ref and resources.get(named_by_ref.group(1), {}).get("Type") == CFN_TYPE[kind]:
        return path, named_by_ref.group(1)
    for other_path, template in templates.items():
        for logical_id, resource in (template.get("Resources") or {}).items():
            if resource.get("Type") != CFN_TYPE[kind]:
                continue
            named = (resource.get("Properties") or {}).get(NAME_PROPERTY[kind])
            if named is not None and text_of(named) == name:
                return other_path, logical_id
    return None


def _key_of(template: Template, kind: str, properties: Mapping[str, Any]) -> str | None:
    """Logical id of the destination's customer-managed key in its template (None: no KMS key, or outside)."""
    if kind == "bucket":
        rules = (properties.get("BucketEncryption") or {}).get("ServerSideEncryptionConfiguration") or [{}]
        value = (rules[0].get("ServerSideEncryptionByDefault") or {}).get("KMSMasterKeyID")
    else:
        value = properties.get({"topic": "KmsMasterKeyId", "log-group": "KmsKeyId", "vault": "EncryptionKeyArn"}[kind])
    if isinstance(value, dict) and ("Ref" in value or "Fn::GetAtt" in value):
        target = value.get("Ref") or value["Fn::GetAtt"][0]
        if (template.get("Resources") or {}).get(target, {}).get("Type") == "AWS::KMS::Key":
            return str(target)
    return None


def _names_principal(statement: Mapping[str, Any], principal: str) -> bool:
    named = statement.get("Principal")
    if not isinstance(named, dict):
        return named == "*"
    candidates = [text_of(p) for p in as_list(named.get("Service", [])) + as_list(named.get("AWS", []))]
    return any(fnmatch.fnmatchcase(candidate, principal) or candidate == principal for candidate in candidates)


def _condition_keys(statement: Mapping[str, Any]) -> set[str]:
    return {key.lower() for block in (statement.get("Condition") or {}).values() for key in block}


def _allowed(statements: list[Any], principal: str, action: str, conditions: tuple[str, ...] = ()) -> bool:
    """Whether an Allow statement admits `principal` to `action` with every documented condition key on it."""
    for statement in statements:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        if not _names_principal(statement, principal):
            continue
        if not any(fnmatch.fnmatchcase(action.lower(), str(a).lower()) for a in as_list(statement.get("Action", []))):
            continue
        if {c.lower() for c in conditions} <= _condition_keys(statement):
            return True
    return False


def _account_via(statements: list[Any], action: str, service: str) -> bool:
    """The account's principals may use the key for `action` through `service` (kms:ViaService)."""
    for statement in statements:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        accounts = [text_of(p) for p in as_list((statement.get("Principal") or {}).get("AWS", []))]
        if not any(p.endswith(":root") or re.fullmatch(r"\$\{AWS::AccountId\}|\d{12}", p) for p in accounts):
            continue
        if not any(fnmatch.fnmatchcase(action.lower(), str(a).lower()) for a in as_list(statement.get("Action", []))):
            continue
        via = [
            text_of(v)
            for block in (statement.get("Condition") or {}).values()
            for key, value in block.items()
            if key.lower() == "kms:viaservice"
            for v in as_list(value)
        ]
        if not via or any(v.startswith(f"{service}.") for v in via):
            return True
    return False


def _policy_statements(template: Template, kind: str, logical_id: str, properties: Mapping[str, Any]) -> list[Any]:
    """The destination's resource policy: bucket policy, topic policy or vault access policy."""
    if kind == "vault":
        return as_list((properties.get("AccessPolicy") or {}).get("Statement", []))
    if kind == "log-group":
        return []  # services write through their own role or service-linked role; the key is what admits them
    policy_type, target = {"bucket": ("AWS::S3::BucketPolicy", "Bucket"), "topic": ("AWS::SNS::TopicPolicy", "Topics")}[
        kind
    ]
    statements: list[Any] = []
    for resource in (template.get("Resources") or {}).values():
        if resource.get("Type") != policy_type:
            continue
        named = as_list((resource.get("Properties") or {}).get(target))
        if any(isinstance(n, dict) and n.get("Ref") == logical_id for n in named):
            statements += as_list(resource["Properties"].get("PolicyDocument", {}).get("Statement", []))
    return statements


def _setting_problems(row: Row, properties: Mapping[str, Any]) -> Iterator[str]:
    for setting in row.unsupported:
        for value in values_at(properties, str(setting["property"])):
            if value == setting.get("equals"):
                yield f"{setting['property']} = {value!r}: {setting['why']}"
    for setting in row.required:
        found = list(values_at(properties, str(setting["property"])))
        text = text_of(found[0]) if found else ""
        ok = text.startswith(str(setting["starts_with"])) if "starts_with" in setting else found == [setting["equals"]]
        if not ok:
            yield f"{setting['property']} = {found[0] if found else None!r}: {setting['why']}"


def _missing(row: Row, templates: Templates, path: str, writer: Mapping[str, Any], found: tuple[str, str]) -> list[str]:
    destination_path, logical_id = found
    template = templates[destination_path]
    properties = template["Resources"][logical_id].get("Properties") or {}
    missing = list(_setting_problems(row, properties))
    key = _key_of(template, row.kind, properties)
    key_statements = (
        as_list(((template["Resources"][key].get("Properties") or {}).get("KeyPolicy") or {}).get("Statement", []))
        if key
        else []
    )
    role_property = row.principals[0].removeprefix("role:") if row.principals[0].startswith("role:") else None
    if role_property is not None:
        role_ids = (
            [v["Fn::GetAtt"][0] for v in values_at(writer.get("Properties") or {}, role_property) if "Fn::GetAtt" in v]
            if role_property
            else []
        )
        for role_id in role_ids:
            grants = role_statements(templates[path], role_id)
            missing += [f"role {role_id} lacks {a}" for a in row.role_actions if not _allowed_any(grants, a)]
        if key:
            missing += [
                f"key {key} admits neither the role nor the account through {row.via_service} for {a}"
                for a in row.key_actions
                if not _account_via(key_statements, a, row.via_service)
            ]
        return missing
    resource_statements = _policy_statements(template, row.kind, logical_id, properties)
    for action in row.resource_actions:
        if not any(_allowed(resource_statements, p, action, row.resource_conditions) for p in row.principals):
            needed = f" with {', '.join(row.resource_conditions)}" if row.resource_conditions else ""
            missing.append(f"{row.kind} policy does not allow {row.principals[0]} {action}{needed}")
    if key:
        for action in row.key_actions:
            if not any(_allowed(key_statements, p, action) for p in row.principals):
                missing.append(f"key {key} policy does not allow {row.principals[0]} {action}")
    return missing


def _allowed_any(statements: list[dict[str, Any]], action: str) -> bool:
    return any(
        statement.get("Effect") == "Allow"
        and any(fnmatch.fnmatchcase(action.lower(), str(a).lower()) for a in as_list(statement.get("Action", [])))
        for statement in statements
    )


def evaluate_deliveries(templates: Templates, table: tuple[Row, ...] | None = None) -> list[Delivery]:
    """Every delivery in the assembly, each with what is missing for the service to write (empty: it can)."""
    deliveries = []
    for row in table or delivery_table():
        for path, template in templates.items():
            for writer_id, writer in (template.get("Resources") or {}).items():
                properties = writer.get("Properties") or {}
                if writer.get("Type") != row.writer:
                    continue
                if any(properties.get(key) != value for key, value in row.when.items()):
                    continue
                for value in values_at(properties, row.destination):
                    if not _names_a(template, value, row.kind):
                        continue
                    found = _find_destination(templates, path, value, row.kind)
                    if found is None:
                        missing = (f"{row.kind} {text_of(value)} is not in the assembly: its policies are unchecked",)
                        deliveries.append(Delivery(row, path, writer_id, text_of(value), missing))
                        continue
                    problems = tuple(_missing(row, templates, path, writer, found))
                    deliveries.append(Delivery(row, path, writer_id, f"{found[0]}#{found[1]}", problems))
    return deliveries
