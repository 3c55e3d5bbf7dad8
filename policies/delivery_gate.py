"""The delivery-path gate (ACC-4, CMP-1, ENC-3, BAK-5, NET-6): every delivery of the table, in every template, must be
open, or the synth fails naming what is missing (policies/delivery_paths.py evaluates; this only reports)."""

from __future__ import annotations

from typing import Final

import aws_cdk as cdk
import jsii

from policies.delivery_paths import evaluate_deliveries
from policies.template_rules import Finding, TemplateRule, TemplateRulePlugin, Templates

DELIVERY_RULE: Final = "Project-CMP1-DeliveryPathOpen"


def closed_deliveries(templates: Templates) -> list[Finding]:
    """One finding per delivery with something missing, on the writer: the service, the destination and the gaps."""
    return [
        Finding(
            template_path=delivery.template_path,
            logical_id=delivery.writer_id,
            message=f"{delivery.row.service} ({delivery.row.control}) -> {delivery.destination}: "
            + "; ".join(delivery.missing)
            + f" [{delivery.row.docs[0]}]",
        )
        for delivery in evaluate_deliveries(templates)
        if delivery.missing
    ]


@jsii.implements(cdk.IPolicyValidationPlugin)
class DeliveryPathRules(TemplateRulePlugin):
    """Registered with the other gates (policies/packs.py); acknowledged as `ProjectDeliveryPaths::<rule>`."""

    NAME = "ProjectDeliveryPaths"
    VERSION = "1.0.0"
    RULES = (
        TemplateRule(
            DELIVERY_RULE,
            "ACC-4 / CMP-1 / ENC-3: an AWS service cannot write into its destination: the bucket, topic or vault "
            "policy or the KMS key policy does not admit the principal AWS documents for it, or the destination has "
            "a setting the service does not support.",
            "Admit the documented principal (policies/delivery_paths.toml names it and the AWS page) in the "
            "destination's resource policy and key policy, or remove the unsupported setting.",
            closed_deliveries,
        ),
    )
