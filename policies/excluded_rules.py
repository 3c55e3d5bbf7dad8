"""A policy gate with the app-wide rule exclusions applied, once, where the packs are attached (CMP-1).

cdk-nag 3.0.2's `NagPackProps` has no rule exclusion (only `verbose` and `write_suppressions_to_cloud_formation`), and
an acknowledgement is per resource; `ExcludingGate` wraps a plugin and drops the findings of the rules
`policies/rule_exclusions.py` excludes for it, under the same name, rule ids and version. Nothing else changes.
"""

from __future__ import annotations

import aws_cdk as cdk
import jsii

from policies.rule_exclusions import excluded_rule_ids
from policies.wrapped_gate import WrappedGate

# Plugins other than cdk-nag's packs are acknowledged (and excluded) as <namespace>::<rule name>.
_NAMESPACES = {
    "cdk-validator-cfnguard": "cdk-validator-cfnguard::",
    "CloudFormation Validate": "CloudFormation-Validate::",
}


@jsii.implements(cdk.IPolicyValidationPlugin)
class ExcludingGate(WrappedGate):
    def __init__(self, inner: cdk.IPolicyValidationPlugin) -> None:
        super().__init__(inner)
        self._excluded = excluded_rule_ids(inner.name)
        self._namespace = _NAMESPACES.get(inner.name, "")

    def validate(self, context: cdk.IPolicyValidationContext) -> cdk.PolicyValidationPluginReport:
        report = self._inner.validate(context)
        if not self._excluded:
            return report
        kept = [v for v in report.violations if self._namespace + v.rule_name not in self._excluded]
        if len(kept) == len(report.violations):
            return report
        return cdk.PolicyValidationPluginReport(
            success=report.success or not kept,
            violations=kept,
            metadata=report.metadata,
            plugin_version=report.plugin_version,
        )


def with_exclusions(gate: cdk.IPolicyValidationPlugin) -> cdk.IPolicyValidationPlugin:
    """`gate` itself when nothing is excluded for it, else wrapped."""
    return ExcludingGate(gate) if excluded_rule_ids(gate.name) else gate
