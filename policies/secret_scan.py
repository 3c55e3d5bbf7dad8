"""ENC-4: no secret literal in any synthesized template, checked at every synth.

This gate reads the templates themselves, after synthesis, so it sees exactly what CloudFormation would
receive: a password-like property whose value is a plain string, or a NoEcho parameter with a default,
fails the synth. Values that are references (`Ref`, `Fn::*`) or dynamic references
(`{{resolve:secretsmanager:...}}`, `{{resolve:ssm-secure:...}}`) are fine: the secret is not in the template.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import aws_cdk as cdk
import jsii

from policies.template_rules import TemplateRule, TemplateRulePlugin, each_template

RULE_NAME = "Project-ENC4-NoSecretLiterals"
_SECRET_KEY = re.compile(
    r"(password|passphrase|secretstring|secret_?key|secretaccesskey|authtoken|privatekey|apikey)$", re.I
)
_DYNAMIC_REFERENCE = re.compile(r"^\{\{resolve:(secretsmanager|ssm-secure):")


def find_secret_literals(template: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Yield (logical id, location) for each literal secret in a CloudFormation template."""
    for name, parameter in (template.get("Parameters") or {}).items():
        if str(parameter.get("NoEcho", "false")).lower() == "true" and "Default" in parameter:
            yield name, f"Parameters/{name}/Default"
    for logical_id, resource in (template.get("Resources") or {}).items():
        for location in _literal_secrets(resource.get("Properties") or {}, f"Resources/{logical_id}/Properties"):
            yield logical_id, location


def _literal_secrets(value: Any, location: str) -> Iterator[str]:
    if isinstance(value, dict):
        for key, child in value.items():
            child_location = f"{location}/{key}"
            if _SECRET_KEY.search(key) and _is_literal(child):
                yield child_location
            else:
                yield from _literal_secrets(child, child_location)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _literal_secrets(child, f"{location}/{index}")


def _is_literal(value: Any) -> bool:
    return isinstance(value, str) and value != "" and not _DYNAMIC_REFERENCE.match(value)


@jsii.implements(cdk.IPolicyValidationPlugin)
class SecretLiteralScan(TemplateRulePlugin):
    """A policy-validation plugin: registered with `Validations.of(app).add_plugins(...)` like the packs."""

    NAME = "ProjectSecretScan"
    RULES = (
        TemplateRule(
            name=RULE_NAME,
            description="ENC-4: a secret is written into the template in the clear.",
            fix="Use a generated secret (Secrets Manager, RDS-managed master password) or a dynamic reference.",
            check=each_template(find_secret_literals),
        ),
    )
